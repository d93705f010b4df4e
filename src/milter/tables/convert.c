/*
 * The configuration converter (convert.h): OpenDKIM, OpenDMARC and OpenARC
 * configurations into one vouchd.conf.
 *
 * The three files share OpenDKIM's format (opendkim.conf(5)): "Name value"
 * per line, '#' starts a comment anywhere, names compare without case,
 * booleans are read from their first byte (T t Y y 1 / F f N n 0), and
 * "Include FILE" reads another file, five deep.  Each option read is
 * either carried over, written out explicitly because the old default
 * differs, or listed as not carried over with the reason.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "milter/conf.h"
#include "milter/tables/convert.h"
#include "milter/tables/internal.h"

/* Limits: tables_limits.h. */
#define CONF_MAX_BYTES VOUCHD_CONVERT_MAX_BYTES
#define CONF_MAX_DEPTH VOUCHD_CONVERT_MAX_DEPTH
#define OUT_MAX_VALUE VOUCHD_CONVERT_MAX_VALUE
/* vouchd.conf's numbers of seconds stop at a year (conf.c K_UINT). */
#define MAX_SECONDS (86400ul * 365ul)

enum src { DKIM = 0, DMARC, ARC, NSRC };

static const char *const src_name[NSRC] = {"opendkim", "opendmarc", "openarc"};

/* The sections of vouchd.conf(5), in its order. */
enum section {
	S_DAEMON,
	S_LOG,
	S_DNS,
	S_ROLES,
	S_SIGN,
	S_VERIFY,
	S_ARC,
	NSECTION
};

static const char *const section_title[NSECTION] = {"the daemon", "logging",
    "DNS", "roles", "signing", "verifying and deciding", "ARC sealing"};

struct setting {
	enum src src;
	const char *file;
	unsigned line;
	char *name, *value;
	int used;
};

struct outline {
	enum section section;
	char *text; /* "Name value" */
	char *origin; /* "file:line", or NULL */
	char *comment; /* a line of explanation above it, or NULL */
};

struct conv {
	struct strpool pool;
	struct setting *set;
	size_t nset, capset;
	struct outline *out;
	size_t nout, capout;
	char **notes;
	size_t nnotes, capnotes;
	int has[NSRC];
	int nomem;
};

/* ---- collecting --------------------------------------------------------- */

static void *
grow(void *p, size_t *cap, size_t n, size_t size)
{
	void *q;

	if (n < *cap)
		return p;
	*cap = *cap ? *cap * 2 : 16;
	if ((q = realloc(p, *cap * size)) == NULL)
		return NULL;
	return q;
}

/*
 * A value as a note shows it: the credentials of a data set URL
 * ("dsn:mysql://user:password@host/...") replaced by "***".
 */
static void
redact(const char *v, char *out, size_t cap)
{
	const char *scheme = strstr(v, "://"), *at;

	if (scheme == NULL || (at = strchr(scheme + 3, '@')) == NULL ||
	    memchr(scheme + 3, '/', (size_t)(at - scheme - 3)) != NULL) {
		(void)snprintf(out, cap, "%s", v);
		return;
	}
	(void)snprintf(out, cap, "%.*s***%s", (int)(scheme + 3 - v), v, at);
}

__attribute__((format(printf, 3, 4))) static void
note(struct conv *c, const struct setting *s, const char *fmt, ...)
{
	char why[1024], text[2048], value[512], **n;
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (s != NULL) {
		redact(s->value, value, sizeof(value));
		(void)snprintf(text, sizeof(text),
		    "%s:%u: %s %.300s: not carried over: %s", s->file, s->line,
		    s->name, value, why);
	} else
		(void)snprintf(text, sizeof(text), "%s", why);
	if ((n = grow(c->notes, &c->capnotes, c->nnotes, sizeof(*n))) == NULL ||
	    (n[c->nnotes] = pool_strdup(&c->pool, text)) == NULL) {
		c->nomem = 1;
		if (n != NULL)
			c->notes = n;
		return;
	}
	c->notes = n;
	c->nnotes++;
}

/*
 * Values vouchd.conf refuses whatever the option, as data sets it has no
 * back end for (conf.c's unsupported_sets).
 */
static int
refused_prefix(const char *v)
{
	static const char *const p[] = {"dsn:", "ldap:", "ldaps:", "lua:",
	    "memcache:", "redis:", "db:", "mdb:"};
	size_t i;

	for (i = 0; i < sizeof(p) / sizeof(p[0]); i++)
		if (strncasecmp(v, p[i], strlen(p[i])) == 0)
			return 1;
	return 0;
}

/*
 * A value vouchd.conf takes for a word or path option: not empty, not a
 * data set it refuses.  Otherwise noted (s may be NULL).
 */
static int
value_ok(struct conv *c, const struct setting *s, const char *v)
{
	if (v[0] == '\0') {
		note(c, s, "no value");
		return 0;
	}
	if (strlen(v) > OUT_MAX_VALUE) {
		note(c, s, "the value is longer than a vouchd.conf line holds");
		return 0;
	}
	if (refused_prefix(v)) {
		note(c, s, "vouchd.conf refuses a value starting \"%.*s\"",
		    (int)(strchr(v, ':') - v + 1), v);
		return 0;
	}
	return 1;
}

/*
 * Adds "name value" to a section, with the origin of s (may be NULL) and
 * an optional comment.  A value vouchd.conf cannot hold (a '#', a line
 * too long) becomes a note instead.
 */
__attribute__((format(printf, 6, 7))) static void
emit(struct conv *c, enum section sec, const char *name,
    const struct setting *s, const char *comment, const char *fmt, ...)
{
	char value[OUT_MAX_VALUE + 2], text[OUT_MAX_VALUE + 128], origin[600];
	struct outline *o;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(value, sizeof(value), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n > OUT_MAX_VALUE) {
		note(c, s, "the value is longer than a vouchd.conf line holds");
		return;
	}
	if (name[0] != '#' && !value_ok(c, s, value))
		return;
	(void)snprintf(text, sizeof(text), "%-27s %s", name, value);
	if ((o = grow(c->out, &c->capout, c->nout, sizeof(*o))) == NULL) {
		c->nomem = 1;
		return;
	}
	c->out = o;
	o = &c->out[c->nout];
	o->section = sec;
	o->text = pool_strdup(&c->pool, text);
	o->origin = NULL;
	o->comment = comment ? pool_strdup(&c->pool, comment) : NULL;
	if (s != NULL) {
		(void)snprintf(
		    origin, sizeof(origin), "%s:%u", s->file, s->line);
		o->origin = pool_strdup(&c->pool, origin);
	}
	if (o->text == NULL || (comment && o->comment == NULL) ||
	    (s && o->origin == NULL)) {
		c->nomem = 1;
		return;
	}
	c->nout++;
}

static int
is_blank(int ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\v' ||
	       ch == '\f';
}

static int read_conf(struct conv *c, enum src src, const char *path, int depth,
    char *err, size_t errlen);

