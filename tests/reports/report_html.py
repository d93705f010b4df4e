#!/usr/bin/python3
"""vouch report html: one self-contained page, loaded in headless Chromium.

The input is constructed here, so the right answers are known: six UTC
days (and one without reports between them), sources in each of the four buckets, three reporters, a second
policy domain.  The page must be well-formed (it is XHTML-compatible, so
Python's XML parser reads it strictly), load in Chromium with no console
error and no request but the file itself, have one bar or point per day
and per source in its charts, show the numbers `summary --json` gives, and
leave a screenshot (build/test-artifacts/report.png, and a phone-sized
report-phone.png).  Texts that come from reports are attacker-controlled:
a second store has <script>, quotes and event handlers in every field a
report supplies, and nothing of it may run or change the page's shape.

The Chromium checks are skipped, with the reason, when Debian's chromium
is not installed (scripts/deps/html.list installs it).
"""
import json
import os
import re
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _chromium  # noqa: E402
import _report_util as ru  # noqa: E402
import pg  # noqa: E402
import vtest  # noqa: E402
from vtest import ok, skip, done  # noqa: E402

D = "own.example"
D2 = "second.example"
DAY0 = 1700006400  # 2023-11-15 00:00 UTC
# six UTC days with reports, and 2023-11-19 without: a gap in the charts
DAYS = [DAY0 + 86400 * i for i in (0, 1, 2, 3, 5, 6)]
REPORTERS = ["alpha.example", "beta.example", "gamma.example"]

# source ip -> (bucket the test expects, how its records look); counts vary
# by day so that every bar differs
SOURCES = {
    "192.0.2.10": ("compliant", {"dkim": "pass", "spf": "pass",
                                 "auth_dkim": [(D, "s1", "pass")],
                                 "auth_spf": [(D, "pass")]}),
    "2001:db8::1": ("compliant", {"dkim": "fail", "spf": "pass",
                                  "auth_spf": [(D, "pass")]}),
    "192.0.2.20": ("not_compliant", {"dkim": "fail", "spf": "fail",
                                     "auth_dkim": [("mailer.example", "k1", "pass")],
                                     "auth_spf": [("bounces.mailer.example", "pass")]}),
    "192.0.2.30": ("not_compliant", {"dkim": "fail", "spf": "fail",
                                     "auth_spf": [("crm.example", "pass")]}),
    "203.0.113.66": ("unknown", {"dkim": "fail", "spf": "fail",
                                 "auth_spf": [(D, "fail")]}),
    "203.0.113.77": ("unknown", {"dkim": "fail", "spf": "fail",
                                 "auth_dkim": [(D, "s9", "fail")],
                                 "auth_spf": [(D, "softfail")]}),
    "198.51.100.5": ("forwarded", {"dkim": "pass", "spf": "fail",
                                   "auth_dkim": [(D, "s1", "pass")],
                                   "auth_spf": [("forwarder.example", "fail")]}),
    "198.51.100.6": ("forwarded", {"dkim": "fail", "spf": "fail",
                                   "reasons": [("local_policy", "arc=pass as.1.x.example=pass")],
                                   "auth_dkim": [(D, "s1", "fail")],
                                   "auth_spf": [("list.example", "pass")]}),
}

ZONE = """$ORIGIN .
$TTL 3600
10.2.0.192.in-addr.arpa. 3600 IN PTR mail.own.example.
20.2.0.192.in-addr.arpa. 3600 IN PTR o1.mta.mailer.example.
5.100.51.198.in-addr.arpa. 3600 IN PTR relay.forwarder.example.
"""


def rows():
    """(reporter, day, record) for the main domain: each source on a
    different set of days with counts that differ, each reporter seeing a
    different part."""
    out = []
    for n, (ip, (_, rec)) in enumerate(sorted(SOURCES.items())):
        for d, day in enumerate(DAYS):
            if (n + d) % 4 == 3:
                continue  # this source sent nothing that day
            r = dict(rec, ip=ip, count=5 + 7 * n + 11 * d + (n * d) % 13)
            out.append((REPORTERS[(n + d) % 3], day, r))
    return out


def second_rows():
    return [("alpha.example", DAYS[0], {"ip": "192.0.2.99", "count": 4, "dkim": "pass",
                                         "spf": "pass", "auth_dkim": [(D2, "s", "pass")],
                                         "auth_spf": [(D2, "pass")]}),
            ("beta.example", DAYS[1], {"ip": "203.0.113.9", "count": 3, "dkim": "fail",
                                        "spf": "fail", "auth_spf": [(D2, "fail")]})]


