/*
 * The milter process: libmilter's callbacks, kept thin.  Each stage hands
 * the bytes to the library's verify session (verify.c) or to the DKIM
 * signer (sign.c); the decisions are made at the end of the header (send
 * as) and of the message (verdict, disposition).
 *
 * Every milter event vouchd does not need is negotiated away (recipients,
 * DATA, unknown commands) and no reply is sent for the events where the
 * MTA agrees to that (SMFIP_NR_*): one conversation costs the MTA as
 * little as it can.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <strings.h>
#include <syslog.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "milter.h"

static atomic_ulong conn_serial;
static atomic_int conns_open;
/* Messages between MAIL and their end: what a stop waits for. */
static atomic_int msgs_open;
/* Stopping: new connections are refused, messages in flight finish. */
static atomic_bool draining;
static int ctl_fd = -1;
static const char *conf_path;
static char listen_spec[1024];
static char hidden_path[1100]; /* the unix socket's path while stopping */

/* The protocol steps vouchd never needs, and the replies it can do
 * without; both only as far as the MTA offers them. */
#define WANT_STEPS_OFF (SMFIP_NORCPT | SMFIP_NOUNKNOWN | SMFIP_NODATA)
#define WANT_NOREPLY \
	(SMFIP_NR_HELO | SMFIP_NR_MAIL | SMFIP_NR_HDR | SMFIP_NR_BODY)

static struct vouchd_conn *
conn_of(SMFICTX *ctx)
{
	return smfi_getpriv(ctx);
}

static sfsistat
noreply(const struct vouchd_conn *c, unsigned long flag)
{
	return (c->pflags & flag) ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

static struct vouchd_conn *
conn_new(SMFICTX *ctx)
{
	struct vouchd_conn *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->rt = runtime_get();
	c->serial = atomic_fetch_add(&conn_serial, 1) + 1;
	atomic_fetch_add(&conns_open, 1);
	smfi_setpriv(ctx, c);
	return c;
}

static void
msg_free(struct vouchd_conn *c)
{
	struct vouchd_msg *m = c->msg;

	if (m == NULL)
		return;
	atomic_fetch_sub(&msgs_open, 1);
	vouch_verify_msg_free(m->vm);
	if (m->v != NULL)
		runtime_verifier_put(c->rt, m->v);
	vouch_arc_seal_free(m->seal);
	vouch_dkim_sign_free(m->ds);
	vbuf_free(&m->hdr);
	vbuf_free(&m->field);
	free(m);
	c->msg = NULL;
}

static sfsistat
mlfi_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
    unsigned long f2, unsigned long f3, unsigned long *pf0, unsigned long *pf1,
    unsigned long *pf2, unsigned long *pf3)
{
	struct vouchd_conn *c = conn_of(ctx);
	unsigned long want =
	    WANT_STEPS_OFF | WANT_NOREPLY | SMFIP_HDR_LEADSPC | SMFIP_SKIP;

	if (c == NULL && (c = conn_new(ctx)) == NULL)
		return SMFIS_TEMPFAIL;
	/* No reply at CONNECT when there is no IgnoreHosts to act on (and
	 * vouchd is not stopping, when CONNECT is refused). */
	if (c->rt->conf->ignore_hosts.n == 0 && !atomic_load(&draining))
		want |= SMFIP_NR_CONN;
	/* Record needs the first recipient's domain (RFC 9990 envelope_to):
	 * the RCPT step then, still without a reply */
	if (c->rt->conf->record)
		want = (want & ~(unsigned long)SMFIP_NORCPT) | SMFIP_NR_RCPT;
	*pf0 = f0 & (SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_QUARANTINE);
	*pf1 = f1 & want;
	*pf2 = 0;
	*pf3 = 0;
	c->pflags = *pf1;
	return SMFIS_CONTINUE;
}

