"""One self-contained HTML page to attach to a bug report.

Order: the verdict (what failed, the finding that explains it, its fix, what would work), then
each pairing's ladder, then the details (capture facts, problems reading it, every finding,
ATT errors, connections). The ladder is HTML and CSS, not a fixed-size drawing: it takes the
page's width, and its labels wrap between the lifelines instead of running past them. Fix
texts are Markdown (code in backticks) and are rendered; text that comes from the capture is
escaped. No scripts, no external resources; key values never appear (the analysis holds none);
the capture is named by its file name, not by the local path it was read from.
"""

from __future__ import annotations

import functools
import re
from html import escape
from pathlib import PurePath
from typing import Any

from bpdiag.analysis.model import Connection, Outcome, Pairing
from bpdiag.report.problems import describe as describe_problem
from bpdiag.report.smp_text import smp_summary
from bpdiag.report.text import (
    check_lines,
    explain_encryption,
    explain_pairing,
    explain_security_request,
    pairing_headline,
)
from bpdiag.rules.diagnosis import Diagnosed

# A day-long log holds thousands of pairings and findings; the page stays one that a bug
# tracker takes and a browser opens: beyond these it counts what it leaves out and says where
# all of it is (``bpdiag analyze``, ``--json``).
ATT_ROWS = 200  # ATT errors listed in the table; the rest are counted
VERDICT_ITEMS = 20  # failed pairings, and refused encryptions, told in the verdict
LADDERS = 200  # pairings drawn: the failed ones first, then the earliest others
FINDINGS = 500  # findings listed in the details (with a count of every kind when more)
CONNECTIONS = 1000  # connections listed
SECURITY_REQUESTS = 200  # unanswered Security Requests listed

_CSS = """
body{font-family:system-ui,sans-serif;margin:1.5em auto;padding:0 1.5em;max-width:90em;
  color:#222;line-height:1.4}
h1{font-size:1.4em} h2{font-size:1.15em;margin-top:1.8em;border-bottom:1px solid #ddd}
h3{font-size:1em;margin:1em 0 .3em}
table{border-collapse:collapse} td,th{padding:.2em .6em;border-bottom:1px solid #ddd;
  text-align:left;vertical-align:top}
.error{color:#b00020} .warning{color:#a15c00} .info{color:#555} .ok{color:#1b5e20}
.finding{border-left:4px solid #ccc;padding:.3em .8em;margin:.6em 0}
.finding.sev-error{border-color:#b00020} .finding.sev-warning{border-color:#e69500}
.verdict{border:2px solid #b00020;border-radius:6px;padding:.6em 1em;margin:1em 0;
  background:#fff7f8}
.verdict.pass{border-color:#1b5e20;background:#f6fbf6}
.verdict h2{border:0;margin:.2em 0}
.fix{background:#f6f8fa;border-radius:4px;padding:.1em .8em}
code{background:#eef0f3;padding:0 .25em;border-radius:3px;font-size:.92em}
pre{white-space:pre-wrap}
.ladder{display:grid;grid-template-columns:max-content max-content minmax(12em,1fr);
  column-gap:.8em;font:13px/1.35 ui-monospace,"DejaVu Sans Mono","Liberation Mono",monospace;
  margin:.5em 0 1em}
.ladder .hd{font-weight:bold;display:flex;justify-content:space-between;padding:0 .2em}
.ladder .fr,.ladder .t{color:#555;white-space:nowrap;align-self:end;padding-bottom:.1em}
.ladder .lane{border-left:2px solid #888;border-right:2px solid #888;padding:.25em .9em 0;
  min-width:0;color:#1f3b73}
.ladder .lbl{text-align:center;overflow-wrap:anywhere}
.ladder .arrow{position:relative;border-top:2px solid currentColor;margin:.2em 0 .35em}
.ladder .arrow.r::after,.ladder .arrow.l::before{content:"";position:absolute;top:-6px;
  border-top:5px solid transparent;border-bottom:5px solid transparent}
.ladder .arrow.r::after{right:-1px;border-left:10px solid currentColor}
.ladder .arrow.l::before{left:-1px;border-right:10px solid currentColor}
.ladder .arrow.u{border-top-style:dotted}
.ladder .enc .arrow{border-top:3px dashed currentColor}
.ladder .failed{color:#b00020;font-weight:bold} .ladder .enc{color:#1b5e20}
.ladder .dec{font-size:.85em;color:#1b5e20;border:1px solid currentColor;border-radius:3px;
  padding:0 .3em;margin-left:.4em}
"""


