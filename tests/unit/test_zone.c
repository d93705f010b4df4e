/*
 * Unit tests of the zone-file back end (src/lib/dns/zone.c) and the query
 * front (src/lib/dns/query.c): small zone texts in memory, one row per
 * question, the answer rendered as text and compared; then zone texts that
 * must be refused with the file and line; then every zone.db of
 * ../shared/cases must load.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "vouch/dns.h"

/* An answer as text: "rcode[ reason]" then " | record" per record. */
static void
render(const struct vouch_dns_answer *ans, char *out, size_t cap)
{
	size_t n = 0, i, j;
	const struct vouch_dns_rr *rr;
	char addr[INET6_ADDRSTRLEN];

#define PUT(...) \
	do { \
		if (n < cap) \
			n += (size_t)snprintf(out + n, cap - n, __VA_ARGS__); \
	} while (0)
	PUT("%s", vouch_dns_rcode_str(ans->rcode));
	if (ans->reason != NULL)
		PUT(" %s", ans->reason);
	for (i = 0; i < ans->nrr; i++) {
		rr = &ans->rr[i];
		PUT(" | ");
		if (rr->type == VOUCH_DNS_A || rr->type == VOUCH_DNS_AAAA) {
			inet_ntop(rr->type == VOUCH_DNS_A ? AF_INET : AF_INET6,
			    rr->data, addr, sizeof(addr));
			PUT("%s", addr);
			continue;
		}
		if (rr->type == VOUCH_DNS_MX)
			PUT("%u ", rr->pref);
		if (rr->type == VOUCH_DNS_TXT || rr->type == VOUCH_DNS_SPF)
			PUT("%u:", rr->nstrings);
		for (j = 0; j < rr->len; j++) {
			if (rr->data[j] < 0x20 || rr->data[j] > 0x7e ||
			    rr->data[j] == '\\')
				PUT("\\%03u", rr->data[j]);
			else
				PUT("%c", rr->data[j]);
		}
		if (rr->data[rr->len] != '\0')
			PUT("(not NUL-terminated)");
	}
#undef PUT
	if (n >= cap)
		out[cap - 1] = '\0';
}

static const char zone1[] =
    "; a comment line\n"
    "$ORIGIN example.com.\n"
    "$TTL 300\n"
    "@ IN A 192.0.2.1\n"
    "@ 600 IN MX 10 mx1\n"
    "@ IN 600 MX 20 mx2.example.net.\n"
    "  IN TXT \"v=spf1 \" \"-all\"   ; blank owner: the previous one\n"
    "\n"
    "www A 192.0.2.2\n"
    "www.example.com. AAAA 2001:DB8::1\n"
    "v6 AAAA ::ffff:192.0.2.3\n"
    "v6b AAAA 2001:0db8:0000:0000:0000:0000:0000:00FF\n"
    "v6c aaaa ::\n"
    "txt TXT \"a\\\"b\" \"c\\\\d\" \"\\009tab\"\n"
    "txt2 TXT ( \"first\"\n"
    "           \"second\" ) ; comment after\n"
    "bare TXT word\n"
    "empty0 TXT\n"
    "empty1 TXT \"\"\n"
    "semi TXT \"a;b (c)\"\n"
    "bytes TXT \"\\000\\255\\128x\"\n"
    "spf SPF \"v=spf1 -all\"\n"
    "alias CNAME www\n"
    "chain1 CNAME chain2\n"
    "chain2 CNAME alias.example.com.\n"
    "loop1 CNAME loop2\n"
    "loop2 CNAME loop1\n"
    "dangling CNAME nowhere.example.com.\n"
    "ptr PTR host.example.org.\n"
    "ns NS ns1\n"
    "a.b.c.deep A 192.0.2.9\n"
    "Mixed.Case A 192.0.2.10\n"
    "multi ( 300\n"
    "  IN\n"
    "  A 192.0.2.20 )\n"
    "nullmx MX 0 .\n"
    "$ORIGIN sub\n"
    "x A 192.0.2.11\n"
    "$ORIGIN example.com.\n"
    "$TIMEOUT slow\n"
    "$SERVFAIL broken.example.com.\n"
    "slow A 192.0.2.12\n"
    "$TTL 1h\n"
    "ttlh A 192.0.2.13\n"
    "twostr 1d TXT \"x\" \"\"\n"
    "cnamed CNAME slow\n";

