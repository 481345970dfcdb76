"""The JSON outputs: ``analyze --json`` (schema ``bpdiag.analysis/1``) and ``dump --json``.

The contract is documented in docs/json.md; tests/report/test_json_schema.py keeps the two
in step.  Key material (LTK, IRK, CSRK, and a passkey, which is the TK) is the string
``"redacted"`` unless ``show_keys``.
"""

from __future__ import annotations

import json
from typing import Any

from bpdiag.analysis.model import Analysis, Connection
from bpdiag.decode.pdu import Pdu

SCHEMA = "bpdiag.analysis/1"
DUMP_SCHEMA = "bpdiag.dump/1"

REDACTED = "redacted"
KEY_FIELDS = frozenset({"ltk", "irk", "csrk", "passkey"})  # a passkey is the TK


def analysis_to_json(analysis: Analysis) -> dict[str, Any]:
    """The ``analyze --json`` document (no key material appears in it at all)."""
    return {
        "schema": SCHEMA,
        "capture": analysis.capture.to_json(),
        "problems": [
            {"record": p.record, "offset": p.offset, "message": p.message, "layer": p.layer}
            for p in analysis.problems
        ],
        "problems_dropped": analysis.problems_dropped,
        "connections": [c.to_json() for c in analysis.connections],
        "pairings": [p.to_json() for p in analysis.pairings],
        "encryptions": [e.to_json() for e in analysis.encryptions],
        "att_errors": [a.to_json() for a in analysis.att_errors],
        "security_requests": [s.to_json() for s in analysis.security_requests],
        "advertisers": [a.to_json() for a in analysis.advertisers],
        "findings": [f.to_json() for f in analysis.findings],
        "suggestions": [s.to_json() for s in analysis.suggestions],
        **({"decryption": analysis.decryption.to_json()} if analysis.decryption else {}),
        **(
            {"key_checks": [k.to_json() for k in analysis.key_checks]}
            if analysis.key_checks
            else {}
        ),
    }


def dumps_analysis(analysis: Analysis) -> str:
    return json.dumps(analysis_to_json(analysis), indent=2)


def pdu_fields(pdu: Pdu, show_keys: bool) -> dict[str, Any]:
    fields = pdu.msg.fields()
    if not show_keys:
        for k in KEY_FIELDS.intersection(fields):
            if fields[k] is not None:
                fields[k] = REDACTED
    return fields


def direction_word(pdu: Pdu) -> str:
    return pdu.direction.name.lower()


def pdu_to_json(pdu: Pdu, conn: Connection | None, show_keys: bool) -> dict[str, Any]:
    """One ``dump --json`` line."""
    return {
        "frame": pdu.frame,
        "first_frame": pdu.first_frame or pdu.frame,
        "time": round(pdu.time, 6),
        "direction": direction_word(pdu),
        "connection": None if conn is None else conn.id,
        "layer": pdu.layer,
        "opcode": pdu.opcode,
        "name": pdu.name,
        "fields": pdu_fields(pdu, show_keys),
        **({"decrypted": True} if pdu.decrypted else {}),
    }