def write_reports(tmp, domain, rws, prefix, org_of=None):
    files = []
    for n, (rep, day) in enumerate(sorted({(a, b) for a, b, _ in rws})):
        recs = [r for a, b, r in rws if (a, b) == (rep, day)]
        org = org_of(rep) if org_of else rep
        xml = ru.make_xml(org=org, email="dmarc@" + rep, rid="%s-%d" % (prefix, n),
                          domain=domain, begin=day, end=day + 86399, records=recs)
        files.append(os.path.join(tmp, "%s%d.xml" % (prefix, n)))
        with open(files[-1], "wb") as fp:
            fp.write(xml)
    return files


def artifacts_dir():
    d = os.path.join(vtest.BUILD, "test-artifacts")
    os.makedirs(d, exist_ok=True)
    return d


# ---- What the page says, read in Chromium ---------------------------------

# Everything the tests compare, gathered in the page as one JSON value.
READ_PAGE = r"""
(() => {
  const num = el => el ? Number(el.textContent.replace(/[,%\s]/g, "")) : null;
  const txt = el => el ? el.textContent : null;
  const q = (root, sel) => root.querySelector(sel);
  const qa = (root, sel) => Array.from(root.querySelectorAll(sel));
  const sections = qa(document, "section.domain").map(sec => {
    const m = k => q(sec, ".figures [data-metric='" + k + "']");
    const vol = q(sec, "svg[data-chart='daily-volume']");
    return {
      domain: sec.getAttribute("data-domain"),
      messages: num(m("messages")), reports: num(m("reports")),
      dmarc_pass: num(m("dmarc_pass")), pass_percent: txt(m("dmarc_pass_percent")),
      nsources: num(m("nsources")), nreporters: num(m("nreporters")),
      policy: txt(m("policy")),
      buckets: Object.fromEntries(qa(sec, "div.bucket[data-bucket]").map(b => [
        b.getAttribute("data-bucket"),
        {sources: num(q(b, "[data-metric='sources']")),
         messages: num(q(b, "[data-metric='messages']"))}])),
      bucket_rects: qa(sec, "svg[data-chart='buckets'] rect[data-bucket]").map(r => [
        r.getAttribute("data-bucket"), Number(r.getAttribute("width"))]),
      readiness: Object.fromEntries(qa(sec, "[data-readiness]").map(r => [
        r.getAttribute("data-readiness"),
        {messages: num(q(r, "[data-metric='messages']")),
         percent: txt(q(r, "[data-metric='percent']")),
         nsources: num(q(r, "[data-metric='nsources']"))}])),
      ready_ips: qa(sec, "table[data-table='readiness'] tr[data-ip]").map(
        r => r.getAttribute("data-ip")),
      bars: vol ? qa(vol, "g[data-day]").map(g => {
        const [p, f] = qa(g, "rect");
        return {day: g.getAttribute("data-day"),
                messages: Number(g.getAttribute("data-messages")),
                x: Number(p.getAttribute("x")) + Number(p.getAttribute("width")) / 2,
                pass_h: Number(p.getAttribute("height")),
                fail_h: Number(f.getAttribute("height")),
                rendered_h: g.getBoundingClientRect().height};
      }) : [],
      vol_box: vol ? vol.getBoundingClientRect().toJSON() : null,
      rate_points: qa(sec, "svg[data-chart='daily-pass-rate'] [data-day]").map(
        c => c.getAttribute("data-day")),
      dkim_points: qa(sec, "svg[data-chart='alignment'] [data-series='dkim'][data-day]").map(
        c => c.getAttribute("data-day")),
      spf_points: qa(sec, "svg[data-chart='alignment'] [data-series='spf'][data-day]").map(
        c => c.getAttribute("data-day")),
      days: qa(sec, "table[data-table='days'] tr[data-day]").map(r => ({
        day: r.getAttribute("data-day"),
        messages: num(q(r, "[data-metric='messages']")),
        dmarc_pass: num(q(r, "[data-metric='dmarc_pass']")),
        dkim_aligned: num(q(r, "[data-metric='dkim_aligned']")),
        spf_aligned: num(q(r, "[data-metric='spf_aligned']"))})),
      sources: qa(sec, "table[data-table='sources'] tr[data-ip]").map(r => {
        const bar = q(r, "svg[data-chart='source']");
        const [p, f] = bar ? qa(bar, "rect") : [null, null];
        return {ip: r.getAttribute("data-ip"), bucket: r.getAttribute("data-bucket"),
                bucket_text: txt(q(r, "[data-metric='bucket']")),
                messages: num(q(r, "[data-metric='messages']")),
                dmarc_fail: num(q(r, "[data-metric='dmarc_fail']")),
                ptr: txt(q(r, "[data-metric='ptr']")),
                ptr_org: txt(q(r, "[data-metric='ptr_org']")),
                reasons: qa(r, "[data-metric='reason']").map(txt),
                reporters: txt(q(r, "[data-metric='reporters']")),
                bar: bar ? [Number(p.getAttribute("width")), Number(f.getAttribute("width"))]
                         : null};
      }),
      reporters: qa(sec, "table[data-table='reporters'] tr[data-reporter]").map(r => ({
        attr: r.getAttribute("data-reporter"),
        org_name: txt(q(r, "[data-metric='org_name']")),
        reports: num(q(r, "[data-metric='reports']")),
        messages: num(q(r, "[data-metric='messages']")),
        bars: qa(r, "svg[data-chart='reporter']").length})),
    };
  });
  const handlers = qa(document, "*").filter(e => Array.from(e.attributes).some(
    a => a.name.toLowerCase().startsWith("on"))).length;
  return JSON.stringify({
    sections,
    index: qa(document, "table[data-table='domains'] tr[data-domain]").map(r => ({
      domain: r.getAttribute("data-domain"),
      messages: num(q(r, "[data-metric='messages']")),
      href: q(r, "a").getAttribute("href")})),
    scripts: document.scripts.length, handlers,
    iframes: qa(document, "iframe, object, embed, img, link, base, form").length,
    pwned: typeof window.pwned,
    last: document.body.lastElementChild ? document.body.lastElementChild.tagName : null,
    title: document.title,
    scroll_w: document.documentElement.scrollWidth, inner_w: window.innerWidth,
  });
})()
"""


