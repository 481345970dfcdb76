"""pcapng read as ``Frames`` (``Capture.frames``, what ``bpdiag.analysis.run`` skims) gives
exactly the records, problems and counts that iterating gives — on every air capture of the
corpus rewritten as pcapng with options, padding, other blocks in between, several
interfaces and clocks, cut and simple packets and a second section in the other byte order;
on the byte-literal edge cases; and on those files damaged at random.  And each run keeps
the ``Frames`` contract the skims rely on: a record's payload is ``buf[heads[i] + hdr :
ends[i + 1]]``, records of one length and one distance to the next lie at a fixed stride,
``time`` and ``offset`` are the record's."""

from __future__ import annotations

import contextlib
import random
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bpdiag.capture import open_capture
from bpdiag.capture._io import CHUNK, Frames
from bpdiag.capture.pcapng import EpbFrames
from bpdiag.capture.record import LinkType, Record
from bpdiag.errors import UnreadableCapture
from tests.capture import write
from tests.capture.test_pcapng import EPB_1, EPB_2, IDB_251, PREFIX, SHB_LE
from tests.capture.writers import (
    pcapng_block,
    pcapng_epb,
    pcapng_from_records,
    pcapng_idb,
    pcapng_option,
    pcapng_shb,
)
from tests.conftest import all_captures, capture_id
from tests.helpers import examples

AIR = (LinkType.NORDIC_BLE, LinkType.BLUETOOTH_LE_LL_WITH_PHDR, LinkType.BLUETOOTH_LE_LL)


def _air_captures(formats: tuple[str, ...] = ("pcap", "pcapng")) -> list[Path]:
    out = []
    for p in all_captures():
        try:
            with open_capture(p) as cap:
                if cap.link_type in AIR and cap.format in formats:
                    out.append(p)
        except UnreadableCapture:
            continue
    return out


def _iterated(path: Path) -> Any:
    """Records, problems, stats and count, iterating the capture."""
    with open_capture(path) as cap:
        records = list(cap)
        return records, list(cap.problems), dict(cap.stats), cap.records


def check_run(run: Frames) -> list[Record]:
    """The records of a run, after checking that the run says what they are."""
    records = [run.record(i) for i in range(len(run))]
    heads, ends, buf, hdr = run.heads, run.ends, run.buf, run.hdr
    assert len(heads) == len(ends) == len(run) + 1 and records
    # what same_size compares: a record's stored length and the distance to the next one
    sizes = [(ends[j + 1] - heads[j], heads[j + 1] - heads[j]) for j in range(len(run))]
    # streak[i]: how many records from i on have record i's size, one after another — what
    # same_size(i, len(run)) must say (counted from the end, so the check stays linear in a
    # run of thousands of packets of one size)
    streak = [1] * len(run)
    for j in range(len(run) - 2, -1, -1):
        if sizes[j + 1] == sizes[j]:
            streak[j] = streak[j + 1] + 1
    for i, rec in enumerate(records):
        assert rec.index == run.first + i + 1
        assert heads[i] + hdr <= ends[i + 1] <= heads[i + 1]
        assert buf[heads[i] + hdr : ends[i + 1]] == rec.payload
        assert run.time(i) == rec.timestamp
        assert run.offset(i) == rec.file_offset
        assert rec.link_type == run.link_type
        same = run.same_size(i, len(run))
        assert same == streak[i]
        assert heads[i + same] - heads[i] == same * sizes[i][1]  # a fixed stride
        assert run.same_size(i, i + 1) == 1
    return records


def _framed(path: Path, framed: Callable[[int], bool] | None = None) -> Any:
    """What ``_iterated`` gives, read as ``Frames``; and how many records came in runs."""
    with open_capture(path) as cap:
        runs = cap.frames(framed)
        assert runs is not None
        records: list[Record] = []
        in_runs = 0
        for run in runs:
            if isinstance(run, list):
                records += run
            else:
                assert isinstance(run, EpbFrames)
                assert framed is None or framed(run.link_type)
                records += check_run(run)
                in_runs += len(run)
            assert cap.records == len(records)
        return (records, list(cap.problems), dict(cap.stats), cap.records), in_runs


