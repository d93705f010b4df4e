/*
 * libFuzzer target: the saved rate state of failure reports
 * (vouch_failure_state_load, src/lib/report/failure_rate.c) on any bytes.
 * Invariants: a state that loads saves to a text that loads again with no
 * bad line and the same number of destinations.
 */
#include <stdlib.h>
#include <string.h>

#include "vouch/vouch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t
lines(const char *p, size_t n)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		k += p[i] == '\n';
	return k;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vouch_failure *f;
	struct vouch_failure_options o;
	char *t1 = NULL, *t2 = NULL;
	size_t n1 = 0, n2 = 0, nbad = 0;

	if (f == NULL) {
		vouch_failure_options_init(&o);
		o.rate = 3;
		o.rate_period = 60;
		if (vouch_failure_new(&o, &f, NULL, 0) != VOUCH_OK)
			abort();
	}
	if (vouch_failure_state_load(f, data, size, &nbad) != VOUCH_OK)
		return 0;
	if (vouch_failure_state_save(f, &t1, &n1) != VOUCH_OK)
		abort();
	if (vouch_failure_state_load(f, (const uint8_t *)t1, n1, &nbad) !=
	        VOUCH_OK ||
	    nbad != 0)
		abort();
	if (vouch_failure_state_save(f, &t2, &n2) != VOUCH_OK ||
	    lines(t1, n1) != lines(t2, n2) || t1[n1] != '\0')
		abort();
	free(t1);
	free(t2);
	return 0;
}
