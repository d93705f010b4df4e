#!/usr/bin/python3
"""A counting DNS forwarder for the cold runs of the SPF benchmark.

    countdns.py LISTEN_PORT SERVER_PORT LOG

listens on 127.0.0.1:LISTEN_PORT (UDP), writes one line "QNAME QTYPE" to
LOG for every question it receives (flushed before the question goes on),
and forwards it unchanged to 127.0.0.1:SERVER_PORT, the answer back.  A
driver reads LOG's line count before and after an evaluation: the
difference is what it sent on the wire.  Stops on SIGTERM.
"""
import selectors
import signal
import socket
import struct
import sys


def question(msg):
    """(qname, qtype) of a query, or None when it does not parse."""
    labels, p = [], 12
    try:
        while msg[p] != 0:
            n = msg[p]
            labels.append(msg[p + 1:p + 1 + n].decode("ascii", "replace"))
            p += 1 + n
        qtype = struct.unpack("!H", msg[p + 1:p + 3])[0]
    except (IndexError, struct.error):
        return None
    return ".".join(labels) + ".", qtype


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: countdns.py LISTEN_PORT SERVER_PORT LOG")
    listen = ("127.0.0.1", int(sys.argv[1]))
    upstream = ("127.0.0.1", int(sys.argv[2]))
    log = open(sys.argv[3], "a", buffering=1)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    front = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    front.bind(listen)
    back = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    back.connect(upstream)
    pending = {}  # (id, question) -> client address
    sel = selectors.DefaultSelector()
    sel.register(front, selectors.EVENT_READ, "front")
    sel.register(back, selectors.EVENT_READ, "back")
    while True:
        for key, _ in sel.select():
            if key.data == "front":
                msg, client = front.recvfrom(65535)
                q = question(msg)
                if q is None or len(msg) < 12:
                    continue
                log.write("%s %d\n" % q)
                log.flush()
                pending[(msg[:2], q)] = client
                back.send(msg)
            else:
                try:
                    msg = back.recv(65535)
                except ConnectionRefusedError:
                    continue
                q = question(msg)
                client = pending.pop((msg[:2], q), None)
                if client is not None:
                    front.sendto(msg, client)


if __name__ == "__main__":
    main()
