/*
 * DKIM canonicalization, RFC 6376 §3.4.
 *
 * The body canonicalizers hand the sink runs of input bytes whenever the
 * output equals the input (the common case: a text line ending in CRLF
 * with single spaces between words), and only break a run where the output
 * differs: an empty line held back, a WSP run squeezed, a bare LF turned
 * into CRLF.  The relaxed scanner looks for those places 32 bytes at a
 * time with SSE2 where the compiler offers it, and 64 at a time with AVX2
 * where the processor has it (chosen at run time).
 */
#include <stdlib.h>
#include <stddef.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define CANON_AVX2 1
#endif

#include "canon.h"

static const char crlfs[] = "\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n"
                            "\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n"
                            "\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n"
                            "\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n";

static int
ascii_ieq(const uint8_t *p, size_t len, const char *s)
{
	size_t i;
	uint8_t c;

	for (i = 0; i < len; i++) {
		if (s[i] == '\0')
			return 0;
		c = p[i];
		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		if (c != (uint8_t)s[i])
			return 0;
	}
	return s[len] == '\0';
}

static int
canon_one(const uint8_t *p, size_t len, enum canon_alg *alg)
{
	if (ascii_ieq(p, len, "simple"))
		*alg = CANON_SIMPLE;
	else if (ascii_ieq(p, len, "relaxed"))
		*alg = CANON_RELAXED;
	else
		return -1;
	return 0;
}

int
canon_parse(
    const uint8_t *p, size_t len, enum canon_alg *header, enum canon_alg *body)
{
	const uint8_t *slash;

	*header = *body = CANON_SIMPLE; /* RFC 6376 §3.5 c= default */
	if (len == 0)
		return 0;
	slash = memchr(p, '/', len);
	if (slash == NULL)
		return canon_one(p, len, header);
	if (canon_one(p, (size_t)(slash - p), header) != 0)
		return -1;
	return canon_one(slash + 1, len - (size_t)(slash - p) - 1, body);
}

const char *
canon_name(enum canon_alg alg)
{
	return alg == CANON_RELAXED ? "relaxed" : "simple";
}

static int
is_wsp(uint8_t c)
{
	return c == ' ' || c == '\t';
}

#ifdef __SSE2__
/*
 * copy_plain for the last 1 to 16 bytes of a field of 16 bytes or more:
 * the 16 bytes that end the field judged at once (the byte after the
 * last taken as SP, so that a SP ending the field stops the copy), the
 * lanes before p dropped, and the bytes up to the stop copied with two
 * overlapping moves, not one byte at a time.
 */
static const uint8_t *
copy_tail(const uint8_t *p, const uint8_t *end, uint8_t **op)
{
	const __m128i sp = _mm_set1_epi8(' '), tab = _mm_set1_epi8('\t');
	const __m128i cr = _mm_set1_epi8('\r');
	__m128i x, next, stop;
	size_t n = (size_t)(end - p), k;
	unsigned m;
	uint8_t *o = *op;

	x = _mm_loadu_si128((const __m128i *)(const void *)(end - 16));
	next = _mm_or_si128(_mm_srli_si128(x, 1), _mm_slli_si128(sp, 15));
	stop = _mm_or_si128(_mm_cmpeq_epi8(next, sp),
	    _mm_or_si128(_mm_cmpeq_epi8(next, tab), _mm_cmpeq_epi8(next, cr)));
	stop = _mm_or_si128(_mm_and_si128(_mm_cmpeq_epi8(x, sp), stop),
	    _mm_or_si128(_mm_cmpeq_epi8(x, tab), _mm_cmpeq_epi8(x, cr)));
	m = (unsigned)_mm_movemask_epi8(stop) >> (16 - n);
	k = m != 0 ? (size_t)__builtin_ctz(m) : n;
	if (k >= 8) {
		memcpy(o, p, 8);
		memcpy(o + k - 8, p + k - 8, 8);
	} else if (k >= 4) {
		memcpy(o, p, 4);
		memcpy(o + k - 4, p + k - 4, 4);
	} else {
		for (n = 0; n < k; n++)
			o[n] = p[n];
	}
	*op = o + k;
	return p + k;
}
#endif

