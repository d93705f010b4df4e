/*
 * bench: vouch signing and verifying the messages of gen.py, one process,
 * one thread, warm; and the body canonicalizer alone.
 *
 * Usage: vouch_bench DATADIR SECONDS
 *
 * Signing goes through the public API (include/vouch/dkim_sign.h): the
 * private keys are loaded once, then each message gets a signing context,
 * is fed in 64 KiB chunks and yields its DKIM-Signature field.  Verifying
 * too (include/vouch/dkim.h): one resolver on the zone file of gen.py for
 * the whole run (the library caches parsed keys), then per message a
 * verifier, the header section, the body in 64 KiB chunks, the result,
 * which must be one pass.  The body
 * canonicalizer (src/lib/mail/canon.h, internal) is timed alone on the
 * bodies of 2 MiB, with a sink that does nothing, and again with a SHA-256
 * sink (what the signer and verifier do).  One message of each size and
 * algorithm signed by vouch is written to DATADIR/vouch-msg-SIZE-ALG.eml,
 * so that another implementation can check the work timed was right.
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "bench.h"
#include "mail/canon.h"
#include "vouch/dkim.h"
#include "vouch/dkim_sign.h"
#include "vouch/dns.h"

#define CHUNK (64 * 1024)

static const char *const sign_headers[] = {"from", "to", "cc", "subject",
    "date", "message-id", "mime-version", "content-type"};

struct job {
	struct bench_msg msg;
	uint8_t *raw;
	struct vouch_dkim_key *key;
	const char *selector;
	enum canon_alg canon;
	EVP_MD_CTX *md;
	uint64_t sunk;
	FILE *save; /* when set, sign_one writes the signed message there */
	struct vouch_dns *dns;
};

static void
feed_chunks(const uint8_t *p, size_t len,
    enum vouch_status (*fn)(void *, const uint8_t *, size_t), void *arg,
    enum vouch_status *st)
{
	size_t i, n;

	for (i = 0; i < len && *st == VOUCH_OK; i += n) {
		n = len - i < CHUNK ? len - i : CHUNK;
		*st = fn(arg, p + i, n);
	}
}

static enum vouch_status
sign_update(void *arg, const uint8_t *p, size_t n)
{
	return vouch_dkim_sign_update(arg, p, n);
}

static int
sign_one(void *arg)
{
	struct job *j = arg;
	struct vouch_dkim_sign_req req;
	struct vouch_dkim_sign *s = NULL;
	enum vouch_status st;
	char *fields = NULL;
	size_t len = 0;

	memset(&req, 0, sizeof(req));
	req.key = j->key;
	req.domain = BENCH_DOMAIN;
	req.selector = j->selector;
	req.header_relaxed = true;
	req.body_relaxed = true;
	req.headers = sign_headers;
	req.nheaders = sizeof(sign_headers) / sizeof(sign_headers[0]);
	if ((st = vouch_dkim_sign_new(&req, 1, 0, &s)) != VOUCH_OK)
		goto out;
	feed_chunks(j->msg.raw, j->msg.len, sign_update, s, &st);
	if (st == VOUCH_OK)
		st = vouch_dkim_sign_finish(s, true, &fields, &len);
	if (st == VOUCH_OK && len == 0)
		st = VOUCH_EINVAL;
	if (st == VOUCH_OK && j->save != NULL &&
	    (fwrite(fields, 1, len, j->save) != len ||
	        fwrite(j->msg.raw, 1, j->msg.len, j->save) != j->msg.len))
		st = VOUCH_EIO;
out:
	if (st != VOUCH_OK)
		warnx("sign: %s: %s", vouch_status_str(st),
		    s != NULL ? vouch_dkim_sign_error(s) : "");
	free(fields);
	vouch_dkim_sign_free(s);
	return st == VOUCH_OK ? 0 : -1;
}

