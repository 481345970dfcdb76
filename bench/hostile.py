"""Generators of hostile (or merely large) captures, and a benchmark that runs bpdiag on them.

Each generator writes a capture whose records are built from the formats (btsnoop H4 /
monitor, pcap LINKTYPE_BLUETOOTH_LE_LL, pcapng) to push one kind of state bpdiag keeps:

- ``att_errors``: one LE connection and ``n`` ATT Read Requests each refused with an Error
  Response (Insufficient Authentication) — one finding per error before aggregation.
- ``smp_giants``: ``n`` (handle, direction) keys each starting an "SMP" PDU whose L2CAP header
  claims 65535 bytes (an SMP PDU is at most 65, Vol 3, Part H, 3.3) and never finishing it.
- ``partial_keys``: ``n`` distinct (adapter, handle, direction) keys on a btsnoop monitor
  capture, each with one never-finished SMP start fragment.
- ``air_addresses``: ``n`` LE data PDUs, each on its own access address that no CONNECT_IND
  announced, each an L2CAP start fragment that never finishes.
- ``pcapng_options``: one Enhanced Packet Block carrying ``n`` empty (code 1, length 0)
  options.
- ``close_index``: ``n`` ATT requests on distinct (adapter, handle) keys of a monitor capture,
  each followed by a Close Index of an adapter with nothing open (40k keys took 37 s when
  ``_forget_adapter`` scanned every key).

``python bench/hostile.py [--scale 1.0] [--only NAME …] [--keep DIR]`` writes each input and
runs ``python -m bpdiag analyze --json`` on it, printing wall time and peak RSS; a second run at
a quarter of the size shows whether time grows linearly.  The tests use the generators at small
sizes (tests/test_hostile_inputs.py).

Measured on the 2-core development machine (CPU seconds, peak RSS), before issue 16's
bounds (commit 875efd2) and after; the quarter-size run in brackets:

    input            n          MB    before                     after
    att_errors       1,000,000  74.0  62.7 s 4916 MiB, exit 1*   10.3 s 22 MiB (3.2 s, 22)
    smp_giants       8,190      131   0.5 s 144 MiB              0.6 s 25 MiB
    partial_keys     1,000,000  36.0  12.8 s 734 MiB             9.5 s 26 MiB (1.8 s, 26)
    air_addresses    1,000,000  50.0  32.5 s 1468 MiB            18.5 s 24 MiB (5.2 s, 23)
    pcapng_options   4,194,288  16.8  3.4 s 481 MiB              2.1 s 53 MiB
    close_index      40,000     2.4   40.6 s (3.3 s at 1/4)      0.6 s 32 MiB (0.5 s, 26)

    * a MemoryError traceback under a 6 GB address-space limit, which exited 1 ("a pairing
      failed"); the issue saw 4.7 GiB without a limit.
"""

from __future__ import annotations

import argparse
import os
import struct
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

EPOCH_DELTA_US = 0x00E03AB44A676000
T0 = 1_700_000_000_000_000

# ------------------------------------------------------------------ btsnoop


def _btsnoop(path: Path, datalink: int, records: Iterator[tuple[bytes, int]]) -> None:
    """Write a btsnoop file (datalink 1002 H4 or 2001 monitor); ``records`` yields
    (payload, flags)."""
    with path.open("wb") as f:
        f.write(b"btsnoop\x00" + struct.pack(">II", 1, datalink))
        buf = bytearray()
        t = T0
        for payload, flags in records:
            buf += struct.pack(">IIIIQ", len(payload), len(payload), flags, 0, t + EPOCH_DELTA_US)
            buf += payload
            t += 100
            if len(buf) > 1 << 20:
                f.write(buf)
                buf.clear()
        f.write(buf)


def _h4_flags(payload: bytes, received: bool) -> int:
    return (1 if received else 0) | (2 if payload[0] in (0x01, 0x04) else 0)


