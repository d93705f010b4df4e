/*
 * libFuzzer target: the page of `vouch report html` (src/cli/report_html.c)
 * with every text a report supplies taken from the input.  The input is
 * eight counts (a byte each) then texts separated by NUL bytes: policy
 * domain, source address, PTR name, its organization, reporter, reason,
 * author domain, policy.  The page is written twice, with those texts and
 * with plain stand-ins ("x", "y", or "" where the text is empty); the
 * characters that make markup (< > " ') must come out the same number of
 * times, and the page must be clean UTF-8: whatever a report says, it
 * stays text.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../../src/cli/report_html.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { T_DOMAIN, T_IP, T_PTR, T_ORG, T_REPORTER, T_REASON, T_FROM, T_P, NT };

struct page {
	struct vouch_owner_summary sum;
	struct vouch_owner_source src[4];
	struct vouch_owner_day days[4];
	struct vouch_owner_reporter rep;
	const char *reasons[1], *reporters[1], *from[1];
	size_t ready[4];
};

static void
build(struct page *pg, const char *const t[NT], const uint8_t n[8])
{
	size_t i;

	memset(pg, 0, sizeof(*pg));
	snprintf(pg->sum.domain, sizeof(pg->sum.domain), "%s", t[T_DOMAIN]);
	pg->sum.p = t[T_P];
	pg->reasons[0] = t[T_REASON];
	pg->reporters[0] = t[T_REPORTER];
	pg->from[0] = t[T_FROM];
	for (i = 0; i < 4; i++) {
		struct vouch_owner_source *s = &pg->src[i];

		snprintf(s->ip, sizeof(s->ip), "%s", t[T_IP]);
		snprintf(s->ptr, sizeof(s->ptr), "%s", t[T_PTR]);
		snprintf(s->ptr_org, sizeof(s->ptr_org), "%s", t[T_ORG]);
		s->bucket = (enum vouch_owner_bucket)(n[i] % 4);
		s->messages = n[i];
		s->dmarc_fail = n[i] / 2;
		s->by_bucket[s->bucket] = n[i];
		s->reporters = pg->reporters;
		s->nreporters = 1;
		s->reasons = pg->reasons;
		s->nreasons = n[i] & 1;
		s->header_from = pg->from;
		s->nheader_from = 1;
		pg->sum.messages += n[i];
		pg->sum.bucket_messages[s->bucket] += n[i];
		pg->sum.bucket_sources[s->bucket]++;
		pg->ready[i] = i;
		/* days: n[4..7] say how far apart, so gaps come and go */
		pg->days[i].day = 1700006400 + 86400 * (int64_t)(i * n[4 + i]);
		pg->days[i].messages = n[i];
		pg->days[i].dmarc_pass = n[i] - n[i] / 2;
		pg->days[i].dkim_aligned = n[i] / 3;
		pg->days[i].spf_aligned = n[i] / 4;
	}
	pg->rep.org_name = t[T_REPORTER];
	pg->rep.reports = 1;
	pg->rep.messages = pg->sum.messages;
	pg->sum.dmarc_pass = pg->sum.messages / 2;
	pg->sum.sources = pg->src;
	pg->sum.nsources = 4;
	pg->sum.days = pg->days;
	/* days in order and distinct, as the summary gives them */
	pg->sum.ndays = 1;
	for (i = 1; i < 4 && pg->days[i].day > pg->days[i - 1].day; i++)
		pg->sum.ndays++;
	pg->sum.reporters = &pg->rep;
	pg->sum.nreporters = 1;
	pg->sum.quarantine.sources = pg->ready;
	pg->sum.quarantine.nsources = n[5] % 5;
	pg->sum.quarantine.messages = n[6];
	pg->sum.reject = pg->sum.quarantine;
}

static char *
render(const struct page *pg, size_t nsums, const char *gen, size_t *len)
{
	const struct vouch_owner_summary *sums[2] = {&pg->sum, &pg->sum};
	struct report_html h;
	char *out = NULL;
	FILE *fp;

	memset(&h, 0, sizeof(h));
	h.sums = (const struct vouch_owner_summary *const *)sums;
	h.nsums = nsums;
	h.generator = gen;
	h.max_sources = 3;
	if ((fp = open_memstream(&out, len)) == NULL)
		abort();
	if (report_html_write(fp, &h) != 0)
		abort();
	fclose(fp);
	return out;
}

static size_t
count_of(const char *s, size_t len, char c)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++)
		n += s[i] == c;
	return n;
}

static int
clean_utf8(const unsigned char *p, size_t len)
{
	size_t i = 0, n, k;

	while (i < len) {
		if (p[i] < 0x80) {
			if (p[i] < 0x20 && p[i] != '\t' && p[i] != '\n')
				return 0;
			i++;
			continue;
		}
		n = p[i] >= 0xf0 ? 4 : p[i] >= 0xe0 ? 3 : p[i] >= 0xc2 ? 2 : 0;
		if (n == 0 || i + n > len)
			return 0;
		for (k = 1; k < n; k++)
			if ((p[i + k] & 0xc0) != 0x80)
				return 0;
		i += n;
	}
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char marks[] = "<>\"'";
	const char *t[NT], *plain[NT];
	struct page real, stand;
	uint8_t n[8] = {0};
	char *buf, *a, *b;
	size_t i, off, alen, blen;

	memcpy(n, data, size < 8 ? size : 8);
	off = size < 8 ? size : 8;
	if ((buf = malloc(size - off + 1)) == NULL)
		return 0;
	memcpy(buf, data + off, size - off);
	buf[size - off] = '\0';
	for (i = 0, t[0] = buf; i + 1 < NT; i++) {
		char *z =
		    memchr(t[i], '\0', (size_t)(buf + size - off - t[i]) + 1);

		t[i + 1] = z < buf + size - off ? z + 1 : buf + size - off;
	}
	build(&real, t, n);
	/* stand-ins as the page sees the texts: cut to the struct's
	 * arrays, empty or not, the author domain equal to the policy
	 * domain or not */
	plain[T_DOMAIN] = real.sum.domain[0] ? "x" : "";
	plain[T_IP] = real.src[0].ip[0] ? "x" : "";
	plain[T_PTR] = real.src[0].ptr[0] ? "x" : "";
	plain[T_ORG] = real.src[0].ptr_org[0] ? "x" : "";
	plain[T_REPORTER] = t[T_REPORTER][0] ? "x" : "";
	plain[T_REASON] = t[T_REASON][0] ? "x" : "";
	plain[T_FROM] = strcasecmp(t[T_FROM], real.sum.domain) == 0
	                    ? plain[T_DOMAIN]
	                : t[T_FROM][0] ? "y"
	                               : "";
	plain[T_P] = t[T_P][0] ? "x" : "";
	build(&stand, plain, n);
	a = render(&real, 1 + (n[7] & 1), t[T_REPORTER], &alen);
	b = render(&stand, 1 + (n[7] & 1), plain[T_REPORTER], &blen);
	for (i = 0; marks[i] != '\0'; i++)
		if (count_of(a, alen, marks[i]) != count_of(b, blen, marks[i]))
			abort();
	if (!clean_utf8((const unsigned char *)a, alen))
		abort();
	free(a);
	free(b);
	free(buf);
	return 0;
}
