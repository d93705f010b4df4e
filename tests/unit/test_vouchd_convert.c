/*
 * Unit tests of the configuration converter (src/milter/tables/convert.c):
 * the files Debian's opendkim and opendmarc packages install, a
 * docker-mailserver configuration, and configurations written to cover
 * every option issue 11 lists.  Each conversion must give a vouchd.conf
 * that vouchd's own parser (src/milter/conf.c) accepts, carry the options
 * named in its row with the values given, and list the ones it cannot
 * carry with their reason.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "milter/tables/convert.h"
#include "tap.h"
#include "tmpdir.h"

#ifndef CONVERT_DATA
#error CONVERT_DATA must name tests/unit/data/vouchd_convert
#endif

#define MAXW 12

struct row {
	const char *name;
	const char *dkim, *dmarc, *arc; /* "@/x" is CONVERT_DATA/x */
	int want; /* vouchd_convert's return */
	const char *options[MAXW]; /* "Name value" carried over */
	const char *absent[MAXW]; /* option names that must not appear */
	const char *notes[MAXW]; /* substrings of the notes */
};

static const struct row rows[] = {
    {"Debian's /etc/opendkim.conf", "/etc/opendkim.conf", NULL, NULL, 1,
        {"Socket local:/run/opendkim/opendkim.sock", "UserID opendkim",
            "UMask 007", "Syslog yes", "Canonicalization relaxed/simple",
            "OversignHeaders From", "PidFile /run/opendkim/opendkim.pid",
            "Mode sv"},
        {"KeyFile", "Domain", "HoldQuarantinedMessages"},
        {"SyslogSuccess yes: not carried over: vouchd logs one line",
            "TrustAnchorFile /usr/share/dns/root.key: not carried over"}},
    {"Debian's opendkim.conf and opendmarc.conf together", "/etc/opendkim.conf",
        "/etc/opendmarc.conf", NULL, 1,
        {"Socket local:/run/opendkim/opendkim.sock", "UserID opendkim",
            "HoldQuarantinedMessages no",
            "PublicSuffixList /usr/share/publicsuffix/public_suffix_list.dat",
            "Mode sv"},
        {"IgnoreHosts"},
        {"/etc/opendmarc.conf:",
            "Socket local:/run/opendmarc/opendmarc.sock: "
            "not carried over: vouchd is one milter",
            "UserID opendmarc: not carried over: vouchd is one milter"}},
    {"Debian's /etc/opendmarc.conf alone verifies", NULL, "/etc/opendmarc.conf",
        NULL, 0,
        {"Socket local:/run/opendmarc/opendmarc.sock", "UserID opendmarc",
            "UMask 0002", "Syslog yes", "Mode v", "HoldQuarantinedMessages no"},
        {"Canonicalization", "KeyTable"}, {NULL}},
    {"OpenDKIM's opendkim.conf.simple: one key for localhost",
        "/usr/share/doc/opendkim/examples/opendkim.conf.simple", NULL, NULL, 1,
        {"Domain localhost", "Selector default",
            "KeyFile /var/db/dkim/localhost.private",
            "Socket inet:8891@localhost", "Canonicalization relaxed/simple"},
        {NULL},
        {"SendReports yes: not carried over: vouchd sends no DKIM failure "
         "reports",
            "ReportAddress"}},
    {"OpenDKIM's opendkim.conf.sample: a placeholder port is not carried",
        "/usr/share/doc/opendkim/examples/opendkim.conf.sample", NULL, NULL, 1,
        {"Domain example.com", "Selector my-selector-name",
            "Canonicalization simple/simple"},
        {"Socket"},
        {"Socket inet:port@localhost: not carried over: port 'port': want "
         "a number from 1 to 65535"}},
    {"docker-mailserver: refile: tables, TrustedHosts as InternalHosts",
        "@/docker-mailserver.conf", NULL, NULL, 1,
        {"KeyTable refile:@/docker-mailserver/KeyTable",
            "SigningTable refile:@/docker-mailserver/SigningTable",
            "InternalHosts 127.0.0.1, ::1, 192.168.0.0/16", "UMask 002",
            "UserID opendkim:opendkim", "LogWhy yes",
            "Socket inet:8891@localhost"},
        {"Domain", "KeyFile"},
        {"the entry *.example.com: vouchd matches clients by IP address",
            "ExternalIgnoreList refile:", "OmitHeaders Message-ID",
            "AutoRestart Yes: not carried over",
            "RemoveOldSignatures Yes: not carried over"}},
    {"every option of the issue, three milters at once", "@/opendkim-full.conf",
        "@/opendmarc-full.conf", "@/openarc.conf", 1,
        {"Socket local:/var/spool/postfix/opendkim/opendkim.sock",
            "UserID opendkim:mail", "UMask 0007", "Syslog yes", "LogWhy no",
            "Domain example.com, example.net", "SubDomains yes",
            "InternalHosts 127.0.0.1, ::1, 10.0.0.0/8, 2001:db8::/32",
            "MacroList daemon_name=ORIGINATING|submission, auth_type",
            "Canonicalization relaxed", "OversignHeaders From, To, Subject",
            "Nameservers 192.0.2.53,198.51.100.53"},
        {"SignatureAlgorithm", "MinimumKeyBits"},
        {"SignatureAlgorithm rsa-sha1: not carried over: RFC 8301",
            "MinimumKeyBits 2048: not carried over",
            "the entry mail.example.com: vouchd matches clients by IP",
            "the exclusion !10.1.2.3",
            "TrustedAuthservIDs mx.example.com, HOSTNAME",
            "HistoryFile /run/opendmarc/opendmarc.dat: not carried over",
            "FinalReceiver yes: not carried over",
            "TrustAnchorFile /usr/share/dns/root.key",
            "SyslogSuccess yes: not carried over"}},
    {"every option of the issue: the OpenDMARC and OpenARC half",
        "@/opendkim-full.conf", "@/opendmarc-full.conf", "@/openarc.conf", 1,
        {"DNSTimeout 10", "Selector s2024",
            "KeyFile /etc/dkimkeys/s2024.private",
            "PidFile /run/opendkim/opendkim.pid", "AuthservID mx.example.com",
            "IgnoreHosts 203.0.113.0/24", "IgnoreAuthenticatedClients yes",
            "RejectFailures yes", "HoldQuarantinedMessages yes",
            "RequiredHeaders yes", "RejectMultiValueFrom yes",
            "TrustedAuthservIDs mx.example.com, filter.example.com"},
        {"FailureReports", "HistoryFile"},
        {"Socket inet:8893@localhost: not carried over: vouchd is one milter",
            "Socket inet:8894@localhost"}},
    {"every option of the issue: ARC sealing", "@/opendkim-full.conf",
        "@/opendmarc-full.conf", "@/openarc.conf", 1,
        {"ARCSealDomain example.net", "ARCSealSelector arc2024",
            "ARCSealKeyFile /etc/openarc/arc2024.private", "Mode sv"},
        {NULL},
        {"openarc.conf:6: Canonicalization relaxed/relaxed: not carried "
         "over"}},
    {"tables vouchd would refuse are reported now", "@/opendkim-badtables.conf",
        NULL, NULL, 1,
        {"KeyTable @/tables/keytable-inline",
            "SigningTable refile:@/tables/signingtable",
            "MultipleSignatures yes"},
        {"Socket"},
        {"KeyTable and SigningTable: vouchd will not load them as they are",
            "keytable-inline:1: error: key \"inline\": the key must be a "
            "file path"}},
    {"SQL tables (dsn:) are not carried, credentials not shown",
        "@/opendkim-dsn.conf", NULL, NULL, 1, {"Socket inet:12345@localhost"},
        {"KeyTable", "SigningTable"},
        {"KeyTable dsn:mysql://***@3306+db.example/",
            "data set type \"dsn:\" (an SQL database through OpenDBX) is not "
            "supported",
            "SigningTable dsn:mysql://***@3306"}},
    {"a Socket on port 0 is not carried", "@/opendkim-port0.conf", NULL, NULL,
        1, {"Canonicalization relaxed/relaxed"}, {"Socket"},
        {"Socket inet:0@localhost: not carried over: port '0': want a "
         "number from 1 to 65535"}},
};

