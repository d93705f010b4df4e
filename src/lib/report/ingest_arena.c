/*
 * The arena one aggregate report lives in: strings and arrays are carved
 * from blocks freed together, so a report of thousands of records costs a
 * few mallocs and one free, and a cap bounds what a hostile file can take.
 */
#include <stdlib.h>
#include <string.h>

#include "ingest_internal.h"

/* Most reports fit one block; big ones grow by blocks of this size. */
#define FB_BLOCK 16384

struct fb_block {
	struct fb_block *next;
	size_t used, cap;
	max_align_t data[];
};

void
fb_arena_init(struct fb_arena *a, size_t max)
{
	a->head = NULL;
	a->used = 0;
	a->max = max;
}

void
fb_arena_free(struct fb_arena *a)
{
	struct fb_block *b, *next;

	for (b = a->head; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
	a->head = NULL;
	a->used = 0;
}

void *
fb_arena_alloc(struct fb_arena *a, size_t n, enum vouch_status *st)
{
	const size_t align = sizeof(max_align_t);
	struct fb_block *b = a->head;
	size_t need, cap;
	void *p;

	if (n == 0)
		n = 1;
	if (n > a->max) {
		*st = VOUCH_ELIMIT;
		return NULL;
	}
	need = (n + align - 1) / align * align;
	if (need > a->max - a->used) {
		*st = VOUCH_ELIMIT;
		return NULL;
	}
	if (b == NULL || b->cap - b->used < need) {
		cap = need > FB_BLOCK ? need : FB_BLOCK;
		if ((b = malloc(sizeof(*b) + cap)) == NULL) {
			*st = VOUCH_ENOMEM;
			return NULL;
		}
		b->used = 0;
		b->cap = cap;
		b->next = a->head;
		a->head = b;
	}
	p = (char *)b->data + b->used;
	b->used += need;
	a->used += need;
	memset(p, 0, n);
	return p;
}

char *
fb_arena_strndup(
    struct fb_arena *a, const char *s, size_t len, enum vouch_status *st)
{
	char *p;

	if (len == SIZE_MAX) {
		*st = VOUCH_ELIMIT;
		return NULL;
	}
	if ((p = fb_arena_alloc(a, len + 1, st)) == NULL)
		return NULL;
	if (len > 0)
		memcpy(p, s, len);
	p[len] = '\0';
	return p;
}
