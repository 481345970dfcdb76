"""Record the scenario captures in captures/ with Bumble's real SMP stack.

Each scenario runs a central and a peripheral (bumble.device.Device, each with its own
virtual controller) on an in-process LocalLink and writes the central's HCI traffic as a
btsnoop file (datalink H4), the view an Android HCI snoop log or `btmon -w` gives of the
central.  The pairing parameters (Side), the refusing SMP sessions and the connect / pair
helpers (SimLink) are bpdiag.live.sim's, shared with `bpdiag pair`; the controllers are set
up here (open_link) so that the log shows what a real controller reports.  Run from the
repository root:

    python scripts/make_captures.py [--out captures] [SCENARIO ...]

The outcome of every scenario is asserted here as it is recorded; captures/expectations.toml
says what each file must show (checked against tshark by tests/test_scenario_captures.py and
against bpdiag's analysis by tests/analysis/test_scenarios.py and `bpdiag check captures`).

Addresses, IO capabilities and passkeys are fixed.  Bumble draws its SMP random values,
legacy LTKs and ECC keys from the OS (`secrets`, `cryptography`) with no seed to fix, and
BtSnooper stamps wall-clock time: those bytes change from run to run; the records, their
order and the outcomes do not.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

from bumble import smp as bsmp
from bumble.controller import Controller
from bumble.core import PhysicalTransport
from bumble.device import Connection, Device
from bumble.hci import Address, HCI_AclDataPacket
from bumble.host import Host
from bumble.keys import MemoryKeyStore
from bumble.link import LocalLink
from bumble.snoop import BtSnooper
from bumble.transport.common import AsyncPipeSink

from bpdiag.live.sim import (
    CENTRAL_ADDRESS,
    PERIPHERAL_ADDRESS,
    BackoffSession,
    CorruptDhKeyCheckSession,
    FaithfulController,
    HighSecurityInitiator,
    RequireMitmSession,
    ScOnlySession,
    Side,
    SilentSession,
    SimLink,
    SpecNumericComparisonSession,
    encrypt,
    pair,
    refusing_session,
    settle,
)

Scenario = Callable[[Path], Awaitable[None]]
SCENARIOS: dict[str, Scenario] = {}


def scenario(fn: Scenario) -> Scenario:
    SCENARIOS[fn.__name__] = fn
    return fn


def expect(got: str, want: str, name: str) -> None:
    if got != want:
        raise SystemExit(f"{name}: expected {want}, got {got}")


# ------------------------------------------------------------------ local stand-ins
LL_DATA_PAYLOAD = 27  # octets in an LL Data PDU without Data Length Extension (Vol 6, Part B, 2.4)


class NoDataLengthExtensionController(FaithfulController):
    """A controller without Data Length Extension, as many BLE 4.x chips are: its host sends
    LE ACL data in packets of at most 27 octets, and what arrives over the air reaches the
    host as it came, one 27-octet LL payload per HCI ACL packet (PB flag 0b10, then 0b01).
    Bumble's Controller hands each received L2CAP PDU up in one packet, whatever its length.
    """

    le_acl_data_packet_length = LL_DATA_PAYLOAD

    def on_link_acl_data(
        self, sender_address: Address, transport: PhysicalTransport, data: bytes
    ) -> None:
        connection = self.le_connections.get(sender_address)
        if transport != PhysicalTransport.LE or connection is None:
            super().on_link_acl_data(sender_address, transport, data)
            return
        for offset in range(0, len(data), LL_DATA_PAYLOAD):
            chunk = data[offset : offset + LL_DATA_PAYLOAD]
            pb_flag = 0b10 if offset == 0 else 0b01
            self.send_hci_packet(
                HCI_AclDataPacket(connection.handle, pb_flag, 0, len(chunk), chunk)
            )


async def open_link(
    path: Path,
    central: Side,
    peripheral: Side,
    controller: type[Controller] = FaithfulController,
) -> SimLink:
    """A central and a peripheral, each a Device with its own `controller`, on one
    LocalLink; the central's HCI is written to `path` from its HCI Reset on."""
    link = LocalLink()
    devices = []
    for name, address, side in (
        ("central", CENTRAL_ADDRESS, central),
        ("peripheral", PERIPHERAL_ADDRESS, peripheral),
    ):
        ctrl = controller(name, link=link, public_address=address)
        device = Device(address=Address(address), host=Host(ctrl, AsyncPipeSink(ctrl)))
        device.keystore = MemoryKeyStore()
        side.give_to(device)
        devices.append(device)
    snoop_file = path.open("wb")
    devices[0].host.snooper = BtSnooper(snoop_file)
    for device in devices:
        await device.power_on()
    return SimLink(devices[0], devices[1], snoop_file)


