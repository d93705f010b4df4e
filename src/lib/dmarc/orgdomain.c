/*
 * Organizational Domain: the RFC 9989 §4.10 DNS tree walk and the RFC 7489
 * §3.2 Public Suffix List method; the cached _dmarc lookups both use.
 */
#include <stdlib.h>
#include <string.h>

#include <idn2.h>
#include <libpsl.h>

#include "dmarc/internal.h"

static int
is_ldh(uint8_t ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
	       ch == '-' || ch == '_';
}

/*
 * The usual domain in one pass: letters, digits, '-', '_' and dots, in
 * labels of 1..63 bytes.  Returns 1 with out written as dmarc_normalize
 * writes it, or 0 for anything else (a NUL, UTF-8, an error), which the
 * general path then takes from the start, so that its checks and their
 * order decide every other case.
 */
static int
normalize_ldh(const uint8_t *p, size_t len, char *out, size_t outlen)
{
	size_t i, lab = 0;
	uint8_t ch;

	if (len > VOUCH_DNS_MAX_NAME || len + 1 > outlen)
		return 0;
	for (i = 0; i < len; i++) {
		ch = p[i];
		if (ch >= 'A' && ch <= 'Z')
			ch = (uint8_t)(ch - 'A' + 'a');
		if (ch == '.') {
			if (lab == 0)
				return 0;
			lab = 0;
		} else if (!is_ldh(ch) || ++lab > VOUCH_DNS_MAX_LABEL)
			return 0;
		out[i] = (char)ch;
	}
	if (lab == 0)
		return 0;
	out[len] = '\0';
	return 1;
}

