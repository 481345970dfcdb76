"""``bpdiag explain`` on the failure lines of AOSP's Bluetooth stack (packages/modules/Bluetooth),
each written as the current source prints it and read the way that source numbers or names it."""

from __future__ import annotations

import pytest

from bpdiag.rules.explain import explain


def _keys(text: str) -> list[str]:
    return [e.key for e in explain(text)]


# system/btif/src/btif_dm.cc btif_dm_ble_auth_cmpl_evt(): LOG_ERROR("LE authentication for %s
# failed with reason %d", ADDRESS_TO_LOGGABLE_CSTR(bd_addr), p_auth_cmpl->fail_reason), the
# fail_reason BTA_DM_AUTH_FAIL_BASE (0x43 + 10) + the tSMP_STATUS (bta_dm_sec.cc)
_LE_AUTH = "bt_btif_dm: LE authentication for xx:xx:xx:xx:5e:ff failed with reason {}"


@pytest.mark.parametrize(
    ("code", "status"),
    [
        (78, "SMP_PASSKEY_ENTRY_FAIL"),  # 77 + 0x01
        (80, "SMP_PAIR_AUTH_FAIL"),  # 77 + 0x03: BTA_DM_AUTH_SMP_PAIR_AUTH_FAIL
        (81, "SMP_CONFIRM_VALUE_ERR"),
        (82, "SMP_PAIR_NOT_SUPPORT"),
        (91, "SMP_XTRANS_DERIVE_NOT_ALLOW"),  # 77 + 0x0E, the last of the spec's
        (92, "SMP_PAIR_INTERNAL_ERR"),  # 77 + 0x0F, the stack's own
        (99, "SMP_RSP_TIMEOUT"),  # 77 + 0x16
        (101, "SMP_FAIL"),  # 77 + 0x18
        (102, "SMP_CONN_TOUT"),  # 77 + 0x19: BTA_DM_AUTH_SMP_CONN_TOUT
        (103, "SMP_SIRK_DEVICE_INVALID"),  # 77 + 0x1A, AOSP's alone
    ],
)
def test_le_authentication_failed_reason_is_base_plus_smp_status(code: int, status: str) -> None:
    [e] = explain(_LE_AUTH.format(code))
    assert e.key == f"android-le-auth-fail-{code}"
    assert status in e.source and f"0x{code - 77:02x}" in e.source
    assert "ESP" not in e.source + e.meaning  # Android's btif, never ESP-IDF's
    assert "btif_dm_ble_auth_cmpl_evt()" in e.cite


@pytest.mark.parametrize(
    "code",
    [
        94,  # SMP_INIT_FAIL, 95 SMP_CONFIRM_FAIL, 100 SMP_DIV_NOT_AVAIL: removed from AOSP
        95,
        100,
        5,  # a number below the base is no BTA_DM_AUTH code
        77,
    ],
)
def test_le_authentication_codes_aosp_does_not_have_are_not_read(code: int) -> None:
    assert _keys(_LE_AUTH.format(code)) == []


def test_the_shared_numbering_keeps_each_stack_its_own_entry() -> None:
    # the same rows number ESP-IDF's fail_reason: an ESP-IDF line stays ESP-IDF's, and what
    # an ESP-IDF application can check is not told to an Android log
    [esp] = explain("ESP_GAP_BLE_AUTH_CMPL_EVT fail_reason 93")
    assert esp.key == "esp-auth-smp-93"
    assert esp.source.startswith("ESP-IDF") and "ESP_BLE_SM_IOCAP_MODE" in esp.meaning
    [android] = explain(_LE_AUTH.format(93))
    assert android.source.startswith("Android") and "SMP_UNKNOWN_IO_CAP (0x10)" in android.source
    assert "ESP" not in android.meaning


def test_le_authentication_failed_says_what_the_app_sees() -> None:
    [e] = explain(_LE_AUTH.format(80))
    assert "SMP reason Authentication Requirements (0x03)" in e.meaning
    assert "UNBOND_REASON_AUTH_FAILED" in e.meaning
    assert "peer-requires-mitm" in {c.finding for c in e.causes}
    [e] = explain(_LE_AUTH.format(82))
    assert "UNBOND_REASON_AUTH_REJECTED" in e.meaning
    [e] = explain(_LE_AUTH.format(99))  # default: BT_STATUS_FAIL
    assert "UNBOND_REASON_REMOVED" in e.meaning
    assert "repeated-smp-timeouts" in {c.finding for c in e.causes}
    [e] = explain(_LE_AUTH.format(102))
    assert "keeps its keys" in e.meaning


