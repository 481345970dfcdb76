"""Plumbing shared by the capture readers: a file read in chunks, and the batch bookkeeping
behind ``Capture.records`` and ``Capture.problems``.

Readers walk ``Source.buf`` with ``struct.Struct.unpack_from`` and slice payloads out of it,
so memory stays constant (one chunk plus one batch of records) whatever the file size.  They
hand records over in batches (lists), which ``Capture`` flattens with
``itertools.chain.from_iterable``: the consumer's per-record ``next()`` then runs in C, and
the reader's generator only resumes once per batch.
"""

from __future__ import annotations

import io
import struct
from bisect import bisect_right
from collections.abc import Callable, Generator, Iterator
from operator import length_hint
from types import TracebackType
from typing import BinaryIO, Self

from bpdiag.capture.record import Problem, ProblemKind, Record
from bpdiag.errors import Stage

CHUNK = 1 << 14
"""Bytes read at a time, and so the payload of one batch.  Small on purpose: a batch of a
few hundred records is consumed before the garbage collector's first generation fills, so
records die young and cheaply (1 MiB chunks cost 25 % more time per record)."""

MAX_PROBLEMS = 1000
"""After this many problems in one capture, further ones are counted, not listed."""

_EMPTY: Iterator[Record] = iter(())

_ALL_BUT = tuple(b"\x01" * v + b"\x00" + b"\x01" * (255 - v) for v in range(256))
"""``bytes.translate`` tables: ``_ALL_BUT[v]`` maps octet ``v`` to 0, every other to 1."""


def leading(col: bytes) -> int:
    """How many octets of ``col`` from the first on equal the first (0 for none): a
    translation and a search, both at C speed (``lstrip`` tests each octet against its
    argument and is several times slower)."""
    if not col:
        return 0
    i = col.translate(_ALL_BUT[col[0]]).find(1)
    return len(col) if i < 0 else i


class Closing:
    """``with`` for a capture: the end of the block closes it (``close``)."""

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class Source:
    """A binary file read in chunks.

    ``buf`` holds the file's bytes from offset ``base`` on.  ``refill(pos, need)`` drops
    ``buf[:pos]`` and reads until ``need`` bytes follow, or the file ends.  A read error ends
    the file early and leaves its reason in ``error``; a file closed under the reader ends it
    silently (``closed``).
    """

    __slots__ = ("_f", "base", "buf", "closed", "error")

    def __init__(self, f: BinaryIO) -> None:
        self._f = f
        self.buf = b""
        self.base = 0
        self.error: str | None = None
        self.closed = False

    def refill(self, pos: int, need: int) -> bool:
        """Keep ``buf[pos:]``, read until it holds ``need`` bytes; ``False`` at end of file."""
        rest = self.buf[pos:]
        self.base += pos
        have = len(rest)
        parts = [rest]
        while have < need and self.error is None and not self.closed:
            try:
                more = self._f.read(max(need - have, CHUNK))
            except ValueError:  # read on a closed file: the Capture was closed mid-iteration
                self.closed = True
                break
            except OSError as exc:
                self.error = exc.strerror or str(exc)
                break
            if not more:
                break
            parts.append(more)
            have += len(more)
        self.buf = rest if len(parts) == 1 else b"".join(parts)
        return have >= need


