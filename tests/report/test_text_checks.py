"""The check lines carry the result they tell, so the TUI colours a line by its check, not by
looking for the ✗ in its text."""

from __future__ import annotations

from bpdiag.analysis.model import Check, CheckFact, CheckResult, Pairing
from bpdiag.report.text import check_lines, check_rows


def test_each_check_line_carries_its_result() -> None:
    p = Pairing(id=1, connection=1, first_frame=1, numeric_value=123456)
    p.checks = [
        Check(
            "responder_confirm",
            7,
            "match",
            CheckFact.SC_CONFIRM,
            "2.3.5.6.2",
            "responder",
            inputs=(8,),
        ),
        # the mark is the result's, whatever words the check has
        Check(
            "initiator_confirm", 9, "mismatch", CheckFact.LEGACY_JW_CONFIRM, "2.3.5.5", "initiator"
        ),
    ]
    rows = check_rows(p)
    assert [result for _, result in rows] == [None, CheckResult.MATCH, CheckResult.MISMATCH]
    assert [line for line, _ in rows] == check_lines(p)
    assert rows[1][0].startswith("    ✓ checked:") and rows[2][0].startswith("    ✗ checked:")
