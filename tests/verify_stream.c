/*
 * verify_stream: the receiver's verdict made through the streamed session
 * as a milter feeds it (vouch_verify_msg_*: the header field by field, the
 * body in chunks of CHUNK bytes), printed as the Authentication-Results
 * field.  A test tool for the differential test of tests/milter: whole
 * message (vouch verify), this, and vouchd must write the same field.
 *
 *   verify_stream ZONE AUTHSERV-ID IP HELO MAIL-FROM CHUNK FILE
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vouch/vouch.h"

static uint8_t *
slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	uint8_t *p = NULL;
	size_t cap = 0, n;

	*len = 0;
	if (fp == NULL)
		return NULL;
	for (;;) {
		if (*len == cap) {
			uint8_t *q = realloc(p, cap = cap ? cap * 2 : 65536);
			if (q == NULL)
				break;
			p = q;
		}
		if ((n = fread(p + *len, 1, cap - *len, fp)) == 0)
			break;
		*len += n;
	}
	fclose(fp);
	return p;
}

/* The end of the header field starting at p: past its line end and every
 * continuation line; or the empty line's end when p is on it. */
static size_t
field_end(const uint8_t *p, size_t len)
{
	size_t i = 0;

	for (;;) {
		while (i < len && p[i] != '\n')
			i++;
		if (i < len)
			i++;
		if (i >= len || (p[i] != ' ' && p[i] != '\t'))
			return i;
	}
}

static int
is_empty_line(const uint8_t *p, size_t len)
{
	return (len >= 1 && p[0] == '\n') ||
	       (len >= 2 && p[0] == '\r' && p[1] == '\n');
}

int
main(int argc, char **argv)
{
	struct vouch_dns *dns = NULL;
	struct vouch_verify *v = NULL;
	struct vouch_verify_msg *m = NULL;
	struct vouch_verify_result *res = NULL;
	struct vouch_verify_options o;
	struct vouch_verify_smtp smtp;
	uint8_t *msg;
	size_t len, off = 0, n, chunk;
	char err[512];
	int rc = 1;

	if (argc != 8) {
		fprintf(stderr, "usage: verify_stream ZONE AUTHSERV-ID IP "
		                "HELO MAIL-FROM CHUNK FILE\n");
		return 64;
	}
	chunk = strtoul(argv[6], NULL, 10);
	if (chunk == 0 || (msg = slurp(argv[7], &len)) == NULL)
		return 66;
	if (vouch_dns_zone_new(argv[1], &dns, err, sizeof(err)) != VOUCH_OK) {
		fprintf(stderr, "%s\n", err);
		return 66;
	}
	vouch_verify_options_init(&o);
	o.authserv_id = argv[2];
	memset(&smtp, 0, sizeof(smtp));
	smtp.ip = argv[3];
	smtp.ip_len = strlen(argv[3]);
	smtp.helo = argv[4];
	smtp.helo_len = strlen(argv[4]);
	smtp.mail_from = argv[5];
	smtp.mail_from_len = strlen(argv[5]);
	if (vouch_verify_new(dns, &o, &v, err, sizeof(err)) != VOUCH_OK ||
	    vouch_verify_msg_new(v, &smtp, &m) != VOUCH_OK)
		goto out;
	/* the header, one field at a time, up to the empty line */
	while (off < len && !is_empty_line(msg + off, len - off)) {
		n = field_end(msg + off, len - off);
		if (vouch_verify_msg_header(m, msg + off, n) != VOUCH_OK)
			goto out;
		off += n;
	}
	if (off < len)
		off += msg[off] == '\r' ? 2 : 1;
	for (; off < len; off += n) {
		n = len - off < chunk ? len - off : chunk;
		if (vouch_verify_msg_body(m, msg + off, n) != VOUCH_OK)
			goto out;
	}
	if (vouch_verify_msg_finish(m, &res) != VOUCH_OK)
		goto out;
	fwrite(res->field, 1, res->field_len, stdout);
	rc = 0;
out:
	vouch_verify_result_free(res);
	vouch_verify_msg_free(m);
	vouch_verify_free(v);
	vouch_dns_free(dns);
	free(msg);
	return rc;
}