def _acl(handle: int, l2len: int, cid: int, body: bytes, pb: int = 0x2) -> bytes:
    """An HCI ACL packet (Vol 4, Part E, 5.4.2) carrying an L2CAP basic header (Vol 3,
    Part A, 3.1) whose length field says ``l2len``, without the H4 type byte."""
    l2 = struct.pack("<HH", l2len, cid) + body
    return struct.pack("<HH", handle | (pb << 12), len(l2)) + l2


def _le_conn_complete(handle: int) -> bytes:
    """HCI LE Connection Complete event (Vol 4, Part E, 7.7.65.1), without the H4 byte."""
    params = (
        bytes([0x01, 0x00])
        + struct.pack("<H", handle)
        + b"\x00\x00"
        + bytes.fromhex("665544332211")
        + struct.pack("<HHHB", 24, 0, 400, 0)
    )
    return bytes([0x3E, len(params)]) + params


def att_errors(path: Path, n: int, kinds: int = 4) -> None:
    handle = 0x0040

    def recs() -> Iterator[tuple[bytes, int]]:
        evt = b"\x04" + _le_conn_complete(handle)
        yield evt, _h4_flags(evt, True)
        for i in range(n):
            attr = 0x0010 + i % kinds
            req = b"\x02" + _acl(handle, 3, 4, b"\x0a" + struct.pack("<H", attr))
            err = b"\x02" + _acl(handle, 5, 4, b"\x01\x0a" + struct.pack("<H", attr) + b"\x05")
            yield req, _h4_flags(req, False)
            yield err, _h4_flags(err, True)

    _btsnoop(path, 1002, recs())


def smp_giants(path: Path, n: int, body: int = 16_000) -> None:
    fill = bytes(body)

    def recs() -> Iterator[tuple[bytes, int]]:
        for i in range(n):
            handle = i // 2 % 0x0F00
            pkt = b"\x02" + _acl(handle, 0xFFFF, 6, b"\x0b" + fill)
            yield pkt, _h4_flags(pkt, bool(i & 1))

    _btsnoop(path, 1002, recs())


def _monitor_flags(adapter: int, opcode: int) -> int:
    """btsnoop datalink 2001 flags: controller index << 16 | monitor opcode (BlueZ
    btsnoop.h / monitor/bt.h)."""
    return adapter << 16 | opcode


def partial_keys(path: Path, n: int) -> None:
    def recs() -> Iterator[tuple[bytes, int]]:
        for i in range(n):
            d, rest = i & 1, i >> 1
            handle, adapter = rest % 0x0F00, rest // 0x0F00
            pkt = _acl(handle, 11, 6, b"\x01\x03\x00\x01")  # SMP Pairing Request, cut short
            yield pkt, _monitor_flags(adapter, 5 if d else 4)

    _btsnoop(path, 2001, recs())


def close_index(path: Path, n: int) -> None:
    def recs() -> Iterator[tuple[bytes, int]]:
        for i in range(n):
            handle, adapter = i % 0x0F00, i // 0x0F00
            req = _acl(handle, 3, 4, b"\x0a\x10\x00")  # ATT Read Request
            yield req, _monitor_flags(adapter, 4)
            yield b"", _monitor_flags(0xFFF0, 9)  # Close Index of an idle adapter

    _btsnoop(path, 2001, recs())


# ------------------------------------------------------------------ pcap / pcapng


