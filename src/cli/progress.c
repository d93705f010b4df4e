/*
 * Lines of progress on standard error (report ingest's bar, the PTR
 * lookups of report summary and html): when one may be drawn again.
 */
#include <time.h>

#include "cli.h"

int
cli_redraw_due(struct timespec *last, int shown)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	/* at most ten redraws a second: a terminal far away stays fast */
	if (shown && (now.tv_sec - last->tv_sec) * 1000000000L +
	                     (now.tv_nsec - last->tv_nsec) <
	                 100000000L)
		return 0;
	*last = now;
	return 1;
}