/* Names of the SPF council suite: spaces (\032), ':' and '/'. */
/*
 * Answers larger than what the answer builder keeps on the stack (4
 * records, 1 KiB of data: src/lib/dns/internal.h), so that its spill to
 * the heap is taken.
 */
static const char zone_big[] =
    "$ORIGIN example.com.\n$TTL 300\n"
    "many A 192.0.2.1\nmany A 192.0.2.2\nmany A 192.0.2.3\n"
    "many A 192.0.2.4\nmany A 192.0.2.5\nmany A 192.0.2.6\n"
    "big TXT \"small\"\n"
    "big TXT "
    "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\" "
    "\"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\" "
    "\"cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
    "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
    "cccccccccccccccccccccccccccccccccccccccccccccccccccccc\" "
    "\"dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
    "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
    "dddddddddddddddddddddddddddddddddddddddddddddddddddddd\" "
    "\"eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"
    "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"
    "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee\" "
    "\"ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
    "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
    "ffffffffffffffffffffffffffffffffffffffffffffffffffffff\"\n";

static const char zone3[] =
    "$ORIGIN example.com.\n"
    "macro%percent\\032\\032space%20url-space TXT \"v=spf1 -all\"\n"
    "foo:bar/baz.example.com. TXT \"v=spf1 \\128\" \"x\\000\"\n"
    "ctl TXT \"a\\013b\\010c\"\n";

/* An owner without $ORIGIN: relative names are relative to the root. */
static const char zone2[] = "foo A 192.0.2.1\r\n"
                            "bar. 60 IN TXT one two\r\n";

static const char name63[] = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                             "aaaaaaaaaaaaaaaaa.example.com";
static const char name64[] = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                             "aaaaaaaaaaaaaaaaaa.example.com";

struct qcase {
	const char *name; /* what the row checks */
	const char *zone;
	const char *qname;
	uint16_t type;
	const char *want;
	long want_ttl; /* -1: not checked */
};

