"""Passing over records (``Reading.skim``: the decoder's ``skim`` on ``Frames``, which never
become ``Record``s) gives exactly what feeding every record gives: the same PDUs in the same
order with the same connections, the same analysis, the same ``analyze --json`` and
``dump --json``, the same progress reports — on every capture there is (btsnoop and pcap;
other formats are always fed record by record), on a long synthetic HCI capture, and on
real records with random damage.  And the test that decides what H4 records are passed over
(``hci_stream._inert``) agrees with what ``feed`` does with them."""

from __future__ import annotations

import functools
import random
import struct
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bpdiag.analysis.job import Job
from bpdiag.analysis.run import Reading
from bpdiag.capture import open_capture
from bpdiag.capture.record import LinkType, Record
from bpdiag.decode import hci_stream
from bpdiag.decode.hci_stream import HciStream
from bpdiag.decode.ll_stream import LlStream
from bpdiag.errors import UnreadableCapture
from tests.conftest import SHARED, all_captures, capture_id, require_shared
from tests.golden_outputs import outputs
from tests.helpers import bench_capture


def _framed() -> list[Path]:
    out = []
    for p in all_captures():
        try:
            with open_capture(p) as cap:
                if cap.format in ("btsnoop", "pcap"):
                    out.append(p)
        except UnreadableCapture:  # compared elsewhere (they have no records)
            continue
    return out


def _read(path: Path, skim: bool, every: int = 7) -> Any:
    """The PDUs, connections, analysis and progress of one reading."""
    reports: list[tuple[int, int]] = []
    job = Job(lambda done, total: reports.append((done, total)), every=every)
    reading = Reading(path, job=job)
    reading.skim = skim
    pdus = [
        (p.frame, p.first_frame, p.time, p.direction, p.layer, p.opcode, p.link, p.msg,
         p.answers, p.raw, p.decrypted, None if c is None else c.id)
        for p, c in reading
    ]  # fmt: skip
    analysis = reading.analysis
    analysis.problems.sort(key=lambda p: (p.record is None, p.record or 0))
    return pdus, analysis, reports


@pytest.mark.parametrize("every", [7, 1 << 20])
@pytest.mark.parametrize("path", _framed(), ids=capture_id)
def test_skimming_agrees_with_feeding_every_record(path: Path, every: int) -> None:
    """Progress every 7 records cuts the skims short; every 2**20, never."""
    skimmed = _read(path, True, every)
    assert skimmed == _read(path, False, every)
    assert skimmed[2]  # progress was reported (at the end, at least)


