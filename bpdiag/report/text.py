"""The human report of ``bpdiag analyze``: per connection, the pairing ladder and plain words.

This is the only place that turns an ``Analysis`` into text for people.  No colour codes:
the output is meant for terminals, files and bug reports alike.
"""

from __future__ import annotations

import functools
import textwrap
from collections.abc import Iterable, Iterator
from typing import Any, TextIO

from bpdiag.analysis.features import exchanged
from bpdiag.analysis.index import connection_with
from bpdiag.analysis.model import (
    CheckResult,
    Connection,
    Encryption,
    Method,
    Outcome,
    Pairing,
    RequestOutcome,
    Role,
    SecurityProcedure,
)
from bpdiag.decode.pdu import Layer
from bpdiag.decode.smp import error_meaning, error_name
from bpdiag.report.problems import describe as describe_problem
from bpdiag.report.smp_text import smp_summary
from bpdiag.report.terminal import escape_controls
from bpdiag.rules.base import Severity
from bpdiag.rules.diagnosis import Diagnosed
from bpdiag.rules.evidence import check_detail
from bpdiag.rules.smp_failures import failure_sender

METHOD_WORDS: dict[Method | None, str] = {
    Method.JUST_WORKS: "Just Works",
    Method.NUMERIC_COMPARISON: "Numeric Comparison",
    Method.PASSKEY_ENTRY: "Passkey Entry",
    Method.OOB: "Out of Band",
}


def _addr(ep_addr: str | None, ep_type: str | None) -> str:
    if ep_addr is None:
        return "unknown"
    return f"{ep_addr} ({ep_type})" if ep_type else ep_addr


# Why a Pairing Failed's sender is unknown (Failure.sender_unknown), in words.
SENDER_UNKNOWN = {
    "local-role-unknown": "the log shows the direction but not which role the local side had",
    "no-direction": "the capture records no direction, and either side may send this reason "
    "at that point of the pairing",
    "no-direction-air": "the sniffer recorded no direction, and a PDU it missed could sit "
    "before the Pairing Failed",
}


def pairing_headline(p: Pairing) -> str:
    kind = {True: "LE Secure Connections", False: "LE legacy", None: "LE pairing"}[
        p.secure_connections
    ]
    if p.request is None or p.response is None:
        missing = "Request" if p.request is None else "Response"
        return f"{kind} · method unknown (no Pairing {missing}) · {p.outcome.upper()}"
    method = METHOD_WORDS.get(p.method, "method unknown")
    return f"{kind} · {method} · {p.outcome.upper()}"


def explain_pairing(p: Pairing, conn: Connection | None) -> str:
    """One paragraph saying what happened, in plain words."""
    if p.cut_frames and p.failure is None:
        # A log that cut SMP PDUs (btsnooz): say only what it shows.
        cut = ", ".join(f"#{f}" for f in p.cut_frames[:6]) + (" …" if len(p.cut_frames) > 6 else "")
        enc = (
            f"; link encryption started at #{p.encrypted_frame}"
            if p.encrypted_frame is not None
            else ""
        )
        return (
            f"The log cut {len(p.cut_frames)} SMP PDUs of this pairing ({cut}): whether it "
            f"succeeded and which keys were distributed is not in the capture{enc}."
        )
    if p.outcome == Outcome.SUCCESS:
        keys = ", ".join(sorted({k.key for k in p.keys})) or "none seen"
        bond = ""
        if p.request and p.response and not (p.request.bonding and p.response.bonding):
            bond = " Keys are not kept: bonding was not asked for by both sides."
        end = ""
        if (
            p.keys
            and (p.request is None or p.response is None)
            and conn is not None
            and conn.disconnect_frame is None
            and conn.last_frame == p.keys[-1].frame
        ):  # the key distribution agreed on is unknown, and the log shows nothing after it
            end = (
                f" Key distribution is the last the log shows of this link (#{p.keys[-1].frame})"
                " and without the Pairing Request and Response the keys agreed on are not "
                "known: whether all arrived and the pairing completed is not in the log."
            )
        return (
            f"Paired with {METHOD_WORDS.get(p.method, 'an unknown method')}; "
            f"encryption started at #{p.encrypted_frame}. Keys distributed: {keys}.{bond}{end}"
        )
    if p.failure is not None:
        f = p.failure
        if f.layer == Layer.SMP:
            meaning = error_meaning(f.reason)
            why = SENDER_UNKNOWN.get(f.sender_unknown or "")
            which = f" Which side sent it is not known: {why}." if why else ""
            if why and f.local is not None:
                which = f" Whether that is the central or the peripheral is not known: {why}."
            return (
                f"{failure_sender(f)} ended the pairing at #{f.frame} with "
                f"Pairing Failed: {f.name} (0x{f.reason:02x}) — {meaning}.{which}"
            )
        return (
            f"Phase 2 finished but starting encryption failed at #{f.frame}: "
            f"{f.name} (0x{f.reason:02x})."
        )
    # incomplete
    last = p.steps[-1].name if p.steps else "nothing"
    tail = "the capture ends"
    if conn is not None and conn.disconnect_frame is not None:
        tail = f"the link was closed at #{conn.disconnect_frame}" + (
            f" ({conn.disconnect_reason_name}, 0x{conn.disconnect_reason:02x})"
            if conn.disconnect_reason is not None
            else ""
        )
    if p.encrypted_frame is not None and not p.phase2_started:
        return (
            f"Encryption started at #{p.encrypted_frame} although phase 2 of the pairing "
            "(Confirm/Random, or Public Key/DHKey Check) never ran — the key cannot have come "
            "from this pairing."
        )
    return f"The pairing did not finish: the last step seen was {last}, then {tail}."


