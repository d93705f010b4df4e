"""A milter-protocol client (the MTA's side, protocol version 6) for the
tests, a runner that starts vouchd in a temporary directory, and the
setup that the milter-protocol scripts of vouchd share (ProtocolLab).

The client behaves as Postfix 3.7 does: it offers every protocol step and
"no reply" flag, obeys what the milter negotiates (events left out, replies
not awaited, SMFIP_HDR_LEADSPC, SMFIS_SKIP in the body), sends header
values with folded lines joined by bare LF and the body with CRLF line
ends, and collects every modification the milter asks for at the end of
the message.  Written from the protocol as libmilter and Postfix implement
it (command letters, flag values); no code copied.
"""
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import time

import scratch

# Protocol flags (SMFIP_*) and actions (SMFIF_*)
P_NOCONNECT, P_NOHELO, P_NOMAIL, P_NORCPT = 0x1, 0x2, 0x4, 0x8
P_NOBODY, P_NOHDRS, P_NOEOH, P_NR_HDR = 0x10, 0x20, 0x40, 0x80
P_NOUNKNOWN, P_NODATA, P_SKIP, P_RCPT_REJ = 0x100, 0x200, 0x400, 0x800
P_NR_CONN, P_NR_HELO, P_NR_MAIL, P_NR_RCPT = 0x1000, 0x2000, 0x4000, 0x8000
P_NR_DATA, P_NR_UNKN, P_NR_EOH, P_NR_BODY = 0x10000, 0x20000, 0x40000, 0x80000
P_HDR_LEADSPC = 0x100000
P_ALL = 0x1FFFFF
A_ALL = 0x1FF

REPLIES = {b"c": "continue", b"a": "accept", b"r": "reject", b"t": "tempfail",
           b"d": "discard", b"y": "replycode", b"s": "skip"}


class MilterError(Exception):
    pass


class Result:
    """What the milter decided about one message."""

    def __init__(self):
        self.action = "accept"   # accept, reject, tempfail, discard
        self.stage = None        # the event whose reply decided
        self.reply = None        # "550 5.7.1 text" for a replycode
        self.inserted = []       # (index, name, value)
        self.added = []          # (name, value)
        self.changed = []        # (index, name, value); value "" deletes
        self.quarantine = None   # the reason, when quarantined
        self.skipped_body = False

    def header(self, name):
        """Values of the fields inserted or added with this name."""
        return [v for (_, n, v) in self.inserted if n.lower() == name.lower()] + \
               [v for (n, v) in self.added if n.lower() == name.lower()]

    def field(self, name, leadspc=True):
        """The first inserted field called `name` as it would be written
        in the message: "Name:value" with CRLF line ends."""
        for v in self.header(name):
            v = v if leadspc else " " + v
            return (name + ":" + v).replace("\r\n", "\n").replace("\n", "\r\n") + "\r\n"
        return None


HEADER_RE = re.compile(rb"^[\x21-\x39\x3b-\x7e]+[ \t]*:")


def split_message(msg):
    """The message as an MTA hands it to a milter: (header fields
    [(name, value)], body).  Values keep their leading blank and join
    folded lines with bare LF; NUL bytes cannot travel in a header value
    and are dropped.  As Postfix does, the first line that is neither a
    field nor a continuation ends the header section and starts the body.
    The body's lines end in CRLF."""
    lines = msg.replace(b"\r\n", b"\n").split(b"\n")
    fields = []
    i = 0
    while i < len(lines):
        line = lines[i].replace(b"\0", b"")
        if line == b"":
            i += 1
            break
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1][1] += b"\n" + line
        elif HEADER_RE.match(line):
            name, value = line.split(b":", 1)
            fields.append([name, value])
        else:
            break
        i += 1
    body = b"\r\n".join(lines[i:])
    if body and not body.endswith(b"\r\n"):
        body += b"\r\n"  # SMTP DATA ends with a line end
    return [(n, v) for n, v in fields], body


def mta_form(msg):
    """The bytes of the message as the milter sees them (split_message
    joined again, CRLF everywhere): what the whole-message verify of a
    differential test is given."""
    fields, body = split_message(msg)
    head = b"".join(n + b":" + v.replace(b"\n", b"\r\n") + b"\r\n" for n, v in fields)
    return head + b"\r\n" + body