static sfsistat
mlfi_connect(SMFICTX *ctx, char *hostname, _SOCK_ADDR *sa)
{
	struct vouchd_conn *c = conn_of(ctx);
	const struct vouchd_conf *cf;

	if (c == NULL && (c = conn_new(ctx)) == NULL)
		return SMFIS_TEMPFAIL;
	if (atomic_load(&draining) && !(c->pflags & SMFIP_NR_CONN))
		return SMFIS_TEMPFAIL;
	cf = c->rt->conf;
	if (sa != NULL && sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;
		c->family = AF_INET;
		memcpy(c->addr, &in->sin_addr, 4);
		inet_ntop(AF_INET, &in->sin_addr, c->ip, sizeof(c->ip));
	} else if (sa != NULL && sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;
		c->family = AF_INET6;
		memcpy(c->addr, &in6->sin6_addr, 16);
		/* an IPv4-mapped client is an IPv4 client (RFC 4291 §2.5.5.2;
		 * SPF's ip4 terms must match it) */
		if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
			c->family = AF_INET;
			memmove(c->addr, c->addr + 12, 4);
		}
		inet_ntop(c->family, c->addr, c->ip, sizeof(c->ip));
	}
	if (c->family != 0) {
		c->internal =
		    vouchd_nets_match(&cf->internal_hosts, c->family, c->addr);
		c->ignore =
		    vouchd_nets_match(&cf->ignore_hosts, c->family, c->addr);
	}
	if (c->ignore && !(c->pflags & SMFIP_NR_CONN))
		return SMFIS_ACCEPT;
	return noreply(c, SMFIP_NR_CONN);
}

static sfsistat
mlfi_helo(SMFICTX *ctx, char *helo)
{
	struct vouchd_conn *c = conn_of(ctx);

	if (c == NULL)
		return SMFIS_TEMPFAIL;
	snprintf(c->helo, sizeof(c->helo), "%s", helo != NULL ? helo : "");
	return noreply(c, SMFIP_NR_HELO);
}

/* A macro of MacroList is set (to one of its values, if any are given). */
static int
macro_matches(SMFICTX *ctx, const struct vouchd_conf *cf)
{
	char name[80];
	const char *v;
	size_t i;

	for (i = 0; i < cf->nmacros; i++) {
		snprintf(name, sizeof(name),
		    strlen(cf->macros[i].name) > 1 ? "{%s}" : "%s",
		    cf->macros[i].name);
		if ((v = smfi_getsymval(ctx, name)) == NULL || *v == '\0')
			continue;
		if (cf->macros[i].values.n == 0 ||
		    vouchd_list_has(&cf->macros[i].values, v, strlen(v)))
			return 1;
	}
	return 0;
}

static enum vouchd_role
choose_role(SMFICTX *ctx, struct vouchd_conn *c, const char *login)
{
	const struct vouchd_conf *cf = c->rt->conf;
	const char *auth_type = smfi_getsymval(ctx, "{auth_type}");
	bool authed =
	    login[0] != '\0' || (auth_type != NULL && auth_type[0] != '\0');

	if (c->ignore)
		return ROLE_NONE;
	if (cf->sign && (authed || c->internal || macro_matches(ctx, cf)))
		return ROLE_SIGN;
	/* Authenticated mail is not DMARC-evaluated by default. */
	if (authed && cf->ignore_authenticated)
		return ROLE_NONE;
	return cf->verify ? ROLE_VERIFY : ROLE_NONE;
}

static void
copy_addr(char *dst, size_t cap, const char *arg)
{
	size_t n;

	if (arg == NULL)
		arg = "";
	if (*arg == '<')
		arg++;
	n = strcspn(arg, ">");
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, arg, n);
	dst[n] = '\0';
}

static sfsistat
mlfi_envfrom(SMFICTX *ctx, char **argv)
{
	struct vouchd_conn *c = conn_of(ctx);
	struct vouchd_msg *m;
	const char *login;

	if (c == NULL)
		return SMFIS_TEMPFAIL;
	msg_free(c);
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return SMFIS_TEMPFAIL;
	atomic_fetch_add(&msgs_open, 1);
	c->msg = m;
	clock_gettime(CLOCK_MONOTONIC, &m->t0);
	vbuf_init(&m->hdr, VOUCH_MAX_HEADER_BYTES);
	vbuf_init(&m->field, VOUCH_MAX_HEADER_BYTES + 2);
	copy_addr(
	    m->mail_from, sizeof(m->mail_from), argv != NULL ? argv[0] : NULL);
	login = smfi_getsymval(ctx, "{auth_authen}");
	snprintf(m->login, sizeof(m->login), "%s", login ? login : "");
	m->role = choose_role(ctx, c, m->login);
	if (m->role == ROLE_VERIFY && verify_start(c, m) != 0) {
		m->failed = true;
		m->fail_why = "cannot start the verify session";
	}
	return noreply(c, SMFIP_NR_MAIL);
}

