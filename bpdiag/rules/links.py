"""Findings about encryption and the link: lost bonds, MIC failures, encryption that starts
before pairing finished, pairings that stop, pairings that keep no keys.

Spec: Vol 3, Part H, 2.4.4 (encryption with a stored LTK), Vol 6, Part B, 5.1.3 (encryption
start procedure), Vol 4, Part E, 7.7.8 (Encryption Change), Vol 3, Part H, 3.4 (SMP timeout).
"""

from __future__ import annotations

from collections.abc import Iterator

from bpdiag.analysis.index import index_of
from bpdiag.analysis.model import Analysis, Connection, Outcome
from bpdiag.decode.hci import ErrorCode
from bpdiag.rules.base import Finding, RuleInfo, Severity, Where, check, finding, rule

SMP_TIMEOUT_S = 30.0

BOND_LOST = rule(
    RuleInfo(
        code="bond-lost",
        severity=Severity.ERROR,
        title="The peer no longer has the bond: encryption with the stored key was refused",
        spec="Vol 3, Part H, 2.4.4; Vol 1, Part F, 2.6 (0x06 PIN or Key Missing)",
        explanation=(
            "This side tried to encrypt the link with the LTK it stored when it bonded, and "
            "the peer answered PIN or Key Missing (0x06): the peer has no key for us any "
            "more — it bonded with another host (many devices keep one bond only), or it was "
            "reset. Two tools using the same link at once (pairing with one, reading with "
            "another) give the same symptom."
        ),
        fix=(
            "Remove the stale bond here and pair again with the device in pairing mode: "
            "BlueZ `bluetoothctl remove <addr>` then `pair <addr>`; Android: Settings → "
            "Bluetooth → Forget, then pair; Zephyr: `bt_unpair(BT_ID_DEFAULT, &addr)`. Use "
            "one tool for the whole session (don't pair in bluetoothctl and read in gatttool)."
        ),
    )
)

MIC_FAILURE = rule(
    RuleInfo(
        code="mic-failure",
        severity=Severity.ERROR,
        title="The link dropped with a MIC failure: the two sides use different keys",
        spec="Vol 6, Part B, 5.1.3.1; Vol 1, Part F, 2.61 (0x3D)",
        explanation=(
            "A packet failed its message integrity check after encryption started, and the "
            "link was terminated (0x3D): the two sides encrypted with different keys (a stale "
            "LTK on one side, or a key distribution that went wrong)."
        ),
        fix="Remove the bond on both sides and pair again.",
    )
)

VIOLATION = rule(
    RuleInfo(
        code="pairing-protocol-violation",
        severity=Severity.ERROR,
        title="Encryption started or was requested before the pairing finished",
        spec="Vol 3, Part H, 2.3.5.5/2.3.5.6 (phase 2) and 2.4 (encryption after phase 2)",
        explanation=(
            "Link encryption began although phase 2 of the pairing (Confirm/Random for "
            "legacy, Public Key/Confirm/Random/DHKey Check for Secure Connections) did not "
            "run: the key cannot come from this pairing. This is the class of bugs behind "
            "the SweynTooth zero-LTK and DHKey-check-skip attacks."
        ),
        fix=(
            "A correct peripheral must reject LL_ENC_REQ / LTK requests until pairing "
            "finished. Update the device firmware; report it to the vendor."
        ),
    )
)

INCOMPLETE = rule(
    RuleInfo(
        code="pairing-incomplete",
        severity=Severity.WARNING,
        title="The pairing stopped before it finished",
        spec="Vol 3, Part H, 3.4 (SMP timeout, 30 s)",
        explanation=(
            "The pairing neither succeeded nor failed with a reason: the link was closed, "
            "the 30-second SMP timeout ran out, or the capture ends."
        ),
        fix=(
            "Look at who closed the link and why; keep the devices close and awake; make sure "
            "the user confirms or types the passkey within 30 seconds."
        ),
    )
)

NO_BONDING = rule(
    RuleInfo(
        code="no-bonding",
        severity=Severity.INFO,
        title="The pairing kept no keys: every reconnect must pair again",
        spec="Vol 3, Part H, 3.5.1 (Bonding_Flags)",
        explanation=(
            "A side did not set the bonding flag, so no long-term key is stored; the next "
            "connection must pair again."
        ),
        fix=(
            "Set bonding on both sides: BlueZ `btmgmt bondable on` (bluetoothctl `pairable on`); "
            "Zephyr CONFIG_BT_BONDABLE=y; Android `createBond()` rather than an encrypted "
            "read alone."
        ),
    )
)


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
def session_findings(analysis: Analysis) -> Iterator[Finding]:
    # A log that cut SMP PDUs (btsnooz) cannot show phase 2 or the end of a pairing:
    # the truncated-snoop finding says so instead of claims about PDUs that were cut.
    cut = bool(analysis.capture.cut_smp_frames)
    for p in analysis.pairings:
        where: Where = {"connection": p.connection, "pairing": p.id}
        if cut and p.failure is None:
            continue
        if p.early_encryption_request is not None and p.encrypted_frame is None:
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
            host_log = conn is not None and conn.link[0] == "hci"
            if not p.phase2_started or (p.secure_connections and p.dhkey_checks == 0 and host_log):
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
            else:
                why = "the capture ends there"
            last_word = f"the last SMP PDU was {last.name} (#{last.frame})" if last else ""
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
