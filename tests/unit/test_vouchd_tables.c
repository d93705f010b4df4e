/*
 * Unit tests of vouchd's tables (src/milter/tables): the refile: wildcard
 * matcher, OpenDKIM data set types, KeyTable and SigningTable reading and
 * lookups (OpenDKIM's rules, opendkim.conf(5) and opendkim(8) DATA SETS),
 * the single-key Domain form, key file checks, and the send-as table with
 * its alias map.  Each row is named for what it checks.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "milter/tables/internal.h"
#include "milter/tables/tables.h"
#include "vouch/dkim_sign.h"
#include "tap.h"
#include "tmpdir.h"

#ifndef TABLES_DATA
#error TABLES_DATA must name tests/unit/data/vouchd_tables
#endif

/* Every diagnostic of d joined with " | ". */
static void
diag_text(const struct vouchd_diag *d, char *out, size_t cap)
{
	size_t i, n = 0;

	out[0] = '\0';
	for (i = 0; i < d->n && n < cap; i++) {
		int w = snprintf(
		    out + n, cap - n, "%s%s", i ? " | " : "", d->msg[i].text);

		if (w < 0)
			break;
		n += (size_t)w;
	}
}

static int
has(const char *hay, const char *needle)
{
	return needle == NULL || *needle == '\0' || strstr(hay, needle) != NULL;
}

/* ---- wildcard matcher ---------------------------------------------------- */

static const struct {
	const char *name, *pattern, *subject;
	int want;
} wc_rows[] = {
    {"star-at-domain matches a user", "*@example.com", "alice@example.com", 1},
    {"star-at-domain refuses another domain", "*@example.com",
        "alice@example.org", 0},
    {"case is ignored", "*@Example.COM", "ALICE@example.com", 1},
    {"star alone matches the empty subject", "*", "", 1},
    {"no star is an exact match", "a@b.example", "a@b.example", 1},
    {"no star refuses a longer subject", "a@b.example", "xa@b.example", 0},
    {"stars between pieces, in order", "a*b*c", "axxbyyc", 1},
    {"pieces out of order do not match", "a*b*c", "acb", 0},
    {"head and tail may not overlap", "ab*ba", "aba", 0},
    {"head and tail side by side", "ab*ba", "abba", 1},
    {"double star is one star", "a**z", "abcz", 1},
    {"dot is literal, not a regex", "a.c@x", "abc@x", 0},
    {"plus is literal, not a regex", "a+@x", "aa@x", 0},
    {"subdomain pattern", "*@*.example.com", "u@mail.example.com", 1},
    {"subdomain pattern refuses the parent", "*@*.example.com", "u@example.com",
        0},
    {"leftmost choice is enough", "*ab*ab*", "aabab", 1},
    {"repeated prefix inside a piece (KMP)", "*aab*", "aaab", 1},
};

static void
test_wildcard(void)
{
	struct wildcard w;
	char pat[2100], subj[600];
	size_t i, n;
	clock_t t0;
	double secs;
	int got;

	for (i = 0; i < sizeof(wc_rows) / sizeof(wc_rows[0]); i++) {
		if (wildcard_compile((const uint8_t *)wc_rows[i].pattern,
		        strlen(wc_rows[i].pattern), 1, &w) != VOUCH_OK) {
			tap_check(
			    0, "wildcard: %s: compile failed", wc_rows[i].name);
			continue;
		}
		got = wildcard_match(
		    &w, wc_rows[i].subject, strlen(wc_rows[i].subject));
		tap_check(got == wc_rows[i].want,
		    "wildcard: %s: \"%s\" ~ \"%s\": got %d, want %d",
		    wc_rows[i].name, wc_rows[i].pattern, wc_rows[i].subject,
		    got, wc_rows[i].want);
		wildcard_free(&w);
	}

	/*
	 * "*a*a*...*a*b" against 509 a's: a backtracking matcher takes
	 * exponential time; this one is linear.  1000 matches must take
	 * well under a second.
	 */
	for (n = 0; n < 1000; n += 2) {
		pat[n] = '*';
		pat[n + 1] = 'a';
	}
	pat[n++] = '*';
	pat[n++] = 'b';
	memset(subj, 'a', 509);
	if (wildcard_compile((const uint8_t *)pat, n, 1, &w) != VOUCH_OK) {
		tap_check(0, "wildcard: hostile pattern: compile failed");
		return;
	}
	t0 = clock();
	got = 0;
	for (i = 0; i < 1000; i++)
		got |= wildcard_match(&w, subj, 509);
	secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
	tap_check(got == 0 && secs < 1.0,
	    "wildcard: 500 stars against 509 bytes, 1000 times: got match=%d "
	    "in %.3f s, want 0 in under 1 s",
	    got, secs);
	wildcard_free(&w);
	tap_check(
	    wildcard_compile((const uint8_t *)"a\0b", 3, 1, &w) == VOUCH_EINVAL,
	    "wildcard: a NUL byte in a pattern is refused");
}

/* ---- data set types --------------------------------------------------- */

static const struct {
	const char *name, *spec;
	enum vouch_status want;
	const char *msg;
} ds_rows[] = {
    {"dsn: (SQL) is refused by name",
        "dsn:mysql://u:p@3306+db/odkim/table=keys?keycol=id?datacol=d",
        VOUCH_EUNSUPPORTED, "\"dsn:\" (an SQL database through OpenDBX)"},
    {"ldap: is refused by name", "ldap://ldap.example/dc=example",
        VOUCH_EUNSUPPORTED, "\"ldap:\" (an LDAP directory)"},
    {"ldaps: is refused by name", "ldaps://ldap.example/", VOUCH_EUNSUPPORTED,
        "\"ldaps:\""},
    {"lua: is refused by name", "lua:/etc/opendkim/keys.lua",
        VOUCH_EUNSUPPORTED, "\"lua:\" (a Lua script)"},
    {"db: is refused by name", "db:/etc/opendkim/keys.db", VOUCH_EUNSUPPORTED,
        "Sleepycat"},
    {"a bare .db file is refused as Sleepycat", "/etc/opendkim/keys.db",
        VOUCH_EUNSUPPORTED, "Sleepycat"},
    {"memcache: is refused by name", "memcache:localhost/keys",
        VOUCH_EUNSUPPORTED, "\"memcache:\""},
    {"an unknown type is a syntax error", "foo:/etc/x", VOUCH_ESYNTAX,
        "unknown data set type \"foo:\""},
    {"type names ignore case", "REFILE:/nonexistent/vouch-test", VOUCH_EIO,
        "/etc/vouchd.conf:12: error: KeyTable /nonexistent/vouch-test: "
        "cannot read"},
    {"a missing file: KeyTable's line, the path in the words",
        "file:/nonexistent/vouch-kt", VOUCH_EIO,
        "/etc/vouchd.conf:12: error: KeyTable /nonexistent/vouch-kt: "
        "cannot read: No such file"},
    {"a refused type names KeyTable's line", "lua:/etc/x.lua",
        VOUCH_EUNSUPPORTED, "/etc/vouchd.conf:12: error: KeyTable: data"},
    {"a directory is not a table", "/tmp", VOUCH_EIO, "Is a directory"},
    {"file: with no path", "file:", VOUCH_ESYNTAX, "no file named"},
};

