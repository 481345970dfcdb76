"""The BlueZ backend: pairs through bluetoothd (BlueZ doc/agent-api.txt, doc/device-api.txt)
with an ``org.bluez.Agent1`` of the chosen IO capability registered with dbus-fast, connects
and pairs through bleak, and records with ``btmon -w`` when it may.

BlueZ decides the rest of the Pairing Request itself: MITM follows the agent's capability and
the security level, Secure Connections is an adapter setting (``btmgmt sc``), bonding is
always requested by ``Device1.Pair`` and the key size is the kernel's 16.  Parameters BlueZ
cannot express for one attempt are refused with a clear message, never silently ignored.

bleak supports BlueZ 5.55 and later; on an older BlueZ (Raspberry Pi OS Buster ships 5.50)
the backend says so and calls ``Device1.Pair`` itself (which connects first), which is what
bleak's ``pair()`` calls too.

A device BlueZ already has a bond with is never paired again (BlueZ would answer
``AlreadyExists``) unless ``--forget-bond``: then the bond is copied out of BlueZ's storage
(``bpdiag.live.bonds``), the device removed (``Adapter1.RemoveDevice``) and found again by
scanning.
"""

import asyncio
import contextlib
import shutil
import subprocess
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from dbus_fast import BusType, DBusError, Variant
from dbus_fast.aio import MessageBus
from dbus_fast.errors import InterfaceNotFoundError
from dbus_fast.service import ServiceInterface, method

from bpdiag.live.base import LiveError, PairingBackend, PairParams, Reason, not_advertising
from bpdiag.live.bonds import save_bluez_bond

AGENT_PATH = "/org/bpdiag/agent"
BLUEZ = "org.bluez"
DEVICE_IFACE = "org.bluez.Device1"
ADAPTER_IFACE = "org.bluez.Adapter1"


class Agent(ServiceInterface):
    """org.bluez.Agent1 answering with the attempt's passkey and accepting confirmations;
    ``tell`` hears what the user must do meanwhile (type a displayed passkey on the device)."""

    def __init__(self, passkey: int | None, tell: Callable[[str], None] | None = None) -> None:
        super().__init__("org.bluez.Agent1")
        self.passkey = passkey
        self.calls: list[str] = []
        self.tell = tell or (lambda _msg: None)

    @method()
    def Release(self):  # type: ignore[no-untyped-def]
        self.calls.append("Release")

    @method()
    def RequestPasskey(self, device: "o") -> "u":  # type: ignore[name-defined]  # noqa: F821
        self.calls.append("RequestPasskey")
        if self.passkey is None:
            self.tell(
                "the device asked for a passkey and none was given: run again with "
                "--passkey NNNNNN (the number the device displays)"
            )
            raise DBusError("org.bluez.Error.Rejected", "no --passkey given")
        return self.passkey

    @method()
    def DisplayPasskey(self, device: "o", passkey: "u", entered: "q"):  # type: ignore[name-defined]  # noqa: F821
        self.calls.append(f"DisplayPasskey {passkey:06d}")
        if entered == 0:
            self.tell(f"type {passkey:06d} on the device now (BlueZ displays this passkey)")

    @method()
    def RequestConfirmation(self, device: "o", passkey: "u"):  # type: ignore[name-defined]  # noqa: F821
        self.calls.append(f"RequestConfirmation {passkey:06d}")
        self.tell(f"numeric comparison: {passkey:06d}, confirmed here; confirm it on the device")

    @method()
    def RequestAuthorization(self, device: "o"):  # type: ignore[name-defined]  # noqa: F821
        self.calls.append("RequestAuthorization")

    @method()
    def AuthorizeService(self, device: "o", uuid: "s"):  # type: ignore[name-defined]  # noqa: F821
        self.calls.append("AuthorizeService")

    @method()
    def Cancel(self):  # type: ignore[no-untyped-def]
        self.calls.append("Cancel")


def device_path(adapter: str, address: str) -> str:
    return f"/org/bluez/{adapter}/dev_{address.upper().replace(':', '_')}"


