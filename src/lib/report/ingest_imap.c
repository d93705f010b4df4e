/*
 * Reports from an IMAP mailbox (RFC 3501, RFC 6851 MOVE) through libcurl.
 * The messages not yet marked are listed by UID, fetched one at a time,
 * read like any other input, and marked -- a keyword set, or moved --
 * only after the caller's report callback returned for each report in
 * them: a run killed half-way leaves every message either marked and
 * stored, or unmarked and read again by the next run.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest_internal.h"
#include "vouch/limits.h"

#ifdef VOUCH_HAVE_CURL
#include <curl/curl.h>

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_result = CURLE_FAILED_INIT;

static void
curl_init(void)
{
	curl_init_result = curl_global_init(CURL_GLOBAL_DEFAULT);
}

struct imap {
	struct vouch_ingest *ing;
	CURL *curl;
	const struct vouch_ingest_imap_opts *opts;
	char base[2048]; /* the mailbox URL */
	char shown[2048]; /* the same without user and password */
	struct vbuf resp; /* a command's untagged responses */
	uint32_t *uids;
	size_t nuids;
	char curlerr[CURL_ERROR_SIZE];
};

static size_t
to_vbuf(char *p, size_t size, size_t n, void *arg)
{
	struct vbuf *b = arg;

	if (n != 0 && size > SIZE_MAX / n)
		return 0;
	/* returning less than given aborts the transfer: the cap */
	if (vbuf_add(b, p, size * n) != VOUCH_OK)
		return 0;
	return size * n;
}

/*
 * A keyword or system flag safe to put into a command: "\Seen" style or
 * an atom of letters, digits and "$_-." (RFC 3501 §9 flag-keyword is
 * wider; this keeps anything that could end or alter a command out).
 */
static int
flag_ok(const char *f)
{
	size_t i, n = strlen(f);

	if (n == 0 || n > 64)
		return 0;
	for (i = f[0] == '\\' ? 1 : 0; i < n; i++)
		if (!(f[i] >= 'a' && f[i] <= 'z') &&
		    !(f[i] >= 'A' && f[i] <= 'Z') &&
		    !(f[i] >= '0' && f[i] <= '9') && f[i] != '$' &&
		    f[i] != '_' && f[i] != '-' && f[i] != '.')
			return 0;
	return n > (f[0] == '\\' ? 1u : 0u);
}

/* A mailbox name as an IMAP quoted string (RFC 3501 §4.3); 0 if it has
 * characters a quoted string cannot carry (CR, LF, 8-bit). */
static int
quote_mailbox(const char *m, char *out, size_t cap)
{
	size_t o = 0;

	if (cap < 3 || *m == '\0')
		return 0;
	out[o++] = '"';
	for (; *m != '\0'; m++) {
		unsigned char c = (unsigned char)*m;

		if (c < 0x20 || c >= 0x7f)
			return 0;
		if (o + 4 >= cap)
			return 0;
		if (c == '"' || c == '\\')
			out[o++] = '\\';
		out[o++] = (char)c;
	}
	out[o++] = '"';
	out[o] = '\0';
	return 1;
}

/* The SEARCH key that leaves out messages carrying flag f. */
static void
search_not(const char *f, char *out, size_t cap)
{
	static const char *const sys[][2] = {{"\\Seen", "UNSEEN"},
	    {"\\Answered", "UNANSWERED"}, {"\\Flagged", "UNFLAGGED"},
	    {"\\Deleted", "UNDELETED"}, {"\\Draft", "UNDRAFT"}};
	size_t i;

	for (i = 0; i < sizeof(sys) / sizeof(sys[0]); i++)
		if (strcasecmp(f, sys[i][0]) == 0) {
			snprintf(out, cap, "%s", sys[i][1]);
			return;
		}
	snprintf(out, cap, "UNKEYWORD %s", f);
}

static void
io_problem(struct imap *im, const char *what, CURLcode rc)
{
	struct vouch_ingest_where w = {im->shown, NULL};
	char why[512];

	snprintf(why, sizeof(why), "%s: %s", what,
	    im->curlerr[0] ? im->curlerr : curl_easy_strerror(rc));
	ingest_problem(im->ing, VOUCH_INGEST_IO, VOUCH_EIO, why, &w);
}

/* One command on the selected mailbox; its untagged lines in resp. */
static CURLcode
command(struct imap *im, const char *cmd)
{
	vbuf_reset(&im->resp);
	im->curlerr[0] = '\0';
	curl_easy_setopt(im->curl, CURLOPT_URL, im->base);
	curl_easy_setopt(im->curl, CURLOPT_CUSTOMREQUEST, cmd);
	curl_easy_setopt(im->curl, CURLOPT_WRITEFUNCTION, to_vbuf);
	curl_easy_setopt(im->curl, CURLOPT_WRITEDATA, &im->resp);
	return curl_easy_perform(im->curl);
}

