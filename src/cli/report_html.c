/*
 * `vouch report html`: a domain owner's DMARC aggregate reports as one
 * self-contained HTML page (report_html.h).  The numbers are those of
 * `vouch report summary --json`, from the same struct vouch_owner_summary.
 *
 * The page is HTML that is also well-formed XML (every element closed,
 * attributes quoted, only XML's five character references), so that a
 * test can parse it strictly.  Charts are inline SVG drawn here; CSS is
 * inline; there is no script, and the Content Security Policy allows none
 * and no fetch of any kind.  Every chart has a title, a description and a
 * table of its numbers, and stable attributes (data-chart, data-day,
 * data-metric, ...) name the elements and numbers for the tests.
 *
 * Every text from a report is attacker-controlled: org names, domains,
 * reasons, PTR names.  All of them go through report_html_text, in text
 * and in attribute values alike.
 */
#include <inttypes.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "mail/utf8.h"
#include "report_html.h"

/* Characters of a text from a report shown in the page; the rest is cut
 * (an org name can be 64 KiB long; no layout holds that). */
#define HTML_MAX_CHARS 200

/* The charts' drawing area, in SVG user units (the viewBox). */
#define CH_W 640.0
#define CH_H 230.0
#define CH_L 70.0 /* left margin: the y axis labels */
#define CH_R 14.0
#define CH_T 12.0
#define CH_B 28.0 /* bottom margin: the day labels */
#define CH_PW (CH_W - CH_L - CH_R)
#define CH_PH (CH_H - CH_T - CH_B)
/* At most this many day labels under a chart. */
#define CH_MAX_LABELS 8
/* A source's or reporter's bar, in its own viewBox. */
#define BAR_W 160.0
#define BAR_H 14.0

static const char *const bucket_keys[VOUCH_OWNER_NBUCKETS] = {
    "not_compliant", "unknown", "forwarded", "compliant"};

static const char *const bucket_notes[VOUCH_OWNER_NBUCKETS] = {
    "Something passed, but not aligned with your domain: a sender that "
    "looks like yours and is not set up. Fix these first.",
    "Nothing passed at all: strangers using your name, or hosts of "
    "yours that sign nothing and are not in SPF.",
    "Your mail relayed by others (forwarders, mailing lists): aligned "
    "DKIM or ARC carries it.",
    "Passed DMARC: aligned SPF or DKIM.",
};

/* ---- Escaping ---------------------------------------------------------- */

/* Characters a page may hold: not the controls (other than tab and
 * newline) and noncharacters that HTML's parser reports as errors and
 * XML 1.0 §2.2 forbids. */
static int
html_allowed(uint32_t c)
{
	if (c == '\t' || c == '\n')
		return 1;
	if (c < 0x20 || (c >= 0x7f && c <= 0x9f))
		return 0;
	if ((c >= 0xfdd0 && c <= 0xfdef) || (c & 0xfffe) == 0xfffe)
		return 0;
	return 1;
}

void
report_html_text(FILE *fp, const char *s, size_t len, size_t max)
{
	const uint8_t *p = (const uint8_t *)s, *end = p + len;
	size_t n, chars = 0;
	uint32_t c;

	if (s == NULL)
		return;
	for (; p < end; chars++) {
		if (max > 0 && chars == max) {
			fputs("\xe2\x80\xa6", fp); /* U+2026, the rest cut */
			return;
		}
		n = mail_utf8_decode(p, end, &c);
		if (n == 0 || !html_allowed(c)) {
			fputs("\xef\xbf\xbd", fp); /* U+FFFD */
			p += n ? n : 1;
			continue;
		}
		switch (c) {
		case '&':
			fputs("&amp;", fp);
			break;
		case '<':
			fputs("&lt;", fp);
			break;
		case '>':
			fputs("&gt;", fp);
			break;
		case '"':
			fputs("&quot;", fp);
			break;
		case '\'':
			fputs("&#39;", fp);
			break;
		default:
			fwrite(p, 1, n, fp);
		}
		p += n;
	}
}

/* A text from a report (NULL: nothing), cut to HTML_MAX_CHARS. */
static void
esc(FILE *fp, const char *s)
{
	if (s != NULL)
		report_html_text(fp, s, strlen(s), HTML_MAX_CHARS);
}

/* The same, whole: for attribute values that tests match exactly. */
static void
esc_all(FILE *fp, const char *s)
{
	if (s != NULL)
		report_html_text(fp, s, strlen(s), 0);
}

/* ---- Numbers ----------------------------------------------------------- */

/* part of whole in percent (as report_percent: this file stands alone,
 * for the unit test and the fuzz target that link it) */
