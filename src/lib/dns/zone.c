/*
 * The zone-file back end: answers every question from an RFC 1035 master
 * file (§5.1) held in memory, for tests and for replaying a verdict
 * offline.
 *
 * Loading turns the text into a table of names (owner names and their
 * ancestors, lower-cased, hashed) and a list of records per name.  After
 * loading the zone is never written, so queries from several threads are
 * safe.  A query costs one hash lookup per name in the CNAME chain.
 */
#include <sys/stat.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define ZNONE UINT32_MAX

/*
 * Decoded names and record data of one zone, bytes.  A record's data is
 * at most a few times its text (a relative name grows by the origin), so
 * this is far above any zone of VOUCH_ZONE_MAX_BYTES that is not built to
 * exhaust memory; offsets are 32 bits.
 */
#define ZONE_MAX_POOL (512u * 1024 * 1024)

/* Without $TTL and without any earlier TTL: BIND's customary default. */
#define ZONE_DEFAULT_TTL 3600

/* RFC 2181 §8: a TTL is an unsigned value of at most 2^31 - 1. */
#define ZONE_MAX_TTL 2147483647UL

enum {
	ZN_RECORDS = 1, /* the name owns records (it exists) */
	ZN_ENT = 2, /* an ancestor of an owner: empty non-terminal */
	ZN_TIMEOUT = 4, /* $TIMEOUT */
	ZN_SERVFAIL = 8 /* $SERVFAIL */
};

struct zrec {
	uint32_t next; /* next record of the same owner, ZNONE at the end */
	uint32_t ttl;
	uint32_t off; /* data in the pool */
	uint32_t len;
	uint32_t nstrings;
	uint16_t type;
	uint16_t pref;
};

struct znode {
	uint32_t nameoff; /* lower-cased name in the pool, no final dot */
	uint32_t hash;
	uint32_t head, tail; /* records, in file order */
	uint16_t namelen;
	uint8_t flags;
	uint8_t hascname;
};

struct zone {
	struct vbuf pool;
	struct znode *nodes;
	size_t nnodes, capnodes;
	struct zrec *recs;
	size_t nrecs, caprecs;
	uint32_t *table; /* node index + 1; 0 = empty slot */
	size_t tabsize; /* a power of two, at least twice nnodes */
	uint32_t negttl; /* TTL of NODATA and NXDOMAIN answers */
};

/* One token of a logical line (RFC 1035 §5.1), escapes decoded. */
struct ztok {
	size_t off, len; /* in the parser's token buffer */
	unsigned long line;
	uint8_t quoted;
	uint8_t escdot; /* a '.' came from an escape */
};

struct zparse {
	const char *fname;
	const uint8_t *p, *end;
	unsigned long line;
	struct zone *z;
	struct vbuf tokbuf;
	struct vbuf toks; /* struct ztok */
	size_t ntok;
	int leading_ws;
	char origin[VOUCH_DNS_MAX_NAME + 1];
	size_t originlen;
	uint32_t defttl; /* $TTL */
	int havedefttl;
	uint32_t firstttl; /* the first $TTL, the negative TTL without SOA */
	int havefirstttl;
	uint32_t lastttl; /* the last TTL written in a record */
	int havelastttl;
	char owner[VOUCH_DNS_MAX_NAME + 1];
	size_t ownerlen;
	int haveowner;
	char *err;
	size_t errlen;
};

static uint32_t
zhash(const uint8_t *p, size_t len)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= p[i];
		h *= 16777619u;
	}
	return h;
}

static uint8_t
zlower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

/* The node of a lower-cased name, or NULL. */
static struct znode *
zone_find(const struct zone *z, const uint8_t *name, size_t len, uint32_t hash)
{
	size_t i, mask = z->tabsize - 1, n;
	const struct znode *nd;

	if (z->tabsize == 0)
		return NULL;
	/* The table is at most half full, so the probe ends at a hole. */
	for (i = hash & mask, n = 0; n < z->tabsize; i = (i + 1) & mask, n++) {
		if (z->table[i] == 0)
			return NULL;
		nd = &z->nodes[z->table[i] - 1];
		if (nd->hash == hash && nd->namelen == len &&
		    memcmp(z->pool.p + nd->nameoff, name, len) == 0)
			return (struct znode *)nd;
	}
	return NULL;
}

static void
zone_place(struct zone *z, uint32_t idx)
{
	size_t i, mask = z->tabsize - 1;

	for (i = z->nodes[idx].hash & mask; z->table[i] != 0;
	     i = (i + 1) & mask)
		;
	z->table[i] = idx + 1;
}