class Milter:
    """One milter connection (one SMTP session, possibly several messages)."""

    def __init__(self, address, timeout=30, offer=P_ALL, actions=A_ALL):
        if isinstance(address, str) and address.startswith("unix:"):
            self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.s.connect(address[5:])
        else:
            self.s = socket.create_connection(address)
        self.s.settimeout(timeout)
        self.buf = b""
        self.send(b"O", struct.pack(">III", 6, actions, offer))
        cmd, data = self.recv()
        if cmd != b"O" or len(data) < 12:
            raise MilterError("bad option negotiation reply %r" % cmd)
        self.version, self.actions, self.proto = struct.unpack(">III", data[:12])

    def close(self):
        try:
            self.send(b"Q", b"")
        except OSError:
            pass
        self.s.close()

    # -- framing
    def send(self, cmd, data):
        self.s.sendall(struct.pack(">I", len(data) + 1) + cmd + data)

    def _read(self, n):
        while len(self.buf) < n:
            chunk = self.s.recv(65536)
            if not chunk:
                raise MilterError("milter closed the connection")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def recv(self):
        (n,) = struct.unpack(">I", self._read(4))
        if n < 1 or n > 1 << 20:
            raise MilterError("bad packet length %d" % n)
        p = self._read(n)
        return p[:1], p[1:]

    def macro(self, stage, macros):
        if not macros:
            return
        data = b""
        for k, v in macros.items():
            data += k.encode() + b"\0" + v.encode() + b"\0"
        self.send(b"D", stage + data)

    def event(self, cmd, data, skip_flag, noreply_flag, res, stage):
        """Send one event unless negotiated away; wait for its reply
        unless the milter said it sends none.  Returns the reply name."""
        if self.proto & skip_flag:
            return "continue"
        self.send(cmd, data)
        if noreply_flag and self.proto & noreply_flag:
            return "continue"
        return self.reply(res, stage)

    def reply(self, res, stage):
        while True:
            cmd, data = self.recv()
            if cmd == b"p":  # progress
                continue
            if cmd in (b"h", b"i", b"m", b"q", b"+", b"-", b"e", b"b", b"2", b"l"):
                self.modification(cmd, data, res)
                continue
            if cmd not in REPLIES:
                raise MilterError("unknown reply %r at %s" % (cmd, stage))
            what = REPLIES[cmd]
            if what == "replycode":
                res.reply = data.rstrip(b"\0").decode("utf-8", "replace")
                what = {"4": "tempfail", "5": "reject"}.get(res.reply[:1], "reject")
            return what

    def modification(self, cmd, data, res):
        parts = data.split(b"\0")
        dec = lambda b: b.decode("utf-8", "replace")
        if cmd == b"i":
            (idx,) = struct.unpack(">I", data[:4])
            parts = data[4:].split(b"\0")
            res.inserted.append((idx, dec(parts[0]), dec(parts[1])))
        elif cmd == b"h":
            res.added.append((dec(parts[0]), dec(parts[1])))
        elif cmd == b"m":
            (idx,) = struct.unpack(">I", data[:4])
            parts = data[4:].split(b"\0")
            res.changed.append((idx, dec(parts[0]), dec(parts[1])))
        elif cmd == b"q":
            res.quarantine = dec(parts[0])

    # -- a session
    def connect(self, ip="192.0.2.10", hostname="client.example", macros=None,
                res=None):
        res = res or Result()
        m = {"j": "mx.test.example", "{daemon_name}": "smtpd", "v": "Postfix 3.7"}
        m.update(macros or {})
        self.macro(b"C", m)
        if ip is None:
            data = hostname.encode() + b"\0" + b"U" + b"\0"
        else:
            fam = b"6" if ":" in ip else b"4"
            data = hostname.encode() + b"\0" + fam + struct.pack(">H", 25) + ip.encode() + b"\0"
        return self.event(b"C", data, P_NOCONNECT, P_NR_CONN, res, "connect")

    def helo(self, name="client.example", res=None):
        return self.event(b"H", name.encode() + b"\0", P_NOHELO, P_NR_HELO, res or Result(), "helo")

    def message(self, msg, mail_from="sender@example.com", rcpts=("rcpt@example.net",),
                macros=None, queue_id="4ABCDEF", chunk=65535):
        """Send one message; returns a Result."""
        res = Result()
        mm = dict(macros or {})
        mm.setdefault("{mail_addr}", mail_from)
        self.macro(b"M", mm)
        r = self.event(b"M", b"<" + mail_from.encode() + b">\0", P_NOMAIL, P_NR_MAIL, res, "mail")
        if self._decided(r, res, "mail"):
            return res
        for rc in rcpts:
            self.macro(b"R", {"{rcpt_addr}": rc})
            r = self.event(b"R", b"<" + rc.encode() + b">\0", P_NORCPT, P_NR_RCPT, res, "rcpt")
            if self._decided(r, res, "rcpt"):
                return res
        self.macro(b"T", {"i": queue_id})
        r = self.event(b"T", b"", P_NODATA, P_NR_DATA, res, "data")
        if self._decided(r, res, "data"):
            return res
        fields, body = split_message(msg)
        for name, value in fields:
            if not self.proto & P_HDR_LEADSPC and value[:1] == b" ":
                value = value[1:]
            r = self.event(b"L", name + b"\0" + value + b"\0", P_NOHDRS, P_NR_HDR, res, "header")
            if self._decided(r, res, "header"):
                return res
        self.macro(b"N", {"i": queue_id})
        r = self.event(b"N", b"", P_NOEOH, P_NR_EOH, res, "eoh")
        if self._decided(r, res, "eoh"):
            return res
        if not self.proto & P_NOBODY:
            for off in range(0, len(body), chunk):
                self.send(b"B", body[off:off + chunk])
                if self.proto & P_NR_BODY:
                    continue
                r = self.reply(res, "body")
                if r == "skip":
                    res.skipped_body = True
                    break
                if self._decided(r, res, "body"):
                    return res
        self.macro(b"E", {"i": queue_id})
        self.send(b"E", b"")
        r = self.reply(res, "eom")
        res.action = "accept" if r == "continue" else r
        res.stage = "eom"
        return res

    @staticmethod
    def _decided(r, res, stage):
        if r in ("continue", "skip"):
            return False
        res.action, res.stage = r, stage
        return True


