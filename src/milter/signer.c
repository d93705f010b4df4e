/*
 * The signer process, in the spirit of OpenSMTPD's `ca` process: it reads
 * the private keys (as root, before privileges are dropped), holds them,
 * and signs 32-byte digests that the milter process sends it.  It never
 * sees a message.  A key file that group or others may read is refused at
 * load and at reload, with its path named (never checked per message).
 */
#include <errno.h>
#include <poll.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "vouchd.h"

struct held_key {
	char name[VOUCHD_KEY_NAME_MAX];
	char domain[VOUCH_DNS_MAX_NAME + 1];
	char selector[VOUCHD_TABLE_MAX_SELECTOR + 1];
	struct vouch_dkim_key *key;
};

/* vouchd -t: every error to each(arg, file, line, text), and go on */
struct say_each {
	void (*each)(
	    void *arg, const char *file, unsigned line, const char *text);
	void *arg;
	const struct vouchd_signing *tables; /* as vouchd -t read them */
};

struct keyset {
	size_t n;
	struct held_key k[64];
	/* UserID's uid, when set: a key it does not own is read now (as
	 * root) but not at a reload, which reads as UserID */
	const char *user;
	uid_t user_uid;
	gid_t user_gid;
	bool to_stderr; /* vouchd -t: warnings on stderr, not in the log */
};

static void
keyset_free(struct keyset *ks)
{
	size_t i;

	for (i = 0; ks != NULL && i < ks->n; i++)
		vouch_dkim_key_free(ks->k[i].key);
	free(ks);
}

/*
 * A key file UserID does not own, or one in a directory UserID may not
 * enter: vouchd reads it at start, as root, but a reload (SIGHUP) reads
 * keys as UserID and will be refused.  Only a warning: refusing would stop
 * setups that run and are never reloaded.
 */
static void
warn_owner(const struct keyset *ks, const char *path, const struct stat *st)
{
	struct passwd *pw;
	char dir[1024], line[VOUCHD_TEXT_MAX + sizeof(dir)], owner[64];

	/* at a reload (already UserID) the refusal itself says why */
	if (ks->user == NULL || geteuid() != 0)
		return;
	if (st->st_uid == ks->user_uid) {
		if (path[0] != '/' || user_reaches(path, ks->user_uid,
		                          ks->user_gid, dir, sizeof(dir)))
			return;
		snprintf(line, sizeof(line),
		    "key file %s: UserID %s may not enter the directory %s: "
		    "a reload (SIGHUP) reads keys as UserID and will not be "
		    "able to read it",
		    path, ks->user, dir);
		goto say;
	}
	pw = getpwuid(st->st_uid);
	snprintf(owner, sizeof(owner), "%s", pw != NULL ? pw->pw_name : "?");
	snprintf(line, sizeof(line),
	    "key file %s is owned by %s (uid %u), not by UserID %s (uid "
	    "%u): a reload (SIGHUP) reads keys as UserID and will not be "
	    "able to read it (chown %.*s: %s; chmod 0600 %s)",
	    path, owner, (unsigned)st->st_uid, ks->user, (unsigned)ks->user_uid,
	    (int)strcspn(ks->user, ":"), ks->user, path, path);
say:
	if (ks->to_stderr)
		fprintf(stderr, "vouchd: warning: %s\n", line);
	else
		log_msg(LOG_WARNING, "warning: %s", line);
}

