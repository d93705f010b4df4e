/*
 * The receiver's verdict on one message: SPF (RFC 7208) for the SMTP
 * identities, every DKIM signature (RFC 6376 §6), the ARC chain (RFC 8617
 * §5.2), DMARC (RFC 9989) with SPF and DKIM as facts, the trusted-sealer
 * override (RFC 8617 §7.2.1), the forged Authentication-Results fields
 * (RFC 8601 §5) and the field to prepend (RFC 8601 §2).  This file only
 * assembles the protocol modules through their public headers, and hands
 * the DKIM and ARC verifiers one scanned header (dkim_verify_parsed,
 * arc_verify_parsed).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "arc/internal.h"
#include "authres/internal.h"
#include "dkim/internal.h"
#include "mail/hdrscan.h"
#include "mail/header.h"
#include "mail/message.h"
#include "util/buf.h"
#include "vouch/verify.h"

/*
 * Bytes of header section held: the limit plus the empty line, and one
 * byte more so that a section over the limit reaches the DKIM verifier
 * as one, which then reports "header section too large" (dkim.h).
 */
#define VERIFY_HEADER_MAX (VOUCH_MAX_HEADER_BYTES + 4)

struct vouch_verify {
	struct vouch_dns *dns;
	struct vouch_spf *spf;
	struct vouch_dmarc *dmarc;
	struct vouch_verify_options opts;
	char authserv_id[VOUCH_AUTHRES_MAX_ID + 1];
	char receiver[VOUCH_AUTHRES_MAX_ID + 1];
	char **trusted; /* the trusted ARC sealers, copied */
	size_t ntrusted;
};

struct vouch_verify_msg {
	struct vouch_verify *v;
	struct vouch_verify_result *res;
	struct vbuf hdr; /* the section held; see hdr_borrowed */
	/* hdr.p is the caller's message (vouch_verify_message), not ours:
	 * not freed, never appended to */
	bool hdr_borrowed;
	struct vouch_dkim_verifier *dkim;
	struct vouch_arc_verifier *arc; /* NULL with skip_arc */
	size_t hdr_given; /* header bytes offered, dropped ones included */
	/* every header byte offered, held or not: the From fields, the
	 * shape of the section (a limit must not hide them) */
	struct mail_hdr_scan scan;
	/* From fields not wholly held: kept aside, each at most
	 * VOUCH_FROM_KEEP_BYTES (vbuf's ELIMIT marks one cut) */
	struct vbuf past[MAIL_SCAN_MAX_FROM];
	bool past_used[MAIL_SCAN_MAX_FROM];
	int state; /* 0 header, 1 body, 2 finished */
	/* the SMTP facts, kept for the field (copied) */
	char mail_from[VOUCH_SPF_MAX_TEXT + 1];
	size_t mail_from_len;
	char helo[VOUCH_DNS_MAX_NAME + 1];
	size_t helo_len;
	char ip[64]; /* "" when unknown; an address is at most 45 bytes */
};

void
vouch_verify_options_init(struct vouch_verify_options *o)
{
	memset(o, 0, sizeof(*o));
	vouch_dkim_options_init(&o->dkim);
	o->spf_cache = VOUCH_SPF_CACHE_DNS | VOUCH_SPF_CACHE_RESULTS;
}

static void
set_err(char *err, size_t errlen, const char *msg)
{
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s", msg);
}

/*
 * A trusted sealer is compared with ARC-Seal d= values, which are domain
 * names (RFC 8617 §4.1.3, RFC 6376 §3.5): letters, digits, '-', '_' and
 * non-empty labels; a trailing dot is accepted and dropped.  Returns the
 * length to keep, 0 when the name is not one.
 */
static size_t
sealer_len(const char *name)
{
	size_t i, len = strlen(name);

	if (len > 0 && name[len - 1] == '.')
		len--;
	if (len == 0 || len > VOUCH_DNS_MAX_NAME || name[0] == '.')
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c == '.' && name[i + 1] == '.')
			return 0; /* an empty label */
		if (c != '.' && c != '-' && c != '_' &&
		    !(c >= '0' && c <= '9') && !(c >= 'a' && c <= 'z') &&
		    !(c >= 'A' && c <= 'Z'))
			return 0;
	}
	return len;
}

/* Copies the trusted sealers of the options into the handle. */
static enum vouch_status
copy_sealers(struct vouch_verify *v, char *err, size_t errlen)
{
	const char *const *names = v->opts.trusted_sealers;
	size_t i, n = v->opts.ntrusted_sealers, len;

	v->opts.trusted_sealers = NULL;
	v->opts.ntrusted_sealers = 0;
	if (n == 0)
		return VOUCH_OK;
	if (names == NULL) {
		set_err(err, errlen, "no trusted sealer names");
		return VOUCH_EINVAL;
	}
	if ((v->trusted = calloc(n, sizeof(*v->trusted))) == NULL)
		return VOUCH_ENOMEM;
	for (i = 0; i < n; i++) {
		if (names[i] == NULL || (len = sealer_len(names[i])) == 0) {
			set_err(err, errlen,
			    "a trusted ARC sealer must be a domain name");
			return VOUCH_EINVAL;
		}
		if ((v->trusted[i] = malloc(len + 1)) == NULL)
			return VOUCH_ENOMEM;
		memcpy(v->trusted[i], names[i], len);
		v->trusted[i][len] = '\0';
		v->ntrusted = i + 1;
	}
	v->opts.trusted_sealers = (const char *const *)v->trusted;
	v->opts.ntrusted_sealers = v->ntrusted;
	return VOUCH_OK;
}

/* An authserv-id must be 1..MAX_ID bytes without control characters. */
static int
valid_id(const char *id, size_t len)
{
	size_t i;

	if (len == 0 || len > VOUCH_AUTHRES_MAX_ID)
		return 0;
	for (i = 0; i < len; i++)
		if ((unsigned char)id[i] < 0x20 || id[i] == 0x7f)
			return 0;
	return 1;
}

enum vouch_status
vouch_verify_new(struct vouch_dns *dns, const struct vouch_verify_options *opts,
    struct vouch_verify **out, char *err, size_t errlen)
{
	struct vouch_verify *v;
	enum vouch_status st;
	const char *id;
	char host[VOUCH_AUTHRES_MAX_ID + 1];
	size_t len;

	if (out == NULL)
		return VOUCH_EINVAL;
	*out = NULL;
	if (dns == NULL) {
		set_err(err, errlen, "no resolver");
		return VOUCH_EINVAL;
	}
	if ((v = calloc(1, sizeof(*v))) == NULL)
		return VOUCH_ENOMEM;
	v->dns = dns;
	if (opts != NULL)
		v->opts = *opts;
	else
		vouch_verify_options_init(&v->opts);
	id = v->opts.authserv_id;
	if (id == NULL) {
		memset(host, 0, sizeof(host));
		if (gethostname(host, sizeof(host) - 1) != 0 || host[0] == 0) {
			set_err(err, errlen,
			    "cannot find the host name for "
			    "the authserv-id");
			st = VOUCH_EIO;
			goto fail;
		}
		id = host;
	}
	len = strlen(id);
	if (!valid_id(id, len)) {
		set_err(err, errlen,
		    "authserv-id must be 1 to 255 bytes, "
		    "no control characters");
		st = VOUCH_EINVAL;
		goto fail;
	}
	memcpy(v->authserv_id, id, len + 1);
	v->opts.authserv_id = v->authserv_id;
	if (v->opts.receiver != NULL) {
		len = strlen(v->opts.receiver);
		if (!valid_id(v->opts.receiver, len)) {
			set_err(err, errlen,
			    "receiver name must be 1 to 255 "
			    "bytes, no control characters");
			st = VOUCH_EINVAL;
			goto fail;
		}
		memcpy(v->receiver, v->opts.receiver, len + 1);
	} else
		memcpy(v->receiver, v->authserv_id, sizeof(v->receiver));
	v->opts.receiver = v->receiver;
	if ((st = copy_sealers(v, err, errlen)) != VOUCH_OK)
		goto fail;
	if (v->opts.shared_spf != NULL)
		v->spf = v->opts.shared_spf; /* the caller's, caches set */
	else if ((st = vouch_spf_new(dns, &v->spf)) != VOUCH_OK)
		goto fail;
	else
		vouch_spf_set_cache(v->spf, v->opts.spf_cache);
	if ((st = vouch_dmarc_new(&v->opts.dmarc, &v->dmarc, err, errlen)) !=
	    VOUCH_OK)
		goto fail;
	*out = v;
	return VOUCH_OK;
fail:
	vouch_verify_free(v);
	return st;
}

