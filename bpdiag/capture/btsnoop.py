"""btsnoop files: Android HCI snoop logs, ``btmon -w`` output, Frontline-style captures.

Format documents: the btsnoop file format as published by Frontline (Catalyst "btsnoop
file format", modelled on RFC 1761 "Snoop Version 2 Packet Capture File Format", which it
follows field for field) and BlueZ ``src/shared/btsnoop.h`` (datalink 2001 and the monitor
opcodes).  Every integer is big-endian.

- File header, 16 bytes: identification pattern ``btsnoop\\0`` (8), version (u32, 1),
  datalink type (u32): 1001 HCI UART without the H4 type byte (H1), 1002 HCI UART (H4),
  1003 BCSP, 1004 three-wire UART, 2001 Linux monitor.  bpdiag reads 1001, 1002 and 2001.
- Record: original length (u32), included length (u32), packet flags (u32), cumulative
  drops (u32), timestamp (i64, microseconds since midnight, January 1st, 0 AD — see
  ``EPOCH_DELTA_US``), then ``included length`` bytes of packet data.
- Flags for 1001/1002: bit 0 direction (0 sent host → controller, 1 received), bit 1
  command/event vs data (Android sets it unreliably for 1002; decoders use the H4 type
  byte instead, so it only stays in ``Record.flags``).  For 2001 the flags word is
  ``adapter index << 16 | monitor opcode``.
"""

from __future__ import annotations

import struct
from functools import cache
from itertools import islice, repeat

from bpdiag.capture._io import FramedReader, Source
from bpdiag.capture.record import Direction, Problem, ProblemKind, Record
from bpdiag.errors import Stage, UnreadableCapture

MAGIC = b"btsnoop\x00"
HEADER = struct.Struct(">8sII")
RECORD = struct.Struct(">IIIIq")
_UNPACK_RECORD = RECORD.unpack_from
_RECORD_SIZE = RECORD.size
_LENGTHS = struct.Struct(">II")  # original, included
_TIME = struct.Struct(">16xq")
EPOCH_DELTA_US = 0x00DCDDB30F2F8000
"""Microseconds from "midnight, January 1st 0 AD" to the Unix epoch: 62,168,256,000 s, the
value tshark (``KUnixTimeBase``) and btmon read with.

The better-known 0x00E03AB44A676000 (BlueZ ``btsnoop.c``, Bumble ``snoop.py``) is the
delta to January 1st **2000**: those writers subtract 946,684,800 s from Unix time before
adding it, so what they store is, again, microseconds since 0 AD.  Reading with it would put
every capture 30 years early; tshark and btmon read with this value."""

DATALINKS = {1001: "H1", 1002: "H4", 2001: "Linux monitor"}
OTHER_DATALINKS = {1003: "BCSP", 1004: "three-wire UART"}
MAX_RECORD = 65536 + 1024
"""Largest plausible included length: a 64 KiB HCI packet plus headers and monitor data."""

# Monitor opcodes whose direction is known (BlueZ src/shared/btsnoop.h, BTSNOOP_OPCODE_*).
MONITOR_DIRECTIONS = {
    2: Direction.SENT,  # command
    3: Direction.RECEIVED,  # event
    4: Direction.SENT,  # ACL TX
    5: Direction.RECEIVED,  # ACL RX
    6: Direction.SENT,  # SCO TX
    7: Direction.RECEIVED,  # SCO RX
    18: Direction.SENT,  # ISO TX
    19: Direction.RECEIVED,  # ISO RX
}
_UART_DIRECTIONS = (Direction.SENT, Direction.RECEIVED)  # indexed by flags bit 0


@cache
def _monitor_table() -> tuple[Direction, ...]:
    """Direction by monitor opcode (the flags' low 16 bits), made when a 2001 file is read."""
    return tuple(MONITOR_DIRECTIONS.get(op, Direction.UNKNOWN) for op in range(1 << 16))


