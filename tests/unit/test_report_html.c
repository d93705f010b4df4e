/*
 * Unit tests of `vouch report html`'s page (src/cli/report_html.c): the
 * escaping of report texts as a table of {name, input, want}, then whole
 * pages of constructed summaries, hostile and extreme, whose markup must
 * not depend on what the reports said.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/cli/report_html.h"
#include "tap.h"

#define FFFD "\xef\xbf\xbd"

static const struct {
	const char *name;
	const char *in;
	size_t len; /* 0: strlen(in) */
	size_t max;
	const char *want;
} esc_rows[] = {
    {"plain ASCII copied", "mail.example.com", 0, 0, "mail.example.com"},
    {"markup escaped", "<script>x</script>", 0, 0,
        "&lt;script&gt;x&lt;/script&gt;"},
    {"quotes and ampersand escaped", "\"'&", 0, 0, "&quot;&#39;&amp;"},
    {"an attribute break-out escaped", "\"><img src=x onerror=y>", 0, 0,
        "&quot;&gt;&lt;img src=x onerror=y&gt;"},
    {"two-byte UTF-8 copied", "caf\xc3\xa9", 0, 0, "caf\xc3\xa9"},
    {"three-byte UTF-8 copied", "\xe2\x82\xac", 0, 0, "\xe2\x82\xac"},
    {"four-byte UTF-8 copied", "\xf0\x9f\x98\x80", 0, 0, "\xf0\x9f\x98\x80"},
    {"a stray continuation byte", "a\x80z", 0, 0, "a" FFFD "z"},
    {"0xff", "\xff", 0, 0, FFFD},
    {"an overlong slash (RFC 3629 §10)", "\xc0\xaf", 0, 0, FFFD FFFD},
    {"an overlong three-byte form", "\xe0\x80\xaf", 0, 0, FFFD FFFD FFFD},
    {"a sequence cut by the end", "ab\xe2\x82", 0, 0, "ab" FFFD FFFD},
    {"a surrogate (RFC 3629 §3)", "\xed\xa0\x80", 0, 0, FFFD FFFD FFFD},
    {"above U+10FFFF", "\xf4\x90\x80\x80", 0, 0, FFFD FFFD FFFD FFFD},
    {"a C0 control", "a\x01z", 0, 0, "a" FFFD "z"},
    {"DEL", "\x7f", 0, 0, FFFD},
    {"a C1 control (U+0085)", "\xc2\x85", 0, 0, FFFD},
    {"NUL inside the text", "a\0z", 3, 0, "a" FFFD "z"},
    {"tab and newline kept", "a\tb\nc", 0, 0, "a\tb\nc"},
    {"carriage return replaced", "a\rb", 0, 0, "a" FFFD "b"},
    {"noncharacter U+FFFE", "\xef\xbf\xbe", 0, 0, FFFD},
    {"noncharacter U+FDD0", "\xef\xb7\x90", 0, 0, FFFD},
    {"noncharacter U+10FFFF", "\xf4\x8f\xbf\xbf", 0, 0, FFFD},
    {"U+FFFD itself copied", FFFD, 0, 0, FFFD},
    {"cut at max characters", "abcdef", 0, 3, "abc\xe2\x80\xa6"},
    {"not cut at exactly max", "abc", 0, 3, "abc"},
    {"max counts characters, not bytes", "\xc3\xa9\xc3\xa9\xc3\xa9", 0, 2,
        "\xc3\xa9\xc3\xa9\xe2\x80\xa6"},
    {"an escaped character counts once", "<<<<", 0, 2, "&lt;&lt;\xe2\x80\xa6"},
    {"empty", "", 0, 0, ""},
};

/* s with bytes outside printable ASCII as \xNN, for a TAP line. */
static const char *
shown(const char *s, char *buf, size_t cap)
{
	size_t n = 0;

	for (; *s && n + 5 < cap; s++)
		if ((unsigned char)*s >= 0x20 && (unsigned char)*s < 0x7f)
			buf[n++] = *s;
		else
			n += (size_t)snprintf(
			    buf + n, cap - n, "\\x%02x", (unsigned char)*s);
	buf[n] = '\0';
	return buf;
}

