/*
 * vouchd.conf parser: the table of options, their defaults and values.
 *
 * One "Name value" per line; '#' starts a comment; blank lines are
 * ignored; names compare without case.  Every line that cannot be used is
 * an error naming file and line, at load (never later).  The table below
 * is the one place that lists every option: vouchd.conf(5) documents the
 * same names in the same order.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "conf.h"

enum kind {
	K_STR, /* a word or path, the rest of the line */
	K_BOOL, /* yes/no, true/false, on/off, 1/0 */
	K_UINT, /* decimal */
	K_LIST, /* words separated by commas or blanks */
	K_NETS, /* addresses and CIDR networks, or file:PATH */
	K_MODE, /* s, v, sv */
	K_CANON, /* simple|relaxed[/simple|relaxed] */
	K_UMASK, /* octal */
	K_MACROS, /* name[=value|value],... */
	K_ENUM, /* one of the names of `enums` */
	K_FACILITY, /* a syslog facility name */
	K_NAMESERVERS, /* addresses separated by commas; the first is used */
	K_HOLD, /* HoldQuarantinedMessages: bool setting QuarantineAction */
	K_KINDS, /* FailureReportKinds: dmarc, dkim, spf */
	K_RATE /* FailureReportRate: N/PERIOD */
};

struct enum_name {
	const char *name;
	int value;
};

struct option {
	const char *name;
	enum kind kind;
	size_t off;
	const struct enum_name *enums;
	const char *dflt; /* the default, as text, for -O and the man page */
};

static const struct enum_name log_formats[] = {
    {"plain", VOUCHD_LOG_PLAIN}, {"json", VOUCHD_LOG_JSON}, {NULL, 0}};
static const struct enum_name quarantines[] = {{"hold", VOUCHD_QUARANTINE_HOLD},
    {"header", VOUCHD_QUARANTINE_HEADER}, {"none", VOUCHD_QUARANTINE_NONE},
    {NULL, 0}};
static const struct enum_name sa_actions[] = {{"reject", VOUCHD_ACT_REJECT},
    {"tempfail", VOUCHD_ACT_TEMPFAIL}, {"accept", VOUCHD_ACT_ACCEPT},
    {NULL, 0}};
static const struct enum_name unauth_actions[] = {{"sign", VOUCHD_ACT_SIGN},
    {"reject", VOUCHD_ACT_REJECT}, {"tempfail", VOUCHD_ACT_TEMPFAIL},
    {"accept", VOUCHD_ACT_ACCEPT}, {NULL, 0}};
static const struct enum_name temp_actions[] = {{"accept", VOUCHD_ACT_ACCEPT},
    {"tempfail", VOUCHD_ACT_TEMPFAIL}, {NULL, 0}};
static const struct enum_name dmarc_modes[] = {
    {"rfc9989", 0}, {"rfc7489", 1}, {NULL, 0}};
static const struct enum_name unsafe_dispositions[] = {
    {"quarantine", VOUCHD_UNSAFE_QUARANTINE}, {"reject", VOUCHD_UNSAFE_REJECT},
    {"none", VOUCHD_UNSAFE_NONE}, {NULL, 0}};
static const struct enum_name redactions[] = {{"hash", VOUCHD_REDACT_HASH},
    {"token", VOUCHD_REDACT_TOKEN}, {"none", VOUCHD_REDACT_NONE}, {NULL, 0}};

#define OFF(f) offsetof(struct vouchd_conf, f)

