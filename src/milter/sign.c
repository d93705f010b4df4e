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

enum sendas { SA_ALLOWED = 0, SA_NO_MATCH, SA_MALFORMED, SA_ERROR };

/*
 * May `login` send as `addr`?  The table: one line per login, the login
 * then the addresses, "@domain" entries or "*" it may use ('#' comments).
 * Read at each question so that a table changed on disk applies at once;
 * an unreadable table is SA_ERROR.
 */
static enum sendas
sendas_check(const char *path, const char *login, const char *addr)
{
	FILE *fp;
	char line[4096], *w, *save;
	const char *at = strrchr(addr, '@');
	enum sendas r = SA_NO_MATCH;

	if (at == NULL || at == addr || at[1] == '\0')
		return SA_MALFORMED;
	if ((fp = fopen(path, "r")) == NULL)
		return SA_ERROR;
	while (r == SA_NO_MATCH && fgets(line, sizeof(line), fp) != NULL) {
		line[strcspn(line, "#\n")] = '\0';
		w = strtok_r(line, " \t,", &save);
		if (w == NULL || strcasecmp(w, login) != 0)
			continue;
		while ((w = strtok_r(NULL, " \t,", &save)) != NULL)
			if (strcmp(w, "*") == 0 || strcasecmp(w, addr) == 0 ||
			    (w[0] == '@' && strcasecmp(w + 1, at + 1) == 0)) {
				r = SA_ALLOWED;
				break;
			}
	}
	fclose(fp);
	return r;
}

static const char *const sendas_words[] = {
    "allowed", "no_match", "malformed", "error"};

/* The action of a send-as answer, and the reply text. */
static sfsistat
sendas_act(SMFICTX *ctx, enum vouchd_action act, const char *what,
    struct vouchd_msg *m, enum vouchd_verdict *v)
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
	(void)m;
	return SMFIS_ACCEPT; /* passed on, not signed */
}

/*
 * Check every From address, the Sender address and MAIL FROM against the
 * login's entries.  Returns SMFIS_CONTINUE to sign, else the reply, with
 * *why set.
 */
static sfsistat
check_sender(SMFICTX *ctx, struct vouchd_conn *c, struct vouchd_msg *m,
    char (*from)[VOUCH_DNS_MAX_NAME + 130], size_t nfrom, int from_bad,
    char *why, size_t cap, enum vouchd_verdict *v)
{
	const struct vouchd_conf *cf = c->rt->conf;
	char sender[4][VOUCH_DNS_MAX_NAME + 130];
	size_t nsender = 0, i;
	enum sendas r;
	const char *addr;
	enum vouchd_action act;

	if (m->login[0] == '\0') {
		if (cf->sa_unauthenticated == VOUCHD_ACT_SIGN)
			return SMFIS_CONTINUE;
		snprintf(why, cap,
		    "not authenticated: this server signs only "
		    "mail of logged-in users");
		return sendas_act(ctx, cf->sa_unauthenticated, why, m, v);
	}
	if (cf->sender_auth_table == NULL)
		return SMFIS_CONTINUE;
	if (from_bad || msg_authors(m, "Sender", sender, 4, &nsender) != 0) {
		snprintf(why, cap,
		    "the %s address does not parse: login %s cannot be "
		    "checked against it",
		    from_bad ? "From" : "Sender", m->login);
		metrics_count("sendas_malformed");
		return sendas_act(ctx, cf->sa_malformed, why, m, v);
	}
	for (i = 0; i < nfrom + nsender + 1; i++) {
		addr = i < nfrom             ? from[i]
		       : i < nfrom + nsender ? sender[i - nfrom]
		                             : m->mail_from;
		if (addr[0] == '\0')
			continue; /* the null reverse-path */
		r = sendas_check(cf->sender_auth_table, m->login, addr);
		if (r == SA_ALLOWED)
			continue;
		metrics_count(r == SA_NO_MATCH    ? "sendas_no_match"
		              : r == SA_MALFORMED ? "sendas_malformed"
		                                  : "sendas_error");
		act = r == SA_NO_MATCH    ? cf->sa_no_match
		      : r == SA_MALFORMED ? cf->sa_malformed
		                          : cf->sa_error;
		if (r == SA_ERROR)
			snprintf(why, cap,
			    "the sender table could not be read; try again "
			    "later");
		else
			snprintf(why, cap,
			    "%s <%.300s> is not allowed for login %.200s (%s)",
			    i < nfrom             ? "From address"
			    : i < nfrom + nsender ? "Sender address"
			                          : "MAIL FROM address",
			    addr, m->login, sendas_words[r]);
		return sendas_act(ctx, act, why, m, v);
	}
	return SMFIS_CONTINUE;
}

