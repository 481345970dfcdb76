"""btsnoop reader edge cases, spelled as byte literals with a comment per field, and the
exact problem or error each must give.  Damage after the file header never raises and never
loses the records before it."""

from __future__ import annotations

import errno
import io
import struct
from itertools import chain
from pathlib import Path

import pytest

from bpdiag.capture import open_capture
from bpdiag.capture._io import CHUNK, Source
from bpdiag.capture.btsnoop import EPOCH_DELTA_US, MAX_RECORD, BtsnoopReader
from bpdiag.capture.record import Direction, Problem, ProblemKind
from tests.capture import assert_cut_anywhere, assert_framing_stops, messages, read, refusal, write

HEADER_H4 = (
    b"btsnoop\x00"  # identification pattern
    b"\x00\x00\x00\x01"  # version 1
    b"\x00\x00\x03\xea"  # datalink 1002: HCI UART (H4)
)
# An HCI event received: Command Complete for Reset, status 0.
REC1 = (
    b"\x00\x00\x00\x07"  # original length 7
    b"\x00\x00\x00\x07"  # included length 7
    b"\x00\x00\x00\x03"  # flags: bit 0 received, bit 1 command/event
    b"\x00\x00\x00\x00"  # cumulative drops
    b"\x00\xe2\xe7\xd7\x27\x4d\xc0\x00"  # µs since 0 AD: 2023-11-14 22:13:20 UTC
    b"\x04\x0e\x04\x01\x03\x0c\x00"  # H4 event 0x0e, 4 bytes: 1 packet, opcode 0x0c03, ok
)
# ACL data sent, 250 ms later (too short to decode, which is the decoder's business).
REC2 = (
    b"\x00\x00\x00\x02"  # original length 2
    b"\x00\x00\x00\x02"  # included length 2
    b"\x00\x00\x00\x00"  # flags: sent, data
    b"\x00\x00\x00\x00"  # cumulative drops
    b"\x00\xe2\xe7\xd7\x27\x51\x90\x90"  # timestamp + 250 000 µs
    b"\x02\x40"  # two bytes of H4 ACL
)
# A command sent one second after REC1 with bit 1 clear, as Android sometimes writes it.
REC3 = (
    b"\x00\x00\x00\x04"  # original length 4
    b"\x00\x00\x00\x04"  # included length 4
    b"\x00\x00\x00\x00"  # flags: sent, "data" (wrong: the H4 type byte says command)
    b"\x00\x00\x00\x00"  # cumulative drops
    b"\x00\xe2\xe7\xd7\x27\x5d\x02\x40"  # timestamp + 1 s
    b"\x01\x03\x0c\x00"  # H4 command Reset (0x0c03), no parameters
)
T0 = 1_700_000_000.0


def test_three_records(tmp_path: Path) -> None:
    # The name says pcapng; the magic says btsnoop, and the magic wins.
    path = write(tmp_path, HEADER_H4 + REC1 + REC2 + REC3, "log.pcapng")
    with open_capture(path) as cap:
        assert (cap.format, cap.link_type, cap.path) == ("btsnoop", 1002, str(path))
        recs = list(cap)
        assert cap.problems == [] and cap.records == 3 and cap.stats == {}
    assert [r.index for r in recs] == [1, 2, 3]
    assert [r.file_offset for r in recs] == [16, 16 + 31, 16 + 31 + 26]
    assert [r.payload for r in recs] == [b"\x04\x0e\x04\x01\x03\x0c\x00", b"\x02\x40", REC3[-4:]]
    assert [r.direction for r in recs] == [Direction.RECEIVED, Direction.SENT, Direction.SENT]
    assert [r.flags for r in recs] == [3, 0, 0]
    assert [r.link_type for r in recs] == [1002] * 3
    assert [r.timestamp for r in recs] == [T0, T0 + 0.25, T0 + 1]


def test_epoch_is_unix_time_as_tshark_and_btmon_read_it() -> None:
    # tshark's KUnixTimeBase.  BlueZ and Bumble write 0x00E03AB44A676000 + (Unix µs -
    # 946,684,800 s, the Unix time of 2000-01-01): the same thing.
    assert EPOCH_DELTA_US == 62_168_256_000 * 1_000_000
    assert EPOCH_DELTA_US == 0x00E03AB44A676000 - 946_684_800 * 1_000_000


