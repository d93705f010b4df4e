/*
 * Unit tests of the SPF macro expander (src/lib/spf/macro.c) against the
 * worked examples of RFC 7208 §7.4 and the rules of §7.1-§7.3.
 */
#include <string.h>

#include "spf/internal.h"
#include "tap.h"

/* %{p} for the tests: the PTR name of RFC 7208 §7.4. */
static int
p_name(void *arg, char *buf, size_t cap)
{
	(void)arg;
	memcpy(buf, "mx.example.org", 15);
	return 14;
}

static void
env_for(struct spf_macro_env *env, struct spf_ip *ip, const char *addr,
    const char *sender, const char *helo)
{
	const char *at = strrchr(sender, '@');

	memset(env, 0, sizeof(*env));
	if (spf_ip_parse(addr, strlen(addr), ip) != 0)
		tap_check(0, "test address %s parses", addr);
	env->sender = (const uint8_t *)sender;
	env->sender_len = strlen(sender);
	env->local = (const uint8_t *)sender;
	env->local_len = (size_t)(at - sender);
	env->sender_domain = (const uint8_t *)at + 1;
	env->sender_domain_len = strlen(at + 1);
	env->domain = env->sender_domain;
	env->domain_len = env->sender_domain_len;
	env->helo = (const uint8_t *)helo;
	env->helo_len = strlen(helo);
	env->ip = ip;
	env->now = 1234567890;
	env->p_name = p_name;
}

