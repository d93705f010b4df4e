/*
 * vouchd's tables (vouchd-tables(5)): what the signer signs with, and who
 * may send as whom.
 *
 *  - Signing: OpenDKIM's KeyTable and SigningTable data sets (file,
 *    refile: and csl:, read with OpenDKIM's rules so that operators point
 *    vouchd at their files), or the single-key form Domain + Selector +
 *    KeyFile (+ SubDomains).  A lookup turns the header From address into
 *    the ordered list of signing requests (d=, s=, key file, i=): several
 *    keys per domain sign in one pass (RSA + Ed25519, with
 *    MultipleSignatures).
 *  - Send-as (SenderAuthTable): vouchd's own table of which addresses each
 *    SASL login may use in From, Sender and MAIL FROM, with an optional
 *    alias map and sub-address (+detail) folding.  A check answers one of
 *    allowed, unauthenticated, no match, malformed, lookup error; the
 *    daemon maps each to its configured action.
 *
 * Everything is read and checked at load into immutable structures; a
 * reload loads new ones and swaps them in whole.  Every line that cannot
 * be used is an error naming file and line, collected in a struct
 * vouchd_diag (all of them, not only the first), and the load fails.
 * Loaded tables are read-only: lookups from several threads at once are
 * safe.  Private keys are never read here: the tables hold key *paths*;
 * the daemon's signer process reads the keys.
 *
 * Limits are in tables_limits.h.
 */
#ifndef VOUCHD_TABLES_H
#define VOUCHD_TABLES_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vouch/status.h"
#include "tables_limits.h"

/* ---- Diagnostics --------------------------------------------------------- */

enum vouchd_diag_level { VOUCHD_DIAG_WARNING = 1, VOUCHD_DIAG_ERROR };

struct vouchd_diag_msg {
	enum vouchd_diag_level level;
	/*
	 * One line, NUL-terminated, no line end: "FILE:LINE: error: WHAT"
	 * or "FILE:LINE: warning: WHAT" (a csl: value, which has no file,
	 * is named "ORIGIN: OPTION item N").  Bytes of the table that are
	 * not printable ASCII are written as \xHH.
	 */
	char *text;
	/* The file the text names (NULL: none) and its line (0: none; also
	 * for a csl: item), so that vouchd -t sorts without reading them
	 * back out of the text. */
	char *file;
	unsigned line;
};

/*
 * The messages of one or more loads and checks, in the order found.  The
 * caller owns it: zero it with vouchd_diag_init, release it with
 * vouchd_diag_free.  At most VOUCHD_DIAG_MAX messages are kept; the rest
 * are counted in ndropped (still counted in nerrors / nwarnings).
 */
struct vouchd_diag {
	size_t n, cap;
	struct vouchd_diag_msg *msg;
	size_t nerrors, nwarnings, ndropped;
};

void vouchd_diag_init(struct vouchd_diag *d);
void vouchd_diag_free(struct vouchd_diag *d);

/*
 * vouchd_diag_print - every message kept, one per line, each after
 * `prefix` (e.g. "vouchd: "), then "N more messages" when some were
 * dropped.  For vouchd -t (fp stderr); a daemon logs msg[i].text itself.
 */
void vouchd_diag_print(
    const struct vouchd_diag *d, const char *prefix, FILE *fp);

/* ---- Signing: KeyTable, SigningTable, single key ------------------------ */

/* One KeyTable entry (OpenDKIM: "name domain:selector:keypath"). */
struct vouchd_table_key {
	const char *name; /* the key name; a wildcard pattern in refile: */
	const char *domain; /* d=, lower case; "%" = the sender's domain */
	const char *selector; /* s= */
	/*
	 * The private key file as written; a '%' in it stands for the
	 * signing domain (d=), as in OpenDKIM.  Only paths are accepted
	 * (starting "/", "./" or "../"): a key written inline in the table
	 * is refused at load, so keys stay in files the signer reads.
	 */
	const char *keypath;
	const char *file; /* where the entry is defined (table or option) */
	unsigned line; /* its line (item number in a csl: value) */
};

/*
 * The options that choose what is signed, as vouchd.conf(5) names them.
 * Either key_table + signing_table, or key_file + selector + domains.
 * Strings are NUL-terminated and not kept after the load.
 */
