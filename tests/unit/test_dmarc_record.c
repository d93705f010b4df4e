/*
 * Unit tests of the DMARC Policy Record parser (src/lib/dmarc/record.c):
 * every tag of RFC 9989 §4.7 and RFC 7489 §6.3, valid and invalid values.
 */
#include <stdio.h>
#include <string.h>

#include "tap.h"
#include "vouch/dmarc.h"

/*
 * Each row: a record and the fields it must give, as a compact text
 * "p sp np adkim aspf t psd pct fo ri rf nrua nruf invalid" (see show()).
 */
static const struct {
	const char *name;
	const char *rec;
	enum vouch_status want;
	const char *fields;
} rows[] = {
    {"minimal", "v=DMARC1; p=none", VOUCH_OK,
        "p=none sp=- np=- adkim=r aspf=r t=n psd=u pct=100 fo=0 ri=86400 "
        "rf=1 rua=0 ruf=0 bad=0"},
    {"no semicolon after version only", "v=DMARC1", VOUCH_OK,
        "p=- sp=- np=- adkim=r aspf=r t=n psd=u pct=100 fo=0 ri=86400 rf=1 "
        "rua=0 ruf=0 bad=1"},
    {"every tag",
        "v=DMARC1; p=reject; sp=quarantine; np=none; adkim=s; "
        "aspf=s; t=y; psd=n; pct=50; fo=1:d:s; ri=3600; rf=afrf; "
        "rua=mailto:a@example.com; ruf=mailto:f@example.com",
        VOUCH_OK,
        "p=reject sp=quarantine np=none adkim=s aspf=s t=y psd=n pct=50 "
        "fo=14 ri=3600 rf=1 rua=1 ruf=1 bad=0"},
    {"white space around = and ;", "v = DMARC1 ;\tp = quarantine ; ", VOUCH_OK,
        "p=quarantine sp=- np=- adkim=r aspf=r t=n psd=u pct=100 fo=0 "
        "ri=86400 rf=1 rua=0 ruf=0 bad=0"},
    {"policy words without case", "v=DMARC1; p=REJECT; sp=None", VOUCH_OK,
        "p=reject sp=none np=- adkim=r aspf=r t=n psd=u pct=100 fo=0 "
        "ri=86400 rf=1 rua=0 ruf=0 bad=0"},
    {"version lower case is not DMARC (RFC 9989 4.7 case sensitive)",
        "v=dmarc1; p=none", VOUCH_ESYNTAX, ""},
    {"version not first", "p=none; v=DMARC1", VOUCH_ESYNTAX, ""},
    {"no version", "p=reject", VOUCH_ESYNTAX, ""},
    {"other version", "v=DMARC2; p=reject", VOUCH_ESYNTAX, ""},
    {"version glued to next tag", "v=DMARC1p=reject", VOUCH_ESYNTAX, ""},
    {"SPF record", "v=spf1 -all", VOUCH_ESYNTAX, ""},
    {"empty", "", VOUCH_ESYNTAX, ""},
    {"invalid p", "v=DMARC1; p=block; rua=mailto:a@example.com", VOUCH_OK,
        "p=- sp=- np=- adkim=r aspf=r t=n psd=u pct=100 fo=0 ri=86400 rf=1 "
        "rua=1 ruf=0 bad=1"},
    {"invalid sp and np", "v=DMARC1; p=none; sp=x; np=", VOUCH_OK,
        "p=none sp=- np=- adkim=r aspf=r t=n psd=u pct=100 fo=0 ri=86400 "
        "rf=1 rua=0 ruf=0 bad=8194"},
    {"invalid adkim aspf t psd keep defaults",
        "v=DMARC1; p=none; adkim=x; aspf=strict; t=yes; psd=maybe", VOUCH_OK,
        "p=none sp=- np=- adkim=r aspf=r t=n psd=u pct=100 fo=0 ri=86400 "
        "rf=1 rua=0 ruf=0 bad=792"},
    {"pct out of range", "v=DMARC1; p=reject; pct=101", VOUCH_OK,
        "p=reject sp=- np=- adkim=r aspf=r t=n psd=u pct=100 fo=0 ri=86400 "
        "rf=1 rua=0 ruf=0 bad=1024"},
    {"pct zero", "v=DMARC1; p=reject; pct=0", VOUCH_OK,
        "p=reject sp=- np=- adkim=r aspf=r t=n psd=u pct=0 fo=0 ri=86400 "
        "rf=1 rua=0 ruf=0 bad=0"},
    {"pct not a number", "v=DMARC1; p=reject; pct=5o", VOUCH_OK,
        "p=reject sp=- np=- adkim=r aspf=r t=n psd=u pct=100 fo=0 ri=86400 "
        "rf=1 rua=0 ruf=0 bad=1024"},
    {"ri over 32 bits", "v=DMARC1; p=none; ri=4294967296", VOUCH_OK,
        "p=none sp=- np=- adkim=r aspf=r t=n psd=u pct=100 fo=0 ri=86400 "
        "rf=1 rua=0 ruf=0 bad=4096"},
    {"fo 0 and 1 exclude each other", "v=DMARC1; p=none; fo=0:1", VOUCH_OK,
        "p=none sp=- np=- adkim=r aspf=r t=n psd=u pct=100 fo=0 ri=86400 "
        "rf=1 rua=0 ruf=0 bad=32"},
    {"fo repeated value", "v=DMARC1; p=none; fo=d:d", VOUCH_OK,
        "p=none sp=- np=- adkim=r aspf=r t=n psd=u pct=100 fo=0 ri=86400 "
        "rf=1 rua=0 ruf=0 bad=32"},
    {"rf unknown format", "v=DMARC1; p=none; rf=iodef", VOUCH_OK,
        "p=none sp=- np=- adkim=r aspf=r t=n psd=u pct=100 fo=0 ri=86400 "
        "rf=0 rua=0 ruf=0 bad=0"},
    {"unknown tags ignored", "v=DMARC1; p=none; xyz=1; foo=bar", VOUCH_OK,
        "p=none sp=- np=- adkim=r aspf=r t=n psd=u pct=100 fo=0 ri=86400 "
        "rf=1 rua=0 ruf=0 bad=0"},
    {"bare term is a syntax error, rest kept", "v=DMARC1; p=none; reject",
        VOUCH_OK,
        "p=none sp=- np=- adkim=r aspf=r t=n psd=u pct=100 fo=0 ri=86400 "
        "rf=1 rua=0 ruf=0 bad=8192"},
    {"first of a repeated tag wins", "v=DMARC1; p=reject; p=none", VOUCH_OK,
        "p=reject sp=- np=- adkim=r aspf=r t=n psd=u pct=100 fo=0 ri=86400 "
        "rf=1 rua=0 ruf=0 bad=0"},
    {"two rua, one bad",
        "v=DMARC1; p=none; rua=mailto:a@example.com, "
        "not a uri",
        VOUCH_OK,
        "p=none sp=- np=- adkim=r aspf=r t=n psd=u pct=100 fo=0 ri=86400 "
        "rf=1 rua=1 ruf=0 bad=0"},
    {"rua all bad", "v=DMARC1; p=none; rua=reports@example.com", VOUCH_OK,
        "p=none sp=- np=- adkim=r aspf=r t=n psd=u pct=100 fo=0 ri=86400 "
        "rf=1 rua=0 ruf=0 bad=64"},
};

