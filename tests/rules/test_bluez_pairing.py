"""What the BlueZ host did about pairing (bpdiag.rules.bluez_pairing), from monitor records
written in btmon's binary layout (BlueZ src/shared/btsnoop.h; MGMT opcodes, events and
return parameters from doc/mgmt-api.txt) — the records btmon text is read into as well."""

from __future__ import annotations

import struct
from pathlib import Path

from bpdiag.diagnose import diagnose_file
from tests.rules.test_monitor_rules import ADDR, PAIR_DEVICE, _ctrl_open, _mgmt_cmd, _rec, _write


def _mgmt_event(cookie: int, event: int, params: bytes, t: int) -> bytes:
    return _rec(17, struct.pack("<IH", cookie, event) + params, t)


def _pair_complete(status: int, t: int) -> bytes:
    # Command Complete (0x0001): command opcode 0x0019, status, then Address + Address_Type
    return _mgmt_event(1, 0x0001, struct.pack("<HB", 0x0019, status) + ADDR + b"\x01", t)


def _confirm_request(t: int) -> bytes:
    # User Confirmation Request (0x000F): Address, Address_Type, Confirm_Hint, Value
    return _mgmt_event(1, 0x000F, ADDR + b"\x01" + b"\x00" + struct.pack("<I", 123456), t)


def _codes(path: Path) -> list[str]:
    return [f.code for f in diagnose_file(path).findings]


def _pair_device(tmp_path: Path, status: int, t: int = 10) -> Path:
    """bluetoothd sends Pair Device (mgmt 0x0019) at ``t``; it completes with ``status``."""
    return _write(
        tmp_path,
        [
            _ctrl_open(1, "bluetoothd"),
            _mgmt_cmd(1, 0x0019, PAIR_DEVICE, t),
            _pair_complete(status, t + 10),
        ],
    )


def test_already_paired(tmp_path: Path) -> None:
    [f] = diagnose_file(_pair_device(tmp_path, 0x13)).findings
    assert f.code == "already-paired"
    assert "NoInputNoOutput" in f.detail and "no agent is registered" in f.detail
    assert f.frames == [2, 3]


def test_authentication_failed_without_smp_is_the_hosts(tmp_path: Path) -> None:
    [f] = diagnose_file(_pair_device(tmp_path, 0x05)).findings
    assert f.code == "host-pairing-failed"
    assert "Authentication Failed (0x05)" in f.detail and "host decided" in f.detail


def test_success_and_cancel_say_nothing(tmp_path: Path) -> None:
    for status in (0x00, 0x10):
        assert _codes(_pair_device(tmp_path, status, t=1)) == []


def test_user_confirmation_nobody_answered(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        [
            _ctrl_open(1, "bluetoothd"),
            _mgmt_cmd(1, 0x0019, PAIR_DEVICE, 10),
            _confirm_request(11),
            _pair_complete(0x05, 40),
        ],
    )
    codes = _codes(path)
    assert "no-agent" in codes and "host-pairing-failed" in codes
    no_agent = next(f for f in diagnose_file(path).findings if f.code == "no-agent")
    assert "User Confirmation Request" in no_agent.detail and no_agent.frames == [3, 4]


def test_user_confirmation_answered_is_fine(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        [
            _ctrl_open(1, "bluetoothd"),
            _confirm_request(11),
            _mgmt_cmd(1, 0x001C, ADDR + b"\x01", 12),  # User Confirmation Reply
        ],
    )
    assert _codes(path) == []


def test_bonding_turned_off(tmp_path: Path) -> None:
    path = _write(tmp_path, [_ctrl_open(1, "btmgmt"), _mgmt_cmd(1, 0x0009, b"\x00", 5)])
    [f] = diagnose_file(path).findings
    assert f.code == "no-bonding" and "Set Bondable off" in f.detail
    on = _write(tmp_path, [_ctrl_open(1, "btmgmt"), _mgmt_cmd(1, 0x0009, b"\x01", 5)])
    assert _codes(on) == []


def test_a_prompt_at_the_end_of_a_cut_capture_is_not_called_unanswered(tmp_path: Path) -> None:
    short = _write(tmp_path, [_ctrl_open(1, "bluetoothd"), _confirm_request(11)])
    assert _codes(short) == []
    # 31 s of capture after it with no reply: the SMP timeout has passed.
    later = _write(
        tmp_path,
        [
            _ctrl_open(1, "bluetoothd"),
            _confirm_request(1_000_000),
            _mgmt_cmd(1, 0x0015, b"", 32_000_000),
        ],
    )
    assert _codes(later) == ["no-agent"]
