/*
 * Unit tests of the aggregate-report reader (src/lib/report/xmlread.c), the
 * UTC day split (ingest_days.c) and the bucket of a record (owner_summary.c):
 * tables of {name, input, want}, each printing got and want; and the
 * summary of a domain with no stored rows.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "tmpdir.h"
#include "vouch/dmarc.h"
#include "vouch/feedback.h"
#include "vouch/owner.h"
#include "vouch/store.h"

#define META \
	"<report_metadata><org_name>R</org_name><email>e@r.example</email>" \
	"<report_id>id1</report_id><date_range><begin>1700006400</begin>" \
	"<end>1700092799</end></date_range></report_metadata>"
#define POLICY \
	"<policy_published><domain>example.com</domain></policy_published>"
#define REC(ip, n) \
	"<record><row><source_ip>" ip "</source_ip><count>" n "</count>" \
	"<policy_evaluated><disposition>none</disposition><dkim>pass</dkim>" \
	"<spf>fail</spf></policy_evaluated></row><identifiers><header_from>" \
	"example.com</header_from></identifiers><auth_results><spf><domain>" \
	"example.com</domain><result>fail</result></spf></auth_results>" \
	"</record>"
#define DOC(body) "<feedback>" META POLICY body "</feedback>"

/*
 * A report shown as "org id domain begin end nrecords total schema
 * ip/count/disposition/dkim/spf... w=nwarnings"; or "error: <reason>".
 */
static void
show(const struct vouch_feedback *fb, char *out, size_t cap)
{
	size_t i, n;

	n = (size_t)snprintf(out, cap, "%s %s %s %lld %lld %zu %llu %d",
	    fb->org_name, fb->report_id, fb->policy_published.domain,
	    (long long)fb->begin, (long long)fb->end, fb->nrecords,
	    (unsigned long long)fb->total_count, (int)fb->schema);
	for (i = 0; i < fb->nrecords && n < cap; i++) {
		const struct vouch_feedback_record *r = &fb->records[i];

		n += (size_t)snprintf(out + n, cap - n, " %s/%llu/%s/%s/%s",
		    r->source_ip, (unsigned long long)r->count,
		    r->disposition ? r->disposition : "-",
		    r->dkim ? r->dkim : "-", r->spf ? r->spf : "-");
	}
	if (n < cap)
		snprintf(out + n, cap - n, " w=%zu", fb->nwarnings);
}