/* The UIDs of "* SEARCH n n n" lines (RFC 3501 §7.2.5), at most
 * VOUCH_IMAP_MAX_UIDS. */
static enum vouch_status
parse_search(struct imap *im)
{
	const char *p = (const char *)im->resp.p, *end = p + im->resp.len;
	unsigned long v;
	size_t cap = 0;
	uint32_t *nu;

	im->nuids = 0;
	if (p == NULL)
		return VOUCH_OK;
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));

		if (eol == NULL)
			eol = end;
		if (eol - p > 9 && strncasecmp(p, "* SEARCH ", 9) == 0) {
			for (p += 9; p < eol;) {
				if (*p < '0' || *p > '9') {
					p++;
					continue;
				}
				for (v = 0; p < eol && *p >= '0' && *p <= '9';
				     p++)
					if (v <= UINT32_MAX)
						v = v * 10 +
						    (unsigned long)(*p - '0');
				if (v == 0 || v > UINT32_MAX ||
				    im->nuids >= VOUCH_IMAP_MAX_UIDS)
					continue;
				if (im->nuids == cap) {
					cap = cap ? cap * 2 : 256;
					nu = realloc(
					    im->uids, cap * sizeof(*im->uids));
					if (nu == NULL)
						return VOUCH_ENOMEM;
					im->uids = nu;
				}
				im->uids[im->nuids++] = (uint32_t)v;
			}
		}
		p = eol + 1;
	}
	return VOUCH_OK;
}

/* Mark a message done: moved, or the keyword set. */
static CURLcode
mark(struct imap *im, uint32_t uid, const char *flag, int move)
{
	char cmd[512], box[300];

	if (move && quote_mailbox(im->opts->move_to, box, sizeof(box)))
		snprintf(cmd, sizeof(cmd), "UID MOVE %u %s", uid, box);
	else
		snprintf(cmd, sizeof(cmd), "UID STORE %u +FLAGS.SILENT (%s)",
		    uid, flag);
	return command(im, cmd);
}

/* Fetch, read and mark one message; only a fatal status is returned. */
static enum vouch_status
one_message(
    struct imap *im, uint32_t uid, const char *flag, const char *refused_flag)
{
	struct vouch_ingest_where w;
	struct vbuf *in = ingest_inbuf(im->ing);
	unsigned nreports = 0, nrefused = 0;
	enum vouch_status st;
	char url[2100], item[32], why[200];
	CURLcode rc;

	snprintf(item, sizeof(item), "UID %u", uid);
	w.source = im->shown;
	w.item = item;
	snprintf(url, sizeof(url), "%s;UID=%u", im->base, uid);
	vbuf_reset(in);
	im->curlerr[0] = '\0';
	curl_easy_setopt(im->curl, CURLOPT_URL, url);
	curl_easy_setopt(im->curl, CURLOPT_CUSTOMREQUEST, NULL);
	curl_easy_setopt(im->curl, CURLOPT_WRITEFUNCTION, to_vbuf);
	curl_easy_setopt(im->curl, CURLOPT_WRITEDATA, in);
	rc = curl_easy_perform(im->curl);
	if (rc == CURLE_WRITE_ERROR && in->err == VOUCH_ELIMIT) {
		snprintf(why, sizeof(why), "message over %d bytes refused",
		    VOUCH_REPORT_MAX_INPUT);
		ingest_problem(
		    im->ing, VOUCH_INGEST_REFUSED, VOUCH_ELIMIT, why, &w);
		nrefused = 1;
	} else if (rc != CURLE_OK) {
		io_problem(im, item, rc);
		return VOUCH_EIO;
	} else {
		st = ingest_input(
		    im->ing, in->p, in->len, &w, &nreports, &nrefused);
		if (st != VOUCH_OK)
			return st; /* not stored: not marked */
	}
	ingest_progress(im->ing, 1, in->len);
	rc = nreports > 0 ? mark(im, uid, flag, im->opts->move_to != NULL)
	                  : mark(im, uid, refused_flag, 0);
	if (rc != CURLE_OK) {
		snprintf(why, sizeof(why), "marking %s", item);
		io_problem(im, why, rc);
		return VOUCH_EIO;
	}
	return VOUCH_OK;
}

/* The mailbox URL, and the same without "user:pass@" for messages. */
static int
set_urls(struct imap *im, const char *url)
{
	const char *scheme_end = strstr(url, "://"), *host, *at, *slash;
	size_t n = strlen(url);

	if (scheme_end == NULL || n + 8 >= sizeof(im->base))
		return 0;
	if (strncasecmp(url, "imap://", 7) != 0 &&
	    strncasecmp(url, "imaps://", 8) != 0)
		return 0;
	host = scheme_end + 3;
	slash = strchr(host, '/');
	/* no mailbox named: INBOX (RFC 3501 §5.1: always there) */
	if (slash == NULL || slash[1] == '\0')
		snprintf(im->base, sizeof(im->base), "%s%sINBOX", url,
		    slash == NULL ? "/" : "");
	else
		snprintf(im->base, sizeof(im->base), "%s", url);
	at = memchr(
	    host, '@', (size_t)((slash != NULL ? slash : url + n) - host));
	if (at == NULL)
		snprintf(im->shown, sizeof(im->shown), "%s", im->base);
	else
		snprintf(im->shown, sizeof(im->shown), "%.*s%s",
		    (int)(host - url), url, im->base + (at + 1 - url));
	return 1;
}

