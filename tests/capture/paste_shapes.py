"""What mail clients, forums, terminals and people do to a log on its way into a bug report,
as functions from text to text.  The test corpus applies them (alone and combined) to the
btmon and hcidump printings of bpdiag's own captures (tests/data/text/)."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable
from typing import Any

Shape = Callable[[str], str]

_HEADER = re.compile(r"^[<>@=] ")


def wrap72(text: str) -> str:
    """A mail client's format=flowed-less wrap: at spaces, 72 columns, long words kept."""
    out: list[str] = []
    for line in text.split("\n"):
        if len(line) <= 72:
            out.append(line)
            continue
        out.extend(
            textwrap.wrap(
                line, 72, break_long_words=False, break_on_hyphens=False, replace_whitespace=False
            )
        )
    return "\n".join(out)


def quote(depth: int, compact: bool = False) -> Shape:
    """Reply quoting: ``> `` per level, or ``>> `` (compact) as some clients do."""
    prefix = (">" * depth + " ") if compact else "> " * depth

    def f(text: str) -> str:
        return "\n".join((prefix + line).rstrip() for line in text.split("\n"))

    return f


def indent(by: str) -> Shape:
    """A Markdown / forum code block: every line indented by spaces or a tab."""
    return lambda text: "\n".join((by + line) if line else line for line in text.split("\n"))


def crlf(text: str) -> str:
    return text.replace("\n", "\r\n")


def colour(text: str) -> str:
    """btmon's colours on a terminal (monitor/display.h): the header, its trailer, the
    SMP line, each wrapped in ANSI SGR sequences."""
    out = []
    for line in text.split("\n"):
        if _HEADER.match(line):
            m = re.search(r"(\s+)((?:\{0x\w+\} )?(?:#\d+ )?(?:\[hci\d+\] )?[\d.:]+)$", line)
            if m:
                line = (
                    f"\x1b[0;36m{line[: m.start()]}\x1b[0m{m.group(1)}\x1b[0;33m{m.group(2)}\x1b[0m"
                )
        elif line.strip().startswith("SMP:"):
            line = line.replace("SMP:", "\x1b[0;35mSMP:", 1) + "\x1b[0m"
        else:
            line = f"\x1b[0m{line}\x1b[0m" if line else line
        out.append(line)
    return "\n".join(out)


def _records(text: str) -> list[list[str]]:
    recs: list[list[str]] = [[]]
    for line in text.split("\n"):
        if _HEADER.match(line):
            recs.append([])
        recs[-1].append(line)
    return recs


_KEEP = re.compile(
    r"SMP:|Encryption|Encrypt Change|Disconnect|LE Meta|LE Start|Long Term Key|Command Status"
    r"|LE Create|Connection Complete|MGMT|bluetoothd|ATT:"
)


def elide(text: str) -> str:
    """Cut what a reader of the post does not need: long decode lists and records that have
    nothing to do with pairing become ``[...]``, ``...`` or ``<snip>``."""
    marks = ["[...]", "...", "<snip>"]
    out: list[str] = []
    n = 0
    for rec in _records(text):
        body = "\n".join(rec)
        if not rec or not _HEADER.match(rec[0]) or _KEEP.search(body):
            if len(rec) > 12:  # a long list inside a record we keep
                rec = [*rec[:6], "        [...]"]
            out.extend(rec)
            continue
        if out and out[-1] in marks:
            continue
        out.append(marks[n % 3])
        n += 1
    return "\n".join(out)


