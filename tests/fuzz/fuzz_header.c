/*
 * libFuzzer target: the header section scanner (RFC 5322 §2.2) and the
 * header canonicalizations (RFC 6376 §3.4.1, §3.4.2) of every field found,
 * plus the body canonicalizers over the rest of the input, whole and split
 * in two at a point the input chooses: both must give the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "mail/canon.h"
#include "mail/header.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
sink(void *arg, const uint8_t *p, size_t n)
{
	(void)EVP_DigestUpdate(arg, p, n);
}

static void
body_digest(enum canon_alg alg, uint64_t limit, const uint8_t *p, size_t n,
    size_t split, uint8_t *out)
{
	struct canon_body cb;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned len;

	if (md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
		abort();
	canon_body_init(&cb, alg, limit, sink, md);
	canon_body_update(&cb, p, split);
	canon_body_update(&cb, p + split, n - split);
	canon_body_final(&cb);
	if (EVP_DigestFinal_ex(md, out, &len) != 1)
		abort();
	EVP_MD_CTX_free(md);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mail_header h;
	struct vbuf out;
	uint8_t a[32], b[32];
	size_t i, split;
	int alg;
	enum vouch_status st;

	if (mail_header_parse(&h, data, size) == VOUCH_OK) {
		vbuf_init(&out, 4 * size + 64);
		for (i = 0; i < h.nfield; i++) {
			if (h.field[i].len < 3 ||
			    h.field[i].raw[h.field[i].len - 1] != '\n')
				abort();
			for (alg = 0; alg < 2; alg++)
				st = canon_header((enum canon_alg)alg,
				    h.field[i].raw, h.field[i].len, &out);
		}
		(void)st; /* a field over the cap is fine here */
		vbuf_free(&out);
	}
	if (h.consumed > size)
		abort();
	split = size > 0 ? data[0] % (size + 1) : 0;
	for (alg = 0; alg < 2; alg++) {
		body_digest((enum canon_alg)alg, UINT64_MAX, data, size, 0, a);
		body_digest(
		    (enum canon_alg)alg, UINT64_MAX, data, size, split, b);
		if (memcmp(a, b, sizeof(a)) != 0)
			abort();
	}
	mail_header_free(&h);
	return 0;
}
