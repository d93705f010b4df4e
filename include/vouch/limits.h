/*
 * vouch: every limit the library enforces on untrusted input, in one place.
 *
 * Each limit says where its value comes from.  Input beyond a limit gives a
 * clear verdict (permerror with a reason) or VOUCH_ELIMIT, never a crash.
 */
#ifndef VOUCH_LIMITS_H
#define VOUCH_LIMITS_H

/*
 * Header section size, bytes.  Real headers are a few KiB; mailing-list and
 * ARC-heavy messages reach 100 KiB.  1 MiB is Postfix's header_size_limit
 * default (102400) times ten, so no real message is refused.
 */
#define VOUCH_MAX_HEADER_BYTES (1024 * 1024)

/*
 * Number of header fields.  RFC 5322 sets no limit; 1000 fields covers the
 * longest Received: chains seen in practice (Postfix stops forwarding loops at
 * hop count 50).
 */
#define VOUCH_MAX_HEADER_FIELDS 1000

/*
 * Length of one physical line, bytes, line end excluded.  RFC 5322 §2.1.1
 * says 998; MTAs pass longer lines, so a line up to 64 KiB is still read,
 * a longer one ends header parsing with "line too long".
 */
#define VOUCH_MAX_LINE_BYTES (64 * 1024)

/*
 * DKIM-Signature fields verified per message (RFC 6376 §6.1 lets a verifier
 * limit the count).  Default 10; the rest get result "none" with a reason.
 */
#define VOUCH_DKIM_MAX_SIGNATURES 10

/*
 * Size of a DNS name in text, bytes, without the final dot (RFC 1035 §2.3.4:
 * 255 octets on the wire = 253 characters in text).  A label is at most 63.
 */
#define VOUCH_DNS_MAX_NAME 253
#define VOUCH_DNS_MAX_LABEL 63

/*
 * Bytes of one TXT record after its character-strings are joined.  A UDP/TCP
 * DNS message is at most 65535 bytes, so no real record is longer.
 */
#define VOUCH_DNS_MAX_TXT 65535

/*
 * Resource records kept from one answer.  SPF needs at most 10 MX or PTR
 * names (RFC 7208 §4.6.4) but must see all of them to count; 1000 covers any
 * real answer and bounds hostile ones.
 */
#define VOUCH_DNS_MAX_RRS 1000

/*
 * CNAME chain length followed by the zone-file back end (RFC 1034 §3.6.2
 * suggests resolvers bound CNAME chains; BIND stops at 16).
 */
#define VOUCH_DNS_MAX_CNAME 16

/*
 * Answers the libunbound back end keeps in front of libunbound, each for
 * its TTL (the negative-caching TTL for NXDOMAIN and NODATA; failures and
 * TTL 0 are not kept), so that a repeated question (a DKIM key, a DMARC
 * record) is answered without a trip to libunbound's thread.  A daemon
 * asks a few names per message; 16384 entries of about 300 bytes hold a
 * day of a busy receiver's distinct senders.  When full, expired entries
 * go first, then all.
 */
#define VOUCH_DNS_CACHE_MAX 16384

/*
 * Bytes of answers that cache holds: a TXT answer can be 64 KiB, so the
 * entry count alone does not bound memory.  16 MiB is a thousand times a
 * large key record.
 */
#define VOUCH_DNS_CACHE_MAX_BYTES (16 * 1024 * 1024)

/*
 * Zone file size, bytes, and records, for the test back end.
 */
#define VOUCH_ZONE_MAX_BYTES (64 * 1024 * 1024)
#define VOUCH_ZONE_MAX_RECORDS 1000000

/*
 * Distinct names of a zone file, owners and their ancestors (each ancestor
 * of an owner exists as an empty non-terminal, RFC 8020).  Four per record
 * on average covers real zones; it bounds a file of deep unique names.
 */
#define VOUCH_ZONE_MAX_NAMES 4000000