static const struct {
	const char *name;
	const char *ip;
	const char *sender;
	enum spf_macro_kind kind;
	const char *in;
	const char *want; /* NULL: a syntax error */
} rows[] = {
    /* RFC 7208 §7.4, the single macros */
    {"7.4 %{s}", "192.0.2.3", "strong-bad@email.example.com", SPF_MACRO_DOMAIN,
        "%{s}", "strong-bad@email.example.com"},
    {"7.4 %{o}", "192.0.2.3", "strong-bad@email.example.com", SPF_MACRO_DOMAIN,
        "%{o}", "email.example.com"},
    {"7.4 %{d}", "192.0.2.3", "strong-bad@email.example.com", SPF_MACRO_DOMAIN,
        "%{d}", "email.example.com"},
    {"7.4 %{d4}", "192.0.2.3", "strong-bad@email.example.com", SPF_MACRO_DOMAIN,
        "%{d4}", "email.example.com"},
    {"7.4 %{d3}", "192.0.2.3", "strong-bad@email.example.com", SPF_MACRO_DOMAIN,
        "%{d3}", "email.example.com"},
    {"7.4 %{d2}", "192.0.2.3", "strong-bad@email.example.com", SPF_MACRO_DOMAIN,
        "%{d2}", "example.com"},
    {"7.4 %{d1}", "192.0.2.3", "strong-bad@email.example.com", SPF_MACRO_DOMAIN,
        "%{d1}", "com"},
    {"7.4 %{dr}", "192.0.2.3", "strong-bad@email.example.com", SPF_MACRO_DOMAIN,
        "%{dr}", "com.example.email"},
    {"7.4 %{d2r}", "192.0.2.3", "strong-bad@email.example.com",
        SPF_MACRO_DOMAIN, "%{d2r}", "example.email"},
    {"7.4 %{l}", "192.0.2.3", "strong-bad@email.example.com", SPF_MACRO_DOMAIN,
        "%{l}", "strong-bad"},
    {"7.4 %{l-}", "192.0.2.3", "strong-bad@email.example.com", SPF_MACRO_DOMAIN,
        "%{l-}", "strong.bad"},
    {"7.4 %{lr}", "192.0.2.3", "strong-bad@email.example.com", SPF_MACRO_DOMAIN,
        "%{lr}", "strong-bad"},
    {"7.4 %{lr-}", "192.0.2.3", "strong-bad@email.example.com",
        SPF_MACRO_DOMAIN, "%{lr-}", "bad.strong"},
    {"7.4 %{l1r-}", "192.0.2.3", "strong-bad@email.example.com",
        SPF_MACRO_DOMAIN, "%{l1r-}", "strong"},
    /* RFC 7208 §7.4, the macro-strings */
    {"7.4 %{ir}.%{v}._spf.%{d2}", "192.0.2.3", "strong-bad@email.example.com",
        SPF_MACRO_DOMAIN, "%{ir}.%{v}._spf.%{d2}",
        "3.2.0.192.in-addr._spf.example.com"},
    {"7.4 %{lr-}.lp._spf.%{d2}", "192.0.2.3", "strong-bad@email.example.com",
        SPF_MACRO_DOMAIN, "%{lr-}.lp._spf.%{d2}",
        "bad.strong.lp._spf.example.com"},
    {"7.4 %{lr-}.lp.%{ir}.%{v}._spf.%{d2}", "192.0.2.3",
        "strong-bad@email.example.com", SPF_MACRO_DOMAIN,
        "%{lr-}.lp.%{ir}.%{v}._spf.%{d2}",
        "bad.strong.lp.3.2.0.192.in-addr._spf.example.com"},
    {"7.4 %{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", "192.0.2.3",
        "strong-bad@email.example.com", SPF_MACRO_DOMAIN,
        "%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}",
        "3.2.0.192.in-addr.strong.lp._spf.example.com"},
    {"7.4 %{d2}.trusted-domains.example.net", "192.0.2.3",
        "strong-bad@email.example.com", SPF_MACRO_DOMAIN,
        "%{d2}.trusted-domains.example.net",
        "example.com.trusted-domains.example.net"},
    {"7.4 IPv6 %{ir}.%{v}._spf.%{d2}", "2001:db8::cb01",
        "strong-bad@email.example.com", SPF_MACRO_DOMAIN,
        "%{ir}.%{v}._spf.%{d2}",
        "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2."
        "ip6._spf.example.com"},
    {"7.4 %{p}", "192.0.2.3", "strong-bad@email.example.com", SPF_MACRO_DOMAIN,
        "%{p}", "mx.example.org"},
    /* §7.3: escapes, URL escaping of upper-case letters */
    {"7.1 %% %_ %-", "192.0.2.3", "a@example.com", SPF_MACRO_DOMAIN,
        "x%%y%_z%-w", "x%y z%20w"},
    {"7.3 %{L} URL-escaped", "192.0.2.3", "~jack&jill=up-a_b3.c@example.com",
        SPF_MACRO_EXPLAIN, "l=%{L}", "l=~jack%26jill%3Dup-a_b3.c"},
    {"7.3 several delimiters %{l2r+-}", "192.0.2.3",
        "foo-bar+zip+quux@example.com", SPF_MACRO_DOMAIN, "%{l2r+-}",
        "bar.foo"},
    {"7.3 DIGIT over the parts there are", "192.0.2.3", "a@email.example.com",
        SPF_MACRO_DOMAIN, "%{d127}", "email.example.com"},
    {"7.3 huge DIGIT saturates", "192.0.2.3", "a@email.example.com",
        SPF_MACRO_DOMAIN, "%{d99999999999999999999r}", "com.example.email"},
    {"7.3 empty parts kept", "192.0.2.3", "a..b@example.com", SPF_MACRO_DOMAIN,
        "%{lr}", "b..a"},
    {"7.3 %{h}", "192.0.2.3", "a@example.com", SPF_MACRO_DOMAIN, "%{h}",
        "mail.example.net"},
    {"7.3 %{i} IPv4-mapped is IPv4", "::ffff:192.0.2.9", "a@example.com",
        SPF_MACRO_DOMAIN, "%{i}.%{v}", "192.0.2.9.in-addr"},
    {"7.3 %{i} one, two and three digits", "0.9.10.255", "a@example.com",
        SPF_MACRO_DOMAIN, "%{i}", "0.9.10.255"},
    {"7.3 %{ir} 99 and 100", "100.99.1.200", "a@example.com", SPF_MACRO_DOMAIN,
        "%{ir}", "200.1.99.100"},
    {"7.2 %{c} IPv4 in exp", "198.51.100.7", "a@example.com", SPF_MACRO_EXPLAIN,
        "%{c}", "198.51.100.7"},
    /* exp= only letters (§7.2) */
    {"7.2 %{c} IPv6 in exp", "2001:db8::cb01", "a@example.com",
        SPF_MACRO_EXPLAIN, "%{c} says hi", "2001:db8::cb01 says hi"},
    {"7.2 %{c} IPv4 in exp", "192.0.2.3", "a@example.com", SPF_MACRO_EXPLAIN,
        "%{c}", "192.0.2.3"},
    {"7.2 %{r} unknown in exp", "192.0.2.3", "a@example.com", SPF_MACRO_EXPLAIN,
        "%{r}", "unknown"},
    {"7.2 %{t} in exp", "192.0.2.3", "a@example.com", SPF_MACRO_EXPLAIN, "%{t}",
        "1234567890"},
    {"7.2 %{c} not in domain-spec", "192.0.2.3", "a@example.com",
        SPF_MACRO_DOMAIN, "%{c}", NULL},
    {"7.2 %{r} not in domain-spec", "192.0.2.3", "a@example.com",
        SPF_MACRO_DOMAIN, "%{r}.example.com", NULL},
    {"7.2 %{t} not in domain-spec", "192.0.2.3", "a@example.com",
        SPF_MACRO_DOMAIN, "%{t}", NULL},
    /* §7.1 syntax errors */
    {"7.1 %( is an error", "192.0.2.3", "a@example.com", SPF_MACRO_DOMAIN,
        "-exists:%(ir).sbl.example.org", NULL},
    {"7.1 trailing % is an error", "192.0.2.3", "a@example.com",
        SPF_MACRO_DOMAIN, "foo%", NULL},
    {"7.1 unknown letter", "192.0.2.3", "a@example.com", SPF_MACRO_DOMAIN,
        "%{x}", NULL},
    {"7.1 unterminated", "192.0.2.3", "a@example.com", SPF_MACRO_DOMAIN, "%{d2",
        NULL},
    {"7.3 DIGIT zero", "192.0.2.3", "a@example.com", SPF_MACRO_DOMAIN, "%{d0}",
        NULL},
    {"7.1 bad delimiter", "192.0.2.3", "a@example.com", SPF_MACRO_DOMAIN,
        "%{d:}", NULL},
    {"7.1 space not in domain-spec", "192.0.2.3", "a@example.com",
        SPF_MACRO_DOMAIN, "a b", NULL},
    {"6.2 space in exp text", "192.0.2.3", "a@example.com", SPF_MACRO_EXPLAIN,
        "a b", "a b"},
    {"7.1 8-bit byte", "192.0.2.3", "a@example.com", SPF_MACRO_EXPLAIN,
        "\xef\xbb\xbfhello", NULL},
};

