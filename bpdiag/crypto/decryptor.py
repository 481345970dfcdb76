"""Decrypting an air capture's encrypted links (Core v5.4, Vol 6, Part E; Vol 3, Part H).

``LinkDecryptor`` is the one object the LL stream talks to.  It is told every PDU the stream
decodes (``observe``: CONNECT_IND for the addresses, the SMP pairing PDUs, LL_ENC_REQ /
LL_ENC_RSP, the keys distributed once a link is decrypted) and asked, for each payload the
stream would otherwise skip as ciphertext, for its plaintext (``decrypt``).

Where the key comes from, per encryption start (LL_ENC_REQ):

- EDIV = 0 and Rand = 0 right after a pairing on the link: the pairing's key, recovered from
  the capture — legacy (2.3.5.5): ``STK = s1(TK, Srand, Mrand)`` with TK 0 (Just Works), a
  TK the user gave (OOB, ``--tk``), or the passkey found by searching all 10^6 against a
  side's confirm (``tk_search``); LE Secure Connections (2.3.5.6): when a side used the
  spec's debug key pair (2.3.5.6.1), ``DHKey = P-256(debug private key, the other side's
  public key)`` and ``LTK = f5(DHKey, Na, Nb, A1, A2)``;
- keys the ``Keyring`` holds: tied to this EDIV/Rand first (distributed earlier in this
  capture, read from a key store or a host capture), those filed under one of the link's
  addresses before the others, then the user's ``--ltk`` values.

A key is taken only when a packet's MIC verifies under it.  Packet counters (2.1) are kept
per direction; when the sniffer missed packets the counter is searched forward at most
``MAX_SKIP`` values, and the values skipped are counted.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bpdiag.capture.record import Direction
from bpdiag.crypto import ll_crypto
from bpdiag.crypto.keyring import Keyring, KnownKey
from bpdiag.crypto.ll_crypto import LinkCipher
from bpdiag.decode import smp
from bpdiag.decode.ll import AdvPduType
from bpdiag.decode.pdu import Layer, Pdu

MAX_SKIP = 64
# An encryption whose first packets no candidate key opens is given up after this many, so
# a capture of a link bpdiag has no key for costs a few searches per key (each packet: every
# key, both directions, MAX_SKIP + 1 counters — 130 AES-CCM tries a key), not a search per
# packet for the rest of the capture.  A right key opens the first packet it is tried on
# unless that packet was damaged or not ciphertext at all; a few more packets cover that
# (on every capture in the corpus the key opened the first one).
GIVE_UP_AFTER = 4
# Vol 3, Part H, 2.3.5.6.1: the debug private key (spec order).
DEBUG_PRIVATE_KEY = 0x3F49F6D4A3C55F3874C9B3E3D2103F504AFF607BEB40B7995899B8A6CD3C1ABD
DEBUG_PUBLIC_X_WIRE = bytes.fromhex(
    "20b003d2f297be2c5e2c83a7e9f9a5b9eff49111acf4fddbcc0301480e359de6"
)[::-1]

C, P, U = Direction.C_TO_P, Direction.P_TO_C, Direction.UNKNOWN
_LL_ENC_REQ, _LL_ENC_RSP = 0x03, 0x04


@dataclass(slots=True)
class _Pairing:
    """The public values of the last pairing on a link, as on air."""

    preq: bytes | None = None
    pres: bytes | None = None
    confirm: dict[Direction, bytes] = field(default_factory=dict)  # first per side
    random: dict[Direction, bytes] = field(default_factory=dict)  # last per side
    first_random: dict[Direction, bytes] = field(default_factory=dict)
    public_x: dict[Direction, bytes] = field(default_factory=dict)
    public_y: dict[Direction, bytes] = field(default_factory=dict)


@dataclass(slots=True)
class _Session:
    """One encryption start: its parameters, candidate keys and per-direction counters."""

    ediv: int
    rand: bytes
    skd_m: bytes
    iv_m: bytes
    skd_s: bytes | None = None
    iv_s: bytes | None = None
    ciphers: list[tuple[str, LinkCipher]] | None = None  # None: not built yet
    locked: tuple[str, LinkCipher] | None = None
    key_of: dict[str, bytes] = field(default_factory=dict)  # label → LTK/STK
    counter: dict[bool, int] = field(default_factory=lambda: {True: 0, False: 0})
    failures: int = 0  # packets no candidate opened while no key is locked


@dataclass(slots=True)
class _Link:
    central: tuple[int, str] | None = None  # (address type bit, "AA:BB:…")
    peripheral: tuple[int, str] | None = None
    pairing: _Pairing | None = None
    session: _Session | None = None
    pending_ltk: tuple[bytes, Direction, int] | None = None  # Encryption Information seen


@dataclass(slots=True)
class KeyUse:
    """Which key opened which encryption (for the report; the key itself stays in the
    keyring and is shown only with --show-keys)."""

    access_address: int
    frame: int  # the first packet it decrypted
    source: str  # "STK (legacy Just Works, TK 0)", "--ltk", "key distribution #123", …
    key: bytes = b""  # the LTK/STK (spec order): rendered only through keyring.redact


class LinkDecryptor:
    """Decrypts the encrypted links of one air capture.  Never raises on bad input."""

    def __init__(self, keyring: Keyring | None = None) -> None:
        self.keyring = keyring if keyring is not None else Keyring()
        self._links: dict[int, _Link] = {}
        self.decrypted = 0  # packets decrypted
        self.failed = 0  # encrypted packets no known key and counter verified
        self.skipped_counters = 0  # counter values skipped (packets the sniffer missed)
        self.last_frame = 0  # the frame of the last packet decrypted
        self.last_plain = b""  # its plaintext (MIC removed)
        self.last_from_central: bool | None = None  # its direction, as the MIC proved it
        self.uses: list[KeyUse] = []
        self._frame = 0

    # ------------------------------------------------------------------ observe
    def observe(self, pdu: Pdu) -> None:
        """Note what a decoded PDU tells about keys (call for every PDU, in order)."""
        link = pdu.link
        if pdu.layer == Layer.ADV and pdu.opcode == AdvPduType.CONNECT_IND and link is not None:
            m = pdu.msg
            aa = link[1]
            self._links[aa] = _Link(
                (getattr(m, "init_address_type", 0), getattr(m, "init_address", "")),
                (getattr(m, "adv_address_type", 0), getattr(m, "adv_address", "")),
            )
            return
        if link is None or link[0] != "ll":
            return
        aa = link[1]
        st = self._links.setdefault(aa, _Link())
        if pdu.layer == Layer.LL:
            self._ll(st, pdu)
        elif pdu.layer == Layer.SMP:
            self._smp(st, pdu)

    def _ll(self, st: _Link, pdu: Pdu) -> None:
        m = pdu.msg
        if pdu.opcode == _LL_ENC_REQ and pdu.direction is not P:
            st.session = _Session(m.ediv, bytes(m.rand), bytes(m.skd_c), bytes(m.iv_c))  # type: ignore[attr-defined]
        elif pdu.opcode == _LL_ENC_RSP and st.session is not None and pdu.direction is not C:
            st.session.skd_s = bytes(m.skd_p)  # type: ignore[attr-defined]
            st.session.iv_s = bytes(m.iv_p)  # type: ignore[attr-defined]

    def _smp(self, st: _Link, pdu: Pdu) -> None:
        m, d = pdu.msg, pdu.direction
        if isinstance(m, smp.PairingRequest):
            st.pairing = _Pairing(preq=bytes(m)[:7])
            return
        p = st.pairing
        if isinstance(m, smp.PairingResponse):
            if p is None:
                p = st.pairing = _Pairing()
            p.pres = bytes(m)[:7]
        elif p is not None and isinstance(m, smp.PairingConfirm):
            p.confirm.setdefault(d, bytes(m.confirm))
        elif p is not None and isinstance(m, smp.PairingRandom):
            p.random[d] = bytes(m.random)
            p.first_random.setdefault(d, bytes(m.random))
        elif p is not None and isinstance(m, smp.PairingPublicKey):
            p.public_x.setdefault(d, bytes(m.x))
            p.public_y.setdefault(d, bytes(m.y))
        elif isinstance(m, smp.EncryptionInformation):
            st.pending_ltk = (bytes(m.ltk)[::-1], d, pdu.frame)
        elif isinstance(m, smp.CentralIdentification) and st.pending_ltk is not None:
            ltk, sender, frame = st.pending_ltk
            st.pending_ltk = None
            side = st.central if sender is C else st.peripheral if sender is P else None
            self.keyring.learn_ltk(
                KnownKey(
                    ltk,
                    f"distributed in the capture (#{frame})",
                    m.ediv,
                    bytes(m.rand),
                    side[1] if side else None,
                    frame,
                )
            )

    # ------------------------------------------------------------------ decrypt
    def decrypt(self, aa: int, direction: Direction, header0: int, payload: bytes) -> bytes | None:
        """The plaintext of an encrypted data PDU payload (MIC verified and removed), or
        ``None``.  ``header0`` is the data PDU header's first octet."""
        st = self._links.get(aa)
        s = st.session if st is not None else None
        if s is None or s.skd_s is None or s.iv_s is None or len(payload) <= 4:
            self.failed += 1
            return None
        if s.ciphers is None:
            s.ciphers = self._ciphers(st, s)  # type: ignore[arg-type]
        if s.locked is None and (not s.ciphers or s.failures >= GIVE_UP_AFTER):
            self.failed += 1
            return None
        # The expected counter in the direction the stream gives, then in the other (an
        # inferred direction can be wrong, and the MIC — the direction bit is in the nonce —
        # tells the truth), and only then the counters after them (packets the sniffer
        # missed), in the given direction first.  A MIC verifies under one (direction,
        # counter) only, so the order changes what is tried, not what is found.
        given = direction is not P
        tries = [s.locked] if s.locked is not None else s.ciphers
        for label, cipher in tries:
            found = self._open(s, cipher, given, header0, payload)
            if found is None:
                continue
            central, k, plain = found
            s.counter[central] += k + 1
            self.skipped_counters += k
            if s.locked is None:
                s.locked = (label, cipher)
                self.uses.append(KeyUse(aa, self._frame, label, s.key_of.get(label, b"")))
            self.decrypted += 1
            self.last_frame = self._frame
            self.last_plain = plain
            self.last_from_central = central
            return plain
        if s.locked is None:
            s.failures += 1
        self.failed += 1
        return None

    @staticmethod
    def _open(
        s: _Session, cipher: LinkCipher, given: bool, header0: int, payload: bytes
    ) -> tuple[bool, int, bytes] | None:
        """``(from the central?, counter values skipped, plaintext)`` of the first counter
        that opens ``payload`` under ``cipher``, or ``None``.  Tried in turn: the expected
        counter in the ``given`` direction, then in the other, then the ``MAX_SKIP``
        counters after it in the given direction and those in the other
        (``LinkCipher.first_opening`` tries the two runs at once)."""
        for central in (given, not given):
            counter = s.counter[central]
            if counter <= ll_crypto.COUNTER_MAX:
                plain = cipher.decrypt(counter, central, header0, payload)
                if plain is not None:
                    return central, 0, plain
        runs = [(s.counter[central] + 1, central) for central in (given, not given)]
        at = cipher.first_opening(runs, MAX_SKIP, header0, payload)
        if at < 0:
            return None
        first, central = runs[at // MAX_SKIP]
        k = at % MAX_SKIP
        plain = cipher.decrypt(first + k, central, header0, payload)
        return None if plain is None else (central, k + 1, plain)

    def at_frame(self, frame: int) -> None:
        """The frame the next ``decrypt`` call is for (for ``last_frame`` and ``uses``)."""
        self._frame = frame

    def _ciphers(self, st: _Link, s: _Session) -> list[tuple[str, LinkCipher]]:
        assert s.skd_s is not None and s.iv_s is not None
        keys: list[tuple[str, bytes]] = []
        if s.ediv == 0 and s.rand == bytes(8) and st.pairing is not None:
            keys += self._pairing_keys(st, st.pairing)
        addresses = tuple(side[1] for side in (st.central, st.peripheral) if side is not None)
        keys += [(k.source, k.ltk) for k in self.keyring.candidates(s.ediv, s.rand, addresses)]
        out: list[tuple[str, LinkCipher]] = []
        iv = ll_crypto.iv(s.iv_m, s.iv_s)
        seen: set[bytes] = set()
        for label, key in keys:
            if key in seen:
                continue
            seen.add(key)
            s.key_of[label] = key
            out.append((label, LinkCipher(ll_crypto.session_key(key, s.skd_m, s.skd_s), iv)))
        return out

    def _pairing_keys(self, st: _Link, p: _Pairing) -> list[tuple[str, bytes]]:
        from bpdiag.crypto.link_keys import legacy_stks, sc_debug_ltk

        if st.central is None or st.peripheral is None:
            return []
        if p.public_x:
            ltk = sc_debug_ltk(p, st.central, st.peripheral)
            if ltk is None:
                return []
            self.keyring.learn_ltk(KnownKey(ltk, "LE Secure Connections (debug key)", 0, bytes(8)))
            return [("LTK (LE Secure Connections, debug key)", ltk)]
        return legacy_stks(p, st.central, st.peripheral, self.keyring)
