"""Security Manager Protocol PDUs — Bluetooth Core Spec v5.4, Vol 3, Part H, 3.3–3.6.

One enum per wire code and one frozen dataclass per command, registered by its code together
with its wire layout (``_command``).  The layout gives every command its exact length (Vol 3,
Part H, 3.3: the length of an SMP command is fixed by its code), and ``parse_smp`` checks that
length before reading a single field: a PDU one byte short is ``Truncated``, one byte long is
``BadLength`` — never a silently padded or cut value (Bumble, for one, accepts a 9-byte
confirm value).

Reserved values are decoded and named (``reserved (0x1f)``), never fatal: a reserved command
code gives an ``SmpUnknown`` with its raw payload, reserved IO capabilities, AuthReq bits and
key-distribution bits are kept as the integers they are and named by the ``*_name(s)``
functions.

``fields()`` is the JSON contract shared with tshark's ``btsmp`` dissector: integers stay
integers, octet strings are lowercase hex in wire order, and the identity address is printed
most significant byte first (``AA:BB:CC:DD:EE:FF``), as tshark prints ``btsmp.bd_addr``.
"""

from __future__ import annotations

import dataclasses
import functools
import struct
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import IntEnum, IntFlag
from types import MappingProxyType
from typing import ClassVar, TypeVar, dataclass_transform

from bpdiag.decode.declare import attrs, slot_setter
from bpdiag.decode.labels import Labelled, joined, sentence
from bpdiag.errors import BadLength, Stage, Truncated


class CommandCode(Labelled):
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
    PAIRING_DHKEY_CHECK = 0x0D, "Pairing DHKey Check"
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


class IoCapability(Labelled, spelling=joined):
    """IO capabilities (Vol 3, Part H, 3.5.1, Table 3.4), named as the table spells them:
    ``DisplayYesNo``."""

    DISPLAY_ONLY = 0x00
    DISPLAY_YES_NO = 0x01
    KEYBOARD_ONLY = 0x02
    NO_INPUT_NO_OUTPUT = 0x03
    KEYBOARD_DISPLAY = 0x04


class AuthReq(IntFlag):
    """AuthReq octet (Vol 3, Part H, 3.5.1, Figure 3.3).

    Bits 0–1 are the Bonding_Flags field (0b00 No Bonding, 0b01 Bonding, 0b10 and 0b11
    reserved), so "bonding" means ``auth_req & BONDING_FLAGS == BONDING``, not a bit test.
    Bits 6–7 are reserved.
    """

    BONDING = 0x01
    MITM = 0x04
    SC = 0x08
    KEYPRESS = 0x10
    CT2 = 0x20


BONDING_FLAGS = 0x03  # mask of the 2-bit Bonding_Flags field in AuthReq
# AuthReq bits as plain ints: an IntFlag operation costs microseconds on the per-PDU path.
_BONDING, _MITM, _SC, _KEYPRESS, _CT2 = (
    int(f) for f in (AuthReq.BONDING, AuthReq.MITM, AuthReq.SC, AuthReq.KEYPRESS, AuthReq.CT2)
)


class KeyDistribution(IntFlag):
    """Initiator / Responder Key Distribution octets (Vol 3, Part H, 3.6.1, Figure 3.11).

    Bits 4–7 are reserved.
    """

    ENC_KEY = 0x01
    ID_KEY = 0x02
    SIGN_KEY = 0x04
    LINK_KEY = 0x08


class KeypressNotificationType(Labelled, spelling=sentence):
    """Keypress Notification types (Vol 3, Part H, 3.5.8, Table 3.8), named as the table
    words them: "Passkey entry started"."""

    PASSKEY_ENTRY_STARTED = 0
    PASSKEY_DIGIT_ENTERED = 1
    PASSKEY_DIGIT_ERASED = 2
    PASSKEY_CLEARED = 3
    PASSKEY_ENTRY_COMPLETED = 4


