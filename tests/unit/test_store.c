/*
 * The store: database URLs, the escaped text form, domain checks, the
 * SQLite back end through the statement interface, migrations, and the
 * recorder (batches, policy rows shared, checks, a full queue).  The
 * PostgreSQL back end runs the same paths in tests/reports/ against a
 * private server.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/internal.h"
#include "tap.h"
#include "tmpdir.h"
#include "util/buf.h"

static void
test_url(void)
{
	static const struct {
		const char *name, *in;
		enum vouch_status st;
		enum vouch_store_backend be;
		const char *target;
	} t[] = {
	    {"plain path", "x.db", VOUCH_OK, VOUCH_STORE_SQLITE, "x.db"},
	    {"absolute path", "/var/lib/vouch/vouch.db", VOUCH_OK,
	        VOUCH_STORE_SQLITE, "/var/lib/vouch/vouch.db"},
	    {"sqlite:PATH", "sqlite:rel/x.db", VOUCH_OK, VOUCH_STORE_SQLITE,
	        "rel/x.db"},
	    {"sqlite://PATH", "sqlite://x.db", VOUCH_OK, VOUCH_STORE_SQLITE,
	        "x.db"},
	    {"sqlite:///abs", "sqlite:///tmp/x.db", VOUCH_OK,
	        VOUCH_STORE_SQLITE, "/tmp/x.db"},
	    {"SQLite: any case", "SQLITE:x.db", VOUCH_OK, VOUCH_STORE_SQLITE,
	        "x.db"},
	    {"postgresql URI", "postgresql://u@127.0.0.1:5432/db", VOUCH_OK,
	        VOUCH_STORE_POSTGRESQL, "postgresql://u@127.0.0.1:5432/db"},
	    {"postgres URI", "postgres://h/db", VOUCH_OK,
	        VOUCH_STORE_POSTGRESQL, "postgres://h/db"},
	    {"PostgreSQL scheme case", "PostgreSQL://h/db", VOUCH_OK,
	        VOUCH_STORE_POSTGRESQL, "PostgreSQL://h/db"},
	    {"dot path with colon", "./db:1", VOUCH_OK, VOUCH_STORE_SQLITE,
	        "./db:1"},
	    {"empty", "", VOUCH_EINVAL, 0, ""},
	    {"sqlite: without path", "sqlite:", VOUCH_EINVAL, 0, ""},
	    {"sqlite:// without path", "sqlite://", VOUCH_EINVAL, 0, ""},
	    {"other scheme", "mysql://h/db", VOUCH_EINVAL, 0, ""},
	    {"file scheme", "file:x.db", VOUCH_EINVAL, 0, ""},
	    {"newline", "x\n.db", VOUCH_EINVAL, 0, ""},
	    {"DEL byte", "x\x7f.db", VOUCH_EINVAL, 0, ""},
	};
	struct vouch_store_url u;
	char *big;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		enum vouch_status st =
		    vouch_store_url_parse(t[i].in, strlen(t[i].in), &u);

		tap_check(
		    st == t[i].st &&
		        (st != VOUCH_OK || (u.backend == t[i].be &&
		                               !strcmp(u.target, t[i].target))),
		    "url %s: got %s %d '%s', want %s %d '%s'", t[i].name,
		    vouch_status_str(st), u.backend, u.target,
		    vouch_status_str(t[i].st), t[i].be, t[i].target);
	}
	/* a NUL inside the given length is refused, not cut */
	tap_check(vouch_store_url_parse("a\0b", 3, &u) == VOUCH_EINVAL,
	    "url with an embedded NUL is refused");
	big = malloc(VOUCH_STORE_MAX_URL + 2);
	memset(big, 'a', VOUCH_STORE_MAX_URL + 1);
	tap_check(vouch_store_url_parse(big, VOUCH_STORE_MAX_URL + 1, &u) ==
	              VOUCH_ELIMIT,
	    "url over VOUCH_STORE_MAX_URL is VOUCH_ELIMIT");
	tap_check(
	    vouch_store_url_parse(big, VOUCH_STORE_MAX_URL, &u) == VOUCH_OK,
	    "url of exactly VOUCH_STORE_MAX_URL bytes is accepted");
	free(big);
	tap_check(vouch_store_url_parse(NULL, 1, &u) == VOUCH_EINVAL,
	    "url NULL with a length is VOUCH_EINVAL");
}

