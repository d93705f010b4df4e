/*
 * Unit tests of check_host() through the public API (src/lib/spf/check.c,
 * output.c) on an in-memory zone: verdicts, the result fields, the
 * Received-SPF field (RFC 7208 §9.1), the resinfo (RFC 8601 §2.7.2), and
 * the two caches (an answer is asked once; a result that used a sender
 * macro is not kept, RFC 7208 §7.3).
 */
#include <pthread.h>
#include <string.h>

#include "tap.h"
#include "vouch/vouch.h"

static const char zone[] =
    "$ORIGIN .\n$TTL 300\n"
    "example.com. IN TXT \"v=spf1 ip4:192.0.2.0/24 -all "
    "exp=why.example.com\"\n"
    "why.example.com. IN TXT \"%{i} may not send for %{d}\"\n"
    "user.example.com. IN TXT \"v=spf1 exists:%{l}.u.example.com -all\"\n"
    "bob.u.example.com. IN A 127.0.0.2\n"
    "helo.example.net. IN TXT \"v=spf1 a -all\"\n"
    "helo.example.net. IN A 198.51.100.4\n"
    "loop.example.com. IN TXT \"v=spf1 include:loop.example.com\"\n"
    "$TIMEOUT slow.example.com.\n";

static struct vouch_spf_request
req(const char *ip, const char *mf, const char *helo,
    enum vouch_spf_identity id)
{
	struct vouch_spf_request r;

	memset(&r, 0, sizeof(r));
	r.ip = ip;
	r.ip_len = strlen(ip);
	r.mail_from = mf;
	r.mail_from_len = strlen(mf);
	r.helo = helo;
	r.helo_len = strlen(helo);
	r.receiver = "mx.receiver.example";
	r.receiver_len = strlen(r.receiver);
	r.identity = id;
	return r;
}

static const struct {
	const char *name;
	const char *ip, *mf, *helo;
	enum vouch_spf_identity id;
	enum vouch_spf_verdict want;
	const char *domain, *sender, *mechanism, *explanation;
} rows[] = {
    {"4.6 pass by ip4", "192.0.2.7", "a@example.com", "h.example.net",
        VOUCH_SPF_MAILFROM, VOUCH_SPF_PASS, "example.com", "a@example.com",
        "ip4:192.0.2.0/24", ""},
    {"6.2 fail with exp=", "203.0.113.1", "a@example.com", "h.example.net",
        VOUCH_SPF_MAILFROM, VOUCH_SPF_FAIL, "example.com", "a@example.com",
        "-all", "203.0.113.1 may not send for example.com"},
    {"2.4 null sender is postmaster@HELO", "198.51.100.4", "",
        "helo.example.net", VOUCH_SPF_MAILFROM, VOUCH_SPF_PASS,
        "helo.example.net", "postmaster@helo.example.net", "a", ""},
    {"2.3 HELO identity", "198.51.100.5", "a@example.com", "helo.example.net",
        VOUCH_SPF_HELO, VOUCH_SPF_FAIL, "helo.example.net",
        "postmaster@helo.example.net", "-all",
        "198.51.100.5 is not one of helo.example.net's designated mail "
        "servers."},
    {"4.3 no local-part", "192.0.2.7", "@example.com", "h.example.net",
        VOUCH_SPF_MAILFROM, VOUCH_SPF_PASS, "example.com",
        "postmaster@example.com", "ip4:192.0.2.0/24", ""},
    {"4.3 no record is none", "192.0.2.7", "a@nowhere.example.org",
        "h.example.net", VOUCH_SPF_MAILFROM, VOUCH_SPF_NONE,
        "nowhere.example.org", "a@nowhere.example.org", "", ""},
    {"4.4 timeout is temperror", "192.0.2.7", "a@slow.example.com",
        "h.example.net", VOUCH_SPF_MAILFROM, VOUCH_SPF_TEMPERROR,
        "slow.example.com", "a@slow.example.com", "", ""},
    {"4.6.4 include loop is permerror", "192.0.2.7", "a@loop.example.com",
        "h.example.net", VOUCH_SPF_MAILFROM, VOUCH_SPF_PERMERROR,
        "loop.example.com", "a@loop.example.com", "", ""},
    {"7.3 %{l} in exists", "192.0.2.7", "bob@user.example.com", "h.example.net",
        VOUCH_SPF_MAILFROM, VOUCH_SPF_PASS, "user.example.com",
        "bob@user.example.com", "exists:%{l}.u.example.com", ""},
};

