/*
 * DKIM private keys: loading (parsed once), generation, the PEM file and
 * the public DNS record (RFC 6376 §3.6.1, RFC 8301 §3.2, RFC 8463 §4.2).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "vouch/dkim_sign.h"
#include "util/buf.h"
#include "dkim/internal.h"
#include "dkim/sign_internal.h"

/* A key file is a few KiB at most (RSA-4096 PEM is 3.3 KiB). */
#define KEY_FILE_MAX (64 * 1024)

/* RFC 8032 §5.1.5: an Ed25519 private key is a 32-byte seed. */
#define ED25519_SEED_LEN 32

static void key_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
key_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static int
is_space(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * The signing key libsodium needs (dkim/ed25519.h): the 32-byte seed that
 * OpenSSL parsed, expanded; the seed is wiped.
 */
static enum vouch_status
key_ed25519_expand(struct vouch_dkim_key *key)
{
	uint8_t seed[DKIM_ED25519_SEED_LEN];
	size_t len = sizeof(seed);
	enum vouch_status st = VOUCH_ECRYPTO;

	if (EVP_PKEY_get_raw_private_key(key->pkey, seed, &len) == 1 &&
	    len == sizeof(seed))
		st = dkim_ed25519_expand(seed, key->ed25519_sk);
	dkim_ed25519_wipe(seed, sizeof(seed));
	return st;
}

/* RFC 8301 §3.1: RSASSA-PKCS1-v1_5 with SHA-256. */
static EVP_PKEY_CTX *
rsa_sign_ctx_new(EVP_PKEY *pkey)
{
	EVP_PKEY_CTX *pc;

	if ((pc = EVP_PKEY_CTX_new(pkey, NULL)) == NULL)
		return NULL;
	if (EVP_PKEY_sign_init(pc) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PADDING) <= 0 ||
	    EVP_PKEY_CTX_set_signature_md(pc, dkim_md(DKIM_HASH_SHA256)) <= 0) {
		EVP_PKEY_CTX_free(pc);
		return NULL;
	}
	return pc;
}

/*
 * A key is shared by the threads that sign with it, and OpenSSL does not
 * promise that copying one context from several threads at once is safe.
 */
static pthread_mutex_t rsa_sign_lock = PTHREAD_MUTEX_INITIALIZER;

EVP_PKEY_CTX *
dkim_key_rsa_sign_ctx(const struct vouch_dkim_key *key)
{
	EVP_PKEY_CTX *pc = NULL;

	if (key->rsa_sign != NULL) {
		pthread_mutex_lock(&rsa_sign_lock);
		pc = EVP_PKEY_CTX_dup(key->rsa_sign);
		pthread_mutex_unlock(&rsa_sign_lock);
	}
	return pc != NULL ? pc : rsa_sign_ctx_new(key->pkey);
}

/* Wrap a parsed EVP_PKEY, checking that DKIM can sign with it. */
static enum vouch_status
key_wrap(EVP_PKEY *pkey, struct vouch_dkim_key **out, char *err, size_t errlen)
{
	struct vouch_dkim_key *key;
	enum vouch_dkim_key_type type;
	enum vouch_status st;
	int bits;

	*out = NULL;
	switch (EVP_PKEY_get_base_id(pkey)) {
	case EVP_PKEY_RSA:
		bits = EVP_PKEY_get_bits(pkey);
		/* RFC 8301 §3.2: signers MUST use keys of 1024 bits or more */
		if (bits < VOUCH_DKIM_RSA_MIN_BITS ||
		    bits > VOUCH_DKIM_RSA_MAX_BITS) {
			key_err(err, errlen,
			    "RSA key of %d bits, want %d..%d (RFC 8301)", bits,
			    VOUCH_DKIM_RSA_MIN_BITS, VOUCH_DKIM_RSA_MAX_BITS);
			EVP_PKEY_free(pkey);
			return VOUCH_EINVAL;
		}
		type = VOUCH_DKIM_KEY_RSA;
		break;
	case EVP_PKEY_ED25519:
		bits = 256;
		type = VOUCH_DKIM_KEY_ED25519;
		break;
	default:
		key_err(err, errlen,
		    "key type not usable for DKIM "
		    "(want RSA or Ed25519)");
		EVP_PKEY_free(pkey);
		return VOUCH_EINVAL;
	}
	if ((key = calloc(1, sizeof(*key))) == NULL) {
		EVP_PKEY_free(pkey);
		return VOUCH_ENOMEM;
	}
	key->pkey = pkey;
	key->type = type;
	key->bits = (unsigned)bits;
	/* not made: each signature sets one up, slower but the same */
	if (type == VOUCH_DKIM_KEY_RSA)
		key->rsa_sign = rsa_sign_ctx_new(pkey);
	if (type == VOUCH_DKIM_KEY_ED25519 &&
	    (st = key_ed25519_expand(key)) != VOUCH_OK) {
		key_err(err, errlen,
		    "Ed25519 key refused by the crypto "
		    "library");
		vouch_dkim_key_free(key);
		return st;
	}
	*out = key;
	return VOUCH_OK;
}

