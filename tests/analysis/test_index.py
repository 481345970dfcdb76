"""The analysis index answers exactly what the linear scans it replaced answered.

Each look-up is checked against the scan the rules used to run (written out here as the
reference), on random analyses: connections that share links and peers, reconnect, lose their
Disconnection Complete; pairings and failures spread over them.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bpdiag.analysis.index import index_of
from bpdiag.analysis.model import (
    Analysis,
    CaptureInfo,
    Connection,
    Endpoint,
    Failure,
    MonitorEvent,
    Pairing,
)

ADDRS = ["AA:00:00:00:00:01", "AA:00:00:00:00:02", "AA:00:00:00:00:03"]


# The fixed strategies ``analyses`` draws from, made once (made at each draw, a list given
# to ``sampled_from`` is a new strategy that Hypothesis validates again): the same examples.
_FLAG = st.booleans()
_HANDLE = st.sampled_from([1, 2, 3])
_ROLE = st.sampled_from(["central", "peripheral", None])
_PEER = st.sampled_from([*ADDRS, None])
_ADDRESS = st.sampled_from(ADDRS)
_OPCODE = st.sampled_from([13, 14, 16])
_UP_TO_10 = st.integers(0, 10)


@st.composite
def analyses(draw: st.DrawFn) -> Analysis:
    a = Analysis(CaptureInfo("x", "btsnoop", 1002, "H4"))
    frame = 0
    for cid in range(1, draw(st.integers(0, 12)) + 1):
        frame += draw(st.integers(1, 20))
        est = frame if draw(_FLAG) or cid == 1 else None
        c = Connection(cid, ("hci", 0, draw(_HANDLE)), "le", frame, frame)
        c.established_frame = est
        c.local_role = draw(_ROLE)
        peer = Endpoint(draw(_PEER), "public")
        if c.local_role == "central":
            c.peripheral = peer
        else:
            c.central = peer
        if draw(_FLAG):
            c.disconnect_frame = frame + draw(st.integers(1, 60))
        a.connections.append(c)
    for pid in range(1, draw(st.integers(0, 15)) + 1):
        frame += draw(st.integers(0, 5))
        cid = draw(st.integers(1, max(1, len(a.connections))))
        p = Pairing(pid, cid, frame, frames=[frame])
        if draw(_FLAG):
            p.failure = Failure(0x09, "Repeated Attempts", "responder", frame + 1)
        a.pairings.append(p)
    a.connect_attempts = [
        (draw(st.integers(0, frame + 80)), draw(_ADDRESS)) for _ in range(draw(_UP_TO_10))
    ]
    a.connect_attempts.sort()
    for k in range(draw(_UP_TO_10)):
        a.monitor.append(MonitorEvent(k, 0.0, 0, draw(_OPCODE), "", {}))
    return a


def _reused(a: Analysis, c: Connection, frame: int) -> bool:
    return any(
        d.link == c.link and d.id != c.id and (d.established_frame or 0) > frame
        for d in a.connections
    )


def _up(a: Analysis, frame: int, address: str) -> Connection | None:
    for c in a.connections:
        peer = c.peripheral if c.local_role == "central" else c.central
        if (
            peer.address == address
            and c.established_frame is not None
            and c.established_frame < frame
            and (c.disconnect_frame is None or c.disconnect_frame > frame)
            and not _reused(a, c, frame)
        ):
            return c
    return None


@settings(max_examples=150, deadline=None)
@given(analyses(), st.integers(0, 400))
def test_lookups_agree_with_the_scans(a: Analysis, frame: int) -> None:
    idx = index_of(a)
    assert idx.up_at(a.connect_attempts) == [_up(a, f, addr) for f, addr in a.connect_attempts]
    for c in a.connections:
        assert idx.connection(c.id) is c
        assert idx.handle_reused_after(c, frame) == _reused(a, c, frame)
        before = [p for p in a.pairings if p.connection == c.id and p.first_frame < frame]
        assert idx.pairing_before(c.id, frame) is (before[-1] if before else None)
        after = next(
            (p for p in a.pairings if p.connection == c.id and p.first_frame > frame), None
        )
        assert idx.pairing_after(c.id, frame) is after
    assert idx.connection(len(a.connections) + 1) is None
    for p in a.pairings:
        earlier = [q for q in a.pairings if q.id < p.id and q.outcome == "failed"]
        n, first = idx.failed_before(p.id)
        assert n == len(earlier)
        assert first is (earlier[0] if earlier else None)
    for kinds in ((14, 16), (13, 16)):
        assert list(idx.monitor_events(*kinds)) == [e for e in a.monitor if e.opcode in kinds]


def test_index_is_rebuilt_when_the_analysis_grows() -> None:
    a = Analysis(CaptureInfo("x", "btsnoop", 1002, "H4"))
    a.connections.append(Connection(1, ("hci", 0, 1), "le", 1, 1))
    first = index_of(a)
    assert index_of(a) is first
    a.connections.append(Connection(2, ("hci", 0, 2), "le", 2, 2))
    assert index_of(a) is not first
    assert index_of(a).connection(2) is a.connections[1]


def test_connection_and_pairing_by_id_without_an_index() -> None:
    """``connection_with``/``pairing_with`` take an id to its item in one look where ids
    are positions (the builder's), and find it in a hand-built analysis where they are not;
    an id that is not there is None."""
    from bpdiag.analysis.index import connection_with, pairing_with

    def conn(cid: int) -> Connection:
        return Connection(cid, ("hci", 0, cid), "le", cid, cid)

    a = Analysis(CaptureInfo("x", "btsnoop", 1002, "H4"))
    a.connections = [conn(1), conn(2), conn(3)]
    a.pairings = [Pairing(1, 2, 5), Pairing(2, 3, 9)]
    assert connection_with(a, 2) is a.connections[1]
    assert pairing_with(a, 2) is a.pairings[1]
    assert connection_with(a, 4) is None and connection_with(a, None) is None
    assert pairing_with(a, 0) is None
    a.connections = [conn(7), conn(3)]  # not positions: found all the same
    assert connection_with(a, 3) is a.connections[1] and connection_with(a, 2) is None
