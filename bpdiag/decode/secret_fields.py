"""Which decoded fields are key material, from the one place that says so: the message
declarations (``wire(..., secret=True)`` in ``hci`` / ``ll``, ``_key`` in ``smp``, the
``secret`` MGMT parameters of ``monitor``).

Every message that holds key material names its ``fields()`` keys in ``SECRETS``;
``secret_keys`` reads them for any message (none for the messages that have no such
attribute), and the reports redact exactly those keys unless --show-keys.  ``declared``
lists them per message, for the table test against the specification and for what is
not bpdiag's own decoding (scapy's dissection in the TUI, whose field names for these
values are the spec's as bpdiag's are).
"""

from __future__ import annotations

from bpdiag.decode import hci, ll, monitor, smp

_NONE: frozenset[str] = frozenset()


def secret_keys(msg: object) -> frozenset[str]:
    """The ``fields()`` keys of ``msg`` that hold key material."""
    found = getattr(msg, "SECRETS", _NONE)
    return found if isinstance(found, frozenset) else _NONE


def declared() -> dict[tuple[str, int], frozenset[str]]:
    """Every declared message with key material: (what it is, its code) → its secret keys.
    What it is: ``hci command``, ``hci event``, ``le subevent``, ``ll control``,
    ``hci return`` (a command's Command Complete return parameters, by the command's
    opcode: Command Complete's own ``SECRETS`` are all of them), ``smp``, ``mgmt command``
    or ``mgmt event``."""
    out: dict[tuple[str, int], frozenset[str]] = {}
    registries = (
        ("hci command", hci.COMMANDS),
        ("hci event", hci.EVENTS),
        ("le subevent", hci.LE_SUBEVENTS),
        ("ll control", ll.CONTROLS),
    )
    for kind, registry in registries:
        for code, layout in registry.items():
            keys = secret_keys(layout.cls)
            if keys and layout.cls is not hci.CommandComplete:
                out[kind, code] = keys
    for opcode, params in hci.RETURNS.items():
        returned = frozenset(p.key for p in params if p.secret)
        if returned:
            out["hci return", opcode] = returned
    for code, cls in smp.COMMANDS.items():
        if cls.SECRETS:
            out["smp", code] = cls.SECRETS
    for code, keys in monitor.MGMT_COMMAND_SECRETS.items():
        out["mgmt command", code] = keys
    for code, keys in monitor.MGMT_EVENT_SECRETS.items():
        out["mgmt event", code] = keys
    return out


SECRET_KEYS: frozenset[str] = frozenset().union(*declared().values())
"""Every ``fields()`` key that holds key material in some message."""