/*
 * Copy the bytes from p on that need no change to *o, and return where the
 * copy stopped: at a HTAB, a CR, a SP before SP, HTAB or CR, or a SP that
 * ends the field.  A lone SP between two other bytes stays as it is
 * (relaxed_into would write it back as the one SP of its run), so that a
 * value's words are copied 16 bytes at a time with SSE2, not a call per
 * word.  Bytes written never outrun bytes read (see relaxed_into), so a
 * whole 16-byte block read from before `end` may be stored at *o before
 * its first special byte is known.
 */
static const uint8_t *
copy_plain(
    const uint8_t *p, const uint8_t *start, const uint8_t *end, uint8_t **op)
{
	uint8_t *o = *op;
#ifdef __SSE2__
	const __m128i sp = _mm_set1_epi8(' '), tab = _mm_set1_epi8('\t');
	const __m128i cr = _mm_set1_epi8('\r');
	__m128i x, next, stop;
	int m;

	/* p[16] is inside the field: a SP is judged by the byte after it */
	while (end - p > 16) {
		x = _mm_loadu_si128((const __m128i *)(const void *)p);
		next = _mm_loadu_si128((const __m128i *)(const void *)(p + 1));
		_mm_storeu_si128((__m128i *)(void *)o, x);
		stop = _mm_or_si128(_mm_cmpeq_epi8(next, sp),
		    _mm_or_si128(
		        _mm_cmpeq_epi8(next, tab), _mm_cmpeq_epi8(next, cr)));
		stop = _mm_or_si128(_mm_and_si128(_mm_cmpeq_epi8(x, sp), stop),
		    _mm_or_si128(
		        _mm_cmpeq_epi8(x, tab), _mm_cmpeq_epi8(x, cr)));
		m = _mm_movemask_epi8(stop);
		if (m != 0) {
			p += __builtin_ctz((unsigned)m);
			o += __builtin_ctz((unsigned)m);
			*op = o;
			return p;
		}
		p += 16;
		o += 16;
	}
	/* the last bytes, where the field (from `start`) has 16 */
	if (p < end && end - start >= 16) {
		*op = o;
		return copy_tail(p, end, op);
	}
#endif
	while (p < end && *p != ' ' && *p != '\t' && *p != '\r')
		*o++ = *p++;
	*op = o;
	return p;
}

/*
 * The field name from p to nend lower-cased into o; returns the end of
 * the output.  16 bytes at a time with SSE2 while the field has them (the
 * bytes stored past the name are overwritten after it: the output never
 * outruns the input, see relaxed_into).
 */
static uint8_t *
lower_name(
    const uint8_t *p, const uint8_t *nend, const uint8_t *end, uint8_t *o)
{
	uint8_t c;
#ifdef __SSE2__
	const __m128i at = _mm_set1_epi8('A' - 1), zed = _mm_set1_epi8('Z' + 1);
	const __m128i bit = _mm_set1_epi8('a' - 'A');
	__m128i x, up;
	size_t n;

	while (p < nend && end - p >= 16) {
		x = _mm_loadu_si128((const __m128i *)(const void *)p);
		/* signed compares: bytes from 0x80 on are below 'A' */
		up = _mm_and_si128(
		    _mm_cmpgt_epi8(x, at), _mm_cmplt_epi8(x, zed));
		_mm_storeu_si128((__m128i *)(void *)o,
		    _mm_add_epi8(x, _mm_and_si128(up, bit)));
		n = nend - p < 16 ? (size_t)(nend - p) : 16;
		p += n;
		o += n;
	}
#endif
	for (; p < nend; p++) {
		c = *p;
		*o++ = c >= 'A' && c <= 'Z' ? (uint8_t)(c + ('a' - 'A')) : c;
	}
	return o;
}

/*
 * RFC 6376 §3.4.2, into `o`, which has room for len + 2 bytes: the output
 * is never longer (the name is lower-cased in place, a WSP run becomes at
 * most one SP, the unfolding CRLFs go, and one CRLF ends the field).
 * Returns the bytes written.
 */
static size_t
relaxed_into(
    const uint8_t *p, const uint8_t *end, const uint8_t *colon, uint8_t *o)
{
	const uint8_t *nend = colon, *start = p;
	uint8_t *o0 = o, c;
	int wsp = 0;

	/* Lower-case the name, without the WSP before the colon. */
	while (nend > p && is_wsp(nend[-1]))
		nend--;
	o = lower_name(p, nend, end, o);
	*o++ = ':';
	/* Unfold, squeeze WSP runs, drop WSP at both ends of the value. */
	for (p = colon + 1; p < end;) {
		if (is_wsp(*p))
			p++;
		else if (*p == '\r' && p + 1 < end && p[1] == '\n')
			p += 2;
		else
			break;
	}
	while (p < end) {
		c = *p;
		if (is_wsp(c)) {
			wsp = 1;
			p++;
		} else if (c == '\r' && p + 1 < end && p[1] == '\n') {
			p += 2;
		} else {
			if (wsp)
				*o++ = ' ';
			wsp = 0;
			*o++ = c;
			p = copy_plain(p + 1, start, end, &o);
		}
	}
	*o++ = '\r';
	*o++ = '\n';
	return (size_t)(o - o0);
}