void
vouch_verify_free(struct vouch_verify *v)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < v->ntrusted; i++)
		free(v->trusted[i]);
	free(v->trusted);
	if (v->spf != v->opts.shared_spf)
		vouch_spf_free(v->spf);
	vouch_dmarc_free(v->dmarc);
	free(v);
}

const char *
vouch_verify_authserv_id(const struct vouch_verify *v)
{
	return v->authserv_id;
}

int
vouch_verify_forged_field(
    const struct vouch_verify *v, const uint8_t *field, size_t len)
{
	size_t n = 0;
	enum vouch_status st;

	if (v == NULL || field == NULL || len == 0)
		return 0;
	/*
	 * The field alone is a header section of one field: find_ours reads
	 * its name (Authentication-Results, WSP allowed before the colon)
	 * and its authserv-id, also after a CR without LF inside it (readers
	 * that end lines there see a field of its own), and takes a field
	 * whose id cannot be read for ours (RFC 8601 §5; doc/threat-model.md,
	 * class 5).  So a field whose results do not parse, or a prefix of
	 * one, is judged too.
	 */
	st = vouch_authres_find_ours(
	    field, len, v->authserv_id, strlen(v->authserv_id), NULL, 0, &n);
	return (st == VOUCH_OK || st == VOUCH_ELIMIT) && n > 0;
}

void
vouch_verify_result_free(struct vouch_verify_result *res)
{
	if (res == NULL)
		return;
	vouch_dkim_result_free(res->dkim);
	vouch_arc_result_free(res->arc);
	free(res->override_comment);
	vouch_dmarc_result_free(&res->dmarc);
	free(res->forged);
	free(res->field);
	free(res);
}

/* What m holds, released; m itself is the caller's. */
static void
msg_release(struct vouch_verify_msg *m)
{
	size_t i;

	vouch_dkim_verify_free(m->dkim);
	vouch_arc_verify_free(m->arc);
	vouch_verify_result_free(m->res);
	if (!m->hdr_borrowed)
		vbuf_free(&m->hdr);
	for (i = 0; i < MAIL_SCAN_MAX_FROM; i++)
		vbuf_free(&m->past[i]);
}

void
vouch_verify_msg_free(struct vouch_verify_msg *m)
{
	if (m == NULL)
		return;
	msg_release(m);
	free(m);
}

/* Copies (p, len) into a fixed array, cut at cap - 1; NUL-terminated. */
static size_t
copy_text(char *dst, size_t cap, const char *p, size_t len)
{
	if (len > cap - 1)
		len = cap - 1;
	if (len > 0)
		memcpy(dst, p, len);
	dst[len] = '\0';
	return len;
}

static enum vouch_status
run_spf(struct vouch_verify *v, const struct vouch_verify_smtp *smtp,
    enum vouch_spf_identity identity, struct vouch_spf_result *out)
{
	struct vouch_spf_request req;

	memset(&req, 0, sizeof(req));
	req.ip = smtp->ip;
	req.ip_len = smtp->ip_len;
	req.mail_from = smtp->mail_from;
	req.mail_from_len = smtp->mail_from_len;
	req.helo = smtp->helo;
	req.helo_len = smtp->helo_len;
	req.receiver = v->receiver;
	req.receiver_len = strlen(v->receiver);
	req.identity = identity;
	req.now = smtp->now;
	return vouch_spf_check(v->spf, &req, out);
}

/* Zero bytes [from, to) of res. */
static void
clear_span(struct vouch_verify_result *res, size_t from, size_t to)
{
	memset((char *)res + from, 0, to - from);
}

/* An SPF result with nothing found: vouch_spf_check's start, no clear. */
static void
spf_empty(struct vouch_spf_result *r)
{
	r->verdict = VOUCH_SPF_NONE;
	r->identity = VOUCH_SPF_MAILFROM;
	r->sender[0] = r->domain[0] = r->mechanism[0] = '\0';
	r->explanation[0] = r->reason[0] = '\0';
	r->dns_lookups = r->void_lookups = r->dns_queries = 0;
}

/*
 * A new result, zero but for what is written whole before anyone reads
 * it, because clearing its 28 KB was a fixed cost of every verdict: the
 * two SPF results are emptied as vouch_spf_check empties them (their
 * texts ""), and of the DMARC result only the head before the author
 * domains and the tail after them are cleared (ndomains 0: no domain is
 * valid, and vouch_dmarc_result_free reads no other); vouch_dmarc_evaluate
 * clears it again before a result is handed out (run_dmarc always runs
 * before vouch_verify_msg_finish gives the result).
 */
static struct vouch_verify_result *
result_new(void)
{
	typedef struct vouch_verify_result R;
	struct vouch_verify_result *res;

	if ((res = malloc(sizeof(*res))) == NULL)
		return NULL;
	clear_span(res, 0, offsetof(R, spf));
	spf_empty(&res->spf);
	clear_span(res, offsetof(R, spf) + sizeof(res->spf), offsetof(R, helo));
	spf_empty(&res->helo);
	clear_span(res, offsetof(R, helo) + sizeof(res->helo),
	    offsetof(R, dmarc.domain));
	clear_span(res, offsetof(R, dmarc.nlookups), sizeof(*res));
	return res;
}

/* The SMTP facts as vouch_verify_msg_new takes them (doc: EINVAL). */
static bool
smtp_ok(const struct vouch_verify *v, const struct vouch_verify_smtp *smtp)
{
	return v != NULL && smtp != NULL &&
	       !(smtp->ip == NULL && smtp->ip_len) &&
	       !(smtp->helo == NULL && smtp->helo_len) &&
	       !(smtp->mail_from == NULL && smtp->mail_from_len);
}

/*
 * A message's start in m, which the caller zeroed: the result, the SPF
 * checks.  On failure what m holds is for msg_release.
 */
static enum vouch_status
msg_init(struct vouch_verify *v, const struct vouch_verify_smtp *smtp,
    struct vouch_verify_msg *m)
{
	struct vouch_verify_result *res;
	enum vouch_status st;
	size_t i;

	if ((m->res = res = result_new()) == NULL)
		return VOUCH_ENOMEM;
	m->v = v;
	vbuf_init(&m->hdr, VERIFY_HEADER_MAX + 1);
	mail_hdr_scan_init(&m->scan);
	for (i = 0; i < MAIL_SCAN_MAX_FROM; i++)
		vbuf_init(&m->past[i], VOUCH_FROM_KEEP_BYTES);
	memcpy(res->authserv_id, v->authserv_id, sizeof(res->authserv_id));
	m->mail_from_len = copy_text(m->mail_from, sizeof(m->mail_from),
	    smtp->mail_from, smtp->mail_from_len);
	m->helo_len =
	    copy_text(m->helo, sizeof(m->helo), smtp->helo, smtp->helo_len);
	/* an address longer than ip[] is refused by SPF below */
	(void)copy_text(m->ip, sizeof(m->ip), smtp->ip, smtp->ip_len);
	if (smtp->ip_len > 0) {
		/* RFC 7208 §2.4: with a null MAIL FROM the MAIL FROM check
		 * is of postmaster@HELO; the SPF module does it. */
		st = run_spf(v, smtp, VOUCH_SPF_MAILFROM, &res->spf);
		if (st != VOUCH_OK)
			return st;
		res->spf_checked = true;
		if (v->opts.check_helo && smtp->mail_from_len > 0 &&
		    smtp->helo_len > 0) {
			st = run_spf(v, smtp, VOUCH_SPF_HELO, &res->helo);
			if (st != VOUCH_OK)
				return st;
			res->helo_checked = true;
		}
	}
	return VOUCH_OK;
}