@dataclass(frozen=True, slots=True)
class Reason:
    """A Pairing Failed reason: its spec name (Table 3.7) and, in plain words, what the side
    that sends it says.  ``REASONS`` is the one table of them every layer reads."""

    name: str
    meaning: str


REASONS: dict[int, Reason] = {  # keyed by ErrorCode
    ErrorCode.PASSKEY_ENTRY_FAILED: Reason(
        "Passkey Entry Failed", "the user did not enter the passkey or cancelled it"
    ),
    ErrorCode.OOB_NOT_AVAILABLE: Reason(
        "OOB Not Available", "out-of-band data was expected but is not available on this side"
    ),
    ErrorCode.AUTHENTICATION_REQUIREMENTS: Reason(
        "Authentication Requirements",
        "the pairing could not satisfy this side's security requirements "
        "(MITM protection, Secure Connections or bonding)",
    ),
    ErrorCode.CONFIRM_VALUE_FAILED: Reason(
        "Confirm Value Failed",
        "the confirm value did not match: a mistyped passkey, or the two sides used "
        "different temporary keys",
    ),
    ErrorCode.PAIRING_NOT_SUPPORTED: Reason(
        "Pairing Not Supported",
        "this side does not support pairing (or does not allow it right now)",
    ),
    ErrorCode.ENCRYPTION_KEY_SIZE: Reason(
        "Encryption Key Size", "the encryption key would be shorter than this side accepts"
    ),
    ErrorCode.COMMAND_NOT_SUPPORTED: Reason(
        "Command Not Supported", "this side does not support the SMP command it received"
    ),
    ErrorCode.UNSPECIFIED_REASON: Reason(
        "Unspecified Reason",
        "this side gave no specific reason — devices use it when they are not in pairing "
        "mode, are busy, or reject the request for a reason of their own",
    ),
    ErrorCode.REPEATED_ATTEMPTS: Reason(
        "Repeated Attempts",
        "too many attempts in a short time; this side waits before it accepts another",
    ),
    ErrorCode.INVALID_PARAMETERS: Reason(
        "Invalid Parameters", "a command had invalid parameters (length or value out of range)"
    ),
    ErrorCode.DHKEY_CHECK_FAILED: Reason(
        "DHKey Check Failed", "the DHKey check value did not match"
    ),
    ErrorCode.NUMERIC_COMPARISON_FAILED: Reason(
        "Numeric Comparison Failed",
        "the numbers shown on the two devices did not match, or the user said no",
    ),
    ErrorCode.BREDR_PAIRING_IN_PROGRESS: Reason(
        "BR/EDR pairing in progress", "pairing is already running over BR/EDR"
    ),
    ErrorCode.CROSS_TRANSPORT_KEY_NOT_ALLOWED: Reason(
        "Cross-transport Key Derivation/Generation not allowed",
        "the derived key may not replace an existing, stronger one",
    ),
    ErrorCode.KEY_REJECTED: Reason("Key Rejected", "the device rejected the distributed key"),
}
_KEY_DISTRIBUTION_NAMES: tuple[tuple[int, str], ...] = (
    (0x01, "EncKey"),
    (0x02, "IdKey"),
    (0x04, "SignKey"),
    (0x08, "LinkKey"),
)
_AUTH_REQ_NAMES: tuple[tuple[int, str], ...] = (
    (0x04, "MITM"),
    (0x08, "SC"),
    (0x10, "Keypress"),
    (0x20, "CT2"),
)
_ADDRESS_TYPE_NAMES: dict[int, str] = {0x00: "public", 0x01: "random"}

REDACTED = "redacted"


def reserved_name(value: int) -> str:
    """How bpdiag names a reserved value: ``reserved (0x1f)``."""
    return f"reserved (0x{value:02x})"


def command_name(code: int) -> str:
    """Spec name of an SMP command code (Table 3.3), e.g. ``Pairing Request``."""
    return CommandCode.name_of(code)