class BluezBackend(PairingBackend):
    def __init__(
        self,
        adapter: str = "hci0",
        record: bool = True,
        *,
        forget_bond: bool = False,
        scan_timeout: float = 10.0,
    ) -> None:
        self.adapter = adapter
        self.record = record
        self.forget_bond = forget_bond
        self.scan_timeout = scan_timeout
        self.agent: Agent | None = None
        self.agent_io = ""
        self.via = ""  # "bleak" or "Device1.Pair" once an attempt ran

    @staticmethod
    def refuse_inexpressible(params: PairParams, defaults: PairParams) -> None:
        """BlueZ sets MITM, SC, bonding and key size itself: a request to change them for one
        attempt cannot be honoured, so it is refused (unless it asks for what BlueZ does)."""
        problems = []
        if params.mitm != defaults.mitm:
            problems.append(
                "--mitm (BlueZ derives MITM from the agent's IO capability; use "
                "--io KeyboardDisplay for MITM, NoInputNoOutput for none)"
            )
        if params.sc != defaults.sc:
            problems.append("--legacy (Secure Connections is adapter-wide: `btmgmt sc off`)")
        if not params.bond:
            problems.append("--no-bond (Device1.Pair always bonds)")
        if params.key_size != 16:
            problems.append("--key-size (the kernel always offers 16)")
        if params.init_keys is not None or params.resp_keys is not None:
            problems.append(
                "--init-keys/--resp-keys (the kernel chooses the key distribution itself)"
            )
        if problems:
            raise LiveError(
                "the bluez backend cannot express " + "; ".join(problems), Reason.UNSUPPORTED
            )

    async def attempt(self, target: str, params: PairParams, capture: Path) -> str:
        self.refuse_inexpressible(params, PairParams())
        try:
            bus = await MessageBus(bus_type=BusType.SYSTEM).connect()
        except (OSError, DBusError) as exc:
            raise LiveError(f"cannot reach the system D-Bus: {exc}", Reason.ENVIRONMENT) from exc
        registered = False
        try:
            objects = await self._managed_objects(bus)
            adapter_path = f"/org/bluez/{self.adapter}"
            adapter = objects.get(adapter_path, {}).get(ADAPTER_IFACE)
            if adapter is None:
                raise LiveError(
                    f"BlueZ has no adapter {self.adapter} (see `bluetoothctl list`)",
                    Reason.ENVIRONMENT,
                )
            self.agent = Agent(params.passkey, self._tell)
            self.agent_io = params.io
            bus.export(AGENT_PATH, self.agent)
            manager = await self._interface(bus, "/org/bluez", "org.bluez.AgentManager1")
            await manager.call_register_agent(AGENT_PATH, params.io)  # type: ignore[attr-defined]
            registered = True
            await manager.call_request_default_agent(AGENT_PATH)  # type: ignore[attr-defined]
            path = device_path(self.adapter, target)
            device = objects.get(path, {}).get(DEVICE_IFACE)
            await self._settle_bond(bus, adapter_path, adapter, path, device, target)
            with self._btmon(capture):
                if await self._bleak_usable():
                    self.via = "bleak"
                    return await self._pair_with_bleak(target)
                self.via = "Device1.Pair"
                return await self._pair_direct(bus, adapter_path, path, target)
        except DBusError as exc:
            raise LiveError(f"BlueZ refused: {exc.type}: {exc.text}", Reason.ENVIRONMENT) from exc
        finally:
            if registered:
                with contextlib.suppress(Exception):
                    manager = await self._interface(bus, "/org/bluez", "org.bluez.AgentManager1")
                    await manager.call_unregister_agent(AGENT_PATH)  # type: ignore[attr-defined]
            bus.disconnect()

    def _tell(self, message: str) -> None:
        self.notes.append(message)
        self.say(message)

    # ------------------------------------------------------------------ D-Bus helpers
    @staticmethod
    async def _interface(bus: MessageBus, path: str, iface: str) -> Any:
        node = await bus.introspect(BLUEZ, path)
        return bus.get_proxy_object(BLUEZ, path, node).get_interface(iface)

    async def _managed_objects(self, bus: MessageBus) -> dict[str, dict[str, dict[str, Any]]]:
        try:
            om = await self._interface(bus, "/", "org.freedesktop.DBus.ObjectManager")
            raw = await om.call_get_managed_objects()
        except DBusError as exc:
            raise LiveError(
                f"bluetoothd does not answer on D-Bus ({exc.type}): is it running? "
                "(systemctl status bluetooth)",
                Reason.ENVIRONMENT,
            ) from exc
        return {
            path: {
                iface: {k: v.value if isinstance(v, Variant) else v for k, v in props.items()}
                for iface, props in ifaces.items()
            }
            for path, ifaces in raw.items()
        }

    async def _settle_bond(
        self,
        bus: MessageBus,
        adapter_path: str,
        adapter: dict[str, Any],
        path: str,
        device: dict[str, Any] | None,
        target: str,
    ) -> None:
        """Keep, or save and remove, BlueZ's bond with the target before pairing."""
        if not self.must_forget(
            device is not None and bool(device.get("Paired")),
            f"BlueZ has no bond with {target}: nothing to forget",
            f"BlueZ already has a bond with {target} and would not pair again "
            "(org.bluez.Error.AlreadyExists). Give --forget-bond to save the bond and "
            "pair afresh, or remove it yourself (bluetoothctl remove "
            f"{target}) if you do not need it",
        ):
            return
        self.bond_backup = save_bluez_bond(str(adapter.get("Address", "")), target)
        adapter_iface = await self._interface(bus, adapter_path, ADAPTER_IFACE)
        await adapter_iface.call_remove_device(path)
        self.note_bond_saved(target, "BlueZ")

    @contextlib.contextmanager
    def _btmon(self, capture: Path) -> Any:
        btmon = None
        if self.record and shutil.which("btmon"):
            btmon = subprocess.Popen(
                ["btmon", "-w", str(capture)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            with contextlib.suppress(subprocess.TimeoutExpired):
                btmon.wait(timeout=0.3)
            if btmon.poll() is not None:
                self.notes.append(
                    "btmon could not record (it needs root or CAP_NET_RAW); "
                    "only BlueZ's answer is known"
                )
                btmon = None
        elif self.record:
            self.notes.append("btmon is not installed (Debian: bluez); nothing was recorded")
        try:
            yield
        finally:
            if btmon is not None:
                btmon.terminate()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    btmon.wait(timeout=5)

    # ------------------------------------------------------------------ the two paths
    async def _bleak_usable(self) -> bool:
        from bleak.backends.bluezdbus.version import BlueZFeatures

        if not BlueZFeatures.checked_bluez_version:
            await BlueZFeatures.check_bluez_version()
        if not BlueZFeatures.supported_version:
            self.notes.append(
                "this BlueZ is older than bleak supports (5.55): pairing with "
                "Device1.Pair directly, as bleak's pair() would"
            )
            return False
        return True

    async def _pair_with_bleak(self, target: str) -> str:
        from bleak import BleakClient, BleakScanner
        from bleak.exc import BleakError

        self.say(f"scanning for {target} on {self.adapter} (up to {self.scan_timeout:g} s)")
        try:
            found = await BleakScanner.find_device_by_address(
                target, timeout=self.scan_timeout, bluez={"adapter": self.adapter}
            )
        except BleakError as exc:
            raise LiveError(f"cannot scan on {self.adapter}: {exc}", Reason.ENVIRONMENT) from exc
        if found is None:
            raise not_advertising(target, self.scan_timeout, self.adapter)
        client = BleakClient(found, timeout=self.scan_timeout + 10)
        self.say(f"connecting to {target}")
        try:
            refused = await self._bleak_step(client.connect())
        except (BleakError, TimeoutError) as exc:
            raise LiveError(f"cannot connect to {target}: {exc}", Reason.ENVIRONMENT) from exc
        if refused is not None:
            return refused
        self.say(f"pairing with {target} (agent: {self.agent_io})")
        try:
            refused = await self._bleak_step(client.pair())
        finally:
            with contextlib.suppress(Exception):
                await client.disconnect()
        return "success" if refused is None else refused

    async def _bleak_step(self, step: Awaitable[object]) -> str | None:
        """Await one bleak call: the D-Bus error BlueZ answered it with (its details noted), or
        None when it went through."""
        from bleak.exc import BleakDBusError

        try:
            await step
        except BleakDBusError as exc:
            self._note_details(exc.dbus_error, exc.dbus_error_details)
            return exc.dbus_error
        return None

    def _note_details(self, error: str, details: str | None) -> None:
        if details:
            self.notes.append(f"BlueZ answered {error}: {details}")

    async def _pair_direct(self, bus: MessageBus, adapter_path: str, path: str, target: str) -> str:
        try:
            device = await self._interface(bus, path, DEVICE_IFACE)
        except (DBusError, InterfaceNotFoundError):
            device = await self._discover(bus, adapter_path, path, target)
        self.say(f"pairing with {target} (agent: {self.agent_io})")
        try:
            await device.call_pair()
        except DBusError as exc:
            self._note_details(exc.type, exc.text)
            return exc.type
        return "success"

    async def _discover(self, bus: MessageBus, adapter_path: str, path: str, target: str) -> Any:
        """Scan until BlueZ creates the device object (it was removed, or never seen)."""
        adapter = await self._interface(bus, adapter_path, ADAPTER_IFACE)
        self.say(f"scanning for {target} on {self.adapter} (up to {self.scan_timeout:g} s)")
        await adapter.call_start_discovery()
        try:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + self.scan_timeout
            while loop.time() < deadline:
                with contextlib.suppress(DBusError, InterfaceNotFoundError):
                    return await self._interface(bus, path, DEVICE_IFACE)
                await asyncio.sleep(0.2)
        finally:
            with contextlib.suppress(DBusError):
                await adapter.call_stop_discovery()
        raise not_advertising(target, self.scan_timeout, self.adapter)