static void
test_dataset_types(void)
{
	struct vouchd_signing_conf c;
	struct vouchd_signing *s;
	struct vouchd_diag d;
	enum vouch_status st;
	char text[4096];
	size_t i;

	for (i = 0; i < sizeof(ds_rows) / sizeof(ds_rows[0]); i++) {
		memset(&c, 0, sizeof(c));
		c.key_table = ds_rows[i].spec;
		c.signing_table = "csl:*=k";
		c.origin = "/etc/vouchd.conf";
		c.key_table_line = 12;
		vouchd_diag_init(&d);
		st = vouchd_signing_load(&c, &d, &s);
		diag_text(&d, text, sizeof(text));
		tap_check(st == ds_rows[i].want && s == NULL &&
		              has(text, ds_rows[i].msg),
		    "data set: %s: got %s \"%s\", want %s \"%s\"",
		    ds_rows[i].name, vouch_status_str(st), text,
		    vouch_status_str(ds_rows[i].want), ds_rows[i].msg);
		vouchd_signing_free(s);
		vouchd_diag_free(&d);
	}
}

/* ---- KeyTable and SigningTable reading -------------------------------- */

static const struct {
	const char *name, *kt;
	int kt_refile;
	const char *st;
	int st_refile, multiple;
	enum vouch_status want;
	const char *msg; /* a substring of the diagnostics, "" for none */
} load_rows[] = {
    {"a well-formed pair loads clean", "k example.com:s1:/keys/k\n", 0,
        "*@example.com k\n", 1, 0, VOUCH_OK, ""},
    {"comments and CRLF line ends",
        "# keys\r\nk example.com:s1:/keys/k # rsa\r\n", 0,
        "*@example.com k\r\n", 1, 0, VOUCH_OK, ""},
    {"KeyTable value without selector and key", "k example.com\n", 0,
        "*@example.com k\n", 1, 0, VOUCH_ESYNTAX,
        "kt:1: error: key \"k\": want domain:selector:keyfile"},
    {"KeyTable name with no value", "k\n", 0, "*@example.com k\n", 1, 0,
        VOUCH_ESYNTAX, "kt:1: error: key \"k\": want"},
    {"a key written into the table is refused",
        "k example.com:s1:MIICXAIBAAKBgQC\n", 0, "*@example.com k\n", 1, 0,
        VOUCH_ESYNTAX, "kt:1: error: key \"k\": the key must be a file path"},
    {"a signing domain that is no domain", "k exa_mple..com:s1:/keys/k\n", 0,
        "*@example.com k\n", 1, 0, VOUCH_ESYNTAX,
        "kt:1: error: key \"k\": signing domain: empty label"},
    {"a selector with a space is refused", "k example.com:s 1:/keys/k\n", 0,
        "*@example.com k\n", 1, 0, VOUCH_ESYNTAX,
        "kt:1: error: key \"k\": selector holds a character"},
    {"a relative key path warns", "k example.com:s1:./k.private\n", 0,
        "*@example.com k\n", 1, 0, VOUCH_OK,
        "kt:1: warning: key \"k\": relative key path"},
    {"a KeyTable name defined twice warns",
        "k example.com:s1:/keys/a\nk example.com:s2:/keys/b\n", 0,
        "*@example.com k\n", 1, 0, VOUCH_OK,
        "kt:2: warning: key name defined again (first at line 1)"},
    {"a NUL byte in a KeyTable line", "k example.com:s1:/k\0x\n", 0,
        "*@example.com k\n", 1, 0, VOUCH_ESYNTAX, "kt:1: error: NUL byte"},
    {"an empty KeyTable", "# nothing\n", 0, "*@example.com k\n", 1, 0,
        VOUCH_ESYNTAX, "kt: error: no key in the KeyTable"},
    {"SigningTable names a key the KeyTable lacks",
        "k example.com:s1:/keys/k\n", 0, "*@example.com k\n*@x.example nokey\n",
        1, 0, VOUCH_ESYNTAX,
        "st:2: error: the KeyTable has no key named \"nokey\""},
    {"SigningTable names a key whose KeyTable entry was refused",
        "k example.com:s1:/keys/k\nk2 exa_mple..com:s1:/keys/k2\n", 0,
        "*@example.com k\n*@x.example k2\n", 1, 0, VOUCH_ESYNTAX,
        "st:2: error: key \"k2\": its KeyTable entry (kt:2) was refused"},
    {"one of several key names missing", "k example.com:s1:/keys/k\n", 0,
        "*@example.com k, nokey\n", 1, 0, VOUCH_ESYNTAX,
        "st:1: error: the KeyTable has no key named \"nokey\""},
    {"SigningTable pattern with no key name", "k example.com:s1:/keys/k\n", 0,
        "*@example.com\n", 1, 0, VOUCH_ESYNTAX,
        "st:1: error: \"*@example.com\": no KeyTable key name"},
    {"SigningTable keys must be ASCII", "k example.com:s1:/keys/k\n", 0,
        "*@b\xc3\xbc"
        "cher.example k\n",
        1, 0, VOUCH_ESYNTAX, "SigningTable keys are ASCII"},
    {"an empty SigningTable", "k example.com:s1:/keys/k\n", 0, "\n", 1, 0,
        VOUCH_ESYNTAX, "st: error: no entry in the SigningTable"},
    {"\"*\" with a fixed key warns: every domain signs with one key",
        "k example.com:s1:/keys/k\n", 0, "*@example.com k\n* k\n", 1, 0,
        VOUCH_OK,
        "st:2: warning: \"*\" matches every sender domain: mail from any "
        "domain is signed d=example.com with key \"k\""},
    {"\"*@*\" with d=% and one key file warns", "k %:s1:/keys/one.private\n", 0,
        "*@* k\n", 1, 0, VOUCH_OK,
        "st:1: warning: \"*@*\" matches every sender domain: mail from any "
        "domain is signed as that domain with the one key "
        "/keys/one.private"},
    {"a file: \"*\" key is a catch-all too", "k example.com:s1:/keys/k\n", 0,
        "* k\n", 0, 0, VOUCH_OK,
        "st:1: warning: \"*\" matches every sender domain"},
    {"\"*\" with a key per domain (%) does not warn",
        "k %:s1:/keys/%.private\n", 0, "* k\n", 1, 0, VOUCH_OK, ""},
    {"a refile: pattern without @ or * warns", "k example.com:s1:/keys/k\n", 0,
        "example.com k\n", 1, 0, VOUCH_OK,
        "st:1: warning: refile: pattern \"example.com\" has no '@' or '*'"},
    {"the same pattern twice warns without MultipleSignatures",
        "a example.com:s1:/keys/a\nb example.com:s2:/keys/b\n", 0,
        "*@example.com a\n*@example.com b\n", 1, 0, VOUCH_OK,
        "st:2: warning: \"*@example.com\" is used at line 1 first"},
    {"the same pattern twice is fine with MultipleSignatures",
        "a example.com:s1:/keys/a\nb example.com:s2:/keys/b\n", 0,
        "*@example.com a\n*@example.com b\n", 1, 1, VOUCH_OK, ""},
    {"entries after a match-all pattern are never reached",
        "a example.com:s1:/keys/a\n", 0, "*@* a\n*@example.com a\n", 1, 0,
        VOUCH_OK,
        "st:2: warning: never reached: \"*@*\" at line 1 matches every "
        "address first"},
    {"% key name for a named domain the KeyTable lacks",
        "example.com example.com:s1:/keys/a\n", 0, "*@example.org %\n", 1, 0,
        VOUCH_ESYNTAX,
        "st:1: error: key name % is the sender's domain, example.org here"},
    {"a signer outside d= warns", "k example.com:s1:/keys/k\n", 0,
        "*@example.com k:bob@other.example\n", 1, 0, VOUCH_OK,
        "st:1: warning: signer domain other.example is not d=example.com"},
    {"a signer without @ is an error", "k example.com:s1:/keys/k\n", 0,
        "*@example.com k:bob\n", 1, 0, VOUCH_ESYNTAX,
        "st:1: error: signer \"bob\" is not [local]@domain"},
    {"refile: KeyTable names are patterns (docker-mailserver)",
        "mail._domainkey.* %:mail:/keys/%.private\n", 1,
        "*@example.com mail._domainkey.example.com\n", 1, 0, VOUCH_OK, ""},
    {"every bad line is reported, not only the first",
        "a example.com\nb x.example\nc example.com:s:/k\n", 0,
        "*@example.com c\n", 1, 0, VOUCH_ESYNTAX, "kt:2: error: key \"b\""},
};