@functools.cache
def _md() -> Any:
    from markdown_it import MarkdownIt

    # commonmark without raw HTML: a fix text cannot inject markup
    return MarkdownIt("commonmark", {"html": False})


@functools.lru_cache(maxsize=1024)
def markdown(text: str) -> str:
    """A fix text (Markdown: `code`, *emphasis*, lists) as HTML: one parser, and each text
    rendered once (a long log repeats the same fixes thousands of times)."""
    return str(_md().render(text))


def _inline_code(escaped: str) -> str:
    """`x` as <code>x</code> in already escaped text (finding details quote commands so; they
    may also quote the capture, so no other Markdown is read in them)."""
    return re.sub(r"`([^`\n]+)`", r"<code>\1</code>", escaped)


def _ladder(p: Pairing) -> str:
    """Central and peripheral lifelines with one arrow per SMP PDU and the encryption; the
    columns left of them hold the frame and the time since the pairing began (+s, as in
    ``bpdiag analyze`` and the TUI).  A PDU bpdiag decrypted carries a "decrypted" mark."""
    e = escape
    rows: list[tuple[int, str, str, bool, float | None, bool]] = []
    enc_done = False
    enc = (p.encrypted_frame or 0, "enc", "link encryption started", False, None, False)
    for s in p.steps:
        if p.encrypted_frame is not None and not enc_done and s.frame > p.encrypted_frame:
            rows.append(enc)
            enc_done = True
        rows.append((s.frame, s.sender, smp_summary(s.msg), s.code == 0x05, s.time, s.decrypted))
    if p.encrypted_frame is not None and not enc_done:
        rows.append(enc)
    t0 = p.steps[0].time if p.steps else 0.0
    dec = "<span class='dec' title='encrypted on air; bpdiag decrypted it'>decrypted</span>"
    out = [
        "<div class='ladder' role='img' aria-label='pairing ladder'>",
        "<div></div><div></div><div class='hd'><span>Central</span><span>Peripheral</span></div>",
    ]
    for frame, sender, label, failed, t, decrypted in rows:
        kind = {"central": "r", "peripheral": "l", "enc": "e"}.get(sender, "u")
        cls = "lane failed" if failed else "lane enc" if sender == "enc" else "lane"
        when = f"{t - t0:+.3f}s" if t is not None else ""
        out.append(
            f"<div class='fr'>#{frame}</div><div class='t'>{when}</div>"
            f"<div class='{cls}'><div class='lbl'>{e(label)}{dec if decrypted else ''}</div>"
            f"<div class='arrow {kind}'></div></div>"
        )
    out.append("</div>")
    return "\n".join(out)


def _verdict(analysis: Diagnosed) -> list[str]:
    e = escape
    failed = [p for p in analysis.pairings if p.outcome == Outcome.FAILED]
    refused = [x for x in analysis.encryptions if x.status != 0]
    if not failed and not refused:
        n = len(analysis.pairings)
        what = f"{n} pairing{'s' if n != 1 else ''}, none failed" if n else "no pairing"
        return [f"<section class='verdict pass'><h2 class='ok'>Nothing failed: {what}</h2>"]
    parts = ["<section class='verdict'>"]
    by_pairing: dict[int | None, list[Any]] = {}
    loose: dict[int | None, list[Any]] = {}  # findings of no pairing, by connection
    for f in analysis.findings:
        by_pairing.setdefault(f.pairing, []).append(f)
        if f.pairing is None:
            loose.setdefault(f.connection, []).append(f)
    suggestions: dict[int | None, list[Any]] = {}
    for sug in analysis.suggestions:
        suggestions.setdefault(sug.pairing, []).append(sug)
    for p in failed[:VERDICT_ITEMS]:
        parts.append(
            f"<h2 class='error'>Pairing {p.id} (connection {p.connection}) failed: "
            f"{e(pairing_headline(p))}</h2>"
        )
        parts.extend(_finding_block(f, brief=True) for f in by_pairing.get(p.id, [])[:2])
        parts.extend(_suggestion(sug) for sug in suggestions.get(p.id, []))
    parts += _more(len(failed), VERDICT_ITEMS, "failed pairings")
    for x in refused[:VERDICT_ITEMS]:
        parts.append(
            f"<h2 class='error'>Connection {x.connection}: {e(explain_encryption(x))}</h2>"
        )
        parts.extend(
            _finding_block(f, brief=True)
            for f in loose.get(x.connection, [])
            if x.frame in f.frames
        )
    parts += _more(len(refused), VERDICT_ITEMS, "refused encryptions")
    parts.append("</section>")
    return parts


