"""The loader and the packet table on large captures (issue 11): progress reports replace
each other in the queue instead of flooding it, and the table holds a bounded window of the
matching packets that moves to a finding's evidence."""

from __future__ import annotations

import pytest

pytest.importorskip("textual")

from textual.widgets import DataTable

import bpdiag.tui.app as tui_app
from bpdiag.tui.app import make_app
from bpdiag.tui.messages import LoadFailed, Progressed
from tests.tui.pilot import running

FAILED = "captures/not_in_pairing_mode.btsnoop"
BIG = (160, 48)


def test_a_progress_report_replaces_an_older_one_only() -> None:
    newer, older = Progressed(20, 100, 7), Progressed(10, 100, 3)
    assert newer.can_replace(older)
    assert not older.can_replace(LoadFailed("gone"))  # an outcome is never dropped


async def test_packet_table_is_a_window_that_moves_to_the_evidence(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(tui_app, "PACKET_WINDOW", 4)
    async with running(make_app(FAILED), size=BIG) as (app, pilot):
        table = app.query_one("#packets", DataTable)
        total = len(app.matching)
        assert total > 8  # the capture has more packets than the window
        assert table.row_count == len(app.shown_rows) == 4
        assert app.shown_rows == app.matching[:4]
        assert table.border_title is not None and f"1–4 of {total}" in str(table.border_title)
        app.query_one("#findings").focus()
        await pilot.press("enter")
        await pilot.pause()
        assert app.highlight == {32, 33, 35}
        frames = [r.frame for r in app.shown_rows]
        assert 32 in frames and len(frames) == 4
        assert app.shown_rows[table.cursor_row].frame == 32  # the cursor on the evidence
        assert app.shown_rows == app.matching[app.window_start : app.window_start + 4]


async def test_small_capture_shows_every_packet_without_a_window_title() -> None:
    async with running(make_app(FAILED), size=BIG) as (app, _pilot):
        table = app.query_one("#packets", DataTable)
        assert table.row_count == len(app.matching) == len(app.loaded.packets)  # type: ignore[union-attr]
        assert not table.border_title


async def test_an_unreadable_capture_says_so(tmp_path: object) -> None:
    from pathlib import Path

    bad = Path(str(tmp_path)) / "not-a-capture.btsnoop"
    bad.write_bytes(b"this is no capture at all\n" * 4)
    app = make_app(str(bad))
    async with app.run_test(size=BIG) as pilot:
        for _ in range(100):
            await pilot.pause(0.02)
            text = str(app.query_one("#ladder").render())
            if "Cannot read" in text or app.loaded is not None:
                break
        assert app.loaded is None and "Cannot read" in text


async def test_a_big_tree_adds_pairings_when_their_connection_opens(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Beyond EAGER_TREE_NODES the tree adds a connection's pairings when it is expanded (the
    opening connection, with the first failed pairing, at once); the findings table then
    shows a window of FINDINGS_WINDOW and says so."""
    from textual.widgets import Tree

    monkeypatch.setattr(tui_app, "EAGER_TREE_NODES", 0)
    monkeypatch.setattr(tui_app, "FINDINGS_WINDOW", 1)
    app = make_app("captures/dhkey_failed_over_bond.btsnoop")
    async with running(app, size=BIG) as (app, pilot):
        tree = app.query_one("#tree", Tree)
        first, second = tree.root.children
        assert not first.children and not first.is_expanded and first.allow_expand
        assert [c.data for c in second.children] == [("pairing", 2)] and second.is_expanded
        assert app._first_failed is second.children[0]
        first.expand()
        await pilot.pause()
        assert [c.data for c in first.children] == [("pairing", 1)]
        first.collapse()
        first.expand()
        await pilot.pause()
        assert len(first.children) == 1  # filled once
        findings = app.query_one("#findings", DataTable)
        assert findings.row_count == 1 and "1–1 of 2" in str(findings.border_title)