/* One thread's share of the parallel test: checks that must agree. */
struct worker {
	struct vouch_spf *spf;
	int bad;
};

static void *
work(void *arg)
{
	static const char *const ips[] = {
	    "192.0.2.7", "203.0.113.1", "198.51.100.4"};
	static const enum vouch_spf_verdict want[] = {
	    VOUCH_SPF_PASS, VOUCH_SPF_FAIL, VOUCH_SPF_FAIL};
	struct worker *w = arg;
	struct vouch_spf_request r;
	struct vouch_spf_result res;
	int i;

	for (i = 0; i < 3000; i++) {
		memset(&r, 0, sizeof(r));
		r.ip = ips[i % 3];
		r.ip_len = strlen(r.ip);
		r.mail_from =
		    (i & 4) ? "bob@user.example.com" : "a@example.com";
		r.mail_from_len = strlen(r.mail_from);
		if (vouch_spf_check(w->spf, &r, &res) != VOUCH_OK)
			w->bad++;
		else if ((i & 4) == 0 && res.verdict != want[i % 3])
			w->bad++;
		else if ((i & 4) != 0 && res.verdict != VOUCH_SPF_PASS)
			w->bad++;
	}
	return NULL;
}

/* A check whose status must be VOUCH_OK. */
static void
run(struct vouch_spf *spf, const struct vouch_spf_request *r,
    struct vouch_spf_result *res)
{
	enum vouch_status st = vouch_spf_check(spf, r, res);

	if (st != VOUCH_OK)
		tap_check(0, "vouch_spf_check: got %s, want ok",
		    vouch_status_str(st));
}

