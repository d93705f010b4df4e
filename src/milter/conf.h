/*
 * vouchd.conf: one "Name value" per line, '#' comments (vouchd.conf(5)).
 *
 * The file is parsed whole at load into an immutable struct vouchd_conf;
 * a reload parses a new one and swaps it in whole, or keeps the old one.
 * Option names are OpenDKIM's and OpenDMARC's where vouchd has an option of
 * the same meaning, so that migrating is mostly a copy; vouchd's own names
 * follow the same CamelCase style.  The table of options is in conf.c.
 */
#ifndef VOUCHD_CONF_H
#define VOUCHD_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Lines of a configuration file and bytes of one (a real vouchd.conf is
 * under a hundred lines; the caps bound hostile or mistaken input). */
#define VOUCHD_CONF_MAX_BYTES (1024 * 1024)
#define VOUCHD_CONF_MAX_LINE 4096
/* Items of one list value (domains, networks, header names). */
#define VOUCHD_CONF_MAX_ITEMS 4096
/* Room for the options of conf.c's table (a static assertion there keeps
 * the table within it). */
#define VOUCHD_CONF_MAX_OPTIONS 128

/* A network of InternalHosts, IgnoreHosts, TrustedForwarders. */
struct vouchd_net {
	int family; /* AF_INET or AF_INET6 */
	uint8_t addr[16]; /* network order; 4 bytes used for AF_INET */
	unsigned prefix; /* bits */
};

struct vouchd_nets {
	size_t n;
	struct vouchd_net *net;
};

/* A list of words (domains, header names, authserv-ids). */
struct vouchd_list {
	size_t n;
	char **item;
};

/* A macro of MacroList: name, and the values that match (none = any). */
struct vouchd_macro {
	char *name; /* without braces: "daemon_name" */
	struct vouchd_list values;
};

enum vouchd_log_format { VOUCHD_LOG_PLAIN = 0, VOUCHD_LOG_JSON };

/* What happens to a message whose DMARC disposition is quarantine. */
enum vouchd_quarantine {
	VOUCHD_QUARANTINE_HOLD = 0, /* the milter quarantine action */
	VOUCHD_QUARANTINE_HEADER, /* a VOUCHD_DISPOSITION_FIELD field */
	VOUCHD_QUARANTINE_NONE /* only logged and recorded */
};

/* An action for a message the filter cannot or will not pass. */
enum vouchd_action {
	VOUCHD_ACT_ACCEPT = 0, /* pass it on (unsigned, for the signer) */
	VOUCHD_ACT_REJECT, /* 550 5.7.1 */
	VOUCHD_ACT_TEMPFAIL, /* 451 4.7.x */
	VOUCHD_ACT_SIGN /* sign it anyway (SenderAuthUnauthenticated) */
};

/* The least disposition of a message whose author cannot be read
 * safely (UnsafeFromDisposition; vouch_dmarc_options.unsafe_disposition). */
enum vouchd_unsafe {
	VOUCHD_UNSAFE_QUARANTINE = 0,
	VOUCHD_UNSAFE_REJECT,
	VOUCHD_UNSAFE_NONE
};

/* How local-parts in failure reports are redacted (FailureReportRedact;
 * enum vouch_failure_redact). */
enum vouchd_redact {
	VOUCHD_REDACT_HASH = 0,
	VOUCHD_REDACT_TOKEN,
	VOUCHD_REDACT_NONE
};

/* The store used when RecordDB is not given (VOUCH_STORE_DEFAULT_PATH). */
#define VOUCHD_RECORD_DB_DEFAULT "/var/lib/vouch/vouch.db"
/* Where failure reports wait for delivery when FailureReportQueue is not
 * given. */
#define VOUCHD_FAILURE_QUEUE_DEFAULT "/var/spool/vouchd/failure"

/* The header field written for downstream filtering. */
#define VOUCHD_DISPOSITION_FIELD "X-Vouchd-Disposition"

