/*
 * A string pool: the strings of one table live in a few large chunks that
 * are freed together, instead of one allocation per field of a table that
 * may have a million lines.
 */
#include <stdlib.h>
#include <string.h>

#include "milter/tables/internal.h"

/* 64 KiB chunks; a longer string gets a chunk of its own size. */
#define POOL_CHUNK (64 * 1024)

struct pool_chunk {
	struct pool_chunk *next;
	size_t used, cap;
	char data[];
};

char *
pool_strndup(struct strpool *pool, const void *p, size_t len)
{
	struct pool_chunk *c = pool->head;
	char *s;

	if (c == NULL || c->cap - c->used < len + 1) {
		size_t cap = len + 1 > POOL_CHUNK ? len + 1 : POOL_CHUNK;

		if ((c = malloc(sizeof(*c) + cap)) == NULL)
			return NULL;
		c->used = 0;
		c->cap = cap;
		c->next = pool->head;
		pool->head = c;
	}
	s = c->data + c->used;
	if (len > 0)
		memcpy(s, p, len);
	s[len] = '\0';
	c->used += len + 1;
	return s;
}

char *
pool_strdup(struct strpool *pool, const char *s)
{
	return pool_strndup(pool, s, strlen(s));
}

void
pool_free(struct strpool *pool)
{
	struct pool_chunk *c, *next;

	for (c = pool->head; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	pool->head = NULL;
}