# btif_dm_auth_cmpl_evt(): LOG_WARN("Bonding failed with failure reason:%s",
# hci_reason_code_text(p_auth_cmpl->fail_reason)) — hci_error_code.h's names, which are not
# the spec's words, and UNKNOWN[0x%02hx] for a code it does not name
@pytest.mark.parametrize(
    ("printed", "hci"),
    [
        ("HCI_ERR_AUTH_FAILURE", 0x05),
        ("HCI_ERR_KEY_MISSING", 0x06),
        ("HCI_ERR_PAGE_TIMEOUT", 0x04),
        ("HCI_ERR_CONNECTION_TOUT", 0x08),
        ("HCI_ERR_PEER_USER", 0x13),
        ("HCI_ERR_PAIRING_NOT_ALLOWED", 0x18),
        ("HCI_ERR_INSUFFCIENT_SECURITY", 0x2F),  # the header's spelling
        ("HCI_ERR_LIMIT_REACHED", 0x43),
        ("UNKNOWN[0x11]", 0x11),  # Unsupported Feature or Parameter Value: no AOSP name
        ("UNKNOWN[0x3d]", 0x3D),
    ],
)
def test_bonding_failed_reason_is_the_hci_status_by_aosp_name(printed: str, hci: int) -> None:
    line = f"bt_btif_dm: Bonding failed with failure reason:{printed}"
    [e] = explain(line)  # not also Android's ACTION_BOND_STATE_CHANGED reason
    assert e.key == f"android-btif-bonding-failed-0x{hci:02x}"
    assert f"HCI 0x{hci:02x}" in e.source
    assert "btif_dm_auth_cmpl_evt()" in e.cite


def test_bonding_failed_in_hex_is_the_same_hci_status() -> None:
    # mid-2023: LOG_WARN("Bonding failed with failure reason: 0x%02x", p_auth_cmpl->fail_reason)
    assert _keys("Bonding failed with failure reason: 0x05") == ["android-btif-bonding-failed-0x05"]
    assert _keys("Bonding failed with failure reason: 0x2f") == ["android-btif-bonding-failed-0x2f"]


def test_bonding_failed_says_what_the_app_sees() -> None:
    def meaning(printed: str) -> str:
        [e] = explain(f"Bonding failed with failure reason:{printed}")
        return e.meaning

    assert "UNBOND_REASON_REMOTE_DEVICE_DOWN" in meaning("HCI_ERR_CONNECTION_TOUT")
    assert "UNBOND_REASON_AUTH_REJECTED" in meaning("HCI_ERR_PAIRING_NOT_ALLOWED")
    assert "UNBOND_REASON_AUTH_FAILED" in meaning("HCI_ERR_KEY_MISSING")
    assert "UNBOND_REASON_REMOVED" in meaning("HCI_ERR_COMMAND_DISALLOWED")


def test_bonding_failed_unknown_code_is_read_whole() -> None:
    # "UNKNOWN[0x110]" is no UNKNOWN[0x11]: only the bare words "Bonding failed" are known
    assert _keys("Bonding failed with failure reason:UNKNOWN[0x110]") == ["android-unbond-reason"]


# btif_dm_auth_cmpl_evt(): LOG_WARN("Authentication fail:%s", hci_reason_code_text(…)) for the
# statuses it maps to BT_STATUS_AUTH_FAILURE — the same entries as older releases' decimal
# " %s() Authentication fail reason %d"
@pytest.mark.parametrize(
    ("printed", "hci"),
    [
        ("HCI_ERR_AUTH_FAILURE", 5),
        ("HCI_ERR_KEY_MISSING", 6),
        ("HCI_ERR_HOST_REJECT_SECURITY", 14),
        ("HCI_ERR_UNSPECIFIED", 31),
        ("HCI_ERR_INSUFFCIENT_SECURITY", 47),
    ],
)
def test_authentication_fail_names_the_hci_status(printed: str, hci: int) -> None:
    assert _keys(f"bt_btif_dm: Authentication fail:{printed}") == [f"android-btif-auth-fail-{hci}"]
    old = f"bt_btif_dm: btif_dm_auth_cmpl_evt() Authentication fail reason {hci}"
    assert _keys(old) == [f"android-btif-auth-fail-{hci}"]