/*
 * Authentication-Results (RFC 8601).  RFC 8601 sets no limits; these bound
 * hostile fields and are far above what real MTAs write.
 * MAX_FIELD: bytes of one field, generated or parsed.  vouch writes about
 * 3 KiB at most (ten DKIM signatures, SPF, DMARC, ARC); 64 KiB is
 * VOUCH_MAX_LINE_BYTES, the most one unfolded line may carry.
 * MAX_RESULTS: resinfos in one field; one per method and DKIM signature,
 * and VOUCH_DKIM_MAX_SIGNATURES is 10, so 64 leaves room for other MTAs.
 * MAX_PROPS: properties of one resinfo; RFC 8601 §6 registers at most six
 * per method (DKIM: d, i, a, s, b, ...), so 32 is generous.
 * MAX_VALUE: bytes of one value, reason or comment given to the builder: an
 * address is at most 64 + 1 + 255 bytes (RFC 5321 §4.5.3.1); 1024 leaves
 * room for reasons.
 * MAX_ID: bytes of an authserv-id, a host name in practice (253, RFC 1035).
 * MAX_DEPTH: nesting of comments in a field that vouch_authres_parse
 * reads; RFC 5322 §3.2.2 sets none, real fields nest one or two deep.
 * The forgery check (RFC 8601 §5) has no such limit: a field whose
 * authserv-id it cannot read is removed as ours (doc/threat-model.md,
 * class 5).
 */
#define VOUCH_AUTHRES_MAX_FIELD (64 * 1024)
#define VOUCH_AUTHRES_MAX_RESULTS 64
#define VOUCH_AUTHRES_MAX_PROPS 32
#define VOUCH_AUTHRES_MAX_VALUE 1024
#define VOUCH_AUTHRES_MAX_ID 255
#define VOUCH_AUTHRES_MAX_DEPTH 32

/*
 * Tags in one tag=value list (RFC 6376 §3.2).  DKIM-Signature defines 14
 * tags and a key record 7; 64 leaves room for unknown tags (which must be
 * ignored) while bounding hostile lists.  More is a permerror.
 */
#define VOUCH_MAX_TAGS 64

/*
 * From: field parsing (RFC 5322 §3.4).  Mailboxes of one From field kept
 * in a list: RFC 5322 sets no limit; real mail has one, rarely a few.  The
 * field is read to its end all the same, and DMARC evaluates the domain of
 * every mailbox (up to VOUCH_DMARC_MAX_AUTHOR_DOMAINS distinct ones).
 */
#define VOUCH_FROM_MAX_MAILBOXES 32

/*
 * Bytes of one From field kept when it lies past VOUCH_MAX_HEADER_BYTES
 * (the rest of such a header section is only scanned): 32 addresses of a
 * few hundred bytes fill a real From field many times over.  A longer one
 * is not evaluated, and the message is unsafe (from-incomplete, dmarc.h).
 * At most 8 such fields are kept (RFC 5322 §3.6 allows one).
 */
#define VOUCH_FROM_KEEP_BYTES (16 * 1024)

/*
 * Bytes of a domain as written in an address, before IDNA conversion: 253
 * characters (RFC 1035 §2.3.4) of up to 4 UTF-8 bytes each fit in 1024.
 */
#define VOUCH_ADDR_MAX_DOMAIN 1024

/*
 * Bytes of a local part kept by the address parser, after quotes and
 * comments are removed.  RFC 5321 §4.5.3.1.3 bounds a whole path at 256
 * octets, so no local part SMTP can carry is longer; a longer one in a
 * header field is not an error (DMARC needs only the domain) but is not
 * kept, and the mailbox is marked so.
 */
#define VOUCH_ADDR_MAX_LOCAL 256

/*
 * Nesting depth of comments in a header field (RFC 5322 §3.2.2 allows any
 * depth).  No longer a limit: the From parser counts nesting without
 * recursion and reads any depth, since a depth the sender chooses must not
 * make a field unreadable (doc/threat-model.md, class 5).  Kept for
 * source compatibility.
 */
#define VOUCH_ADDR_MAX_COMMENT_DEPTH 32

/*
 * Author domains DMARC evaluates for one message with several From
 * addresses (RFC 9989 §11.5 asks receivers to limit them to avoid a denial
 * of service).  8 distinct domains; beyond that "the DMARC evaluation is
 * incomplete": the first 8 are evaluated and the message is unsafe
 * (from-incomplete, dmarc.h), at least quarantine.
 */
