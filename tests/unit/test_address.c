/*
 * Unit tests of the From: address parser (src/lib/mail/address.c): a table
 * of ordinary, tricky and hostile From fields and the domains they hold
 * (RFC 5322 §3.4, §4.4; RFC 7489 §6.6.1).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail/address.h"
#include "tap.h"

static const struct {
	const char *name;
	const char *field;
	size_t len;
	enum vouch_status want;
	const char *domains; /* joined with "|" */
} rows[] = {
#define R(name, field, want, domains) \
	{ \
		name, field, sizeof(field) - 1, want, domains \
	}
    R("plain addr-spec", "From: a@example.com\r\n", VOUCH_OK, "example.com"),
    R("name-addr", "From: Alice <a@example.com>\r\n", VOUCH_OK, "example.com"),
    R("quoted display name with comma",
        "From: \"Doe, Jane\" <j@example.org>\r\n", VOUCH_OK, "example.org"),
    R("quoted display name holding an address and angle brackets",
        "From: \"ceo@victim.example <ceo@victim.example>\" "
        "<x@attacker.example>\r\n",
        VOUCH_OK, "attacker.example"),
    R("escaped quotes in display name",
        "From: \"\\\"Acme, Inc.\\\" via Lists\" <news@example.org>\r\n",
        VOUCH_OK, "example.org"),
    R("comment holding an address after addr-spec",
        "From: news@example.org (Acme, Inc. <sales@example.net>)\r\n", VOUCH_OK,
        "example.org"),
    R("nested comments", "From: a@example.com (x (y (z)) w)\r\n", VOUCH_OK,
        "example.com"),
    R("comment inside the domain", "From: a@(c)example.(d)com\r\n", VOUCH_OK,
        "example.com"),
    R("folded field", "From: Alice\r\n <a@example.com>\r\n", VOUCH_OK,
        "example.com"),
    R("bare LF line end", "From: a@example.com\n", VOUCH_OK, "example.com"),
    R("quoted local part with @", "From: \"a@b\"@example.com\r\n", VOUCH_OK,
        "example.com"),
    R("two mailboxes", "From: a@one.example, B <b@two.example>\r\n", VOUCH_OK,
        "one.example|two.example"),
    R("obsolete empty list elements", "From: ,a@one.example,,\r\n", VOUCH_OK,
        "one.example"),
    R("obs-phrase with dots", "From: John Q. Public <j@example.com>\r\n",
        VOUCH_OK, "example.com"),
    R("obs-route", "From: <@relay.example,@r2.example:a@example.com>\r\n",
        VOUCH_OK, "example.com"),
    R("group with members", "From: team: a@one.example, b@two.example;\r\n",
        VOUCH_OK, "one.example|two.example"),
    R("empty group", "From: undisclosed-recipients:;\r\n", VOUCH_OK, ""),
    R("encoded word with comma and @ in display name",
        "From: =?utf-8?Q?Evil,_<x@evil.example>?= <a@good.example>\r\n",
        VOUCH_OK, "good.example"),
    R("UTF-8 domain (RFC 6532)",
        "From: a@b\xc3\xbc"
        "cher.example\r\n",
        VOUCH_OK,
        "b\xc3\xbc"
        "cher.example"),
    R("domain literal", "From: a@[192.0.2.1]\r\n", VOUCH_OK, "[192.0.2.1]"),
    R("trailing dot kept", "From: a@example.com.\r\n", VOUCH_OK,
        "example.com."),
    R("obsolete space before colon", "From : a@example.com\r\n", VOUCH_OK,
        "example.com"),
    R("display name only", "From: \"Test User\"\r\n", VOUCH_ESYNTAX, ""),
    R("empty field", "From:\r\n", VOUCH_OK, ""),
    R("unbalanced angle: no closing", "From: A <a@example.com\r\n",
        VOUCH_ESYNTAX, ""),
    R("unbalanced angle: extra closing", "From: a@example.com>\r\n",
        VOUCH_ESYNTAX, ""),
    R("unquoted address as display name",
        "From: ceo@victim.example <x@attacker.example>\r\n", VOUCH_ESYNTAX, ""),
    R("two angle addresses", "From: <a@one.example> <b@two.example>\r\n",
        VOUCH_ESYNTAX, ""),
    R("unterminated quote", "From: \"abc <a@example.com>\r\n", VOUCH_ESYNTAX,
        ""),
    R("unterminated comment", "From: a@example.com (abc\r\n", VOUCH_ESYNTAX,
        ""),
    R("no domain", "From: a@\r\n", VOUCH_ESYNTAX, ""),
    R("no local part", "From: @example.com\r\n", VOUCH_ESYNTAX, ""),
    R("empty angle", "From: <>\r\n", VOUCH_ESYNTAX, ""),
    R("group in a group", "From: g: h: a@x.example;;\r\n", VOUCH_ESYNTAX, ""),
    R("unterminated group", "From: g: a@x.example\r\n", VOUCH_ESYNTAX, ""),
    R("no colon", "From a@example.com\r\n", VOUCH_ESYNTAX, ""),
    R("NUL byte in domain", "From: a@exa\0mple.com\r\n", VOUCH_ESYNTAX, ""),
};

