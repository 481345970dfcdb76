"""What the analysis builds: connections, pairing sessions, encryptions, ATT errors.

These are plain data.  ``to_json`` methods give the documented JSON contract
(docs/json.md, schema ``bpdiag.analysis/1``); nothing here formats text for people.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from bpdiag.capture.record import Problem


# The analysis's vocabulary, declared once.  Each is a StrEnum: a member is equal to its
# value, which is what the JSON (docs/json.md) writes, so the output does not change.
class Outcome(StrEnum):
    """How a pairing ended (``Pairing.outcome``)."""

    SUCCESS = "success"
    FAILED = "failed"
    INCOMPLETE = "incomplete"


class Method(StrEnum):
    """An association model of pairing (Vol 3, Part H, 2.3.5.1; analysis/pairing_method.py)."""

    JUST_WORKS = "just_works"
    NUMERIC_COMPARISON = "numeric_comparison"
    PASSKEY_ENTRY = "passkey_entry"
    OOB = "oob"


class Side(StrEnum):
    """A side of a pairing (Vol 3, Part H, 2.1): who sent a Pairing Failed or a key."""

    INITIATOR = "initiator"
    RESPONDER = "responder"
    UNKNOWN = "unknown"  # the capture does not show it


class Role(StrEnum):
    """A link-layer role (Vol 6, Part B, 4.5): who sent a PDU, the local controller's role."""

    CENTRAL = "central"
    PERIPHERAL = "peripheral"
    UNKNOWN = "unknown"  # the capture does not show it


class Transport(StrEnum):
    LE = "le"
    BR_EDR = "br/edr"


class CheckResult(StrEnum):
    """What a spec check redone from the public values found (``Check.result``)."""

    MATCH = "match"
    MISMATCH = "mismatch"
    NOT_CHECKED = "not_checked"  # the check was not made (the detail says why)


class CheckKind(StrEnum):
    """Which spec check ``Check.check`` redid (analysis/verify.py, analysis/legacy_tk.py)."""

    INITIATOR_CONFIRM = "initiator_confirm"  # c1 / f4 of the initiator's confirm
    RESPONDER_CONFIRM = "responder_confirm"
    INITIATOR_PUBLIC_KEY = "initiator_public_key"  # the key is on P-256
    RESPONDER_PUBLIC_KEY = "responder_public_key"
    INITIATOR_DEBUG_KEY = "initiator_debug_key"  # the key is the SMP debug key
    RESPONDER_DEBUG_KEY = "responder_debug_key"
    INITIATOR_PASSKEY_COMMITMENT = "initiator_passkey_commitment"  # SC Passkey Entry rounds
    RESPONDER_PASSKEY_COMMITMENT = "responder_passkey_commitment"
    PASSKEY_AGREEMENT = "passkey_agreement"  # both sides used the same passkey
    INITIATOR_PASSKEY = "initiator_passkey"  # legacy: the passkey that explains a confirm
    RESPONDER_PASSKEY = "responder_passkey"
    PASSKEY_SEARCH = "passkey_search"  # legacy: the search was not run (the detail says why)


# The checks of one kind, one per side: rules ask which kind a check is, never its spelling
DEBUG_KEY_CHECKS = frozenset({CheckKind.INITIATOR_DEBUG_KEY, CheckKind.RESPONDER_DEBUG_KEY})
PUBLIC_KEY_CHECKS = frozenset({CheckKind.INITIATOR_PUBLIC_KEY, CheckKind.RESPONDER_PUBLIC_KEY})
PASSKEY_CHECKS = {
    Side.INITIATOR: CheckKind.INITIATOR_PASSKEY,
    Side.RESPONDER: CheckKind.RESPONDER_PASSKEY,
}


class RequestOutcome(StrEnum):
    """How a Security Request no pairing followed ended (``SecurityProcedure.outcome``)."""

    ENCRYPTED = "encrypted"  # a stored key was used
    ENCRYPTION_REFUSED = "encryption-refused"  # the stored key was refused, nothing followed
    DISCONNECTED = "disconnected"  # the link closed first
    UNANSWERED = "unanswered"  # the capture ends with no answer


@dataclass(slots=True)
class Endpoint:
    """One side of a connection: address as printed (``AA:BB:…``) and its type."""

    address: str | None = None
    address_type: str | None = None  # "public" | "random" | "public-identity" | …
    identity: str | None = None  # the identity address an IRK resolved this RPA to

    def to_json(self) -> dict[str, Any] | None:
        if self.address is None:
            return None
        out: dict[str, Any] = {"address": self.address, "address_type": self.address_type}
        if self.identity is not None:
            out["identity_address"] = self.identity
        return out