/* "@/x" -> CONVERT_DATA/x, and each @DATA@ of the file the same. */
static const char *
prepare(const char *spec, const char *tmp, char *out, size_t cap)
{
	char path[1024], *text, *p;
	FILE *in, *fo;
	long len;

	if (spec == NULL)
		return NULL;
	if (strncmp(spec, "@/", 2) != 0)
		return spec;
	(void)snprintf(path, sizeof(path), "%s%s", CONVERT_DATA, spec + 1);
	if ((in = fopen(path, "r")) == NULL) {
		perror(path);
		exit(2);
	}
	fseek(in, 0, SEEK_END);
	len = ftell(in);
	rewind(in);
	text = calloc(1, (size_t)len + 1);
	if (text == NULL || fread(text, 1, (size_t)len, in) != (size_t)len)
		exit(2);
	fclose(in);
	(void)snprintf(out, cap, "%s/%s", tmp, strrchr(spec, '/') + 1);
	if ((fo = fopen(out, "w")) == NULL)
		exit(2);
	for (p = text; *p;) {
		if (strncmp(p, "@DATA@", 6) == 0) {
			fputs(CONVERT_DATA, fo);
			p += 6;
		} else
			fputc(*p++, fo);
	}
	fclose(fo);
	free(text);
	return out;
}

