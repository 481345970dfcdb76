"""pcapng files.

Format document: draft-ietf-opsawg-pcapng, "PCAP Now Generic (pcapng) Capture File Format"
(section 3 "General File Structure", 3.1 block layout, 3.5 options; 4.1 Section Header
Block, 4.2 Interface Description Block, 4.3 Enhanced Packet Block, 4.4 Simple Packet Block,
appendix "Packet Block (obsolete)").

- Every block: block type (u32), block total length (u32), body, block total length again
  (u32).  The length counts all of it and is a multiple of 4.  Integers are in the byte order
  of the section, which the Section Header Block (type 0x0A0D0D0A, a palindrome) announces
  with its byte-order magic 0x1A2B3C4D; the SHB then has major/minor version (1.0) and a
  section length.  A file may hold several sections, each in its own byte order, and each
  SHB starts the numbering of interfaces again.
- Interface Description Block (1): link type (u16), reserved (u16), snaplen (u32), options;
  ``if_tsresol`` (9) gives the timestamp unit — bit 7 clear: 10**-n s, set: 2**-n s,
  default 10**-6 — and ``if_tsoffset`` (14) seconds to add to every timestamp.
- Enhanced Packet Block (6): interface id (u32), timestamp high and low (u32 each, in the
  interface's unit), captured length, original length, data padded to 32 bits, options;
  ``epb_flags`` (2) bits 0–1: 1 inbound, 2 outbound.
- Simple Packet Block (3): original length, data (interface 0, no timestamp; captured length
  = min(original length, snaplen, room in the block)).
- Packet Block (2, obsolete): interface id (u16), drops count (u16), timestamp, captured and
  original length, data, options (``pack_flags`` = 2, as ``epb_flags``).
- Every other block (name resolution, interface statistics, decryption secrets, custom,
  systemd journal …) is skipped.

A packet block that is damaged but framed consistently is skipped with a problem and keeps
its frame number, so the frames after it keep Wireshark's numbers.

Read as ``frames`` (``bpdiag.analysis.run`` does so for air captures), the runs of plain
Enhanced Packet Blocks — no option, or ``epb_flags`` first — of the interfaces asked for
become ``EpbFrames``, which the decoders' skims read in the file's buffer as they read pcap
records (a record's data ends before its block's padding, options and trailer: ``ends``);
every other block and packet is read as ``batches`` reads it.
"""

from __future__ import annotations

import functools
import re
import struct
from collections.abc import Callable, Generator, Iterator

from bpdiag.capture._io import BatchReader, Frames, Source, hexbytes
from bpdiag.capture.record import Direction, Problem, ProblemKind, Record
from bpdiag.errors import Stage, UnreadableCapture

_Found = list[tuple[int | None, str, ProblemKind]]  # problems a block handler found

SHB_MAGIC = b"\x0a\x0d\x0d\x0a"
SHB = 0x0A0D0D0A
IDB = 1
PB = 2
SPB = 3
NRB = 4
ISB = 5
EPB = 6
DSB = 10
BYTE_ORDER_MAGIC = 0x1A2B3C4D
MAX_BLOCK = 1 << 24
"""Blocks longer than 16 MiB are taken as damage (Wireshark's limit is of this order)."""

BLOCK_NAMES = {
    SHB: "section header block",
    IDB: "interface description block",
    PB: "packet block",
    SPB: "simple packet block",
    NRB: "name resolution block",
    ISB: "interface statistics block",
    EPB: "enhanced packet block",
    DSB: "decryption secrets block",
}
KNOWN_TYPES = frozenset(
    {SHB, IDB, PB, SPB, NRB, ISB, EPB, 7, 8, 9, DSB, 0xBAD, 0x40000BAD, 0x80000001}
)
"""Block types a following block may have for a damaged block to be skipped over."""

_DIRECTIONS = (Direction.UNKNOWN, Direction.RECEIVED, Direction.SENT, Direction.UNKNOWN)
_IDB_OPTIONS = frozenset({9, 14})  # if_tsresol, if_tsoffset (4.2)
_EPB_OPTIONS = frozenset({2})  # epb_flags (4.3.1)
_PACKETS = (EPB, SPB, PB)

