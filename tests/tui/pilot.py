"""Helpers for the TUI pilot tests."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from bpdiag.tui.app import BpdiagApp


async def loaded(pilot: object, app: BpdiagApp) -> None:
    """Wait until the capture is analysed and shown."""
    for _ in range(200):
        await pilot.pause(0.02)  # type: ignore[attr-defined]
        if app.loaded is not None:
            await pilot.pause()  # type: ignore[attr-defined]
            return
    raise AssertionError("capture did not load")


@contextlib.asynccontextmanager
async def running(app: BpdiagApp, size: tuple[int, int]) -> AsyncIterator[tuple[BpdiagApp, Any]]:
    """The app under a pilot in a terminal of ``size``, once its capture is loaded."""
    async with app.run_test(size=size) as pilot:
        await loaded(pilot, app)
        yield app, pilot
