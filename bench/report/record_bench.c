/*
 * The recording benchmark of issue 8 (not a test): what recording costs
 * the mail path.  Runs the receiver's whole verdict (vouch_verify_message:
 * SPF, DKIM, ARC, DMARC, Authentication-Results) on one message again and
 * again for a number of CPU seconds, once without recording and once with
 * every verdict handed to a threaded recorder (vouch_recorder_add_verify,
 * what vouchd's Record option does per message), and prints messages per
 * CPU second of the whole process (the committer thread included) and per
 * wall second.
 *
 *   record_bench --zone FILE --msg FILE [--db URL] [--seconds S]
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "vouch/vouch.h"

static double
cpu_now(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static double
wall_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint8_t *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *p;
	long n;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0 || (p = malloc((size_t)n + 1)) == NULL ||
	    fread(p, 1, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, "record_bench: cannot read %s\n", path);
		exit(74);
	}
	fclose(f);
	*len = (size_t)n;
	return p;
}

int
main(int argc, char **argv)
{
	const char *zone = NULL, *msgfile = NULL, *db = NULL;
	double secs = 3, c0, w0, c1, w1;
	struct vouch_recorder_options ro;
	struct vouch_recorder_stats rs;
	struct vouch_recorder *rec = NULL;
	struct vouch_verify_options vo;
	struct vouch_verify_result *res;
	struct vouch_store_envelope env;
	struct vouch_verify_smtp smtp;
	struct vouch_verify *v = NULL;
	struct vouch_dns *dns = NULL;
	uint64_t n = 0, recorded = 0;
	char err[512] = "";
	uint8_t *msg;
	size_t len, k;
	int i;

	for (i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--zone"))
			zone = argv[i + 1];
		else if (!strcmp(argv[i], "--msg"))
			msgfile = argv[i + 1];
		else if (!strcmp(argv[i], "--db"))
			db = argv[i + 1];
		else if (!strcmp(argv[i], "--seconds"))
			secs = strtod(argv[i + 1], NULL);
	}
	if (zone == NULL || msgfile == NULL) {
		fprintf(stderr, "usage: record_bench --zone FILE --msg FILE "
		                "[--db URL] [--seconds S]\n");
		return 64;
	}
	msg = slurp(msgfile, &len);
	if (vouch_dns_zone_new(zone, &dns, err, sizeof(err)) != VOUCH_OK) {
		fprintf(stderr, "record_bench: %s\n", err);
		return 65;
	}
	vouch_verify_options_init(&vo);
	vo.authserv_id = "mx.bench.example";
	vo.dkim.now = 0; /* the clock: the example was signed recently */
	if (vouch_verify_new(dns, &vo, &v, err, sizeof(err)) != VOUCH_OK) {
		fprintf(stderr, "record_bench: %s\n", err);
		return 70;
	}
	if (db != NULL) {
		vouch_recorder_options_init(&ro);
		if (vouch_recorder_new(db, &ro, &rec, err, sizeof(err)) !=
		    VOUCH_OK) {
			fprintf(stderr, "record_bench: %s\n", err);
			return 69;
		}
	}
	memset(&smtp, 0, sizeof(smtp));
	smtp.ip = "192.0.2.25";
	smtp.ip_len = strlen(smtp.ip);
	smtp.helo = "mail.vouch.example";
	smtp.helo_len = strlen(smtp.helo);
	smtp.mail_from = "demo@vouch.example";
	smtp.mail_from_len = strlen(smtp.mail_from);
	smtp.now = time(NULL);
	memset(&env, 0, sizeof(env));
	env.smtp = &smtp;
	env.rcpt_to = "user@receiver.example";
	env.rcpt_to_len = strlen(env.rcpt_to);
	c0 = cpu_now();
	w0 = wall_now();
	while (cpu_now() - c0 < secs) {
		for (i = 0; i < 50; i++, n++) {
			if (vouch_verify_message(v, &smtp, msg, len, &res) !=
			    VOUCH_OK) {
				fprintf(
				    stderr, "record_bench: verify failed\n");
				return 70;
			}
			if (rec != NULL) {
				env.time = 1700000000 + (int64_t)(n % 86400);
				if (vouch_recorder_add_verify(
				        rec, res, &env, &k) == VOUCH_OK)
					recorded += k;
			}
			vouch_verify_result_free(res);
		}
	}
	if (rec != NULL && vouch_recorder_flush(rec) != VOUCH_OK)
		fprintf(stderr, "record_bench: flush failed\n");
	c1 = cpu_now();
	w1 = wall_now();
	if (rec != NULL) {
		vouch_recorder_stats(rec, &rs);
		vouch_recorder_free(rec);
	} else
		memset(&rs, 0, sizeof(rs));
	printf("%s messages=%" PRIu64 " recorded=%" PRIu64 " committed=%" PRIu64
	       " dropped=%" PRIu64 " cpu_s=%.3f wall_s=%.3f msg_per_cpu_s=%.0f "
	       "msg_per_wall_s=%.0f\n",
	    db ? "record" : "norecord", n, recorded, rs.committed, rs.dropped,
	    c1 - c0, w1 - w0, (double)n / (c1 - c0), (double)n / (w1 - w0));
	vouch_verify_free(v);
	vouch_dns_free(dns);
	free(msg);
	return 0;
}
