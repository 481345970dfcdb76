"""Compressed captures, read as they decompress: ``btsnoop_hci.log.gz`` as attached to a bug.

A capture posted to an issue tracker or mailed is often gzip-compressed (GitHub takes
``.gz`` attachments, and Wireshark itself reads gzip-compressed pcap and pcapng), sometimes
bzip2 or xz.  The compression is known by its magic bytes, never by the file's name:

- gzip (RFC 1952, 2.3.1): ``1f 8b`` then the method 8 (deflate); members written one after
  another (``cat a.gz b.gz``) are one stream, as ``gzip -d`` reads them;
- bzip2: ``BZh`` and the block size ``1``–``9``;
- xz (the .xz file format, 2.1.1.1): ``fd 37 7a 58 5a 00``.

zstd (``28 b5 2f fd``) and LZ4 frames (``04 22 4d 18``) need libraries the standard library
lacks: they are named in the refusal, with the command that decompresses them.

``Decompressing`` is a raw stream over the decompressed bytes.  Damage (a corrupt block, a
stream cut short by a failed download) is an ``OSError`` raised after everything before it
was handed out, so the reader turns it into a problem and keeps the records read before.
A stream that inflates beyond ``MAX_OUT`` bytes at more than ``MAX_RATIO`` times what it
read (a decompression bomb) is ended the same way.
"""

from __future__ import annotations

import bz2
import io
import lzma
import zlib
from typing import Any, BinaryIO

MAX_OUT = 256 << 20
"""Past this many decompressed bytes, the ratio below is enforced."""
MAX_RATIO = 200
"""At most this many decompressed bytes per compressed byte once past ``MAX_OUT`` (captures
compress about 3–20 times; long runs of identical records somewhat more)."""
_CHUNK = 1 << 13  # compressed bytes per step: damage loses at most what one step inflates


def compression_of(head: bytes) -> str | None:
    """The compression of a file from its first bytes: ``"gzip"``, ``"bzip2"``, ``"xz"``,
    ``"zstd"``, ``"lz4"``, or ``None``."""
    if head[:3] == b"\x1f\x8b\x08":
        return "gzip"
    if head[:3] == b"BZh" and head[3:4] in b"123456789" and head[4:10] == b"1AY&SY":
        return "bzip2"
    if head[:6] == b"\xfd7zXZ\x00":
        return "xz"
    if head[:4] == b"\x28\xb5\x2f\xfd":
        return "zstd"
    if head[:4] == b"\x04\x22\x4d\x18":
        return "lz4"
    return None


READABLE = ("gzip", "bzip2", "xz")
"""The compressions bpdiag decompresses (the others are refused with a command to run)."""

UNDO = {"zstd": "zstd -d FILE", "lz4": "lz4 -d FILE"}
"""How to decompress what bpdiag does not."""


def _new(kind: str) -> Any:
    """A decompressor of ``kind``: zlib's (hands back ``unconsumed_tail``, can ``copy()``),
    or bz2's/lzma's (keep their unconsumed input, say ``needs_input``)."""
    if kind == "gzip":
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    if kind == "bzip2":
        return bz2.BZ2Decompressor()
    return lzma.LZMADecompressor(lzma.FORMAT_XZ)


class Decompressing(io.RawIOBase):
    """The decompressed bytes of ``f`` (compressed with ``kind``, one of ``READABLE``), as a
    raw stream; ``compressed_read`` counts the bytes taken from ``f`` so far."""

    def __init__(self, f: BinaryIO, kind: str) -> None:
        super().__init__()
        self._f = f
        self.kind = kind
        self._d = _new(kind)
        self._carry = b""  # compressed bytes to give the decompressor before reading more
        self._ended = False
        self._damage = ""  # the damage to report once what came before it is handed out
        self.compressed_read = 0
        self.out = 0

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        view = memoryview(b).cast("B")
        if self._ended and self._damage:
            damage, self._damage = self._damage, ""
            raise OSError(damage.format(self.out))
        while not self._ended:
            data = self._more(len(view))
            if data:
                view[: len(data)] = data
                return len(data)
        return 0

    def _more(self, want: int) -> bytes:
        """Up to ``want`` decompressed bytes (empty when this step made none)."""
        d = self._d
        if d.eof:
            rest = d.unused_data + self._carry
            self._carry = b""
            if not rest:
                rest = self._read()
            if not rest or (self.kind == "gzip" and not rest.strip(b"\x00")):
                self._ended = True  # (zeros after the last gzip member: padding)
                return b""
            if self.kind != "gzip" or rest[:2] != b"\x1f\x8b":
                self._ended = True
                raise OSError(
                    f"bytes after the end of the {self.kind} stream are not {self.kind} data "
                    f"(after {self.out} decompressed bytes); not read"
                )
            self._d = d = _new(self.kind)  # the next gzip member
            self._carry = rest
        if self.kind == "gzip":
            # input max_length left over is handed back (``unconsumed_tail``)
            feed = self._carry or d.unconsumed_tail or self._read()
        else:  # bz2/lzma keep what they did not consume, and say when they need more
            feed = (self._carry or self._read()) if d.needs_input else b""
        self._carry = b""
        saved = d.copy() if self.kind == "gzip" else None
        try:
            data: bytes = d.decompress(feed, want)
        except (zlib.error, OSError, EOFError, lzma.LZMAError, ValueError) as exc:
            self._ended = True
            # what the step inflated before the damage is handed out first (gzip: again,
            # from the state before the step, a few bytes at a time)
            self._damage = f"the {self.kind} data is damaged after {{}} decompressed bytes ({exc})"
            data = _salvaged(saved, feed, want) if saved is not None else b""
            if not data:
                raise OSError(self._damage.format(self.out)) from None
        if not data and not feed and not d.eof:
            self._ended = True
            raise OSError(
                f"the {self.kind} stream ends early, after {self.out} decompressed bytes "
                "(a cut download?)"
            )
        self.out += len(data)
        if self.out > MAX_OUT and self.out > MAX_RATIO * max(self.compressed_read, 1):
            self._ended = True
            raise OSError(
                f"the {self.kind} stream inflates to {self.out} bytes from "
                f"{self.compressed_read} (a decompression bomb?); the rest is not read"
            )
        return data

    def _read(self) -> bytes:
        data = self._f.read(_CHUNK)
        if data:
            self.compressed_read += len(data)
        return data or b""

    def close(self) -> None:
        self._f.close()
        super().close()


def _salvaged(d: Any, feed: bytes, want: int) -> bytes:
    """What ``d`` (a zlib decompressor) inflates of ``feed`` before the damage in it."""
    out = []
    have = 0
    for i in range(0, len(feed), 16):
        try:
            part = d.decompress(feed[i : i + 16], want - have)
        except zlib.error:
            break
        out.append(part)
        have += len(part)
        if have >= want or d.unconsumed_tail:
            break
    return b"".join(out)
