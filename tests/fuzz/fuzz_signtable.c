/*
 * libFuzzer target: the SigningTable reader and lookups
 * (src/milter/tables/signing.c) over a fixed KeyTable, and the refile:
 * wildcard matcher (wildcard.c) against a naive reference matcher.
 *
 * Input: byte 0: bit 0 refile:, bit 1 MultipleSignatures; the rest is the
 * SigningTable.  Its first line, split at its first space, is also taken
 * as a pattern and a subject for the matcher check, and split at '@' as a
 * sender to look up.
 */
#include <stdlib.h>
#include <string.h>

#include "milter/tables/internal.h"
#include "milter/tables/tables.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char kt[] = "rsa example.com:rsa:/keys/example.com/rsa\n"
                         "ed example.com:ed:/keys/example.com/ed\n"
                         "any %:s1:/keys/%.private\n"
                         "example.org example.org:s2:/keys/org\n";

static int
fold(int ch)
{
	return ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch;
}

/* Reference: exponential, so only for short inputs. */
static int
naive(const char *p, size_t pl, const char *s, size_t sl)
{
	size_t i;

	if (pl == 0)
		return sl == 0;
	if (*p == '*') {
		for (i = 0; i <= sl; i++)
			if (naive(p + 1, pl - 1, s + i, sl - i))
				return 1;
		return 0;
	}
	if (sl == 0 || fold((uint8_t)*p) != fold((uint8_t)*s))
		return 0;
	return naive(p + 1, pl - 1, s + 1, sl - 1);
}

static void
check_matcher(const uint8_t *line, size_t len)
{
	const uint8_t *sp = memchr(line, ' ', len);
	struct wildcard w;
	size_t pl, sl;

	if (sp == NULL)
		return;
	pl = (size_t)(sp - line);
	sl = len - pl - 1;
	if (pl > 12 || sl > 24 || memchr(line, '\0', len) != NULL)
		return;
	if (wildcard_compile(line, pl, 1, &w) != VOUCH_OK)
		abort();
	if (wildcard_match(&w, (const char *)sp + 1, sl) !=
	    naive((const char *)line, pl, (const char *)sp + 1, sl))
		abort();
	wildcard_free(&w);
}

static void
lookup(const struct vouchd_signing *s, const uint8_t *l, size_t ll,
    const uint8_t *d, size_t dl)
{
	struct vouchd_sign_match m;

	if (vouchd_signing_lookup(s, l, ll, d, dl, &m) != VOUCH_OK)
		abort();
	if (m.n > VOUCH_DKIM_SIGN_MAX_REQUESTS ||
	    (m.outcome == VOUCHD_SIGN_NOMATCH && m.n != 0) ||
	    (m.outcome == VOUCHD_SIGN_MATCHED && m.n == 0 && m.ndropped == 0))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vouchd_signing *s = NULL;
	struct vouchd_diag d;
	const uint8_t *nl, *at;
	size_t first;
	enum vouch_status r;

	if (size < 1)
		return 0;
	nl = memchr(data + 1, '\n', size - 1);
	first = nl ? (size_t)(nl - data - 1) : size - 1;
	check_matcher(data + 1, first);
	vouchd_diag_init(&d);
	r = vouchd_signing_parse("kt", (const uint8_t *)kt, sizeof(kt) - 1, 0,
	    "st", data + 1, size - 1, data[0] & 1, data[0] & 2, &d, &s);
	if ((r == VOUCH_OK) != (s != NULL))
		abort();
	if (s != NULL) {
		lookup(s, (const uint8_t *)"alice", 5,
		    (const uint8_t *)"example.com", 11);
		lookup(s, (const uint8_t *)"bob", 3,
		    (const uint8_t *)"mail.Example.ORG", 16);
		lookup(s, NULL, 0, (const uint8_t *)"shop.example", 12);
		at = memchr(data + 1, '@', first);
		if (at != NULL)
			lookup(s, data + 1, (size_t)(at - data - 1), at + 1,
			    (size_t)(data + 1 + first - at - 1));
	}
	vouchd_signing_free(s);
	vouchd_diag_free(&d);
	return 0;
}
