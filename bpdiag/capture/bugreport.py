"""Inputs that hold several captures, or come from a pipe: ``open_inputs(path)``.

- A capture file: one input.
- ``"-"``: standard input, sniffed from a buffered prefix and streamed on; a zip on standard
  input is spooled to a temporary file first (a zip's directory is at its end).
- An Android bug report zip (``adb bugreport``): every HCI log inside it, wherever the
  device put it — ``FS/data/misc/bluetooth/logs/btsnoop_hci.log`` and its ``.last`` /
  ``.filtered`` siblings, ``btsnooz_hci.log``, vendor folders (``FS/data/log/bt/``,
  ``FS/data/vendor/…``, ``FS/sdcard/…``): any entry whose name says btsnoop / btsnooz / hci
  log and whose first bytes are a format bpdiag reads.  Each is one input, named
  ``zip-path:entry-name``.  When none is inside, the main text (``bugreport-*.txt``, named
  by ``main_entry.txt``) is read for its btsnooz section.
- Any other zip (a user's own): every entry whose content is a capture, whatever its name.
- A tar, plain or compressed (``bpdiag.capture.compressed``): every member whose content is
  a capture, read in one pass as the archive streams.
- A compressed zip or capture: the same, as it decompresses.

Bounds: at most ``MAX_ENTRIES`` entries are listed and ``MAX_LOGS`` logs analysed; an
entry that declares more than ``MAX_RATIO`` times its compressed size and over
``MAX_ENTRY`` bytes is refused (a zip bomb); every entry is streamed, never held.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import sys
import tarfile
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO, cast

from bpdiag.capture import Capture, format_of
from bpdiag.capture._open import open_regular
from bpdiag.capture.compressed import READABLE, UNDO, Decompressing, compression_of
from bpdiag.capture.record import Problem, ProblemKind
from bpdiag.errors import Stage, UnreadableCapture

MAX_ENTRIES = 100_000
MAX_LOGS = 32
MAX_ENTRY = 256 << 20
MAX_RATIO = 100
_LOG_NAME = re.compile(r"(btsnoo[pz]|hci[_-]?(snoop|log)|\.cfa$|\.pklg$)", re.IGNORECASE)
_SNIFF = 4096
_ZIP_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    NotImplementedError,
    OSError,
    RuntimeError,
    ValueError,
    EOFError,
    zlib.error,
)
"""What the zipfile module raises on a damaged archive or entry."""


@dataclass
class Input:
    """One capture to analyse: its name (``zip:entry`` inside a zip), the open capture, and
    problems found before it was opened (about the zip around it)."""

    name: str
    capture: Capture
    problems: list[Problem] = field(default_factory=list)
    after: list[Problem] = field(default_factory=list)
    """What the archive showed wrong after this input was handed out (a tar cut or damaged
    past its last whole capture): told with this input, the last one."""


class _ZipEntry(io.RawIOBase):
    """A zip or tar entry read as a raw stream; damage becomes ``OSError`` (which the readers
    turn into a problem and keep what they read before it)."""

    def __init__(self, f: BinaryIO) -> None:
        super().__init__()
        self._f = f

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        try:
            data = self._f.read(len(b))
        except (zipfile.BadZipFile, tarfile.TarError, zlib.error, EOFError, ValueError) as exc:
            raise OSError(f"the archive entry is damaged: {exc or type(exc).__name__}") from None
        memoryview(b).cast("B")[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._f.close()
        super().close()


def _spool_stdin() -> tuple[str, bytes, BinaryIO]:
    """Standard input's first bytes, and the stream that reads them again."""
    raw = open(sys.stdin.fileno(), "rb", buffering=0, closefd=False)  # noqa: SIM115
    head, stream = _peek(raw)
    return "-", head, stream


def _peek(f: BinaryIO, n: int = _SNIFF) -> tuple[bytes, BinaryIO]:
    """The first ``n`` bytes of ``f`` (fewer if it ends or fails), and the stream that reads
    them again, then the rest: a failure while sniffing is raised there after the bytes
    before it, so it becomes the reader's problem (a decompressor, which reports damage once,
    lost it here before)."""
    from bpdiag.capture._io import PrefixedRaw

    head = b""
    error: OSError | None = None
    try:
        while len(head) < n:
            more = f.read(n - len(head))
            if not more:
                break
            head += more
    except OSError as exc:
        error = exc
    return head, PrefixedRaw(head, f, error)  # type: ignore[return-value]