int
main(void)
{
	struct vouch_dns *dns;
	struct vouch_spf *spf;
	struct vouch_spf_request r;
	struct vouch_spf_result res;
	char err[256], field[4096];
	unsigned long n0;
	size_t i;
	int good;

	if (vouch_dns_zone_new_mem("test", (const uint8_t *)zone,
	        sizeof(zone) - 1, &dns, err, sizeof(err)) != VOUCH_OK ||
	    vouch_spf_new(dns, &spf) != VOUCH_OK) {
		tap_check(0, "zone and handle: %s", err);
		return tap_done();
	}
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		r = req(rows[i].ip, rows[i].mf, rows[i].helo, rows[i].id);
		good = vouch_spf_check(spf, &r, &res) == VOUCH_OK &&
		       res.verdict == rows[i].want &&
		       strcmp(res.domain, rows[i].domain) == 0 &&
		       strcmp(res.sender, rows[i].sender) == 0 &&
		       strcmp(res.mechanism, rows[i].mechanism) == 0 &&
		       strcmp(res.explanation, rows[i].explanation) == 0;
		tap_check(good,
		    "%s: got %s domain=%s sender=%s mechanism=%s exp=\"%s\" "
		    "(%s), want %s",
		    rows[i].name, vouch_spf_verdict_str(res.verdict),
		    res.domain, res.sender, res.mechanism, res.explanation,
		    res.reason, vouch_spf_verdict_str(rows[i].want));
	}

	/* RFC 7208 §9.1 and RFC 8601 §2.7.2 texts. */
	r = req("203.0.113.1", "a@example.com", "h.example.net",
	    VOUCH_SPF_MAILFROM);
	run(spf, &r, &res);
	good = vouch_spf_received(&r, &res, field, sizeof(field), NULL) ==
	       VOUCH_OK;
	tap_check(
	    good &&
	        strcmp(field,
	            "Received-SPF: fail (mx.receiver.example: domain of "
	            "a@example.com does not designate 203.0.113.1 as permitted "
	            "sender) receiver=mx.receiver.example; "
	            "client-ip=203.0.113.1; envelope-from=\"a@example.com\"; "
	            "helo=h.example.net; identity=mailfrom; "
	            "mechanism=-all;") == 0,
	    "9.1 Received-SPF: got %s", field);
	good = vouch_spf_resinfo(&res, field, sizeof(field), NULL) == VOUCH_OK;
	tap_check(
	    good && strcmp(field, "spf=fail smtp.mailfrom=example.com") == 0,
	    "9.2 resinfo: got %s", field);
	tap_check(
	    vouch_spf_received(&r, &res, field, 20, NULL) == VOUCH_ELIMIT &&
	        field[0] == '\0',
	    "9.1 Received-SPF into a small buffer is ELIMIT");

	/* The caches: a repeated check asks no new question ... */
	r = req(
	    "192.0.2.9", "x@example.com", "h.example.net", VOUCH_SPF_MAILFROM);
	run(spf, &r, &res);
	n0 = vouch_dns_nqueries(dns);
	run(spf, &r, &res);
	tap_check(
	    res.verdict == VOUCH_SPF_PASS && vouch_dns_nqueries(dns) == n0,
	    "7.3 repeated check from the caches: %lu new queries",
	    vouch_dns_nqueries(dns) - n0);
	/* ... a result that used %{l} is not reused for another sender. */
	r = req("192.0.2.7", "eve@user.example.com", "h.example.net",
	    VOUCH_SPF_MAILFROM);
	run(spf, &r, &res);
	tap_check(res.verdict == VOUCH_SPF_FAIL,
	    "7.3 %%{l} result not reused across senders: got %s",
	    vouch_spf_verdict_str(res.verdict));
	/* ... with the answer cache alone, the kept parse gives the same. */
	vouch_spf_set_cache(spf, VOUCH_SPF_CACHE_DNS);
	r = req("203.0.113.1", "a@example.com", "h.example.net",
	    VOUCH_SPF_MAILFROM);
	run(spf, &r, &res);
	n0 = vouch_dns_nqueries(dns);
	run(spf, &r, &res);
	tap_check(res.verdict == VOUCH_SPF_FAIL &&
	              strcmp(res.mechanism, "-all") == 0 &&
	              strcmp(res.explanation,
	                  "203.0.113.1 may not send for example.com") == 0 &&
	              vouch_dns_nqueries(dns) == n0,
	    "answer cache: same fail and explanation, %lu new queries",
	    vouch_dns_nqueries(dns) - n0);
	/* ... and with the caches off every check asks again. */
	vouch_spf_set_cache(spf, 0);
	r = req(
	    "192.0.2.9", "x@example.com", "h.example.net", VOUCH_SPF_MAILFROM);
	n0 = vouch_dns_nqueries(dns);
	run(spf, &r, &res);
	tap_check(res.verdict == VOUCH_SPF_PASS && vouch_dns_nqueries(dns) > n0,
	    "caches off: the resolver is asked (%lu queries)",
	    vouch_dns_nqueries(dns) - n0);

	/* Eight threads on one handle: pooled contexts, both caches. */
	{
		struct worker w[8];
		pthread_t th[8];
		int k, bad = 0;

		vouch_spf_set_cache(
		    spf, VOUCH_SPF_CACHE_DNS | VOUCH_SPF_CACHE_RESULTS);
		for (k = 0; k < 8; k++) {
			w[k].spf = spf;
			w[k].bad = 0;
			pthread_create(&th[k], NULL, work, &w[k]);
		}
		for (k = 0; k < 8; k++) {
			pthread_join(th[k], NULL);
			bad += w[k].bad;
		}
		tap_check(bad == 0,
		    "8 threads x 3000 checks on one handle: %d wrong", bad);
	}

	r = req("not-an-ip", "a@example.com", "h", VOUCH_SPF_MAILFROM);
	tap_check(vouch_spf_check(spf, &r, &res) == VOUCH_EINVAL,
	    "a bad client address is EINVAL");
	tap_check(
	    vouch_spf_set_default_explanation(spf, "bad %", 5) == VOUCH_ESYNTAX,
	    "6.2 a default explanation with bad macro syntax is refused");
	tap_check(
	    vouch_spf_set_default_explanation(spf, NULL, 5) == VOUCH_EINVAL,
	    "a default explanation NULL with a length is EINVAL");
	{
		char line[16];

		tap_check(vouch_spf_received(NULL, &res, line, sizeof(line),
		              NULL) == VOUCH_EINVAL &&
		              vouch_spf_resinfo(NULL, line, sizeof(line),
		                  NULL) == VOUCH_EINVAL,
		    "9.1/9.2 Received-SPF and resinfo of no result are EINVAL");
		tap_check(
		    vouch_spf_resinfo(&res, line, 0, NULL) == VOUCH_ELIMIT,
		    "9.2 resinfo into 0 bytes is ELIMIT");
	}
	vouch_spf_free(spf);
	vouch_spf_free(NULL);
	vouch_dns_free(dns);
	return tap_done();
}