/* One line "Name value" of a configuration (comment removed). */
static int
conf_line(struct conv *c, enum src src, const char *file, unsigned line,
    const uint8_t *p, const uint8_t *end, int depth, char *err, size_t errlen)
{
	const uint8_t *name, *v;
	struct setting *s;
	size_t nlen;
	char *inc;

	while (p < end && is_blank(*p))
		p++;
	while (end > p && is_blank(end[-1]))
		end--;
	if (p == end)
		return 0;
	for (name = p; p < end && !is_blank(*p); p++)
		;
	nlen = (size_t)(p - name);
	while (p < end && is_blank(*p))
		p++;
	v = p;
	if (nlen == 7 && strncasecmp((const char *)name, "Include", 7) == 0) {
		if ((inc = xstrndup(v, (size_t)(end - v))) == NULL)
			return -1;
		if (depth >= CONF_MAX_DEPTH) {
			(void)snprintf(err, errlen,
			    "%s:%u: Include nested more than %d deep", file,
			    line, CONF_MAX_DEPTH);
			free(inc);
			return -1;
		}
		depth = read_conf(c, src, inc, depth + 1, err, errlen);
		free(inc);
		return depth;
	}
	if ((s = grow(c->set, &c->capset, c->nset, sizeof(*s))) == NULL)
		return -1;
	c->set = s;
	s = &c->set[c->nset];
	memset(s, 0, sizeof(*s));
	s->src = src;
	s->file = file;
	s->line = line;
	s->name = pool_strndup(&c->pool, name, nlen);
	s->value = pool_strndup(&c->pool, v, (size_t)(end - v));
	if (s->name == NULL || s->value == NULL)
		return -1;
	c->nset++;
	return 0;
}

static int
read_conf(struct conv *c, enum src src, const char *path, int depth, char *err,
    size_t errlen)
{
	const uint8_t *p, *end, *nl, *hash;
	enum vouch_status st;
	const char *file;
	unsigned line = 0;
	uint8_t *buf;
	size_t len;
	int e, r = 0;

	st = read_file(path, CONF_MAX_BYTES, &buf, &len, &e);
	if (st != VOUCH_OK) {
		(void)snprintf(err, errlen, "%s: %s", path,
		    st == VOUCH_ELIMIT ? "file too large"
		    : st == VOUCH_EIO
		        ? (e == EINVAL ? "not a regular file" : strerror(e))
		        : "out of memory");
		return -1;
	}
	if ((file = pool_strdup(&c->pool, path)) == NULL) {
		free(buf);
		return -1;
	}
	for (p = buf, end = buf + len; p < end && r == 0;
	     p = nl ? nl + 1 : end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		line++;
		if (memchr(p, '\0', (size_t)((nl ? nl : end) - p)) != NULL) {
			(void)snprintf(
			    err, errlen, "%s:%u: NUL byte", path, line);
			r = -1;
			break;
		}
		hash = memchr(p, '#', (size_t)((nl ? nl : end) - p));
		r = conf_line(c, src, file, line, p,
		    hash ? hash
		    : nl ? nl
		         : end,
		    depth, err, errlen);
	}
	free(buf);
	return r;
}

/* ---- reading settings --------------------------------------------------- */

/*
 * The setting `name` of a source (the last if given twice, with a note
 * on the others), marked used; NULL when absent.
 */
static struct setting *
get(struct conv *c, enum src src, const char *name)
{
	struct setting *last = NULL;
	size_t i;

	for (i = 0; i < c->nset; i++) {
		struct setting *s = &c->set[i];

		if (s->src != src || strcasecmp(s->name, name) != 0)
			continue;
		if (last != NULL && !last->used)
			note(c, last, "given again at line %u, which is used",
			    s->line);
		last = s;
		s->used = 1;
	}
	return last;
}

/* OpenDKIM's booleans: the first byte (opendkim.conf(5)). */
static int
boolean(struct conv *c, struct setting *s, int *out)
{
	switch (s->value[0]) {
	case 'T':
	case 't':
	case 'Y':
	case 'y':
	case '1':
		*out = 1;
		return 0;
	case 'F':
	case 'f':
	case 'N':
	case 'n':
	case '0':
		*out = 0;
		return 0;
	}
	note(c, s, "not a boolean value");
	return -1;
}

/* A boolean option of the same name and meaning. */
static void
same_bool(struct conv *c, enum src src, enum section sec, const char *name,
    const char *vname)
{
	struct setting *s = get(c, src, name);
	int b;

	if (s != NULL && boolean(c, s, &b) == 0)
		emit(c, sec, vname, s, NULL, "%s", b ? "yes" : "no");
}

static int
is_uint(const char *v)
{
	return *v != '\0' && strspn(v, "0123456789") == strlen(v) &&
	       strlen(v) <= 9;
}

/* Two values mean the same: equal, or the same boolean or octal number. */
static int
same_value(const char *a, const char *b)
{
	static const char yes[] = "TtYy1", no[] = "FfNn0";

	if (strcmp(a, b) == 0)
		return 1;
	if (*a && *b &&
	    ((strchr(yes, *a) && strchr(yes, *b)) ||
	        (strchr(no, *a) && strchr(no, *b))))
		return 1;
	return *a && *b && strspn(a, "01234567") == strlen(a) &&
	       strspn(b, "01234567") == strlen(b) &&
	       strtoul(a, NULL, 8) == strtoul(b, NULL, 8);
}

/*
 * A daemon-wide option several milters set: the first file's value is
 * used; a different value in another is noted (vouchd is one milter).
 */
static struct setting *
first_of(struct conv *c, const char *name)
{
	struct setting *s, *pick = NULL;
	int i;

	for (i = 0; i < NSRC; i++) {
		if ((s = get(c, (enum src)i, name)) == NULL)
			continue;
		if (pick == NULL)
			pick = s;
		else if (!same_value(pick->value, s->value))
			note(c, s,
			    "vouchd is one milter; %s's value (%s:%u) is used",
			    src_name[pick->src], pick->file, pick->line);
	}
	return pick;
}

/* ---- host lists ------------------------------------------------------ */

/* An address or CIDR network vouchd.conf reads, normalized into out. */
static int
net_text(const uint8_t *p, size_t len, char *out, size_t cap)
{
	char buf[INET6_ADDRSTRLEN + 8], *slash, *addr;
	uint8_t bin[16];
	int v6;

	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, p, len);
	buf[len] = '\0';
	if ((slash = strchr(buf, '/')) != NULL)
		*slash++ = '\0';
	addr = buf;
	if (addr[0] == '[' && addr[strlen(addr) - 1] == ']') {
		addr[strlen(addr) - 1] = '\0';
		addr++;
	}
	if (inet_pton(AF_INET, addr, bin) == 1)
		v6 = 0;
	else if (inet_pton(AF_INET6, addr, bin) == 1)
		v6 = 1;
	else
		return -1;
	if (slash != NULL &&
	    (!is_uint(slash) || strtoul(slash, NULL, 10) > (v6 ? 128u : 32u)))
		return -1;
	(void)snprintf(
	    out, cap, "%s%s%s", addr, slash ? "/" : "", slash ? slash : "");
	return 0;
}

struct netlist {
	char text[OUT_MAX_VALUE + 1];
	size_t len, n;
	int truncated;
};

