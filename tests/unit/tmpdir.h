/*
 * A unit test's scratch directory: made under $TMPDIR (tests/run.py gives
 * each run its own and fails a test that leaves anything there) or /tmp,
 * and removed with everything below it when the test exits, by atexit, so
 * that an early return after a failed check removes it too.  A test killed
 * by a signal leaves it to tests/run.py.
 */
#ifndef VOUCH_TEST_TMPDIR_H
#define VOUCH_TEST_TMPDIR_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>

static char tap_tmpdir_path[256];

static int
tap_tmpdir_rm(
    const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)sb;
	(void)type;
	(void)ftw;
	/* Keep going past one that cannot go: remove all that can. */
	(void)remove(path);
	return 0;
}

static void
tap_tmpdir_remove(void)
{
	if (tap_tmpdir_path[0] != '\0')
		(void)nftw(
		    tap_tmpdir_path, tap_tmpdir_rm, 16, FTW_DEPTH | FTW_PHYS);
	tap_tmpdir_path[0] = '\0';
}

/*
 * Makes $TMPDIR/vouch-NAME-XXXXXX (mode 0700, mkdtemp) and returns its
 * absolute path, valid until exit; NULL (errno set) when it cannot.  One
 * directory per test program.
 */
static const char *
tap_tmpdir(const char *name)
{
	const char *base = getenv("TMPDIR");
	int n;

	if (base == NULL || base[0] != '/')
		base = "/tmp";
	n = snprintf(tap_tmpdir_path, sizeof(tap_tmpdir_path),
	    "%s/vouch-%s-XXXXXX", base, name);
	if (n < 0 || (size_t)n >= sizeof(tap_tmpdir_path) ||
	    mkdtemp(tap_tmpdir_path) == NULL) {
		tap_tmpdir_path[0] = '\0';
		return NULL;
	}
	if (atexit(tap_tmpdir_remove) != 0) {
		tap_tmpdir_remove();
		return NULL;
	}
	return tap_tmpdir_path;
}

#endif