static double
percent(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

/* A UTC day as YYYY-MM-DD; "?" for a time gmtime cannot take. */
static void
day_str(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%d", &tm) == 0)
		snprintf(buf, len, "?");
}

/* v with a comma between groups of three digits: 1,234,567. */
static void
count(FILE *fp, uint64_t v)
{
	char d[24];
	int n, i;

	n = snprintf(d, sizeof(d), "%" PRIu64, v);
	for (i = 0; i < n; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			fputc(',', fp);
		fputc(d[i], fp);
	}
}

/* "s" after a count other than one: 1 report, 2 reports. */
static const char *
plural(uint64_t n)
{
	return n == 1 ? "" : "s";
}

static void
pct(FILE *fp, uint64_t part, uint64_t whole)
{
	fprintf(fp, "%.1f%%", percent(part, whole));
}

/* MM-DD of a YYYY-MM-DD day, for the charts' labels. */
static const char *
month_day(const char *d)
{
	return strlen(d) == 10 ? d + 5 : d;
}

/* An axis label: 950, 1,000, 15k, 2.5M, 40G (the values are round). */
static void
axis_count(FILE *fp, double v)
{
	if (v >= 1e9)
		fprintf(fp, "%gG", v / 1e9);
	else if (v >= 1e6)
		fprintf(fp, "%gM", v / 1e6);
	else if (v >= 1e4)
		fprintf(fp, "%gk", v / 1e3);
	else
		count(fp, (uint64_t)v);
}

/* A round step for an axis from 0 to at least max in four steps: 1, 2 or
 * 5 times a power of ten. */
static double
axis_step(uint64_t max)
{
	double want = (double)max / 4.0, p = 1.0;

	if (want <= 1.0)
		return 1.0;
	while (p * 10.0 <= want)
		p *= 10.0;
	if (p >= want)
		return p;
	if (2.0 * p >= want)
		return 2.0 * p;
	if (5.0 * p >= want)
		return 5.0 * p;
	return 10.0 * p;
}

/* ---- The page around the sections ------------------------------------- */

static const char css[] =
    ":root{--fg:#1b2430;--muted:#5a6572;--bg:#f3f5f8;--card:#fff;"
    "--line:#dde2e8;--head:#1f2d3d;--pass:#009e73;--fail:#d55e00;"
    "--b0:#d55e00;--b1:#a65e8c;--b2:#3a9ad9;--b3:#009e73;--dkim:#0072b2;"
    "--spf:#e69f00}\n"
    "@media (prefers-color-scheme:dark){:root{--fg:#e4e8ec;--muted:#9aa5b1;"
    "--bg:#12161b;--card:#1b2027;--line:#323a44;--head:#0b1016}}\n"
    "*{box-sizing:border-box}\n"
    "body{margin:0;font:15px/1.5 system-ui,-apple-system,\"Segoe UI\","
    "Roboto,\"DejaVu Sans\",sans-serif;color:var(--fg);"
    "background:var(--bg)}\n"
    ".wrap{max-width:1180px;margin:0 auto;padding:0 16px}\n"
    "header.top{background:var(--head);color:#fff;padding:22px 0 18px}\n"
    "header.top h1{margin:0;font-size:1.6rem;font-weight:650}\n"
    "header.top p{margin:4px 0 0;color:#c5d0db}\n"
    "h2{font-size:1.35rem;margin:28px 0 8px}\nh2.first{margin-top:0}\n"
    ".sr-only{position:absolute;width:1px;height:1px;overflow:hidden;"
    "clip:rect(0 0 0 0);white-space:nowrap}\n"
    "h2.domain{font-size:1.5rem;margin-top:36px;padding-top:14px;"
    "border-top:3px solid var(--head)}\n"
    "h3{font-size:1.1rem;margin:0 0 10px}\n"
    "h4{font-size:1rem;margin:0 0 4px}\n"
    "section.panel{background:var(--card);border:1px solid var(--line);"
    "border-radius:10px;padding:16px 20px;margin:16px 0}\n"
    ".figures{display:grid;gap:12px;"
    "grid-template-columns:repeat(auto-fit,minmax(150px,1fr));"
    "margin:16px 0}\n"
    ".figure{background:var(--card);border:1px solid var(--line);"
    "border-radius:10px;padding:12px 16px}\n"
    ".figure .label{color:var(--muted);font-size:.85rem}\n"
    ".figure .big{display:block;font-size:1.7rem;font-weight:650;"
    "font-variant-numeric:tabular-nums;line-height:1.25}\n"
    ".figure small{color:var(--muted)}\n"
    ".figure.alert{border-color:var(--fail)}\n"
    ".figure.good{border-color:var(--pass)}\n"
    ".buckets{display:grid;gap:12px;"
    "grid-template-columns:repeat(auto-fit,minmax(230px,1fr));"
    "margin-top:12px}\n"
    ".bucket{border-left:6px solid var(--line);padding:6px 12px}\n"
    ".bucket .big{font-size:1.35rem;font-weight:650}\n"
    ".bucket p{margin:4px 0 0;color:var(--muted);font-size:.9rem}\n"
    ".badge{display:inline-block;padding:1px 8px;border-radius:9px;"
    "font-size:.8rem;white-space:nowrap;border:1px solid var(--line);"
    "border-left-width:6px}\n"
    ".k-not_compliant{border-left-color:var(--b0)}"
    ".k-unknown{border-left-color:var(--b1)}"
    ".k-forwarded{border-left-color:var(--b2)}"
    ".k-compliant{border-left-color:var(--b3)}\n"
    "svg{display:block}\n"
    "svg.chart{width:100%;height:auto;min-width:420px}\n"
    ".charts{display:grid;gap:18px 28px;align-items:start;"
    "grid-template-columns:repeat(auto-fit,minmax(min(100%,460px),1fr))}\n"
    "figure{margin:0;min-width:0}\n"
    "figcaption{font-weight:600;margin-bottom:4px}\n"
    "svg.stack{width:100%;height:26px}\n"
    "svg.stack rect{stroke:var(--card);stroke-width:2px;"
    "vector-effect:non-scaling-stroke}\n"
    "svg.bar{width:160px;height:14px}\n"
    ".scroll{overflow-x:auto}\n"
    "svg text{font-size:15px;fill:var(--muted);"
    "font-family:system-ui,\"DejaVu Sans\",sans-serif}\n"
    "svg .grid{stroke:var(--line);stroke-width:1}\n"
    "svg .axis{stroke:var(--muted);stroke-width:1}\n"
    ".pass{fill:var(--pass)}.fail{fill:var(--fail)}"
    ".share{fill:var(--dkim)}\n"
    ".b-not_compliant{fill:var(--b0)}.b-unknown{fill:var(--b1)}"
    ".b-forwarded{fill:var(--b2)}.b-compliant{fill:var(--b3)}\n"
    ".line{fill:none;stroke-width:2.5}\n"
    ".s-rate{stroke:var(--pass)}.m-rate{fill:var(--pass)}\n"
    ".s-dkim{stroke:var(--dkim)}.m-dkim{fill:var(--dkim)}\n"
    ".s-spf{stroke:var(--spf);stroke-dasharray:6 3}"
    ".m-spf{fill:var(--spf)}\n"
    ".legend{margin:6px 0 0;color:var(--muted);font-size:.9rem}\n"
    ".legend .item{margin-right:18px;white-space:nowrap}\n"
    ".sw{display:inline-block;width:12px;height:12px;border-radius:2px;"
    "margin-right:6px;vertical-align:-1px}\n"
    ".sw.pass{background:var(--pass)}.sw.fail{background:var(--fail)}"
    ".sw.dkim{background:var(--dkim)}.sw.spf{background:var(--spf)}\n"
    ".sw.b-not_compliant{background:var(--b0)}"
    ".sw.b-unknown{background:var(--b1)}"
    ".sw.b-forwarded{background:var(--b2)}"
    ".sw.b-compliant{background:var(--b3)}\n"
    "table{border-collapse:collapse;width:100%;font-size:.92rem}\n"
    "th,td{text-align:left;padding:7px 8px;vertical-align:top;"
    "border-bottom:1px solid var(--line);overflow-wrap:break-word}\n"
    "th{color:var(--muted);font-weight:600;font-size:.85rem}\n"
    "td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;"
    "white-space:nowrap}\n"
    ".ip{font-family:ui-monospace,\"DejaVu Sans Mono\",monospace;"
    "font-size:.9rem}\n"
    ".muted{color:var(--muted)}\n"
    "ul.why{margin:0;padding-left:18px}\n"
    ".seen{color:var(--muted);font-size:.85rem;margin-top:4px}\n"
    "details{margin-top:10px}\n"
    "details summary{cursor:pointer;color:var(--muted)}\n"
    ".ready{display:grid;gap:12px;"
    "grid-template-columns:repeat(auto-fit,minmax(240px,1fr));"
    "margin:10px 0}\n"
    ".verdict{padding:10px 14px;border-radius:8px;border:1px solid "
    "var(--line);border-left:6px solid var(--pass)}\n"
    ".verdict.hit{border-left-color:var(--fail)}\n"
    "a{color:var(--dkim)}\n"
    "footer{color:var(--muted);font-size:.85rem;padding:8px 0 32px}\n"
    "@media (max-width:700px){"
    "table.cards thead{display:none}"
    "table.cards tr{display:block;border-bottom:1px solid var(--line);"
    "padding:8px 0}"
    "table.cards td{display:block;border:0;padding:2px 0;text-align:left}"
    "table.cards td[data-label]:before{content:attr(data-label) \": \";"
    "color:var(--muted)}"
    "section.panel{padding:12px}"
    /* the whole chart on a phone, its labels larger in its units */
    "svg.chart{min-width:0}svg.chart text{font-size:21px}}\n";

static void
page_head(FILE *fp, const struct report_html *h)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	      "<meta charset=\"utf-8\"/>\n"
	      "<meta name=\"viewport\" content=\"width=device-width, "
	      "initial-scale=1\"/>\n"
	      /* nothing is fetched and nothing runs, whatever a report
	       * managed to put in the page */
	      "<meta http-equiv=\"Content-Security-Policy\" "
	      "content=\"default-src 'none'; style-src 'unsafe-inline'; "
	      "base-uri 'none'; form-action 'none'\"/>\n"
	      "<meta name=\"referrer\" content=\"no-referrer\"/>\n",
	    fp);
	fputs("<meta name=\"generator\" content=\"", fp);
	esc(fp, h->generator);
	fputs("\"/>\n<title>DMARC aggregate reports", fp);
	if (h->nsums == 1) {
		fputs(": ", fp);
		esc(fp, h->sums[0]->domain);
	}
	fprintf(fp, "</title>\n<style>\n%s</style>\n</head>\n<body>\n", css);
}

