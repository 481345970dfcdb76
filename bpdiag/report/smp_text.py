"""One line per SMP command, as the ladder of the text and HTML reports and the TUI show it:
the command's name, then ``key=value`` pairs (``Pairing Request io=KeyboardDisplay oob=0
auth=Bonding|MITM key=16 ikd=EncKey rkd=EncKey|IdKey``).

The keys a command's declaration calls secret (LTK, IRK, CSRK: ``SECRETS``) read
``redacted`` unless ``show_keys``.  The pairing values that are not
keys but let a listener attack the pairing (confirm, random, DHKey check — legacy pairing's
TK falls to a search over them) are left out unless ``show_keys``; ``fields()`` (the dump
and JSON) always has them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from bpdiag.decode import smp
from bpdiag.decode.secret_fields import secret_keys

_Items = list[tuple[str, object]]


def _joined(names: Sequence[str]) -> str:
    return "|".join(names) or "none"


def _declared(cmd: smp.SmpCommand, show_keys: bool) -> _Items:
    """By default the declared fields, the octet strings that are not keys only with
    ``show_keys``."""
    shown = [p.key for p in cmd.PARAMS if p.kind != "octets" or p.secret]
    return [(k, v) for k, v in cmd.fields().items() if show_keys or k in shown]


def _features(cmd: Any, show_keys: bool) -> _Items:
    items: _Items = [
        ("io", smp.io_capability_name(cmd.io_capability)),
        ("oob", cmd.oob),
        ("auth", _joined(smp.auth_req_names(cmd.auth_req))),
        ("key", cmd.max_key_size),
    ]
    ikd = cmd.initiator_key_distribution
    items.append(("ikd", "?" if ikd is None else _joined(smp.key_distribution_names(ikd))))
    if isinstance(cmd, smp.CutPairingFeatures):  # the log cut the 7th octet (and the 6th)
        return [*items, ("rkd", f"? (cut to {cmd.kept} of {cmd.original_length} bytes)")]
    return [*items, ("rkd", _joined(smp.key_distribution_names(cmd.responder_key_distribution)))]


def _central_identification(cmd: smp.CentralIdentification, show_keys: bool) -> _Items:
    items: _Items = [("ediv", f"0x{cmd.ediv:04x}")]
    return [*items, ("rand", cmd.rand.hex())] if show_keys else items


def _identity_address(cmd: smp.IdentityAddressInformation, show_keys: bool) -> _Items:
    # All zero is BlueZ's BDADDR_ANY, no device's identity: what a log writes where it
    # did not have the address (hcidump's text, a redacted log) — said, not shown
    addr = "unknown (all zero in the log)" if not any(cmd.address) else None
    return [
        ("type", smp.address_type_name(cmd.address_type)),
        ("address", addr or smp.format_bd_addr(cmd.address)),
    ]


def _security_request(cmd: smp.SecurityRequest, show_keys: bool) -> _Items:
    return [("auth", _joined(smp.auth_req_names(cmd.auth_req)))]


def _public_key(cmd: smp.PairingPublicKey, show_keys: bool) -> _Items:
    # the coordinates in full are in fields(); a ladder line shows where they start
    if not show_keys:
        return []
    return [("x", cmd.x.hex()[:16] + "…"), ("y", cmd.y.hex()[:16] + "…")]


def _keypress(cmd: smp.PairingKeypressNotification, show_keys: bool) -> _Items:
    return [("type", smp.keypress_name(cmd.notification_type))]


def _unknown(cmd: smp.SmpUnknown, show_keys: bool) -> _Items:
    return [("payload", cmd.payload.hex())]


_ITEMS: dict[type, Callable[[Any, bool], _Items]] = {
    smp.PairingRequest: _features,
    smp.PairingResponse: _features,
    smp.CutPairingFeatures: _features,
    smp.CentralIdentification: _central_identification,
    smp.IdentityAddressInformation: _identity_address,
    smp.SecurityRequest: _security_request,
    smp.PairingPublicKey: _public_key,
    smp.PairingKeypressNotification: _keypress,
    smp.SmpUnknown: _unknown,
}


def smp_summary(cmd: Any, show_keys: bool = False) -> str:
    """The ladder line of a decoded SMP command (``smp.parse_smp``, ``parse_cut_features``,
    ``parse_unread``)."""
    if isinstance(cmd, smp.UnreadCommand):
        return f"{cmd.name} (parameters not in the capture)"
    if isinstance(cmd, smp.PairingFailed):
        return f"{cmd.name}: {smp.error_name(cmd.reason)} (0x{cmd.reason:02x})"
    items = _ITEMS.get(type(cmd), _declared)(cmd, show_keys)
    hide = frozenset() if show_keys else secret_keys(cmd)
    return " ".join([cmd.name, *(f"{k}={smp.REDACTED if k in hide else v}" for k, v in items)])
