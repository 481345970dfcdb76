"""mixed-tools and no-agent on btmon captures.  No public capture holds these situations, so
the monitor records are written here from the format's definition (BlueZ
src/shared/btsnoop.h: btsnoop datalink 2001, flags = adapter << 16 | opcode; the kernel's
monitor Control Open layout in net/bluetooth/hci_sock.c; management opcodes from
doc/mgmt-api.txt) — not copied from any tool's output."""

from __future__ import annotations

import struct
from pathlib import Path

from bpdiag.diagnose import diagnose_file

EPOCH = 0x00E03AB44A676000 + 1_700_000_000_000_000


def _rec(opcode: int, data: bytes, t: int, adapter: int = 0) -> bytes:
    return struct.pack(">IIIIq", len(data), len(data), adapter << 16 | opcode, 0, EPOCH + t) + data


def _ctrl_open(cookie: int, process: str) -> bytes:
    # cookie, format 2 (MGMT), version 1, revision 22, flags trusted, comm length, comm
    body = struct.pack("<IHBHIB", cookie, 2, 1, 22, 1, 16) + process.encode().ljust(16, b"\0")
    return _rec(14, body, 0)


def _mgmt_cmd(cookie: int, opcode: int, params: bytes, t: int) -> bytes:
    return _rec(16, struct.pack("<IH", cookie, opcode) + params, t)


def _log(ident: str, message: str, t: int) -> bytes:
    ident_b = ident.encode() + b"\0"
    body = bytes([6, len(ident_b)]) + ident_b + message.encode() + b"\0"
    return _rec(13, body, t)


ADDR = bytes.fromhex("0c1688376000")  # 00:60:37:88:16:0C, wire order
PAIR_DEVICE = ADDR + b"\x01" + b"\x03"  # address, LE public, IO capability NoInputNoOutput


def _write(tmp_path: Path, records: list[bytes]) -> Path:
    p = tmp_path / "monitor.btsnoop"
    p.write_bytes(b"btsnoop\0" + struct.pack(">II", 1, 2001) + b"".join(records))
    return p


def test_two_programs_pairing_the_same_device(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        [
            _ctrl_open(1, "bluetoothd"),
            _ctrl_open(2, "btmgmt"),
            _mgmt_cmd(1, 0x0019, PAIR_DEVICE, 10),  # Pair Device from bluetoothd
            _mgmt_cmd(2, 0x0019, PAIR_DEVICE, 20),  # Pair Device from btmgmt
        ],
    )
    analysis = diagnose_file(path)
    codes = [f.code for f in analysis.findings]
    assert codes == ["mixed-tools"]
    f = analysis.findings[0]
    assert f.frames == [3, 4]
    assert "bluetoothd (#3)" in f.detail and "btmgmt (#4)" in f.detail


def test_one_program_is_not_mixed(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        [
            _ctrl_open(1, "bluetoothd"),
            _mgmt_cmd(1, 0x0019, PAIR_DEVICE, 10),
            _mgmt_cmd(1, 0x001B, ADDR + b"\x01\x01", 20),
        ],
    )
    assert diagnose_file(path).findings == []


def test_no_agent(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        [
            _ctrl_open(1, "bluetoothd"),
            _log("bluetoothd", "No agent available for request type 2", 5),
            _mgmt_cmd(1, 0x001D, ADDR + b"\x01", 6),
        ],  # User Confirmation Negative Reply
    )
    analysis = diagnose_file(path)
    # the log line and the negative reply it led to are one finding with both as evidence
    [f] = analysis.findings
    assert f.code == "no-agent" and f.frames == [2, 3]
    assert "No agent available" in f.detail and "a yes/no confirmation" in f.detail
    assert "User Confirmation Negative Reply" in f.detail and "not from the peer" in f.detail


def test_no_agent_lines_and_replies_apart(tmp_path: Path) -> None:
    # a negative reply with no "no agent" line before it (an agent said no), and a line with
    # no reply after it: two findings, neither claims what the other shows
    path = _write(
        tmp_path,
        [
            _ctrl_open(1, "bluetoothd"),
            _mgmt_cmd(1, 0x001D, ADDR + b"\x01", 4),
            _log("bluetoothd", "No agent available for request type 1", 5),
        ],
    )
    first, second = diagnose_file(path).findings
    assert first.frames == [2] and "the agent declined or was missing" in first.detail
    assert second.frames == [3] and "a passkey to type" in second.detail
    assert "answered" not in second.detail


def test_no_agent_does_not_fire_on_other_lines_or_positive_replies(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        [
            _ctrl_open(1, "bluetoothd"),
            _log("bluetoothd", "Authentication already requested for F0:0D:00:00:00:02", 4),
            _mgmt_cmd(1, 0x001C, ADDR + b"\x01", 5),  # User Confirmation Reply
        ],
    )
    assert diagnose_file(path).findings == []


def _agent_codes(tmp_path: Path, message: str) -> list[str]:
    path = _write(tmp_path, [_ctrl_open(1, "bluetoothd"), _log("bluetoothd", message, 5)])
    return [f.code for f in diagnose_file(path).findings]


def test_no_agent_cut_by_btmon(tmp_path: Path) -> None:
    # btmon ends a line that does not fit its width with "..", mid-word (issue 10, class 7)
    for cut in (
        "src/device.c:new_auth() No agent available fo..",
        "src/device.c:new_auth() No agen..",
        "src/device.c:new_auth() No ag..",
        "No agent..",
    ):
        assert _agent_codes(tmp_path, cut) == ["no-agent"], cut
    path = _write(tmp_path, [_ctrl_open(1, "bluetoothd"), _log("bluetoothd", "x No agen..", 5)])
    assert "btmon cut the line" in diagnose_file(path).findings[0].detail


def test_no_agent_not_matched_by_other_cut_text(tmp_path: Path) -> None:
    for other in (
        "device_bonding_complete() bonding (nil) status 0x05 No a..",  # too short to tell
        "src/adapter.c: No address given..",
        "src/device.c: Nano ag..",  # not the start of a word
        "src/device.c: No agen",  # no cut mark: a full message that says something else
        "No ag...",  # three dots: someone's elision, not btmon's cut
        "No agency..",
        "No agen.. more text",  # ".." not at the end of the printed line
    ):
        assert _agent_codes(tmp_path, other) == [], other