@dataclass(slots=True)
class Connection:
    """One connection: an HCI connection handle's life, or one access address on air."""

    id: int
    link: tuple[Any, ...]
    transport: Transport
    first_frame: int
    last_frame: int
    central: Endpoint = field(default_factory=Endpoint)
    peripheral: Endpoint = field(default_factory=Endpoint)
    local_role: Role | None = None  # HCI captures: central or peripheral; air: None
    handle: int | None = None
    access_address: int | None = None
    established_frame: int | None = None  # connection complete / CONNECT_IND
    disconnect_reason: int | None = None
    disconnect_reason_name: str | None = None
    disconnect_frame: int | None = None
    disconnected_by: Role | None = None  # air captures: who sent LL_TERMINATE_IND
    encrypted: bool = False
    disconnect_time: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "transport": self.transport,
            "handle": self.handle,
            "access_address": None
            if self.access_address is None
            else f"0x{self.access_address:08x}",
            "local_role": self.local_role,
            "central": self.central.to_json(),
            "peripheral": self.peripheral.to_json(),
            "first_frame": self.first_frame,
            "last_frame": self.last_frame,
            "disconnect_reason": self.disconnect_reason,
            "disconnect_reason_name": self.disconnect_reason_name,
            "disconnect_frame": self.disconnect_frame,
        }


@dataclass(slots=True)
class Features:
    """The fields of a Pairing Request or Response that decide the pairing."""

    frame: int
    io_capability: int
    io_capability_name: str
    oob: bool
    auth_req: int
    bonding: bool
    mitm: bool
    sc: bool
    keypress: bool
    ct2: bool
    max_key_size: int
    # shared: one tuple per key-distribution octet value; None: the log cut that octet
    # (Android's filtered log cuts the initiator's, btsnooz the responder's)
    initiator_keys: tuple[str, ...] | None
    responder_keys: tuple[str, ...] | None

    def to_json(self) -> dict[str, Any]:
        return {
            "frame": self.frame,
            "io_capability": self.io_capability_name,
            "oob": self.oob,
            "auth_req": self.auth_req,
            "bonding": self.bonding,
            "mitm": self.mitm,
            "sc": self.sc,
            "keypress": self.keypress,
            "ct2": self.ct2,
            "max_key_size": self.max_key_size,
            "initiator_keys": self.initiator_keys,
            "responder_keys": self.responder_keys,
        }


@dataclass(slots=True)
class SecurityRequest:
    frame: int
    auth_req: int
    bonding: bool
    mitm: bool
    sc: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "frame": self.frame,
            "auth_req": self.auth_req,
            "bonding": self.bonding,
            "mitm": self.mitm,
            "sc": self.sc,
        }


@dataclass(slots=True)
class SecurityProcedure:
    """A Security Request that no pairing followed (Vol 3, Part H, 2.4.6 and 3.6.7).

    The central may answer a Security Request by encrypting with the key it stored when it
    bonded, by pairing, by Pairing Failed, or not at all; the first and the last are not
    pairings and are kept here.  ``outcome``: "encrypted" (a stored key was used),
    "encryption-refused" (the stored key was refused and nothing followed), "disconnected"
    (the link closed first), "unanswered" (the capture ends with no answer).
    """

    connection: int
    request: SecurityRequest
    time: float
    outcome: RequestOutcome = RequestOutcome.UNANSWERED
    answer_frame: int | None = None  # the encryption or the disconnection
    answer_time: float | None = None
    encryption_status: int | None = None
    repeats: int = 0  # further Security Requests before any answer

    def to_json(self) -> dict[str, Any]:
        return {
            "connection": self.connection,
            "security_request": self.request.to_json(),
            "outcome": self.outcome,
            "answer_frame": self.answer_frame,
            "encryption_status": self.encryption_status,
            "repeats": self.repeats,
        }


@dataclass(slots=True)
class Failure:
    """Why a pairing ended: an SMP Pairing Failed, or encryption refused after pairing."""

    reason: int
    name: str
    sent_by: Side  # initiator or responder (unknown: ``sender_unknown`` says why)
    frame: int
    layer: str = "smp"  # "smp" | "hci" | "ll"
    # why ``sent_by`` is "unknown", None when it is known: "local-role-unknown" (the log
    # shows directions, nothing tells the local role), "no-direction" (a host log without
    # directions; SMP's order leaves either side), "no-direction-air" (a sniffer without
    # directions; a missed PDU could sit before it)
    sender_unknown: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "reason": self.reason,
            "name": self.name,
            "sent_by": self.sent_by,
            "frame": self.frame,
            "layer": self.layer,
        }
        if self.sender_unknown is not None:
            out["sender_unknown"] = self.sender_unknown
        return out