def _same_either_way(path: Path) -> int:
    iterated = _iterated(path)
    framed, in_runs = _framed(path)
    assert framed == iterated
    return in_runs


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("path", _air_captures(), ids=capture_id)
def test_air_captures_rewritten_read_the_same_as_frames(
    path: Path, seed: int, tmp_path: Path
) -> None:
    records = list(open_capture(path))
    if not records:
        pytest.skip("no records")
    rewritten = write(tmp_path, pcapng_from_records(records, seed))
    iterated = _iterated(rewritten)
    framed, in_runs = _framed(rewritten)
    assert framed == iterated  # _same_either_way, with the iterated reading kept for below
    # the plain packets of interfaces 0 to 2 come in runs: most of them
    assert in_runs > len(records) // 2
    # H4 (interface 3) is not framed when it is not asked for; the rest reads the same
    h4_apart = _framed(rewritten, lambda lt: lt != LinkType.BLUETOOTH_HCI_H4)
    h4 = sum(r.link_type == LinkType.BLUETOOTH_HCI_H4 for r in iterated[0])
    assert h4_apart == (iterated, in_runs - h4)


@pytest.mark.parametrize("path", _air_captures(("pcapng",)), ids=capture_id)
def test_air_captures_as_they_are_read_the_same_as_frames(path: Path) -> None:
    assert _same_either_way(path) > 0


def _epb(iid: int, ticks: int, data: bytes, **kw: Any) -> bytes:
    return pcapng_epb(iid, ticks, data, **kw)


def test_runs_end_at_other_blocks_interfaces_and_odd_packets(tmp_path: Path) -> None:
    flags = pcapng_option(2, struct.pack("<I", 1))
    data = (
        pcapng_shb()
        + pcapng_idb(272)  # 0
        + pcapng_idb(272, tsresol=9)  # 1: another clock
        + pcapng_idb(272)  # 2: the clock of 0
        + pcapng_idb(187)  # 3: HCI H4, not framed
        + _epb(0, 1, b"a")
        + _epb(2, 2, b"bb")  # same clock: same run
        + _epb(0, 3, b"ccc", options=flags)
        + pcapng_block(5, bytes(12))  # interface statistics: the run ends
        + _epb(0, 4, b"dddd")
        + _epb(1, 5, b"e")  # another clock: a run of its own
        + _epb(0, 6, b"f", options=pcapng_option(1, b"comment"))  # not plain: a list
        + _epb(0, 7, b"g")
        + _epb(3, 8, b"\x04\x0e\x04\x01\x03\x0c\x00")
        + _epb(0, 9, b"h")
    )
    path = write(tmp_path, data)
    with open_capture(path) as cap:
        framed = cap.frames(lambda link_type: link_type == 272)
        assert framed is not None
        runs = list(framed)
        shape = [run if isinstance(run, list) else check_run(run) for run in runs]
    assert [[r.payload for r in run] for run in shape] == [
        [b"a", b"bb", b"ccc"],
        [b"dddd"],
        [b"e"],
        [b"f"],
        [b"g"],
        [b"\x04\x0e\x04\x01\x03\x0c\x00"],
        [b"h"],
    ]
    assert [r.flags for r in shape[0]] == [0, 2 << 16, 0]
    times = [1e-6, 2e-6, 3e-6, 4e-6, 5e-9, 6e-6, 7e-6, 8e-6, 9e-6]
    assert [r.timestamp for run in shape for r in run] == times
    assert [isinstance(run, list) for run in runs] == [False] * 3 + [True, False, True, False]
    assert _same_either_way(path) == 8  # all but the comment's


def test_simple_packet_after_a_run_takes_its_last_time(tmp_path: Path) -> None:
    spb = pcapng_block(3, struct.pack("<I", 2) + b"zz")
    data = pcapng_shb() + pcapng_idb(272) + _epb(0, 5, b"a") + _epb(0, 9, b"b") + spb
    path = write(tmp_path, data)
    records = _iterated(path)[0]
    assert [(r.payload, r.timestamp) for r in records] == [
        (b"a", 5e-6),
        (b"b", 9e-6),
        (b"zz", 9e-6),
    ]
    assert _same_either_way(path) == 2


def test_runs_across_chunks(tmp_path: Path) -> None:
    sizes = [(i * 61) % 333 for i in range(1500)] + [CHUNK * 2 + 1, 0, 3]
    blocks = [
        _epb(0, i, bytes([i & 0xFF]) * s, options=pcapng_option(2, struct.pack("<I", i & 3)))
        for i, s in enumerate(sizes)
    ]
    path = write(tmp_path, pcapng_shb() + pcapng_idb(251) + b"".join(blocks))
    assert _same_either_way(path) == len(sizes)


