"""The key a pairing gives, recomputed from its public values (Vol 3, Part H, 2.3.5, 2.4).

- Legacy (2.3.5.5): the TK is 0 (Just Works), a value exchanged out of band (OOB, given by
  the user) or the passkey (Passkey Entry, found by ``tk_search``); a TK is taken only when
  a side's confirm equals ``c1`` under it.  ``STK = s1(TK, Srand, Mrand)``.
- LE Secure Connections (2.3.5.6.1, 2.3.5.6.5): only when a side used the debug key pair,
  whose private key the spec publishes: ``DHKey`` is the P-256 product of that private key
  and the other side's public key, and ``(MacKey, LTK) = f5(DHKey, Na, Nb, A1, A2)``; the
  LTK is taken only when the initiator's DHKey Check ``Ea = f6(MacKey, Na, Nb, rb, IOcapA,
  A1, A2)`` — not checked here, the MIC of the first encrypted packet decides.

Inputs are as on air (``decryptor._Pairing``); results in spec order.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING

from bpdiag.capture.record import Direction
from bpdiag.crypto.keyring import Keyring, PasskeySearch
from bpdiag.crypto.smp_crypto import bd_addr, f5, from_wire, pairing_pdu_value, s1, sc_address
from bpdiag.crypto.tk_search import C1Inputs, passkey_tk, search_passkeys

if TYPE_CHECKING:
    from bpdiag.crypto.decryptor import _Pairing

C, P = Direction.C_TO_P, Direction.P_TO_C
Side = tuple[int, str]  # (address type bit, "AA:BB:CC:DD:EE:FF")


def c1_inputs(preq: bytes, pres: bytes, central: Side, peripheral: Side) -> C1Inputs | None:
    """c1's shared inputs from the Pairing Request/Response (as sent) and the addresses."""
    try:
        return C1Inputs(
            pairing_pdu_value(preq[:7]),
            pairing_pdu_value(pres[:7]),
            central[0] & 1,
            peripheral[0] & 1,
            bd_addr(central[1]),
            bd_addr(peripheral[1]),
        )
    except ValueError:
        return None


def _cache_key(confirm: bytes, rand: bytes, i: C1Inputs) -> tuple[bytes, ...]:
    return (confirm, rand, i.preq, i.pres, bytes([i.iat, i.rat]), i.ia, i.ra)


# Searches done in this process, by their public inputs (the answer is a function of them):
# a capture analysed again — the TUI following a growing file reloads it every 2 s, check
# then analyze, a batch with the same log twice — does not pay the 10^6 search again.
_SEARCHED: OrderedDict[tuple[bytes, ...], int | None] = OrderedDict()
_SEARCHED_MAX = 1024


def find_passkeys(
    targets: list[tuple[bytes, bytes]], inputs: C1Inputs, policy: PasskeySearch | None = None
) -> list[int | None] | None:
    """The passkey whose TK gives each ``(confirm, rand)`` (spec order); the sides not
    searched yet are searched together (one pass, shared key schedules).  With ``policy``,
    a pass over the passkeys is one of its searches: ``None`` when it allows none."""
    cache = _SEARCHED
    keys = [_cache_key(*t, inputs) for t in targets]
    todo = [t for t, k in zip(targets, keys, strict=True) if k not in cache]
    known: dict[tuple[bytes, bytes], int] = {}
    if todo and policy is not None:
        # The passkeys this analysis found before, one c1 each: a confirm one of them gives
        # is answered as the pass over all 10^6 would answer it, and costs no search.
        known = _known_passkeys(todo, inputs, policy)
        todo = [t for t in todo if t not in known]
        if todo and not policy.take():
            return None
    if policy is not None:
        policy.asked.update(keys)
    found: dict[tuple[bytes, bytes], int | None] = dict(known)
    if todo:
        found.update(zip(todo, search_passkeys(todo, inputs), strict=True))
    for t, passkey in found.items():
        cache[_cache_key(*t, inputs)] = passkey
    while len(cache) > _SEARCHED_MAX:
        cache.popitem(last=False)
    out = []
    for k in keys:
        cache.move_to_end(k)
        out.append(cache[k])
    if policy is not None:
        for passkey in out:
            if passkey is not None:
                policy.remember(passkey)
    return out


def _known_passkeys(
    targets: list[tuple[bytes, bytes]], inputs: C1Inputs, policy: PasskeySearch
) -> dict[tuple[bytes, bytes], int]:
    """The targets (``(confirm, rand)``) that a passkey in ``policy.found`` gives."""
    out: dict[tuple[bytes, bytes], int] = {}
    for passkey in reversed(policy.found):  # most recent first
        tk = passkey_tk(passkey)
        for confirm, rand in targets:
            if (confirm, rand) not in out and inputs.confirm(tk, rand) == confirm:
                out[confirm, rand] = passkey
        if len(out) == len(targets):
            break
    return out


