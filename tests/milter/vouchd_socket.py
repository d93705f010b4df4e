#!/usr/bin/python3
"""vouchd's unix socket and the checks of `vouchd -t` that come before any
table: the setup README.md and vouchd(8) give an MTA (UserID vouchd,
UMask 007, the MTA's user in vouchd's group) works, and -t refuses a
UserID that names no user and a socket whose directory does not exist.

Here UserID is nobody (group nogroup, both on every Debian machine); the
"MTA" is a forked child with an unused uid, nogroup as a supplementary
group only (as `usermod -aG vouchd postfix` makes it), and one without
it.  Switching users needs root: without it the socket checks are
skipped, saying so.
"""
import grp
import os
import pwd
import shutil
import socket
import stat
import subprocess

import scratch
import vouchd
import vtest
from vtest import ok

TMP = scratch.mkdtemp("vouchd-socket-")
# a uid and gid no account uses: the "MTA" of the connection checks
MTA_UID = MTA_GID = 64999


def connect_as(path, groups):
    """Connects to the unix socket at path from a child running as MTA_UID
    with supplementary groups `groups`; returns 0 or the errno."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        code = 255
        try:
            os.close(r)
            os.setgroups(groups)
            os.setgid(MTA_GID)
            os.setuid(MTA_UID)
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                s.connect(path)
                code = 0
            except OSError as e:
                code = e.errno or 254
            s.close()
        finally:
            os.write(w, bytes([code]))
            os._exit(0)
    os.close(w)
    got = os.read(r, 1)
    os.close(r)
    os.waitpid(pid, 0)
    return got[0] if got else 255


def vouchd_as_nobody(sub):
    """A vouchd in TMP/sub with UserID nobody and UMask 007, the folders
    above its socket's open for nobody to pass; (it, the socket's
    directory)."""
    os.chmod(TMP, 0o711)
    d = vouchd.Vouchd(os.path.join(TMP, sub), {"Mode": "v", "UserID": "nobody", "UMask": "007",
                                              "AuthservID": "mx.test.example"})
    os.chmod(d.dir, 0o711)
    return d, os.path.dirname(d.sock_path)


def test_socket_owner():
    if os.geteuid() != 0:
        for name in ("the socket is UserID's, mode by UMask 007",
                     "a member of UserID's group connects",
                     "a user outside UserID's group cannot connect"):
            vtest.skip(name, "needs root to switch users")
        return
    try:
        pw = pwd.getpwnam("nobody")
        gid = pw.pw_gid
    except KeyError:
        vtest.skip("the socket is UserID's", "no user nobody on this machine")
        return
    d, sdir = vouchd_as_nobody("v")
    # the documented directory: install -d -o vouchd -g vouchd -m 0750
    os.chown(sdir, pw.pw_uid, gid)
    os.chmod(sdir, 0o750)
    try:
        d.start()
        st = os.lstat(d.sock_path)
        ok(stat.S_ISSOCK(st.st_mode) and st.st_uid == pw.pw_uid and st.st_gid == gid and
           stat.S_IMODE(st.st_mode) == 0o770,
           "the socket is UserID's, mode by UMask 007 (srwxrwx--- nobody %s)" % grp.getgrgid(gid).gr_name,
           "uid %d gid %d mode %o" % (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)))
        e = connect_as(d.sock_path, [gid])
        ok(e == 0, "a member of UserID's group (usermod -aG) connects", os.strerror(e) if e < 200 else e)
        e = connect_as(d.sock_path, [])
        ok(e == 13, "a user outside UserID's group cannot connect (EACCES)",
           os.strerror(e) if e < 200 else e)
        # the socket, not only the directory, keeps an outsider out
        os.chmod(sdir, 0o755)
        e = connect_as(d.sock_path, [])
        ok(e == 13, "with the directory open to all, the socket's mode still refuses an outsider",
           os.strerror(e) if e < 200 else e)
    except RuntimeError as ex:
        ok(False, "vouchd starts with UserID nobody and UMask 007", str(ex))
    finally:
        d.stop()


def run_t(conf_text):
    conf = os.path.join(TMP, "t.conf")
    with open(conf, "w") as f:
        f.write(conf_text)
    p = subprocess.run([vouchd.VOUCHD, "-t", "-c", conf], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=30)
    return conf, p.returncode, p.stdout.decode(), p.stderr.decode()


def test_check():
    conf, rc, out, err = run_t("Socket unix:%s/s.sock\nMode v\n" % TMP)
    ok(rc == 0 and "configuration OK" in out, "vouchd -t: a socket in an existing directory passes",
       err)
    conf, rc, out, err = run_t("Mode v\nSocket unix:%s/nodir/s.sock\n" % TMP)
    ok(rc == 1 and ("%s:2: Socket unix:%s/nodir/s.sock: directory %s/nodir: No such file or directory"
                    % (conf, TMP, TMP)) in err and "OK" not in out,
       "vouchd -t: a unix socket whose directory is missing is an error naming file, line and "
       "directory (exit 1)", "exit %d: %s" % (rc, err))
    conf, rc, out, err = run_t("Mode v\nSocket local:%s/t.conf/s.sock\n" % TMP)
    ok(rc == 1 and "not a directory" in err.lower(),
       "vouchd -t: a local: socket under a file is an error", "exit %d: %s" % (rc, err))
    conf, rc, out, err = run_t("Socket inet:1@127.0.0.1\nMode v\n")
    ok(rc == 0 and "configuration OK" in out, "vouchd -t: an inet socket has no directory to check",
       err)
    conf, rc, out, err = run_t("Socket unix:%s/s.sock\nMode v\nUserID vouchd-no-such-user\n" % TMP)
    ok(rc == 1 and ("%s:3: UserID vouchd-no-such-user: no such user" % conf) in err and "OK" not in out,
       "vouchd -t: a UserID naming no user is an error naming file and line (exit 1)",
       "exit %d: %s" % (rc, err))
    conf, rc, out, err = run_t("Socket unix:%s/s.sock\nMode v\nUserID nobody:vouchd-no-such-group\n"
                               % TMP)
    ok(rc == 1 and ("%s:3: UserID nobody:vouchd-no-such-group: no such group" % conf) in err,
       "vouchd -t: a UserID naming no group is an error", "exit %d: %s" % (rc, err))
    conf, rc, out, err = run_t("Bogus 1\n")
    ok(rc == 78 and ("%s:1: unknown option 'Bogus'" % conf) in err,
       "vouchd -t: a file that does not parse exits 78 (EX_CONFIG), as vouchd(8) says",
       "exit %d: %s" % (rc, err))


def test_ports():
    """A port is 1 to 65535, digits only: libmilter would listen on
    99999 modulo 65536 (34463), so -t and the start refuse what is not
    one, as for the socket's other errors (exit 1, vouchd(8)), naming
    file and line; so does -t for MetricsListen, and the parser for
    Nameservers' ADDR@PORT and FailureReportSMTP's URL (exit 78, a value
    that does not parse)."""
    for port in ("0", "65536", "99999", "abc", "", "+80", "080000"):
        spec = "inet:%s@127.0.0.1" % port
        conf, rc, out, err = run_t("Socket %s\nMode v\n" % spec)
        ok(rc == 1 and ("%s:1: Socket %s: port '%s': want a number from 1 to 65535"
                        % (conf, spec, port)) in err and "OK" not in out,
           "vouchd -t: Socket %s is refused with file and line (exit 1)" % spec,
           "exit %d: %s%s" % (rc, out, err))
    for spec in ("inet:1@127.0.0.1", "inet:65535@127.0.0.1", "inet6:65535@::1", "inet:8891"):
        conf, rc, out, err = run_t("Socket %s\nMode v\n" % spec)
        ok(rc == 0 and "configuration OK" in out, "vouchd -t: Socket %s is accepted" % spec,
           "exit %d: %s" % (rc, err))
    for spec, why in (("inet:8891@", "want an address after '@'"),
                      ("tcp:8891@127.0.0.1", "want unix:PATH, local:PATH, inet:PORT@ADDR")):
        conf, rc, out, err = run_t("Mode v\nSocket %s\n" % spec)
        ok(rc == 1 and ("%s:2: Socket %s: %s" % (conf, spec, why)) in err,
           "vouchd -t: Socket %s is refused (%s)" % (spec, why), "exit %d: %s" % (rc, err))
    for port in ("0", "65536", "99999", "abc", ""):
        spec = "127.0.0.1:%s" % port
        conf, rc, out, err = run_t("Socket inet:8891@127.0.0.1\nMode v\nMetricsListen %s\n" % spec)
        ok(rc == 1 and ("%s:3: MetricsListen %s: port '%s': want a number from 1 to 65535"
                        % (conf, spec, port)) in err and "OK" not in out,
           "vouchd -t: MetricsListen %s is refused with file and line (exit 1)" % spec,
           "exit %d: %s%s" % (rc, out, err))
    for spec in ("127.0.0.1:1", "[::1]:65535"):
        conf, rc, out, err = run_t("Socket inet:8891@127.0.0.1\nMode v\nMetricsListen %s\n" % spec)
        ok(rc == 0 and "configuration OK" in out, "vouchd -t: MetricsListen %s is accepted" % spec,
           "exit %d: %s" % (rc, err))
    conf, rc, out, err = run_t("Socket inet:8891@127.0.0.1\nMode v\nMetricsListen 192.0.2.1:9100\n")
    ok(rc == 1 and ("%s:3: MetricsListen 192.0.2.1:9100: only loopback addresses" % conf) in err,
       "vouchd -t: MetricsListen off loopback is refused, as at start", "exit %d: %s" % (rc, err))
    for port in ("0", "65536", "x"):
        conf, rc, out, err = run_t("Socket inet:8891@127.0.0.1\nMode v\nNameservers 127.0.0.1@%s\n"
                                   % port)
        ok(rc == 78 and ("%s:3: Nameservers '127.0.0.1@%s': want ADDR or ADDR@PORT" % (conf, port))
           in err, "vouchd -t: Nameservers 127.0.0.1@%s does not parse (exit 78)" % port,
           "exit %d: %s" % (rc, err))
    conf, rc, out, err = run_t("Socket inet:8891@127.0.0.1\nMode v\nNameservers 127.0.0.1@65535\n")
    ok(rc == 0, "vouchd -t: Nameservers 127.0.0.1@65535 is accepted", "exit %d: %s" % (rc, err))
    # FailureReportSMTP's relay: libcurl would refuse the port only when a
    # report is sent.
    for url in ("smtp://127.0.0.1:99999", "smtp://relay.example:0", "smtps://[::1]:65536",
                "smtp://u:p@relay.example:", "smtp://relay.example:x25/"):
        conf, rc, out, err = run_t("Socket inet:8891@127.0.0.1\nMode v\nFailureReportSMTP %s\n" % url)
        ok(rc == 78 and ("FailureReportSMTP '%s': want smtp://HOST[:PORT]" % url) in err,
           "vouchd -t: FailureReportSMTP %s does not parse (exit 78)" % url, "exit %d: %s" % (rc, err))
    for url in ("smtp://127.0.0.1:1", "smtps://[::1]:65535", "smtp://u:p@relay.example:587/",
                "smtp://relay.example", "smtps://[2001:db8::25]"):
        conf, rc, out, err = run_t("Socket inet:8891@127.0.0.1\nMode v\nFailureReportSMTP %s\n" % url)
        ok(rc == 0 and "configuration OK" in out, "vouchd -t: FailureReportSMTP %s is accepted" % url,
           "exit %d: %s" % (rc, err))
    # The start refuses it too, before listening anywhere.
    conf = os.path.join(TMP, "start.conf")
    with open(conf, "w") as f:
        f.write("Socket inet:99999@127.0.0.1\nMode v\nAuthservID mx.test.example\nSyslog no\n")
    p = subprocess.Popen([vouchd.VOUCHD, "-c", conf], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         start_new_session=True)
    try:
        out, err = p.communicate(timeout=30)
        rc = p.returncode
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, 15)
        out, err = p.communicate()
        rc = "still running after 30 s"
    ok(rc == 1 and b"Socket inet:99999@127.0.0.1: port '99999': want a number from 1 to 65535" in err,
       "vouchd with Socket inet:99999@127.0.0.1 does not start (exit 1)", "exit %s: %r" % (rc, err))


def test_key_owner():
    """README's setup: `vouch keygen` run by root makes a root:root 0600
    key.  vouchd reads it at start (as root), but a reload reads keys as
    UserID and is refused, so -t warns (exit 0, as for its other
    warnings), and stops warning once the key is chowned to UserID."""
    name = "vouchd -t: a key file not owned by UserID gets a warning naming the key, its owner " \
           "and UserID (exit 0)"
    if os.geteuid() != 0:
        vtest.skip(name, "needs root to own the key as another user than UserID")
        vtest.skip("vouchd -t: no such warning once the key is UserID's", "needs root")
        vtest.skip("vouchd -t: a key UserID owns in a directory it may not enter gets a warning",
                   "needs root")
        vtest.skip("vouchd -t: no warning once UserID may reach and read the key", "needs root")
        return
    try:
        pw = pwd.getpwnam("nobody")
    except KeyError:
        vtest.skip(name, "no user nobody on this machine")
        return
    vouch = os.environ.get("VOUCH") or os.path.join(os.path.dirname(vouchd.VOUCHD), "..", "cli",
                                                    "vouch")
    kdir = os.path.join(TMP, "keys")
    os.makedirs(kdir, exist_ok=True)
    p = subprocess.run([vouch, "keygen", "-d", "example.com", "-s", "s2026", "-o", kdir],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    key = os.path.join(kdir, "s2026.private")
    if p.returncode != 0 or not os.path.exists(key):
        ok(False, "vouch keygen makes a key", p.stderr.decode())
        return
    os.chown(key, 0, 0)
    os.chmod(key, 0o600)
    text = ("Socket unix:%s/s.sock\nMode s\nDomain example.com\nSelector s2026\nKeyFile %s\n"
            "UserID nobody\n" % (TMP, key))
    conf, rc, out, err = run_t(text)
    warned = [l for l in err.splitlines() if "warning" in l and key in l]
    ok(rc == 0 and "configuration OK" in out and len(warned) == 1 and
       "owned by root" in warned[0] and "UserID nobody" in warned[0] and "reload" in warned[0],
       name, "exit %d: %s" % (rc, err))
    os.chown(key, pw.pw_uid, pw.pw_gid)
    # UserID's key, but in a directory it may not enter (TMP is root's
    # 0700): a reload is refused all the same
    os.chmod(TMP, 0o700)
    conf, rc, out, err = run_t(text)
    ok(rc == 0 and "configuration OK" in out and "owned by" not in err,
       "vouchd -t: no such warning once the key is UserID's (chown nobody:)",
       "exit %d: %s" % (rc, err))
    ok(("warning: key file %s: UserID nobody may not enter the directory %s: a reload" % (key, TMP))
       in err, "vouchd -t: a key UserID owns in a directory it may not enter gets a warning naming "
       "that directory (exit 0)", "exit %d: %s" % (rc, err))
    os.chmod(TMP, 0o711)
    conf, rc, out, err = run_t(text)
    ok(rc == 0 and "configuration OK" in out and "warning: key file" not in err,
       "vouchd -t: no warning once UserID may reach and read the key", "exit %d: %s" % (rc, err))


def test_socket_dir():
    """A socket directory UserID cannot write (root's, 0755): vouchd, as
    UserID, can then not take its socket away when it stops, so -t warns
    (exit 0) and the start logs it; none of it once the directory is
    UserID's, as README.md sets it up."""
    names = ("vouchd -t: a socket directory UserID cannot write gets a warning naming it and "
             "the chown (exit 0)",
             "vouchd logs the same warning at start; the socket is indeed left when it stops",
             "vouchd -t: no such warning once the directory is UserID's",
             "no warning at start, and no socket left, once the directory is UserID's")
    if os.geteuid() != 0:
        for name in names:
            vtest.skip(name, "needs root to own the directory as another user than UserID")
        return
    try:
        pw = pwd.getpwnam("nobody")
    except KeyError:
        for name in names:
            vtest.skip(name, "no user nobody on this machine")
        return
    d, sdir = vouchd_as_nobody("w")
    for owner, quiet in ((0, False), (pw.pw_uid, True)):
        os.chown(sdir, owner, pw.pw_gid if quiet else 0)
        os.chmod(sdir, 0o755)
        d.write_conf()
        p = subprocess.run([vouchd.VOUCHD, "-t", "-c", d.conf_file], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=30)
        err = p.stderr.decode()
        warned = "is not writable by UserID nobody" in err
        if quiet:
            ok(p.returncode == 0 and not warned, names[2], "exit %d: %s" % (p.returncode, err))
        else:
            ok(p.returncode == 0 and warned and ("its directory %s " % sdir) in err and
               ("chown nobody %s" % sdir) in err and "configuration OK" in p.stdout.decode(),
               names[0], "exit %d: %s" % (p.returncode, err))
        seen = len(d.log())
        try:
            d.start()
            d.stop()
            logged = "is not writable by UserID nobody" in d.log()[seen:]
            left = os.path.lexists(d.sock_path)
            if quiet:
                ok(not logged and not left, names[3], "logged %s, left %s" % (logged, left))
            else:
                ok(logged and left, names[1], "logged %s, left %s: %s" % (logged, left, d.log_tail()))
        except RuntimeError as ex:
            ok(False, names[3] if quiet else names[1], str(ex))
        if os.path.lexists(d.sock_path):
            os.unlink(d.sock_path)


def test_help():
    for arg in ("--help", "-h"):
        p = subprocess.run([vouchd.VOUCHD, arg], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=10)
        out = p.stdout.decode()
        ok(p.returncode == 0 and out.startswith("usage: vouchd") and "--from-opendkim" in out and
           p.stderr == b"", "vouchd %s: the usage on stdout, exit 0" % arg,
           "exit %d %r" % (p.returncode, p.stderr))
    p = subprocess.run([vouchd.VOUCHD, "--bogus"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=10)
    ok(p.returncode == 64 and "usage: vouchd" in p.stderr.decode() and p.stdout == b"",
       "vouchd --bogus: the usage on stderr, exit 64", "exit %d" % p.returncode)


def main():
    built, why = vouchd.built()
    if not built:
        ok(False, "vouchd is built", why)
        vtest.done()
    for t in (test_check, test_ports, test_key_owner, test_help, test_socket_owner, test_socket_dir):
        try:
            t()
        except (OSError, AssertionError) as e:
            ok(False, "%s ran to its end" % t.__name__, repr(e))
    shutil.rmtree(TMP, ignore_errors=True)
    vtest.done()


main()
