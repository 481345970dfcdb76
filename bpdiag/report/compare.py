"""``bpdiag compare A B``: two captures' pairings side by side, and the differences that
explain why one outcome differs from the other."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bpdiag.analysis.model import Features, Outcome, Pairing, Side
from bpdiag.analysis.pairing_method import method_for
from bpdiag.rules.diagnosis import Diagnosed


def _keys(f: Features | None) -> str | None:
    """A Pairing Request/Response's key distribution: ``init=EncKey,IdKey resp=EncKey``."""
    if f is None:
        return None
    return f"init={_names(f.initiator_keys)} resp={_names(f.responder_keys)}"


def _names(keys: tuple[str, ...] | None) -> str:
    return "unknown" if keys is None else ",".join(keys) or "none"


# A Pairing Request / Response parameter compared: its label, its value as shown, and the
# Features attributes it stands for.
_FEATURE_PARAMS: tuple[tuple[str, Callable[[Features], Any], tuple[str, ...]], ...] = (
    ("io", lambda f: f.io_capability_name, ("io_capability", "io_capability_name")),
    ("mitm", lambda f: f.mitm, ("mitm",)),
    ("sc", lambda f: f.sc, ("sc",)),
    ("bonding", lambda f: f.bonding, ("bonding",)),
    ("key size", lambda f: f.max_key_size, ("max_key_size",)),
    ("keys", _keys, ("initiator_keys", "responder_keys")),
)
_SIDES = ((Side.INITIATOR, "request"), (Side.RESPONDER, "response"))


def _of_side(attr: str, show: Callable[[Features], Any]) -> Callable[[Pairing], Any]:
    """A side's parameter; ``None`` when the capture lacks that side's Features."""
    return lambda p: (f := getattr(p, attr)) and show(f)


# The parameters that decide a pairing, in the order a reader wants them.
PARAMS = [
    *(
        (f"{who} {label}", _of_side(attr, show))
        for who, attr in _SIDES
        for label, show, _ in _FEATURE_PARAMS
    ),
    ("security request", lambda p: p.security_request is not None),
    ("method", lambda p: p.method),
    ("outcome", lambda p: p.outcome),
    (
        "failure",
        lambda p: (
            p.failure and f"{p.failure.name} (0x{p.failure.reason:02x}) from {p.failure.sent_by}"
        ),
    ),
]
# Parameters that can change the outcome (everything above "method").
CAUSES = {name for name, _ in PARAMS[: [n for n, _ in PARAMS].index("method")]}


# Which Features attributes a compared parameter stands for (None: not modelled here).
_FEATURE_ATTRS: dict[str, tuple[str, tuple[str, ...]]] = {
    f"{who} {label}": (attr, attrs) for who, attr in _SIDES for label, _, attrs in _FEATURE_PARAMS
}


def _known(keys: tuple[str, ...] | None) -> tuple[str, ...] | None:
    """A key distribution as a tuple; ``None`` where a cut log lost it (not "no keys")."""
    return tuple(keys) if keys is not None else None


def _effect(req: Features, resp: Features) -> tuple[Any, ...]:
    """What a pair of Pairing Request/Response decides (Vol 3, Part H, 2.3.5.1 and 3.5.1):
    the method the spec selects, whether MITM is asked for, SC, key size, bonding, keys."""
    sc = req.sc and resp.sc
    choice = method_for(req, resp)
    return (
        choice.method if choice is not None else None,
        req.mitm or resp.mitm,
        sc,
        min(req.max_key_size, resp.max_key_size),
        req.bonding and resp.bonding,
        _known(req.initiator_keys),
        _known(req.responder_keys),
        _known(resp.initiator_keys),
        _known(resp.responder_keys),
    )


def _matters(name: str, a: Pairing, b: Pairing) -> bool:
    """Whether giving A the value B has for this one parameter changes what the exchange
    decides. An IO capability that yields the same method (both Just Works because the other
    side is NoInputNoOutput) does not matter; MITM asked for or not always does."""
    where = _FEATURE_ATTRS.get(name)
    if where is None or a.request is None or a.response is None:
        return True
    if b.request is None or b.response is None:
        return True
    side, attrs = where
    theirs = getattr(b, side)
    changed = getattr(a, side).replaced(**{k: getattr(theirs, k) for k in attrs})
    req, resp = (changed, a.response) if side == "request" else (a.request, changed)
    return _effect(req, resp) != _effect(a.request, a.response)


# Findings that blame the peer's state rather than the parameters offered.
PEER_STATE = ("pairing-mode-inactive", "repeated-attempts")