/* Is item one of the list's entries? */
static int
netlist_has(const struct netlist *l, const char *item)
{
	const char *p = l->text;
	size_t n = strlen(item);

	while ((p = strstr(p, item)) != NULL) {
		if ((p == l->text || p[-1] == ' ') &&
		    (p[n] == ',' || p[n] == '\0'))
			return 1;
		p++;
	}
	return 0;
}

static void
netlist_add(struct netlist *l, const char *item)
{
	size_t n = strlen(item);

	if (netlist_has(l, item))
		return;
	if (l->len + n + 2 >= sizeof(l->text)) {
		l->truncated = 1;
		return;
	}
	if (l->n++ > 0) {
		memcpy(l->text + l->len, ", ", 2);
		l->len += 2;
	}
	memcpy(l->text + l->len, item, n + 1);
	l->len += n;
}

/* The data set spec of a host list, read with OpenDKIM's rules. */
static int
open_hosts(struct conv *c, struct setting *s, struct ds *ds)
{
	struct vouchd_diag d;
	const char *v = s->value;
	enum vouch_status st;

	/* An inline list may hold IPv6 addresses: no type prefix then. */
	if (strncasecmp(v, "file:", 5) != 0 &&
	    strncasecmp(v, "refile:", 7) != 0 &&
	    strncasecmp(v, "csl:", 4) != 0 && v[0] != '/' &&
	    strpbrk(v, "=") == NULL && strncasecmp(v, "dsn:", 4) != 0 &&
	    strncasecmp(v, "ldap", 4) != 0)
		return ds_open_mem(DS_CSL, s->name, s->file, (const uint8_t *)v,
		           strlen(v), ds) == VOUCH_OK
		           ? 0
		           : -1;
	vouchd_diag_init(&d);
	st = ds_open(v, s->name, s->file, s->line,
	    (1u << DS_FILE) | (1u << DS_REFILE) | (1u << DS_CSL), &d, ds);
	if (st != VOUCH_OK) {
		const char *why = d.n ? strstr(d.msg[0].text, "error: ") : NULL;

		note(c, s, "%s", why ? why + 7 : "cannot be read");
	}
	vouchd_diag_free(&d);
	return st == VOUCH_OK ? 0 : -1;
}

/*
 * The addresses and networks of an OpenDKIM host list (InternalHosts,
 * PeerList, IgnoreHosts...): vouchd matches clients by address only, so
 * host and domain names, patterns and "!" exclusions are noted.
 * "localhost" is 127.0.0.1 and ::1.
 */
static int
host_list(struct conv *c, struct setting *s, struct netlist *l)
{
	char item[INET6_ADDRSTRLEN + 8], q[128];
	struct ds_entry e;
	struct ds ds;
	int r;

	if (open_hosts(c, s, &ds) < 0)
		return -1;
	while ((r = ds_next(&ds, NULL, &e)) != 0) {
		if (r < 0)
			continue;
		diag_quote(e.key, e.keylen, q, sizeof(q));
		if (e.keylen == 9 &&
		    strncasecmp((const char *)e.key, "localhost", 9) == 0) {
			netlist_add(l, "127.0.0.1");
			netlist_add(l, "::1");
		} else if (e.keylen > 0 && e.key[0] == '!')
			note(c, s,
			    "the exclusion %s: vouchd lists the networks to "
			    "include, without exclusions",
			    q);
		else if (net_text(e.key, e.keylen, item, sizeof(item)) == 0)
			netlist_add(l, item);
		else
			note(c, s,
			    "the entry %s: vouchd matches clients by IP "
			    "address or network, not by name or pattern",
			    q);
	}
	ds_close(&ds);
	if (l->truncated)
		note(c, s,
		    "more networks than a vouchd.conf line holds; put "
		    "them in a file and name it as file:PATH");
	return 0;
}

/* ---- the daemon, logging, DNS ----------------------------------------- */

static void
conv_daemon(struct conv *c)
{
	struct setting *s;
	int sign = 0, verify = 0;
	char why[256];
	const char *p;

	/* the same milter socket syntax (libmilter's) as vouchd's own */
	if ((s = first_of(c, "Socket")) != NULL) {
		if (vouchd_socket_check(s->value, why, sizeof(why)) == 0)
			emit(c, S_DAEMON, "Socket", s,
			    "vouchd replaces every milter converted: point "
			    "the MTA's milter list at this one socket",
			    "%s", s->value);
		else
			note(c, s, "%s", why);
	}
	if ((s = first_of(c, "UserID")) != NULL)
		emit(c, S_DAEMON, "UserID", s, NULL, "%s", s->value);
	if ((s = first_of(c, "UMask")) != NULL) {
		if (strspn(s->value, "01234567") == strlen(s->value) &&
		    strlen(s->value) > 0 && strlen(s->value) <= 4)
			emit(c, S_DAEMON, "UMask", s, NULL, "%s", s->value);
		else
			note(c, s, "not an octal mask");
	}
	if ((s = first_of(c, "PidFile")) != NULL)
		emit(c, S_DAEMON, "PidFile", s, NULL, "%s", s->value);
	/* Mode: the roles of every milter converted. */
	if (c->has[DKIM]) {
		s = get(c, DKIM, "Mode");
		for (p = s ? s->value : "sv"; *p; p++) {
			if (*p == 's')
				sign = 1;
			else if (*p == 'v')
				verify = 1;
			else {
				note(c, s, "unknown mode '%c'", *p);
				break;
			}
		}
	}
	if (c->has[DMARC])
		verify = 1;
	if (c->has[ARC] && (s = get(c, ARC, "Mode")) != NULL &&
	    strchr(s->value, 'v') != NULL)
		verify = 1;
	if (!sign && !verify)
		verify = 1;
	emit(c, S_DAEMON, "Mode", c->has[DKIM] ? get(c, DKIM, "Mode") : NULL,
	    c->has[DKIM] ? NULL
	                 : "OpenDMARC and OpenARC verify; sign with "
	                   "OpenDKIM's keys when you convert its file too",
	    "%s%s", sign ? "s" : "", verify ? "v" : "");
}

static void
conv_logging(struct conv *c)
{
	struct setting *s;
	int b;

	if ((s = first_of(c, "Syslog")) != NULL && boolean(c, s, &b) == 0)
		emit(c, S_LOG, "Syslog", s, NULL, "%s", b ? "yes" : "no");
	if ((s = first_of(c, "SyslogFacility")) != NULL) {
		static const char *const fac[] = {"mail", "daemon", "user",
		    "local0", "local1", "local2", "local3", "local4", "local5",
		    "local6", "local7"};
		size_t i;

		for (i = 0; i < sizeof(fac) / sizeof(fac[0]); i++)
			if (strcasecmp(s->value, fac[i]) == 0)
				break;
		if (i < sizeof(fac) / sizeof(fac[0]))
			emit(c, S_LOG, "SyslogFacility", s, NULL, "%s", fac[i]);
		else
			note(c, s,
			    "vouchd logs to mail, daemon, user or "
			    "local0..local7");
	}
	same_bool(c, DKIM, S_LOG, "LogWhy", "LogWhy");
}

