"""The rule catalogue: every finding bpdiag can report (docs/rules.md is generated from it)."""

from __future__ import annotations

from bpdiag.analysis.gc_pause import gc_paused
from bpdiag.analysis.model import Analysis
from bpdiag.rules import (  # noqa: F401  (importing registers the rules)
    att_security,
    bluez_host,
    bluez_pairing,
    bredr,
    capture_quality,
    keys,
    links,
    smp_failures,
    stories,
)
from bpdiag.rules.base import CATALOGUE, CHECKS, Finding, RuleInfo, Severity

_SEVERITY_ORDER = {s: i for i, s in enumerate(Severity)}  # worst first


@gc_paused()
def run_rules(analysis: Analysis) -> list[Finding]:
    """Run every check; findings sorted by connection, first evidence frame, severity."""
    found: list[Finding] = []
    for check in CHECKS:
        found.extend(check(analysis))
    found.sort(
        key=lambda f: (
            f.connection if f.connection is not None else 1 << 30,
            f.frames[0] if f.frames else 0,
            _SEVERITY_ORDER[f.severity],
            f.code,
        )
    )
    return found


def catalogue_markdown() -> str:
    """docs/rules.md, generated from the catalogue (tests keep the file in sync)."""
    lines = [
        "# Rule catalogue",
        "",
        "Generated from `bpdiag/rules` by `python -m bpdiag.rules` — do not edit by hand.",
        "Each finding carries the code, severity, title, a detail that cites this capture's",
        "facts, the fix, the spec reference and the evidence frames.",
        "",
        "| code | severity | title |",
        "|---|---|---|",
    ]
    infos = sorted(CATALOGUE.values(), key=lambda i: i.code)
    lines += [f"| `{i.code}` | {i.severity} | {i.title} |" for i in infos]
    for i in infos:
        lines += [
            "",
            f"## `{i.code}`",
            "",
            f"**{i.title}** — severity *{i.severity}*; spec: {i.spec}.",
            "",
            i.explanation,
            "",
            f"Fix: {i.fix}",
        ]
    lines += _explain_markdown()
    return "\n".join(lines) + "\n"


def _explain_markdown() -> list[str]:
    """The stack messages ``bpdiag explain`` knows that cite their source."""
    from bpdiag.rules.explain import CATALOGUE as EXPLAINED

    cited = [e for e in EXPLAINED if e.cite]
    lines = [
        "",
        "# Stack messages (`bpdiag explain`)",
        "",
        "Each message is matched under its own stack; the numbers come from the cited source.",
        "",
        "| key | message | finding(s) | source |",
        "|---|---|---|---|",
    ]
    for e in cited:
        findings = ", ".join(dict.fromkeys(f"`{c.finding}`" for c in e.causes)) or "—"
        lines.append(f"| `{e.key}` | {e.source} | {findings} | {e.cite} |")
    return lines


__all__ = ["CATALOGUE", "Finding", "RuleInfo", "catalogue_markdown", "run_rules"]
