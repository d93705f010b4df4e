/*
 * verify_diff: one verdict, whatever way the message arrives.  For each
 * message file, vouch_verify_message() (the whole message in memory) is
 * compared with the streamed session as a milter feeds it (the header
 * field by field, the body in chunks of 1, 7, 4096 and varying sizes; the
 * header in one piece and the body in one piece) and with vouch_verify_fd:
 * the Authentication-Results field byte for byte, the forged fields, the
 * orphan lines, and the DMARC decision with its reason.  One TAP line per
 * file, for tests/hostile/verify_streamed.py.
 *
 * usage: verify_diff --zone FILE [--ip A] [--helo H] [--mail-from M]
 *                    [--authserv-id ID] [--now T] FILE...   ("-": names on
 * stdin)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vouch/vouch.h"

static struct vouch_verify *v;
static struct vouch_verify_smtp smtp;

/* Where vouch_verify_message ends the header section (verify.c). */
static size_t
header_len(const uint8_t *p, size_t n)
{
	size_t i;

	if (n > 0 && (p[0] == '\n' || (n > 1 && p[0] == '\r' && p[1] == '\n')))
		return p[0] == '\n' ? 1 : 2;
	for (i = 0; i < n; i++) {
		if (p[i] != '\n')
			continue;
		if (i + 1 < n && p[i + 1] == '\n')
			return i + 2;
		if (i + 2 < n && p[i + 1] == '\r' && p[i + 2] == '\n')
			return i + 3;
	}
	return n;
}

/*
 * The streamed session.  fields: the header a field at a time (else in
 * one piece); step: body chunk size, 0 for one piece, -1 for varying.
 */
static enum vouch_status
streamed(const uint8_t *p, size_t n, int fields, long step,
    struct vouch_verify_result **res)
{
	struct vouch_verify_msg *m = NULL;
	size_t h = header_len(p, n), i, start = 0, k;
	unsigned seed = 12345;
	enum vouch_status st;

	if ((st = vouch_verify_msg_new(v, &smtp, &m)) != VOUCH_OK)
		return st;
	for (i = 0; fields && i < h; i++)
		if (p[i] == '\n' &&
		    (i + 1 >= h || (p[i + 1] != ' ' && p[i + 1] != '\t'))) {
			if ((st = vouch_verify_msg_header(
			         m, p + start, i + 1 - start)) != VOUCH_OK)
				goto out;
			start = i + 1;
		}
	if (start < h &&
	    (st = vouch_verify_msg_header(m, p + start, h - start)) != VOUCH_OK)
		goto out;
	for (i = h; i < n; i += k) {
		if (step < 0) {
			seed = seed * 1103515245u + 12345u;
			k = 1 + (seed >> 16) % 1500;
		} else
			k = step == 0 ? n - i : (size_t)step;
		if (k > n - i)
			k = n - i;
		if ((st = vouch_verify_msg_body(m, p + i, k)) != VOUCH_OK)
			goto out;
	}
	st = vouch_verify_msg_finish(m, res);
out:
	vouch_verify_msg_free(m);
	return st;
}

static enum vouch_status
from_fd(const uint8_t *p, size_t n, struct vouch_verify_result **res)
{
	FILE *fp = tmpfile();
	enum vouch_status st;

	if (fp == NULL)
		return VOUCH_EIO;
	if ((n > 0 && fwrite(p, 1, n, fp) != n) || fflush(fp) != 0 ||
	    lseek(fileno(fp), 0, SEEK_SET) < 0) {
		fclose(fp);
		return VOUCH_EIO;
	}
	st = vouch_verify_fd(v, &smtp, fileno(fp), res);
	fclose(fp);
	return st;
}

/* "" when a and b agree, else what differs. */
static const char *
differs(
    const struct vouch_verify_result *a, const struct vouch_verify_result *b)
{
	size_t i;

	if (a->field_len != b->field_len ||
	    memcmp(a->field, b->field, a->field_len) != 0)
		return "the Authentication-Results field";
	if (a->nforged != b->nforged)
		return "the count of forged fields";
	for (i = 0; i < a->nforged; i++)
		if (a->forged[i].off != b->forged[i].off ||
		    a->forged[i].len != b->forged[i].len)
			return "a forged field's place";
	if (a->orphan_len != b->orphan_len)
		return "orphan_len";
	if (a->header_too_large != b->header_too_large)
		return "header_too_large";
	if (a->dmarc.result != b->dmarc.result ||
	    a->dmarc.disposition != b->dmarc.disposition ||
	    a->dmarc.override != b->dmarc.override)
		return "the DMARC decision";
	if (a->dmarc.unsafe != b->dmarc.unsafe ||
	    strcmp(a->dmarc.unsafe_reason, b->dmarc.unsafe_reason) != 0)
		return "the unsafe reason";
	return "";
}

