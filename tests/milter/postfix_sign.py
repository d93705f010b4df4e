#!/usr/bin/python3
"""vouchd's signing role inside a real Postfix (issue 11), and its sender
authorization.

One private Postfix with vouchd in smtpd_milters, SASL logins from a
sasldb (saslpasswd2), mail injected with swaks, delivered to smtp-sink:

  roles     mail from an authenticated client comes out signed (d=
            sender.example, s=s1) and the signature verifies with vouch,
            opendkim and dkimpy; so does mail from InternalHosts
            (127.0.0.1) and mail through the submission service
            (daemon_name=ORIGINATING) from an outside address; mail from an
            outside client on the MX service is not signed; authenticated
            mail is not DMARC-evaluated (a From at a p=reject domain that
            vouchd cannot sign for is delivered, not held)
  send-as   with a SenderAuthTable, a From (every address), Sender or MAIL
            FROM that the login may not use is refused 550 5.7.1 with a text
            naming the address and the login, and nothing of it is signed or
            delivered; allowed addresses are signed
  two keys  KeyTable/SigningTable (refile:, MultipleSignatures) with an RSA
            and an Ed25519 key: both signatures, both verify

Root only (Postfix); otherwise the test reports itself skipped.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _postfix_common import preflight, lacks, base_options, start_vouchd
import dkimcheck
import mailworld
import mimebody
import postfix
from mailworld import OTHER_CLIENT, BAD_CLIENT
from vtest import ok, done, vouch_json

preflight("vouchd signing inside Postfix")

USERS = {"alice": "wonderland", "bob": "builder", "carol": "singer", "mallory": "intruder"}
# alice: her own address and an alias; bob: the whole domain; carol:
# anyone; mallory: logs in but is not in the table.
SENDER_AUTH = """\
alice alice@sender.example alias@sender.example
bob @sender.example
carol *
"""


def signatures(m):
    return m.headers("DKIM-Signature") if m else []


def sig_tag(sig, tag):
    for part in sig.replace(" ", "").split(";"):
        if part.startswith(tag + "="):
            return part[len(tag) + 1:]
    return None


def verify_all(lab, m, port, what):
    path = lab.path("check.eml")
    with open(path, "wb") as f:
        f.write(m.content)
    for name, verdict, detail in dkimcheck.all_verdicts(path, port):
        ok(verdict == "pass", "%s: %s verifies vouchd's signature" % (what, name), detail)


def deliver(sink, mid, what, pf):
    """The message with Message-ID mid at the sink, or None after a
    failing check.  Found by its Message-ID: the sink's file names do not
    follow arrival order, and a late message of an earlier case must not
    stand in for this one."""
    m = sink.find(mid, 20)
    ok(m is not None, "%s: delivered to the sink" % what,
       "no message <%s>; maillog: %s" % (mid, pf.log_tail(800)))
    return m


def roles(lab, w, ns, sink):
    if lacks("roles", ["Mode", "Domain", "Selector", "KeyFile", "MacroList", "InternalHosts",
                       "AuthservID", "Nameservers"]):
        return
    v = start_vouchd(lab, "vouchd-roles", base_options(w, ns.port))
    if not v:
        return
    pf = lab.postfix(name="pf-roles", relay=sink, milters=[v.spec], sasl_users=USERS).start()

    def send(port, what, frm, mail_from, body=None, **kw):
        mid = "%s.%d@%s" % (what.replace(" ", "-"), time.time_ns(), frm.split("@")[1])
        r = postfix.swaks(port, mail_from, "bob@rcpt.example",
                          data=w.message(frm=frm, mid=mid, subject=what, body=body), **kw)
        ok(r.accepted, "%s: accepted" % what, repr(r))
        send.queue_id = r.queue_id
        return sink.find(mid, 20)

    m = send(pf.submission_port, "authenticated", "alice@sender.example", "alice@sender.example",
             auth=("alice", USERS["alice"]))
    sig = signatures(m)
    ok(len(sig) == 1 and sig_tag(sig[0], "d") == "sender.example" and sig_tag(sig[0], "s") == "s1",
       "authenticated: one DKIM-Signature d=sender.example s=s1", "%r; log %s" % (sig, v.log_tail()))
    if sig:
        verify_all(lab, m, ns.port, "authenticated")
    ok(m is not None and not [a for a in mailworld.our_authres(m) if a.result("dmarc")],
       "authenticated: not DMARC-evaluated (no dmarc= from us)",
       m and repr(m.headers("Authentication-Results")))

    # short text lines, then a base64 attachment: the body shape on which
    # the signer got bh= wrong until 2026-12-07 (tests/interop/dkim_interop.py
    # mime-attach-*), here through the milter's body chunks
    m = send(pf.submission_port, "authenticated attachment", "alice@sender.example",
             "alice@sender.example", body=mimebody.text_and_attachment(100, 2000, 5501),
             auth=("alice", USERS["alice"]))
    sig = signatures(m)
    ok(len(sig) == 1, "authenticated attachment: signed", repr(sig))
    if sig:
        verify_all(lab, m, ns.port, "authenticated attachment")

    m = send(pf.smtp_port, "internal host", "alice@sender.example", "alice@sender.example")
    sig = signatures(m)
    ok(len(sig) == 1 and sig_tag(sig[0], "d") == "sender.example",
       "internal host (127.0.0.1): signed", repr(sig))
    if sig:
        verify_all(lab, m, ns.port, "internal host")

    m = send(pf.submission_port, "submission service", "alice@sender.example",
             "alice@sender.example", xclient_addr=OTHER_CLIENT)
    sig = signatures(m)
    ok(len(sig) == 1 and sig_tag(sig[0], "d") == "sender.example",
       "daemon_name=ORIGINATING from an outside address: signed", repr(sig))

    # OTHER_CLIENT is in sender.example's SPF: DMARC passes, the message
    # is delivered, and vouchd holds the key but must not sign it.
    m = send(pf.smtp_port, "outside client", "alice@sender.example", "alice@sender.example",
             xclient_addr=OTHER_CLIENT)
    ok(m is not None and not signatures(m), "an outside client on the MX service: not signed",
       m and repr(signatures(m)))
    ok(m is not None and any(a.result("dkim") for a in mailworld.our_authres(m)),
       "an outside client on the MX service: verified instead (dkim= from us)",
       m and repr(m.headers("Authentication-Results")))

    # Authenticated mail is not DMARC-evaluated: carol may send as anyone,
    # and a From at strict.example (p=reject, no key vouchd holds) would
    # fail DMARC; it must be delivered, not held.
    m = send(pf.submission_port, "authenticated p=reject From", "ceo@strict.example",
             "ceo@strict.example", auth=("carol", USERS["carol"]))
    ok(m is not None and not [h for h in pf.hold() if h["queue_id"] == send.queue_id],
       "authenticated mail at a p=reject domain: delivered, not held", repr(pf.hold()))
    ok(m is not None and not signatures(m), "a From domain vouchd has no key for: not signed",
       m and repr(signatures(m)))


def send_as(lab, w, ns, sink):
    if lacks("send-as", ["SenderAuthTable"]):
        return
    table = lab.path("sender-auth")
    with open(table, "w") as f:
        f.write(SENDER_AUTH)
    v = start_vouchd(lab, "vouchd-sendas", base_options(w, ns.port, SenderAuthTable=table))
    if not v:
        return
    pf = lab.postfix(name="pf-sendas", relay=sink, milters=[v.spec], sasl_users=USERS).start()

    def submit(login, frm, mail_from, extra=()):
        submit.mid = "send-as.%s.%d@test.example" % (login, time.time_ns())
        msg = w.message(frm=frm, extra=extra, subject="send-as %s %s" % (login, frm),
                        mid=submit.mid)
        return postfix.swaks(pf.submission_port, mail_from, "bob@rcpt.example", data=msg,
                             auth=(login, USERS[login]))

    allowed = [
        ("alice", "alice@sender.example", "alice@sender.example", (), "her own address"),
        ("alice", "Alias <alias@sender.example>", "alice@sender.example", (), "her alias"),
        ("bob", "ceo@sender.example", "bob@sender.example", (), "@sender.example"),
        ("carol", "someone@strict.example", "x@strict.example", (), "*"),
    ]
    for login, frm, mail_from, extra, why in allowed:
        r = submit(login, frm, mail_from, extra)
        ok(r.accepted, "send-as: %s as %s (%s) is accepted" % (login, frm, why), repr(r))
        m = deliver(sink, submit.mid, "send-as: %s as %s" % (login, frm), pf)
        if "@sender.example" in frm:
            ok(m is not None and len(signatures(m)) == 1,
               "send-as: %s as %s is signed" % (login, frm), m and repr(signatures(m)))

    refused = [
        ("alice", "ceo@sender.example", "alice@sender.example", (), "ceo@sender.example",
         "a From she may not use"),
        ("alice", "alice@sender.example", "ceo@sender.example", (), "ceo@sender.example",
         "a MAIL FROM she may not use"),
        ("alice", "alice@sender.example", "alice@sender.example",
         ("Sender: ceo@sender.example",), "ceo@sender.example", "a Sender she may not use"),
        ("alice", "alice@sender.example, ceo@sender.example", "alice@sender.example", (),
         "ceo@sender.example", "a second From address she may not use"),
        ("bob", "bob@strict.example", "bob@sender.example", (), "bob@strict.example",
         "another domain"),
        ("mallory", "mallory@sender.example", "mallory@sender.example", (),
         "mallory@sender.example", "a login not in the table"),
    ]
    before = sink.count()
    for login, frm, mail_from, extra, bad, why in refused:
        r = submit(login, frm, mail_from, extra)
        ok(r.code == 550 and r.text.startswith("5.7.1"),
           "send-as: %s, %s: refused 550 5.7.1" % (login, why), repr(r))
        ok(bad in r.text and login in r.text,
           "send-as: %s, %s: the reply names %s and the login" % (login, why, bad), r.text)
    time.sleep(1)
    ok(sink.count() == before and not pf.queue(),
       "send-as: nothing refused was delivered or queued",
       "%d new at the sink, queue %r" % (sink.count() - before, pf.queue()))


def two_keys(lab, w, ns, sink):
    if lacks("two keys", ["KeyTable", "SigningTable", "MultipleSignatures"]):
        return
    kt, st = lab.path("key.table"), lab.path("signing.table")
    with open(kt, "w") as f:
        f.write("rsa sender.example:s1:%s\ned sender.example:e1:%s\n" % (w.key_s1, w.key_e1))
    with open(st, "w") as f:
        # vouchd-tables(5): with MultipleSignatures every matching line
        # signs, in one pass (as OpenDKIM does).
        f.write("*@sender.example rsa\n*@sender.example ed\n")
    opts = base_options(w, ns.port, KeyTable=kt, SigningTable="refile:" + st,
                        MultipleSignatures="yes")
    for k in ("Domain", "Selector", "KeyFile"):
        del opts[k]
    v = start_vouchd(lab, "vouchd-2keys", opts)
    if not v:
        return
    pf = lab.postfix(name="pf-2keys", relay=sink, milters=[v.spec],
                     sasl_users={"alice": USERS["alice"]}).start()
    mid = "two-keys.%d@sender.example" % time.time_ns()
    r = postfix.swaks(pf.submission_port, "alice@sender.example", "bob@rcpt.example",
                      data=w.message(subject="two keys", mid=mid), auth=("alice", USERS["alice"]))
    ok(r.accepted, "two keys: accepted", repr(r))
    m = deliver(sink, mid, "two keys", pf)
    sigs = signatures(m)
    algs = sorted(sig_tag(s, "a") or "" for s in sigs)
    ok(algs == ["ed25519-sha256", "rsa-sha256"], "two keys: an RSA and an Ed25519 signature",
       "%r; log %s" % (sigs, v.log_tail()))
    if m is not None and len(sigs) == 2:
        path = lab.path("two.eml")
        with open(path, "wb") as f:
            f.write(m.content)
        rc, doc, err = vouch_json(
            ["dkim", "verify", "--json", "--dns-server", "127.0.0.1@%d" % ns.port, path])
        res = [s.get("result") for s in (doc or {}).get("signatures", [])]
        ok(res == ["pass", "pass"], "two keys: vouch verifies both", "%r %s" % (res, err))
        for name, fn in (("opendkim", dkimcheck.opendkim_dkim), ("dkimpy", dkimcheck.dkimpy_dkim)):
            verdict, detail = fn(path, ns.port)
            ok(verdict == "pass", "two keys: %s verifies the first signature" % name, detail)


t0 = time.time()
with postfix.Lab("vouch-sign-") as lab:
    w = mailworld.World(lab.dir)
    with w.zone.serve() as ns:
        ok(ns.ready, "nsd serves the test zone", ns.log_tail())
        sink = lab.sink()
        roles(lab, w, ns, sink)
        send_as(lab, w, ns, sink)
        two_keys(lab, w, ns, sink)
print("# %.1f s" % (time.time() - t0))
done()