def one_message(address, msg, ip="192.0.2.10", helo="client.example", mail_from="sender@example.com",
                conn_macros=None, mail_macros=None, **kw):
    """A whole session for one message; returns (Result, Milter.proto)."""
    m = Milter(address)
    try:
        res = Result()
        r = m.connect(ip=ip, macros=conn_macros, res=res)
        if r not in ("continue",):
            res.action, res.stage = r, "connect"
            return res, m.proto
        m.helo(helo)
        return m.message(msg, mail_from=mail_from, macros=mail_macros, **kw), m.proto
    finally:
        m.close()


def apply_mods(msg, res):
    """The message as the MTA would pass it on: fields removed/changed by
    index, then inserted at their index (0 = on top)."""
    fields, body = split_message(msg)
    for idx, name, value in res.changed:
        n = 0
        for i, (fn, fv) in enumerate(fields):
            if fn.decode("latin-1").lower() == name.lower():
                n += 1
                if n == idx:
                    fields[i] = (fn, None) if value == "" else (fn, value.encode())
                    break
    out = [(n, v) for n, v in fields if v is not None]
    for idx, name, value in res.inserted:
        out.insert(min(idx, len(out)), (name.encode(), value.encode()))
    for name, value in res.added:
        out.append((name.encode(), value.encode()))
    head = b"".join(n + b":" + v.replace(b"\n", b"\r\n") + b"\r\n" for n, v in out)
    return head + b"\r\n" + body


def vouchd_binary():
    return os.environ.get("VOUCHD", "build/src/milter/vouchd")


def require_vouchd(vtest):
    """Skip the whole script, visibly, when vouchd was not built
    (meson -Dmilter=disabled, or no libmilter-dev)."""
    if not os.access(vouchd_binary(), os.X_OK):
        vtest.skip("vouchd tests", "vouchd not built (%s missing; -Dmilter, libmilter-dev)" % vouchd_binary())
        vtest.done()


