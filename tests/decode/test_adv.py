"""AD structures (Core Spec Supplement, Part A, 1.2–1.3): byte literals for the edge cases,
scapy-built advertising PDUs as round trips, and fuzzing (``parse_ad`` never raises)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from scapy.layers.bluetooth import (
    EIR_CompleteLocalName,
    EIR_Flags,
    EIR_Hdr,
    EIR_ShortenedLocalName,
)
from scapy.layers.bluetooth4LE import BTLE, BTLE_ADV, BTLE_ADV_IND, BTLE_SCAN_RSP

from bpdiag.decode import ll
from bpdiag.decode.adv import ad_type_name, flag_names, parse_ad

FLAGS_AND_NAME = (
    bytes(
        [
            0x02,  # length 2
            0x01,  # AD type: Flags
            0x06,  # LE General Discoverable | BR/EDR Not Supported
            0x06,  # length 6
            0x09,  # AD type: Complete Local Name
        ]
    )
    + b"Mouse"
)


def test_flags_and_complete_name() -> None:
    ad = parse_ad(FLAGS_AND_NAME)
    assert ad.problem is None
    assert [s.ad_type for s in ad.structures] == [0x01, 0x09]
    assert ad.flags == 0x06
    assert ad.local_name == "Mouse" and ad.name_complete is True
    assert ad.fields() == {
        "flags": 6,
        "flag_names": ["LE General Discoverable Mode", "BR/EDR Not Supported"],
        "local_name": "Mouse",
        "name_complete": True,
        "ad_types": ["Flags", "Complete Local Name"],
    }


def test_flag_names_every_bit_and_reserved() -> None:
    assert flag_names(0xFF) == [
        "LE Limited Discoverable Mode",
        "LE General Discoverable Mode",
        "BR/EDR Not Supported",
        "Simultaneous LE and BR/EDR (Controller)",
        "Simultaneous LE and BR/EDR (Host)",
        "reserved (0x20)",
        "reserved (0x40)",
        "reserved (0x80)",
    ]
    assert flag_names(0) == []


def test_shortened_name_and_complete_wins() -> None:
    short = bytes([0x04, 0x08]) + b"Mou"  # length 4, Shortened Local Name
    assert parse_ad(short).local_name == "Mou"
    assert parse_ad(short).name_complete is False
    both = short + bytes([0x06, 0x09]) + b"Mouse"
    assert parse_ad(both).local_name == "Mouse"


def test_zero_length_is_padding_and_is_skipped() -> None:
    data = bytes(
        [
            0x00,  # length 0: padding
            0x02,  # length 2
            0x01,  # Flags
            0x04,  # BR/EDR Not Supported
            0x00,
            0x00,  # non-significant part
        ]
    )
    ad = parse_ad(data)
    assert ad.problem is None and ad.flags == 0x04 and len(ad.structures) == 1


def test_length_past_the_end_stops_the_list_with_a_problem() -> None:
    data = (
        bytes(
            [
                0x02,  # length 2
                0x01,  # Flags
                0x02,  # LE General Discoverable
                0x09,  # length 9 — but only 3 bytes follow
                0x09,  # Complete Local Name
            ]
        )
        + b"ab"
    )
    ad = parse_ad(data)
    assert ad.flags == 0x02 and ad.local_name is None
    assert ad.problem == "AD structure at offset 3 says 9 bytes, only 3 follow; the list ends there"
    assert ad.fields()["problem"] == ad.problem


def test_empty_flags_structure_counts_as_no_flag() -> None:
    assert parse_ad(bytes([0x01, 0x01])).flags == 0  # length 1, Flags, no data
    assert parse_ad(b"").flags is None


def test_invalid_utf8_name_is_replaced_not_fatal() -> None:
    ad = parse_ad(bytes([0x03, 0x09, 0xFF, 0x41]))  # Complete Local Name "\xffA"
    assert ad.local_name == "\ufffdA"


def test_ad_type_names() -> None:
    assert ad_type_name(0x01) == "Flags"
    assert ad_type_name(0xFF) == "Manufacturer Specific Data"
    assert ad_type_name(0x99) == "AD type (0x99)"


def _air(pkt: BTLE) -> bytes:
    return bytes(pkt)


def test_scapy_adv_ind_round_trip() -> None:
    pkt = (
        BTLE()
        / BTLE_ADV(TxAdd=1)
        / BTLE_ADV_IND(
            AdvA="c0:ff:ee:00:11:22",
            data=[
                EIR_Hdr() / EIR_Flags(flags=["general_disc_mode", "br_edr_not_supported"]),
                EIR_Hdr() / EIR_CompleteLocalName(local_name=b"HR Sensor"),
            ],
        )
    )
    air = ll.split_air_packet(_air(pkt))
    msg = ll.parse_adv(air.pdu)
    assert isinstance(msg, ll.AdvPdu)
    assert msg.name == "ADV_IND"
    assert msg.adv_address == "C0:FF:EE:00:11:22" and msg.adv_address_type == 1
    assert msg.flags == 0x06 and msg.local_name == "HR Sensor"
    assert air.crc == ll.crc24(air.pdu)


def test_scapy_scan_rsp_shortened_name() -> None:
    pkt = (
        BTLE()
        / BTLE_ADV()
        / BTLE_SCAN_RSP(
            AdvA="01:02:03:04:05:06",
            data=[EIR_Hdr() / EIR_ShortenedLocalName(local_name=b"HR")],
        )
    )
    msg = ll.parse_adv(ll.split_air_packet(_air(pkt)).pdu)
    assert isinstance(msg, ll.AdvPdu)
    assert msg.name == "SCAN_RSP" and msg.local_name == "HR" and msg.flags is None
    assert msg.fields()["adv_address_type"] == "public"


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=64))
def test_parse_ad_never_raises(data: bytes) -> None:
    ad = parse_ad(data)
    total = sum(len(s.data) + 2 for s in ad.structures)
    assert total <= len(data)
    ad.fields()
