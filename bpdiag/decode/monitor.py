"""Linux monitor records that are not HCI packets (btmon; btsnoop datalink 2001, pcap 254).

Opcodes are BlueZ ``src/shared/btsnoop.h``'s ``BTSNOOP_OPCODE_*`` (the kernel's monitor
channel, ``net/bluetooth/hci_sock.c``): 0 New Index, 1 Delete Index, 2–7 and 18/19 HCI
packets (see ``bpdiag.decode.h4``), 8 Open Index, 9 Close Index, 10 Index Info, 11 Vendor
Diagnostic, 12 System Note, 13 User Logging, 14 Control Open, 15 Control Close, 16 Control
Command, 17 Control Event.

Layouts, all little-endian, as BlueZ ``monitor/packet.c`` (``packet_monitor``,
``packet_ctrl_*``) reads them:

- New Index (0): type u8 (0 primary, 1 AMP), bus u8 (``BTSNOOP_BUS_*``), bdaddr[6],
  name[8] (NUL-padded) — 16 octets.
- Delete / Open / Close Index (1, 8, 9): no data.
- Index Info (10): bdaddr[6], manufacturer u16 (company identifier).
- Vendor Diagnostic (11): controller-specific bytes (kept as hex).
- System Note (12): text, NUL-terminated (btmon reads at most the record).
- User Logging (13): priority u8 (syslog levels 0–7), ident_len u8, ident (ident_len octets,
  NUL included), message (the rest, NUL-terminated).  An ident starting with ``<`` or ``>``
  marks "User Data" (an L2CAP frame logged by a user-space stack); its message is binary and
  kept as hex.
- Control Open (14): cookie u32, format u16 (0 RAW, 1 USER, 2 MGMT); then, for those three
  formats when at least 8 more octets follow: version u8, revision u16, flags u32 (bit 0:
  the socket is trusted / privileged), ident_len u8, ident_len octets of process name (the
  kernel writes the task's 16-octet ``comm``, NUL-padded).  btmon reads the short form
  (cookie and format only) when fewer than 8 octets follow, and calls the record malformed
  when the name runs past the end; so does this module (``Truncated``).
- Control Close (15): cookie u32.
- Control Command (16): cookie u32, then for a MGMT socket: command opcode u16, parameters.
- Control Event (17): cookie u32, then for a MGMT socket: event code u16, parameters.  MGMT
  Command Complete (0x0001) and Command Status (0x0002) parameters start with the command
  opcode u16 and a status u8 (Complete: return parameters follow).

Whether a Control Command / Event is MGMT depends on the format its cookie was opened with;
the caller passes it (``control_format``).  btmon leaves a cookie it has not seen opened
undecoded; bpdiag decodes it as MGMT, the only format the kernel writes these records for.

Management opcodes, events, statuses and parameter layouts: BlueZ ``doc/mgmt-protocol.rst``
(formerly ``doc/mgmt-api.txt``) and ``lib/bluetooth/mgmt.h``.  Messages that carry key
material (link keys, LTKs, IRKs, CSRKs, PIN codes, OOB data) never expose their parameter
bytes: ``params`` says how many were withheld.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar, dataclass_transform

from bpdiag.decode.declare import Names, Param, attrs, read_params, secret_keys, size_of
from bpdiag.decode.hci import address_str
from bpdiag.decode.labels import Labelled, sentence
from bpdiag.errors import Stage, Truncated, Unsupported


class MonitorOpcode(Labelled):
    """A btsnoop monitor (datalink 2001) opcode: BlueZ src/shared/btsnoop.h ``BTSNOOP_OPCODE_*``."""

    NEW_INDEX = 0
    DELETE_INDEX = 1
    COMMAND = 2
    EVENT = 3
    ACL_TX = 4
    ACL_RX = 5
    SCO_TX = 6
    SCO_RX = 7
    OPEN_INDEX = 8
    CLOSE_INDEX = 9
    INDEX_INFO = 10
    VENDOR_DIAGNOSTIC = 11
    SYSTEM_NOTE = 12
    USER_LOGGING = 13
    CONTROL_OPEN = 14
    CONTROL_CLOSE = 15
    CONTROL_COMMAND = 16
    CONTROL_EVENT = 17
    ISO_TX = 18
    ISO_RX = 19


HCI_OPCODES = frozenset(
    {
        MonitorOpcode.COMMAND,
        MonitorOpcode.EVENT,
        MonitorOpcode.ACL_TX,
        MonitorOpcode.ACL_RX,
        MonitorOpcode.SCO_TX,
        MonitorOpcode.SCO_RX,
        MonitorOpcode.ISO_TX,
        MonitorOpcode.ISO_RX,
    }
)
"""Monitor opcodes that carry HCI packets (decoded by ``bpdiag.decode.hci``, not here)."""

BUS_NAMES = {
    0: "Virtual",
    1: "USB",
    2: "PC Card",
    3: "UART",
    4: "RS232",
    5: "PCI",
    6: "SDIO",
    7: "SPI",
    8: "I2C",
    9: "SMD",
    10: "VIRTIO",
    11: "IPC",
}

CTRL_RAW, CTRL_USER, CTRL_MGMT = 0, 1, 2
CONTROL_FORMATS = {CTRL_RAW: "RAW", CTRL_USER: "USER", CTRL_MGMT: "MGMT"}


# doc/mgmt-protocol.rst: command codes.
class MgmtOpcode(Labelled):
    """A Management API command code (BlueZ doc/mgmt-protocol.rst)."""

    READ_MANAGEMENT_VERSION_INFORMATION = 0x0001
    READ_MANAGEMENT_SUPPORTED_COMMANDS = 0x0002
    READ_CONTROLLER_INDEX_LIST = 0x0003
    READ_CONTROLLER_INFORMATION = 0x0004
    SET_POWERED = 0x0005
    SET_DISCOVERABLE = 0x0006
    SET_CONNECTABLE = 0x0007
    SET_FAST_CONNECTABLE = 0x0008
    SET_BONDABLE = 0x0009
    SET_LINK_SECURITY = 0x000A
    SET_SECURE_SIMPLE_PAIRING = 0x000B
    SET_HIGH_SPEED = 0x000C
    SET_LOW_ENERGY = 0x000D
    SET_DEVICE_CLASS = 0x000E
    SET_LOCAL_NAME = 0x000F
    ADD_UUID = 0x0010
    REMOVE_UUID = 0x0011
    LOAD_LINK_KEYS = 0x0012
    LOAD_LONG_TERM_KEYS = 0x0013
    DISCONNECT = 0x0014
    GET_CONNECTIONS = 0x0015
    PIN_CODE_REPLY = 0x0016
    PIN_CODE_NEGATIVE_REPLY = 0x0017
    SET_IO_CAPABILITY = 0x0018
    PAIR_DEVICE = 0x0019
    CANCEL_PAIR_DEVICE = 0x001A
    UNPAIR_DEVICE = 0x001B
    USER_CONFIRMATION_REPLY = 0x001C
    USER_CONFIRMATION_NEGATIVE_REPLY = 0x001D
    USER_PASSKEY_REPLY = 0x001E
    USER_PASSKEY_NEGATIVE_REPLY = 0x001F
    READ_LOCAL_OUT_OF_BAND_DATA = 0x0020
    ADD_REMOTE_OUT_OF_BAND_DATA = 0x0021
    REMOVE_REMOTE_OUT_OF_BAND_DATA = 0x0022
    START_DISCOVERY = 0x0023
    STOP_DISCOVERY = 0x0024
    CONFIRM_NAME = 0x0025
    BLOCK_DEVICE = 0x0026
    UNBLOCK_DEVICE = 0x0027
    SET_DEVICE_ID = 0x0028
    SET_ADVERTISING = 0x0029
    SET_BR_EDR = 0x002A, "Set BR/EDR"
    SET_STATIC_ADDRESS = 0x002B
    SET_SCAN_PARAMETERS = 0x002C
    SET_SECURE_CONNECTIONS = 0x002D
    SET_DEBUG_KEYS = 0x002E
    SET_PRIVACY = 0x002F
    LOAD_IDENTITY_RESOLVING_KEYS = 0x0030
    GET_CONNECTION_INFORMATION = 0x0031
    GET_CLOCK_INFORMATION = 0x0032
    ADD_DEVICE = 0x0033
    REMOVE_DEVICE = 0x0034
    LOAD_CONNECTION_PARAMETERS = 0x0035
    READ_UNCONFIGURED_CONTROLLER_INDEX_LIST = 0x0036
    READ_CONFIG_INFO = 0x0037, "Read Controller Configuration Information"
    SET_EXTERNAL_CONFIGURATION = 0x0038
    SET_PUBLIC_ADDRESS = 0x0039
    START_SERVICE_DISCOVERY = 0x003A
    READ_LOCAL_OUT_OF_BAND_EXTENDED_DATA = 0x003B
    READ_EXTENDED_CONTROLLER_INDEX_LIST = 0x003C
    READ_ADVERTISING_FEATURES = 0x003D
    ADD_ADVERTISING = 0x003E
    REMOVE_ADVERTISING = 0x003F
    GET_ADVERTISING_SIZE_INFORMATION = 0x0040
    START_LIMITED_DISCOVERY = 0x0041
    READ_EXTENDED_CONTROLLER_INFORMATION = 0x0042
    SET_APPEARANCE = 0x0043
    GET_PHY_CONFIGURATION = 0x0044
    SET_PHY_CONFIGURATION = 0x0045
    LOAD_BLOCKED_KEYS = 0x0046
    SET_WIDEBAND_SPEECH = 0x0047
    READ_CONTROLLER_CAPABILITIES = 0x0048
    READ_EXPERIMENTAL_FEATURES_INFORMATION = 0x0049
    SET_EXPERIMENTAL_FEATURE = 0x004A
    READ_DEFAULT_SYSTEM_CONFIGURATION = 0x004B
    SET_DEFAULT_SYSTEM_CONFIGURATION = 0x004C
    READ_DEFAULT_RUNTIME_CONFIGURATION = 0x004D
    SET_DEFAULT_RUNTIME_CONFIGURATION = 0x004E
    GET_DEVICE_FLAGS = 0x004F
    SET_DEVICE_FLAGS = 0x0050
    READ_ADVERTISEMENT_MONITOR_FEATURES = 0x0051
    ADD_ADVERTISEMENT_PATTERNS_MONITOR = 0x0052
    REMOVE_ADVERTISEMENT_MONITOR = 0x0053
    ADD_EXTENDED_ADVERTISING_PARAMETERS = 0x0054
    ADD_EXTENDED_ADVERTISING_DATA = 0x0055
    ADD_ADV_PATTERNS_MONITOR_RSSI = 0x0056, "Add Advertisement Patterns Monitor With RSSI Threshold"
    SET_MESH_RECEIVER = 0x0057
    READ_MESH_FEATURES = 0x0058
    TRANSMIT_MESH_PACKET = 0x0059
    CANCEL_TRANSMIT_MESH_PACKET = 0x005A
    SEND_HCI_COMMAND_AND_WAIT_FOR_EVENT = 0x005B
    LOAD_CONNECTION_SUBRATE = 0x005C


# doc/mgmt-protocol.rst: event codes.
class MgmtEvent(Labelled):
    """A Management API event code (BlueZ doc/mgmt-protocol.rst)."""

    COMMAND_COMPLETE = 0x0001
    COMMAND_STATUS = 0x0002
    CONTROLLER_ERROR = 0x0003
    INDEX_ADDED = 0x0004
    INDEX_REMOVED = 0x0005
    NEW_SETTINGS = 0x0006
    CLASS_OF_DEVICE_CHANGED = 0x0007
    LOCAL_NAME_CHANGED = 0x0008
    NEW_LINK_KEY = 0x0009
    NEW_LONG_TERM_KEY = 0x000A
    DEVICE_CONNECTED = 0x000B
    DEVICE_DISCONNECTED = 0x000C
    CONNECT_FAILED = 0x000D
    PIN_CODE_REQUEST = 0x000E
    USER_CONFIRMATION_REQUEST = 0x000F
    USER_PASSKEY_REQUEST = 0x0010
    AUTHENTICATION_FAILED = 0x0011
    DEVICE_FOUND = 0x0012
    DISCOVERING = 0x0013
    DEVICE_BLOCKED = 0x0014
    DEVICE_UNBLOCKED = 0x0015
    DEVICE_UNPAIRED = 0x0016
    PASSKEY_NOTIFY = 0x0017
    NEW_IDENTITY_RESOLVING_KEY = 0x0018
    NEW_SIGNATURE_RESOLVING_KEY = 0x0019
    DEVICE_ADDED = 0x001A
    DEVICE_REMOVED = 0x001B
    NEW_CONNECTION_PARAMETER = 0x001C
    UNCONFIGURED_INDEX_ADDED = 0x001D
    UNCONFIGURED_INDEX_REMOVED = 0x001E
    NEW_CONFIGURATION_OPTIONS = 0x001F
    EXTENDED_INDEX_ADDED = 0x0020
    EXTENDED_INDEX_REMOVED = 0x0021
    LOCAL_OUT_OF_BAND_EXTENDED_DATA_UPDATED = 0x0022
    ADVERTISING_ADDED = 0x0023
    ADVERTISING_REMOVED = 0x0024
    EXTENDED_CONTROLLER_INFORMATION_CHANGED = 0x0025
    PHY_CONFIGURATION_CHANGED = 0x0026
    EXPERIMENTAL_FEATURE_CHANGED = 0x0027
    DEFAULT_SYSTEM_CONFIGURATION_CHANGED = 0x0028
    DEFAULT_RUNTIME_CONFIGURATION_CHANGED = 0x0029
    DEVICE_FLAGS_CHANGED = 0x002A
    ADVERTISEMENT_MONITOR_ADDED = 0x002B
    ADVERTISEMENT_MONITOR_REMOVED = 0x002C
    CONTROLLER_SUSPEND = 0x002D
    CONTROLLER_RESUME = 0x002E
    ADVERTISEMENT_MONITOR_DEVICE_FOUND = 0x002F
    ADVERTISEMENT_MONITOR_DEVICE_LOST = 0x0030
    MESH_DEVICE_FOUND = 0x0031
    MESH_PACKET_TRANSMIT_COMPLETE = 0x0032
    CONNECTION_SUBRATE = 0x0033


# lib/bluetooth/mgmt.h MGMT_STATUS_* (doc/mgmt-api.txt, "Status codes" under each command).
class MgmtStatus(Labelled):
    """A Management API status (BlueZ lib/bluetooth/mgmt.h ``MGMT_STATUS_*``); the rules compare
    with these, not with numbers."""

    SUCCESS = 0x00
    UNKNOWN_COMMAND = 0x01
    NOT_CONNECTED = 0x02
    FAILED = 0x03
    CONNECT_FAILED = 0x04
    AUTHENTICATION_FAILED = 0x05
    NOT_PAIRED = 0x06
    NO_RESOURCES = 0x07
    TIMEOUT = 0x08
    ALREADY_CONNECTED = 0x09
    BUSY = 0x0A
    REJECTED = 0x0B
    NOT_SUPPORTED = 0x0C
    INVALID_PARAMETERS = 0x0D
    DISCONNECTED = 0x0E
    NOT_POWERED = 0x0F
    CANCELLED = 0x10
    INVALID_INDEX = 0x11
    RFKILLED = 0x12, "RFKilled"
    ALREADY_PAIRED = 0x13
    PERMISSION_DENIED = 0x14


class MgmtDisconnectReason(Labelled, spelling=sentence):
    """The Reason of a Device Disconnected event (BlueZ doc/mgmt-protocol.rst), worded as
    btmon prints it: "Connection terminated by local host"."""

    UNSPECIFIED = 0
    CONNECTION_TIMEOUT = 1
    CONNECTION_TERMINATED_BY_LOCAL_HOST = 2
    CONNECTION_TERMINATED_BY_REMOTE_HOST = 3
    CONNECTION_TERMINATED_DUE_TO_AUTHENTICATION_FAILURE = 4
    CONNECTION_TERMINATED_BY_LOCAL_HOST_FOR_SUSPEND = 5


# Parameter layouts (doc/mgmt-protocol.rst) of the messages bpdiag reads, declared as
# ``bpdiag.decode.declare`` declares HCI's: each a tuple of ``Param``s in wire order.  An
# Address parameter is Address (6 octets, shown most significant first) and Address_Type
# (1: 0 BR/EDR, 1 LE public, 2 LE random).


_NAMES: dict[str, Callable[[int], object]] = {
    "status": lambda st: mgmt_status_name(st),  # (defined below)
    "reason": lambda reason: MgmtDisconnectReason.name_of(reason, "reserved ({})"),
}


def _p(attr: str, size: int = 1, kind: str = "int", secret: bool = False) -> Param:
    """A parameter shown under its own name (status and reason codes with their name); a
    ``secret`` one is in its record's ``SECRETS`` (redacted unless --show-keys)."""
    names = _NAMES.get(attr)
    return Param(attr, size, kind, attr, names, f"{attr}_name" if names else "", secret=secret)


