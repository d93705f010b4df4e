/*
 * bench: the OpenSSL ceiling.  What no DKIM implementation on this
 * OpenSSL can beat: one signature operation per message with a key parsed
 * once, plus SHA-256 over the message bytes.
 *
 * Usage: ceiling_bench DATADIR SECONDS
 *
 * Prints
 *   ceiling - sha256 hash BYTES_PER_SECOND   (EVP_Digest over 1 MiB buffers)
 *   ceiling - ALG OP OPS_PER_SECOND          (one sign or verify of a
 *                                             SHA-256 digest, keys of DATADIR,
 *                                             context set up once, as
 *                                             `openssl speed` does)
 *   ceiling - ALG verify-setup OPS_PER_SECOND (the same with a new context
 *                                             per operation: for the profile)
 * report.py turns these into messages per second per size:
 *   1 / (1 / ops + message_bytes / hash_rate).
 * For rsa-sha256 the operation is RSASSA-PKCS1-v1_5 over the digest; for
 * ed25519-sha256 (RFC 8463) it is Ed25519 over the 32-byte digest.
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

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
	printf("ceiling - sha256 hash %.0f\n",
	    bench_rate(hash_one, &j, secs, "sha256") * HASHBUF);

	j.key = rsa;
	j.ctx = rsa_ctx(rsa, 1);
	printf("ceiling - rsa sign %.1f\n",
	    bench_rate(rsa_sign_one, &j, secs, "rsa sign"));
	EVP_PKEY_CTX_free(j.ctx);
	j.ctx = rsa_ctx(rsa, 0);
	printf("ceiling - rsa verify %.1f\n",
	    bench_rate(rsa_verify_one, &j, secs, "rsa verify"));
	printf("ceiling - rsa verify-setup %.1f\n",
	    bench_rate(rsa_verify_setup_one, &j, secs, "rsa verify setup"));
	EVP_PKEY_CTX_free(j.ctx);
	j.ctx = NULL;

	j.key = ed;
	if ((j.md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit(j.md, NULL, NULL, NULL, ed) != 1)
		errx(1, "Ed25519 context");
	printf("ceiling - ed sign %.1f\n",
	    bench_rate(ed_sign_one, &j, secs, "ed25519 sign"));
	EVP_MD_CTX_free(j.md);
	if ((j.md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestVerifyInit(j.md, NULL, NULL, NULL, ed) != 1)
		errx(1, "Ed25519 context");
	printf("ceiling - ed verify %.1f\n",
	    bench_rate(ed_verify_one, &j, secs, "ed25519 verify"));
	EVP_MD_CTX_free(j.md);
	printf("ceiling - ed verify-setup %.1f\n",
	    bench_rate(ed_verify_setup_one, &j, secs, "ed25519 verify setup"));
	fflush(stdout);

	EVP_PKEY_free(rsa);
	EVP_PKEY_free(ed);
	free(j.buf);
	return 0;
}
