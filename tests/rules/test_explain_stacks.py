"""``bpdiag explain`` on the messages of other stacks: each under its own stack, never pulled
into another by a substring, with the number read the way the stack's source defines it."""

from __future__ import annotations

import pytest

from bpdiag.rules.explain import CATALOGUE, explain


@pytest.mark.parametrize(
    ("text", "key"),
    [
        # Nordic SoftDevice: 0x80 + the SMP reason
        ("BLE_GAP_EVT_AUTH_STATUS: auth_status 0x85 error_src 1", "nordic-sec-status-0x85"),
        ("BLE_GAP_SEC_STATUS_DHKEY_FAILURE", "nordic-sec-status-0x8b"),
        ("BLE_GAP_SEC_STATUS_TIMEOUT", "nordic-sec-status-timeout"),
        # Nordic nRF5 SDK Peer Manager: PM_CONN_SEC_ERROR_BASE 0x1000 + an HCI status, and
        # the SoftDevice's BLE_GAP_SEC_STATUS_* in the same log line
        (
            "<info> peer_manager_handler: Connection security failed: role: Peripheral, "
            "conn_handle: 0x0, procedure: Bonding, error: 4102",
            "nordic-pm-conn-sec-error-0x1006",
        ),
        ("PM_CONN_SEC_ERROR_MIC_FAILURE", "nordic-pm-conn-sec-error-0x103d"),
        ("PM_CONN_SEC_ERROR_DISCONNECT", "nordic-pm-conn-sec-error-0x1100"),
        (
            "Connection security failed: role: Central, conn_handle: 0x1, procedure: "
            "Encryption, error: 4353",
            "nordic-pm-conn-sec-error-0x1101",
        ),
        (
            "Connection security failed: role: Central, conn_handle: 0x1, procedure: Pairing, "
            "error: 133",
            "nordic-sec-status-0x85",
        ),
        # pc-ble-driver / nRF Connect: the dongle, not the peer
        ("Failed to authenticate. Error code: 0x8005", "nrf-error-sd-rpc-no-response"),
        ("NRF_ERROR_SD_RPC_NO_RESPONSE", "nrf-error-sd-rpc-no-response"),
        ("sd_ble_gap_authenticate returned NRF_ERROR_INVALID_STATE", "nrf-error-invalid-state"),
        # NimBLE: base + SMP reason (1283 = 0x500 + 3: the peer, Authentication Requirements)
        ("encryption change event; status=1283", "nimble-sm-peer-0x503"),
        ("encryption change event; status=1029", "nimble-sm-us-0x405"),
        ("encryption change event; status=518", "nimble-hci-0x206"),
        # 0x216 = 0x200 + HCI 0x16 (Connection Terminated By Local Host)
        ("disconnect; reason=534", "nimble-hci-0x216"),
        # the host's own BLE_HS_ENOTCONN (7) in an encryption change: the link broke under
        # the Security Manager (ble_sm_connection_broken)
        ("encryption change event; status=7", "nimble-enotconn"),
        ("enc_change status=7", "nimble-enotconn"),
        # Zephyr
        ("Security failed: F4:12:FA:00:00:01 (random) level 1 err 4", "zephyr-security-err-4"),
        ("BT_SECURITY_ERR_PIN_OR_KEY_MISSING", "zephyr-security-err-2"),
        ("Security failed: 6E:50:40:30:20:10 (random) level 1 err (9)", "zephyr-security-err-9"),
        # the samples' pairing_failed(conn, enum bt_security_err reason)
        (
            "[00:00:31.000,001] <wrn> central_uart: Pairing failed conn: D1:C2:B3:A4:95:86 "
            "(random), reason 9",
            "zephyr-security-err-9",
        ),
        ("Pairing Failed (4). Disconnecting.", "zephyr-security-err-4"),
        # hci_ecc.c: the host's ECC emulation rejected the peer's P-256 key
        (
            "[00:00:05.100,000] <err> bt_hci_ecc: public key is not valid (ret -3)",
            "zephyr-hci-ecc-invalid-public-key",
        ),
        ("bt_hci_ecc: public key is not valid (ret -3)", "zephyr-hci-ecc-invalid-public-key"),
        # smp.c: no key entry left for the peer (CONFIG_BT_MAX_PAIRED reached)
        (
            "[00001234] <err> bt_smp: Unable to get keys for c0:ff:ee:00:00:01 (random)",
            "zephyr-smp-no-keys",
        ),
        # an SMP PDU the host's pairing state did not allow (Zephyr allowed_cmds, Linux
        # allow_cmd), named by its command code (Vol 3, Part H, 3.3)
        ("<wrn> bt_smp: Unexpected SMP code 0x0a", "zephyr-unexpected-smp-0x0a"),
        (
            "Bluetooth: hci0: unexpected SMP command 0x0b from c0:ff:ee:00:00:01",
            "linux-unexpected-smp-0x0b",
        ),
        # Android
        ("UNBOND_REASON_AUTH_REJECTED", "android-unbond-reason-2"),
        ("android.bluetooth.device.extra.REASON: 7", "android-unbond-reason-7"),
        ("GATT_INSUF_AUTHENTICATION", "android-gatt-insuf-authentication"),
        # ESP-IDF
        ("write char failed, status = ESP_GATT_INSUF_ENCRYPTION", "esp-gatt-insuf-encryption"),
        # ESP-IDF auth complete: 77 (BTA_DM_AUTH_FAIL_BASE) + the SMP reason, then Bluedroid's
        ("I (2345) SEC_GATTS_DEMO: fail reason = 0x52", "esp-auth-smp-82"),
        ("ESP_GAP_BLE_AUTH_CMPL_EVT fail_reason 80", "esp-auth-smp-80"),
        ("ESP_AUTH_SMP_NUM_COMP_FAIL", "esp-auth-smp-89"),
        ("BTA_DM_AUTH_SMP_REPEATED_ATTEMPT", "esp-auth-smp-86"),
        ("ESP_AUTH_SMP_ENC_FAIL", "esp-auth-smp-97"),
        ("auth fail reason = 0x66", "esp-auth-smp-102"),
        # Apple
        (
            'Error Domain=CBErrorDomain Code=14 "Peer removed pairing information."',
            "corebluetooth-cberror-14",
        ),
        (
            'Error Domain=CBATTErrorDomain Code=15 "Encryption is insufficient."',
            "corebluetooth-cbatterror-15",
        ),
        # bleak on Windows, numeric and named
        ("BleakError: Could not pair with device: 19: Failed", "windows-pairing-result-19"),
        (
            "Could not pair with device: "
            "DevicePairingResultStatus.PROTECTION_LEVEL_COULD_NOT_BE_MET",
            "windows-pairing-result-11",
        ),
        # BlueZ
        ("Failed to pair: org.bluez.Error.AlreadyExists", "bluez-error-already-exists"),
        # gatttool (BlueZ attrib/att.c att_ecode2str), as BlueZ 4.100 on prints them
        (
            "Characteristic value/descriptor read failed: Encryption required before read/write",
            "bluez-att-insuff-enc",
        ),
        (
            "Characteristic Write Request failed: Atribute requires authorization before "
            "read/write",  # the older spelling
            "bluez-att-authorization",
        ),
    ],
)
def test_each_message_under_its_own_stack(text: str, key: str) -> None:
    assert [e.key for e in explain(text)] == [key]


