"""``bpdiag explain`` on messages whose numbers are a stack's own numbering, not the HCI or
SMP codes they look like: each line is written here in the format the stack's source prints,
and each is read the way that source defines the number."""

from __future__ import annotations

import pytest

from bpdiag.rules.explain import explain


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        # bluetoothd -d, src/adapter.c dev_disconnected(): "Device %s disconnected, reason %u"
        (
            "bluetoothd[901]: src/adapter.c:dev_disconnected() Device 0A:0B:0C:0D:0E:0F "
            "disconnected, reason 2",
            2,
        ),
        ("src/adapter.c:dev_disconnected() Device 0A:0B:0C:0D:0E:0F disconnected, reason 3", 3),
        # plugins/policy.c disconnect_cb(): DBG("reason %u", reason), the same MGMT reason
        ("bluetoothd[901]: plugins/policy.c:disconnect_cb() reason 1", 1),
        # btmgmt / bluetoothctl's mgmt menu, client/mgmt.c disconnected()
        ("hci0 0A:0B:0C:0D:0E:0F type LE Random disconnected with reason 4", 4),
        # btmon's '@ MGMT Event: Device Disconnected (0x000c)', its reason line
        # (monitor/packet.c mgmt_device_disconnected_evt())
        ("        Reason: Connection terminated by local host (0x02)", 2),
        ("Reason: Connection timeout (0x01)", 1),
    ],
)
def test_bluez_disconnect_reason_is_mgmt_numbering_not_hci(text: str, reason: int) -> None:
    keys = [e.key for e in explain(text)]
    assert keys == [f"bluez-mgmt-disconnect-reason-{reason}"]  # and no hci-status-0x0N


def test_bluetoothd_local_host_disconnect_says_so() -> None:
    [e] = explain(
        "src/adapter.c:dev_disconnected() Device 0A:0B:0C:0D:0E:0F disconnected, reason 2"
    )
    assert "Connection terminated by local host" in e.source
    assert "not an HCI error code" in e.meaning
    assert "src/adapter.c dev_disconnected()" in e.cite


def test_a_controller_disconnect_reason_is_still_hci() -> None:
    # a stack that prints the HCI Disconnection Complete reason keeps the HCI reading
    keys = [e.key for e in explain("Disconnected from 0A:0B:0C:0D:0E:0F (public) (reason 19)")]
    assert keys == ["hci-status-0x13"]
    # and btmon's HCI Disconnect Complete reason line is the HCI error, not MGMT's
    keys = [e.key for e in explain("Reason: Connection Terminated By Local Host (0x16)")]
    assert keys == ["hci-status-0x16"]


@pytest.mark.parametrize(
    ("text", "key"),
    [
        # AOSP btif_dm.cc btif_dm_auth_cmpl_evt(): BTIF_TRACE_DEBUG(" %s() Authentication fail
        # reason %d", __func__, p_auth_cmpl->fail_reason) — the HCI status, in decimal
        (
            "03-04 05:06:07.890  1200  1250 D bt_btif : btif_dm_auth_cmpl_evt() "
            "Authentication fail reason 19",
            "android-btif-auth-fail-19",
        ),
        (
            "bt_btif: btif_dm_auth_cmpl_evt() Authentication fail reason 5",
            "android-btif-auth-fail-5",
        ),
        # ESP-IDF's Bluedroid copy of the same function
        (
            "E (100) BT_BTC:  btc_dm_auth_cmpl_evt() Authentication fail reason 6",
            "android-btif-auth-fail-6",
        ),
        # Bluedroid's tSMP_STATUS names for the spec's reasons (smp_api_types.h / smp_api.h)
        ("bt_smp  : SMP_PAIR_NOT_SUPPORT sec_level:0x0", "bluedroid-smp-pair-not-support"),
        ("smp_proc_pair_fail: status=SMP_CONFIRM_VALUE_ERR", "bluedroid-smp-confirm-value-err"),
        ("SMP_PAIR_FAIL_UNKNOWN", "bluedroid-smp-pair-fail-unknown"),
        # ESP-IDF btu_hcif.c btu_hcif_disconnection_comp_evt(): the HCI Disconnection reason
        ("W (106446) BT_HCI: hcif disc complete: hdl 0x0, rsn 0x3e", "bluedroid-hcif-disc-0x3e"),
        (
            "W (2000) BT_HCI: hcif disc complete: hdl 0x81, rsn 0x8 dev_find 1",
            "bluedroid-hcif-disc-0x08",
        ),
        # Arduino-ESP32 BLESecurityCallbacks::onAuthenticationComplete(esp_ble_auth_cmpl_t):
        # the fail_reason is ESP-IDF's (BTA_DM_AUTH_FAIL_BASE 77 + SMP 0x04)
        ("onAuthenticationComplete -> fail 81", "esp-auth-smp-81"),
    ],
)
def test_bluedroid_and_android_numbers_read_as_their_stack_defines(text: str, key: str) -> None:
    assert [e.key for e in explain(text)] == [key]


def test_android_auth_fail_reason_is_the_hci_status_in_decimal() -> None:
    [e] = explain("btif_dm_auth_cmpl_evt() Authentication fail reason 19")
    assert "HCI 0x13 Remote User Terminated Connection" in e.source
    assert "not an SMP reason" in e.meaning and "btif_dm.cc" in e.cite


def test_bluedroid_smp_name_carries_the_reason_causes() -> None:
    [e] = explain("SMP_PAIR_NOT_SUPPORT")
    assert "pairing-not-supported" in [c.finding for c in e.causes]


