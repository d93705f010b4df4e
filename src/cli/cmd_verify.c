/*
 * vouch verify: the receiver's verdict on one message (SPF, DKIM, ARC, DMARC),
 * written as one Authentication-Results field prepended to the message.
 * Option parsing and printing only; the verdict is vouch_verify_*().
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "json.h"
#include "verify_failure.h"

static void
verify_usage(FILE *fp)
{
	fprintf(fp,
	    "usage: vouch verify --ip ADDR --helo NAME --mail-from ADDR\n"
	    "                    [--authserv-id ID] [--zone FILE | "
	    "--dns-server ADDR]\n"
	    "                    [--now T] [--rfc7489] [--psl FILE] "
	    "[--seed N]\n"
	    "                    [--check-helo] [--trusted-sealer DOMAIN]...\n"
	    "                    [--unsafe-disposition none|quarantine|reject]"
	    "\n"
	    "                    [--header-only | --json | --explain]\n"
	    "                    [--record [--db URL] [--rcpt-to ADDR]...]\n"
	    "                    [--failure-report DIR [--failure-from ADDR]\n"
	    "                     [--failure-redact hash|token|none]\n"
	    "                     [--failure-redact-token TEXT] "
	    "[--failure-redact-key FILE]\n"
	    "                     [--failure-rate N/PERIOD] "
	    "[--failure-state FILE]\n"
	    "                     [--failure-body] [--failure-kinds LIST]] "
	    "[FILE]\n"
	    "\n"
	    "Checks the message in FILE (or standard input) as a receiving "
	    "MTA does:\n"
	    "SPF for the MAIL FROM identity (postmaster@HELO when --mail-from "
	    "is ''),\n"
	    "every DKIM signature, the ARC chain (arc=, RFC 8617), and DMARC "
	    "with the\n"
	    "SPF and DKIM results.  Writes the\n"
	    "message to standard output with one Authentication-Results "
	    "field\n"
	    "(RFC 8601) prepended, byte for byte otherwise, except that\n"
	    "Authentication-Results fields claiming our authserv-id are "
	    "removed\n"
	    "(RFC 8601 5: they are forged), and so are continuation lines "
	    "before the\n"
	    "first field (they would unfold into ours).\n"
	    "  --authserv-id ID  the id written and trusted (default: the host "
	    "name)\n"
	    "  --now T           UNIX time for DKIM t=/x= and SPF %%{t}\n"
	    "  --rfc7489         DMARC by RFC 7489 (Public Suffix List, pct=)\n"
	    "  --psl FILE        the Public Suffix List for --rfc7489\n"
	    "  --seed N          repeatable pct= sampling (--rfc7489)\n"
	    "  --check-helo      also check the HELO name, as its own spf "
	    "result\n"
	    "  --trusted-sealer DOMAIN  (repeatable; none by default) local "
	    "policy: when\n"
	    "                    DMARC fails and the passing ARC chain has a "
	    "set sealed by\n"
	    "                    DOMAIN, whose AMS still verifies, after "
	    "which every set\n"
	    "                    was sealed by a trusted DOMAIN, and whose "
	    "ARC-Authentication-\n"
	    "                    Results recorded a pass aligned with the "
	    "From domain\n"
	    "                    (dmarc=pass for it, or an aligned spf or "
	    "dkim pass), the\n"
	    "                    disposition becomes none, override "
	    "local_policy (RFC 8617\n"
	    "                    7.2.1); dmarc= stays fail\n"
	    "  --unsafe-disposition DISP  none, quarantine (the default) or "
	    "reject: the\n"
	    "                    least disposition of a message whose author "
	    "cannot be read\n"
	    "                    safely (a header that is not RFC 5322; no, "
	    "several or a\n"
	    "                    malformed From; characters a reader may "
	    "hide; a From past\n"
	    "                    the header limits); such a message never "
	    "gets dmarc=pass\n"
	    "  --record          record the evaluation for DMARC aggregate "
	    "reports\n"
	    "                    (RFC 9990) in the store, when the policy "
	    "asks for reports\n"
	    "  --db URL          the store (vouch store init): a SQLite file "
	    "or\n"
	    "                    postgresql://...; default $VOUCH_DB, else\n"
	    "                    " VOUCH_STORE_DEFAULT_PATH "\n"
	    "  --rcpt-to ADDR    an envelope recipient (repeatable); the "
	    "first one's\n"
	    "                    domain is recorded as envelope_to\n"
	    "  --header-only     print only the Authentication-Results field\n"
	    "  --json            print the full result as JSON\n"
	    "  --explain         print the field and, for a person, why the\n"
	    "                    DMARC verdict is what it is\n"
	    "DMARC failure reports (RFC 9991; none unless --failure-report is "
	    "given):\n"
	    "  --failure-report DIR  write each failure report the sender's "
	    "record asks\n"
	    "                    for (ruf=, fo=) as one .eml file in DIR; "
	    "never sent.\n"
	    "                    Only authorized ruf= addresses, never those "
	    "of psd=y\n"
	    "  --failure-from ADDR   the reports' From (default "
	    "postmaster@AUTHSERV-ID)\n"
	    "  --failure-redact M    local-parts: hash (default, keyed "
	    "HMAC), token, none\n"
	    "  --failure-redact-token TEXT  the text of --failure-redact "
	    "token (redacted)\n"
	    "  --failure-redact-key FILE    the hash key (default "
	    "DIR/.vouch-redact-key,\n"
	    "                    made at the first run)\n"
	    "  --failure-rate N/PERIOD  reports per destination, e.g. 10/h "
	    "(default),\n"
	    "                    1/60 (PERIOD: seconds, or s, m, h, d)\n"
	    "  --failure-state FILE  the rate state (default "
	    "DIR/.vouch-failure-state)\n"
	    "  --failure-body    include the body (message/rfc822), not only "
	    "the header\n"
	    "  --failure-kinds LIST  of dmarc,dkim,spf: the kinds to make "
	    "(default all)\n"
	    "Exit status: 0 a verdict was produced (whatever it is), 64 "
	    "usage,\n"
	    "69 the --record store could not be opened, 74 a file or the "
	    "store could\n"
	    "not be read or written, 70 out of memory.\n");
}

/* ---- JSON -------------------------------------------------------------- */