def _more(total: int, shown: int, what: str, how: str = "the first {} are shown here") -> list[str]:
    """The line that says what a capped list left out (nothing when it left nothing out)."""
    if total <= shown:
        return []
    return [
        f"<p class='more'>{total} {what} in all; {how.format(shown)}. "
        "<code>bpdiag analyze</code> tells every one (<code>--json</code> for tools).</p>"
    ]


def _suggestion(s: Any) -> str:
    e = escape
    items = "".join(f"<li><code>{e(c)}</code></li>" for c in s.commands)
    items += "".join(f"<li>{e(a)}</li>" for a in s.also)
    return (
        f"<h3>What would work</h3><p>io <code>{e(s.io_capability)}</code>, MITM "
        f"{'on' if s.mitm else 'off'}, SC {'on' if s.sc else 'off'}, bonding "
        f"{'on' if s.bonding else 'off'}, key size {s.max_key_size} — {e(s.why)}</p>"
        + (f"<ul>{items}</ul>" if items else "")
    )


def _finding_block(f: Any, brief: bool = False) -> str:
    e = escape
    frames = ", ".join(f"#{n}" for n in f.frames)
    spec = f" · {e(f.spec)}" if f.spec else ""
    return (
        f"<div class='finding sev-{e(f.severity)}'><b class='{e(f.severity)}'>"
        f"{e(f.severity.upper())} {e(f.code)}</b>: {e(f.title)}"
        f"<p>{_inline_code(e(f.detail))}</p>"
        f"<div class='fix'><b>Fix:</b> {markdown(f.fix)}</div>"
        f"<small>evidence {e(frames)}{spec}</small></div>"
    )


def _endpoints(c: Connection | None) -> str:
    if c is None:
        return ""
    e = escape
    return (
        f"<p>central {e(c.central.address or 'unknown')} · peripheral "
        f"{e(c.peripheral.address or 'unknown')}</p>"
    )


def _att_errors(analysis: Diagnosed) -> list[str]:
    e = escape
    errs = analysis.att_errors
    parts = ["<h2>ATT errors</h2>"]
    if not errs:
        return [*parts, "<p>None.</p>"]
    parts.append(
        "<table><tr><th>frame</th><th>connection</th><th>request</th><th>handle</th>"
        "<th>error</th><th>link encrypted</th></tr>"
    )
    for a in errs[:ATT_ROWS]:
        parts.append(
            f"<tr><td>#{a.frame}</td><td>{a.connection if a.connection is not None else ''}</td>"
            f"<td>{e(a.request_name)}</td><td>0x{a.handle:04x}</td>"
            f"<td>{e(a.error_name)} (0x{a.error:02x})</td><td>{'yes' if a.encrypted else 'no'}"
            "</td></tr>"
        )
    parts.append("</table>")
    if len(errs) > ATT_ROWS:
        parts.append(
            f"<p>… and {len(errs) - ATT_ROWS} more ATT errors (first {ATT_ROWS} shown).</p>"
        )
    return parts


def _decryption(analysis: Diagnosed) -> list[str]:
    """What ``render_text`` says of the link decryption: packets decrypted, not decrypted,
    counters skipped, and which key (named by its source, never its value) opened each link."""
    d = analysis.decryption
    if d is None:
        return []
    e = escape
    parts = [
        "<h3>Decryption</h3>",
        f"<p>{d.decrypted} encrypted packet(s) decrypted, {d.not_decrypted} not (no known key "
        f"verified their MIC), {d.counters_skipped} packet counter value(s) skipped (packets "
        "the sniffer missed) — docs/decryption.md</p>",
    ]
    if d.keys:
        parts.append("<ul class='decryption'>")
        parts.extend(
            f"<li>link {e(str(k['access_address']))} from #{int(k['frame'])}: "
            f"{e(str(k['key']))}</li>"
            for k in d.keys
        )
        parts.append("</ul>")
    return parts


def _drawn(pairings: list[Pairing]) -> list[Pairing]:
    """The pairings whose ladders are drawn, in capture order: the failed ones, then the
    earliest others, ``LADDERS`` in all."""
    if len(pairings) <= LADDERS:
        return pairings
    failed = [p for p in pairings if p.outcome == Outcome.FAILED][:LADDERS]
    chosen = {id(p) for p in failed}
    others = (p for p in pairings if id(p) not in chosen)
    chosen.update(id(p) for _, p in zip(range(LADDERS - len(failed)), others, strict=False))
    return [p for p in pairings if id(p) in chosen]