static int
verify_one(void *arg)
{
	struct job *j = arg;
	struct vouch_dkim_verifier *v = NULL;
	struct vouch_dkim_result *res = NULL;
	enum vouch_status st;
	size_t i, n;
	int rc = -1;

	if ((st = vouch_dkim_verify_new(j->dns, NULL, &v)) != VOUCH_OK)
		goto out;
	st = vouch_dkim_verify_header(
	    v, j->msg.raw, (size_t)(j->msg.body - j->msg.raw));
	for (i = 0; i < j->msg.bodylen && st == VOUCH_OK; i += n) {
		n = j->msg.bodylen - i < CHUNK ? j->msg.bodylen - i : CHUNK;
		st = vouch_dkim_verify_body(v, j->msg.body + i, n);
	}
	if (st == VOUCH_OK)
		st = vouch_dkim_verify_finish(v, &res);
	if (st != VOUCH_OK)
		goto out;
	if (res->result == VOUCH_DKIM_PASS && res->nsig == 1)
		rc = 0;
	else
		warnx("verify: %s (%s%s)", vouch_dkim_verdict_str(res->result),
		    res->reason, res->nsig > 0 ? res->sig[0].reason : "");
out:
	if (st != VOUCH_OK)
		warnx("verify: %s", vouch_status_str(st));
	vouch_dkim_result_free(res);
	vouch_dkim_verify_free(v);
	return rc;
}

static void
null_sink(void *arg, const uint8_t *p, size_t n)
{
	struct job *j = arg;

	j->sunk += n;
}

static void
sha_sink(void *arg, const uint8_t *p, size_t n)
{
	struct job *j = arg;

	EVP_DigestUpdate(j->md, p, n);
}

static int
canon_one(void *arg)
{
	struct job *j = arg;
	struct canon_body cb;
	size_t i, n;

	canon_body_init(&cb, j->canon, UINT64_MAX, null_sink, j);
	for (i = 0; i < j->msg.bodylen; i += n) {
		n = j->msg.bodylen - i < CHUNK ? j->msg.bodylen - i : CHUNK;
		canon_body_update(&cb, j->msg.body + i, n);
	}
	canon_body_final(&cb);
	return cb.len > 0 ? 0 : -1;
}

static int
canon_sha_one(void *arg)
{
	struct job *j = arg;
	struct canon_body cb;
	uint8_t digest[EVP_MAX_MD_SIZE];
	unsigned int dlen;
	size_t i, n;

	if (EVP_DigestInit_ex(j->md, EVP_sha256(), NULL) != 1)
		return -1;
	canon_body_init(&cb, j->canon, UINT64_MAX, sha_sink, j);
	for (i = 0; i < j->msg.bodylen; i += n) {
		n = j->msg.bodylen - i < CHUNK ? j->msg.bodylen - i : CHUNK;
		canon_body_update(&cb, j->msg.body + i, n);
	}
	canon_body_final(&cb);
	return EVP_DigestFinal_ex(j->md, digest, &dlen) == 1 ? 0 : -1;
}

static void
bench_canon_body(struct job *j, const char *label, double secs)
{
	if ((j->md = EVP_MD_CTX_new()) == NULL)
		errx(1, "EVP_MD_CTX_new");
	j->canon = CANON_RELAXED;
	printf("vouch - canon relaxed-body%s %.0f\n", label,
	    bench_rate(canon_one, j, secs, "relaxed body canon") *
	        j->msg.bodylen);
	printf("vouch - canon relaxed-body+sha256%s %.0f\n", label,
	    bench_rate(canon_sha_one, j, secs, "relaxed body canon+sha") *
	        j->msg.bodylen);
	j->canon = CANON_SIMPLE;
	printf("vouch - canon simple-body%s %.0f\n", label,
	    bench_rate(canon_one, j, secs, "simple body canon") *
	        j->msg.bodylen);
	fflush(stdout);
	EVP_MD_CTX_free(j->md);
}

/*
 * The body canonicalizer on two 2 MiB bodies: the 2 MiB message's (some
 * text, then a base64 attachment: few blanks) and plain text lines (many
 * blanks, trailing white space, empty lines: the relaxed algorithm's work).
 */