def test_key_missing_points_to_the_bond_lost_finding() -> None:
    for line in (
        "Authentication fail:HCI_ERR_KEY_MISSING",
        "Bonding failed with failure reason:HCI_ERR_KEY_MISSING",
        "btif_dm_auth_cmpl_evt() Authentication fail reason 6",
    ):
        [e] = explain(line)
        assert "bond-lost" in {c.finding for c in e.causes}, line


# other lines that print hci_error_code_text() names
@pytest.mark.parametrize(
    ("text", "hci"),
    [
        # bta_dm_sec.cc bta_dm_authentication_complete_cback()
        (
            "bt_bta_dm: Deleting device record as authentication failed entry:"
            "xx:xx:xx:xx:5e:ff reason:HCI_ERR_KEY_MISSING",
            0x06,
        ),
        # btm_sec.cc btm_sec_encrypt_change()
        ("bt_btm_sec: Encryption collision failed status:HCI_ERR_UNSPECIFIED", 0x1F),
        # btm_sec.cc btm_sec_connected()
        (
            "Connection failed during bonding attempt peer:xx:xx:xx:xx:5e:ff "
            "reason:HCI_ERR_PAGE_TIMEOUT",
            0x04,
        ),
        # btm_sec.cc btm_sec_disconnected()
        (
            "Got uncommon disconnection reason:HCI_ERR_CONN_FAILED_ESTABLISHMENT "
            "handle:0x0040 comment:stack::acl",
            0x3E,
        ),
    ],
)
def test_aosp_hci_error_names(text: str, hci: int) -> None:
    assert _keys(text) == [f"android-hci-err-0x{hci:02x}"]


def test_an_hci_err_name_is_matched_whole() -> None:
    assert _keys("status:HCI_ERR_AUTH_FAILURES") == []
    assert _keys("status:MY_HCI_ERR_AUTH_FAILURE") == []


# smp_act.cc smp_send_pair_fail(): LOG_ERROR("Pairing failed smp_status:%s",
# smp_status_text(p_cb->status)) right before it sends the Pairing Failed PDU; dumpsys shows
# its BTM_LogHistory ("%-6s %-25s: %s %s": tag SMP, message, address, extra)
@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("bt_smp: Pairing failed smp_status:SMP_PAIR_AUTH_FAIL", 0x03),
        ("Pairing failed smp_status:SMP_CONFIRM_VALUE_ERR", 0x04),
        ("Pairing failed smp_status:SMP_PAIR_FAIL_UNKNOWN", 0x08),
        ("Pairing failed smp_status:SMP_XTRANS_DERIVE_NOT_ALLOW", 0x0E),
        (
            "  12-03 14:00:00.123 SMP    Pairing failed           : xx:xx:xx:xx:5e:ff "
            "smp_status:SMP_DHKEY_CHK_FAIL",
            0x0B,
        ),
    ],
)
def test_pairing_failed_smp_status_is_sent_by_this_device(text: str, reason: int) -> None:
    [e] = explain(text)  # not also the direction-less bluedroid-smp-* name entry
    assert e.key == f"android-smp-sent-pairing-failed-0x{reason:02x}"
    assert "this device sent" in e.source
    assert "smp_send_pair_fail()" in e.cite


def test_a_pairing_failed_this_device_sent_has_no_peer_sent_causes() -> None:
    [e] = explain("Pairing failed smp_status:SMP_PAIR_AUTH_FAIL")
    findings = {c.finding for c in e.causes}
    assert "mitm-unsatisfiable" in findings
    assert "peer-requires-mitm" not in findings  # that one the peer sends


