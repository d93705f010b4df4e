/*
 * Unit tests of vouch check (src/lib/check): the suggested SPF record
 * (a term goes before the final "all" or redirect=), the arguments
 * vouch_check_domain refuses, and the worst severity of small in-memory
 * zones.
 */
#include <stdio.h>
#include <string.h>

#include "check/internal.h"
#include "tap.h"
#include "vouch/check.h"

static const struct {
	const char *name;
	const char *record;
	const char *term;
	const char *want;
} suggest[] = {
    {"before -all", "v=spf1 mx -all", "ip4:192.0.2.1",
        "v=spf1 mx ip4:192.0.2.1 -all"},
    {"before ~all", "v=spf1 ~all", "include:_spf.example.net",
        "v=spf1 include:_spf.example.net ~all"},
    {"before a bare all", "v=spf1 a all", "ip6:2001:db8::1",
        "v=spf1 a ip6:2001:db8::1 all"},
    {"before redirect=", "v=spf1 a redirect=_spf.example.com", "ip4:1.2.3.4",
        "v=spf1 a ip4:1.2.3.4 redirect=_spf.example.com"},
    {"ALL in capitals", "v=spf1 mx -ALL", "a", "v=spf1 mx a -ALL"},
    {"no all: at the end", "v=spf1 mx", "ip4:192.0.2.1",
        "v=spf1 mx ip4:192.0.2.1"},
    {"'all' inside a name is not the all term",
        "v=spf1 include:all.example.com", "a",
        "v=spf1 include:all.example.com a"},
    {"the last all counts", "v=spf1 -all mx ~all", "a",
        "v=spf1 -all mx a ~all"},
};

static const struct {
	const char *name;
	const char *domain;
	const char *ip;
	const char *via;
	const char *selector;
	enum vouch_status want;
} args[] = {
    {"plain domain", "example.com", NULL, NULL, NULL, VOUCH_OK},
    {"final dot", "example.com.", NULL, NULL, NULL, VOUCH_OK},
    {"empty domain", "", NULL, NULL, NULL, VOUCH_EINVAL},
    {"empty label", "example..com", NULL, NULL, NULL, VOUCH_EINVAL},
    {"space in domain", "exa mple.com", NULL, NULL, NULL, VOUCH_EINVAL},
    {"label over 63",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."
        "com",
        NULL, NULL, NULL, VOUCH_EINVAL},
    {"ip not an address", "example.com", "192.0.2.300", NULL, NULL,
        VOUCH_EINVAL},
    {"ip6", "example.com", "2001:db8::1", NULL, NULL, VOUCH_OK},
    {"via not a name", "example.com", NULL, "provider..example", NULL,
        VOUCH_EINVAL},
    {"selector with a slash", "example.com", NULL, NULL, "s/1", VOUCH_EINVAL},
    {"U-label domain",
        "b\xc3\xbc"
        "cher.example",
        NULL, NULL, NULL, VOUCH_OK},
    {"invalid UTF-8 domain",
        "b\xc3"
        "cher.example",
        NULL, NULL, NULL, VOUCH_EINVAL},
    {"selector with a dot", "example.com", NULL, NULL, "2026.s1", VOUCH_OK},
};

static const char zone_good[] =
    "$ORIGIN example.com.\n"
    "@ 300 TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n"
    "_dmarc 300 TXT \"v=DMARC1; p=reject; rua=mailto:d@example.com\"\n";

static const struct {
	const char *name;
	const char *zone;
	enum vouch_check_severity want;
	const char *code; /* the first finding's code, or NULL for none */
} zones[] = {
    {"good", zone_good, VOUCH_CHECK_INFO, NULL},
    {"no records", "$ORIGIN example.com.\n@ 300 A 192.0.2.1\n",
        VOUCH_CHECK_ERROR, "spf-missing"},
    {"p=none",
        "$ORIGIN example.com.\n@ 300 TXT \"v=spf1 -all\"\n"
        "_dmarc 300 TXT \"v=DMARC1; p=none; rua=mailto:d@example.com\"\n",
        VOUCH_CHECK_WARNING, "dmarc-policy-none"},
};