static const struct {
	const char *name;
	const char *xml;
	const char *want; /* show(), or "error: " and a part of the reason */
} rows[] = {
    {"RFC 7489 report", DOC(REC("192.0.2.1", "3")),
        "R id1 example.com 1700006400 1700092799 1 3 0 "
        "192.0.2.1/3/none/pass/fail w=0"},
    {"RFC 9990 namespace",
        "<feedback xmlns=\"urn:ietf:params:xml:ns:dmarc-2.0\">" META POLICY REC(
            "192.0.2.1", "3") "</feedback>",
        "R id1 example.com 1700006400 1700092799 1 3 1 "
        "192.0.2.1/3/none/pass/fail w=0"},
    {"prefixed root, other namespace",
        "<x:feedback xmlns:x=\"urn:example\">" META POLICY REC(
            "192.0.2.1", "3") "</x:feedback>",
        "R id1 example.com 1700006400 1700092799 1 3 2 "
        "192.0.2.1/3/none/pass/fail w=0"},
    {"mixed case names and words",
        "<FeedBack><Report_Metadata><ORG_NAME>R</ORG_NAME><report_id>id1"
        "</report_id><Date_Range><Begin>1700006400</Begin><END>1700092799"
        "</END></Date_Range></Report_Metadata><policy_published><Domain>"
        "EXAMPLE.COM.</Domain></policy_published><record><row><source_ip>"
        "192.0.2.1</source_ip><count>3</count><policy_evaluated>"
        "<disposition>None</disposition><dkim>PASS</dkim><spf>Fail</spf>"
        "</policy_evaluated></row></record></FeedBack>",
        "R id1 example.com 1700006400 1700092799 1 3 0 "
        "192.0.2.1/3/none/pass/fail w=0"},
    {"BOM and white space before the declaration",
        "\xef\xbb\xbf \r\n<?xml version=\"1.0\"?>" DOC(REC("192.0.2.1", "3")),
        "R id1 example.com 1700006400 1700092799 1 3 0 "
        "192.0.2.1/3/none/pass/fail w=0"},
    {"IPv6 written long is made canonical",
        DOC(REC("2001:0db8:0000:0000:0000:0000:0000:0001", "1")),
        "R id1 example.com 1700006400 1700092799 1 1 0 "
        "2001:db8::1/1/none/pass/fail w=0"},
    {"unknown elements and extension skipped",
        "<feedback><extension><x:y xmlns:x=\"u\"><z/></x:y></extension>" META
        "<zzz>1</zzz>" POLICY REC("192.0.2.1", "2") "</feedback>",
        "R id1 example.com 1700006400 1700092799 1 2 0 "
        "192.0.2.1/2/none/pass/fail w=0"},
    {"missing optional elements",
        "<feedback><report_metadata><report_id>x</report_id><date_range>"
        "<begin>1</begin><end>2</end></date_range></report_metadata>"
        "<policy_published><domain>d.example</domain></policy_published>"
        "<record><row><source_ip>192.0.2.1</source_ip><count>1</count>"
        "</row></record></feedback>",
        " x d.example 1 2 1 1 0 192.0.2.1/1/-/-/- w=0"},
    {"no report_id: begin-end used, with a warning",
        "<feedback><report_metadata><org_name>R</org_name><date_range><begin>"
        "10</begin><end>20</end></date_range></report_metadata>" POLICY
        "</feedback>",
        "R 10-20 example.com 10 20 0 0 0 w=1"},
    {"fraction in begin (OpenDMARC files)",
        "<feedback><report_metadata><report_id>x</report_id><date_range>"
        "<begin>1337270400.0</begin><end>1337356799.5</end></date_range>"
        "</report_metadata>" POLICY "</feedback>",
        " x example.com 1337270400 1337356799 0 0 0 w=0"},
    {"record without count dropped",
        DOC(REC("192.0.2.1", "x") REC("192.0.2.2", "5")),
        "R id1 example.com 1700006400 1700092799 1 5 0 "
        "192.0.2.2/5/none/pass/fail w=1"},
    {"count over 10^12 dropped", DOC(REC("192.0.2.1", "1000000000001")),
        "R id1 example.com 1700006400 1700092799 0 0 0 w=1"},
    {"source that is not an address kept, warned",
        DOC(REC("108r.166.27.220", "16")),
        "R id1 example.com 1700006400 1700092799 1 16 0 "
        "108r.166.27.220/16/none/pass/fail w=1"},
    {"junk after </feedback> not read", DOC(REC("192.0.2.1", "3")) "<oops",
        "R id1 example.com 1700006400 1700092799 1 3 0 "
        "192.0.2.1/3/none/pass/fail w=0"},
    {"feedback under an unclosed wrapper",
        "<xs:schema xmlns:xs=\"u\">" DOC(REC("192.0.2.1", "3")),
        "R id1 example.com 1700006400 1700092799 1 3 0 "
        "192.0.2.1/3/none/pass/fail w=0"},
    {"invalid UTF-8 repaired",
        "<feedback><report_metadata><org_name>R\x91</org_name><report_id>"
        "id1</report_id><date_range><begin>1</begin><end>2</end>"
        "</date_range></report_metadata>" POLICY "</feedback>",
        "R\xef\xbf\xbd id1 example.com 1 2 0 0 0 w=1"},
    {"windows-1252 declared",
        "<?xml version=\"1.0\" encoding=\"windows-1252\"?><feedback>"
        "<report_metadata><org_name>R\x93</org_name><report_id>id1"
        "</report_id><date_range><begin>1</begin><end>2</end></date_range>"
        "</report_metadata>" POLICY "</feedback>",
        "R\xe2\x80\x9c id1 example.com 1 2 0 0 0 w=0"},
    {"CDATA and entities in text",
        "<feedback><report_metadata><org_name><![CDATA[A&B]]> &amp; C"
        "</org_name><report_id>id1</report_id><date_range><begin>1</begin>"
        "<end>2</end></date_range></report_metadata>" POLICY "</feedback>",
        "A&B & C id1 example.com 1 2 0 0 0 w=0"},
    {"empty document", "", "error: empty document"},
    {"not XML", "hello", "error: not well-formed"},
    {"no feedback element", "<other/>", "error: no <feedback>"},
    {"not closed", "<feedback>" META POLICY, "error: not well-formed"},
    {"DTD refused", "<!DOCTYPE feedback []>" DOC(""),
        "error: document type declaration"},
    {"DTD after a comment refused",
        "<?xml version=\"1.0\"?><!-- c -->"
        "<!DOCTYPE feedback>" DOC(""),
        "error: document type declaration"},
    {"undeclared entity", DOC("<record>&x;</record>"),
        "error: not well-formed"},
    {"no policy domain", "<feedback>" META "<policy_published/></feedback>",
        "error: no policy_published/domain"},
    {"no date_range",
        "<feedback><report_metadata><report_id>x</report_id>"
        "</report_metadata>" POLICY "</feedback>",
        "error: no date_range"},
    {"end before begin",
        "<feedback><report_metadata><report_id>x</report_id><date_range>"
        "<begin>20</begin><end>10</end></date_range></report_metadata>" POLICY
        "</feedback>",
        "error: ends before"},
    {"negative begin",
        "<feedback><report_metadata><report_id>x</report_id><date_range>"
        "<begin>-5</begin><end>10</end></date_range></report_metadata>" POLICY
        "</feedback>",
        "error: not a time"},
    {"period over 31 days",
        "<feedback><report_metadata><report_id>x</report_id><date_range>"
        "<begin>0</begin><end>3000000</end></date_range></"
        "report_metadata>" POLICY "</feedback>",
        "error: spans more than 31 days"},
};

