/*
 * The ingest session: one input at a time, told apart by its first bytes
 * (gzip, zip, XML, or else an e-mail), unwrapped layer by layer with every
 * layer capped, each report parsed and handed to the caller.  Files,
 * directories, Maildirs and mbox streams are read here; IMAP is in
 * ingest_imap.c.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ingest_internal.h"
#include "vouch/limits.h"

/* Directories below a path given to vouch_ingest_path that are read. */
#define INGEST_MAX_DIR_DEPTH 8

struct vouch_ingest {
	struct vouch_ingest_callbacks cb;
	struct vouch_ingest_stats stats;
	struct vbuf in; /* the current input, reused */
	struct vouch_ingest_progress prog;
};

/* One input being unwrapped. */
struct unwrap {
	struct vouch_ingest *ing;
	const struct vouch_ingest_where *where;
	int layer;
	unsigned nreports, nrefused;
	enum vouch_status fatal; /* the report callback's error, or ENOMEM */
	const char *label; /* the part or entry being read */
};

static void blob(struct unwrap *u, const uint8_t *p, size_t len);

static void
problem(struct vouch_ingest *ing, enum vouch_ingest_problem what,
    enum vouch_status st, const char *why,
    const struct vouch_ingest_where *where)
{
	switch (what) {
	case VOUCH_INGEST_REFUSED:
	case VOUCH_INGEST_IO:
		ing->stats.refused++;
		break;
	case VOUCH_INGEST_NO_REPORT:
		ing->stats.no_report++;
		break;
	case VOUCH_INGEST_FAILURE_REPORT:
		ing->stats.failure_reports++;
		break;
	}
	if (ing->cb.problem != NULL)
		ing->cb.problem(ing->cb.arg, what, st, why, where);
}

static void
refuse(struct unwrap *u, enum vouch_status st, const char *why)
{
	char buf[512];

	u->nrefused++;
	if (st == VOUCH_ENOMEM) {
		u->fatal = st;
		return;
	}
	if (u->label != NULL && u->layer > 0) {
		snprintf(buf, sizeof(buf), "%s: %s", u->label, why);
		why = buf;
	}
	problem(u->ing, VOUCH_INGEST_REFUSED, st, why, u->where);
}

static void
xml(struct unwrap *u, const uint8_t *p, size_t len)
{
	struct vouch_feedback *fb;
	enum vouch_status st;
	char err[300];

	if (u->nreports + u->nrefused >= VOUCH_REPORT_MAX_PER_INPUT) {
		refuse(
		    u, VOUCH_ELIMIT, "more reports than allowed in one input");
		return;
	}
	if ((st = vouch_feedback_parse(p, len, &fb, err, sizeof(err))) !=
	    VOUCH_OK) {
		refuse(u, st, err);
		return;
	}
	st = u->ing->cb.report(u->ing->cb.arg, fb, u->where);
	vouch_feedback_free(fb);
	if (st != VOUCH_OK) {
		u->fatal = st;
		return;
	}
	u->nreports++;
	u->ing->stats.reports++;
}

static void
gzip(struct unwrap *u, const uint8_t *p, size_t len)
{
	struct vbuf out;
	enum vouch_status st;
	char err[200];
	int trailing;

	vbuf_init(&out, VOUCH_REPORT_MAX_XML);
	st = ingest_gunzip(
	    p, len, VOUCH_REPORT_MAX_XML, &out, &trailing, err, sizeof(err));
	if (st != VOUCH_OK)
		refuse(u, st, err);
	else
		blob(u, out.p != NULL ? out.p : (const uint8_t *)"", out.len);
	vbuf_free(&out);
}

static enum vouch_status
zip_entry(void *arg, const char *name, const uint8_t *p, size_t len)
{
	struct unwrap *u = arg;
	const char *label = u->label;

	u->label = name;
	blob(u, p != NULL ? p : (const uint8_t *)"", len);
	u->label = label;
	return u->fatal;
}

