"""Open a capture path without ever blocking: only regular files are captures.

``open()`` on a FIFO waits for a writer, forever if none comes; on a character device it
may read without end.  The path is opened with ``O_NONBLOCK`` (which does not block on a
FIFO and means nothing for a regular file), checked with ``fstat`` on the open descriptor
(no race with a rename), and refused unless it is a regular file.  Reading standard input
(``-``) is a separate, explicit path of the CLI, not this one.
"""

from __future__ import annotations

import os
import stat
from typing import BinaryIO

from bpdiag.errors import UnreadableCapture

_KINDS = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def not_regular(mode: int) -> str | None:
    """What a non-regular file is ("a FIFO (named pipe)" …), or ``None`` for a regular one."""
    if stat.S_ISREG(mode):
        return None
    for test, name in _KINDS:
        if test(mode):
            return name
    return "not a regular file"


def open_regular(path: str) -> BinaryIO:
    """``path`` opened for unbuffered binary reading, or ``UnreadableCapture`` (one sentence)
    when it is missing, a directory, not a regular file, or cannot be opened."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise UnreadableCapture("no such file") from None
    except IsADirectoryError:
        raise UnreadableCapture("is a directory, not a capture file") from None
    except OSError as exc:
        raise UnreadableCapture(f"cannot be opened: {exc.strerror or exc}") from None
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise UnreadableCapture("is a directory, not a capture file")
        kind = not_regular(mode)
        if kind is not None:
            raise UnreadableCapture(
                f"is {kind}, not a capture file (reading it could wait forever); "
                "save the stream to a file first"
            )
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb", buffering=0)
    except BaseException:
        os.close(fd)
        raise


def same_file(a: str, b: str) -> bool:
    """Whether the paths name one file (through symlinks, ``..`` or hard links): an output
    must never be written over an input."""
    try:
        if os.path.realpath(a) == os.path.realpath(b):
            return True
        return os.path.exists(a) and os.path.exists(b) and os.path.samefile(a, b)
    except (OSError, ValueError):
        return False
