#!/usr/bin/python3
"""make install as a user of the library sees it.

Installs the build into a temporary DESTDIR, then checks that the files
are where README.md and the man pages say, that every public header
compiles on its own, and that a program built with `pkg-config libvouch`
links against the installed library and verifies a bundled example.
"""
import glob
import os
import subprocess
import sys
import tempfile

import vtest
from vtest import ok, skip, done

if vtest.SANITIZED:
    # A sanitized libvouch needs the sanitizer runtime in every program
    # linking it; installing one is not what a user does.
    skip("install into DESTDIR and link a program", "binaries under test are sanitized")
    done()

PROGRAM = r'''
#include <stdio.h>
#include <string.h>
#include <vouch/vouch.h>
#include <vouch/dkim.h>

int
main(int argc, char **argv)
{
	struct vouch_dns *dns;
	struct vouch_dkim_options o;
	struct vouch_dkim_result *res;
	char err[256];
	FILE *fp;
	static unsigned char msg[1 << 20];
	size_t n;

	if (vouch_dns_zone_new(argv[1], &dns, err, sizeof(err)) != VOUCH_OK)
		return 2;
	fp = fopen(argv[2], "rb");
	n = fread(msg, 1, sizeof(msg), fp);
	fclose(fp);
	vouch_dkim_options_init(&o);
	if (vouch_dkim_verify_mem(dns, &o, msg, n, &res) != VOUCH_OK)
		return 3;
	printf("%s\n", vouch_dkim_verdict_str(res->sig[0].result));
	vouch_dkim_result_free(res);
	vouch_dns_free(dns);
	return 0;
}
'''

with tempfile.TemporaryDirectory() as tmp:
    dest = os.path.join(tmp, "dest")
    p = subprocess.run(["meson", "install", "-C", vtest.BUILD, "--no-rebuild", "--destdir", dest],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    ok(p.returncode == 0, "meson install into DESTDIR", p.stdout[-500:])
    prefix = subprocess.run(["meson", "introspect", "--buildoptions", vtest.BUILD],
                            stdout=subprocess.PIPE, text=True).stdout
    import json
    opts = {o["name"]: o["value"] for o in json.loads(prefix)}
    root = dest + opts["prefix"]
    ok(os.access(os.path.join(root, "bin", "vouch"), os.X_OK), "vouch installed in PREFIX/bin")
    libs = glob.glob(os.path.join(root, opts["libdir"], "libvouch.so.0*")) or \
        glob.glob(os.path.join(dest + opts["libdir"], "libvouch.so.0*"))
    ok(len(libs) >= 1, "libvouch.so.0 installed", str(libs))
    pcs = glob.glob(os.path.join(dest, "**", "libvouch.pc"), recursive=True)
    ok(len(pcs) == 1, "libvouch.pc installed", str(pcs))
    ok(os.path.exists(os.path.join(root, "share", "man", "man1", "vouch.1")), "vouch(1) installed")
    man3 = glob.glob(os.path.join(root, "share", "man", "man3", "*.3"))
    ok(len(man3) >= 5, "library man pages installed", str(man3))
    incdir = os.path.join(root, "include")
    headers = sorted(glob.glob(os.path.join(incdir, "vouch", "*.h")))
    ok(len(headers) >= 10, "public headers installed", str(headers))
    for h in headers:
        src = '#include <vouch/%s>\nint main(void) { return 0; }\n' % os.path.basename(h)
        c = subprocess.run(["cc", "-std=c11", "-Wall", "-Werror", "-pedantic", "-I", incdir,
                            "-x", "c", "-", "-o", os.path.join(tmp, "h.out")],
                           input=src, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        ok(c.returncode == 0, "header %s compiles on its own (C11, -pedantic)" % os.path.basename(h),
           c.stdout[-400:])
    env = dict(os.environ, PKG_CONFIG_PATH=os.path.dirname(pcs[0]) if pcs else "",
               PKG_CONFIG_SYSROOT_DIR=dest)
    flags = subprocess.run(["pkg-config", "--cflags", "--libs", "libvouch"], env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    ok(flags.returncode == 0 and "-lvouch" in flags.stdout, "pkg-config libvouch", flags.stdout)
    srcf = os.path.join(tmp, "prog.c")
    with open(srcf, "w") as f:
        f.write(PROGRAM)
    exe = os.path.join(tmp, "prog")
    c = subprocess.run(["cc", "-std=c11", srcf, "-o", exe] + flags.stdout.split(),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    ok(c.returncode == 0, "a program links with pkg-config's flags", c.stdout[-600:])
    libdir = os.path.dirname(libs[0]) if libs else ""
    r = subprocess.run([exe, os.path.join(vtest.ROOT, "examples", "zone.db"),
                        os.path.join(vtest.ROOT, "examples", "gmail.eml")],
                       env=dict(os.environ, LD_LIBRARY_PATH=libdir),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    ok(r.returncode == 0 and r.stdout.strip() == "pass",
       "the installed library verifies examples/gmail.eml", "exit %d, %r" % (r.returncode, r.stdout))
done()
