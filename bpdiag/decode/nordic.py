"""nRF Sniffer for Bluetooth LE records (LINKTYPE_NORDIC_BLE, 272).

Layout (Nordic's sniffer UART protocol as written to pcap; Wireshark's packet-nordic_ble.c is
the reference decoder).  All multi-octet fields are little-endian.

Header version 0 (nRF Sniffer 0.9.7, starts with the legacy marker 0xBEEF, no board id)::

    BE EF | packet id (1) | packet counter (2) | unused (2) | payload length (1)

Header version 1::

    board id (1) | header length (1) | payload length (1) | protocol version (1)
                 | packet counter (2) | packet id (1)

Header versions 2 and 3::

    board id (1) | payload length (2) | protocol version (1) | packet counter (2)
                 | packet id (1)

then the event packet header — its length (1, normally 10; absent in version 0), flags (1),
channel index (1), RSSI (1, the negated dBm), event counter (2), and either the time from the
end of the previous packet to the start of this one (µs, versions 0–2) or the firmware
timestamp of the packet start (µs, version 3) (4) — and then the air packet: access address,
PDU, CRC (``ble``).

Flags, data channel packets: bit 0 CRC OK, bit 1 direction (1 = central → peripheral), bit 2
encrypted, bit 3 MIC OK (meaningful only when encrypted), bits 4–6 PHY (0 LE 1M, 1 LE 2M,
2 LE Coded).  Advertising packets (version 3 packet id 0x02, older versions the advertising
access address): bit 0 CRC OK, bits 1–2 the AUX type on a secondary channel (index < 37:
AUX_ADV_IND, AUX_CHAIN_IND, AUX_SYNC_IND, AUX_SCAN_RSP), bit 3 address resolved, bits 4–6 PHY.

Lengths are checked as Wireshark checks them: the board id and header plus the payload length
must be exactly the record (versions 1–3), and the air packet must be at least an access
address, a PDU header and a CRC.  Version 0's payload-length octet is recorded but not
enforced: the 0.9.7 format's own documentation disagrees about what it counts, and the air
packet delimits itself.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from bpdiag.errors import BadLength, Stage, Truncated, Unsupported

ADV_ACCESS_ADDRESS = 0x8E89BED6
LEGACY_MARKER = b"\xbe\xef"
EVENT_HEADER_LENGTH = 10
PACKET_ID_ADVERTISING = 0x02
PACKET_ID_DATA = 0x06
PHY_NAMES = {0: "LE 1M", 1: "LE 2M", 2: "LE Coded"}
AUX_TYPE_NAMES = {0: "AUX_ADV_IND", 1: "AUX_CHAIN_IND", 2: "AUX_SYNC_IND", 3: "AUX_SCAN_RSP"}
MIN_AIR_PACKET = 4 + 2 + 3  # access address, PDU header, CRC

_LAYER = Stage.NORDIC


@dataclass(frozen=True, slots=True)
class NordicPacket:
    """One nRF Sniffer record: its header fields and the air packet it carries (``ble``)."""

    board: int | None  # None for version 0 (legacy marker instead of a board id)
    header_length: int  # octets before the event packet header (board id + UART header)
    payload_length: int  # the header's payload length field
    protocol_version: int
    packet_counter: int
    packet_id: int
    event_length: int  # the event packet header's length field (10; fixed for version 0)
    flags: int
    channel: int
    rssi: int  # dBm
    event_counter: int
    time_us: int  # versions 0–2: delta time end → start; version 3: firmware timestamp
    ble: bytes  # access address + PDU + CRC

    # ------------------------------------------------------------------ derived
    @property
    def air(self) -> bytes:
        """Alias of ``ble``."""
        return self.ble

    @property
    def access_address(self) -> int:
        return int.from_bytes(self.ble[0:4], "little")

    @property
    def is_advertising(self) -> bool:
        """An advertising physical channel packet: version 3 says so by packet id, older
        versions by the advertising access address (as Wireshark decides)."""
        if self.protocol_version >= 3:
            return self.packet_id == PACKET_ID_ADVERTISING
        return self.access_address == ADV_ACCESS_ADDRESS

    @property
    def crc_ok(self) -> bool:
        return bool(self.flags & 0x01)

    @property
    def c_to_p(self) -> bool:
        """Data packets: sent by the central (flags bit 1)."""
        return bool(self.flags & 0x02)

    @property
    def encrypted(self) -> bool:
        """Data packets: the packet was encrypted on air (flags bit 2)."""
        return not self.is_advertising and bool(self.flags & 0x04)

    @property
    def mic_ok(self) -> bool:
        """Data packets: encrypted and the sniffer verified the MIC, i.e. decrypted it."""
        return self.encrypted and bool(self.flags & 0x08)

    @property
    def phy(self) -> int:
        return (self.flags >> 4) & 0x07

    @property
    def coded(self) -> bool:
        return self.phy == 2

    @property
    def aux_type(self) -> int | None:
        """Advertising packets on a secondary channel: the AUX PDU kind (flags bits 1–2)."""
        if self.is_advertising and self.channel < 37:
            return (self.flags >> 1) & 0x03
        return None

    @property
    def address_resolved(self) -> bool | None:
        return bool(self.flags & 0x08) if self.is_advertising else None

    @property
    def delta_time_us(self) -> int | None:
        return self.time_us if self.protocol_version < 3 else None

    @property
    def timestamp_us(self) -> int | None:
        return self.time_us if self.protocol_version >= 3 else None

    def fields(self) -> dict[str, object]:
        out: dict[str, object] = {
            "board": self.board,
            "header_length": self.header_length,
            "payload_length": self.payload_length,
            "protocol_version": self.protocol_version,
            "packet_counter": self.packet_counter,
            "packet_id": self.packet_id,
            "event_length": self.event_length,
            "flags": self.flags,
            "crc_ok": self.crc_ok,
            "phy": PHY_NAMES.get(self.phy, f"reserved ({self.phy})"),
            "channel": self.channel,
            "rssi": self.rssi,
            "event_counter": self.event_counter,
        }
        if self.is_advertising:
            aux = self.aux_type
            out["aux_type"] = None if aux is None else AUX_TYPE_NAMES[aux]
            out["address_resolved"] = self.address_resolved
        else:
            out["direction"] = "central→peripheral" if self.c_to_p else "peripheral→central"
            out["encrypted"] = self.encrypted
            out["mic_ok"] = self.mic_ok if self.encrypted else None
        if self.protocol_version >= 3:
            out["timestamp_us"] = self.time_us
        else:
            out["delta_time_us"] = self.time_us
        return out


def parse_nordic(data: bytes, original_length: int = 0) -> NordicPacket:
    """Split an nRF Sniffer record into its header fields and the air packet.

    ``original_length``: the record's length before a snapshot length cut it (0: not cut).
    A cut record's header must add up to that length instead, and its air packet need only
    hold the access address and the PDU header (its CRC and part of its payload are gone)."""
    n = len(data)
    cut = original_length > n
    min_air = 4 + 2 if cut else MIN_AIR_PACKET
    if data[:2] == LEGACY_MARKER:
        # Version 0: marker, id, counter, 2 unused, payload length, then a 9-octet event
        # header without its own length octet.
        if n < 17 + min_air:
            raise Truncated(
                f"nRF Sniffer 0.9.7 record needs at least {17 + min_air} bytes, got {n}",
                layer=_LAYER,
            )
        flags, channel, rssi, evc, t = struct.unpack_from("<BBBHI", data, 8)
        return NordicPacket(
            None,
            8,
            data[7],
            0,
            struct.unpack_from("<H", data, 3)[0],
            data[2],
            EVENT_HEADER_LENGTH,
            flags,
            channel,
            -rssi,
            evc,
            t,
            bytes(data[17:]),
        )
    if n < 8:
        raise Truncated(f"nRF Sniffer header needs 8 bytes, got {n}", layer=_LAYER)
    board = data[0]
    version = data[3]
    if version == 1:
        hlen, plen = data[1] + 1, data[2]
    elif version in (2, 3):
        hlen, plen = 7, struct.unpack_from("<H", data, 1)[0]
    else:
        raise Unsupported(
            f"nRF Sniffer protocol version {version} (bpdiag reads versions 0–3)", layer=_LAYER
        )
    if hlen + plen != (original_length if cut else n):
        had = f"{n} (of {original_length})" if cut else str(n)
        raise BadLength(
            f"nRF Sniffer header says {hlen} + {plen} bytes, the record has {had}", layer=_LAYER
        )
    counter = struct.unpack_from("<H", data, 4)[0]
    packet_id = data[6]
    event_length = data[7]
    if event_length < EVENT_HEADER_LENGTH:
        raise BadLength(
            f"nRF Sniffer event packet header length {event_length} is shorter than the "
            f"{EVENT_HEADER_LENGTH} bytes of its fields",
            layer=_LAYER,
        )
    ble_at = 7 + event_length  # a longer event header's extra octets are skipped
    if n < ble_at + min_air:
        raise Truncated(
            f"nRF Sniffer record needs at least {ble_at + min_air} bytes "
            f"(header, event header, air packet), got {n}",
            layer=_LAYER,
        )
    flags, channel, rssi, evc, t = struct.unpack_from("<BBBHI", data, 8)
    return NordicPacket(
        board,
        hlen,
        plen,
        version,
        counter,
        packet_id,
        event_length,
        flags,
        channel,
        -rssi,
        evc,
        t,
        bytes(data[ble_at:]),
    )
