/*
 * Aggregate reports from the recorded evaluations (RFC 9990 §3.1).
 *
 * Per interval, two queries: the policy of each policy domain (the last
 * one evaluated in the interval: RFC 9990 §3.1 "SHOULD note only the final
 * configuration observed"), held in a sorted array; then the evaluations
 * grouped into rows and ordered by policy domain, streamed: each policy
 * domain's rows become one report, written through gzip as they come.
 * The statement is still reading while reports are made, so each finished
 * file waits in a spill file (not in memory) until the rows are read, and
 * then all reports of the interval are stored in one transaction.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "internal.h"
#include "store/internal.h"

#define NS_RFC9990 "urn:ietf:params:xml:ns:dmarc-2.0"

/* The policy_published of one policy domain: texts as stored (escaped). */
struct policy {
	char *domain;
	char *col[11]; /* discovery .. rua, see POLICY_SQL */
};
enum {
	PC_DISCOVERY,
	PC_P,
	PC_SP,
	PC_NP,
	PC_ADKIM,
	PC_ASPF,
	PC_FO,
	PC_TESTING,
	PC_PSD,
	PC_PCT,
	PC_RUA
};

/* A report made and waiting in the spill file. */
struct made {
	size_t policy; /* index into the policy array */
	long off;
	size_t len;
	uint64_t records, messages;
	int64_t replace; /* id of an unsent report it replaces, or 0 */
};

struct gen {
	struct vouch_store *s;
	const struct vouch_report_options *o;
	struct vouch_report_summary *sum;
	char submitter[VOUCH_DNS_MAX_NAME + 1];
	int64_t begin, end;
	struct policy *pol;
	size_t npol;
	char **suppressed; /* policy domains, sorted */
	size_t nsuppressed;
	struct existing {
		char *domain;
		int64_t id;
		int sent;
	} * have;
	size_t nhave;
	FILE *spill;
	struct made *made;
	size_t nmade, capmade;
	char *err;
	size_t errlen;
	enum vouch_status soft; /* a report left out (too large) */
};