def explain_security_request(s: SecurityProcedure) -> str:
    """One line for a Security Request the central answered without pairing (or not at all)."""
    head = f"#{s.request.frame}: Security Request"
    if s.repeats:
        head += f" (sent {s.repeats + 1} times)"
    if s.outcome == RequestOutcome.ENCRYPTED:
        return (
            f"{head} answered by encryption with the stored key at #{s.answer_frame} — a "
            "bonded device reconnecting, not a pairing."
        )
    if s.outcome == RequestOutcome.ENCRYPTION_REFUSED:
        return (
            f"{head} answered by encryption with a stored key, refused at #{s.answer_frame} "
            f"(0x{s.encryption_status or 0:02x}); no pairing followed."
        )
    if s.outcome == RequestOutcome.DISCONNECTED:
        return f"{head} not answered; the link closed at #{s.answer_frame}."
    return f"{head} not answered before the capture ends."


def explain_encryption(e: Encryption) -> str:
    if e.after_pairing:
        what = "with the key from this pairing"
    elif e.smp_cut_before:  # Android 11's filtered log: the SMP PDUs before it were cut
        what = "after SMP PDUs the log cut (a new or a stored key: not in the capture)"
    else:
        what = "with a stored key"
    if e.status == 0:
        return f"#{e.frame}: encryption started {what}."
    return f"#{e.frame}: encryption {what} FAILED: {e.status_name} (0x{e.status:02x})."


SECURITY_ATT_ERRORS = frozenset({0x05, 0x08, 0x0C, 0x0F})


WIDTH = 96  # columns of the wrapped paragraphs


@functools.lru_cache(maxsize=4096)
def _wrap(text: str, initial: str, subsequent: str) -> tuple[str, ...]:
    """``textwrap.wrap(text, WIDTH, …)``; remembered, as a day-long log repeats the same fix
    and advice thousands of times.  Plain text (printable, no whitespace textwrap would
    rewrite or drop) is wrapped here, as textwrap would, without its regular expressions."""
    if text and text.isprintable() and not text.endswith(" "):
        if len(initial) + len(text) <= WIDTH:
            return (initial + text,)
        if "-" not in text and "  " not in text and not text.startswith(" "):
            words = text.split(" ")
            if max(map(len, words)) <= WIDTH - max(len(initial), len(subsequent)):
                return _greedy(words, initial, subsequent)
    return tuple(textwrap.wrap(text, WIDTH, initial_indent=initial, subsequent_indent=subsequent))


