/*
 * vouchd: main() and the supervisor process.
 *
 * The supervisor reads the configuration, starts the signer (which loads
 * the keys as root) and the milter (which opens the socket as root); both
 * then drop to UserID, and so does the supervisor.  It takes the signals:
 * SIGHUP reloads (the configuration is checked first; the signer, then the
 * milter, build their new state and swap it in whole, or keep the old one
 * and say why), SIGTERM and SIGINT stop (the milter stops accepting and
 * drains the messages in flight, then the signer ends).  When a child dies
 * the supervisor stops the other and exits non-zero, for the service
 * manager to restart vouchd.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include "vouchd.h"
#include "milter/tables/convert.h"

/* ---- Messages ---------------------------------------------------------- */

void
imsg_init(struct vouchd_imsg *m, enum vouchd_imsg_type type)
{
	memset(m, 0, sizeof(*m));
	m->version = VOUCHD_IMSG_VERSION;
	m->type = (uint16_t)type;
}

int
imsg_send(int fd, struct vouchd_imsg *m)
{
	ssize_t n;

	m->version = VOUCHD_IMSG_VERSION;
	do
		n = send(fd, m, sizeof(*m), MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)sizeof(*m) ? 0 : -1;
}

int
imsg_recv(int fd, struct vouchd_imsg *m)
{
	ssize_t n;

	do
		n = recv(fd, m, sizeof(*m), 0);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(*m) || m->version != VOUCHD_IMSG_VERSION)
		return -1;
	m->text[sizeof(m->text) - 1] = '\0';
	return 0;
}

/* ---- Privileges -------------------------------------------------------- */