static void
conv_dns(struct conv *c)
{
	char addr[INET6_ADDRSTRLEN + 8];
	struct setting *s;
	size_t n;

	if ((s = get(c, DKIM, "Nameservers")) != NULL) {
		n = strcspn(s->value, ", \t");
		if (memchr(s->value, '/', n) == NULL &&
		    net_text(
		        (const uint8_t *)s->value, n, addr, sizeof(addr)) == 0)
			emit(c, S_DNS, "Nameservers", s,
			    s->value[n] ? "vouchd asks the first server of the "
			                  "list"
			                : NULL,
			    "%s", s->value);
		else
			note(c, s, "vouchd takes IP addresses of name servers");
	}
	if ((s = first_of(c, "DNSTimeout")) != NULL) {
		if (is_uint(s->value) && strtoul(s->value, NULL, 10) > 0 &&
		    strtoul(s->value, NULL, 10) <= MAX_SECONDS)
			emit(c, S_DNS, "DNSTimeout", s, NULL, "%lu",
			    strtoul(s->value, NULL, 10));
		else
			note(c, s,
			    "vouchd waits a bounded number of seconds (0, "
			    "waiting forever, is not one)");
	}
}

/* ---- roles -------------------------------------------------------------- */

static void
conv_authserv(struct conv *c)
{
	struct setting *s;

	if ((s = first_of(c, "AuthservID")) == NULL)
		return;
	if (strcmp(s->value, "HOSTNAME") == 0)
		emit(c, S_ROLES, "#AuthservID", s,
		    "HOSTNAME: vouchd's default authserv-id is the host name",
		    "%s", "(host name)");
	else
		emit(c, S_ROLES, "AuthservID", s, NULL, "%s", s->value);
}

static void
conv_hosts(struct conv *c, struct netlist *internal)
{
	struct setting *s, *first = NULL, *ifirst = NULL;
	struct netlist ignore, l;
	char *p, *next;
	int i;

	memset(internal, 0, sizeof(*internal));
	for (i = 0; i < NSRC; i++)
		if (i != DMARC &&
		    (s = get(c, (enum src)i, "InternalHosts")) != NULL &&
		    host_list(c, s, internal) == 0 && first == NULL)
			first = s;
	if (internal->n > 0)
		emit(c, S_ROLES, "InternalHosts", first, NULL, "%s",
		    internal->text);
	memset(&ignore, 0, sizeof(ignore));
	for (i = 0; i < NSRC; i++) {
		memset(&l, 0, sizeof(l));
		s = get(
		    c, (enum src)i, i == DMARC ? "IgnoreHosts" : "PeerList");
		if (s == NULL || host_list(c, s, &l) < 0)
			continue;
		if (ifirst == NULL)
			ifirst = s;
		/*
		 * OpenDMARC's IgnoreHosts are clients not DMARC-checked;
		 * vouchd signs, not checks, InternalHosts already, and its
		 * IgnoreHosts would stop signing too: those stay out.
		 */
		for (p = l.text; *p != '\0'; p = next) {
			next = strstr(p, ", ");
			if (next != NULL)
				*next = '\0';
			if (i != DMARC || !netlist_has(internal, p))
				netlist_add(&ignore, p);
			next = next ? next + 2 : p + strlen(p);
		}
	}
	if (ignore.n > 0)
		emit(c, S_ROLES, "IgnoreHosts", ifirst,
		    "passed on untouched; OpenDMARC's IgnoreHosts that are "
		    "InternalHosts are left out, vouchd signs their mail",
		    "%s", ignore.text);
}

/*
 * One MacroList item as vouchd.conf reads it: a name without blanks or
 * commas, and values between '|' none of them empty (conf.c).
 */
static int
macro_ok(const char *item)
{
	const char *eq = strchr(item, '='), *p;

	if (item[0] == '\0' || item[0] == '=' || strpbrk(item, " \t,") != NULL)
		return 0;
	if (eq == NULL)
		return 1;
	for (p = eq + 1;; p++) {
		if (*p == '|' || *p == '\0') {
			if (p[-1] == '|' || p[-1] == '=')
				return 0;
			if (*p == '\0')
				return 1;
		}
	}
}

static void
conv_macros(struct conv *c)
{
	struct setting *s = get(c, DKIM, "MacroList");
	char text[OUT_MAX_VALUE + 1], key[128], val[128], item[260];
	struct ds_entry e;
	struct ds ds;
	size_t n = 0, count = 0;
	int r;

	if (s == NULL || open_hosts(c, s, &ds) < 0)
		return;
	text[0] = '\0';
	while ((r = ds_next(&ds, NULL, &e)) != 0) {
		if (r < 0)
			continue;
		diag_quote(e.key, e.keylen, key, sizeof(key));
		if (e.val != NULL)
			diag_quote(e.val, e.vallen, val, sizeof(val));
		(void)snprintf(item, sizeof(item), "%s%s%s", key,
		    e.val ? "=" : "", e.val ? val : "");
		if (!macro_ok(item) || ++count > 64) {
			note(c, s,
			    "the item %s: vouchd takes at most 64 macros, "
			    "name[=value|value...] each",
			    item);
			continue;
		}
		if (n + strlen(item) + 3 >= sizeof(text))
			break;
		n += (size_t)snprintf(
		    text + n, sizeof(text) - n, "%s%s", n ? ", " : "", item);
	}
	ds_close(&ds);
	if (n > 0)
		emit(c, S_ROLES, "MacroList", s, NULL, "%s", text);
}

static void
conv_roles(struct conv *c)
{
	struct netlist internal;
	struct setting *s;
	int b;

	conv_authserv(c);
	conv_hosts(c, &internal);
	conv_macros(c);
	if ((s = get(c, DMARC, "IgnoreAuthenticatedClients")) != NULL &&
	    boolean(c, s, &b) == 0)
		emit(c, S_ROLES, "IgnoreAuthenticatedClients", s, NULL, "%s",
		    b ? "yes" : "no");
	if ((s = get(c, DKIM, "ExternalIgnoreList")) != NULL)
		note(c, s,
		    "it only silenced OpenDKIM's \"external host tried to send "
		    "mail as\" log line, which vouchd does not write; clients "
		    "that sign are InternalHosts, MacroList or authenticated");
}

/* ---- signing ----------------------------------------------------------- */

/* A list-valued data set (csl, or a file of one word per line). */
static int
word_list(
    struct conv *c, struct setting *s, char *out, size_t cap, int allow_star)
{
	char q[256];
	struct ds_entry e;
	struct ds ds;
	size_t n = 0;
	int r;

	if (open_hosts(c, s, &ds) < 0)
		return -1;
	out[0] = '\0';
	while ((r = ds_next(&ds, NULL, &e)) != 0) {
		if (r < 0)
			continue;
		diag_quote(e.key, e.keylen, q, sizeof(q));
		if (!allow_star && strpbrk(q, "*+-") == q) {
			ds_close(&ds);
			note(c, s,
			    "OpenDKIM's \"*\", \"+name\", \"-name\" edit its "
			    "default list; vouchd takes the list itself "
			    "(SignHeaders NAME, ...)");
			return -1;
		}
		if (n + strlen(q) + 3 >= cap)
			break;
		n += (size_t)snprintf(
		    out + n, cap - n, "%s%s", n ? ", " : "", q);
	}
	ds_close(&ds);
	return n > 0 ? 0 : -1;
}