def _passkey() -> Param:
    """A passkey (u32): the TK of the pairing it is entered for (Vol 3, Part H, 2.3.5.3)."""
    return _p("passkey", 4, secret=True)


def _address(attr: str = "address") -> tuple[Param, ...]:
    return _p(attr, 6, "addr"), _p(f"{attr}_type")


_Layout = tuple[Param, ...]
_ADDR: _Layout = _address()
_MODE: _Layout = (_p("mode"),)

MGMT_COMMAND_LAYOUTS: dict[int, _Layout] = {
    **dict.fromkeys(
        (0x0005, 0x0007, 0x0008, 0x0009, 0x000A, 0x000B, 0x000C, 0x000D),
        _MODE,
    ),
    **dict.fromkeys((0x0029, 0x002A, 0x002D, 0x002E), _MODE),
    0x0006: (_p("discoverable"), _p("timeout", 2)),
    0x0012: (_p("debug_keys"), _p("key_count", 2)),
    0x0013: (_p("key_count", 2),),
    **dict.fromkeys(
        (0x0014, 0x0016, 0x0017, 0x001A, 0x001C, 0x001D, 0x001F, 0x0021, 0x0022),
        _ADDR,
    ),
    **dict.fromkeys((0x0026, 0x0027, 0x0031, 0x0032, 0x0034), _ADDR),
    0x0018: (_p("io_capability"),),
    0x0019: (*_ADDR, _p("io_capability")),
    0x001B: (*_ADDR, _p("disconnect")),
    0x001E: (*_ADDR, _passkey()),
    **dict.fromkeys((0x0023, 0x0024, 0x0041), (_p("address_types"),)),
    0x002F: (_p("privacy"),),
    0x0030: (_p("irk_count", 2),),
    0x0033: (*_ADDR, _p("action")),
    0x0046: (_p("key_count", 2),),
}

