/*
 * Replays inputs through a fuzz target without libFuzzer, so plain
 * `make check` re-runs the seed corpus and every crash ever found (the
 * model: SQLite's fuzzcheck).  Each file given is one TAP check.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int nrun;

static int
replay_file(const char *path)
{
	FILE *fp;
	uint8_t *buf;
	long n;

	if ((fp = fopen(path, "rb")) == NULL)
		return -1;
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	buf = malloc(n > 0 ? (size_t)n : 1);
	if (buf == NULL ||
	    (n > 0 && fread(buf, 1, (size_t)n, fp) != (size_t)n)) {
		free(buf);
		fclose(fp);
		return -1;
	}
	fclose(fp);
	LLVMFuzzerTestOneInput(buf, (size_t)n);
	free(buf);
	/* Reaching here without a crash or sanitizer abort is the check. */
	printf("ok - replay %s\n", path);
	fflush(stdout);
	nrun++;
	return 0;
}

int
main(int argc, char **argv)
{
	int i;
	DIR *d;
	struct dirent *de;
	char path[4096];

	for (i = 1; i < argc; i++) {
		if ((d = opendir(argv[i])) == NULL) {
			if (replay_file(argv[i]) != 0) {
				printf("not ok - replay %s: cannot read\n",
				    argv[i]);
				return 1;
			}
			continue;
		}
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(
			    path, sizeof(path), "%s/%s", argv[i], de->d_name);
			if (replay_file(path) != 0)
				printf(
				    "not ok - replay %s: cannot read\n", path);
		}
		closedir(d);
	}
	printf("1..%d\n", nrun);
	return 0;
}
