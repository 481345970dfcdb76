"""Link Layer packets on air — Bluetooth Core Spec v5.4, Vol 6, Part B, 2.1–2.4.

- 2.1 The packet: access address (4 octets, little-endian), on the LE Coded PHY a coding
  indicator, the PDU, CRC (3 octets).  ``split_air_packet`` cuts it by the PDU's own Length.
- 2.3 Advertising physical channel PDUs: a 2-octet header (PDU Type bits 0–3, RFU, ChSel bit 5,
  TxAdd bit 6, RxAdd bit 7; Length) and a payload whose layout the PDU type decides
  (``parse_adv``).  CONNECT_IND (2.3.3.1) and AUX_CONNECT_REQ (2.3.3.2, the same type on a
  secondary channel) share one 34-octet layout.
- 2.4 Data physical channel PDUs: a 2-octet header (LLID bits 0–1, NESN, SN, MD, CP bit 5, RFU;
  Length) and, when CP is set, a CTEInfo octet before the payload (``parse_data_pdu``).
- 2.4.2 LL control PDUs (LLID 0b11): an opcode and its CtrData (``parse_control``), one class
  per opcode family; opcodes without a class here come back as a generic ``LlControl``.

Every parser checks each length before reading and raises only ``DecodeError`` subclasses
(``layer=Stage.LL``).  ``fields()`` prints addresses most significant octet first, as tshark does,
the access address as ``0x8e89bed6``, byte strings (Rand, SKD, IV, channel map, features) as
hex in wire order, error codes as ints.  Nothing here is key material: Rand, EDIV, SKD and IV
travel in clear on purpose (the session key needs the LTK), so no parameter is declared
``secret`` and no class has ``SECRETS``.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from bpdiag.decode.adv import AdvertisingData, parse_ad
from bpdiag.decode.declare import (
    D,
    Declared,
    Layout,
    attrs,
    declare,
    reserved_name,
    show_params,
    wire,
)
from bpdiag.decode.declare import address_str as address_str
from bpdiag.decode.hci import status_name
from bpdiag.decode.labels import Labelled
from bpdiag.errors import BadLength, Stage, Truncated

ADV_ACCESS_ADDRESS = 0x8E89BED6

_LAYER = Stage.LL


def error_name(code: int) -> str:
    """Name of an LL error code: the HCI error codes (Vol 1, Part F, 1.3)."""
    return status_name(code)


def _address_type(bit: int) -> str:
    return "random" if bit else "public"


def _addresses(pdu: object, *roles: str) -> dict[str, object]:
    """``fields()`` of an advertising PDU's addresses, each ``<role>_address`` beside its
    ``<role>_address_type`` (the TxAdd/RxAdd bit, shown as public/random), in ``roles`` order."""
    out: dict[str, object] = {}
    for role in roles:
        out[f"{role}_address"] = getattr(pdu, f"{role}_address")
        out[f"{role}_address_type"] = _address_type(getattr(pdu, f"{role}_address_type"))
    return out


# ===================================================================== the air packet
@dataclass(frozen=True, slots=True)
class AirPacket:
    """One packet as received: access address, coding indicator (LE Coded PHY only), the PDU
    (header, CTEInfo when present, payload) and the 3 CRC octets."""

    access_address: int
    pdu: bytes
    crc: bytes
    coding_indicator: int | None = None

    @property
    def is_advertising_aa(self) -> bool:
        return self.access_address == ADV_ACCESS_ADDRESS


def split_air_packet(
    data: bytes, *, advertising: bool | None = None, coded: bool = False
) -> AirPacket:
    """Cut access address + PDU + CRC (Vol 6, Part B, 2.1).

    ``advertising`` says which PDU header the packet has (``None``: decide by the access
    address, as Wireshark does without other information); only data PDUs have the CP bit.
    ``coded``: a coding indicator octet follows the access address (LE Coded PHY).
    """
    head = 5 if coded else 4
    if len(data) < head + 2:
        raise Truncated(
            f"LL packet needs {head + 2} bytes for its access address and PDU header, "
            f"got {len(data)}",
            layer=_LAYER,
        )
    aa = struct.unpack_from("<I", data)[0]
    is_adv = aa == ADV_ACCESS_ADDRESS if advertising is None else advertising
    hdr = data[head]
    length = data[head + 1]
    cte = 1 if not is_adv and hdr & 0x20 else 0
    end = head + 2 + cte + length
    if len(data) < end:
        raise Truncated(
            f"LL PDU header says {length} payload bytes"
            + (" after a CTEInfo octet" if cte else "")
            + f", the packet has {max(len(data) - head - 2 - cte, 0)}",
            layer=_LAYER,
        )
    if len(data) < end + 3:
        raise Truncated(
            f"LL packet ends {end + 3 - len(data)} byte(s) short of its 3-byte CRC",
            layer=_LAYER,
        )
    if len(data) > end + 3:
        raise BadLength(
            f"LL packet has {len(data) - end - 3} byte(s) after its CRC "
            f"(PDU header says {length} payload bytes)",
            layer=_LAYER,
        )
    return AirPacket(aa, bytes(data[head:end]), bytes(data[end:]), data[4] if coded else None)


ADV_CRC_INIT = 0x555555


def _crc_table() -> tuple[int, ...]:
    # The CRC shift register (Vol 6, Part B, 3.1.1) shifts towards position 0 and feeds the
    # PDU least significant bit first: a reflected CRC, polynomial
    # x^24 + x^10 + x^9 + x^6 + x^4 + x^3 + x + 1 reflected = 0xDA6000.
    table = []
    for b in range(256):
        c = b
        for _ in range(8):
            c = (c >> 1) ^ 0xDA6000 if c & 1 else c >> 1
        table.append(c)
    return tuple(table)


_CRC_TABLE = _crc_table()


def _reflect24(v: int) -> int:
    return int(f"{v & 0xFFFFFF:024b}"[::-1], 2)


def crc24(pdu: bytes, crc_init: int = ADV_CRC_INIT) -> bytes:
    """The 3 CRC octets, in air order, of ``pdu`` (header and payload) for a CRCInit as
    CONNECT_IND carries it (0x555555 on the advertising channels), Vol 6, Part B, 3.1.1."""
    state = _reflect24(crc_init)
    table = _CRC_TABLE
    for byte in pdu:
        state = (state >> 8) ^ table[(state ^ byte) & 0xFF]
    return state.to_bytes(3, "little")


# ===================================================================== advertising PDUs
class AdvPduType(IntEnum):
    """Vol 6, Part B, 2.3, Table 2.3 (names on the primary advertising channels)."""

    ADV_IND = 0
    ADV_DIRECT_IND = 1
    ADV_NONCONN_IND = 2
    SCAN_REQ = 3
    SCAN_RSP = 4
    CONNECT_IND = 5
    ADV_SCAN_IND = 6
    ADV_EXT_IND = 7
    AUX_CONNECT_RSP = 8


_SECONDARY_NAMES = {3: "AUX_SCAN_REQ", 5: "AUX_CONNECT_REQ", 7: "AUX_ADV_IND"}


def adv_pdu_type_name(pdu_type: int, *, secondary: bool = False) -> str:
    """Name of an advertising PDU type; on a secondary channel (index < 37) types 3, 5 and 7
    are AUX_SCAN_REQ, AUX_CONNECT_REQ and AUX_* (named after AUX_ADV_IND)."""
    if secondary and pdu_type in _SECONDARY_NAMES:
        return _SECONDARY_NAMES[pdu_type]
    try:
        return AdvPduType(pdu_type).name
    except ValueError:
        return f"reserved (0x{pdu_type:x})"


@dataclass(frozen=True, slots=True)
class AdvHeader:
    """The advertising PDU header (2.3): PDU type, ChSel, TxAdd, RxAdd, Length."""

    pdu_type: int
    rfu: int
    ch_sel: int
    tx_add: int
    rx_add: int
    length: int


def parse_adv_header(pdu: bytes) -> AdvHeader:
    if len(pdu) < 2:
        raise Truncated(f"advertising PDU header needs 2 bytes, got {len(pdu)}", layer=_LAYER)
    h = pdu[0]
    return AdvHeader(h & 0x0F, (h >> 4) & 1, (h >> 5) & 1, (h >> 6) & 1, (h >> 7) & 1, pdu[1])


@dataclass(frozen=True, slots=True)
class AdvPdu:
    """ADV_IND, ADV_NONCONN_IND, ADV_SCAN_IND (2.3.1.1, 2.3.1.3, 2.3.1.4) and SCAN_RSP
    (2.3.2.2): AdvA and advertising data."""

    pdu_type: int
    adv_address: str
    adv_address_type: int  # TxAdd
    ad: AdvertisingData
    ch_sel: int = 0

    @property
    def name(self) -> str:
        return adv_pdu_type_name(self.pdu_type)

    @property
    def flags(self) -> int | None:
        return self.ad.flags

    @property
    def local_name(self) -> str | None:
        return self.ad.local_name

    def fields(self) -> dict[str, object]:
        return {
            **_addresses(self, "adv"),
            **self.ad.fields(),
        }


@dataclass(frozen=True, slots=True)
class AdvDirectInd:
    """ADV_DIRECT_IND (2.3.1.2): AdvA and TargetA, 12 octets."""

    pdu_type: int
    adv_address: str
    adv_address_type: int  # TxAdd
    target_address: str
    target_address_type: int  # RxAdd
    ch_sel: int = 0

    @property
    def name(self) -> str:
        return "ADV_DIRECT_IND"

    def fields(self) -> dict[str, object]:
        return _addresses(self, "adv", "target")


@dataclass(frozen=True, slots=True)
class ScanReq:
    """SCAN_REQ / AUX_SCAN_REQ (2.3.2.1): ScanA and AdvA, 12 octets."""

    pdu_type: int
    scan_address: str
    scan_address_type: int  # TxAdd
    adv_address: str
    adv_address_type: int  # RxAdd
    aux: bool = False

    @property
    def name(self) -> str:
        return "AUX_SCAN_REQ" if self.aux else "SCAN_REQ"

    def fields(self) -> dict[str, object]:
        return _addresses(self, "scan", "adv")


CONNECT_IND_LENGTH = 34


@dataclass(frozen=True, slots=True)
class ConnectInd:
    """CONNECT_IND (2.3.3.1) and AUX_CONNECT_REQ (2.3.3.2, same layout): InitA, AdvA and the
    LLData — AA, CRCInit, WinSize, WinOffset, Interval, Latency, Timeout, ChM, Hop, SCA."""

    pdu_type: int
    init_address: str
    init_address_type: int  # TxAdd
    adv_address: str
    adv_address_type: int  # RxAdd
    access_address: int
    crc_init: int
    win_size: int
    win_offset: int
    interval: int
    latency: int
    timeout: int
    channel_map: bytes
    hop: int
    sca: int
    ch_sel: int = 0
    aux: bool = False

    @property
    def name(self) -> str:
        return "AUX_CONNECT_REQ" if self.aux else "CONNECT_IND"

    def fields(self) -> dict[str, object]:
        return {
            **_addresses(self, "init", "adv"),
            "access_address": f"0x{self.access_address:08x}",
            "crc_init": f"0x{self.crc_init:06x}",
            "win_size": self.win_size,
            "win_offset": self.win_offset,
            "interval": self.interval,
            "latency": self.latency,
            "timeout": self.timeout,
            "channel_map": self.channel_map.hex(),
            "hop": self.hop,
            "sca": self.sca,
            "ch_sel": self.ch_sel,
        }


@dataclass(frozen=True, slots=True)
class AdvExtPdu:
    """ADV_EXT_IND / AUX_* (type 7) and AUX_CONNECT_RSP (type 8): the common extended
    advertising payload (2.3.4), decoded up to its header — AdvMode, extended header length
    and flags, and AdvA when the flags say it is there."""

    pdu_type: int
    adv_mode: int
    ext_header_length: int
    ext_header_flags: int | None
    adv_address: str | None
    adv_address_type: int
    aux: bool = False

    @property
    def name(self) -> str:
        return adv_pdu_type_name(self.pdu_type, secondary=self.aux)

    def fields(self) -> dict[str, object]:
        names = ("adv_mode", "ext_header_length", "ext_header_flags", "adv_address")
        kind = None if self.adv_address is None else _address_type(self.adv_address_type)
        return attrs(self, names) | {"adv_address_type": kind}


@dataclass(frozen=True, slots=True)
class AdvReserved:
    """An advertising PDU of a reserved type: kept with its raw payload."""

    pdu_type: int
    payload: bytes

    @property
    def name(self) -> str:
        return adv_pdu_type_name(self.pdu_type)

    def fields(self) -> dict[str, object]:
        return {"payload": self.payload.hex()}


AdvertisingPdu = AdvPdu | AdvDirectInd | ScanReq | ConnectInd | AdvExtPdu | AdvReserved


def _need(name: str, payload: bytes, n: int, *, exact: bool) -> None:
    if len(payload) < n:
        raise Truncated(f"{name} needs {n} payload bytes, got {len(payload)}", layer=_LAYER)
    if exact and len(payload) > n:
        raise BadLength(f"{name} must be {n} payload bytes, got {len(payload)}", layer=_LAYER)


def _sender_and_target(payload: bytes, h: AdvHeader) -> tuple[str, int, str, int]:
    """The two addresses that open ADV_DIRECT_IND, SCAN_REQ and CONNECT_IND: the sender's
    (AdvA / ScanA / InitA, of type TxAdd) and the one it is for (TargetA / AdvA, RxAdd)."""
    return address_str(payload[0:6]), h.tx_add, address_str(payload[6:12]), h.rx_add


def parse_adv(pdu: bytes, *, secondary: bool = False) -> AdvertisingPdu:
    """Decode an advertising physical channel PDU (header + payload).

    ``secondary``: received on a secondary advertising channel (index < 37), where type 5 is
    AUX_CONNECT_REQ and type 3 AUX_SCAN_REQ.  Bytes after ``Length`` are refused (BadLength).
    """
    h = parse_adv_header(pdu)
    if len(pdu) < 2 + h.length:
        raise Truncated(
            f"advertising PDU header says {h.length} payload bytes, got {len(pdu) - 2}",
            layer=_LAYER,
        )
    if len(pdu) > 2 + h.length:
        raise BadLength(
            f"advertising PDU header says {h.length} payload bytes, got {len(pdu) - 2}",
            layer=_LAYER,
        )
    payload = pdu[2:]
    t = h.pdu_type
    if t in (0, 2, 4, 6):
        _need(adv_pdu_type_name(t), payload, 6, exact=False)
        return AdvPdu(
            t, address_str(payload[0:6]), h.tx_add, parse_ad(bytes(payload[6:])), h.ch_sel
        )
    if t == 1:
        _need("ADV_DIRECT_IND", payload, 12, exact=True)
        return AdvDirectInd(t, *_sender_and_target(payload, h), h.ch_sel)
    if t == 3:
        _need(adv_pdu_type_name(t, secondary=secondary), payload, 12, exact=True)
        return ScanReq(t, *_sender_and_target(payload, h), secondary)
    if t == 5:
        _need(adv_pdu_type_name(t, secondary=secondary), payload, CONNECT_IND_LENGTH, exact=True)
        aa = struct.unpack_from("<I", payload, 12)[0]
        crc_init = int.from_bytes(payload[16:19], "little")
        win_offset, interval, latency, timeout = struct.unpack_from("<HHHH", payload, 20)
        return ConnectInd(
            t,
            *_sender_and_target(payload, h),
            aa,
            crc_init,
            payload[19],
            win_offset,
            interval,
            latency,
            timeout,
            bytes(payload[28:33]),
            payload[33] & 0x1F,
            payload[33] >> 5,
            h.ch_sel,
            secondary,
        )
    if t in (7, 8):
        _need(adv_pdu_type_name(t, secondary=secondary), payload, 1, exact=False)
        ext_len = payload[0] & 0x3F
        mode = payload[0] >> 6
        if 1 + ext_len > len(payload):
            raise Truncated(
                f"{adv_pdu_type_name(t, secondary=secondary)} extended header says {ext_len} "
                f"bytes, {len(payload) - 1} follow",
                layer=_LAYER,
            )
        flags = payload[1] if ext_len >= 1 else None
        adv_a = None
        if flags is not None and flags & 0x01:
            if ext_len < 7:
                raise Truncated(
                    f"{adv_pdu_type_name(t, secondary=secondary)} extended header flags "
                    f"announce AdvA, the header has {ext_len - 1} bytes after the flags",
                    layer=_LAYER,
                )
            adv_a = address_str(payload[2:8])
        return AdvExtPdu(t, mode, ext_len, flags, adv_a, h.tx_add, secondary)
    return AdvReserved(t, bytes(payload))


# ===================================================================== data PDUs
LLID_NAMES = {
    0: "reserved LLID 0b00",
    1: "LL Data PDU (continuation or empty)",
    2: "LL Data PDU (start or complete)",
    3: "LL Control PDU",
}


@dataclass(frozen=True, slots=True)
class DataPdu:
    """A data physical channel PDU (2.4): header fields, CTEInfo (when CP) and payload."""

    llid: int
    nesn: int
    sn: int
    md: int
    cp: int
    rfu: int
    length: int
    cte_info: int | None
    payload: bytes

    @property
    def name(self) -> str:
        if self.llid == 1 and not self.length:
            return "Empty PDU"
        return LLID_NAMES[self.llid]

    def fields(self) -> dict[str, object]:
        return {
            "llid": self.llid,
            "nesn": self.nesn,
            "sn": self.sn,
            "md": self.md,
            "cp": self.cp,
            "length": self.length,
            "cte_info": self.cte_info,
        }


def parse_data_pdu(pdu: bytes) -> DataPdu:
    """Decode a data channel PDU (header, CTEInfo when CP is set, exactly Length payload
    bytes)."""
    if len(pdu) < 2:
        raise Truncated(f"data PDU header needs 2 bytes, got {len(pdu)}", layer=_LAYER)
    h = pdu[0]
    length = pdu[1]
    cp = (h >> 5) & 1
    start = 2 + cp
    if len(pdu) < start + length:
        raise Truncated(
            f"data PDU header says {length} payload bytes"
            + (" after a CTEInfo octet" if cp else "")
            + f", got {max(len(pdu) - start, 0)}",
            layer=_LAYER,
        )
    if len(pdu) > start + length:
        raise BadLength(
            f"data PDU header says {length} payload bytes, got {len(pdu) - start}",
            layer=_LAYER,
        )
    return DataPdu(
        h & 3,
        (h >> 2) & 1,
        (h >> 3) & 1,
        (h >> 4) & 1,
        cp,
        h >> 6,
        length,
        pdu[2] if cp else None,
        bytes(pdu[start:]),
    )


# ===================================================================== LL control PDUs
class ControlOpcode(Labelled, spelling=str):
    """Vol 6, Part B, 2.4.2, Table 2.18 (v5.4) and the opcodes Core v6.0 added; each named
    as the spec names it, ``LL_ENC_REQ``."""

    LL_CONNECTION_UPDATE_IND = 0x00
    LL_CHANNEL_MAP_IND = 0x01
    LL_TERMINATE_IND = 0x02
    LL_ENC_REQ = 0x03
    LL_ENC_RSP = 0x04
    LL_START_ENC_REQ = 0x05
    LL_START_ENC_RSP = 0x06
    LL_UNKNOWN_RSP = 0x07
    LL_FEATURE_REQ = 0x08
    LL_FEATURE_RSP = 0x09
    LL_PAUSE_ENC_REQ = 0x0A
    LL_PAUSE_ENC_RSP = 0x0B
    LL_VERSION_IND = 0x0C
    LL_REJECT_IND = 0x0D
    LL_PERIPHERAL_FEATURE_REQ = 0x0E
    LL_CONNECTION_PARAM_REQ = 0x0F
    LL_CONNECTION_PARAM_RSP = 0x10
    LL_REJECT_EXT_IND = 0x11
    LL_PING_REQ = 0x12
    LL_PING_RSP = 0x13
    LL_LENGTH_REQ = 0x14
    LL_LENGTH_RSP = 0x15
    LL_PHY_REQ = 0x16
    LL_PHY_RSP = 0x17
    LL_PHY_UPDATE_IND = 0x18
    LL_MIN_USED_CHANNELS_IND = 0x19
    LL_CTE_REQ = 0x1A
    LL_CTE_RSP = 0x1B
    LL_PERIODIC_SYNC_IND = 0x1C
    LL_CLOCK_ACCURACY_REQ = 0x1D
    LL_CLOCK_ACCURACY_RSP = 0x1E
    LL_CIS_REQ = 0x1F
    LL_CIS_RSP = 0x20
    LL_CIS_IND = 0x21
    LL_CIS_TERMINATE_IND = 0x22
    LL_POWER_CONTROL_REQ = 0x23
    LL_POWER_CONTROL_RSP = 0x24
    LL_POWER_CHANGE_IND = 0x25
    LL_SUBRATE_REQ = 0x26
    LL_SUBRATE_IND = 0x27
    LL_CHANNEL_REPORTING_IND = 0x28
    LL_CHANNEL_STATUS_IND = 0x29
    # Core v6.0
    LL_PERIODIC_SYNC_WR_IND = 0x2A
    LL_FEATURE_EXT_REQ = 0x2B
    LL_FEATURE_EXT_RSP = 0x2C
    LL_CS_SEC_RSP = 0x2D
    LL_CS_CAPABILITIES_REQ = 0x2E
    LL_CS_CAPABILITIES_RSP = 0x2F
    LL_CS_CONFIG_REQ = 0x30
    LL_CS_CONFIG_RSP = 0x31
    LL_CS_REQ = 0x32
    LL_CS_RSP = 0x33
    LL_CS_IND = 0x34
    LL_CS_TERMINATE_REQ = 0x35
    LL_CS_FAE_REQ = 0x36
    LL_CS_FAE_RSP = 0x37
    LL_CS_CHANNEL_MAP_IND = 0x38
    LL_CS_SEC_REQ = 0x39
    LL_CS_TERMINATE_RSP = 0x3A


def control_name(opcode: int) -> str:
    """Spec name of an LL control opcode; unassigned ones are ``reserved (0x3f)``."""
    return ControlOpcode.name_of(opcode)


# LL feature bits (Vol 6, Part B, 4.6, Table 4.5).
FEATURE_NAMES: dict[int, str] = {
    0: "LE Encryption",
    1: "Connection Parameters Request Procedure",
    2: "Extended Reject Indication",
    3: "Peripheral-initiated Features Exchange",
    4: "LE Ping",
    5: "LE Data Packet Length Extension",
    6: "LL Privacy",
    7: "Extended Scanner Filter Policies",
    8: "LE 2M PHY",
    9: "Stable Modulation Index - Transmitter",
    10: "Stable Modulation Index - Receiver",
    11: "LE Coded PHY",
    12: "LE Extended Advertising",
    13: "LE Periodic Advertising",
    14: "Channel Selection Algorithm #2",
    15: "LE Power Class 1",
    16: "Minimum Number of Used Channels Procedure",
    17: "Connection CTE Request",
    18: "Connection CTE Response",
    19: "Connectionless CTE Transmitter",
    20: "Connectionless CTE Receiver",
    21: "Antenna Switching During CTE Transmission (AoD)",
    22: "Antenna Switching During CTE Reception (AoA)",
    23: "Receiving Constant Tone Extensions",
    24: "Periodic Advertising Sync Transfer - Sender",
    25: "Periodic Advertising Sync Transfer - Recipient",
    26: "Sleep Clock Accuracy Updates",
    27: "Remote Public Key Validation",
    28: "Connected Isochronous Stream - Central",
    29: "Connected Isochronous Stream - Peripheral",
    30: "Isochronous Broadcaster",
    31: "Synchronized Receiver",
    32: "Connected Isochronous Stream (Host Support)",
    33: "LE Power Control Request",
    34: "LE Power Control Request",
    35: "LE Path Loss Monitoring",
    36: "Periodic Advertising ADI support",
    37: "Connection Subrating",
    38: "Connection Subrating (Host Support)",
    39: "Channel Classification",
    40: "Advertising Coding Selection",
    41: "Advertising Coding Selection (Host Support)",
}

PHY_BITS = {0x01: "LE 1M", 0x02: "LE 2M", 0x04: "LE Coded"}

VERSION_NAMES = {
    6: "4.0",
    7: "4.1",
    8: "4.2",
    9: "5.0",
    10: "5.1",
    11: "5.2",
    12: "5.3",
    13: "5.4",
    14: "6.0",
    15: "6.1",
}


def feature_names(features: int) -> list[str]:
    return [FEATURE_NAMES.get(bit, f"bit {bit}") for bit in range(64) if features >> bit & 1]


def phy_names(phys: int) -> list[str]:
    names = [name for bit, name in PHY_BITS.items() if phys & bit]
    names.extend(reserved_name(bit) for bit in (0x08, 0x10, 0x20, 0x40, 0x80) if phys & bit)
    return names


@dataclass(frozen=True, slots=True)
class LlControl(Declared):
    """An LL control PDU (2.4.2): opcode and raw CtrData.  Opcodes without a class of their
    own are kept like this, their CtrData shown as hex."""

    opcode: int
    data: bytes

    @property
    def name(self) -> str:
        return control_name(self.opcode)

    @property
    def error_code(self) -> int | None:
        return None

    @property
    def reject_opcode(self) -> int | None:
        return None

    def fields(self) -> dict[str, object]:
        if type(self) is LlControl:
            return {"data": self.data.hex()} if self.data else {}
        return show_params(self.SHOWN, self)


CONTROLS: dict[int, Layout] = {}
"""Opcode → the class and CtrData layout ``parse_control`` reads it by."""


def _keep_data(data: bytes, values: dict[str, object]) -> None:
    values["data"] = data


def _control(*opcodes: int) -> Callable[[D], D]:
    """Declare the class of one or more control opcodes that share a CtrData layout (its
    ``wire`` fields, in order)."""

    def register(cls: D) -> D:
        for op in opcodes:
            declare(CONTROLS, "opcode", op, hook=_keep_data)(cls)
        return cls

    return register


def _u(size: int = 1) -> Any:
    return wire(size)


def _code(names: Callable[[int], object], key: str, name_key: str) -> Any:
    """A one-octet code shown under ``key``, with its name under ``name_key``."""
    return wire(1, key=key, names=names, name_key=name_key)


def _phys(name_key: str) -> Any:
    """A PHYS octet (2.4.2.23): bit 0 LE 1M, bit 1 LE 2M, bit 2 LE Coded."""
    return wire(1, names=phy_names, name_key=name_key)


@_control(0x00)
@dataclass(frozen=True, slots=True)
class ConnectionUpdateInd(LlControl):
    """LL_CONNECTION_UPDATE_IND (2.4.2.1): WinSize, WinOffset, Interval, Latency, Timeout,
    Instant."""

    win_size: int = _u()
    win_offset: int = _u(2)
    interval: int = _u(2)
    latency: int = _u(2)
    timeout: int = _u(2)
    instant: int = _u(2)


@_control(0x01)
@dataclass(frozen=True, slots=True)
class ChannelMapInd(LlControl):
    """LL_CHANNEL_MAP_IND (2.4.2.2): ChM (5 octets), Instant."""

    channel_map: bytes = wire(5, "octets")
    instant: int = _u(2)


@_control(0x02, 0x0D)
@dataclass(frozen=True, slots=True)
class ErrorCodePdu(LlControl):
    """LL_TERMINATE_IND (2.4.2.3) and LL_REJECT_IND (2.4.2.14): one ErrorCode."""

    code: int = _code(error_name, "error_code", "error_name")

    @property
    def error_code(self) -> int | None:
        return self.code


@_control(0x03)
@dataclass(frozen=True, slots=True)
class EncReq(LlControl):
    """LL_ENC_REQ (2.4.2.4): Rand, EDIV, SKDc (SKDm before v5.3), IVc (IVm)."""

    rand: bytes = wire(8, "octets")
    ediv: int = _u(2)
    skd_c: bytes = wire(8, "octets")
    iv_c: bytes = wire(4, "octets")


@_control(0x04)
@dataclass(frozen=True, slots=True)
class EncRsp(LlControl):
    """LL_ENC_RSP (2.4.2.5): SKDp (SKDs before v5.3), IVp (IVs)."""

    skd_p: bytes = wire(8, "octets")
    iv_p: bytes = wire(4, "octets")


@_control(0x07)
@dataclass(frozen=True, slots=True)
class UnknownRsp(LlControl):
    """LL_UNKNOWN_RSP (2.4.2.8): the opcode the sender did not understand."""

    unknown_type: int = _code(control_name, "unknown_type", "unknown_name")


def _feature_octets(features: int) -> str:
    return features.to_bytes(8, "little").hex()


@_control(0x08, 0x09, 0x0E)
@dataclass(frozen=True, slots=True)
class FeatureExchange(LlControl):
    """LL_FEATURE_REQ / LL_FEATURE_RSP / LL_PERIPHERAL_FEATURE_REQ (2.4.2.9, 2.4.2.10,
    2.4.2.15): FeatureSet, 8 octets (shown in wire order)."""

    features: int = wire(8, render=_feature_octets, names=feature_names, name_key="feature_names")


def version_name(version: int) -> str:
    """The Core spec version a VersNr stands for (Assigned Numbers), e.g. 13 → ``5.4``."""
    return VERSION_NAMES.get(version) or reserved_name(version)


@_control(0x0C)
@dataclass(frozen=True, slots=True)
class VersionInd(LlControl):
    """LL_VERSION_IND (2.4.2.13): VersNr, CompId, SubVersNr."""

    version: int = _code(version_name, "version", "version_name")
    company: int = _u(2)
    subversion: int = _u(2)


@_control(0x11)
@dataclass(frozen=True, slots=True)
class RejectExtInd(LlControl):
    """LL_REJECT_EXT_IND (2.4.2.18): RejectOpcode, ErrorCode."""

    rejected: int = _code(control_name, "reject_opcode", "reject_name")
    code: int = _code(error_name, "error_code", "error_name")

    @property
    def error_code(self) -> int | None:
        return self.code

    @property
    def reject_opcode(self) -> int | None:
        return self.rejected


@_control(0x0F, 0x10)
@dataclass(frozen=True, slots=True)
class ConnectionParamExchange(LlControl):
    """LL_CONNECTION_PARAM_REQ / _RSP (2.4.2.16, 2.4.2.17): Interval_Min/Max, Latency,
    Timeout, PreferredPeriodicity, ReferenceConnEventCount, Offset0–5."""

    interval_min: int = _u(2)
    interval_max: int = _u(2)
    latency: int = _u(2)
    timeout: int = _u(2)
    preferred_periodicity: int = _u()
    reference_event_count: int = _u(2)
    offsets: tuple[int, ...] = wire(12, "u16s")


@_control(0x14, 0x15)
@dataclass(frozen=True, slots=True)
class LengthExchange(LlControl):
    """LL_LENGTH_REQ / LL_LENGTH_RSP (2.4.2.21, 2.4.2.22): MaxRxOctets, MaxRxTime,
    MaxTxOctets, MaxTxTime."""

    max_rx_octets: int = _u(2)
    max_rx_time: int = _u(2)
    max_tx_octets: int = _u(2)
    max_tx_time: int = _u(2)


@_control(0x16, 0x17)
@dataclass(frozen=True, slots=True)
class PhyExchange(LlControl):
    """LL_PHY_REQ / LL_PHY_RSP (2.4.2.23, 2.4.2.24): TX_PHYS, RX_PHYS."""

    tx_phys: int = _phys("tx_phy_names")
    rx_phys: int = _phys("rx_phy_names")


@_control(0x18)
@dataclass(frozen=True, slots=True)
class PhyUpdateInd(LlControl):
    """LL_PHY_UPDATE_IND (2.4.2.25): PHY_C_TO_P, PHY_P_TO_C (0 = unchanged), Instant."""

    phy_c_to_p: int = _phys("phy_c_to_p_names")
    phy_p_to_c: int = _phys("phy_p_to_c_names")
    instant: int = _u(2)


# CtrData lengths of the v5.4 opcodes bpdiag keeps as raw CtrData (2.4.2.6–2.4.2.42); the
# others' length is their declared layout's.  Opcodes in neither (Core v6.0 additions) are
# not length-checked.
_RAW_LENGTHS = {
    0x05: 0, 0x06: 0, 0x0A: 0, 0x0B: 0, 0x12: 0, 0x13: 0, 0x19: 2, 0x1A: 1, 0x1B: 0,
    0x1C: 34, 0x1D: 1, 0x1E: 1, 0x1F: 35, 0x20: 8, 0x21: 15, 0x22: 3, 0x23: 3, 0x24: 4,
    0x25: 4, 0x26: 10, 0x27: 10, 0x28: 3, 0x29: 10,
}  # fmt: skip
CONTROL_LENGTHS: dict[int, int] = dict(
    sorted({**_RAW_LENGTHS, **{op: layout.length for op, layout in CONTROLS.items()}}.items())
)
"""Exact CtrData length of every v5.4 control opcode (Vol 6, Part B, 2.4.2.1–2.4.2.42)."""


def parse_control(payload: bytes) -> LlControl:
    """Decode an LL control PDU payload (opcode + CtrData).  For every opcode of v5.4 the
    CtrData length must be exactly the spec's: shorter is ``Truncated``, longer ``BadLength``."""
    if not payload:
        raise Truncated("LL control PDU without an opcode", layer=_LAYER)
    op = payload[0]
    data = bytes(payload[1:])
    need = CONTROL_LENGTHS.get(op)
    if need is not None and len(data) != need:
        cls = Truncated if len(data) < need else BadLength
        raise cls(
            f"{control_name(op)} needs {need} bytes of CtrData, got {len(data)}", layer=_LAYER
        )
    layout = CONTROLS.get(op)
    if layout is None:
        return LlControl(op, data)
    msg: LlControl = layout.build(data)
    return msg