static void
zip(struct unwrap *u, const uint8_t *p, size_t len)
{
	enum vouch_status st;
	char err[300];

	st = ingest_unzip(p, len, zip_entry, u, err, sizeof(err));
	if (st != VOUCH_OK && st != u->fatal)
		refuse(u, st, err);
}

static enum vouch_status
mime_part(void *arg, const char *label, const uint8_t *p, size_t len)
{
	struct unwrap *u = arg;
	const char *saved = u->label;

	u->label = label;
	blob(u, p != NULL ? p : (const uint8_t *)"", len);
	u->label = saved;
	return u->fatal;
}

static void
mime(struct unwrap *u, const uint8_t *p, size_t len)
{
	struct ingest_mime_info info;
	enum vouch_status st;
	char err[300], why[400];

	st = ingest_mime(p, len, mime_part, u, &info, err, sizeof(err));
	if (u->fatal != VOUCH_OK)
		return;
	if (st != VOUCH_OK) {
		refuse(u, st, err);
		return;
	}
	if (info.ncandidates > 0)
		return;
	u->nrefused++;
	if (info.failure_report) {
		problem(u->ing, VOUCH_INGEST_FAILURE_REPORT, VOUCH_OK,
		    "a failure report (RFC 6591), not an aggregate report",
		    u->where);
		return;
	}
	snprintf(why, sizeof(why),
	    "no aggregate report attached (%u parts; Subject: %.200s)",
	    info.nparts, info.subject[0] ? info.subject : "none");
	problem(u->ing, VOUCH_INGEST_NO_REPORT, VOUCH_OK, why, u->where);
}

