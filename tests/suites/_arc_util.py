"""Helpers for the ARC suites: the ValiMail YAML read with duplicate keys
kept, and `vouch arc verify --json` / `vouch arc seal` as functions.  Not a
test (leading '_')."""

import yaml

import vtest
import _dkim_util as du


class _DupLoader(yaml.SafeLoader):
    """A SafeLoader whose mappings are lists of (key, value) pairs, so that
    a key written twice (four IDs of the validation suite) is kept twice."""


def _pairs(loader, node):
    loader.flatten_mapping(node)
    return [(loader.construct_object(k, deep=True), loader.construct_object(v, deep=True))
            for k, v in node.value]


_DupLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _pairs)


def load_scenarios(path):
    """The YAML stream as a list of scenarios; each scenario a dict whose
    'tests' is a list of (id, dict) pairs in file order, duplicates kept."""
    out = []
    with open(path, encoding="utf-8") as f:
        for doc in yaml.load_all(f, Loader=_DupLoader):
            if doc is None:
                continue
            top = dict(doc)
            tests = [(tid, dict(t)) for tid, t in top.get("tests", [])]
            recs = dict(top.get("txt-records") or top.get("txt_records") or [])
            top["tests"] = tests
            top["txt-records"] = recs
            out.append(top)
    return out


def crlf(text):
    """The YAML messages have LF line ends; mail has CRLF."""
    return text.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8")


def zone(records):
    """A temporary zone (context manager) from a txt-records mapping."""
    return du.Zone([(name, "TXT", value) for name, value in records.items()])


def verify(zone_path, message, args=()):
    """Runs vouch arc verify --json; returns (exit, parsed JSON or None, stderr)."""
    return vtest.vouch_json(["arc", "verify", "--json", "--zone", zone_path] + list(args),
                            stdin=message)


def describe(doc):
    if doc is None:
        return "no JSON"
    sets = ", ".join("i=%d seal:%s ams:%s%s" % (s["i"], s["seal"]["valid"], s["ams"]["valid"],
                                                " (%s)" % s["reason"] if s["reason"] else "")
                     for s in doc["instances"])
    return "cv=%s%s [%s]" % (doc["cv"], " (%s)" % doc["reason"] if doc["reason"] else "", sets)