static enum vouch_status
zone_grow_table(struct zone *z)
{
	size_t nsize = z->tabsize ? z->tabsize * 2 : 1024, i;
	uint32_t *nt;

	if ((nt = calloc(nsize, sizeof(*nt))) == NULL)
		return VOUCH_ENOMEM;
	free(z->table);
	z->table = nt;
	z->tabsize = nsize;
	for (i = 0; i < z->nnodes; i++)
		zone_place(z, (uint32_t)i);
	return VOUCH_OK;
}

/*
 * The node of a lower-cased name whose text is already in the pool at
 * nameoff, created when absent.
 */
static enum vouch_status
zone_node(struct zone *z, uint32_t nameoff, size_t len, struct znode **out)
{
	const uint8_t *name = z->pool.p + nameoff;
	uint32_t hash = zhash(name, len);
	struct znode *nd, *nn;
	size_t ncap;
	enum vouch_status st;

	if ((nd = zone_find(z, name, len, hash)) != NULL) {
		*out = nd;
		return VOUCH_OK;
	}
	if (z->nnodes >= VOUCH_ZONE_MAX_NAMES)
		return VOUCH_ELIMIT;
	if ((z->nnodes + 1) * 2 > z->tabsize &&
	    (st = zone_grow_table(z)) != VOUCH_OK)
		return st;
	if (z->nnodes == z->capnodes) {
		ncap = z->capnodes ? z->capnodes * 2 : 256;
		if ((nn = realloc(z->nodes, ncap * sizeof(*nn))) == NULL)
			return VOUCH_ENOMEM;
		z->nodes = nn;
		z->capnodes = ncap;
	}
	nd = &z->nodes[z->nnodes];
	nd->nameoff = nameoff;
	nd->namelen = (uint16_t)len;
	nd->hash = hash;
	nd->head = nd->tail = ZNONE;
	nd->flags = 0;
	nd->hascname = 0;
	zone_place(z, (uint32_t)z->nnodes);
	z->nnodes++;
	*out = nd;
	return VOUCH_OK;
}

/* The node of a name (any case), its lower-cased text added to the pool. */
static enum vouch_status
zone_node_name(struct zone *z, const char *name, size_t len, struct znode **out)
{
	uint8_t low[VOUCH_DNS_MAX_NAME];
	size_t i, off;
	struct znode *nd;
	enum vouch_status st;

	for (i = 0; i < len; i++)
		low[i] = zlower((uint8_t)name[i]);
	if ((nd = zone_find(z, low, len, zhash(low, len))) != NULL) {
		*out = nd;
		return VOUCH_OK;
	}
	off = z->pool.len;
	if ((st = vbuf_add(&z->pool, low, len)) != VOUCH_OK)
		return st;
	return zone_node(z, (uint32_t)off, len, out);
}

static void
zone_free(struct zone *z)
{
	if (z == NULL)
		return;
	vbuf_free(&z->pool);
	free(z->nodes);
	free(z->recs);
	free(z->table);
	free(z);
}

/* Parsing. */

static enum vouch_status
zerr(struct zparse *ps, unsigned long line, const char *what)
{
	dns_seterr(ps->err, ps->errlen, "%s:%lu: %s", ps->fname, line, what);
	return VOUCH_ESYNTAX;
}

static struct ztok *
ztok_at(struct zparse *ps, size_t i)
{
	return &((struct ztok *)ps->toks.p)[i];
}

static const uint8_t *
ztok_text(struct zparse *ps, const struct ztok *t)
{
	/* An empty token buffer has no storage: NULL + 0 is undefined. */
	if (ps->tokbuf.p == NULL)
		return (const uint8_t *)"";
	return ps->tokbuf.p + t->off;
}

/* Whether a token is, without regard to case, the word s. */
static int
ztok_is(struct zparse *ps, const struct ztok *t, const char *s)
{
	size_t i, n = strlen(s);
	const uint8_t *p = ztok_text(ps, t);

	if (t->len != n || t->quoted)
		return 0;
	for (i = 0; i < n; i++)
		if (zlower(p[i]) != zlower((uint8_t)s[i]))
			return 0;
	return 1;
}

/*
 * An escape after a backslash (RFC 1035 §5.1): \DDD is the octet of that
 * decimal value, \X is X itself.  *p is past the backslash.
 */