static const struct {
	const char *name;
	const char *spec;
	int ok;
} specs[] = {
    {"toplabel", "example.com", 1},
    {"trailing dot", "example.com.", 1},
    {"macro end", "%{d}", 1},
    {"macro then literal toplabel", "%{i}.bl.example.net", 1},
    {"dash toplabel", "foo.example.xn--zckzah", 1},
    {"colon and slash inside", "foo:bar/baz.example.com", 1},
    {"no dot", "museum", 0},
    {"no dot, trailing dot", "museum.", 0},
    {"numeric toplabel", "111.222.33.44", 0},
    {"numeric toplabel 2", "abc.123", 0},
    {"toplabel starts with dash", "example.-com", 0},
    {"toplabel with colon", "example.com:8080", 0},
    {"toplabel with slash", "example.com/24", 0},
    {"empty", "", 0},
    {"NUL byte", "foo.example.com\0", 0},
    {"macro then junk toplabel", "x.%{d}com", 0},
};

static const struct {
	const char *name;
	const char *in;
	const char *want; /* NULL: not a valid name */
} fits[] = {
    {"plain", "example.com", "example.com"},
    {"final dot dropped", "example.com.", "example.com"},
    {"empty label", "mail.example...com", NULL},
    {"label of 64",
        "a123456789012345678901234567890123456789012345678901"
        "234567890123.example.com",
        NULL},
    {"label of 63",
        "a12345678901234567890123456789012345678901234567890123456789012"
        ".example.com",
        "a12345678901234567890123456789012345678901234567890123456789012"
        ".example.com"},
    {"empty", "", NULL},
};

