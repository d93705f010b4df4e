/*
 * vouch check: the entry point, the report and its findings.  The parts
 * are in spf.c, dmarc.c, dkim.c and send.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <idn2.h>

#include "internal.h"
#include "spf/internal.h"

/* Ends a cut text with "..." so a reader sees it was cut. */
static void
mark_cut(char *dst, size_t cap)
{
	if (cap > 4)
		memcpy(dst + cap - 4, "...", 4);
}

static void
vformat(char *dst, size_t cap, const char *fmt, va_list ap)
{
	int n;

	n = vsnprintf(dst, cap, fmt, ap);
	if (n < 0)
		dst[0] = '\0';
	else if ((size_t)n >= cap)
		mark_cut(dst, cap);
}

struct vouch_check_finding *
check_vadd(struct check_ctx *c, enum vouch_check_area area,
    enum vouch_check_severity sev, const char *code, const char *fmt,
    va_list ap)
{
	struct vouch_check_finding *f;
	size_t i, same = 0;

	for (i = 0; i < c->r->nfindings; i++)
		same += strcmp(c->r->finding[i].code, code) == 0;
	if (c->r->nfindings >= VOUCH_CHECK_MAX_FINDINGS ||
	    same >= VOUCH_CHECK_MAX_SAME_CODE) {
		c->r->nfindings_dropped++;
		return NULL;
	}
	f = &c->r->finding[c->r->nfindings++];
	f->area = area;
	f->severity = sev;
	f->code = code;
	vformat(f->message, sizeof(f->message), fmt, ap);
	f->fix[0] = '\0';
	return f;
}

struct vouch_check_finding *
check_add(struct check_ctx *c, enum vouch_check_area area,
    enum vouch_check_severity sev, const char *code, const char *fmt, ...)
{
	struct vouch_check_finding *f;
	va_list ap;

	va_start(ap, fmt);
	f = check_vadd(c, area, sev, code, fmt, ap);
	va_end(ap);
	return f;
}

void
check_fix(struct vouch_check_finding *f, const char *fmt, ...)
{
	va_list ap;

	if (f == NULL)
		return;
	va_start(ap, fmt);
	vformat(f->fix, sizeof(f->fix), fmt, ap);
	va_end(ap);
}

void
check_text(char *dst, size_t cap, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < len && i + 1 < cap; i++)
		dst[i] = (p[i] >= 0x20 && p[i] < 0x7f) ? (char)p[i] : '?';
	dst[i] = '\0';
	if (i < len)
		mark_cut(dst, cap);
}

char *
check_strdup_text(const uint8_t *p, size_t len)
{
	char *s;

	if ((s = malloc(len + 1)) == NULL)
		return NULL;
	check_text(s, len + 1, p, len);
	return s;
}

int
check_name_eq(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t i;

	if (alen > 0 && a[alen - 1] == '.')
		alen--;
	if (blen > 0 && b[blen - 1] == '.')
		blen--;
	if (alen != blen)
		return 0;
	for (i = 0; i < alen; i++) {
		char x = a[i], y = b[i];

		if (x >= 'A' && x <= 'Z')
			x += 32;
		if (y >= 'A' && y <= 'Z')
			y += 32;
		if (x != y)
			return 0;
	}
	return 1;
}

/*
 * A domain name as the check takes it: labels of letters, digits, '-'
 * and '_' (selectors and _spf names use it), 1..63 bytes each, at most
 * 253 in all (RFC 1035 §2.3.4); U-labels are converted to A-labels (RFC
 * 5890 §2.3) first.  Copied lower case without a final dot into out
 * (VOUCH_DNS_MAX_NAME + 1 bytes).  0 or -1.
 */
static int
take_name(const char *p, size_t len, char *out)
{
	char in[VOUCH_ADDR_MAX_DOMAIN + 1], *ascii = NULL;
	size_t i, label = 0;
	int rv;

	for (i = 0; i < len && (unsigned char)p[i] < 0x80; i++)
		;
	if (i < len) {
		if (len > VOUCH_ADDR_MAX_DOMAIN || memchr(p, '\0', len))
			return -1;
		memcpy(in, p, len);
		in[len] = '\0';
		if (idn2_to_ascii_8z(in, &ascii,
		        IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL) != IDN2_OK)
			return -1;
		rv = strlen(ascii) < sizeof(in)
		         ? take_name(ascii, strlen(ascii), out)
		         : -1;
		idn2_free(ascii);
		return rv;
	}
	if (len > 0 && p[len - 1] == '.')
		len--;
	if (len == 0 || len > VOUCH_DNS_MAX_NAME)
		return -1;
	for (i = 0; i < len; i++) {
		char ch = p[i];

		if (ch == '.') {
			if (label == 0)
				return -1;
			label = 0;
		} else if ((ch >= 'a' && ch <= 'z') ||
		           (ch >= 'A' && ch <= 'Z') ||
		           (ch >= '0' && ch <= '9') || ch == '-' || ch == '_') {
			if (++label > VOUCH_DNS_MAX_LABEL)
				return -1;
		} else
			return -1;
		out[i] = (ch >= 'A' && ch <= 'Z') ? (char)(ch + 32) : ch;
	}
	if (label == 0)
		return -1;
	out[len] = '\0';
	return 0;
}

