/*
 * Base64, RFC 4648 §4, with the whitespace tolerance DKIM needs.
 */
#include <string.h>

#include "base64.h"

static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* 0..63 for alphabet bytes, 64 for whitespace, 65 for '=', 255 otherwise. */
enum { B64_WSP = 64, B64_PAD = 65, B64_BAD = 255 };

/*
 * Byte -> value: 0..63 for the alphabet, B64_WSP for SP, HTAB, CR, LF,
 * B64_PAD for '=', B64_BAD for everything else.  Written out so that it
 * needs no run-time set-up (and no race between threads).
 */
/* clang-format off */
static const uint8_t decode_table[256] = {
	255, 255, 255, 255, 255, 255, 255, 255, 255,  64,  64, 255,
	255,  64, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255,  64, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255,  62, 255, 255, 255,  63,
	 52,  53,  54,  55,  56,  57,  58,  59,  60,  61, 255, 255,
	255,  65, 255, 255, 255,   0,   1,   2,   3,   4,   5,   6,
	  7,   8,   9,  10,  11,  12,  13,  14,  15,  16,  17,  18,
	 19,  20,  21,  22,  23,  24,  25, 255, 255, 255, 255, 255,
	255,  26,  27,  28,  29,  30,  31,  32,  33,  34,  35,  36,
	 37,  38,  39,  40,  41,  42,  43,  44,  45,  46,  47,  48,
	 49,  50,  51, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255,
};
/* clang-format on */

/*
 * A run of whole quanta of four alphabet characters from in[*i], three
 * bytes each into out[*o]: the bulk of b= and p=, whose whitespace comes
 * only where the signer folded.  Stops before anything else.
 */
static void
quanta(const uint8_t *in, size_t len, size_t *i, uint8_t *out, size_t cap,
    size_t *o)
{
	size_t ii = *i, oo = *o;
	uint32_t a, b, c, d;

	while (len - ii >= 4 && cap - oo >= 3) {
		a = decode_table[in[ii]];
		b = decode_table[in[ii + 1]];
		c = decode_table[in[ii + 2]];
		d = decode_table[in[ii + 3]];
		if ((a | b | c | d) >= 64)
			break;
		a = a << 18 | b << 12 | c << 6 | d;
		out[oo] = (uint8_t)(a >> 16);
		out[oo + 1] = (uint8_t)(a >> 8);
		out[oo + 2] = (uint8_t)a;
		ii += 4;
		oo += 3;
	}
	*i = ii;
	*o = oo;
}

enum vouch_status
base64_decode(
    const uint8_t *in, size_t len, uint8_t *out, size_t cap, size_t *outlen)
{
	uint32_t acc = 0;
	size_t i = 0, o = 0;
	unsigned nq = 0, npad = 0;
	uint8_t v;

	*outlen = 0;
	while (i < len) {
		/* at the start of a quantum: as many whole ones as there are */
		if (nq == 0 && npad == 0) {
			quanta(in, len, &i, out, cap, &o);
			if (i >= len)
				break;
		}
		v = decode_table[in[i++]];
		if (v == B64_WSP)
			continue;
		if (v == B64_BAD)
			return VOUCH_ESYNTAX;
		if (v == B64_PAD) {
			/* '=' only ends a quantum of 2 or 3 characters. */
			if (nq + npad < 2)
				return VOUCH_ESYNTAX;
			npad++;
			if (nq + npad > 4)
				return VOUCH_ESYNTAX;
			continue;
		}
		if (npad > 0)
			return VOUCH_ESYNTAX; /* data after padding */
		acc = acc << 6 | v;
		if (++nq == 4) {
			if (cap - o < 3)
				return VOUCH_ELIMIT;
			out[o++] = (uint8_t)(acc >> 16);
			out[o++] = (uint8_t)(acc >> 8);
			out[o++] = (uint8_t)acc;
			acc = 0;
			nq = 0;
		}
	}
	if (npad > 0 && nq + npad != 4)
		return VOUCH_ESYNTAX;
	switch (nq) {
	case 0:
		break;
	case 1:
		return VOUCH_ESYNTAX;
	case 2:
		if (acc & 0xf)
			return VOUCH_ESYNTAX;
		if (cap - o < 1)
			return VOUCH_ELIMIT;
		out[o++] = (uint8_t)(acc >> 4);
		break;
	case 3:
		if (acc & 0x3)
			return VOUCH_ESYNTAX;
		if (cap - o < 2)
			return VOUCH_ELIMIT;
		out[o++] = (uint8_t)(acc >> 10);
		out[o++] = (uint8_t)(acc >> 2);
		break;
	}
	*outlen = o;
	return VOUCH_OK;
}

size_t
base64_encode(const uint8_t *in, size_t len, char *out, size_t cap)
{
	size_t i, o = 0;
	uint32_t v;

	if (len == 0)
		return 0;
	if (len > (SIZE_MAX / 4) * 3 - 2 || cap < BASE64_ENCODED_LEN(len))
		return 0;
	for (i = 0; i + 2 < len; i += 3) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 |
		    in[i + 2];
		out[o++] = alphabet[v >> 18];
		out[o++] = alphabet[(v >> 12) & 63];
		out[o++] = alphabet[(v >> 6) & 63];
		out[o++] = alphabet[v & 63];
	}
	if (i < len) {
		v = (uint32_t)in[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)in[i + 1] << 8;
		out[o++] = alphabet[v >> 18];
		out[o++] = alphabet[(v >> 12) & 63];
		out[o++] = i + 1 < len ? alphabet[(v >> 6) & 63] : '=';
		out[o++] = '=';
	}
	return o;
}
