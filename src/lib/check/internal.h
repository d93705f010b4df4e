/*
 * vouch check internals: the context one check runs in, the finding
 * writer, and the four parts (spf.c, dmarc.c, dkim.c, send.c).  Private
 * to src/lib/check.
 */
#ifndef VOUCH_CHECK_INTERNAL_H
#define VOUCH_CHECK_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "vouch/check.h"
#include "vouch/dns.h"

/* One check in progress. */
struct check_ctx {
	struct vouch_dns *dns;
	struct vouch_check_report *r;
	const struct vouch_check_options *opts;
	enum vouch_status err; /* sticky: VOUCH_ENOMEM */
};

/*
 * check_add - append a finding (message from fmt); returns it for
 * check_fix, or NULL when the report is full (the finding is counted as
 * dropped).
 */
struct vouch_check_finding *check_add(struct check_ctx *c,
    enum vouch_check_area area, enum vouch_check_severity sev, const char *code,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* check_vadd - the same with a va_list. */
struct vouch_check_finding *check_vadd(struct check_ctx *c,
    enum vouch_check_area area, enum vouch_check_severity sev, const char *code,
    const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));

/* check_fix - set the suggested change of a finding (f may be NULL). */
void check_fix(struct vouch_check_finding *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * check_text - copy p/len into dst/cap as printable text: control and
 * 8-bit bytes become '?', a text too long ends in "...".  Always
 * NUL-terminates (cap > 3).
 */
void check_text(char *dst, size_t cap, const uint8_t *p, size_t len);

/* check_strdup_text - the same into a new string; NULL on ENOMEM. */
char *check_strdup_text(const uint8_t *p, size_t len);

/*
 * check_name_eq - do two domain names compare equal (ASCII case, a final
 * dot ignored)?
 */
int check_name_eq(const char *a, size_t alen, const char *b, size_t blen);

/*
 * check_lint_spf - the SPF record of c->r->domain: syntax, the lookup
 * and void-lookup counts over the include tree, ptr, all, several records,
 * size.  Fills c->r->spf.
 */
void check_lint_spf(struct check_ctx *c);

/*
 * check_spf_tree - walk the SPF tree of `name` quietly (no findings):
 * the worst-case lookup count, and the include target a customer should
 * use (the single include or redirect of the record, else the name
 * itself) into target/cap.  Returns 0, or -1 when the name has no usable
 * SPF record.
 */
int check_spf_tree(struct check_ctx *c, const char *name, unsigned *lookups,
    char *target, size_t cap);

/*
 * check_spf_suggest - `record` with `term` added before its final all or
 * redirect= (else at its end), into out/cap (NUL-terminated, cut).
 */
void check_spf_suggest(
    const char *record, const char *term, char *out, size_t cap);

/* check_lint_dmarc - the DMARC record that applies to c->r->domain. */
void check_lint_dmarc(struct check_ctx *c);

/* check_lint_dkim - the key record of one selector. */
void check_lint_dkim(struct check_ctx *c, const char *selector);

/*
 * check_dkim_ed25519 - after every selector: each Ed25519 key's finding,
 * which names the RSA key found beside it, or advises one.
 */
void check_dkim_ed25519(struct check_ctx *c);

/* check_send - the --ip and --via questions. */
void check_send(struct check_ctx *c);

#endif
