#!/usr/bin/python3
"""Every man page under doc/ renders without a warning from groff at the
width man(1) uses on an 80-column terminal (line length 78n), with every
warning enabled (-ww): a warning such as "can't break line" means a line
of the page runs past the reader's terminal.
"""
import glob
import os
import subprocess

from vtest import ok, done, ROOT

pages = sorted(glob.glob(os.path.join(ROOT, "doc", "man*", "*.[1-9]")))
ok(len(pages) >= 10, "man pages found under doc/", str(len(pages)))
for page in pages:
    p = subprocess.run(["groff", "-mandoc", "-Tutf8", "-ww", "-z", "-rLL=78n", page],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    name = os.path.relpath(page, ROOT)
    ok(p.returncode == 0 and p.stderr == "", "%s renders at 78 columns without warnings" % name,
       "exit %d: %s" % (p.returncode, p.stderr[-600:]))
done()