#define VOUCH_DMARC_MAX_AUTHOR_DOMAINS 8

/*
 * DNS queries of one DMARC tree walk: RFC 9989 §4.10 fixes 8.
 */
#define VOUCH_DMARC_MAX_WALK_QUERIES 8

/*
 * Report URIs kept per rua= or ruf= tag.  RFC 7489 §6.2 requires support
 * for at least two; 16 covers every published record seen, the rest are
 * ignored (counted in the result).
 */
#define VOUCH_DMARC_MAX_URIS 16

/*
 * DNS lookups of one DMARC evaluation (policy discovery, alignment tree
 * walks, domain existence, report authorization) for all author domains:
 * 8 domains x (8 walk + 1) + 16 identifiers x 8 + 32 URIs keeps well under
 * 512; a message needing more gets temperror "too many DNS lookups".
 */
#define VOUCH_DMARC_MAX_LOOKUPS 512

/*
 * SPF terms that cause DNS queries (include, a, mx, ptr, exists, redirect)
 * in one check_host() evaluation: RFC 7208 §4.6.4 fixes 10; more is a
 * permerror.
 */
#define VOUCH_SPF_MAX_DNS_TERMS 10

/*
 * SPF "void lookups" (NXDOMAIN or an empty answer) per evaluation: RFC 7208
 * §4.6.4 recommends 2; more is a permerror.
 */
#define VOUCH_SPF_MAX_VOID_LOOKUPS 2

/*
 * Address records looked up per "mx" or "ptr" term, and per %{p}: RFC 7208
 * §4.6.4 fixes 10 (more MX names is a permerror, more PTR names are
 * ignored).
 */
#define VOUCH_SPF_MAX_ADDR_LOOKUPS 10

/*
 * Nesting of SPF include/redirect: each level costs a DNS-querying term, so
 * the 10 of §4.6.4 allow 11 levels; 12 is the hard bound of the recursion.
 */
#define VOUCH_SPF_MAX_DEPTH 12

/*
 * Bytes of one SPF macro expansion (RFC 7208 §7).  A domain name is at most
 * 253 bytes after the truncation of §7.3, and the senders and HELO names of
 * SMTP are at most 256 and 255 (RFC 5321 §4.5.3.1); 8 KiB holds any honest
 * expansion with room, and bounds "%{s}%{s}..." in a 64 KiB record.  A
 * longer expansion is a permerror.
 */
#define VOUCH_SPF_MAX_EXPANSION 8192

/*
 * Bytes of an SPF explanation (§6.2) kept in a result.  It ends up in an SMTP
 * reply, whose lines are at most 512 bytes (RFC 5321 §4.5.3.1.5); two such
 * lines.  A longer exp= text counts as unusable and the default is given.
 */
#define VOUCH_SPF_MAX_EXPLANATION 1024

/*
 * Bytes of the other texts of an SPF result (sender, mechanism, reason):
 * a sender is at most 256 (RFC 5321 §4.5.3.1.3); longer texts are cut with
 * "..." since they only inform.
 */
#define VOUCH_SPF_MAX_TEXT 512

/*
 * Seconds one SPF evaluation may spend waiting on DNS: RFC 7208 §4.6.4 says
 * such a limit SHOULD allow at least 20 seconds; beyond it, temperror.
 */
#define VOUCH_SPF_MAX_SECONDS 20

/*
 * DNS answers kept by an SPF handle's cache, each for its TTL.  About 200
 * bytes each: 65536 entries is some 13 MiB at most; when full, the oldest
 * expired entries go first, then the cache is emptied.
 */
#define VOUCH_SPF_CACHE_MAX 65536

/*
 * Bytes of DNS answers an SPF handle's cache holds: TXT answers can be 64
 * KiB each, so the entry count alone does not bound memory.  64 MiB holds
 * hundreds of thousands of real answers.
 */
#define VOUCH_SPF_CACHE_MAX_BYTES (64 * 1024 * 1024)

