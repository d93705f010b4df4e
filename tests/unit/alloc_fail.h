/*
 * The failing allocator of the allocation-failure tests (curl's torture
 * tests are the model): a test sets `countdown` to n, runs the code under
 * test, and the n-th allocation from then on fails (`failed` says it
 * did); `live` counts the blocks allocated and not yet freed, so a run
 * that returns must leave it as it found it.
 *
 * malloc, calloc, realloc and free are defined here, over glibc's __libc_*
 * entry points: include this header once, in the test program's only
 * source file.  Sanitizer builds own malloc: NO_WRAP is then defined and
 * nothing else is, and the test skips.  Under valgrind, say, malloc is not
 * ours either: alloc_fail_is_ours() says so.
 *
 * Define ALLOC_FAIL_OWN_BLOCKS before including to count in `live` only the
 * blocks allocated from this executable's code (vouch's included): OpenSSL
 * keeps caches of its own across calls, also after a failure inside it.
 */
#ifndef VOUCH_TEST_ALLOC_FAIL_H
#define VOUCH_TEST_ALLOC_FAIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#if defined(__SANITIZE_ADDRESS__)
#define NO_WRAP 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer)
#define NO_WRAP 1
#endif
#endif

#ifdef NO_WRAP
/*
 * Under a sanitizer the tests compile their runs but only print a skip:
 * the sanitizer owns malloc.  Keep the unused runs from warning.
 */
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wunused-variable"
#pragma GCC diagnostic ignored "-Wpragmas"
#pragma GCC diagnostic ignored "-Wunused-const-variable"
#endif

#ifndef NO_WRAP
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);

/* -1: no failure planned; otherwise allocations left before one fails */
static long countdown = -1;
/* the planned failure happened */
static int failed;
/*
 * Blocks allocated and not yet freed.  volatile: the compiler takes free()
 * for the builtin, which touches no variable of ours, and would use a
 * stale count after it.
 */
static volatile long live;

static int
fail_now(void)
{
	if (countdown < 0)
		return 0;
	if (countdown-- == 0) {
		failed = 1;
		return 1;
	}
	return 0;
}

#ifdef ALLOC_FAIL_OWN_BLOCKS
/* the bounds of this executable's code (GNU ld), vouch's included */
extern const char __executable_start[], etext[];

#define OWN_SLOTS 65536
/* the blocks counted in `live`: an open-addressing hash set */
static void *own[OWN_SLOTS];

static int
is_own_caller(const void *ret)
{
	return (const char *)ret >= __executable_start &&
	       (const char *)ret < etext;
}

static size_t
slot(const void *p)
{
	return ((uintptr_t)p >> 4) * 2654435761u % OWN_SLOTS;
}

static void
own_add(void *p)
{
	size_t i, k = slot(p);

	for (i = 0; i < OWN_SLOTS; i++, k = (k + 1) % OWN_SLOTS)
		if (own[k] == NULL) {
			own[k] = p;
			live++;
			return;
		}
	abort(); /* more live blocks than the table: the test is wrong */
}

/* Removes p if vouch allocated it (deletion with backward shift). */
static void
own_del(void *p)
{
	size_t i, k = slot(p), j, h;

	for (i = 0; i < OWN_SLOTS && own[k] != NULL;
	     i++, k = (k + 1) % OWN_SLOTS)
		if (own[k] == p)
			break;
	if (i == OWN_SLOTS || own[k] != p)
		return;
	own[k] = NULL;
	live--;
	for (j = (k + 1) % OWN_SLOTS; own[j] != NULL; j = (j + 1) % OWN_SLOTS) {
		h = slot(own[j]);
		/* move own[j] back to k when k lies on its probe path */
		if ((j > k && (h <= k || h > j)) ||
		    (j < k && h <= k && h > j)) {
			own[k] = own[j];
			own[j] = NULL;
			k = j;
		}
	}
}

void *
malloc(size_t n)
{
	void *p = fail_now() ? NULL : __libc_malloc(n);

	if (p != NULL && is_own_caller(__builtin_return_address(0)))
		own_add(p);
	return p;
}

void *
calloc(size_t n, size_t size)
{
	void *p = fail_now() ? NULL : __libc_calloc(n, size);

	if (p != NULL && is_own_caller(__builtin_return_address(0)))
		own_add(p);
	return p;
}

void *
realloc(void *p, size_t n)
{
	void *q;
	long was = live;

	if (fail_now())
		return NULL;
	if (p != NULL)
		own_del(p);
	q = __libc_realloc(p, n);
	if (q != NULL &&
	    (live < was || is_own_caller(__builtin_return_address(0))))
		own_add(q);
	return q;
}

void
free(void *p)
{
	if (p != NULL)
		own_del(p);
	__libc_free(p);
}
#else
void *
malloc(size_t n)
{
	void *p = fail_now() ? NULL : __libc_malloc(n);

	live += p != NULL;
	return p;
}

void *
calloc(size_t n, size_t size)
{
	void *p = fail_now() ? NULL : __libc_calloc(n, size);

	live += p != NULL;
	return p;
}

void *
realloc(void *p, size_t n)
{
	void *q;

	if (fail_now())
		return NULL;
	q = __libc_realloc(p, n);
	live += (p == NULL && q != NULL) - (p != NULL && n == 0);
	return q;
}

void
free(void *p)
{
	live -= p != NULL;
	__libc_free(p);
}
#endif

/* Does a planned failure reach the program's own malloc calls? */
static inline int
alloc_fail_is_ours(void)
{
	/* called through a volatile pointer: the compiler may not drop it */
	void *(*volatile probe_malloc)(size_t) = malloc;
	void *probe;

	countdown = 0;
	probe = probe_malloc(1);
	countdown = -1;
	if (probe == NULL)
		return 1;
	free(probe);
	return 0;
}
#endif

#endif