/* Whether the bytes start an XML document (after a BOM and spaces). */
static int
looks_xml(const uint8_t *p, size_t len)
{
	size_t i = 0;

	if (len >= 2 &&
	    ((p[0] == 0xfe && p[1] == 0xff) || (p[0] == 0xff && p[1] == 0xfe)))
		return 1;
	if (len >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf)
		i = 3;
	while (i < len &&
	       (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
		i++;
	return i < len && p[i] == '<';
}

/* One layer: what the first bytes say it is. */
static void
blob(struct unwrap *u, const uint8_t *p, size_t len)
{
	if (u->fatal != VOUCH_OK)
		return;
	if (u->layer >= VOUCH_REPORT_MAX_LAYERS) {
		refuse(u, VOUCH_ELIMIT, "archives nested too deep");
		return;
	}
	u->layer++;
	if (len >= 2 && p[0] == 0x1f && p[1] == 0x8b)
		gzip(u, p, len);
	else if (len >= 4 && memcmp(p, "PK\003\004", 4) == 0)
		zip(u, p, len);
	else if (len == 0)
		refuse(u, VOUCH_ESYNTAX, "empty input");
	else if (looks_xml(p, len))
		xml(u, p, len);
	else if (u->layer == 1)
		mime(u, p, len);
	else
		refuse(u, VOUCH_ESYNTAX, "not XML, gzip or zip");
	u->layer--;
}

/* The reports of one input; *nreports and *nrefused for IMAP. */
enum vouch_status
ingest_input(struct vouch_ingest *ing, const uint8_t *p, size_t len,
    const struct vouch_ingest_where *where, unsigned *nreports,
    unsigned *nrefused)
{
	struct unwrap u;

	memset(&u, 0, sizeof(u));
	u.ing = ing;
	u.where = where;
	ing->stats.inputs++;
	ing->stats.bytes += len;
	if (len > VOUCH_REPORT_MAX_INPUT)
		refuse(&u, VOUCH_ELIMIT, "input over the size limit");
	else
		blob(&u, p != NULL ? p : (const uint8_t *)"", len);
	if (nreports != NULL)
		*nreports = u.nreports;
	if (nrefused != NULL)
		*nrefused = u.nrefused;
	return u.fatal;
}

void
ingest_progress(struct vouch_ingest *ing, int input, uint64_t bytes)
{
	ing->prog.bytes += bytes;
	if (input)
		ing->prog.inputs++;
	if (ing->cb.progress != NULL)
		ing->cb.progress(ing->cb.arg, &ing->prog);
}

void
ingest_add_total(struct vouch_ingest *ing, uint64_t inputs, uint64_t bytes)
{
	ing->prog.inputs_total += inputs;
	ing->prog.bytes_total += bytes;
}

void
ingest_problem(struct vouch_ingest *ing, enum vouch_ingest_problem what,
    enum vouch_status st, const char *why,
    const struct vouch_ingest_where *where)
{
	problem(ing, what, st, why, where);
}

struct vbuf *
ingest_inbuf(struct vouch_ingest *ing)
{
	return &ing->in;
}

enum vouch_status
vouch_ingest_new(
    const struct vouch_ingest_callbacks *cb, struct vouch_ingest **out)
{
	struct vouch_ingest *ing;

	if (out == NULL)
		return VOUCH_EINVAL;
	*out = NULL;
	if (cb == NULL || cb->report == NULL)
		return VOUCH_EINVAL;
	if ((ing = calloc(1, sizeof(*ing))) == NULL)
		return VOUCH_ENOMEM;
	ing->cb = *cb;
	vbuf_init(&ing->in, VOUCH_REPORT_MAX_INPUT);
	*out = ing;
	return VOUCH_OK;
}

void
vouch_ingest_free(struct vouch_ingest *ing)
{
	if (ing == NULL)
		return;
	vbuf_free(&ing->in);
	free(ing);
}

struct vouch_ingest_stats
vouch_ingest_stats(const struct vouch_ingest *ing)
{
	return ing->stats;
}

enum vouch_status
vouch_ingest_mem(struct vouch_ingest *ing, const uint8_t *p, size_t len,
    const struct vouch_ingest_where *where)
{
	if (ing == NULL || where == NULL || where->source == NULL ||
	    (p == NULL && len > 0))
		return VOUCH_EINVAL;
	return ingest_input(ing, p, len, where, NULL, NULL);
}

/* Read fd to its end into b (reset first); -1 and errno on a read
 * error, 1 when over the cap (the rest is not read), else 0. */
static int
read_whole(int fd, struct vbuf *b, const uint8_t *head, size_t nhead)
{
	uint8_t chunk[65536];
	ssize_t n;

	vbuf_reset(b);
	if (nhead > 0 && vbuf_add(b, head, nhead) != VOUCH_OK)
		return 1;
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			return 0;
		if (vbuf_add(b, chunk, (size_t)n) != VOUCH_OK)
			return b->err == VOUCH_ENOMEM ? -2 : 1;
	}
}

/* One whole input from fd (not an mbox). */
static enum vouch_status
whole(struct vouch_ingest *ing, int fd, const uint8_t *head, size_t nhead,
    const struct vouch_ingest_where *where)
{
	char why[300];
	int r;

	r = read_whole(fd, &ing->in, head, nhead);
	if (r == -2)
		return VOUCH_ENOMEM;
	if (r < 0) {
		snprintf(why, sizeof(why), "read: %s", strerror(errno));
		problem(ing, VOUCH_INGEST_IO, VOUCH_EIO, why, where);
		return VOUCH_OK;
	}
	if (r > 0) {
		ing->stats.inputs++;
		snprintf(why, sizeof(why), "input over %d bytes refused",
		    VOUCH_REPORT_MAX_INPUT);
		problem(ing, VOUCH_INGEST_REFUSED, VOUCH_ELIMIT, why, where);
		return VOUCH_OK;
	}
	return ingest_input(ing, ing->in.p, ing->in.len, where, NULL, NULL);
}

/* mbox (RFC 4155): messages start at a "From " line after an empty
 * line; a body line ">From " (any number of '>') was quoted by the
 * writer and loses one '>'. */
struct mbox {
	struct vouch_ingest *ing;
	const char *name;
	unsigned long nmsg;
	int have_msg; /* a From_ line started the current message */
	int oversized; /* the current message passed the cap */
	int prev_blank;
	enum vouch_status st;
};

static enum vouch_status
mbox_flush(struct mbox *m)
{
	struct vouch_ingest_where w;
	char item[64];
	char why[200];
	struct vbuf *b = &m->ing->in;

	if (!m->have_msg)
		return VOUCH_OK;
	snprintf(item, sizeof(item), "message %lu", m->nmsg);
	w.source = m->name;
	w.item = item;
	m->have_msg = 0;
	if (m->oversized) {
		m->ing->stats.inputs++;
		snprintf(why, sizeof(why), "message over %d bytes refused",
		    VOUCH_REPORT_MAX_INPUT);
		problem(m->ing, VOUCH_INGEST_REFUSED, VOUCH_ELIMIT, why, &w);
		m->oversized = 0;
		ingest_progress(m->ing, 1, 0);
		return VOUCH_OK;
	}
	/* the empty line before the next From_ belongs to the mbox */
	if (b->len > 0 && b->p[b->len - 1] == '\n')
		b->len--;
	if (b->len > 0 && b->p[b->len - 1] == '\r')
		b->len--;
	m->st = ingest_input(m->ing, b->p, b->len, &w, NULL, NULL);
	ingest_progress(m->ing, 1, 0);
	return m->st;
}

/* One line of the mbox (with its '\n' if any); `start` says whether it
 * begins a line (a long line comes in pieces). */
static enum vouch_status
mbox_line(struct mbox *m, const uint8_t *p, size_t n, int start)
{
	struct vbuf *b = &m->ing->in;
	size_t q;
	int blank;

	if (start && n >= 5 && memcmp(p, "From ", 5) == 0 &&
	    (m->prev_blank || m->nmsg == 0)) {
		if (mbox_flush(m) != VOUCH_OK)
			return m->st;
		m->nmsg++;
		m->have_msg = 1;
		m->prev_blank = 0;
		vbuf_reset(b);
		return VOUCH_OK;
	}
	blank = start && (n == 0 || p[0] == '\n' ||
	                     (n >= 2 && p[0] == '\r' && p[1] == '\n'));
	m->prev_blank = blank;
	if (!m->have_msg || m->oversized)
		return VOUCH_OK;
	if (start) {
		for (q = 0; q < n && p[q] == '>'; q++)
			;
		if (q > 0 && n - q >= 5 && memcmp(p + q, "From ", 5) == 0) {
			p++;
			n--;
		}
	}
	if (vbuf_add(b, p, n) != VOUCH_OK) {
		if (b->err == VOUCH_ENOMEM)
			return m->st = VOUCH_ENOMEM;
		m->oversized = 1;
		vbuf_reset(b);
	}
	return VOUCH_OK;
}

static enum vouch_status
mbox_read(struct vouch_ingest *ing, int fd, const uint8_t *head, size_t nhead,
    const char *name)
{
	/* a line is looked at in pieces of at most this size */
	enum { LINE = 65536 };
	struct mbox m;
	uint8_t *buf;
	size_t have = 0, i, from;
	ssize_t n;
	int start = 1, eof = 0;
	char why[200];
	struct vouch_ingest_where w = {name, NULL};

	memset(&m, 0, sizeof(m));
	m.ing = ing;
	m.name = name;
	if ((buf = malloc(2 * LINE)) == NULL)
		return VOUCH_ENOMEM;
	memcpy(buf, head, nhead);
	have = nhead;
	while (m.st == VOUCH_OK && (!eof || have > 0)) {
		if (!eof && have < LINE) {
			n = read(fd, buf + have, 2 * LINE - have);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				snprintf(why, sizeof(why), "read: %s",
				    strerror(errno));
				problem(
				    ing, VOUCH_INGEST_IO, VOUCH_EIO, why, &w);
				break;
			}
			if (n == 0)
				eof = 1;
			have += (size_t)n;
			ingest_progress(ing, 0, (uint64_t)n);
			continue;
		}
		for (i = 0, from = 0; i < have; i++)
			if (buf[i] == '\n') {
				(void)mbox_line(
				    &m, buf + from, i + 1 - from, start);
				start = 1;
				from = i + 1;
				if (m.st != VOUCH_OK)
					break;
			}
		if (m.st != VOUCH_OK)
			break;
		if (from == 0 && (have >= LINE || eof)) {
			/* no line end in sight: pass a piece on */
			(void)mbox_line(&m, buf, have, start);
			start = 0;
			from = have;
		}
		memmove(buf, buf + from, have - from);
		have -= from;
	}
	free(buf);
	if (m.st == VOUCH_OK)
		(void)mbox_flush(&m);
	return m.st;
}