# The byte-literal cases of test_pcapng (damage of every kind), read both ways.
_CUT = EPB_2[:20] + b"\x03\x00\x00\x00\x09\x00\x00\x00" + EPB_2[28:]  # 3 of 9 bytes
_CASES = {
    "truncated-last-block": PREFIX + EPB_2[:-6],
    "truncated-header": PREFIX + EPB_2[:5],
    "trailer-differs": PREFIX + EPB_2[:-4] + b"\x28\x00\x00\x00" + EPB_2,
    "trailer-differs-at-end": PREFIX + EPB_2[:-4] + b"\x28\x00\x00\x00",
    "length-below-12": PREFIX + EPB_2[:4] + b"\x08\x00\x00\x00" + EPB_2,
    "captured-too-big": PREFIX + EPB_2[:20] + b"\xff\x00\x00\x00" + EPB_2[24:] + EPB_1,
    "undescribed-interface": PREFIX + EPB_2[:8] + b"\x05\x00\x00\x00" + EPB_2[12:],
    "captured-above-original": (
        PREFIX + EPB_2[:20] + b"\x03\x00\x00\x00\x01\x00\x00\x00" + EPB_2[28:]
    ),
    "cut": PREFIX + _CUT + EPB_2,
    "cut-trailer-differs": PREFIX + _CUT[:-4] + b"\x28\x00\x00\x00" + EPB_2,
    "second-section-version-2": (
        PREFIX + SHB_LE[:12] + b"\x02\x00\x00\x00" + SHB_LE[16:] + IDB_251 + EPB_2
    ),
    "packet-before-new-interfaces": PREFIX + SHB_LE + EPB_2 + IDB_251 + EPB_2,
    "short-interface": (
        PREFIX + IDB_251[:4] + b"\x10\x00\x00\x00" + bytes(4) + b"\x10\x00\x00\x00" + EPB_2
    ),
    "packet-before-any-interface": SHB_LE + EPB_1 + IDB_251 + EPB_2,
}


@pytest.mark.parametrize("data", _CASES.values(), ids=_CASES.keys())
def test_damage_reads_the_same_as_frames(tmp_path: Path, data: bytes) -> None:
    _same_either_way(write(tmp_path, data))


def _damaged(rnd: random.Random, data: bytes) -> bytearray:
    """``data`` with one to five octets changed or runs of up to 39 octets deleted."""
    out = bytearray(data)
    for _ in range(rnd.randrange(1, 6)):
        at = rnd.randrange(len(out))
        if rnd.random() < 0.7:
            out[at] = rnd.randrange(256)
        else:
            del out[at : at + rnd.randrange(1, 40)]
    return out


@pytest.fixture(scope="module")
def rewritten() -> bytes:
    """A real nRF Sniffer capture rewritten as in the first test: what the fuzzing damages."""
    nordic = [p for p in _air_captures() if p.name.startswith("nordic_")]
    if not nordic:
        pytest.skip("no nRF Sniffer capture in the corpus")
    return pcapng_from_records(list(open_capture(nordic[0]))[:300], 7)


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 2**32))
def test_damaged_files_read_the_same_as_frames(
    tmp_path_factory: pytest.TempPathFactory, rewritten: bytes, seed: int
) -> None:
    rnd = random.Random(seed)
    data = _damaged(rnd, rewritten)
    if rnd.random() < 0.3:
        del data[rnd.randrange(len(data)) :]
    path = write(tmp_path_factory.mktemp("fuzz"), bytes(data))
    with contextlib.suppress(UnreadableCapture):  # unless the section header was hit
        _same_either_way(path)


def _stretchy(breaks: list[bytes], length: int = 26, order: str = "<") -> bytes:
    """A pcapng file of long stretches of plain Enhanced Packet Blocks of ``length`` octets
    (what ``PcapngReader._frame`` takes a stretch at a time), one of the ``breaks`` after
    each stretch: some framed the same, some not."""
    blocks = [pcapng_shb(order=order), pcapng_idb(272, order=order), pcapng_idb(272, order=order)]
    ticks = 0
    for k, cut in enumerate(breaks):
        for _ in range(17 + 13 * k):
            ticks += 7
            blocks.append(pcapng_epb(0, ticks, bytes([ticks & 0xFF]) * length, order=order))
        blocks.append(cut)
    return b"".join(blocks)