int
main(void)
{
	char out[512];
	size_t i;

	for (i = 0; i < sizeof(suggest) / sizeof(suggest[0]); i++) {
		check_spf_suggest(
		    suggest[i].record, suggest[i].term, out, sizeof(out));
		tap_check(strcmp(out, suggest[i].want) == 0,
		    "suggest %s: got \"%s\", want \"%s\"", suggest[i].name, out,
		    suggest[i].want);
	}
	check_spf_suggest("v=spf1 mx -all", "ip4:192.0.2.1", out, 10);
	tap_check(strlen(out) == 9,
	    "suggest into a small buffer is cut: "
	    "got %zu bytes",
	    strlen(out));

	for (i = 0; i < sizeof(args) / sizeof(args[0]); i++) {
		struct vouch_check_options o;
		struct vouch_check_report *r = NULL;
		struct vouch_dns *dns = NULL;
		const char *sel[1];
		enum vouch_status st;

		if (vouch_dns_zone_new_mem("z", (const uint8_t *)zone_good,
		        sizeof(zone_good) - 1, &dns, NULL, 0) != VOUCH_OK) {
			tap_check(0, "zone loads");
			continue;
		}
		memset(&o, 0, sizeof(o));
		o.ip = args[i].ip;
		o.via = args[i].via;
		sel[0] = args[i].selector;
		o.selectors = sel;
		o.nselectors = args[i].selector != NULL;
		st = vouch_check_domain(
		    dns, args[i].domain, strlen(args[i].domain), &o, &r);
		tap_check(st == args[i].want && (st == VOUCH_OK) == (r != NULL),
		    "arguments %s: got %s, want %s", args[i].name,
		    vouch_status_str(st), vouch_status_str(args[i].want));
		vouch_check_report_free(r);
		vouch_dns_free(dns);
	}

	for (i = 0; i < sizeof(zones) / sizeof(zones[0]); i++) {
		struct vouch_check_report *r = NULL;
		struct vouch_dns *dns = NULL;
		const char *code;
		enum vouch_status st;

		if (vouch_dns_zone_new_mem("z", (const uint8_t *)zones[i].zone,
		        strlen(zones[i].zone), &dns, NULL, 0) != VOUCH_OK) {
			tap_check(0, "zone %s loads", zones[i].name);
			continue;
		}
		/* no selector: the one info finding is dkim-no-selector */
		st = vouch_check_domain(dns, "example.com", 11, NULL, &r);
		code =
		    r != NULL && r->nfindings > 0 ? r->finding[0].code : NULL;
		if (code != NULL && strcmp(code, "dkim-no-selector") == 0)
			code = NULL;
		tap_check(
		    st == VOUCH_OK && r != NULL &&
		        vouch_check_worst(r) == zones[i].want &&
		        (code == NULL) == (zones[i].code == NULL) &&
		        (code == NULL || strcmp(code, zones[i].code) == 0),
		    "zone %s: worst %s, first finding %s; want %s, %s",
		    zones[i].name,
		    r ? vouch_check_severity_str(vouch_check_worst(r)) : "-",
		    code ? code : "none",
		    vouch_check_severity_str(zones[i].want),
		    zones[i].code ? zones[i].code : "none");
		vouch_check_report_free(r);
		vouch_dns_free(dns);
	}
	vouch_check_report_free(NULL);
	tap_check(vouch_check_domain(NULL, "example.com", 11, NULL, NULL) ==
	              VOUCH_EINVAL,
	    "NULL arguments: EINVAL");
	tap_check(
	    strcmp(vouch_check_severity_str(VOUCH_CHECK_WARNING), "warning") ==
	            0 &&
	        strcmp(vouch_check_area_str(VOUCH_CHECK_SEND), "send") == 0,
	    "severity and area words");
	return tap_done();
}
