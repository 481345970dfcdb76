"""BR/EDR (classic) pairing between two Bumble devices on a virtual link, each side's HCI
written as a btsnoop by ``bumble.snoop.BtSnooper``: real Secure Simple Pairing traffic (the
virtual controllers run the LMP exchange), for the tests of the BR/EDR decoders and rule.

With ``reuse_key`` the initiator's controller then asks again for the link key (a Link Key
Request event, as a controller does when the bond is reused: Bumble's virtual controller
never sends one itself, so it is handed to the host as if the controller had), and
Bumble's host answers with a Link Key Request Reply holding the key its key store kept
from the pairing.

With ``passkey`` the pairing is Passkey Entry instead of numeric comparison: the initiator is
KeyboardOnly, the responder DisplayYesNo, so the responder's controller shows a passkey (User
Passkey Notification) and the initiator's asks for it (User Passkey Request); the
initiator's user types it (one Send Keypress Notification per key, which the responder's
controller reports as Keypress Notification events) and its host answers with User Passkey
Request Reply.  With ``pin`` the initiator's controller then asks for a PIN (a PIN Code
Request handed to the host, as for ``reuse_key``: Bumble's virtual controller has no legacy
pairing) and the host answers with a PIN Code Request Reply holding ``pin``.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

from bumble.controller import Controller
from bumble.core import PhysicalTransport
from bumble.device import Device
from bumble.hci import (
    Address,
    HCI_Link_Key_Request_Event,
    HCI_PIN_Code_Request_Event,
    HCI_Send_Keypress_Notification_Command,
)
from bumble.host import Host
from bumble.keys import MemoryKeyStore
from bumble.link import LocalLink
from bumble.pairing import PairingConfig, PairingDelegate
from bumble.snoop import BtSnooper
from bumble.transport.common import AsyncPipeSink

INITIATOR = "F0:F1:F2:F3:F4:F5"
RESPONDER = "F0:F1:F2:F3:F4:F6"
# Keypress Notification types (Vol 4, Part E, 7.1.37): entry started, digit entered, entry
# completed
_KEYPRESSES = (0, *([1] * 6), 4)


class _Delegate(PairingDelegate):
    """Display Yes/No, answering the numeric comparison with ``accept``; a passkey it
    shows is put in ``shown``, for the other side's user to type."""

    def __init__(self, accept: bool, shown: asyncio.Future[int] | None = None) -> None:
        super().__init__(io_capability=PairingDelegate.IoCapability.DISPLAY_OUTPUT_AND_YES_NO_INPUT)
        self.accept = accept
        self.shown = shown

    async def compare_numbers(self, number: int, digits: int = 6) -> bool:
        return self.accept

    async def confirm(self, auto: bool = False) -> bool:
        return self.accept

    async def display_number(self, number: int, digits: int = 6) -> None:
        if self.shown is not None and not self.shown.done():
            self.shown.set_result(number)


class _Keyboard(PairingDelegate):
    """Keyboard only: types the passkey the other side shows (``shown``), a keypress
    notification for each key, and gives ``pin`` when asked for a PIN."""

    def __init__(self, shown: asyncio.Future[int], pin: str | None) -> None:
        super().__init__(io_capability=PairingDelegate.IoCapability.KEYBOARD_INPUT_ONLY)
        self.shown = shown
        self.pin = pin
        self.host: Host | None = None

    async def get_number(self) -> int | None:
        number = await asyncio.wait_for(self.shown, 10)
        assert self.host is not None
        for kind in _KEYPRESSES:
            await self.host.send_command(
                HCI_Send_Keypress_Notification_Command(
                    bd_addr=Address(RESPONDER), notification_type=kind
                )
            )
        return number

    async def get_string(self, max_length: int) -> str | None:
        return self.pin


async def _settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0.01)  # let the last events reach both snoopers


async def _pair(
    initiator_log: Path,
    responder_log: Path,
    accept: bool,
    reuse_key: bool,
    passkey: bool,
    pin: str | None,
) -> bool:
    link = LocalLink()
    devices = []
    files = []
    shown: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    for name, addr, ok in (("i", INITIATOR, True), ("r", RESPONDER, accept)):
        ctrl = Controller(name, link=link, public_address=addr)
        dev = Device(address=Address(addr), host=Host(ctrl, AsyncPipeSink(ctrl)))
        dev.classic_enabled = True
        dev.keystore = MemoryKeyStore()
        delegate: PairingDelegate
        if name == "i" and (passkey or pin is not None):
            delegate = _Keyboard(shown, pin)
            delegate.host = dev.host
        else:
            delegate = _Delegate(ok, shown if passkey else None)
        dev.pairing_config_factory = lambda _c, d=delegate: PairingConfig(
            sc=True, mitm=True, bonding=True, delegate=d
        )
        f = (initiator_log if name == "i" else responder_log).open("wb")
        files.append(f)
        dev.host.snooper = BtSnooper(f)
        devices.append(dev)
    try:
        for dev in devices:
            await dev.power_on()
        await devices[1].set_discoverable(True)
        await devices[1].set_connectable(True)
        conn = await devices[0].connect(RESPONDER, transport=PhysicalTransport.BR_EDR)
        paired = True
        try:
            await asyncio.wait_for(conn.authenticate(), 10)
        except Exception:
            paired = False
        await _settle()
        if reuse_key:
            ask = HCI_Link_Key_Request_Event(bd_addr=Address(RESPONDER))
            devices[0].host.on_packet(bytes(ask))
            await _settle()  # the reply, its Command Complete
        if pin is not None:
            ask_pin = HCI_PIN_Code_Request_Event(bd_addr=Address(RESPONDER))
            devices[0].host.on_packet(bytes(ask_pin))
            await _settle()
        return paired
    finally:
        for f in files:
            with contextlib.suppress(OSError):
                f.close()


def classic_pairing(
    folder: Path,
    accept: bool,
    reuse_key: bool = False,
    passkey: bool = False,
    pin: str | None = None,
) -> tuple[Path, Path, bool]:
    """Pair ``INITIATOR`` with ``RESPONDER`` over BR/EDR; the responder's user answers the
    numeric comparison with ``accept`` (``reuse_key``, ``passkey``, ``pin``: see the
    module's docstring).  Returns the two sides' btsnoop logs and whether the initiator's
    authentication succeeded."""
    tag = ("ok" if accept else "rejected") + ("_reused" if reuse_key else "")
    tag += ("_passkey" if passkey else "") + ("_pin" if pin is not None else "")
    i_log, r_log = (
        folder / f"bredr_{tag}_initiator.btsnoop",
        folder / f"bredr_{tag}_responder.btsnoop",
    )
    paired = asyncio.run(_pair(i_log, r_log, accept, reuse_key, passkey, pin))
    return i_log, r_log, paired


def classic_logs(folder: Path) -> dict[str, Path]:
    """Both sides' logs of a pairing the responder accepts and of one it rejects, by name:
    ``ok_initiator``, ``ok_responder``, ``rejected_initiator``, ``rejected_responder``."""
    out = {}
    for accept in (True, False):
        i_log, r_log, paired = classic_pairing(folder, accept)
        assert paired is accept
        tag = "ok" if accept else "rejected"
        out[f"{tag}_initiator"], out[f"{tag}_responder"] = i_log, r_log
    return out
