/*
 * Diagnostics of the table loaders: every error and warning with file and
 * line, kept in order for vouchd -t and the load log.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "milter/tables/internal.h"

void
vouchd_diag_init(struct vouchd_diag *d)
{
	memset(d, 0, sizeof(*d));
}

void
vouchd_diag_free(struct vouchd_diag *d)
{
	size_t i;

	if (d == NULL)
		return;
	for (i = 0; i < d->n; i++) {
		free(d->msg[i].text);
		free(d->msg[i].file);
	}
	free(d->msg);
	memset(d, 0, sizeof(*d));
}

void
vouchd_diag_print(const struct vouchd_diag *d, const char *prefix, FILE *fp)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		fprintf(fp, "%s%s\n", prefix ? prefix : "", d->msg[i].text);
	if (d->ndropped > 0)
		fprintf(fp, "%s%zu more messages\n", prefix ? prefix : "",
		    d->ndropped);
}

static void
keep(struct vouchd_diag *d, enum vouchd_diag_level level, const char *file,
    unsigned line, const char *text)
{
	struct vouchd_diag_msg *m;
	size_t cap;

	if (d->n >= VOUCHD_DIAG_MAX) {
		d->ndropped++;
		return;
	}
	if (d->n == d->cap) {
		cap = d->cap ? d->cap * 2 : 8;
		if (cap > VOUCHD_DIAG_MAX)
			cap = VOUCHD_DIAG_MAX;
		m = realloc(d->msg, cap * sizeof(*m));
		if (m == NULL) {
			d->ndropped++;
			return;
		}
		d->msg = m;
		d->cap = cap;
	}
	m = &d->msg[d->n];
	m->file = NULL;
	if ((m->text = strdup(text)) == NULL ||
	    (file != NULL && (m->file = strdup(file)) == NULL)) {
		free(m->text);
		d->ndropped++;
		return;
	}
	m->level = level;
	m->line = line;
	d->n++;
}

void
diag_at(struct vouchd_diag *d, enum vouchd_diag_level level, const char *file,
    unsigned line, int item, const char *fmt, ...)
{
	char text[VOUCHD_DIAG_MAX_TEXT];
	const char *lv = level == VOUCHD_DIAG_ERROR ? "error" : "warning";
	size_t n = 0;
	va_list ap;
	int w;

	if (d == NULL)
		return;
	if (level == VOUCHD_DIAG_ERROR)
		d->nerrors++;
	else
		d->nwarnings++;
	if (file != NULL && line > 0 && item)
		w = snprintf(
		    text, sizeof(text), "%s: item %u: %s: ", file, line, lv);
	else if (file != NULL && line > 0)
		w = snprintf(text, sizeof(text), "%s:%u: %s: ", file, line, lv);
	else if (file != NULL)
		w = snprintf(text, sizeof(text), "%s: %s: ", file, lv);
	else
		w = snprintf(text, sizeof(text), "%s: ", lv);
	if (w > 0)
		n = (size_t)w < sizeof(text) ? (size_t)w : sizeof(text) - 1;
	va_start(ap, fmt);
	(void)vsnprintf(text + n, sizeof(text) - n, fmt, ap);
	va_end(ap);
	keep(d, level, file, item ? 0 : line, text);
}

void
diag_quote(const uint8_t *p, size_t len, char *out, size_t cap)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, n = 0;

	if (cap == 0)
		return;
	for (i = 0; i < len; i++) {
		uint8_t ch = p[i];
		size_t need = (ch >= 0x20 && ch < 0x7f && ch != '\\') ? 1 : 4;

		/* Room for this byte, "..." and the NUL. */
		if (n + need + 4 > cap) {
			if (n + 4 <= cap) {
				memcpy(out + n, "...", 3);
				n += 3;
			}
			break;
		}
		if (need == 1) {
			out[n++] = (char)ch;
		} else {
			out[n++] = '\\';
			out[n++] = 'x';
			out[n++] = hex[ch >> 4];
			out[n++] = hex[ch & 15];
		}
	}
	out[n] = '\0';
}

char *
xstrndup(const uint8_t *p, size_t len)
{
	char *s = malloc(len + 1);

	if (s == NULL)
		return NULL;
	if (len > 0)
		memcpy(s, p, len);
	s[len] = '\0';
	return s;
}
