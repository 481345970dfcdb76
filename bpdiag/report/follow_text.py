"""What ``bpdiag analyze --follow`` / ``--live`` prints as a capture grows: each pairing as
it ends and each unanswered Security Request (a JSON Lines event, or the text report's
pairing section), then the summary when the user stops it."""

from __future__ import annotations

import json

from bpdiag.analysis.model import Pairing, SecurityProcedure
from bpdiag.report.json_objects import finding_json
from bpdiag.report.json_report import dumps_analysis
from bpdiag.report.text import render_pairing, render_security_request
from bpdiag.rules.diagnosis import Diagnosed


def pairing_event(analysis: Diagnosed, p: Pairing, why: str, as_json: bool, show_keys: bool) -> str:
    """A pairing that ended (``why``: how the follower saw it end; "timeout" is the SMP
    timeout)."""
    if as_json:
        rec = {
            "event": "pairing",
            "ended": why,
            "pairing": p.id,
            "connection": p.connection,
            "outcome": p.outcome,
            "findings": [finding_json(f) for f in analysis.findings],
        }
        return json.dumps(rec) + "\n"
    note = " (no SMP PDU for 30 s: the SMP timeout)" if why == "timeout" else ""
    return render_pairing(analysis, p, show_keys).rstrip("\n") + note + "\n\n"


def security_request_event(analysis: Diagnosed, proc: SecurityProcedure, as_json: bool) -> str:
    """A Security Request nothing answered in time."""
    if as_json:
        rec = {
            "event": "security_request",
            "ended": "timeout",
            "connection": proc.connection,
            "frame": proc.request.frame,
            "findings": [finding_json(f) for f in analysis.findings],
        }
        return json.dumps(rec) + "\n"
    return render_security_request(analysis, proc) + "\n"


def follow_summary(analysis: Diagnosed, reported: set[int], as_json: bool, show_keys: bool) -> str:
    """The end: the whole analysis (JSON), or the pairings not yet shown, a count of the
    outcomes and the findings about no pairing in particular."""
    if as_json:
        return (
            json.dumps({"event": "summary"})[:-1]
            + ', "analysis": '
            + dumps_analysis(analysis)
            + "}\n"
        )
    out = [
        render_pairing(analysis, p, show_keys) + "\n"
        for p in analysis.pairings
        if p.id not in reported
    ]
    counts: dict[str, int] = {}
    for p in analysis.pairings:
        counts[p.outcome] = counts.get(p.outcome, 0) + 1
    told = ", ".join(f"{n} {k}" for k, n in sorted(counts.items())) or "no pairing"
    out.append(f"Summary: {analysis.capture.records} records, {told}.\n")
    out += [
        f"  [{f.severity.upper()}] {f.code}: {f.detail}\n"
        for f in analysis.findings
        if f.pairing is None
    ]
    return "".join(out)