def read_page(chrome, path):
    chrome.events = []
    chrome.load("file://" + path)
    return json.loads(chrome.evaluate(READ_PAGE))


def summary(db, domain, *extra):
    rc, doc, err = vtest.vouch_json(["report", "summary", "--db", db, "--domain", domain,
                                     "--json"] + list(extra))
    return doc if rc == 0 else None


def html(db, out, *extra):
    return vtest.vouch(["report", "html", "--db", db, "-o", out] + list(extra))


def well_formed(path):
    """The page parsed as XML: (root or None, error)."""
    try:
        return ET.parse(path).getroot(), ""
    except ET.ParseError as e:
        return None, str(e)


def static_checks(path, name):
    root, err = well_formed(path)
    ok(root is not None, "%s: the page is well-formed (strict XML parse)" % name, err)
    if root is None:
        return None
    tags = [el.tag.rsplit("}", 1)[-1].lower() for el in root.iter()]
    attrs = [(k.lower(), v) for el in root.iter() for k, v in el.attrib.items()]
    ok("script" not in tags and not any(k.startswith("on") for k, _ in attrs),
       "%s: no script element and no event handler attribute" % name)
    ok(not any(k in ("src", "srcset", "action", "formaction", "xlink:href") for k, _ in attrs)
       and all(v.startswith("#") for k, v in attrs if k == "href"),
       "%s: no src and no link out of the page (only #anchors)" % name)
    csp = [v for el in root.iter() for k, v in el.attrib.items()
           if k == "content" and "default-src 'none'" in v]
    ok(len(csp) == 1, "%s: a Content Security Policy that allows no fetch and no script" % name)
    # accessibility: each chart an image named by its title and description,
    # headings that skip no level, tables with column headers
    ids = {el.get("id"): el for el in root.iter() if el.get("id")}
    charts = [el for el in root.iter() if el.get("data-chart") in
              ("daily-volume", "daily-pass-rate", "alignment", "buckets")]
    named = all(el.get("role") == "img" and el.get("aria-labelledby") and
                all(i in ids and ids[i].tag.rsplit("}", 1)[-1] in ("title", "desc")
                    and (ids[i].text or "").strip()
                    for i in el.get("aria-labelledby").split()) for el in charts)
    ok(named, "%s: every chart (%d) is an image named by its title and description"
       % (name, len(charts)))
    levels = [int(t[1]) for t in tags if re.fullmatch(r"h[1-6]", t)]
    ok(levels and levels[0] == 1 and all(b <= a + 1 for a, b in zip(levels, levels[1:])),
       "%s: headings from h1 on, no level skipped" % name, repr(levels))
    tables = [el for el in root.iter() if el.tag.rsplit("}", 1)[-1] == "table"]
    ok(all(any(th.get("scope") == "col" for th in t.iter() if th.tag.rsplit("}", 1)[-1] == "th")
           for t in tables), "%s: every table has column headers" % name)
    return root


