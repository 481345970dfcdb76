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
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from bpdiag.capture import Capture, format_of
from bpdiag.capture._open import open_regular
from bpdiag.capture.record import Problem
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


class _ZipEntry(io.RawIOBase):
    """A zip entry read as a raw stream; zip damage becomes ``OSError`` (which the readers
    turn into a problem and keep what they read before it)."""

    def __init__(self, f: BinaryIO) -> None:
        super().__init__()
        self._f = f

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        try:
            data = self._f.read(len(b))
        except (zipfile.BadZipFile, zlib.error, EOFError, ValueError) as exc:
            raise OSError(f"the zip entry is damaged: {exc or type(exc).__name__}") from None
        memoryview(b).cast("B")[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._f.close()
        super().close()


def _spool_stdin() -> tuple[str, bytes, BinaryIO]:
    """Standard input's first bytes, and the stream that reads them again."""
    raw = open(sys.stdin.fileno(), "rb", buffering=0, closefd=False)  # noqa: SIM115
    head = b""
    while len(head) < _SNIFF:
        more = raw.read(_SNIFF - len(head))
        if not more:
            break
        head += more
    from bpdiag.capture._io import PrefixedRaw

    return "-", head, PrefixedRaw(head, raw)  # type: ignore[return-value]


def open_inputs(path: str | os.PathLike[str]) -> Iterator[Input]:
    """The captures in ``path`` (see the module docstring), opened one at a time.

    Raises ``UnreadableCapture`` when ``path`` holds nothing bpdiag can read.
    """
    name = os.fsdecode(path)
    if name == "-":
        _, head, stream = _spool_stdin()
        if format_of(head) == "zip":
            with tempfile.TemporaryFile() as tmp:
                shutil.copyfileobj(stream, tmp, 1 << 20)
                tmp.seek(0)
                yield from _zip_inputs("-", tmp)
            return
        yield Input("-", Capture("-", stream))
        return
    try:
        with open_regular(name) as f:  # a FIFO or device is refused, not waited on
            head = f.read(_SNIFF)
    except (OSError, UnreadableCapture):
        head = b""  # Capture says what is wrong
    if format_of(head) != "zip":
        yield Input(name, Capture(name))
        return
    try:
        zf_file = open_regular(name)
    except OSError as exc:
        raise UnreadableCapture(f"cannot be opened: {exc.strerror or exc}") from None
    with zf_file:
        yield from _zip_inputs(name, zf_file)


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
        candidates = [i for i in infos if not i.is_dir() and _LOG_NAME.search(i.filename)]
        if len(candidates) > MAX_LOGS:
            notes.append(
                Problem(
                    None,
                    None,
                    f"the zip holds {len(candidates)} entries named like HCI logs; the first "
                    f"{MAX_LOGS} are analysed",
                    Stage.ZIP,
                )
            )
            candidates = candidates[:MAX_LOGS]
        # Sniff every candidate first, so that what is wrong with any of them reaches the
        # first analysis (one entry at a time is open, 4 KiB read from each).
        logs = [i for i in candidates if _sniff_entry(zf, i, notes)]
        found = False
        for info in logs:
            inp = _open_entry(zf, name, info, notes)
            if inp is not None:
                found = True
                notes = []
                yield inp
        if found:
            return
        main = _main_text(zf, infos)
        if main is not None:
            inp = _open_entry(zf, name, main, notes)
            if inp is not None:
                yield inp
                return
        detail = "; ".join(p.message for p in notes)
        raise UnreadableCapture(
            "is a zip with no HCI log bpdiag reads (no btsnoop_hci.log, btsnooz_hci.log or "
            "bug report text with a BTSNOOP_LOG_SUMMARY section)"
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


def _sniff_entry(zf: zipfile.ZipFile, info: zipfile.ZipInfo, notes: list[Problem]) -> bool:
    """Whether ``info``'s first bytes are a capture format (not a zip); if not, a note."""
    if _bomb(info, notes):
        return False
    try:
        with zf.open(info) as f:
            head = f.read(_SNIFF)
    except _ZIP_ERRORS as exc:
        notes.append(Problem(None, None, f"{info.filename}: cannot be read ({exc})", Stage.ZIP))
        return False
    fmt = format_of(head)
    if fmt is None or fmt == "zip":
        what = "is empty" if not head else f"is no capture format (first bytes {head[:8].hex(' ')})"
        notes.append(Problem(None, None, f"{info.filename}: {what}; skipped", Stage.ZIP))
        return False
    return True


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