static enum vouch_status
zescape(struct zparse *ps, uint8_t *c)
{
	unsigned v;

	if (ps->p == ps->end || *ps->p == '\n')
		return zerr(ps, ps->line, "backslash at end of line");
	if (*ps->p >= '0' && *ps->p <= '9') {
		if (ps->end - ps->p < 3 || ps->p[1] < '0' || ps->p[1] > '9' ||
		    ps->p[2] < '0' || ps->p[2] > '9')
			return zerr(ps, ps->line, "bad \\DDD escape");
		v = (unsigned)(ps->p[0] - '0') * 100 +
		    (unsigned)(ps->p[1] - '0') * 10 +
		    (unsigned)(ps->p[2] - '0');
		if (v > 255)
			return zerr(ps, ps->line, "\\DDD escape over 255");
		*c = (uint8_t)v;
		ps->p += 3;
		return VOUCH_OK;
	}
	*c = *ps->p++;
	return VOUCH_OK;
}

/* One token, quoted or not, from *p; appended to the token list. */
static enum vouch_status
ztoken(struct zparse *ps)
{
	struct ztok t;
	uint8_t c;
	enum vouch_status st;

	memset(&t, 0, sizeof(t));
	t.off = ps->tokbuf.len;
	t.line = ps->line;
	if (*ps->p == '"') {
		t.quoted = 1;
		ps->p++;
		for (;;) {
			if (ps->p == ps->end || *ps->p == '\n')
				return zerr(
				    ps, t.line, "unterminated quoted string");
			c = *ps->p++;
			if (c == '"')
				break;
			if (c == '\\' && (st = zescape(ps, &c)) != VOUCH_OK)
				return st;
			(void)vbuf_addc(&ps->tokbuf, c);
		}
	} else {
		while (ps->p < ps->end) {
			c = *ps->p;
			if (c == ' ' || c == '\t' || c == '\r' || c == '\n' ||
			    c == ';' || c == '(' || c == ')' || c == '"')
				break;
			ps->p++;
			if (c == '\\') {
				if ((st = zescape(ps, &c)) != VOUCH_OK)
					return st;
				if (c == '.')
					t.escdot = 1;
			}
			(void)vbuf_addc(&ps->tokbuf, c);
		}
	}
	t.len = ps->tokbuf.len - t.off;
	(void)vbuf_add(&ps->toks, &t, sizeof(t));
	if (ps->tokbuf.err != VOUCH_OK || ps->toks.err != VOUCH_OK) {
		if (ps->tokbuf.err == VOUCH_ENOMEM ||
		    ps->toks.err == VOUCH_ENOMEM)
			return VOUCH_ENOMEM;
		return zerr(ps, t.line, "record too long");
	}
	ps->ntok++;
	return VOUCH_OK;
}

/*
 * The tokens of the next logical line: a line, or several joined by
 * parentheses (RFC 1035 §5.1).  Blank and comment-only lines are skipped.
 * Returns VOUCH_OK with ntok == 0 at the end of the input.
 */
static enum vouch_status
zline(struct zparse *ps)
{
	unsigned paren = 0;
	unsigned long pline = 0;
	uint8_t c;
	enum vouch_status st;

	vbuf_reset(&ps->tokbuf);
	vbuf_reset(&ps->toks);
	ps->ntok = 0;
	ps->leading_ws = ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t');
	while (ps->p < ps->end) {
		c = *ps->p;
		if (c == '\n') {
			ps->p++;
			ps->line++;
			if (paren > 0)
				continue;
			if (ps->ntok > 0)
				return VOUCH_OK;
			ps->leading_ws = ps->p < ps->end &&
			                 (*ps->p == ' ' || *ps->p == '\t');
			continue;
		}
		if (c == ' ' || c == '\t' || c == '\r') {
			ps->p++;
		} else if (c == ';') {
			while (ps->p < ps->end && *ps->p != '\n')
				ps->p++;
		} else if (c == '(') {
			if (paren++ == 0)
				pline = ps->line;
			if (paren > 1)
				return zerr(ps, ps->line, "nested parentheses");
			ps->p++;
		} else if (c == ')') {
			if (paren == 0)
				return zerr(ps, ps->line, "')' without '('");
			paren--;
			ps->p++;
		} else if ((st = ztoken(ps)) != VOUCH_OK) {
			return st;
		}
	}
	if (paren > 0)
		return zerr(ps, pline, "'(' never closed");
	return VOUCH_OK;
}

/*
 * A domain name token made absolute: "@" is the origin, a name without a
 * final dot is relative to it (RFC 1035 §5.1).  out holds the name without
 * the final dot, case kept.
 */