def test_no_substring_crosses_stacks() -> None:
    # ESP-IDF's name contains Android's: only ESP-IDF's entry.
    assert [e.key for e in explain("ESP_GATT_INSUF_AUTHENTICATION")] == [
        "esp-gatt-insuf-authentication"
    ]
    # 0x8005 is no SMP reason 0x05 and no ATT error 5.
    keys = [e.key for e in explain("Error code: 0x8005")]
    assert not any(k.startswith(("smp-", "android-gatt", "att-")) for k in keys)
    # auth_status 0x85 is Nordic's Pairing Not Supported, not Android's GATT_ERROR 0x85.
    assert "android-gatt-133" not in [e.key for e in explain("auth_status 0x85")]
    # A NimBLE status is not Android's status 5 nor an SMP reason 3.
    assert [e.key for e in explain("status=1283")] == ["nimble-sm-peer-0x503"]


def test_gatttool_says_what_each_sec_level_asks() -> None:
    [e] = explain(
        "Characteristic value/descriptor read failed: Attribute requires authentication "
        "before read/write"
    )
    assert e.key == "bluez-att-authentication" and "att_ecode2str" in e.cite
    assert "--sec-level=medium" in e.meaning and "NoInputNoOutput" in e.meaning
    assert [c.finding for c in e.causes] == ["insufficient-authentication"]
    # the key size error is gatttool's wording too (iOS words it alike)
    assert "bluez-att-insuff-encr-key-size" in [
        x.key for x in explain("Encryption Key Size is insufficient")
    ]


def test_the_dongle_error_is_not_a_pairing_failure() -> None:
    [e] = explain("NRF_ERROR_SD_RPC_NO_RESPONSE")
    assert "not a pairing failure" in e.meaning and e.causes == ()