def air_addresses(path: Path, n: int) -> None:
    """pcap LINKTYPE_BLUETOOTH_LE_LL (251): access address, data PDU header (Vol 6, Part B,
    2.4), payload, CRC (zero: not checked)."""
    with path.open("wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 251))
        buf = bytearray()
        for i in range(n):
            aa = (0x10000000 + i * 7919) & 0xFFFFFFFF  # distinct: 7919 is odd
            if aa == 0x8E89BED6:  # the advertising access address
                aa = 0x0BADC0DE
            l2 = struct.pack("<HH", 65, 6) + b"\x0c" + bytes(20)  # an SMP start, 25 of 69
            pkt = struct.pack("<I", aa) + bytes([0x02, len(l2)]) + l2 + b"\x00\x00\x00"
            buf += struct.pack("<IIII", 1_700_000_000 + i // 1000, i % 1000, len(pkt), len(pkt))
            buf += pkt
            if len(buf) > 1 << 20:
                f.write(buf)
                buf.clear()
        f.write(buf)


def pcapng_options(path: Path, n: int) -> None:
    """A section header, an interface (H4 with phdr, 201) and one Enhanced Packet Block with
    ``n`` empty comment options (pcapng 3.5, 4.3)."""

    def block(btype: int, body: bytes) -> bytes:
        total = 12 + len(body)
        return struct.pack("<II", btype, total) + body + struct.pack("<I", total)

    shb = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    idb = block(1, struct.pack("<HHI", 201, 0, 0))
    pkt = struct.pack(">I", 1) + b"\x01\x03\x0c\x00"  # phdr (received) + HCI Reset
    epb_body = struct.pack("<IIIII", 0, 0, 0, len(pkt), len(pkt)) + pkt
    with path.open("wb") as f:
        f.write(shb + idb)
        total = 12 + len(epb_body) + 4 * n + 4
        f.write(struct.pack("<II", 6, total) + epb_body)
        chunk = struct.pack("<HH", 1, 0) * 65536
        left = n
        while left:
            k = min(left, 65536)
            f.write(chunk[: 4 * k])
            left -= k
        f.write(struct.pack("<HH", 0, 0) + struct.pack("<I", total))


# ------------------------------------------------------------------ benchmark

GENERATORS: dict[str, tuple[Callable[[Path, int], None], int, str]] = {
    "att_errors": (att_errors, 1_000_000, ".btsnoop"),
    "smp_giants": (smp_giants, 8_190, ".btsnoop"),
    "partial_keys": (partial_keys, 1_000_000, ".btsnoop"),
    "air_addresses": (air_addresses, 1_000_000, ".pcap"),
    "pcapng_options": (pcapng_options, 4 * 1024 * 1024 - 16, ".pcapng"),  # MAX_BLOCK
    "close_index": (close_index, 40_000, ".btsnoop"),
}


def run(path: Path) -> tuple[float, float, int]:
    """CPU seconds (user + system: steadier than wall time on a shared machine), peak RSS
    (MiB) and exit status of ``analyze --json`` on ``path``."""
    cmd = [sys.executable, "-m", "bpdiag", "analyze", "--json", str(path)]
    with open(os.devnull, "wb") as null:
        proc = subprocess.Popen(cmd, stdout=null, stderr=subprocess.PIPE)
        assert proc.stderr is not None
        err = proc.stderr.read()
        _, status, usage = os.wait4(proc.pid, 0)
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        print(err.decode(errors="replace")[-500:], file=sys.stderr)
    return usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, code


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale", type=float, default=1.0, help="multiply every size by this")
    ap.add_argument("--only", nargs="*", choices=sorted(GENERATORS), default=None)
    ap.add_argument("--keep", type=Path, help="write the inputs here and keep them")
    args = ap.parse_args()
    names = args.only or list(GENERATORS)
    with tempfile.TemporaryDirectory() as tmp:
        where = args.keep or Path(tmp)
        where.mkdir(parents=True, exist_ok=True)
        head = f"{'input':<16}{'n':>10}{'MB':>8}{'cpu s':>8}{'MiB':>8}{'exit':>5}"
        print(f"{head}  (quarter: s, MiB)")
        for name in names:
            gen, size, ext = GENERATORS[name]
            results = []
            for n in (int(size * args.scale), int(size * args.scale) // 4):
                path = where / f"{name}-{n}{ext}"
                gen(path, n)
                results.append((n, path.stat().st_size / 1e6, *run(path)))
            (n, mb, s, mib, code), (_, _, qs, qmib, _) = results
            row = f"{name:<16}{n:>10}{mb:>8.1f}{s:>8.1f}{mib:>8.0f}{code:>5}"
            print(f"{row}  ({qs:.1f}, {qmib:.0f})", flush=True)


if __name__ == "__main__":
    main()
