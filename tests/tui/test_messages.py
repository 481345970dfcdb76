"""The workers' messages are dataclasses: built as the app builds them, each is an initialised
Textual message (Message.__post_init__ ran once: no recursion, a timestamp, a handler name)."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("textual")

from bpdiag.tui.messages import Compared, Finished, LoadFailed, Progressed, RerunDone


def test_messages_keep_their_fields_and_are_initialised() -> None:
    request = object()
    done = RerunDone(request, None, "", ["note"], "no adapter")  # type: ignore[arg-type]
    assert (done.request, done.analysis, done.result, done.notes, done.error) == (
        request,
        None,
        "",
        ["note"],
        "no adapter",
    )
    assert RerunDone(request, None, "ok", []).error is None  # type: ignore[arg-type]
    assert Compared(None, f"cannot read {Path('x')}").error == "cannot read x"
    assert Progressed(1, 2).decoded == 0
    for m in (done, Compared(None), Progressed(1, 2), LoadFailed("gone"), Finished(None)):  # type: ignore[arg-type]
        assert isinstance(m.time, float)
    assert (RerunDone.handler_name, Compared.handler_name) == ("on_rerun_done", "on_compared")
