"""A finding's detail, or a suggestion's why, worded when read (``Words``) reads, compares
and writes to JSON as the text itself would."""

from __future__ import annotations

import dataclasses

from bpdiag.report.json_objects import finding_json, suggestion_json
from bpdiag.rules.advice import Suggestion
from bpdiag.rules.base import Finding


def _words(frame: int, tail: str) -> str:
    return f"Failed at #{frame}.{tail}"


def test_a_worded_detail_reads_as_its_text() -> None:
    lazy = Finding("c", "error", "t", (_words, 12, " More."), "f", [12])
    text = Finding("c", "error", "t", "Failed at #12. More.", "f", [12])
    assert lazy.detail == "Failed at #12. More." == lazy.detail
    assert lazy == text and finding_json(lazy) == finding_json(text)
    assert "detail='Failed at #12. More.'" in repr(lazy)
    assert lazy != Finding("c", "error", "t", (_words, 13, " More."), "f", [12])
    changed = dataclasses.replace(lazy, detail="other")
    assert changed.detail == "other" and lazy.detail == "Failed at #12. More."


def test_a_worded_why_reads_as_its_text() -> None:
    args = (1, "DisplayOnly", True, True, True, 16, "passkey_entry")
    lazy = Suggestion(*args, (_words, 5, ""), ["a"], ["b"])  # type: ignore[arg-type]
    text = Suggestion(*args, "Failed at #5.", ["a"], ["b"])  # type: ignore[arg-type]
    assert lazy.why == "Failed at #5." and lazy == text
    assert suggestion_json(lazy) == suggestion_json(text)
    lazy.why = lazy.why + " Then."
    assert lazy.why == "Failed at #5. Then." and lazy != text
