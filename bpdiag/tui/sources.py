"""Files for the TUI to follow when its input is not a file: standard input and the HCI
monitor channel are copied, as they arrive, into a file the TUI reads again as it grows.

Standard input is copied byte for byte (any format bpdiag reads); the monitor channel is
written as a btsnoop (datalink 2001, ``bpdiag.capture.monitor_socket``).  Each returns the
file's path and a function that stops the copy (and removes a temporary file).
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import threading
from collections.abc import Callable


def stdin_to_file() -> tuple[str, Callable[[], None]]:
    """Copy standard input into a temporary file in the background."""
    fd, path = tempfile.mkstemp(prefix="bpdiag-stdin-")
    src = sys.stdin.fileno()

    def copy() -> None:
        with os.fdopen(fd, "wb", buffering=0) as out:
            while True:
                data = os.read(src, 1 << 16)
                if not data:
                    return
                out.write(data)

    threading.Thread(target=copy, daemon=True).start()

    def stop() -> None:
        with contextlib.suppress(OSError):
            os.unlink(path)

    return path, stop


def live_to_file(dev: str, write_out: str | None) -> tuple[str, Callable[[], None]]:
    """Record the monitor channel of ``dev`` into ``write_out`` (or a temporary btsnoop)."""
    from bpdiag.capture.monitor_socket import (
        BtsnoopWriter,
        MonitorCapture,
        adapter_index,
        open_monitor_socket,
    )

    index = adapter_index(dev)
    sock = open_monitor_socket()
    if write_out is None:
        fd, path = tempfile.mkstemp(prefix="bpdiag-live-", suffix=".btsnoop")
        f = os.fdopen(fd, "wb")
    else:
        path = write_out
        f = open(path, "wb")  # noqa: SIM115
    halt = threading.Event()
    cap = MonitorCapture(sock, halt, index, BtsnoopWriter(f))

    def run() -> None:
        with cap:
            for _ in cap:
                pass

    thread = threading.Thread(target=run, daemon=True)
    thread.start()

    def stop() -> None:
        halt.set()
        thread.join(2)
        if write_out is None:
            with contextlib.suppress(OSError):
                os.unlink(path)

    return path, stop