/*
 * Terms of a parsed SPF record kept with its cached answer, so the next
 * evaluation skips the parse.  Real records have a few dozen; a larger
 * (hostile) record is parsed again each time rather than kept.
 */
#define VOUCH_SPF_KEEP_TERMS 128

/*
 * check_host() results kept by an SPF handle (those that depend on the
 * client address and domain alone, RFC 7208 §7.3), each for the shortest
 * TTL of the answers it used.  Under 100 bytes each plus texts: 16384
 * entries is a few MiB; when full, expired entries go, then all.
 */
#define VOUCH_SPF_RESULT_CACHE_MAX 16384

/*
 * Clock skew allowed when judging DKIM t= and x= (RFC 6376 §3.5 leaves it
 * to the verifier): 300 s, the usual bound between MTA clocks (Kerberos
 * uses the same five minutes).  A t= more than this in the future, or an
 * x= more than this in the past, gives permerror.
 */
#define VOUCH_DKIM_CLOCK_SKEW 300

/*
 * Entries of h= in one DKIM-Signature: twice VOUCH_MAX_HEADER_FIELDS, so a
 * signer that over-signs every field of the largest header accepted still
 * verifies; more is a permerror.
 */
#define VOUCH_DKIM_MAX_SIGNED_FIELDS (2 * VOUCH_MAX_HEADER_FIELDS)

/*
 * Parsed public keys kept by the process-wide DKIM key cache (dkim.h).  A
 * busy receiver sees a few hundred signing keys a day; 64 keeps the keys
 * of the big senders hot, and a miss costs one key parse.
 */
#define VOUCH_DKIM_KEY_CACHE 64

/*
 * Parsed DMARC policy records kept by the process-wide record cache
 * (src/lib/dmarc/reccache.c), keyed on the record's exact text.  The same
 * reasoning as VOUCH_DKIM_KEY_CACHE: the author domains of the big senders
 * stay parsed, and a miss costs one record parse (at most
 * VOUCH_DNS_MAX_TXT bytes of text and its copy per entry).
 */
#define VOUCH_DMARC_RECORD_CACHE 64

/*
 * Size of a decoded DKIM public key (p=), bytes.  An RSA-4096 key is 550
 * bytes of DER and RFC 8301 §3.2 needs no larger; 4096 bytes still decodes
 * keys up to about 30000 bits, so larger keys are refused by their size in
 * bits with a clear reason rather than as garbage.
 */
#define VOUCH_DKIM_MAX_KEY_DER 4096

/*
 * DKIM signing (dkim_sign.h).  SIGN_MAX_REQUESTS: signatures made in one
 * pass; real senders make one or two (an RSA and an Ed25519 signature, RFC
 * 8463 §1), 8 leaves room for key rotation.  SIGN_MAX_HEADERS: distinct
 * names in a caller's h= list; the default list of RFC 6376 §5.4.1 has 30
 * names, so 64 leaves room for a caller's own.
 */
#define VOUCH_DKIM_SIGN_MAX_REQUESTS 8
#define VOUCH_DKIM_SIGN_MAX_HEADERS 64

/*
 * ARC (arc.h).  MAX_INSTANCES: RFC 8617 §4.2.1 fixes the instance range
 * 1..50, and §5.2 step 1 makes a chain of more sets a fail.
 */
#define VOUCH_ARC_MAX_INSTANCES 50

/*
 * ARC validation: distinct (body canonicalization, l=) pairs hashed for
 * the AMS of one message.  Sealers use one (relaxed/relaxed, no l=); an
 * AMS needing a ninth fails with "too many body hashes" rather than the
 * body being hashed up to 50 times.
 */
#define VOUCH_ARC_MAX_BODY_HASHES 8