def _greedy(words: list[str], initial: str, subsequent: str) -> tuple[str, ...]:
    """What ``textwrap.wrap`` makes of words parted by single spaces, none with a hyphen
    (where textwrap may break a word) nor longer than a line: each line takes the words
    that fit."""
    lines = []
    line = [initial + words[0]]
    size = len(line[0])
    for w in words[1:]:
        if size + 1 + len(w) <= WIDTH:
            line.append(w)
            size += 1 + len(w)
        else:
            lines.append(" ".join(line))
            line = [subsequent + w]
            size = len(line[0])
    lines.append(" ".join(line))
    return tuple(lines)


def _render_findings(findings: list[Any], indent: str) -> list[str]:
    out = []
    for f in findings:
        frames = ", ".join(f"#{n}" for n in f.frames)
        out.append(f"{indent}[{f.severity.upper()}] {f.code}: {f.title}")
        out.extend(_wrap(f.detail, indent + "    ", indent + "    "))
        if frames:
            out.append(f"{indent}    evidence: {frames}   ({f.spec})")
        out.extend(_wrap("fix: " + f.fix, indent + "    ", indent + "         "))
    return out


class _Lookups:
    """Findings by (connection, pairing) and by connection, the first suggestion per
    pairing, ATT errors by connection: grouped once, so the report does not scan every
    finding for each connection and pairing."""

    def __init__(self, analysis: Diagnosed) -> None:
        self.findings: dict[tuple[Any, Any], list[Any]] = {}
        self.conns_with_findings: set[Any] = set()
        for f in analysis.findings:
            self.findings.setdefault((f.connection, f.pairing), []).append(f)
            self.conns_with_findings.add(f.connection)
        self.suggestion: dict[Any, Any] = {}
        for sug in analysis.suggestions:
            self.suggestion.setdefault(sug.pairing, sug)
        self.att_errors: dict[Any, list[Any]] = {}
        for a in analysis.att_errors:
            self.att_errors.setdefault(a.connection, []).append(a)


def _lookups(analysis: Diagnosed, lookups: _Lookups | None) -> _Lookups:
    return lookups if lookups is not None else _Lookups(analysis)


def _findings(
    analysis: Diagnosed, conn_id: int, pairing_id: int | None, lookups: _Lookups | None = None
) -> list[str]:
    chosen = _lookups(analysis, lookups).findings.get((conn_id, pairing_id), [])
    return _render_findings(chosen, "  ") if chosen else []


def _suggestion(analysis: Diagnosed, pairing_id: int, lookups: _Lookups | None = None) -> list[str]:
    s = _lookups(analysis, lookups).suggestion.get(pairing_id)
    if s is None:
        return []
    out = [
        f"  What would work: io={s.io_capability} mitm={'on' if s.mitm else 'off'} "
        f"sc={'on' if s.sc else 'off'} bonding={'on' if s.bonding else 'off'} "
        f"key size {s.max_key_size}"
    ]
    out.extend(_wrap(s.why, "    ", "    "))
    for a in s.also:
        out.append(f"    also: {a}")
    for c in s.commands:
        out.append(f"    $ {c}")
    return out


def _ladder(p: Pairing, show_keys: bool) -> Iterable[str]:
    t0 = p.steps[0].time if p.steps else 0.0
    shown_enc = False
    for s in p.steps:
        if s.sender == Role.CENTRAL:
            arrow = "C ──▶ P"
        elif s.sender == Role.PERIPHERAL:
            arrow = "C ◀── P"
        else:
            arrow = "C ─?─ P"
        if p.encrypted_frame is not None and s.frame > p.encrypted_frame and not shown_enc:
            shown_enc = True
            yield f"    #{p.encrypted_frame:<7} {'':>10}  ═══════  link encryption started"
        summary = smp_summary(s.msg, show_keys) + (" [decrypted]" if s.decrypted else "")
        yield f"    #{s.frame:<7} {s.time - t0:+9.3f}s  {arrow}  {summary}"
    if p.encrypted_frame is not None and not shown_enc:
        yield f"    #{p.encrypted_frame:<7} {'':>10}  ═══════  link encryption started"


def check_lines(p: Pairing, show_keys: bool = False) -> list[str]:
    """The spec checks redone from the capture's public values (analysis/verify.py); a
    recovered secret (the passkey of a successful pairing) only with ``show_keys``."""
    return [line for line, _ in check_rows(p, show_keys)]


