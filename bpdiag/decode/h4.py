"""HCI transports: from a capture record to (packet type, body, direction, adapter).

Every HCI link type carries the same four HCI packets (Vol 4, Part E, 5.4); they differ in
how they say which packet it is, which way it went and on which controller:

======================  =====================================  ===========================
link type               packet type                            direction / adapter
======================  =====================================  ===========================
btsnoop 1001 (H1)       none: record flags bit 1 set = command  flags bit 0: 0 sent,
                        or event (event when bit 0 is set),      1 received; adapter 0
                        clear = data (taken as ACL; H1 cannot
                        tell SCO from ACL)
btsnoop 1002 (H4)       the first byte (Vol 4, Part A, 2:       flags bit 0 (never bit 1,
                        0x01 command, 0x02 ACL, 0x03 SCO,       which Android writes
                        0x04 event, 0x05 ISO)                   unreliably); adapter 0
btsnoop 2001 (monitor)  record flags low 16 bits = monitor      from the opcode; adapter =
                        opcode (BlueZ src/shared/btsnoop.h):     flags >> 16
                        2 command, 3 event, 4/5 ACL TX/RX,
                        6/7 SCO TX/RX, 18/19 ISO TX/RX; the
                        others are monitor records, not HCI
pcap 187 (H4)           the first byte                          none on file: command →
                                                                sent, event → received,
                                                                else unknown; adapter =
                                                                pcapng interface id
pcap 201 (H4 + phdr)    the byte after a 4-byte big-endian      phdr bit 0: 0 sent,
                        direction pseudo-header                 1 received (as Wireshark's
                                                                wiretap reads it); adapter =
                                                                pcapng interface id
pcap 254 (monitor)      2-byte big-endian adapter index and     as btsnoop 2001
                        2-byte big-endian monitor opcode, then
                        the data
======================  =====================================  ===========================

``split`` returns where the body starts instead of slicing it, for the hot path;
``unwrap`` slices.  A monitor record that is not an HCI packet comes back with packet type
``MONITOR`` and its monitor opcode.  Unknown H4 packet types are returned as they are (the
caller decides how to report them); only framing that cannot be read raises a
``DecodeError`` (``Truncated`` for a record too short for its header, ``Unsupported`` for a
link type that is not an HCI transport).
"""

from __future__ import annotations

import struct
from typing import NamedTuple

from bpdiag.capture.record import Direction, LinkType, Record
from bpdiag.errors import Stage, Truncated, Unsupported

COMMAND = 0x01
ACL = 0x02
SCO = 0x03
EVENT = 0x04
ISO = 0x05
MONITOR = -1
"""Not an H4 value: a Linux monitor record that is no HCI packet."""

PACKET_TYPE_NAMES = {
    COMMAND: "Command",
    ACL: "ACL Data",
    SCO: "Synchronous Data",
    EVENT: "Event",
    ISO: "ISO Data",
}
KNOWN_TYPES = frozenset(PACKET_TYPE_NAMES)

HCI_LINK_TYPES = frozenset(
    {
        LinkType.BTSNOOP_H1,
        LinkType.BTSNOOP_H4,
        LinkType.BTSNOOP_MONITOR,
        LinkType.BLUETOOTH_HCI_H4,
        LinkType.BLUETOOTH_HCI_H4_WITH_PHDR,
        LinkType.BLUETOOTH_LINUX_MONITOR,
    }
)

# Monitor opcode → (H4 packet type, direction) for the opcodes that carry HCI packets
# (BlueZ src/shared/btsnoop.h BTSNOOP_OPCODE_*).
MONITOR_HCI: dict[int, tuple[int, Direction]] = {
    2: (COMMAND, Direction.SENT),
    3: (EVENT, Direction.RECEIVED),
    4: (ACL, Direction.SENT),
    5: (ACL, Direction.RECEIVED),
    6: (SCO, Direction.SENT),
    7: (SCO, Direction.RECEIVED),
    18: (ISO, Direction.SENT),
    19: (ISO, Direction.RECEIVED),
}