@pytest.mark.parametrize("path", _framed(), ids=capture_id)
def test_outputs_agree_without_skimming(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    skimmed = outputs(path)
    monkeypatch.setattr(Reading, "skim", False)
    assert outputs(path) == skimmed


def test_every_kind_of_capture_is_compared() -> None:
    kinds = set()
    for p in _framed():
        with open_capture(p) as cap:
            kinds.add(cap.link_type)
    assert LinkType.BTSNOOP_H4 in kinds


@pytest.fixture(scope="module")
def long_hci(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The benchmark's shape a, 20,000 records: an LE connection, a pairing, then ATT
    notifications, writes and Number Of Completed Packets, now and then an Error Response."""
    return bench_capture(tmp_path_factory, "make_big_btsnoop", 20_000)


def _count_fed(monkeypatch: pytest.MonkeyPatch, attr: str) -> list[int]:
    """The indexes of the records ``HciStream.<attr>`` is fed from now on (the others were
    passed over by a skim)."""
    fed: list[int] = []
    feed = getattr(HciStream, attr)

    def counted(self: HciStream, rec: Record) -> list[Any]:
        fed.append(rec.index)
        return feed(self, rec)  # type: ignore[no-any-return]

    monkeypatch.setattr(HciStream, attr, counted)
    return fed


def test_long_hci_capture_is_mostly_passed_over(
    long_hci: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fed = _count_fed(monkeypatch, "_feed_btsnoop_h4")
    analysis = Reading(long_hci).analyse()
    assert analysis.capture.records == 20000
    assert 0 < len(fed) < 100  # the pairing, the error responses and their requests
    monkeypatch.undo()
    assert _read(long_hci, True, every=1000) == _read(long_hci, False, every=1000)


# ================================================================ damaged real records
def _write_btsnoop(path: Path, recs: list[Record]) -> None:
    with path.open("wb") as f:
        f.write(b"btsnoop\x00" + struct.pack(">II", 1, 1002))
        for r in recs:
            orig = max(r.orig_length, len(r.payload))
            ts = int(r.timestamp * 1e6) + 0x00DCDDB30F2F8000
            f.write(struct.pack(">IIIIq", orig, len(r.payload), r.flags, 0, ts) + r.payload)


@functools.cache
def _btsnoop_sources() -> list[Path]:
    return [p for p in _framed() if p.suffix in (".btsnoop", ".log", ".snoop")]


@functools.cache
def _h4_records(path: Path) -> tuple[Record, ...] | None:
    """A capture's records, read once per process (an example used to read its whole
    capture again for the 200 records it damages); None unless its link type is H4."""
    with open_capture(path) as cap:
        return tuple(cap) if cap.link_type == LinkType.BTSNOOP_H4 else None


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32))
def test_damaged_h4_records_agree(tmp_path_factory: pytest.TempPathFactory, seed: int) -> None:
    rnd = random.Random(seed)
    recs = _h4_records(rnd.choice(_btsnoop_sources()))
    if recs is None:
        return
    start = rnd.randrange(max(1, len(recs) - 200))
    out = []
    for rec in recs[start : start + 200]:
        data = bytearray(rec.payload)
        if data and rnd.random() < 0.2:
            # Damage what the skim reads: H4 type, ACL and L2CAP headers, the ATT opcode.
            at = rnd.randrange(min(len(data), 11))
            data[at] = rnd.randrange(256)
        if data and rnd.random() < 0.05:
            del data[rnd.randrange(len(data)) :]
        orig_length = rec.orig_length  # the cached record itself stays as read
        if rnd.random() < 0.05:
            orig_length = len(data) + 3  # stored cut short
        out.append(Record(rec.index, rec.timestamp, rec.link_type, bytes(data), 0,
                          flags=rec.flags, orig_length=orig_length))  # fmt: skip
    path = tmp_path_factory.mktemp("damaged") / "d.btsnoop"
    _write_btsnoop(path, out)
    assert _read(path, True, 64) == _read(path, False, 64)


# ================================================================ the H4 test itself
def _state(s: HciStream) -> Any:
    return (dict(s._skip), dict(s._req), dict(s._req_pending), dict(s._cmd_handle),
            set(s._reasm_keys), list(s.problems), dict(s._unknown_types))  # fmt: skip


# The fixed strategies ``_h4`` draws from, made once (made at each draw, a list given to
# ``sampled_from`` is a new strategy that Hypothesis validates again): the same examples.
_TYPE = st.sampled_from([1, 2, 2, 2, 3, 4, 4, 5, 7])
_BODY = st.binary(min_size=0, max_size=8)
_OPCODE = st.sampled_from([0x01, 0x0A, 0x12, 0x1B, 0x52, 0x1D])
_CID = st.sampled_from([4, 4, 5, 6, 7, 0x40])
_L2CAP_SKEW = st.sampled_from([0, 0, 0, 1, -1, 9])
_PB_FLAGS = st.sampled_from([0x0000, 0x1000, 0x2000, 0x3000])
_ACL_SKEW = st.sampled_from([0, 0, 0, 1, -1])
_EVENT = st.sampled_from([0x05, 0x08, 0x0E, 0x0F, 0x13, 0x3E, 0xFF])
_PARAMS = st.binary(max_size=8)


@st.composite
def _h4(draw: st.DrawFn) -> bytes:
    """An H4 record: mostly well formed (ACL on the ATT, SMP and other channels, events,
    commands), sometimes not."""
    t = draw(_TYPE)
    if t == 2:
        body = draw(_BODY)
        op = draw(_OPCODE)
        cid = draw(_CID)
        l2 = bytes([op]) + body
        l2len = len(l2) + draw(_L2CAP_SKEW)
        acl = struct.pack("<HH", l2len & 0xFFFF, cid) + l2
        hf = 0x041 | draw(_PB_FLAGS)
        length = len(acl) + draw(_ACL_SKEW)
        return bytes([2]) + struct.pack("<HH", hf, length & 0xFFFF) + acl
    if t == 4:
        code = draw(_EVENT)
        return bytes([4, code]) + draw(_PARAMS)
    if t == 1:
        return bytes([1]) + draw(_PARAMS)
    return bytes([t]) + draw(_PARAMS)


@settings(max_examples=400, deadline=None)
@given(st.one_of(_h4(), st.binary(max_size=14)), st.booleans())
def test_inert_records_yield_nothing_and_change_nothing(payload: bytes, pending: bool) -> None:
    """Whatever ``_inert`` passes over, ``_feed_btsnoop_h4`` returns nothing for and leaves
    the stream as it was; ``True`` only when no L2CAP PDU is in fragments."""
    stream = HciStream()
    if pending:  # an unwanted fragmented PDU being skipped on handle 0x041
        frag = bytes.fromhex("02 41 20 08 00 10 00 04 00") + bytes(3)
        stream._feed_btsnoop_h4(Record(1, 0.0, 1002, frag, 0))
    kind = hci_stream._inert(payload[:10], len(payload))
    if kind is None or (kind and pending):
        return
    before = _state(stream)
    assert stream._feed_btsnoop_h4(Record(2, 0.0, 1002, payload, 0, flags=1)) == []
    assert _state(stream) == before


def test_inert_passes_over_notifications_and_keeps_requests() -> None:
    notification = bytes.fromhex("02 40 20 0b 00 07 00 04 00 1b 2a 00") + bytes(4)
    request = bytes.fromhex("02 40 20 07 00 03 00 04 00 0a 30 00")
    error = bytes.fromhex("02 40 20 09 00 05 00 04 00 01 0a 30 00 0f")
    ncp = bytes.fromhex("04 13 05 01 40 00 01 00")
    assert hci_stream._inert(notification[:10], len(notification)) is True
    assert hci_stream._inert(ncp[:10], len(ncp)) is False
    assert hci_stream._inert(request[:10], len(request)) is None
    assert hci_stream._inert(error[:10], len(error)) is None


# ================================================================ air captures
def _write_pcap(path: Path, link_type: int, recs: list[Record]) -> None:
    with path.open("wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, link_type))
        for r in recs:
            sec = int(r.timestamp)
            usec = round((r.timestamp - sec) * 1e6)
            f.write(struct.pack("<IIII", sec, usec, len(r.payload), len(r.payload)) + r.payload)


_AIR_SESSIONS = (
    "nordic_lesc_justworks_bsniffhub.pcap",
    "nordic_secreq_pairfail_unspecified_sweyntooth.pcap",
    "lephdr_legacy_justworks_latency10_bsniffhub.pcap",
    "lephdr_legacy_passkey_whad.pcap",
)


def _air_session(which: int) -> tuple[int, list[Record]]:
    """The link type and records of real sniffer session ``which`` of the shared corpus."""
    require_shared()
    with open_capture(SHARED / _AIR_SESSIONS[which]) as cap:
        return cap.link_type, list(cap)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32), st.sampled_from([0, 1, 2, 3]))
def test_damaged_air_records_agree(
    tmp_path_factory: pytest.TempPathFactory, seed: int, which: int
) -> None:
    """Records of real sniffer sessions, some with damaged header octets, some repeated (a
    retransmission, a repeated advertising packet), some cut: skimmed as fed."""
    rnd = random.Random(seed)
    link_type, recs = _air_session(which)
    start = rnd.randrange(max(1, len(recs) - 300))
    out: list[Record] = []
    for rec in recs[start : start + 300]:
        data = bytearray(rec.payload)
        if data and rnd.random() < 0.15:
            # The octets the skims read: headers, flags, channel, access address, PDU header.
            at = rnd.choice([0, 1, 3, 6, 7, 8, 9, 10, 14, 15, 17, 21, 22, len(data) - 1])
            data[at % len(data)] = rnd.randrange(256)
        if data and rnd.random() < 0.03:
            del data[rnd.randrange(len(data)) :]
        if rnd.random() < 0.1 and out:
            out.append(out[-1])
        out.append(Record(0, rec.timestamp, link_type, bytes(data), 0))
    path = tmp_path_factory.mktemp("air") / "d.pcap"
    _write_pcap(path, link_type, out)
    assert _read(path, True, 64) == _read(path, False, 64)


@pytest.mark.parametrize(
    "name",
    ["nordic_lesc_justworks_bsniffhub.pcap", "lephdr_legacy_justworks_latency10_bsniffhub.pcap"],
)
def test_air_sessions_are_mostly_passed_over(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    require_shared()
    fed: list[int] = []
    for attr in ("_feed_nordic", "_feed_phdr"):
        feed = getattr(LlStream, attr)

        def counted(self: LlStream, rec: Record, feed: Any = feed) -> list[Any]:
            fed.append(rec.index)
            return feed(self, rec)  # type: ignore[no-any-return]

        monkeypatch.setattr(LlStream, attr, counted)
    analysis = Reading(SHARED / name).analyse()
    assert 0 < len(fed) < analysis.capture.records // 4


def test_btmon_monitor_capture_is_passed_over_where_it_cannot_matter(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A btmon -w file (btsnoop 2001) of ATT traffic: its notifications, writes and quiet
    events are passed over (monitor records, requests and errors are fed), with the same
    result as feeding every record."""
    require_shared()
    path = SHARED / "btmon_att_no_smp_projetrp.snoop"
    fed = _count_fed(monkeypatch, "_feed_btsnoop_monitor")
    analysis = Reading(path).analyse()
    assert 0 < len(fed) < analysis.capture.records
    monkeypatch.undo()
    assert _read(path, True, every=3) == _read(path, False, every=3)


@settings(max_examples=30, deadline=None)
@given(
    st.integers(0, 2**32),
    st.sampled_from([0, 2]),
    st.sampled_from([0, 1, 3, 6, 7, 8, 9, 10, 11, 13, 14, 15, 17, 20, 21, 22]),
)
def test_long_stretches_of_empty_pdus_agree(
    tmp_path_factory: pytest.TempPathFactory, seed: int, which: int, octet: int
) -> None:
    """A stretch of one link's empty PDUs, all of one length, is passed over at once
    (``_uniform``): one record in the middle of it with one octet the skim reads changed
    (board, lengths, version, packet id, flags, access address, PDU header; LE-PHDR has
    19) ends the stretch there, as feeding every record would see it."""
    rnd = random.Random(seed)
    link_type, recs = _air_session(which)
    size = 26 if link_type == LinkType.NORDIC_BLE else 19
    empty = [i for i, r in enumerate(recs) if len(r.payload) == size and i > 20]
    at = rnd.choice(empty[: len(empty) // 2])
    out = list(recs[:at])
    t = recs[at].timestamp
    for k in range(rnd.randrange(8, 200)):  # the same two packets, each side in turn
        rec = recs[at + (k & 1)] if len(recs[at + 1].payload) == size else recs[at]
        t += 0.000_4 if k & 1 else 0.03
        out.append(Record(0, t, link_type, rec.payload, 0))
    hit = rnd.randrange(1, len(out) - at)
    data = bytearray(out[at + hit].payload)
    data[octet % size] ^= 1 << rnd.randrange(8)
    out[at + hit] = Record(0, out[at + hit].timestamp, link_type, bytes(data), 0)
    out += recs[at : at + 50]
    path = tmp_path_factory.mktemp("air") / "s.pcap"
    _write_pcap(path, link_type, out)
    assert _read(path, True, 1 << 20) == _read(path, False, 1 << 20)
