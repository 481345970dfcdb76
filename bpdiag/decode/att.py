"""ATT PDUs that matter to security — Bluetooth Core Spec v5.4, Vol 3, Part F, 3.3–3.4.

Only the Error Response (3.4.1.1) is decoded in full; requests that it can answer are
decoded far enough to know their attribute handle; everything else is kept as a generic PDU.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from bpdiag.errors import Truncated

_OPCODES = {
    0x01: "Error Response",
    0x02: "Exchange MTU Request",
    0x03: "Exchange MTU Response",
    0x04: "Find Information Request",
    0x05: "Find Information Response",
    0x06: "Find By Type Value Request",
    0x07: "Find By Type Value Response",
    0x08: "Read By Type Request",
    0x09: "Read By Type Response",
    0x0A: "Read Request",
    0x0B: "Read Response",
    0x0C: "Read Blob Request",
    0x0D: "Read Blob Response",
    0x0E: "Read Multiple Request",
    0x0F: "Read Multiple Response",
    0x10: "Read By Group Type Request",
    0x11: "Read By Group Type Response",
    0x12: "Write Request",
    0x13: "Write Response",
    0x16: "Prepare Write Request",
    0x17: "Prepare Write Response",
    0x18: "Execute Write Request",
    0x19: "Execute Write Response",
    0x1B: "Handle Value Notification",
    0x1D: "Handle Value Indication",
    0x1E: "Handle Value Confirmation",
    0x20: "Read Multiple Variable Request",
    0x21: "Read Multiple Variable Response",
    0x23: "Multiple Handle Value Notification",
    0x52: "Write Command",
    0xD2: "Signed Write Command",
}

_ERRORS = {
    0x01: "Invalid Handle",
    0x02: "Read Not Permitted",
    0x03: "Write Not Permitted",
    0x04: "Invalid PDU",
    0x05: "Insufficient Authentication",
    0x06: "Request Not Supported",
    0x07: "Invalid Offset",
    0x08: "Insufficient Authorization",
    0x09: "Prepare Queue Full",
    0x0A: "Attribute Not Found",
    0x0B: "Attribute Not Long",
    0x0C: "Encryption Key Size Too Short",
    0x0D: "Invalid Attribute Value Length",
    0x0E: "Unlikely Error",
    0x0F: "Insufficient Encryption",
    0x10: "Unsupported Group Type",
    0x11: "Insufficient Resources",
    0x12: "Database Out Of Sync",
    0x13: "Value Not Allowed",
    0xFC: "Write Request Rejected",
    0xFD: "Client Characteristic Configuration Descriptor Improperly Configured",
    0xFE: "Procedure Already in Progress",
    0xFF: "Out of Range",
}

# Requests an Error Response can answer, and whether their first parameter is a handle.
REQUESTS_WITH_HANDLE = frozenset({0x04, 0x06, 0x08, 0x0A, 0x0C, 0x10, 0x12, 0x16})
REQUESTS = REQUESTS_WITH_HANDLE | {0x02, 0x0E, 0x18, 0x20}


def att_opcode_name(op: int) -> str:
    return _OPCODES.get(op, f"reserved (0x{op:02x})")


def att_error_name(code: int) -> str:
    if code in _ERRORS:
        return _ERRORS[code]
    if 0x80 <= code <= 0x9F:
        return f"Application Error (0x{code:02x})"
    if 0xE0 <= code <= 0xFF:
        return f"Common Profile and Service Error (0x{code:02x})"
    return f"reserved (0x{code:02x})"


@dataclass(frozen=True, slots=True)
class AttPdu:
    """Any ATT PDU bpdiag does not decode further (Vol 3, Part F, 3.3)."""

    opcode: int
    payload: bytes = b""

    @property
    def name(self) -> str:
        return att_opcode_name(self.opcode)

    def fields(self) -> dict[str, object]:
        return {}


@dataclass(frozen=True, slots=True)
class AttRequest:
    """A request an Error Response may answer; ``handle`` is its (starting) attribute handle."""

    opcode: int
    handle: int | None

    @property
    def name(self) -> str:
        return att_opcode_name(self.opcode)

    def fields(self) -> dict[str, object]:
        return {"handle": self.handle}


@dataclass(frozen=True, slots=True)
class AttErrorResponse:
    """Vol 3, Part F, 3.4.1.1 Error Response: request opcode, handle, error code."""

    request_opcode: int
    handle: int
    error_code: int
    opcode: int = 0x01

    @property
    def name(self) -> str:
        return "Error Response"

    def fields(self) -> dict[str, object]:
        return {
            "request_opcode": self.request_opcode,
            "request_name": att_opcode_name(self.request_opcode),
            "handle": self.handle,
            "error_code": self.error_code,
            "error_name": att_error_name(self.error_code),
        }


def parse_att(data: bytes) -> AttPdu | AttRequest | AttErrorResponse:
    """Decode an ATT PDU (payload of L2CAP CID 0x0004); raises ``Truncated`` if too short."""
    if not data:
        raise Truncated("empty ATT PDU (no opcode)", layer="att")
    op = data[0]
    if op == 0x01:
        if len(data) < 5:
            raise Truncated(f"ATT Error Response must be 5 bytes, got {len(data)}", layer="att")
        handle = struct.unpack_from("<H", data, 2)[0]
        return AttErrorResponse(data[1], handle, data[4])
    if op in REQUESTS_WITH_HANDLE:
        if len(data) < 3:
            raise Truncated(
                f"ATT {att_opcode_name(op)} must carry a handle, got {len(data)} bytes",
                layer="att",
            )
        return AttRequest(op, struct.unpack_from("<H", data, 1)[0])
    if op in REQUESTS:
        return AttRequest(op, None)
    return AttPdu(op, bytes(data[1:]))