static int
one(const char *path)
{
	static const struct {
		const char *name;
		int fields;
		long step;
	} ways[] = {
	    {"fields, body by 1 byte", 1, 1},
	    {"fields, body by 7", 1, 7},
	    {"fields, body by 4096", 1, 4096},
	    {"fields, body in varying chunks", 1, -1},
	    {"header and body in one piece each", 0, 0},
	};
	struct vouch_verify_result *whole = NULL, *other = NULL;
	uint8_t *buf = NULL;
	size_t n = 0, cap = 0, k;
	const char *why = "";
	char where[128] = "";
	enum vouch_status st;
	FILE *fp;
	int rc = 1;

	if ((fp = fopen(path, "rb")) == NULL) {
		printf("not ok - %s: %s\n", path, strerror(errno));
		return 1;
	}
	for (;;) {
		if (n == cap) {
			cap = cap ? 2 * cap : 65536;
			if ((buf = realloc(buf, cap)) == NULL)
				abort();
		}
		k = fread(buf + n, 1, cap - n, fp);
		n += k;
		if (k == 0)
			break;
	}
	fclose(fp);
	if ((st = vouch_verify_message(v, &smtp, buf, n, &whole)) != VOUCH_OK) {
		printf("not ok - %s: whole: %s\n", path, vouch_status_str(st));
		goto out;
	}
	for (k = 0; k < sizeof(ways) / sizeof(ways[0]) && why[0] == '\0'; k++) {
		/* a byte at a time is for bodies of a reasonable size */
		if (ways[k].step == 1 && n > (256 << 10))
			continue;
		st = streamed(buf, n, ways[k].fields, ways[k].step, &other);
		if (st != VOUCH_OK)
			why = vouch_status_str(st);
		else
			why = differs(whole, other);
		snprintf(where, sizeof(where), "%s", ways[k].name);
		vouch_verify_result_free(other);
		other = NULL;
	}
	if (why[0] == '\0') {
		st = from_fd(buf, n, &other);
		why = st != VOUCH_OK ? vouch_status_str(st)
		                     : differs(whole, other);
		snprintf(where, sizeof(where), "vouch_verify_fd");
	}
	if (why[0] != '\0')
		printf("not ok - %s: %s: %s differs from the whole message\n",
		    path, where, why);
	else {
		printf("ok - %s: whole, streamed 5 ways and from a file "
		       "agree\n",
		    path);
		rc = 0;
	}
out:
	vouch_verify_result_free(whole);
	vouch_verify_result_free(other);
	free(buf);
	fflush(stdout);
	return rc;
}

int
main(int argc, char **argv)
{
	struct vouch_verify_options o;
	struct vouch_dns *dns = NULL;
	const char *zone = NULL;
	char line[4096], err[256] = "";
	int i, bad = 0, n = 0;

	vouch_verify_options_init(&o);
	o.authserv_id = "mx.receiver.example";
	memset(&smtp, 0, sizeof(smtp));
	smtp.ip = "192.0.2.1";
	smtp.helo = "mx.example.com";
	smtp.mail_from = "a@example.com";
	for (i = 1; i + 1 < argc && argv[i][0] == '-' && argv[i][1] == '-';
	     i += 2) {
		if (strcmp(argv[i], "--zone") == 0)
			zone = argv[i + 1];
		else if (strcmp(argv[i], "--ip") == 0)
			smtp.ip = argv[i + 1];
		else if (strcmp(argv[i], "--helo") == 0)
			smtp.helo = argv[i + 1];
		else if (strcmp(argv[i], "--mail-from") == 0)
			smtp.mail_from = argv[i + 1];
		else if (strcmp(argv[i], "--authserv-id") == 0)
			o.authserv_id = argv[i + 1];
		else if (strcmp(argv[i], "--now") == 0)
			smtp.now = o.dkim.now = strtoll(argv[i + 1], NULL, 10);
		else {
			fprintf(stderr, "verify_diff: unknown %s\n", argv[i]);
			return 64;
		}
	}
	smtp.ip_len = strlen(smtp.ip);
	smtp.helo_len = strlen(smtp.helo);
	smtp.mail_from_len = strlen(smtp.mail_from);
	if (zone == NULL ||
	    vouch_dns_zone_new(zone, &dns, err, sizeof(err)) != VOUCH_OK ||
	    vouch_verify_new(dns, &o, &v, err, sizeof(err)) != VOUCH_OK) {
		fprintf(stderr, "verify_diff: %s\n", err[0] ? err : "--zone");
		vouch_dns_free(dns);
		return 64;
	}
	for (; i < argc; i++) {
		if (strcmp(argv[i], "-") != 0) {
			bad |= one(argv[i]);
			n++;
			continue;
		}
		while (fgets(line, sizeof(line), stdin) != NULL) {
			line[strcspn(line, "\n")] = '\0';
			if (line[0] != '\0') {
				bad |= one(line);
				n++;
			}
		}
	}
	vouch_verify_free(v);
	vouch_dns_free(dns);
	printf("1..%d\n", n);
	return bad;
}
