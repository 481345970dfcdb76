"""BR/EDR (classic) pairing between two Bumble devices on a virtual link, each side's HCI
written as a btsnoop by ``bumble.snoop.BtSnooper``: real Secure Simple Pairing traffic (the
virtual controllers run the LMP exchange), for the tests of the BR/EDR decoders and rule.

With ``reuse_key`` the initiator's controller then asks again for the link key (a Link Key
Request event, as a controller does when the bond is reused: Bumble's virtual controller
never sends one itself, so it is handed to the host as if the controller had), and
Bumble's host answers with a Link Key Request Reply holding the key its key store kept
from the pairing."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

from bumble.controller import Controller
from bumble.core import PhysicalTransport
from bumble.device import Device
from bumble.hci import Address, HCI_Link_Key_Request_Event
from bumble.host import Host
from bumble.keys import MemoryKeyStore
from bumble.link import LocalLink
from bumble.pairing import PairingConfig, PairingDelegate
from bumble.snoop import BtSnooper
from bumble.transport.common import AsyncPipeSink

INITIATOR = "F0:F1:F2:F3:F4:F5"
RESPONDER = "F0:F1:F2:F3:F4:F6"


class _Delegate(PairingDelegate):
    """Display Yes/No, answering the numeric comparison with ``accept``."""

    def __init__(self, accept: bool) -> None:
        super().__init__(io_capability=PairingDelegate.IoCapability.DISPLAY_OUTPUT_AND_YES_NO_INPUT)
        self.accept = accept

    async def compare_numbers(self, number: int, digits: int = 6) -> bool:
        return self.accept

    async def confirm(self, auto: bool = False) -> bool:
        return self.accept


async def _pair(initiator_log: Path, responder_log: Path, accept: bool, reuse_key: bool) -> bool:
    link = LocalLink()
    devices = []
    files = []
    for name, addr, ok in (("i", INITIATOR, True), ("r", RESPONDER, accept)):
        ctrl = Controller(name, link=link, public_address=addr)
        dev = Device(address=Address(addr), host=Host(ctrl, AsyncPipeSink(ctrl)))
        dev.classic_enabled = True
        dev.keystore = MemoryKeyStore()
        dev.pairing_config_factory = lambda _c, ok=ok: PairingConfig(
            sc=True, mitm=True, bonding=True, delegate=_Delegate(ok)
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
        for _ in range(20):
            await asyncio.sleep(0.01)  # let the last events reach both snoopers
        if reuse_key:
            ask = HCI_Link_Key_Request_Event(bd_addr=Address(RESPONDER))
            devices[0].host.on_packet(bytes(ask))
            for _ in range(20):
                await asyncio.sleep(0.01)  # the reply, its Command Complete
        return paired
    finally:
        for f in files:
            with contextlib.suppress(OSError):
                f.close()


def classic_pairing(folder: Path, accept: bool, reuse_key: bool = False) -> tuple[Path, Path, bool]:
    """Pair ``INITIATOR`` with ``RESPONDER`` over BR/EDR; the responder's user answers the
    numeric comparison with ``accept`` (and, with ``reuse_key``, the initiator's host gives
    the link key back to its controller).  Returns the two sides' btsnoop logs and whether
    the initiator's authentication succeeded."""
    tag = ("ok" if accept else "rejected") + ("_reused" if reuse_key else "")
    i_log, r_log = (
        folder / f"bredr_{tag}_initiator.btsnoop",
        folder / f"bredr_{tag}_responder.btsnoop",
    )
    paired = asyncio.run(_pair(i_log, r_log, accept, reuse_key))
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