def test_h1_datalink(tmp_path: Path) -> None:
    data = (
        b"btsnoop\x00"  # identification pattern
        b"\x00\x00\x00\x01"  # version 1
        b"\x00\x00\x03\xe9"  # datalink 1001: HCI UART without the type byte (H1)
        b"\x00\x00\x00\x03"  # original length 3
        b"\x00\x00\x00\x03"  # included length 3
        b"\x00\x00\x00\x02"  # flags: sent, command
        b"\x00\x00\x00\x00"  # drops
        b"\x00\xe2\xe7\xd7\x27\x4d\xc0\x00"  # timestamp
        b"\x03\x0c\x00"  # Reset, no H4 type byte
    )
    recs, problems = read(write(tmp_path, data))
    assert problems == []
    assert [(r.link_type, r.direction, r.flags, r.payload) for r in recs] == [
        (1001, Direction.SENT, 2, b"\x03\x0c\x00")
    ]


def _monitor_record(adapter: int, opcode: int) -> bytes:
    return (
        b"\x00\x00\x00\x01"  # original length 1
        b"\x00\x00\x00\x01"  # included length 1
        + struct.pack(">HH", adapter, opcode)  # flags: adapter index << 16 | opcode
        + b"\x00\x00\x00\x00"  # drops
        b"\x00\xe2\xe7\xd7\x27\x4d\xc0\x00"  # timestamp
        b"\xaa"  # payload
    )


def _direction_by_name(name: str) -> Direction:
    """The direction a Linux monitor opcode's name gives: HCI commands and TX data go to the
    controller, events and RX data come from it; index, note and control-channel opcodes
    ("Ctrl command" is a management socket's, not HCI's) carry no direction."""
    kind, _, tail = name.rpartition(" ")
    if tail != "pkt":
        return Direction.UNKNOWN
    if kind == "Command" or kind.endswith(" TX"):
        return Direction.SENT
    assert kind == "Event" or kind.endswith(" RX"), name
    return Direction.RECEIVED


def test_monitor_datalink_direction_from_opcode(tmp_path: Path) -> None:
    """Every opcode scapy's HCI_Mon_Hdr names (after the kernel's hci_mon.h, as BlueZ
    src/shared/btsnoop.h numbers them) gets the direction its name says; an opcode neither
    defines has none.  scapy is the independent list, not a copy of MONITOR_DIRECTIONS."""
    from scapy.fields import EnumField
    from scapy.layers.bluetooth import HCI_Mon_Hdr

    opcode = HCI_Mon_Hdr().get_field("opcode")
    assert isinstance(opcode, EnumField) and opcode.i2s
    names: dict[int, str] = opcode.i2s
    expected = {op: _direction_by_name(n) for op, n in names.items()}
    assert {Direction.SENT, Direction.RECEIVED, Direction.UNKNOWN} == set(expected.values())
    expected[0x0102] = Direction.UNKNOWN  # not an opcode BlueZ defines
    header = (
        b"btsnoop\x00"  # identification pattern
        b"\x00\x00\x00\x01"  # version 1
        b"\x00\x00\x07\xd1"  # datalink 2001: Linux monitor (btmon)
    )
    data = header + b"".join(_monitor_record(1, op) for op in expected)
    recs, problems = read(write(tmp_path, data))
    assert problems == []
    assert {op: r.direction for op, r in zip(expected, recs, strict=True)} == expected
    assert [r.flags for r in recs] == [0x10000 | op for op in expected]
    assert {r.link_type for r in recs} == {2001}


def test_header_only_is_a_clean_empty_capture(tmp_path: Path) -> None:
    recs, problems = read(write(tmp_path, HEADER_H4))
    assert recs == [] and problems == []


def test_a_file_ending_inside_a_record_keeps_the_ones_before(tmp_path: Path) -> None:
    """Cut after each byte of record 2 (at 0x2f): its 24-byte header, then its 2 data bytes."""
    assert_cut_anywhere(tmp_path, HEADER_H4 + REC1, REC2, header=24, layer="btsnoop")


