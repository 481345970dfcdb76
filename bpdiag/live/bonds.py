"""Bonds are never lost: before ``--forget-bond`` removes one, it is saved here, and the
saved copy says how to put it back.

A bond holds the LTK (and IRK/CSRK) a device and the host agreed in phase 3 (Vol 3, Part H,
3.6): losing it on the host while the peripheral keeps it is exactly the "lost bond" failure
(PIN or Key Missing, 0x06) bpdiag diagnoses, so removing one is never a side effect.

Where bonds live:
- **BlueZ**: ``/var/lib/bluetooth/<adapter address>/<device address>/`` (``info`` holds the
  keys, ``attributes`` the GATT database) and ``…/cache/<device address>``; readable by root
  only.  ``BPDIAG_BLUEZ_STORAGE`` points elsewhere (a distribution built with another
  ``STORAGEDIR``, or a test).
- **Bumble**: the JSON key store given with ``--keystore`` (``bumble.keys.JsonKeyStore``).

Backups go to ``$BPDIAG_STATE_DIR`` or ``$XDG_STATE_HOME/bpdiag`` (``~/.local/state/bpdiag``)
under ``bonds/``, readable by the owner only: they contain keys.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bpdiag.live.base import BackendKind, LiveError, Reason

BLUEZ_STORAGE = Path("/var/lib/bluetooth")


def bluez_storage() -> Path:
    return Path(os.environ.get("BPDIAG_BLUEZ_STORAGE") or BLUEZ_STORAGE)


def state_dir() -> Path:
    if os.environ.get("BPDIAG_STATE_DIR"):
        return Path(os.environ["BPDIAG_STATE_DIR"])
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "bpdiag"


def data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "bpdiag"


def normal_address(address: str) -> str:
    """``aa:bb:…/P`` → ``AA:BB:…`` (Bumble suffixes public addresses with ``/P``)."""
    return address.split("/", 1)[0].upper()


@dataclass(frozen=True, slots=True)
class BondBackup:
    """A saved bond: where it is, and the command that puts it back."""

    path: Path
    restore: str


def _new_backup_dir(backend: BackendKind, address: str) -> Path:
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    root = state_dir() / "bonds"
    try:
        root.mkdir(parents=True, exist_ok=True, mode=0o700)
        name = f"{stamp}-{backend}-{normal_address(address).replace(':', '')}"
        path = root / name
        n = 1
        while path.exists():
            n += 1
            path = root / f"{name}-{n}"
        path.mkdir(mode=0o700)
    except OSError as exc:
        raise LiveError(
            f"cannot create a place for the bond backup under {root}: {exc}; "
            "nothing was removed (set BPDIAG_STATE_DIR to a writable directory)",
            Reason.ENVIRONMENT,
        ) from exc
    return path


def _private_copy(src: Path, dst: Path) -> None:
    shutil.copy2(src, dst)
    dst.chmod(0o600)


def save_bluez_bond(adapter_address: str, device_address: str) -> BondBackup:
    """Copy BlueZ's stored bond for one device (its directory and GATT cache) aside.

    Raises ``LiveError`` — and nothing may then be removed — when the bond cannot be read."""
    storage = bluez_storage() / normal_address(adapter_address)
    device_dir = storage / normal_address(device_address)
    cache = storage / "cache" / normal_address(device_address)
    try:
        files = sorted(p for p in device_dir.iterdir() if p.is_file())
        if not (device_dir / "info").is_file():
            raise FileNotFoundError(f"{device_dir / 'info'} does not exist")
        for f in files:
            f.read_bytes()  # fail here, before anything is written, if unreadable
    except OSError as exc:
        raise LiveError(
            f"cannot save the bond with {device_address}: {exc}. BlueZ keeps bonds readable "
            "by root only (run bpdiag with sudo), or copy "
            f"{device_dir} yourself and remove the device with bluetoothctl; "
            "nothing was removed",
            Reason.ENVIRONMENT,
        ) from exc
    dest = _new_backup_dir(BackendKind.BLUEZ, device_address)
    (dest / "device").mkdir(mode=0o700)
    for f in files:
        _private_copy(f, dest / "device" / f.name)
    if cache.is_file():
        # the GATT cache is rebuilt by discovery; the keys are what matter
        with contextlib.suppress(OSError):
            _private_copy(cache, dest / "cache")
    manual = (
        f"sudo cp -a {dest / 'device'}/. {device_dir}/ && "
        + (f"sudo cp {dest / 'cache'} {cache} && " if (dest / "cache").exists() else "")
        + "sudo systemctl restart bluetooth"
    )
    _write_manifest(
        dest,
        {
            "backend": BackendKind.BLUEZ,
            "adapter": normal_address(adapter_address),
            "device": normal_address(device_address),
            "from": str(device_dir),
            "restore": f"sudo bpdiag restore-bond {dest}",
            "restore_by_hand": manual,
        },
    )
    return BondBackup(dest, f"sudo bpdiag restore-bond {dest}")


def save_bumble_bond(
    keystore: Path | None, namespace: str, address: str, entries: dict[str, dict[str, Any]]
) -> BondBackup:
    """Write the Bumble key sets of one device (``PairingKeys.to_dict()`` under each name it
    is filed by: identity and connection address) aside, with how to put them back."""
    dest = _new_backup_dir(BackendKind.BUMBLE, address)
    # Absolute: restore-bond may run from any directory.
    where = str(keystore.resolve()) if keystore else "(the in-memory key store of this run)"
    restore = (
        f"bpdiag restore-bond {dest}" if keystore else "nothing to restore: the store was in memory"
    )
    _write_manifest(
        dest,
        {
            "backend": BackendKind.BUMBLE,
            "keystore": where,
            "namespace": namespace,
            "device": address,
            "entries": entries,
            "restore": restore,
        },
    )
    return BondBackup(dest, restore)


def _write_manifest(dest: Path, doc: dict[str, Any]) -> None:
    path = dest / "bond.json"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")


_ADDRESS = re.compile(r"[0-9A-F]{2}(?::[0-9A-F]{2}){5}")
_FIELDS: dict[str, dict[str, type]] = {
    BackendKind.BLUEZ: {"adapter": str, "device": str},
    BackendKind.BUMBLE: {"keystore": str, "namespace": str, "device": str, "entries": dict},
}


def read_backup(path: Path) -> dict[str, Any]:
    """The manifest of a backup, checked: every key present with its type, BlueZ addresses
    that are addresses (a path such as ``../x`` would write outside BlueZ's storage)."""
    manifest = path / "bond.json" if path.is_dir() else path
    try:
        doc = json.loads(manifest.read_text())
    except (OSError, ValueError) as exc:
        raise LiveError(f"{manifest} is not a bpdiag bond backup: {exc}", Reason.USAGE) from exc
    if not isinstance(doc, dict) or doc.get("backend") not in _FIELDS:
        raise LiveError(f"{manifest} is not a bpdiag bond backup", Reason.USAGE)
    for key, kind in _FIELDS[doc["backend"]].items():
        if not isinstance(doc.get(key), kind):
            what = "missing" if key not in doc else f"not a {kind.__name__}"
            raise LiveError(
                f"{manifest}: {key!r} is {what}; the backup is damaged, nothing was restored",
                Reason.USAGE,
            )
    if doc["backend"] == BackendKind.BLUEZ:
        for key in ("adapter", "device"):
            if not _ADDRESS.fullmatch(doc[key]):
                raise LiveError(
                    f"{manifest}: {key!r} is {doc[key]!r}, not a Bluetooth address "
                    "(AA:BB:CC:DD:EE:FF); nothing was restored",
                    Reason.USAGE,
                )
    else:
        for name, keys in doc["entries"].items():
            if not isinstance(keys, dict):
                raise LiveError(
                    f"{manifest}: the keys of {name!r} are not an object; nothing was restored",
                    Reason.USAGE,
                )
    return doc


def restore_bluez_bond(doc: dict[str, Any], backup: Path) -> str:
    """Copy a saved BlueZ bond back; bluetoothd reads it when restarted."""
    storage = bluez_storage() / doc["adapter"]
    device_dir = storage / doc["device"]
    saved = backup / "device"
    if not saved.is_dir() or not (saved / "info").is_file():
        raise LiveError(
            f"{saved} holds no saved bond (no info file); nothing was restored", Reason.USAGE
        )
    files = sorted(f for f in saved.iterdir() if f.is_file() and not f.is_symlink())
    try:
        device_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        for f in files:
            _private_copy(f, device_dir / f.name)
        if (backup / "cache").is_file():
            (storage / "cache").mkdir(exist_ok=True, mode=0o700)
            _private_copy(backup / "cache", storage / "cache" / doc["device"])
    except OSError as exc:
        raise LiveError(
            f"cannot write {device_dir}: {exc} (BlueZ's storage needs root: sudo)",
            Reason.ENVIRONMENT,
        ) from exc
    return (
        f"bond with {doc['device']} restored to {device_dir}; restart bluetoothd to load it "
        "(sudo systemctl restart bluetooth)"
    )


async def restore_bumble_bond(doc: dict[str, Any]) -> str:
    """Put saved Bumble key sets back into the key store they came from, which must exist
    (a relative or missing path would create a new store elsewhere and restore nothing)."""
    from bumble.keys import PairingKeys

    from bpdiag.live.keystore import PrivateJsonKeyStore

    keystore = doc["keystore"]
    if not keystore or keystore.startswith("("):
        raise LiveError("this bond was in an in-memory key store: nothing to restore", Reason.USAGE)
    path = Path(keystore)
    if not path.is_absolute():
        raise LiveError(
            f"the backup names the key store {keystore!r} relative to a directory it does not "
            "record; restore by hand into the right store (the keys are in bond.json)",
            Reason.USAGE,
        )
    if not path.is_file():
        raise LiveError(
            f"the key store {keystore} does not exist (moved or deleted?); nothing was restored",
            Reason.USAGE,
        )
    try:
        keys = {name: PairingKeys.from_dict(k) for name, k in doc["entries"].items()}
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise LiveError(
            f"the saved keys are damaged ({type(exc).__name__}: {exc}); nothing was restored",
            Reason.USAGE,
        ) from exc
    store = PrivateJsonKeyStore(doc["namespace"], keystore)
    try:
        db, _ = await store.load()
        if not isinstance(db, dict) or not all(isinstance(v, dict) for v in db.values()):
            raise ValueError("not an object of namespaces")
        for name, k in keys.items():
            await store.update(name, k)
    except OSError as exc:
        raise LiveError(
            f"cannot write the key store {keystore}: {exc.strerror or exc}; it is unchanged",
            Reason.ENVIRONMENT,
        ) from exc
    except (ValueError, TypeError, AttributeError, KeyError) as exc:
        raise LiveError(
            f"the key store {keystore} is not a Bumble JSON key store ({exc}); "
            "nothing was restored",
            Reason.USAGE,
        ) from exc
    return f"bond with {doc['device']} restored to {keystore} (namespace {doc['namespace']})"
