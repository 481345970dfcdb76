"""``bpdiag sim`` on a real transport: the simulated peripheral runs as a host over Bumble's
TCP transport to a virtual controller, and a separate Bumble central pairs with it over the
virtual link — the path a user's own central takes against `bpdiag sim … --transport usb:0`."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

pytest.importorskip("bumble")

from bumble import smp as bsmp
from bumble.controller import Controller
from bumble.core import ProtocolError
from bumble.device import Connection, Device
from bumble.hci import Address, HCI_Error
from bumble.host import Host
from bumble.keys import MemoryKeyStore
from bumble.link import LocalLink
from bumble.pairing import PairingConfig, PairingDelegate
from bumble.transport.common import AsyncPipeSink

from bpdiag.live.profiles import parse_profile
from bpdiag.live.sim_server import serve
from tests.live.virtual import tcp_controller


async def _central(link: LocalLink, address: str) -> Device:
    ctrl = Controller(address, link=link, public_address=address)
    central = Device(address=Address(address), host=Host(ctrl, AsyncPipeSink(ctrl)))
    central.keystore = MemoryKeyStore()
    central.pairing_config_factory = lambda _c: PairingConfig(
        sc=True,
        mitm=False,
        bonding=True,
        delegate=PairingDelegate(PairingDelegate.NO_OUTPUT_NO_INPUT),
    )
    await central.power_on()
    return central


async def _connect(central: Device, task: asyncio.Task[None]) -> Connection:
    for _ in range(100):  # wait until the simulated peripheral advertises
        await asyncio.sleep(0.05)
        if task.done():
            task.result()
        try:
            return await central.connect(Address("F0:0D:00:00:00:02"), timeout=1.0)
        except Exception:
            continue
    raise AssertionError("the simulated peripheral never became connectable")


async def _serving(profile: str) -> tuple[LocalLink, asyncio.Task[None], asyncio.Event, Any]:
    link = LocalLink()
    server, spec = await tcp_controller("sim-ctrl", link, "F0:0D:00:00:00:02")
    stop = asyncio.Event()
    task = asyncio.create_task(serve(parse_profile(profile), spec, "F0:0D:00:00:00:02", stop))
    return link, task, stop, server


async def _attempt(profile: str) -> str:
    link, task, stop, server = await _serving(profile)
    try:
        conn = await _connect(await _central(link, "C0:FF:EE:00:00:01"), task)
        try:
            await asyncio.wait_for(conn.pair(), 10)
            return "success"
        except ProtocolError as exc:
            return str(exc.error_name)
    finally:
        stop.set()
        await asyncio.wait_for(task, 5)
        await server.close()


async def _second_host_then_first(profile: str) -> str:
    """Host A pairs, then host B pairs, then A comes back and encrypts with its bond."""
    link, task, stop, server = await _serving(profile)
    try:
        a = await _central(link, "C0:FF:EE:00:00:01")
        b = await _central(link, "C0:FF:EE:00:00:03")
        for host in (a, b):
            conn = await _connect(host, task)
            await asyncio.wait_for(conn.pair(), 10)
            await conn.disconnect()
            await asyncio.sleep(0.1)
            # Bumble files keys under the peer's identity address; the simulated peripheral
            # reconnects from the same bytes as a random address.
            assert host.keystore is not None
            for _name, keys in await host.keystore.get_all():
                await host.keystore.update("F0:0D:00:00:00:02", keys)
        conn = await _connect(a, task)
        try:
            await asyncio.wait_for(conn.encrypt(), 10)
            return "success"
        except (ProtocolError, HCI_Error) as exc:
            return str(exc.error_name)
    finally:
        stop.set()
        await asyncio.wait_for(task, 5)
        await server.close()


def test_omron_not_in_pairing_mode_over_tcp() -> None:
    assert asyncio.run(_attempt("omron-bpm:pairing-mode=off")) == (
        bsmp.ErrorCode.UNSPECIFIED_REASON.name
    )


def test_generic_pairs_over_tcp() -> None:
    assert asyncio.run(_attempt("generic")) == "success"


def test_omron_keeps_one_bond() -> None:
    """The monitor remembers only the last host it paired with: the first host's bond is
    gone (PIN or Key Missing), while a generic peripheral keeps both."""
    assert asyncio.run(_second_host_then_first("generic")) == "success"
    assert asyncio.run(_second_host_then_first("omron-bpm:pairing-mode=on")) == (
        "PIN_OR_KEY_MISSING_ERROR"
    )
