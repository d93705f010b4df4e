/*
 * The failure report message (RFC 5965 §2, RFC 6591 §3, RFC 9991 §4):
 * multipart/report; report-type=feedback-report with three parts, a text
 * for a person, the message/feedback-report fields, and the original
 * header section (or message).  Everything is written in one pass into
 * bounded buffers (VOUCH_FAILURE_MAX_REPORT).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "dkim/internal.h"
#include "failure_internal.h"
#include "mail/header.h"
#include "mail/tagvalue.h"
#include "util/base64.h"
#include "vouch/authres.h"

/* Bytes of a header line (RFC 5322 §2.1.1): 78 wanted, 998 at most. */
#define LINE_SOFT 78
#define LINE_HARD 998
/* Random bytes of a MIME boundary and of a Message-ID. */
#define RANDOM_BYTES 12
/* Attempts at a boundary that no part contains (RFC 2046 §5.1.1). */
#define BOUNDARY_TRIES 8

/* ---- Small writers ---------------------------------------------------- */

/* RFC 5322 §3.3 date-time in UTC, without the locale: "Tue, 19 Jul 2022
 * 05:57:48 +0000". */
static void
fmt_date(time_t t, char *buf, size_t cap)
{
	static const char days[7][4] = {
	    "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May",
	    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || tm.tm_wday < 0 || tm.tm_wday > 6 ||
	    tm.tm_mon < 0 || tm.tm_mon > 11) {
		snprintf(buf, cap, "Thu, 1 Jan 1970 00:00:00 +0000");
		return;
	}
	snprintf(buf, cap, "%s, %d %s %d %02d:%02d:%02d +0000",
	    days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900,
	    tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static enum vouch_status
random_hex(char *out, size_t cap)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char r[RANDOM_BYTES];
	size_t i;

	if (cap < 2 * RANDOM_BYTES + 1 || RAND_bytes(r, sizeof(r)) != 1)
		return VOUCH_ECRYPTO;
	for (i = 0; i < RANDOM_BYTES; i++) {
		out[2 * i] = hex[r[i] >> 4];
		out[2 * i + 1] = hex[r[i] & 15];
	}
	out[2 * RANDOM_BYTES] = '\0';
	return VOUCH_OK;
}

/*
 * Parts 1 and 2 are 7bit (RFC 5965 §7.1) with CRLF line ends: a byte that
 * is not printable ASCII, TAB or part of a CRLF pair becomes '?', so that
 * no text taken from a message or the DNS can add a bare line end.
 */
static void
ascii_only(uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (p[i] == '\r' && i + 1 < len && p[i + 1] == '\n') {
			i++;
			continue;
		}
		if ((p[i] < 0x20 && p[i] != '\t') || p[i] >= 0x7f)
			p[i] = '?';
	}
}

static int
has_8bit(const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] >= 0x80)
			return 1;
	return 0;
}

/*
 * "Name: value\r\n", folded before spaces so that lines stay within 78
 * bytes where the value allows it.  A value with a word that would make
 * a line over 998 bytes, or holding a line end, is not written: -1.
 */
static int
add_folded(struct vbuf *out, const char *name, const char *v, size_t n)
{
	size_t col, i, w, start = out->len;

	for (i = 0; i < n; i++)
		if (v[i] == '\r' || v[i] == '\n')
			return -1;
	(void)vbuf_addf(out, "%s: ", name);
	col = strlen(name) + 2;
	for (i = 0; i < n; i = w) {
		/* the next word: spaces, then up to the next space */
		for (w = i + 1; w < n && v[w] != ' '; w++)
			;
		if (col + (w - i) > LINE_SOFT && i > 0 && v[i] == ' ') {
			(void)vbuf_add(out, "\r\n", 2);
			col = 0;
		}
		if (col + (w - i) > LINE_HARD) {
			out->len = start; /* drop what was written */
			if (out->p != NULL)
				out->p[start] = '\0';
			return -1;
		}
		(void)vbuf_add(out, v + i, w - i);
		col += w - i;
	}
	(void)vbuf_add(out, "\r\n", 2);
	return 0;
}

static void
add_field(struct vbuf *out, const char *name, const char *v)
{
	(void)add_folded(out, name, v, strlen(v));
}

/* base64 of p/n, folded in lines of 64 characters (RFC 6591 §2.3). */
static void
add_base64(struct vbuf *out, const char *name, const uint8_t *p, size_t n)
{
	char line[65];
	size_t i, k, w;

	(void)vbuf_addf(out, "%s:", name);
	for (i = 0; i < n; i += 48) {
		k = n - i < 48 ? n - i : 48;
		w = base64_encode(p + i, k, line, sizeof(line));
		(void)vbuf_add(out, "\r\n\t", 3);
		(void)vbuf_add(out, line, w);
	}
	(void)vbuf_add(out, "\r\n", 2);
}