static void
test_codec(void)
{
	static const struct {
		const char *name, *in, *want;
	} t[] = {
	    {"plain", "example.com", "example.com"},
	    {"space", "a b", "a%20b"},
	    {"semicolon and percent", "a;b%c", "a%3Bb%25c"},
	    {"control and 8-bit", "\x01\xff", "%01%FF"},
	    {"empty", "", ""},
	};
	char out[64];
	struct vbuf b;
	struct store_field f[3];
	char fb[3][16];
	const char *p, *end;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		vbuf_init(&b, 1024);
		store_escape(&b, t[i].in, strlen(t[i].in));
		tap_check(b.err == VOUCH_OK &&
		              !strcmp(b.len ? (char *)b.p : "", t[i].want),
		    "escape %s: got '%s', want '%s'", t[i].name,
		    b.len ? (char *)b.p : "", t[i].want);
		rc = (int)store_unescape(
		    b.len ? (char *)b.p : "", b.len, out, sizeof(out));
		tap_check(rc == (int)strlen(t[i].in) && !strcmp(out, t[i].in),
		    "unescape %s gives the text back", t[i].name);
		vbuf_free(&b);
	}
	for (i = 0; i < 3; i++) {
		f[i].buf = fb[i];
		f[i].cap = sizeof(fb[i]);
	}
	p = "a.example s1 pass x%20y;b.example s2 fail";
	end = p + strlen(p);
	rc = store_list_next(&p, end, f, 3);
	tap_check(rc == 1 && !strcmp(fb[0], "a.example") &&
	              !strcmp(fb[1], "s1") && !strcmp(fb[2], "pass"),
	    "list entry 1: got %d '%s' '%s' '%s'", rc, fb[0], fb[1], fb[2]);
	rc = store_list_next(&p, end, f, 3);
	tap_check(
	    rc == 1 && !strcmp(fb[0], "b.example") && !strcmp(fb[2], "fail"),
	    "list entry 2: got %d '%s' '%s'", rc, fb[0], fb[2]);
	tap_check(store_list_next(&p, end, f, 3) == 0, "list ends");
	p = "a%2";
	tap_check(store_list_next(&p, p + 3, f, 3) == -1,
	    "list with a cut escape is malformed");
	p = "a%zz";
	tap_check(store_list_next(&p, p + 4, f, 3) == -1,
	    "list with a bad hex escape is malformed");
	p = "a\tb";
	tap_check(store_list_next(&p, p + 3, f, 3) == -1,
	    "list with a control byte is malformed");
	p = "abcdefghijklmnopqrstuvwxyz";
	tap_check(store_list_next(&p, p + 26, f, 3) == 1 && f[0].len == 15,
	    "a field too long for its buffer is cut: got len %zu", f[0].len);
}

static void
test_domain(void)
{
	static const struct {
		const char *in, *want; /* want NULL: refused */
	} t[] = {
	    {"Example.COM", "example.com"},
	    {"example.com.", "example.com"},
	    {"_report._dmarc.example.net", "_report._dmarc.example.net"},
	    {"xn--bcher-kva.example", "xn--bcher-kva.example"},
	    {"", NULL},
	    {".", NULL},
	    {"a..b", NULL},
	    {"a b.example", NULL},
	    {"a@b.example", NULL},
	    {"0123456789012345678901234567890123456789012345678901234567890123"
	     ".example",
	        NULL},
	};
	char out[VOUCH_DNS_MAX_NAME + 1];
	size_t i;
	int rc;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		rc = store_domain_check(
		    t[i].in, strlen(t[i].in), out, sizeof(out));
		tap_check(
		    t[i].want ? rc == 0 && !strcmp(out, t[i].want) : rc == -1,
		    "domain check '%s': got %d '%s', want %s", t[i].in, rc,
		    rc == 0 ? out : "", t[i].want ? t[i].want : "refused");
	}
}

static char dbpath[320];

/* Counts rows of a table through the statement interface. */
static long long
count(struct vouch_store *s, const char *sql)
{
	struct store_stmt *q;
	long long n = -1;
	bool row;

	if (store_prepare(s, sql, &q) != VOUCH_OK)
		return -1;
	if (store_step(q, &row) == VOUCH_OK && row)
		n = store_col_int64(q, 0);
	store_finalize(q);
	return n;
}

