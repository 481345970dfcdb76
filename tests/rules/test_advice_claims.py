"""'What would work' claims only what the capture shows (bpdiag.rules.advice), and a partly
captured pairing that completed is a success with a capture-gap (capture_quality), on
hand-built analyses."""

from __future__ import annotations

from bpdiag.analysis.model import Analysis, CaptureInfo, Connection, Endpoint, Failure, Pairing
from bpdiag.rules import run_rules
from bpdiag.rules.advice import suggestions
from tests.rules.analyses import _analysis, _conn, _features, _pairing


def _refused(pid: int, cid: int, reason: int, with_response: bool = False) -> Pairing:
    return _pairing(pid, cid, response=with_response, failure=(reason, "responder"))


def test_refused_before_any_response_claims_no_peer_capability() -> None:
    p = _refused(1, 1, 0x03)  # Authentication Requirements, no Pairing Response
    [s] = suggestions(_analysis([_conn(1)], [p]))
    assert "not known" in s.why and "the peer is" not in s.why


def test_an_earlier_response_from_the_same_peer_is_used_and_named() -> None:
    earlier = _refused(1, 1, 0x04, with_response=True)  # its response: NoInputNoOutput
    later = _refused(2, 2, 0x03)
    s = {x.pairing: x for x in suggestions(_analysis([_conn(1), _conn(2)], [earlier, later]))}[2]
    assert f"earlier Pairing Response #{earlier.response.frame}" in s.why  # type: ignore[union-attr]
    # ...but never one from another peer.
    other = _analysis([_conn(1), _conn(2, peer="AA:AA:AA:AA:AA:AA")], [earlier, later])
    s2 = {x.pairing: x for x in suggestions(other)}[2]
    assert "earlier Pairing Response" not in s2.why and "not known" in s2.why


def test_the_peers_state_comes_first_and_the_request_is_kept() -> None:
    p = _refused(1, 1, 0x08)  # refused at once: not in pairing mode
    [s] = suggestions(_analysis([_conn(1)], [p]))
    assert s.why.startswith("The peer refused at once")
    assert "request was not the cause" in s.why
    assert p.request is not None
    assert (s.mitm, s.sc, s.bonding) == (p.request.mitm, p.request.sc, p.request.bonding)
    assert "pairing mode" in s.also[0]
    assert not any("gatttool" in c or "--io" in c for c in s.commands)
    back_off = _refused(1, 1, 0x09, with_response=True)
    [s] = suggestions(_analysis([_conn(1)], [back_off]))
    assert "back-off" in s.why and "request was not the cause" in s.why


def test_parameter_failures_still_get_parameter_advice() -> None:
    p = _refused(1, 1, 0x03, with_response=True)
    assert p.response is not None
    p.response.io_capability = 0x00  # DisplayOnly: Passkey Entry can give MITM
    [s] = suggestions(_analysis([_conn(1)], [p]))
    assert "request was not the cause" not in s.why and s.commands


def _air(cid: int) -> Connection:
    return Connection(
        id=cid, link=("ll", 0x1234), transport="le", first_frame=1, last_frame=99,
        central=Endpoint("C0:FF:EE:00:00:01", "public"),
        peripheral=Endpoint("F0:0D:00:00:00:02", "random"),
    )  # fmt: skip


def test_partly_captured_pairing_that_encrypted_is_a_success_with_a_gap() -> None:
    p = Pairing(id=1, connection=1, first_frame=10, frames=[10, 12, 13, 14])
    p.request = _features(10)
    p.confirms, p.randoms = 1, 1  # the Pairing Response and one Random were missed
    p.secure_connections = False
    p.encrypted_frame = 20
    a = Analysis(capture=CaptureInfo("t", "pcap", 256, "LE LL"))
    a.connections, a.pairings = [_air(1)], [p]
    assert p.outcome == "success"
    codes = [f.code for f in run_rules(a)]
    assert "capture-gap" in codes and "pairing-incomplete" not in codes
    gap = next(f for f in run_rules(a) if f.code == "capture-gap")
    assert "the Pairing Response" in gap.detail and "1 Pairing Random" in gap.detail
    assert "cannot be known" in gap.detail


def test_sc_without_dhkey_checks_on_air_is_a_gap_but_on_hci_a_violation() -> None:
    def sc_pairing() -> Pairing:
        p = Pairing(id=1, connection=1, first_frame=10, frames=[10, 11, 12, 13])
        p.request, p.response = _features(10), _features(11, io=0x03)
        p.secure_connections, p.method = True, "just_works"
        p.public_keys, p.confirms, p.randoms = 2, 1, 2
        p.encrypted_frame = 20
        return p

    air = Analysis(capture=CaptureInfo("t", "pcap", 256, "LE LL"))
    air.connections, air.pairings = [_air(1)], [sc_pairing()]
    air_codes = [f.code for f in run_rules(air)]
    assert "capture-gap" in air_codes and "pairing-protocol-violation" not in air_codes
    host = _analysis([_conn(1)], [sc_pairing()])
    assert "pairing-protocol-violation" in [f.code for f in run_rules(host)]


def test_nothing_of_phase_2_then_encryption_stays_a_violation() -> None:
    p = Pairing(id=1, connection=1, first_frame=10, frames=[10, 11])
    p.request, p.response = _features(10), _features(11, io=0x03)
    p.encrypted_frame = 20
    a = Analysis(capture=CaptureInfo("t", "pcap", 256, "LE LL"))
    a.connections, a.pairings = [_air(1)], [p]
    assert "pairing-protocol-violation" in [f.code for f in run_rules(a)]
    assert Failure  # the model's failure type is what the rules read (imported for typing)


def test_completed_pairing_without_its_request_names_it_and_keeps_the_method_open() -> None:
    p = Pairing(id=1, connection=1, first_frame=11, frames=[11, 12, 13, 14, 15])
    p.response = _features(11, io=0x04)
    p.confirms, p.randoms = 2, 2
    p.secure_connections = False
    p.encrypted_frame = 20
    a = Analysis(capture=CaptureInfo("t", "pcap", 256, "LE LL"))
    a.connections, a.pairings = [_air(1)], [p]
    [gap] = [f for f in run_rules(a) if f.code == "capture-gap"]
    assert "the Pairing Request" in gap.detail and "Method not known" in gap.detail
    # Failed instead: the plain 'request not captured' wording, no claim of completion.
    p.encrypted_frame, p.failure = None, Failure(0x04, "Confirm Value Failed", "responder", 16)
    [gap] = [f for f in run_rules(a) if f.code == "capture-gap"]
    assert "completed" not in gap.detail and "request was not captured" in gap.detail


def test_a_later_success_with_the_same_request_is_named() -> None:
    refused = _refused(1, 1, 0x08)
    ok = _pairing(2, 2, response=True, success=True)
    [s] = suggestions(_analysis([_conn(1), _conn(2)], [refused, ok]))
    assert "The same request succeeded later (pairing 2" in s.why
    changed = _pairing(2, 2, response=True, success=True, auth=0x0D)  # another request
    [s] = suggestions(_analysis([_conn(1), _conn(2)], [refused, changed]))
    assert "succeeded later" not in s.why