/* ---- Identity-Alignment and Authentication-Results -------------------- */

/* RFC 9991 §4 item 2: the mechanisms that gave no aligned pass. */
static const char *
identity_alignment(const struct failure_ctx *c, const struct failure_item *it)
{
	int dkim = !it->dr->dkim_aligned;
	int spf = c->res->spf_checked && !it->dr->spf_aligned;

	if (dkim && spf)
		return "dkim, spf";
	if (dkim)
		return "dkim";
	if (spf)
		return "spf";
	return "none";
}

/* The envelope sender, when it is plain 7-bit text without spaces. */
static int
mail_from_ok(const struct vouch_verify_smtp *s)
{
	size_t i;

	if (s == NULL || (s->mail_from == NULL && s->mail_from_len > 0) ||
	    s->mail_from_len > VOUCH_FAILURE_MAX_ADDR)
		return 0;
	for (i = 0; i < s->mail_from_len; i++) {
		uint8_t b = (uint8_t)s->mail_from[i];

		if (b <= 0x20 || b >= 0x7f || b == '<' || b == '>')
			return 0;
	}
	return 1;
}

/* The redacted envelope sender into out (NUL-terminated); "" = null. */
static void
redacted_mail_from(
    const struct failure_ctx *c, const char *a, size_t n, struct vbuf *out)
{
	(void)failure_redact_addr(&c->red, (const uint8_t *)a, n, out);
	(void)vbuf_add(out, "", 0);
}

static void
authres_spf(const struct failure_ctx *c, struct vouch_authres_builder *b)
{
	const struct vouch_spf_result *r = &c->res->spf;
	const struct vouch_verify_smtp *s = c->smtp;
	struct vbuf v;
	const char *reason = NULL;

	if ((r->verdict == VOUCH_SPF_TEMPERROR ||
	        r->verdict == VOUCH_SPF_PERMERROR) &&
	    r->reason[0] != '\0')
		reason = r->reason;
	(void)vouch_authres_add(
	    b, "spf", vouch_spf_verdict_str(r->verdict), reason);
	vbuf_init(&v, VOUCH_FAILURE_MAX_ADDR * 2);
	if (s != NULL && s->mail_from_len == 0) {
		/* the null sender: HELO was checked (RFC 8601 §2.7.2) */
		(void)vouch_authres_prop(b, "smtp", "helo",
		    (const uint8_t *)r->domain, strlen(r->domain));
	} else {
		if (s != NULL && mail_from_ok(s))
			redacted_mail_from(
			    c, s->mail_from, s->mail_from_len, &v);
		else
			redacted_mail_from(c, r->sender, strlen(r->sender), &v);
		if (v.err == VOUCH_OK)
			(void)vouch_authres_prop(
			    b, "smtp", "mailfrom", v.p, v.len);
	}
	vbuf_free(&v);
}

static void
prop_str(struct vouch_authres_builder *b, const char *prop, const char *s)
{
	if (s[0] != '\0')
		(void)vouch_authres_prop(
		    b, "header", prop, (const uint8_t *)s, strlen(s));
}

static void
authres_dkim(const struct failure_ctx *c, const struct vouch_dkim_signature *s,
    struct vouch_authres_builder *b)
{
	struct vbuf v;

	(void)vouch_authres_add(b, "dkim", vouch_dkim_verdict_str(s->result),
	    s->result != VOUCH_DKIM_PASS && s->reason[0] ? s->reason : NULL);
	prop_str(b, "d", s->d);
	vbuf_init(&v, sizeof(s->i) * 2);
	(void)failure_redact_addr(
	    &c->red, (const uint8_t *)s->i, strlen(s->i), &v);
	if (v.err == VOUCH_OK && v.len > 0)
		(void)vouch_authres_prop(b, "header", "i", v.p, v.len);
	vbuf_free(&v);
	prop_str(b, "s", s->s);
	prop_str(b, "a", s->a);
	prop_str(b, "b", s->b);
}

static void
authres_dmarc(const struct failure_item *it, struct vouch_authres_builder *b)
{
	const struct vouch_dmarc_domain_result *dr = it->dr;
	const char *disp;

	(void)vouch_authres_add(
	    b, "dmarc", vouch_dmarc_verdict_str(dr->result), NULL);
	prop_str(b, "from", dr->author_domain);
	disp = vouch_dmarc_policy_str(dr->result == VOUCH_DMARC_FAIL
	                                  ? dr->disposition
	                                  : VOUCH_DMARC_POLICY_NONE);
	if (disp[0] != '\0')
		(void)vouch_authres_prop(
		    b, "policy", "dmarc", (const uint8_t *)disp, strlen(disp));
}