struct vouchd_conf {
	char *path; /* the file read */
	/* daemon */
	char *socket; /* Socket: unix:PATH, local:PATH, inet:PORT@ADDR */
	char *user; /* UserID: user[:group], NULL = stay */
	mode_t umask; /* UMask */
	bool umask_set;
	char *pidfile; /* PidFile */
	bool sign, verify; /* Mode: s, v, sv */
	/* logging and metrics */
	bool syslog; /* Syslog: else stderr */
	int syslog_facility; /* SyslogFacility, LOG_MAIL by default */
	enum vouchd_log_format log_format; /* LogFormat */
	bool log_why; /* LogWhy */
	char *metrics_listen; /* MetricsListen ADDR:PORT, loopback */
	/* DNS */
	char *nameserver; /* Nameservers: the first, ADDR or ADDR@PORT */
	unsigned dns_timeout; /* DNSTimeout, seconds */
	char *zone_file; /* ZoneFile: answers from a master file */
	/* roles */
	char *authserv_id; /* AuthservID, NULL = host name */
	struct vouchd_nets internal_hosts; /* InternalHosts */
	struct vouchd_nets ignore_hosts; /* IgnoreHosts */
	size_t nmacros; /* MacroList */
	struct vouchd_macro *macros;
	bool ignore_authenticated; /* IgnoreAuthenticatedClients */
	/* signing */
	struct vouchd_list domains; /* Domain */
	bool subdomains; /* SubDomains */
	char *selector; /* Selector */
	char *key_file; /* KeyFile */
	char *key_table; /* KeyTable */
	char *signing_table; /* SigningTable */
	bool multiple_signatures; /* MultipleSignatures */
	bool header_relaxed, body_relaxed; /* Canonicalization */
	struct vouchd_list sign_headers; /* SignHeaders */
	struct vouchd_list oversign_headers; /* OversignHeaders */
	uint32_t signature_ttl; /* SignatureTTL: x= seconds, 0 none */
	/* "send mail as" */
	char *sender_auth_table; /* SenderAuthTable */
	char *sender_auth_aliases; /* SenderAuthAliases */
	char *detail_delimiters; /* SenderAuthDetailDelimiters, "none" = "" */
	enum vouchd_action sa_unauthenticated; /* SenderAuthUnauthenticated */
	enum vouchd_action sa_no_match; /* SenderAuthNoMatch */
	enum vouchd_action sa_malformed; /* SenderAuthMalformed */
	enum vouchd_action sa_error; /* SenderAuthError */
	/* verifying and deciding */
	bool dryrun; /* DryRun */
	bool reject_failures; /* RejectFailures */
	enum vouchd_quarantine quarantine; /* QuarantineAction */
	bool reject_multi_from; /* RejectMultiValueFrom */
	bool required_headers; /* RequiredHeaders */
	bool reject_spf_fail; /* RejectSPFFailures */
	enum vouchd_action dns_temperror; /* TempErrorAction */
	bool rfc7489; /* DMARCMode rfc7489 */
	char *psl_file; /* PublicSuffixList */
	bool check_helo; /* SPFCheckHELO */
	struct vouchd_list trusted_sealers; /* TrustedARCSealers */
	struct vouchd_nets trusted_forwarders; /* TrustedForwarders */
	struct vouchd_list trusted_authserv_ids; /* TrustedAuthservIDs */
	enum vouchd_unsafe unsafe_from; /* UnsafeFromDisposition */
	/* ARC sealing */
	char *arc_domain; /* ARCSealDomain */
	char *arc_selector; /* ARCSealSelector */
	char *arc_key_file; /* ARCSealKeyFile */
	/* DMARC reporting: aggregate (recording) and failure reports */
	bool record; /* Record */
	char *record_db; /* RecordDB, NULL = VOUCHD_RECORD_DB_DEFAULT */
	unsigned record_batch_rows; /* RecordBatchRows */
	unsigned record_batch_ms; /* RecordBatchTime, milliseconds */
	bool failure_reports; /* FailureReports */
	char *failure_from; /* FailureReportFrom */
	unsigned failure_kinds; /* FailureReportKinds: VOUCH_FAILURE_* bits */
	enum vouchd_redact failure_redact; /* FailureReportRedact */
	char *failure_token; /* FailureReportRedactToken */
	char *failure_key_file; /* FailureReportRedactKey */
	unsigned failure_rate; /* FailureReportRate: reports ... */
	unsigned failure_period; /* ... per this many seconds */
	char *failure_queue; /* FailureReportQueue, NULL = the default */
	char *failure_sendmail; /* FailureReportSendmail */
	char *failure_smtp; /* FailureReportSMTP: smtp[s]://host[:port] */
	/* The line each option was given on, by its place in conf.c's
	 * table; 0: not given (vouchd_conf_line reads it by name). */
	unsigned line[VOUCHD_CONF_MAX_OPTIONS];
};

/* Kinds of failure report (FailureReportKinds), the values of
 * VOUCH_FAILURE_DMARC, _DKIM and _SPF (report_failure.h). */
