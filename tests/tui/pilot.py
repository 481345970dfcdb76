"""Helpers for the TUI pilot tests."""

from __future__ import annotations

from bpdiag.tui.app import BpdiagApp


async def loaded(pilot: object, app: BpdiagApp) -> None:
    """Wait until the capture is analysed and shown."""
    for _ in range(200):
        await pilot.pause(0.02)  # type: ignore[attr-defined]
        if app.loaded is not None:
            await pilot.pause()  # type: ignore[attr-defined]
            return
    raise AssertionError("capture did not load")