static enum vouch_status
zname(struct zparse *ps, const struct ztok *t, char *out, size_t *outlen)
{
	const uint8_t *p = ztok_text(ps, t);
	size_t len = t->len, n;

	if (t->escdot)
		return zerr(ps, t->line, "escaped dot in a name");
	if (!t->quoted && len == 1 && p[0] == '@') {
		memcpy(out, ps->origin, ps->originlen);
		*outlen = ps->originlen;
		return VOUCH_OK;
	}
	if (len == 1 && p[0] == '.') {
		*outlen = 0;
		return VOUCH_OK;
	}
	if (len == 0 || len > VOUCH_DNS_MAX_NAME + 1)
		return zerr(ps, t->line, "bad domain name");
	if (p[len - 1] == '.') {
		n = len - 1;
		memcpy(out, p, n);
	} else {
		if (len + 1 + ps->originlen > VOUCH_DNS_MAX_NAME)
			return zerr(ps, t->line, "domain name too long");
		memcpy(out, p, len);
		n = len;
		if (ps->originlen > 0) {
			out[n++] = '.';
			memcpy(out + n, ps->origin, ps->originlen);
			n += ps->originlen;
		}
	}
	if (!dns_name_valid(out, n, &n))
		return zerr(ps, t->line, "bad domain name");
	*outlen = n;
	return VOUCH_OK;
}

/* A TTL: decimal seconds, or BIND's units (1h30m); RFC 2181 §8 bound. */
static int
zttl_parse(const uint8_t *p, size_t len, uint32_t *ttl)
{
	unsigned long total = 0, v = 0, mult;
	size_t i;
	int digits = 0;

	if (len == 0 || p[0] < '0' || p[0] > '9')
		return 0;
	for (i = 0; i < len; i++) {
		if (p[i] >= '0' && p[i] <= '9') {
			v = v * 10 + (unsigned long)(p[i] - '0');
			if (v > ZONE_MAX_TTL)
				return 0;
			digits = 1;
			continue;
		}
		if (!digits)
			return 0;
		switch (zlower(p[i])) {
		case 's':
			mult = 1;
			break;
		case 'm':
			mult = 60;
			break;
		case 'h':
			mult = 3600;
			break;
		case 'd':
			mult = 86400;
			break;
		case 'w':
			mult = 604800;
			break;
		default:
			return 0;
		}
		if (v > ZONE_MAX_TTL / mult)
			return 0;
		total += v * mult;
		if (total > ZONE_MAX_TTL)
			return 0;
		v = 0;
		digits = 0;
	}
	total += v;
	if (total > ZONE_MAX_TTL)
		return 0;
	*ttl = (uint32_t)total;
	return 1;
}

/* A decimal number up to max. */
static int
znumber(struct zparse *ps, const struct ztok *t, unsigned long max,
    unsigned long *out)
{
	const uint8_t *p = ztok_text(ps, t);
	unsigned long v = 0;
	size_t i;

	if (t->len == 0 || t->len > 10)
		return 0;
	for (i = 0; i < t->len; i++) {
		if (p[i] < '0' || p[i] > '9')
			return 0;
		v = v * 10 + (unsigned long)(p[i] - '0');
	}
	if (v > max)
		return 0;
	*out = v;
	return 1;
}

static enum vouch_status
zdirective(struct zparse *ps)
{
	struct ztok *t0 = ztok_at(ps, 0), *t1;
	char name[VOUCH_DNS_MAX_NAME + 1];
	size_t len;
	struct znode *nd;
	enum vouch_status st;
	int flag;

	if (ztok_is(ps, t0, "$INCLUDE"))
		return zerr(ps, t0->line, "$INCLUDE is not supported");
	if (!ztok_is(ps, t0, "$ORIGIN") && !ztok_is(ps, t0, "$TTL") &&
	    !ztok_is(ps, t0, "$TIMEOUT") && !ztok_is(ps, t0, "$SERVFAIL"))
		return zerr(ps, t0->line, "unknown directive");
	if (ps->ntok != 2)
		return zerr(ps, t0->line,
		    ps->ntok < 2 ? "directive without its argument"
		                 : "directive with too many arguments");
	t1 = ztok_at(ps, 1);
	if (ztok_is(ps, t0, "$TTL")) {
		if (!zttl_parse(ztok_text(ps, t1), t1->len, &ps->defttl))
			return zerr(ps, t1->line, "bad TTL");
		ps->havedefttl = 1;
		if (!ps->havefirstttl) {
			ps->firstttl = ps->defttl;
			ps->havefirstttl = 1;
		}
		return VOUCH_OK;
	}
	if ((st = zname(ps, t1, name, &len)) != VOUCH_OK)
		return st;
	if (ztok_is(ps, t0, "$ORIGIN")) {
		memcpy(ps->origin, name, len);
		ps->originlen = len;
		return VOUCH_OK;
	}
	/* The extensions $TIMEOUT and $SERVFAIL (../shared/cases). */
	flag = ztok_is(ps, t0, "$TIMEOUT") ? ZN_TIMEOUT : ZN_SERVFAIL;
	if ((st = zone_node_name(ps->z, name, len, &nd)) != VOUCH_OK)
		return st == VOUCH_ELIMIT ? zerr(ps, t0->line, "too many names")
		                          : st;
	nd->flags |= (uint8_t)flag;
	return VOUCH_OK;
}

