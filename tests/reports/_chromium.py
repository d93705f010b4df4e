"""Headless Chromium (Debian's `chromium`) driven through the DevTools
protocol over a pipe, for the tests of `vouch report html`.

--remote-debugging-pipe makes Chromium read protocol commands from its
file descriptor 3 and write answers and events to descriptor 4, each
message JSON ended by a NUL byte: no port, no websocket, nothing to
install beyond Python's standard library.  The browser runs with a new
profile in a temporary directory and is stopped by close() (and by the
context manager on any failure).

What a test gets from load(): every console message and uncaught
exception, every log entry (CSP violations and failed loads land there),
and every URL the page asked for; then evaluate() runs an expression in
the page and screenshot() writes a PNG of the whole page.
"""
import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import time

import scratch

CANDIDATES = ("/usr/bin/chromium", "/usr/lib/chromium/chromium")


def find():
    """The chromium executable, or None."""
    for c in CANDIDATES:
        if os.access(c, os.X_OK):
            return c
    return shutil.which("chromium")


class ChromiumError(Exception):
    pass


def _above_four(fd):
    """fd moved to 10 or above, so that the child's dup2 to 3 and 4
    overwrites neither end."""
    high = fcntl.fcntl(fd, fcntl.F_DUPFD, 10)
    os.close(fd)
    return high


class Chromium:
    def __init__(self, exe=None, timeout=30):
        self.exe = exe or find()
        if self.exe is None:
            raise ChromiumError("no chromium executable")
        self.timeout = timeout
        self.profile = scratch.mkdtemp("vouch-chromium-")
        self.log = open(os.path.join(self.profile, "stderr.log"), "w+b")
        cmd_r, self._cmd_w = os.pipe()
        self._ev_r, ev_w = os.pipe()
        cmd_r, ev_w = _above_four(cmd_r), _above_four(ev_w)

        def child_fds():
            # the protocol's descriptors: 3 commands in, 4 messages out
            os.dup2(cmd_r, 3)
            os.dup2(ev_w, 4)

        argv = [self.exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--no-default-browser-check",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-extensions", "--disable-default-apps",
                "--hide-scrollbars", "--mute-audio", "--remote-debugging-pipe",
                "--user-data-dir=" + self.profile, "about:blank"]
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=self.log, pass_fds=(3, 4),
                                     preexec_fn=child_fds, start_new_session=True)
        os.close(cmd_r)
        os.close(ev_w)
        self._buf = b""
        self._id = 0
        self.session = None
        self.events = []

    # ---- the protocol -----------------------------------------------------

    def _read_message(self, deadline):
        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise ChromiumError("no answer from chromium in %ds" % self.timeout)
            r, _, _ = select.select([self._ev_r], [], [], left)
            if not r:
                continue
            chunk = os.read(self._ev_r, 1 << 20)
            if not chunk:
                raise ChromiumError("chromium closed the pipe: %s" % self.stderr_tail())
            self._buf += chunk
        msg, self._buf = self._buf.split(b"\0", 1)
        return json.loads(msg.decode("utf-8"))

    def send(self, method, params=None, session=True):
        """One command; returns its result, keeps the events that come
        before it."""
        self._id += 1
        msg = {"id": self._id, "method": method, "params": params or {}}
        if session and self.session:
            msg["sessionId"] = self.session
        data = json.dumps(msg).encode() + b"\0"
        while data:
            n = os.write(self._cmd_w, data)
            data = data[n:]
        deadline = time.monotonic() + self.timeout
        while True:
            m = self._read_message(deadline)
            if m.get("id") == self._id:
                if "error" in m:
                    raise ChromiumError("%s: %s" % (method, m["error"]))
                return m.get("result", {})
            if "method" in m:
                self.events.append(m)

    def wait_event(self, method, seconds=None):
        deadline = time.monotonic() + (seconds or self.timeout)
        for i, m in enumerate(self.events):
            if m["method"] == method:
                return m
        while True:
            m = self._read_message(deadline)
            if "method" in m:
                self.events.append(m)
                if m["method"] == method:
                    return m

    def drain(self, seconds):
        """Take the events that come within seconds."""
        deadline = time.monotonic() + seconds
        try:
            while True:
                m = self._read_message(deadline)
                if "method" in m:
                    self.events.append(m)
        except ChromiumError:
            pass

    # ---- a page -----------------------------------------------------------

    def open(self, width=1280, height=900, mobile=False, scale=1):
        """A new tab with the events this test watches; returns self."""
        t = self.send("Target.createTarget", {"url": "about:blank"}, session=False)
        a = self.send("Target.attachToTarget", {"targetId": t["targetId"], "flatten": True},
                      session=False)
        self.session = a["sessionId"]
        for dom in ("Page", "Runtime", "Log", "Network"):
            self.send(dom + ".enable")
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": scale,
                   "mobile": mobile})
        self.events = []
        return self

    def load(self, url):
        """Navigate and wait for the load event and a moment after it."""
        r = self.send("Page.navigate", {"url": url})
        if r.get("errorText"):
            raise ChromiumError("navigate %s: %s" % (url, r["errorText"]))
        self.wait_event("Page.loadEventFired")
        self.drain(0.5)

    def requests(self):
        return [e["params"]["request"]["url"] for e in self.events
                if e["method"] == "Network.requestWillBeSent"]

    def errors(self):
        """Console errors and warnings, exceptions, and log entries of
        level error or warning, as text."""
        out = []
        for e in self.events:
            p = e["params"]
            if e["method"] == "Runtime.consoleAPICalled" and p["type"] in ("error", "warning",
                                                                            "assert"):
                out.append("console.%s: %s" % (p["type"], " ".join(
                    str(a.get("value", a.get("description", ""))) for a in p.get("args", []))))
            elif e["method"] == "Runtime.exceptionThrown":
                d = p["exceptionDetails"]
                out.append("exception: %s" % d.get("exception", {}).get("description", d.get("text")))
            elif e["method"] == "Log.entryAdded" and p["entry"]["level"] in ("error", "warning"):
                out.append("log %s (%s): %s" % (p["entry"]["level"], p["entry"]["source"],
                                                p["entry"]["text"]))
        return out

    def evaluate(self, expr):
        r = self.send("Runtime.evaluate", {"expression": expr, "returnByValue": True})
        if "exceptionDetails" in r:
            raise ChromiumError("evaluate: %s" % r["exceptionDetails"])
        return r["result"].get("value")

    def screenshot(self, path, width=None, mobile=False):
        """The whole page as a PNG at path."""
        m = self.send("Page.getLayoutMetrics")
        size = m.get("cssContentSize") or m["contentSize"]
        w = width or int(size["width"])
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": w, "height": int(size["height"]) + 1, "deviceScaleFactor": 1,
                   "mobile": mobile})
        shot = self.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})
        with open(path, "wb") as fp:
            fp.write(base64.b64decode(shot["data"]))
        return path

    # ---- the end ----------------------------------------------------------

    def stderr_tail(self):
        try:
            self.log.seek(0)
            return self.log.read().decode("utf-8", "replace")[-2000:]
        except (OSError, ValueError):
            return ""

    def close(self):
        if self.proc is None:
            return
        try:
            self.session = None
            self.send("Browser.close", session=False)
        except (ChromiumError, OSError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            # our own process group only (start_new_session above)
            os.killpg(self.proc.pid, 9)
            self.proc.wait()
        self.proc = None
        for fd in (self._cmd_w, self._ev_r):
            try:
                os.close(fd)
            except OSError:
                pass
        self.log.close()
        shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False