enum vouch_status
vouch_verify_msg_new(struct vouch_verify *v,
    const struct vouch_verify_smtp *smtp, struct vouch_verify_msg **out)
{
	struct vouch_verify_msg *m;
	enum vouch_status st;

	if (out == NULL)
		return VOUCH_EINVAL;
	*out = NULL;
	if (!smtp_ok(v, smtp))
		return VOUCH_EINVAL;
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return VOUCH_ENOMEM;
	if ((st = msg_init(v, smtp, m)) != VOUCH_OK) {
		vouch_verify_msg_free(m);
		return st;
	}
	*out = m;
	return VOUCH_OK;
}

/*
 * One header byte past what is held: scanned, and kept aside when it is
 * part of a From field, so that a From field anywhere in the header is
 * evaluated (the size of the header is the sender's choice; doc/threat-
 * model.md, class 3).  A From field cut by the limit is kept from its
 * start; one whose name ends past the limit starts with "From:", which
 * is all the address parser reads of a name.
 */
static enum vouch_status
past_byte(struct vouch_verify_msg *m, uint8_t c)
{
	struct mail_hdr_scan *sc = &m->scan;
	size_t before = sc->nfrom, k, off;
	int was = sc->cur_from;

	if (was && sc->nfrom <= MAIL_SCAN_MAX_FROM &&
	    !m->past_used[sc->nfrom - 1]) {
		/* the From in progress is cut by the limit: its held part */
		k = sc->nfrom - 1;
		off = sc->from[k].off;
		m->past_used[k] = true;
		if (off < m->hdr.len)
			(void)vbuf_add(
			    &m->past[k], m->hdr.p + off, m->hdr.len - off);
	}
	(void)mail_hdr_scan_feed(sc, &c, 1);
	if (!sc->cur_from || sc->nfrom > MAIL_SCAN_MAX_FROM)
		return VOUCH_OK;
	k = sc->nfrom - 1;
	if (sc->nfrom != before) {
		/* the colon of a From field past the limit */
		m->past_used[k] = true;
		(void)vbuf_adds(&m->past[k], "From:");
	} else
		(void)vbuf_addc(&m->past[k], c);
	return m->past[k].err == VOUCH_ENOMEM ? VOUCH_ENOMEM : VOUCH_OK;
}

enum vouch_status
vouch_verify_msg_header(
    struct vouch_verify_msg *m, const uint8_t *p, size_t len)
{
	enum vouch_status st;
	size_t room, i;

	if (m == NULL || (p == NULL && len > 0) || m->state != 0)
		return VOUCH_EINVAL;
	m->hdr_given += len;
	room = VERIFY_HEADER_MAX + 1 - m->hdr.len;
	if (room > len)
		room = len;
	(void)mail_hdr_scan_feed(&m->scan, p, room);
	/* a whole section given in one call is held at once, not by
	 * doubling from 64 bytes (given a field at a time, it doubles) */
	if (m->hdr.p == NULL && room > 0)
		(void)vbuf_space(&m->hdr, room);
	if (room > 0 && vbuf_add(&m->hdr, p, room) != VOUCH_OK &&
	    m->hdr.err != VOUCH_ELIMIT)
		return m->hdr.err;
	/* past the limit: nothing held but From fields */
	for (i = room; i < len && !m->scan.ended; i++)
		if ((st = past_byte(m, p[i])) != VOUCH_OK)
			return st;
	return VOUCH_OK;
}

/* Appends one forged field, hdr[off..off+len), to the result. */
static enum vouch_status
add_forged(struct vouch_verify_result *res, size_t off, size_t len)
{
	struct vouch_authres_span *grown;

	grown = realloc(res->forged, (res->nforged + 1) * sizeof(*grown));
	if (grown == NULL)
		return VOUCH_ENOMEM;
	res->forged = grown;
	grown[res->nforged].off = off;
	grown[res->nforged].len = len;
	res->nforged++;
	return VOUCH_OK;
}

/*
 * Can the field p/len be one of ours, or hide one?  vouch_verify_forged_
 * field reads the name of the field and of every line that a CR without
 * LF starts (RFC 8601 §5, doc/threat-model.md class 5): a field whose name
 * does not start with 'A' and that holds no such CR is neither, and is
 * passed over without the call (every field of every message).  With
 * no_lone_cr (the header scan found every CR before an LF) no field holds
 * one, and only the name is looked at.
 */
static int
may_be_ours(const uint8_t *p, size_t len, int no_lone_cr)
{
	const uint8_t *r, *end = p + len;

	if (p[0] == 'A' || p[0] == 'a')
		return 1;
	if (no_lone_cr)
		return 0;
	for (r = p; r + 1 < end; r++) {
		if ((r = memchr(r, '\r', (size_t)(end - 1 - r))) == NULL)
			return 0;
		if (r[1] != '\n' && r[1] != ' ' && r[1] != '\t')
			return 1;
	}
	return 0;
}

/*
 * The forged fields: Authentication-Results claiming our authserv-id
 * (RFC 8601 §5: an MTA MUST remove or render unreadable such fields that
 * arrive from outside).  Each field is judged alone, so no count of
 * fields or bytes around it can hide one.  A header over the limit was
 * cut inside its last field: that field is left alone (the rest of it
 * was not seen).
 */
/*
 * find_forged over the fields the header parse split (h, parsed) when
 * they are the held section's own bytes, in order: every line ended in
 * CRLF (so the section was not copied, and no field hides a lone CR), the
 * section parsed whole and was not cut.  Those fields are the ones the
 * line walk of find_forged would find, so the section is not walked
 * again.  Returns -1 when they cannot be used, else the status.
 */
static int
forged_in_fields(struct vouch_verify_msg *m, const struct mail_header *h,
    enum vouch_status parsed, enum vouch_status *st)
{
	const struct mail_field *f;
	size_t i, n0 = m->res->nforged;

	if (parsed != VOUCH_OK || h->buf != NULL || m->hdr.p == NULL ||
	    m->scan.malformed != NULL || m->res->header_too_large)
		return -1;
	*st = VOUCH_OK;
	for (i = 0; i < h->nfield && *st == VOUCH_OK; i++) {
		f = &h->field[i];
		if (f->raw < m->hdr.p || f->len > m->hdr.len ||
		    (size_t)(f->raw - m->hdr.p) > m->hdr.len - f->len) {
			m->res->nforged =
			    n0; /* cannot be: not the held bytes */
			return -1;
		}
		if (may_be_ours(f->raw, f->len, 1) &&
		    vouch_verify_forged_field(m->v, f->raw, f->len))
			*st = add_forged(
			    m->res, (size_t)(f->raw - m->hdr.p), f->len);
	}
	return 0;
}