/* The first and the last day of every section. */
static void
page_period(const struct report_html *h, int64_t *first, int64_t *last)
{
	size_t i;

	*first = INT64_MAX;
	*last = INT64_MIN;
	for (i = 0; i < h->nsums; i++) {
		const struct vouch_owner_summary *s = h->sums[i];

		if (s->ndays == 0)
			continue;
		if (s->days[0].day < *first)
			*first = s->days[0].day;
		if (s->days[s->ndays - 1].day > *last)
			*last = s->days[s->ndays - 1].day;
	}
}

static void
page_header(FILE *fp, const struct report_html *h)
{
	char a[16], b[16];
	int64_t first, last;

	fputs("<header class=\"top\"><div class=\"wrap\">\n"
	      "<h1>DMARC aggregate reports",
	    fp);
	if (h->nsums == 1) {
		fputs(": <span data-metric=\"domain\">", fp);
		esc(fp, h->sums[0]->domain);
		fputs("</span>", fp);
	}
	fputs("</h1>\n<p>", fp);
	page_period(h, &first, &last);
	if (first <= last) {
		day_str(first, a, sizeof(a));
		day_str(last, b, sizeof(b));
		fprintf(fp,
		    "UTC days <time datetime=\"%s\">%s</time> to "
		    "<time datetime=\"%s\">%s</time>",
		    a, a, b, b);
	} else {
		fputs("No report in this period", fp);
	}
	if (h->since > 0) {
		day_str(h->since, a, sizeof(a));
		fprintf(fp, " &#183; asked from %s", a);
	}
	if (h->until > 0) {
		day_str(h->until, a, sizeof(a));
		fprintf(fp, " &#183; asked until %s", a);
	}
	if (h->nsums > 1)
		fprintf(fp, " &#183; %zu policy domains", h->nsums);
	fputs("</p>\n</div></header>\n<main class=\"wrap\">\n", fp);
}

static void
page_footer(FILE *fp, const struct report_html *h)
{
	time_t now = (time_t)h->now;
	char when[32] = "?";
	struct tm tm;

	if (gmtime_r(&now, &tm) != NULL)
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", &tm);
	fputs("</main>\n<footer class=\"wrap\"><p>Made by ", fp);
	esc(fp, h->generator);
	fprintf(fp,
	    " on %s from the DMARC aggregate reports (RFC 9990) in its "
	    "store. The numbers are those of <code>vouch report summary "
	    "--json</code>; DMARC, DKIM and SPF results are the reporters' "
	    "own evaluation.</p></footer>\n</body>\n</html>\n",
	    when);
}

/* ---- Key figures -------------------------------------------------------- */

static void
figure_start(FILE *fp, const char *cls, const char *label)
{
	fprintf(fp, "<div class=\"figure%s%s\"><span class=\"label\">%s</span>",
	    cls[0] ? " " : "", cls, label);
}

static void
figures(FILE *fp, const struct vouch_owner_summary *s)
{
	const struct vouch_owner_readiness *r = &s->reject;

	fputs("<div class=\"figures\">\n", fp);
	figure_start(fp, "", "Messages");
	fputs("<span class=\"big\" data-metric=\"messages\">", fp);
	count(fp, s->messages);
	fputs("</span><small>in <span data-metric=\"reports\">", fp);
	count(fp, s->reports);
	fprintf(fp, "</span> report%s</small></div>\n", plural(s->reports));

	figure_start(
	    fp, s->dmarc_pass == s->messages ? "good" : "", "Passed DMARC");
	fputs("<span class=\"big\" data-metric=\"dmarc_pass_percent\">", fp);
	pct(fp, s->dmarc_pass, s->messages);
	fputs("</span><small><span data-metric=\"dmarc_pass\">", fp);
	count(fp, s->dmarc_pass);
	fprintf(fp, "</span> message%s</small></div>\n", plural(s->dmarc_pass));

	figure_start(fp, "", "Sources");
	fputs("<span class=\"big\" data-metric=\"nsources\">", fp);
	count(fp, s->nsources);
	fputs("</span><small><span data-metric=\"needs_action\">", fp);
	count(fp, s->bucket_sources[VOUCH_OWNER_NOT_COMPLIANT] +
	              s->bucket_sources[VOUCH_OWNER_UNKNOWN]);
	fputs("</span> not compliant or unknown</small></div>\n", fp);

	figure_start(fp, "", "Reporters");
	fputs("<span class=\"big\" data-metric=\"nreporters\">", fp);
	count(fp, s->nreporters);
	fprintf(fp, "</span><small>organization%s sent reports</small></div>\n",
	    plural(s->nreporters));

	figure_start(fp, "", "Policy published");
	fputs("<span class=\"big\">p=<span data-metric=\"policy\">", fp);
	esc(fp, s->p != NULL && s->p[0] ? s->p : "?");
	fputs("</span></span><small>as last reported</small></div>\n", fp);

	figure_start(fp, r->messages > 0 ? "alert" : "good",
	    "p=reject today would refuse");
	fputs("<span class=\"big\" data-metric=\"readiness_messages\">", fp);
	count(fp, r->messages);
	fprintf(fp, "</span><small>message%s (", plural(r->messages));
	pct(fp, r->messages, s->messages);
	fputs(")</small></div>\n</div>\n", fp);
}

