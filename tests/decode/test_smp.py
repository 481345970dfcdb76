"""SMP decoder (Vol 3, Part H, 3.3–3.6).

Three ways, as STYLE.md example 7 asks: byte literals with a comment per field for every
command (decoded fields, summary, and encoding back to the same bytes), every wrong length
with its exact message, and agreement with Bumble's SMP parser on generated PDUs.  Plus a
fuzz test: arbitrary bytes raise nothing but ``DecodeError``.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable

import pytest
from bumble import smp as bumble_smp
from hypothesis import given, settings
from hypothesis import strategies as st

from bpdiag.decode import smp
from bpdiag.errors import BadLength, DecodeError, Truncated
from bpdiag.report.smp_text import smp_summary
from tests.helpers import assert_names_agree

# --------------------------------------------------------------------------- byte literals
PAIRING_REQUEST = bytes(
    [
        0x01,  # code: Pairing Request
        0x03,  # IO capability: NoInputNoOutput
        0x00,  # OOB data flag: not present
        0x0D,  # AuthReq: Bonding (0b01) | MITM | SC
        0x10,  # maximum encryption key size: 16
        0x03,  # initiator key distribution: EncKey | IdKey
        0x03,  # responder key distribution: EncKey | IdKey
    ]
)
PAIRING_RESPONSE = bytes(
    [
        0x02,  # code: Pairing Response
        0x04,  # IO capability: KeyboardDisplay
        0x01,  # OOB data flag: present
        0x39,  # AuthReq: Bonding | SC | Keypress | CT2
        0x07,  # maximum encryption key size: 7
        0x05,  # initiator key distribution: EncKey | SignKey
        0x0A,  # responder key distribution: IdKey | LinkKey
    ]
)
CONFIRM = bytes.fromhex("03") + bytes(range(0x10, 0x20))  # code, 16-byte confirm value
RANDOM = bytes.fromhex("04") + bytes(range(0x20, 0x30))  # code, 16-byte random value
PAIRING_FAILED = bytes([0x05, 0x08])  # code, reason: Unspecified Reason
ENCRYPTION_INFORMATION = bytes.fromhex("06") + bytes(range(16))  # code, 16-byte LTK
CENTRAL_IDENTIFICATION = bytes(
    [
        0x07,  # code: Central Identification
        0x34,  # EDIV, little-endian: 0x1234
        0x12,
        *range(0xA0, 0xA8),  # Rand, 8 bytes
    ]
)
IDENTITY_INFORMATION = bytes.fromhex("08") + bytes(range(0x40, 0x50))  # code, 16-byte IRK
IDENTITY_ADDRESS_INFORMATION = bytes(
    [
        0x09,  # code: Identity Address Information
        0x01,  # AddrType: static random
        0x66,  # BD_ADDR, least significant byte first: C1:22:33:44:55:66
        0x55,
        0x44,
        0x33,
        0x22,
        0xC1,
    ]
)
SIGNING_INFORMATION = bytes.fromhex("0a") + bytes(range(0x60, 0x70))  # code, 16-byte CSRK
SECURITY_REQUEST = bytes([0x0B, 0x05])  # code, AuthReq: Bonding | MITM
PUBLIC_KEY = bytes.fromhex("0c") + bytes(range(32)) + bytes(range(0x80, 0xA0))  # code, X, Y
DHKEY_CHECK = bytes.fromhex("0d") + bytes(range(0xF0, 0x100))  # code, 16-byte check
KEYPRESS = bytes([0x0E, 0x01])  # code, notification type: passkey digit entered


def _case(pdu: bytes, cls: type, fields: dict[str, object], summary: str) -> object:
    return pytest.param(pdu, cls, fields, summary, id=cls.__name__)


CASES = [
    _case(
        PAIRING_REQUEST,
        smp.PairingRequest,
        {
            "io_capability": 3,
            "oob": 0,
            "auth_req": 0x0D,
            "max_key_size": 16,
            "initiator_key_distribution": 3,
            "responder_key_distribution": 3,
        },
        "Pairing Request io=NoInputNoOutput oob=0 auth=Bonding|MITM|SC key=16 "
        "ikd=EncKey|IdKey rkd=EncKey|IdKey",
    ),
    _case(
        PAIRING_RESPONSE,
        smp.PairingResponse,
        {
            "io_capability": 4,
            "oob": 1,
            "auth_req": 0x39,
            "max_key_size": 7,
            "initiator_key_distribution": 5,
            "responder_key_distribution": 10,
        },
        "Pairing Response io=KeyboardDisplay oob=1 auth=Bonding|SC|Keypress|CT2 key=7 "
        "ikd=EncKey|SignKey rkd=IdKey|LinkKey",
    ),
    _case(
        CONFIRM,
        smp.PairingConfirm,
        {"confirm": "101112131415161718191a1b1c1d1e1f"},
        "Pairing Confirm",
    ),
    _case(
        RANDOM,
        smp.PairingRandom,
        {"random": "202122232425262728292a2b2c2d2e2f"},
        "Pairing Random",
    ),
    _case(
        PAIRING_FAILED,
        smp.PairingFailed,
        {"reason": 8},
        "Pairing Failed: Unspecified Reason (0x08)",
    ),
    _case(
        ENCRYPTION_INFORMATION,
        smp.EncryptionInformation,
        {"ltk": "000102030405060708090a0b0c0d0e0f"},
        "Encryption Information ltk=redacted",
    ),
    _case(
        CENTRAL_IDENTIFICATION,
        smp.CentralIdentification,
        {"ediv": 0x1234, "rand": "a0a1a2a3a4a5a6a7"},
        "Central Identification ediv=0x1234",
    ),
    _case(
        IDENTITY_INFORMATION,
        smp.IdentityInformation,
        {"irk": "404142434445464748494a4b4c4d4e4f"},
        "Identity Information irk=redacted",
    ),
    _case(
        IDENTITY_ADDRESS_INFORMATION,
        smp.IdentityAddressInformation,
        {"address_type": 1, "address": "C1:22:33:44:55:66"},
        "Identity Address Information type=random address=C1:22:33:44:55:66",
    ),
    _case(
        SIGNING_INFORMATION,
        smp.SigningInformation,
        {"csrk": "606162636465666768696a6b6c6d6e6f"},
        "Signing Information csrk=redacted",
    ),
    _case(
        SECURITY_REQUEST,
        smp.SecurityRequest,
        {"auth_req": 5},
        "Security Request auth=Bonding|MITM",
    ),
    _case(
        PUBLIC_KEY,
        smp.PairingPublicKey,
        {"public_key_x": bytes(range(32)).hex(), "public_key_y": bytes(range(0x80, 0xA0)).hex()},
        "Pairing Public Key",
    ),
    _case(
        DHKEY_CHECK,
        smp.PairingDhKeyCheck,
        {"dhkey_check": "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff"},
        "Pairing DHKey Check",
    ),
    _case(
        KEYPRESS,
        smp.PairingKeypressNotification,
        {"notification_type": 1},
        "Pairing Keypress Notification type=Passkey digit entered",
    ),
]


@pytest.mark.parametrize(("pdu", "cls", "fields", "summary"), CASES)
def test_byte_literal(pdu: bytes, cls: type, fields: dict[str, object], summary: str) -> None:
    cmd = smp.parse_smp(pdu)
    assert type(cmd) is cls
    assert cmd.code == pdu[0]
    assert cmd.name == smp.command_name(pdu[0])
    assert cmd.fields() == fields
    assert smp_summary(cmd) == summary
    assert bytes(cmd) == cmd.to_bytes() == pdu  # round trip


def test_every_code_has_a_literal() -> None:
    assert sorted(p.values[0][0] for p in CASES) == list(range(0x01, 0x0F))
    assert sorted(smp.SMP_LENGTHS) == [int(c) for c in smp.CommandCode]


def test_typed_attributes() -> None:
    req = smp.parse_smp(PAIRING_REQUEST)
    assert isinstance(req, smp.PairingRequest)
    assert (req.bonding, req.mitm, req.sc, req.keypress, req.ct2) == (
        True,
        True,
        True,
        False,
        False,
    )
    assert (req.io_capability, req.oob, req.auth_req, req.max_key_size) == (3, 0, 0x0D, 16)
    assert (
        req.initiator_key_distribution == smp.KeyDistribution.ENC_KEY | smp.KeyDistribution.ID_KEY
    )
    rsp = smp.parse_smp(PAIRING_RESPONSE)
    assert isinstance(rsp, smp.PairingResponse)
    assert (rsp.bonding, rsp.mitm, rsp.sc, rsp.keypress, rsp.ct2) == (True, False, True, True, True)
    sr = smp.parse_smp(SECURITY_REQUEST)
    assert isinstance(sr, smp.SecurityRequest)
    assert (sr.bonding, sr.mitm, sr.sc, sr.keypress, sr.ct2) == (True, True, False, False, False)
    ci = smp.parse_smp(CENTRAL_IDENTIFICATION)
    assert isinstance(ci, smp.CentralIdentification)
    assert (ci.ediv, ci.rand) == (0x1234, bytes(range(0xA0, 0xA8)))
    ia = smp.parse_smp(IDENTITY_ADDRESS_INFORMATION)
    assert isinstance(ia, smp.IdentityAddressInformation)
    assert ia.address == bytes.fromhex("6655443322c1")  # wire order kept
    pk = smp.parse_smp(PUBLIC_KEY)
    assert isinstance(pk, smp.PairingPublicKey)
    assert (pk.x, pk.y) == (PUBLIC_KEY[1:33], PUBLIC_KEY[33:])


def test_keys_shown_only_on_request() -> None:
    for pdu, key in (
        (ENCRYPTION_INFORMATION, "ltk"),
        (IDENTITY_INFORMATION, "irk"),
        (SIGNING_INFORMATION, "csrk"),
    ):
        cmd = smp.parse_smp(pdu)
        assert {key} == cmd.SECRETS
        assert smp_summary(cmd) == f"{cmd.name} {key}=redacted"
        assert smp_summary(cmd, show_keys=True) == f"{cmd.name} {key}={pdu[1:].hex()}"


@pytest.mark.parametrize(
    ("pdu", "summary"),
    [
        (CONFIRM, "Pairing Confirm confirm=101112131415161718191a1b1c1d1e1f"),
        (RANDOM, "Pairing Random random=202122232425262728292a2b2c2d2e2f"),
        (CENTRAL_IDENTIFICATION, "Central Identification ediv=0x1234 rand=a0a1a2a3a4a5a6a7"),
        (PUBLIC_KEY, "Pairing Public Key x=0001020304050607… y=8081828384858687…"),
        (DHKEY_CHECK, "Pairing DHKey Check dhkey_check=f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff"),
        (PAIRING_FAILED, "Pairing Failed: Unspecified Reason (0x08)"),
        (SECURITY_REQUEST, "Security Request auth=Bonding|MITM"),
    ],
)
def test_pairing_values_only_with_show_keys(pdu: bytes, summary: str) -> None:
    """Confirm/random/check values are not keys, but legacy pairing's TK falls to a search
    over them: summaries show them only with show_keys (fields() always has them)."""
    assert smp_summary(smp.parse_smp(pdu), show_keys=True) == summary


def test_no_long_hex_in_default_summaries() -> None:
    for case in CASES:
        text = smp_summary(smp.parse_smp(case.values[0]))
        assert not re.search("[0-9a-f]{16}", text), text


def test_enums_follow_the_spec_tables() -> None:
    assert smp.CommandCode.PAIRING_REQUEST == 0x01
    assert smp.CommandCode.CENTRAL_IDENTIFICATION == 0x07
    assert smp.CommandCode.PAIRING_KEYPRESS_NOTIFICATION == 0x0E
    assert [int(c) for c in smp.ErrorCode] == list(range(0x01, 0x10))
    assert smp.ErrorCode.KEY_REJECTED == 0x0F
    assert [int(c) for c in smp.IoCapability] == list(range(5))
    assert smp.AuthReq.BONDING | smp.AuthReq.MITM | smp.AuthReq.SC == 0x0D
    assert (smp.AuthReq.KEYPRESS, smp.AuthReq.CT2) == (0x10, 0x20)
    assert [int(k) for k in smp.KeyDistribution] == [1, 2, 4, 8]


def test_error_names_agree_with_bumble() -> None:
    """Table 3.7 (Vol 3, Part H, 3.5.5) checked against Bumble's ErrorCode, an independent
    transcription of it."""
    beyond = assert_names_agree(
        smp.error_name,
        bumble_smp.ErrorCode,
        spelled={
            0x0D: "BR/EDR pairing in progress",  # Bumble: BD_EDR_…
            0x0E: "Cross-transport Key Derivation/Generation not allowed",  # Bumble: no "/Gen…"
        },
    )
    assert beyond == {0x0F: "Key Rejected"}  # added in Core v5.3, after Bumble's table


def test_one_reason_table() -> None:
    """decode/smp.py's ``REASONS`` is the one table of Pairing Failed reasons (its names are
    held against Bumble above): every code of Table 3.7 has a name and a meaning."""
    assert sorted(smp.REASONS) == list(range(0x01, 0x10))  # Table 3.7 has no gaps
    assert all(smp.error_name(c) == r.name for c, r in smp.REASONS.items())
    assert all(smp.error_meaning(c) == r.meaning and r.meaning for c, r in smp.REASONS.items())
    assert smp.error_meaning(0x10) == "a reason the spec reserves"


def test_names() -> None:
    assert smp.error_name(0x08) == "Unspecified Reason"
    assert [smp.io_capability_name(v) for v in range(5)] == [
        "DisplayOnly",
        "DisplayYesNo",
        "KeyboardOnly",
        "NoInputNoOutput",
        "KeyboardDisplay",
    ]
    assert smp.command_name(0x01) == "Pairing Request"
    assert smp.command_name(0x0E) == "Pairing Keypress Notification"
    assert smp.key_distribution_names(0x0F) == ("EncKey", "IdKey", "SignKey", "LinkKey")
    assert smp.key_distribution_names(0) == ()


@pytest.mark.parametrize(
    ("name_of", "code"),
    [
        (smp.error_name, 0x00),
        (smp.error_name, 0x10),
        (smp.error_name, 0x1F),
        (smp.io_capability_name, 0x05),
        (smp.io_capability_name, 0xFF),
        (smp.command_name, 0x1F),
        (smp.keypress_name, 5),
        (smp.address_type_name, 2),
    ],
    ids=lambda v: f"0x{v:02x}" if isinstance(v, int) else v.__name__,
)
def test_a_reserved_code_is_named(name_of: Callable[[int], str], code: int) -> None:
    assert name_of(code) == f"reserved (0x{code:02x})"


def test_reserved_values_are_named_not_fatal() -> None:
    assert smp.key_distribution_names(0xF1) == (
        "EncKey",
        "reserved (0x10)",
        "reserved (0x20)",
        "reserved (0x40)",
        "reserved (0x80)",
    )
    assert smp.auth_req_names(0xC2) == ["reserved (0x02)", "reserved (0x40)", "reserved (0x80)"]
    assert smp.auth_req_names(0x03) == ["reserved (0x03)"]
    odd = smp.parse_smp(
        bytes(
            [
                0x01,  # Pairing Request
                0x05,  # IO capability: reserved
                0x02,  # OOB data flag: reserved
                0xC2,  # AuthReq: Bonding_Flags 0b10 (reserved), bits 6 and 7 (reserved)
                0x11,  # maximum encryption key size 17: out of range, still decoded
                0xF0,  # initiator key distribution: reserved bits only
                0x00,  # responder key distribution: none
            ]
        )
    )
    assert isinstance(odd, smp.PairingRequest)
    assert not odd.bonding  # 0b10 is reserved, not "bonding"
    assert smp_summary(odd) == (
        "Pairing Request io=reserved (0x05) oob=2 "
        "auth=reserved (0x02)|reserved (0x40)|reserved (0x80) key=17 "
        "ikd=reserved (0x10)|reserved (0x20)|reserved (0x40)|reserved (0x80) rkd=none"
    )
    assert smp_summary(smp.parse_smp(b"\x05\x1f")) == "Pairing Failed: reserved (0x1f) (0x1f)"
    assert smp_summary(smp.parse_smp(b"\x0e\x07")) == (
        "Pairing Keypress Notification type=reserved (0x07)"
    )
    assert smp_summary(smp.parse_smp(b"\x0b\x00")) == "Security Request auth=none"
    ia = smp.parse_smp(b"\x09\x02\x01\x02\x03\x04\x05\x06")
    assert (
        smp_summary(ia)
        == "Identity Address Information type=reserved (0x02) address=06:05:04:03:02:01"
    )


@pytest.mark.parametrize("code", [0x00, 0x0F, 0x1F, 0x80, 0xFF])
def test_reserved_command_code(code: int) -> None:
    pdu = bytes([code, 0x01, 0x02])
    cmd = smp.parse_smp(pdu)
    assert isinstance(cmd, smp.SmpUnknown)
    assert cmd.code == code
    assert cmd.name == f"reserved (0x{code:02x})"
    assert cmd.payload == b"\x01\x02"
    assert cmd.fields() == {"payload": "0102"}
    assert smp_summary(cmd) == f"reserved (0x{code:02x}) payload=0102"
    assert bytes(cmd) == pdu
    assert smp.parse_smp(bytes([code])) == smp.SmpUnknown(code, b"")


# --------------------------------------------------------------------------- lengths
def _pdu(code: int, length: int) -> bytes:
    return bytes([code]) + bytes(range(1, length))


WRONG_LENGTHS = [
    pytest.param(code, n, id=f"0x{code:02x}-{n}")
    for code, length in sorted(smp.SMP_LENGTHS.items())
    for n in [*range(1, length), length + 1, length + 2, length + 16]
]


@pytest.mark.parametrize(("code", "n"), WRONG_LENGTHS)
def test_every_wrong_length_is_rejected(code: int, n: int) -> None:
    length = smp.SMP_LENGTHS[code]
    error = Truncated if n < length else BadLength
    with pytest.raises(error) as caught:
        smp.parse_smp(_pdu(code, n))
    assert str(caught.value) == f"SMP {smp.command_name(code)} must be {length} bytes, got {n}"
    assert caught.value.layer == "smp"


def test_exact_lengths() -> None:
    assert smp.SMP_LENGTHS == {
        0x01: 7,  # 3.5.1: IO, OOB, AuthReq, max key size, IKD, RKD
        0x02: 7,  # 3.5.2
        0x03: 17,  # 3.5.3: 128-bit confirm
        0x04: 17,  # 3.5.4: 128-bit random
        0x05: 2,  # 3.5.5: reason
        0x06: 17,  # 3.6.2: LTK
        0x07: 11,  # 3.6.3: EDIV (2), Rand (8)
        0x08: 17,  # 3.6.4: IRK
        0x09: 8,  # 3.6.5: AddrType, BD_ADDR
        0x0A: 17,  # 3.6.6: CSRK
        0x0B: 2,  # 3.6.7: AuthReq
        0x0C: 65,  # 3.5.6: X (32), Y (32)
        0x0D: 17,  # 3.5.7: DHKey check
        0x0E: 2,  # 3.5.8: notification type
    }
    for code, length in smp.SMP_LENGTHS.items():
        assert smp.smp_length(code) == length
        assert smp.parse_smp(_pdu(code, length)).code == code
    assert smp.smp_length(0x1F) is None


def test_nine_byte_confirm_is_rejected() -> None:
    pdu = bytes(
        [
            0x03,  # code: Pairing Confirm
            *range(9),  # a confirm value of 9 bytes instead of 16
        ]
    )
    with pytest.raises(Truncated) as caught:
        smp.parse_smp(pdu)
    assert str(caught.value) == "SMP Pairing Confirm must be 17 bytes, got 10"


def test_bumble_accepts_the_nine_byte_confirm_we_reject() -> None:
    """Why the length checks exist: Bumble's field parser takes the short value as is."""
    bsmp = pytest.importorskip("bumble.smp")
    pdu = b"\x03" + bytes(range(9))
    assert bsmp.SMP_Command.from_bytes(pdu).confirm_value == bytes(range(9))
    with pytest.raises(Truncated):
        smp.parse_smp(pdu)


