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

from bpdiag.capture._io import FramedReader, Source
from bpdiag.capture.record import Direction, Problem, Record
from bpdiag.errors import Stage, UnreadableCapture

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


class PacketLoggerReader(FramedReader):
    """Reads a PacketLogger file in the byte order its first records show (the framing loop
    is ``FramedReader``'s; a record header is the length field, the time and the type)."""

    format = "packetlogger"
    layer = Stage.PACKETLOGGER
    record_header = HDR
    hard_limit = MAX_LENGTH - MIN_LENGTH
    stored_name = "packet bytes"

    def __init__(self, src: Source, problems: list[Problem], stats: dict[str, int]) -> None:
        super().__init__(src, problems, stats)
        order = byte_order(src.buf[:4096])
        if order is None:
            raise UnreadableCapture("not a PacketLogger file: its first record is implausible")
        self.order = order
        self.link_type = 2001
        self._unpack = (HEADER_LE if order == "<" else HEADER_BE).unpack_from

    def _frame(
        self, buf: bytes, base: int, pos: int, index: int, out: list[Record]
    ) -> tuple[int, int]:
        unpack = self._unpack
        monitor = MONITOR
        n = len(buf)
        while pos + HDR <= n:
            length, secs, usecs = unpack(buf, pos)
            end = pos + 4 + length
            if length < MIN_LENGTH or length > MAX_LENGTH or end > n:
                break
            index += 1
            kind = monitor.get(buf[pos + 12])
            if kind is not None:  # other types carry nothing bpdiag decodes
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
        return pos, index

    def _stored(self, buf: bytes, pos: int) -> int:
        """The packet bytes after the record header (the length field counts the time and the
        type too); negative for a length below ``MIN_LENGTH``."""
        return int(self._unpack(buf, pos)[0]) - MIN_LENGTH

    def _bad_length(self, stored: int) -> str | None:
        length = stored + MIN_LENGTH
        if length < MIN_LENGTH or length > MAX_LENGTH:
            return f"PacketLogger length {length} is outside {MIN_LENGTH}–{MAX_LENGTH} bytes"
        return None

    def _odd_record(
        self, buf: bytes, pos: int, end: int, index: int, offset: int, where: str
    ) -> Record | None:
        """Never reached: ``_frame`` takes every complete record whose length is framable."""
        out: list[Record] = []
        self._frame(buf, offset - pos, pos, index - 1, out)
        return out[0] if out else None
