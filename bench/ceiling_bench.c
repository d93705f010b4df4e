/*
 * bench: the ceiling.  What no DKIM implementation on this machine can
 * beat: one signature operation per message with a key parsed once, plus
 * SHA-256 over the message bytes; the operation of the fastest library
 * at hand, OpenSSL or (Ed25519 only) libsodium.
 *
 * Usage: ceiling_bench DATADIR SECONDS [- LIB-ALG OP]
 *   (LIB-ALG openssl-rsa, openssl-ed or sodium-ed, OP sign or verify:
 *   that row alone, for callgrind; BENCH_ITERS, see bench.h)
 *
 * Prints
 *   ceiling - sha256 hash BYTES_PER_SECOND   (EVP_Digest over 1 MiB buffers)
 *   ceiling LIB ALG OP OPS_PER_SECOND        (LIB openssl or libsodium: one
 *                                             sign or verify of a SHA-256
 *                                             digest, keys of DATADIR,
 *                                             context set up once, as
 *                                             `openssl speed` does)
 *   ceiling openssl ALG verify-setup OPS_PER_SECOND (the same with a new
 *                                             context per operation: for
 *                                             the profile)
 * report.py turns the faster library's rate into messages per second per
 * size:  1 / (1 / ops + message_bytes / hash_rate).
 * For rsa-sha256 the operation is RSASSA-PKCS1-v1_5 over the digest
 * (OpenSSL only); for ed25519-sha256 (RFC 8463) it is Ed25519 over the
 * 32-byte digest (OpenSSL's EVP_DigestSign/EVP_DigestVerify on a prepared
 * context, libsodium's crypto_sign_ed25519_detached and
 * crypto_sign_ed25519_verify_detached).
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <sodium.h>

#include "bench.h"

#define HASHBUF (1024 * 1024)

struct job {
	EVP_PKEY *key;
	EVP_PKEY_CTX *ctx; /* RSA: initialised once, reused */
	EVP_MD_CTX *md; /* Ed25519: initialised once, reused */
	uint8_t digest[32];
	uint8_t sig[512];
	size_t siglen;
	uint8_t *buf;
	uint8_t sodium_sk[crypto_sign_ed25519_SECRETKEYBYTES];
	uint8_t sodium_pk[crypto_sign_ed25519_PUBLICKEYBYTES];
};

static int
hash_one(void *arg)
{
	struct job *j = arg;
	unsigned int n;

	return EVP_Digest(j->buf, HASHBUF, j->digest, &n, EVP_sha256(), NULL) ==
	               1
	           ? 0
	           : -1;
}

static int
rsa_sign_one(void *arg)
{
	struct job *j = arg;

	j->siglen = sizeof(j->sig);
	return EVP_PKEY_sign(j->ctx, j->sig, &j->siglen, j->digest, 32) == 1
	           ? 0
	           : -1;
}

static int
rsa_verify_one(void *arg)
{
	struct job *j = arg;

	return EVP_PKEY_verify(j->ctx, j->sig, j->siglen, j->digest, 32) == 1
	           ? 0
	           : -1;
}

static int
ed_sign_one(void *arg)
{
	struct job *j = arg;

	j->siglen = sizeof(j->sig);
	return EVP_DigestSign(j->md, j->sig, &j->siglen, j->digest, 32) == 1
	           ? 0
	           : -1;
}

static int
ed_verify_one(void *arg)
{
	struct job *j = arg;

	return EVP_DigestVerify(j->md, j->sig, j->siglen, j->digest, 32) == 1
	           ? 0
	           : -1;
}

static int
sodium_sign_one(void *arg)
{
	struct job *j = arg;
	unsigned long long n;

	j->siglen = crypto_sign_ed25519_BYTES;
	return crypto_sign_ed25519_detached(
	           j->sig, &n, j->digest, 32, j->sodium_sk) == 0
	           ? 0
	           : -1;
}

static int
sodium_verify_one(void *arg)
{
	struct job *j = arg;

	return crypto_sign_ed25519_verify_detached(
	           j->sig, j->digest, 32, j->sodium_pk) == 0
	           ? 0
	           : -1;
}

/*
 * What a verifier that keeps no context between messages pays on top of
 * the operation in OpenSSL 3: a new EVP_PKEY_CTX, its initialisation and
 * parameters (algorithm fetches), for each message.  Printed for the
 * profile, not used by the ceiling.
 */
static int
rsa_verify_setup_one(void *arg)
{
	struct job *j = arg;
	EVP_PKEY_CTX *ctx;
	int rc = -1;

	if ((ctx = EVP_PKEY_CTX_new(j->key, NULL)) != NULL &&
	    EVP_PKEY_verify_init(ctx) == 1 &&
	    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1 &&
	    EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) == 1 &&
	    EVP_PKEY_verify(ctx, j->sig, j->siglen, j->digest, 32) == 1)
		rc = 0;
	EVP_PKEY_CTX_free(ctx);
	return rc;
}

