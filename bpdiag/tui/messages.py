"""The messages the TUI's workers post to the app (as toolong's do): typed, each its own
class.  Not dataclasses: ``Message.__init__`` calls ``__post_init__``, which recursed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from bpdiag.rules.diagnosis import Diagnosed
    from bpdiag.tui.model import Loaded
    from bpdiag.tui.rerun import RerunRequest


class Progressed(Message):
    """How far the loader is: bytes read of the file, and PDUs decoded so far.  A newer
    report replaces one not yet handled, so the queue never floods (as in toolong)."""

    def __init__(self, done: int, total: int, decoded: int = 0) -> None:
        super().__init__()
        self.done = done
        self.total = total
        self.decoded = decoded

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, Progressed)


class LoadFailed(Message):
    """The capture could not be read (the reason, one line)."""

    def __init__(self, error: str) -> None:
        super().__init__()
        self.error = error


class Finished(Message):
    """The capture is read and diagnosed."""

    def __init__(self, loaded: Loaded) -> None:
        super().__init__()
        self.loaded = loaded


class RerunDone(Message):
    """A live attempt ended: its analysis (None when nothing was recorded) or an error."""

    def __init__(
        self,
        request: RerunRequest,
        analysis: Diagnosed | None,
        result: str,
        notes: list[str],
        error: str | None = None,
    ) -> None:
        super().__init__()
        self.request = request
        self.analysis = analysis
        self.result = result
        self.notes = notes
        self.error = error


class Compared(Message):
    """Another capture, read for the compare view (or why it could not be)."""

    def __init__(self, other: Diagnosed | None, error: str | None = None) -> None:
        super().__init__()
        self.other = other
        self.error = error
