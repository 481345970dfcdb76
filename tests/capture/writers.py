"""Test writers: PacketLogger files, btsnooz sections, bug report texts and zips, built from
our own btsnoop captures (H4, datalink 1002) the way the tools that write them lay them out.

- PacketLogger: Wireshark ``wiretap/packetlogger.c`` / BlueZ ``src/shared/btsnoop.c``.
- btsnooz: AOSP ``system/tools/scripts/btsnooz.py`` (the reader of the format); ACL outside
  L2CAP signalling is cut to 14 bytes after the type byte, as the stack's btsnoop_mem does.
"""

from __future__ import annotations

import base64
import io
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

EPOCH_DELTA_US = 0x00DCDDB30F2F8000


@dataclass
class H4:
    ts_us: int  # microseconds since the Unix epoch
    received: bool
    packet: bytes  # H4 type byte first


def read_btsnoop_h4(path: Path) -> list[H4]:
    data = path.read_bytes()
    assert data[:8] == b"btsnoop\x00"
    assert struct.unpack(">I", data[12:16])[0] == 1002
    pos = 16
    out = []
    while pos + 24 <= len(data):
        _orig, incl, flags, _drops, ts = struct.unpack_from(">IIIIq", data, pos)
        out.append(H4(ts - EPOCH_DELTA_US, bool(flags & 1), data[pos + 24 : pos + 24 + incl]))
        pos += 24 + incl
    return out


_PKLG_TYPE = {(1, False): 0x00, (4, True): 0x01, (2, False): 0x02, (2, True): 0x03}


def pklg_bytes(records: list[H4], order: str) -> bytes:
    """A PacketLogger file of ``records`` (``order`` ``"<"`` or ``">"``)."""
    out = io.BytesIO()
    for r in records:
        t = _PKLG_TYPE[(r.packet[0], r.received)]
        body = r.packet[1:]
        out.write(
            struct.pack(order + "IIIB", 9 + len(body), r.ts_us // 1_000_000, r.ts_us % 1_000_000, t)
        )
        out.write(body)
    return out.getvalue()


def pklg_note(ts_us: int, text: bytes, order: str, kind: int = 0xFC) -> bytes:
    return (
        struct.pack(order + "IIIB", 9 + len(text), ts_us // 1_000_000, ts_us % 1_000_000, kind)
        + text
    )


_SNOOZ_TYPE = {(4, True): 0x10, (2, True): 0x11, (1, False): 0x20, (2, False): 0x21}
CUT = 14


def snooz_keeps(packet: bytes) -> int:
    """How many bytes after the type byte btsnooz keeps of an H4 packet."""
    body = packet[1:]
    if packet[0] != 2 or len(body) <= CUT:
        return len(body)
    pb = struct.unpack_from("<H", body)[0] & 0x3000
    if pb != 0x1000 and len(body) >= 8:
        cid = struct.unpack_from("<H", body, 6)[0]
        if cid in (1, 5):  # L2CAP signalling is kept whole
            return len(body)
    return CUT


def snooz_blob(records: list[H4], version: int) -> bytes:
    """The decoded btsnooz blob: 9-byte header + zlib stream."""
    out = io.BytesIO()
    last = records[0].ts_us if records else 0
    for r in records:
        delta = max(r.ts_us - last, 0)  # btsnooz deltas are unsigned
        last = r.ts_us
        keep = snooz_keeps(r.packet)
        body = r.packet[1 : 1 + keep]
        t = _SNOOZ_TYPE[(r.packet[0], r.received)]
        if version == 1:
            out.write(struct.pack("<HIb", keep + 1, delta, t))
        else:
            out.write(struct.pack("<HHIb", keep + 1, len(r.packet), delta, t))
        out.write(body)
    return struct.pack("<BQ", version, last) + zlib.compress(out.getvalue())


def dumpstate_text(blob: bytes, width: int = 76) -> bytes:
    """A bug report text around a btsnooz section."""
    b64 = base64.b64encode(blob).decode()
    lines = [b64[i : i + width] for i in range(0, len(b64), width)]
    return (
        "========================================================\n"
        "== dumpstate: 2026-12-01 12:00:00\n"
        "========================================================\n"
        "Build: test\n\n"
        "DUMP OF SERVICE bluetooth_manager:\n"
        f"--- BEGIN:BTSNOOP_LOG_SUMMARY ({len(blob)} bytes in) ---\n"
        + "\n".join(lines)
        + "\n--- END:BTSNOOP_LOG_SUMMARY ---\n"
        "other service output\n"
    ).encode()


def bugreport_zip(entries: dict[str, bytes], main: str | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries.items():
            z.writestr(name, data)
        if main is not None:
            z.writestr("main_entry.txt", main)
    return out.getvalue()
