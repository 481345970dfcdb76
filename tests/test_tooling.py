"""The tools that keep the shape of the code: ruff (lint), mypy (types; strict on capture/,
decode/, analysis/ and rules/) and import-linter (the layers contract in pyproject.toml).
Each runs as CI runs it, from the project root, and a failure shows the tool's own report."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _run(tool: str, *args: str) -> None:
    exe = shutil.which(tool, path=str(Path(sys.executable).parent)) or shutil.which(tool)
    if exe is None:
        pytest.fail(f"{tool} is not installed; it comes with the test extra (.[test])")
    proc = subprocess.run(
        [exe, *args], cwd=ROOT, capture_output=True, text=True, timeout=600, check=False
    )
    assert proc.returncode == 0, f"{tool} {' '.join(args)} failed:\n{proc.stdout}{proc.stderr}"


def test_ruff_check() -> None:
    _run("ruff", "check", ".")


@pytest.mark.slow
def test_mypy() -> None:
    _run("mypy")


def test_import_layers() -> None:
    _run("lint-imports")