Interface = tuple[int, int, int, int]
"""(link type, timestamp units per second, if_tsoffset seconds, snaplen)."""
Clock = tuple[int, int, int]
"""(link type, timestamp units per second, if_tsoffset seconds): what the hot loops need."""


def _every(link_type: int) -> bool:
    """Frame the packets of every link type (``PcapngReader.frames``)."""
    return True


@functools.lru_cache(maxsize=64)
def _alike_pattern(total: int) -> re.Pattern[bytes]:
    """``_alike_blocks``'s pattern for blocks of ``total`` octets: a block (its type, length
    and interface; timestamp; captured and original length; data and padding; trailer),
    then as many as follow with the first's octets but for the timestamp and the data."""
    rest = total - 32
    return re.compile(rb"(.{12}).{8}(.{8}).{%d}(.{4})(?:\1.{8}\2.{%d}\3)*+" % (rest, rest), re.S)


def _alike_blocks(buf: bytes, pos: int, total: int, count: int) -> int:
    """Of ``count`` blocks ``total`` octets apart from ``buf[pos]`` on (all in ``buf``; the
    first a plain Enhanced Packet Block without options, as ``PcapngReader._frame`` takes
    it), how many from the first on are the same block but for the timestamp and the data:
    the same block type, length, interface, captured and original length, and trailer.
    One match of a pattern (``_alike_pattern``) tells, the octets compared at C speed."""
    m = _alike_pattern(total).match(buf, pos, pos + count * total)
    return (m.end() - pos) // total if m is not None else 0


_LONG = 4
"""Plain Enhanced Packet Blocks alike in a row (``_alike_blocks``) that ``_frame`` takes at
once: reading them so has a cost of its own, which a shorter stretch does not repay."""


class _Structs:
    """The structs of one byte order."""

    __slots__ = (
        "epb",
        "epb_after",
        "epb_fields",
        "epb_lengths",
        "head",
        "i64",
        "idb",
        "opt",
        "opt32",
        "order",
        "pb",
        "ts",
        "u32",
    )

    def __init__(self, order: str) -> None:
        self.order = order
        self.head = struct.Struct(order + "II")  # block type, total length
        self.u32 = struct.Struct(order + "I")
        self.i64 = struct.Struct(order + "q")
        self.epb = struct.Struct(order + "7I")  # type, length, iface, ts hi, ts lo, cap, orig
        # a block's trailer, then ``epb_lengths``: the hot loop of ``_frame`` makes no int of
        # the timestamps
        self.epb_after = struct.Struct(order + "4I8x2I")
        self.epb_lengths = struct.Struct(order + "3I8x2I")  # ``epb`` but the timestamp
        self.epb_fields = struct.Struct(order + "5I")
        self.pb = struct.Struct(order + "HH4I")  # iface, drops, ts hi, ts lo, cap, orig
        self.idb = struct.Struct(order + "HHI")  # link type, reserved, snaplen
        self.opt = struct.Struct(order + "HH")  # option code, length
        self.opt32 = struct.Struct(order + "HHI")  # option code, length, u32 value
        self.ts = struct.Struct(order + "II")  # timestamp high, low


_STRUCTS = {"<": _Structs("<"), ">": _Structs(">")}


def _order_of(bom: bytes) -> str | None:
    """The byte order a section's byte-order magic announces (4.1), or ``None``."""
    if bom == b"\x4d\x3c\x2b\x1a":
        return "<"
    if bom == b"\x1a\x2b\x3c\x4d":
        return ">"
    return None


_POWERS_OF_10: tuple[int, ...] = tuple(10**n for n in range(128))


def _tsresol(value: int) -> int:
    """``if_tsresol`` (4.2) → timestamp units per second."""
    if value & 0x80:
        return 1 << (value & 0x7F)
    return _POWERS_OF_10[value]


def _block_name(btype: int) -> str:
    return BLOCK_NAMES.get(btype, f"block of type 0x{btype:08x}")


