"""bredr-pairing-failed on hand-built analyses (what the finding says for each status, the
frames it cites, a refusal only when its record is there, never on success or no end), and
analysis.bredr's grouping of HCI messages into attempts."""

from __future__ import annotations

import pytest

from bpdiag.analysis.bredr import BredrTracker
from bpdiag.analysis.model import BredrPairing, Connection, Endpoint, Transport
from bpdiag.decode import hci
from bpdiag.decode.pdu import Layer, Pdu
from bpdiag.rules import run_rules
from bpdiag.rules.base import Finding, Severity
from tests.rules.analyses import _analysis, _conn

PEER = "0C:C4:13:F7:67:95"
E = hci.ErrorCode


def _bredr(**kw: object) -> BredrPairing:
    p = BredrPairing(first_frame=10, connection=1, peer_address=PEER)
    for k, v in kw.items():
        setattr(p, k, v)
    return p


def _found(*attempts: BredrPairing) -> list[Finding]:
    conn = _conn(1, PEER, transport=Transport.BR_EDR)
    a = _analysis([conn], [], bredr_pairings=list(attempts))
    return [f for f in run_rules(a) if f.code == "bredr-pairing-failed"]


def test_rejected_numeric_comparison_cites_the_exchange_the_refusal_and_the_end() -> None:
    (f,) = _found(
        _bredr(
            io_frames=[12, 13, 15],
            local_io=(1, 0, 5),
            peer_io=(1, 0, 5),
            requests=[(16, 0x33)],
            refusals=[(17, 0x042D, None)],
            simple_pairing=(18, E.AUTHENTICATION_FAILURE),
            authentication=(19, E.AUTHENTICATION_FAILURE),
        )
    )
    assert f.severity == Severity.ERROR and f.connection == 1
    assert f.frames == [12, 13, 15, 17, 18, 19]
    assert "Simple Pairing Complete at #18 says Authentication Failure (0x05)" in f.detail
    assert "the user rejected or mistyped the number or passkey" in f.detail
    assert "local DisplayYesNo, no OOB data, MITM required, general bonding" in f.detail
    assert "At #17 the local host rejected the numeric comparison" in f.detail
    assert "no agent was there to ask" in f.detail
    assert "covers LE pairing (SMP), not BR/EDR" in f.detail


def test_no_refusal_sentence_without_the_record() -> None:
    (f,) = _found(_bredr(simple_pairing=(18, E.AUTHENTICATION_FAILURE)))
    assert "local host" not in f.detail and "agent" not in f.detail
    assert f.frames == [18]


def test_a_missing_link_key_is_no_refusal() -> None:
    """A Link Key Request Negative Reply asks for a new pairing; it refuses nothing."""
    (f,) = _found(_bredr(refusals=[(11, 0x040C, None)], authentication=(19, E.PAIRING_NOT_ALLOWED)))
    assert "At #11 the local host had no stored link key for the peer" in f.detail
    assert "itself refused" not in f.detail
    assert "pairing is not allowed now" in f.detail


def test_pin_and_io_capability_refusals_say_the_local_host_refused() -> None:
    (f,) = _found(
        _bredr(
            refusals=[(11, 0x040C, None), (13, 0x040E, None)],
            authentication=(19, E.PIN_OR_KEY_MISSING),
        )
    )
    assert "At #13 the local host gave no PIN" in f.detail
    assert "The local host itself refused: no agent was there to ask for one" in f.detail
    (g,) = _found(
        _bredr(
            refusals=[(13, 0x0434, E.PAIRING_NOT_ALLOWED)],
            simple_pairing=(14, E.PAIRING_NOT_ALLOWED),
        )
    )
    assert "refused to pair (IO Capability Request Negative Reply), reason Pairing Not " in g.detail
    assert "no agent is registered to handle pairing" in g.detail