/* The Domain list of the single-key form, from any data set; -1: none. */
static int
conv_domain(struct conv *c, struct setting *s)
{
	char text[OUT_MAX_VALUE + 1], dom[VOUCH_DNS_MAX_NAME + 1], q[256];
	const char *why;
	struct ds_entry e;
	struct ds ds;
	size_t n = 0;
	int r, ok = 1;

	if (open_hosts(c, s, &ds) < 0)
		return -1;
	text[0] = '\0';
	while ((r = ds_next(&ds, NULL, &e)) != 0) {
		if (r < 0)
			continue;
		diag_quote(e.key, e.keylen, q, sizeof(q));
		if (norm_domain(e.key, e.keylen, dom, &why) < 0) {
			note(c, s,
			    "the entry %s: %s; vouchd's Domain lists domains "
			    "(a SigningTable takes patterns)",
			    q, why);
			ok = 0;
			continue;
		}
		if (n + strlen(dom) + 3 >= sizeof(text)) {
			note(c, s,
			    "more domains than a vouchd.conf line "
			    "holds: use a KeyTable and SigningTable");
			ok = 0;
			break;
		}
		n += (size_t)snprintf(
		    text + n, sizeof(text) - n, "%s%s", n ? ", " : "", dom);
	}
	ds_close(&ds);
	if (n == 0)
		return -1;
	emit(c, S_SIGN, "Domain", s,
	    ok ? NULL : "some entries are not carried over (see the end)", "%s",
	    text);
	return 0;
}

/* A data set of a type vouchd cannot read (dsn:, ldap:...): noted. */
static int
unsupported(struct conv *c, struct setting *s)
{
	struct vouchd_diag d;
	enum vouch_status st;
	const char *why;
	struct ds ds;
	int r = 0;

	vouchd_diag_init(&d);
	st = ds_open(s->value, s->name, s->file, s->line,
	    (1u << DS_FILE) | (1u << DS_REFILE) | (1u << DS_CSL), &d, &ds);
	if (st == VOUCH_OK)
		ds_close(&ds);
	if (st == VOUCH_EUNSUPPORTED || st == VOUCH_ESYNTAX ||
	    refused_prefix(s->value)) {
		why = d.n ? strstr(d.msg[0].text, "error: ") : NULL;
		note(c, s, "%s", why ? why + 7 : "unsupported data set type");
		r = 1;
	}
	vouchd_diag_free(&d);
	return r;
}

/*
 * Loads the tables as vouchd will and notes what it would refuse (they
 * are written out all the same: the operator fixes the table, not the
 * option).
 */
static void
check_tables(
    struct conv *c, struct setting *kt, struct setting *st, int multiple)
{
	struct vouchd_signing_conf sc;
	struct vouchd_signing *sg = NULL;
	struct vouchd_diag d;
	enum vouch_status r;
	size_t i;

	memset(&sc, 0, sizeof(sc));
	sc.key_table = kt->value;
	sc.signing_table = st->value;
	sc.multiple = multiple;
	sc.origin = kt->file;
	vouchd_diag_init(&d);
	r = vouchd_signing_load(&sc, &d, &sg);
	if (r != VOUCH_OK) {
		note(c, NULL,
		    "%s:%u: KeyTable and SigningTable: vouchd will not load "
		    "them as they are:",
		    kt->file, kt->line);
		for (i = 0; i < d.n; i++)
			if (d.msg[i].level == VOUCHD_DIAG_ERROR)
				note(c, NULL, "  %s", d.msg[i].text);
	}
	vouchd_signing_free(sg);
	vouchd_diag_free(&d);
}

static void
conv_keys(struct conv *c)
{
	struct setting *kt = get(c, DKIM, "KeyTable");
	struct setting *st = get(c, DKIM, "SigningTable");
	struct setting *dom = get(c, DKIM, "Domain");
	struct setting *kf = get(c, DKIM, "KeyFile");
	struct setting *sel = get(c, DKIM, "Selector");
	struct setting *sub = get(c, DKIM, "SubDomains");
	struct setting *ms = get(c, DKIM, "MultipleSignatures");
	const char *why;
	int multiple = 0, b, bad;

	if (ms != NULL)
		(void)boolean(c, ms, &multiple);
	if (kt != NULL || st != NULL) {
		if (kt == NULL || st == NULL) {
			note(c, kt ? kt : st,
			    "KeyTable and SigningTable go together");
			return;
		}
		/* both checked, so that both are noted */
		bad = unsupported(c, kt) + unsupported(c, st);
		if (!bad)
			bad = (value_ok(c, kt, kt->value) == 0) +
			      (value_ok(c, st, st->value) == 0);
		if (!bad) {
			check_tables(c, kt, st, multiple);
			emit(c, S_SIGN, "KeyTable", kt, NULL, "%s", kt->value);
			emit(c, S_SIGN, "SigningTable", st, NULL, "%s",
			    st->value);
			if (ms != NULL)
				emit(c, S_SIGN, "MultipleSignatures", ms, NULL,
				    "%s", multiple ? "yes" : "no");
		}
		if (dom != NULL)
			note(c, dom,
			    "OpenDKIM ignores Domain when KeyTable is "
			    "set, and so does this conversion");
		if (kf != NULL)
			note(c, kf,
			    "OpenDKIM ignores KeyFile when KeyTable is "
			    "set");
		if (sel != NULL)
			note(c, sel,
			    "OpenDKIM ignores Selector when KeyTable "
			    "is set");
		if (sub != NULL)
			note(c, sub,
			    "SubDomains applies to Domain, which the "
			    "KeyTable replaces");
		return;
	}
	if (kf == NULL && sel == NULL && dom == NULL)
		return;
	if (kf == NULL || sel == NULL || dom == NULL) {
		note(c,
		    kf    ? kf
		    : sel ? sel
		          : dom,
		    "Domain, Selector and KeyFile go together to sign with "
		    "one key; %s is missing",
		    kf == NULL    ? "KeyFile"
		    : sel == NULL ? "Selector"
		                  : "Domain");
		return;
	}
	if (!selector_ok(
	        (const uint8_t *)sel->value, strlen(sel->value), &why)) {
		note(c, sel, "%s", why);
		return;
	}
	if (!value_ok(c, kf, kf->value))
		return;
	if (conv_domain(c, dom) < 0) {
		note(c, kf, "no domain of Domain could be carried over");
		return;
	}
	emit(c, S_SIGN, "Selector", sel, NULL, "%s", sel->value);
	emit(c, S_SIGN, "KeyFile", kf, NULL, "%s", kf->value);
	if (sub != NULL && boolean(c, sub, &b) == 0)
		emit(
		    c, S_SIGN, "SubDomains", sub, NULL, "%s", b ? "yes" : "no");
}