static void
test_parse(void)
{
	struct vouch_feedback *fb;
	enum vouch_status st;
	char got[2048], err[512];
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		st = vouch_feedback_parse((const uint8_t *)rows[i].xml,
		    strlen(rows[i].xml), &fb, err, sizeof(err));
		if (st == VOUCH_OK) {
			show(fb, got, sizeof(got));
			vouch_feedback_free(fb);
			tap_check(strcmp(got, rows[i].want) == 0,
			    "parse %s: got \"%s\", want \"%s\"", rows[i].name,
			    got, rows[i].want);
		} else {
			tap_check(strncmp(rows[i].want, "error: ", 7) == 0 &&
			              strstr(err, rows[i].want + 7) != NULL &&
			              fb == NULL,
			    "parse %s: got error \"%s\" (%s), want \"%s\"",
			    rows[i].name, err, vouch_status_str(st),
			    rows[i].want);
		}
	}
}

/* Deep nesting and a long text, built at run time. */
static void
test_limits(void)
{
	static char doc[1 << 20];
	struct vouch_feedback *fb;
	enum vouch_status st;
	char err[256];
	size_t n, i;

	n = (size_t)snprintf(doc, sizeof(doc), "%s", "<feedback>" META POLICY);
	for (i = 0; i < 40; i++)
		n += (size_t)snprintf(doc + n, sizeof(doc) - n, "<a>");
	for (i = 0; i < 40; i++)
		n += (size_t)snprintf(doc + n, sizeof(doc) - n, "</a>");
	n += (size_t)snprintf(doc + n, sizeof(doc) - n, "</feedback>");
	st = vouch_feedback_parse(
	    (const uint8_t *)doc, n, &fb, err, sizeof(err));
	tap_check(st == VOUCH_ELIMIT && strstr(err, "deeper") != NULL,
	    "41 levels of nesting: got %s \"%s\", want ELIMIT",
	    vouch_status_str(st), err);
	n = (size_t)snprintf(
	    doc, sizeof(doc), "%s", "<feedback><report_metadata><org_name>");
	memset(doc + n, 'a', 70000);
	n += 70000;
	n += (size_t)snprintf(doc + n, sizeof(doc) - n,
	    "</org_name></report_metadata></feedback>");
	st = vouch_feedback_parse(
	    (const uint8_t *)doc, n, &fb, err, sizeof(err));
	tap_check(st == VOUCH_ELIMIT,
	    "a text of 70000 bytes: got %s \"%s\", want ELIMIT",
	    vouch_status_str(st), err);
	st = vouch_feedback_parse(NULL, 5, &fb, err, sizeof(err));
	tap_check(st == VOUCH_EINVAL, "NULL input with a length: got %s",
	    vouch_status_str(st));
}

