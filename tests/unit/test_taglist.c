/*
 * Tag=value lists, RFC 6376 §3.2: names, FWS, empty values, duplicates.
 */
#include <stdio.h>
#include <string.h>

#include "mail/tagvalue.h"
#include "tap.h"

static const struct {
	const char *name;
	const char *in;
	enum vouch_status want_st;
	const char *want; /* "name=value" pairs joined with '|' */
} cases[] = {
    {"simple list", "v=1; a=rsa-sha256", VOUCH_OK, "v=1|a=rsa-sha256"},
    {"trailing semicolon", "v=1;", VOUCH_OK, "v=1"},
    {"trailing semicolon and FWS", "v=1; \r\n ", VOUCH_OK, "v=1"},
    {"FWS around names and values", " v = 1 ;\r\n\ta=\r\n x ", VOUCH_OK,
        "v=1|a=x"},
    {"inner FWS kept in value", "b=abc\r\n def  ghi;", VOUCH_OK,
        "b=abc\r\n def  ghi"},
    {"empty value", "t=;x=", VOUCH_OK, "t=|x="},
    {"empty input", "", VOUCH_OK, ""},
    {"only FWS", " \r\n ", VOUCH_OK, ""},
    {"underscore and digits in name", "a_1=2", VOUCH_OK, "a_1=2"},
    {"names are case sensitive", "v=1; V=2", VOUCH_OK, "v=1|V=2"},
    {"duplicate tag is an error", "v=1; v=1", VOUCH_ESYNTAX, ""},
    {"missing '=' is an error", "v=1; a", VOUCH_ESYNTAX, ""},
    {"empty tag-spec is an error", "v=1;;a=2", VOUCH_ESYNTAX, ""},
    {"name starting with digit is an error", "1a=2", VOUCH_ESYNTAX, ""},
    {"control byte in value is an error", "a=x\001y", VOUCH_ESYNTAX, ""},
    {"8-bit byte in value is an error", "a=x\xc3\xa9", VOUCH_ESYNTAX, ""},
    {"'=' inside value is fine", "p=abc==", VOUCH_OK, "p=abc=="},
};

int
main(void)
{
	struct tag_list tl;
	enum vouch_status st;
	const char *why;
	char got[256];
	size_t k, i, n;
	char many[VOUCH_MAX_TAGS * 8 + 16];

	for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		st = tag_list_parse((const uint8_t *)cases[k].in,
		    strlen(cases[k].in), &tl, &why);
		n = 0;
		got[0] = '\0';
		for (i = 0; st == VOUCH_OK && i < tl.ntags; i++)
			n += (size_t)snprintf(got + n, sizeof(got) - n,
			    "%s%.*s=%.*s", i ? "|" : "", (int)tl.tag[i].namelen,
			    (const char *)tl.tag[i].name,
			    (int)tl.tag[i].valuelen,
			    (const char *)tl.tag[i].value);
		if (st != cases[k].want_st)
			tap_check(0, "§3.2 %s: got status %d (%s), want %d",
			    cases[k].name, st, why ? why : "",
			    cases[k].want_st);
		else if (st != VOUCH_OK)
			tap_check(why != NULL, "§3.2 %s (%s)", cases[k].name,
			    why ? why : "no reason");
		else
			tap_check(strcmp(got, cases[k].want) == 0,
			    "§3.2 %s: got \"%s\", want \"%s\"", cases[k].name,
			    got, cases[k].want);
	}
	n = 0;
	for (i = 0; i <= VOUCH_MAX_TAGS; i++)
		n += (size_t)snprintf(many + n, sizeof(many) - n, "t%zu=1;", i);
	st = tag_list_parse((const uint8_t *)many, n, &tl, &why);
	tap_check(st == VOUCH_ELIMIT, "VOUCH_MAX_TAGS + 1 tags: got %d", st);
	st = tag_list_parse((const uint8_t *)"v=1; a=b", 8, &tl, &why);
	tap_check(st == VOUCH_OK && tag_find(&tl, "a") != NULL &&
	              tag_value_eq(tag_find(&tl, "a"), "b") &&
	              tag_find(&tl, "x") == NULL && tag_find(&tl, "V") == NULL,
	    "tag_find and tag_value_eq");
	st = tag_list_parse(NULL, 0, &tl, &why);
	tap_check(st == VOUCH_OK && tl.ntags == 0, "NULL, 0 is an empty list");
	return tap_done();
}
