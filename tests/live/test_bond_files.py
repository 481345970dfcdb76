"""Bond files on disk: key stores owner-only, restore-bond into the store the bond came from
(or a clear refusal), manifests checked before anything is written."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

pytest.importorskip("bumble")

from bpdiag.cli import main
from bpdiag.live.base import LiveError
from bpdiag.live.bonds import save_bumble_bond
from bpdiag.live.bumble_backend import BumbleBackend
from bpdiag.live.keystore import PrivateJsonKeyStore

PEER = "F0:0D:00:00:00:02/P"
KEYS = {"ltk": {"value": "000102030405060708090a0b0c0d0e0f", "authenticated": False}}
NAMESPACE = "F0:0D:00:00:00:01/P"


def _mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def _store(path: Path) -> PrivateJsonKeyStore:
    from bumble.keys import PairingKeys

    store = PrivateJsonKeyStore(NAMESPACE, str(path))
    asyncio.run(store.update(PEER, PairingKeys.from_dict(KEYS)))
    return store


def _restore(backup: Path) -> object:
    return CliRunner().invoke(main, ["restore-bond", str(backup)])


def test_the_key_store_is_owner_only_even_under_a_lax_umask(tmp_path: Path) -> None:
    old = os.umask(0o002)
    try:
        _store(tmp_path / "keys" / "ks.json")
    finally:
        os.umask(old)
    assert _mode(tmp_path / "keys" / "ks.json") == 0o600
    assert _mode(tmp_path / "keys") == 0o700


def test_restore_from_elsewhere_goes_to_the_recorded_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BPDIAG_STATE_DIR", str(tmp_path / "state"))
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.chdir(home)
    _store(Path("ks.json"))
    backup = save_bumble_bond(Path("ks.json"), NAMESPACE, PEER, {PEER: KEYS})
    doc = json.loads((backup.path / "bond.json").read_text())
    assert doc["keystore"] == str(home / "ks.json")  # absolute, not "ks.json"
    (home / "ks.json").write_text("{}")  # the bond was forgotten
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    r = _restore(backup.path)
    assert r.exit_code == 0, r.output  # type: ignore[attr-defined]
    assert not (elsewhere / "ks.json").exists()
    assert PEER in json.loads((home / "ks.json").read_text())[NAMESPACE]
    assert _mode(home / "ks.json") == 0o600


def _backup(tmp_path: Path, doc: dict[str, object]) -> Path:
    d = tmp_path / "backup"
    d.mkdir(exist_ok=True)
    (d / "bond.json").write_text(json.dumps(doc))
    return d


BUMBLE = {"backend": "bumble", "namespace": NAMESPACE, "device": PEER, "entries": {PEER: KEYS}}


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({**BUMBLE, "keystore": "ks.json"}, "relative to a directory"),
        ({**BUMBLE, "keystore": "/nonexistent/ks.json"}, "does not exist"),
        ({**BUMBLE, "keystore": "/x", "entries": []}, "'entries' is not a dict"),
        ({"backend": "bumble", "keystore": "/x"}, "'namespace' is missing"),
        ({**BUMBLE, "keystore": "/x", "entries": {PEER: 5}}, "are not an object"),
        ({"backend": "bluez", "adapter": "../escaped", "device": "11:22:33:44:55:66"}, "not a"),
        ({"backend": "bluez", "adapter": "00:01:02:03:04:05", "device": 7}, "'device' is not"),
    ],
)
def test_a_damaged_backup_is_refused_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, doc: dict[str, object], message: str
) -> None:
    monkeypatch.setenv("BPDIAG_BLUEZ_STORAGE", str(tmp_path / "storage"))
    r = _restore(_backup(tmp_path, doc))
    assert r.exit_code == 2  # type: ignore[attr-defined]
    assert message in r.stderr and "Traceback" not in r.output  # type: ignore[attr-defined]
    assert not (tmp_path / "escaped").exists() and not (tmp_path / "storage").exists()


def test_a_key_store_of_the_wrong_shape_is_a_clear_error(tmp_path: Path) -> None:
    ks = tmp_path / "ks.json"
    ks.write_text("[1, 2, 3]")
    r = _restore(_backup(tmp_path, {**BUMBLE, "keystore": str(ks)}))
    assert r.exit_code == 2  # type: ignore[attr-defined]
    assert "is not a Bumble JSON key store" in r.stderr  # type: ignore[attr-defined]
    assert ks.read_text() == "[1, 2, 3]"


def test_settling_a_bond_in_a_store_of_the_wrong_shape(tmp_path: Path) -> None:
    ks = tmp_path / "ks.json"
    ks.write_text(json.dumps({NAMESPACE: [1]}))
    backend = BumbleBackend("tcp-client:127.0.0.1:1", keystore=ks, forget_bond=True)
    with pytest.raises(LiveError, match="is it a Bumble JSON key store"):
        asyncio.run(backend._settle_bond(PrivateJsonKeyStore(NAMESPACE, str(ks)), NAMESPACE, PEER))


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only directories")
def test_forget_bond_in_a_read_only_directory_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BPDIAG_STATE_DIR", str(tmp_path / "state"))
    ks = tmp_path / "ro" / "ks.json"
    store = _store(ks)
    before = ks.read_text()
    (tmp_path / "ro").chmod(0o500)
    try:
        backend = BumbleBackend("tcp-client:127.0.0.1:1", keystore=ks, forget_bond=True)
        with pytest.raises(LiveError, match="not writable; nothing was saved or removed"):
            asyncio.run(backend._settle_bond(store, NAMESPACE, PEER))
    finally:
        (tmp_path / "ro").chmod(0o700)
    assert ks.read_text() == before
    assert not (tmp_path / "state").exists()


def test_forget_bond_that_cannot_be_written_saves_nothing_and_removes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same as above wherever the test runs (root ignores directory modes): the store's
    directory reported not writable, and a delete that fails after the backup was made."""
    import bpdiag.live.bumble_backend as bb

    monkeypatch.setenv("BPDIAG_STATE_DIR", str(tmp_path / "state"))
    ks = tmp_path / "ks.json"
    store = _store(ks)
    before = ks.read_text()
    backend = BumbleBackend("tcp-client:127.0.0.1:1", keystore=ks, forget_bond=True)
    monkeypatch.setattr(bb.os, "access", lambda path, mode: False)
    with pytest.raises(LiveError, match="not writable; nothing was saved or removed"):
        asyncio.run(backend._settle_bond(store, NAMESPACE, PEER))
    assert not (tmp_path / "state").exists()
    monkeypatch.undo()
    monkeypatch.setenv("BPDIAG_STATE_DIR", str(tmp_path / "state"))

    async def refuse(name: str) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(store, "delete", refuse)
    with pytest.raises(LiveError, match=r"was saved in .* could not be removed .* unchanged"):
        asyncio.run(backend._settle_bond(store, NAMESPACE, PEER))
    assert ks.read_text() == before
    assert backend.bond_backup is not None and (backend.bond_backup.path / "bond.json").is_file()