# smp_utils.cc smp_proc_pairing_cmpl(): LOG_WARN("Pairing process has failed to remote:%s
# smp_reason:%s sec_level:0x%0x", …) and its BTM_LogHistory "Pairing failed … reason:%s"
@pytest.mark.parametrize(
    ("text", "status"),
    [
        (
            "bt_smp: Pairing process has failed to remote:xx:xx:xx:xx:5e:ff "
            "smp_reason:SMP_PAIR_NOT_SUPPORT sec_level:0x0",
            0x05,
        ),
        (
            "Pairing process has failed to remote:xx:xx:xx:xx:5e:ff smp_reason:SMP_CONN_TOUT "
            "sec_level:0x0",
            0x19,
        ),
        (
            "Pairing process has failed to remote:xx:xx:xx:xx:5e:ff smp_reason:SMP_RSP_TIMEOUT "
            "sec_level:0x0",
            0x16,
        ),
        ("SMP    Pairing failed           : xx:xx:xx:xx:5e:ff reason:SMP_ENC_FAIL", 0x14),
        ("SMP    Pairing failed           : xx:xx:xx:xx:5e:ff reason:SMP_REPEATED_ATTEMPTS", 9),
    ],
)
def test_pairing_process_failed_is_the_pairings_end_status(text: str, status: int) -> None:
    assert _keys(text) == [f"android-smp-pairing-failed-0x{status:02x}"]


def test_the_stacks_own_smp_status_is_no_pairing_failed_reason() -> None:
    [e] = explain(
        "Pairing process has failed to remote:xx:xx:xx:xx:5e:ff smp_reason:SMP_RSP_TIMEOUT "
        "sec_level:0x0"
    )
    assert "No Pairing Failed PDU carries it" in e.meaning
    assert "pairing-incomplete" in {c.finding for c in e.causes}


# smp_status_text() names of the stack's own statuses (smp_status.h, above 0x0E), on any line
@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("status:SMP_BUSY", "android-smp-status-busy"),
        # smp_act.cc smp_sirk_verify()'s BTM_LogHistory: no smp_send_pair_fail() line
        (
            "SIRK verification: Verification failed, smp_status:SMP_SIRK_DEVICE_INVALID",
            "android-smp-status-sirk-device-invalid",
        ),
        ("result:SMP_FAIL", "android-smp-status-fail"),
        ("reason SMP_PAIR_INTERNAL_ERR", "android-smp-status-pair-internal-err"),
        ("SMP_UNKNOWN_IO_CAP", "android-smp-status-unknown-io-cap"),
    ],
)
def test_aosp_own_smp_status_names(text: str, key: str) -> None:
    assert _keys(text) == [key]


def test_smp_status_names_are_matched_whole() -> None:
    assert _keys("SMP_FAILED") == []
    assert _keys("BTM_LE_SMP_FAIL") == []
    # SMP_INIT_FAIL, SMP_DIV_NOT_AVAIL: removed from AOSP, so not AOSP's
    assert "android-smp-status-init-fail" not in _keys("SMP_INIT_FAIL")


