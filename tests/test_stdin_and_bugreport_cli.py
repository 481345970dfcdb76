"""``analyze -`` / ``dump -`` read any format from standard input; a bug report zip gives one
analysis per HCI log, each headed by the entry it came from."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.capture.writers import (
    bugreport_zip,
    dumpstate_text,
    pklg_bytes,
    read_btsnoop_h4,
    snooz_blob,
)
from tests.helpers import bpdiag, bpdiag_in_process

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "captures" / "dhkey_check_failed.btsnoop"


def _run(args: list[str], stdin: bytes) -> subprocess.CompletedProcess[bytes]:
    """The command in a process of its own, ``stdin`` on a real pipe."""
    return bpdiag(*args, input=stdin, text=False)


def _run_file(args: list[str]) -> subprocess.CompletedProcess[bytes]:
    """The command on files, in this process (``bpdiag_in_process``), its output as bytes
    like ``_run``'s."""
    r = bpdiag_in_process(*args)
    return subprocess.CompletedProcess(r.args, r.returncode, r.stdout.encode(), r.stderr.encode())


def _pklg() -> bytes:
    return pklg_bytes(read_btsnoop_h4(SRC), "<")


def _text() -> bytes:
    return dumpstate_text(snooz_blob(read_btsnoop_h4(SRC), 2))


@pytest.mark.parametrize(
    ("name", "make"),
    [("btsnoop", SRC.read_bytes), ("packetlogger", _pklg), ("btsnooz", _text)],
)
def test_analyze_stdin_is_the_same_as_the_file(tmp_path: Path, name: str, make) -> None:  # type: ignore[no-untyped-def]
    data = make()
    path = tmp_path / "cap"
    path.write_bytes(data)
    piped = _run(["analyze", "--json", "-"], data)
    direct = _run_file(["analyze", "--json", str(path)])
    assert piped.returncode == direct.returncode == 1
    a, b = json.loads(piped.stdout), json.loads(direct.stdout)
    assert a["capture"]["format"] == b["capture"]["format"] == name
    a["capture"]["path"] = b["capture"]["path"] = ""
    assert a == b


def test_dump_stdin(tmp_path: Path) -> None:
    r = _run(["dump", "-"], _pklg())
    assert r.returncode == 1
    assert b"Pairing Failed" in r.stdout


def test_zip_on_stdin_and_as_a_file(tmp_path: Path) -> None:
    z = bugreport_zip(
        {
            "FS/data/misc/bluetooth/logs/btsnoop_hci.log": SRC.read_bytes(),
            "FS/data/misc/bluetooth/logs/btsnoop_hci.log.last": (
                ROOT / "captures" / "sc_justworks_success.btsnoop"
            ).read_bytes(),
        }
    )
    path = tmp_path / "bugreport-x.zip"
    path.write_bytes(z)
    r = _run_file(["analyze", str(path)])
    assert r.returncode == 1
    heads = [line for line in r.stdout.decode().splitlines() if line.startswith("=== ")]
    assert heads == [
        f"=== {path}:FS/data/misc/bluetooth/logs/btsnoop_hci.log ===",
        f"=== {path}:FS/data/misc/bluetooth/logs/btsnoop_hci.log.last ===",
    ]
    j = _run(["analyze", "--json", "-"], z)
    got = json.loads(j.stdout)
    assert [x["capture"]["path"] for x in got] == [
        "-:FS/data/misc/bluetooth/logs/btsnoop_hci.log",
        "-:FS/data/misc/bluetooth/logs/btsnoop_hci.log.last",
    ]
