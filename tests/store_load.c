/*
 * store_load: records synthetic evaluations through the threaded recorder,
 * as fast as it takes them, for the crash tests (killed with SIGKILL in the
 * middle) and the benchmarks (bench/report).
 *
 *   store_load --db URL --count N [--batch ROWS] [--batch-ms MS]
 *              [--domains D] [--start T] [--span SECONDS] [--progress]
 *
 * Evaluation i is at time start + i * span / count, from policy domain
 * d<i % D>.example, one of 16 sources per domain, half passing (DKIM and SPF
 * aligned), a third failing under p=reject, the rest under p=none; one or two
 * DKIM results.  --progress prints "committed N" each time the committed count
 * grows, so a test knows what a crash may not lose.  At the end: "queued
 * N committed N dropped N batches N failures N".
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vouch/store.h"

static void
make(struct vouch_store_evaluation *e, uint64_t i, unsigned ndomains, int64_t t)
{
	unsigned d = (unsigned)(i % ndomains);
	unsigned kind = (unsigned)(i % 6);

	memset(e, 0, sizeof(*e));
	e->time = t;
	/* sixteen sources per domain, so that rows aggregate */
	snprintf(e->source_ip, sizeof(e->source_ip), "10.%u.%u.%u",
	    d / 256 % 256, d % 256, (unsigned)(i / ndomains % 16));
	snprintf(e->header_from, sizeof(e->header_from), "d%05u.example", d);
	snprintf(
	    e->policy.domain, sizeof(e->policy.domain), "d%05u.example", d);
	e->has_envelope_from = true;
	snprintf(e->envelope_from, sizeof(e->envelope_from),
	    "bounce.d%05u.example", d);
	snprintf(e->envelope_to, sizeof(e->envelope_to), "receiver.example");
	e->policy.p =
	    d % 2 ? VOUCH_DMARC_POLICY_REJECT : VOUCH_DMARC_POLICY_NONE;
	e->policy.pct = 100;
	snprintf(e->policy.rua, sizeof(e->policy.rua),
	    "mailto:dmarc@d%05u.example", d);
	e->spf_checked = true;
	snprintf(
	    e->spf_domain, sizeof(e->spf_domain), "bounce.d%05u.example", d);
	e->ndkim = 1 + (unsigned)(i % 2);
	snprintf(
	    e->dkim[0].domain, sizeof(e->dkim[0].domain), "d%05u.example", d);
	snprintf(e->dkim[0].selector, sizeof(e->dkim[0].selector), "s1");
	snprintf(e->dkim[1].domain, sizeof(e->dkim[1].domain), "esp.example");
	snprintf(e->dkim[1].selector, sizeof(e->dkim[1].selector), "k%u",
	    (unsigned)(i % 3));
	e->dkim[1].result = VOUCH_DKIM_PASS;
	if (kind < 3) {
		e->result = VOUCH_DMARC_PASS;
		e->dkim_aligned = e->spf_aligned = true;
		e->spf_result = VOUCH_SPF_PASS;
		e->dkim[0].result = VOUCH_DKIM_PASS;
		e->disposition = e->policy.p == VOUCH_DMARC_POLICY_REJECT
		                     ? VOUCH_STORE_DISP_PASS
		                     : VOUCH_STORE_DISP_NONE;
	} else {
		e->result = VOUCH_DMARC_FAIL;
		e->spf_result = VOUCH_SPF_FAIL;
		e->dkim[0].result = VOUCH_DKIM_FAIL;
		snprintf(e->dkim[0].human_result,
		    sizeof(e->dkim[0].human_result),
		    "body hash did not verify");
		e->disposition = e->policy.p == VOUCH_DMARC_POLICY_REJECT
		                     ? VOUCH_STORE_DISP_REJECT
		                     : VOUCH_STORE_DISP_NONE;
	}
}

static void
usage(void)
{
	fprintf(stderr, "usage: store_load --db URL --count N [--batch ROWS] "
	                "[--batch-ms MS] [--domains D]\n"
	                "                  [--start T] [--span SECONDS] "
	                "[--progress]\n");
	exit(64);
}

int
main(int argc, char **argv)
{
	struct vouch_recorder_options o;
	struct vouch_recorder_stats st;
	struct vouch_store_evaluation e;
	struct vouch_recorder *r = NULL;
	const char *db = NULL;
	uint64_t count = 0, i, last = 0;
	unsigned domains = 100;
	int64_t start = 1704067200, span = 86400;
	int progress = 0, k;
	char err[512] = "";
	enum vouch_status rc;

	vouch_recorder_options_init(&o);
	for (k = 1; k < argc; k++) {
		const char *a = argv[k], *v = k + 1 < argc ? argv[k + 1] : NULL;

		if (!strcmp(a, "--progress")) {
			progress = 1;
			continue;
		}
		if (v == NULL)
			usage();
		k++;
		if (!strcmp(a, "--db"))
			db = v;
		else if (!strcmp(a, "--count"))
			count = strtoull(v, NULL, 10);
		else if (!strcmp(a, "--batch"))
			o.batch_rows = (unsigned)strtoul(v, NULL, 10);
		else if (!strcmp(a, "--batch-ms"))
			o.batch_ms = (unsigned)strtoul(v, NULL, 10);
		else if (!strcmp(a, "--domains"))
			domains = (unsigned)strtoul(v, NULL, 10);
		else if (!strcmp(a, "--start"))
			start = strtoll(v, NULL, 10);
		else if (!strcmp(a, "--span"))
			span = strtoll(v, NULL, 10);
		else
			usage();
	}
	if (db == NULL || count == 0 || domains == 0)
		usage();
	if (o.queue_rows < 4 * o.batch_rows)
		o.queue_rows = 4 * o.batch_rows;
	rc = vouch_recorder_new(db, &o, &r, err, sizeof(err));
	if (rc != VOUCH_OK) {
		fprintf(stderr, "store_load: %s\n",
		    err[0] ? err : vouch_status_str(rc));
		return 69;
	}
	for (i = 0; i < count; i++) {
		make(&e, i, domains,
		    start +
		        (int64_t)((double)i * (double)span / (double)count));
		/* a full queue: wait for the committer, as a caller that may
		 * not drop would */
		while ((rc = vouch_recorder_add(r, &e)) == VOUCH_ELIMIT)
			usleep(1000);
		if (rc != VOUCH_OK) {
			fprintf(stderr, "store_load: add: %s\n",
			    vouch_status_str(rc));
			return 70;
		}
		if (progress && i % 64 == 0) {
			vouch_recorder_stats(r, &st);
			if (st.committed != last) {
				last = st.committed;
				printf("committed %" PRIu64 "\n", last);
				fflush(stdout);
			}
		}
	}
	rc = vouch_recorder_flush(r);
	vouch_recorder_stats(r, &st);
	printf("queued %" PRIu64 " committed %" PRIu64 " dropped %" PRIu64
	       " batches %" PRIu64 " failures %" PRIu64 "\n",
	    st.queued, st.committed, st.dropped, st.batches, st.failures);
	if (st.failures > 0)
		fprintf(stderr, "store_load: %s\n", st.last_error);
	vouch_recorder_free(r);
	return rc == VOUCH_OK ? 0 : 74;
}
