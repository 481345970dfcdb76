"""``bpdiag explain`` on SMP Pairing Failed messages as btmon, Wireshark and stack logs print
them: the reason code is taken from the reason, never from the command code 0x05."""

from __future__ import annotations

import pytest

from bpdiag.rules.explain import explain


@pytest.mark.parametrize(
    ("text", "key"),
    [
        # the story's message, as btmon prints it on two lines and people paste on one
        ("SMP: Pairing Failed (0x05) — Reason: Unspecified reason (0x08)", "smp-reason-0x08"),
        (
            "SMP: Pairing Failed (0x05) len 1\n        Reason: Unspecified reason (0x08)",
            "smp-reason-0x08",
        ),
        ("Reason: Repeated Attempts (0x09)", "smp-reason-0x09"),  # Wireshark
        ("Reason: 0x0c (Numeric Comparison Failed)", "smp-reason-0x0c"),
        ("smp: pairing failed reason=3", "smp-reason-0x03"),  # a stack log
        ("Pairing failed: reason 0x0b", "smp-reason-0x0b"),
        ("SMP_PAIRING_NOT_SUPPORTED / Pairing Not Supported", "smp-reason-0x05"),
        ("SMP: Pairing Failed (0x05) len 1", "smp-pairing-failed"),  # no reason given
    ],
)
def test_smp_reasons(text: str, key: str) -> None:
    found = [e.key for e in explain(text)]
    assert found[0] == key
    smp = [k for k in found if k.startswith("smp-")]
    assert smp == [key]  # 0x05 is the command code, not a reason


def test_the_story_points_at_pairing_mode() -> None:
    [entry] = explain("SMP: Pairing Failed (0x05) — Reason: Unspecified reason (0x08)")
    assert entry.causes[0].finding == "pairing-mode-inactive"
    assert "not in pairing mode" in entry.meaning


@pytest.mark.parametrize(
    ("text", "key"),
    [
        (
            "Characteristic value/descriptor read failed: Attribute requires authentication "
            "before read/write",  # gatttool: its own entry (BlueZ att_ecode2str)
            "bluez-att-authentication",
        ),
        ("Error: Insufficient authentication (5)", "att-insufficient-authentication"),  # btmon
        ("Attribute requires encryption before read/write", "att-insufficient-encryption"),
        ("Error: Insufficient Encryption Key Size (12)", "att-insufficient-key-size"),
    ],
)
def test_att_errors(text: str, key: str) -> None:
    assert explain(text)[0].key == key


@pytest.mark.parametrize(
    ("text", "key"),
    [
        # btmon's Disconnect Complete: an HCI reason, not SMP's Unspecified Reason (0x08)
        ("Reason: Connection Timeout (0x08)", "hci-status-0x08"),
        ("Reason: Remote User Terminated Connection (0x13)", "hci-status-0x13"),
        ("Status: Connection Failed to be Established (0x3e)", "hci-status-0x3e"),
        ("LL Response Timeout (0x22)", "hci-status-0x22"),
        ("Reason: Connection Terminated due to MIC Failure (0x3d)", "hci-status-0x3d"),
        # the same words are both an HCI error (0x17) and an SMP reason (0x09)
        ("Repeated Attempts (0x17)", "hci-status-0x17"),
        ("Reason: Repeated attempts (0x09)", "smp-reason-0x09"),
        ("Reason: Unspecified reason (0x08)", "smp-reason-0x08"),
    ],
)
def test_hci_errors_are_not_smp_reasons(text: str, key: str) -> None:
    keys = [e.key for e in explain(text)]
    assert keys[0] == key
    if key.startswith("hci-"):
        assert not any(k.startswith("smp-") for k in keys)


def test_every_code_meaning_is_of_a_code_the_enum_has() -> None:
    from bpdiag.decode.hci_names import ErrorCode as HciError
    from bpdiag.decode.monitor import MgmtStatus
    from bpdiag.rules.explain import _meanings

    for table, enum in (("hci", HciError), ("bonding", MgmtStatus)):
        codes = set(_meanings(table))
        assert codes and codes <= {int(m) for m in enum}, table
