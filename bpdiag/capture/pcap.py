"""Classic libpcap files.

Format document: draft-ietf-opsawg-pcap, "PCAP Capture File Format" (section 4 "General
File Structure", 4.1 "File Header", 5 "Packet Record"), and the pcap-savefile(5) manual.

- File header, 24 bytes, in the writer's byte order: magic (0xA1B2C3D4 for microsecond
  timestamps, 0xA1B23C4D for nanoseconds; read byte-swapped it gives the byte order),
  major and minor version (u16, 2.4), two reserved u32 (formerly ``thiszone`` and
  ``sigfigs``: writers should leave them 0 and readers must ignore them), snapshot length
  (u32), and "LinkType and additional information" (u32): the low 16 bits are the LINKTYPE,
  bits 16–25 are reserved, bit 26 says bits 28–31 hold the FCS length in 16-bit words.
- Packet record, 16-byte header: timestamp seconds (u32), timestamp fraction (u32, µs or
  ns), captured length (u32), original length (u32), then the captured bytes.

Quirk handled: old ubertooth-btle / libbtbb writers (the crackle test captures) store
fractions of a second that are out of range — above one million µs, and values just below
2**32 that are negative numbers written as unsigned.  The fraction is read as a signed
32-bit value and simply added, so those records get a time near their neighbours.
"""

from __future__ import annotations

import struct
from itertools import islice, repeat

from bpdiag.capture._io import FramedReader, Source
from bpdiag.capture.record import Problem, ProblemKind, Record
from bpdiag.errors import Stage, UnreadableCapture

MAGICS: dict[bytes, tuple[str, int]] = {
    b"\xa1\xb2\xc3\xd4": (">", 1_000_000),
    b"\xd4\xc3\xb2\xa1": ("<", 1_000_000),
    b"\xa1\xb2\x3c\x4d": (">", 1_000_000_000),
    b"\x4d\x3c\xb2\xa1": ("<", 1_000_000_000),
}
"""Magic as stored → (byte order, timestamp fraction units per second)."""

HEADER_SIZE = 24
MAX_RECORD = 262144
"""Largest captured length accepted beyond the snapshot length (Wireshark's standard
maximum): anything longer means the record header is damaged."""
MAX_SNAPLEN = 1 << 24
"""Snapshot lengths above this (some writers put 2**32 - 1) do not raise the limit further,
so a damaged length never makes the reader buffer gigabytes."""


class PcapReader(FramedReader):
    """Reads a pcap file: the header at construction, records by ``batches()``."""

    format = "pcap"
    layer = Stage.PCAP

    def __init__(self, src: Source, problems: list[Problem], stats: dict[str, int]) -> None:
        """Parse the file header (draft-ietf-opsawg-pcap, 4 "File Header").

        Raises ``UnreadableCapture`` for a short header or a major version other than 2.
        """
        super().__init__(src, problems, stats)
        if not src.refill(0, HEADER_SIZE):
            raise UnreadableCapture(
                f"the pcap file header is {HEADER_SIZE} bytes, the file has only {len(src.buf)}"
            )
        buf = src.buf
        try:
            order, units = MAGICS[buf[:4]]
        except KeyError:
            raise UnreadableCapture(f"not a pcap file: the magic is {buf[:4].hex(' ')}") from None
        major, minor, _reserved1, _reserved2, snaplen, linktype_info = struct.unpack_from(
            order + "HHIIII", buf, 4
        )
        if major != 2:
            raise UnreadableCapture(
                f"pcap version {major}.{minor} is not supported (only version 2.x is defined)"
            )
        self.order = order
        self.units = units
        self.snaplen = snaplen
        self.link_type = linktype_info & 0xFFFF
        self.fcs_bytes = (linktype_info >> 28) * 2 if linktype_info & 0x04000000 else None
        """Length of the frame check sequence at the end of every packet, when stated."""
        self._record = struct.Struct(order + "IiII")
        self._time = struct.Struct(order + "Ii")
        self._lengths = struct.Struct(order + "8xII")  # captured, original
        # captured lengths up to ``_fast`` need no check; above ``hard_limit`` framing is lost
        self.hard_limit = max(min(snaplen, MAX_SNAPLEN), MAX_RECORD)
        self._fast = min(snaplen, MAX_RECORD) if snaplen else MAX_RECORD

    # Packet records (draft-ietf-opsawg-pcap, 5 "Packet Record"): framed by FramedReader.
    # A captured length above the snapshot length or the original length is kept with a
    # problem; one that cannot be right (above ``hard_limit``) ends the iteration.
    first_record = HEADER_SIZE
    record_header = 16
    length_name = "captured length"

    def _limit_text(self) -> str:
        return f"{self.hard_limit} bytes (snapshot length {self.snaplen})"

    def _record_at(self, buf: bytes, base: int, pos: int, end: int, index: int) -> Record:
        sec, frac, incl, orig = self._record.unpack_from(buf, pos)
        rec = Record(
            index, sec + frac / self.units, self.link_type, buf[pos + 16 : end], base + pos
        )
        if incl != orig:  # cut to the snapshot length: the decoders are told how long it was
            rec.orig_length = orig
        return rec

    def _records(self, buf: bytes, base: int, heads: list[int], first: int) -> list[Record]:
        units = self.units
        link_type = self.link_type
        make = Record
        out = [
            make(index, sec + frac / units, link_type, buf[pos + 16 : end], base + pos)
            for index, pos, end, (sec, frac) in zip(
                range(first + 1, first + len(heads)),
                heads,
                islice(heads, 1, None),
                map(self._time.unpack_from, repeat(buf), heads[:-1]),
                strict=False,  # heads has one entry more than the run
            )
        ]
        if self.stats.get("truncated"):
            for rec, pos in zip(out, heads, strict=False):
                incl, orig = self._lengths.unpack_from(buf, pos)
                if incl != orig:
                    rec.orig_length = orig
        return out

    def _time_at(self, buf: bytes, pos: int) -> float:
        sec, frac = self._time.unpack_from(buf, pos)
        return float(sec + frac / self.units)

    def _odd_record(
        self, buf: bytes, pos: int, end: int, index: int, offset: int, where: str
    ) -> Record:
        sec, frac, incl, orig = self._record.unpack_from(buf, pos)
        if incl > orig:
            self.problem(
                index,
                offset,
                f"{where}: captured length {incl} is more than the original length {orig}",
                ProblemKind.BAD_LENGTH,
            )
        elif incl < orig:
            self.truncated(1, index)
        if self.snaplen and incl > self.snaplen:
            self.problem(
                index,
                offset,
                f"{where}: captured length {incl} is more than the snapshot length {self.snaplen}",
                ProblemKind.BAD_LENGTH,
            )
        data = buf[pos + 16 : end]
        rec = Record(index, sec + frac / self.units, self.link_type, data, offset)
        if incl < orig:
            rec.orig_length = orig
        return rec