def pct1(part, whole):
    return "%.1f%%" % (100.0 * part / whole if whole else 0.0)


# ---- The checks -------------------------------------------------------------

def check_harness(chrome, tmp):
    """The browser checks can fail: a page that fetches and logs an error
    is caught by both."""
    bad = os.path.join(tmp, "bad.html")
    with open(bad, "w") as fp:
        fp.write('<!DOCTYPE html><html><head><title>x</title></head><body>'
                 '<img src="http://127.0.0.1:9/x.png"/>'
                 '<script>console.error("boom")</script></body></html>')
    chrome.events = []
    chrome.load("file://" + bad)
    reqs, errs = chrome.requests(), chrome.errors()
    ok(any(u.startswith("http://127.0.0.1:9/") for u in reqs) and
       any("boom" in e for e in errs),
       "the harness sees a page's requests and console errors (a bad page is caught)",
       "requests %r errors %r" % (reqs, errs))


def check_page(chrome, path, doc, tmp):
    t0 = time.time()
    page = read_page(chrome, path)
    reqs, errs = chrome.requests(), chrome.errors()
    ok(errs == [], "the page loads with no console error, exception or CSP report", repr(errs))
    ok(reqs == ["file://" + path], "Chromium made no request but the file itself", repr(reqs))
    ok(page["scripts"] == 0 and page["handlers"] == 0 and page["iframes"] == 0,
       "nothing in the page can run or load")
    ok(page["last"] == "FOOTER", "the page ends with its footer (the structure is whole)",
       repr(page["last"]))
    ok(page["scroll_w"] <= page["inner_w"], "no horizontal scrolling at 1280 px",
       "%r > %r" % (page["scroll_w"], page["inner_w"]))
    ok(len(page["sections"]) == 1, "--domain: one section")
    sec = page["sections"][0]
    sources_in = {r["ip"] for _, _, r in rows()}
    days_in = sorted({vtest_day(d) for _, d, _ in rows()})
    # charts: bars and points per day and source of the input
    ok([b["day"] for b in sec["bars"]] == days_in,
       "daily volume: one bar per UTC day of the input (%d)" % len(days_in),
       repr([b["day"] for b in sec["bars"]]))
    ok(sec["rate_points"] == days_in, "pass rate: one point per UTC day (%d)" % len(days_in))
    ok(sec["dkim_points"] == days_in and sec["spf_points"] == days_in,
       "alignment: a DKIM and an SPF point per UTC day (%d each)" % len(days_in))
    ok(len(sec["sources"]) == len(sources_in) and
       all(s["bar"] is not None for s in sec["sources"]),
       "top sources: one pass/fail bar per source of the input (%d)" % len(sources_in))
    ok(len(sec["reporters"]) == len(REPORTERS) and all(r["bars"] == 1 for r in sec["reporters"]),
       "reporters: one bar per reporter (%d)" % len(REPORTERS))
    ok([b for b, _ in sec["bucket_rects"]] == ["not_compliant", "unknown", "forwarded", "compliant"],
       "the bucket bar has the four buckets in the order that needs action first")
    # the bars' geometry: heights in proportion to the day's numbers
    top = max(b["messages"] for b in sec["bars"])
    jd = {d["day"]: d for d in doc["days"]}
    geo = all(abs((b["pass_h"] + b["fail_h"]) / max(x["pass_h"] + x["fail_h"] for x in sec["bars"])
                  - b["messages"] / top) < 0.01 and
              abs(b["pass_h"] / (b["pass_h"] + b["fail_h"]) -
                  jd[b["day"]]["dmarc_pass"] / jd[b["day"]]["messages"]) < 0.01
              for b in sec["bars"])
    ok(geo, "each bar is as tall as its day's messages, its lower part the share that passed")
    xs = [b["x"] for b in sec["bars"]]
    unit = xs[1] - xs[0]
    ok(unit > 0 and all(abs((xs[i] - xs[0]) / unit - (d - DAYS[0]) / 86400) < 0.01
                        for i, d in enumerate(DAYS)),
       "the bars stand at their calendar days: an empty slot for the day without reports")
    ok(sec["vol_box"] and sec["vol_box"]["width"] > 400 and sec["vol_box"]["height"] > 150 and
       all(b["rendered_h"] > 0 for b in sec["bars"]),
       "the volume chart is drawn at a readable size", repr(sec["vol_box"]))
    total = sum(b for _, b in sec["bucket_rects"])
    ok(all(abs(w - 1000.0 * doc["buckets"][b]["messages"] / doc["messages"]) < 0.01
           for b, w in sec["bucket_rects"]) and abs(total - 1000) < 0.1,
       "the bucket bar's parts are in proportion to the buckets' messages")
    # the numbers shown equal summary --json's
    ok((sec["messages"], sec["reports"], sec["dmarc_pass"]) ==
       (doc["messages"], doc["reports"], doc["dmarc_pass"]),
       "figures: messages, reports, passed DMARC as summary --json",
       "%r vs %r" % ((sec["messages"], sec["reports"], sec["dmarc_pass"]),
                     (doc["messages"], doc["reports"], doc["dmarc_pass"])))
    ok(sec["pass_percent"] == pct1(doc["dmarc_pass"], doc["messages"]),
       "figures: the pass rate %s" % pct1(doc["dmarc_pass"], doc["messages"]),
       repr(sec["pass_percent"]))
    ok(sec["nsources"] == len(doc["sources"]) and sec["nreporters"] == len(doc["reporters"]) and
       sec["policy"] == doc["policy"],
       "figures: sources, reporters, published policy as summary --json")
    ok(sec["buckets"] == doc["buckets"], "the four buckets' sources and messages as summary --json",
       "%r vs %r" % (sec["buckets"], doc["buckets"]))
    for pol in ("quarantine", "reject"):
        r, j = sec["readiness"].get(pol, {}), doc["readiness"][pol]
        ok(r.get("messages") == j["messages"] and r.get("nsources") == len(j["sources"]) and
           r.get("percent") == "%.1f%%" % j["percent"],
           "readiness p=%s: %d messages (%.1f%%) from %d sources, as summary --json"
           % (pol, j["messages"], j["percent"], len(j["sources"])), repr(r))
    ok(sec["ready_ips"] == doc["readiness"]["quarantine"]["sources"],
       "readiness lists the same sources in the same order", repr(sec["ready_ips"]))
    ok(sec["days"] == [{k: d[k] for k in ("day", "messages", "dmarc_pass", "dkim_aligned",
                                           "spf_aligned")} for d in doc["days"]],
       "the table per day equals summary --json's days")
    ok([b["messages"] for b in sec["bars"]] == [d["messages"] for d in doc["days"]],
       "each bar is labelled with its day's messages")
    names = {"not_compliant": "not compliant"}
    want_src = [{"ip": s["ip"], "bucket": s["bucket"],
                 "bucket_text": names.get(s["bucket"], s["bucket"]),
                 "messages": s["messages"], "dmarc_fail": s["dmarc_fail"],
                 "ptr": s["ptr"], "ptr_org": s["ptr_org"], "reasons": s["reasons"],
                 "reporters": ", ".join(s["reporters"])} for s in doc["sources"]]
    got_src = [{k: v for k, v in s.items() if k != "bar"} for s in sec["sources"]]
    ok(got_src == want_src, "sources: order, bucket, messages, failed, PTR, reasons, reporters "
       "as summary --json", "\n#   got  %r\n#   want %r" % (got_src, want_src))
    # independently of vouch: each source's bucket is the one the input made it
    ok({s["ip"]: s["bucket"] for s in sec["sources"]} ==
       {ip: b for ip, (b, _) in SOURCES.items()},
       "each source stands in the bucket its records were built for")
    top_src = max(s["messages"] for s in doc["sources"])
    ok(all(abs(s["bar"][0] + s["bar"][1] - 160.0 * j["messages"] / top_src) < 0.05 and
           abs(s["bar"][1] - (s["bar"][0] + s["bar"][1]) * j["dmarc_fail"] / j["messages"]) < 0.05
           for s, j in zip(sec["sources"], doc["sources"])),
       "each source's bar is as long as its messages, its failed part in proportion")
    ok([(r["org_name"], r["reports"], r["messages"]) for r in sec["reporters"]] ==
       [(r["org_name"], r["reports"], r["messages"]) for r in doc["reporters"]],
       "reporters: names, reports and messages as summary --json")
    # what the input holds, counted by this test
    ok(doc["messages"] == sum(r["count"] for _, _, r in rows()),
       "the page's total is the input's: %d messages" % sum(r["count"] for _, _, r in rows()))
    # a picture for a person, wide and phone-sized
    shot = chrome.screenshot(os.path.join(artifacts_dir(), "report.png"))
    ok(os.path.getsize(shot) > 10000, "screenshot written: %s" % shot)
    print("# screenshot: %s" % shot)
    chrome.send("Emulation.setDeviceMetricsOverride",
                {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True})
    phone = read_page(chrome, path)
    ok(chrome.errors() == [] and phone["scroll_w"] <= 390,
       "on a 390 px phone screen: no error, the page itself does not scroll sideways",
       "%r %r" % (chrome.errors(), phone["scroll_w"]))
    shot = chrome.screenshot(os.path.join(artifacts_dir(), "report-phone.png"), width=390,
                             mobile=True)
    print("# screenshot: %s (%.1fs for the page checks)" % (shot, time.time() - t0))