def error_name(code: int) -> str:
    """Spec name of a Pairing Failed reason (Table 3.7), e.g. ``Unspecified Reason``."""
    reason = REASONS.get(code)
    return reason.name if reason is not None else reserved_name(code)


def error_meaning(code: int) -> str:
    """What a Pairing Failed reason says, in plain words (Table 3.7)."""
    reason = REASONS.get(code)
    return reason.meaning if reason is not None else "a reason the spec reserves"


def io_capability_name(v: int) -> str:
    """Spec name of an IO capability (Table 3.4), e.g. ``NoInputNoOutput``."""
    return IoCapability.name_of(v)


def address_type_name(v: int) -> str:
    """``public`` / ``random`` for an Identity Address Information AddrType (3.6.5)."""
    return _ADDRESS_TYPE_NAMES.get(v) or reserved_name(v)


def keypress_name(v: int) -> str:
    """Spec name of a Keypress Notification type (Table 3.8)."""
    return KeypressNotificationType.name_of(v)


def key_distribution_names(v: int) -> tuple[str, ...]:
    """Names of the bits set in a key-distribution octet, reserved bits named by value:
    ``0x13`` → ``("EncKey", "IdKey", "reserved (0x10)")``.  One shared tuple per octet
    value: every Pairing Request and Response of a long log keeps its two."""
    return _KEY_DISTRIBUTIONS[v] if 0 <= v < 256 else _key_distribution(v)


def _key_distribution(v: int) -> tuple[str, ...]:
    names = [name for bit, name in _KEY_DISTRIBUTION_NAMES if v & bit]
    names.extend(reserved_name(bit) for bit in (0x10, 0x20, 0x40, 0x80) if v & bit)
    return tuple(names)


_KEY_DISTRIBUTIONS = tuple(_key_distribution(v) for v in range(256))


def auth_req_names(v: int) -> list[str]:
    """Names of what an AuthReq octet asks for: ``0x2d`` → ``["Bonding", "MITM", "SC",
    "CT2"]``.  No Bonding (0b00) adds nothing; a reserved Bonding_Flags value is named by
    its bits (``reserved (0x02)``, ``reserved (0x03)``), as are reserved bits 6 and 7."""
    names: list[str] = []
    bonding = v & BONDING_FLAGS
    if bonding == AuthReq.BONDING:
        names.append("Bonding")
    elif bonding:
        names.append(reserved_name(bonding))
    names.extend(name for bit, name in _AUTH_REQ_NAMES if v & bit)
    names.extend(reserved_name(bit) for bit in (0x40, 0x80) if v & bit)
    return names


def format_bd_addr(wire: bytes) -> str:
    """A 6-byte BD_ADDR in wire order (least significant byte first) as
    ``AA:BB:CC:DD:EE:FF``, most significant byte first."""
    return ":".join(f"{b:02X}" for b in reversed(wire))


# --------------------------------------------------------------------------- wire layout
@dataclass(frozen=True, slots=True)
class _Param:
    """One parameter of a command on the wire: the dataclass attribute it fills, its size
    in octets, how it is decoded (``int``: unsigned little-endian; ``octets``: bytes in wire
    order; ``bd_addr``: 6 octets in wire order, dumped MSB first), its ``fields()`` key and
    whether it is key material (``secret``: its key is in the command's ``SECRETS``, which
    every output redacts unless --show-keys)."""

    attr: str
    size: int
    kind: str
    key: str
    secret: bool = False


def _int(attr: str, size: int = 1, key: str = "") -> _Param:
    return _Param(attr, size, "int", key or attr)


def _octets(attr: str, size: int, key: str = "") -> _Param:
    return _Param(attr, size, "octets", key or attr)


def _key(attr: str) -> _Param:
    """A distributed 128-bit key (Vol 3, Part H, 3.6): key material."""
    return _Param(attr, 16, "octets", attr, secret=True)


