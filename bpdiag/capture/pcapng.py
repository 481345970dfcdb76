"""pcapng files (draft-ietf-opsawg-pcapng, "PCAP Now Generic").

Every block: type (u32), total length (u32), body, total length again (u32); lengths are
multiples of 4.  The Section Header Block (0x0A0D0D0A) carries the byte-order magic
0x1A2B3C4D and starts a section: interfaces are numbered per section.  Interface
Description Blocks (1) give each interface's link type, snaplen and options (``if_tsresol``
= 9, ``if_tsoffset`` = 14).  Packets come in Enhanced Packet Blocks (6: interface, 64-bit
timestamp, captured and original length, data, options such as ``epb_flags`` = 2), Simple
Packet Blocks (3: original length and data, interface 0) and the obsolete Packet Block (2).
Other blocks (name resolution, statistics, decryption secrets, custom) are skipped.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from bpdiag.capture.record import Direction, Problem, Record
from bpdiag.errors import UnreadableCapture

SHB = 0x0A0D0D0A
IDB = 1
PB = 2
SPB = 3
EPB = 6
BYTE_ORDER_MAGIC = 0x1A2B3C4D
MAX_BLOCK = 1 << 24


@dataclass(slots=True)
class Interface:
    link_type: int
    snaplen: int
    tick: float = 1e-6  # seconds per timestamp unit
    offset: int = 0  # if_tsoffset, seconds


def _order_of(shb_head: bytes) -> str:
    """Byte order of a section from the 12 first bytes of its SHB."""
    if struct.unpack_from("<I", shb_head, 8)[0] == BYTE_ORDER_MAGIC:
        return "<"
    if struct.unpack_from(">I", shb_head, 8)[0] == BYTE_ORDER_MAGIC:
        return ">"
    raise UnreadableCapture("pcapng section header has a bad byte-order magic")


def first_link_type(path: str) -> int:
    """The link type of the first interface (or -1), for ``Capture.link_type``."""
    with open(path, "rb") as f:
        problems: list[Problem] = []
        reader = PcapngReader(f, problems)
        return reader.first_link_type()


def _options(body: bytes, start: int, order: str) -> Iterator[tuple[int, bytes]]:
    """Walk an options list (code u16, length u16, value padded to 32 bits)."""
    pos = start
    n = len(body)
    while pos + 4 <= n:
        code, length = struct.unpack_from(order + "HH", body, pos)
        if code == 0:
            return
        value = body[pos + 4 : pos + 4 + length]
        if len(value) < length:
            return
        yield code, value
        pos += 4 + ((length + 3) & ~3)


def _tick(value: bytes) -> float:
    v = value[0]
    if v & 0x80:
        return 2.0 ** -(v & 0x7F)
    return 10.0 ** -(v & 0x7F)


class PcapngReader:
    """Block-by-block reader.  ``problems`` collects damage; iteration never raises."""

    def __init__(
        self, f: BinaryIO, problems: list[Problem], stats: dict[str, int] | None = None
    ) -> None:
        self.f = f
        self.stats: dict[str, int] = {} if stats is None else stats
        self.problems = problems
        self.order = "<"
        self.interfaces: list[Interface] = []
        self.offset = 0
        self.index = 0
        self._first_link_type = -1
        head = f.read(12)
        if len(head) < 12:
            raise UnreadableCapture("pcapng file is shorter than its section header")
        self.order = _order_of(head)
        f.seek(0)

    def first_link_type(self) -> int:
        for _ in self.records(stop_at_first_interface=True):
            break
        return self._first_link_type

    def _problem(self, message: str, record: int | None = None) -> None:
        self.problems.append(Problem(record, self.offset, message, "pcapng"))

    def records(self, stop_at_first_interface: bool = False) -> Iterator[Record]:
        f = self.f
        while True:
            self.offset = f.tell()
            head = f.read(8)
            if not head:
                return
            if len(head) < 8:
                self._problem(f"the file ends inside a block header ({len(head)} of 8 bytes)")
                return
            btype_raw = head[:4]
            if btype_raw == b"\x0a\x0d\x0d\x0a":
                more = f.read(4)
                if len(more) < 4:
                    self._problem("the file ends inside a section header block")
                    return
                try:
                    self.order = _order_of(head + more)
                except UnreadableCapture as exc:
                    self._problem(str(exc))
                    return
                f.seek(-4, 1)
            btype, total = struct.unpack(self.order + "II", head)
            if total < 12 or total % 4 or total > MAX_BLOCK:
                self._problem(
                    f"block of type 0x{btype:08x} has total length {total}, which is not a "
                    "multiple of 4 between 12 and 16 MiB; the rest of the file cannot be framed"
                )
                return
            body = f.read(total - 8)
            if len(body) < total - 8:
                what = "packet block" if btype in (EPB, SPB, PB) else f"block type 0x{btype:x}"
                self._problem(
                    f"{what} says {total} bytes, the file ends after {len(body) + 8}",
                    self.index + 1 if btype in (EPB, SPB, PB) else None,
                )
                return
            trailer = struct.unpack_from(self.order + "I", body, len(body) - 4)[0]
            if trailer != total:
                self._problem(
                    f"block of type 0x{btype:08x} has leading length {total} but trailing "
                    f"length {trailer}; the block is skipped",
                    self.index + 1 if btype in (EPB, SPB, PB) else None,
                )
                if btype in (EPB, SPB, PB):
                    self.index += 1
                continue
            body = body[:-4]
            if btype == SHB:
                self.interfaces = []
                continue
            if btype == IDB:
                self._idb(body)
                if stop_at_first_interface:
                    return
                continue
            if btype in (EPB, SPB, PB):
                self.index += 1
                rec = self._packet(btype, body)
                if rec is not None:
                    yield rec
            # every other block type is skipped

    def _idb(self, body: bytes) -> None:
        if len(body) < 8:
            self._problem(f"interface description block body is {len(body)} bytes, needs 8")
            return
        link_type, _reserved, snaplen = struct.unpack_from(self.order + "HHI", body, 0)
        iface = Interface(link_type, snaplen)
        for code, value in _options(body, 8, self.order):
            if code == 9 and len(value) >= 1:
                iface.tick = _tick(value)
            elif code == 14 and len(value) >= 8:
                iface.offset = struct.unpack_from(self.order + "q", value, 0)[0]
        if self._first_link_type < 0:
            self._first_link_type = link_type
        self.interfaces.append(iface)

    def _iface(self, iid: int) -> Interface | None:
        if iid < len(self.interfaces):
            return self.interfaces[iid]
        self._problem(
            f"packet {self.index} refers to interface {iid}, but the section describes "
            f"{len(self.interfaces)}; the packet is skipped",
            self.index,
        )
        return None

    def _packet(self, btype: int, body: bytes) -> Record | None:
        o = self.order
        direction = Direction.UNKNOWN
        if btype == EPB:
            if len(body) < 20:
                self._problem(
                    f"enhanced packet block body is {len(body)} bytes, needs 20", self.index
                )
                return None
            iid, hi, lo, caplen, orig = struct.unpack_from(o + "IIIII", body, 0)
            data_start = 20
            iface = self._iface(iid)
        elif btype == PB:
            if len(body) < 20:
                self._problem(f"packet block body is {len(body)} bytes, needs 20", self.index)
                return None
            iid, _drops, hi, lo, caplen, orig = struct.unpack_from(o + "HHIIII", body, 0)
            data_start = 20
            iface = self._iface(iid)
        else:  # SPB
            if len(body) < 4:
                self._problem(f"simple packet block body is {len(body)} bytes, needs 4", self.index)
                return None
            orig = struct.unpack_from(o + "I", body, 0)[0]
            iface = self._iface(0)
            caplen = min(orig, len(body) - 4)
            if iface is not None and iface.snaplen:
                caplen = min(caplen, iface.snaplen)
            hi = lo = 0
            data_start = 4
        if iface is None:
            return None
        if caplen < orig:
            if not self.stats.get("truncated"):
                self.stats["first_truncated"] = self.index
            self.stats["truncated"] = self.stats.get("truncated", 0) + 1
        end = data_start + caplen
        if end > len(body):
            self._problem(
                f"packet {self.index}: captured length {caplen} does not fit in its block "
                f"({len(body) - data_start} bytes); the packet is cut to fit",
                self.index,
            )
            end = len(body)
        if btype == EPB:
            for code, value in _options(body, data_start + ((caplen + 3) & ~3), o):
                if code == 2 and len(value) >= 4:
                    inout = struct.unpack_from(o + "I", value, 0)[0] & 3
                    if inout == 1:
                        direction = Direction.RECEIVED
                    elif inout == 2:
                        direction = Direction.SENT
        ts = ((hi << 32) | lo) * iface.tick + iface.offset
        return Record(
            self.index, ts, iface.link_type, body[data_start:end], self.offset, direction, 0
        )
