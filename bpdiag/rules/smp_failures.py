"""Findings for pairings that ended with SMP Pairing Failed (Vol 3, Part H, 3.5.5).

Each Pairing Failed reason gets its own code; 0x03 (Authentication Requirements) is told
apart by the parameters both sides offered (MITM that the IO capabilities cannot give, a peer
that demands MITM, or Secure Connections on one side only), and 0x05/0x08 right after the
peer's own Security Request or Pairing Request is the signature of a device outside its
pairing window.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from bpdiag.analysis.index import index_of
from bpdiag.analysis.model import (
    DEBUG_KEY_CHECKS,
    PUBLIC_KEY_CHECKS,
    Analysis,
    CheckKind,
    CheckResult,
    Method,
    Outcome,
    Pairing,
    Side,
)
from bpdiag.analysis.pairing_method import table_method
from bpdiag.decode.pdu import Layer
from bpdiag.decode.smp import ErrorCode, IoCapability
from bpdiag.rules.base import Finding, RuleInfo, Severity, Where, check, finding, rule
from bpdiag.rules.evidence import check_detail
from bpdiag.rules.passkey_verdict import legacy_passkey_conclusion

_FIX_BLUEZ_MEDIUM = (
    "BlueZ: with bluetoothctl use an agent that matches the device (`agent NoInputNoOutput` "
    "then `pair`), without asking for MITM. "
    "Zephyr / nRF Connect SDK: `bt_conn_set_security(conn, BT_SECURITY_L2)` instead of L3/L4. "
    "bleak: `await client.pair()` lets BlueZ/Windows choose; drop any MITM requirement "
    "on your side. Android: the app cannot ask for MITM; if an attribute needs it, the "
    "device must offer a display or keyboard."
)

PAIRING_MODE_INACTIVE = rule(
    RuleInfo(
        code="pairing-mode-inactive",
        severity=Severity.ERROR,
        title="The device refused pairing at once: it is probably not in pairing mode",
        spec="Vol 3, Part H, 3.5.5 (Pairing Failed) and 3.6.7 (Security Request)",
        explanation=(
            "The peer answered the Pairing Request immediately with Unspecified Reason (0x08) "
            "or Pairing Not Supported (0x05), before any key exchange. Many devices (Omron "
            "blood-pressure monitors, fitness bands, keyboards) accept pairing only for a "
            "short window after a button press and refuse otherwise — often right after "
            "they sent a Security Request themselves."
        ),
        fix=(
            "Put the device in pairing mode and pair within its window: on Omron monitors "
            'hold the Bluetooth button until the display blinks "-P-", then pair at once. '
            "BlueZ: `bluetoothctl` → `remove <addr>` (stale bond), `scan le`, then `pair <addr>` "
            "while the device shows pairing mode. bleak: call `await client.pair()` right "
            "after connecting while the device is in pairing mode. Android: start the bond "
            "from the system settings while the device is in pairing mode."
        ),
    )
)

MITM_UNSATISFIABLE = rule(
    RuleInfo(
        code="mitm-unsatisfiable",
        severity=Severity.ERROR,
        title="MITM protection was required but the two IO capabilities only allow Just Works",
        spec="Vol 3, Part H, 2.3.5.1 (Table 2.8) and 3.5.5 (0x03 Authentication Requirements)",
        explanation=(
            "One side set the MITM flag, but with the IO capabilities offered the spec "
            "selects Just Works, which gives no MITM protection; the side that asked for MITM "
            "then aborted with Authentication Requirements (0x03)."
        ),
        fix=_FIX_BLUEZ_MEDIUM,
    )
)

PEER_REQUIRES_MITM = rule(
    RuleInfo(
        code="peer-requires-mitm",
        severity=Severity.ERROR,
        title="The peer requires MITM protection that this side did not offer",
        spec="Vol 3, Part H, 2.3.5.1 and 3.5.5 (0x03 Authentication Requirements)",
        explanation=(
            "The peer refused with Authentication Requirements (0x03) because the initiator "
            "asked for no MITM protection or offered NoInputNoOutput, so only Just Works "
            "(unauthenticated) was possible."
        ),
        fix=(
            "Offer an IO capability that allows Passkey Entry or Numeric Comparison and set "
            "MITM: BlueZ `bluetoothctl` → `agent KeyboardDisplay` (or `DisplayYesNo`), "
            "`default-agent`, `pair <addr>` and type/confirm the passkey. Zephyr: register "
            "`bt_conn_auth_cb` with passkey_display/passkey_entry/confirm callbacks and use "
            "BT_SECURITY_L3. Android: pairing from the system UI shows the passkey dialog."
        ),
    )
)

SC_MISMATCH = rule(
    RuleInfo(
        code="secure-connections-mismatch",
        severity=Severity.ERROR,
        title="One side accepts only LE Secure Connections, the other offered legacy pairing",
        spec="Vol 3, Part H, 2.3.5.1 and 3.5.1 (SC flag in AuthReq)",
        explanation=(
            "A side in Secure Connections Only mode refuses (0x03) a peer that did not set "
            "the SC flag: the pairing would fall back to LE legacy pairing."
        ),
        fix=(
            "Enable LE Secure Connections on the legacy side: BlueZ `btmgmt sc on` (kernel ≥ "
            "4.x, BlueZ ≥ 5.x; check `btmgmt info` for 'secure-conn'); Zephyr "
            "CONFIG_BT_SMP_SC_ONLY=n on a peer that must accept legacy, or CONFIG_BT_SMP "
            "with SC support on the other; or take the SC-only side out of SC-only mode."
        ),
    )
)

_SIMPLE: dict[int, RuleInfo] = {}


def _simple(reason: int, info: RuleInfo) -> RuleInfo:
    _SIMPLE[reason] = rule(info)
    return _SIMPLE[reason]


_simple(
    ErrorCode.CONFIRM_VALUE_FAILED,
    RuleInfo(
        code="confirm-value-failed",
        severity=Severity.ERROR,
        title="Confirm value failed: the two sides did not use the same passkey or key",
        spec="Vol 3, Part H, 2.3.5.5 / 2.3.5.6 and 3.5.5 (0x04 Confirm Value Failed)",
        explanation=(
            "The confirm value a side computed did not match what its peer sent. In Passkey "
            "Entry the typed passkey differed from the displayed one; in legacy OOB the two "
            "TKs differed; in Just Works it points at a buggy or attacking peer."
        ),
        fix=(
            "Retype the passkey exactly as displayed (six digits, leading zeros included) and "
            "within the time the device allows; with OOB make sure both sides got the same "
            "data. BlueZ: the agent's RequestPasskey answer; Zephyr: `bt_conn_auth_passkey_entry`."
        ),
    ),
)
_simple(
    ErrorCode.DHKEY_CHECK_FAILED,
    RuleInfo(
        code="dhkey-check-failed",
        severity=Severity.ERROR,
        title="DHKey check failed: the Secure Connections key agreement did not match",
        spec="Vol 3, Part H, 2.3.5.6.5 and 3.5.5 (0x0B DHKey Check Failed)",
        explanation=(
            "The DHKey Check value did not match: the two sides derived different keys "
            "(wrong passkey in SC Passkey Entry, a bad public key, or a faulty stack)."
        ),
        fix=(
            "Retry the pairing; if it recurs with Just Works, update the firmware of the side "
            "that sent the failing check (a stack bug), and remove the old bond on both sides."
        ),
    ),
)
_simple(
    ErrorCode.NUMERIC_COMPARISON_FAILED,
    RuleInfo(
        code="numeric-comparison-failed",
        severity=Severity.ERROR,
        title="Numeric comparison failed: the user rejected the six-digit number",
        spec="Vol 3, Part H, 2.3.5.6.2 and 3.5.5 (0x0C Numeric Comparison Failed)",
        explanation="The numbers shown on the two devices differed, or a user pressed No.",
        fix=(
            "Confirm on both devices when the numbers match. BlueZ: answer the agent's "
            "RequestConfirmation (bluetoothctl: `yes`); Zephyr: `bt_conn_auth_passkey_confirm`."
        ),
    ),
)
PAIRING_NOT_SUPPORTED = _simple(
    ErrorCode.PAIRING_NOT_SUPPORTED,
    RuleInfo(
        code="pairing-not-supported",
        severity=Severity.ERROR,
        title="The peer does not support pairing",
        spec="Vol 3, Part H, 3.5.5 (0x05 Pairing Not Supported)",
        explanation=(
            "The peer says it does not support pairing. Some devices say so outside their "
            "pairing window; others never pair and must be used without encryption."
        ),
        fix=(
            "Check whether the device needs a button press to pair; if it never pairs, do not "
            "request security (Zephyr BT_SECURITY_L1; with BlueZ, connect without pairing) and "
            "read attributes that need no encryption."
        ),
    ),
)
_simple(
    ErrorCode.COMMAND_NOT_SUPPORTED,
    RuleInfo(
        code="command-not-supported",
        severity=Severity.ERROR,
        title="An SMP command was not supported by the receiver",
        spec="Vol 3, Part H, 3.5.5 (0x07 Command Not Supported)",
        explanation=(
            "The receiver does not implement the SMP command it got — typically a Secure "
            "Connections PDU sent to a legacy-only device, or a Keypress Notification."
        ),
        fix="Disable the feature that sends it (SC or keypress notifications) on the sender.",
    ),
)
_simple(
    ErrorCode.INVALID_PARAMETERS,
    RuleInfo(
        code="invalid-parameters",
        severity=Severity.ERROR,
        title="Invalid parameters in an SMP command",
        spec="Vol 3, Part H, 3.5.5 (0x0A Invalid Parameters)",
        explanation=(
            "A command's length or a field's value was out of range (for example a max "
            "encryption key size outside 7–16, or an invalid public key)."
        ),
        fix="Fix the sender's parameters; compare the Pairing Request/Response fields shown.",
    ),
)
REPEATED = _simple(
    ErrorCode.REPEATED_ATTEMPTS,
    RuleInfo(
        code="repeated-attempts",
        severity=Severity.WARNING,
        title="Too many pairing attempts: the peer is in its back-off period",
        spec="Vol 3, Part H, 2.3.6 (Repeated Attempts) and 3.5.5 (0x09)",
        explanation=(
            "After a failed pairing a device must wait before it accepts a new attempt from "
            "the same peer, and the wait grows exponentially with each failure."
        ),
        fix=(
            "Stop retrying in a loop: wait (tens of seconds, growing after each failure), "
            "or power-cycle the device to reset its back-off, then fix the cause of the first "
            "failure before pairing again."
        ),
    ),
)
KEY_SIZE = _simple(
    ErrorCode.ENCRYPTION_KEY_SIZE,
    RuleInfo(
        code="encryption-key-size",
        severity=Severity.ERROR,
        title="Encryption key size not acceptable",
        spec="Vol 3, Part H, 2.3.4 and 3.5.1 (Maximum Encryption Key Size 7–16)",
        explanation=(
            "The key size the two sides could agree on is below what one of them accepts, "
            "or a side announced a max key size outside the allowed 7–16 octets."
        ),
        fix=(
            "Use 16-octet keys on both sides (BlueZ uses 16; Zephyr "
            "CONFIG_BT_SMP_ENFORCE_MITM / key size settings; check the peer's max key size)."
        ),
    ),
)
_simple(
    ErrorCode.PASSKEY_ENTRY_FAILED,
    RuleInfo(
        code="passkey-entry-failed",
        severity=Severity.ERROR,
        title="Passkey entry failed or was cancelled",
        spec="Vol 3, Part H, 3.5.5 (0x01 Passkey Entry Failed)",
        explanation="The user did not enter the passkey, or cancelled the prompt.",
        fix=(
            "Answer the passkey prompt in time; with BlueZ make sure an agent is registered "
            "(`bluetoothctl` → `agent KeyboardDisplay`, `default-agent`)."
        ),
    ),
)
_simple(
    ErrorCode.OOB_NOT_AVAILABLE,
    RuleInfo(
        code="oob-not-available",
        severity=Severity.ERROR,
        title="OOB data not available",
        spec="Vol 3, Part H, 3.5.5 (0x02 OOB Not Available)",
        explanation="A side set the OOB flag but has no out-of-band data for this peer.",
        fix="Provide the OOB data (NFC tap, QR code) before pairing, or clear the OOB flag.",
    ),
)
OTHER = rule(
    RuleInfo(
        code="pairing-failed",
        severity=Severity.ERROR,
        title="Pairing failed",
        spec="Vol 3, Part H, 3.5.5 (Pairing Failed)",
        explanation="A side aborted the pairing with a reason not covered by a specific rule.",
        fix="See the reason; remove stale bonds on both sides and retry in pairing mode.",
    )
)


def _side(sent_by: Side) -> str:
    return {
        Side.INITIATOR: "the central (initiator)",
        Side.RESPONDER: "the peripheral (responder)",
    }.get(sent_by, "one side")


def _params(p: Pairing) -> str:
    parts = []
    for label, f in (("Request", p.request), ("Response", p.response)):
        if f is not None:
            parts.append(
                f"Pairing {label} #{f.frame}: {f.io_capability_name}, "
                f"MITM {'yes' if f.mitm else 'no'}, SC {'yes' if f.sc else 'no'}, "
                f"bonding {'yes' if f.bonding else 'no'}, max key size {f.max_key_size}"
            )
    return "; ".join(parts)


def _evidence(p: Pairing) -> list[int]:
    frames = []
    if p.security_request is not None:
        frames.append(p.security_request.frame)
    for f in (p.request, p.response):
        if f is not None:
            frames.append(f.frame)
    if p.failure is not None:
        frames.append(p.failure.frame)
    return frames


def _not_failed_in_smp_with(analysis: Analysis, reason: ErrorCode) -> Iterator[Pairing]:
    """The pairings that did not end with an SMP Pairing Failed carrying ``reason``: a check
    whose fault the peer caught and named with that reason leaves it to smp_failures."""
    for p in analysis.pairings:
        f = p.failure
        if f is None or f.layer != Layer.SMP or f.reason != reason:
            yield p


def _immediate(p: Pairing) -> bool:
    """The failure answered the Pairing Request before any phase-2 PDU."""
    return p.failure is not None and not p.phase2_started and p.response is None


def _auth_requirements(p: Pairing) -> tuple[RuleInfo, str] | None:
    """Tell the three kinds of 0x03 apart (or None when the fields do not explain it)."""
    f = p.failure
    req, rsp = p.request, p.response
    if f is None or req is None:
        return None
    sender, other = (req, rsp) if f.sent_by == Side.INITIATOR else (rsp, req)
    if sender is None or other is None:
        # Response missing: the responder refused the request itself.
        if f.sent_by == Side.RESPONDER and (
            not req.mitm or req.io_capability == IoCapability.NO_INPUT_NO_OUTPUT
        ):
            also_sc = (
                " The request did not offer Secure Connections either, so the peripheral may "
                "need SC as well (or instead)."
                if not req.sc
                else ""
            )
            return PEER_REQUIRES_MITM, (
                f"The peripheral refused the Pairing Request #{req.frame} with Authentication "
                f"Requirements (0x03) at #{f.frame}. The request offered "
                f"{req.io_capability_name} and MITM {'yes' if req.mitm else 'no'}: only Just "
                f"Works was possible.{also_sc}"
            )
        if f.sent_by == Side.RESPONDER and not req.sc:
            return SC_MISMATCH, (
                f"The peripheral refused the legacy Pairing Request #{req.frame} (SC flag not "
                f"set) with Authentication Requirements (0x03) at #{f.frame}."
            )
        return None
    sc = bool(req.sc and rsp and rsp.sc)
    method = table_method(req.io_capability, rsp.io_capability, sc) if rsp else None
    jw_only = method is Method.JUST_WORKS
    if sender.sc and not other.sc and (not sender.mitm or not jw_only):
        return SC_MISMATCH, (
            f"{_side(f.sent_by).capitalize()} set the SC flag and refused at #{f.frame} with "
            f"Authentication Requirements (0x03); the other side did not offer Secure "
            f"Connections. {_params(p)}."
        )
    if sender.mitm and jw_only:
        if f.sent_by == Side.INITIATOR:
            return MITM_UNSATISFIABLE, (
                f"The central asked for MITM protection, but the peripheral is "
                f"{other.io_capability_name} and the central {sender.io_capability_name}: "
                f"Table 2.8 gives Just Works, so the central gave up with Authentication "
                f"Requirements (0x03) at #{f.frame}. {_params(p)}."
            )
        return PEER_REQUIRES_MITM, (
            f"The peripheral requires MITM protection, but the central offered "
            f"{other.io_capability_name}: only Just Works was possible, so the peripheral "
            f"refused with Authentication Requirements (0x03) at #{f.frame}. {_params(p)}."
        )
    if f.sent_by == Side.RESPONDER and (
        not req.mitm or req.io_capability == IoCapability.NO_INPUT_NO_OUTPUT
    ):
        return PEER_REQUIRES_MITM, (
            f"The peripheral refused with Authentication Requirements (0x03) at #{f.frame}; "
            f"the central offered {req.io_capability_name}, MITM "
            f"{'yes' if req.mitm else 'no'}. {_params(p)}."
        )
    if f.sent_by == Side.INITIATOR and sender.mitm and not other.mitm and jw_only:
        return MITM_UNSATISFIABLE, f"{_params(p)}."
    return None


def _relevant_mismatches(p: Pairing) -> list[Any]:
    """Checks that can explain a failed pairing (a debug key does not: it pairs fine)."""
    return [
        c for c in p.checks if c.result == CheckResult.MISMATCH and c.check not in DEBUG_KEY_CHECKS
    ]


def _verified(p: Pairing) -> str:
    """What the checks redone from the capture's public values say (analysis/verify.py)."""
    out = ""
    if (
        p.numeric_value is not None
        and p.failure is not None
        and p.failure.reason == ErrorCode.NUMERIC_COMPARISON_FAILED
    ):
        out += (
            f" Both devices should have shown {p.numeric_value:06d} (g2 of the exchanged "
            "public keys and nonces): if one showed another number, the two were not talking "
            "to each other directly (a man in the middle) or one stack computes it wrongly; "
            "if both showed it, a user pressed No or did not answer in time."
        )
    mismatches = _relevant_mismatches(p)
    matches = [c for c in p.checks if c.result == CheckResult.MATCH]
    if mismatches:
        out += " Checked from the capture: " + "; ".join(check_detail(c) for c in mismatches) + "."
    elif matches and (verdict := legacy_passkey_conclusion(p)) is not None:
        out += " Checked from the capture: " + "; ".join(check_detail(c) for c in matches)
        out += f" — {verdict}."
    elif (
        matches
        and p.failure is not None
        and p.failure.reason in (ErrorCode.CONFIRM_VALUE_FAILED, ErrorCode.DHKEY_CHECK_FAILED)
    ):
        out += (
            " Checked from the capture: "
            + "; ".join(check_detail(c) for c in matches)
            + " — so the commitments are right, and the failure lies in what the capture "
            "cannot show (the secret TK/DHKey, the addresses or IO capabilities each side "
            "fed into the check value)."
        )
    return out


