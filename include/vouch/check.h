/*
 * vouch: the domain owner's check of a sending domain.
 *
 * Looks up and lints the domain's SPF record (RFC 7208), its DMARC
 * record (RFC 9989, with the RFC 7489 pct= read as RFC 7489 does) and the
 * DKIM keys of the selectors the caller names (RFC 6376 §3.6.1, RFC
 * 8301, RFC 8463), and answers "if my mail leaves from this address or
 * through this provider, does it pass SPF and align for DMARC?".
 *
 * What is found is data: a list of findings, each with a severity, a
 * stable code, a message for a person and, where one helps, a suggested
 * record change.  The call's status only says whether the check could be
 * made at all (memory, arguments); a DNS failure is a finding.
 */
#ifndef VOUCH_CHECK_H
#define VOUCH_CHECK_H

#include <stddef.h>

#include "dns.h"
#include "limits.h"
#include "spf.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* How bad a finding is; the order is the order of gravity. */
enum vouch_check_severity {
	VOUCH_CHECK_INFO = 0, /* worth knowing, nothing to fix */
	VOUCH_CHECK_WARNING, /* works, but weak or fragile */
	VOUCH_CHECK_ERROR /* mail fails or the record is broken */
};

/* The part of the domain's set-up a finding is about. */
enum vouch_check_area {
	VOUCH_CHECK_SPF = 0,
	VOUCH_CHECK_DMARC,
	VOUCH_CHECK_DKIM,
	VOUCH_CHECK_SEND /* the --ip / --via question */
};

/*
 * One finding.  `code` is a stable identifier ("spf-too-many-lookups"),
 * a static string; `message` and `fix` are NUL-terminated English text
 * inside the struct, cut with "..." when longer; `fix` is "" when there
 * is no record change to suggest.
 */
struct vouch_check_finding {
	enum vouch_check_area area;
	enum vouch_check_severity severity;
	const char *code;
	char message[VOUCH_CHECK_MAX_TEXT];
	char fix[VOUCH_CHECK_MAX_TEXT];
};

/* What was learnt of the SPF record (strings owned by the report). */
struct vouch_check_spf {
	size_t nrecords; /* TXT records at the domain starting v=spf1 */
	char *record; /* the first of them, NUL-terminated; NULL if none */
	/*
	 * Worst case over the whole include/redirect tree: terms that cost
	 * a DNS lookup (include, a, mx, ptr, exists, redirect; RFC 7208
	 * §4.6.4), and those whose lookup finds nothing (void lookups).
	 */
	unsigned lookups;
	unsigned void_lookups;
	unsigned nrecords_walked; /* SPF records fetched for the tree */
	/*
	 * The names whose records the tree reached through include: and
	 * redirect=, the domain first, in the order walked (a name reached
	 * twice is listed twice); lower case, no final dot.
	 */
	size_t ntree;
	char tree[VOUCH_CHECK_MAX_SPF_RECORDS][VOUCH_DNS_MAX_NAME + 1];
	/* --ip: the verdict of check_host() for postmaster@domain */
	int ip_checked;
	enum vouch_spf_verdict ip_verdict;
	char ip_mechanism[VOUCH_SPF_MAX_TEXT + 1];
};

/* What was learnt of the DMARC record (strings owned by the report). */
struct vouch_check_dmarc {
	char *record; /* the record that applies; NULL if none */
	char policy_domain[VOUCH_DNS_MAX_NAME + 1]; /* where it was found */
	char p[16], sp[16], np[16]; /* "none", ...; "" when absent */
	unsigned pct; /* 100 when absent */
	int testing; /* t=y */
	size_t nrua; /* rua URIs published */
	size_t nrua_usable; /* of them: internal or authorized mailto */
};