static enum vouch_status
canon_header_relaxed(const uint8_t *p, size_t len, struct vbuf *out)
{
	const uint8_t *colon;
	uint8_t *o, *tmp;
	size_t n;
	enum vouch_status st;

	if ((colon = memchr(p, ':', len)) == NULL)
		return vbuf_add(out, p, len); /* not a field; cannot happen */
	/*
	 * Written in place when the worst case fits under out's max (always,
	 * but for a field at the very end of a full buffer); else through a
	 * copy, so that only an output that does not fit is VOUCH_ELIMIT.
	 */
	if (out->err == VOUCH_OK && len + 2 <= out->max - out->len) {
		if ((o = vbuf_space(out, len + 2)) == NULL)
			return out->err;
		vbuf_commit(out, relaxed_into(p, p + len, colon, o));
		return VOUCH_OK;
	}
	if ((tmp = malloc(len + 2)) == NULL)
		return out->err = VOUCH_ENOMEM;
	n = relaxed_into(p, p + len, colon, tmp);
	st = vbuf_add(out, tmp, n);
	free(tmp);
	return st;
}

enum vouch_status
canon_header(
    enum canon_alg alg, const uint8_t *field, size_t len, struct vbuf *out)
{
	if (alg == CANON_RELAXED)
		return canon_header_relaxed(field, len, out);
	return vbuf_add(out, field, len);
}

void
canon_body_init(struct canon_body *cb, enum canon_alg alg, uint64_t limit,
    canon_sink_fn sink, void *arg)
{
	/* the stage is written before it is read: 4 KiB not cleared */
	memset(cb, 0, offsetof(struct canon_body, stage));
	cb->alg = alg;
	cb->limit = limit;
	cb->sink = sink;
	cb->arg = arg;
}

/* Any byte but SP, HTAB, CR, LF? */
static int
has_nonwsp(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\n')
			return 1;
	return 0;
}

/*
 * Copy n bytes (n < CANON_SHORT_RUN) from p to o, which do not overlap:
 * 16-byte moves while more than 32 are left, then vbuf_copy's moves of
 * fixed size for the rest; no call to memcpy.
 */
static void
copy_short(uint8_t *o, const uint8_t *p, size_t n)
{
	size_t i = 0;

	for (; n - i > 32; i += 16)
		memcpy(o + i, p + i, 16);
	vbuf_copy(o + i, p + i, n - i);
}

/* Hand the gathered small runs on. */
static void
stage_flush(struct canon_body *cb)
{
	if (cb->nstage > 0) {
		cb->sink(cb->arg, cb->stage, cb->nstage);
		cb->nstage = 0;
	}
}

/* Pass bytes to the sink, gathering short runs. */
static void
deliver(struct canon_body *cb, const uint8_t *p, size_t n)
{
	if (n == 0)
		return;
	if (n >= CANON_STAGE_RUN) {
		stage_flush(cb);
		cb->sink(cb->arg, p, n);
		return;
	}
	if (n > sizeof(cb->stage) - cb->nstage)
		stage_flush(cb);
	memcpy(cb->stage + cb->nstage, p, n);
	cb->nstage += n;
}

/* Produce canonical bytes: up to `limit` go to the sink (RFC 6376 §3.5 l=). */
static void
emit(struct canon_body *cb, const uint8_t *p, size_t n)
{
	uint64_t room;
	size_t take;

	if (n == 0)
		return;
	cb->any = 1;
	take = 0;
	if (cb->len < cb->limit) {
		room = cb->limit - cb->len;
		take = (uint64_t)n < room ? n : (size_t)room;
		deliver(cb, p, take);
	}
	if (take < n && !cb->beyond_nonwsp)
		cb->beyond_nonwsp = has_nonwsp(p + take, n - take);
	cb->len += n;
}

