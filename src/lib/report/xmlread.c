/*
 * The aggregate-report XML reader (RFC 7489 Appendix C, RFC 9990 §3.1):
 * libxml2's streaming xmlTextReader, one node at a time, into the data
 * model of feedback.h.  No DOM is built, no DTD is loaded, no entity is
 * expanded (a document type declaration refuses the report), and every
 * size is capped (limits.h).
 *
 * Elements are known by their local name, in any case and under any
 * namespace, and by their parent: a small table of (parent, name) ->
 * element.  Anything not in the table is skipped with its subtree.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <libxml/xmlreader.h>

#include "ingest_internal.h"
#include "vouch/limits.h"

enum el {
	E_SKIP = 0, /* unknown, with everything under it */
	E_DOC, /* above the root */
	E_FEEDBACK,
	E_VERSION,
	E_META,
	E_ORG_NAME,
	E_EMAIL,
	E_EXTRA,
	E_REPORT_ID,
	E_ERROR,
	E_GENERATOR,
	E_DATE_RANGE,
	E_BEGIN,
	E_END,
	E_POLICY,
	E_P_DOMAIN,
	E_ADKIM,
	E_ASPF,
	E_P,
	E_SP,
	E_NP,
	E_PCT,
	E_FO,
	E_TESTING,
	E_DISCOVERY,
	E_RECORD,
	E_ROW,
	E_SOURCE_IP,
	E_COUNT,
	E_PEVAL,
	E_DISPOSITION,
	E_PE_DKIM,
	E_PE_SPF,
	E_REASON,
	E_R_TYPE,
	E_R_COMMENT,
	E_IDENT,
	E_HEADER_FROM,
	E_ENV_FROM,
	E_ENV_TO,
	E_AUTH,
	E_A_DKIM,
	E_D_DOMAIN,
	E_D_SELECTOR,
	E_D_RESULT,
	E_D_HUMAN,
	E_A_SPF,
	E_S_DOMAIN,
	E_S_SCOPE,
	E_S_RESULT,
	E_S_HUMAN,
	E_COUNT_OF
};

/* How a leaf's text is kept: as written, as a lower-case word, or as a
 * domain (lower case, no final dot).  Containers have no text. */
enum kind { K_NONE, K_TEXT, K_WORD, K_DOMAIN };

static const struct {
	enum el parent;
	const char *name;
	enum el el;
	enum kind kind;
} grammar[] = {
    {E_DOC, "feedback", E_FEEDBACK, K_NONE},
    {E_FEEDBACK, "version", E_VERSION, K_TEXT},
    {E_FEEDBACK, "report_metadata", E_META, K_NONE},
    {E_META, "org_name", E_ORG_NAME, K_TEXT},
    {E_META, "email", E_EMAIL, K_TEXT},
    {E_META, "extra_contact_info", E_EXTRA, K_TEXT},
    {E_META, "report_id", E_REPORT_ID, K_TEXT},
    {E_META, "error", E_ERROR, K_TEXT},
    {E_META, "generator", E_GENERATOR, K_TEXT},
    {E_META, "date_range", E_DATE_RANGE, K_NONE},
    {E_DATE_RANGE, "begin", E_BEGIN, K_TEXT},
    {E_DATE_RANGE, "end", E_END, K_TEXT},
    {E_FEEDBACK, "policy_published", E_POLICY, K_NONE},
    {E_POLICY, "domain", E_P_DOMAIN, K_DOMAIN},
    {E_POLICY, "adkim", E_ADKIM, K_WORD},
    {E_POLICY, "aspf", E_ASPF, K_WORD},
    {E_POLICY, "p", E_P, K_WORD},
    {E_POLICY, "sp", E_SP, K_WORD},
    {E_POLICY, "np", E_NP, K_WORD},
    {E_POLICY, "pct", E_PCT, K_TEXT},
    {E_POLICY, "fo", E_FO, K_WORD},
    {E_POLICY, "testing", E_TESTING, K_WORD},
    {E_POLICY, "discovery_method", E_DISCOVERY, K_WORD},
    {E_FEEDBACK, "record", E_RECORD, K_NONE},
    {E_RECORD, "row", E_ROW, K_NONE},
    {E_ROW, "source_ip", E_SOURCE_IP, K_TEXT},
    {E_ROW, "count", E_COUNT, K_TEXT},
    {E_ROW, "policy_evaluated", E_PEVAL, K_NONE},
    {E_PEVAL, "disposition", E_DISPOSITION, K_WORD},
    {E_PEVAL, "dkim", E_PE_DKIM, K_WORD},
    {E_PEVAL, "spf", E_PE_SPF, K_WORD},
    {E_PEVAL, "reason", E_REASON, K_NONE},
    /* early drafts put the reason beside policy_evaluated */
    {E_ROW, "reason", E_REASON, K_NONE},
    {E_REASON, "type", E_R_TYPE, K_WORD},
    {E_REASON, "comment", E_R_COMMENT, K_TEXT},
    {E_RECORD, "identifiers", E_IDENT, K_NONE},
    {E_IDENT, "header_from", E_HEADER_FROM, K_DOMAIN},
    {E_IDENT, "envelope_from", E_ENV_FROM, K_DOMAIN},
    {E_IDENT, "envelope_to", E_ENV_TO, K_DOMAIN},
    {E_RECORD, "auth_results", E_AUTH, K_NONE},
    {E_AUTH, "dkim", E_A_DKIM, K_NONE},
    {E_A_DKIM, "domain", E_D_DOMAIN, K_DOMAIN},
    {E_A_DKIM, "selector", E_D_SELECTOR, K_TEXT},
    {E_A_DKIM, "result", E_D_RESULT, K_WORD},
    {E_A_DKIM, "human_result", E_D_HUMAN, K_TEXT},
    {E_AUTH, "spf", E_A_SPF, K_NONE},
    {E_A_SPF, "domain", E_S_DOMAIN, K_DOMAIN},
    {E_A_SPF, "scope", E_S_SCOPE, K_WORD},
    {E_A_SPF, "result", E_S_RESULT, K_WORD},
    {E_A_SPF, "human_result", E_S_HUMAN, K_TEXT},
};

