/*
 * Counted, capped decompression of report attachments: gzip through zlib
 * (RFC 1952), zip through libarchive.  Output goes into a bounded buffer;
 * a size or ratio beyond the caps of limits.h stops the stream at once,
 * so a bomb costs at most the cap, not its claimed size.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>
#include <zlib.h>

#include "ingest_internal.h"
#include "vouch/limits.h"

static enum vouch_status fail(enum vouch_status st, char *err, size_t errlen,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static enum vouch_status
fail(enum vouch_status st, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return st;
}

/* The ratio check: out bytes from in bytes of compressed data. */
static int
ratio_ok(size_t out, size_t in)
{
	if (out <= VOUCH_REPORT_RATIO_FLOOR)
		return 1;
	return in > 0 && out / in <= VOUCH_REPORT_MAX_RATIO;
}

/* One gzip member from *pp; *pp moves past what inflate used. */
static enum vouch_status
gunzip_member(z_stream *z, const uint8_t **pp, const uint8_t *end,
    size_t total_in0, size_t max, struct vbuf *out, char *err, size_t errlen)
{
	uint8_t chunk[16384];
	size_t n;
	int ret;

	z->next_in = (Bytef *)(uintptr_t)*pp;
	z->avail_in = (uInt)(end - *pp);
	do {
		z->next_out = chunk;
		z->avail_out = sizeof(chunk);
		ret = inflate(z, Z_NO_FLUSH);
		if (ret != Z_OK && ret != Z_STREAM_END && ret != Z_BUF_ERROR)
			return fail(VOUCH_ESYNTAX, err, errlen,
			    "gzip data corrupt: %s",
			    z->msg != NULL ? z->msg : "inflate error");
		n = sizeof(chunk) - z->avail_out;
		if (n > max - out->len)
			return fail(VOUCH_ELIMIT, err, errlen,
			    "gzip output over %zu bytes (gzip bomb?)", max);
		if (vbuf_add(out, chunk, n) != VOUCH_OK)
			return fail(out->err, err, errlen,
			    "out of memory for gzip output");
		if (!ratio_ok(out->len, total_in0 + (size_t)z->total_in))
			return fail(VOUCH_ELIMIT, err, errlen,
			    "gzip expands over %d:1 (gzip bomb?)",
			    VOUCH_REPORT_MAX_RATIO);
		if (ret == Z_BUF_ERROR && z->avail_in == 0)
			return fail(
			    VOUCH_ESYNTAX, err, errlen, "gzip data truncated");
	} while (ret != Z_STREAM_END);
	*pp = end - z->avail_in;
	return VOUCH_OK;
}

enum vouch_status
ingest_gunzip(const uint8_t *p, size_t len, size_t max, struct vbuf *out,
    int *trailing, char *err, size_t errlen)
{
	const uint8_t *end = p + len;
	enum vouch_status st = VOUCH_OK;
	size_t used = 0;
	z_stream z;

	*trailing = 0;
	vbuf_reset(out);
	memset(&z, 0, sizeof(z));
	if (len > UINT32_MAX)
		return fail(VOUCH_ELIMIT, err, errlen, "gzip input too large");
	/* 16 + 15: gzip wrapper only, the largest window */
	if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
		return fail(VOUCH_ENOMEM, err, errlen, "cannot start inflate");
	for (;;) {
		const uint8_t *start = p;

		st = gunzip_member(&z, &p, end, used, max, out, err, errlen);
		if (st != VOUCH_OK)
			break;
		used += (size_t)(p - start);
		/* RFC 1952 §2.2: a file may hold several members */
		if (end - p >= 2 && p[0] == 0x1f && p[1] == 0x8b) {
			if (inflateReset(&z) != Z_OK) {
				st = fail(VOUCH_ENOMEM, err, errlen,
				    "cannot restart inflate");
				break;
			}
			continue;
		}
		*trailing = p < end;
		break;
	}
	inflateEnd(&z);
	return st;
}

/*
 * A zip entry name that could write outside a folder if anyone extracted
 * it: absolute, with a drive letter, a backslash, or a ".." component.
 * vouch never writes entries to disk, but such a name marks a hostile
 * archive, and refusing it keeps any later tool safe too.
 */
static int
name_escapes(const char *name)
{
	const char *p = name;
	size_t n;

	if (name[0] == '/' || name[0] == '\\' || strchr(name, '\\') != NULL)
		return 1;
	if (((name[0] | 0x20) >= 'a' && (name[0] | 0x20) <= 'z') &&
	    name[1] == ':')
		return 1;
	while (*p != '\0') {
		n = strcspn(p, "/");
		if (n == 2 && p[0] == '.' && p[1] == '.')
			return 1;
		p += n;
		while (*p == '/')
			p++;
	}
	return 0;
}