static const struct qcase qcases[] = {
    {"six A records: more than the builder keeps in place", zone_big,
        "many.example.com", VOUCH_DNS_A,
        "answer | 192.0.2.1 | 192.0.2.2 | 192.0.2.3 | 192.0.2.4 | 192.0.2.5 | "
        "192.0.2.6",
        -1},
    {"a TXT of 1200 bytes after a small one: past the builder's 1 KiB",
        zone_big, "big.example.com", VOUCH_DNS_TXT,
        "answer | 1:small | "
        "6:"
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaabbbbbbbbbb"
        "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
        "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
        "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbcccccccccccccccccccc"
        "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
        "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
        "ccccccccccccccccccccccccccccccccccccccccdddddddddddddddddddddddddddddd"
        "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
        "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
        "ddddddddddddddddddddddddddddddeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"
        "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"
        "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"
        "eeeeeeeeeeeeeeeeeeeeffffffffffffffffffffffffffffffffffffffffffffffffff"
        "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
        "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
        "ffffffffff",
        -1},
    {"A at the origin (@)", zone1, "example.com", VOUCH_DNS_A,
        "answer | 192.0.2.1", 300},
    {"a final dot in the query", zone1, "example.com.", VOUCH_DNS_A,
        "answer | 192.0.2.1", -1},
    {"MX with TTL before and after the class, relative and absolute", zone1,
        "example.com", VOUCH_DNS_MX,
        "answer | 10 mx1.example.com | 20 mx2.example.net", 600},
    {"blank owner is the previous owner; TXT strings joined, counted", zone1,
        "example.com", VOUCH_DNS_TXT, "answer | 2:v=spf1 -all", 300},
    {"relative owner", zone1, "www.example.com", VOUCH_DNS_A,
        "answer | 192.0.2.2", -1},
    {"AAAA upper case, absolute owner", zone1, "www.example.com",
        VOUCH_DNS_AAAA, "answer | 2001:db8::1", -1},
    {"AAAA with embedded IPv4", zone1, "v6.example.com", VOUCH_DNS_AAAA,
        "answer | ::ffff:192.0.2.3", -1},
    {"AAAA written in full", zone1, "v6b.example.com", VOUCH_DNS_AAAA,
        "answer | 2001:db8::ff", -1},
    {"AAAA :: and type in lower case", zone1, "v6c.example.com", VOUCH_DNS_AAAA,
        "answer | ::", -1},
    {"TXT escapes \\\" \\\\ \\DDD", zone1, "txt.example.com", VOUCH_DNS_TXT,
        "answer | 3:a\"bc\\092d\\009tab", -1},
    {"parentheses span lines, comment after", zone1, "txt2.example.com",
        VOUCH_DNS_TXT, "answer | 2:firstsecond", -1},
    {"unquoted one-word TXT", zone1, "bare.example.com", VOUCH_DNS_TXT,
        "answer | 1:word", -1},
    {"TXT with zero strings", zone1, "empty0.example.com", VOUCH_DNS_TXT,
        "answer | 0:", -1},
    {"TXT with one empty string", zone1, "empty1.example.com", VOUCH_DNS_TXT,
        "answer | 1:", -1},
    {"';' and parentheses inside quotes are text", zone1, "semi.example.com",
        VOUCH_DNS_TXT, "answer | 1:a;b (c)", -1},
    {"TXT with NUL and high bytes", zone1, "bytes.example.com", VOUCH_DNS_TXT,
        "answer | 1:\\000\\255\\128x", -1},
    {"RFC 7208 §3.1: type SPF is not returned for TXT", zone1,
        "spf.example.com", VOUCH_DNS_TXT, "nodata", -1},
    {"type SPF asked as SPF", zone1, "spf.example.com", VOUCH_DNS_SPF,
        "answer | 1:v=spf1 -all", -1},
    {"CNAME followed", zone1, "alias.example.com", VOUCH_DNS_A,
        "answer | 192.0.2.2", -1},
    {"CNAME asked as CNAME", zone1, "alias.example.com", VOUCH_DNS_CNAME,
        "answer | www.example.com", -1},
    {"CNAME chain followed", zone1, "chain1.example.com", VOUCH_DNS_A,
        "answer | 192.0.2.2", -1},
    {"CNAME loop is a temporary failure", zone1, "loop1.example.com",
        VOUCH_DNS_A, "tempfail CNAME loop", -1},
    {"CNAME to an absent name is NXDOMAIN", zone1, "dangling.example.com",
        VOUCH_DNS_TXT, "nxdomain", -1},
    {"CNAME to a $TIMEOUT name", zone1, "cnamed.example.com", VOUCH_DNS_TXT,
        "tempfail timeout", -1},
    {"PTR", zone1, "ptr.example.com", VOUCH_DNS_PTR,
        "answer | host.example.org", -1},
    {"NS, relative target", zone1, "ns.example.com", VOUCH_DNS_NS,
        "answer | ns1.example.com", -1},
    {"null MX (RFC 7505) is the root, empty text", zone1, "nullmx.example.com",
        VOUCH_DNS_MX, "answer | 0 ", -1},
    {"deep owner", zone1, "a.b.c.deep.example.com", VOUCH_DNS_A,
        "answer | 192.0.2.9", -1},
    {"RFC 8020: empty non-terminal is NODATA", zone1, "b.c.deep.example.com",
        VOUCH_DNS_A, "nodata", 300},
    {"RFC 8020: empty non-terminal two levels up", zone1, "deep.example.com",
        VOUCH_DNS_TXT, "nodata", -1},
    {"below an empty non-terminal: NXDOMAIN", zone1, "zzz.deep.example.com",
        VOUCH_DNS_A, "nxdomain", 300},
    {"sibling of an owner: NXDOMAIN", zone1, "c.b.c.deep.example.com",
        VOUCH_DNS_A, "nxdomain", -1},
    {"names compare without case (owner mixed)", zone1,
        "mixed.case.example.com", VOUCH_DNS_A, "answer | 192.0.2.10", -1},
    {"names compare without case (query upper)", zone1, "WWW.EXAMPLE.COM.",
        VOUCH_DNS_A, "answer | 192.0.2.2", -1},
    {"record over three lines in parentheses", zone1, "multi.example.com",
        VOUCH_DNS_A, "answer | 192.0.2.20", -1},
    {"relative $ORIGIN", zone1, "x.sub.example.com", VOUCH_DNS_A,
        "answer | 192.0.2.11", -1},
    {"$ORIGIN ancestor is an empty non-terminal", zone1, "sub.example.com",
        VOUCH_DNS_A, "nodata", -1},
    {"$TIMEOUT name: type with a record answers", zone1, "slow.example.com",
        VOUCH_DNS_A, "answer | 192.0.2.12", -1},
    {"$TIMEOUT name: type without a record times out", zone1,
        "slow.example.com", VOUCH_DNS_TXT, "tempfail timeout", -1},
    {"$SERVFAIL name", zone1, "Broken.Example.Com", VOUCH_DNS_A,
        "tempfail SERVFAIL", -1},
    {"$SERVFAIL: its subdomain is not affected", zone1, "x.broken.example.com",
        VOUCH_DNS_A, "nxdomain", -1},
    {"absent name is NXDOMAIN", zone1, "nothere.example.com", VOUCH_DNS_A,
        "nxdomain", -1},
    {"name with records, none of the type: NODATA", zone1, "www.example.com",
        VOUCH_DNS_TXT, "nodata", -1},
    {"$TTL with a unit", zone1, "ttlh.example.com", VOUCH_DNS_A,
        "answer | 192.0.2.13", 3600},
    {"TTL field with a unit; empty string kept", zone1, "twostr.example.com",
        VOUCH_DNS_TXT, "answer | 2:x", 86400},
    {"label of 63 bytes is valid", zone1, name63, VOUCH_DNS_A, "nxdomain", -1},
    {"RFC 1035 §2.3.4: label of 64 bytes is invalid", zone1, name64,
        VOUCH_DNS_A, "permfail invalid name", -1},
    {"empty label is invalid", zone1, "a..example.com", VOUCH_DNS_A,
        "permfail invalid name", -1},
    {"leading dot is invalid", zone1, ".example.com", VOUCH_DNS_A,
        "permfail invalid name", -1},
    {"empty name is invalid", zone1, "", VOUCH_DNS_A, "permfail invalid name",
        -1},
    {"two final dots are invalid", zone1, "example.com..", VOUCH_DNS_A,
        "permfail invalid name", -1},
    {"owner with escaped spaces, asked with spaces", zone3,
        "macro%percent  space%20url-space.example.com", VOUCH_DNS_TXT,
        "answer | 1:v=spf1 -all", -1},
    {"owner with ':' and '/', TXT with high byte and NUL", zone3,
        "FOO:bar/baz.example.com", VOUCH_DNS_TXT,
        "answer | 2:v=spf1 \\128x\\000", -1},
    {"TXT with CR and LF", zone3, "ctl.example.com", VOUCH_DNS_TXT,
        "answer | 1:a\\013b\\010c", -1},
    {"no $ORIGIN: relative to the root", zone2, "foo", VOUCH_DNS_A,
        "answer | 192.0.2.1", -1},
    {"CRLF lines, unquoted strings", zone2, "bar", VOUCH_DNS_TXT,
        "answer | 2:onetwo", 60},
};

