"""One self-contained HTML page to attach to a bug report: capture facts, each pairing's
ladder drawn as SVG, the findings with their fixes, and what would work.  No scripts, no
external resources; key values never appear (the analysis holds none)."""

from __future__ import annotations

from html import escape

from bpdiag.analysis.model import Analysis, Pairing
from bpdiag.report.text import (
    check_lines,
    explain_pairing,
    explain_security_request,
    pairing_headline,
)

_CSS = """
body{font-family:system-ui,sans-serif;margin:2em;max-width:70em;color:#222}
h1{font-size:1.4em} h2{font-size:1.15em;margin-top:2em} h3{font-size:1em}
table{border-collapse:collapse}
td,th{padding:.2em .6em;border-bottom:1px solid #ddd;text-align:left}
.error{color:#b00020} .warning{color:#a15c00} .info{color:#555}
.finding{border-left:4px solid #ccc;padding:.3em .8em;margin:.6em 0}
.finding.sev-error{border-color:#b00020} .finding.sev-warning{border-color:#e69500}
code{background:#f4f4f4;padding:0 .2em}
"""


def _ladder_svg(p: Pairing) -> str:
    """Central and peripheral lifelines with one arrow per SMP PDU (and the encryption)."""
    left, right, top, step = 90, 610, 40, 34
    rows: list[tuple[int, str, str, bool]] = []  # frame, sender, label, failed
    enc_done = False
    for s in p.steps:
        if p.encrypted_frame is not None and not enc_done and s.frame > p.encrypted_frame:
            rows.append((p.encrypted_frame, "enc", "link encryption started", False))
            enc_done = True
        rows.append((s.frame, s.sender, s.msg.summary(), s.code == 0x05))
    if p.encrypted_frame is not None and not enc_done:
        rows.append((p.encrypted_frame, "enc", "link encryption started", False))
    h = top + step * len(rows) + 20
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="700" height="{h}" '
        'font-family="sans-serif" font-size="12">',
        '<defs><marker id="a" markerWidth="10" markerHeight="8" refX="9" refY="4" '
        'orient="auto"><path d="M0,0 L10,4 L0,8 z" fill="context-stroke"/></marker></defs>',
        f'<text x="{left}" y="20" text-anchor="middle" font-weight="bold">Central</text>',
        f'<text x="{right}" y="20" text-anchor="middle" font-weight="bold">Peripheral</text>',
        f'<line x1="{left}" y1="28" x2="{left}" y2="{h - 5}" stroke="#888"/>',
        f'<line x1="{right}" y1="28" x2="{right}" y2="{h - 5}" stroke="#888"/>',
    ]
    t0 = p.steps[0].time if p.steps else 0.0
    times = {s.frame: s.time for s in p.steps}
    for i, (frame, sender, label, failed) in enumerate(rows):
        y = top + step * i + 18
        color = "#b00020" if failed else "#1b5e20" if sender == "enc" else "#1f3b73"
        text = escape(label[:90])
        if sender == "enc":
            out.append(
                f'<line x1="{left}" y1="{y}" x2="{right}" y2="{y}" stroke="{color}" '
                'stroke-width="3" stroke-dasharray="6 3"/>'
            )
        else:
            x1, x2 = (left, right) if sender != "peripheral" else (right, left)
            out.append(
                f'<line x1="{x1}" y1="{y}" x2="{x2}" y2="{y}" stroke="{color}" '
                'stroke-width="1.5" marker-end="url(#a)"/>'
            )
        out.append(
            f'<text x="{(left + right) / 2}" y="{y - 5}" text-anchor="middle" '
            f'fill="{color}">{text}</text>'
        )
        dt = f"+{(times[frame] - t0) * 1000:.0f} ms" if frame in times else ""
        out.append(f'<text x="5" y="{y + 4}" fill="#555">#{frame}</text>')
        out.append(f'<text x="{right + 8}" y="{y + 4}" fill="#555">{dt}</text>')
    out.append("</svg>")
    return "\n".join(out)


def render_html(analysis: Analysis) -> str:
    cap = analysis.capture
    e = escape
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>bpdiag — {e(cap.path)}</title><style>{_CSS}</style></head><body>",
        f"<h1>bpdiag report — {e(cap.path)}</h1>",
        "<table>",
        f"<tr><th>format</th><td>{e(cap.format)} ({e(cap.link_type_name)})</td></tr>",
        f"<tr><th>records</th><td>{cap.records}</td></tr>",
        f"<tr><th>connections</th><td>{len(analysis.connections)}</td></tr>",
        f"<tr><th>pairings</th><td>{len(analysis.pairings)}</td></tr>",
        f"<tr><th>problems reading</th><td>{len(analysis.problems)}</td></tr>",
        "</table>",
    ]
    for pr in analysis.problems[:20]:
        parts.append(
            f"<p class='error'>record {pr.record}, offset {pr.offset}: {e(pr.message)}</p>"
        )
    conns = {c.id: c for c in analysis.connections}
    for p in analysis.pairings:
        c = conns.get(p.connection)
        parts.append(
            f"<h2>Connection {p.connection} · Pairing {p.id}: {e(pairing_headline(p))}</h2>"
        )
        if c is not None:
            parts.append(
                f"<p>central {e(c.central.address or 'unknown')} · peripheral "
                f"{e(c.peripheral.address or 'unknown')}</p>"
            )
        parts.append(_ladder_svg(p))
        parts.append(f"<p>{e(explain_pairing(p, c))}</p>")
        checks = check_lines(p)
        if checks:
            parts.append(
                "<ul class='checks'>"
                + "".join(f"<li>{e(x.strip())}</li>" for x in checks)
                + "</ul>"
            )
        for s in (s for s in analysis.suggestions if s.pairing == p.id):
            parts.append(
                f"<h3>What would work</h3><p>io {e(s.io_capability)}, MITM "
                f"{'on' if s.mitm else 'off'}, SC {'on' if s.sc else 'off'}, bonding "
                f"{'on' if s.bonding else 'off'} — {e(s.why)}</p><ul>"
                + "".join(f"<li><code>{e(c_)}</code></li>" for c_ in s.commands)
                + "".join(f"<li>{e(a)}</li>" for a in s.also)
                + "</ul>"
            )
    if analysis.security_requests:
        parts.append("<h2>Security Requests that no pairing followed</h2><ul>")
        parts.extend(
            f"<li>Connection {sr.connection}: {e(explain_security_request(sr))}</li>"
            for sr in analysis.security_requests
        )
        parts.append("</ul>")
    parts.append("<h2>Findings</h2>")
    if not analysis.findings:
        parts.append("<p>None.</p>")
    for f in analysis.findings:
        frames = ", ".join(f"#{n}" for n in f.frames)
        parts.append(
            f"<div class='finding sev-{e(f.severity)}'><b class='{e(f.severity)}'>"
            f"{e(f.severity.upper())} {e(f.code)}</b>: {e(f.title)}<br>{e(f.detail)}<br>"
            f"<small>evidence {e(frames)} · {e(f.spec)}</small><br><b>Fix:</b> {e(f.fix)}</div>"
        )
    parts.append("</body></html>")
    return "\n".join(parts)
