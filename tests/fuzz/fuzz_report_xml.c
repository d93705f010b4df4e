/*
 * libFuzzer target for the aggregate-report XML reader (feedback.h): any
 * bytes as a report.  Whatever parses is walked field by field, so that a
 * dangling or unterminated string shows under ASan, and checked:
 *  - the total is the sum of the records' counts, each at most
 *    VOUCH_REPORT_MAX_COUNT;
 *  - the period splits into UTC days (the reader refuses longer ones), and
 *    every count splits into shares that add up to it.
 */
#include <stdlib.h>
#include <string.h>

#include "vouch/feedback.h"
#include "vouch/limits.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t
len(const char *s)
{
	return s != NULL ? strlen(s) : 0;
}

static size_t
walk_record(const struct vouch_feedback_record *r)
{
	size_t j, n = len(r->source_ip) + len(r->disposition) + len(r->dkim) +
	              len(r->spf) + len(r->header_from) +
	              len(r->envelope_from) + len(r->envelope_to);

	for (j = 0; j < r->nreasons; j++)
		n += len(r->reasons[j].type) + len(r->reasons[j].comment);
	for (j = 0; j < r->ndkim; j++)
		n += len(r->dkim_results[j].domain) +
		     len(r->dkim_results[j].selector) +
		     len(r->dkim_results[j].result) +
		     len(r->dkim_results[j].human_result);
	for (j = 0; j < r->nspf; j++)
		n += len(r->spf_results[j].domain) +
		     len(r->spf_results[j].scope) +
		     len(r->spf_results[j].result) +
		     len(r->spf_results[j].human_result);
	if (r->ndkim > VOUCH_REPORT_MAX_AUTH ||
	    r->nspf > VOUCH_REPORT_MAX_AUTH ||
	    r->nreasons > VOUCH_REPORT_MAX_REASONS || r->source_ip == NULL)
		abort();
	return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct vouch_feedback_policy *pp;
	struct vouch_feedback_days days;
	struct vouch_feedback *fb;
	uint64_t total = 0, share[VOUCH_REPORT_MAX_DAYS], sum;
	volatile size_t sink = 0;
	size_t i, d;
	char err[256];

	if (vouch_feedback_parse(data, size, &fb, err, sizeof(err)) != VOUCH_OK)
		return 0;
	pp = &fb->policy_published;
	sink += len(fb->org_name) + len(fb->email) + len(fb->report_id) +
	        len(fb->version) + len(fb->extra_contact_info) +
	        len(fb->generator) + len(pp->domain) + len(pp->adkim) +
	        len(pp->aspf) + len(pp->p) + len(pp->sp) + len(pp->np) +
	        len(pp->fo) + len(pp->testing) + len(pp->discovery_method);
	for (i = 0; i < fb->nerrors; i++)
		sink += len(fb->errors[i]);
	for (i = 0; i < fb->nwarnings && i < VOUCH_REPORT_MAX_WARNINGS; i++)
		sink += len(fb->warnings[i]);
	if (vouch_feedback_days(fb->begin, fb->end, &days) != VOUCH_OK)
		abort(); /* the reader refuses what does not split */
	for (i = 0; i < fb->nrecords; i++) {
		const struct vouch_feedback_record *r = &fb->records[i];

		sink += walk_record(r);
		if (r->count > VOUCH_REPORT_MAX_COUNT)
			abort();
		total += r->count;
		vouch_feedback_split(&days, r->count, share);
		for (d = 0, sum = 0; d < days.ndays; d++)
			sum += share[d];
		if (sum != r->count)
			abort();
	}
	if (total != fb->total_count || pp->domain == NULL ||
	    fb->report_id == NULL || fb->org_name == NULL)
		abort();
	vouch_feedback_free(fb);
	(void)sink;
	return 0;
}