struct ecase {
	const char *name;
	const char *zone;
	const char *want; /* the error message begins with this */
};

static const struct ecase ecases[] = {
    {"bad $TTL", "$TTL abc\n", "t.db:1: bad TTL"},
    {"TTL over 2^31-1 (RFC 2181 §8)", "$TTL 2147483648\n", "t.db:1: bad TTL"},
    {"bad IPv4 address, line 3", "$ORIGIN x.\n\nw A 300.1.1.1\n",
        "t.db:3: bad IPv4 address"},
    {"IPv4 with too few parts", "w. A 1.2.3\n", "t.db:1: bad IPv4"},
    {"bad IPv6 address", "w. AAAA 1::2::3\n", "t.db:1: bad IPv6 address"},
    {"unterminated quoted string", "w. TXT \"abc\n", "t.db:1: unterminated"},
    {"unknown type", "\n\nw. FOO bar\n", "t.db:3: unknown or unsupported"},
    {"'(' never closed names its line", "a. A 1.2.3.4\nw. TXT ( \"a\"\n\n",
        "t.db:2: '(' never closed"},
    {"')' without '('", "w. TXT \"a\" )\n", "t.db:1: ')' without '('"},
    {"blank owner on the first record", "  A 192.0.2.1\n",
        "t.db:1: blank owner"},
    {"owner label over 63",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.x. "
        "A 1.2.3.4\n",
        "t.db:1: bad domain name"},
    {"empty label in owner", "a..x. A 1.2.3.4\n", "t.db:1: bad domain"},
    {"character-string over 255 bytes",
        "w. TXT "
        "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"\n",
        "t.db:1: character-string over 255"},
    {"\\DDD over 255", "w. TXT \"\\256\"\n", "t.db:1: \\DDD escape over"},
    {"\\DD too short", "w. TXT \"\\25\"\n", "t.db:1: bad \\DDD"},
    {"MX preference over 65535", "w. MX 70000 mx.\n",
        "t.db:1: bad MX preference"},
    {"MX without exchange", "w. MX 10\n", "t.db:1: missing rdata"},
    {"A with two addresses", "w. A 1.2.3.4 5.6.7.8\n", "t.db:1: extra rdata"},
    {"unknown directive", "$FOO bar\n", "t.db:1: unknown directive"},
    {"$INCLUDE refused", "$INCLUDE other.db\n", "t.db:1: $INCLUDE"},
    {"$ORIGIN without argument", "$ORIGIN\n", "t.db:1: directive without"},
    {"class other than IN", "w. CH TXT \"a\"\n", "t.db:1: class other"},
    {"two TTLs", "w. 1 2 A 1.2.3.4\n", "t.db:1: two TTLs"},
    {"missing type", "w. 300 IN\n", "t.db:1: missing type"},
    {"error inside parentheses names the token's line",
        "w. ( 300\n IN\n\n A 1.2.3.400 )\n", "t.db:4: bad IPv4"},
    {"nested parentheses", "w. ( ( A 1.2.3.4 ) )\n", "t.db:1: nested"},
    {"backslash at end of input", "w. TXT a\\", "t.db:1: backslash"},
};

