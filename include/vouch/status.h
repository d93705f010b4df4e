/*
 * vouch: status codes of library calls.
 *
 * A call's status says whether the call could do its work.  It is never a
 * verdict: pass/fail/permerror of a signature or a policy is data inside a
 * result struct, returned together with VOUCH_OK.
 */
#ifndef VOUCH_STATUS_H
#define VOUCH_STATUS_H

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) || defined(__clang__)
#define VOUCH_WARN_UNUSED __attribute__((warn_unused_result))
#define VOUCH_API __attribute__((visibility("default")))
#else
#define VOUCH_WARN_UNUSED
#define VOUCH_API
#endif

enum vouch_status {
	VOUCH_OK = 0, /* the call did its work */
	VOUCH_ENOMEM, /* an allocation failed */
	VOUCH_ELIMIT, /* input exceeded a limit of limits.h */
	VOUCH_ESYNTAX, /* input is not of the grammar expected */
	VOUCH_ETEMP, /* a temporary failure (DNS timeout, SERVFAIL) */
	VOUCH_EINVAL, /* the caller passed an invalid argument */
	VOUCH_EIO, /* reading or writing a file failed (see errno) */
	VOUCH_ECRYPTO, /* the crypto library refused a key or operation */
	VOUCH_ENOTFOUND, /* the thing asked for does not exist */
	VOUCH_EUNSUPPORTED /* a feature this build or this call lacks */
};

/*
 * vouch_status_str - a short English text for a status.
 * In:  st, any value (unknown values give "unknown status").
 * Out: a static NUL-terminated string; never NULL.  No error; thread safe.
 * (Statuses are vouch's own; no RFC defines them.)
 */
VOUCH_API const char *vouch_status_str(enum vouch_status st);

#ifdef __cplusplus
}
#endif
#endif
