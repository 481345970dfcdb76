"""ATT decoder (Vol 3, Part F, 3.3–3.4): the Error Response in full, the requests it can
answer down to their handle with every length rule, every other opcode kept raw; error and
opcode names; agreement with Bumble's ATT parser; fuzzing."""

from __future__ import annotations

import contextlib

import pytest
from bumble import att as bumble_att
from hypothesis import given, settings
from hypothesis import strategies as st

from bpdiag.decode import att
from bpdiag.errors import BadLength, DecodeError, Truncated
from tests.helpers import assert_names_agree

ERROR_RESPONSE = bytes(
    [
        0x01,  # opcode: Error Response
        0x0A,  # Request Opcode In Error: Read Request
        0x2A,  # Attribute Handle In Error, little-endian: 0x002a
        0x00,
        0x05,  # Error Code: Insufficient Authentication
    ]
)


def test_error_response() -> None:
    msg = att.parse_att(ERROR_RESPONSE)
    assert msg == att.AttErrorResponse(request_opcode=0x0A, handle=0x002A, error_code=0x05)
    assert isinstance(msg, att.AttErrorResponse)
    assert (msg.opcode, msg.name) == (0x01, "Error Response")
    assert (msg.request_name, msg.error_name) == ("Read Request", "Insufficient Authentication")
    assert msg.fields() == {
        "request_opcode": 0x0A,
        "request_name": "Read Request",
        "handle": 0x2A,
        "error_code": 0x05,
        "error_name": "Insufficient Authentication",
    }


def test_error_response_with_reserved_values() -> None:
    msg = att.parse_att(
        bytes(
            [
                0x01,  # Error Response
                0x7F,  # Request Opcode In Error: reserved
                0xFF,  # handle 0xffff
                0xFF,
                0x14,  # Error Code: reserved
            ]
        )
    )
    assert msg.fields() == {
        "request_opcode": 0x7F,
        "request_name": "reserved (0x7f)",
        "handle": 0xFFFF,
        "error_code": 0x14,
        "error_name": "reserved (0x14)",
    }


@pytest.mark.parametrize("n", [1, 2, 3, 4, 6, 7, 23])
def test_error_response_length_is_exact(n: int) -> None:
    pdu = (ERROR_RESPONSE + bytes(32))[:n]
    with pytest.raises(Truncated if n < 5 else BadLength) as caught:
        att.parse_att(pdu)
    assert str(caught.value) == f"ATT Error Response must be 5 bytes, got {n}"
    assert caught.value.layer == "att"


# opcode, a valid PDU (field by field), the handle it carries
VALID_REQUESTS = [
    pytest.param(0x02, "02f700", None, id="exchange-mtu"),  # Client Rx MTU 247
    pytest.param(0x04, "040100ffff", 0x0001, id="find-information"),  # start, end
    # start, end, UUID16 (Primary Service), value (UUID16 0x180f)
    pytest.param(0x06, "060100ffff00280f18", 0x0001, id="find-by-type-value"),
    pytest.param(0x06, "060100ffff0028", 0x0001, id="find-by-type-value-empty"),
    pytest.param(0x08, "0805000900032a", 0x0005, id="read-by-type-16"),  # UUID16
    pytest.param(0x08, "0805000900" + "ab" * 16, 0x0005, id="read-by-type-128"),
    pytest.param(0x0A, "0a2a00", 0x002A, id="read"),  # handle
    pytest.param(0x0C, "0c2a001600", 0x002A, id="read-blob"),  # handle, offset
    pytest.param(0x0E, "0e03000500", 0x0003, id="read-multiple"),  # two handles
    pytest.param(0x0E, "0e030005000700", 0x0003, id="read-multiple-3"),
    pytest.param(0x10, "100100ffff0028", 0x0001, id="read-by-group-type-16"),
    pytest.param(0x10, "100100ffff" + "cd" * 16, 0x0001, id="read-by-group-type-128"),
    pytest.param(0x12, "1210000100", 0x0010, id="write"),  # handle, value
    pytest.param(0x12, "121000", 0x0010, id="write-empty-value"),
    pytest.param(0x16, "1610000000aabb", 0x0010, id="prepare-write"),  # +offset
    pytest.param(0x16, "1610000000", 0x0010, id="prepare-write-empty"),
    pytest.param(0x18, "1801", None, id="execute-write"),  # flags: write
    pytest.param(0x20, "2003000500", 0x0003, id="read-multiple-variable"),
]


@pytest.mark.parametrize(("op", "hexpdu", "handle"), VALID_REQUESTS)
def test_request(op: int, hexpdu: str, handle: int | None) -> None:
    msg = att.parse_att(bytes.fromhex(hexpdu))
    assert msg == att.AttRequest(op, handle)
    assert msg.fields() == {"handle": handle}
    assert msg.name == att.att_opcode_name(op)
    assert op in att.REQUESTS
    assert (op in att.REQUESTS_WITH_HANDLE) == (handle is not None)


