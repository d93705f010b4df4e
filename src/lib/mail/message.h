/*
 * Feeding a message read from a file descriptor to a streaming checker:
 * the one read loop the DKIM verifier, the ARC validator and `vouch verify`
 * share (include/vouch/message.h has the reader it drives).
 *
 * Thread safety: none needed; the call owns its reader.
 */
#ifndef VOUCH_MAIL_MESSAGE_H
#define VOUCH_MAIL_MESSAGE_H

#include <stddef.h>
#include <stdint.h>

#include "vouch/status.h"

/* A checker's header or body entry point; ctx is the checker. */
typedef enum vouch_status (*mail_feed_fn)(
    void *ctx, const uint8_t *p, size_t len);

/*
 * mail_message_feed - read the message on `fd` and hand it to a checker:
 * the header section once to `header`, then each body chunk (never empty)
 * to `body`.  A header section over VOUCH_MAX_HEADER_BYTES is handed to
 * `header` as read and no body follows: the checker turns it into a
 * verdict.
 * Returns VOUCH_OK when the checker has seen the whole message and its
 * finish call is due; otherwise the reader's or the checker's error.
 */
VOUCH_WARN_UNUSED enum vouch_status mail_message_feed(
    int fd, void *ctx, mail_feed_fn header, mail_feed_fn body);

/*
 * mail_message_feed_all - the same, except that after a header section
 * over VOUCH_MAX_HEADER_BYTES everything left on fd is handed to `header`
 * too, in chunks of up to VOUCH_MESSAGE_CHUNK bytes: for a checker that
 * holds what it can and scans every byte (vouch verify, whose From fields
 * and header shape past the limit still count).  Errors as above, and
 * VOUCH_EIO (read failed).
 */
VOUCH_WARN_UNUSED enum vouch_status mail_message_feed_all(
    int fd, void *ctx, mail_feed_fn header, mail_feed_fn body);

/*
 * mail_message_feed_mem - the same for a message held whole in memory,
 * `p`/`len` (not NUL-terminated): the header section up to and including
 * the empty line (all of it when there is none) to `header`, the rest in
 * one call to `body`.
 * Returns VOUCH_OK when the checker's finish call is due; otherwise the
 * checker's error.
 */
VOUCH_WARN_UNUSED enum vouch_status mail_message_feed_mem(const uint8_t *p,
    size_t len, void *ctx, mail_feed_fn header, mail_feed_fn body);

#endif
