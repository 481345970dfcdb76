"""Capture files → records.  ``open_capture(path)`` picks the format by magic bytes only.

Real files lie about their names (``.pcapng`` files that are classic pcap and the reverse),
so the extension is never looked at.  Formats, with their documents:

- btsnoop (Frontline btsnoop format, RFC 1761 style; BlueZ ``src/shared/btsnoop.h``):
  ``bpdiag.capture.btsnoop``;
- pcap (draft-ietf-opsawg-pcap): ``bpdiag.capture.pcap``;
- pcapng (draft-ietf-opsawg-pcapng): ``bpdiag.capture.pcapng``;
- btmon's printed text, as pasted into bug reports: ``bpdiag.capture.btmon_text``;
- hcidump's printed text (``-X`` / ``-t`` …): ``bpdiag.capture.hcidump_text``;
- Wireshark's packet dissections as text with the bytes (``tshark -V -x``, Export Packet
  Dissections): ``bpdiag.capture.wireshark_text``;
- BTstack's HCI dump on a console (``CMD =>`` / ``EVT <=`` / ``ACL <=`` lines):
  ``bpdiag.capture.btstack_text``;
- a Bumble DEBUG log's ACL data lines (``### HOST -> CONTROLLER: ACL: handle=0x…, data=…``):
  ``bpdiag.capture.bumble_text``.  Text logs are told apart by their records anywhere in
  the file (``bpdiag.capture.text_formats``).
- Apple PacketLogger (``.pklg``; no header, plausible first records):
  ``bpdiag.capture.packetlogger``;
- an Android bug report's text (dumpstate) and its btsnooz section: ``bpdiag.capture.btsnooz``;
- an Android bug report zip (each HCI log inside it): ``bpdiag.capture.bugreport``.

``path`` ``"-"`` is standard input; see ``bpdiag.capture.bugreport.open_inputs``.

Errors follow one rule: what makes the file unreadable as a whole (missing, empty, unknown
magic, a file header too short or of an unsupported version or datalink) raises
``UnreadableCapture`` from ``open_capture`` with one sentence; everything wrong after the
header is a ``Problem`` in ``Capture.problems`` and iteration goes on where it can.
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Callable, Generator, Iterator
from itertools import chain
from typing import TYPE_CHECKING, BinaryIO, cast

from bpdiag.capture._io import BatchReader, Closing, EndOnError, Frames, PrefixedRaw, Source
from bpdiag.capture._open import open_regular
from bpdiag.capture.btsnoop import BtsnoopReader
from bpdiag.capture.btsnooz import BtsnoozReader, has_section
from bpdiag.capture.compressed import READABLE, UNDO, Decompressing, compression_of
from bpdiag.capture.packetlogger import PacketLoggerReader
from bpdiag.capture.packetlogger import byte_order as _pklg_order
from bpdiag.capture.pcap import PcapReader
from bpdiag.capture.pcapng import PcapngReader
from bpdiag.capture.record import Direction, LinkType, Problem, Record
from bpdiag.errors import Stage, UnreadableCapture

if TYPE_CHECKING:
    from bpdiag.capture.text_formats import TextReader

# The text readers (bpdiag.capture.text_formats and the two it reads with) are imported when
# a file is not of a binary format: reading a pcap or btsnoop file does not load them.

FORMATS = (
    "btsnoop",
    "pcap",
    "pcapng",
    "btmon-text",
    "hcidump-text",
    "wireshark-text",
    "btstack-text",
    "bumble-text",
    "packetlogger",
    "btsnooz",
    "zip",
)

_SNIFF = 4096
TEXT_FORMATS = (  # the formats read from text (a log, a paste)
    "btmon-text",
    "hcidump-text",
    "wireshark-text",
    "btstack-text",
    "bumble-text",
)
_READERS: dict[str, type[BatchReader]] = {
    "btsnoop": BtsnoopReader,
    "pcap": PcapReader,
    "pcapng": PcapngReader,
    "packetlogger": PacketLoggerReader,
    "btsnooz": BtsnoozReader,
}
_PCAP_MAGICS = (b"\xa1\xb2\xc3\xd4", b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\x3c\x4d", b"\x4d\x3c\xb2\xa1")


def format_of(head: bytes) -> str | None:
    """The format of a file from its first bytes (up to 4 KiB), or ``None``.

    btsnoop: ``btsnoop\\0``; pcap: a1b2c3d4 / a1b23c4d in either byte order; pcapng: the
    Section Header Block type 0a0d0d0a; btmon text: its header lines.
    """
    if head.startswith(b"btsnoop\x00"):
        return "btsnoop"
    if head[:4] in _PCAP_MAGICS:
        return "pcap"
    if head.startswith(b"\x0a\x0d\x0d\x0a"):
        return "pcapng"
    if head.startswith(b"PK\x03\x04"):
        return "zip"
    if has_section(head):
        return "btsnooz"
    from bpdiag.capture.text_formats import text_format

    text = text_format(head)
    if text is not None:
        return text
    if _pklg_order(head):
        return "packetlogger"
    return None


def sniff_format(path: str | os.PathLike[str]) -> str | None:
    """The format of a file from its first bytes, or ``None`` if it is none bpdiag reads
    (or cannot be read)."""
    try:
        with open_regular(os.fspath(path)) as f:  # never blocks on a FIFO
            head = f.read(_SNIFF)
    except (OSError, UnreadableCapture):
        return None
    return format_of(head)


def _unknown_format(head: bytes) -> UnreadableCapture:
    from bpdiag.capture.text_formats import is_text, text_encoding

    shown = head[:8].hex(" ")
    return UnreadableCapture(
        f"unknown format (first bytes {shown}); bpdiag reads btsnoop (62 74 73 6e 6f 6f 70 "
        "00), pcap (a1 b2 c3 d4 or a1 b2 3c 4d, either byte order), pcapng (0a 0d 0d 0a), "
        "btmon's or hcidump's text output, BTstack's console HCI dump (CMD => / EVT <= "
        "lines), a Bumble DEBUG log's ACL lines, Wireshark's packet dissection text with the "
        "bytes (tshark -V -x), Apple PacketLogger files (.pklg, not its text export) and "
        "Android bug reports (zip or text), also gzip/bzip2/xz-compressed or in a zip or tar"
        + (
            "; a stack's log (logcat, bluetoothd, nRF Connect …) is no capture, but `bpdiag "
            "explain --file FILE` explains the errors it names"
            if is_text(head, text_encoding(head))
            else ""
        )
    )


class Capture(Closing):
    """An open capture file.

    Iterate it (once) for its ``Record``s; ``problems`` fills as damage is met, ``records``
    counts the records handed out so far.  ``format`` is ``"btsnoop"``, ``"pcap"``,
    ``"pcapng"`` or ``"btmon-text"``; ``link_type`` the btsnoop datalink, the pcap link type
    or the link type of the first pcapng interface (-1 if the file describes none).
    ``stats`` counts records stored shorter than they were sent (``"truncated"``,
    ``"first_truncated"``).  Use it as a context manager, or call ``close()``.
    """

    path: str
    format: str
    problems: list[Problem]

    def __init__(
        self,
        path: str | os.PathLike[str],
        fileobj: BinaryIO | None = None,
        compression: str | None = None,
    ) -> None:
        """Open ``path``; or, with ``fileobj``, read that (a pipe, a zip entry, a followed
        file) and use ``path`` only as its name; ``compression``: what ``fileobj`` was
        decompressed from (it is not decompressed again)."""
        self.path = os.fsdecode(path)
        self.problems = []
        self.stats: dict[str, int] = {}
        self._reader: BatchReader | None = None
        self._text: TextReader | None = None
        self._link_type = -1
        self._count = 0
        self.compression = compression  # "gzip", "bzip2", "xz": read as it decompresses
        if fileobj is not None:
            self._f = fileobj
        elif self.path == "-":
            self._f = open(sys.stdin.fileno(), "rb", buffering=0, closefd=False)  # noqa: SIM115
        else:
            self._f = open_regular(self.path)  # refuses FIFOs and devices instead of blocking
        try:
            self._gen, self._iter = self._open()
        except OSError as exc:
            self._f.close()
            raise UnreadableCapture(f"cannot be read: {exc.strerror or exc}") from None
        except BaseException:
            self._f.close()
            raise

    def _open(self) -> tuple[Generator[object, None, None], Iterator[Record]]:
        """Sniff the format, read the file header; the record iterator (and its generator)."""
        src = Source(self._f)
        src.refill(0, _SNIFF)
        if src.error is not None and not src.buf:
            raise UnreadableCapture(f"cannot be read: {src.error}")
        head = src.buf
        kind = compression_of(head)
        if kind is not None and self.compression is None:  # (one level: no gzip in gzip)
            if kind not in READABLE:
                raise UnreadableCapture(
                    f"is {kind}-compressed, which bpdiag does not decompress: run "
                    f"`{UNDO[kind].replace('FILE', os.path.basename(self.path) or 'FILE')}` "
                    "and give bpdiag the file it writes"
                )
            self.compression = kind
            self._f = cast(BinaryIO, Decompressing(self._rewound(src), kind))
            return self._open()
        fmt = format_of(head)
        if fmt is None and head[257:262] == b"ustar":
            fmt = "tar"  # (open_inputs reads the captures in it)
        if fmt is None or fmt in TEXT_FORMATS:
            from bpdiag.capture.text_formats import (
                scan_text_format,
                text_encoding,
                text_reader,
            )
        try:
            seekable = self._f.seekable()
        except (OSError, ValueError):
            seekable = False
        if (
            fmt is None
            and seekable
            and head
            and (b"\x00" not in head or text_encoding(head) == "utf-16")
        ):
            fmt = scan_text_format(self._f)  # a text log whose records start further on
        if fmt is None:
            if not head:
                raise UnreadableCapture("the file is empty")
            from bpdiag.capture.text_formats import (
                packetlogger_summary_only,
                wireshark_summary_only,
            )

            if packetlogger_summary_only(head):
                raise UnreadableCapture(
                    "is Apple PacketLogger's packet list as text (summary lines only): it "
                    "holds no packet bytes to analyse; attach the PacketLogger file itself "
                    "(File → Save As… in PacketLogger: a .pklg, which bpdiag reads), or, for "
                    "the pairing story its summary lines tell and the errors it names: "
                    "bpdiag explain --file FILE"
                )
            if wireshark_summary_only(head):
                raise UnreadableCapture(
                    "is Wireshark's packet list as text (summary lines only): it holds no "
                    "packet bytes to analyse; export again with the details and the bytes "
                    '(File → Export Packet Dissections → As Plain Text, "Packet Bytes" '
                    "ticked; tshark -V -x), or attach the capture file itself; the pairing "
                    "story its summary lines tell, and the errors its Info column names: "
                    "bpdiag explain --file FILE"
                )
            raise _unknown_format(head)
        if fmt in ("zip", "tar"):
            what = "a zip archive (an Android bug report?)" if fmt == "zip" else "a tar archive"
            raise UnreadableCapture(
                f"is {what}: `bpdiag analyze` and `bpdiag dump` read every capture in it; "
                "for this, extract one capture from it first"
            )
        self.format = fmt
        if fmt in TEXT_FORMATS:
            enc = text_encoding(head)
            # a read that fails (a damaged zip entry or gzip stream) ends the text there;
            # one that failed in the sniff (a pipe's, not read again) is told at the end
            raw = EndOnError(
                self._rewound(src), self.problems, Stage(fmt), src.error if not seekable else None
            )
            text = io.TextIOWrapper(io.BufferedReader(raw), encoding=enc, errors="replace")
            self._text = text_reader(fmt, text, self.problems)
            self._link_type = LinkType.BTSNOOP_MONITOR
            records = self._counted(self._text.records())
            if fmt == "wireshark-text":  # each frame has its own link type: the first's
                self._link_type = -1
                first = next(records, None)
                if first is None:
                    return records, records
                self._link_type = first.link_type
                both = self._chained(first, records)
                return both, both
            return records, records
        reader = _READERS[fmt](src, self.problems, self.stats)
        self._reader = reader
        batches = reader.batches()
        return batches, chain.from_iterable(batches)

    def _rewound(self, src: Source) -> BinaryIO:
        """The file from its first byte again, after ``src`` sniffed its head: sought back,
        or (a pipe) the sniffed bytes read again, then the rest."""
        try:
            if self._f.seekable():
                self._f.seek(0)
                return self._f
        except (OSError, ValueError):
            pass
        return cast(BinaryIO, PrefixedRaw(src.buf, self._f))

    @staticmethod
    def _chained(
        first: Record, rest: Generator[Record, None, None]
    ) -> Generator[Record, None, None]:
        yield first
        yield from rest

    def _counted(self, records: Iterator[Record]) -> Generator[Record, None, None]:
        """Count records of a reader that yields them one by one (btmon text)."""
        for rec in records:
            self._count += 1
            yield rec

    def __iter__(self) -> Iterator[Record]:
        """The records, once: a second loop continues where the first stopped."""
        return self._iter

    def frames(
        self, framed: Callable[[int], bool] | None = None
    ) -> Iterator[Frames | list[Record]] | None:
        """Instead of iterating: the records as runs of ``Frames`` (framed, not yet made into
        ``Record``s) and lists of odd records, for a
        consumer that makes only the records it needs; of a pcapng file, only the records
        of the link types ``framed`` accepts (all if ``None``) are framed.  ``None`` for a
        format not read that way (only btsnoop, pcap and pcapng are), or once the records
        are being iterated."""
        reader = self._reader
        if reader is None or not reader.skims or reader.records:
            return None
        self._gen.close()
        self._gen = runs = reader.frames(framed)
        self._iter = iter(())
        return runs

    @property
    def link_type(self) -> int:
        """btsnoop datalink, pcap link type, or the first pcapng interface's link type."""
        if self._reader is not None:
            return self._reader.link_type
        return self._link_type

    @property
    def records(self) -> int:
        """Number of records yielded so far."""
        if self._reader is not None:
            return self._reader.records
        return self._count

    def close(self) -> None:
        """Close the file; iterating afterwards yields nothing more."""
        if self._reader is not None:
            self._reader.stop()
        self._gen.close()
        self._iter = iter(())
        self._f.close()


def open_capture(path: str | os.PathLike[str]) -> Capture:
    """Open a capture file, choosing its reader by magic bytes.

    Raises ``UnreadableCapture`` (one sentence) when the file is missing, unreadable, empty,
    of an unknown format, or its file header is short or unsupported.
    """
    return Capture(path)


__all__ = [
    "FORMATS",
    "TEXT_FORMATS",
    "Capture",
    "Direction",
    "LinkType",
    "Problem",
    "Record",
    "format_of",
    "open_capture",
    "sniff_format",
]