int
resolve_user(const char *spec, uid_t *uid, gid_t *gid, char *err, size_t errlen)
{
	char user[128];
	const char *colon;
	struct passwd *pw;
	struct group *gr;

	colon = strchr(spec, ':');
	snprintf(user, sizeof(user), "%.*s",
	    colon ? (int)(colon - spec) : (int)strlen(spec), spec);
	if ((pw = getpwnam(user)) == NULL) {
		snprintf(err, errlen, "UserID %s: no such user", user);
		return -1;
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	if (colon != NULL) {
		if ((gr = getgrnam(colon + 1)) == NULL) {
			snprintf(err, errlen, "UserID %s: no such group", spec);
			return -1;
		}
		*gid = gr->gr_gid;
	}
	return 0;
}

int
drop_privileges(const char *spec, char *err, size_t errlen)
{
	uid_t uid;
	gid_t gid;

	if (spec == NULL)
		return 0;
	if (resolve_user(spec, &uid, &gid, err, errlen) != 0)
		return -1;
	if (getuid() == uid && geteuid() == uid)
		return 0;
	if (setgroups(1, &gid) != 0 || setgid(gid) != 0 || setuid(uid) != 0) {
		snprintf(err, errlen, "UserID %s: cannot switch: %s", spec,
		    strerror(errno));
		return -1;
	}
	/* root must not be regained */
	if (uid != 0 && setuid(0) == 0) {
		snprintf(
		    err, errlen, "UserID %s: root could be regained", spec);
		return -1;
	}
	return 0;
}

const char *
socket_path(const char *spec)
{
	if (strncmp(spec, "unix:", 5) == 0)
		return spec + 5;
	if (strncmp(spec, "local:", 6) == 0)
		return spec + 6;
	return NULL;
}

int
socket_give(const char *spec, const char *user, char *err, size_t errlen)
{
	const char *path = socket_path(spec);
	struct stat st;
	uid_t uid;
	gid_t gid;

	if (path == NULL || user == NULL)
		return 0;
	if (resolve_user(user, &uid, &gid, err, errlen) != 0)
		return -1;
	/* already UserID's (vouchd started as UserID itself): nothing to ask
	 * of a process that may not chown */
	if (lstat(path, &st) == 0 && st.st_uid == uid && st.st_gid == gid)
		return 0;
	/* lchown: a link put in the socket's place is not followed */
	if (lchown(path, uid, gid) != 0) {
		snprintf(err, errlen,
		    "Socket %s: cannot give it to UserID %s: %s", spec, user,
		    strerror(errno));
		return -1;
	}
	return 0;
}

int
user_may(const struct stat *st, uid_t uid, gid_t gid, int want)
{
	unsigned have;

	if (uid == 0)
		return 1;
	have = st->st_uid == uid   ? st->st_mode >> 6
	       : st->st_gid == gid ? st->st_mode >> 3
	                           : st->st_mode;
	return (have & (unsigned)want & 7) == ((unsigned)want & 7);
}

int
user_reaches(const char *path, uid_t uid, gid_t gid, char *dir, size_t dirlen)
{
	const char *p;
	struct stat st;

	for (p = path; (p = strchr(p, '/')) != NULL; p++) {
		snprintf(
		    dir, dirlen, "%.*s", p == path ? 1 : (int)(p - path), path);
		if (stat(dir, &st) == 0 && !user_may(&st, uid, gid, X_OK))
			return 0;
	}
	return 1;
}

int
socket_dir_warning(
    const char *spec, const char *user, char *line, size_t linelen)
{
	const char *path = socket_path(spec), *slash;
	char dir[1024], err[256];
	struct stat st;
	uid_t uid;
	gid_t gid;

	if (path == NULL || user == NULL || path[0] != '/' ||
	    resolve_user(user, &uid, &gid, err, sizeof(err)) != 0 || uid == 0)
		return 0;
	slash = strrchr(path, '/');
	snprintf(dir, sizeof(dir), "%.*s",
	    slash == path ? 1 : (int)(slash - path), path);
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return 0; /* said as an error elsewhere */
	if (user_may(&st, uid, gid, W_OK | X_OK))
		return 0;
	snprintf(line, linelen,
	    "Socket %s: its directory %s is not writable by UserID %s: "
	    "vouchd cannot take the socket away when it stops (it is "
	    "replaced at the next start); chown %.*s %s",
	    spec, dir, user, (int)strcspn(user, ":"), user, dir);
	return 1;
}

/* ---- The supervisor ---------------------------------------------------- */

static int sig_pipe[2] = {-1, -1};

static void
on_signal(int sig)
{
	unsigned char c = (unsigned char)sig;
	int saved = errno;

	(void)!write(sig_pipe[1], &c, 1);
	errno = saved;
}

/* Wait for one message of `type` on fd, up to `ms`. */
static int
wait_for(int fd, enum vouchd_imsg_type type, int ms, struct vouchd_imsg *m)
{
	struct pollfd pfd = {fd, POLLIN, 0};
	int r;

	for (;;) {
		r = poll(&pfd, 1, ms);
		if (r < 0 && errno == EINTR)
			continue;
		if (r != 1 || imsg_recv(fd, m) != 0)
			return -1;
		if (m->type == type)
			return 0;
	}
}

struct child {
	pid_t pid;
	int ctl;
};

static void
reload(const char *path, struct child *signer, struct child *milter)
{
	struct vouchd_conf *c;
	struct vouchd_imsg m;
	char err[1024];

	if (vouchd_conf_load(path, &c, err, sizeof(err)) != 0) {
		log_msg(LOG_ERR, "reload refused, configuration kept: %s", err);
		return;
	}
	vouchd_conf_free(c);
	imsg_init(&m, IMSG_RELOAD);
	if (imsg_send(signer->ctl, &m) != 0 ||
	    wait_for(signer->ctl, IMSG_RELOAD_DONE, 30000, &m) != 0) {
		log_msg(LOG_ERR, "reload: the signer did not answer");
		return;
	}
	if (m.status != 0) {
		log_msg(LOG_ERR,
		    "reload refused, keys and configuration "
		    "kept: %s",
		    m.text);
		return;
	}
	imsg_init(&m, IMSG_RELOAD);
	if (imsg_send(milter->ctl, &m) != 0 ||
	    wait_for(milter->ctl, IMSG_RELOAD_DONE, 30000, &m) != 0)
		log_msg(LOG_ERR, "reload: the milter did not answer");
}

/* Fork a child running fn; in it, the descriptors `drop` are closed and
 * the supervisor's signal handlers undone. */
static int
start_child(struct child *ch,
    int (*fn)(const char *, struct vouchd_conf *, int, int), const char *path,
    struct vouchd_conf *c, int req, const int *drop, size_t ndrop)
{
	int sv[2];
	size_t i;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
		return -1;
	if ((ch->pid = fork()) < 0)
		return -1;
	if (ch->pid == 0) {
		close(sv[0]);
		for (i = 0; i < ndrop; i++)
			if (drop[i] >= 0)
				close(drop[i]);
		close(sig_pipe[0]);
		close(sig_pipe[1]);
		signal(SIGHUP, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGCHLD, SIG_DFL);
		_exit(fn(path, c, sv[1], req));
	}
	close(sv[1]);
	ch->ctl = sv[0];
	return 0;
}

static int
run_signer(const char *path, struct vouchd_conf *c, int ctl, int req)
{
	vouchd_conf_free(c);
	/* only the supervisor's word stops the key holder (and SIGTERM) */
	signal(SIGHUP, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	signer_main(path, ctl, req);
}

static int
stop(struct child *signer, struct child *milter, int rc)
{
	struct vouchd_imsg m;

	imsg_init(&m, IMSG_STOP);
	if (milter->pid > 0) {
		imsg_send(milter->ctl, &m);
		waitpid(milter->pid, NULL, 0);
	}
	if (signer->pid > 0) {
		imsg_send(signer->ctl, &m);
		waitpid(signer->pid, NULL, 0);
	}
	log_msg(LOG_INFO, "stopped");
	return rc;
}

static int
fail_start(const char *what, struct vouchd_conf *c, const struct vouchd_imsg *m,
    struct child *signer, struct child *milter)
{
	const char *why = m->type == IMSG_READY && m->status != 0
	                      ? m->text
	                      : "it did not answer";

	log_msg(LOG_ERR, "the %s process did not start: %s", what, why);
	/* the operator starting vouchd sees why, wherever the log goes */
	if (c->syslog)
		fprintf(stderr, "vouchd: the %s process did not start: %s\n",
		    what, why);
	vouchd_conf_free(c);
	return stop(signer, milter, 1);
}

static int
supervise(const char *path, struct vouchd_conf *c)
{
	struct child signer = {-1, -1}, milter = {-1, -1};
	struct vouchd_imsg m;
	struct sigaction sa;
	struct pollfd pfd;
	unsigned char sig;
	char err[VOUCHD_TEXT_MAX];
	int req[2], status, drop[1];
	pid_t pid;

	if (pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK) != 0 ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, req) != 0) {
		log_msg(LOG_ERR, "cannot make pipes: %s", strerror(errno));
		return 71;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* the signer first: it reads the keys as root */
	drop[0] = req[0];
	if (start_child(&signer, run_signer, path, c, req[1], drop, 1) != 0 ||
	    wait_for(signer.ctl, IMSG_READY, 60000, &m) != 0 || m.status != 0)
		return fail_start("signer", c, &m, &signer, &milter);
	close(req[1]);
	drop[0] = signer.ctl;
	if (start_child(&milter, milter_main, path, c, req[0], drop, 1) != 0 ||
	    wait_for(milter.ctl, IMSG_READY, 60000, &m) != 0 || m.status != 0)
		return fail_start("milter", c, &m, &signer, &milter);
	close(req[0]);
	if (c->pidfile != NULL) {
		FILE *fp = fopen(c->pidfile, "w");
		if (fp != NULL) {
			fprintf(fp, "%d\n", (int)getpid());
			fclose(fp);
		} else
			log_msg(LOG_WARNING, "PidFile %s: %s", c->pidfile,
			    strerror(errno));
	}
	log_msg(LOG_INFO, "started: Socket %s, Mode %s%s%s", c->socket,
	    c->sign ? "s" : "", c->verify ? "v" : "",
	    c->dryrun ? ", DryRun" : "");
	if (drop_privileges(c->user, err, sizeof(err)) != 0) {
		log_msg(LOG_ERR, "%s", err);
		vouchd_conf_free(c);
		return stop(&signer, &milter, 1);
	}
	vouchd_conf_free(c);
	pfd.fd = sig_pipe[0];
	pfd.events = POLLIN;
	for (;;) {
		if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
			break;
		while (read(sig_pipe[0], &sig, 1) == 1) {
			if (sig == SIGHUP)
				reload(path, &signer, &milter);
			else if (sig == SIGTERM || sig == SIGINT) {
				log_msg(LOG_INFO, "signal %d: stopping", sig);
				return stop(&signer, &milter, 0);
			} else if (sig == SIGCHLD) {
				while (
				    (pid = waitpid(-1, &status, WNOHANG)) > 0) {
					log_msg(LOG_ERR,
					    "the %s process ended (status "
					    "%d): stopping",
					    pid == milter.pid ? "milter"
					                      : "signer",
					    status);
					if (pid == milter.pid)
						milter.pid = -1;
					else
						signer.pid = -1;
					return stop(&signer, &milter, 1);
				}
			}
		}
	}
	return stop(&signer, &milter, 1);
}

/* ---- main -------------------------------------------------------------- */

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: vouchd [-t] [-c FILE]\n"
	    "       vouchd -O | -V | -h | --help\n"
	    "       vouchd [--from-opendkim FILE] [--from-opendmarc FILE] "
	    "[--from-openarc FILE]\n"
	    "  -c FILE  the configuration (default /etc/vouchd/vouchd.conf)\n"
	    "  -t       check the configuration, its tables and keys; exit 0 "
	    "when good,\n"
	    "           1 when not, 78 when the file cannot be read or "
	    "parsed\n"
	    "  -O       list every option, its kind and default; exit\n"
	    "  -V       print the version; exit\n"
	    "  -h, --help  print this; exit\n"
	    "  -O, -V and -h act when met, ignoring what follows.\n"
	    "  --from-*: print a vouchd.conf converted from OpenDKIM's, "
	    "OpenDMARC's\n"
	    "           and OpenARC's files (at least one, each once; first "
	    "on the line)\n"
	    "vouchd runs in the foreground; SIGHUP reloads, SIGTERM drains "
	    "and stops.\n");
}

