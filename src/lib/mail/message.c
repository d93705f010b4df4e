/*
 * Reading a message from a file descriptor: the header section whole, the
 * body in chunks (include/vouch/message.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vouch/limits.h"
#include "vouch/message.h"

#include "header.h"
#include "message.h"

/* The header may end with CRLF CRLF: room for the limit plus the ending. */
#define HEADER_READ_MAX (VOUCH_MAX_HEADER_BYTES + 4)

struct vouch_message_reader {
	int fd;
	int state; /* 0 new, 1 header read, 2 header failed, 3 end of body */
	uint8_t *buf;
	size_t len; /* bytes in buf */
	size_t hlen; /* header section length, incl. the empty line */
	size_t pos; /* body bytes of buf not yet handed out start here */
	uint8_t *chunk;
};

enum vouch_status
vouch_message_reader_new(int fd, struct vouch_message_reader **out)
{
	struct vouch_message_reader *r;

	*out = NULL;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return VOUCH_ENOMEM;
	r->fd = fd;
	*out = r;
	return VOUCH_OK;
}

void
vouch_message_reader_free(struct vouch_message_reader *r)
{
	if (r == NULL)
		return;
	free(r->buf);
	free(r->chunk);
	free(r);
}

/* read(2) that retries on EINTR; returns bytes read, 0 at EOF, -1. */
static ssize_t
read_some(int fd, uint8_t *p, size_t n)
{
	ssize_t k;

	do
		k = read(fd, p, n);
	while (k < 0 && errno == EINTR);
	return k;
}

/*
 * The end of the header section (LF LF, LF CR LF) whose first LF is at or
 * after `from` (> 0): the offset just past it, or 0.
 */
static size_t
header_end_from(const uint8_t *p, size_t len, size_t from)
{
	const uint8_t *q = p + from, *end = p + len;

	while (q < end && (q = memchr(q, '\n', (size_t)(end - q))) != NULL) {
		q++;
		if (q < end && *q == '\n')
			return (size_t)(q - p) + 1;
		if (end - q >= 2 && q[0] == '\r' && q[1] == '\n')
			return (size_t)(q - p) + 2;
	}
	return 0;
}

enum vouch_status
vouch_message_read_header(
    struct vouch_message_reader *r, const uint8_t **hdr, size_t *len)
{
	size_t cap = 0, want, end, from;
	uint8_t *nb;
	ssize_t k;

	*hdr = NULL;
	*len = 0;
	if (r->state != 0)
		return VOUCH_EINVAL;
	r->state = 2;
	for (;;) {
		if (r->len >= HEADER_READ_MAX) {
			*hdr = r->buf;
			*len = r->len;
			return VOUCH_ELIMIT;
		}
		if (cap - r->len < VOUCH_MESSAGE_CHUNK) {
			want = cap ? cap * 2 : 2 * VOUCH_MESSAGE_CHUNK;
			if (want > HEADER_READ_MAX + VOUCH_MESSAGE_CHUNK)
				want = HEADER_READ_MAX + VOUCH_MESSAGE_CHUNK;
			if ((nb = realloc(r->buf, want)) == NULL)
				return VOUCH_ENOMEM;
			r->buf = nb;
			cap = want;
		}
		k = read_some(r->fd, r->buf + r->len, VOUCH_MESSAGE_CHUNK);
		if (k < 0)
			return VOUCH_EIO;
		if (k == 0) {
			/* End of input: what there is, is the header. */
			end = mail_header_end(r->buf, r->len);
			r->hlen = end ? end : r->len;
			break;
		}
		/* Search only the new bytes (and the 2 before them that an
		 * end-of-header LF CR LF may start in), so that a header
		 * arriving in small reads is not rescanned again and again. */
		from = r->len > 2 ? r->len - 2 : 0;
		r->len += (size_t)k;
		if ((end = from == 0
		               ? mail_header_end(r->buf, r->len)
		               : header_end_from(r->buf, r->len, from)) > 0) {
			r->hlen = end;
			break;
		}
	}
	if (r->hlen > HEADER_READ_MAX) {
		*hdr = r->buf;
		*len = r->len;
		return VOUCH_ELIMIT;
	}
	r->pos = r->hlen;
	r->state = 1;
	*hdr = r->buf;
	*len = r->hlen;
	return VOUCH_OK;
}

