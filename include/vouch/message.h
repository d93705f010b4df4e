/*
 * vouch: reading a message (RFC 5322) from a file or a stream.
 *
 * A message is read as raw bytes, CRLF or bare-LF line ends, in two parts:
 * the header section, held in memory whole (at most VOUCH_MAX_HEADER_BYTES,
 * limits.h), and the body, handed out in chunks of at most
 * VOUCH_MESSAGE_CHUNK bytes so that memory does not grow with the body.
 * The DKIM verifier, the signer and `vouch verify` share this reader.
 *
 * A reader belongs to one thread at a time.
 */
#ifndef VOUCH_MESSAGE_H
#define VOUCH_MESSAGE_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Bytes read from the file descriptor at a time, and largest body chunk. */
#define VOUCH_MESSAGE_CHUNK (64 * 1024)

struct vouch_message_reader; /* opaque */

/*
 * vouch_message_reader_new - a reader of the message on `fd` (a file, a
 * pipe, a socket; read from its current position; not closed by the
 * reader).
 * Out: *out, owned by the caller (vouch_message_reader_free).
 * Errors: VOUCH_ENOMEM.
 */
VOUCH_API VOUCH_WARN_UNUSED enum vouch_status vouch_message_reader_new(
    int fd, struct vouch_message_reader **out);

/*
 * vouch_message_read_header - read up to the end of the header section.
 * Out: *hdr and *len, the header section exactly as read (raw line ends),
 *      including the empty line that ends it when there is one; not
 *      NUL-terminated; owned by the reader, valid until it is freed.  A
 *      message without an empty line is all header (and has no body).
 * Call once, before vouch_message_read_body.
 * Errors: VOUCH_EIO (read failed; errno says why), VOUCH_ENOMEM,
 *         VOUCH_ELIMIT (no end of the header section within
 *         VOUCH_MAX_HEADER_BYTES + 2 bytes: *hdr and *len then hold what was
 *         read, more than VOUCH_MAX_HEADER_BYTES bytes, so that a
 *         verifier given them reports "header section too large"; the body
 *         cannot be read).
 * RFC 5322 §2.1 (header section, empty line, body).
 */
VOUCH_API VOUCH_WARN_UNUSED enum vouch_status vouch_message_read_header(
    struct vouch_message_reader *r, const uint8_t **hdr, size_t *len);

/*
 * vouch_message_read_body - the next chunk of the body.
 * Out: *p and *len, 1 to VOUCH_MESSAGE_CHUNK bytes, owned by the reader, valid
 *      until the next call; *len == 0 at the end of the message.  Chunks
 *      are cut anywhere (a CRLF may be split between two).
 * Errors: VOUCH_EIO, VOUCH_EINVAL (header not read yet, or it failed).
 */
VOUCH_API VOUCH_WARN_UNUSED enum vouch_status vouch_message_read_body(
    struct vouch_message_reader *r, const uint8_t **p, size_t *len);

/* vouch_message_reader_free - release a reader; NULL is a no-op. */
VOUCH_API void vouch_message_reader_free(struct vouch_message_reader *r);

#ifdef __cplusplus
}
#endif
#endif
