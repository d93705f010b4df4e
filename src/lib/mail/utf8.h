/*
 * UTF-8 and the characters a mail reader may not show.
 *
 * A From field may carry UTF-8 (RFC 6532 §3.2).  Some code points are
 * drawn as nothing, as blank space, or change the order in which the text
 * around them is drawn; a reader that shows "ceo@victim.example" may be
 * showing a domain that ends in one of them.  vouch reads such a field as
 * a person would (the characters removed) and flags it (RFC 9989 §4.4,
 * §11.5 leave malformed and ambiguous From fields to the receiver; see
 * doc/threat-model.md).
 */
#ifndef VOUCH_MAIL_UTF8_H
#define VOUCH_MAIL_UTF8_H

#include <stddef.h>
#include <stdint.h>

/*
 * mail_utf8_decode - the code point of the UTF-8 sequence at p (p < end):
 * its length, 1 to 4, and *cp; 0 when p does not start a valid sequence
 * (RFC 3629 §3, §4: no overlong forms, no surrogates, at most U+10FFFF).
 */
size_t mail_utf8_decode(const uint8_t *p, const uint8_t *end, uint32_t *cp);

/*
 * mail_cp_hidden - 1 when a mail reader may draw cp as nothing or as a
 * blank: the C0 and C1 controls and DEL, the Unicode White_Space
 * characters other than SPACE, and the Default_Ignorable_Code_Point
 * characters (Unicode DerivedCoreProperties: soft hyphen, zero-width
 * characters, bidirectional marks and controls, variation selectors, the
 * Hangul fillers, tags, ...), plus U+2800 BRAILLE PATTERN BLANK.
 */
int mail_cp_hidden(uint32_t cp);

/*
 * mail_cp_bidi_control - 1 for the bidirectional embeddings, overrides and
 * isolates (U+202A..U+202E, U+2066..U+2069): anywhere in a field they can
 * redraw the text after them in another order (Unicode UAX #9 §2).
 */
int mail_cp_bidi_control(uint32_t cp);

#endif