/* Only with Record (the step is negotiated away otherwise): the first
 * recipient, whose domain is the report's envelope_to. */
static sfsistat
mlfi_envrcpt(SMFICTX *ctx, char **argv)
{
	struct vouchd_conn *c = conn_of(ctx);

	if (c == NULL)
		return SMFIS_TEMPFAIL;
	if (c->msg != NULL && c->msg->rcpt[0] == '\0' && argv != NULL)
		copy_addr(c->msg->rcpt, sizeof(c->msg->rcpt), argv[0]);
	return noreply(c, SMFIP_NR_RCPT);
}

static const char *const req_names[RF_COUNT] = {"From", "Date", "Sender",
    "Reply-To", "To", "Cc", "Bcc", "Message-ID", "In-Reply-To", "References",
    "Subject"};

/* Count what RequiredHeaders and the dispositions need. */
static void
note_field(struct vouchd_msg *m, const char *name)
{
	size_t i;

	for (i = 0; i < RF_COUNT; i++)
		if (strcasecmp(name, req_names[i]) == 0) {
			m->counts[i]++;
			break;
		}
	if (strcasecmp(name, "List-Id") == 0)
		m->list_id = true;
}

/*
 * The raw field as it came in SMTP: "Name:" and the value (its leading
 * blank kept with SMFIP_HDR_LEADSPC, else the one the MTA took away put
 * back), folded lines with CRLF (MTAs hand them with bare LF), CRLF.
 */
static void
raw_field(const struct vouchd_conn *c, const char *name, const char *value,
    struct vbuf *out)
{
	const char *p = value, *nl;
	size_t len = strlen(value);

	vbuf_adds(out, name);
	vbuf_add(out, c->pflags & SMFIP_HDR_LEADSPC ? ":" : ": ",
	    c->pflags & SMFIP_HDR_LEADSPC ? 1 : 2);
	/* the value in spans between line ends, not byte by byte: every
	 * header field of every message comes through here */
	while ((nl = memchr(p, '\n', len - (size_t)(p - value))) != NULL) {
		vbuf_add(out, p, (size_t)(nl - p));
		if (nl == value || nl[-1] != '\r')
			vbuf_addc(out, '\r');
		vbuf_addc(out, '\n');
		p = nl + 1;
	}
	vbuf_add(out, p, len - (size_t)(p - value));
	vbuf_adds(out, "\r\n");
}

/*
 * TrustedAuthservIDs (split MX, filter hosts): the results an upstream
 * host of ours recorded are kept in the message, as every field not of
 * our own id is, and named in the log line next to vouchd's own.
 */
static void
note_upstream(const struct vouchd_conn *c, struct vouchd_msg *m,
    const uint8_t *field, size_t len)
{
	const struct vouchd_conf *cf = c->rt->conf;
	struct vouch_authres *ar = NULL;
	size_t i, n = strlen(m->upstream);

	if (cf->trusted_authserv_ids.n == 0 ||
	    vouch_authres_parse(field, len, &ar) != VOUCH_OK)
		return;
	if (vouchd_list_has(&cf->trusted_authserv_ids, ar->authserv_id,
	        ar->authserv_id_len))
		for (i = 0; i < ar->nresults && n < sizeof(m->upstream); i++)
			n += (size_t)(i == 0
			                  ? snprintf(m->upstream + n,
			                        sizeof(m->upstream) - n,
			                        "%s%.*s:%s=%s", n ? " " : "",
			                        (int)ar->authserv_id_len,
			                        ar->authserv_id,
			                        ar->results[i].method,
			                        ar->results[i].result)
			                  : snprintf(m->upstream + n,
			                        sizeof(m->upstream) - n,
			                        " %s=%s", ar->results[i].method,
			                        ar->results[i].result));
	vouch_authres_result_free(ar);
}