static enum vouch_status
find_forged(struct vouch_verify_msg *m)
{
	const uint8_t *h = m->hdr.p, *nl;
	size_t len = m->hdr.len, off = 0, field = 0, next;
	enum vouch_status st;
	int in_field = 0;
	/*
	 * The header scan saw every byte of the section (the held ones
	 * first) and names the first thing RFC 5322 does not allow: when
	 * there is none, every CR is before an LF, and no field hides one.
	 */
	int no_lone_cr = m->scan.malformed == NULL;

	if (h == NULL) /* nothing read: no field, forged or not */
		return VOUCH_OK;
	while (off < len) {
		nl = memchr(h + off, '\n', len - off);
		next = nl != NULL ? (size_t)(nl - h) + 1 : len;
		/* the empty line ends the header section (RFC 5322 §2.1) */
		if (h[off] == '\n' ||
		    (h[off] == '\r' && next - off == 2 && h[off + 1] == '\n'))
			break;
		if (h[off] != ' ' && h[off] != '\t') {
			/* a new field: the previous one is whole */
			if (in_field &&
			    may_be_ours(h + field, off - field, no_lone_cr) &&
			    vouch_verify_forged_field(
			        m->v, h + field, off - field) &&
			    (st = add_forged(m->res, field, off - field)) !=
			        VOUCH_OK)
				return st;
			field = off;
			in_field = 1;
		}
		off = next;
	}
	if (in_field && !(m->res->header_too_large && off == len) &&
	    may_be_ours(h + field, off - field, no_lone_cr) &&
	    vouch_verify_forged_field(m->v, h + field, off - field))
		return add_forged(m->res, field, off - field);
	return VOUCH_OK;
}

/*
 * The ARC validator, given the header section held (RFC 8617 §5.2 steps
 * 1-3 and the seals now, the AMS body hashes with the body): the same
 * single pass over the message as DKIM.  A section over the limit is a
 * chain fail (RFC 8617 §5.2.1: every error is a fail).
 */
static enum vouch_status
start_arc(struct vouch_verify_msg *m, const struct mail_header *h,
    enum vouch_status parsed)
{
	struct vouch_arc_options ao;
	enum vouch_status st;

	/*
	 * RFC 8617 §5.2 step 1: no ARC field, no chain: its result (none)
	 * is all there is, and no validator is made (most mail; what
	 * arc_verify_parsed would decide with one).
	 */
	if (parsed == VOUCH_OK && arc_field_count(h) == 0)
		return (m->res->arc = arc_result_none()) != NULL ? VOUCH_OK
		                                                 : VOUCH_ENOMEM;
	vouch_arc_options_init(&ao);
	ao.now = m->v->opts.dkim.now;
	ao.legacy = m->v->opts.dkim.legacy;
	if ((st = vouch_arc_verify_new(m->v->dns, &ao, &m->arc)) != VOUCH_OK)
		return st;
	return arc_verify_parsed(m->arc, h, parsed);
}

/*
 * End of the header section: DKIM and ARC keys and header hashes,
 * forgeries.  The section is scanned into fields once for both verifiers
 * (what vouch_dkim_verify_header and vouch_arc_verify_header would each
 * do: a copy and a split of the whole header, per message).
 */
static enum vouch_status
end_header(struct vouch_verify_msg *m)
{
	struct mail_header h;
	enum vouch_status st, parsed;

	m->state = 1;
	if (m->hdr.err == VOUCH_ENOMEM)
		return VOUCH_ENOMEM;
	mail_hdr_scan_end(&m->scan);
	m->res->header_too_large = m->hdr_given > VERIFY_HEADER_MAX;
	m->res->orphan_len = m->scan.orphan_len;
	st = vouch_dkim_verify_new(m->v->dns, &m->v->opts.dkim, &m->dkim);
	if (st != VOUCH_OK)
		return st;
	parsed = mail_header_parse(
	    &h, m->hdr.p ? m->hdr.p : (const uint8_t *)"", m->hdr.len);
	st = dkim_verify_parsed(m->dkim, &h, parsed);
	if (st == VOUCH_OK && !m->v->opts.skip_arc)
		st = start_arc(m, &h, parsed);
	/* the forged fields from the same split, when it can serve */
	if (st == VOUCH_OK && forged_in_fields(m, &h, parsed, &st) < 0)
		st = find_forged(m);
	mail_header_free(&h);
	return st;
}

enum vouch_status
vouch_verify_msg_body(struct vouch_verify_msg *m, const uint8_t *p, size_t len)
{
	enum vouch_status st;

	if (m == NULL || (p == NULL && len > 0) || m->state == 2)
		return VOUCH_EINVAL;
	if (m->state == 0 && (st = end_header(m)) != VOUCH_OK) {
		m->state = 2;
		return st;
	}
	if (len == 0)
		return VOUCH_OK;
	if ((st = vouch_dkim_verify_body(m->dkim, p, len)) != VOUCH_OK)
		return st;
	return m->arc != NULL ? vouch_arc_verify_body(m->arc, p, len)
	                      : VOUCH_OK;
}

static enum vouch_dmarc_auth
spf_auth(enum vouch_spf_verdict v)
{
	switch (v) {
	case VOUCH_SPF_PASS:
		return VOUCH_DMARC_AUTH_PASS;
	case VOUCH_SPF_FAIL:
		return VOUCH_DMARC_AUTH_FAIL;
	case VOUCH_SPF_SOFTFAIL:
		return VOUCH_DMARC_AUTH_SOFTFAIL;
	case VOUCH_SPF_NEUTRAL:
		return VOUCH_DMARC_AUTH_NEUTRAL;
	case VOUCH_SPF_TEMPERROR:
		return VOUCH_DMARC_AUTH_TEMPERROR;
	case VOUCH_SPF_PERMERROR:
		return VOUCH_DMARC_AUTH_PERMERROR;
	default:
		return VOUCH_DMARC_AUTH_NONE;
	}
}

static enum vouch_dmarc_auth
dkim_auth(enum vouch_dkim_verdict v)
{
	switch (v) {
	case VOUCH_DKIM_PASS:
		return VOUCH_DMARC_AUTH_PASS;
	case VOUCH_DKIM_FAIL:
		return VOUCH_DMARC_AUTH_FAIL;
	case VOUCH_DKIM_NEUTRAL:
		return VOUCH_DMARC_AUTH_NEUTRAL;
	case VOUCH_DKIM_POLICY:
		return VOUCH_DMARC_AUTH_POLICY;
	case VOUCH_DKIM_TEMPERROR:
		return VOUCH_DMARC_AUTH_TEMPERROR;
	case VOUCH_DKIM_PERMERROR:
		return VOUCH_DMARC_AUTH_PERMERROR;
	default:
		return VOUCH_DMARC_AUTH_NONE;
	}
}

/*
 * The From fields, held or kept aside, and what the header scan found
 * that DMARC cannot see in them: a section that is not RFC 5322 (RFC 9989
 * §4.4: DMARC is predicated on a valid message), or a From field not read
 * whole (one past the limit over VOUCH_FROM_KEEP_BYTES, or more than
 * MAIL_SCAN_MAX_FROM of them).  Either makes the message unsafe
 * (doc/threat-model.md, classes 1 and 3).
 */
static void
header_facts(struct vouch_verify_msg *m, struct vouch_dmarc_facts *f,
    const uint8_t **from, size_t *fromlen, size_t *nfrom, char *why,
    size_t whylen)
{
	const struct mail_hdr_scan *sc = &m->scan;
	size_t i, nout = 0, kept;

	*nfrom = 0;
	kept = sc->nfrom < MAIL_SCAN_MAX_FROM ? sc->nfrom : MAIL_SCAN_MAX_FROM;
	for (i = 0; i < kept; i++) {
		if (m->past_used[i]) {
			/* kept aside, whole unless over VOUCH_FROM_KEEP_BYTES
			 */
			if (m->past[i].err != VOUCH_OK ||
			    m->past[i].p == NULL) {
				nout++;
				continue;
			}
			from[*nfrom] = m->past[i].p;
			fromlen[*nfrom] = m->past[i].len;
		} else if (sc->from[i].off <= m->hdr.len &&
		           sc->from[i].len <= m->hdr.len - sc->from[i].off) {
			from[*nfrom] = m->hdr.p + sc->from[i].off;
			fromlen[*nfrom] = sc->from[i].len;
		} else {
			nout++;
			continue;
		}
		(*nfrom)++;
	}
	nout += sc->nfrom - kept;
	if (sc->malformed != NULL) {
		snprintf(why, whylen, "header section not RFC 5322: %s",
		    sc->malformed);
		f->unsafe = VOUCH_DMARC_UNSAFE_HEADER;
	} else if (nout > 0) {
		snprintf(why, whylen, "%zu From field%s not read whole", nout,
		    nout == 1 ? "" : "s");
		f->unsafe = VOUCH_DMARC_UNSAFE_INCOMPLETE;
	}
	f->unsafe_reason = f->unsafe != VOUCH_DMARC_SAFE ? why : NULL;
}