/* Content starts or resumes: release the held-back empty lines and WSP. */
static void
release(struct canon_body *cb)
{
	size_t k;

	while (cb->nempty > 0) {
		k = cb->nempty > 32 ? 32 : (size_t)cb->nempty;
		emit(cb, (const uint8_t *)crlfs, 2 * k);
		cb->nempty -= k;
	}
	if (cb->wsp) {
		emit(cb, (const uint8_t *)" ", 1);
		cb->wsp = 0;
	}
}

/* The scalar rule: HTAB, CR, LF, or a SP before WSP, CR, LF or the end. */
static int
relaxed_stop(const uint8_t *p, const uint8_t *end)
{
	if (*p > ' ')
		return 0;
	if (*p == '\t' || *p == '\r' || *p == '\n')
		return 1;
	return *p == ' ' && (p + 1 == end || p[1] == ' ' || p[1] == '\t' ||
	                        p[1] == '\r' || p[1] == '\n');
}

#ifdef CANON_AVX2
/*
 * The vector rule of relaxed_next over 32 bytes at p (p[-1] and p[32]
 * readable): a mask of the stops.
 */
__attribute__((target("avx2"))) static inline uint32_t
stops32(const uint8_t *p)
{
	const __m256i lim = _mm256_set1_epi8(0x20), sp = _mm256_set1_epi8(' ');
	const __m256i tab = _mm256_set1_epi8('\t'), lf = _mm256_set1_epi8('\n');
	const __m256i cr = _mm256_set1_epi8('\r');
	__m256i x, prev, next, le, hit;

	x = _mm256_loadu_si256((const __m256i *)(const void *)p);
	if (_mm256_movemask_epi8(
	        _mm256_cmpeq_epi8(_mm256_min_epu8(x, lim), x)) == 0)
		return 0; /* no byte <= 0x20: no stop */
	prev = _mm256_loadu_si256((const __m256i *)(const void *)(p - 1));
	next = _mm256_loadu_si256((const __m256i *)(const void *)(p + 1));
	/* the byte after is <= 0x20 */
	le = _mm256_cmpeq_epi8(_mm256_min_epu8(next, lim), next);
	hit = _mm256_or_si256(_mm256_cmpeq_epi8(x, tab),
	    _mm256_and_si256(_mm256_cmpeq_epi8(x, sp), le));
	/*
	 * An LF unless it follows CR and a byte > 0x20 follows it: one
	 * before SP, HTAB or another control byte stops too (more than
	 * relaxed_next's rule needs, never less; such lines are rare, and
	 * the caller handles the CRLF as it would anyway), so that the
	 * test reuses `le` instead of two compares more.
	 */
	hit = _mm256_or_si256(
	    hit, _mm256_andnot_si256(
	             _mm256_andnot_si256(le, _mm256_cmpeq_epi8(prev, cr)),
	             _mm256_cmpeq_epi8(x, lf)));
	return (uint32_t)_mm256_movemask_epi8(hit);
}

/*
 * relaxed_next's vector loop with AVX2, 64 bytes a round: the first stop,
 * or NULL with *pp moved to where fewer than 65 bytes are left (the
 * caller goes on from there).  (*pp)[-1] is inside the chunk.
 */
__attribute__((target("avx2"))) static const uint8_t *
relaxed_scan_avx2(const uint8_t **pp, const uint8_t *end)
{
	const uint8_t *p = *pp;
	uint64_t m;

	for (; end - p >= 65; p += 64) {
		m = stops32(p) | (uint64_t)stops32(p + 32) << 32;
		if (m != 0)
			return p + __builtin_ctzll(m);
	}
	*pp = p;
	return NULL;
}

/*
 * Has the processor AVX2 (and the system its registers)?  Asked once;
 * threads that ask at the same time store the same answer.
 */
static int
have_avx2(void)
{
	static int known = -1;
	int k = __atomic_load_n(&known, __ATOMIC_RELAXED);

	if (k < 0) {
		k = __builtin_cpu_supports("avx2") ? 1 : 0;
		__atomic_store_n(&known, k, __ATOMIC_RELAXED);
	}
	return k;
}
#endif

/*
 * Relaxed: the first byte at or after p where the output may differ from
 * the input; `end` if none.  The byte at p is judged by the scalar rule
 * (which stops at every CR and LF, so that an empty line is seen when the
 * current line has no content yet).  After it, 32 bytes at a time, the
 * only stops are: HTAB; a SP followed by a byte <= 0x20; an LF that is
 * bare (no CR before it) or followed by CR or LF (an empty line may
 * follow).  A CRLF between two content bytes, a lone SP between words and
 * other control bytes stay in the run.  The caller backs up from an LF to
 * its CR.
 */