static void
show(const struct vouch_dmarc_record *r, char *buf, size_t cap)
{
	const char *pol[] = {"-", "none", "quarantine", "reject"};

	snprintf(buf, cap,
	    "p=%s sp=%s np=%s adkim=%c aspf=%c t=%c psd=%c pct=%u fo=%u "
	    "ri=%lu rf=%d rua=%zu ruf=%zu bad=%u",
	    pol[r->p], pol[r->sp], pol[r->np],
	    r->adkim == VOUCH_DMARC_STRICT ? 's' : 'r',
	    r->aspf == VOUCH_DMARC_STRICT ? 's' : 'r', r->testing ? 'y' : 'n',
	    r->psd == VOUCH_DMARC_PSD_YES  ? 'y'
	    : r->psd == VOUCH_DMARC_PSD_NO ? 'n'
	                                   : 'u',
	    r->pct, r->fo, (unsigned long)r->ri, r->rf_afrf, r->nrua, r->nruf,
	    r->invalid);
}

/* URI size suffixes (RFC 7489 §6.4: powers of two, 64-bit). */
static const struct {
	const char *uri;
	int valid;
	unsigned long long size;
	const char *host;
} uris[] = {
    {"mailto:a@example.com", 1, 0, "example.com"},
    {"mailto:a@Example.COM!10m", 1, 10ull << 20, "example.com"},
    {"mailto:a@example.com!10", 1, 10, "example.com"},
    {"mailto:a@example.com!1k", 1, 1024, "example.com"},
    {"mailto:a@example.com!2g", 1, 2ull << 30, "example.com"},
    {"mailto:a@example.com!3t", 1, 3ull << 40, "example.com"},
    {"mailto:a@example.com!18446744073709551615", 1, 18446744073709551615ull,
        "example.com"},
    {"mailto:a@example.com!18446744073709551616", 0, 0, ""},
    {"mailto:a@example.com!17179869184g", 0, 0, ""},
    {"mailto:a@example.com!10x", 0, 0, ""},
    {"mailto:a@example.com!", 0, 0, ""},
    {"mailto:a@example.com!m", 0, 0, ""},
    {"https://Reports.example.net:443/dmarc", 1, 0, "reports.example.net"},
    {"mailto:", 0, 0, ""},
    {"no-scheme", 0, 0, ""},
    {"1mailto:a@example.com", 0, 0, ""},
};