static const struct {
	const char *name;
	int64_t begin, end;
	const char *want; /* "day:seconds ..." in days since the epoch */
} day_rows[] = {
    {"one UTC day, end inclusive", 1700006400, 1700092799, "19676:86399"},
    {"one UTC day, end exclusive", 1700006400, 1700092800, "19676:86400"},
    {"a day from 22:00 UTC: the day of its middle", 1699999200, 1700085600,
        "19676:86400"},
    {"an hour", 1700010000, 1700013600, "19676:3600"},
    {"the same second", 1700010000, 1700010000, "19676:0"},
    {"three days from noon", 1699963200, 1700222400,
        "19675:43200 19676:86400 19677:86400 19678:43200"},
    {"31 days", 0, 31 * 86400,
        "0:86400 1:86400 2:86400 3:86400 4:86400 "
        "5:86400 6:86400 7:86400 8:86400 9:86400 "
        "10:86400 11:86400 12:86400 13:86400 "
        "14:86400 15:86400 16:86400 17:86400 "
        "18:86400 19:86400 20:86400 21:86400 "
        "22:86400 23:86400 24:86400 25:86400 "
        "26:86400 27:86400 28:86400 29:86400 "
        "30:86400"},
    {"32 days", 0, 32 * 86400, "error"},
    {"end before begin", 10, 5, "error"},
};

static void
test_days(void)
{
	struct vouch_feedback_days d;
	char got[1024];
	size_t i, j, n;

	for (i = 0; i < sizeof(day_rows) / sizeof(day_rows[0]); i++) {
		if (vouch_feedback_days(
		        day_rows[i].begin, day_rows[i].end, &d) != VOUCH_OK) {
			snprintf(got, sizeof(got), "error");
		} else {
			got[0] = '\0';
			for (j = n = 0; j < d.ndays && n < sizeof(got); j++)
				n += (size_t)snprintf(got + n, sizeof(got) - n,
				    "%s%lld:%lld", j ? " " : "",
				    (long long)(d.day[j] / 86400),
				    (long long)d.seconds[j]);
		}
		tap_check(strcmp(got, day_rows[i].want) == 0,
		    "days %s: got \"%s\", want \"%s\"", day_rows[i].name, got,
		    day_rows[i].want);
	}
}

static const struct {
	const char *name;
	int64_t seconds[4];
	size_t ndays;
	uint64_t count;
	uint64_t want[4];
} split_rows[] = {
    {"even", {100, 100, 0, 0}, 2, 10, {5, 5}},
    {"a tie goes to the earlier day", {100, 100, 0, 0}, 2, 1, {1, 0}},
    {"12h 24h 24h 12h of 10", {43200, 86400, 86400, 43200}, 4, 10,
        {2, 3, 3, 2}},
    {"12h 24h 24h 12h of 7: the tie of the middle days to the earlier",
        {43200, 86400, 86400, 43200}, 4, 7, {1, 3, 2, 1}},
    {"largest remainder", {1, 2, 0, 0}, 2, 2, {1, 1}},
    {"zero", {5, 7, 0, 0}, 2, 0, {0, 0}},
    {"the largest count", {1, 86400, 86400, 3}, 4, 1000000000000ULL,
        {5786903, 499988426194ULL, 499988426194ULL, 17360709}},
};