MGMT_EVENT_LAYOUTS: dict[int, _Layout] = {
    0x0003: (_p("error_code"),),
    0x0006: (_p("settings", 4),),
    0x0009: (_p("store_hint"), *_ADDR, _p("key_type")),
    0x000A: (_p("store_hint"), *_ADDR, _p("key_type"), _p("central"), _p("encryption_size")),
    0x000B: (*_ADDR, _p("flags", 4), _p("eir_length", 2)),
    0x000C: (*_ADDR, _p("reason")),
    0x000D: (*_ADDR, _p("status")),
    0x000E: (*_ADDR, _p("secure")),
    0x000F: (*_ADDR, _p("confirm_hint"), _p("value", 4)),
    0x0010: _ADDR,
    0x0011: (*_ADDR, _p("status")),
    0x0012: (*_ADDR, _p("rssi", 1, "sint"), _p("flags", 4), _p("eir_length", 2)),
    0x0013: (_p("address_types"), _p("discovering")),
    **dict.fromkeys((0x0014, 0x0015, 0x0016, 0x001B), _ADDR),
    0x0017: (*_ADDR, _passkey(), _p("entered")),
    0x0018: (_p("store_hint"), _p("random_address", 6, "addr"), *_ADDR),
    0x0019: (_p("store_hint"), *_ADDR, _p("csrk_type")),
    0x001A: (*_ADDR, _p("action")),
    0x001C: (
        *(_p("store_hint"), *_ADDR),
        *(_p("min_interval", 2), _p("max_interval", 2), _p("latency", 2), _p("timeout", 2)),
    ),
}