static enum vouch_status
zadd_record(struct zparse *ps, unsigned long line, struct znode *nd,
    uint16_t type, uint16_t pref, uint32_t ttl, size_t off, size_t len,
    unsigned nstrings)
{
	struct zone *z = ps->z;
	struct zrec *r;
	size_t ncap;

	if (z->nrecs >= VOUCH_ZONE_MAX_RECORDS) {
		(void)zerr(ps, line, "too many records");
		return VOUCH_ELIMIT;
	}
	if (z->nrecs == z->caprecs) {
		ncap = z->caprecs ? z->caprecs * 2 : 256;
		if ((r = realloc(z->recs, ncap * sizeof(*r))) == NULL)
			return VOUCH_ENOMEM;
		z->recs = r;
		z->caprecs = ncap;
	}
	r = &z->recs[z->nrecs];
	r->next = ZNONE;
	r->ttl = ttl;
	r->off = (uint32_t)off;
	r->len = (uint32_t)len;
	r->nstrings = nstrings;
	r->type = type;
	r->pref = pref;
	if (nd->tail == ZNONE)
		nd->head = (uint32_t)z->nrecs;
	else
		z->recs[nd->tail].next = (uint32_t)z->nrecs;
	nd->tail = (uint32_t)z->nrecs;
	nd->flags |= ZN_RECORDS;
	if (type == VOUCH_DNS_CNAME)
		nd->hascname = 1;
	z->nrecs++;
	return VOUCH_OK;
}

static const struct {
	const char *name;
	uint16_t type;
} ztypes[] = {
    {"A", VOUCH_DNS_A},
    {"NS", VOUCH_DNS_NS},
    {"CNAME", VOUCH_DNS_CNAME},
    {"SOA", 6},
    {"PTR", VOUCH_DNS_PTR},
    {"MX", VOUCH_DNS_MX},
    {"TXT", VOUCH_DNS_TXT},
    {"AAAA", VOUCH_DNS_AAAA},
    {"SPF", VOUCH_DNS_SPF},
};

/* The rdata of one record, tokens i.. (RFC 1035 §3.3, RFC 3596 §2.4). */
static enum vouch_status
zrdata(struct zparse *ps, size_t i, unsigned long line, struct znode *nd,
    uint16_t type, uint32_t ttl)
{
	struct zone *z = ps->z;
	struct ztok *t;
	char name[VOUCH_DNS_MAX_NAME + 1];
	char addr[64];
	uint8_t bin[16];
	size_t off = z->pool.len, len, want, j;
	unsigned long pref = 0, v;
	uint32_t minimum = 0;
	unsigned nstrings = 0;
	enum vouch_status st;

	switch (type) {
	case VOUCH_DNS_A:
	case VOUCH_DNS_AAAA:
		want = 1;
		break;
	case VOUCH_DNS_MX:
		want = 2;
		break;
	case 6:
		want = 7;
		break;
	case VOUCH_DNS_TXT:
	case VOUCH_DNS_SPF:
		want = ps->ntok - i;
		break;
	default:
		want = 1;
		break;
	}
	if (i > ps->ntok || ps->ntok - i != want)
		return zerr(ps, line,
		    i > ps->ntok || ps->ntok - i < want ? "missing rdata"
		                                        : "extra rdata");
	t = i < ps->ntok ? ztok_at(ps, i) : NULL;
	/* only TXT and SPF may have no token: zero character-strings */
	if (t == NULL && type != VOUCH_DNS_TXT && type != VOUCH_DNS_SPF)
		return zerr(ps, line, "missing rdata");
	switch (type) {
	case VOUCH_DNS_A:
	case VOUCH_DNS_AAAA:
		if (t->len >= sizeof(addr))
			return zerr(ps, t->line, "bad address");
		memcpy(addr, ztok_text(ps, t), t->len);
		addr[t->len] = '\0';
		len = type == VOUCH_DNS_A ? 4 : 16;
		if (memchr(addr, '\0', t->len) != NULL ||
		    inet_pton(type == VOUCH_DNS_A ? AF_INET : AF_INET6, addr,
		        bin) != 1)
			return zerr(ps, t->line,
			    type == VOUCH_DNS_A ? "bad IPv4 address"
			                        : "bad IPv6 address");
		(void)vbuf_add(&z->pool, bin, len);
		break;
	case VOUCH_DNS_MX:
		if (!znumber(ps, t, 65535, &pref))
			return zerr(ps, t->line, "bad MX preference");
		t = ztok_at(ps, i + 1);
		/* FALLTHROUGH */
	case VOUCH_DNS_NS:
	case VOUCH_DNS_CNAME:
	case VOUCH_DNS_PTR:
		if ((st = zname(ps, t, name, &len)) != VOUCH_OK)
			return st;
		(void)vbuf_add(&z->pool, name, len);
		break;
	case 6:
		/* SOA: kept only for its negative TTL (RFC 2308 §4). */
		for (j = 0; j < 2; j++)
			if ((st = zname(ps, ztok_at(ps, i + j), name, &len)) !=
			    VOUCH_OK)
				return st;
		for (j = 2; j < 7; j++) {
			t = ztok_at(ps, i + j);
			if (!zttl_parse(ztok_text(ps, t), t->len, &minimum) &&
			    !znumber(ps, t, UINT32_MAX, &v))
				return zerr(ps, t->line, "bad SOA number");
		}
		/* RFC 2308 §5: the lesser of the SOA TTL and MINIMUM. */
		z->negttl = minimum < ttl ? minimum : ttl;
		nd->flags |= ZN_RECORDS;
		return VOUCH_OK;
	case VOUCH_DNS_TXT:
	case VOUCH_DNS_SPF:
		/* RFC 1035 §3.3.14: character-strings of 0..255 octets. */
		for (j = i; j < ps->ntok; j++) {
			t = ztok_at(ps, j);
			if (t->len > 255)
				return zerr(ps, t->line,
				    "character-string over 255 bytes");
			(void)vbuf_add(&z->pool, ztok_text(ps, t), t->len);
			nstrings++;
		}
		if (z->pool.len - off > VOUCH_DNS_MAX_TXT)
			return zerr(ps, line, "TXT record over 65535 bytes");
		break;
	}
	if (z->pool.err != VOUCH_OK) {
		if (z->pool.err == VOUCH_ENOMEM)
			return VOUCH_ENOMEM;
		(void)zerr(ps, line, "zone too large");
		return VOUCH_ELIMIT;
	}
	return zadd_record(ps, line, nd, type, (uint16_t)pref, ttl, off,
	    z->pool.len - off, nstrings);
}