class BatchReader:
    """Base of the binary readers: batches of records, problems, and exact counters.

    ``problems`` is the ``Capture``'s list (its consumer may empty it while iterating).
    ``stats`` counts records stored shorter than they were on the wire: ``"truncated"``
    and ``"first_truncated"`` (its index).  A reader appends a problem only after every
    record before it has been consumed, so problems and records interleave as in the file.
    """

    format = ""
    layer = Stage.UNSPECIFIED

    def __init__(self, src: Source, problems: list[Problem], stats: dict[str, int]) -> None:
        self.src = src
        self.problems = problems
        self.stats = stats
        self.link_type = -1
        self._problem_count = 0
        self._batch: list[Record] = []
        self._it: Iterator[Record] = _EMPTY
        self._done = 0

    @property
    def records(self) -> int:
        """Records handed to the consumer so far."""
        return self._done + len(self._batch) - length_hint(self._it)

    def batches(self) -> Generator[Iterator[Record], None, None]:
        """The records, batch by batch (each an iterator over a list)."""
        raise NotImplementedError

    @property
    def skims(self) -> bool:
        """Whether the records can be read as ``Frames`` (``frames``)."""
        return False

    def frames(
        self, framed: Callable[[int], bool] | None = None
    ) -> Generator[Frames | list[Record], None, None]:
        """Instead of ``batches``, for a reader that ``skims``: the records as runs of
        ``Frames``, and the other records (odd ones, kept with a problem, or of link types
        not ``framed``) as lists of ``Record``s.  ``framed(link_type)`` says which records a
        format of several link types (pcapng) frames; ``None``: all it can.  A run counts
        as handed out whole."""
        for run in self._frame_runs(framed):
            self._done += len(self._batch)
            self._batch = []
            self._it = _EMPTY
            if isinstance(run, list):
                self._batch = run
            else:
                self._done += len(run)
            yield run

    def _frame_runs(self, framed: Callable[[int], bool] | None) -> Iterator[Frames | list[Record]]:
        """What ``frames`` yields, for a reader that ``skims``."""
        raise NotImplementedError

    def _emit(self, batch: list[Record]) -> Iterator[Record]:
        """Make ``batch`` the current one (the previous one has been consumed)."""
        self._done += len(self._batch)
        self._batch = batch
        self._it = it = iter(batch)
        return it

    def stop(self) -> None:
        """Drop the records not yet handed out (the capture is being closed)."""
        self._done += len(self._batch) - length_hint(self._it)
        self._batch.clear()
        self._batch = []

    def problem(
        self, record: int | None, offset: int | None, message: str, kind: ProblemKind
    ) -> None:
        """Note a problem (only the first ``MAX_PROBLEMS`` are listed)."""
        self._problem_count += 1
        if self._problem_count <= MAX_PROBLEMS:
            self.problems.append(Problem(record, offset, message, self.layer, kind))
        elif self._problem_count == MAX_PROBLEMS + 1:
            self.problems.append(
                Problem(
                    record,
                    offset,
                    f"more than {MAX_PROBLEMS} problems in this capture; the rest are not listed",
                    self.layer,
                    ProblemKind.LIMIT,
                )
            )

    def truncated(self, count: int, first: int) -> None:
        """Count ``count`` records stored shorter than sent, the first of them ``first``."""
        if count:
            if not self.stats.get("truncated"):
                self.stats["first_truncated"] = first
            self.stats["truncated"] = self.stats.get("truncated", 0) + count

    def header_cut_short(self, record: int, offset: int, hdr: int) -> None:
        """The file ended (or failed) inside the ``hdr``-byte header of ``record``: report a
        read error, or the cut header; a clean end of file reports nothing."""
        left = len(self.src.buf)
        if self.src.error is not None:
            self.read_error(record, offset)
        elif left and not self.src.closed:
            self.problem(
                record,
                offset,
                f"record {record} at offset 0x{offset:x}: a record header is {hdr} bytes, "
                f"file ends after {left}",
                ProblemKind.TRUNCATED,
            )

    def ended_inside(
        self, record: int, offset: int, message: str, *, numbered: bool = True
    ) -> None:
        """The file ended (or failed) inside the body of ``record``: report a read error, or
        the cut (``message``); a file closed under the reader reports nothing.  A block that
        is not a numbered record (``numbered`` false) reports the cut without a number."""
        if self.src.error is not None:
            self.read_error(record, offset)
        elif not self.src.closed:
            self.problem(record if numbered else None, offset, message, ProblemKind.TRUNCATED)

    def read_error(self, record: int, offset: int) -> None:
        """Report a read error that ended the file early, if there was one."""
        if self.src.error is not None:
            self.problem(
                record,
                offset,
                f"record {record} at offset 0x{offset:x}: reading the file failed "
                f"({self.src.error}); the rest of the file is not read",
                ProblemKind.READ_ERROR,
            )