def check_rows(p: Pairing, show_keys: bool = False) -> list[tuple[str, str | None]]:
    """``check_lines`` with the result each line tells (``CheckResult``; None for the number
    to compare), so a caller styles a line by its check, not by its text."""
    rows: list[tuple[str, str | None]] = []
    if p.numeric_value is not None:
        rows.append(
            (
                f"    number to compare (g2 from the exchanged values): {p.numeric_value:06d} — "
                "both devices should have shown it",
                None,
            )
        )
    for c in p.checks:
        secret = f" [passkey {c.secret}]" if c.secret is not None and show_keys else ""
        if c.result == CheckResult.NOT_CHECKED:
            rows.append((f"    – not checked: {check_detail(c)}", c.result))
            continue
        mark = "✓" if c.result == CheckResult.MATCH else "✗"
        rows.append((f"    {mark} checked: {check_detail(c)}{secret}", c.result))
    return rows


def _pairing_body(
    analysis: Diagnosed,
    p: Pairing,
    conn: Connection | None,
    show_keys: bool,
    look: _Lookups | None,
) -> list[str]:
    """A pairing's features, ladder, checks, story and findings (after its headline)."""
    out: list[str] = []
    for which, feat in exchanged(p):
        out.append(
            f"    {which:<8} io={feat.io_capability_name} oob={int(feat.oob)} "
            f"bonding={int(feat.bonding)} mitm={int(feat.mitm)} sc={int(feat.sc)} "
            f"key_size={feat.max_key_size}"
        )
    out.extend(_ladder(p, show_keys))
    out.extend(check_lines(p, show_keys))
    out.append(f"  → {explain_pairing(p, conn)}")
    out.extend(_findings(analysis, p.connection, p.id, look))
    return out


def render_text(analysis: Diagnosed, show_keys: bool = False) -> str:
    """The full human report."""
    return "\n".join(text_lines(analysis, show_keys)) + "\n"


def write_text(
    analysis: Diagnosed, out: TextIO, show_keys: bool = False, lines_per_write: int = 4096
) -> None:
    """Write ``escape_controls(render_text(analysis, show_keys))`` to ``out`` as it is
    produced, a few thousand lines at a time (the report of a day-long log is tens of
    megabytes: never held whole)."""
    chunk: list[str] = []
    for line in text_lines(analysis, show_keys):
        chunk.append(line)
        if len(chunk) >= lines_per_write:
            chunk.append("")
            out.write(escape_controls("\n".join(chunk)))
            chunk.clear()
    chunk.append("")
    out.write(escape_controls("\n".join(chunk)))