def _is_tar(head: bytes) -> bool:
    """A POSIX ustar or GNU tar archive: the magic at offset 257 of its first header."""
    return head[257:262] == b"ustar"


def open_inputs(path: str | os.PathLike[str]) -> Iterator[Input]:
    """The captures in ``path`` (see the module docstring), opened one at a time.

    Raises ``UnreadableCapture`` when ``path`` holds nothing bpdiag can read.
    """
    name = os.fsdecode(path)
    if name == "-":
        _, head, stream = _spool_stdin()
    else:
        try:
            with open_regular(name) as f:  # a FIFO or device is refused, not waited on
                head = f.read(_SNIFF)
        except (OSError, UnreadableCapture):
            head = b""  # Capture says what is wrong
        stream = None
    kind = compression_of(head)
    if format_of(head) != "zip" and kind not in READABLE and not _is_tar(head):
        yield Input(name, Capture(name, stream))  # a capture (a compressed one is read by
        return  # Capture as it inflates)
    if stream is None:
        try:
            stream = open_regular(name)
        except OSError as exc:
            raise UnreadableCapture(f"cannot be opened: {exc.strerror or exc}") from None
    with stream:
        if kind in READABLE:  # a compressed zip or tar (capture.tar.gz)?
            head, stream = _peek(cast(BinaryIO, Decompressing(stream, kind)))
            if format_of(head) != "zip" and not _is_tar(head):
                yield Input(name, Capture(name, stream, compression=kind))
                return
        if _is_tar(head):
            yield from _tar_inputs(name, stream)
        elif name != "-" and kind is None:
            yield from _zip_inputs(name, stream)  # a zip file seeks to its directory
        else:  # a zip's directory is at its end: a stream is spooled to a file first
            with tempfile.TemporaryFile() as tmp:
                try:
                    shutil.copyfileobj(stream, tmp, 1 << 20)
                except OSError as exc:
                    raise UnreadableCapture(f"cannot be read: {exc}") from None
                tmp.seek(0)
                yield from _zip_inputs(name, tmp)


def _is_capture(head: bytes) -> bool:
    fmt = format_of(head)
    return fmt is not None and fmt != "zip"


def _tar_inputs(name: str, f: BinaryIO) -> Iterator[Input]:
    """Every member of a tar archive that is a capture (by its content), read in one pass
    as the archive streams (a member is analysed before the next is read)."""
    notes: list[Problem] = []
    found = looked = 0
    last: Input | None = None
    try:
        tf = tarfile.open(fileobj=f, mode="r|")  # noqa: SIM115  (closed with f)
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise UnreadableCapture(f"is a damaged tar archive ({exc})") from None
    try:
        for member in tf:
            if not member.isfile():
                continue
            looked += 1
            if looked > MAX_ENTRIES or found >= MAX_LOGS:
                notes.append(_limit_note(looked, found))
                break
            entry = tf.extractfile(member)
            if entry is None:
                continue
            head, stream = _peek(cast(BinaryIO, _ZipEntry(entry)))  # type: ignore[arg-type]
            if not _is_capture(head) and compression_of(head) not in READABLE:
                if _LOG_NAME.search(member.name):
                    notes.append(_not_capture(member.name, head))
                continue
            label = f"{name}:{member.name}"
            try:
                cap = Capture(label, stream)
            except UnreadableCapture as exc:
                notes.append(Problem(None, None, f"{member.name}: {exc}", Stage.ZIP))
                continue
            found += 1
            last = Input(label, cap, notes)
            yield last
            notes = []
    except (tarfile.TarError, OSError, EOFError) as exc:
        if last is None:
            raise UnreadableCapture(f"is a damaged tar archive ({exc})") from None
        # the captures before the damage were analysed; what came after them is not known
        last.after.append(
            Problem(
                None,
                None,
                f"the tar archive is damaged after {last.name} ({exc}): any capture after it "
                "is not read",
                Stage.ZIP,
                ProblemKind.READ_ERROR,
            )
        )
        return
    if not found:
        detail = "; ".join(p.message for p in notes)
        raise UnreadableCapture(
            f"is a tar archive with no capture bpdiag reads ({looked} files looked at)"
            + (f": {detail}" if detail else "")
        )


