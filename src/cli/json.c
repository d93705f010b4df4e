/*
 * JSON output of the `vouch` subcommands: strings (RFC 8259 §7), one
 * escaper, the treatment of 8-bit bytes chosen by each caller; the DMARC
 * verdict that `vouch dmarc` and `vouch verify` both print; and the parts
 * of an aggregate report's record that `report ingest` and `report
 * export` both print.
 */
#include <stdint.h>
#include <string.h>

#include "json.h"
/* the library's one UTF-8 decoder, a private header: this file is built
 * in cli_internal (meson.build) */
#include "mail/utf8.h"

void
cli_json_strn(FILE *fp, const char *s, size_t len, enum cli_json_8bit mode)
{
	const uint8_t *p = (const uint8_t *)s, *end = p;
	uint32_t cp;
	size_t n;

	if (p != NULL) /* no arithmetic on a null pointer */
		end = p + len;

	fputc('"', fp);
	while (p < end) {
		if (*p == '"' || *p == '\\') {
			fputc('\\', fp);
			fputc(*p++, fp);
		} else if (*p < 0x20 || *p == 0x7f)
			fprintf(fp, "\\u%04x", *p++);
		else if (*p < 0x80)
			fputc(*p++, fp);
		else if (mode != CLI_JSON_8BIT_LATIN1 &&
		         (n = mail_utf8_decode(p, end, &cp)) > 0) {
			fwrite(p, 1, n, fp);
			p += n;
		} else if (mode == CLI_JSON_8BIT_UTF8_FFFD) {
			fputs("\\ufffd", fp);
			p++;
		} else
			fprintf(fp, "\\u%04x", *p++);
	}
	fputc('"', fp);
}

void
cli_json_str(FILE *fp, const char *s, enum cli_json_8bit mode)
{
	cli_json_strn(fp, s, strlen(s), mode);
}

void
cli_json_str_or_null(FILE *fp, const char *s, enum cli_json_8bit mode)
{
	if (s == NULL)
		fputs("null", fp);
	else
		cli_json_str(fp, s, mode);
}

void
cli_json_member(FILE *fp, const char *sep, const char *key, const char *s,
    enum cli_json_8bit mode)
{
	fprintf(fp, "%s\"%s\":", sep, key);
	cli_json_str_or_null(fp, s, mode);
}

void
cli_json_feedback_evaluated(
    FILE *fp, const struct vouch_feedback_record *r, enum cli_json_8bit mode)
{
	fprintf(fp, ",\"count\":%llu", (unsigned long long)r->count);
	cli_json_member(fp, ",", "disposition", r->disposition, mode);
	cli_json_member(fp, ",", "dkim", r->dkim, mode);
	cli_json_member(fp, ",", "spf", r->spf, mode);
}

void
cli_json_feedback_identifiers(
    FILE *fp, const struct vouch_feedback_record *r, enum cli_json_8bit mode)
{
	cli_json_member(fp, ",", "header_from", r->header_from, mode);
	cli_json_member(fp, ",", "envelope_from", r->envelope_from, mode);
	cli_json_member(fp, ",", "envelope_to", r->envelope_to, mode);
}

void
cli_json_feedback_reasons(
    FILE *fp, const struct vouch_feedback_record *r, enum cli_json_8bit mode)
{
	size_t i;

	fputs(",\"reasons\":[", fp);
	for (i = 0; i < r->nreasons; i++) {
		cli_json_member(
		    fp, i ? ",{" : "{", "type", r->reasons[i].type, mode);
		cli_json_member(
		    fp, ",", "comment", r->reasons[i].comment, mode);
		fputc('}', fp);
	}
	fputc(']', fp);
}

/* One result of auth_results: domain, then selector (DKIM) or scope (SPF),
 * result and human_result. */
static void
json_auth_result(FILE *fp, int first, const char *domain, const char *key,
    const char *value, const char *result, const char *human_result,
    enum cli_json_8bit mode)
{
	cli_json_member(fp, first ? "{" : ",{", "domain", domain, mode);
	cli_json_member(fp, ",", key, value, mode);
	cli_json_member(fp, ",", "result", result, mode);
	cli_json_member(fp, ",", "human_result", human_result, mode);
	fputc('}', fp);
}

