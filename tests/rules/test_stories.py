"""Rules that read several attempts with one peer as one story (bpdiag.rules.stories), on
hand-built analyses — each with the case where it must not fire."""

from __future__ import annotations

from bpdiag.analysis.model import Encryption, SecurityProcedure, SecurityRequest
from bpdiag.rules import run_rules
from tests.rules.analyses import _analysis, _codes, _conn, _pairing


def test_peer_state_changed_across_connections() -> None:
    refused = _pairing(1, 1, failure=(0x08, "responder"))
    accepted = _pairing(2, 2, response=True, success=True)
    a = _analysis([_conn(1), _conn(2)], [refused, accepted])
    [f] = [f for f in run_rules(a) if f.code == "peer-state-changed"]
    assert f.pairing == 2 and "request was fine" in f.detail
    # A different request later: the parameters may have been the cause — no story.
    other = _pairing(2, 2, response=True, success=True, auth=0x0D)
    assert "peer-state-changed" not in _codes(_analysis([_conn(1), _conn(2)], [refused, other]))
    # Another peer accepting it says nothing about this one.
    b = _analysis([_conn(1), _conn(2, peer="AA:AA:AA:AA:AA:AA")], [refused, accepted])
    assert "peer-state-changed" not in _codes(b)


def test_repeated_smp_timeouts() -> None:
    p1 = _pairing(1, 1, response=True, t=0.0)
    p2 = _pairing(2, 2, response=True, t=100.0)
    c1 = _conn(1, disconnect_frame=150, disconnect_time=30.5, disconnect_reason=0x13)
    c2 = _conn(2, disconnect_frame=250, disconnect_time=130.6, disconnect_reason=0x13)
    [f] = [f for f in run_rules(_analysis([c1, c2], [p1, p2])) if f.code == "repeated-smp-timeouts"]
    assert "2 pairings" in f.detail and "Pairing Response" in f.detail
    # Closed after 2 s each: not the SMP timeout.
    c1.disconnect_time, c2.disconnect_time = 2.0, 102.0
    assert "repeated-smp-timeouts" not in _codes(_analysis([c1, c2], [p1, p2]))


def test_same_failure_on_every_reconnection() -> None:
    ps = [_pairing(i, i, response=True, failure=(0x03, "responder")) for i in (1, 2, 3)]
    conns = [_conn(i) for i in (1, 2, 3)]
    assert _codes(_analysis(conns, ps)).count("same-failure-every-connection") == 1
    # One connection ends differently: not the same failure every time.
    ps[2] = _pairing(3, 3, response=True, failure=(0x04, "responder"))
    assert "same-failure-every-connection" not in _codes(_analysis(conns, ps))
    # One connection only: nothing to compare.
    one = [_pairing(1, 1, response=True, failure=(0x03, "responder"))]
    assert "same-failure-every-connection" not in _codes(_analysis([_conn(1)], one))


def test_dhkey_check_failed_over_an_existing_bond() -> None:
    failed = _pairing(1, 2, response=True, failure=(0x0B, "responder"))
    stored = Encryption(
        connection=1, frame=150, status=0, status_name="Success", after_pairing=False
    )
    a = _analysis([_conn(1), _conn(2)], [failed], encryptions=[stored])
    [f] = [f for f in run_rules(a) if f.code == "dhkey-failed-over-bond"]
    assert "#150" in f.detail
    # No bond in the capture before it: only dhkey-check-failed.
    b = _analysis([_conn(1), _conn(2)], [failed])
    assert "dhkey-failed-over-bond" not in _codes(b) and "dhkey-check-failed" in _codes(b)


def test_numeric_comparison_failed_then_a_loop_of_not_supported() -> None:
    nc = _pairing(1, 1, response=True, failure=(0x0C, "responder"))
    loop = [_pairing(i, i, failure=(0x05, "responder")) for i in (2, 3, 4)]
    conns = [_conn(i) for i in (1, 2, 3, 4)]
    assert "refused-after-rejection" in _codes(_analysis(conns, [nc, *loop]))
    # A single refusal after it is not a loop.
    assert "refused-after-rejection" not in _codes(_analysis(conns[:2], [nc, loop[0]]))


def test_security_request_ignored_and_bonded_reconnection() -> None:
    sr = SecurityRequest(frame=101, auth_req=1, bonding=True, mitm=False, sc=False)
    c = _conn(1, disconnect_frame=105, disconnect_reason=0x13, disconnect_time=3.0)
    ignored = SecurityProcedure(1, sr, 1.0, "disconnected", 105, 3.0)
    [f] = run_rules(_analysis([c], [], security_requests=[ignored]))
    assert f.code == "security-request-ignored" and f.frames == [101, 105]
    assert "2.0 s later" in f.detail
    encrypted = SecurityProcedure(1, sr, 1.0, "encrypted", 103, 1.2, 0)
    assert run_rules(_analysis([c], [], security_requests=[encrypted])) == []


def test_an_unanswered_security_request_says_what_the_log_cannot_show() -> None:
    """A log that ends soon after a Security Request (a pasted excerpt) or carries no time
    stamps cannot show that the central never answered: the stacks give it the 30 s SMP
    timeout (Vol 3, Part H, 3.4). A capture that went on longer can."""
    sr = SecurityRequest(frame=7, auth_req=9, bonding=True, mitm=False, sc=True)
    proc = SecurityProcedure(1, sr, 10.0)  # unanswered, the link still open

    def detail(first: float, last: float, records: int = 9) -> str:
        a = _analysis([_conn(1)], [], security_requests=[proc])
        a.capture.first_time, a.capture.last_time, a.capture.records = first, last, records
        [f] = run_rules(a)
        assert f.code == "security-request-ignored"
        assert "did not answer" not in f.title
        return f.detail

    short = detail(9.0, 10.4)
    assert "before the capture ends 0.4 s later, before the 30 s SMP timeout could show" in short
    untimed = detail(10.0, 10.0)
    assert "carries no time stamps" in untimed and "not known" in untimed
    long = detail(9.0, 45.0)
    assert long.endswith("neither paired nor encrypted before the capture ends.")


def test_peer_state_changed_when_the_later_response_was_missed() -> None:
    refused = _pairing(1, 1, failure=(0x05, "responder"))
    accepted = _pairing(2, 2, success=True)  # no Pairing Response captured, yet it completed
    [f] = [f for f in run_rules(_analysis([_conn(1), _conn(2)], [refused, accepted]))
           if f.code == "peer-state-changed"]  # fmt: skip
    assert "was not captured" in f.detail


def test_the_peer_table_follows_an_analysis_that_grew() -> None:
    # peers_of keeps one table per analysis index: once the analysis gains a connection
    # and a pairing, the stories and the advice must see them, not the first table.
    refused = _pairing(1, 1, failure=(0x08, "responder"))
    a = _analysis([_conn(1)], [refused])
    assert "peer-state-changed" not in _codes(a)
    a.connections.append(_conn(2))
    a.pairings.append(_pairing(2, 2, response=True, success=True))
    [f] = [f for f in run_rules(a) if f.code == "peer-state-changed"]
    assert f.pairing == 2