@dataclass(slots=True)
class Step:
    """One SMP PDU of a pairing, as the ladder shows it."""

    frame: int
    time: float
    sender: Role
    code: int
    name: str
    msg: Any  # the decoded SMP command (``summary(show_keys=…)`` renders it)
    decrypted: bool = False  # bpdiag decrypted the packet that carried it (air captures)


@dataclass(slots=True)
class Check:
    """A spec check redone from the public values of a pairing (bpdiag.analysis.verify)."""

    check: str  # a CheckKind (verify.py and legacy_tk.py write its values)
    frame: int  # the PDU the check is about
    result: str  # a CheckResult: match, mismatch, not_checked (the detail says why)
    detail: str
    # A secret the check recovered (the passkey of a successful pairing): never in ``detail``,
    # never in JSON; the text report shows it with --show-keys only.
    secret: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "check": self.check,
            "frame": self.frame,
            "result": self.result,
            "detail": self.detail,
        }
        if self.secret is not None:
            out["secret"] = "redacted"
        return out


@dataclass(slots=True)
class KeyDistributed:
    """A key a side sent in phase 3 (value kept only for ``--show-keys``)."""

    frame: int
    sent_by: Side
    key: str  # "LTK" | "EDIV/Rand" | "IRK" | "Identity Address" | "CSRK"


@dataclass(slots=True)
class Pairing:
    """One pairing attempt on a connection (Vol 3, Part H, 2.1: phases 1–3)."""

    id: int
    connection: int
    first_frame: int
    frames: list[int] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    security_request: SecurityRequest | None = None
    request: Features | None = None
    response: Features | None = None
    secure_connections: bool | None = None
    method: Method | None = None
    method_because: str | None = None
    passkey_displayed_by: Side | None = None
    confirms: int = 0
    randoms: int = 0
    public_keys: int = 0
    dhkey_checks: int = 0
    keypresses: int = 0
    keys: list[KeyDistributed] = field(default_factory=list)
    failure: Failure | None = None
    encrypted_frame: int | None = None
    encryption_status: int | None = None
    ended_frame: int | None = None  # Pairing Failed, or the encryption that closed phase 2
    early_encryption_request: int | None = None  # LL_ENC_REQ / LE Start Encryption mid-pairing
    checks: list[Check] = field(default_factory=list)  # spec checks redone (verify.py)
    numeric_value: int | None = None  # SC Numeric Comparison: the six digits both showed
    cut_frames: list[int] = field(default_factory=list)  # its SMP PDUs the log stored cut
    # SMP PDUs whose sender the capture did not show, told from SMP's order (sender_order)
    senders_from_order: list[int] = field(default_factory=list)

    @property
    def phase2_complete(self) -> bool:
        """Whether every phase-2 PDU the selected protocol needs was seen at least once."""
        if self.secure_connections:
            needed_confirms = 1
            if self.method == Method.PASSKEY_ENTRY:
                needed_confirms = 20
            elif self.method == Method.OOB:
                needed_confirms = 0
            return (
                self.public_keys >= 2
                and self.confirms >= needed_confirms
                and self.randoms >= 2
                and self.dhkey_checks >= 2
            )
        return self.confirms >= 2 and self.randoms >= 2

    @property
    def phase2_started(self) -> bool:
        return bool(self.confirms or self.randoms or self.public_keys or self.dhkey_checks)

    @property
    def outcome(self) -> Outcome:
        if self.failure is not None:
            return Outcome.FAILED
        if self.encrypted_frame is not None and self.phase2_started:
            return Outcome.SUCCESS
        if self.keys and self.phase2_started:
            return Outcome.SUCCESS
        return Outcome.INCOMPLETE

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "connection": self.connection,
            "frames": self.frames,
            "security_request": None
            if self.security_request is None
            else self.security_request.to_json(),
            "request": None if self.request is None else self.request.to_json(),
            "response": None if self.response is None else self.response.to_json(),
            "secure_connections": self.secure_connections,
            "method": self.method,
            "outcome": self.outcome,
            "failure": None if self.failure is None else self.failure.to_json(),
            "encrypted_frame": self.encrypted_frame,
            "early_encryption_request": self.early_encryption_request,
            "phase2": {
                "confirms": self.confirms,
                "randoms": self.randoms,
                "public_keys": self.public_keys,
                "dhkey_checks": self.dhkey_checks,
                "complete": self.phase2_complete,
            },
            "keys": [{"frame": k.frame, "sent_by": k.sent_by, "key": k.key} for k in self.keys],
            "checks": [c.to_json() for c in self.checks],
            "numeric_comparison_value": self.numeric_value,
        } | (
            # Only when the capture did not show who sent these (sender_order.py)
            {"senders_from_smp_order": self.senders_from_order} if self.senders_from_order else {}
        )


