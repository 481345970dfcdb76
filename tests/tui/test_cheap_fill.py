"""What makes filling the screen after a load cheap (issue 11) must not change what it shows.

The packet and findings tables (bpdiag.tui.widgets.TextTable) measure their ``Text`` cells
themselves instead of through the console: their columns must come out exactly as wide as
Textual's DataTable makes them, for any cells.  The tree (CaptureTree) takes a one-line
``Text`` label as it is: the label must be what Tree itself would keep.  A load, and the
screen filled from it, are frozen out of cyclic collection while shown, and handed back to
the collector when another load replaces them."""

from __future__ import annotations

import gc

import pytest

pytest.importorskip("textual")

from rich.text import Text
from textual.app import App, ComposeResult
from textual.widgets import DataTable, Tree

import bpdiag.tui.loader as loader
from bpdiag.tui.app import make_app
from bpdiag.tui.widgets import CaptureTree, TextTable
from tests.tui.pilot import running

ROWS: list[tuple[object, ...]] = [
    (Text("1"), Text("host"), Text(""), Text("SMP"), Text("Pairing Request")),
    (Text("22"), Text("ctrl"), Text("3"), Text("HCI"), Text("LE Long Term Key Request Reply")),
    (Text("333"), Text("ホスト"), Text("4"), Text("LL"), Text("two\nlines, the second longer")),
    (Text("4"), Text("a\tb"), Text("é"), Text("ATT"), Text("tab\u2028separated")),
    ("[b]5[/b]", Text("x"), None, Text("ATT"), Text("a str cell: measured by DataTable")),
    (Text("6" * 12), Text("\x1ccontrol"), Text("7"), Text("SMP"), Text("")),
]


class Tables(App[None]):
    def compose(self) -> ComposeResult:
        yield DataTable(id="plain")
        yield TextTable(id="text")


def widths(table: DataTable[object]) -> list[int]:
    return [column.get_render_width(table) for column in table.ordered_columns]


@pytest.mark.parametrize("split", [0, 2, len(ROWS)])
async def test_columns_are_as_wide_as_datatable_makes_them(split: int) -> None:
    app = Tables()
    async with app.run_test(size=(200, 30)) as pilot:
        plain = app.query_one("#plain", DataTable)
        text = app.query_one("#text", TextTable)
        for table in (plain, text):
            table.add_columns("#", "dir", "conn", "layer", "PDU")
            for row in ROWS[:split]:
                table.add_row(*row)
        await pilot.pause()
        for table in (plain, text):  # a second batch widens what the first measured
            for row in ROWS[split:]:
                table.add_row(*row)
        await pilot.pause()
        assert widths(text) == widths(plain)
        assert widths(text)[0] == 12 + 2  # the widest "#" cell, padded 1 each side
        assert text.virtual_size == plain.virtual_size
        assert [text.get_row_at(i) for i in range(len(ROWS))] == [list(r) for r in ROWS]


def test_a_load_is_frozen_and_the_next_load_thaws_the_last(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    frozen_when_reading: list[int] = []
    real_load = loader.load

    def spy(*args: object, **kwargs: object) -> object:
        frozen_when_reading.append(gc.get_freeze_count())
        return real_load(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(loader, "load", spy)
    try:
        loader.load_capture("captures/not_in_pairing_mode.btsnoop")
        assert gc.get_freeze_count() > 0  # what the load made is out of the collector's walks
        assert gc.isenabled()  # and collection resumed
        loader.load_capture("captures/not_in_pairing_mode.btsnoop")
        assert frozen_when_reading[1] == 0  # the first load's objects were handed back
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


@pytest.mark.parametrize(
    "label",
    [
        Text("✓ Connection 12"),
        Text("✗ Pairing 3", style="red"),
        Text("two\nlines: the first is kept"),
        Text(""),
        "[b]markup[/b] in a str",
        "a str\nof two lines",
    ],
)
async def test_tree_labels_are_what_tree_keeps(label: str | Text) -> None:
    class Trees(App[None]):
        def compose(self) -> ComposeResult:
            yield Tree("plain", id="plain")
            yield CaptureTree("fast", id="fast")

    app = Trees()
    async with app.run_test():
        plain = app.query_one("#plain", Tree).process_label(label)
        fast = app.query_one("#fast", CaptureTree).process_label(label)
        assert (fast.plain, fast.spans, fast.style) == (plain.plain, plain.spans, plain.style)
        assert "\n" not in fast.plain


async def test_the_filled_screen_is_frozen_with_the_load() -> None:
    gc.unfreeze()
    try:
        async with running(make_app("captures/not_in_pairing_mode.btsnoop"), size=(160, 48)) as (
            app,
            _pilot,
        ):
            assert app.loaded is not None and gc.isenabled()
            tree = app.query_one("#tree", Tree)
            node = tree.root.children[0]
            # the tree's nodes, made after the loader froze the analysis, are frozen too:
            # tracked, yet in none of the generations the collector walks
            assert gc.is_tracked(node)
            assert not any(obj is node for obj in gc.get_objects())
    finally:
        gc.unfreeze()