/* ---- The four buckets -------------------------------------------------- */

static void
buckets(FILE *fp, const struct vouch_owner_summary *s, unsigned k)
{
	double x = 0, w;
	int b;

	fprintf(fp,
	    "<section class=\"panel\" aria-labelledby=\"d%u-buckets\">\n"
	    "<h3 id=\"d%u-buckets\">Sources in four buckets</h3>\n",
	    k, k);
	fprintf(fp,
	    "<svg class=\"stack\" data-chart=\"buckets\" role=\"img\" "
	    "aria-labelledby=\"d%u-bt\" viewBox=\"0 0 1000 26\" "
	    "preserveAspectRatio=\"none\">"
	    "<title id=\"d%u-bt\">Messages by bucket: ",
	    k, k);
	for (b = 0; b < VOUCH_OWNER_NBUCKETS; b++) {
		fprintf(fp, "%s%s ", b ? ", " : "",
		    vouch_owner_bucket_str((enum vouch_owner_bucket)b));
		pct(fp, s->bucket_messages[b], s->messages);
	}
	fputs("</title>\n", fp);
	for (b = 0; b < VOUCH_OWNER_NBUCKETS; b++) {
		w = s->messages ? 1000.0 * (double)s->bucket_messages[b] /
		                      (double)s->messages
		                : 0.0;
		fprintf(fp,
		    "<rect class=\"b-%s\" data-bucket=\"%s\" x=\"%.2f\" "
		    "y=\"0\" width=\"%.2f\" height=\"26\"><title>%s: ",
		    bucket_keys[b], bucket_keys[b], x, w,
		    vouch_owner_bucket_str((enum vouch_owner_bucket)b));
		count(fp, s->bucket_messages[b]);
		fprintf(fp, " message%s</title></rect>\n",
		    plural(s->bucket_messages[b]));
		x += w;
	}
	fputs("</svg>\n<div class=\"buckets\">\n", fp);
	for (b = 0; b < VOUCH_OWNER_NBUCKETS; b++) {
		fprintf(fp,
		    "<div class=\"bucket k-%s\" data-bucket=\"%s\">"
		    "<h4><span class=\"sw b-%s\"></span>%s</h4>"
		    "<span class=\"big\" data-metric=\"sources\">",
		    bucket_keys[b], bucket_keys[b], bucket_keys[b],
		    vouch_owner_bucket_str((enum vouch_owner_bucket)b));
		count(fp, s->bucket_sources[b]);
		fprintf(fp, "</span> source%s, <span data-metric=\"messages\">",
		    plural(s->bucket_sources[b]));
		count(fp, s->bucket_messages[b]);
		fprintf(
		    fp, "</span> message%s (", plural(s->bucket_messages[b]));
		pct(fp, s->bucket_messages[b], s->messages);
		fprintf(fp, ")<p>%s</p></div>\n", bucket_notes[b]);
	}
	fputs("</div>\n</section>\n", fp);
}

/* ---- Policy readiness -------------------------------------------------- */

static void
ready_box(FILE *fp, const struct vouch_owner_summary *s,
    const struct vouch_owner_readiness *r, const char *key, const char *what)
{
	fprintf(fp,
	    "<div class=\"verdict%s\" data-readiness=\"%s\"><h4>p=%s</h4>",
	    r->messages ? " hit" : "", key, key);
	fputs("<span data-metric=\"messages\">", fp);
	count(fp, r->messages);
	fprintf(fp, "</span> message%s (<span data-metric=\"percent\">",
	    plural(r->messages));
	pct(fp, r->messages, s->messages);
	fputs("</span>) from <span data-metric=\"nsources\">", fp);
	count(fp, r->nsources);
	fprintf(fp, "</span> source%s would %s.</div>\n", plural(r->nsources),
	    what);
}

static void
ready_row(FILE *fp, const struct vouch_owner_source *src)
{
	size_t i;

	fputs("<tr data-ip=\"", fp);
	esc_all(fp, src->ip);
	fputs("\"><td data-label=\"Source\"><span class=\"ip\">", fp);
	esc(fp, src->ip);
	fputs("</span>", fp);
	if (src->ptr[0]) {
		fputs("<br/><span class=\"muted\">", fp);
		esc(fp, src->ptr);
		fputs("</span>", fp);
	}
	fprintf(fp,
	    "</td><td data-label=\"Bucket\"><span class=\"badge k-%s\">%s"
	    "</span></td><td class=\"n\" data-label=\"Failed DMARC\" "
	    "data-metric=\"dmarc_fail\">",
	    bucket_keys[src->bucket], vouch_owner_bucket_str(src->bucket));
	count(fp, src->dmarc_fail);
	fputs("</td><td data-label=\"Why\">", fp);
	if (src->nreasons > 0) {
		fputs("<ul class=\"why\">", fp);
		for (i = 0; i < src->nreasons; i++) {
			fputs("<li>", fp);
			esc(fp, src->reasons[i]);
			fputs("</li>", fp);
		}
		fputs("</ul>", fp);
	}
	fputs("</td></tr>\n", fp);
}

static void
readiness(FILE *fp, const struct vouch_owner_summary *s, unsigned k)
{
	const struct vouch_owner_readiness *r = &s->quarantine;
	size_t i;

	fprintf(fp,
	    "<section class=\"panel\" aria-labelledby=\"d%u-ready\">\n"
	    "<h3 id=\"d%u-ready\">Policy readiness</h3>\n<p>Published now: "
	    "p=",
	    k, k);
	esc(fp, s->p != NULL && s->p[0] ? s->p : "?");
	fputs(". If ", fp);
	esc(fp, s->domain);
	fputs(" moved to a stricter policy today, the messages that failed "
	      "DMARC from sources other than forwarders would be hit "
	      "(forwarded mail is left out: DKIM or ARC carries it):</p>\n"
	      "<div class=\"ready\">\n",
	    fp);
	ready_box(fp, s, &s->quarantine, "quarantine", "go to spam");
	ready_box(fp, s, &s->reject, "reject", "be refused");
	fputs("</div>\n", fp);
	if (r->nsources == 0) {
		fputs("<p>No source other than forwarders failed DMARC: "
		      "p=reject would hit nothing today.</p>\n</section>\n",
		    fp);
		return;
	}
	fputs("<table class=\"cards\" data-table=\"readiness\">"
	      "<caption class=\"muted\">The sources that would be hit, most "
	      "failing messages first</caption>\n<thead><tr><th "
	      "scope=\"col\">Source</th>"
	      "<th scope=\"col\">Bucket</th><th scope=\"col\" "
	      "class=\"n\">Failed DMARC</th><th scope=\"col\">Why</th>"
	      "</tr></thead>\n<tbody>\n",
	    fp);
	for (i = 0; i < r->nsources; i++)
		ready_row(fp, &s->sources[r->sources[i]]);
	fputs("</tbody></table>\n</section>\n", fp);
}