/* JSON strings on stdout; 8-bit bytes shown as the Latin-1 characters of
 * the same value: the output stays valid JSON. */
static void
json_strn(const char *s, size_t n)
{
	cli_json_strn(stdout, s, n, CLI_JSON_8BIT_LATIN1);
}

static void
json_str(const char *s)
{
	cli_json_str(stdout, s, CLI_JSON_8BIT_LATIN1);
}

static const char *
jbool(int b)
{
	return b ? "true" : "false";
}

static void
json_spf(const struct vouch_spf_result *r, int aligned)
{
	printf("{\"result\":");
	json_str(vouch_spf_verdict_str(r->verdict));
	printf(",\"identity\":");
	json_str(r->identity == VOUCH_SPF_HELO ? "helo" : "mailfrom");
	printf(",\"sender\":");
	json_str(r->sender);
	printf(",\"domain\":");
	json_str(r->domain);
	printf(",\"mechanism\":");
	json_str(r->mechanism);
	printf(",\"reason\":");
	json_str(r->reason);
	printf(",\"explanation\":");
	if (r->verdict == VOUCH_SPF_FAIL)
		json_str(r->explanation);
	else
		printf("null");
	printf(",\"dns_lookups\":%u,\"void_lookups\":%u,\"dns_queries\":%u",
	    r->dns_lookups, r->void_lookups, r->dns_queries);
	if (aligned >= 0)
		printf(",\"aligned\":%s", jbool(aligned));
	printf("}");
}

static void
json_sig(const struct vouch_dkim_signature *s, int aligned)
{
	printf("{\"result\":");
	json_str(vouch_dkim_verdict_str(s->result));
	printf(",\"reason\":");
	json_str(s->reason);
	printf(",\"d\":");
	json_str(s->d);
	printf(",\"s\":");
	json_str(s->s);
	printf(",\"i\":");
	json_str(s->i);
	printf(",\"a\":");
	json_str(s->a);
	printf(",\"c\":");
	json_str(s->c);
	printf(",\"b\":");
	json_str(s->b);
	printf(",\"t\":%lld,\"x\":%lld,\"l\":%lld,\"key_bits\":%u,"
	       "\"testing\":%s,\"aligned\":%s}",
	    (long long)s->t, (long long)s->x, (long long)s->l, s->key_bits,
	    jbool(s->testing), jbool(aligned));
}

static void
json_dmarc(const struct vouch_dmarc_result *r)
{
	const struct vouch_dmarc_domain_result *dr =
	    r->ndomains ? &r->domain[r->decisive] : NULL;
	size_t i;

	printf("{");
	cli_json_dmarc_verdict(stdout, r, CLI_JSON_8BIT_LATIN1);
	if (dr && dr->has_record)
		printf(",\"adkim\":\"%s\",\"aspf\":\"%s\",\"testing\":%s,"
		       "\"pct\":%u",
		    dr->record.adkim == VOUCH_DMARC_STRICT ? "s" : "r",
		    dr->record.aspf == VOUCH_DMARC_STRICT ? "s" : "r",
		    jbool(dr->record.testing), dr->record.pct);
	printf(",\"spf_aligned\":%s,\"dkim_aligned\":%s",
	    jbool(dr && dr->spf_aligned), jbool(dr && dr->dkim_aligned));
	printf(",\"reason\":");
	json_str(r->reason);
	printf(",\"dns_lookups\":%lu,\"author_domains\":[", r->nlookups);
	for (i = 0; i < r->ndomains; i++) {
		printf("%s{\"domain\":", i ? "," : "");
		json_str(r->domain[i].author_domain);
		printf(",\"result\":");
		json_str(vouch_dmarc_verdict_str(r->domain[i].result));
		printf(",\"reason\":");
		json_str(r->domain[i].reason);
		printf("}");
	}
	printf("]}");
}

/* The ARC chain (RFC 8617 §5.2) and the trusted-sealer override. */
static void
json_arc(const struct vouch_verify_result *res)
{
	const struct vouch_arc_result *a = res->arc;
	const struct vouch_arc_override *t = &res->arc_trust;
	const struct vouch_arc_instance *in;
	size_t k;

	printf(",\"arc\":");
	if (a == NULL) {
		printf("null");
		return;
	}
	printf("{\"result\":");
	json_str(vouch_arc_cv_str(a->cv));
	printf(",\"reason\":");
	json_str(a->reason);
	printf(",\"oldest_pass\":%u,\"chain\":[", a->oldest_pass);
	for (k = 0; k < a->ninst; k++) {
		in = &a->inst[k];
		printf("%s{\"i\":%u,\"cv\":", k ? "," : "", in->i);
		json_str(vouch_arc_cv_str(in->cv));
		printf(",\"seal\":{\"d\":");
		json_str(in->seal_d);
		printf(",\"s\":");
		json_str(in->seal_s);
		printf(",\"checked\":%s,\"valid\":%s},\"ams\":{\"d\":",
		    jbool(in->seal_checked), jbool(in->seal_ok));
		json_str(in->ams_d);
		printf(",\"s\":");
		json_str(in->ams_s);
		printf(",\"checked\":%s,\"valid\":%s},\"reason\":",
		    jbool(in->ams_checked), jbool(in->ams_ok));
		json_str(in->reason);
		printf("}");
	}
	printf("],\"trusted_sealer\":");
	if (t->trusted) {
		printf("{\"sealer\":");
		json_str(t->sealer);
		printf(",\"instance\":%u,\"dmarc\":%s,\"dkim\":%s,"
		       "\"spf\":%s}",
		    t->instance, jbool(t->dmarc), jbool(t->dkim),
		    jbool(t->spf));
	} else
		printf("null");
	printf(",\"dmarc_override\":%s,\"override_comment\":",
	    jbool(res->arc_override));
	if (res->override_comment != NULL)
		json_str(res->override_comment);
	else
		printf("null");
	printf(",\"override_reason\":");
	if (res->arc_override_reason[0] != '\0')
		json_str(res->arc_override_reason);
	else
		printf("null");
	printf("}");
}

