"""Reader edge cases, spelled as byte literals with a comment per field, and the exact
problem each must report.  Damage after the header never raises and never loses the
records read before it."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from bpdiag.capture import open_capture
from bpdiag.capture.record import Direction
from bpdiag.errors import UnreadableCapture

BTSNOOP_HDR = (
    b"btsnoop\x00"  # identification pattern
    b"\x00\x00\x00\x01"  # version 1
    b"\x00\x00\x03\xea"  # datalink 1002 (H4)
)
# one record: a 4-byte HCI event (Encryption Change would be longer; any bytes do here)
REC1 = (
    b"\x00\x00\x00\x04"  # original length 4
    b"\x00\x00\x00\x04"  # included length 4
    b"\x00\x00\x00\x03"  # flags: received, command/event
    b"\x00\x00\x00\x00"  # drops
    b"\x00\xe2\x4b\x8d\x32\x7a\x80\x40"  # timestamp µs since 0 AD
    b"\x04\x0e\x01\x00"  # H4 event: Command Complete, 1 parameter byte (short, on purpose)
)
REC2 = (
    b"\x00\x00\x00\x02"  # original length 2
    b"\x00\x00\x00\x02"  # included length 2
    b"\x00\x00\x00\x00"  # flags: sent, data
    b"\x00\x00\x00\x00"  # drops
    b"\x00\xe2\x4b\x8d\x32\x7a\x80\x41"  # timestamp
    b"\x02\x40"  # 2 bytes of ACL (too short to decode, which is the decoder's business)
)


def _write(tmp_path: Path, data: bytes, name: str = "f.bin") -> Path:
    p = tmp_path / name
    p.write_bytes(data)
    return p


def _read(path: Path) -> tuple[list, list]:
    with open_capture(path) as cap:
        recs = list(cap)
        return recs, cap.problems


def test_btsnoop_two_records(tmp_path: Path) -> None:
    recs, problems = _read(_write(tmp_path, BTSNOOP_HDR + REC1 + REC2, "x.pcapng"))
    assert problems == []
    assert [r.index for r in recs] == [1, 2]
    assert recs[0].direction is Direction.RECEIVED and recs[1].direction is Direction.SENT
    assert recs[0].payload == b"\x04\x0e\x01\x00"
    assert recs[0].file_offset == 16 and recs[1].file_offset == 16 + 28
    # 0x00E24B8D327A8040 µs since 0 AD, minus the 0 AD → 1970 offset
    assert recs[0].timestamp == pytest.approx((0x00E24B8D327A8040 - 0x00E03AB44A676000) / 1e6)


def test_btsnoop_truncated_last_record_keeps_the_first(tmp_path: Path) -> None:
    recs, problems = _read(_write(tmp_path, BTSNOOP_HDR + REC1 + REC2[:-1]))
    assert len(recs) == 1
    assert len(problems) == 1
    p = problems[0]
    assert (p.record, p.offset) == (2, 44)
    assert p.message == "record 2: header says 2 bytes, the file ends after 1"


def test_btsnoop_cut_inside_record_header(tmp_path: Path) -> None:
    recs, problems = _read(_write(tmp_path, BTSNOOP_HDR + REC1 + REC2[:10]))
    assert len(recs) == 1
    assert problems[0].message == (
        "record 2: the file ends inside its 24-byte record header (10 bytes left)"
    )


def test_btsnoop_absurd_length(tmp_path: Path) -> None:
    bad = b"\x7f\xff\xff\xff" * 2 + REC2[8:]
    recs, problems = _read(_write(tmp_path, BTSNOOP_HDR + REC1 + bad))
    assert len(recs) == 1
    assert problems[0].message.startswith("record 2: included length 2147483647 is not plausible")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "the file is empty"),
        (
            b"hello world!",
            "unknown format (first bytes 68 65 6c 6c 6f 20 77 6f); bpdiag reads "
            "btsnoop, pcap, pcapng and btmon's text output",
        ),
        (b"btsnoop\x00\x00\x00", "btsnoop header is 16 bytes, the file has only 10"),
        (
            b"btsnoop\x00\x00\x00\x00\x02\x00\x00\x03\xea",
            "btsnoop version 2 is not supported (only version 1)",
        ),
        (
            b"btsnoop\x00\x00\x00\x00\x01\x00\x00\x03\xeb",
            "btsnoop datalink 1003 is not supported (1001 H1, 1002 H4 and 2001 Linux monitor are)",
        ),
        (b"\xd4\xc3\xb2\xa1\x02\x00", "pcap header is 24 bytes, the file has only 6"),
    ],
)
def test_unreadable_files(tmp_path: Path, data: bytes, message: str) -> None:
    with pytest.raises(UnreadableCapture) as exc:
        open_capture(_write(tmp_path, data))
    assert str(exc.value) == message


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(UnreadableCapture, match="no such file"):
        open_capture(tmp_path / "nope")


def _pcap(order: str, magic: int, linktype: int, records: list[tuple[int, int, bytes]]) -> bytes:
    out = struct.pack(order + "IHHiIII", magic, 2, 4, 0, 0, 65535, linktype)
    for sec, frac, data in records:
        out += struct.pack(order + "IIII", sec, frac, len(data), len(data)) + data
    return out


@pytest.mark.parametrize("order", ["<", ">"])
@pytest.mark.parametrize(("magic", "tick"), [(0xA1B2C3D4, 1e-6), (0xA1B23C4D, 1e-9)])
def test_pcap_byte_orders_and_resolutions(
    tmp_path: Path, order: str, magic: int, tick: float
) -> None:
    data = _pcap(order, magic, 251, [(100, 5, b"\xd6\xbe\x89\x8e\x00\x00abc"), (101, 0, b"x")])
    recs, problems = _read(_write(tmp_path, data, "x.pcapng"))
    assert problems == []
    assert [r.link_type for r in recs] == [251, 251]
    assert recs[0].timestamp == pytest.approx(100 + 5 * tick)
    assert recs[1].payload == b"x"


def test_pcap_truncated_record(tmp_path: Path) -> None:
    data = _pcap("<", 0xA1B2C3D4, 251, [(1, 0, b"abcd"), (2, 0, b"efgh")])[:-2]
    recs, problems = _read(_write(tmp_path, data))
    assert [r.payload for r in recs] == [b"abcd"]
    assert problems[0].record == 2 and problems[0].offset == 24 + 20
    assert problems[0].message == "record 2: header says 4 bytes, the file ends after 2"


def _block(order: str, btype: int, body: bytes) -> bytes:
    body += b"\x00" * (-len(body) % 4)
    total = len(body) + 12
    return struct.pack(order + "II", btype, total) + body + struct.pack(order + "I", total)


def _shb(order: str) -> bytes:
    # byte-order magic, version 1.0, section length -1 (unknown)
    return _block(order, 0x0A0D0D0A, struct.pack(order + "IHHq", 0x1A2B3C4D, 1, 0, -1))


def _idb(order: str, linktype: int, tsresol: int | None = None) -> bytes:
    body = struct.pack(order + "HHI", linktype, 0, 0)
    if tsresol is not None:
        body += struct.pack(order + "HH", 9, 1) + bytes([tsresol]) + b"\x00" * 3
        body += struct.pack(order + "HH", 0, 0)  # opt_endofopt
    return _block(order, 1, body)


def _epb(order: str, iface: int, ts: int, data: bytes, flags: int | None = None) -> bytes:
    body = struct.pack(order + "IIIII", iface, ts >> 32, ts & 0xFFFFFFFF, len(data), len(data))
    body += data + b"\x00" * (-len(data) % 4)
    if flags is not None:
        body += struct.pack(order + "HHI", 2, 4, flags) + struct.pack(order + "HH", 0, 0)
    return _block(order, 6, body)


def test_pcapng_sections_interfaces_and_resolutions(tmp_path: Path) -> None:
    data = (
        _shb("<")
        + _idb("<", 272, tsresol=9)  # interface 0: nRF Sniffer, nanoseconds
        + _idb("<", 201, tsresol=0x8A)  # interface 1: H4 with phdr, 2^-10 s
        + _epb("<", 0, 1_500_000_000, b"nordic")
        + _epb("<", 1, 2048, b"h4", flags=1)  # inbound
        + _block("<", 3, struct.pack("<I", 3) + b"spb")  # simple packet block → interface 0
        + _shb(">")  # a second section, big-endian: interfaces start again
        + _idb(">", 251)
        + _epb(">", 0, 7_000_000, b"ll", flags=2)  # outbound, µs default
    )
    recs, problems = _read(_write(tmp_path, data, "x.pcap"))
    assert problems == []
    assert [(r.index, r.link_type, r.payload) for r in recs] == [
        (1, 272, b"nordic"),
        (2, 201, b"h4"),
        (3, 272, b"spb"),
        (4, 251, b"ll"),
    ]
    assert recs[0].timestamp == pytest.approx(1.5)
    assert recs[1].timestamp == pytest.approx(2.0)
    assert recs[1].direction is Direction.RECEIVED and recs[3].direction is Direction.SENT
    assert recs[3].timestamp == pytest.approx(7.0)


def test_pcapng_bad_trailer_is_skipped(tmp_path: Path) -> None:
    good = _epb("<", 0, 1, b"one")
    bad = bytearray(_epb("<", 0, 2, b"two"))
    bad[-4:] = struct.pack("<I", 999)
    data = _shb("<") + _idb("<", 251) + good + bytes(bad) + _epb("<", 0, 3, b"three")
    recs, problems = _read(_write(tmp_path, data))
    assert [r.payload for r in recs] == [b"one", b"three"]
    assert [r.index for r in recs] == [1, 3]
    assert problems[0].record == 2
    assert "trailing length 999" in problems[0].message


def test_pcapng_unknown_interface(tmp_path: Path) -> None:
    data = _shb("<") + _idb("<", 251) + _epb("<", 5, 1, b"x") + _epb("<", 0, 1, b"y")
    recs, problems = _read(_write(tmp_path, data))
    assert [r.payload for r in recs] == [b"y"]
    assert problems[0].message == (
        "packet 1 refers to interface 5, but the section describes 1; the packet is skipped"
    )


def test_pcapng_truncated_block(tmp_path: Path) -> None:
    data = _shb("<") + _idb("<", 251) + _epb("<", 0, 1, b"abcd")
    recs, problems = _read(_write(tmp_path, data + _epb("<", 0, 2, b"efgh")[:-6]))
    assert [r.payload for r in recs] == [b"abcd"]
    assert problems[0].record == 2
    assert problems[0].message == "packet block says 36 bytes, the file ends after 30"
