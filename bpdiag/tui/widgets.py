"""Small widgets of the TUI: the filter box that Esc clears and leaves, panes that scroll
from the keyboard, the help screen, a checkbox that shows its state by a mark as well as by
colour, a table that measures its plain-text cells cheaply, a tree that takes one-line
labels as they are, and the ladder's wrapping (continuation lines indented under their
marker)."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable
from typing import Any

from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import ScrollableContainer, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Checkbox, DataTable, Input, Static, Tree
from textual.widgets.data_table import RowKey


class FilterInput(Input):
    """The packet filter: Esc clears it and gives the keyboard back to the packet list."""

    BINDINGS = [Binding("escape", "clear_and_leave", "Clear filter", show=False)]

    def action_clear_and_leave(self) -> None:
        self.value = ""
        self.remove_class("visible")
        self.app.query_one("#packets").focus()


class TextTable(DataTable[object]):
    """A DataTable that sizes its columns from its ``Text`` cells' own cell lengths.

    DataTable measures every cell of every new row through the console (Rich's
    ``measure``, which builds console options and asks the terminal's size each time): on
    the packet list's 2,000 rows that was about 0.15 s of the UI thread after each fill.
    For a one-height row without a label whose cells are all ``Text``, the width Rich's
    measure gives is the longest line's cell length, computed here the same way (so the
    columns come out as wide as DataTable makes them); any other row is left to DataTable.
    """

    def _update_dimensions(self, new_rows: Iterable[RowKey]) -> None:
        columns = self.ordered_columns
        widths = [column.content_width for column in columns]
        others: list[RowKey] = []
        for key in new_rows:
            row = self.rows.get(key)
            if row is None:  # removed before the table went idle
                continue
            cells = self.get_row(key)
            if row.label is not None or row.height != 1 or len(cells) != len(columns):
                others.append(key)
                continue
            measured = [_text_width(cell) for cell in cells]
            if None in measured:
                others.append(key)
                continue
            widths = [max(w, m or 0) for w, m in zip(widths, measured, strict=True)]
        for column, width in zip(columns, widths, strict=True):
            column.content_width = width
        # the rest as DataTable does: the other rows' widths, then the scrollable size
        super()._update_dimensions(others)


def _text_width(cell: object) -> int | None:
    """The width Rich measures for a ``Text`` cell (its longest line), None for another."""
    if type(cell) is not Text:
        return None
    plain = cell.plain
    if plain.isascii() and plain.isprintable():  # one line (no line break is printable)
        return len(plain)  # and one cell per character
    return max((cell_len(line) for line in plain.splitlines()), default=0)


class CaptureTree(Tree[Any]):
    """The connections and pairings tree: a one-line ``Text`` label is used as it is.

    Tree keeps the first line of every label, by splitting a copy of it; on a log of
    thousands of connections that split was a third of adding the nodes.  The app makes a
    new ``Text`` per node, so the label itself is that first line; any other label (a str,
    which Tree reads as markup, or several lines) is left to Tree."""

    def process_label(self, label: str | Text) -> Text:
        if isinstance(label, Text) and "\n" not in label.plain:
            return label
        return super().process_label(label)


class ScrollPane(VerticalScroll, can_focus=True):
    """A bordered pane that Tab reaches and the arrow and page keys scroll; it holds the
    Static that the app updates (finding detail and fix, the ladder)."""

    BINDINGS = ScrollableContainer.BINDINGS

    class Resized(Message):
        """The pane's size changed (the app re-wraps what it shows to the new width)."""

        def __init__(self, pane: ScrollPane) -> None:
            super().__init__()
            self.pane = pane

    def on_resize(self, event: events.Resize) -> None:
        self.post_message(self.Resized(self))


class HelpScreen(ModalScreen[None]):
    """``?``: the keys, in a screen of its own that scrolls."""

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    #help { width: 100; max-width: 95%; height: auto; max-height: 90%;
            border: thick $primary; background: $surface; padding: 0 1; }
    """
    BINDINGS = [
        Binding("escape", "dismiss_help", "Close"),
        Binding("q", "dismiss_help", "Close", show=False),
        Binding("question_mark", "dismiss_help", "Close", show=False),
    ]

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help"):
            yield Static(Text(self.text + "\n\n(↑/↓ PgUp/PgDn scroll · Esc closes)"))

    def on_mount(self) -> None:
        self.query_one("#help").focus()

    def action_dismiss_help(self) -> None:
        self.dismiss(None)


class MarkedCheckbox(Checkbox):
    """A checkbox whose box holds ✓ when on and stays empty when off (not colour alone)."""

    @property
    def BUTTON_INNER(self) -> str:  # type: ignore[override]
        return "✓" if self.value else " "


def wrap_marked(mark: str, text: str, width: int) -> list[str]:
    """``mark + text`` wrapped to ``width``: every continuation line repeats the marker and is
    indented under the text, so a wrapped label never starts at column 0 or loses its ▶."""
    indent = len(text) - len(text.lstrip(" "))
    body = text.strip(" ")
    avail = max(10, width - len(mark) - indent)
    if len(body) <= avail:
        return [mark + text]
    first, *rest = textwrap.wrap(body, avail, break_on_hyphens=False) or [body]
    cont = " " * (indent + 2)
    rest = textwrap.wrap(" ".join(rest), max(10, avail - 2), break_on_hyphens=False)
    return [mark + " " * indent + first, *(mark + cont + r for r in rest)]