def _advertising_note(analysis: Analysis, p: Pairing) -> str:
    conn = index_of(analysis).connection(p.connection)
    if conn is None or conn.peripheral.address is None:
        return ""
    for adv in index_of(analysis).discoverable_advertising(conn.peripheral.address):
        if adv.address == conn.peripheral.address and adv.flags is not None:
            if adv.flags & 0x01:
                return (
                    f" It advertised in LE Limited Discoverable mode (#{adv.frame}), "
                    "so a pairing window was open then."
                )
            if adv.flags & 0x02:
                return (
                    f" Its advertising (#{adv.frame}) shows LE General Discoverable, not "
                    "Limited Discoverable — the mode devices usually use for their pairing "
                    "window."
                )
    return ""


@check
def smp_failures(analysis: Analysis) -> Iterator[Finding]:
    for p in analysis.pairings:
        f = p.failure
        if f is None or f.layer != Layer.SMP:
            continue
        frames = _evidence(p)
        where: Where = {"connection": p.connection, "pairing": p.id}
        if (
            f.reason in (ErrorCode.PAIRING_NOT_SUPPORTED, ErrorCode.UNSPECIFIED_REASON)
            and f.sent_by == Side.RESPONDER
            and _immediate(p)
        ):
            if f.reason == ErrorCode.UNSPECIFIED_REASON or p.security_request is not None:
                sr = ""
                if p.security_request is not None:
                    sr = (
                        f"The peripheral itself asked for security (Security Request "
                        f"#{p.security_request.frame}), yet "
                    )
                req = f"Pairing Request #{p.request.frame}" if p.request else "the Pairing Request"
                yield finding(
                    PAIRING_MODE_INACTIVE,
                    f"{sr}it answered the {req} at once with {f.name} (0x{f.reason:02x}) "
                    f"at #{f.frame}, before any key exchange — the behaviour of a device that "
                    f"is not in pairing mode.{_advertising_note(analysis, p)}",
                    frames,
                    **where,
                )
                continue
        if f.reason == ErrorCode.AUTHENTICATION_REQUIREMENTS:
            kind = _auth_requirements(p)
            if kind is not None:
                info, detail = kind
                yield finding(info, detail, frames, **where)
                continue
            yield finding(
                OTHER,
                f"{_side(f.sent_by).capitalize()} ended the pairing with Authentication "
                f"Requirements (0x03) at #{f.frame}; the fields seen do not show which "
                f"requirement. {_params(p)}",
                frames,
                **where,
            )
            continue
        info = _SIMPLE.get(f.reason, OTHER)
        detail = (
            f"{_side(f.sent_by).capitalize()} sent Pairing Failed: {f.name} (0x{f.reason:02x}) "
            f"at #{f.frame}."
        )
        if p.senders_from_order:  # the capture gave no direction (analysis.sender_order)
            detail += (
                " The capture does not show who sent "
                f"{', '.join(f'#{x}' for x in p.senders_from_order[:8])}"
                f"{' …' if len(p.senders_from_order) > 8 else ''}: told from SMP's order "
                "(Vol 3, Part H, 2.3.5, 3.6.1)."
            )
        if p.method is not None:
            detail += f" Method: {p.method.replace('_', ' ')}."
        params = _params(p)
        if params:
            detail += f" {params}."
        detail += _verified(p)
        frames = sorted({*frames, *(c.frame for c in _relevant_mismatches(p))})
        if f.reason == ErrorCode.REPEATED_ATTEMPTS:
            n_earlier, first_failed = index_of(analysis).failed_before(p.id)
            if n_earlier and first_failed is not None:
                detail += (
                    f" {n_earlier} earlier failed attempt(s) in this capture "
                    f"(first at #{first_failed.first_frame})."
                )
        yield finding(info, detail, frames, **where)


