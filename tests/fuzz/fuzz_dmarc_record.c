/*
 * libFuzzer target: the DMARC Policy Record parser (src/lib/dmarc/record.c)
 * on any bytes, with the invariants a caller relies on checked.
 */
#include <stdlib.h>
#include <string.h>

#include "vouch/dmarc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vouch_dmarc_record r;
	size_t i;

	if (vouch_dmarc_record_parse(data, size, &r) == VOUCH_OK) {
		/* the text is the input, NUL-terminated */
		if (r.textlen != size || memcmp(r.text, data, size) != 0 ||
		    r.text[size] != '\0')
			abort();
		if (r.nrua > VOUCH_DMARC_MAX_URIS ||
		    r.nruf > VOUCH_DMARC_MAX_URIS || r.pct > 100)
			abort();
		for (i = 0; i < r.nrua + r.nruf; i++) {
			const struct vouch_dmarc_uri *u =
			    i < r.nrua ? &r.rua[i] : &r.ruf[i - r.nrua];

			if (u->uri == NULL || u->host == NULL ||
			    strlen(u->uri) > size ||
			    strlen(u->host) > VOUCH_DNS_MAX_NAME)
				abort();
		}
	}
	vouch_dmarc_record_free(&r);
	return 0;
}
