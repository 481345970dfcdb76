"""Bond backups: nothing is written or removed when the bond cannot be read, and a file that
is not a backup is refused by restore-bond."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from bpdiag.cli import main
from bpdiag.live.base import LiveError
from bpdiag.live.bonds import normal_address, save_bluez_bond


def test_unreadable_bluez_bond_writes_no_backup(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BPDIAG_BLUEZ_STORAGE", str(tmp_path / "storage"))
    monkeypatch.setenv("BPDIAG_STATE_DIR", str(tmp_path / "state"))
    (tmp_path / "storage" / "00:01:02:03:04:05" / "11:22:33:44:55:66").mkdir(parents=True)
    with pytest.raises(LiveError, match="nothing was removed"):  # a directory without info
        save_bluez_bond("00:01:02:03:04:05", "11:22:33:44:55:66")
    assert not (tmp_path / "state").exists()


def test_bluez_backup_keeps_the_gatt_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BPDIAG_BLUEZ_STORAGE", str(tmp_path / "storage"))
    monkeypatch.setenv("BPDIAG_STATE_DIR", str(tmp_path / "state"))
    adapter = tmp_path / "storage" / "00:01:02:03:04:05"
    (adapter / "11:22:33:44:55:66").mkdir(parents=True)
    (adapter / "11:22:33:44:55:66" / "info").write_text("[LongTermKey]\nKey=AA\n")
    (adapter / "cache").mkdir()
    (adapter / "cache" / "11:22:33:44:55:66").write_text("[Attributes]\n")
    backup = save_bluez_bond("00:01:02:03:04:05", "11:22:33:44:55:66")
    assert (backup.path / "cache").read_text() == "[Attributes]\n"
    assert backup.restore == f"sudo bpdiag restore-bond {backup.path}"
    assert oct(backup.path.stat().st_mode & 0o777) == "0o700"


def test_restore_refuses_what_is_not_a_backup(tmp_path: Path) -> None:
    (tmp_path / "bond.json").write_text('{"backend": "windows"}')
    r = CliRunner().invoke(main, ["restore-bond", str(tmp_path)])
    assert r.exit_code == 2 and "not a bpdiag bond backup" in r.stderr


def test_normal_address() -> None:
    assert normal_address("aa:bb:cc:dd:ee:ff/P") == "AA:BB:CC:DD:EE:FF"
