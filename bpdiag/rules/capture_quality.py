"""Findings about the capture itself: PDUs that must have happened but are not in it, and
logs that were cut short when written.  They make other conclusions uncertain, and say so.

Spec: the phase-2 PDU counts follow Vol 3, Part H, 2.3.5.5 (legacy: 2 Confirm, 2 Random)
and 2.3.5.6 (Secure Connections: 2 Public Key, then 1 Confirm + 2 Random for Just Works /
Numeric Comparison, 20 rounds of Confirm/Random pairs for Passkey Entry, 2 DHKey Check).
"""

from __future__ import annotations

from collections.abc import Iterator

from bpdiag.analysis.index import index_of
from bpdiag.analysis.model import Analysis, Method, Outcome, Pairing, Step
from bpdiag.decode import smp
from bpdiag.rules.base import Finding, Where, check, finding, rule

CAPTURE_GAP = rule("capture-gap")
TRUNCATED_SNOOP = rule("truncated-snoop")


def _expected_confirms(p: Pairing) -> tuple[int, int] | None:
    """(confirms, randoms) the method needs, or None when it cannot be told."""
    if p.secure_connections is None or p.method is None:
        return None
    if not p.secure_connections:
        return 0 if p.method == Method.OOB else 2, 2
    if p.method == Method.PASSKEY_ENTRY:
        return 40, 40
    if p.method == Method.OOB:
        return 0, 2
    return 1, 2


def _sc_steps_missing(p: Pairing) -> list[str]:
    """Secure Connections PDUs that must precede encryption but are not in the capture."""
    if not p.secure_connections:
        return []
    missing = []
    if p.public_keys < 2:
        missing.append(f"{2 - p.public_keys} Pairing Public Key")
    if p.dhkey_checks < 2:
        missing.append(f"{2 - p.dhkey_checks} Pairing DHKey Check")
    return missing


# Who lost the PDUs: a sniffer on air, or (an HCI log sees every PDU its host sent or got)
# a log that does not hold them — it starts after them, or they were left out of a paste.
_LOST_ON_AIR = "the sniffer missed them"
_LOST_FROM_LOG = "the log does not hold them (it starts after them, or they were left out)"
_HCI_FIX = (
    "Attach the whole log, from before the connection was made: start btmon (or the snoop "
    "log) before connecting; in a paste, keep every record of the connection."
)


def _partial_detail(p: Pairing, lost: str = _LOST_ON_AIR) -> str:
    """A pairing that completed (encryption or key distribution followed) with PDUs missing:
    name what is missing and the method as far as the PDUs seen tell it."""
    missing = []
    if p.request is None:
        missing.append("the Pairing Request")
    if p.response is None:
        missing.append("the Pairing Response")
    missing.extend(_sc_steps_missing(p))
    if p.randoms < 2 and not p.secure_connections:
        missing.append(f"{2 - p.randoms} Pairing Random")
    if p.secure_connections is False and p.method != Method.OOB and p.confirms < 2:
        missing.append(f"{2 - p.confirms} Pairing Confirm")
    ended = (
        f"encryption started at #{p.encrypted_frame}"
        if p.encrypted_frame is not None
        else f"keys were distributed (#{p.keys[0].frame})"
        if p.keys
        else "it completed"
    )
    seen = f"{p.confirms} Confirm, {p.randoms} Random"
    if p.public_keys or p.secure_connections:
        seen += f", {p.public_keys} Public Key, {p.dhkey_checks} DHKey Check"
    if p.method is not None:
        method = f"Method: {p.method.replace('_', ' ')} ({p.method_because})."
    elif p.method_because:
        method = f"Method not known: {p.method_because}."
    else:
        method = "Method not known."
    unknown = ""
    if p.response is None:
        unknown = (
            " Without the Pairing Response the peer's IO capability, MITM, SC and key "
            "distribution flags cannot be known from this capture."
        )
    return (
        f"The pairing completed — {ended} after {seen} PDU(s) — but the capture lacks "
        f"{', '.join(missing)}: {lost}. {method}{unknown}"
    )


