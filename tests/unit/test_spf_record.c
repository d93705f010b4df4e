/*
 * Unit tests of the SPF record parser (src/lib/spf/record.c): record
 * selection (RFC 7208 §4.5), the term grammar (§4.6.1, §5, §6) and the
 * addresses and CIDR lengths (§5.6).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spf/internal.h"
#include "tap.h"

static const struct {
	const char *name;
	const char *rec;
	int ok; /* parses */
	size_t nterms; /* mechanisms, when ok */
	const char *first; /* "q mech domain cidr4 cidr6" of terms[0] */
	const char *redirect; /* domain-spec of redirect=, or NULL */
	const char *exp;
} rows[] = {
    {"4.5 bare version", "v=spf1", 1, 0, NULL, NULL, NULL},
    {"4.5 trailing space", "v=spf1 -all ", 1, 1, "- all - 32 128", NULL, NULL},
    {"4.6.1 two spaces", "v=spf1 a  -all", 1, 2, "+ a - 32 128", NULL, NULL},
    {"4.6.1 only SP separates", "v=spf1 a\t-all", 0, 0, NULL, NULL, NULL},
    {"4.6.1 CR in a term", "v=spf1 a:ctrl.example.com\rptr -all", 0, 0, NULL,
        NULL, NULL},
    {"4.6.2 qualifiers", "v=spf1 ~a ?mx -ptr +all", 1, 4, "~ a - 32 128", NULL,
        NULL},
    {"5.1 all with junk", "v=spf1 -all.", 0, 0, NULL, NULL, NULL},
    {"5.1 all with cidr", "v=spf1 -all/8", 0, 0, NULL, NULL, NULL},
    {"5.1 all with arg", "v=spf1 -all:foo", 0, 0, NULL, NULL, NULL},
    {"5.2 include", "v=spf1 include:_spf.example.com -all", 1, 2,
        "+ include _spf.example.com 32 128", NULL, NULL},
    {"5.2 include without domain", "v=spf1 include +all", 0, 0, NULL, NULL,
        NULL},
    {"5.2 include empty domain", "v=spf1 include: -all", 0, 0, NULL, NULL,
        NULL},
    {"5.2 include with cidr", "v=spf1 include:ip5.example.com/24", 0, 0, NULL,
        NULL, NULL},
    {"5.3 a dual cidr", "v=spf1 a/24//64", 1, 1, "+ a - 24 64", NULL, NULL},
    {"5.3 a domain and cidr", "v=spf1 a:foo.example.com/24", 1, 1,
        "+ a foo.example.com 24 128", NULL, NULL},
    {"5.3 a ip6 cidr only", "v=spf1 a//33", 1, 1, "+ a - 32 33", NULL, NULL},
    {"5.3 a /0 is valid", "v=spf1 a/0 -all", 1, 2, "+ a - 0 128", NULL, NULL},
    {"5.3 a //0 is valid", "v=spf1 a//0 -all", 1, 2, "+ a - 32 0", NULL, NULL},
    {"5.3 a /33", "v=spf1 a/33 -all", 0, 0, NULL, NULL, NULL},
    {"5.3 a //129", "v=spf1 a//129 -all", 0, 0, NULL, NULL, NULL},
    {"5.3 a /24/64", "v=spf1 a/24/64 -all", 0, 0, NULL, NULL, NULL},
    {"5.3 a colon in domain", "v=spf1 a:foo:bar/baz.example.com", 1, 1,
        "+ a foo:bar/baz.example.com 32 128", NULL, NULL},
    {"5.3 a empty domain", "v=spf1 a:", 0, 0, NULL, NULL, NULL},
    {"5.3 a numeric toplabel", "v=spf1 a:111.222.33.44", 0, 0, NULL, NULL,
        NULL},
    {"5.3 a port", "v=spf1 a:example.com:8080", 0, 0, NULL, NULL, NULL},
    {"5.3 a NUL", "v=spf1 a:foo.example.com\0", 0, 0, NULL, NULL, NULL},
    {"5.4 mx with macro", "v=spf1 mx:%{d}/30", 1, 1, "+ mx %{d} 30 128", NULL,
        NULL},
    {"5.5 ptr", "v=spf1 ptr -all", 1, 2, "+ ptr - 32 128", NULL, NULL},
    {"5.5 ptr with cidr", "v=spf1 ptr/0 -all", 0, 0, NULL, NULL, NULL},
    {"5.5 ptr empty domain", "v=spf1 ptr:", 0, 0, NULL, NULL, NULL},
    {"5.6 ip4", "v=spf1 ip4:192.0.2.0/24", 1, 1, "+ ip4 - 24 128", NULL, NULL},
    {"5.6 ip4 /0 is valid", "v=spf1 ip4:1.1.1.1/0", 1, 1, "+ ip4 - 0 128", NULL,
        NULL},
    {"5.6 ip4 /33", "v=spf1 ip4:1.2.3.4/33", 0, 0, NULL, NULL, NULL},
    {"5.6 ip4 /032", "v=spf1 ip4:1.2.3.4/032", 0, 0, NULL, NULL, NULL},
    {"5.6 ip4 short", "v=spf1 ip4:1.2.3", 0, 0, NULL, NULL, NULL},
    {"5.6 ip4 leading zero", "v=spf1 ip4:1.2.3.04", 0, 0, NULL, NULL, NULL},
    {"5.6 ip4 port", "v=spf1 ip4:1.2.3.4:8080", 0, 0, NULL, NULL, NULL},
    {"5.6 ip4 dual cidr", "v=spf1 ip4:1.2.3.4//32", 0, 0, NULL, NULL, NULL},
    {"5.6 bare ip4", "v=spf1 ip4", 0, 0, NULL, NULL, NULL},
    {"5.6 ip4 LF", "v=spf1 ip4:192.0.2.5\n include:x.example.com", 0, 0, NULL,
        NULL, NULL},
    {"5.6 ip6", "v=spf1 ip6:2001:db8::/32", 1, 1, "+ ip6 - 32 32", NULL, NULL},
    {"5.6 ip6 /0 is valid", "v=spf1 ip6:::1.1.1.1/0", 1, 1, "+ ip6 - 32 0",
        NULL, NULL},
    {"5.6 ip6 /129", "v=spf1 ip6:::1.1.1.1/129", 0, 0, NULL, NULL, NULL},
    {"5.6 ip6 //33", "v=spf1 ip6:::1.1.1.1//33", 0, 0, NULL, NULL, NULL},
    {"5.6 ip6 bad", "v=spf1 ip6::CAFE::BABE", 0, 0, NULL, NULL, NULL},
    {"5.7 exists", "v=spf1 exists:%{i}.bl.example.net", 1, 1,
        "+ exists %{i}.bl.example.net 32 128", NULL, NULL},
    {"5.7 exists bare", "v=spf1 exists", 0, 0, NULL, NULL, NULL},
    {"5.7 exists cidr", "v=spf1 exists:mail.example.com/24", 0, 0, NULL, NULL,
        NULL},
    {"4.6.1 unknown mechanism", "v=spf1 ip4:1.2.3.4 -all moo", 0, 0, NULL, NULL,
        NULL},
    {"4.6.1 8-bit mechanism",
        "v=spf1 \x80"
        "a:example.net -all",
        0, 0, NULL, NULL, NULL},
    {"6 redirect", "v=spf1 redirect=_spf.example.com", 1, 0, NULL,
        "_spf.example.com", NULL},
    {"6 redirect with colon", "v=spf1 redirect:_spf.example.com", 0, 0, NULL,
        NULL, NULL},
    {"6 redirect twice", "v=spf1 redirect=a.example.com redirect=a.example.com",
        0, 0, NULL, NULL, NULL},
    {"6 exp twice", "v=spf1 exp=a.example.com exp=b.example.com", 0, 0, NULL,
        NULL, NULL},
    {"6.2 empty exp", "v=spf1 exp= -all", 0, 0, NULL, NULL, NULL},
    {"6.2 exp bad domain", "v=spf1 exp=-all", 0, 0, NULL, NULL, NULL},
    {"6.2 exp with %{r} is an error", "v=spf1 -all exp=%{r}.example.com", 0, 0,
        NULL, NULL, NULL},
    {"6.1 empty redirect", "v=spf1 ?all redirect=", 0, 0, NULL, NULL, NULL},
    {"6 exp and redirect", "v=spf1 exp=e.example.com redirect=r.example.com", 1,
        0, NULL, "r.example.com", "e.example.com"},
    {"6 unknown modifier", "v=spf1 moo.cow-far_out=man:dog/cat ip4:1.2.3.4", 1,
        1, "+ ip4 - 32 128", NULL, NULL},
    {"6 unknown modifier bad name", "v=spf1 moo.cow/far_out=man:dog/cat", 0, 0,
        NULL, NULL, NULL},
    {"6 modifier name digit first", "v=spf1 1up=foo", 0, 0, NULL, NULL, NULL},
    {"6 empty modifier name", "v=spf1 =all", 0, 0, NULL, NULL, NULL},
    {"6 unknown modifier bad macro", "v=spf1 -all foo=%abc", 0, 0, NULL, NULL,
        NULL},
    {"6 unknown modifier empty value", "v=spf1 default=", 1, 0, NULL, NULL,
        NULL},
    {"4.5 version v=spf10", "v=spf10", 0, 0, NULL, NULL, NULL},
    {"4.5 version case", "V=sPf1 ~all", 1, 1, "~ all - 32 128", NULL, NULL},
};