def test_empty_pdu() -> None:
    with pytest.raises(Truncated) as caught:
        smp.parse_smp(b"")
    assert str(caught.value) == "empty SMP PDU (no command code)"
    assert caught.value.layer == "smp"


def test_accepts_bytes_like() -> None:
    assert smp.parse_smp(bytearray(PAIRING_FAILED)) == smp.PairingFailed(8)
    assert smp.parse_smp(memoryview(CONFIRM)) == smp.parse_smp(CONFIRM)


# --------------------------------------------------------------------------- construction
def test_construct_and_encode() -> None:
    assert bytes(smp.PairingFailed(reason=smp.ErrorCode.DHKEY_CHECK_FAILED)) == b"\x05\x0b"
    req = smp.PairingRequest(
        io_capability=smp.IoCapability.NO_INPUT_NO_OUTPUT,
        oob=0,
        auth_req=smp.AuthReq.BONDING | smp.AuthReq.MITM | smp.AuthReq.SC,
        max_key_size=16,
        initiator_key_distribution=smp.KeyDistribution.ENC_KEY | smp.KeyDistribution.ID_KEY,
        responder_key_distribution=3,
    )
    assert req.code == smp.CommandCode.PAIRING_REQUEST
    assert bytes(req) == PAIRING_REQUEST
    assert type(req.fields()["auth_req"]) is int  # enums stored as plain ints (JSON)
    assert smp.CentralIdentification(0x1234, bytes(range(0xA0, 0xA8))).to_bytes() == (
        CENTRAL_IDENTIFICATION
    )


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: smp.PairingConfirm(bytes(9)), "PairingConfirm.confirm must be 16 bytes"),
        (lambda: smp.PairingFailed(0x100), "PairingFailed.reason must be an integer of 1"),
        (lambda: smp.PairingFailed(-1), "PairingFailed.reason must be an integer of 1"),
        (lambda: smp.CentralIdentification(0x10000, bytes(8)), "ediv must be an integer of 2"),
        (lambda: smp.PairingRandom("00" * 16), "PairingRandom.random must be 16 bytes"),
        (lambda: smp.SmpUnknown(0x05, b""), "SmpUnknown needs a reserved command code"),
    ],
)
def test_construction_is_checked(make: Callable[[], object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make()


def test_base_classes_are_not_commands() -> None:
    with pytest.raises(TypeError):
        smp.SmpCommand()


# --------------------------------------------------------------------------- properties
@st.composite
def valid_pdus(draw: st.DrawFn) -> bytes:
    code = draw(st.sampled_from(sorted(smp.SMP_LENGTHS)))
    body = draw(st.binary(min_size=smp.SMP_LENGTHS[code] - 1, max_size=smp.SMP_LENGTHS[code] - 1))
    return bytes([code]) + body


@settings(max_examples=400, deadline=None)
@given(valid_pdus())
def test_round_trip(pdu: bytes) -> None:
    cmd = smp.parse_smp(pdu)
    assert bytes(cmd) == pdu
    assert smp.parse_smp(bytes(cmd)) == cmd
    assert smp_summary(cmd, show_keys=True)  # every value has a rendering


@settings(max_examples=1000, deadline=None)
@given(st.binary(max_size=80))
def test_only_decode_errors_escape(data: bytes) -> None:
    with contextlib.suppress(DecodeError):
        cmd = smp.parse_smp(data)
        assert bytes(cmd) == data
        cmd.fields()
        smp_summary(cmd)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(sorted(smp.SMP_LENGTHS)), st.data())
def test_wrong_lengths_fuzzed(code: int, data: st.DataObject) -> None:
    length = smp.SMP_LENGTHS[code]
    n = data.draw(st.integers(1, 200).filter(lambda k: k != length))
    with pytest.raises(Truncated if n < length else BadLength):
        smp.parse_smp(bytes([code]) + bytes(n - 1))


# --------------------------------------------------------------------------- vs Bumble
# our fields() key → Bumble's attribute
BUMBLE_ATTRS = {
    "io_capability": "io_capability",
    "oob": "oob_data_flag",
    "auth_req": "auth_req",
    "max_key_size": "maximum_encryption_key_size",
    "initiator_key_distribution": "initiator_key_distribution",
    "responder_key_distribution": "responder_key_distribution",
    "reason": "reason",
    "confirm": "confirm_value",
    "random": "random_value",
    "ltk": "long_term_key",
    "ediv": "ediv",
    "rand": "rand",
    "irk": "identity_resolving_key",
    "address_type": "addr_type",
    "address": "bd_addr",
    "csrk": "signature_key",
    "public_key_x": "public_key_x",
    "public_key_y": "public_key_y",
    "dhkey_check": "dhkey_check",
    "notification_type": "notification_type",
}


def _bumble_value(value: object) -> object:
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, int):
        return int(value)
    # bumble.hci.Address: printed MSB first, with a "/P" style type suffix
    return str(value).split("/")[0]