_NONE: frozenset[str] = frozenset()
MGMT_COMMAND_SECRETS = {
    op: k for op, lay in MGMT_COMMAND_LAYOUTS.items() if (k := secret_keys(lay))
}
"""MGMT opcode → the ``fields()`` keys of its parameters that are declared ``secret``."""
MGMT_EVENT_SECRETS = {ev: k for ev, lay in MGMT_EVENT_LAYOUTS.items() if (k := secret_keys(lay))}


def _secrets(table: dict[int, frozenset[str]], attr: str) -> property:
    """A control record's ``SECRETS`` (the name every message's secrets go by): the
    ``fields()`` keys of its MGMT command or event (its ``attr``; None: not MGMT) that hold
    key material, from that command's or event's layout."""

    def get(record: object) -> frozenset[str]:
        code = getattr(record, attr)
        return _NONE if code is None else table.get(code, _NONE)

    return property(get)


# Command Complete return parameters bpdiag reads: Address and Address_Type (the commands
# in MGMT_ADDR_RETURNS), and Read Controller Information's (0x0004) Address, then past
# Bluetooth_Version, Manufacturer and Supported_Settings, Current_Settings.
_INFO_RETURN: _Layout = (_p("address", 6, "addr"), Param("", 7), _p("current_settings", 4))

