"""The bluez backend against python-dbusmock's BlueZ template on a private system bus: the
agent is registered with the chosen capability, Device1.Pair is called, D-Bus errors map to
the findings that can explain them, and parameters BlueZ cannot express are refused."""

from __future__ import annotations

import json
import shutil
import subprocess
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
DEVICE = "/org/bluez/hci0/dev_11_22_33_44_55_66"


@pytest.fixture(scope="module")
def bluez() -> Iterator[object]:
    from dbusmock import DBusTestCase

    DBusTestCase.start_system_bus()
    proc, obj = DBusTestCase.spawn_server_template("bluez5", {}, stdout=subprocess.DEVNULL)
    mock = dbus.Interface(obj, "org.bluez.Mock")
    mock.AddAdapter("hci0", "bpdiag-test")
    mock.AddDevice("hci0", ADDRESS, "Omron BPM")
    yield DBusTestCase.get_dbus(system_bus=True)
    proc.terminate()
    proc.wait()
    DBusTestCase.tearDownClass()


def _pair(tmp_path: Path, *args: str) -> tuple[int, str]:
    r = CliRunner().invoke(
        main,
        ["pair", ADDRESS, "--backend", "bluez", "--capture", str(tmp_path / "c.btsnoop"), *args],
    )
    return r.exit_code, r.output


def _calls(bus: object, path: str) -> list[tuple[str, list[object]]]:
    iface = dbus.Interface(bus.get_object("org.bluez", path), dbusmock.MOCK_IFACE)  # type: ignore[attr-defined]
    return [(str(c[1]), list(c[2])) for c in iface.GetCalls()]


def test_agent_capability_and_pair(bluez: object, tmp_path: Path) -> None:
    rc, out = _pair(tmp_path, "--io", "DisplayYesNo", "--json")
    assert rc == 0, out
    calls = _calls(bluez, "/org/bluez")
    assert ("RegisterAgent", ["/org/bpdiag/agent", "DisplayYesNo"]) in calls
    assert ("RequestDefaultAgent", ["/org/bpdiag/agent"]) in calls
    props = dbus.Interface(
        bluez.get_object("org.bluez", DEVICE),  # type: ignore[attr-defined]
        "org.freedesktop.DBus.Properties",
    )
    assert bool(props.Get("org.bluez.Device1", "Paired"))


def test_dbus_error_maps_to_findings(bluez: object, tmp_path: Path) -> None:
    dev = dbus.Interface(bluez.get_object("org.bluez", DEVICE), dbusmock.MOCK_IFACE)  # type: ignore[attr-defined]
    dev.AddMethod(
        "org.bluez.Device1",
        "Pair",
        "",
        "",
        'raise dbus.exceptions.DBusException("Authentication Failed", '
        'name="org.bluez.Error.AuthenticationFailed")',
    )
    rc, out = _pair(tmp_path, "--json")
    assert rc == 1
    doc = json.loads(out[out.index("{") :])
    assert doc["result"] == "org.bluez.Error.AuthenticationFailed"
    findings = {c["finding"] for c in doc["possible_causes"]}
    assert {"pairing-mode-inactive", "mitm-unsatisfiable", "bond-lost"} <= findings


@pytest.mark.parametrize(
    "args", [["--mitm"], ["--legacy"], ["--no-bond"], ["--key-size", "10"], ["--sim", "omron-bpm"]]
)
def test_inexpressible_parameters_are_refused(
    bluez: object, tmp_path: Path, args: list[str]
) -> None:
    rc, out = _pair(tmp_path, *args)
    assert rc == 2
    assert "cannot express" in out or "belong to the bumble backend" in out
