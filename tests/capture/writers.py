"""Test writers: PacketLogger files, btsnooz sections, bug report texts and zips, built from
our own btsnoop captures (H4, datalink 1002) the way the tools that write them lay them out.

- PacketLogger: Wireshark ``wiretap/packetlogger.c`` / BlueZ ``src/shared/btsnoop.c``.
- btsnooz: AOSP ``system/tools/scripts/btsnooz.py`` (the reader of the format); ACL outside
  L2CAP signalling is cut to 14 bytes after the type byte, as the stack's btsnoop_mem does.
"""

from __future__ import annotations

import base64
import io
import random
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from bpdiag.capture.record import Record

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


# ================================================================ pcapng
# draft-ietf-opsawg-pcapng: every block is type, total length, body padded to 32 bits, total
# length again; options are code, length, value padded to 32 bits, ended by opt_endofopt.
def pcapng_option(code: int, value: bytes, order: str = "<") -> bytes:
    return struct.pack(order + "HH", code, len(value)) + value + b"\x00" * (-len(value) % 4)


def pcapng_block(btype: int, body: bytes, order: str = "<") -> bytes:
    body += b"\x00" * (-len(body) % 4)
    total = len(body) + 12
    return struct.pack(order + "II", btype, total) + body + struct.pack(order + "I", total)


def pcapng_shb(order: str = "<") -> bytes:
    """A Section Header Block (4.1), version 1.0, section length not given."""
    return pcapng_block(0x0A0D0D0A, struct.pack(order + "IHHq", 0x1A2B3C4D, 1, 0, -1), order)


def pcapng_idb(
    link_type: int,
    *,
    snaplen: int = 0,
    tsresol: int | None = None,
    tsoffset: int | None = None,
    order: str = "<",
) -> bytes:
    """An Interface Description Block (4.2) with ``if_tsresol`` (9) and ``if_tsoffset`` (14)
    when given, and an ``if_name`` (2) the reader steps over."""
    options = pcapng_option(2, b"bpdiag-test", order)
    if tsresol is not None:
        options += pcapng_option(9, bytes([tsresol]), order)
    if tsoffset is not None:
        options += pcapng_option(14, struct.pack(order + "q", tsoffset), order)
    options += pcapng_option(0, b"", order)
    return pcapng_block(1, struct.pack(order + "HHI", link_type, 0, snaplen) + options, order)


def pcapng_epb(
    iid: int,
    ticks: int,
    data: bytes,
    *,
    orig: int | None = None,
    options: bytes = b"",
    order: str = "<",
) -> bytes:
    """An Enhanced Packet Block (4.3): ``ticks`` in the interface's unit, ``data`` padded to
    32 bits, then ``options`` as they are (``pcapng_option``s, with or without the end)."""
    orig = len(data) if orig is None else orig
    head = struct.pack(order + "IIIII", iid, ticks >> 32, ticks & 0xFFFFFFFF, len(data), orig)
    padded = data + b"\x00" * (-len(data) % 4)
    return pcapng_block(6, head + padded + options, order)