struct vouchd_signing_conf {
	/* KeyTable and SigningTable: OpenDKIM data sets, "file:PATH",
	 * "refile:PATH", "csl:LIST", or "/PATH" (a file).  dsn:, ldap:,
	 * ldaps:, ldapi:, lua:, db:, memcache:, mdb:, erlang: and a bare
	 * "X.db" are refused with a message naming the type. */
	const char *key_table;
	const char *signing_table;
	/* The single-key form: every item of domains is a domain, or a
	 * data set (file:, refile:, csl:, /PATH) of domains or, in refile:,
	 * of wildcard patterns.  d= is the domain of the item that matched
	 * (with SubDomains, the parent listed); the key file is read as
	 * written ('%' has no meaning in KeyFile, as in OpenDKIM). */
	const char *const *domains;
	size_t ndomains;
	const char *selector;
	const char *key_file;
	int subdomains; /* SubDomains: sign subdomains of the Domain items */
	/* MultipleSignatures: every matching SigningTable entry adds a
	 * signature (one pass, e.g. RSA + Ed25519); otherwise only the
	 * first match signs, as in OpenDKIM. */
	int multiple;
	/* Where the options were set, e.g. "/etc/vouchd.conf", for messages
	 * about a value itself (an unsupported data set type, a file that
	 * cannot be read, a key file); may be NULL.  The lines of origin
	 * each option was given on (0: not given, or unknown): the messages
	 * name them, "FILE:LINE: error: ...". */
	const char *origin;
	unsigned key_table_line, signing_table_line;
	unsigned domain_line, selector_line, key_file_line;
	/* vouchd -t: when the tables have errors (VOUCH_ESYNTAX), *out of
	 * vouchd_signing_load still gets what could be read, the refused
	 * entries left out, so that the keys of the others can be checked
	 * too; the status stays VOUCH_ESYNTAX.  0: *out stays NULL. */
	int partial;
};

struct vouchd_signing; /* opaque, immutable once loaded */

/*
 * vouchd_signing_load - read and check the KeyTable and SigningTable (or
 * the single-key form).
 * In:  conf, as above; diag, the caller's, where every error and warning
 *      goes with file:line.
 * Checks at load: data set types; every line (key and value present,
 *      d= a domain name or "%", a selector, a key path; SigningTable
 *      patterns ASCII, every KeyTable name they use defined); duplicate
 *      names and patterns that can never be used; a KeyTable without a
 *      SigningTable and the reverse.  Warnings: a '*' entry that signs
 *      mail from every domain with one key (e.g. "*" or "*@*" in a
 *      refile:), a refile: pattern without '@' (it matches no address),
 *      entries after a catch-all that can never match, relative key
 *      paths.  Key files are not opened here (vouchd_signing_check_keys).
 * Out: *out, owned by the caller (vouchd_signing_free); NULL on error.
 * Errors: VOUCH_ESYNTAX (one or more errors, all in diag), VOUCH_EIO (a
 *         table file cannot be read; in diag with its path and errno
 *         text), VOUCH_EUNSUPPORTED (a refused data set type; in diag),
 *         VOUCH_EINVAL (conf or diag NULL, nothing to sign with),
 *         VOUCH_ELIMIT (a table over a limit of tables_limits.h; in
 *         diag), VOUCH_ENOMEM.
 */
VOUCH_WARN_UNUSED enum vouch_status vouchd_signing_load(
    const struct vouchd_signing_conf *conf, struct vouchd_diag *diag,
    struct vouchd_signing **out);

/*
 * vouchd_signing_parse - the same for tables held in memory (the fuzz
 * targets and unit tests use it; the daemon uses _load).  kt/ktlen and
 * st/stlen are file contents (not NUL-terminated, not kept), read with the
 * rules of the data set type given by kt_refile / st_refile (0: file:,
 * 1: refile:); kt_name / st_name name them in messages.  Same checks,
 * output and errors as _load (no VOUCH_EIO).
 */
VOUCH_WARN_UNUSED enum vouch_status vouchd_signing_parse(const char *kt_name,
    const uint8_t *kt, size_t ktlen, int kt_refile, const char *st_name,
    const uint8_t *st, size_t stlen, int st_refile, int multiple,
    struct vouchd_diag *diag, struct vouchd_signing **out);