# Messages whose parameters hold key material: never shown.  The passkey of User Passkey
# Reply (0x001E) and Passkey Notify (0x0017) is the TK (Vol 3, Part H, 2.3.5.3): with the
# capture's confirms and randoms it yields the STK, so it is key material too (its decoded
# ``passkey`` field is redacted like a key unless --show-keys).
MGMT_KEY_COMMANDS = frozenset(
    {
        MgmtOpcode.LOAD_LINK_KEYS,
        MgmtOpcode.LOAD_LONG_TERM_KEYS,
        MgmtOpcode.PIN_CODE_REPLY,
        MgmtOpcode.USER_PASSKEY_REPLY,
        MgmtOpcode.ADD_REMOTE_OUT_OF_BAND_DATA,
        MgmtOpcode.SET_PRIVACY,
        MgmtOpcode.LOAD_IDENTITY_RESOLVING_KEYS,
        MgmtOpcode.LOAD_BLOCKED_KEYS,
    }
)
MGMT_KEY_EVENTS = frozenset(
    {
        MgmtEvent.NEW_LINK_KEY,
        MgmtEvent.NEW_LONG_TERM_KEY,
        MgmtEvent.PASSKEY_NOTIFY,
        MgmtEvent.NEW_IDENTITY_RESOLVING_KEY,
        MgmtEvent.NEW_SIGNATURE_RESOLVING_KEY,
        MgmtEvent.LOCAL_OUT_OF_BAND_EXTENDED_DATA_UPDATED,
    }
)
# Read Local OOB (Extended) Data replies
MGMT_KEY_RETURNS = frozenset(
    {
        MgmtOpcode.READ_LOCAL_OUT_OF_BAND_DATA,
        MgmtOpcode.READ_LOCAL_OUT_OF_BAND_EXTENDED_DATA,
    }
)
# Commands a program sends about one device's link or bond (two programs sending them for
# the same device fight over it).
MGMT_DEVICE_COMMANDS = frozenset(
    {
        MgmtOpcode.DISCONNECT,
        MgmtOpcode.PAIR_DEVICE,
        MgmtOpcode.CANCEL_PAIR_DEVICE,
        MgmtOpcode.UNPAIR_DEVICE,
        MgmtOpcode.ADD_DEVICE,
        MgmtOpcode.REMOVE_DEVICE,
    }
)
# The replies that refuse a pairing prompt (PIN Code, User Confirmation, User Passkey).
MGMT_NEGATIVE_REPLIES = frozenset(
    {
        MgmtOpcode.PIN_CODE_NEGATIVE_REPLY,
        MgmtOpcode.USER_CONFIRMATION_NEGATIVE_REPLY,
        MgmtOpcode.USER_PASSKEY_NEGATIVE_REPLY,
    }
)
# Commands whose Command Complete return parameters start with Address and Address_Type.
MGMT_ADDR_RETURNS = frozenset(
    {
        MgmtOpcode.DISCONNECT,
        MgmtOpcode.PIN_CODE_REPLY,
        MgmtOpcode.PIN_CODE_NEGATIVE_REPLY,
        MgmtOpcode.PAIR_DEVICE,
        MgmtOpcode.CANCEL_PAIR_DEVICE,
        MgmtOpcode.UNPAIR_DEVICE,
        MgmtOpcode.USER_CONFIRMATION_REPLY,
        MgmtOpcode.USER_CONFIRMATION_NEGATIVE_REPLY,
        MgmtOpcode.USER_PASSKEY_REPLY,
        MgmtOpcode.USER_PASSKEY_NEGATIVE_REPLY,
        MgmtOpcode.ADD_REMOTE_OUT_OF_BAND_DATA,
        MgmtOpcode.REMOVE_REMOTE_OUT_OF_BAND_DATA,
        MgmtOpcode.BLOCK_DEVICE,
        MgmtOpcode.UNBLOCK_DEVICE,
        MgmtOpcode.GET_CONNECTION_INFORMATION,
        MgmtOpcode.GET_CLOCK_INFORMATION,
        MgmtOpcode.ADD_DEVICE,
        MgmtOpcode.REMOVE_DEVICE,
    }
)


_U16 = struct.Struct("<H")
_U32 = struct.Struct("<I")


def opcode_name(op: int) -> str:
    """Name of a monitor opcode."""
    return MonitorOpcode.name_of(op, "Unknown monitor record (opcode {})")


def mgmt_opcode_name(op: int) -> str:
    return MgmtOpcode.name_of(op, "Unknown (0x{:04x})")