@dataclass(slots=True)
class Encryption:
    """Link encryption started (or refused), with a fresh key or a stored one."""

    connection: int
    frame: int
    status: int
    status_name: str
    after_pairing: bool
    pairing: int | None = None
    how: str = ""  # "hci-encryption-change", "ll-start-enc", "ll-reject", "ltk-negative-reply", …
    key_size: int | None = None
    smp_cut_before: bool = False
    """The log cut SMP PDUs of this connection before it to their L2CAP header (Android 11's
    filtered snoop log): whether a pairing gave the key is not in the capture."""

    def to_json(self) -> dict[str, Any]:
        out = {
            "connection": self.connection,
            "frame": self.frame,
            "status": self.status,
            "status_name": self.status_name,
            "after_pairing": self.after_pairing,
            "pairing": self.pairing,
            "how": self.how,
            "key_size": self.key_size,
        }
        if self.smp_cut_before:
            out["smp_cut_before"] = True
        return out


@dataclass(slots=True)
class AttError:
    """An ATT Error Response and the request it answers."""

    connection: int | None
    frame: int
    request_frame: int | None
    request_opcode: int
    request_name: str
    handle: int
    error: int
    error_name: str
    encrypted: bool  # link encrypted when the error came
    after_pairing: int | None  # id of the last pairing on this connection, if any
    # Repeats of the same refusal (connection, request, handle, error, link state) are one
    # AttError: ``frame`` is the first, ``count`` how many, ``frames`` the first few.
    count: int = 1
    frames: list[int] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "connection": self.connection,
            "frame": self.frame,
            "request_frame": self.request_frame,
            "request_opcode": self.request_opcode,
            "request_name": self.request_name,
            "handle": self.handle,
            "error": self.error,
            "error_name": self.error_name,
            "link_encrypted": self.encrypted,
            "count": self.count,
            "frames": self.frames or [self.frame],
        }


@dataclass(slots=True)
class Advertiser:
    """What a device said about itself in advertising (air captures)."""

    address: str
    frame: int
    flags: int | None
    name: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "frame": self.frame,
            "flags": self.flags,
            "name": self.name,
        }


@dataclass(slots=True)
class MonitorEvent:
    """A Linux monitor record that is not an HCI packet (notes, logs, control channel)."""

    frame: int
    time: float
    adapter: int
    opcode: int
    name: str
    values: dict[str, Any]


@dataclass(slots=True)
class CaptureInfo:
    path: str
    format: str
    link_type: int
    link_type_name: str
    records: int = 0
    truncated_records: int = 0  # records stored shorter than they were (snaplen, filtering)
    first_truncated: int | None = None
    cut_smp_frames: list[int] = field(default_factory=list)  # SMP PDUs the log stored cut
    first_time: float | None = None
    last_time: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "format": self.format,
            "link_type": self.link_type,
            "link_type_name": self.link_type_name,
            "records": self.records,
            "truncated_records": self.truncated_records,
        }


@dataclass(slots=True)
class Analysis:
    """What a capture shows: facts only.  The findings and suggestions drawn from it are a
    ``rules.diagnosis.Diagnosis`` of their own (``Diagnosed`` holds both)."""

    capture: CaptureInfo
    problems: list[Problem] = field(default_factory=list)
    connections: list[Connection] = field(default_factory=list)
    pairings: list[Pairing] = field(default_factory=list)
    encryptions: list[Encryption] = field(default_factory=list)
    att_errors: list[AttError] = field(default_factory=list)
    security_requests: list[SecurityProcedure] = field(default_factory=list)
    advertisers: list[Advertiser] = field(default_factory=list)
    monitor: list[MonitorEvent] = field(default_factory=list)
    connect_attempts: list[tuple[int, str]] = field(default_factory=list)  # (frame, address)
    problems_dropped: int = 0  # problems beyond the cap, counted but not kept
    att_errors_dropped: int = 0  # ATT errors of kinds beyond the cap, counted but not kept
    decryption: Any = None  # bpdiag.analysis.keys.Decryption when an air link was encrypted
    key_checks: list[Any] = field(default_factory=list)  # analysis.key_evidence.KeyCheck
    sniffer_bad_mic: int = 0  # packets the capture tool flagged encrypted with a bad MIC
    index: Any = field(default=None, repr=False, compare=False)  # analysis.index.index_of

    @property
    def failed(self) -> bool:
        """Exit status 1: a pairing or an encryption failed."""
        return any(p.outcome == Outcome.FAILED for p in self.pairings) or any(
            e.status != 0 for e in self.encryptions
        )
