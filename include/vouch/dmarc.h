/*
 * vouch: DMARC (RFC 9989; RFC 7489 as a compatibility mode).
 *
 * Given the From field(s) of a message and the SPF and DKIM results as
 * facts, finds the Author Domain, discovers the DMARC Policy Record (the
 * RFC 9989 §4.10 DNS tree walk, or RFC 7489 §6.6.3 with the Public Suffix
 * List), checks identifier alignment and says which policy applies.  The
 * verdict is data (struct vouch_dmarc_result); the call's status only says
 * whether the evaluation could be done.
 */
#ifndef VOUCH_DMARC_H
#define VOUCH_DMARC_H

#include <stddef.h>
#include <stdint.h>

#include "dns.h"
#include "limits.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The DMARC result (RFC 8601 §2.7.1 "dmarc" method, RFC 9989 §9.2). */
enum vouch_dmarc_verdict {
	VOUCH_DMARC_NONE = 0, /* no policy record: DMARC does not apply */
	VOUCH_DMARC_PASS,
	VOUCH_DMARC_FAIL,
	VOUCH_DMARC_TEMPERROR, /* a DNS query failed for now */
	VOUCH_DMARC_PERMERROR /* no usable From, or a broken record */
};

/* A policy value (p=, sp=, np=) or a disposition. */
enum vouch_dmarc_policy {
	VOUCH_DMARC_POLICY_UNSET = 0, /* tag absent (or no record) */
	VOUCH_DMARC_POLICY_NONE,
	VOUCH_DMARC_POLICY_QUARANTINE,
	VOUCH_DMARC_POLICY_REJECT
};

/* Which tag supplied the policy that applies. */
enum vouch_dmarc_policy_tag {
	VOUCH_DMARC_TAG_NONE = 0, /* no policy applied */
	VOUCH_DMARC_TAG_P,
	VOUCH_DMARC_TAG_SP,
	VOUCH_DMARC_TAG_NP
};

/* adkim= / aspf= (RFC 9989 §4.7). */
enum vouch_dmarc_alignment { VOUCH_DMARC_RELAXED = 0, VOUCH_DMARC_STRICT };

/* psd= (RFC 9989 §4.7); RFC 7489 records have none (UNKNOWN). */
enum vouch_dmarc_psd {
	VOUCH_DMARC_PSD_UNKNOWN = 0, /* "u", the default */
	VOUCH_DMARC_PSD_YES,
	VOUCH_DMARC_PSD_NO
};

/* The policy-override reasons of the aggregate report (RFC 9990 §3.1.1.14
 * PolicyOverrideType; RFC 7489 Appendix C). */
enum vouch_dmarc_override {
	VOUCH_DMARC_OVERRIDE_NONE = 0,
	VOUCH_DMARC_OVERRIDE_FORWARDED,
	VOUCH_DMARC_OVERRIDE_SAMPLED_OUT,
	VOUCH_DMARC_OVERRIDE_TRUSTED_FORWARDER,
	VOUCH_DMARC_OVERRIDE_MAILING_LIST,
	VOUCH_DMARC_OVERRIDE_LOCAL_POLICY,
	VOUCH_DMARC_OVERRIDE_OTHER
};

/*
 * Why a message's author could not be read safely.  RFC 9989 §4.4: DMARC
 * "is predicated on the input being a valid message object"; for messages
 * that are not, and for malformed or multi-valued From fields, §4.4 and
 * §11.5 leave the handling to the receiver.  vouch's rule (doc/threat-
 * model.md): whatever the sender controls may make the verdict worse,
 * never better.  So a message with any of these gets no DMARC pass, and at
 * least the disposition of vouch_dmarc_options.unsafe_disposition
 * (quarantine by default), with the reason in vouch_dmarc_result.
 * vouch_dmarc_unsafe_str() gives the word for logs and JSON (in quotes).
 */
