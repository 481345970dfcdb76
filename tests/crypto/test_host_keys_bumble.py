"""``--keys-from HOST_CAPTURE`` on host captures Bumble's real SMP stack recorded: a bonding
pairing, then a reconnection encrypted with the bond's LTK, on a virtual link (as
scripts/make_captures.py records captures/), the central's and the peripheral's HCI each in
a btsnoop file.  bpdiag must read from them the LTK, EDIV and Rand the hosts handed their
controllers (HCI LE Enable Encryption, Vol 4, Part E, 7.8.24; LE Long Term Key Request
7.7.65.5 + Reply 7.8.25), as Bumble's key stores hold them, tied to the peer's address.

Bumble's virtual controllers do not encrypt their link, so there is no air capture of it to
sniff: the air capture of the reconnection is built from the same keys, the same addresses
and the same EDIV/Rand by the test itself, encrypting with the spec's algorithm on
`cryptography` alone (tests/crypto/air.py), and bpdiag must open it with the host capture's
key only, matched by EDIV/Rand — and not open a link that used other EDIV/Rand.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import pytest

pytest.importorskip("bumble")

from bumble import smp as bsmp
from bumble.keys import PairingKeys
from bumble.snoop import BtSnooper

from bpdiag.analysis.host_keys import load_host_keys
from bpdiag.analysis.run import analyze_file
from bpdiag.crypto.keyring import Keyring
from bpdiag.live.sim import CENTRAL_ADDRESS, PERIPHERAL_ADDRESS, Side, SimLink, encrypt, pair
from tests.crypto.air import LINKTYPE_LE_LL_WITH_PHDR, EncryptedLink, l2cap, phdr, write_pcap
from tests.helpers import bpdiag_in_process


class RandomEdivSession(bsmp.Session):
    """A legacy responder that gives its LTK a random EDIV and Rand, as the spec has the
    distributing device do (Vol 3, Part H, 2.4.2; Bumble sends 0 and 0), while the STK of
    the pairing itself still answers EDIV 0 / Rand 0 (2.4.4.1)."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.ltk_ediv = 1 + secrets.randbelow(0xFFFF)
        self.ltk_rand = os.urandom(8)

    def get_long_term_key(self, rand: bytes, ediv: int) -> bytes | None:
        if not self.sc and not self.completed and rand == bytes(8) and ediv == 0:
            return self.stk  # type: ignore[no-any-return]
        return super().get_long_term_key(rand, ediv)  # type: ignore[no-any-return]


@dataclass
class Bond:
    """What the central's key store holds for the peripheral after the pairing: the LTK
    (spec order), EDIV and Rand (as on air) it encrypts the reconnection with."""

    ltk: bytes
    ediv: int
    rand: bytes
    central: Path
    peripheral: Path


async def _record(tmp: Path, sc: bool) -> Bond:
    session = bsmp.Session if sc else RandomEdivSession
    sim = await SimLink.create(tmp / "central.btsnoop", Side(sc=sc), Side(sc=sc, session=session))
    peripheral_log = (tmp / "peripheral.btsnoop").open("wb")
    sim.peripheral.host.snooper = BtSnooper(peripheral_log)  # type: ignore[assignment]
    try:
        c, _ = await sim.connect()
        assert await pair(c) == "success"
        await sim.remember_bond_by_address()
        if not sc:
            # Bumble's peripheral answers an LTK request from the key store entry it keeps
            # for the peer's LTK (ltk_peripheral); file the LTK it distributed there.
            store = sim.peripheral.keystore
            assert store is not None
            for name, keys in await store.get_all():
                keys.ltk_peripheral = keys.ltk_central
                await store.update(name, keys)
        await sim.disconnect()
        sim.forget_sessions()
        c, _ = await sim.connect()
        assert await encrypt(c) == "success"
        await sim.disconnect()
        store = sim.central.keystore
        assert store is not None
        keys: PairingKeys | None = await store.get(PERIPHERAL_ADDRESS)
    finally:
        sim.close()
        peripheral_log.close()
    assert keys is not None
    key = keys.ltk if keys.ltk is not None else keys.ltk_central
    assert key is not None
    return Bond(
        key.value[::-1],  # Bumble keeps keys as on the wire, least significant octet first
        key.ediv or 0,
        key.rand or bytes(8),
        tmp / "central.btsnoop",
        tmp / "peripheral.btsnoop",
    )