/* `owner [TTL] [class] type rdata` or `[TTL] [class]` in either order. */
static enum vouch_status
zrecord(struct zparse *ps)
{
	struct ztok *t;
	size_t i = 0, k, len;
	unsigned long line = ztok_at(ps, 0)->line;
	uint32_t ttl = 0;
	int havettl = 0, haveclass = 0;
	uint16_t type = 0;
	struct znode *nd;
	enum vouch_status st;

	if (!ps->leading_ws) {
		if ((st = zname(ps, ztok_at(ps, 0), ps->owner, &len)) !=
		    VOUCH_OK)
			return st;
		ps->ownerlen = len;
		ps->haveowner = 1;
		i = 1;
	} else if (!ps->haveowner) {
		return zerr(ps, line, "blank owner without a previous owner");
	}
	for (; i < ps->ntok; i++) {
		t = ztok_at(ps, i);
		if (!t->quoted && t->len > 0 && ztok_text(ps, t)[0] >= '0' &&
		    ztok_text(ps, t)[0] <= '9') {
			if (havettl)
				return zerr(ps, t->line, "two TTLs");
			if (!zttl_parse(ztok_text(ps, t), t->len, &ttl))
				return zerr(ps, t->line, "bad TTL");
			havettl = 1;
		} else if (ztok_is(ps, t, "IN")) {
			if (haveclass)
				return zerr(ps, t->line, "two classes");
			haveclass = 1;
		} else if (ztok_is(ps, t, "CH") || ztok_is(ps, t, "HS") ||
		           ztok_is(ps, t, "CS")) {
			return zerr(ps, t->line, "class other than IN");
		} else {
			break;
		}
	}
	if (i == ps->ntok)
		return zerr(ps, line, "missing type");
	t = ztok_at(ps, i);
	for (k = 0; k < sizeof(ztypes) / sizeof(ztypes[0]); k++)
		if (ztok_is(ps, t, ztypes[k].name))
			type = ztypes[k].type;
	if (type == 0)
		return zerr(ps, t->line, "unknown or unsupported type");
	/*
	 * An omitted TTL is $TTL (RFC 2308 §4), else the last one given
	 * (RFC 1035 §5.1).
	 */
	if (havettl) {
		ps->lastttl = ttl;
		ps->havelastttl = 1;
	} else if (ps->havedefttl) {
		ttl = ps->defttl;
	} else {
		ttl = ps->havelastttl ? ps->lastttl : ZONE_DEFAULT_TTL;
	}
	if ((st = zone_node_name(ps->z, ps->owner, ps->ownerlen, &nd)) !=
	    VOUCH_OK)
		return st == VOUCH_ELIMIT ? zerr(ps, line, "too many names")
		                          : st;
	return zrdata(ps, i + 1, line, nd, type, ttl);
}