/* The dkimpy Ed25519 format: base64 of the 32-byte seed on one line. */
static enum vouch_status
key_load_seed(const uint8_t *p, size_t len, struct vouch_dkim_key **out,
    char *err, size_t errlen)
{
	uint8_t seed[64];
	size_t n = 0, i, npad = 0;
	EVP_PKEY *pkey;
	enum vouch_status st;
	int dec = -1;

	while (len > 0 && is_space(p[0])) {
		p++;
		len--;
	}
	while (len > 0 && is_space(p[len - 1]))
		len--;
	/* 32 bytes are 44 base64 characters, the last one '=' (RFC 4648 §4) */
	if (len == 44) {
		for (i = 0; i < len; i++)
			if (!((p[i] >= 'A' && p[i] <= 'Z') ||
			        (p[i] >= 'a' && p[i] <= 'z') ||
			        (p[i] >= '0' && p[i] <= '9') || p[i] == '+' ||
			        p[i] == '/' || (p[i] == '=' && i >= 42)))
				break;
		for (npad = 0; npad < 2 && p[len - 1 - npad] == '='; npad++)
			;
		if (i == len)
			dec = EVP_DecodeBlock(seed, p, (int)len);
		if (dec >= 0)
			n = (size_t)dec - npad;
	}
	if (dec < 0 || n != ED25519_SEED_LEN) {
		explicit_bzero(seed, sizeof(seed));
		key_err(err, errlen,
		    "not a PEM private key nor a base64 "
		    "Ed25519 seed of 32 bytes");
		return VOUCH_ESYNTAX;
	}
	pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, n);
	explicit_bzero(seed, sizeof(seed));
	if (pkey == NULL) {
		key_err(err, errlen,
		    "Ed25519 seed refused by the crypto "
		    "library");
		return VOUCH_ECRYPTO;
	}
	st = key_wrap(pkey, out, err, errlen);
	return st;
}

static enum vouch_status
vouch_dkim_key_load_mem_inner(const uint8_t *p, size_t len,
    struct vouch_dkim_key **out, char *err, size_t errlen)
{
	static const char pem_begin[] = "-----BEGIN ";
	EVP_PKEY *pkey = NULL;
	BIO *bio;
	size_t i;
	int is_pem = 0;

	*out = NULL;
	if (len > KEY_FILE_MAX) {
		key_err(err, errlen, "key larger than %d bytes", KEY_FILE_MAX);
		return VOUCH_ESYNTAX;
	}
	for (i = 0; i + sizeof(pem_begin) - 1 <= len; i++)
		if (memcmp(p + i, pem_begin, sizeof(pem_begin) - 1) == 0) {
			is_pem = 1;
			break;
		}
	if (!is_pem)
		return key_load_seed(p, len, out, err, errlen);
	/* A read-only memory BIO: OpenSSL reads the caller's bytes in place. */
	if ((bio = BIO_new_mem_buf(p, (int)len)) == NULL)
		return VOUCH_ENOMEM;
	pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (pkey == NULL) {
		key_err(err, errlen,
		    "cannot parse the PEM private key "
		    "(encrypted keys are not supported)");
		return VOUCH_ESYNTAX;
	}
	return key_wrap(pkey, out, err, errlen);
}

/*
 * The public entry: whatever OpenSSL queues on its error stack during the
 * call is dropped, so that other OpenSSL users in the process (a TLS
 * stack in the same MTA) never see our errors.
 */
enum vouch_status
vouch_dkim_key_load_mem(const uint8_t *p, size_t len,
    struct vouch_dkim_key **out, char *err, size_t errlen)
{
	enum vouch_status st;

	ERR_set_mark();
	st = vouch_dkim_key_load_mem_inner(p, len, out, err, errlen);
	ERR_pop_to_mark();
	return st;
}