_BE_U32 = struct.Struct(">I")
_BE_U16U16 = struct.Struct(">HH")
_SENT = Direction.SENT
_RECEIVED = Direction.RECEIVED
_UNKNOWN = Direction.UNKNOWN


def packet_type_name(ptype: int) -> str:
    return PACKET_TYPE_NAMES.get(ptype) or f"reserved (0x{ptype:02x})"


class Framing(NamedTuple):
    """Where the HCI packet is in a record's payload."""

    ptype: int  # H4 packet type, or MONITOR
    offset: int  # where the body starts in the payload
    direction: Direction
    adapter: int
    monitor_opcode: int  # the Linux monitor opcode (datalinks 2001 / 254), -1 elsewhere


class HciPacket(NamedTuple):
    """An HCI packet (or monitor record) lifted out of its transport."""

    ptype: int
    body: bytes
    direction: Direction
    adapter: int
    monitor_opcode: int = -1


def split(link_type: int, payload: bytes, flags: int = 0) -> Framing:
    """Read the transport framing of one record: see the module docstring for each link
    type.  ``flags`` is ``Record.flags`` (btsnoop's flags word)."""
    if link_type == LinkType.BTSNOOP_H4 or link_type == LinkType.BLUETOOTH_HCI_H4:
        if not payload:
            raise Truncated("empty H4 packet: no packet type byte", layer=Stage.H4)
        ptype = payload[0]
        if link_type == LinkType.BTSNOOP_H4:
            return Framing(ptype, 1, _RECEIVED if flags & 1 else _SENT, 0, -1)
        if ptype == COMMAND:
            direction = _SENT
        elif ptype == EVENT:
            direction = _RECEIVED
        else:
            direction = _UNKNOWN
        return Framing(ptype, 1, direction, flags >> 16, -1)
    if link_type == LinkType.BTSNOOP_MONITOR:
        opcode = flags & 0xFFFF
        hci = MONITOR_HCI.get(opcode)
        if hci is None:
            return Framing(MONITOR, 0, _UNKNOWN, flags >> 16, opcode)
        return Framing(hci[0], 0, hci[1], flags >> 16, opcode)
    if link_type == LinkType.BLUETOOTH_HCI_H4_WITH_PHDR:
        if len(payload) < 5:
            raise Truncated(
                f"H4 with pseudo-header needs 5 bytes (4-byte direction, packet type), "
                f"got {len(payload)}",
                layer=Stage.H4,
            )
        direction = _RECEIVED if _BE_U32.unpack_from(payload)[0] & 1 else _SENT
        return Framing(payload[4], 5, direction, flags >> 16, -1)
    if link_type == LinkType.BLUETOOTH_LINUX_MONITOR:
        if len(payload) < 4:
            raise Truncated(
                f"Linux monitor pseudo-header needs 4 bytes (adapter, opcode), got {len(payload)}",
                layer=Stage.MONITOR,
            )
        adapter, opcode = _BE_U16U16.unpack_from(payload)
        hci = MONITOR_HCI.get(opcode)
        if hci is None:
            return Framing(MONITOR, 4, _UNKNOWN, adapter, opcode)
        return Framing(hci[0], 4, hci[1], adapter, opcode)
    if link_type == LinkType.BTSNOOP_H1:
        direction = _RECEIVED if flags & 1 else _SENT
        if flags & 2:
            return Framing(EVENT if flags & 1 else COMMAND, 0, direction, 0, -1)
        return Framing(ACL, 0, direction, 0, -1)
    raise Unsupported(f"link type {link_type} is not an HCI transport", layer=Stage.H4)


def unwrap(rec: Record) -> HciPacket:
    """The HCI packet (or monitor record) in ``rec``, with its body sliced out."""
    f = split(rec.link_type, rec.payload, rec.flags)
    body = rec.payload[f.offset :] if f.offset else rec.payload
    return HciPacket(f.ptype, body, f.direction, f.adapter, f.monitor_opcode)