def mgmt_event_name(ev: int) -> str:
    return MgmtEvent.name_of(ev, "Unknown (0x{:04x})")


def mgmt_status_name(st: int) -> str:
    return MgmtStatus.name_of(st)


def control_format_name(fmt: int) -> str:
    return CONTROL_FORMATS.get(fmt) or f"reserved (0x{fmt:04x})"


def _cstr(b: bytes) -> str:
    return b.split(b"\x00", 1)[0].decode("utf-8", "replace")


def _need(data: bytes, n: int, what: str) -> None:
    if len(data) < n:
        raise Truncated(f"monitor {what} needs {n} bytes, got {len(data)}", layer=Stage.MONITOR)


def _decode_layout(layout: _Layout, params: bytes, what: str) -> tuple[tuple[str, object], ...]:
    """The parameters ``layout`` declares, as shown (``Param.show``): ``Truncated`` when
    fewer octets are there than it needs."""
    _need(params, size_of(layout), what)
    values: dict[str, object] = {}
    read_params(layout, params, values)
    out: dict[str, object] = {}
    for p in layout:
        if p.attr:
            p.show(out, values[p.attr])
    return tuple(out.items())


def _control_name(kind: str, code: int | None, name_of: Callable[[int], str]) -> str:
    """The name of a Control Command / Event: ``MGMT Command (Pair Device)``, or
    ``Control Command`` on a socket of another format (no MGMT code)."""
    return f"Control {kind}" if code is None else f"MGMT {kind} ({name_of(code)})"


def _control_values(
    cookie: int, code: tuple[str, int | None, Callable[[int], str]], msg: Any
) -> dict[str, object]:
    """The fields of a Control Command / Event: the cookie, the MGMT code (``(key, code,
    its name)``, none on another format's socket) and its name, the parameters bpdiag reads
    (``msg.details``), and the parameter bytes — withheld when they hold key material."""
    out: dict[str, object] = {"cookie": cookie}
    key, value, name_of = code
    if value is not None:
        out[key] = value
        out[f"{key}_name"] = name_of(value)
    out.update(msg.details)
    params: bytes = msg.params
    out["params"] = f"withheld: {len(params)} bytes of key material" if msg.secret else params.hex()
    return out


# ================================================================ records
_R = TypeVar("_R", bound="MonitorRecord")


@dataclass_transform(frozen_default=True)
def _record(opcode: MonitorOpcode) -> Callable[[type[_R]], type[_R]]:
    """Class decorator: declare a monitor record — a frozen, slotted dataclass — as the
    record of ``opcode``."""

    def declare(cls: type[_R]) -> type[_R]:
        record = dataclass(frozen=True, slots=True)(cls)
        record.OPCODE = opcode
        return record

    return declare


@dataclass(frozen=True, slots=True)
class MonitorRecord:
    """Base of every monitor record: the adapter (controller index) it is about."""

    adapter: int
    OPCODE: ClassVar[int] = -1
    VALUES: ClassVar[Names] = ()
    """The attributes ``fields()`` shows after the adapter, as ``declare.attrs`` names them."""

    @property
    def opcode(self) -> int:
        """The monitor opcode (``BTSNOOP_OPCODE_*``)."""
        return self.OPCODE

    @property
    def name(self) -> str:
        return opcode_name(self.opcode)

    def _values(self) -> dict[str, object]:
        return attrs(self, self.VALUES)

    def fields(self) -> dict[str, object]:
        return {"adapter": self.adapter, **self._values()}

    def get(self, key: str) -> object:
        """One of ``fields()``, ``None`` if absent."""
        return self.fields().get(key)


@_record(MonitorOpcode.NEW_INDEX)
class NewIndex(MonitorRecord):
    """BTSNOOP_OPCODE_NEW_INDEX (0): a controller appeared."""

    type: int
    bus: int
    address: str
    controller_name: str
    VALUES: ClassVar[Names] = ("type", "bus", "bus_name", "address", ("name", "controller_name"))

    @property
    def bus_name(self) -> str:
        return BUS_NAMES.get(self.bus) or f"reserved ({self.bus})"


@_record(MonitorOpcode.DELETE_INDEX)
class DeleteIndex(MonitorRecord):
    """BTSNOOP_OPCODE_DEL_INDEX (1): the controller went away."""


@_record(MonitorOpcode.OPEN_INDEX)
class OpenIndex(MonitorRecord):
    """BTSNOOP_OPCODE_OPEN_INDEX (8): the controller was brought up."""


@_record(MonitorOpcode.CLOSE_INDEX)
class CloseIndex(MonitorRecord):
    """BTSNOOP_OPCODE_CLOSE_INDEX (9): the controller was brought down."""


@_record(MonitorOpcode.INDEX_INFO)
class IndexInfo(MonitorRecord):
    """BTSNOOP_OPCODE_INDEX_INFO (10): the controller's address and manufacturer."""

    address: str
    manufacturer: int
    VALUES: ClassVar[Names] = ("address", "manufacturer")


@_record(MonitorOpcode.VENDOR_DIAGNOSTIC)
class VendorDiagnostic(MonitorRecord):
    """BTSNOOP_OPCODE_VENDOR_DIAG (11): controller-specific diagnostics."""

    data: bytes
    VALUES: ClassVar[Names] = (("data", "data_hex"),)

    @property
    def data_hex(self) -> str:
        return self.data.hex()