# Checks of AOSP's Security Manager that fail a pairing, each line as its source prints it and
# the tSMP_STATUS the source sets right after it
@pytest.mark.parametrize(
    ("text", "slug", "status"),
    [
        # smp_act.cc smp_proc_pair_cmd()
        (
            "bt_smp: pairing failed - peripheral requires secure connection only mode",
            "sc-only-peripheral",
            "SMP_PAIR_AUTH_FAIL (0x03)",
        ),
        (
            "Central requires secure connection only mode but it can't be provided -> "
            "Central fails pairing",
            "sc-only-central",
            "SMP_PAIR_AUTH_FAIL (0x03)",
        ),
        # smp_act.cc smp_decide_association_model()
        (
            "IO capability does not meet authentication requirement",
            "io-cap-mitm",
            "SMP_PAIR_AUTH_FAIL (0x03)",
        ),
        (
            "Association Model=SMP_MODEL_OUT_OF_RANGE (failed)",
            "association-model",
            "SMP_UNKNOWN_IO_CAP (0x10)",
        ),
        ("dhkey chcks do no match", "dhkey-check", "SMP_DHKEY_CHK_FAIL (0x0b)"),
        # smp_utils.cc smp_check_commitment()
        ("Commitment check fails", "commitment", "SMP_CONFIRM_VALUE_ERR (0x04)"),
        # smp_api.cc SMP_PasskeyReply(), SMP_ConfirmReply(), SMP_SecurityGrant()
        (
            "Wrong key len:1234567 or passkey entry fail",
            "passkey-entry",
            "SMP_PASSKEY_ENTRY_FAIL (0x01)",
        ),
        ("Numeric Comparison fails", "numeric-comparison", "SMP_NUMERIC_COMPAR_FAIL (0x0c)"),
        ("Consent dialog fails for JUSTWORKS", "consent", "SMP_NUMERIC_COMPAR_FAIL (0x0c)"),
        # smp_api.cc SMP_Pair(), smp_utils.cc smp_send_msg_to_L2CAP()
        (
            "L2C connect fixed channel failed.",
            "l2cap-channel",
            "SMP_PAIR_INTERNAL_ERR (0x0f)",
        ),
        ("SMP failed to pass msg to L2CAP", "l2cap-send", "SMP_PAIR_INTERNAL_ERR (0x0f)"),
        # smp_utils.cc smp_command_has_valid_fixed_length()
        (
            "Rcvd from the peer cmd 0x03 with invalid length 0x10 (per spec the length is 0x11).",
            "command-length",
            "SMP_INVALID_PARAMETERS (0x0a)",
        ),
        # smp_utils.cc smp_pairing_request_response_parameters_are_valid()
        (
            "Rcvd from the peer cmd 0x01 with Maximum Encryption Key value (0x06) out of range).",
            "parameter-out-of-range",
            "SMP_INVALID_PARAMETERS (0x0a)",
        ),
        (
            "Rcvd from the peer cmd 0x02 with IO Capability value (0x05) out of range).",
            "parameter-out-of-range",
            "SMP_INVALID_PARAMETERS (0x0a)",
        ),
    ],
)
def test_security_manager_checks_name_the_status_they_fail_with(
    text: str, slug: str, status: str
) -> None:
    [e] = explain(text)  # and not also the bare "pairing failed"
    assert e.key == f"android-smp-check-{slug}"
    assert e.source.endswith(status)


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        # the words of releases before the logging clean-up of December 2023 (__func__, spaces)
        # and before the inclusive-language change of 2020
        (
            "smp_proc_pair_cmd: pairing failed - slave requires secure connection only mode",
            "sc-only-peripheral",
        ),
        (
            "Slave requires secure connection only mode but it can't be provided -> Slave "
            "fails pairing",
            "sc-only-peripheral-response",
        ),
        # 2015's SMP_TRACE_ERROR, its string continued with a backslash (the spaces kept)
        (
            "smp_proc_pair_cmd Master requires secure connection only mode "
            "            but it can't be provided -> Master fails pairing",
            "sc-only-central",
        ),
        ("Association Model = SMP_MODEL_OUT_OF_RANGE (failed)", "association-model"),
        ("SMP_PasskeyReply() - Wrong key len: 0 or passkey entry fail", "passkey-entry"),
        ("smp_match_dhkey_checks: dhkey chcks do no match", "dhkey-check"),
        ("SMP_ConfirmReply() - Numeric Comparison fails", "numeric-comparison"),
    ],
)
def test_older_words_of_the_checks(text: str, slug: str) -> None:
    assert _keys(text) == [f"android-smp-check-{slug}"]


def test_a_check_says_whether_a_pairing_failed_was_sent() -> None:
    [e] = explain("Commitment check fails")
    assert "sends the peer a Pairing Failed with the reason 0x04" in e.meaning
    assert "confirm-value-failed" in {c.finding for c in e.causes}
    [e] = explain("Association Model=SMP_MODEL_OUT_OF_RANGE (failed)")
    assert "no Pairing Failed is sent" in e.meaning


# bta_dm_sec.cc bta_dm_encrypt_cback(): "Unable to encrypt link peer:%s transport:%s status:%s
# callback:%c" / "Failed to encrypt link …", btm_status_text() of a tBTM_STATUS
_ENCRYPT = (
    "bt_bta_dm: {} to encrypt link peer:xx:xx:xx:xx:5e:ff transport:BT_TRANSPORT_LE "
    "status:{} callback:T"
)


