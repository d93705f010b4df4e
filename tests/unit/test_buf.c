/* Unit tests of the bounded buffer (src/lib/util/buf.c). */
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
	return tap_done();
}
