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
        ("<err> bt_smp: reason 0x4", "smp-reason-0x04"),  # Zephyr smp.c names SMP
        ("<dbg> bt_smp: smp_pairing_complete: got status 0x3", "smp-reason-0x03"),
        # BTstack's SM_EVENT_PAIRING_COMPLETE reason, as its examples print it
        ("Pairing failed, authentication failure with reason = 4", "smp-reason-0x04"),
        ("WARNING:bumble.smp:pairing failure (SMP_CONFIRM_VALUE_FAILED_ERROR)", "smp-reason-0x04"),
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


@pytest.mark.parametrize(
    "text",
    [
        # btmon's Pairing Request / Response field, not reason 0x06
        "        Max encryption key size: 16",
        "      Invalid parameters",
        "Command not supported",
        "reason 1",  # a bare number: nothing says whose
        "<inf> app: connected 30:A1:B2:C3:D4:E5 (public), reason 2 retries",
    ],
)
def test_words_and_numbers_that_are_no_smp_reason(text: str) -> None:
    keys = [e.key for e in explain(text)]
    assert not [k for k in keys if k.startswith(("smp-", "android-"))], keys


@pytest.mark.parametrize(
    ("text", "key"),
    [
        # a disconnection's reason is an HCI error code, in hex or decimal
        (
            "[00:02:01.100,200] <dbg> kbd: peer_gone: Disconnected: C1:22:33:44:55:66 (random) "
            "(reason 8)",
            "hci-status-0x08",
        ),
        ("Disconnected from D2:00:11:22:33:44 (random), reason 0x3d", "hci-status-0x3d"),
        ("00> Disconnected: F0:0D:00:00:00:01 (random) (reason 34)", "hci-status-0x22"),
        ("Disconnected from 20:30:40:50:60:70 (public) (reason 19)", "hci-status-0x13"),
        # btmgmt / bluetoothctl's mgmt menu: MGMT Device Disconnected's own numbering
        (
            "hci1 00:1A:7D:00:00:02 type BR/EDR disconnected with reason 2",
            "bluez-mgmt-disconnect-reason-2",
        ),
        (
            "hci0 AA:BB:CC:00:00:03 type LE Random disconnected with reason 1",
            "bluez-mgmt-disconnect-reason-1",
        ),
        # BTstack SM_EVENT_REENCRYPTION_COMPLETE status: an HCI error code, decimal (0x3D)
        ("Re-encryption failed, status: 61", "hci-status-0x3d"),
        # Zephyr smp.c bt_smp_encrypt_change()
        (
            "bt_smp_encrypt_change: chan 0x2000 conn 0x2100 encrypt 0x00 hci status 0x1f",
            "hci-status-0x1f",
        ),
    ],
)
def test_disconnect_and_status_numbers(text: str, key: str) -> None:
    keys = [e.key for e in explain(text)]
    assert keys == [key]


def test_nimble_decimal_disconnect_reason_is_not_read_as_hci() -> None:
    # NimBLE prints 0x200 + the HCI code ("reason=531"); a small decimal there is its own
    assert explain("disconnect; reason=19") == []


def test_mgmt_disconnect_reason_is_bluez_numbering() -> None:
    [e] = explain("hci0 CC:10:20:30:40:50 type LE Public disconnected with reason 1")
    assert "Connection timeout" in e.source and "not an HCI error code" in e.meaning
    assert e.cite.startswith("BlueZ doc/mgmt-protocol.rst")


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("Pairing failed: reason 0x0b", 11),
        ("Bt: Pairing failed: left (n/a, c0:ff:ee:00:00:01), reason 1", 1),
        ("App: pairing of peer conn failed because of 2", 2),
        ("Pairing Failed (9)", 9),
    ],
)
def test_a_number_in_no_named_numbering_gets_both_readings(text: str, number: int) -> None:
    [e] = explain(text)
    assert e.key == f"pairing-failed-number-{number}"
    assert "does not say whose number it is" in e.meaning
    assert f"(0x{number:02x})" in e.meaning  # the SMP reading
    assert ("BT_SECURITY_ERR_" in e.meaning) == (number <= 9)  # the Zephyr one


def test_a_reason_named_on_the_same_line_wins_over_the_bare_number() -> None:
    keys = [e.key for e in explain("SMP Pairing Failed — Reason 0x0c (Numeric comparison failed)")]
    assert keys == ["smp-reason-0x0c"]


def test_pairing_failed_in_an_apps_words_is_not_labelled_btmon() -> None:
    [e] = explain("Pairing failed")
    assert e.key == "pairing-failed-no-reason" and "btmon" not in e.source
    [e] = explain("      SMP: Pairing Failed (0x05) len 1")
    assert e.key == "smp-pairing-failed" and "btmon" in e.source


def test_numeric_comparison_failed_says_no_agent_too() -> None:
    [e] = explain("        Reason: Numeric comparison failed (0x0c)")
    assert "No agent available for request type 2" in e.meaning
    assert [c.finding for c in e.causes] == ["numeric-comparison-failed", "no-agent"]


def test_hci_repeated_attempts_with_reason_prefix_is_not_smp() -> None:
    assert [e.key for e in explain("Reason: Repeated Attempts (0x17)")] == ["hci-status-0x17"]


def test_android_bond_reason_needs_a_bond_line() -> None:
    assert [e.key for e in explain("onBondStateChanged BOND_NONE reason 3")] == [
        "android-unbond-reason"
    ]
