/*
 * vouchd: what the processes of the daemon share.
 *
 *   supervisor (vouchd.c)  reads the configuration, starts the two others,
 *                          takes SIGHUP (reload) and SIGTERM (drain, stop)
 *   signer (signer.c)      reads the private keys as root, holds them, and
 *                          signs 32-byte digests on request; never sees mail
 *   milter (milter.c)      libmilter's threads: reads mail, verifies,
 *                          decides, hashes what is to be signed
 *
 * They talk over socketpairs (SOCK_SEQPACKET: one message per datagram) in
 * the fixed-size, versioned messages below.
 */
#ifndef VOUCHD_H
#define VOUCHD_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

#include "conf.h"
#include "tables/tables.h"
#include "vouch/vouch.h"

/* ---- Messages between the processes ------------------------------------ */

#define VOUCHD_IMSG_VERSION 1

enum vouchd_imsg_type {
	IMSG_READY = 1, /* child -> supervisor: started; text = error if any */
	IMSG_RELOAD, /* supervisor -> child: re-read the configuration */
	IMSG_RELOAD_DONE, /* child -> supervisor: status 0 ok, else text */
	IMSG_STOP, /* supervisor -> child: stop (milter: drain first) */
	IMSG_KEYS, /* milter -> signer: list the keys */
	IMSG_KEY, /* signer -> milter: one key (several, then KEYS_END) */
	IMSG_KEYS_END,
	IMSG_SIGN, /* milter -> signer: sign a digest */
	IMSG_SIGNATURE /* signer -> milter: the signature or an error */
};

/* A key is named by its file's path (VOUCHD_TABLE_MAX_PATH). */
#define VOUCHD_KEY_NAME_MAX 1025
/* An RSA-4096 signature is 512 bytes (RFC 8301 §3.2's largest size). */
#define VOUCHD_SIG_MAX 512
#define VOUCHD_TEXT_MAX 512

struct vouchd_imsg {
	uint16_t version;
	uint16_t type;
	uint32_t id; /* a request's number, echoed in its answer */
	int32_t status; /* enum vouch_status, or 0/-1 for control */
	/* IMSG_KEY, IMSG_SIGN */
	char key[VOUCHD_KEY_NAME_MAX];
	char domain[VOUCH_DNS_MAX_NAME + 1];
	char selector[VOUCHD_TABLE_MAX_SELECTOR + 1];
	uint8_t key_type; /* enum vouch_dkim_key_type */
	uint16_t key_bits;
	uint8_t alg; /* enum vouch_dkim_sign_alg */
	uint8_t digest[32];
	uint16_t siglen;
	uint8_t sig[VOUCHD_SIG_MAX];
	char text[VOUCHD_TEXT_MAX]; /* NUL-terminated */
};

/* imsg_send, imsg_recv - one message; -1 on error or a short/odd one. */
int imsg_send(int fd, struct vouchd_imsg *m);
int imsg_recv(int fd, struct vouchd_imsg *m);
void imsg_init(struct vouchd_imsg *m, enum vouchd_imsg_type type);

/* resolve_user - UserID "user[:group]" (NUL-terminated) to a uid and a
 * gid: the group named, else the user's primary group.  0, or -1 with err
 * ("UserID x: no such user" / "no such group"). */
int resolve_user(
    const char *spec, uid_t *uid, gid_t *gid, char *err, size_t errlen);

/* drop_privileges - switch to UserID "user[:group]" (NULL: stay); 0, or
 * -1 with err.  Also when not root, if the user is the current one. */
int drop_privileges(const char *spec, char *err, size_t errlen);

/* socket_path - the file of a unix Socket ("unix:PATH" or "local:PATH"),
 * pointing into spec; NULL for an inet socket. */
const char *socket_path(const char *spec);

/*
 * socket_give - give the unix socket of Socket spec to UserID user (its
 * uid and resolve_user's gid), so that with UMask 007 the MTA, a member
 * of that group, can connect.  No-op for an inet socket or user NULL.
 * 0, or -1 with err naming the socket.
 */
int socket_give(const char *spec, const char *user, char *err, size_t errlen);

/*
 * user_may - whether uid, whose only group is gid (as after
 * drop_privileges), has the permissions want (R_OK, W_OK, X_OK, or'ed)
 * on a file of st by its mode bits (ACLs are not read); uid 0 may all.
 */
int user_may(const struct stat *st, uid_t uid, gid_t gid, int want);

/*
 * user_reaches - whether uid (group gid, as user_may) may search every
 * directory above path (NUL-terminated); 0 with the first it may not in
 * dir (dirlen bytes, NUL-terminated).  A directory that cannot be
 * stat'ed is left to the open that follows.
 */