static void
bench_canon(const char *dir, double secs)
{
	struct job j;
	size_t len;

	memset(&j, 0, sizeof(j));
	j.raw = bench_slurp(dir, "msg-2m.eml", &len);
	bench_split(j.raw, len, &j.msg);
	bench_canon_body(&j, "", secs);
	free(j.raw);

	memset(&j, 0, sizeof(j));
	j.raw = bench_slurp(dir, "body-text.txt", &len);
	j.msg.body = j.raw;
	j.msg.bodylen = len;
	bench_canon_body(&j, "-text", secs);
	free(j.raw);
}

static struct vouch_dkim_key *
load_key(const char *dir, const char *name)
{
	char path[4096], msg[256];
	struct vouch_dkim_key *key;
	enum vouch_status st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	st = vouch_dkim_key_load_file(path, &key, msg, sizeof(msg));
	if (st != VOUCH_OK)
		errx(1, "%s: %s", path, msg);
	return key;
}

/*
 * Writes one message signed by vouch to DIR/vouch-msg-SIZE-ALG.eml, for
 * dkimpy_bench.py to check that the signatures timed here verify.
 */
static void
save_signed(const char *dir, struct job *j, size_t s, int a)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/vouch-msg-%s-%s.eml", dir,
	    bench_sizes[s], bench_algs[a]);
	if ((j->save = fopen(path, "wb")) == NULL)
		err(1, "%s", path);
	if (sign_one(j) != 0)
		errx(1, "%s: signing failed", path);
	if (fclose(j->save) != 0)
		err(1, "%s", path);
	j->save = NULL;
}

int
main(int argc, char *argv[])
{
	const char *dir;
	double secs;
	struct vouch_dkim_key *keys[2];
	struct vouch_dns *dns;
	char msg[256], path[4096];
	struct job j;
	size_t len, s;
	int a;
	char name[64];

	bench_args(argc, argv, "vouch_bench", &dir, &secs);
	keys[0] = load_key(dir, "rsa.pem");
	keys[1] = load_key(dir, "ed.pem");
	snprintf(path, sizeof(path), "%s/zone", dir);
	if (vouch_dns_zone_new(path, &dns, msg, sizeof(msg)) != VOUCH_OK)
		errx(1, "%s: %s", path, msg);

	if (bench_want("-", "-", "canon"))
		bench_canon(dir, secs);
	for (s = 0; s < 4; s++) {
		for (a = 0; a < 2; a++) {
			memset(&j, 0, sizeof(j));
			j.dns = dns;
			if (bench_want(
			        bench_sizes[s], bench_algs[a], "verify")) {
				snprintf(name, sizeof(name), "msg-%s-%s.eml",
				    bench_sizes[s], bench_algs[a]);
				j.raw = bench_slurp(dir, name, &len);
				bench_split(j.raw, len, &j.msg);
				printf("vouch %s %s verify %.1f\n",
				    bench_sizes[s], bench_algs[a],
				    bench_rate(verify_one, &j, secs, name));
				fflush(stdout);
				free(j.raw);
			}
			if (!bench_want(bench_sizes[s], bench_algs[a], "sign"))
				continue;
			j.key = keys[a];
			j.selector = bench_selectors[a];
			snprintf(
			    name, sizeof(name), "msg-%s.eml", bench_sizes[s]);
			j.raw = bench_slurp(dir, name, &len);
			bench_split(j.raw, len, &j.msg);
			save_signed(dir, &j, s, a);
			printf("vouch %s %s sign %.1f\n", bench_sizes[s],
			    bench_algs[a],
			    bench_rate(sign_one, &j, secs, name));
			fflush(stdout);
			free(j.raw);
		}
	}
	vouch_dkim_key_free(keys[0]);
	vouch_dkim_key_free(keys[1]);
	vouch_dns_free(dns);
	return 0;
}
