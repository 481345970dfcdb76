"""Findings for pairings that ended with SMP Pairing Failed (Vol 3, Part H, 3.5.5).

Each Pairing Failed reason gets its own code; 0x03 (Authentication Requirements) is told
apart by the parameters both sides offered (MITM that the IO capabilities cannot give, a peer
that demands MITM, or Secure Connections on one side only), and 0x05/0x08 right after the
peer's own Security Request or Pairing Request is the signature of a device outside its
pairing window.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import cache
from typing import Any, cast

from bpdiag.analysis.features import exchanged
from bpdiag.analysis.index import AnalysisIndex, index_of
from bpdiag.analysis.model import (
    DEBUG_KEY_CHECKS,
    PUBLIC_KEY_CHECKS,
    Analysis,
    CheckKind,
    CheckResult,
    Failure,
    Features,
    Method,
    Outcome,
    Pairing,
    Side,
)
from bpdiag.analysis.pairing_method import table_method
from bpdiag.decode.pdu import Layer
from bpdiag.decode.smp import ErrorCode, IoCapability
from bpdiag.rules.base import Finding, RuleInfo, check, finding, rule
from bpdiag.rules.evidence import check_detail
from bpdiag.rules.passkey_verdict import legacy_passkey_conclusion

PAIRING_MODE_INACTIVE = rule("pairing-mode-inactive")
MITM_UNSATISFIABLE = rule("mitm-unsatisfiable")
PEER_REQUIRES_MITM = rule("peer-requires-mitm")
SC_MISMATCH = rule("secure-connections-mismatch")
# The Pairing Failed reasons whose rule needs no more telling apart (0x03, and 0x05/0x08
# right after a Pairing Request, are told apart in smp_failures below)
RULE_BY_REASON: dict[int, RuleInfo] = {
    ErrorCode.CONFIRM_VALUE_FAILED: rule("confirm-value-failed"),
    ErrorCode.DHKEY_CHECK_FAILED: rule("dhkey-check-failed"),
    ErrorCode.NUMERIC_COMPARISON_FAILED: rule("numeric-comparison-failed"),
    ErrorCode.PAIRING_NOT_SUPPORTED: rule("pairing-not-supported"),
    ErrorCode.COMMAND_NOT_SUPPORTED: rule("command-not-supported"),
    ErrorCode.INVALID_PARAMETERS: rule("invalid-parameters"),
    ErrorCode.REPEATED_ATTEMPTS: rule("repeated-attempts"),
    ErrorCode.ENCRYPTION_KEY_SIZE: rule("encryption-key-size"),
    ErrorCode.PASSKEY_ENTRY_FAILED: rule("passkey-entry-failed"),
    ErrorCode.OOB_NOT_AVAILABLE: rule("oob-not-available"),
}
PAIRING_NOT_SUPPORTED = RULE_BY_REASON[ErrorCode.PAIRING_NOT_SUPPORTED]
REPEATED = RULE_BY_REASON[ErrorCode.REPEATED_ATTEMPTS]
KEY_SIZE = RULE_BY_REASON[ErrorCode.ENCRYPTION_KEY_SIZE]
OTHER = rule("pairing-failed")


_SIDES = {
    Side.INITIATOR: "the central (initiator)",
    Side.RESPONDER: "the peripheral (responder)",
}


_LOCAL_SIDES = {
    True: "this host (the one the log was recorded on)",
    False: "the remote device (the log's host received it)",
}


def _sender(sent_by: Side, local: bool | None) -> str:
    """Who sent a Pairing Failed, as a sentence begins: the central or the peripheral; when
    the log shows only its direction (the local role unknown, ``Failure.local``), this host
    or the other."""
    side = _SIDES.get(sent_by) or (_LOCAL_SIDES[local] if local is not None else "one side")
    return side[0].upper() + side[1:]


def failure_sender(f: Failure) -> str:
    """``_sender`` of a failure."""
    return _sender(f.sent_by, f.local)


@cache
def _offered(io_capability_name: str, mitm: bool, sc: bool, bonding: bool, max_key: int) -> str:
    """What one side's features offer, in the words ``_params`` quotes (each distinct offer
    is worded once: the pairings of a long log repeat the same few)."""
    return (
        f"{io_capability_name}, MITM {'yes' if mitm else 'no'}, SC {'yes' if sc else 'no'}, "
        f"bonding {'yes' if bonding else 'no'}, max key size {max_key}"
    )


def _params(p: Pairing) -> str:
    """Each captured half of the feature exchange (``exchanged``'s order: request first)
    as ``Pairing Request #N: <what it offers>``, joined by "; "."""
    req, rsp = p.request, p.response
    parts = []
    if req is not None:
        offer = _offered(req.io_capability_name, req.mitm, req.sc, req.bonding, req.max_key_size)
        parts.append(f"Pairing Request #{req.frame}: {offer}")
    if rsp is not None:
        offer = _offered(rsp.io_capability_name, rsp.mitm, rsp.sc, rsp.bonding, rsp.max_key_size)
        parts.append(f"Pairing Response #{rsp.frame}: {offer}")
    return "; ".join(parts)


@cache
def _sent_failed(sent_by: Side, local: bool | None, name: str, reason: int) -> str:
    """``The central (initiator) sent Pairing Failed: NAME (0xNN) at #`` (the frame follows)."""
    return f"{_sender(sent_by, local)} sent Pairing Failed: {name} (0x{reason:02x}) at #"


def _evidence(p: Pairing) -> list[int]:
    frames = []
    if p.security_request is not None:
        frames.append(p.security_request.frame)
    if p.request is not None:  # the exchange's frames, request first (``exchanged``)
        frames.append(p.request.frame)
    if p.response is not None:
        frames.append(p.response.frame)
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


def _auth_requirements(p: Pairing) -> tuple[RuleInfo, Callable[[Pairing], str]] | None:
    """Tell the three kinds of 0x03 apart (or None when the fields do not explain it): the
    rule and the function that words its detail from ``p`` (``Finding``'s ``Words``)."""
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
            return PEER_REQUIRES_MITM, _refused_request_words
        if f.sent_by == Side.RESPONDER and not req.sc:
            return SC_MISMATCH, _refused_legacy_words
        return None
    sc = bool(req.sc and rsp and rsp.sc)
    method = table_method(req.io_capability, rsp.io_capability, sc) if rsp else None
    jw_only = method is Method.JUST_WORKS
    if sender.sc and not other.sc and (not sender.mitm or not jw_only):
        return SC_MISMATCH, _sc_mismatch_words
    if sender.mitm and jw_only:
        if f.sent_by == Side.INITIATOR:
            return MITM_UNSATISFIABLE, _central_gave_up_words
        return PEER_REQUIRES_MITM, _peer_requires_words
    if f.sent_by == Side.RESPONDER and (
        not req.mitm or req.io_capability == IoCapability.NO_INPUT_NO_OUTPUT
    ):
        return PEER_REQUIRES_MITM, _peripheral_refused_words
    if f.sent_by == Side.INITIATOR and sender.mitm and not other.mitm and jw_only:
        return MITM_UNSATISFIABLE, _params_words
    return None


# The details of ``_auth_requirements``' kinds, each worded from the pairing it is about
# (a failure, a request and, where the kind needs it, a response: ``_auth_requirements``
# returned the function only when they are there).
def _refused_request_words(p: Pairing) -> str:
    f, req = cast(Failure, p.failure), cast(Features, p.request)
    also_sc = (
        " The request did not offer Secure Connections either, so the peripheral may "
        "need SC as well (or instead)."
        if not req.sc
        else ""
    )
    return (
        f"The peripheral refused the Pairing Request #{req.frame} with Authentication "
        f"Requirements (0x03) at #{f.frame}. The request offered "
        f"{req.io_capability_name} and MITM {'yes' if req.mitm else 'no'}: only Just "
        f"Works was possible.{also_sc}"
    )


def _refused_legacy_words(p: Pairing) -> str:
    f, req = cast(Failure, p.failure), cast(Features, p.request)
    return (
        f"The peripheral refused the legacy Pairing Request #{req.frame} (SC flag not "
        f"set) with Authentication Requirements (0x03) at #{f.frame}."
    )


def _sc_mismatch_words(p: Pairing) -> str:
    f = cast(Failure, p.failure)
    return (
        f"{failure_sender(f)} set the SC flag and refused at #{f.frame} with "
        f"Authentication Requirements (0x03); the other side did not offer Secure "
        f"Connections. {_params(p)}."
    )


def _sender_other(p: Pairing) -> tuple[Failure, Features, Features]:
    f, req, rsp = cast(Failure, p.failure), cast(Features, p.request), p.response
    sender, other = (req, rsp) if f.sent_by == Side.INITIATOR else (rsp, req)
    return f, cast(Features, sender), cast(Features, other)


def _central_gave_up_words(p: Pairing) -> str:
    f, sender, other = _sender_other(p)
    return (
        f"The central asked for MITM protection, but the peripheral is "
        f"{other.io_capability_name} and the central {sender.io_capability_name}: "
        f"Table 2.8 gives Just Works, so the central gave up with Authentication "
        f"Requirements (0x03) at #{f.frame}. {_params(p)}."
    )


def _peer_requires_words(p: Pairing) -> str:
    f, _sender, other = _sender_other(p)
    return (
        f"The peripheral requires MITM protection, but the central offered "
        f"{other.io_capability_name}: only Just Works was possible, so the peripheral "
        f"refused with Authentication Requirements (0x03) at #{f.frame}. {_params(p)}."
    )


def _peripheral_refused_words(p: Pairing) -> str:
    f, req = cast(Failure, p.failure), cast(Features, p.request)
    return (
        f"The peripheral refused with Authentication Requirements (0x03) at #{f.frame}; "
        f"the central offered {req.io_capability_name}, MITM "
        f"{'yes' if req.mitm else 'no'}. {_params(p)}."
    )


def _params_words(p: Pairing) -> str:
    return f"{_params(p)}."


def _relevant_mismatches(p: Pairing) -> list[Any]:
    """Checks that can explain a failed pairing (a debug key does not: it pairs fine)."""
    return [
        c for c in p.checks if c.result == CheckResult.MISMATCH and c.check not in DEBUG_KEY_CHECKS
    ]


def _verified(p: Pairing, mismatches: list[Any]) -> str:
    """What the checks redone from the capture's public values say (analysis/verify.py);
    ``mismatches``: ``_relevant_mismatches(p)``."""
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
    if not p.checks:
        return out
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


def _advertising_note(idx: AnalysisIndex, p: Pairing) -> str:
    conn = idx.connection(p.connection)
    if conn is None or conn.peripheral.address is None:
        return ""
    for adv in idx.discoverable_advertising(conn.peripheral.address):
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
    idx = index_of(analysis)
    for p in analysis.pairings:
        f = p.failure
        if f is None or f.layer != Layer.SMP:
            continue
        frames = _evidence(p)
        # a pasted log that leaves records out between the pairing's start and its failure
        # cannot show that nothing passed between them
        gap = idx.missing_before_failure(p)
        if (
            f.reason in (ErrorCode.PAIRING_NOT_SUPPORTED, ErrorCode.UNSPECIFIED_REASON)
            and f.sent_by == Side.RESPONDER
            and _immediate(p)
            and gap is None
        ):
            if f.reason == ErrorCode.UNSPECIFIED_REASON or p.security_request is not None:
                yield finding(
                    PAIRING_MODE_INACTIVE,
                    (_inactive_words, p, _advertising_note(idx, p)),
                    frames,
                    connection=p.connection,
                    pairing=p.id,
                )
                continue
        if f.reason == ErrorCode.AUTHENTICATION_REQUIREMENTS and (
            gap is None or p.response is not None
        ):
            kind = _auth_requirements(p)
            if kind is not None:
                info, words = kind
                yield finding(info, (words, p), frames, connection=p.connection, pairing=p.id)
                continue
            yield finding(
                OTHER, (_other_auth_words, p), frames, connection=p.connection, pairing=p.id
            )
            continue
        info = RULE_BY_REASON.get(f.reason, OTHER)
        mismatches = _relevant_mismatches(p) if p.checks else []
        if mismatches:  # (``finding`` sorts the frames and drops repeats)
            frames = [*frames, *(c.frame for c in mismatches)]
        earlier = ""
        if gap is not None:  # said after what was verified, as the words put it
            earlier = (
                f" The log leaves records out before #{gap} (see its problems), so what "
                f"passed between #{p.start_frame} and this failure is not known."
            )
        if f.reason == ErrorCode.REPEATED_ATTEMPTS:
            n_earlier, first_failed = idx.failed_before(p.id)
            if n_earlier and first_failed is not None:
                earlier += (
                    f" {n_earlier} earlier failed attempt(s) in this capture "
                    f"(first at #{first_failed.first_frame})."
                )
        yield finding(
            info, (_failed_words, p, earlier), frames, connection=p.connection, pairing=p.id
        )


# The details of ``smp_failures``' findings, worded when they are read (``Finding``'s
# ``Words``) from the pairing, and from what the index told when the rule ran.
def _inactive_words(p: Pairing, advertising_note: str) -> str:
    f = cast(Failure, p.failure)
    sr = ""
    if p.security_request is not None:
        sr = (
            f"The peripheral itself asked for security (Security Request "
            f"#{p.security_request.frame}), yet "
        )
    req = f"Pairing Request #{p.request.frame}" if p.request else "the Pairing Request"
    return (
        f"{sr}it answered the {req} at once with {f.name} (0x{f.reason:02x}) "
        f"at #{f.frame}, before any key exchange — the behaviour of a device that "
        f"is not in pairing mode.{advertising_note}"
    )


def _other_auth_words(p: Pairing) -> str:
    f = cast(Failure, p.failure)
    return (
        f"{failure_sender(f)} ended the pairing with Authentication "
        f"Requirements (0x03) at #{f.frame}; the fields seen do not show which "
        f"requirement. {_params(p)}"
    )


def _failed_words(p: Pairing, earlier: str) -> str:
    """A Pairing Failed's detail; ``earlier``: the earlier failed attempts (0x09)."""
    f = cast(Failure, p.failure)
    detail = f"{_sent_failed(f.sent_by, f.local, f.name, f.reason)}{f.frame}."
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
    mismatches = _relevant_mismatches(p) if p.checks else []
    return detail + _verified(p, mismatches) + earlier


COMMITMENT_NOT_CHECKED = rule("commitment-not-checked")


_COMMITMENTS = frozenset(
    {
        CheckKind.INITIATOR_CONFIRM,
        CheckKind.RESPONDER_CONFIRM,
        CheckKind.PASSKEY_AGREEMENT,
        CheckKind.INITIATOR_PASSKEY_COMMITMENT,
        CheckKind.RESPONDER_PASSKEY_COMMITMENT,
    }
)

DEBUG_KEY = rule("debug-key")
INVALID_PUBLIC_KEY = rule("invalid-public-key")


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
        if not p.checks:
            continue  # (most pairings: nothing was checked)
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
        req, rsp = p.request, p.response
        if (req is None or 7 <= req.max_key_size <= 16) and (
            rsp is None or 7 <= rsp.max_key_size <= 16
        ):
            continue  # both in range (or not captured): the common case, without exchanged()
        for which, f in exchanged(p):
            if not 7 <= f.max_key_size <= 16:
                yield finding(
                    KEY_SIZE,
                    f"The Pairing {which.capitalize()} #{f.frame} announces a Maximum "
                    f"Encryption Key Size of {f.max_key_size}; the spec allows 7 to 16 octets.",
                    [f.frame],
                    connection=p.connection,
                    pairing=p.id,
                    fix="The side that sent it is faulty (or attacking); a correct peer must "
                    "reject it with Invalid Parameters (0x0A) or Encryption Key Size (0x06).",
                )
