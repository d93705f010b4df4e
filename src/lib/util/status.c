#include "vouch/status.h"

const char *
vouch_status_str(enum vouch_status st)
{
	switch (st) {
	case VOUCH_OK:
		return "ok";
	case VOUCH_ENOMEM:
		return "out of memory";
	case VOUCH_ELIMIT:
		return "limit exceeded";
	case VOUCH_ESYNTAX:
		return "syntax error";
	case VOUCH_ETEMP:
		return "temporary failure";
	case VOUCH_EINVAL:
		return "invalid argument";
	case VOUCH_EIO:
		return "I/O error";
	case VOUCH_ECRYPTO:
		return "crypto error";
	case VOUCH_ENOTFOUND:
		return "not found";
	case VOUCH_EUNSUPPORTED:
		return "not supported";
	}
	return "unknown status";
}