static void
test_load(void)
{
	struct vouchd_signing *s;
	struct vouchd_diag d;
	enum vouch_status st;
	char text[8192];
	size_t i;
	int clean;

	for (i = 0; i < sizeof(load_rows) / sizeof(load_rows[0]); i++) {
		vouchd_diag_init(&d);
		/* sizeof - 1: rows may hold a NUL byte on purpose */
		st = vouchd_signing_parse("kt",
		    (const uint8_t *)load_rows[i].kt,
		    strlen(load_rows[i].kt) +
		        (strstr(load_rows[i].name, "NUL") ? 3 : 0),
		    load_rows[i].kt_refile, "st",
		    (const uint8_t *)load_rows[i].st, strlen(load_rows[i].st),
		    load_rows[i].st_refile, load_rows[i].multiple, &d, &s);
		diag_text(&d, text, sizeof(text));
		clean = load_rows[i].msg[0] != '\0' || d.n == 0;
		tap_check(st == load_rows[i].want &&
		              (st == VOUCH_OK) == (s != NULL) &&
		              has(text, load_rows[i].msg) && clean,
		    "load: %s: got %s \"%s\", want %s \"%s\"",
		    load_rows[i].name, vouch_status_str(st), text,
		    vouch_status_str(load_rows[i].want), load_rows[i].msg);
		vouchd_signing_free(s);
		vouchd_diag_free(&d);
	}
}

/* ---- lookups ------------------------------------------------------------ */

/* "nomatch", "unusable: ...", or "d=.. s=.. k=..[ i=..]; ..." */
static void
summary(const struct vouchd_sign_match *m, char *out, size_t cap)
{
	size_t i, n = 0;
	int w;

	if (m->outcome == VOUCHD_SIGN_NOMATCH) {
		(void)snprintf(out, cap, "nomatch");
		return;
	}
	if (m->outcome == VOUCHD_SIGN_UNUSABLE) {
		(void)snprintf(out, cap, "unusable");
		return;
	}
	out[0] = '\0';
	for (i = 0; i < m->n; i++) {
		w = snprintf(out + n, cap - n, "%sd=%s s=%s k=%s%s%s",
		    i ? "; " : "", m->req[i].domain, m->req[i].selector,
		    m->req[i].keypath, m->req[i].identity[0] ? " i=" : "",
		    m->req[i].identity);
		if (w < 0 || (size_t)w >= cap - n)
			return;
		n += (size_t)w;
	}
}

static const char kt_rsa_ed[] =
    "rsa example.com:rsa2024:/keys/example.com/rsa.private\n"
    "ed example.com:ed2024:/keys/example.com/ed.private\n"
    "org example.org:s1:/keys/org.private\n"
    "any %:s1:/keys/%.private\n";

static const struct {
	const char *name, *kt;
	int kt_refile;
	const char *st;
	int st_refile, multiple;
	const char *local, *domain, *want;
} lookup_rows[] = {
    {"refile: first match in file order", kt_rsa_ed, 0,
        "*@example.com rsa\n*@example.com ed\n", 1, 0, "alice", "example.com",
        "d=example.com s=rsa2024 k=/keys/example.com/rsa.private"},
    {"refile: RSA and Ed25519 in one pass with MultipleSignatures", kt_rsa_ed,
        0, "*@example.com rsa\n*@example.com ed\n", 1, 1, "alice",
        "example.com",
        "d=example.com s=rsa2024 k=/keys/example.com/rsa.private; "
        "d=example.com s=ed2024 k=/keys/example.com/ed.private"},
    {"refile: one entry listing RSA and Ed25519 signs with both", kt_rsa_ed, 0,
        "*@example.com rsa,ed\n", 1, 0, "alice", "example.com",
        "d=example.com s=rsa2024 k=/keys/example.com/rsa.private; "
        "d=example.com s=ed2024 k=/keys/example.com/ed.private"},
    {"file: key names separated by blanks, with a signer for both", kt_rsa_ed,
        0, "example.com  rsa ed:@example.com\n", 0, 0, "alice", "example.com",
        "d=example.com s=rsa2024 k=/keys/example.com/rsa.private "
        "i=@example.com; d=example.com s=ed2024 "
        "k=/keys/example.com/ed.private i=@example.com"},
    {"a KeyTable name holding a comma keeps OpenDKIM's meaning",
        "a,b example.com:s1:/keys/ab\na example.com:s2:/keys/a\n", 0,
        "*@example.com a,b\n", 1, 0, "x", "example.com",
        "d=example.com s=s1 k=/keys/ab"},
    {"refile: sender case does not matter", kt_rsa_ed, 0, "*@example.com rsa\n",
        1, 0, "Alice", "EXAMPLE.Com",
        "d=example.com s=rsa2024 k=/keys/example.com/rsa.private"},
    {"refile: another domain does not match", kt_rsa_ed, 0,
        "*@example.com rsa\n", 1, 0, "alice", "example.net", "nomatch"},
    {"refile: a trailing dot on the From domain is the same domain", kt_rsa_ed,
        0, "*@example.com rsa\n", 1, 0, "a", "example.com.",
        "d=example.com s=rsa2024 k=/keys/example.com/rsa.private"},
    {"refile: a U-label From domain matches its A-label pattern", kt_rsa_ed, 0,
        "*@xn--bcher-kva.example any\n", 1, 0, "a",
        "b\xc3\xbc"
        "cher.example",
        "d=xn--bcher-kva.example s=s1 k=/keys/xn--bcher-kva.example.private"},
    {"refile: % domain and % path take the sender's domain", kt_rsa_ed, 0,
        "*@*.example any\n", 1, 0, "bob", "shop.example",
        "d=shop.example s=s1 k=/keys/shop.example.private"},
    {"refile: signer field with % becomes i=", kt_rsa_ed, 0,
        "*@example.com rsa:@%\n", 1, 0, "bob", "example.com",
        "d=example.com s=rsa2024 k=/keys/example.com/rsa.private "
        "i=@example.com"},
    {"refile: an i= outside d= is left out", kt_rsa_ed, 0,
        "*@*.example rsa:@%\n", 1, 0, "bob", "shop.example",
        "d=example.com s=rsa2024 k=/keys/example.com/rsa.private"},
    {"refile: an i= below d= is kept", kt_rsa_ed, 0,
        "*@*.example.com rsa:%@%\n", 1, 0, "bob", "eu.example.com",
        "d=example.com s=rsa2024 k=/keys/example.com/rsa.private "
        "i=eu.example.com@eu.example.com"},
    {"refile: % key name picks the KeyTable entry named like the domain",
        "example.com example.com:s1:/keys/com\n"
        "example.org example.org:s2:/keys/org\n",
        0, "*@* %\n", 1, 0, "x", "example.org",
        "d=example.org s=s2 k=/keys/org"},
    {"refile: % key name with no KeyTable entry is unusable",
        "example.com example.com:s1:/keys/com\n", 0, "*@* %\n", 1, 0, "x",
        "example.net", "unusable"},
    {"refile: a From domain that is no host name is not signed", kt_rsa_ed, 0,
        "* any\n", 1, 0, "x", "a/../../etc", "nomatch"},
    {"file: user@host comes before host", kt_rsa_ed, 0,
        "example.com rsa\nalice@example.com ed\n", 0, 0, "alice", "example.com",
        "d=example.com s=ed2024 k=/keys/example.com/ed.private"},
    {"file: host for every other user", kt_rsa_ed, 0,
        "example.com rsa\nalice@example.com ed\n", 0, 0, "bob", "example.com",
        "d=example.com s=rsa2024 k=/keys/example.com/rsa.private"},
    {"file: user@.parent for a subdomain", kt_rsa_ed, 0,
        "bob@.example.com ed\n.example.com rsa\n", 0, 0, "bob",
        "mail.example.com",
        "d=example.com s=ed2024 k=/keys/example.com/ed.private"},
    {"file: .parent for any user of a subdomain", kt_rsa_ed, 0,
        ".example.com rsa\n", 0, 0, "carol", "a.b.example.com",
        "d=example.com s=rsa2024 k=/keys/example.com/rsa.private"},
    {"file: .parent does not cover the parent itself", kt_rsa_ed, 0,
        ".example.com rsa\n", 0, 0, "carol", "example.com", "nomatch"},
    {"file: user@* then *", kt_rsa_ed, 0, "* org\npostmaster@* rsa\n", 0, 0,
        "postmaster", "anything.example",
        "d=example.com s=rsa2024 k=/keys/example.com/rsa.private"},
    {"file: * last", kt_rsa_ed, 0, "* org\npostmaster@* rsa\n", 0, 0, "dave",
        "anything.example", "d=example.org s=s1 k=/keys/org.private"},
    {"file: every lookup key applies with MultipleSignatures", kt_rsa_ed, 0,
        "* org\nexample.com rsa\n", 0, 1, "dave", "example.com",
        "d=example.com s=rsa2024 k=/keys/example.com/rsa.private; "
        "d=example.org s=s1 k=/keys/org.private"},
    {"file: keys are compared without case", kt_rsa_ed, 0, "Example.COM rsa\n",
        0, 0, "x", "example.com",
        "d=example.com s=rsa2024 k=/keys/example.com/rsa.private"},
};