/* ---- Charts per day ---------------------------------------------------- */

/*
 * Where the days stand on a chart's x axis: a slot per calendar day from
 * the first to the last, so that a day without reports shows as a gap;
 * or, when the days spread over more than CH_MAX_SLOTS (a stray report
 * years away), a slot per day that has reports.
 */
#define CH_MAX_SLOTS 400

struct xaxis {
	const struct vouch_owner_summary *s;
	int64_t first;
	size_t nslots;
	int dated; /* a slot per calendar day */
};

static void
xaxis_of(const struct vouch_owner_summary *s, struct xaxis *ax)
{
	int64_t span = (s->days[s->ndays - 1].day - s->days[0].day) / 86400;

	ax->s = s;
	ax->first = s->days[0].day;
	ax->dated = span >= 0 && span < CH_MAX_SLOTS;
	ax->nslots = ax->dated ? (size_t)span + 1 : s->ndays;
}

/* The slot of the summary's i-th day. */
static size_t
slot_of(const struct xaxis *ax, size_t i)
{
	return ax->dated ? (size_t)((ax->s->days[i].day - ax->first) / 86400)
	                 : i;
}

static double
slot_x(const struct xaxis *ax, size_t slot)
{
	return CH_L + CH_PW * ((double)slot + 0.5) / (double)ax->nslots;
}

static double
day_x(const struct xaxis *ax, size_t i)
{
	return slot_x(ax, slot_of(ax, i));
}

/* The y of v on an axis from 0 to top. */
static double
val_y(double v, double top)
{
	return CH_T + CH_PH - (top > 0 ? CH_PH * v / top : 0);
}

static void
chart_start(
    FILE *fp, const char *name, unsigned k, const char *title, const char *desc)
{
	fprintf(fp,
	    "<figure><figcaption>%s</figcaption><div class=\"scroll\">"
	    "<svg class=\"chart\" data-chart=\"%s\" role=\"img\" "
	    "viewBox=\"0 0 %.0f %.0f\" aria-labelledby=\"d%u-%s-t d%u-%s-d\">"
	    "<title id=\"d%u-%s-t\">%s</title>"
	    "<desc id=\"d%u-%s-d\">%s</desc>\n",
	    title, name, CH_W, CH_H, k, name, k, name, k, name, title, k, name,
	    desc);
}

/* Gridlines and labels of a y axis from 0 to 4 steps. */
static void
y_axis(FILE *fp, double step, int percent)
{
	double y;
	int i;

	for (i = 0; i <= 4; i++) {
		y = val_y(step * i, step * 4);
		fprintf(fp,
		    "<line class=\"grid\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" "
		    "y2=\"%.1f\"/><text x=\"%.1f\" y=\"%.1f\" "
		    "text-anchor=\"end\">",
		    CH_L, CH_W - CH_R, y, y, CH_L - 8, y + 4);
		if (percent)
			fprintf(fp, "%.0f%%", step * i);
		else
			axis_count(fp, step * i);
		fputs("</text>\n", fp);
	}
}

/* Day labels, at most CH_MAX_LABELS of them, as MM-DD. */
static void
x_axis(FILE *fp, const struct xaxis *ax)
{
	size_t i, every = (ax->nslots + CH_MAX_LABELS - 1) / CH_MAX_LABELS;
	char d[16];

	fprintf(fp,
	    "<line class=\"axis\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" "
	    "y2=\"%.1f\"/>\n",
	    CH_L, CH_W - CH_R, CH_T + CH_PH, CH_T + CH_PH);
	for (i = 0; i < ax->nslots; i += every ? every : 1) {
		day_str(ax->dated ? ax->first + (int64_t)i * 86400
		                  : ax->s->days[i].day,
		    d, sizeof(d));
		fprintf(fp,
		    "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s"
		    "</text>\n",
		    slot_x(ax, i), CH_H - 8, month_day(d));
	}
}

static void
chart_volume(FILE *fp, const struct xaxis *ax, unsigned k)
{
	const struct vouch_owner_summary *s = ax->s;
	double step, top, slot, w, x, yt, yp;
	uint64_t max = 0;
	char d[16];
	size_t i;

	for (i = 0; i < s->ndays; i++)
		if (s->days[i].messages > max)
			max = s->days[i].messages;
	step = axis_step(max);
	top = step * 4;
	slot = CH_PW / (double)ax->nslots;
	w = slot * 0.7 < 44 ? slot * 0.7 : 44;
	chart_start(fp, "daily-volume", k, "Messages per UTC day",
	    "A bar per day: its height is the day's messages, the lower "
	    "part those that passed DMARC, the upper part those that "
	    "failed. The table below gives every number.");
	y_axis(fp, step, 0);
	for (i = 0; i < s->ndays; i++) {
		const struct vouch_owner_day *dd = &s->days[i];

		day_str(dd->day, d, sizeof(d));
		x = day_x(ax, i) - w / 2;
		yt = val_y((double)dd->messages, top);
		yp = val_y((double)dd->dmarc_pass, top);
		fprintf(fp,
		    "<g data-day=\"%s\" data-messages=\"%" PRIu64
		    "\" data-dmarc-pass=\"%" PRIu64 "\"><title>%s: ",
		    d, dd->messages, dd->dmarc_pass, d);
		count(fp, dd->messages);
		fprintf(fp, " message%s, ", plural(dd->messages));
		count(fp, dd->dmarc_pass);
		fputs(" passed DMARC (", fp);
		pct(fp, dd->dmarc_pass, dd->messages);
		fprintf(fp,
		    ")</title><rect class=\"pass\" x=\"%.2f\" y=\"%.2f\" "
		    "width=\"%.2f\" height=\"%.2f\"/><rect class=\"fail\" "
		    "x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\"/>"
		    "</g>\n",
		    x, yp, w, CH_T + CH_PH - yp, x, yt, w, yp - yt);
	}
	x_axis(fp, ax);
	fputs("</svg></div>\n<p class=\"legend\"><span class=\"item\"><span "
	      "class=\"sw pass\"></span>passed DMARC</span><span "
	      "class=\"item\"><span class=\"sw fail\"></span>failed DMARC"
	      "</span></p></figure>\n",
	    fp);
}

