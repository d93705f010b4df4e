/*
 * Bounded growable byte buffer (the model: curl's dynbuf).  Every buffer has
 * a hard cap; an append beyond it fails with VOUCH_ELIMIT and leaves the
 * buffer as it was.  The first error is sticky in `err`, so a run of appends
 * can be checked once.  The content is always NUL-terminated (not counted in
 * `len`), so text can be handed to printf-like callers.
 */
#ifndef VOUCH_UTIL_BUF_H
#define VOUCH_UTIL_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "vouch/status.h"

struct vbuf {
	uint8_t *p;
	size_t len; /* bytes used */
	size_t cap; /* bytes allocated */
	size_t max; /* hard cap on len */
	enum vouch_status err; /* first failure, sticky */
	/* p is the caller's storage (vbuf_init_first), not to be freed */
	unsigned char lent;
};

/* vbuf_init - an empty buffer that may grow to `max` bytes. */
void vbuf_init(struct vbuf *b, size_t max);
/*
 * vbuf_init_fixed - an empty buffer over the caller's storage (cap bytes,
 * cap > 0) that never grows: its max is cap - 1 (the NUL takes the last
 * byte), so a write past it is VOUCH_ELIMIT and no write reallocates.
 * Never vbuf_free or vbuf_take it; vbuf_reset empties it.
 */
void vbuf_init_fixed(struct vbuf *b, uint8_t *storage, size_t cap);
/*
 * vbuf_init_first - an empty buffer that may grow to `max` bytes and
 * starts in the caller's storage (cap bytes, cap > 0), which must outlive
 * it: the content moves to an allocation of its own only when it grows
 * past cap, so a buffer that usually stays small costs no allocation.
 * vbuf_free frees only such an allocation; vbuf_take copies content that
 * is still in the storage (NULL on ENOMEM).
 */
void vbuf_init_first(struct vbuf *b, uint8_t *storage, size_t cap, size_t max);
/* vbuf_free - release the storage; the buffer is empty and usable again. */
void vbuf_free(struct vbuf *b);
/* vbuf_reset - drop the content, keep the storage and clear the error. */
void vbuf_reset(struct vbuf *b);
/*
 * vbuf_space - room for `n` more bytes, to be written in place: a pointer
 * to the first, or NULL when the buffer's max or memory does not allow it
 * (b->err set, as vbuf_add would).  vbuf_commit then adds the `n` bytes
 * written there (at most the room asked for) to the content.
 */
uint8_t *vbuf_space_slow(struct vbuf *b, size_t n);
enum vouch_status vbuf_add_slow(struct vbuf *b, const void *p, size_t n);

/*
 * The common case of vbuf_space, vbuf_add and vbuf_addc inline: no error,
 * room within both the storage and max for the bytes and the NUL.  The
 * rest (growth, ELIMIT, a sticky error) is the _slow function's, which
 * does the whole check again.  A buffer is filled by many small appends
 * per message (the Authentication-Results field, header data), and a call
 * each cost more than the copy.
 */
static inline int
vbuf_fits(const struct vbuf *b, size_t n)
{
	/* len <= max and len <= cap always hold: no wrap below */
	return b->err == VOUCH_OK && n <= b->max - b->len &&
	       n < b->cap - b->len;
}

static inline uint8_t *
vbuf_space(struct vbuf *b, size_t n)
{
	return vbuf_fits(b, n) ? b->p + b->len : vbuf_space_slow(b, n);
}

static inline void
vbuf_commit(struct vbuf *b, size_t n)
{
	b->len += n;
	b->p[b->len] = '\0';
}

/*
 * n bytes from s to d (not overlapping): up to 32 by moves of fixed size
 * that overlap at the middle, not a call (most appends are a word or a
 * piece of a field); more by memcpy.
 */
static inline void
vbuf_copy(uint8_t *d, const uint8_t *s, size_t n)
{
	uint64_t a, z;
	uint32_t a4, z4;

	if (n > 32) {
		__builtin_memcpy(d, s, n);
	} else if (n > 16) {
		uint64_t q[4];

		__builtin_memcpy(q, s, 16);
		__builtin_memcpy(q + 2, s + n - 16, 16);
		__builtin_memcpy(d, q, 16);
		__builtin_memcpy(d + n - 16, q + 2, 16);
	} else if (n >= 8) {
		__builtin_memcpy(&a, s, 8);
		__builtin_memcpy(&z, s + n - 8, 8);
		__builtin_memcpy(d, &a, 8);
		__builtin_memcpy(d + n - 8, &z, 8);
	} else if (n >= 4) {
		__builtin_memcpy(&a4, s, 4);
		__builtin_memcpy(&z4, s + n - 4, 4);
		__builtin_memcpy(d, &a4, 4);
		__builtin_memcpy(d + n - 4, &z4, 4);
	} else if (n > 0) {
		d[0] = s[0];
		d[n / 2] = s[n / 2];
		d[n - 1] = s[n - 1];
	}
}

static inline enum vouch_status
vbuf_add(struct vbuf *b, const void *p, size_t n)
{
	if (!vbuf_fits(b, n))
		return vbuf_add_slow(b, p, n);
	vbuf_copy(b->p + b->len, (const uint8_t *)p, n);
	b->len += n;
	b->p[b->len] = '\0';
	return VOUCH_OK;
}

static inline enum vouch_status
vbuf_addc(struct vbuf *b, uint8_t c)
{
	if (!vbuf_fits(b, 1))
		return vbuf_add_slow(b, &c, 1);
	b->p[b->len++] = c;
	b->p[b->len] = '\0';
	return VOUCH_OK;
}
enum vouch_status vbuf_adds(struct vbuf *b, const char *s);
enum vouch_status vbuf_addf(struct vbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
enum vouch_status vbuf_vaddf(struct vbuf *b, const char *fmt, va_list ap);
/*
 * vbuf_take - hand the storage to the caller (free() it); the buffer is left
 * empty.  Returns NULL for an empty buffer that never allocated (and on
 * ENOMEM for one over the caller's storage, vbuf_init_first).
 */
char *vbuf_take(struct vbuf *b, size_t *len);

#endif
