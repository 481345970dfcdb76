"""Every output users see, kept whole: ``analyze --json`` and ``dump --json`` of every bundled
and shared capture equal tests/golden/full/ byte for byte (with the exit status). A refactor
must leave them as they are; a change in behaviour regenerates them with
``python scripts/update_golden.py`` and the diff is reviewed in the commit."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import require_shared
from tests.golden_outputs import GOLDEN_DIR, golden_captures, outputs


@pytest.mark.parametrize("path", golden_captures(), ids=lambda p: p.name)
def test_full_outputs_unchanged(path: Path) -> None:
    for kind, text in outputs(path).items():
        golden = GOLDEN_DIR / f"{path.name}.{kind}"
        assert golden.exists(), f"no golden for {path.name}; run scripts/update_golden.py"
        assert text == golden.read_text(), f"{golden.name} differs; see scripts/update_golden.py"


def test_every_golden_has_its_capture() -> None:
    require_shared()  # without the shared corpus, its captures' goldens look stale
    names = {p.name for p in golden_captures()}
    stale = [g.name for g in GOLDEN_DIR.iterdir() if g.name.rsplit(".", 2)[0] not in names]
    if not names:
        pytest.skip("no captures found")
    assert not stale, f"goldens without a capture: {stale}"