static void
test_split(void)
{
	struct vouch_feedback_days d;
	uint64_t share[4], sum;
	size_t i, j;
	int same;

	for (i = 0; i < sizeof(split_rows) / sizeof(split_rows[0]); i++) {
		memset(&d, 0, sizeof(d));
		d.ndays = split_rows[i].ndays;
		for (j = 0; j < d.ndays; j++)
			d.seconds[j] = split_rows[i].seconds[j];
		vouch_feedback_split(&d, split_rows[i].count, share);
		same = 1;
		sum = 0;
		for (j = 0; j < d.ndays; j++) {
			same &= share[j] == split_rows[i].want[j];
			sum += share[j];
		}
		tap_check(same && sum == split_rows[i].count,
		    "split %s: got %llu %llu %llu %llu, want %llu %llu %llu "
		    "%llu",
		    split_rows[i].name, (unsigned long long)share[0],
		    (unsigned long long)(d.ndays > 1 ? share[1] : 0),
		    (unsigned long long)(d.ndays > 2 ? share[2] : 0),
		    (unsigned long long)(d.ndays > 3 ? share[3] : 0),
		    (unsigned long long)split_rows[i].want[0],
		    (unsigned long long)split_rows[i].want[1],
		    (unsigned long long)split_rows[i].want[2],
		    (unsigned long long)split_rows[i].want[3]);
	}
}

static const struct vouch_feedback_dkim d_own = {
    "example.com", "s", "pass", NULL};
static const struct vouch_feedback_dkim d_sub = {
    "mail.example.com", "s", "pass", NULL};
static const struct vouch_feedback_dkim d_esp = {
    "mailer.example", "k", "pass", NULL};
static const struct vouch_feedback_dkim d_bad = {
    "example.com", "s", "fail", NULL};
static const struct vouch_feedback_spf s_own = {
    "bounce.example.com", "mfrom", "pass", NULL};
static const struct vouch_feedback_spf s_esp = {
    "bounces.mailer.example", "mfrom", "pass", NULL};
static const struct vouch_feedback_spf s_fail = {
    "example.com", "mfrom", "fail", NULL};
static const struct vouch_feedback_spf s_none = {
    "forwarder.example", "mfrom", "none", NULL};
static const struct vouch_feedback_reason r_list = {"mailing_list", NULL};
static const struct vouch_feedback_reason r_arc = {"local_policy", "arc=pass"};

static const struct {
	const char *name;
	const char *dkim, *spf; /* policy_evaluated, NULL absent */
	const struct vouch_feedback_dkim *d;
	const struct vouch_feedback_spf *s;
	const struct vouch_feedback_reason *reason;
	const char *adkim;
	enum vouch_owner_bucket want;
	const char *why;
} class_rows[] = {
    {"aligned SPF pass", "fail", "pass", NULL, &s_own, NULL, NULL,
        VOUCH_OWNER_COMPLIANT, ""},
    {"aligned DKIM pass, SPF unaligned pass", "pass", "fail", &d_own, &s_esp,
        NULL, NULL, VOUCH_OWNER_COMPLIANT, ""},
    {"DKIM pass, SPF fail: forwarded", "pass", "fail", &d_own, &s_fail, NULL,
        NULL, VOUCH_OWNER_FORWARDED, ""},
    {"DKIM pass, SPF none (an SRS forwarder without SPF): forwarded", "pass",
        "fail", &d_own, &s_none, NULL, NULL, VOUCH_OWNER_FORWARDED, ""},
    {"mailing_list reason: forwarded", "fail", "fail", &d_bad, &s_fail, &r_list,
        NULL, VOUCH_OWNER_FORWARDED, ""},
    {"arc=pass comment: forwarded", "fail", "fail", NULL, &s_fail, &r_arc, NULL,
        VOUCH_OWNER_FORWARDED, ""},
    {"ESP not aligned", "fail", "fail", &d_esp, &s_esp, NULL, NULL,
        VOUCH_OWNER_NOT_COMPLIANT,
        "DKIM d=mailer.example not aligned with example.com; SPF domain "
        "bounces.mailer.example not aligned"},
    {"no DKIM, SPF fail: unknown", "fail", "fail", NULL, &s_fail, NULL, NULL,
        VOUCH_OWNER_UNKNOWN, "no DKIM signature; SPF fail for example.com"},
    {"strict adkim: subdomain d= not aligned", NULL, NULL, &d_sub, NULL, NULL,
        "s", VOUCH_OWNER_NOT_COMPLIANT,
        "DKIM d=mail.example.com not aligned with example.com; no SPF "
        "result"},
    {"relaxed adkim, no policy_evaluated: derived", NULL, NULL, &d_sub, NULL,
        NULL, "r", VOUCH_OWNER_COMPLIANT, ""},
};

