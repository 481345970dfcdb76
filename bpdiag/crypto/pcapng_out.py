"""A minimal pcapng writer for ``bpdiag decrypt``: one Section Header Block, one Interface
Description Block (LINKTYPE_BLUETOOTH_LE_LL_WITH_PHDR, 256) and an Enhanced Packet Block per
packet, microsecond timestamps (pcapng spec, draft-ietf-opsawg-pcapng, 4.1–4.3).

The file is created owner-only (0600): it holds what the link protected."""

from __future__ import annotations

import errno
import os
import struct
from types import TracebackType
from typing import BinaryIO

LINKTYPE_LE_LL_WITH_PHDR = 256
_SHB, _IDB, _EPB = 0x0A0D0D0A, 0x00000001, 0x00000006
_MAGIC = 0x1A2B3C4D


def _block(kind: int, body: bytes) -> bytes:
    pad = (-len(body)) % 4
    total = 12 + len(body) + pad
    return struct.pack("<II", kind, total) + body + bytes(pad) + struct.pack("<I", total)


class PcapngWriter:
    """``with PcapngWriter(path) as w: w.packet(timestamp, data)``."""

    def __init__(self, path: str, link_type: int = LINKTYPE_LE_LL_WITH_PHDR) -> None:
        # not through a symbolic link: the decrypted capture goes where the user named it
        nofollow = getattr(os, "O_NOFOLLOW", 0)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | nofollow, 0o600)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise OSError(
                    exc.errno,
                    f"{path} is a symbolic link: the decrypted capture is not written through it",
                ) from None
            raise
        os.fchmod(fd, 0o600)  # also when the file existed with wider permissions
        self._f: BinaryIO = os.fdopen(fd, "wb")
        self._f.write(_block(_SHB, struct.pack("<IHHq", _MAGIC, 1, 0, -1)))
        self._f.write(_block(_IDB, struct.pack("<HHI", link_type, 0, 0)))
        self.packets = 0

    def packet(self, timestamp: float | None, data: bytes) -> None:
        us = max(0, round((timestamp or 0.0) * 1e6))
        head = struct.pack("<IIIII", 0, us >> 32, us & 0xFFFFFFFF, len(data), len(data))
        self._f.write(_block(_EPB, head + bytes(data)))
        self.packets += 1

    def close(self) -> None:
        self._f.close()

    def __enter__(self) -> PcapngWriter:
        return self

    def __exit__(
        self, t: type[BaseException] | None, v: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
