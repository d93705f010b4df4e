/*
 * The per-destination rate limit of failure reports (RFC 9991 §2: "Report
 * generators MUST implement a rate-limit on outgoing reports"; §8.1
 * suggests "a maximum number of reports per minute").
 *
 * A token bucket per destination address: `rate` tokens, refilled evenly
 * over `period` seconds, one taken per report.  A bucket counts tokens
 * times `period`: it then gains exactly `rate` units a second and a
 * report costs `period` units, so no refill is lost to rounding however
 * often it is asked.  (The saved state shows thousandths of a token.)  The
 * table is bounded (VOUCH_FAILURE_MAX_TRACKED); a destination that finds no
 * room gets no report: an attacker who makes up destinations cannot flush the
 * buckets of real ones.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "failure_internal.h"

#define MILLI 1000

struct bucket {
	struct bucket *next; /* in its hash chain */
	int64_t units; /* tokens x period */
	int64_t last; /* when units was computed, UNIX seconds */
	char dest[VOUCH_FAILURE_MAX_ADDR + 1]; /* lower case */
};

struct failure_rate {
	pthread_mutex_t lock;
	unsigned rate, period;
	size_t n, nslots;
	struct bucket **slot;
};

enum vouch_status
failure_rate_new(unsigned rate, unsigned period, struct failure_rate **out)
{
	struct failure_rate *r;

	*out = NULL;
	if (rate == 0 || period == 0)
		return VOUCH_EINVAL;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return VOUCH_ENOMEM;
	r->rate = rate;
	r->period = period;
	r->nslots = 1024;
	r->slot = calloc(r->nslots, sizeof(*r->slot)); /* NOLINT */
	if (r->slot == NULL) {
		free(r);
		return VOUCH_ENOMEM;
	}
	pthread_mutex_init(&r->lock, NULL);
	*out = r;
	return VOUCH_OK;
}

static void
clear(struct failure_rate *r)
{
	struct bucket *b, *nb;
	size_t i;

	for (i = 0; i < r->nslots; i++) {
		for (b = r->slot[i]; b != NULL; b = nb) {
			nb = b->next;
			free(b);
		}
		r->slot[i] = NULL;
	}
	r->n = 0;
}