int
dmarc_normalize(
    const uint8_t *p, size_t len, char *out, size_t outlen, const char **why)
{
	char in[VOUCH_ADDR_MAX_DOMAIN + 1];
	char *ascii = NULL;
	size_t i, n, lab;
	int utf8 = 0, rc;

	if (len > 0 && p[len - 1] == '.')
		len--; /* the root: "example.com." is "example.com" */
	if (len == 0 || len > VOUCH_ADDR_MAX_DOMAIN) {
		*why = len == 0 ? "empty domain" : "domain too long";
		return -1;
	}
	/* no copy, no second pass for a plain host name */
	if (normalize_ldh(p, len, out, outlen))
		return 0;
	for (i = 0; i < len; i++) {
		if (p[i] == '\0') {
			*why = "NUL in domain";
			return -1;
		}
		if (p[i] >= 0x80)
			utf8 = 1;
		in[i] = (char)p[i];
	}
	in[len] = '\0';
	if (utf8) {
		/* U-label to A-label, RFC 9989 §5.3.1, RFC 5890 §2.3 */
		rc = idn2_to_ascii_8z(
		    in, &ascii, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
		if (rc != IDN2_OK) {
			*why = "domain is not a valid IDN";
			return -1;
		}
		n = strlen(ascii);
		if (n + 1 > sizeof(in)) {
			idn2_free(ascii);
			*why = "domain too long";
			return -1;
		}
		memcpy(in, ascii, n + 1);
		idn2_free(ascii);
		len = n;
	}
	if (len > VOUCH_DNS_MAX_NAME || len + 1 > outlen) {
		*why = "domain too long";
		return -1;
	}
	lab = 0;
	for (i = 0; i < len; i++) {
		uint8_t ch = (uint8_t)in[i];

		if (ch >= 'A' && ch <= 'Z')
			ch = (uint8_t)(ch - 'A' + 'a');
		if (ch == '.') {
			if (lab == 0) {
				*why = "empty label in domain";
				return -1;
			}
			lab = 0;
		} else if (!is_ldh(ch)) {
			*why = "domain holds characters a host name cannot";
			return -1;
		} else if (++lab > VOUCH_DNS_MAX_LABEL) {
			*why = "domain label over 63 bytes";
			return -1;
		}
		out[i] = (char)ch;
	}
	if (lab == 0) {
		*why = "empty label in domain";
		return -1;
	}
	out[len] = '\0';
	return 0;
}

size_t
dmarc_nlabels(const char *name)
{
	size_t n = 1;

	if (*name == '\0')
		return 0;
	for (; *name; name++)
		if (*name == '.')
			n++;
	return n;
}

const char *
dmarc_last_labels(const char *name, size_t n)
{
	size_t have = dmarc_nlabels(name);

	while (have > n) {
		name = strchr(name, '.') + 1;
		have--;
	}
	return name;
}

/*
 * A lookup made empty field by field, not its whole 2 KB: rec is read only
 * when the outcome is DL_ONE, which sets it whole; until then what
 * lookup_rec_free reads (shared, rec.buf) says it owns nothing.
 */
static void
lookup_empty(struct dmarc_lookup *l)
{
	l->name[0] = '\0';
	l->outcome = DL_NONE;
	l->nrecords = 0;
	l->shared = NULL;
	l->rec.buf = NULL;
}

void
dmarc_eval_init(
    struct dmarc_eval *ev, struct vouch_dmarc *d, struct vouch_dns *dns)
{
	ev->d = d;
	ev->dns = dns;
	ev->nlookups = 0;
	ev->ncache = 0;
	memset(ev->chunk, 0, sizeof(ev->chunk));
	ev->chunk[0] = ev->first;
	/* the spare answers DL_TEMP, set when it is handed out */
	lookup_empty(&ev->spare);
}

/* Cache entry i (below ev->ncache, or the next one to fill). */
static struct dmarc_lookup *
entry(struct dmarc_eval *ev, size_t i)
{
	return &ev->chunk[i / DMARC_CACHE_CHUNK][i % DMARC_CACHE_CHUNK];
}

/*
 * A lookup's record, owned or read from the record cache, let go.  An
 * empty one (no buf: never parsed, or the spare's) owns nothing, and is
 * not cleared again; neither is one of the cache's (dmarc_lookup sets
 * shared and rec.buf before a lookup is used again).
 */
static void
lookup_rec_free(struct dmarc_lookup *l)
{
	if (l->shared != NULL) {
		dmarc_rec_release(l->shared);
		l->shared = NULL;
		l->rec.buf = NULL;
		l->rec.nrua = l->rec.nruf = 0;
	} else if (l->rec.buf != NULL)
		vouch_dmarc_record_free(&l->rec);
}

/*
 * One TXT record as DMARC reads it: from the record cache when its text
 * was parsed before, else parsed and handed to the cache (*ref NULL when
 * rec is the caller's to free).
 */
static enum vouch_status
record_read(const uint8_t *p, size_t len, struct vouch_dmarc_record *rec,
    struct dmarc_rec_entry **ref)
{
	enum vouch_status st;

	if (dmarc_rec_lookup(p, len, rec, ref))
		return VOUCH_OK;
	if ((st = vouch_dmarc_record_parse(p, len, rec)) == VOUCH_OK)
		dmarc_rec_remember(rec, ref);
	return st;
}

/* Frees what record_read gave. */
static void
record_drop(struct vouch_dmarc_record *rec, struct dmarc_rec_entry *ref)
{
	if (ref != NULL)
		dmarc_rec_release(ref);
	else
		vouch_dmarc_record_free(rec);
}

void
dmarc_eval_free(struct dmarc_eval *ev)
{
	size_t i;

	for (i = 0; i < ev->ncache; i++)
		lookup_rec_free(entry(ev, i));
	lookup_rec_free(&ev->spare);
	/* chunks are made in order, as the cache fills */
	for (i = 1; i < DMARC_CACHE / DMARC_CACHE_CHUNK && ev->chunk[i] != NULL;
	     i++) {
		free(ev->chunk[i]);
		ev->chunk[i] = NULL;
	}
	ev->ncache = 0;
}

enum vouch_status
dmarc_dns_query(struct dmarc_eval *ev, const char *name, size_t len,
    uint16_t type, struct vouch_dns_answer **ans)
{
	*ans = NULL;
	if (++ev->nlookups > VOUCH_DMARC_MAX_LOOKUPS)
		return VOUCH_ELIMIT;
	return vouch_dns_query(ev->dns, name, len, type, ans);
}

const struct dmarc_lookup *
dmarc_lookup(struct dmarc_eval *ev, const char *name)
{
	char qname[VOUCH_DNS_MAX_NAME + 16];
	struct vouch_dns_answer *ans = NULL;
	struct vouch_dmarc_record rec, *r;
	struct dmarc_rec_entry *ref;
	struct dmarc_lookup *l;
	enum vouch_status st;
	size_t i, n;

	for (i = 0; i < ev->ncache; i++)
		if (strcmp(entry(ev, i)->name, name) == 0)
			return entry(ev, i);
	if (ev->ncache == DMARC_CACHE) {
		/* More names than any message needs: a temporary failure
		 * rather than a wrong verdict. */
		ev->spare.outcome = DL_TEMP;
		return &ev->spare;
	}
	i = ev->ncache / DMARC_CACHE_CHUNK;
	if (ev->chunk[i] == NULL &&
	    (ev->chunk[i] =
	            malloc(DMARC_CACHE_CHUNK * sizeof(*ev->chunk[i]))) == NULL)
		return NULL;
	l = entry(ev, ev->ncache++);
	lookup_empty(l);
	n = strlen(name);
	memcpy(l->name, name, n + 1);
	/* A name too long for "_dmarc." has no record (RFC 9990 §4 step 4
	 * reasons the same way for report names). */
	if (n + 7 > VOUCH_DNS_MAX_NAME)
		return l;
	/* the prefix, then the name with its NUL */
	memcpy(qname, "_dmarc.", 7); /* NOLINT */
	memcpy(qname + 7, name, n + 1);
	st = dmarc_dns_query(ev, qname, n + 7, VOUCH_DNS_TXT, &ans);
	if (st == VOUCH_ELIMIT) {
		l->outcome = DL_TEMP;
		return l;
	}
	if (st != VOUCH_OK) {
		vouch_dns_answer_free(ans);
		ev->ncache--;
		return NULL;
	}
	switch (ans->rcode) {
	case VOUCH_DNS_TEMPFAIL:
		l->outcome = DL_TEMP;
		break;
	case VOUCH_DNS_PERMFAIL:
		l->outcome = DL_PERM;
		break;
	case VOUCH_DNS_ANSWER:
		/*
		 * Records that do not start with v=DMARC1 are discarded; if
		 * several remain, all are (RFC 9989 §4.10 step 2, RFC 7489
		 * §6.6.3 step 5).
		 */
		for (i = 0; i < ans->nrr; i++) {
			if (ans->rr[i].type != VOUCH_DNS_TXT)
				continue;
			/* the first record straight into l, not through a
			 * copy of the 2 KB struct */
			r = l->nrecords == 0 ? &l->rec : &rec;
			st = record_read(
			    ans->rr[i].data, ans->rr[i].len, r, &ref);
			if (st == VOUCH_ENOMEM) {
				vouch_dmarc_record_free(r);
				lookup_rec_free(l);
				vouch_dns_answer_free(ans);
				ev->ncache--;
				return NULL;
			}
			if (st != VOUCH_OK) {
				vouch_dmarc_record_free(r);
				continue;
			}
			if (++l->nrecords == 1)
				l->shared = ref;
			else
				record_drop(&rec, ref);
		}
		if (l->nrecords == 1)
			l->outcome = DL_ONE;
		else
			lookup_rec_free(l);
		break;
	default: /* NODATA, NXDOMAIN */
		break;
	}
	vouch_dns_answer_free(ans);
	return l;
}

/* RFC 7489 §3.2 with the Public Suffix List (libpsl). */
static void
org_psl(struct dmarc_eval *ev, const char *name, struct dmarc_org *org)
{
	const char *reg = NULL;

	if (ev->d->psl != NULL)
		reg = psl_registrable_domain(ev->d->psl, name);
	/* A public suffix itself has no registrable domain: it is its own
	 * Organizational Domain for alignment. */
	if (reg == NULL)
		reg = name;
	memcpy(org->org, reg, strlen(reg) + 1);
}

/*
 * RFC 9989 §4.10: query _dmarc.<name>, then shorten the name (to 7 labels
 * at once when it has 8 or more, then one label at a time), stopping at a
 * record with psd=y or psd=n; at most 8 queries.  Then §4.10.2 selects the
 * Organizational Domain from the records found.
 */
static enum vouch_status
org_walk(struct dmarc_eval *ev, const char *name, struct dmarc_org *org)
{
	const struct dmarc_lookup *l, *last = NULL;
	const char *target = name;
	size_t x, nq = 0;

	for (;;) {
		if (++nq > VOUCH_DMARC_MAX_WALK_QUERIES)
			break; /* cannot happen: 1 + 7 queries at most */
		if ((l = dmarc_lookup(ev, target)) == NULL)
			return VOUCH_ENOMEM;
		if (l->outcome == DL_TEMP)
			org->temp = 1;
		else if (l->outcome == DL_PERM)
			org->perm = 1;
		else if (l->outcome == DL_ONE) {
			org->found[org->nfound++] = l;
			last = l;
			if (l->rec.psd != VOUCH_DMARC_PSD_UNKNOWN)
				break; /* steps 2 and 6: stop */
		}
		x = dmarc_nlabels(target);
		if (x <= 1)
			break;
		/* step 4: to 7 labels when the name has 8 or more */
		if (nq == 1 && x >= 8)
			target = dmarc_last_labels(target, 7);
		else
			target = strchr(target, '.') + 1;
	}
	/* §4.10.2 selection, longest to shortest; a psd record is last. */
	if (last != NULL && last->rec.psd == VOUCH_DMARC_PSD_NO) {
		memcpy(org->org, last->name, strlen(last->name) + 1);
	} else if (last != NULL && last->rec.psd == VOUCH_DMARC_PSD_YES &&
	           strcmp(last->name, name) != 0) {
		const char *below =
		    dmarc_last_labels(name, dmarc_nlabels(last->name) + 1);

		org->psd = last;
		memcpy(org->org, below, strlen(below) + 1);
	} else if (last != NULL) {
		/* step 3: the record at the fewest labels */
		memcpy(org->org, last->name, strlen(last->name) + 1);
	} else {
		/* "the initial target domain is the Organizational Domain" */
		memcpy(org->org, name, strlen(name) + 1);
	}
	return VOUCH_OK;
}

enum vouch_status
dmarc_org_domain(struct dmarc_eval *ev, const char *name, struct dmarc_org *org)
{
	memset(org, 0, sizeof(*org));
	if (ev->d->opts.mode == VOUCH_DMARC_MODE_RFC7489) {
		org_psl(ev, name, org);
		return VOUCH_OK;
	}
	return org_walk(ev, name, org);
}
