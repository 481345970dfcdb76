"""Write a large air capture (pcap, nRF Sniffer 272 or LE LL with PHDR 256) for the benchmark.

The packets are real: every capture of the link type in the shared corpus
(/work/shared/captures, or --source DIR) is cycled, each repetition of a capture with fresh
access addresses — the data packets' access address and the one a CONNECT_IND assigns
(Vol 6, Part B, 2.1.2 and 2.3.3.1) are XORed with a per-repetition value, never giving the
advertising access address — and timestamps shifted so that time only moves forward.
Nothing else is changed (the CRC does not cover the access address), so most packets are
the empty PDUs and retransmissions of real connection events.

The file is generated at bench time into bench/out and never committed.
"""

from __future__ import annotations

import struct
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _spool import generator_parser, spill  # noqa: E402

from bpdiag.capture import open_capture  # noqa: E402
from bpdiag.decode.nordic import parse_nordic  # noqa: E402

SHARED = ROOT.parent / "shared" / "captures"
ADV_AA = 0x8E89BED6
PHDR_LENGTH = 10


def _air_offset(link_type: int, payload: bytes) -> int | None:
    """Where the air packet (access address first) starts in a record."""
    if link_type == 256:
        return PHDR_LENGTH if len(payload) >= PHDR_LENGTH + 9 else None
    try:
        n = parse_nordic(payload)
    except Exception:  # damaged records are copied as they are
        return None
    return len(payload) - len(n.ble)


def _records(path: Path, link_type: int) -> list[tuple[float, bytes]]:
    out = []
    with open_capture(path) as cap:
        for rec in cap:
            if rec.link_type == link_type:
                out.append((rec.timestamp, bytes(rec.payload)))
    return out


def _retarget(link_type: int, payload: bytes, xor: int) -> bytes:
    at = _air_offset(link_type, payload)
    if at is None:
        return payload
    b = bytearray(payload)
    aa = int.from_bytes(b[at : at + 4], "little")
    if aa == ADV_AA:
        # CONNECT_IND / AUX_CONNECT_REQ (PDU type 5): LLData's access address at 12.
        if len(b) >= at + 6 + 16 and b[at + 4] & 0x0F == 0x05:
            cut = at + 6 + 12
            new = int.from_bytes(b[cut : cut + 4], "little") ^ xor
            b[cut : cut + 4] = (new if new != ADV_AA else new ^ 1).to_bytes(4, "little")
        return bytes(b)
    new = aa ^ xor
    b[at : at + 4] = (new if new != ADV_AA else new ^ 1).to_bytes(4, "little")
    return bytes(b)


def sources(link_type: int, source: Path = SHARED) -> list[Path]:
    """Captures of ``link_type`` in ``source`` (by their link type, not their name)."""
    out = []
    for p in sorted(source.iterdir()):
        if not p.is_file() or p.suffix == ".md":
            continue
        try:
            with open_capture(p) as cap:
                if cap.link_type == link_type:
                    out.append(p)
        except Exception:  # not a capture we can read: not a source
            continue
    return out


def build(path: Path, records: int, link_type: int, source: Path = SHARED) -> None:
    files = [_records(p, link_type) for p in sources(link_type, source)]
    files = [f for f in files if f]
    if not files:
        raise SystemExit(f"no captures of link type {link_type} in {source}")
    t = 1_700_000_000.0
    n = 0
    cycle = 0
    with path.open("wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, link_type))
        buf = bytearray()
        while n < records:
            recs = files[cycle % len(files)]
            xor = ((cycle + 1) * 0x9E3779B1) & 0xFFFFFFFF
            t0 = recs[0][0]
            for ts, payload in recs:
                if n >= records:
                    break
                data = _retarget(link_type, payload, xor)
                us = round((t + max(0.0, ts - t0)) * 1e6)
                buf += struct.pack("<IIII", us // 1_000_000, us % 1_000_000, len(data), len(data))
                buf += data
                n += 1
            t += max(0.0, recs[-1][0] - t0) + 1.0
            cycle += 1
            spill(f, buf)
        f.write(buf)


def main() -> None:
    ap = generator_parser(__doc__)
    ap.add_argument("--link-type", type=int, choices=(256, 272), default=272)
    ap.add_argument("--source", type=Path, default=SHARED)
    args = ap.parse_args()
    build(args.path, args.records, args.link_type, args.source)


if __name__ == "__main__":
    main()
