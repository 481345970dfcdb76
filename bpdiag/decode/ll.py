"""Link Layer PDUs on air — Bluetooth Core Spec v5.4, Vol 6, Part B, 2.1–2.4.

The air packet (2.1) is access address (4 octets, little-endian), PDU, CRC (3 octets).
Advertising physical channel PDUs (2.3) start with a 2-octet header (PDU type, ChSel, TxAdd,
RxAdd, length); data physical channel PDUs (2.4) with a 2-octet header (LLID, NESN, SN, MD,
CP, length) and, when CP is set, a CTEInfo octet.  LL control PDUs (2.4.2) are LLID 0b11:
an opcode and its CtrData.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from bpdiag.decode.adv import AdStructure, parse_ad
from bpdiag.decode.hci import address_str, status_name
from bpdiag.errors import BadLength, Truncated

ADV_ACCESS_ADDRESS = 0x8E89BED6

ADV_PDU_TYPES = {
    0: "ADV_IND",
    1: "ADV_DIRECT_IND",
    2: "ADV_NONCONN_IND",
    3: "SCAN_REQ",
    4: "SCAN_RSP",
    5: "CONNECT_IND",
    6: "ADV_SCAN_IND",
    7: "ADV_EXT_IND",
    8: "AUX_CONNECT_RSP",
}

CONTROL_NAMES = {
    0x00: "LL_CONNECTION_UPDATE_IND",
    0x01: "LL_CHANNEL_MAP_IND",
    0x02: "LL_TERMINATE_IND",
    0x03: "LL_ENC_REQ",
    0x04: "LL_ENC_RSP",
    0x05: "LL_START_ENC_REQ",
    0x06: "LL_START_ENC_RSP",
    0x07: "LL_UNKNOWN_RSP",
    0x08: "LL_FEATURE_REQ",
    0x09: "LL_FEATURE_RSP",
    0x0A: "LL_PAUSE_ENC_REQ",
    0x0B: "LL_PAUSE_ENC_RSP",
    0x0C: "LL_VERSION_IND",
    0x0D: "LL_REJECT_IND",
    0x0E: "LL_PERIPHERAL_FEATURE_REQ",
    0x0F: "LL_CONNECTION_PARAM_REQ",
    0x10: "LL_CONNECTION_PARAM_RSP",
    0x11: "LL_REJECT_EXT_IND",
    0x12: "LL_PING_REQ",
    0x13: "LL_PING_RSP",
    0x14: "LL_LENGTH_REQ",
    0x15: "LL_LENGTH_RSP",
    0x16: "LL_PHY_REQ",
    0x17: "LL_PHY_RSP",
    0x18: "LL_PHY_UPDATE_IND",
    0x19: "LL_MIN_USED_CHANNELS_IND",
    0x1A: "LL_CTE_REQ",
    0x1B: "LL_CTE_RSP",
    0x1C: "LL_PERIODIC_SYNC_IND",
    0x1D: "LL_CLOCK_ACCURACY_REQ",
    0x1E: "LL_CLOCK_ACCURACY_RSP",
    0x1F: "LL_CIS_REQ",
    0x20: "LL_CIS_RSP",
    0x21: "LL_CIS_IND",
    0x22: "LL_CIS_TERMINATE_IND",
    0x23: "LL_POWER_CONTROL_REQ",
    0x24: "LL_POWER_CONTROL_RSP",
    0x25: "LL_POWER_CHANGE_IND",
    0x26: "LL_SUBRATE_REQ",
    0x27: "LL_SUBRATE_IND",
    0x28: "LL_CHANNEL_REPORTING_IND",
    0x29: "LL_CHANNEL_STATUS_IND",
}

# CtrData lengths (Vol 6, Part B, 2.4.2) for the opcodes whose fields bpdiag decodes.
CONTROL_LENGTHS = {
    0x00: 11,
    0x01: 7,
    0x02: 1,
    0x03: 22,
    0x04: 12,
    0x05: 0,
    0x06: 0,
    0x07: 1,
    0x08: 8,
    0x09: 8,
    0x0A: 0,
    0x0B: 0,
    0x0C: 5,
    0x0D: 1,
    0x0E: 8,
    0x11: 2,
    0x12: 0,
    0x13: 0,
    0x14: 8,
    0x15: 8,
    0x16: 2,
    0x17: 2,
    0x18: 4,
}


def control_name(op: int) -> str:
    return CONTROL_NAMES.get(op, f"reserved (0x{op:02x})")


@dataclass(frozen=True, slots=True)
class AirPacket:
    """One air packet: access address, PDU bytes (header + payload) and CRC."""

    access_address: int
    pdu: bytes
    crc: bytes


def split_air_packet(data: bytes, *, adv: bool | None = None) -> AirPacket:
    """Split AA + PDU + CRC (Vol 6, Part B, 2.1.1); the PDU length comes from its header."""
    if len(data) < 6:
        raise Truncated(f"LL packet needs at least 6 bytes, got {len(data)}", layer="ll")
    aa = struct.unpack_from("<I", data)[0]
    length = data[5]
    is_data = aa != ADV_ACCESS_ADDRESS if adv is None else not adv
    extra = 1 if is_data and data[4] & 0x20 else 0  # CTEInfo
    end = 6 + extra + length
    if len(data) < end:
        raise Truncated(
            f"LL PDU header says {length} payload bytes, the packet has {len(data) - 6 - extra}",
            layer="ll",
        )
    return AirPacket(aa, bytes(data[4:end]), bytes(data[end : end + 3]))


# ---------------------------------------------------------------- advertising
@dataclass(frozen=True, slots=True)
class ConnectInd:
    """Vol 6, Part B, 2.3.3.1 CONNECT_IND (and AUX_CONNECT_REQ, 2.3.3.2, same layout)."""

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

    @property
    def name(self) -> str:
        return "CONNECT_IND" if self.pdu_type == 5 else "AUX_CONNECT_REQ"

    def fields(self) -> dict[str, object]:
        return {
            "init_address": self.init_address,
            "init_address_type": "random" if self.init_address_type else "public",
            "adv_address": self.adv_address,
            "adv_address_type": "random" if self.adv_address_type else "public",
            "access_address": f"0x{self.access_address:08x}",
            "crc_init": f"0x{self.crc_init:06x}",
            "interval": self.interval,
            "latency": self.latency,
            "timeout": self.timeout,
            "channel_map": self.channel_map.hex(),
            "hop": self.hop,
            "sca": self.sca,
        }


@dataclass(frozen=True, slots=True)
class AdvPdu:
    """An advertising PDU with advertiser address and AD structures (2.3.1)."""

    pdu_type: int
    adv_address: str
    adv_address_type: int
    ad: tuple[AdStructure, ...]

    @property
    def name(self) -> str:
        return ADV_PDU_TYPES.get(self.pdu_type, f"reserved (0x{self.pdu_type:x})")

    @property
    def flags(self) -> int | None:
        for s in self.ad:
            if s.ad_type == 0x01 and s.data:
                return s.data[0]
        return None

    @property
    def local_name(self) -> str | None:
        for s in self.ad:
            if s.ad_type in (0x08, 0x09):
                return s.data.decode("utf-8", "replace")
        return None

    def fields(self) -> dict[str, object]:
        return {
            "adv_address": self.adv_address,
            "adv_address_type": "random" if self.adv_address_type else "public",
            "flags": self.flags,
            "local_name": self.local_name,
        }


def parse_adv(pdu: bytes) -> ConnectInd | AdvPdu | None:
    """Decode an advertising channel PDU; ``None`` for types bpdiag does not follow."""
    if len(pdu) < 2:
        raise Truncated("advertising PDU header needs 2 bytes", layer="ll")
    ptype = pdu[0] & 0x0F
    tx_add = (pdu[0] >> 6) & 1
    rx_add = (pdu[0] >> 7) & 1
    payload = pdu[2 : 2 + pdu[1]]
    if ptype == 5:
        if len(payload) == 34:
            pass
        elif len(payload) < 34:
            raise Truncated(f"CONNECT_IND needs 34 payload bytes, got {len(payload)}", layer="ll")
        else:
            # AUX_CONNECT_REQ on a secondary channel has the same 34-byte layout.
            raise BadLength(f"CONNECT_IND must be 34 payload bytes, got {len(payload)}", layer="ll")
        aa = struct.unpack_from("<I", payload, 12)[0]
        crc_init = int.from_bytes(payload[16:19], "little")
        win_size = payload[19]
        win_offset, interval, latency, timeout = struct.unpack_from("<HHHH", payload, 20)
        return ConnectInd(
            ptype,
            address_str(payload[0:6]),
            tx_add,
            address_str(payload[6:12]),
            rx_add,
            aa,
            crc_init,
            win_size,
            win_offset,
            interval,
            latency,
            timeout,
            bytes(payload[28:33]),
            payload[33] & 0x1F,
            payload[33] >> 5,
        )
    if ptype in (0, 2, 4, 6):
        if len(payload) < 6:
            raise Truncated(
                f"{ADV_PDU_TYPES[ptype]} needs an AdvA, got {len(payload)} bytes", layer="ll"
            )
        return AdvPdu(ptype, address_str(payload[0:6]), tx_add, parse_ad(payload[6:]))
    return None


# ---------------------------------------------------------------- data channel
@dataclass(frozen=True, slots=True)
class DataHeader:
    """Vol 6, Part B, 2.4 data physical channel PDU header."""

    llid: int
    nesn: int
    sn: int
    md: int
    length: int
    payload: bytes


def parse_data_header(pdu: bytes) -> DataHeader:
    if len(pdu) < 2:
        raise Truncated("data PDU header needs 2 bytes", layer="ll")
    h = pdu[0]
    start = 3 if h & 0x20 else 2
    return DataHeader(h & 3, (h >> 2) & 1, (h >> 3) & 1, (h >> 4) & 1, pdu[1], bytes(pdu[start:]))


@dataclass(frozen=True, slots=True)
class LlControl:
    """An LL control PDU (Vol 6, Part B, 2.4.2) with its CtrData decoded where bpdiag
    follows it (encryption start/pause, reject, terminate, version, features, length)."""

    opcode: int
    data: bytes

    @property
    def name(self) -> str:
        return control_name(self.opcode)

    @property
    def error_code(self) -> int | None:
        if self.opcode in (0x02, 0x0D) and self.data:
            return self.data[0]
        if self.opcode == 0x11 and len(self.data) >= 2:
            return self.data[1]
        return None

    @property
    def reject_opcode(self) -> int | None:
        if self.opcode == 0x11 and self.data:
            return self.data[0]
        return None

    def fields(self) -> dict[str, object]:
        d = self.data
        op = self.opcode
        out: dict[str, object] = {}
        if op in (0x02, 0x0D):
            out = {"error_code": d[0], "error_name": status_name(d[0])}
        elif op == 0x11:
            out = {
                "reject_opcode": d[0],
                "reject_name": control_name(d[0]),
                "error_code": d[1],
                "error_name": status_name(d[1]),
            }
        elif op == 0x03:
            out = {
                "rand": d[0:8].hex(),
                "ediv": struct.unpack_from("<H", d, 8)[0],
                "skd_c": d[10:18].hex(),
                "iv_c": d[18:22].hex(),
            }
        elif op == 0x04:
            out = {"skd_p": d[0:8].hex(), "iv_p": d[8:12].hex()}
        elif op == 0x0C:
            ver, comp, sub = struct.unpack_from("<BHH", d)
            out = {"version": ver, "company": comp, "subversion": sub}
        elif op in (0x08, 0x09, 0x0E):
            out = {"features": d[0:8].hex()}
        elif op in (0x14, 0x15):
            rx_oct, rx_t, tx_oct, tx_t = struct.unpack_from("<HHHH", d)
            out = {
                "max_rx_octets": rx_oct,
                "max_rx_time": rx_t,
                "max_tx_octets": tx_oct,
                "max_tx_time": tx_t,
            }
        elif op == 0x07:
            out = {"unknown_type": d[0]}
        elif op == 0x00:
            ws, wo, itv, lat, to, inst = struct.unpack_from("<BHHHHH", d)
            out = {
                "win_size": ws,
                "win_offset": wo,
                "interval": itv,
                "latency": lat,
                "timeout": to,
                "instant": inst,
            }
        elif d:
            out = {"data": d.hex()}
        return out


def parse_control(payload: bytes) -> LlControl:
    """Decode an LL control PDU payload (opcode + CtrData), length-checked for known opcodes."""
    if not payload:
        raise Truncated("LL control PDU without an opcode", layer="ll")
    op = payload[0]
    data = bytes(payload[1:])
    need = CONTROL_LENGTHS.get(op)
    if need is not None and len(data) < need:
        raise Truncated(
            f"{control_name(op)} needs {need} bytes of CtrData, got {len(data)}", layer="ll"
        )
    return LlControl(op, data)
