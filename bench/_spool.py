"""What the capture generators (make_big_btsnoop, make_many_btsnoop, make_air) share: the
buffer they spill to the file a MiB at a time, and their command line."""

from __future__ import annotations

import argparse
import struct
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

SPILL_AT = 1 << 20
BTSNOOP_EPOCH_US = 0x00E03AB44A676000
"""Added to the generators' Unix µs timestamps (the value BlueZ and Bumble write with)."""


def spill(f: BinaryIO, buf: bytearray) -> None:
    """Write ``buf`` out once it holds more than a MiB, so a generator's memory stays flat."""
    if len(buf) > SPILL_AT:
        f.write(buf)
        buf.clear()


@contextmanager
def btsnoop_h4(path: Path) -> Iterator[Callable[[int, int, bytes], None]]:
    """Write a btsnoop file (datalink 1002, H4) at ``path``: yields ``put(flags, t_us,
    payload)``, which adds one record (``t_us`` in Unix µs) and spills a MiB at a time."""
    with path.open("wb") as f:
        f.write(b"btsnoop\x00" + struct.pack(">II", 1, 1002))
        buf = bytearray()

        def put(flags: int, t_us: int, payload: bytes) -> None:
            buf.extend(
                struct.pack(">IIIIQ", len(payload), len(payload), flags, 0, t_us + BTSNOOP_EPOCH_US)
            )
            buf.extend(payload)
            spill(f, buf)

        yield put
        f.write(buf)


def generator_parser(doc: str | None) -> argparse.ArgumentParser:
    """``path`` and ``--records``, the arguments every generator takes."""
    ap = argparse.ArgumentParser(description=doc)
    ap.add_argument("path", type=Path)
    ap.add_argument("--records", type=int, default=1_000_000)
    return ap


def generator_main(doc: str | None, build: Callable[[Path, int], None]) -> None:
    """The command line of a generator that takes only ``path`` and ``--records``."""
    args = generator_parser(doc).parse_args()
    build(args.path, args.records)