class BtsnoopReader(FramedReader):
    """Reads a btsnoop file: the header at construction, records by ``batches()``."""

    format = "btsnoop"
    layer = Stage.BTSNOOP

    def __init__(self, src: Source, problems: list[Problem], stats: dict[str, int]) -> None:
        """Check the 16-byte file header (btsnoop format, "File Header").

        Raises ``UnreadableCapture`` for a short header, a version other than 1 or a
        datalink other than 1001, 1002 and 2001.
        """
        super().__init__(src, problems, stats)
        if not src.refill(0, HEADER.size):
            raise UnreadableCapture(
                f"the btsnoop file header is {HEADER.size} bytes, the file has only {len(src.buf)}"
            )
        magic, version, datalink = HEADER.unpack_from(src.buf, 0)
        if magic != MAGIC:
            raise UnreadableCapture(
                f"not a btsnoop file: the identification pattern is {magic!r}, not {MAGIC!r}"
            )
        if version != 1:
            raise UnreadableCapture(
                f"btsnoop version {version} is not supported (only version 1 is defined)"
            )
        if datalink not in DATALINKS:
            name = OTHER_DATALINKS.get(datalink)
            what = f"{datalink} ({name})" if name else str(datalink)
            raise UnreadableCapture(
                f"btsnoop datalink {what} is not supported; bpdiag reads 1001 (H1), "
                "1002 (H4) and 2001 (Linux monitor)"
            )
        self.link_type = datalink
        self._dirs = (_monitor_table(), 0xFFFF) if datalink == 2001 else (_UART_DIRECTIONS, 1)

    # Records (btsnoop format, "Packet Record Format"): framed by FramedReader.  A record
    # whose included length exceeds its original length is kept with a problem; one stored
    # shorter than it was sent is counted (``stats``), not a problem.
    first_record = HEADER.size
    record_header = RECORD.size
    hard_limit = MAX_RECORD
    _fast = MAX_RECORD
    _lengths = _LENGTHS
    length_name = "included length"

    def _limit_text(self) -> str:
        return f"{MAX_RECORD} bytes, longer than any HCI packet"

    def _file_header_at(self, buf: bytes, pos: int) -> tuple[int, bool] | None:
        # ``cat btsnoop_hci.log.last btsnoop_hci.log``: the second file's header, read as a
        # record header, gives an included length of 0x6f6f7000 ("oop\0")
        if buf[pos : pos + 8] != MAGIC:
            return None
        if len(buf) - pos < HEADER.size:
            return HEADER.size, False  # refilled and asked again, or the file ends in it
        _magic, version, datalink = HEADER.unpack_from(buf, pos)
        return HEADER.size, version == 1 and datalink == self.link_type

    def _ordered(self, a: int, b: int) -> tuple[int, int]:
        return b, a  # original length first in the header

    def _record_at(self, buf: bytes, base: int, pos: int, end: int, index: int) -> Record:
        # made one at a time for each record the skim stops at: module constants, not
        # attribute look-ups (RECORD.unpack_from, RECORD.size)
        orig, incl, flags, _drops, ts = _UNPACK_RECORD(buf, pos)
        dirs, mask = self._dirs
        return Record(
            index,
            (ts - EPOCH_DELTA_US) / 1000000,
            self.link_type,
            buf[pos + _RECORD_SIZE : end],
            base + pos,
            dirs[flags & mask],
            flags,
            orig if orig != incl else 0,  # Record.orig_length: 0 for a record stored whole
        )

    def _records(self, buf: bytes, base: int, heads: list[int], first: int) -> list[Record]:
        hdr = RECORD.size
        datalink = self.link_type
        make = Record
        epoch = EPOCH_DELTA_US
        dirs, mask = self._dirs
        return [
            make(
                index,
                (ts - epoch) / 1000000,
                datalink,
                buf[pos + hdr : end],
                base + pos,
                dirs[flags & mask],
                flags,
                orig if orig != incl else 0,
            )
            for index, pos, end, (orig, incl, flags, _drops, ts) in zip(
                range(first + 1, first + len(heads)),
                heads,
                islice(heads, 1, None),
                map(RECORD.unpack_from, repeat(buf), heads[:-1]),
                strict=False,  # heads has one entry more than the run
            )
        ]

    def _time_at(self, buf: bytes, pos: int) -> float:
        ts: int = _TIME.unpack_from(buf, pos)[0]
        return (ts - EPOCH_DELTA_US) / 1000000

    def _odd_record(
        self, buf: bytes, pos: int, end: int, index: int, offset: int, where: str
    ) -> Record:
        orig, incl, flags, _drops, ts = RECORD.unpack_from(buf, pos)
        self.problem(
            index,
            offset,
            f"{where}: included length {incl} is more than the original length {orig}",
            ProblemKind.BAD_LENGTH,
        )
        dirs, mask = self._dirs
        ts_s = (ts - EPOCH_DELTA_US) / 1000000
        data = buf[pos + RECORD.size : end]
        return Record(index, ts_s, self.link_type, data, offset, dirs[flags & mask], flags)