static void
run_qcases(void)
{
	const struct qcase *c;
	struct vouch_dns *dns;
	struct vouch_dns_answer *ans;
	char err[256], got[2048];
	size_t i;
	enum vouch_status st;
	int good;

	for (i = 0; i < sizeof(qcases) / sizeof(qcases[0]); i++) {
		c = &qcases[i];
		err[0] = '\0';
		st = vouch_dns_zone_new_mem("t.db", (const uint8_t *)c->zone,
		    strlen(c->zone), &dns, err, sizeof(err));
		if (st != VOUCH_OK) {
			tap_check(0, "%s: zone refused: %s", c->name, err);
			continue;
		}
		ans = NULL;
		if (vouch_dns_query(dns, c->qname, strlen(c->qname), c->type,
		        &ans) != VOUCH_OK) {
			tap_check(0, "%s: query failed", c->name);
			vouch_dns_free(dns);
			continue;
		}
		render(ans, got, sizeof(got));
		good = strcmp(got, c->want) == 0 &&
		       (c->want_ttl < 0 || (long)ans->ttl == c->want_ttl);
		tap_check(good, "%s: got \"%s\" ttl %lu, want \"%s\" ttl %ld",
		    c->name, got, (unsigned long)ans->ttl, c->want,
		    c->want_ttl);
		vouch_dns_answer_free(ans);
		vouch_dns_free(dns);
	}
}

static void
run_ecases(void)
{
	const struct ecase *c;
	struct vouch_dns *dns;
	char err[256];
	size_t i;
	enum vouch_status st;

	for (i = 0; i < sizeof(ecases) / sizeof(ecases[0]); i++) {
		c = &ecases[i];
		err[0] = '\0';
		dns = NULL;
		st = vouch_dns_zone_new_mem("t.db", (const uint8_t *)c->zone,
		    strlen(c->zone), &dns, err, sizeof(err));
		tap_check(st == VOUCH_ESYNTAX && dns == NULL &&
		              strncmp(err, c->want, strlen(c->want)) == 0,
		    "%s: got %s \"%s\", want syntax error \"%s...\"", c->name,
		    vouch_status_str(st), err, c->want);
		vouch_dns_free(dns);
	}
}

