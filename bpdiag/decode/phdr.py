"""LINKTYPE_BLUETOOTH_LE_LL_WITH_PHDR (256): a 10-byte pseudo-header before the air packet.

Fields (tcpdump.org LINKTYPE_BLUETOOTH_LE_LL_WITH_PHDR page; Wireshark packet-btle_rf.c),
multi-octet ones little-endian::

    RF channel (1) | signal power (1, dBm, signed) | noise power (1, dBm, signed)
    | access address offenses (1) | reference access address (4) | flags (2)

Flags: 0x0001 dewhitened, 0x0002 signal power valid, 0x0004 noise power valid, 0x0008
decrypted, 0x0010 reference access address valid, 0x0020 access address offenses valid,
0x0040 channel aliased, 0x0380 PDU type (bits 7–9), 0x0400 CRC checked, 0x0800 CRC valid,
0x1000 MIC checked, 0x2000 MIC valid, 0xC000 PHY (0 LE 1M, 1 LE 2M, 2 LE Coded).

PDU type: 0 advertising or data with the direction unspecified (the original meaning of the
bits, so every older writer produces 0), 1 auxiliary advertising (then bits 12–13 are the AUX
type, not MIC flags), 2 data central → peripheral, 3 data peripheral → central, 4 / 5
connected isochronous C → P / P → C, 6 broadcast isochronous, 7 reserved.

The RF channel is specified as 0–39 (2402 + 2·n MHz), but several writers (bsniffhub, WHAD,
libbtbb) store the channel index instead; bpdiag uses the value only to notice channel
changes, which either encoding shows.  The air packet follows: access address, (coding
indicator on LE Coded), PDU, CRC (``ble``).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from bpdiag.errors import Stage, Truncated

PHDR_LENGTH = 10
MIN_AIR_PACKET = 4 + 2 + 3

DEWHITENED = 0x0001
SIGNAL_POWER_VALID = 0x0002
NOISE_POWER_VALID = 0x0004
DECRYPTED = 0x0008
REF_AA_VALID = 0x0010
AA_OFFENSES_VALID = 0x0020
CHANNEL_ALIASED = 0x0040
PDU_TYPE_MASK = 0x0380
CRC_CHECKED = 0x0400
CRC_VALID = 0x0800
MIC_CHECKED = 0x1000
MIC_VALID = 0x2000
PHY_MASK = 0xC000

PDU_TYPE_NAMES = {
    0: "advertising or data (direction unspecified)",
    1: "auxiliary advertising",
    2: "data, central to peripheral",
    3: "data, peripheral to central",
    4: "connected isochronous, central to peripheral",
    5: "connected isochronous, peripheral to central",
    6: "broadcast isochronous",
    7: "reserved",
}
PHY_NAMES = {0: "LE 1M", 1: "LE 2M", 2: "LE Coded", 3: "reserved (3)"}
AUX_TYPE_NAMES = {0: "AUX_ADV_IND", 1: "AUX_CHAIN_IND", 2: "AUX_SYNC_IND", 3: "AUX_SCAN_RSP"}

_LAYER = Stage.PHDR


_RF_CHANNELS = tuple(
    {37: 0, 38: 12, 39: 39}.get(index, index + 1 if index <= 10 else index + 2)
    for index in range(40)
)
"""RF channel (2402 + 2·n MHz) of each channel index 0–39 (Vol 6, Part B, 1.4.1): the
advertising channels 37, 38, 39 at RF 0, 12, 39, the data channels in the gaps."""
_CHANNEL_INDEX = {rf: index for index, rf in enumerate(_RF_CHANNELS)}


def channel_index(rf_channel: int) -> int | None:
    """The channel index (0–36 data, 37–39 advertising) of an RF channel 0–39."""
    return _CHANNEL_INDEX.get(rf_channel)


def rf_channel(index: int) -> int:
    """The RF channel (0–39) of a channel index 0–39: the inverse of ``channel_index``.  An
    index past 39 (a damaged record) is moved as the data channels above 10 are."""
    return _RF_CHANNELS[index] if 0 <= index < len(_RF_CHANNELS) else index + 2


class _Flag:
    """A bit of the flags field, read as a ``bool`` property of ``PhdrPacket``."""

    __slots__ = ("bit",)

    def __init__(self, bit: int) -> None:
        self.bit = bit

    def __get__(self, packet: PhdrPacket, owner: type | None = None) -> bool:
        return bool(packet.flags & self.bit)


@dataclass(frozen=True, slots=True)
class PhdrPacket:
    """The pseudo-header fields and the air packet (``ble``)."""

    rf_channel: int
    signal_power: int
    noise_power: int
    aa_offenses: int
    reference_aa: int
    flags: int
    ble: bytes

    @property
    def air(self) -> bytes:
        """Alias of ``ble``."""
        return self.ble

    dewhitened = _Flag(DEWHITENED)
    signal_power_valid = _Flag(SIGNAL_POWER_VALID)
    noise_power_valid = _Flag(NOISE_POWER_VALID)
    decrypted = _Flag(DECRYPTED)
    reference_aa_valid = _Flag(REF_AA_VALID)
    aa_offenses_valid = _Flag(AA_OFFENSES_VALID)
    channel_aliased = _Flag(CHANNEL_ALIASED)
    crc_checked = _Flag(CRC_CHECKED)
    crc_valid = _Flag(CRC_VALID)

    @property
    def pdu_type(self) -> int:
        return (self.flags & PDU_TYPE_MASK) >> 7

    @property
    def crc_bad(self) -> bool:
        """The capture tool checked the CRC and it failed."""
        return self.crc_checked and not self.crc_valid

    @property
    def mic_checked(self) -> bool:
        return self.pdu_type != 1 and bool(self.flags & MIC_CHECKED)

    @property
    def mic_valid(self) -> bool:
        return self.pdu_type != 1 and bool(self.flags & MIC_VALID)

    @property
    def mic_ok(self) -> bool:
        """The tool checked the MIC and it was valid: the payload was decrypted."""
        return self.mic_checked and self.mic_valid

    @property
    def aux_type(self) -> int | None:
        """Auxiliary advertising (PDU type 1): bits 12–13 name the AUX PDU."""
        return (self.flags >> 12) & 0x03 if self.pdu_type == 1 else None

    @property
    def phy(self) -> int:
        return (self.flags & PHY_MASK) >> 14

    @property
    def coded(self) -> bool:
        return self.phy == 2

    @property
    def c_to_p(self) -> bool | None:
        """Direction when the PDU type carries it (2/4 central → peripheral, 3/5 back),
        else ``None``."""
        t = self.pdu_type
        if t in (2, 4):
            return True
        if t in (3, 5):
            return False
        return None

    @property
    def is_advertising(self) -> bool | None:
        """``True`` for auxiliary advertising, ``False`` for data / isochronous PDU types,
        ``None`` when the header does not say (PDU type 0 or 7)."""
        t = self.pdu_type
        if t == 1:
            return True
        if 2 <= t <= 6:
            return False
        return None

    def fields(self) -> dict[str, object]:
        aux = self.aux_type
        return {
            "rf_channel": self.rf_channel,
            "channel_index": channel_index(self.rf_channel),
            "signal_power": self.signal_power if self.signal_power_valid else None,
            "noise_power": self.noise_power if self.noise_power_valid else None,
            "aa_offenses": self.aa_offenses if self.aa_offenses_valid else None,
            "reference_aa": f"0x{self.reference_aa:08x}" if self.reference_aa_valid else None,
            "flags": self.flags,
            "dewhitened": self.dewhitened,
            "decrypted": self.decrypted,
            "channel_aliased": self.channel_aliased,
            "pdu_type": self.pdu_type,
            "pdu_type_name": PDU_TYPE_NAMES[self.pdu_type],
            "aux_type": None if aux is None else AUX_TYPE_NAMES[aux],
            "crc_checked": self.crc_checked,
            "crc_valid": self.crc_valid if self.crc_checked else None,
            "mic_checked": self.mic_checked,
            "mic_valid": self.mic_valid if self.mic_checked else None,
            "phy": PHY_NAMES[self.phy],
        }


def parse_phdr(data: bytes) -> PhdrPacket:
    """Split the 10-byte pseudo-header from the air packet it carries."""
    if len(data) < PHDR_LENGTH + MIN_AIR_PACKET:
        raise Truncated(
            f"LE LL with PHDR needs at least {PHDR_LENGTH + MIN_AIR_PACKET} bytes "
            f"(pseudo-header, access address, PDU header, CRC), got {len(data)}",
            layer=_LAYER,
        )
    ch, sig, noise, offenses, ref_aa, flags = struct.unpack_from("<BbbBIH", data)
    return PhdrPacket(ch, sig, noise, offenses, ref_aa, flags, bytes(data[PHDR_LENGTH:]))
