"""Two Bumble devices on an in-process virtual link, with the central's HCI recorded.

This is the real SMP stack of Bumble (``bumble.smp``) on both sides, each with its own
virtual controller (``bumble.controller.Controller``) joined by a ``LocalLink``; the
central's host traffic is written by ``bumble.snoop.BtSnooper`` as a btsnoop (H4) file —
the same view an Android HCI snoop log or ``btmon -w`` gives of a phone or a Raspberry Pi.

Peripherals refuse the way real devices do through ``bumble.smp.Session`` subclasses
(``RefusingSession`` and friends); nothing is faked below the SMP layer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bumble import smp as bsmp
from bumble.controller import Connection as ControllerConnection
from bumble.controller import Controller
from bumble.core import ProtocolError
from bumble.device import Connection, Device
from bumble.hci import Address, HCI_Disconnect_Command, HCI_ErrorCode
from bumble.host import Host
from bumble.keys import MemoryKeyStore
from bumble.link import LocalLink
from bumble.pairing import PairingConfig, PairingDelegate
from bumble.snoop import BtSnooper
from bumble.transport.common import AsyncPipeSink

from bpdiag.live.base import PairParams

CENTRAL_ADDRESS = "C0:FF:EE:00:00:01"
PERIPHERAL_ADDRESS = "F0:0D:00:00:00:02"

IO = PairingDelegate.IoCapability
IO_BY_NAME = {
    "DisplayOnly": IO.DISPLAY_OUTPUT_ONLY,
    "DisplayYesNo": IO.DISPLAY_OUTPUT_AND_YES_NO_INPUT,
    "KeyboardOnly": IO.KEYBOARD_INPUT_ONLY,
    "NoInputNoOutput": IO.NO_OUTPUT_NO_INPUT,
    "KeyboardDisplay": IO.DISPLAY_OUTPUT_AND_KEYBOARD_INPUT,
}

logging.getLogger("bumble").setLevel(logging.CRITICAL)


@dataclass(frozen=True, slots=True)
class Side(PairParams):
    """One simulated side: what it offers (``PairParams``: ``passkey`` is what its user types,
    None: the one it displays), the passkey it displays (``shown``), how its user answers,
    and the SMP session class it runs."""

    io: str = "NoInputNoOutput"
    shown: int = 123456
    accept: bool = True
    reject_numbers: bool = False
    session: type[bsmp.Session] = bsmp.Session

    def config(self) -> PairingConfig:
        return PairingConfig(
            sc=self.sc, mitm=self.mitm, bonding=self.bond, delegate=FixedDelegate(self)
        )

    def give_to(self, device: Device) -> None:
        """Make ``device`` pair as this side."""
        device.pairing_config_factory = lambda _conn: self.config()
        device.smp_session_proxy = self.session


class FixedDelegate(PairingDelegate):
    """The pairing delegate of a ``Side``: its IO capability, key size and key distribution;
    it displays ``shown``, types ``passkey`` and confirms a numeric comparison unless
    ``reject_numbers``."""

    def __init__(self, side: Side) -> None:
        default = PairingDelegate.DEFAULT_KEY_DISTRIBUTION
        keys = PairingDelegate.KeyDistribution
        init, resp = side.init_keys, side.resp_keys
        super().__init__(
            io_capability=IO_BY_NAME[side.io],
            local_initiator_key_distribution=default if init is None else keys(init),
            local_responder_key_distribution=default if resp is None else keys(resp),
            maximum_encryption_key_size=side.key_size,
        )
        self.side = side

    async def accept(self) -> bool:
        return self.side.accept

    async def generate_passkey(self) -> int:
        return self.side.shown

    async def get_number(self) -> int | None:
        return self.side.shown if self.side.passkey is None else self.side.passkey

    async def compare_numbers(self, number: int, digits: int) -> bool:
        return not self.side.reject_numbers

    async def confirm(self, auto: bool = False) -> bool:
        return True


# ------------------------------------------------------------------ refusing peripherals
def refusing_session(reason: bsmp.ErrorCode) -> type[bsmp.Session]:
    """A responder that answers every Pairing Request with Pairing Failed ``reason`` — what a
    device outside its pairing window does (Omron monitors: 0x08)."""

    class RefusingSession(bsmp.Session):
        def on_smp_pairing_request_command(self, command: bsmp.SMP_Pairing_Request_Command) -> None:
            self.send_pairing_failed(reason)

    RefusingSession.__name__ = f"Refusing{reason.name.title().replace('_', '')}Session"
    return RefusingSession


class RequireMitmSession(bsmp.Session):
    """A responder that needs MITM protection: it refuses (0x03) a Pairing Request that asks
    for no MITM or comes from a NoInputNoOutput initiator, as Zephyr does with
    CONFIG_BT_SMP_ENFORCE_MITM."""

    def on_smp_pairing_request_command(self, command: bsmp.SMP_Pairing_Request_Command) -> None:
        if not command.auth_req & bsmp.AuthReq.MITM or (
            command.io_capability == bsmp.SMP_NO_INPUT_NO_OUTPUT_IO_CAPABILITY
        ):
            self.send_pairing_failed(bsmp.ErrorCode.AUTHENTICATION_REQUIREMENTS)
            return
        super().on_smp_pairing_request_command(command)


class ScOnlySession(bsmp.Session):
    """A responder in Secure Connections Only mode: legacy requests get 0x03."""

    def on_smp_pairing_request_command(self, command: bsmp.SMP_Pairing_Request_Command) -> None:
        if not command.auth_req & bsmp.AuthReq.SC:
            self.send_pairing_failed(bsmp.ErrorCode.AUTHENTICATION_REQUIREMENTS)
            return
        super().on_smp_pairing_request_command(command)


class HighSecurityInitiator(bsmp.Session):
    """An initiator at BlueZ's BT_SECURITY_HIGH (`gatttool --sec-level=high`).

    Once the Pairing Response fixes the method, BlueZ's smp_cmd_pairing_rsp refuses Just
    Works with Authentication Requirements (0x03) before sending any Pairing Confirm or
    Public Key.  Bumble by itself would carry on with unauthenticated Just Works.
    """

    def _refuses_just_works(self) -> bool:
        if (
            self.is_initiator
            and self.pairing_config.mitm
            and self.pairing_method == bsmp.PairingMethod.JUST_WORKS
        ):
            self.send_pairing_failed(bsmp.ErrorCode.AUTHENTICATION_REQUIREMENTS)
            return True
        return False

    def send_pairing_confirm_command(self) -> None:  # legacy: the initiator's first step
        if not self._refuses_just_works():
            super().send_pairing_confirm_command()

    def send_public_key_command(self) -> None:  # LE Secure Connections: the first step
        if not self._refuses_just_works():
            super().send_public_key_command()


class FaithfulController(Controller):
    """Bumble's virtual controller, reporting to its host what a real one would where the
    two differ in a central's snoop log.

    * Data Length Extension (Vol 6, Part B, 4.5.10): LE Read Buffer Size says 251 octets,
      so the host sends every SMP PDU whole, as the controller delivers received ones.
    * After the host's own Disconnect, Disconnection Complete carries Connection Terminated
      By Local Host (0x16, Vol 4, Part E, 7.1.6), not the reason sent to the peer (0x13).
    """

    le_acl_data_packet_length = 251
    _disconnecting = False

    def on_hci_disconnect_command(self, command: HCI_Disconnect_Command) -> None:
        self._disconnecting = True
        try:
            super().on_hci_disconnect_command(command)
        finally:
            self._disconnecting = False

    def on_le_disconnected(self, connection: ControllerConnection, reason: int) -> None:
        if self._disconnecting:
            reason = HCI_ErrorCode.CONNECTION_TERMINATED_BY_LOCAL_HOST_ERROR
        super().on_le_disconnected(connection, reason)


class SpecNumericComparisonSession(bsmp.Session):
    """Bumble answers a rejected numeric comparison with Confirm Value Failed (0x04); the
    spec's reason is Numeric Comparison Failed (0x0C, Vol 3, Part H, 3.5.5), which phones
    send.  This session sends the spec's reason."""

    def prompt_user_for_numeric_comparison(self, code: int, next_steps: Callable[[], None]) -> None:
        async def prompt() -> None:
            if await self.pairing_config.delegate.compare_numbers(code, digits=6):
                next_steps()
                return
            self.send_pairing_failed(bsmp.ErrorCode.NUMERIC_COMPARISON_FAILED)

        self.connection.cancel_on_disconnection(prompt())