/* The record being read, before it is copied into the arena. */
struct rec_scratch {
	struct vouch_feedback_record r;
	const char *count_text;
	struct vouch_feedback_dkim dkim[VOUCH_REPORT_MAX_AUTH];
	struct vouch_feedback_spf spf[VOUCH_REPORT_MAX_AUTH];
	struct vouch_feedback_reason reason[VOUCH_REPORT_MAX_REASONS];
	size_t ndkim, nspf, nreason;
	int dkim_dropped, spf_dropped, reason_dropped;
	/* the entry being filled: NULL when over the cap */
	struct vouch_feedback_dkim *cur_dkim;
	struct vouch_feedback_spf *cur_spf;
	struct vouch_feedback_reason *cur_reason;
};

/* The report and what only the reader needs: the arena and arrays. */
struct fb_private {
	struct vouch_feedback pub; /* first: the public pointer is this one */
	struct fb_arena arena;
	struct vouch_feedback_record *recs;
	size_t nrecs, caprecs;
	const char *errors[VOUCH_REPORT_MAX_ERRORS];
	size_t nerrors;
};

struct reader {
	struct fb_private *fb;
	struct rec_scratch *rec;
	enum el stack[VOUCH_REPORT_MAX_DEPTH];
	enum kind kinds[VOUCH_REPORT_MAX_DEPTH];
	int depth; /* elements open (stack entries used) */
	int skip_depth; /* > 0: inside an unknown element, this deep */
	struct vbuf text;
	const char *begin_text, *end_text;
	int found; /* <feedback> opened */
	int done; /* </feedback> seen */
	enum vouch_status st;
	char *err;
	size_t errlen;
	char xmlerr[200];
};

static pthread_once_t xml_once = PTHREAD_ONCE_INIT;

/* No entity or DTD is ever fetched, whatever a document asks for. */
static xmlParserInputPtr
refuse_external(const char *url, const char *id, xmlParserCtxtPtr ctxt)
{
	(void)url;
	(void)id;
	(void)ctxt;
	return NULL;
}

static void
xml_init(void)
{
	xmlInitParser();
	xmlSetExternalEntityLoader(refuse_external);
}

static void seterr(struct reader *rd, enum vouch_status st, const char *fmt,
    ...) __attribute__((format(printf, 3, 4)));

static void
seterr(struct reader *rd, enum vouch_status st, const char *fmt, ...)
{
	va_list ap;

	if (rd->st != VOUCH_OK)
		return;
	rd->st = st;
	if (rd->err != NULL && rd->errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(rd->err, rd->errlen, fmt, ap);
		va_end(ap);
	}
}

/* A warning: counted, and the first few kept in the report. */
static void warn(struct reader *rd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
warn(struct reader *rd, const char *fmt, ...)
{
	struct vouch_feedback *fb = &rd->fb->pub;
	enum vouch_status st = VOUCH_OK;
	char buf[256];
	va_list ap;
	int n;

	if (fb->nwarnings++ >= VOUCH_REPORT_MAX_WARNINGS)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof(buf))
		n = sizeof(buf) - 1;
	fb->warnings[fb->nwarnings - 1] =
	    fb_arena_strndup(&rd->fb->arena, buf, (size_t)n, &st);
	if (st != VOUCH_OK) {
		fb->warnings[fb->nwarnings - 1] = "";
		seterr(rd, st, "out of memory for the report");
	}
}