static void
conv_signing(struct conv *c)
{
	struct setting *s;
	char list[OUT_MAX_VALUE + 1];
	unsigned long bits;
	int b;

	if (!c->has[DKIM])
		return;
	conv_keys(c);
	s = get(c, DKIM, "Canonicalization");
	if (s == NULL)
		emit(c, S_SIGN, "Canonicalization", NULL,
		    "OpenDKIM's default; relaxed/relaxed, vouchd's, survives "
		    "more changes in transit",
		    "simple/simple");
	else if (strcasecmp(s->value, "simple") == 0 ||
	         strcasecmp(s->value, "relaxed") == 0 ||
	         strcasecmp(s->value, "simple/simple") == 0 ||
	         strcasecmp(s->value, "simple/relaxed") == 0 ||
	         strcasecmp(s->value, "relaxed/simple") == 0 ||
	         strcasecmp(s->value, "relaxed/relaxed") == 0)
		emit(c, S_SIGN, "Canonicalization", s, NULL, "%s", s->value);
	else
		note(c, s,
		    "want simple or relaxed, optionally /simple or "
		    "/relaxed");
	if ((s = get(c, DKIM, "SignatureAlgorithm")) != NULL) {
		if (strcasecmp(s->value, "rsa-sha1") == 0)
			note(c, s,
			    "RFC 8301 §3.1: signers MUST NOT use rsa-sha1; "
			    "vouchd signs rsa-sha256");
		else if (strcasecmp(s->value, "rsa-sha256") != 0 &&
		         strcasecmp(s->value, "ed25519-sha256") != 0)
			note(c, s, "unknown algorithm");
		else
			emit(c, S_SIGN, "#SignatureAlgorithm", s,
			    "vouchd takes the algorithm from each key: "
			    "rsa-sha256 for RSA, ed25519-sha256 for Ed25519",
			    "%s", s->value);
	}
	if ((s = get(c, DKIM, "OversignHeaders")) != NULL &&
	    word_list(c, s, list, sizeof(list), 0) == 0)
		emit(c, S_SIGN, "OversignHeaders", s, NULL, "%s", list);
	if ((s = get(c, DKIM, "SignHeaders")) != NULL &&
	    word_list(c, s, list, sizeof(list), 0) == 0)
		emit(c, S_SIGN, "SignHeaders", s, NULL, "%s", list);
	if ((s = get(c, DKIM, "SignatureTTL")) != NULL) {
		if (is_uint(s->value) &&
		    strtoul(s->value, NULL, 10) <= MAX_SECONDS)
			emit(c, S_SIGN, "SignatureTTL", s, NULL, "%lu",
			    strtoul(s->value, NULL, 10));
		else
			note(c, s, "not a number of seconds up to a year");
	}
	if ((s = get(c, DKIM, "MinimumKeyBits")) != NULL) {
		bits = is_uint(s->value) ? strtoul(s->value, NULL, 10) : 0;
		if (!is_uint(s->value) || bits > 1024)
			note(c, s,
			    "vouchd accepts RSA keys of 1024 bits and more "
			    "(RFC 8301 §3.2) and has no option to demand more");
		else
			emit(c, S_SIGN, "#MinimumKeyBits", s,
			    "vouchd accepts RSA keys of 1024 bits and more "
			    "(RFC 8301 §3.2), always",
			    "%s", s->value);
	}
	if ((s = get(c, DKIM, "RequireSafeKeys")) != NULL &&
	    boolean(c, s, &b) == 0) {
		if (!b)
			note(c, s,
			    "vouchd always refuses a private key that group "
			    "or others may read; chmod 600 the key files "
			    "(vouchd -t names them)");
		else
			emit(c, S_SIGN, "#RequireSafeKeys", s,
			    "vouchd always refuses keys group or others may "
			    "read",
			    "%s", "yes");
	}
}

/* ---- verifying and deciding, ARC ------------------------------------- */

static void
conv_verify(struct conv *c)
{
	struct setting *s;
	char list[OUT_MAX_VALUE + 1], q[128];
	struct ds_entry e;
	struct ds ds;
	size_t n = 0;
	int b, r;

	same_bool(c, DMARC, S_VERIFY, "RejectFailures", "RejectFailures");
	if ((s = get(c, DMARC, "HoldQuarantinedMessages")) != NULL) {
		if (boolean(c, s, &b) == 0)
			emit(c, S_VERIFY, "HoldQuarantinedMessages", s, NULL,
			    "%s", b ? "yes" : "no");
	} else if (c->has[DMARC])
		emit(c, S_VERIFY, "HoldQuarantinedMessages", NULL,
		    "OpenDMARC's default: quarantined mail is not held (vouchd "
		    "holds it unless told so)",
		    "no");
	same_bool(
	    c, DMARC, S_VERIFY, "RejectMultiValueFrom", "RejectMultiValueFrom");
	if ((s = first_of(c, "RequiredHeaders")) != NULL &&
	    boolean(c, s, &b) == 0)
		emit(c, S_VERIFY, "RequiredHeaders", s, NULL, "%s",
		    b ? "yes" : "no");
	if ((s = get(c, DMARC, "PublicSuffixList")) != NULL) {
		emit(c, S_VERIFY, "PublicSuffixList", s,
		    "OpenDMARC finds Organizational Domains with this list "
		    "(RFC 7489); vouchd uses it only with DMARCMode rfc7489, "
		    "and by default walks the DNS tree (RFC 9989)",
		    "%s", s->value);
		emit(c, S_VERIFY, "#DMARCMode", NULL, NULL, "%s", "rfc7489");
	}
	if ((s = get(c, DMARC, "SPFSelfValidate")) != NULL &&
	    boolean(c, s, &b) == 0)
		emit(c, S_VERIFY, "#SPFSelfValidate", s,
		    "vouchd always evaluates SPF itself (RFC 7208)", "%s",
		    b ? "yes" : "no");
	if ((s = get(c, DMARC, "SPFIgnoreResults")) != NULL &&
	    boolean(c, s, &b) == 0)
		emit(c, S_VERIFY, "#SPFIgnoreResults", s,
		    "vouchd does not take SPF results from upstream header "
		    "fields: it evaluates SPF itself",
		    "%s", b ? "yes" : "no");
	if ((s = get(c, DMARC, "TrustedAuthservIDs")) != NULL &&
	    open_hosts(c, s, &ds) == 0) {
		list[0] = '\0';
		while ((r = ds_next(&ds, NULL, &e)) != 0) {
			if (r < 0)
				continue;
			diag_quote(e.key, e.keylen, q, sizeof(q));
			if (strcmp(q, "HOSTNAME") == 0) {
				note(c, s,
				    "HOSTNAME: vouchd's own fields are "
				    "recognized by its AuthservID");
				continue;
			}
			if (n + strlen(q) + 3 < sizeof(list))
				n += (size_t)snprintf(list + n,
				    sizeof(list) - n, "%s%s", n ? ", " : "", q);
		}
		ds_close(&ds);
		if (n > 0)
			emit(c, S_VERIFY, "TrustedAuthservIDs", s, NULL, "%s",
			    list);
	}
}