enum vouch_dmarc_unsafe {
	VOUCH_DMARC_SAFE = 0,
	/* "header-malformed": the header section is not RFC 5322 §2.2 (a
	 * continuation line first, a line that is no field, a bad field
	 * name, a CR without LF) */
	VOUCH_DMARC_UNSAFE_HEADER,
	/* "no-from": no From field (RFC 5322 §3.6: exactly one) */
	VOUCH_DMARC_UNSAFE_NO_FROM,
	/* "several-from": more than one From field; every one is evaluated */
	VOUCH_DMARC_UNSAFE_SEVERAL_FROM,
	/* "from-malformed": a From field that RFC 5322 §3.4 does not parse,
	 * or a domain that is not UTF-8 */
	VOUCH_DMARC_UNSAFE_MALFORMED_FROM,
	/* "no-author-domain": an address without a usable domain (empty
	 * group, address literal, a domain that is not a valid name) */
	VOUCH_DMARC_UNSAFE_NO_AUTHOR_DOMAIN,
	/* "from-ambiguous": RFC 5322 and a reader that decodes RFC 2047
	 * encoded-words find different addresses, or an encoded-word shows
	 * an address of its own */
	VOUCH_DMARC_UNSAFE_AMBIGUOUS_FROM,
	/* "from-hidden-characters": characters a reader may not show in an
	 * address (zero-width, bidi, non-ASCII spaces, ...), or bidi
	 * overrides anywhere in the field; the domain is evaluated as shown,
	 * those characters removed */
	VOUCH_DMARC_UNSAFE_HIDDEN_CHARS,
	/* "from-incomplete": not every author was read: a From field past
	 * the header limits, more than VOUCH_FROM_MAX_MAILBOXES addresses or
	 * VOUCH_DMARC_MAX_AUTHOR_DOMAINS domains (RFC 9989 §11.5: "the DMARC
	 * evaluation is incomplete") */
	VOUCH_DMARC_UNSAFE_INCOMPLETE
};

/* How the Organizational Domain is found. */
enum vouch_dmarc_mode {
	VOUCH_DMARC_MODE_RFC9989 = 0, /* DNS tree walk, RFC 9989 §4.10 */
	VOUCH_DMARC_MODE_RFC7489 /* Public Suffix List, RFC 7489 §3.2 */
};

/* fo= flags (RFC 9989 §4.7). */
#define VOUCH_DMARC_FO_0 0x1u
#define VOUCH_DMARC_FO_1 0x2u
#define VOUCH_DMARC_FO_D 0x4u
#define VOUCH_DMARC_FO_S 0x8u

/* Bits of vouch_dmarc_record.invalid: tags whose value was not valid. */
#define VOUCH_DMARC_BAD_P 0x001u
#define VOUCH_DMARC_BAD_SP 0x002u
#define VOUCH_DMARC_BAD_NP 0x004u
#define VOUCH_DMARC_BAD_ADKIM 0x008u
#define VOUCH_DMARC_BAD_ASPF 0x010u
#define VOUCH_DMARC_BAD_FO 0x020u
#define VOUCH_DMARC_BAD_RUA 0x040u
#define VOUCH_DMARC_BAD_RUF 0x080u
#define VOUCH_DMARC_BAD_T 0x100u
#define VOUCH_DMARC_BAD_PSD 0x200u
#define VOUCH_DMARC_BAD_PCT 0x400u
#define VOUCH_DMARC_BAD_RF 0x800u
#define VOUCH_DMARC_BAD_RI 0x1000u
#define VOUCH_DMARC_BAD_SYNTAX 0x2000u /* a term that is not tag=value */

/* One report URI of rua= or ruf= (RFC 9989 §4.6, RFC 7489 §6.2). */
struct vouch_dmarc_uri {
	const char *uri; /* as published, "!size" removed, NUL-terminated */
	uint64_t max_size; /* bytes from "!10m" (RFC 7489 §6.4), 0 = none */
	const char *host; /* destination host, lower case; "" if none */
	int external; /* host outside the policy's Organizational Domain */
	int kept; /* usable: mailto, and internal or authorized
	             (RFC 9990 §4, RFC 7489 §7.1) */
	int tempfail; /* the authorization query failed temporarily */
	/*
	 * The destination's replacement (RFC 9990 §4 step 9): the URIs of the
	 * authorizing record's rua= (ruf= for a ruf URI), comma-separated,
	 * sizes removed, all at the same host; NULL when none.  Owned by the
	 * record.
	 */
	char *override;
};

