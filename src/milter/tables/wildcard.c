/*
 * refile: wildcard patterns (opendkim(8): "simple wildcard patterns,
 * matching all text except that the asterisk ("*") character is
 * considered a wildcard"), compared without case as OpenDKIM's SigningTable
 * does.
 *
 * A backtracking matcher (or a regex engine) takes time exponential or
 * quadratic in the number of stars on hostile patterns.  With '*' as the
 * only operator, a greedy leftmost match is exact: the literal piece
 * before the first star must be a prefix, the piece after the last a
 * suffix, and each piece between them can be taken at its leftmost place
 * after the previous one (an earlier place never prevents a later piece
 * from matching).  Each piece is found with Knuth-Morris-Pratt, so a match
 * costs O(pattern + subject) whatever the pattern.
 */
#include <stdlib.h>
#include <string.h>

#include "milter/tables/internal.h"

/* The failure function of the piece pat[0..n) into fail[0..n). */
static void
kmp_prepare(const char *pat, size_t n, size_t *fail)
{
	size_t i, k = 0;

	if (n == 0)
		return;
	fail[0] = 0;
	for (i = 1; i < n; i++) {
		while (k > 0 && pat[i] != pat[k])
			k = fail[k - 1];
		if (pat[i] == pat[k])
			k++;
		fail[i] = k;
	}
}

enum vouch_status
wildcard_compile(const uint8_t *p, size_t len, int icase, struct wildcard *w)
{
	size_t i, start;

	memset(w, 0, sizeof(*w));
	if (len > 0 && memchr(p, '\0', len) != NULL)
		return VOUCH_EINVAL;
	w->icase = icase;
	if ((w->pat = malloc(len + 1)) == NULL ||
	    (w->fail = malloc((len ? len : 1) * sizeof(size_t))) == NULL) {
		free(w->pat);
		w->pat = NULL;
		return VOUCH_ENOMEM;
	}
	for (i = 0; i < len; i++) {
		w->pat[i] = (char)(icase ? lc(p[i]) : p[i]);
		if (p[i] == '*')
			w->nstar++;
	}
	w->pat[len] = '\0';
	w->len = len;
	for (start = 0, i = 0; i <= len; i++)
		if (i == len || w->pat[i] == '*') {
			kmp_prepare(w->pat + start, i - start, w->fail + start);
			start = i + 1;
		}
	return VOUCH_OK;
}

void
wildcard_free(struct wildcard *w)
{
	free(w->pat);
	free(w->fail);
	memset(w, 0, sizeof(*w));
}

static uint8_t
fold(const struct wildcard *w, uint8_t ch)
{
	return w->icase ? lc(ch) : ch;
}

static int
same(const struct wildcard *w, const char *piece, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((uint8_t)piece[i] != fold(w, (uint8_t)s[i]))
			return 0;
	return 1;
}

/* Leftmost place of piece[0..m) in s[0..n), or -1. */
static long
kmp_find(const struct wildcard *w, const char *piece, const size_t *fail,
    size_t m, const char *s, size_t n)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		uint8_t ch = fold(w, (uint8_t)s[i]);

		while (k > 0 && (uint8_t)piece[k] != ch)
			k = fail[k - 1];
		if ((uint8_t)piece[k] == ch)
			k++;
		if (k == m)
			return (long)(i + 1 - m);
	}
	return -1;
}

int
wildcard_match(const struct wildcard *w, const char *s, size_t n)
{
	const char *first_star, *last_star, *piece, *next;
	size_t head, tail, pos, end, m;
	long at;

	if (w->nstar == 0)
		return n == w->len && same(w, w->pat, s, n);
	first_star = strchr(w->pat, '*');
	last_star = strrchr(w->pat, '*');
	head = (size_t)(first_star - w->pat);
	tail = w->len - (size_t)(last_star - w->pat) - 1;
	if (n < head + tail || !same(w, w->pat, s, head) ||
	    !same(w, last_star + 1, s + n - tail, tail))
		return 0;
	pos = head;
	end = n - tail;
	for (piece = first_star + 1; piece < last_star; piece = next + 1) {
		next = strchr(piece, '*');
		m = (size_t)(next - piece);
		if (m == 0)
			continue; /* "**" */
		at = kmp_find(w, piece, w->fail + (piece - w->pat), m, s + pos,
		    end - pos);
		if (at < 0)
			return 0;
		pos += (size_t)at + m;
	}
	return 1;
}
