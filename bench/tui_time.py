"""Time the TUI on a capture, headless (Textual's ``run_test`` pilot): seconds from start to
the first screen, and to the full analysis shown.  Prints one JSON line.

``first_frame_s`` is when the app first hands a composed frame to its display (the first
screen); ``first_screen_s`` is when the pilot's first ``pause()`` returns, which also waits
(up to 1 s) for the process to go idle — while the loader works it never does, so that figure
includes up to a second of the load.  ``full_analysis_cpu_s`` is the process's CPU time (user
+ system) when the analysis is shown: the steadier figure on a shared machine.
``ui_thread_cpu_s`` is the UI thread's share of it (imports, layouts, filling the screen; the
loader works in another thread): the TUI's fixed cost over reading and diagnosing the file.

    python bench/tui_time.py CAPTURE [LIMIT_SECONDS]
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


async def measure(path: str, limit: float = 600.0) -> dict[str, float | None]:
    t0 = time.perf_counter()
    from bpdiag.tui.app import make_app

    app = make_app(path)
    frame: list[float] = []
    display = app._display

    def first_display(screen: object, renderable: object) -> None:
        if renderable is not None and not frame:
            frame.append(time.perf_counter() - t0)
        display(screen, renderable)  # type: ignore[arg-type]

    app._display = first_display  # type: ignore[method-assign]
    async with app.run_test(headless=True, size=(160, 50)) as pilot:
        await pilot.pause()  # mounted and the first frame rendered
        first = time.perf_counter() - t0
        full: float | None = None
        cpu: float | None = None
        ui_cpu: float | None = None
        while time.perf_counter() - t0 < limit:
            if app.loaded is not None:
                await pilot.pause()  # the finished analysis rendered
                full = time.perf_counter() - t0
                cpu = time.process_time()
                ui_cpu = time.thread_time()
                break
            await asyncio.sleep(0.02)
        await pilot.press("q")
    return {
        "first_frame_s": frame[0] if frame else None,
        "first_screen_s": first,
        "full_analysis_s": full,
        "full_analysis_cpu_s": cpu,
        "ui_thread_cpu_s": ui_cpu,
    }


def main() -> None:
    limit = float(sys.argv[2]) if len(sys.argv) > 2 else 600.0  # seconds to wait for the analysis
    print(json.dumps(asyncio.run(measure(sys.argv[1], limit))))


if __name__ == "__main__":
    main()
