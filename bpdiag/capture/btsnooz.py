"""btsnooz: the HCI log an Android bug report carries in its text (dumpstate).

Layout (AOSP ``system/tools/scripts/btsnooz.py``, written by the stack's ``btsnoop_mem``):
the text holds a section

    --- BEGIN:BTSNOOP_LOG_SUMMARY (N bytes in) ---
    <base64, in lines>
    --- END:BTSNOOP_LOG_SUMMARY ---

whose base64 decodes to a 9-byte header — version (u8: 1 or 2), last timestamp (u64,
microseconds since the Unix epoch) — then a zlib stream of records, little-endian:

- v1 ``=HIb``: length (u16, the type byte included), delta time (u32, µs since the record
  before), type (i8), then ``length - 1`` bytes;
- v2 ``=HHIb``: length, original packet length (u16, both with the type byte), delta time,
  type, then ``length - 1`` bytes.

Types: 0x10 event in, 0x11 ACL in, 0x12 SCO in, 0x17 ISO in, 0x20 command out, 0x21 ACL
out, 0x22 SCO out, 0x2D ISO out.  A record's time is the last timestamp minus the deltas of
the records after it, so the stream is read twice (it is decompressed again, never held).

The stack keeps HCI commands and events whole but cuts ACL outside L2CAP signalling to a few
bytes (14 after the type byte: the ACL and L2CAP headers and 6 bytes of PDU); v2 says how
long each packet was (``Record.orig_length``); in v1 an ACL packet's own header says it.

Records come out as btsnoop H4 records (``LinkType.BTSNOOP_H4``, the H4 type byte first,
flags bit 0 received, bit 1 command/event), as btsnooz.py converts them.
"""

from __future__ import annotations

import binascii
import re
import struct
import zlib
from collections.abc import Generator, Iterator

from bpdiag.capture._io import BatchReader, Source
from bpdiag.capture.record import Direction, Problem, ProblemKind, Record
from bpdiag.errors import Stage

BEGIN = b"--- BEGIN:BTSNOOP_LOG_SUMMARY"
END = b"--- END:BTSNOOP_LOG_SUMMARY"
HEADER = struct.Struct("<BQ")
RECORD_V1 = struct.Struct("<HIb")
RECORD_V2 = struct.Struct("<HHIb")
# btsnooz type → (H4 packet type, received)
TYPES = {
    0x10: (4, True),
    0x11: (2, True),
    0x12: (3, True),
    0x17: (5, True),
    0x20: (1, False),
    0x21: (2, False),
    0x22: (3, False),
    0x2D: (5, False),
}
MAX_BASE64 = 64 << 20
"""Largest section read (characters of base64).  Android's in-memory log is far smaller."""
MAX_DECOMPRESSED = 256 << 20
"""Largest decompressed stream accepted: past it the section is a zlib bomb, not a log."""
_PIECE = 1 << 16
_B64 = re.compile(rb"[^A-Za-z0-9+/=]")


def has_section(head: bytes) -> bool:
    """Whether ``head`` shows a bug report's text: dumpstate's banner or a btsnooz section."""
    return BEGIN in head or b"== dumpstate: " in head[:4096]


