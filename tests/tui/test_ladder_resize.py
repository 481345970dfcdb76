"""The ladder is wrapped to its pane's width: a resize that changes the width wraps it again;
one that changes only the height (the progress bar going away when the load ends, a taller
terminal) leaves it as it is, since drawing it again would lay the whole screen out once
more for the same text (issue 11)."""

from __future__ import annotations

import pytest

pytest.importorskip("textual")

from bpdiag.tui.app import BpdiagApp, make_app
from tests.tui.pilot import running

MITM = "captures/mitm_unsatisfiable.btsnoop"


async def test_the_ladder_is_wrapped_again_only_when_its_width_changes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    drawn: list[int] = []
    show_pairing = BpdiagApp.show_pairing

    def counted(self: BpdiagApp, pairing_id: int) -> None:
        drawn.append(pairing_id)
        show_pairing(self, pairing_id)

    monkeypatch.setattr(BpdiagApp, "show_pairing", counted)
    async with running(make_app(MITM), size=(160, 48)) as (app, pilot):
        assert drawn == [1]  # once when the load ended, not again when the progress bar went
        wide, text = app.ladder_width, app.ladder_text.plain
        assert wide == app._ladder_width()
        await pilot.resize_terminal(160, 40)
        await pilot.pause()
        assert drawn == [1] and app.ladder_text.plain == text
        await pilot.resize_terminal(110, 40)
        await pilot.pause()
        assert drawn == [1, 1]
        assert app.ladder_width == app._ladder_width() < wide
        assert app.ladder_text.plain != text  # wrapped to the narrower pane