/* Replace "@/" by CONVERT_DATA "/" in a wanted text. */
static void
expand(const char *w, char *out, size_t cap)
{
	size_t n = 0;

	for (; *w && n + 1 < cap; w++) {
		if (w[0] == '@' && w[1] == '/') {
			n += (size_t)snprintf(
			    out + n, cap - n, "%s", CONVERT_DATA);
			continue;
		}
		out[n++] = *w;
	}
	out[n] = '\0';
}

/* The value of option `name` in a vouchd.conf text, or NULL. */
static const char *
option(const char *conf, const char *name, char *val, size_t cap)
{
	const char *p = conf, *e, *v;
	size_t n = strlen(name), k;

	for (; *p; p = *e ? e + 1 : e) {
		e = strchr(p, '\n');
		if (e == NULL)
			e = p + strlen(p);
		if (strncmp(p, name, n) != 0 || (p[n] != ' ' && p[n] != '\t'))
			continue;
		for (v = p + n; *v == ' ' || *v == '\t'; v++)
			;
		for (k = 0;
		     v + k < e && !(v[k] == ' ' && v[k + 1] == ' ' &&
		                      v[k + 2] == ' ' && v[k + 3] == '#');
		     k++)
			;
		if (k >= cap)
			k = cap - 1;
		memcpy(val, v, k);
		val[k] = '\0';
		return val;
	}
	return NULL;
}

static int
installed(const char *p)
{
	return p == NULL || strncmp(p, "@/", 2) == 0 || access(p, R_OK) == 0;
}

