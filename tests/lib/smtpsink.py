"""A small SMTP server for the tests (RFC 5321), on a free loopback port in a
thread: it answers each command with the reply the test chose and keeps
the messages it accepted, in memory and, when given a directory, in a
Maildir (new/ one file per message).

    with smtpsink.Sink(maildir="/tmp/x") as sink:
        sink.reply["RCPT"] = "550 5.1.1 no such user"   # or "451 ..." etc.
        ... deliver to smtp://127.0.0.1:%d % sink.port ...
        sink.messages  -> [(mail_from, [rcpts], data_bytes), ...]

Replies may be set for "MAIL", "RCPT", "DATA" (the reply to the DATA
command) and "END" (the reply after the message); the defaults are 250 /
354.  sink.reply_for_rcpt maps a recipient address to its own RCPT reply.
No TLS, no AUTH: STARTTLS is not offered, as a private relay would not.
"""
import os
import socket
import threading
import time


class Sink:
    def __init__(self, maildir=None):
        self.maildir = maildir
        self.reply = {}
        self.reply_for_rcpt = {}
        self.messages = []
        self.transactions = 0  # MAIL commands seen
        self.lock = threading.Lock()
        self.sock = None
        self.port = None
        self.stopping = False
        self.thread = None
        if maildir:
            for sub in ("new", "cur", "tmp"):
                os.makedirs(os.path.join(maildir, sub), exist_ok=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def start(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()
        return self

    def stop(self):
        self.stopping = True
        if self.thread:
            self.thread.join(5)
        if self.sock:
            self.sock.close()

    def url(self):
        return "smtp://127.0.0.1:%d" % self.port

    def _serve(self):
        while not self.stopping:
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            threading.Thread(target=self._session, args=(conn,), daemon=True).start()

    def _save(self, mail_from, rcpts, data):
        with self.lock:
            self.messages.append((mail_from, list(rcpts), data))
            if self.maildir:
                name = "%d.%d.%d.sink" % (time.time(), os.getpid(), len(self.messages))
                tmp = os.path.join(self.maildir, "tmp", name)
                with open(tmp, "wb") as f:
                    f.write(data)
                os.rename(tmp, os.path.join(self.maildir, "new", name))

    def _session(self, conn):
        conn.settimeout(30)
        f = conn.makefile("rb")

        def send(line):
            conn.sendall(line.encode("ascii") + b"\r\n")

        try:
            send("220 sink.test ESMTP")
            mail_from, rcpts = None, []
            while True:
                line = f.readline(4096)
                if not line:
                    return
                cmd = line.decode("ascii", "replace").rstrip("\r\n")
                verb = cmd.split(" ", 1)[0].upper()
                if verb in ("EHLO", "HELO"):
                    if verb == "EHLO":
                        conn.sendall(b"250-sink.test\r\n250-8BITMIME\r\n250 SIZE 100000000\r\n")
                    else:
                        send("250 sink.test")
                elif verb == "MAIL":
                    with self.lock:
                        self.transactions += 1
                    r = self.reply.get("MAIL", "250 2.1.0 ok")
                    send(r)
                    if r.startswith("2"):
                        mail_from = cmd[10:].strip().split()[0].strip("<>") if ":" in cmd else ""
                        rcpts = []
                elif verb == "RCPT":
                    addr = cmd.split(":", 1)[1].strip().split()[0].strip("<>") if ":" in cmd else ""
                    r = self.reply_for_rcpt.get(addr, self.reply.get("RCPT", "250 2.1.5 ok"))
                    send(r)
                    if r.startswith("2"):
                        rcpts.append(addr)
                elif verb == "DATA":
                    if mail_from is None or not rcpts:
                        send("503 5.5.1 need MAIL and RCPT")
                        continue
                    r = self.reply.get("DATA", "354 go ahead")
                    send(r)
                    if not r.startswith("3"):
                        continue
                    data = bytearray()
                    while True:
                        l = f.readline(1 << 20)
                        if not l:
                            return
                        if l in (b".\r\n", b".\n"):
                            break
                        if l.startswith(b".."):
                            l = l[1:]  # RFC 5321 4.5.2 transparency
                        data += l
                    r = self.reply.get("END", "250 2.0.0 queued")
                    if r.startswith("2"):
                        self._save(mail_from, rcpts, bytes(data))
                    send(r)
                    mail_from, rcpts = None, []
                elif verb == "RSET":
                    mail_from, rcpts = None, []
                    send("250 2.0.0 ok")
                elif verb == "NOOP":
                    send("250 2.0.0 ok")
                elif verb == "QUIT":
                    send("221 2.0.0 bye")
                    return
                else:
                    send("502 5.5.2 not implemented")
        except OSError:
            return
        finally:
            try:
                conn.close()
            except OSError:
                pass