class Frames:
    """A run of whole records, framed but not yet made into ``Record``s: the consumer that
    can tell from a few bytes which records matter (``bpdiag.analysis.run``) makes only
    those (``record``).

    Record ``i`` (0-based) of the run has index ``first + i + 1``; its header starts at
    ``buf[heads[i]]``, its payload at ``heads[i] + hdr`` and ends at ``ends[i + 1]``
    (``heads`` and ``ends`` have one entry more than the run has records; ``heads[-1]`` is
    where the record after the run starts).  ``changes`` lists, in order, the records whose
    stored length or distance to the next record differs from the one's before them
    (``same_size``).  All are of ``link_type``.  For btsnoop and pcap ``buf`` is the file's
    buffer (from offset ``base``) and a payload ends where the next header starts: ``ends``
    is ``heads``.  A format with more than a header between two payloads (pcapng's
    padding, options and trailer) has ``ends`` of its own, and says what a record's
    timestamp is (``time``) and what it is (``record``)."""

    __slots__ = ("base", "buf", "changes", "ends", "first", "hdr", "heads", "link_type")

    def __init__(
        self,
        buf: bytes,
        base: int,
        first: int,
        heads: list[int],
        changes: list[int],
        hdr: int,
        link_type: int,
        ends: list[int] | None = None,
    ) -> None:
        self.buf = buf
        self.base = base
        self.first = first
        self.heads = heads
        self.ends = heads if ends is None else ends
        self.changes = changes
        self.hdr = hdr
        self.link_type = link_type

    def __len__(self) -> int:
        return len(self.heads) - 1

    def offset(self, i: int) -> int:
        """Where record ``i`` of the run starts in the file."""
        return self.base + self.heads[i]

    def time(self, i: int) -> float:
        """The timestamp of record ``i`` of the run (without making it)."""
        raise NotImplementedError

    def record(self, i: int) -> Record:
        """Record ``i`` of the run."""
        raise NotImplementedError

    def same_size(self, i: int, stop: int) -> int:
        """How many records from ``i`` on (and before ``stop``) are as long as record
        ``i`` and as far from the next: records that lie in ``buf`` at a fixed stride, so
        that a field of each is the strided slice ``buf[heads[i] + offset :: stride]``."""
        changes = self.changes
        j = bisect_right(changes, i)
        return (min(stop, changes[j]) if j < len(changes) else stop) - i


class _ReaderFrames(Frames):
    """``Frames`` of a ``FramedReader``: records as they lie in the file's buffer."""

    __slots__ = ("_reader",)

    def __init__(
        self,
        reader: FramedReader,
        buf: bytes,
        base: int,
        first: int,
        heads: list[int],
        changes: list[int],
    ) -> None:
        super().__init__(buf, base, first, heads, changes, reader.record_header, reader.link_type)
        self._reader = reader

    def time(self, i: int) -> float:
        return self._reader._time_at(self.buf, self.heads[i])

    def record(self, i: int) -> Record:
        heads = self.heads
        return self._reader._record_at(
            self.buf, self.base, heads[i], heads[i + 1], self.first + i + 1
        )