def prose(text: str) -> str:
    """Sentences between the records, as people write them."""
    said = [
        "Here is what btmon shows when I try to pair:",
        "",
        "Then the phone says the pairing failed. Any idea (this is BlueZ 5.66)?",
        "After that I see this:",
    ]
    out: list[str] = [said[0], ""]
    for i, rec in enumerate(_records(text)):
        if i and i % 7 == 0:
            out.extend(["", said[2 + (i // 7) % 2], ""])
        out.extend(rec)
    out.extend(["", "Thanks for any help!"])
    return "\n".join(out)


def excerpt(text: str) -> str:
    """From the middle of a record before the connection (the reader's copy began mid-way)."""
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if line.startswith("        Commands:"):
            return "\n".join(lines[i + 3 :])
    return "\n".join(lines[len(lines) // 5 :])


def old_btmon(text: str) -> str:
    """Older btmon: no frame numbers in the trailer (before 5.3x), ``Master`` / ``Slave``
    names, ``Confim value``."""
    text = re.sub(r"(\s)#\d+ ", r"\1", text)
    text = text.replace("Central Identification", "Master Identification")
    return text.replace("Confirm value:", "Confim value:")


def no_trailer(text: str) -> str:
    """Headers cut at their padding (a copy from a narrow terminal): no frame, no time."""
    return "\n".join(
        re.sub(r"\s{2,}\S.*$", "", line) if _HEADER.match(line) else line
        for line in text.split("\n")
    )


def live_btmon(text: str) -> str:
    """A live btmon (not ``-r``) names the process of a record that came with credentials
    (monitor/packet.c print_packet: ``comm[pid]: `` before the mark; a log line then has no
    ident of its own): bluetoothd's management commands and log lines."""
    out: list[str] = []
    for line in text.split("\n"):
        if line.startswith(("@ MGMT Command", "@ MGMT Open")):
            line = "bluetoothd[612]: " + line
        elif line.startswith("= bluetoothd: "):
            line = "bluetoothd[612]: = " + line.removeprefix("= bluetoothd: ")
        out.append(line)
    return "\n".join(out)


def web_page(text: str) -> str:
    """Copied from a rendered web page (a forum that writes indentation as ``&nbsp;``, a
    word processor): runs of spaces become no-break spaces (U+00A0) with a space between,
    the odd em space (U+2003) stands for four, and a zero-width space (U+200B) sits where
    the page broke a long line."""
    out: list[str] = []
    for line in text.split("\n"):
        line = re.sub(
            r" {2,}",
            lambda m: "\u00a0 " * (len(m.group(0)) // 2) + " " * (len(m.group(0)) % 2),
            line,
        )
        line = line.replace("\u00a0 \u00a0 ", "\u2003", 1)
        out.append(line.replace(": ", ":\u200b ", 1))
    return "\n".join(out)


def nbsp_only(text: str) -> str:
    """Every space a no-break space (some rich-text editors' paste)."""
    return text.replace(" ", "\u00a0")


def inline_code(text: str) -> str:
    """Each record pasted as Markdown inline code (a GitHub comment, a forum's ``code``
    button): a backtick before its first line, one after its last; the first record's after
    a fence on the same line, as people type it."""
    starts = [i for i, line in enumerate(text.split("\n")) if line[:1] not in ("", " ", "\t")]
    lines = text.split("\n")
    for n, i in enumerate(starts):
        end = (starts[n + 1] if n + 1 < len(starts) else len(lines)) - 1
        while end > i and not lines[end].strip():
            end -= 1
        lines[i] = ("```" if n == 0 else "`") + lines[i]
        lines[end] += "`"
    return "\n".join(lines)


def lost_marks(text: str) -> str:
    """A copy that began a column late on some lines: every other HCI / ACL header lost its
    ``<`` or ``>`` (the space after it stays)."""
    out: list[str] = []
    n = 0
    for line in text.split("\n"):
        if re.match(r"[<>] (?:HCI|ACL)", line):
            n += 1
            if n % 2:
                line = line[1:]
        out.append(line)
    return "\n".join(out)


def flattened(text: str) -> str:
    """A web page that dropped every line's indentation (hcidump's decode lines then start
    where its headers do)."""
    return "\n".join(line.lstrip() for line in text.split("\n"))


SHAPES: dict[str, Shape] = {
    "wrapped72": wrap72,
    "quoted": quote(1),
    "quoted2": quote(2, compact=True),
    "indented4": indent("    "),
    "indented_tab": indent("\t"),
    "crlf": crlf,
    "colour": colour,
    "elided": elide,
    "prose": prose,
    "excerpt": excerpt,
    "old_btmon": old_btmon,
    "no_trailer": no_trailer,
    "web_page": web_page,
    "nbsp_only": nbsp_only,
    # combinations as they arrive: a colour log copied into a mail, wrapped, then quoted
    "colour_wrapped_quoted": lambda t: quote(1)(wrap72(colour(t))),
    "indented_wrapped_crlf": lambda t: crlf(wrap72(indent("    ")(t))),
    "quoted_wrapped": lambda t: wrap72(quote(2)(t)),
    "prose_elided_quoted": lambda t: quote(1)(elide(prose(t))),
    "web_page_quoted": lambda t: quote(1)(web_page(t)),
    "inline_code": inline_code,
    "lost_marks": lost_marks,
    "lost_marks_quoted": lambda t: quote(1)(lost_marks(t)),
    "inline_code_quoted_wrapped": lambda t: quote(1)(wrap72(inline_code(t))),
    # a forum that strips leading spaces: every decode line starts where its header does
    "flattened": flattened,
    "flattened_prose_quoted": lambda t: quote(1)(flattened(prose(t))),
    "flattened_wrapped": lambda t: wrap72(flattened(t)),
}


# Findings that say nothing passed between a Pairing Request and its refusal ("at once"):
# where an elision falls between the two, the paste cannot show that, and the plain finding
# (with what is not known) is made instead.
AT_ONCE = {"pairing-mode-inactive": "pairing-failed", "peer-requires-mitm": "pairing-failed"}


def codes_through_elisions(base: Any, pasted: Any) -> list[str]:
    """The finding codes of ``base`` (the analysis of the text before pasting) as a paste
    with elisions can support them: ``AT_ONCE`` findings of a pairing whose request and
    failure have an elision between them in ``pasted`` become the plain failure."""
    from bpdiag.analysis.index import index_of

    idx = index_of(pasted)
    by_id = {p.id: p for p in pasted.pairings}
    out = []
    for f in base.findings:
        p = by_id.get(f.pairing)
        if f.code in AT_ONCE and p is not None and idx.missing_before_failure(p) is not None:
            out.append(AT_ONCE[f.code])
        else:
            out.append(f.code)
    return sorted(out)
