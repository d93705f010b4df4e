/*
 * vouchd: the milter.  main() and the supervisor process.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"

int
main(int argc, char **argv)
{
	struct vouchd_conf *c = NULL;
	const char *path = "/etc/vouchd/vouchd.conf";
	char err[1024];
	int ch, test = 0;

	while ((ch = getopt(argc, argv, "c:tO")) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 't':
			test = 1;
			break;
		case 'O':
			vouchd_conf_print_options();
			return 0;
		default:
			return 64;
		}
	}
	if (vouchd_conf_load(path, &c, err, sizeof(err)) != 0) {
		fprintf(stderr, "vouchd: %s\n", err);
		return 78;
	}
	vouchd_conf_free(c);
	return test ? 0 : 1;
}
