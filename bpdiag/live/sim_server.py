"""``bpdiag sim PROFILE --transport SPEC``: a simulated peripheral on a real transport (a
second controller), so people can test their own central against it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from bumble.device import Device
from bumble.hci import Address

from bpdiag.live.base import LiveError, Reason
from bpdiag.live.profiles import SimProfile, bpm_service, peripheral_config


async def serve(
    profile: SimProfile,
    transport_spec: str,
    address: str,
    stop: asyncio.Event | None = None,
    name: str = "bpdiag-sim",
    on_ready: Callable[[], None] | None = None,
) -> None:
    """Advertise ``profile`` on the controller behind ``transport_spec`` until ``stop``."""
    from bumble.transport import open_transport

    try:
        transport = await open_transport(transport_spec)
    except Exception as exc:
        raise LiveError(
            f"cannot open transport {transport_spec}: {exc}", Reason.ENVIRONMENT
        ) from exc
    async with transport:
        device = Device.with_hci(name, Address(address), transport.source, transport.sink)
        peripheral_config(device, profile)
        if profile.security_request_on_subscribe:
            device.add_service(bpm_service())

            def on_subscription(bearer: object, _chr: object, notify: bool, indicate: bool) -> None:
                for conn in list(device.connections.values()):
                    if notify or indicate:
                        conn.request_pairing()

            device.on("characteristic_subscription", on_subscription)
        await device.power_on()
        # 100 ms, as a peripheral in pairing mode advertises (Bumble's default is 1 s, which
        # a central's connection attempt may wait out)
        await device.start_advertising(auto_restart=True, advertising_interval_min=100.0)
        if on_ready is not None:
            on_ready()
        await (stop or asyncio.Event()).wait()
