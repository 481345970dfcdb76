"""``explain_lines``: the known messages of a stack's log, each once, with its lines, in
bounded time."""

from __future__ import annotations

import pytest

from bpdiag.rules import explain as ex
from bpdiag.rules.explain import explain_lines


def test_each_message_once_with_its_lines() -> None:
    log = [
        "[00:00:01.000] <inf> bt_hci_core: HCI transport up",
        "[00:00:05.123] <wrn> bt_smp: Security failed: F4:12:FA:00:00:01 (random) level 1 err 4",
        "[00:00:09.456] <wrn> bt_smp: Security failed: F4:12:FA:00:00:01 (random) level 1 err 4",
        "<info> peer_manager_handler: Connection security failed: role: Central, conn_handle: "
        "0x1, procedure: Encryption, error: 4353",
    ]
    result = explain_lines(log)
    assert [(e.key, lines) for e, lines in result.found] == [
        ("zephyr-security-err-4", [2, 3]),
        ("nordic-pm-conn-sec-error-0x1101", [4]),
    ]
    assert (result.lines, result.stopped) == (4, False)
    assert result.searched == 2  # the same message at another time is searched once


def test_lines_without_any_error_word_are_not_searched() -> None:
    result = explain_lines(["hello", "world", "connected to 00:11:22:33:44:55"])
    assert result.found == [] and result.searched == 0


def test_a_long_log_stops_at_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ex, "MAX_SEARCHED", 3)
    result = explain_lines(f"status={n} failed" for n in range(100))
    assert result.stopped and result.searched == 3 and result.lines == 4


def test_bluetoothd_debug_log_of_a_failed_bonding() -> None:
    log = [
        "bluetoothd[612]: src/adapter.c:pair_device() hci0 bdaddr 00:11:22:33:44:55 type 1 "
        "io_cap 0x03",
        "bluetoothd[612]: src/adapter.c:bonding_attempt_complete() hci0 bdaddr "
        "00:11:22:33:44:55 type 1 status 0x5",
        "bluetoothd[612]: src/device.c:device_bonding_complete() bonding 0x55d0a1 status 0x05",
    ]
    keys = [(e.key, lines) for e, lines in explain_lines(log).found]
    assert keys == [("bluez-bonding-status-0x05", [2, 3])]
    [(e, _)] = explain_lines(log).found
    assert {c.finding for c in e.causes} >= {"pairing-mode-inactive", "confirm-value-failed"}
