"""Every problem a reader or decoder stream reports carries a ``ProblemKind`` beside its
message: hand-made edge cases (byte literals, one comment per field) with the exact kind, and
damaged copies of the bundled captures, none of whose problems may be left unclassified."""

from __future__ import annotations

import random
import struct
from pathlib import Path

import pytest

from bpdiag.capture import open_capture
from bpdiag.capture.record import LinkType, Problem, ProblemKind, Record
from bpdiag.decode.hci_stream import HciStream
from bpdiag.decode.stream import PduStream
from bpdiag.errors import BadLength, DecodeError, Truncated, UnreadableCapture, Unsupported

CAPTURES = Path(__file__).resolve().parents[2] / "captures"

BTSNOOP_H4 = (
    b"btsnoop\x00"  # identification pattern
    b"\x00\x00\x00\x01"  # version 1
    b"\x00\x00\x03\xea"  # datalink 1002 (H4)
)
TS = struct.pack(">q", 0x00E03AB44A676000)  # a timestamp (any value will do)


def _btsnoop_record(orig: int, incl: int, data: bytes) -> bytes:
    return struct.pack(">IIII", orig, incl, 0, 0) + TS + data


def _problems(tmp_path: Path, data: bytes) -> tuple[int, list[Problem]]:
    path = tmp_path / "capture"
    path.write_bytes(data)
    with open_capture(path) as cap:
        return sum(1 for _ in cap), list(cap.problems)


def test_kind_of_a_decode_error() -> None:
    assert ProblemKind.of(Truncated("x")) is ProblemKind.TRUNCATED
    assert ProblemKind.of(BadLength("x")) is ProblemKind.BAD_LENGTH
    assert ProblemKind.of(Unsupported("x")) is ProblemKind.UNSUPPORTED
    assert ProblemKind.of(DecodeError("x")) is ProblemKind.INVALID


def test_btsnoop_included_longer_than_original_is_bad_length(tmp_path: Path) -> None:
    data = BTSNOOP_H4 + _btsnoop_record(
        4,  # original length
        5,  # included length: one more than was sent
        b"\x04\x0e\x01\x01\x00",  # an H4 event
    )
    count, problems = _problems(tmp_path, data)
    assert count == 1
    assert [(p.kind, p.message) for p in problems] == [
        (
            ProblemKind.BAD_LENGTH,
            "record 1 at offset 0x10: included length 5 is more than the original length 4",
        )
    ]


def test_btsnoop_implausible_length_is_bad_length(tmp_path: Path) -> None:
    data = BTSNOOP_H4 + _btsnoop_record(0x01000000, 0x01000000, b"")  # 16 MiB "record"
    count, problems = _problems(tmp_path, data)
    assert count == 0
    assert [p.kind for p in problems] == [ProblemKind.BAD_LENGTH]
    assert problems[0].message.endswith("the rest of the file cannot be framed")


def test_btsnoop_cut_record_header_and_body_are_truncated(tmp_path: Path) -> None:
    cut_header = BTSNOOP_H4 + _btsnoop_record(5, 5, b"\x04\x0e\x01\x01\x00")[:10]
    assert [p.kind for p in _problems(tmp_path, cut_header)[1]] == [ProblemKind.TRUNCATED]
    cut_body = BTSNOOP_H4 + _btsnoop_record(8, 8, b"\x04\x0e\x01")  # 3 of 8 bytes
    count, problems = _problems(tmp_path, cut_body)
    assert count == 0
    assert [(p.kind, p.message) for p in problems] == [
        (ProblemKind.TRUNCATED, "record 1 at offset 0x10: header says 8 bytes, file ends after 3")
    ]


def test_pcap_captured_longer_than_snaplen_is_bad_length(tmp_path: Path) -> None:
    header = struct.pack(
        "<IHHIIII",
        0xA1B2C3D4,  # magic, microseconds, written little-endian
        2,  # major version
        4,  # minor version
        0,  # reserved
        0,  # reserved
        4,  # snapshot length: 4 bytes
        LinkType.BLUETOOTH_HCI_H4_WITH_PHDR,  # link type 201
    )
    record = struct.pack("<IiII", 0, 0, 6, 6) + b"\x00\x00\x00\x01\x04\x0e"  # 6 bytes
    count, problems = _problems(tmp_path, header + record)
    assert count == 1
    assert [p.kind for p in problems] == [ProblemKind.BAD_LENGTH]
    assert "snapshot length 4" in problems[0].message


def _h4(index: int, payload: bytes) -> Record:
    return Record(index, 0.0, LinkType.BTSNOOP_H4, payload, 16 * index, flags=1)


def test_hci_stream_problem_kinds() -> None:
    stream = HciStream()
    stream.feed(_h4(1, b"\x07\x01\x02"))  # H4 packet type 0x07: not defined
    stream.feed(_h4(2, b"\x04\x05\x04\x00\x40"))  # Disconnection Complete, 2 of 4 bytes
    stream.feed(_h4(3, b"\x02\x40\x20\x01\x00\xaa\xbb"))  # ACL: length 1, 2 bytes follow
    stream.feed(_h4(4, b""))  # no packet type byte
    assert [(p.record, p.layer, p.kind) for p in stream.problems] == [
        (1, "h4", ProblemKind.UNKNOWN),
        (2, "hci", ProblemKind.TRUNCATED),
        (3, "hci", ProblemKind.BAD_LENGTH),
        (4, "h4", ProblemKind.TRUNCATED),
    ]


def _damaged(data: bytes, rng: random.Random) -> bytes:
    """A copy cut short, with bytes overwritten, or with junk inserted."""
    d = bytearray(data[:100_000])
    how = rng.randrange(3)
    if how == 0:
        return bytes(d[: rng.randrange(16, len(d) + 1)])
    if how == 1:
        for _ in range(rng.randrange(1, 8)):
            d[rng.randrange(16, len(d))] = rng.randrange(256)
        return bytes(d)
    at = rng.randrange(16, len(d))
    return bytes(d[:at] + bytes(rng.randrange(256) for _ in range(rng.randrange(1, 24))) + d[at:])


@pytest.mark.parametrize(
    "capture",
    sorted(p for p in CAPTURES.rglob("*") if p.suffix in (".btsnoop", ".pcap", ".pcapng")),
    ids=lambda p: p.name,
)
def test_no_problem_is_left_unclassified(capture: Path, tmp_path: Path) -> None:
    rng = random.Random(capture.name)
    data = capture.read_bytes()
    for i in range(8):
        path = tmp_path / f"damaged{i}"
        path.write_bytes(_damaged(data, rng))
        try:
            cap = open_capture(path)
        except UnreadableCapture:
            continue
        with cap:
            stream = PduStream()
            for rec in cap:
                stream.feed(rec)
            stream.finish()
            unclassified = [
                p for p in (*cap.problems, *stream.problems) if p.kind is ProblemKind.OTHER
            ]
        assert unclassified == []