enum vouch_status
vouch_dkim_key_load_file(
    const char *path, struct vouch_dkim_key **out, char *err, size_t errlen)
{
	uint8_t *buf;
	size_t len = 0;
	ssize_t n;
	enum vouch_status st;
	char why[200] = "";
	int fd;

	*out = NULL;
	if (path == NULL)
		return VOUCH_EINVAL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		key_err(err, errlen, "%s: %s", path, strerror(errno));
		return VOUCH_EIO;
	}
	/* One byte more than allowed, to see a file that is too large. */
	if ((buf = malloc(KEY_FILE_MAX + 1)) == NULL) {
		close(fd);
		return VOUCH_ENOMEM;
	}
	for (;;) {
		if (len == KEY_FILE_MAX + 1)
			break;
		n = read(fd, buf + len, KEY_FILE_MAX + 1 - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			key_err(err, errlen, "%s: %s", path, strerror(errno));
			st = VOUCH_EIO;
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > KEY_FILE_MAX) {
		key_err(err, errlen, "%s: larger than %d bytes, not a key",
		    path, KEY_FILE_MAX);
		st = VOUCH_EIO;
		goto out;
	}
	st = vouch_dkim_key_load_mem(buf, len, out, why, sizeof(why));
	if (st != VOUCH_OK)
		key_err(err, errlen, "%s: %s", path,
		    why[0] ? why : vouch_status_str(st));
out:
	explicit_bzero(buf, len);
	free(buf);
	close(fd);
	return st;
}

static enum vouch_status
vouch_dkim_key_generate_inner(
    enum vouch_dkim_key_type type, unsigned bits, struct vouch_dkim_key **out)
{
	EVP_PKEY *pkey = NULL;

	*out = NULL;
	if (type == VOUCH_DKIM_KEY_RSA) {
		if (bits == 0)
			bits = VOUCH_DKIM_RSA_DEFAULT_BITS;
		/* RFC 8301 §3.2 */
		if (bits < VOUCH_DKIM_RSA_MIN_BITS ||
		    bits > VOUCH_DKIM_RSA_MAX_BITS)
			return VOUCH_EINVAL;
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
	} else if (type == VOUCH_DKIM_KEY_ED25519) {
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	} else
		return VOUCH_EINVAL;
	if (pkey == NULL)
		return VOUCH_ECRYPTO;
	return key_wrap(pkey, out, NULL, 0);
}

/* The public entry; OpenSSL's error stack is left as it was. */
enum vouch_status
vouch_dkim_key_generate(
    enum vouch_dkim_key_type type, unsigned bits, struct vouch_dkim_key **out)
{
	enum vouch_status st;

	ERR_set_mark();
	st = vouch_dkim_key_generate_inner(type, bits, out);
	ERR_pop_to_mark();
	return st;
}

enum vouch_dkim_key_type
vouch_dkim_key_type(const struct vouch_dkim_key *key)
{
	return key->type;
}

unsigned
vouch_dkim_key_bits(const struct vouch_dkim_key *key)
{
	return key->bits;
}

static enum vouch_status
vouch_dkim_key_write_private_inner(
    const struct vouch_dkim_key *key, const char *path)
{
	BIO *bio;
	char *pem = NULL;
	long pemlen;
	size_t off = 0;
	ssize_t n;
	enum vouch_status st = VOUCH_OK;
	int fd, saved;

	if (key->pkey == NULL)
		return VOUCH_EINVAL; /* an external key: nothing to write */
	if ((bio = BIO_new(BIO_s_mem())) == NULL)
		return VOUCH_ENOMEM;
	if (!PEM_write_bio_PrivateKey(
	        bio, key->pkey, NULL, NULL, 0, NULL, NULL)) {
		BIO_free(bio);
		return VOUCH_ECRYPTO;
	}
	pemlen = BIO_get_mem_data(bio, &pem);
	/* O_EXCL with O_CREAT also refuses a symbolic link at `path`. */
	fd = open(
	    path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd == -1) {
		st = VOUCH_EIO;
		goto out;
	}
	while (pemlen > 0 && off < (size_t)pemlen) {
		n = write(fd, pem + off, (size_t)pemlen - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			st = VOUCH_EIO;
			break;
		}
		off += (size_t)n;
	}
	if (fsync(fd) == -1 && st == VOUCH_OK)
		st = VOUCH_EIO;
	saved = errno;
	if (close(fd) == -1 && st == VOUCH_OK) {
		st = VOUCH_EIO;
		saved = errno;
	}
	if (st != VOUCH_OK) {
		unlink(path);
		errno = saved;
	}
out:
	if (pem != NULL && pemlen > 0)
		explicit_bzero(pem, (size_t)pemlen);
	saved = errno;
	BIO_free(bio);
	errno = saved;
	return st;
}

