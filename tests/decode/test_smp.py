"""SMP decoder (Vol 3, Part H, 3.5–3.6): every opcode, exact lengths, reserved values named,
and agreement with Bumble's SMP parser on generated PDUs."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bpdiag.decode import smp
from bpdiag.errors import BadLength, DecodeError, Truncated

PAIRING_REQUEST = bytes(
    [
        0x01,  # code: Pairing Request
        0x04,  # IO capability: KeyboardDisplay
        0x00,  # OOB data flag: not present
        0x2D,  # AuthReq: Bonding | MITM | SC | CT2
        0x10,  # max encryption key size 16
        0x07,  # initiator key distribution: EncKey | IdKey | SignKey
        0x03,  # responder key distribution: EncKey | IdKey
    ]
)


def test_pairing_request_fields() -> None:
    cmd = smp.parse_smp(PAIRING_REQUEST)
    assert isinstance(cmd, smp.PairingRequest)
    assert (cmd.bonding, cmd.mitm, cmd.sc, cmd.keypress, cmd.ct2) == (True, True, True, False, True)
    assert cmd.fields() == {
        "io_capability": 4,
        "oob": 0,
        "auth_req": 0x2D,
        "max_key_size": 16,
        "initiator_key_distribution": 7,
        "responder_key_distribution": 3,
    }
    assert cmd.name == "Pairing Request"


LENGTHS = {
    0x01: 7,
    0x02: 7,
    0x03: 17,
    0x04: 17,
    0x05: 2,
    0x06: 17,
    0x07: 11,
    0x08: 17,
    0x09: 8,
    0x0A: 17,
    0x0B: 2,
    0x0C: 65,
    0x0D: 17,
    0x0E: 2,
}


@pytest.mark.parametrize(("code", "length"), sorted(LENGTHS.items()))
def test_every_command_length_is_exact(code: int, length: int) -> None:
    pdu = bytes([code]) + bytes(range(1, length))
    assert smp.parse_smp(pdu).code == code
    with pytest.raises(Truncated) as short:
        smp.parse_smp(pdu[:-1])
    assert str(short.value) == (
        f"SMP {smp.command_name(code)} must be {length} bytes, got {length - 1}"
    )
    with pytest.raises(BadLength):
        smp.parse_smp(pdu + b"\x00")  # e.g. the 18-byte confirm Bumble would accept


def test_empty_pdu() -> None:
    with pytest.raises(Truncated, match="empty SMP PDU"):
        smp.parse_smp(b"")


def test_reserved_values_are_named() -> None:
    assert smp.parse_smp(b"\x1f\x01\x02").name == "reserved (0x1f)"
    assert smp.error_name(0x10) == "reserved (0x10)"
    assert smp.io_capability_name(0x05) == "reserved (0x05)"
    assert smp.key_distribution_names(0x11) == ["EncKey", "reserved (0x10)"]
    failed = smp.parse_smp(b"\x05\x08")
    assert failed.summary() == "Pairing Failed  Unspecified Reason (0x08)"


def test_identity_address_is_printed_msb_first() -> None:
    cmd = smp.parse_smp(b"\x09\x00\x66\x55\x44\x33\x22\x11")
    assert cmd.fields() == {"address_type": 0, "address": "11:22:33:44:55:66"}


def test_keys_are_redacted_in_summaries() -> None:
    ltk = smp.parse_smp(b"\x06" + bytes(range(16)))
    assert "redacted" in ltk.summary() and "000102" not in ltk.summary()
    assert "000102030405" in ltk.summary(show_keys=True)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=70))
def test_only_decode_errors_escape(data: bytes) -> None:
    with contextlib.suppress(DecodeError):
        smp.parse_smp(data)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(sorted(LENGTHS.items())), st.data())
def test_agrees_with_bumble(code_len: tuple[int, int], data: st.DataObject) -> None:
    bsmp = pytest.importorskip("bumble.smp")
    code, length = code_len
    pdu = bytes([code]) + data.draw(st.binary(min_size=length - 1, max_size=length - 1))
    if code in (0x01, 0x02):
        pdu = pdu[:1] + bytes([pdu[1] % 5]) + pdu[2:]  # Bumble rejects reserved IO values
    try:
        theirs = bsmp.SMP_Command.from_bytes(pdu)
    except Exception:
        return
    ours = smp.parse_smp(pdu)
    mapping = {
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
        "csrk": "signature_key",
        "public_key_x": "public_key_x",
        "public_key_y": "public_key_y",
        "dhkey_check": "dhkey_check",
        "notification_type": "notification_type",
    }
    for ours_name, value in ours.fields().items():
        attr = mapping.get(ours_name)
        if attr is None or not hasattr(theirs, attr):
            continue
        other = getattr(theirs, attr)
        if isinstance(other, bytes):
            other = other.hex()
        assert int(other) == value if not isinstance(value, str) else other == value