static sfsistat
mlfi_header(SMFICTX *ctx, char *name, char *value)
{
	struct vouchd_conn *c = conn_of(ctx);
	struct vouchd_msg *m;
	struct vbuf *f;
	size_t start, flen;
	const uint8_t *field;

	if (c == NULL || (m = c->msg) == NULL)
		return SMFIS_TEMPFAIL;
	if (m->role == ROLE_NONE || m->failed)
		return noreply(c, SMFIP_NR_HDR);
	/* the field alone first: the verify session judges every field,
	 * also past the size vouchd keeps (the library marks the header
	 * too large itself, as for a whole message); the message's scratch
	 * buffer keeps its storage from one field to the next */
	f = &m->field;
	vbuf_reset(f);
	raw_field(c, name, value != NULL ? value : "", f);
	note_field(m, name);
	start = m->hdr.len;
	if (f->err == VOUCH_OK)
		vbuf_add(&m->hdr, f->p, f->len);
	if (f->err != VOUCH_OK || m->hdr.err != VOUCH_OK) {
		/* over VOUCH_MAX_HEADER_BYTES: not kept; nothing is signed */
		m->hdr.len = start;
		m->hdr.err = VOUCH_OK;
		if (m->role == ROLE_SIGN) {
			m->failed = true;
			m->fail_why = "header section too large to sign";
		}
	}
	if (m->role != ROLE_VERIFY || f->err != VOUCH_OK)
		return noreply(c, SMFIP_NR_HDR);
	field = f->p;
	flen = f->len;
	if (strcasecmp(name, "Authentication-Results") == 0) {
		m->nauthres++;
		/* RFC 8601 §5: fields claiming our authserv-id are removed */
		if (vouch_verify_forged_field(m->v, field, flen)) {
			if (m->nforged < VOUCHD_MAX_FORGED)
				m->forged[m->nforged++] = m->nauthres;
			else {
				m->failed = true;
				m->fail_why = "too many forged "
				              "Authentication-Results fields";
			}
		} else
			note_upstream(c, m, field, flen);
	}
	if (vouch_verify_msg_header(m->vm, field, flen) != VOUCH_OK) {
		m->failed = true;
		m->fail_why = "verify session refused a header field";
	}
	return noreply(c, SMFIP_NR_HDR);
}

static void
take_queue_id(SMFICTX *ctx, struct vouchd_msg *m)
{
	const char *qid;

	if (m->queue_id[0] == '\0' && (qid = smfi_getsymval(ctx, "i")) != NULL)
		snprintf(m->queue_id, sizeof(m->queue_id), "%s", qid);
}

static sfsistat
mlfi_eoh(SMFICTX *ctx)
{
	struct vouchd_conn *c = conn_of(ctx);
	struct vouchd_msg *m;

	if (c == NULL || (m = c->msg) == NULL)
		return SMFIS_TEMPFAIL;
	take_queue_id(ctx, m);
	if (m->role == ROLE_NONE)
		return SMFIS_ACCEPT;
	if (m->role == ROLE_SIGN && !m->failed)
		return sign_eoh(ctx, c, m);
	if (m->role == ROLE_VERIFY && !m->failed && verify_eoh(c, m) != 0) {
		m->failed = true;
		m->fail_why = "the ARC sealer refused the header";
	}
	return SMFIS_CONTINUE;
}

