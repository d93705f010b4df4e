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

/* err becomes "FILE:LINE: err" (line 0: "FILE: err"): the line that
 * names the key file.  Returns -1. */
static int
key_error_at(const char *file, unsigned line, char *err, size_t errlen)
{
	char why[VOUCHD_TEXT_MAX];

	snprintf(why, sizeof(why), "%s", err);
	if (line > 0)
		snprintf(err, errlen, "%s:%u: %s", file, line, why);
	else
		snprintf(err, errlen, "%s: %s", file, why);
	return -1;
}

static int
have_key(const struct keyset *ks, const char *path)
{
	size_t i;

	for (i = 0; i < ks->n; i++)
		if (strcmp(ks->k[i].name, path) == 0)
			return 1;
	return 0;
}

/* Every key file the tables name (a path with '%' depends on the message
 * and cannot be read ahead: such entries do not sign), and the ARC key. */
static int
load_table_keys(
    const struct vouchd_conf *c, struct keyset *ks, char *err, size_t errlen)
{
	struct vouchd_signing_conf sc;
	struct vouchd_signing *s = NULL;
	struct vouchd_diag d;
	const struct vouchd_table_key *k;
	size_t i;
	int rc = 0;

	if (!signing_conf_from(c, &sc))
		return 0;
	vouchd_diag_init(&d);
	if (vouchd_signing_load(&sc, &d, &s) != VOUCH_OK)
		rc = diag_first(&d, err, errlen);
	for (i = 0; rc == 0 && i < vouchd_signing_nkeys(s); i++) {
		k = vouchd_signing_key(s, i);
		if (strchr(k->keypath, '%') != NULL || have_key(ks, k->keypath))
			continue;
		if (load_key(ks, k->keypath, k->domain, k->selector, k->keypath,
		        err, errlen) != 0)
			rc = key_error_at(k->file, k->line, err, errlen);
	}
	vouchd_signing_free(s);
	vouchd_diag_free(&d);
	return rc;
}

static struct keyset *
load_keys(const struct vouchd_conf *c, bool to_stderr, char *err, size_t errlen)
{
	struct keyset *ks = calloc(1, sizeof(*ks));
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
	if (load_table_keys(c, ks, err, errlen) != 0)
		goto bad;
	if (c->arc_key_file != NULL && !have_key(ks, c->arc_key_file) &&
	    load_key(ks, c->arc_key_file, c->arc_domain, c->arc_selector,
	        c->arc_key_file, err, errlen) != 0) {
		key_error_at(c->path, vouchd_conf_line(c, "ARCSealKeyFile"),
		    err, errlen);
		goto bad;
	}
	return ks;
bad:
	keyset_free(ks);
	return NULL;
}

int
signer_check_keys(const struct vouchd_conf *c, char *err, size_t errlen)
{
	struct keyset *ks = load_keys(c, true, err, errlen);

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
	ks = load_keys(c, false, err, errlen);
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
	    (ks = load_keys(c, false, err, sizeof(err))) == NULL ||
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