/* vouchd_signing_free - release a loaded configuration; NULL is a no-op. */
void vouchd_signing_free(struct vouchd_signing *s);

/*
 * Key files a loaded configuration may use, to preload in the signer:
 * _nkeys counts the KeyTable entries (1 in the single-key form), _key
 * gives entry i (0-based, pointers valid while s lives).  A keypath
 * holding '%' depends on the message (vouchd_signing_lookup resolves it).
 */
size_t vouchd_signing_nkeys(const struct vouchd_signing *s);
const struct vouchd_table_key *vouchd_signing_key(
    const struct vouchd_signing *s, size_t i);

/* One signature to make: everything the signer needs. */
struct vouchd_sign_request {
	const struct vouchd_table_key *key; /* the KeyTable entry (borrowed) */
	char domain[VOUCH_DNS_MAX_NAME + 1]; /* d=, NUL-terminated */
	char selector[VOUCHD_TABLE_MAX_SELECTOR + 1]; /* s= */
	char keypath[VOUCHD_TABLE_MAX_PATH + 1]; /* '%' replaced */
	/* i= (RFC 6376 §3.5), "" when none: the SigningTable's optional
	 * signer field with '%' replaced; dropped (and why says so) when
	 * its domain is not d= or a subdomain of it, as in OpenDKIM. */
	char identity[VOUCHD_TABLE_MAX_ADDRESS + 1];
	const char *rule_file; /* the SigningTable entry (or Domain) */
	unsigned rule_line;
};

enum vouchd_sign_outcome {
	VOUCHD_SIGN_NOMATCH = 0, /* nothing matches: do not sign */
	VOUCHD_SIGN_MATCHED, /* req[0..n) to sign with */
	/* An entry matched but cannot be used: its key name is "%" and the
	 * KeyTable has no entry for the sender's domain, or '%' would put a
	 * domain that is not a host name into a path.  OpenDKIM fails the
	 * message then; the daemon applies its signing-error action.  req
	 * holds the entries that could be used. */
	VOUCHD_SIGN_UNUSABLE
};

struct vouchd_sign_match {
	enum vouchd_sign_outcome outcome;
	size_t n;
	struct vouchd_sign_request req[VOUCH_DKIM_SIGN_MAX_REQUESTS];
	size_t ndropped; /* matches beyond VOUCH_DKIM_SIGN_MAX_REQUESTS */
	/* One line for LogWhy: which entry matched, or why none did, or why
	 * one could not be used.  NUL-terminated, printable ASCII. */
	char why[512];
};

/*
 * vouchd_signing_lookup - the signatures to add for one author address.
 * In:  s, loaded; local/locallen and domain/domainlen, the local part and
 *      domain of the header From address (mail_from_parse's mailbox: not
 *      NUL-terminated, as written; a U-label domain is converted to
 *      A-labels, case is ignored, as OpenDKIM's SigningTable does).
 *      OpenDKIM's order: refile: patterns match "local@domain" in file
 *      order; file: and csl: keys are tried as user@host, host,
 *      user@.parent (each parent in turn), .parent, user@*, * (the
 *      opendkim.conf(5) SigningTable rules).  The first match signs, or
 *      every match with MultipleSignatures.
 * Out: *out filled (outcome, n, req, why).
 * Errors: VOUCH_EINVAL (s, out NULL, or domain NULL); the outcome is data
 *         (a From domain that is not a domain name gives NOMATCH with
 *         why saying so).  Thread safe; no allocation.
 */
VOUCH_WARN_UNUSED enum vouch_status vouchd_signing_lookup(
    const struct vouchd_signing *s, const uint8_t *local, size_t locallen,
    const uint8_t *domain, size_t domainlen, struct vouchd_sign_match *out);

/* Flags of the key file checks. */
#define VOUCHD_KEYCHECK_SAFE 0x1 /* group/other access is an error */
#define VOUCHD_KEYCHECK_PARSE 0x2 /* also parse each key (vouchd -t) */