COMMITMENT_NOT_CHECKED = rule(
    RuleInfo(
        code="commitment-not-checked",
        severity=Severity.ERROR,
        title="A confirm value is wrong, yet the peer went on pairing: it does not check it",
        spec="Vol 3, Part H, 2.3.5.5 and 2.3.5.6.2–2.3.5.6.3 (confirm checks); 3.5.5 (0x04)",
        explanation=(
            "Recomputed from the public values in the capture, one side's Pairing Confirm does "
            "not match its nonce (and public key), or the two sides committed to different "
            "passkey bits — but the peer did not answer Confirm Value Failed (0x04) and the "
            "pairing went on. A stack that skips this check gives no protection against a man "
            "in the middle, whatever the method promises."
        ),
        fix=(
            "Update the firmware of the side that should have refused (the one that received "
            "the wrong confirm and its nonce); do not trust this bond for anything that needs "
            "authentication. Report it to the stack's vendor as a security bug."
        ),
    )
)


_COMMITMENTS = frozenset(
    {
        CheckKind.INITIATOR_CONFIRM,
        CheckKind.RESPONDER_CONFIRM,
        CheckKind.PASSKEY_AGREEMENT,
        CheckKind.INITIATOR_PASSKEY_COMMITMENT,
        CheckKind.RESPONDER_PASSKEY_COMMITMENT,
    }
)

