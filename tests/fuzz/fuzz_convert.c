/*
 * libFuzzer target: the configuration converter (src/milter/tables/
 * convert.c) reading opendkim.conf, opendmarc.conf and openarc.conf text,
 * and the property that whatever it reads, what it writes is a
 * vouchd.conf vouchd's own parser (src/milter/conf.c) accepts.
 *
 * Input: up to three files separated by "\n%%%\n" (OpenDKIM, OpenDMARC,
 * OpenARC), each handed to the converter as a memfd.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "conf.h"
#include "milter/tables/convert.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
memfile(const uint8_t *p, size_t len, char *path, size_t cap)
{
	int fd = memfd_create("fuzz-conf", MFD_CLOEXEC);

	if (fd < 0 || (len > 0 && write(fd, p, len) != (ssize_t)len))
		abort();
	(void)snprintf(path, cap, "/proc/self/fd/%d", fd);
	return fd;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char sep[] = "\n%%%\n";
	const uint8_t *part[3], *end = data + size, *p = data, *q;
	size_t len[3], n = 0, i, outlen = 0;
	char path[3][64], err[1024], *out = NULL;
	struct vouchd_convert_in in;
	struct vouchd_conf *vc = NULL;
	int fd[3], rc;
	FILE *fo;

	while (n < 3) {
		q = memmem(p, (size_t)(end - p), sep, sizeof(sep) - 1);
		part[n] = p;
		len[n] = (size_t)((q ? q : end) - p);
		n++;
		if (q == NULL)
			break;
		p = q + sizeof(sep) - 1;
	}
	for (i = 0; i < n; i++)
		fd[i] = memfile(part[i], len[i], path[i], sizeof(path[i]));
	memset(&in, 0, sizeof(in));
	in.opendkim = path[0];
	in.opendmarc = n > 1 ? path[1] : NULL;
	in.openarc = n > 2 ? path[2] : NULL;
	if ((fo = open_memstream(&out, &outlen)) == NULL)
		abort();
	rc = vouchd_convert(&in, fo, NULL, err, sizeof(err));
	fclose(fo);
	if (rc < -1 || rc > 1 || (rc < 0 && err[0] == '\0'))
		abort();
	if (rc >= 0 && vouchd_conf_parse("converted", (const uint8_t *)out,
	                   outlen, &vc, err, sizeof(err)) != 0) {
		fprintf(stderr, "converter output refused: %s\n%s\n", err, out);
		abort();
	}
	vouchd_conf_free(vc);
	free(out);
	for (i = 0; i < n; i++)
		close(fd[i]);
	return 0;
}
