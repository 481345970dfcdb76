"""``bpdiag compare``: which differences explain a different outcome."""

from __future__ import annotations

from bpdiag.diagnose import diagnose_file
from bpdiag.report.compare import compare, render_compare
from tests.conftest import OWN


def _compare(a: str, b: str) -> dict:
    return compare(diagnose_file(OWN / f"{a}.btsnoop"), diagnose_file(OWN / f"{b}.btsnoop"))


def test_a_parameter_that_decides_is_named() -> None:
    [p] = _compare("mitm_unsatisfiable", "legacy_justworks_success")["pairings"]
    assert p["outcome_differs"]
    # only MITM matters: with a NoInputNoOutput responder either io gives Just Works
    assert p["explained_by"] == ["initiator mitm"]
    assert p["other_differences"] == ["initiator io"]


def test_columns_never_touch() -> None:
    text = render_compare(_compare("mitm_unsatisfiable", "legacy_justworks_success"))
    line = next(x for x in text.splitlines() if x.startswith("≠ failure"))
    assert "from initiator   —" in line


def test_the_peer_state_is_named_before_parameter_differences() -> None:
    result = _compare("not_in_pairing_mode", "legacy_justworks_success")
    [p] = result["pairings"]
    assert p["outcome_differs"]
    assert p["explained_by"] == [
        "the peer's state in A: the device refused pairing at once: it is probably not in "
        "pairing mode (pairing-mode-inactive)"
    ]
    assert p["other_differences"] == ["initiator io", "initiator sc", "security request"]
    assert "explains it without them" in render_compare(result)


def test_same_outcome_explains_nothing() -> None:
    [p] = _compare("sc_justworks_success", "legacy_justworks_success")["pairings"]
    assert not p["outcome_differs"] and p["explained_by"] == []
    rows = {r["parameter"]: r for r in p["rows"]}
    assert rows["initiator sc"]["differs"] and not rows["initiator keys"]["differs"]
