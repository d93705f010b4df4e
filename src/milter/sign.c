/*
 * The sign role, in the milter process: which keys sign a message, whether
 * its login may send as its addresses, and the DKIM signing context fed as
 * the message streams past.  The header hash is computed here; the
 * signature over it is made by the signer process, which holds the keys
 * (the keys here are external: vouch_dkim_key_new_external).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <unistd.h>

#include "mail/address.h"
#include "milter.h"

/* ---- The channel to the signer ----------------------------------------- */

/* One request at a time on the channel: the signer is one thread, and an
 * RSA-2048 signature takes about a millisecond. */
static pthread_mutex_t chan_lock = PTHREAD_MUTEX_INITIALIZER;
static int chan_fd = -1;
static uint32_t chan_id;

/* How long the milter waits for the signer before tempfailing. */
#define SIGNER_TIMEOUT_MS 10000

void
signer_channel_init(int fd)
{
	chan_fd = fd;
}

static int
chan_recv(struct vouchd_imsg *m)
{
	struct pollfd pfd = {chan_fd, POLLIN, 0};

	if (poll(&pfd, 1, SIGNER_TIMEOUT_MS) != 1)
		return -1;
	return imsg_recv(chan_fd, m);
}

/* Send a request and read its answer, skipping stale answers of requests
 * that timed out before. */
static int
chan_call(struct vouchd_imsg *req, struct vouchd_imsg *rep)
{
	int rc = -1;

	pthread_mutex_lock(&chan_lock);
	req->id = ++chan_id;
	if (imsg_send(chan_fd, req) == 0)
		while ((rc = chan_recv(rep)) == 0 && rep->id != req->id)
			;
	pthread_mutex_unlock(&chan_lock);
	return rc;
}

static enum vouch_status
signer_sign(void *arg, enum vouch_dkim_sign_alg alg, const uint8_t *digest,
    size_t dlen, uint8_t *sig, size_t cap, size_t *siglen)
{
	const struct vouchd_key *k = arg;
	struct vouchd_imsg req, rep;

	if (dlen != sizeof(req.digest))
		return VOUCH_EINVAL;
	imsg_init(&req, IMSG_SIGN);
	snprintf(req.key, sizeof(req.key), "%s", k->name);
	req.alg = (uint8_t)alg;
	memcpy(req.digest, digest, dlen);
	metrics_count("signer_requests");
	if (chan_call(&req, &rep) != 0 || rep.type != IMSG_SIGNATURE) {
		metrics_count("signer_failures");
		return VOUCH_ETEMP;
	}
	if (rep.status != VOUCH_OK || rep.siglen == 0 || rep.siglen > cap ||
	    rep.siglen > sizeof(rep.sig)) {
		metrics_count("signer_failures");
		return rep.status != VOUCH_OK ? (enum vouch_status)rep.status
		                              : VOUCH_ECRYPTO;
	}
	memcpy(sig, rep.sig, rep.siglen);
	*siglen = rep.siglen;
	return VOUCH_OK;
}

int
signer_fetch_keys(struct vouchd_runtime *rt, char *err, size_t errlen)
{
	struct vouchd_imsg req, rep;
	struct vouchd_key *k;
	int rc = -1;

	imsg_init(&req, IMSG_KEYS);
	pthread_mutex_lock(&chan_lock);
	req.id = ++chan_id;
	if (imsg_send(chan_fd, &req) != 0)
		goto out;
	for (;;) {
		if (chan_recv(&rep) != 0)
			goto out;
		if (rep.id != req.id)
			continue;
		if (rep.type == IMSG_KEYS_END)
			break;
		if (rep.type != IMSG_KEY ||
		    rt->nkeys >= sizeof(rt->keys) / sizeof(rt->keys[0]))
			goto out;
		k = &rt->keys[rt->nkeys];
		memcpy(k->name, rep.key, sizeof(k->name));
		memcpy(k->domain, rep.domain, sizeof(k->domain));
		memcpy(k->selector, rep.selector, sizeof(k->selector));
		k->name[sizeof(k->name) - 1] = '\0';
		k->domain[sizeof(k->domain) - 1] = '\0';
		k->selector[sizeof(k->selector) - 1] = '\0';
		if (vouch_dkim_key_new_external(rep.key_type, rep.key_bits,
		        signer_sign, k, &k->ext) != VOUCH_OK)
			goto out;
		rt->nkeys++;
	}
	rc = 0;
out:
	pthread_mutex_unlock(&chan_lock);
	if (rc != 0)
		snprintf(err, errlen,
		    "the signer process did not list its "
		    "keys");
	return rc;
}

/* ---- Addresses --------------------------------------------------------- */

/* A local part usable in an address as written: a dot-atom (RFC 5322
 * §3.4.1); quoted strings and comments are left to "malformed". */