/* One DKIM selector's key record. */
struct vouch_check_dkim {
	char selector[VOUCH_DNS_MAX_NAME + 1];
	int found; /* a key record was found */
	char key_type[16]; /* "rsa", "ed25519"; "" when unknown */
	unsigned bits; /* RSA modulus size; 256 for Ed25519; 0 if unknown */
	int testing; /* t=y */
	int revoked; /* empty p= */
	int sha1_only; /* h=sha1 */
};

/* The result of vouch_check_domain.  Owned by the caller. */
struct vouch_check_report {
	char domain[VOUCH_DNS_MAX_NAME + 1]; /* lower case, no final dot */
	size_t nfindings;
	/* over VOUCH_CHECK_MAX_FINDINGS, or VOUCH_CHECK_MAX_SAME_CODE of a
	 * code */
	size_t nfindings_dropped;
	struct vouch_check_finding finding[VOUCH_CHECK_MAX_FINDINGS];
	struct vouch_check_spf spf;
	struct vouch_check_dmarc dmarc;
	size_t ndkim;
	struct vouch_check_dkim dkim[VOUCH_CHECK_MAX_SELECTORS];
};

/*
 * What to check besides the records.  Strings are NUL-terminated and read
 * only during the call.
 *   selectors/nselectors  DKIM selectors whose keys are checked (DKIM
 *                         keys cannot be discovered: RFC 6376 §3.1).
 *   ip                    a sending address: does SPF pass for it?
 *   via                   a provider's domain the mail is sent through:
 *                         does the domain's SPF authorize the provider,
 *                         and which include would?
 */
struct vouch_check_options {
	const char *const *selectors;
	size_t nselectors;
	const char *ip;
	const char *via;
};

/*
 * vouch_check_domain - look up and lint a domain's SPF, DMARC and DKIM
 * records, and answer the --ip / --via question.
 * In:  dns, the resolver (only used during the call); domain/len, the
 *      domain in text, a final dot accepted, U-labels converted to
 *      A-labels (RFC 5890 §2.3), not NUL-terminated; opts, NULL for no
 *      selectors, no ip, no via.
 * Out: *out, a new report owned by the caller (vouch_check_report_free),
 *      its findings in the order SPF, DMARC, DKIM, send.
 * Every DNS outcome is a finding ("spf-dns-error" for a timeout, ...).
 * Errors: VOUCH_EINVAL (NULL arguments, a domain that is not a domain
 *         name, an ip that is not an IP address, a via that is not a
 *         domain name, more than VOUCH_CHECK_MAX_SELECTORS selectors or
 *         one that is not a DNS label sequence), VOUCH_ENOMEM.
 * Thread safe if the resolver is.
 */
VOUCH_API VOUCH_WARN_UNUSED enum vouch_status vouch_check_domain(
    struct vouch_dns *dns, const char *domain, size_t len,
    const struct vouch_check_options *opts, struct vouch_check_report **out);

/*
 * vouch_check_report_free - release a report of vouch_check_domain and the
 * record texts it owns; NULL is a no-op.  No error.
 */
VOUCH_API void vouch_check_report_free(struct vouch_check_report *r);

/*
 * vouch_check_worst - the gravest severity among the report's findings;
 * VOUCH_CHECK_INFO when there is none or r is NULL.  r stays the caller's.
 * No error; thread safe.  (Severities are vouch's own, not an RFC's; each
 * finding's message names the RFC section it rests on.)
 */
VOUCH_API enum vouch_check_severity vouch_check_worst(
    const struct vouch_check_report *r);

/*
 * Words for the JSON report and the text output: "info", "warning",
 * "error"; "spf" (RFC 7208), "dmarc" (RFC 9989), "dkim" (RFC 6376),
 * "send".  A static NUL-terminated string, never NULL ("unknown" for a
 * value out of range).  No error; thread safe.
 */
VOUCH_API const char *vouch_check_severity_str(enum vouch_check_severity s);
VOUCH_API const char *vouch_check_area_str(enum vouch_check_area a);

#ifdef __cplusplus
}
#endif
#endif
