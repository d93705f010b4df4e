/*
 * Canonicalization, RFC 6376 §3.4: hand-worked examples (§3.4.5 and the
 * edge cases of §3.4.3/§3.4.4), each fed whole, split at every position,
 * and byte by byte, so that chunk boundaries cannot change the output.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail/canon.h"
#include "tap.h"

struct sinkbuf {
	char out[4096];
	size_t len;
	size_t ncalls;
};

static void
sink(void *arg, const uint8_t *p, size_t n)
{
	struct sinkbuf *s = arg;

	if (n == 0 || s->len + n > sizeof(s->out)) {
		s->len = sizeof(s->out) + 1; /* mark as broken */
		return;
	}
	memcpy(s->out + s->len, p, n);
	s->len += n;
	s->ncalls++;
}

static const struct {
	const char *name;
	enum canon_alg alg;
	const char *in;
	const char *want;
	uint64_t limit;
	int beyond_nonwsp;
} body_cases[] = {
    {"§3.4.5 example, simple body", CANON_SIMPLE, " C \r\nD \t E\r\n\r\n\r\n",
        " C \r\nD \t E\r\n", UINT64_MAX, 0},
    {"§3.4.5 example, relaxed body", CANON_RELAXED, " C \r\nD \t E\r\n\r\n\r\n",
        " C\r\nD E\r\n", UINT64_MAX, 0},
    {"§3.4.3 empty body simple is CRLF", CANON_SIMPLE, "", "\r\n", UINT64_MAX,
        0},
    {"§3.4.4 empty body relaxed is empty", CANON_RELAXED, "", "", UINT64_MAX,
        0},
    {"§3.4.3 only empty lines simple is CRLF", CANON_SIMPLE, "\r\n\r\n\r\n",
        "\r\n", UINT64_MAX, 0},
    {"§3.4.4 only empty lines relaxed is empty", CANON_RELAXED, "\r\n\r\n", "",
        UINT64_MAX, 0},
    {"§3.4.4 whitespace-only lines relaxed is empty", CANON_RELAXED,
        "  \r\n\t\r\n \t \r\n", "", UINT64_MAX, 0},
    {"§3.4.3 whitespace-only lines simple kept", CANON_SIMPLE, "  \r\n\t\r\n",
        "  \r\n\t\r\n", UINT64_MAX, 0},
    {"§3.4.3 missing final CRLF added simple", CANON_SIMPLE, "abc", "abc\r\n",
        UINT64_MAX, 0},
    {"§3.4.4 missing final CRLF added relaxed", CANON_RELAXED, "abc  ",
        "abc\r\n", UINT64_MAX, 0},
    {"bare LF becomes CRLF simple", CANON_SIMPLE, "a\nb\n\n", "a\r\nb\r\n",
        UINT64_MAX, 0},
    {"bare LF becomes CRLF relaxed", CANON_RELAXED, "a \nb\t\n\n", "a\r\nb\r\n",
        UINT64_MAX, 0},
    {"inner empty lines kept simple", CANON_SIMPLE, "a\r\n\r\n\r\nb\r\n",
        "a\r\n\r\n\r\nb\r\n", UINT64_MAX, 0},
    {"inner empty lines kept relaxed", CANON_RELAXED,
        "a\r\n \r\n\r\n b\r\n\r\n", "a\r\n\r\n\r\n b\r\n", UINT64_MAX, 0},
    {"relaxed squeezes WSP runs to one SP", CANON_RELAXED,
        "a  b\t\tc \t d e\r\n", "a b c d e\r\n", UINT64_MAX, 0},
    {"relaxed keeps leading WSP as one SP", CANON_RELAXED, "\t\tx\r\n",
        " x\r\n", UINT64_MAX, 0},
    {"bare CR is content simple", CANON_SIMPLE, "a\rb\r\n\r", "a\rb\r\n\r\r\n",
        UINT64_MAX, 0},
    {"bare CR is content relaxed", CANON_RELAXED, "a \rb\r\n", "a \rb\r\n",
        UINT64_MAX, 0},
    {"NUL bytes are content", CANON_RELAXED, "a\0b\r\n", "a\0b\r\n", UINT64_MAX,
        0},
    {"long line with runs relaxed", CANON_RELAXED,
        "0123456789 0123456789 0123456789 0123456789  0123456789 "
        "0123456789\t0123456789 0123456789 0123456789 0123456789 \r\n",
        "0123456789 0123456789 0123456789 0123456789 0123456789 "
        "0123456789 0123456789 0123456789 0123456789 0123456789\r\n",
        UINT64_MAX, 0},
    {"control bytes in a long line are content", CANON_RELAXED,
        "0123456789\0010123456789\0130123456789 0123456789\f0123\r\n",
        "0123456789\0010123456789\0130123456789 0123456789\f0123\r\n",
        UINT64_MAX, 0},
    {"§3.5 l=5 passes 5 bytes, rest is content", CANON_SIMPLE,
        "Hello world\r\n", "Hello", 5, 1},
    {"§3.5 l= over whitespace only beyond", CANON_SIMPLE, "Hi\r\n \r\n",
        "Hi\r\n", 4, 0},
    {"§3.5 l=0 passes nothing", CANON_RELAXED, "x\r\n", "", 0, 1},
};

