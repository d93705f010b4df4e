/*
 * The process-wide cache of parsed DMARC records, keyed on the exact text
 * of the record: a domain's record is the same text for every message
 * from it, and parsing it again for each was a measurable part of a
 * verdict (issue 10).  Only the parse is saved: the _dmarc query is still
 * made for every message, so the DNS answer cache's TTL rules decide when
 * a changed record is seen, and a changed text is a new entry.
 *
 * Entries are immutable once in the cache and counted: the cache holds
 * one reference, each lookup that uses an entry another, so an entry
 * evicted while an evaluation in another thread still reads it lives
 * until that evaluation lets it go.  One mutex guards the slots and the
 * counts, as the DKIM key cache does.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "dmarc/internal.h"

struct dmarc_rec_entry {
	struct vouch_dmarc_record rec; /* owns its buf; rec.text is the key */
	unsigned refs;
	uint64_t used;
};

static struct dmarc_rec_entry *cache[VOUCH_DMARC_RECORD_CACHE];
static uint64_t cache_clock;
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;

/* Drops one reference; the caller holds cache_lock. */
static void
unref_locked(struct dmarc_rec_entry *e)
{
	if (--e->refs == 0) {
		vouch_dmarc_record_free(&e->rec);
		free(e);
	}
}

int
dmarc_rec_lookup(const uint8_t *txt, size_t len, struct vouch_dmarc_record *rec,
    struct dmarc_rec_entry **ref)
{
	struct dmarc_rec_entry *e;
	size_t i;

	*ref = NULL;
	pthread_mutex_lock(&cache_lock);
	for (i = 0; i < VOUCH_DMARC_RECORD_CACHE; i++) {
		e = cache[i];
		if (e != NULL && e->rec.textlen == len &&
		    memcmp(e->rec.text, txt, len) == 0) {
			e->refs++;
			e->used = ++cache_clock;
			*rec = e->rec; /* its pointers stay in e->rec.buf */
			*ref = e;
			break;
		}
	}
	pthread_mutex_unlock(&cache_lock);
	return *ref != NULL;
}

void
dmarc_rec_remember(struct vouch_dmarc_record *rec, struct dmarc_rec_entry **ref)
{
	struct dmarc_rec_entry *e;
	size_t i, victim = 0;

	*ref = NULL;
	if (rec->text == NULL || (e = malloc(sizeof(*e))) == NULL)
		return; /* not remembered: only slower */
	e->rec = *rec;
	e->refs = 2; /* the cache's and the caller's */
	pthread_mutex_lock(&cache_lock);
	e->used = ++cache_clock;
	/* an empty slot, else the least recently used one */
	for (i = 0; i < VOUCH_DMARC_RECORD_CACHE; i++) {
		if (cache[i] == NULL) {
			victim = i;
			break;
		}
		if (cache[i]->used < cache[victim]->used)
			victim = i;
	}
	if (cache[victim] != NULL)
		unref_locked(cache[victim]);
	cache[victim] = e;
	pthread_mutex_unlock(&cache_lock);
	*ref = e; /* rec now reads e's storage, which the caller releases */
}

void
dmarc_rec_release(struct dmarc_rec_entry *ref)
{
	if (ref == NULL)
		return;
	pthread_mutex_lock(&cache_lock);
	unref_locked(ref);
	pthread_mutex_unlock(&cache_lock);
}