def _bd_addr(attr: str) -> _Param:
    return _Param(attr, 6, "bd_addr", attr)


_C = TypeVar("_C", bound="SmpCommand")
_COMMANDS: dict[int, type[SmpCommand]] = {}


@dataclass_transform(frozen_default=True)
def _command(code: CommandCode, *params: _Param) -> Callable[[type[_C]], type[_C]]:
    """Class decorator: declare a command — a frozen, slotted dataclass — with its code and
    wire layout, and register it."""

    def register(declared: type[_C]) -> type[_C]:
        cls = dataclass(frozen=True, slots=True)(declared)
        attrs = [f.name for f in dataclasses.fields(cls) if f.name != "code"]
        if attrs != [p.attr for p in params]:
            raise TypeError(f"{cls.__name__}: layout {params} does not match fields {attrs}")
        cls.CODE = int(code)
        cls.PARAMS = params
        cls.SECRETS = frozenset(p.key for p in params if p.secret)
        cls.LENGTH = 1 + sum(p.size for p in params)
        cls.decode = staticmethod(_compile_decode(cls))
        _COMMANDS[int(code)] = cls
        return cls

    return register


_INT_CODES = {1: "B", 2: "H", 4: "I", 8: "Q"}


def _compile_decode(cls: type[_C]) -> Callable[[bytes], _C]:
    """``cls.decode``: what ``SmpCommand._decode`` does for ``cls``, as a function made once
    from its layout (one struct call cuts every parameter at its size; the fields are set in
    a straight line) — the per-PDU path of long captures."""
    fmt = "<x"
    lines = ["def decode(pdu):"]
    names = [f"v{i}" for i in range(len(cls.PARAMS))]
    sets = ["    o = _new(_cls)", "    _s_code(o, _code)", "    _s__wire(o, pdu)"]
    for p, var in zip(cls.PARAMS, names, strict=True):
        if p.kind == "int" and p.size in _INT_CODES:
            fmt += _INT_CODES[p.size]
            value = var
        else:
            fmt += f"{p.size}s"
            value = f"_int({var}, 'little')" if p.kind == "int" else var
        sets.append(f"    _s_{p.attr}(o, {value})")
    if names:
        lines.append(f"    {', '.join(names)}, = _unpack(pdu)")
    lines += [*sets, "    return o"]
    env: dict[str, object] = {
        "_cls": cls,
        "_code": cls.CODE,
        "_new": object.__new__,
        "_int": int.from_bytes,
        "_unpack": struct.Struct(fmt).unpack_from,
    }
    for attr in ("code", "_wire", *(p.attr for p in cls.PARAMS)):
        env[f"_s_{attr}"] = slot_setter(cls, attr)
    exec("\n".join(lines), env)  # the source is made above from the layout alone
    return env["decode"]  # type: ignore[return-value]


# --------------------------------------------------------------------------- commands
class _Wire:
    """Where a command keeps its PDU's bytes (``SmpCommand.to_bytes``): a slot, not a
    field, so it takes no part in equality, ``repr`` or ``fields()``."""

    __slots__ = ("_wire",)
    _wire: bytes