static void
conv_arc(struct conv *c)
{
	struct setting *mode, *dom, *sel, *kf;

	if (!c->has[ARC])
		return;
	mode = get(c, ARC, "Mode");
	dom = get(c, ARC, "Domain");
	sel = get(c, ARC, "Selector");
	kf = get(c, ARC, "KeyFile");
	if (mode != NULL && strchr(mode->value, 's') == NULL) {
		if (dom || sel || kf)
			note(c,
			    dom   ? dom
			    : sel ? sel
			          : kf,
			    "OpenARC does not seal in Mode %s", mode->value);
		return;
	}
	if (dom == NULL || sel == NULL || kf == NULL) {
		if (dom || sel || kf)
			note(c,
			    dom   ? dom
			    : sel ? sel
			          : kf,
			    "Domain, Selector and KeyFile go together to seal");
		return;
	}
	if (!value_ok(c, dom, dom->value) || !value_ok(c, sel, sel->value) ||
	    !value_ok(c, kf, kf->value))
		return;
	emit(c, S_ARC, "ARCSealDomain", dom,
	    "OpenARC seals what passes it in signing mode; vouchd adds an "
	    "ARC Set to each message it verifies, as a forwarder does",
	    "%s", dom->value);
	emit(c, S_ARC, "ARCSealSelector", sel, NULL, "%s", sel->value);
	emit(c, S_ARC, "ARCSealKeyFile", kf, NULL, "%s", kf->value);
}

/* ---- what was not carried over ----------------------------------------- */

/*
 * Why an option of these milters has no vouchd counterpart.  Options
 * marked OFF_OK switch on something vouchd never does: set to false they
 * mean what vouchd does, and need no note.
 */
#define OFF_OK "\001"
static const struct {
	const char *name, *why;
} reasons[] = {
    {"AutoRestart",
        OFF_OK "run vouchd under a service manager that restarts it "
               "(systemd Restart=)"},
    {"AutoRestartCount", "restarts belong to the service manager"},
    {"AutoRestartRate", "restarts belong to the service manager"},
    {"Background",
        OFF_OK "vouchd runs in the foreground under a service manager"},
    {"BaseDirectory", "write absolute paths"},
    {"ChangeRootDirectory", "vouchd's processes drop privileges (UserID); "
                            "it has no chroot"},
    {"EnableCoredumps", OFF_OK "core dumps are the service manager's setting"},
    {"MilterDebug", "no vouchd option"},
    {"SyslogSuccess", "vouchd logs one line for every message"},
    {"SoftwareHeader", OFF_OK "vouchd adds no software header field"},
    {"TrustAnchorFile", "vouchd's resolver (libunbound) has no trust "
                        "anchor option in vouchd.conf"},
    {"AlwaysAddARHeader", "vouchd adds Authentication-Results to every "
                          "message it verifies"},
    {"AuthservIDWithJobID", OFF_OK "vouchd logs the queue id; the authserv-id "
                                   "stays a host name"},
    {"On-BadSignature", "vouchd's decisions are DMARC's (RejectFailures, "
                        "QuarantineAction) and TempErrorAction"},
    {"On-Default", "vouchd's decisions are DMARC's and TempErrorAction"},
    {"On-DNSError", "see TempErrorAction"},
    {"On-InternalError", "an internal error always tempfails: no mail "
                         "is lost"},
    {"On-KeyNotFound", "a missing key is a DKIM result, used by DMARC"},
    {"On-NoSignature", "an unsigned message is a DKIM result, used by "
                       "DMARC"},
    {"On-Security", "no vouchd option"},
    {"On-SignatureError", "a message that cannot be signed is tempfailed"},
    {"RemoveOldSignatures", OFF_OK "vouchd keeps the signatures a message has"},
    {"SendReports", OFF_OK "vouchd sends no DKIM failure reports (RFC 6651)"},
    {"ReportAddress", "vouchd sends no DKIM failure reports"},
    {"ReportBccAddress", "vouchd sends no DKIM failure reports"},
    {"RequestReports", OFF_OK "vouchd asks for no DKIM failure reports"},
    {"MaximumSignaturesToVerify", "vouchd verifies up to 10 signatures "
                                  "(RFC 6376 §6.1 lets a verifier stop)"},
    {"Minimum", "vouchd checks l= and never signs with it"},
    {"MaximumSignedBytes", "vouchd never signs with l= (RFC 6376 §8.2)"},
    {"BodyLengthDB", "vouchd never signs with l= (RFC 6376 §8.2)"},
    {"ClockDrift", "vouchd allows 300 seconds of clock drift"},
    {"DNSConnect", "vouchd's resolver chooses UDP or TCP"},
    {"QueryCache", "vouchd's resolver caches answers"},
    {"LogResults", "LogWhy logs each signature's result"},
    {"OmitHeaders", "vouchd signs the fields of SignHeaders (default: RFC "
                    "6376 §5.4.1's list); name the fields to sign instead"},
    {"Quarantine", "see QuarantineAction"},
    {"CaptureUnknownErrors", "an internal error tempfails"},
    {"KeepAuthResults", "vouchd removes Authentication-Results claiming "
                        "its AuthservID (RFC 8601 §5)"},
    {"RemoveARAll", "vouchd removes only fields claiming its AuthservID"},
    {"RemoveARFrom", "vouchd removes only fields claiming its AuthservID"},
    {"DontSignMailTo", "vouchd signs by sender, not by recipient"},
    {"ExemptDomains", "no vouchd option"},
    {"MTA", "use MacroList daemon_name=NAME"},
    {"TrustSignaturesFrom", "DMARC decides which signatures count"},
    {"UnprotectedKey", "no vouchd option"},
    {"BogusKey", "no vouchd option"},
    {"SenderHeaders", "vouchd signs by the From field (RFC 6376 §5.4)"},
    {"FixCRLF", "vouchd reads line ends as the MTA gives them"},
    {"StrictHeaders", "see RequiredHeaders"},
    {"TemporaryDirectory", "vouchd writes no temporary files"},
    {"KeepTemporaryFiles", OFF_OK "vouchd writes no temporary files"},
    {"Statistics", "see MetricsListen"},
    {"ResolverConfiguration", "see Nameservers"},
    {"AllowSHA1Only", "vouchd's crypto library has SHA-256"},
    {"DomainKeysCompat", OFF_OK "DomainKeys (RFC 4870) is historic"},
    {"Diagnostics", OFF_OK "vouchd adds no z= tags"},
    {"WeakSyntaxChecks", "vouchd parses strictly and says why"},
    {"IgnoreMalformedMail", "no vouchd option"},
    /* OpenDMARC */
    {"HistoryFile", "vouchd does not write OpenDMARC's history file; "
                    "see Record and RecordDB: the evaluations go into "
                    "vouch's report store (vouch store init)"},
    {"FailureReports", OFF_OK "see FailureReports, FailureReportFrom and "
                              "FailureReportQueue (RFC 9991 reports, off "
                              "by default)"},
    {"FailureReportsBcc", "vouchd sends failure reports only to ruf= "
                          "destinations"},
    {"FailureReportsOnNone",
        OFF_OK "vouchd follows fo= for every policy, p=none included"},
    {"FailureReportsSentBy", "see FailureReportFrom"},
    {"ReportCommand", "see FailureReportSendmail and FailureReportSMTP"},
    {"CopyFailuresTo", "no vouchd option"},
    {"RecordAllMessages", OFF_OK "Record keeps what is to be reported"},
    {"IgnoreMailTo", "no vouchd option"},
    {"IgnoreMailFrom", "vouchd evaluates every From domain"},
    {"RejectString", "vouchd's reply names the From domain and why DMARC "
                     "failed"},
    {"DomainWhitelist", "see TrustedARCSealers (ARC) and TrustedForwarders"},
    {"DomainWhitelistFile", "see TrustedARCSealers and TrustedForwarders"},
    {"DomainWhitelistSize", "see TrustedARCSealers and TrustedForwarders"},
    /* OpenARC */
    {"FinalReceiver", "vouchd validates ARC on every message it verifies"},
    {"SealHeaderChecks", "vouchd seals every message it verifies"},
    {"AuthResIP", "vouchd records the client address in smtp results"},
    {"MinimumKeySizeRSA", "vouchd follows RFC 8301 (1024 bits and more)"},
};

