/*
 * Printing an SPF result: the Received-SPF field (RFC 7208 §9.1) and the
 * spf= resinfo of Authentication-Results (RFC 8601 §2.7.2, RFC 7208 §9.2).
 * Every untrusted byte is quoted or replaced, so the sender cannot inject
 * header text (§9.1: "does not contain malicious data").
 */
#include <arpa/inet.h>
#include <string.h>

#include "internal.h"
#include "vouch/limits.h"

/* atext of RFC 5322 §3.2.3 */
static int
is_atext(uint8_t c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != 0 && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

/* A byte that may appear in the field, else '?'. */
static uint8_t
safe(uint8_t c)
{
	return (c < 0x20 || c >= 0x7f) ? '?' : c;
}

/*
 * dot-atom (RFC 5322 §3.2.3) when it is one, else quoted-string.  Values
 * come from the SMTP client: past VOUCH_SPF_MAX_TEXT bytes they are cut
 * and end in "..." (§9.1: the field must not be excessively long).
 */
static void
value(struct vbuf *b, const void *vp, size_t len)
{
	const uint8_t *p = vp;
	size_t i;
	int cut = len > VOUCH_SPF_MAX_TEXT;
	int atom;

	if (cut)
		len = VOUCH_SPF_MAX_TEXT;
	atom = !cut && len > 0 && p[0] != '.' && p[len - 1] != '.';

	for (i = 0; i < len && atom; i++)
		if (!(is_atext(p[i]) ||
		        (p[i] == '.' && (i + 1 == len || p[i + 1] != '.'))))
			atom = 0;
	if (atom) {
		(void)vbuf_add(b, p, len);
		return;
	}
	(void)vbuf_addc(b, '"');
	for (i = 0; i < len; i++) {
		if (p[i] == '"' || p[i] == '\\')
			(void)vbuf_addc(b, '\\');
		(void)vbuf_addc(b, safe(p[i]));
	}
	if (cut)
		(void)vbuf_adds(b, "...");
	(void)vbuf_addc(b, '"');
}

/* Comment text (RFC 5322 §3.2.2): parentheses and backslash escaped. */
static void
ctext(struct vbuf *b, const void *vp, size_t len)
{
	const uint8_t *p = vp;
	size_t i;

	for (i = 0; i < len; i++) {
		if (p[i] == '(' || p[i] == ')' || p[i] == '\\')
			(void)vbuf_addc(b, '\\');
		(void)vbuf_addc(b, safe(p[i]));
	}
}

static void
ctexts(struct vbuf *b, const char *s)
{
	ctext(b, s, strlen(s));
}

static enum vouch_status
finish(struct vbuf *b, char *out, size_t cap, size_t *len)
{
	enum vouch_status st = b->err;

	if (st != VOUCH_OK || b->len >= cap) {
		if (cap > 0)
			out[0] = '\0';
		vbuf_free(b);
		return st == VOUCH_ENOMEM ? VOUCH_ENOMEM : VOUCH_ELIMIT;
	}
	memcpy(out, b->p, b->len + 1);
	if (len != NULL)
		*len = b->len;
	vbuf_free(b);
	return VOUCH_OK;
}

enum vouch_status
vouch_spf_received(const struct vouch_spf_request *req,
    const struct vouch_spf_result *res, char *out, size_t cap, size_t *len)
{
	struct vbuf b;
	struct spf_ip ip;
	char ipt[INET6_ADDRSTRLEN] = "unknown";
	const char *recv = "unknown";
	size_t recvlen = 7;
	const char *r;

	if (req == NULL || res == NULL || out == NULL)
		return VOUCH_EINVAL;
	r = vouch_spf_verdict_str(res->verdict);
	if (req->receiver != NULL && req->receiver_len > 0) {
		recv = req->receiver;
		recvlen = req->receiver_len > VOUCH_DNS_MAX_NAME
		              ? VOUCH_DNS_MAX_NAME
		              : req->receiver_len;
	}
	if (req->ip != NULL && spf_ip_parse(req->ip, req->ip_len, &ip) == 0)
		inet_ntop(ip.v6 ? AF_INET6 : AF_INET, ip.a, ipt, sizeof(ipt));
	vbuf_init(&b, cap);
	(void)vbuf_addf(&b, "Received-SPF: %s (", r);
	ctext(&b, recv, recvlen);
	ctexts(&b, ": ");
	/* The comment wording of RFC 7208 §9.1's examples. */
	switch (res->verdict) {
	case VOUCH_SPF_PASS:
		ctexts(&b, "domain of ");
		ctexts(&b, res->sender);
		ctexts(&b, " designates ");
		ctexts(&b, ipt);
		ctexts(&b, " as permitted sender");
		break;
	case VOUCH_SPF_FAIL:
		ctexts(&b, "domain of ");
		ctexts(&b, res->sender);
		ctexts(&b, " does not designate ");
		ctexts(&b, ipt);
		ctexts(&b, " as permitted sender");
		break;
	case VOUCH_SPF_SOFTFAIL:
		ctexts(&b, "domain of transitioning ");
		ctexts(&b, res->sender);
		ctexts(&b, " does not designate ");
		ctexts(&b, ipt);
		ctexts(&b, " as permitted sender");
		break;
	case VOUCH_SPF_NEUTRAL:
		ctexts(&b, ipt);
		ctexts(&b, " is neither permitted nor denied by domain of ");
		ctexts(&b, res->sender);
		break;
	case VOUCH_SPF_NONE:
		ctexts(&b, "domain of ");
		ctexts(&b, res->sender);
		ctexts(&b, " does not designate permitted sender hosts");
		break;
	case VOUCH_SPF_TEMPERROR:
		ctexts(&b, "error in processing during lookup of ");
		ctexts(&b, res->sender);
		break;
	case VOUCH_SPF_PERMERROR:
		ctexts(&b, "permanent error in processing domain of ");
		ctexts(&b, res->sender);
		break;
	}
	(void)vbuf_adds(&b, ") receiver=");
	value(&b, recv, recvlen);
	(void)vbuf_adds(&b, "; client-ip=");
	value(&b, ipt, strlen(ipt));
	if (res->identity == VOUCH_SPF_MAILFROM) {
		(void)vbuf_adds(&b, "; envelope-from=");
		value(&b, req->mail_from ? req->mail_from : "",
		    req->mail_from ? req->mail_from_len : 0);
	}
	(void)vbuf_adds(&b, "; helo=");
	value(&b, req->helo ? req->helo : "", req->helo ? req->helo_len : 0);
	(void)vbuf_addf(&b, "; identity=%s",
	    res->identity == VOUCH_SPF_HELO ? "helo" : "mailfrom");
	if (res->mechanism[0] != '\0') {
		(void)vbuf_adds(&b, "; mechanism=");
		value(&b, res->mechanism, strlen(res->mechanism));
	}
	if ((res->verdict == VOUCH_SPF_TEMPERROR ||
	        res->verdict == VOUCH_SPF_PERMERROR) &&
	    res->reason[0] != '\0') {
		(void)vbuf_adds(&b, "; problem=");
		value(&b, res->reason, strlen(res->reason));
	}
	(void)vbuf_addc(&b, ';');
	return finish(&b, out, cap, len);
}

enum vouch_status
vouch_spf_resinfo(
    const struct vouch_spf_result *res, char *out, size_t cap, size_t *len)
{
	struct vbuf b;

	if (res == NULL || out == NULL)
		return VOUCH_EINVAL;
	vbuf_init(&b, cap);
	(void)vbuf_addf(&b, "spf=%s", vouch_spf_verdict_str(res->verdict));
	if ((res->verdict == VOUCH_SPF_TEMPERROR ||
	        res->verdict == VOUCH_SPF_PERMERROR) &&
	    res->reason[0] != '\0') {
		(void)vbuf_adds(&b, " reason=");
		value(&b, res->reason, strlen(res->reason));
	}
	/* RFC 7208 §9.2: the domain of the identity checked */
	(void)vbuf_adds(&b, res->identity == VOUCH_SPF_HELO
	                        ? " smtp.helo="
	                        : " smtp.mailfrom=");
	value(&b, res->domain, strlen(res->domain));
	return finish(&b, out, cap, len);
}
