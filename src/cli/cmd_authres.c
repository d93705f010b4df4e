/*
 * vouch authres parse [FILE]: the Authentication-Results fields of a
 * message, as JSON.
 * vouch authres strip --authserv-id ID [FILE]: the message without the
 * fields that claim ID (RFC 8601 §5).
 * Option parsing and printing only; the grammar is in src/lib/authres.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "json.h"

#define AUTHRES_CHUNK (64 * 1024)

static void
authres_usage(FILE *fp)
{
	fprintf(fp,
	    "usage: vouch authres parse [FILE]\n"
	    "       vouch authres strip --authserv-id ID [FILE]\n"
	    "       vouch authres build ID [none | METHOD=RESULT "
	    "[reason=TEXT]\n"
	    "                              [PTYPE.PROPERTY=VALUE]... "
	    "[(COMMENT)]...]...\n"
	    "\n"
	    "parse: prints the Authentication-Results fields (RFC 8601) of the "
	    "message\n"
	    "in FILE (or standard input) as a JSON list, one object per field "
	    "that\n"
	    "parses, in header order: {authserv_id, version, none, results: "
	    "[{method,\n"
	    "method_version, result, reason, props: {\"ptype.property\": "
	    "value}}]}.\n"
	    "A field that does not parse is reported on standard error and "
	    "left out.\n"
	    "strip: writes the message without the fields whose authserv-id "
	    "is ID\n"
	    "(compared without regard to case), as an MTA must before adding "
	    "its own.\n"
	    "build: writes one field from its arguments, in order, quoted and "
	    "folded,\n"
	    "with CRLF line ends, e.g. vouch authres build mx.example.org "
	    "spf=pass\n"
	    "smtp.mailfrom=example.com dmarc=fail 'reason=not aligned' "
	    "header.from=example.com\n"
	    "Exit status: 0 done, 64 usage, 65 the header is over the size "
	    "limits,\n"
	    "74 a file could not be read or written.\n");
}

/* Is there an empty line (the end of the header) in p[0..n)? */
static int
has_header_end(const uint8_t *p, size_t n)
{
	size_t i;

	if (n > 0 && p[0] == '\n')
		return 1;
	if (n > 1 && p[0] == '\r' && p[1] == '\n')
		return 1;
	for (i = 0; i + 1 < n; i++) {
		if (p[i] != '\n')
			continue;
		if (p[i + 1] == '\n' ||
		    (p[i + 1] == '\r' && i + 2 < n && p[i + 2] == '\n'))
			return 1;
	}
	return 0;
}

/*
 * Reads from fp until the header has ended or the input has, or a little
 * beyond VOUCH_MAX_HEADER_BYTES (the library then reports the limit), so a
 * body is not read whole.  Returns 0, or -1 with errno set.
 */
static int
read_header(FILE *fp, uint8_t **out, size_t *outlen)
{
	uint8_t *buf = NULL, *nb;
	size_t len = 0, cap = 0, got;

	*out = NULL;
	*outlen = 0;
	/* every round reads a byte or more, or stops */
	while (len <= VOUCH_MAX_HEADER_BYTES) {
		if (cap - len < AUTHRES_CHUNK) {
			cap = cap ? cap * 2 : 2 * AUTHRES_CHUNK;
			if ((nb = realloc(buf, cap)) == NULL) {
				free(buf);
				errno = ENOMEM;
				return -1;
			}
			buf = nb;
		}
		got = fread(buf + len, 1, AUTHRES_CHUNK, fp);
		len += got;
		if (got == 0 || has_header_end(buf, len))
			break;
	}
	if (ferror(fp)) {
		free(buf);
		errno = EIO;
		return -1;
	}
	*out = buf;
	*outlen = len;
	return 0;
}

/* A JSON string (NULL as null): bad UTF-8 as U+FFFD. */
static void
json_str(FILE *fp, const char *s, size_t len)
{
	if (s == NULL)
		fputs("null", fp);
	else
		cli_json_strn(fp, s, len, CLI_JSON_8BIT_UTF8_FFFD);
}

static void
json_cstr(FILE *fp, const char *s)
{
	json_str(fp, s, s != NULL ? strlen(s) : 0);
}