/* The public entry; OpenSSL's error stack is left as it was. */
enum vouch_status
vouch_dkim_key_write_private(const struct vouch_dkim_key *key, const char *path)
{
	enum vouch_status st;

	if (key == NULL || path == NULL)
		return VOUCH_EINVAL;
	ERR_set_mark();
	st = vouch_dkim_key_write_private_inner(key, path);
	ERR_pop_to_mark();
	return st;
}

static int
is_name_byte(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '_';
}

enum dkim_name_fault
dkim_name_check(const uint8_t *p, size_t len, int edges)
{
	size_t i, label = 0;

	if (len == 0)
		return DKIM_NAME_EMPTY;
	for (i = 0; i < len; i++) {
		if (i >= VOUCH_DNS_MAX_NAME)
			return DKIM_NAME_TOO_LONG;
		if (p[i] == '.' && label > 0 && i + 1 == len)
			return DKIM_NAME_FINAL_DOT;
		if (p[i] == '.' && label == 0)
			return DKIM_NAME_EMPTY_LABEL;
		if (p[i] == '.' && edges && p[i - 1] == '-')
			return DKIM_NAME_HYPHEN_END;
		if (p[i] == '.') {
			label = 0;
			continue;
		}
		if (!is_name_byte(p[i]))
			return DKIM_NAME_BAD_BYTE;
		if (p[i] == '-' && edges && label == 0)
			return DKIM_NAME_HYPHEN_START;
		if (++label > VOUCH_DNS_MAX_LABEL)
			return DKIM_NAME_LONG_LABEL;
	}
	return edges && p[len - 1] == '-' ? DKIM_NAME_HYPHEN_END : DKIM_NAME_OK;
}

/*
 * A DNS name as the record and the signature need it (dkim_name_check),
 * a final dot allowed for a zone file's owner name.
 */
int
dkim_name_ok(const char *s)
{
	enum dkim_name_fault f;

	if (s == NULL)
		return 0;
	f = dkim_name_check((const uint8_t *)s, strlen(s), 0);
	return f == DKIM_NAME_OK || f == DKIM_NAME_FINAL_DOT;
}

enum vouch_status
dkim_key_public_b64(const struct vouch_dkim_key *key, struct vbuf *b)
{
	uint8_t *der = NULL, raw[32], *txt;
	size_t rawlen = sizeof(raw), n;
	int derlen;
	enum vouch_status st;

	if (key->pkey == NULL)
		return VOUCH_EINVAL; /* external: the public half is not here */
	if (key->type == VOUCH_DKIM_KEY_ED25519) {
		/* RFC 8463 §4.2: the raw 32-byte public key */
		if (!EVP_PKEY_get_raw_public_key(key->pkey, raw, &rawlen))
			return VOUCH_ECRYPTO;
		der = raw;
		derlen = (int)rawlen;
	} else {
		/* RFC 6376 §3.6.1: SubjectPublicKeyInfo, as every signer */
		derlen = i2d_PUBKEY(key->pkey, &der);
		if (derlen <= 0)
			return VOUCH_ECRYPTO;
	}
	/* RFC 4648 §4: 4 characters per 3 bytes, padded; and a NUL */
	n = ((size_t)derlen + 2) / 3 * 4;
	if ((txt = malloc(n + 1)) == NULL) {
		st = VOUCH_ENOMEM;
		goto out;
	}
	EVP_EncodeBlock(txt, der, derlen);
	st = vbuf_add(b, txt, n);
	free(txt);
out:
	if (der != raw)
		OPENSSL_free(der);
	return st;
}