/*
 * vouch check (check.h).  MAX_FINDINGS: findings kept in one report; a
 * domain has a few dozen at worst (one per SPF term, tag, URI and
 * selector), more are counted and dropped.  MAX_TEXT: bytes of a
 * finding's message or fix, which quote at most a 255-byte name and a
 * suggested record.  MAX_SELECTORS: DKIM selectors checked at once
 * (real domains use one to four).  MAX_SPF_RECORDS: SPF records fetched
 * when walking the include/redirect tree; a valid tree has at most 10
 * DNS-querying terms (RFC 7208 §4.6.4), so 64 reaches far enough to
 * count an over-limit tree while bounding a hostile one.
 * MAX_VOID_TESTS: a, mx and exists terms of that tree whose target is
 * looked up to find void lookups; a valid tree has at most 10 such terms,
 * 64 keeps a hostile record of thousands of terms from costing thousands
 * of queries.  MAX_SAME_CODE: findings of one code kept in a report (a
 * hostile tree can repeat one problem hundreds of times); 8 show the
 * pattern and leave room for the findings about the whole domain.
 */
#define VOUCH_CHECK_MAX_FINDINGS 128
#define VOUCH_CHECK_MAX_TEXT 1024
#define VOUCH_CHECK_MAX_SELECTORS 16
#define VOUCH_CHECK_MAX_SPF_RECORDS 64
#define VOUCH_CHECK_MAX_VOID_TESTS 64
#define VOUCH_CHECK_MAX_SAME_CODE 8

/*
 * DMARC aggregate reports in (feedback.h, ingest.h): what one input may
 * cost.  The reader is meant for mail from anyone, so every size is capped
 * and a report beyond a cap is refused with a reason, never half-stored.
 *
 * REPORT_MAX_INPUT: bytes of one input read whole (a file, a message of a
 * Maildir, mbox or IMAP mailbox).  The largest real reports seen (Google,
 * Microsoft for large senders) are a few MB compressed; most MTAs refuse
 * messages over 50 MB (Gmail 25 MB, Exchange Online 150 MB with MIME
 * overhead), so 64 MiB refuses no report that could have been delivered.
 * REPORT_MAX_XML: bytes of one report's XML after decompression.  The 900
 * KB large-example sample holds 2,286 records; 64 MiB is some 170,000
 * such records, beyond what reporters send in one file (they split).
 * REPORT_MAX_RATIO: output/input ratio of a decompression, checked once
 * the output passes REPORT_RATIO_FLOOR bytes.  Deflate cannot exceed
 * about 1032:1; report XML compresses 5:1 to 40:1, and the repetitive
 * 900 KB large-example sample 102:1, so 500:1 leaves room and still
 * stops a bomb (near 1000:1) after 1 MiB of output instead of 64.
 * REPORT_MAX_LAYERS: containers around one report (MIME part, zip, gzip):
 * real reports use two (a gzip in a MIME part); 4 allows a zip inside a
 * forwarded message and stops recursive archives.
 * REPORT_MAX_ZIP_ENTRIES: entries of one zip (reporters put one XML file;
 * 16 allows a few and bounds a zip of thousands of empty entries).
 * REPORT_MAX_MIME_PARTS: body parts looked at in one message (a report
 * mail has two or three); REPORT_MAX_PER_INPUT: reports taken from one
 * input (a message or zip with several reports).
 */
#define VOUCH_REPORT_MAX_INPUT (64 * 1024 * 1024)
#define VOUCH_REPORT_MAX_XML (64 * 1024 * 1024)
#define VOUCH_REPORT_MAX_RATIO 500
#define VOUCH_REPORT_RATIO_FLOOR (1024 * 1024)
#define VOUCH_REPORT_MAX_LAYERS 4
#define VOUCH_REPORT_MAX_ZIP_ENTRIES 16
#define VOUCH_REPORT_MAX_MIME_PARTS 64
#define VOUCH_REPORT_MAX_PER_INPUT 16