/* RFC 6591 §3.1: one Authentication-Results field, one method: the one
 * reported. */
static void
add_authres(const struct failure_ctx *c, const struct failure_item *it,
    struct vbuf *out)
{
	struct vouch_authres_builder *b = NULL;
	char *field = NULL;
	size_t len = 0;
	const char *id = c->res->authserv_id, *method, *result;
	enum vouch_status st;

	if (vouch_authres_new(id, strnlen(id, VOUCH_AUTHRES_MAX_ID + 1), &b) !=
	    VOUCH_OK)
		return;
	if (it->kind == VOUCH_FAILURE_DKIM) {
		method = "dkim";
		result = vouch_dkim_verdict_str(it->sig->result);
		authres_dkim(c, it->sig, b);
	} else if (it->kind == VOUCH_FAILURE_SPF) {
		method = "spf";
		result = vouch_spf_verdict_str(c->res->spf.verdict);
		authres_spf(c, b);
	} else {
		method = "dmarc";
		result = vouch_dmarc_verdict_str(it->dr->result);
		authres_dmarc(it, b);
	}
	st = vouch_authres_finish(b, &field, &len);
	vouch_authres_free(b);
	b = NULL;
	/* a value the builder would not take (over its limits): the
	 * field MUST be there (RFC 6591 §3.1), so the result alone */
	if (st != VOUCH_OK && st != VOUCH_ENOMEM &&
	    vouch_authres_new(id, strnlen(id, VOUCH_AUTHRES_MAX_ID + 1), &b) ==
	        VOUCH_OK) {
		(void)vouch_authres_add(b, method, result, NULL);
		st = vouch_authres_finish(b, &field, &len);
		vouch_authres_free(b);
	}
	if (st == VOUCH_OK)
		(void)vbuf_add(out, field, len);
	else if (st == VOUCH_ENOMEM)
		out->err = VOUCH_ENOMEM;
	free(field);
}

/* ---- The machine-readable part (RFC 5965 §3, RFC 6591 §3.2) ---------- */

static int
is_spf1(const uint8_t *p, size_t n)
{
	static const char v[] = "v=spf1";
	size_t i;

	if (n < 6)
		return 0;
	for (i = 0; i < 6; i++)
		if ((p[i] >= 'A' && p[i] <= 'Z' ? p[i] + 32 : p[i]) !=
		    (uint8_t)v[i])
			return 0;
	return n == 6 || p[6] == ' ';
}

/*
 * SPF-DNS (RFC 6591 §3.2.6, §4): `txt : domain : "record"` for each SPF
 * record at the domain check_host() began with, fetched again.  Records
 * with bytes that cannot go into a 7bit quoted-string are left out.
 */
static enum vouch_status
add_spf_dns(const struct failure_ctx *c, struct vbuf *out)
{
	const struct vouch_spf_result *r = &c->res->spf;
	struct vouch_dns_answer *ans = NULL;
	struct vbuf v;
	size_t i, k;
	int bad;

	if (c->dns == NULL || !c->res->spf_checked || r->domain[0] == '\0')
		return VOUCH_OK;
	if (vouch_dns_query(c->dns, r->domain, strlen(r->domain), VOUCH_DNS_TXT,
	        &ans) != VOUCH_OK)
		return VOUCH_ENOMEM;
	vbuf_init(&v, VOUCH_DNS_MAX_TXT * 2 + VOUCH_DNS_MAX_NAME + 16);
	for (i = 0; ans->rcode == VOUCH_DNS_ANSWER && i < ans->nrr; i++) {
		const struct vouch_dns_rr *rr = &ans->rr[i];

		if (rr->type != VOUCH_DNS_TXT || !is_spf1(rr->data, rr->len))
			continue;
		vbuf_reset(&v);
		(void)vbuf_addf(&v, "txt : %s : \"", r->domain);
		for (k = 0, bad = 0; k < rr->len && !bad; k++) {
			uint8_t ch = rr->data[k];

			if (ch < 0x20 || ch > 0x7e)
				bad = 1;
			else if (ch == '"' || ch == '\\')
				(void)vbuf_addf(&v, "\\%c", ch);
			else
				(void)vbuf_addc(&v, ch);
		}
		(void)vbuf_addc(&v, '"');
		if (!bad && v.err == VOUCH_OK)
			(void)add_folded(
			    out, "SPF-DNS", (const char *)v.p, v.len);
	}
	vbuf_free(&v);
	vouch_dns_answer_free(ans);
	return VOUCH_OK;
}

struct canon_sink {
	struct vbuf *out;
};

static void
sink_add(void *arg, const uint8_t *p, size_t n)
{
	(void)vbuf_add(((struct canon_sink *)arg)->out, p, n);
}

