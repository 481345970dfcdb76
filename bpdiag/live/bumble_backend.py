"""The Bumble backend: Bumble's own host stack, either on a simulated link (``--sim``) or
on any Bumble transport (``usb:0``, ``hci-socket:0``, ``serial:…``, ``tcp-client:…``).
Every parameter of ``PairParams`` is honoured, and the HCI traffic is recorded with
``bumble.snoop.BtSnooper``."""

from __future__ import annotations

import asyncio
import contextlib
import os
from dataclasses import fields
from pathlib import Path
from typing import Any

from bumble import smp as bsmp
from bumble.core import UUID, ProtocolError
from bumble.device import Connection, Device, Peer
from bumble.hci import Address
from bumble.keys import KeyStore
from bumble.snoop import BtSnooper

from bpdiag.live.base import LiveError, PairingBackend, PairParams, Reason, not_advertising
from bpdiag.live.bonds import data_dir, normal_address, save_bumble_bond
from bpdiag.live.keystore import PrivateJsonKeyStore
from bpdiag.live.profiles import BLOOD_PRESSURE_MEASUREMENT, SimProfile, bpm_service
from bpdiag.live.sim import (
    CENTRAL_ADDRESS,
    HighSecurityInitiator,
    Side,
    SimLink,
    encrypt,
    pair,
    settle,
)


def central_side(params: PairParams) -> Side:
    """The local side as Bumble runs it.  With MITM requested the central gives up (0x03)
    when the IO capabilities only allow Just Works, as BlueZ does for sec-level high."""
    offered = {f.name: getattr(params, f.name) for f in fields(PairParams)}
    return Side(**offered, session=HighSecurityInitiator if params.mitm else bsmp.Session)


def default_keystore() -> Path:
    """Where bonds made over a real transport are kept between runs, as a host keeps them."""
    return data_dir() / "bumble-keys.json"


