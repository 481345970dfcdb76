"""LINKTYPE_BLUETOOTH_LE_LL_WITH_PHDR (256): a 10-byte pseudo-header before the air packet.

Fields (tcpdump.org LINKTYPE page; Wireshark packet-btle_rf.c): RF channel (1), signal power
(1, signed dBm), noise power (1, signed dBm), access address offenses (1), reference access
address (4, LE), flags (2, LE): 0x0001 dewhitened, 0x0002 signal power valid, 0x0004 noise
power valid, 0x0008 decrypted, 0x0010 reference AA valid, 0x0020 AA offenses valid,
0x0040 channel aliased, 0x0380 PDU type, 0x0400 CRC checked, 0x0800 CRC valid,
0x1000 MIC checked, 0x2000 MIC valid, 0xC000 PHY.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from bpdiag.errors import Truncated


@dataclass(frozen=True, slots=True)
class PhdrPacket:
    channel: int
    signal: int
    flags: int
    air: bytes

    @property
    def decrypted(self) -> bool:
        return bool(self.flags & 0x0008)

    @property
    def crc_bad(self) -> bool:
        return bool(self.flags & 0x0400) and not self.flags & 0x0800

    @property
    def mic_ok(self) -> bool:
        return bool(self.flags & 0x1000) and bool(self.flags & 0x2000)


def parse_phdr(data: bytes) -> PhdrPacket:
    if len(data) < 10 + 6:
        raise Truncated(f"LE LL with PHDR needs at least 16 bytes, got {len(data)}", layer="phdr")
    signal = struct.unpack_from("<b", data, 1)[0]
    flags = struct.unpack_from("<H", data, 8)[0]
    return PhdrPacket(data[0], signal, flags, bytes(data[10:]))