WRONG_REQUESTS = [
    # opcode and too few bytes for the fixed parameters
    ("02", Truncated, "ATT Exchange MTU Request must be 3 bytes, got 1"),
    ("02f7", Truncated, "ATT Exchange MTU Request must be 3 bytes, got 2"),
    ("04010000", Truncated, "ATT Find Information Request must be 5 bytes, got 4"),
    ("060100ffff00", Truncated, "ATT Find By Type Value Request must be at least 7 bytes, got 6"),
    ("080100ffff00", Truncated, "ATT Read By Type Request must be 7 or 21 bytes, got 6"),
    ("0a", Truncated, "ATT Read Request must be 3 bytes, got 1"),
    ("0a2a", Truncated, "ATT Read Request must be 3 bytes, got 2"),
    ("0c2a0016", Truncated, "ATT Read Blob Request must be 5 bytes, got 4"),
    ("0e0300", Truncated, "ATT Read Multiple Request must be at least 5 bytes, got 3"),
    ("100100ffff", Truncated, "ATT Read By Group Type Request must be 7 or 21 bytes, got 5"),
    ("1210", Truncated, "ATT Write Request must be at least 3 bytes, got 2"),
    ("16100000", Truncated, "ATT Prepare Write Request must be at least 5 bytes, got 4"),
    ("18", Truncated, "ATT Execute Write Request must be 2 bytes, got 1"),
    ("200300", Truncated, "ATT Read Multiple Variable Request must be at least 5 bytes, got 3"),
    # lengths the spec does not allow
    ("02f70000", BadLength, "ATT Exchange MTU Request must be 3 bytes, got 4"),
    ("040100ffff00", BadLength, "ATT Find Information Request must be 5 bytes, got 6"),
    ("080100ffff002800", BadLength, "ATT Read By Type Request must be 7 or 21 bytes, got 8"),
    ("080100ffff" + "00" * 17, BadLength, "ATT Read By Type Request must be 7 or 21 bytes, got 22"),
    ("0a2a0000", BadLength, "ATT Read Request must be 3 bytes, got 4"),
    ("0c2a001600ff", BadLength, "ATT Read Blob Request must be 5 bytes, got 6"),
    (
        "0e03000500ff",
        BadLength,
        "ATT Read Multiple Request must carry whole 2-byte handles, got 6 bytes",
    ),
    (
        "100100ffff" + "00" * 4,
        BadLength,
        "ATT Read By Group Type Request must be 7 or 21 bytes, got 9",
    ),
    ("180100", BadLength, "ATT Execute Write Request must be 2 bytes, got 3"),
    (
        "2003000500ff",
        BadLength,
        "ATT Read Multiple Variable Request must carry whole 2-byte handles, got 6 bytes",
    ),
]


@pytest.mark.parametrize(("hexpdu", "error", "message"), WRONG_REQUESTS)
def test_request_wrong_length(hexpdu: str, error: type[DecodeError], message: str) -> None:
    with pytest.raises(error) as caught:
        att.parse_att(bytes.fromhex(hexpdu))
    assert str(caught.value) == message
    assert caught.value.layer == "att"


def test_empty_pdu() -> None:
    with pytest.raises(Truncated) as caught:
        att.parse_att(b"")
    assert str(caught.value) == "empty ATT PDU (no opcode)"
    assert caught.value.layer == "att"


@pytest.mark.parametrize(
    ("hexpdu", "name"),
    [
        ("03f700", "Exchange MTU Response"),
        ("0b68656c6c6f", "Read Response"),
        ("13", "Write Response"),
        ("1b2a0001", "Handle Value Notification"),
        ("1d2a0001", "Handle Value Indication"),
        ("1e", "Handle Value Confirmation"),
        ("522a0001", "Write Command"),
        ("d22a00" + "00" * 12, "Signed Write Command"),
        ("23", "Multiple Handle Value Notification"),
        ("14", "reserved (0x14)"),
        ("ff0102", "reserved (0xff)"),
    ],
)
def test_other_opcodes_are_generic(hexpdu: str, name: str) -> None:
    pdu = bytes.fromhex(hexpdu)
    msg = att.parse_att(pdu)
    assert msg == att.AttPdu(pdu[0], pdu[1:])
    assert msg.name == name
    assert msg.fields() == {"payload": pdu[1:].hex()}


def test_error_codes_agree_with_bumble() -> None:
    """``att.ErrorCode`` (Table 3.4) held against Bumble's ATT ErrorCode: the same code for
    each name, where Bumble shortens 0x0D's to INVALID_ATTRIBUTE_LENGTH."""
    batt = pytest.importorskip("bumble.att")
    theirs = {int(c): c.name for c in batt.ErrorCode if int(c) < 0x80}
    ours = {int(c): c.name for c in att.ErrorCode}
    assert {c: n for c, n in theirs.items() if ours.get(c) != n} == {
        0x0D: "INVALID_ATTRIBUTE_LENGTH"
    }
    assert sorted(ours) == list(range(0x01, 0x14))