/* The k-th DKIM-Signature field of h, or NULL. */
static const struct mail_field *
nth_signature(const struct mail_header *h, size_t k)
{
	size_t i;

	for (i = 0; i < h->nfield; i++)
		if (mail_name_eq(h->field[i].name, h->field[i].namelen,
		        "DKIM-Signature") &&
		    k-- == 0)
			return &h->field[i];
	return NULL;
}

/*
 * DKIM-Canonicalized-Header and -Body (RFC 6591 §3.2.4): what the
 * verifier hashed for signature it->sigi, recomputed from the header (and
 * the body, when complete).  Only when nothing is redacted: "If [they]
 * encode redacted data, they MUST NOT be included."
 */
static enum vouch_status
add_canonical(const struct failure_ctx *c, const struct failure_item *it,
    struct vbuf *out)
{
	struct mail_header h;
	const struct mail_field *self;
	struct tag_list tl;
	const struct tag *th, *tb, *tc;
	enum canon_alg hc = CANON_SIMPLE, bc = CANON_SIMPLE;
	struct vbuf data;
	struct canon_sink sk;
	struct canon_body cb;
	uint64_t limit = UINT64_MAX;
	const char *why;
	enum vouch_status st;

	if (c->red.mode != VOUCH_FAILURE_REDACT_NONE || it->sig == NULL ||
	    c->hlen == 0)
		return VOUCH_OK;
	memset(&h, 0, sizeof(h));
	st = mail_header_parse(&h, c->hdr, c->hlen);
	if (st == VOUCH_ENOMEM) {
		mail_header_free(&h);
		return st;
	}
	vbuf_init(&data, VOUCH_FAILURE_MAX_BODY);
	if (st != VOUCH_OK || (self = nth_signature(&h, it->sigi)) == NULL ||
	    tag_list_parse(self->value, self->valuelen, &tl, &why) !=
	        VOUCH_OK ||
	    (th = tag_find(&tl, "h")) == NULL ||
	    (tb = tag_find(&tl, "b")) == NULL)
		goto out;
	tc = tag_find(&tl, "c");
	if (tc != NULL && canon_parse(tc->value, tc->valuelen, &hc, &bc) < 0)
		goto out;
	if (dkim_header_data(hc, &h, th->value, th->valuelen, self, tb->value,
	        tb->valuelen, &data, &why) == -2) {
		st = VOUCH_ENOMEM;
		goto out;
	}
	if (data.err == VOUCH_OK && data.len > 0)
		add_base64(out, "DKIM-Canonicalized-Header", data.p, data.len);
	if (c->msg->body == NULL || !c->msg->body_complete ||
	    c->msg->body_len > VOUCH_FAILURE_MAX_BODY)
		goto out;
	/* the octets the body hash covers: l= of them (RFC 6376 §3.7) */
	if (it->sig->l >= 0)
		limit = (uint64_t)it->sig->l;
	vbuf_reset(&data);
	sk.out = &data;
	canon_body_init(&cb, bc, limit, sink_add, &sk);
	canon_body_update(&cb, c->msg->body, c->msg->body_len);
	canon_body_final(&cb);
	if (data.err == VOUCH_OK)
		add_base64(out, "DKIM-Canonicalized-Body", data.p, data.len);
	else if (data.err == VOUCH_ENOMEM)
		st = VOUCH_ENOMEM;
out:
	vbuf_free(&data);
	mail_header_free(&h);
	return st == VOUCH_ENOMEM ? st : VOUCH_OK;
}

static const char *
delivery_word(enum vouch_failure_delivery d)
{
	switch (d) {
	case VOUCH_FAILURE_DELIVERY_DELIVERED:
		return "delivered";
	case VOUCH_FAILURE_DELIVERY_SPAM:
		return "spam";
	case VOUCH_FAILURE_DELIVERY_POLICY:
		return "policy";
	case VOUCH_FAILURE_DELIVERY_REJECT:
		return "reject";
	case VOUCH_FAILURE_DELIVERY_OTHER:
		return "other";
	default:
		return NULL;
	}
}

/* Source-IP (RFC 5965 §3.2: an SMTP address literal, RFC 5321 §4.1.3). */
static void
add_source_ip(const struct vouch_verify_smtp *s, struct vbuf *out)
{
	char ip[64];
	unsigned char bin[16];

	if (s == NULL || s->ip == NULL || s->ip_len == 0 ||
	    s->ip_len >= sizeof(ip))
		return;
	memcpy(ip, s->ip, s->ip_len);
	ip[s->ip_len] = '\0';
	if (inet_pton(AF_INET, ip, bin) == 1)
		(void)vbuf_addf(out, "Source-IP: %s\r\n", ip);
	else if (inet_pton(AF_INET6, ip, bin) == 1)
		(void)vbuf_addf(out, "Source-IP: IPv6:%s\r\n", ip);
}