static void
test_lookup(void)
{
	struct vouchd_sign_match m;
	struct vouchd_signing *s;
	struct vouchd_diag d;
	enum vouch_status st;
	char got[2048];
	size_t i;

	for (i = 0; i < sizeof(lookup_rows) / sizeof(lookup_rows[0]); i++) {
		vouchd_diag_init(&d);
		st = vouchd_signing_parse("kt",
		    (const uint8_t *)lookup_rows[i].kt,
		    strlen(lookup_rows[i].kt), lookup_rows[i].kt_refile, "st",
		    (const uint8_t *)lookup_rows[i].st,
		    strlen(lookup_rows[i].st), lookup_rows[i].st_refile,
		    lookup_rows[i].multiple, &d, &s);
		if (st != VOUCH_OK) {
			diag_text(&d, got, sizeof(got));
			tap_check(0, "lookup: %s: load failed: %s \"%s\"",
			    lookup_rows[i].name, vouch_status_str(st), got);
			vouchd_diag_free(&d);
			continue;
		}
		st = vouchd_signing_lookup(s,
		    (const uint8_t *)lookup_rows[i].local,
		    strlen(lookup_rows[i].local),
		    (const uint8_t *)lookup_rows[i].domain,
		    strlen(lookup_rows[i].domain), &m);
		summary(&m, got, sizeof(got));
		tap_check(
		    st == VOUCH_OK && strcmp(got, lookup_rows[i].want) == 0,
		    "lookup: %s: got \"%s\" (%s), want \"%s\"",
		    lookup_rows[i].name, got, m.why, lookup_rows[i].want);
		vouchd_signing_free(s);
		vouchd_diag_free(&d);
	}
}

/* ---- realistic tables on disk ----------------------------------------- */

static const struct {
	const char *name, *key_table, *signing_table;
	int multiple;
	const char *local, *domain, *want;
} real_rows[] = {
    {"OpenDKIM README example: the president has his own key",
        "/opendkim-readme/keytable", "refile:/opendkim-readme/signingtable", 0,
        "president", "example.com",
        "d=example.com s=foo k=/usr/local/etc/dkim/keys/president"},
    {"OpenDKIM README example: the rest of example.com",
        "/opendkim-readme/keytable", "refile:/opendkim-readme/signingtable", 0,
        "vp", "example.com",
        "d=example.com s=bar k=/usr/local/etc/dkim/keys/excom"},
    {"OpenDKIM README example: example.net", "file:/opendkim-readme/keytable",
        "refile:/opendkim-readme/signingtable", 0, "x", "example.net",
        "d=example.net s=baz k=/usr/local/etc/dkim/keys/exnet"},
    {"OpenDKIM README example: other domains are not signed",
        "/opendkim-readme/keytable", "refile:/opendkim-readme/signingtable", 0,
        "x", "example.org", "nomatch"},
    {"docker-mailserver layout: RSA and Ed25519 with MultipleSignatures",
        "refile:/docker-mailserver/KeyTable",
        "refile:/docker-mailserver/SigningTable", 1, "admin", "example.com",
        "d=example.com s=mail k=/etc/opendkim/keys/example.com/mail.private; "
        "d=example.com s=ed k=/etc/opendkim/keys/example.com/ed.private"},
    {"docker-mailserver layout: the second domain",
        "refile:/docker-mailserver/KeyTable",
        "refile:/docker-mailserver/SigningTable", 1, "admin", "example.org",
        "d=example.org s=mail k=/etc/opendkim/keys/example.org/mail.private"},
    {"file lookup: user@host with its own signer", "/file-lookup/keytable",
        "file:/file-lookup/signingtable", 0, "sales", "example.com",
        "d=example.com s=sales k=/etc/dkimkeys/sales.private "
        "i=sales@example.com"},
    {"file lookup: host", "/file-lookup/keytable",
        "file:/file-lookup/signingtable", 0, "bob", "example.com",
        "d=example.com s=2020 k=/etc/dkimkeys/example.com.private"},
    {"file lookup: % key name and % path", "/file-lookup/keytable",
        "file:/file-lookup/signingtable", 0, "bob", "example.net",
        "d=example.net s=2020 k=/etc/dkimkeys/example.net.private"},
    {"file lookup: user@.parent before .parent", "/file-lookup/keytable",
        "file:/file-lookup/signingtable", 0, "user", "shop.example.org",
        "d=relay.example s=r1 k=/etc/dkimkeys/relay.private"},
    {"file lookup: .parent with an i= outside d= left out",
        "/file-lookup/keytable", "file:/file-lookup/signingtable", 0, "ann",
        "shop.example.org",
        "d=relay.example s=r1 k=/etc/dkimkeys/relay.private "
        "i=@relay.example"},
};

/* "refile:/x" -> "refile:TABLES_DATA/x" */
static void
data_spec(const char *spec, char *out, size_t cap)
{
	const char *slash = strchr(spec, '/');

	(void)snprintf(out, cap, "%.*s%s%s", (int)(slash - spec), spec,
	    TABLES_DATA, slash);
}