static void
print_field(FILE *fp, const struct vouch_authres *ar)
{
	size_t i, j;

	fputs("  {\"authserv_id\": ", fp);
	json_str(fp, ar->authserv_id, ar->authserv_id_len);
	fputs(", \"version\": ", fp);
	json_cstr(fp, ar->version);
	fprintf(fp, ", \"none\": %s,\n   \"results\": [",
	    ar->none ? "true" : "false");
	for (i = 0; i < ar->nresults; i++) {
		const struct vouch_authres_result *r = &ar->results[i];

		fputs(i ? ",\n    {" : "\n    {", fp);
		fputs("\"method\": ", fp);
		json_cstr(fp, r->method);
		fputs(", \"method_version\": ", fp);
		json_cstr(fp, r->method_version);
		fputs(", \"result\": ", fp);
		json_cstr(fp, r->result);
		fputs(", \"reason\": ", fp);
		json_str(fp, r->reason, r->reason_len);
		fputs(", \"props\": {", fp);
		for (j = 0; j < r->nprops; j++) {
			const struct vouch_authres_prop *pr = &r->props[j];

			if (j)
				fputs(", ", fp);
			fputc('"', fp);
			fputs(pr->ptype, fp); /* Keywords: nothing to escape */
			fputc('.', fp);
			fputs(pr->property, fp);
			fputs("\": ", fp);
			json_str(fp, pr->value, pr->value_len);
		}
		fputs("}}", fp);
	}
	fputs(ar->nresults ? "\n   ]}" : "]}", fp);
}

/* The line number of byte off of the header, from 1. */
static size_t
line_of(const uint8_t *p, size_t off)
{
	size_t i, line = 1;

	for (i = 0; i < off; i++)
		if (p[i] == '\n')
			line++;
	return line;
}

static int
authres_parse(const char *path, FILE *fp)
{
	struct vouch_authres_field *fields;
	size_t len, n, i, nprinted = 0;
	enum vouch_status st;
	uint8_t *buf;

	if (read_header(fp, &buf, &len) != 0) {
		fprintf(
		    stderr, "vouch authres: %s: %s\n", path, strerror(errno));
		return CLI_EXIT_IO;
	}
	st = vouch_authres_parse_header(buf, len, &fields, &n);
	if (st != VOUCH_OK) {
		fprintf(stderr, "vouch authres: %s: %s\n", path,
		    vouch_status_str(st));
		free(buf);
		return st == VOUCH_ENOMEM ? CLI_EXIT_SOFTWARE
		                          : CLI_EXIT_DATAERR;
	}
	fputs("[", stdout);
	for (i = 0; i < n; i++) {
		if (fields[i].status != VOUCH_OK) {
			fprintf(stderr,
			    "vouch authres: %s:%zu: Authentication-Results "
			    "field left out: %s\n",
			    path, line_of(buf, fields[i].span.off),
			    vouch_status_str(fields[i].status));
			continue;
		}
		fputs(nprinted++ ? ",\n" : "\n", stdout);
		print_field(stdout, fields[i].ar);
	}
	fputs(nprinted ? "\n]\n" : "]\n", stdout);
	vouch_authres_fields_free(fields, n);
	free(buf);
	if (fflush(stdout) != 0) {
		fprintf(stderr, "vouch authres: standard output: %s\n",
		    strerror(errno));
		return CLI_EXIT_IO;
	}
	return CLI_EXIT_OK;
}

static int
authres_strip(const char *path, FILE *fp, const char *id)
{
	uint8_t *buf, *out = NULL, chunk[AUTHRES_CHUNK];
	size_t len, outlen, nremoved, got;
	enum vouch_status st;
	int rc = CLI_EXIT_OK;

	if (read_header(fp, &buf, &len) != 0) {
		fprintf(
		    stderr, "vouch authres: %s: %s\n", path, strerror(errno));
		return CLI_EXIT_IO;
	}
	if ((out = malloc(len > 0 ? len : 1)) == NULL) {
		free(buf);
		return CLI_EXIT_SOFTWARE;
	}
	st = vouch_authres_strip_ours(
	    buf, len, id, strlen(id), out, len, &outlen, &nremoved);
	if (st != VOUCH_OK) {
		fprintf(stderr, "vouch authres: %s: %s\n", path,
		    vouch_status_str(st));
		rc = st == VOUCH_ENOMEM ? CLI_EXIT_SOFTWARE : CLI_EXIT_DATAERR;
		goto out;
	}
	fwrite(out, 1, outlen, stdout);
	/* the rest of the body, streamed */
	while ((got = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		fwrite(chunk, 1, got, stdout);
	if (ferror(fp)) {
		fprintf(stderr, "vouch authres: %s: read error\n", path);
		rc = CLI_EXIT_IO;
	} else if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "vouch authres: standard output: %s\n",
		    strerror(errno));
		rc = CLI_EXIT_IO;
	}
out:
	free(out);
	free(buf);
	return rc;
}

/* Reports the first builder error, naming the argument that caused it. */
static int
build_err(enum vouch_status st, const char *arg)
{
	fprintf(stderr, "vouch authres build: %s: %s\n", arg,
	    st == VOUCH_EINVAL ? "not a Keyword or out of place"
	                       : vouch_status_str(st));
	return st == VOUCH_ENOMEM ? CLI_EXIT_SOFTWARE : CLI_EXIT_USAGE;
}

