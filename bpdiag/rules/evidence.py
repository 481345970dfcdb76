"""The words for a spec check redone from a capture (``analysis.model.Check``).

The analysis gives a check's facts (what was checked, whose value, the round, the two
values compared, the spec section); this is the one place that turns them into the clause
the findings quote, the text and HTML reports list and the JSON carries as ``detail``.
A check's ``secret`` is never worded.
"""

from __future__ import annotations

from collections.abc import Callable

from bpdiag.analysis.model import Check, CheckFact, CheckResult, NotSearched
from bpdiag.crypto.tk_search import differing_digits

_CONFIRM = {"initiator": "Mconfirm", "responder": "Sconfirm"}
_RANDOM = {"initiator": "Mrand", "responder": "Srand"}
_OTHER = {"initiator": "responder", "responder": "initiator"}
_ORDINAL = {1: "1st", 2: "2nd", 3: "3rd", 4: "4th", 5: "5th", 6: "6th"}


def _equals(c: Check) -> str:
    return "equals" if c.result == CheckResult.MATCH else "does not equal"


def _legacy_confirm(c: Check) -> str:
    """``the initiator's Mconfirm #12``: the legacy confirm value a check is about."""
    side = c.side or "initiator"  # (every legacy confirm check names its side)
    return f"the {side}'s {_CONFIRM[side]} #{c.frame}"


# The kinds said by one sentence with the check's facts in it (``_facts``).
_TEMPLATES: dict[CheckFact, str] = {
    CheckFact.DEBUG_KEY: (
        "the {side}'s Pairing Public Key #{frame} is the SMP debug key of the spec (Vol 3, "
        "Part H, {spec}): its private key is public, so anyone who recorded this pairing can "
        "compute the DHKey and the LTK"
    ),
    CheckFact.OFF_CURVE: (
        "the {side}'s Pairing Public Key #{frame} is not a point on the P-256 curve: the peer "
        "must refuse it (the invalid-curve attack, CVE-2018-5383), and no DHKey both sides "
        "agree on can come from it"
    ),
    CheckFact.SC_CONFIRM: (
        "the {side}'s Pairing Confirm #{frame} {equals} f4(PKb, PKa, Nb, 0) computed from its "
        "public key and its nonce #{nonce}"
    ),
    CheckFact.SC_PASSKEY_COMMITMENT: (
        "the {side}'s confirm in round {round} matches neither passkey bit: it did not compute "
        "f4(PKx, PKy, N, 0x80|bit) as the spec defines (a stack bug, not a typing error)"
    ),
    CheckFact.SC_PASSKEY_REFUSED: (
        "in round {round} of 20 the responder refused the initiator's commitment after {bit} "
        "round(s): the two passkeys differ in bit {bit} (bit 0 is the lowest) — the passkey "
        "typed was not the one displayed"
    ),
}


def _facts(c: Check) -> dict[str, object]:
    return {
        "side": c.side,
        "frame": c.frame,
        "spec": c.spec,
        "equals": _equals(c),
        "nonce": c.inputs[0] if c.inputs else None,
        "round": c.round,
        "bit": None if c.round is None else c.round - 1,  # a round reveals one bit, lowest first
    }


def _sc_passkey_bits(c: Check) -> str:
    if c.result == CheckResult.MISMATCH:
        assert c.round is not None
        return (
            f"the two sides used different passkeys: round {c.round} of 20 reveals different "
            f"bits (bit {c.round - 1}, counting from the lowest) — the passkey typed was not "
            "the one displayed"
        )
    what = (
        "all 20 Passkey Entry rounds reveal"
        if c.rounds == 20
        else f"the {c.rounds} round(s) that can be checked reveal"
    )
    gap = (
        f" ({c.unchecked} round(s) the capture missed could not be checked)" if c.unchecked else ""
    )
    return f"{what} the same bits on both sides: both used the same passkey{gap}"


def _sc_passkey_refused(c: Check) -> str:
    assert c.round is not None
    return (
        f"in round {c.round} of 20 the responder refused the initiator's commitment after "
        f"{c.round - 1} round(s): the two passkeys differ in bit {c.round - 1} (bit 0 is the "
        "lowest) — the passkey typed was not the one displayed"
    )


