"""The TUI on bundled captures: pilot tests that navigate from a finding to its evidence and
apply filters, and snapshot tests of the main screens at a fixed terminal size."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

pytest.importorskip("textual")

from textual.widgets import DataTable, Tree

from bpdiag.tui.app import make_app
from tests.conftest import ROOT
from tests.tui.pilot import loaded, running

FAILED = "captures/not_in_pairing_mode.btsnoop"
SC_OK = "captures/sc_justworks_success.btsnoop"
SIZE = (150, 44)


async def test_finding_leads_to_evidence_and_filters_apply() -> None:
    async with running(make_app(FAILED), size=SIZE) as (app, pilot):
        assert app.loaded is not None
        assert [f.code for f in app.loaded.analysis.findings] == ["pairing-mode-inactive"]
        app.query_one("#findings").focus()
        await pilot.press("enter")
        await pilot.pause()
        assert app.highlight == {32, 33, 35}
        table = app.query_one("#packets")
        assert app.shown_rows[table.cursor_row].frame == 32  # first evidence frame selected
        await pilot.press("e")
        await pilot.pause()
        assert [r.frame for r in app.shown_rows] == [35]
        await pilot.press("a", "slash", *"Security")
        await pilot.pause()
        assert [r.name for r in app.shown_rows] == ["Security Request"]


async def test_packet_detail_and_help() -> None:
    async with running(make_app(SC_OK), size=SIZE) as (app, pilot):
        await pilot.press("s")
        await pilot.pause()
        assert all(r.layer in ("smp", "att", "hci") for r in app.shown_rows)
        app.query_one("#packets").focus()
        await pilot.press("enter")
        await pilot.pause()
        detail = str(app.query_one("#detail").render())
        assert "#" in detail
        await pilot.press("question_mark")
        await pilot.pause()
        assert "Key values are redacted" in str(app.screen.query_one("#help Static").render())


async def test_report_key_writes_html(tmp_path: Path) -> None:
    cap = tmp_path / "c.btsnoop"
    cap.write_bytes((ROOT / FAILED).read_bytes())
    async with running(make_app(str(cap)), size=SIZE) as (_app, pilot):
        await pilot.press("r")
        await pilot.pause()
    html = (tmp_path / "c.btsnoop.bpdiag.html").read_text()
    assert "class='ladder'" in html and "pairing-mode-inactive" in html


async def test_problems_are_visible(tmp_path: Path) -> None:
    cap = tmp_path / "cut.btsnoop"
    cap.write_bytes((ROOT / "captures/legacy_passkey_wrong.btsnoop").read_bytes()[:-7])
    async with running(make_app(str(cap)), size=SIZE) as (app, _pilot):
        assert "problem(s) reading the capture" in str(app.query_one("#problems").render())


async def test_cursor_lands_on_the_first_failed_pairing_before_the_tree_is_drawn() -> None:
    """The tree numbers its lines lazily (when it is next idle or drawn): a node added since
    has line -1.  Putting the cursor on the new first failed pairing at once, as a refresh that
    comes before the tree's next idle does, must still land on it and not on the root."""
    async with running(make_app(FAILED), size=SIZE) as (app, _pilot):
        assert app.loaded is not None
        tree = app.query_one("#tree", Tree)
        app._first_failed = None
        app.show_loaded(app.loaded)  # as a reload under --follow: new nodes, no line yet
        node = app._first_failed
        assert node is not None and node.line == -1
        app._cursor_to(tree, node)
        assert tree.cursor_node is node


def _sized(table: DataTable) -> bool:  # type: ignore[type-arg]
    """Every column of ``table`` is as wide as the longest one-line cell it shows."""
    columns = table.ordered_columns
    for i in range(min(table.row_count, 50)):
        for column, cell in zip(columns, table.get_row_at(i), strict=False):
            text = str(cell)
            if "\n" not in text and column.content_width < len(text):
                return False
    return True


