"""btmon text of the management channel and bluetoothd's log lines (issue 10, class 7) must
become the records the Linux monitor reader produces from the btsnoop file btmon printed,
so that the BlueZ host rules (no-agent, mixed tools …) fire on pasted text too."""

from __future__ import annotations

import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from bpdiag.diagnose import diagnose_file

TEXT = (
    Path(__file__).resolve().parents[2] / "tests" / "data" / "text" / "mgmt_records.btmon-mgmt.txt"
)

# Address F0:0D:00:00:00:02 (LE random, static) as mgmt carries it: 6 bytes LE, then type 2.
ADDR = bytes.fromhex("020000000df0") + b"\x02"


def _monitor_btsnoop() -> bytes:
    """A monitor-datalink btsnoop (BlueZ src/shared/btsnoop.h, opcodes 13–17) with the
    management commands and events of a BlueZ pairing (doc/mgmt-api.txt layouts)."""
    recs: list[tuple[int, bytes]] = []

    def cmd(op: int, params: bytes) -> None:
        recs.append((16, struct.pack("<IH", 1, op) + params))

    def ev(code: int, params: bytes) -> None:
        recs.append((17, struct.pack("<IH", 1, code) + params))

    # Control Open: cookie, format 2 (mgmt), version 1.0, flags, priv, name "bluetoothd"
    recs.append((14, struct.pack("<IHBHIB", 1, 2, 1, 0, 1, 16) + b"bluetoothd".ljust(16, b"\0")))
    cmd(0x0019, ADDR + b"\x04")  # Pair Device, KeyboardDisplay
    ev(0x000F, ADDR + b"\x00" + struct.pack("<I", 123456))  # User Confirmation Request
    cmd(0x001C, ADDR)  # User Confirmation Reply
    cmd(0x001D, ADDR)  # User Confirmation Negative Reply
    ev(0x0010, ADDR)  # User Passkey Request
    cmd(0x001F, ADDR)  # User Passkey Negative Reply
    ev(0x000A, b"\x01" + ADDR + b"\x01\x01\x10" + struct.pack("<H", 0x1234) + bytes(24))
    ev(0x0011, ADDR + b"\x05")  # Authentication Failed: Authentication Failed
    ev(0x0001, struct.pack("<HB", 0x0019, 0x13) + ADDR)  # Pair Device: Already Paired
    ev(0x0001, struct.pack("<HB", 0x0019, 0x05) + ADDR)  # Pair Device: Authentication Failed
    ev(0x0002, struct.pack("<HB", 0x0019, 0x0A))  # Command Status: Busy
    ev(0x000B, ADDR + struct.pack("<IH", 0, 0))  # Device Connected
    ev(0x000C, ADDR + b"\x03")  # Device Disconnected: by remote host
    ev(0x000D, ADDR + b"\x04")  # Connect Failed
    cmd(0x0018, b"\x03")  # Set IO Capability: NoInputNoOutput
    cmd(0x0009, b"\x01")  # Set Bondable
    cmd(0x001A, ADDR)  # Cancel Pair Device
    cmd(0x001B, ADDR + b"\x01")  # Unpair Device
    ev(0x0016, ADDR)  # Device Unpaired
    cmd(0x0033, ADDR + b"\x02")  # Add Device
    ident = b"bluetoothd\0"
    recs.append((13, bytes([3, len(ident)]) + ident + b"No agent available for request type 2\0"))
    recs.append((15, struct.pack("<I", 1)))  # Control Close
    out = b"btsnoop\0" + struct.pack(">II", 1, 2001)
    t0 = 0x00E03AB44A676000  # 2026 in btsnoop's microseconds since year 0
    for i, (op, body) in enumerate(recs):
        out += struct.pack(">IIIIq", len(body), len(body), op, 0, t0 + i * 1000) + body
    return out


def _events(path: Path) -> list[tuple[str, dict[str, object]]]:
    return [(e.name, dict(e.values)) for e in diagnose_file(path).monitor]


def test_btmon_text_of_mgmt_is_the_monitor_records(tmp_path: Path) -> None:
    snoop = tmp_path / "mgmt.btsnoop"
    snoop.write_bytes(_monitor_btsnoop())
    binary = _events(snoop)
    text = _events(TEXT)
    assert [n for n, _ in text] == [n for n, _ in binary]
    for (name, tv), (_, bv) in zip(text, binary, strict=True):
        if name == "User Logging":
            # btmon prints no priority, and cuts long messages at its width with ".."
            tv.pop("priority")
            bv.pop("priority")
        assert tv == bv, name
    findings = [f.code for f in diagnose_file(TEXT).findings]
    assert findings == [f.code for f in diagnose_file(snoop).findings]
    assert "no-agent" in findings


def test_committed_text_is_btmons_printing(tmp_path: Path) -> None:
    btmon = shutil.which("btmon")
    if btmon is None:
        pytest.skip("btmon (Debian package bluez) is not installed")
    snoop = tmp_path / "mgmt.btsnoop"
    snoop.write_bytes(_monitor_btsnoop())
    out = subprocess.run([btmon, "-r", str(snoop)], capture_output=True, text=True).stdout
    strip = lambda s: [line.split("  ")[0] for line in s.splitlines()[1:]]  # noqa: E731
    assert strip(out) == strip(TEXT.read_text())


def test_a_management_record_cut_after_its_header_is_no_record_of_zeros(tmp_path: Path) -> None:
    """An excerpt that stops on a management event's header (the trailer cut mid-cookie):
    btmon prints every such event's parameters, none are in the text, so no record is made of
    zeros (an all-zero address, confirm hint 0 and value 0 read as if printed) and a problem
    names the line."""
    from bpdiag.capture import open_capture

    text = (
        "> ACL Data RX: Handle 2048 flags 0x02 dlen 21         #40 [hci0] 7.100000\n"
        "      SMP: Pairing Random (0x04) len 16\n"
        "        Random value: 00112233445566778899aabbccddeeff\n"
        "@ MGMT Event: User Confirmation Request (0x000f) plen 12              {0x00\n"
    )
    p = tmp_path / "cut.txt"
    p.write_text(text)
    with open_capture(p) as cap:
        records = list(cap)
        problems = list(cap.problems)
    assert [r.index for r in records] == [40]  # the SMP record only
    [cut] = problems
    assert cut.kind == "truncated"
    assert cut.message.startswith(
        "line 4: the text ends inside a record (@ MGMT Event: User Confirmation Request"
    )