static void
run_row(const struct row *r, const char *tmp)
{
	struct vouchd_convert_in in;
	struct vouchd_conf *vc = NULL;
	char p1[1200], p2[1200], p3[1200], err[1024], want[1200], name[256];
	char val[4096], *out = NULL, *notes = NULL;
	size_t outlen = 0, noteslen = 0, i;
	FILE *fo, *fn;
	int rc, ok;

	if (!installed(r->dkim) || !installed(r->dmarc) || !installed(r->arc)) {
		tap_check(1,
		    "convert: %s # SKIP a file of the Debian package "
		    "is not installed (scripts/deps/milter-tables.list)",
		    r->name);
		return;
	}
	in.opendkim = prepare(r->dkim, tmp, p1, sizeof(p1));
	in.opendmarc = prepare(r->dmarc, tmp, p2, sizeof(p2));
	in.openarc = prepare(r->arc, tmp, p3, sizeof(p3));
	fo = open_memstream(&out, &outlen);
	fn = open_memstream(&notes, &noteslen);
	rc = vouchd_convert(&in, fo, fn, err, sizeof(err));
	fclose(fo);
	fclose(fn);
	tap_check(rc == r->want, "convert: %s: returns %d (%s), want %d",
	    r->name, rc, rc < 0 ? err : "", r->want);
	tap_check(vouchd_conf_parse("converted", (const uint8_t *)out, outlen,
	              &vc, err, sizeof(err)) == 0,
	    "convert: %s: the output is a vouchd.conf vouchd reads: %s",
	    r->name, vc ? "yes" : err);
	vouchd_conf_free(vc);
	for (i = 0; i < MAXW && r->options[i]; i++) {
		const char *sp = strchr(r->options[i], ' ');

		(void)snprintf(name, sizeof(name), "%.*s",
		    (int)(sp - r->options[i]), r->options[i]);
		expand(sp + 1, want, sizeof(want));
		ok = option(out, name, val, sizeof(val)) != NULL &&
		     strcmp(val, want) == 0;
		tap_check(ok, "convert: %s: %s: got \"%s\", want \"%s\"",
		    r->name, name,
		    option(out, name, val, sizeof(val)) ? val : "(absent)",
		    want);
	}
	for (i = 0; i < MAXW && r->absent[i]; i++)
		tap_check(option(out, r->absent[i], val, sizeof(val)) == NULL,
		    "convert: %s: no %s line: got \"%s\"", r->name,
		    r->absent[i],
		    option(out, r->absent[i], val, sizeof(val)) ? val : "");
	for (i = 0; i < MAXW && r->notes[i]; i++) {
		expand(r->notes[i], want, sizeof(want));
		tap_check(
		    strstr(notes, want) != NULL && strstr(out, want) != NULL,
		    "convert: %s: notes say \"%s\" (on stderr and at the end "
		    "of the file)",
		    r->name, want);
	}
	if (r->want == 0)
		tap_check(noteslen == 0,
		    "convert: %s: nothing left over: got \"%s\"", r->name,
		    notes);
	free(out);
	free(notes);
}

static void
test_errors(const char *tmp)
{
	struct vouchd_convert_in in;
	char path[320], err[1024];
	FILE *fp;
	int rc;

	memset(&in, 0, sizeof(in));
	in.opendkim = "/nonexistent/opendkim.conf";
	rc = vouchd_convert(&in, stdout, NULL, err, sizeof(err));
	tap_check(
	    rc == -1 &&
	        strstr(err, "/nonexistent/opendkim.conf: No such") != NULL,
	    "convert: a missing file names its path: got %d \"%s\"", rc, err);

	(void)snprintf(path, sizeof(path), "%s/loop.conf", tmp);
	if ((fp = fopen(path, "w")) == NULL)
		exit(2);
	fprintf(fp, "Syslog yes\nInclude %s\n", path);
	fclose(fp);
	in.opendkim = path;
	rc = vouchd_convert(&in, stdout, NULL, err, sizeof(err));
	tap_check(rc == -1 && strstr(err, "Include nested more than 5 deep"),
	    "convert: an Include loop stops at OpenDKIM's five levels: got %d "
	    "\"%s\"",
	    rc, err);
	unlink(path);

	memset(&in, 0, sizeof(in));
	rc = vouchd_convert(&in, stdout, NULL, err, sizeof(err));
	tap_check(
	    rc == -1, "convert: nothing to convert is an error: got %d", rc);
}

int
main(void)
{
	const char *tmp = tap_tmpdir("convert");
	size_t i;

	if (tmp == NULL) {
		perror("mkdtemp");
		return 2;
	}
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		run_row(&rows[i], tmp);
	test_errors(tmp);
	return tap_done();
}