def _wait(path: str):  # type: ignore[no-untyped-def]
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await loaded(pilot, pilot.app)
        # let the layout settle (the ladder re-wraps once its pane has its size) before the
        # screen is taken: on a busy machine one pause was not always enough
        await pilot.app.workers.wait_for_complete()
        tree = pilot.app.query_one("#tree")
        for _ in range(50):  # the app opens on the first failed pairing once laid out
            if pilot.app._first_failed is None or tree.cursor_node is pilot.app._first_failed:
                break
            await pilot.pause(0.02)
        # A DataTable sizes its columns for the rows it was given when it is next idle, and
        # a pause may end before that on a loaded machine (Textual's idle wait measures this
        # process's CPU, little when the machine is busy): the findings table was once taken
        # with its columns as wide as their headers.  Wait for every table to have sized them.
        # The flag alone was seen clear with the findings table's columns still as wide as
        # their headers (a full suite on a loaded machine): the columns must also be as wide
        # as the one-line cells they show.
        tables = list(pilot.app.query(DataTable))
        for _ in range(200):
            # (a private flag: a Textual without it leaves the widths to tell)
            pending = any(getattr(t, "_require_update_dimensions", False) for t in tables)
            if not pending and all(_sized(t) for t in tables):
                break
            await pilot.pause(0.02)
        else:
            raise AssertionError("a table did not size its columns")
        for t in tables:
            t.refresh()
        for _ in range(5):
            await pilot.wait_for_scheduled_animations()
            await pilot.pause(0.05)

    return run_before


# tests/data/truncated_passkey_wrong.btsnoop: captures/legacy_passkey_wrong.btsnoop without its
# last 7 bytes (a record cut short), to show read problems on screen.
TRUNCATED = "tests/data/truncated_passkey_wrong.btsnoop"


@pytest.mark.skipif(os.environ.get("BPDIAG_NO_SNAPSHOTS") == "1", reason="disabled")
@pytest.mark.parametrize("path", [FAILED, SC_OK, TRUNCATED], ids=["failed", "sc_ok", "problems"])
def test_snapshots(snap_compare, path: str) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(make_app(path), terminal_size=SIZE, run_before=_wait(path))


async def test_selected_field_bytes_are_highlighted() -> None:
    from bpdiag.tui.model import field_spans, hexdump_marked

    async with running(make_app(FAILED), size=SIZE) as (app, pilot):
        assert app.loaded is not None
        row = next(r for r in app.loaded.packets if r.name == "Pairing Request")
        spans = field_spans(row)
        offset, length = spans["io_capability"]
        assert row.raw[offset] == 0x04 and length == 1  # KeyboardDisplay, on the wire
        app.show_detail(row, "io_capability")
        await pilot.pause()
        assert app.detail_span == (offset, 1)
        text = hexdump_marked(row.raw, app.detail_span)
        marked = [s for s in text.spans if "reverse" in str(s.style)]
        assert len(marked) == 1
        assert text.plain[marked[0].start : marked[0].end] == "04"


async def test_key_bytes_stay_hidden() -> None:
    async with running(make_app(SC_OK), size=SIZE) as (app, pilot):
        assert app.loaded is not None
        row = next(r for r in app.loaded.packets if r.name == "Identity Information")
        app.show_detail(row)
        await pilot.pause()
        assert "bytes hidden" in str(app.query_one("#detail").render())


async def test_frames_around_are_dissected_by_scapy() -> None:
    pytest.importorskip("scapy")
    async with running(make_app(FAILED), size=SIZE) as (app, pilot):
        app.query_one("#packets").focus()
        await pilot.press("f")
        await pilot.pause()
        assert app.raw_frames is not None
        assert len(app.raw_frames) == 38  # every record of this small capture
        from bpdiag.tui.model import dissect

        summary, dump = dissect(app.raw_frames[26])  # Command Complete (Read BD_ADDR)
        assert "HCI_Event_Command_Complete" in summary and "###[" in dump
        await pilot.press("enter")
        await pilot.pause()
        assert "###[" in str(app.query_one("#detail").render())
        await pilot.press("f")
        await pilot.pause()
        assert app.raw_frames is None


async def test_pairing_failed_is_red_in_the_ladder() -> None:
    async with running(make_app(FAILED), size=SIZE) as (app, _pilot):
        red = [s for s in app.ladder_text.spans if "red" in str(s.style)]
        assert red
        assert any(
            "Unspecified Reason (0x08)" in app.ladder_text.plain[s.start : s.end] for s in red
        )