def vtest_day(t):
    return time.strftime("%Y-%m-%d", time.gmtime(t))


HOSTILE = "<script>window.pwned=1</script>\"'&amp;<img src=x onerror=\"window.pwned=2\">"


def hostile_store(tmp):
    """A store whose reports put markup in every text a report supplies:
    the reporter's org_name, DKIM and SPF domains (in the reasons), the
    author domain, the policy domain."""
    from xml.sax.saxutils import escape
    db = ru.new_store(os.path.join(tmp, "hostile.db"))
    dom = escape("ev\"il'<svg onload=window.pwned=3>.example")
    recs = [{"ip": "192.0.2.66", "count": 9, "dkim": "fail", "spf": "fail",
             "header_from": escape("<b onclick=window.pwned=4>x</b>.example"),
             "auth_dkim": [(escape("\"><script>window.pwned=5</script>"), "s", "pass")],
             "auth_spf": [(escape("</td></tr></table><h1>x</h1>"), "pass")]}]
    xml = ru.make_xml(org=escape(HOSTILE), email="dmarc@hostile.example", rid="h1",
                      domain=dom, begin=DAY0, end=DAY0 + 86399, records=recs)
    path = os.path.join(tmp, "hostile.xml")
    with open(path, "wb") as fp:
        fp.write(xml)
    rc, counts, err = ru.ingest([path], db)
    return db, rc == 0 and counts and counts["stored"] == 1, err


