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

from bpdiag.analysis.model import Check, Connection, Pairing
from bpdiag.crypto.keyring import Keyring, PasskeySearch
from bpdiag.crypto.link_keys import find_passkeys, legacy_tk, searched_passkey
from bpdiag.crypto.smp_crypto import c1
from bpdiag.crypto.tk_search import C1Inputs, differing_digits, passkey_tk

if TYPE_CHECKING:
    from bpdiag.analysis.verify import _Values

_NAMES = {"initiator": "Mconfirm", "responder": "Sconfirm"}
_ORDINAL = {1: "1st", 2: "2nd", 3: "3rd", 4: "4th", 5: "5th", 6: "6th"}


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
    if p.method == "oob":
        _oob(p, sides, preq, pres, ia, ra, keys)
        return
    found, skipped = _search(p, sides, ia, ra, preq, pres, conn.local_role is None, keys)
    if skipped is not None:
        frame = min(c[0] for c, _r in sides.values())
        p.checks.append(Check("passkey_search", frame, "not_checked", skipped))
        return
    success = p.outcome == "success"
    for who, ((cframe, _c), _r) in sides.items():
        name = _NAMES[who]
        if who in found:
            passkey = found[who]
            said = (
                "the passkey is this bond's secret (--show-keys shows it)"
                if success
                else f"the {who} used passkey {passkey:06d}"
            )
            other = "responder" if who == "initiator" else "initiator"
            if other not in sides and v.confirms["r" if other == "responder" else "i"]:
                rname = "Srand" if other == "responder" else "Mrand"
                said += f"; the {other}'s passkey cannot be known: it never revealed its {rname}"
            p.checks.append(
                Check(
                    f"{who}_passkey",
                    cframe,
                    "match",
                    f"the {who}'s {name} #{cframe} equals c1 with the TK of a passkey found by "
                    "trying all 10^6 (legacy Passkey Entry: the TK is the passkey, Vol 3, "
                    f"Part H, 2.3.5.3): {said}",
                    secret=f"{passkey:06d}" if success else None,
                )
            )
        else:
            p.checks.append(
                Check(
                    f"{who}_passkey",
                    cframe,
                    "mismatch",
                    f"the {who}'s {name} #{cframe} equals c1 with no passkey 000000–999999 and "
                    "these addresses and Pairing Request/Response: it was not computed as the "
                    "spec defines (a stack bug, or other inputs such as a wrong address)",
                )
            )
    if len(found) == 2:
        a, b = found["initiator"], found["responder"]
        last = max(r[0] for _c, r in sides.values())
        if a == b:
            p.checks.append(
                Check("passkey_agreement", last, "match", "both sides used the same passkey")
            )
        else:
            digits = differing_digits(a, b)
            where = " and ".join(_ORDINAL[d] for d in digits)
            shown = p.passkey_displayed_by
            if shown in ("initiator", "responder"):
                entered = "responder" if shown == "initiator" else "initiator"
                got = {"initiator": a, "responder": b}
                text = (
                    f"the {entered} entered passkey {got[entered]:06d}, the {shown} displayed "
                    f"{got[shown]:06d}"
                )
            else:
                text = f"the initiator used passkey {a:06d}, the responder {b:06d}"
            p.checks.append(
                Check(
                    "passkey_agreement",
                    last,
                    "mismatch",
                    f"{text}: they differ in the {where} digit{'s' if len(digits) > 1 else ''}",
                )
            )


def _search(
    p: Pairing,
    sides: dict[str, tuple[tuple[int, bytes], tuple[int, bytes]]],
    ia: tuple[bytes, int | None],
    ra: tuple[bytes, int | None],
    preq: bytes,
    pres: bytes,
    air: bool,
    keys: Keyring,
) -> tuple[dict[str, int], str | None]:
    """Each side's passkey, searched under the address types in ``_types`` order until one
    gives a passkey (the other side uses the same inputs), as ``keys.passkey_search``
    allows; else the passkeys already searched in this process (to decrypt the link).
    Second: why the search was not done (then nothing is concluded), or None."""
    policy = keys.passkey_search
    success = p.outcome == "success"
    wanted = policy.mode == "always" or (
        policy.mode == "failed" and (not success or keys.show_keys)
    )
    found: dict[str, int] = {}
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
        known
        if k is None
        and c1(tk, r, inputs.preq, inputs.pres, inputs.iat, inputs.rat, inputs.ia, inputs.ra) == c
        else k
        for k, (c, r) in zip(passkeys, targets, strict=True)
    ]


def _not_searched(policy: PasskeySearch, success: bool) -> str:
    """Why the passkeys of a legacy Passkey Entry pairing were not searched."""
    what = "the passkeys were not searched (each side's is one of 10^6, Vol 3, Part H, 2.3.5.3)"
    if policy.mode == "never":
        return f"{what}: --passkey-search never"
    if policy.mode == "failed" and success:
        return (
            f"{what}: the pairing succeeded and nothing in the capture needs its TK (no "
            "encrypted link-layer packet to decrypt with its STK); --passkey-search always "
            "or --show-keys searches it"
        )
    return (
        f"{what}: this analysis spent its budget of {policy.budget} passkey searches (one "
        "per pass over the 10^6 passkeys under one choice of address types); "
        "--passkey-search always searches every pairing"
    )


def _oob(
    p: Pairing,
    sides: dict[str, tuple[tuple[int, bytes], tuple[int, bytes]]],
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
        p.checks.append(
            Check(
                f"{who}_confirm",
                cframe,
                "match" if ok else "mismatch",
                f"the {who}'s {_NAMES[who]} #{cframe} "
                + ("equals" if ok else "does not equal")
                + " c1 with "
                + ("the TK given with --tk" if ok else "any TK given with --tk")
                + " (legacy OOB, Vol 3, Part H, 2.3.5.4)",
            )
        )