static void
test_sqlite(void)
{
	struct vouch_store_schema_info info;
	struct vouch_store *s = NULL;
	struct store_stmt *q;
	enum vouch_status st;
	char err[256] = "";
	unsigned n = 9;
	size_t len = 0;
	const void *blob;
	bool row = false;

	st = vouch_store_open(dbpath, 0, &s, err, sizeof(err));
	tap_check(st == VOUCH_ENOTFOUND && s == NULL && strstr(err, "init"),
	    "open without CREATE of a missing file: got %s '%s'",
	    vouch_status_str(st), err);
	st = vouch_store_open(dbpath, VOUCH_STORE_CREATE, &s, err, sizeof(err));
	tap_check(st == VOUCH_OK, "open with CREATE: %s", err);
	if (st != VOUCH_OK)
		return;
	tap_check(
	    vouch_store_backend(s) == VOUCH_STORE_SQLITE, "backend is sqlite");
	st = vouch_store_schema(s, &info);
	tap_check(st == VOUCH_OK && info.applied == 0 && info.latest == 0 &&
	              info.known == store_nmigrations,
	    "empty store: schema applied %u latest %u known %u", info.applied,
	    info.latest, info.known);
	st = vouch_store_migrate(s, &n);
	tap_check(st == VOUCH_OK && n == store_nmigrations,
	    "migrate applies %u of %zu: %s", n, store_nmigrations,
	    vouch_store_errmsg(s));
	st = vouch_store_migrate(s, &n);
	tap_check(st == VOUCH_OK && n == 0, "migrate again applies nothing");
	st = vouch_store_schema(s, &info);
	tap_check(st == VOUCH_OK && info.applied == info.known &&
	              info.latest >= STORE_MIGRATION_RECEIVER,
	    "migrated store: applied %u of %u", info.applied, info.known);
	tap_check(count(s, "PRAGMA journal_mode") != -2 &&
	              count(s, "SELECT count(*) FROM evaluation") == 0,
	    "receiver tables exist and are empty");

	/* statements: text with every byte class, a blob with NULs */
	st = store_prepare(s, "SELECT $2, $1, length($1), $3", &q);
	tap_check(st == VOUCH_OK, "prepare with $n parameters");
	if (st == VOUCH_OK) {
		st = store_bind_blob(q, 1, "a\0b", 3);
		if (st == VOUCH_OK)
			st = store_bind_str(q, 2, "t\xc3\xa9xt");
		if (st == VOUCH_OK)
			st = store_bind_null(q, 3);
		if (st == VOUCH_OK)
			st = store_step(q, &row);
		blob = row ? store_col_blob(q, 1, &len) : NULL;
		tap_check(
		    st == VOUCH_OK && row &&
		        !strcmp(store_col_text(q, 0, NULL), "t\xc3\xa9xt") &&
		        len == 3 && blob && !memcmp(blob, "a\0b", 3) &&
		        store_col_int64(q, 2) == 3 && store_col_null(q, 3),
		    "bound values come back: text, blob with NUL, NULL");
		tap_check(store_bind_int64(q, 9, 1) == VOUCH_EINVAL,
		    "binding a parameter the statement lacks is refused");
		store_finalize(q);
	}
	/* a transaction rolled back leaves nothing */
	st = store_begin(s);
	if (st == VOUCH_OK)
		st = store_exec(s,
		    "INSERT INTO suppression (kind, value, "
		    "added_at) VALUES ('domain', 'x.example', 1)");
	store_rollback(s);
	tap_check(
	    st == VOUCH_OK && count(s, "SELECT count(*) FROM suppression") == 0,
	    "a rolled-back transaction leaves no row");
	st = store_exec(s, "SELECT nonsense FROM nowhere");
	tap_check(st == VOUCH_EIO && strstr(vouch_store_errmsg(s), "nowhere"),
	    "a failing statement gives its reason: %s", vouch_store_errmsg(s));
	vouch_store_close(s);
}

