/*
 * The UTC days of a report's period and the split of its counts between
 * them (the rule is in feedback.h; RFC 9990 §3.1.1.4 says a reporting
 * period typically is one UTC day).
 */
#include <string.h>

#include "vouch/feedback.h"
#include "vouch/limits.h"

#define DAY 86400

/* A period this long or shorter is one day, with end written inclusive
 * (begin + 86399) or exclusive (begin + 86400, or one more second). */
#define ONE_DAY_MAX (DAY + 1)

enum vouch_status
vouch_feedback_days(int64_t begin, int64_t end, struct vouch_feedback_days *out)
{
	int64_t d, mid, lo, hi;
	size_t n = 0;

	if (out == NULL || begin < 0 || end < begin)
		return VOUCH_EINVAL;
	memset(out, 0, sizeof(*out));
	if (end - begin <= ONE_DAY_MAX) {
		mid = begin + (end - begin) / 2;
		out->ndays = 1;
		out->day[0] = mid - mid % DAY;
		out->seconds[0] = end - begin;
		return VOUCH_OK;
	}
	if ((end - begin) / DAY > VOUCH_REPORT_MAX_DAYS)
		return VOUCH_ELIMIT;
	for (d = begin - begin % DAY; d < end; d += DAY) {
		lo = d > begin ? d : begin;
		hi = d + DAY < end ? d + DAY : end;
		if (hi <= lo)
			continue;
		if (n == VOUCH_REPORT_MAX_DAYS)
			return VOUCH_ELIMIT;
		out->day[n] = d;
		out->seconds[n] = hi - lo;
		n++;
	}
	out->ndays = n;
	return VOUCH_OK;
}

void
vouch_feedback_split(
    const struct vouch_feedback_days *d, uint64_t count, uint64_t *share)
{
	uint64_t total = 0, given = 0, rem[VOUCH_REPORT_MAX_DAYS];
	size_t i, best;

	for (i = 0; i < d->ndays; i++)
		total += (uint64_t)d->seconds[i];
	if (d->ndays == 1 || total == 0) {
		for (i = 0; i < d->ndays; i++)
			share[i] = i == 0 ? count : 0;
		return;
	}
	/* count <= 10^12 and total <= 31 days of seconds: the product
	 * stays under 2^62 */
	for (i = 0; i < d->ndays; i++) {
		uint64_t prod = count * (uint64_t)d->seconds[i];

		share[i] = prod / total;
		rem[i] = prod % total;
		given += share[i];
	}
	/* largest remainders first, the earlier day on a tie */
	while (given < count) {
		best = 0;
		for (i = 1; i < d->ndays; i++)
			if (rem[i] > rem[best])
				best = i;
		share[best]++;
		rem[best] = 0;
		given++;
	}
}
