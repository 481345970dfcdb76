"""What the capture generators (make_big_btsnoop, make_many_btsnoop, make_air) share: the
buffer they spill to the file a MiB at a time, and their command line."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

SPILL_AT = 1 << 20


def spill(f: BinaryIO, buf: bytearray) -> None:
    """Write ``buf`` out once it holds more than a MiB, so a generator's memory stays flat."""
    if len(buf) > SPILL_AT:
        f.write(buf)
        buf.clear()


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
