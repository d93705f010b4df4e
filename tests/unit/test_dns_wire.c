/*
 * Unit tests of rdata decoding from the wire (src/lib/dns/wire.c), which
 * the libunbound back end applies to what a server sent: each row is one
 * record's rdata (and the message it came in, for compression pointers)
 * and the decoded record as text, or "bad".
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "dns/internal.h"
#include "tap.h"

struct wcase {
	const char *name;
	uint16_t type;
	const char *rdata;
	size_t rdlen;
	const char *pkt; /* NULL: no message */
	size_t pktlen;
	const char *want; /* "bad" when the rdata must be refused */
};

#define S(s) s, sizeof(s) - 1

/* A message whose byte 12 starts "example.com" and byte 25 a pointer loop. */
static const char pkt[] = "\x12\x34\x81\x80\0\1\0\1\0\0\0\0"
                          "\x07"
                          "example\x03"
                          "com\0"
                          "\xc0\x19";

static char name253[254];

static const struct wcase wcases[] = {
    {"A of 4 bytes", VOUCH_DNS_A, S("\xc0\x00\x02\x01"), NULL, 0, "192.0.2.1"},
    {"A of 3 bytes is refused", VOUCH_DNS_A, S("\xc0\x00\x02"), NULL, 0, "bad"},
    {"AAAA of 16 bytes", VOUCH_DNS_AAAA,
        S("\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01"), NULL, 0,
        "2001:db8::1"},
    {"AAAA of 4 bytes is refused", VOUCH_DNS_AAAA, S("\x20\x01\x0d\xb8"), NULL,
        0, "bad"},
    {"RFC 1035 §3.3.14: TXT strings joined, counted", VOUCH_DNS_TXT,
        S("\x03"
          "abc\x00\x02"
          "de"),
        NULL, 0, "3:abcde"},
    {"TXT of no string", VOUCH_DNS_TXT, S(""), NULL, 0, "0:"},
    {"TXT of one empty string", VOUCH_DNS_TXT, S("\x00"), NULL, 0, "1:"},
    {"TXT with NUL inside a string", VOUCH_DNS_TXT, S("\x03x\x00y"), NULL, 0,
        "1:x\\000y"},
    {"TXT string running past the rdata is refused", VOUCH_DNS_TXT,
        S("\x05"
          "ab"),
        NULL, 0, "bad"},
    {"SPF type decoded like TXT", VOUCH_DNS_SPF, S("\x02v=\x01x"), NULL, 0,
        "2:v=x"},
    {"MX preference and exchange", VOUCH_DNS_MX,
        S("\x00\x0a\x03"
          "mx1\x07"
          "example\x03"
          "com\x00"),
        NULL, 0, "10 mx1.example.com"},
    {"RFC 7505 null MX: the root", VOUCH_DNS_MX, S("\x00\x00\x00"), NULL, 0,
        "0 "},
    {"MX of 2 bytes is refused", VOUCH_DNS_MX, S("\x00\x0a"), NULL, 0, "bad"},
    {"MX with bytes after the name is refused", VOUCH_DNS_MX,
        S("\x00\x0a\x01x\x00\x01"), NULL, 0, "bad"},
    {"RFC 1035 §4.1.4: PTR compressed against the message", VOUCH_DNS_PTR,
        S("\x04host\xc0\x0c"), S(pkt), "host.example.com"},
    {"CNAME that is only a pointer", VOUCH_DNS_CNAME, S("\xc0\x0c"), S(pkt),
        "example.com"},
    {"pointer loop is refused", VOUCH_DNS_NS, S("\xc0\x19"), S(pkt), "bad"},
    {"pointer past the message is refused", VOUCH_DNS_NS, S("\xc0\xff"), S(pkt),
        "bad"},
    {"pointer without a message is refused", VOUCH_DNS_NS, S("\xc0\x0c"), NULL,
        0, "bad"},
    {"pointer cut in half is refused", VOUCH_DNS_NS, S("\x01x\xc0"), S(pkt),
        "bad"},
    {"name without its final zero is refused", VOUCH_DNS_PTR,
        S("\x03"
          "abc"),
        NULL, 0, "bad"},
    {"label longer than the rdata is refused", VOUCH_DNS_PTR,
        S("\x09"
          "abc\x00"),
        NULL, 0, "bad"},
    {"label holding a dot is refused", VOUCH_DNS_PTR,
        S("\x03"
          "a.b\x00"),
        NULL, 0, "bad"},
    {"RFC 6891 §5: extended label type is refused", VOUCH_DNS_PTR,
        S("\x41x\x00"), NULL, 0, "bad"},
    {"unknown type kept as it is", 99 + 100, S("\x01\x02"), NULL, 0,
        "\\001\\002"},
};

