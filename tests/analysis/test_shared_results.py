"""What a finished analysis shares to stay small reads as unshared objects would: a
``Features`` with its shared offer, the per-connection table of the index, a connection's
endpoints once the analyser shared them."""

from __future__ import annotations

import pytest

from bpdiag.analysis.builder import Analyzer
from bpdiag.analysis.index import PerConnection
from bpdiag.analysis.model import (
    CaptureInfo,
    Connection,
    Endpoint,
    Features,
    FrameAddresses,
    KeyDistributed,
    Keys,
    Pairing,
    Side,
    Transport,
)


def _features(frame: int, mitm: bool = False, keys: object = ("LTK",)) -> Features:
    return Features(
        frame, 3, "NoInputNoOutput", False, 1, True, mitm, True, False, False, 16, keys, None
    )  # type: ignore[arg-type]


def test_equal_offers_are_one_object_and_each_keeps_its_frame() -> None:
    a, b = _features(10), _features(20)
    assert a._offer is b._offer
    assert (a.frame, b.frame, a.mitm, a.io_capability_name) == (10, 20, False, "NoInputNoOutput")
    assert a != b and a == _features(10)
    assert repr(a).startswith("Features(frame=10, io_capability=3, io_capability_name=")


def test_setting_a_field_changes_that_features_only() -> None:
    a, b = _features(10), _features(20)
    a.mitm = True
    assert (a.mitm, b.mitm) == (True, False)
    assert a._offer is not b._offer
    c = b.replaced(max_key_size=7, frame=30)
    assert (c.frame, c.max_key_size, b.frame, b.max_key_size) == (30, 7, 20, 16)


def test_an_unhashable_offer_is_kept_unshared() -> None:
    a = _features(10, keys=["LTK"])  # hand-made, a list: not hashable
    assert a.initiator_keys == ["LTK"] and a == _features(10, keys=["LTK"])


def test_per_connection_keeps_dense_ids_and_others_alike() -> None:
    t: PerConnection[str] = PerConnection(3)
    for key, item in [(1, "a"), (3, "b"), (1, "c"), (None, "d"), (7, "e"), (7, "f"), (0, "g")]:
        t.add(key, item)
    assert [t.items(k) for k in (1, 2, 3, None, 7, 0, -1)] == [
        ["a", "c"],
        [],
        ["b"],
        ["d"],
        ["e", "f"],
        ["g"],
        [],
    ]
    assert dict(t.grouped()) == {1: ["a", "c"], 7: ["e", "f"]}
    u: PerConnection[str] = PerConnection(2)
    u.set(2, "x"), u.set(2, "y"), u.set(9, "z")
    assert [u.get(k) for k in (1, 2, 9, None)] == [None, "y", "z", None]
    with pytest.raises(TypeError):
        u.set([1], "no")  # type: ignore[arg-type]  # (an unhashable key, as a dict says)


def test_finished_connections_share_equal_endpoints() -> None:
    an = Analyzer(CaptureInfo("x", "btsnoop", 1002, "H4"))
    for i in (1, 2):
        c = an._new_connection(("hci", 0, 64), i * 10, Transport.LE)
        c.peripheral.address, c.peripheral.address_type = "AA:00:00:00:00:01", "public"
    a = an.finish()
    c1, c2 = a.connections
    assert isinstance(c1, Connection) and c1.link is c2.link
    assert c1.peripheral is c2.peripheral and c1.central is c2.central
    assert c1.central == Endpoint() and c1.peripheral == Endpoint("AA:00:00:00:00:01", "public")


def test_connect_attempts_read_as_a_list_of_pairs() -> None:
    pairs = [(5, "AA:00:00:00:00:01"), (70000, "AA:00:00:00:00:02")]
    kept = FrameAddresses()
    for pair in pairs:
        kept.append(pair)
    assert list(kept) == pairs and kept == pairs and kept == FrameAddresses(pairs)
    assert (len(kept), kept[1], kept[-1], kept[:1]) == (2, pairs[1], pairs[1], pairs[:1])
    assert kept != pairs[:1] and repr(kept) == f"FrameAddresses({pairs!r})"
    # kept as six octets where they print back the same; anything else as it was given
    odd = [(1, "aa:00:00:00:00:01"), (2, "AA-00-00-00-00-01"), (3, "AA:00:00:00:00"), (4, "")]
    mixed = FrameAddresses([*odd[:2], pairs[0], *odd[2:], pairs[1]])
    assert list(mixed) == [*odd[:2], pairs[0], *odd[2:], pairs[1]]
    assert mixed[0][1] is odd[0][1] and mixed[-1] == pairs[1] and mixed[2] == pairs[0]
    with pytest.raises(IndexError):
        mixed[6]


def test_keys_read_as_the_keys_added_and_an_unknown_side_stays_an_object() -> None:
    p = Pairing(1, 1, 100)
    sent = [
        KeyDistributed(110, Side.RESPONDER, "LTK"),
        KeyDistributed(111, Side.UNKNOWN, "IRK"),  # side learnt later: kept as the object
        KeyDistributed(112, Side.INITIATOR, "CSRK"),
        KeyDistributed(1 << 70, Side.INITIATOR, "LTK"),  # no 8-octet frame: kept too
    ]
    for k in sent:
        p.add_key(k)
    assert isinstance(p.keys, Keys) and p.keys == sent and list(p.keys) == sent
    assert (len(p.keys), p.keys[0], p.keys[-2], p.keys[1:3]) == (4, sent[0], sent[2], sent[1:3])
    p.keys[1].sent_by = Side.RESPONDER  # as analysis.sender_order sets it
    assert p.keys[1].sent_by == Side.RESPONDER and p.keys[1] is sent[1]
    with pytest.raises(IndexError):
        p.keys[4]
    assert Pairing(2, 1, 100).keys == []  # none: the shared empty list
