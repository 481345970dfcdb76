"""Write a large btsnoop (datalink 1002, H4) of many short connections for the benchmark.

The traffic is real: the SMP scenarios in captures/*.btsnoop (Bumble's SMP stack on a virtual
link — successes, failures, wrong passkeys, lost bonds, reconnections) are cycled, each
repetition with a fresh connection handle and a fresh peer address, so the file holds
thousands of connections and pairings the way a day-long Android snoop log or a CI farm's
btmon log does.  Only the fields that carry a handle or the peer address are rewritten
(Vol 4, Part E: 5.4.2 ACL header, 7.1.6 Disconnect, 7.8.12 LE Create Connection, 7.8.24 LE
Enable Encryption, 7.7.5 Disconnection Complete, 7.7.8 Encryption Change, 7.7.19 Number Of
Completed Packets, 7.7.65.1 / 7.7.65.10 LE (Enhanced) Connection Complete); timestamps are
shifted so that time only moves forward.  The controller set-up of the first capture (Reset,
Read BD_ADDR …) is written once at the start.

Note: the legacy confirm values of the scenarios were computed with their original
addresses, so bpdiag's recomputation (c1) of those confirms reports a mismatch in the
repetitions — the work is the same as for a real log, the findings differ.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path

from _spool import btsnoop_h4, generator_main

CAPTURES = Path(__file__).resolve().parent.parent / "captures"

# HCI commands whose parameters start with a connection handle.
_CMD_HANDLE_AT0 = frozenset({0x0406, 0x2019, 0x201A, 0x201B, 0x2013, 0x2016, 0x2022, 0x041D})
# HCI events whose parameters carry a handle after the status octet.
_EVT_HANDLE_AT1 = frozenset({0x05, 0x08, 0x30, 0x0C})
# LE meta subevents: offset of the handle inside the subevent's parameters (after the code).
_LE_HANDLE_AT = {0x01: 1, 0x0A: 1, 0x03: 1, 0x04: 1, 0x05: 0, 0x07: 0, 0x0C: 1, 0x14: 0}


def read_btsnoop(path: Path) -> Iterator[tuple[int, int, bytes]]:
    """(flags, timestamp µs, payload) of every record of a btsnoop file."""
    data = path.read_bytes()
    off = 16
    while off + 24 <= len(data):
        _orig, incl, flags, _drops, ts = struct.unpack_from(">IIIIQ", data, off)
        off += 24
        yield flags, ts, data[off : off + incl]
        off += incl


def _put_handle(b: bytearray, at: int, handle: int) -> None:
    old = b[at] | b[at + 1] << 8
    struct.pack_into("<H", b, at, (old & 0xF000) | handle)


def rewrite(payload: bytes, handle: int, addr_xor: bytes) -> bytes:
    """The record with its connection handle and peer address replaced."""
    b = bytearray(payload)
    t = b[0]
    if t == 0x02 and len(b) >= 5:
        _put_handle(b, 1, handle)
    elif t == 0x01 and len(b) >= 4:
        op = b[1] | b[2] << 8
        if op in _CMD_HANDLE_AT0 and len(b) >= 6:
            _put_handle(b, 4, handle)
        elif op == 0x200D and len(b) >= 4 + 12:  # LE Create Connection: peer address at 6
            for i in range(6):
                b[4 + 6 + i] ^= addr_xor[i]
    elif t == 0x04 and len(b) >= 3:
        code = b[1]
        if code in _EVT_HANDLE_AT1 and len(b) >= 6:
            _put_handle(b, 4, handle)
        elif code == 0x13 and len(b) >= 4:
            for k in range(b[3]):
                at = 4 + 2 * k
                if at + 2 <= len(b):
                    _put_handle(b, at, handle)
        elif code == 0x3E and len(b) >= 4:
            sub = b[3]
            le_at = _LE_HANDLE_AT.get(sub)
            if le_at is not None and len(b) >= 4 + le_at + 2:
                _put_handle(b, 4 + le_at, handle)
            if sub in (0x01, 0x0A) and len(b) >= 4 + 6 + 6:  # peer address at 6
                for i in range(6):
                    b[4 + 6 + i] ^= addr_xor[i]
    return bytes(b)


def _scenarios() -> tuple[list[tuple[int, int, bytes]], list[list[tuple[int, int, bytes]]]]:
    """The set-up of the first capture, and each capture's records from its first LE
    Create Connection on (times relative to that record)."""
    setup: list[tuple[int, int, bytes]] = []
    scenarios = []
    for path in sorted(CAPTURES.glob("*.btsnoop")):
        recs = list(read_btsnoop(path))
        start = next((i for i, (_f, _t, p) in enumerate(recs) if p[:3] == b"\x01\x0d\x20"), None)
        if start is None:
            continue
        if not setup:
            t0 = recs[0][1]
            setup = [(f, t - t0, p) for f, t, p in recs[:start]]
        t0 = recs[start][1]
        scenarios.append([(f, t - t0, p) for f, t, p in recs[start:]])
    return setup, scenarios


def build(path: Path, records: int) -> None:
    setup, scenarios = _scenarios()
    t = 1_700_000_000_000_000
    n = 0
    with btsnoop_h4(path) as put:
        for flags, dt, payload in setup:
            put(flags, t + dt, payload)
            n += 1
        t += (setup[-1][1] if setup else 0) + 1000
        cycle = 0
        while n < records:
            scen = scenarios[cycle % len(scenarios)]
            handle = 1 + cycle % 0x0EFF
            x = cycle + 1
            addr_xor = bytes([x & 0xFF, (x >> 8) & 0xFF, (x >> 16) & 0xFF, 0, 0, 0])
            for flags, dt, payload in scen:
                if n >= records:
                    break
                put(flags, t + dt, rewrite(payload, handle, addr_xor))
                n += 1
            t += scen[-1][1] + 20_000
            cycle += 1


def main() -> None:
    generator_main(__doc__, build)


if __name__ == "__main__":
    main()
