"""PPI, the Per-Packet Information header (LINKTYPE_PPI, 192), as old Ubertooth tools
(ubertooth-btle, libbtbb, crackle's test files) write BLE packets.

PPI header (CACE "Per-Packet Information Header Specification" 1.0.10), little-endian::

    version (1, = 0) | flags (1; bit 0: fields 32-bit aligned) | header length (2, the whole
    header including the fields) | DLT of the packet after the header (4)

then fields, each ``type (2) | data length (2) | data`` (padded to 4 bytes when the align flag
is set), walked and kept by type.  Type 30006 is libbtbb's BTLE field (``ppi_btle_t``)::

    version (1) | channel (2, MHz: 2402 = RF channel 0) | CLKN high (1)
    | clock in 100 ns units (4) | RSSI max, min, avg (1 each, signed) | RSSI count (1)

The packet after the header is raw BTLE — access address, PDU, CRC — for inner DLT 147
(USER0, what these tools use) and 251 (LINKTYPE_BLUETOOTH_LE_LL).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from bpdiag.decode.declare import attrs
from bpdiag.errors import BadLength, Stage, Truncated, Unsupported

PPI_HEADER_LENGTH = 8
PPI_FLAG_ALIGNED = 0x01
FIELD_BTLE = 30006
DLT_USER0 = 147
DLT_BLUETOOTH_LE_LL = 251
INNER_BTLE = frozenset({DLT_USER0, DLT_BLUETOOTH_LE_LL})
BTLE_FIELD_LENGTH = 12
MIN_AIR_PACKET = 4 + 2 + 3

_LAYER = Stage.PPI


@dataclass(frozen=True, slots=True)
class PpiField:
    """One PPI field: its type and data."""

    field_type: int
    data: bytes


# PpiBtle's fields() as shown (``btle_version`` is the field's own version octet).
_BTLE_SHOWN = (
    *(("btle_version", "version"), "channel_mhz", "rf_channel", "clkn_high", "clk_100ns"),
    *("rssi_max", "rssi_min", "rssi_avg", "rssi_count"),
)


@dataclass(frozen=True, slots=True)
class PpiBtle:
    """libbtbb's BTLE PPI field (type 30006)."""

    version: int
    channel_mhz: int
    clkn_high: int
    clk_100ns: int
    rssi_max: int
    rssi_min: int
    rssi_avg: int
    rssi_count: int

    @property
    def rf_channel(self) -> int | None:
        """RF channel 0–39 from the frequency (2402 + 2·n MHz); ``None`` if off the band."""
        n, rem = divmod(self.channel_mhz - 2402, 2)
        return n if rem == 0 and 0 <= n <= 39 else None

    @property
    def time_s(self) -> float:
        """The Ubertooth clock in seconds (wraps every 2**32 · 100 ns ≈ 429.5 s)."""
        return self.clk_100ns * 1e-7

    def fields(self) -> dict[str, object]:
        return attrs(self, _BTLE_SHOWN)


@dataclass(frozen=True, slots=True)
class PpiPacket:
    """The PPI header, its fields, the decoded BTLE field if present, and the air packet."""

    version: int
    flags: int
    header_length: int
    dlt: int
    ppi_fields: tuple[PpiField, ...]
    btle: PpiBtle | None
    ble: bytes

    @property
    def air(self) -> bytes:
        """Alias of ``ble``."""
        return self.ble

    def fields(self) -> dict[str, object]:
        return attrs(self, ("version", "flags", "header_length", "dlt")) | {
            "field_types": [f.field_type for f in self.ppi_fields],
            "btle": None if self.btle is None else self.btle.fields(),
        }


def parse_btle_field(data: bytes) -> PpiBtle:
    if len(data) < BTLE_FIELD_LENGTH:
        raise Truncated(
            f"PPI BTLE field needs {BTLE_FIELD_LENGTH} bytes, got {len(data)}", layer=_LAYER
        )
    return PpiBtle(*struct.unpack_from("<BHBIbbbB", data))


def parse_ppi(data: bytes, cut: bool = False) -> PpiPacket:
    """Split a PPI record into header, fields and the BLE packet (inner DLT 147 or 251).
    ``cut``: a snapshot length cut the record, so the BLE packet need only hold the access
    address and the PDU header (its CRC and part of its payload are gone)."""
    if len(data) < PPI_HEADER_LENGTH:
        raise Truncated(
            f"PPI header needs {PPI_HEADER_LENGTH} bytes, got {len(data)}", layer=_LAYER
        )
    version, flags, hlen, dlt = struct.unpack_from("<BBHI", data)
    if version != 0:
        raise Unsupported(f"PPI version {version} (only version 0 exists)", layer=_LAYER)
    if hlen < PPI_HEADER_LENGTH:
        raise BadLength(
            f"PPI header length {hlen} is shorter than the {PPI_HEADER_LENGTH}-byte header",
            layer=_LAYER,
        )
    if hlen > len(data):
        raise Truncated(
            f"PPI header length {hlen} runs past the {len(data)}-byte record", layer=_LAYER
        )
    aligned = bool(flags & PPI_FLAG_ALIGNED)
    fields: list[PpiField] = []
    btle: PpiBtle | None = None
    pos = PPI_HEADER_LENGTH
    while pos < hlen:
        if pos + 4 > hlen:
            if aligned and not any(data[pos:hlen]):
                break  # alignment padding
            raise BadLength(
                f"PPI header has {hlen - pos} byte(s) at offset {pos} too short for a field header",
                layer=_LAYER,
            )
        ftype, flen = struct.unpack_from("<HH", data, pos)
        end = pos + 4 + flen
        if end > hlen:
            raise BadLength(
                f"PPI field {ftype} at offset {pos} says {flen} bytes, the header ends "
                f"{hlen - pos - 4} bytes later",
                layer=_LAYER,
            )
        body = bytes(data[pos + 4 : end])
        fields.append(PpiField(ftype, body))
        if ftype == FIELD_BTLE and btle is None:
            btle = parse_btle_field(body)
        pos = end
        if aligned and pos % 4:
            pos = min(pos + 4 - pos % 4, hlen)
    if dlt not in INNER_BTLE:
        raise Unsupported(
            f"PPI carries link type {dlt}, not BLE ({DLT_USER0} or {DLT_BLUETOOTH_LE_LL})",
            layer=_LAYER,
        )
    ble = bytes(data[hlen:])
    min_air = 4 + 2 if cut else MIN_AIR_PACKET  # a cut packet: access address, PDU header
    if len(ble) < min_air:
        raise Truncated(
            f"BLE packet after the PPI header needs at least {min_air} bytes, got {len(ble)}",
            layer=_LAYER,
        )
    return PpiPacket(version, flags, hlen, dlt, tuple(fields), btle, ble)
