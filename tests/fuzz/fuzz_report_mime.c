/*
 * libFuzzer target for the way into the report reader (ingest.h): any
 * bytes as one input -- an e-mail (GMime), gzip (zlib), zip (libarchive)
 * or XML, nested as reporters nest them -- and, when the bytes start with
 * "From ", as an mbox stream through a file descriptor.  Properties:
 *  - the session never fails but for memory: a hostile input is refused
 *    through the problem callback, with a reason;
 *  - each report handed over is walked (ASan sees a dangling field), and
 *    its total is the sum of its counts.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vouch/ingest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static enum vouch_status
on_report(void *arg, const struct vouch_feedback *fb,
    const struct vouch_ingest_where *where)
{
	uint64_t total = 0;
	size_t i, *n = arg;

	for (i = 0; i < fb->nrecords; i++) {
		total += fb->records[i].count;
		*n += strlen(fb->records[i].source_ip);
	}
	if (total != fb->total_count || strlen(where->source) == 0)
		abort();
	*n += strlen(fb->org_name) + strlen(fb->report_id);
	return VOUCH_OK;
}

static void
on_problem(void *arg, enum vouch_ingest_problem what, enum vouch_status st,
    const char *why, const struct vouch_ingest_where *where)
{
	size_t *n = arg;

	(void)what;
	(void)st;
	if (why == NULL || why[0] == '\0')
		abort(); /* every refusal says why */
	*n += strlen(why) + strlen(where->source);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vouch_ingest_callbacks cb = {on_report, on_problem, NULL, NULL};
	struct vouch_ingest_where w = {"fuzz", NULL};
	struct vouch_ingest *ing;
	enum vouch_status st;
	size_t n = 0;
	int fd;

	cb.arg = &n;
	if (vouch_ingest_new(&cb, &ing) != VOUCH_OK)
		return 0;
	if (size >= 5 && memcmp(data, "From ", 5) == 0 &&
	    (fd = memfd_create("mbox", 0)) >= 0) {
		if (write(fd, data, size) == (ssize_t)size &&
		    lseek(fd, 0, SEEK_SET) == 0)
			st = vouch_ingest_fd(ing, fd, "mbox");
		else
			st = VOUCH_OK;
		close(fd);
	} else {
		st = vouch_ingest_mem(ing, data, size, &w);
	}
	if (st != VOUCH_OK && st != VOUCH_ENOMEM)
		abort();
	vouch_ingest_free(ing);
	return 0;
}
