"""nRF Sniffer header (LINKTYPE_NORDIC_BLE, 272), versions 0–3: byte literals with a comment per
field, the exact error for every length edge case, and fuzzing (only DecodeError escapes)."""

from __future__ import annotations

import contextlib
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bpdiag.decode.nordic import parse_nordic
from bpdiag.errors import BadLength, DecodeError, Truncated, Unsupported
from tests.helpers import decode_error

# An LL_START_ENC_RSP on access address 0x50654321: 10 bytes.
AIR = bytes(
    [
        0x21,
        0x43,
        0x65,
        0x50,  # access address 0x50654321
        0x03,  # data header: LLID 0b11 (control), NESN 0, SN 0
        0x01,  # length 1
        0x06,  # LL_START_ENC_RSP
        0xAA,
        0xBB,
        0xCC,  # CRC
    ]
)

V2_DATA = (
    bytes(
        [
            0x4B,  # board id 75
            0x14,
            0x00,  # payload length 20 (event header 10 + air packet 10)
            0x02,  # protocol version 2
            0x34,
            0x12,  # packet counter 0x1234
            0x06,  # packet id: EVENT_PACKET_DATA
            0x0A,  # event packet header length 10
            0x1F,  # flags: CRC OK | central→peripheral | encrypted | MIC OK | PHY 1 (LE 2M)
            0x05,  # channel index 5
            0x3C,  # RSSI: -60 dBm
            0x07,
            0x00,  # event counter 7
            0xD2,
            0x04,
            0x00,
            0x00,  # delta time 1234 µs
        ]
    )
    + AIR
)


def test_version_2_data_packet() -> None:
    n = parse_nordic(V2_DATA)
    assert n.ble == AIR and n.air == AIR
    assert (n.board, n.header_length, n.payload_length, n.protocol_version) == (75, 7, 20, 2)
    assert (n.packet_counter, n.packet_id, n.event_length) == (0x1234, 6, 10)
    assert (n.channel, n.rssi, n.event_counter, n.time_us) == (5, -60, 7, 1234)
    assert not n.is_advertising and n.crc_ok and n.c_to_p and n.encrypted and n.mic_ok
    assert n.phy == 1 and not n.coded and n.aux_type is None
    assert n.delta_time_us == 1234 and n.timestamp_us is None
    assert n.access_address == 0x50654321
    assert n.fields() == {
        "board": 75,
        "header_length": 7,
        "payload_length": 20,
        "protocol_version": 2,
        "packet_counter": 0x1234,
        "packet_id": 6,
        "event_length": 10,
        "flags": 0x1F,
        "crc_ok": True,
        "phy": "LE 2M",
        "channel": 5,
        "rssi": -60,
        "event_counter": 7,
        "direction": "central→peripheral",
        "encrypted": True,
        "mic_ok": True,
        "delta_time_us": 1234,
    }


def test_version_3_advertising_aux_type_and_timestamp() -> None:
    """Version 3 on the V2 record's layout: what changes for an advertising packet."""
    adv_air = bytes.fromhex("d6be898e") + bytes([0x04, 0x06]) + bytes(6) + b"\x00\x00\x00"
    rec = bytearray(V2_DATA[:17]) + adv_air
    rec[1:3] = b"\x19\x00"  # payload length 25 (event header 10 + air packet 15)
    rec[3] = 3  # protocol version 3
    rec[6] = 0x02  # packet id: EVENT_PACKET_ADVERTISING
    rec[8] = 0x2F  # flags: CRC OK | AUX type 3 (bits 1–2) | address resolved | PHY 2 (Coded)
    rec[13:17] = b"\x40\x42\x0f\x00"  # firmware timestamp 1 000 000 µs, not a delta
    n = parse_nordic(bytes(rec))
    assert n.is_advertising and n.aux_type == 3 and n.address_resolved is True
    assert n.coded and n.timestamp_us == 1_000_000 and n.delta_time_us is None
    assert not n.encrypted and not n.mic_ok  # bits 2/3 mean something else on advertising
    f = n.fields()
    assert f["aux_type"] == "AUX_SCAN_RSP" and f["timestamp_us"] == 1_000_000
    assert f["phy"] == "LE Coded" and "direction" not in f


def test_version_3_data_packet_id_decides_not_the_access_address() -> None:
    rec = bytearray(V2_DATA)
    rec[3] = 3  # protocol version 3
    rec[6] = 0x02  # packet id: advertising, although the AA is a data one
    assert parse_nordic(bytes(rec)).is_advertising


