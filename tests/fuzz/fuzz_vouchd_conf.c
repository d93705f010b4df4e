/*
 * libFuzzer target: the vouchd.conf parser (src/milter/conf.c).  A parse
 * either fails with a message naming the input and a line, or gives a
 * configuration whose invariants hold (Mode non-empty, networks' prefixes
 * within their family's size, the reporting options' limits).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "../../src/milter/conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_nets(const struct vouchd_nets *n)
{
	size_t i;

	for (i = 0; i < n->n; i++)
		if (n->net[i].prefix >
		    (n->net[i].family == AF_INET ? 32u : 128u))
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vouchd_conf *c = NULL;
	char err[512];

	if (vouchd_conf_parse("fuzz.conf", data, size, &c, err, sizeof(err)) !=
	    0) {
		if (c != NULL || strncmp(err, "fuzz.conf:", 10) != 0)
			abort();
		return 0;
	}
	if (c == NULL || (!c->sign && !c->verify) || c->socket == NULL)
		abort();
	check_nets(&c->internal_hosts);
	check_nets(&c->ignore_hosts);
	check_nets(&c->trusted_forwarders);
	/* the reporting options: a rate limit always (RFC 9991 §2), a kind
	 * to send, batches of at least one row, a From when reports are on */
	if (c->failure_rate == 0 || c->failure_period == 0 ||
	    c->failure_kinds == 0 || c->failure_kinds > 7 ||
	    c->record_batch_rows == 0 || c->record_batch_ms == 0 ||
	    (c->failure_reports && c->failure_from == NULL) ||
	    (c->failure_smtp != NULL && c->failure_sendmail != NULL))
		abort();
	vouchd_conf_free(c);
	return 0;
}
