"""The command line as users and CI scripts meet it: exit codes, one-line errors, the JSON
contract of docs/json.md, key redaction, and a light start-up path."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import OWN, ROOT, SHARED
from tests.helpers import bpdiag_in_process

BPDIAG = [sys.executable, "-m", "bpdiag"]


def run_process(*args: str) -> subprocess.CompletedProcess[str]:
    """``python -m bpdiag ARGS``: the entry point and the process's exit status."""
    return subprocess.run([*BPDIAG, *args], capture_output=True, text=True, cwd=ROOT)


def run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    """The command in this process (``bpdiag_in_process``): what it prints and its status."""
    return bpdiag_in_process(*args, stdin=stdin)


def test_exit_0_on_success_and_1_on_failure() -> None:
    ok = run_process("analyze", str(OWN / "legacy_justworks_success.btsnoop"))
    assert ok.returncode == 0, ok.stderr
    assert "LE legacy · Just Works · SUCCESS" in ok.stdout
    bad = run_process("analyze", str(OWN / "not_in_pairing_mode.btsnoop"))
    assert bad.returncode == 1
    assert "pairing-mode-inactive" in bad.stdout
    assert "Unspecified Reason (0x08)" in bad.stdout


def test_encryption_failure_is_exit_1() -> None:
    r = run("analyze", str(OWN / "bond_lost_reconnect.btsnoop"))
    assert r.returncode == 1 and "bond-lost" in r.stdout


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        (b"", "the file is empty"),
        (b"garbage!", "unknown format"),
    ],
)
def test_exit_2_with_one_line(tmp_path: Path, content: bytes | None, message: str) -> None:
    p = tmp_path / "capture.btsnoop"
    if content is not None:
        p.write_bytes(content)
    r = run_process("analyze", str(p))
    assert r.returncode == 2
    assert r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and "Traceback" not in r.stderr


def test_usage_error_is_exit_2() -> None:
    assert run("analyze").returncode == 2
    assert run("frobnicate").returncode == 2


def test_truncated_capture_reports_problem_and_keeps_earlier_pairing(tmp_path: Path) -> None:
    data = (OWN / "legacy_passkey_wrong.btsnoop").read_bytes()
    p = tmp_path / "cut.btsnoop"
    p.write_bytes(data[:-7])
    r = run("analyze", "--json", str(p))
    doc = json.loads(r.stdout)
    assert doc["problems"] and doc["problems"][0]["record"] is not None
    assert doc["problems"][0]["offset"] is not None
    assert [x["outcome"] for x in doc["pairings"]] == ["failed"]


def test_json_contract_matches_docs() -> None:
    doc = json.loads(run("analyze", "--json", str(OWN / "not_in_pairing_mode.btsnoop")).stdout)
    assert doc["schema"] == "bpdiag.analysis/1"
    assert {"path", "format", "link_type", "records"} <= set(doc["capture"])
    for key in ("problems", "connections", "pairings", "encryptions", "findings"):
        assert isinstance(doc[key], list)
    assert {"id", "central", "peripheral", "first_frame", "last_frame", "disconnect_reason"} <= set(
        doc["connections"][0]
    )
    p = doc["pairings"][0]
    for key in (
        "connection",
        "frames",
        "security_request",
        "request",
        "response",
        "secure_connections",
        "method",
        "outcome",
        "failure",
        "encrypted_frame",
    ):
        assert key in p
    assert set(p["request"]) >= {
        "frame",
        "io_capability",
        "oob",
        "bonding",
        "mitm",
        "sc",
        "keypress",
        "ct2",
        "max_key_size",
        "initiator_keys",
        "responder_keys",
    }
    assert p["failure"] == {
        "reason": 8,
        "name": "Unspecified Reason",
        "sent_by": "responder",
        "frame": 35,
        "layer": "smp",
    }
    f = doc["findings"][0]
    assert set(f) >= {
        "code",
        "severity",
        "title",
        "detail",
        "fix",
        "frames",
        "connection",
        "pairing",
    }
    documented = (ROOT / "docs" / "json.md").read_text()
    for key in doc:
        assert f"`{key}`" in documented or f'"{key}"' in documented, key


