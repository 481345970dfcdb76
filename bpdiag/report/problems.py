"""How a reading problem is named in every output: ``record 43 at offset 0x604: header says …``.

Readers often put the location in the message already (it is also their exception text);
the location is then not said twice."""

from __future__ import annotations

from bpdiag.capture.record import Problem
from bpdiag.report.terminal import escape_line


def where(pr: Problem) -> str:
    """``record N at offset 0xO``, ``record N``, ``offset 0xO`` or ``file``."""
    rec = f"record {pr.record}" if pr.record is not None else ""
    off = f"offset 0x{pr.offset:x}" if pr.offset is not None else ""
    if rec and off:
        return f"{rec} at {off}"
    return rec or off or "file"


def describe(pr: Problem) -> str:
    """The location, then what was expected — the location once."""
    loc = where(pr)
    msg = pr.message
    if loc != "file" and msg.startswith(loc):
        return msg
    if pr.record is not None and msg.startswith(f"record {pr.record} "):
        return msg  # the message names the record (and its own offset) itself
    return f"{loc}: {msg}"


def problem_line(pr: Problem) -> str:
    """A problem as one line on stderr (``bpdiag dump``)."""
    return f"problem: {escape_line(describe(pr))}"