static void
test_real(void)
{
	struct vouchd_signing_conf c;
	struct vouchd_sign_match m;
	struct vouchd_signing *s;
	struct vouchd_diag d;
	char kt[1024], stab[1024], got[2048];
	enum vouch_status st;
	size_t i;

	for (i = 0; i < sizeof(real_rows) / sizeof(real_rows[0]); i++) {
		memset(&c, 0, sizeof(c));
		data_spec(real_rows[i].key_table, kt, sizeof(kt));
		data_spec(real_rows[i].signing_table, stab, sizeof(stab));
		c.key_table = kt;
		c.signing_table = stab;
		c.multiple = real_rows[i].multiple;
		vouchd_diag_init(&d);
		st = vouchd_signing_load(&c, &d, &s);
		if (st != VOUCH_OK || d.n != 0) {
			diag_text(&d, got, sizeof(got));
			tap_check(0, "real tables: %s: load: %s \"%s\"",
			    real_rows[i].name, vouch_status_str(st), got);
			vouchd_signing_free(s);
			vouchd_diag_free(&d);
			continue;
		}
		st = vouchd_signing_lookup(s,
		    (const uint8_t *)real_rows[i].local,
		    strlen(real_rows[i].local),
		    (const uint8_t *)real_rows[i].domain,
		    strlen(real_rows[i].domain), &m);
		summary(&m, got, sizeof(got));
		tap_check(st == VOUCH_OK && strcmp(got, real_rows[i].want) == 0,
		    "real tables: %s: got \"%s\" (%s), want \"%s\"",
		    real_rows[i].name, got, m.why, real_rows[i].want);
		vouchd_signing_free(s);
		vouchd_diag_free(&d);
	}
}

/* ---- csl: and the single-key form ------------------------------------- */

static const struct {
	const char *name;
	const char *key_table, *signing_table;
	const char *domains[3];
	int subdomains;
	const char *local, *domain, *want;
} conf_rows[] = {
    {"csl: KeyTable and SigningTable inline",
        "csl:k1=example.com:s1:/keys/k1, k2=example.org:s2:/keys/k2",
        "csl:example.org=k2,example.com=k1", {NULL}, 0, "x", "example.org",
        "d=example.org s=s2 k=/keys/k2"},
    {"single key: the listed domain", NULL, NULL,
        {"example.com", "example.net", NULL}, 0, "x", "Example.NET",
        "d=example.net s=sel k=/keys/%single.private"},
    {"single key: a subdomain without SubDomains is not signed", NULL, NULL,
        {"example.com", NULL}, 0, "x", "mail.example.com", "nomatch"},
    {"single key: SubDomains signs as the listed parent", NULL, NULL,
        {"example.com", NULL}, 1, "x", "a.mail.example.com",
        "d=example.com s=sel k=/keys/%single.private"},
    {"single key: a csl: Domain list", NULL, NULL,
        {"csl:example.com,example.org", NULL}, 0, "x", "example.org",
        "d=example.org s=sel k=/keys/%single.private"},
    {"single key: another domain is not signed", NULL, NULL,
        {"example.com", NULL}, 1, "x", "example.org", "nomatch"},
};

static void
test_conf_forms(void)
{
	struct vouchd_signing_conf c;
	struct vouchd_sign_match m;
	struct vouchd_signing *s;
	struct vouchd_diag d;
	char got[2048];
	enum vouch_status st;
	size_t i, n;

	for (i = 0; i < sizeof(conf_rows) / sizeof(conf_rows[0]); i++) {
		memset(&c, 0, sizeof(c));
		c.key_table = conf_rows[i].key_table;
		c.signing_table = conf_rows[i].signing_table;
		for (n = 0; n < 3 && conf_rows[i].domains[n]; n++)
			;
		if (n > 0) {
			c.domains = conf_rows[i].domains;
			c.ndomains = n;
			c.selector = "sel";
			c.key_file = "/keys/%single.private";
		}
		c.subdomains = conf_rows[i].subdomains;
		c.origin = "vouchd.conf";
		vouchd_diag_init(&d);
		st = vouchd_signing_load(&c, &d, &s);
		if (st != VOUCH_OK) {
			diag_text(&d, got, sizeof(got));
			tap_check(0, "conf: %s: load: %s \"%s\"",
			    conf_rows[i].name, vouch_status_str(st), got);
			vouchd_diag_free(&d);
			continue;
		}
		st = vouchd_signing_lookup(s,
		    (const uint8_t *)conf_rows[i].local,
		    strlen(conf_rows[i].local),
		    (const uint8_t *)conf_rows[i].domain,
		    strlen(conf_rows[i].domain), &m);
		summary(&m, got, sizeof(got));
		tap_check(st == VOUCH_OK && strcmp(got, conf_rows[i].want) == 0,
		    "conf: %s: got \"%s\" (%s), want \"%s\"", conf_rows[i].name,
		    got, m.why, conf_rows[i].want);
		vouchd_signing_free(s);
		vouchd_diag_free(&d);
	}

	/* Options that do not go together. */
	memset(&c, 0, sizeof(c));
	c.key_table = "csl:k=example.com:s:/k";
	c.origin = "vouchd.conf";
	vouchd_diag_init(&d);
	st = vouchd_signing_load(&c, &d, &s);
	diag_text(&d, got, sizeof(got));
	tap_check(st == VOUCH_ESYNTAX &&
	              has(got, "KeyTable without SigningTable: KeyTable and "
	                       "SigningTable go together"),
	    "conf: KeyTable without SigningTable: got %s \"%s\"",
	    vouch_status_str(st), got);
	vouchd_diag_free(&d);

	memset(&c, 0, sizeof(c));
	c.key_file = "/k";
	c.selector = "s";
	vouchd_diag_init(&d);
	st = vouchd_signing_load(&c, &d, &s);
	diag_text(&d, got, sizeof(got));
	tap_check(st == VOUCH_ESYNTAX && has(got, "KeyFile needs Selector and "
	                                          "Domain"),
	    "conf: KeyFile without Domain: got %s \"%s\"", vouch_status_str(st),
	    got);
	vouchd_diag_free(&d);
}

/* ---- key file checks --------------------------------------------------- */

static const char *tmpdir;

static void
write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	if (fd < 0 || write(fd, text, strlen(text)) < 0 ||
	    fchmod(fd, mode) != 0) {
		perror(path);
		exit(2);
	}
	close(fd);
}

