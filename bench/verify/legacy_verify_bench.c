/*
 * bench/verify: the same verdict as vouch_verify_message() made with the
 * libraries a Debian MTA uses today: libspf2 (SPF of MAIL FROM),
 * libopendkim (every signature, fed as its milter feeds it: header fields
 * one by one, then the body in 64 KiB chunks), libopendmarc (the policy,
 * with the SPF and DKIM results stored as facts and the Public Suffix List
 * for the organizational domain), and an Authentication-Results field
 * written with snprintf.  Every answer comes from memory, as from a warm
 * cache: libspf2's zone layer holds the SPF records, libopendkim's key
 * lookup callback returns the key records of keys.txt, and the DMARC
 * record is handed to opendmarc_policy_store_dmarc() (its own query would
 * go to the network through res_query()).
 *
 *   legacy_verify_bench DATADIR SECONDS [20k ALG legacy]
 *
 * measures both algorithms' rows, or the one of ALG (rsa, ed).
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>
#include <arpa/nameser.h>
#include <netdb.h>

#include <opendkim/dkim.h>
#include <opendmarc/dmarc.h>
#include <spf2/spf.h>
#include <spf2/spf_dns_zone.h>

#include "../bench.h"
#include "verify_bench.h"

#define CHUNK (64 * 1024)

static char keyrec[2][1024]; /* by algorithm, from keys.txt */

struct job {
	DKIM_LIB *dkim;
	SPF_server_t *spf;
	struct bench_msg msg;
};

static DKIM_CBSTAT
key_lookup(DKIM *dkim, DKIM_SIGINFO *sig, u_char *buf, size_t buflen)
{
	const char *sel = (const char *)dkim_sig_getselector(sig);
	size_t i, n;

	for (i = 0; i < 2; i++)
		if (strcmp(sel, bench_selectors[i]) == 0) {
			n = strlen(keyrec[i]);
			if (n >= buflen)
				return DKIM_CBSTAT_ERROR;
			memcpy(buf, keyrec[i], n + 1);
			return DKIM_CBSTAT_CONTINUE;
		}
	return DKIM_CBSTAT_NOTFOUND;
}

/* The domain of the From field (libopendkim's address parser). */
static int
from_domain(const struct bench_msg *m, char *out, size_t cap)
{
	char buf[1024];
	u_char *user, *domain;
	size_t i, n;

	for (i = 0; i < m->nfields; i++) {
		if (m->fieldlen[i] < 5 ||
		    strncasecmp((const char *)m->field[i], "From:", 5) != 0)
			continue;
		n = m->fieldlen[i] - 5;
		if (n >= sizeof(buf))
			return -1;
		memcpy(buf, m->field[i] + 5, n);
		buf[n] = '\0';
		if (dkim_mail_parse((u_char *)buf, &user, &domain) != 0 ||
		    domain == NULL || strlen((char *)domain) >= cap)
			return -1;
		memcpy(out, domain, strlen((char *)domain) + 1);
		return 0;
	}
	return -1;
}

static int
verify_one(void *arg)
{
	struct job *j = arg;
	SPF_request_t *req = NULL;
	SPF_response_t *resp = NULL;
	DMARC_POLICY_T *pctx = NULL;
	DKIM *dkim = NULL;
	DKIM_SIGINFO **sigs;
	DKIM_STAT st;
	char from[256], ar[2048];
	const char *d = "", *s = "";
	int nsigs = 0, k, dkim_pass = 0, spf_pass, rc = -1;
	size_t i, n;

	/* SPF, RFC 7208, MAIL FROM identity */
	if ((req = SPF_request_new(j->spf)) == NULL ||
	    SPF_request_set_ipv4_str(req, VB_CLIENT) != SPF_E_SUCCESS ||
	    SPF_request_set_helo_dom(req, VB_HELO) != SPF_E_SUCCESS ||
	    SPF_request_set_env_from(req, VB_MAIL_FROM) != 0)
		goto out;
	SPF_request_query_mailfrom(req, &resp);
	spf_pass = resp != NULL && SPF_response_result(resp) == SPF_RESULT_PASS;

	/* DKIM, every signature */
	if ((dkim = dkim_verify(j->dkim, (u_char *)"bench", NULL, &st)) == NULL)
		goto out;
	for (i = 0; i < j->msg.nfields; i++)
		if (dkim_header(dkim, (u_char *)j->msg.field[i],
		        j->msg.fieldlen[i]) != DKIM_STAT_OK)
			goto out;
	if (dkim_eoh(dkim) != DKIM_STAT_OK)
		goto out;
	for (i = 0; i < j->msg.bodylen; i += n) {
		n = j->msg.bodylen - i < CHUNK ? j->msg.bodylen - i : CHUNK;
		if (dkim_body(dkim, (u_char *)j->msg.body + i, n) !=
		    DKIM_STAT_OK)
			goto out;
	}
	if (dkim_eom(dkim, NULL) != DKIM_STAT_OK ||
	    dkim_getsiglist(dkim, &sigs, &nsigs) != DKIM_STAT_OK)
		goto out;

	/* DMARC, with SPF and DKIM as facts */
	if (from_domain(&j->msg, from, sizeof(from)) != 0)
		goto out;
	if ((pctx = opendmarc_policy_connect_init((u_char *)VB_CLIENT, 0)) ==
	        NULL ||
	    opendmarc_policy_store_from_domain(pctx, (u_char *)from) !=
	        DMARC_PARSE_OKAY)
		goto out;
	if (strcasecmp(from, VB_SPF_OWNER) != 0 ||
	    opendmarc_policy_store_dmarc(pctx, (u_char *)VB_DMARC_RECORD,
	        (u_char *)from, NULL) != DMARC_PARSE_OKAY)
		goto out;
	(void)opendmarc_policy_store_spf(pctx, (u_char *)VB_SPF_OWNER,
	    spf_pass ? DMARC_POLICY_SPF_OUTCOME_PASS
	             : DMARC_POLICY_SPF_OUTCOME_FAIL,
	    DMARC_POLICY_SPF_ORIGIN_MAILFROM, NULL);
	for (k = 0; k < nsigs; k++) {
		int pass = DKIM_SIG_CHECK(sigs[k]);

		if (pass) {
			dkim_pass = 1;
			d = (const char *)dkim_sig_getdomain(sigs[k]);
			s = (const char *)dkim_sig_getselector(sigs[k]);
		}
		(void)opendmarc_policy_store_dkim(pctx,
		    dkim_sig_getdomain(sigs[k]), dkim_sig_getselector(sigs[k]),
		    pass ? DMARC_POLICY_DKIM_OUTCOME_PASS
		         : DMARC_POLICY_DKIM_OUTCOME_FAIL,
		    NULL);
	}
	if (opendmarc_get_policy_to_enforce(pctx) != DMARC_POLICY_PASS ||
	    !spf_pass || !dkim_pass)
		goto out;
	snprintf(ar, sizeof(ar),
	    "Authentication-Results: %s;\r\n\tspf=pass smtp.mailfrom=%s;\r\n"
	    "\tdkim=pass header.d=%s header.s=%s;\r\n"
	    "\tdmarc=pass (p=reject) header.from=%s\r\n",
	    VB_AUTHSERV_ID, VB_MAIL_FROM, d, s, from);
	rc = 0;
out:
	if (pctx != NULL)
		opendmarc_policy_connect_shutdown(pctx);
	if (dkim != NULL)
		dkim_free(dkim);
	if (resp != NULL)
		SPF_response_free(resp);
	if (req != NULL)
		SPF_request_free(req);
	return rc;
}