/*
 * vouchd -t's messages, kept and then said sorted by file and line: the
 * configuration file first, then each table in the order first named; a
 * message said twice (the same request refused for every key) once; one
 * that names no file ("N more messages", a fork that failed) a file of
 * its own, where said.  So that the errors of a file read in its order,
 * whichever check found them.
 */
struct said_msg {
	char *text;
	char *file; /* the file the text names (NULL: none), a copy */
	unsigned line; /* its line (0: none) */
};

struct said {
	size_t n, cap;
	struct said_msg *msg;
};

static void
say(void *arg, const char *file, unsigned line, const char *text)
{
	struct said *sd = arg;
	struct said_msg *m;
	size_t i;

	for (i = 0; i < sd->n; i++)
		if (strcmp(sd->msg[i].text, text) == 0)
			return;
	if (sd->n == sd->cap) {
		m = realloc(sd->msg, (sd->cap ? sd->cap * 2 : 16) * sizeof(*m));
		if (m == NULL)
			goto now;
		sd->msg = m;
		sd->cap = sd->cap ? sd->cap * 2 : 16;
	}
	m = &sd->msg[sd->n];
	m->file = NULL;
	m->line = line;
	if ((m->text = strdup(text)) == NULL ||
	    (file != NULL && (m->file = strdup(file)) == NULL)) {
		free(m->text);
		goto now;
	}
	sd->n++;
	return;
now: /* out of memory: said unsorted rather than not at all */
	fprintf(stderr, "vouchd: %s\n", text);
}