@settings(max_examples=500, deadline=None)
@given(valid_pdus())
def test_agrees_with_bumble(pdu: bytes) -> None:
    bsmp = pytest.importorskip("bumble.smp")
    theirs = bsmp.SMP_Command.from_bytes(pdu)
    ours = smp.parse_smp(pdu)
    assert int(theirs.code) == ours.code
    assert bytes(theirs) == bytes(ours)
    fields = ours.fields()
    assert fields  # every defined command has fields to compare
    for key, value in fields.items():
        assert _bumble_value(getattr(theirs, BUMBLE_ATTRS[key])) == value, key


def test_unread_phase2_pdu_only_when_its_values_are_cut() -> None:
    from bpdiag.decode.smp import UnreadCommand, parse_unread

    u = parse_unread(b"\x0c", 65)
    assert isinstance(u, UnreadCommand) and u.name == "Pairing Public Key"
    assert smp_summary(u) == "Pairing Public Key (parameters not in the capture)"
    assert u.fields()["parameters"] is None
    assert parse_unread(b"\x0d", 17) is not None
    # values partly kept (Android's filtered log keeps 5 octets, btsnooz 6): still unread
    assert parse_unread(b"\x03" + bytes(4), 17) == UnreadCommand(0x03, 17)
    assert parse_unread(b"\x0c" + bytes(5), 65) == UnreadCommand(0x0C, 65)
    # not for: a PDU kept whole, commands whose fields the analysis reads, nothing sent
    assert parse_unread(b"\x04" + bytes(16), 17) is None
    for code in (0x01, 0x02, 0x05, 0x08, 0x09, 0x0B):
        assert parse_unread(bytes([code]), 17) is None
    assert parse_unread(b"\x0c", 1) is None
    assert parse_unread(b"", 65) is None


