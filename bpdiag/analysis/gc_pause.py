"""Python's cyclic garbage collector paused while a capture is analysed, diagnosed or written.

The analysis keeps many small objects (connections, pairings, their steps, findings) and
makes no reference cycles it throws away; the collector, though, walks every object kept,
again and again as the heap grows (a full collection each time it grew by a quarter): on a
log of many short connections that was about a quarter of the CPU time.  Objects are still
freed by reference counting; the collector runs again when the outermost pause ends.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause automatic cyclic collection for the block (nested pauses are fine)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
