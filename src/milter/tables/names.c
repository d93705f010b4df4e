/*
 * Names in tables: domains (compared as DMARC compares them) and
 * selectors.
 */
#include <string.h>

#include "dmarc/internal.h"
#include "milter/tables/internal.h"

int
norm_domain(const uint8_t *p, size_t len, char *out, const char **why)
{
	/* dmarc_normalize: A-labels, lower case, LDH (and '_') labels. */
	return dmarc_normalize(p, len, out, VOUCH_DNS_MAX_NAME + 1, why);
}

int
selector_ok(const uint8_t *p, size_t len, const char **why)
{
	size_t i, lab = 0;

	if (len == 0 || len > VOUCHD_TABLE_MAX_SELECTOR) {
		*why = len == 0 ? "empty selector" : "selector too long";
		return 0;
	}
	for (i = 0; i < len; i++) {
		uint8_t ch = p[i];

		if (ch == '.') {
			if (lab == 0)
				break;
			lab = 0;
			continue;
		}
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		        (ch >= '0' && ch <= '9') || ch == '-' || ch == '_')) {
			*why = "selector holds a character a DNS label cannot "
			       "(RFC 6376 §3.1)";
			return 0;
		}
		if (++lab > VOUCH_DNS_MAX_LABEL) {
			*why = "selector label over 63 bytes";
			return 0;
		}
	}
	if (lab == 0) {
		*why = "empty label in selector";
		return 0;
	}
	return 1;
}
