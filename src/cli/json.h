/*
 * JSON output of the `vouch` subcommands: strings (RFC 8259 §7).
 */
#ifndef VOUCH_CLI_JSON_H
#define VOUCH_CLI_JSON_H

#include <stddef.h>
#include <stdio.h>

#include "vouch/dmarc.h"
#include "vouch/feedback.h"

/*
 * How a JSON string shows the bytes of 0x80 and above.  Every mode
 * escapes '"' and '\' with a backslash and the control bytes (below 0x20,
 * and 0x7f) as \u00XX.
 */
enum cli_json_8bit {
	/* each byte as \u00XX, the Latin-1 character of the same value:
	 * the output is valid JSON whatever the input */
	CLI_JSON_8BIT_LATIN1,
	/* valid UTF-8 (RFC 3629 §4) copied, any other byte as \u00XX */
	CLI_JSON_8BIT_UTF8,
	/* valid UTF-8 copied, any other byte as U+FFFD (\ufffd) */
	CLI_JSON_8BIT_UTF8_FFFD,
};

/*
 * cli_json_strn - writes s[0..len) to fp as a quoted JSON string, bytes of
 * 0x80 and above shown as `mode` says.  s need not be NUL-terminated and
 * may hold NULs (written as \u0000); s may be NULL if len is 0.
 */
void cli_json_strn(
    FILE *fp, const char *s, size_t len, enum cli_json_8bit mode);

/* cli_json_str - cli_json_strn() of the NUL-terminated string s. */
void cli_json_str(FILE *fp, const char *s, enum cli_json_8bit mode);

/*
 * cli_json_str_or_null - cli_json_str() of s, or the literal null where s
 * is NULL (a field the report or the store does not have).
 */
void cli_json_str_or_null(FILE *fp, const char *s, enum cli_json_8bit mode);

/*
 * cli_json_member - writes sep (the punctuation before the member, e.g.
 * "," or "{"), then "key": and the value s as cli_json_str_or_null() does.
 * key is written as it is: a name the caller spells, never input.
 */
void cli_json_member(FILE *fp, const char *sep, const char *key, const char *s,
    enum cli_json_8bit mode);

/*
 * cli_json_feedback_evaluated - the members ,"count":N,"disposition":..,
 * "dkim":..,"spf":.. of an aggregate report's record (row/count and
 * row/policy_evaluated, RFC 9990 §3.1.1.8-9).
 */
void cli_json_feedback_evaluated(
    FILE *fp, const struct vouch_feedback_record *r, enum cli_json_8bit mode);

/*
 * cli_json_feedback_identifiers - the members ,"header_from":..,
 * "envelope_from":..,"envelope_to":.. of an aggregate report's record
 * (identifiers, RFC 9990 §3.1.1.11), null where the report has none.
 */
void cli_json_feedback_identifiers(
    FILE *fp, const struct vouch_feedback_record *r, enum cli_json_8bit mode);

/*
 * cli_json_feedback_reasons - the member ,"reasons":[{"type":..,
 * "comment":..},...] of an aggregate report's record (policy_evaluated/
 * reason, RFC 9990 §3.1.1.14), as `report ingest --json` and `report
 * export --format json` both print it.
 */
void cli_json_feedback_reasons(
    FILE *fp, const struct vouch_feedback_record *r, enum cli_json_8bit mode);

/*
 * cli_json_feedback_auth_results - the member ,"auth_results":{"dkim":[..],
 * "spf":[..]} of an aggregate report's record (RFC 9990 §3.1.1.10-11),
 * each result with every field, null where the report has none.
 */
void cli_json_feedback_auth_results(
    FILE *fp, const struct vouch_feedback_record *r, enum cli_json_8bit mode);

/* cli_dmarc_tag_str - "p", "sp" or "np", the tag a policy came from; "". */
const char *cli_dmarc_tag_str(enum vouch_dmarc_policy_tag t);

/* cli_json_dmarc_policy - the member ,"KEY":POLICY (null when unset). */
void cli_json_dmarc_policy(FILE *fp, const char *key, enum vouch_dmarc_policy p,
    enum cli_json_8bit mode);

/*
 * cli_json_dmarc_verdict - the members of a DMARC verdict that `vouch
 * dmarc --json` and `vouch verify --json` share: "result" to "record" (the
 * decisive author domain's), then "unsafe" and "unsafe_reason" (null, or
 * why the author cannot be read safely), without the braces around the
 * object.
 */
void cli_json_dmarc_verdict(
    FILE *fp, const struct vouch_dmarc_result *r, enum cli_json_8bit mode);

/*
 * cli_parse_disposition - "none", "quarantine" or "reject" (the argument
 * of --unsafe-disposition) into *out; 0, or -1 for another word.
 */
int cli_parse_disposition(const char *s, enum vouch_dmarc_policy *out);

#endif
