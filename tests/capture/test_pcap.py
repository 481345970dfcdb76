"""pcap reader edge cases, spelled as byte literals with a comment per field, and the exact
problem or error each must give."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from bpdiag.capture import open_capture
from bpdiag.capture._io import CHUNK
from bpdiag.capture.pcap import MAX_RECORD
from bpdiag.capture.record import Direction
from tests.capture import assert_cut_anywhere, assert_framing_stops, messages, read, refusal, write

HEADER_LE_US = (
    b"\xd4\xc3\xb2\xa1"  # magic a1b2c3d4 written little-endian: µs timestamps
    b"\x02\x00\x04\x00"  # version 2.4
    b"\x00\x00\x00\x00"  # reserved 1 (thiszone)
    b"\x00\x00\x00\x00"  # reserved 2 (sigfigs)
    b"\xff\xff\x00\x00"  # snaplen 65535
    b"\x00\x01\x00\x00"  # link type 256 BLUETOOTH_LE_LL_WITH_PHDR
)
REC1_LE = (
    b"\x00\xf1\x53\x65"  # ts seconds 1700000000
    b"\x90\xd0\x03\x00"  # ts microseconds 250000
    b"\x04\x00\x00\x00"  # captured length 4
    b"\x04\x00\x00\x00"  # original length 4
    b"\xd6\xbe\x89\x8e"  # data: the advertising access address
)
REC2_LE = (
    b"\x01\xf1\x53\x65"  # ts seconds 1700000001
    b"\x00\x00\x00\x00"  # ts microseconds 0
    b"\x02\x00\x00\x00"  # captured length 2
    b"\x02\x00\x00\x00"  # original length 2
    b"\x01\x02"  # data
)
HEADER_BE_NS = (
    b"\xa1\xb2\x3c\x4d"  # magic a1b23c4d big-endian: ns timestamps
    b"\x00\x02\x00\x04"  # version 2.4
    b"\x00\x00\x00\x00"  # reserved 1
    b"\x00\x00\x00\x00"  # reserved 2
    b"\x00\x00\xff\xff"  # snaplen 65535
    b"\x00\x00\x01\x10"  # link type 272 NORDIC_BLE
)
REC1_BE_NS = (
    b"\x65\x53\xf1\x00"  # ts seconds 1700000000
    b"\x07\x5b\xcd\x15"  # ts nanoseconds 123456789
    b"\x00\x00\x00\x03"  # captured length 3
    b"\x00\x00\x00\x03"  # original length 3
    b"abc"  # data
)


def test_little_endian_microseconds(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER_LE_US + REC1_LE + REC2_LE, "air.pcapng")  # misnamed
    with open_capture(path) as cap:
        assert (cap.format, cap.link_type) == ("pcap", 256)
        recs = list(cap)
        assert cap.problems == [] and cap.records == 2
    assert [(r.index, r.file_offset, r.payload) for r in recs] == [
        (1, 24, b"\xd6\xbe\x89\x8e"),
        (2, 24 + 20, b"\x01\x02"),
    ]
    assert [r.timestamp for r in recs] == [1_700_000_000.25, 1_700_000_001.0]
    assert {(r.link_type, r.direction, r.flags) for r in recs} == {(256, Direction.UNKNOWN, 0)}


def test_big_endian_nanoseconds(tmp_path: Path) -> None:
    with open_capture(write(tmp_path, HEADER_BE_NS + REC1_BE_NS)) as cap:
        assert (cap.format, cap.link_type) == ("pcap", 272)
        (rec,) = list(cap)
        assert cap.problems == []
    assert (rec.payload, rec.file_offset) == (b"abc", 24)
    assert rec.timestamp == pytest.approx(1_700_000_000.123456789, abs=1e-7)


def _pcap(order: str, magic: int, records: list[tuple[int, int, bytes]]) -> bytes:
    out = struct.pack(order + "IHHIIII", magic, 2, 4, 0, 0, 65535, 251)
    for sec, frac, data in records:
        out += struct.pack(order + "IIII", sec, frac, len(data), len(data)) + data
    return out


@pytest.mark.parametrize("order", ["<", ">"])
@pytest.mark.parametrize(("magic", "units"), [(0xA1B2C3D4, 1e6), (0xA1B23C4D, 1e9)])
def test_both_byte_orders_both_resolutions(
    tmp_path: Path, order: str, magic: int, units: float
) -> None:
    data = _pcap(order, magic, [(100, 5, b"\xd6\xbe\x89\x8e\x00\x00abc"), (101, 0, b"x")])
    recs, problems = read(write(tmp_path, data))
    assert problems == []
    assert [r.link_type for r in recs] == [251, 251]
    assert recs[0].timestamp == pytest.approx(100 + 5 / units, abs=1e-12)
    assert [r.payload for r in recs] == [b"\xd6\xbe\x89\x8e\x00\x00abc", b"x"]


def test_fcs_bits_are_not_part_of_the_link_type(tmp_path: Path) -> None:
    data = (
        b"\xd4\xc3\xb2\xa1"  # magic, little-endian, µs
        b"\x02\x00\x04\x00"  # version 2.4
        b"\x00\x00\x00\x00"  # reserved 1
        b"\x00\x00\x00\x00"  # reserved 2
        b"\xff\xff\x00\x00"  # snaplen 65535
        b"\xfb\x00\x00\x24"  # link type 251; bit 26 set, FCS length 2 (16-bit words)
    )
    with open_capture(write(tmp_path, data)) as cap:
        assert cap.link_type == 251
        assert list(cap) == [] and cap.problems == []


def test_fractions_out_of_range_as_ubertooth_writes_them(tmp_path: Path) -> None:
    # crackle's ubertooth captures: ts_usec above one million, and just below 2**32
    data = HEADER_LE_US + (
        b"\xa6\xe7\x06\x00"  # ts seconds 452518
        b"\x0c\x70\x15\x00"  # ts "microseconds" 1404940: 1.40494 s, simply added
        b"\x01\x00\x00\x00"  # captured length 1
        b"\x01\x00\x00\x00"  # original length 1
        b"\x00"  # data
        b"\xa6\xe7\x06\x00"  # ts seconds 452518
        b"\xed\x2e\xe0\xff"  # ts "microseconds" 4292882157 = -2085139 as a signed value
        b"\x01\x00\x00\x00"  # captured length 1
        b"\x01\x00\x00\x00"  # original length 1
        b"\x00"  # data
    )
    recs, problems = read(write(tmp_path, data))
    assert problems == []
    assert [r.timestamp for r in recs] == [
        pytest.approx(452519.40494, abs=1e-6),
        pytest.approx(452515.914861, abs=1e-6),
    ]


def test_a_file_ending_inside_a_record_keeps_the_ones_before(tmp_path: Path) -> None:
    """Cut after each byte of record 2 (at 0x2c): its 16-byte header, then its 2 data bytes."""
    assert_cut_anywhere(tmp_path, HEADER_LE_US + REC1_LE, REC2_LE, header=16, layer="pcap")


def test_header_only(tmp_path: Path) -> None:
    assert read(write(tmp_path, HEADER_LE_US)) == ([], [])


def test_captured_longer_than_snaplen_and_original(tmp_path: Path) -> None:
    header = (
        b"\xd4\xc3\xb2\xa1"  # magic
        b"\x02\x00\x04\x00"  # version 2.4
        b"\x00\x00\x00\x00"  # reserved 1
        b"\x00\x00\x00\x00"  # reserved 2
        b"\x04\x00\x00\x00"  # snaplen 4
        b"\xfb\x00\x00\x00"  # link type 251
    )
    odd = (
        b"\x01\x00\x00\x00"  # ts seconds 1
        b"\x00\x00\x00\x00"  # ts microseconds
        b"\x06\x00\x00\x00"  # captured length 6: above the snaplen
        b"\x05\x00\x00\x00"  # original length 5: and above what was sent
        b"abcdef"  # data
    )
    recs, problems = read(write(tmp_path, header + REC1_LE + odd + REC2_LE))
    assert [r.payload for r in recs] == [b"\xd6\xbe\x89\x8e", b"abcdef", b"\x01\x02"]
    assert messages(problems) == [
        "record 2 at offset 0x2c: captured length 6 is more than the original length 5",
        "record 2 at offset 0x2c: captured length 6 is more than the snapshot length 4",
    ]


def test_implausible_length_stops_reading(tmp_path: Path) -> None:
    bad = (
        b"\x01\x00\x00\x00"  # ts seconds
        b"\x00\x00\x00\x00"  # ts microseconds
        b"\x00\x00\x00\x40"  # captured length 1 GiB
        b"\x00\x00\x00\x40"  # original length 1 GiB
    )
    why = (
        f"captured length 1073741824 is more than {MAX_RECORD} bytes (snapshot length "
        "65535); the rest of the file cannot be framed"
    )
    assert_framing_stops(tmp_path, HEADER_LE_US + REC1_LE, bad, REC2_LE, layer="pcap", why=why)


def test_snaplen_cut_records_are_counted(tmp_path: Path) -> None:
    cut = (
        b"\x01\x00\x00\x00"  # ts seconds 1
        b"\x00\x00\x00\x00"  # ts microseconds
        b"\x02\x00\x00\x00"  # captured length 2
        b"\x40\x00\x00\x00"  # original length 64
        b"ab"  # data
    )
    with open_capture(write(tmp_path, HEADER_LE_US + REC1_LE + cut + cut)) as cap:
        recs = list(cap)
        assert len(recs) == 3
        assert cap.problems == []
        assert cap.stats == {"truncated": 2, "first_truncated": 2}
        # the decoders are told how long a cut record was (editcap -s, tcpdump -s)
        assert [r.orig_length for r in recs] == [0, 64, 64]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            b"\xd4\xc3\xb2\xa1"  # magic
            b"\x02\x00",  # version major, then the file ends
            "the pcap file header is 24 bytes, the file has only 6",
        ),
        (
            b"\xd4\xc3\xb2\xa1"  # magic
            b"\x01\x00\x00\x00"  # version 1.0
            b"\x00\x00\x00\x00"  # reserved 1
            b"\x00\x00\x00\x00"  # reserved 2
            b"\xff\xff\x00\x00"  # snaplen
            b"\xfb\x00\x00\x00",  # link type 251
            "pcap version 1.0 is not supported (only version 2.x is defined)",
        ),
    ],
    ids=["short-header", "version-1"],
)
def test_unreadable_headers(tmp_path: Path, data: bytes, message: str) -> None:
    assert refusal(write(tmp_path, data)) == message


def test_records_across_many_chunks(tmp_path: Path) -> None:
    sizes = [(i * 53) % 257 for i in range(2000)] + [CHUNK + 3, 0, 7]
    body = b"".join(
        struct.pack("<IIII", i, i % 1_000_000, s, s) + bytes([i & 0xFF]) * s
        for i, s in enumerate(sizes)
    )
    header = struct.pack("<IHHIIII", 0xA1B2C3D4, 2, 4, 0, 0, 0x40000, 256)
    with open_capture(write(tmp_path, header + body)) as cap:
        offset = 24
        for i, (rec, size) in enumerate(zip(cap, sizes, strict=True)):
            assert (rec.index, rec.file_offset) == (i + 1, offset)
            assert rec.payload == bytes([i & 0xFF]) * size
            offset += 16 + size
        assert cap.records == len(sizes) and cap.problems == []


def test_zeros_after_the_records_are_one_problem(tmp_path: Path) -> None:
    records, problems = read(write(tmp_path, HEADER_LE_US + REC1_LE + REC2_LE + bytes(100)))
    assert len(records) == 2
    assert [p.message for p in problems] == [
        f"record 3 at offset 0x{24 + len(REC1_LE) + len(REC2_LE):x}: 100 bytes of zeros where "
        "records should be, to the end of the file (a log preallocated, or cut short by a crash)"
    ]