static sfsistat
mlfi_body(SMFICTX *ctx, unsigned char *p, size_t len)
{
	struct vouchd_conn *c = conn_of(ctx);
	struct vouchd_msg *m;
	enum vouch_status st = VOUCH_OK;

	if (c == NULL || (m = c->msg) == NULL)
		return SMFIS_TEMPFAIL;
	/* SMFIS_SKIP is a reply: where the MTA sends the body without
	 * awaiting one (SMFIP_NR_BODY), libmilter drops it and logs an
	 * error for every chunk */
	if (m->failed || m->role == ROLE_NONE ||
	    (m->role == ROLE_SIGN && m->ds == NULL))
		return (c->pflags & SMFIP_NR_BODY) ? SMFIS_NOREPLY
		       : (c->pflags & SMFIP_SKIP)  ? SMFIS_SKIP
		                                   : SMFIS_CONTINUE;
	m->body_seen = true;
	if (m->role == ROLE_VERIFY) {
		st = vouch_verify_msg_body(m->vm, p, len);
		if (st == VOUCH_OK && m->seal != NULL)
			st = vouch_arc_seal_update(m->seal, p, len);
	} else
		st = vouch_dkim_sign_update(m->ds, p, len);
	if (st != VOUCH_OK) {
		m->failed = true;
		m->fail_why = "the body could not be hashed";
	}
	return noreply(c, SMFIP_NR_BODY);
}

static sfsistat
mlfi_eom(SMFICTX *ctx)
{
	struct vouchd_conn *c = conn_of(ctx);
	struct vouchd_msg *m;
	struct vouchd_eval ev;
	sfsistat r;

	if (c == NULL || (m = c->msg) == NULL)
		return SMFIS_TEMPFAIL;
	take_queue_id(ctx, m);
	if (m->failed) {
		/* An internal error never loses mail. */
		memset(&ev, 0, sizeof(ev));
		ev.role = m->role;
		ev.verdict = VERDICT_TEMPFAIL;
		ev.why = m->fail_why;
		milter_finish_eval(c, m, &ev);
		milter_reply(ctx, "451", "4.7.0", "vouchd: %s, try again later",
		    m->fail_why);
		r = SMFIS_TEMPFAIL;
	} else if (m->role == ROLE_VERIFY)
		r = verify_eom(ctx, c, m);
	else if (m->role == ROLE_SIGN)
		r = sign_eom(ctx, c, m);
	else
		r = SMFIS_ACCEPT;
	msg_free(c);
	return r;
}

static sfsistat
mlfi_abort(SMFICTX *ctx)
{
	struct vouchd_conn *c = conn_of(ctx);

	if (c != NULL)
		msg_free(c);
	return SMFIS_CONTINUE;
}

static sfsistat
mlfi_close(SMFICTX *ctx)
{
	struct vouchd_conn *c = conn_of(ctx);

	if (c == NULL)
		return SMFIS_CONTINUE;
	msg_free(c);
	runtime_put(c->rt);
	free(c);
	smfi_setpriv(ctx, NULL);
	atomic_fetch_sub(&conns_open, 1);
	return SMFIS_CONTINUE;
}

static struct smfiDesc desc = {
    .xxfi_name = "vouchd",
    .xxfi_version = SMFI_VERSION,
    .xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_QUARANTINE,
    .xxfi_connect = mlfi_connect,
    .xxfi_helo = mlfi_helo,
    .xxfi_envfrom = mlfi_envfrom,
    .xxfi_envrcpt = mlfi_envrcpt,
    .xxfi_header = mlfi_header,
    .xxfi_eoh = mlfi_eoh,
    .xxfi_body = mlfi_body,
    .xxfi_eom = mlfi_eom,
    .xxfi_abort = mlfi_abort,
    .xxfi_close = mlfi_close,
    .xxfi_negotiate = mlfi_negotiate,
};

/* ---- Helpers for verify.c and sign.c ----------------------------------- */

void
milter_reply(
    SMFICTX *ctx, const char *rcode, const char *xcode, const char *fmt, ...)
{
	char text[512];
	va_list ap;
	size_t i;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	/* one line of printable ASCII; '%' is special to the MTA's
	 * formatting (sendmail), so it is not passed on */
	for (i = 0; text[i] != '\0'; i++)
		if ((unsigned char)text[i] < 0x20 ||
		    (unsigned char)text[i] > 0x7e || text[i] == '%')
			text[i] = '?';
	smfi_setreply(ctx, (char *)rcode, (char *)xcode, text);
}

