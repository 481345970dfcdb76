"""The pytest plugin (entry point pytest11): each expectations.toml becomes one item per capture,
a mismatch fails with `bpdiag check`'s text, nothing is collected twice, and a project whose
testpaths keep captures out (as bpdiag's own) is not touched."""

from __future__ import annotations

import importlib.metadata
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

# What an inner run's capture items import — the whole analysis, with cryptography — is
# imported here first: runpytest_inprocess drops the modules an inner run imported, and
# cryptography imported again rejected its own AES (TypeError: Expected instance of
# BlockCipherAlgorithm) when this file ran on its own.
import bpdiag.diagnose  # noqa: F401
from tests.conftest import OWN, ROOT


def _plugin_args() -> list[str]:
    """The inner pytest loads bpdiag's plugin and no other: the ``folder`` fixture turns the
    entry points off (none of the dozen plugins installed beside it is under test).  It runs
    in this process (``runpytest_inprocess``) with a configuration of its own: a fresh
    interpreter per run added two seconds of start-up and tested nothing more, the entry
    point being checked on its own above."""
    return ["-p", "bpdiag.pytest_plugin"]


def test_the_plugin_is_registered_as_a_pytest11_entry_point() -> None:
    """What lets a project's pytest find the plugin once bpdiag is installed."""
    registered = {ep.value for ep in importlib.metadata.entry_points(group="pytest11")}
    assert "bpdiag.pytest_plugin" in registered


def test_loading_the_plugin_leaves_the_analysis_unimported() -> None:
    """Every pytest process of an environment with bpdiag installed loads the plugin (each
    xdist worker and the controller, whatever the project): the rules stack it checks
    captures with (0.3–0.7 s) is imported when a capture item runs, not at load."""
    probe = (
        "import sys, bpdiag.pytest_plugin; "
        "print(sorted(m for m in sys.modules if m.startswith('bpdiag')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == [
        "['bpdiag',",
        "'bpdiag.pytest_plugin',",
        "'bpdiag.report',",
        "'bpdiag.report.expectations']",
    ]


@pytest.fixture
def folder(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    d = pytester.path / "caps"
    d.mkdir()
    for n in ("not_in_pairing_mode.btsnoop", "sc_justworks_success.btsnoop"):
        shutil.copy(OWN / n, d / n)
    shutil.copy(OWN / "legacy_justworks_success.btsnoop", d / "unlisted.btsnoop")
    (d / "expectations.toml").write_text(
        '[omron]\nfile = "not_in_pairing_mode.btsnoop"\nfindings = ["mitm-unsatisfiable"]\n'
        '[sc]\nfile = "sc_justworks_success.btsnoop"\nfindings = []\n'
        '[[sc.pairings]]\noutcome = "success"\n'
    )
    return d


def test_one_item_per_capture_and_check_text_on_failure(
    pytester: pytest.Pytester, folder: Path
) -> None:
    r = pytester.runpytest_inprocess(*_plugin_args(), "-v", "-p", "no:cacheprovider")
    r.assert_outcomes(passed=1, failed=2)
    out = r.stdout.str()
    assert "caps/expectations.toml::sc PASSED" in out
    assert "caps/expectations.toml::omron FAILED" in out
    assert "caps/expectations.toml::unlisted FAILED" in out
    r.stdout.fnmatch_lines(
        [
            "MISMATCH omron: finding codes: expected ['mitm-unsatisfiable'], "
            "got ['pairing-mode-inactive']",
            "MISMATCH unlisted.btsnoop: capture has no expectations: *",
        ]
    )
    assert "Traceback" not in out


def test_same_file_reached_several_ways_is_collected_once(
    pytester: pytest.Pytester, folder: Path
) -> None:
    r = pytester.runpytest_inprocess(
        *_plugin_args(), "-p", "no:cacheprovider", ".", "caps", "caps/expectations.toml"
    )
    r.assert_outcomes(passed=1, failed=2)


def test_testpaths_keep_a_projects_own_captures_out(
    pytester: pytest.Pytester, folder: Path
) -> None:
    # bpdiag's own layout: testpaths = ["tests"], captures/ beside it
    pytester.makepyprojecttoml('[tool.pytest.ini_options]\ntestpaths = ["tests"]\n')
    tests = pytester.path / "tests"
    tests.mkdir()
    (tests / "test_x.py").write_text("def test_x():\n    pass\n")
    r = pytester.runpytest_inprocess(*_plugin_args(), "-p", "no:cacheprovider")
    r.assert_outcomes(passed=1)


def test_ini_switch_turns_collection_off(pytester: pytest.Pytester, folder: Path) -> None:
    pytester.makeini("[pytest]\nbpdiag_collect_expectations = false\n")
    r = pytester.runpytest_inprocess(*_plugin_args(), "-p", "no:cacheprovider")
    assert r.ret == pytest.ExitCode.NO_TESTS_COLLECTED
