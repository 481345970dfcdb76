"""Write the full golden outputs: ``analyze --json`` and ``dump --json`` of every capture in
captures/ and ../shared/captures, into tests/golden/full/. Review the diff before committing:
a change here is a change users see.

    python scripts/update_golden.py
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.golden_outputs import GOLDEN_DIR, golden_captures, outputs  # noqa: E402


def main() -> None:
    GOLDEN_DIR.mkdir(parents=True, exist_ok=True)
    for old in GOLDEN_DIR.glob("*.json*"):
        old.unlink()
    for path in golden_captures():
        for kind, text in outputs(path).items():
            (GOLDEN_DIR / f"{path.name}.{kind}").write_text(text)
    print(f"wrote {len(list(GOLDEN_DIR.iterdir()))} files to {GOLDEN_DIR.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
