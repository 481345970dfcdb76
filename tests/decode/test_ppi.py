"""PPI (LINKTYPE_PPI, 192) around raw BTLE: byte literals for the header and field walking, the
libbtbb BTLE field, scapy's PPI layers as a round trip, and fuzzing."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scapy.layers.bluetooth4LE import BTLE_PPI
from scapy.layers.ppi import PPI, PPI_Hdr

from bpdiag.decode.ppi import parse_ppi
from bpdiag.errors import BadLength, DecodeError, Truncated, Unsupported
from tests.helpers import decode_error, examples

AIR = bytes.fromhex("d6be898e 4006 ffeeddccbbaa 000000")  # ADV_IND, AdvA only, CRC

BTLE_FIELD = bytes(
    [
        0x36,
        0x75,  # field type 30006 (BTLE)
        0x0C,
        0x00,  # field length 12
        0x00,  # btle version 0
        0x62,
        0x09,  # channel 2402 MHz (RF channel 0, advertising index 37)
        0x00,  # CLKN high
        0xCB,
        0x28,
        0xC1,
        0x05,  # clock 0x05c128cb × 100 ns
        0xDF,  # RSSI max -33
        0xD8,  # RSSI min -40
        0xDC,  # RSSI avg -36
        0x04,  # RSSI count 4
    ]
)
CRACKLE_STYLE = (
    bytes(
        [
            0x00,  # PPI version 0
            0x00,  # flags: not aligned
            0x18,
            0x00,  # header length 24 (8 + one 16-byte field)
            0x93,
            0x00,
            0x00,
            0x00,  # DLT 147 (USER0)
        ]
    )
    + BTLE_FIELD
    + AIR
)


def test_crackle_style_record() -> None:
    p = parse_ppi(CRACKLE_STYLE)
    assert (p.version, p.flags, p.header_length, p.dlt) == (0, 0, 24, 147)
    assert p.ble == AIR and p.air == AIR
    assert [f.field_type for f in p.ppi_fields] == [30006]
    b = p.btle
    assert b is not None
    assert (b.channel_mhz, b.rf_channel, b.clk_100ns) == (2402, 0, 0x05C128CB)
    assert (b.rssi_max, b.rssi_min, b.rssi_avg, b.rssi_count) == (-33, -40, -36, 4)
    assert b.time_s == pytest.approx(0x05C128CB * 1e-7)
    assert p.fields()["btle"]["channel_mhz"] == 2402  # type: ignore[index]


def test_unknown_fields_are_walked_and_kept() -> None:
    other = bytes([0x02, 0x00, 0x03, 0x00, 0xAA, 0xBB, 0xCC])  # type 2, 3 bytes
    hdr = bytes([0x00, 0x00, 8 + len(other) + len(BTLE_FIELD), 0x00, 0xFB, 0, 0, 0])  # DLT 251
    p = parse_ppi(hdr + other + BTLE_FIELD + AIR)
    first = p.ppi_fields[0]
    assert (first.field_type, first.data) == (2, b"\xaa\xbb\xcc")
    assert p.btle is not None and p.dlt == 251 and p.ble == AIR


def test_aligned_fields_are_padded() -> None:
    other = bytes([0x02, 0x00, 0x03, 0x00, 0xAA, 0xBB, 0xCC, 0x00])  # 3 bytes + 1 pad
    hdr = bytes([0x00, 0x01, 8 + len(other) + len(BTLE_FIELD), 0x00, 0x93, 0, 0, 0])
    p = parse_ppi(hdr + other + BTLE_FIELD + AIR)
    assert [f.field_type for f in p.ppi_fields] == [2, 30006] and p.btle is not None


def test_no_fields() -> None:
    p = parse_ppi(bytes([0, 0, 8, 0, 0x93, 0, 0, 0]) + AIR)
    assert p.btle is None and p.ppi_fields == () and p.ble == AIR


def test_btle_field_off_the_band() -> None:
    field = bytearray(BTLE_FIELD)
    field[5:7] = (2403).to_bytes(2, "little")
    p = parse_ppi(CRACKLE_STYLE[:8] + bytes(field) + AIR)
    assert p.btle is not None and p.btle.rf_channel is None


@pytest.mark.parametrize(
    ("data", "error", "message"),
    [
        (b"\x00\x00\x08", Truncated, "PPI header needs 8 bytes, got 3"),
        (
            b"\x01" + CRACKLE_STYLE[1:],
            Unsupported,
            "PPI version 1 (only version 0 exists)",
        ),
        (
            bytes([0, 0, 4, 0, 0x93, 0, 0, 0]) + AIR,
            BadLength,
            "PPI header length 4 is shorter than the 8-byte header",
        ),
        (
            bytes([0, 0, 0xFF, 0, 0x93, 0, 0, 0]) + AIR,
            Truncated,
            "PPI header length 255 runs past the 23-byte record",
        ),
        (
            bytes([0, 0, 14, 0, 0x93, 0, 0, 0]) + BTLE_FIELD[:6] + AIR,
            BadLength,
            "PPI field 30006 at offset 8 says 12 bytes, the header ends 2 bytes later",
        ),
        (
            bytes([0, 0, 10, 0, 0x93, 0, 0, 0]) + b"\x01\x02" + AIR,
            BadLength,
            "PPI header has 2 byte(s) at offset 8 too short for a field header",
        ),
        (
            bytes([0, 0, 12, 0, 0x93, 0, 0, 0]) + bytes([0x36, 0x75, 0, 0]) + AIR,
            Truncated,
            "PPI BTLE field needs 12 bytes, got 0",
        ),
        (
            bytes([0, 0, 8, 0, 0x69, 0, 0, 0]) + AIR,
            Unsupported,
            "PPI carries link type 105, not BLE (147 or 251)",
        ),
        (
            bytes([0, 0, 8, 0, 0x93, 0, 0, 0]) + AIR[:8],
            Truncated,
            "BLE packet after the PPI header needs at least 9 bytes, got 8",
        ),
    ],
)
def test_errors(data: bytes, error: type[DecodeError], message: str) -> None:
    err = decode_error(parse_ppi, data, error)
    assert (str(err), err.layer) == (message, "ppi")


def test_scapy_ppi_round_trip() -> None:
    pkt = (
        PPI(
            dlt=147,
            headers=[
                PPI_Hdr()
                / BTLE_PPI(
                    btle_channel=2480,
                    btle_clkn_high=0,
                    btle_clk_100ns=123456,
                    rssi_max=-30,
                    rssi_min=-50,
                    rssi_avg=-40,
                    rssi_count=7,
                )
            ],
        )
        / AIR
    )
    p = parse_ppi(bytes(pkt))
    assert p.dlt == 147 and p.ble == AIR and p.btle is not None
    assert (p.btle.channel_mhz, p.btle.rf_channel, p.btle.clk_100ns) == (2480, 39, 123456)
    assert p.btle.rssi_count == 7


@settings(max_examples=examples(150, deep=400), deadline=None)
@given(st.binary(max_size=50))
def test_random_bytes_raise_only_decode_errors(data: bytes) -> None:
    with contextlib.suppress(DecodeError):
        parse_ppi(data).fields()


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=30), st.booleans())
def test_random_field_area_raises_only_decode_errors(fields: bytes, aligned: bool) -> None:
    hdr = bytes([0, int(aligned), 8 + len(fields), 0, 0x93, 0, 0, 0])
    with contextlib.suppress(DecodeError):
        parse_ppi(hdr + fields + AIR)