enum vouch_status
vouch_message_read_body(
    struct vouch_message_reader *r, const uint8_t **p, size_t *len)
{
	ssize_t k;

	*p = NULL;
	*len = 0;
	if (r->state == 3)
		return VOUCH_OK;
	if (r->state != 1)
		return VOUCH_EINVAL;
	if (r->pos < r->len) {
		/* Body bytes that came with the header. */
		*p = r->buf + r->pos;
		*len = r->len - r->pos;
		if (*len > VOUCH_MESSAGE_CHUNK)
			*len = VOUCH_MESSAGE_CHUNK;
		r->pos += *len;
		return VOUCH_OK;
	}
	if (r->chunk == NULL) {
		/* The header buffer is no longer needed by us; keep it for
		 * the caller's pointer and read the body into its own. */
		if ((r->chunk = malloc(VOUCH_MESSAGE_CHUNK)) == NULL)
			return VOUCH_ENOMEM;
	}
	k = read_some(r->fd, r->chunk, VOUCH_MESSAGE_CHUNK);
	if (k < 0)
		return VOUCH_EIO;
	if (k == 0) {
		r->state = 3;
		return VOUCH_OK;
	}
	*p = r->chunk;
	*len = (size_t)k;
	return VOUCH_OK;
}

/* What is left on fd, to `header` in chunks; see mail_message_feed_all. */
static enum vouch_status
feed_rest(int fd, void *ctx, mail_feed_fn header)
{
	uint8_t *buf;
	ssize_t k;
	enum vouch_status st = VOUCH_OK;

	if ((buf = malloc(VOUCH_MESSAGE_CHUNK)) == NULL)
		return VOUCH_ENOMEM;
	for (;;) {
		k = read(fd, buf, VOUCH_MESSAGE_CHUNK);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			st = VOUCH_EIO;
			break;
		}
		if (k == 0 || (st = header(ctx, buf, (size_t)k)) != VOUCH_OK)
			break;
	}
	free(buf);
	return st;
}

static enum vouch_status
feed(int fd, void *ctx, mail_feed_fn header, mail_feed_fn body, int all)
{
	struct vouch_message_reader *r = NULL;
	const uint8_t *p;
	size_t n;
	enum vouch_status st;

	if ((st = vouch_message_reader_new(fd, &r)) != VOUCH_OK)
		return st;
	st = vouch_message_read_header(r, &p, &n);
	if (st == VOUCH_ELIMIT) {
		/* The checker turns the oversized header into a verdict;
		 * the reader has handed over all it read. */
		if ((st = header(ctx, p, n)) == VOUCH_OK && all)
			st = feed_rest(fd, ctx, header);
		goto out;
	}
	if (st != VOUCH_OK || (st = header(ctx, p, n)) != VOUCH_OK)
		goto out;
	/* the body, streamed: never more than one chunk in memory */
	for (;;) {
		if ((st = vouch_message_read_body(r, &p, &n)) != VOUCH_OK)
			goto out;
		if (n == 0)
			break;
		if ((st = body(ctx, p, n)) != VOUCH_OK)
			goto out;
	}
out:
	vouch_message_reader_free(r);
	return st;
}

enum vouch_status
mail_message_feed(int fd, void *ctx, mail_feed_fn header, mail_feed_fn body)
{
	return feed(fd, ctx, header, body, 0);
}

enum vouch_status
mail_message_feed_all(int fd, void *ctx, mail_feed_fn header, mail_feed_fn body)
{
	return feed(fd, ctx, header, body, 1);
}

enum vouch_status
mail_message_feed_mem(const uint8_t *p, size_t len, void *ctx,
    mail_feed_fn header, mail_feed_fn body)
{
	enum vouch_status st;
	size_t hlen;

	hlen = mail_header_end(p, len);
	if (hlen == 0)
		hlen = len; /* all header, no body */
	if ((st = header(ctx, p, hlen)) != VOUCH_OK)
		return st;
	return body(ctx, p + hlen, len - hlen);
}
