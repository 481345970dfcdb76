"""btsnoop files: Android HCI snoop logs, btmon ``-w`` output, Frontline-style captures.

Format (big-endian throughout), as documented for the Frontline/Catalyst btsnoop format and
in BlueZ ``src/shared/btsnoop.h``:

- file header, 16 bytes: identification pattern ``btsnoop\\0``, version (u32, must be 1),
  datalink type (u32): 1001 HCI UART without type byte (H1), 1002 HCI UART (H4),
  2001 Linux monitor (btmon), 1003 BCSP / 1004 three-wire (not supported);
- each record, 24-byte header: original length (u32), included length (u32), packet flags
  (u32), cumulative drops (u32), timestamp (i64, microseconds since midnight, January 1st,
  0 AD) — then ``included length`` bytes of packet data.

Flags for 1001/1002: bit 0 direction (0 sent, 1 received), bit 1 command/event vs data
(Android writes it unreliably for 1002, so decoders use the H4 type byte instead).
For 2001 the flags word is ``adapter index << 16 | monitor opcode``.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from typing import BinaryIO

from bpdiag.capture.record import Direction, Problem, Record
from bpdiag.errors import UnreadableCapture

MAGIC = b"btsnoop\x00"
HEADER = struct.Struct(">8sII")
RECORD = struct.Struct(">IIIIq")
EPOCH_DELTA_US = 0x00E03AB44A676000  # microseconds from 0 AD to 1970-01-01
DATALINKS = {1001: "H1", 1002: "H4", 2001: "monitor"}
MAX_RECORD = 1 << 20  # larger than any HCI packet plus monitor metadata
CHUNK = 1 << 20

# Monitor opcodes whose direction is known (BlueZ src/shared/btsnoop.h).
_MONITOR_DIRECTION = {
    2: Direction.SENT,  # command
    3: Direction.RECEIVED,  # event
    4: Direction.SENT,  # ACL TX
    5: Direction.RECEIVED,  # ACL RX
    6: Direction.SENT,  # SCO TX
    7: Direction.RECEIVED,  # SCO RX
    18: Direction.SENT,  # ISO TX
    19: Direction.RECEIVED,  # ISO RX
}


def read_header(f: BinaryIO, path: str) -> int:
    """Check the 16-byte file header; return the datalink type."""
    head = f.read(HEADER.size)
    if len(head) < HEADER.size:
        raise UnreadableCapture(
            f"btsnoop header is {HEADER.size} bytes, the file has only {len(head)}"
        )
    magic, version, datalink = HEADER.unpack(head)
    if magic != MAGIC:
        raise UnreadableCapture("not a btsnoop file (bad identification pattern)")
    if version != 1:
        raise UnreadableCapture(f"btsnoop version {version} is not supported (only version 1)")
    if datalink not in DATALINKS:
        raise UnreadableCapture(
            f"btsnoop datalink {datalink} is not supported "
            "(1001 H1, 1002 H4 and 2001 Linux monitor are)"
        )
    return datalink


def iter_records(
    f: BinaryIO, datalink: int, problems: list[Problem], stats: dict[str, int]
) -> Iterator[Record]:
    """Yield every record after the header; damage becomes a ``Problem``, never an exception.

    Reads in large chunks and slices records out of them, so memory stays constant and the
    per-record cost is one ``unpack_from`` and one slice.
    """
    unpack = RECORD.unpack_from
    hdr = RECORD.size
    buf = b""
    pos = 0
    base = HEADER.size  # file offset of buf[0]
    index = 0
    monitor = datalink == 2001
    sent, received = Direction.SENT, Direction.RECEIVED
    unknown = Direction.UNKNOWN
    mon_dir = _MONITOR_DIRECTION
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
                                f"record {index + 1}: the file ends inside its 24-byte record "
                                f"header ({len(buf) - pos} bytes left)",
                                "btsnoop",
                            )
                        )
                    return
                buf = buf[pos:] + more
                base += pos
                pos = 0
                continue
            orig_len, incl_len, flags, _drops, ts = unpack(buf, pos)
            if incl_len > MAX_RECORD or incl_len > orig_len + MAX_RECORD:
                problems.append(
                    Problem(
                        index + 1,
                        base + pos,
                        f"record {index + 1}: included length {incl_len} is not plausible "
                        f"(original length {orig_len}); the rest of the file cannot be framed",
                        "btsnoop",
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
                            "btsnoop",
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
            if monitor:
                direction = mon_dir.get(flags & 0xFFFF, unknown)
            else:
                direction = received if flags & 1 else sent
            yield Record(
                index,
                (ts - EPOCH_DELTA_US) / 1e6,
                datalink,
                buf[pos + hdr : end],
                base + pos,
                direction,
                flags,
            )
            pos = end
    finally:
        stats["records"] = index