def test_included_longer_than_original_is_kept_with_a_problem(tmp_path: Path) -> None:
    odd = (
        b"\x00\x00\x00\x01"  # original length 1
        b"\x00\x00\x00\x02"  # included length 2: more than was sent
        b"\x00\x00\x00\x00"  # flags: sent
        b"\x00\x00\x00\x00"  # drops
        b"\x00\xe2\xe7\xd7\x27\x51\x90\x90"  # timestamp
        b"\x02\x40"  # included bytes
    )
    path = write(tmp_path, HEADER_H4 + REC1 + odd + REC3)
    with open_capture(path) as cap:
        it = iter(cap)
        next(it)
        assert cap.problems == []  # not before record 1 has been handed out
        second = next(it)
        assert messages(cap.problems) == [
            "record 2 at offset 0x2f: included length 2 is more than the original length 1"
        ]
        assert [second.index, *(r.index for r in it)] == [2, 3]


def test_included_shorter_than_original_is_counted_not_a_problem(tmp_path: Path) -> None:
    short = (
        b"\x00\x00\x01\x00"  # original length 256
        b"\x00\x00\x00\x02"  # included length 2 (Android's filtered snoop log cuts ACL)
        b"\x00\x00\x00\x01"  # flags: received
        b"\x00\x00\x00\x00"  # drops
        b"\x00\xe2\xe7\xd7\x27\x51\x90\x90"  # timestamp
        b"\x02\x40"  # included bytes
    )
    path = write(tmp_path, HEADER_H4 + REC1 + short + REC3 + short)
    with open_capture(path) as cap:
        assert len(list(cap)) == 4
        assert cap.problems == []
        assert cap.stats == {"truncated": 2, "first_truncated": 2}


def test_implausible_length_stops_reading(tmp_path: Path) -> None:
    bad = (
        b"\x7f\xff\xff\xff"  # original length 2147483647
        b"\x7f\xff\xff\xff"  # included length 2147483647
        b"\x00\x00\x00\x00"  # flags
        b"\x00\x00\x00\x00"  # drops
        b"\x00\xe2\xe7\xd7\x27\x51\x90\x90"  # timestamp
    )
    why = (
        f"included length 2147483647 is more than {MAX_RECORD} bytes, longer than any HCI "
        "packet; the rest of the file cannot be framed"
    )
    assert_framing_stops(tmp_path, HEADER_H4 + REC1, bad, REC3, layer="btsnoop", why=why)


def test_zeros_to_the_end_are_one_problem(tmp_path: Path) -> None:
    # A log written up to a crash into a preallocated file: zeros where records would be
    path = write(tmp_path, HEADER_H4 + REC1 + REC2 + bytes(3 * CHUNK + 5))
    records, problems = read(path)
    assert [r.payload for r in records] == [REC1[24:], REC2[24:]]
    assert [(p.record, p.offset, p.kind) for p in problems] == [
        (3, 16 + len(REC1) + len(REC2), ProblemKind.TRUNCATED)
    ]
    assert f"{3 * CHUNK + 5} bytes of zeros" in problems[0].message
    assert "to the end of the file" in problems[0].message


def test_a_hole_of_zeros_stops_reading_and_says_data_follows(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER_H4 + REC1 + bytes(4096) + REC3)
    records, problems = read(path)
    assert [r.payload for r in records] == [REC1[24:]]
    assert "4099 bytes of zeros" in problems[0].message  # REC3 starts with three
    assert "data follows them" in problems[0].message


def test_an_empty_record_is_still_a_record(tmp_path: Path) -> None:
    empty = (
        b"\x00\x00\x00\x00"  # original length 0
        b"\x00\x00\x00\x00"  # included length 0
        b"\x00\x00\x00\x01"  # flags: received
        b"\x00\x00\x00\x00"  # drops
        b"\x00\xe2\xe7\xd7\x27\x51\x90\x90"  # a time: not a hole of zeros
    )
    records, problems = read(write(tmp_path, HEADER_H4 + REC1 + empty + REC3))
    assert [r.payload for r in records] == [REC1[24:], b"", REC3[24:]]
    assert problems == []


def test_files_joined_end_to_end_are_read_on(tmp_path: Path) -> None:
    # ``cat btsnoop_hci.log.last btsnoop_hci.log``: the second header where record 3 would be
    path = write(tmp_path, HEADER_H4 + REC1 + REC2 + HEADER_H4 + REC3 + REC1)
    records, problems = read(path)
    assert [r.payload for r in records] == [REC1[24:], REC2[24:], REC3[24:], REC1[24:]]
    assert [r.index for r in records] == [1, 2, 3, 4]
    assert [(p.record, p.offset, p.kind) for p in problems] == [
        (3, 16 + len(REC1) + len(REC2), ProblemKind.INVALID)
    ]
    assert "second file header" in problems[0].message
    assert "read on" in problems[0].message