/*
 * vouch authres build ID ITEM...: METHOD=RESULT starts a result (its
 * reason=TEXT must follow at once), PTYPE.PROPERTY=VALUE adds a property,
 * (TEXT) a comment, none says no authentication was done.
 */
static int
authres_build(int argc, char **argv)
{
	struct vouch_authres_builder *b;
	enum vouch_status st;
	char *method = NULL, *result = NULL, *arg, *eq, *dot, *f = NULL;
	const char *reason;
	size_t len;
	int i, rc = CLI_EXIT_OK;

	if (argc < 1) {
		authres_usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if ((st = vouch_authres_new(argv[0], strlen(argv[0]), &b)) != VOUCH_OK)
		return build_err(st, argv[0]);
	for (i = 1; i <= argc; i++) {
		arg = i < argc ? argv[i] : NULL;
		/* a result waits for its reason, which only comes right after
		 */
		if (method != NULL) {
			reason = NULL;
			if (arg != NULL && strncmp(arg, "reason=", 7) == 0)
				reason = arg + 7;
			st = vouch_authres_add(b, method, result, reason);
			result[-1] = '='; /* undo the split, for messages */
			if (st != VOUCH_OK) {
				rc = build_err(st, method);
				goto out;
			}
			method = NULL;
			if (reason != NULL)
				continue;
		}
		if (arg == NULL)
			break;
		len = strlen(arg);
		eq = strchr(arg, '=');
		if (strcmp(arg, "none") == 0)
			st = vouch_authres_none(b);
		else if (len >= 2 && arg[0] == '(' && arg[len - 1] == ')')
			st = vouch_authres_comment(b, arg + 1, len - 2);
		else if (eq == NULL)
			st = VOUCH_EINVAL;
		else if ((dot = memchr(arg, '.', (size_t)(eq - arg))) != NULL) {
			*dot = '\0';
			*eq = '\0';
			st = vouch_authres_prop(b, arg, dot + 1,
			    (const uint8_t *)eq + 1, strlen(eq + 1));
			*dot = '.';
			*eq = '=';
		} else {
			*eq = '\0';
			method = arg;
			result = eq + 1;
			st = VOUCH_OK;
		}
		if (st != VOUCH_OK) {
			rc = build_err(st, arg);
			goto out;
		}
	}
	if ((st = vouch_authres_finish(b, &f, &len)) != VOUCH_OK) {
		rc = build_err(st, "the field");
		goto out;
	}
	fwrite(f, 1, len, stdout);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "vouch authres: standard output: %s\n",
		    strerror(errno));
		rc = CLI_EXIT_IO;
	}
out:
	free(f);
	vouch_authres_free(b);
	return rc;
}

int
cmd_authres(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"authserv-id", required_argument, NULL, 'a'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	static char name[32];
	const char *sub, *id = NULL, *path = "-";
	FILE *fp;
	int ch, rc;

	if (argc < 2) {
		authres_usage(stderr);
		return CLI_EXIT_USAGE;
	}
	sub = argv[1];
	if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0) {
		authres_usage(stdout);
		return CLI_EXIT_OK;
	}
	if (strcmp(sub, "build") == 0) {
		if (argc > 2 && (strcmp(argv[2], "--help") == 0 ||
		                    strcmp(argv[2], "-h") == 0)) {
			authres_usage(stdout);
			return CLI_EXIT_OK;
		}
		return authres_build(argc - 2, argv + 2);
	}
	if (strcmp(sub, "parse") != 0 && strcmp(sub, "strip") != 0) {
		fprintf(
		    stderr, "vouch authres: unknown subcommand '%s'\n", sub);
		authres_usage(stderr);
		return CLI_EXIT_USAGE;
	}
	argc--;
	argv++;
	cli_name_command(argv, "vouch authres", name, sizeof(name));
	optind = 1;
	while ((ch = getopt_long(argc, argv, "a:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'a':
			id = optarg;
			break;
		case 'h':
			authres_usage(stdout);
			return CLI_EXIT_OK;
		default:
			authres_usage(stderr);
			return CLI_EXIT_USAGE;
		}
	}
	if (argc - optind > 1 || (strcmp(sub, "strip") == 0) != (id != NULL)) {
		authres_usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (id != NULL && (*id == '\0' || strlen(id) > VOUCH_AUTHRES_MAX_ID)) {
		fprintf(stderr, "vouch authres: --authserv-id: 1 to %d bytes\n",
		    VOUCH_AUTHRES_MAX_ID);
		return CLI_EXIT_USAGE;
	}
	if (optind < argc && strcmp(argv[optind], "-") != 0)
		path = argv[optind];
	if ((fp = cli_open_input("authres", path)) == NULL)
		return CLI_EXIT_IO;
	if (id != NULL)
		rc = authres_strip(path, fp, id);
	else
		rc = authres_parse(path, fp);
	cli_close_input(fp);
	return rc;
}
