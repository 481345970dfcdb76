"""Confirm Value Failed after a legacy passkey search says what the search found
(bpdiag.rules.passkey_verdict), on hand-built analyses and on the repository's own capture."""

from __future__ import annotations

from pathlib import Path

from bpdiag.analysis.model import Check, CheckFact, Pairing
from bpdiag.rules import run_rules
from tests.rules.analyses import _analysis, _conn, _pairing

ROOT = Path(__file__).resolve().parents[2]
_GENERIC = "the failure lies in what the capture cannot show"


def _found(who: str, frame: int, passkey: int, other_hidden: bool = True) -> Check:
    return Check(
        f"{who}_passkey",
        frame,
        "match",
        CheckFact.LEGACY_PASSKEY,
        "2.3.5.3",
        side=who,
        got=passkey,
        peer_hidden=other_hidden,
    )


def _legacy(
    checks: list[Check],
    reason: int = 0x04,
    shown: str | None = "responder",
    method: str = "passkey_entry",
    sc: bool = False,
    sent_by: str = "responder",
) -> Pairing:
    p = _pairing(1, 1, response=True, failure=(reason, sent_by))
    p.method, p.secure_connections, p.passkey_displayed_by = method, sc, shown
    p.checks = checks
    return p


def _detail(p: Pairing, code: str = "confirm-value-failed") -> str:
    [f] = [f for f in run_rules(_analysis([_conn(1)], [p])) if f.code == code]
    return f.detail


def test_initiator_known_responder_hidden_names_the_mistyped_passkey() -> None:
    d = _detail(_legacy([_found("initiator", 105, 654321)]))
    assert "the initiator used passkey 654321" in d
    assert _GENERIC not in d and "secret TK" not in d
    assert "the passkey the peripheral displayed is not in the capture (no Srand)" in d
    assert "a passkey mistyped on the central is the likely cause" in d
    assert "2.3.5.3 and 3.5.5" in d


def test_who_displayed_decides_where_the_typing_was() -> None:
    d = _detail(_legacy([_found("initiator", 105, 1)], shown="initiator"))
    assert "the passkey typed on the peripheral is not in the capture" in d
    assert "mistyped on the peripheral" in d
    d = _detail(_legacy([_found("initiator", 105, 1)], shown=None))  # both KeyboardOnly
    assert "the passkey entered on the peripheral" in d and "entering different passkeys" in d


def test_both_same_passkey_says_the_tk_is_not_the_cause() -> None:
    checks = [
        _found("initiator", 105, 123456, False),
        _found("responder", 106, 123456, False),
        Check("passkey_agreement", 108, "match", CheckFact.LEGACY_PASSKEYS, "2.3.5.3"),
    ]
    d = _detail(_legacy(checks, sent_by="initiator"))
    assert "the passkey (the TK) is not the cause" in d and _GENERIC not in d


def test_both_known_and_different_says_which_digits() -> None:
    checks = [
        _found("initiator", 105, 123456, False),
        _found("responder", 106, 124456, False),
        Check(
            "passkey_agreement",
            108,
            "mismatch",
            CheckFact.LEGACY_PASSKEYS,
            "2.3.5.3",
            side="initiator",
            expected=124456,
            got=123456,
        ),
    ]
    d = _detail(_legacy(checks, sent_by="initiator"))
    assert "they differ in the 3rd digit" in d
    assert _GENERIC not in d and "likely cause" not in d


def test_does_not_fire_where_the_search_decides_nothing() -> None:
    # Legacy Just Works: the confirms check out, the TK is zero — the generic text stands.
    jw = [Check("responder_confirm", 106, "match", CheckFact.LEGACY_JW_CONFIRM, "2.3.5.5",
                side="responder")]  # fmt: skip
    assert _GENERIC in _detail(_legacy(jw, method="just_works"))
    # A passkey no search explains: the mismatch is told, no mistyped-passkey claim.
    bad = [
        Check("initiator_passkey", 105, "mismatch", CheckFact.LEGACY_PASSKEY, "2.3.5.3",
              side="initiator"),
    ]  # fmt: skip
    d = _detail(_legacy(bad))
    assert "with no passkey" in d and "likely cause" not in d
    # Another reason than Confirm Value Failed: no claim about typing.
    p = _legacy([_found("initiator", 105, 654321)], reason=0x08)
    assert all("mistyped" not in f.detail for f in run_rules(_analysis([_conn(1)], [p])))
    # Secure Connections passkey: a legacy search result cannot be there; never the legacy text.
    sc = _legacy([_found("initiator", 105, 654321)], sc=True)
    assert all("mistyped" not in f.detail for f in run_rules(_analysis([_conn(1)], [sc])))


def test_repository_capture_reads_as_a_mistyped_passkey() -> None:
    from bpdiag.diagnose import diagnose_file

    a = diagnose_file(ROOT / "captures/legacy_passkey_wrong.btsnoop")
    [f] = [f for f in a.findings if f.code == "confirm-value-failed"]
    assert "the initiator used passkey 654321" in f.detail
    assert "a passkey mistyped on the central is the likely cause" in f.detail
    assert _GENERIC not in f.detail
