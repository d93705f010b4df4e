"""Helpers for the suites that run the DMARC scenarios of
dmarc_scenarios.yaml (through `vouch dmarc` and through `vouch verify`).
Not a test (leading '_')."""
import os

from vtest import ROOT

DATA = os.path.join(ROOT, "tests", "suites", "dmarc_scenarios.yaml")


def message(sc):
    """The message bytes of a scenario: the From field(s) as given, then a body."""
    if "from_raw" in sc:
        raw = sc["from_raw"]
        fields = raw if isinstance(raw, list) else [raw]
        fields = [f.encode("utf-8").decode("unicode_escape").encode("latin-1")
                  if "\\x" in f else f.encode("utf-8") for f in fields]
    else:
        fields = [("From: Sender <%s>" % sc["from"]).encode("utf-8")]
    head = b"".join(f + b"\r\n" for f in fields)
    return head + b"Subject: scenario\r\nMessage-ID: <s@example.net>\r\n\r\nbody\r\n"
