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
from bpdiag.crypto.keyring import Keyring
from bpdiag.crypto.link_keys import find_passkey, legacy_tk
from bpdiag.crypto.smp_crypto import pairing_pdu_value
from bpdiag.crypto.tk_search import C1Inputs, differing_digits

if TYPE_CHECKING:
    from bpdiag.analysis.verify import _Values

_NAMES = {"initiator": "Mconfirm", "responder": "Sconfirm"}
_ORDINAL = {1: "1st", 2: "2nd", 3: "3rd", 4: "4th", 5: "5th", 6: "6th"}


def _types(ia: tuple[bytes, int | None], ra: tuple[bytes, int | None]) -> list[tuple[int, int]]:
    """Address type bits to try: the recorded ones first, then the other three (an HCI
    capture may record the local address type the host asked for, not the one used)."""
    first = (ia[1] or 0, ra[1] or 0)
    return [first] + [(a, b) for a in (0, 1) for b in (0, 1) if (a, b) != first]


def legacy_secret(p: Pairing, v: _Values, conn: Connection | None, keys: Keyring) -> None:
    from bpdiag.analysis.verify import _address

    if conn is None or v.preq is None or v.pres is None:
        return
    ia, ra = _address(conn.central), _address(conn.peripheral)
    if ia is None or ra is None:
        return
    preq, pres = pairing_pdu_value(v.preq[:7]), pairing_pdu_value(v.pres[:7])
    sides = {
        who: (v.confirms[key][0], v.randoms[key][0])
        for who, key in (("initiator", "i"), ("responder", "r"))
        if v.confirms[key] and v.randoms[key]
    }
    if not sides:
        return
    if p.method == "oob":
        _oob(p, sides, preq, pres, ia, ra, keys)
        return
    found: dict[str, int] = {}
    for who, ((_cf, confirm), (_nf, rand)) in sides.items():
        for iat, rat in _types(ia, ra):
            inputs = C1Inputs(preq, pres, iat, rat, ia[0], ra[0])
            passkey = find_passkey(keys, confirm, rand, inputs)
            if passkey is not None:
                found[who] = passkey
                break
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
