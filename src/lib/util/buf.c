#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

void
vbuf_init(struct vbuf *b, size_t max)
{
	b->p = NULL;
	b->len = b->cap = 0;
	b->max = max;
	b->err = VOUCH_OK;
	b->lent = 0;
}

void
vbuf_init_fixed(struct vbuf *b, uint8_t *storage, size_t cap)
{
	/* vbuf_reserve asks for len + n + 1 <= max + 1 = cap bytes at most:
	 * always within the storage, so it never calls realloc on it */
	b->p = storage;
	b->p[0] = '\0';
	b->len = 0;
	b->cap = cap;
	b->max = cap - 1;
	b->err = VOUCH_OK;
	b->lent = 0;
}

void
vbuf_init_first(struct vbuf *b, uint8_t *storage, size_t cap, size_t max)
{
	b->p = storage;
	b->p[0] = '\0';
	b->len = 0;
	b->cap = cap;
	b->max = max;
	b->err = VOUCH_OK;
	b->lent = 1;
}

void
vbuf_free(struct vbuf *b)
{
	if (!b->lent)
		free(b->p);
	b->lent = 0;
	b->p = NULL;
	b->len = b->cap = 0;
	b->err = VOUCH_OK;
}

void
vbuf_reset(struct vbuf *b)
{
	b->len = 0;
	if (b->p != NULL)
		b->p[0] = '\0';
	b->err = VOUCH_OK;
}

/* Make room for n more bytes plus the terminating NUL. */
static enum vouch_status
vbuf_reserve(struct vbuf *b, size_t n)
{
	size_t need, ncap;
	uint8_t *np;

	if (b->err != VOUCH_OK)
		return b->err;
	if (n > b->max - b->len)
		return b->err = VOUCH_ELIMIT;
	need = b->len + n + 1;
	if (need <= b->cap)
		return VOUCH_OK;
	ncap = b->cap ? b->cap : 64;
	while (ncap < need)
		ncap = ncap > SIZE_MAX / 2 ? need : ncap * 2;
	if (ncap > b->max + 1)
		ncap = b->max + 1;
	if (b->lent) {
		/* out of the caller's storage, with the content and NUL */
		if ((np = malloc(ncap)) == NULL)
			return b->err = VOUCH_ENOMEM;
		memcpy(np, b->p, b->len + 1);
		b->lent = 0;
	} else if ((np = realloc(b->p, ncap)) == NULL) {
		return b->err = VOUCH_ENOMEM;
	}
	b->p = np;
	b->cap = ncap;
	return VOUCH_OK;
}

uint8_t *
vbuf_space_slow(struct vbuf *b, size_t n)
{
	return vbuf_reserve(b, n) == VOUCH_OK ? b->p + b->len : NULL;
}

enum vouch_status
vbuf_add_slow(struct vbuf *b, const void *p, size_t n)
{
	enum vouch_status st;

	if ((st = vbuf_reserve(b, n)) != VOUCH_OK)
		return st;
	if (n > 0)
		memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
	return VOUCH_OK;
}

enum vouch_status
vbuf_adds(struct vbuf *b, const char *s)
{
	return vbuf_add(b, s, strlen(s));
}

enum vouch_status
vbuf_vaddf(struct vbuf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n;
	enum vouch_status st;

	/*
	 * Format into the free space first; only when it does not fit grow
	 * once to the size vsnprintf reported and format again.  The bound
	 * is enforced by vbuf_reserve either way.
	 */
	if ((st = vbuf_reserve(b, 0)) != VOUCH_OK)
		return st;
	va_copy(cp, ap);
	n = vsnprintf((char *)b->p + b->len, b->cap - b->len, fmt, cp);
	va_end(cp);
	if (n < 0)
		return b->err = VOUCH_EINVAL;
	if ((size_t)n >= b->cap - b->len) {
		if ((st = vbuf_reserve(b, (size_t)n)) != VOUCH_OK)
			return st;
		vsnprintf((char *)b->p + b->len, b->cap - b->len, fmt, ap);
	}
	b->len += (size_t)n;
	return VOUCH_OK;
}

enum vouch_status
vbuf_addf(struct vbuf *b, const char *fmt, ...)
{
	va_list ap;
	enum vouch_status st;

	va_start(ap, fmt);
	st = vbuf_vaddf(b, fmt, ap);
	va_end(ap);
	return st;
}

char *
vbuf_take(struct vbuf *b, size_t *len)
{
	char *p = (char *)b->p;

	if (b->lent && (p = malloc(b->len + 1)) != NULL)
		memcpy(p, b->p, b->len + 1);
	b->lent = 0;
	if (len != NULL)
		*len = p != NULL ? b->len : 0;
	b->p = NULL;
	b->len = b->cap = 0;
	b->err = VOUCH_OK;
	return p;
}
