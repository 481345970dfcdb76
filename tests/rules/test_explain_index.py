"""explain's word index (``explain._index``): a line is searched only by the entries whose
patterns' literal words it holds.  The index may change how long a search takes, never its
answer: every line the explain tests hold, and lines made of the catalogue's own words,
get the same entries, in the same order, as when every pattern is tried."""

from __future__ import annotations

import ast
import random
from dataclasses import replace
from pathlib import Path

import pytest

from bpdiag.rules import explain as ex

TESTS = Path(__file__).resolve().parent


def _test_lines() -> list[str]:
    """Every string of the explain tests longer than a word: the stacks' lines they hold."""
    out: set[str] = set()
    for path in sorted(TESTS.glob("test_explain*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                if 6 <= len(node.value) <= 400 and "\n" not in node.value:
                    out.add(node.value)
    return sorted(out)


def _word_lines(n: int) -> list[str]:
    """Lines of the index's own words around numbers and separators, as a log's words
    stand: they reach the patterns the index lets through, so the two searches are
    compared where they can differ."""
    rng = random.Random(7)
    words = sorted(ex._index().words)
    glue = [" ", ": ", " 0x05 ", " status 8 ", " reason ", "=", " (0x0c) ", "_", "() "]
    return [
        "".join(rng.choice(words) + rng.choice(glue) for _ in range(rng.randint(1, 5)))
        for _ in range(n)
    ]


def _keys(lines: list[str]) -> list[list[str]]:
    return [[e.key for e in ex.explain(line)] for line in lines]


@pytest.fixture
def unindexed(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """explain with every entry and every pattern tried on every line."""
    index = ex._index()
    everything = replace(index, needs=tuple(tuple(None for _ in n) for n in index.needs))
    entries = list(range(len(ex._compiled())))

    def patch() -> None:
        monkeypatch.setattr(ex, "_index", lambda: everything)
        monkeypatch.setattr(ex, "_entries_for", lambda _low: entries)

    return patch


def test_the_index_changes_no_answer(unindexed) -> None:  # type: ignore[no-untyped-def]
    lines = _test_lines() + _word_lines(600)
    lines += [line.upper() for line in lines[:200]] + ["Reaſon: ſtatus 0x05 ſmp"]
    indexed = _keys(lines)
    unindexed()
    assert _keys(lines) == indexed
    # the comparison is not of empty answers
    assert sum(map(bool, indexed)) > 400


def test_every_pattern_but_a_few_needs_a_word() -> None:
    """The index only helps where patterns have literal words: nearly all do."""
    index = ex._index()
    needs = [n for entry in index.needs for n in entry]
    assert sum(1 for n in needs if n is None) < 0.05 * len(needs)
    # a word is a run every match holds: "device_bonding_failed()" for bluetoothd's line
    assert "device_bonding_failed()" in set(needs)
