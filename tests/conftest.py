"""Shared fixtures: where the real captures are, and tshark (run once per capture)."""

from __future__ import annotations

import gc
import json
import os
import shutil
import sys
import tempfile
from collections import defaultdict
from collections.abc import Generator
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


def _cache_dir(config: pytest.Config, name: str) -> Path:
    """A folder of the session's caches: in pytest's cache directory, or the system's temporary
    one under ``-p no:cacheprovider``."""
    cache = getattr(config, "cache", None)
    if cache is not None:
        return Path(cache.mkdir(name))
    where = Path(tempfile.gettempdir()) / f"bpdiag-{name}-{os.getuid()}"
    where.mkdir(parents=True, exist_ok=True)
    return where


def _keep_bytecode(config: pytest.Config) -> None:
    """Compiled modules are kept, in the cache directory, when the environment asks Python not
    to write bytecode beside the sources (``PYTHONDONTWRITEBYTECODE``).  Without them every
    process of the run — each xdist worker, every ``python -m bpdiag`` and pytester subprocess,
    every Dask worker — compiled all of bpdiag and the tests from source again (3–4 s of CPU
    per worker's collection, ~0.15 s per CLI run).  Set here, before xdist starts its
    workers, so that they and every subprocess inherit it; a prefix the user chose is kept."""
    if not (sys.flags.dont_write_bytecode or os.environ.get("PYTHONDONTWRITEBYTECODE")):
        return
    prefix = os.environ.get("PYTHONPYCACHEPREFIX") or str(_cache_dir(config, "pycache"))
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    os.environ["PYTHONPYCACHEPREFIX"] = prefix
    sys.pycache_prefix = prefix
    sys.dont_write_bytecode = False


def pytest_configure(config: pytest.Config) -> None:
    _keep_bytecode(config)
    _schedule_by_time(config)


FILE_SECONDS = "bpdiag/file-seconds"


class FileClock:
    """How long each test file took (setup, call and teardown of its tests), kept in pytest's
    cache at the end of a run: the next run under xdist hands out the longest files first
    (``_longest_files_first``).  Files that did not run keep their last figure."""

    def __init__(self, cache: pytest.Cache) -> None:
        self.cache = cache
        self.seconds: defaultdict[str, float] = defaultdict(float)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.seconds[report.nodeid.split("::", 1)[0]] += report.duration

    def pytest_sessionfinish(self) -> None:
        if self.seconds:
            known = self.cache.get(FILE_SECONDS, {})
            known.update({f: round(s, 3) for f, s in self.seconds.items()})
            self.cache.set(FILE_SECONDS, known)


# Each file's seconds in one whole run from a fresh clone (no pytest, mypy or tshark cache,
# as CI runs), for the files pytest's cache has no figure for: all of them in a fresh clone.
# Only the order the files are handed out in depends on it.  Refreshed from such a run's
# .pytest_cache/v/bpdiag/file-seconds, rounded to 0.1 s.
FRESH_CHECKOUT_SECONDS = ROOT / "tests" / "file_seconds.json"


def _file_seconds(config: pytest.Config) -> dict[str, float]:
    """Each test file's seconds: in the last run that ran it (pytest's cache), else in the
    fresh checkout's run (``FRESH_CHECKOUT_SECONDS``)."""
    try:
        fresh = json.loads(FRESH_CHECKOUT_SECONDS.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        fresh = {}
    cache = getattr(config, "cache", None)
    known = cache.get(FILE_SECONDS, {}) if cache is not None else {}
    return {
        **(fresh if isinstance(fresh, dict) else {}),
        **(known if isinstance(known, dict) else {}),
    }


def _schedule_by_time(config: pytest.Config) -> None:
    """On the xdist controller: record the files' times, and when a past run left them (or
    ``FRESH_CHECKOUT_SECONDS`` has them), hand out the files in collection order
    (``--no-loadscope-reorder``), which ``_longest_files_first`` makes longest first.
    xdist's own order (most tests first) put one-test files that take 20 s (mypy, a killed
    Dask worker) at the end of a run, where one worker ran them while the other sat idle."""
    if hasattr(config, "workerinput"):
        return
    cache = getattr(config, "cache", None)
    if cache is not None:
        config.pluginmanager.register(FileClock(cache), "bpdiag-file-clock")
    if getattr(config.option, "dist", "no") in ("loadfile", "loadscope") and _file_seconds(config):
        config.option.loadscopereorder = False


def _longest_files_first(config: pytest.Config, items: list[pytest.Item]) -> None:
    """In an xdist worker, order the test files by the time each took in the last run that
    ran it, longest first; a file without a figure is estimated from its number of tests.
    Tests keep their order within a file.  Every worker sorts the same collection the same
    way, as xdist requires."""
    known = _file_seconds(config)
    if not known or not hasattr(config, "workerinput"):
        return
    per_test = sum(known.values()) / max(1, len(items))
    files: dict[str, list[pytest.Item]] = {}
    for item in items:
        files.setdefault(item.nodeid.split("::", 1)[0], []).append(item)

    def cost(name: str) -> float:
        return float(known.get(name, per_test * len(files[name])))

    items[:] = [item for name in sorted(files, key=lambda n: -cost(n)) for item in files[name]]


@pytest.hookimpl(wrapper=True)
def pytest_collection(session: pytest.Session) -> Generator[None, object, object]:
    """Collection runs with the cyclic collector off: it allocates the objects that
    ``pytest_collection_finish`` freezes (imports, items, strategies), and each automatic
    collection on the way traversed all that had been built so far again (the suite's
    collection took 4.2-4.9 s of CPU, 3.1-3.2 s without them).  The collection at the end
    still frees whatever cycles collection left."""
    gc.disable()
    try:
        return (yield)
    finally:
        gc.enable()


def pytest_collection_finish(session: pytest.Session) -> None:
    """What collection built — every imported module, the collected items and their
    parameters, Hypothesis's strategies — lives to the end of the session: moved out of the
    cyclic collector's sight (``gc.freeze``), so that the collections the tests' own
    allocations set off stop traversing it again each time.  Objects made by tests are
    collected as before."""
    gc.collect()
    gc.freeze()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The markers registered in pyproject.toml, from what each test uses: ``tshark`` for a
    test that asks for tshark, ``live`` for tests/live; under xdist, the longest files first."""
    _longest_files_first(config, items)
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
    """tshark's dissection of a capture (tests/tshark.py), one run per file, cached on disk
    (``_cache_dir``)."""
    return Tshark(tshark, _cache_dir(request.config, "tshark"))


def require_shared() -> None:
    if not SHARED.is_dir():
        pytest.skip(f"the shared capture corpus is not at {SHARED}")