async def open_link_without_dle(path: Path, central: Side, peripheral: Side) -> SimLink:
    return await open_link(path, central, peripheral, NoDataLengthExtensionController)


# ------------------------------------------------------------------ scenarios
LinkFactory = Callable[[Path, Side, Side], Awaitable[SimLink]]


@contextlib.asynccontextmanager
async def linked(
    path: Path, central: Side, peripheral: Side, link: LinkFactory = open_link
) -> AsyncIterator[SimLink]:
    sim = await link(path, central, peripheral)
    try:
        yield sim
    finally:
        sim.close()


async def paired(sim: SimLink, want: str, path: Path) -> Connection:
    """Connect (afresh: no SMP session kept from an earlier link) and pair; the outcome must
    be ``want``."""
    sim.forget_sessions()
    c, _ = await sim.connect()
    expect(await pair(c), want, path.stem)
    return c


async def bonded(sim: SimLink, path: Path) -> None:
    """Pair with success, keep the bond under the peer's address, disconnect."""
    await paired(sim, "success", path)
    await sim.remember_bond_by_address()
    await sim.disconnect()


def one_pairing(
    name: str,
    central: Side,
    peripheral: Side,
    want: str,
    doc: str = "",
    link: LinkFactory = open_link,
    setup: Callable[[SimLink], None] | None = None,
) -> None:
    """A scenario of one connection and one pairing, whose outcome must be ``want``."""

    async def record(path: Path) -> None:
        async with linked(path, central, peripheral, link) as sim:
            if setup is not None:
                setup(sim)
            await paired(sim, want, path)
            await sim.disconnect()

    record.__name__, record.__doc__ = name, doc
    scenario(record)


def _debug_mode(sim: SimLink) -> None:
    sim.central.smp_manager.debug_mode = True


def refusing(reason: bsmp.ErrorCode) -> Side:
    """A peripheral whose SMP answers every Pairing Request with Pairing Failed ``reason``."""
    return Side(session=refusing_session(reason))


KEYBOARD_LEGACY = Side(io="KeyboardOnly", mitm=True, sc=False, passkey=123456)
DISPLAY_LEGACY = Side(io="DisplayOnly", mitm=True, sc=False, shown=123456)
COMPARING = Side(io="DisplayYesNo", mitm=True, sc=True)
REJECTING = Side(
    io="DisplayYesNo", mitm=True, sc=True, reject_numbers=True, session=SpecNumericComparisonSession
)
NO_IO = Side(io="NoInputNoOutput", mitm=False)
REQUIRES_MITM = Side(io="DisplayOnly", mitm=True, session=RequireMitmSession)

