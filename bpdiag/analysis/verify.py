"""What the public values of a pairing prove, recomputed with the SMP toolbox.

A capture holds everything both sides committed to in phase 2 except the secrets (the TK of a
passkey or OOB legacy pairing, the DHKey). Several of the spec's checks use public values only,
so bpdiag can redo them and say which side computed what:

- **LE Secure Connections, Just Works and Numeric Comparison** (Vol 3, Part H, 2.3.5.6.2):
  the responder's commitment ``Cb = f4(PKbx, PKax, Nb, 0)`` — its public key and nonce are in
  the capture — and the six digits both users were shown, ``g2(PKax, PKbx, Na, Nb) mod 10^6``.
- **LE Secure Connections, Passkey Entry** (2.3.5.6.3): in round *i* each side commits to one
  bit of its passkey, ``Cai = f4(PKax, PKbx, Nai, 0x80|ri)``; once the nonce is revealed the
  bit can be read back. So the capture tells whether both sides used the same passkey, and
  from which bit they differ — without printing the passkey.
- **LE legacy, Just Works** (2.3.5.5): the TK is zero, so ``Mconfirm``/``Sconfirm`` can be
  recomputed with ``c1`` from the Pairing Request/Response and the two addresses.

A check is reported only when every input is in the capture; "mismatch" is said only when the
inputs are certain (legacy: when the other side's confirm verifies with the same inputs, or
with any address type the recorded addresses are ambiguous about).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bpdiag.analysis.model import (
    Check,
    CheckFact,
    CheckKind,
    CheckResult,
    Connection,
    Method,
    Pairing,
    Side,
)
from bpdiag.crypto.keyring import Keyring
from bpdiag.decode import smp


@dataclass(slots=True)
class _Values:
    """The phase-2 values of one pairing, per side, in the order they were sent."""

    pk: dict[str, bytes]  # "i"/"r" → X coordinate (spec order)
    pky: dict[str, tuple[int, bytes]]  # "i"/"r" → (frame, Y coordinate, spec order)
    confirms: dict[str, list[tuple[int, bytes]]]
    randoms: dict[str, list[tuple[int, bytes]]]
    preq: bytes | None
    pres: bytes | None
    # Per side, one entry per Pairing Random: the Confirm that side sent since its previous
    # Random (None when the capture missed it) and the Random — a missed PDU shifts nothing.
    rounds: dict[str, list[tuple[tuple[int, bytes] | None, tuple[int, bytes]]]]


_SIDE = {"central": "i", "peripheral": "r"}
# The commands verify reads, straight from their wire bytes (``Steps.wire``: nothing is
# decoded); each has a fixed layout, the code octet first.  Plain ints: compared per step.
_PREQ = int(smp.CommandCode.PAIRING_REQUEST)  # 3.5.1: kept whole (the c1 input ``preq``)
_PRES = int(smp.CommandCode.PAIRING_RESPONSE)  # 3.5.2: kept whole (``pres``)
_CONFIRM = int(smp.CommandCode.PAIRING_CONFIRM)  # 3.5.3: the 16-octet confirm value at 1
_RANDOM = int(smp.CommandCode.PAIRING_RANDOM)  # 3.5.4: the 16-octet random value at 1
_PK = int(smp.CommandCode.PAIRING_PUBLIC_KEY)  # 3.5.6: X (32 octets) at 1, Y (32 octets) at 33
_READ = frozenset({_PREQ, _PRES, _CONFIRM, _RANDOM, _PK})


def _collect(p: Pairing) -> _Values:
    from bpdiag.crypto.smp_crypto import from_wire

    side = _SIDE
    v = _Values({}, {}, {"i": [], "r": []}, {"i": [], "r": []}, None, None, {"i": [], "r": []})
    pending: dict[str, tuple[int, bytes] | None] = {"i": None, "r": None}
    for frame, sender, pdu in p.steps.wire(_READ):
        code = pdu[0]
        if code == _PREQ:
            v.preq = pdu
            continue
        if code == _PRES:
            v.pres = pdu
            continue
        who = side.get(sender)
        if who is None:
            continue
        if code == _PK:
            v.pk.setdefault(who, from_wire(pdu[1:33]))
            v.pky.setdefault(who, (frame, from_wire(pdu[33:65])))
        elif code == _CONFIRM:
            pending[who] = value = (frame, from_wire(pdu[1:17]))
            v.confirms[who].append(value)
        else:
            value = (frame, from_wire(pdu[1:17]))
            v.randoms[who].append(value)
            v.rounds[who].append((pending[who], value))
            pending[who] = None
    return v


# The SMP debug key pair's public key (Vol 3, Part H, 2.3.5.6.1), spec order.
DEBUG_PUBLIC_X = bytes.fromhex("20b003d2f297be2c5e2c83a7e9f9a5b9eff49111acf4fddbcc0301480e359de6")
DEBUG_PUBLIC_Y = bytes.fromhex("dc809c49652aeb6d63329abf5a52155c766345c28fed3024741c8ed01589d28b")


def verify(p: Pairing, conn: Connection | None, keys: Keyring | None = None) -> None:
    """Fill ``p.checks`` (and ``p.numeric_value``) from what the capture holds; legacy
    Passkey Entry and OOB TKs are recovered by ``analysis.legacy_tk`` (with ``keys``)."""
    if not p.public_keys and (not p.confirms or not p.randoms):
        return
    v = _collect(p)
    _public_keys(p, v)
    if not p.confirms or not p.randoms:
        return
    if p.secure_connections:
        if "i" not in v.pk or "r" not in v.pk:
            return
        if p.method in (Method.JUST_WORKS, Method.NUMERIC_COMPARISON):
            _sc_just_works(p, v)
        elif p.method == Method.PASSKEY_ENTRY:
            _sc_passkey(p, v)
    elif p.secure_connections is False and p.method == Method.JUST_WORKS:
        _legacy_just_works(p, v, conn)
    elif p.secure_connections is False and p.method in (Method.PASSKEY_ENTRY, Method.OOB):
        from bpdiag.analysis.legacy_tk import legacy_secret

        legacy_secret(p, v, conn, keys if keys is not None else Keyring())


# P-256 (FIPS 186-4, D.1.2.3; SEC 2, 2.4.2): y^2 = x^3 - 3x + b over GF(p).
_P256_P = 2**256 - 2**224 + 2**192 + 2**96 - 1
_P256_B = 0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B


def on_p256(x: int, y: int) -> bool:
    """Whether (x, y) is an affine point of P-256 (coordinates below p, the curve's
    equation holds) — what a public key must be (Vol 3, Part H, 2.3.5.6.1)."""
    p = _P256_P
    return 0 <= x < p and 0 <= y < p and (y * y - (x * x * x - 3 * x + _P256_B)) % p == 0


def _public_keys(p: Pairing, v: _Values) -> None:
    """Each side's P-256 public key: the debug key (2.3.5.6.1) or not a point on the curve
    (which the peer must refuse, 2.3.5.6.1) are reported; a valid key is not listed."""
    for who, key in ((Side.INITIATOR, "i"), (Side.RESPONDER, "r")):
        if key not in v.pk:
            continue
        x, (frame, y) = v.pk[key], v.pky[key]
        if x == DEBUG_PUBLIC_X and y == DEBUG_PUBLIC_Y:
            kind, fact = CheckKind(f"{who}_debug_key"), CheckFact.DEBUG_KEY
        elif not on_p256(int.from_bytes(x, "big"), int.from_bytes(y, "big")):
            kind, fact = CheckKind(f"{who}_public_key"), CheckFact.OFF_CURVE
        else:
            continue  # a valid key, not listed
        p.add_check(Check(kind, frame, CheckResult.MISMATCH, fact=fact, spec="2.3.5.6.1", side=who))


def _sc_just_works(p: Pairing, v: _Values) -> None:
    from bpdiag.crypto.smp_crypto import f4, g2, numeric_comparison_digits

    pka, pkb = v.pk["i"], v.pk["r"]
    if v.confirms["r"] and v.randoms["r"]:
        (cframe, cb), (nframe, nb) = v.confirms["r"][0], v.randoms["r"][0]
        ok = f4(pkb, pka, nb, b"\x00") == cb
        p.add_check(
            Check(
                CheckKind.RESPONDER_CONFIRM,
                cframe,
                CheckResult.MATCH if ok else CheckResult.MISMATCH,
                fact=CheckFact.SC_CONFIRM,
                spec="2.3.5.6.2",
                side=Side.RESPONDER,
                inputs=(nframe,),
            )
        )
    if p.method == Method.NUMERIC_COMPARISON and v.randoms["i"] and v.randoms["r"]:
        na, nb = v.randoms["i"][0][1], v.randoms["r"][0][1]
        p.numeric_value = numeric_comparison_digits(g2(pka, pkb, na, nb))


_MISSING = -1  # the capture missed this round's Pairing Confirm
_BAD = -2  # the confirm matches neither bit


def _sc_passkey(p: Pairing, v: _Values) -> None:
    """Read back the passkey bit each side committed to in each round (2.3.5.6.3)."""
    from bpdiag.crypto.smp_crypto import f4

    pka, pkb = v.pk["i"], v.pk["r"]

    def bits(own: bytes, peer: bytes, rounds: list[Any]) -> list[int]:
        out: list[int] = []
        for confirm, (_nf, n) in rounds:
            if confirm is None:
                out.append(_MISSING)
                continue
            found = [b for b in (0, 1) if f4(own, peer, n, bytes([0x80 | b])) == confirm[1]]
            out.append(found[0] if found else _BAD)
        return out

    ib = bits(pka, pkb, v.rounds["i"])
    rb = bits(pkb, pka, v.rounds["r"])
    if not v.randoms["i"]:
        return  # the initiator's nonces are missing (or their direction is unknown)
    last = max(f for f, _n in v.randoms["i"] + v.randoms["r"])
    for who, key, side_bits in ((Side.INITIATOR, "i", ib), (Side.RESPONDER, "r", rb)):
        if _BAD in side_bits:
            k = side_bits.index(_BAD)
            confirm = v.rounds[key][k][0]
            assert confirm is not None
            p.add_check(
                Check(
                    CheckKind(f"{who}_passkey_commitment"),
                    confirm[0],
                    CheckResult.MISMATCH,
                    fact=CheckFact.SC_PASSKEY_COMMITMENT,
                    spec="2.3.5.6.3",
                    side=who,
                    round=k + 1,
                )
            )
            return
    both = [
        (k, a, b) for k, (a, b) in enumerate(zip(ib, rb, strict=False)) if _MISSING not in (a, b)
    ]
    differ = [k for k, a, b in both if a != b]
    missed = sum(1 for k in range(min(len(ib), len(rb))) if _MISSING in (ib[k], rb[k]))
    rounds = len(ib)
    if differ:
        k = differ[0]
        p.add_check(
            Check(
                CheckKind.PASSKEY_AGREEMENT,
                last,
                CheckResult.MISMATCH,
                fact=CheckFact.SC_PASSKEY_BITS,
                spec="2.3.5.6.3",
                round=k + 1,
                expected=ib[k],
                got=rb[k],
            )
        )
    elif rounds > len(rb) and p.failure is not None and p.failure.sent_by == Side.RESPONDER:
        # The responder checked the initiator's commitment of the last round with its own bit,
        # found it wrong and stopped before revealing its nonce.
        p.add_check(
            Check(
                CheckKind.PASSKEY_AGREEMENT,
                v.randoms["i"][-1][0],
                CheckResult.MISMATCH,
                fact=CheckFact.SC_PASSKEY_REFUSED,
                spec="2.3.5.6.3",
                side=Side.RESPONDER,
                round=rounds,
                expected=ib[rounds - 1] if ib[rounds - 1] >= 0 else None,  # its bit, if seen
            )
        )
    elif both:
        p.add_check(
            Check(
                CheckKind.PASSKEY_AGREEMENT,
                last,
                CheckResult.MATCH,
                fact=CheckFact.SC_PASSKEY_BITS,
                spec="2.3.5.6.3",
                rounds=len(both),
                unchecked=missed,
            )
        )


def _address(endpoint: Any) -> tuple[bytes, int | None] | None:
    """An endpoint's address (spec order) and its type bit, None when the type is not certain
    (an identity address the controller resolved stands for a private one on air)."""
    from bpdiag.crypto.smp_crypto import bd_addr

    if endpoint is None or not endpoint.address:
        return None
    try:
        value = bd_addr(endpoint.address)
    except ValueError:
        return None
    kind = endpoint.address_type or ""
    if kind == "public":
        return value, 0
    if kind == "random":
        return value, 1
    return value, None


_Address = tuple[bytes, int | None]


_Sides = dict[Side, tuple[tuple[int, bytes], tuple[int, bytes]]]  # who → (frame, value) twice


def legacy_inputs(
    v: _Values, conn: Connection
) -> tuple[_Address, _Address, bytes, bytes, _Sides] | None:
    """What c1 (Vol 3, Part H, 2.2.3) needs from a legacy pairing: both addresses, the
    Pairing Request and Response values, and each side's (confirm, random) where the capture
    holds both; ``None`` when something is missing."""
    from bpdiag.crypto.smp_crypto import pairing_pdu_value

    if v.preq is None or v.pres is None:
        return None
    ia, ra = _address(conn.central), _address(conn.peripheral)
    if ia is None or ra is None:
        return None
    preq, pres = pairing_pdu_value(v.preq[:7]), pairing_pdu_value(v.pres[:7])
    sides = {
        who: (v.confirms[key][0], v.randoms[key][0])
        for who, key in ((Side.INITIATOR, "i"), (Side.RESPONDER, "r"))
        if v.confirms[key] and v.randoms[key]
    }
    if not sides:
        return None
    return ia, ra, preq, pres, sides


def _legacy_just_works(p: Pairing, v: _Values, conn: Connection | None) -> None:
    """Recompute Mconfirm and Sconfirm with TK = 0 (2.3.5.5)."""
    from bpdiag.crypto.smp_crypto import c1

    inputs = legacy_inputs(v, conn) if conn is not None else None
    if inputs is None:
        return
    ia, ra, preq, pres, sides = inputs
    tk = bytes(16)
    types = [(ia[1], ra[1])] if None not in (ia[1], ra[1]) else []
    types += [(a, b) for a in (0, 1) for b in (0, 1) if (a, b) not in types]

    def verifies(who: Side) -> bool:
        """Whether the side's confirm equals c1 with TK 0 under some address types."""
        (_cf, conf), (_nf, rand) = sides[who]
        return any(
            c1(tk, rand, preq, pres, iat or 0, rat or 0, ia[0], ra[0]) == conf for iat, rat in types
        )

    ok = {who: verifies(who) for who in sides}
    for who, ((cframe, _c), _r) in sides.items():
        # A mismatch is certain only when the other side verifies with the same inputs.
        if ok[who] or any(ok[o] for o in sides if o != who):
            p.add_check(
                Check(
                    CheckKind(f"{who}_confirm"),
                    cframe,
                    CheckResult.MATCH if ok[who] else CheckResult.MISMATCH,
                    fact=CheckFact.LEGACY_JW_CONFIRM,
                    spec="2.3.5.5",
                    side=who,
                )
            )