class BumbleBackend(PairingBackend):
    """``keystore``: the JSON key store of the local side.  Over a real transport it defaults
    to ``default_keystore()``; on a simulated link the two virtual devices start with empty
    in-memory stores (the simulated peripheral is new each run too) unless one is given."""

    def __init__(
        self,
        transport: str | None = None,
        sim: SimProfile | None = None,
        *,
        keystore: Path | None = None,
        forget_bond: bool = False,
        scan_timeout: float = 10.0,
    ) -> None:
        if (transport is None) == (sim is None):
            raise LiveError("give either --transport SPEC or --sim PROFILE", Reason.USAGE)
        self.transport = transport
        self.sim = sim
        self.keystore = keystore if keystore is not None or sim is not None else default_keystore()
        self.forget_bond = forget_bond
        self.scan_timeout = scan_timeout

    def _open_keystore(self, namespace: str) -> KeyStore | None:
        if self.keystore is None:
            return None
        try:
            self.keystore.parent.mkdir(parents=True, exist_ok=True)
            return PrivateJsonKeyStore(namespace, str(self.keystore))
        except (OSError, ValueError) as exc:
            raise LiveError(
                f"cannot use the key store {self.keystore}: {exc}", Reason.ENVIRONMENT
            ) from exc

    async def _settle_bond(self, store: KeyStore, namespace: str, target: str) -> None:
        """Keep, or save and remove, a stored bond with the target before pairing."""
        try:
            entries = await store.get_all()
        except (OSError, ValueError, TypeError, AttributeError, KeyError) as exc:
            raise LiveError(
                f"cannot read the key store {self.keystore}: {exc} (is it a Bumble JSON key "
                "store?); nothing was changed",
                Reason.ENVIRONMENT,
            ) from exc
        found = [(n, k) for n, k in entries if normal_address(n) == normal_address(target)]
        where = self.keystore or "the in-memory key store"
        if not self.must_forget(
            bool(found),
            f"no bond with {target} in {where}: nothing to forget",
            f"a bond with {target} is stored in {where}; pairing again would replace it. "
            "Give --forget-bond to save it first and pair afresh",
        ):
            return
        if self.keystore is not None and not os.access(self.keystore.parent, os.W_OK):
            raise LiveError(
                f"cannot remove the bond with {target} from {self.keystore}: its directory is "
                "not writable; nothing was saved or removed",
                Reason.ENVIRONMENT,
            )
        self.bond_backup = save_bumble_bond(
            self.keystore, namespace, target, {n: k.to_dict() for n, k in found}
        )
        try:
            for name, _keys in found:
                await store.delete(name)
        except OSError as exc:
            raise LiveError(
                f"the bond with {target} was saved in {self.bond_backup.path} but could not be "
                f"removed from {where}: {exc.strerror or exc}; the store is unchanged",
                Reason.ENVIRONMENT,
            ) from exc
        self.note_bond_saved(target, str(where))

    async def attempt(self, target: str, params: PairParams, capture: Path) -> str:
        if self.sim is not None:
            return await self._simulated(self.sim, params, capture)
        return await self._real(target, params, capture)

    async def _simulated(self, profile: SimProfile, params: PairParams, capture: Path) -> str:
        sim = await SimLink.create(capture, central_side(params), profile.side)
        try:
            store = self._open_keystore(CENTRAL_ADDRESS)
            if store is not None:
                sim.central.keystore = store
            assert sim.central.keystore is not None
            await self._settle_bond(
                sim.central.keystore, CENTRAL_ADDRESS, str(sim.peripheral.random_address)
            )
            if profile.security_request_on_subscribe:
                sim.peripheral.add_service(bpm_service())

                def on_subscription(
                    _bearer: object, _chr: object, notify: bool, indicate: bool
                ) -> None:
                    p = sim.connections.get("peripheral")
                    if p is not None and (notify or indicate):
                        p.request_pairing()

                sim.peripheral.on("characteristic_subscription", on_subscription)
            c, _ = await sim.connect()
            if profile.forget_bond:
                first = await pair(c)
                if first != "success":
                    return first
                await sim.remember_bond_by_address()
                await sim.disconnect()
                store = sim.peripheral.keystore
                if store is not None:
                    await store.delete_all()  # it bonded with another host since
                sim.forget_sessions()
                c, _ = await sim.connect()
                result = await encrypt(c)
            elif profile.security_request_on_subscribe:
                result = await self._subscribe_then_pair(c)
            else:
                result = await pair(c)
            await sim.disconnect()
            return result
        finally:
            sim.close()

    @staticmethod
    async def _subscribe_then_pair(c: Connection) -> str:
        """Like a phone app or bluetoothd: enable indications on the measurement, and pair
        when the device answers with a Security Request."""
        asked: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        c.once(c.EVENT_SECURITY_REQUEST, asked.set_result)
        peer = Peer(c)
        await peer.discover_services()
        for service in peer.services:
            await service.discover_characteristics()
        chars = peer.get_characteristics_by_uuid(UUID.from_16_bits(BLOOD_PRESSURE_MEASUREMENT))
        if not chars:
            return "no Blood Pressure Measurement characteristic"
        with contextlib.suppress(ProtocolError, asyncio.TimeoutError):
            await asyncio.wait_for(peer.subscribe(chars[0], prefer_notify=False), 5)
        try:
            await asyncio.wait_for(asked, 5)
        except TimeoutError:
            return "no Security Request"
        await settle()
        return await pair(c)

    async def _find(self, device: Device, target: str) -> Address:
        """The target's address with its type, from its advertisements (a public address
        and a random one are different devices); a target written with its type
        (``AA:…/P``, Bumble's notation for public) skips the scan."""
        if "/" in target:
            return Address(target)
        want = normal_address(target)
        found: asyncio.Future[Address] = asyncio.get_running_loop().create_future()

        def on_advertisement(adv: Any) -> None:
            if normal_address(str(adv.address)) == want and not found.done():
                found.set_result(adv.address)

        self.say(f"scanning for {target} (up to {self.scan_timeout:g} s)")
        device.on(device.EVENT_ADVERTISEMENT, on_advertisement)
        await device.start_scanning(filter_duplicates=True)
        try:
            return await asyncio.wait_for(found, self.scan_timeout)
        except TimeoutError:
            raise not_advertising(target, self.scan_timeout) from None
        finally:
            device.remove_listener(device.EVENT_ADVERTISEMENT, on_advertisement)
            with contextlib.suppress(Exception):
                await device.stop_scanning()

    async def _real(self, target: str, params: PairParams, capture: Path) -> str:
        from bumble.transport import open_transport

        assert self.transport is not None
        self.say(f"opening {self.transport}")
        try:
            transport = await open_transport(self.transport)
        except Exception as exc:
            raise LiveError(
                f"cannot open transport {self.transport}: {exc}", Reason.ENVIRONMENT
            ) from exc
        with capture.open("wb") as f:
            async with transport:
                device = Device.with_hci(
                    "bpdiag", Address("F0:F1:F2:F3:F4:F5"), transport.source, transport.sink
                )
                device.host.snooper = BtSnooper(f)
                central_side(params).give_to(device)
                await device.power_on()
                public = normal_address(str(device.public_address))
                namespace = (
                    public
                    if public != "00:00:00:00:00:00"
                    else normal_address(str(device.random_address))
                )
                store = self._open_keystore(namespace)
                assert store is not None
                device.keystore = store
                await self._settle_bond(store, namespace, target)
                peer = await self._find(device, target)
                self.say(f"connecting to {peer}")
                try:
                    conn = await asyncio.wait_for(device.connect(peer), 20)
                except Exception as exc:
                    raise LiveError(
                        f"cannot connect to {target}: {exc}", Reason.ENVIRONMENT
                    ) from exc
                self.say(f"pairing with {peer} ({self.describe})")
                result = await pair(conn)
                with contextlib.suppress(Exception):
                    await conn.disconnect()
                return result
