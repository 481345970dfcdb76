"""The bluez backend against python-dbusmock's BlueZ template on a private system bus.

The agent is registered with the chosen capability, the device is found by bleak's scanner,
connected and paired through bleak (``Device1.Pair`` directly on a BlueZ older than bleak
supports), D-Bus errors map to the findings that can explain them, parameters BlueZ cannot
express are refused, and an existing bond is only removed with ``--forget-bond`` after it was
saved.

The template's devices neither advertise nor resolve services, so ``Advertiser`` plays the
peripheral's part as bluetoothd shows it on D-Bus: while it runs, the device's RSSI and
advertising data are updated every 100 ms (re-creating the device object after a
RemoveDevice, as BlueZ does when the next advertisement arrives), and Connect sets
``ServicesResolved``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from bpdiag.cli import main

dbusmock = pytest.importorskip("dbusmock")
dbus = pytest.importorskip("dbus")
if shutil.which("dbus-daemon") is None:
    pytest.skip("dbus-daemon (Debian package dbus) is not installed", allow_module_level=True)

ADDRESS = "11:22:33:44:55:66"
ADAPTER_ADDRESS = "00:01:02:03:04:05"  # what the template gives hci0
DEVICE = "/org/bluez/hci0/dev_11_22_33_44_55_66"

CONNECT = (
    "self.connected = True\n"
    "self.UpdateProperties('org.bluez.Device1', "
    "{'Connected': dbus.Boolean(True), 'ServicesResolved': dbus.Boolean(True)})\n"
)
DISCONNECT = (
    "self.connected = False\n"
    "self.UpdateProperties('org.bluez.Device1', "
    "{'Connected': dbus.Boolean(False), 'ServicesResolved': dbus.Boolean(False)})\n"
)


@pytest.fixture(scope="module")
def bluez() -> Iterator[object]:
    from dbusmock import DBusTestCase

    DBusTestCase.start_system_bus()
    proc, obj = DBusTestCase.spawn_server_template("bluez5", {}, stdout=subprocess.DEVNULL)
    mock = dbus.Interface(obj, "org.bluez.Mock")
    mock.AddAdapter("hci0", "bpdiag-test")
    yield DBusTestCase.get_dbus(system_bus=True)
    proc.terminate()
    proc.wait()
    DBusTestCase.tearDownClass()


def _mock(bus: object, path: str) -> object:
    return dbus.Interface(bus.get_object("org.bluez", path), dbusmock.MOCK_IFACE)  # type: ignore[attr-defined]


def add_device(bus: object) -> None:
    """The device as BlueZ creates it on an advertisement, with Connect resolving services."""
    dbus.Interface(bus.get_object("org.bluez", "/org/bluez"), "org.bluez.Mock").AddDevice(  # type: ignore[attr-defined]
        "hci0", ADDRESS, "Omron BPM"
    )
    dev = _mock(bus, DEVICE)
    dev.AddMethod("org.bluez.Device1", "Connect", "", "", CONNECT)  # type: ignore[attr-defined]
    dev.AddMethod("org.bluez.Device1", "Disconnect", "", "", DISCONNECT)  # type: ignore[attr-defined]


def device_exists(bus: object) -> bool:
    om = dbus.Interface(bus.get_object("org.bluez", "/"), "org.freedesktop.DBus.ObjectManager")  # type: ignore[attr-defined]
    return DEVICE in {str(p) for p in om.GetManagedObjects()}


def device_prop(bus: object, name: str) -> object:
    props = dbus.Interface(
        bus.get_object("org.bluez", DEVICE),  # type: ignore[attr-defined]
        "org.freedesktop.DBus.Properties",
    )
    return props.Get("org.bluez.Device1", name)


@pytest.fixture
def device(bluez: object) -> Iterator[object]:
    """A fresh, unpaired device for each test."""
    if device_exists(bluez):
        adapter = dbus.Interface(
            bluez.get_object("org.bluez", "/org/bluez/hci0"), "org.bluez.Adapter1"
        )  # type: ignore[attr-defined]
        adapter.RemoveDevice(dbus.ObjectPath(DEVICE))
    add_device(bluez)
    _mock(bluez, DEVICE).ClearCalls()  # type: ignore[attr-defined]
    _mock(bluez, "/org/bluez/hci0").ClearCalls()  # type: ignore[attr-defined]
    _mock(bluez, "/org/bluez").ClearCalls()  # type: ignore[attr-defined]
    yield bluez


class Advertiser:
    """Advertisements from the peripheral, as bluetoothd reports them on D-Bus."""

    def __init__(self) -> None:
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        bus = dbus.bus.BusConnection(os.environ["DBUS_SYSTEM_BUS_ADDRESS"])
        while not self.stop.wait(0.1):
            try:
                if not device_exists(bus):
                    add_device(bus)
                _mock(bus, DEVICE).UpdateProperties(  # type: ignore[attr-defined]
                    "org.bluez.Device1",
                    {
                        "RSSI": dbus.Int16(-60),
                        "ManufacturerData": dbus.Dictionary({}, signature="qv"),
                        "ServiceData": dbus.Dictionary({}, signature="sv"),
                    },
                )
            except dbus.exceptions.DBusException:
                continue

    def __enter__(self) -> Advertiser:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop.set()
        self.thread.join()


def _pair(
    tmp_path: Path, *args: str, advertise: bool = True, scan_timeout: str = "3"
) -> tuple[int, str, str]:
    cmd = [
        "pair",
        ADDRESS,
        "--backend",
        "bluez",
        "--capture",
        str(tmp_path / "c.btsnoop"),
        "--scan-timeout",
        scan_timeout,
        *args,
    ]
    if advertise:
        with Advertiser():
            r = CliRunner().invoke(main, cmd)
    else:
        r = CliRunner().invoke(main, cmd)
    return r.exit_code, r.stdout, r.stderr


def _calls(bus: object, path: str) -> list[tuple[str, list[object]]]:
    return [(str(c[1]), list(c[2])) for c in _mock(bus, path).GetCalls()]  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def _private_storage(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BPDIAG_BLUEZ_STORAGE", str(tmp_path / "var-lib-bluetooth"))
    monkeypatch.setenv("BPDIAG_STATE_DIR", str(tmp_path / "state"))


def test_agent_capability_and_pair_through_bleak(device: object, tmp_path: Path) -> None:
    rc, out, err = _pair(tmp_path, "--io", "DisplayYesNo", "--json")
    assert rc == 0, out + err
    calls = _calls(device, "/org/bluez")
    assert ("RegisterAgent", ["/org/bpdiag/agent", "DisplayYesNo"]) in calls
    assert ("RequestDefaultAgent", ["/org/bpdiag/agent"]) in calls
    assert ("UnregisterAgent", ["/org/bpdiag/agent"]) in calls
    # bleak scanned, connected, then paired (and marked the device trusted, as it does)
    assert [c for c, _ in _calls(device, "/org/bluez/hci0")].count("StartDiscovery") >= 1
    dev_calls = [c for c, _ in _calls(device, DEVICE)]
    assert dev_calls.index("Connect") < dev_calls.index("Pair")
    assert bool(device_prop(device, "Paired")) and bool(device_prop(device, "Trusted"))
    doc = json.loads(out)
    assert doc["attempt"]["via"] == "bleak" and doc["attempt"]["stack_result"] == "success"
    assert doc["attempt"]["params"]["io"] == "DisplayYesNo" and doc["attempt"]["bond"] is None


def test_dbus_error_maps_to_findings(device: object, tmp_path: Path) -> None:
    _mock(device, DEVICE).AddMethod(  # type: ignore[attr-defined]
        "org.bluez.Device1",
        "Pair",
        "",
        "",
        'raise dbus.exceptions.DBusException("Authentication Failed", '
        'name="org.bluez.Error.AuthenticationFailed")',
    )
    rc, out, err = _pair(tmp_path, "--json")
    assert rc == 1, out + err
    doc = json.loads(out)
    assert doc["result"] == "org.bluez.Error.AuthenticationFailed"
    findings = {c["finding"] for c in doc["possible_causes"]}
    assert {"pairing-mode-inactive", "mitm-unsatisfiable", "bond-lost"} <= findings
    assert "Authentication Failed" in err  # BlueZ's own words are passed on


def test_old_bluez_pairs_with_device1_pair(
    device: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bleak.backends.bluezdbus.version import BlueZFeatures

    monkeypatch.setattr(BlueZFeatures, "checked_bluez_version", True)
    monkeypatch.setattr(BlueZFeatures, "supported_version", False)
    rc, out, err = _pair(tmp_path, "--io", "NoInputNoOutput", "--json")
    assert rc == 0, out + err
    assert "older than bleak supports" in err
    assert json.loads(out)["attempt"]["via"] == "Device1.Pair"
    dev_calls = [c for c, _ in _calls(device, DEVICE)]
    assert "Pair" in dev_calls and "Connect" not in dev_calls
    assert bool(device_prop(device, "Paired"))


def test_a_silent_device_is_an_environment_error(device: object, tmp_path: Path) -> None:
    # nothing advertises, so the scan lasts its whole timeout: one second, not three
    rc, _out, err = _pair(tmp_path, advertise=False, scan_timeout="1")
    assert rc == 2
    assert "not seen advertising" in err and "pairing mode" in err
    assert "Pair" not in [c for c, _ in _calls(device, DEVICE)]


def _bond(tmp_path: Path) -> Path:
    """BlueZ's storage for a bonded device: /var/lib/bluetooth/ADAPTER/DEVICE/info."""
    d = tmp_path / "var-lib-bluetooth" / ADAPTER_ADDRESS / ADDRESS
    d.mkdir(parents=True)
    (d / "info").write_text("[General]\nName=Omron BPM\n\n[LongTermKey]\nKey=00112233\n")
    (d / "attributes").write_text("[0x0001]\nUUID=00002800-0000-1000-8000-00805f9b34fb\n")
    return d


