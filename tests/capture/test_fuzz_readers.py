"""Fuzzing the readers: random bytes, random bytes behind each magic, well-framed blocks with
random contents, and mutated or truncated valid files.  Only ``UnreadableCapture`` may escape
``open_capture``; iterating never raises, always ends, and counts monotonically."""

from __future__ import annotations

import math
import struct
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bpdiag.analysis.run import Reading
from bpdiag.capture import open_capture
from bpdiag.errors import UnreadableCapture
from tests.capture.test_btmon_text import STORY
from tests.capture.test_btsnoop import HEADER_H4, REC1, REC2, REC3
from tests.capture.test_pcap import HEADER_BE_NS, HEADER_LE_US, REC1_BE_NS, REC1_LE, REC2_LE
from tests.capture.test_pcapng import EPB_1, EPB_2, IDB_251, SHB_LE
from tests.capture.test_wireshark_text import FRAME_1 as WIRESHARK_FRAME
from tests.capture.writers import (
    H4,
    btstack_text,
    bugreport_zip,
    dumpstate_text,
    pklg_bytes,
    pklg_note,
    snooz_blob,
)

_H4 = [
    H4(1_000_000, False, b"\x01\x03\x0c\x00"),
    H4(1_000_500, True, b"\x04\x0e\x04\x01\x03\x0c\x00"),
    H4(1_001_000, False, b"\x02\x40\x00\x0b\x00\x07\x00\x06\x00\x01\x03\x00\x05\x10\x07\x07"),
    H4(1_002_000, True, b"\x02\x40\x20\x06\x00\x02\x00\x06\x00\x05\x05"),
]
PKLG_LE = pklg_bytes(_H4, "<") + pklg_note(1_003_000, b"a note", "<")
PKLG_BE = pklg_bytes(_H4, ">") + pklg_note(1_003_000, b"syslog", ">", 0xF7)
SNOOZ_V1 = dumpstate_text(snooz_blob(_H4, 1))
SNOOZ_V2 = dumpstate_text(snooz_blob(_H4, 2))

MONITOR_HEADER = b"btsnoop\x00\x00\x00\x00\x01\x00\x00\x07\xd1"
SEEDS = [
    HEADER_H4 + REC1 + REC2 + REC3,
    MONITOR_HEADER + REC1 + REC3,
    HEADER_LE_US + REC1_LE + REC2_LE,
    HEADER_BE_NS + REC1_BE_NS + REC1_BE_NS,
    SHB_LE + IDB_251 + EPB_1 + EPB_2,
    SHB_LE + IDB_251 + EPB_1 + SHB_LE + IDB_251 + EPB_2,
    STORY.encode(),
    PKLG_LE,
    PKLG_BE,
    SNOOZ_V1,
    SNOOZ_V2,
    (WIRESHARK_FRAME + "\n" + WIRESHARK_FRAME.replace("Frame 7:", "Frame 8:")).encode(),
    btstack_text(_H4, "embedded", log_every=2).encode(),
]
MAGICS = [
    HEADER_H4,
    MONITOR_HEADER,
    HEADER_LE_US,
    HEADER_BE_NS,
    SHB_LE,
    SHB_LE + IDB_251,
    PKLG_LE[:13],
    PKLG_BE[:13],
    b"--- BEGIN:BTSNOOP_LOG_SUMMARY (9 bytes in) ---\n",
]
FAST = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    database=None,
)

_DIR = tempfile.TemporaryDirectory(prefix="bpdiag-fuzz-")


@pytest.fixture(scope="module", autouse=True)
def _cleanup() -> Iterator[None]:
    yield
    _DIR.cleanup()


def _path(data: bytes) -> Path:
    path = Path(_DIR.name) / "capture"
    path.write_bytes(data)
    return path


