/*
 * libFuzzer target: the DKIM signer (RFC 6376 §5) over any message.  The
 * input is signed twice with a fixed Ed25519 key and time, once in one
 * chunk and once cut at a point the input chooses; Ed25519 is
 * deterministic (RFC 8032 §5.1.6), so both must give the same field, and
 * a signed message must give a field that starts "DKIM-Signature:" and
 * ends in CRLF.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vouch/dkim_sign.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* RFC 8032 §7.1 TEST 1 secret key, dkimpy's base64 seed format. */
static const char seed[] = "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=";

static enum vouch_status
sign(struct vouch_dkim_key *key, int canon, const uint8_t *p, size_t n,
    size_t split, char **out, size_t *outlen)
{
	struct vouch_dkim_sign_req req;
	struct vouch_dkim_sign *s;
	enum vouch_status st;

	memset(&req, 0, sizeof(req));
	req.key = key;
	req.domain = "example.com";
	req.selector = "fuzz";
	req.header_relaxed = canon & 1;
	req.body_relaxed = (canon >> 1) & 1;
	req.body_length = (canon >> 2) & 1;
	if (vouch_dkim_sign_new(&req, 1, 1700000000, &s) != VOUCH_OK)
		abort();
	st = vouch_dkim_sign_update(s, p, split);
	if (st == VOUCH_OK)
		st = vouch_dkim_sign_update(s, p + split, n - split);
	if (st == VOUCH_OK)
		st = vouch_dkim_sign_finish(s, true, out, outlen);
	vouch_dkim_sign_free(s);
	return st;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vouch_dkim_key *key;
	enum vouch_status a, b;
	char *fa = NULL, *fb = NULL;
	size_t la = 0, lb = 0, split;
	int canon;

	if (key == NULL && vouch_dkim_key_load_mem((const uint8_t *)seed,
	                       sizeof(seed) - 1, &key, NULL, 0) != VOUCH_OK)
		abort();
	if (size == 0)
		return 0;
	canon = data[0] & 7;
	data++;
	size--;
	split = size > 0 ? (size_t)data[0] * 257 % (size + 1) : 0;
	a = sign(key, canon, data, size, size, &fa, &la);
	b = sign(key, canon, data, size, split, &fb, &lb);
	if (a != b)
		abort();
	if (a == VOUCH_OK && (la != lb || memcmp(fa, fb, la) != 0 || la < 20 ||
	                         memcmp(fa, "DKIM-Signature:", 15) != 0 ||
	                         memcmp(fa + la - 2, "\r\n", 2) != 0))
		abort();
	free(fa);
	free(fb);
	return 0;
}
