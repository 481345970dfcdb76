"""PPI, the Per-Packet Information header (LINKTYPE_PPI, 192), as old Ubertooth tools
(ubertooth-btle, libbtbb, crackle's test files) write BLE packets.

Header (little-endian): version (1, = 0), flags (1), header length (2, including the fields),
data link type (4) of what follows the header, then PPI fields (type 2, length 2, data —
type 30006 is libbtbb's BTLE field).  bpdiag reads inner DLT 147 (USER0, which these tools
use for raw BTLE) and 251 (LE LL): access address, PDU, CRC.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from bpdiag.errors import Truncated, Unsupported

INNER_BTLE = frozenset({147, 251})


@dataclass(frozen=True, slots=True)
class PpiPacket:
    dlt: int
    air: bytes


def parse_ppi(data: bytes) -> PpiPacket:
    if len(data) < 8:
        raise Truncated(f"PPI header needs 8 bytes, got {len(data)}", layer="ppi")
    _version, _flags, length, dlt = struct.unpack_from("<BBHI", data)
    if length < 8 or length > len(data):
        raise Truncated(
            f"PPI header length {length} does not fit the {len(data)}-byte packet", layer="ppi"
        )
    if dlt not in INNER_BTLE:
        raise Unsupported(f"PPI carries link type {dlt}, not BLE (147 or 251)", layer="ppi")
    return PpiPacket(dlt, bytes(data[length:]))
