"""The JSON object of each thing an analysis holds (docs/json.md, ``bpdiag.analysis/1``).

The models (``analysis/model.py``, ``rules/base.py`` …) are plain data; how each one reads
in JSON is said here, next to the document that assembles them (``json_report``).  Keys
and their order are the contract: an object whose JSON is some of its fields as they are
names them in a tuple (read by ``_picker``); the others are written out.
"""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter
from typing import Any

from bpdiag.analysis.key_evidence import KeyCheck
from bpdiag.analysis.keys import Decryption
from bpdiag.analysis.model import (
    Advertiser,
    AttError,
    CaptureInfo,
    Check,
    Connection,
    Encryption,
    Endpoint,
    Failure,
    Features,
    Pairing,
    SecurityProcedure,
    SecurityRequest,
)
from bpdiag.decode.declare import Names
from bpdiag.rules.advice import Suggestion
from bpdiag.rules.base import Finding
from bpdiag.rules.evidence import check_detail


def _picker(names: Names) -> Callable[[Any], dict[str, Any]]:
    """The JSON of an object that is these of its fields as they are (``declare.attrs``,
    with the attributes read in one ``attrgetter`` call: this runs per object of a large
    document)."""
    keys = tuple(n if isinstance(n, str) else n[0] for n in names)
    get = attrgetter(*(n if isinstance(n, str) else n[1] for n in names))
    return lambda o: dict(zip(keys, get(o), strict=True))


_SECURITY_REQUEST = ("frame", "auth_req", "bonding", "mitm", "sc")
_FAILURE = ("reason", "name", "sent_by", "frame", "layer")
_ENCRYPTION = (
    *("connection", "frame", "status", "status_name", "after_pairing", "pairing", "how"),
    "key_size",
)
_ADVERTISER = ("address", "frame", "flags", "name")
_CAPTURE = ("path", "format", "link_type", "link_type_name", "records", "truncated_records")
_FINDING = (
    *("code", "severity", "title", "detail", "fix", "frames", "connection", "pairing"),
    "spec",
)
_SUGGESTION = (
    *("pairing", "io_capability", "mitm", "sc", "bonding", "max_key_size", "method", "why"),
    *("also", "commands"),
)
_KEY_CHECK = ("connection", "frame", "verdict", "peer", "source_frame", "how")
_FEATURES: Names = (
    *("frame", ("io_capability", "io_capability_name"), "oob", "auth_req", "bonding"),
    *("mitm", "sc", "keypress", "ct2", "max_key_size", "initiator_keys", "responder_keys"),
)
_ATT_ERROR: Names = (
    *("connection", "frame", "request_frame", "request_opcode", "request_name", "handle"),
    *("error", "error_name", ("link_encrypted", "encrypted"), "count"),
)
_DECRYPTION: Names = (
    ("decrypted_packets", "decrypted"),
    ("undecrypted_packets", "not_decrypted"),
    ("packet_counters_skipped", "counters_skipped"),
    ("keys_used", "keys"),
)


security_request_json: Callable[[SecurityRequest], dict[str, Any]] = _picker(_SECURITY_REQUEST)
advertiser_json: Callable[[Advertiser], dict[str, Any]] = _picker(_ADVERTISER)
capture_json: Callable[[CaptureInfo], dict[str, Any]] = _picker(_CAPTURE)
finding_json: Callable[[Finding], dict[str, Any]] = _picker(_FINDING)
suggestion_json: Callable[[Suggestion], dict[str, Any]] = _picker(_SUGGESTION)
decryption_json: Callable[[Decryption], dict[str, Any]] = _picker(_DECRYPTION)
key_check_json: Callable[[KeyCheck], dict[str, Any]] = _picker(_KEY_CHECK)
features_json: Callable[[Features], dict[str, Any]] = _picker(_FEATURES)
_failure_head = _picker(_FAILURE)
_encryption_head = _picker(_ENCRYPTION)
_att_error_head = _picker(_ATT_ERROR)
_check_head = _picker(("check", "frame", "result"))
_procedure_rest = _picker(("outcome", "answer_frame", "encryption_status", "repeats"))


def failure_json(f: Failure) -> dict[str, Any]:
    out = _failure_head(f)
    if f.sender_unknown is not None:  # why ``sent_by`` is unknown
        out["sender_unknown"] = f.sender_unknown
    if f.local is not None:  # which host sent it, where its role is not known
        out["sent_by_local_host"] = f.local
    return out


def encryption_json(e: Encryption) -> dict[str, Any]:
    out = _encryption_head(e)
    if e.smp_cut_before:  # the log cut SMP PDUs before it (Android's filtered snoop log)
        out["smp_cut_before"] = True
    return out


def endpoint_json(e: Endpoint) -> dict[str, Any] | None:
    if e.address is None:
        return None
    out: dict[str, Any] = {"address": e.address, "address_type": e.address_type}
    if e.identity is not None:
        out["identity_address"] = e.identity
    return out


def connection_json(c: Connection) -> dict[str, Any]:
    return {
        "id": c.id,
        "transport": c.transport,
        "handle": c.handle,
        "access_address": None if c.access_address is None else f"0x{c.access_address:08x}",
        "local_role": c.local_role,
        "central": endpoint_json(c.central),
        "peripheral": endpoint_json(c.peripheral),
        "first_frame": c.first_frame,
        "last_frame": c.last_frame,
        "disconnect_reason": c.disconnect_reason,
        "disconnect_reason_name": c.disconnect_reason_name,
        "disconnect_frame": c.disconnect_frame,
    }


def security_procedure_json(s: SecurityProcedure) -> dict[str, Any]:
    head = {"connection": s.connection, "security_request": security_request_json(s.request)}
    return head | _procedure_rest(s)


def check_json(c: Check) -> dict[str, Any]:
    out = _check_head(c) | {"detail": check_detail(c)}
    if c.secret is not None:
        out["secret"] = "redacted"
    return out


def pairing_json(p: Pairing, features: Callable[[Features], Any] = features_json) -> dict[str, Any]:
    """``features``: how the request and response are given (``json_report`` writes them
    already encoded, each offer worded once)."""
    sr, req, rsp, failure = p.security_request, p.request, p.response, p.failure
    return {
        "id": p.id,
        "connection": p.connection,
        "frames": p.frames,
        "security_request": None if sr is None else security_request_json(sr),
        "request": None if req is None else features(req),
        "response": None if rsp is None else features(rsp),
        "secure_connections": p.secure_connections,
        "method": p.method,
        "outcome": p.outcome,
        "failure": None if failure is None else failure_json(failure),
        "encrypted_frame": p.encrypted_frame,
        "early_encryption_request": p.early_encryption_request,
        "phase2": {
            "confirms": p.confirms,
            "randoms": p.randoms,
            "public_keys": p.public_keys,
            "dhkey_checks": p.dhkey_checks,
            "complete": p.phase2_complete,
        },
        "keys": [{"frame": k.frame, "sent_by": k.sent_by, "key": k.key} for k in p.keys],
        "checks": [check_json(c) for c in p.checks],
        "numeric_comparison_value": p.numeric_value,
    } | (
        # Only when the capture did not show who sent these (sender_order.py)
        {"senders_from_smp_order": p.senders_from_order} if p.senders_from_order else {}
    )


def att_error_json(a: AttError) -> dict[str, Any]:
    return _att_error_head(a) | {"frames": a.frames or [a.frame]}