/*
 * A parsed DMARC Policy Record.  Strings point into `buf`, owned by the
 * record (vouch_dmarc_record_free).
 */
struct vouch_dmarc_record {
	const char *text; /* the record as published, NUL-terminated */
	size_t textlen;
	enum vouch_dmarc_policy p, sp, np; /* UNSET when absent or invalid */
	enum vouch_dmarc_alignment adkim, aspf;
	enum vouch_dmarc_psd psd;
	int testing; /* t=y (RFC 9989) */
	unsigned fo; /* VOUCH_DMARC_FO_*; 0 when absent */
	unsigned pct; /* 0..100, default 100 (RFC 7489 only) */
	int rf_afrf; /* rf= names afrf (the default; RFC 7489 only) */
	uint32_t ri; /* seconds, default 86400 (RFC 7489 only) */
	size_t nrua, nruf;
	struct vouch_dmarc_uri rua[VOUCH_DMARC_MAX_URIS];
	struct vouch_dmarc_uri ruf[VOUCH_DMARC_MAX_URIS];
	size_t nuris_dropped; /* URIs over VOUCH_DMARC_MAX_URIS, or invalid */
	unsigned invalid; /* VOUCH_DMARC_BAD_* */
	char *buf;
};

/*
 * vouch_dmarc_record_parse - parse one TXT record as a DMARC Policy Record.
 * In:  p/len, the TXT rdata with its character-strings joined (RFC 9989
 *      §4.5), len bytes, not NUL-terminated, any bytes, not kept (NULL
 *      with len 0 is the empty record).  rec, the caller's, not NULL.
 * Out: *rec, filled; the record owns copies of its texts (buf, the URIs'
 *      overrides); free them with vouch_dmarc_record_free (also after an
 *      error: it then holds the defaults).
 * Unknown tags are ignored; an invalid value leaves the tag at its default
 * and sets its VOUCH_DMARC_BAD_* bit (RFC 9989 §4.8: syntax errors "MUST be
 * discarded in favor of default values"); a term that is not tag=value sets
 * VOUCH_DMARC_BAD_SYNTAX and is skipped.  The first occurrence of a
 * repeated tag counts.  Size suffixes of URIs ("!10m", powers of two, RFC
 * 7489 §6.4) are read into max_size; a size that does not fit 64 bits makes
 * the URI invalid.
 * Errors: VOUCH_EINVAL (rec NULL, or p NULL with len > 0), VOUCH_ESYNTAX
 *         (the record does not start with "v=DMARC1", RFC 9989 §4.7: "the
 *         entire record MUST be ignored"), VOUCH_ELIMIT (over
 *         VOUCH_DNS_MAX_TXT bytes), VOUCH_ENOMEM.
 * Thread safe.
 */
VOUCH_API VOUCH_WARN_UNUSED enum vouch_status vouch_dmarc_record_parse(
    const uint8_t *p, size_t len, struct vouch_dmarc_record *rec);

/*
 * vouch_dmarc_record_free - release the storage a record owns (not the
 * struct itself, which is the caller's) and zero it; safe twice, NULL is a
 * no-op.  No error.  RFC 9989 §4.7 (the record).
 */
VOUCH_API void vouch_dmarc_record_free(struct vouch_dmarc_record *rec);

/* An SPF or DKIM result handed to DMARC as a fact. */
enum vouch_dmarc_auth {
	VOUCH_DMARC_AUTH_NONE = 0,
	VOUCH_DMARC_AUTH_PASS,
	VOUCH_DMARC_AUTH_FAIL,
	VOUCH_DMARC_AUTH_SOFTFAIL,
	VOUCH_DMARC_AUTH_NEUTRAL,
	VOUCH_DMARC_AUTH_POLICY,
	VOUCH_DMARC_AUTH_TEMPERROR,
	VOUCH_DMARC_AUTH_PERMERROR
};

/*
 * One authenticated identifier: the SPF result with the domain SPF checked
 * (the MAIL FROM domain, or the HELO identity when MAIL FROM was null, RFC
 * 9989 §3.2.4), or one DKIM signature's result with its d= (RFC 9989
 * §4.4.1).  `domain` need not be NUL-terminated; a trailing dot and upper
 * case are accepted, U-labels are converted to A-labels.
 */
