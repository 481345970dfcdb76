"""The TK of a legacy Passkey Entry or OOB pairing, recovered from its confirms.

Vol 3, Part H, 2.3.5.3: in Passkey Entry the TK is the passkey (0–999,999) as a 128-bit
value; 2.3.5.4: in OOB it is the 128-bit value exchanged out of band.  Each side's
``Mconfirm``/``Sconfirm = c1(TK, Mrand/Srand, preq, pres, iat, rat, ia, ra)`` is in the
capture, so once a side's random is revealed its TK can be searched (passkey) or checked (a
TK the user gives with ``--tk``).  Each side is searched on its own, so a failed pairing says
which passkey each side used.

The passkey of a successful pairing protects the bond (with it the STK, then the distributed
keys, follow), so it is a ``Check.secret``: shown with --show-keys only.  The passkey of a
failed pairing protects nothing and is stated.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bpdiag.analysis.model import (
    Check,
    CheckFact,
    CheckKind,
    CheckResult,
    Method,
    NotSearched,
    Outcome,
    Pairing,
    Side,
)
from bpdiag.crypto.keyring import Keyring, PasskeySearch, SearchMode
from bpdiag.crypto.link_keys import find_passkeys, legacy_tk, searched_passkey
from bpdiag.crypto.tk_search import C1Inputs, passkey_tk

if TYPE_CHECKING:
    from bpdiag.analysis.model import Connection
    from bpdiag.analysis.verify import _Values

_OTHER = {Side.INITIATOR: Side.RESPONDER, Side.RESPONDER: Side.INITIATOR}


def _types(
    ia: tuple[bytes, int | None], ra: tuple[bytes, int | None], air: bool = True
) -> list[tuple[int, int]]:
    """Address type bits to try: the recorded ones first, then the other three (an HCI
    capture may record the local address type the host asked for, not the one used)."""
    first = (ia[1] or 0, ra[1] or 0)
    # Next, the types a static random address (two most significant bits 0b11, Vol 6,
    # Part B, 1.3.2.1) suggests: an HCI capture may record a random central as public.
    guess = tuple(1 if a[0][0] >> 6 == 0b11 else t for a, t in ((ia, first[0]), (ra, first[1])))
    # On air the types come from the CONNECT_IND (certain); in an HCI capture the guess goes
    # first.
    order = [first, guess] if air else [guess, first]
    order += [(a, b) for a in (0, 1) for b in (0, 1)]
    return list(dict.fromkeys(order))  # type: ignore[arg-type]


def legacy_secret(p: Pairing, v: _Values, conn: Connection | None, keys: Keyring) -> None:
    from bpdiag.analysis.verify import legacy_inputs

    if conn is None:
        return
    recorded = legacy_inputs(v, conn)
    if recorded is None:
        return
    ia, ra, preq, pres, sides = recorded
    if p.method == Method.OOB:
        _oob(p, sides, preq, pres, ia, ra, keys)
        return
    found, skipped = _search(p, sides, ia, ra, preq, pres, conn.local_role is None, keys)
    if skipped is not None:
        frame = min(c[0] for c, _r in sides.values())
        p.add_check(
            Check(
                CheckKind.PASSKEY_SEARCH,
                frame,
                CheckResult.NOT_CHECKED,
                fact=CheckFact.LEGACY_PASSKEY_NOT_SEARCHED,
                spec="2.3.5.3",
                reason=skipped,
                budget=keys.passkey_search.budget if skipped == NotSearched.BUDGET else None,
            )
        )
        return
    success = p.outcome == Outcome.SUCCESS
    for who, ((cframe, _c), _r) in sides.items():
        other = _OTHER[who]
        passkey = found.get(who)
        p.add_check(
            Check(
                CheckKind(f"{who}_passkey"),
                cframe,
                CheckResult.MISMATCH if passkey is None else CheckResult.MATCH,
                fact=CheckFact.LEGACY_PASSKEY,
                spec="2.3.5.3",
                side=who,
                # the passkey of a successful pairing is the bond's secret, never stated
                got=None if success else passkey,
                secret=f"{passkey:06d}" if success and passkey is not None else None,
                peer_hidden=other not in sides and bool(v.confirms[other[0]]),
            )
        )
    if len(found) == 2:
        a, b = found[Side.INITIATOR], found[Side.RESPONDER]
        shown = p.passkey_displayed_by
        entered = None if shown is None else _OTHER.get(shown)
        got = {Side.INITIATOR: a, Side.RESPONDER: b}
        p.add_check(
            Check(
                CheckKind.PASSKEY_AGREEMENT,
                max(r[0] for _c, r in sides.values()),
                CheckResult.MATCH if a == b else CheckResult.MISMATCH,
                fact=CheckFact.LEGACY_PASSKEYS,
                spec="2.3.5.3",
                side=entered,  # None: neither side displayed it (both KeyboardOnly)
                expected=a if entered is None else got[_OTHER[entered]],
                got=b if entered is None else got[entered],
            )
        )


def _search(
    p: Pairing,
    sides: dict[Side, tuple[tuple[int, bytes], tuple[int, bytes]]],
    ia: tuple[bytes, int | None],
    ra: tuple[bytes, int | None],
    preq: bytes,
    pres: bytes,
    air: bool,
    keys: Keyring,
) -> tuple[dict[Side, int], NotSearched | None]:
    """Each side's passkey, searched under the address types in ``_types`` order until one
    gives a passkey (the other side uses the same inputs), as ``keys.passkey_search``
    allows; else the passkeys already searched in this process (to decrypt the link).
    Second: why the search was not done (then nothing is concluded), or None."""
    policy = keys.passkey_search
    success = p.outcome == Outcome.SUCCESS
    wanted = policy.mode == SearchMode.ALWAYS or (
        policy.mode == SearchMode.FAILED and (not success or keys.show_keys)
    )
    found: dict[Side, int] = {}
    targets = [(sides[w][0][1], sides[w][1][1]) for w in sides]
    for k, (iat, rat) in enumerate(_types(ia, ra, air)):
        inputs = C1Inputs(preq, pres, iat, rat, ia[0], ra[0])
        if wanted:
            passkeys = find_passkeys(targets, inputs, policy)
            if passkeys is None:
                return {}, _not_searched(policy, success)
        else:
            passkeys = _searched(targets, inputs, k == 0, policy)
        for who, passkey in zip(sides, passkeys, strict=True):
            if passkey is not None:
                found[who] = passkey
        if found:
            return found, None  # the address types are settled: the other side used them too
    return found, None if wanted else _not_searched(policy, success)


def _searched(
    targets: list[tuple[bytes, bytes]], inputs: C1Inputs, try_zero: bool, policy: PasskeySearch
) -> list[int | None]:
    """The passkeys this analysis already found for ``targets``; a side not searched is
    tried with the other side's passkey, or (``try_zero``) with 000000 — the TK 0 that
    decryption tries first: one c1 each, not a search."""
    passkeys = [searched_passkey(c, r, inputs, policy)[1] for c, r in targets]
    known = next((k for k in passkeys if k is not None), 0 if try_zero else None)
    if known is None:
        return passkeys
    tk = passkey_tk(known)
    return [
        known if k is None and inputs.confirm(tk, r) == c else k
        for k, (c, r) in zip(passkeys, targets, strict=True)
    ]


def _not_searched(policy: PasskeySearch, success: bool) -> NotSearched:
    """Why the passkeys of a legacy Passkey Entry pairing were not searched."""
    if policy.mode == SearchMode.NEVER:
        return NotSearched.NEVER
    if policy.mode == SearchMode.FAILED and success:
        return NotSearched.NOT_NEEDED
    return NotSearched.BUDGET


def _oob(
    p: Pairing,
    sides: dict[Side, tuple[tuple[int, bytes], tuple[int, bytes]]],
    preq: bytes,
    pres: bytes,
    ia: tuple[bytes, int | None],
    ra: tuple[bytes, int | None],
    keys: Keyring,
) -> None:
    if not keys.tks:
        return  # the TK was exchanged out of band: the capture alone cannot tell it
    for who, ((cframe, confirm), (_nf, rand)) in sides.items():
        ok = False
        for iat, rat in _types(ia, ra):
            hit = legacy_tk(
                confirm, rand, C1Inputs(preq, pres, iat, rat, ia[0], ra[0]), keys, False
            )
            if hit is not None and hit[2] is None:
                ok = True
                break
        p.add_check(
            Check(
                CheckKind(f"{who}_confirm"),
                cframe,
                CheckResult.MATCH if ok else CheckResult.MISMATCH,
                fact=CheckFact.LEGACY_OOB_CONFIRM,
                spec="2.3.5.4",
                side=who,
            )
        )