/*
 * vouchd_signing_check_keys - open every key file the tables name and
 * report, with the file and line of the table entry and the key's path:
 * a file that cannot be opened (errno text), that is not a regular file,
 * that group or others may read or write (mode shown; an error with
 * VOUCHD_KEYCHECK_SAFE, as OpenDKIM's RequireSafeKeys, else a warning),
 * and with VOUCHD_KEYCHECK_PARSE one that is not a private key DKIM can
 * use (RFC 8301 §3.2 sizes; the key is freed and wiped at once, so only
 * vouchd -t, never the process that reads mail, should pass it).  A path
 * with '%' is checked for each domain the SigningTable names literally,
 * and a warning says when some cannot be known before a message comes.
 * Checks are made as the calling user.
 * Out: messages in diag.
 * Errors: VOUCH_EIO (one or more key files unusable: errors in diag),
 *         VOUCH_EINVAL (s or diag NULL), VOUCH_ENOMEM.
 */
VOUCH_WARN_UNUSED enum vouch_status vouchd_signing_check_keys(
    const struct vouchd_signing *s, unsigned flags, struct vouchd_diag *diag);

/* ---- Send-as: SenderAuthTable ------------------------------------------- */

struct vouchd_sendas_conf {
	const char *table; /* SenderAuthTable: path of the table */
	const char *aliases; /* SenderAuthAliases: path of the alias map, or
	                        NULL */
	/* SenderAuthDetailDelimiters: characters that start a sub-address
	 * detail ("alice+news@" is "alice@"), as Postfix's
	 * recipient_delimiter; NULL means "+", "" turns folding off. */
	const char *detail_delimiters;
	/* Where the options were set and on which lines (0: unknown), for a
	 * table that cannot be read: "FILE:LINE: error: ..."; origin NULL:
	 * the message names the table's path instead. */
	const char *origin;
	unsigned table_line, aliases_line;
};

struct vouchd_sendas; /* opaque, immutable once loaded */

/*
 * vouchd_sendas_load - read and check the send-as table and alias map
 * (formats in vouchd-tables(5)).
 * Checks at load: every line has a login and at least one address; each
 * address is "*", "%", "@domain", "@.domain" or local@domain with a valid
 * domain (U-labels converted to A-labels); logins at most
 * VOUCHD_SENDAS_MAX_LOGIN bytes; alias lines have one alias and one
 * canonical address of the same kind; alias chains end within
 * VOUCHD_SENDAS_MAX_ALIAS_DEPTH steps (a loop is an error).  Warnings:
 * "*" granted to every login (the check then allows everything).
 * Out: *out, owned by the caller (vouchd_sendas_free); NULL on error.
 * Errors: VOUCH_ESYNTAX (errors in diag), VOUCH_EIO (a file cannot be
 *         read), VOUCH_ELIMIT, VOUCH_EINVAL (conf, table or diag NULL, or
 *         more than 31 detail delimiters: in diag), VOUCH_ENOMEM.
 */
VOUCH_WARN_UNUSED enum vouch_status vouchd_sendas_load(
    const struct vouchd_sendas_conf *conf, struct vouchd_diag *diag,
    struct vouchd_sendas **out);

/*
 * vouchd_sendas_parse - the same for files held in memory (fuzz targets,
 * unit tests): table/tlen and aliases/alen (alen 0 or aliases NULL: no
 * map) are file contents, not NUL-terminated, not kept; the names are
 * used in messages.  No VOUCH_EIO.
 */
VOUCH_WARN_UNUSED enum vouch_status vouchd_sendas_parse(const char *tname,
    const uint8_t *table, size_t tlen, const char *aname,
    const uint8_t *aliases, size_t alen, const char *detail_delimiters,
    struct vouchd_diag *diag, struct vouchd_sendas **out);

void vouchd_sendas_free(struct vouchd_sendas *t);

/* The outcomes of a check; the daemon maps each to an action. */
enum vouchd_sendas_result {
	VOUCHD_SENDAS_ALLOWED = 0, /* every address is the login's */
	VOUCHD_SENDAS_UNAUTHENTICATED, /* no login (SenderAuthUnauthenticated)
	                                */
	VOUCHD_SENDAS_NO_MATCH, /* an address is not the login's (NoMatch) */
	VOUCHD_SENDAS_MALFORMED, /* an address cannot be read (Malformed) */
	VOUCHD_SENDAS_ERROR /* the table could not answer (Error) */
};