one_pairing("legacy_justworks_success", Side(sc=False), Side(sc=False), "success")
one_pairing("sc_justworks_success", Side(sc=True), Side(sc=True), "success")
one_pairing(
    "sc_justworks_fragmented",
    Side(sc=True),
    Side(sc=True),
    "success",
    """SC Just Works between two controllers without Data Length Extension: each 65-octet
    Pairing Public Key (69 with its L2CAP header) crosses the HCI in three ACL packets,
    27 + 27 + 15 octets, in both directions.""",
    link=open_link_without_dle,
)
one_pairing("sc_numeric_comparison_success", COMPARING, COMPARING, "success")
one_pairing("legacy_passkey_success", KEYBOARD_LEGACY, DISPLAY_LEGACY, "success")
one_pairing(
    "legacy_passkey_wrong",
    Side(io="KeyboardOnly", mitm=True, sc=False, passkey=654321),
    DISPLAY_LEGACY,
    "CONFIRM_VALUE_FAILED",
)
one_pairing(
    "sc_passkey_wrong",
    Side(io="KeyboardOnly", mitm=True, sc=True, passkey=123464),
    Side(io="DisplayOnly", mitm=True, sc=True, shown=123456),
    "CONFIRM_VALUE_FAILED",
    """SC Passkey Entry with a mistyped passkey (123464 for 123456): the passkeys agree in
    their three lowest bits, so the peripheral refuses the central's commitment in round 4
    with Confirm Value Failed (0x04) — bpdiag reads the bits back from the public values.""",
)
one_pairing(
    "debug_key_pairing",
    Side(sc=True),
    Side(sc=True),
    "success",
    """SC Just Works where the central runs Bumble's SMP debug mode: its Pairing Public Key
    is the spec's debug key (Vol 3, Part H, 2.3.5.6.1), so the capture gives away the LTK.""",
    setup=_debug_mode,
)
one_pairing("pairing_not_supported", Side(), Side(accept=False), "PAIRING_NOT_SUPPORTED")
one_pairing(
    "mitm_unsatisfiable",
    Side(io="KeyboardDisplay", mitm=True, sc=False, session=HighSecurityInitiator),
    Side(io="NoInputNoOutput", mitm=False, sc=False),
    "AUTHENTICATION_REQUIREMENTS",
    "`gatttool --sec-level=high` against a NoInputNoOutput device.",
)
one_pairing("peer_requires_mitm", NO_IO, REQUIRES_MITM, "AUTHENTICATION_REQUIREMENTS")
one_pairing(
    "sc_only_vs_legacy",
    Side(io="KeyboardDisplay", mitm=True, sc=False),
    Side(io="DisplayOnly", mitm=True, sc=True, session=ScOnlySession),
    "AUTHENTICATION_REQUIREMENTS",
    """A legacy-only central (MITM, KeyboardDisplay) against a Secure Connections Only
    peripheral.""",
)
one_pairing("numeric_comparison_rejected", COMPARING, REJECTING, "NUMERIC_COMPARISON_FAILED")
one_pairing(
    "comparison_rejected_by_central",
    Side(
        io="DisplayYesNo",
        mitm=True,
        sc=True,
        bond=False,
        reject_numbers=True,
        session=SpecNumericComparisonSession,
    ),
    COMPARING,
    "NUMERIC_COMPARISON_FAILED",
    """The logged side (the central) says no to the number, without bonding: a BlueZ host
    whose agent went away (bluetoothd then turns bonding off and answers the kernel's User
    Confirmation Request with a Negative Reply, src/adapter.c, src/device.c).""",
)
one_pairing("legacy_justworks_no_bonding", Side(sc=False, bond=False), Side(sc=False), "success")
one_pairing(
    "dhkey_check_failed",
    Side(sc=True),
    Side(sc=True, session=CorruptDhKeyCheckSession),
    "DHKEY_CHECK_FAILED",
)
for _reason in (bsmp.ErrorCode.INVALID_PARAMETERS, bsmp.ErrorCode.COMMAND_NOT_SUPPORTED):
    one_pairing(_reason.name.lower(), Side(), refusing(_reason), _reason.name)
one_pairing(
    "encryption_key_size",
    Side(key_size=7),
    refusing(bsmp.ErrorCode.ENCRYPTION_KEY_SIZE),
    "ENCRYPTION_KEY_SIZE",
    "A peripheral that accepts only 16-octet keys refuses a central offering 7.",
)