def _finding_counts(analysis: Diagnosed) -> list[str]:
    """How many findings of each kind (code and severity), most frequent first."""
    counts: dict[tuple[str, str, str], int] = {}
    for f in analysis.findings:
        key = (f.code, f.severity, f.title)
        counts[key] = counts.get(key, 0) + 1
    rows = sorted(counts.items(), key=lambda kv: -kv[1])
    e = escape
    return [
        "<table class='counts'><tr><th>findings</th><th>kind</th></tr>",
        *(
            f"<tr><td>{n}</td><td><b class='{e(sev)}'>{e(sev.upper())} {e(code)}</b>: "
            f"{e(title)}</td></tr>"
            for (code, sev, title), n in rows
        ),
        "</table>",
    ]


def render_html(analysis: Diagnosed) -> str:
    cap = analysis.capture
    e = escape
    name = PurePath(cap.path).name or cap.path
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>bpdiag — {e(name)}</title><style>{_CSS}</style></head><body>",
        f"<h1>bpdiag report — {e(name)}</h1>",
        *_verdict(analysis),
    ]
    conns = {c.id: c for c in analysis.connections}
    if analysis.pairings:
        parts.append("<h2>Ladders</h2>")
    drawn = _drawn(analysis.pairings)
    parts += _more(
        len(analysis.pairings),
        len(drawn),
        "pairings",
        "the ladders of {} are drawn here, failed pairings first",
    )
    for p in drawn:
        c = conns.get(p.connection)
        parts.append(
            f"<h3>Connection {p.connection} · Pairing {p.id}: {e(pairing_headline(p))}</h3>"
        )
        parts.append(_endpoints(c))
        parts.append(_ladder(p))
        parts.append(f"<p>{e(explain_pairing(p, c))}</p>")
        checks = check_lines(p)
        if checks:
            parts.append(
                "<ul class='checks'>"
                + "".join(f"<li>{e(x.strip())}</li>" for x in checks)
                + "</ul>"
            )
    if analysis.security_requests:
        parts.append("<h2>Security Requests that no pairing followed</h2><ul>")
        parts.extend(
            f"<li>Connection {sr.connection}: {e(explain_security_request(sr))}</li>"
            for sr in analysis.security_requests[:SECURITY_REQUESTS]
        )
        parts.append("</ul>")
        parts += _more(
            len(analysis.security_requests),
            SECURITY_REQUESTS,
            "such Security Requests",
        )
    parts.append("<h2>Details</h2>")
    parts += [
        "<table>",
        f"<tr><th>capture</th><td>{e(name)}</td></tr>",
        f"<tr><th>format</th><td>{e(cap.format)} ({e(cap.link_type_name)})</td></tr>",
        f"<tr><th>records</th><td>{cap.records}</td></tr>",
        f"<tr><th>connections</th><td>{len(analysis.connections)}</td></tr>",
        f"<tr><th>pairings</th><td>{len(analysis.pairings)}</td></tr>",
        f"<tr><th>problems reading</th><td>{len(analysis.problems) + analysis.problems_dropped}"
        "</td></tr>",
        "</table>",
    ]
    for pr in analysis.problems[:20]:
        parts.append(f"<p class='error'>{e(describe_problem(pr))}</p>")
    parts += _decryption(analysis)
    parts.append("<h3>Findings</h3>")
    if not analysis.findings:
        parts.append("<p>None.</p>")
    if len(analysis.findings) > FINDINGS:
        parts += _finding_counts(analysis)
    parts.extend(_finding_block(f) for f in analysis.findings[:FINDINGS])
    parts += _more(len(analysis.findings), FINDINGS, "findings")
    parts += _att_errors(analysis)
    if analysis.connections:
        parts.append("<h3>Connections</h3><ul>")
        encryptions: dict[int, list[str]] = {}
        for x in analysis.encryptions:
            encryptions.setdefault(x.connection, []).append(explain_encryption(x))
        for c in analysis.connections[:CONNECTIONS]:
            encs = encryptions.get(c.id, [])
            parts.append(
                f"<li>Connection {c.id}: central {e(c.central.address or 'unknown')}, "
                f"peripheral {e(c.peripheral.address or 'unknown')}"
                + (f" — {e(' '.join(encs))}" if encs else "")
                + (
                    f"; disconnected: {e(c.disconnect_reason_name)}"
                    if c.disconnect_reason_name
                    else ""
                )
                + "</li>"
            )
        parts.append("</ul>")
        parts += _more(len(analysis.connections), CONNECTIONS, "connections")
    parts.append("</body></html>")
    return "\n".join(parts)
