/*
 * Private to the milter process: a connection and the message in progress,
 * as the callbacks (milter.c) collect them and the roles (verify.c,
 * sign.c) use them.
 */
#ifndef VOUCHD_MILTER_H
#define VOUCHD_MILTER_H

#include <arpa/inet.h>
#include <libmilter/mfapi.h>

#include "util/buf.h"
#include "vouchd.h"

/* Authentication-Results fields of one message whose index is kept for
 * removal (RFC 8601 §5); more forged fields than this tempfail. */
#define VOUCHD_MAX_FORGED 64

/* Fields RequiredHeaders counts (RFC 5322 §3.6). */
enum req_field {
	RF_FROM,
	RF_DATE,
	RF_SENDER,
	RF_REPLY_TO,
	RF_TO,
	RF_CC,
	RF_BCC,
	RF_MESSAGE_ID,
	RF_IN_REPLY_TO,
	RF_REFERENCES,
	RF_SUBJECT,
	RF_COUNT
};

struct vouchd_msg {
	enum vouchd_role role;
	char mail_from[512]; /* without angle brackets */
	char rcpt[512]; /* the first RCPT TO, with Record; else "" */
	char login[256]; /* {auth_authen}, "" when none */
	char queue_id[64];
	struct timespec t0;
	struct vbuf hdr; /* the header section as received, CRLF */
	struct vbuf field; /* scratch: the field being received */
	unsigned nauthres; /* Authentication-Results fields seen */
	size_t nforged;
	unsigned forged[VOUCHD_MAX_FORGED]; /* 1-based per-name indices */
	unsigned counts[RF_COUNT];
	bool list_id; /* a List-Id field: a mailing list (RFC 2919) */
	char upstream[512]; /* results of TrustedAuthservIDs, for the log */
	bool body_seen;
	bool failed; /* an internal error: tempfail at the end */
	const char *fail_why;
	/* verify role */
	struct vouch_verify *v;
	struct vouch_verify_msg *vm;
	struct vouch_arc_sealer *seal;
	/* sign role */
	struct vouch_dkim_sign *ds;
	char signed_by[512];
};

struct vouchd_conn {
	struct vouchd_runtime *rt;
	unsigned long serial;
	unsigned long pflags; /* protocol flags agreed (SMFIP_NR_*, ...) */
	char ip[INET6_ADDRSTRLEN]; /* "" when not IP (a local socket) */
	int family;
	uint8_t addr[16];
	char helo[256];
	bool internal; /* InternalHosts */
	bool ignore; /* IgnoreHosts */
	struct vouchd_msg *msg;
};

/* ---- verify.c ---------------------------------------------------------- */

/* verify_start - at MAIL: a verify session with the SMTP facts. */
int verify_start(struct vouchd_conn *c, struct vouchd_msg *m);
/* verify_eoh - at the end of the header (the ARC sealer's copy). */
int verify_eoh(struct vouchd_conn *c, struct vouchd_msg *m);
/* verify_eom - at the end: verdict, fields, disposition; the reply. */
sfsistat verify_eom(SMFICTX *ctx, struct vouchd_conn *c, struct vouchd_msg *m);

/* ---- sign.c ------------------------------------------------------------ */

/* sign_eoh - at the end of the header: check send-as, choose keys, start
 * the signing context (or decide not to sign); the reply. */
sfsistat sign_eoh(SMFICTX *ctx, struct vouchd_conn *c, struct vouchd_msg *m);
sfsistat sign_eom(SMFICTX *ctx, struct vouchd_conn *c, struct vouchd_msg *m);

/* Storage for the strings of one signature request. */
struct key_choice {
	char domain[VOUCH_DNS_MAX_NAME + 1];
	char selector[VOUCHD_TABLE_MAX_SELECTOR + 1];
	char identity[VOUCHD_TABLE_MAX_ADDRESS + 1];
};

/*
 * choose_keys - the signatures for an author address (local@domain): the
 * SigningTable (or the single-key Domain list) says which keys; each must
 * be one the signer holds (a key path with '%' is not read ahead, so it
 * cannot sign).  reqs[i] point into kc[i].  Returns the count, or -1 when
 * an entry matched but none can be used (why says which).  Mail and
 * failure reports (failure.c) are signed with the same keys.
 */
int choose_keys(const struct vouchd_runtime *rt, const char *author,
    struct vouch_dkim_sign_req *reqs, struct key_choice *kc, size_t max,
    char *why, size_t cap);

/* ---- failure.c --------------------------------------------------------- */

/* failure_attach - with FailureReports, rt's report builder (the rate
 * state carried from old); the queue directory made ready.  0, or -1 with
 * err.  After the privilege drop: the queue is UserID's. */
int failure_attach(struct vouchd_runtime *rt, const struct vouchd_runtime *old,
    char *err, size_t errlen);
/* failure_eval - at the end of a verified message: the reports due, into
 * the queue; never waits for a delivery. */
void failure_eval(const struct vouchd_conn *c, const struct vouchd_msg *m,
    const struct vouch_verify_result *res, const struct vouchd_eval *ev);
/* failure_start - the delivery thread (once); failure_stop ends it and
 * keeps the rate state in the queue directory. */
int failure_start(const struct vouchd_runtime *rt, char *err, size_t errlen);
void failure_stop(void);

/* ---- milter.c helpers -------------------------------------------------- */

/* reply - set the SMTP reply for a reject or tempfail (text sanitized). */
void milter_reply(SMFICTX *ctx, const char *rcode, const char *xcode,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* milter_insert_field - insert a field "Name: value\r\n..." (CRLF folded,
 * as the library writes them) at index 0. */
int milter_insert_field(
    SMFICTX *ctx, const struct vouchd_conn *c, const char *field, size_t len);
/* milter_finish_eval - fill the common part of an evaluation, log it,
 * count it, hand it to the recorder. */
void milter_finish_eval(
    struct vouchd_conn *c, struct vouchd_msg *m, struct vouchd_eval *ev);

/* The mailboxes of the From fields of the held header (sign.c, verify.c):
 * n addresses, each "local@domain"; -1 when one does not parse. */
#define VOUCHD_MAX_AUTHORS 32
int msg_authors(const struct vouchd_msg *m, const char *name,
    char out[][VOUCH_DNS_MAX_NAME + 130], size_t max, size_t *n);

#endif