struct vouch_dmarc_ident {
	enum vouch_dmarc_auth result;
	const char *domain;
	size_t domainlen;
};

/*
 * What DMARC is told about the message besides its From field(s).
 * unsafe/unsafe_reason: what the caller found wrong with the header
 * section around the From fields it gives (VOUCH_DMARC_UNSAFE_HEADER,
 * _INCOMPLETE, ...; SAFE = nothing), and why (NUL-terminated, copied;
 * NULL for none).  vouch_dmarc_evaluate_message finds it itself.
 */
struct vouch_dmarc_facts {
	const struct vouch_dmarc_ident *spf; /* NULL: SPF not checked */
	const struct vouch_dmarc_ident *dkim; /* one per signature */
	size_t ndkim;
	enum vouch_dmarc_unsafe unsafe;
	const char *unsafe_reason;
};

/* Options; zero-filled is the RFC 9989 default. */
struct vouch_dmarc_options {
	enum vouch_dmarc_mode mode;
	/*
	 * RFC 7489 mode: the Public Suffix List file (the format of
	 * publicsuffix.org); NULL = the system's list (Debian package
	 * "publicsuffix"), else the copy built into libpsl.
	 */
	const char *psl_file;
	/* Several author domains: 0 = evaluate each and apply the strictest
	 * failing policy (RFC 7489 §6.6.1, RFC 9989 §11.5); 1 = permerror. */
	int multi_domain_permerror;
	/* pct= sampling (RFC 7489 mode only): 0 = random, else a seed that
	 * makes the sequence of decisions repeatable (tests). */
	uint64_t seed;
	/* 1 = do not query report authorization records (RFC 9990 §4). */
	int skip_report_check;
	/* A receiver's decision to deviate from a failing policy (RFC 9989
	 * §5.4), reported as the policy override: the reason and the
	 * disposition to use instead.  OVERRIDE_NONE = follow the policy. */
	enum vouch_dmarc_override local_override;
	enum vouch_dmarc_policy local_disposition;
	/*
	 * The least disposition of a message whose author cannot be read
	 * safely (enum vouch_dmarc_unsafe): UNSET (0) = quarantine, the
	 * default; NONE, QUARANTINE or REJECT.  RFC 9989 §4.4 and §11.5
	 * leave such messages to the receiver.
	 */
	enum vouch_dmarc_policy unsafe_disposition;
};

/* The evaluation for one author domain. */
struct vouch_dmarc_domain_result {
	char author_domain[VOUCH_DNS_MAX_NAME + 1]; /* A-label, lower case */
	char org_domain[VOUCH_DNS_MAX_NAME + 1]; /* "" when not found */
	char policy_domain[VOUCH_DNS_MAX_NAME + 1]; /* where the record was */
	enum vouch_dmarc_verdict result;
	int has_record;
	struct vouch_dmarc_record record; /* valid when has_record */
	enum vouch_dmarc_policy policy; /* p/sp/np value that applied */
	enum vouch_dmarc_policy_tag policy_tag;
	enum vouch_dmarc_policy disposition; /* after t=, pct=, overrides */
	enum vouch_dmarc_override override;
	int author_exists; /* -1 not asked, 0 NXDOMAIN, 1 exists */
	int spf_aligned; /* SPF passed and aligned */
	int dkim_aligned; /* some DKIM signature passed and aligned */
	/* per facts->dkim[i]: 1 when that signature passed and aligned */
	unsigned char dkim_aligned_each[VOUCH_DKIM_MAX_SIGNATURES];
	char reason[160]; /* why; static English, NUL-terminated */
};

/*
 * The verdict for a message.  The overall fields are those of the domain
 * that decided (`decisive`, index into `domain`).  Owned by the caller;
 * vouch_dmarc_result_free releases the records inside.  domain[i] is set
 * for i < ndomains, and domain[0] is all zero when ndomains is 0; the
 * entries past them are not written (at 2.6 KB each, clearing all eight
 * for every message cost more than the rest of the verdict's bookkeeping).
 */
