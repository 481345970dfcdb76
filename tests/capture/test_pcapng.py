"""pcapng reader edge cases, spelled as byte literals with a comment per field, and the exact
problem or error each must give.  Blocks built with ``_block`` are for cases where the
layout is not the point (many records, chunk boundaries)."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from bpdiag.capture import open_capture
from bpdiag.capture._io import CHUNK
from bpdiag.capture.record import Direction
from tests.capture import messages, outcome, read, refusal, write

SHB_LE = (
    b"\x0a\x0d\x0d\x0a"  # block type: Section Header Block
    b"\x1c\x00\x00\x00"  # block total length 28
    b"\x4d\x3c\x2b\x1a"  # byte-order magic 0x1A2B3C4D, little-endian
    b"\x01\x00\x00\x00"  # version 1.0
    b"\xff\xff\xff\xff\xff\xff\xff\xff"  # section length -1: not given
    b"\x1c\x00\x00\x00"  # block total length 28
)
IDB_251 = (
    b"\x01\x00\x00\x00"  # block type: Interface Description Block
    b"\x14\x00\x00\x00"  # block total length 20
    b"\xfb\x00\x00\x00"  # link type 251 BLUETOOTH_LE_LL, reserved
    b"\x00\x00\x00\x00"  # snaplen 0: no limit
    b"\x14\x00\x00\x00"  # block total length 20
)
EPB_1 = (
    b"\x06\x00\x00\x00"  # block type: Enhanced Packet Block
    b"\x24\x00\x00\x00"  # block total length 36
    b"\x00\x00\x00\x00"  # interface 0
    b"\x24\x0a\x06\x00"  # timestamp high } 1,700,000,000,000,000 µs
    b"\x00\x40\x1e\x18"  # timestamp low  }
    b"\x04\x00\x00\x00"  # captured length 4
    b"\x04\x00\x00\x00"  # original length 4
    b"abcd"  # packet data
    b"\x24\x00\x00\x00"  # block total length 36
)
EPB_2 = (  # EPB_1's block with another time and 3 bytes of data
    EPB_1[:16]  # block type, total length 36, interface 0, timestamp high
    + b"\x40\x82\x2d\x18"  # timestamp low: 1,700,000,001,000,000 µs
    + b"\x03\x00\x00\x00"  # captured length 3
    + b"\x03\x00\x00\x00"  # original length 3
    + b"efg\x00"  # packet data, padded to 32 bits
    + EPB_1[-4:]  # block total length 36
)
EPB_2_AT = 28 + 20 + 36  # 0x54
PREFIX = SHB_LE + IDB_251 + EPB_1  # one good packet at 0x30


def test_two_sections_interfaces_resolutions_and_block_kinds(tmp_path: Path) -> None:
    data = (
        SHB_LE
        # interface 0: nRF Sniffer, nanosecond timestamps
        + b"\x01\x00\x00\x00"  # block type: IDB
        b"\x20\x00\x00\x00"  # block total length 32
        b"\x10\x01\x00\x00"  # link type 272 NORDIC_BLE, reserved
        b"\x00\x00\x00\x00"  # snaplen 0
        b"\x09\x00\x01\x00"  # option if_tsresol, length 1
        b"\x09\x00\x00\x00"  # 10^-9 s, padding
        b"\x00\x00\x00\x00"  # opt_endofopt
        b"\x20\x00\x00\x00"  # block total length 32
        # interface 1: HCI H4 with direction pseudo-header, 2^-10 s timestamps
        b"\x01\x00\x00\x00"  # block type: IDB
        b"\x20\x00\x00\x00"  # block total length 32
        b"\xc9\x00\x00\x00"  # link type 201 BLUETOOTH_HCI_H4_WITH_PHDR, reserved
        b"\x00\x00\x04\x00"  # snaplen 262144
        b"\x09\x00\x01\x00"  # option if_tsresol, length 1
        b"\x8a\x00\x00\x00"  # bit 7 set: 2^-10 s, padding
        b"\x00\x00\x00\x00"  # opt_endofopt
        b"\x20\x00\x00\x00"  # block total length 32
        # record 1 at 0x5c: interface 0
        b"\x06\x00\x00\x00"  # block type: EPB
        b"\x28\x00\x00\x00"  # block total length 40
        b"\x00\x00\x00\x00"  # interface 0
        b"\xfe\x9c\x97\x17"  # timestamp high } 1,700,000,000,123,456,789 ns
        b"\x15\xcd\x85\x3d"  # timestamp low  }
        b"\x06\x00\x00\x00"  # captured length 6
        b"\x06\x00\x00\x00"  # original length 6
        b"nordic\x00\x00"  # packet data, padded
        b"\x28\x00\x00\x00"  # block total length 40
        # record 2 at 0x84: interface 1, inbound
        b"\x06\x00\x00\x00"  # block type: EPB
        b"\x34\x00\x00\x00"  # block total length 52
        b"\x01\x00\x00\x00"  # interface 1
        b"\x95\x01\x00\x00"  # timestamp high } 1,700,000,000.5 s in 2^-10 s units
        b"\x00\x02\xc4\x4f"  # timestamp low  }
        b"\x08\x00\x00\x00"  # captured length 8
        b"\x08\x00\x00\x00"  # original length 8
        b"\x00\x00\x00\x01\x04\x0e\x04\x01"  # phdr "received", H4 event
        b"\x02\x00\x04\x00"  # option epb_flags, length 4
        b"\x01\x00\x00\x00"  # inbound
        b"\x00\x00\x00\x00"  # opt_endofopt
        b"\x34\x00\x00\x00"  # block total length 52
        # a Name Resolution Block at 0xb8: skipped, not a record
        b"\x04\x00\x00\x00"  # block type: NRB
        b"\x10\x00\x00\x00"  # block total length 16
        b"\x00\x00\x00\x00"  # nrb_record_end
        b"\x10\x00\x00\x00"  # block total length 16
        # record 3 at 0xc8: Simple Packet Block, interface 0, no timestamp
        b"\x03\x00\x00\x00"  # block type: SPB
        b"\x14\x00\x00\x00"  # block total length 20
        b"\x03\x00\x00\x00"  # original length 3
        b"spb\x00"  # packet data, padded
        b"\x14\x00\x00\x00"  # block total length 20
        # second section, big-endian: interfaces are numbered from 0 again
        b"\x0a\x0d\x0d\x0a"  # block type: SHB
        b"\x00\x00\x00\x1c"  # block total length 28
        b"\x1a\x2b\x3c\x4d"  # byte-order magic, big-endian
        b"\x00\x01\x00\x00"  # version 1.0
        b"\xff\xff\xff\xff\xff\xff\xff\xff"  # section length -1
        b"\x00\x00\x00\x1c"  # block total length 28
        b"\x00\x00\x00\x01"  # block type: IDB
        b"\x00\x00\x00\x24"  # block total length 36
        b"\x00\xfb\x00\x00"  # link type 251, reserved
        b"\x00\x00\xff\xff"  # snaplen 65535
        b"\x00\x0e\x00\x08"  # option if_tsoffset, length 8
        b"\x00\x00\x00\x00\x00\x00\x00\x64"  # +100 s
        b"\x00\x00\x00\x00"  # opt_endofopt
        b"\x00\x00\x00\x24"  # block total length 36
        # record 4 at 0x11c: outbound, default µs resolution
        b"\x00\x00\x00\x06"  # block type: EPB
        b"\x00\x00\x00\x30"  # block total length 48
        b"\x00\x00\x00\x00"  # interface 0
        b"\x00\x06\x0a\x24"  # timestamp high } 1,700,000,000,000,000 µs
        b"\x18\x1e\x40\x00"  # timestamp low  }
        b"\x00\x00\x00\x02"  # captured length 2
        b"\x00\x00\x00\x02"  # original length 2
        b"ll\x00\x00"  # packet data, padded
        b"\x00\x02\x00\x04"  # option epb_flags, length 4
        b"\x00\x00\x00\x02"  # outbound
        b"\x00\x00\x00\x00"  # opt_endofopt
        b"\x00\x00\x00\x30"  # block total length 48
        # record 5 at 0x14c: the obsolete Packet Block
        b"\x00\x00\x00\x02"  # block type: Packet Block
        b"\x00\x00\x00\x24"  # block total length 36
        b"\x00\x00\x00\x00"  # interface 0 (u16), drops count (u16)
        b"\x00\x06\x0a\x24"  # timestamp high } 1,700,000,001,000,000 µs
        b"\x18\x2d\x82\x40"  # timestamp low  }
        b"\x00\x00\x00\x01"  # captured length 1
        b"\x00\x00\x00\x01"  # original length 1
        b"p\x00\x00\x00"  # packet data, padded
        b"\x00\x00\x00\x24"  # block total length 36
    )
    path = write(tmp_path, data, "air.pcap")  # misnamed on purpose
    with open_capture(path) as cap:
        assert (cap.format, cap.link_type) == ("pcapng", 272)
        recs = list(cap)
        assert cap.problems == [] and cap.records == 5
    assert [(r.index, r.link_type, r.payload, r.file_offset) for r in recs] == [
        (1, 272, b"nordic", 0x5C),
        (2, 201, b"\x00\x00\x00\x01\x04\x0e\x04\x01", 0x84),
        (3, 272, b"spb", 0xC8),
        (4, 251, b"ll", 0x11C),
        (5, 251, b"p", 0x14C),
    ]
    assert recs[0].timestamp == pytest.approx(1_700_000_000.123456789, abs=1e-7)
    assert recs[1].timestamp == 1_700_000_000.5
    assert recs[2].timestamp == recs[1].timestamp  # an SPB has none: the one before it
    assert recs[3].timestamp == 1_700_000_100.0  # if_tsoffset added
    assert recs[4].timestamp == 1_700_000_101.0
    assert [r.direction for r in recs] == [
        Direction.UNKNOWN,
        Direction.RECEIVED,
        Direction.UNKNOWN,
        Direction.SENT,
        Direction.UNKNOWN,
    ]
    # the interface id, << 16 (its controller, for HCI link types): 0, 1, then a new section
    assert [r.flags for r in recs] == [0, 1 << 16, 0, 0, 0]


def test_two_good_packets(tmp_path: Path) -> None:
    recs, problems = read(write(tmp_path, PREFIX + EPB_2))
    assert problems == []
    assert [(r.index, r.payload, r.file_offset, r.timestamp) for r in recs] == [
        (1, b"abcd", 0x30, 1_700_000_000.0),
        (2, b"efg", EPB_2_AT, 1_700_000_001.0),
    ]


ABCD, EFG = (1, b"abcd"), (2, b"efg")  # EPB_1 and EPB_2 as records 1 and 2


@pytest.mark.parametrize(
    ("data", "kept", "problems"),
    [
        pytest.param(
            PREFIX + EPB_2[:-6],
            [ABCD],
            [(2, EPB_2_AT, "record 2 at offset 0x54: block header says 36 bytes, file ends after "
              "30")],
            id="truncated-last-block",
        ),
        pytest.param(
            PREFIX + EPB_2[:5],
            [ABCD],
            [(None, EPB_2_AT, "block at offset 0x54: a block header is 8 bytes (12 for a section "
              "header), file ends after 5")],
            id="file-ends-in-a-block-type",
        ),
        pytest.param(
            PREFIX + EPB_2[:9],
            [ABCD],
            [(2, EPB_2_AT, "record 2 at offset 0x54: block header says 36 bytes, file ends after "
              "9")],
            id="file-ends-in-a-block-length",
        ),
        pytest.param(
            PREFIX + EPB_2[:-4] + b"\xe7\x03\x00\x00" + EPB_1,  # trailing block total length 999
            [ABCD, (3, b"abcd")],
            [(2, EPB_2_AT, "record 2 at offset 0x54: leading block length is 36 but trailing "
              "length is 999; block skipped")],
            id="bad-trailer-then-a-block",
        ),
        pytest.param(
            PREFIX + EPB_2[:-4] + b"\xe7\x03\x00\x00" + b"\x99" * 40,  # trailer 999, garbage
            [ABCD],
            [(2, EPB_2_AT, "record 2 at offset 0x54: leading block length is 36 but trailing "
              "length is 999, and no block starts after it; the rest of the file cannot be "
              "framed")],
            id="bad-trailer-then-garbage",
        ),
        pytest.param(
            PREFIX
            + b"\x06\x00\x00\x00"  # block type: EPB
            b"\x26\x00\x00\x00"  # block total length 38: not a multiple of 4
            b"\x00\x00\x00\x00"  # interface 0
            b"\x00\x00\x00\x00\x00\x00\x00\x00"  # timestamp 0
            b"\x06\x00\x00\x00\x06\x00\x00\x00"  # captured and original length 6
            b"abcdef"  # packet data, not padded
            b"\x26\x00\x00\x00"  # block total length 38
            + EPB_2,
            [ABCD, (3, b"efg")],
            [(2, EPB_2_AT, "record 2 at offset 0x54: block length 38 is not a multiple of 4; "
              "block skipped")],
            id="length-not-a-multiple-of-4",
        ),
        pytest.param(
            PREFIX
            + b"\x06\x00\x00\x00"  # block type: EPB
            b"\x08\x00\x00\x00"  # block total length 8: less than type + 2 lengths
            b"\x08\x00\x00\x00"  # block total length 8
            + EPB_2,
            [ABCD],
            [(2, EPB_2_AT, "record 2 at offset 0x54: block length 8 is less than the minimum 12; "
              "the rest of the file cannot be framed")],
            id="block-shorter-than-any",
        ),
        pytest.param(
            SHB_LE
            + IDB_251
            + b"\x06\x00\x00\x00"  # block type: EPB
            b"\x20\x00\x00\x00"  # block total length 32
            b"\x05\x00\x00\x00"  # interface 5: not described
            b"\x00\x00\x00\x00\x00\x00\x00\x00"  # timestamp 0
            b"\x00\x00\x00\x00\x00\x00\x00\x00"  # captured and original length 0
            b"\x20\x00\x00\x00"  # block total length 32
            + EPB_2,
            [EFG],  # keeps its frame number
            [(1, 0x30, "record 1 at offset 0x30: interface 5 is not described in this section "
              "(it describes 1); packet skipped")],
            id="unknown-interface",
        ),
        pytest.param(
            SHB_LE + IDB_251 + EPB_1[:20] + b"\xc8\x00\x00\x00" + EPB_1[24:] + EPB_2,  # 200
            [EFG],
            [(1, 0x30, "record 1 at offset 0x30: captured length 200 does not fit in the block "
              "(4 bytes of room); packet skipped")],
            id="captured-length-beyond-the-block",
        ),
        pytest.param(
            SHB_LE + IDB_251 + EPB_1[:24] + b"\x02\x00\x00\x00" + EPB_1[28:],  # original 2
            [ABCD],  # kept
            [(1, 0x30, "record 1 at offset 0x30: captured length 4 is more than the original "
              "length 2")],
            id="captured-longer-than-original",
        ),
        pytest.param(
            PREFIX + SHB_LE + EPB_2,
            [ABCD],
            [(2, 0x70, "record 2 at offset 0x70: interface 0 is not described in this section "
              "(it describes 0); packet skipped")],
            id="interfaces-do-not-carry-over-to-the-next-section",
        ),
        pytest.param(
            PREFIX + SHB_LE[:8] + b"\x01\x02\x03\x04" + SHB_LE[12:] + EPB_2,
            [ABCD],
            [(None, EPB_2_AT, "section header block at offset 0x54: byte-order magic is 01 02 03 "
              "04, not 1a 2b 3c 4d in either byte order; the rest of the file cannot be read")],
            id="second-section-with-a-bad-byte-order-magic",
        ),
        pytest.param(
            PREFIX + SHB_LE[:12] + b"\x02\x00\x00\x00" + SHB_LE[16:] + IDB_251 + EPB_2,
            [ABCD],
            [(None, EPB_2_AT, "section header block at offset 0x54: version 2.0 is not supported "
              "(only 1.x); the rest of the file cannot be read")],
            id="second-section-of-another-major-version",
        ),
    ],
)  # fmt: skip
def test_damage_is_a_problem_and_reading_goes_on(
    tmp_path: Path,
    data: bytes,
    kept: list[tuple[int, bytes]],
    problems: list[tuple[int | None, int, str]],
) -> None:
    """Each damaged block or packet: the records read (number, payload) and the problems
    (record, offset, exact message), all of the pcapng layer."""
    assert outcome(write(tmp_path, data)) == (kept, [(r, o, "pcapng", m) for r, o, m in problems])


def test_packet_before_any_interface(tmp_path: Path) -> None:
    with open_capture(write(tmp_path, SHB_LE + EPB_1)) as cap:
        assert cap.link_type == -1
        assert list(cap) == []
        assert messages(cap.problems) == [
            "record 1 at offset 0x1c: interface 0 is not described in this section (it "
            "describes 0); packet skipped"
        ]


def test_snaplen_cut_packets_are_counted(tmp_path: Path) -> None:
    cut = EPB_1[:24] + b"\x40\x00\x00\x00" + EPB_1[28:]  # original length 64
    with open_capture(write(tmp_path, SHB_LE + IDB_251 + EPB_1 + cut + cut)) as cap:
        recs = list(cap)
        assert len(recs) == 3 and cap.problems == []
        assert cap.stats == {"truncated": 2, "first_truncated": 2}
        # the decoders are told how long a cut packet was (editcap -s, dumpcap -s)
        assert [r.orig_length for r in recs] == [0, 64, 64]
        assert [r.cut for r in recs] == [False, True, True]


def test_epb_flags_after_another_option(tmp_path: Path) -> None:
    epb = (
        b"\x06\x00\x00\x00"  # block type: EPB
        b"\x34\x00\x00\x00"  # block total length 52
        b"\x00\x00\x00\x00"  # interface 0
        b"\x00\x00\x00\x00"  # timestamp high
        b"\x00\x00\x00\x00"  # timestamp low
        b"\x01\x00\x00\x00"  # captured length 1
        b"\x01\x00\x00\x00"  # original length 1
        b"x\x00\x00\x00"  # packet data, padded
        b"\x01\x00\x02\x00"  # option opt_comment, length 2
        b"hi\x00\x00"  # "hi", padded
        b"\x02\x00\x04\x00"  # option epb_flags, length 4
        b"\x02\x00\x00\x00"  # outbound
        b"\x34\x00\x00\x00"  # block total length 52 (no opt_endofopt: it is optional)
    )
    both = epb[:-12] + b"\x03\x00\x00\x00" + epb[-8:]  # direction bits 3: not defined
    recs, problems = read(write(tmp_path, SHB_LE + IDB_251 + epb + both))
    assert problems == []
    assert [r.direction for r in recs] == [Direction.SENT, Direction.UNKNOWN]


def test_option_running_past_the_block(tmp_path: Path) -> None:
    idb = (
        b"\x01\x00\x00\x00"  # block type: IDB
        b"\x1c\x00\x00\x00"  # block total length 28
        b"\xfb\x00\x00\x00"  # link type 251, reserved
        b"\x00\x00\x00\x00"  # snaplen 0
        b"\x09\x00\x08\x00"  # option if_tsresol, length 8: more than the block holds
        b"\x09\x00\x00\x00"  # 4 bytes
        b"\x1c\x00\x00\x00"  # block total length 28
    )
    with open_capture(write(tmp_path, SHB_LE + idb + EPB_1)) as cap:
        recs = list(cap)
        assert cap.link_type == 251
        assert recs[0].timestamp == 1_700_000_000.0  # the default µs resolution
        assert messages(cap.problems) == [
            "interface description block at offset 0x1c: option 9 says 8 bytes, only 4 are "
            "left in the block; the options from there on are ignored"
        ]


def test_simple_packet_block_is_cut_to_the_snaplen(tmp_path: Path) -> None:
    idb = IDB_251[:12] + b"\x02\x00\x00\x00" + IDB_251[16:]  # snaplen 2
    spb = (
        b"\x03\x00\x00\x00"  # block type: SPB
        b"\x14\x00\x00\x00"  # block total length 20
        b"\x05\x00\x00\x00"  # original length 5
        b"abcd"  # packet data: only 4 bytes fit, the snaplen allows 2
        b"\x14\x00\x00\x00"  # block total length 20
    )
    with open_capture(write(tmp_path, SHB_LE + idb + spb)) as cap:
        (rec,) = list(cap)
        assert (rec.payload, rec.timestamp) == (b"ab", 0.0)  # no packet before it
        assert cap.problems == [] and cap.stats == {"truncated": 1, "first_truncated": 1}


def test_other_blocks_are_skipped_and_not_numbered(tmp_path: Path) -> None:
    isb = (
        b"\x05\x00\x00\x00"  # block type: Interface Statistics Block
        b"\x18\x00\x00\x00"  # block total length 24
        b"\x00\x00\x00\x00"  # interface 0
        b"\x00\x00\x00\x00"  # timestamp high
        b"\x00\x00\x00\x00"  # timestamp low
        b"\x18\x00\x00\x00"  # block total length 24
    )
    custom = (
        b"\xad\x0b\x00\x00"  # block type 0x00000BAD: custom block, copiable
        b"\x14\x00\x00\x00"  # block total length 20
        b"\x00\x00\x00\x00"  # private enterprise number
        b"data"  # custom data
        b"\x14\x00\x00\x00"  # block total length 20
    )
    recs, problems = read(write(tmp_path, PREFIX + isb + custom + EPB_2 + isb))
    assert problems == []
    assert [(r.index, r.file_offset) for r in recs] == [(1, 0x30), (2, EPB_2_AT + 44)]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            SHB_LE[:12],
            "the pcapng section header block is at least 28 bytes, the file has only 12",
        ),
        (
            SHB_LE[:8] + b"\x01\x02\x03\x04" + SHB_LE[12:],  # byte-order magic 01020304
            "the pcapng byte-order magic is 01 02 03 04, not 1a 2b 3c 4d in either byte order",
        ),
        (
            SHB_LE[:12] + b"\x02\x00\x00\x00" + SHB_LE[16:],  # version 2.0
            "pcapng version 2.0 is not supported (only version 1.x is defined)",
        ),
        (
            SHB_LE[:24] + b"\x20\x00\x00\x00",  # trailing length 32
            "the pcapng section header block's leading length is 28 but its trailing length is 32",
        ),
        (
            SHB_LE[:4] + b"\x1e\x00\x00\x00" + SHB_LE[8:],  # total length 30
            "the pcapng section header block says it is 30 bytes, which is not a multiple of "
            "4 between 28 and 16 MiB",
        ),
        (
            SHB_LE[:4] + b"\x40\x00\x00\x00" + SHB_LE[8:],  # total length 64
            "the pcapng section header block says it is 64 bytes, the file has only 28",
        ),
    ],
    ids=["short", "byte-order-magic", "version-2", "trailer", "not-aligned", "cut"],
)
def test_unreadable_section_headers(tmp_path: Path, data: bytes, message: str) -> None:
    assert refusal(write(tmp_path, data)) == message


def _block(btype: int, body: bytes) -> bytes:
    body += b"\x00" * (-len(body) % 4)
    total = len(body) + 12
    return struct.pack("<II", btype, total) + body + struct.pack("<I", total)


def test_blocks_across_many_chunks(tmp_path: Path) -> None:
    sizes = [(i * 61) % 333 for i in range(2500)] + [CHUNK * 2 + 1, 0, 3]
    blocks = [
        _block(6, struct.pack("<IIIII", 0, 0, i, s, s) + bytes([i & 0xFF]) * s)
        for i, s in enumerate(sizes)
    ]
    with open_capture(write(tmp_path, SHB_LE + IDB_251 + b"".join(blocks))) as cap:
        offset = 48
        for i, (rec, size) in enumerate(zip(cap, sizes, strict=True)):
            assert (rec.index, rec.file_offset) == (i + 1, offset)
            assert rec.payload == bytes([i & 0xFF]) * size
            assert rec.timestamp == i / 1e6
            assert cap.records == i + 1
            offset += len(blocks[i])
        assert cap.problems == []


def test_link_type_when_the_first_interface_is_far_from_the_start(tmp_path: Path) -> None:
    padding = _block(0xBAD, b"\x00" * (CHUNK * 2))  # a custom block bigger than a chunk
    with open_capture(write(tmp_path, SHB_LE + padding + IDB_251 + EPB_1)) as cap:
        first = cap.link_type
        recs = list(cap)
        assert (first, cap.link_type, len(recs)) == (-1, 251, 1)


def test_cut_packet_with_a_comment_is_counted_once(tmp_path: Path) -> None:
    epb = (
        b"\x06\x00\x00\x00"  # block type: EPB
        b"\x2c\x00\x00\x00"  # block total length 44
        + bytes(12)  # interface 0, timestamp 0
        + b"\x01\x00\x00\x00"  # captured length 1
        b"\x09\x00\x00\x00"  # original length 9: the packet was cut
        b"x\x00\x00\x00"  # packet data, padded
        b"\x01\x00\x02\x00"  # option opt_comment, length 2 (not the fast path's epb_flags)
        b"hi\x00\x00"  # "hi", padded
        b"\x2c\x00\x00\x00"  # block total length 44
    )
    with open_capture(write(tmp_path, SHB_LE + IDB_251 + EPB_1 + epb)) as cap:
        assert len(list(cap)) == 2
        assert cap.stats == {"truncated": 1, "first_truncated": 2}


def test_a_problem_comes_after_the_records_before_it(tmp_path: Path) -> None:
    bad = EPB_2[:-4] + b"\xe7\x03\x00\x00"  # trailing block total length 999
    with open_capture(write(tmp_path, PREFIX + bad + EPB_1)) as cap:
        it = iter(cap)
        assert next(it).index == 1 and cap.problems == []
        assert next(it).index == 3 and [p.record for p in cap.problems] == [2]


def test_problems_beyond_a_thousand_are_counted_not_listed(tmp_path: Path) -> None:
    stray = EPB_1[:8] + b"\x07\x00\x00\x00" + EPB_1[12:]  # interface 7: not described
    with open_capture(write(tmp_path, SHB_LE + IDB_251 + stray * 1005 + EPB_1)) as cap:
        recs = list(cap)
        assert [r.index for r in recs] == [1006]
        assert len(cap.problems) == 1001
        assert cap.problems[-1].message == (
            "more than 1000 problems in this capture; the rest are not listed"
        )