static void
run_body(size_t k)
{
	const char *in = body_cases[k].in;
	/* String literals with NUL: take the length from the source. */
	size_t inlen, wantlen, split, i;
	struct canon_body cb;
	struct sinkbuf sb;
	int bad = 0;
	char why[256] = "";

	inlen = strlen(in);
	wantlen = strlen(body_cases[k].want);
	if (strcmp(body_cases[k].name, "NUL bytes are content") == 0)
		inlen = wantlen = 5;
	/* Split at every position, plus byte by byte (split = inlen + 1). */
	for (split = 0; split <= inlen + 1 && !bad; split++) {
		memset(&sb, 0, sizeof(sb));
		canon_body_init(
		    &cb, body_cases[k].alg, body_cases[k].limit, sink, &sb);
		if (split <= inlen) {
			canon_body_update(&cb, (const uint8_t *)in, split);
			canon_body_update(
			    &cb, (const uint8_t *)in + split, inlen - split);
		} else {
			for (i = 0; i < inlen; i++)
				canon_body_update(
				    &cb, (const uint8_t *)in + i, 1);
		}
		canon_body_final(&cb);
		if (sb.len != wantlen ||
		    memcmp(sb.out, body_cases[k].want, wantlen) != 0) {
			snprintf(why, sizeof(why),
			    "split %zu: got %zu bytes \"%.*s\", want %zu",
			    split, sb.len, (int)(sb.len < 200 ? sb.len : 200),
			    sb.out, wantlen);
			bad = 1;
		} else if (cb.beyond_nonwsp != body_cases[k].beyond_nonwsp) {
			snprintf(why, sizeof(why),
			    "split %zu: beyond_nonwsp %d, want %d", split,
			    cb.beyond_nonwsp, body_cases[k].beyond_nonwsp);
			bad = 1;
		}
	}
	tap_check(
	    !bad, "body %s%s%s", body_cases[k].name, bad ? ": " : "", why);
}

static const struct {
	const char *name;
	enum canon_alg alg;
	const char *in;
	const char *want;
} header_cases[] = {
    {"§3.4.5 example A relaxed", CANON_RELAXED, "A: X\r\n", "a:X\r\n"},
    {"§3.4.5 example B relaxed", CANON_RELAXED, "B : Y\t\r\n\tZ  \r\n",
        "b:Y Z\r\n"},
    {"§3.4.5 example B simple", CANON_SIMPLE, "B : Y\t\r\n\tZ  \r\n",
        "B : Y\t\r\n\tZ  \r\n"},
    {"relaxed empty value", CANON_RELAXED, "Subject:\r\n", "subject:\r\n"},
    {"relaxed value only WSP", CANON_RELAXED, "Subject: \t \r\n",
        "subject:\r\n"},
    {"relaxed folded before value", CANON_RELAXED, "To:\r\n  a@b.example\r\n",
        "to:a@b.example\r\n"},
    {"relaxed keeps case of value", CANON_RELAXED, "X-MiXed: VaLuE  Here\r\n",
        "x-mixed:VaLuE Here\r\n"},
};