struct vouch_dmarc_result {
	enum vouch_dmarc_verdict result;
	enum vouch_dmarc_policy policy;
	enum vouch_dmarc_policy_tag policy_tag;
	enum vouch_dmarc_policy disposition;
	enum vouch_dmarc_override override;
	char reason[160];
	size_t ndomains;
	size_t decisive;
	struct vouch_dmarc_domain_result domain[VOUCH_DMARC_MAX_AUTHOR_DOMAINS];
	unsigned long nlookups; /* DNS queries made */
	/*
	 * SAFE, or why the author could not be read safely, and in words
	 * (static English with the detail: "the From field holds U+200E, which
	 * a reader may not show, in the domain victim.example"; NUL-
	 * terminated), for the log and the aggregate report's policy override
	 * comment.  When not SAFE the result is never pass, and the
	 * disposition is at least options.unsafe_disposition: result fail
	 * keeps the strictest policy, pass, none and permerror become
	 * permerror, temperror stays; where that raised the disposition,
	 * override is local_policy (RFC 9989 §5.4).
	 */
	enum vouch_dmarc_unsafe unsafe;
	char unsafe_reason[200];
};

struct vouch_dmarc; /* opaque: options, the loaded PSL, sampling state */

/*
 * vouch_dmarc_new - a DMARC evaluator.
 * In:  opts, copied (NULL = defaults, RFC 9989 mode); opts->psl_file, a
 *      NUL-terminated path, is read now and not kept (RFC 7489 mode only;
 *      NULL: the system's list, else libpsl's built-in one).  err/errlen:
 *      the caller's buffer of errlen bytes for a NUL-terminated message
 *      (may be NULL/0).  out must not be NULL.
 * Out: *out, owned by the caller (vouch_dmarc_free); NULL on error.
 * Errors: VOUCH_EIO (the PSL file cannot be read or holds no rule),
 *         VOUCH_ENOMEM.
 * RFC 9989 §4.10 (the tree walk), RFC 7489 §3.2 (the PSL).
 * A handle is used by one thread at a time (pct sampling state).
 */
VOUCH_API VOUCH_WARN_UNUSED enum vouch_status vouch_dmarc_new(
    const struct vouch_dmarc_options *opts, struct vouch_dmarc **out, char *err,
    size_t errlen);

/*
 * vouch_dmarc_free - release an evaluator and the PSL it loaded; results
 * already returned stay the caller's.  NULL is a no-op.  No error.
 */
VOUCH_API void vouch_dmarc_free(struct vouch_dmarc *d);

/*
 * vouch_dmarc_evaluate - the DMARC verdict for one message.
 * In:  d, the evaluator; dns, the resolver (used only during the call);
 *      from/fromlen/nfrom, the message's nfrom From header fields, field
 *      i being from[i], fromlen[i] bytes, raw ("From: ..." with its
 *      folding, CRLF or LF, not NUL-terminated), not kept; facts, the SPF
 *      and DKIM results (NULL: none), read during the call.
 * Out: *res, the caller's, overwritten; it then owns the records it holds:
 *      release them with vouch_dmarc_result_free.
 * Verdicts (data in *res): each author domain of every From field is
 * evaluated (RFC 9989 §5.3.1, §11.5), the strictest failing policy wins;
 * the domain is read as a reader shows it (hidden code points removed).
 * A message whose author cannot be read safely (no From field, several,
 * one that does not parse or reads differently to a mail reader, hidden
 * characters, no usable domain, facts->unsafe) gets res->unsafe and its
 * reason, never a pass, and at least options.unsafe_disposition (see
 * vouch_dmarc_result).  No author domain at all: permerror.  No record:
 * none.  DNS timeouts: temperror, but only from a query whose answer
 * could have made an identifier align: an identifier that is neither the
 * author's Organizational Domain nor below it is never looked up (RFC
 * 9989 §4.10.2: an Organizational Domain is the name or a parent).
 * Errors: VOUCH_ENOMEM; VOUCH_EINVAL (d or res NULL, or from or fromlen
 *         NULL with nfrom > 0).
 * One thread at a time per evaluator (see vouch_dmarc_new).
 * RFC 9989 §4.10, §5.3; RFC 7489 §6.6.
 */
