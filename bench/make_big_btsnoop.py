"""Write a large btsnoop (datalink 1002, H4) capture for the benchmark.

The records are built from the HCI / L2CAP / ATT / SMP formats (Vol 4 Part E 5.4, Vol 3
Part A 3, Part F, Part H): an LE connection, a legacy Just Works pairing with encryption,
then a long stream of ATT notifications (both directions), Number Of Completed Packets
events and now and then an ATT Error Response — the shape of a long btmon/Android log.
"""

from __future__ import annotations

import struct
from pathlib import Path

from _spool import btsnoop_h4, generator_main

HANDLE = 0x0040


def _flags(payload: bytes, received: bool) -> int:
    """btsnoop flags: bit 0 received, bit 1 a command or an event (H4 type 0x01 / 0x04)."""
    return (1 if received else 0) | (2 if payload[0] in (0x01, 0x04) else 0)


def _acl(handle: int, cid: int, body: bytes) -> bytes:
    l2 = struct.pack("<HH", len(body), cid) + body
    return b"\x02" + struct.pack("<HH", handle | (0x2 << 12), len(l2)) + l2


def _evt(code: int, params: bytes) -> bytes:
    return b"\x04" + bytes([code, len(params)]) + params


def _cmd(opcode: int, params: bytes) -> bytes:
    return b"\x01" + struct.pack("<HB", opcode, len(params)) + params


def build(path: Path, records: int) -> None:
    t = 1_700_000_000_000_000
    peer = bytes.fromhex("665544332211")
    head: list[tuple[bytes, bool]] = [
        # LE Connection Complete: status, handle, role central, peer public, interval …
        (
            _evt(
                0x3E,
                bytes([0x01, 0x00])
                + struct.pack("<H", HANDLE)
                + b"\x00\x00"
                + peer
                + struct.pack("<HHHB", 24, 0, 400, 0),
            ),
            True,
        ),
        (_acl(HANDLE, 6, bytes([0x01, 0x03, 0x00, 0x01, 0x10, 0x07, 0x07])), False),
        (_acl(HANDLE, 6, bytes([0x02, 0x03, 0x00, 0x01, 0x10, 0x07, 0x07])), True),
        (_acl(HANDLE, 6, b"\x03" + bytes(16)), False),
        (_acl(HANDLE, 6, b"\x03" + bytes(16)), True),
        (_acl(HANDLE, 6, b"\x04" + bytes(16)), False),
        (_acl(HANDLE, 6, b"\x04" + bytes(16)), True),
        (_cmd(0x2019, struct.pack("<H", HANDLE) + bytes(8 + 2 + 16)), False),
        (_evt(0x0F, bytes([0x00, 0x01]) + struct.pack("<H", 0x2019)), True),
        (_evt(0x08, bytes([0x00]) + struct.pack("<H", HANDLE) + b"\x01"), True),
    ]
    notif_rx = _acl(HANDLE, 4, b"\x1b" + struct.pack("<H", 0x002A) + bytes(range(20)))
    write_tx = _acl(HANDLE, 4, b"\x52" + struct.pack("<H", 0x002C) + b"\x01\x00")
    read_tx = _acl(HANDLE, 4, b"\x0a" + struct.pack("<H", 0x0030))
    err_rx = _acl(HANDLE, 4, b"\x01\x0a" + struct.pack("<H", 0x0030) + b"\x0f")
    ncp = _evt(0x13, b"\x01" + struct.pack("<HH", HANDLE, 1))
    cycle = [(notif_rx, True), (notif_rx, True), (write_tx, False), (ncp, True)]
    with btsnoop_h4(path) as put:
        n = 0
        for payload, rx in head:
            put(_flags(payload, rx), t, payload)
            t += 1000
            n += 1
        i = 0
        while n < records:
            if i % 100_000 == 50_000:
                put(_flags(read_tx, False), t, read_tx)
                put(_flags(err_rx, True), t + 500, err_rx)
                n += 2
            payload, rx = cycle[i % len(cycle)]
            put(_flags(payload, rx), t, payload)
            t += 250
            n += 1
            i += 1


def main() -> None:
    generator_main(__doc__, build)


if __name__ == "__main__":
    main()