DEBUG_KEY = rule(
    RuleInfo(
        code="debug-key",
        severity=Severity.WARNING,
        title="A device paired with the SMP debug key: anyone with this capture can compute "
        "the keys",
        spec="Vol 3, Part H, 2.3.5.6.1 (Debug mode)",
        explanation=(
            "LE Secure Connections protects against eavesdroppers only while each side's "
            "private key stays secret. The spec publishes one key pair for debugging so that "
            "air captures can be decrypted; a device that pairs with it gives every listener "
            "the DHKey and the LTK. Fine on a test bench (sniffers ask for it), never in a "
            "product."
        ),
        fix=(
            "Turn SMP debug mode off on the side that used it: Zephyr "
            "CONFIG_BT_USE_DEBUG_KEYS=n; Linux `btmgmt debug-keys off`; nRF5 SDK / SoftDevice: "
            "generate the key pair instead of loading the debug one; Bumble: "
            "`smp_manager.debug_mode = False`. Then remove the bond on both sides and pair again."
        ),
    )
)

INVALID_PUBLIC_KEY = rule(
    RuleInfo(
        code="invalid-public-key",
        severity=Severity.ERROR,
        title="A Pairing Public Key is not a point on the P-256 curve",
        spec="Vol 3, Part H, 2.3.5.6.1 and 3.5.6; Erratum 10734 (CVE-2018-5383)",
        explanation=(
            "The public key a side sent does not lie on the P-256 curve. A correct peer checks "
            "this and refuses the pairing; a peer that goes on is open to the invalid-curve "
            "attack, and the two sides cannot agree on a DHKey (DHKey Check Failed follows)."
        ),
        fix=(
            "The side that sent it has a broken ECC implementation (or is an attacker); update "
            "its firmware. If the pairing went on, update the other side too: it must validate "
            "public keys (fixed in stacks since 2018)."
        ),
    )
)