/* Read the current entry's data into out, capped and ratio-checked. */
static enum vouch_status
read_entry(struct archive *a, struct archive_entry *e, size_t in_len,
    size_t *total, struct vbuf *out, char *err, size_t errlen)
{
	uint8_t chunk[16384];
	la_ssize_t n;

	vbuf_reset(out);
	for (;;) {
		n = archive_read_data(a, chunk, sizeof(chunk));
		if (n == 0)
			break;
		if (n < 0)
			return fail(VOUCH_ESYNTAX, err, errlen,
			    "zip entry %s: %s", archive_entry_pathname(e),
			    archive_error_string(a) ? archive_error_string(a)
			                            : "read error");
		if ((size_t)n > VOUCH_REPORT_MAX_XML - out->len ||
		    (size_t)n > VOUCH_REPORT_MAX_XML - *total)
			return fail(VOUCH_ELIMIT, err, errlen,
			    "zip output over %d bytes (zip bomb?)",
			    VOUCH_REPORT_MAX_XML);
		if (vbuf_add(out, chunk, (size_t)n) != VOUCH_OK)
			return fail(out->err, err, errlen,
			    "out of memory for zip output");
		*total += (size_t)n;
		/* all entries together against the whole archive */
		if (!ratio_ok(*total, in_len))
			return fail(VOUCH_ELIMIT, err, errlen,
			    "zip expands over %d:1 (zip bomb?)",
			    VOUCH_REPORT_MAX_RATIO);
	}
	return VOUCH_OK;
}

/* A libarchive reader over the zip in memory; NULL with err set. */
static struct archive *
zip_open(const uint8_t *p, size_t len, enum vouch_status *st, char *err,
    size_t errlen)
{
	struct archive *a;

	if ((a = archive_read_new()) == NULL) {
		*st =
		    fail(VOUCH_ENOMEM, err, errlen, "cannot start libarchive");
		return NULL;
	}
	archive_read_support_format_zip(a);
	if (archive_read_open_memory(a, p, len) != ARCHIVE_OK) {
		*st = fail(VOUCH_ESYNTAX, err, errlen, "not a zip archive: %s",
		    archive_error_string(a) ? archive_error_string(a) : "?");
		archive_read_free(a);
		return NULL;
	}
	return a;
}

/*
 * What both passes refuse in an entry's header: one entry too many, a
 * name that escapes its folder, encryption.  *name is the entry's name
 * ("" when it has none).
 */
static enum vouch_status
entry_check(struct archive_entry *e, unsigned *nentries, const char **name,
    char *err, size_t errlen)
{
	if ((*name = archive_entry_pathname(e)) == NULL)
		*name = "";
	if (++*nentries > VOUCH_REPORT_MAX_ZIP_ENTRIES)
		return fail(VOUCH_ELIMIT, err, errlen,
		    "zip has more than %d entries",
		    VOUCH_REPORT_MAX_ZIP_ENTRIES);
	if (name_escapes(*name))
		return fail(VOUCH_ESYNTAX, err, errlen,
		    "zip entry name '%.100s' escapes its folder (path "
		    "traversal)",
		    *name);
	if (archive_entry_is_encrypted(e))
		return fail(VOUCH_ESYNTAX, err, errlen,
		    "zip entry %.100s is encrypted", *name);
	return VOUCH_OK;
}

/*
 * The first pass over a zip: every entry's header, none of its data.  A
 * hostile name, an encrypted entry or too many entries refuse the whole
 * archive before any report in it is handed on.
 */
static enum vouch_status
check_zip(const uint8_t *p, size_t len, char *err, size_t errlen)
{
	struct archive *a;
	struct archive_entry *e;
	enum vouch_status st = VOUCH_OK;
	unsigned nentries = 0;
	const char *name;
	int r;

	if ((a = zip_open(p, len, &st, err, errlen)) == NULL)
		return st;
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK ||
	       r == ARCHIVE_WARN) {
		if ((st = entry_check(e, &nentries, &name, err, errlen)) !=
		    VOUCH_OK)
			goto out;
		/* a declared size over the cap is a bomb announced */
		if (archive_entry_size_is_set(e) &&
		    archive_entry_size(e) > VOUCH_REPORT_MAX_XML) {
			st = fail(VOUCH_ELIMIT, err, errlen,
			    "zip entry %.100s is over %d bytes (zip bomb?)",
			    name, VOUCH_REPORT_MAX_XML);
			goto out;
		}
		if (archive_read_data_skip(a) != ARCHIVE_OK)
			break;
	}
	if (st == VOUCH_OK && nentries == 0)
		st = fail(VOUCH_ESYNTAX, err, errlen, "zip archive is empty");
out:
	archive_read_free(a);
	return st;
}

enum vouch_status
ingest_unzip(const uint8_t *p, size_t len, ingest_zip_entry_fn fn, void *arg,
    char *err, size_t errlen)
{
	struct archive *a;
	struct archive_entry *e;
	enum vouch_status st = VOUCH_OK;
	struct vbuf out;
	size_t total = 0;
	unsigned nentries = 0;
	const char *name;
	int r;

	if ((st = check_zip(p, len, err, errlen)) != VOUCH_OK)
		return st;
	if ((a = zip_open(p, len, &st, err, errlen)) == NULL)
		return st;
	vbuf_init(&out, VOUCH_REPORT_MAX_XML);
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK ||
	       r == ARCHIVE_WARN) {
		if ((st = entry_check(e, &nentries, &name, err, errlen)) !=
		    VOUCH_OK)
			goto out;
		if (archive_entry_filetype(e) != AE_IFREG)
			continue;
		st = read_entry(a, e, len, &total, &out, err, errlen);
		if (st != VOUCH_OK)
			goto out;
		if ((st = fn(arg, name, out.p, out.len)) != VOUCH_OK)
			goto out;
	}
	if (r != ARCHIVE_EOF)
		st = fail(VOUCH_ESYNTAX, err, errlen, "zip archive corrupt: %s",
		    archive_error_string(a) ? archive_error_string(a) : "?");
	else if (nentries == 0)
		st = fail(VOUCH_ESYNTAX, err, errlen, "zip archive is empty");
out:
	vbuf_free(&out);
	archive_read_free(a);
	return st;
}