def check_hostile(chrome, tmp):
    db, stored, err = hostile_store(tmp)
    ok(stored, "a report with markup in every text is stored", err)
    page_path = os.path.join(tmp, "hostile.html")
    rc, out, err = html(db, page_path, "--no-dns")
    ok(rc == 0, "vouch report html writes the hostile store's page", err)
    root = static_checks(page_path, "hostile")
    raw = open(page_path, encoding="utf-8").read()
    ok("<script" not in raw and "<img" not in raw and "<svg onload" not in raw and
       "<h1>x" not in raw, "no markup from a report reaches the page unescaped")
    if root is None or chrome is None:
        return
    page = read_page(chrome, page_path)
    ok(chrome.errors() == [] and chrome.requests() == ["file://" + page_path],
       "hostile: no console error, no CSP report, no request",
       "%r %r" % (chrome.errors(), chrome.requests()))
    ok(page["pwned"] == "undefined" and page["scripts"] == 0 and page["handlers"] == 0,
       "hostile: nothing ran, no script element, no handler attribute")
    sec = page["sections"][0] if page["sections"] else {}
    reps = sec.get("reporters", [])
    ok(len(reps) == 1 and reps[0]["attr"] == HOSTILE and reps[0]["org_name"] == HOSTILE,
       "hostile: the org name is shown as the text it is, in text and attribute",
       repr(reps))
    srcs = sec.get("sources", [])
    ok(len(srcs) == 1 and any("<script>window.pwned=5</script>" in r for r in srcs[0]["reasons"]),
       "hostile: the DKIM domain shows as text in the reason", repr(srcs))
    ok(sec.get("domain") == "ev\"il'<svg onload=window.pwned=3>.example",
       "hostile: the policy domain shows as text", repr(sec.get("domain")))
    ok(page["last"] == "FOOTER" and len(page["sections"]) == 1,
       "hostile: the page keeps its shape (one section, footer last)")


