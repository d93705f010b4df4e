/*
 * libFuzzer target: the KeyTable reader (src/milter/tables/keytable.c and
 * the OpenDKIM data set splitter of dataset.c) as a file:, a refile: or an
 * inline csl: value, then lookups through a SigningTable that names every
 * key by the sender's domain, so that every entry the reader accepts is
 * also resolved ('%' in domains and paths included).
 *
 * Input: byte 0 picks the form (bit 0: refile:, bit 1: csl:), the rest is
 * the table.
 */
#include <stdlib.h>
#include <string.h>

#include "milter/tables/tables.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const senders[][2] = {
    {"alice", "example.com"},
    {"Bob", "EXAMPLE.org"},
    {"x", "b\xc3\xbc"
          "cher.example"},
    {"", "example.net"},
    {"k", "a.b.c.example.com"},
};

static void
exercise(const struct vouchd_signing *s)
{
	struct vouchd_sign_match m;
	size_t i, j;

	for (i = 0; i < sizeof(senders) / sizeof(senders[0]); i++) {
		if (vouchd_signing_lookup(s, (const uint8_t *)senders[i][0],
		        strlen(senders[i][0]), (const uint8_t *)senders[i][1],
		        strlen(senders[i][1]), &m) != VOUCH_OK)
			abort();
		if (m.n > VOUCH_DKIM_SIGN_MAX_REQUESTS ||
		    memchr(m.why, '\0', sizeof(m.why)) == NULL)
			abort();
		/* '%' never brings ".." or a new '/' into a path */
		for (j = 0; j < m.n; j++)
			if ((strstr(m.req[j].keypath, "..") != NULL &&
			        strstr(m.req[j].key->keypath, "..") == NULL) ||
			    strchr(m.req[j].domain, '/') != NULL)
				abort();
	}
	for (i = 0; i < vouchd_signing_nkeys(s); i++)
		if (vouchd_signing_key(s, i) == NULL)
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char st[] = "*@* %\n";
	struct vouchd_signing_conf c;
	struct vouchd_signing *s = NULL;
	struct vouchd_diag d;
	enum vouch_status r;
	char *spec;
	size_t n;

	if (size < 1)
		return 0;
	vouchd_diag_init(&d);
	if (data[0] & 2) {
		/* "csl:" and the bytes up to the first NUL */
		n = strnlen((const char *)data + 1, size - 1);
		if ((spec = malloc(n + 5)) == NULL)
			abort();
		memcpy(spec, "csl:", 4);
		memcpy(spec + 4, data + 1, n);
		spec[n + 4] = '\0';
		memset(&c, 0, sizeof(c));
		c.key_table = spec;
		c.signing_table = "csl:*=%";
		c.origin = "fuzz.conf";
		r = vouchd_signing_load(&c, &d, &s);
		free(spec);
	} else {
		r = vouchd_signing_parse("kt", data + 1, size - 1, data[0] & 1,
		    "st", (const uint8_t *)st, sizeof(st) - 1, 1, data[0] & 4,
		    &d, &s);
	}
	if ((r == VOUCH_OK) != (s != NULL) ||
	    (r != VOUCH_OK && d.nerrors == 0 && r != VOUCH_ENOMEM))
		abort();
	if (s != NULL)
		exercise(s);
	vouchd_signing_free(s);
	vouchd_diag_free(&d);
	return 0;
}