/* Where the address a verdict names came from. */
enum vouchd_sendas_source {
	VOUCHD_SENDAS_SRC_NONE = 0,
	VOUCHD_SENDAS_SRC_FROM, /* header From (RFC 5322 §3.6.2) */
	VOUCHD_SENDAS_SRC_SENDER, /* header Sender */
	VOUCHD_SENDAS_SRC_MAIL_FROM /* envelope MAIL FROM (RFC 5321 §4.1.1.2) */
};

/*
 * vouchd_sendas_lookup - may `login` send as local@domain?
 * In:  t, loaded (NULL gives VOUCHD_SENDAS_ERROR); login/loginlen, the
 *      SASL login as the MTA reports it, compared byte for byte (NULL or
 *      0 bytes: unauthenticated); local/domain as parsed (mail_mailbox:
 *      not NUL-terminated).  The address is compared in lower case (an
 *      U-label domain as A-labels), then without its +detail, then
 *      through the alias map; it is allowed when any of those names is
 *      granted to the login or to "*".
 * Out: the result; why/whylen (may be NULL/0) gets one NUL-terminated
 *      printable line saying which entry allowed it or why not.
 *      VOUCHD_SENDAS_ERROR when t is NULL, an alias chain is longer than
 *      VOUCHD_SENDAS_MAX_ALIAS_DEPTH, or memory for parsing a login that
 *      is an address (for "%") cannot be had.
 * No error status: every outcome is a result.  Thread safe.
 */
enum vouchd_sendas_result vouchd_sendas_lookup(const struct vouchd_sendas *t,
    const char *login, size_t loginlen, const uint8_t *local, size_t locallen,
    const uint8_t *domain, size_t domainlen, char *why, size_t whylen);

/* The verdict on one message. */
struct vouchd_sendas_verdict {
	enum vouchd_sendas_result result;
	enum vouchd_sendas_source source; /* the field of `address` */
	/* The address refused (or "" when allowed or unauthenticated), and
	 * the login, printable: bytes outside printable ASCII as \xHH,
	 * cut with "..." when long. */
	char address[VOUCHD_TABLE_MAX_ADDRESS + 8];
	char login[VOUCHD_SENDAS_MAX_LOGIN + 8];
	/* A sentence for the SMTP reply and the log, naming the address
	 * and the login, e.g. "sender address <bob@example.org> in From is
	 * not allowed for login alice".  For the 550 5.7.1 reply text (an
	 * SMTP reply line holds 512 bytes, RFC 5321 §4.5.3.1.5: cut it, or
	 * send it as a multiline reply). */
	char reason[2048];
};

/*
 * vouchd_sendas_check - check every address a message claims.
 * In:  t, login/loginlen as for _lookup;
 *      from[i]/fromlen[i], i < nfrom: the value (after "From:") of each
 *      From field of the header, as received (folded, not
 *      NUL-terminated); no From field, or a value that is not a
 *      mailbox-list, is MALFORMED; every mailbox of every field is
 *      checked (RFC 5322 §3.6.2 allows several);
 *      sender/senderlen: the value of the Sender field, or NULL: one
 *      mailbox, checked like From;
 *      mailfrom/mailfromlen: the MAIL FROM argument as the milter gets it
 *      ("<user@example.com>" or "user@example.com"), or NULL; the null
 *      reverse-path "<>" (bounces) claims no address and is not checked.
 *      Order: From, Sender, MAIL FROM; the first refusal decides.
 * Out: *out (result, source, address, login, reason).
 * Errors: VOUCH_EINVAL (out NULL, or nfrom > 0 with from NULL),
 *         VOUCH_ENOMEM (the parser's working space, about 40 KiB, could
 *         not be had); the verdict is data.  Thread safe.
 */
VOUCH_WARN_UNUSED enum vouch_status vouchd_sendas_check(
    const struct vouchd_sendas *t, const char *login, size_t loginlen,
    const uint8_t *const *from, const size_t *fromlen, size_t nfrom,
    const uint8_t *sender, size_t senderlen, const uint8_t *mailfrom,
    size_t mailfromlen, struct vouchd_sendas_verdict *out);

/* A short name for a result ("allowed", "no-match", ...), for logs. */
const char *vouchd_sendas_result_str(enum vouchd_sendas_result r);

#endif