static void
render(const struct vouch_dns_answer *ans, char *out, size_t cap)
{
	const struct vouch_dns_rr *rr = &ans->rr[0];
	char addr[INET6_ADDRSTRLEN];
	size_t n = 0, j;

	out[0] = '\0';
	if (rr->type == VOUCH_DNS_A || rr->type == VOUCH_DNS_AAAA) {
		inet_ntop(rr->type == VOUCH_DNS_A ? AF_INET : AF_INET6,
		    rr->data, addr, sizeof(addr));
		snprintf(out, cap, "%s", addr);
		return;
	}
	if (rr->type == VOUCH_DNS_MX)
		n += (size_t)snprintf(out + n, cap - n, "%u ", rr->pref);
	if (rr->type == VOUCH_DNS_TXT || rr->type == VOUCH_DNS_SPF)
		n += (size_t)snprintf(out + n, cap - n, "%u:", rr->nstrings);
	for (j = 0; j < rr->len && n + 5 < cap; j++) {
		if (rr->data[j] < 0x20 || rr->data[j] > 0x7e)
			n += (size_t)snprintf(
			    out + n, cap - n, "\\%03u", rr->data[j]);
		else
			out[n++] = (char)rr->data[j];
	}
	out[n] = '\0';
}

static void
run(const char *name, uint16_t type, const uint8_t *rdata, size_t rdlen,
    const uint8_t *p, size_t plen, const char *want)
{
	struct dns_builder b;
	struct vouch_dns_answer *ans = NULL;
	char got[1024];
	int good;

	dns_builder_init(&b);
	good = dns_rdata_add(&b, type, 300, rdata, rdlen, p, plen);
	if (!good) {
		tap_check(strcmp(want, "bad") == 0 && b.nrr == 0,
		    "%s: got bad, want \"%s\"", name, want);
		dns_builder_free(&b);
		return;
	}
	if (dns_builder_finish(&b, VOUCH_DNS_ANSWER, NULL, 0, &ans) !=
	    VOUCH_OK) {
		tap_check(0, "%s: out of memory", name);
		return;
	}
	render(ans, got, sizeof(got));
	tap_check(ans->nrr == 1 && strcmp(got, want) == 0 &&
	              ans->rr[0].ttl == 300 && ans->ttl == 300,
	    "%s: got \"%s\", want \"%s\"", name, got, want);
	vouch_dns_answer_free(ans);
}

int
main(void)
{
	const struct wcase *c;
	uint8_t wire[300];
	size_t i, n, k;

	for (i = 0; i < sizeof(wcases) / sizeof(wcases[0]); i++) {
		c = &wcases[i];
		run(c->name, c->type, (const uint8_t *)c->rdata, c->rdlen,
		    (const uint8_t *)c->pkt, c->pktlen, c->want);
	}

	/* RFC 1035 §2.3.4: 253 characters is the longest name. */
	for (n = 0, k = 0; k < 4; k++) {
		wire[n++] = k < 3 ? 63 : 61;
		memset(wire + n, 'a' + (int)k, wire[n - 1]);
		n += wire[n - 1];
	}
	wire[n++] = 0;
	memset(name253, 0, sizeof(name253));
	for (i = 0, k = 0; wire[k] != 0; k += 1u + wire[k]) {
		if (i > 0)
			name253[i++] = '.';
		memcpy(name253 + i, wire + k + 1, wire[k]);
		i += wire[k];
	}
	run("name of 253 characters", VOUCH_DNS_PTR, wire, n, NULL, 0, name253);
	/* One more byte in the last label: 254 characters. */
	wire[3 * 64] = 62;
	memset(wire + 3 * 64 + 1, 'd', 62);
	wire[3 * 64 + 63] = 0;
	run("name of 254 characters is refused", VOUCH_DNS_PTR, wire,
	    3 * 64 + 64, NULL, 0, "bad");
	return tap_done();
}
