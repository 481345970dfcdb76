"""What ``bpdiag explain ERROR`` prints, and ``bpdiag pair`` when an attempt left no
pairing to analyse: the catalogue's entries (``rules/explain.py``) for a message, the wire
causes each can stand for with the finding that shows it, and how to record a capture."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bpdiag.rules import CATALOGUE
from bpdiag.rules.explain import (
    HOW_TO_CAPTURE,
    MAX_LOG_LINES,
    MAX_SEARCH_SECONDS,
    MAX_SEARCHED,
    MAX_SHOWN,
    Explanation,
    LogExplanations,
)
from bpdiag.rules.packet_list import PacketListStory


def render_unknown(text: str, what: str = "the message") -> str:
    """``what`` (the message ``text``, or any message in the log so named) is in no entry:
    how to record a capture instead."""
    lines = [
        f"bpdiag does not know {what} {text!r}. Record a capture and run `bpdiag analyze` on it:"
    ]
    lines += [f"  - {how}" for how in HOW_TO_CAPTURE.values()]
    return "\n".join(lines) + "\n"


def render_explanations(hits: list[Explanation]) -> str:
    """Each entry: where the message comes from, what it means, its wire causes (with the
    title of the finding that shows each) and how to tell them apart."""
    lines: list[str] = []
    for e in hits:
        lines += [f"{e.source}", f"  {e.meaning}"]
        if e.causes:
            lines.append("  Possible causes on the wire (and the bpdiag finding that shows each):")
        for c in e.causes:
            title = CATALOGUE[c.finding].title if c.finding in CATALOGUE else ""
            lines.append(f"    - {c.wire}  →  {c.finding}" + (f" ({title})" if title else ""))
        if e.capture:
            lines.append("  To tell them apart, record a capture:")
        lines += [f"    - {HOW_TO_CAPTURE[k]}" for k in e.capture]
        lines.append("")
    return "".join(line + "\n" for line in lines)


def render_log(name: str, result: LogExplanations) -> str:
    """``bpdiag explain --file LOG``: each known message with the lines that show it."""
    known = len(result.found)
    head = f"{name}: {result.lines} line(s) read; {known} message(s) bpdiag knows"
    lines = [head + (":" if known else ".")]
    if result.stopped:
        lines.append(
            f"  (reading stopped at line {result.lines}: at most {MAX_LOG_LINES:,} lines are "
            f"read and {MAX_SEARCHED:,} distinct ones searched, for {MAX_SEARCH_SECONDS:.0f} s "
            "at most; cut the log to the failure)"
        )
    lines.append("")
    if result.packet_list is not None:
        lines += packet_list_lines(result.packet_list)
    text = "\n".join(lines) + "\n"
    for e, numbers in result.found:
        more = " …" if len(numbers) == MAX_SHOWN else ""
        where = "line " if len(numbers) == 1 else "lines "
        text += f"{where}{', '.join(map(str, numbers))}{more}: " + render_explanations([e])
    if not known and result.packet_list is None:
        text += render_unknown(name, "any message in")
    return text


def packet_list_lines(story: PacketListStory) -> list[str]:
    """A packet list's story: per connection the lines in order, then what they show (with
    the finding the catalogue names for it), then what a packet list cannot tell."""
    out = [
        f"{story.fmt}'s packet list as text: {story.rows} summary line(s), read in order "
        "(no packet bytes: what the Info column says, no more)."
    ]
    if story.stopped:
        out.append(f"  (only the first {story.rows:,} summary lines were read)")
    for conv in story.conversations:
        out += ["", f"Connection {conv.name}:"]
        out += [f"  {step}" for step in conv.steps]
        for v in conv.verdicts:
            finding = f" (finding {v.code}: {v.title})" if v.code else ""
            out.append(f"  → {v.text}{finding}")
    if story.controller:
        out += ["", "HCI (controller ↔ host, no connection named on these lines):"]
        out += [f"  {step}" for step in story.controller]
    out += ["", "What a packet list cannot tell:"]
    out += [f"  - {u}" for u in story.unknown]
    if story.failed:
        out.append(
            "  For the verdict on those, attach the capture file itself (Wireshark: File → "
            "Save As… pcapng; PacketLogger: the .pklg) and run `bpdiag analyze` on it."
        )
    out.append("")
    return out


def possible_causes(hits: list[Explanation]) -> list[dict[str, str]]:
    return [{"wire": c.wire, "finding": c.finding} for e in hits for c in e.causes]


def stack_result_json(
    result: str, hits: list[Explanation], attempt: dict[str, Any]
) -> dict[str, Any]:
    """``bpdiag pair --json`` when nothing was analysed (schema ``bpdiag.pair/1``)."""
    return {
        "schema": "bpdiag.pair/1",
        "result": result,
        "capture": None,
        "possible_causes": possible_causes(hits),
        "attempt": attempt,
    }


def render_stack_result(result: str, hits: list[Explanation], capture: Path) -> str:
    """The stack's answer, why there is no analysis, and the wire causes it can stand for."""
    if capture.exists() and capture.stat().st_size > 16:
        why = f"the recording {capture} holds no pairing: the attempt ended before SMP"
    else:
        why = "no capture could be recorded: run as root with btmon installed to see why"
    lines = [f"result: {result} ({why})"]
    lines += [f"  possible cause: {c['wire']} → {c['finding']}" for c in possible_causes(hits)]
    return "".join(line + "\n" for line in lines)
