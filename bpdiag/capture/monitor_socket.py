"""The Linux kernel's HCI monitor channel, read as btmon reads it, and a btsnoop writer.

Socket: ``socket(AF_BLUETOOTH, SOCK_RAW, BTPROTO_HCI)`` bound to ``struct sockaddr_hci
{ hci_family, hci_dev = HCI_DEV_NONE (0xffff), hci_channel = HCI_CHANNEL_MONITOR (2) }``
(BlueZ ``lib/hci.h``; the kernel's ``net/bluetooth/hci_sock.c``, which requires
CAP_NET_RAW for the monitor channel).  Each read is one frame: ``struct hci_mon_hdr
{ opcode u16, index u16, len u16 }`` (little-endian) and ``len`` bytes — the records of
btsnoop datalink 2001, whose flags word is ``index << 16 | opcode``
(``bpdiag.capture.btsnoop``).

``MonitorCapture`` yields them as ``Record``s (``LinkType.BTSNOOP_MONITOR``) and can copy
every frame to a btsnoop file (``BtsnoopWriter``) so the session can be shared.
"""

from __future__ import annotations

import ctypes
import errno
import os
import socket
import struct
import sys
import threading
import time
from collections.abc import Iterator
from typing import BinaryIO

from bpdiag.capture._io import Closing
from bpdiag.capture.btsnoop import EPOCH_DELTA_US, MONITOR_DIRECTIONS
from bpdiag.capture.record import Direction, Problem, Record
from bpdiag.errors import Stage, UnreadableCapture

AF_BLUETOOTH = 31
BTPROTO_HCI = 1
HCI_CHANNEL_MONITOR = 2
HCI_DEV_NONE = 0xFFFF
MON_HDR = struct.Struct("<HHH")
_BTSNOOP_RECORD = struct.Struct(">IIIIq")


class BtsnoopWriter:
    """Writes btsnoop datalink 2001 (Linux monitor) records, flushed as they come."""

    def __init__(self, f: BinaryIO) -> None:
        self._f = f
        f.write(b"btsnoop\x00" + struct.pack(">II", 1, 2001))
        f.flush()

    def write(self, timestamp: float, flags: int, data: bytes) -> None:
        ts = round(timestamp * 1_000_000) + EPOCH_DELTA_US
        self._f.write(_BTSNOOP_RECORD.pack(len(data), len(data), flags, 0, ts) + data)
        self._f.flush()

    def close(self) -> None:
        self._f.close()


def open_monitor_socket() -> socket.socket:
    """A socket bound to the HCI monitor channel; ``UnreadableCapture`` says why not."""
    if not sys.platform.startswith("linux"):
        raise UnreadableCapture("the HCI monitor channel exists only on Linux")
    try:
        sock = socket.socket(AF_BLUETOOTH, socket.SOCK_RAW, BTPROTO_HCI)
    except OSError as exc:
        if exc.errno in (errno.EAFNOSUPPORT, errno.EPROTONOSUPPORT, errno.EINVAL):
            raise UnreadableCapture(
                "this kernel offers no Bluetooth sockets (AF_BLUETOOTH): is the bluetooth "
                "module loaded?"
            ) from None
        raise UnreadableCapture(f"cannot open a Bluetooth socket: {exc.strerror}") from None
    addr = struct.pack("<HHH", AF_BLUETOOTH, HCI_DEV_NONE, HCI_CHANNEL_MONITOR)
    libc = ctypes.CDLL(None, use_errno=True)
    buf = ctypes.create_string_buffer(addr, len(addr))
    if libc.bind(sock.fileno(), buf, len(addr)) != 0:
        err = ctypes.get_errno()
        sock.close()
        if err in (errno.EPERM, errno.EACCES):
            raise UnreadableCapture(
                "reading the HCI monitor channel needs CAP_NET_RAW: run as root, or give "
                "the interpreter the capability (sudo setcap cap_net_raw+ep $(which python3))"
            )
        raise UnreadableCapture(f"cannot bind the HCI monitor channel: {os.strerror(err)}")
    return sock


def adapter_index(dev: str) -> int | None:
    """``hci0`` → 0; ``all`` → ``None`` (every adapter)."""
    if dev == "all":
        return None
    if dev.startswith("hci") and dev[3:].isdigit():
        return int(dev[3:])
    raise UnreadableCapture(f"{dev!r} is not an adapter name (hci0, hci1, … or all)")


class MonitorCapture(Closing):
    """Records from a monitor-channel socket, until ``stop`` is set (checked every
    ``poll`` seconds).  Duck-types ``bpdiag.capture.Capture`` for ``analysis.run``."""

    format = "btsnoop"
    link_type = 2001

    def __init__(
        self,
        sock: socket.socket,
        stop: threading.Event,
        adapter: int | None = None,
        writer: BtsnoopWriter | None = None,
        poll: float = 0.25,
        name: str = "HCI monitor",
    ) -> None:
        self.path = name
        self.problems: list[Problem] = []
        self.stats: dict[str, int] = {}
        self.records = 0
        self._sock = sock
        self._stop = stop
        self._adapter = adapter
        self._writer = writer
        sock.settimeout(poll)

    def __iter__(self) -> Iterator[Record]:
        sock = self._sock
        while not self._stop.is_set():
            try:
                frame = sock.recv(65536 + MON_HDR.size)
            except TimeoutError:
                continue
            except OSError as exc:
                self.problems.append(
                    Problem(self.records + 1, None, f"reading the monitor channel failed: {exc}")
                )
                return
            if not frame:
                return
            now = time.time()
            if len(frame) < MON_HDR.size:
                self.problems.append(
                    Problem(
                        self.records + 1,
                        None,
                        f"a monitor frame of {len(frame)} bytes is shorter than its 6-byte header",
                        Stage.MONITOR,
                    )
                )
                continue
            opcode, index, length = MON_HDR.unpack_from(frame)
            data = frame[MON_HDR.size :]
            if length != len(data):
                self.problems.append(
                    Problem(
                        self.records + 1,
                        None,
                        f"a monitor frame says {length} bytes and holds {len(data)}",
                        Stage.MONITOR,
                    )
                )
                data = data[:length]
            if self._adapter is not None and index not in (self._adapter, HCI_DEV_NONE):
                continue
            flags = index << 16 | opcode
            if self._writer is not None:
                self._writer.write(now, flags, data)
            self.records += 1
            yield Record(
                self.records,
                now,
                2001,
                data,
                0,
                MONITOR_DIRECTIONS.get(opcode, Direction.UNKNOWN),
                flags,
            )

    def close(self) -> None:
        self._sock.close()
        if self._writer is not None:
            self._writer.close()
