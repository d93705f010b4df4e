/*
 * bench/verify: what both drivers of the full-verdict benchmark share: the
 * SMTP session and the DNS records besides the DKIM keys (which gen.py
 * writes).  Both drivers answer every query from memory (a warm cache):
 * the records below, and the keys of DATADIR/zone (vouch) or
 * DATADIR/keys.txt (libopendkim).
 */
#ifndef BENCH_VERIFY_BENCH_H
#define BENCH_VERIFY_BENCH_H

/* The client, its HELO and MAIL FROM; SPF passes through an include. */
#define VB_CLIENT "192.0.2.10"
#define VB_HELO "mail.bench.example"
#define VB_MAIL_FROM "bounces@bench.example"
#define VB_AUTHSERV_ID "mx.receiver.example"

/* (owner, TXT text) of the SPF and DMARC records. */
#define VB_SPF_OWNER "bench.example"
#define VB_SPF_RECORD \
	"v=spf1 ip4:198.51.100.0/24 include:_spf.provider.example ~all"
#define VB_SPF2_OWNER "_spf.provider.example"
#define VB_SPF2_RECORD "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 -all"
#define VB_DMARC_OWNER "_dmarc.bench.example"
#define VB_DMARC_RECORD "v=DMARC1; p=reject; rua=mailto:dmarc@bench.example"

/* The Public Suffix List the RFC 7489 rows use (Debian "publicsuffix"). */
#define VB_PSL "/usr/share/publicsuffix/public_suffix_list.dat"

#endif
