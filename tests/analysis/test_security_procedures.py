"""The analyser on SMP sequences fed PDU by PDU (decoded from spec-layout bytes with
bpdiag.decode.smp, Vol 3, Part H, 3.5–3.6): Security Requests that are not pairings, who sent
what when the local role comes late, and the method of a partly captured pairing."""

from __future__ import annotations

from bpdiag.analysis.builder import Analyzer
from bpdiag.analysis.model import Analysis, CaptureInfo
from bpdiag.capture.record import Direction
from bpdiag.decode import hci
from bpdiag.decode.pdu import Pdu
from bpdiag.decode.smp import parse_smp

S, R = Direction.SENT, Direction.RECEIVED
LINK = ("hci", 0, 0x40)
SEC_REQ = bytes([0x0B, 0x01])  # Security Request, AuthReq Bonding
# Pairing Request: IO NoInputNoOutput, no OOB, AuthReq Bonding|SC, key 16, dist 0x07/0x07
PAIR_REQ = bytes([0x01, 0x03, 0x00, 0x09, 0x10, 0x07, 0x07])
PAIR_RSP = bytes([0x02, 0x03, 0x00, 0x09, 0x10, 0x07, 0x07])
PUBKEY = bytes([0x0C]) + bytes(64)
CONFIRM = bytes([0x03]) + bytes(16)
RANDOM = bytes([0x04]) + bytes(16)
DHKEY = bytes([0x0D]) + bytes(16)


def _smp(frame: int, direction: Direction, data: bytes, t: float | None = None) -> Pdu:
    cmd = parse_smp(data)
    return Pdu(frame, float(frame) if t is None else t, direction, LINK, "smp", data[0], cmd)


def _hci(frame: int, msg: object, t: float | None = None) -> Pdu:
    return Pdu(frame, float(frame) if t is None else t, R, LINK, "hci", 0, msg)  # type: ignore[arg-type]


def _encryption_change(frame: int, status: int = 0) -> Pdu:
    return _hci(frame, hci.EncryptionChange(0x08, status, 0x40, 1 if status == 0 else 0, None))


def _disconnect(frame: int, reason: int = 0x13) -> Pdu:
    return _hci(frame, hci.DisconnectionComplete(0, 0x40, reason))


def _analyse(pdus: list[Pdu]) -> Analysis:
    a = Analyzer(CaptureInfo("t", "btsnoop", 1002, "H4"))
    for p in pdus:
        a.feed(p)
    return a.finish()


def test_security_request_answered_by_encryption_is_not_a_pairing() -> None:
    a = _analyse([_smp(1, R, SEC_REQ), _encryption_change(3)])
    assert a.pairings == []
    [sr] = a.security_requests
    assert (sr.outcome, sr.answer_frame, sr.request.frame) == ("encrypted", 3, 1)
    assert [e.after_pairing for e in a.encryptions] == [False]


def test_security_request_then_disconnection_or_nothing() -> None:
    a = _analyse([_smp(1, R, SEC_REQ), _smp(2, R, SEC_REQ), _disconnect(5)])
    [sr] = a.security_requests
    assert (sr.outcome, sr.answer_frame, sr.repeats) == ("disconnected", 5, 1)
    assert a.pairings == []
    [sr] = _analyse([_smp(1, R, SEC_REQ)]).security_requests
    assert sr.outcome == "unanswered"


def test_security_request_answered_by_pairing_stays_in_the_pairing() -> None:
    a = _analyse([_smp(1, R, SEC_REQ), _smp(2, S, PAIR_REQ), _smp(3, R, PAIR_RSP)])
    assert a.security_requests == []
    [p] = a.pairings
    assert p.security_request is not None and p.security_request.frame == 1
    assert p.first_frame == 1 and p.frames == [1, 2, 3]
    assert [s.sender for s in p.steps] == ["peripheral", "central", "peripheral"]


def test_refused_stored_key_then_pairing_adopts_the_request() -> None:
    a = _analyse([_smp(1, R, SEC_REQ), _encryption_change(2, 0x06), _smp(3, S, PAIR_REQ)])
    assert a.security_requests == []
    [p] = a.pairings
    assert p.security_request is not None
    # Refused and nothing followed: kept as a refused procedure (bond-lost reports it).
    [sr] = _analyse([_smp(1, R, SEC_REQ), _encryption_change(2, 0x06)]).security_requests
    assert (sr.outcome, sr.encryption_status) == ("encryption-refused", 0x06)


def test_senders_learnt_from_a_later_pairing_request() -> None:
    # An HCI log that starts mid-link: a Pairing Failed before anything tells the role...
    failed = bytes([0x05, 0x08])
    a = _analyse([_smp(1, R, CONFIRM), _smp(2, S, failed), _smp(3, S, PAIR_REQ)])
    first, second = a.pairings
    # ...until this side sends a Pairing Request: it is the central.
    assert [s.sender for s in first.steps] == ["peripheral", "central"]
    assert first.failure is not None and first.failure.sent_by == "initiator"
    assert [s.sender for s in second.steps] == ["central"]


def _sc_start(request: bytes) -> list[Pdu]:
    """A Pairing Request (frame 1), no Pairing Response, then the public keys, one Confirm
    and the central's Random of SC Just Works / Numeric Comparison (frames 3–6)."""
    return [
        _smp(1, S, request),
        _smp(3, S, PUBKEY),
        _smp(4, R, PUBKEY),
        _smp(5, R, CONFIRM),
        _smp(6, S, RANDOM),
    ]


def test_partly_captured_pairing_completes_with_the_method_it_shows() -> None:
    # No Pairing Response captured; SC (public keys), one Confirm, NoInputNoOutput initiator.
    a = _analyse(
        [
            *_sc_start(PAIR_REQ),
            _smp(7, R, RANDOM),
            _smp(8, S, DHKEY),
            _smp(9, R, DHKEY),
            _encryption_change(10),
        ]
    )
    [p] = a.pairings
    assert p.outcome == "success"
    assert p.method == "just_works" and p.method_because is not None
    assert "NoInputNoOutput" in p.method_because


def test_partly_captured_pairing_leaves_an_undecided_method_unknown() -> None:
    keyboard = bytes([0x01, 0x04, 0x00, 0x0D, 0x10, 0x07, 0x07])  # KeyboardDisplay, MITM, SC
    a = _analyse([*_sc_start(keyboard), _encryption_change(10)])
    [p] = a.pairings
    assert p.outcome == "success" and p.method is None
    assert p.method_because is not None and "Numeric Comparison" in p.method_because


def test_security_request_crossing_the_pairing_request_joins_that_pairing() -> None:
    a = _analyse([_smp(1, S, PAIR_REQ), _smp(2, R, SEC_REQ), _smp(3, R, PAIR_RSP)])
    [p] = a.pairings
    assert a.security_requests == []
    assert p.security_request is not None and p.security_request.frame == 2
    assert p.request is not None and p.response is not None