static int
plain_local(const uint8_t *p, size_t n, const uint8_t **out, size_t *outn)
{
	size_t i;

	while (n > 0 && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')) {
		p++;
		n--;
	}
	while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t' ||
	                    p[n - 1] == '\r' || p[n - 1] == '\n'))
		n--;
	if (n == 0 || n > 64)
		return -1;
	for (i = 0; i < n; i++)
		if (p[i] <= ' ' || p[i] >= 0x7f ||
		    strchr("\"(),:;<>@[\\]", p[i]))
			return -1;
	*out = p;
	*outn = n;
	return 0;
}

int
msg_authors(const struct vouchd_msg *m, const char *name,
    char out[][VOUCH_DNS_MAX_NAME + 130], size_t max, size_t *n)
{
	struct mail_field_span spans[8];
	struct mail_mailbox_list *list;
	size_t nspans = 0, nfound = 0, i, j;
	const uint8_t *lp;
	size_t ln;
	int rc = 0;

	*n = 0;
	if (mail_find_fields(m->hdr.p, m->hdr.len, name, strlen(name), spans, 8,
	        &nspans, &nfound) != VOUCH_OK ||
	    nfound > 8)
		return -1;
	if ((list = malloc(sizeof(*list))) == NULL)
		return -1;
	for (i = 0; i < nspans && rc == 0; i++) {
		const char *why;
		if (mail_from_parse(spans[i].p, spans[i].len, list, &why) !=
		    VOUCH_OK) {
			rc = -1;
			break;
		}
		for (j = 0; j < list->n && rc == 0; j++) {
			const struct mail_mailbox *mb = &list->mb[j];
			if (*n >= max || mb->literal ||
			    mb->domainlen > VOUCH_DNS_MAX_NAME ||
			    plain_local(mb->local, mb->locallen, &lp, &ln) !=
			        0) {
				rc = -1;
				break;
			}
			snprintf(out[*n], VOUCH_DNS_MAX_NAME + 130, "%.*s@%.*s",
			    (int)ln, (const char *)lp, (int)mb->domainlen,
			    (const char *)mb->domain);
			(*n)++;
		}
	}
	free(list);
	return rc;
}

/* ---- Send as ----------------------------------------------------------- */

/* The action of a send-as answer, and the reply text. */
static sfsistat
sendas_act(SMFICTX *ctx, enum vouchd_action act, const char *what,
    enum vouchd_verdict *v)
{
	if (act == VOUCHD_ACT_REJECT) {
		milter_reply(ctx, "550", "5.7.1", "%s", what);
		*v = VERDICT_REJECT;
		return SMFIS_REJECT;
	}
	if (act == VOUCHD_ACT_TEMPFAIL) {
		milter_reply(ctx, "451", "4.7.1", "%s", what);
		*v = VERDICT_TEMPFAIL;
		return SMFIS_TEMPFAIL;
	}
	*v = VERDICT_ACCEPT;
	return SMFIS_ACCEPT; /* passed on, not signed */
}

/* The values (after the colon) of the fields called name, at most max. */
static size_t
field_values(const struct vouchd_msg *m, const char *name, const uint8_t **val,
    size_t *len, size_t max)
{
	struct mail_field_span spans[8];
	size_t nspans = 0, nfound = 0, i;
	const uint8_t *colon;

	if (mail_find_fields(m->hdr.p, m->hdr.len, name, strlen(name), spans, 8,
	        &nspans, &nfound) != VOUCH_OK)
		return 0;
	for (i = 0; i < nspans && i < max; i++) {
		colon = memchr(spans[i].p, ':', spans[i].len);
		val[i] = colon != NULL ? colon + 1 : spans[i].p;
		len[i] = spans[i].len - (size_t)(val[i] - spans[i].p);
	}
	return i;
}

/*
 * Who may send as whom (SenderAuthTable, vouchd-tables(5)): every From
 * address, the Sender address and MAIL FROM must be the login's.  Mail in
 * the signing role without a login takes SenderAuthUnauthenticated.
 * Returns SMFIS_CONTINUE to sign, else the reply, with why set.
 */