static void
load_keys(const char *dir)
{
	size_t len, i;
	char *txt = (char *)bench_slurp(dir, "keys.txt", &len), *line, *next,
	     *sp;

	for (line = txt; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if ((sp = strchr(line, ' ')) == NULL)
			continue;
		*sp = '\0';
		for (i = 0; i < 2; i++)
			if (strncmp(line, bench_selectors[i],
			        strlen(bench_selectors[i])) == 0)
				snprintf(
				    keyrec[i], sizeof(keyrec[i]), "%s", sp + 1);
	}
	free(txt);
}

static SPF_server_t *
spf_server(void)
{
	SPF_dns_server_t *zone;
	SPF_server_t *spf;

	if ((zone = SPF_dns_zone_new(NULL, "bench", 0)) == NULL ||
	    SPF_dns_zone_add_str(zone, VB_SPF_OWNER, ns_t_txt, NETDB_SUCCESS,
	        VB_SPF_RECORD) != SPF_E_SUCCESS ||
	    SPF_dns_zone_add_str(zone, VB_SPF2_OWNER, ns_t_txt, NETDB_SUCCESS,
	        VB_SPF2_RECORD) != SPF_E_SUCCESS)
		errx(1, "libspf2 zone layer");
	if ((spf = SPF_server_new_dns(zone, 0)) == NULL)
		errx(1, "SPF_server_new_dns");
	return spf;
}

int
main(int argc, char *argv[])
{
	OPENDMARC_LIB_T lib;
	struct job j;
	const char *dir;
	double secs;
	size_t a, len;
	char name[64];
	uint8_t *raw;

	bench_args(argc, argv, "legacy_verify_bench", &dir, &secs);
	load_keys(dir);
	memset(&lib, 0, sizeof(lib));
	lib.tld_type = OPENDMARC_TLD_TYPE_MOZILLA;
	snprintf((char *)lib.tld_source_file, sizeof(lib.tld_source_file), "%s",
	    VB_PSL);
	if (opendmarc_policy_library_init(&lib) != DMARC_PARSE_OKAY)
		errx(1, "opendmarc_policy_library_init");
	memset(&j, 0, sizeof(j));
	if ((j.dkim = dkim_init(NULL, NULL)) == NULL)
		errx(1, "dkim_init");
	dkim_set_key_lookup(j.dkim, key_lookup);
	j.spf = spf_server();
	for (a = 0; a < 2; a++) {
		if (!bench_want("20k", bench_algs[a], "legacy"))
			continue;
		snprintf(name, sizeof(name), "msg-20k-%s.eml", bench_algs[a]);
		raw = bench_slurp(dir, name, &len);
		bench_split(raw, len, &j.msg);
		printf("legacy 20k %s verify %.1f\n", bench_algs[a],
		    bench_rate(verify_one, &j, secs, name));
		fflush(stdout);
		free(raw);
	}
	SPF_server_free(j.spf);
	dkim_close(j.dkim);
	opendmarc_policy_library_shutdown(&lib);
	return 0;
}