/* Load one key file, refusing one that group or others can read. */
static int
load_key(struct keyset *ks, const char *name, const char *domain,
    const char *selector, const char *path, char *err, size_t errlen)
{
	struct held_key *h;
	struct stat st;
	char why[VOUCHD_TEXT_MAX];

	if (ks->n >= sizeof(ks->k) / sizeof(ks->k[0])) {
		snprintf(err, errlen, "more than %zu keys",
		    sizeof(ks->k) / sizeof(ks->k[0]));
		return -1;
	}
	if (stat(path, &st) != 0) {
		snprintf(err, errlen, "key file %s: %s", path, strerror(errno));
		return -1;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		snprintf(err, errlen,
		    "key file %s is readable by group or others (mode %04o): "
		    "refused; chmod 600 it",
		    path, (unsigned)(st.st_mode & 07777));
		return -1;
	}
	warn_owner(ks, path, &st);
	h = &ks->k[ks->n];
	memset(h, 0, sizeof(*h));
	if (vouch_dkim_key_load_file(path, &h->key, why, sizeof(why)) !=
	    VOUCH_OK) {
		snprintf(err, errlen, "%s", why);
		return -1;
	}
	snprintf(h->name, sizeof(h->name), "%s", name);
	snprintf(h->domain, sizeof(h->domain), "%s", domain ? domain : "");
	snprintf(
	    h->selector, sizeof(h->selector), "%s", selector ? selector : "");
	ks->n++;
	return 0;
}

int
signing_conf_from(const struct vouchd_conf *c, struct vouchd_signing_conf *sc)
{
	memset(sc, 0, sizeof(*sc));
	sc->key_table = c->key_table;
	sc->signing_table = c->signing_table;
	sc->domains = (const char *const *)c->domains.item;
	sc->ndomains = c->domains.n;
	sc->selector = c->selector;
	sc->key_file = c->key_file;
	sc->subdomains = c->subdomains;
	sc->multiple = c->multiple_signatures;
	sc->origin = c->path;
	sc->key_table_line = vouchd_conf_line(c, "KeyTable");
	sc->signing_table_line = vouchd_conf_line(c, "SigningTable");
	sc->domain_line = vouchd_conf_line(c, "Domain");
	sc->selector_line = vouchd_conf_line(c, "Selector");
	sc->key_file_line = vouchd_conf_line(c, "KeyFile");
	return c->sign && (c->key_table != NULL || c->key_file != NULL);
}

int
sendas_conf_from(const struct vouchd_conf *c, struct vouchd_sendas_conf *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->table = c->sender_auth_table;
	sa->aliases = c->sender_auth_aliases;
	sa->detail_delimiters =
	    c->detail_delimiters != NULL &&
	            strcmp(c->detail_delimiters, "none") == 0
	        ? ""
	        : c->detail_delimiters;
	sa->origin = c->path;
	sa->table_line = vouchd_conf_line(c, "SenderAuthTable");
	sa->aliases_line = vouchd_conf_line(c, "SenderAuthAliases");
	return c->sender_auth_table != NULL;
}

int
diag_first(const struct vouchd_diag *d, char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (d->msg[i].level == VOUCHD_DIAG_ERROR) {
			snprintf(err, errlen, "%s", d->msg[i].text);
			return -1;
		}
	snprintf(err, errlen, "%s", d->n ? d->msg[0].text : "table error");
	return -1;
}

/* Where an error is: the file and line (0: none) its text names. */
struct place {
	const char *file;
	unsigned line;
};

/* err becomes "FILE:LINE: err" (line 0: "FILE: err"): the line that
 * names the key file, also in *at.  Returns -1. */
static int
key_error_at(
    const char *file, unsigned line, struct place *at, char *err, size_t errlen)
{
	char why[VOUCHD_TEXT_MAX];

	at->file = file;
	at->line = line;

	snprintf(why, sizeof(why), "%s", err);
	if (line > 0)
		snprintf(err, errlen, "%s:%u: %s", file, line, why);
	else
		snprintf(err, errlen, "%s: %s", file, why);
	return -1;
}

static const struct vouch_dkim_key *
held(const struct keyset *ks, const char *path)
{
	size_t i;

	for (i = 0; i < ks->n; i++)
		if (strcmp(ks->k[i].name, path) == 0)
			return ks->k[i].key;
	return NULL;
}

static int
have_key(const struct keyset *ks, const char *path)
{
	return held(ks, path) != NULL;
}

/* err becomes "FILE:LINE: " of the option name (vouchd_conf_where), then
 * what; that file and line also in *at.  Returns -1. */
static int
option_error(const struct vouchd_conf *c, const char *name, const char *what,
    struct place *at, char *err, size_t errlen)
{
	char where[1100];