/* A plausible evaluation; k varies the source address and policy. */
static void
make_eval(struct vouch_store_evaluation *e, int k)
{
	memset(e, 0, sizeof(*e));
	e->time = 1700000000 + k;
	snprintf(e->source_ip, sizeof(e->source_ip), "192.0.2.%d", k % 250);
	snprintf(e->header_from, sizeof(e->header_from), "example.com");
	e->has_envelope_from = true;
	snprintf(
	    e->envelope_from, sizeof(e->envelope_from), "bounce.example.com");
	snprintf(e->envelope_to, sizeof(e->envelope_to), "example.org");
	snprintf(e->policy.domain, sizeof(e->policy.domain), "example.com");
	e->policy.p =
	    k % 2 ? VOUCH_DMARC_POLICY_REJECT : VOUCH_DMARC_POLICY_NONE;
	snprintf(
	    e->policy.rua, sizeof(e->policy.rua), "mailto:dmarc@example.com");
	e->result = VOUCH_DMARC_PASS;
	e->dkim_aligned = true;
	e->disposition = VOUCH_STORE_DISP_PASS;
	e->spf_checked = true;
	snprintf(e->spf_domain, sizeof(e->spf_domain), "bounce.example.com");
	e->spf_result = VOUCH_SPF_PASS;
	e->ndkim = 1;
	snprintf(e->dkim[0].domain, sizeof(e->dkim[0].domain), "example.com");
	snprintf(e->dkim[0].selector, sizeof(e->dkim[0].selector), "s 1;x");
	e->dkim[0].result = VOUCH_DKIM_PASS;
}

