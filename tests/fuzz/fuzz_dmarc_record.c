/*
 * libFuzzer target: the DMARC Policy Record parser (src/lib/dmarc/record.c)
 * on any bytes, with the invariants a caller relies on checked; and a copy
 * of each record parsed (dmarc_record_copy, what a verdict holds) equal to
 * it, in storage of its own.
 */
#include <stdlib.h>
#include <string.h>

#include "vouch/dmarc.h"
#include "dmarc/internal.h"

/* Two URI lists, the same texts and fields; the copy's strings its own. */
static void
same_uris(const struct vouch_dmarc_uri *a, const struct vouch_dmarc_uri *b,
    size_t n, const char *bbuf)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(a[i].uri, b[i].uri) != 0 ||
		    strcmp(a[i].host, b[i].host) != 0 ||
		    a[i].max_size != b[i].max_size || b[i].uri < bbuf ||
		    b[i].host < bbuf || b[i].override != NULL)
			abort();
}

static void
check_copy(const struct vouch_dmarc_record *r)
{
	struct vouch_dmarc_record c;

	if (dmarc_record_copy(&c, r) != VOUCH_OK)
		return; /* memory */
	if (c.buf == r->buf || c.textlen != r->textlen ||
	    memcmp(c.text, r->text, r->textlen + 1) != 0 || c.p != r->p ||
	    c.sp != r->sp || c.np != r->np || c.adkim != r->adkim ||
	    c.aspf != r->aspf || c.psd != r->psd || c.testing != r->testing ||
	    c.fo != r->fo || c.pct != r->pct || c.rf_afrf != r->rf_afrf ||
	    c.ri != r->ri || c.nrua != r->nrua || c.nruf != r->nruf ||
	    c.nuris_dropped != r->nuris_dropped || c.invalid != r->invalid)
		abort();
	same_uris(r->rua, c.rua, r->nrua, c.buf);
	same_uris(r->ruf, c.ruf, r->nruf, c.buf);
	vouch_dmarc_record_free(&c);
}

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
		check_copy(&r);
	}
	vouch_dmarc_record_free(&r);
	return 0;
}