def _legacy_jw_confirm(c: Check) -> str:
    if c.result == CheckResult.MATCH:
        how = "from the Pairing Request, Pairing Response and the two addresses"
        return f"{_legacy_confirm(c)} equals c1 with TK = 0 (Just Works) {how}"
    return (
        f"{_legacy_confirm(c)} does not equal c1 with TK = 0, while the other side's confirm "
        f"does with the same addresses and Pairing Request/Response: the {c.side} computed it "
        "from other inputs (a stack bug, e.g. a wrong address or address type, or a TK that is "
        "not zero)"
    )


def _legacy_passkey(c: Check) -> str:
    if c.result == CheckResult.MISMATCH:
        return (
            f"{_legacy_confirm(c)} equals c1 with no passkey 000000–999999 and these addresses "
            "and Pairing Request/Response: it was not computed as the spec defines (a stack "
            "bug, or other inputs such as a wrong address)"
        )
    said = (
        "the passkey is this bond's secret (--show-keys shows it)"
        if c.got is None
        else f"the {c.side} used passkey {c.got:06d}"
    )
    if c.peer_hidden:
        other = _OTHER.get(c.side or "", "responder")
        said += f"; the {other}'s passkey cannot be known: it never revealed its {_RANDOM[other]}"
    why = f"legacy Passkey Entry: the TK is the passkey, Vol 3, Part H, {c.spec}"
    found = f"the TK of a passkey found by trying all 10^6 ({why})"
    return f"{_legacy_confirm(c)} equals c1 with {found}: {said}"


def _legacy_passkeys(c: Check) -> str:
    if c.result == CheckResult.MATCH:
        return "both sides used the same passkey"
    assert c.expected is not None and c.got is not None
    if c.side is not None:
        text = (
            f"the {c.side} entered passkey {c.got:06d}, the {_OTHER[c.side]} displayed "
            f"{c.expected:06d}"
        )
    else:
        text = f"the initiator used passkey {c.expected:06d}, the responder {c.got:06d}"
    digits = differing_digits(c.expected, c.got)
    where = " and ".join(_ORDINAL[d] for d in digits)
    return f"{text}: they differ in the {where} digit{'s' if len(digits) > 1 else ''}"


def _legacy_passkey_not_searched(c: Check) -> str:
    what = f"the passkeys were not searched (each side's is one of 10^6, Vol 3, Part H, {c.spec})"
    if c.reason == NotSearched.NEVER:
        return f"{what}: --passkey-search never"
    if c.reason == NotSearched.NOT_NEEDED:
        return (
            f"{what}: the pairing succeeded and nothing in the capture needs its TK (no "
            "encrypted link-layer packet to decrypt with its STK); --passkey-search always "
            "or --show-keys searches it"
        )
    return (
        f"{what}: this analysis spent its budget of {c.budget} passkey searches (one "
        "per pass over the 10^6 passkeys under one choice of address types); "
        "--passkey-search always searches every pairing"
    )


def _legacy_oob_confirm(c: Check) -> str:
    tk = "the TK given with --tk" if c.result == CheckResult.MATCH else "any TK given with --tk"
    return f"{_legacy_confirm(c)} {_equals(c)} c1 with {tk} (legacy OOB, Vol 3, Part H, {c.spec})"


_WORDS: dict[CheckFact, Callable[[Check], str]] = {
    CheckFact.SC_PASSKEY_BITS: _sc_passkey_bits,
    CheckFact.LEGACY_JW_CONFIRM: _legacy_jw_confirm,
    CheckFact.LEGACY_PASSKEY: _legacy_passkey,
    CheckFact.LEGACY_PASSKEYS: _legacy_passkeys,
    CheckFact.LEGACY_PASSKEY_NOT_SEARCHED: _legacy_passkey_not_searched,
    CheckFact.LEGACY_OOB_CONFIRM: _legacy_oob_confirm,
}


def check_detail(c: Check) -> str:
    """The clause that says what the check found ("the responder's Pairing Confirm #12
    equals f4(…)"), lower-case and without a full stop, as findings quote it."""
    template = _TEMPLATES.get(c.fact)
    if template is not None:
        return template.format(**_facts(c))
    return _WORDS[c.fact](c)
