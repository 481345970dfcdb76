"""Progress and cancellation of a reading (``bpdiag.analysis.run.Reading``), in a module of
its own that imports nothing heavy: the TUI holds a ``Job`` before the decoders load."""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[int, int], None]  # (bytes read, file size)


class Cancelled(Exception):
    """The reading stopped because its ``Job`` was cancelled (not an error in the input)."""


class Job:
    """Progress and cancellation of one reading, shared by the thread that reads and the one
    that waits for it.  Every ``every`` records the reader checks ``cancelled`` (and raises
    ``Cancelled``) and calls ``report(bytes read, file size)``, which calls ``progress``;
    a subclass may report more (the TUI's loader counts its packet rows there)."""

    __slots__ = ("cancelled", "every", "progress")

    def __init__(self, progress: Progress | None = None, every: int = 65536) -> None:
        self.progress = progress
        self.every = every
        self.cancelled = False

    def cancel(self) -> None:
        """Stop the reading at its next report (from any thread)."""
        self.cancelled = True

    def report(self, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress(done, total)