/* The y of day i's share that part() counts, on a 0 to 100% axis. */
static double
share_y(const struct vouch_owner_day *d,
    uint64_t (*part)(const struct vouch_owner_day *))
{
	return val_y(percent(part(d), d->messages), 100);
}

/* A line and its markers, one per day: the share of the day's messages
 * that part() counts.  The line breaks where days have no reports. */
static void
series(FILE *fp, const struct xaxis *ax, const char *name, const char *label,
    uint64_t (*part)(const struct vouch_owner_day *), int square)
{
	const struct vouch_owner_summary *s = ax->s;
	double x, y;
	char d[16];
	size_t i;

	for (i = 0; i < s->ndays; i++) {
		if (i == 0 || slot_of(ax, i) != slot_of(ax, i - 1) + 1)
			fprintf(fp, "%s<polyline class=\"line s-%s\" points=\"",
			    i ? "\"/>\n" : "", name);
		fprintf(
		    fp, "%.2f,%.2f ", day_x(ax, i), share_y(&s->days[i], part));
	}
	fputs("\"/>\n", fp);
	for (i = 0; i < s->ndays; i++) {
		const struct vouch_owner_day *dd = &s->days[i];

		day_str(dd->day, d, sizeof(d));
		x = day_x(ax, i);
		y = share_y(dd, part);
		if (square)
			fprintf(fp,
			    "<rect class=\"m-%s\" data-series=\"%s\" "
			    "data-day=\"%s\" x=\"%.2f\" y=\"%.2f\" "
			    "width=\"8\" height=\"8\">",
			    name, name, d, x - 4, y - 4);
		else
			fprintf(fp,
			    "<circle class=\"m-%s\" data-series=\"%s\" "
			    "data-day=\"%s\" cx=\"%.2f\" cy=\"%.2f\" "
			    "r=\"4.5\">",
			    name, name, d, x, y);
		fprintf(fp, "<title>%s: %s ", d, label);
		pct(fp, part(dd), dd->messages);
		fputs(" (", fp);
		count(fp, part(dd));
		fputs(" of ", fp);
		count(fp, dd->messages);
		fprintf(fp, ")</title></%s>\n", square ? "rect" : "circle");
	}
}

static uint64_t
day_pass(const struct vouch_owner_day *d)
{
	return d->dmarc_pass;
}

static uint64_t
day_dkim(const struct vouch_owner_day *d)
{
	return d->dkim_aligned;
}

static uint64_t
day_spf(const struct vouch_owner_day *d)
{
	return d->spf_aligned;
}

static void
chart_rate(FILE *fp, const struct xaxis *ax, unsigned k)
{
	chart_start(fp, "daily-pass-rate", k, "DMARC pass rate per UTC day",
	    "A point per day: the share of the day's messages that passed "
	    "DMARC, from 0 to 100 percent. The table below gives every "
	    "number.");
	y_axis(fp, 25, 1);
	series(fp, ax, "rate", "passed DMARC", day_pass, 0);
	x_axis(fp, ax);
	fputs("</svg></div>\n<p class=\"legend\">The share of each day's "
	      "messages that passed DMARC.</p></figure>\n",
	    fp);
}

static void
chart_alignment(FILE *fp, const struct xaxis *ax, unsigned k)
{
	chart_start(fp, "alignment", k, "DKIM and SPF alignment per UTC day",
	    "Two lines, a point per day each: the share of the day's "
	    "messages whose DKIM passed aligned (circles), and whose SPF "
	    "passed aligned (squares, dashed line), from 0 to 100 percent. "
	    "The table below gives every number.");
	y_axis(fp, 25, 1);
	series(fp, ax, "dkim", "DKIM aligned", day_dkim, 0);
	series(fp, ax, "spf", "SPF aligned", day_spf, 1);
	x_axis(fp, ax);
	fputs("</svg></div>\n<p class=\"legend\"><span class=\"item\"><span "
	      "class=\"sw dkim\"></span>DKIM aligned (circles)</span><span "
	      "class=\"item\"><span class=\"sw spf\"></span>SPF aligned "
	      "(squares, dashed)</span></p></figure>\n",
	    fp);
}

static void
days_table(FILE *fp, const struct vouch_owner_summary *s)
{
	char d[16];
	size_t i;

	fputs("<details><summary>The numbers per day (table)</summary>\n"
	      "<table data-table=\"days\"><thead><tr><th scope=\"col\">UTC "
	      "day</th>"
	      "<th scope=\"col\" class=\"n\">Messages</th><th scope=\"col\" "
	      "class=\"n\">Passed DMARC"
	      "</th><th scope=\"col\" class=\"n\">Pass rate</th><th "
	      "scope=\"col\" class=\"n\">DKIM "
	      "aligned</th><th scope=\"col\" class=\"n\">SPF "
	      "aligned</th></tr></thead>\n"
	      "<tbody>\n",
	    fp);
	for (i = 0; i < s->ndays; i++) {
		const struct vouch_owner_day *dd = &s->days[i];

		day_str(dd->day, d, sizeof(d));
		fprintf(fp,
		    "<tr data-day=\"%s\"><td>%s</td><td class=\"n\" "
		    "data-metric=\"messages\">",
		    d, d);
		count(fp, dd->messages);
		fputs("</td><td class=\"n\" data-metric=\"dmarc_pass\">", fp);
		count(fp, dd->dmarc_pass);
		fputs("</td><td class=\"n\">", fp);
		pct(fp, dd->dmarc_pass, dd->messages);
		fputs("</td><td class=\"n\" data-metric=\"dkim_aligned\">", fp);
		count(fp, dd->dkim_aligned);
		fputs("</td><td class=\"n\" data-metric=\"spf_aligned\">", fp);
		count(fp, dd->spf_aligned);
		fputs("</td></tr>\n", fp);
	}
	fputs("</tbody></table></details>\n", fp);
}

