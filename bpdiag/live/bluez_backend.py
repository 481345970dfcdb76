"""The BlueZ backend: pairs through bluetoothd's D-Bus API with an ``org.bluez.Agent1`` of
the chosen IO capability (BlueZ doc/agent-api.txt, doc/device-api.txt), using dbus-fast, and
records with ``btmon -w`` when it may.

BlueZ decides the rest of the Pairing Request itself: MITM follows the agent's capability and
the security level, Secure Connections is an adapter setting (``btmgmt sc``), bonding is
always requested by ``Device1.Pair`` and the key size is the kernel's 16.  Parameters BlueZ
cannot express for one attempt are refused with a clear message, never silently ignored.
"""

import asyncio
import contextlib
import shutil
import subprocess
from pathlib import Path

from dbus_fast import BusType, DBusError
from dbus_fast.aio import MessageBus
from dbus_fast.service import ServiceInterface, method

from bpdiag.live.base import LiveError, PairingBackend, PairParams, Reason

AGENT_PATH = "/org/bpdiag/agent"


class Agent(ServiceInterface):
    """org.bluez.Agent1 answering with the attempt's passkey and accepting confirmations."""

    def __init__(self, passkey: int | None) -> None:
        super().__init__("org.bluez.Agent1")
        self.passkey = passkey
        self.calls: list[str] = []

    @method()
    def Release(self):  # type: ignore[no-untyped-def]
        self.calls.append("Release")

    @method()
    def RequestPasskey(self, device: "o") -> "u":  # type: ignore[name-defined]  # noqa: F821
        self.calls.append("RequestPasskey")
        if self.passkey is None:
            raise DBusError("org.bluez.Error.Rejected", "no --passkey given")
        return self.passkey

    @method()
    def DisplayPasskey(self, device: "o", passkey: "u", entered: "q"):  # type: ignore[name-defined]  # noqa: F821
        self.calls.append(f"DisplayPasskey {passkey:06d}")

    @method()
    def RequestConfirmation(self, device: "o", passkey: "u"):  # type: ignore[name-defined]  # noqa: F821
        self.calls.append(f"RequestConfirmation {passkey:06d}")

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
    def __init__(self, adapter: str = "hci0", record: bool = True) -> None:
        self.adapter = adapter
        self.record = record
        self.agent: Agent | None = None

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
        if problems:
            raise LiveError(
                "the bluez backend cannot express " + "; ".join(problems), Reason.UNSUPPORTED
            )

    async def attempt(self, target: str, params: PairParams, capture: Path) -> str:
        self.refuse_inexpressible(params, PairParams())
        btmon = None
        if self.record and shutil.which("btmon"):
            btmon = subprocess.Popen(
                ["btmon", "-w", str(capture)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            await asyncio.sleep(0.3)
        try:
            return await self._pair(target, params)
        finally:
            if btmon is not None:
                btmon.terminate()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    btmon.wait(timeout=5)

    async def _pair(self, target: str, params: PairParams) -> str:
        try:
            bus = await MessageBus(bus_type=BusType.SYSTEM).connect()
        except (OSError, DBusError) as exc:
            raise LiveError(f"cannot reach the system D-Bus: {exc}", Reason.ENVIRONMENT) from exc
        try:
            self.agent = Agent(params.passkey)
            bus.export(AGENT_PATH, self.agent)
            root = bus.get_proxy_object(
                "org.bluez", "/org/bluez", await bus.introspect("org.bluez", "/org/bluez")
            )
            manager = root.get_interface("org.bluez.AgentManager1")
            await manager.call_register_agent(AGENT_PATH, params.io)  # type: ignore[attr-defined]
            await manager.call_request_default_agent(AGENT_PATH)  # type: ignore[attr-defined]
            path = device_path(self.adapter, target)
            try:
                node = await bus.introspect("org.bluez", path)
            except DBusError as exc:
                raise LiveError(
                    f"BlueZ does not know {target} on {self.adapter} (scan for it "
                    "first: bluetoothctl scan le)",
                    Reason.ENVIRONMENT,
                ) from exc
            device = bus.get_proxy_object("org.bluez", path, node).get_interface(
                "org.bluez.Device1"
            )
            try:
                await device.call_pair()  # type: ignore[attr-defined]
            except DBusError as exc:
                return exc.type
            return "success"
        except DBusError as exc:
            raise LiveError(f"BlueZ refused: {exc.type}: {exc.text}", Reason.ENVIRONMENT) from exc
        finally:
            with contextlib.suppress(Exception):
                root = bus.get_proxy_object(
                    "org.bluez", "/org/bluez", await bus.introspect("org.bluez", "/org/bluez")
                )
                await root.get_interface("org.bluez.AgentManager1").call_unregister_agent(  # type: ignore[attr-defined]
                    AGENT_PATH
                )
            bus.disconnect()
