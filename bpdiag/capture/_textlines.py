"""Lines of a pasted text log as the tool printed them: what mail, forums and terminals did
to them undone, line by line and in bounded time.

Undone here: ANSI colour and other terminal control sequences (btmon colours its output on a
terminal), CR of CRLF line ends, tabs (expanded to 8 columns), the Unicode spaces a web page
or a word processor puts where the tool printed spaces (a forum's ``&nbsp;`` indentation,
U+00A0, and the other Zs spaces become one space each; zero-width spaces and joiners and a
stray byte-order mark go), and lines longer than
``MAX_LINE`` (cut, with a Problem: no printed record comes near that length, and the cut
bounds every later regex).  Markdown's code marks at a line's edges go too (a backtick, or
a fence of three, after the indentation and quote marks, or at the end): a record pasted
into a GitHub comment or a forum as inline code, or after a fence on the header's own line —
no tool prints a backtick there.  Quoting (``> ``, ``>> ``) and wrapping are format-aware
and left to the readers, with ``quote_prefixes`` as the shared helper.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import TextIO, TypeVar

from bpdiag.capture.record import Problem, ProblemKind
from bpdiag.errors import Stage

MAX_LINE = 4096

# CSI (ESC [ … final byte), OSC (ESC ] … BEL or ESC \), two-byte escapes, and the C0
# controls other than tab.  A "\x1b[0;34m" run is btmon's colour.
_CONTROL = re.compile(
    r"\x1b\[[0-?]{0,32}[ -/]{0,8}[@-~]|\x1b\][^\x07\x1b]{0,4096}(?:\x07|\x1b\\)?"
    r"|\x1b[@-Z\\-_]?|[\x00-\x08\x0b-\x1f\x7f]"
)
_ANY_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")  # what _CONTROL can remove
# Unicode's space separators (category Zs) but the ASCII space, as spaces; the zero-width
# characters a copy from a web page leaves (U+200B-U+200D, U+2060, U+FEFF) removed
_SPACES: dict[int, str | None] = {
    c: " " for c in (0x00A0, 0x1680, *range(0x2000, 0x200B), 0x202F, 0x205F, 0x3000)
}
_SPACES.update(dict.fromkeys((0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF)))
# A run of backticks after the indentation and quote marks, or at the end of a line
_CODE_MARKS = re.compile(r"^([ >]{0,16})`{1,3}|`{1,3}$")
_QUOTE = re.compile(r"[ \t]{0,8}>[ \t]?")
ELISION = re.compile(
    r"^\s*(?:\[\s*(?:\.\.\.|…|snip|cut|trimmed)\s*\]|\.\.\.+|…|<\s*snip\s*>|--+\s*snip\s*--+)", re.I
)


_ELISION_STARTS = frozenset("[.…<-")  # what an elision can begin with, once stripped


def is_elision(text: str) -> bool:
    """Whether a stripped line is an elision mark (``[...]``, ``...``, ``<snip>``, ``-- snip
    --``): one character is looked at before the regex, as most lines are none."""
    return text[:1] in _ELISION_STARTS and ELISION.match(text) is not None


def clean_lines(f: TextIO, problems: list[Problem], what: Stage) -> Iterator[tuple[int, int, str]]:
    """``(line number, byte-ish offset, line)`` of the text with control sequences removed,
    tabs expanded and each line cut at ``MAX_LINE`` characters (one Problem per cut line)."""
    offset = 0
    lineno = 0
    while True:
        raw = f.readline(MAX_LINE + 1)
        if not raw:
            return
        lineno += 1
        start = offset
        offset += len(raw)
        if len(raw) > MAX_LINE and not raw.endswith("\n"):
            # drain the rest of an over-long line without holding it
            rest = f.readline(MAX_LINE)
            while rest and not rest.endswith("\n"):
                offset += len(rest)
                rest = f.readline(MAX_LINE)
            offset += len(rest)
            problems.append(
                Problem(
                    None,
                    start,
                    f"line {lineno} is longer than {MAX_LINE} characters; only its start "
                    f"was read as {what}",
                    what,
                )
            )
            raw = raw[:MAX_LINE]
        line = raw.rstrip("\r\n")
        if _ANY_CONTROL.search(line):  # one C scan: most lines have none
            line = _CONTROL.sub("", line)
        if not line.isascii():
            line = line.translate(_SPACES)
        if "\t" in line:
            line = line.expandtabs(8)
        if "`" in line:
            line = _CODE_MARKS.sub(r"\1", line.rstrip())
        yield lineno, start, line.rstrip()


def quote_prefixes(line: str) -> list[tuple[int, str]]:
    """Each way of reading ``line`` as quoted text: ``(depth, rest)`` for depth 0 (as is),
    1 (one ``>`` removed), … up to the number of leading ``>`` marks (at most 8)."""
    out = [(0, line)]
    rest = line
    for depth in range(1, 9):
        m = _QUOTE.match(rest)
        if not m:
            break
        rest = rest[m.end() :]
        out.append((depth, rest))
    return out


H = TypeVar("H")


def first_header(line: str, parse: Callable[[str], H | None]) -> tuple[int, str, H] | None:
    """The first reading of ``line`` (as is, then with each further quote mark removed) that
    ``parse`` takes for a record header: ``(depth, rest, header)``, or None."""
    for depth, rest in quote_prefixes(line):
        h = parse(rest)
        if h is not None:
            return depth, rest, h
    return None


def unquote(line: str, depth: int) -> str:
    """``line`` with up to ``depth`` leading quote marks removed."""
    rest = line
    for _ in range(depth):
        m = _QUOTE.match(rest)
        if not m:
            break
        rest = rest[m.end() :]
    return rest


def indent_of(s: str) -> int:
    return len(s) - len(s.lstrip(" "))


def elision(record: int, offset: int, line: int, layer: Stage) -> Problem:
    """The problem an elision line (``line``) makes before ``record``, the next one read:
    records are left out there, and what they held is not known."""
    return Problem(
        record,
        offset,
        f"line {line}: the text leaves records out here (an elision); what they held is not known",
        layer,
        ProblemKind.MISSING,
    )


class LineReader:
    """A text reader's state: the text, the problems list it reports into, and ``index``,
    the frame number of the last record it made (what the readers of one-line records
    share)."""

    def __init__(self, f: TextIO, problems: list[Problem]) -> None:
        self.f = f
        self.problems = problems
        self.index = 0