/* DMARC with the SPF and DKIM results as facts (RFC 9989 §5.3). */
static enum vouch_status
run_dmarc(struct vouch_verify_msg *m)
{
	struct vouch_verify_result *res = m->res;
	struct vouch_dmarc_facts facts;
	const uint8_t *from[MAIL_SCAN_MAX_FROM];
	size_t fromlen[MAIL_SCAN_MAX_FROM], nfrom, i;
	char why[200];

	memset(&facts, 0, sizeof(facts));
	if (res->spf_checked) {
		/* RFC 9989 §3.2.4: the MAIL FROM domain, or the HELO
		 * identity when MAIL FROM was null; res->spf.domain is the
		 * domain check_host() was given in either case. */
		res->dmarc_spf.result = spf_auth(res->spf.verdict);
		res->dmarc_spf.domain = res->spf.domain;
		res->dmarc_spf.domainlen = strlen(res->spf.domain);
		facts.spf = &res->dmarc_spf;
	}
	for (i = 0; i < res->dkim->nsig && i < VOUCH_DKIM_MAX_SIGNATURES; i++) {
		res->dmarc_dkim[i].result = dkim_auth(res->dkim->sig[i].result);
		res->dmarc_dkim[i].domain = res->dkim->sig[i].d;
		res->dmarc_dkim[i].domainlen = strlen(res->dkim->sig[i].d);
	}
	res->ndkim_facts = i;
	facts.dkim = res->dmarc_dkim;
	facts.ndkim = i;
	/*
	 * A header section over the limits is not a reason to skip DMARC
	 * (the sender chose its size): the From fields found are evaluated,
	 * and one not wholly held makes the message unsafe.
	 */
	header_facts(m, &facts, from, fromlen, &nfrom, why, sizeof(why));
	return vouch_dmarc_evaluate(
	    m->v->dmarc, m->v->dns, from, fromlen, nfrom, &facts, &res->dmarc);
}

/* The first smtp.remote-ip of a parsed AAR, or NULL. */
static const struct vouch_authres_prop *
remote_ip(const struct vouch_authres *ar)
{
	const struct vouch_authres_prop *pr;
	size_t k, j;

	for (k = 0; k < ar->nresults; k++)
		for (j = 0; j < ar->results[k].nprops; j++) {
			pr = &ar->results[k].props[j];
			if (strcmp(pr->ptype, "smtp") == 0 &&
			    strcmp(pr->property, "remote-ip") == 0)
				return pr;
		}
	return NULL;
}

/*
 * The comment of the aggregate report's override reason, RFC 8617 §7.2.2:
 * the chain status, each ARC-Seal's domain and selector, newest first,
 * and the originating address that the first set's AAR recorded.  At
 * most 50 sets of two names: well under the cap.
 */
static enum vouch_status
override_comment(struct vouch_verify_result *res)
{
	const struct vouch_arc_result *arc = res->arc;
	const struct vouch_arc_instance *in;
	const struct vouch_authres_prop *ip;
	struct vouch_authres *ar = NULL;
	struct vbuf b;
	enum vouch_status st;
	size_t k;

	vbuf_init(&b, VOUCH_AUTHRES_MAX_FIELD);
	(void)vbuf_addf(&b, "arc=%s", vouch_arc_cv_str(arc->cv));
	for (k = arc->ninst; k > 0; k--) {
		in = &arc->inst[k - 1];
		(void)vbuf_addf(&b, " as[%u].d=%s as[%u].s=%s", in->i,
		    in->seal_d, in->i, in->seal_s);
	}
	in = arc->ninst > 0 ? &arc->inst[0] : NULL;
	if (in != NULL && in->i == 1 && in->aar != NULL) {
		st = vouch_authres_parse(
		    (const uint8_t *)in->aar, in->aar_len, &ar);
		if (st == VOUCH_ENOMEM) {
			vbuf_free(&b);
			return st;
		}
		/* an AAR that does not parse names no address */
		if (ar != NULL && (ip = remote_ip(ar)) != NULL)
			(void)vbuf_addf(&b, " remote-ip[1]=%.*s",
			    (int)ip->value_len, ip->value);
		vouch_authres_result_free(ar);
	}
	if (b.err != VOUCH_OK) {
		st = b.err;
		vbuf_free(&b);
		return st;
	}
	res->override_comment = vbuf_take(&b, NULL);
	return VOUCH_OK;
}

/* Is `name` one of the handle's trusted sealers (RFC 8617 §4.1.3 d=)? */
static int
is_trusted(const struct vouch_verify *v, const char *name)
{
	size_t t;

	for (t = 0; t < v->ntrusted; t++)
		if (strcasecmp(name, v->trusted[t]) == 0)
			return 1;
	return 0;
}

/* Is `sub` the domain `dom` or below it?  Both lower case. */
static int
within(const char *sub, const char *dom)
{
	size_t ls = strlen(sub), ld = strlen(dom);

	if (ld == 0 || ls < ld || strcmp(sub + ls - ld, dom) != 0)
		return 0;
	return ls == ld || sub[ls - ld - 1] == '.';
}

/*
 * Does an identifier an AAR recorded (p/len, a domain as written there)
 * align with the failing author domain dr under `mode` (RFC 9989 §4.4,
 * §4.10.2)?  Strict: the same name.  Relaxed: the same Organizational
 * Domain, looked up only when the identifier is the author's
 * Organizational Domain or below it (no other can align, so no other
 * lookup could matter).  A lookup that fails gives no alignment.
 */
static int
aar_aligned(struct vouch_verify_msg *m,
    const struct vouch_dmarc_domain_result *dr, const char *p, size_t len,
    enum vouch_dmarc_alignment mode)
{
	char name[VOUCH_DNS_MAX_NAME + 1], org[VOUCH_DNS_MAX_NAME + 1];
	size_t i;

	if (len > 0 && p[len - 1] == '.')
		len--;
	if (len == 0 || len > VOUCH_DNS_MAX_NAME)
		return 0;
	for (i = 0; i < len; i++) {
		if (p[i] == '\0')
			return 0;
		name[i] = p[i] >= 'A' && p[i] <= 'Z' ? (char)(p[i] - 'A' + 'a')
		                                     : p[i];
	}
	name[len] = '\0';
	if (strcmp(name, dr->author_domain) == 0)
		return 1;
	if (mode == VOUCH_DMARC_STRICT || !within(name, dr->org_domain))
		return 0;
	if (vouch_dmarc_org_domain(m->v->dmarc, m->v->dns, name, len, org,
	        sizeof(org)) != VOUCH_OK)
		return 0;
	return strcmp(org, dr->org_domain) == 0;
}

/* The value of property ptype.property of result r, or NULL. */
static const struct vouch_authres_prop *
aar_prop(const struct vouch_authres_result *r, const char *ptype,
    const char *property)
{
	size_t j;

	for (j = 0; j < r->nprops; j++)
		if (strcmp(r->props[j].ptype, ptype) == 0 &&
		    strcmp(r->props[j].property, property) == 0)
			return &r->props[j];
	return NULL;
}

/*
 * Did the AAR record a pass aligned with the failing author domain dr: a
 * dmarc=pass for header.from=dr's domain, an spf=pass whose smtp.mailfrom
 * (or smtp.helo) domain aligns under aspf, or a dkim=pass whose header.d
 * aligns under adkim?  RFC 8617 §7.2.1 lets a receiver accept the chain's
 * DMARC assessment, which is about this author, not any pass of any
 * domain.  Records each kind seen in t.
 */