	vouchd_conf_where(c, name, where, sizeof(where));
	snprintf(err, errlen, "%s%s", where, what);
	at->file = c->path;
	at->line = vouchd_conf_line(c, name);
	return -1;
}

/*
 * Of a header name list the library refuses, the first name it refuses on
 * its own (a request of that one name, with From oversigned so that RFC
 * 6376 §5.4 holds), or NULL when each name passes alone (the list as a
 * whole is wrong: no From, too many names), *why then untouched.
 */
static const char *
bad_name(const struct vouch_dkim_sign_req *r, const struct vouchd_list *l,
    const char **why)
{
	static const char *const from[] = {"From"};
	struct vouch_dkim_sign_req one = *r;
	enum vouch_dkim_sign_req_part part;
	const char *reason;
	size_t i;

	one.nheaders = 1;
	one.oversign_headers = from;
	one.noversign_headers = 1;
	for (i = 0; i < l->n; i++) {
		one.headers = (const char *const *)&l->item[i];
		if (vouch_dkim_sign_req_check(&one, &part, &reason) !=
		        VOUCH_OK &&
		    part == VOUCH_DKIM_SIGN_REQ_HEADERS) {
			*why = reason;
			return l->item[i];
		}
	}
	return NULL;
}

/* The header lists of r refused: which option to mend, and the name.  A
 * list wrong as a whole (no From, RFC 6376 §5.4; too many names) is
 * SignHeaders' unless only OversignHeaders is too long. */
static int
headers_error(const struct vouchd_conf *c, const struct vouch_dkim_sign_req *r,
    const char *why, struct place *at, char *err, size_t errlen)
{
	const char *opt = "SignHeaders", *name;
	char what[VOUCHD_TEXT_MAX];

	if ((name = bad_name(r, &c->sign_headers, &why)) == NULL &&
	    ((name = bad_name(r, &c->oversign_headers, &why)) != NULL ||
	        c->sign_headers.n == 0 ||
	        (c->sign_headers.n <= VOUCH_DKIM_SIGN_MAX_HEADERS &&
	            c->oversign_headers.n > VOUCH_DKIM_SIGN_MAX_HEADERS)))
		opt = "OversignHeaders";
	if (name != NULL)
		snprintf(what, sizeof(what),
		    "%s '%s': %s; no message could be signed", opt, name, why);
	else
		snprintf(what, sizeof(what),
		    "%s: %s; no message could be signed", opt, why);
	return option_error(c, opt, what, at, err, errlen);
}

/*
 * The DKIM signing request the milter makes with the held key of table
 * entry k (sign.c sign_eoh), checked as vouch_dkim_sign_new will check it
 * for every message, so that a request it refuses is an error now and not
 * a message left unsigned.  A d= of "%" (the single-key form's, and a
 * KeyTable's) is the From domain, known only per message: example.com
 * stands for it (the Domain list and the table lookup refuse a domain
 * that is not a domain name; a Domain item may also be a file or a
 * pattern).  The i= of a SigningTable entry is per message too, and left
 * out.
 */
