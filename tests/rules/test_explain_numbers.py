"""``bpdiag explain`` reads a number as a code only where the words around it make it one, and
does not explain a message the line says did not happen."""

from __future__ import annotations

import pytest

from bpdiag.rules.explain import explain


def keys(text: str) -> list[str]:
    return [e.key for e in explain(text)]


@pytest.mark.parametrize(
    "text",
    [
        # 0x06 is the SMP command code of Encryption Information (Vol 3, Part H, 3.6.2), not
        # HCI status 0x06 PIN or Key Missing
        "smp: expecting 0x06 Encryption Information",
        "bt_smp: expecting 0x0b Pairing DHKey Check",
        # btmon's own line for the PDU: the code in parentheses is the command's
        "SMP: Encryption Information (0x06) len 16",
        # opcodes, handles, lengths, ticks, PIDs and addresses are no codes
        "E (12345) BT_SMP: smp opcode 0x06 handle 0x0040 len 7",
        "hci0: ACL handle 0x0006 encryption start",
        "I (133) BLE: encryption enabled",
        "GATT: handle 0x0085 opcode 0x0a",
        "BluetoothGatt: onConnectionStateChange handle 0x0085 len 133",
        "12-01 10:00:01.500  1234  5678 D BluetoothGatt: encryption handle 6",
        "00:11:22:33:44:06 encrypted",
        "error in handle 0x8005",
        # ESP-IDF's tick in milliseconds, whatever number it reaches: 1283 is NimBLE's
        # 0x500 + 3, 133 Android's GATT_ERROR, 102 an ESP-IDF fail_reason — not here
        "E (1283) NimBLE: pairing procedure error",
        "E (133) BluetoothGatt: onConnectionStateChange",
        "W (102) BT_SMP: fail",
    ],
)
def test_prose_numbers_are_not_codes(text: str) -> None:
    assert keys(text) == []


@pytest.mark.parametrize(
    ("text", "key"),
    [
        # the words make the same numbers codes
        (
            "bt_smp: bt_smp_encrypt_change: chan 0x1 conn 0x2 encrypt 0x00 hci status 0x06",
            "pin-or-key-missing",
        ),
        ("Encryption Change status 0x06", "pin-or-key-missing"),
        ("Encryption failed, reason: 0x06", "pin-or-key-missing"),
        ("Status: PIN or Key Missing (0x06)", "pin-or-key-missing"),
        ("BluetoothGatt: onClientConnectionState() - status=133 clientIf=7", "android-gatt-133"),
        ("D/BluetoothGatt: onConnectionStateChange status 0x85", "android-gatt-133"),
        ("Failed to authenticate. Error code: 0x8005", "nrf-error-sd-rpc-no-response"),
    ],
)
def test_numbers_the_words_make_codes(text: str, key: str) -> None:
    assert key in keys(text)


def test_a_decimal_encryption_status_is_no_hci_code() -> None:
    # NimBLE prints its host statuses in decimal: 6 is BLE_HS_ENOMEM (HCI 0x06 would be 518)
    assert "pin-or-key-missing" not in keys("GAP event: encryption change event; status=6")


def test_a_bare_status_is_no_android_gatt_status() -> None:
    # "status 5" names no GATT and no Android: it could be any stack's
    assert not any(k.startswith("android-gatt") for k in keys("status 5"))
    assert not any(k.startswith("android-gatt") for k in keys("ESP_GATTC_READ_CHAR_EVT status 5"))


@pytest.mark.parametrize(
    "text",
    [
        "zero Insufficient Authentication errors seen",
        "no Insufficient Authentication",
        "0 errors",
        "Insufficient Authentication errors: 0",
        "GATT_INSUF_AUTHENTICATION count 0",
        "never PIN or Key Missing (0x06) since the update",
    ],
)
def test_what_the_line_says_did_not_happen_is_not_explained(text: str) -> None:
    assert keys(text) == []


def test_a_denial_covers_only_the_message_it_stands_before() -> None:
    assert keys("Insufficient Authentication; no Insufficient Encryption") == [
        "att-insufficient-authentication"
    ]
    # a number right after a message is no count of it
    assert keys("Pairing failed: 0") == ["pairing-failed-no-reason"]
    # "No agent" is the message itself, not a denial of another
    assert keys("No agent available for request type 0") == ["bluez-no-agent-type-0"]