def test_a_joined_file_of_another_datalink_stops_reading(tmp_path: Path) -> None:
    monitor = HEADER_H4[:12] + b"\x00\x00\x07\xd1"  # datalink 2001: Linux monitor
    path = write(tmp_path, HEADER_H4 + REC1 + monitor + REC3)
    records, problems = read(path)
    assert [r.payload for r in records] == [REC1[24:]]
    assert [(p.record, p.kind) for p in problems] == [(2, ProblemKind.UNSUPPORTED)]
    assert "link type differs" in problems[0].message


def test_a_file_ending_inside_a_joined_header_keeps_what_was_read(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER_H4 + REC1 + HEADER_H4[:12])
    records, problems = read(path)
    assert [r.payload for r in records] == [REC1[24:]]
    assert messages(problems) == [
        f"record 2 at offset 0x{16 + len(REC1):x}: a record header is 24 bytes, file ends after 12"
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            b"btsnoop\x00"  # identification pattern
            b"\x00\x00",  # version, cut short
            "the btsnoop file header is 16 bytes, the file has only 10",
        ),
        (
            b"btsnoop\x00"  # identification pattern
            b"\x00\x00\x00\x02"  # version 2
            b"\x00\x00\x03\xea",  # datalink 1002
            "btsnoop version 2 is not supported (only version 1 is defined)",
        ),
        (
            b"btsnoop\x00"  # identification pattern
            b"\x00\x00\x00\x01"  # version 1
            b"\x00\x00\x03\xeb",  # datalink 1003 (BCSP)
            "btsnoop datalink 1003 (BCSP) is not supported; bpdiag reads 1001 (H1), "
            "1002 (H4) and 2001 (Linux monitor)",
        ),
        (
            b"btsnoop\x00"  # identification pattern
            b"\x00\x00\x00\x01"  # version 1
            b"\x00\x00\x00\xc9",  # datalink 201 (a pcap link type, not a btsnoop one)
            "btsnoop datalink 201 is not supported; bpdiag reads 1001 (H1), "
            "1002 (H4) and 2001 (Linux monitor)",
        ),
    ],
    ids=["short-header", "version-2", "datalink-1003", "datalink-201"],
)
def test_unreadable_headers(tmp_path: Path, data: bytes, message: str) -> None:
    assert refusal(write(tmp_path, data)) == message


def _record(i: int, size: int) -> bytes:
    payload = bytes([i & 0xFF]) * size
    return struct.pack(">IIIIq", size, size, i & 1, 0, EPOCH_DELTA_US + i) + payload


def test_records_across_many_chunks(tmp_path: Path) -> None:
    """Sizes from 0 to beyond one read chunk: every record comes out whole, at its offset."""
    sizes = [(i * 37) % 300 for i in range(3000)] + [CHUNK * 3 // 2, 0, MAX_RECORD, 5]
    data = HEADER_H4 + b"".join(_record(i, s) for i, s in enumerate(sizes))
    with open_capture(write(tmp_path, data)) as cap:
        offset = 16
        count = 0
        for i, (rec, size) in enumerate(zip(cap, sizes, strict=True)):
            assert rec.index == i + 1 and rec.file_offset == offset
            assert rec.payload == bytes([i & 0xFF]) * size
            assert rec.timestamp == pytest.approx(i / 1e6)
            assert cap.records == i + 1
            offset += 24 + size
            count += 1
        assert count == len(sizes) and cap.problems == []


class _FailingFile(io.BytesIO):
    """A file whose second read fails, as a disk or network file system may."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.reads = 0

    def read(self, size: int | None = -1) -> bytes:
        self.reads += 1
        if self.reads > 1:
            raise OSError(errno.EIO, "Input/output error")
        return super().read(16 + 31)  # the file header and record 1 only


def test_read_error_mid_file_is_a_problem() -> None:
    problems: list[Problem] = []
    reader = BtsnoopReader(Source(_FailingFile(HEADER_H4 + REC1 + REC2)), problems, {})
    recs = list(chain.from_iterable(reader.batches()))
    assert [r.index for r in recs] == [1]
    assert [(p.record, p.offset) for p in problems] == [(2, 0x2F)]
    assert messages(problems) == [
        "record 2 at offset 0x2f: reading the file failed (Input/output error); the rest of "
        "the file is not read"
    ]
