/*
 * libFuzzer target: the SPF macro expander (src/lib/spf/macro.c), RFC 7208
 * §7.  Byte 0 picks the kind (domain-spec or exp text), the client family
 * and the output cap; the rest is the macro-string.  The expansion must
 * stay within its cap and agree with spf_macro_check about the syntax.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "spf/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
p_name(void *arg, char *buf, size_t cap)
{
	(void)arg;
	if (cap < 15)
		return -2;
	memcpy(buf, "mx.example.org", 15);
	return 14;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char sender[] = "strong-bad+x=y@email.example.com";
	struct spf_macro_env env;
	struct spf_ip ip;
	struct vbuf out;
	enum spf_macro_kind kind;
	enum vouch_status st, chk;
	size_t cap, off, n;

	if (size < 1)
		return 0;
	kind = (data[0] & 1) ? SPF_MACRO_EXPLAIN : SPF_MACRO_DOMAIN;
	if (data[0] & 2)
		(void)spf_ip_parse("2001:db8::cb01", 14, &ip);
	else
		(void)spf_ip_parse("192.0.2.3", 9, &ip);
	cap = (data[0] & 4) ? 64 : VOUCH_SPF_MAX_EXPANSION;
	memset(&env, 0, sizeof(env));
	env.sender = (const uint8_t *)sender;
	env.sender_len = sizeof(sender) - 1;
	env.local = env.sender;
	env.local_len = 14;
	env.sender_domain = env.sender + 15;
	env.sender_domain_len = env.sender_len - 15;
	env.domain = env.sender_domain;
	env.domain_len = env.sender_domain_len;
	env.helo = (const uint8_t *)"mail.example.net";
	env.helo_len = 16;
	env.ip = &ip;
	env.now = 1234567890;
	env.p_name = p_name;
	data++;
	size--;

	vbuf_init(&out, cap);
	st = spf_macro_expand(&env, data, size, kind, &out);
	chk = spf_macro_check(data, size, kind, NULL);
	if (out.len > cap)
		abort();
	if (st == VOUCH_OK && chk != VOUCH_OK)
		abort();
	if (chk == VOUCH_OK && st == VOUCH_ESYNTAX)
		abort();
	if (st == VOUCH_OK && out.p != NULL)
		(void)spf_name_fit(out.p, out.len, &off, &n);
	(void)spf_domain_spec_check(data, size);
	vbuf_free(&out);
	return 0;
}