/* Every option, in the order of vouchd.conf(5). */
static const struct option options[] = {
    /* the daemon */
    {"Socket", K_STR, OFF(socket), NULL, "unix:/run/vouchd/vouchd.sock"},
    {"UserID", K_STR, OFF(user), NULL, "(none: stay)"},
    {"UMask", K_UMASK, OFF(umask), NULL, "(inherited)"},
    {"PidFile", K_STR, OFF(pidfile), NULL, "(none)"},
    {"Mode", K_MODE, 0, NULL, "sv"},
    /* logging and metrics */
    {"Syslog", K_BOOL, OFF(syslog), NULL, "yes"},
    {"SyslogFacility", K_FACILITY, OFF(syslog_facility), NULL, "mail"},
    {"LogFormat", K_ENUM, OFF(log_format), log_formats, "plain"},
    {"LogWhy", K_BOOL, OFF(log_why), NULL, "no"},
    {"MetricsListen", K_STR, OFF(metrics_listen), NULL, "(none)"},
    /* DNS */
    {"Nameservers", K_NAMESERVERS, OFF(nameserver), NULL, "(resolv.conf)"},
    {"DNSTimeout", K_UINT, OFF(dns_timeout), NULL, "5"},
    {"ZoneFile", K_STR, OFF(zone_file), NULL, "(none)"},
    /* roles */
    {"AuthservID", K_STR, OFF(authserv_id), NULL, "(host name)"},
    {"InternalHosts", K_NETS, OFF(internal_hosts), NULL, "127.0.0.1, ::1"},
    {"IgnoreHosts", K_NETS, OFF(ignore_hosts), NULL, "(none)"},
    {"MacroList", K_MACROS, 0, NULL, "(none)"},
    {"IgnoreAuthenticatedClients", K_BOOL, OFF(ignore_authenticated), NULL,
        "yes"},
    /* signing */
    {"Domain", K_LIST, OFF(domains), NULL, "(none)"},
    {"SubDomains", K_BOOL, OFF(subdomains), NULL, "no"},
    {"Selector", K_STR, OFF(selector), NULL, "(none)"},
    {"KeyFile", K_STR, OFF(key_file), NULL, "(none)"},
    {"KeyTable", K_STR, OFF(key_table), NULL, "(none)"},
    {"SigningTable", K_STR, OFF(signing_table), NULL, "(none)"},
    {"MultipleSignatures", K_BOOL, OFF(multiple_signatures), NULL, "no"},
    {"Canonicalization", K_CANON, 0, NULL, "relaxed/relaxed"},
    {"SignHeaders", K_LIST, OFF(sign_headers), NULL, "(RFC 6376 5.4.1 list)"},
    {"OversignHeaders", K_LIST, OFF(oversign_headers), NULL,
        "(From, To, Subject, Date, ...)"},
    {"SignatureTTL", K_UINT, OFF(signature_ttl), NULL, "0"},
    /* "send mail as" */
    {"SenderAuthTable", K_STR, OFF(sender_auth_table), NULL, "(none)"},
    {"SenderAuthAliases", K_STR, OFF(sender_auth_aliases), NULL, "(none)"},
    {"SenderAuthDetailDelimiters", K_STR, OFF(detail_delimiters), NULL, "+"},
    {"SenderAuthUnauthenticated", K_ENUM, OFF(sa_unauthenticated),
        unauth_actions, "sign"},
    {"SenderAuthNoMatch", K_ENUM, OFF(sa_no_match), sa_actions, "reject"},
    {"SenderAuthMalformed", K_ENUM, OFF(sa_malformed), sa_actions, "reject"},
    {"SenderAuthError", K_ENUM, OFF(sa_error), sa_actions, "tempfail"},
    /* verifying and deciding */
    {"DryRun", K_BOOL, OFF(dryrun), NULL, "no"},
    {"RejectFailures", K_BOOL, OFF(reject_failures), NULL, "no"},
    {"QuarantineAction", K_ENUM, OFF(quarantine), quarantines, "hold"},
    {"HoldQuarantinedMessages", K_HOLD, 0, NULL, "yes"},
    {"RejectMultiValueFrom", K_BOOL, OFF(reject_multi_from), NULL, "no"},
    {"RequiredHeaders", K_BOOL, OFF(required_headers), NULL, "no"},
    {"RejectSPFFailures", K_BOOL, OFF(reject_spf_fail), NULL, "no"},
    {"TempErrorAction", K_ENUM, OFF(dns_temperror), temp_actions, "accept"},
    {"DMARCMode", K_ENUM, OFF(rfc7489), dmarc_modes, "rfc9989"},
    {"PublicSuffixList", K_STR, OFF(psl_file), NULL, "(system list)"},
    {"SPFCheckHELO", K_BOOL, OFF(check_helo), NULL, "no"},
    {"TrustedARCSealers", K_LIST, OFF(trusted_sealers), NULL, "(none)"},
    {"TrustedForwarders", K_NETS, OFF(trusted_forwarders), NULL, "(none)"},
    {"TrustedAuthservIDs", K_LIST, OFF(trusted_authserv_ids), NULL, "(none)"},
    {"UnsafeFromDisposition", K_ENUM, OFF(unsafe_from), unsafe_dispositions,
        "quarantine"},
    /* ARC sealing */
    {"ARCSealDomain", K_STR, OFF(arc_domain), NULL, "(none)"},
    {"ARCSealSelector", K_STR, OFF(arc_selector), NULL, "(none)"},
    {"ARCSealKeyFile", K_STR, OFF(arc_key_file), NULL, "(none)"},
    /* DMARC reports: recording for aggregate reports, failure reports */
    {"Record", K_BOOL, OFF(record), NULL, "no"},
    {"RecordDB", K_STR, OFF(record_db), NULL, VOUCHD_RECORD_DB_DEFAULT},
    {"RecordBatchRows", K_UINT, OFF(record_batch_rows), NULL, "256"},
    {"RecordBatchTime", K_UINT, OFF(record_batch_ms), NULL, "1000"},
    {"FailureReports", K_BOOL, OFF(failure_reports), NULL, "no"},
    {"FailureReportFrom", K_STR, OFF(failure_from), NULL, "(none)"},
    {"FailureReportKinds", K_KINDS, OFF(failure_kinds), NULL,
        "dmarc, dkim, spf"},
    {"FailureReportRedact", K_ENUM, OFF(failure_redact), redactions, "hash"},
    {"FailureReportRedactToken", K_STR, OFF(failure_token), NULL, "redacted"},
    {"FailureReportRedactKey", K_STR, OFF(failure_key_file), NULL,
        "(random at each start)"},
    {"FailureReportRate", K_RATE, 0, NULL, "10/h"},
    {"FailureReportQueue", K_STR, OFF(failure_queue), NULL,
        VOUCHD_FAILURE_QUEUE_DEFAULT},
    {"FailureReportSendmail", K_STR, OFF(failure_sendmail), NULL,
        "/usr/sbin/sendmail"},
    {"FailureReportSMTP", K_STR, OFF(failure_smtp), NULL, "(none)"},
};

#define NOPTIONS (sizeof(options) / sizeof(options[0]))
_Static_assert(NOPTIONS <= VOUCHD_CONF_MAX_OPTIONS,
    "struct vouchd_conf's line[] has no room for every option");

/* Names OpenDKIM, OpenDMARC and OpenARC use for data-set types vouchd has
 * no back end for; named in the error so the operator knows why. */
static const char *const unsupported_sets[] = {
    "dsn:", "ldap:", "ldaps:", "lua:", "memcache:", "redis:", "db:", "mdb:"};

struct parser {
	const char *name;
	unsigned line;
	char *err;
	size_t errlen;
	struct vouchd_conf *c;
	/* every error, the first included (vouchd_conf_load_each) */
	void (*each)(
	    void *arg, const char *file, unsigned line, const char *text);
	void *each_arg;
	int nerrors;
	/* options whose line was refused: checks across options that name
	 * one of them are skipped, for its value is not what was meant */
	bool refused[VOUCHD_CONF_MAX_OPTIONS];
};

/*
 * An error at ps->line: the first one goes into err (what the daemon's
 * start and reload say), each one to ps->each.  The parse goes on after
 * an error, so that vouchd -t can list them all.  Returns -1.
 */
static int
fail(struct parser *ps, const char *fmt, ...)
{
	char text[VOUCHD_CONF_MAX_LINE + 1100];
	va_list ap;
	int n;

	ps->nerrors++;
	n = ps->line > 0
	        ? snprintf(text, sizeof(text), "%s:%u: ", ps->name, ps->line)
	        : snprintf(text, sizeof(text), "%s: ", ps->name);
	if (n < 0 || (size_t)n >= sizeof(text))
		n = 0;
	va_start(ap, fmt);
	vsnprintf(text + n, sizeof(text) - (size_t)n, fmt, ap);
	va_end(ap);
	if (ps->err != NULL && ps->errlen > 0 && ps->err[0] == '\0')
		snprintf(ps->err, ps->errlen, "%s", text);
	if (ps->each != NULL)
		ps->each(ps->each_arg, ps->name, ps->line, text);
	return -1;
}

