/*
 * UTF-8 decoding and the code points a mail reader may hide; see utf8.h.
 */
#include "mail/utf8.h"

size_t
mail_utf8_decode(const uint8_t *p, const uint8_t *end, uint32_t *cp)
{
	size_t n, i;
	uint32_t c = p[0], min;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		c &= 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		c &= 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		c &= 0x07;
		min = 0x10000;
	} else
		return 0;
	if ((size_t)(end - p) < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (p[i] & 0x3f);
	}
	/* RFC 3629 §3: overlong forms, surrogates and values past U+10FFFF
	 * are not UTF-8 */
	if (c < min || (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
		return 0;
	*cp = c;
	return n;
}

/* Inclusive ranges, sorted: see mail_cp_hidden in utf8.h for the sets. */
static const struct {
	uint32_t lo, hi;
} hidden[] = {
    {0x0000, 0x001f}, /* C0 controls */
    {0x007f, 0x009f}, /* DEL, C1 controls (NEL U+0085 among them) */
    {0x00a0, 0x00a0}, /* NO-BREAK SPACE */
    {0x00ad, 0x00ad}, /* SOFT HYPHEN */
    {0x034f, 0x034f}, /* COMBINING GRAPHEME JOINER */
    {0x061c, 0x061c}, /* ARABIC LETTER MARK */
    {0x115f, 0x1160}, /* HANGUL CHOSEONG/JUNGSEONG FILLER */
    {0x1680, 0x1680}, /* OGHAM SPACE MARK */
    {0x17b4, 0x17b5}, /* KHMER VOWEL INHERENT AQ, AA */
    {0x180b, 0x180f}, /* MONGOLIAN FREE VARIATION SELECTORS, VOWEL SEP. */
    {0x2000, 0x200f}, /* EN QUAD .. RIGHT-TO-LEFT MARK (ZWSP, ZWNJ, ZWJ) */
    {0x2028, 0x202f}, /* LINE/PARAGRAPH SEP., LRE..RLO, NARROW NBSP */
    {0x205f, 0x206f}, /* MEDIUM MATH SPACE, WORD JOINER, isolates, ... */
    {0x2800, 0x2800}, /* BRAILLE PATTERN BLANK */
    {0x3000, 0x3000}, /* IDEOGRAPHIC SPACE */
    {0x3164, 0x3164}, /* HANGUL FILLER */
    {0xfe00, 0xfe0f}, /* VARIATION SELECTORS */
    {0xfeff, 0xfeff}, /* ZERO WIDTH NO-BREAK SPACE (BOM) */
    {0xffa0, 0xffa0}, /* HALFWIDTH HANGUL FILLER */
    {0xfff0, 0xfffb}, /* unassigned specials, interlinear annotation */
    {0x1bca0, 0x1bca3}, /* SHORTHAND FORMAT CONTROLS */
    {0x1d173, 0x1d17a}, /* MUSICAL SYMBOL BEGIN BEAM .. END PHRASE */
    {0xe0000, 0xe0fff}, /* TAGS, VARIATION SELECTORS SUPPLEMENT, ... */
};

int
mail_cp_hidden(uint32_t cp)
{
	size_t lo = 0, hi = sizeof(hidden) / sizeof(hidden[0]), mid;

	/* printable ASCII, most of what is asked: in no range of the table */
	if (cp >= 0x20 && cp < 0x7f)
		return 0;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (cp < hidden[mid].lo)
			hi = mid;
		else if (cp > hidden[mid].hi)
			lo = mid + 1;
		else
			return 1;
	}
	return 0;
}

int
mail_cp_bidi_control(uint32_t cp)
{
	return (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}