static void
test_keycheck(void)
{
	struct vouch_dkim_key *key = NULL;
	struct vouchd_signing_conf c;
	struct vouchd_signing *s;
	struct vouchd_diag d;
	char good[320], loose[320], junk[320], kt[2048], got[4096];
	enum vouch_status st;

	(void)snprintf(good, sizeof(good), "%s/good.private", tmpdir);
	(void)snprintf(loose, sizeof(loose), "%s/loose.private", tmpdir);
	(void)snprintf(junk, sizeof(junk), "%s/junk.private", tmpdir);
	if (vouch_dkim_key_generate(VOUCH_DKIM_KEY_ED25519, 0, &key) !=
	        VOUCH_OK ||
	    vouch_dkim_key_write_private(key, good) != VOUCH_OK) {
		tap_check(0, "keycheck: cannot make a test key");
		return;
	}
	vouch_dkim_key_free(key);
	write_file(loose, "x", 0644);
	write_file(junk, "not a key\n", 0600);
	(void)snprintf(kt, sizeof(kt),
	    "csl:good=example.com:a:%s,loose=example.com:b:%s,"
	    "junk=example.com:c:%s,gone=example.com:d:%s/gone.private",
	    good, loose, junk, tmpdir);
	memset(&c, 0, sizeof(c));
	c.key_table = kt;
	c.signing_table = "csl:a@example.com=good,b@example.com=loose,"
	                  "c@example.com=junk,d@example.com=gone";
	c.origin = "vouchd.conf";
	vouchd_diag_init(&d);
	st = vouchd_signing_load(&c, &d, &s);
	if (st != VOUCH_OK) {
		diag_text(&d, got, sizeof(got));
		tap_check(
		    0, "keycheck: load: %s \"%s\"", vouch_status_str(st), got);
		vouchd_diag_free(&d);
		return;
	}

	st = vouchd_signing_check_keys(s, VOUCHD_KEYCHECK_SAFE, &d);
	diag_text(&d, got, sizeof(got));
	tap_check(st == VOUCH_EIO && d.nerrors == 2 &&
	              has(got, "key \"loose\": ") &&
	              has(got, "loose.private is mode 0644: group or others") &&
	              has(got, "key \"gone\": cannot read ") &&
	              has(got, "gone.private: No such file"),
	    "keycheck: with SAFE, a missing and a 0644 key are errors naming "
	    "their paths: got %s %zu errors \"%s\"",
	    vouch_status_str(st), d.nerrors, got);
	vouchd_diag_free(&d);

	vouchd_diag_init(&d);
	st = vouchd_signing_check_keys(s, 0, &d);
	tap_check(st == VOUCH_EIO && d.nerrors == 1 && d.nwarnings == 1,
	    "keycheck: without SAFE a 0644 key only warns: got %s %zu errors "
	    "%zu warnings",
	    vouch_status_str(st), d.nerrors, d.nwarnings);
	vouchd_diag_free(&d);

	vouchd_diag_init(&d);
	st = vouchd_signing_check_keys(
	    s, VOUCHD_KEYCHECK_SAFE | VOUCHD_KEYCHECK_PARSE, &d);
	diag_text(&d, got, sizeof(got));
	tap_check(st == VOUCH_EIO && d.nerrors == 4 &&
	              has(got, "junk.private is not a private key") &&
	              !has(got, "good.private"),
	    "keycheck: PARSE finds a file that is not a key, and accepts the "
	    "Ed25519 key: got %s %zu errors \"%s\"",
	    vouch_status_str(st), d.nerrors, got);
	vouchd_diag_free(&d);
	vouchd_signing_free(s);
	unlink(good);
	unlink(loose);
	unlink(junk);
}

/* ---- send-as ------------------------------------------------------------- */

static const char sa_table[] =
    "# login        may send as\n"
    "alice          alice@example.com, a.smith@example.com\n"
    "alice          @alice.example\n"
    "sales          @.sales.example.com\n"
    "admin          *\n"
    "bob@example.org %\n"
    "*              %   # every login that is an address may use it\n"
    "carol          carol+news@example.com\n"
    "dave           dave@b\xc3\xbc"
    "cher.example\n";

static const char sa_aliases[] = "info@example.com      alice@example.com\n"
                                 "@old.example          @example.com\n"
                                 "contact@example.com   info@example.com\n";

static const struct {
	const char *name, *delims, *login, *local, *domain;
	enum vouchd_sendas_result want;
} sa_rows[] = {
    {"the login's own address", NULL, "alice", "alice", "example.com",
        VOUCHD_SENDAS_ALLOWED},
    {"a second address on the same line", NULL, "alice", "a.smith",
        "example.com", VOUCHD_SENDAS_ALLOWED},
    {"another user's address", NULL, "alice", "bob", "example.com",
        VOUCHD_SENDAS_NO_MATCH},
    {"another user's domain", NULL, "alice", "alice", "example.org",
        VOUCHD_SENDAS_NO_MATCH},
    {"case of local part and domain ignored", NULL, "alice", "ALICE",
        "Example.COM", VOUCHD_SENDAS_ALLOWED},
    {"+detail folded", NULL, "alice", "alice+lists", "example.com",
        VOUCHD_SENDAS_ALLOWED},
    {"detail delimiters from the configuration", "-", "alice", "alice-lists",
        "example.com", VOUCHD_SENDAS_ALLOWED},
    {"detail folding turned off", "", "alice", "alice+lists", "example.com",
        VOUCHD_SENDAS_NO_MATCH},
    {"a granted +detail address is exact", NULL, "carol", "carol",
        "example.com", VOUCHD_SENDAS_NO_MATCH},
    {"a granted +detail address itself", NULL, "carol", "carol+news",
        "example.com", VOUCHD_SENDAS_ALLOWED},
    {"@domain on a later line of the same login", NULL, "alice", "anyone",
        "alice.example", VOUCHD_SENDAS_ALLOWED},
    {"@.domain covers subdomains", NULL, "sales", "x", "eu.sales.example.com",
        VOUCHD_SENDAS_ALLOWED},
    {"@.domain does not cover the domain itself", NULL, "sales", "x",
        "sales.example.com", VOUCHD_SENDAS_NO_MATCH},
    {"* allows any address", NULL, "admin", "ceo", "bank.example",
        VOUCHD_SENDAS_ALLOWED},
    {"% is the login itself", NULL, "bob@example.org", "bob", "example.org",
        VOUCHD_SENDAS_ALLOWED},
    {"% is only the login itself", NULL, "bob@example.org", "eve",
        "example.org", VOUCHD_SENDAS_NO_MATCH},
    {"login * with %: every address login may send as itself", NULL,
        "erin@example.net", "Erin", "EXAMPLE.net", VOUCHD_SENDAS_ALLOWED},
    {"logins are compared byte for byte", NULL, "Alice", "alice", "example.com",
        VOUCHD_SENDAS_NO_MATCH},
    {"an unknown login", NULL, "mallory", "alice", "example.com",
        VOUCHD_SENDAS_NO_MATCH},
    {"an alias of the login's address", NULL, "alice", "info", "example.com",
        VOUCHD_SENDAS_ALLOWED},
    {"an alias through another alias", NULL, "alice", "contact", "example.com",
        VOUCHD_SENDAS_ALLOWED},
    {"a domain alias", NULL, "alice", "alice", "old.example",
        VOUCHD_SENDAS_ALLOWED},
    {"a domain alias with a +detail", NULL, "alice", "alice+x", "OLD.example",
        VOUCHD_SENDAS_ALLOWED},
    {"an alias grants nothing to others", NULL, "sales", "info", "example.com",
        VOUCHD_SENDAS_NO_MATCH},
    {"a U-label domain matches the table's", NULL, "dave", "dave",
        "xn--bcher-kva.example", VOUCHD_SENDAS_ALLOWED},
    {"no login is unauthenticated", NULL, "", "alice", "example.com",
        VOUCHD_SENDAS_UNAUTHENTICATED},
    {"a domain that is no host name is malformed", NULL, "alice", "alice",
        "exa mple.com", VOUCHD_SENDAS_MALFORMED},
    {"an empty local part is malformed", NULL, "alice", "", "example.com",
        VOUCHD_SENDAS_MALFORMED},
};

static struct vouchd_sendas *
sendas(const char *delims, struct vouchd_diag *d)
{
	struct vouchd_sendas *t = NULL;

	if (vouchd_sendas_parse("sendas", (const uint8_t *)sa_table,
	        sizeof(sa_table) - 1, "aliases", (const uint8_t *)sa_aliases,
	        sizeof(sa_aliases) - 1, delims, d, &t) != VOUCH_OK)
		return NULL;
	return t;
}