def check_all_domains(chrome, db, tmp, zone):
    path = os.path.join(tmp, "all.html")
    rc, out, err = html(db, path, "--zone", zone)
    ok(rc == 0, "without --domain: written", err)
    root = static_checks(path, "all domains")
    if root is None or chrome is None:
        return
    page = read_page(chrome, path)
    want = [D, D2]  # most messages first
    docs = {d: summary(db, d, "--no-dns") for d in want}
    ok(chrome.errors() == [], "all domains: no console error", repr(chrome.errors()))
    ok([s["domain"] for s in page["sections"]] == want,
       "without --domain: a section per policy domain, most messages first",
       repr([s["domain"] for s in page["sections"]]))
    ok([(i["domain"], i["messages"], i["href"]) for i in page["index"]] ==
       [(d, docs[d]["messages"], "#domain-%d" % (n + 1)) for n, d in enumerate(want)],
       "the index lists each domain with its messages, linked to its section")
    ok(all(s["messages"] == docs[s["domain"]]["messages"] and
           s["buckets"] == docs[s["domain"]]["buckets"] for s in page["sections"]),
       "each section's numbers are its domain's summary --json")
    ok(len(page["sections"]) == 2 and
       [b["day"] for b in page["sections"][1]["bars"]] == [vtest_day(DAYS[0]), vtest_day(DAYS[1])],
       "the second domain's chart has its own two days")


def check_cli(db, tmp):
    rc, out, err = vtest.vouch(["report", "html", "--db", db, "--domain", D])
    ok(rc == 64, "html without -o is a usage error", "exit %d" % rc)
    bad = os.path.join(tmp, "no-such-dir", "x.html")
    rc, out, err = html(db, bad, "--domain", D, "--no-dns")
    ok(rc == 74 and not os.path.exists(os.path.dirname(bad)),
       "an unwritable -o is exit 74", "exit %d" % rc)
    keep = os.path.join(tmp, "keep.html")
    with open(keep, "w") as fp:
        fp.write("old")
    rc, out, err = vtest.vouch(["report", "html", "--db", os.path.join(tmp, "none.db"),
                                "-o", keep, "--domain", D])
    ok(rc == 69 and open(keep).read() == "old",
       "a missing store is exit 69 and the old page stays", "exit %d" % rc)
    rc, out, err = vtest.vouch(["report", "html", "--db", db, "-o", "-", "--domain", D,
                                "--no-dns", "--since", vtest_day(DAYS[3])])
    later = [d for d in DAYS[3:] if any(day == d for _, day, _ in rows())]
    text = out.decode("utf-8", "replace")
    ok(rc == 0 and text.count("<g data-day=") == len(later),
       "-o - writes to standard output; --since %s leaves %d bars" % (vtest_day(DAYS[3]),
                                                                       len(later)),
       "exit %d, %d bars" % (rc, text.count("<g data-day=")))
    rc, out, err = vtest.vouch(["report", "html", "--db", db, "-o", "-", "--domain", D,
                                "--no-dns", "--max-sources", "3"])
    text = out.decode("utf-8", "replace")
    ok(rc == 0 and text.count('data-chart="source"') == 3 and
       'data-metric="sources_omitted">%d more' % (len(SOURCES) - 3) in text,
       "--max-sources 3: three source rows and the number left out")


def check_many_domains(tmp):
    """Any reporter can name any domain: a store with 53 policy domains
    gives the 50 with the most messages a section, and says 3 more."""
    db = ru.new_store(os.path.join(tmp, "many.db"))
    files = []
    for n in range(53):
        rec = {"ip": "192.0.2.%d" % (n + 1), "count": 100 + n, "dkim": "pass", "spf": "pass"}
        xml = ru.make_xml(org="r.example", email="d@r.example", rid="m%d" % n,
                          domain="d%02d.example" % n, begin=DAY0, end=DAY0 + 86399,
                          records=[rec])
        files.append(os.path.join(tmp, "m%d.xml" % n))
        with open(files[-1], "wb") as fp:
            fp.write(xml)
    rc, counts, err = ru.ingest(files, db)
    t0 = time.time()
    rc, out, err = vtest.vouch(["report", "html", "--db", db, "-o", "-", "--no-dns"])
    text = out.decode("utf-8", "replace")
    shown = re.findall(r'<tr data-domain="([^"]*)">', text)
    ok(rc == 0 and shown == ["d%02d.example" % n for n in range(52, 2, -1)] and
       text.count('<section class="domain"') == 50 and
       'data-metric="domains_omitted">3 more policy domains' in text,
       "53 policy domains: the 50 with the most messages, and '3 more' (%.2fs)"
       % (time.time() - t0), "exit %d, %d shown" % (rc, len(shown)))


