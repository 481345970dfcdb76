"""The packet list's table (bpdiag.tui.widgets.TextTable) measures its ``Text`` cells itself
instead of through the console (issue 11): its columns must come out exactly as wide as
Textual's DataTable makes them, for any cells.  A load is frozen out of cyclic collection
while it is shown, and handed back to the collector when another load replaces it."""

from __future__ import annotations

import gc

import pytest

pytest.importorskip("textual")

from rich.text import Text
from textual.app import App, ComposeResult
from textual.widgets import DataTable

import bpdiag.tui.loader as loader
from bpdiag.tui.widgets import TextTable

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