def pcapng_from_records(records: list[Record], seed: int) -> bytes:
    """``records`` (of one link type) as a pcapng file that is not plain, laid out at random
    from ``seed``: four interfaces (0 and 2 in µs, 1 in ns from an ``if_tsoffset``, 3 of HCI
    H4), stretches of packets on 0, 1 and 2; packets with no options, ``epb_flags`` first (with
    or without a comment after it and an end of options), a comment only, cut short of their
    original length, a few as Simple Packet Blocks; name resolution, interface statistics,
    decryption secrets and custom blocks and H4 packets in between; halfway, a second section
    in the other byte order that describes the interfaces again."""
    rnd = random.Random(seed)
    link_type = records[0].link_type
    offset = int(min((r.timestamp for r in records), default=0)) - 10

    def section(order: str) -> bytes:
        return (
            pcapng_shb(order)
            + pcapng_idb(link_type, order=order)
            + pcapng_idb(link_type, tsresol=9, tsoffset=offset, order=order)
            + pcapng_idb(link_type, order=order)
            + pcapng_idb(187, order=order)
        )

    order = "<"
    out = [section(order)]
    iid = 0
    for n, rec in enumerate(records):
        if n == len(records) // 2:
            order = ">" if order == "<" else "<"
            out.append(section(order))
        if rnd.random() < 0.03:
            iid = rnd.choice((0, 1, 2))
        between = rnd.random()
        if between < 0.01:
            # a Name Resolution Block: 127.0.0.1 is "host", then nrb_record_end
            nrb = struct.pack(order + "HH", 1, 9) + b"\x7f\0\0\1host\0" + bytes(3)
            out.append(pcapng_block(4, nrb + struct.pack(order + "HH", 0, 0), order))
        elif between < 0.02:
            out.append(pcapng_block(5, struct.pack(order + "III", iid, 0, 0), order))
        elif between < 0.03:
            out.append(pcapng_block(10, struct.pack(order + "II", 0x544C534B, 3) + b"key", order))
        elif between < 0.04:
            out.append(pcapng_block(0x40000BAD, struct.pack(order + "I", 32473) + b"custom", order))
        elif between < 0.05:  # an HCI Command Complete on interface 3
            out.append(pcapng_epb(3, 0, b"\x04\x0e\x04\x01\x03\x0c\x00", order=order))
        ticks = round((rec.timestamp - offset) * 1e9) if iid == 1 else round(rec.timestamp * 1e6)
        data, orig, options = rec.payload, None, b""
        kind = rnd.random()
        flags = pcapng_option(2, struct.pack(order + "I", rnd.choice((0, 1, 2))), order)
        end = pcapng_option(0, b"", order)
        comment = pcapng_option(1, b"a comment"[: rnd.randrange(10)], order)
        if kind < 0.1:
            options = flags + end
        elif kind < 0.15:
            options = flags
        elif kind < 0.2:
            options = flags + comment + end
        elif kind < 0.25:
            options = comment + end
        elif kind < 0.27 and data:
            data, orig = data[: rnd.randrange(len(data))], len(data)
        elif kind < 0.28 and iid == 0:  # a Simple Packet Block: interface 0, no timestamp
            out.append(pcapng_block(3, struct.pack(order + "I", len(data)) + data, order))
            continue
        out.append(pcapng_epb(iid, ticks, data, orig=orig, options=options, order=order))
    return b"".join(out)


_BTSTACK_WORD = {
    (1, False): "CMD =>",
    (4, True): "EVT <=",
    (2, False): "ACL =>",
    (2, True): "ACL <=",
}


def btstack_text(records: list[H4], style: str = "posix", log_every: int = 0) -> str:
    """BTstack's console HCI dump of ``records``, as ``hci_dump_posix_stdout.c`` (``posix``:
    ``[%Y-%m-%d %H:%M:%S.mmm]``, here in UTC), ``hci_dump_embedded_stdout.c`` (``embedded``:
    ``[hh:mm:ss.mmm]`` since the first record) or a port without time stamps (``none``)
    print it: the packet's kind and direction, then ``printf_hexdump``'s ``%02X `` per byte.
    ``log_every``: a ``LOG --`` line after every that many packets."""
    import datetime

    lines = []
    start = records[0].ts_us if records else 0
    for n, r in enumerate(records, 1):
        if style == "posix":
            t = datetime.datetime.fromtimestamp(r.ts_us // 1000 / 1000, datetime.UTC)
            stamp = t.strftime("[%Y-%m-%d %H:%M:%S.") + f"{r.ts_us // 1000 % 1000:03d}] "
        elif style == "embedded":
            ms = (r.ts_us - start) // 1000
            s, m = ms // 1000, ms // 60000
            stamp = f"[{m // 60:02d}:{m % 60:02d}:{s % 60:02d}.{ms % 1000:03d}] "
        else:
            stamp = ""
        hexdump = "".join(f"{b:02X} " for b in r.packet[1:])
        lines.append(f"{stamp}{_BTSTACK_WORD[(r.packet[0], r.received)]} {hexdump}")
        if log_every and n % log_every == 0:
            lines.append(f"{stamp}LOG -- hci.c.{1000 + n}: state {n % 7}, a log line of BTstack's")
    return "\n".join(lines) + "\n"


def btsnoop_h4_bytes(records: list[H4]) -> bytes:
    """A btsnoop file (datalink 1002, H4) of ``records``: flags bit 0 received, bit 1 command
    or event, as Android and BlueZ write them."""
    out = [b"btsnoop\x00" + struct.pack(">II", 1, 1002)]
    for r in records:
        flags = (1 if r.received else 0) | (2 if r.packet[0] in (1, 4) else 0)
        out.append(
            struct.pack(">IIIIq", len(r.packet), len(r.packet), flags, 0, r.ts_us + EPOCH_DELTA_US)
        )
        out.append(r.packet)
    return b"".join(out)