/* The envelope fields: Original-Envelope-Id, -Mail-From, Arrival-Date,
 * Reporting-MTA, Source-IP, Source-Port. */
static void
add_envelope(const struct failure_ctx *c, struct vbuf *out)
{
	const struct vouch_failure_message *m = c->msg;
	const struct vouch_verify_smtp *s = c->smtp;
	char date[64];
	struct vbuf v;
	size_t i, n;
	int ok;

	if (m->envelope_id != NULL) {
		n = strnlen(m->envelope_id, VOUCH_FAILURE_MAX_TEXT + 1);
		for (i = 0, ok = n > 0 && n <= VOUCH_FAILURE_MAX_TEXT;
		     ok && i < n; i++)
			ok = (uint8_t)m->envelope_id[i] > 0x20 &&
			     (uint8_t)m->envelope_id[i] < 0x7f;
		if (ok)
			(void)vbuf_addf(out, "Original-Envelope-Id: %.*s\r\n",
			    (int)n, m->envelope_id);
	}
	if (mail_from_ok(s)) {
		vbuf_init(&v, VOUCH_FAILURE_MAX_ADDR * 2);
		redacted_mail_from(c, s->mail_from, s->mail_from_len, &v);
		if (v.err == VOUCH_OK)
			(void)vbuf_addf(out, "Original-Mail-From: <%s>\r\n",
			    v.len ? (const char *)v.p : "");
		vbuf_free(&v);
	}
	fmt_date(c->arrival, date, sizeof(date));
	(void)vbuf_addf(out, "Arrival-Date: %s\r\n", date);
	if (c->f->reporting_mta != NULL)
		(void)vbuf_addf(
		    out, "Reporting-MTA: dns; %s\r\n", c->f->reporting_mta);
	add_source_ip(s, out);
	/* RFC 6692 §3 */
	if (m->source_port > 0 && m->source_port <= 65535)
		(void)vbuf_addf(out, "Source-Port: %u\r\n", m->source_port);
}

static void
add_dkim_ids(const struct failure_ctx *c, const struct failure_item *it,
    struct vbuf *out)
{
	const struct vouch_dkim_signature *s = it->sig;
	struct vbuf v;

	/* RFC 6591 §3.2.3 */
	if (s->d[0] != '\0')
		add_field(out, "DKIM-Domain", s->d);
	vbuf_init(&v, sizeof(s->i) * 2);
	(void)failure_redact_addr(
	    &c->red, (const uint8_t *)s->i, strlen(s->i), &v);
	if (v.err == VOUCH_OK && v.len > 0)
		(void)add_folded(
		    out, "DKIM-Identity", (const char *)v.p, v.len);
	vbuf_free(&v);
	if (s->s[0] != '\0')
		add_field(out, "DKIM-Selector", s->s);
}

static enum vouch_status
feedback_part(const struct failure_ctx *c, const struct failure_item *it,
    struct vbuf *out)
{
	const char *dr = delivery_word(c->msg->delivery);
	size_t start = out->len;
	enum vouch_status st = VOUCH_OK;

	/* RFC 5965 §3.1: exactly once each */
	(void)vbuf_adds(out, "Feedback-Type: auth-failure\r\n");
	add_field(out, "User-Agent", c->f->user_agent);
	(void)vbuf_adds(out, "Version: 1\r\n");
	/* RFC 6591 §3.2.1, RFC 9991 §4 item 3 */
	(void)vbuf_addf(out, "Auth-Failure: %s\r\n", it->auth_failure);
	/* RFC 9991 §4 item 1: REQUIRED */
	(void)vbuf_addf(
	    out, "Identity-Alignment: %s\r\n", identity_alignment(c, it));
	add_authres(c, it, out);
	add_envelope(c, out);
	/* RFC 6591 §3.1: MUST be present when available */
	add_field(out, "Reported-Domain", it->dr->author_domain);
	if (dr != NULL)
		(void)vbuf_addf(out, "Delivery-Result: %s\r\n", dr);
	if (it->sig != NULL) {
		add_dkim_ids(c, it, out);
		st = add_canonical(c, it, out);
	}
	if (st == VOUCH_OK && it->spf_dns)
		st = add_spf_dns(c, out);
	if (out->err == VOUCH_OK && out->len > start)
		ascii_only(out->p + start, out->len - start);
	return st != VOUCH_OK ? st : out->err;
}

/* ---- The part for a person ------------------------------------------- */

static const char *
kind_title(unsigned kind)
{
	switch (kind) {
	case VOUCH_FAILURE_DKIM:
		return "a DKIM failure report (RFC 6591)";
	case VOUCH_FAILURE_SPF:
		return "an SPF failure report (RFC 6591)";
	default:
		return "a DMARC failure report (RFC 9991)";
	}
}