static int
check_sign_req(const struct vouchd_conf *c, const struct vouchd_table_key *k,
    const struct vouch_dkim_key *key, struct place *at, char *err,
    size_t errlen)
{
	struct vouch_dkim_sign_req r;
	enum vouch_dkim_sign_req_part part;
	const char *why, *what = NULL, *value = "";
	char text[VOUCHD_TEXT_MAX];
	bool single = c->key_file != NULL && c->key_table == NULL;

	memset(&r, 0, sizeof(r));
	r.key = key;
	r.selector = k->selector;
	r.header_relaxed = c->header_relaxed;
	r.body_relaxed = c->body_relaxed;
	r.expire = c->signature_ttl;
	if (c->sign_headers.n > 0) {
		r.headers = (const char *const *)c->sign_headers.item;
		r.nheaders = c->sign_headers.n;
	}
	if (c->oversign_headers.n > 0) {
		r.oversign_headers =
		    (const char *const *)c->oversign_headers.item;
		r.noversign_headers = c->oversign_headers.n;
	}
	r.domain = strchr(k->domain, '%') == NULL ? k->domain : "example.com";
	if (vouch_dkim_sign_req_check(&r, &part, &why) == VOUCH_OK)
		return 0;
	if (part == VOUCH_DKIM_SIGN_REQ_HEADERS)
		return headers_error(c, &r, why, at, err, errlen);
	if (part == VOUCH_DKIM_SIGN_REQ_DOMAIN)
		what = "d=", value = r.domain;
	else if (part == VOUCH_DKIM_SIGN_REQ_SELECTOR)
		what = single ? "Selector" : "s=", value = r.selector;
	else
		what = single ? "KeyFile" : "key", value = k->keypath;
	snprintf(text, sizeof(text), "%s '%s': %s; no message could be signed",
	    what, value, why);
	if (single)
		return option_error(c, what, text, at, err, errlen);
	snprintf(err, errlen, "%s", text);
	return key_error_at(k->file, k->line, at, err, errlen);
}

/*
 * Every key file the table entries of s name (a path with '%' depends on
 * the message and cannot be read ahead: such entries do not sign), and
 * the signing request of each.  With all (vouchd -t), each error goes to
 * it and the next key is tried (the key files' own errors are vouchd -t's
 * to say: vouchd_signing_check_keys); else the first error is in err.
 */
static int
table_keys(const struct vouchd_conf *c, const struct vouchd_signing *s,
    struct keyset *ks, const struct say_each *all, char *err, size_t errlen)
{
	const struct vouchd_table_key *k;
	struct place at;
	size_t i;
	int rc = 0, r;

	for (i = 0; (rc == 0 || all != NULL) && i < vouchd_signing_nkeys(s);
	     i++) {
		k = vouchd_signing_key(s, i);
		if (strchr(k->keypath, '%') != NULL)
			continue;
		if (!have_key(ks, k->keypath) &&
		    load_key(ks, k->keypath, k->domain, k->selector, k->keypath,
		        err, errlen) != 0) {
			rc = key_error_at(k->file, k->line, &at, err, errlen);
			/* a key file's own errors vouchd_signing_check_keys
			 * said; the signer's limit, only the signer knows */
			if (all != NULL &&
			    ks->n >= sizeof(ks->k) / sizeof(ks->k[0]))
				all->each(all->arg, at.file, at.line, err);
			continue;
		}
		r = check_sign_req(
		    c, k, held(ks, k->keypath), &at, err, errlen);
		if (r != 0 && all != NULL)
			all->each(all->arg, at.file, at.line, err);
		rc |= r;
	}
	return rc;
}

/* The tables of c, read, and their keys (table_keys); the first error in
 * err.  For the signer's start and reload. */
static int
load_table_keys(
    const struct vouchd_conf *c, struct keyset *ks, char *err, size_t errlen)
{
	struct vouchd_signing_conf sc;
	struct vouchd_signing *s = NULL;
	struct vouchd_diag d;
	int rc = 0;

	if (!signing_conf_from(c, &sc))
		return 0;
	vouchd_diag_init(&d);
	if (vouchd_signing_load(&sc, &d, &s) != VOUCH_OK)
		rc = diag_first(&d, err, errlen);
	else
		rc = table_keys(c, s, ks, NULL, err, errlen);
	vouchd_signing_free(s);
	vouchd_diag_free(&d);
	return rc;
}

/*
 * The ARC sealing request the milter makes for every message it verifies
 * (verify.c verify_start), checked as vouch_arc_seal_new will check it, so
 * that a request it refuses is an error now and not a message left
 * unsealed.  The authserv-id is AuthservID, or the host name the verifier
 * takes when it is not given (vouch_verify_new); the AMS header list is
 * the library's default (vouchd has no option for it).
 */
static int
check_seal_req(const struct vouchd_conf *c, const struct vouch_dkim_key *key,
    struct place *at, char *err, size_t errlen)
{
	struct vouch_arc_seal_req r;
	enum vouch_arc_seal_req_part part;
	const char *why, *opt = "ARCSealKeyFile", *value = c->arc_key_file;
	char host[VOUCH_AUTHRES_MAX_ID + 1], what[VOUCHD_TEXT_MAX];