def _mark_paired(bus: object) -> None:
    dbus.Interface(bus.get_object("org.bluez", "/org/bluez"), "org.bluez.Mock").PairDevice(  # type: ignore[attr-defined]
        "hci0", ADDRESS
    )
    _mock(bus, "/org/bluez/hci0").ClearCalls()  # type: ignore[attr-defined]


def test_an_existing_bond_is_kept_without_forget_bond(device: object, tmp_path: Path) -> None:
    stored = _bond(tmp_path)
    _mark_paired(device)
    rc, _out, err = _pair(tmp_path)
    assert rc == 2
    assert "already has a bond" in err and "--forget-bond" in err
    assert bool(device_prop(device, "Paired"))
    assert "RemoveDevice" not in [c for c, _ in _calls(device, "/org/bluez/hci0")]
    assert (stored / "info").read_text().endswith("Key=00112233\n")
    assert not (tmp_path / "state").exists()


def test_forget_bond_saves_then_removes_then_pairs(device: object, tmp_path: Path) -> None:
    stored = _bond(tmp_path)
    original = (stored / "info").read_bytes()
    _mark_paired(device)
    rc, out, err = _pair(tmp_path, "--forget-bond", "--json")
    assert rc == 0, out + err
    doc = json.loads(out)
    backup = Path(doc["attempt"]["bond"]["backup"])
    assert backup.parent == tmp_path / "state" / "bonds"
    assert (backup / "device" / "info").read_bytes() == original
    assert (backup / "device" / "info").stat().st_mode & 0o077 == 0  # keys: owner only
    assert f"saved to {backup}" in err and "restore-bond" in err
    assert ("RemoveDevice", [DEVICE]) in _calls(device, "/org/bluez/hci0")
    assert bool(device_prop(device, "Paired"))  # found again by scanning, and paired afresh

    # ... and it can be put back where BlueZ keeps it
    shutil.rmtree(stored)
    r = CliRunner().invoke(main, ["restore-bond", str(backup)])
    assert r.exit_code == 0, r.output
    assert (stored / "info").read_bytes() == original
    assert "restart" in r.stdout