def test_error_names() -> None:
    """Table 3.4 (Vol 3, Part F, 3.4.1.1) and the CSS's Common Profile and Service Error
    Codes checked against Bumble's ErrorCode; the ranges Bumble does not list, by the spec."""
    beyond = assert_names_agree(
        att.att_error_name,
        bumble_att.ErrorCode,
        spelled={
            0x0D: "Invalid Attribute Value Length",  # Bumble: INVALID_ATTRIBUTE_LENGTH
            0xFD: "Client Characteristic Configuration Descriptor Improperly Configured",
        },
        named=lambda n: not n.startswith(("reserved", "Application Error", "Common Profile")),
    )
    assert beyond == {}
    by_spec = {
        0x00: "reserved (0x00)",
        0x14: "reserved (0x14)",
        0x7F: "reserved (0x7f)",
        0x80: "Application Error (0x80)",
        0x9F: "Application Error (0x9f)",
        0xA0: "reserved (0xa0)",
        0xDF: "reserved (0xdf)",
        0xE0: "Common Profile and Service Error (0xe0)",
        0xFB: "Common Profile and Service Error (0xfb)",
        0xFC: "Write Request Rejected",
        0xFD: "Client Characteristic Configuration Descriptor Improperly Configured",
        0xFE: "Procedure Already in Progress",
        0xFF: "Out of Range",
    }
    assert {code: att.att_error_name(code) for code in by_spec} == by_spec


def test_opcode_names() -> None:
    assert att.att_opcode_name(0x01) == "Error Response"
    assert att.att_opcode_name(0x12) == "Write Request"
    assert att.att_opcode_name(0x20) == "Read Multiple Variable Request"
    assert att.att_opcode_name(0x14) == "reserved (0x14)"
    assert sorted(att.REQUESTS) == [
        0x02,
        0x04,
        0x06,
        0x08,
        0x0A,
        0x0C,
        0x0E,
        0x10,
        0x12,
        0x16,
        0x18,
        0x20,
    ]
    assert all(att.att_opcode_name(op).endswith("Request") for op in att.REQUESTS)


@settings(max_examples=1000, deadline=None)
@given(st.binary(max_size=40))
def test_only_decode_errors_escape(data: bytes) -> None:
    with contextlib.suppress(DecodeError):
        msg = att.parse_att(data)
        msg.fields()
        assert msg.name


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(sorted(att.REQUESTS | {0x01})), st.binary(max_size=30))
def test_requests_fuzzed(op: int, body: bytes) -> None:
    with contextlib.suppress(Truncated, BadLength):
        msg = att.parse_att(bytes([op]) + body)
        assert isinstance(msg, att.AttErrorResponse | att.AttRequest)


# --------------------------------------------------------------------------- vs Bumble
# opcode → (Bumble's name for the handle, what may follow the handle)
BUMBLE_REQUESTS: dict[int, tuple[str, st.SearchStrategy[bytes]]] = {
    0x04: ("starting_handle", st.binary(min_size=2, max_size=2)),  # ending handle
    0x06: ("starting_handle", st.binary(min_size=4, max_size=20)),  # end, type, value
    0x08: (
        "starting_handle",
        st.sampled_from([4, 18]).flatmap(lambda n: st.binary(min_size=n, max_size=n)),
    ),
    0x0A: ("attribute_handle", st.just(b"")),
    0x0C: ("attribute_handle", st.binary(min_size=2, max_size=2)),  # offset
    0x10: (
        "starting_handle",
        st.sampled_from([4, 18]).flatmap(lambda n: st.binary(min_size=n, max_size=n)),
    ),
    0x12: ("attribute_handle", st.binary(max_size=20)),  # value
    0x16: ("attribute_handle", st.binary(min_size=2, max_size=20)),  # offset, part value
}


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(sorted(BUMBLE_REQUESTS)), st.integers(0, 0xFFFF), st.data())
def test_request_handles_agree_with_bumble(op: int, handle: int, data: st.DataObject) -> None:
    batt = pytest.importorskip("bumble.att")
    attr, rest = BUMBLE_REQUESTS[op]
    pdu = bytes([op]) + handle.to_bytes(2, "little") + data.draw(rest)
    ours = att.parse_att(pdu)
    theirs = batt.ATT_PDU.from_bytes(pdu)
    assert ours == att.AttRequest(op, handle)
    assert getattr(theirs, attr) == handle


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(sorted(att.REQUESTS)),
    st.integers(0, 0xFFFF),
    st.sampled_from([0x01, 0x05, 0x0C, 0x0F, 0x13]),
)
def test_error_response_agrees_with_bumble(request: int, handle: int, error: int) -> None:
    batt = pytest.importorskip("bumble.att")
    pdu = bytes([0x01, request]) + handle.to_bytes(2, "little") + bytes([error])
    ours = att.parse_att(pdu)
    theirs = batt.ATT_PDU.from_bytes(pdu)
    assert isinstance(ours, att.AttErrorResponse)
    assert (ours.request_opcode, ours.handle, ours.error_code) == (
        int(theirs.request_opcode_in_error),
        theirs.attribute_handle_in_error,
        int(theirs.error_code),
    )