static void
test_escape(void)
{
	char g[256], w[256];
	size_t i, len, n;
	char *out;
	FILE *fp;

	for (i = 0; i < sizeof(esc_rows) / sizeof(esc_rows[0]); i++) {
		out = NULL;
		n = 0;
		fp = open_memstream(&out, &n);
		len =
		    esc_rows[i].len ? esc_rows[i].len : strlen(esc_rows[i].in);
		report_html_text(fp, esc_rows[i].in, len, esc_rows[i].max);
		fclose(fp);
		tap_check(strcmp(out, esc_rows[i].want) == 0,
		    "escape: %s: got \"%s\", want \"%s\"", esc_rows[i].name,
		    shown(out, g, sizeof(g)),
		    shown(esc_rows[i].want, w, sizeof(w)));
		free(out);
	}
}

/* ---- Whole pages ------------------------------------------------------- */

/* One summary with every text set to t, or to u where a field must
 * differ (the domain), and the counts given. */
struct fixture {
	struct vouch_owner_summary sum;
	struct vouch_owner_source src[4];
	struct vouch_owner_day days[3];
	struct vouch_owner_reporter rep[2];
	const char *texts[3];
	size_t ready[2];
};

static void
fixture_init(struct fixture *f, const char *t, uint64_t n)
{
	size_t i;
	int b;

	memset(f, 0, sizeof(*f));
	f->texts[0] = f->texts[1] = f->texts[2] = t;
	snprintf(f->sum.domain, sizeof(f->sum.domain), "%s", t);
	f->sum.p = t;
	f->sum.messages = 4 * n;
	f->sum.dmarc_pass = n;
	f->sum.reports = 2;
	for (i = 0; i < 4; i++) {
		struct vouch_owner_source *s = &f->src[i];

		snprintf(s->ip, sizeof(s->ip), "%s", t);
		snprintf(s->ptr, sizeof(s->ptr), "%s", t);
		snprintf(s->ptr_org, sizeof(s->ptr_org), "%s", t);
		s->bucket = (enum vouch_owner_bucket)i;
		s->messages = n;
		s->by_bucket[i] = n;
		s->dmarc_fail = i < 2 ? n : 0;
		s->reporters = f->texts;
		s->nreporters = 2;
		s->reasons = f->texts;
		s->nreasons = i < 2 ? 3 : 0;
		s->header_from = f->texts;
		s->nheader_from = 1;
		f->sum.bucket_sources[i] = 1;
		f->sum.bucket_messages[i] = n;
	}
	for (b = 0; b < 3; b++) {
		f->days[b].day = 1700006400 + 86400 * 2 * b; /* with gaps */
		f->days[b].messages = 4 * n / 3;
		f->days[b].dmarc_pass = n / 3;
		f->days[b].dkim_aligned = n / 4;
		f->days[b].spf_aligned = n / 5;
	}
	f->rep[0].org_name = f->rep[1].org_name = t;
	f->rep[0].reports = f->rep[1].reports = 1;
	f->rep[0].messages = f->rep[1].messages = 2 * n;
	f->ready[0] = 0;
	f->ready[1] = 1;
	f->sum.sources = f->src;
	f->sum.nsources = 4;
	f->sum.days = f->days;
	f->sum.ndays = 3;
	f->sum.reporters = f->rep;
	f->sum.nreporters = 2;
	f->sum.quarantine.messages = 2 * n;
	f->sum.quarantine.sources = f->ready;
	f->sum.quarantine.nsources = 2;
	f->sum.reject = f->sum.quarantine;
}

/* The page of n summaries (all the same) as a string. */
static char *
page(const struct vouch_owner_summary *sum, size_t n, const char *gen)
{
	const struct vouch_owner_summary *sums[3] = {sum, sum, sum};
	struct report_html h;
	char *out = NULL;
	size_t len = 0;
	FILE *fp;

	memset(&h, 0, sizeof(h));
	h.sums = (const struct vouch_owner_summary *const *)sums;
	h.nsums = n;
	h.now = 1700100000;
	h.generator = gen;
	fp = open_memstream(&out, &len);
	if (report_html_write(fp, &h) != 0) {
		fclose(fp);
		free(out);
		return NULL;
	}
	fclose(fp);
	return out;
}

static size_t
count_of(const char *s, const char *what)
{
	size_t n = 0, w = strlen(what);

	for (; (s = strstr(s, what)) != NULL; s += w)
		n++;
	return n;
}

/* Every byte of s is valid UTF-8, and no control but tab and newline. */
static int
clean_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n, i;

	while (*p) {
		if (*p < 0x80) {
			if (*p < 0x20 && *p != '\t' && *p != '\n')
				return 0;
			p++;
			continue;
		}
		n = *p >= 0xf0 ? 4 : *p >= 0xe0 ? 3 : *p >= 0xc2 ? 2 : 0;
		if (n == 0)
			return 0;
		for (i = 1; i < n; i++)
			if ((p[i] & 0xc0) != 0x80)
				return 0;
		p += n;
	}
	return 1;
}

