/*
 * libFuzzer target: the store's input validation and text form, and the
 * report writer's handling of stored text.  The first byte picks the path:
 *   0  vouch_store_url_parse (a --db URL): a parsed target lies within the
 *      input, and is the input whole unless it starts with "sqlite:";
 *   1  store_list_next over a stored list: progress on every call, fields
 *      within their buffers;
 *   2  store_escape then store_unescape: printable ASCII only, and the
 *      text comes back unchanged;
 *   3  an evaluation built from the input through store_row_make (the
 *      record struct -> SQL parameters path): every column is printable
 *      ASCII or NULL, and the lists decode;
 *   4  report_mailto_address (a rua= URI at send time): one address,
 *      printable, no blank, no angle bracket;
 *   5  xml_escape: no byte XML 1.0 cannot carry, no markup left.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "report/internal.h"
#include "store/internal.h"
#include "util/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Printable ASCII; lists (space) may hold ' ' between their fields. */
static void
printable_or_die(const char *s, int space)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f ||
		    (*s == ' ' && !space))
			abort();
}

static void
url(const uint8_t *p, size_t n)
{
	struct vouch_store_url u;

	if (vouch_store_url_parse((const char *)p, n, &u) != VOUCH_OK)
		return;
	if (strlen(u.target) == 0 || strlen(u.target) > n)
		abort();
	/* without "sqlite:", the target is the input whole */
	if ((n < 7 || strncasecmp((const char *)p, "sqlite:", 7) != 0) &&
	    (strlen(u.target) != n || memcmp(u.target, p, n) != 0))
		abort();
}

static void
list(const uint8_t *p, size_t n)
{
	char b[3][8];
	struct store_field f[3] = {
	    {b[0], sizeof(b[0]), 0}, {b[1], sizeof(b[1]), 0}, {b[2], 8, 0}};
	const char *s = (const char *)p, *end = s + n, *before;
	int rc, guard = 0;

	for (;;) {
		before = s;
		rc = store_list_next(&s, end, f, 3);
		if (rc <= 0)
			break;
		if (s <= before || s > end || f[0].len >= 8 || f[1].len >= 8 ||
		    f[2].len >= 8 || ++guard > 100000)
			abort();
	}
}

static void
escape(const uint8_t *p, size_t n)
{
	struct vbuf b;
	char *back;
	long k;

	vbuf_init(&b, 3 * n + 1);
	if (store_escape(&b, (const char *)p, n) != VOUCH_OK)
		abort();
	if (b.len > 0)
		printable_or_die((const char *)b.p, 0);
	if ((back = malloc(n + 1)) == NULL)
		abort();
	k = store_unescape(b.len ? (const char *)b.p : "", b.len, back, n + 1);
	if (k != (long)n || memcmp(back, p, n) != 0)
		abort();
	free(back);
	vbuf_free(&b);
}

/* Copies the next piece of the input (up to a NUL) into a field. */
static void
take(const uint8_t **p, const uint8_t *end, char *out, size_t cap)
{
	size_t k = 0;

	while (*p < end && **p != 0 && k + 1 < cap)
		out[k++] = (char)*(*p)++;
	out[k] = '\0';
	if (*p < end)
		(*p)++;
}

static void
evaluation(const uint8_t *p, size_t n)
{
	static struct vouch_store_evaluation e;
	const uint8_t *end = p + n;
	struct store_row *row = NULL;
	char d[4][VOUCH_DNS_MAX_NAME * 3 + 1], h[VOUCH_STORE_MAX_HUMAN * 3 + 1];
	struct store_field f[4] = {{d[0], sizeof(d[0]), 0},
	    {d[1], sizeof(d[1]), 0}, {d[2], sizeof(d[2]), 0},
	    {h, sizeof(h), 0}};
	const char *s;
	size_t i;
	unsigned c;

	memset(&e, 0, sizeof(e));
	if (n < 8)
		return;
	e.result = (enum vouch_dmarc_verdict)(p[0] % 6);
	e.disposition = (enum vouch_store_disposition)(p[1] % 5);
	e.policy.p = (enum vouch_dmarc_policy)(p[2] % 5);
	e.ndkim = p[3] % (VOUCH_DKIM_MAX_SIGNATURES + 2);
	e.nreasons = p[4] % (VOUCH_STORE_MAX_REASONS + 2);
	e.spf_checked = p[5] & 1;
	e.has_envelope_from = p[5] & 2;
	e.time = (int64_t)p[6] << 24;
	p += 8;
	take(&p, end, e.source_ip, sizeof(e.source_ip));
	take(&p, end, e.header_from, sizeof(e.header_from));
	take(&p, end, e.policy.domain, sizeof(e.policy.domain));
	take(&p, end, e.envelope_from, sizeof(e.envelope_from));
	take(&p, end, e.policy.rua, sizeof(e.policy.rua));
	take(&p, end, e.spf_domain, sizeof(e.spf_domain));
	for (i = 0; i < VOUCH_DKIM_MAX_SIGNATURES; i++) {
		take(&p, end, e.dkim[i].domain, sizeof(e.dkim[i].domain));
		take(&p, end, e.dkim[i].selector, sizeof(e.dkim[i].selector));
		take(&p, end, e.dkim[i].human_result,
		    sizeof(e.dkim[i].human_result));
		e.dkim[i].result = (enum vouch_dkim_verdict)(i % 7);
	}
	for (i = 0; i < VOUCH_STORE_MAX_REASONS; i++) {
		take(&p, end, e.reason[i].comment, sizeof(e.reason[i].comment));
		e.reason[i].type = (enum vouch_store_override)(1 + i % 7);
	}
	if (store_row_make(&e, &row, NULL, 0) != VOUCH_OK)
		return;
	for (c = 0; c < COL_COUNT; c++)
		if (row->col[c] != NULL)
			printable_or_die(
			    row->col[c], c == COL_E_DKIM || c == COL_E_REASONS);
	for (s = row->col[COL_E_DKIM], i = 0;
	     store_list_next(&s, s + strlen(s), f, 4) == 1; i++)
		;
	if (i != e.ndkim)
		abort();
	free(row);
}

static void
mailto(const uint8_t *p, size_t n)
{
	char in[1024], out[512];

	if (n >= sizeof(in))
		n = sizeof(in) - 1;
	memcpy(in, p, n);
	in[n] = '\0';
	if (report_mailto_address(in, out, sizeof(out)) != 0)
		return;
	printable_or_die(out, 0);
	if (strchr(out, '@') == NULL || strchr(out, '<') || strchr(out, '>') ||
	    strchr(out, ','))
		abort();
}

static void
xml(const uint8_t *p, size_t n)
{
	struct vbuf b;
	size_t i;

	vbuf_init(&b, 16 * n + 16);
	xml_escape(&b, (const char *)p, n);
	if (b.err != VOUCH_OK)
		abort();
	for (i = 0; i < b.len; i++)
		if (b.p[i] < 0x20 || b.p[i] == 0x7f || b.p[i] == '<' ||
		    b.p[i] == '>')
			abort();
	vbuf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	switch (data[0] % 6) {
	case 0:
		url(data + 1, size - 1);
		break;
	case 1:
		list(data + 1, size - 1);
		break;
	case 2:
		escape(data + 1, size - 1);
		break;
	case 3:
		evaluation(data + 1, size - 1);
		break;
	case 4:
		mailto(data + 1, size - 1);
		break;
	default:
		xml(data + 1, size - 1);
	}
	return 0;
}
