/*
 * vouchd tables: every limit on the KeyTable, SigningTable, Domain list,
 * send-as table and alias map, in one place, each with where its value
 * comes from.  Beyond a limit a table line is an error with file:line at
 * load (or a lookup says so), never a crash.  These are the milter's own;
 * the library's limits stay in include/vouch/limits.h.
 */
#ifndef VOUCHD_TABLES_LIMITS_H
#define VOUCHD_TABLES_LIMITS_H

#include "vouch/limits.h"

/*
 * Bytes of one table file.  A hosting provider's tables with 100000
 * domains, two keys each, are about 20 MB; 64 MiB holds that three times
 * and bounds what a mistaken path (a log file, a disk image) costs.
 */
#define VOUCHD_TABLE_MAX_BYTES (64 * 1024 * 1024)

/*
 * Bytes of one line.  OpenDKIM reads lines into a 1024-byte buffer (and
 * silently splits longer ones); send-as lines list many addresses, so the
 * library's VOUCH_MAX_LINE_BYTES (64 KiB) is the bound, and a longer line
 * is an error rather than split.
 */
#define VOUCHD_TABLE_MAX_LINE VOUCH_MAX_LINE_BYTES

/*
 * Entries of one table (lines of a file, items of a csl: list, addresses
 * of a send-as table).  A million covers the largest hosting setups
 * (see MAX_BYTES) and bounds the memory of the sorted indexes.
 */
#define VOUCHD_TABLE_MAX_ENTRIES 1000000

/*
 * Bytes of a refile: wildcard pattern.  The subject it is matched against
 * is an address: a local part of at most VOUCH_ADDR_MAX_LOCAL (256) and a
 * domain of at most VOUCH_DNS_MAX_NAME (253) bytes, so a pattern of 1024
 * bytes can already hold every address plus a '*' between each character;
 * longer patterns could match nothing more.  Matching is linear in the
 * pattern and the address whatever the number of '*' (wildcard.c).
 */
#define VOUCHD_TABLE_MAX_PATTERN 1024

/*
 * Bytes of a KeyTable key name.  Real names are a selector and a domain
 * ("mail._domainkey.example.com": 63 + 12 + 253 = 328 at most); 512 leaves
 * room for other naming schemes.
 */
#define VOUCHD_TABLE_MAX_NAME 512

/*
 * Bytes of a private key's path, after '%' is replaced by a domain.  Linux
 * allows 4096 (PATH_MAX), but a key path is written by the operator: 1024
 * holds any real layout (/etc/dkimkeys/<253-byte domain>/<63-byte
 * selector>.private is under 400) and keeps a signing request small.
 */
#define VOUCHD_TABLE_MAX_PATH 1024

/*
 * Bytes of a selector (RFC 6376 §3.1: a sub-domain; it is followed by
 * "._domainkey." and the domain in a DNS name of at most 253 bytes).
 */
#define VOUCHD_TABLE_MAX_SELECTOR 200

/*
 * Bytes of an address as the tables compare it, local@domain: a local
 * part of VOUCH_ADDR_MAX_LOCAL, "@", a domain of VOUCH_DNS_MAX_NAME.  Also
 * the bound on a signer identity (i=, RFC 6376 §3.5).
 */
#define VOUCHD_TABLE_MAX_ADDRESS (VOUCH_ADDR_MAX_LOCAL + 1 + VOUCH_DNS_MAX_NAME)

/*
 * Diagnostics kept from one load (vouchd -t prints them).  A table with a
 * systematic mistake repeats it on every line; 200 messages show the
 * pattern, the rest are counted ("N more").
 */
#define VOUCHD_DIAG_MAX 200

/*
 * Bytes of one diagnostic line: a path (VOUCHD_TABLE_MAX_PATH), a line
 * number and a sentence quoting at most a short excerpt of the line.
 */
#define VOUCHD_DIAG_MAX_TEXT 2048

/*
 * Bytes of a login (SASL authorization identity, the MTA's {auth_authen}).
 * Logins are user names or addresses; 512 is twice the longest SMTP path
 * (RFC 5321 §4.5.3.1.3) and bounds hostile macro values.
 */
#define VOUCHD_SENDAS_MAX_LOGIN 512

/*
 * Steps followed through the alias map from one address (info@ ->
 * alice@, @old.example -> @example.com ...).  Real maps have one step,
 * rarely two; 8 bounds chains, and a loop is an error at load.
 */
#define VOUCHD_SENDAS_MAX_ALIAS_DEPTH 8

/*
 * Key names one SigningTable entry may list ("rsa2024, ed2024", vouchd's
 * extension; OpenDKIM takes one).  Each is a signature of the same pass,
 * and a pass makes at most VOUCH_DKIM_SIGN_MAX_REQUESTS.
 */
#define VOUCHD_TABLE_MAX_ENTRY_KEYS VOUCH_DKIM_SIGN_MAX_REQUESTS

/*
 * Bytes read of a key file when vouchd -t parses it: an RSA-4096 PEM is
 * about 3.3 KiB (RFC 8301 §3.2 needs nothing larger), so 64 KiB holds any
 * key with its comments; a longer file is not a key.
 */
#define VOUCHD_KEY_FILE_MAX (64 * 1024)

/*
 * The converter (convert.c).  CONF_MAX_BYTES: an opendkim.conf,
 * opendmarc.conf or openarc.conf, as vouchd.conf's own bound (1 MiB; the
 * documented samples are under 30 KiB).  CONF_MAX_DEPTH: "Include"
 * nesting, five as OpenDKIM allows (opendkim.conf(5) Include).
 * OUT_MAX_VALUE: bytes of one value written, so that "Name value" fits
 * vouchd.conf's 4096-byte lines with room for the comment.
 */
#define VOUCHD_CONVERT_MAX_BYTES (1024 * 1024)
#define VOUCHD_CONVERT_MAX_DEPTH 5
#define VOUCHD_CONVERT_MAX_VALUE 3800

#endif