int
main(void)
{
	struct spf_macro_env env;
	struct spf_ip ip;
	struct vbuf out;
	enum vouch_status st;
	size_t i, off, n;
	char big[300];

	vbuf_init(&out, VOUCH_SPF_MAX_EXPANSION);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		env_for(
		    &env, &ip, rows[i].ip, rows[i].sender, "mail.example.net");
		vbuf_reset(&out);
		st = spf_macro_expand(&env, (const uint8_t *)rows[i].in,
		    strlen(rows[i].in), rows[i].kind, &out);
		if (rows[i].want == NULL)
			tap_check(st == VOUCH_ESYNTAX,
			    "%s: got %s, want syntax error", rows[i].name,
			    st == VOUCH_OK ? (char *)out.p
			                   : vouch_status_str(st));
		else
			tap_check(st == VOUCH_OK && out.p != NULL &&
			              strcmp((char *)out.p, rows[i].want) == 0,
			    "%s: got \"%s\" (%s), want \"%s\"", rows[i].name,
			    out.p ? (char *)out.p : "", vouch_status_str(st),
			    rows[i].want);
		/* The syntax check agrees with the expander. */
		tap_check((spf_macro_check((const uint8_t *)rows[i].in,
		               strlen(rows[i].in), rows[i].kind,
		               NULL) == VOUCH_OK) == (rows[i].want != NULL),
		    "%s: spf_macro_check agrees", rows[i].name);
	}
	vbuf_free(&out);

	/* The output is bounded: "%{s}" repeated past the cap is ELIMIT. */
	env_for(&env, &ip, "192.0.2.3", "strong-bad@email.example.com",
	    "mail.example.net");
	vbuf_init(&out, 64);
	st = spf_macro_expand(
	    &env, (const uint8_t *)"%{s}%{s}%{s}", 12, SPF_MACRO_DOMAIN, &out);
	tap_check(st == VOUCH_ELIMIT && out.len <= 64,
	    "7.3 expansion past the cap: got %s, %zu bytes, want ELIMIT",
	    vouch_status_str(st), out.len);
	vbuf_free(&out);

	for (i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		size_t len = strlen(specs[i].spec);

		if (strcmp(specs[i].name, "NUL byte") == 0)
			len++;
		st = spf_domain_spec_check((const uint8_t *)specs[i].spec, len);
		tap_check((st == VOUCH_OK) == specs[i].ok,
		    "7.1 domain-spec %s: got %s, want %s", specs[i].name,
		    vouch_status_str(st), specs[i].ok ? "valid" : "invalid");
	}

	for (i = 0; i < sizeof(fits) / sizeof(fits[0]); i++) {
		int r = spf_name_fit(
		    (const uint8_t *)fits[i].in, strlen(fits[i].in), &off, &n);

		if (fits[i].want == NULL)
			tap_check(r != 0, "name %s: got valid, want invalid",
			    fits[i].name);
		else
			tap_check(
			    r == 0 && n == strlen(fits[i].want) &&
			        memcmp(fits[i].in + off, fits[i].want, n) == 0,
			    "name %s: got %d \"%.*s\", want \"%s\"",
			    fits[i].name, r, r == 0 ? (int)n : 0,
			    r == 0 ? fits[i].in + off : "", fits[i].want);
	}
	/* RFC 7208 §7.3: a name over 253 bytes loses labels on the left. */
	for (i = 0; i < 30; i++)
		memcpy(big + i * 10, "abcdefghi.", 10);
	memcpy(big + 290, "example.c", 9);
	big[299] = '\0';
	n = 0;
	tap_check(spf_name_fit((const uint8_t *)big, 299, &off, &n) == 0 &&
	              n <= 253 && off % 10 == 0 && off + n == 299,
	    "7.3 truncation of a 299-byte name: got off %zu len %zu", off, n);
	return tap_done();
}
