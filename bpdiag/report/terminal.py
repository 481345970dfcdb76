"""Text that goes to a terminal: nothing a capture holds may act as a control sequence.

Capture text (bluetoothd log lines, device names, process names) reaches the reports as it
was recorded.  Printed raw, an ESC starts a control sequence — OSC 52 writes the clipboard,
OSC 0 sets the window title, CSI 2K erases the line — and a CR or backspace overwrites
what came before.  ``escape_controls`` shows each such character as a visible escape
(``\\x1b``, ``\\r``, ``\\u202e``) instead: C0 controls but newline and tab, DEL, C1 controls
(U+0080–U+009F, which include the 8-bit CSI and OSC) and the Unicode bidirectional
overrides and isolates that can reorder what a line seems to say.
"""

from __future__ import annotations

import re

_NAMED = {0x0D: "\\r", 0x08: "\\b", 0x0B: "\\v", 0x0C: "\\f", 0x00: "\\0"}
_BIDI = (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C)


def _table() -> dict[int, str]:
    table: dict[int, str] = {}
    for c in (*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0)):
        if c not in (0x0A, 0x09):
            table[c] = _NAMED.get(c, f"\\x{c:02x}")
    for c in _BIDI:
        table[c] = f"\\u{c:04x}"
    return table


_TABLE = _table()
# Any character of the table: most text has none, and a search (a scan in C) is much cheaper
# than ``str.translate`` with a dict, which looks every character up (a report of a day-long
# log is tens of megabytes).
_ANY = re.compile("[" + "".join(re.escape(chr(c)) for c in _TABLE) + "]")


def escape_controls(text: str) -> str:
    """``text`` with every control character shown as an escape (newlines and tabs kept)."""
    return text.translate(_TABLE) if _ANY.search(text) else text


def escape_line(text: str) -> str:
    """Like ``escape_controls`` for text that must stay on one line (newlines and tabs
    escaped too)."""
    return escape_controls(text).replace("\n", "\\n").replace("\t", "\\t")