/*
 * The local part of each mailbox, as it means (RFC 5322 §3.4.1): quotes,
 * quoted-pairs, comments and folding removed.  "~" marks a local part
 * over VOUCH_ADDR_MAX_LOCAL, not kept.
 */
static const struct {
	const char *name;
	const char *field;
	size_t len;
	const char *locals; /* joined with "|" */
} local_rows[] = {
#define L(name, field, locals) \
	{ \
		name, field, sizeof(field) - 1, locals \
	}
    L("dot-atom local part", "From: Alice.Smith@example.com\r\n",
        "Alice.Smith"),
    L("local part in angle brackets", "From: A <alice+tag@example.com>\r\n",
        "alice+tag"),
    L("quoted local part means its characters",
        "From: \"alice\"@example.com\r\n", "alice"),
    L("quoted local part with @ and space", "From: \"a@b c\"@example.com\r\n",
        "a@b c"),
    L("quoted-pair in a quoted local part", "From: \"a\\\"b\"@example.com\r\n",
        "a\"b"),
    L("obs-local-part with CFWS around the dot",
        "From: john (x) . doe@example.com\r\n", "john.doe"),
    L("display name is not the local part",
        "From: \"bob@victim.example\" <x@attacker.example>\r\n", "x"),
    L("obs-route before the local part",
        "From: <@relay.example:a@example.com>\r\n", "a"),
    L("every mailbox of a list and a group",
        "From: a@one.example, g: \"b\"@two.example, C <c@x.example>;\r\n",
        "a|b|c"),
    L("UTF-8 local part (RFC 6532)", "From: j\xc3\xb6rg@example.com\r\n",
        "j\xc3\xb6rg"),
};

static void
joined_locals(const struct mail_mailbox_list *l, char *buf, size_t cap)
{
	size_t i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < l->n; i++) {
		int w = snprintf(buf + n, cap - n, "%s%.*s%s", i ? "|" : "",
		    (int)l->mb[i].locallen, (const char *)l->mb[i].local,
		    l->mb[i].local_toolong ? "~" : "");

		if (w < 0 || (size_t)w >= cap - n)
			return;
		n += (size_t)w;
	}
}

/*
 * RFC 5322 alone (flags 0) against a reader that takes an RFC 2047
 * encoded-word for one word (MAIL_FROM_LENIENT): where they differ, a
 * reader shows another author than the grammar holds (RFC 9989 §11.5,
 * doc/threat-model.md class 4).
 */
static const struct {
	const char *name;
	const char *field;
	enum vouch_status want_rfc, want_reader;
	const char *rfc, *reader; /* domains joined with "|" */
} readings[] = {
    {"encoded-word look-alike: RFC 5322 3.2.3 reads the victim's address",
        "From: =?utf-8?q?ceo@victim.example,?= <a@attacker.example>\r\n",
        VOUCH_OK, VOUCH_OK, "victim.example|attacker.example",
        "attacker.example"},
    {"encoded-word with @ and no comma: RFC 5322 3.4 does not parse it",
        "From: =?utf-8?q?ceo@victim.example?= <a@attacker.example>\r\n",
        VOUCH_ESYNTAX, VOUCH_OK, "", "attacker.example"},
    {"encoded-word with a raw comma: not RFC 5322",
        "From: =?utf-8?Q?Evil,_<x@evil.example>?= <a@good.example>\r\n",
        VOUCH_ESYNTAX, VOUCH_OK, "", "good.example"},
    {"well-formed encoded-word: both read the same",
        "From: =?utf-8?q?J=C3=B6rg?= <j@example.com>\r\n", VOUCH_OK, VOUCH_OK,
        "example.com", "example.com"},
    {"base64 encoded-word: both read the same",
        "From: =?UTF-8?B?SsO2cmcgKyBBbm4=?= <j@example.com>\r\n", VOUCH_OK,
        VOUCH_OK, "example.com", "example.com"},
    {"encoded-word in a quoted string: both read the same",
        "From: \"=?utf-8?q?ceo@victim.example?=\" <a@attacker.example>\r\n",
        VOUCH_OK, VOUCH_OK, "attacker.example", "attacker.example"},
};