static void
daily(FILE *fp, const struct vouch_owner_summary *s, unsigned k)
{
	struct xaxis ax;

	if (s->ndays == 0)
		return;
	xaxis_of(s, &ax);
	fprintf(fp,
	    "<section class=\"panel\" aria-labelledby=\"d%u-days\">\n"
	    "<h3 id=\"d%u-days\">Volume and DMARC pass rate per UTC day</h3>\n"
	    "<div class=\"charts\">\n",
	    k, k);
	chart_volume(fp, &ax, k);
	chart_rate(fp, &ax, k);
	fputs("</div>\n", fp);
	days_table(fp, s);
	fprintf(fp,
	    "</section>\n<section class=\"panel\" "
	    "aria-labelledby=\"d%u-align\">\n<h3 id=\"d%u-align\">DKIM and "
	    "SPF alignment over time</h3>\n<div class=\"charts\">\n",
	    k, k);
	chart_alignment(fp, &ax, k);
	fputs("<div><p>The share of each day's messages whose DKIM "
	      "signature, and whose SPF check, passed aligned with the "
	      "domain in From, as the reporters evaluated them; DMARC "
	      "passes when either does.</p><p class=\"muted\">DKIM high "
	      "while SPF drops: forwarding, which DKIM survives. Both "
	      "low: a sender that is not set up, or someone else using "
	      "the domain. The table of numbers per day, above, has both "
	      "columns.</p></div>\n</div>\n</section>\n",
	    fp);
}

/* ---- Sources ----------------------------------------------------------- */

/* A bar as long as n of max: the part of n that is not fail in class
 * cls, then fail. */
static void
pass_fail_bar(FILE *fp, const char *chart, const char *cls, uint64_t n,
    uint64_t fail, uint64_t max)
{
	double w = max ? BAR_W * (double)n / (double)max : 0, wf;

	if (n > 0 && w < 2)
		w = 2;
	wf = n ? w * (double)fail / (double)n : 0;
	fprintf(fp,
	    "<svg class=\"bar\" data-chart=\"%s\" viewBox=\"0 0 %.0f %.0f\" "
	    "preserveAspectRatio=\"none\" aria-hidden=\"true\">"
	    "<rect class=\"%s\" x=\"0\" y=\"0\" width=\"%.2f\" "
	    "height=\"%.0f\"/><rect class=\"fail\" x=\"%.2f\" y=\"0\" "
	    "width=\"%.2f\" height=\"%.0f\"/></svg>",
	    chart, BAR_W, BAR_H, cls, w - wf, BAR_H, w - wf, wf, BAR_H);
}

static void
text_list(FILE *fp, const char *const *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		fputs(i ? ", " : "", fp);
		esc(fp, v[i]);
	}
}

/* Why a source is where it is, in words. */
static void
source_why(FILE *fp, const struct vouch_owner_summary *s,
    const struct vouch_owner_source *src)
{
	size_t i;

	if (src->nreasons > 0) {
		fputs("<ul class=\"why\">", fp);
		for (i = 0; i < src->nreasons; i++) {
			fputs("<li data-metric=\"reason\">", fp);
			esc(fp, src->reasons[i]);
			fputs("</li>", fp);
		}
		fputs("</ul>", fp);
	} else if (src->bucket == VOUCH_OWNER_FORWARDED) {
		fputs("Aligned DKIM passed where SPF did not, or the reporter "
		      "recorded forwarding.",
		    fp);
	} else if (src->bucket == VOUCH_OWNER_COMPLIANT) {
		fputs("Aligned SPF or DKIM passed.", fp);
	}
	if (src->nreporters > 0) {
		fputs("<div class=\"seen\">seen by <span "
		      "data-metric=\"reporters\">",
		    fp);
		text_list(fp, src->reporters, src->nreporters);
		fputs("</span></div>", fp);
	}
	for (i = 0; i < src->nheader_from; i++)
		if (strcasecmp(src->header_from[i], s->domain) != 0)
			break;
	if (i < src->nheader_from) {
		fputs("<div class=\"seen\">From: ", fp);
		text_list(fp, src->header_from, src->nheader_from);
		fputs("</div>", fp);
	}
}

static void
source_row(FILE *fp, const struct vouch_owner_summary *s,
    const struct vouch_owner_source *src, uint64_t max)
{
	fputs("<tr data-ip=\"", fp);
	esc_all(fp, src->ip);
	fprintf(fp, "\" data-bucket=\"%s\"><td data-label=\"Source\">",
	    bucket_keys[src->bucket]);
	fputs("<span class=\"ip\" data-metric=\"ip\">", fp);
	esc(fp, src->ip);
	fputs("</span>", fp);
	if (src->ptr[0]) {
		fputs("<br/><span data-metric=\"ptr\">", fp);
		esc(fp, src->ptr);
		fputs("</span>", fp);
	}
	if (src->ptr_org[0]) {
		fputs(
		    "<br/><span class=\"muted\" data-metric=\"ptr_org\">", fp);
		esc(fp, src->ptr_org);
		fputs("</span>", fp);
	}
	fprintf(fp,
	    "</td><td data-label=\"Bucket\"><span class=\"badge k-%s\" "
	    "data-metric=\"bucket\">%s</span></td>",
	    bucket_keys[src->bucket], vouch_owner_bucket_str(src->bucket));
	fputs("<td class=\"n\" data-label=\"Messages\" "
	      "data-metric=\"messages\">",
	    fp);
	count(fp, src->messages);
	fputs("</td><td data-label=\"DMARC\">", fp);
	pass_fail_bar(
	    fp, "source", "pass", src->messages, src->dmarc_fail, max);
	fputs("<span class=\"muted\"><span data-metric=\"dmarc_fail\">", fp);
	count(fp, src->dmarc_fail);
	fputs("</span> failed</span></td><td data-label=\"Why\">", fp);
	source_why(fp, s, src);
	fputs("</td></tr>\n", fp);
}

static void
sources(
    FILE *fp, const struct vouch_owner_summary *s, unsigned k, size_t maxrows)
{
	size_t i, n = s->nsources;
	uint64_t max = 0;

	if (maxrows > 0 && n > maxrows)
		n = maxrows;
	for (i = 0; i < n; i++)
		if (s->sources[i].messages > max)
			max = s->sources[i].messages;
	fprintf(fp,
	    "<section class=\"panel\" aria-labelledby=\"d%u-src\">\n"
	    "<h3 id=\"d%u-src\">Top sources</h3>\n<p class=\"muted\">What "
	    "needs action first: not compliant, unknown, forwarded, "
	    "compliant; most messages first in each. The bar is as long as "
	    "the source's messages, in two parts: passed DMARC, failed.</p>\n"
	    "<table class=\"cards\" data-table=\"sources\"><thead><tr>"
	    "<th scope=\"col\">Source (IP, PTR name, its organization)</th><th "
	    "scope=\"col\">Bucket</th>"
	    "<th scope=\"col\" class=\"n\">Messages</th><th "
	    "scope=\"col\">DMARC</th><th scope=\"col\">Why, and who "
	    "saw it</th></tr></thead>\n<tbody>\n",
	    k, k);
	for (i = 0; i < n; i++)
		source_row(fp, s, &s->sources[i], max);
	fputs("</tbody></table>\n", fp);
	if (n < s->nsources) {
		fprintf(
		    fp, "<p class=\"muted\" data-metric=\"sources_omitted\">");
		count(fp, s->nsources - n);
		fprintf(fp,
		    " more source%s, with fewer messages in each bucket: "
		    "<code>vouch report summary</code> lists them all.</p>\n",
		    plural(s->nsources - n));
	}
	fputs("</section>\n", fp);
}