@dataclass(frozen=True, slots=True)
class SmpCommand(_Wire):
    """Base of every SMP command (Vol 3, Part H, 3.3): a one-octet Code, then the command's
    fixed-length data.  ``code`` is set from the class; the other fields are the command's
    parameters in wire order, each checked for type and size on construction (so every
    instance can be encoded again with ``bytes()``)."""

    code: int = field(init=False)
    CODE: ClassVar[int] = -1
    PARAMS: ClassVar[tuple[_Param, ...]] = ()
    SECRETS: ClassVar[frozenset[str]] = frozenset()
    """The ``fields()`` keys that hold key material (from the layout's ``secret`` params)."""
    LENGTH: ClassVar[int] = 1  # total PDU length, code octet included
    decode: ClassVar[Callable[[bytes], SmpCommand]]
    """``_decode`` compiled for the class (``_compile_decode``): what ``parse_smp`` calls."""

    def __post_init__(self) -> None:
        if self.CODE < 0:
            raise TypeError(f"{type(self).__name__} is not a registered SMP command")
        object.__setattr__(self, "code", self.CODE)
        for p in self.PARAMS:
            value = getattr(self, p.attr)
            if p.kind == "int":
                if not isinstance(value, int) or not 0 <= value < 1 << (8 * p.size):
                    raise ValueError(
                        f"{type(self).__name__}.{p.attr} must be an integer of {p.size} "
                        f"octet(s), got {value!r}"
                    )
                object.__setattr__(self, p.attr, int(value))
            else:
                if not isinstance(value, bytes | bytearray | memoryview) or len(value) != p.size:
                    raise ValueError(
                        f"{type(self).__name__}.{p.attr} must be {p.size} bytes, got {value!r}"
                    )
                object.__setattr__(self, p.attr, bytes(value))

    @classmethod
    def _decode(cls: type[_C], pdu: bytes) -> _C:
        """Build the command from a PDU whose length ``parse_smp`` has already checked,
        parameter by parameter (the reference ``decode`` is tested against).

        Each field is cut at its exact size, so the values are what ``__post_init__``
        would accept: it is not run again (this is the per-PDU path of long captures).  The
        PDU is kept: it is what ``to_bytes`` gives."""
        obj = object.__new__(cls)
        put = object.__setattr__
        put(obj, "code", cls.CODE)
        put(obj, "_wire", pdu)
        offset = 1
        for p in cls.PARAMS:
            chunk = pdu[offset : offset + p.size]
            put(obj, p.attr, int.from_bytes(chunk, "little") if p.kind == "int" else bytes(chunk))
            offset += p.size
        return obj

    def to_bytes(self) -> bytes:
        """The PDU on the wire: code, then each parameter (integers little-endian).  A
        decoded command gives the bytes it was decoded from (the same octets: every field
        is cut at its exact size); one built from its fields encodes them once."""
        try:
            return self._wire
        except AttributeError:  # built from its fields, or unpickled (the slot is no field)
            pass
        out = bytearray([self.code])
        for p in self.PARAMS:
            value = getattr(self, p.attr)
            out += value.to_bytes(p.size, "little") if p.kind == "int" else value
        wire = bytes(out)
        object.__setattr__(self, "_wire", wire)
        return wire

    def __bytes__(self) -> bytes:
        return self.to_bytes()

    @property
    def name(self) -> str:
        return command_name(self.code)

    def fields(self) -> dict[str, object]:
        """The dump fields (a stable JSON contract matching tshark's ``btsmp`` fields)."""
        out: dict[str, object] = {}
        for p in self.PARAMS:
            value = getattr(self, p.attr)
            if p.kind == "int":
                out[p.key] = value
            elif p.kind == "bd_addr":
                out[p.key] = format_bd_addr(value)
            else:
                out[p.key] = value.hex()
        return out


class _AuthReqBits:
    """The AuthReq booleans shared by Pairing Request/Response and Security Request."""

    __slots__ = ()
    auth_req: int

    @property
    def bonding(self) -> bool:
        """Bonding_Flags == 0b01 (0b10 and 0b11 are reserved, not bonding)."""
        return self.auth_req & BONDING_FLAGS == _BONDING

    @property
    def mitm(self) -> bool:
        return bool(self.auth_req & _MITM)

    @property
    def sc(self) -> bool:
        return bool(self.auth_req & _SC)

    @property
    def keypress(self) -> bool:
        return bool(self.auth_req & _KEYPRESS)

    @property
    def ct2(self) -> bool:
        return bool(self.auth_req & _CT2)