static void
test_sendas_lookup(void)
{
	struct vouchd_sendas *t;
	struct vouchd_diag d;
	enum vouchd_sendas_result r;
	char why[512], text[2048];
	size_t i;

	for (i = 0; i < sizeof(sa_rows) / sizeof(sa_rows[0]); i++) {
		vouchd_diag_init(&d);
		if ((t = sendas(sa_rows[i].delims, &d)) == NULL) {
			diag_text(&d, text, sizeof(text));
			tap_check(0, "send-as: %s: load failed \"%s\"",
			    sa_rows[i].name, text);
			vouchd_diag_free(&d);
			continue;
		}
		r = vouchd_sendas_lookup(t, sa_rows[i].login,
		    strlen(sa_rows[i].login), (const uint8_t *)sa_rows[i].local,
		    strlen(sa_rows[i].local),
		    (const uint8_t *)sa_rows[i].domain,
		    strlen(sa_rows[i].domain), why, sizeof(why));
		tap_check(r == sa_rows[i].want && d.n == 0,
		    "send-as: %s: got %s (%s), want %s", sa_rows[i].name,
		    vouchd_sendas_result_str(r), why,
		    vouchd_sendas_result_str(sa_rows[i].want));
		vouchd_sendas_free(t);
		vouchd_diag_free(&d);
	}
	vouchd_diag_init(&d);
	tap_check(vouchd_sendas_parse("sendas", (const uint8_t *)"a *\n", 4,
	              NULL, NULL, 0, "+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-", &d,
	              &t) == VOUCH_EINVAL &&
	              d.nerrors == 1,
	    "send-as: 34 detail delimiters are refused with a message");
	vouchd_diag_free(&d);
	r = vouchd_sendas_lookup(NULL, "alice", 5, (const uint8_t *)"a", 1,
	    (const uint8_t *)"example.com", 11, why, sizeof(why));
	tap_check(r == VOUCHD_SENDAS_ERROR,
	    "send-as: no table loaded is a lookup error: got %s",
	    vouchd_sendas_result_str(r));
}

static const struct {
	const char *name, *table, *aliases, *msg;
	enum vouch_status want;
} sa_load_rows[] = {
    {"a clean table", "a a@example.com\n", "", "", VOUCH_OK},
    {"a login with no address", "a a@example.com\nb\n", "",
        "sendas:2: error: login \"b\" with no address after it", VOUCH_ESYNTAX},
    {"a word that is not an address", "a example.com\n", "",
        "sendas:1: error: \"example.com\" is not an address, @domain",
        VOUCH_ESYNTAX},
    {"a bad domain", "a a@exa..mple\n", "",
        "sendas:1: error: address \"a@exa..mple\": ", VOUCH_ESYNTAX},
    {"a bad @domain", "a @exa!mple.com\n", "",
        "sendas:1: error: \"@exa!mple.com\": domain holds characters",
        VOUCH_ESYNTAX},
    {"every bad address is reported", "a x@y..z, q@r..s\n", "",
        "sendas:1: error: address \"q@r..s\"", VOUCH_ESYNTAX},
    {"* for every login warns", "* *\n", "",
        "sendas:1: warning: every login may send as any address", VOUCH_OK},
    {"an empty table", "# none\n", "", "sendas: error: no login",
        VOUCH_ESYNTAX},
    {"an alias with two targets", "a a@example.com\n",
        "list@example.com a@example.com b@example.com\n",
        "aliases:1: error: want an alias and the one address", VOUCH_ESYNTAX},
    {"an alias of an address to a domain", "a a@example.com\n",
        "x@example.com @example.org\n",
        "aliases:1: error: an address aliases an address", VOUCH_ESYNTAX},
    {"an alias loop", "a a@example.com\n",
        "x@example.com y@example.com\ny@example.com x@example.com\n",
        "error: alias chain loops", VOUCH_ESYNTAX},
    {"a domain alias loop", "a a@example.com\n",
        "@a.example @b.example\n@b.example @a.example\n",
        "error: alias chain loops", VOUCH_ESYNTAX},
    {"an alias defined twice", "a a@example.com\n",
        "x@example.com a@example.com\nX@Example.com b@example.com\n",
        "aliases:2: error: alias defined again (first at line 1)",
        VOUCH_ESYNTAX},
    {"a NUL byte", "a a@example.com\0\n", "", "sendas:1: error: NUL byte",
        VOUCH_ESYNTAX},
};

static void
test_sendas_load(void)
{
	struct vouchd_sendas *t;
	struct vouchd_diag d;
	enum vouch_status st;
	char text[4096];
	size_t i, tl;

	for (i = 0; i < sizeof(sa_load_rows) / sizeof(sa_load_rows[0]); i++) {
		vouchd_diag_init(&d);
		tl = strlen(sa_load_rows[i].table);
		if (strstr(sa_load_rows[i].name, "NUL"))
			tl += 2;
		st = vouchd_sendas_parse("sendas",
		    (const uint8_t *)sa_load_rows[i].table, tl, "aliases",
		    (const uint8_t *)sa_load_rows[i].aliases,
		    strlen(sa_load_rows[i].aliases), NULL, &d, &t);
		diag_text(&d, text, sizeof(text));
		tap_check(st == sa_load_rows[i].want &&
		              (st == VOUCH_OK) == (t != NULL) &&
		              has(text, sa_load_rows[i].msg) &&
		              (sa_load_rows[i].msg[0] || d.n == 0),
		    "send-as load: %s: got %s \"%s\", want %s \"%s\"",
		    sa_load_rows[i].name, vouch_status_str(st), text,
		    vouch_status_str(sa_load_rows[i].want),
		    sa_load_rows[i].msg);
		vouchd_sendas_free(t);
		vouchd_diag_free(&d);
	}
}

static const struct {
	const char *name, *login;
	const char *from[2]; /* field values */
	const char *sender, *mailfrom;
	enum vouchd_sendas_result want;
	enum vouchd_sendas_source src;
	const char *reason;
} msg_rows[] = {
    {"every address allowed", "alice", {" Alice <alice@example.com>\r\n"},
        " alice@alice.example\r\n", "<alice+bounce@example.com>",
        VOUCHD_SENDAS_ALLOWED, VOUCHD_SENDAS_SRC_NONE, "every sender address"},
    {"the second From mailbox is someone else's", "alice",
        {" alice@example.com, bob@example.org\r\n"}, NULL, NULL,
        VOUCHD_SENDAS_NO_MATCH, VOUCHD_SENDAS_SRC_FROM,
        "sender address <bob@example.org> in From is not allowed for login "
        "alice"},
    {"a second From field is checked too", "alice",
        {" alice@example.com\r\n", " eve@example.net\r\n"}, NULL, NULL,
        VOUCHD_SENDAS_NO_MATCH, VOUCHD_SENDAS_SRC_FROM, "<eve@example.net>"},
    {"an address in the display name does not count", "alice",
        {" \"alice@example.com\" <ceo@bank.example>\r\n"}, NULL, NULL,
        VOUCHD_SENDAS_NO_MATCH, VOUCHD_SENDAS_SRC_FROM,
        "<ceo@bank.example> in From"},
    {"Sender is checked", "alice", {" alice@example.com\r\n"},
        " secretary@example.org\r\n", NULL, VOUCHD_SENDAS_NO_MATCH,
        VOUCHD_SENDAS_SRC_SENDER,
        "sender address <secretary@example.org> in Sender"},
    {"MAIL FROM is checked", "alice", {" alice@example.com\r\n"}, NULL,
        "<bounces@example.org>", VOUCHD_SENDAS_NO_MATCH,
        VOUCHD_SENDAS_SRC_MAIL_FROM,
        "<bounces@example.org> in MAIL FROM is not allowed for login alice"},
    {"MAIL FROM without angle brackets", "alice", {" alice@example.com\r\n"},
        NULL, "alice@example.com", VOUCHD_SENDAS_ALLOWED,
        VOUCHD_SENDAS_SRC_NONE, ""},
    {"the null reverse-path claims no address", "alice",
        {" alice@example.com\r\n"}, NULL, "<>", VOUCHD_SENDAS_ALLOWED,
        VOUCHD_SENDAS_SRC_NONE, ""},
    {"a message without From is malformed", "alice", {NULL}, NULL, NULL,
        VOUCHD_SENDAS_MALFORMED, VOUCHD_SENDAS_SRC_FROM,
        "the message has no From field"},
    {"a From that does not parse is malformed", "alice",
        {" alice@example.com <x\r\n"}, NULL, NULL, VOUCHD_SENDAS_MALFORMED,
        VOUCHD_SENDAS_SRC_FROM, "in From cannot be checked for login alice"},
    {"an empty From group is malformed", "alice",
        {" undisclosed-recipients:;\r\n"}, NULL, NULL, VOUCHD_SENDAS_MALFORMED,
        VOUCHD_SENDAS_SRC_FROM, "no address"},
    {"a Sender of two mailboxes is malformed", "alice",
        {" alice@example.com\r\n"}, " a@example.com, b@example.com\r\n", NULL,
        VOUCHD_SENDAS_MALFORMED, VOUCHD_SENDAS_SRC_SENDER,
        "more than one address"},
    {"a domain literal is malformed", "alice", {" alice@[192.0.2.1]\r\n"}, NULL,
        NULL, VOUCHD_SENDAS_MALFORMED, VOUCHD_SENDAS_SRC_FROM,
        "a domain literal"},
    {"no login", "", {" alice@example.com\r\n"}, NULL, NULL,
        VOUCHD_SENDAS_UNAUTHENTICATED, VOUCHD_SENDAS_SRC_NONE,
        "did not authenticate"},
    {"a quoted local part means its characters", "alice",
        {" \"alice\"@example.com\r\n"}, NULL, NULL, VOUCHD_SENDAS_ALLOWED,
        VOUCHD_SENDAS_SRC_NONE, ""},
};

