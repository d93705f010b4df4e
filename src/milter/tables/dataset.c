/*
 * OpenDKIM data sets (opendkim(8), "DATA SETS"): which types vouchd reads
 * (flat file, refile:, csl:), which it refuses and why, and how a line or
 * an item splits into key and value, with OpenDKIM's rules so that
 * existing tables mean the same thing.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "milter/tables/internal.h"

/* The types OpenDKIM knows and vouchd refuses, with what they are. */
static const struct {
	const char *prefix;
	const char *what;
} refused[] = {
    {"dsn", "an SQL database through OpenDBX"},
    {"ldap", "an LDAP directory"},
    {"ldaps", "an LDAP directory"},
    {"ldapi", "an LDAP directory"},
    {"lua", "a Lua script"},
    {"db", "a Sleepycat (Berkeley) DB file"},
    {"memcache", "a memcached server"},
    {"mdb", "an LMDB database"},
    {"erlang", "an Erlang node"},
};

static int
prefix_is(const char *p, size_t n, const char *name)
{
	size_t i;

	if (strlen(name) != n)
		return 0;
	for (i = 0; i < n; i++)
		if (lc((uint8_t)p[i]) != (uint8_t)name[i])
			return 0;
	return 1;
}

static int
ends_with_db(const char *s)
{
	size_t n = strlen(s);

	return n >= 3 && strcmp(s + n - 3, ".db") == 0;
}

