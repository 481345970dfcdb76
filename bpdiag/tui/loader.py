"""The TUI's loader, without Textual: reads and diagnoses a capture on the one path
(``model.load`` over ``bpdiag.analysis.run.Reading``), cancellable, telling how far it is.

It runs in the app's worker thread.  A child process was tried (issue 11: in a thread the
analysis shares the GIL with the screen) and measured slower: pickling the diagnosed
``Analysis`` and sending it back cost more CPU than the analysis itself on a capture of
many pairings (bench figures in the commit that made this module).

What a load makes lives as long as the app shows it, so it is frozen out of the cyclic
collector (``gc.freeze``) before collection resumes: otherwise the screen's first
allocations after the load set off collections that walk the whole analysis (about 0.2 s
of the UI thread on a capture of a million records), and every full one after them again.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from typing import TYPE_CHECKING

from bpdiag.analysis.gc_pause import gc_paused
from bpdiag.analysis.job import Job
from bpdiag.tui.model import Loaded, PacketRow, load

if TYPE_CHECKING:
    from bpdiag.crypto.keyring import Keyring

# (bytes read, file size, packet rows so far)
OnProgress = Callable[[int, int, int], None]
EVERY = 4096  # records between progress reports (and cancellation checks)


class LoadJob(Job):
    """A load's progress and cancellation: ``on_progress`` also hears how many packet rows
    the load has made so far; ``cancel()`` from the UI thread stops it (``Cancelled``)."""

    __slots__ = ("on_progress", "rows")

    def __init__(self, on_progress: OnProgress | None = None) -> None:
        super().__init__(every=EVERY)
        self.on_progress = on_progress
        self.rows = 0

    def report(self, done: int, total: int) -> None:
        if self.on_progress is not None:
            self.on_progress(done, total, self.rows)

    def count(self, batch: list[PacketRow]) -> None:
        self.rows += len(batch)


def load_capture(
    path: str, show_keys: bool = False, keys: Keyring | None = None, job: LoadJob | None = None
) -> Loaded:
    """Read and diagnose ``path`` in this thread; ``Cancelled`` when ``job`` is cancelled.

    The result is frozen out of cyclic collection (it is kept while shown); what an earlier
    load froze is handed back to the collector first (a reload under --follow replaces it)."""
    job = job if job is not None else LoadJob()
    gc.unfreeze()
    with gc_paused():
        loaded = load(path, show_keys, keys, job, on_rows=job.count, batch=EVERY)
        gc.freeze()  # while collection is still paused: nothing walks the new objects first
    return loaded