_FEATURES = (
    _int("io_capability"),
    _int("oob"),
    _int("auth_req"),
    _int("max_key_size"),
    _int("initiator_key_distribution"),
    _int("responder_key_distribution"),
)


@dataclass(frozen=True, slots=True)
class _PairingFeatures(_AuthReqBits, SmpCommand):
    """The Pairing Request / Response parameters (Vol 3, Part H, 3.5.1–3.5.2)."""

    io_capability: int
    oob: int
    auth_req: int
    max_key_size: int
    initiator_key_distribution: int
    responder_key_distribution: int


@_command(CommandCode.PAIRING_REQUEST, *_FEATURES)
class PairingRequest(_PairingFeatures):
    """Vol 3, Part H, 3.5.1 Pairing Request: IO capability, OOB data flag, AuthReq,
    maximum encryption key size, initiator and responder key distribution (7 octets)."""


@_command(CommandCode.PAIRING_RESPONSE, *_FEATURES)
class PairingResponse(_PairingFeatures):
    """Vol 3, Part H, 3.5.2 Pairing Response: the same parameters as the Pairing Request
    (7 octets)."""


@dataclass(frozen=True, slots=True)
class CutPairingFeatures(_AuthReqBits):
    """A Pairing Request / Response (Vol 3, Part H, 3.5.1–3.5.2) that the log stored cut short:
    btsnooz keeps 6 of its 7 octets, Android's filtered snoop log (``snoop_logger.cc``, headers
    filter: 14 bytes with the H4 type) 5.  The fields present are decoded; a key distribution
    not in the capture is ``None``, never a value.  Not a wire message of its own
    (``parse_smp`` never returns it): ``parse_cut_features`` builds it."""

    code: int
    io_capability: int
    oob: int
    auth_req: int
    max_key_size: int
    initiator_key_distribution: int | None
    original_length: int
    responder_key_distribution: None = None

    @property
    def name(self) -> str:
        return command_name(self.code)

    def fields(self) -> dict[str, object]:
        shown = attrs(self, tuple((p.key, p.attr) for p in _FEATURES))  # the 7th: None
        return shown | {"truncated": f"{self.kept} of {self.original_length} bytes"}

    @property
    def kept(self) -> int:
        """Octets of the PDU the log kept (5 or 6)."""
        return 5 if self.initiator_key_distribution is None else 6


def parse_cut_features(data: bytes, original_length: int) -> CutPairingFeatures | None:
    """The fields of a Pairing Request / Response cut to its first 6 octets (btsnooz) or 5
    (Android's filtered snoop log), or ``None`` for anything else (another command, fewer
    octets, or the PDU whole)."""
    if len(data) not in (5, 6) or len(data) >= original_length:
        return None
    if data[0] not in (CommandCode.PAIRING_REQUEST, CommandCode.PAIRING_RESPONSE):
        return None
    ikd = data[5] if len(data) == 6 else None
    return CutPairingFeatures(data[0], data[1], data[2], data[3], data[4], ikd, original_length)


# Phase-2 PDUs whose parameters only the spec's checks read: a log that did not carry them
# (hcidump without -X) still shows that they were sent.
UNREAD_CODES = frozenset(
    {
        CommandCode.PAIRING_CONFIRM,
        CommandCode.PAIRING_RANDOM,
        CommandCode.PAIRING_PUBLIC_KEY,
        CommandCode.PAIRING_DHKEY_CHECK,
        CommandCode.PAIRING_KEYPRESS_NOTIFICATION,
    }
)


@dataclass(frozen=True, slots=True)
class UnreadCommand:
    """A Pairing Confirm, Random, Public Key, DHKey Check or Keypress Notification (Vol 3,
    Part H, 3.5.3–3.5.7) that the log shows was sent but whose parameters it did not carry:
    its values are not known (``None``), never guessed.  Not a wire message of its own
    (``parse_smp`` never returns it): ``parse_unread`` builds it."""

    code: int
    original_length: int

    @property
    def name(self) -> str:
        return command_name(self.code)

    def fields(self) -> dict[str, object]:
        return {"parameters": None, "not_in_capture": f"{self.original_length} bytes"}


