"""The ``attempt`` object of ``pair --json``: worded in report/ from what live/ offers."""

from __future__ import annotations

from dataclasses import asdict

from bpdiag.live.base import PairParams, parse_key_distribution
from bpdiag.report.attempt import attempt_json, key_distribution_text, params_json


def test_params_never_carry_the_passkey() -> None:
    doc = params_json(asdict(PairParams("DisplayYesNo", True, False, False, 9, 4321, 0x01, 0x06)))
    assert doc == {
        "io": "DisplayYesNo",
        "mitm": True,
        "sc": False,
        "bond": False,
        "key_size": 9,
        "passkey_given": True,
        "initiator_keys": "EncKey",
        "responder_keys": "IdKey,SignKey",
    }
    assert "4321" not in repr(doc)
    assert params_json(asdict(PairParams()))["initiator_keys"] is None


def test_key_distribution_text_reads_back() -> None:
    # Vol 3, Part H, 3.6.1, Figure 3.11: the four key bits, and none
    for value in range(16):
        assert parse_key_distribution(key_distribution_text(value)) == value
    assert key_distribution_text(0) == "none"
    assert key_distribution_text(0x0F) == "EncKey,IdKey,SignKey,LinkKey"


def test_attempt_names_the_backup_and_falls_back_to_the_backend() -> None:
    doc = attempt_json(
        backend="bumble",
        via="",
        target="AA:BB:CC:DD:EE:FF",
        params=asdict(PairParams()),
        stack_result="success",
        capture="a.btsnoop",
        bond=("/tmp/bonds/x", "bpdiag restore-bond /tmp/bonds/x"),
        notes=["saved"],
    )
    assert doc["via"] == "bumble"
    assert doc["bond"] == {"backup": "/tmp/bonds/x", "restore": "bpdiag restore-bond /tmp/bonds/x"}
    assert list(doc) == [
        "backend",
        "via",
        "target",
        "params",
        "stack_result",
        "capture",
        "bond",
        "notes",
    ]
