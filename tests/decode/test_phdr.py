"""LINKTYPE_BLUETOOTH_LE_LL_WITH_PHDR (256): the 10-byte pseudo-header as byte literals, every
flag, scapy's BTLE_RF as a round trip, and fuzzing."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scapy.layers.bluetooth4LE import BTLE, BTLE_CTRL, BTLE_DATA, BTLE_RF, LL_TERMINATE_IND

from bpdiag.decode.phdr import channel_index, parse_phdr
from bpdiag.errors import DecodeError, Truncated

AIR = bytes.fromhex("21436550 0302 0213 aabbcc")  # AA, LL_TERMINATE_IND 0x13, CRC

HEADER = bytes(
    [
        0x0C,  # RF channel 12 (2426 MHz: advertising channel index 38)
        0xC4,  # signal power -60 dBm
        0xA6,  # noise power -90 dBm
        0x02,  # access address offenses 2
        0xD6,
        0xBE,
        0x89,
        0x8E,  # reference access address 0x8e89bed6
        0xBF,
        0x7D,  # flags 0x7dbf: see test_every_flag
    ]
)


def test_every_field_and_flag() -> None:
    h = parse_phdr(HEADER + AIR)
    assert h.ble == AIR and h.air == AIR
    assert (h.rf_channel, h.signal_power, h.noise_power, h.aa_offenses) == (12, -60, -90, 2)
    assert h.reference_aa == 0x8E89BED6 and h.flags == 0x7DBF
    # 0x7dbf = 0111 1101 1011 1111: bits 0–5 set, bit 6 (aliased) clear, PDU type 0b011,
    # CRC checked, CRC valid, MIC checked, MIC valid, PHY 0b01.
    assert h.dewhitened and h.signal_power_valid and h.noise_power_valid and h.decrypted
    assert h.reference_aa_valid and h.aa_offenses_valid and not h.channel_aliased
    assert h.pdu_type == 3 and h.c_to_p is False and h.is_advertising is False
    assert h.crc_checked and h.crc_valid and not h.crc_bad
    assert h.mic_checked and h.mic_valid and h.mic_ok
    assert h.phy == 1 and not h.coded and h.aux_type is None
    assert h.fields() == {
        "rf_channel": 12,
        "channel_index": 38,
        "signal_power": -60,
        "noise_power": -90,
        "aa_offenses": 2,
        "reference_aa": "0x8e89bed6",
        "flags": 0x7DBF,
        "dewhitened": True,
        "decrypted": True,
        "channel_aliased": False,
        "pdu_type": 3,
        "pdu_type_name": "data, peripheral to central",
        "aux_type": None,
        "crc_checked": True,
        "crc_valid": True,
        "mic_checked": True,
        "mic_valid": True,
        "phy": "LE 2M",
    }


def test_invalid_values_are_not_shown() -> None:
    h = parse_phdr(HEADER[:8] + bytes([0x00, 0x00]) + AIR)  # no flag set
    f = h.fields()
    assert f["signal_power"] is None and f["noise_power"] is None
    assert f["aa_offenses"] is None and f["reference_aa"] is None
    assert f["crc_valid"] is None and f["mic_valid"] is None
    assert h.c_to_p is None and h.is_advertising is None and not h.crc_bad


@pytest.mark.parametrize(
    ("pdu_type", "c_to_p", "advertising"),
    [
        (0, None, None),
        (1, None, True),
        (2, True, False),
        (3, False, False),
        (4, True, False),
        (5, False, False),
        (6, None, False),
        (7, None, None),
    ],
)
def test_pdu_types(pdu_type: int, c_to_p: bool | None, advertising: bool | None) -> None:
    flags = pdu_type << 7
    h = parse_phdr(HEADER[:8] + flags.to_bytes(2, "little") + AIR)
    assert h.pdu_type == pdu_type and h.c_to_p is c_to_p and h.is_advertising is advertising


def test_auxiliary_advertising_repurposes_the_mic_bits() -> None:
    flags = 1 << 7 | 0x3000 | 0x8000  # auxiliary advertising, AUX type 3, PHY 2 (Coded)
    h = parse_phdr(HEADER[:8] + flags.to_bytes(2, "little") + AIR)
    assert h.aux_type == 3 and not h.mic_checked and not h.mic_ok and h.coded
    assert h.fields()["aux_type"] == "AUX_SCAN_RSP"


def test_crc_checked_and_failed() -> None:
    h = parse_phdr(HEADER[:8] + (0x0400).to_bytes(2, "little") + AIR)
    assert h.crc_checked and not h.crc_valid and h.crc_bad


def test_channel_index_mapping() -> None:
    assert [channel_index(c) for c in (0, 1, 11, 12, 13, 38, 39, 40)] == [
        37,
        0,
        10,
        38,
        11,
        36,
        39,
        None,
    ]


def test_too_short() -> None:
    with pytest.raises(Truncated) as exc:
        parse_phdr(HEADER + AIR[:8])
    assert str(exc.value) == (
        "LE LL with PHDR needs at least 19 bytes (pseudo-header, access address, PDU header, "
        "CRC), got 18"
    )
    assert exc.value.layer == "phdr"


def test_scapy_btle_rf_round_trip() -> None:
    pkt = (
        BTLE_RF(
            rf_channel=20,
            signal=-45,
            noise=-95,
            sig_power_valid=1,
            noise_power_valid=1,
            type=2,
            crc_checked=1,
            crc_valid=1,
            phy=2,
        )
        / BTLE(access_addr=0x50654321)
        / BTLE_DATA()
        / BTLE_CTRL()
        / LL_TERMINATE_IND(code=0x13)
    )
    h = parse_phdr(bytes(pkt))
    assert (h.rf_channel, h.signal_power, h.noise_power) == (20, -45, -95)
    assert h.c_to_p is True and h.crc_checked and h.crc_valid and h.coded
    assert h.ble[:4] == (0x50654321).to_bytes(4, "little")


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=40))
def test_random_bytes_raise_only_decode_errors(data: bytes) -> None:
    with contextlib.suppress(DecodeError):
        parse_phdr(data).fields()


def test_rf_channel_is_the_inverse_of_channel_index() -> None:
    """Vol 6, Part B, 1.4.1: 2402 MHz is advertising channel 37, 2426 MHz channel 38,
    2480 MHz channel 39; data channels 0–10 and 11–36 fill the RF channels between."""
    from bpdiag.decode.phdr import rf_channel

    assert [rf_channel(i) for i in (0, 10, 11, 36, 37, 38, 39)] == [1, 11, 13, 38, 0, 12, 39]
    assert all(channel_index(rf_channel(i)) == i for i in range(40))
    assert sorted(rf_channel(i) for i in range(40)) == list(range(40))
