/*
 * vouchd tables, private: diagnostics, OpenDKIM data sets, the wildcard
 * matcher, and small string helpers shared by keytable.c, signing.c and
 * sendas.c.
 */
#ifndef VOUCHD_TABLES_INTERNAL_H
#define VOUCHD_TABLES_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "tables.h"

/* ---- diag.c ---- */

/*
 * diag_at - add a message "FILE:LINE: error|warning: WHAT" (file NULL:
 * "WHAT" only; line 0: "FILE: ..."; item: the file is an option's origin
 * and the line an item number of a csl: value).  Counts it even when it is
 * not kept (VOUCHD_DIAG_MAX reached, or no memory).
 */
__attribute__((format(printf, 6, 7))) void diag_at(struct vouchd_diag *d,
    enum vouchd_diag_level level, const char *file, unsigned line, int item,
    const char *fmt, ...);

/*
 * diag_quote - bytes of a table as printable text for a message: \xHH for
 * what is not printable ASCII, cut with "..." to fit cap (NUL-terminated).
 */
void diag_quote(const uint8_t *p, size_t len, char *out, size_t cap);

/* ---- dataset.c: OpenDKIM data sets (opendkim(8), DATA SETS) ---- */

enum ds_type { DS_FILE = 1, DS_REFILE, DS_CSL };

/* An opened data set: a file read whole, or a csl: value. */
struct ds {
	enum ds_type type;
	const char *option; /* "KeyTable", "SigningTable", "Domain" ... */
	char *name; /* path, or the origin of a csl: value */
	uint8_t *buf; /* owned copy of the bytes */
	size_t len;
	/* cursor */
	size_t pos;
	unsigned line;
};

/* One entry: a key and its value (value NULL when absent). */
struct ds_entry {
	unsigned line; /* file line, or csl item number (1-based) */
	const uint8_t *key;
	size_t keylen;
	const uint8_t *val;
	size_t vallen;
};

/*
 * ds_open - classify an OpenDKIM data set spec and read it.  A spec
 * "file:P" or "/P" is a file, "refile:P" a pattern file, "csl:L" or any
 * other text without ':' an inline comma-separated list.  Types OpenDKIM
 * has and vouchd does not (dsn, ldap, ldaps, ldapi, lua, db, memcache,
 * mdb, erlang; a bare name ending ".db") give VOUCH_EUNSUPPORTED with a
 * message naming the type; other prefixes VOUCH_ESYNTAX.  `allowed` is a
 * mask of 1 << DS_* the option accepts.  origin and origin_line name
 * the configuration line in messages about the spec or its file (line 0:
 * the configuration alone; origin NULL: a file's messages name the file).
 */
enum vouch_status ds_open(const char *spec, const char *option,
    const char *origin, unsigned origin_line, unsigned allowed,
    struct vouchd_diag *diag, struct ds *out);

/* ds_open_mem - a data set of type `type` from bytes (copied). */
enum vouch_status ds_open_mem(enum ds_type type, const char *option,
    const char *name, const uint8_t *p, size_t len, struct ds *out);

/*
 * ds_next - the next entry.  File and refile lines (OpenDKIM's rules): a
 * '#' starts a comment anywhere, white space around is trimmed, blank
 * lines are skipped, the key is the first word and the value the rest of
 * the line.  csl: items are split at ',', then at the first '=' into key
 * and value, each trimmed.  Returns 1 with *e, 0 at the end, -1 for a line
 * that cannot be read (NUL byte, over VOUCHD_TABLE_MAX_LINE): the error
 * is in diag and the line skipped, so that every bad line is reported.
 */
int ds_next(struct ds *ds, struct vouchd_diag *diag, struct ds_entry *e);

/* diag_ds - a message about an entry of ds (its file:line or item). */
__attribute__((format(printf, 5, 6))) void diag_ds(struct vouchd_diag *d,
    enum vouchd_diag_level level, const struct ds *ds, unsigned line,
    const char *fmt, ...);

void ds_close(struct ds *ds);

/* read_file - a whole file, at most max bytes (malloc'd, caller frees). */
enum vouch_status read_file(
    const char *path, size_t max, uint8_t **out, size_t *outlen, int *err);

/* ---- wildcard.c ---- */

/*
 * A compiled '*' pattern (lower case).  Matching is linear in the subject
 * and pattern: the pieces between stars are found leftmost in turn with
 * Knuth-Morris-Pratt, which is exact for patterns whose only operator is
 * '*' (any run of bytes).
 */
struct wildcard {
	int icase; /* compare without case (pat is then lower case) */
	char *pat; /* copy, NUL-terminated */
	size_t len;
	size_t nstar;
	size_t *fail; /* KMP failure function, one per pattern byte */
};

