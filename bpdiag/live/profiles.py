"""Simulated peripherals built on Bumble, for tests, demos and learning (``--sim PROFILE``).

- ``omron-bpm`` — a blood-pressure monitor like the one in the story: NoInputNoOutput,
  legacy pairing, bonding, no MITM; it sends a Security Request when indications are enabled
  on its Blood Pressure Measurement characteristic (0x2A35), accepts pairing only while
  ``pairing-mode=on`` and answers Unspecified Reason (0x08) otherwise; it keeps one bond and
  forgets it when it pairs with another host (under ``bpdiag sim`` a second host pairing makes
  the first fail with PIN or Key Missing; in ``pair --sim`` with one host, ``forget-bond=on``
  replays that: bond, forget, reconnect).
- ``generic`` — knobs ``io``, ``mitm`` (required), ``sc`` (supports Secure Connections; off: a
  legacy-only device), ``sc-only``, ``bonding``, ``max-key-size``, ``refuse`` (an SMP reason
  code), ``forget-bond``, ``passkey`` (the one it displays).

``PROFILE[:key=value,…]``, e.g. ``omron-bpm:pairing-mode=off``, ``generic:io=DisplayOnly,mitm=on``.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from bumble import smp as bsmp
from bumble.core import UUID
from bumble.device import Device
from bumble.gatt import Characteristic, Service
from bumble.keys import MemoryKeyStore

from bpdiag.live.base import IO_CAPABILITIES, LiveError, Reason
from bpdiag.live.sim import RequireMitmSession, ScOnlySession, Side, refusing_session

PROFILES = ("omron-bpm", "generic")
BLOOD_PRESSURE_SERVICE = 0x1810
BLOOD_PRESSURE_MEASUREMENT = 0x2A35

_KNOBS = {
    "omron-bpm": {"pairing-mode", "forget-bond"},
    "generic": {
        "io",
        "mitm",
        "sc-only",
        "sc",
        "bonding",
        "max-key-size",
        "refuse",
        "forget-bond",
        "passkey",
    },
}


@dataclass(frozen=True, slots=True)
class SimProfile:
    name: str
    side: Side
    security_request_on_subscribe: bool
    forget_bond: bool
    one_bond: bool = False  # keeps the bond of the last host it paired with only


def _flag(value: str, key: str) -> bool:
    v = value.lower()
    if v in ("on", "yes", "true", "1"):
        return True
    if v in ("off", "no", "false", "0"):
        return False
    raise LiveError(f"{key}={value}: use on or off", Reason.USAGE)


def parse_profile(spec: str) -> SimProfile:
    name, _, rest = spec.partition(":")
    if name not in PROFILES:
        raise LiveError(
            f"unknown simulated peripheral {name!r}; known: {', '.join(PROFILES)}", Reason.USAGE
        )
    knobs: dict[str, str] = {}
    for item in filter(None, rest.split(",")):
        key, sep, value = item.partition("=")
        if not sep or key not in _KNOBS[name]:
            raise LiveError(
                f"{name} has no knob {key!r}; knobs: {', '.join(sorted(_KNOBS[name]))}",
                Reason.USAGE,
            )
        knobs[key] = value
    forget = _flag(knobs.get("forget-bond", "off"), "forget-bond")
    if name == "omron-bpm":
        on = _flag(knobs.get("pairing-mode", "on"), "pairing-mode")
        session: type[bsmp.Session] = (
            bsmp.Session if on else refusing_session(bsmp.ErrorCode.UNSPECIFIED_REASON)
        )
        side = Side(io="NoInputNoOutput", mitm=False, sc=False, bond=True, session=session)
        return SimProfile(name, side, True, forget, one_bond=True)
    io = knobs.get("io", "NoInputNoOutput")
    if io not in IO_CAPABILITIES:
        raise LiveError(f"io={io}: use one of {', '.join(IO_CAPABILITIES)}", Reason.USAGE)
    mitm = _flag(knobs.get("mitm", "off"), "mitm")
    sc_only = _flag(knobs.get("sc-only", "off"), "sc-only")
    session = bsmp.Session
    if "refuse" in knobs:
        try:
            session = refusing_session(bsmp.ErrorCode(int(knobs["refuse"], 0)))
        except ValueError:
            raise LiveError(
                f"refuse={knobs['refuse']}: not an SMP reason code (0x01–0x0F)", Reason.USAGE
            ) from None
    elif sc_only:
        session = ScOnlySession
    elif mitm:
        session = RequireMitmSession
    try:
        key_size = int(knobs.get("max-key-size", "16"), 0)
        passkey = int(knobs.get("passkey", "123456"))
    except ValueError:
        raise LiveError("max-key-size and passkey take numbers", Reason.USAGE) from None
    side = Side(
        io=io,
        mitm=mitm,
        sc=_flag(knobs.get("sc", "on"), "sc"),
        bond=_flag(knobs.get("bonding", "on"), "bonding"),
        key_size=key_size,
        shown=passkey,
        session=session,
    )
    return SimProfile(name, side, False, forget)


def bpm_service() -> Service:
    """The Blood Pressure service with its Measurement characteristic (indicate)."""
    measurement = Characteristic(
        UUID.from_16_bits(BLOOD_PRESSURE_MEASUREMENT),
        Characteristic.Properties.INDICATE,
        Characteristic.READABLE,
        b"\x00" * 7,
    )
    return Service(UUID.from_16_bits(BLOOD_PRESSURE_SERVICE), [measurement])


def peripheral_config(device: Device, profile: SimProfile) -> None:
    """Give a Bumble device the profile's pairing behaviour and an in-memory key store.

    After a pairing the keys are filed under the address the host connected from as well as
    its identity address, so a host that reconnects from the same address finds its bond
    (Bumble files them by identity address only); profiles like omron-bpm keep the bond of
    the last host they paired with only."""
    side = profile.side
    device.keystore = MemoryKeyStore()
    side.give_to(device)

    def on_connection(conn: Any) -> None:
        connected_from = str(conn.peer_address)  # Bumble replaces it by the identity later

        def on_pairing(keys: Any) -> None:
            task = asyncio.get_running_loop().create_task(
                _file_bond(device, connected_from, keys, profile)
            )
            _tasks.add(task)
            task.add_done_callback(_tasks.discard)

        conn.on(conn.EVENT_PAIRING, on_pairing)

    device.on(device.EVENT_CONNECTION, on_connection)


_tasks: set[asyncio.Task[None]] = set()


async def _file_bond(device: Device, here: str, keys: Any, profile: SimProfile) -> None:
    store = device.keystore
    if store is None or not profile.side.bond:
        return
    await store.update(here, keys)
    if not profile.one_bond:
        return
    # Like a blood-pressure monitor with room for one host: pairing with a new host forgets
    # the previous one, which then fails to encrypt with PIN or Key Missing (0x06).
    peer = {here.split("/")[0]}
    identity = getattr(keys, "identity_address", None)
    if identity is not None:
        peer.add(str(identity).split("/")[0])
    for name, _k in await store.get_all():
        if name.split("/")[0] not in peer:
            await store.delete(name)