static int
ed_verify_setup_one(void *arg)
{
	struct job *j = arg;
	EVP_MD_CTX *md;
	int rc = -1;

	if ((md = EVP_MD_CTX_new()) != NULL &&
	    EVP_DigestVerifyInit(md, NULL, NULL, NULL, j->key) == 1 &&
	    EVP_DigestVerify(md, j->sig, j->siglen, j->digest, 32) == 1)
		rc = 0;
	EVP_MD_CTX_free(md);
	return rc;
}

static EVP_PKEY *
load_key(const char *dir, const char *name)
{
	char path[4096];
	FILE *f;
	EVP_PKEY *k;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "r")) == NULL)
		err(1, "%s", path);
	if ((k = PEM_read_PrivateKey(f, NULL, NULL, NULL)) == NULL)
		errx(1, "%s: not a PEM private key", path);
	fclose(f);
	return k;
}

static EVP_PKEY_CTX *
rsa_ctx(EVP_PKEY *key, int sign)
{
	EVP_PKEY_CTX *ctx;

	if ((ctx = EVP_PKEY_CTX_new(key, NULL)) == NULL ||
	    (sign ? EVP_PKEY_sign_init(ctx) : EVP_PKEY_verify_init(ctx)) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) != 1 ||
	    EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) != 1)
		errx(1, "RSA context");
	return ctx;
}

/* The same Ed25519 key for libsodium: its seed, expanded. */
static void
sodium_key(struct job *j, EVP_PKEY *ed)
{
	uint8_t seed[crypto_sign_ed25519_SEEDBYTES];
	size_t len = sizeof(seed);

	if (sodium_init() < 0)
		errx(1, "sodium_init");
	if (EVP_PKEY_get_raw_private_key(ed, seed, &len) != 1 ||
	    len != sizeof(seed) ||
	    crypto_sign_ed25519_seed_keypair(
	        j->sodium_pk, j->sodium_sk, seed) != 0)
		errx(1, "Ed25519 key for libsodium");
}

static void
row(const char *lib, const char *alg, const char *op, int (*fn)(void *),
    struct job *j, double secs)
{
	char cell[32];

	snprintf(cell, sizeof(cell), "%s-%s",
	    strcmp(lib, "libsodium") == 0 ? "sodium" : lib, alg);
	if (!bench_want("-", cell, op))
		return;
	printf("ceiling %s %s %s %.1f\n", lib, alg, op,
	    bench_rate(fn, j, secs, cell));
	fflush(stdout);
}

int
main(int argc, char *argv[])
{
	struct job j;
	const char *dir;
	double secs;
	EVP_PKEY *rsa, *ed;

	bench_args(argc, argv, "ceiling_bench", &dir, &secs);
	rsa = load_key(dir, "rsa.pem");
	ed = load_key(dir, "ed.pem");

	memset(&j, 0, sizeof(j));
	if ((j.buf = malloc(HASHBUF)) == NULL)
		err(1, NULL);
	memset(j.buf, 'a', HASHBUF);
	if (bench_want("-", "-", "hash"))
		printf("ceiling - sha256 hash %.0f\n",
		    bench_rate(hash_one, &j, secs, "sha256") * HASHBUF);

	j.key = rsa;
	j.ctx = rsa_ctx(rsa, 1);
	row("openssl", "rsa", "sign", rsa_sign_one, &j, secs);
	/* the verify rows need a signature, whichever rows run */
	if (rsa_sign_one(&j) != 0)
		errx(1, "RSA signature");
	EVP_PKEY_CTX_free(j.ctx);
	j.ctx = rsa_ctx(rsa, 0);
	row("openssl", "rsa", "verify", rsa_verify_one, &j, secs);
	row("openssl", "rsa", "verify-setup", rsa_verify_setup_one, &j, secs);
	EVP_PKEY_CTX_free(j.ctx);
	j.ctx = NULL;

	j.key = ed;
	if ((j.md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit(j.md, NULL, NULL, NULL, ed) != 1)
		errx(1, "Ed25519 context");
	row("openssl", "ed", "sign", ed_sign_one, &j, secs);
	if (ed_sign_one(&j) != 0)
		errx(1, "Ed25519 signature");
	EVP_MD_CTX_free(j.md);
	if ((j.md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestVerifyInit(j.md, NULL, NULL, NULL, ed) != 1)
		errx(1, "Ed25519 context");
	row("openssl", "ed", "verify", ed_verify_one, &j, secs);
	EVP_MD_CTX_free(j.md);
	row("openssl", "ed", "verify-setup", ed_verify_setup_one, &j, secs);

	sodium_key(&j, ed);
	row("libsodium", "ed", "sign", sodium_sign_one, &j, secs);
	if (sodium_sign_one(&j) != 0)
		errx(1, "Ed25519 signature (libsodium)");
	row("libsodium", "ed", "verify", sodium_verify_one, &j, secs);

	EVP_PKEY_free(rsa);
	EVP_PKEY_free(ed);
	sodium_memzero(j.sodium_sk, sizeof(j.sodium_sk));
	free(j.buf);
	return 0;
}