static void
print_json(const struct vouch_verify_result *res)
{
	const struct vouch_dmarc_domain_result *dr =
	    res->dmarc.ndomains ? &res->dmarc.domain[res->dmarc.decisive]
	                        : NULL;
	size_t i;

	printf("{\"authserv_id\":");
	json_str(res->authserv_id);
	printf(",\"authentication_results\":");
	json_strn(res->field, res->field_len);
	printf(",\"forged_removed\":%zu,\"header_too_large\":%s", res->nforged,
	    jbool(res->header_too_large));
	printf(",\"orphan_removed\":%zu", res->orphan_len);
	printf(",\"spf\":");
	if (res->spf_checked)
		json_spf(&res->spf, dr ? dr->spf_aligned : 0);
	else
		printf("null");
	printf(",\"helo\":");
	if (res->helo_checked)
		json_spf(&res->helo, -1);
	else
		printf("null");
	printf(",\"dkim\":{\"result\":");
	json_str(vouch_dkim_verdict_str(res->dkim->result));
	printf(",\"reason\":");
	json_str(res->dkim->reason);
	printf(",\"signatures\":[");
	for (i = 0; i < res->dkim->nsig; i++) {
		if (i)
			putchar(',');
		json_sig(
		    &res->dkim->sig[i], dr && i < VOUCH_DKIM_MAX_SIGNATURES &&
		                            dr->dkim_aligned_each[i]);
	}
	printf("]}");
	json_arc(res);
	printf(",\"dmarc\":");
	json_dmarc(&res->dmarc);
	printf("}\n");
}

/* ---- --explain ----------------------------------------------------------- */

static const char *
mode_word(enum vouch_dmarc_alignment a)
{
	return a == VOUCH_DMARC_STRICT ? "s" : "r";
}

static void
explain_spf(const struct vouch_verify_result *res,
    const struct vouch_dmarc_domain_result *dr)
{
	const struct vouch_spf_result *s = &res->spf;

	if (!res->spf_checked) {
		printf("- SPF was not checked (no client address).\n");
		return;
	}
	if (s->verdict != VOUCH_SPF_PASS) {
		printf("- SPF %s for %s%s%s%s: only an SPF pass can align.\n",
		    vouch_spf_verdict_str(s->verdict),
		    s->domain[0] ? s->domain : "(no domain)",
		    s->reason[0] ? " (" : "", s->reason,
		    s->reason[0] ? ")" : "");
		return;
	}
	if (dr == NULL || !dr->has_record) {
		printf("- SPF passed for %s.\n", s->domain);
		return;
	}
	if (dr->spf_aligned)
		printf("- SPF passed for %s, aligned with %s under aspf=%s.\n",
		    s->domain, dr->author_domain, mode_word(dr->record.aspf));
	else if (dr->record.aspf == VOUCH_DMARC_STRICT)
		printf("- SPF passed for %s, not aligned with %s under "
		       "aspf=s (strict: the names must be equal).\n",
		    s->domain, dr->author_domain);
	else
		printf("- SPF passed for %s, not aligned with %s under "
		       "aspf=r (its organizational domain is not %s).\n",
		    s->domain, dr->author_domain,
		    dr->org_domain[0] ? dr->org_domain : dr->author_domain);
}

static void
explain_dkim(const struct vouch_verify_result *res,
    const struct vouch_dmarc_domain_result *dr)
{
	const struct vouch_dkim_result *k = res->dkim;
	const struct vouch_dkim_signature *s;
	size_t i;

	if (k->nsig == 0) {
		printf("- The message has no DKIM signature%s%s.\n",
		    k->reason[0] ? ": " : "", k->reason);
		return;
	}
	for (i = 0; i < k->nsig; i++) {
		s = &k->sig[i];
		if (s->result != VOUCH_DKIM_PASS) {
			printf("- The signature by d=%s (s=%s) is %s: %s; it "
			       "cannot align.\n",
			    s->d[0] ? s->d : "?", s->s[0] ? s->s : "?",
			    vouch_dkim_verdict_str(s->result),
			    s->reason[0] ? s->reason : "no reason given");
			continue;
		}
		if (dr == NULL || !dr->has_record) {
			printf("- Signed by d=%s (s=%s): the signature "
			       "verified.\n",
			    s->d, s->s);
			continue;
		}
		if (i < VOUCH_DKIM_MAX_SIGNATURES && dr->dkim_aligned_each[i])
			printf("- Signed by d=%s, aligned with the From "
			       "domain %s under adkim=%s.\n",
			    s->d, dr->author_domain,
			    mode_word(dr->record.adkim));
		else
			printf("- Signed by d=%s, which is not the From domain "
			       "%s%s: the receiver would show 'via %s'.\n",
			    s->d, dr->author_domain,
			    dr->record.adkim == VOUCH_DMARC_STRICT
			        ? " (adkim=s: the names must be equal)"
			        : "",
			    s->d);
	}
}

/*
 * ARC, when it matters: DMARC did not pass and the message carries a
 * chain.  Says which sealer vouches and what it saw, and whether local
 * policy (--trusted-sealer) let that override the DMARC fail.
 */
static void
explain_arc(const struct vouch_verify_result *res)
{
	const struct vouch_arc_result *a = res->arc;
	const struct vouch_dmarc_result *r = &res->dmarc;
	const struct vouch_arc_instance *newest;
	struct vouch_arc_override seen;
	const char *sealer;

	if (a == NULL || a->cv == VOUCH_ARC_NONE ||
	    r->result == VOUCH_DMARC_PASS)
		return;
	if (a->cv == VOUCH_ARC_FAIL) {
		printf("- The message carries an ARC chain that did not "
		       "validate (%s): it vouches for nothing.\n",
		    a->reason[0] ? a->reason : "no reason given");
		return;
	}
	/* the trusted sealer's set, else the newest set's */
	newest = &a->inst[a->ninst - 1];
	sealer =
	    res->arc_trust.trusted ? res->arc_trust.sealer : newest->seal_d;
	if (vouch_arc_trusted_override(a, &sealer, 1, &seen) != VOUCH_OK)
		memset(&seen, 0, sizeof(seen));
	printf("- DMARC %s, but the message carries a valid ARC chain sealed "
	       "by %s, which saw",
	    r->result == VOUCH_DMARC_FAIL ? "failed"
	                                  : vouch_dmarc_verdict_str(r->result),
	    sealer);
	if (seen.override)
		printf("%s%s%s", seen.dmarc ? " dmarc=pass" : "",
		    seen.dkim ? " dkim=pass" : "", seen.spf ? " spf=pass" : "");
	else
		printf(" no spf, dkim or dmarc pass");
	printf(" (its ARC Set i=%u).\n",
	    seen.instance ? seen.instance : newest->i);
	if (res->arc_override)
		printf(
		    "- %s is a trusted ARC sealer: by local policy (RFC 8617 "
		    "7.2.1) the disposition is none, override local_policy; "
		    "the DMARC result stays fail.\n",
		    sealer);
	else if (r->result == VOUCH_DMARC_FAIL && seen.override &&
	         !res->arc_trust.trusted)
		printf("- %s is not a trusted ARC sealer (--trusted-sealer): "
		       "the DMARC policy stands.\n",
		    sealer);
	if (res->arc_override_reason[0] != '\0')
		printf("- Override %s: %s.\n",
		    res->arc_override ? "taken" : "not taken",
		    res->arc_override_reason);
}