/* ---- Keys for a message ------------------------------------------------ */

/*
 * The single-key configuration (Domain, Selector, KeyFile): a From domain
 * in Domain, or under one with SubDomains, is signed with d= that entry.
 * The KeyTable/SigningTable lookup plugs in here.
 */
static size_t
choose_keys(const struct vouchd_runtime *rt, const char *author,
    struct vouch_dkim_sign_req *reqs, size_t max)
{
	const struct vouchd_conf *cf = rt->conf;
	const char *dom = strrchr(author, '@');
	const struct vouchd_key *k = runtime_key(rt, "default");
	size_t i, dl, il;

	if (dom == NULL || k == NULL || max == 0)
		return 0;
	dom++;
	dl = strlen(dom);
	for (i = 0; i < cf->domains.n; i++) {
		const char *d = cf->domains.item[i];
		il = strlen(d);
		if ((dl == il && strcasecmp(dom, d) == 0) ||
		    (cf->subdomains && dl > il + 1 && dom[dl - il - 1] == '.' &&
		        strcasecmp(dom + dl - il, d) == 0)) {
			reqs[0].key = k->ext;
			reqs[0].domain = d;
			reqs[0].selector = cf->selector;
			return 1;
		}
	}
	return 0;
}

sfsistat
sign_eoh(SMFICTX *ctx, struct vouchd_conn *c, struct vouchd_msg *m)
{
	const struct vouchd_conf *cf = c->rt->conf;
	char from[VOUCHD_MAX_AUTHORS][VOUCH_DNS_MAX_NAME + 130];
	struct vouch_dkim_sign_req reqs[VOUCH_DKIM_SIGN_MAX_REQUESTS];
	char why[600];
	size_t nfrom = 0, nreq, i;
	int from_bad;
	struct vouchd_eval ev;
	sfsistat r;

	memset(&ev, 0, sizeof(ev));
	ev.role = ROLE_SIGN;
	why[0] = '\0';
	from_bad =
	    msg_authors(m, "From", from, VOUCHD_MAX_AUTHORS, &nfrom) != 0 ||
	    nfrom == 0;
	r = check_sender(
	    ctx, c, m, from, nfrom, from_bad, why, sizeof(why), &ev.verdict);
	if (r != SMFIS_CONTINUE) {
		ev.why = why;
		milter_finish_eval(c, m, &ev);
		return cf->dryrun ? SMFIS_ACCEPT : r;
	}
	memset(reqs, 0, sizeof(reqs));
	nreq = from_bad ? 0
	                : choose_keys(c->rt, from[0], reqs,
	                      VOUCH_DKIM_SIGN_MAX_REQUESTS);
	if (nreq == 0) {
		ev.why = from_bad ? "no usable From address: not signed"
		                  : "no key for the From domain: not signed";
		milter_finish_eval(c, m, &ev);
		return SMFIS_ACCEPT;
	}
	for (i = 0; i < nreq; i++) {
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
	if (vouch_dkim_sign_new(reqs, nreq, 0, &m->ds) != VOUCH_OK ||
	    vouch_dkim_sign_update(m->ds, m->hdr.p, m->hdr.len) != VOUCH_OK ||
	    vouch_dkim_sign_update(m->ds, (const uint8_t *)"\r\n", 2) !=
	        VOUCH_OK) {
		m->failed = true;
		m->fail_why = "the signing context could not start";
		return SMFIS_CONTINUE;
	}
	for (i = 0; i < nreq; i++) {
		size_t n = strlen(m->signed_by);
		snprintf(m->signed_by + n, sizeof(m->signed_by) - n,
		    "%sd=%s s=%s", i ? ", " : "", reqs[i].domain,
		    reqs[i].selector);
	}
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