class FramedReader(BatchReader):
    """A format of fixed-size record headers each followed by the bytes its length field
    gives (btsnoop, pcap): the framing loop, shared.

    A subclass says where the records start (``first_record``), how long a record header is
    (``record_header``), where its two lengths are (``_lengths``: a struct that unpacks the
    stored and the original length, in either order, and ``_ordered``), how to make records
    (``_record_at``, ``_records``) and read their timestamps (``_time_at``), the longest record that
    can be framed (``hard_limit``), the longest the hot loop takes without a look
    (``_fast``) and what to do with a complete record the hot loop left (``_odd_record``).
    Damage becomes a ``Problem``, never an exception: a stored length past ``hard_limit``
    or a file that ends inside a record ends the iteration.
    """

    first_record = 0
    record_header = 0
    hard_limit = 0
    length_name = "length"
    stored_name = "bytes"  # what the stored length counts, for the "file ends" problem
    _lengths = struct.Struct("")
    _fast = 0

    def batches(self) -> Generator[Iterator[Record], None, None]:
        for run in self._runs():
            if isinstance(run, list):
                yield self._emit(run)
            else:
                yield self._emit(self._records(run.buf, run.base, run.heads, run.first))

    def _frame_runs(self, framed: Callable[[int], bool] | None) -> Iterator[Frames | list[Record]]:
        """The records as runs of ``Frames``, and the odd records (kept with a problem) as
        lists of one ``Record``; a file of one link type has no use for ``framed``."""
        return self._runs()

    @property
    def skims(self) -> bool:
        """Whether records are framed by ``_skim`` (and so can be read as ``Frames``); a
        reader with a ``_frame`` loop of its own makes its records there."""
        return type(self)._frame is FramedReader._frame

    def _runs(self) -> Generator[Frames | list[Record], None, None]:
        src = self.src
        hdr = self.record_header
        index = 0
        pos = self.first_record
        skims = self.skims
        while True:
            buf = src.buf
            base = src.base
            if skims:
                heads: list[int] = []
                changes: list[int] = []
                end = self._skim(buf, pos, index, heads, changes)
                if heads:
                    heads.append(end)
                    run = _ReaderFrames(self, buf, base, index, heads, changes)
                    index += len(heads) - 1
                    pos = end
                    yield run
            else:
                out: list[Record] = []
                pos, index = self._frame(buf, base, pos, index, out)
                if out:
                    yield out
            # The record at ``pos`` is incomplete in the buffer, or odd.
            n = len(buf)
            offset = base + pos
            where = f"record {index + 1} at offset 0x{offset:x}"
            if n - pos < hdr:
                if src.refill(pos, hdr):
                    pos = 0
                    continue
                self.header_cut_short(index + 1, offset, hdr)
                return
            if buf[pos : pos + hdr] == bytes(hdr):
                # two headers' worth of zeros is no record (one could be an empty one at 0 s)
                if n - pos < 2 * hdr:
                    if src.refill(pos, 2 * hdr):
                        pos = 0
                        continue
                    buf, pos, n = src.buf, 0, len(src.buf)  # the file ends within them
                elif buf[pos : pos + 2 * hdr] == bytes(2 * hdr):
                    self._zeros(index + 1, offset, pos)
                    return
            incl = self._stored(buf, pos)
            bad = self._bad_length(incl)
            if bad is not None:
                again = self._file_header_at(buf, pos)
                if again is not None and n - pos < again[0] and src.refill(pos, again[0]):
                    pos = 0
                    continue
                if again is not None and n - pos >= again[0]:
                    size, same = again
                    self.problem(
                        index + 1,
                        offset,
                        f"{where} is a second file header (files joined end to end): "
                        + (
                            "its records are read on"
                            if same
                            else "its link type differs, so the rest is not read"
                        ),
                        ProblemKind.INVALID if same else ProblemKind.UNSUPPORTED,
                    )
                    if not same:
                        return
                    pos += size
                    continue
                self.problem(
                    index + 1,
                    offset,
                    f"{where}: {bad}; the rest of the file cannot be framed",
                    ProblemKind.BAD_LENGTH,
                )
                return
            end = pos + hdr + incl
            if end > n:
                if src.refill(pos, hdr + incl):
                    pos = 0
                    continue
                self.ended_inside(
                    index + 1,
                    offset,
                    f"{where}: header says {incl} {self.stored_name}, file ends after "
                    f"{len(src.buf) - hdr}",
                )
                return
            index += 1
            odd = self._odd_record(buf, pos, end, index, offset, where)
            if odd is not None:
                yield [odd]
            pos = end

    def _skim(self, buf: bytes, pos: int, index: int, heads: list[int], changes: list[int]) -> int:
        """Frame the plain records from ``buf[pos:]``, appending where each starts to
        ``heads`` (and to ``changes`` the position in ``heads`` of each whose stored length
        differs from the one's before it, see ``Frames``); stop at the first that is
        incomplete or odd.  Returns where it stopped.

        The hot loop: one unpack per record.  The two lengths are told apart only when they
        differ (a record stored shorter than it was: counted, not a problem)."""
        unpack = self._lengths.unpack_from
        hdr = self.record_header
        fast = self._fast
        n = len(buf)
        add = heads.append
        truncated = 0
        first_truncated = 0
        last = -1  # the stored length of the record before
        zero = bytes(2 * hdr)  # two record headers of zeros: no empty record at time 0
        while pos + hdr <= n:
            a, b = unpack(buf, pos)
            end = pos + hdr + a
            if a != b or end > n or a > fast or not a:
                incl, orig = self._ordered(a, b)
                end = pos + hdr + incl
                if incl > orig or end > n or incl > fast:
                    break
                if incl < orig:
                    truncated += 1
                    if not first_truncated:
                        first_truncated = index + len(heads) + 1
                elif buf[pos : pos + 2 * hdr] == zero:
                    break  # zeros where records should be: ``_zeros``
            if end - pos != last:
                last = end - pos
                changes.append(len(heads))
            add(pos)
            pos = end
        self.truncated(truncated, first_truncated)
        return pos

    def _frame(
        self, buf: bytes, base: int, pos: int, index: int, out: list[Record]
    ) -> tuple[int, int]:
        """For a reader that does not ``skims`` (its own loop): append the plain records
        from ``buf[pos:]`` to ``out``; stop at the first that is incomplete or odd.  Returns
        the new ``(pos, index)``."""
        raise NotImplementedError

    def _zeros(self, index: int, offset: int, pos: int) -> None:
        """An all-zero record header (no record has a zero time and length): the file's
        bytes from there on are zeros — a log preallocated, or written up to a crash — or a
        hole of zeros; one problem says how many there are, and reading stops."""
        src = self.src
        zeros = 0
        while True:
            buf = src.buf
            rest = buf[pos:].lstrip(b"\x00")
            if rest:
                zeros += len(buf) - pos - len(rest)
                after = "; data follows them, but no record boundary can be found in it"
                break
            zeros += len(buf) - pos
            src.refill(len(buf), CHUNK)
            pos = 0
            if not src.buf:
                after = ", to the end of the file (a log preallocated, or cut short by a crash)"
                break
        self.problem(
            index,
            offset,
            f"record {index} at offset 0x{offset:x}: {zeros} bytes of zeros where records "
            f"should be{after}",
            ProblemKind.TRUNCATED,
        )

    def _file_header_at(self, buf: bytes, pos: int) -> tuple[int, bool] | None:
        """A file header of this format where a record header was expected (two files
        joined with ``cat``): its size and whether its link type is this file's; None when
        there is none (the default: a format that cannot tell)."""
        return None

    def _stored(self, buf: bytes, pos: int) -> int:
        """The stored length in the record header at ``pos``."""
        return self._ordered(*self._lengths.unpack_from(buf, pos))[0]

    def _ordered(self, a: int, b: int) -> tuple[int, int]:
        """``(stored, original)`` length from what ``_lengths`` unpacked."""
        return a, b

    def _record_at(self, buf: bytes, base: int, pos: int, end: int, index: int) -> Record:
        """The plain record whose header is at ``buf[pos]`` and which ends at ``end``."""
        raise NotImplementedError

    def _records(self, buf: bytes, base: int, heads: list[int], first: int) -> list[Record]:
        """The records of a run (see ``Frames``), made at once."""
        make = self._record_at
        return [
            make(buf, base, heads[i], heads[i + 1], first + i + 1) for i in range(len(heads) - 1)
        ]

    def _time_at(self, buf: bytes, pos: int) -> float:
        """The timestamp of the record whose header is at ``buf[pos]``."""
        raise NotImplementedError

    def _limit_text(self) -> str:
        return f"{self.hard_limit} bytes"

    def _bad_length(self, stored: int) -> str | None:
        """Why a stored length cannot be framed, or ``None`` when it can."""
        if stored > self.hard_limit:
            return f"{self.length_name} {stored} is more than {self._limit_text()}"
        return None

    def _odd_record(
        self, buf: bytes, pos: int, end: int, index: int, offset: int, where: str
    ) -> Record | None:
        """A complete record the hot loop did not take: kept, with its problems (``None``:
        counted, not kept)."""
        raise NotImplementedError


