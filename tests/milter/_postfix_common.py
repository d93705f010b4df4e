"""What the vouchd tests of this directory share: the root check, the
vouchd binary check, a vouchd configuration for the standard mail world,
and a way to count a group of checks as not run because vouchd lacks what
they need (a failure that names the missing options, never a silent
skip)."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import mailworld
import postfix
import vouchd
from vtest import ok, skip, done


def preflight(name):
    """Ends the script with a visible skip when Postfix cannot run here
    (not root), and with a failure when vouchd is not built."""
    run, why = postfix.can_run()
    if not run:
        skip(name, why)
        done()
    built, why = vouchd.built()
    if not built:
        ok(False, "vouchd is built", why)
        done()


def lacks(group, options):
    """True (after one failing check that names them) when vouchd -O does
    not list every option in `options`: the group's checks cannot run."""
    missing = vouchd.missing_options(options)
    if missing:
        ok(False, "%s: vouchd has the options it needs" % group,
           "vouchd -O does not list %s" % ", ".join(missing))
        return True
    return False


def base_options(world, ns_port, **extra):
    """A vouchd.conf for the standard world: signs sender.example with s1
    for authenticated clients, InternalHosts (127.0.0.1) and Postfix's
    submission service (MacroList daemon_name=ORIGINATING); verifies the
    rest; DNS from the test's NSD."""
    opts = {
        "Mode": "sv",
        "AuthservID": mailworld.AUTHSERV_ID,
        "Nameservers": "127.0.0.1@%d" % ns_port,
        "DNSTimeout": "2",
        "Domain": "sender.example",
        "Selector": "s1",
        "KeyFile": world.key_s1,
        "MacroList": "daemon_name=ORIGINATING",
    }
    opts.update(extra)
    return opts


def start_vouchd(lab, name, options, **kw):
    """A Vouchd started in lab/name, or None after a failing check that
    carries its log."""
    v = lab.add(vouchd.Vouchd(lab.subdir(name), options, **kw))
    try:
        return v.start()
    except RuntimeError as e:
        ok(False, "vouchd (%s) starts" % name, str(e))
        return None