/*
 * A plain line-by-line reading of §3.4.3/§3.4.4, to compare long inputs
 * with (the hand-worked rows above are too short for the 32-byte scanner):
 * lines end at LF (a CR before it is part of the line end), relaxed
 * squeezes WSP runs and drops them at line ends, empty lines at the end
 * go, an empty body is CRLF (simple) or nothing (relaxed).
 */
static size_t
reference(enum canon_alg alg, const uint8_t *p, size_t n, uint8_t *out)
{
	size_t i = 0, s, e, k, o = 0, nempty = 0, start;
	int wsp;

	while (i < n) {
		s = i;
		while (i < n && p[i] != '\n')
			i++;
		e = i;
		if (i < n) {
			if (e > s && p[e - 1] == '\r')
				e--;
			i++;
		}
		start = o + 2 * nempty;
		o = start;
		wsp = 0;
		for (k = s; k < e; k++) {
			if (alg == CANON_RELAXED &&
			    (p[k] == ' ' || p[k] == '\t')) {
				wsp = 1;
				continue;
			}
			if (wsp)
				out[o++] = ' ';
			wsp = 0;
			out[o++] = p[k];
		}
		if (o == start) {
			o = start - 2 * nempty;
			nempty++;
			continue;
		}
		for (k = 0; k < nempty; k++)
			memcpy(out + start - 2 * nempty + 2 * k, "\r\n", 2);
		nempty = 0;
		out[o++] = '\r';
		out[o++] = '\n';
	}
	if (o == 0 && alg == CANON_SIMPLE) {
		out[o++] = '\r';
		out[o++] = '\n';
	}
	return o;
}

static struct sinkbuf big;

static void
bigsink(void *arg, const uint8_t *p, size_t n)
{
	(void)arg;
	if (big.len + n <= sizeof(big.out)) {
		memcpy(big.out + big.len, p, n);
	}
	big.len += n;
}

/* Random bodies over an alphabet rich in what canonicalization changes. */
static void
run_random(enum canon_alg alg)
{
	static const char alphabet[] = "ab  \t\r\n\n\r\nxyz \001";
	uint8_t in[1500], want[4096];
	unsigned seed = 6376;
	size_t n, wantlen, c1, c2, k, i, bad = 0;
	struct canon_body cb;

	for (k = 0; k < 2000 && !bad; k++) {
		seed = seed * 1103515245u + 12345u;
		n = (seed >> 8) % sizeof(in);
		for (i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			/* Long stretches of text between the special bytes. */
			in[i] = (seed >> 20) % 4
			            ? (uint8_t)('c' + (seed >> 9) % 20)
			            : (uint8_t)alphabet[(seed >> 12) %
			                                (sizeof(alphabet) - 1)];
		}
		wantlen = reference(alg, in, n, want);
		c1 = n ? (seed >> 3) % n : 0;
		c2 = c1 + (n - c1) / 2;
		big.len = 0;
		canon_body_init(&cb, alg, UINT64_MAX, bigsink, NULL);
		canon_body_update(&cb, in, c1);
		canon_body_update(&cb, in + c1, c2 - c1);
		canon_body_update(&cb, in + c2, n - c2);
		canon_body_final(&cb);
		if (big.len != wantlen || memcmp(big.out, want, wantlen) != 0 ||
		    cb.len != wantlen)
			bad = k + 1;
	}
	tap_check(!bad,
	    "%s: 2000 random bodies match the line-by-line "
	    "reading of §3.4%s%s",
	    canon_name(alg), bad ? ", first failure at case " : "",
	    bad ? "" : "");
	if (bad)
		printf("# failing case %zu\n", bad - 1);
}

/*
 * A plain reading of §3.4.2 for one field, to compare long and odd fields
 * with (the vector paths of canon_header start at 16 bytes): the name
 * (before the first colon, WSP before the colon dropped) lower-cased, the
 * value with every CRLF removed (unfolding), WSP runs made one SP and
 * dropped at both ends, then CRLF.  A field without a colon is copied.
 */