#define VOUCHD_FAILURE_DMARC 0x1u
#define VOUCHD_FAILURE_DKIM 0x2u
#define VOUCHD_FAILURE_SPF 0x4u

/*
 * vouchd_conf_parse - parse a configuration held in memory.
 * In:  name, NUL-terminated, used in messages ("FILE:LINE: what");
 *      p/len, the file's bytes, not NUL-terminated, not kept.
 * Out: *out, owned by the caller (vouchd_conf_free).  err/errlen: a
 *      NUL-terminated reason naming file and line.
 * Errors: -1 with err set: an unknown name, a bad value, a line too long,
 *      a file too large, a value given twice, options that contradict
 *      each other; 0 on success.  err holds the first error; the parse
 *      goes on past it, so that vouchd_conf_load_each can say them all.
 *      Reads no other file.
 */
int vouchd_conf_parse(const char *name, const uint8_t *p, size_t len,
    struct vouchd_conf **out, char *err, size_t errlen);

/*
 * vouchd_conf_load - read and parse the file at path (at most
 * VOUCHD_CONF_MAX_BYTES).  As vouchd_conf_parse; err names the file when
 * it cannot be read.
 */
int vouchd_conf_load(
    const char *path, struct vouchd_conf **out, char *err, size_t errlen);

/*
 * vouchd_conf_load_each - as vouchd_conf_load, and every error of the
 * file, in the order found ("FILE:LINE: what", NUL-terminated, valid
 * during the call), also to each(arg, file, line, text) when each is not
 * NULL, with the file and line (0: none) the text names: every
 * line that does not parse (it is skipped and the next read), then every
 * check across options, but none that names an option whose own line was
 * refused (its value is not the one meant).  For vouchd -t.  A file that
 * cannot be read or is too large is said only in err.
 */
int vouchd_conf_load_each(const char *path, struct vouchd_conf **out, char *err,
    size_t errlen,
    void (*each)(void *arg, const char *file, unsigned line, const char *text),
    void *arg);

/*
 * vouchd_conf_line - the line of c->path where the option name (its
 * vouchd.conf(5) name, NUL-terminated, compared without case) was given;
 * 0 when it was not (its default holds) or name is no option.  So that an
 * error found after the parse (a key file, the store, a table) names
 * "FILE:LINE" as the parser's own errors do.
 */
unsigned vouchd_conf_line(const struct vouchd_conf *c, const char *name);

/*
 * vouchd_conf_where - "FILE:LINE: " for the option name, or "FILE: " when
 * it was not given, into buf (NUL-terminated, cut to len).  The prefix of
 * every error vouchd -t says about an option.
 */
void vouchd_conf_where(
    const struct vouchd_conf *c, const char *name, char *buf, size_t len);

/* vouchd_conf_free - release a configuration; NULL is a no-op. */
void vouchd_conf_free(struct vouchd_conf *c);

/*
 * vouchd_net_match - 1 when the address addr (family AF_INET with 4 bytes
 * or AF_INET6 with 16) is in one of the networks; an IPv4-mapped IPv6
 * address is matched as IPv4.
 */
int vouchd_nets_match(
    const struct vouchd_nets *nets, int family, const uint8_t *addr);

/* vouchd_list_has - 1 when s/len equals an item, compared without case. */
int vouchd_list_has(const struct vouchd_list *l, const char *s, size_t len);

/*
 * vouchd_port_parse - a TCP port written p[0..len): 1 to 5 digits, value
 * 1 to 65535, into *port.  0, or -1 for anything else (empty, a sign,
 * blanks, a service name, 0, past 65535: a port above 65535 would be
 * taken modulo 65536 by whoever stores it in 16 bits).
 */
int vouchd_port_parse(const char *p, size_t len, unsigned *port);

/*
 * vouchd_socket_check - the milter socket spec of Socket (libmilter's
 * syntax: unix:PATH, local:PATH, inet:PORT[@ADDR], inet6:PORT[@ADDR]),
 * spec NUL-terminated.  0 when it is one, else -1 with why (a sentence
 * without the spec, NUL-terminated in why/whylen): an unknown kind, an
 * empty path, a port vouchd_port_parse refuses, nothing after '@'.  It
 * does not look at the file system or resolve ADDR.
 */
int vouchd_socket_check(const char *spec, char *why, size_t whylen);

/*
 * vouchd_conf_print_options - the option table, one "Name type default"
 * line each, for `vouchd -O` (the converter and the docs read it).
 */
void vouchd_conf_print_options(void);

#endif