@pytest.mark.parametrize(
    ("words", "status", "key"),
    [
        ("Failed", "BTM_ERR_KEY_MISSING", "android-encrypt-link-err-key-missing"),
        ("Failed", "BTM_FAILED_ON_SECURITY", "android-encrypt-link-failed-on-security"),
        ("Failed", "BTM_ERR_PROCESSING", "android-encrypt-link-err-processing"),
        ("Unable", "BTM_BUSY", "android-encrypt-link-busy"),
        ("Unable", "BTM_WRONG_MODE", "android-encrypt-link-wrong-mode"),
        ("Failed", "BTM_DEVICE_TIMEOUT", "android-encrypt-link-device-timeout"),
    ],
)
def test_encrypt_link_failures_name_the_btm_status(words: str, status: str, key: str) -> None:
    assert _keys(_ENCRYPT.format(words, status)) == [key]


def test_encrypt_link_key_missing_is_the_lost_bond() -> None:
    [e] = explain(_ENCRYPT.format("Failed", "BTM_ERR_KEY_MISSING"))
    assert "(22;" in e.meaning  # btm_status.h numbers it 22
    assert {c.finding for c in e.causes} == {"bond-lost"}


def test_a_succeeded_encryption_is_no_failure() -> None:
    # "Encrypted link peer:… status:BTM_SUCCESS" (the same function, on success)
    line = (
        "Encrypted link peer:xx:xx:xx:xx:5e:ff transport:BT_TRANSPORT_LE status:BTM_SUCCESS "
        "callback:T"
    )
    assert _keys(line) == []


# BondStateMachine.java bondStateChangeCallback(): infoLog("bondStateChangeCallback: Status: "
# + status + " Address: " + device + " newState: " + newState + " hciReason: " + hciReason)
@pytest.mark.parametrize(
    ("status", "unbond"),
    [
        (9, "UNBOND_REASON_AUTH_FAILED (1)"),  # BT_STATUS_AUTH_FAILURE
        (10, "UNBOND_REASON_REMOTE_DEVICE_DOWN (4)"),  # BT_STATUS_RMT_DEV_DOWN
        (11, "UNBOND_REASON_AUTH_REJECTED (2)"),  # BT_STATUS_AUTH_REJECTED
        (1, "UNBOND_REASON_REMOVED (9)"),  # BT_STATUS_FAIL: getUnbondReasonFromHALCode's default
    ],
)
def test_bond_state_callback_status_is_bt_status(status: int, unbond: str) -> None:
    line = (
        f"BluetoothBondStateMachine: bondStateChangeCallback: Status: {status} Address: "
        "XX:XX:XX:XX:5E:FF newState: 0 hciReason: 0"
    )
    [e] = explain(line)
    assert e.key == f"android-bond-callback-status-{status}"
    assert e.source.endswith(unbond)


def test_bond_state_callback_not_a_failure() -> None:
    # bonding, bonded: no failure, whatever the status
    for state in (1, 2):
        line = f"bondStateChangeCallback: Status: 0 Address: XX:XX:XX:XX:5E:FF newState: {state}"
        assert _keys(line) == []


def test_bond_state_history_words_the_bt_status() -> None:
    # btif_dm.cc bond_state_changed(): BTM_LogHistory(kBtmLogTagCallback, bd_addr, "Bond state
    # changed", "bt_status:%s bond_state:%u reason:%s"), bt_status_text()'s words, in dumpsys
    line = "API    Bond state changed       : xx:xx:xx:xx:5e:ff bt_status:{} bond_state:0 reason:"
    assert _keys(line.format("failure") + "HCI_SUCCESS") == ["android-bond-callback-status-9"]
    assert _keys(line.format("fail") + "HCI_SUCCESS") == ["android-bond-callback-status-1"]
    assert _keys(line.format("rejected") + "HCI_SUCCESS") == ["android-bond-callback-status-11"]
    assert _keys(line.format("success") + "HCI_SUCCESS") == []
    # a BR/EDR bonding's HCI reason is read beside it
    assert sorted(_keys(line.format("failure") + "HCI_ERR_KEY_MISSING")) == [
        "android-bond-callback-status-9",
        "android-hci-err-0x06",
    ]