def test_dump_json_lines_and_redaction() -> None:
    path = str(OWN / "legacy_justworks_success.btsnoop")
    lines = [json.loads(x) for x in run("dump", "--json", path).stdout.splitlines()]
    assert all(
        {"frame", "time", "direction", "connection", "layer", "opcode", "name", "fields"} <= set(x)
        for x in lines
    )
    ltks = [x for x in lines if x["layer"] == "smp" and x["opcode"] == 6]
    assert ltks and all(x["fields"]["ltk"] == "redacted" for x in ltks)
    shown = [json.loads(x) for x in run("dump", "--json", "--show-keys", path).stdout.splitlines()]
    values = [x["fields"]["ltk"] for x in shown if x["layer"] == "smp" and x["opcode"] == 6]
    assert values and all(re.fullmatch("[0-9a-f]{32}", v) for v in values)
    # The human outputs redact too.
    assert not re.search(r"LTK [0-9a-f]{32}", run("analyze", path).stdout)
    assert not re.search(
        r"[0-9a-f]{32}", run("dump", path).stdout.split("Encryption Information")[1][:80]
    )


def test_analyze_does_not_import_heavy_libraries() -> None:
    code = (
        "import sys\n"
        "from bpdiag.cli import main\n"
        "try:\n"
        f"    main(['analyze', {str(OWN / 'sc_justworks_success.btsnoop')!r}])\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = [m for m in ('textual', 'bumble', 'scapy', 'pyshark') if m in sys.modules]\n"
        "print(heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout
    assert out.strip().splitlines()[-1] == "[]"


def test_check_command_on_own_captures() -> None:
    r = run("check", str(OWN))
    assert r.returncode == 0, r.stdout
    assert "0 mismatches" in r.stdout


def test_check_reports_a_mismatch(tmp_path: Path) -> None:
    (tmp_path / "a.btsnoop").write_bytes((OWN / "not_in_pairing_mode.btsnoop").read_bytes())
    (tmp_path / "expectations.toml").write_text(
        '[a]\nfile = "a.btsnoop"\nfindings = ["mitm-unsatisfiable"]\n'
        '[[a.pairings]]\noutcome = "success"\n'
    )
    r = run("check", str(tmp_path))
    assert r.returncode == 1
    assert "MISMATCH a: finding codes: expected ['mitm-unsatisfiable'], got " in r.stdout
    assert "MISMATCH a: pairing 1 outcome: expected 'success', got 'failed'" in r.stdout


def test_explain() -> None:
    r = run("explain", "Failed to pair: org.bluez.Error.AuthenticationFailed")
    assert r.returncode == 0
    assert "pairing-mode-inactive" in r.stdout and "btmon -w" in r.stdout


LOGCAT = """\
12-01 10:00:00.200  1234  5678 I BluetoothGatt: connect() - device: XX:XX:XX:XX:57:2A
12-01 10:00:01.500  1234  5678 D BluetoothGatt: onClientConnectionState() - status=133 clientIf=7
12-01 10:00:02.500  1234  5679 D BluetoothGatt: onClientConnectionState() - status=133 clientIf=7
12-01 10:00:03.000  1234  5678 I bt_stack: Bond state changed reason UNBOND_REASON_AUTH_FAILED
"""


def test_explain_a_log_file(tmp_path: Path) -> None:
    log = tmp_path / "logcat.txt"
    log.write_text(LOGCAT)
    r = run("explain", "--file", str(log))
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(f"{log}: 4 line(s) read; 2 message(s) bpdiag knows:")
    assert "lines 2, 3: Android BluetoothGatt status 133" in r.stdout
    assert "line 4: Android BluetoothDevice.UNBOND_REASON_AUTH_FAILED" in r.stdout
    r = run("explain", "--file", "-", stdin=b"all is well\n")
    assert r.returncode == 1 and "0 message(s) bpdiag knows" in r.stdout
    r = run("analyze", str(log))  # no capture: it says where to go
    assert r.returncode == 2 and "explain --file" in r.stderr
    assert run("explain").returncode == 2
    assert run("explain", "x", "--file", str(log)).returncode == 2


@pytest.mark.skipif(not SHARED.is_dir(), reason="shared captures not present")
def test_air_capture_story() -> None:
    r = run("analyze", str(SHARED / "nordic_secreq_pairfail_confirm_value_sweyntooth.pcapng"))
    assert r.returncode == 1
    assert "confirm-value-failed" in r.stdout