static size_t
header_reference(const uint8_t *p, size_t n, uint8_t *out)
{
	const uint8_t *colon = memchr(p, ':', n);
	size_t i, o = 0, nend;
	int wsp = 0, any = 0;

	if (colon == NULL) {
		memcpy(out, p, n);
		return n;
	}
	nend = (size_t)(colon - p);
	while (nend > 0 && (p[nend - 1] == ' ' || p[nend - 1] == '\t'))
		nend--;
	for (i = 0; i < nend; i++)
		out[o++] = p[i] >= 'A' && p[i] <= 'Z' ? p[i] + 32 : p[i];
	out[o++] = ':';
	for (i = (size_t)(colon - p) + 1; i < n; i++) {
		if (p[i] == '\r' && i + 1 < n && p[i + 1] == '\n') {
			i++;
			continue;
		}
		if (p[i] == ' ' || p[i] == '\t') {
			wsp = 1;
			continue;
		}
		if (wsp && any)
			out[o++] = ' ';
		wsp = 0;
		any = 1;
		out[o++] = p[i];
	}
	out[o++] = '\r';
	out[o++] = '\n';
	return o;
}

/* Random fields, long words between blanks, CRLFs, colons and CRs. */
static void
run_random_header(void)
{
	static const char alphabet[] = "  \t\r\n\r\n:Aa\001";
	uint8_t in[400], want[420];
	unsigned seed = 5322;
	size_t n, wantlen, k, i, bad = 0;
	struct vbuf out;

	for (k = 0; k < 20000 && !bad; k++) {
		seed = seed * 1103515245u + 12345u;
		n = (seed >> 8) % sizeof(in);
		for (i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			in[i] = (seed >> 20) % 3
			            ? (uint8_t)('B' + (seed >> 9) % 40)
			            : (uint8_t)alphabet[(seed >> 12) %
			                                (sizeof(alphabet) - 1)];
		}
		wantlen = header_reference(in, n, want);
		vbuf_init(&out, 4096);
		if (canon_header(CANON_RELAXED, in, n, &out) != VOUCH_OK ||
		    out.len != wantlen || memcmp(out.p, want, wantlen) != 0)
			bad = k + 1;
		vbuf_free(&out);
	}
	tap_check(!bad,
	    "relaxed header: 20000 random fields match the plain reading of "
	    "§3.4.2");
	if (bad)
		printf("# failing case %zu\n", bad - 1);
}

int
main(void)
{
	size_t k;
	struct vbuf out;
	enum canon_alg h, b;

	for (k = 0; k < sizeof(body_cases) / sizeof(body_cases[0]); k++)
		run_body(k);
	run_random(CANON_SIMPLE);
	run_random(CANON_RELAXED);
	run_random_header();
	for (k = 0; k < sizeof(header_cases) / sizeof(header_cases[0]); k++) {
		vbuf_init(&out, 4096);
		if (canon_header(header_cases[k].alg,
		        (const uint8_t *)header_cases[k].in,
		        strlen(header_cases[k].in), &out) != VOUCH_OK)
			tap_check(0, "header %s: error", header_cases[k].name);
		else if (out.len == strlen(header_cases[k].want) &&
		         memcmp(out.p, header_cases[k].want, out.len) == 0)
			tap_check(1, "header %s", header_cases[k].name);
		else
			tap_check(0, "header %s: got %zu bytes, want %zu",
			    header_cases[k].name, out.len,
			    strlen(header_cases[k].want));
		vbuf_free(&out);
	}
	tap_check(canon_parse((const uint8_t *)"relaxed", 7, &h, &b) == 0 &&
	              h == CANON_RELAXED && b == CANON_SIMPLE,
	    "§3.5 c=relaxed means relaxed/simple");
	tap_check(
	    canon_parse((const uint8_t *)"simple/relaxed", 14, &h, &b) == 0 &&
	        h == CANON_SIMPLE && b == CANON_RELAXED,
	    "c=simple/relaxed");
	tap_check(canon_parse((const uint8_t *)"", 0, &h, &b) == 0 &&
	              h == CANON_SIMPLE && b == CANON_SIMPLE,
	    "§3.5 no c= means simple/simple");
	tap_check(
	    canon_parse((const uint8_t *)"relaxed/nowsp", 13, &h, &b) == -1,
	    "unknown body canonicalization refused");
	tap_check(canon_parse((const uint8_t *)"relaxed/", 8, &h, &b) == -1,
	    "empty body canonicalization refused");
	return tap_done();
}
