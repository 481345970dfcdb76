"""The ``attempt`` object of ``bpdiag pair --json`` (docs/json.md, "pair --json").

A live attempt is ``bpdiag.live``'s; the report sits beside it in the layers and does not
import it, so what it words is described here as protocols: the parameters the local side
offered (Vol 3, Part H, 3.5.1) and what the attempt did.
"""

from __future__ import annotations

from typing import Protocol

from bpdiag.decode.smp import key_distribution_names


class OfferedParams(Protocol):
    """What the local side offered (``bpdiag.live.base.PairParams`` is one)."""

    @property
    def io(self) -> str: ...
    @property
    def mitm(self) -> bool: ...
    @property
    def sc(self) -> bool: ...
    @property
    def bond(self) -> bool: ...
    @property
    def key_size(self) -> int: ...
    @property
    def passkey(self) -> int | None: ...
    @property
    def init_keys(self) -> int | None: ...
    @property
    def resp_keys(self) -> int | None: ...


def key_distribution_text(value: int) -> str:
    """``0x03`` → ``"EncKey,IdKey"`` (Vol 3, Part H, 3.6.1, Figure 3.11); 0 → ``"none"``."""
    return ",".join(key_distribution_names(value)) or "none"


def params_json(params: OfferedParams) -> dict[str, object]:
    """The ``params`` of an attempt: the passkey itself is never written, only whether one
    was given (it is the TK of a legacy pairing)."""
    return {
        "io": params.io,
        "mitm": params.mitm,
        "sc": params.sc,
        "bond": params.bond,
        "key_size": params.key_size,
        "passkey_given": params.passkey is not None,
        "initiator_keys": None
        if params.init_keys is None
        else key_distribution_text(params.init_keys),
        "responder_keys": None
        if params.resp_keys is None
        else key_distribution_text(params.resp_keys),
    }


def attempt_json(
    *,
    backend: str,
    via: str,
    target: str,
    params: OfferedParams,
    stack_result: str,
    capture: str,
    bond: tuple[str, str] | None,
    notes: list[str],
) -> dict[str, object]:
    """The ``attempt`` object: ``via`` the API the backend paired through, ``stack_result``
    the stack's own word, ``bond`` the backup of a bond removed first (where it is, how to
    put it back), ``notes`` what the backend said on the way."""
    return {
        "backend": backend,
        "via": via or backend,
        "target": target,
        "params": params_json(params),
        "stack_result": stack_result,
        "capture": capture,
        "bond": None if bond is None else {"backup": bond[0], "restore": bond[1]},
        "notes": list(notes),
    }