static const char hostile[] =
    "\"><script>alert(1)</script><img src=x onerror=alert(2)>'&amp;"
    "</td></tr></table></section>\x01\xff\xed\xa0\x80";

static void
test_pages(void)
{
	struct fixture f, g;
	char *bad, *good;
	const char *marks[] = {"<", ">", "\"", "'"};
	size_t i;
	int same = 1;

	fixture_init(&f, hostile, 300);
	fixture_init(&g, "x", 300);
	bad = page(&f.sum, 2, hostile);
	good = page(&g.sum, 2, "x");
	tap_check(bad != NULL && good != NULL, "pages written");
	if (bad == NULL || good == NULL)
		goto out;
	for (i = 0; i < sizeof(marks) / sizeof(marks[0]); i++)
		if (count_of(bad, marks[i]) != count_of(good, marks[i])) {
			same = 0;
			tap_check(0,
			    "hostile: '%s' %zu times, want %zu as "
			    "with plain texts",
			    marks[i], count_of(bad, marks[i]),
			    count_of(good, marks[i]));
		}
	tap_check(same, "hostile texts: the page's markup (< > \" ') is that "
	                "of plain texts");
	tap_check(strstr(bad, "<script") == NULL && strstr(bad, "<img") == NULL,
	    "hostile texts: no <script, no <img");
	tap_check(count_of(bad, "&lt;script&gt;alert(1)") > 10,
	    "hostile texts: shown, escaped, in every place (%zu)",
	    count_of(bad, "&lt;script&gt;alert(1)"));
	tap_check(clean_utf8(bad), "hostile texts: the page is clean UTF-8, "
	                           "no control character");
	tap_check(count_of(good, "<g data-day=") == 6 &&
	              count_of(good, "data-series=\"dkim\"") == 6 &&
	              count_of(good, "data-series=\"spf\"") == 6 &&
	              count_of(good, "data-chart=\"source\"") == 8,
	    "two sections: 3 bars, 3 DKIM and 3 SPF points each, 4 source "
	    "bars each");
	tap_check(count_of(good, "<polyline") == 18,
	    "days with gaps between them: a line per day and series "
	    "(got %zu polylines, want 18)",
	    count_of(good, "<polyline"));
	tap_check(count_of(good, "href=\"#domain-") == 2 &&
	              count_of(good, "id=\"domain-") == 2,
	    "two sections: an index linking to both");
out:
	free(bad);
	free(good);
}

static void
test_numbers(void)
{
	struct fixture f;
	char *p;

	fixture_init(&f, "own.example", 1234567);
	p = page(&f.sum, 1, "vouch");
	tap_check(p != NULL &&
	              strstr(p, "data-metric=\"messages\">4,938,268<") != NULL,
	    "counts with a comma every three digits");
	tap_check(
	    p != NULL &&
	        strstr(p, "data-metric=\"dmarc_pass_percent\">25.0%<") != NULL,
	    "the pass rate with one decimal");
	tap_check(p != NULL && strstr(p, "href=\"#domain-") == NULL,
	    "one domain: no index");
	free(p);
	fixture_init(&f, "own.example", UINT64_MAX / 4);
	f.sum.messages = UINT64_MAX;
	p = page(&f.sum, 1, "vouch");
	tap_check(
	    p != NULL && strstr(p, ">18,446,744,073,709,551,615<") != NULL,
	    "the largest count is written whole");
	free(p);
	fixture_init(&f, "own.example", 10);
	f.days[2].day = 1700006400 + 86400 * 1000; /* a stray day far away */
	p = page(&f.sum, 1, "vouch");
	tap_check(p != NULL && count_of(p, "<g data-day=") == 3 &&
	              count_of(p, "<polyline") == 3,
	    "days 1000 apart: a slot per day with reports, lines unbroken");
	free(p);
	fixture_init(&f, "own.example", 0);
	f.sum.ndays = 0;
	p = page(&f.sum, 1, "vouch");
	tap_check(p != NULL && strstr(p, "No aggregate report about") != NULL &&
	              strstr(p, "<svg") == NULL,
	    "a domain without messages: said, no chart");
	free(p);
	p = page(NULL, 0, "vouch");
	tap_check(p != NULL &&
	              strstr(p, "No aggregate report in the store") != NULL &&
	              strstr(p, "</html>") != NULL,
	    "no domain at all: a whole page that says so");
	free(p);
}

int
main(void)
{
	test_escape();
	test_pages();
	test_numbers();
	return tap_done();
}
