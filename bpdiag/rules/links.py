"""Findings about encryption and the link: lost bonds, MIC failures, encryption that starts
before pairing finished, pairings that stop, pairings that keep no keys.

Spec: Vol 3, Part H, 2.4.4 (encryption with a stored LTK), Vol 6, Part B, 5.1.3 (encryption
start procedure), Vol 4, Part E, 7.7.8 (Encryption Change), Vol 3, Part H, 3.4 (SMP timeout).
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import pairwise

from bpdiag.analysis.index import index_of
from bpdiag.analysis.model import Analysis, Connection, Outcome, Role, Side
from bpdiag.decode import smp
from bpdiag.decode.hci import ErrorCode
from bpdiag.decode.pdu import Layer
from bpdiag.rules.base import Finding, Where, check, finding, rule

SMP_TIMEOUT_S = 30.0

BOND_LOST = rule("bond-lost")
MIC_FAILURE = rule("mic-failure")
VIOLATION = rule("pairing-protocol-violation")
INCOMPLETE = rule("pairing-incomplete")
OUT_OF_ORDER = rule("pairing-out-of-order")
AFTER_FAILED = rule("smp-after-pairing-failed")
NO_BONDING = rule("no-bonding")


def _conn(analysis: Analysis, cid: int | None) -> Connection | None:
    return index_of(analysis).connection(cid)


@check
def encryption_findings(analysis: Analysis) -> Iterator[Finding]:
    for e in analysis.encryptions:
        if e.status == ErrorCode.PIN_OR_KEY_MISSING and not e.after_pairing:
            later = index_of(analysis).pairing_after(e.connection, e.frame)
            extra = ""
            if later is not None:
                extra = f" A new pairing followed at #{later.first_frame}."
            yield finding(
                BOND_LOST,
                f"Encryption with the stored key was refused at #{e.frame}: "
                f"{e.status_name} (0x06).{extra}",
                [e.frame],
                connection=e.connection,
            )
    for c in analysis.connections:
        mic = ErrorCode.CONNECTION_TERMINATED_DUE_TO_MIC_FAILURE
        if c.disconnect_reason == mic and c.disconnect_frame is not None:
            encs = [e.frame for e in index_of(analysis).encryptions_of(c.id)]
            yield finding(
                MIC_FAILURE,
                f"Connection {c.id} was terminated at #{c.disconnect_frame} with "
                f"{c.disconnect_reason_name} (0x3D).",
                [*encs[-1:], c.disconnect_frame],
                connection=c.id,
            )


@check
def late_responses(analysis: Analysis) -> Iterator[Finding]:
    """A Pairing Response after the phase-2 PDUs of a pairing that had none (Vol 3, Part H,
    2.3.5 and 3.5.2: the responder answers the Pairing Request before phase 2).  Said only
    of an HCI log without a gap there: on air a sniffer may have missed a new attempt's
    Pairing Request."""
    if not analysis.late_responses or analysis.capture.cut_smp_frames:
        return
    idx = index_of(analysis)
    by_id = {p.id: p for p in analysis.pairings}
    for pid, before_id in analysis.late_responses:
        p, before = by_id.get(pid), by_id.get(before_id)
        if p is None or before is None or p.response is None:
            continue
        conn = idx.connection(p.connection)
        if conn is None or not conn.host_log:
            continue
        if idx.missing_between(before.first_frame, p.response.frame) is not None:
            continue
        phase2 = [
            s
            for s in before.steps
            if s.name.startswith(("Pairing Confirm", "Pairing Random", "Pairing Public Key"))
        ]
        shown = ", ".join(f"{s.name} #{s.frame}" for s in phase2[:4])
        yield finding(
            OUT_OF_ORDER,
            f"Pairing Response #{p.response.frame} came after phase 2 had begun ({shown}) "
            f"in the pairing that began at #{before.first_frame}, which had no Pairing "
            "Response: SMP's order is Pairing Request, Pairing Response, then phase 2 "
            "(Vol 3, Part H, 2.3.5, 3.5.2); bpdiag counts them as two pairings.",
            [*[s.frame for s in phase2[:4]], p.response.frame],
            connection=p.connection,
            pairing=pid,
        )


# PDUs that begin a new attempt after a Pairing Failed (Vol 3, Part H, 3.5.1, 3.6.7); the
# Pairing Response a late one (pairing-out-of-order's)
_NEW_ATTEMPT = frozenset(
    int(c)
    for c in (
        smp.CommandCode.PAIRING_REQUEST,
        smp.CommandCode.PAIRING_RESPONSE,
        smp.CommandCode.SECURITY_REQUEST,
    )
)
_ROLE_OF = {Side.INITIATOR: Role.CENTRAL, Side.RESPONDER: Role.PERIPHERAL}  # LE: 2.1


@check
def after_pairing_failed(analysis: Analysis) -> Iterator[Finding]:
    """An SMP PDU of a pairing sent after its Pairing Failed (Vol 3, Part H, 3.5.5), said
    only where the sender knew of the failure: it had sent it, or it is this host and had
    received it (an HCI log shows what the host got before it sent).  The peer's PDUs after
    this host's Pairing Failed may have crossed it on the air, so they are not said; nor is
    anything across a gap or in a log that cut SMP PDUs."""
    if analysis.capture.cut_smp_frames or len(analysis.pairings) < 2:
        return
    idx = index_of(analysis)
    for conn in analysis.connections:
        ps = idx.pairings_of(conn.id)
        if len(ps) < 2 or not conn.host_log:
            continue
        for before, p in pairwise(ps):
            f = before.failure
            if f is None or f.layer != Layer.SMP or not p.steps:
                continue
            first = p.steps[0]
            if first.code in _NEW_ATTEMPT or first.frame <= f.frame:
                continue
            failed_by = _ROLE_OF.get(f.sent_by)
            if failed_by is None or first.sender not in (Role.CENTRAL, Role.PERIPHERAL):
                continue
            knew = first.sender == failed_by or first.sender == conn.local_role
            if not knew or idx.missing_between(f.frame, first.frame) is not None:
                continue
            how = (
                "it had sent"
                if first.sender == failed_by
                else f"it had received from the {failed_by}"
            )
            echo = (
                ": a Pairing Failed answering a Pairing Failed"
                if first.code == smp.CommandCode.PAIRING_FAILED
                else ""
            )
            yield finding(
                AFTER_FAILED,
                f"The {first.sender} sent {first.name} at #{first.frame} after the Pairing "
                f"Failed ({f.name}, 0x{f.reason:02x}) {how} at #{f.frame}{echo}. Pairing "
                "Failed ended that pairing, and no further SMP of it may follow (Vol 3, "
                f"Part H, 3.5.5); bpdiag counts what follows as pairing {p.id}.",
                [f.frame, first.frame],
                connection=conn.id,
                pairing=p.id,
            )
            break  # once per connection: what follows is the same story


@check
def session_findings(analysis: Analysis) -> Iterator[Finding]:
    # A log that cut SMP PDUs (btsnooz) cannot show phase 2 or the end of a pairing:
    # the truncated-snoop finding says so instead of claims about PDUs that were cut.
    cut = bool(analysis.capture.cut_smp_frames)
    idx = index_of(analysis)
    for p in analysis.pairings:
        where: Where = {"connection": p.connection, "pairing": p.id}
        if cut and p.failure is None:
            continue
        if (
            p.early_encryption_request is not None
            and p.encrypted_frame is None
            and idx.missing_between(p.first_frame, p.early_encryption_request) is None
        ):
            yield finding(
                VIOLATION,
                f"Encryption was requested at #{p.early_encryption_request} during the pairing "
                f"that began at #{p.first_frame}, before any phase-2 PDU (Confirm/Random or "
                "Public Key): no key from this pairing can exist yet.",
                [*p.frames[:3], p.early_encryption_request],
                **where,
            )
            continue
        if p.encrypted_frame is not None and not p.phase2_complete and p.failure is None:
            missing = []
            if p.secure_connections:
                if p.public_keys < 2:
                    missing.append("Public Key")
                if p.dhkey_checks < 2:
                    missing.append("DHKey Check")
            if p.confirms == 0:
                missing.append("Pairing Confirm")
            if p.randoms == 0:
                missing.append("Pairing Random")
            conn = _conn(analysis, p.connection)
            # On air a sniffer misses PDUs: a partly captured phase 2 that encryption followed
            # completed (capture-gap says what is missing).  An HCI log sees every SMP PDU the
            # host handled, so a missing DHKey Check there is the DHKey-check-skip bug.
            host_log = conn is not None and conn.host_log
            # a pasted log that leaves records out inside the pairing may hold them there
            gap = idx.missing_between(p.first_frame, p.encrypted_frame)
            if gap is None and (
                not p.phase2_started or (p.secure_connections and p.dhkey_checks == 0 and host_log)
            ):
                yield finding(
                    VIOLATION,
                    f"Encryption started at #{p.encrypted_frame} after the pairing that began "
                    f"at #{p.first_frame}, but {', '.join(missing) or 'phase 2'} never came.",
                    [*p.frames[:3], p.encrypted_frame],
                    **where,
                )
                continue
        if p.outcome == Outcome.INCOMPLETE:
            conn = _conn(analysis, p.connection)
            last = p.steps[-1] if p.steps else None
            frames = list(p.frames[-3:])
            if (
                conn is not None
                and conn.disconnect_frame is not None
                and (last is None or conn.disconnect_frame >= last.frame)
            ):
                reason = (
                    f"{conn.disconnect_reason_name} (0x{conn.disconnect_reason:02x})"
                    if conn.disconnect_reason is not None
                    else "no reason seen"
                )
                why = f"the link was closed at #{conn.disconnect_frame}: {reason}"
                frames.append(conn.disconnect_frame)
            elif (
                last is not None
                and analysis.capture.last_time is not None
                and analysis.capture.last_time - last.time > SMP_TIMEOUT_S
            ):
                why = (
                    f"nothing followed for more than {SMP_TIMEOUT_S:.0f} s — the SMP timeout "
                    "ended it"
                )
            elif not analysis.capture.timed:
                why = (
                    "the log ends, and it carries no time stamps to tell whether the "
                    f"{SMP_TIMEOUT_S:.0f} s SMP timeout passed"
                )
            elif last is not None and analysis.capture.last_time is not None:
                # how long the capture went on: too short to see the SMP timeout, or no time
                left = max(analysis.capture.last_time - last.time, 0.0)
                why = (
                    f"the capture ends {left:.1f} s later, before the {SMP_TIMEOUT_S:.0f} s "
                    "SMP timeout could show whether it went on"
                )
            else:
                why = "the capture ends there"
            last_word = f"the last SMP PDU was {last.name} (#{last.frame})" if last else ""
            end = conn.disconnect_frame if conn is not None else None  # None: to the end
            gap = idx.missing_between(last.frame if last else p.first_frame, end)
            if gap is not None:  # a pasted log left records out after the last PDU seen
                last_word = (
                    f"the last SMP PDU in the log is {last.name} (#{last.frame})"
                    if last
                    else "no SMP PDU is in the log"
                ) + (
                    f", but the log leaves records out before #{gap}: whether the pairing went "
                    "on there is not known"
                )
            yield finding(
                INCOMPLETE,
                f"Pairing {p.id} did not finish: {last_word}, then {why}.",
                frames,
                **where,
            )
        if p.outcome == Outcome.SUCCESS and p.request and p.response:
            if not (p.request.bonding and p.response.bonding):
                who = []
                if not p.request.bonding:
                    who.append(f"the central (Pairing Request #{p.request.frame})")
                if not p.response.bonding:
                    who.append(f"the peripheral (Pairing Response #{p.response.frame})")
                yield finding(
                    NO_BONDING,
                    f"Bonding was not set by {' and '.join(who)}.",
                    [p.request.frame, p.response.frame],
                    **where,
                )