@pytest.mark.parametrize(
    ("status", "words"),
    [
        (E.PIN_OR_KEY_MISSING, "a stale bond"),
        (E.PAIRING_NOT_ALLOWED, "pairing is not allowed now"),
        (E.PAIRING_WITH_UNIT_KEY_NOT_SUPPORTED, "unit-key pairing"),
        (E.SECURE_SIMPLE_PAIRING_NOT_SUPPORTED_BY_HOST, "does not support Secure Simple Pairing"),
        (E.CONNECTION_TIMEOUT, "the link timed out"),
        (E.REMOTE_USER_TERMINATED_CONNECTION, "closed by the peer"),
        (E.CONNECTION_TERMINATED_BY_LOCAL_HOST, "closed by the local host"),
        (E.UNSPECIFIED_ERROR, "ended the pairing with Unspecified Error"),
    ],
)
def test_each_status_in_plain_words(status: int, words: str) -> None:
    (f,) = _found(_bredr(authentication=(19, status)))
    assert words in f.detail
    assert f"(0x{status:02x})" in f.detail


def test_a_stored_key_that_fails_is_a_stale_bond_not_a_rejection() -> None:
    (f,) = _found(_bredr(requests=[(11, 0x17)], authentication=(19, E.AUTHENTICATION_FAILURE)))
    assert "authentication with the stored link key failed" in f.detail
    assert "rejected or mistyped" not in f.detail


def test_a_stored_key_the_peer_lacks_says_the_peer_forgot_the_bond() -> None:
    """The host gave its stored key (Link Key Request Reply) and authentication ended with PIN
    or Key Missing: the key missing is the peer's, the bond stale on this side."""
    (f,) = _found(
        _bredr(
            requested_frame=10,
            requests=[(11, 0x17)],
            key_given_frame=12,
            authentication=(19, E.PIN_OR_KEY_MISSING),
        )
    )
    assert "its stored link key for the peer (Link Key Request Reply, #12)" in f.detail
    assert "the peer has no key for this host" in f.detail
    assert "one side has no link key" not in f.detail
    assert f.frames == [12, 19]
    # with a key given and Authentication Failure: the two keys differ
    (g,) = _found(_bredr(key_given_frame=12, authentication=(19, E.AUTHENTICATION_FAILURE)))
    assert "stored link key (given at #12, Link Key Request Reply) failed" in g.detail
    # without the reply in the log, 0x06 says only that one side has no key
    (h,) = _found(_bredr(requests=[(11, 0x17)], authentication=(19, E.PIN_OR_KEY_MISSING)))
    assert "one side has no link key" in h.detail and "Link Key Request Reply" not in h.detail
    # and a pairing that ran (IO capabilities exchanged) is not a stored key's failure
    (k,) = _found(
        _bredr(key_given_frame=12, io_frames=[13, 14], authentication=(19, E.PIN_OR_KEY_MISSING))
    )
    assert "the peer has no key for this host" not in k.detail


def test_a_pin_or_passkey_given_before_authentication_failure_is_named() -> None:
    (f,) = _found(_bredr(pin_given_frame=13, authentication=(19, E.AUTHENTICATION_FAILURE)))
    assert "after the local host gave a PIN (PIN Code Request Reply, #13)" in f.detail
    assert "did not match the peer's" in f.detail and f.frames == [13, 19]
    (g,) = _found(
        _bredr(
            io_frames=[12, 13],
            passkey_given_frame=15,
            simple_pairing=(18, E.AUTHENTICATION_FAILURE),
        )
    )
    assert "the local user typed a passkey (User Passkey Request Reply, #15)" in g.detail
    assert g.frames == [12, 13, 15, 18]
    # a PIN given and another status: the status's own words
    (h,) = _found(_bredr(pin_given_frame=13, authentication=(19, E.PAIRING_NOT_ALLOWED)))
    assert "pairing is not allowed now" in h.detail and "PIN entered here" not in h.detail


def test_the_first_failing_event_is_the_one_worded() -> None:
    (f,) = _found(
        _bredr(
            simple_pairing=(18, E.AUTHENTICATION_FAILURE),
            authentication=(19, E.CONNECTION_TIMEOUT),
        )
    )
    assert "the user rejected or mistyped" in f.detail and "timed out" not in f.detail