/* fd as an mbox (named mbox_name) or one input (where w). */
static enum vouch_status
fd_input(struct vouch_ingest *ing, int fd, const char *mbox_name,
    const struct vouch_ingest_where *w)
{
	uint8_t head[5];
	size_t nhead = 0;
	ssize_t n;
	char why[200];

	while (nhead < sizeof(head)) {
		n = read(fd, head + nhead, sizeof(head) - nhead);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(why, sizeof(why), "read: %s", strerror(errno));
			problem(ing, VOUCH_INGEST_IO, VOUCH_EIO, why, w);
			return VOUCH_OK;
		}
		if (n == 0)
			break;
		nhead += (size_t)n;
	}
	if (nhead == 5 && memcmp(head, "From ", 5) == 0)
		return mbox_read(ing, fd, head, nhead, mbox_name);
	return whole(ing, fd, head, nhead, w);
}

enum vouch_status
vouch_ingest_fd(struct vouch_ingest *ing, int fd, const char *name)
{
	struct vouch_ingest_where w;

	if (ing == NULL || name == NULL || fd < 0)
		return VOUCH_EINVAL;
	w.source = name;
	w.item = NULL;
	return fd_input(ing, fd, name, &w);
}

/*
 * One file: an input read whole, or (unless `flat`: a Maildir message is
 * always one message) an mbox.
 */