/* Several questions on one handle; the counter; a file that is absent. */
static void
run_misc(void)
{
	struct vouch_dns *dns = NULL;
	struct vouch_dns_answer *ans = NULL;
	char err[256] = "";
	enum vouch_status st;
	unsigned long n0;
	int i, good = 1;

	st = vouch_dns_zone_new_mem("t.db", (const uint8_t *)zone1,
	    sizeof(zone1) - 1, &dns, err, sizeof(err));
	tap_check(st == VOUCH_OK, "zone1 loads: %s", err);
	if (st != VOUCH_OK)
		return;
	n0 = vouch_dns_nqueries(dns);
	for (i = 0; i < 1000; i++) {
		if (vouch_dns_query(dns, "www.example.com", 15, VOUCH_DNS_A,
		        &ans) != VOUCH_OK ||
		    ans->rcode != VOUCH_DNS_ANSWER || ans->nrr != 1)
			good = 0;
		vouch_dns_answer_free(ans);
	}
	tap_check(good, "1000 questions on one handle all answer");
	tap_check(vouch_dns_nqueries(dns) - n0 == 1000,
	    "nqueries counts questions: got %lu, want 1000",
	    vouch_dns_nqueries(dns) - n0);
	/* The name is (ptr, len): bytes past len are not read. */
	st = vouch_dns_query(dns, "www.example.comXYZ", 15, VOUCH_DNS_A, &ans);
	tap_check(st == VOUCH_OK && ans->rcode == VOUCH_DNS_ANSWER,
	    "query name is bounded by its length");
	vouch_dns_answer_free(ans);
	vouch_dns_free(dns);
	vouch_dns_free(NULL);
	vouch_dns_answer_free(NULL);

	st = vouch_dns_zone_new("/nonexistent/zone.db", &dns, err, sizeof(err));
	tap_check(st == VOUCH_EIO && dns == NULL &&
	              strncmp(err, "/nonexistent/zone.db:", 21) == 0,
	    "absent file: got %s \"%s\", want I/O error naming the file",
	    vouch_status_str(st), err);
	st = vouch_dns_zone_new_mem("e.db", NULL, 0, &dns, err, sizeof(err));
	tap_check(st == VOUCH_OK, "empty zone loads");
	if (st == VOUCH_OK) {
		st = vouch_dns_query(dns, "a.b", 3, VOUCH_DNS_A, &ans);
		tap_check(st == VOUCH_OK && ans->rcode == VOUCH_DNS_NXDOMAIN,
		    "empty zone: everything NXDOMAIN");
		vouch_dns_answer_free(ans);
		vouch_dns_free(dns);
	}
}

/* Every zone.db under $VOUCH_SHARED/cases/AREA/CASE/ loads. */
static void
run_shared(void)
{
	const char *shared = getenv("VOUCH_SHARED");
	char dir[2048], path[8192], err[512];
	DIR *top, *area;
	struct dirent *a, *c;
	struct vouch_dns *dns;
	enum vouch_status st;
	FILE *fp;
	int n = 0;

	if (shared == NULL)
		shared = "../shared";
	snprintf(dir, sizeof(dir), "%s/cases", shared);
	if ((top = opendir(dir)) == NULL) {
		tap_check(0,
		    "shared cases present: cannot open %s (set "
		    "VOUCH_SHARED)",
		    dir);
		return;
	}
	while ((a = readdir(top)) != NULL) {
		if (a->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, a->d_name);
		if ((area = opendir(path)) == NULL)
			continue;
		while ((c = readdir(area)) != NULL) {
			if (c->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s/%s/zone.db", dir,
			    a->d_name, c->d_name);
			if ((fp = fopen(path, "r")) == NULL)
				continue;
			fclose(fp);
			err[0] = '\0';
			dns = NULL;
			st = vouch_dns_zone_new(path, &dns, err, sizeof(err));
			tap_check(st == VOUCH_OK,
			    "cases/%s/%s/zone.db loads%s%s", a->d_name,
			    c->d_name, err[0] ? ": " : "", err);
			vouch_dns_free(dns);
			n++;
		}
		closedir(area);
	}
	closedir(top);
	tap_check(n > 0, "found shared zone files: got %d, want > 0", n);
}

int
main(void)
{
	run_qcases();
	run_ecases();
	run_misc();
	run_shared();
	return tap_done();
}
