/*
 * Private to the aggregate-report reader (feedback.h, ingest.h): the arena
 * a report lives in, the decompressors and the MIME walker.
 */
#ifndef VOUCH_REPORT_INGEST_INTERNAL_H
#define VOUCH_REPORT_INGEST_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "vouch/feedback.h"
#include "vouch/ingest.h"
#include "vouch/status.h"

/*
 * A bump allocator: the strings and arrays of one report.  Blocks are
 * chained and freed together; `max` caps the bytes handed out, so a
 * hostile report costs at most that much (VOUCH_ELIMIT beyond).
 */
struct fb_arena {
	struct fb_block *head;
	size_t used; /* bytes handed out, all blocks */
	size_t max;
};

void fb_arena_init(struct fb_arena *a, size_t max);
void fb_arena_free(struct fb_arena *a);
/* fb_arena_alloc - n bytes aligned for any object, zeroed; NULL when the
 * cap is reached or malloc fails (*st says which). */
void *fb_arena_alloc(struct fb_arena *a, size_t n, enum vouch_status *st);
/* fb_arena_strndup - a NUL-terminated copy of s[0..len). */
char *fb_arena_strndup(
    struct fb_arena *a, const char *s, size_t len, enum vouch_status *st);

/*
 * Decompression into a capped buffer (archive.c).  Each writes the whole
 * output into `out` (reset first), at most `max` bytes, and refuses an
 * output/input ratio over VOUCH_REPORT_MAX_RATIO once the output passes
 * VOUCH_REPORT_RATIO_FLOOR.  err gets a reason on failure.
 * ingest_gunzip: one or more gzip members (RFC 1952 §2.2); bytes after
 * the last member that do not start another one are ignored (*trailing
 * set), as real reporters append line ends.
 */
enum vouch_status ingest_gunzip(const uint8_t *p, size_t len, size_t max,
    struct vbuf *out, int *trailing, char *err, size_t errlen);

/* One regular-file entry of a zip archive, handed to a callback. */
typedef enum vouch_status (*ingest_zip_entry_fn)(
    void *arg, const char *name, const uint8_t *p, size_t len);

/*
 * ingest_unzip - each regular entry of a zip archive, decompressed into
 * a buffer of at most VOUCH_REPORT_MAX_XML bytes, handed to fn in order.
 * Refuses (VOUCH_ESYNTAX with a reason) names that could escape a folder
 * ("..", absolute, drive or backslash paths), encrypted entries, more
 * than VOUCH_REPORT_MAX_ZIP_ENTRIES entries; VOUCH_ELIMIT for an entry
 * or a total over the caps or the ratio.  An error from fn stops the walk
 * and is returned.
 */
enum vouch_status ingest_unzip(const uint8_t *p, size_t len,
    ingest_zip_entry_fn fn, void *arg, char *err, size_t errlen);

/* Candidate report parts of a MIME message (mime.c), one callback each:
 * the decoded content, and the part's file name or content type. */
typedef enum vouch_status (*ingest_part_fn)(
    void *arg, const char *label, const uint8_t *p, size_t len);

/*
 * What ingest_mime found besides the report parts it handed over.
 */
struct ingest_mime_info {
	unsigned nparts; /* leaf parts looked at */
	unsigned ncandidates; /* parts handed to fn */
	int failure_report; /* a message/feedback-report part (RFC 6591) */
	char subject[256]; /* the Subject, for error messages */
};

/*
 * ingest_mime - parse an RFC 5322 message (MIME, RFC 2045) with GMime,
 * and hand each part that may hold an aggregate report to fn: by media
 * type (application/gzip, application/zip, text/xml, application/xml and
 * the variants reporters send) or by file name (.xml, .gz, .zip).  At
 * most VOUCH_REPORT_MAX_MIME_PARTS leaf parts are looked at.
 */
enum vouch_status ingest_mime(const uint8_t *p, size_t len, ingest_part_fn fn,
    void *arg, struct ingest_mime_info *info, char *err, size_t errlen);

/*
 * The session's shared steps (ingest.c), for the IMAP source.
 * ingest_input: the reports of one input (counts it in the stats);
 * *nreports and *nrefused (may be NULL) say what came of it.  Returns
 * only a fatal status: the report callback's, or VOUCH_ENOMEM.
 * ingest_progress: bytes more of input read, and one more input done
 * when `input` is set; calls the progress callback then.
 * ingest_add_total: inputs and bytes known to come.
 */
enum vouch_status ingest_input(struct vouch_ingest *ing, const uint8_t *p,
    size_t len, const struct vouch_ingest_where *where, unsigned *nreports,
    unsigned *nrefused);
void ingest_progress(struct vouch_ingest *ing, int input, uint64_t bytes);
void ingest_add_total(
    struct vouch_ingest *ing, uint64_t inputs, uint64_t bytes);
void ingest_problem(struct vouch_ingest *ing, enum vouch_ingest_problem what,
    enum vouch_status st, const char *why,
    const struct vouch_ingest_where *where);
/* The session's input buffer (capped at VOUCH_REPORT_MAX_INPUT). */
struct vbuf *ingest_inbuf(struct vouch_ingest *ing);

#endif