int
main(void)
{
	struct vouch_dmarc_record r;
	char got[512], rec[256];
	enum vouch_status st;
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		st = vouch_dmarc_record_parse(
		    (const uint8_t *)rows[i].rec, strlen(rows[i].rec), &r);
		got[0] = '\0';
		if (st == VOUCH_OK)
			show(&r, got, sizeof(got));
		tap_check(
		    st == rows[i].want &&
		        (st != VOUCH_OK || strcmp(got, rows[i].fields) == 0),
		    "%s: got %s \"%s\", want %s \"%s\"", rows[i].name,
		    vouch_status_str(st), got, vouch_status_str(rows[i].want),
		    rows[i].fields);
		vouch_dmarc_record_free(&r);
	}
	/* the argument checks of dmarc.h: NULL with 0 is the empty record */
	st = vouch_dmarc_record_parse(NULL, 0, &r);
	tap_check(st == VOUCH_ESYNTAX, "NULL, 0: got %s, want ESYNTAX (empty)",
	    vouch_status_str(st));
	vouch_dmarc_record_free(&r);
	st = vouch_dmarc_record_parse(NULL, 8, &r);
	tap_check(st == VOUCH_EINVAL, "NULL with a length: got %s, want EINVAL",
	    vouch_status_str(st));
	vouch_dmarc_record_free(&r);
	st = vouch_dmarc_record_parse((const uint8_t *)"v=DMARC1", 8, NULL);
	tap_check(st == VOUCH_EINVAL, "no record to fill: got %s, want EINVAL",
	    vouch_status_str(st));
	for (i = 0; i < sizeof(uris) / sizeof(uris[0]); i++) {
		int valid;

		snprintf(
		    rec, sizeof(rec), "v=DMARC1; p=none; rua=%s", uris[i].uri);
		st = vouch_dmarc_record_parse(
		    (const uint8_t *)rec, strlen(rec), &r);
		valid = st == VOUCH_OK && r.nrua == 1;
		tap_check(valid == uris[i].valid &&
		              (!valid || (r.rua[0].max_size == uris[i].size &&
		                             strcmp(r.rua[0].host,
		                                 uris[i].host) == 0)),
		    "rua=%s: got valid=%d size=%llu host=%s, want valid=%d "
		    "size=%llu host=%s",
		    uris[i].uri, valid,
		    valid ? (unsigned long long)r.rua[0].max_size : 0ull,
		    valid ? r.rua[0].host : "", uris[i].valid, uris[i].size,
		    uris[i].host);
		vouch_dmarc_record_free(&r);
	}

	/* A record with embedded NUL and 8-bit bytes is still bounded. */
	{
		static const uint8_t odd[] = "v=DMARC1; p=reject; x=\0\xff; "
		                             "sp=none";

		st = vouch_dmarc_record_parse(odd, sizeof(odd) - 1, &r);
		tap_check(st == VOUCH_OK && r.p == VOUCH_DMARC_POLICY_REJECT &&
		              r.sp == VOUCH_DMARC_POLICY_NONE &&
		              r.textlen == sizeof(odd) - 1,
		    "NUL and 8-bit bytes in an unknown tag: got %s p=%d sp=%d",
		    vouch_status_str(st), r.p, r.sp);
		vouch_dmarc_record_free(&r);
	}
	/* More URIs than kept: the rest are counted, not stored. */
	{
		char many[4096];
		size_t n, k;

		n = (size_t)snprintf(
		    many, sizeof(many), "v=DMARC1; p=none; rua=");
		for (k = 0; k < VOUCH_DMARC_MAX_URIS + 4; k++)
			n += (size_t)snprintf(many + n, sizeof(many) - n,
			    "%smailto:r%zu@example.com", k ? "," : "", k);
		st = vouch_dmarc_record_parse((const uint8_t *)many, n, &r);
		tap_check(st == VOUCH_OK && r.nrua == VOUCH_DMARC_MAX_URIS &&
		              r.nuris_dropped == 4,
		    "%d rua URIs: got %zu kept %zu dropped, want %d and 4",
		    VOUCH_DMARC_MAX_URIS + 4, r.nrua, r.nuris_dropped,
		    VOUCH_DMARC_MAX_URIS);
		vouch_dmarc_record_free(&r);
	}
	return tap_done();
}
