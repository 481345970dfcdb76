"""Capture files → records.  ``open_capture(path)`` picks the format by magic bytes only.

Real files lie about their names (``.pcapng`` files that are classic pcap and the reverse),
so the extension is never looked at.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

from bpdiag.capture import btsnoop, pcap, pcapng
from bpdiag.capture.btmon_text import BtmonTextReader, looks_like_btmon_text
from bpdiag.capture.record import Direction, LinkType, Problem, Record
from bpdiag.errors import UnreadableCapture

FORMATS = ("btsnoop", "pcap", "pcapng", "btmon-text")


def sniff_format(path: str | os.PathLike[str]) -> str | None:
    """The format of a file from its first bytes, or ``None`` if it is none we read."""
    try:
        with open(path, "rb") as f:
            head = f.read(4096)
    except OSError:
        return None
    return _format_of(head)


def _format_of(head: bytes) -> str | None:
    """Binary formats by magic; btmon's printed text by its header lines."""
    if head.startswith(btsnoop.MAGIC):
        return "btsnoop"
    if head[:4] in pcap.MAGICS:
        return "pcap"
    if head[:4] == b"\x0a\x0d\x0d\x0a":
        return "pcapng"
    if looks_like_btmon_text(head):
        return "btmon-text"
    return None


class Capture:
    """An open capture: iterate it once for its records; ``problems`` fills as it goes."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        self.problems: list[Problem] = []
        self._pcapng: pcapng.PcapngReader | None = None
        self._text: BtmonTextReader | None = None
        self.stats: dict[str, int] = {}  # "truncated": records shorter than on the wire
        try:
            self._f: BinaryIO = open(self.path, "rb", buffering=1 << 16)  # noqa: SIM115
        except FileNotFoundError:
            raise UnreadableCapture("no such file") from None
        except IsADirectoryError:
            raise UnreadableCapture("is a directory, not a capture file") from None
        except OSError as exc:
            raise UnreadableCapture(f"cannot be read: {exc.strerror or exc}") from None
        try:
            head = self._f.read(4096)
            self._f.seek(0)
            fmt = _format_of(head)
            if fmt is None:
                if not head:
                    raise UnreadableCapture("the file is empty")
                raise UnreadableCapture(
                    f"unknown format (first bytes {head[:8].hex(' ')}); bpdiag reads btsnoop, "
                    "pcap, pcapng and btmon's text output"
                )
            self.format = fmt
            self._iter = self._open(fmt)
        except UnreadableCapture:
            self._f.close()
            raise
        except OSError as exc:
            self._f.close()
            raise UnreadableCapture(f"cannot be read: {exc.strerror or exc}") from None

    def _open(self, fmt: str) -> Iterator[Record]:
        f = self._f
        if fmt == "btsnoop":
            datalink = btsnoop.read_header(f, self.path)
            self.link_type = datalink
            return btsnoop.iter_records(f, datalink, self.problems, self.stats)
        if fmt == "pcap":
            order, tick, snaplen, linktype = pcap.read_header(f)
            self.link_type = linktype
            return pcap.iter_records(f, order, tick, snaplen, linktype, self.problems, self.stats)
        if fmt == "btmon-text":
            text = io.TextIOWrapper(f, encoding="utf-8", errors="replace")
            self._text = BtmonTextReader(text, self.problems)
            self.link_type = LinkType.BTSNOOP_MONITOR
            return self._text.records()
        reader = self._pcapng = pcapng.PcapngReader(f, self.problems, self.stats)
        self.link_type = pcapng.first_link_type(self.path)
        return reader.records()

    def __iter__(self) -> Iterator[Record]:
        """The records, once (the reader's own generator: no wrapper on the hot path)."""
        return self._iter

    @property
    def records(self) -> int:
        """Number of packet records read so far (the last frame number)."""
        if self._pcapng is not None:
            return self._pcapng.index
        if self._text is not None:
            return self._text.index
        return self.stats.get("records", 0)

    def close(self) -> None:
        self._f.close()

    def __enter__(self) -> Capture:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def open_capture(path: str | os.PathLike[str] | Path) -> Capture:
    """Open a capture file; raises ``UnreadableCapture`` with one clear sentence."""
    return Capture(path)


__all__ = [
    "FORMATS",
    "Capture",
    "Direction",
    "LinkType",
    "Problem",
    "Record",
    "open_capture",
    "sniff_format",
]