class CorruptDhKeyCheckSession(bsmp.Session):
    """A responder whose DHKey Check value is wrong (a faulty stack): the initiator answers
    DHKey Check Failed (0x0B)."""

    def send_pairing_dhkey_check_command(self) -> None:
        value = self.ea if self.is_initiator else self.eb
        self.send_command(
            bsmp.SMP_Pairing_DHKey_Check_Command(dhkey_check=bytes(b ^ 0xFF for b in value))
        )


class SilentSession(bsmp.Session):
    """A responder that never answers the Pairing Request (its firmware hangs)."""

    def on_smp_pairing_request_command(self, command: bsmp.SMP_Pairing_Request_Command) -> None:
        return


class BackoffSession(bsmp.Session):
    """A responder that enforces the Repeated Attempts back-off (Vol 3, Part H, 2.3.6):
    after a failed pairing with a peer, a new Pairing Request within ``window`` seconds gets
    0x09."""

    window = 60.0
    failed_at: dict[str, float] = {}

    def on_smp_pairing_request_command(self, command: bsmp.SMP_Pairing_Request_Command) -> None:
        peer = str(self.connection.peer_address)
        loop = asyncio.get_running_loop()
        t = self.failed_at.get(peer)
        if t is not None and loop.time() - t < self.window:
            self.send_pairing_failed(bsmp.ErrorCode.REPEATED_ATTEMPTS)
            return
        super().on_smp_pairing_request_command(command)

    def on_pairing_failure(self, reason: bsmp.ErrorCode) -> None:
        self.failed_at[str(self.connection.peer_address)] = asyncio.get_running_loop().time()
        super().on_pairing_failure(reason)


