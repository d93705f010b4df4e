/*
 * libFuzzer target: the send-as table and alias map readers
 * (src/milter/tables/sendas.c), then lookups and whole-message checks with
 * the input's own words as login and From field.
 *
 * Input: byte 0 picks the detail delimiters ("+", "-+", none); the rest is
 * the table, then optionally "\n%%\n" and the alias map.  The first word
 * of the table is used as a login, its first line as a From field value.
 */
#include <stdlib.h>
#include <string.h>

#include "milter/tables/tables.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const addrs[][2] = {
    {"alice", "example.com"},
    {"alice+x", "Example.COM"},
    {"info", "old.example"},
    {"x", "b\xc3\xbc"
          "cher.example"},
};

static void
exercise(const struct vouchd_sendas *t, const uint8_t *p, size_t len)
{
	static const char *const logins[] = {"alice", "*", "bob@example.org"};
	struct vouchd_sendas_verdict v;
	const uint8_t *nl = memchr(p, '\n', len), *sp;
	const uint8_t *from[1];
	size_t fromlen[1], i, j, first = nl ? (size_t)(nl - p) : len;
	char why[256];
	enum vouchd_sendas_result r;

	for (i = 0; i < sizeof(logins) / sizeof(logins[0]); i++)
		for (j = 0; j < sizeof(addrs) / sizeof(addrs[0]); j++) {
			r = vouchd_sendas_lookup(t, logins[i],
			    strlen(logins[i]), (const uint8_t *)addrs[j][0],
			    strlen(addrs[j][0]), (const uint8_t *)addrs[j][1],
			    strlen(addrs[j][1]), why, sizeof(why));
			if (r > VOUCHD_SENDAS_ERROR ||
			    memchr(why, '\0', sizeof(why)) == NULL)
				abort();
		}
	/* login: the first word; From: the first line */
	sp = memchr(p, ' ', first);
	from[0] = p;
	fromlen[0] = first;
	if (vouchd_sendas_check(t, (const char *)p, sp ? (size_t)(sp - p) : 0,
	        from, fromlen, 1, p, first, p, first, &v) != VOUCH_OK)
		abort();
	if (memchr(v.reason, '\0', sizeof(v.reason)) == NULL ||
	    (v.result == VOUCHD_SENDAS_ALLOWED && v.address[0] != '\0'))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const delims[] = {"+", "-+", ""};
	struct vouchd_sendas *t = NULL;
	struct vouchd_diag d;
	const uint8_t *sep = NULL, *p;
	size_t tlen, i;
	enum vouch_status r;

	if (size < 1)
		return 0;
	p = data + 1;
	for (i = 0; i + 4 <= size - 1; i++)
		if (memcmp(p + i, "\n%%\n", 4) == 0) {
			sep = p + i;
			break;
		}
	tlen = sep ? (size_t)(sep - p) : size - 1;
	vouchd_diag_init(&d);
	r = vouchd_sendas_parse("sendas", p, tlen, "aliases",
	    sep ? sep + 4 : NULL, sep ? (size_t)(data + size - sep - 4) : 0,
	    delims[data[0] % 3], &d, &t);
	if ((r == VOUCH_OK) != (t != NULL))
		abort();
	if (t != NULL)
		exercise(t, p, tlen);
	vouchd_sendas_free(t);
	vouchd_diag_free(&d);
	return 0;
}
