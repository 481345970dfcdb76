"""Who sent an SMP PDU when the capture does not say (no direction flags, a sniffer that
records none): the order SMP prescribes, used only where it leaves one answer.

The initiator is the central (Vol 3, Part H, 2.1); the sequence of each phase-2 PDU type is
fixed by the protocol (2.3.5.5 LE legacy, 2.3.5.6 LE Secure Connections; the message
sequence charts of Appendix C.1):

- Pairing Public Key: the initiator's, then the responder's (2.3.5.6.1);
- Pairing DHKey Check: the initiator's Ea, then the responder's Eb (2.3.5.6.5);
- LE legacy Confirm and Random: Mconfirm, Sconfirm; Mrand, Srand (2.3.5.5);
- LE Secure Connections Just Works / Numeric Comparison: the responder's Cb only, then Na,
  Nb (2.3.5.6.2); Passkey Entry: 20 rounds of Cai, Cbi, Nai, Nbi (2.3.5.6.3); OOB: Na, Nb
  and no Confirm (2.3.5.6.4);
- phase 3 (3.6.1): the responder distributes its keys first, then the initiator, each in
  the order Encryption Information, Central Identification, Identity Information, Identity
  Address Information, Signing Information, as the negotiated key distribution says (in
  LE Secure Connections the LTK is not sent: EncKey distributes nothing).

A PDU type is assigned only when the pairing holds exactly as many PDUs of it as the
sequence has (a missed PDU would shift every later one) and the senders already known agree
with the sequence.  A host log (HCI: an H4 pcap without direction, a paste that lost the
``<``/``>``) misses no PDU, and each PDU of the sequence is sent only after the one before it
was received, so there a pairing that stopped early holds a prefix of each sequence: the
first PDUs are assigned in order.  Keypress Notification, which either side may send at any
time, is never assigned; Pairing Failed only in a host log when its reason names a check
only one side can have made right then (``_failed_sender``).  The frames assigned are
listed in ``Pairing.senders_from_order`` (JSON ``senders_from_smp_order``); a Pairing Failed
whose sender stays unknown carries why (``Failure.sender_unknown``).
"""

from __future__ import annotations

from bpdiag.analysis.model import Method, Pairing, Role, Side, Step
from bpdiag.decode import smp

C = smp.CommandCode
_CENTRAL, _PERIPHERAL = Role.CENTRAL, Role.PERIPHERAL
_ROLE_WORD = {_CENTRAL: Side.INITIATOR, _PERIPHERAL: Side.RESPONDER}
_KEY_ORDER = (
    # (key distribution flag (3.6.1, Figure 3.11), PDU codes it distributes, legacy only)
    ("EncKey", (C.ENCRYPTION_INFORMATION, C.CENTRAL_IDENTIFICATION), True),
    ("IdKey", (C.IDENTITY_INFORMATION, C.IDENTITY_ADDRESS_INFORMATION), False),
    ("SignKey", (C.SIGNING_INFORMATION,), False),
)


def _phase2_sequences(p: Pairing) -> dict[int, list[Role]]:
    """Per PDU code, the senders in protocol order, where the capture tells the protocol."""
    cp = [_CENTRAL, _PERIPHERAL]
    seq: dict[int, list[Role]] = {}
    if p.secure_connections:
        seq[C.PAIRING_PUBLIC_KEY] = cp
        seq[C.PAIRING_DHKEY_CHECK] = cp
        if p.method in (Method.JUST_WORKS, Method.NUMERIC_COMPARISON):
            seq[C.PAIRING_CONFIRM] = [_PERIPHERAL]
            seq[C.PAIRING_RANDOM] = cp
        elif p.method == Method.PASSKEY_ENTRY:
            seq[C.PAIRING_CONFIRM] = cp * 20
            seq[C.PAIRING_RANDOM] = cp * 20
        elif p.method == Method.OOB:
            seq[C.PAIRING_RANDOM] = cp
    elif p.secure_connections is False and p.method is not None:
        seq[C.PAIRING_CONFIRM] = cp
        seq[C.PAIRING_RANDOM] = cp
    return seq


def _key_sequence(p: Pairing) -> list[tuple[int, Role]] | None:
    """(code, sender) of every phase-3 PDU the negotiated distribution sends, in order."""
    if p.request is None or p.response is None or p.secure_connections is None:
        return None
    # The Pairing Response's distribution is the one used (3.5.2); unknown when it was cut.
    if p.response.responder_keys is None or p.response.initiator_keys is None:
        return None
    out: list[tuple[int, Role]] = []
    for sender, flags in (
        (_PERIPHERAL, p.response.responder_keys),
        (_CENTRAL, p.response.initiator_keys),
    ):
        for flag, codes, legacy_only in _KEY_ORDER:
            if flag in flags and not (legacy_only and p.secure_connections):
                out.extend((code, sender) for code in codes)
    return out


