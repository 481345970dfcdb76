"""Capture text cannot steer the terminal, a passkey is redacted like a key, and an output
is never written over its input."""

from __future__ import annotations

import json
import struct
from pathlib import Path

from bpdiag.report.terminal import escape_controls, escape_line
from tests.helpers import bpdiag, bpdiag_in_process

ROOT = Path(__file__).resolve().parent.parent
EPOCH_DELTA_US = 0x00E03AB44A676000
HOSTILE = "bluetoothd[7]: \x1b]52;c;cm0gLXJmIH4=\x07\x1b]0;owned\x07\rok\x1b[2K\u202egnp.exe\x9b"


def _capture(path: Path) -> None:
    """A btsnoop monitor capture (datalink 2001): a User Logging record (opcode 13: priority,
    ident length, ident, message; BlueZ monitor/bt.h) carrying control sequences, and MGMT
    Passkey Notify (control event 0x0017: address, type, passkey, entered) and User Passkey
    Reply (control command 0x001E)."""
    ident = b"bluetoothd\x00"
    log = bytes([6, len(ident)]) + ident + HOSTILE.encode() + b"\x00"
    peer = bytes.fromhex("665544332211") + b"\x01"
    notify = struct.pack("<IH", 7, 0x0017) + peer + struct.pack("<I", 654321) + b"\x00"
    reply = struct.pack("<IH", 7, 0x001E) + peer + struct.pack("<I", 654321)
    out = bytearray(b"btsnoop\x00" + struct.pack(">II", 1, 2001))
    t = 1_700_000_000_000_000 + EPOCH_DELTA_US
    for i, (opcode, data) in enumerate(((13, log), (17, notify), (16, reply))):
        out += struct.pack(">IIIIQ", len(data), len(data), opcode, 0, t + i) + data
    path.write_bytes(bytes(out))


def test_escape_controls_keeps_text_and_shows_controls() -> None:
    assert escape_controls("a\x1b]52;c;x\x07\rb\n\tc\x9b\u202e") == (
        "a\\x1b]52;c;x\\x07\\rb\n\tc\\x9b\\u202e"
    )
    assert escape_line("a\nb") == "a\\nb"


def test_dump_and_analyze_print_no_control_characters(tmp_path: Path) -> None:
    cap = tmp_path / "hostile.btsnoop"
    _capture(cap)
    dump = bpdiag("dump", str(cap))
    assert dump.returncode == 0, dump.stderr
    assert "\\x1b]52;c;cm0gLXJmIH4=\\x07" in dump.stdout  # shown, harmlessly
    analyze = bpdiag("analyze", str(cap))
    assert analyze.returncode == 0, analyze.stderr
    for out in (dump.stdout, dump.stderr, analyze.stdout, analyze.stderr):
        assert not any(c in out for c in "\x1b\x07\r\x9b\u202e")


def test_the_passkey_is_redacted_unless_show_keys(tmp_path: Path) -> None:
    cap = tmp_path / "passkey.btsnoop"
    _capture(cap)
    for args in (("dump",), ("dump", "--json")):
        out = bpdiag_in_process(*args, str(cap)).stdout
        assert "654321" not in out and "f1fb09" not in out  # decoded, and as params hex
        assert "redacted" in out
    lines = [
        json.loads(x)
        for x in bpdiag_in_process("dump", "--json", "--show-keys", str(cap)).stdout.split("\n")
        if x
    ]
    assert [x["fields"]["passkey"] for x in lines if "passkey" in x["fields"]] == [654321, 654321]


def test_html_is_never_written_over_the_capture(tmp_path: Path) -> None:
    cap = tmp_path / "c.btsnoop"
    cap.write_bytes((ROOT / "captures" / "legacy_justworks_success.btsnoop").read_bytes())
    link = tmp_path / "report.html"
    link.symlink_to(cap)
    for target in (cap, link, tmp_path / "sub" / ".." / "c.btsnoop"):
        (tmp_path / "sub").mkdir(exist_ok=True)
        r = bpdiag_in_process("analyze", str(cap), "--html", str(target))
        assert r.returncode == 2 and "refusing to write the report over it" in r.stderr
    assert cap.read_bytes() == (ROOT / "captures" / "legacy_justworks_success.btsnoop").read_bytes()
