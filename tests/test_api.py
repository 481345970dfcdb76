"""The Python API of docs/api.md: `bpdiag.analyze(path) -> Analysis`, findings included, typed
(py.typed ships), and the same facts as `analyze --json`."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import bpdiag
from tests.conftest import OWN, ROOT


def test_analyze_returns_the_analysis_with_findings_and_suggestions() -> None:
    a = bpdiag.analyze(OWN / "not_in_pairing_mode.btsnoop")
    assert isinstance(a, bpdiag.Analysis)
    assert a.failed
    assert [p.outcome for p in a.pairings] == ["failed"]
    p = a.pairings[0]
    assert p.failure is not None and (p.failure.reason, p.failure.sent_by) == (8, "responder")
    assert [f.code for f in a.findings] == ["pairing-mode-inactive"]
    f = a.findings[0]
    assert isinstance(f, bpdiag.Finding)
    assert f.severity == "error" and f.pairing == 1 and 35 in f.frames and f.fix
    assert a.suggestions and isinstance(a.suggestions[0], bpdiag.Suggestion)
    assert a.capture.format == "btsnoop" and a.capture.records == 38
    assert isinstance(a, bpdiag.Diagnosed) and isinstance(a.diagnosis, bpdiag.Diagnosis)
    assert a.findings is a.diagnosis.findings and a.suggestions is a.diagnosis.suggestions


def test_the_diagnosis_is_its_own_object_and_leaves_the_analysis_as_it_was() -> None:
    from bpdiag.analysis.run import analyze_file
    from bpdiag.diagnose import diagnose
    from bpdiag.rules.diagnosis import diagnosis_of

    facts = analyze_file(OWN / "not_in_pairing_mode.btsnoop")
    assert not hasattr(facts, "findings") and not hasattr(facts, "suggestions")
    before = repr(facts)
    diagnosis = diagnosis_of(facts)
    assert [f.code for f in diagnosis.findings] == ["pairing-mode-inactive"]
    assert diagnosis.suggestions and diagnosis.suggestions[0].pairing == 1
    assert repr(facts) == before
    both = diagnose(facts)
    assert both.pairings is facts.pairings and both.capture is facts.capture
    assert both.diagnosis == diagnosis and repr(facts) == before


def test_analyze_agrees_with_the_json_output() -> None:
    path = OWN / "bond_lost_reconnect.btsnoop"
    a = bpdiag.analyze(str(path))
    r = subprocess.run(
        [sys.executable, "-m", "bpdiag", "analyze", "--json", str(path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    j = json.loads(r.stdout)
    assert [f["code"] for f in j["findings"]] == [f.code for f in a.findings]
    assert [p["outcome"] for p in j["pairings"]] == [p.outcome for p in a.pairings]
    assert [e["status"] for e in j["encryptions"]] == [e.status for e in a.encryptions]
    assert len(j["connections"]) == len(a.connections)


def test_unreadable_input_raises_bpdiag_error(tmp_path: Path) -> None:
    bad = tmp_path / "x.btsnoop"
    bad.write_bytes(b"hello, not a capture")
    with pytest.raises(bpdiag.BpdiagError):
        bpdiag.analyze(bad)
    with pytest.raises(bpdiag.BpdiagError, match="no such file"):
        bpdiag.analyze(tmp_path / "missing.btsnoop")


def test_package_is_typed_and_import_stays_light() -> None:
    assert (Path(bpdiag.__file__).parent / "py.typed").is_file()
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    shipped = data["package-data"]["bpdiag"]
    assert "py.typed" in shipped and "tui/*.tcss" in shipped  # the TUI's styles ship too
    assert (Path(bpdiag.__file__).parent / "tui" / "app.tcss").is_file()
    code = (
        "import sys, bpdiag; "
        "print(sorted(m for m in ('textual', 'scapy', 'cryptography') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"