static void
setup(struct imap *im)
{
	const struct vouch_ingest_imap_opts *o = im->opts;
	long t = o->timeout ? (long)o->timeout : 60;

	curl_easy_setopt(im->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(im->curl, CURLOPT_ERRORBUFFER, im->curlerr);
	curl_easy_setopt(im->curl, CURLOPT_CONNECTTIMEOUT, t);
	/* a command that moves no byte for t seconds has failed */
	curl_easy_setopt(im->curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(im->curl, CURLOPT_LOW_SPEED_TIME, t);
	curl_easy_setopt(im->curl, CURLOPT_PROTOCOLS_STR, "imap,imaps");
	if (o->user != NULL)
		curl_easy_setopt(im->curl, CURLOPT_USERNAME, o->user);
	if (o->password != NULL)
		curl_easy_setopt(im->curl, CURLOPT_PASSWORD, o->password);
	if (o->cafile != NULL)
		curl_easy_setopt(im->curl, CURLOPT_CAINFO, o->cafile);
}

enum vouch_status
vouch_ingest_imap(struct vouch_ingest *ing, const char *url,
    const struct vouch_ingest_imap_opts *opts)
{
	static const struct vouch_ingest_imap_opts defaults;
	struct vouch_ingest_where w = {url, NULL};
	enum vouch_status st = VOUCH_OK;
	const char *flag, *refused_flag;
	char cmd[300], k1[100], k2[100], box[300];
	struct imap im;
	CURLcode rc;
	size_t i;

	if (ing == NULL || url == NULL)
		return VOUCH_EINVAL;
	if (opts == NULL)
		opts = &defaults;
	flag = opts->flag != NULL ? opts->flag : "$VouchIngested";
	refused_flag =
	    opts->refused_flag != NULL ? opts->refused_flag : "$VouchRefused";
	if (!flag_ok(flag) || !flag_ok(refused_flag) ||
	    (opts->move_to != NULL &&
	        !quote_mailbox(opts->move_to, box, sizeof(box))))
		return VOUCH_EINVAL;
	memset(&im, 0, sizeof(im));
	im.ing = ing;
	im.opts = opts;
	if (!set_urls(&im, url)) {
		w.source = "imap";
		ingest_problem(ing, VOUCH_INGEST_IO, VOUCH_EINVAL,
		    "not an imap:// or imaps:// URL", &w);
		return VOUCH_EINVAL;
	}
	w.source = im.shown;
	pthread_once(&curl_once, curl_init);
	if (curl_init_result != CURLE_OK ||
	    (im.curl = curl_easy_init()) == NULL)
		return VOUCH_ENOMEM;
	/* a SEARCH answer: about 8 bytes per UID */
	vbuf_init(&im.resp, 16 * (size_t)VOUCH_IMAP_MAX_UIDS);
	setup(&im);
	search_not(flag, k1, sizeof(k1));
	search_not(refused_flag, k2, sizeof(k2));
	snprintf(cmd, sizeof(cmd), "UID SEARCH %s %s", k1, k2);
	if ((rc = command(&im, cmd)) != CURLE_OK) {
		io_problem(&im, "UID SEARCH", rc);
		st = VOUCH_EIO;
		goto out;
	}
	if ((st = parse_search(&im)) != VOUCH_OK)
		goto out;
	ingest_add_total(ing, im.nuids, 0);
	for (i = 0; i < im.nuids && st == VOUCH_OK; i++)
		st = one_message(&im, im.uids[i], flag, refused_flag);
out:
	vbuf_free(&im.resp);
	free(im.uids);
	curl_easy_cleanup(im.curl);
	return st;
}
#else

/* Built without libcurl (meson -Dcurl=disabled): no IMAP. */
enum vouch_status
vouch_ingest_imap(struct vouch_ingest *ing, const char *url,
    const struct vouch_ingest_imap_opts *opts)
{
	struct vouch_ingest_where w = {"imap", NULL};

	(void)opts;
	if (ing == NULL || url == NULL)
		return VOUCH_EINVAL;
	ingest_problem(ing, VOUCH_INGEST_IO, VOUCH_EUNSUPPORTED,
	    "this vouch was built without libcurl: no IMAP", &w);
	return VOUCH_EUNSUPPORTED;
}
#endif
