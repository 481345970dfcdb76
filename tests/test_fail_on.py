"""``analyze --fail-on error|warning|never``: the exit status scripts and CI read."""

from __future__ import annotations

from tests.conftest import OWN
from tests.test_cli import run


def test_default_is_error_and_counts_failed_pairings() -> None:
    assert run("analyze", str(OWN / "not_in_pairing_mode.btsnoop")).returncode == 1
    assert run("analyze", str(OWN / "sc_justworks_success.btsnoop")).returncode == 0


def test_an_error_finding_fails_even_when_the_pairing_succeeded() -> None:
    # debug key: the pairing succeeds, the debug-key finding is a warning — no error …
    path = str(OWN / "debug_key_pairing.btsnoop")
    assert run("analyze", path).returncode == 0
    # … but --fail-on warning fails on it.
    assert run("analyze", "--fail-on", "warning", path).returncode == 1


def test_warning_level_and_never() -> None:
    path = str(OWN / "security_request_ignored.btsnoop")  # one warning, nothing failed
    assert run("analyze", path).returncode == 0
    assert run("analyze", "--fail-on", "warning", path).returncode == 1
    assert (
        run("analyze", "--fail-on", "never", str(OWN / "not_in_pairing_mode.btsnoop")).returncode
        == 0
    )
    bad = run("analyze", "--fail-on", "sometimes", path)
    assert bad.returncode == 2


def test_error_finding_on_a_successful_capture_exits_1() -> None:
    from bpdiag.analysis.model import Analysis, CaptureInfo
    from bpdiag.cli import _fails
    from bpdiag.rules.base import Finding
    from bpdiag.rules.diagnosis import Diagnosed, Diagnosis

    facts = Analysis(capture=CaptureInfo("t", "btsnoop", 1002, "H4"))
    assert not facts.failed  # no pairing or encryption failed …
    a = Diagnosed.of(facts, Diagnosis([Finding("commitment-not-checked", "error", "t", "d", "f")]))
    assert _fails(a, "error") and _fails(a, "warning") and not _fails(a, "never")
    a = Diagnosed.of(facts, Diagnosis([Finding("no-bonding", "info", "t", "d", "f")]))
    assert not _fails(a, "error") and not _fails(a, "warning")