static int
aar_passes(struct vouch_verify_msg *m, const struct vouch_authres *ar,
    const struct vouch_dmarc_domain_result *dr, struct vouch_arc_override *t)
{
	const struct vouch_authres_result *r;
	const struct vouch_authres_prop *pr;
	const char *at;
	size_t k;
	int any = 0;

	for (k = 0; k < ar->nresults; k++) {
		r = &ar->results[k];
		if (strcmp(r->result, "pass") != 0)
			continue;
		if (strcmp(r->method, "dmarc") == 0 &&
		    (pr = aar_prop(r, "header", "from")) != NULL &&
		    aar_aligned(
		        m, dr, pr->value, pr->value_len, VOUCH_DMARC_STRICT))
			any = t->dmarc = true;
		else if (strcmp(r->method, "dkim") == 0 &&
		         (pr = aar_prop(r, "header", "d")) != NULL &&
		         aar_aligned(
		             m, dr, pr->value, pr->value_len, dr->record.adkim))
			any = t->dkim = true;
		else if (strcmp(r->method, "spf") == 0 &&
		         ((pr = aar_prop(r, "smtp", "mailfrom")) != NULL ||
		             (pr = aar_prop(r, "smtp", "helo")) != NULL)) {
			at = memrchr(pr->value, '@', pr->value_len);
			at = at != NULL ? at + 1 : pr->value;
			if (aar_aligned(m, dr, at,
			        pr->value_len - (size_t)(at - pr->value),
			        dr->record.aspf))
				any = t->spf = true;
		}
	}
	return any;
}

/*
 * Does set `in` record an aligned pass for every failing author domain?
 * 1 yes, 0 no (why says which), -1 out of memory.
 */
static int
set_vouches(struct vouch_verify_msg *m, const struct vouch_arc_instance *in,
    struct vouch_arc_override *t, char *why, size_t whylen)
{
	const struct vouch_dmarc_result *d = &m->res->dmarc;
	struct vouch_authres *ar = NULL;
	enum vouch_status st;
	size_t k;
	int ok = 1;

	if (in->aar == NULL) {
		snprintf(
		    why, whylen, "the trusted ARC Set i=%u has no AAR", in->i);
		return 0;
	}
	st = vouch_authres_parse((const uint8_t *)in->aar, in->aar_len, &ar);
	if (st == VOUCH_ENOMEM)
		return -1;
	if (st != VOUCH_OK) {
		snprintf(why, whylen,
		    "the AAR of the trusted ARC Set i=%u does not parse",
		    in->i);
		return 0;
	}
	for (k = 0; k < d->ndomains && ok; k++)
		if (d->domain[k].result == VOUCH_DMARC_FAIL &&
		    !aar_passes(m, ar, &d->domain[k], t)) {
			snprintf(why, whylen,
			    "the trusted ARC Set i=%u (%s) recorded no pass "
			    "aligned with %s",
			    in->i, in->seal_d, d->domain[k].author_domain);
			ok = 0;
		}
	vouch_authres_result_free(ar);
	return ok;
}

/*
 * The ARC Set whose word may override the DMARC fail, newest first: a set
 * sealed by a trusted domain, after which every set was sealed by a
 * trusted domain too (an untrusted hop after it could have changed what
 * it vouched for), whose AMS still verifies (its instance is at least
 * oldest-pass: the message is as it sealed it, RFC 8617 §5.2 step 5), and
 * whose AAR recorded an aligned pass.  Returns the set, NULL when none;
 * res->arc_override_reason says why not.
 */
static const struct vouch_arc_instance *
vouching_set(struct vouch_verify_msg *m, int *nomem)
{
	struct vouch_verify_result *res = m->res;
	const struct vouch_arc_result *a = res->arc;
	const struct vouch_arc_instance *in;
	struct vouch_arc_override seen;
	char *why = res->arc_override_reason;
	size_t wl = sizeof(res->arc_override_reason), k;
	int r;

	for (k = a->ninst; k > 0; k--) {
		in = &a->inst[k - 1];
		if (!is_trusted(m->v, in->seal_d)) {
			if (k == a->ninst)
				snprintf(why, wl,
				    "the newest ARC Set i=%u was sealed by %s, "
				    "which is not a trusted sealer",
				    in->i, in->seal_d);
			else
				snprintf(why + strlen(why), wl - strlen(why),
				    "; ARC Set i=%u, below it, was sealed by "
				    "%s, which is not trusted",
				    in->i, in->seal_d);
			return NULL;
		}
		if (!res->arc_trust.trusted) {
			res->arc_trust.trusted = true;
			res->arc_trust.instance = in->i;
			memcpy(res->arc_trust.sealer, in->seal_d,
			    sizeof(res->arc_trust.sealer));
		}
		if (!in->ams_ok || in->i < a->oldest_pass) {
			snprintf(why, wl,
			    "the message changed after the trusted ARC Set "
			    "i=%u (%s): its AMS does not verify (oldest-pass "
			    "%u)",
			    in->i, in->seal_d, a->oldest_pass);
			return NULL; /* the older sets' AMS fail too */
		}
		memset(&seen, 0, sizeof(seen));
		if ((r = set_vouches(m, in, &seen, why, wl)) < 0) {
			*nomem = 1;
			return NULL;
		}
		if (r > 0) {
			res->arc_trust = seen;
			res->arc_trust.trusted = true;
			res->arc_trust.instance = in->i;
			memcpy(res->arc_trust.sealer, in->seal_d,
			    sizeof(res->arc_trust.sealer));
			return in;
		}
	}
	return NULL;
}

/*
 * The trusted-sealer override: RFC 8617 §7.2.1 lets a DMARC processor,
 * as a matter of local policy, accept the DMARC assessment an ARC chain
 * carries.  A DMARC fail is delivered (disposition none, override reason
 * local_policy, RFC 9990 §3.1.6) only when a set of a passing chain
 * vouches for this message and this From domain (vouching_set).  The
 * result stays fail.  Off with no trusted sealer; never for a message
 * whose author cannot be read safely.
 */
static enum vouch_status
arc_override(struct vouch_verify_msg *m)
{
	struct vouch_verify_result *res = m->res;
	struct vouch_dmarc_result *d = &res->dmarc;
	const struct vouch_arc_instance *in;
	char *why = res->arc_override_reason;
	size_t wl = sizeof(res->arc_override_reason), k;
	enum vouch_status st;
	int nomem = 0;

	if (res->arc == NULL || m->v->ntrusted == 0)
		return VOUCH_OK;
	if (d->result != VOUCH_DMARC_FAIL) {
		snprintf(why, wl, "DMARC did not fail: nothing to override");
		return VOUCH_OK;
	}
	if (d->unsafe != VOUCH_DMARC_SAFE) {
		snprintf(why, wl,
		    "the author cannot be read safely (%s): no override",
		    vouch_dmarc_unsafe_str(d->unsafe));
		return VOUCH_OK;
	}
	if (res->arc->cv != VOUCH_ARC_PASS) {
		/* RFC 8617 §5.2: a chain that did not pass is as none */
		snprintf(why, wl, "the ARC chain is %s: it vouches for nothing",
		    vouch_arc_cv_str(res->arc->cv));
		return VOUCH_OK;
	}
	if (d->disposition == VOUCH_DMARC_POLICY_NONE) {
		snprintf(why, wl, "the disposition is none already");
		return VOUCH_OK;
	}
	if ((in = vouching_set(m, &nomem)) == NULL)
		return nomem ? VOUCH_ENOMEM : VOUCH_OK;
	if ((st = override_comment(res)) != VOUCH_OK)
		return st;
	snprintf(why, wl,
	    "the trusted ARC Set i=%u (%s) recorded a pass aligned with the "
	    "From domain, its AMS verifies and every later set is trusted: "
	    "disposition none by local policy (RFC 8617 7.2.1)",
	    in->i, in->seal_d);
	res->arc_trust.override = true;
	res->arc_override = true;
	d->disposition = VOUCH_DMARC_POLICY_NONE;
	d->override = VOUCH_DMARC_OVERRIDE_LOCAL_POLICY;
	/* every failing author domain: the overall disposition is theirs */
	for (k = 0; k < d->ndomains; k++)
		if (d->domain[k].result == VOUCH_DMARC_FAIL) {
			d->domain[k].disposition = VOUCH_DMARC_POLICY_NONE;
			d->domain[k].override =
			    VOUCH_DMARC_OVERRIDE_LOCAL_POLICY;
		}
	return VOUCH_OK;
}