/*
 * Empty non-terminals (RFC 8020): every ancestor of an owner exists, so a
 * query for it is NODATA, not NXDOMAIN.  A name known only from $TIMEOUT
 * or $SERVFAIL says nothing about its parent and adds none.
 */
static enum vouch_status
zone_add_ancestors(struct zone *z)
{
	size_t i, n = z->nnodes, j;
	struct znode *nd;
	uint32_t off;
	uint16_t len;
	enum vouch_status st;

	for (i = 0; i < n; i++) {
		if (!(z->nodes[i].flags & ZN_RECORDS))
			continue;
		off = z->nodes[i].nameoff;
		len = z->nodes[i].namelen;
		/* Each suffix after a dot, the name's text shared. */
		for (j = 0; j < len; j++) {
			if (z->pool.p[off + j] != '.')
				continue;
			st = zone_node(
			    z, off + (uint32_t)j + 1, len - j - 1, &nd);
			if (st != VOUCH_OK)
				return st;
			/*
			 * A name seen before has its ancestors done, or
			 * done in turn (every owner is visited).
			 */
			if (nd->flags & (ZN_ENT | ZN_RECORDS))
				break;
			nd->flags |= ZN_ENT;
		}
	}
	return VOUCH_OK;
}

static enum vouch_status
zone_parse(struct zone *z, const char *fname, const uint8_t *buf, size_t len,
    char *err, size_t errlen)
{
	struct zparse ps;
	enum vouch_status st = VOUCH_OK;

	memset(&ps, 0, sizeof(ps));
	ps.fname = fname;
	/* An empty zone may come as (NULL, 0); NULL + 0 is undefined. */
	if (buf == NULL)
		buf = (const uint8_t *)"";
	ps.p = buf;
	ps.end = buf + len;
	ps.line = 1;
	ps.z = z;
	ps.err = err;
	ps.errlen = errlen;
	vbuf_init(&ps.tokbuf, 2 * VOUCH_DNS_MAX_TXT);
	vbuf_init(&ps.toks, 70000 * sizeof(struct ztok));
	for (;;) {
		if ((st = zline(&ps)) != VOUCH_OK || ps.ntok == 0)
			break;
		if (!ps.leading_ws && !ztok_at(&ps, 0)->quoted &&
		    ztok_at(&ps, 0)->len > 0 &&
		    ztok_text(&ps, ztok_at(&ps, 0))[0] == '$')
			st = zdirective(&ps);
		else
			st = zrecord(&ps);
		if (st != VOUCH_OK)
			break;
	}
	if (st == VOUCH_OK && z->negttl == UINT32_MAX)
		z->negttl = ps.havefirstttl ? ps.firstttl : ZONE_DEFAULT_TTL;
	if (st == VOUCH_OK) {
		st = zone_add_ancestors(z);
		if (st == VOUCH_ELIMIT)
			dns_seterr(err, errlen, "%s: too many names", fname);
	}
	vbuf_free(&ps.tokbuf);
	vbuf_free(&ps.toks);
	return st;
}

/* Queries. */

static enum vouch_status
zone_query(struct vouch_dns *dns, const char *qname, size_t qlen, uint16_t type,
    struct vouch_dns_answer **out)
{
	const struct zone *z = dns->impl;
	uint8_t name[VOUCH_DNS_MAX_NAME];
	const struct znode *nd;
	const struct zrec *r;
	struct dns_builder b;
	const uint8_t *src = (const uint8_t *)qname;
	size_t i, len = qlen, depth;
	uint32_t ri;
	enum vouch_status st;