async def security_requested(sim: SimLink) -> tuple[Connection, Connection]:
    """Connect; the peripheral asks for security; returns (central's, peripheral's
    connection) once the central has received the request."""
    c, p = await sim.connect()
    asked: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    c.once(c.EVENT_SECURITY_REQUEST, asked.set_result)
    p.request_pairing()
    await asyncio.wait_for(asked, 5)
    return c, p


@scenario
async def not_in_pairing_mode(path: Path) -> None:
    """The Omron story: the monitor asks for security (Bonding, No MITM, Legacy), the central
    pairs, the monitor — not in pairing mode — answers Unspecified Reason at once."""
    monitor = Side(
        io="NoInputNoOutput",
        sc=False,
        bond=True,
        mitm=False,
        session=refusing_session(bsmp.ErrorCode.UNSPECIFIED_REASON),
    )
    central = Side(io="KeyboardDisplay", sc=True, mitm=False)
    async with linked(path, central, monitor) as sim:
        c, _ = await security_requested(sim)
        expect(await pair(c), "UNSPECIFIED_REASON", path.stem)
        await sim.disconnect()


@scenario
async def repeated_attempts(path: Path) -> None:
    """A wrong passkey, then an immediate retry inside the peer's back-off: 0x04, then 0x09."""
    BackoffSession.failed_at.clear()
    central = Side(io="KeyboardOnly", mitm=True, sc=False, passkey=111111)
    peripheral = Side(io="DisplayOnly", mitm=True, sc=False, shown=123456, session=BackoffSession)
    async with linked(path, central, peripheral) as sim:
        c = await paired(sim, "CONFIRM_VALUE_FAILED", path)
        await settle()
        sim.forget_sessions()
        expect(await pair(c), "REPEATED_ATTEMPTS", path.stem)
        await sim.disconnect()


@scenario
async def bond_lost_reconnect(path: Path) -> None:
    """Bond, disconnect; the peripheral forgets the bond (it paired with a phone); the central
    reconnects and encrypts with its stored LTK: PIN or Key Missing."""
    async with linked(path, Side(sc=True), Side(sc=True)) as sim:
        await bonded(sim, path)
        await sim.peripheral.keystore.delete_all()  # type: ignore[union-attr]
        sim.forget_sessions()
        c, _ = await sim.connect()
        expect(await encrypt(c), "PIN_OR_KEY_MISSING_ERROR", path.stem)
        await sim.disconnect()


@scenario
async def bonded_reconnect_security_request(path: Path) -> None:
    """Bond; on the next connection the peripheral sends a Security Request and the central,
    which holds the bond, answers by encrypting with the stored LTK — no pairing."""
    async with linked(path, Side(sc=True), Side(sc=True)) as sim:
        await bonded(sim, path)
        sim.forget_sessions()
        c, _ = await security_requested(sim)
        expect(await encrypt(c), "success", path.stem)
        await sim.disconnect()


@scenario
async def security_request_ignored(path: Path) -> None:
    """The peripheral asks for security; the central neither pairs nor encrypts, and the
    peripheral gives up and disconnects."""
    async with linked(path, Side(), Side()) as sim:
        _, p = await security_requested(sim)
        await settle()
        with contextlib.suppress(Exception):
            await p.disconnect()
        await settle()


@scenario
async def pairing_mode_entered(path: Path) -> None:
    """The device refuses the Pairing Request at once (Unspecified Reason: not in pairing
    mode); the user presses its button; on the next connection the same request succeeds."""
    central = Side(io="KeyboardDisplay", sc=True, mitm=False)
    async with linked(path, central, refusing(bsmp.ErrorCode.UNSPECIFIED_REASON)) as sim:
        await paired(sim, "UNSPECIFIED_REASON", path)
        await sim.disconnect()
        sim.configure(peripheral=Side())  # now in pairing mode
        await paired(sim, "success", path)
        await sim.disconnect()


