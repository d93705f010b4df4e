/*
 * ftext, the bytes of a header field name (RFC 5322 §3.6.8: %d33-57 /
 * %d59-126), for the two readers of field names: the whole-header parse
 * (header.c) and the streamed scan (hdrscan.c).  Inline: both call it for
 * every field of every message.
 */
#ifndef VOUCH_MAIL_FTEXT_H
#define VOUCH_MAIL_FTEXT_H

#include <stddef.h>
#include <stdint.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

static inline int
mail_is_ftext(uint8_t c)
{
	return c >= 33 && c <= 126 && c != ':';
}

/*
 * The end of the run of ftext that starts at p: the first byte of
 * p[0..end-p) that is not ftext, or end.  With SSE2, 16 bytes at a time
 * while there are 16 (a field name took a compare per byte); signed
 * compares, so bytes from 0x80 on are below 33.
 */
static inline const uint8_t *
mail_ftext_end(const uint8_t *p, const uint8_t *end)
{
#ifdef __SSE2__
	const __m128i lo = _mm_set1_epi8(33), del = _mm_set1_epi8(127);
	const __m128i colon = _mm_set1_epi8(':');
	__m128i x;
	int m;

	for (; end - p >= 16; p += 16) {
		x = _mm_loadu_si128((const __m128i *)(const void *)p);
		m = _mm_movemask_epi8(_mm_or_si128(
		    _mm_cmplt_epi8(x, lo), _mm_or_si128(_mm_cmpeq_epi8(x, del),
		                               _mm_cmpeq_epi8(x, colon))));
		if (m != 0)
			return p + __builtin_ctz((unsigned)m);
	}
#endif
	while (p < end && mail_is_ftext(*p))
		p++;
	return p;
}

#endif