static enum vouch_status
one_file(struct vouch_ingest *ing, const char *path, const char *source,
    const char *item, int flat)
{
	struct vouch_ingest_where w;
	enum vouch_status st;
	struct stat sb;
	uint64_t before = ing->prog.bytes;
	char why[300];
	int fd;

	w.source = source;
	w.item = item;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0) {
		snprintf(why, sizeof(why), "%s", strerror(errno));
		problem(ing, VOUCH_INGEST_IO, VOUCH_EIO, why, &w);
		ingest_progress(ing, 1, 0);
		return VOUCH_OK;
	}
	if (flat)
		st = whole(ing, fd, NULL, 0, &w);
	else
		st = fd_input(ing, fd, item != NULL ? path : source, &w);
	/* the bytes an mbox reported as it went, and the rest */
	if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) &&
	    (uint64_t)sb.st_size > ing->prog.bytes - before)
		ingest_progress(
		    ing, 1, (uint64_t)sb.st_size - (ing->prog.bytes - before));
	else
		ingest_progress(ing, 1, 0);
	close(fd);
	return st;
}

static int
is_dir(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

static int
is_maildir(const char *path)
{
	char sub[4096];

	if (snprintf(sub, sizeof(sub), "%s/cur", path) >= (int)sizeof(sub) ||
	    !is_dir(sub))
		return 0;
	snprintf(sub, sizeof(sub), "%s/new", path);
	return is_dir(sub);
}

/*
 * Regular files under dir and their bytes, for the progress totals;
 * subfolders to INGEST_MAX_DIR_DEPTH when depth >= 0 (a Maildir's cur/
 * and new/ are read with depth -1: flat).
 */
static void
count_files(struct vouch_ingest *ing, const char *dir, int depth)
{
	DIR *d;
	struct dirent *e;
	struct stat sb;
	char p[4096];

	if ((d = opendir(dir)) == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (snprintf(p, sizeof(p), "%s/%s", dir, e->d_name) >=
		    (int)sizeof(p))
			continue;
		if (lstat(p, &sb) != 0)
			continue;
		if (S_ISREG(sb.st_mode))
			ingest_add_total(ing, 1, (uint64_t)sb.st_size);
		else if (S_ISDIR(sb.st_mode) && depth >= 0 &&
		         depth < INGEST_MAX_DIR_DEPTH)
			count_files(ing, p, depth + 1);
	}
	closedir(d);
}

/* Every file of a folder, in directory order (depth as count_files). */
static enum vouch_status
walk_dir(
    struct vouch_ingest *ing, const char *dir, const char *source, int depth)
{
	struct vouch_ingest_where w = {source, NULL};
	enum vouch_status st = VOUCH_OK;
	size_t skip = strlen(source);
	struct dirent *e;
	struct stat sb;
	char p[4096], why[300];
	DIR *d;

	if ((d = opendir(dir)) == NULL) {
		snprintf(why, sizeof(why), "%s: %s", dir, strerror(errno));
		problem(ing, VOUCH_INGEST_IO, VOUCH_EIO, why, &w);
		return VOUCH_OK;
	}
	while (st == VOUCH_OK && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (snprintf(p, sizeof(p), "%s/%s", dir, e->d_name) >=
		    (int)sizeof(p))
			continue;
		if (lstat(p, &sb) != 0)
			continue;
		if (S_ISREG(sb.st_mode))
			st = one_file(ing, p, source, p + skip + 1, depth < 0);
		else if (S_ISDIR(sb.st_mode) && depth >= 0 &&
		         depth < INGEST_MAX_DIR_DEPTH)
			st = walk_dir(ing, p, source, depth + 1);
	}
	closedir(d);
	return st;
}

enum vouch_status
vouch_ingest_path(struct vouch_ingest *ing, const char *path)
{
	struct vouch_ingest_where w = {path, NULL};
	enum vouch_status st;
	struct stat sb;
	char sub[4096], why[300];

	if (ing == NULL || path == NULL)
		return VOUCH_EINVAL;
	if (stat(path, &sb) != 0) {
		snprintf(why, sizeof(why), "%s", strerror(errno));
		problem(ing, VOUCH_INGEST_IO, VOUCH_EIO, why, &w);
		return VOUCH_OK;
	}
	if (!S_ISDIR(sb.st_mode)) {
		ingest_add_total(ing, 1, (uint64_t)sb.st_size);
		return one_file(ing, path, path, NULL, 0);
	}
	if (strlen(path) > sizeof(sub) - 8) {
		problem(
		    ing, VOUCH_INGEST_IO, VOUCH_EINVAL, "path too long", &w);
		return VOUCH_OK;
	}
	if (!is_maildir(path)) {
		count_files(ing, path, 0);
		return walk_dir(ing, path, path, 0);
	}
	snprintf(sub, sizeof(sub), "%s/new", path);
	count_files(ing, sub, -1);
	snprintf(sub, sizeof(sub), "%s/cur", path);
	count_files(ing, sub, -1);
	snprintf(sub, sizeof(sub), "%s/new", path);
	if ((st = walk_dir(ing, sub, path, -1)) != VOUCH_OK)
		return st;
	snprintf(sub, sizeof(sub), "%s/cur", path);
	return walk_dir(ing, sub, path, -1);
}