static sfsistat
check_sender(SMFICTX *ctx, struct vouchd_conn *c, struct vouchd_msg *m,
    char *why, size_t cap, enum vouchd_verdict *v)
{
	const struct vouchd_conf *cf = c->rt->conf;
	const uint8_t *from[8], *sender[1];
	size_t fromlen[8], senderlen[1], nfrom, nsender;
	struct vouchd_sendas_verdict *sv;
	enum vouchd_action act;
	sfsistat r = SMFIS_CONTINUE;

	if (m->login[0] == '\0') {
		if (cf->sa_unauthenticated == VOUCHD_ACT_SIGN)
			return SMFIS_CONTINUE;
		snprintf(why, cap,
		    "not authenticated: this server signs only "
		    "mail of logged-in users");
		metrics_count("sendas_unauthenticated");
		return sendas_act(ctx, cf->sa_unauthenticated, why, v);
	}
	if (cf->sender_auth_table == NULL)
		return SMFIS_CONTINUE;
	if ((sv = malloc(sizeof(*sv))) == NULL)
		return sendas_act(ctx, VOUCHD_ACT_TEMPFAIL,
		    "out of memory checking the sender", v);
	nfrom = field_values(m, "From", from, fromlen, 8);
	nsender = field_values(m, "Sender", sender, senderlen, 1);
	if (vouchd_sendas_check(c->rt->sendas, m->login, strlen(m->login), from,
	        fromlen, nfrom, nsender ? sender[0] : NULL,
	        nsender ? senderlen[0] : 0, (const uint8_t *)m->mail_from,
	        strlen(m->mail_from), sv) != VOUCH_OK)
		sv->result = VOUCHD_SENDAS_ERROR;
	if (sv->result != VOUCHD_SENDAS_ALLOWED) {
		act = sv->result == VOUCHD_SENDAS_NO_MATCH    ? cf->sa_no_match
		      : sv->result == VOUCHD_SENDAS_MALFORMED ? cf->sa_malformed
		                                              : cf->sa_error;
		snprintf(why, cap, "%s (%s)",
		    sv->result == VOUCHD_SENDAS_ERROR
		        ? "the sender table could not answer; try again later"
		        : sv->reason,
		    vouchd_sendas_result_str(sv->result));
		metrics_count(
		    sv->result == VOUCHD_SENDAS_NO_MATCH    ? "sendas_no_match"
		    : sv->result == VOUCHD_SENDAS_MALFORMED ? "sendas_malformed"
		                                            : "sendas_error");
		r = sendas_act(ctx, act, why, v);
	}
	free(sv);
	return r;
}

/* ---- Keys for a message ------------------------------------------------ */

int
choose_keys(const struct vouchd_runtime *rt, const char *author,
    struct vouch_dkim_sign_req *reqs, struct key_choice *kc, size_t max,
    char *why, size_t cap)
{
	const char *at = strrchr(author, '@');
	struct vouchd_sign_match *mt;
	const struct vouchd_key *k;
	size_t i, n = 0;
	int rc;

	if (at == NULL || rt->signing == NULL)
		return 0;
	if ((mt = malloc(sizeof(*mt))) == NULL)
		return -1;
	if (vouchd_signing_lookup(rt->signing, (const uint8_t *)author,
	        (size_t)(at - author), (const uint8_t *)at + 1, strlen(at + 1),
	        mt) != VOUCH_OK)
		mt->outcome = VOUCHD_SIGN_NOMATCH;
	snprintf(why, cap, "%s", mt->why);
	for (i = 0; i < mt->n && n < max; i++) {
		if ((k = runtime_key(rt, mt->req[i].keypath)) == NULL) {
			snprintf(why, cap,
			    "key %.300s is not loaded (a path with '%%' "
			    "cannot be read ahead)",
			    mt->req[i].keypath);
			continue;
		}
		memcpy(kc[n].domain, mt->req[i].domain, sizeof(kc[n].domain));
		memcpy(kc[n].selector, mt->req[i].selector,
		    sizeof(kc[n].selector));
		memcpy(kc[n].identity, mt->req[i].identity,
		    sizeof(kc[n].identity));
		reqs[n].key = k->ext;
		reqs[n].domain = kc[n].domain;
		reqs[n].selector = kc[n].selector;
		reqs[n].auid = kc[n].identity[0] ? kc[n].identity : NULL;
		n++;
	}
	rc = mt->outcome == VOUCHD_SIGN_UNUSABLE && n == 0 ? -1 : (int)n;
	free(mt);
	return rc;
}

