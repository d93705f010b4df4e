/*
 * Key file checks for load and vouchd -t: each key file the tables name
 * can be opened, is a regular file, is not open to group or others (a
 * private key anyone else can read signs as your domain; OpenDKIM's
 * RequireSafeKeys), and, for -t, holds a private key DKIM can use.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vouch/dkim_sign.h"
#include "milter/tables/internal.h"

#define KEY_FILE_MAX VOUCHD_KEY_FILE_MAX

/* Parses the key read from fd; the bytes are wiped before they go. */
static int
check_parse(int fd, const struct vouchd_table_key *k, const char *path,
    struct vouchd_diag *diag)
{
	struct vouch_dkim_key *key = NULL;
	uint8_t *buf;
	size_t len = 0;
	ssize_t r;
	char err[256];
	int ok;

	if ((buf = malloc(KEY_FILE_MAX)) == NULL)
		return -2;
	while (len < KEY_FILE_MAX) {
		r = read(fd, buf + len, KEY_FILE_MAX - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	err[0] = '\0';
	ok = vouch_dkim_key_load_mem(buf, len, &key, err, sizeof(err)) ==
	     VOUCH_OK;
	explicit_bzero(buf, KEY_FILE_MAX);
	free(buf);
	vouch_dkim_key_free(key);
	if (!ok)
		diag_at(diag, VOUCHD_DIAG_ERROR, k->file, k->line, 0,
		    "key \"%s\": %s is not a private key vouchd can sign "
		    "with: %s",
		    k->name, path, err);
	return ok ? 0 : -1;
}

/* Warns when the key's directory lets others replace the file. */
static void
check_dir(const struct vouchd_table_key *k, const char *path,
    struct vouchd_diag *diag)
{
	char dir[VOUCHD_TABLE_MAX_PATH + 1];
	const char *slash = strrchr(path, '/');
	struct stat st;
	size_t n;

	if (slash == NULL)
		return;
	n = slash == path ? 1 : (size_t)(slash - path);
	memcpy(dir, path, n);
	dir[n] = '\0';
	if (stat(dir, &st) == 0 && (st.st_mode & (S_IWGRP | S_IWOTH)) &&
	    !(st.st_mode & S_ISVTX))
		diag_at(diag, VOUCHD_DIAG_WARNING, k->file, k->line, 0,
		    "key \"%s\": directory %s is mode %04o: group or others "
		    "can replace the key file",
		    k->name, dir, (unsigned)(st.st_mode & 07777));
}

/* One key file.  Returns 0, -1 (unusable: error in diag), -2 (no memory). */
static int
check_path(const struct vouchd_table_key *k, const char *path, unsigned flags,
    struct vouchd_diag *diag)
{
	struct stat st;
	int fd, r = 0;
	enum vouchd_diag_level lv;

	/* O_NONBLOCK: a FIFO in the way must not hang vouchd -t. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		diag_at(diag, VOUCHD_DIAG_ERROR, k->file, k->line, 0,
		    "key \"%s\": cannot read %s: %s", k->name, path,
		    strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		diag_at(diag, VOUCHD_DIAG_ERROR, k->file, k->line, 0,
		    "key \"%s\": %s is not a regular file", k->name, path);
		close(fd);
		return -1;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		lv = (flags & VOUCHD_KEYCHECK_SAFE) ? VOUCHD_DIAG_ERROR
		                                    : VOUCHD_DIAG_WARNING;
		diag_at(diag, lv, k->file, k->line, 0,
		    "key \"%s\": %s is mode %04o: group or others may read or "
		    "write the private key (chmod 600)",
		    k->name, path, (unsigned)(st.st_mode & 07777));
		if (lv == VOUCHD_DIAG_ERROR)
			r = -1;
	}
	check_dir(k, path, diag);
	if (flags & VOUCHD_KEYCHECK_PARSE) {
		int p = check_parse(fd, k, path, diag);

		if (p != 0)
			r = p;
	}
	close(fd);
	return r;
}

/* Replaces each '%' of the key's path by d. */
static int
resolve(const struct vouchd_table_key *k, const char *d, char *out, size_t cap)
{
	size_t n = 0, dl = strlen(d);
	const char *p;

	for (p = k->keypath; *p; p++) {
		size_t add = *p == '%' ? dl : 1;

		if (n + add >= cap)
			return -1;
		if (*p == '%')
			memcpy(out + n, d, dl);
		else
			out[n] = *p;
		n += add;
	}
	out[n] = '\0';
	return 0;
}

/*
 * A key whose path holds '%': checked for each domain the SigningTable
 * names literally for it; a warning when some rule leaves it open.
 */
static int
check_templated(const struct vouchd_signing *s,
    const struct vouchd_table_key *k, unsigned flags, struct vouchd_diag *diag)
{
	char path[VOUCHD_TABLE_MAX_PATH + 1], dom[VOUCH_DNS_MAX_NAME + 1];
	const char *lit, *why;
	size_t i, j, nchecked = 0;
	int r = 0, open_ended = 0, c;

	if (strcmp(k->domain, "%") != 0) {
		if (resolve(k, k->domain, path, sizeof(path)) < 0)
			return 0; /* the lookup says so per message */
		return check_path(k, path, flags, diag);
	}
	for (i = 0; i < s->nrules && nchecked < VOUCHD_DIAG_MAX; i++) {
		const struct rule *rl = &s->rules[i];

		for (j = 0; j < rl->nkeys; j++) {
			const struct vouchd_table_key *rk = rl->key[j];

			if (!literal_domain(rl->pattern, &lit)) {
				if (rk == k || rk == NULL)
					open_ended = 1;
				continue;
			}
			if (norm_domain((const uint8_t *)lit, strlen(lit), dom,
			        &why) < 0)
				continue;
			if (rk == NULL)
				rk = keytable_find(&s->kt, dom, strlen(dom));
			if (rk != k || resolve(k, dom, path, sizeof(path)) < 0)
				continue;
			nchecked++;
			if ((c = check_path(k, path, flags, diag)) != 0)
				r = c;
			if (r == -2)
				return r;
		}
	}
	if (open_ended)
		diag_at(diag, VOUCHD_DIAG_WARNING, k->file, k->line, 0,
		    "key \"%s\": %s depends on the sender's domain; it is "
		    "checked when a message needs it",
		    k->name, k->keypath);
	return r;
}

enum vouch_status
vouchd_signing_check_keys(
    const struct vouchd_signing *s, unsigned flags, struct vouchd_diag *diag)
{
	size_t i, n;
	int r, bad = 0;

	if (s == NULL || diag == NULL)
		return VOUCH_EINVAL;
	n = vouchd_signing_nkeys(s);
	for (i = 0; i < n; i++) {
		const struct vouchd_table_key *k = vouchd_signing_key(s, i);

		if (s->single || strchr(k->keypath, '%') == NULL)
			r = check_path(k, k->keypath, flags, diag);
		else
			r = check_templated(s, k, flags, diag);
		if (r == -2)
			return VOUCH_ENOMEM;
		if (r < 0)
			bad = 1;
	}
	return bad ? VOUCH_EIO : VOUCH_OK;
}