/* ---- Reporters --------------------------------------------------------- */

static void
reporters(FILE *fp, const struct vouch_owner_summary *s, unsigned k)
{
	uint64_t max = s->nreporters ? s->reporters[0].messages : 0;
	size_t i;

	fprintf(fp,
	    "<section class=\"panel\" aria-labelledby=\"d%u-rep\">\n"
	    "<h3 id=\"d%u-rep\">Reporters</h3>\n<table class=\"cards\" "
	    "data-table=\"reporters\"><thead><tr><th "
	    "scope=\"col\">Organization</th>"
	    "<th scope=\"col\" class=\"n\">Reports</th><th scope=\"col\" "
	    "class=\"n\">Messages</th>"
	    "<th scope=\"col\">Share</th></tr></thead>\n<tbody>\n",
	    k, k);
	for (i = 0; i < s->nreporters; i++) {
		const struct vouch_owner_reporter *r = &s->reporters[i];

		fputs("<tr data-reporter=\"", fp);
		esc_all(fp, r->org_name);
		fputs("\"><td data-label=\"Organization\" "
		      "data-metric=\"org_name\">",
		    fp);
		esc(fp, r->org_name);
		fputs("</td><td class=\"n\" data-label=\"Reports\" "
		      "data-metric=\"reports\">",
		    fp);
		count(fp, r->reports);
		fputs("</td><td class=\"n\" data-label=\"Messages\" "
		      "data-metric=\"messages\">",
		    fp);
		count(fp, r->messages);
		fputs("</td><td data-label=\"Share\">", fp);
		pass_fail_bar(fp, "reporter", "share", r->messages, 0, max);
		fputs("<span class=\"muted\">", fp);
		pct(fp, r->messages, s->messages);
		fputs("</span></td></tr>\n", fp);
	}
	fputs("</tbody></table>\n</section>\n", fp);
}

/* ---- A policy domain --------------------------------------------------- */

static void
domain_section(FILE *fp, const struct report_html *h,
    const struct vouch_owner_summary *s, unsigned k)
{
	fprintf(
	    fp, "<section class=\"domain\" id=\"domain-%u\" data-domain=\"", k);
	esc_all(fp, s->domain);
	fputs("\">\n", fp);
	/* one domain: its name is the page's h1; the h2 is for screen
	 * readers, so that headings go h1, h2, h3 either way */
	fputs(h->nsums > 1 ? "<h2 class=\"domain\">" : "<h2 class=\"sr-only\">",
	    fp);
	esc(fp, s->domain);
	fputs("</h2>\n", fp);
	if (s->messages == 0) {
		fputs("<section class=\"panel\"><p>No aggregate report about "
		      "this domain in the store for this period.</p>"
		      "</section>\n</section>\n",
		    fp);
		return;
	}
	figures(fp, s);
	buckets(fp, s, k);
	readiness(fp, s, k);
	daily(fp, s, k);
	sources(fp, s, k, h->max_sources);
	reporters(fp, s, k);
	fputs("</section>\n", fp);
}

/* With several policy domains: one line each, linking to its section. */
static void
domain_index(FILE *fp, const struct report_html *h)
{
	size_t i;

	fputs("<section class=\"panel\" aria-labelledby=\"domains\">\n"
	      "<h2 id=\"domains\" class=\"first\">Policy domains</h2>\n"
	      "<table class=\"cards\" data-table=\"domains\"><thead><tr>"
	      "<th scope=\"col\">Domain</th><th scope=\"col\" "
	      "class=\"n\">Messages</th><th scope=\"col\" class=\"n\">"
	      "Passed DMARC</th><th scope=\"col\" class=\"n\">Sources not "
	      "compliant or "
	      "unknown</th><th scope=\"col\" class=\"n\">p=reject today would "
	      "refuse</th>"
	      "<th scope=\"col\">Policy</th></tr></thead>\n<tbody>\n",
	    fp);
	for (i = 0; i < h->nsums; i++) {
		const struct vouch_owner_summary *s = h->sums[i];

		fputs("<tr data-domain=\"", fp);
		esc_all(fp, s->domain);
		fprintf(fp,
		    "\"><td data-label=\"Domain\"><a href=\"#domain-%zu\">",
		    i + 1);
		esc(fp, s->domain);
		fputs("</a></td><td class=\"n\" data-label=\"Messages\" "
		      "data-metric=\"messages\">",
		    fp);
		count(fp, s->messages);
		fputs("</td><td class=\"n\" data-label=\"Passed DMARC\">", fp);
		pct(fp, s->dmarc_pass, s->messages);
		fputs("</td><td class=\"n\" data-label=\"Not compliant or "
		      "unknown\">",
		    fp);
		count(fp, s->bucket_sources[VOUCH_OWNER_NOT_COMPLIANT] +
		              s->bucket_sources[VOUCH_OWNER_UNKNOWN]);
		fputs(
		    "</td><td class=\"n\" data-label=\"p=reject would refuse\" "
		    "data-metric=\"readiness_messages\">",
		    fp);
		count(fp, s->reject.messages);
		fputs("</td><td data-label=\"Policy\">p=", fp);
		esc(fp, s->p != NULL && s->p[0] ? s->p : "?");
		fputs("</td></tr>\n", fp);
	}
	fputs("</tbody></table>\n", fp);
	if (h->nomitted > 0)
		fprintf(fp,
		    "<p class=\"muted\" data-metric=\"domains_omitted\">%zu "
		    "more policy domain%s, with fewer messages, not "
		    "shown: name one with <code>--domain</code>.</p>\n",
		    h->nomitted, plural(h->nomitted));
	fputs("</section>\n", fp);
}

int
report_html_write(FILE *fp, const struct report_html *h)
{
	size_t i;

	page_head(fp, h);
	page_header(fp, h);
	if (h->nsums == 0)
		fputs("<section class=\"panel\"><p>No aggregate report in the "
		      "store for this period: <code>vouch report ingest</code> "
		      "reads them in.</p></section>\n",
		    fp);
	if (h->nsums > 1)
		domain_index(fp, h);
	for (i = 0; i < h->nsums; i++)
		domain_section(fp, h, h->sums[i], (unsigned)(i + 1));
	page_footer(fp, h);
	return ferror(fp) ? -1 : 0;
}