def check_empty_store(tmp):
    """A store with no report yet (just made by store init): every
    domain's page, and one domain's, say there is nothing, exit 0.  With
    no domain to order, the list of domains is NULL, and qsort of it was
    undefined behaviour that UBSan stopped in the ASan build."""
    db = ru.new_store(os.path.join(tmp, "empty.db"))
    for extra in ([], ["--domain", D]):
        rc, out, err = vtest.vouch(["report", "html", "--db", db, "-o", "-", "--no-dns"] + extra)
        text = out.decode("utf-8", "replace")
        want = "No aggregate report about this domain" if extra else "No aggregate report in the store"
        ok(rc == 0 and "</html>" in text and want in text,
           "a store without reports: the page %s, exit 0" % ("of " + D if extra else "of every domain"),
           "exit %d, %d bytes, err %r" % (rc, len(out), err[-300:]))


def without_clock(page):
    """The page less the minute it was made (the footer says it)."""
    return re.sub(rb" on \d{4}-\d\d-\d\d \d\d:\d\d UTC ", b" on (time) ", page)


def check_postgresql(files, sqlite_db, tmp):
    """The same reports in a PostgreSQL store give the same page (every
    domain, so vouch_owner_domains runs on both back ends)."""
    why = pg.available()
    if why:
        skip("postgresql: the same page from a PostgreSQL store", why)
        return
    with pg.Server() as srv:
        url = srv.new_db("html")
        vtest.vouch(["store", "init", "--db", url])
        rc, counts, err = ru.ingest(files, url)
        ok(rc == 0 and counts["stored"] == len(files), "postgresql: the reports are stored", err)
        pages = []
        for db in (sqlite_db, url):
            rc, out, err = vtest.vouch(["report", "html", "--db", db, "-o", "-", "--no-dns"])
            pages.append(without_clock(out) if rc == 0 else b"exit %d" % rc)
        ok(pages[0] == pages[1] and b'data-table="domains"' in pages[0],
           "postgresql: the page of every domain is the SQLite store's, byte for byte",
           "%d and %d bytes" % (len(pages[0]), len(pages[1])))


def main():
    exe = _chromium.find()
    with tempfile.TemporaryDirectory() as tmp:
        db = ru.new_store(os.path.join(tmp, "s.db"))
        files = write_reports(tmp, D, rows(), "r") + write_reports(tmp, D2, second_rows(), "s")
        rc, counts, err = ru.ingest(files, db)
        ok(rc == 0 and counts["stored"] == len(files),
           "the constructed reports are stored (%d)" % len(files), "%r %s" % (counts, err))
        zone = os.path.join(tmp, "zone.db")
        with open(zone, "w") as fp:
            fp.write(ZONE)
        doc = summary(db, D, "--zone", zone)
        ok(doc is not None, "summary --json of the same store")
        path = os.path.join(tmp, "report.html")
        t0 = time.time()
        rc, out, err = html(db, path, "--domain", D, "--zone", zone)
        ok(rc == 0 and os.path.exists(path),
           "vouch report html -o FILE --domain %s (%.2fs)" % (D, time.time() - t0), err)
        static_checks(path, "report")
        if exe is None:
            skip("the page in headless Chromium", "chromium is not installed "
                 "(Debian package chromium, scripts/deps/html.list)")
            check_hostile(None, tmp)
            check_cli(db, tmp)
            check_many_domains(tmp)
            check_empty_store(tmp)
            check_postgresql(files, db, tmp)
            return
        t0 = time.time()
        with _chromium.Chromium(exe) as chrome:
            chrome.open()
            print("# chromium started in %.1fs" % (time.time() - t0))
            check_harness(chrome, tmp)
            if doc is not None:
                check_page(chrome, path, doc, tmp)
            chrome.open()
            check_hostile(chrome, tmp)
            check_all_domains(chrome, db, tmp, zone)
        check_cli(db, tmp)
        check_many_domains(tmp)
        check_empty_store(tmp)
        check_postgresql(files, db, tmp)


main()
done()
