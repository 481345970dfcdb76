"""``bpdiag sim`` on a real transport: the simulated peripheral runs as a host over Bumble's
TCP transport to a virtual controller, and a separate Bumble central pairs with it over the
virtual link — the path a user's own central takes against `bpdiag sim … --transport usb:0`."""

from __future__ import annotations

import asyncio

import pytest

pytest.importorskip("bumble")

from bumble import smp as bsmp
from bumble.controller import Controller
from bumble.core import ProtocolError
from bumble.device import Device
from bumble.hci import Address
from bumble.host import Host
from bumble.keys import MemoryKeyStore
from bumble.link import LocalLink
from bumble.pairing import PairingConfig, PairingDelegate
from bumble.transport.common import AsyncPipeSink

from bpdiag.live.profiles import parse_profile
from bpdiag.live.sim_server import serve
from tests.live.virtual import tcp_controller


async def _attempt(profile: str) -> str:
    link = LocalLink()
    server, spec = await tcp_controller("sim-ctrl", link, "F0:0D:00:00:00:02")
    stop = asyncio.Event()
    task = asyncio.create_task(serve(parse_profile(profile), spec, "F0:0D:00:00:00:02", stop))
    c_ctrl = Controller("central", link=link, public_address="C0:FF:EE:00:00:01")
    central = Device(address=Address("C0:FF:EE:00:00:01"), host=Host(c_ctrl, AsyncPipeSink(c_ctrl)))
    central.keystore = MemoryKeyStore()
    central.pairing_config_factory = lambda _c: PairingConfig(
        sc=True,
        mitm=False,
        bonding=True,
        delegate=PairingDelegate(PairingDelegate.NO_OUTPUT_NO_INPUT),
    )
    await central.power_on()
    try:
        for _ in range(100):  # wait until the simulated peripheral advertises
            await asyncio.sleep(0.05)
            if task.done():
                task.result()
            try:
                conn = await central.connect(Address("F0:0D:00:00:00:02"), timeout=1.0)
                break
            except Exception:
                continue
        else:
            raise AssertionError("the simulated peripheral never became connectable")
        try:
            await asyncio.wait_for(conn.pair(), 10)
            return "success"
        except ProtocolError as exc:
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
