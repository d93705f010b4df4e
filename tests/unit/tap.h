/*
 * Minimal TAP output for table-driven unit tests: each check prints
 * "ok - NAME" or "not ok - NAME: got X, want Y"; tests/run.py counts them.
 */
#ifndef VOUCH_TEST_TAP_H
#define VOUCH_TEST_TAP_H

#include <stdarg.h>
#include <stdio.h>

static int tap_nfail, tap_n;

__attribute__((format(printf, 2, 3))) static void
tap_check(int ok, const char *fmt, ...)
{
	va_list ap;

	tap_n++;
	if (!ok)
		tap_nfail++;
	printf("%s - ", ok ? "ok" : "not ok");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static int
tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_nfail ? 1 : 0;
}

#endif