class PcapngReader(BatchReader):
    """Reads a pcapng file: the first section header at construction, then ``batches()``."""

    format = "pcapng"
    layer = Stage.PCAPNG

    def __init__(self, src: Source, problems: list[Problem], stats: dict[str, int]) -> None:
        """Check the first Section Header Block (draft-ietf-opsawg-pcapng, 4.1) and find
        the link type of the first interface (4.2).

        Raises ``UnreadableCapture`` if the SHB is short, has a bad byte-order magic,
        inconsistent lengths or a major version other than 1.
        """
        super().__init__(src, problems, stats)
        if not src.refill(0, 28):
            raise UnreadableCapture(
                f"the pcapng section header block is at least 28 bytes, the file has only "
                f"{len(src.buf)}"
            )
        buf = src.buf
        order = _order_of(buf[8:12])
        if order is None:
            raise UnreadableCapture(
                f"the pcapng byte-order magic is {hexbytes(buf[8:12])}, not 1a 2b 3c 4d in "
                "either byte order"
            )
        st = _STRUCTS[order]
        total = st.u32.unpack_from(buf, 4)[0]
        if total < 28 or total % 4 or total > MAX_BLOCK:
            raise UnreadableCapture(
                f"the pcapng section header block says it is {total} bytes, which is not a "
                "multiple of 4 between 28 and 16 MiB"
            )
        if not src.refill(0, total):
            raise UnreadableCapture(
                f"the pcapng section header block says it is {total} bytes, the file has "
                f"only {len(src.buf)}"
            )
        buf = src.buf
        trailer = st.u32.unpack_from(buf, total - 4)[0]
        if trailer != total:
            raise UnreadableCapture(
                f"the pcapng section header block's leading length is {total} but its "
                f"trailing length is {trailer}"
            )
        major, minor = struct.unpack_from(order + "HH", buf, 12)
        if major != 1:
            raise UnreadableCapture(
                f"pcapng version {major}.{minor} is not supported (only version 1.x is defined)"
            )
        self._st = st
        self._ifaces: list[Interface | None] = []
        # The interfaces the hot loops take, by number: all (``_fast``); when reading
        # ``frames``, those whose packets are framed (``_framed``) and the others (``_plain``).
        self._fast: dict[int, Clock] = {}
        self._framed: dict[int, Clock] = {}
        self._plain: dict[int, Clock] = {}
        self._framing: Callable[[int], bool] | None = None
        self._last_ts = 0.0
        self.sections = 0
        self.options_skipped = 0  # options read past because bpdiag does not use them
        self.link_type = self._first_link_type()

    def _first_link_type(self) -> int:
        """The link type of the first interface, if its IDB is in the first chunk, else -1
        (then the first IDB met while iterating sets it)."""
        buf = self.src.buf
        pos = 0
        st = self._st
        while pos + 16 <= len(buf):
            if buf[pos : pos + 4] == SHB_MAGIC:
                order = _order_of(buf[pos + 8 : pos + 12])
                if order is None:
                    return -1
                st = _STRUCTS[order]
            btype, total = st.head.unpack_from(buf, pos)
            if btype == IDB:
                link_type: int = st.idb.unpack_from(buf, pos + 8)[0]
                return link_type
            if total < 12 or total % 4:
                return -1
            pos += total
        return -1

    def batches(self) -> Generator[Iterator[Record], None, None]:
        """The packets of every section (draft-ietf-opsawg-pcapng, 4.3, 4.4, appendix A).

        Damage becomes a ``Problem``, never an exception: a damaged block whose lengths
        still frame the file is skipped; when they do not, or the file ends inside a block,
        the iteration ends.
        """
        for run in self._runs(None):
            yield self._emit(run if isinstance(run, list) else run.records())

    @property
    def skims(self) -> bool:
        return True

    def _frame_runs(self, framed: Callable[[int], bool] | None) -> Iterator[Frames | list[Record]]:
        """The packets as ``batches`` has them, but the plain Enhanced Packet Blocks of the
        interfaces whose link type is ``framed`` (all, if ``None``) as runs of ``EpbFrames``:
        a run ends at any other block, at a packet that is not plain (options other than
        ``epb_flags`` first, damage, a block not all in the buffer) and at a packet of an
        interface of another link type or timestamp unit or offset."""
        return self._runs(framed if framed is not None else _every)

    def _runs(
        self, framed: Callable[[int], bool] | None
    ) -> Generator[EpbFrames | list[Record], None, None]:
        """The packets in batches of ``Record``s, and (with ``framed``) in runs of
        ``EpbFrames``; see ``batches`` and ``frames``."""
        src = self.src
        make = Record
        dirs = _DIRECTIONS
        unknown = Direction.UNKNOWN
        index = 0
        pos = 0
        out: list[Record] = []
        self._framing = framed
        while True:
            buf = src.buf
            base = src.base
            n = len(buf)
            st = self._st
            head = st.epb.unpack_from
            u32 = st.u32.unpack_from
            opt32 = st.opt32.unpack_from
            truncated = 0
            first_truncated = 0
            start = pos
            if framed is not None:
                run = self._frame(buf, base, pos, index)
                if run is not None:
                    if out:
                        yield self._flush(out)
                        out = []
                    index += len(run)
                    pos = run.stop
                    self._last_ts = run.time(len(run) - 1)
                    yield run
                get = self._plain.get
            else:
                get = self._fast.get
            add = out.append
            # Hot loop: clean Enhanced Packet Blocks whose only (or first) option is
            # epb_flags; everything else goes to the general code below.
            while pos + 28 <= n:
                btype, total, iid, hi, lo, cap, orig = head(buf, pos)
                end = pos + total
                if btype != EPB or end > n:
                    break
                iface = get(iid)
                data_end = pos + 28 + cap
                if iface is None or data_end > end - 4 or total & 3:
                    break
                if u32(buf, end - 4)[0] != total:
                    break
                opt = pos + 28 + ((cap + 3) & -4)
                if opt + 8 <= end - 4:
                    code, length, value = opt32(buf, opt)
                    if code != 2 or length != 4:
                        break
                    direction = dirs[value & 3]
                else:
                    direction = unknown
                if cap != orig:
                    if cap > orig:
                        break
                    truncated += 1
                    if not first_truncated:
                        first_truncated = index + 1
                link_type, units, tsoffset = iface
                index += 1
                made = make(
                    index,
                    ((hi << 32) | lo) / units + tsoffset,
                    link_type,
                    buf[pos + 28 : data_end],
                    base + pos,
                    direction,
                )
                if cap != orig:  # cut to the snapshot length: the decoders see how long it was
                    made.orig_length = orig
                if iid:  # which controller, when dumpcap captured several (Record.flags)
                    made.flags = iid << 16
                add(made)
                pos = end
            self.truncated(truncated, first_truncated)
            if framed is not None and pos != start:
                continue  # what the packets the hot loop stopped at are is looked at again

            # General case: the block at ``pos``.
            offset = base + pos
            if n - pos < 12:  # no block is shorter than 12 bytes
                if out:
                    yield self._flush(out)
                    out = []
                if src.refill(pos, 12):
                    pos = 0
                    continue
                left = src.buf
                if src.error is not None:
                    self.read_error(index + 1, offset)
                elif left and not src.closed:
                    if len(left) >= 8 and left[:4] != SHB_MAGIC:
                        btype, total = st.head.unpack_from(left, 0)
                        packet = btype in _PACKETS
                        self.problem(
                            index + 1 if packet else None,
                            offset,
                            f"{self._where(btype, index, offset)}: block header says {total} "
                            f"bytes, file ends after {len(left)}",
                            ProblemKind.TRUNCATED,
                        )
                    else:
                        self.problem(
                            None,
                            offset,
                            f"block at offset 0x{offset:x}: a block header is 8 bytes (12 for "
                            f"a section header), file ends after {len(left)}",
                            ProblemKind.TRUNCATED,
                        )
                return
            if buf[pos : pos + 4] == SHB_MAGIC:
                order = _order_of(buf[pos + 8 : pos + 12])
                if order is None:
                    if out:
                        yield self._flush(out)
                        out = []
                    self.problem(
                        None,
                        offset,
                        f"section header block at offset 0x{offset:x}: byte-order magic is "
                        f"{hexbytes(buf[pos + 8 : pos + 12])}, not 1a 2b 3c 4d in either byte "
                        "order; the rest of the file cannot be read",
                        ProblemKind.BAD_MAGIC,
                    )
                    return
                st = _STRUCTS[order]
            btype, total = st.head.unpack_from(buf, pos)
            packet = btype in _PACKETS
            where = self._where(btype, index, offset)
            if total < 12 or total > MAX_BLOCK:
                if out:
                    yield self._flush(out)
                    out = []
                size = "less than the minimum 12" if total < 12 else "more than 16 MiB"
                self.problem(
                    index + 1 if packet else None,
                    offset,
                    f"{where}: block length {total} is {size}; the rest of the file cannot "
                    "be framed",
                    ProblemKind.BAD_LENGTH,
                )
                return
            if n - pos < total:
                if out:
                    yield self._flush(out)
                    out = []
                if src.refill(pos, total):
                    pos = 0
                    continue
                self.ended_inside(
                    index + 1,
                    offset,
                    f"{where}: block header says {total} bytes, file ends after {len(src.buf)}",
                    numbered=packet,
                )
                return
            trailer = st.u32.unpack_from(buf, pos + total - 4)[0]
            if trailer != total or total % 4:
                if out:
                    yield self._flush(out)
                    out = []
                if trailer == total:
                    message = f"{where}: block length {total} is not a multiple of 4; block skipped"
                else:
                    if n - pos < total + 12:
                        src.refill(pos, total + 12)  # the next block's header, if any
                        pos = 0
                        buf = src.buf
                    if not self._block_follows(buf, pos + total):
                        self.problem(
                            index + 1 if packet else None,
                            offset,
                            f"{where}: leading block length is {total} but trailing length is "
                            f"{trailer}, and no block starts after it; the rest of the file "
                            "cannot be framed",
                            ProblemKind.BAD_LENGTH,
                        )
                        return
                    message = (
                        f"{where}: leading block length is {total} but trailing length is "
                        f"{trailer}; block skipped"
                    )
                if packet:
                    index += 1
                self.problem(index if packet else None, offset, message, ProblemKind.BAD_LENGTH)
                pos += total
                continue

            found: _Found = []
            rec: Record | None = None
            stop = False
            if btype == SHB:
                stop = self._section(buf, pos, total, st, where, found)
            elif btype == IDB:
                self._interface(buf, pos, total, where, found)
            elif packet:
                index += 1
                rec = self._packet(btype, buf, pos, total, index, offset, where, out, found)
            if found:
                if out:
                    yield self._flush(out)
                    out = []
                for record, message, kind in found:
                    self.problem(record, offset, message, kind)
            if rec is not None:
                out.append(rec)
            if stop:
                if out:
                    yield self._flush(out)
                return
            pos += total

    @staticmethod
    def _where(btype: int, index: int, offset: int) -> str:
        """How a message names the block at ``offset`` (the next record, if a packet)."""
        if btype in _PACKETS:
            return f"record {index + 1} at offset 0x{offset:x}"
        return f"{_block_name(btype)} at offset 0x{offset:x}"

    def _flush(self, batch: list[Record]) -> list[Record]:
        """``batch``, to be handed out: its last timestamp is the one of the simple packet
        blocks that may follow (4.4 gives them none)."""
        self._last_ts = batch[-1].timestamp
        return batch

    def _frame(self, buf: bytes, base: int, pos: int, index: int) -> EpbFrames | None:
        """The run of plain Enhanced Packet Blocks (those the hot loop of ``_runs`` takes)
        of framed interfaces of one clock (``Clock``) from ``buf[pos:]``, or ``None`` if
        the block at ``pos`` is not one.  Its records lie where they are in ``buf`` (see
        ``EpbFrames``): nothing is copied.

        The hot loop: one unpack per packet, of its trailer and the next block's header;
        a long stretch of blocks alike (``_alike_blocks``) is taken at once."""
        if pos + 28 > len(buf):
            return None
        st = self._st
        u32 = st.u32.unpack_from
        opt = st.opt.unpack_from
        follow = st.epb_after.unpack_from
        lengths = st.epb_lengths.unpack_from
        get = self._framed.get
        n = len(buf)
        heads: list[int] = []
        add = heads.append
        ends: list[int] = [pos]
        add_end = ends.append
        changes: list[int] = []
        clock: Clock | None = None
        run_iid = -1
        # What ``changes`` compares, of the packet before: the captured length of a block
        # of only the data (whose block length follows from it), else ~(its block length
        # and captured length)
        last = -1
        truncated = 0
        first_truncated = 0
        btype, total, iid, cap, orig = lengths(buf, pos)
        while btype == EPB:
            end = pos + total
            if end > n:
                break
            if iid != run_iid:
                other = get(iid)
                if other is None or (clock is not None and other != clock):
                    break
                clock, run_iid = other, iid
            data = pos + 28
            if total == (cap + 35) & -4:  # the data, its padding and the trailer: no options
                size = cap
            else:
                if data + cap > end - 4 or total & 3:
                    break
                padded = (cap + 3) & -4
                if data + padded + 8 <= end - 4 and opt(buf, data + padded) != (2, 4):
                    break  # options, but not epb_flags first
                size = ~(total << 24 | cap)
            # this block's trailer and the next block's header (the type and interface
            # number are not needed any more: overwritten at once)
            if end + 28 <= n:
                trailer, btype, next_total, iid, next_cap, next_orig = follow(buf, end - 4)
            else:  # the next block is not all in the buffer: the run ends here
                trailer, btype, next_total, next_cap, next_orig = u32(buf, end - 4)[0], -1, 0, 0, 0
            if trailer != total:
                break
            if cap != orig:
                if cap > orig:
                    break
                truncated += 1
                if not first_truncated:
                    first_truncated = index + len(heads) + 1
            if size != last:
                last = size
                changes.append(len(heads))
            add(pos)
            add_end(data + cap)
            if (
                next_cap == cap
                and next_total == total
                and size == cap == orig == next_orig
                and btype == EPB
                and iid == run_iid
            ):
                # the next block is this one's like: a long stretch of them is taken at once
                q = pos + (_LONG - 1) * total
                if (
                    q + 28 <= n
                    and buf[q + 20 : q + 28] == buf[pos + 20 : pos + 28]
                    and buf[q + 4 : q + 12] == buf[pos + 4 : pos + 12]
                ):
                    k = _alike_blocks(buf, pos, total, (n - pos) // total)
                    if k > 1:
                        start = pos + total
                        pos += k * total
                        heads.extend(range(start, pos, total))
                        ends.extend(range(start + 28 + cap, pos, total))
                        if pos + 28 > n:
                            break  # the next block is not all in the buffer: the run ends
                        btype, total, iid, cap, orig = lengths(buf, pos)
                        continue
            pos = end
            total, cap, orig = next_total, next_cap, next_orig
        self.truncated(truncated, first_truncated)
        if clock is None or not heads:
            return None
        heads.append(pos)
        return EpbFrames(buf, base, index, heads, ends, changes, clock, st)

    @staticmethod
    def _block_follows(buf: bytes, pos: int) -> bool:
        """Whether ``pos`` is the end of the file or the start of a plausible block."""
        if pos == len(buf):
            return True
        if pos + 12 > len(buf):
            return False
        if buf[pos : pos + 4] == SHB_MAGIC:
            return _order_of(buf[pos + 8 : pos + 12]) is not None
        for st in _STRUCTS.values():
            btype, total = st.head.unpack_from(buf, pos)
            if btype in KNOWN_TYPES and 12 <= total <= MAX_BLOCK and total % 4 == 0:
                return True
        return False

    def _section(
        self,
        buf: bytes,
        pos: int,
        total: int,
        st: _Structs,
        where: str,
        found: _Found,
    ) -> bool:
        """A Section Header Block (4.1): a new byte order, no interfaces.  True = stop."""
        if total < 28:
            found.append(
                (
                    None,
                    f"{where}: block length {total} is less than the 28 bytes of a section "
                    "header; the rest of the file cannot be read",
                    ProblemKind.BAD_LENGTH,
                )
            )
            return True
        major, minor = struct.unpack_from(st.order + "HH", buf, pos + 12)
        if major != 1:
            found.append(
                (
                    None,
                    f"{where}: version {major}.{minor} is not supported (only 1.x); the rest "
                    "of the file cannot be read",
                    ProblemKind.UNSUPPORTED,
                )
            )
            return True
        self._st = st
        self._ifaces = []
        self._fast = {}
        self._framed = {}
        self._plain = {}
        self.sections += 1
        return False

    def _interface(self, buf: bytes, pos: int, total: int, where: str, found: _Found) -> None:
        """An Interface Description Block (4.2): link type, snaplen, tsresol, tsoffset."""
        st = self._st
        number = len(self._ifaces)
        if total < 20:
            found.append(
                (
                    None,
                    f"{where}: block length {total} is less than the 20 bytes of an interface "
                    f"description; interface {number} of this section cannot be used",
                    ProblemKind.BAD_LENGTH,
                )
            )
            self._ifaces.append(None)
            return
        link_type, _reserved, snaplen = st.idb.unpack_from(buf, pos + 8)
        units = 1_000_000
        tsoffset = 0
        options = self._options(buf, pos + 16, pos + total - 4, where, found, _IDB_OPTIONS)
        for code, start, length in options:
            if code == 9 and length >= 1:
                units = _tsresol(buf[start])
            elif code == 14 and length >= 8:
                tsoffset = st.i64.unpack_from(buf, start)[0]
        self._ifaces.append((link_type, units, tsoffset, snaplen))
        clock = (link_type, units, tsoffset)
        self._fast[number] = clock
        framing = self._framing
        if framing is not None and framing(link_type):
            self._framed[number] = clock
        else:
            self._plain[number] = clock
        if self.link_type < 0:
            self.link_type = link_type

    def _options(
        self,
        buf: bytes,
        pos: int,
        end: int,
        where: str,
        found: _Found,
        wanted: frozenset[int],
    ) -> list[tuple[int, int, int]]:
        """The options of a block (3.5) whose code is in ``wanted``, as (code, value offset,
        value length), up to ``opt_endofopt`` or ``end``; an option running past ``end`` is a
        problem.  The others are only stepped over (counted in ``options_skipped``), so a
        block of millions of options costs time, not memory."""
        unpack = self._st.opt.unpack_from
        options: list[tuple[int, int, int]] = []
        skipped = 0
        while pos + 4 <= end:
            code, length = unpack(buf, pos)
            if code == 0:
                break
            if pos + 4 + length > end:
                found.append(
                    (
                        None,
                        f"{where}: option {code} says {length} bytes, only {end - pos - 4} are "
                        "left in the block; the options from there on are ignored",
                        ProblemKind.BAD_LENGTH,
                    )
                )
                break
            if code in wanted and len(options) < 16:
                options.append((code, pos + 4, length))
            else:
                skipped += 1
            pos += 4 + ((length + 3) & -4)
        self.options_skipped += skipped
        return options

    def _packet(
        self,
        btype: int,
        buf: bytes,
        pos: int,
        total: int,
        index: int,
        offset: int,
        where: str,
        out: list[Record],
        found: _Found,
    ) -> Record | None:
        """An Enhanced (4.3), Simple (4.4) or obsolete Packet Block (appendix A) as a
        ``Record``, or ``None`` (with a problem) when it cannot be used."""
        st = self._st
        name = _block_name(btype)
        minimum = 16 if btype == SPB else 32
        if total < minimum:
            found.append(
                (
                    index,
                    f"{where}: a {name} is at least {minimum} bytes, this one is {total}; "
                    "packet skipped",
                    ProblemKind.BAD_LENGTH,
                )
            )
            return None
        if btype == EPB:
            iid, hi, lo, cap, orig = st.epb_fields.unpack_from(buf, pos + 8)
            start = pos + 28
        elif btype == PB:
            iid, _drops, hi, lo, cap, orig = st.pb.unpack_from(buf, pos + 8)
            start = pos + 28
        else:
            orig = st.u32.unpack_from(buf, pos + 8)[0]
            iid = hi = lo = 0
            start = pos + 12
            cap = orig
        if iid >= len(self._ifaces):
            found.append(
                (
                    index,
                    f"{where}: interface {iid} is not described in this section (it describes "
                    f"{len(self._ifaces)}); packet skipped",
                    ProblemKind.INVALID,
                )
            )
            return None
        iface = self._ifaces[iid]
        if iface is None:
            found.append(
                (
                    index,
                    f"{where}: the description of interface {iid} is damaged; packet skipped",
                    ProblemKind.INVALID,
                )
            )
            return None
        link_type, units, tsoffset, snaplen = iface
        room = pos + total - 4 - start
        direction = Direction.UNKNOWN
        if btype == SPB:
            cap = min(orig, room, snaplen) if snaplen else min(orig, room)
            timestamp = out[-1].timestamp if out else self._last_ts
        else:
            if cap > room:
                found.append(
                    (
                        index,
                        f"{where}: captured length {cap} does not fit in the block ({room} "
                        "bytes of room); packet skipped",
                        ProblemKind.BAD_LENGTH,
                    )
                )
                return None
            if cap > orig:
                found.append(
                    (
                        index,
                        f"{where}: captured length {cap} is more than the original length {orig}",
                        ProblemKind.BAD_LENGTH,
                    )
                )
            timestamp = ((hi << 32) | lo) / units + tsoffset
            opt_start = start + ((cap + 3) & -4)
            options = self._options(buf, opt_start, pos + total - 4, where, found, _EPB_OPTIONS)
            for code, vstart, length in options:
                if code == 2 and length >= 4:
                    direction = _DIRECTIONS[st.u32.unpack_from(buf, vstart)[0] & 3]
        rec = Record(index, timestamp, link_type, buf[start : start + cap], offset, direction)
        if iid:  # which interface (controller) it came from: Record.flags
            rec.flags = iid << 16
        if cap < orig:
            self.truncated(1, index)
            rec.orig_length = orig
        return rec


class EpbFrames(Frames):
    """A run of plain Enhanced Packet Blocks (4.3) of interfaces of one ``Clock``, as
    ``Frames`` over the file's buffer: record ``i``'s block starts at ``heads[i]``, its
    data at ``heads[i] + 28`` (``hdr``) and ends at ``ends[i + 1]``, before its padding,
    ``epb_flags`` and trailer; ``stop`` (``heads[-1]``) is where the block after the run
    starts.  ``time`` and ``record`` read the rest of a block's header from ``buf``."""

    __slots__ = ("_head", "_ts", "_tsoffset", "_u32", "_units")

    def __init__(
        self,
        buf: bytes,
        base: int,
        first: int,
        heads: list[int],
        ends: list[int],
        changes: list[int],
        clock: Clock,
        st: _Structs,
    ) -> None:
        """The run of the packets whose blocks start at ``heads`` (and the one after it at
        ``heads[-1]``) and whose data end at ``ends[1:]`` in ``buf`` (the file's bytes from
        offset ``base``), the first of them record ``first + 1``."""
        link_type, self._units, self._tsoffset = clock
        super().__init__(buf, base, first, heads, changes, 28, link_type, ends)
        self._head = st.epb.unpack_from
        self._ts = st.ts.unpack_from
        self._u32 = st.u32.unpack_from

    @property
    def stop(self) -> int:
        """Where in ``buf`` the block after the run starts."""
        return self.heads[-1]

    def time(self, i: int) -> float:
        hi, lo = self._ts(self.buf, self.heads[i] + 12)
        t: float = ((hi << 32) | lo) / self._units + self._tsoffset
        return t

    def record(self, i: int) -> Record:
        """Record ``i``, as the hot loop of ``PcapngReader._runs`` makes it."""
        buf = self.buf
        pos = self.heads[i]
        _btype, total, iid, hi, lo, cap, orig = self._head(buf, pos)
        data = pos + 28
        rec = Record(
            self.first + i + 1,
            ((hi << 32) | lo) / self._units + self._tsoffset,
            self.link_type,
            buf[data : data + cap],
            self.base + pos,
        )
        if total != (cap + 35) & -4:  # options: epb_flags first, or padding
            options = data + ((cap + 3) & -4)
            if options + 8 <= pos + total - 4:
                rec.direction = _DIRECTIONS[self._u32(buf, options + 4)[0] & 3]
        if cap != orig:
            rec.orig_length = orig
        if iid:
            rec.flags = iid << 16
        return rec

    def records(self) -> list[Record]:
        """All the run's records."""
        return [self.record(i) for i in range(len(self))]
