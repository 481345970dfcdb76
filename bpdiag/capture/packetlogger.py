"""Apple PacketLogger files (``.pklg``): what macOS / iOS PacketLogger and BTstack write.

There is no file header and no published specification; the layout is the one Wireshark
(``wiretap/packetlogger.c``) and BlueZ (``src/shared/btsnoop.c``, ``pklg_read_hci``) read:

- Record: length (u32) — the bytes after this field —, seconds (u32, Unix time),
  microseconds (u32), type (u8), then ``length - 9`` bytes of packet.
- Byte order: older PacketLogger and BTstack write big-endian, current macOS / iOS
  little-endian.  There is no marker: the order is the one in which the first records are
  plausible (length 9 … 65544, microseconds below 1,000,000, a known type).  BlueZ looks at
  the first length only (``00 00|01 …`` big-endian, ``… 00|01 00`` little-endian); Wireshark
  checks five records.  bpdiag takes the order in which more of the first eight records are
  plausible.
- Types: 0x00 HCI command, 0x01 HCI event, 0x02 ACL sent, 0x03 ACL received, 0x08 SCO
  sent, 0x09 SCO received, 0x12 ISO sent, 0x13 ISO received, 0x0A/0x0B LMP sent/received,
  0xF7 syslog, 0xF8 kernel, 0xF9 kernel debug, 0xFA error, 0xFB power, 0xFC note, 0xFD
  config, 0xFE new controller.

Records become Linux monitor records (``LinkType.BTSNOOP_MONITOR``, flags =
``adapter << 16 | monitor opcode``), as BlueZ maps them: HCI packets to the monitor opcodes
of their kind (BlueZ ``src/shared/btsnoop.h``), the note (0xFC) and syslog (0xF7) texts to
System Note (12), which the analysis keeps as timeline annotations.  Other types carry
nothing bpdiag decodes and are skipped.
"""

from __future__ import annotations

import struct
from collections.abc import Generator, Iterator

from bpdiag.capture._io import BatchReader, Source
from bpdiag.capture.record import Direction, Problem, ProblemKind, Record
from bpdiag.errors import UnreadableCapture

HEADER_BE = struct.Struct(">III")
HEADER_LE = struct.Struct("<III")
HDR = 13  # length field, seconds, microseconds, type
MIN_LENGTH = 9  # seconds + microseconds + type
MAX_LENGTH = 9 + 65535 + 4
"""Largest length accepted: an HCI packet of 64 KiB plus its header; past it the file cannot
be framed (Wireshark refuses 65,536 and more in its check, BlueZ the same)."""

TYPES = {
    0x00: "HCI command",
    0x01: "HCI event",
    0x02: "ACL sent",
    0x03: "ACL received",
    0x08: "SCO sent",
    0x09: "SCO received",
    0x0A: "LMP sent",
    0x0B: "LMP received",
    0x12: "ISO sent",
    0x13: "ISO received",
    0xF7: "syslog",
    0xF8: "kernel",
    0xF9: "kernel debug",
    0xFA: "error",
    0xFB: "power",
    0xFC: "note",
    0xFD: "config",
    0xFE: "new controller",
}
# PacketLogger type → (flags: adapter index << 16 | monitor opcode, direction).
MONITOR = {
    0x00: (2, Direction.SENT),
    0x01: (3, Direction.RECEIVED),
    0x02: (4, Direction.SENT),
    0x03: (5, Direction.RECEIVED),
    0x08: (6, Direction.SENT),
    0x09: (7, Direction.RECEIVED),
    0x12: (18, Direction.SENT),
    0x13: (19, Direction.RECEIVED),
    0xF7: (0xFFFF << 16 | 12, Direction.UNKNOWN),  # no adapter (index 0xffff), as BlueZ
    0xFC: (0xFFFF << 16 | 12, Direction.UNKNOWN),
}
_SNIFF_RECORDS = 8


def _plausible(head: bytes, hdr: struct.Struct) -> int:
    """How many records from the start of ``head`` are plausible in ``hdr``'s byte order."""
    pos = seen = 0
    while seen < _SNIFF_RECORDS and pos + HDR <= len(head):
        length, _secs, usecs = hdr.unpack_from(head, pos)
        if not MIN_LENGTH <= length <= MAX_LENGTH or usecs >= 1_000_000:
            break
        if head[pos + 12] not in TYPES:
            break
        seen += 1
        pos += 4 + length
    return seen


def byte_order(head: bytes) -> str | None:
    """``"<"`` or ``">"`` when ``head`` (the first bytes of a file) starts with a plausible
    PacketLogger record in that byte order — the order with more plausible records in a row
    when both are — else ``None``.  Damage after the first record is the reader's to
    report, not a reason to refuse the file."""
    le = _plausible(head, HEADER_LE)
    be = _plausible(head, HEADER_BE)
    if not (le or be):
        return None
    return "<" if le >= be else ">"


class PacketLoggerReader(BatchReader):
    """Reads a PacketLogger file in the byte order its first records show."""

    format = "packetlogger"
    layer = "packetlogger"

    def __init__(self, src: Source, problems: list[Problem], stats: dict[str, int]) -> None:
        super().__init__(src, problems, stats)
        order = byte_order(src.buf[:4096])
        if order is None:
            raise UnreadableCapture("not a PacketLogger file: its first record is implausible")
        self.order = order
        self.link_type = 2001

    def batches(self) -> Generator[Iterator[Record], None, None]:
        """The records; damage ends the file with a ``Problem`` (or skips one record)."""
        src = self.src
        unpack = (HEADER_LE if self.order == "<" else HEADER_BE).unpack_from
        monitor = MONITOR
        index = 0
        pos = 0
        skipped = 0
        out: list[Record] = []
        while True:
            buf = src.buf
            base = src.base
            n = len(buf)
            while pos + HDR <= n:
                length, secs, usecs = unpack(buf, pos)
                end = pos + 4 + length
                if length < MIN_LENGTH or length > MAX_LENGTH or end > n:
                    break
                index += 1
                kind = monitor.get(buf[pos + 12])
                if kind is None:
                    skipped += 1
                else:
                    out.append(
                        Record(
                            index,
                            secs + usecs / 1_000_000,
                            2001,
                            buf[pos + HDR : end],
                            base + pos,
                            kind[1],
                            kind[0],
                        )
                    )
                pos = end
            if out:
                yield self._emit(out)
                out = []
            offset = base + pos
            where = f"record {index + 1} at offset 0x{offset:x}"
            if n - pos < HDR:
                if src.refill(pos, HDR):
                    pos = 0
                    continue
                self.header_cut_short(index + 1, offset, HDR)
                return
            length, _secs, _usecs = unpack(buf, pos)
            if length < MIN_LENGTH or length > MAX_LENGTH:
                self.problem(
                    index + 1,
                    offset,
                    f"{where}: PacketLogger length {length} is outside {MIN_LENGTH}–"
                    f"{MAX_LENGTH} bytes; the rest of the file cannot be framed",
                    ProblemKind.BAD_LENGTH,
                )
                return
            if src.refill(pos, 4 + length):
                pos = 0
                continue
            if src.error is not None:
                self.read_error(index + 1, offset)
            elif not src.closed:
                self.problem(
                    index + 1,
                    offset,
                    f"{where}: header says {length - 9} packet bytes, file ends after "
                    f"{max(len(src.buf) - HDR, 0)}",
                    ProblemKind.TRUNCATED,
                )
            return