@check
def public_keys(analysis: Analysis) -> Iterator[Finding]:
    for p in analysis.pairings:
        for c in p.checks:
            if c.check in DEBUG_KEY_CHECKS:
                info = DEBUG_KEY
            elif c.check in PUBLIC_KEY_CHECKS and c.result == CheckResult.MISMATCH:
                info = INVALID_PUBLIC_KEY
            else:
                continue
            yield finding(
                info,
                (words := check_detail(c))[0].upper() + words[1:] + ".",
                [c.frame],
                connection=p.connection,
                pairing=p.id,
            )


@check
def unchecked_commitments(analysis: Analysis) -> Iterator[Finding]:
    for p in _not_failed_in_smp_with(analysis, ErrorCode.CONFIRM_VALUE_FAILED):
        wrong = [
            c for c in p.checks if c.result == CheckResult.MISMATCH and c.check in _COMMITMENTS
        ]
        if not wrong or not (p.failure is None or p.dhkey_checks or p.keys):
            continue
        went_on = (
            "the pairing succeeded"
            if p.outcome == Outcome.SUCCESS
            else "the pairing went on to the next step"
        )
        yield finding(
            COMMITMENT_NOT_CHECKED,
            "; ".join(check_detail(c) for c in wrong).capitalize() + f" — and {went_on}.",
            [c.frame for c in wrong] + _evidence(p),
            connection=p.connection,
            pairing=p.id,
        )


@check
def key_size_out_of_range(analysis: Analysis) -> Iterator[Finding]:
    for p in _not_failed_in_smp_with(analysis, ErrorCode.ENCRYPTION_KEY_SIZE):
        for label, f in (("Pairing Request", p.request), ("Pairing Response", p.response)):
            if f is not None and not 7 <= f.max_key_size <= 16:
                yield finding(
                    KEY_SIZE,
                    f"The {label} #{f.frame} announces a Maximum Encryption Key Size of "
                    f"{f.max_key_size}; the spec allows 7 to 16 octets.",
                    [f.frame],
                    connection=p.connection,
                    pairing=p.id,
                    fix="The side that sent it is faulty (or attacking); a correct peer must "
                    "reject it with Invalid Parameters (0x0A) or Encryption Key Size (0x06).",
                )
