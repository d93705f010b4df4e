#!/usr/bin/python3
"""vouchd --from-opendkim / --from-opendmarc / --from-openarc (issue 11
section 4), through the daemon binary: the files Debian's opendkim and
opendmarc packages install, a docker-mailserver configuration
(tests/unit/data/vouchd_convert, provenance in its README), and the
command line's contract (exit statuses, where the notes go).

Each converted file is then checked with `vouchd -t`: the converter's
output must be a configuration vouchd starts with.  tests/unit/
test_vouchd_convert.c checks the conversion option by option.
"""
import os
import subprocess
import tempfile

import vtest
from vtest import ok, skip

VOUCHD = os.environ.get("VOUCHD", os.path.join(vtest.BUILD, "src", "milter", "vouchd"))
DATA = os.path.join(vtest.ROOT, "tests", "unit", "data", "vouchd_convert")
DEBIAN_DKIM = "/etc/opendkim.conf"
DEBIAN_DMARC = "/etc/opendmarc.conf"


def run(args, timeout=60):
    p = subprocess.run([VOUCHD] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=timeout)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def templated(tmp, name):
    """A data file with @DATA@ replaced, written under tmp."""
    with open(os.path.join(DATA, name)) as f:
        text = f.read().replace("@DATA@", DATA)
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def option(conf, name):
    """The value of option `name` in a vouchd.conf text, or None."""
    for line in conf.splitlines():
        words = line.split(None, 1)
        if words and words[0] == name:
            return words[1].split("   #")[0].strip() if len(words) > 1 else ""
    return None


def check_t(tmp, label, conf):
    path = os.path.join(tmp, label + ".vouchd.conf")
    with open(path, "w") as f:
        f.write(conf)
    rc, out, err = run(["-t", "-c", path])
    sock = option(conf, "Socket") or ""
    sdir = os.path.dirname(sock.split(":", 1)[-1])
    if sock.startswith(("unix:", "local:")) and not os.path.isdir(sdir):
        # the converted Socket's directory (the old milter's) is not on
        # this machine: -t says so, and nothing else
        lines = [l for l in err.splitlines() if "warning" not in l]
        ok(rc == 1 and len(lines) == 1 and ("directory %s" % sdir) in lines[0],
           "%s: vouchd -t: only the Socket's directory, missing here, is wrong" % label,
           "exit %d, %s" % (rc, err.strip()))
        with open(path, "w") as f:
            f.write(conf.replace("Socket " + sock, "Socket unix:%s/s.sock" % tmp, 1))
        rc, out, err = run(["-t", "-c", path])
    ok(rc == 0 and "configuration OK" in out,
       "%s: vouchd -t accepts the converted file" % label,
       "exit %d, %s %s" % (rc, out.strip(), err.strip()))


def notes_ok(label, err, conf):
    lines = [l for l in err.splitlines() if l]
    good = all(l.startswith("vouchd: ") and "not carried over" in l for l in lines)
    ok(lines and good, "%s: each note on stderr is one line saying why" % label, err[:300])
    ok(all(l[len("vouchd: "):] in conf for l in lines),
       "%s: the notes are also at the end of the file" % label)


def main():
    if not os.access(VOUCHD, os.X_OK):
        ok(False, "vouchd binary present", "missing %s" % VOUCHD)
        vtest.done()
    with tempfile.TemporaryDirectory() as tmp:
        if os.access(DEBIAN_DKIM, os.R_OK):
            rc, out, err = run(["--from-opendkim", DEBIAN_DKIM])
            ok(rc == 1, "Debian opendkim.conf: exit 1 (converted, some options not carried)",
               "exit %d" % rc)
            ok(option(out, "Socket") == "local:/run/opendkim/opendkim.sock",
               "Debian opendkim.conf: Socket carried", repr(option(out, "Socket")))
            ok(option(out, "OversignHeaders") == "From",
               "Debian opendkim.conf: OversignHeaders From carried",
               repr(option(out, "OversignHeaders")))
            notes_ok("Debian opendkim.conf", err, out)
            ok("TrustAnchorFile" in err, "Debian opendkim.conf: TrustAnchorFile listed with why", err)
            check_t(tmp, "debian-opendkim", out)
        else:
            skip("Debian opendkim.conf", "%s not installed (package opendkim)" % DEBIAN_DKIM)
        if os.access(DEBIAN_DMARC, os.R_OK):
            rc, out, err = run(["--from-opendmarc", DEBIAN_DMARC])
            ok(rc == 0 and err == "", "Debian opendmarc.conf alone: every option carried",
               "exit %d %s" % (rc, err))
            ok(option(out, "Mode") == "v", "Debian opendmarc.conf alone: Mode v",
               repr(option(out, "Mode")))
            check_t(tmp, "debian-opendmarc", out)
        else:
            skip("Debian opendmarc.conf", "%s not installed (package opendmarc)" % DEBIAN_DMARC)
        if os.access(DEBIAN_DKIM, os.R_OK) and os.access(DEBIAN_DMARC, os.R_OK):
            rc, out, err = run(["--from-opendkim=" + DEBIAN_DKIM, "--from-opendmarc", DEBIAN_DMARC])
            ok(rc == 1 and option(out, "Mode") == "sv",
               "Debian opendkim.conf + opendmarc.conf (--opt=FILE form): one sv configuration",
               "exit %d Mode %r" % (rc, option(out, "Mode")))
            ok("Socket local:/run/opendmarc/opendmarc.sock: not carried over: vouchd is one milter" in err,
               "Debian pair: OpenDMARC's own socket is listed, vouchd is one milter", err[:400])
            check_t(tmp, "debian-pair", out)

        dms = templated(tmp, "docker-mailserver.conf")
        rc, out, err = run(["--from-opendkim", dms])
        ok(rc == 1, "docker-mailserver: exit 1", "exit %d" % rc)
        ok(option(out, "KeyTable") == "refile:" + os.path.join(DATA, "docker-mailserver", "KeyTable"),
           "docker-mailserver: refile: KeyTable carried", repr(option(out, "KeyTable")))
        ok(option(out, "InternalHosts") == "127.0.0.1, ::1, 192.168.0.0/16",
           "docker-mailserver: TrustedHosts addresses carried, names listed",
           repr(option(out, "InternalHosts")))
        ok("*.example.com" in err, "docker-mailserver: the *.example.com host pattern is listed", err)
        notes_ok("docker-mailserver", err, out)

        rc, out, err = run(["--from-opendkim", "/nonexistent/opendkim.conf"])
        ok(rc == 66 and "/nonexistent/opendkim.conf" in err and out == "",
           "a missing file: exit 66 naming it, nothing on stdout", "exit %d %s" % (rc, err))
        for args, what, says in (
                (["--from-opendkim"], "no file after the option", "--from-opendkim needs a FILE"),
                (["--from-opendkim", dms, "--from-opendkim", dms], "an option twice",
                 "--from-opendkim given twice"),
                (["--from-opendmarc=" + dms, "--from-opendmarc", dms], "an option twice (=)",
                 "--from-opendmarc given twice"),
                (["--from-postfix", dms], "an unknown --from- option",
                 "unknown option '--from-postfix'")):
            rc, out, err = run(args)
            ok(rc == 64 and err.startswith("vouchd: %s\n" % says) and
               "usage: vouchd [--from-opendkim FILE]" in err and out == "",
               "usage error: %s: exit 64, '%s', then the usage" % (what, says),
               "exit %d %s" % (rc, err))
    vtest.done()


if __name__ == "__main__":
    main()