def _peer_state(analysis: Diagnosed, p: Pairing | None, side: str) -> str | None:
    """The peer-state finding of a failed pairing, as a sentence, if there is one."""
    if p is None or p.outcome != Outcome.FAILED:
        return None
    for f in analysis.findings:
        if f.pairing == p.id and f.code in PEER_STATE:
            return f"the peer's state in {side}: {f.title[0].lower()}{f.title[1:]} ({f.code})"
    return None


def _rows(a: Pairing | None, b: Pairing | None) -> list[dict[str, Any]]:
    rows = []
    for name, get in PARAMS:
        va = get(a) if a is not None else None
        vb = get(b) if b is not None else None
        rows.append({"parameter": name, "a": va, "b": vb, "differs": va != vb})
    return rows


def compare(a: Diagnosed, b: Diagnosed) -> dict[str, Any]:
    pairs = []
    n = max(len(a.pairings), len(b.pairings))
    for i in range(n):
        pa = a.pairings[i] if i < len(a.pairings) else None
        pb = b.pairings[i] if i < len(b.pairings) else None
        rows = _rows(pa, pb)
        outcome_differs = (pa and pa.outcome) != (pb and pb.outcome) or (
            (pa and pa.failure and pa.failure.reason) != (pb and pb.failure and pb.failure.reason)
        )
        # A parameter explains the difference only when both attempts show it (a missing
        # Pairing Response is a consequence, not a cause).
        differing = [
            r["parameter"]
            for r in rows
            if r["differs"] and r["parameter"] in CAUSES and None not in (r["a"], r["b"])
        ]
        explaining = differing
        others: list[str] = []
        if pa is not None and pb is not None:
            explaining = [n for n in differing if _matters(n, pa, pb)]
            others = [n for n in differing if n not in explaining]
            if differing and not explaining:
                explaining, others = differing, []  # none alone: together, then
        state = [
            text for text in (_peer_state(a, pa, "A"), _peer_state(b, pb, "B")) if text is not None
        ]
        if outcome_differs and (pa is None or pb is None):
            missing = "A" if pa is None else "B"
            explaining, others = [f"{missing} holds no pairing {i + 1}: nothing to compare"], []
        elif outcome_differs and state:
            # The failing side was refused for its state (not in pairing mode, backing off):
            # the parameter differences are listed apart, not offered as the cause.
            explaining, others = state, differing
        elif outcome_differs and not explaining:
            explaining = [
                "the peer's state, not the parameters: the same request got a "
                "different answer (pairing mode, a stored bond, a back-off)"
            ]
        pairs.append(
            {
                "index": i + 1,
                "rows": rows,
                "outcome_differs": outcome_differs,
                "explained_by": explaining if outcome_differs else [],
                "other_differences": others if outcome_differs else [],
                "peer_state": bool(outcome_differs and state),
            }
        )
    return {
        "schema": "bpdiag.compare/1",
        "a": a.capture.path,
        "b": b.capture.path,
        "pairings": pairs,
        "findings": {
            "a": [f.code for f in a.findings],
            "b": [f.code for f in b.findings],
        },
    }


def fmt_value(v: Any) -> str:
    """A compared value as printed: ``—`` for absent, yes/no for flags."""
    if v is None:
        return "—"
    if isinstance(v, bool):
        return "yes" if v else "no"
    return str(v)


def render_compare(result: dict[str, Any]) -> str:
    out = [f"A: {result['a']}", f"B: {result['b']}", ""]
    for pair in result["pairings"]:
        out.append(f"Pairing {pair['index']}")
        # the A column as wide as its widest value, with a gap: columns never touch
        width = max([len(fmt_value(r["a"])) for r in pair["rows"]] + [1]) + 3
        out.append(f"  {'':<20}{'A':<{width}}{'B'}")
        for r in pair["rows"]:
            mark = "≠" if r["differs"] else " "
            out.append(
                f"{mark} {r['parameter']:<20}{fmt_value(r['a']):<{width}}{fmt_value(r['b'])}"
            )
        if pair["outcome_differs"]:
            out.append(
                "  The outcomes differ; what explains it: " + ", ".join(pair["explained_by"])
            )
            if pair.get("other_differences"):
                why = (
                    "the peer's state explains it without them"
                    if pair.get("peer_state")
                    else "they change neither the method nor the security asked for"
                )
                out.append(f"  Also different ({why}): " + ", ".join(pair["other_differences"]))
        else:
            out.append("  Same outcome.")
        out.append("")
    fa, fb = result["findings"]["a"], result["findings"]["b"]
    out.append(f"Findings A: {', '.join(fa) or 'none'}")
    out.append(f"Findings B: {', '.join(fb) or 'none'}")
    return "\n".join(out) + "\n"