static void
print_explain(const struct vouch_verify_result *res)
{
	const struct vouch_dmarc_result *r = &res->dmarc;
	const struct vouch_dmarc_domain_result *dr =
	    r->ndomains ? &r->domain[r->decisive] : NULL;

	if (dr == NULL) {
		printf("DMARC %s: %s.\n", vouch_dmarc_verdict_str(r->result),
		    r->reason);
	} else if (!dr->has_record) {
		printf("DMARC %s for the From domain %s: %s.\n",
		    vouch_dmarc_verdict_str(r->result), dr->author_domain,
		    r->reason);
	} else {
		printf("DMARC %s for the From domain %s (record at _dmarc.%s: "
		       "\"%s\").\n",
		    vouch_dmarc_verdict_str(r->result), dr->author_domain,
		    dr->policy_domain, dr->record.text);
	}
	explain_spf(res, dr);
	explain_dkim(res, dr);
	explain_arc(res);
	if (r->result == VOUCH_DMARC_PASS)
		printf("Verdict: pass, because %s.\n", r->reason);
	else if (r->result == VOUCH_DMARC_FAIL)
		printf("Verdict: fail, no identifier aligned with %s; the "
		       "policy %s=%s applies and the disposition is %s%s%s.\n",
		    dr ? dr->author_domain : "?",
		    cli_dmarc_tag_str(r->policy_tag),
		    vouch_dmarc_policy_str(r->policy),
		    vouch_dmarc_policy_str(r->disposition),
		    r->override != VOUCH_DMARC_OVERRIDE_NONE ? " override "
		                                             : "",
		    r->override != VOUCH_DMARC_OVERRIDE_NONE
		        ? vouch_dmarc_override_str(r->override)
		        : "");
	else
		printf("Verdict: %s: %s.\n", vouch_dmarc_verdict_str(r->result),
		    r->reason);
	if (r->unsafe != VOUCH_DMARC_SAFE)
		printf("The author cannot be read safely (%s: %s): it gets no "
		       "DMARC pass and a disposition no milder than "
		       "--unsafe-disposition (RFC 9989 4.4, 11.5); the "
		       "disposition is %s.\n",
		    vouch_dmarc_unsafe_str(r->unsafe), r->unsafe_reason,
		    vouch_dmarc_policy_str(r->disposition));
	if (res->orphan_len > 0)
		printf("Dropped %zu byte%s of continuation lines before the "
		       "first header field: printed below our field, they "
		       "would have been read as part of it (RFC 5322 2.2.3, "
		       "RFC 8601 5).\n",
		    res->orphan_len, cli_plural(res->orphan_len));
	if (res->nforged > 0)
		printf("Found %zu Authentication-Results field%s claiming "
		       "our authserv-id %s: forged (RFC 8601 5), removed from "
		       "the message.\n",
		    res->nforged, cli_plural(res->nforged), res->authserv_id);
}

/* ---- I/O ------------------------------------------------------------- */