int user_reaches(
    const char *path, uid_t uid, gid_t gid, char *dir, size_t dirlen);

/*
 * socket_dir_warning - 1, with the warning in line, when the directory of
 * the unix socket of spec is not writable by UserID user (not root): the
 * milter, running as UserID, can then neither hide the socket while it
 * drains nor remove it when it stops.  0 for an inet socket, user NULL,
 * a directory UserID may write, or one that does not exist (an error
 * check_socket reports).
 */
int socket_dir_warning(
    const char *spec, const char *user, char *line, size_t linelen);

/* ---- The signer process (signer.c) ------------------------------------- */

/*
 * signer_main - the signer process: load the keys the configuration names
 * (refusing files readable by group or others), report to the supervisor
 * on ctl, drop privileges, then answer the milter on req until told to
 * stop.  Never returns.
 */
void signer_main(const char *conf_path, int ctl, int req)
    __attribute__((noreturn));

/*
 * signer_check_keys - load every key of c as the signer would, those of
 * the entries of tables (c's KeyTable and SigningTable or single key, as
 * vouchd -t read them; NULL: none) and the ARC key, and check the DKIM
 * signing request of each and the ARC sealing request (vouchd -t); 0 when
 * all is well, else -1, each error ("FILE:LINE: what") handed to each(arg,
 * file, line, text) with the file and line (0: none) it names, and the
 * check goes on to the next key and to the ARC key.  A
 * table key that cannot be loaded is skipped without a word:
 * vouchd_signing_check_keys has said why.  A key file UserID does not own
 * is a warning on stderr (a reload, as UserID, could not read it), not an
 * error.
 */
int signer_check_keys(const struct vouchd_conf *c,
    const struct vouchd_signing *tables,
    void (*each)(void *arg, const char *file, unsigned line, const char *text),
    void *arg);

/*
 * signing_conf_from - the tables' view of the signing options (KeyTable,
 * SigningTable, or Domain + Selector + KeyFile).  Returns 1 when there is
 * something to sign with, 0 when not.  Pointers are c's.
 */
int signing_conf_from(
    const struct vouchd_conf *c, struct vouchd_signing_conf *sc);

/*
 * sendas_conf_from - the tables' view of the send-as options
 * (SenderAuthTable, SenderAuthAliases, SenderAuthDetailDelimiters), with
 * the lines they were given on.  Returns 1 when SenderAuthTable is set.
 * Pointers are c's.
 */
int sendas_conf_from(
    const struct vouchd_conf *c, struct vouchd_sendas_conf *sa);

/* diag_first - the first error of diag (else its first message) as one
 * line into err; returns -1, for `return diag_first(...)`. */
int diag_first(const struct vouchd_diag *d, char *err, size_t errlen);

/* ---- The milter process (milter.c, runtime.c, verify.c, sign.c) -------- */

/* milter_main - the milter process; returns the exit status. */
int milter_main(
    const char *conf_path, struct vouchd_conf *c, int ctl, int signer_fd);

/* A key the signer holds, as the milter knows it. */
struct vouchd_key {
	char name[VOUCHD_KEY_NAME_MAX];
	char domain[VOUCH_DNS_MAX_NAME + 1];
	char selector[VOUCHD_TABLE_MAX_SELECTOR + 1];
	struct vouch_dkim_key *ext; /* external: signed by the signer */
};

/*
 * Everything built from one configuration: immutable once made, shared
 * by the connections that started under it, freed when the last lets go.
 */
struct vouchd_runtime {
	atomic_int refs;
	struct vouchd_conf *conf;
	struct vouch_dns *dns;
	struct vouch_spf *spf; /* one SPF handle, its caches for everyone */
	char authserv_id[VOUCH_AUTHRES_MAX_ID + 1];
	struct vouch_verify_options vopts;
	/* verify handles, one per message in flight, kept for reuse */
	pthread_mutex_t pool_lock;
	size_t npool;
	struct vouch_verify *pool[64];
	size_t nkeys;
	struct vouchd_key keys[64];
	struct vouchd_signing *signing; /* the tables, NULL: no key */
	struct vouchd_sendas *sendas; /* SenderAuthTable, NULL: none */
	struct vouchd_rec *rec; /* Record: the store's recorder, or NULL */
	struct vouch_failure *failure; /* FailureReports, or NULL */
	time_t loaded;
};

int runtime_new(struct vouchd_conf *c, struct vouchd_runtime **out, char *err,
    size_t errlen);