def hexbytes(data: bytes) -> str:
    """``b"\\x0a\\x0d"`` → ``"0a 0d"`` for messages."""
    return data.hex(" ") if data else "nothing"


class EndOnError(io.RawIOBase):
    """A raw binary stream that ends where reading ``f`` fails, with a problem saying where
    and why (a text reader then keeps what it read before, as the binary readers do), or
    where ``failed`` says an earlier read of it failed (the sniff that read its head)."""

    def __init__(
        self, f: BinaryIO, problems: list[Problem], layer: Stage, failed: str | None = None
    ) -> None:
        super().__init__()
        self._f = f
        self._problems = problems
        self._layer = layer
        self._failed = failed
        self._offset = 0

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        view = memoryview(b).cast("B")
        try:
            data = self._f.read(len(view))
        except OSError as exc:
            self._failed, data = exc.strerror or str(exc), b""
        if not data:
            if self._failed is not None:
                self._problems.append(
                    Problem(
                        None,
                        self._offset,
                        f"reading the file failed ({self._failed}); the rest of the file is "
                        "not read",
                        self._layer,
                        ProblemKind.READ_ERROR,
                    )
                )
                self._failed = None
            return 0
        view[: len(data)] = data
        self._offset += len(data)
        return len(data)

    def close(self) -> None:
        self._f.close()
        super().close()


class PrefixedRaw(io.RawIOBase):
    """A raw binary stream that returns ``prefix`` first, then what ``f`` reads: bytes sniffed
    from a pipe (which cannot seek back) are read again through it.  With ``error`` (what
    ended the sniffing), that is raised after the prefix instead: a stream that reports
    damage once (a decompressor) would not report it again."""

    def __init__(self, prefix: bytes, f: BinaryIO, error: OSError | None = None) -> None:
        super().__init__()
        self._prefix = memoryview(bytes(prefix))
        self._f = f
        self._error = error

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        view = memoryview(b).cast("B")
        if self._prefix:
            n = min(len(view), len(self._prefix))
            view[:n] = self._prefix[:n]
            self._prefix = self._prefix[n:]
            return n
        if self._error is not None:
            raise self._error
        data = self._f.read(len(view))
        if not data:
            return 0
        view[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._f.close()
        super().close()