def _unread_detail(unread: list[Step], hcidump: bool) -> str:
    """Phase-2 PDUs the log shows were sent, without their values: what cannot be known."""
    counts: dict[str, list[int]] = {}
    for s in unread:
        counts.setdefault(s.name, []).append(s.frame)
    named = ", ".join(
        f"{len(f)} {name} ({', '.join(f'#{x}' for x in f)})" for name, f in counts.items()
    )
    codes = {s.code for s in unread}
    lost = []
    if smp.CommandCode.PAIRING_PUBLIC_KEY in codes:
        lost.append("whether a side used the SMP debug key (Vol 3, Part H, 2.3.5.6.1)")
    if codes & {
        smp.CommandCode.PAIRING_PUBLIC_KEY,
        smp.CommandCode.PAIRING_CONFIRM,
        smp.CommandCode.PAIRING_RANDOM,
    }:
        lost.append("whether the Confirm values match the keys and nonces (2.3.5.6)")
    if smp.CommandCode.PAIRING_DHKEY_CHECK in codes:
        lost.append("the DHKey check values (2.3.5.6.5)")
    if smp.CommandCode.PAIRING_KEYPRESS_NOTIFICATION in codes:
        lost.append("the keypresses notified")
    return (
        f"The log shows {named} but not their parameters"
        f"{' (hcidump prints them only with -X)' if hcidump else ''}: "
        "the PDUs were sent, so the pairing's order is as captured, but these checks cannot "
        f"be made from this log: {'; '.join(lost)}."
    )


@check
def capture_gaps(analysis: Analysis) -> Iterator[Finding]:
    idx = index_of(analysis)
    for p in analysis.pairings:
        where: Where = {"connection": p.connection, "pairing": p.id}
        conn = idx.connection(p.connection)
        hci = conn is not None and conn.host_log
        lost = _LOST_FROM_LOG if hci else _LOST_ON_AIR
        fix = {"fix": _HCI_FIX} if hci else {}
        # an UnreadCommand is never packed: the kept steps hold every one
        unread = [s for s in p.steps.kept() if isinstance(s.msg, smp.UnreadCommand)]
        if unread and not p.cut_frames:  # a log that cuts packets: truncated-snoop says it
            yield finding(
                CAPTURE_GAP,
                _unread_detail(unread, analysis.capture.format == "hcidump-text"),
                [s.frame for s in unread[:8]],
                fix="Print the capture again with its parameters: `hcidump -X -r FILE` (or, "
                "better, `btmon -r FILE`), or attach the capture file itself.",
                **where,
            )
        if p.response is not None and p.request is None and p.outcome != Outcome.SUCCESS:
            yield finding(
                CAPTURE_GAP,
                f"Pairing Response #{p.response.frame} has no Pairing Request before it in "
                "the capture: the central's request was not captured.",
                [p.response.frame],
                **fix,
                **where,
            )
            continue
        if p.outcome != Outcome.SUCCESS:
            continue
        if p.response is None or p.request is None or _sc_steps_missing(p):
            yield finding(CAPTURE_GAP, _partial_detail(p, lost), p.frames[:3], **fix, **where)
            continue
        want = _expected_confirms(p)
        if want is None or p.method is None or p.method == Method.OOB:  # method: for mypy
            continue
        confirms, randoms = want
        if p.confirms < confirms or p.randoms < randoms:
            yield finding(
                CAPTURE_GAP,
                f"The {p.method.replace('_', ' ')} pairing succeeded, but the capture holds "
                f"{p.confirms} Pairing Confirm and {p.randoms} Pairing Random PDUs where the "
                f"method needs {confirms} and {randoms}: "
                + ("the log does not hold some." if hci else "the sniffer missed some."),
                p.frames[:2],
                **fix,
                **where,
            )


_SNAPLEN_FORMATS = frozenset({"pcap", "pcapng"})


@check
def truncated_records(analysis: Analysis) -> Iterator[Finding]:
    cap = analysis.capture
    if cap.truncated_records:
        first = cap.first_truncated
        cut = cap.cut_smp_frames
        detail = (
            f"{cap.truncated_records} of {cap.records} records are stored shorter than their "
            f"original length (first: #{first})"
        )
        # pcap and pcapng cut records only by their snapshot length (editcap -s, dumpcap -s)
        detail += " by the capture's snapshot length." if cap.format in _SNAPLEN_FORMATS else "."
        if cut:
            shown = ", ".join(f"#{f}" for f in cut[:8]) + (" …" if len(cut) > 8 else "")
            detail += (
                f" {len(cut)} SMP PDUs are cut ({shown}): this log cannot show the responder "
                "key distribution of a cut Pairing Request / Response, Confirm and Random "
                "values, public keys, DHKey checks or the keys distributed, so bpdiag checks "
                "none of them and does not say how a pairing without a Pairing Failed ended."
            )
            if not analysis.pairings:
                detail += (
                    " None of them could be read as a Pairing Request or Response (a log that "
                    "keeps only the L2CAP header): whether a pairing ran is not in the capture."
                )
        yield finding(TRUNCATED_SNOOP, detail, [first, *cut[:8]] if first else list(cut[:8]))