def check(data: bytes, pipeline: bool = False, path: Path | None = None) -> None:
    """Read ``data`` (written to ``path`` already, if given) as a capture and check every
    invariant of the readers: only UnreadableCapture may escape ``open_capture``; records
    count up with finite times; every problem names its layer."""
    path = _path(data) if path is None else path
    try:
        cap = open_capture(path)
    except UnreadableCapture as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    with cap:
        last = 0
        count = 0
        for rec in cap:
            count += 1
            # Frame numbers only grow; a skipped damaged packet keeps its number.  btmon
            # text: a record btmon does not number shares the number before it.
            hci = rec.flags & 0xFFFF in (2, 3, 4, 5, 6, 7, 18, 19)  # its monitor opcode
            assert rec.index > last or (cap.format == "btmon-text" and not hci)
            last = rec.index
            assert cap.records == count
            assert 0 <= rec.file_offset < max(len(data), 1)
            # btsnooz is compressed: its records may hold more bytes than the file
            assert len(rec.payload) <= len(data) or cap.format == "btsnooz"
            assert isinstance(rec.timestamp, float) and math.isfinite(rec.timestamp)
            # every binary record takes at least 12 bytes of file (btmon text: a line)
            assert count <= len(data) or cap.format == "btsnooz"
        assert cap.records == count
        for p in cap.problems:
            assert p.message and p.layer
            assert p.record is None or p.record >= 1
            assert p.offset is None or 0 <= p.offset <= len(data)
    if pipeline:
        # The decoders and the analysis take whatever the readers give without raising.
        for _ in Reading(path):
            pass


@FAST
@given(st.binary(max_size=300))
def test_random_bytes(data: bytes) -> None:
    check(data)


@FAST
@given(st.sampled_from(MAGICS), st.binary(max_size=300))
def test_random_bytes_behind_each_magic(header: bytes, data: bytes) -> None:
    check(header + data)


def _block(order: str, btype: int, body: bytes) -> bytes:
    body += b"\x00" * (-len(body) % 4)
    total = len(body) + 12
    return struct.pack(order + "II", btype, total) + body + struct.pack(order + "I", total)


_BLOCK_TYPES = st.sampled_from([1, 2, 3, 4, 5, 6, 6, 6, 10, 0xBAD, 0x0A0D0D0A])


@FAST
@given(
    st.lists(st.tuples(_BLOCK_TYPES, st.binary(max_size=60)), max_size=12),
    st.sampled_from(["<", ">"]),
)
def test_well_framed_blocks_with_random_bodies(blocks: list[tuple[int, bytes]], order: str) -> None:
    shb = struct.pack(order + "IHHq", 0x1A2B3C4D, 1, 0, -1)
    data = _block(order, 0x0A0D0D0A, shb)
    for btype, body in blocks:
        if btype == 0x0A0D0D0A:
            body = shb + body
        data += _block(order, btype, body)
    check(data)


@pytest.mark.slow
@settings(
    max_examples=600,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    database=None,
)
@given(
    st.sampled_from(SEEDS),
    st.lists(st.tuples(st.integers(0, 400), st.integers(0, 255)), max_size=8),
    st.integers(0, 400),
    st.lists(st.tuples(st.integers(0, 400), st.integers(1, 30)), max_size=2),
)
def test_mutated_and_truncated_files(
    seed: bytes,
    flips: list[tuple[int, int]],
    cut: int,
    deletions: list[tuple[int, int]],
) -> None:
    data = bytearray(seed)
    for pos, value in flips:
        if pos < len(data):
            data[pos] = value
    for pos, length in deletions:
        del data[pos : pos + length]
    if cut < len(data):
        del data[max(cut, 1) :]
    check(bytes(data), pipeline=len(flips) < 3)


@FAST
@given(
    st.lists(st.tuples(st.integers(0, 2000), st.integers(0, 255)), max_size=6),
    st.integers(0, 2000),
)
def test_mutated_bug_report_zips(flips: list[tuple[int, int]], cut: int) -> None:
    """A damaged zip is an ``UnreadableCapture`` or inputs whose reading never raises."""
    from bpdiag.capture.bugreport import open_inputs

    data = bytearray(
        bugreport_zip(
            {
                "FS/data/misc/bluetooth/logs/btsnoop_hci.log": HEADER_H4 + REC1 + REC2,
                "bugreport-x.txt": SNOOZ_V2,
            },
            main="bugreport-x.txt",
        )
    )
    for pos, value in flips:
        if pos < len(data):
            data[pos] = value
    if cut < len(data):
        del data[max(cut, 4) :]
    path = _path(bytes(data))
    try:
        for inp in open_inputs(path):
            with inp.capture as cap:
                for _ in cap:
                    pass
    except UnreadableCapture as exc:
        assert str(exc) and "\n" not in str(exc)