/*
 * The report XML itself (RFC 7489 Appendix C, RFC 9990 §3.1).
 * REPORT_MAX_DEPTH: element nesting.  The schemas nest six deep
 * (feedback/record/auth_results/dkim/domain, plus an extension's own
 * elements); 32 leaves room and stops a nesting bomb at once.
 * REPORT_MAX_TEXT: bytes of one element's text.  Domains are at most 253
 * bytes; "error", "comment" and "human_result" are unbounded strings that
 * RFC 9990 §3.1.5 asks to keep small; 64 KiB is the longest line vouch
 * reads anywhere (VOUCH_MAX_LINE_BYTES).  A longer text refuses the report.
 * REPORT_MAX_RECORDS: records of one report; 64 MiB of XML holds about
 * 250,000 minimal records, so 500,000 is never the first limit reached
 * by an honest file and bounds the arrays built from it.
 * REPORT_MAX_AUTH: dkim (and spf) results kept per record: RFC 9990
 * §3.1.3 says a report SHOULD hold no more than 100 signatures per row;
 * more are dropped with a warning.  REPORT_MAX_REASONS: reason elements
 * kept per record (five override types exist, RFC 9990 §3.1.6);
 * REPORT_MAX_ERRORS: metadata error elements kept.  More are dropped
 * with a warning.
 * REPORT_MAX_COUNT: the largest count accepted in one record: 10^12
 * messages, more than any receiver sees from one address in a day; it
 * keeps every sum and the day split (count x seconds) inside 63 bits.  A
 * larger count drops the record with a warning.
 * REPORT_MAX_DAYS: UTC days one report may span (RFC 9990 §3.1.1.4: a
 * period is typically one day; ri= asks for at most daily reports).  A
 * longer period, 31 days, is refused: such a report cannot say when its
 * messages were seen.
 * REPORT_MAX_WARNINGS: warning texts kept per report (all are counted).
 */
#define VOUCH_REPORT_MAX_DEPTH 32
#define VOUCH_REPORT_MAX_TEXT (64 * 1024)
#define VOUCH_REPORT_MAX_RECORDS 500000
#define VOUCH_REPORT_MAX_AUTH 100
#define VOUCH_REPORT_MAX_REASONS 16
#define VOUCH_REPORT_MAX_ERRORS 64
#define VOUCH_REPORT_MAX_COUNT 1000000000000ULL
#define VOUCH_REPORT_MAX_DAYS 31
#define VOUCH_REPORT_MAX_WARNINGS 8

/*
 * Messages taken from an IMAP mailbox in one run (the UIDs of one UID
 * SEARCH are kept, 4 bytes each): a million is a few years of reports for
 * a large domain and 4 MiB of memory; the rest wait for the next run.
 */
#define VOUCH_IMAP_MAX_UIDS 1000000

/*
 * The store of DMARC reporting data (store.h).
 * STORE_MAX_URL: bytes of a database URL or SQLite path; PATH_MAX on Linux
 * is 4096, and a libpq URI with host, options and a password fits well.
 * STORE_MAX_IP: characters of an address as text; the longest IPv6 form
 * ("ffff:...:255.255.255.255") is 45 (INET6_ADDRSTRLEN less its NUL).
 * STORE_MAX_DEST: bytes of the rua= (or ruf=) destinations of one policy,
 * comma-separated; a mailto URI is at most 7 + 64 + 1 + 253 bytes (RFC
 * 5321 §4.5.3.1), so three full-length URIs or a dozen real ones fit; a
 * URI that does not fit is not recorded (RFC 9990 §3.5 lets a receiver
 * limit the URIs it supports).
 * STORE_MAX_COMMENT: bytes of an override reason's comment; vouch's
 * longest, the ARC override of RFC 8617 §7.2.2 with three sealers, is
 * under 200.  STORE_MAX_HUMAN: bytes of a DKIM human_result (the
 * verifier's reason, at most 127).  STORE_MAX_REASONS: override reasons of
 * one evaluation; vouch gives at most two (policy_test_mode and one
 * local override).
 * STORE_MAX_EVAL_TEXT: bytes of one evaluation as the recorder queues it
 * (its columns escaped); every field at its maximum, escaped three times
 * over, stays below 64 KiB.
 */
#define VOUCH_STORE_MAX_URL 4096
#define VOUCH_STORE_MAX_IP 45
#define VOUCH_STORE_MAX_DEST 1024
#define VOUCH_STORE_MAX_COMMENT 256
#define VOUCH_STORE_MAX_HUMAN 127
#define VOUCH_STORE_MAX_REASONS 4
#define VOUCH_STORE_MAX_EVAL_TEXT (64 * 1024)