def parse_unread(data: bytes, original_length: int) -> UnreadCommand | None:
    """An ``UnreadCommand`` for a phase-2 PDU of which the log kept the code octet and maybe
    part of its values (``original_length`` octets were sent: hcidump without ``-X`` prints
    the code only, btsnooz and Android's filtered snoop log keep 6 or 5 octets, a snapshot
    length cuts anywhere), or ``None`` for any other command (whose fields the analysis reads)
    and for a PDU kept whole."""
    if not data or data[0] not in UNREAD_CODES or len(data) >= original_length:
        return None
    return UnreadCommand(data[0], original_length)


@_command(CommandCode.PAIRING_CONFIRM, _octets("confirm", 16))
class PairingConfirm(SmpCommand):
    """Vol 3, Part H, 3.5.3 Pairing Confirm: the 128-bit confirm value Mconfirm/Sconfirm
    (Cb in LE Secure Connections) — 17 octets."""

    confirm: bytes


@_command(CommandCode.PAIRING_RANDOM, _octets("random", 16))
class PairingRandom(SmpCommand):
    """Vol 3, Part H, 3.5.4 Pairing Random: the 128-bit Mrand/Srand (Na/Nb) — 17 octets."""

    random: bytes


@_command(CommandCode.PAIRING_FAILED, _int("reason"))
class PairingFailed(SmpCommand):
    """Vol 3, Part H, 3.5.5 Pairing Failed: the reason (Table 3.7) — 2 octets."""

    reason: int


@_command(CommandCode.ENCRYPTION_INFORMATION, _key("ltk"))
class EncryptionInformation(SmpCommand):
    """Vol 3, Part H, 3.6.2 Encryption Information: the 128-bit LTK — 17 octets."""

    ltk: bytes


@_command(CommandCode.CENTRAL_IDENTIFICATION, _int("ediv", 2), _octets("rand", 8))
class CentralIdentification(SmpCommand):
    """Vol 3, Part H, 3.6.3 Central Identification: EDIV (16 bits) and Rand (64 bits) that
    identify the LTK — 11 octets."""

    ediv: int
    rand: bytes


@_command(CommandCode.IDENTITY_INFORMATION, _key("irk"))
class IdentityInformation(SmpCommand):
    """Vol 3, Part H, 3.6.4 Identity Information: the 128-bit IRK — 17 octets."""

    irk: bytes


@_command(CommandCode.IDENTITY_ADDRESS_INFORMATION, _int("address_type"), _bd_addr("address"))
class IdentityAddressInformation(SmpCommand):
    """Vol 3, Part H, 3.6.5 Identity Address Information: AddrType (0x00 public, 0x01 static
    random) and the 48-bit BD_ADDR, kept in wire order (least significant byte first) —
    8 octets."""

    address_type: int
    address: bytes


@_command(CommandCode.SIGNING_INFORMATION, _key("csrk"))
class SigningInformation(SmpCommand):
    """Vol 3, Part H, 3.6.6 Signing Information: the 128-bit CSRK — 17 octets."""

    csrk: bytes


@_command(CommandCode.SECURITY_REQUEST, _int("auth_req"))
class SecurityRequest(_AuthReqBits, SmpCommand):
    """Vol 3, Part H, 3.6.7 Security Request: the peripheral's AuthReq — 2 octets."""

    auth_req: int


@_command(
    CommandCode.PAIRING_PUBLIC_KEY,
    _octets("x", 32, key="public_key_x"),
    _octets("y", 32, key="public_key_y"),
)
class PairingPublicKey(SmpCommand):
    """Vol 3, Part H, 3.5.6 Pairing Public Key: the P-256 public key's X and Y coordinates,
    32 octets each in wire order (little-endian) — 65 octets."""

    x: bytes
    y: bytes


