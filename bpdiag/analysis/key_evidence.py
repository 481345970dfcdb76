"""Keys as evidence: which LTK each encryption used, compared with the keys the capture saw
distributed, and IRKs that tie resolvable private addresses to their identity.

Facts only (``KeyCheck``); ``rules/keys.py`` words the findings.

- HCI captures (Vol 4, Part E, 7.8.24 LE Enable Encryption: Rand, EDIV, LTK; 7.7.65.5 LE
  Long Term Key Request: Rand, EDIV, answered by 7.8.25 LE Long Term Key Request Reply: LTK):
  an encryption right after a pairing on the connection uses that pairing's key (the STK,
  or the LE Secure Connections LTK, which is then noted as the bond's key).  A later
  encryption with a stored key is compared with what the capture distributed for the same
  peer (Vol 3, Part H, 3.6.2 Encryption Information, 3.6.3 Central Identification):
  the same LTK and EDIV/Rand — ``distributed``; an LTK that is not the one this peer's
  pairing in the capture gave — ``other-pairing`` (one side kept a key from an older or
  another pairing: evidence that the bond is lost); no pairing with this peer in the
  capture — nothing is claimed.
- IRKs (3.6.4 Identity Information, with 3.6.5 Identity Address Information, or from a key
  file): a random address whose two most significant bits are 0b01 is resolvable (Vol 6,
  Part B, 1.3.2.2); ``ah(IRK, prand) == hash`` (Vol 3, Part H, 2.2.2) ties it to the identity.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bpdiag.analysis.model import Connection, Endpoint, Role
from bpdiag.crypto.keyring import Keyring
from bpdiag.crypto.smp_crypto import ah, bd_addr
from bpdiag.decode import smp
from bpdiag.decode.pdu import Layer, Pdu

_SMP, _HCI = Layer.SMP, Layer.HCI  # the per-PDU path compares with globals, not enum members
# The SMP commands that tell something about keys, by class (one dict lookup per PDU).
_FEATURES, _PUBLIC_KEY, _LTK, _EDIV_RAND, _IRK, _IDENTITY = range(6)
_SMP_KINDS: dict[type, int] = {
    smp.PairingRequest: _FEATURES,
    smp.PairingResponse: _FEATURES,
    smp.PairingPublicKey: _PUBLIC_KEY,
    smp.EncryptionInformation: _LTK,
    smp.CentralIdentification: _EDIV_RAND,
    smp.IdentityInformation: _IRK,
    smp.IdentityAddressInformation: _IDENTITY,
}


@dataclass(slots=True)
class KeyCheck:
    """One encryption's key compared with the capture's keys (no key values)."""

    connection: int
    frame: int
    verdict: str  # "distributed" | "other-pairing" | "pairing-key"
    peer: str | None
    source_frame: int | None  # where the matching / expected key was distributed
    how: str  # "le-start-encryption" | "ltk-request-reply"


@dataclass(slots=True)
class _Known:
    ltk: bytes
    ediv: int | None
    rand: bytes | None
    frame: int


@dataclass(slots=True)
class KeyTracker:
    keys: Keyring
    checks: list[KeyCheck] = field(default_factory=list)
    _by_peer: dict[str, list[_Known]] = field(default_factory=dict)
    _pending: dict[int, tuple[bytes, int]] = field(default_factory=dict)  # conn → LTK, frame
    _pairing_open: dict[int, bool] = field(default_factory=dict)  # conn → SC (public keys)
    _ltk_request: dict[int, tuple[int, bytes]] = field(default_factory=dict)
    # The IRKs with an identity, each (IRK, identity) once, in the order first seen: a bond
    # distributes the same IRK at every pairing, and ``resolve`` runs for every connection.
    _irks: list[tuple[bytes, str]] = field(default_factory=list)
    _irk_seen: set[tuple[bytes, str]] = field(default_factory=set)
    # address value → (how many of ``_irks`` were tried on it, the identity found): an
    # address is hashed once under each IRK, however many connections use it.
    _resolved: dict[bytes, tuple[int, str | None]] = field(default_factory=dict)
    _pending_irk: dict[int, tuple[bytes, int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for irk, identity in self.keys.irks:
            self._add_irk(irk, identity)

    def _add_irk(self, irk: bytes, identity: str | None) -> None:
        # An IRK without an identity resolves nothing (there is no one to name).
        if identity and (irk, identity) not in self._irk_seen:
            self._irk_seen.add((irk, identity))
            self._irks.append((irk, identity))

    def feed(self, pdu: Pdu, conn: Connection | None) -> None:
        if conn is None:
            return
        m: Any = pdu.msg
        layer = pdu.layer
        if layer == _SMP:
            kind = _SMP_KINDS.get(type(m))
            if kind is not None:  # most SMP PDUs tell nothing about keys
                self._smp(pdu, conn, m, kind)
        elif layer == _HCI:
            name = type(m).__name__
            if name == "LeEnableEncryption":
                self._used(
                    conn,
                    pdu.frame,
                    bytes(m.ltk)[::-1],
                    m.ediv,
                    bytes(m.rand),
                    "le-start-encryption",
                )
            elif name == "LeLtkRequest":
                self._ltk_request[conn.id] = (m.ediv, bytes(m.rand))
            elif name == "LeLtkReply":
                ediv, rand = self._ltk_request.pop(conn.id, (None, None))
                self._used(conn, pdu.frame, bytes(m.ltk)[::-1], ediv, rand, "ltk-request-reply")

    def _peer(self, conn: Connection) -> Endpoint:
        return conn.central if conn.local_role == Role.PERIPHERAL else conn.peripheral

    def _peer_key(self, conn: Connection) -> str | None:
        ep = self._peer(conn)
        return ep.identity or ep.address

    def _smp(self, pdu: Pdu, conn: Connection, m: Any, kind: int) -> None:
        """``m`` is a command of ``_SMP_KINDS``, ``kind`` its entry."""
        if kind == _FEATURES:
            self._pairing_open.setdefault(conn.id, False)
        elif kind == _PUBLIC_KEY:
            self._pairing_open[conn.id] = True
        elif kind == _LTK:
            self._pending[conn.id] = (bytes(m.ltk)[::-1], pdu.frame)
        elif kind == _EDIV_RAND:
            if conn.id in self._pending:
                ltk, frame = self._pending.pop(conn.id)
                peer = self._peer_key(conn)
                if peer:
                    known = _Known(ltk, m.ediv, bytes(m.rand), frame)
                    self._by_peer.setdefault(peer, []).append(known)
        elif kind == _IRK:
            self._pending_irk[conn.id] = (bytes(m.irk)[::-1], pdu.frame)
        elif conn.id in self._pending_irk:  # _IDENTITY
            irk, _frame = self._pending_irk.pop(conn.id)
            if any(m.address):  # all zero: the log did not give it (hcidump's text)
                # AA:BB:CC:DD:EE:FF, most significant octet first (smp.format_bd_addr)
                identity = bytes(m.address)[::-1].hex(":").upper()
                self._add_irk(irk, identity)

    def _used(
        self,
        conn: Connection,
        frame: int,
        ltk: bytes,
        ediv: int | None,
        rand: bytes | None,
        how: str,
    ) -> None:
        self.resolve(self._peer(conn))
        peer = self._peer_key(conn)
        if conn.id in self._pairing_open:
            # The key of the pairing just run on this connection (STK or SC LTK): an SC LTK
            # (EDIV 0, Rand 0) is the bond's key from now on.
            sc = self._pairing_open.pop(conn.id)
            if sc and peer and ediv == 0 and rand == bytes(8):
                self._by_peer.setdefault(peer, []).append(_Known(ltk, 0, bytes(8), frame))
            return
        known = self._by_peer.get(peer or "", [])
        if not known:
            return  # no pairing with this peer in the capture: nothing to compare with
        same = [k for k in known if k.ltk == ltk]
        verdict = "distributed" if same else "other-pairing"
        source = (same or known)[-1].frame
        self.checks.append(KeyCheck(conn.id, frame, verdict, peer, source, how))

    def resolve(self, ep: Endpoint) -> None:
        """Set ``ep.identity`` when an IRK resolves its resolvable private address."""
        if ep.address is None or getattr(ep, "identity", None):
            return
        try:
            value = bd_addr(ep.address)
        except ValueError:
            return
        if value[0] >> 6 != 0b01 or (ep.address_type and "public" in ep.address_type):
            return
        tried, found = self._resolved.get(value, (0, None))
        if found is None:
            # Only the IRKs learned since this address was last tried; the first that
            # resolves it wins, as a scan of the whole list in order would give.
            for irk, identity in self._irks[tried:]:
                if ah(irk, value[:3]) == value[3:]:
                    found = identity
                    break
            self._resolved[value] = (len(self._irks), found)
        if found is not None:
            ep.identity = found

    def finish(self, connections: list[Connection]) -> None:
        """Resolve every connection's addresses with the IRKs learnt, then free what only
        feeding reads (the keys per peer, the addresses tried): ``checks`` is what stays."""
        for c in connections:
            self.resolve(c.central)
            self.resolve(c.peripheral)
        for state in (
            self._by_peer,
            self._pending,
            self._pairing_open,
            self._ltk_request,
            self._resolved,
            self._pending_irk,
        ):
            state.clear()