def _assign(steps: list[Step], senders: list[Role], done: list[int], prefix: bool = False) -> None:
    if len(steps) != len(senders):
        if not prefix or len(steps) > len(senders):
            return
        senders = senders[: len(steps)]
    if any(s.sender not in (Role.UNKNOWN, want) for s, want in zip(steps, senders, strict=True)):
        return  # the known senders contradict the order: the capture is not what it seems
    for s, want in zip(steps, senders, strict=True):
        if s.sender == Role.UNKNOWN:
            s.sender = want
            done.append(s.frame)


def _other(sender: Role) -> Role:
    return _PERIPHERAL if sender == _CENTRAL else _CENTRAL


def _failed_sender(p: Pairing, i: int) -> Role | None:
    """The sender of the Pairing Failed at ``p.steps[i]`` when its reason names a check that
    only the receiver of the PDU before it can have made: DHKey Check Failed after a DHKey
    Check (2.3.5.6.5: Ea is checked by the responder, Eb by the initiator), Confirm Value
    Failed after a Random (the receiver of a Random checks its sender's Confirm, 2.3.5.5,
    2.3.5.6.3; in Just Works / Numeric Comparison only the initiator checks, on Nb)."""
    prev = p.steps[i - 1] if i else None
    if prev is None or prev.sender not in _ROLE_WORD:
        return None
    reason = getattr(p.steps[i].msg, "reason", None)
    checks = _CHECKS_OF.get(prev.code)
    if checks is not None and reason in checks:
        return _other(prev.sender)
    if reason == smp.ErrorCode.DHKEY_CHECK_FAILED and prev.code == C.PAIRING_DHKEY_CHECK:
        return _other(prev.sender)
    if reason == smp.ErrorCode.CONFIRM_VALUE_FAILED and prev.code == C.PAIRING_RANDOM:
        if p.secure_connections and p.method in (Method.JUST_WORKS, Method.NUMERIC_COMPARISON):
            return _CENTRAL if prev.sender == _PERIPHERAL else None
        return _other(prev.sender) if p.method is not None else None
    return None


E = smp.ErrorCode
# Reasons that name a check of the PDU just received (the receiver's), answered to it at
# once: a Security Request the central refuses (3.6.7), a Pairing Request the responder
# refuses (3.5.1: not supported, key size, requirements, repeated attempts 2.3.6, bad
# values), a Pairing Response the initiator refuses (3.5.2: key size 2.3.4, requirements,
# bad values).  Unspecified Reason, Passkey Entry Failed and the like are not here: either
# side may stop with them at any time.
_CHECKS_OF: dict[int, frozenset[int]] = {
    C.SECURITY_REQUEST: frozenset(
        {E.PAIRING_NOT_SUPPORTED, E.AUTHENTICATION_REQUIREMENTS, E.INVALID_PARAMETERS}
    ),
    C.PAIRING_REQUEST: frozenset(
        {
            E.AUTHENTICATION_REQUIREMENTS,
            E.PAIRING_NOT_SUPPORTED,
            E.ENCRYPTION_KEY_SIZE,
            E.COMMAND_NOT_SUPPORTED,
            E.REPEATED_ATTEMPTS,
            E.INVALID_PARAMETERS,
        }
    ),
    C.PAIRING_RESPONSE: frozenset(
        {E.AUTHENTICATION_REQUIREMENTS, E.ENCRYPTION_KEY_SIZE, E.INVALID_PARAMETERS}
    ),
}


def infer_senders(p: Pairing, lossless: bool = False) -> None:
    """Set ``sender`` of the steps the capture left "unknown" where SMP's order allows only
    one answer, and the ``sent_by`` of their distributed keys; record the frames.
    ``lossless``: a host log (HCI), which misses no PDU, so the PDU before a Pairing Failed
    is the one it answered; on air a missed PDU could sit between them."""
    # a packed step's sender is always known: only the kept ones can be unknown
    if not any(s.sender == Role.UNKNOWN for s in p.steps.kept()):
        return
    done: list[int] = []
    # A prefix only in a host log whose pairing began in it and did not complete.
    prefix = lossless and p.request is not None and p.encrypted_frame is None
    for code, senders in _phase2_sequences(p).items():
        _assign([s for s in p.steps if s.code == code], senders, done, prefix)
    if lossless and p.failure is not None:
        for i, s in enumerate(p.steps):
            if s.code == C.PAIRING_FAILED and s.frame == p.failure.frame:
                who = _failed_sender(p, i) if s.sender == Role.UNKNOWN else None
                if who is not None:
                    s.sender = who
                    p.failure.sent_by = _ROLE_WORD[who]
                    done.append(s.frame)
    keys = _key_sequence(p)
    if keys is not None:
        steps = [s for s in p.steps if s.code in _KEY_CODES]
        if [s.code for s in steps] == [code for code, _ in keys]:
            _assign(steps, [sender for _, sender in keys], done)
        by_frame = {s.frame: s.sender for s in steps}
        for k in p.keys:
            if k.sent_by == Side.UNKNOWN and by_frame.get(k.frame) in _ROLE_WORD:
                k.sent_by = _ROLE_WORD[by_frame[k.frame]]
    if done:
        p.senders_from_order = [*p.senders_from_order, *sorted(done)]


_KEY_CODES = frozenset(code for _, codes, _ in _KEY_ORDER for code in codes)
