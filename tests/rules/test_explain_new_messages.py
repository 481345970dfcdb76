"""Stack messages users paste that ``bpdiag explain`` did not know, each written as its
stack's source prints it: Zephyr's SMP timeout, security level and late-failure messages
(subsys/bluetooth/host/smp.c, hci_core.c), ESP-IDF's fail_reason as the ESPHome and
esp32-ble2mqtt components print it, and CoreBluetooth's CBError codes (CBError.h)."""

from __future__ import annotations

import pytest

from bpdiag.rules.explain import explain


def keys(text: str) -> list[str]:
    return [e.key for e in explain(text)]


@pytest.mark.parametrize(
    ("text", "key"),
    [
        # smp.c smp_timeout(): LOG_ERR("SMP Timeout"), with or without the function prefix
        ("[00:00:31.012,000] <err> bt_smp: SMP Timeout", "zephyr-smp-timeout"),
        ("[00:00:31.012,000] <err> bt_smp: smp_timeout: SMP Timeout", "zephyr-smp-timeout"),
        # bt_smp_recv() after the timeout: the code is the PDU's command code
        (
            "<wrn> bt_smp: bt_smp_recv: SMP command (code 0x04) received after timeout",
            "zephyr-smp-after-timeout",
        ),
        # hci_core.c hci_encrypt_change(): the key's level is below the required one
        (
            "[00:00:05.100,000] <err> bt_hci_core: Failed to set required security level",
            "zephyr-required-security-level",
        ),
        # smp.c smp_error() once the last key was distributed
        (
            "<wrn> bt_smp: SMP does not allow a pairing failure at this point. Known issue. "
            "Disconnecting instead.",
            "zephyr-smp-failure-after-keys",
        ),
        # "SMP timeout" with no stack named: the spec's meaning only
        ("pairing aborted: SMP timeout", "smp-timeout"),
        # ESPHome / esp32-ble2mqtt on ESP_GAP_BLE_AUTH_CMPL_EVT: fail_reason in hex
        ("E (3311096) BLE2MQTT: Authentication failed, status: 0x66", "esp-auth-smp-102"),
        ("[E][madoka:120]: Authentication failed, status: 0x51", "esp-auth-smp-81"),
        # a line that names the event: its number is fail_reason (esp_gap_ble_api.h)
        ("ESP_GAP_BLE_AUTH_CMPL_EVT: Authentication Fail Code 0x55", "esp-auth-smp-85"),
        # CBATTErrorUnlikelyError = 0x0E, as bleak's macOS backend passes it on
        (
            "bleak.exc.BleakError: Failed to write characteristic 34: Error "
            'Domain=CBATTErrorDomain Code=14 "Unlikely error." '
            "UserInfo={NSLocalizedDescription=Unlikely error.}",
            "corebluetooth-cbatterror-14",
        ),
        # CBError.h codes the table did not have
        ('Error Domain=CBErrorDomain Code=0 "Unknown error."', "corebluetooth-cberror-0"),
        (
            'Error Domain=CBErrorDomain Code=3 "The specified device is not connected."',
            "corebluetooth-cberror-3",
        ),
        ("Error Domain=CBErrorDomain Code=13", "corebluetooth-cberror-13"),
        # NSError's description without text of its own
        (
            "The operation couldn’t be completed. (CBErrorDomain error 14.)",
            "corebluetooth-cberror-14",
        ),
        (
            "The operation couldn’t be completed. (CBErrorDomain error 1.)",
            "corebluetooth-cberror-1",
        ),
        (
            "The operation couldn’t be completed. (CBATTErrorDomain error 14.)",
            "corebluetooth-cbatterror-14",
        ),
        (
            "The operation couldn’t be completed. (CBATTErrorDomain error 5.)",
            "corebluetooth-cbatterror-5",
        ),
        # a code without its domain: both CoreBluetooth readings
        ("didFailToConnect: Code=14", "error-code-14-without-domain"),
    ],
)
def test_known_now(text: str, key: str) -> None:
    assert keys(text) == [key]


def test_zephyr_smp_timeout_says_the_link_cannot_pair_again() -> None:
    [e] = explain("<err> bt_smp: SMP Timeout")
    assert "30 s" in e.meaning and "connected again" in e.meaning
    assert "without sending Pairing Failed" in e.meaning
    assert "smp_timeout" in e.cite
    assert {c.finding for c in e.causes} == {"pairing-incomplete", "repeated-smp-timeouts"}


def test_the_code_after_the_timeout_is_no_reason() -> None:
    # 0x04 is the Pairing Confirm command code here, not SMP reason 0x04 Confirm Value Failed
    found = keys("<wrn> bt_smp: SMP command (code 0x04) received after timeout")
    assert not any(k.startswith(("smp-reason", "hci-status")) for k in found)


def test_required_security_level_names_the_levels_and_the_disconnect() -> None:
    [e] = explain("<err> bt_hci_core: Failed to set required security level")
    assert "bt_conn_set_security()" in e.meaning
    assert "Authentication Failure (0x05)" in e.meaning
    assert "hci_core.c" in e.cite
    assert "mitm-unsatisfiable" in {c.finding for c in e.causes}


def test_the_late_failure_is_a_disconnect_not_a_pairing_failed() -> None:
    [e] = explain("bt_smp: SMP does not allow a pairing failure at this point.")
    assert "no Pairing Failed" in e.meaning
    assert "Identity Address Information" in e.meaning


def test_classic_auth_status_is_no_ble_fail_reason() -> None:
    # ESP_BT_GAP_AUTH_CMPL_EVT prints esp_bt_status_t with the same words: 9 is
    # ESP_BT_STATUS_AUTH_FAILURE, no fail_reason (those run 78-102)
    assert not any(k.startswith("esp-auth") for k in keys("authentication failed, status:9"))


def test_a_code_without_domain_gives_both_readings_and_claims_neither() -> None:
    [e] = explain("Code=14")
    assert "peerRemovedPairingInformation" in e.meaning
    assert "Unlikely Error" in e.meaning
    assert "Domain" in e.meaning
    # a line that names another domain is no CoreBluetooth code
    assert keys('Error Domain=NSCocoaErrorDomain Code=14 "x"') == []


def test_an_everyday_word_is_no_cberror_name() -> None:
    # CBError.unknown's name is the word "unknown": only the qualified name is the code
    assert keys("unknown error") == []
    assert keys("CBError.unknown") == ["corebluetooth-cberror-0"]


def test_unlikely_error_is_no_security_error() -> None:
    [e] = explain("Error Domain=CBATTErrorDomain Code=14")
    assert "0x0E, Unlikely Error" in e.meaning
    assert "says nothing about pairing" in e.meaning
    assert e.causes == ()


def test_bare_authentication_failed_is_no_bluez_message() -> None:
    # ESP-IDF's (and any stack's) words: BlueZ's error is known by its D-Bus name only
    for line in ("E (1234) BT_BLE: authentication failed, status:9", "authentication failed"):
        assert keys(line) == ["pairing-failed-no-reason"]
    assert keys("Failed to pair: org.bluez.Error.AuthenticationFailed")[0] == (
        "bluez-authentication-failed"
    )


def test_bare_cancel_reject_and_timeout_words_do_not_claim_bluez() -> None:
    # the words are any stack's: an entry they match says so in its title, not "BlueZ" alone
    from bpdiag.rules.explain import explain

    for line in (
        "E (99) BT_GAP: authentication cancelled by user",
        "authentication rejected",
        "W: authentication timeout",
    ):
        (e,) = explain(line)
        assert "or a stack's own words" in e.source, (line, e.source)
