/*
 * `vouch report html`: the summaries that `vouch report summary` prints as
 * text or JSON, as one self-contained HTML page.  Printing only: every
 * number comes from struct vouch_owner_summary (owner.h).
 */
#ifndef VOUCH_CLI_REPORT_HTML_H
#define VOUCH_CLI_REPORT_HTML_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vouch/owner.h"

/* What one page shows. */
struct report_html {
	/* one section per policy domain, in this order */
	const struct vouch_owner_summary *const *sums;
	size_t nsums;
	size_t nomitted; /* policy domains left out of the page */
	int64_t since, until; /* the period asked for, UNIX seconds; 0 open */
	int64_t now; /* when the page is made, UNIX seconds */
	size_t max_sources; /* rows of each sources table; 0 = all */
	const char *generator; /* "vouch 1.0": named in the footer */
};

/*
 * report_html_write - the page to fp: HTML that is also well-formed XML,
 * CSS inline, charts as inline SVG, no script, and a Content Security
 * Policy that allows no fetch and no script, so that the page loads
 * nothing from anywhere.  Every text that came from a report (org names,
 * domains, reasons, PTR names) goes through report_html_text.
 * Returns 0, or -1 when fp reports a write error.
 */
int report_html_write(FILE *fp, const struct report_html *h);

/*
 * report_html_text - p/len (any bytes, not NUL-terminated) as HTML text
 * or a quoted attribute value: & < > " ' as character references; valid
 * UTF-8 copied (RFC 3629 §4); an invalid sequence, a control character
 * other than tab and newline, and a noncharacter, which HTML's parser
 * reports as errors and XML 1.0 §2.2 does not allow, as U+FFFD.  With
 * max > 0, at most max characters, then an ellipsis (U+2026).
 */
void report_html_text(FILE *fp, const char *p, size_t len, size_t max);

#endif