@scenario
async def refused_after_rejected_comparison(path: Path) -> None:
    """Numeric Comparison rejected on the device; it then refuses every new attempt with
    Pairing Not Supported (two reconnections)."""
    async with linked(path, COMPARING, REJECTING) as sim:
        await paired(sim, "NUMERIC_COMPARISON_FAILED", path)
        await sim.disconnect()
        sim.configure(peripheral=refusing(bsmp.ErrorCode.PAIRING_NOT_SUPPORTED))
        for _ in range(2):
            await paired(sim, "PAIRING_NOT_SUPPORTED", path)
            await sim.disconnect()


@scenario
async def dhkey_failed_over_bond(path: Path) -> None:
    """Bond; reconnect and encrypt with the stored key; then pair again over the bond, and
    the peripheral's DHKey Check is wrong: DHKey Check Failed while a bond exists."""
    async with linked(path, Side(sc=True), Side(sc=True)) as sim:
        await bonded(sim, path)
        sim.forget_sessions()
        c, _ = await sim.connect()
        expect(await encrypt(c), "success", path.stem)
        sim.configure(peripheral=Side(sc=True, session=CorruptDhKeyCheckSession))
        sim.forget_sessions()
        expect(await pair(c), "DHKEY_CHECK_FAILED", path.stem)
        await sim.disconnect()


@scenario
async def same_failure_every_connection(path: Path) -> None:
    """A NoInputNoOutput central against a peripheral that requires MITM, reconnecting and
    retrying three times: Authentication Requirements every time."""
    async with linked(path, NO_IO, REQUIRES_MITM) as sim:
        for _ in range(3):
            await paired(sim, "AUTHENTICATION_REQUIREMENTS", path)
            await sim.disconnect()


@scenario
async def pairing_cut_by_disconnect(path: Path) -> None:
    """The peripheral never answers the Pairing Request; the central gives up and
    disconnects before the SMP timeout."""
    async with linked(path, Side(), Side(session=SilentSession)) as sim:
        c, _ = await sim.connect()
        task = asyncio.ensure_future(c.pair())
        await settle()
        await sim.disconnect()
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await asyncio.wait_for(task, 2)


@scenario
async def mic_failure(path: Path) -> None:
    """Bond, then the peripheral holds a different LTK (it re-paired with someone else and
    kept the slot): encryption with the stored key ends in a MIC failure (0x3D)."""
    async with linked(path, Side(sc=True), Side(sc=True)) as sim:
        await bonded(sim, path)
        store = sim.peripheral.keystore
        assert store is not None
        changed: set[int] = set()  # the same PairingKeys may be filed under two names
        for _name, keys in await store.get_all():
            if keys.ltk is not None and id(keys.ltk) not in changed:
                changed.add(id(keys.ltk))
                keys.ltk.value = bytes(b ^ 0x5A for b in keys.ltk.value)
        sim.forget_sessions()
        c, _ = await sim.connect()
        await encrypt(c)
        await settle()


async def run(out: Path, names: list[str]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    for name in names:
        t = time.perf_counter()
        await SCENARIOS[name](out / f"{name}.btsnoop")
        print(f"recorded {out / (name + '.btsnoop')} ({time.perf_counter() - t:.2f} s)")
    print(f"{len(names)} captures in {time.perf_counter() - started:.1f} s")


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--out", type=Path, default=Path("captures"))
    ap.add_argument("names", nargs="*", metavar="SCENARIO", help="scenarios to record (all)")
    args = ap.parse_args()
    unknown = sorted(set(args.names) - set(SCENARIOS))
    if unknown:
        ap.error(f"unknown scenario(s) {', '.join(unknown)}; known: {', '.join(SCENARIOS)}")
    asyncio.run(run(args.out, args.names or list(SCENARIOS)))


if __name__ == "__main__":
    main()