static enum vouch_status fail(struct gen *g, enum vouch_status st,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static enum vouch_status
fail(struct gen *g, enum vouch_status st, const char *fmt, ...)
{
	va_list ap;

	if (g->err != NULL && g->errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(g->err, g->errlen, fmt, ap);
		va_end(ap);
	}
	return st;
}

static int
cmp_policy(const void *a, const void *b)
{
	return strcmp(((const struct policy *)a)->domain,
	    ((const struct policy *)b)->domain);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
cmp_have(const void *a, const void *b)
{
	return strcmp(((const struct existing *)a)->domain,
	    ((const struct existing *)b)->domain);
}

static void
free_interval(struct gen *g)
{
	size_t i, k;

	for (i = 0; i < g->npol; i++) {
		free(g->pol[i].domain);
		for (k = 0; k < sizeof(g->pol[i].col) / sizeof(char *); k++)
			free(g->pol[i].col[k]);
	}
	free(g->pol);
	g->pol = NULL;
	g->npol = 0;
	for (i = 0; i < g->nhave; i++)
		free(g->have[i].domain);
	free(g->have);
	g->have = NULL;
	g->nhave = 0;
	free(g->made);
	g->made = NULL;
	g->nmade = g->capmade = 0;
	if (g->spill != NULL)
		fclose(g->spill);
	g->spill = NULL;
}

static char *
dup_col(struct store_stmt *q, unsigned i)
{
	size_t len;
	const char *t;
	char *c;

	if (store_col_null(q, i))
		return NULL;
	t = store_col_text(q, i, &len);
	if ((c = malloc(len + 1)) != NULL) {
		memcpy(c, t, len);
		c[len] = '\0';
	}
	return c;
}

/* The last policy evaluated per policy domain in the interval. */
static const char POLICY_SQL[] =
    "SELECT x.policy_domain, p.discovery_method, p.p, p.sp, p.np, p.adkim, "
    "p.aspf, p.fo, p.testing, p.psd, p.pct, p.rua FROM (SELECT "
    "policy_domain, policy_id, row_number() OVER (PARTITION BY "
    "policy_domain ORDER BY time DESC, policy_id DESC) AS rn FROM "
    "evaluation WHERE time >= $1 AND time <= $2) AS x JOIN "
    "evaluation_policy p ON p.id = x.policy_id WHERE x.rn = 1";

static enum vouch_status
load_policies(struct gen *g)
{
	struct store_stmt *q;
	enum vouch_status st;
	struct policy *np;
	size_t cap = 0, k;
	bool row;

	if ((st = store_prepare(g->s, POLICY_SQL, &q)) != VOUCH_OK)
		return st;
	if ((st = store_bind_int64(q, 1, g->begin)) != VOUCH_OK ||
	    (st = store_bind_int64(q, 2, g->end)) != VOUCH_OK)
		goto out;
	while ((st = store_step(q, &row)) == VOUCH_OK && row) {
		if (g->npol == cap) {
			cap = cap ? cap * 2 : 256;
			np = realloc(g->pol, cap * sizeof(*np));
			if (np == NULL) {
				st = VOUCH_ENOMEM;
				goto out;
			}
			g->pol = np;
		}
		memset(&g->pol[g->npol], 0, sizeof(g->pol[0]));
		g->pol[g->npol].domain = dup_col(q, 0);
		for (k = 0; k < 11; k++)
			g->pol[g->npol].col[k] = dup_col(q, (unsigned)k + 1);
		if (g->pol[g->npol].domain == NULL ||
		    g->pol[g->npol].col[PC_RUA] == NULL) {
			g->npol++;
			st = VOUCH_ENOMEM;
			goto out;
		}
		g->npol++;
	}
	if (st == VOUCH_OK && g->npol > 1)
		qsort(g->pol, g->npol, sizeof(g->pol[0]), cmp_policy);
out:
	store_finalize(q);
	return st;
}

static struct policy *
find_policy(struct gen *g, const char *domain)
{
	struct policy key = {(char *)domain, {0}};

	if (g->npol == 0)
		return NULL;
	return bsearch(&key, g->pol, g->npol, sizeof(key), cmp_policy);
}

/* Reports of this interval already in the store. */
static enum vouch_status
load_existing(struct gen *g)
{
	struct store_stmt *q;
	enum vouch_status st;
	struct existing *nh;
	size_t cap = 0;
	bool row;

	st = store_prepare(g->s,
	    "SELECT r.policy_domain, r.id, (SELECT count(*) FROM "
	    "outgoing_delivery d WHERE d.report = r.id AND d.status IN "
	    "('sent', 'sending')) FROM outgoing_report r WHERE r.begin_time = "
	    "$1 AND r.end_time = $2",
	    &q);
	if (st != VOUCH_OK)
		return st;
	if ((st = store_bind_int64(q, 1, g->begin)) != VOUCH_OK ||
	    (st = store_bind_int64(q, 2, g->end)) != VOUCH_OK)
		goto out;
	while ((st = store_step(q, &row)) == VOUCH_OK && row) {
		if (g->nhave == cap) {
			cap = cap ? cap * 2 : 64;
			if ((nh = realloc(g->have, cap * sizeof(*nh))) ==
			    NULL) {
				st = VOUCH_ENOMEM;
				goto out;
			}
			g->have = nh;
		}
		g->have[g->nhave].domain = dup_col(q, 0);
		g->have[g->nhave].id = store_col_int64(q, 1);
		g->have[g->nhave].sent = store_col_int64(q, 2) > 0;
		if (g->have[g->nhave++].domain == NULL) {
			st = VOUCH_ENOMEM;
			goto out;
		}
	}
	if (st == VOUCH_OK && g->nhave > 1)
		qsort(g->have, g->nhave, sizeof(g->have[0]), cmp_have);
out:
	store_finalize(q);
	return st;
}

static const struct existing *
find_existing(struct gen *g, const char *domain)
{
	struct existing key = {(char *)domain, 0, 0};

	if (g->nhave == 0)
		return NULL;
	return bsearch(&key, g->have, g->nhave, sizeof(key), cmp_have);
}

static enum vouch_status
load_suppressed(struct gen *g)
{
	struct store_stmt *q;
	enum vouch_status st;
	char **ns;
	size_t cap = 0;
	bool row;

	st = store_prepare(
	    g->s, "SELECT value FROM suppression WHERE kind = 'domain'", &q);
	if (st != VOUCH_OK)
		return st;
	while ((st = store_step(q, &row)) == VOUCH_OK && row) {
		if (g->nsuppressed == cap) {
			cap = cap ? cap * 2 : 16;
			ns = realloc(g->suppressed, cap * sizeof(*ns));
			if (ns == NULL) {
				st = VOUCH_ENOMEM;
				break;
			}
			g->suppressed = ns;
		}
		if ((g->suppressed[g->nsuppressed] = dup_col(q, 0)) == NULL) {
			st = VOUCH_ENOMEM;
			break;
		}
		g->nsuppressed++;
	}
	store_finalize(q);
	if (st == VOUCH_OK && g->nsuppressed > 1)
		qsort(g->suppressed, g->nsuppressed, sizeof(char *), cmp_str);
	return st;
}

/* Is the policy domain, or a domain above it, suppressed? */
static bool
suppressed(struct gen *g, const char *domain)
{
	const char *d = domain;

	if (g->nsuppressed == 0)
		return false;
	for (;;) {
		if (bsearch(&d, g->suppressed, g->nsuppressed, sizeof(char *),
		        cmp_str) != NULL)
			return true;
		if ((d = strchr(d, '.')) == NULL)
			return false;
		d++;
	}
}

/* ---- One report ---------------------------------------------------------- */

/* A stored (escaped) text, decoded, as XML text. */
static void
elem_stored(struct xw *w, const char *name, const char *stored)
{
	char buf[1024];
	long n = store_unescape(stored, strlen(stored), buf, sizeof(buf));

	if (n < 0)
		xw_elem_str(w, name, stored); /* as it is: xw escapes */
	else
		xw_elem(w, name, buf, (size_t)n);
}

/*
 * report_id: 32 hex digits of SHA-256(submitter, policy domain, begin,
 * end): unique per domain and interval, the same when made again (RFC
 * 9990 §3.5.1), and alphanumeric, so that it can be the file name's
 * unique-id too (§3.1.4: "MUST be identical").
 */
static int
report_id(struct gen *g, const char *domain, char out[33])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0, i;
	char in[2 * VOUCH_DNS_MAX_NAME + 64];
	int n;

	n = snprintf(in, sizeof(in), "%s%c%s%c%" PRId64 "%c%" PRId64,
	    g->submitter, 0, domain, 0, g->begin, 0, g->end);
	if (n < 0 || (size_t)n >= sizeof(in) ||
	    EVP_Digest(in, (size_t)n, md, &mdlen, EVP_sha256(), NULL) != 1)
		return -1;
	for (i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	return 0;
}

static const char *
or_default(const char *v, const char *def)
{
	return v != NULL ? v : def;
}

static void
write_head(struct gen *g, struct xw *w, const struct policy *p, const char *rid)
{
	const struct vouch_report_meta *m = &g->o->meta;
	bool old = g->o->rfc7489;
	const char *pp = or_default(p->col[PC_P], "none");
	const char *sp = or_default(p->col[PC_SP], pp);

	xw_raw(w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	if (old)
		xw_open(w, "feedback");
	else
		xw_open_ns(w, "feedback", NS_RFC9990);
	xw_elem_str(w, "version", "1.0");
	xw_open(w, "report_metadata");
	xw_elem_str(w, "org_name", m->org_name);
	xw_elem_str(w, "email", m->email);
	if (m->extra_contact_info != NULL)
		xw_elem_str(w, "extra_contact_info", m->extra_contact_info);
	xw_elem_str(w, "report_id", rid);
	xw_open(w, "date_range");
	xw_elem_i64(w, "begin", g->begin);
	xw_elem_i64(w, "end", g->end);
	xw_close(w, "date_range");
	if (!old)
		xw_elem_str(w, "generator", "vouch " VOUCH_LIB_VERSION);
	xw_close(w, "report_metadata");
	/* "discovered or default value" of every tag (RFC 9990 §3.1.1.5):
	 * sp defaults to p, np to sp (RFC 9989 §4.7) */
	xw_open(w, "policy_published");
	elem_stored(w, "domain", p->domain);
	if (!old)
		elem_stored(w, "discovery_method", p->col[PC_DISCOVERY]);
	elem_stored(w, "p", pp);
	elem_stored(w, "sp", sp);
	if (!old)
		elem_stored(w, "np", or_default(p->col[PC_NP], sp));
	elem_stored(w, "fo", or_default(p->col[PC_FO], "0"));
	elem_stored(w, "adkim", p->col[PC_ADKIM]);
	elem_stored(w, "aspf", p->col[PC_ASPF]);
	if (old)
		elem_stored(w, "pct", p->col[PC_PCT]);
	else
		elem_stored(w, "testing", p->col[PC_TESTING]);
	xw_close(w, "policy_published");
}

/* The rows query's columns. */
enum {
	RC_DOMAIN,
	RC_IP,
	RC_HEADER_FROM,
	RC_ENVELOPE_FROM,
	RC_ENVELOPE_TO,
	RC_DISPOSITION,
	RC_DKIM_ALIGNED,
	RC_SPF_ALIGNED,
	RC_REASONS,
	RC_SPF_DOMAIN,
	RC_SPF_SCOPE,
	RC_SPF_RESULT,
	RC_DKIM,
	RC_COUNT
};

static void
write_reasons(struct gen *g, struct xw *w, const char *list)
{
	char tb[64], cb[VOUCH_STORE_MAX_COMMENT * 3 + 1];
	struct store_field f[2] = {{tb, sizeof(tb), 0}, {cb, sizeof(cb), 0}};
	const char *p = list, *end = list + strlen(list), *type;

	while (store_list_next(&p, end, f, 2) == 1) {
		const char *comment = cb;

		type = tb;
		if (g->o->rfc7489 && !strcmp(type, "policy_test_mode")) {
			/* RFC 7489 has no such type */
			type = "local_policy";
			if (comment[0] == '\0')
				comment = "policy_test_mode";
		} else if (!g->o->rfc7489 &&
		           (!strcmp(type, "forwarded") ||
		               !strcmp(type, "sampled_out"))) {
			/* RFC 9990 dropped them: "other" with the word */
			if (comment[0] == '\0')
				comment = type;
			type = "other";
		}
		xw_open(w, "reason");
		xw_elem_str(w, "type", type);
		if (comment[0] != '\0')
			xw_elem_str(w, "comment", comment);
		xw_close(w, "reason");
	}
}

/* RFC 9990 §3.1.3: at most VOUCH_REPORT_MAX_DKIM, stored in order. */
static void
write_dkim(struct xw *w, const char *list)
{
	char db[VOUCH_DNS_MAX_NAME * 3 + 1], sb[VOUCH_DNS_MAX_NAME * 3 + 1];
	char rb[32], hb[VOUCH_STORE_MAX_HUMAN * 3 + 1];
	struct store_field f[4] = {{db, sizeof(db), 0}, {sb, sizeof(sb), 0},
	    {rb, sizeof(rb), 0}, {hb, sizeof(hb), 0}};
	const char *p = list, *end = list + strlen(list);
	unsigned n = 0;

	while (
	    n < VOUCH_REPORT_MAX_DKIM && store_list_next(&p, end, f, 4) == 1) {
		xw_open(w, "dkim");
		xw_elem(w, "domain", db, f[0].len);
		xw_elem(w, "selector", sb, f[1].len);
		xw_elem_str(w, "result", rb);
		if (f[3].len > 0)
			xw_elem(w, "human_result", hb, f[3].len);
		xw_close(w, "dkim");
		n++;
	}
}

/*
 * RFC 7489's IPAddress pattern takes IPv6 only in its full form of eight
 * groups: an address stored compressed ("2001:db8::1") is written out
 * whole (RFC 4291 §2.2, form 1), the same address.
 */
static void
ip_rfc7489(struct xw *w, const char *ip)
{
	unsigned char a[16];
	char full[64];

	if (strchr(ip, ':') == NULL || inet_pton(AF_INET6, ip, a) != 1) {
		elem_stored(w, "source_ip", ip);
		return;
	}
	snprintf(full, sizeof(full), "%x:%x:%x:%x:%x:%x:%x:%x",
	    a[0] << 8 | a[1], a[2] << 8 | a[3], a[4] << 8 | a[5],
	    a[6] << 8 | a[7], a[8] << 8 | a[9], a[10] << 8 | a[11],
	    a[12] << 8 | a[13], a[14] << 8 | a[15]);
	xw_elem_str(w, "source_ip", full);
}

static void
write_record(struct gen *g, struct xw *w, struct store_stmt *q)
{
	bool old = g->o->rfc7489;
	const char *disp = store_col_text(q, RC_DISPOSITION, NULL);
	bool has_ef = !store_col_null(q, RC_ENVELOPE_FROM);
	bool has_et = !store_col_null(q, RC_ENVELOPE_TO);
	bool has_spf = !store_col_null(q, RC_SPF_DOMAIN);

	xw_open(w, "record");
	xw_open(w, "row");
	if (old)
		ip_rfc7489(w, store_col_text(q, RC_IP, NULL));
	else
		elem_stored(w, "source_ip", store_col_text(q, RC_IP, NULL));
	xw_elem_i64(w, "count", store_col_int64(q, RC_COUNT));
	xw_open(w, "policy_evaluated");
	/* RFC 7489 has no "pass" disposition: nothing was done, "none" */
	elem_stored(
	    w, "disposition", old && !strcmp(disp, "pass") ? "none" : disp);
	elem_stored(w, "dkim", store_col_text(q, RC_DKIM_ALIGNED, NULL));
	elem_stored(w, "spf", store_col_text(q, RC_SPF_ALIGNED, NULL));
	write_reasons(g, w, store_col_text(q, RC_REASONS, NULL));
	xw_close(w, "policy_evaluated");
	xw_close(w, "row");
	xw_open(w, "identifiers");
	if (old && has_et)
		elem_stored(
		    w, "envelope_to", store_col_text(q, RC_ENVELOPE_TO, NULL));
	if (old) /* required by RFC 7489's schema: empty when unknown */
		elem_stored(w, "envelope_from",
		    store_col_text(q, RC_ENVELOPE_FROM, NULL));
	elem_stored(w, "header_from", store_col_text(q, RC_HEADER_FROM, NULL));
	if (!old && has_ef) /* empty for the null reverse-path, §3.1.1.10 */
		elem_stored(w, "envelope_from",
		    store_col_text(q, RC_ENVELOPE_FROM, NULL));
	if (!old && has_et)
		elem_stored(
		    w, "envelope_to", store_col_text(q, RC_ENVELOPE_TO, NULL));
	xw_close(w, "identifiers");
	xw_open(w, "auth_results");
	write_dkim(w, store_col_text(q, RC_DKIM, NULL));
	if (has_spf) {
		xw_open(w, "spf");
		elem_stored(
		    w, "domain", store_col_text(q, RC_SPF_DOMAIN, NULL));
		/* RFC 9990 §3.1.1.13: "mfrom" is the only scope */
		elem_stored(w, "scope",
		    old ? store_col_text(q, RC_SPF_SCOPE, NULL) : "mfrom");
		elem_stored(
		    w, "result", store_col_text(q, RC_SPF_RESULT, NULL));
		xw_close(w, "spf");
	} else if (old) {
		/* RFC 7489's schema wants one SPF result: "none", for the
		 * domain SPF would have checked */
		xw_open(w, "spf");
		elem_stored(w, "domain",
		    has_ef && store_col_text(q, RC_ENVELOPE_FROM, NULL)[0]
		        ? store_col_text(q, RC_ENVELOPE_FROM, NULL)
		        : store_col_text(q, RC_HEADER_FROM, NULL));
		xw_elem_str(w, "scope", "mfrom");
		xw_elem_str(w, "result", "none");
		xw_close(w, "spf");
	}
	xw_close(w, "auth_results");
	xw_close(w, "record");
}

/* The report being written, if any. */
struct current {
	struct xw w;
	int open;
	size_t policy;
	uint64_t records, messages;
	int64_t replace;
	char domain[VOUCH_DNS_MAX_NAME * 3 + 1];
};

static enum vouch_status
spill(struct gen *g, struct current *c)
{
	struct made *m;
	enum vouch_status st;

	c->open = 0;
	xw_close(&c->w, "feedback");
	st = xw_finish(&c->w);
	if (st == VOUCH_ELIMIT) {
		g->soft = VOUCH_ELIMIT;
		fail(g, VOUCH_ELIMIT,
		    "the report for %s is larger than %d bytes compressed: not "
		    "made",
		    c->domain, VOUCH_REPORT_MAX_BYTES);
		xw_free(&c->w);
		return VOUCH_OK;
	}
	if (st != VOUCH_OK) {
		xw_free(&c->w);
		return st;
	}
	if (g->nmade == g->capmade) {
		size_t cap = g->capmade ? g->capmade * 2 : 64;

		if ((m = realloc(g->made, cap * sizeof(*m))) == NULL) {
			xw_free(&c->w);
			return VOUCH_ENOMEM;
		}
		g->made = m;
		g->capmade = cap;
	}
	m = &g->made[g->nmade];
	m->policy = c->policy;
	m->off = ftell(g->spill);
	m->len = c->w.out.len;
	m->records = c->records;
	m->messages = c->messages;
	m->replace = c->replace;
	if (m->off < 0 ||
	    fwrite(c->w.out.p, 1, c->w.out.len, g->spill) != c->w.out.len) {
		xw_free(&c->w);
		return fail(g, VOUCH_EIO, "spill file: %s", strerror(errno));
	}
	g->nmade++;
	xw_free(&c->w);
	return VOUCH_OK;
}

/*
 * Starts the report of a policy domain, unless it is not to be made:
 * no aggregate destination left, suppressed, or made already.  Returns
 * 1 when started, 0 when the domain's rows are to be skipped.
 */
static int
start(
    struct gen *g, struct current *c, const char *domain, enum vouch_status *st)
{
	struct policy *p = find_policy(g, domain);
	const struct existing *ex = find_existing(g, domain);
	char rid[33];

	*st = VOUCH_OK;
	snprintf(c->domain, sizeof(c->domain), "%s", domain);
	if (p == NULL || p->col[PC_RUA][0] == '\0') {
		g->sum->no_destination++;
		return 0;
	}
	if (suppressed(g, domain)) {
		g->sum->suppressed++;
		return 0;
	}
	c->replace = 0;
	if (ex != NULL) {
		if (!g->o->force || ex->sent) {
			g->sum->kept++;
			return 0;
		}
		c->replace = ex->id;
	}
	if (report_id(g, domain, rid) < 0) {
		*st = VOUCH_ENOMEM;
		return 0;
	}
	if ((*st = xw_init(&c->w)) != VOUCH_OK) {
		xw_free(&c->w);
		return 0;
	}
	c->open = 1;
	c->policy = (size_t)(p - g->pol);
	c->records = c->messages = 0;
	write_head(g, &c->w, p, rid);
	return 1;
}

/*
 * The grouping columns; ORDER BY the same, byte order and NULLs first in
 * both back ends, so a report is the same whichever made it.
 */
#define GROUP_COLS \
	"policy_domain, source_ip, header_from, envelope_from, envelope_to, " \
	"disposition, dkim_aligned, spf_aligned, reasons, spf_domain, " \
	"spf_scope, spf_result, dkim"
static const char ROWS_SQLITE[] =
    "SELECT " GROUP_COLS ", count(*) FROM evaluation WHERE time >= $1 AND "
    "time <= $2 GROUP BY " GROUP_COLS " ORDER BY " GROUP_COLS;
static const char ROWS_PG[] =
    "SELECT " GROUP_COLS ", count(*) FROM evaluation WHERE time >= $1 AND "
    "time <= $2 GROUP BY " GROUP_COLS " ORDER BY policy_domain COLLATE "
    "\"C\", source_ip COLLATE \"C\", header_from COLLATE \"C\", "
    "envelope_from COLLATE \"C\" NULLS FIRST, envelope_to COLLATE \"C\" "
    "NULLS FIRST, disposition COLLATE \"C\", dkim_aligned COLLATE \"C\", "
    "spf_aligned COLLATE \"C\", reasons COLLATE \"C\", spf_domain COLLATE "
    "\"C\" NULLS FIRST, spf_scope COLLATE \"C\" NULLS FIRST, spf_result "
    "COLLATE \"C\" NULLS FIRST, dkim COLLATE \"C\"";

static enum vouch_status
make_reports(struct gen *g)
{
	struct store_stmt *q;
	struct current c;
	enum vouch_status st, st2 = VOUCH_OK;
	char last[VOUCH_DNS_MAX_NAME * 3 + 1] = "";
	const char *dom;
	int skip = 1, have_last = 0;
	bool row;

	memset(&c, 0, sizeof(c));
	if ((g->spill = tmpfile()) == NULL)
		return fail(g, VOUCH_EIO, "spill file: %s", strerror(errno));
	st = store_prepare(g->s, store_pick(g->s, ROWS_SQLITE, ROWS_PG), &q);
	if (st != VOUCH_OK)
		return st;
	if ((st = store_bind_int64(q, 1, g->begin)) != VOUCH_OK ||
	    (st = store_bind_int64(q, 2, g->end)) != VOUCH_OK)
		goto out;
	while ((st = store_step(q, &row)) == VOUCH_OK && row) {
		dom = store_col_text(q, RC_DOMAIN, NULL);
		if (!have_last || strcmp(dom, last) != 0) {
			if (c.open && (st2 = spill(g, &c)) != VOUCH_OK)
				break;
			snprintf(last, sizeof(last), "%s", dom);
			have_last = 1;
			skip = !start(g, &c, dom, &st2);
			if (st2 != VOUCH_OK)
				break;
		}
		if (skip)
			continue;
		write_record(g, &c.w, q);
		c.records++;
		c.messages += (uint64_t)store_col_int64(q, RC_COUNT);
	}
	if (st == VOUCH_OK && st2 == VOUCH_OK && c.open)
		st2 = spill(g, &c);
out:
	if (c.open)
		xw_free(&c.w);
	store_finalize(q);
	return st != VOUCH_OK ? st : st2;
}

/* ---- Storing --------------------------------------------------------- */

static enum vouch_status
read_spill(struct gen *g, const struct made *m, uint8_t **buf)
{
	if ((*buf = malloc(m->len ? m->len : 1)) == NULL)
		return VOUCH_ENOMEM;
	if (fseek(g->spill, m->off, SEEK_SET) != 0 ||
	    fread(*buf, 1, m->len, g->spill) != m->len) {
		free(*buf);
		*buf = NULL;
		return fail(g, VOUCH_EIO, "spill file: %s", strerror(errno));
	}
	return VOUCH_OK;
}

static void
file_name(struct gen *g, const struct policy *p, char *out, size_t cap)
{
	char rid[33] = "";

	if (report_id(g, p->domain, rid) < 0)
		rid[0] = '\0';
	/* receiver!policy-domain!begin!end!unique-id.xml.gz (§3.5.2) */
	snprintf(out, cap, "%s!%s!%" PRId64 "!%" PRId64 "!%s.xml.gz",
	    g->submitter, p->domain, g->begin, g->end, rid);
}

static enum vouch_status
write_file(struct gen *g, const char *name, const uint8_t *p, size_t len)
{
	char path[4096], tmp[4096 + 16];
	int fd, n;
	ssize_t k;
	size_t done = 0;

	n = snprintf(path, sizeof(path), "%s/%s", g->o->out_dir, name);
	if (n < 0 || (size_t)n >= sizeof(path))
		return fail(
		    g, VOUCH_EINVAL, "%s: path too long", g->o->out_dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(
	    tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return fail(g, VOUCH_EIO, "%s: %s", tmp, strerror(errno));
	while (done < len) {
		k = write(fd, p + done, len - done);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			close(fd);
			unlink(tmp);
			return fail(
			    g, VOUCH_EIO, "%s: %s", tmp, strerror(errno));
		}
		done += (size_t)k;
	}
	if (close(fd) != 0 || rename(tmp, path) != 0) {
		unlink(tmp);
		return fail(g, VOUCH_EIO, "%s: %s", path, strerror(errno));
	}
	return VOUCH_OK;
}

/* One delivery per rua= URI of the report (comma-separated, escaped). */
static enum vouch_status
add_deliveries(struct gen *g, int64_t id, const char *rua)
{
	char uri[VOUCH_STORE_MAX_DEST + 1];
	struct store_stmt *q;
	enum vouch_status st;
	const char *p, *c;
	long n;

	st = store_prepare(g->s,
	    "INSERT INTO outgoing_delivery (report, destination, status, "
	    "attempts, next_attempt) VALUES ($1, $2, 'pending', 0, 0) ON "
	    "CONFLICT DO NOTHING",
	    &q);
	if (st != VOUCH_OK)
		return st;
	for (p = rua; *p && st == VOUCH_OK; p = *c ? c + 1 : c) {
		if ((c = strchr(p, ',')) == NULL)
			c = p + strlen(p);
		n = store_unescape(p, (size_t)(c - p), uri, sizeof(uri));
		if (n <= 0)
			continue;
		if ((st = store_bind_int64(q, 1, id)) == VOUCH_OK &&
		    (st = store_bind_str(q, 2, uri)) == VOUCH_OK)
			st = store_run(q);
	}
	store_finalize(q);
	return st;
}

static enum vouch_status
store_one(struct gen *g, const struct made *m, struct store_stmt *ins,
    struct store_stmt *del)
{
	const struct policy *p = &g->pol[m->policy];
	char name[2 * VOUCH_DNS_MAX_NAME + 96], rid[33];
	enum vouch_status st;
	uint8_t *buf;
	int64_t id = 0;
	bool row;

	file_name(g, p, name, sizeof(name));
	if (report_id(g, p->domain, rid) < 0)
		return VOUCH_ENOMEM;
	if ((st = read_spill(g, m, &buf)) != VOUCH_OK)
		return st;
	if (m->replace != 0) {
		if ((st = store_bind_int64(del, 1, m->replace)) != VOUCH_OK ||
		    (st = store_run(del)) != VOUCH_OK)
			goto out;
	}
	if ((st = store_bind_str(ins, 1, p->domain)) != VOUCH_OK ||
	    (st = store_bind_int64(ins, 2, g->begin)) != VOUCH_OK ||
	    (st = store_bind_int64(ins, 3, g->end)) != VOUCH_OK ||
	    (st = store_bind_str(ins, 4, rid)) != VOUCH_OK ||
	    (st = store_bind_str(
	         ins, 5, g->o->rfc7489 ? "rfc7489" : "rfc9990")) != VOUCH_OK ||
	    (st = store_bind_str(ins, 6, g->o->meta.org_name)) != VOUCH_OK ||
	    (st = store_bind_str(ins, 7, g->o->meta.email)) != VOUCH_OK ||
	    (st = store_bind_str(ins, 8, g->submitter)) != VOUCH_OK ||
	    (st = store_bind_str(ins, 9, name)) != VOUCH_OK ||
	    (st = store_bind_blob(ins, 10, buf, m->len)) != VOUCH_OK ||
	    (st = store_bind_str(ins, 11, p->col[PC_RUA])) != VOUCH_OK ||
	    (st = store_bind_int64(ins, 12, (int64_t)m->records)) != VOUCH_OK ||
	    (st = store_bind_int64(ins, 13, (int64_t)m->messages)) !=
	        VOUCH_OK ||
	    (st = store_bind_int64(ins, 14, (int64_t)time(NULL))) != VOUCH_OK)
		goto out;
	if ((st = store_step(ins, &row)) == VOUCH_OK && row)
		id = store_col_int64(ins, 0);
	(void)store_reset(ins);
	if (st != VOUCH_OK)
		goto out;
	if (id == 0) {
		st = store_seterr(g->s, VOUCH_EIO, "no id for the new report");
		goto out;
	}
	if ((st = add_deliveries(g, id, p->col[PC_RUA])) != VOUCH_OK)
		goto out;
	if (g->o->out_dir != NULL)
		st = write_file(g, name, buf, m->len);
	g->sum->reports++;
	g->sum->records += m->records;
	g->sum->messages += m->messages;
out:
	free(buf);
	return st;
}

static enum vouch_status
store_all(struct gen *g)
{
	struct store_stmt *ins = NULL, *del = NULL;
	enum vouch_status st;
	size_t i;

	if (g->nmade == 0)
		return VOUCH_OK;
	if ((st = store_begin(g->s)) != VOUCH_OK)
		return st;
	st = store_prepare(g->s,
	    "INSERT INTO outgoing_report (policy_domain, begin_time, "
	    "end_time, report_id, format, org_name, email, submitter, "
	    "filename, content, rua, records, messages, generated_at) VALUES "
	    "($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) "
	    "RETURNING id",
	    &ins);
	if (st == VOUCH_OK)
		st = store_prepare(
		    g->s, "DELETE FROM outgoing_report WHERE id = $1", &del);
	for (i = 0; i < g->nmade && st == VOUCH_OK; i++)
		st = store_one(g, &g->made[i], ins, del);
	store_finalize(ins);
	store_finalize(del);
	if (st == VOUCH_OK)
		return store_commit(g->s);
	store_rollback(g->s);
	return st;
}

/* ---- The interface --------------------------------------------------- */

static enum vouch_status
one_interval(struct gen *g)
{
	enum vouch_status st;

	if ((st = load_policies(g)) == VOUCH_OK &&
	    (st = load_existing(g)) == VOUCH_OK &&
	    (st = make_reports(g)) == VOUCH_OK)
		st = store_all(g);
	free_interval(g);
	return st;
}

static enum vouch_status
check_options(struct gen *g, const struct vouch_report_options *o)
{
	const char *at;

	if (o->meta.org_name == NULL || o->meta.org_name[0] == '\0' ||
	    strlen(o->meta.org_name) > 1024)
		return fail(g, VOUCH_EINVAL,
		    "an org_name is required (at most "
		    "1024 bytes)");
	if (o->meta.email == NULL ||
	    (at = strrchr(o->meta.email, '@')) == NULL || at == o->meta.email ||
	    strlen(o->meta.email) > 320)
		return fail(g, VOUCH_EINVAL, "an email address is required");
	if (o->meta.extra_contact_info != NULL &&
	    strlen(o->meta.extra_contact_info) > 1024)
		return fail(g, VOUCH_EINVAL, "extra_contact_info is too long");
	if (o->meta.submitter != NULL)
		at = o->meta.submitter;
	else
		at++;
	if (store_domain_check(
	        at, strlen(at), g->submitter, sizeof(g->submitter)) < 0)
		return fail(g, VOUCH_EINVAL,
		    "the submitter '%s' is not a domain "
		    "name",
		    at);
	if (o->interval != 0 && 86400 % o->interval != 0)
		return fail(g, VOUCH_EINVAL, "the interval must divide 86400");
	if (o->from >= o->to)
		return fail(g, VOUCH_EINVAL, "from must be before to");
	return VOUCH_OK;
}

enum vouch_status
vouch_report_generate(struct vouch_store *s,
    const struct vouch_report_options *o, struct vouch_report_summary *sum,
    char *err, size_t errlen)
{
	struct vouch_report_summary local;
	struct gen g;
	enum vouch_status st;
	int64_t iv, b;
	size_t i;

	if (sum == NULL)
		sum = &local;
	memset(sum, 0, sizeof(*sum));
	memset(&g, 0, sizeof(g));
	g.err = err;
	g.errlen = errlen;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (s == NULL || o == NULL)
		return VOUCH_EINVAL;
	g.s = s;
	g.o = o;
	g.sum = sum;
	if ((st = check_options(&g, o)) != VOUCH_OK)
		return st;
	iv = o->interval ? o->interval : 86400;
	/* the first interval that begins at or after from */
	b = o->from >= 0 ? (o->from + iv - 1) / iv * iv : o->from / iv * iv;
	if ((o->to - b) / iv > VOUCH_REPORT_MAX_INTERVALS)
		return fail(&g, VOUCH_ELIMIT, "more than %d intervals",
		    VOUCH_REPORT_MAX_INTERVALS);
	if (o->out_dir != NULL) {
		struct stat sb;

		if (stat(o->out_dir, &sb) != 0)
			return fail(&g, VOUCH_EIO, "%s: %s", o->out_dir,
			    strerror(errno));
		if (!S_ISDIR(sb.st_mode))
			return fail(&g, VOUCH_EIO, "%s: %s", o->out_dir,
			    strerror(ENOTDIR));
	}
	if ((st = load_suppressed(&g)) != VOUCH_OK)
		goto out;
	for (; b + iv <= o->to; b += iv) {
		g.begin = b;
		g.end = b + iv - 1; /* RFC 9990 §3.1.1.4: end is inclusive */
		sum->intervals++;
		if ((st = one_interval(&g)) != VOUCH_OK)
			break;
	}
out:
	if (st != VOUCH_OK && err != NULL && errlen > 0 && err[0] == '\0')
		snprintf(err, errlen, "%s", vouch_store_errmsg(s));
	for (i = 0; i < g.nsuppressed; i++)
		free(g.suppressed[i]);
	free(g.suppressed);
	return st != VOUCH_OK ? st : g.soft;
}