static char *
dup_n(const char *p, size_t n)
{
	char *s = malloc(n + 1);

	if (s == NULL)
		return NULL;
	memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

static int
is_blank(int c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* ---- Values ------------------------------------------------------------ */

static int
parse_bool(const char *v, bool *out)
{
	static const char *const yes[] = {"yes", "true", "on", "1"};
	static const char *const no[] = {"no", "false", "off", "0"};
	size_t i;

	for (i = 0; i < 4; i++) {
		if (strcasecmp(v, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(v, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

static int
parse_uint(const char *v, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long n;

	if (*v < '0' || *v > '9')
		return -1;
	errno = 0;
	n = strtoul(v, &end, 10);
	if (errno != 0 || *end != '\0' || n > max)
		return -1;
	*out = n;
	return 0;
}

static int
list_add(struct vouchd_list *l, const char *p, size_t n)
{
	char **item;

	if (l->n >= VOUCHD_CONF_MAX_ITEMS)
		return -1;
	item = realloc(l->item, (l->n + 1) * sizeof(*item));
	if (item == NULL)
		return -1;
	l->item = item;
	if ((l->item[l->n] = dup_n(p, n)) == NULL)
		return -1;
	l->n++;
	return 0;
}

static void
list_free(struct vouchd_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->item[i]);
	free(l->item);
	l->item = NULL;
	l->n = 0;
}

/* Split v at commas and blanks, calling fn on each word. */
static int
split_words(struct parser *ps, const char *v,
    int (*fn)(struct parser *, void *, const char *, size_t), void *arg)
{
	const char *p = v, *w;

	while (*p != '\0') {
		while (*p == ',' || is_blank((unsigned char)*p))
			p++;
		if (*p == '\0')
			break;
		w = p;
		while (*p != '\0' && *p != ',' && !is_blank((unsigned char)*p))
			p++;
		if (fn(ps, arg, w, (size_t)(p - w)) != 0)
			return -1;
	}
	return 0;
}

static int
word_to_list(struct parser *ps, void *arg, const char *w, size_t n)
{
	if (list_add(arg, w, n) != 0)
		return fail(ps, "too many items, or out of memory");
	return 0;
}

/* One address or CIDR network: "192.0.2.0/24", "::1", "[2001:db8::]/32". */
static int
parse_net(const char *w, size_t n, struct vouchd_net *net)
{
	char buf[INET6_ADDRSTRLEN + 8];
	char *slash;
	unsigned long bits;
	size_t maxbits;

	if (n == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, w, n);
	buf[n] = '\0';
	slash = strchr(buf, '/');
	if (slash != NULL)
		*slash++ = '\0';
	if (buf[0] == '[') {
		size_t l = strlen(buf);
		if (l < 2 || buf[l - 1] != ']')
			return -1;
		buf[l - 1] = '\0';
		memmove(buf, buf + 1, l - 1);
	}
	memset(net, 0, sizeof(*net));
	if (inet_pton(AF_INET, buf, net->addr) == 1) {
		net->family = AF_INET;
		maxbits = 32;
	} else if (inet_pton(AF_INET6, buf, net->addr) == 1) {
		net->family = AF_INET6;
		maxbits = 128;
	} else
		return -1;
	net->prefix = (unsigned)maxbits;
	if (slash != NULL) {
		if (parse_uint(slash, maxbits, &bits) != 0)
			return -1;
		net->prefix = (unsigned)bits;
	}
	return 0;
}

static int
nets_add(struct vouchd_nets *nets, const struct vouchd_net *net)
{
	struct vouchd_net *a;

	if (nets->n >= VOUCHD_CONF_MAX_ITEMS)
		return -1;
	a = realloc(nets->net, (nets->n + 1) * sizeof(*a));
	if (a == NULL)
		return -1;
	nets->net = a;
	nets->net[nets->n++] = *net;
	return 0;
}

static int
word_to_net(struct parser *ps, void *arg, const char *w, size_t n)
{
	struct vouchd_net net;

	if (n > 0 && w[0] == '!')
		return fail(ps,
		    "'%.*s': negated entries are not supported; "
		    "list the networks to include",
		    (int)n, w);
	if (parse_net(w, n, &net) != 0)
		return fail(ps,
		    "'%.*s' is not an IP address or network (host names "
		    "are not supported: write addresses)",
		    (int)(n > 80 ? 80 : n), w);
	if (nets_add(arg, &net) != 0)
		return fail(ps, "too many networks");
	return 0;
}

/* Networks from a file: one per line (or several, comma-separated). */
static int
nets_from_file(struct parser *ps, const char *path, struct vouchd_nets *nets)
{
	FILE *fp = fopen(path, "r");
	char line[VOUCHD_CONF_MAX_LINE];
	struct parser sub = *ps;
	char *hash;
	int rc = 0;

	if (fp == NULL)
		return fail(ps, "cannot read %s: %s", path, strerror(errno));
	sub.name = path;
	sub.line = 0;
	while (rc == 0 && fgets(line, sizeof(line), fp) != NULL) {
		sub.line++;
		if ((hash = strchr(line, '#')) != NULL)
			*hash = '\0';
		line[strcspn(line, "\n")] = '\0';
		rc = split_words(&sub, line, word_to_net, nets);
	}
	fclose(fp);
	return rc;
}

static int
parse_nets(struct parser *ps, const char *v, struct vouchd_nets *nets)
{
	size_t i;

	nets->n = 0;
	for (i = 0; i < sizeof(unsupported_sets) / sizeof(*unsupported_sets);
	     i++)
		if (strncasecmp(v, unsupported_sets[i],
		        strlen(unsupported_sets[i])) == 0)
			return fail(ps, "data set type '%s' is not supported",
			    unsupported_sets[i]);
	if (strncmp(v, "file:", 5) == 0)
		return nets_from_file(ps, v + 5, nets);
	if (v[0] == '/')
		return nets_from_file(ps, v, nets);
	if (strncmp(v, "refile:", 7) == 0 || strncmp(v, "csl:", 4) == 0) {
		if (v[0] == 'r')
			return fail(ps, "refile: holds patterns, not networks");
		v += 4;
	}
	return split_words(ps, v, word_to_net, nets);
}

static int
parse_mode(struct parser *ps, const char *v)
{
	const char *p;

	ps->c->sign = ps->c->verify = false;
	for (p = v; *p != '\0'; p++) {
		if (*p == 's')
			ps->c->sign = true;
		else if (*p == 'v')
			ps->c->verify = true;
		else
			return fail(ps, "Mode '%s': want s, v or sv", v);
	}
	if (!ps->c->sign && !ps->c->verify)
		return fail(ps, "Mode is empty: want s, v or sv");
	return 0;
}

static int
canon_word(const char *w, size_t n, bool *relaxed)
{
	if (n == 6 && strncasecmp(w, "simple", 6) == 0)
		*relaxed = false;
	else if (n == 7 && strncasecmp(w, "relaxed", 7) == 0)
		*relaxed = true;
	else
		return -1;
	return 0;
}

/* RFC 6376 §3.5 c=: header/body; a lone word is the header's, body
 * simple (as in c=). */
static int
parse_canon(struct parser *ps, const char *v)
{
	const char *slash = strchr(v, '/');
	size_t hn = slash != NULL ? (size_t)(slash - v) : strlen(v);

	if (canon_word(v, hn, &ps->c->header_relaxed) != 0)
		return fail(ps,
		    "Canonicalization '%s': want simple or relaxed, "
		    "optionally /simple or /relaxed",
		    v);
	if (slash == NULL) {
		ps->c->body_relaxed = false;
		return 0;
	}
	if (canon_word(slash + 1, strlen(slash + 1), &ps->c->body_relaxed) != 0)
		return fail(ps, "Canonicalization '%s': bad body part", v);
	return 0;
}

static int
word_to_macro(struct parser *ps, void *arg, const char *w, size_t n)
{
	struct vouchd_conf *c = arg;
	struct vouchd_macro *m;
	const char *eq = memchr(w, '=', n), *p, *end = w + n, *vs;
	size_t nn = eq != NULL ? (size_t)(eq - w) : n;

	if (nn >= 2 && w[0] == '{' && w[nn - 1] == '}') {
		w++;
		nn -= 2;
	}
	if (nn == 0)
		return fail(ps, "MacroList: empty macro name");
	if (c->nmacros >= 64)
		return fail(ps, "MacroList: more than 64 macros");
	m = realloc(c->macros, (c->nmacros + 1) * sizeof(*m));
	if (m == NULL)
		return fail(ps, "out of memory");
	c->macros = m;
	m = &c->macros[c->nmacros];
	memset(m, 0, sizeof(*m));
	if ((m->name = dup_n(w, nn)) == NULL)
		return fail(ps, "out of memory");
	c->nmacros++;
	if (eq == NULL)
		return 0;
	for (p = eq + 1; p <= end; p++) {
		vs = p;
		while (p < end && *p != '|')
			p++;
		if (p == vs)
			return fail(
			    ps, "MacroList: empty value for '%s'", m->name);
		if (list_add(&m->values, vs, (size_t)(p - vs)) != 0)
			return fail(ps, "out of memory");
	}
	return 0;
}

static int
parse_facility(const char *v, int *out)
{
	static const struct enum_name fac[] = {{"mail", LOG_MAIL},
	    {"daemon", LOG_DAEMON}, {"user", LOG_USER}, {"local0", LOG_LOCAL0},
	    {"local1", LOG_LOCAL1}, {"local2", LOG_LOCAL2},
	    {"local3", LOG_LOCAL3}, {"local4", LOG_LOCAL4},
	    {"local5", LOG_LOCAL5}, {"local6", LOG_LOCAL6},
	    {"local7", LOG_LOCAL7}, {NULL, 0}};
	size_t i;

	for (i = 0; fac[i].name != NULL; i++)
		if (strcasecmp(v, fac[i].name) == 0) {
			*out = fac[i].value;
			return 0;
		}
	return -1;
}

static int
word_to_kind(struct parser *ps, void *arg, const char *w, size_t n)
{
	unsigned *kinds = arg;

	if (n == 5 && strncasecmp(w, "dmarc", 5) == 0)
		*kinds |= VOUCHD_FAILURE_DMARC;
	else if (n == 4 && strncasecmp(w, "dkim", 4) == 0)
		*kinds |= VOUCHD_FAILURE_DKIM;
	else if (n == 3 && strncasecmp(w, "spf", 3) == 0)
		*kinds |= VOUCHD_FAILURE_SPF;
	else
		return fail(ps,
		    "FailureReportKinds '%.*s': want dmarc, dkim or spf",
		    (int)(n > 40 ? 40 : n), w);
	return 0;
}

/* FailureReportKinds: which kinds of failure report may be sent (a
 * record's fo= chooses among them, RFC 9989 §4.7). */
static int
parse_kinds(struct parser *ps, const char *v)
{
	ps->c->failure_kinds = 0;
	if (split_words(ps, v, word_to_kind, &ps->c->failure_kinds) != 0)
		return -1;
	if (ps->c->failure_kinds == 0)
		return fail(ps, "FailureReportKinds is empty");
	return 0;
}

/*
 * FailureReportRate N/PERIOD: at most N reports per destination in
 * PERIOD, a number of seconds or one of s, m, h, d (RFC 9991 §2 requires
 * a limit: N is at least 1).
 */
static int
parse_rate(struct parser *ps, const char *v)
{
	static const struct {
		const char *unit;
		unsigned seconds;
	} units[] = {{"s", 1}, {"m", 60}, {"h", 3600}, {"d", 86400}};
	const char *slash = strchr(v, '/');
	char num[16];
	unsigned long n, period = 0;
	size_t i, k;

	k = slash != NULL ? (size_t)(slash - v) : 0;
	if (slash == NULL || k == 0 || k >= sizeof(num))
		goto bad;
	memcpy(num, v, k);
	num[k] = '\0';
	if (parse_uint(num, 1000000, &n) != 0 || n == 0)
		goto bad;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strcasecmp(slash + 1, units[i].unit) == 0)
			period = units[i].seconds;
	if (period == 0 &&
	    (parse_uint(slash + 1, 400ul * 86400, &period) != 0 || period == 0))
		goto bad;
	ps->c->failure_rate = (unsigned)n;
	ps->c->failure_period = (unsigned)period;
	return 0;
bad:
	return fail(ps,
	    "FailureReportRate '%s': want N/PERIOD, N at least 1 and PERIOD "
	    "seconds or s, m, h, d (e.g. 10/h)",
	    v);
}

static int
set_str(struct parser *ps, char **slot, const char *v)
{
	size_t i;

	for (i = 0; i < sizeof(unsupported_sets) / sizeof(*unsupported_sets);
	     i++)
		if (strncasecmp(v, unsupported_sets[i],
		        strlen(unsupported_sets[i])) == 0)
			return fail(ps,
			    "data set type '%s' is not supported (vouchd "
			    "reads plain files, refile: and csl:)",
			    unsupported_sets[i]);
	free(*slot);
	if ((*slot = strdup(v)) == NULL)
		return fail(ps, "out of memory");
	return 0;
}

static int
set_value(struct parser *ps, const struct option *o, const char *v)
{
	char *base = (char *)ps->c;
	unsigned long n;
	bool b;
	size_t i;

	switch (o->kind) {
	case K_STR:
		return set_str(ps, (char **)(base + o->off), v);
	case K_BOOL:
		if (parse_bool(v, (bool *)(base + o->off)) != 0)
			return fail(ps, "%s '%s': want yes or no", o->name, v);
		return 0;
	case K_UINT:
		if (parse_uint(v, 86400u * 365u, &n) != 0)
			return fail(ps, "%s '%s': want a number", o->name, v);
		*(unsigned *)(base + o->off) = (unsigned)n;
		return 0;
	case K_LIST:
		list_free((struct vouchd_list *)(base + o->off));
		if (strncmp(v, "csl:", 4) == 0)
			v += 4;
		else if (strchr(v, ':') != NULL && o->off == OFF(domains))
			return fail(ps,
			    "Domain: only a list of domains is supported "
			    "(no data set)");
		return split_words(ps, v, word_to_list, base + o->off);
	case K_NETS:
		return parse_nets(ps, v, (struct vouchd_nets *)(base + o->off));
	case K_MODE:
		return parse_mode(ps, v);
	case K_CANON:
		return parse_canon(ps, v);
	case K_UMASK:
		if (v[0] < '0' || v[0] > '7' ||
		    strspn(v, "01234567") != strlen(v) || strlen(v) > 4)
			return fail(ps, "UMask '%s': want an octal number", v);
		ps->c->umask = (mode_t)strtoul(v, NULL, 8);
		ps->c->umask_set = true;
		return 0;
	case K_MACROS:
		return split_words(ps, v, word_to_macro, ps->c);
	case K_ENUM:
		for (i = 0; o->enums[i].name != NULL; i++)
			if (strcasecmp(v, o->enums[i].name) == 0) {
				if (o->off == OFF(rfc7489))
					ps->c->rfc7489 = o->enums[i].value;
				else
					*(int *)(base + o->off) =
					    o->enums[i].value;
				return 0;
			}
		return fail(
		    ps, "%s '%s': not one of the values allowed", o->name, v);
	case K_FACILITY:
		if (parse_facility(v, &ps->c->syslog_facility) != 0)
			return fail(ps, "SyslogFacility '%s': unknown", v);
		return 0;
	case K_NAMESERVERS: {
		size_t n1 = strcspn(v, ", \t");
		char addr[INET6_ADDRSTRLEN + 8];
		struct vouchd_net net;
		unsigned port;
		char *at;

		if (n1 == 0 || n1 >= sizeof(addr))
			return fail(ps, "Nameservers '%s': bad address", v);
		memcpy(addr, v, n1);
		addr[n1] = '\0';
		at = strchr(addr, '@');
		if (parse_net(addr, at != NULL ? (size_t)(at - addr) : n1,
		        &net) != 0 ||
		    (at != NULL &&
		        vouchd_port_parse(at + 1, strlen(at + 1), &port) != 0))
			return fail(
			    ps, "Nameservers '%s': want ADDR or ADDR@PORT", v);
		free(ps->c->nameserver);
		if ((ps->c->nameserver = strdup(addr)) == NULL)
			return fail(ps, "out of memory");
		return 0;
	}
	case K_KINDS:
		return parse_kinds(ps, v);
	case K_RATE:
		return parse_rate(ps, v);
	case K_HOLD:
		if (parse_bool(v, &b) != 0)
			return fail(ps, "%s '%s': want yes or no", o->name, v);
		ps->c->quarantine =
		    b ? VOUCHD_QUARANTINE_HOLD : VOUCHD_QUARANTINE_HEADER;
		return 0;
	}
	return fail(ps, "internal: unknown option kind");
}

/* ---- Lines ------------------------------------------------------------- */

static int
parse_line(struct parser *ps, char *line)
{
	char *name, *v, *end;
	size_t i, nlen;

	if ((end = strchr(line, '#')) != NULL)
		*end = '\0';
	end = line + strlen(line);
	while (end > line && is_blank((unsigned char)end[-1]))
		*--end = '\0';
	name = line;
	while (is_blank((unsigned char)*name))
		name++;
	if (*name == '\0')
		return 0;
	v = name;
	while (*v != '\0' && !is_blank((unsigned char)*v))
		v++;
	nlen = (size_t)(v - name);
	while (is_blank((unsigned char)*v))
		*v++ = '\0';
	for (i = 0; i < NOPTIONS; i++)
		if (strlen(options[i].name) == nlen &&
		    strncasecmp(options[i].name, name, nlen) == 0)
			break;
	if (i == NOPTIONS)
		return fail(ps, "unknown option '%.*s'",
		    (int)(nlen > 64 ? 64 : nlen), name);
	if (ps->c->line[i] != 0)
		return fail(ps, "%s given twice", options[i].name);
	ps->c->line[i] = ps->line;
	if (*v == '\0') {
		ps->refused[i] = true;
		return fail(ps, "%s has no value", options[i].name);
	}
	if (set_value(ps, &options[i], v) != 0) {
		ps->refused[i] = true;
		return -1;
	}
	return 0;
}

static int
set_defaults(struct vouchd_conf *c)
{
	static const struct vouchd_net lo4 = {AF_INET, {127, 0, 0, 1}, 32};
	struct vouchd_net lo6 = {AF_INET6, {0}, 128};

	lo6.addr[15] = 1;
	c->sign = c->verify = true;
	c->syslog = true;
	c->syslog_facility = LOG_MAIL;
	c->dns_timeout = 5;
	c->ignore_authenticated = true;
	c->header_relaxed = c->body_relaxed = true;
	c->sa_unauthenticated = VOUCHD_ACT_SIGN;
	c->sa_no_match = VOUCHD_ACT_REJECT;
	c->sa_malformed = VOUCHD_ACT_REJECT;
	c->sa_error = VOUCHD_ACT_TEMPFAIL;
	c->dns_temperror = VOUCHD_ACT_ACCEPT;
	c->quarantine = VOUCHD_QUARANTINE_HOLD;
	c->unsafe_from = VOUCHD_UNSAFE_QUARANTINE;
	c->record_batch_rows = 256;
	c->record_batch_ms = 1000;
	c->failure_kinds =
	    VOUCHD_FAILURE_DMARC | VOUCHD_FAILURE_DKIM | VOUCHD_FAILURE_SPF;
	c->failure_redact = VOUCHD_REDACT_HASH;
	c->failure_rate = 10;
	c->failure_period = 3600;
	if ((c->socket = strdup("unix:/run/vouchd/vouchd.sock")) == NULL)
		return -1;
	if (nets_add(&c->internal_hosts, &lo4) != 0 ||
	    nets_add(&c->internal_hosts, &lo6) != 0)
		return -1;
	return 0;
}

static size_t
option_index(const char *name)
{
	size_t i;

	for (i = 0; i < NOPTIONS; i++)
		if (strcasecmp(options[i].name, name) == 0)
			break;
	return i;
}

unsigned
vouchd_conf_line(const struct vouchd_conf *c, const char *name)
{
	size_t i = option_index(name);

	return c != NULL && i < NOPTIONS ? c->line[i] : 0;
}

void
vouchd_conf_where(
    const struct vouchd_conf *c, const char *name, char *buf, size_t len)
{
	unsigned line = vouchd_conf_line(c, name);

	if (line > 0)
		snprintf(buf, len, "%s:%u: ", c->path, line);
	else
		snprintf(buf, len, "%s: ", c->path);
}

/*
 * Points the next error at the last given of the options named (a NULL
 * ends the list): for a check across options, the line that completes or
 * contradicts the others; none given, the file alone.  Returns 0 when one
 * of them was refused on its own line (the check would judge a value the
 * file does not mean: skip it), else 1.
 */
static int
at(struct parser *ps, ...)
{
	const char *name;
	unsigned line;
	va_list ap;
	size_t i;
	int read = 1;

	ps->line = 0;
	va_start(ap, ps);
	while ((name = va_arg(ap, const char *)) != NULL) {
		if ((line = vouchd_conf_line(ps->c, name)) > ps->line)
			ps->line = line;
		if ((i = option_index(name)) < NOPTIONS && ps->refused[i])
			read = 0;
	}
	va_end(ap);
	return read;
}

/* A value that must be an absolute path. */
static int
check_abs(struct parser *ps, const char *name, const char *v)
{
	if (at(ps, name, NULL) && v != NULL && v[0] != '/')
		return fail(ps, "%s '%s': want an absolute path", name, v);
	return 0;
}

/*
 * 0 when the authority of url (smtp://[USER[:PASS]@]HOST[:PORT][/...],
 * HOST an IPv6 address in brackets or not) has no port or one
 * vouchd_port_parse takes; libcurl would refuse another only when a
 * report is sent.
 */
static int
smtp_url_port(const char *url)
{
	const char *host = strstr(url, "://") + 3, *end, *p, *colon = NULL;
	unsigned port;

	end = host + strcspn(host, "/?#");
	for (p = host; p < end; p++)
		if (*p == '@')
			host = p + 1;
	p = host;
	if (*p == '[' && (p = memchr(host, ']', (size_t)(end - host))) == NULL)
		return -1;
	for (; p < end; p++)
		if (*p == ':')
			colon = p;
	if (colon == NULL)
		return 0;
	return vouchd_port_parse(colon + 1, (size_t)(end - colon - 1), &port);
}

/* The reporting options, across each other (the store URL and the
 * addresses are checked by the library when the daemon starts, and by
 * vouchd -t).  Every error is said (fail); -1 when there was one. */
static int
check_reports(struct parser *ps)
{
	struct vouchd_conf *c = ps->c;
	int rc = 0;

	if (at(ps, "RecordBatchRows", NULL) &&
	    (c->record_batch_rows == 0 || c->record_batch_rows > 65536))
		rc = fail(ps, "RecordBatchRows: want 1 to 65536");
	if (at(ps, "RecordBatchTime", NULL) &&
	    (c->record_batch_ms == 0 || c->record_batch_ms > 3600000))
		rc = fail(ps, "RecordBatchTime: want 1 to 3600000 "
		              "milliseconds");
	if (at(ps, "FailureReports", "FailureReportFrom", NULL) &&
	    c->failure_reports && c->failure_from == NULL)
		rc = fail(ps, "FailureReports yes needs FailureReportFrom, "
		              "the address the reports come from");
	if (at(ps, "FailureReportFrom", NULL) && c->failure_from != NULL &&
	    (strchr(c->failure_from, '@') == NULL ||
	        strpbrk(c->failure_from, " \t<>") != NULL))
		rc = fail(ps,
		    "FailureReportFrom '%s': want an address, local@domain",
		    c->failure_from);
	if (at(ps, "FailureReportRedactToken", "FailureReportRedact", NULL) &&
	    c->failure_token != NULL &&
	    c->failure_redact != VOUCHD_REDACT_TOKEN)
		rc = fail(ps, "FailureReportRedactToken needs "
		              "FailureReportRedact token");
	if (at(ps, "FailureReportRedactKey", "FailureReportRedact", NULL) &&
	    c->failure_key_file != NULL &&
	    c->failure_redact != VOUCHD_REDACT_HASH)
		rc = fail(ps, "FailureReportRedactKey needs "
		              "FailureReportRedact hash");
	if (at(ps, "FailureReportSMTP", "FailureReportSendmail", NULL) &&
	    c->failure_smtp != NULL && c->failure_sendmail != NULL)
		rc = fail(ps, "FailureReportSMTP and FailureReportSendmail "
		              "exclude each other");
	if (at(ps, "FailureReportSMTP", NULL) && c->failure_smtp != NULL &&
	    ((strncasecmp(c->failure_smtp, "smtp://", 7) != 0 &&
	         strncasecmp(c->failure_smtp, "smtps://", 8) != 0) ||
	        smtp_url_port(c->failure_smtp) != 0))
		rc = fail(ps,
		    "FailureReportSMTP '%s': want smtp://HOST[:PORT] or "
		    "smtps://HOST[:PORT], PORT 1 to 65535",
		    c->failure_smtp);
	if (check_abs(ps, "FailureReportSendmail", c->failure_sendmail) != 0)
		rc = -1;
	if (check_abs(ps, "FailureReportQueue", c->failure_queue) != 0)
		rc = -1;
	if (check_abs(ps, "FailureReportRedactKey", c->failure_key_file) != 0)
		rc = -1;
	return rc;
}

/* Into buf (NUL-terminated, cut to len): names[0..n), joined as "A, B
 * and C", but for each names[i] whose leave_out[i] (leave_out NULL: none
 * left out). */
static void
join_names(char *buf, size_t len, const char *const *names, size_t n,
    const bool *leave_out)
{
	size_t i, k = 0, njoined = 0, used = 0;

	for (i = 0; i < n; i++)
		njoined += leave_out == NULL || !leave_out[i];
	buf[0] = '\0';
	for (i = 0; i < n && used < len; i++) {
		if (leave_out != NULL && leave_out[i])
			continue;
		k++;
		snprintf(buf + used, len - used, "%s%s",
		    k == 1         ? ""
		    : k == njoined ? " and "
		                   : ", ",
		    names[i]);
		used += strlen(buf + used);
	}
}

/*
 * Options that go together (n of them, names[i] given when given[i]):
 * when some are given and not all, an error at the last given that names
 * the missing ones ("KeyFile, Selector and Domain go together: Selector
 * is missing").  0 when all or none are given, else -1.
 */
static int
together(
    struct parser *ps, const char *const *names, const bool *given, size_t n)
{
	char all[256], missing[256];
	size_t i, ngiven = 0;

	for (i = 0; i < n; i++)
		ngiven += given[i];
	if (ngiven == 0 || ngiven == n)
		return 0;
	join_names(all, sizeof(all), names, n, NULL);
	join_names(missing, sizeof(missing), names, n, given);
	return fail(ps, "%s go together: %s %s missing", all, missing,
	    n - ngiven == 1 ? "is" : "are");
}

/* Checks across options, once the whole file is read.  Every error is
 * said (fail); -1 when there was one. */
static int
check_whole(struct parser *ps)
{
	static const char *const dkim[] = {"KeyFile", "Selector", "Domain"};
	static const char *const arc[] = {
	    "ARCSealDomain", "ARCSealSelector", "ARCSealKeyFile"};
	static const char *const tables[] = {"KeyTable", "SigningTable"};
	struct vouchd_conf *c = ps->c;
	bool single = c->key_file != NULL || c->selector != NULL;
	bool dkim_given[3], arc_given[3], tables_given[2];
	int rc = 0;

	dkim_given[0] = c->key_file != NULL;
	dkim_given[1] = c->selector != NULL;
	dkim_given[2] = c->domains.n > 0;
	if (at(ps, "KeyFile", "Selector", "Domain", NULL) && single &&
	    together(ps, dkim, dkim_given, 3) != 0)
		rc = -1;
	if (at(ps, "KeyFile", "Selector", "KeyTable", NULL) && single &&
	    c->key_table != NULL)
		rc = fail(ps, "KeyFile and KeyTable exclude each other");
	tables_given[0] = c->key_table != NULL;
	tables_given[1] = c->signing_table != NULL;
	if (at(ps, "KeyTable", "SigningTable", NULL) &&
	    together(ps, tables, tables_given, 2) != 0)
		rc = -1;
	arc_given[0] = c->arc_domain != NULL;
	arc_given[1] = c->arc_selector != NULL;
	arc_given[2] = c->arc_key_file != NULL;
	if (at(ps, "ARCSealDomain", "ARCSealSelector", "ARCSealKeyFile",
	        NULL) &&
	    together(ps, arc, arc_given, 3) != 0)
		rc = -1;
	if (at(ps, "SenderAuthAliases", "SenderAuthTable", NULL) &&
	    c->sender_auth_aliases != NULL && c->sender_auth_table == NULL)
		rc = fail(ps, "SenderAuthAliases needs SenderAuthTable");
	if (at(ps, "SenderAuthTable", "Mode", NULL) &&
	    c->sender_auth_table != NULL && !c->sign)
		rc = fail(ps, "SenderAuthTable needs Mode s or sv");
	if (check_reports(ps) != 0)
		rc = -1;
	return rc;
}

/* vouchd_conf_parse, each error also handed to each (NULL: none). */
static int
parse(const char *name, const uint8_t *p, size_t len, struct vouchd_conf **out,
    char *err, size_t errlen,
    void (*each)(void *arg, const char *file, unsigned line, const char *text),
    void *arg)
{
	struct parser ps;
	char line[VOUCHD_CONF_MAX_LINE + 1];
	size_t i, n;

	*out = NULL;
	memset(&ps, 0, sizeof(ps));
	ps.name = name;
	ps.err = err;
	ps.errlen = errlen;
	ps.each = each;
	ps.each_arg = arg;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (len > VOUCHD_CONF_MAX_BYTES)
		return fail(
		    &ps, "file larger than %d bytes", VOUCHD_CONF_MAX_BYTES);
	if ((ps.c = calloc(1, sizeof(*ps.c))) == NULL ||
	    set_defaults(ps.c) != 0) {
		vouchd_conf_free(ps.c);
		return fail(&ps, "out of memory");
	}
	if ((ps.c->path = strdup(name)) == NULL)
		goto bad;
	for (i = 0; i < len;) {
		ps.line++;
		for (n = 0; i + n < len && p[i + n] != '\n'; n++)
			;
		/* a bad line is said and skipped: the lines after it are
		 * read, so that every error of the file is said */
		if (n > VOUCHD_CONF_MAX_LINE)
			fail(&ps, "line longer than %d bytes",
			    VOUCHD_CONF_MAX_LINE);
		else if (memchr(p + i, '\0', n) != NULL)
			fail(&ps, "NUL byte in line");
		else {
			memcpy(line, p + i, n);
			line[n] = '\0';
			(void)parse_line(&ps, line);
		}
		i += n + 1;
	}
	(void)check_whole(&ps);
	if (ps.nerrors > 0)
		goto bad;
	*out = ps.c;
	return 0;
bad:
	if (err != NULL && errlen > 0 && err[0] == '\0')
		fail(&ps, "out of memory");
	vouchd_conf_free(ps.c);
	return -1;
}

int
vouchd_conf_parse(const char *name, const uint8_t *p, size_t len,
    struct vouchd_conf **out, char *err, size_t errlen)
{
	return parse(name, p, len, out, err, errlen, NULL, NULL);
}

int
vouchd_conf_load(
    const char *path, struct vouchd_conf **out, char *err, size_t errlen)
{
	return vouchd_conf_load_each(path, out, err, errlen, NULL, NULL);
}

int
vouchd_conf_load_each(const char *path, struct vouchd_conf **out, char *err,
    size_t errlen,
    void (*each)(void *arg, const char *file, unsigned line, const char *text),
    void *arg)
{
	int fd, rc;
	struct stat st;
	uint8_t *buf;
	ssize_t r;
	size_t got = 0;

	*out = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 ||
	    fstat(fd, &st) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (st.st_size > VOUCHD_CONF_MAX_BYTES) {
		snprintf(err, errlen, "%s: larger than %d bytes", path,
		    VOUCHD_CONF_MAX_BYTES);
		close(fd);
		return -1;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		close(fd);
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	while (got < (size_t)st.st_size &&
	       (r = read(fd, buf + got, (size_t)st.st_size - got)) > 0)
		got += (size_t)r;
	close(fd);
	rc = parse(path, buf, got, out, err, errlen, each, arg);
	free(buf);
	return rc;
}

static void
nets_free(struct vouchd_nets *n)
{
	free(n->net);
	n->net = NULL;
	n->n = 0;
}

void
vouchd_conf_free(struct vouchd_conf *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < NOPTIONS; i++) {
		if (options[i].kind == K_STR ||
		    options[i].kind == K_NAMESERVERS)
			free(*(char **)((char *)c + options[i].off));
		else if (options[i].kind == K_LIST)
			list_free(
			    (struct vouchd_list *)((char *)c + options[i].off));
		else if (options[i].kind == K_NETS)
			nets_free(
			    (struct vouchd_nets *)((char *)c + options[i].off));
	}
	for (i = 0; i < c->nmacros; i++) {
		free(c->macros[i].name);
		list_free(&c->macros[i].values);
	}
	free(c->macros);
	free(c->path);
	free(c);
}

int
vouchd_nets_match(
    const struct vouchd_nets *nets, int family, const uint8_t *addr)
{
	static const uint8_t mapped[12] = {
	    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	size_t i, full, len;
	unsigned rest;

	if (family == AF_INET6 && memcmp(addr, mapped, 12) == 0) {
		family = AF_INET;
		addr += 12;
	}
	len = family == AF_INET ? 4 : 16;
	for (i = 0; i < nets->n; i++) {
		const struct vouchd_net *n = &nets->net[i];
		if (n->family != family)
			continue;
		full = n->prefix / 8;
		rest = n->prefix % 8;
		if (full > len)
			continue;
		if (memcmp(n->addr, addr, full) != 0)
			continue;
		if (rest != 0 &&
		    ((n->addr[full] ^ addr[full]) & (0xff00u >> rest) & 0xff))
			continue;
		return 1;
	}
	return 0;
}

int
vouchd_list_has(const struct vouchd_list *l, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strlen(l->item[i]) == len &&
		    strncasecmp(l->item[i], s, len) == 0)
			return 1;
	return 0;
}

int
vouchd_port_parse(const char *p, size_t len, unsigned *port)
{
	unsigned v = 0;
	size_t i;

	/* five digits bound the value before any overflow */
	if (len == 0 || len > 5)
		return -1;
	for (i = 0; i < len; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (unsigned)(p[i] - '0');
	}
	if (v == 0 || v > 65535)
		return -1;
	*port = v;
	return 0;
}

int
vouchd_socket_check(const char *spec, char *why, size_t whylen)
{
	const char *p, *at;
	unsigned port;
	size_t n;

	if (strncmp(spec, "unix:", 5) == 0 || strncmp(spec, "local:", 6) == 0) {
		if (strchr(spec, ':')[1] != '\0')
			return 0;
		snprintf(why, whylen, "want a path after ':'");
		return -1;
	}
	if (strncmp(spec, "inet:", 5) != 0 && strncmp(spec, "inet6:", 6) != 0) {
		snprintf(why, whylen,
		    "want unix:PATH, local:PATH, inet:PORT@ADDR or "
		    "inet6:PORT@ADDR");
		return -1;
	}
	p = strchr(spec, ':') + 1;
	at = strchr(p, '@');
	n = at != NULL ? (size_t)(at - p) : strlen(p);
	if (vouchd_port_parse(p, n, &port) != 0) {
		snprintf(why, whylen,
		    "port '%.*s': want a number from 1 to 65535",
		    (int)(n > 32 ? 32 : n), p);
		return -1;
	}
	if (at != NULL && at[1] == '\0') {
		snprintf(why, whylen, "want an address after '@'");
		return -1;
	}
	return 0;
}

void
vouchd_conf_print_options(void)
{
	static const char *const kinds[] = {"string", "bool", "number", "list",
	    "networks", "mode", "canonicalization", "octal", "macros", "word",
	    "facility", "addresses", "bool", "list", "rate"};
	size_t i, j;

	for (i = 0; i < NOPTIONS; i++) {
		printf("%s\t%s\t%s", options[i].name, kinds[options[i].kind],
		    options[i].dflt);
		if (options[i].enums != NULL) {
			printf("\t");
			for (j = 0; options[i].enums[j].name != NULL; j++)
				printf("%s%s", j ? "|" : "",
				    options[i].enums[j].name);
		}
		printf("\n");
	}
}
