/*
 * vouchd --from-opendkim FILE [--from-opendmarc FILE] [--from-openarc FILE]:
 * read the configurations of the three milters vouchd replaces and print
 * one vouchd.conf doing the same, and every option that could not be
 * carried over, with why.
 *
 * Option names are kept where vouchd has an option of the same meaning
 * (vouchd.conf(5)); values are checked and rewritten into vouchd's forms
 * (booleans as yes/no, host lists as addresses, data sets of domains as
 * lists).  Where a default differs and the difference changes what
 * happens to mail (OpenDKIM's simple/simple canonicalization, OpenDMARC
 * not holding quarantined mail), the old behaviour is written out
 * explicitly, with a comment.  The KeyTable and SigningTable are read
 * with vouchd's own loader, so a table vouchd would refuse (a key written
 * into the KeyTable, an SQL table) is reported now, not at start.
 */
#ifndef VOUCHD_CONVERT_H
#define VOUCHD_CONVERT_H

#include <stdio.h>

/* The files to convert; any may be NULL, not all. */
struct vouchd_convert_in {
	const char *opendkim; /* opendkim.conf(5) */
	const char *opendmarc; /* opendmarc.conf(5) */
	const char *openarc; /* openarc.conf(5) */
};

/*
 * vouchd_convert - write the equivalent vouchd.conf to out.
 * In:  in, the paths (NUL-terminated, read during the call; "Include"
 *      lines are followed five deep, as OpenDKIM does; data sets the
 *      options name, such as InternalHosts files, are read too).
 * Out: out gets the configuration: each option with a comment naming the
 *      file and line it comes from, and at the end, as comments, the list
 *      of what was not carried over.  notes (may be NULL) gets the same
 *      list, one line each: "FILE:LINE: Name value: not carried over: WHY".
 *      err/errlen: why the conversion failed.
 * Returns 0 when every option was carried over, 1 when some were not
 * (listed; the output is still the closest vouchd.conf), -1 when a file
 * could not be read or holds no option (err set; nothing written).
 */
int vouchd_convert(const struct vouchd_convert_in *in, FILE *out, FILE *notes,
    char *err, size_t errlen);

/*
 * vouchd_convert_main - the command line: argv[1..] are --from-opendkim
 * FILE, --from-opendmarc FILE, --from-openarc FILE (each at most once, in
 * any order, "--opt=FILE" too).  Prints the configuration on standard
 * output and the notes on standard error.  Returns the exit status: 0
 * (all carried over), 1 (some not: listed), 64 (usage: what is wrong said
 * first, then the usage), 66 (a file could not be read).
 */
int vouchd_convert_main(int argc, char **argv);

#endif
