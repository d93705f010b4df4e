/*
 * libFuzzer target: the From: address parser (src/lib/mail/address.c) and
 * the header scanner beside it, then the whole DMARC evaluation of the
 * field against a small fixed zone (tree walk, alignment, normalization of
 * any domain the parser lets through).  The parser's two ways, keeping
 * the mailboxes (mail_from_parse_mode) and handing each to a callback
 * (mail_from_parse_each), must read the same mailboxes.
 */
#include <stdlib.h>
#include <string.h>

#include "mail/address.h"
#include "vouch/dmarc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char zone[] =
    "$ORIGIN .\n$TTL 300\n"
    "_dmarc.example.com. TXT \"v=DMARC1; p=reject; "
    "rua=mailto:r@example.com,mailto:x@reports.example.net; np=reject\"\n"
    "example.com. A 192.0.2.1\n"
    "_dmarc.example.org. TXT \"v=DMARC1; p=none; psd=y\"\n"
    "_dmarc.com. TXT \"v=DMARC1; p=none; psd=y\"\n"
    "$TIMEOUT _dmarc.slow.example.com.\n";

static struct vouch_dns *dns;
static struct vouch_dmarc *dmarc;

/* A digest of mailboxes in order (FNV-1a), and their count. */
struct digest {
	uint64_t h;
	size_t n;
};

static void
mix(struct digest *d, const void *p, size_t len)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < len; i++) {
		d->h ^= b[i];
		d->h *= 0x100000001b3ull;
	}
}

static void
add_mailbox(void *arg, const struct mail_mailbox *mb)
{
	struct digest *d = arg;

	d->n++;
	mix(d, &mb->domainlen, sizeof(mb->domainlen));
	mix(d, mb->domain, mb->domainlen);
	mix(d, &mb->locallen, sizeof(mb->locallen));
	mix(d, mb->local, mb->locallen);
	mix(d, &mb->literal, sizeof(mb->literal));
	mix(d, &mb->local_quoted, sizeof(mb->local_quoted));
	mix(d, &mb->local_toolong, sizeof(mb->local_toolong));
}

/*
 * The field read both ways, with and without MAIL_FROM_LENIENT; and
 * without "=?" in it (no encoded-word can start), the two flags read the
 * same (DMARC reads such a field once: dmarc/author.c).
 */
static void
kept_vs_each(const uint8_t *data, size_t size, struct mail_mailbox_list *l)
{
	struct digest a, b, by[2];
	enum vouch_status sa, sb, sby[2];
	const char *wa, *wb, *wby[2];
	unsigned flags, ngroups, gby[2];
	size_t i;
	int ew = 0;

	for (i = 0; i + 1 < size; i++)
		if (data[i] == '=' && data[i + 1] == '?')
			ew = 1;
	for (flags = 0; flags <= MAIL_FROM_LENIENT; flags++) {
		a.h = b.h = 0xcbf29ce484222325ull;
		a.n = b.n = 0;
		sa = mail_from_parse_mode(data, size, flags, l, &wa);
		sb = mail_from_parse_each(
		    data, size, flags, &ngroups, &wb, add_mailbox, &b);
		if (sa != sb || wa != wb || l->ngroups != ngroups ||
		    l->ntotal != b.n)
			abort();
		by[flags] = b;
		sby[flags] = sb;
		wby[flags] = wb;
		gby[flags] = ngroups;
		if (l->ntotal > VOUCH_FROM_MAX_MAILBOXES)
			continue; /* only the first ones were kept */
		for (i = 0; i < l->n; i++)
			add_mailbox(&a, &l->mb[i]);
		if (a.n != b.n || a.h != b.h)
			abort();
	}
	if (!ew && (sby[0] != sby[1] || wby[0] != wby[1] || gby[0] != gby[1] ||
	               by[0].n != by[1].n || by[0].h != by[1].h))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct mail_mailbox_list list;
	struct mail_field_span spans[4];
	struct vouch_dmarc_ident k = {VOUCH_DMARC_AUTH_PASS, "example.com", 11};
	struct vouch_dmarc_facts facts = {.spf = &k, .dkim = &k, .ndkim = 1};
	struct vouch_dmarc_result res;
	const char *why;
	size_t i, ns, nf;

	if (dns == NULL &&
	    (vouch_dns_zone_new_mem("fuzz", (const uint8_t *)zone,
	         sizeof(zone) - 1, &dns, NULL, 0) != VOUCH_OK ||
	        vouch_dmarc_new(NULL, &dmarc, NULL, 0) != VOUCH_OK))
		abort();
	if (mail_mailbox_list_parse(data, size, &list, &why) == VOUCH_OK) {
		if (list.n > VOUCH_FROM_MAX_MAILBOXES)
			abort();
		for (i = 0; i < list.n; i++)
			if (list.mb[i].domainlen > VOUCH_ADDR_MAX_DOMAIN ||
			    list.mb[i].locallen > VOUCH_ADDR_MAX_LOCAL ||
			    (list.mb[i].local_toolong &&
			        list.mb[i].locallen != 0))
				abort();
	} else if (why == NULL)
		abort();
	kept_vs_each(data, size, &list);
	if (mail_find_fields(data, size, "From", 4, spans, 4, &ns, &nf) ==
	    VOUCH_OK) {
		for (i = 0; i < ns; i++)
			if (spans[i].p < data ||
			    spans[i].p + spans[i].len > data + size)
				abort();
	}
	if (vouch_dmarc_evaluate_message(
	        dmarc, dns, data, size, &facts, &res) == VOUCH_OK)
		vouch_dmarc_result_free(&res);
	return 0;
}
