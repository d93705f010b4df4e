/*
 * Base64 (RFC 4648 §4) for DKIM: b=, bh= and p= values.
 *
 * DKIM values may carry folding whitespace anywhere inside the base64 text
 * (RFC 6376 §3.5: "whitespace is ignored in this value"), so the decoder
 * skips SP, HTAB, CR and LF.  Every other byte outside the alphabet is an
 * error, as is a wrong final quantum or '=' padding in the middle.
 */
#ifndef VOUCH_UTIL_BASE64_H
#define VOUCH_UTIL_BASE64_H

#include <stddef.h>
#include <stdint.h>

#include "vouch/status.h"

/* Bytes needed to decode `n` base64 characters (an upper bound). */
#define BASE64_DECODED_MAX(n) (((n) / 4 + 1) * 3)
/* Bytes base64_encode writes for `n` input bytes (no NUL). */
#define BASE64_ENCODED_LEN(n) ((((n) + 2) / 3) * 4)

/*
 * base64_decode - decode `len` bytes of base64 text at `in` into `out`
 * (capacity `cap` bytes, at least BASE64_DECODED_MAX(len) is always
 * enough).  Whitespace (SP, HTAB, CR, LF) is skipped; padding is optional
 * only in the sense that a final quantum of 2 or 3 characters is accepted
 * without '='.  *outlen receives the decoded size.
 * Errors: VOUCH_ESYNTAX (byte outside the alphabet, padding in the middle,
 * a final quantum of one character, non-zero bits after the last byte),
 * VOUCH_ELIMIT (out too small).
 */
enum vouch_status base64_decode(const uint8_t *in, size_t len, uint8_t *out,
    size_t cap, size_t *outlen) __attribute__((warn_unused_result));

/*
 * base64_encode - write BASE64_ENCODED_LEN(len) characters for `len` bytes
 * at `in` to `out` (capacity `cap`), padded with '='.  Returns the number
 * of characters written, or 0 when `cap` is too small (and len > 0).
 */
size_t base64_encode(const uint8_t *in, size_t len, char *out, size_t cap);

#endif
