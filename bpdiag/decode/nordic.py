"""nRF Sniffer for Bluetooth LE pseudo-header (LINKTYPE_NORDIC_BLE, 272).

Layout (Nordic's sniffer UART protocol as written to pcap; Wireshark packet-nordic_ble.c):
board id (1 byte), then a 6-byte header — version 1: header length, payload length,
protocol version, packet counter (2), packet id; versions 2 and 3: payload length (2),
protocol version, packet counter (2), packet id; version 0: packet id, counter (2), unused
(2), payload length — then the event packet header: its length (1, normally 10), flags (1),
channel (1), RSSI (1, negated), event counter (2), delta time (v0–v2) or timestamp (v3) (4),
and the air packet (access address, PDU, CRC).  Old 0.9.7 files start with 0xBEEF and put
the same fields at the same offsets.

Flags: bit 0 CRC OK, bit 1 direction (1 = central → peripheral; data channel), bit 2
encrypted, bit 3 MIC OK (v3: "address resolved" on advertising channels), bits 4–6 PHY.
"""

from __future__ import annotations

from dataclasses import dataclass

from bpdiag.errors import Truncated

_FLAGS_AT = 8
_AA_AT = 17


@dataclass(frozen=True, slots=True)
class NordicPacket:
    board: int
    protocol_version: int
    packet_id: int
    crc_ok: bool
    c_to_p: bool
    encrypted: bool
    mic_ok: bool
    phy: int
    channel: int
    rssi: int
    event_counter: int
    air: bytes  # access address + PDU + CRC


def parse_nordic(data: bytes) -> NordicPacket:
    """Split the nRF Sniffer header from the air packet it carries."""
    if len(data) < _AA_AT + 6:
        raise Truncated(
            f"nRF Sniffer packet needs at least {_AA_AT + 6} bytes, got {len(data)}",
            layer="nordic",
        )
    aa_at = _AA_AT
    protover = data[3]
    if data[0:2] != b"\xbe\xef" and protover in (1, 2, 3):
        hdr_len = data[7]
        if 10 <= hdr_len <= 32 and 7 + hdr_len + 6 <= len(data):
            aa_at = 7 + hdr_len
    flags = data[_FLAGS_AT]
    return NordicPacket(
        board=data[0],
        protocol_version=protover,
        packet_id=data[6],
        crc_ok=bool(flags & 0x01),
        c_to_p=bool(flags & 0x02),
        encrypted=bool(flags & 0x04),
        mic_ok=bool(flags & 0x08),
        phy=(flags >> 4) & 0x07,
        channel=data[9],
        rssi=-data[10],
        event_counter=data[11] | data[12] << 8,
        air=bytes(data[aa_at:]),
    )