static enum vouch_status
vouch_dkim_key_record_inner(const struct vouch_dkim_key *key,
    const char *domain, const char *selector, char **out, size_t *len)
{
	struct vbuf txt, rec;
	size_t off, n, dlen;
	enum vouch_status st;

	*out = NULL;
	if (!dkim_name_ok(domain) || !dkim_name_ok(selector))
		return VOUCH_EINVAL;
	dlen = strlen(domain);
	vbuf_init(&txt, 64 * 1024);
	vbuf_init(&rec, 64 * 1024);
	vbuf_addf(&txt, "v=DKIM1; k=%s; p=",
	    key->type == VOUCH_DKIM_KEY_RSA ? "rsa" : "ed25519");
	if ((st = dkim_key_public_b64(key, &txt)) != VOUCH_OK)
		goto out;
	vbuf_addf(&rec, "%s._domainkey.%s%s IN TXT (", selector, domain,
	    domain[dlen - 1] == '.' ? "" : ".");
	/* RFC 1035 §3.3.14: a character-string holds at most 255 bytes */
	for (off = 0; off < txt.len; off += n) {
		n = txt.len - off < 255 ? txt.len - off : 255;
		vbuf_addf(&rec, "%s\"%.*s\"", off == 0 ? " " : "\n\t", (int)n,
		    (const char *)txt.p + off);
	}
	vbuf_adds(&rec, " )\n");
	if ((st = rec.err) != VOUCH_OK)
		goto out;
	*out = vbuf_take(&rec, len);
out:
	vbuf_free(&txt);
	vbuf_free(&rec);
	return st;
}

/* The public entry; OpenSSL's error stack is left as it was. */
enum vouch_status
vouch_dkim_key_record(const struct vouch_dkim_key *key, const char *domain,
    const char *selector, char **out, size_t *len)
{
	enum vouch_status st;

	ERR_set_mark();
	st = vouch_dkim_key_record_inner(key, domain, selector, out, len);
	ERR_pop_to_mark();
	return st;
}

void
vouch_dkim_key_free(struct vouch_dkim_key *key)
{
	if (key == NULL)
		return;
	/* EVP_PKEY_free clears the private numbers (BN_clear_free). */
	EVP_PKEY_CTX_free(key->rsa_sign);
	EVP_PKEY_free(key->pkey);
	dkim_ed25519_wipe(key->ed25519_sk, sizeof(key->ed25519_sk));
	explicit_bzero(key, sizeof(*key));
	free(key);
}

enum vouch_status
vouch_dkim_key_new_external(enum vouch_dkim_key_type type, unsigned bits,
    vouch_dkim_sign_fn *fn, void *arg, struct vouch_dkim_key **out)
{
	struct vouch_dkim_key *key;

	if (out == NULL)
		return VOUCH_EINVAL;
	*out = NULL;
	if (fn == NULL)
		return VOUCH_EINVAL;
	if (type == VOUCH_DKIM_KEY_RSA) {
		/* RFC 8301 §3.2 */
		if (bits < VOUCH_DKIM_RSA_MIN_BITS ||
		    bits > VOUCH_DKIM_RSA_MAX_BITS)
			return VOUCH_EINVAL;
	} else if (type == VOUCH_DKIM_KEY_ED25519)
		bits = 256; /* RFC 8463 §3 */
	else
		return VOUCH_EINVAL;
	if ((key = calloc(1, sizeof(*key))) == NULL)
		return VOUCH_ENOMEM;
	key->type = type;
	key->bits = bits;
	key->sign_fn = fn;
	key->sign_arg = arg;
	*out = key;
	return VOUCH_OK;
}

enum vouch_status
vouch_dkim_key_sign_digest(const struct vouch_dkim_key *key,
    enum vouch_dkim_sign_alg alg, const uint8_t *digest, size_t dlen,
    uint8_t *sig, size_t cap, size_t *siglen)
{
	enum vouch_status st;
	size_t n = cap;

	if (key == NULL || digest == NULL || sig == NULL || siglen == NULL ||
	    dlen != 32 || key->pkey == NULL)
		return VOUCH_EINVAL;
	if (alg == VOUCH_DKIM_SIGN_ALG_AUTO)
		alg = key->type == VOUCH_DKIM_KEY_RSA
		          ? VOUCH_DKIM_SIGN_RSA_SHA256
		          : VOUCH_DKIM_SIGN_ED25519_SHA256;
	if ((alg == VOUCH_DKIM_SIGN_RSA_SHA256) !=
	    (key->type == VOUCH_DKIM_KEY_RSA))
		return VOUCH_EINVAL;
	/* RSA's signature is as long as the modulus; Ed25519's 64 bytes */
	if (cap < (key->type == VOUCH_DKIM_KEY_RSA ? key->bits / 8 : 64))
		return VOUCH_EINVAL;
	ERR_set_mark();
	st = dkim_sign_hash(key, alg, digest, dlen, sig, &n);
	ERR_pop_to_mark();
	*siglen = st == VOUCH_OK ? n : 0;
	return st;
}