struct vouchd_runtime *runtime_get(void);
void runtime_put(struct vouchd_runtime *rt);
void runtime_swap(struct vouchd_runtime *rt);
struct vouch_verify *runtime_verifier(struct vouchd_runtime *rt);
void runtime_verifier_put(struct vouchd_runtime *rt, struct vouch_verify *v);
const struct vouchd_key *runtime_key(
    const struct vouchd_runtime *rt, const char *name);

/* The signer channel of the milter process (sign.c). */
void signer_channel_init(int fd);
int signer_fetch_keys(struct vouchd_runtime *rt, char *err, size_t errlen);

/* ---- One message's evaluation, for the log and a recorder -------------- */

enum vouchd_role { ROLE_NONE = 0, ROLE_VERIFY, ROLE_SIGN };

/* What vouchd did with a message (the milter reply). */
enum vouchd_verdict {
	VERDICT_ACCEPT = 0,
	VERDICT_QUARANTINE,
	VERDICT_REJECT,
	VERDICT_TEMPFAIL
};

/*
 * A finished evaluation: handed to the log line and to the recorder hook
 * (the DMARC report store plugs in there).  Pointers are valid during the
 * call only.
 */
struct vouchd_eval {
	struct vouchd_runtime *rt; /* the configuration it was made under */
	unsigned long serial; /* the connection's number */
	const char *queue_id; /* "" until the MTA sent it */
	const char *client_ip; /* text, "" when unknown */
	const char *helo;
	const char *mail_from;
	const char *rcpt_to; /* the first recipient, "" unless Record */
	const char *login; /* SASL login, "" when none */
	enum vouchd_role role;
	const struct vouch_verify_result *res; /* verify role, else NULL */
	enum vouchd_verdict verdict;
	enum vouch_dmarc_override override; /* vouchd's own, if any */
	const char *why; /* the reason in words */
	const char *override_comment; /* the override's, for reports */
	const char *signed_by; /* sign role: "d=.. s=..; ..." */
	const char *upstream; /* TrustedAuthservIDs' results, "" if none */
	bool dryrun;
	bool header_action; /* a disposition field was added */
	unsigned long usec; /* time taken, MAIL to end of message */
};

extern void (*vouchd_recorder)(const struct vouchd_eval *ev);

/* ---- Recording for aggregate reports (record.c) ------------------------ */

struct vouchd_rec; /* a recorder, shared by runtimes */

/* record_attach - with Record, the recorder of rt: old's when RecordDB and
 * the batch options are the same (a reload), else a new one.  0, or -1
 * with err (the store cannot be opened or is not migrated). */
int record_attach(struct vouchd_runtime *rt, const struct vouchd_runtime *old,
    char *err, size_t errlen);
/* record_release - let go of a recorder; the last commits and frees it. */
void record_release(struct vouchd_rec *rec);
/* record_flush - commit what rt's recorder holds now (drain, reload). */
void record_flush(struct vouchd_runtime *rt);
/* record_eval - the recorder hook: the rows of one evaluation, queued. */
void record_eval(const struct vouchd_eval *ev);
/* record_metrics - the recorder's counters, Prometheus text, into buf. */
size_t record_metrics(struct vouchd_runtime *rt, char *buf, size_t cap);
/* record_check - vouchd -t, as UserID: the store opens and is migrated.
 * On an error, *line is the line of c->path it names (0: the file alone;
 * -1: none). */
int record_check(
    const struct vouchd_conf *c, char *err, size_t errlen, int *line);
/* failure_check - vouchd -t, as UserID: the failure report options, the
 * redaction key and the queue directory (failure.c); *line as
 * record_check's. */
int failure_check(
    const struct vouchd_conf *c, char *err, size_t errlen, int *line);

/* ---- Logging (log.c) --------------------------------------------------- */

void log_open(const struct vouchd_conf *c);
void log_msg(int prio, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void log_eval(const struct vouchd_conf *c, const struct vouchd_eval *ev);

/* ---- Metrics (metrics.c) ----------------------------------------------- */

void metrics_eval(const struct vouchd_eval *ev);
void metrics_count(const char *name);
void metrics_dns(unsigned long queries);
/*
 * metrics_addr - the loopback address and port of MetricsListen's
 * ADDR:PORT (IPv6 ADDR in brackets or not) into *ss, *sl; 0, or -1 with
 * err ("MetricsListen SPEC: why"): no ':', a port vouchd_port_parse
 * refuses, ADDR not an address or not loopback.  vouchd -t and
 * metrics_start both check with it.
 */
int metrics_addr(const char *spec, struct sockaddr_storage *ss, socklen_t *sl,
    char *err, size_t errlen);
int metrics_start(const char *listen, char *err, size_t errlen);

/* ---- Helpers shared by verify.c and sign.c ----------------------------- */

/* A message in progress: what the callbacks collect (milter.c). */
struct vouchd_msg;

#endif