def test_version_1_header_length_field() -> None:
    rec = (
        bytes(
            [
                0x00,  # board id
                0x06,  # header length 6 (+1 for the board id)
                0x14,  # payload length 20
                0x01,  # protocol version 1
                0x02,
                0x00,  # packet counter 2
                0x06,  # packet id
                0x0A,  # event packet header length
                0x01,  # flags: CRC OK, peripheral→central
                0x11,  # channel 17
                0x28,  # RSSI -40
                0x09,
                0x00,  # event counter 9
                0x96,
                0x00,
                0x00,
                0x00,  # delta time 150 µs
            ]
        )
        + AIR
    )
    n = parse_nordic(rec)
    assert (n.header_length, n.payload_length, n.protocol_version) == (7, 20, 1)
    assert n.crc_ok and not n.c_to_p and not n.encrypted and n.ble == AIR


def test_version_0_legacy_marker() -> None:
    rec = (
        bytes(
            [
                0xBE,
                0xEF,  # legacy marker, no board id
                0x06,  # packet id
                0x05,
                0x00,  # packet counter 5
                0x00,
                0x00,  # unused
                0x13,  # payload length 19 (9 event bytes + 10 air bytes)
                0x03,  # flags: CRC OK | central→peripheral
                0x02,  # channel 2
                0x46,  # RSSI -70
                0x01,
                0x00,  # event counter 1
                0x00,
                0x01,
                0x00,
                0x00,  # delta time 256 µs
            ]
        )
        + AIR
    )
    n = parse_nordic(rec)
    assert n.board is None and n.protocol_version == 0 and n.packet_id == 6
    assert (n.packet_counter, n.payload_length, n.channel, n.rssi) == (5, 19, 2, -70)
    assert n.c_to_p and n.time_us == 256 and n.ble == AIR


def test_event_header_longer_than_10_is_skipped() -> None:
    rec = bytearray(V2_DATA[:17]) + b"\xee\xee" + AIR
    rec[1:3] = struct.pack("<H", 12 + len(AIR))
    rec[7] = 12  # event packet header length 12: two unknown octets after the timestamp
    assert parse_nordic(bytes(rec)).ble == AIR


@pytest.mark.parametrize(
    ("data", "error", "message"),
    [
        (b"", Truncated, "nRF Sniffer header needs 8 bytes, got 0"),
        (V2_DATA[:7], Truncated, "nRF Sniffer header needs 8 bytes, got 7"),
        (
            V2_DATA[:-1],
            BadLength,
            "nRF Sniffer header says 7 + 20 bytes, the record has 26",
        ),
        (
            V2_DATA + b"\x00",
            BadLength,
            "nRF Sniffer header says 7 + 20 bytes, the record has 28",
        ),
        (
            V2_DATA[:3] + b"\x04" + V2_DATA[4:],
            Unsupported,
            "nRF Sniffer protocol version 4 (bpdiag reads versions 0–3)",
        ),
        (
            V2_DATA[:7] + b"\x09" + V2_DATA[8:],
            BadLength,
            "nRF Sniffer event packet header length 9 is shorter than the 10 bytes of its fields",
        ),
        (
            # payload length 18 agrees with the record, but 8 air bytes cannot hold an access
            # address, a PDU header and a CRC
            V2_DATA[:1] + b"\x12\x00" + V2_DATA[3:25],
            Truncated,
            "nRF Sniffer record needs at least 26 bytes (header, event header, air packet), got 25",
        ),
        (
            b"\xbe\xef" + bytes(20),
            Truncated,
            "nRF Sniffer 0.9.7 record needs at least 26 bytes, got 22",
        ),
    ],
)
def test_length_errors(data: bytes, error: type[DecodeError], message: str) -> None:
    err = decode_error(parse_nordic, data, error)
    assert (str(err), err.layer) == (message, "nordic")


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=60))
def test_random_bytes_raise_only_decode_errors(data: bytes) -> None:
    with contextlib.suppress(DecodeError):
        parse_nordic(data)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from([1, 2, 3]),
    st.integers(0, 255),
    st.integers(0, 255),
    st.binary(min_size=9, max_size=40),
)
def test_well_framed_records_parse(version: int, flags: int, channel: int, air: bytes) -> None:
    plen = 10 + len(air)
    if version == 1:
        head = bytes([0, 6, plen & 0xFF, 1, 0, 0, 6])
    else:
        head = bytes([0]) + struct.pack("<H", plen) + bytes([version, 0, 0, 6])
    rec = head + bytes([10, flags, channel, 0]) + bytes(6) + air
    if version == 1 and plen > 255:
        return
    n = parse_nordic(rec)
    assert n.ble == air and n.flags == flags and n.channel == channel
    n.fields()