def _limit_note(looked: int, found: int) -> Problem:
    return Problem(
        None,
        None,
        f"the archive holds more: {found} captures analysed of the first {looked} files "
        f"(at most {MAX_LOGS} captures, {MAX_ENTRIES} files); the rest is not looked at",
        Stage.ZIP,
    )


def _not_capture(entry: str, head: bytes) -> Problem:
    what = "is empty" if not head else f"is no capture format (first bytes {head[:8].hex(' ')})"
    return Problem(None, None, f"{entry}: {what}; skipped", Stage.ZIP)


def _zip_inputs(name: str, f: BinaryIO) -> Iterator[Input]:
    try:
        zf = zipfile.ZipFile(f)
    except _ZIP_ERRORS as exc:
        raise UnreadableCapture(f"is a damaged zip archive ({exc or type(exc).__name__})") from None
    with zf:
        infos = zf.infolist()
        notes: list[Problem] = []
        if len(infos) > MAX_ENTRIES:
            notes.append(
                Problem(
                    None,
                    None,
                    f"the zip lists {len(infos)} entries; only the first {MAX_ENTRIES} are "
                    "looked at",
                    Stage.ZIP,
                )
            )
            infos = infos[:MAX_ENTRIES]
        main = _main_text(zf, infos)
        files = [i for i in infos if not i.is_dir()]
        named = [i for i in files if _LOG_NAME.search(i.filename)]
        # A bug report holds thousands of files and names its HCI logs (AOSP): those are
        # read.  Any other zip (a user's own) is read by content: every file that is a
        # capture, the ones named like HCI logs first.
        if main is None:
            named += [i for i in files if not _LOG_NAME.search(i.filename)]
        # Sniff the candidates first, so that what is wrong with any of them reaches the
        # first analysis (one entry at a time is open, 4 KiB read from each).
        logs: list[zipfile.ZipInfo] = []
        for i in named:
            if len(logs) >= MAX_LOGS:
                notes.append(
                    Problem(
                        None,
                        None,
                        f"the zip holds more than {MAX_LOGS} captures; the first {MAX_LOGS} "
                        "are analysed",
                        Stage.ZIP,
                    )
                )
                break
            if _sniff_entry(zf, i, notes, quiet=main is None and not _LOG_NAME.search(i.filename)):
                logs.append(i)
        found = False
        for info in logs:
            inp = _open_entry(zf, name, info, notes)
            if inp is not None:
                found = True
                notes = []
                yield inp
        if found:
            return
        if main is not None:
            inp = _open_entry(zf, name, main, notes)
            if inp is not None:
                yield inp
                return
        detail = "; ".join(p.message for p in notes)
        raise UnreadableCapture(
            "is a zip with no capture bpdiag reads (no btsnoop_hci.log, btsnooz_hci.log, "
            "other capture file or bug report text with a BTSNOOP_LOG_SUMMARY section)"
            + (f": {detail}" if detail else "")
        )


def _main_text(zf: zipfile.ZipFile, infos: list[zipfile.ZipInfo]) -> zipfile.ZipInfo | None:
    """The bug report's main text: the entry ``main_entry.txt`` names, else ``bugreport-*.txt``
    at the top level."""
    by_name = {i.filename: i for i in infos}
    main = by_name.get("main_entry.txt")
    if main is not None and main.file_size < 4096:
        try:
            target = zf.read(main).decode("utf-8", "replace").strip()
        except _ZIP_ERRORS:
            target = ""
        if target in by_name:
            return by_name[target]
    for i in infos:
        base = i.filename.rsplit("/", 1)[-1]
        if "/" not in i.filename and base.startswith(("bugreport", "dumpstate")):
            if base.endswith(".txt"):
                return i
    return None


def _sniff_entry(
    zf: zipfile.ZipFile, info: zipfile.ZipInfo, notes: list[Problem], quiet: bool = False
) -> bool:
    """Whether ``info``'s first bytes are a capture format (not a zip), or a compressed
    one; if not, a note (unless ``quiet``: a file of a user's zip not named like a log)."""
    if _bomb(info, notes):
        return False
    try:
        with zf.open(info) as f:
            head = f.read(_SNIFF)
    except _ZIP_ERRORS as exc:
        notes.append(Problem(None, None, f"{info.filename}: cannot be read ({exc})", Stage.ZIP))
        return False
    if _is_capture(head) or compression_of(head) in READABLE:
        return True
    if not quiet:
        notes.append(_not_capture(info.filename, head))
    return False