# ------------------------------------------------------------------ the virtual link
@dataclass
class SimLink:
    """A central and a peripheral on one ``LocalLink``; the central's HCI is snooped."""

    central: Device
    peripheral: Device
    snoop_file: Any
    connections: dict[str, Connection] = field(default_factory=dict)

    @classmethod
    async def create(cls, snoop_path: Path, central: Side, peripheral: Side) -> SimLink:
        link = LocalLink()
        c_ctrl = FaithfulController("central", link=link, public_address=CENTRAL_ADDRESS)
        p_ctrl = FaithfulController("peripheral", link=link, public_address=PERIPHERAL_ADDRESS)
        c_dev = Device(address=Address(CENTRAL_ADDRESS), host=Host(c_ctrl, AsyncPipeSink(c_ctrl)))
        p_dev = Device(
            address=Address(PERIPHERAL_ADDRESS), host=Host(p_ctrl, AsyncPipeSink(p_ctrl))
        )
        f = snoop_path.open("wb")
        c_dev.host.snooper = BtSnooper(f)
        for dev, side in ((c_dev, central), (p_dev, peripheral)):
            dev.keystore = MemoryKeyStore()
            side.give_to(dev)
        await c_dev.power_on()
        await p_dev.power_on()
        return cls(c_dev, p_dev, f)

    def configure(self, central: Side | None = None, peripheral: Side | None = None) -> None:
        for dev, side in ((self.central, central), (self.peripheral, peripheral)):
            if side is not None:
                side.give_to(dev)

    async def connect(self) -> tuple[Connection, Connection]:
        loop = asyncio.get_running_loop()
        p_conn: asyncio.Future[Connection] = loop.create_future()
        self.peripheral.once(self.peripheral.EVENT_CONNECTION, p_conn.set_result)
        await self.peripheral.start_advertising(advertising_interval_min=20.0)
        c = await self.central.connect(self.peripheral.random_address)
        p = await p_conn
        await self.peripheral.stop_advertising()
        self.connections = {"central": c, "peripheral": p}
        return c, p

    async def disconnect(self) -> None:
        c = self.connections.get("central")
        if c is not None:
            with contextlib.suppress(Exception):
                await c.disconnect()
        await settle()

    async def remember_bond_by_address(self) -> None:
        """File each side's keys under the address its peer connects from too, so a
        reconnect finds them without address resolution (Bumble keys its store by identity
        address; the virtual devices reuse their identity bytes as their random address)."""
        for dev, peer in ((self.central, self.peripheral), (self.peripheral, self.central)):
            store = dev.keystore
            if store is None:
                continue
            for _name, keys in await store.get_all():
                await store.update(str(peer.random_address), keys)

    def forget_sessions(self) -> None:
        """Drop finished SMP sessions so a new pairing on the same link starts afresh."""
        for dev in (self.central, self.peripheral):
            dev.smp_manager.sessions.clear()

    def close(self) -> None:
        self.snoop_file.close()


async def settle(rounds: int = 20) -> None:
    """Let the event loop deliver what the virtual link has in flight."""
    for _ in range(rounds):
        await asyncio.sleep(0.005)


async def pair(conn: Connection) -> str:
    """Pair as the central; returns "success" or the SMP error name."""
    try:
        await asyncio.wait_for(conn.pair(), timeout=10)
    except ProtocolError as exc:
        return str(exc.error_name or exc)
    except TimeoutError:
        return "timeout"
    await settle()
    return "success"


async def encrypt(conn: Connection) -> str:
    """Encrypt with the stored key as the central; returns "success" or the error."""
    try:
        await asyncio.wait_for(conn.encrypt(), timeout=10)
    except ProtocolError as exc:
        return str(exc.error_name or exc)
    except asyncio.CancelledError:
        # Bumble cancels the wait when the link drops (e.g. a MIC failure).
        return "disconnected"
    except TimeoutError:
        return "timeout"
    await settle()
    return "success"
