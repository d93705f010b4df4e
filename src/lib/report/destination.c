/*
 * Report destinations at send time: mailto: URIs (RFC 6068) and the
 * external destination check of RFC 9990 §4, made again before each
 * delivery (the authorization may have been withdrawn since the message
 * was evaluated).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "internal.h"
#include "store/internal.h"

static int
hexv(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
		return (c | 0x20) - 'a' + 10;
	return -1;
}

int
report_mailto_address(const char *uri, char *out, size_t cap)
{
	const char *p;
	size_t n = 0;
	int at = 0, hi, lo;
	char c;

	if (cap == 0 || strncasecmp(uri, "mailto:", 7) != 0)
		return -1;
	for (p = uri + 7; *p && *p != '?'; p++) {
		c = *p;
		if (c == '%') {
			if ((hi = hexv(p[1])) < 0 || (lo = hexv(p[2])) < 0)
				return -1;
			c = (char)(hi << 4 | lo);
			p += 2;
		}
		/* one address: no list (','), no blanks, printable ASCII,
		 * nothing that could end an SMTP command or a header */
		if ((unsigned char)c <= 0x20 || (unsigned char)c >= 0x7f ||
		    c == ',' || c == '<' || c == '>' || c == '(' || c == ')' ||
		    c == '"' || c == '\\')
			return -1;
		if (c == '@')
			at++;
		if (n + 1 >= cap)
			return -1;
		out[n++] = c;
	}
	out[n] = '\0';
	if (at != 1 || out[0] == '@' || out[n - 1] == '@')
		return -1;
	return 0;
}

/* The lower-case domain of an address. */
static int
address_domain(const char *addr, char *out, size_t cap)
{
	const char *at = strrchr(addr, '@');

	if (at == NULL)
		return -1;
	return store_domain_check(at + 1, strlen(at + 1), out, cap);
}

static int
within(const char *name, const char *org)
{
	size_t n = strlen(name), o = strlen(org);

	if (o == 0)
		return 0;
	if (n == o)
		return strcmp(name, org) == 0;
	return n > o && name[n - o - 1] == '.' &&
	       strcmp(name + n - o, org) == 0;
}

/*
 * The authorizing record's rua= (step 9): every URI must be at the same
 * host, else neither the original nor the override is used.
 */
static int
take_override(const struct vouch_dmarc_record *rec, const char *host,
    char *repl, size_t cap)
{
	char addr[512], dom[VOUCH_DNS_MAX_NAME + 1];
	size_t i, len = 0, k;

	repl[0] = '\0';
	for (i = 0; i < rec->nrua; i++) {
		if (report_mailto_address(rec->rua[i].uri, addr, sizeof(addr)) <
		        0 ||
		    address_domain(addr, dom, sizeof(dom)) < 0 ||
		    strcmp(dom, host) != 0)
			return -1;
		k = strlen(rec->rua[i].uri);
		if (len + k + 2 > cap)
			continue; /* over our limit: that URI is not used */
		if (len > 0)
			repl[len++] = ',';
		memcpy(repl + len, rec->rua[i].uri, k + 1);
		len += k;
	}
	return 0;
}

enum vouch_status
report_check_destination(struct vouch_dmarc *d, struct vouch_dns *dns,
    const char *policy_domain, const char *uri, int *ok, int *temp, char *repl,
    size_t replcap)
{
	char addr[512], host[VOUCH_DNS_MAX_NAME + 1];
	char porg[VOUCH_DNS_MAX_NAME + 1], horg[VOUCH_DNS_MAX_NAME + 1];
	char qname[2 * VOUCH_DNS_MAX_NAME + 32];
	struct vouch_dns_answer *ans = NULL;
	struct vouch_dmarc_record rec;
	enum vouch_status st;
	size_t i;
	int ql;

	*ok = *temp = 0;
	repl[0] = '\0';
	if (report_mailto_address(uri, addr, sizeof(addr)) < 0 ||
	    address_domain(addr, host, sizeof(host)) < 0)
		return VOUCH_EINVAL;
	st = vouch_dmarc_org_domain(
	    d, dns, policy_domain, strlen(policy_domain), porg, sizeof(porg));
	if (st == VOUCH_ETEMP) {
		*temp = 1;
		return VOUCH_OK;
	}
	if (st != VOUCH_OK)
		return st == VOUCH_ENOMEM ? st : VOUCH_EINVAL;
	if (within(host, porg)) {
		*ok = 1;
		return VOUCH_OK;
	}
	st = vouch_dmarc_org_domain(
	    d, dns, host, strlen(host), horg, sizeof(horg));
	if (st == VOUCH_ETEMP) {
		*temp = 1;
		return VOUCH_OK;
	}
	if (st == VOUCH_ENOMEM)
		return st;
	if (st == VOUCH_OK && porg[0] != '\0' && strcmp(horg, porg) == 0) {
		*ok = 1;
		return VOUCH_OK;
	}
	/* steps 2-4: <policy domain>._report._dmarc.<host>, within limits */
	ql = snprintf(
	    qname, sizeof(qname), "%s._report._dmarc.%s", policy_domain, host);
	if (ql < 0 || ql > VOUCH_DNS_MAX_NAME)
		return VOUCH_OK;
	if ((st = vouch_dns_query(
	         dns, qname, (size_t)ql, VOUCH_DNS_TXT, &ans)) != VOUCH_OK)
		return st;
	if (ans->rcode == VOUCH_DNS_TEMPFAIL)
		*temp = 1; /* step 5: try again later */
	for (i = 0; ans->rcode == VOUCH_DNS_ANSWER && i < ans->nrr && !*ok;
	     i++) {
		if (ans->rr[i].type != VOUCH_DNS_TXT)
			continue;
		/* step 6: v=DMARC1 first, else discarded */
		if (vouch_dmarc_record_parse(
		        ans->rr[i].data, ans->rr[i].len, &rec) != VOUCH_OK) {
			vouch_dmarc_record_free(&rec);
			continue;
		}
		if (take_override(&rec, host, repl, replcap) == 0)
			*ok = 1; /* step 8 */
		else
			*temp = 0; /* "MUST NOT generate a report to either" */
		vouch_dmarc_record_free(&rec);
		if (!*ok)
			break;
	}
	vouch_dns_answer_free(ans);
	return VOUCH_OK;
}