def _bomb(info: zipfile.ZipInfo, notes: list[Problem]) -> bool:
    if info.file_size > MAX_ENTRY and info.file_size > MAX_RATIO * max(info.compress_size, 1):
        notes.append(
            Problem(
                None,
                None,
                f"{info.filename}: declares {info.file_size} bytes from {info.compress_size} "
                "compressed (a zip bomb?); not read",
                Stage.ZIP,
            )
        )
        return True
    return False


def _open_entry(
    zf: zipfile.ZipFile, name: str, info: zipfile.ZipInfo, notes: list[Problem]
) -> Input | None:
    label = f"{name}:{info.filename}"
    if _bomb(info, notes):
        return None
    try:
        entry = _ZipEntry(zf.open(info))  # type: ignore[arg-type]
        cap = Capture(label, entry)  # type: ignore[arg-type]
    except UnreadableCapture as exc:
        notes.append(Problem(None, None, f"{info.filename}: {exc}", Stage.ZIP))
        return None
    except _ZIP_ERRORS as exc:
        notes.append(Problem(None, None, f"{info.filename}: cannot be read ({exc})", Stage.ZIP))
        return None
    return Input(label, cap, list(notes))


_BINARY_CAPTURES = frozenset({"btsnoop", "pcap", "pcapng", "packetlogger"})


def open_log(path: str) -> tuple[str, BinaryIO]:
    """A stack's log to read as lines of text (``explain --file``), by its content: the file
    itself (``-``: standard input), decompressed when it is gzip, bzip2 or xz (a rotated
    ``syslog.1.gz``, a journal export attached as ``.xz``), or, for a zip, the bug report's
    main text (``adb bugreport`` writes a zip; ``_main_text`` finds its text).  Returns the
    name to show and the text's bytes.  What is no log is ``UnreadableCapture`` with what to
    do: a capture (``bpdiag analyze`` reads it), zstd or LZ4 (the command that decompresses
    it), a zip with no bug report text, a zip read from a stream."""
    if path == "-":  # its buffer (a pipe, a terminal, a test runner's stream alike)
        name = "-"
        head, f = _peek(cast(BinaryIO, sys.stdin.buffer))
    else:
        name = path
        head, f = _peek(open_regular(path))
    kind = compression_of(head)
    if kind is not None and kind not in READABLE:
        f.close()
        raise UnreadableCapture(f"is {kind}-compressed; decompress it first: {UNDO[kind]}")
    if kind is not None:
        head, f = _peek(cast(BinaryIO, Decompressing(f, kind)))
    fmt = format_of(head)
    if fmt in _BINARY_CAPTURES:
        f.close()
        raise UnreadableCapture(
            f"is a capture ({fmt}), not a log: `bpdiag analyze {name}` reads it"
        )
    if fmt != "zip":
        return name, f
    f.close()
    if kind is not None or path == "-":
        raise UnreadableCapture("is a zip read from a stream: save it as a file and give its name")
    try:
        zf = zipfile.ZipFile(path)
    except _ZIP_ERRORS as exc:
        raise UnreadableCapture(f"is a damaged zip archive ({exc or type(exc).__name__})") from None
    main = _main_text(zf, zf.infolist()[:MAX_ENTRIES])
    notes: list[Problem] = []
    if main is None or _bomb(main, notes):
        zf.close()
        why = notes[0].message if notes else "no bugreport-*.txt (or main_entry.txt) in it"
        raise UnreadableCapture(
            f"is a zip with no bug report text to read ({why}); `bpdiag analyze {name}` "
            "reads the captures in it"
        )
    try:
        entry = _ZipEntry(zf.open(main))  # type: ignore[arg-type]
    except _ZIP_ERRORS as exc:
        zf.close()
        raise UnreadableCapture(f"{main.filename}: cannot be read ({exc})") from None
    return f"{name}:{main.filename}", cast(BinaryIO, entry)