static int
write_all(int fd, const void *p, size_t n)
{
	const uint8_t *b = p;
	ssize_t k;

	while (n > 0) {
		k = write(fd, b, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		b += k;
		n -= (size_t)k;
	}
	return 0;
}

/* Copies what is left of `in` to `out`; -1 on a read or write error. */
static int
copy_rest(int in, int out)
{
	static uint8_t buf[VOUCH_MESSAGE_CHUNK];
	ssize_t k;

	for (;;) {
		k = read(in, buf, sizeof(buf));
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -1;
		if (k == 0)
			return 0;
		if (write_all(out, buf, (size_t)k) < 0)
			return -1;
	}
}

/*
 * A message whose first line ends in a bare LF gets the field with LF line
 * ends too, so that the output keeps one convention.
 */
static int
uses_lf(const uint8_t *hdr, size_t len)
{
	const uint8_t *nl = memchr(hdr, '\n', len);

	return nl != NULL && (nl == hdr || nl[-1] != '\r');
}

/* Writes the field, its CRLFs turned into LFs when lf is set. */
static int
write_field(int fd, const char *field, size_t len, int lf)
{
	size_t i, from = 0;

	if (!lf)
		return write_all(fd, field, len);
	for (i = 0; i + 1 < len; i++)
		if (field[i] == '\r' && field[i + 1] == '\n') {
			if (write_all(fd, field + from, i - from) < 0)
				return -1;
			from = i + 1;
		}
	return write_all(fd, field + from, len - from);
}

/*
 * The header section without the fields claiming our authserv-id (RFC
 * 8601 §5), as the library found them: res->forged, in header order; and
 * without the continuation lines before its first field
 * (res->orphan_len), which would unfold into our field printed above them
 * (RFC 5322 §2.2.3, RFC 8601 §5).
 */
static int
write_header(
    const struct vouch_verify_result *res, const uint8_t *hdr, size_t len)
{
	size_t i, at = res->orphan_len < len ? res->orphan_len : len;

	for (i = 0; i < res->nforged; i++) {
		const struct vouch_authres_span *sp = &res->forged[i];

		if (sp->off < at || sp->off > len || sp->len > len - sp->off)
			continue;
		if (write_all(STDOUT_FILENO, hdr + at, sp->off - at) < 0)
			return -1;
		at = sp->off + sp->len;
	}
	return write_all(STDOUT_FILENO, hdr + at, len - at);
}

/*
 * A header section over the library's limit is copied through a filter
 * that judges each field as it passes (vouch_verify_forged_field), so that
 * a forged Authentication-Results field cannot hide behind a megabyte of
 * padding (RFC 8601 §5).  A field is held until it ends or FILTER_HOLD
 * bytes, enough for any name and authserv-id; a field still undecided
 * then is dropped when it is an Authentication-Results field (its id
 * pushed past FILTER_HOLD by comments) or holds a CR without LF (a reader
 * that ends lines there may see one in it): nothing trustworthy can be in
 * it.  In a field that is kept, a CR without LF followed by a field name
 * starts a field of its own for such readers: it is held and judged too,
 * and when dropped the CR gets its LF, so that no reader joins what
 * follows to the field before.  Continuation lines before the first field
 * are dropped (they would unfold into our field).
 */
#define FILTER_HOLD 4096

struct filter {
	const struct vouch_verify *v;
	uint8_t held[FILTER_HOLD];
	size_t nheld;
	int bol; /* at the beginning of a line */
	int cr; /* a CR seen at the beginning of a line, held back */
	int midcr; /* the last byte copied was a CR inside a line */
	int decided, drop; /* the current field */
	int virt; /* the current field began after a lone CR */
	int body; /* past the empty line: copy */
	int err;
};

static void
filter_out(struct filter *f, const void *p, size_t n)
{
	if (n > 0 && fwrite(p, 1, n, stdout) != n)
		f->err = 1;
}

/* Does the held text hold a CR that is not followed by LF? */
static int
held_lone_cr(const struct filter *f)
{
	size_t i;

	for (i = 0; i < f->nheld; i++)
		if (f->held[i] == '\r' &&
		    (i + 1 == f->nheld || f->held[i + 1] != '\n'))
			return 1;
	return 0;
}

/* Decides the current field from what is held; `whole`: it has ended. */
static void
filter_decide(struct filter *f, int whole)
{
	static const char ar[] = "authentication-results";
	size_t n = sizeof(ar) - 1;

	f->drop =
	    vouch_verify_forged_field(f->v, f->held, f->nheld) ||
	    (!whole && ((f->nheld >= n &&
	                    strncasecmp((const char *)f->held, ar, n) == 0) ||
	                   held_lone_cr(f)));
	f->decided = 1;
	if (!f->drop)
		filter_out(f, f->held, f->nheld);
	else if (f->virt)
		filter_out(f, "\n", 1); /* the CR before it was copied */
	f->nheld = 0;
	f->virt = 0;
}

/* The first byte of a line: a field begins unless it is a WSP. */
static void
filter_line(struct filter *f, uint8_t c)
{
	if (c == ' ' || c == '\t')
		return; /* a continuation line of the current field */
	if (!f->decided && f->nheld > 0)
		filter_decide(f, 1); /* the previous field ended */
	f->decided = 0;
	f->drop = 0;
}

/* One byte of the current field: held until decided, then copied or not. */
static void
filter_put(struct filter *f, uint8_t c)
{
	f->bol = c == '\n';
	if (f->decided) {
		if (f->drop)
			return;
		if (f->midcr && c != '\n' && c != ' ' && c != '\t') {
			/* a lone CR, then a field for some readers */
			f->midcr = 0;
			f->decided = 0;
			f->virt = 1;
		} else {
			f->midcr = c == '\r';
			filter_out(f, &c, 1);
			return;
		}
	}
	f->held[f->nheld++] = c;
	if (f->nheld == sizeof(f->held))
		filter_decide(f, 0);
}

/* The empty line: the header ends, the rest is copied as it comes. */
static void
filter_end(struct filter *f, const char *eol)
{
	if (!f->decided)
		filter_decide(f, 1);
	f->body = 1;
	filter_out(f, eol, strlen(eol));
}

static void
filter_byte(struct filter *f, uint8_t c)
{
	if (f->body) {
		filter_out(f, &c, 1);
		return;
	}
	if (f->bol && f->cr) {
		f->cr = 0;
		if (c == '\n') {
			filter_end(f, "\r\n");
			return;
		}
		/* not an empty line: the CR begins a line of its own */
		filter_line(f, '\r');
		filter_put(f, '\r');
	}
	if (f->bol) {
		f->midcr = 0;
		if (c == '\r') {
			f->cr = 1;
			return;
		}
		if (c == '\n') {
			filter_end(f, "\n");
			return;
		}
		filter_line(f, c);
	}
	filter_put(f, c);
}

/* Copies what is left on fd through the header filter. */
static int
copy_filtered(const struct vouch_verify *v, int fd)
{
	static uint8_t buf[VOUCH_MESSAGE_CHUNK];
	struct filter *f;
	ssize_t k;
	size_t i;
	int rc = -1;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return -1;
	f->v = v;
	f->bol = 1;
	/* nothing held before the first field, and continuation lines
	 * there are dropped */
	f->decided = 1;
	f->drop = 1;
	for (;;) {
		k = read(fd, buf, sizeof(buf));
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			goto out;
		if (k == 0)
			break;
		if (f->body) {
			filter_out(f, buf, (size_t)k);
			continue;
		}
		for (i = 0; i < (size_t)k; i++)
			filter_byte(f, buf[i]);
	}
	/* a message that ends inside its header */
	if (f->cr)
		filter_out(f, "\r", 1);
	if (!f->decided)
		filter_decide(f, 1);
	rc = f->err || fflush(stdout) != 0 ? -1 : 0;
out:
	free(f);
	return rc;
}

/*
 * After a header section over the limit: what is left on fd goes to the
 * library as header (it scans every byte, RFC 5322 §2.2; the body is not
 * needed: DKIM and ARC cannot be checked) and, when given, to the spool.
 */
static enum vouch_status
feed_rest(struct vouch_verify_msg *m, int fd, FILE *spool)
{
	static uint8_t buf[VOUCH_MESSAGE_CHUNK];
	enum vouch_status st;
	ssize_t k;

	for (;;) {
		k = read(fd, buf, sizeof(buf));
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return VOUCH_EIO;
		if (k == 0)
			return VOUCH_OK;
		if ((st = vouch_verify_msg_header(m, buf, (size_t)k)) !=
		    VOUCH_OK)
			return st;
		if (spool != NULL &&
		    fwrite(buf, 1, (size_t)k, spool) != (size_t)k)
			return VOUCH_EIO;
	}
}

struct verify_args {
	struct vouch_verify_smtp smtp;
	const char *zone, *server, *file;
	int header_only, json, explain;
	struct vouch_recorder *rec; /* --record */
	const char *rcpt_to; /* the first --rcpt-to */
	enum vouch_dmarc_mode mode;
	struct cli_failure failure;
	struct vouch_dns *dns;
};

/*
 * --record with nothing to record: why, in one line on stderr (standard
 * output is the verdict and stays as it is).  The library records an
 * author domain only when it has a DMARC record with a report destination
 * left after the external destination check (RFC 9990 §4).
 */
static void
record_nothing(const struct vouch_dmarc_result *r)
{
	const struct vouch_dmarc_domain_result *dr = NULL;
	size_t i;

	for (i = 0; i < r->ndomains && dr == NULL; i++)
		if (r->domain[i].has_record)
			dr = &r->domain[i];
	fputs("vouch verify: --record: nothing recorded: ", stderr);
	if (r->ndomains == 0)
		fputs("no author domain (no From address that can be read)\n",
		    stderr);
	else if (dr == NULL)
		fprintf(stderr, "no DMARC policy record for %s\n",
		    r->domain[r->decisive].author_domain);
	else if (dr->record.nrua + dr->record.nruf == 0)
		fprintf(stderr,
		    "the DMARC record of %s names no report destination "
		    "(rua=, ruf=)\n",
		    dr->policy_domain);
	else
		fprintf(stderr,
		    "no report destination of the DMARC record of %s is "
		    "usable (mailto:, and inside %s or authorized by the "
		    "external domain, RFC 9990 §4)\n",
		    dr->policy_domain, dr->org_domain);
}

/*
 * --record: what DMARC reporting needs of this verdict goes into the store
 * (RFC 9990 §3.1), committed before the command ends.
 */
static int
record(const struct verify_args *a, const struct vouch_verify_result *res)
{
	struct vouch_store_envelope env;
	enum vouch_status st;
	size_t n = 0;

	memset(&env, 0, sizeof(env));
	env.smtp = &a->smtp;
	env.rcpt_to = a->rcpt_to;
	env.rcpt_to_len = a->rcpt_to ? strlen(a->rcpt_to) : 0;
	env.mode = a->mode;
	st = vouch_recorder_add_verify(a->rec, res, &env, &n);
	if (st == VOUCH_OK)
		st = vouch_recorder_flush(a->rec);
	if (st != VOUCH_OK) {
		struct vouch_recorder_stats rs;

		vouch_recorder_stats(a->rec, &rs);
		fprintf(stderr, "vouch verify: --record: %s\n",
		    rs.last_error[0] ? rs.last_error : vouch_status_str(st));
		return CLI_EXIT_IO;
	}
	if (n == 0)
		record_nothing(&res->dmarc);
	return CLI_EXIT_OK;
}

/*
 * The body as far as a failure report may include it: kept only with
 * --failure-body, at most VOUCH_FAILURE_MAX_BODY bytes (beyond that the
 * report holds the header alone).
 */
struct kept_body {
	uint8_t *p;
	size_t len;
	int over;
};

static int
keep_body(struct kept_body *b, const uint8_t *p, size_t len)
{
	uint8_t *np;

	if (b->over || len == 0)
		return 0;
	if (len > VOUCH_FAILURE_MAX_BODY - b->len) {
		b->over = 1;
		return 0;
	}
	if ((np = realloc(b->p, b->len + len)) == NULL)
		return -1;
	memcpy(np + b->len, p, len);
	b->p = np;
	b->len += len;
	return 0;
}

/* The failure reports of the verdict (--failure-report DIR). */
static int
failure_reports(struct vouch_verify *v, const struct verify_args *a,
    const struct vouch_verify_result *res, const uint8_t *hdr, size_t hlen,
    const struct kept_body *body, int cut)
{
	struct vouch_failure_message msg;

	memset(&msg, 0, sizeof(msg));
	msg.header = hdr;
	msg.header_len = hlen;
	msg.body = body->p;
	msg.body_len = body->len;
	msg.body_complete = !body->over && !cut;
	msg.now = a->smtp.now ? a->smtp.now : time(NULL);
	msg.arrival = msg.now;
	return cli_failure_run(&a->failure, vouch_verify_authserv_id(v), res,
	    &a->smtp, &msg, a->dns);
}

/* Reads, verifies and writes one message; returns a CLI exit status. */
static int
run(struct vouch_verify *v, const struct verify_args *a)
{
	struct vouch_message_reader *r = NULL;
	struct vouch_verify_msg *m = NULL;
	struct vouch_verify_result *res = NULL;
	struct kept_body body = {NULL, 0, 0};
	const uint8_t *hdr = NULL, *p;
	size_t hlen = 0, len;
	off_t start = -1;
	FILE *spool = NULL;
	int fd = STDIN_FILENO, rc = CLI_EXIT_SOFTWARE, more = 1, cut = 0, lf;
	int passthru = !a->header_only && !a->json && !a->explain;
	enum vouch_status st;
	struct stat sb;

	if (a->file != NULL && (fd = open(a->file, O_RDONLY | O_CLOEXEC)) < 0) {
		fprintf(
		    stderr, "vouch verify: %s: %s\n", a->file, strerror(errno));
		return CLI_EXIT_IO;
	}
	/* A regular file is read again for the output; anything else is
	 * spooled to a temporary file: the body is never held in memory. */
	if (passthru && fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode))
		start = lseek(fd, 0, SEEK_CUR);
	if (passthru && start < 0 && (spool = tmpfile()) == NULL) {
		fprintf(stderr, "vouch verify: temporary file: %s\n",
		    strerror(errno));
		rc = CLI_EXIT_IO;
		goto out;
	}
	st = vouch_verify_msg_new(v, &a->smtp, &m);
	if (st == VOUCH_EINVAL) {
		fprintf(stderr,
		    "vouch verify: --ip %.*s is not an IP address\n",
		    (int)a->smtp.ip_len, a->smtp.ip);
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	if (st != VOUCH_OK ||
	    (st = vouch_message_reader_new(fd, &r)) != VOUCH_OK)
		goto fail;
	st = vouch_message_read_header(r, &hdr, &hlen);
	if (hdr == NULL) /* no header bytes, whatever the length says */
		hlen = 0;
	if (st == VOUCH_ELIMIT) {
		/* over the limit: a permerror verdict, the rest copied */
		more = 0;
		cut = 1;
	} else if (st != VOUCH_OK)
		goto fail;
	if ((st = vouch_verify_msg_header(m, hdr, hlen)) != VOUCH_OK)
		goto fail;
	if (cut) {
		/* the library holds no more, but scans all: a From field or
		 * a malformed line past the limit still counts */
		if (spool != NULL && hlen > 0 &&
		    fwrite(hdr, 1, hlen, spool) != hlen) {
			fprintf(stderr, "vouch verify: temporary file: %s\n",
			    strerror(errno));
			rc = CLI_EXIT_IO;
			goto out;
		}
		if ((st = feed_rest(m, fd, spool)) != VOUCH_OK)
			goto fail;
	}
	while (more) {
		if ((st = vouch_message_read_body(r, &p, &len)) != VOUCH_OK)
			goto fail;
		if ((st = vouch_verify_msg_body(m, p, len)) != VOUCH_OK)
			goto fail;
		if (a->failure.opts.include_body &&
		    keep_body(&body, p, len) < 0) {
			st = VOUCH_ENOMEM;
			goto fail;
		}
		if (spool != NULL && len > 0 &&
		    fwrite(p, 1, len, spool) != len) {
			fprintf(stderr, "vouch verify: temporary file: %s\n",
			    strerror(errno));
			rc = CLI_EXIT_IO;
			goto out;
		}
		more = len > 0;
	}
	if ((st = vouch_verify_msg_finish(m, &res)) != VOUCH_OK)
		goto fail;
	if (a->rec != NULL && (rc = record(a, res)) != CLI_EXIT_OK)
		goto out;
	lf = hdr != NULL && uses_lf(hdr, hlen);
	if (a->json) {
		print_json(res);
	} else if (a->explain) {
		fflush(stdout);
		if (write_field(STDOUT_FILENO, res->field, res->field_len, lf) <
		    0)
			goto wfail;
		print_explain(res);
	} else if (a->header_only) {
		if (write_field(STDOUT_FILENO, res->field, res->field_len, lf) <
		    0)
			goto wfail;
	} else {
		if (write_field(STDOUT_FILENO, res->field, res->field_len, lf) <
		    0)
			goto wfail;
		if (cut) {
			/* the reader stopped inside the header: the message,
			 * read again from the file or the spool, goes through
			 * the filter */
			int src = spool != NULL ? fileno(spool) : fd;

			if ((spool != NULL && fflush(spool) != 0) ||
			    lseek(src, spool != NULL ? 0 : start, SEEK_SET) <
			        0 ||
			    copy_filtered(v, src) < 0)
				goto wfail;
		} else if (write_header(res, hdr, hlen) < 0)
			goto wfail;
		else if (spool != NULL) {
			if (fflush(spool) != 0 ||
			    lseek(fileno(spool), 0, SEEK_SET) < 0 ||
			    copy_rest(fileno(spool), STDOUT_FILENO) < 0)
				goto wfail;
		} else if (lseek(fd, start + (off_t)hlen, SEEK_SET) < 0 ||
		           copy_rest(fd, STDOUT_FILENO) < 0)
			goto wfail;
	}
	rc = CLI_EXIT_OK;
	if (a->failure.dir != NULL)
		rc = failure_reports(v, a, res, hdr, hlen, &body, cut);
	goto out;
wfail:
	fprintf(stderr, "vouch verify: writing: %s\n", strerror(errno));
	rc = CLI_EXIT_IO;
	goto out;
fail:
	fprintf(stderr, "vouch verify: %s%s\n", vouch_status_str(st),
	    st == VOUCH_EIO ? " (reading the message)" : "");
	rc = st == VOUCH_EIO ? CLI_EXIT_IO : CLI_EXIT_SOFTWARE;
out:
	free(body.p);
	vouch_verify_result_free(res);
	vouch_verify_msg_free(m);
	vouch_message_reader_free(r);
	if (spool != NULL)
		fclose(spool);
	if (fd != STDIN_FILENO)
		close(fd);
	return rc;
}

/* sealers: room for the --trusted-sealer names, one per argument */
static int
verify_main(int argc, char **argv, const char **sealers)
{
	static const struct option longopts[] = {
	    {"ip", required_argument, NULL, 'i'},
	    {"helo", required_argument, NULL, 'H'},
	    {"mail-from", required_argument, NULL, 'm'},
	    {"authserv-id", required_argument, NULL, 'A'},
	    {"zone", required_argument, NULL, 'z'},
	    {"dns-server", required_argument, NULL, 'S'},
	    {"now", required_argument, NULL, 'n'},
	    {"rfc7489", no_argument, NULL, '7'},
	    {"psl", required_argument, NULL, 'P'},
	    {"seed", required_argument, NULL, 's'},
	    {"check-helo", no_argument, NULL, 'c'},
	    {"unsafe-disposition", required_argument, NULL, 'U'},
	    {"trusted-sealer", required_argument, NULL, 'T'},
	    {"header-only", no_argument, NULL, 'o'},
	    {"json", no_argument, NULL, 'j'},
	    {"explain", no_argument, NULL, 'e'},
	    {"record", no_argument, NULL, 'R'},
	    {"db", required_argument, NULL, 'D'},
	    {"rcpt-to", required_argument, NULL, 'r'},
	    {"failure-report", required_argument, NULL, CLI_FAILURE_OPT_DIR},
	    {"failure-from", required_argument, NULL, CLI_FAILURE_OPT_FROM},
	    {"failure-redact", required_argument, NULL, CLI_FAILURE_OPT_REDACT},
	    {"failure-redact-token", required_argument, NULL,
	        CLI_FAILURE_OPT_TOKEN},
	    {"failure-redact-key", required_argument, NULL,
	        CLI_FAILURE_OPT_KEY},
	    {"failure-rate", required_argument, NULL, CLI_FAILURE_OPT_RATE},
	    {"failure-state", required_argument, NULL, CLI_FAILURE_OPT_STATE},
	    {"failure-body", no_argument, NULL, CLI_FAILURE_OPT_BODY},
	    {"failure-kinds", required_argument, NULL, CLI_FAILURE_OPT_KINDS},
	    {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
	struct vouch_verify_options opts;
	struct verify_args a;
	struct vouch_verify *v = NULL;
	struct vouch_dns *dns = NULL;
	const char *ip = NULL, *helo = NULL, *mail_from = NULL;
	char err[512] = "", *end;
	const char *db = NULL;
	long long now;
	int ch, rc, want_record = 0;
	enum vouch_status st;

	vouch_verify_options_init(&opts);
	memset(&a, 0, sizeof(a));
	cli_failure_init(&a.failure);
	opts.trusted_sealers = sealers;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'i':
			ip = optarg;
			break;
		case 'H':
			helo = optarg;
			break;
		case 'm':
			mail_from = optarg;
			break;
		case 'A':
			opts.authserv_id = optarg;
			break;
		case 'z':
			a.zone = optarg;
			break;
		case 'S':
			a.server = optarg;
			break;
		case 'n':
			errno = 0;
			now = strtoll(optarg, &end, 10);
			if (errno || *end || end == optarg || now <= 0) {
				fprintf(stderr, "vouch verify: bad --now\n");
				return CLI_EXIT_USAGE;
			}
			opts.dkim.now = now;
			a.smtp.now = (time_t)now;
			break;
		case '7':
			opts.dmarc.mode = VOUCH_DMARC_MODE_RFC7489;
			break;
		case 'P':
			opts.dmarc.psl_file = optarg;
			break;
		case 's':
			errno = 0;
			opts.dmarc.seed = strtoull(optarg, &end, 10);
			if (errno || *end || end == optarg) {
				fprintf(stderr, "vouch verify: bad --seed\n");
				return CLI_EXIT_USAGE;
			}
			break;
		case 'c':
			opts.check_helo = true;
			break;
		case 'T':
			sealers[opts.ntrusted_sealers++] = optarg;
			break;
		case 'U':
			if (cli_parse_disposition(
			        optarg, &opts.dmarc.unsafe_disposition) < 0) {
				fprintf(stderr, "vouch verify: --unsafe-"
				                "disposition wants none, "
				                "quarantine or reject\n");
				return CLI_EXIT_USAGE;
			}
			break;
		case 'o':
			a.header_only = 1;
			break;
		case 'j':
			a.json = 1;
			break;
		case 'e':
			a.explain = 1;
			break;
		case 'R':
			want_record = 1;
			break;
		case 'D':
			db = optarg;
			break;
		case 'r':
			if (a.rcpt_to == NULL)
				a.rcpt_to = optarg;
			break;
		case 'h':
			verify_usage(stdout);
			return CLI_EXIT_OK;
		default:
			if (ch >= CLI_FAILURE_OPT_DIR &&
			    cli_failure_option(&a.failure, ch, optarg) == 0)
				break;
			verify_usage(stderr);
			return CLI_EXIT_USAGE;
		}
	}
	if (optind + 1 < argc || ip == NULL || helo == NULL ||
	    mail_from == NULL) {
		fprintf(stderr,
		    "vouch verify: --ip, --helo and --mail-from are "
		    "required (--mail-from '' or '<>' is the null sender)\n");
		verify_usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (a.header_only + a.json + a.explain > 1) {
		fprintf(stderr, "vouch verify: --header-only, --json and "
		                "--explain exclude each other\n");
		return CLI_EXIT_USAGE;
	}
	if (optind < argc && strcmp(argv[optind], "-") != 0)
		a.file = argv[optind];
	a.smtp.ip = ip;
	a.smtp.ip_len = strlen(ip);
	a.smtp.helo = helo;
	a.smtp.helo_len = strlen(helo);
	a.smtp.mail_from = mail_from;
	a.smtp.mail_from_len = strlen(mail_from);
	/* "<>" and "<a@b>" as written in the MAIL command (RFC 5321 §4.1.2) */
	if (a.smtp.mail_from_len >= 2 && mail_from[0] == '<' &&
	    mail_from[a.smtp.mail_from_len - 1] == '>') {
		a.smtp.mail_from++;
		a.smtp.mail_from_len -= 2;
	}

	if ((db != NULL || a.rcpt_to != NULL) && !want_record) {
		fprintf(stderr, "vouch verify: --db and --rcpt-to go with "
		                "--record\n");
		return CLI_EXIT_USAGE;
	}
	/* before any verdict is printed: a typo here would lose the reports */
	if (a.failure.dir != NULL &&
	    (rc = cli_failure_check_dir(&a.failure)) != CLI_EXIT_OK)
		return rc;
	a.mode = opts.dmarc.mode;
	if (want_record) {
		struct vouch_recorder_options ro;

		/* one message: commit at the end, on this thread */
		vouch_recorder_options_init(&ro);
		ro.thread = false;
		ro.batch_ms = 3600 * 1000;
		st = vouch_recorder_new(db, &ro, &a.rec, err, sizeof(err));
		if (st != VOUCH_OK) {
			fprintf(stderr, "vouch verify: --record: %s\n",
			    err[0] ? err : vouch_status_str(st));
			return cli_store_exit(st);
		}
		err[0] = '\0';
	}
	if ((rc = cli_open_dns(a.zone, a.server, &dns)) != 0) {
		vouch_recorder_free(a.rec);
		return rc;
	}
	a.dns = dns;
	st = vouch_verify_new(dns, &opts, &v, err, sizeof(err));
	if (st != VOUCH_OK) {
		fprintf(stderr, "vouch verify: %s\n",
		    err[0] ? err : vouch_status_str(st));
		rc = st == VOUCH_EIO      ? CLI_EXIT_IO
		     : st == VOUCH_EINVAL ? CLI_EXIT_USAGE
		                          : CLI_EXIT_SOFTWARE;
		goto done;
	}
	rc = run(v, &a);
done:
	vouch_recorder_free(a.rec);
	vouch_verify_free(v);
	vouch_dns_free(dns);
	if (fflush(stdout) != 0 && rc == CLI_EXIT_OK)
		rc = CLI_EXIT_IO;
	return rc;
}

int
cmd_verify(int argc, char **argv)
{
	const char **sealers;
	int rc;

	if ((sealers = calloc((size_t)argc, sizeof(*sealers))) == NULL)
		return CLI_EXIT_SOFTWARE;
	rc = verify_main(argc, argv, sealers);
	free(sealers);
	return rc;
}