/* "q mech domain cidr4 cidr6" of a term, for comparison. */
static void
describe(const struct spf_term *t, char *buf, size_t cap)
{
	static const char *names[] = {
	    "all", "include", "a", "mx", "ptr", "ip4", "ip6", "exists"};

	snprintf(buf, cap, "%c %s %.*s %u %u", t->qualifier, names[t->mech],
	    t->domain ? (int)t->domain_len : 1,
	    t->domain ? (const char *)t->domain : "-", t->cidr4, t->cidr6);
}

int
main(void)
{
	struct spf_record rec;
	const char *why;
	size_t i, where, len;
	char d[300], *big;
	enum vouch_status st;
	int good;

	memset(&rec, 0, sizeof(rec));
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		len = strlen(rows[i].rec);
		if (strstr(rows[i].name, "NUL") != NULL)
			len++;
		why = "";
		st = spf_record_parse(
		    &rec, (const uint8_t *)rows[i].rec, len, &why, &where);
		if (!rows[i].ok) {
			tap_check(st == VOUCH_ESYNTAX,
			    "%s: got %s, want syntax error", rows[i].name,
			    vouch_status_str(st));
			continue;
		}
		d[0] = '\0';
		if (st == VOUCH_OK && rec.nterms > 0)
			describe(&rec.terms[0], d, sizeof(d));
		good =
		    st == VOUCH_OK && rec.nterms == rows[i].nterms &&
		    (rows[i].first == NULL || strcmp(d, rows[i].first) == 0) &&
		    (rows[i].redirect == NULL) == (rec.redirect == NULL) &&
		    (rows[i].redirect == NULL ||
		        (rec.redirect_len == strlen(rows[i].redirect) &&
		            memcmp(rec.redirect, rows[i].redirect,
		                rec.redirect_len) == 0)) &&
		    (rows[i].exp == NULL) == (rec.exp == NULL);
		tap_check(good,
		    "%s: got %s (%s) %zu terms \"%s\", want %zu \"%s\"",
		    rows[i].name, vouch_status_str(st), why, rec.nterms, d,
		    rows[i].nterms, rows[i].first ? rows[i].first : "");
	}

	/* Hostile: 1000 terms, and a 64 KiB record, parse in full. */
	big = malloc(70000);
	memcpy(big, "v=spf1", 6);
	len = 6;
	for (i = 0; i < 1000; i++)
		len += (size_t)snprintf(big + len, 70000 - len,
		    " ip4:10.%zu.%zu.0/24", i / 256, i % 256);
	st = spf_record_parse(&rec, (const uint8_t *)big, len, &why, &where);
	tap_check(st == VOUCH_OK && rec.nterms == 1000,
	    "1000-term record: got %s, %zu terms", vouch_status_str(st),
	    rec.nterms);
	memcpy(big, "v=spf1", 6);
	for (len = 6; len + 2 <= 65535; len += 2)
		memcpy(big + len, " a", 2);
	st = spf_record_parse(&rec, (const uint8_t *)big, len, &why, &where);
	tap_check(st == VOUCH_OK && rec.nterms == (len - 6) / 2,
	    "64 KiB record of 32764 terms: got %s, %zu terms",
	    vouch_status_str(st), rec.nterms);
	big[len - 1] = '%';
	st = spf_record_parse(&rec, (const uint8_t *)big, len, &why, &where);
	tap_check(st == VOUCH_ESYNTAX && where == len - 1,
	    "64 KiB record, error in the last term: got %s at %zu",
	    vouch_status_str(st), where);
	free(big);
	spf_record_free(&rec);

	/* Selection (§4.5). */
	tap_check(spf_record_is_spf1((const uint8_t *)"v=spf1 -all", 11),
	    "4.5 v=spf1 -all selected");
	tap_check(!spf_record_is_spf1((const uint8_t *)"v=spf10", 7),
	    "4.5 v=spf10 not selected");
	tap_check(!spf_record_is_spf1((const uint8_t *)"v=spf", 5),
	    "4.5 v=spf not selected");
	tap_check(spf_record_is_spf1((const uint8_t *)"V=SPF1", 6),
	    "4.5 V=SPF1 selected");
	return tap_done();
}