static int
is_xml_space(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * The text of the leaf just closed, trimmed and normalized by its kind,
 * copied into the arena.
 */
static const char *
leaf_text(struct reader *rd, enum kind kind)
{
	const uint8_t *p = rd->text.p, *end;
	enum vouch_status st = VOUCH_OK;
	char *s;
	size_t n, i;

	if (p == NULL)
		p = (const uint8_t *)"";
	end = p + rd->text.len;
	while (p < end && is_xml_space(*p))
		p++;
	while (end > p && is_xml_space(end[-1]))
		end--;
	n = (size_t)(end - p);
	if (kind == K_DOMAIN && n > 0 && end[-1] == '.')
		n--;
	if ((s = fb_arena_strndup(&rd->fb->arena, (const char *)p, n, &st)) ==
	    NULL) {
		seterr(rd, st, "report too large for memory cap");
		return NULL;
	}
	if (kind == K_WORD || kind == K_DOMAIN)
		for (i = 0; i < n; i++)
			s[i] = (char)tolower((unsigned char)s[i]);
	return s;
}

/* Keep the first value of an element that appears twice. */
static void
set_once(struct reader *rd, const char **slot, const char *v, const char *name)
{
	if (*slot != NULL) {
		warn(rd, "second <%s> ignored", name);
		return;
	}
	*slot = v;
}

/*
 * A decimal number of seconds or messages: digits, optionally followed by
 * a fraction that is dropped ("1337270400.0", OpenDMARC test files).
 * Returns 0 and *out, or -1 when the text is not such a number or is over
 * `max`.
 */
static int
parse_uint(const char *s, uint64_t max, int allow_fraction, uint64_t *out)
{
	uint64_t v = 0;
	const char *p = s;

	if (*p == '+')
		p++;
	if (!isdigit((unsigned char)*p))
		return -1;
	for (; isdigit((unsigned char)*p); p++) {
		if (v > (max - (uint64_t)(*p - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (*p == '.' && allow_fraction) {
		for (p++; isdigit((unsigned char)*p); p++)
			;
	}
	if (*p != '\0')
		return -1;
	*out = v;
	return 0;
}

/* An IP address in canonical text (inet_ntop), or NULL. */
static const char *
canon_ip(struct reader *rd, const char *s)
{
	unsigned char a[16];
	char buf[INET6_ADDRSTRLEN];
	enum vouch_status st = VOUCH_OK;
	const char *c;
	int af;

	if (inet_pton(AF_INET, s, a) == 1)
		af = AF_INET;
	else if (inet_pton(AF_INET6, s, a) == 1)
		af = AF_INET6;
	else
		return NULL;
	if (inet_ntop(af, a, buf, sizeof(buf)) == NULL)
		return NULL;
	if (strcmp(buf, s) == 0)
		return s;
	if ((c = fb_arena_strndup(&rd->fb->arena, buf, strlen(buf), &st)) ==
	    NULL)
		seterr(rd, st, "report too large for memory cap");
	return c;
}

static void
record_start(struct reader *rd)
{
	struct rec_scratch *r = rd->rec;

	memset(&r->r, 0, sizeof(r->r));
	r->count_text = NULL;
	r->ndkim = r->nspf = r->nreason = 0;
	r->dkim_dropped = r->spf_dropped = r->reason_dropped = 0;
	r->cur_dkim = NULL;
	r->cur_spf = NULL;
	r->cur_reason = NULL;
}

/* Copy n objects of size sz into the arena; NULL for n == 0. */
static const void *
arena_copy(struct reader *rd, const void *p, size_t n, size_t sz)
{
	enum vouch_status st = VOUCH_OK;
	void *q;

	if (n == 0)
		return NULL;
	if ((q = fb_arena_alloc(&rd->fb->arena, n * sz, &st)) == NULL) {
		seterr(rd, st, "report too large for memory cap");
		return NULL;
	}
	memcpy(q, p, n * sz);
	return q;
}

static void
record_end(struct reader *rd)
{
	struct rec_scratch *r = rd->rec;
	struct fb_private *fb = rd->fb;
	struct vouch_feedback_record *nr;
	const char *ip;
	size_t ncap;
	uint64_t count;

	if (r->r.source_ip == NULL || r->r.source_ip[0] == '\0') {
		warn(rd, "record %zu without source_ip dropped", fb->nrecs + 1);
		return;
	}
	if (r->count_text == NULL ||
	    parse_uint(r->count_text, VOUCH_REPORT_MAX_COUNT, 0, &count) != 0) {
		warn(rd, "record %zu (%s) without a valid count dropped",
		    fb->nrecs + 1, r->r.source_ip);
		return;
	}
	r->r.count = count;
	if ((ip = canon_ip(rd, r->r.source_ip)) != NULL) {
		r->r.source_ip = ip;
		r->r.is_ip = 1;
	} else {
		warn(rd, "source_ip '%.64s' is not an IP address",
		    r->r.source_ip);
	}
	if (r->dkim_dropped || r->spf_dropped)
		warn(rd, "record %zu: results beyond %d dropped", fb->nrecs + 1,
		    VOUCH_REPORT_MAX_AUTH);
	if (r->reason_dropped)
		warn(rd, "record %zu: reasons beyond %d dropped", fb->nrecs + 1,
		    VOUCH_REPORT_MAX_REASONS);
	r->r.dkim_results =
	    arena_copy(rd, r->dkim, r->ndkim, sizeof(r->dkim[0]));
	r->r.ndkim = r->ndkim;
	r->r.spf_results = arena_copy(rd, r->spf, r->nspf, sizeof(r->spf[0]));
	r->r.nspf = r->nspf;
	r->r.reasons =
	    arena_copy(rd, r->reason, r->nreason, sizeof(r->reason[0]));
	r->r.nreasons = r->nreason;
	if (rd->st != VOUCH_OK)
		return;
	if (fb->nrecs == VOUCH_REPORT_MAX_RECORDS) {
		seterr(rd, VOUCH_ELIMIT, "more than %d records",
		    VOUCH_REPORT_MAX_RECORDS);
		return;
	}
	if (fb->nrecs == fb->caprecs) {
		ncap = fb->caprecs ? fb->caprecs * 2 : 16;
		if (ncap > VOUCH_REPORT_MAX_RECORDS)
			ncap = VOUCH_REPORT_MAX_RECORDS;
		if ((nr = realloc(fb->recs, ncap * sizeof(*nr))) == NULL) {
			seterr(rd, VOUCH_ENOMEM, "out of memory for records");
			return;
		}
		fb->recs = nr;
		fb->caprecs = ncap;
	}
	fb->recs[fb->nrecs++] = r->r;
	fb->pub.total_count += count;
}

/* The start of a container that collects entries. */
static void
open_entry(struct reader *rd, enum el el)
{
	struct rec_scratch *r = rd->rec;

	switch (el) {
	case E_RECORD:
		record_start(rd);
		break;
	case E_A_DKIM:
		if (r->ndkim < VOUCH_REPORT_MAX_AUTH) {
			r->cur_dkim = &r->dkim[r->ndkim++];
			memset(r->cur_dkim, 0, sizeof(*r->cur_dkim));
		} else {
			r->cur_dkim = NULL;
			r->dkim_dropped = 1;
		}
		break;
	case E_A_SPF:
		if (r->nspf < VOUCH_REPORT_MAX_AUTH) {
			r->cur_spf = &r->spf[r->nspf++];
			memset(r->cur_spf, 0, sizeof(*r->cur_spf));
		} else {
			r->cur_spf = NULL;
			r->spf_dropped = 1;
		}
		break;
	case E_REASON:
		if (r->nreason < VOUCH_REPORT_MAX_REASONS) {
			r->cur_reason = &r->reason[r->nreason++];
			memset(r->cur_reason, 0, sizeof(*r->cur_reason));
		} else {
			r->cur_reason = NULL;
			r->reason_dropped = 1;
		}
		break;
	default:
		break;
	}
}

static void
set_policy(struct reader *rd, enum el el, const char *v)
{
	struct vouch_feedback_policy *pp = &rd->fb->pub.policy_published;
	uint64_t pct;

	switch (el) {
	case E_P_DOMAIN:
		set_once(rd, &pp->domain, v, "domain");
		break;
	case E_ADKIM:
		set_once(rd, &pp->adkim, v, "adkim");
		break;
	case E_ASPF:
		set_once(rd, &pp->aspf, v, "aspf");
		break;
	case E_P:
		set_once(rd, &pp->p, v, "p");
		break;
	case E_SP:
		set_once(rd, &pp->sp, v, "sp");
		break;
	case E_NP:
		set_once(rd, &pp->np, v, "np");
		break;
	case E_FO:
		set_once(rd, &pp->fo, v, "fo");
		break;
	case E_TESTING:
		set_once(rd, &pp->testing, v, "testing");
		break;
	case E_DISCOVERY:
		set_once(rd, &pp->discovery_method, v, "discovery_method");
		break;
	case E_PCT:
		if (parse_uint(v, 100, 0, &pct) == 0)
			pp->pct = (int)pct;
		else if (*v != '\0')
			warn(rd, "pct '%.32s' is not 0 to 100", v);
		break;
	default:
		break;
	}
}

static void
set_meta(struct reader *rd, enum el el, const char *v)
{
	struct fb_private *fb = rd->fb;

	switch (el) {
	case E_VERSION:
		set_once(rd, &fb->pub.version, v, "version");
		break;
	case E_ORG_NAME:
		set_once(rd, &fb->pub.org_name, v, "org_name");
		break;
	case E_EMAIL:
		set_once(rd, &fb->pub.email, v, "email");
		break;
	case E_EXTRA:
		set_once(
		    rd, &fb->pub.extra_contact_info, v, "extra_contact_info");
		break;
	case E_REPORT_ID:
		set_once(rd, &fb->pub.report_id, v, "report_id");
		break;
	case E_GENERATOR:
		set_once(rd, &fb->pub.generator, v, "generator");
		break;
	case E_BEGIN:
		set_once(rd, &rd->begin_text, v, "begin");
		break;
	case E_END:
		set_once(rd, &rd->end_text, v, "end");
		break;
	case E_ERROR:
		if (fb->nerrors < VOUCH_REPORT_MAX_ERRORS)
			fb->errors[fb->nerrors++] = v;
		else
			warn(rd, "error elements beyond %d dropped",
			    VOUCH_REPORT_MAX_ERRORS);
		break;
	default:
		break;
	}
}

static void
set_record(struct reader *rd, enum el el, const char *v)
{
	struct rec_scratch *r = rd->rec;

	switch (el) {
	case E_SOURCE_IP:
		set_once(rd, &r->r.source_ip, v, "source_ip");
		break;
	case E_COUNT:
		set_once(rd, &r->count_text, v, "count");
		break;
	case E_DISPOSITION:
		set_once(rd, &r->r.disposition, v, "disposition");
		break;
	case E_PE_DKIM:
		set_once(rd, &r->r.dkim, v, "dkim");
		break;
	case E_PE_SPF:
		set_once(rd, &r->r.spf, v, "spf");
		break;
	case E_HEADER_FROM:
		set_once(rd, &r->r.header_from, v, "header_from");
		break;
	case E_ENV_FROM:
		set_once(rd, &r->r.envelope_from, v, "envelope_from");
		break;
	case E_ENV_TO:
		set_once(rd, &r->r.envelope_to, v, "envelope_to");
		break;
	default:
		break;
	}
}

static void
set_auth(struct reader *rd, enum el el, const char *v)
{
	struct rec_scratch *r = rd->rec;

	if (r->cur_dkim != NULL && el >= E_D_DOMAIN && el <= E_D_HUMAN) {
		if (el == E_D_DOMAIN)
			set_once(rd, &r->cur_dkim->domain, v, "domain");
		else if (el == E_D_SELECTOR)
			set_once(rd, &r->cur_dkim->selector, v, "selector");
		else if (el == E_D_RESULT)
			set_once(rd, &r->cur_dkim->result, v, "result");
		else
			set_once(
			    rd, &r->cur_dkim->human_result, v, "human_result");
	} else if (r->cur_spf != NULL && el >= E_S_DOMAIN && el <= E_S_HUMAN) {
		if (el == E_S_DOMAIN)
			set_once(rd, &r->cur_spf->domain, v, "domain");
		else if (el == E_S_SCOPE)
			set_once(rd, &r->cur_spf->scope, v, "scope");
		else if (el == E_S_RESULT)
			set_once(rd, &r->cur_spf->result, v, "result");
		else
			set_once(
			    rd, &r->cur_spf->human_result, v, "human_result");
	} else if (r->cur_reason != NULL && el == E_R_TYPE) {
		set_once(rd, &r->cur_reason->type, v, "type");
	} else if (r->cur_reason != NULL && el == E_R_COMMENT) {
		set_once(rd, &r->cur_reason->comment, v, "comment");
	}
}

/* A leaf closed: its text goes where the element says. */
static void
close_leaf(struct reader *rd, enum el el, enum kind kind)
{
	const char *v;

	if (rd->text.err != VOUCH_OK) {
		seterr(rd, VOUCH_ELIMIT, "an element's text is over %d bytes",
		    VOUCH_REPORT_MAX_TEXT);
		return;
	}
	if ((v = leaf_text(rd, kind)) == NULL)
		return;
	if (el >= E_P_DOMAIN && el <= E_DISCOVERY)
		set_policy(rd, el, v);
	else if (el == E_R_TYPE || el == E_R_COMMENT ||
	         (el >= E_D_DOMAIN && el <= E_S_HUMAN))
		set_auth(rd, el, v);
	else if (el >= E_SOURCE_IP && el <= E_ENV_TO)
		set_record(rd, el, v);
	else
		set_meta(rd, el, v);
}

static void
close_element(struct reader *rd)
{
	enum el el;
	enum kind kind;

	if (rd->skip_depth > 0) {
		rd->skip_depth--;
		return;
	}
	if (rd->depth == 0)
		return;
	rd->depth--;
	el = rd->stack[rd->depth];
	kind = rd->kinds[rd->depth];
	if (kind != K_NONE)
		close_leaf(rd, el, kind);
	else if (el == E_RECORD)
		record_end(rd);
	else if (el == E_A_DKIM)
		rd->rec->cur_dkim = NULL;
	else if (el == E_A_SPF)
		rd->rec->cur_spf = NULL;
	else if (el == E_REASON)
		rd->rec->cur_reason = NULL;
	else if (el == E_FEEDBACK)
		rd->done = 1;
}

static enum vouch_feedback_schema
schema_of(const xmlChar *ns)
{
	if (ns == NULL || strcmp((const char *)ns, "http://dmarc.org/"
	                                           "dmarc-xml/0.1") == 0)
		return VOUCH_FEEDBACK_RFC7489;
	if (strcmp((const char *)ns, "urn:ietf:params:xml:ns:dmarc-2.0") == 0)
		return VOUCH_FEEDBACK_RFC9990;
	return VOUCH_FEEDBACK_OTHER_NS;
}

/* The element named by its lower-cased local name under parent. */
static int
lookup(enum el parent, const char *name, enum el *el, enum kind *kind)
{
	size_t i;

	for (i = 0; i < sizeof(grammar) / sizeof(grammar[0]); i++)
		if (grammar[i].parent == parent &&
		    strcmp(grammar[i].name, name) == 0) {
			*el = grammar[i].el;
			*kind = grammar[i].kind;
			return 1;
		}
	return 0;
}

static void
open_element(struct reader *rd, xmlTextReaderPtr r)
{
	const xmlChar *local = xmlTextReaderConstLocalName(r);
	enum el parent, el;
	enum kind kind;
	char name[32];
	size_t i, n;

	if (rd->depth + rd->skip_depth >= VOUCH_REPORT_MAX_DEPTH) {
		seterr(rd, VOUCH_ELIMIT, "elements nested deeper than %d",
		    VOUCH_REPORT_MAX_DEPTH);
		return;
	}
	if (rd->skip_depth > 0) {
		rd->skip_depth++;
		return;
	}
	parent = rd->depth > 0 ? rd->stack[rd->depth - 1] : E_DOC;
	n = local != NULL ? strlen((const char *)local) : 0;
	el = E_SKIP;
	kind = K_NONE;
	if (n > 0 && n < sizeof(name)) {
		for (i = 0; i < n; i++)
			name[i] = (char)tolower(local[i]);
		name[n] = '\0';
		/* until <feedback> is found, it may sit under a wrapper
		 * (seen: an unclosed xs:schema around it) */
		if (!lookup(rd->found ? parent : E_DOC, name, &el, &kind))
			el = E_SKIP;
	}
	if (el == E_SKIP && rd->found) {
		rd->skip_depth = 1;
		return;
	}
	if (el == E_FEEDBACK) {
		rd->found = 1;
		rd->fb->pub.schema =
		    schema_of(xmlTextReaderConstNamespaceUri(r));
	}
	rd->stack[rd->depth] = el;
	rd->kinds[rd->depth] = kind;
	rd->depth++;
	if (kind != K_NONE)
		vbuf_reset(&rd->text);
	open_entry(rd, el);
}

static void
text_node(struct reader *rd, xmlTextReaderPtr r)
{
	const xmlChar *v;

	if (rd->skip_depth > 0 || rd->depth == 0 ||
	    rd->kinds[rd->depth - 1] == K_NONE)
		return;
	if ((v = xmlTextReaderConstValue(r)) != NULL)
		(void)vbuf_add(&rd->text, v, strlen((const char *)v));
}

static void
xml_error(void *arg, xmlErrorPtr e)
{
	struct reader *rd = arg;
	size_t n;

	if (rd->xmlerr[0] != '\0' || e == NULL || e->message == NULL)
		return;
	snprintf(
	    rd->xmlerr, sizeof(rd->xmlerr), "line %d: %s", e->line, e->message);
	n = strlen(rd->xmlerr);
	while (n > 0 && rd->xmlerr[n - 1] == '\n')
		rd->xmlerr[--n] = '\0';
}

/* One node of the stream; returns 0 to go on. */
static int
node(struct reader *rd, xmlTextReaderPtr r)
{
	switch (xmlTextReaderNodeType(r)) {
	case XML_READER_TYPE_ELEMENT:
		open_element(rd, r);
		if (rd->st == VOUCH_OK && xmlTextReaderIsEmptyElement(r))
			close_element(rd);
		break;
	case XML_READER_TYPE_END_ELEMENT:
		close_element(rd);
		break;
	case XML_READER_TYPE_TEXT:
	case XML_READER_TYPE_CDATA:
	case XML_READER_TYPE_SIGNIFICANT_WHITESPACE:
	case XML_READER_TYPE_WHITESPACE:
		text_node(rd, r);
		break;
	case XML_READER_TYPE_DOCUMENT_TYPE:
		/* RFC 7489 and 9990 reports have no DTD; one here can only
		 * declare entities, the stuff of billion-laughs and XXE */
		seterr(rd, VOUCH_ESYNTAX,
		    "document type declaration (<!DOCTYPE>) refused");
		break;
	case XML_READER_TYPE_ENTITY_REFERENCE:
	case XML_READER_TYPE_ENTITY:
		seterr(rd, VOUCH_ESYNTAX, "entity reference refused");
		break;
	default:
		break;
	}
	return rd->st != VOUCH_OK || rd->done;
}

/*
 * Where the XML starts: after a UTF-8 byte order mark and white space,
 * which libxml2 refuses before the XML declaration but reporters send.
 */
static size_t
xml_start(const uint8_t *p, size_t len)
{
	size_t i = 0;

	for (;;) {
		if (len - i >= 3 && p[i] == 0xef && p[i + 1] == 0xbb &&
		    p[i + 2] == 0xbf)
			i += 3;
		else if (i < len && is_xml_space(p[i]))
			i++;
		else
			return i;
	}
}

/* Whether the document is to be read as UTF-8: no encoding declared, or
 * UTF-8 declared (XML 1.0 §4.3.3). */
static int
declared_utf8(const uint8_t *p, size_t len)
{
	const uint8_t *end, *e;
	char enc[16];
	size_t n;
	uint8_t q;

	if (len >= 2 &&
	    ((p[0] == 0xfe && p[1] == 0xff) || (p[0] == 0xff && p[1] == 0xfe)))
		return 0; /* UTF-16 by its byte order mark */
	if (len < 5 || memcmp(p, "<?xml", 5) != 0)
		return 1;
	end = memmem(p, len < 256 ? len : 256, "?>", 2);
	if (end == NULL)
		return 1;
	e = memmem(p, (size_t)(end - p), "encoding", 8);
	if (e == NULL)
		return 1;
	for (e += 8; e < end && (is_xml_space(*e) || *e == '='); e++)
		;
	if (e >= end || (*e != '"' && *e != '\''))
		return 1;
	q = *e++;
	for (n = 0; e < end && *e != q && n < sizeof(enc) - 1; e++)
		enc[n++] = (char)tolower(*e);
	enc[n] = '\0';
	return strcmp(enc, "utf-8") == 0 || strcmp(enc, "utf8") == 0;
}

/* Length of the valid UTF-8 sequence at p (RFC 3629 §4), 0 if none. */
static size_t
utf8_seq(const uint8_t *p, const uint8_t *end)
{
	size_t n, i;
	uint32_t c;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2, c = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3, c = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4, c = p[0] & 0x07;
	else
		return 0;
	if ((size_t)(end - p) < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (p[i] & 0x3f);
	}
	if ((n == 3 && (c < 0x800 || (c >= 0xd800 && c <= 0xdfff))) ||
	    (n == 4 && (c < 0x10000 || c > 0x10ffff)))
		return 0;
	return n;
}

/*
 * A copy of p with each byte that is not part of valid UTF-8 replaced by
 * U+FFFD; NULL if p is valid (nothing to repair) or on ENOMEM (*st).
 */
static uint8_t *
repair_utf8(const uint8_t *p, size_t len, size_t *outlen, size_t *nbad,
    enum vouch_status *st)
{
	const uint8_t *q = p, *end = p + len;
	uint8_t *out, *o;
	size_t n;

	*nbad = 0;
	while (q < end && (n = utf8_seq(q, end)) > 0)
		q += n;
	if (q == end)
		return NULL;
	if (len > SIZE_MAX / 3 || (out = malloc(len * 3)) == NULL) {
		*st = VOUCH_ENOMEM;
		return NULL;
	}
	memcpy(out, p, (size_t)(q - p));
	o = out + (q - p);
	while (q < end) {
		if ((n = utf8_seq(q, end)) > 0) {
			memcpy(o, q, n);
			o += n;
			q += n;
		} else {
			memcpy(o, "\xef\xbf\xbd", 3);
			o += 3;
			q++;
			++*nbad;
		}
	}
	*outlen = (size_t)(o - out);
	return out;
}

/*
 * Whether the prolog (XML 1.0 §2.8: declaration, comments, processing
 * instructions, before the root element) holds a document type
 * declaration.  Looked at before libxml2 parses anything, so that an
 * entity bomb's declarations are never even read.
 */
static int
has_doctype(const uint8_t *p, size_t len)
{
	const uint8_t *end = p + len, *q;

	while ((q = memchr(p, '<', (size_t)(end - p))) != NULL) {
		if (end - q >= 9 && memcmp(q, "<!DOCTYPE", 9) == 0)
			return 1;
		if (end - q >= 2 && q[1] == '?')
			q = memmem(q, (size_t)(end - q), "?>", 2);
		else if (end - q >= 4 && memcmp(q, "<!--", 4) == 0)
			q = memmem(q, (size_t)(end - q), "-->", 3);
		else
			return 0; /* the root element */
		if (q == NULL)
			return 0;
		p = q + 2;
	}
	return 0;
}

static int
is_name_char(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
}

/*
 * The length of the document up to the last </feedback> end tag (any
 * prefix, any case), or len when there is none.  Reporters append junk
 * after the report; libxml2 would report it as an error before handing
 * over the end tag, so it is cut off unread.
 */
static size_t
cut_after_feedback(const uint8_t *p, size_t len)
{
	static const char tag[] = "feedback>";
	size_t i, j, n = sizeof(tag) - 1;

	for (i = len; i >= n + 2; i--) {
		if (strncasecmp((const char *)p + i - n, tag, n) != 0)
			continue;
		j = i - n;
		while (j > 0 && is_name_char(p[j - 1]))
			j--;
		if (j > 0 && p[j - 1] == ':') /* a prefix */
			for (j--; j > 0 && is_name_char(p[j - 1]); j--)
				;
		if (j >= 2 && p[j - 1] == '/' && p[j - 2] == '<' &&
		    (j == i - n || p[i - n - 1] == ':'))
			return i;
	}
	return len;
}

static void
finish(struct reader *rd)
{
	struct fb_private *fb = rd->fb;
	struct vouch_feedback *pub = &fb->pub;
	enum vouch_status st = VOUCH_OK;
	struct vouch_feedback_days days;
	uint64_t b, e;
	char id[48];

	if (pub->policy_published.domain == NULL ||
	    pub->policy_published.domain[0] == '\0') {
		seterr(rd, VOUCH_ESYNTAX, "no policy_published/domain");
		return;
	}
	if (rd->begin_text == NULL || rd->end_text == NULL) {
		seterr(rd, VOUCH_ESYNTAX, "no date_range begin and end");
		return;
	}
	if (parse_uint(rd->begin_text, INT64_MAX / 2, 1, &b) != 0 ||
	    parse_uint(rd->end_text, INT64_MAX / 2, 1, &e) != 0) {
		seterr(rd, VOUCH_ESYNTAX,
		    "date_range begin '%.32s' or end '%.32s' is not a time",
		    rd->begin_text, rd->end_text);
		return;
	}
	if (e < b) {
		seterr(rd, VOUCH_ESYNTAX, "date_range ends before it begins");
		return;
	}
	pub->begin = (int64_t)b;
	pub->end = (int64_t)e;
	if (vouch_feedback_days(pub->begin, pub->end, &days) != VOUCH_OK) {
		seterr(rd, VOUCH_ELIMIT,
		    "date_range spans more than %d days: when its messages "
		    "were seen cannot be told",
		    VOUCH_REPORT_MAX_DAYS);
		return;
	}
	if (pub->org_name == NULL)
		pub->org_name = "";
	if (pub->email == NULL)
		pub->email = "";
	if (pub->report_id == NULL || pub->report_id[0] == '\0') {
		snprintf(
		    id, sizeof(id), "%lld-%lld", (long long)b, (long long)e);
		pub->report_id =
		    fb_arena_strndup(&fb->arena, id, strlen(id), &st);
		if (st != VOUCH_OK) {
			seterr(rd, st, "out of memory");
			return;
		}
		warn(rd, "no report_id: '%s' used", id);
	}
	pub->records = fb->recs;
	pub->nrecords = fb->nrecs;
	pub->errors = fb->errors;
	pub->nerrors = fb->nerrors;
}

static void
read_all(struct reader *rd, const uint8_t *p, size_t len)
{
	xmlTextReaderPtr r;
	int ret = 1;

	r = xmlReaderForMemory((const char *)p, (int)len, NULL, NULL,
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
	        XML_PARSE_NOCDATA | XML_PARSE_COMPACT);
	if (r == NULL) {
		seterr(rd, VOUCH_ENOMEM, "cannot start the XML reader");
		return;
	}
	xmlTextReaderSetStructuredErrorHandler(r, xml_error, rd);
	while ((ret = xmlTextReaderRead(r)) == 1)
		if (node(rd, r))
			break;
	if (rd->st == VOUCH_OK && !rd->done) {
		if (ret < 0 || rd->xmlerr[0] != '\0')
			seterr(rd, VOUCH_ESYNTAX, "not well-formed XML: %s",
			    rd->xmlerr[0] ? rd->xmlerr : "parse error");
		else if (!rd->found)
			seterr(rd, VOUCH_ESYNTAX, "no <feedback> element");
		else
			seterr(rd, VOUCH_ESYNTAX, "<feedback> not closed");
	}
	xmlFreeTextReader(r);
}

static enum vouch_status
parse(const uint8_t *p, size_t len, struct fb_private *fb,
    struct rec_scratch *rec, char *err, size_t errlen)
{
	struct reader rd;
	uint8_t *fixed = NULL;
	size_t fixedlen = 0, nbad = 0, skip;
	enum vouch_status st = VOUCH_OK;

	memset(&rd, 0, sizeof(rd));
	rd.fb = fb;
	rd.rec = rec;
	rd.err = err;
	rd.errlen = errlen;
	vbuf_init(&rd.text, VOUCH_REPORT_MAX_TEXT);
	skip = xml_start(p, len);
	p += skip;
	len -= skip;
	if (len == 0) {
		seterr(&rd, VOUCH_ESYNTAX, "empty document");
		goto out;
	}
	if (declared_utf8(p, len)) {
		fixed = repair_utf8(p, len, &fixedlen, &nbad, &st);
		if (st != VOUCH_OK) {
			seterr(&rd, st, "out of memory");
			goto out;
		}
		if (fixed != NULL) {
			p = fixed;
			len = fixedlen;
		}
	}
	len = cut_after_feedback(p, len);
	if (has_doctype(p, len)) {
		/* RFC 7489 and 9990 reports have no DTD; one here can only
		 * declare entities, the stuff of billion-laughs and XXE */
		seterr(&rd, VOUCH_ESYNTAX,
		    "document type declaration (<!DOCTYPE>) refused");
		goto out;
	}
	read_all(&rd, p, len);
	if (rd.st == VOUCH_OK) {
		if (nbad > 0)
			warn(&rd,
			    "%zu bytes of invalid UTF-8 replaced by "
			    "U+FFFD",
			    nbad);
		finish(&rd);
	}
out:
	vbuf_free(&rd.text);
	free(fixed);
	return rd.st;
}

enum vouch_status
vouch_feedback_parse(const uint8_t *p, size_t len, struct vouch_feedback **out,
    char *err, size_t errlen)
{
	struct fb_private *fb;
	struct rec_scratch *rec;
	enum vouch_status st;

	if (out == NULL || (p == NULL && len > 0))
		return VOUCH_EINVAL;
	*out = NULL;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (len > VOUCH_REPORT_MAX_XML) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "XML over %d bytes",
			    VOUCH_REPORT_MAX_XML);
		return VOUCH_ELIMIT;
	}
	pthread_once(&xml_once, xml_init);
	if ((fb = calloc(1, sizeof(*fb))) == NULL)
		return VOUCH_ENOMEM;
	if ((rec = malloc(sizeof(*rec))) == NULL) {
		free(fb);
		return VOUCH_ENOMEM;
	}
	/* strings and arrays of a report take at most a few times its XML */
	fb_arena_init(&fb->arena, 4 * len + 65536);
	fb->pub.policy_published.pct = -1;
	st = parse(
	    p == NULL ? (const uint8_t *)"" : p, len, fb, rec, err, errlen);
	free(rec);
	if (st != VOUCH_OK) {
		vouch_feedback_free(&fb->pub);
		return st;
	}
	*out = &fb->pub;
	return VOUCH_OK;
}

void
vouch_feedback_free(struct vouch_feedback *pub)
{
	struct fb_private *fb = (struct fb_private *)pub;

	if (fb == NULL)
		return;
	fb_arena_free(&fb->arena);
	free(fb->recs);
	free(fb);
}
