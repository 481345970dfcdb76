"""Shared fixtures: where the real captures are, and tshark (run once per capture)."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from tests.tshark import Tshark

pytest_plugins = ["pytester"]  # tests/test_pytest_plugin.py runs pytest inside pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "captures"
OWN = ROOT / "captures"


def shared_captures() -> list[Path]:
    if not SHARED.is_dir():
        return []
    return sorted(p for p in SHARED.iterdir() if p.is_file() and p.suffix != ".md")


def own_captures() -> list[Path]:
    return sorted(OWN.glob("*.btsnoop"))


def all_captures() -> list[Path]:
    return shared_captures() + own_captures()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The markers registered in pyproject.toml, from what each test uses: ``tshark`` for a
    test that asks for tshark, ``live`` for tests/live."""
    live = ROOT / "tests" / "live"
    for item in items:
        if {"tshark", "dissect"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.tshark)
        if live in item.path.parents:
            item.add_marker(pytest.mark.live)


def capture_id(p: Path) -> str:
    return p.name


@pytest.fixture(scope="session")
def tshark() -> str:
    exe = shutil.which("tshark")
    if exe is None:
        pytest.skip("tshark is not installed (apt-get install tshark); .ci/run installs it")
    return exe


@pytest.fixture(scope="session")
def dissect(tshark: str, request: pytest.FixtureRequest) -> Tshark:
    """tshark's dissection of a capture (tests/tshark.py), one run per file, cached on disk:
    in pytest's cache directory, or the system's temporary one under ``-p no:cacheprovider``."""
    cache = getattr(request.config, "cache", None)
    if cache is not None:
        where = cache.mkdir("tshark")
    else:
        where = Path(tempfile.gettempdir()) / f"bpdiag-tshark-{os.getuid()}"
    return Tshark(tshark, where)


def require_shared() -> None:
    if not SHARED.is_dir():
        pytest.skip(f"the shared capture corpus is not at {SHARED}")