@pytest.fixture(params=["legacy", "sc"], scope="module")
def bond(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Bond:
    tmp = tmp_path_factory.mktemp(request.param)
    return asyncio.run(asyncio.wait_for(_record(tmp, request.param == "sc"), 30))


def _air(path: Path, bond: Bond, ediv: int, rand: bytes) -> Path:
    """The reconnection as a sniffer would capture it: CONNECT_IND from the central's to the
    peripheral's address, the encryption start with ``ediv``/``rand``, then encrypted
    LL_START_ENC_RSPs and an ATT exchange."""
    link = EncryptedLink(
        bond.ltk, ediv, rand, central=CENTRAL_ADDRESS, peripheral=PERIPHERAL_ADDRESS
    )
    recs: list[tuple[float, bytes]] = [(0.0, phdr(link.connect_ind(), None, rf=0))]
    packets = [
        *link.start(),
        ("central", link.encrypted("central", 3, b"\x06")),
        ("peripheral", link.encrypted("peripheral", 3, b"\x06")),
        ("central", link.encrypted("central", 2, l2cap(4, b"\x0a\x03\x00"))),
        ("peripheral", link.encrypted("peripheral", 2, l2cap(4, b"\x01\x0a\x03\x00\x0f"))),
    ]
    recs += [(0.03 * (i + 1), phdr(pkt, sender)) for i, (sender, pkt) in enumerate(packets)]
    return write_pcap(path, LINKTYPE_LE_LL_WITH_PHDR, recs)


def test_host_captures_give_the_bonds_key_with_its_ediv_rand_and_peer(bond: Bond) -> None:
    central, peripheral = Keyring(), Keyring()
    assert load_host_keys(str(bond.central), central) >= 2  # the pairing's and the bond's
    assert load_host_keys(str(bond.peripheral), peripheral) >= 2
    assert not central.problems and not peripheral.problems
    started = [k for k in central.ltks if "LE Start Encryption" in k.source]
    replied = [k for k in peripheral.ltks if "Long Term Key Request Reply" in k.source]
    # The reconnection (the last of each): the bond's LTK, EDIV and Rand, and the peer.
    assert (started[-1].ltk, started[-1].ediv, started[-1].rand) == (
        bond.ltk,
        bond.ediv,
        bond.rand,
    )
    assert (replied[-1].ltk, replied[-1].ediv, replied[-1].rand) == (
        bond.ltk,
        bond.ediv,
        bond.rand,
    )
    assert started[-1].address == PERIPHERAL_ADDRESS
    assert replied[-1].address == CENTRAL_ADDRESS
    if bond.ediv:  # legacy: the pairing's own encryption used the STK, EDIV 0 / Rand 0
        assert (started[0].ediv, started[0].rand) == (0, bytes(8))
        assert started[0].ltk != bond.ltk


def test_keys_from_opens_the_air_capture_of_the_same_link(bond: Bond, tmp_path: Path) -> None:
    air = _air(tmp_path / "air.pcap", bond, bond.ediv, bond.rand)
    for host in (bond.central, bond.peripheral):
        keys = Keyring()
        load_host_keys(str(host), keys)
        a = analyze_file(air, keys=keys)
        assert a.decryption is not None
        assert (a.decryption.decrypted, a.decryption.not_decrypted) == (4, 0)
        [used] = a.decryption.keys
        assert used["key"].startswith(f"{host}: ")
        [err] = a.att_errors
        assert err.error == 0x0F  # Insufficient Encryption, read from the decrypted PDU


def test_other_ediv_rand_is_not_opened_with_the_host_key(bond: Bond, tmp_path: Path) -> None:
    """The same LTK under EDIV/Rand the host capture never used: not a candidate."""
    air = _air(tmp_path / "other.pcap", bond, bond.ediv ^ 0x5A5A, bytes(range(8)))
    keys = Keyring()
    load_host_keys(str(bond.central), keys)
    a = analyze_file(air, keys=keys)
    assert a.decryption is not None
    assert a.decryption.decrypted == 0 and a.decryption.not_decrypted > 0


def test_cli_keys_from_decrypts_and_keeps_the_key_secret(bond: Bond, tmp_path: Path) -> None:
    air = _air(tmp_path / "air.pcap", bond, bond.ediv, bond.rand)
    out, html = tmp_path / "out.pcapng", tmp_path / "report.html"
    keys_from = ["--keys-from", str(bond.central)]
    runs = {
        "decrypt": ["decrypt", str(air), "-o", str(out), *keys_from],
        "analyze": ["analyze", str(air), "--html", str(html), "--text", *keys_from],
        "json": ["analyze", "--json", str(air), *keys_from],
        "dump": ["dump", "--json", str(air), *keys_from],
    }
    texts = {}
    for name, args in runs.items():
        r = bpdiag_in_process(*args)  # all it prints, standard output and error
        assert r.returncode in (0, 1), (name, r.stderr)
        texts[name] = r.stdout + r.stderr
    texts["html"] = html.read_text()
    assert "4 decrypted" in texts["decrypt"]
    assert json.loads(texts["json"])["decryption"]["decrypted_packets"] == 4
    assert sum('"decrypted": true' in line for line in texts["dump"].splitlines()) == 3
    for name, text in texts.items():
        low = text.lower()
        assert bond.ltk.hex() not in low and bond.ltk[::-1].hex() not in low, name
    assert os.stat(out).st_mode & 0o777 == 0o600
    shown = bpdiag_in_process(*runs["decrypt"], "--show-keys")
    assert bond.ltk.hex() in shown.stdout