/* The tag's name and "=": "sp=", "np=" or "p=" (*len its length). */
static const char *
tag_word(enum vouch_dmarc_policy_tag t, size_t *len)
{
	*len = t == VOUCH_DMARC_TAG_P ||
	               (t != VOUCH_DMARC_TAG_SP && t != VOUCH_DMARC_TAG_NP)
	           ? 2
	           : 3;
	return t == VOUCH_DMARC_TAG_SP   ? "sp="
	       : t == VOUCH_DMARC_TAG_NP ? "np="
	                                 : "p=";
}

/*
 * A name the field's writer takes without checking it per message (a
 * keyword of RFC 5321 §4.1.2, spelt here): the string and its length.
 */
#define KW(s) (s), sizeof(s) - 1

/* A verdict word of the library's own (vouch_*_verdict_str). */
static enum vouch_status
add_result(struct vouch_authres_builder *b, const char *method, size_t mlen,
    const char *result, const char *reason)
{
	return authres_add_kw(b, method, mlen, result, strlen(result), reason);
}

static void
prop_str(struct vouch_authres_builder *b, const char *ptype, size_t tlen,
    const char *prop, size_t plen, const char *s)
{
	if (s[0] != '\0')
		(void)authres_prop_kw(
		    b, ptype, tlen, prop, plen, (const uint8_t *)s, strlen(s));
}

static void
add_spf(struct vouch_authres_builder *b, const struct vouch_spf_result *r,
    const char *ptype_prop, size_t plen, const char *value, size_t len)
{
	const char *reason = NULL;

	/* the problem of §9.1 for the errors; a reason for the others
	 * would repeat the result */
	if ((r->verdict == VOUCH_SPF_TEMPERROR ||
	        r->verdict == VOUCH_SPF_PERMERROR) &&
	    r->reason[0] != '\0')
		reason = r->reason;
	(void)add_result(
	    b, KW("spf"), vouch_spf_verdict_str(r->verdict), reason);
	(void)authres_prop_kw(
	    b, KW("smtp"), ptype_prop, plen, (const uint8_t *)value, len);
}

/*
 * Appends s[0..k) to the text buf[0..n) (cap bytes, the NUL included),
 * cut at cap; returns the new length.  The comments of the field without
 * a printf or a strlen of what is already written, which every message
 * paid for.
 */
static size_t
text_put(char *buf, size_t cap, size_t n, const char *s, size_t k)
{
	if (n + 1 >= cap)
		return n;
	if (k > cap - 1 - n)
		k = cap - 1 - n;
	vbuf_copy(
	    (uint8_t *)buf + n, (const uint8_t *)s, k); /* short: no call */
	buf[n + k] = '\0';
	return n + k;
}

/* The decimal text of v (11 bytes: 10 digits and the NUL). */
static const char *
uint_text(unsigned v, char buf[11])
{
	char *p = buf + 10;

	*p = '\0';
	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	return p;
}

static void
add_dkim(struct vouch_authres_builder *b, const struct vouch_dkim_result *d)
{
	const struct vouch_dkim_signature *s;
	char text[96], num[11];
	size_t i, n, k;

	if (d->nsig == 0) {
		(void)add_result(b, KW("dkim"),
		    vouch_dkim_verdict_str(d->result),
		    d->reason[0] ? d->reason : NULL);
		return;
	}
	n = d->nsig < VOUCH_DKIM_MAX_SIGNATURES ? d->nsig
	                                        : VOUCH_DKIM_MAX_SIGNATURES;
	for (i = 0; i < n; i++) {
		s = &d->sig[i];
		(void)add_result(b, KW("dkim"),
		    vouch_dkim_verdict_str(s->result),
		    s->result != VOUCH_DKIM_PASS && s->reason[0] ? s->reason
		                                                 : NULL);
		if (s->result == VOUCH_DKIM_PASS && s->key_bits > 0) {
			const char *bits = uint_text(s->key_bits, num);

			k = text_put(text, sizeof(text), 0, bits,
			    (size_t)(num + 10 - bits));
			k = text_put(text, sizeof(text), k, KW("-bit key"));
			if (s->testing)
				k = text_put(
				    text, sizeof(text), k, KW("; test mode"));
			(void)vouch_authres_comment(b, text, k);
		}
		prop_str(b, KW("header"), KW("d"), s->d);
		prop_str(b, KW("header"), KW("i"), s->i);
		prop_str(b, KW("header"), KW("s"), s->s);
		prop_str(b, KW("header"), KW("a"), s->a);
		prop_str(b, KW("header"), KW("b"), s->b);
	}
	if (d->nsig > n) {
		snprintf(text, sizeof(text), "%zu more signatures not checked",
		    d->nsig - n);
		(void)vouch_authres_comment(b, text, strlen(text));
	}
}

/*
 * Appends printf text to the text buf[0..n) (cap bytes, NUL-terminated),
 * cut at cap; returns the new length.
 */
__attribute__((format(printf, 4, 5))) static size_t
append(char *buf, size_t cap, size_t n, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (n + 1 >= cap)
		return n;
	va_start(ap, fmt);
	k = vsnprintf(buf + n, cap - n, fmt, ap);
	va_end(ap);
	if (k < 0) {
		buf[n] = '\0';
		return n;
	}
	return (size_t)k < cap - n ? n + (size_t)k : cap - 1;
}

/*
 * dmarc= (RFC 9989 §9.1): the result, its reason, a comment with the
 * policy and what changed the disposition (an override, the trusted
 * sealer, an author that cannot be read safely), header.from, and
 * policy.dmarc, the disposition: after t= and pct= and the receiver's
 * overrides, whenever one was decided (a pass is none).
 */
static void
add_dmarc(struct vouch_authres_builder *b,
    const struct vouch_verify_result *res, enum vouch_dmarc_policy least)
{
	const struct vouch_dmarc_result *r = &res->dmarc;
	const struct vouch_dmarc_domain_result *dr =
	    r->ndomains > 0 ? &r->domain[r->decisive] : NULL;
	const struct vouch_arc_override *t = &res->arc_trust;
	const char *disp, *w;
	char text[VOUCH_DNS_MAX_NAME + 400];
	size_t n = 0, k;

	(void)add_result(b, KW("dmarc"), vouch_dmarc_verdict_str(r->result),
	    r->reason[0] ? r->reason : NULL);
	text[0] = '\0';
	if (dr != NULL && dr->has_record &&
	    r->policy != VOUCH_DMARC_POLICY_UNSET) {
		w = tag_word(r->policy_tag, &k);
		n = text_put(text, sizeof(text), n, w, k);
		w = vouch_dmarc_policy_str(r->policy);
		n = text_put(text, sizeof(text), n, w, strlen(w));
		if (dr->record.testing)
			n = text_put(text, sizeof(text), n, KW(" t=y"));
	}
	if (r->override != VOUCH_DMARC_OVERRIDE_NONE && text[0] != '\0')
		n = append(text, sizeof(text), n, " override=%s",
		    vouch_dmarc_override_str(r->override));
	/* the override names ARC and the trusted sealer */
	if (res->arc_override && text[0] != '\0')
		n = append(text, sizeof(text), n,
		    ": ARC set i=%u sealed by %s, which saw%s%s%s", t->instance,
		    t->sealer, t->dmarc ? " dmarc=pass" : "",
		    t->dkim ? " dkim=pass" : "", t->spf ? " spf=pass" : "");
	/* the author could not be read safely: say so, and what it cost */
	if (r->unsafe != VOUCH_DMARC_SAFE)
		n = append(text, sizeof(text), n, "%s%s: no pass, at least %s",
		    text[0] != '\0' ? "; " : "",
		    vouch_dmarc_unsafe_str(r->unsafe),
		    vouch_dmarc_policy_str(least));
	if (n != 0)
		(void)vouch_authres_comment(b, text, n);
	if (dr != NULL)
		prop_str(b, KW("header"), KW("from"), dr->author_domain);
	if (r->result == VOUCH_DMARC_PASS || r->result == VOUCH_DMARC_FAIL ||
	    r->unsafe != VOUCH_DMARC_SAFE) {
		disp = vouch_dmarc_policy_str(r->result == VOUCH_DMARC_PASS
		                                  ? VOUCH_DMARC_POLICY_NONE
		                                  : r->disposition);
		(void)authres_prop_kw(b, KW("policy"), KW("dmarc"),
		    (const uint8_t *)disp, strlen(disp));
	}
}