sfsistat
sign_eoh(SMFICTX *ctx, struct vouchd_conn *c, struct vouchd_msg *m)
{
	const struct vouchd_conf *cf = c->rt->conf;
	char from[VOUCHD_MAX_AUTHORS][VOUCH_DNS_MAX_NAME + 130];
	struct vouch_dkim_sign_req reqs[VOUCH_DKIM_SIGN_MAX_REQUESTS];
	struct key_choice *kc;
	char why[2200];
	size_t nfrom = 0, i;
	int nreq;
	bool from_bad;
	struct vouchd_eval ev;
	sfsistat r;

	memset(&ev, 0, sizeof(ev));
	ev.role = ROLE_SIGN;
	why[0] = '\0';
	r = check_sender(ctx, c, m, why, sizeof(why), &ev.verdict);
	if (r != SMFIS_CONTINUE) {
		ev.why = why;
		milter_finish_eval(c, m, &ev);
		return cf->dryrun ? SMFIS_ACCEPT : r;
	}
	from_bad =
	    msg_authors(m, "From", from, VOUCHD_MAX_AUTHORS, &nfrom) != 0 ||
	    nfrom == 0;
	memset(reqs, 0, sizeof(reqs));
	if ((kc = calloc(VOUCH_DKIM_SIGN_MAX_REQUESTS, sizeof(*kc))) == NULL) {
		m->failed = true;
		m->fail_why = "out of memory";
		return SMFIS_CONTINUE;
	}
	nreq = from_bad ? 0
	                : choose_keys(c->rt, from[0], reqs, kc,
	                      VOUCH_DKIM_SIGN_MAX_REQUESTS, why, sizeof(why));
	if (nreq <= 0) {
		free(kc);
		ev.verdict = nreq < 0 ? VERDICT_TEMPFAIL : VERDICT_ACCEPT;
		ev.why = from_bad   ? "no usable From address: not signed"
		         : nreq < 0 ? why
		         : why[0]   ? why
		                    : "no key for the From address: not signed";
		milter_finish_eval(c, m, &ev);
		if (nreq < 0 && !cf->dryrun) {
			milter_reply(ctx, "451", "4.7.0",
			    "vouchd: cannot sign: %s", why);
			return SMFIS_TEMPFAIL;
		}
		return SMFIS_ACCEPT;
	}
	for (i = 0; i < (size_t)nreq; i++) {
		reqs[i].header_relaxed = cf->header_relaxed;
		reqs[i].body_relaxed = cf->body_relaxed;
		reqs[i].expire = cf->signature_ttl;
		if (cf->sign_headers.n > 0) {
			reqs[i].headers =
			    (const char *const *)cf->sign_headers.item;
			reqs[i].nheaders = cf->sign_headers.n;
		}
		if (cf->oversign_headers.n > 0) {
			reqs[i].oversign_headers =
			    (const char *const *)cf->oversign_headers.item;
			reqs[i].noversign_headers = cf->oversign_headers.n;
		}
	}
	if (vouch_dkim_sign_new(reqs, (size_t)nreq, 0, &m->ds) != VOUCH_OK ||
	    vouch_dkim_sign_update(m->ds, m->hdr.p, m->hdr.len) != VOUCH_OK ||
	    vouch_dkim_sign_update(m->ds, (const uint8_t *)"\r\n", 2) !=
	        VOUCH_OK) {
		m->failed = true;
		m->fail_why = "the signing context could not start";
	}
	for (i = 0; i < (size_t)nreq; i++) {
		size_t n = strlen(m->signed_by);
		snprintf(m->signed_by + n, sizeof(m->signed_by) - n,
		    "%sd=%s s=%s", i ? ", " : "", reqs[i].domain,
		    reqs[i].selector);
	}
	free(kc);
	return SMFIS_CONTINUE;
}

sfsistat
sign_eom(SMFICTX *ctx, struct vouchd_conn *c, struct vouchd_msg *m)
{
	struct vouchd_eval ev;
	char *fields = NULL, *p, *end;
	size_t len;
	enum vouch_status st;
	sfsistat r = SMFIS_ACCEPT;

	memset(&ev, 0, sizeof(ev));
	ev.role = ROLE_SIGN;
	ev.signed_by = m->signed_by;
	if (m->ds == NULL)
		return SMFIS_ACCEPT;
	st = vouch_dkim_sign_finish(m->ds, true, &fields, &len);
	if (st != VOUCH_OK) {
		ev.verdict = VERDICT_TEMPFAIL;
		ev.why = st == VOUCH_ETEMP ? "the signer process did not answer"
		                           : vouch_dkim_sign_error(m->ds);
		ev.signed_by = "";
		milter_finish_eval(c, m, &ev);
		milter_reply(
		    ctx, "451", "4.7.0", "vouchd: not signed: %s", ev.why);
		return SMFIS_TEMPFAIL;
	}
	ev.why = "signed";
	if (!c->rt->conf->dryrun) {
		/* the fields in the order to prepend: insert the last first */
		for (end = fields + len; end > fields;) {
			for (p = end - 2; p > fields; p--)
				if (p[-1] == '\n' && p[0] != ' ' &&
				    p[0] != '\t')
					break;
			if (milter_insert_field(ctx, c, p, (size_t)(end - p)) !=
			    0) {
				r = SMFIS_TEMPFAIL;
				ev.verdict = VERDICT_TEMPFAIL;
				ev.why = "the MTA refused the signature field";
			}
			end = p;
		}
	}
	free(fields);
	milter_finish_eval(c, m, &ev);
	return r;
}