@pytest.mark.parametrize(
    "text",
    [
        # the words without the stack's function, tag or symbol
        "I keep getting authentication fail reason 19 on my phone",
        "the pair is not supported, rsn 0x3e maybe?",
        "onAuthenticationComplete is never called",
        # a reason btif_dm_auth_cmpl_evt() does not print (it logs only the auth failures)
        "btif_dm_auth_cmpl_evt() Authentication fail reason 8",
        # Bumble's and Zephyr's own spellings stay theirs
        "BT_SMP_ERR_PAIRING_NOTSUPP",
        "BTA_DM_AUTH_SMP_PAIR_NOT_SUPPORT",
    ],
)
def test_prose_and_other_spellings_are_not_bluedroid(text: str) -> None:
    keys = [e.key for e in explain(text)]
    assert not [k for k in keys if k.startswith(("android-btif", "bluedroid-"))], keys


@pytest.mark.parametrize(
    ("text", "key"),
    [
        # TI BLE-Stack gapbondmgr.h: the pairing state callback (connHandle, state, status),
        # state GAPBOND_PAIRING_STATE_COMPLETE 0x01 with an SMP_PAIRING_FAILED_* status
        (
            "12.345 0x20001000: pairStateCB(): connHandle=1, state=1, status=4",
            "ti-smp-pairing-failed-0x04",
        ),
        (
            "SimplePeripheral_processPairState: state = 1, status = 0x08",
            "ti-smp-pairing-failed-0x08",
        ),
        ("Pairing fail: SMP_PAIRING_FAILED_NOT_SUPPORTED", "ti-smp-pairing-failed-0x05"),
        # Cypress CYBLE_EVT_GAP_AUTH_FAILED with a CYBLE_GAP_AUTH_FAILED_REASON_T
        ("CYBLE_EVT_GAP_AUTH_FAILED, reason: 0x5", "cypress-gap-auth-error-0x05"),
        ("EVT_GAP_AUTH_FAILED, reason: CONFIRM_VALUE_NOT_MATCH", "cypress-gap-auth-error-0x04"),
        ("CYBLE_EVT_AUTH_FAILED: 8", "cypress-gap-auth-error-0x08"),
        ("CYBLE_GAP_AUTH_ERROR_LINK_DISCONNECTED", "cypress-gap-auth-error-0x18"),
        # Windows HRESULTs as WinRT raises them and Python prints them
        (
            "OSError: [WinError -2147023673] The operation was canceled by the user",
            "windows-hresult-0x800704c7",
        ),
        ("pairing raised HRESULT 0x800704C7", "windows-hresult-0x800704c7"),
        ("[WinError -2147483629] The object has been closed", "windows-hresult-0x80000013"),
        # bluetoothd -d, decimal MGMT statuses: src/device.c device_bonding_failed()
        # ("status %u") and src/adapter.c connect_failed_callback() ("hci%u %s status %u")
        ("src/device.c:device_bonding_failed() status 5", "bluez-bonding-status-0x05"),
        ("src/device.c:device_bonding_failed() status 14", "bluez-bonding-status-0x0e"),
        (
            "bluetoothd[812]: src/adapter.c:connect_failed_callback() hci0 "
            "0A:0B:0C:0D:0E:0F status 4",
            "bluez-connect-failed-status-0x04",
        ),
        # Android btif_dm_get_smp_config(): no PTS override in bt_stack.conf, not a failure
        (
            "bt_btif_dm: btif_dm_get_smp_config: SMP pairing options not found in stack "
            "configuration",
            "android-btif-no-pts-smp-options",
        ),
    ],
)
def test_other_stacks_codes_under_their_own_names(text: str, key: str) -> None:
    assert [e.key for e in explain(text)] == [key]


def test_ti_unspecified_says_what_gapbondmgr_documents() -> None:
    [e] = explain("SMP_PAIRING_FAILED_UNSPECIFIED")
    assert "encryption failed to start" in e.meaning and "gapbondmgr.h" in e.cite
    [e] = explain("CYBLE_GAP_AUTH_ERROR_AUTHENTICATION_TIMEOUT")
    assert "timed out" in e.meaning and "pairing-incomplete" in [c.finding for c in e.causes]


def test_an_android_note_that_is_no_failure_says_so() -> None:
    [e] = explain("btif_dm_get_smp_config: SMP pairing options not found in stack configuration")
    assert "not a failure" in e.source and not e.causes


@pytest.mark.parametrize(
    "text",
    [
        # the callback's words or numbers without its context, or another state
        "state=1, status=8",
        "pairStateCB(): connHandle=0, state=0, status=0",  # STARTED, SUCCESS
        "the auth failed: 8 times",
        "Windows said the operation was canceled by the user",
        "error 0x800704C8",
    ],
)
def test_other_stacks_words_without_context_do_not_match(text: str) -> None:
    keys = [e.key for e in explain(text)]
    assert not [k for k in keys if k.startswith(("ti-", "cypress-", "windows-hresult"))], keys


def test_a_cypress_row_must_keep_the_smp_number() -> None:
    from bpdiag.rules.explain_stacks import _cypress_auth_failed
    from bpdiag.rules.tables import Table, TableError

    row = Table("cypress_auth_failed.rows[0]", {"code": 2, "name": "X", "smp": 1})
    with pytest.raises(TableError, match="code is not smp 1"):
        list(_cypress_auth_failed(row, {}))
