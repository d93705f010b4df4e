/*
 * libFuzzer target: failure reports (src/lib/report) built from any header
 * section and body: the header scan for the Subject, redaction of every
 * field (RFC 6590), defanging, the DKIM canonical forms (nothing
 * redacted) and the MIME assembly.  The verdict is made up here: a
 * DMARC fail with fo=1:d:s, a failed signature and a failed SPF, so that
 * every kind of report is written.  The first input byte chooses the
 * redaction method and whether the body is included; the header ends at
 * the first empty line.
 * Invariants: each report is NUL-terminated at its length, has no bare
 * LF, ends with its closing boundary, and its feedback-report part is
 * 7-bit (RFC 5965 §7.1).
 */
#include <stdlib.h>
#include <string.h>

#include "vouch/vouch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char rec[] = "v=DMARC1; p=reject; fo=1:d:s; "
                          "ruf=mailto:ruf@victim.example";

static void
check(const struct vouch_failure_report *r)
{
	const char *fb, *end, *close;
	size_t i;

	if (r->data == NULL || r->data[r->len] != '\0')
		abort();
	for (i = 0; i < r->len; i++)
		if (r->data[i] == '\n' && (i == 0 || r->data[i - 1] != '\r'))
			abort();
	close = r->data + r->len - 4;
	if (r->len < 4 || memcmp(close, "--\r\n", 4) != 0)
		abort();
	fb = strstr(r->data, "Content-Type: message/feedback-report\r\n");
	if (fb == NULL || (end = strstr(fb, "\r\n--=_vouch_")) == NULL)
		abort();
	for (; fb < end; fb++)
		if ((unsigned char)*fb >= 0x80)
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vouch_failure *f[3];
	static struct vouch_verify_result res;
	static struct vouch_dkim_result dkim;
	static struct vouch_dkim_signature sig;
	static time_t now = 1800000000;
	struct vouch_dmarc_domain_result *dr = &res.dmarc.domain[0];
	struct vouch_verify_smtp smtp = {
	    "192.0.2.1", 9, "mx.example", 10, "bounce@victim.example", 21, 0};
	struct vouch_failure_options o;
	struct vouch_failure_message msg;
	struct vouch_failure_result out;
	size_t i, h;
	unsigned mode;

	if (f[0] == NULL) {
		for (i = 0; i < 3; i++) {
			vouch_failure_options_init(&o);
			o.enabled = true;
			o.from = "dmarc@receiver.example";
			o.redact = (enum vouch_failure_redact)i;
			o.include_body = true;
			o.rate = 1000000;
			o.rate_period = 1;
			if (vouch_failure_new(&o, &f[i], NULL, 0) != VOUCH_OK)
				abort();
		}
		memcpy(res.authserv_id, "mx.receiver.example", 20);
		res.dkim = &dkim;
		dkim.sig = &sig;
		dkim.nsig = 1;
		sig.result = VOUCH_DKIM_FAIL;
		memcpy(sig.reason, "signature did not verify", 25);
		memcpy(sig.d, "victim.example", 15);
		memcpy(sig.s, "sel", 4);
		memcpy(sig.i, "user@victim.example", 20);
		sig.l = -1;
		res.spf_checked = true;
		res.spf.verdict = VOUCH_SPF_FAIL;
		memcpy(res.spf.domain, "victim.example", 15);
		res.dmarc.ndomains = 1;
		memcpy(dr->author_domain, "victim.example", 15);
		memcpy(dr->org_domain, "victim.example", 15);
		memcpy(dr->policy_domain, "victim.example", 15);
		if (vouch_dmarc_record_parse((const uint8_t *)rec,
		        sizeof(rec) - 1, &dr->record) != VOUCH_OK)
			abort();
		dr->record.ruf[0].kept = 1;
		dr->has_record = 1;
		dr->result = VOUCH_DMARC_FAIL;
	}
	if (size == 0)
		return 0;
	mode = data[0];
	data++;
	size--;
	for (h = 0; h + 1 < size; h++)
		if (data[h] == '\n' && data[h + 1] == '\n')
			break;
	memset(&msg, 0, sizeof(msg));
	msg.header = data;
	msg.header_len = h + 1 < size ? h + 2 : size;
	msg.body = data + msg.header_len;
	msg.body_len = size - msg.header_len;
	msg.body_complete = (mode & 4) != 0;
	msg.now = now++;
	if (vouch_failure_build(f[mode % 3], &res, &smtp, &msg, NULL, &out) !=
	    VOUCH_OK)
		return 0;
	for (i = 0; i < out.nreports; i++)
		check(&out.report[i]);
	vouch_failure_result_free(&out);
	return 0;
}
