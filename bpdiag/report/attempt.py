"""The ``attempt`` object of ``bpdiag pair --json`` (docs/json.md, "pair --json").

A live attempt is ``bpdiag.live``'s; the report sits beside it in the layers and does not
import it, so it words plain values: the fields of the parameters the local side offered
(Vol 3, Part H, 3.5.1; ``dataclasses.asdict`` of a ``PairParams``) and what the attempt did.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bpdiag.decode.smp import key_distribution_names


def key_distribution_text(value: int) -> str:
    """``0x03`` → ``"EncKey,IdKey"`` (Vol 3, Part H, 3.6.1, Figure 3.11); 0 → ``"none"``."""
    return ",".join(key_distribution_names(value)) or "none"


def params_json(params: Mapping[str, Any]) -> dict[str, object]:
    """The ``params`` of an attempt from the offered fields (io, mitm, sc, bond, key_size,
    passkey, init_keys, resp_keys): the passkey itself is never written, only whether one
    was given (it is the TK of a legacy pairing)."""
    init, resp = params["init_keys"], params["resp_keys"]
    return {
        "io": params["io"],
        "mitm": params["mitm"],
        "sc": params["sc"],
        "bond": params["bond"],
        "key_size": params["key_size"],
        "passkey_given": params["passkey"] is not None,
        "initiator_keys": None if init is None else key_distribution_text(init),
        "responder_keys": None if resp is None else key_distribution_text(resp),
    }


def attempt_json(
    *,
    backend: str,
    via: str,
    target: str,
    params: Mapping[str, Any],
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