void
failure_rate_free(struct failure_rate *r)
{
	if (r == NULL)
		return;
	clear(r);
	free(r->slot);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

/* FNV-1a of the lower-case address */
static size_t
hash(const char *s)
{
	uint64_t h = 14695981039346656037ull;

	for (; *s != '\0'; s++) {
		h ^= (uint8_t)*s;
		h *= 1099511628211ull;
	}
	return (size_t)h;
}

/* A full bucket: rate x period units (at most 10^6 x 400 days' seconds,
 * far inside 64 bits). */
static int64_t
capacity(const struct failure_rate *r)
{
	return (int64_t)r->rate * (int64_t)r->period;
}

/* The bucket at `now`: refilled for the time since b->last. */
static void
refill(const struct failure_rate *r, struct bucket *b, int64_t now)
{
	int64_t dt = now - b->last;

	if (dt > 0) {
		/* a whole period refills the bucket */
		if (dt > (int64_t)r->period)
			dt = r->period;
		b->units += dt * (int64_t)r->rate;
		if (b->units > capacity(r))
			b->units = capacity(r);
		b->last = now;
	}
	/* a clock that went back: the bucket waits for it to catch up */
}

/* Forget the buckets that are full again: they hold nothing. */
static void
prune(struct failure_rate *r, int64_t now)
{
	struct bucket **pp, *b;
	size_t i;

	for (i = 0; i < r->nslots; i++)
		for (pp = &r->slot[i]; (b = *pp) != NULL;) {
			refill(r, b, now);
			if (b->units >= capacity(r)) {
				*pp = b->next;
				free(b);
				r->n--;
			} else
				pp = &b->next;
		}
}

static void
grow(struct failure_rate *r)
{
	struct bucket **ns, *b, *nb;
	size_t i, n = r->nslots * 2, h;

	if (r->n < r->nslots * 2 || r->nslots >= VOUCH_FAILURE_MAX_TRACKED)
		return;
	ns = calloc(n, sizeof(*ns)); /* NOLINT */
	if (ns == NULL)
		return; /* longer chains, still correct */
	for (i = 0; i < r->nslots; i++)
		for (b = r->slot[i]; b != NULL; b = nb) {
			nb = b->next;
			h = hash(b->dest) % n;
			b->next = ns[h];
			ns[h] = b;
		}
	free(r->slot);
	r->slot = ns;
	r->nslots = n;
}

static void
lower_copy(char *dst, const char *src, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		dst[i] = src[i] >= 'A' && src[i] <= 'Z' ? (char)(src[i] + 32)
		                                        : src[i];
	dst[n] = '\0';
}

/*
 * The bucket of `dest` (lower case), made full at `now` when new; NULL
 * when there is no room (*nomem set when memory ran out).
 */
static struct bucket *
lookup(
    struct failure_rate *r, const char *dest, size_t n, int64_t now, int *nomem)
{
	struct bucket *b;
	size_t h = hash(dest) % r->nslots;

	for (b = r->slot[h]; b != NULL; b = b->next)
		if (strcmp(b->dest, dest) == 0)
			return b;
	if (r->n >= VOUCH_FAILURE_MAX_TRACKED)
		prune(r, now);
	if (r->n >= VOUCH_FAILURE_MAX_TRACKED)
		return NULL;
	if ((b = calloc(1, sizeof(*b))) == NULL) {
		*nomem = 1;
		return NULL;
	}
	memcpy(b->dest, dest, n + 1);
	b->units = capacity(r);
	b->last = now;
	b->next = r->slot[h];
	r->slot[h] = b;
	r->n++;
	grow(r);
	return b;
}

int
failure_rate_take(struct failure_rate *r, const char *dest, time_t now)
{
	char key[VOUCH_FAILURE_MAX_ADDR + 1];
	size_t n = strnlen(dest, sizeof(key));
	struct bucket *b;
	int ok = 0, nomem = 0;

	if (n == 0 || n >= sizeof(key))
		return 0;
	lower_copy(key, dest, n);
	pthread_mutex_lock(&r->lock);
	if ((b = lookup(r, key, n, (int64_t)now, &nomem)) != NULL) {
		refill(r, b, (int64_t)now);
		if (b->units >= (int64_t)r->period) {
			b->units -= (int64_t)r->period;
			ok = 1;
		}
	}
	pthread_mutex_unlock(&r->lock);
	return nomem ? -1 : ok;
}

enum vouch_status
failure_rate_save(struct failure_rate *r, char **text, size_t *len)
{
	struct vbuf out;
	struct bucket *b;
	size_t i;

	vbuf_init(&out, VOUCH_FAILURE_STATE_MAX_BYTES);
	pthread_mutex_lock(&r->lock);
	(void)vbuf_addf(
	    &out, "vouch-failure-rate 1 %u %u\n", r->rate, r->period);
	for (i = 0; i < r->nslots; i++)
		for (b = r->slot[i]; b != NULL; b = b->next)
			(void)vbuf_addf(&out, "%s %lld %lld\n", b->dest,
			    (long long)(b->units * MILLI / (int64_t)r->period),
			    (long long)b->last);
	pthread_mutex_unlock(&r->lock);
	if (out.err != VOUCH_OK) {
		vbuf_free(&out);
		return VOUCH_ENOMEM;
	}
	*text = vbuf_take(&out, len);
	if (*text == NULL)
		return VOUCH_ENOMEM;
	return VOUCH_OK;
}

/* A decimal number of 1..18 digits (no sign) in p/n; -1 if not. */
static int64_t
number(const uint8_t *p, size_t n)
{
	int64_t v = 0;
	size_t i;

	if (n == 0 || n > 18)
		return -1;
	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v;
}

/* Splits p/n at spaces into at most `max` words; the count, or -1 when
 * there are more. */
static int
words(const uint8_t *p, size_t n, const uint8_t **w, size_t *wl, int max)
{
	size_t i = 0, s;
	int k = 0;

	while (i < n) {
		while (i < n && p[i] == ' ')
			i++;
		if (i == n)
			break;
		if (k == max)
			return -1;
		for (s = i; i < n && p[i] != ' '; i++)
			;
		w[k] = p + s;
		wl[k++] = i - s;
	}
	return k;
}

/* One "ADDRESS MILLITOKENS UNIXTIME" line; 0, or -1 when it is bad. */
static int
load_line(struct failure_rate *r, const uint8_t *p, size_t n, int64_t old_cap,
    int *nomem)
{
	const uint8_t *w[3];
	size_t wl[3], i;
	char key[VOUCH_FAILURE_MAX_ADDR + 1];
	int64_t milli, last;
	struct bucket *b;

	if (words(p, n, w, wl, 3) != 3 || wl[0] > VOUCH_FAILURE_MAX_ADDR)
		return -1;
	for (i = 0; i < wl[0]; i++)
		if (w[0][i] <= 0x20 || w[0][i] >= 0x7f)
			return -1;
	if ((milli = number(w[1], wl[1])) < 0 ||
	    (last = number(w[2], wl[2])) < 0)
		return -1;
	if (milli > old_cap)
		milli = old_cap;
	lower_copy(key, (const char *)w[0], wl[0]);
	if ((b = lookup(r, key, wl[0], last, nomem)) == NULL)
		return *nomem ? -1 : 0; /* over the table's bound: dropped */
	/* the same fullness under the new rate (old_cap > 0); in floating
	 * point, as the product of two capacities overflows 64 bits */
	b->units =
	    (int64_t)((double)milli / (double)old_cap * (double)capacity(r));
	b->last = last;
	return 0;
}

enum vouch_status
failure_rate_load(
    struct failure_rate *r, const uint8_t *p, size_t len, size_t *nbad)
{
	static const char magic[] = "vouch-failure-rate 1 ";
	const uint8_t *w[2];
	size_t wl[2], at, end, bad = 0;
	const uint8_t *nl;
	int64_t orate;
	int nomem = 0;

	if (nbad != NULL)
		*nbad = 0;
	if (len > VOUCH_FAILURE_STATE_MAX_BYTES)
		return VOUCH_ELIMIT;
	pthread_mutex_lock(&r->lock);
	clear(r);
	nl = len > 0 ? memchr(p, '\n', len) : NULL;
	end = nl != NULL ? (size_t)(nl - p) : len;
	if (end < sizeof(magic) - 1 ||
	    memcmp(p, magic, sizeof(magic) - 1) != 0 ||
	    words(p + sizeof(magic) - 1, end - (sizeof(magic) - 1), w, wl, 2) !=
	        2 ||
	    (orate = number(w[0], wl[0])) <= 0 || orate > 1000000000 ||
	    number(w[1], wl[1]) <= 0) {
		pthread_mutex_unlock(&r->lock);
		return VOUCH_ESYNTAX;
	}
	for (at = end + 1; at < len && !nomem; at = end + 1) {
		nl = memchr(p + at, '\n', len - at);
		end = nl != NULL ? (size_t)(nl - p) : len;
		if (end > at &&
		    load_line(r, p + at, end - at, orate * MILLI, &nomem) < 0)
			bad++;
	}
	pthread_mutex_unlock(&r->lock);
	if (nbad != NULL)
		*nbad = bad;
	return nomem ? VOUCH_ENOMEM : VOUCH_OK;
}
