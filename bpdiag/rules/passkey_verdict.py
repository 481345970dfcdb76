"""What a legacy Passkey Entry search result means for Confirm Value Failed.

Vol 3, Part H, 2.3.5.3: in legacy Passkey Entry the TK is the passkey, and each side's
Mconfirm/Sconfirm is c1 of that TK and its random (2.3.5.5).  ``analysis.legacy_tk`` searches
each side's passkey once its random is revealed.  When a side's confirm is right for the
passkey it used, the Confirm Value Failed (0x04, 3.5.5) that followed cannot come from that
side's commitment: the other side checked it against its own TK.  This module turns those
checks into the finding's conclusion, so the finding does not also say that the TK is
unknowable.

The passkey of a failed pairing protects nothing and is stated by the check itself; this
module repeats no passkey (a successful pairing never reaches here: it has no Pairing Failed).
"""

from __future__ import annotations

from bpdiag.analysis.model import PASSKEY_CHECKS, CheckKind, CheckResult, Method, Pairing, Side
from bpdiag.decode.smp import ErrorCode

_DEVICE = {Side.INITIATOR: "central", Side.RESPONDER: "peripheral"}
_RAND = {Side.INITIATOR: "Mrand", Side.RESPONDER: "Srand"}
_SPEC = "(Vol 3, Part H, 2.3.5.3 and 3.5.5)"


def legacy_passkey_conclusion(p: Pairing) -> str | None:
    """The conclusion of a legacy Passkey Entry Confirm Value Failed from the passkey search,
    or None when the search does not decide it (then the generic text stands)."""
    f = p.failure
    if f is None or f.reason != ErrorCode.CONFIRM_VALUE_FAILED or p.method != Method.PASSKEY_ENTRY:
        return None
    if p.secure_connections is not False:
        return None
    by = {c.check: c for c in p.checks}
    found = {
        who: c
        for who, kind in PASSKEY_CHECKS.items()
        if (c := by.get(kind)) is not None and c.result == CheckResult.MATCH
    }
    if any(
        c.result == CheckResult.MISMATCH for c in p.checks if c.check in PASSKEY_CHECKS.values()
    ):
        return None  # a confirm no passkey explains: the mismatch text already says so
    agreement = by.get(CheckKind.PASSKEY_AGREEMENT)
    if len(found) == 2:
        if agreement is not None and agreement.result == CheckResult.MATCH:
            return (
                "both confirms are right for the same passkey, so the passkey (the TK) is not "
                "the cause: the side that refused fed other inputs into c1 than the capture "
                "shows (the addresses or their types, the Pairing Request/Response), or its "
                "stack computes c1 wrongly " + _SPEC
            )
        return None  # the passkeys differ: passkey_agreement says in which digits
    if len(found) != 1:
        return None
    (who,) = found
    other = Side.RESPONDER if who == Side.INITIATOR else Side.INITIATOR
    if PASSKEY_CHECKS[other] in by:  # the other side's passkey was checked too: not this case
        return None
    shown = p.passkey_displayed_by
    if shown == other:
        theirs = f"the passkey the {_DEVICE[other]} displayed"
        cause = f"a passkey mistyped on the {_DEVICE[who]}"
    elif shown == who:
        theirs = f"the passkey typed on the {_DEVICE[other]}"
        cause = f"a passkey mistyped on the {_DEVICE[other]}"
    else:
        theirs = f"the passkey entered on the {_DEVICE[other]}"
        cause = "the two sides entering different passkeys"
    return (
        f"so the {_DEVICE[who]}'s confirm is right for the passkey it used, while {theirs} "
        f"is not in the capture (no {_RAND[other]}): {cause} is the likely cause of Confirm "
        f"Value Failed in Passkey Entry {_SPEC}"
    )