static void
joined(const struct mail_mailbox_list *l, char *buf, size_t cap)
{
	size_t i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < l->n; i++) {
		int w = snprintf(buf + n, cap - n, "%s%.*s", i ? "|" : "",
		    (int)l->mb[i].domainlen, (const char *)l->mb[i].domain);

		if (w < 0 || (size_t)w >= cap - n)
			return;
		n += (size_t)w;
	}
}

int
main(void)
{
	static const size_t depths[] = {33, 100, 5000};
	struct mail_mailbox_list *l = malloc(sizeof(*l));
	char got[4096], big[70000];
	enum vouch_status st;
	const char *why;
	size_t i, n, k;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		n = rows[i].len;
		st =
		    mail_from_parse((const uint8_t *)rows[i].field, n, l, &why);
		joined(l, got, sizeof(got));
		tap_check(
		    st == rows[i].want &&
		        (st != VOUCH_OK || strcmp(got, rows[i].domains) == 0),
		    "%s: got %s \"%s\"%s%s, want %s \"%s\"", rows[i].name,
		    vouch_status_str(st), st == VOUCH_OK ? got : "",
		    st != VOUCH_OK ? " " : "", st != VOUCH_OK ? why : "",
		    vouch_status_str(rows[i].want), rows[i].domains);
	}

	for (i = 0; i < sizeof(local_rows) / sizeof(local_rows[0]); i++) {
		st = mail_from_parse((const uint8_t *)local_rows[i].field,
		    local_rows[i].len, l, &why);
		joined_locals(l, got, sizeof(got));
		tap_check(
		    st == VOUCH_OK && strcmp(got, local_rows[i].locals) == 0,
		    "local part: %s: got %s \"%s\", want OK \"%s\"",
		    local_rows[i].name, vouch_status_str(st), got,
		    local_rows[i].locals);
	}

	/* A local part over the limit is dropped, the domain is kept. */
	n = (size_t)snprintf(big, sizeof(big), "From: ");
	for (i = 0; i < VOUCH_ADDR_MAX_LOCAL + 1; i++)
		big[n++] = 'a';
	n += (size_t)snprintf(big + n, sizeof(big) - n, "@example.com\r\n");
	st = mail_from_parse((const uint8_t *)big, n, l, &why);
	joined(l, got, sizeof(got));
	tap_check(st == VOUCH_OK && l->n == 1 && l->mb[0].local_toolong &&
	              l->mb[0].locallen == 0 && strcmp(got, "example.com") == 0,
	    "local part over %d bytes: got %s toolong=%d domain \"%s\", want "
	    "OK toolong=1 domain \"example.com\"",
	    VOUCH_ADDR_MAX_LOCAL, vouch_status_str(st),
	    l->n ? l->mb[0].local_toolong : -1, got);

	/*
	 * What the sender controls is read to the end, not refused at a
	 * limit (doc/threat-model.md, classes 3 and 5): comments nested any
	 * depth (counted, not recursed), mailboxes past the ones kept
	 * (counted).  A domain longer than any name is still refused.
	 */
	for (k = 0; k < sizeof(depths) / sizeof(depths[0]); k++) {
		n = (size_t)snprintf(big, sizeof(big), "From: a@example.com ");
		for (i = 0; i < depths[k]; i++)
			big[n++] = '(';
		for (i = 0; i < depths[k]; i++)
			big[n++] = ')';
		st = mail_from_parse((const uint8_t *)big, n, l, &why);
		joined(l, got, sizeof(got));
		tap_check(st == VOUCH_OK && strcmp(got, "example.com") == 0,
		    "RFC 5322 3.2.2: comments nested %zu deep are read: got %s "
		    "\"%s\", want OK \"example.com\"",
		    depths[k], vouch_status_str(st), got);
	}

	n = (size_t)snprintf(big, sizeof(big), "From: ");
	for (i = 0; i < VOUCH_FROM_MAX_MAILBOXES + 5; i++)
		n += (size_t)snprintf(
		    big + n, sizeof(big) - n, "a@x%zu.example,", i);
	st = mail_from_parse((const uint8_t *)big, n, l, &why);
	tap_check(st == VOUCH_OK && l->n == VOUCH_FROM_MAX_MAILBOXES &&
	              l->ntotal == VOUCH_FROM_MAX_MAILBOXES + 5,
	    "%d mailboxes: read to the end, %d kept: got %s n=%zu ntotal=%zu",
	    VOUCH_FROM_MAX_MAILBOXES + 5, VOUCH_FROM_MAX_MAILBOXES,
	    vouch_status_str(st), l->n, l->ntotal);

	n = (size_t)snprintf(big, sizeof(big), "From: a@");
	for (i = 0; i < VOUCH_ADDR_MAX_DOMAIN + 10; i++)
		big[n++] = 'a';
	st = mail_from_parse((const uint8_t *)big, n, l, &why);
	tap_check(st == VOUCH_ELIMIT,
	    "domain over %d bytes: got %s, want "
	    "ELIMIT",
	    VOUCH_ADDR_MAX_DOMAIN, vouch_status_str(st));

	for (i = 0; i < sizeof(readings) / sizeof(readings[0]); i++) {
		enum vouch_status s1, s2;
		char got2[4096];

		n = strlen(readings[i].field);
		s1 = mail_from_parse_mode(
		    (const uint8_t *)readings[i].field, n, 0, l, &why);
		joined(l, got, sizeof(got));
		if (s1 != VOUCH_OK)
			got[0] = '\0';
		s2 = mail_from_parse_mode((const uint8_t *)readings[i].field, n,
		    MAIL_FROM_LENIENT, l, &why);
		joined(l, got2, sizeof(got2));
		if (s2 != VOUCH_OK)
			got2[0] = '\0';
		tap_check(s1 == readings[i].want_rfc &&
		              s2 == readings[i].want_reader &&
		              strcmp(got, readings[i].rfc) == 0 &&
		              strcmp(got2, readings[i].reader) == 0,
		    "%s: got RFC %s \"%s\", reader %s \"%s\"; want %s \"%s\", "
		    "%s \"%s\"",
		    readings[i].name, vouch_status_str(s1), got,
		    vouch_status_str(s2), got2,
		    vouch_status_str(readings[i].want_rfc), readings[i].rfc,
		    vouch_status_str(readings[i].want_reader),
		    readings[i].reader);
	}

	/*
	 * The local part as it means (quotes removed): what a reader shows
	 * with the domain, hidden code points kept for the DMARC check.
	 */
	{
		static const char *const f[][2] = {
		    {"From: Al <al.ice@example.com>\r\n", "al.ice"},
		    {"From: \"a b\"@example.com\r\n", "a b"},
		    {"From: x@example.com, B <b\xe2\x80\x8b@two.example>\r\n",
		        "b\xe2\x80\x8b"},
		};

		for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
			st = mail_from_parse(
			    (const uint8_t *)f[i][0], strlen(f[i][0]), l, &why);
			k = st == VOUCH_OK && l->n > 0 ? l->n - 1 : 0;
			tap_check(st == VOUCH_OK &&
			              l->mb[k].locallen == strlen(f[i][1]) &&
			              memcmp(l->mb[k].local, f[i][1],
			                  l->mb[k].locallen) == 0,
			    "local part of the last mailbox, row %zu: as it "
			    "means",
			    i);
		}
	}

	/* The header scanner: From fields only, up to the empty line. */
	{
		static const char hdr[] =
		    "Received: x\r\nFROM: a@one.example\r\nSubject: From: "
		    "no\r\nFrom:\r\n b@two.example\r\n\r\nFrom: body@x\r\n";
		struct mail_field_span sp[4];
		size_t ns, nf;

		st = mail_find_fields((const uint8_t *)hdr, sizeof(hdr) - 1,
		    "From", 4, sp, 4, &ns, &nf);
		tap_check(
		    st == VOUCH_OK && nf == 2 && ns == 2 &&
		        sp[1].len == strlen("From:\r\n b@two.example\r\n"),
		    "find From fields: got %s %zu fields, want OK 2",
		    vouch_status_str(st), nf);
	}
	free(l);
	return tap_done();
}