/*
 * DMARC aggregate reports out (report.h).
 * REPORT_MAX_DKIM: DKIM results per row; RFC 9990 §3.1.3 says a report
 * SHOULD hold no more than 100 for a row.
 * REPORT_MAX_BYTES: size of one compressed report; a report compresses
 * some 20:1, so 64 MiB is over a gigabyte of XML, beyond what any mail
 * system accepts as an attachment (RFC 9990 §3.5.2 notes the limit).
 * REPORT_MAX_INTERVALS: intervals one generation walks (ten years of
 * days), so that a mistyped range cannot loop for hours.
 * REPORT_MAX_ATTEMPTS: temporary delivery failures before a delivery is
 * given up (RFC 9990 §3.5 lets a receiver "discard data that could not be
 * sent"); hourly, that is ten hours of a destination refusing.
 * REPORT_MAX_MESSAGE: bytes of one report message held while it is
 * signed and sent: the report in base64 (4/3 of REPORT_MAX_BYTES) and
 * its header.
 */
#define VOUCH_REPORT_MAX_DKIM 100
#define VOUCH_REPORT_MAX_BYTES (64 * 1024 * 1024)
#define VOUCH_REPORT_MAX_INTERVALS 3660
#define VOUCH_REPORT_MAX_ATTEMPTS 10
#define VOUCH_REPORT_MAX_MESSAGE (VOUCH_REPORT_MAX_BYTES / 3 * 4 + 65536)

/*
 * DMARC failure reports (report_failure.h).
 * MAX_ADDR: bytes of a report address (ruf= destination, From): a
 * local-part of 64 and a domain of 255 octets (RFC 5321 §4.5.3.1.1,
 * §4.5.3.1.2) and the "@".
 * MAX_BODY: bytes of a body included in a report (message/rfc822, and
 * DKIM-Canonicalized-Body).  Failure reports are for diagnosis, and RFC
 * 9991 §7.3 warns against forwarding payloads; 256 KiB holds any text
 * message, a larger body is left out (headers only).
 * MAX_REPORT: bytes of one report message: a full header section
 * (VOUCH_MAX_HEADER_BYTES) grown by redaction, the body and the
 * base64 of its canonical forms fit in 8 MiB; a larger report is not
 * made (counted in the result).
 * MAX_REPORTS: reports built for one message.  One author domain with a
 * DMARC report, an SPF report and a DKIM report per failed signature
 * (VOUCH_DKIM_MAX_SIGNATURES) to a few ruf= destinations stays under
 * 32; more (a hostile record listing 16 destinations) are counted and
 * dropped.
 * MAX_TRACKED: destinations the rate limiter remembers.  About 400 bytes
 * each: 65536 is some 26 MiB; when full, buckets that have filled up
 * again are forgotten first, and a new destination finding no room gets
 * no report (fail closed).
 * STATE_MAX_BYTES: the saved rate state, a line of at most MAX_ADDR plus
 * two numbers per tracked destination: 65536 x 360 bytes < 24 MiB; 32 MiB
 * leaves room and bounds a hostile file.
 * MAX_KEY: bytes of a redaction key; an HMAC key longer than the hash
 * block is hashed first anyway, 1024 is generous.
 * MAX_TEXT: bytes of an option written into a report field (User-Agent,
 * Reporting-MTA) or of the ENVID (RFC 3461 §4.4 caps it at 100).
 * MAX_SUBJECT: bytes of the original Subject copied after "FW: " into the
 * report's Subject (RFC 5965 §2 item f): the 998-byte line of RFC 5322
 * §2.1.1 less the field name and prefix; a longer subject is replaced.
 */
#define VOUCH_FAILURE_MAX_ADDR 320
#define VOUCH_FAILURE_MAX_BODY (256 * 1024)
#define VOUCH_FAILURE_MAX_REPORT (8 * 1024 * 1024)
#define VOUCH_FAILURE_MAX_REPORTS 32
#define VOUCH_FAILURE_MAX_TRACKED 65536
#define VOUCH_FAILURE_STATE_MAX_BYTES (32 * 1024 * 1024)
#define VOUCH_FAILURE_MAX_KEY 1024
#define VOUCH_FAILURE_MAX_TEXT 256
#define VOUCH_FAILURE_MAX_SUBJECT 960

#endif
