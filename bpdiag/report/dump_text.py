"""``bpdiag dump``'s text lines: frame, time since the capture's first record, direction,
connection, layer, PDU and its fields — SMP codes with their spec names beside the number
(``io_capability=4 (KeyboardDisplay)``, ``reason=3 (Authentication Requirements)``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bpdiag.analysis.model import Connection
from bpdiag.decode import smp
from bpdiag.decode.pdu import Layer, Pdu
from bpdiag.report.json_report import pdu_fields
from bpdiag.report.terminal import escape_line

_OOB = {0: "not present", 1: "present"}  # Vol 3, Part H, 3.5.1 OOB data flag

# SMP field → the name of its value (Vol 3, Part H, 3.5–3.6 tables).
SMP_VALUE_NAMES: dict[str, Callable[[int], str]] = {
    "io_capability": smp.io_capability_name,
    "oob": lambda v: _OOB.get(v) or smp.reserved_name(v),
    "auth_req": lambda v: "|".join(smp.auth_req_names(v)) or "no bonding",
    "initiator_key_distribution": lambda v: "|".join(smp.key_distribution_names(v)) or "none",
    "responder_key_distribution": lambda v: "|".join(smp.key_distribution_names(v)) or "none",
    "reason": smp.error_name,
    "address_type": smp.address_type_name,
    "notification_type": smp.keypress_name,
}


def field_text(layer: str, fields: dict[str, Any]) -> str:
    """``k=v`` pairs; on SMP, numbered codes carry their names."""
    parts = []
    for k, v in fields.items():
        name = SMP_VALUE_NAMES.get(k) if layer == Layer.SMP else None
        if name is not None and isinstance(v, int) and not isinstance(v, bool):
            parts.append(f"{k}={v} ({name(v)})")
        else:
            parts.append(f"{k}={v}")
    return " ".join(parts)


def dump_line(
    frame: int,
    time: float,
    first_time: float | None,
    direction: str,
    connection: int | None,
    layer: str,
    name: str,
    fields: dict[str, Any],
) -> str:
    rel = time - first_time if first_time is not None else 0.0
    cid = f"c{connection}" if connection is not None else "-"
    return (
        f"#{frame:<7} {rel:+11.6f}s {direction:<8} {cid:<4} {layer:<7} {name}  "
        f"{field_text(layer, fields)}\n"
    )


def pdu_line(pdu: Pdu, conn: Connection | None, first_time: float | None, show_keys: bool) -> str:
    """One ``bpdiag dump`` line for a decoded PDU, its capture text escaped (key values
    redacted unless ``show_keys``)."""
    line = dump_line(
        pdu.frame,
        pdu.time,
        first_time,
        pdu.direction.name,
        conn.id if conn is not None else None,
        pdu.layer,
        f"{pdu.name} [decrypted]" if pdu.decrypted else pdu.name,
        pdu_fields(pdu, show_keys),
    )
    return escape_line(line.rstrip("\n")) + "\n"


def input_header(name: str) -> str:
    """Heads the lines of one log of several (an Android bug report's)."""
    return f"=== {escape_line(name)} ===\n"
