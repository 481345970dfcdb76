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


def test_journal_of_a_pairing_without_agent() -> None:
    log = [
        "Mar 03 09:00:01 box bluetoothd[511]: No agent available for request type 2",
        "Mar 03 09:00:01 box bluetoothd[511]: device_confirm_passkey: Operation not permitted",
    ]
    keys = [(e.key, lines) for e, lines in explain_lines(log).found]
    assert keys == [("bluez-no-agent-type-2", [1]), ("bluez-confirm-refused", [2])]


@pytest.mark.parametrize(
    ("header", "reason", "key"),
    [
        # hcidump prints the reason as a bare number on the next line
        ("    SMP: Pairing Failed (0x05)", "      reason 0x03", "smp-reason-0x03"),
        # btmon its name and number
        (
            "      SMP: Pairing Failed (0x05) len 1",
            "        Reason: Numeric comparison failed (0x0c)",
            "smp-reason-0x0c",
        ),
    ],
)
def test_the_reason_on_the_line_after_pairing_failed(header: str, reason: str, key: str) -> None:
    log = ["> ACL data: handle 64 flags 0x02 dlen 6", header, reason]
    keys = [(e.key, lines) for e, lines in explain_lines(log).found]
    # the header and its reason are one message: the reason's, named by both lines
    assert keys == [(key, [2, 3])]
    # the same bare number after anything else says nothing
    assert explain_lines(["connected", "      reason 0x03"]).found == []


def test_pairing_failed_without_a_reason_after_it_is_told_alone() -> None:
    # a cut paste: the header is the last line, or a line without a reason follows it
    for log in (
        ["      SMP: Pairing Failed (0x05) len 1"],
        ["      SMP: Pairing Failed (0x05) len 1", "> HCI Event: Disconnect Complete (0x05)"],
        ["      SMP: Pairing Failed (0x05) len 1", "", "Reason: Unspecified reason (0x08)"],
    ):
        keys = [(e.key, lines) for e, lines in explain_lines(log).found]
        assert keys[0] == ("smp-pairing-failed", [1]), log


def test_zephyr_console_numbers_each_in_its_own_numbering() -> None:
    log = [
        "[00:00:07.001,000] <err> bt_smp: reason 0x8",
        "[00:00:07.002,000] <wrn> app: Security failed: F1:E2:D3:C4:B5:A6 (random) level 1 err 9",
        "[00:00:07.003,000] <wrn> app: Pairing failed conn: F1:E2:D3:C4:B5:A6 (random), reason 9",
        "[00:00:07.100,000] <inf> app: Disconnected: F1:E2:D3:C4:B5:A6 (random) (reason 8)",
    ]
    keys = [(e.key, lines) for e, lines in explain_lines(log).found]
    assert keys == [
        ("smp-reason-0x08", [1]),
        ("zephyr-security-err-9", [2, 3]),
        ("hci-status-0x08", [4]),
    ]


def test_a_hostile_line_is_searched_in_bounded_time() -> None:
    # Words a pattern joins with a gap ("smp … reason"), thousands of times on one line: an
    # unbounded gap made its search quadratic (1.4 s for 4,096 characters); gaps are bounded
    # and a line is searched up to MAX_LINE characters.
    import time

    for line in ("smp " * 50_000, "smp reaso " * 20_000, "pairing failed " * 20_000):
        t0 = time.process_time()
        explain_lines([line])
        assert time.process_time() - t0 < 1.0
    assert ex._bounded(r"smp[^\n]*?\breason") == r"smp[^\n]{0,200}?\breason"
    assert ex._bounded(r"\bmgmt\b.*status") == r"\bmgmt\b.{0,200}status"
    assert ex._bounded(r"a\.*b") == r"a\.*b"  # an escaped dot is no gap


def test_searching_a_log_stops_at_its_time_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ex, "MAX_SEARCH_SECONDS", 0.0)
    result = explain_lines(f"status={n} failed" for n in range(100))
    assert result.stopped and result.searched == 0
    from bpdiag.report.explain_text import render_log

    assert " s at most; cut the log to the failure" in render_log("log", result)