static void
text_spf(const struct failure_ctx *c, const struct failure_item *it,
    struct vbuf *out)
{
	const struct vouch_spf_result *r = &c->res->spf;

	if (!c->res->spf_checked) {
		(void)vbuf_adds(out, "SPF: not checked\r\n");
		return;
	}
	(void)vbuf_addf(out, "SPF: %s for %s (%s)\r\n%s%s%s",
	    vouch_spf_verdict_str(r->verdict),
	    r->domain[0] ? r->domain : "no domain",
	    it->dr->spf_aligned ? "aligned" : "not aligned",
	    r->reason[0] ? "  " : "", r->reason, r->reason[0] ? "\r\n" : "");
}

static void
text_dkim(const struct failure_ctx *c, struct vbuf *out)
{
	const struct vouch_dkim_result *k = c->res->dkim;
	const struct vouch_dkim_signature *s;
	size_t i;

	if (k == NULL || k->nsig == 0) {
		(void)vbuf_adds(out, "DKIM: no signature\r\n");
		return;
	}
	for (i = 0; i < k->nsig && i < VOUCH_DKIM_MAX_SIGNATURES; i++) {
		s = &k->sig[i];
		(void)vbuf_addf(out, "DKIM: %s for d=%s s=%s\r\n%s%s%s",
		    vouch_dkim_verdict_str(s->result), s->d[0] ? s->d : "?",
		    s->s[0] ? s->s : "?", s->reason[0] ? "  " : "", s->reason,
		    s->reason[0] ? "\r\n" : "");
	}
}

static void
text_part(const struct failure_ctx *c, const struct failure_item *it,
    const char *part3, struct vbuf *out)
{
	const struct vouch_dmarc_domain_result *dr = it->dr;
	const struct vouch_verify_smtp *s = c->smtp;
	char date[64];
	size_t start = out->len;

	fmt_date(c->arrival, date, sizeof(date));
	(void)vbuf_addf(out,
	    "This is %s about a message\r\n"
	    "that claimed to come from the domain %s,\r\n"
	    "received from %.*s on %s.\r\n\r\n",
	    kind_title(it->kind), dr->author_domain,
	    s != NULL && s->ip_len > 0 && s->ip_len < 64 ? (int)s->ip_len : 7,
	    s != NULL && s->ip_len > 0 && s->ip_len < 64 ? s->ip : "unknown",
	    date);
	(void)vbuf_addf(out, "DMARC: %s for %s\r\n  record at _dmarc.%s",
	    vouch_dmarc_verdict_str(dr->result), dr->author_domain,
	    dr->policy_domain);
	if (dr->result == VOUCH_DMARC_FAIL)
		(void)vbuf_addf(out, ", policy %s, disposition %s",
		    vouch_dmarc_policy_str(dr->policy),
		    vouch_dmarc_policy_str(dr->disposition));
	(void)vbuf_adds(out, "\r\n");
	text_spf(c, it, out);
	text_dkim(c, out);
	(void)vbuf_addf(out, "\r\nThe third part holds %s.\r\n", part3);
	if (c->red.mode != VOUCH_FAILURE_REDACT_NONE)
		(void)vbuf_adds(out,
		    "The local-parts of addresses in this report are "
		    "redacted\r\n(RFC 6590); domains are not.  Links are "
		    "defanged (hxxp).\r\n");
	if (out->err == VOUCH_OK)
		ascii_only(out->p + start, out->len - start);
}

/* ---- The original ---------------------------------------------------- */

/* The header section without fields forged with our authserv-id (RFC
 * 8601 §5), redacted; the whole header when it cannot be filtered. */
static enum vouch_status
original_header(const struct failure_ctx *c, struct vbuf *out)
{
	const char *id = c->res->authserv_id;
	uint8_t *copy = NULL;
	size_t n = 0;
	enum vouch_status st;

	if (c->hlen == 0)
		return VOUCH_OK;
	if ((copy = malloc(c->hlen)) == NULL)
		return VOUCH_ENOMEM;
	st = vouch_authres_strip_ours(c->hdr, c->hlen, id,
	    strnlen(id, VOUCH_AUTHRES_MAX_ID + 1), copy, c->hlen, &n, NULL);
	if (st == VOUCH_ENOMEM) {
		free(copy);
		return st;
	}
	if (st == VOUCH_OK)
		(void)failure_redact_header(&c->red, copy, n, out);
	else
		(void)failure_redact_header(&c->red, c->hdr, c->hlen, out);
	free(copy);
	return out->err;
}

/* Is the body to go into the report (message/rfc822)? */
static int
with_body(const struct failure_ctx *c)
{
	const struct vouch_failure_message *m = c->msg;

	return c->f->opts.include_body && m->body != NULL && m->body_complete &&
	       m->body_len <= VOUCH_FAILURE_MAX_BODY &&
	       memchr(m->body, '\0', m->body_len) == NULL;
}