def text_lines(analysis: Diagnosed, show_keys: bool = False) -> Iterator[str]:
    """The lines of the full human report, as they are produced."""
    cap = analysis.capture
    packed = f" ({cap.compression}-compressed)" if cap.compression else ""
    yield f"{cap.path}: {cap.format}{packed}, {cap.link_type_name}, {cap.records} records"
    if analysis.problems:
        n = len(analysis.problems) + analysis.problems_dropped
        yield f"{n} problem(s) reading the capture (analysis went on):"
        for pr in analysis.problems[:10]:
            yield f"  - {describe_problem(pr)}"
        if n > 10:
            yield f"  … and {n - 10} more (see --json)"
    d = analysis.decryption
    if d is not None:
        yield (
            f"decryption: {d.decrypted} encrypted packet(s) decrypted, {d.not_decrypted} not "
            f"(no known key verified their MIC), {d.counters_skipped} packet counter value(s) "
            "skipped (packets the sniffer missed) — docs/decryption.md"
        )
        for k in d.keys:
            yield f"  link {k['access_address']} from #{k['frame']}: {k['key']}"
    look = _Lookups(analysis)
    srs_by_conn: dict[int, list[SecurityProcedure]] = {}
    for sr in analysis.security_requests:
        srs_by_conn.setdefault(sr.connection, []).append(sr)
    by_conn: dict[int | None, list[Pairing]] = {}
    for p in analysis.pairings:
        by_conn.setdefault(p.connection, []).append(p)
    enc_by_conn: dict[int, list[Encryption]] = {}
    for e in analysis.encryptions:
        enc_by_conn.setdefault(e.connection, []).append(e)
    shown = 0
    for conn in analysis.connections:
        pairings = by_conn.get(conn.id, [])
        encs = enc_by_conn.get(conn.id, [])
        atts = look.att_errors.get(conn.id, [])
        sec_atts = [a for a in atts if a.error in SECURITY_ATT_ERRORS]
        has_findings = conn.id in look.conns_with_findings
        if not (pairings or encs or sec_atts or has_findings):
            continue
        shown += 1
        yield ""
        what = f"handle 0x{conn.handle:04x}" if conn.handle is not None else ""
        if conn.access_address is not None:
            what = f"access address 0x{conn.access_address:08x}"
        role = f", local role {conn.local_role}" if conn.local_role else ""
        yield f"Connection {conn.id} — {conn.transport.upper()}, {what}{role}"
        yield f"  central    {_addr(conn.central.address, conn.central.address_type)}"
        yield f"  peripheral {_addr(conn.peripheral.address, conn.peripheral.address_type)}"
        end = f"frames {conn.first_frame}–{conn.last_frame}"
        if conn.disconnect_reason is not None:
            end += (
                f"; disconnected at #{conn.disconnect_frame}: "
                f"{conn.disconnect_reason_name} (0x{conn.disconnect_reason:02x})"
            )
        yield f"  {end}"
        for p in pairings:
            yield ""
            yield f"  Pairing {p.id}: {pairing_headline(p)}"
            yield from _pairing_body(analysis, p, conn, show_keys, look)
            yield from _suggestion(analysis, p.id, look)
        stored = [e for e in encs if not e.after_pairing]
        if stored:
            yield ""
            yield "  Encryption without pairing on this connection:"
            for e in stored:
                yield f"    {explain_encryption(e)}"
        srs = srs_by_conn.get(conn.id, [])
        if srs:
            yield ""
            yield "  Security Requests that no pairing followed:"
            for sp in srs:
                yield f"    {explain_security_request(sp)}"
        yield from _findings(analysis, conn.id, None, look)
        atts = [a for a in atts if a.error in SECURITY_ATT_ERRORS]
        if atts:
            yield ""
            yield "  ATT security errors:"
            for a in atts:
                req = f" (request #{a.request_frame})" if a.request_frame else ""
                yield (
                    f"    #{a.frame}: {a.request_name} on handle 0x{a.handle:04x}{req} → "
                    f"{a.error_name} (0x{a.error:02x})" + (f" ×{a.count}" if a.count > 1 else "")
                )
    loose = [f for f in analysis.findings if f.connection is None]
    if loose:
        yield ""
        yield from _render_findings(loose, "  ")
    # a finding on no connection that says something failed (a BR/EDR pairing whose
    # connection the log does not show) is what was found
    if shown == 0 and not any(f.severity == Severity.ERROR for f in loose):
        yield ""
        if analysis.capture.records == 0:
            yield (
                "No record of this input could be read (see the problems above), so nothing "
                "was analysed: this says nothing about whether pairing worked."
            )
        else:
            yield "No pairing, encryption or ATT error was found in this capture."


__all__ = ["error_name", "explain_pairing", "render_pairing", "render_text"]


def render_security_request(analysis: Diagnosed, s: SecurityProcedure) -> str:
    """A Security Request that stood unanswered for the SMP timeout (``analyze --follow``)."""
    out = [
        f"Connection {s.connection}: #{s.request.frame}: Security Request not answered for 30 s "
        "(the SMP timeout, Vol 3, Part H, 3.4)"
    ]
    out.extend(_render_findings(analysis.findings, "  "))
    return "\n".join(out) + "\n"


def render_pairing(analysis: Diagnosed, p: Pairing, show_keys: bool = False) -> str:
    """One pairing's story, ladder, checks and findings, as ``render_text`` shows it (used
    when following a capture: each pairing is printed as it ends)."""
    conn = connection_with(analysis, p.connection)
    out = [f"Connection {p.connection}, pairing {p.id}: {pairing_headline(p)}"]
    out.extend(_pairing_body(analysis, p, conn, show_keys, None))
    return "\n".join(out) + "\n"
