"""Message bodies of a shape real mail has and vouch once got wrong.

text_and_attachment(seed, text_len, attach_len): a text part of short
lines of words and then a base64 attachment (76 columns), CRLF line ends,
as bytes; the same bytes for the same arguments.  From 066f8ff to dcbadc0
vouch's signer hashed a long canonical run ahead of short runs it still
held, so that about one such body in four got a wrong bh= (used by
tests/interop/dkim_interop.py and tests/milter/postfix_sign.py).
"""
import base64
import random


def text_and_attachment(seed, text_len, attach_len):
    r = random.Random(seed)
    text = []
    while sum(len(t) + 2 for t in text) < text_len:
        text.append(b" ".join(r.choice([b"lorem", b"ipsum", b"mail", b"dkim"])
                              for _ in range(r.randrange(1, 14))))
    b64 = base64.b64encode(bytes(r.randrange(256) for _ in range(attach_len)))
    return (b"--b2\r\nContent-Type: text/plain\r\n\r\n" + b"\r\n".join(text)
            + b"\r\n--b2\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            + b"".join(b64[i:i + 76] + b"\r\n" for i in range(0, len(b64), 76)) + b"--b2--\r\n")