/* Part 3 (RFC 5965 §2 item d): our Authentication-Results field on top,
 * as delivered, then the original header section (and body). */
static enum vouch_status
original_part(const struct failure_ctx *c, int body, struct vbuf *out)
{
	const struct vouch_verify_result *res = c->res;
	size_t start = out->len;

	if (res->field != NULL && res->field_len > 0)
		(void)failure_redact_header(
		    &c->red, (const uint8_t *)res->field, res->field_len, out);
	if (original_header(c, out) != VOUCH_OK)
		return out->err != VOUCH_OK ? out->err : VOUCH_ENOMEM;
	if (body) {
		(void)vbuf_add(out, "\r\n", 2);
		(void)failure_redact_body(
		    &c->red, c->msg->body, c->msg->body_len, out);
		if (out->len > 0 && out->p[out->len - 1] != '\n')
			(void)vbuf_add(out, "\r\n", 2);
	}
	/* RFC 9991 §7.3: "substituting hxxp for http" */
	if (out->err == VOUCH_OK && c->red.mode != VOUCH_FAILURE_REDACT_NONE &&
	    out->len > start) /* out->p is NULL while nothing was written */
		failure_defang(out->p + start, out->len - start);
	return out->err;
}

/* ---- Subject ---------------------------------------------------------- */

/*
 * The original Subject, unfolded, when it is printable ASCII (RFC 2047
 * encoded-words are) of at most VOUCH_FAILURE_MAX_SUBJECT bytes; the
 * first Subject field only.  0 with the text in out, -1 when none.
 */
static int
original_subject(const struct failure_ctx *c, struct vbuf *out)
{
	const uint8_t *p = c->hdr, *nl;
	size_t len = c->hlen, at = 0, end, next, i;
	int in = 0;

	for (; at < len; at = next) {
		nl = memchr(p + at, '\n', len - at);
		end = nl != NULL ? (size_t)(nl - p) : len;
		next = nl != NULL ? end + 1 : len;
		if (end > at && p[end - 1] == '\r')
			end--;
		if (end == at)
			break; /* the empty line */
		i = at; /* a continuation line of the current field */
		if (p[at] != ' ' && p[at] != '\t') {
			if (in)
				break; /* the next field */
			if (end - at < 8 ||
			    !mail_name_eq(p + at, 7, "Subject") ||
			    p[at + 7] != ':')
				continue;
			in = 1;
			i = at + 8;
		}
		for (; in && i < end; i++) {
			uint8_t ch = p[i] == '\t' ? ' ' : p[i];

			if (ch < 0x20 || ch > 0x7e)
				return -1;
			/* unfolded, with each run of blanks one space */
			if (ch == ' ' &&
			    (out->len == 0 || out->p[out->len - 1] == ' '))
				continue;
			(void)vbuf_addc(out, ch);
		}
	}
	while (out->len > 0 && out->p[out->len - 1] == ' ')
		out->len--;
	if (!in || out->len == 0 || out->len > VOUCH_FAILURE_MAX_SUBJECT ||
	    out->err != VOUCH_OK)
		return -1;
	out->p[out->len] = '\0';
	return 0;
}

static void
add_subject(const struct failure_ctx *c, const struct failure_item *it,
    struct vbuf *out)
{
	struct vbuf subj, red;

	vbuf_init(&subj, VOUCH_FAILURE_MAX_SUBJECT + 1);
	vbuf_init(&red, 4 * VOUCH_FAILURE_MAX_SUBJECT);
	if (original_subject(c, &subj) == 0 &&
	    failure_redact_text(&c->red, subj.p, subj.len, 0, &red) ==
	        VOUCH_OK &&
	    red.len <= VOUCH_FAILURE_MAX_SUBJECT) {
		if (c->red.mode != VOUCH_FAILURE_REDACT_NONE)
			failure_defang(red.p, red.len);
		(void)vbuf_adds(out, "Subject: FW: ");
		(void)vbuf_add(out, red.p, red.len);
		(void)vbuf_add(out, "\r\n", 2);
	} else
		(void)vbuf_addf(out, "Subject: %s failure report for %s\r\n",
		    it->kind == VOUCH_FAILURE_DKIM  ? "DKIM"
		    : it->kind == VOUCH_FAILURE_SPF ? "SPF"
		                                    : "DMARC",
		    it->dr->author_domain);
	vbuf_free(&subj);
	vbuf_free(&red);
}

/* ---- Assembly --------------------------------------------------------- */

static int
contains(const struct vbuf *b, const char *s)
{
	return b->len > 0 && memmem(b->p, b->len, s, strlen(s)) != NULL;
}

