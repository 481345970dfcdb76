"""The full outputs kept as goldens: ``analyze --json`` and ``dump --json`` of every capture
(bundled and shared), run in-process through the CLI. The capture's path is given relative to
its folder's parent so the text does not depend on where the checkout lives."""

from __future__ import annotations

import os
from pathlib import Path

from click.testing import CliRunner

from bpdiag.cli import main
from tests.conftest import OWN, SHARED, own_captures, shared_captures

GOLDEN_DIR = Path(__file__).resolve().parent / "golden" / "full"
KINDS = {"analyze.json": ["analyze", "--json"], "dump.jsonl": ["dump", "--json"]}


def golden_captures() -> list[Path]:
    return shared_captures() + own_captures()


def outputs(path: Path) -> dict[str, str]:
    base = SHARED.parent if path.parent == SHARED else OWN.parent
    rel = os.path.join(path.parent.name, path.name)
    runner = CliRunner()
    out: dict[str, str] = {}
    cwd = os.getcwd()
    os.chdir(base)
    try:
        for kind, args in KINDS.items():
            result = runner.invoke(main, [*args, rel], catch_exceptions=False)
            out[kind] = f"exit {result.exit_code}\n{result.stdout}"
    finally:
        os.chdir(cwd)
    return out