enum vouch_status
vouch_check_domain(struct vouch_dns *dns, const char *domain, size_t len,
    const struct vouch_check_options *opts, struct vouch_check_report **out)
{
	static const struct vouch_check_options noopts;
	char name[VOUCH_DNS_MAX_NAME + 1];
	struct check_ctx *c = NULL;
	struct spf_ip ip;
	enum vouch_status st = VOUCH_OK;
	size_t i;

	if (out != NULL)
		*out = NULL;
	if (dns == NULL || domain == NULL || out == NULL)
		return VOUCH_EINVAL;
	if (opts == NULL)
		opts = &noopts;
	if (take_name(domain, len, name) != 0 ||
	    opts->nselectors > VOUCH_CHECK_MAX_SELECTORS ||
	    (opts->nselectors > 0 && opts->selectors == NULL))
		return VOUCH_EINVAL;
	if (opts->ip != NULL &&
	    spf_ip_parse(opts->ip, strlen(opts->ip), &ip) != 0)
		return VOUCH_EINVAL;
	if (opts->via != NULL &&
	    take_name(opts->via, strlen(opts->via), name) != 0)
		return VOUCH_EINVAL;
	for (i = 0; i < opts->nselectors; i++)
		if (opts->selectors[i] == NULL ||
		    take_name(opts->selectors[i], strlen(opts->selectors[i]),
		        name) != 0)
			return VOUCH_EINVAL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return VOUCH_ENOMEM;
	if ((c->r = calloc(1, sizeof(*c->r))) == NULL) {
		st = VOUCH_ENOMEM;
		goto out;
	}
	(void)take_name(domain, len, c->r->domain);
	c->dns = dns;
	c->opts = opts;
	c->r->dmarc.pct = 100;

	check_lint_spf(c);
	if (c->err == VOUCH_OK)
		check_lint_dmarc(c);
	for (i = 0; i < opts->nselectors && c->err == VOUCH_OK; i++)
		check_lint_dkim(c, opts->selectors[i]);
	if (c->err == VOUCH_OK)
		check_dkim_ed25519(c);
	if (opts->nselectors == 0)
		check_add(c, VOUCH_CHECK_DKIM, VOUCH_CHECK_INFO,
		    "dkim-no-selector",
		    "no selector given: DKIM keys cannot be discovered, "
		    "name them with -s SELECTOR");
	if (c->err == VOUCH_OK && (opts->ip != NULL || opts->via != NULL))
		check_send(c);
	if ((st = c->err) != VOUCH_OK)
		goto out;
	*out = c->r;
	c->r = NULL;
out:
	vouch_check_report_free(c->r);
	free(c);
	return st;
}

void
vouch_check_report_free(struct vouch_check_report *r)
{
	if (r == NULL)
		return;
	free(r->spf.record);
	free(r->dmarc.record);
	free(r);
}

enum vouch_check_severity
vouch_check_worst(const struct vouch_check_report *r)
{
	enum vouch_check_severity worst = VOUCH_CHECK_INFO;
	size_t i;

	for (i = 0; r != NULL && i < r->nfindings; i++)
		if (r->finding[i].severity > worst)
			worst = r->finding[i].severity;
	return worst;
}

const char *
vouch_check_severity_str(enum vouch_check_severity s)
{
	switch (s) {
	case VOUCH_CHECK_INFO:
		return "info";
	case VOUCH_CHECK_WARNING:
		return "warning";
	case VOUCH_CHECK_ERROR:
		return "error";
	}
	return "unknown";
}

const char *
vouch_check_area_str(enum vouch_check_area a)
{
	switch (a) {
	case VOUCH_CHECK_SPF:
		return "spf";
	case VOUCH_CHECK_DMARC:
		return "dmarc";
	case VOUCH_CHECK_DKIM:
		return "dkim";
	case VOUCH_CHECK_SEND:
		return "send";
	}
	return "unknown";
}