@_record(MonitorOpcode.SYSTEM_NOTE)
class SystemNote(MonitorRecord):
    """BTSNOOP_OPCODE_SYSTEM_NOTE (12): a note from btmon or the kernel."""

    text: str
    VALUES: ClassVar[Names] = ("text",)


@_record(MonitorOpcode.USER_LOGGING)
class UserLogging(MonitorRecord):
    """BTSNOOP_OPCODE_USER_LOGGING (13): a log line from a user-space program
    (bluetoothd logs through it)."""

    priority: int
    ident: str
    message: str
    VALUES: ClassVar[Names] = ("priority", "ident", "message")


@_record(MonitorOpcode.CONTROL_OPEN)
class ControlOpen(MonitorRecord):
    """BTSNOOP_OPCODE_CTRL_OPEN (14): a program opened a RAW / USER / MGMT socket.
    ``version`` … ``process`` are ``None`` in the short form (see the module docstring)."""

    cookie: int
    format: int
    version: int | None
    revision: int | None
    flags: int | None
    process: str | None
    VALUES: ClassVar[Names] = (
        "cookie",
        ("format", "format_name"),
        "version",
        "revision",
        "flags",
        "process",
    )

    @property
    def format_name(self) -> str:
        return control_format_name(self.format)

    @property
    def trusted(self) -> bool:
        return bool(self.flags and self.flags & 1)


@_record(MonitorOpcode.CONTROL_CLOSE)
class ControlClose(MonitorRecord):
    """BTSNOOP_OPCODE_CTRL_CLOSE (15): the socket with this cookie was closed."""

    cookie: int
    VALUES: ClassVar[Names] = ("cookie",)


@_record(MonitorOpcode.CONTROL_COMMAND)
class ControlCommand(MonitorRecord):
    """BTSNOOP_OPCODE_CTRL_COMMAND (16): a command a program sent on its control socket.
    For MGMT, ``command`` is the management opcode and ``details`` the parameters bpdiag
    reads (address, IO capability, passkey …); otherwise ``command`` is ``None`` and
    ``params`` everything after the cookie."""

    cookie: int
    command: int | None
    params: bytes
    details: tuple[tuple[str, object], ...] = ()

    @property
    def opcode_name(self) -> str | None:
        return None if self.command is None else mgmt_opcode_name(self.command)

    @property
    def name(self) -> str:
        return _control_name("Command", self.command, mgmt_opcode_name)

    def _values(self) -> dict[str, object]:
        return _control_values(self.cookie, ("opcode", self.command, mgmt_opcode_name), self)

    @property
    def secret(self) -> bool:
        return self.command in MGMT_KEY_COMMANDS

    SECRETS = _secrets(MGMT_COMMAND_SECRETS, "command")


@_record(MonitorOpcode.CONTROL_EVENT)
class ControlEvent(MonitorRecord):
    """BTSNOOP_OPCODE_CTRL_EVENT (17): an event the kernel sent to a control socket.
    For MGMT, ``event`` is the management event code; Command Complete / Status carry
    ``command_opcode`` and ``status`` in ``details``.  Otherwise ``event`` is ``None``."""

    cookie: int
    event: int | None
    params: bytes
    details: tuple[tuple[str, object], ...] = ()
    secret: bool = False

    @property
    def name(self) -> str:
        return _control_name("Event", self.event, mgmt_event_name)

    def _values(self) -> dict[str, object]:
        return _control_values(self.cookie, ("event", self.event, mgmt_event_name), self)

    SECRETS = _secrets(MGMT_EVENT_SECRETS, "event")


@dataclass(frozen=True, slots=True)
class UnknownMonitorRecord(MonitorRecord):
    """A monitor opcode BlueZ does not define (btmon prints "Unknown packet")."""

    code: int
    data: bytes

    @property
    def opcode(self) -> int:
        return self.code

    def _values(self) -> dict[str, object]:
        return {"data": self.data.hex()}


# ================================================================ parsing
def _user_logging(adapter: int, data: bytes) -> UserLogging:
    _need(data, 2, "User Logging")
    prio, ident_len = data[0], data[1]
    _need(data, 2 + ident_len, f"User Logging with a {ident_len}-byte ident")
    ident = _cstr(data[2 : 2 + ident_len])
    rest = data[2 + ident_len :]
    # "User Data" (ident "<"/">" …) is a binary L2CAP frame, not text.
    user_data = ident[:1] in ("<", ">")
    message = rest.hex() if user_data else _cstr(rest).rstrip("\n")
    return UserLogging(adapter, prio, ident, message)


def _control_open(adapter: int, data: bytes) -> ControlOpen:
    _need(data, 6, "Control Open")
    cookie = int(_U32.unpack_from(data)[0])
    fmt = int(_U16.unpack_from(data, 4)[0])
    rest = data[6:]
    if fmt not in CONTROL_FORMATS or len(rest) < 8:
        return ControlOpen(adapter, cookie, fmt, None, None, None, None)
    version = rest[0]
    revision = int(_U16.unpack_from(rest, 1)[0])
    flags = int(_U32.unpack_from(rest, 3)[0])
    ident_len = rest[7]
    if 8 + ident_len > len(rest):
        raise Truncated(
            f"monitor Control Open: process name length says {ident_len}, "
            f"{len(rest) - 8} bytes follow",
            layer=Stage.MONITOR,
        )
    process = _cstr(rest[8 : 8 + ident_len])
    return ControlOpen(adapter, cookie, fmt, version, revision, flags, process)