class Vouchd:
    """vouchd started on a unix socket in a temporary directory, with the
    configuration lines given; stopped with SIGTERM by stop()."""

    def __init__(self, conf_lines, binary=None, tmp=None, wait=True):
        self.binary = binary or vouchd_binary()
        self.own_dir = tmp is None
        self.final_log = None
        self.dir = tmp or scratch.mkdtemp("vouchd-test-")
        self.sock = os.path.join(self.dir, "vouchd.sock")
        self.conf = os.path.join(self.dir, "vouchd.conf")
        self.log = os.path.join(self.dir, "vouchd.log")
        self.address = "unix:" + self.sock
        self.write_conf(conf_lines)
        self.proc = None
        self.logf = None
        try:
            self.start(wait)
        except MilterError:
            if self.proc is not None and self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            self.cleanup()
            raise

    def write_conf(self, conf_lines):
        text = "Socket unix:%s\nSyslog no\n" % self.sock
        text += "\n".join(conf_lines) + "\n"
        with open(self.conf, "w") as f:
            f.write(text)

    def start(self, wait=True):
        if os.path.exists(self.sock):
            os.unlink(self.sock)
        self.logf = open(self.log, "ab")
        self.proc = subprocess.Popen([self.binary, "-c", self.conf], stdout=self.logf,
                                     stderr=self.logf, stdin=subprocess.DEVNULL)
        if wait:
            self.wait_ready()

    def wait_ready(self, timeout=20):
        t0 = time.time()
        while time.time() - t0 < timeout:
            if os.path.exists(self.sock) and "started:" in self.read_log():
                return True
            if self.proc.poll() is not None:
                raise MilterError("vouchd exited %d: %s" % (self.proc.returncode, self.read_log()[-800:]))
            time.sleep(0.02)
        raise MilterError("vouchd did not start: %s" % self.read_log()[-800:])

    def read_log(self):
        if self.final_log is not None:
            return self.final_log
        try:
            with open(self.log, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def log_lines(self, pattern=None):
        lines = self.read_log().splitlines()
        return [l for l in lines if pattern is None or re.search(pattern, l)]

    def last_log(self, pattern="role="):
        """The last log line that matches (by default the line of the
        last message), or ""."""
        lines = self.log_lines(pattern)
        return lines[-1] if lines else ""

    def hup(self):
        self.proc.send_signal(signal.SIGHUP)

    def stop(self, timeout=30):
        """SIGTERM; returns the exit status (None if it had to be killed)."""
        try:
            if self.proc is None or self.proc.poll() is not None:
                return self.proc.returncode if self.proc else None
            self.proc.send_signal(signal.SIGTERM)
            try:
                return self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                return None
        finally:
            self.cleanup()

    def cleanup(self):
        """Keep the log text, remove the temporary directory made here."""
        if self.final_log is None:
            self.final_log = self.read_log()
        if self.logf is not None and not self.logf.closed:
            self.logf.close()
        if self.own_dir:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.stop()


def message(frm="Alice <alice@example.com>", extra="", body="Hello.\r\n", date=True,
            mid="t1@example.com"):
    """A short test message From frm: To, Subject, then (date=True) Date
    and Message-ID <mid>, the fields of `extra` (CRLF-ended lines) and
    body."""
    h = "From: %s\r\nTo: bob@example.net\r\nSubject: test\r\n" % frm
    if date:
        h += "Date: Mon, 7 Dec 2026 09:00:00 +0000\r\nMessage-ID: <%s>\r\n" % mid
    return (h + extra + "\r\n" + body).encode()


def send(d, msg, ip="192.0.2.10", mail_from="alice@example.com", **kw):
    """One message through the running Vouchd d: its Result."""
    res, proto = one_message(d.address, msg, ip=ip, mail_from=mail_from, **kw)
    return res


class ProtocolLab:
    """What the milter-protocol scripts of vouchd (tests/milter/vouchd_*.py)
    set up alike: a temporary directory (tmp), a zone file for ZoneFile
    (zone: the script's records, then those of the keys it makes), vouchd
    with that zone and the authserv-id ID, and the run of the script's
    checks, each reported as not ok when it raises (instead of ending the
    script), the directory removed at the end.

    Made at the top of a script: it skips the whole script, visibly, when
    vouchd was not built.
    """
    ID = "mx.test.example"

    def __init__(self, vtest, prefix, zone_text):
        require_vouchd(vtest)
        self.vtest = vtest
        self.tmp = scratch.mkdtemp(prefix)
        self.zone = os.path.join(self.tmp, "zone.db")
        with open(self.zone, "w") as f:
            f.write(zone_text)

    def keygen(self, kind, domain, selector):
        """vouch keygen -t kind: the private key's path; the key's DNS
        record (selector._domainkey.domain TXT) goes into the zone."""
        subprocess.run([self.vtest.VOUCH, "keygen", "-t", kind, "-d", domain, "-s", selector,
                        "-o", self.tmp], stdout=subprocess.PIPE, check=True)
        with open(os.path.join(self.tmp, selector + ".txt")) as f:
            record = f.read()
        with open(self.zone, "a") as f:
            f.write(record)
        return os.path.join(self.tmp, selector + ".private")

    def vouchd(self, conf_lines=()):
        """A Vouchd with ZoneFile and AuthservID set, then conf_lines."""
        return Vouchd(["ZoneFile " + self.zone, "AuthservID " + self.ID] + list(conf_lines))

    def run(self, checks, errors=()):
        """Runs each check; one that raises MilterError, OSError,
        AssertionError or one of `errors` is a failed test.  Then removes
        tmp and ends the script (vtest.done)."""
        caught = (MilterError, OSError, AssertionError) + tuple(errors)
        for t in checks:
            try:
                t()
            except caught as e:
                self.vtest.ok(False, "%s ran to its end" % t.__name__, repr(e))
        shutil.rmtree(self.tmp, ignore_errors=True)
        self.vtest.done()
