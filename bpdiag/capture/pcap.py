"""Classic libpcap files (draft-ietf-opsawg-pcap, "PCAP Capture File Format").

File header, 24 bytes: magic (0xA1B2C3D4 µs or 0xA1B23C4D ns, in the writer's byte order),
version major/minor (u16), reserved (2×u32), snaplen (u32), link type and FCS info (u32: the
low 16 bits are the LINKTYPE, bits 28–31 FCS length).  Each record: ts seconds (u32), ts
fraction (u32: µs or ns), captured length (u32), original length (u32), then the data.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from typing import BinaryIO

from bpdiag.capture.record import Direction, Problem, Record
from bpdiag.errors import UnreadableCapture

MAGICS = {
    b"\xa1\xb2\xc3\xd4": (">", 1e-6),
    b"\xd4\xc3\xb2\xa1": ("<", 1e-6),
    b"\xa1\xb2\x3c\x4d": (">", 1e-9),
    b"\x4d\x3c\xb2\xa1": ("<", 1e-9),
}
MAX_RECORD = 1 << 20
CHUNK = 1 << 20


def read_header(f: BinaryIO) -> tuple[str, float, int, int]:
    """Parse the 24-byte header: (byte order, tick in seconds, snaplen, link type)."""
    head = f.read(24)
    if len(head) < 24:
        raise UnreadableCapture(f"pcap header is 24 bytes, the file has only {len(head)}")
    try:
        order, tick = MAGICS[head[:4]]
    except KeyError:
        raise UnreadableCapture("not a pcap file (bad magic)") from None
    major, _minor, _r1, _r2, snaplen, linktype = struct.unpack(order + "HHIIII", head[4:])
    if major != 2:
        raise UnreadableCapture(f"pcap version {major} is not supported (only 2.x)")
    return order, tick, snaplen, linktype & 0xFFFF


def iter_records(
    f: BinaryIO,
    order: str,
    tick: float,
    snaplen: int,
    linktype: int,
    problems: list[Problem],
    stats: dict[str, int],
) -> Iterator[Record]:
    """Yield every record; damage becomes a ``Problem`` and ends the file cleanly."""
    rec = struct.Struct(order + "IIII")
    unpack = rec.unpack_from
    hdr = rec.size
    limit = max(snaplen, MAX_RECORD) if snaplen else MAX_RECORD
    buf = b""
    pos = 0
    base = 24
    index = 0
    unknown = Direction.UNKNOWN
    try:
        while True:
            if len(buf) - pos < hdr:
                more = f.read(CHUNK)
                if not more:
                    if len(buf) - pos:
                        problems.append(
                            Problem(
                                index + 1,
                                base + pos,
                                f"record {index + 1}: the file ends inside its 16-byte record "
                                f"header ({len(buf) - pos} bytes left)",
                                "pcap",
                            )
                        )
                    return
                buf = buf[pos:] + more
                base += pos
                pos = 0
                continue
            sec, frac, incl_len, orig_len = unpack(buf, pos)
            if incl_len > limit:
                problems.append(
                    Problem(
                        index + 1,
                        base + pos,
                        f"record {index + 1}: captured length {incl_len} exceeds the snapshot "
                        f"length {snaplen}; the rest of the file cannot be framed",
                        "pcap",
                    )
                )
                return
            end = pos + hdr + incl_len
            if end > len(buf):
                more = f.read(max(CHUNK, end - len(buf)))
                if not more:
                    problems.append(
                        Problem(
                            index + 1,
                            base + pos,
                            f"record {index + 1}: header says {incl_len} bytes, the file ends "
                            f"after {len(buf) - pos - hdr}",
                            "pcap",
                        )
                    )
                    return
                buf = buf[pos:] + more
                base += pos
                pos = 0
                continue
            index += 1
            if incl_len < orig_len:
                if not stats.get("truncated"):
                    stats["first_truncated"] = index
                stats["truncated"] = stats.get("truncated", 0) + 1
            yield Record(
                index, sec + frac * tick, linktype, buf[pos + hdr : end], base + pos, unknown, 0
            )
            pos = end
    finally:
        stats["records"] = index