enum vouch_status
failure_arf_body(const struct failure_ctx *c, const struct failure_item *it,
    struct vbuf *common, struct vbuf *out)
{
	struct vbuf text, fb, orig;
	char boundary[64], rnd[2 * RANDOM_BYTES + 1];
	int body = with_body(c), tries, eight;
	enum vouch_status st;

	vbuf_init(&text, 64 * 1024);
	vbuf_init(&fb, VOUCH_FAILURE_MAX_REPORT);
	vbuf_init(&orig, VOUCH_FAILURE_MAX_REPORT);
	if ((st = original_part(c, body, &orig)) != VOUCH_OK)
		goto out;
	text_part(c, it,
	    body ? "the message (message/rfc822)"
	         : "the header section of the message (text/rfc822-headers)",
	    &text);
	if ((st = feedback_part(c, it, &fb)) != VOUCH_OK ||
	    (st = text.err) != VOUCH_OK)
		goto out;
	/* a boundary that occurs in no part (RFC 2046 §5.1.1) */
	for (tries = 0; tries < BOUNDARY_TRIES; tries++) {
		if ((st = random_hex(rnd, sizeof(rnd))) != VOUCH_OK)
			goto out;
		snprintf(boundary, sizeof(boundary), "=_vouch_%s", rnd);
		if (!contains(&text, boundary) && !contains(&fb, boundary) &&
		    !contains(&orig, boundary))
			break;
	}
	if (tries == BOUNDARY_TRIES) {
		st = VOUCH_ECRYPTO;
		goto out;
	}
	eight = has_8bit(orig.p, orig.len);
	add_subject(c, it, common);
	(void)vbuf_addf(common,
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: multipart/report; report-type=feedback-report;\r\n"
	    "\tboundary=\"%s\"\r\n"
	    "Content-Transfer-Encoding: %s\r\n",
	    boundary, eight ? "8bit" : "7bit");
	(void)vbuf_addf(out,
	    "This is a MIME-formatted message: a failure report of the "
	    "Abuse\r\nReporting Format (RFC 5965, RFC 6591, RFC 9991).\r\n"
	    "\r\n--%s\r\n"
	    "Content-Type: text/plain; charset=us-ascii\r\n"
	    "Content-Disposition: inline\r\n"
	    "Content-Transfer-Encoding: 7bit\r\n\r\n",
	    boundary);
	(void)vbuf_add(out, text.p, text.len);
	(void)vbuf_addf(out,
	    "\r\n--%s\r\n"
	    "Content-Type: message/feedback-report\r\n"
	    "Content-Transfer-Encoding: 7bit\r\n\r\n",
	    boundary);
	(void)vbuf_add(out, fb.p, fb.len);
	(void)vbuf_addf(out,
	    "\r\n--%s\r\n"
	    "Content-Type: %s\r\n"
	    "Content-Transfer-Encoding: %s\r\n\r\n",
	    boundary, body ? "message/rfc822" : "text/rfc822-headers",
	    eight ? "8bit" : "7bit");
	(void)vbuf_add(out, orig.p, orig.len);
	(void)vbuf_addf(out, "\r\n--%s--\r\n", boundary);
	st = common->err != VOUCH_OK ? common->err : out->err;
out:
	vbuf_free(&text);
	vbuf_free(&fb);
	vbuf_free(&orig);
	return st;
}

enum vouch_status
failure_arf_message(const struct failure_ctx *c, const char *to,
    const struct vbuf *common, const struct vbuf *body, char **data,
    size_t *len)
{
	struct vbuf m;
	char date[64], rnd[2 * RANDOM_BYTES + 1];
	const char *from = c->f->from, *at = strrchr(from, '@');
	enum vouch_status st;

	*data = NULL;
	*len = 0;
	if ((st = random_hex(rnd, sizeof(rnd))) != VOUCH_OK)
		return st;
	fmt_date(c->now, date, sizeof(date));
	vbuf_init(&m, VOUCH_FAILURE_MAX_REPORT);
	(void)vbuf_addf(&m,
	    "From: %s\r\n"
	    "To: %s\r\n"
	    "Date: %s\r\n"
	    "Message-ID: <%s.%lld@%s>\r\n"
	    "Auto-Submitted: auto-generated\r\n",
	    from, to, date, rnd, (long long)c->now,
	    at != NULL ? at + 1 : "invalid");
	(void)vbuf_add(&m, common->p, common->len);
	(void)vbuf_add(&m, "\r\n", 2);
	(void)vbuf_add(&m, body->p, body->len);
	if (m.err != VOUCH_OK) {
		st = m.err;
		vbuf_free(&m);
		return st;
	}
	*data = vbuf_take(&m, len);
	return *data != NULL ? VOUCH_OK : VOUCH_ENOMEM;
}