def searched_passkey(
    confirm: bytes, rand: bytes, inputs: C1Inputs, policy: PasskeySearch
) -> tuple[bool, int | None]:
    """``(searched, passkey)``: whether this analysis (``policy``) already searched
    ``confirm`` with these inputs (e.g. to decrypt the link), and the passkey found then
    (None: none)."""
    k = _cache_key(confirm, rand, inputs)
    if k not in policy.asked or k not in _SEARCHED:
        return False, None
    return True, _SEARCHED[k]


def legacy_tk(
    confirm: bytes, rand: bytes, inputs: C1Inputs, keyring: Keyring, search: bool = True
) -> tuple[str, bytes, int | None] | None:
    """``(how, TK, passkey or None)`` for the TK that gives ``confirm`` from ``rand`` (both
    spec order): 0, one of the user's TKs, or (``search``, as the keyring's
    ``passkey_search`` allows) a passkey."""
    return legacy_tks([(confirm, rand)], inputs, keyring, search)


def legacy_tks(
    targets: list[tuple[bytes, bytes]], inputs: C1Inputs, keyring: Keyring, search: bool = True
) -> tuple[str, bytes, int | None] | None:
    """``legacy_tk`` for the first of ``targets`` (each side's ``(confirm, rand)``) that
    has one: TK 0 and the user's TKs are tried on every side before the passkeys are
    searched, all sides in one pass."""

    for confirm, rand in targets:
        if inputs.confirm(bytes(16), rand) == confirm:
            return "legacy, TK 0: Just Works or passkey 000000", bytes(16), None
        for tk in keyring.tks:
            if inputs.confirm(tk, rand) == confirm:
                return "legacy OOB, the TK given with --tk", tk, None
    if not search:
        return None
    passkeys = find_passkeys(targets, inputs, keyring.passkey_search)
    for passkey in passkeys or ():
        if passkey is not None:
            how = "legacy Passkey Entry, the passkey found from the confirm"
            return how, passkey_tk(passkey), passkey
    return None


def legacy_stks(
    p: _Pairing, central: Side, peripheral: Side, keyring: Keyring
) -> list[tuple[str, bytes]]:
    """The STK of a legacy pairing whose Mrand and Srand are both in the capture."""
    if p.preq is None or p.pres is None or C not in p.random or P not in p.random:
        return []
    inputs = c1_inputs(p.preq, p.pres, central, peripheral)
    if inputs is None:
        return []
    mrand, srand = from_wire(p.random[C]), from_wire(p.random[P])
    targets = [
        (from_wire(p.confirm[d]), rand) for d, rand in ((C, mrand), (P, srand)) if d in p.confirm
    ]
    # OOB (both OOB flags set, 2.3.5.1): the TK is not a passkey, so no search.
    oob = p.preq[2] == 1 and p.pres[2] == 1
    found = legacy_tks(targets, inputs, keyring, search=not oob)
    if found is None:
        return []
    how, tk, _ = found
    return [(f"STK ({how})", s1(tk, srand, mrand))]


def sc_debug_ltk(p: _Pairing, central: Side, peripheral: Side) -> bytes | None:
    """The LTK of an LE Secure Connections pairing in which a side used the debug key."""
    from cryptography.hazmat.primitives.asymmetric import ec

    from bpdiag.crypto.decryptor import DEBUG_PRIVATE_KEY, DEBUG_PUBLIC_X_WIRE

    if C not in p.public_x or P not in p.public_x or C not in p.random or P not in p.random:
        return None
    other = (
        P
        if p.public_x[C] == DEBUG_PUBLIC_X_WIRE
        else C
        if p.public_x[P] == DEBUG_PUBLIC_X_WIRE
        else None
    )
    if other is None:
        return None
    try:
        peer = ec.EllipticCurvePublicNumbers(
            int.from_bytes(from_wire(p.public_x[other]), "big"),
            int.from_bytes(from_wire(p.public_y[other]), "big"),
            ec.SECP256R1(),
        ).public_key()
        dhkey = ec.derive_private_key(DEBUG_PRIVATE_KEY, ec.SECP256R1()).exchange(ec.ECDH(), peer)
        a1 = sc_address(central[0] & 1, bd_addr(central[1]))
        a2 = sc_address(peripheral[0] & 1, bd_addr(peripheral[1]))
    except ValueError:
        return None
    return f5(dhkey, from_wire(p.random[C]), from_wire(p.random[P]), a1, a2)[1]