	for (depth = 0; depth <= VOUCH_DNS_MAX_CNAME; depth++) {
		for (i = 0; i < len; i++)
			name[i] = zlower(src[i]);
		nd = zone_find(z, name, len, zhash(name, len));
		if (nd == NULL)
			return dns_answer_empty(
			    VOUCH_DNS_NXDOMAIN, NULL, z->negttl, out);
		if (nd->hascname && type != VOUCH_DNS_CNAME) {
			/* RFC 1034 §3.6.2: restart at the canonical name. */
			for (ri = nd->head; ri != ZNONE; ri = z->recs[ri].next)
				if (z->recs[ri].type == VOUCH_DNS_CNAME)
					break;
			r = &z->recs[ri];
			src = z->pool.p + r->off;
			len = r->len;
			continue;
		}
		dns_builder_init(&b);
		for (ri = nd->head; ri != ZNONE; ri = z->recs[ri].next) {
			r = &z->recs[ri];
			if (r->type != type)
				continue;
			st = dns_builder_add(&b, r->type, r->pref, r->ttl,
			    z->pool.p + r->off, r->len, r->nstrings);
			if (st == VOUCH_ENOMEM) {
				/* not an empty answer: the caller must know */
				dns_builder_free(&b);
				return st;
			}
			if (st != VOUCH_OK)
				break; /* past VOUCH_DNS_MAX_RRS */
		}
		if (b.nrr > 0)
			return dns_builder_finish(
			    &b, VOUCH_DNS_ANSWER, NULL, 0, out);
		dns_builder_free(&b);
		if (nd->flags & ZN_TIMEOUT)
			return dns_answer_empty(
			    VOUCH_DNS_TEMPFAIL, "timeout", 0, out);
		if (nd->flags & ZN_SERVFAIL)
			return dns_answer_empty(
			    VOUCH_DNS_TEMPFAIL, "SERVFAIL", 0, out);
		return dns_answer_empty(VOUCH_DNS_NODATA, NULL, z->negttl, out);
	}
	/*
	 * A chain longer than VOUCH_DNS_MAX_CNAME, or a loop: a recursive
	 * resolver answers SERVFAIL here, so this back end gives the same
	 * temporary failure the network one would.
	 */
	return dns_answer_empty(VOUCH_DNS_TEMPFAIL, "CNAME loop", 0, out);
}

static void
zone_backend_free(struct vouch_dns *dns)
{
	zone_free(dns->impl);
}

static const struct vouch_dns_ops zone_ops = {
    .query = zone_query,
    .free = zone_backend_free,
};

enum vouch_status
vouch_dns_zone_new_mem(const char *name, const uint8_t *buf, size_t len,
    struct vouch_dns **out, char *err, size_t errlen)
{
	struct zone *z;
	enum vouch_status st;

	*out = NULL;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (name == NULL)
		name = "zone";
	if (buf == NULL && len > 0)
		return VOUCH_EINVAL;
	if (len > VOUCH_ZONE_MAX_BYTES) {
		dns_seterr(err, errlen, "%s: larger than %u bytes", name,
		    (unsigned)VOUCH_ZONE_MAX_BYTES);
		return VOUCH_ELIMIT;
	}
	if ((z = calloc(1, sizeof(*z))) == NULL)
		return VOUCH_ENOMEM;
	vbuf_init(&z->pool, ZONE_MAX_POOL);
	z->negttl = UINT32_MAX;
	if ((st = zone_parse(z, name, buf, len, err, errlen)) != VOUCH_OK) {
		zone_free(z);
		return st;
	}
	if ((*out = dns_new(&zone_ops, z)) == NULL) {
		zone_free(z);
		return VOUCH_ENOMEM;
	}
	return VOUCH_OK;
}

enum vouch_status
vouch_dns_zone_new(
    const char *path, struct vouch_dns **out, char *err, size_t errlen)
{
	FILE *fp;
	struct stat sb;
	uint8_t *buf = NULL;
	size_t n;
	enum vouch_status st;

	*out = NULL;
	if (path == NULL)
		return VOUCH_EINVAL;
	if ((fp = fopen(path, "rb")) == NULL) {
		dns_seterr(err, errlen, "%s: %s", path, strerror(errno));
		return VOUCH_EIO;
	}
	if (fstat(fileno(fp), &sb) != 0) {
		dns_seterr(err, errlen, "%s: %s", path, strerror(errno));
		st = VOUCH_EIO;
		goto out;
	}
	if (sb.st_size > VOUCH_ZONE_MAX_BYTES) {
		dns_seterr(err, errlen, "%s: larger than %u bytes", path,
		    (unsigned)VOUCH_ZONE_MAX_BYTES);
		st = VOUCH_ELIMIT;
		goto out;
	}
	/* One byte more than the size, to notice a file that grew. */
	if ((buf = malloc((size_t)sb.st_size + 1)) == NULL) {
		st = VOUCH_ENOMEM;
		goto out;
	}
	n = fread(buf, 1, (size_t)sb.st_size + 1, fp);
	if (ferror(fp)) {
		dns_seterr(err, errlen, "%s: %s", path, strerror(errno));
		st = VOUCH_EIO;
		goto out;
	}
	if (n > (size_t)sb.st_size) {
		dns_seterr(err, errlen, "%s: file changed while read", path);
		st = VOUCH_EIO;
		goto out;
	}
	st = vouch_dns_zone_new_mem(path, buf, n, out, err, errlen);
out:
	free(buf);
	fclose(fp);
	return st;
}