static const char *
reason_for(const struct setting *s)
{
	size_t i;
	int off;

	if (s->src == ARC &&
	    (strcasecmp(s->name, "Canonicalization") == 0 ||
	        strcasecmp(s->name, "SignHeaders") == 0 ||
	        strcasecmp(s->name, "OversignHeaders") == 0 ||
	        strcasecmp(s->name, "SignatureAlgorithm") == 0))
		return "vouchd's ARC Sets use its own choice of fields and "
		       "relaxed canonicalization; only ARCSealDomain, "
		       "ARCSealSelector and ARCSealKeyFile are options";
	for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++) {
		if (strcasecmp(s->name, reasons[i].name) != 0)
			continue;
		if (reasons[i].why[0] != OFF_OK[0])
			return reasons[i].why;
		off = strchr("FfNn0", s->value[0]) != NULL && s->value[0];
		return off ? NULL : reasons[i].why + 1;
	}
	return "vouchd has no option of this meaning";
}

static void
note_unused(struct conv *c)
{
	size_t i;

	const char *why;

	for (i = 0; i < c->nset; i++)
		if (!c->set[i].used && (why = reason_for(&c->set[i])) != NULL)
			note(c, &c->set[i], "%s", why);
}

/* ---- output ---------------------------------------------------------- */

static void
print_conf(const struct conv *c, const struct vouchd_convert_in *in, FILE *out)
{
	size_t i;
	int sec, any;

	fprintf(out, "# vouchd.conf(5) converted by vouchd");
	if (in->opendkim)
		fprintf(out, " --from-opendkim %s", in->opendkim);
	if (in->opendmarc)
		fprintf(out, " --from-opendmarc %s", in->opendmarc);
	if (in->openarc)
		fprintf(out, " --from-openarc %s", in->openarc);
	fprintf(out, "\n# Each option names the line it comes from.  Check it "
	             "with vouchd -t.\n");
	for (sec = 0; sec < NSECTION; sec++) {
		for (any = 0, i = 0; i < c->nout; i++) {
			const struct outline *o = &c->out[i];

			if ((int)o->section != sec)
				continue;
			if (!any++)
				fprintf(out, "\n# %s\n", section_title[sec]);
			if (o->comment)
				fprintf(out, "# %s\n", o->comment);
			/* vouchd.conf lines hold 4096 bytes, comment too */
			if (o->origin &&
			    strlen(o->text) + strlen(o->origin) < 4000)
				fprintf(out, "%s   # %s\n", o->text, o->origin);
			else
				fprintf(out, "%s\n", o->text);
		}
	}
	if (c->nnotes == 0)
		return;
	fprintf(out, "\n# Not carried over:\n");
	for (i = 0; i < c->nnotes; i++)
		fprintf(out, "#   %s\n", c->notes[i]);
}

static void
conv_free(struct conv *c)
{
	free(c->set);
	free(c->out);
	free(c->notes);
	pool_free(&c->pool);
}

int
vouchd_convert(const struct vouchd_convert_in *in, FILE *out, FILE *notes,
    char *err, size_t errlen)
{
	const char *paths[NSRC];
	struct conv c;
	size_t i;
	int k;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (in == NULL || out == NULL || err == NULL ||
	    (in->opendkim == NULL && in->opendmarc == NULL &&
	        in->openarc == NULL)) {
		if (err != NULL)
			(void)snprintf(err, errlen, "nothing to convert");
		return -1;
	}
	memset(&c, 0, sizeof(c));
	paths[DKIM] = in->opendkim;
	paths[DMARC] = in->opendmarc;
	paths[ARC] = in->openarc;
	for (k = 0; k < NSRC; k++) {
		if (paths[k] == NULL)
			continue;
		if (read_conf(&c, (enum src)k, paths[k], 0, err, errlen) < 0) {
			if (err[0] == '\0')
				(void)snprintf(err, errlen, "out of memory");
			conv_free(&c);
			return -1;
		}
		c.has[k] = 1;
	}
	conv_daemon(&c);
	conv_logging(&c);
	conv_dns(&c);
	conv_roles(&c);
	conv_signing(&c);
	conv_verify(&c);
	conv_arc(&c);
	note_unused(&c);
	if (c.nomem) {
		(void)snprintf(err, errlen, "out of memory");
		conv_free(&c);
		return -1;
	}
	print_conf(&c, in, out);
	if (notes != NULL)
		for (i = 0; i < c.nnotes; i++)
			fprintf(notes, "vouchd: %s\n", c.notes[i]);
	k = c.nnotes > 0;
	conv_free(&c);
	return k;
}

int
vouchd_convert_main(int argc, char **argv)
{
	static const char *const opts[NSRC] = {
	    "--from-opendkim", "--from-opendmarc", "--from-openarc"};
	struct vouchd_convert_in in;
	const char *v, **slot[NSRC];
	char err[1024];
	size_t n;
	int i, k, r;

	memset(&in, 0, sizeof(in));
	slot[DKIM] = &in.opendkim;
	slot[DMARC] = &in.opendmarc;
	slot[ARC] = &in.openarc;
	for (i = 1; i < argc; i++) {
		for (k = 0; k < NSRC; k++) {
			n = strlen(opts[k]);
			if (strncmp(argv[i], opts[k], n) == 0 &&
			    (argv[i][n] == '\0' || argv[i][n] == '='))
				break;
		}
		if (k == NSRC) {
			fprintf(
			    stderr, "vouchd: unknown option '%s'\n", argv[i]);
			goto usage;
		}
		n = strlen(opts[k]);
		if (argv[i][n] == '=')
			v = argv[i] + n + 1;
		else if (i + 1 < argc)
			v = argv[++i];
		else
			v = "";
		if (*v == '\0') {
			fprintf(stderr, "vouchd: %s needs a FILE\n", opts[k]);
			goto usage;
		}
		/* two files of one kind cannot both be the source: refuse
		 * rather than take one silently */
		if (*slot[k] != NULL) {
			fprintf(stderr, "vouchd: %s given twice\n", opts[k]);
			goto usage;
		}
		*slot[k] = v;
	}
	if (in.opendkim == NULL && in.opendmarc == NULL && in.openarc == NULL)
		goto usage;
	r = vouchd_convert(&in, stdout, stderr, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "vouchd: %s\n", err);
		return 66;
	}
	return r;
usage:
	fprintf(stderr,
	    "usage: vouchd [--from-opendkim FILE] [--from-opendmarc FILE] "
	    "[--from-openarc FILE]\n"
	    "  at least one, each once, as --from-X FILE or --from-X=FILE\n"
	    "  prints an equivalent vouchd.conf; what cannot be carried "
	    "over is listed on standard error and at its end\n");
	return 64;
}