@pytest.mark.parametrize(
    ("text", "key"),
    [
        # btif_dm_ble_auth_cmpl_evt(), BTA_DM_AUTH_SMP_CONN_TOUT for a bonded device
        (
            "bt_btif_dm: Bonded device addr=xx:xx:xx:xx:5e:ff, timed out - will not remove "
            "the keys",
            "android-le-auth-bonded-timeout-keeps-keys",
        ),
        # btif_dm_auth_cmpl_evt()
        ("bt_btif_dm: Pairing timeout; retrying (1) ...", "android-btif-pairing-timeout-retry"),
        ("auto pair failed. Reinitiate Bond", "android-btif-auto-pair-failed"),
        (
            "btif_dm_auth_cmpl_evt() auto pair failed. Reinitiate Bond",
            "android-btif-auto-pair-failed",
        ),
        # btif_dm_ssp_cfm_req_evt(), btif_dm_pin_req_evt()
        ("bt_btif_dm: already in bonding state, reject request", "android-btif-already-bonding"),
        (
            "bta_dm_ble_smp_cback: bonded device disconnected when encrypting - no reason to "
            "unbond",
            "android-le-auth-bonded-timeout-keeps-keys",
        ),
        # btm_sec.cc read_encryption_key_size_complete_after_key_refresh()
        (
            "encryption key too short, disconnecting. handle: 0x40 key_size 5",
            "android-encryption-key-too-short",
        ),
        # btu_hcif.cc read_encryption_key_size_complete_after_encryption_change(), LOG(ERROR)
        (
            "read_encryption_key_size_complete_after_encryption_change encryption key too "
            "short, disconnecting. handle: 0x0040 key_size: 1",
            "android-encryption-key-too-short",
        ),
    ],
)
def test_btif_and_btm_fixed_lines(text: str, key: str) -> None:
    assert _keys(text) == [key]


@pytest.mark.parametrize(
    ("text", "key"),
    [
        # btm_sec.cc btm_sec_bond_by_transport()
        (
            "bt_btm_sec: BTM_SecBond: already busy in state: BTM_PAIR_STATE_WAIT_AUTH_COMPLETE",
            "android-btm-bond-busy",
        ),
        # btm_sec.cc BTM_SetEncryption()
        (
            "Security Manager: BTM_SetEncryption busy, enqueue request",
            "android-btm-encryption-queued",
        ),
        # btm_ble_sec.cc btm_ble_start_encrypt()
        ("Link Encryption is active, Busy!", "android-btm-encryption-already-starting"),
        ("bt_btm_ble: No key available to encrypt the link", "android-btm-no-ltk"),
        # smp_act.cc smp_link_encrypted()
        (
            "SMP state machine busy so skipping encryption enable:1 device:xx:xx:xx:xx:5e:ff",
            "android-smp-busy-skips-encryption",
        ),
    ],
)
def test_android_busy_lines_are_not_bluez_in_progress(text: str, key: str) -> None:
    assert _keys(text) == [key]  # they were BlueZ's 'InProgress' by the bare word Busy


def test_a_bonding_that_could_not_start_is_told_so() -> None:
    [e] = explain("Bonding failed with failure reason:HCI_ERR_ILLEGAL_COMMAND")
    assert "bta_dm_bond()" in e.meaning
    [e] = explain("Bonding failed with failure reason:HCI_ERR_PAGE_TIMEOUT")
    assert "bta_dm_bond()" not in e.meaning


@pytest.mark.parametrize(
    "text",
    [
        # Android 13: btif_dm.cc btif_dm_upstreams_evt() BTA_DM_REPORT_BONDING_EVT
        "bt_btif_dm: Received encryption failed: Report bonding firstly.",
        # bta_hh_le.cc bta_hh_security_cmpl()
        "Received encryption failed status:BTA_HH_ERR_AUTH_FAILED btm_status:BTM_ERR_KEY_MISSING",
        # bta_dm_act.cc bta_dm_process_delete_key_RC_to_unpair()
        "bt_bta_dm: RC key missing",
    ],
)
def test_android_13_hogp_key_missing_removes_the_bond(text: str) -> None:
    [e] = explain(text)  # not also the bare "key missing"
    assert e.key == "android-hogp-key-missing-unpairs"
    assert {c.finding for c in e.causes} == {"bond-lost"}