enum vouch_status
read_file(const char *path, size_t max, uint8_t **out, size_t *outlen, int *err)
{
	struct stat st;
	uint8_t *buf = NULL;
	size_t len = 0;
	ssize_t r;
	int fd;

	*out = NULL;
	*outlen = 0;
	*err = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0) {
		*err = errno;
		return VOUCH_EIO;
	}
	if (fstat(fd, &st) != 0) {
		*err = errno;
		close(fd);
		return VOUCH_EIO;
	}
	if (!S_ISREG(st.st_mode)) {
		*err = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		close(fd);
		return VOUCH_EIO;
	}
	if ((uint64_t)st.st_size > max) {
		close(fd);
		return VOUCH_ELIMIT;
	}
	/* One byte more than the size, to see a file that grew. */
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		close(fd);
		return VOUCH_ENOMEM;
	}
	while (len < (size_t)st.st_size + 1) {
		r = read(fd, buf + len, (size_t)st.st_size + 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			*err = errno;
			free(buf);
			close(fd);
			return VOUCH_EIO;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	if (len > (size_t)st.st_size) {
		*err = EAGAIN; /* written while read: try again later */
		free(buf);
		return VOUCH_EIO;
	}
	*out = buf;
	*outlen = len;
	return VOUCH_OK;
}

enum vouch_status
ds_open_mem(enum ds_type type, const char *option, const char *name,
    const uint8_t *p, size_t len, struct ds *out)
{
	memset(out, 0, sizeof(*out));
	out->type = type;
	out->option = option;
	if ((out->name = strdup(name)) == NULL ||
	    (out->buf = malloc(len ? len : 1)) == NULL) {
		free(out->name);
		out->name = NULL;
		return VOUCH_ENOMEM;
	}
	if (len > 0)
		memcpy(out->buf, p, len);
	out->len = len;
	return VOUCH_OK;
}

static enum vouch_status
open_file(enum ds_type type, const char *option, const char *origin,
    unsigned origin_line, const char *path, struct vouchd_diag *diag,
    struct ds *out)
{
	enum vouch_status st;
	int err;

	memset(out, 0, sizeof(*out));
	out->type = type;
	out->option = option;
	if (*path == '\0') {
		diag_at(diag, VOUCHD_DIAG_ERROR, origin, origin_line, 0,
		    "%s: no file named after the data set type", option);
		return VOUCH_ESYNTAX;
	}
	if ((out->name = strdup(path)) == NULL)
		return VOUCH_ENOMEM;
	st =
	    read_file(path, VOUCHD_TABLE_MAX_BYTES, &out->buf, &out->len, &err);
	/* at the option's line when known (the line to mend), the path in
	 * the words; else at the path */
	if (st == VOUCH_EIO)
		diag_at(diag, VOUCHD_DIAG_ERROR, origin ? origin : path,
		    origin ? origin_line : 0, 0, "%s%s%s: cannot read: %s",
		    option, origin ? " " : "", origin ? path : "",
		    err == EINVAL ? "not a regular file" : strerror(err));
	else if (st == VOUCH_ELIMIT)
		diag_at(diag, VOUCHD_DIAG_ERROR, origin ? origin : path,
		    origin ? origin_line : 0, 0,
		    "%s%s%s: file larger than %d bytes", option,
		    origin ? " " : "", origin ? path : "",
		    VOUCHD_TABLE_MAX_BYTES);
	if (st != VOUCH_OK) {
		free(out->name);
		out->name = NULL;
	}
	return st;
}

enum vouch_status
ds_open(const char *spec, const char *option, const char *origin,
    unsigned origin_line, unsigned allowed, struct vouchd_diag *diag,
    struct ds *out)
{
	const char *colon = strchr(spec, ':'), *rest;
	enum ds_type type;
	size_t i, n;

	memset(out, 0, sizeof(*out));
	if (colon == NULL) {
		if (ends_with_db(spec)) {
			diag_at(diag, VOUCHD_DIAG_ERROR, origin, origin_line, 0,
			    "%s: \"%s\" names a Sleepycat (Berkeley) DB file, "
			    "which vouchd does not read; export it to a flat "
			    "file and name that (file: or refile:)",
			    option, spec);
			return VOUCH_EUNSUPPORTED;
		}
		type = spec[0] == '/' ? DS_FILE : DS_CSL;
		rest = spec;
	} else {
		n = (size_t)(colon - spec);
		rest = colon + 1;
		if (prefix_is(spec, n, "file"))
			type = DS_FILE;
		else if (prefix_is(spec, n, "refile"))
			type = DS_REFILE;
		else if (prefix_is(spec, n, "csl"))
			type = DS_CSL;
		else {
			for (i = 0; i < sizeof(refused) / sizeof(refused[0]);
			     i++)
				if (prefix_is(spec, n, refused[i].prefix)) {
					diag_at(diag, VOUCHD_DIAG_ERROR, origin,
					    origin_line, 0,
					    "%s: data set type \"%s:\" (%s) is "
					    "not supported by vouchd; export "
					    "the table to a file and use "
					    "file: or refile:",
					    option, refused[i].prefix,
					    refused[i].what);
					return VOUCH_EUNSUPPORTED;
				}
			diag_at(diag, VOUCHD_DIAG_ERROR, origin, origin_line, 0,
			    "%s: unknown data set type \"%.*s:\" (vouchd "
			    "reads file:, refile: and csl:)",
			    option, (int)(n > 64 ? 64 : n), spec);
			return VOUCH_ESYNTAX;
		}
	}
	if ((allowed & (1u << type)) == 0) {
		diag_at(diag, VOUCHD_DIAG_ERROR, origin, origin_line, 0,
		    "%s: a %s data set cannot be used here", option,
		    type == DS_CSL      ? "csl:"
		    : type == DS_REFILE ? "refile:"
		                        : "file:");
		return VOUCH_ESYNTAX;
	}
	if (type != DS_CSL)
		return open_file(
		    type, option, origin, origin_line, rest, diag, out);
	return ds_open_mem(DS_CSL, option, origin ? origin : option,
	    (const uint8_t *)rest, strlen(rest), out);
}

void
ds_close(struct ds *ds)
{
	free(ds->name);
	free(ds->buf);
	memset(ds, 0, sizeof(*ds));
}

static int
is_space(uint8_t ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\v' ||
	       ch == '\f';
}

void
diag_ds(struct vouchd_diag *d, enum vouchd_diag_level level,
    const struct ds *ds, unsigned line, const char *fmt, ...)
{
	char text[VOUCHD_DIAG_MAX_TEXT];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (ds->type == DS_CSL)
		diag_at(
		    d, level, ds->name, line, 1, "%s: %s", ds->option, text);
	else
		diag_at(d, level, ds->name, line, 0, "%s", text);
}

/* Trim [*p, *end) of white space on both sides. */
static void
trim(const uint8_t **p, const uint8_t **end)
{
	while (*p < *end && is_space(**p))
		(*p)++;
	while (*end > *p && is_space((*end)[-1]))
		(*end)--;
}

/* One csl: item, split at its first '='. */
static int
csl_next(struct ds *ds, struct ds_entry *e)
{
	const uint8_t *p, *end, *eq, *k, *kend;

	while (ds->pos < ds->len) {
		p = ds->buf + ds->pos;
		end = memchr(p, ',', ds->len - ds->pos);
		if (end == NULL)
			end = ds->buf + ds->len;
		ds->pos = (size_t)(end - ds->buf) + 1;
		ds->line++;
		trim(&p, &end);
		if (p == end)
			continue;
		e->line = ds->line;
		eq = memchr(p, '=', (size_t)(end - p));
		k = p;
		kend = eq ? eq : end;
		trim(&k, &kend);
		e->key = k;
		e->keylen = (size_t)(kend - k);
		e->val = NULL;
		e->vallen = 0;
		if (eq != NULL) {
			p = eq + 1;
			trim(&p, &end);
			e->val = p;
			e->vallen = (size_t)(end - p);
		}
		return 1;
	}
	return 0;
}

int
ds_next(struct ds *ds, struct vouchd_diag *diag, struct ds_entry *e)
{
	const uint8_t *p, *end, *hash, *k;
	size_t linelen;

	if (ds->type == DS_CSL)
		return csl_next(ds, e);
	while (ds->pos < ds->len) {
		p = ds->buf + ds->pos;
		end = memchr(p, '\n', ds->len - ds->pos);
		if (end == NULL)
			end = ds->buf + ds->len;
		ds->pos = (size_t)(end - ds->buf) + 1;
		ds->line++;
		linelen = (size_t)(end - p);
		if (linelen > VOUCHD_TABLE_MAX_LINE) {
			diag_ds(diag, VOUCHD_DIAG_ERROR, ds, ds->line,
			    "line longer than %d bytes", VOUCHD_TABLE_MAX_LINE);
			return -1;
		}
		if (memchr(p, '\0', linelen) != NULL) {
			diag_ds(diag, VOUCHD_DIAG_ERROR, ds, ds->line,
			    "NUL byte in the line");
			return -1;
		}
		/* OpenDKIM: '#' starts a comment wherever it is. */
		if ((hash = memchr(p, '#', linelen)) != NULL)
			end = hash;
		trim(&p, &end);
		if (p == end)
			continue;
		k = p;
		while (p < end && !is_space(*p))
			p++;
		e->line = ds->line;
		e->key = k;
		e->keylen = (size_t)(p - k);
		while (p < end && is_space(*p))
			p++;
		e->val = p < end ? p : NULL;
		e->vallen = (size_t)(end - p);
		return 1;
	}
	return 0;
}
