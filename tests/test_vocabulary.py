"""The typed vocabulary is compared by member, never by its spelling (issue 9).

An outcome, a side, a role, a method, a check's result and the like are ``StrEnum``s
(analysis/model.py, rules/base.py, errors.py); a member equals its value, so code that
compares a field with the text ``"failed"`` works today and silently stops working the day
the value is renamed.  This reads the source (``ast``) and lists every comparison of such a
field with a string literal that spells one of the enum's values.
"""

from __future__ import annotations

import ast
from enum import StrEnum
from pathlib import Path

import pytest

from bpdiag.analysis import model
from bpdiag.crypto.keyring import SearchMode
from bpdiag.rules.base import Severity

PACKAGE = Path(__file__).resolve().parent.parent / "bpdiag"

# Each enum, and the fields (attribute or variable names) whose values it gives
ENUMS: list[tuple[type[StrEnum], tuple[str, ...]]] = [
    (model.Outcome, ("outcome",)),
    (model.RequestOutcome, ("outcome",)),
    (model.Method, ("method",)),
    (model.Side, ("sent_by", "side", "who", "passkey_displayed_by")),
    (model.Role, ("sender", "local_role", "disconnected_by", "role")),
    (model.Transport, ("transport",)),
    (model.CheckResult, ("result",)),
    (model.CheckKind, ("check",)),
    (Severity, ("severity",)),
    (SearchMode, ("mode",)),
]
TYPED: dict[str, set[str]] = {}  # field → the values it may spell
for _enum, _fields in ENUMS:
    for _field in _fields:
        TYPED.setdefault(_field, set()).update(m.value for m in _enum)


def _name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return None


def _spelled(node: ast.expr) -> list[str]:
    """The string literals ``node`` is or holds (a tuple or set of them)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.Tuple | ast.Set | ast.List):
        return [s for e in node.elts for s in _spelled(e)]
    if isinstance(node, ast.IfExp):
        return _spelled(node.body) + _spelled(node.orelse)
    return []


def spelled_comparisons(source: str) -> list[tuple[int, str, str]]:
    """``(line, field, literal)`` for each comparison of a typed field with its spelling."""
    out = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Compare):
            continue
        sides = [node.left, *node.comparators]
        for a, op, b in zip(sides[:-1], node.ops, sides[1:], strict=True):
            if not isinstance(op, ast.Eq | ast.NotEq | ast.In | ast.NotIn):
                continue
            for field_node, literal_node in ((a, b), (b, a)):
                name = _name(field_node)
                if name not in TYPED:
                    continue
                spellings = TYPED[name]
                out += [(node.lineno, name, s) for s in _spelled(literal_node) if s in spellings]
    return out


def test_the_check_finds_a_spelled_comparison() -> None:
    """The check itself: each form it must catch, and the member forms it must let by."""
    caught = spelled_comparisons(
        "p.outcome == 'failed'\n"
        "'central' != s.sender\n"
        "c.result in ('match', 'mismatch')\n"
        "f.sent_by == ('initiator' if x else 'responder')\n"
    )
    assert [(line, field) for line, field, _ in caught] == [
        (1, "outcome"),
        (2, "sender"),
        (3, "result"),
        (3, "result"),
        (4, "sent_by"),
        (4, "sent_by"),
    ]
    assert not spelled_comparisons(
        "p.outcome == Outcome.FAILED\ns.sender is Role.CENTRAL\nname == 'failed'\n"
    )


@pytest.mark.parametrize(
    "path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE))
)
def test_typed_fields_are_compared_by_member(path: Path) -> None:
    found = spelled_comparisons(path.read_text(encoding="utf-8"))
    assert not found, "compare with the enum's member, not its spelling: " + ", ".join(
        f"line {line}: {field} with {literal!r}" for line, field, literal in found
    )