def test_nimble_and_nordic_carry_the_smp_reason_causes() -> None:
    [peer] = explain("status=1283")
    assert "Authentication Requirements" in peer.meaning
    assert {c.finding for c in peer.causes} >= {"peer-requires-mitm", "mitm-unsatisfiable"}
    [nordic] = explain("BLE_GAP_SEC_STATUS_CONFIRM_VALUE")
    assert [c.finding for c in nordic.causes] == ["confirm-value-failed"]


def test_every_stack_entry_cites_its_source_and_keys_are_unique() -> None:
    keys = [e.key for e in CATALOGUE]
    assert len(keys) == len(set(keys))
    stack = [e for e in CATALOGUE if e.key.split("-")[0] in {"nordic", "nrf", "nimble", "zephyr",
             "esp", "corebluetooth", "windows"}]  # fmt: skip
    # (windows-pairing-result is the older summary entry the numbered ones refine)
    assert stack and all(e.cite for e in stack if e.key != "windows-pairing-result")


def test_peer_manager_and_esp_idf_numbers_stay_theirs() -> None:
    """The same digits in another stack's spelling are that stack's: NimBLE's status 4102
    is not the Peer Manager's, an ESP-IDF fail reason of 82 is not SMP reason 0x52 nor
    anyone's status 82; Peer Manager numbers only in its own log line."""
    assert [e.key for e in explain("encryption change event; status=1283")] == [
        "nimble-sm-peer-0x503"
    ]
    assert not any(e.key.startswith("nordic-pm") for e in explain("status=4102"))
    assert not any(e.key.startswith("esp-auth") for e in explain("status = 82"))
    assert not any(e.key.startswith("esp-auth") for e in explain("error: 82"))
    keys = [e.key for e in explain("ESP_AUTH_SMP_PAIR_AUTH_FAIL")]
    assert keys == ["esp-auth-smp-80"]  # not SMP 0x03's own entry, nor ESP_GATT's


def test_peer_manager_and_esp_idf_entries_cite_their_source() -> None:
    by_key = {e.key: e for e in CATALOGUE}
    pm = [e for k, e in by_key.items() if k.startswith("nordic-pm-conn-sec-error")]
    esp = [e for k, e in by_key.items() if k.startswith("esp-auth-smp")]
    assert len(pm) == 4 and len(esp) == 25
    assert all("peer_manager_types.h" in e.cite for e in pm)
    assert all("esp_gap_ble_api.h" in e.cite for e in esp)
    # the spec's reasons keep the SMP causes; "started" is no failure and shows none
    assert by_key["esp-auth-smp-80"].causes
    assert "not a failure" in by_key["esp-auth-smp-98"].meaning


def test_every_table_values_function_has_its_table() -> None:
    from bpdiag.rules.explain_stacks import _TABLES, _VALUES

    assert set(_VALUES) <= set(_TABLES) - {"causes"}


def test_an_esp_auth_code_must_be_the_base_plus_the_reason() -> None:
    from bpdiag.rules.explain_stacks import _esp_auth
    from bpdiag.rules.tables import Table, TableError

    row = Table("esp_auth.rows[0]", {"code": 79, "name": "PASSKEY_FAIL", "smp": 1})
    with pytest.raises(TableError, match="code is not base 77 \\+ smp 1"):
        list(_esp_auth(row, {}))


@pytest.mark.parametrize(
    ("text", "key"),
    [
        # bluetoothd's journal with no agent registered (src/device.c new_auth())
        (
            "Jan 02 10:11:12 pi bluetoothd[733]: No agent available for request type 2",
            "bluez-no-agent-type-2",
        ),
        ("bluetoothd[88]: No agent available for request type 1", "bluez-no-agent-type-1"),
        ("src/device.c:new_auth() No agent available for request", "bluez-no-agent"),
        (
            "bluetoothd[733]: device_confirm_passkey: Operation not permitted",
            "bluez-confirm-refused",
        ),
        (
            "bluetoothd[9120]: Authentication attempt without agent",
            "bluez-authorization-without-agent",
        ),
    ],
)
def test_bluetoothd_without_an_agent(text: str, key: str) -> None:
    [e] = explain(text)
    assert e.key == key and "src/device.c new_auth()" in e.cite
    fix = "`bluetoothctl trust" if key == "bluez-authorization-without-agent" else "default-agent"
    assert fix in e.meaning


def test_no_agent_for_a_confirmation_is_the_0x0c_story() -> None:
    [e] = explain("No agent available for request type 2")
    assert "Numeric Comparison Failed (0x0C)" in e.meaning
    assert {c.finding for c in e.causes} == {"no-agent", "numeric-comparison-failed"}