/* The Authentication-Results field (RFC 8601 §2.2). */
static enum vouch_status
build_field(struct vouch_verify_msg *m)
{
	struct vouch_verify_result *res = m->res;
	struct vouch_authres_builder b; /* on the stack: one per message */
	enum vouch_dmarc_policy least;
	enum vouch_status st;

	st = authres_init(&b, res->authserv_id, strlen(res->authserv_id));
	if (st != VOUCH_OK)
		return st;
	if (res->spf_checked) {
		if (m->mail_from_len > 0)
			add_spf(&b, &res->spf, KW("mailfrom"), m->mail_from,
			    m->mail_from_len);
		else {
			/* RFC 8601 §2.7.2: the HELO identity was checked */
			add_spf(
			    &b, &res->spf, KW("helo"), m->helo, m->helo_len);
			(void)vouch_authres_comment(
			    &b, "null MAIL FROM: postmaster@HELO checked", 39);
		}
	}
	if (res->helo_checked)
		add_spf(&b, &res->helo, KW("helo"), m->helo, m->helo_len);
	add_dkim(&b, res->dkim);
	/* RFC 8617 §6, §10: arc= with the client address and oldest-pass */
	if (res->arc != NULL)
		(void)vouch_arc_authres_add(
		    &b, res->arc, m->ip[0] != '\0' ? m->ip : NULL);
	least = m->v->opts.dmarc.unsafe_disposition;
	add_dmarc(&b, res,
	    least == VOUCH_DMARC_POLICY_UNSET ? VOUCH_DMARC_POLICY_QUARANTINE
	                                      : least);
	st = vouch_authres_finish(&b, &res->field, &res->field_len);
	authres_release(&b);
	return st;
}

enum vouch_status
vouch_verify_msg_finish(
    struct vouch_verify_msg *m, struct vouch_verify_result **res)
{
	enum vouch_status st;

	if (res == NULL)
		return VOUCH_EINVAL;
	*res = NULL;
	if (m == NULL || m->state == 2)
		return VOUCH_EINVAL;
	if (m->state == 0 && (st = end_header(m)) != VOUCH_OK)
		goto out;
	m->state = 2;
	if ((st = vouch_dkim_verify_finish(m->dkim, &m->res->dkim)) != VOUCH_OK)
		goto out;
	if (m->arc != NULL &&
	    (st = vouch_arc_verify_finish(m->arc, &m->res->arc)) != VOUCH_OK)
		goto out;
	if ((st = run_dmarc(m)) != VOUCH_OK)
		goto out;
	if ((st = arc_override(m)) != VOUCH_OK)
		goto out;
	if ((st = build_field(m)) != VOUCH_OK)
		goto out;
	*res = m->res;
	m->res = NULL;
out:
	m->state = 2;
	return st;
}

/*
 * The header section of a whole message, as vouch_verify_msg_header would
 * take it, in one scan: the header scan stops at the empty line that ends
 * the section (RFC 5322 §2.1; the empty line goes with it, 1 or 2 bytes
 * when there is no header at all), which is where mail_header_end, a scan
 * of its own, puts the end.  When the section ends within what
 * vouch_verify_msg_header would hold, the scan's state is the one that
 * call would leave, and the held section is the caller's bytes, which
 * outlive m: not copied.  Returns the length of the section, or 0 when
 * it does not end within the limit (or there are no bytes): the scan is
 * then undone, and the general path takes the message.
 */
static size_t
header_whole(struct vouch_verify_msg *m, const uint8_t *msg, size_t len)
{
	size_t room = len < VERIFY_HEADER_MAX + 1 ? len : VERIFY_HEADER_MAX + 1;
	size_t hlen;

	if (room == 0)
		return 0;
	hlen = mail_hdr_scan_feed(&m->scan, msg, room);
	/* a section without an empty line is the whole message: only one
	 * that ends inside the limit is taken here */
	if (!m->scan.ended && !(hlen == len && len == room)) {
		mail_hdr_scan_init(&m->scan);
		return 0;
	}
	m->hdr_given = hlen;
	m->hdr.p = (uint8_t *)(uintptr_t)msg;
	m->hdr.len = hlen;
	m->hdr.cap = hlen;
	m->hdr.max = hlen;
	m->hdr_borrowed = true;
	return hlen;
}

enum vouch_status
vouch_verify_message(struct vouch_verify *v,
    const struct vouch_verify_smtp *smtp, const uint8_t *msg, size_t len,
    struct vouch_verify_result **res)
{
	/* on the stack: one allocation (and its clearing) less a message */
	struct vouch_verify_msg mm, *m = &mm;
	enum vouch_status st;
	size_t hlen;

	if (res == NULL || (msg == NULL && len > 0))
		return VOUCH_EINVAL;
	*res = NULL;
	if (!smtp_ok(v, smtp))
		return VOUCH_EINVAL;
	memset(m, 0, sizeof(*m));
	if ((st = msg_init(v, smtp, m)) != VOUCH_OK)
		goto out;
	if ((hlen = header_whole(m, msg, len)) == 0) {
		/* the general path: the streamed calls' own */
		if ((hlen = mail_header_end(msg, len)) == 0)
			hlen = len;
		if ((st = vouch_verify_msg_header(m, msg, hlen)) != VOUCH_OK)
			goto out;
	}
	if ((st = vouch_verify_msg_body(m, msg + hlen, len - hlen)) != VOUCH_OK)
		goto out;
	st = vouch_verify_msg_finish(m, res);
out:
	msg_release(m);
	return st;
}

static enum vouch_status
feed_header(void *m, const uint8_t *p, size_t len)
{
	return vouch_verify_msg_header(m, p, len);
}

static enum vouch_status
feed_body(void *m, const uint8_t *p, size_t len)
{
	return vouch_verify_msg_body(m, p, len);
}

enum vouch_status
vouch_verify_fd(struct vouch_verify *v, const struct vouch_verify_smtp *smtp,
    int fd, struct vouch_verify_result **res)
{
	struct vouch_verify_msg *m = NULL;
	enum vouch_status st;

	if (res == NULL)
		return VOUCH_EINVAL;
	*res = NULL;
	if ((st = vouch_verify_msg_new(v, smtp, &m)) != VOUCH_OK)
		return st;
	if ((st = mail_message_feed_all(fd, m, feed_header, feed_body)) !=
	    VOUCH_OK)
		goto out;
	st = vouch_verify_msg_finish(m, res);
out:
	vouch_verify_msg_free(m);
	return st;
}

const char *
vouch_verify_override_comment(const struct vouch_verify_result *res)
{
	if (res == NULL ||
	    res->dmarc.override != VOUCH_DMARC_OVERRIDE_LOCAL_POLICY)
		return NULL;
	if (res->arc_override)
		return res->override_comment;
	if (res->dmarc.unsafe != VOUCH_DMARC_SAFE)
		return res->dmarc.unsafe_reason;
	return NULL;
}