/* VOUCH_EINVAL for a NUL byte in the pattern. */
enum vouch_status wildcard_compile(
    const uint8_t *p, size_t len, int icase, struct wildcard *w);
int wildcard_match(const struct wildcard *w, const char *s, size_t len);
void wildcard_free(struct wildcard *w);

/* ---- pool.c: strings that live as long as their table ---- */

struct pool_chunk;
struct strpool {
	struct pool_chunk *head;
};

/* A NUL-terminated copy of p/len in the pool (NULL: out of memory). */
char *pool_strndup(struct strpool *pool, const void *p, size_t len);
char *pool_strdup(struct strpool *pool, const char *s);
void pool_free(struct strpool *pool);

/* ---- keytable.c ---- */

struct keytable {
	int refile; /* names are wildcard patterns, first match in order */
	size_t n;
	struct vouchd_table_key *keys;
	struct wildcard *pat; /* refile: one per key */
	size_t *order; /* file/csl: indexes sorted by name, then line */
	/* entries refused at load (their error is in the diag): the name
	 * as written and the line, so that a SigningTable entry that names
	 * one says the entry was refused, not that the name is missing */
	size_t nrefused, refused_cap;
	struct vouchd_table_key *refused; /* name, file and line only */
};

/*
 * keytable_build - read every entry of ds into kt (strings in pool).
 * Errors go to diag; returns VOUCH_ESYNTAX when there were any,
 * VOUCH_ELIMIT, VOUCH_ENOMEM.
 */
enum vouch_status keytable_build(struct ds *ds, struct strpool *pool,
    struct vouchd_diag *diag, struct keytable *kt);

/* The entry named name/len (file: exact, case kept; refile: first
 * pattern that matches), or NULL. */
const struct vouchd_table_key *keytable_find(
    const struct keytable *kt, const char *name, size_t len);

/* The refused entry named name/len (compared as keytable_find does for a
 * file; a refile: pattern as written), or NULL. */
const struct vouchd_table_key *keytable_refused(
    const struct keytable *kt, const char *name, size_t len);

void keytable_free(struct keytable *kt);

/* ---- signing.c ---- */

#define RULE_MAX_KEYS VOUCHD_TABLE_MAX_ENTRY_KEYS

/* One SigningTable entry. */
struct rule {
	char *pattern; /* lower case: a refile: pattern or a lookup key */
	size_t patlen;
	struct wildcard wc; /* refile: */
	size_t nkeys;
	const char *keyname[RULE_MAX_KEYS]; /* "%" or a KeyTable name */
	/* resolved at load; NULL for "%" */
	const struct vouchd_table_key *key[RULE_MAX_KEYS];
	const char *signer; /* i= template, or NULL */
	unsigned line;
};

/* One item of the single-key form's Domain list. */
struct domitem {
	char *domain; /* a normalized domain, or a pattern when is_pattern */
	int is_pattern;
	struct wildcard wc;
	const char *file; /* the Domain data set, or the origin */
	unsigned line;
};

struct vouchd_signing {
	int multiple, subdomains;
	struct strpool pool;
	/* KeyTable + SigningTable */
	struct keytable kt;
	int refile; /* the SigningTable is a refile: */
	const char *st_file;
	struct rule *rules;
	size_t nrules;
	size_t *order; /* file/csl: rule indexes sorted by pattern, line */
	/* single-key form */
	int single;
	struct vouchd_table_key single_key;
	struct domitem *dom;
	size_t ndom;
};

/* The one domain a SigningTable pattern or key names (no '*', not a
 * ".parent"), as *dom pointing into pat; 0 when it names none. */
int literal_domain(const char *pat, const char **dom);

/* ---- helpers ---- */

static inline uint8_t
lc(uint8_t ch)
{
	return ch >= 'A' && ch <= 'Z' ? (uint8_t)(ch - 'A' + 'a') : ch;
}

/* A NUL-terminated copy of p/len (NULL when out of memory). */
char *xstrndup(const uint8_t *p, size_t len);

/*
 * norm_domain - a domain as the tables compare it: U-labels to A-labels,
 * lower case, one trailing dot removed, host-name characters only
 * (dmarc_normalize).  out has room for VOUCH_DNS_MAX_NAME + 1.  Returns 0
 * or -1 with *why.
 */
int norm_domain(const uint8_t *p, size_t len, char *out, const char **why);

/*
 * selector_ok - a DKIM selector (RFC 6376 §3.1: sub-domain *("."
 * sub-domain)): labels of letters, digits, '-' (and '_', which DNS
 * allows), 1..63 bytes each, at most VOUCHD_TABLE_MAX_SELECTOR in all.
 * Returns 1, or 0 with *why.
 */
int selector_ok(const uint8_t *p, size_t len, const char **why);

#endif