def test_cut_pairing_features_keep_what_the_log_kept() -> None:
    from bpdiag.decode.smp import parse_cut_features

    # Pairing Response cut to 5 octets (Android filtered snoop log, headers filter):
    five = parse_cut_features(
        b"\x02"  # Pairing Response
        b"\x03"  # IO capability NoInputNoOutput
        b"\x00"  # OOB data not present
        b"\x09"  # AuthReq Bonding | SC
        b"\x10",  # max key size 16; both key distributions cut
        7,
    )
    assert five is not None
    assert (five.io_capability, five.oob, five.auth_req, five.max_key_size) == (3, 0, 9, 16)
    assert five.initiator_key_distribution is None and five.responder_key_distribution is None
    assert five.fields()["truncated"] == "5 of 7 bytes"
    assert "ikd=? rkd=? (cut to 5 of 7 bytes)" in smp_summary(five)
    six = parse_cut_features(b"\x01\x04\x00\x2d\x10\x0d", 7)  # btsnooz keeps 6
    assert six is not None and six.initiator_key_distribution == 0x0D
    assert six.fields()["truncated"] == "6 of 7 bytes"
    # not for: fewer octets, another command, the PDU whole
    assert parse_cut_features(b"\x02\x03\x00\x09", 7) is None
    assert parse_cut_features(b"\x03" + bytes(5), 17) is None
    assert parse_cut_features(b"\x02\x03\x00\x09\x10\x00", 6) is None


# --------------------------------------------------------------------------- compiled decode
@pytest.mark.parametrize("cls", list(smp._COMMANDS.values()), ids=lambda c: c.__name__)
@settings(max_examples=50, deadline=None)
@given(data=st.data())
def test_compiled_decode_is_decode(cls: type[smp.SmpCommand], data: st.DataObject) -> None:
    """``cls.decode`` (compiled from the layout, what ``parse_smp`` calls) builds what the
    parameter-by-parameter ``_decode`` builds: equal, the same fields, the same bytes."""
    body = data.draw(st.binary(min_size=cls.LENGTH - 1, max_size=cls.LENGTH - 1))
    pdu = bytes([cls.CODE]) + body
    fast, slow = cls.decode(pdu), cls._decode(pdu)
    assert type(fast) is cls and fast == slow
    assert fast.fields() == slow.fields()
    assert fast.to_bytes() == slow.to_bytes() == pdu
    assert [type(getattr(fast, p.attr)) for p in cls.PARAMS] == [
        type(getattr(slow, p.attr)) for p in cls.PARAMS
    ]