class BtsnoozReader(BatchReader):
    """Finds the btsnooz section in a bug report's text and yields its records."""

    format = "btsnooz"
    layer = Stage.BTSNOOZ

    def __init__(self, src: Source, problems: list[Problem], stats: dict[str, int]) -> None:
        super().__init__(src, problems, stats)
        self.link_type = 1002
        self.version: int | None = None
        self.section_offset: int | None = None

    # ------------------------------------------------------------ the section
    def _find_begin(self) -> bool:
        """Move the source past the BEGIN line; ``False`` if the text has none."""
        src = self.src
        eof = False
        while True:
            buf = src.buf
            i = buf.find(BEGIN)
            if i >= 0:
                nl = buf.find(b"\n", i)
                if nl < 0 and not eof and len(buf) - i < 4096:
                    eof = not src.refill(i, len(buf) - i + 1)
                    continue
                self.section_offset = src.base + i
                src.refill(len(buf) if nl < 0 else nl + 1, 0)
                return True
            if eof:
                return False
            keep = max(len(buf) - len(BEGIN) + 1, 0)
            eof = not src.refill(keep, len(buf) - keep + 1)

    def _base64(self) -> tuple[bytes, str | None]:
        """The section's base64 characters, and what went wrong (or ``None``)."""
        src = self.src
        parts: list[bytes] = []
        have = 0
        while True:
            buf = src.buf
            i = buf.find(END)
            chunk = buf if i < 0 else buf[:i]
            if i < 0:
                # Keep a possible partial END marker for the next round.
                cut = max(len(buf) - len(END), 0)
                chunk = buf[:cut]
            clean = b"".join(chunk.split())
            bad = _B64.search(clean)
            if bad is not None:
                parts.append(clean[: bad.start()])
                have += bad.start()
                where = f"character {have + 1} of the base64"
                return b"".join(parts), (
                    f"the btsnooz section holds {clean[bad.start() : bad.start() + 1]!r} at "
                    f"{where}, which is not base64; what came before it is read"
                )
            parts.append(clean)
            have += len(clean)
            if have > MAX_BASE64:
                return b"".join(parts)[:MAX_BASE64], (
                    f"the btsnooz section is longer than {MAX_BASE64} characters; only the "
                    "first are read"
                )
            if i >= 0:
                return b"".join(parts), None
            kept = len(buf) - len(chunk)
            src.refill(len(chunk), kept + 4096)
            if len(src.buf) <= kept:  # nothing more: the text ended
                rest = b"".join(src.buf.split())
                if _B64.search(rest) is None:
                    parts.append(rest)
                return b"".join(parts), (
                    "the text ends inside the btsnooz section (no END line); what came "
                    "before is read"
                )

    # ------------------------------------------------------------ records
    def _stream(self, data: bytes) -> Generator[bytes, None, str | None]:
        """Decompressed pieces of the zlib stream after the header; returns what went wrong."""
        d = zlib.decompressobj()
        total = 0
        pos = 0
        while True:
            if d.unconsumed_tail:
                piece_in = d.unconsumed_tail
            elif pos < len(data):
                piece_in = data[pos : pos + _PIECE]
                pos += len(piece_in)
            else:
                if not d.eof:
                    return (
                        f"the btsnooz zlib stream ends early (after {total} decompressed "
                        "bytes): the records after that are lost"
                    )
                return None
            try:
                out = d.decompress(piece_in, _PIECE)
            except zlib.error as exc:
                return (
                    f"the btsnooz zlib stream is corrupt after {total} decompressed bytes "
                    f"({exc}); the records before that are read"
                )
            total += len(out)
            if total > MAX_DECOMPRESSED:
                return (
                    f"the btsnooz stream decompresses to more than {MAX_DECOMPRESSED} bytes "
                    "(a zlib bomb, not a log); it is read no further"
                )
            if out:
                yield out
            if d.eof:
                return None

    def _walk(
        self, data: bytes, rec_struct: struct.Struct
    ) -> Generator[tuple[tuple[int, ...], bytes], None, str | None]:
        """(header fields, packet bytes) of each whole record; returns the stream's damage."""
        hdr = rec_struct.size
        unpack = rec_struct.unpack_from
        buf = b""
        stream = self._stream(data)
        damage: str | None = None
        while True:
            try:
                piece = next(stream)
            except StopIteration as stop:
                damage = stop.value
                break
            buf = buf + piece if buf else piece
            pos = 0
            n = len(buf)
            while pos + hdr <= n:
                fields = unpack(buf, pos)
                length = fields[0]
                end = pos + hdr + length - 1
                if length < 1:
                    return f"a btsnooz record says length {length}; the rest cannot be framed"
                if end > n:
                    break
                yield fields, buf[pos + hdr : end]
                pos = end
            buf = buf[pos:]
        if buf and damage is None:
            damage = f"the btsnooz stream ends inside a record ({len(buf)} bytes left over)"
        return damage

    def batches(self) -> Generator[Iterator[Record], None, None]:
        if not self._find_begin():
            self.problem(
                None,
                None,
                "no BTSNOOP_LOG_SUMMARY section: this bug report's text holds no btsnooz "
                "HCI log (take the bug report with the HCI snoop log enabled)",
                ProblemKind.INVALID,
            )
            return
        offset = self.section_offset or 0
        text, damage = self._base64()
        text = text[: len(text) // 4 * 4]
        try:
            raw = binascii.a2b_base64(text)
        except binascii.Error as exc:
            self.problem(
                None,
                offset,
                f"the btsnooz section is not valid base64 ({exc})",
                ProblemKind.INVALID,
            )
            return
        if damage:
            self.problem(None, offset, damage, ProblemKind.INVALID)
        if len(raw) < HEADER.size:
            self.problem(
                None,
                offset,
                f"the btsnooz header is {HEADER.size} bytes, the section holds {len(raw)}",
                ProblemKind.TRUNCATED,
            )
            return
        version, last_us = HEADER.unpack_from(raw)
        if version not in (1, 2):
            self.problem(
                None,
                offset,
                f"btsnooz version {version} is not supported (1 and 2 are defined)",
                ProblemKind.UNSUPPORTED,
            )
            return
        self.version = version
        body = raw[HEADER.size :]
        rec_struct = RECORD_V1 if version == 1 else RECORD_V2
        delta_at = 1 if version == 1 else 2
        # First pass: the time of the first record.
        first_us = last_us
        walk = self._walk(body, rec_struct)
        while True:
            try:
                fields, _ = next(walk)
            except StopIteration:
                break
            first_us -= fields[delta_at]
        # Second pass: the records.
        t = first_us
        index = 0
        truncated = 0
        first_truncated = 0
        out: list[Record] = []
        walk = self._walk(body, rec_struct)
        while True:
            try:
                fields, data = next(walk)
            except StopIteration as stop:
                damage = stop.value
                break
            t += fields[delta_at]
            kind = TYPES.get(fields[-1] & 0xFF)
            index += 1
            if kind is None:
                if out:
                    yield self._emit(out)
                    out = []
                self.problem(
                    index,
                    offset,
                    f"record {index}: unknown btsnooz type 0x{fields[-1] & 0xFF:02x}; skipped",
                    ProblemKind.UNKNOWN,
                )
                continue
            h4, received = kind
            payload = bytes((h4,)) + data
            orig = fields[1] if version == 2 else 0
            if version == 1 and h4 == 2 and len(data) >= 4:
                # v1 stores no original length; an ACL packet's own header says it
                # (Vol 4, Part E, 5.4.2: Data_Total_Length after the 4-octet header).
                orig = 1 + 4 + (data[2] | data[3] << 8)
            if orig > len(payload):
                truncated += 1
                if not first_truncated:
                    first_truncated = index
            else:
                orig = 0
            out.append(
                Record(
                    index,
                    t / 1_000_000,
                    1002,
                    payload,
                    offset,
                    Direction.RECEIVED if received else Direction.SENT,
                    (1 if received else 0) | (2 if h4 in (1, 4) else 0),
                    orig,
                )
            )
            if len(out) >= 512:
                yield self._emit(out)
                out = []
        self.truncated(truncated, first_truncated)
        if out:
            yield self._emit(out)
        if damage:
            self.problem(index + 1, offset, damage, ProblemKind.INVALID)