@pytest.mark.parametrize(
    "attempt",
    [
        _bredr(simple_pairing=(18, 0), authentication=(19, 0)),  # paired
        _bredr(requests=[(11, 0x17)]),  # a stored key asked for, no end in the log
        _bredr(refusals=[(13, 0x040E, None)]),  # a refusal with no status after it
    ],
)
def test_no_finding_without_a_failed_status(attempt: BredrPairing) -> None:
    assert _found(attempt) == []


def test_a_failed_attempt_fails_the_analysis() -> None:
    conn = _conn(1, PEER, transport=Transport.BR_EDR)
    assert _analysis([conn], [], bredr_pairings=[_bredr(simple_pairing=(18, 5))]).failed
    assert not _analysis([conn], [], bredr_pairings=[_bredr(simple_pairing=(18, 0))]).failed


# ---------------------------------------------------------------- analysis.bredr
ADDR = bytes.fromhex("9567f713c40c")


def _pdu(frame: int, msg: object) -> Pdu:
    return Pdu(frame, frame * 0.1, None, None, Layer.HCI, 0, msg, frame)  # type: ignore[arg-type]


def _brconn(cid: int = 1) -> Connection:
    return Connection(
        id=cid,
        link=("hci", 0, 11),
        transport=Transport.BR_EDR,
        first_frame=1,
        last_frame=1,
        peripheral=Endpoint(PEER),
    )


def test_tracker_groups_an_initiators_pairing() -> None:
    t = BredrTracker()
    conn = _brconn()
    msgs = [
        hci.AuthenticationRequested(11),
        hci.LinkKeyRequest(PEER),
        hci.LinkKeyRequestNegativeReply(PEER),
        hci.IoCapabilityRequest(PEER),
        hci.IoCapabilityRequestReply(PEER, 1, 0, 5),
        hci.IoCapabilityResponse(PEER, 3, 0, 2),
        hci.UserConfirmationRequest(PEER, 123456),
        hci.SimplePairingComplete(0, PEER),
        hci.LinkKeyNotification(PEER, bytes(16), 4),
        hci.AuthenticationComplete(0, 11),
        hci.LinkKeyRequest(PEER),  # the next attempt: a reconnection with the new key
    ]
    for i, m in enumerate(msgs, 1):
        t.feed(_pdu(i, m), conn)
    first, second = t.finish()
    assert (first.first_frame, first.requested_frame) == (1, 1)
    assert first.requests == [(2, 0x17), (7, 0x33)]
    assert first.refusals == [(3, 0x040C, None)]
    assert first.io_frames == [4, 5, 6]
    assert (first.local_io, first.peer_io) == ((1, 0, 5), (3, 0, 2))
    assert (first.simple_pairing, first.authentication) == ((8, 0), (10, 0))
    assert first.link_key_type == 4 and not first.failed
    assert second.first_frame == 11 and second.result is None


def test_tracker_a_responders_attempt_ends_at_the_next_request() -> None:
    """No Authentication Complete on the responding side: after its Simple Pairing
    Complete, the next request begins a new attempt."""
    t = BredrTracker()
    t.feed(_pdu(1, hci.IoCapabilityRequest(PEER)), None)
    t.feed(_pdu(2, hci.SimplePairingComplete(5, PEER)), None)
    t.feed(_pdu(3, hci.IoCapabilityRequest(PEER)), None)
    first, second = t.finish()
    assert first.failed and first.connection is None and first.peer_address == PEER
    assert second.first_frame == 3


def test_tracker_a_link_key_request_before_connection_complete_joins_it() -> None:
    t = BredrTracker()
    t.feed(_pdu(1, hci.LinkKeyRequest(PEER)), None)
    conn = _brconn(4)
    t.connected(conn)
    conn.disconnect_frame = 9
    t.disconnected(conn)
    (p,) = t.finish()
    assert (p.connection, p.disconnect_frame) == (4, 9)
