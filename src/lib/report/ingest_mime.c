/*
 * Report e-mails (RFC 7489 §7.2.1.1, RFC 9990 §3.5.2): the message is
 * parsed by GMime (RFC 2045/2046), and each leaf part that may hold the
 * report is decoded and handed on.  RFC 9990 asks for application/gzip
 * or text/xml; reporters also send application/zip, application/x-gzip,
 * application/octet-stream, application/xml and text/plain with an .xml
 * name, so parts are chosen by media type or by file name, and what they
 * hold is told by its first bytes later on.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <gmime/gmime.h>

#include "ingest_internal.h"
#include "vouch/limits.h"

static pthread_once_t gmime_once = PTHREAD_ONCE_INIT;

static void
gmime_init(void)
{
	g_mime_init();
}

/* Media types that carry a report whatever the part's file name. */
static const char *const report_types[] = {
    "application/gzip",
    "application/x-gzip",
    "application/gzip-compressed",
    "application/x-gzip-compressed",
    "application/gzipped",
    "application/zip",
    "application/x-zip",
    "application/x-zip-compressed",
    "application/zip-compressed",
    "application/xml",
    "text/xml",
    "application/x-xml",
    "application/octet-stream",
};

static int
ends_with(const char *s, size_t n, const char *suffix)
{
	size_t m = strlen(suffix), i;

	if (n < m)
		return 0;
	for (i = 0; i < m; i++)
		if (tolower((unsigned char)s[n - m + i]) != suffix[i])
			return 0;
	return 1;
}

/* Whether a part may hold a report, by its type or its file name. */
static int
is_candidate(const char *type, const char *filename)
{
	size_t i, n;

	for (i = 0; i < sizeof(report_types) / sizeof(report_types[0]); i++)
		if (g_ascii_strcasecmp(type, report_types[i]) == 0)
			return 1;
	if (filename == NULL)
		return 0;
	n = strlen(filename);
	return ends_with(filename, n, ".xml") ||
	       ends_with(filename, n, ".gz") ||
	       ends_with(filename, n, ".gzip") ||
	       ends_with(filename, n, ".zip");
}

struct walk {
	ingest_part_fn fn;
	void *arg;
	struct ingest_mime_info *info;
	enum vouch_status st;
	char *err;
	size_t errlen;
	int depth;
};

/* Decode one leaf part and hand it to the callback. */
static void
leaf(struct walk *w, GMimePart *part, const char *type)
{
	GMimeDataWrapper *content;
	GMimeStream *mem;
	GByteArray *bytes;
	const char *filename = g_mime_part_get_filename(part);

	if (!is_candidate(type, filename))
		return;
	if ((content = g_mime_part_get_content(part)) == NULL)
		return;
	w->info->ncandidates++;
	mem = g_mime_stream_mem_new();
	/* the decoded part is no larger than the message, which is capped
	 * at VOUCH_REPORT_MAX_INPUT */
	if (g_mime_data_wrapper_write_to_stream(content, mem) < 0) {
		g_object_unref(mem);
		return;
	}
	bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
	w->st = w->fn(w->arg, filename != NULL ? filename : type, bytes->data,
	    bytes->len);
	g_object_unref(mem);
}

static void
walk_object(struct walk *w, GMimeObject *obj)
{
	GMimeContentType *ct;
	const char *mtype, *msub;
	char type[128];
	int i, n;

	if (obj == NULL || w->st != VOUCH_OK)
		return;
	if (++w->depth > VOUCH_REPORT_MAX_LAYERS * 4) {
		w->depth--;
		return;
	}
	if (GMIME_IS_MULTIPART(obj)) {
		n = g_mime_multipart_get_count(GMIME_MULTIPART(obj));
		for (i = 0; i < n && w->st == VOUCH_OK; i++)
			walk_object(w,
			    g_mime_multipart_get_part(GMIME_MULTIPART(obj), i));
	} else if (GMIME_IS_MESSAGE_PART(obj)) {
		GMimeMessage *m =
		    g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));

		if (m != NULL)
			walk_object(w, g_mime_message_get_mime_part(m));
	} else if (GMIME_IS_PART(obj)) {
		ct = g_mime_object_get_content_type(obj);
		mtype =
		    ct != NULL ? g_mime_content_type_get_media_type(ct) : NULL;
		msub = ct != NULL ? g_mime_content_type_get_media_subtype(ct)
		                  : NULL;
		snprintf(type, sizeof(type), "%s/%s",
		    mtype != NULL ? mtype : "text",
		    msub != NULL ? msub : "plain");
		if (w->info->nparts++ >= VOUCH_REPORT_MAX_MIME_PARTS) {
			if (w->err != NULL && w->errlen > 0)
				snprintf(w->err, w->errlen,
				    "message has more than %d parts",
				    VOUCH_REPORT_MAX_MIME_PARTS);
			w->st = VOUCH_ELIMIT;
		} else if (g_ascii_strcasecmp(
		               type, "message/feedback-report") == 0) {
			w->info->failure_report = 1;
		} else {
			leaf(w, GMIME_PART(obj), type);
		}
	}
	w->depth--;
}

/*
 * GMime's parser descends into every multipart and message/rfc822 part.
 * Each level needs a Content-Type naming "multipart/" or "message/", so
 * counting those words bounds the nesting before GMime sees the message.
 */
static int
nesting_ok(const uint8_t *p, size_t len)
{
	static const char *const words[] = {"multipart/", "message/"};
	size_t i, j, k, n = 0;

	for (k = 0; k < 2; k++) {
		size_t m = strlen(words[k]);

		for (i = 0; i + m <= len; i++) {
			for (j = 0; j < m; j++)
				if (tolower(p[i + j]) != words[k][j])
					break;
			if (j == m && ++n > 2 * VOUCH_REPORT_MAX_MIME_PARTS)
				return 0;
		}
	}
	return 1;
}

enum vouch_status
ingest_mime(const uint8_t *p, size_t len, ingest_part_fn fn, void *arg,
    struct ingest_mime_info *info, char *err, size_t errlen)
{
	GMimeStream *stream;
	GMimeParser *parser;
	GMimeMessage *msg;
	struct walk w;
	const char *subject;

	memset(info, 0, sizeof(*info));
	if (!nesting_ok(p, len)) {
		snprintf(err, errlen, "MIME nested too deep");
		return VOUCH_ELIMIT;
	}
	pthread_once(&gmime_once, gmime_init);
	stream = g_mime_stream_mem_new_with_buffer((const char *)p, len);
	parser = g_mime_parser_new_with_stream(stream);
	g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
	msg = g_mime_parser_construct_message(parser, NULL);
	g_object_unref(parser);
	g_object_unref(stream);
	if (msg == NULL) {
		snprintf(err, errlen, "not XML, gzip, zip or a MIME message");
		return VOUCH_ESYNTAX;
	}
	if ((subject = g_mime_message_get_subject(msg)) != NULL)
		snprintf(info->subject, sizeof(info->subject), "%s", subject);
	memset(&w, 0, sizeof(w));
	w.fn = fn;
	w.arg = arg;
	w.info = info;
	w.err = err;
	w.errlen = errlen;
	walk_object(&w, g_mime_message_get_mime_part(msg));
	g_object_unref(msg);
	return w.st;
}