def test_btmgmt_auth_failed_is_no_smp_failure_by_itself() -> None:
    # the MGMT Authentication Failed event: LE (SMP) or BR/EDR (HCI authentication)
    [e] = explain("hci0 00:1A:7D:DA:71:13 auth failed with status 0x05 (Authentication Failed)")
    assert e.key == "bluez-mgmt-auth-failed-0x05"  # not the bare words' BlueZ D-Bus entry
    assert "BR/EDR" in e.meaning and "Secure Simple Pairing" in e.meaning
    # btmgmt pair's reply names the transport: BR/EDR, no SMP causes
    [e] = explain(
        "Pairing with 10:20:30:40:50:60 (BR/EDR) failed. status 0x05 (Authentication Failed)"
    )
    assert e.key == "bluez-mgmt-pair-bredr-0x05" and e.causes == ()
    assert "not SMP" in e.meaning
    # a Python repr of the terminal output, colour code glued on
    pasted = r"'\x1b[0;91mPairing with 10:20:30:40:50:61 (BR/EDR) failed. status 0x05 (x)\n'"
    assert [e.key for e in explain(pasted)] == ["bluez-mgmt-pair-bredr-0x05"]


def test_pair_device_complete_status_is_read_from_the_line() -> None:
    [e] = explain("bluetoothd[567]: src/adapter.c:pair_device_complete() Failed (0x03)")
    assert e.key == "bluez-bonding-status-0x03"
    assert "not the Authentication Failed" in e.meaning
    [e] = explain("Failed to pair: org.bluez.Error.AuthenticationFailed")
    assert "Failed 0x03" in e.meaning  # not only MGMT Authentication Failed (0x05)


def test_a_stack_entry_shadows_the_bare_authentication_failed_words() -> None:
    keys = [
        e.key for e in explain("Authentication failed with status BLE_GAP_SEC_STATUS_UNSPECIFIED")
    ]
    assert keys == ["nordic-sec-status-0x88"]


def test_a_small_nimble_status_is_read_only_in_its_event() -> None:
    """7 is BLE_HS_ENOTCONN only in NimBLE's encryption change event; elsewhere a bare
    status 7 is some other stack's number."""
    assert [e.key for e in explain("status=7")] == []
    assert [e.key for e in explain("encryption change event; status=17")] == []


def test_zephyr_ecc_message_needs_its_own_words() -> None:
    """Only Zephyr's hci_ecc.c wording ('public key is not valid (ret N)' or the bt_hci_ecc
    module) is read as its check; the same words in prose are no log line of it."""
    assert [e.key for e in explain("I think the public key is not valid here")] == []
    assert [e.key for e in explain("unable to get keys for the new user")] == []
    [e] = explain("bt_hci_ecc: public key is not valid (ret -3)")
    assert "invalid-public-key" in [c.finding for c in e.causes]
    assert "hci_ecc.c" in e.cite


def test_an_unexpected_smp_pdu_is_named_by_its_command_code() -> None:
    [e] = explain("bt_smp: Unexpected SMP code 0x05")
    assert "Pairing Failed (0x05)" in e.meaning and "Vol 3, Part H" in e.meaning
    [late] = explain("bt_smp: Unexpected SMP code 0x02")
    assert [c.finding for c in late.causes] == ["pairing-out-of-order"]
    # the code is a command code, not a Pairing Failed reason
    [random] = explain("bt_smp: Unexpected SMP code 0x04")
    assert "Pairing Random" in random.source and "Confirm Value Failed" not in random.meaning


@pytest.mark.parametrize(
    ("text", "key"),
    [
        # BTstack's examples on SM_EVENT_REENCRYPTION_COMPLETE: the HCI status in words
        ("Re-encryption failed, bonding information missing", "pin-or-key-missing"),
        ("Re-encryption failed, timeout", "hci-status-0x08"),
        ("Re-encryption failed, disconnected", "hci-status-0x13"),
    ],
)
def test_btstack_reencryption_words_are_its_hci_status(text: str, key: str) -> None:
    assert [e.key for e in explain(text)] == [key]


@pytest.mark.parametrize(
    ("text", "key"),
    [
        # hcidump's status line by name under a failed event (parser/hci.c)
        ("    Error: Page Timeout", "hci-status-0x04"),
        ("Error: Connection Timeout", "hci-status-0x08"),
        # Linux smp_conn_security() on a link without an SMP channel
        (
            "[  63.1] Bluetooth: SMP security requested but not available",
            "linux-smp-security-not-available",
        ),
    ],
)
def test_hcidump_error_lines_and_the_kernels_smp_channel(text: str, key: str) -> None:
    assert [e.key for e in explain(text)] == [key]