int
milter_insert_field(
    SMFICTX *ctx, const struct vouchd_conn *c, const char *field, size_t len)
{
	char name[128], *value;
	const char *colon = memchr(field, ':', len);
	size_t n, i, j;
	int rc;

	if (colon == NULL || (size_t)(colon - field) >= sizeof(name))
		return -1;
	n = (size_t)(colon - field);
	memcpy(name, field, n);
	name[n] = '\0';
	if ((value = malloc(len)) == NULL)
		return -1;
	i = n + 1;
	/* without SMFIP_HDR_LEADSPC the MTA writes "Name: " itself */
	if (!(c->pflags & SMFIP_HDR_LEADSPC) && i < len && field[i] == ' ')
		i++;
	/* milter header values fold with bare LF; no final line end */
	for (j = 0; i < len; i++)
		if (field[i] != '\r')
			value[j++] = field[i];
	while (j > 0 && value[j - 1] == '\n')
		j--;
	value[j] = '\0';
	rc = smfi_insheader(ctx, 0, name, value) == MI_SUCCESS ? 0 : -1;
	free(value);
	return rc;
}

void
milter_finish_eval(
    struct vouchd_conn *c, struct vouchd_msg *m, struct vouchd_eval *ev)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	ev->rt = c->rt;
	ev->rcpt_to = m->rcpt;
	ev->serial = c->serial;
	ev->queue_id = m->queue_id;
	ev->client_ip = c->ip;
	ev->helo = c->helo;
	ev->mail_from = m->mail_from;
	ev->login = m->login;
	ev->upstream = m->upstream;
	ev->dryrun = c->rt->conf->dryrun;
	ev->usec = (unsigned long)((t1.tv_sec - m->t0.tv_sec) * 1000000L +
	                           (t1.tv_nsec - m->t0.tv_nsec) / 1000);
	log_eval(c->rt->conf, ev);
	metrics_eval(ev);
	if (vouchd_recorder != NULL)
		vouchd_recorder(ev);
}

/* ---- The process ------------------------------------------------------- */

static int
reload(char *err, size_t errlen)
{
	struct vouchd_conf *cf;
	struct vouchd_runtime *rt, *old;
	int rc;

	if (vouchd_conf_load(conf_path, &cf, err, errlen) != 0)
		return -1;
	if (runtime_new(cf, &rt, err, errlen) != 0)
		return -1;
	old = runtime_get();
	rc = record_attach(rt, old, err, errlen);
	if (rc == 0)
		rc = failure_attach(rt, old, err, errlen);
	if (rc == 0)
		rc = signer_fetch_keys(rt, err, errlen);
	if (rc == 0)
		rc = failure_start(rt, err, errlen);
	if (rc != 0) {
		runtime_put(old);
		runtime_put(rt);
		return -1;
	}
	/* what the old configuration recorded is committed now; a shared
	 * recorder goes on with the same queue (nothing lost or repeated) */
	record_flush(old);
	runtime_put(old);
	runtime_swap(rt);
	metrics_count("reloads");
	return 0;
}

/*
 * libmilter's listener looks at its stop flag only when its poll of the
 * listening socket returns, at the latest every five seconds; smfi_stop()
 * waits for that.  One connection to our own socket, made once the flag
 * is set, ends the wait at once (libmilter sees it close before the
 * option negotiation: no callback runs for it).
 */
