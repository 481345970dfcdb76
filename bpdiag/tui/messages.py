"""The messages the TUI's workers post to the app (as toolong's do): typed, each its own
class.  Dataclasses, as Textual's own messages are: the generated ``__init__`` sets the fields
and then calls ``Message.__post_init__``, which initialises the message (none of these may
define a ``__post_init__`` of its own)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from bpdiag.rules.diagnosis import Diagnosed
    from bpdiag.tui.model import Loaded
    from bpdiag.tui.rerun import RerunRequest


@dataclass
class Progressed(Message):
    """How far the loader is: bytes read of the file, and PDUs decoded so far.  A newer
    report replaces one not yet handled, so the queue never floods (as in toolong)."""

    done: int
    total: int
    decoded: int = 0

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, Progressed)


@dataclass
class LoadFailed(Message):
    """The capture could not be read (the reason, one line)."""

    error: str


@dataclass
class Finished(Message):
    """The capture is read and diagnosed."""

    loaded: Loaded


@dataclass
class RerunDone(Message):
    """A live attempt ended: its analysis (None when nothing was recorded) or an error."""

    request: RerunRequest
    analysis: Diagnosed | None
    result: str
    notes: list[str]
    error: str | None = None


@dataclass
class Compared(Message):
    """Another capture, read for the compare view (or why it could not be)."""

    other: Diagnosed | None
    error: str | None = None
