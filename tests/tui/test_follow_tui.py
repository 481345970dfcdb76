"""tui --follow: the TUI reads the capture again as it grows."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("textual")

from bpdiag.tui.app import make_app
from tests.conftest import ROOT
from tests.tui.pilot import running

SIZE = (150, 44)


async def test_follow_reloads_when_the_file_grows(tmp_path: Path) -> None:
    data = (ROOT / "captures" / "dhkey_check_failed.btsnoop").read_bytes()
    path = tmp_path / "growing.btsnoop"
    path.write_bytes(data[:16])
    async with running(make_app(str(path), follow=True), size=SIZE) as (app, pilot):
        assert app.loaded is not None and not app.loaded.analysis.pairings
        first = app.loaded
        path.write_bytes(data)
        app.reload_if_grown()
        for _ in range(100):
            await pilot.pause(0.05)
            if app.loaded is not first:
                break
        assert app.loaded is not first
        assert [p.outcome for p in app.loaded.analysis.pairings] == ["failed"]
        tree = app.query_one("#tree")
        assert [str(n.label) for n in tree.root.children] == [
            "✗ Connection 1"
        ]  # the reload marks it failed