static void *
poke_listener(void *arg)
{
	const char *spec = listen_spec;
	struct timespec ts = {0, 50 * 1000 * 1000};
	struct sockaddr_storage ss;
	socklen_t sl = 0;
	char host[128];
	const char *at;
	int fd;

	(void)arg;
	nanosleep(&ts, NULL);
	memset(&ss, 0, sizeof(ss));
	if (strncmp(spec, "unix:", 5) == 0 || strncmp(spec, "local:", 6) == 0) {
		struct sockaddr_un *un = (struct sockaddr_un *)&ss;
		const char *path =
		    hidden_path[0] ? hidden_path : strchr(spec, ':') + 1;
		if (strlen(path) >= sizeof(un->sun_path))
			return NULL;
		un->sun_family = AF_UNIX;
		memcpy(un->sun_path, path, strlen(path) + 1);
		sl = sizeof(*un);
	} else if ((at = strchr(spec, '@')) != NULL &&
	           (strncmp(spec, "inet:", 5) == 0 ||
	               strncmp(spec, "inet6:", 6) == 0)) {
		unsigned port =
		    (unsigned)strtoul(strchr(spec, ':') + 1, NULL, 10);
		snprintf(host, sizeof(host), "%s", at + 1);
		if (inet_pton(AF_INET, host,
		        &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
			struct sockaddr_in *in = (struct sockaddr_in *)&ss;
			if (in->sin_addr.s_addr == htonl(INADDR_ANY))
				in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
			in->sin_family = AF_INET;
			in->sin_port = htons((uint16_t)port);
			sl = sizeof(*in);
		} else if (inet_pton(AF_INET6, host,
		               &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
			struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
			if (IN6_IS_ADDR_UNSPECIFIED(&in6->sin6_addr))
				in6->sin6_addr = in6addr_loopback;
			in6->sin6_family = AF_INET6;
			in6->sin6_port = htons((uint16_t)port);
			sl = sizeof(*in6);
		}
	}
	if (sl == 0 || (fd = socket(ss.ss_family, SOCK_STREAM, 0)) < 0)
		return NULL;
	(void)!connect(fd, (struct sockaddr *)&ss, sl);
	close(fd);
	return NULL;
}

/*
 * Stop accepting and let the messages in flight end.  libmilter's
 * smfi_stop() cannot do it alone: Debian's libmilter serves sessions from
 * a pool of workers that stop with the listener, leaving messages
 * hanging.  So new connections are refused first (a unix socket's path is
 * removed; a connection that still comes is refused at CONNECT) and the
 * listener stops only once no message is open, or after a minute.
 */
static void
drain(void)
{
	struct timespec ts = {0, 20 * 1000 * 1000};
	int i, quiet;

	atomic_store(&draining, true);
	/* the path goes; the socket stays reachable for poke_listener */
	if (strncmp(listen_spec, "unix:", 5) == 0 ||
	    strncmp(listen_spec, "local:", 6) == 0) {
		const char *path = strchr(listen_spec, ':') + 1;
		snprintf(hidden_path, sizeof(hidden_path), "%s.stopping", path);
		if (rename(path, hidden_path) != 0)
			hidden_path[0] = '\0';
	}
	log_msg(LOG_INFO,
	    "stopping: no new connections, %d messages in "
	    "flight",
	    atomic_load(&msgs_open));
	/* done when every connection is closed, or when the ones left have
	 * had no message open for two seconds (idle SMTP sessions): a MAIL
	 * already sent, for which no reply is awaited, may still sit in a
	 * socket unread */
	for (i = 0, quiet = 0; i < 3000 && quiet < 100; i++) {
		if (atomic_load(&conns_open) == 0)
			break;
		nanosleep(&ts, NULL);
		quiet = atomic_load(&msgs_open) > 0 ? 0 : quiet + 1;
	}
	if (atomic_load(&msgs_open) > 0)
		log_msg(LOG_WARNING, "stopping with %d messages still open",
		    atomic_load(&msgs_open));
	else
		log_msg(LOG_INFO, "stopped, every message in flight done");
}

/* The supervisor's commands: reload, stop (also when it goes away). */
static void *
control_thread(void *arg)
{
	struct vouchd_imsg m, a;
	char err[VOUCHD_TEXT_MAX];
	struct vouchd_runtime *rt;
	pthread_t poker;

	(void)arg;
	for (;;) {
		if (imsg_recv(ctl_fd, &m) != 0 || m.type == IMSG_STOP)
			break;
		if (m.type != IMSG_RELOAD)
			continue;
		imsg_init(&a, IMSG_RELOAD_DONE);
		a.id = m.id;
		err[0] = '\0';
		a.status = reload(err, sizeof(err));
		snprintf(a.text, sizeof(a.text), "%s", err);
		if (a.status != 0)
			log_msg(LOG_ERR,
			    "reload refused, configuration kept: %s", err);
		else
			log_msg(LOG_INFO, "configuration reloaded from %s",
			    conf_path);
		if (imsg_send(ctl_fd, &a) != 0)
			break;
	}
	drain();
	rt = runtime_get();
	record_flush(rt);
	runtime_put(rt);
	failure_stop();
	pthread_create(&poker, NULL, poke_listener, NULL);
	smfi_stop();
	pthread_join(poker, NULL);
	if (hidden_path[0] != '\0')
		unlink(hidden_path);
	return NULL;
}

int
milter_main(const char *path, struct vouchd_conf *cf, int ctl, int signer_fd)
{
	struct vouchd_runtime *rt;
	struct vouchd_imsg m;
	pthread_t tid;
	char err[VOUCHD_TEXT_MAX] = "", why[256], warn[VOUCHD_TEXT_MAX];
	int rc = 1;

	sigset_t set;

	/* Before any thread starts: libmilter's signal thread, and no other,
	 * takes SIGTERM (stop and drain), SIGHUP and SIGINT. */
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	conf_path = path;
	ctl_fd = ctl;
	signer_channel_init(signer_fd);
	imsg_init(&m, IMSG_READY);
	if (runtime_new(cf, &rt, err, sizeof(err)) != 0)
		goto fail;
	runtime_swap(rt);
	snprintf(listen_spec, sizeof(listen_spec), "%s", cf->socket);
	/* libmilter would listen on a port past 65535 modulo 65536 */
	if (vouchd_socket_check(cf->socket, why, sizeof(why)) != 0) {
		snprintf(err, sizeof(err), "Socket %s: %s", cf->socket, why);
		goto fail;
	}
	if (smfi_setconn(cf->socket) != MI_SUCCESS ||
	    smfi_register(desc) != MI_SUCCESS) {
		snprintf(err, sizeof(err), "Socket %s: not usable", cf->socket);
		goto fail;
	}
	/* a unix socket left by a previous run is replaced */
	if (smfi_opensocket(true) != MI_SUCCESS) {
		snprintf(err, sizeof(err), "Socket %s: cannot listen: %s",
		    cf->socket, strerror(errno));
		goto fail;
	}
	/* libmilter made it root's: the MTA connects through UserID's group */
	if (socket_give(cf->socket, cf->user, err, sizeof(err)) != 0)
		goto fail;
	if (socket_dir_warning(cf->socket, cf->user, warn, sizeof(warn)))
		log_msg(LOG_WARNING, "warning: %s", warn);
	if (drop_privileges(cf->user, err, sizeof(err)) != 0)
		goto fail;
	/* the store is opened as UserID, never as root */
	if (record_attach(rt, NULL, err, sizeof(err)) != 0 ||
	    failure_attach(rt, NULL, err, sizeof(err)) != 0)
		goto fail;
	vouchd_recorder = record_eval;
	if (signer_fetch_keys(rt, err, sizeof(err)) != 0 ||
	    failure_start(rt, err, sizeof(err)) != 0)
		goto fail;
	if (cf->metrics_listen != NULL &&
	    metrics_start(cf->metrics_listen, err, sizeof(err)) != 0)
		goto fail;
	if (pthread_create(&tid, NULL, control_thread, NULL) != 0) {
		snprintf(err, sizeof(err), "cannot start a thread");
		goto fail;
	}
	m.status = 0;
	if (imsg_send(ctl, &m) != 0)
		return 1;
	smfi_settimeout(300);
	rc = smfi_main() == MI_SUCCESS ? 0 : 1;
	/* a stop the supervisor asked for: the control thread still has to
	 * remove the renamed socket (<path>.stopping), and the process must
	 * not end before it has */
	if (atomic_load(&draining))
		pthread_join(tid, NULL);
	/* every message is done: what is still queued is committed */
	rt = runtime_get();
	record_flush(rt);
	runtime_put(rt);
	return rc;
fail:
	m.status = -1;
	snprintf(m.text, sizeof(m.text), "%s", err);
	imsg_send(ctl, &m);
	return 1;
}