static void
test_classify(void)
{
	struct vouch_dmarc_options o;
	struct vouch_feedback_record r;
	struct vouch_dmarc *psl;
	enum vouch_owner_bucket b;
	char why[512];
	size_t i;

	memset(&o, 0, sizeof(o));
	o.mode = VOUCH_DMARC_MODE_RFC7489;
	if (vouch_dmarc_new(&o, &psl, NULL, 0) != VOUCH_OK) {
		tap_check(0, "classify: no PSL evaluator");
		return;
	}
	for (i = 0; i < sizeof(class_rows) / sizeof(class_rows[0]); i++) {
		memset(&r, 0, sizeof(r));
		r.source_ip = "192.0.2.1";
		r.count = 1;
		r.dkim = class_rows[i].dkim;
		r.spf = class_rows[i].spf;
		r.header_from = "example.com";
		r.dkim_results = class_rows[i].d;
		r.ndkim = class_rows[i].d != NULL;
		r.spf_results = class_rows[i].s;
		r.nspf = class_rows[i].s != NULL;
		r.reasons = class_rows[i].reason;
		r.nreasons = class_rows[i].reason != NULL;
		b = vouch_owner_classify(&r, "example.com", class_rows[i].adkim,
		    NULL, psl, why, sizeof(why));
		tap_check(b == class_rows[i].want &&
		              strcmp(why, class_rows[i].why) == 0,
		    "classify %s: got %s \"%s\", want %s \"%s\"",
		    class_rows[i].name, vouch_owner_bucket_str(b), why,
		    vouch_owner_bucket_str(class_rows[i].want),
		    class_rows[i].why);
	}
	vouch_dmarc_free(psl);
}

/*
 * A domain with no rows in the store (none ingested, or none in the
 * interval): an empty summary, not an error.  It has nothing to sort, and
 * its empty lists are NULL: passing them to qsort is undefined behaviour
 * (C11 §7.22.5: the pointer must be valid even for zero elements), which
 * UBSan reports in the ASan build.
 */
static void
test_summary_empty(void)
{
	char db[300], err[256] = "";
	const char *dir;
	struct vouch_owner_summary_opts o;
	struct vouch_owner_summary *sum = NULL;
	struct vouch_dmarc_options dopt;
	struct vouch_dmarc *psl = NULL;
	struct vouch_store *s = NULL;
	enum vouch_status st;
	unsigned n;

	if ((dir = tap_tmpdir("test-feedback")) == NULL) {
		tap_check(
		    0, "summary of an empty store: no temporary directory");
		return;
	}
	snprintf(db, sizeof(db), "%s/empty.db", dir);
	memset(&dopt, 0, sizeof(dopt));
	dopt.mode = VOUCH_DMARC_MODE_RFC7489;
	st = vouch_store_open(db, VOUCH_STORE_CREATE, &s, err, sizeof(err));
	if (st == VOUCH_OK)
		st = vouch_store_migrate(s, &n);
	if (st == VOUCH_OK)
		st = vouch_dmarc_new(&dopt, &psl, NULL, 0);
	tap_check(st == VOUCH_OK, "an empty, migrated store: %s %s",
	    vouch_status_str(st), err);
	if (st == VOUCH_OK) {
		memset(&o, 0, sizeof(o));
		o.domain = "example.com";
		st = vouch_owner_summarize(s, &o, psl, &sum);
		tap_check(st == VOUCH_OK && sum != NULL && sum->reports == 0 &&
		              sum->messages == 0 && sum->nsources == 0 &&
		              sum->ndays == 0 && sum->nreporters == 0 &&
		              sum->quarantine.nsources == 0 &&
		              sum->reject.nsources == 0,
		    "summary of a domain without rows: got %s, %zu sources "
		    "%zu days %zu reporters, want OK and none",
		    vouch_status_str(st), sum ? sum->nsources : 0,
		    sum ? sum->ndays : 0, sum ? sum->nreporters : 0);
		vouch_owner_summary_free(sum);
	}
	vouch_dmarc_free(psl);
	vouch_store_close(s);
}

int
main(void)
{
	test_parse();
	test_limits();
	test_days();
	test_split();
	test_classify();
	test_summary_empty();
	return tap_done();
}