	memset(&r, 0, sizeof(r));
	r.key = key;
	r.domain = c->arc_domain;
	r.selector = c->arc_selector;
	r.authserv_id = c->authserv_id;
	r.auth_results = "none";
	if (r.authserv_id == NULL) {
		memset(host, 0, sizeof(host));
		if (gethostname(host, sizeof(host) - 1) != 0)
			host[0] = '\0';
		r.authserv_id = host;
	}
	if (vouch_arc_seal_req_check(&r, &part, &why) == VOUCH_OK)
		return 0;
	if (part == VOUCH_ARC_SEAL_REQ_DOMAIN)
		opt = "ARCSealDomain", value = r.domain;
	else if (part == VOUCH_ARC_SEAL_REQ_SELECTOR)
		opt = "ARCSealSelector", value = r.selector;
	else if (part == VOUCH_ARC_SEAL_REQ_AUTHSERV_ID)
		opt = "AuthservID", value = r.authserv_id;
	snprintf(what, sizeof(what),
	    "%s '%s'%s: %s; no message could be ARC-sealed", opt, value,
	    part == VOUCH_ARC_SEAL_REQ_AUTHSERV_ID && c->authserv_id == NULL
	        ? " (not given: the host name)"
	        : "",
	    why);
	return option_error(c, opt, what, at, err, errlen);
}

/*
 * Every key of c (the tables' and the ARC key), each request checked.
 * With all (vouchd -t), the tables are all->tables, every error goes to
 * all and the check goes on; else the first error stops it, in err.  NULL
 * on an error.
 */
