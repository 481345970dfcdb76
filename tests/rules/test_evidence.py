"""The words of each kind of spec check (bpdiag.rules.evidence.check_detail), from the facts
the analysis gives.  The expected texts (tests/data/check_words.json) are the ones the reports
printed before checks carried facts; the goldens cover the kinds real captures show, these
cover the rest."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bpdiag.analysis.model import Check, CheckFact
from bpdiag.rules.evidence import check_detail

CASES: list[dict[str, Any]] = json.loads(
    (Path(__file__).parents[1] / "data" / "check_words.json").read_text(encoding="utf-8")
)


def _check(facts: dict[str, Any]) -> Check:
    f = dict(facts, fact=CheckFact(facts["fact"]), inputs=tuple(facts.get("inputs", ())))
    return Check(**f)


@pytest.mark.parametrize("case", CASES, ids=[c["facts"]["fact"] for c in CASES])
def test_words_of_each_kind(case: dict[str, Any]) -> None:
    assert check_detail(_check(case["facts"])) == case["words"]


def test_every_kind_has_words() -> None:
    assert {c["facts"]["fact"] for c in CASES} == set(CheckFact)


def test_a_secret_is_never_worded() -> None:
    found = Check("initiator_passkey", 5, "match", CheckFact.LEGACY_PASSKEY, "2.3.5.3",
                  side="initiator", secret="654321", peer_hidden=True)  # fmt: skip
    assert "654321" not in check_detail(found)
    assert check_detail(found).endswith(
        "the passkey is this bond's secret (--show-keys shows it); the responder's passkey "
        "cannot be known: it never revealed its Srand"
    )