def test_forget_bond_refuses_when_the_bond_cannot_be_saved(device: object, tmp_path: Path) -> None:
    _mark_paired(device)  # paired, but nothing readable in BlueZ's storage
    rc, _out, err = _pair(tmp_path, "--forget-bond")
    assert rc == 2
    assert "cannot save the bond" in err and "nothing was removed" in err
    assert "RemoveDevice" not in [c for c, _ in _calls(device, "/org/bluez/hci0")]
    assert device_exists(device) and bool(device_prop(device, "Paired"))


@pytest.mark.parametrize(
    "args",
    [
        ["--mitm"],
        ["--legacy"],
        ["--no-bond"],
        ["--key-size", "10"],
        ["--init-keys", "EncKey"],
        ["--sim", "omron-bpm"],
        ["--keystore", "k.json"],
    ],
)
def test_inexpressible_parameters_are_refused(
    device: object, tmp_path: Path, args: list[str]
) -> None:
    rc, _out, err = _pair(tmp_path, *args, advertise=False)
    assert rc == 2
    assert "cannot express" in err or "belong to the bumble backend" in err
    assert _calls(device, DEVICE) == []


def test_agent_tells_the_user_what_to_do() -> None:
    from bpdiag.live.bluez_backend import Agent

    told: list[str] = []
    agent = Agent(None, told.append)
    agent.DisplayPasskey("/org/bluez/hci0/dev_X", 42, 0)
    agent.DisplayPasskey("/org/bluez/hci0/dev_X", 42, 1)  # a keypress: not told again
    agent.RequestConfirmation("/org/bluez/hci0/dev_X", 123456)
    with pytest.raises(Exception, match="no --passkey given"):
        agent.RequestPasskey("/org/bluez/hci0/dev_X")
    assert told[0] == "type 000042 on the device now (BlueZ displays this passkey)"
    assert "123456" in told[1] and "--passkey" in told[2] and len(told) == 3