static struct keyset *
load_keys(const struct vouchd_conf *c, bool to_stderr,
    const struct say_each *all, char *err, size_t errlen)
{
	int bad = 0;

	struct keyset *ks = calloc(1, sizeof(*ks));
	struct place at;
	char why[256];
	gid_t gid;

	if (ks == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	ks->to_stderr = to_stderr;
	/* a UserID naming no user is said elsewhere (-t, the privilege drop) */
	if (c->user != NULL &&
	    resolve_user(c->user, &ks->user_uid, &gid, why, sizeof(why)) == 0) {
		ks->user = c->user;
		ks->user_gid = gid;
	}
	if (all == NULL && load_table_keys(c, ks, err, errlen) != 0)
		goto bad;
	/* vouchd -t has read the tables (and said their errors) */
	if (all != NULL &&
	    table_keys(c, all->tables, ks, all, err, errlen) != 0)
		bad = 1;
	if (c->arc_key_file != NULL && !have_key(ks, c->arc_key_file) &&
	    load_key(ks, c->arc_key_file, c->arc_domain, c->arc_selector,
	        c->arc_key_file, err, errlen) != 0) {
		key_error_at(c->path, vouchd_conf_line(c, "ARCSealKeyFile"),
		    &at, err, errlen);
		if (all != NULL)
			all->each(all->arg, at.file, at.line, err);
		goto bad;
	}
	if (c->arc_key_file != NULL &&
	    check_seal_req(c, held(ks, c->arc_key_file), &at, err, errlen) !=
	        0) {
		if (all != NULL)
			all->each(all->arg, at.file, at.line, err);
		goto bad;
	}
	if (!bad)
		return ks;
bad:
	keyset_free(ks);
	return NULL;
}

int
signer_check_keys(const struct vouchd_conf *c,
    const struct vouchd_signing *tables,
    void (*each)(void *arg, const char *file, unsigned line, const char *text),
    void *arg)
{
	struct say_each all = {each, arg, tables};
	char err[VOUCHD_TEXT_MAX + 2048];
	struct keyset *ks = load_keys(c, true, &all, err, sizeof(err));

	keyset_free(ks);
	return ks != NULL ? 0 : -1;
}

static void
answer_keys(int fd, const struct keyset *ks, uint32_t id)
{
	struct vouchd_imsg m;
	size_t i;

	for (i = 0; i < ks->n; i++) {
		imsg_init(&m, IMSG_KEY);
		m.id = id;
		memcpy(m.key, ks->k[i].name, sizeof(m.key));
		memcpy(m.domain, ks->k[i].domain, sizeof(m.domain));
		memcpy(m.selector, ks->k[i].selector, sizeof(m.selector));
		m.key_type = (uint8_t)vouch_dkim_key_type(ks->k[i].key);
		m.key_bits = (uint16_t)vouch_dkim_key_bits(ks->k[i].key);
		if (imsg_send(fd, &m) != 0)
			return;
	}
	imsg_init(&m, IMSG_KEYS_END);
	m.id = id;
	imsg_send(fd, &m);
}

static void
answer_sign(int fd, const struct keyset *ks, const struct vouchd_imsg *req)
{
	struct vouchd_imsg m;
	size_t i, len = 0;

	imsg_init(&m, IMSG_SIGNATURE);
	m.id = req->id;
	m.status = VOUCH_ENOTFOUND;
	for (i = 0; i < ks->n; i++)
		if (strncmp(ks->k[i].name, req->key, sizeof(req->key)) == 0)
			break;
	if (i < ks->n) {
		m.status = vouch_dkim_key_sign_digest(ks->k[i].key, req->alg,
		    req->digest, sizeof(req->digest), m.sig, sizeof(m.sig),
		    &len);
		m.siglen = (uint16_t)len;
	}
	imsg_send(fd, &m);
	explicit_bzero(&m, sizeof(m));
}

static struct keyset *
reload(const char *path, struct keyset *old, char *err, size_t errlen)
{
	struct vouchd_conf *c;
	struct keyset *ks;

	if (vouchd_conf_load(path, &c, err, errlen) != 0)
		return old;
	ks = load_keys(c, false, NULL, err, errlen);
	vouchd_conf_free(c);
	if (ks == NULL)
		return old;
	keyset_free(old);
	err[0] = '\0';
	return ks;
}

void
signer_main(const char *conf_path, int ctl, int req)
{
	struct vouchd_conf *c = NULL;
	struct keyset *ks = NULL;
	struct vouchd_imsg m, a;
	struct pollfd pfd[2];
	char err[VOUCHD_TEXT_MAX] = "";

	/* no core dump or ptrace of the process that holds the keys */
	prctl(PR_SET_DUMPABLE, 0);
	imsg_init(&a, IMSG_READY);
	if (vouchd_conf_load(conf_path, &c, err, sizeof(err)) != 0 ||
	    (ks = load_keys(c, false, NULL, err, sizeof(err))) == NULL ||
	    drop_privileges(c->user, err, sizeof(err)) != 0) {
		a.status = -1;
		snprintf(a.text, sizeof(a.text), "%s", err);
		imsg_send(ctl, &a);
		_exit(1);
	}
	vouchd_conf_free(c);
	imsg_send(ctl, &a);
	pfd[0].fd = ctl;
	pfd[1].fd = req;
	for (;;) {
		pfd[0].events = pfd[1].events = POLLIN;
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[0].revents) {
			if (imsg_recv(ctl, &m) != 0 || m.type == IMSG_STOP)
				break;
			if (m.type == IMSG_RELOAD) {
				imsg_init(&a, IMSG_RELOAD_DONE);
				a.id = m.id;
				ks = reload(conf_path, ks, err, sizeof(err));
				a.status = err[0] ? -1 : 0;
				snprintf(a.text, sizeof(a.text), "%s", err);
				imsg_send(ctl, &a);
			}
		}
		if (pfd[1].revents) {
			if (imsg_recv(req, &m) != 0) {
				pfd[1].fd = -1; /* the milter is gone */
				continue;
			}
			if (m.type == IMSG_KEYS)
				answer_keys(req, ks, m.id);
			else if (m.type == IMSG_SIGN)
				answer_sign(req, ks, &m);
		}
	}
	keyset_free(ks);
	_exit(0);
}
