"""Security Manager Protocol PDUs — Bluetooth Core Spec v5.4, Vol 3, Part H, 3.3–3.6.

One enum per wire code, one frozen dataclass per command, registered by its code.  Every
command's length is checked exactly against the spec (Table 3.1 and the sections below)
before any field is read: a PDU one byte short or long is a ``DecodeError``, never a
silently padded or truncated value.  Reserved values are decoded and named
(``reserved (0x1f)``), never fatal.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum, IntFlag
from typing import ClassVar

from bpdiag.errors import BadLength, Truncated


class CommandCode(IntEnum):
    """SMP command codes (Vol 3, Part H, 3.3, Table 3.3)."""

    PAIRING_REQUEST = 0x01
    PAIRING_RESPONSE = 0x02
    PAIRING_CONFIRM = 0x03
    PAIRING_RANDOM = 0x04
    PAIRING_FAILED = 0x05
    ENCRYPTION_INFORMATION = 0x06
    CENTRAL_IDENTIFICATION = 0x07
    IDENTITY_INFORMATION = 0x08
    IDENTITY_ADDRESS_INFORMATION = 0x09
    SIGNING_INFORMATION = 0x0A
    SECURITY_REQUEST = 0x0B
    PAIRING_PUBLIC_KEY = 0x0C
    PAIRING_DHKEY_CHECK = 0x0D
    PAIRING_KEYPRESS_NOTIFICATION = 0x0E


class ErrorCode(IntEnum):
    """Pairing Failed reasons (Vol 3, Part H, 3.5.5, Table 3.7)."""

    PASSKEY_ENTRY_FAILED = 0x01
    OOB_NOT_AVAILABLE = 0x02
    AUTHENTICATION_REQUIREMENTS = 0x03
    CONFIRM_VALUE_FAILED = 0x04
    PAIRING_NOT_SUPPORTED = 0x05
    ENCRYPTION_KEY_SIZE = 0x06
    COMMAND_NOT_SUPPORTED = 0x07
    UNSPECIFIED_REASON = 0x08
    REPEATED_ATTEMPTS = 0x09
    INVALID_PARAMETERS = 0x0A
    DHKEY_CHECK_FAILED = 0x0B
    NUMERIC_COMPARISON_FAILED = 0x0C
    BREDR_PAIRING_IN_PROGRESS = 0x0D
    CROSS_TRANSPORT_KEY_NOT_ALLOWED = 0x0E
    KEY_REJECTED = 0x0F


class IoCapability(IntEnum):
    """IO capabilities (Vol 3, Part H, 3.5.1, Table 3.4)."""

    DISPLAY_ONLY = 0x00
    DISPLAY_YES_NO = 0x01
    KEYBOARD_ONLY = 0x02
    NO_INPUT_NO_OUTPUT = 0x03
    KEYBOARD_DISPLAY = 0x04


class AuthReq(IntFlag):
    """AuthReq bits (Vol 3, Part H, 3.5.1, Figure 3.3): Bonding_Flags (2 bits), MITM, SC,
    Keypress, CT2, 2 reserved bits."""

    BONDING = 0x01
    MITM = 0x04
    SC = 0x08
    KEYPRESS = 0x10
    CT2 = 0x20


class KeyDistribution(IntFlag):
    """Key distribution bits (Vol 3, Part H, 3.6.1, Figure 3.11)."""

    ENC_KEY = 0x01
    ID_KEY = 0x02
    SIGN_KEY = 0x04
    LINK_KEY = 0x08


_COMMAND_NAMES = {
    0x01: "Pairing Request",
    0x02: "Pairing Response",
    0x03: "Pairing Confirm",
    0x04: "Pairing Random",
    0x05: "Pairing Failed",
    0x06: "Encryption Information",
    0x07: "Central Identification",
    0x08: "Identity Information",
    0x09: "Identity Address Information",
    0x0A: "Signing Information",
    0x0B: "Security Request",
    0x0C: "Pairing Public Key",
    0x0D: "Pairing DHKey Check",
    0x0E: "Pairing Keypress Notification",
}
_ERROR_NAMES = {
    0x01: "Passkey Entry Failed",
    0x02: "OOB Not Available",
    0x03: "Authentication Requirements",
    0x04: "Confirm Value Failed",
    0x05: "Pairing Not Supported",
    0x06: "Encryption Key Size",
    0x07: "Command Not Supported",
    0x08: "Unspecified Reason",
    0x09: "Repeated Attempts",
    0x0A: "Invalid Parameters",
    0x0B: "DHKey Check Failed",
    0x0C: "Numeric Comparison Failed",
    0x0D: "BR/EDR pairing in progress",
    0x0E: "Cross-transport Key Derivation/Generation not allowed",
    0x0F: "Key Rejected",
}
_IO_NAMES = {
    0x00: "DisplayOnly",
    0x01: "DisplayYesNo",
    0x02: "KeyboardOnly",
    0x03: "NoInputNoOutput",
    0x04: "KeyboardDisplay",
}
_KEYPRESS_NAMES = {
    0: "Passkey entry started",
    1: "Passkey digit entered",
    2: "Passkey digit erased",
    3: "Passkey cleared",
    4: "Passkey entry completed",
}
_ADDRESS_TYPES = {0: "public", 1: "random"}

KEY_FIELDS: frozenset[str] = frozenset({"ltk", "irk", "csrk"})
REDACTED = "redacted"


def _reserved(v: int) -> str:
    return f"reserved (0x{v:02x})"


def command_name(code: int) -> str:
    return _COMMAND_NAMES.get(code, _reserved(code))


def error_name(code: int) -> str:
    return _ERROR_NAMES.get(code, _reserved(code))


def io_capability_name(v: int) -> str:
    return _IO_NAMES.get(v, _reserved(v))


def key_distribution_names(v: int) -> list[str]:
    names = []
    for bit, name in ((0x01, "EncKey"), (0x02, "IdKey"), (0x04, "SignKey"), (0x08, "LinkKey")):
        if v & bit:
            names.append(name)
    for bit in (0x10, 0x20, 0x40, 0x80):
        if v & bit:
            names.append(_reserved(bit))
    return names


def auth_req_names(v: int) -> list[str]:
    """Human names of the AuthReq bits, as a list (reserved bits named)."""
    bonding = v & 0x03
    names = ["Bonding" if bonding == 1 else ("No Bonding" if bonding == 0 else _reserved(bonding))]
    names.append("MITM" if v & 0x04 else "No MITM")
    names.append("SC" if v & 0x08 else "Legacy")
    if v & 0x10:
        names.append("Keypress")
    if v & 0x20:
        names.append("CT2")
    if v & 0xC0:
        names.append(_reserved(v & 0xC0))
    return names


def _address(wire: bytes) -> str:
    return ":".join(f"{b:02X}" for b in reversed(wire))


def _key(value: bytes, show_keys: bool) -> str:
    return value.hex() if show_keys else REDACTED


@dataclass(frozen=True, slots=True)
class SmpCommand:
    """Base of every SMP command (Vol 3, Part H, 3.3: Code, then data)."""

    code: int
    LENGTH: ClassVar[int] = -1  # total PDU length including the code byte

    @property
    def name(self) -> str:
        return command_name(self.code)

    def fields(self) -> dict[str, object]:
        return {}

    def summary(self, show_keys: bool = False) -> str:
        return self.name


class _AuthBits:
    auth_req: int

    @property
    def bonding(self) -> bool:
        return self.auth_req & 0x03 == 0x01

    @property
    def mitm(self) -> bool:
        return bool(self.auth_req & 0x04)

    @property
    def sc(self) -> bool:
        return bool(self.auth_req & 0x08)

    @property
    def keypress(self) -> bool:
        return bool(self.auth_req & 0x10)

    @property
    def ct2(self) -> bool:
        return bool(self.auth_req & 0x20)


@dataclass(frozen=True, slots=True)
class _PairingFeatures(SmpCommand, _AuthBits):
    io_capability: int = 0
    oob: int = 0
    auth_req: int = 0
    max_key_size: int = 0
    initiator_key_distribution: int = 0
    responder_key_distribution: int = 0
    LENGTH: ClassVar[int] = 7

    def fields(self) -> dict[str, object]:
        return {
            "io_capability": self.io_capability,
            "oob": self.oob,
            "auth_req": self.auth_req,
            "max_key_size": self.max_key_size,
            "initiator_key_distribution": self.initiator_key_distribution,
            "responder_key_distribution": self.responder_key_distribution,
        }

    def summary(self, show_keys: bool = False) -> str:
        ikd = "|".join(key_distribution_names(self.initiator_key_distribution)) or "none"
        rkd = "|".join(key_distribution_names(self.responder_key_distribution)) or "none"
        oob = "OOB" if self.oob == 1 else ("no OOB" if self.oob == 0 else _reserved(self.oob))
        return (
            f"{self.name}  {io_capability_name(self.io_capability)}, {oob}, "
            f"{', '.join(auth_req_names(self.auth_req))}, key {self.max_key_size}, "
            f"init keys {ikd}, resp keys {rkd}"
        )


@dataclass(frozen=True, slots=True)
class PairingRequest(_PairingFeatures):
    """Vol 3, Part H, 3.5.1 Pairing Request."""


@dataclass(frozen=True, slots=True)
class PairingResponse(_PairingFeatures):
    """Vol 3, Part H, 3.5.2 Pairing Response."""


@dataclass(frozen=True, slots=True)
class PairingConfirm(SmpCommand):
    """Vol 3, Part H, 3.5.3 Pairing Confirm (128-bit confirm value)."""

    confirm: bytes = b""
    LENGTH: ClassVar[int] = 17

    def fields(self) -> dict[str, object]:
        return {"confirm": self.confirm.hex()}


@dataclass(frozen=True, slots=True)
class PairingRandom(SmpCommand):
    """Vol 3, Part H, 3.5.4 Pairing Random (128-bit random value)."""

    random: bytes = b""
    LENGTH: ClassVar[int] = 17

    def fields(self) -> dict[str, object]:
        return {"random": self.random.hex()}


@dataclass(frozen=True, slots=True)
class PairingFailed(SmpCommand):
    """Vol 3, Part H, 3.5.5 Pairing Failed."""

    reason: int = 0
    LENGTH: ClassVar[int] = 2

    def fields(self) -> dict[str, object]:
        return {"reason": self.reason}

    def summary(self, show_keys: bool = False) -> str:
        return f"Pairing Failed  {error_name(self.reason)} (0x{self.reason:02x})"


@dataclass(frozen=True, slots=True)
class PairingPublicKey(SmpCommand):
    """Vol 3, Part H, 3.5.6 Pairing Public Key (P-256 X and Y, 32 bytes each)."""

    x: bytes = b""
    y: bytes = b""
    LENGTH: ClassVar[int] = 65

    def fields(self) -> dict[str, object]:
        return {"public_key_x": self.x.hex(), "public_key_y": self.y.hex()}


@dataclass(frozen=True, slots=True)
class PairingDhKeyCheck(SmpCommand):
    """Vol 3, Part H, 3.5.7 Pairing DHKey Check (128-bit check value)."""

    dhkey_check: bytes = b""
    LENGTH: ClassVar[int] = 17

    def fields(self) -> dict[str, object]:
        return {"dhkey_check": self.dhkey_check.hex()}


@dataclass(frozen=True, slots=True)
class PairingKeypressNotification(SmpCommand):
    """Vol 3, Part H, 3.5.8 Keypress Notification."""

    notification_type: int = 0
    LENGTH: ClassVar[int] = 2

    def fields(self) -> dict[str, object]:
        return {"notification_type": self.notification_type}

    def summary(self, show_keys: bool = False) -> str:
        kind = _KEYPRESS_NAMES.get(self.notification_type, _reserved(self.notification_type))
        return f"{self.name}  {kind}"


@dataclass(frozen=True, slots=True)
class EncryptionInformation(SmpCommand):
    """Vol 3, Part H, 3.6.2 Encryption Information (LTK)."""

    ltk: bytes = b""
    LENGTH: ClassVar[int] = 17

    def fields(self) -> dict[str, object]:
        return {"ltk": self.ltk.hex()}

    def summary(self, show_keys: bool = False) -> str:
        return f"{self.name}  LTK {_key(self.ltk, show_keys)}"


@dataclass(frozen=True, slots=True)
class CentralIdentification(SmpCommand):
    """Vol 3, Part H, 3.6.3 Central Identification (EDIV, Rand)."""

    ediv: int = 0
    rand: bytes = b""
    LENGTH: ClassVar[int] = 11

    def fields(self) -> dict[str, object]:
        return {"ediv": self.ediv, "rand": self.rand.hex()}

    def summary(self, show_keys: bool = False) -> str:
        return f"{self.name}  EDIV 0x{self.ediv:04x}"


@dataclass(frozen=True, slots=True)
class IdentityInformation(SmpCommand):
    """Vol 3, Part H, 3.6.4 Identity Information (IRK)."""

    irk: bytes = b""
    LENGTH: ClassVar[int] = 17

    def fields(self) -> dict[str, object]:
        return {"irk": self.irk.hex()}

    def summary(self, show_keys: bool = False) -> str:
        return f"{self.name}  IRK {_key(self.irk, show_keys)}"


@dataclass(frozen=True, slots=True)
class IdentityAddressInformation(SmpCommand):
    """Vol 3, Part H, 3.6.5 Identity Address Information (type, BD_ADDR)."""

    address_type: int = 0
    address: bytes = b""  # 6 bytes, wire order (least significant first)
    LENGTH: ClassVar[int] = 8

    def fields(self) -> dict[str, object]:
        return {"address_type": self.address_type, "address": _address(self.address)}

    def summary(self, show_keys: bool = False) -> str:
        kind = _ADDRESS_TYPES.get(self.address_type, _reserved(self.address_type))
        return f"{self.name}  {_address(self.address)} ({kind})"


@dataclass(frozen=True, slots=True)
class SigningInformation(SmpCommand):
    """Vol 3, Part H, 3.6.6 Signing Information (CSRK)."""

    csrk: bytes = b""
    LENGTH: ClassVar[int] = 17

    def fields(self) -> dict[str, object]:
        return {"csrk": self.csrk.hex()}

    def summary(self, show_keys: bool = False) -> str:
        return f"{self.name}  CSRK {_key(self.csrk, show_keys)}"


@dataclass(frozen=True, slots=True)
class SecurityRequest(SmpCommand, _AuthBits):
    """Vol 3, Part H, 3.6.7 Security Request (AuthReq)."""

    auth_req: int = 0
    LENGTH: ClassVar[int] = 2

    def fields(self) -> dict[str, object]:
        return {"auth_req": self.auth_req}

    def summary(self, show_keys: bool = False) -> str:
        return f"{self.name}  {', '.join(auth_req_names(self.auth_req))}"


@dataclass(frozen=True, slots=True)
class SmpUnknown(SmpCommand):
    """A reserved command code: kept with its payload, named, not fatal."""

    payload: bytes = b""

    def fields(self) -> dict[str, object]:
        return {"payload": self.payload.hex()}


def _features(cls: type[_PairingFeatures], d: bytes) -> SmpCommand:
    return cls(d[0], d[1], d[2], d[3], d[4], d[5], d[6])


_PARSERS: dict[int, tuple[int, Callable[[bytes], SmpCommand]]] = {
    0x01: (7, lambda d: _features(PairingRequest, d)),
    0x02: (7, lambda d: _features(PairingResponse, d)),
    0x03: (17, lambda d: PairingConfirm(3, d[1:17])),
    0x04: (17, lambda d: PairingRandom(4, d[1:17])),
    0x05: (2, lambda d: PairingFailed(5, d[1])),
    0x06: (17, lambda d: EncryptionInformation(6, d[1:17])),
    0x07: (11, lambda d: CentralIdentification(7, struct.unpack_from("<H", d, 1)[0], d[3:11])),
    0x08: (17, lambda d: IdentityInformation(8, d[1:17])),
    0x09: (8, lambda d: IdentityAddressInformation(9, d[1], d[2:8])),
    0x0A: (17, lambda d: SigningInformation(10, d[1:17])),
    0x0B: (2, lambda d: SecurityRequest(11, d[1])),
    0x0C: (65, lambda d: PairingPublicKey(12, d[1:33], d[33:65])),
    0x0D: (17, lambda d: PairingDhKeyCheck(13, d[1:17])),
    0x0E: (2, lambda d: PairingKeypressNotification(14, d[1])),
}

SMP_LENGTHS = {code: length for code, (length, _) in _PARSERS.items()}


def parse_smp(data: bytes) -> SmpCommand:
    """Decode one SMP PDU (the payload of L2CAP CID 0x0006 / 0x0007).

    Raises ``Truncated`` when the PDU is shorter than its command needs, ``BadLength`` when
    it is longer (Vol 3, Part H, 3.3: each command has a fixed length).
    """
    if not data:
        raise Truncated("empty SMP PDU (no command code)", layer="smp")
    code = data[0]
    entry = _PARSERS.get(code)
    if entry is None:
        return SmpUnknown(code, bytes(data[1:]))
    length, parse = entry
    if len(data) != length:
        cls = Truncated if len(data) < length else BadLength
        raise cls(f"SMP {command_name(code)} must be {length} bytes, got {len(data)}", layer="smp")
    return parse(bytes(data))
