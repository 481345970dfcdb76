"""Linux monitor records that are not HCI packets (btmon, btsnoop datalink 2001, pcap 254).

Opcodes from BlueZ ``src/shared/btsnoop.h`` (the monitor channel of the kernel's
``net/bluetooth/hci_sock.c``): 0 New Index, 1 Delete Index, 2–7 HCI packets, 8 Open Index,
9 Close Index, 10 Index Info, 11 Vendor Diagnostic, 12 System Note, 13 User Logging,
14 Control Open, 15 Control Close, 16 Control Command, 17 Control Event, 18/19 ISO.

Layouts (all little-endian):
- New Index: type u8, bus u8, bdaddr[6], name[8].
- Index Info: bdaddr[6], manufacturer u16.
- System Note: NUL-terminated text.
- User Logging: priority u8, ident length u8, ident (with its NUL), message (NUL-terminated).
- Control Open: cookie u32, format u16 (0 RAW, 1 USER, 2 MGMT control), version u8,
  revision u16, flags u32 (bit 0 trusted), comm length u8, comm (process name).
- Control Close: cookie u32.
- Control Command: cookie u32, management opcode u16, parameters.
- Control Event: cookie u32, management event u16, parameters (Command Complete 0x0001 /
  Command Status 0x0002 begin with the command opcode u16 and a status u8).

Management opcodes, events and statuses: BlueZ ``doc/mgmt-api.txt`` / ``lib/mgmt.h``.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from bpdiag.decode.hci import address_str
from bpdiag.errors import Truncated

OPCODE_NAMES = {
    0: "New Index",
    1: "Delete Index",
    2: "Command",
    3: "Event",
    4: "ACL TX",
    5: "ACL RX",
    6: "SCO TX",
    7: "SCO RX",
    8: "Open Index",
    9: "Close Index",
    10: "Index Info",
    11: "Vendor Diagnostic",
    12: "System Note",
    13: "User Logging",
    14: "Control Open",
    15: "Control Close",
    16: "Control Command",
    17: "Control Event",
    18: "ISO TX",
    19: "ISO RX",
}
HCI_OPCODES = frozenset({2, 3, 4, 5, 6, 7, 18, 19})

MGMT_OPCODES = {
    0x0001: "Read Management Version Information",
    0x0002: "Read Management Supported Commands",
    0x0003: "Read Controller Index List",
    0x0004: "Read Controller Information",
    0x0005: "Set Powered",
    0x0006: "Set Discoverable",
    0x0007: "Set Connectable",
    0x0008: "Set Fast Connectable",
    0x0009: "Set Bondable",
    0x000A: "Set Link Security",
    0x000B: "Set Secure Simple Pairing",
    0x000C: "Set High Speed",
    0x000D: "Set Low Energy",
    0x000E: "Set Device Class",
    0x000F: "Set Local Name",
    0x0010: "Add UUID",
    0x0011: "Remove UUID",
    0x0012: "Load Link Keys",
    0x0013: "Load Long Term Keys",
    0x0014: "Disconnect",
    0x0015: "Get Connections",
    0x0016: "PIN Code Reply",
    0x0017: "PIN Code Negative Reply",
    0x0018: "Set IO Capability",
    0x0019: "Pair Device",
    0x001A: "Cancel Pair Device",
    0x001B: "Unpair Device",
    0x001C: "User Confirmation Reply",
    0x001D: "User Confirmation Negative Reply",
    0x001E: "User Passkey Reply",
    0x001F: "User Passkey Negative Reply",
    0x0020: "Read Local Out Of Band Data",
    0x0021: "Add Remote Out Of Band Data",
    0x0022: "Remove Remote Out Of Band Data",
    0x0023: "Start Discovery",
    0x0024: "Stop Discovery",
    0x0025: "Confirm Name",
    0x0026: "Block Device",
    0x0027: "Unblock Device",
    0x0028: "Set Device ID",
    0x0029: "Set Advertising",
    0x002A: "Set BR/EDR",
    0x002B: "Set Static Address",
    0x002C: "Set Scan Parameters",
    0x002D: "Set Secure Connections",
    0x002E: "Set Debug Keys",
    0x002F: "Set Privacy",
    0x0030: "Load Identity Resolving Keys",
    0x0031: "Get Connection Information",
    0x0032: "Get Clock Information",
    0x0033: "Add Device",
    0x0034: "Remove Device",
    0x0035: "Load Connection Parameters",
}

MGMT_EVENTS = {
    0x0001: "Command Complete",
    0x0002: "Command Status",
    0x0003: "Controller Error",
    0x0004: "Index Added",
    0x0005: "Index Removed",
    0x0006: "New Settings",
    0x0007: "Class Of Device Changed",
    0x0008: "Local Name Changed",
    0x0009: "New Link Key",
    0x000A: "New Long Term Key",
    0x000B: "Device Connected",
    0x000C: "Device Disconnected",
    0x000D: "Connect Failed",
    0x000E: "PIN Code Request",
    0x000F: "User Confirmation Request",
    0x0010: "User Passkey Request",
    0x0011: "Authentication Failed",
    0x0012: "Device Found",
    0x0013: "Discovering",
    0x0014: "Device Blocked",
    0x0015: "Device Unblocked",
    0x0016: "Device Unpaired",
    0x0017: "Passkey Notify",
    0x0018: "New Identity Resolving Key",
    0x0019: "New Signature Resolving Key",
    0x001A: "Device Added",
    0x001B: "Device Removed",
    0x001C: "New Connection Parameter",
}

MGMT_STATUS = {
    0x00: "Success",
    0x01: "Unknown Command",
    0x02: "Not Connected",
    0x03: "Failed",
    0x04: "Connect Failed",
    0x05: "Authentication Failed",
    0x06: "Not Paired",
    0x07: "No Resources",
    0x08: "Timeout",
    0x09: "Already Connected",
    0x0A: "Busy",
    0x0B: "Rejected",
    0x0C: "Not Supported",
    0x0D: "Invalid Parameters",
    0x0E: "Disconnected",
    0x0F: "Not Powered",
    0x10: "Cancelled",
    0x11: "Invalid Index",
    0x12: "RFKilled",
    0x13: "Already Paired",
    0x14: "Permission Denied",
}

CONTROL_FORMATS = {0: "RAW", 1: "USER", 2: "MGMT"}

# Management messages whose first parameters are an address and its type.
_ADDR_COMMANDS = frozenset(
    {0x0014, 0x0016, 0x0017, 0x0019, 0x001A, 0x001B, 0x001C, 0x001D, 0x001E, 0x001F, 0x0033, 0x0034}
)
_ADDR_EVENTS = frozenset(
    {0x0009, 0x000A, 0x000B, 0x000C, 0x000D, 0x000E, 0x000F, 0x0010, 0x0011, 0x0016, 0x0017}
)


def mgmt_opcode_name(op: int) -> str:
    return MGMT_OPCODES.get(op, f"Unknown (0x{op:04x})")


def mgmt_event_name(ev: int) -> str:
    return MGMT_EVENTS.get(ev, f"Unknown (0x{ev:04x})")


def mgmt_status_name(st: int) -> str:
    return MGMT_STATUS.get(st, f"reserved (0x{st:02x})")


def _cstr(b: bytes) -> str:
    return b.split(b"\x00", 1)[0].decode("utf-8", "replace")


def _need(data: bytes, n: int, what: str) -> None:
    if len(data) < n:
        raise Truncated(f"monitor {what} needs {n} bytes, got {len(data)}", layer="monitor")


@dataclass(frozen=True, slots=True)
class MonitorRecord:
    """A monitor record with a name and its decoded fields."""

    opcode: int
    adapter: int
    values: tuple[tuple[str, object], ...]

    @property
    def name(self) -> str:
        return OPCODE_NAMES.get(self.opcode, f"Monitor opcode {self.opcode}")

    def fields(self) -> dict[str, object]:
        return {"adapter": self.adapter, **dict(self.values)}

    def get(self, key: str) -> object:
        for k, v in self.values:
            if k == key:
                return v
        return None


def _addr_fields(params: bytes) -> list[tuple[str, object]]:
    if len(params) >= 7:
        return [("address", address_str(params[0:6])), ("address_type", params[6])]
    return []


def parse_monitor(opcode: int, adapter: int, data: bytes) -> MonitorRecord:
    """Decode a non-HCI monitor record; raises ``Truncated`` when it is too short."""
    v: list[tuple[str, object]] = []
    if opcode == 0:
        _need(data, 16, "New Index")
        v = [
            ("type", data[0]),
            ("bus", data[1]),
            ("address", address_str(data[2:8])),
            ("name", _cstr(data[8:16])),
        ]
    elif opcode == 10:
        _need(data, 8, "Index Info")
        v = [
            ("address", address_str(data[0:6])),
            ("manufacturer", struct.unpack_from("<H", data, 6)[0]),
        ]
    elif opcode in (11, 12):
        v = [("text", _cstr(data))]
    elif opcode == 13:
        _need(data, 2, "User Logging")
        prio, ident_len = data[0], data[1]
        _need(data, 2 + ident_len, "User Logging ident")
        v = [
            ("priority", prio),
            ("ident", _cstr(data[2 : 2 + ident_len])),
            ("message", _cstr(data[2 + ident_len :]).rstrip("\n")),
        ]
    elif opcode == 14:
        _need(data, 13, "Control Open")
        cookie, fmt, version, revision, flags = struct.unpack_from("<IHBHI", data, 0)
        process = ""
        if len(data) >= 14:
            comm_len = data[13]
            process = _cstr(data[14 : 14 + comm_len])
        v = [
            ("cookie", cookie),
            ("format", CONTROL_FORMATS.get(fmt, f"0x{fmt:04x}")),
            ("version", version),
            ("revision", revision),
            ("trusted", bool(flags & 1)),
            ("process", process),
        ]
    elif opcode == 15:
        _need(data, 4, "Control Close")
        v = [("cookie", struct.unpack_from("<I", data)[0])]
    elif opcode == 16:
        _need(data, 6, "Control Command")
        cookie, op = struct.unpack_from("<IH", data)
        params = data[6:]
        v = [("cookie", cookie), ("opcode", op), ("opcode_name", mgmt_opcode_name(op))]
        if op in _ADDR_COMMANDS:
            v += _addr_fields(params)
        if op == 0x0019 and len(params) >= 8:
            v.append(("io_capability", params[7]))
        if op == 0x0018 and len(params) >= 1:
            v.append(("io_capability", params[0]))
        v.append(("params", params.hex()))
    elif opcode == 17:
        _need(data, 6, "Control Event")
        cookie, ev = struct.unpack_from("<IH", data)
        params = data[6:]
        v = [("cookie", cookie), ("event", ev), ("event_name", mgmt_event_name(ev))]
        if ev in (0x0001, 0x0002) and len(params) >= 3:
            op, status = struct.unpack_from("<HB", params)
            v += [
                ("command_opcode", op),
                ("command_name", mgmt_opcode_name(op)),
                ("status", status),
                ("status_name", mgmt_status_name(status)),
            ]
        elif ev in _ADDR_EVENTS:
            v += _addr_fields(params)
            if ev in (0x000D, 0x0011) and len(params) >= 8:
                v += [("status", params[7]), ("status_name", mgmt_status_name(params[7]))]
            if ev == 0x000C and len(params) >= 8:
                v.append(("reason", params[7]))
    return MonitorRecord(opcode, adapter, tuple(v))
