"""ATT PDUs that matter to security — Bluetooth Core Spec v5.4, Vol 3, Part F, 3.3–3.4.

The Error Response (3.4.1.1) is decoded in full.  The requests it can answer are decoded just
far enough to know their opcode and attribute handle (the starting handle of a range, the
first handle of a set), after checking their length against the spec: a request too short
for its fixed parameters is ``Truncated``, one with a length the spec does not allow is
``BadLength`` (both ``layer=Stage.ATT``).  Every other opcode — responses, notifications,
indications, commands and reserved opcodes — is kept as a generic ``AttPdu``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from bpdiag.decode.declare import attrs
from bpdiag.decode.labels import Labelled
from bpdiag.errors import BadLength, Stage, Truncated


class Opcode(Labelled):
    """ATT PDU opcodes and their spec names (Vol 3, Part F, 3.4.8)."""

    ERROR_RESPONSE = 0x01
    EXCHANGE_MTU_REQUEST = 0x02
    EXCHANGE_MTU_RESPONSE = 0x03
    FIND_INFORMATION_REQUEST = 0x04
    FIND_INFORMATION_RESPONSE = 0x05
    FIND_BY_TYPE_VALUE_REQUEST = 0x06
    FIND_BY_TYPE_VALUE_RESPONSE = 0x07
    READ_BY_TYPE_REQUEST = 0x08
    READ_BY_TYPE_RESPONSE = 0x09
    READ_REQUEST = 0x0A
    READ_RESPONSE = 0x0B
    READ_BLOB_REQUEST = 0x0C
    READ_BLOB_RESPONSE = 0x0D
    READ_MULTIPLE_REQUEST = 0x0E
    READ_MULTIPLE_RESPONSE = 0x0F
    READ_BY_GROUP_TYPE_REQUEST = 0x10
    READ_BY_GROUP_TYPE_RESPONSE = 0x11
    WRITE_REQUEST = 0x12
    WRITE_RESPONSE = 0x13
    PREPARE_WRITE_REQUEST = 0x16
    PREPARE_WRITE_RESPONSE = 0x17
    EXECUTE_WRITE_REQUEST = 0x18
    EXECUTE_WRITE_RESPONSE = 0x19
    HANDLE_VALUE_NOTIFICATION = 0x1B
    HANDLE_VALUE_INDICATION = 0x1D
    HANDLE_VALUE_CONFIRMATION = 0x1E
    READ_MULTIPLE_VARIABLE_REQUEST = 0x20
    READ_MULTIPLE_VARIABLE_RESPONSE = 0x21
    MULTIPLE_HANDLE_VALUE_NOTIFICATION = 0x23
    WRITE_COMMAND = 0x52
    SIGNED_WRITE_COMMAND = 0xD2


ERROR_RESPONSE = int(Opcode.ERROR_RESPONSE)  # a plain int: the per-PDU path compares with it


# Vol 3, Part F, 3.4.1.1, Table 3.4
class ErrorCode(Labelled):
    """ATT Error Response codes (Vol 3, Part F, 3.4.1.1, Table 3.4), 0x01–0x13."""

    INVALID_HANDLE = 0x01
    READ_NOT_PERMITTED = 0x02
    WRITE_NOT_PERMITTED = 0x03
    INVALID_PDU = 0x04
    INSUFFICIENT_AUTHENTICATION = 0x05
    REQUEST_NOT_SUPPORTED = 0x06
    INVALID_OFFSET = 0x07
    INSUFFICIENT_AUTHORIZATION = 0x08
    PREPARE_QUEUE_FULL = 0x09
    ATTRIBUTE_NOT_FOUND = 0x0A
    ATTRIBUTE_NOT_LONG = 0x0B
    INSUFFICIENT_ENCRYPTION_KEY_SIZE = 0x0C
    INVALID_ATTRIBUTE_VALUE_LENGTH = 0x0D
    UNLIKELY_ERROR = 0x0E
    INSUFFICIENT_ENCRYPTION = 0x0F
    UNSUPPORTED_GROUP_TYPE = 0x10
    INSUFFICIENT_RESOURCES = 0x11
    DATABASE_OUT_OF_SYNC = 0x12
    VALUE_NOT_ALLOWED = 0x13


class CommonProfileError(Labelled):
    """The Common Profile and Service Error Codes the Supplement to the Core Specification
    defines (CSS, Part B, 1.2), in the range 0xE0–0xFF of Table 3.4."""

    WRITE_REQUEST_REJECTED = 0xFC
    CLIENT_CHARACTERISTIC_CONFIGURATION_DESCRIPTOR_IMPROPERLY_CONFIGURED = 0xFD
    PROCEDURE_ALREADY_IN_PROGRESS = 0xFE, "Procedure Already in Progress"
    OUT_OF_RANGE = 0xFF, "Out of Range"


@dataclass(frozen=True, slots=True)
class _RequestShape:
    """What the spec allows for a request's length: ``lengths`` lists the exact lengths
    (opcode included) when the request is fixed-size; otherwise it is at least ``minimum``
    bytes and, when ``handle_list``, carries whole 2-byte handles.  ``has_handle``: its
    first parameter (after the opcode) is an attribute handle."""

    minimum: int
    lengths: tuple[int, ...] = ()
    has_handle: bool = True
    handle_list: bool = False


# Vol 3, Part F, 3.4.2–3.4.6: the requests an Error Response may answer.
_REQUEST_SHAPES: dict[int, _RequestShape] = {
    0x02: _RequestShape(3, (3,), has_handle=False),  # 3.4.2.1 Client Rx MTU
    0x04: _RequestShape(5, (5,)),  # 3.4.3.1 Starting, Ending Handle
    0x06: _RequestShape(7),  # 3.4.3.3 Starting, Ending Handle, UUID16, Value
    0x08: _RequestShape(7, (7, 21)),  # 3.4.4.1 Starting, Ending Handle, UUID16/128
    0x0A: _RequestShape(3, (3,)),  # 3.4.4.3 Handle
    0x0C: _RequestShape(5, (5,)),  # 3.4.4.5 Handle, Offset
    0x0E: _RequestShape(5, handle_list=True),  # 3.4.4.7 Set Of Handles (two or more)
    0x10: _RequestShape(7, (7, 21)),  # 3.4.4.9 Starting, Ending Handle, UUID16/128
    0x12: _RequestShape(3),  # 3.4.5.1 Handle, Value
    0x16: _RequestShape(5),  # 3.4.6.1 Handle, Offset, Part Value
    0x18: _RequestShape(2, (2,), has_handle=False),  # 3.4.6.3 Flags
    0x20: _RequestShape(5, handle_list=True),  # 3.4.4.11 Set Of Handles (two or more)
}

REQUESTS: frozenset[int] = frozenset(_REQUEST_SHAPES)
"""Opcodes of the requests an Error Response can answer."""

REQUESTS_WITH_HANDLE: frozenset[int] = frozenset(
    op for op, shape in _REQUEST_SHAPES.items() if shape.has_handle
)
"""Those of ``REQUESTS`` whose first parameter is an attribute handle."""


def _hex(v: int) -> str:
    return f"0x{v:02x}"


def att_opcode_name(op: int) -> str:
    """Spec name of an ATT opcode (Vol 3, Part F, 3.4.8), ``reserved (0x..)``
    otherwise."""
    return Opcode.label_of(op) or f"reserved ({_hex(op)})"


def att_error_name(code: int) -> str:
    """Spec name of an ATT error code (Vol 3, Part F, 3.4.1.1, Table 3.4).

    0x80–0x9F are ``Application Error (0x80)`` …, 0xE0–0xFF the Common Profile and
    Service Error Codes of the CSS (Part B, 1.2) — named where defined, otherwise
    ``Common Profile and Service Error (0xe0)`` — and anything else ``reserved (0x..)``.
    """
    name = ErrorCode.label_of(code) or CommonProfileError.label_of(code)
    if name:
        return name
    if 0x80 <= code <= 0x9F:
        return f"Application Error ({_hex(code)})"
    if 0xE0 <= code <= 0xFF:
        return f"Common Profile and Service Error ({_hex(code)})"
    return f"reserved ({_hex(code)})"


@dataclass(frozen=True, slots=True)
class AttPdu:
    """Any ATT PDU bpdiag does not decode further (Vol 3, Part F, 3.3): the opcode and the
    parameters after it, raw."""

    opcode: int
    payload: bytes = b""

    @property
    def name(self) -> str:
        return att_opcode_name(self.opcode)

    def fields(self) -> dict[str, object]:
        return {"payload": self.payload.hex()}


@dataclass(frozen=True, slots=True)
class AttRequest:
    """A request an Error Response may answer (Vol 3, Part F, 3.4.2–3.4.6).

    ``handle`` is its attribute handle: the Starting Handle of a range request, the first
    handle of a Read Multiple (Variable) set, ``None`` for Exchange MTU and Execute Write,
    which carry no handle.
    """

    opcode: int
    handle: int | None

    @property
    def name(self) -> str:
        return att_opcode_name(self.opcode)

    def fields(self) -> dict[str, object]:
        return {"handle": self.handle}


@dataclass(frozen=True, slots=True)
class AttErrorResponse:
    """Vol 3, Part F, 3.4.1.1 Error Response: Request Opcode In Error, Attribute Handle In
    Error, Error Code (5 octets with the opcode)."""

    request_opcode: int
    handle: int
    error_code: int
    opcode: ClassVar[int] = ERROR_RESPONSE
    LENGTH: ClassVar[int] = 5

    @property
    def name(self) -> str:
        return att_opcode_name(ERROR_RESPONSE)

    @property
    def request_name(self) -> str:
        return att_opcode_name(self.request_opcode)

    @property
    def error_name(self) -> str:
        return att_error_name(self.error_code)

    def fields(self) -> dict[str, object]:
        names = ("request_opcode", "request_name", "handle", "error_code", "error_name")
        return attrs(self, names)


def _check_request(op: int, data: bytes) -> None:
    shape = _REQUEST_SHAPES[op]
    n = len(data)
    what = f"ATT {att_opcode_name(op)}"
    if shape.lengths:
        if n in shape.lengths:
            return
        allowed = " or ".join(str(length) for length in shape.lengths)
        error = Truncated if n < shape.minimum else BadLength
        raise error(f"{what} must be {allowed} bytes, got {n}", layer=Stage.ATT)
    if n < shape.minimum:
        raise Truncated(f"{what} must be at least {shape.minimum} bytes, got {n}", layer=Stage.ATT)
    if shape.handle_list and (n - 1) % 2:
        raise BadLength(f"{what} must carry whole 2-byte handles, got {n} bytes", layer=Stage.ATT)


def parse_att(data: bytes) -> AttPdu | AttErrorResponse | AttRequest:
    """Decode an ATT PDU (the payload of L2CAP CID 0x0004).

    Raises ``Truncated`` (empty PDU, or an Error Response / request shorter than its fixed
    parameters) or ``BadLength`` (a length the spec does not allow), with ``layer=Stage.ATT``.
    """
    if not data:
        raise Truncated("empty ATT PDU (no opcode)", layer=Stage.ATT)
    op = data[0]
    if op == ERROR_RESPONSE:
        if len(data) != AttErrorResponse.LENGTH:
            error = Truncated if len(data) < AttErrorResponse.LENGTH else BadLength
            raise error(
                f"ATT Error Response must be {AttErrorResponse.LENGTH} bytes, got {len(data)}",
                layer=Stage.ATT,
            )
        return AttErrorResponse(data[1], int.from_bytes(data[2:4], "little"), data[4])
    if op in _REQUEST_SHAPES:
        _check_request(op, data)
        if not _REQUEST_SHAPES[op].has_handle:
            return AttRequest(op, None)
        return AttRequest(op, int.from_bytes(data[1:3], "little"))
    return AttPdu(op, bytes(data[1:]))
