/*
 * SPF internals: the record parser (RFC 7208 §4.5, §4.6, §5, §6), the
 * macro expander (§7) and the evaluation shared by check.c.  Not installed.
 */
#ifndef VOUCH_SPF_INTERNAL_H
#define VOUCH_SPF_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "util/buf.h"
#include "vouch/spf.h"

/* A client address; IPv4 (also an IPv4-mapped IPv6) uses a[0..3]. */
struct spf_ip {
	int v6;
	uint8_t a[16];
};

/*
 * spf_ip_parse - an IPv4 or IPv6 address from text (len bytes, no NUL
 * needed); ::ffff:a.b.c.d becomes IPv4 (RFC 7208 §5).  0 or -1.
 */
int spf_ip_parse(const char *p, size_t len, struct spf_ip *ip);

/* spf_ip_match - does `ip` lie in net/prefix (family must agree)? */
int spf_ip_match(
    const struct spf_ip *ip, const uint8_t *net, int net_v6, unsigned prefix);

/* Mechanisms of RFC 7208 §5. */
enum spf_mech {
	SPF_M_ALL,
	SPF_M_INCLUDE,
	SPF_M_A,
	SPF_M_MX,
	SPF_M_PTR,
	SPF_M_IP4,
	SPF_M_IP6,
	SPF_M_EXISTS
};

/*
 * One directive of a parsed record.  Every pointer points into the record
 * text handed to spf_record_parse, which must outlive the record.
 */
struct spf_term {
	enum spf_mech mech;
	char qualifier; /* '+', '-', '~' or '?' (§4.6.2) */
	const uint8_t *text; /* the directive as written */
	size_t len;
	const uint8_t *domain; /* domain-spec; NULL = the current <domain> */
	size_t domain_len;
	unsigned cidr4; /* prefix lengths (§5.6), 32 and 128 by default */
	unsigned cidr6;
	uint8_t addr[16]; /* ip4 (4 bytes) or ip6 network */
};

/*
 * A parsed record.  `terms` is storage the parser grows and keeps, so a
 * record reused for the next parse allocates nothing new.
 */
struct spf_record {
	struct spf_term *terms;
	size_t nterms;
	size_t cap;
	const uint8_t *redirect; /* domain-spec of redirect=, NULL if none */
	size_t redirect_len;
	const uint8_t *exp; /* domain-spec of exp=, NULL if none */
	size_t exp_len;
};

/*
 * spf_record_is_spf1 - does a TXT string begin with the version "v=spf1"
 * followed by a space or its end (RFC 7208 §4.5)?  Case-insensitive.
 */
int spf_record_is_spf1(const uint8_t *p, size_t len);

/*
 * spf_record_parse - parse a whole SPF record before it is evaluated
 * (RFC 7208 §4.6: a syntax error anywhere is a permerror).
 * In:  p/len, the record (the joined TXT strings), starting with v=spf1.
 * Out: rec filled; on VOUCH_ESYNTAX *reason is a static text and *where
 *      the offset of the bad term.
 * Errors: VOUCH_ESYNTAX, VOUCH_ENOMEM.
 */
enum vouch_status spf_record_parse(struct spf_record *rec, const uint8_t *p,
    size_t len, const char **reason, size_t *where);

/* spf_record_free - release the term storage; the record is empty. */
void spf_record_free(struct spf_record *rec);

/*
 * The values the macro letters expand to (RFC 7208 §7.2).  `p_name` finds
 * the validated domain name of the client for %{p} (§7.3); it writes a
 * name or "unknown" into buf and returns its length, or -1 on ENOMEM.
 */
struct spf_macro_env {
	const uint8_t *sender; /* s */
	size_t sender_len;
	const uint8_t *local; /* l */
	size_t local_len;
	const uint8_t *sender_domain; /* o */
	size_t sender_domain_len;
	const uint8_t *domain; /* d */
	size_t domain_len;
	const uint8_t *helo; /* h */
	size_t helo_len;
	const uint8_t *receiver; /* r */
	size_t receiver_len;
	const struct spf_ip *ip; /* i, c, v */
	time_t now; /* t */
	int (*p_name)(void *arg, char *buf, size_t cap);
	void *p_arg;
	/* if not NULL: bit (letter - 'a') is set for each letter expanded,
	 * so a caller can tell whether a result depends on the sender */
	uint32_t *used;
};

/* Where a macro-string appears: a domain-spec, or exp= text (c, r, t). */
enum spf_macro_kind { SPF_MACRO_DOMAIN, SPF_MACRO_EXPLAIN };

/*
 * spf_macro_check - is p/len a valid macro-string (§7.1)?  For
 * SPF_MACRO_EXPLAIN spaces are allowed too (explain-string, §6.2).
 * *ends_in_macro (may be NULL) says whether the last token was a
 * macro-expand, which a domain-spec may end with instead of a toplabel.
 * Errors: VOUCH_ESYNTAX.
 */
enum vouch_status spf_macro_check(
    const uint8_t *p, size_t len, enum spf_macro_kind kind, int *ends_in_macro);

/*
 * spf_macro_expand - expand a macro-string in one pass, appending to out
 * (RFC 7208 §7.3).  The caller bounds `out` (vbuf max).
 * Errors: VOUCH_ESYNTAX (bad macro), VOUCH_ELIMIT (out full),
 *         VOUCH_ENOMEM.
 */
enum vouch_status spf_macro_expand(const struct spf_macro_env *env,
    const uint8_t *p, size_t len, enum spf_macro_kind kind, struct vbuf *out);

/*
 * spf_domain_spec_check - a domain-spec (§7.1): a macro-string ending in a
 * macro-expand or in "." toplabel ["."].  Errors: VOUCH_ESYNTAX.
 */
enum vouch_status spf_domain_spec_check(const uint8_t *p, size_t len);

/*
 * spf_name_fit - make an expanded name a query name: drop one final dot,
 * cut labels on the left while it is over 253 bytes (§7.3).  Returns 0
 * when the rest is a valid DNS name (labels 1..63 bytes), -1 if not.
 */
int spf_name_fit(const uint8_t *p, size_t len, size_t *off, size_t *outlen);

#endif