static void
test_sendas_check(void)
{
	struct vouchd_sendas_verdict v;
	struct vouchd_sendas *t;
	struct vouchd_diag d;
	const uint8_t *from[2];
	size_t fromlen[2], nfrom, i;
	enum vouch_status st;

	vouchd_diag_init(&d);
	if ((t = sendas(NULL, &d)) == NULL) {
		tap_check(0, "send-as check: table did not load");
		vouchd_diag_free(&d);
		return;
	}
	for (i = 0; i < sizeof(msg_rows) / sizeof(msg_rows[0]); i++) {
		for (nfrom = 0; nfrom < 2 && msg_rows[i].from[nfrom]; nfrom++) {
			from[nfrom] = (const uint8_t *)msg_rows[i].from[nfrom];
			fromlen[nfrom] = strlen(msg_rows[i].from[nfrom]);
		}
		st = vouchd_sendas_check(t, msg_rows[i].login,
		    strlen(msg_rows[i].login), from, fromlen, nfrom,
		    (const uint8_t *)msg_rows[i].sender,
		    msg_rows[i].sender ? strlen(msg_rows[i].sender) : 0,
		    (const uint8_t *)msg_rows[i].mailfrom,
		    msg_rows[i].mailfrom ? strlen(msg_rows[i].mailfrom) : 0,
		    &v);
		tap_check(st == VOUCH_OK && v.result == msg_rows[i].want &&
		              (v.result == VOUCHD_SENDAS_ALLOWED ||
		                  v.result == VOUCHD_SENDAS_UNAUTHENTICATED ||
		                  v.source == msg_rows[i].src) &&
		              has(v.reason, msg_rows[i].reason),
		    "send-as check: %s: got %s source %d \"%s\", want %s "
		    "source %d \"%s\"",
		    msg_rows[i].name, vouchd_sendas_result_str(v.result),
		    (int)v.source, v.reason,
		    vouchd_sendas_result_str(msg_rows[i].want),
		    (int)msg_rows[i].src, msg_rows[i].reason);
	}
	vouchd_sendas_free(t);
	vouchd_diag_free(&d);
}

static void
test_sendas_files(void)
{
	struct vouchd_sendas_conf c;
	struct vouchd_sendas *t;
	struct vouchd_diag d;
	char tab[320], ali[320], text[2048];
	enum vouch_status st;

	(void)snprintf(tab, sizeof(tab), "%s/sendas", tmpdir);
	(void)snprintf(ali, sizeof(ali), "%s/aliases", tmpdir);
	write_file(tab, "alice alice@example.com\n", 0644);
	write_file(ali, "info@example.com alice@example.com\n", 0644);
	memset(&c, 0, sizeof(c));
	c.table = tab;
	c.aliases = ali;
	vouchd_diag_init(&d);
	st = vouchd_sendas_load(&c, &d, &t);
	tap_check(
	    st == VOUCH_OK && t != NULL &&
	        vouchd_sendas_lookup(t, "alice", 5, (const uint8_t *)"info", 4,
	            (const uint8_t *)"example.com", 11, NULL,
	            0) == VOUCHD_SENDAS_ALLOWED,
	    "send-as files: table and alias map from disk: got %s",
	    vouch_status_str(st));
	vouchd_sendas_free(t);
	vouchd_diag_free(&d);

	c.aliases = "/nonexistent/vouch-aliases";
	vouchd_diag_init(&d);
	st = vouchd_sendas_load(&c, &d, &t);
	diag_text(&d, text, sizeof(text));
	tap_check(st == VOUCH_EIO && t == NULL &&
	              has(text, "/nonexistent/vouch-aliases: error: "
	                        "SenderAuthAliases: cannot read: No such"),
	    "send-as files: a missing alias map names its path: got %s \"%s\"",
	    vouch_status_str(st), text);
	vouchd_diag_free(&d);
	unlink(tab);
	unlink(ali);
}

/* ---- diagnostics --------------------------------------------------------- */

static void
test_diag(void)
{
	struct vouchd_diag d;
	char q[16];
	int i;

	vouchd_diag_init(&d);
	for (i = 0; i < VOUCHD_DIAG_MAX + 5; i++)
		diag_at(&d, VOUCHD_DIAG_ERROR, "f", (unsigned)i + 1, 0, "e");
	tap_check(d.n == VOUCHD_DIAG_MAX && d.ndropped == 5 &&
	              d.nerrors == VOUCHD_DIAG_MAX + 5,
	    "diag: at most %d kept, the rest counted: got %zu kept %zu "
	    "dropped",
	    VOUCHD_DIAG_MAX, d.n, d.ndropped);
	{
		char *text = NULL;
		size_t len = 0;
		FILE *fp = open_memstream(&text, &len);

		vouchd_diag_print(&d, "vouchd: ", fp);
		fclose(fp);
		tap_check(strncmp(text, "vouchd: f:1: error: e\n", 22) == 0 &&
		              strstr(text, "vouchd: 5 more messages\n") != NULL,
		    "diag: printed one per line with the count of the rest");
		free(text);
	}
	vouchd_diag_free(&d);
	diag_quote((const uint8_t *)"a\x01\xff\\bcdefghijkl", 15, q, sizeof(q));
	tap_check(strcmp(q, "a\\x01\\xff...") == 0,
	    "diag: quoting escapes bytes and cuts with ...: got \"%s\"", q);
}

int
main(void)
{
	if ((tmpdir = tap_tmpdir("tables")) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	test_wildcard();
	test_dataset_types();
	test_load();
	test_lookup();
	test_real();
	test_conf_forms();
	test_keycheck();
	test_sendas_lookup();
	test_sendas_load();
	test_sendas_check();
	test_sendas_files();
	test_diag();
	return tap_done();
}
