"""The analysis of every capture the project records itself (captures/, made by Bumble's real
SMP stack with scripts/make_captures.py) matches the expectations kept beside them."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from bpdiag.analysis.run import Reading
from bpdiag.report.json_objects import pairing_json

CAPTURES = Path(__file__).resolve().parents[2] / "captures"
EXPECTATIONS = CAPTURES / "expectations.toml"


def _scenarios() -> list[tuple[str, dict[str, Any]]]:
    if not EXPECTATIONS.exists():
        return []
    data = tomllib.loads(EXPECTATIONS.read_text())
    return sorted(data.items())


SCENARIOS = _scenarios()


def test_there_are_scenarios() -> None:
    assert len(SCENARIOS) >= 11, "captures/expectations.toml lists too few scenarios"


@pytest.mark.parametrize(("name", "expect"), SCENARIOS, ids=[n for n, _ in SCENARIOS])
def test_scenario(name: str, expect: dict[str, Any]) -> None:
    analysis = Reading(CAPTURES / expect["file"]).analyse()
    assert analysis.problems == [], analysis.problems
    want_pairings = expect.get("pairings", [])
    got = analysis.pairings
    assert len(got) == len(want_pairings), [pairing_json(p) for p in got]
    for want, p in zip(want_pairings, got, strict=True):
        assert p.outcome == want["outcome"], pairing_json(p)
        if "method" in want:
            assert p.method == want["method"], pairing_json(p)
        if "secure_connections" in want:
            assert p.secure_connections == want["secure_connections"], pairing_json(p)
        if "failure_reason" in want:
            assert p.failure is not None and p.failure.reason == want["failure_reason"]
        if "failure_sent_by" in want:
            assert p.failure is not None and p.failure.sent_by == want["failure_sent_by"]
        if want["outcome"] != "failed":
            assert p.failure is None
    want_enc = expect.get("encryptions", [])
    got_enc = analysis.encryptions
    assert [(e.status, e.after_pairing) for e in got_enc] == [
        (w["status"], w["after_pairing"]) for w in want_enc
    ]