static const uint8_t *
relaxed_next(const uint8_t *p, const uint8_t *end)
{
#ifdef __SSE2__
	const __m128i lim = _mm_set1_epi8(0x20), sp = _mm_set1_epi8(' ');
	const __m128i tab = _mm_set1_epi8('\t'), lf = _mm_set1_epi8('\n');
	const __m128i cr = _mm_set1_epi8('\r');
	__m128i x, prev, next, le, hit;
	uint32_t m;
	int k;
#endif

	if (p >= end || relaxed_stop(p, end))
		return p;
	p++;
#ifdef CANON_AVX2
	if (have_avx2()) {
		const uint8_t *q = relaxed_scan_avx2(&p, end);

		if (q != NULL)
			return q;
	}
#endif
#ifdef __SSE2__
	/* p[-1] and p[32] are inside the chunk. */
	while (end - p >= 33) {
		m = 0;
		for (k = 0; k < 32; k += 16) {
			x = _mm_loadu_si128(
			    (const __m128i *)(const void *)(p + k));
			le = _mm_cmpeq_epi8(_mm_min_epu8(x, lim), x);
			if (_mm_movemask_epi8(le) == 0)
				continue;
			prev = _mm_loadu_si128(
			    (const __m128i *)(const void *)(p + k - 1));
			next = _mm_loadu_si128(
			    (const __m128i *)(const void *)(p + k + 1));
			hit = _mm_or_si128(_mm_cmpeq_epi8(x, tab),
			    _mm_and_si128(_mm_cmpeq_epi8(x, sp),
			        _mm_cmpeq_epi8(_mm_min_epu8(next, lim), next)));
			hit = _mm_or_si128(hit,
			    _mm_and_si128(_mm_cmpeq_epi8(x, lf),
			        _mm_or_si128(
			            _mm_andnot_si128(_mm_cmpeq_epi8(prev, cr),
			                _mm_set1_epi8(-1)),
			            _mm_or_si128(_mm_cmpeq_epi8(next, cr),
			                _mm_cmpeq_epi8(next, lf)))));
			m |= (uint32_t)_mm_movemask_epi8(hit) << k;
		}
		if (m != 0)
			return p + __builtin_ctz(m);
		p += 32;
	}
#endif
	for (; p < end; p++)
		if (relaxed_stop(p, end))
			return p;
	return end;
}

/*
 * The scanning state of one update: bytes in [run, p) are output verbatim
 * and not yet handed on.
 */
struct scan {
	const uint8_t *run, *p, *end;
};

static void
flush(struct canon_body *cb, struct scan *s)
{
	size_t n = (size_t)(s->p - s->run);

	/*
	 * A short run that fits in the stage and within `limit`: what
	 * emit and deliver would do, done here with inline moves, because
	 * a run ends at every WSP run and empty line of a text body and
	 * the calls (and memcpy's) cost more than the bytes.
	 */
	if (n > 0 && n < CANON_STAGE_RUN &&
	    n <= sizeof(cb->stage) - cb->nstage && cb->len < cb->limit &&
	    n <= cb->limit - cb->len) {
		if (n < CANON_SHORT_RUN)
			copy_short(cb->stage + cb->nstage, s->run, n);
		else
			memcpy(cb->stage + cb->nstage, s->run, n);
		cb->nstage += n;
		cb->len += n;
		cb->any = 1;
	} else {
		emit(cb, s->run, n);
	}
	s->run = s->p;
}

/* Bytes [s->p, q) are content of the current line, output unchanged. */
static void
content(struct canon_body *cb, struct scan *s, const uint8_t *q)
{
	if (cb->nempty > 0 || cb->wsp) {
		flush(cb, s);
		release(cb);
	}
	/* A run may span line ends: the line at q has content unless the
	 * run ended with one. */
	cb->inline_ = q[-1] != '\n';
	s->p = q;
}

/* A line ends at s->p with a terminator of `tlen` bytes (CRLF or LF). */
static void
line_end(struct canon_body *cb, struct scan *s, size_t tlen)
{
	cb->wsp = 0; /* relaxed: WSP at the end of a line goes (§3.4.4) */
	if (!cb->inline_) {
		/* An empty line: held back, maybe the body's end (§3.4.3). */
		flush(cb, s);
		s->p += tlen;
		s->run = s->p;
		cb->nempty++;
		return;
	}
	cb->inline_ = 0;
	if (tlen == 2 && s->run <= s->p) {
		s->p += 2; /* CRLF, verbatim */
		return;
	}
	flush(cb, s);
	emit(cb, (const uint8_t *)crlfs, 2);
	s->p += tlen;
	s->run = s->p;
}

