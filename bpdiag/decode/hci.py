"""HCI commands and events that matter to connections and security.

Bluetooth Core Spec v5.4, Vol 4, Part E: packet formats in 5.4 (command 5.4.1, ACL 5.4.2,
event 5.4.4), commands in 7.1/7.4/7.8, events in 7.7; error codes in Vol 1, Part F, 1.3.

``parse_command`` and ``parse_event`` check the parameter length byte against the data and
each typed message's minimum length before reading; anything short is a ``DecodeError``.
Messages bpdiag has no class for come back as ``HciCommand`` / ``HciEvent`` /
``LeMetaEvent`` with their raw parameters and a name.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from bpdiag.errors import BadLength, Truncated

KEY_FIELDS = frozenset({"ltk"})

# Vol 1, Part F, 1.3, Table 1.1 — controller error codes.
STATUS_NAMES = {
    0x00: "Success",
    0x01: "Unknown HCI Command",
    0x02: "Unknown Connection Identifier",
    0x03: "Hardware Failure",
    0x04: "Page Timeout",
    0x05: "Authentication Failure",
    0x06: "PIN or Key Missing",
    0x07: "Memory Capacity Exceeded",
    0x08: "Connection Timeout",
    0x09: "Connection Limit Exceeded",
    0x0A: "Synchronous Connection Limit To A Device Exceeded",
    0x0B: "Connection Already Exists",
    0x0C: "Command Disallowed",
    0x0D: "Connection Rejected due to Limited Resources",
    0x0E: "Connection Rejected Due To Security Reasons",
    0x0F: "Connection Rejected due to Unacceptable BD_ADDR",
    0x10: "Connection Accept Timeout Exceeded",
    0x11: "Unsupported Feature or Parameter Value",
    0x12: "Invalid HCI Command Parameters",
    0x13: "Remote User Terminated Connection",
    0x14: "Remote Device Terminated Connection due to Low Resources",
    0x15: "Remote Device Terminated Connection due to Power Off",
    0x16: "Connection Terminated By Local Host",
    0x17: "Repeated Attempts",
    0x18: "Pairing Not Allowed",
    0x19: "Unknown LMP PDU",
    0x1A: "Unsupported Remote Feature",
    0x1B: "SCO Offset Rejected",
    0x1C: "SCO Interval Rejected",
    0x1D: "SCO Air Mode Rejected",
    0x1E: "Invalid LMP Parameters / Invalid LL Parameters",
    0x1F: "Unspecified Error",
    0x20: "Unsupported LMP Parameter Value / Unsupported LL Parameter Value",
    0x21: "Role Change Not Allowed",
    0x22: "LMP Response Timeout / LL Response Timeout",
    0x23: "LMP Error Transaction Collision / LL Procedure Collision",
    0x24: "LMP PDU Not Allowed",
    0x25: "Encryption Mode Not Acceptable",
    0x26: "Link Key cannot be Changed",
    0x27: "Requested QoS Not Supported",
    0x28: "Instant Passed",
    0x29: "Pairing With Unit Key Not Supported",
    0x2A: "Different Transaction Collision",
    0x2C: "QoS Unacceptable Parameter",
    0x2D: "QoS Rejected",
    0x2E: "Channel Classification Not Supported",
    0x2F: "Insufficient Security",
    0x30: "Parameter Out Of Mandatory Range",
    0x32: "Role Switch Pending",
    0x34: "Reserved Slot Violation",
    0x35: "Role Switch Failed",
    0x36: "Extended Inquiry Response Too Large",
    0x37: "Secure Simple Pairing Not Supported By Host",
    0x38: "Host Busy - Pairing",
    0x39: "Connection Rejected due to No Suitable Channel Found",
    0x3A: "Controller Busy",
    0x3B: "Unacceptable Connection Parameters",
    0x3C: "Advertising Timeout",
    0x3D: "Connection Terminated due to MIC Failure",
    0x3E: "Connection Failed to be Established / Synchronization Timeout",
    0x40: "Coarse Clock Adjustment Rejected but Will Try to Adjust Using Clock Dragging",
    0x41: "Type0 Submap Not Defined",
    0x42: "Unknown Advertising Identifier",
    0x43: "Limit Reached",
    0x44: "Operation Cancelled by Host",
    0x45: "Packet Too Long",
    0x46: "Too Late",
    0x47: "Too Early",
}

COMMAND_NAMES = {
    0x0401: "Inquiry",
    0x0405: "Create Connection",
    0x0406: "Disconnect",
    0x040B: "Link Key Request Reply",
    0x040C: "Link Key Request Negative Reply",
    0x0411: "Authentication Requested",
    0x0413: "Set Connection Encryption",
    0x0C01: "Set Event Mask",
    0x0C03: "Reset",
    0x1001: "Read Local Version Information",
    0x1009: "Read BD_ADDR",
    0x2001: "LE Set Event Mask",
    0x2005: "LE Set Random Address",
    0x2006: "LE Set Advertising Parameters",
    0x2008: "LE Set Advertising Data",
    0x200A: "LE Set Advertising Enable",
    0x200B: "LE Set Scan Parameters",
    0x200C: "LE Set Scan Enable",
    0x200D: "LE Create Connection",
    0x200E: "LE Create Connection Cancel",
    0x2013: "LE Connection Update",
    0x2016: "LE Read Remote Features",
    0x2019: "LE Enable Encryption",
    0x201A: "LE Long Term Key Request Reply",
    0x201B: "LE Long Term Key Request Negative Reply",
    0x2022: "LE Set Data Length",
    0x2027: "LE Add Device To Resolving List",
    0x202D: "LE Set Address Resolution Enable",
    0x2032: "LE Set PHY",
    0x2041: "LE Set Extended Scan Parameters",
    0x2042: "LE Set Extended Scan Enable",
    0x2043: "LE Extended Create Connection",
}

EVENT_NAMES = {
    0x03: "Connection Complete",
    0x05: "Disconnection Complete",
    0x06: "Authentication Complete",
    0x08: "Encryption Change",
    0x0E: "Command Complete",
    0x0F: "Command Status",
    0x13: "Number Of Completed Packets",
    0x30: "Encryption Key Refresh Complete",
    0x3E: "LE Meta",
    0x59: "Encryption Change v2",
    0xFF: "Vendor Specific",
}

LE_SUBEVENT_NAMES = {
    0x01: "LE Connection Complete",
    0x02: "LE Advertising Report",
    0x03: "LE Connection Update Complete",
    0x04: "LE Read Remote Features Complete",
    0x05: "LE Long Term Key Request",
    0x07: "LE Data Length Change",
    0x0A: "LE Enhanced Connection Complete",
    0x0C: "LE PHY Update Complete",
    0x0D: "LE Extended Advertising Report",
    0x29: "LE Enhanced Connection Complete v2",
}

ADDRESS_TYPES = {0: "public", 1: "random", 2: "public-identity", 3: "random-identity"}


def status_name(code: int) -> str:
    return STATUS_NAMES.get(code, f"reserved (0x{code:02x})")


def command_name(opcode: int) -> str:
    if opcode >> 10 == 0x3F:
        return f"Vendor Command (0x{opcode:04x})"
    return COMMAND_NAMES.get(opcode, f"Command (0x{opcode:04x})")


def event_name(code: int) -> str:
    return EVENT_NAMES.get(code, f"Event (0x{code:02x})")


def address_str(wire: bytes) -> str:
    """A BD_ADDR as printed: most significant byte first (wire order is reversed)."""
    return ":".join(f"{b:02X}" for b in reversed(wire))


def address_type_name(t: int) -> str:
    return ADDRESS_TYPES.get(t, f"reserved (0x{t:02x})")


def _need(params: bytes, n: int, what: str) -> None:
    if len(params) < n:
        raise Truncated(f"HCI {what} needs {n} parameter bytes, got {len(params)}", layer="hci")


# ---------------------------------------------------------------- commands
@dataclass(frozen=True, slots=True)
class HciCommand:
    """Any HCI command (Vol 4, Part E, 5.4.1): opcode and raw parameters."""

    opcode: int
    params: bytes = b""

    @property
    def name(self) -> str:
        return command_name(self.opcode)

    def fields(self) -> dict[str, object]:
        return {"params": self.params.hex()}


@dataclass(frozen=True, slots=True)
class Disconnect:
    """Vol 4, Part E, 7.1.6 Disconnect."""

    handle: int
    reason: int
    opcode: int = 0x0406
    name: str = "Disconnect"

    def fields(self) -> dict[str, object]:
        return {
            "handle": self.handle,
            "reason": self.reason,
            "reason_name": status_name(self.reason),
        }


@dataclass(frozen=True, slots=True)
class LeCreateConnection:
    """Vol 4, Part E, 7.8.12 LE Create Connection / 7.8.66 LE Extended Create Connection."""

    opcode: int
    peer_address_type: int
    peer_address: str

    @property
    def name(self) -> str:
        return command_name(self.opcode)

    def fields(self) -> dict[str, object]:
        return {"peer_address_type": self.peer_address_type, "peer_address": self.peer_address}


@dataclass(frozen=True, slots=True)
class LeEnableEncryption:
    """Vol 4, Part E, 7.8.24 LE Enable Encryption (LE Start Encryption)."""

    handle: int
    rand: bytes
    ediv: int
    ltk: bytes
    opcode: int = 0x2019
    name: str = "LE Start Encryption"

    def fields(self) -> dict[str, object]:
        return {
            "handle": self.handle,
            "rand": self.rand.hex(),
            "ediv": self.ediv,
            "ltk": self.ltk.hex(),
        }


@dataclass(frozen=True, slots=True)
class LeLtkReply:
    """Vol 4, Part E, 7.8.25 LE Long Term Key Request Reply."""

    handle: int
    ltk: bytes
    opcode: int = 0x201A
    name: str = "LE Long Term Key Request Reply"

    def fields(self) -> dict[str, object]:
        return {"handle": self.handle, "ltk": self.ltk.hex()}


@dataclass(frozen=True, slots=True)
class LeLtkNegativeReply:
    """Vol 4, Part E, 7.8.26 LE Long Term Key Request Negative Reply."""

    handle: int
    opcode: int = 0x201B
    name: str = "LE Long Term Key Request Negative Reply"

    def fields(self) -> dict[str, object]:
        return {"handle": self.handle}


@dataclass(frozen=True, slots=True)
class HandleCommand:
    """Commands whose only parameter of interest is a handle (Authentication Requested
    7.1.15, Set Connection Encryption 7.1.16)."""

    opcode: int
    handle: int

    @property
    def name(self) -> str:
        return command_name(self.opcode)

    def fields(self) -> dict[str, object]:
        return {"handle": self.handle}


def parse_command(data: bytes) -> object:
    """Decode an HCI command packet: opcode (u16), parameter length (u8), parameters."""
    if len(data) < 3:
        raise Truncated(f"HCI command header needs 3 bytes, got {len(data)}", layer="hci")
    opcode, plen = struct.unpack_from("<HB", data, 0)
    params = bytes(data[3:])
    if len(params) != plen:
        cls = Truncated if len(params) < plen else BadLength
        raise cls(
            f"HCI {command_name(opcode)}: parameter length says {plen}, got {len(params)}",
            layer="hci",
        )
    if opcode == 0x0406:
        _need(params, 3, "Disconnect")
        return Disconnect(struct.unpack_from("<H", params)[0] & 0x0FFF, params[2])
    if opcode == 0x2019:
        _need(params, 28, "LE Start Encryption")
        h, ediv = struct.unpack_from("<H", params)[0], struct.unpack_from("<H", params, 10)[0]
        return LeEnableEncryption(h & 0x0FFF, params[2:10], ediv, params[12:28])
    if opcode == 0x201A:
        _need(params, 18, "LE LTK Request Reply")
        return LeLtkReply(struct.unpack_from("<H", params)[0] & 0x0FFF, params[2:18])
    if opcode == 0x201B:
        _need(params, 2, "LE LTK Request Negative Reply")
        return LeLtkNegativeReply(struct.unpack_from("<H", params)[0] & 0x0FFF)
    if opcode == 0x200D:
        _need(params, 12, "LE Create Connection")
        return LeCreateConnection(opcode, params[5], address_str(params[6:12]))
    if opcode == 0x2043:
        _need(params, 10, "LE Extended Create Connection")
        return LeCreateConnection(opcode, params[2], address_str(params[3:9]))
    if opcode in (0x0411, 0x0413):
        _need(params, 2, command_name(opcode))
        return HandleCommand(opcode, struct.unpack_from("<H", params)[0] & 0x0FFF)
    return HciCommand(opcode, params)


# ---------------------------------------------------------------- events
@dataclass(frozen=True, slots=True)
class HciEvent:
    """Any HCI event (Vol 4, Part E, 5.4.4): event code and raw parameters."""

    code: int
    params: bytes = b""

    @property
    def name(self) -> str:
        return event_name(self.code)

    def fields(self) -> dict[str, object]:
        return {"params": self.params.hex()}


@dataclass(frozen=True, slots=True)
class LeMetaEvent:
    """An LE Meta subevent bpdiag does not decode (Vol 4, Part E, 7.7.65)."""

    subevent: int
    params: bytes = b""
    code: int = 0x3E

    @property
    def name(self) -> str:
        return LE_SUBEVENT_NAMES.get(self.subevent, f"LE Meta (0x{self.subevent:02x})")

    def fields(self) -> dict[str, object]:
        return {"subevent": self.subevent, "params": self.params.hex()}


@dataclass(frozen=True, slots=True)
class ConnectionComplete:
    """Vol 4, Part E, 7.7.3 Connection Complete (BR/EDR)."""

    status: int
    handle: int
    peer_address: str
    link_type: int
    encryption_enabled: int
    code: int = 0x03
    name: str = "Connection Complete"

    def fields(self) -> dict[str, object]:
        return {
            "status": self.status,
            "handle": self.handle,
            "peer_address": self.peer_address,
            "link_type": self.link_type,
            "encryption_enabled": self.encryption_enabled,
        }


@dataclass(frozen=True, slots=True)
class LeConnectionComplete:
    """Vol 4, Part E, 7.7.65.1 LE Connection Complete, 7.7.65.10 LE Enhanced Connection
    Complete (v1) and its v2 (0x29)."""

    subevent: int
    status: int
    handle: int
    role: int  # 0 central, 1 peripheral (the local controller's role)
    peer_address_type: int
    peer_address: str
    interval: int
    latency: int
    timeout: int
    local_rpa: str | None = None
    peer_rpa: str | None = None
    code: int = 0x3E

    @property
    def name(self) -> str:
        return LE_SUBEVENT_NAMES[self.subevent]

    @property
    def role_name(self) -> str:
        return {0: "central", 1: "peripheral"}.get(self.role, f"reserved (0x{self.role:02x})")

    def fields(self) -> dict[str, object]:
        out: dict[str, object] = {
            "subevent": self.subevent,
            "status": self.status,
            "handle": self.handle,
            "role": self.role_name,
            "peer_address_type": self.peer_address_type,
            "peer_address": self.peer_address,
            "interval": self.interval,
            "latency": self.latency,
            "timeout": self.timeout,
        }
        if self.local_rpa is not None:
            out["local_rpa"] = self.local_rpa
            out["peer_rpa"] = self.peer_rpa
        return out


@dataclass(frozen=True, slots=True)
class LeLtkRequest:
    """Vol 4, Part E, 7.7.65.5 LE Long Term Key Request."""

    handle: int
    rand: bytes
    ediv: int
    code: int = 0x3E
    subevent: int = 0x05
    name: str = "LE Long Term Key Request"

    def fields(self) -> dict[str, object]:
        return {"subevent": 5, "handle": self.handle, "rand": self.rand.hex(), "ediv": self.ediv}


@dataclass(frozen=True, slots=True)
class DisconnectionComplete:
    """Vol 4, Part E, 7.7.5 Disconnection Complete."""

    status: int
    handle: int
    reason: int
    code: int = 0x05
    name: str = "Disconnection Complete"

    def fields(self) -> dict[str, object]:
        return {
            "status": self.status,
            "handle": self.handle,
            "reason": self.reason,
            "reason_name": status_name(self.reason),
        }


@dataclass(frozen=True, slots=True)
class EncryptionChange:
    """Vol 4, Part E, 7.7.8 Encryption Change (v1) and 7.7.8.2 Encryption Change v2 (0x59,
    with the key size)."""

    code: int
    status: int
    handle: int
    encryption_enabled: int
    key_size: int | None = None

    @property
    def name(self) -> str:
        return event_name(self.code)

    def fields(self) -> dict[str, object]:
        out: dict[str, object] = {
            "status": self.status,
            "status_name": status_name(self.status),
            "handle": self.handle,
            "encryption_enabled": self.encryption_enabled,
        }
        if self.key_size is not None:
            out["key_size"] = self.key_size
        return out


@dataclass(frozen=True, slots=True)
class EncryptionKeyRefreshComplete:
    """Vol 4, Part E, 7.7.39 Encryption Key Refresh Complete."""

    status: int
    handle: int
    code: int = 0x30
    name: str = "Encryption Key Refresh Complete"

    def fields(self) -> dict[str, object]:
        return {
            "status": self.status,
            "status_name": status_name(self.status),
            "handle": self.handle,
        }


@dataclass(frozen=True, slots=True)
class CommandComplete:
    """Vol 4, Part E, 7.7.14 Command Complete (return parameters decoded for the commands
    bpdiag follows: status, and handle / BD_ADDR where they have one)."""

    opcode: int
    status: int | None
    handle: int | None = None
    bd_addr: str | None = None
    code: int = 0x0E

    @property
    def name(self) -> str:
        return f"Command Complete ({command_name(self.opcode)})"

    def fields(self) -> dict[str, object]:
        out: dict[str, object] = {"command_opcode": self.opcode, "status": self.status}
        if self.handle is not None:
            out["handle"] = self.handle
        if self.bd_addr is not None:
            out["bd_addr"] = self.bd_addr
        return out


@dataclass(frozen=True, slots=True)
class CommandStatus:
    """Vol 4, Part E, 7.7.15 Command Status."""

    status: int
    opcode: int
    code: int = 0x0F

    @property
    def name(self) -> str:
        return f"Command Status ({command_name(self.opcode)})"

    def fields(self) -> dict[str, object]:
        return {
            "command_opcode": self.opcode,
            "status": self.status,
            "status_name": status_name(self.status),
        }


_HANDLE_RETURN = frozenset({0x201A, 0x201B})


def _le_meta(params: bytes) -> object:
    _need(params, 1, "LE Meta event")
    sub = params[0]
    p = params[1:]
    if sub == 0x01:
        _need(p, 18, "LE Connection Complete")
        status, handle, role, atype = struct.unpack_from("<BHBB", p)
        interval, latency, timeout = struct.unpack_from("<HHH", p, 11)
        return LeConnectionComplete(
            sub,
            status,
            handle & 0x0FFF,
            role,
            atype,
            address_str(p[5:11]),
            interval,
            latency,
            timeout,
        )
    if sub in (0x0A, 0x29):
        _need(p, 30, LE_SUBEVENT_NAMES[sub])
        status, handle, role, atype = struct.unpack_from("<BHBB", p)
        interval, latency, timeout = struct.unpack_from("<HHH", p, 23)
        return LeConnectionComplete(
            sub,
            status,
            handle & 0x0FFF,
            role,
            atype,
            address_str(p[5:11]),
            interval,
            latency,
            timeout,
            address_str(p[11:17]),
            address_str(p[17:23]),
        )
    if sub == 0x05:
        _need(p, 12, "LE Long Term Key Request")
        return LeLtkRequest(
            struct.unpack_from("<H", p)[0] & 0x0FFF, p[2:10], struct.unpack_from("<H", p, 10)[0]
        )
    return LeMetaEvent(sub, p)


def parse_event(data: bytes) -> object:
    """Decode an HCI event packet: event code (u8), parameter length (u8), parameters."""
    if len(data) < 2:
        raise Truncated(f"HCI event header needs 2 bytes, got {len(data)}", layer="hci")
    code, plen = data[0], data[1]
    params = bytes(data[2:])
    if len(params) != plen:
        cls = Truncated if len(params) < plen else BadLength
        raise cls(
            f"HCI {event_name(code)} event: parameter length says {plen}, got {len(params)}",
            layer="hci",
        )
    if code == 0x3E:
        return _le_meta(params)
    if code == 0x05:
        _need(params, 4, "Disconnection Complete")
        status, handle, reason = struct.unpack_from("<BHB", params)
        return DisconnectionComplete(status, handle & 0x0FFF, reason)
    if code == 0x08:
        _need(params, 4, "Encryption Change")
        status, handle, enabled = struct.unpack_from("<BHB", params)
        return EncryptionChange(code, status, handle & 0x0FFF, enabled)
    if code == 0x59:
        _need(params, 5, "Encryption Change v2")
        status, handle, enabled, size = struct.unpack_from("<BHBB", params)
        return EncryptionChange(code, status, handle & 0x0FFF, enabled, size)
    if code == 0x30:
        _need(params, 3, "Encryption Key Refresh Complete")
        status, handle = struct.unpack_from("<BH", params)
        return EncryptionKeyRefreshComplete(status, handle & 0x0FFF)
    if code == 0x03:
        _need(params, 11, "Connection Complete")
        status, handle = struct.unpack_from("<BH", params)
        return ConnectionComplete(
            status, handle & 0x0FFF, address_str(params[3:9]), params[9], params[10]
        )
    if code == 0x0E:
        _need(params, 3, "Command Complete")
        opcode = struct.unpack_from("<H", params, 1)[0]
        ret = params[3:]
        status = ret[0] if ret else None
        handle = None
        bd_addr = None
        if opcode in _HANDLE_RETURN and len(ret) >= 3:
            handle = struct.unpack_from("<H", ret, 1)[0] & 0x0FFF
        elif opcode == 0x1009 and len(ret) >= 7:
            bd_addr = address_str(ret[1:7])
        return CommandComplete(opcode, status, handle, bd_addr)
    if code == 0x0F:
        _need(params, 4, "Command Status")
        status, _n, opcode = struct.unpack_from("<BBH", params)
        return CommandStatus(status, opcode)
    return HciEvent(code, params)


def parse_acl(data: bytes) -> tuple[int, int, int, bytes]:
    """Decode an ACL data packet header (Vol 4, Part E, 5.4.2):
    (handle, packet boundary flag, broadcast flag, payload)."""
    if len(data) < 4:
        raise Truncated(f"HCI ACL header needs 4 bytes, got {len(data)}", layer="hci")
    hf, length = struct.unpack_from("<HH", data, 0)
    payload = data[4:]
    if len(payload) != length:
        cls = Truncated if len(payload) < length else BadLength
        raise cls(f"HCI ACL data length says {length}, got {len(payload)}", layer="hci")
    return hf & 0x0FFF, (hf >> 12) & 3, (hf >> 14) & 3, payload