def _mgmt_event(adapter: int, cookie: int, data: bytes) -> ControlEvent:
    _need(data, 6, "MGMT Event")
    ev = int(_U16.unpack_from(data, 4)[0])
    params = bytes(data[6:])
    what = f"MGMT {mgmt_event_name(ev)} event"
    if ev == 0x0001 or ev == 0x0002:
        _need(params, 3, what)
        op = int(_U16.unpack_from(params)[0])
        status = params[2]
        details: list[tuple[str, object]] = [
            ("command_opcode", op),
            ("command_name", mgmt_opcode_name(op)),
            ("status", status),
            ("status_name", mgmt_status_name(status)),
        ]
        ret = params[3:]
        returns = None
        if ev == 0x0001 and op in MGMT_ADDR_RETURNS:
            returns = _ADDR
        elif ev == 0x0001 and op == 0x0004:
            returns = _INFO_RETURN
        if returns is not None and len(ret) >= size_of(returns):  # a short return: not read
            details += _decode_layout(returns, ret, what)
        secret = ev == 0x0001 and op in MGMT_KEY_RETURNS
        return ControlEvent(adapter, cookie, ev, ret, tuple(details), secret)
    layout = MGMT_EVENT_LAYOUTS.get(ev)
    values = _decode_layout(layout, params, what) if layout else ()
    return ControlEvent(adapter, cookie, ev, params, values, ev in MGMT_KEY_EVENTS)


def _control(
    opcode: int, adapter: int, data: bytes, control_format: int | None
) -> ControlCommand | ControlEvent:
    command = opcode == MonitorOpcode.CONTROL_COMMAND
    _need(data, 4, "Control Command" if command else "Control Event")
    cookie = int(_U32.unpack_from(data)[0])
    if control_format is not None and control_format != CTRL_MGMT:
        if command:
            return ControlCommand(adapter, cookie, None, data[4:])
        return ControlEvent(adapter, cookie, None, data[4:])
    if not command:
        return _mgmt_event(adapter, cookie, data)
    _need(data, 6, "MGMT Command")
    op = int(_U16.unpack_from(data, 4)[0])
    params = data[6:]
    layout = MGMT_COMMAND_LAYOUTS.get(op)
    details = _decode_layout(layout, params, f"MGMT {mgmt_opcode_name(op)}") if layout else ()
    return ControlCommand(adapter, cookie, op, params, details)


def _control_close(adapter: int, data: bytes) -> ControlClose:
    _need(data, 4, "Control Close")
    return ControlClose(adapter, int(_U32.unpack_from(data)[0]))


def _new_index(adapter: int, data: bytes) -> NewIndex:
    _need(data, 16, "New Index")
    return NewIndex(adapter, data[0], data[1], address_str(data[2:8]), _cstr(data[8:16]))


def _index_info(adapter: int, data: bytes) -> IndexInfo:
    _need(data, 8, "Index Info")
    return IndexInfo(adapter, address_str(data[0:6]), int(_U16.unpack_from(data, 6)[0]))


# The monitor records that are not HCI packets, by opcode: how each is read from its
# payload (the adapter index comes from the record header).  Control Command / Event also
# need the format their cookie was opened with, and are read by _control.
_RECORDS: dict[int, Callable[[int, bytes], MonitorRecord]] = {
    MonitorOpcode.NEW_INDEX: _new_index,
    MonitorOpcode.DELETE_INDEX: lambda adapter, _data: DeleteIndex(adapter),
    MonitorOpcode.OPEN_INDEX: lambda adapter, _data: OpenIndex(adapter),
    MonitorOpcode.CLOSE_INDEX: lambda adapter, _data: CloseIndex(adapter),
    MonitorOpcode.INDEX_INFO: _index_info,
    MonitorOpcode.VENDOR_DIAGNOSTIC: VendorDiagnostic,
    MonitorOpcode.SYSTEM_NOTE: lambda adapter, data: SystemNote(adapter, _cstr(data)),
    MonitorOpcode.USER_LOGGING: _user_logging,
    MonitorOpcode.CONTROL_OPEN: _control_open,
    MonitorOpcode.CONTROL_CLOSE: _control_close,
}


def parse_monitor(
    opcode: int, adapter: int, data: bytes, control_format: int | None = None
) -> MonitorRecord:
    """Decode a monitor record that is not an HCI packet.

    ``control_format`` is the format the cookie of a Control Command / Event was opened with
    (``None``: not seen, read as MGMT).  Raises ``Truncated`` (``layer=Stage.MONITOR``) when the
    record is shorter than its layout, ``Unsupported`` for the opcodes that carry HCI packets.
    """
    data = bytes(data)
    read = _RECORDS.get(opcode)
    if read is not None:
        return read(adapter, data)
    if opcode in (MonitorOpcode.CONTROL_COMMAND, MonitorOpcode.CONTROL_EVENT):
        return _control(opcode, adapter, data, control_format)
    if opcode in HCI_OPCODES:
        raise Unsupported(
            f"monitor opcode {opcode} ({opcode_name(opcode)}) is an HCI packet, not a "
            "monitor record",
            layer=Stage.MONITOR,
        )
    return UnknownMonitorRecord(adapter, opcode, data)