void
cli_json_feedback_auth_results(
    FILE *fp, const struct vouch_feedback_record *r, enum cli_json_8bit mode)
{
	const struct vouch_feedback_dkim *d = r->dkim_results;
	const struct vouch_feedback_spf *s = r->spf_results;
	size_t i;

	fputs(",\"auth_results\":{\"dkim\":[", fp);
	for (i = 0; i < r->ndkim; i++)
		json_auth_result(fp, i == 0, d[i].domain, "selector",
		    d[i].selector, d[i].result, d[i].human_result, mode);
	fputs("],\"spf\":[", fp);
	for (i = 0; i < r->nspf; i++)
		json_auth_result(fp, i == 0, s[i].domain, "scope", s[i].scope,
		    s[i].result, s[i].human_result, mode);
	fputs("]}", fp);
}

const char *
cli_dmarc_tag_str(enum vouch_dmarc_policy_tag t)
{
	return t == VOUCH_DMARC_TAG_P    ? "p"
	       : t == VOUCH_DMARC_TAG_SP ? "sp"
	       : t == VOUCH_DMARC_TAG_NP ? "np"
	                                 : "";
}

void
cli_json_dmarc_policy(FILE *fp, const char *key, enum vouch_dmarc_policy p,
    enum cli_json_8bit mode)
{
	fprintf(fp, ",\"%s\":", key);
	if (p == VOUCH_DMARC_POLICY_UNSET)
		fputs("null", fp);
	else
		cli_json_str(fp, vouch_dmarc_policy_str(p), mode);
}

void
cli_json_dmarc_verdict(
    FILE *fp, const struct vouch_dmarc_result *r, enum cli_json_8bit mode)
{
	const struct vouch_dmarc_domain_result *dr =
	    r->ndomains ? &r->domain[r->decisive] : NULL;

	fputs("\"result\":", fp);
	cli_json_str(fp, vouch_dmarc_verdict_str(r->result), mode);
	cli_json_dmarc_policy(fp, "policy", r->policy, mode);
	fputs(",\"policy_tag\":", fp);
	cli_json_str(fp, cli_dmarc_tag_str(r->policy_tag), mode);
	/* decided for a fail, and for an author that cannot be read safely
	 * (vouch_dmarc_result.unsafe) */
	cli_json_dmarc_policy(fp, "disposition",
	    r->result == VOUCH_DMARC_FAIL || r->unsafe != VOUCH_DMARC_SAFE
	        ? r->disposition
	        : VOUCH_DMARC_POLICY_NONE,
	    mode);
	fputs(",\"override\":", fp);
	cli_json_str(fp, vouch_dmarc_override_str(r->override), mode);
	fputs(",\"author_domain\":", fp);
	cli_json_str(fp, dr ? dr->author_domain : "", mode);
	fputs(",\"org_domain\":", fp);
	cli_json_str(fp, dr ? dr->org_domain : "", mode);
	fputs(",\"policy_domain\":", fp);
	cli_json_str(fp, dr ? dr->policy_domain : "", mode);
	fputs(",\"record\":", fp);
	if (dr && dr->has_record)
		cli_json_strn(fp, dr->record.text, dr->record.textlen, mode);
	else
		fputs("null", fp);
	fputs(",\"unsafe\":", fp);
	if (r->unsafe != VOUCH_DMARC_SAFE) {
		cli_json_str(fp, vouch_dmarc_unsafe_str(r->unsafe), mode);
		fputs(",\"unsafe_reason\":", fp);
		cli_json_str(fp, r->unsafe_reason, mode);
	} else
		fputs("null,\"unsafe_reason\":null", fp);
}

int
cli_parse_disposition(const char *s, enum vouch_dmarc_policy *out)
{
	static const enum vouch_dmarc_policy p[] = {VOUCH_DMARC_POLICY_NONE,
	    VOUCH_DMARC_POLICY_QUARANTINE, VOUCH_DMARC_POLICY_REJECT};
	size_t i;

	for (i = 0; i < sizeof(p) / sizeof(p[0]); i++)
		if (strcmp(s, vouch_dmarc_policy_str(p[i])) == 0) {
			*out = p[i];
			return 0;
		}
	return -1;
}
