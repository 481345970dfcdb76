"""Time the TUI on a capture, headless (Textual's ``run_test`` pilot): seconds from start to
the first screen, and to the full analysis shown.  Prints one JSON line.

    python bench/tui_time.py CAPTURE
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
    async with app.run_test(headless=True, size=(160, 50)) as pilot:
        await pilot.pause()  # mounted and the first frame rendered
        first = time.perf_counter() - t0
        full: float | None = None
        while time.perf_counter() - t0 < limit:
            if app.loaded is not None:
                await pilot.pause()  # the finished analysis rendered
                full = time.perf_counter() - t0
                break
            await asyncio.sleep(0.02)
        await pilot.press("q")
    return {"first_screen_s": first, "full_analysis_s": full}


def main() -> None:
    print(json.dumps(asyncio.run(measure(sys.argv[1]))))


if __name__ == "__main__":
    main()
