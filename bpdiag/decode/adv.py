"""Advertising data (AD structures) — Core Specification Supplement, Part A, 1.1–1.3, and
the AD format in Core Spec v5.4, Vol 3, Part C, 11: a sequence of (length, AD type, data)."""

from __future__ import annotations

from dataclasses import dataclass

FLAG_NAMES = {
    0x01: "LE Limited Discoverable Mode",
    0x02: "LE General Discoverable Mode",
    0x04: "BR/EDR Not Supported",
    0x08: "Simultaneous LE and BR/EDR (Controller)",
    0x10: "Simultaneous LE and BR/EDR (Host)",
}


@dataclass(frozen=True, slots=True)
class AdStructure:
    ad_type: int
    data: bytes


def parse_ad(data: bytes) -> tuple[AdStructure, ...]:
    """Parse AD structures leniently: a zero length ends the list (padding), and a length
    that runs past the end stops parsing there (what was read before is kept)."""
    out = []
    pos = 0
    n = len(data)
    while pos < n:
        length = data[pos]
        if length == 0 or pos + 1 + length > n:
            break
        out.append(AdStructure(data[pos + 1], bytes(data[pos + 2 : pos + 1 + length])))
        pos += 1 + length
    return tuple(out)


def flag_names(flags: int) -> list[str]:
    return [name for bit, name in FLAG_NAMES.items() if flags & bit]