_STRETCH_BREAKS = [
    pcapng_epb(1, 1, bytes(26)),  # another interface of the same clock: the run goes on
    pcapng_epb(0, 2, bytes(25)),  # another length, the same block length
    pcapng_epb(0, 3, bytes(26), orig=30),  # cut: the same captured length
    pcapng_epb(0, 4, bytes(26), options=pcapng_option(2, struct.pack("<I", 2))),
    pcapng_block(5, bytes(48)),  # interface statistics as long as the packets' blocks
    pcapng_epb(0, 5, bytes(26))[:-4] + b"\x40\x00\x00\x00",  # its trailer differs
    pcapng_epb(0, 6, bytes(26 + 4 * 256)),  # a block length 1024 octets longer
    pcapng_epb(0, 7, bytes(26), orig=26 + 256),  # the original length's second octet
]


@pytest.mark.parametrize("order", ["<", ">"])
def test_stretches_of_alike_blocks_read_the_same_as_frames(
    tmp_path: Path, order: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stretches of blocks alike, taken at once, across chunks, and each thing that makes
    a block unlike the one before it (interface, lengths, options, type, trailer), in
    either byte order: the records, problems and counts are those iterating gives."""
    import bpdiag.capture.pcapng as pcapng_module

    taken: list[int] = []
    alike = pcapng_module._alike_blocks

    def counting(buf: bytes, pos: int, total: int, count: int) -> int:
        k = alike(buf, pos, total, count)
        taken.append(k)
        return k

    monkeypatch.setattr(pcapng_module, "_alike_blocks", counting)
    breaks = _STRETCH_BREAKS if order == "<" else [pcapng_epb(1, 1, bytes(26), order=">")]
    data = _stretchy(breaks * 12, order=order)
    assert len(data) > 3 * CHUNK
    path = write(tmp_path, data)
    in_runs = _same_either_way(path)
    assert sum(k for k in taken if k > 1) > in_runs // 2  # most came in stretches


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 2**32))
def test_damaged_stretches_read_the_same_as_frames(
    tmp_path_factory: pytest.TempPathFactory, seed: int
) -> None:
    rnd = random.Random(seed)
    data = _damaged(rnd, _stretchy(_STRETCH_BREAKS[:3], length=rnd.choice([1, 26, 40])))
    path = write(tmp_path_factory.mktemp("fuzz"), bytes(data))
    with contextlib.suppress(UnreadableCapture):
        _same_either_way(path)


_FIXED = (*range(12), *range(20, 28))  # type, length, interface; captured, original length


@settings(max_examples=examples(120, deep=300), deadline=None)
@given(st.data())
def test_alike_blocks_stop_at_the_first_block_unlike_the_first(data: st.DataObject) -> None:
    """``_alike_blocks`` (one pattern match) against octet-by-octet comparison: blocks of one
    length whose timestamps and data differ at random, and at random a few octets changed
    in the fields that must be equal (or in the trailer), at random offsets in a buffer."""
    from bpdiag.capture.pcapng import _alike_blocks

    cap = data.draw(st.integers(0, 41))
    total = 32 + ((cap + 3) & -4)
    count = data.draw(st.integers(1, 40))
    order = data.draw(st.sampled_from("<>"))
    rnd = random.Random(data.draw(st.integers(0, 2**32)))
    blocks = bytearray()
    for _ in range(count):
        body = bytes(rnd.randrange(256) for _ in range(cap))
        iid = 0 if rnd.random() < 0.97 else 1  # now and then another interface
        blocks += pcapng_epb(iid, rnd.randrange(2**64), body, order=order)
    blocks[:total] = pcapng_epb(0, 1, bytes(cap), order=order)
    fixed = [*_FIXED, *range(total - 4, total)]
    for _ in range(data.draw(st.integers(0, 3))):
        at = data.draw(st.integers(1, count)) % count * total + data.draw(st.sampled_from(fixed))
        blocks[at] ^= data.draw(st.integers(1, 255))
    # the reference: the first block one of whose fixed octets differs from the first's
    alike = next(
        (j for j in range(1, count) if any(blocks[j * total + o] != blocks[o] for o in fixed)),
        count,
    )
    before = bytes(rnd.randrange(256) for _ in range(data.draw(st.integers(0, 9))))
    after = bytes(rnd.randrange(256) for _ in range(data.draw(st.integers(0, 2 * total))))
    buf = before + bytes(blocks) + after
    assert _alike_blocks(buf, len(before), total, count) == alike
    assert _alike_blocks(buf, len(before), total, data.draw(st.integers(1, count))) <= alike
