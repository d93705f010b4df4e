/*
 * The Public Suffix List test vectors (../shared/testsuites/psl/tests.txt
 * and test_psl.txt, unmodified) through vouch_dmarc_org_domain() in RFC
 * 7489 mode (RFC 7489 §3.2) with the list of the same commit.  The
 * expected registrable domain is the Organizational Domain; "null" means
 * none (vouch gives "" or refuses the name).  U-labels compare as A-labels
 * (RFC 9989 §5.3.1), so both sides are converted before comparing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <idn2.h>

#include "tap.h"
#include "vouch/dmarc.h"

static struct vouch_dmarc *d;

/* The expected value in the form vouch gives: A-labels, lower case. */
static void
expected_alabel(const char *want, char *out, size_t cap)
{
	char *a = NULL;

	if (strcmp(want, "null") == 0) {
		out[0] = '\0';
		return;
	}
	if (idn2_to_ascii_8z(want, &a, IDN2_NFC_INPUT) == IDN2_OK) {
		snprintf(out, cap, "%s", a);
		idn2_free(a);
	} else
		snprintf(out, cap, "(unconvertible %s)", want);
}

static void
check(const char *file, int line, const char *in, const char *want)
{
	char got[VOUCH_DNS_MAX_NAME + 1], exp[600];
	enum vouch_status st = VOUCH_OK;

	expected_alabel(want, exp, sizeof(exp));
	got[0] = '\0';
	if (strcmp(in, "null") != 0)
		st = vouch_dmarc_org_domain(
		    d, NULL, in, strlen(in), got, sizeof(got));
	/* a name that is not a domain ("null", ".com") has none */
	if (st == VOUCH_EINVAL)
		got[0] = '\0';
	tap_check(
	    (st == VOUCH_OK || st == VOUCH_EINVAL) && strcmp(got, exp) == 0,
	    "%s:%d org domain of %s: got \"%s\" (%s), want \"%s\"", file, line,
	    in, got, vouch_status_str(st), exp);
}

static void
run_file(const char *dir, const char *name, int js)
{
	char path[1024], buf[1024], in[512], want[512];
	FILE *fp;
	int line = 0, n = 0;

	snprintf(path, sizeof(path), "%s/testsuites/psl/%s", dir, name);
	if ((fp = fopen(path, "r")) == NULL) {
		tap_check(0, "%s: cannot open (is ../shared there?)", path);
		return;
	}
	while (fgets(buf, sizeof(buf), fp) != NULL) {
		line++;
		buf[strcspn(buf, "\r\n")] = '\0';
		if (buf[0] == '\0' || strncmp(buf, "//", 2) == 0)
			continue;
		if (js) {
			/* checkPublicSuffix('in', 'want'); or null */
			char a[512], b[512];

			if (sscanf(buf,
			        "checkPublicSuffix(%511[^,], %511[^)]);", a,
			        b) != 2) {
				tap_check(
				    0, "%s:%d: unreadable line", name, line);
				continue;
			}
			snprintf(in, sizeof(in), "%.*s",
			    (int)strlen(a) - (a[0] == '\'' ? 2 : 0),
			    a + (a[0] == '\''));
			snprintf(want, sizeof(want), "%.*s",
			    (int)strlen(b) - (b[0] == '\'' ? 2 : 0),
			    b + (b[0] == '\''));
		} else if (sscanf(buf, "%511s %511s", in, want) != 2) {
			tap_check(0, "%s:%d: unreadable line", name, line);
			continue;
		}
		check(name, line, in, want);
		n++;
	}
	fclose(fp);
	tap_check(n > 50, "%s: %d vectors read, want over 50", name, n);
}

int
main(void)
{
	const char *shared = getenv("VOUCH_SHARED");
	struct vouch_dmarc_options o;
	char path[1024], err[256] = "";
	enum vouch_status st;

	if (shared == NULL)
		shared = "../shared";
	memset(&o, 0, sizeof(o));
	o.mode = VOUCH_DMARC_MODE_RFC7489;
	snprintf(path, sizeof(path), "%s/testsuites/psl/public_suffix_list.dat",
	    shared);
	o.psl_file = path;
	st = vouch_dmarc_new(&o, &d, err, sizeof(err));
	tap_check(st == VOUCH_OK, "load %s: got %s %s", path,
	    vouch_status_str(st), err);
	if (st != VOUCH_OK)
		return tap_done();
	run_file(shared, "tests.txt", 0);
	run_file(shared, "test_psl.txt", 1);
	vouch_dmarc_free(d);

	/* A missing list is an error, not a silent fallback. */
	o.psl_file = "/nonexistent/public_suffix_list.dat";
	st = vouch_dmarc_new(&o, &d, err, sizeof(err));
	tap_check(st == VOUCH_EIO && d == NULL,
	    "missing PSL file: got %s, want EIO", vouch_status_str(st));
	return tap_done();
}
