"""The rule catalogue: docs/rules.md is generated from it and kept in sync; every code that
`bpdiag explain` points to exists; and golden findings for every shared capture (reviewed by
hand once, see tests/golden/shared.json) stay exactly as they are."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bpdiag.diagnose import diagnose_file
from bpdiag.rules import CATALOGUE, catalogue_markdown
from bpdiag.rules.base import rule
from bpdiag.rules.explain import CATALOGUE as EXPLAIN
from bpdiag.rules.tables import TableError, load
from tests.conftest import ROOT, require_shared, shared_captures
from tests.conftest import SHARED as SHARED_DIR

GOLDEN = ROOT / "tests" / "golden" / "shared.json"


def test_docs_rules_md_is_generated_from_the_catalogue() -> None:
    assert (ROOT / "docs" / "rules.md").read_text() == catalogue_markdown(), (
        "regenerate with: python -m bpdiag.rules > docs/rules.md"
    )


def test_issue_codes_exist() -> None:
    wanted = {
        "pairing-mode-inactive",
        "mitm-unsatisfiable",
        "peer-requires-mitm",
        "secure-connections-mismatch",
        "confirm-value-failed",
        "dhkey-check-failed",
        "numeric-comparison-failed",
        "pairing-not-supported",
        "command-not-supported",
        "invalid-parameters",
        "repeated-attempts",
        "encryption-key-size",
        "bond-lost",
        "mic-failure",
        "pairing-incomplete",
        "pairing-protocol-violation",
        "insufficient-authentication",
        "insufficient-encryption",
        "insufficient-authorization",
        "insufficient-key-size",
        "no-bonding",
        "mixed-tools",
        "no-agent",
        "capture-gap",
        "truncated-snoop",
    }
    assert wanted <= set(CATALOGUE)


def test_every_declared_rule_is_claimed_by_a_module_once() -> None:
    # catalogue.toml holds the words; an entry no rule module claims would be prose that
    # neither a finding nor docs/rules.md ever shows
    assert set(load("catalogue.toml")) == set(CATALOGUE)
    with pytest.raises(ValueError, match="duplicate rule code bond-lost"):
        rule("bond-lost")
    with pytest.raises(TableError, match="no rule 'no-such-rule'"):
        rule("no-such-rule")


def test_explain_points_to_real_findings() -> None:
    for e in EXPLAIN:
        for cause in e.causes:
            assert cause.finding in CATALOGUE, (e.key, cause.finding)


def summary(path: Path) -> dict[str, object]:
    a = diagnose_file(path)
    return {
        "pairings": [
            [p.outcome, p.method, p.failure.reason if p.failure else None] for p in a.pairings
        ],
        "encryptions": [[e.status, e.after_pairing] for e in a.encryptions],
        "findings": [[f.code, f.frames] for f in a.findings],
    }


GOLDEN_NAMES = sorted(json.loads(GOLDEN.read_text()))


def test_every_shared_capture_has_a_golden_entry() -> None:
    require_shared()
    assert sorted(p.name for p in shared_captures()) == GOLDEN_NAMES


@pytest.mark.parametrize("name", GOLDEN_NAMES)
def test_golden_findings(name: str) -> None:
    require_shared()
    golden = json.loads(GOLDEN.read_text())
    assert summary(SHARED_DIR / name) == golden[name]