@_command(CommandCode.PAIRING_DHKEY_CHECK, _octets("dhkey_check", 16))
class PairingDhKeyCheck(SmpCommand):
    """Vol 3, Part H, 3.5.7 Pairing DHKey Check: the 128-bit check value Ea/Eb —
    17 octets."""

    dhkey_check: bytes


@_command(CommandCode.PAIRING_KEYPRESS_NOTIFICATION, _int("notification_type"))
class PairingKeypressNotification(SmpCommand):
    """Vol 3, Part H, 3.5.8 Keypress Notification: the notification type (Table 3.8) —
    2 octets."""

    notification_type: int


@dataclass(frozen=True, slots=True, init=False)
class SmpUnknown(SmpCommand):
    """A reserved command code (Vol 3, Part H, 3.3, Table 3.3): kept with its raw payload
    and named ``reserved (0x1f)``; not an error, since a later spec version may define it."""

    payload: bytes

    def __init__(self, code: int, payload: bytes) -> None:
        if not 0 <= code <= 0xFF or code in _COMMANDS:
            raise ValueError(f"SmpUnknown needs a reserved command code, got {code!r}")
        object.__setattr__(self, "code", code)
        object.__setattr__(self, "payload", bytes(payload))

    def to_bytes(self) -> bytes:
        return bytes([self.code]) + self.payload

    def fields(self) -> dict[str, object]:
        return {"payload": self.payload.hex()}


def smp_length(code: int) -> int | None:
    """The exact PDU length (code octet included) of a command code, ``None`` if reserved."""
    cls = _COMMANDS.get(code)
    return None if cls is None else cls.LENGTH


SMP_LENGTHS: dict[int, int] = {code: cls.LENGTH for code, cls in _COMMANDS.items()}
COMMANDS: Mapping[int, type[SmpCommand]] = MappingProxyType(_COMMANDS)
"""Command code → its declared class (read only)."""
"""Exact PDU length of every defined command code, code octet included."""


def parse_smp(data: bytes) -> SmpCommand:
    """Decode one SMP PDU (the payload of L2CAP CID 0x0006, or 0x0007 over BR/EDR).

    Raises ``Truncated`` when the PDU is shorter than its command's fixed length (or empty)
    and ``BadLength`` when it is longer, both with ``layer=Stage.SMP`` and a message saying the
    expected and actual lengths.  A reserved command code is not an error: it gives an
    ``SmpUnknown``.
    """
    if not data:
        raise Truncated("empty SMP PDU (no command code)", layer=Stage.SMP)
    code = data[0]
    cls = _COMMANDS.get(code)
    if cls is None:
        return SmpUnknown(code, bytes(data[1:]))
    if len(data) != cls.LENGTH:
        error = Truncated if len(data) < cls.LENGTH else BadLength
        raise error(
            f"SMP {command_name(code)} must be {cls.LENGTH} bytes, got {len(data)}", layer=Stage.SMP
        )
    if code in _SHARED_CODES:
        return _decode_shared(bytes(data))
    return cls.decode(bytes(data))


# Commands of a few octets that a long log repeats verbatim (the same device sends the same
# Pairing Request, refuses with the same reason): decoded once, the one frozen object shared
# by every PDU that carried those bytes — a log of many pairings keeps one per step.
_SHARED_CODES = frozenset(
    {
        CommandCode.PAIRING_REQUEST,
        CommandCode.PAIRING_RESPONSE,
        CommandCode.PAIRING_FAILED,
        CommandCode.SECURITY_REQUEST,
        CommandCode.PAIRING_KEYPRESS_NOTIFICATION,
    }
)


@functools.lru_cache(maxsize=1024)
def _decode_shared(data: bytes) -> SmpCommand:
    return _COMMANDS[data[0]].decode(data)
