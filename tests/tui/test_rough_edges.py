"""The TUI's rough edges a newcomer met (issue 12): the rerun dialog emptied the packet list,
Esc in the filter, help and finding detail with room and keyboard scrolling, "what would
work", a node and a view per connection, the rerun dialog's focus, Run button and checkboxes,
the ladder's wrapping and times, `f`'s cursor, and where `r` and `p` write."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("textual")

from textual.widgets import Button, DataTable, Input

from bpdiag.analysis.model import Analysis as AnalysisModel
from bpdiag.analysis.model import CaptureInfo, Failure, Pairing
from bpdiag.tui.app import make_app
from bpdiag.tui.model import ladder_lines, opening_pairing
from bpdiag.tui.rerun import RerunScreen, rerun_capture_path
from bpdiag.tui.widgets import HelpScreen, MarkedCheckbox, wrap_marked
from tests.tui.pilot import running

FAILED = "captures/not_in_pairing_mode.btsnoop"
MITM = "captures/mitm_unsatisfiable.btsnoop"
BOND_LOST = "captures/bond_lost_reconnect.btsnoop"
BIG = (160, 48)


async def _until(pilot: object, app: object, kind: type) -> None:
    for _ in range(100):
        await pilot.pause(0.02)  # type: ignore[attr-defined]
        if isinstance(app.screen, kind):  # type: ignore[attr-defined]
            return
    raise AssertionError(f"{kind.__name__} did not open")


async def test_rerun_dialog_leaves_the_packet_list_alone() -> None:
    async with running(make_app(FAILED), size=BIG) as (app, pilot):
        before = [r.frame for r in app.shown_rows]
        assert len(before) > 10
        await pilot.press("p")
        await _until(pilot, app, RerunScreen)
        app.screen.query_one("#capture", Input).value = "/tmp/somewhere-else.btsnoop"
        app.screen.query_one("#sim", Input).value = "omron-bpm:pairing-mode=on"
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert app.text == ""
        assert [r.frame for r in app.shown_rows] == before
        assert app.query_one("#packets", DataTable).row_count == len(before)


async def test_escape_in_the_filter_clears_it_and_leaves_the_box() -> None:
    async with running(make_app(FAILED), size=BIG) as (app, pilot):
        total = len(app.shown_rows)
        await pilot.press("slash", *"Security")
        await pilot.pause()
        assert [r.name for r in app.shown_rows] == ["Security Request"]
        await pilot.press("escape")
        await pilot.pause()
        box = app.query_one("#filter", Input)
        assert box.value == "" and not box.has_class("visible") and not box.has_focus
        assert app.focused is app.query_one("#packets")
        assert len(app.shown_rows) == total
        await pilot.press("e")  # a key after Esc is a command again, not filter text
        await pilot.pause()
        assert box.value == "" and [r.frame for r in app.shown_rows] == [35]


async def test_help_is_a_screen_that_scrolls_from_the_keyboard() -> None:
    async with running(make_app(FAILED), size=(100, 16)) as (app, pilot):
        await pilot.press("question_mark")
        await _until(pilot, app, HelpScreen)
        pane = app.screen.query_one("#help")
        assert pane.has_focus and pane.max_scroll_y > 0
        await pilot.press("pagedown")
        await pilot.pause()
        assert pane.scroll_y > 0
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)


async def test_finding_detail_has_room_and_scrolls() -> None:
    async with running(make_app(MITM), size=BIG) as (app, pilot):
        app.query_one("#findings").focus()
        await pilot.press("enter")
        await pilot.pause()
        detail = app.query_one("#detail-pane")
        assert detail.has_class("finding")
        assert detail.size.height >= 20  # was 12 rows with borders at 160x48
        text = str(app.query_one("#detail").render())
        assert "fix:" in text and "bt_conn_set_security" in text
    async with running(make_app(MITM), size=(120, 30)) as (
        app,
        pilot,
    ):  # too small for the whole fix
        app.query_one("#findings").focus()
        await pilot.press("enter")
        await pilot.pause()
        detail = app.query_one("#detail-pane")
        assert detail.max_scroll_y > 0
        detail.focus()
        await pilot.pause()
        assert detail.has_focus
        await pilot.press("end")
        await pilot.wait_for_scheduled_animations()  # End scrolls smoothly, then stops
        await pilot.pause()
        assert detail.scroll_y == detail.max_scroll_y > 0


async def test_failed_pairing_shows_what_would_work() -> None:
    async with running(make_app(MITM), size=BIG) as (app, _pilot):
        text = app.ladder_text.plain
        assert "What would work: io=NoInputNoOutput mitm=off" in text
        assert "$ bpdiag pair <address>" in text


async def test_every_connection_has_a_marked_node_and_its_own_view() -> None:
    async with running(make_app(BOND_LOST), size=BIG) as (app, pilot):
        tree = app.query_one("#tree")
        labels = [str(n.label) for n in tree.root.children]  # type: ignore[attr-defined]
        assert labels == ["✓ Connection 1", "✗ Connection 2"]
        node = tree.root.children[1]  # type: ignore[attr-defined]
        tree.select_node(node)  # type: ignore[attr-defined]
        await pilot.pause()
        text = " ".join(app.ladder_text.plain.split())
        assert text.startswith("✗ Connection 2")
        assert "No pairing on this connection." in text
        assert "encryption with a stored key FAILED: PIN or Key Missing (0x06)" in text
        assert "bond-lost" in text
        assert "Pairing Request" not in text  # Pairing 1's ladder is gone
        assert app.ladder_pairing is None and app.selected_connection == 2


def test_opens_on_the_first_failed_pairing() -> None:
    info = CaptureInfo("x", "btsnoop", 1002, "H4")
    ok = Pairing(id=1, connection=1, first_frame=1, confirms=2, randoms=2, keys=[])
    ok.encrypted_frame = 9
    bad = Pairing(id=2, connection=2, first_frame=20)
    bad.failure = Failure(reason=8, name="Unspecified Reason", sent_by="responder", frame=22)
    a = AnalysisModel(capture=info, pairings=[ok, bad])
    assert ok.outcome == "success" and bad.outcome == "failed"
    assert opening_pairing(a) is bad
    assert opening_pairing(AnalysisModel(capture=info, pairings=[ok])) is ok
    assert opening_pairing(AnalysisModel(capture=info)) is None


async def test_rerun_dialog_focus_run_button_and_checkbox_marks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BPDIAG_STATE_DIR", str(tmp_path / "state"))
    async with running(make_app(MITM), size=(100, 30)) as (app, pilot):
        await pilot.press("p")
        await _until(pilot, app, RerunScreen)
        screen = app.screen
        assert screen.focused is screen.query_one("#sim", Input)  # first Enter runs
        run = screen.query_one("#run", Button)
        region = run.region
        assert region.height > 0 and region.bottom <= 30 and region.right <= 100  # visible
        capture = screen.query_one("#capture", Input).value
        assert capture.startswith(str(tmp_path / "state" / "reruns" / "bpdiag-rerun-"))
        mitm = screen.query_one("#mitm", MarkedCheckbox)
        sc = screen.query_one("#sc", MarkedCheckbox)
        assert mitm.value and not sc.value
        assert "✓" in str(mitm.render()) and "✓" not in str(sc.render())
        results: list[object] = []
        screen.dismiss = results.append  # type: ignore[method-assign]
        await pilot.press("enter")
        await pilot.pause()
        assert len(results) == 1 and results[0] is not None


def test_reruns_go_to_the_state_directory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BPDIAG_STATE_DIR", raising=False)
    monkeypatch.setenv("XDG_STATE_HOME", "/x/state")
    path = rerun_capture_path("20260101-000000")
    assert path == Path("/x/state/bpdiag/reruns/bpdiag-rerun-20260101-000000.btsnoop")


async def test_ladder_wraps_under_its_marker_and_times_count_from_the_start() -> None:
    async with running(make_app(MITM), size=BIG) as (app, pilot):
        app.query_one("#findings").focus()
        await pilot.press("enter")
        await pilot.pause()
        lines = app.ladder_text.plain.splitlines()
        req = lines.index(next(line for line in lines if "Pairing Request io=" in line))
        # the request's label wraps; each continuation keeps ▶ and is indented past the label
        assert lines[req + 1].startswith("▶       ") and lines[req + 2].startswith("▶       ")
        width = app._ladder_width()
        assert all(len(line) <= width for line in lines)
        assert "#32 +0.000s" in app.ladder_text.plain and "#35 +0.001s" in app.ladder_text.plain
        assert " ms" not in app.ladder_text.plain


def test_ladder_time_column_fits_on_sniffer_sized_frames() -> None:
    from bpdiag.diagnose import diagnose_file

    a = diagnose_file(MITM)
    p = a.pairings[0]
    for s in p.steps:
        s.frame += 1_000_000  # seven-digit frame numbers, as on a long sniffer capture
    for width in (40, 62, 100):
        arrows = [t for f, t in ladder_lines(p, width=width) if "#" in t]
        assert arrows and all(len(t) <= max(width, 12 + 22) for t in arrows)
        assert len({len(t) for t in arrows}) == 1  # one column for every step


def test_wrap_marked_keeps_marker_and_indent() -> None:
    out = wrap_marked("▶ ", "    " + "word " * 30, 40)
    assert len(out) > 1 and all(line.startswith("▶ ") and len(line) <= 40 for line in out)
    assert out[1].startswith("▶       ")


async def test_frames_view_puts_the_cursor_on_the_packet() -> None:
    async with running(make_app(FAILED), size=BIG) as (app, pilot):
        table = app.query_one("#packets", DataTable)
        frames = [r.frame for r in app.shown_rows]
        table.focus()
        table.move_cursor(row=frames.index(33))
        await pilot.press("f")
        await pilot.pause()
        keys = list(table.rows)
        assert keys[table.cursor_row].value == "raw33"


async def test_report_says_where_it_wrote(tmp_path: Path) -> None:
    cap = tmp_path / "c.btsnoop"
    cap.write_bytes(Path(FAILED).read_bytes())
    async with running(make_app(str(cap)), size=BIG) as (app, pilot):
        await pilot.press("r")
        await pilot.pause()
        messages = [n.message for n in app._notifications]
        assert any(str(tmp_path / "c.btsnoop.bpdiag.html") in m for m in messages)
