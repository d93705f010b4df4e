/* Unit tests of the bounded buffer (src/lib/util/buf.c). */
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "util/buf.h"

int
main(void)
{
	struct vbuf b;
	size_t i;

	vbuf_init(&b, 16);
	tap_check(vbuf_adds(&b, "hello") == VOUCH_OK && b.len == 5 &&
	              memcmp(b.p, "hello\0", 6) == 0,
	    "append within cap");
	tap_check(vbuf_addf(&b, "-%d", 42) == VOUCH_OK &&
	              strcmp((char *)b.p, "hello-42") == 0,
	    "formatted append");
	tap_check(vbuf_adds(&b, "0123456789") == VOUCH_ELIMIT && b.len == 8,
	    "append past cap fails and leaves content");
	tap_check(
	    vbuf_addc(&b, 'x') == VOUCH_ELIMIT, "error is sticky until reset");
	vbuf_reset(&b);
	tap_check(b.len == 0 && vbuf_addc(&b, 'x') == VOUCH_OK,
	    "reset clears content and error");
	vbuf_free(&b);

	vbuf_init(&b, 1 << 20);
	for (i = 0; i < 100000; i++)
		(void)vbuf_addc(&b, (uint8_t)i);
	tap_check(b.err == VOUCH_OK && b.len == 100000, "grows to 100000");
	tap_check(vbuf_addf(&b, "%0*d", 2000000, 1) == VOUCH_ELIMIT,
	    "formatted append beyond cap refused");
	vbuf_free(&b);

	/*
	 * Appends of every length from 0 to 70 (the inline copies up to 32
	 * bytes, memcpy past them), at every offset mod 8: each lands whole,
	 * in order, with the NUL after it.
	 */
	{
		uint8_t src[80];
		static uint8_t want[32768];
		size_t n, off, len = 0, bad = 0;

		for (i = 0; i < sizeof(src); i++)
			src[i] = (uint8_t)('A' + i % 50);
		vbuf_init(&b, sizeof(want));
		for (off = 0; off < 8; off++)
			for (n = 0; n <= 70; n++) {
				if (len + n + 1 > sizeof(want))
					break;
				if (vbuf_add(&b, src + off, n) != VOUCH_OK)
					bad++;
				memcpy(want + len, src + off, n);
				len += n;
				if (b.len != len ||
				    memcmp(b.p, want, len) != 0 ||
				    b.p[len] != '\0')
					bad++;
			}
		tap_check(bad == 0 && b.len == len,
		    "appends of 0..70 bytes land whole, in order (%zu bytes)",
		    len);
		vbuf_free(&b);
	}
	/*
	 * vbuf_init_first: the content stays in the caller's storage up to
	 * its size, then moves to an allocation with every byte and the
	 * NUL; vbuf_take copies out of the storage and leaves it intact.
	 */
	{
		uint8_t first[16];
		char *t;
		size_t tlen = 0;

		vbuf_init_first(&b, first, sizeof(first), 40);
		tap_check(vbuf_adds(&b, "0123456789abcde") == VOUCH_OK &&
		              b.p == first && b.len == 15,
		    "init_first: 15 bytes stay in 16 bytes of storage");
		tap_check(vbuf_adds(&b, "fgh") == VOUCH_OK && b.p != first &&
		              b.len == 18 &&
		              strcmp((char *)b.p, "0123456789abcdefgh") == 0 &&
		              memcmp(first, "0123456789abcde", 16) == 0,
		    "init_first: the 16th byte moves the content out whole");
		tap_check(vbuf_adds(&b, "0123456789012345678901234") ==
		                  VOUCH_ELIMIT &&
		              b.len == 18,
		    "init_first: max holds after the move");
		vbuf_free(&b);
		vbuf_init_first(&b, first, sizeof(first), 40);
		(void)vbuf_adds(&b, "abc");
		t = vbuf_take(&b, &tlen);
		tap_check(t != NULL && (uint8_t *)t != first && tlen == 3 &&
		              strcmp(t, "abc") == 0 && b.p == NULL,
		    "init_first: take copies content still in the storage");
		free(t);
		vbuf_init_first(&b, first, sizeof(first), 40);
		(void)vbuf_adds(&b, "abc");
		vbuf_free(&b); /* must not free `first` (ASan would say) */
		tap_check(b.p == NULL && b.len == 0, "init_first: free");
	}
	return tap_done();
}