/* A CR held from the last chunk was not followed by LF: it is content. */
static void
lone_cr(struct canon_body *cb)
{
	release(cb);
	emit(cb, (const uint8_t *)"\r", 1);
	cb->inline_ = 1;
}

static void
update_simple(struct canon_body *cb, struct scan *s)
{
	const uint8_t *q, *ce;

	while (s->p < s->end) {
		q = memchr(s->p, '\n', (size_t)(s->end - s->p));
		if (q == NULL) {
			ce = s->end;
			if (ce[-1] == '\r')
				ce--;
			if (ce > s->p)
				content(cb, s, ce);
			if (ce < s->end) {
				flush(cb, s);
				cb->cr = 1;
				s->p = s->run = s->end;
			}
			return;
		}
		ce = (q > s->p && q[-1] == '\r') ? q - 1 : q;
		if (ce > s->p)
			content(cb, s, ce);
		line_end(cb, s, (size_t)(q + 1 - ce));
	}
}

static void
update_relaxed(struct canon_body *cb, struct scan *s)
{
	const uint8_t *q, *r;

	/* A WSP run that went on past the last chunk continues here. */
	if (cb->wsp) {
		while (s->p < s->end && is_wsp(*s->p))
			s->p++;
		s->run = s->p;
	}
	while (s->p < s->end) {
		q = relaxed_next(s->p, s->end);
		if (q < s->end && *q == '\n' && q > s->p && q[-1] == '\r')
			q--; /* a CRLF: handle it from its CR */
		if (q > s->p)
			content(cb, s, q);
		if (q == s->end)
			return;
		switch (*q) {
		case ' ':
		case '\t':
			r = q + 1;
			while (r < s->end && is_wsp(*r))
				r++;
			/*
			 * A run that starts with SP, content after it on the
			 * line, no empty line held: its first SP is the one
			 * it becomes, handed on with the bytes before it
			 * (one sink write, not two).
			 */
			if (*q == ' ' && cb->nempty == 0 && !cb->wsp &&
			    r < s->end && *r != '\r' && *r != '\n') {
				s->p = q + 1;
				flush(cb, s);
				s->p = s->run = r;
				break;
			}
			flush(cb, s);
			s->p = s->run = r;
			cb->wsp = 1;
			break;
		case '\n':
			line_end(cb, s, 1);
			break;
		default: /* '\r' */
			if (q + 1 == s->end) {
				flush(cb, s);
				cb->cr = 1;
				s->p = s->run = s->end;
			} else if (q[1] == '\n') {
				line_end(cb, s, 2);
			} else {
				content(cb, s, q + 1);
			}
			break;
		}
	}
}

void
canon_body_update(struct canon_body *cb, const uint8_t *p, size_t n)
{
	struct scan s;

	if (n == 0)
		return;
	s.run = s.p = p;
	s.end = p + n;
	if (cb->cr) {
		cb->cr = 0;
		if (*p == '\n') {
			/* CRLF split between chunks. */
			cb->wsp = 0;
			if (cb->inline_) {
				emit(cb, (const uint8_t *)crlfs, 2);
				cb->inline_ = 0;
			} else {
				cb->nempty++;
			}
			s.run = ++s.p;
		} else {
			lone_cr(cb);
		}
	}
	if (cb->alg == CANON_RELAXED)
		update_relaxed(cb, &s);
	else
		update_simple(cb, &s);
	flush(cb, &s);
}

void
canon_body_final(struct canon_body *cb)
{
	if (cb->cr) {
		cb->cr = 0;
		lone_cr(cb);
	}
	cb->wsp = 0;
	cb->nempty = 0;
	if (cb->inline_) {
		/* A last line without CRLF gets one (§3.4.3, §3.4.4). */
		emit(cb, (const uint8_t *)crlfs, 2);
		cb->inline_ = 0;
	} else if (!cb->any && cb->alg == CANON_SIMPLE) {
		/* §3.4.3: an empty body is one CRLF. */
		emit(cb, (const uint8_t *)crlfs, 2);
	}
	stage_flush(cb);
}