static void
test_recorder(void)
{
	struct vouch_recorder_options o;
	struct vouch_recorder_stats rs;
	struct vouch_store_evaluation e;
	struct vouch_recorder *r = NULL;
	struct vouch_store *s = NULL;
	struct store_stmt *q;
	enum vouch_status st;
	char err[256] = "";
	bool row = false;
	int k;

	vouch_recorder_options_init(&o);
	o.thread = false;
	o.batch_rows = 2;
	o.batch_ms = 60000;
	o.queue_rows = 4;
	st = vouch_recorder_new(dbpath, &o, &r, err, sizeof(err));
	tap_check(st == VOUCH_OK, "recorder on the store: %s", err);
	if (st != VOUCH_OK)
		return;
	if (vouch_store_open(dbpath, 0, &s, err, sizeof(err)) != VOUCH_OK)
		return;
	make_eval(&e, 1);
	st = vouch_recorder_add(r, &e);
	tap_check(
	    st == VOUCH_OK && count(s, "SELECT count(*) FROM evaluation") == 0,
	    "one row waits for its batch");
	make_eval(&e, 3);
	st = vouch_recorder_add(r, &e);
	tap_check(
	    st == VOUCH_OK && count(s, "SELECT count(*) FROM evaluation") == 2,
	    "a full batch (batch_rows 2) is committed: %lld rows",
	    count(s, "SELECT count(*) FROM evaluation"));
	tap_check(count(s, "SELECT count(*) FROM evaluation_policy") == 1,
	    "two evaluations under one policy share its row");
	make_eval(&e, 2);
	st = vouch_recorder_add(r, &e);
	tap_check(st == VOUCH_OK && vouch_recorder_flush(r) == VOUCH_OK &&
	              count(s, "SELECT count(*) FROM evaluation") == 3 &&
	              count(s, "SELECT count(*) FROM evaluation_policy") == 2,
	    "flush commits the rest; another p= is another policy row");

	st = store_prepare(s,
	    "SELECT dkim, envelope_from, spf_scope, reasons, disposition FROM "
	    "evaluation ORDER BY time LIMIT 1",
	    &q);
	if (st == VOUCH_OK && store_step(q, &row) == VOUCH_OK && row) {
		tap_check(!strcmp(store_col_text(q, 0, NULL),
		              "example.com s%201%3Bx pass ") &&
		              !strcmp(store_col_text(q, 1, NULL),
		                  "bounce.example.com") &&
		              !strcmp(store_col_text(q, 2, NULL), "mfrom") &&
		              !strcmp(store_col_text(q, 3, NULL), "") &&
		              !strcmp(store_col_text(q, 4, NULL), "pass"),
		    "stored texts: dkim '%s' (escaped), scope '%s', "
		    "disposition '%s'",
		    store_col_text(q, 0, NULL), store_col_text(q, 2, NULL),
		    store_col_text(q, 4, NULL));
	} else
		tap_check(0, "read back the first evaluation");
	store_finalize(q);

	make_eval(&e, 4);
	snprintf(e.source_ip, sizeof(e.source_ip), "192.0.2.300");
	tap_check(vouch_recorder_add(r, &e) == VOUCH_EINVAL,
	    "a source_ip that is no address is refused");
	make_eval(&e, 4);
	snprintf(e.header_from, sizeof(e.header_from), "bad domain");
	tap_check(vouch_recorder_add(r, &e) == VOUCH_EINVAL,
	    "a header_from that is no domain is refused");
	make_eval(&e, 4);
	memset(e.envelope_to, 'x', sizeof(e.envelope_to));
	tap_check(vouch_recorder_add(r, &e) == VOUCH_EINVAL,
	    "a text without its NUL is refused");
	make_eval(&e, 4);
	e.ndkim = VOUCH_DKIM_MAX_SIGNATURES + 1;
	tap_check(vouch_recorder_add(r, &e) == VOUCH_EINVAL,
	    "ndkim over the array is refused");
	make_eval(&e, 4);
	e.result = VOUCH_DMARC_NONE;
	tap_check(vouch_recorder_add(r, &e) == VOUCH_EINVAL,
	    "an evaluation without a DMARC result is refused");
	vouch_recorder_free(r);
	r = NULL;

	/* a full queue drops and counts, never blocks */
	o.batch_rows = 4;
	o.queue_rows = 4;
	if (vouch_recorder_new(dbpath, &o, &r, err, sizeof(err)) == VOUCH_OK) {
		for (k = 0; k < 3; k++) {
			make_eval(&e, 10 + k);
			st = vouch_recorder_add(r, &e);
		}
		/* the 4th makes a batch: committed; then 4 more, 1 over */
		make_eval(&e, 13);
		st = vouch_recorder_add(r, &e);
		vouch_recorder_stats(r, &rs);
		tap_check(
		    st == VOUCH_OK && rs.committed == 4 && rs.batches == 1,
		    "the 4th row commits a batch of 4: committed %llu",
		    (unsigned long long)rs.committed);
		vouch_recorder_free(r);
	}
	o.batch_rows = 1000;
	o.queue_rows = 1000;
	o.thread = true;
	o.batch_ms = 20;
	r = NULL;
	st = vouch_recorder_new(dbpath, &o, &r, err, sizeof(err));
	tap_check(st == VOUCH_OK, "threaded recorder: %s", err);
	if (st == VOUCH_OK) {
		for (k = 0; k < 500; k++) {
			make_eval(&e, 100 + k);
			if (vouch_recorder_add(r, &e) != VOUCH_OK)
				break;
		}
		usleep(300 * 1000);
		vouch_recorder_stats(r, &rs);
		tap_check(k == 500 && rs.committed == 500,
		    "the thread commits after batch_ms without a flush: "
		    "%llu of 500",
		    (unsigned long long)rs.committed);
		vouch_recorder_free(r);
	}
	tap_check(count(s, "SELECT count(*) FROM evaluation") == 507,
	    "every accepted row is in the store: %lld",
	    count(s, "SELECT count(*) FROM evaluation"));
	vouch_store_close(s);

	/* a store without the receiver tables is refused at start */
	unlink("test_store_empty.db");
	if (vouch_store_open("test_store_empty.db", VOUCH_STORE_CREATE, &s, err,
	        sizeof(err)) == VOUCH_OK)
		vouch_store_close(s);
	st = vouch_recorder_new(
	    "test_store_empty.db", NULL, &r, err, sizeof(err));
	tap_check(st == VOUCH_ENOTFOUND && strstr(err, "migrate"),
	    "a recorder on an unmigrated store: got %s '%s'",
	    vouch_status_str(st), err);
	unlink("test_store_empty.db");
}

int
main(void)
{
	const char *dir = tap_tmpdir("test-store");

	if (dir == NULL)
		return 1;
	if (chdir(dir) != 0)
		return 1;
	snprintf(dbpath, sizeof(dbpath), "%s/t.db", dir);
	test_url();
	test_codec();
	test_domain();
	test_sqlite();
	test_recorder();
	return tap_done();
}