VOUCH_API VOUCH_WARN_UNUSED enum vouch_status vouch_dmarc_evaluate(
    struct vouch_dmarc *d, struct vouch_dns *dns, const uint8_t *const *from,
    const size_t *fromlen, size_t nfrom, const struct vouch_dmarc_facts *facts,
    struct vouch_dmarc_result *res);

/*
 * vouch_dmarc_evaluate_message - the same, finding the From fields in the
 * header section of msg/len (the raw message or its header section, len
 * bytes, not NUL-terminated, not kept; NULL with len 0 is empty).  Every
 * field is scanned, whatever the size or number of fields (nothing is
 * copied); a header section that is not RFC 5322 §2.2 is
 * VOUCH_DMARC_UNSAFE_HEADER.  facts->unsafe, if set, is kept.
 * Out: *res as for vouch_dmarc_evaluate.
 * Errors: VOUCH_EINVAL (res NULL, or msg NULL with len > 0), then those of
 *         vouch_dmarc_evaluate.
 * RFC 9989 §5.3.1 (one author domain), RFC 5322 §3.6 (one From field).
 */
VOUCH_API VOUCH_WARN_UNUSED enum vouch_status vouch_dmarc_evaluate_message(
    struct vouch_dmarc *d, struct vouch_dns *dns, const uint8_t *msg,
    size_t len, const struct vouch_dmarc_facts *facts,
    struct vouch_dmarc_result *res);

/*
 * vouch_dmarc_result_free - release the records *res owns (not the struct,
 * which is the caller's); safe twice, NULL is a no-op.  No error.
 */
VOUCH_API void vouch_dmarc_result_free(struct vouch_dmarc_result *res);

/*
 * vouch_dmarc_org_domain - the Organizational Domain of a name.
 * In:  name/len (text, trailing dot and case accepted, U-labels allowed).
 *      dns, used in RFC 9989 mode (the tree walk); may be NULL in RFC 7489
 *      mode (the PSL).
 * Out: out/outlen (>= VOUCH_DNS_MAX_NAME + 1), NUL-terminated, lower case,
 *      A-labels; "" when the name has none (it is a public suffix, in RFC
 *      7489 mode).
 *      name is read during the call only.
 * Errors: VOUCH_EINVAL (d or out NULL, outlen too small, not a domain
 *         name, or dns NULL in RFC 9989 mode), VOUCH_ETEMP (a DNS query
 *         of the walk failed, temporarily or not), VOUCH_ENOMEM.
 * RFC 9989 §4.10.2, RFC 7489 §3.2.
 */
VOUCH_API VOUCH_WARN_UNUSED enum vouch_status vouch_dmarc_org_domain(
    struct vouch_dmarc *d, struct vouch_dns *dns, const char *name, size_t len,
    char *out, size_t outlen);

/*
 * Words for results and enums, as Authentication-Results (RFC 8601 §2.7.1,
 * RFC 9989 §9.1) and the aggregate report (RFC 9990) spell them: "pass",
 * "quarantine", "sampled_out", ...  Each returns a static NUL-terminated
 * string, never NULL: "none" (verdict, auth) or "" (policy, override) for a
 * value out of range.  No error; thread safe.
 */
VOUCH_API const char *vouch_dmarc_verdict_str(enum vouch_dmarc_verdict v);
VOUCH_API const char *vouch_dmarc_policy_str(enum vouch_dmarc_policy p);
VOUCH_API const char *vouch_dmarc_override_str(enum vouch_dmarc_override o);
VOUCH_API const char *vouch_dmarc_auth_str(enum vouch_dmarc_auth a);
/* "header-malformed", "no-from", ... ("" for SAFE or out of range). */
VOUCH_API const char *vouch_dmarc_unsafe_str(enum vouch_dmarc_unsafe u);
/*
 * vouch_dmarc_auth_parse - an SPF or DKIM result word of RFC 8601 §2.7.1
 * and §2.7.2 ("pass", "softfail", ..., any case; "error" is temperror) as
 * s/len (len bytes, not NUL-terminated) to *out (not NULL).  Returns 0, or
 * -1 for an unknown word (*out untouched).  Thread safe.
 */
VOUCH_API int vouch_dmarc_auth_parse(
    const char *s, size_t len, enum vouch_dmarc_auth *out);

#ifdef __cplusplus
}
#endif
#endif
