"""Advertising data: the AD structures carried by ADV_IND, ADV_NONCONN_IND, ADV_SCAN_IND and
SCAN_RSP.

Bluetooth Core Spec v5.4, Vol 3, Part C, 11 — advertising data is a sequence of AD structures,
each ``Length`` (1 octet, counting the AD type and the data), ``AD type`` (1 octet), data.
Core Specification Supplement v11, Part A:

- 1.3 Flags (AD type 0x01): bit 0 LE Limited Discoverable Mode, bit 1 LE General Discoverable
  Mode, bit 2 BR/EDR Not Supported, bit 3 Simultaneous LE and BR/EDR (Controller), bit 4
  Simultaneous LE and BR/EDR (Host); bits 5–7 reserved.  Only the first octet carries flags.
- 1.2 Local Name: 0x08 Shortened Local Name, 0x09 Complete Local Name, UTF-8.

Parsing is lenient, as a scanner's is: a zero length is padding and is skipped (Wireshark does
the same), and a length that runs past the end stops the list — the structures before it are
kept and ``problem`` says where it went wrong.  Nothing here raises.
"""

from __future__ import annotations

from dataclasses import dataclass

AD_FLAGS = 0x01
AD_SHORTENED_LOCAL_NAME = 0x08
AD_COMPLETE_LOCAL_NAME = 0x09

# Assigned Numbers, 2.3 "Common Data Types" — the ones worth a name in a dump.
AD_TYPE_NAMES: dict[int, str] = {
    0x01: "Flags",
    0x02: "Incomplete List of 16-bit Service UUIDs",
    0x03: "Complete List of 16-bit Service UUIDs",
    0x04: "Incomplete List of 32-bit Service UUIDs",
    0x05: "Complete List of 32-bit Service UUIDs",
    0x06: "Incomplete List of 128-bit Service UUIDs",
    0x07: "Complete List of 128-bit Service UUIDs",
    0x08: "Shortened Local Name",
    0x09: "Complete Local Name",
    0x0A: "Tx Power Level",
    0x0D: "Class of Device",
    0x10: "Device ID",
    0x12: "Peripheral Connection Interval Range",
    0x14: "List of 16-bit Service Solicitation UUIDs",
    0x15: "List of 128-bit Service Solicitation UUIDs",
    0x16: "Service Data - 16-bit UUID",
    0x17: "Public Target Address",
    0x18: "Random Target Address",
    0x19: "Appearance",
    0x1A: "Advertising Interval",
    0x1B: "LE Bluetooth Device Address",
    0x1C: "LE Role",
    0x1F: "List of 32-bit Service Solicitation UUIDs",
    0x20: "Service Data - 32-bit UUID",
    0x21: "Service Data - 128-bit UUID",
    0x24: "URI",
    0x27: "LE Supported Features",
    0xFF: "Manufacturer Specific Data",
}

FLAG_NAMES: dict[int, str] = {
    0x01: "LE Limited Discoverable Mode",
    0x02: "LE General Discoverable Mode",
    0x04: "BR/EDR Not Supported",
    0x08: "Simultaneous LE and BR/EDR (Controller)",
    0x10: "Simultaneous LE and BR/EDR (Host)",
}


def ad_type_name(ad_type: int) -> str:
    """Assigned-number name of an AD type; unknown types are named by value."""
    return AD_TYPE_NAMES.get(ad_type) or f"AD type (0x{ad_type:02x})"


def flag_names(flags: int) -> list[str]:
    """Names of the bits set in a Flags octet; reserved bits 5–7 named ``reserved (0x20)``."""
    names = [name for bit, name in FLAG_NAMES.items() if flags & bit]
    names.extend(f"reserved (0x{bit:02x})" for bit in (0x20, 0x40, 0x80) if flags & bit)
    return names


@dataclass(frozen=True, slots=True)
class AdStructure:
    """One AD structure: its type and data (the length is ``len(data) + 1``)."""

    ad_type: int
    data: bytes

    @property
    def name(self) -> str:
        return ad_type_name(self.ad_type)


@dataclass(frozen=True, slots=True)
class AdvertisingData:
    """The AD structures of one advertising payload, and why parsing stopped early, if it did."""

    structures: tuple[AdStructure, ...]
    problem: str | None = None

    def first(self, ad_type: int) -> AdStructure | None:
        for s in self.structures:
            if s.ad_type == ad_type:
                return s
        return None

    @property
    def flags(self) -> int | None:
        """The Flags octet (1.3); ``None`` when there is no Flags structure.  An empty Flags
        structure counts as no flag set."""
        s = self.first(AD_FLAGS)
        if s is None:
            return None
        return s.data[0] if s.data else 0

    @property
    def local_name(self) -> str | None:
        """The Complete Local Name, else the Shortened one (1.2), decoded as UTF-8 (invalid
        bytes replaced)."""
        s = self.first(AD_COMPLETE_LOCAL_NAME) or self.first(AD_SHORTENED_LOCAL_NAME)
        if s is None:
            return None
        return s.data.decode("utf-8", "replace")

    @property
    def name_complete(self) -> bool | None:
        """Whether ``local_name`` is the complete name; ``None`` without a name."""
        if self.first(AD_COMPLETE_LOCAL_NAME) is not None:
            return True
        if self.first(AD_SHORTENED_LOCAL_NAME) is not None:
            return False
        return None

    def fields(self) -> dict[str, object]:
        flags = self.flags
        out: dict[str, object] = {
            "flags": flags,
            "flag_names": None if flags is None else flag_names(flags),
            "local_name": self.local_name,
            "name_complete": self.name_complete,
            "ad_types": [s.name for s in self.structures],
        }
        if self.problem is not None:
            out["problem"] = self.problem
        return out


def parse_ad(data: bytes) -> AdvertisingData:
    """Split advertising data into AD structures (Vol 3, Part C, 11), leniently."""
    out: list[AdStructure] = []
    pos = 0
    n = len(data)
    while pos < n:
        length = data[pos]
        if length == 0:  # padding (the non-significant part), as Wireshark skips it
            pos += 1
            continue
        if pos + 1 + length > n:
            return AdvertisingData(
                tuple(out),
                f"AD structure at offset {pos} says {length} bytes, "
                f"only {n - pos - 1} follow; the list ends there",
            )
        out.append(AdStructure(data[pos + 1], bytes(data[pos + 2 : pos + 1 + length])))
        pos += 1 + length
    return AdvertisingData(tuple(out))