__attribute__((format(printf, 4, 5))) static void
sayf(struct said *sd, const char *file, unsigned line, const char *fmt, ...)
{
	char text[VOUCHD_TEXT_MAX + 2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	say(sd, file, line, text);
}

/* A message's place in the order: its file's rank, its line, its index. */
struct place {
	unsigned long line;
	size_t rank, i;
};

static int
by_place(const void *a, const void *b)
{
	const struct place *x = a, *y = b;

	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

/* Says every message on stderr, sorted, the file path's first; frees. */
static void
said_flush(struct said *sd, const char *path)
{
	struct place *pl = calloc(sd->n ? sd->n : 1, sizeof(*pl));
	const char *file;
	size_t i, j;

	for (i = 0; pl != NULL && i < sd->n; i++) {
		file = sd->msg[i].file;
		pl[i].line = sd->msg[i].line;
		pl[i].i = i;
		pl[i].rank = i + 1;
		if (file != NULL && strcmp(file, path) == 0)
			pl[i].rank = 0;
		for (j = 0; file != NULL && pl[i].rank > 0 && j < i; j++)
			if (sd->msg[j].file != NULL &&
			    strcmp(sd->msg[j].file, file) == 0)
				pl[i].rank = pl[j].rank;
	}
	if (pl != NULL)
		qsort(pl, sd->n, sizeof(*pl), by_place);
	for (i = 0; i < sd->n; i++)
		fprintf(stderr, "vouchd: %s\n",
		    sd->msg[pl != NULL ? pl[i].i : i].text);
	for (i = 0; i < sd->n; i++) {
		free(sd->msg[i].text);
		free(sd->msg[i].file);
	}
	free(sd->msg);
	free(pl);
	memset(sd, 0, sizeof(*sd));
}

/*
 * vouchd -t: what the milter process opens as UserID after the privilege
 * drop (the report store, the failure report queue and key), checked as
 * UserID too, in a child, so that a file or directory UserID cannot
 * write is found now and not at the first message.
 */
static int
check_as_user(const struct vouchd_conf *c, struct said *sd)
{
	char why[2 * VOUCHD_TEXT_MAX + 32] = "", one[VOUCHD_TEXT_MAX] = "";
	char drop[2 * VOUCHD_TEXT_MAX + 2] = "";
	char *line, *nl, *text;
	int pfd[2], status = 0, at;
	long n;
	ssize_t k;
	pid_t pid;

	if (!c->record && !c->failure_reports)
		return 0;
	if (pipe(pfd) != 0 || (pid = fork()) < 0) {
		sayf(sd, NULL, 0, "cannot fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		/* the store's error and the queue's, one line each, after the
		 * line of c->path it names (-1: none) */
		close(pfd[0]);
		if (drop_privileges(c->user, drop, sizeof(drop)) != 0)
			snprintf(why, sizeof(why), "-1 %s\n", drop);
		else {
			if (record_check(c, one, sizeof(one), &at) != 0)
				snprintf(why, sizeof(why), "%d %s\n", at, one);
			one[0] = '\0';
			if (failure_check(c, one, sizeof(one), &at) != 0)
				snprintf(why + strlen(why),
				    sizeof(why) - strlen(why), "%d %s\n", at,
				    one);
		}
		(void)!write(pfd[1], why, strlen(why));
		_exit(why[0] != '\0');
	}
	close(pfd[1]);
	k = read(pfd[0], why, sizeof(why) - 1);
	why[k > 0 ? k : 0] = '\0';
	close(pfd[0]);
	waitpid(pid, &status, 0);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (why[0] == '\0')
		snprintf(why, sizeof(why), "-1 the check failed");
	for (line = why; line != NULL && *line != '\0'; line = nl) {
		if ((nl = strchr(line, '\n')) != NULL)
			*nl++ = '\0';
		n = strtol(line, &text, 10);
		if (*text == ' ')
			text++;
		sayf(sd, n >= 0 ? c->path : NULL, n >= 0 ? (unsigned)n : 0,
		    "%s%s%s%s", text, c->user != NULL ? " (as UserID " : "",
		    c->user != NULL ? c->user : "", c->user != NULL ? ")" : "");
	}
	return -1;
}

/*
 * vouchd -t: the Socket spec is one libmilter reads as meant (a port
 * past 65535 would be listened on modulo 65536), and a unix socket's
 * directory exists, for libmilter does not make it.  1 when wrong, said
 * after at ("FILE:LINE: ").
 */
static int
check_socket(const char *at, const struct vouchd_conf *c, struct said *sd)
{
	char bad[256], dir[1024];
	const char *sock = socket_path(c->socket), *slash, *why = NULL;
	unsigned line = vouchd_conf_line(c, "Socket");
	struct stat st;

	if (vouchd_socket_check(c->socket, bad, sizeof(bad)) != 0) {
		sayf(sd, c->path, line, "%sSocket %s: %s", at, c->socket, bad);
		return 1;
	}
	if (sock == NULL)
		return 0;
	slash = strrchr(sock, '/');
	if (slash == NULL || sock[0] != '/') {
		sayf(sd, c->path, line, "%sSocket %s: want an absolute path",
		    at, c->socket);
		return 1;
	}
	snprintf(dir, sizeof(dir), "%.*s",
	    slash == sock ? 1 : (int)(slash - sock), sock);
	if (stat(dir, &st) != 0)
		why = strerror(errno);
	else if (!S_ISDIR(st.st_mode))
		why = "not a directory";
	if (why != NULL) {
		sayf(sd, c->path, line, "%sSocket %s%s: directory %s: %s", at,
		    c->socket, line > 0 ? "" : " (the default)", dir, why);
		return 1;
	}
	return 0;
}

/*
 * vouchd -t: what the daemon needs before it reads any table: UserID
 * names a user (and group), Socket as check_socket says, MetricsListen a
 * loopback ADDR:PORT.  Returns 1 when something is wrong, each problem
 * said.
 */
static int
check_daemon(const struct vouchd_conf *c, int *user_bad, struct said *sd)
{
	char at[1100], err[512];
	struct sockaddr_storage ss;
	socklen_t sl;
	uid_t uid;
	gid_t gid;
	int bad = 0;

	*user_bad = 0;
	if (c->user != NULL &&
	    resolve_user(c->user, &uid, &gid, err, sizeof(err)) != 0) {
		vouchd_conf_where(c, "UserID", at, sizeof(at));
		sayf(sd, c->path, vouchd_conf_line(c, "UserID"), "%s%s", at,
		    err);
		*user_bad = bad = 1;
	}
	vouchd_conf_where(c, "Socket", at, sizeof(at));
	bad |= check_socket(at, c, sd);
	if (!*user_bad &&
	    socket_dir_warning(c->socket, c->user, err, sizeof(err)))
		sayf(sd, c->path, vouchd_conf_line(c, "Socket"),
		    "warning: %s%s", at, err);
	if (c->metrics_listen != NULL &&
	    metrics_addr(c->metrics_listen, &ss, &sl, err, sizeof(err)) != 0) {
		vouchd_conf_where(c, "MetricsListen", at, sizeof(at));
		sayf(sd, c->path, vouchd_conf_line(c, "MetricsListen"), "%s%s",
		    at, err);
		bad = 1;
	}
	return bad;
}

/*
 * vouchd -t: the file, every table (all their errors and warnings, with
 * file:line), every key file and request, the store and queue, all said
 * (said_flush) in file order.  What cannot be checked is a table that
 * cannot be read (its entries and their keys) and, when UserID names no
 * user, what is opened as UserID.
 */
static int
check(const char *path, struct vouchd_conf *c, struct said *sd)
{
	struct vouchd_signing_conf sc;
	struct vouchd_sendas_conf sa;
	struct vouchd_signing *s = NULL;
	struct vouchd_sendas *t = NULL;
	struct vouchd_diag d;
	char err[1024];
	size_t i;
	int bad, daemon_bad, user_bad, tables_bad = 0;

	daemon_bad = check_daemon(c, &user_bad, sd);
	vouchd_diag_init(&d);
	if (signing_conf_from(c, &sc)) {
		/* the keys of the entries read, also when others were not */
		sc.partial = 1;
		tables_bad = vouchd_signing_load(&sc, &d, &s) != VOUCH_OK;
		if (s != NULL)
			(void)!vouchd_signing_check_keys(s,
			    VOUCHD_KEYCHECK_SAFE | VOUCHD_KEYCHECK_PARSE, &d);
	}
	if (sendas_conf_from(c, &sa))
		(void)!vouchd_sendas_load(&sa, &d, &t);
	for (i = 0; i < d.n; i++)
		say(sd, d.msg[i].file, d.msg[i].line, d.msg[i].text);
	if (d.ndropped > 0)
		sayf(sd, NULL, 0, "%zu more messages", d.ndropped);
	bad = d.nerrors > 0 || tables_bad;
	if (signer_check_keys(c, s, say, sd) != 0)
		bad = 1;
	if (!user_bad && check_as_user(c, sd) != 0)
		bad = 1;
	if (c->sign && c->key_file == NULL && c->key_table == NULL) {
		vouchd_conf_where(c, "Mode", err, sizeof(err));
		sayf(sd, c->path, vouchd_conf_line(c, "Mode"),
		    "warning: %sMode includes s but no key is configured: "
		    "nothing will be signed",
		    err);
	}
	vouchd_signing_free(s);
	vouchd_sendas_free(t);
	vouchd_diag_free(&d);
	vouchd_conf_free(c);
	said_flush(sd, path);
	bad |= daemon_bad;
	if (!bad)
		printf("vouchd: %s: configuration OK\n", path);
	return bad;
}

int
main(int argc, char **argv)
{
	struct vouchd_conf *c = NULL;
	const char *path = "/etc/vouchd/vouchd.conf";
	static const struct option longopts[] = {
	    {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
	struct said said = {0, 0, NULL};
	char err[1024];
	int ch, test = 0;

	/* vouchd --from-opendkim FILE ...: print a vouchd.conf (convert.h) */
	if (argc > 1 && strncmp(argv[1], "--from-", 7) == 0)
		return vouchd_convert_main(argc, argv);
	while ((ch = getopt_long(argc, argv, "c:tOVh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 't':
			test = 1;
			break;
		case 'O':
			vouchd_conf_print_options();
			return 0;
		case 'V':
			printf("vouchd %s\n", VOUCH_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 64;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 64;
	}
	if (test) {
		/* every error of the file; the checks after need it parsed */
		if (vouchd_conf_load_each(
		        path, &c, err, sizeof(err), say, &said) != 0) {
			if (said.n == 0)
				say(&said, path, 0, err);
			said_flush(&said, path);
			return 78;
		}
		return check(path, c, &said);
	}
	if (vouchd_conf_load(path, &c, err, sizeof(err)) != 0) {
		fprintf(stderr, "vouchd: %s\n", err);
		return 78;
	}
	if (c->umask_set)
		umask(c->umask);
	/* syslog(3) drops every line silently when nothing listens */
	if (c->syslog && access("/dev/log", F_OK) != 0)
		fprintf(stderr,
		    "vouchd: warning: Syslog yes but /dev/log does not exist "
		    "(no syslog daemon): nothing will be logged; Syslog no "
		    "logs to standard error\n");
	log_open(c);
	return supervise(path, c);
}
