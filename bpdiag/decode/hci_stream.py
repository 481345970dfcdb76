"""Records → PDUs for HCI captures: btsnoop H1/H4/monitor, pcap H4, H4 with phdr, monitor.

Transports (how each link type carries an HCI packet):
- H4 (btsnoop 1002, pcap 187): one packet-type byte (Vol 4, Part A, 2: 0x01 command, 0x02
  ACL, 0x03 SCO, 0x04 event, 0x05 ISO), then the packet.  pcap 187 has no direction: commands
  are host→controller, events controller→host, ACL unknown.
- H1 (btsnoop 1001): no type byte; record flags bit 1 = command/event, bit 0 = direction.
- pcap 201: a 4-byte big-endian direction (0 sent, 1 received), then H4.
- Linux monitor (btsnoop 2001: opcode and adapter in the record flags; pcap 254: a 4-byte
  big-endian header adapter u16, opcode u16): opcodes 2/3/4/5/6/7/18/19 are HCI packets,
  the rest monitor records (bpdiag.decode.monitor).

This is the hot path: most records are ACL data the analysis does not need, and those
return after a few byte comparisons without allocating anything.
"""

from __future__ import annotations

import struct
from collections.abc import Callable

from bpdiag.capture.record import Direction, LinkType, Problem, Record
from bpdiag.decode import att, hci, smp
from bpdiag.decode.l2cap import CID_ATT, CID_BREDR_SMP, CID_SMP, Reassembler
from bpdiag.decode.monitor import HCI_OPCODES, parse_monitor
from bpdiag.decode.pdu import Pdu
from bpdiag.errors import DecodeError

_NONE: list[Pdu] = []
_U16 = struct.Struct("<H")
_U16U16 = struct.Struct("<HH")
_ACL_L2 = struct.Struct("<HHHH")  # ACL handle/flags, ACL length, L2CAP length, CID
_BE_U32 = struct.Struct(">I")
_BE_U16U16 = struct.Struct(">HH")

_WANTED_CIDS = frozenset({CID_ATT, CID_SMP, CID_BREDR_SMP})
_EVENTS = frozenset({0x03, 0x05, 0x08, 0x0E, 0x0F, 0x30, 0x3E, 0x59})
_LE_SUBEVENTS = frozenset({0x01, 0x05, 0x0A, 0x29})
_COMMANDS = frozenset({0x0406, 0x0411, 0x0413, 0x200D, 0x2019, 0x201A, 0x201B, 0x2043})
_COMPLETE_FOR = frozenset({0x1009, 0x201A, 0x201B})
_STATUS_FOR = frozenset({0x0406, 0x0411, 0x0413, 0x200D, 0x2019, 0x2043})
_ATT_REQUESTS = att.REQUESTS

# monitor opcode → H4 packet type
_MON_TYPE = {2: 1, 3: 4, 4: 2, 5: 2, 6: 3, 7: 3, 18: 5, 19: 5}
_MON_DIR = {
    2: Direction.SENT,
    3: Direction.RECEIVED,
    4: Direction.SENT,
    5: Direction.RECEIVED,
    6: Direction.SENT,
    7: Direction.RECEIVED,
    18: Direction.SENT,
    19: Direction.RECEIVED,
}


class HciStream:
    """Feed HCI-capture records in order; get the PDUs each completes."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self._reasm = Reassembler(_WANTED_CIDS)
        self._last_request: dict[tuple[int, int, int], tuple[int, int]] = {}
        self._start_enc_handle: dict[int, int] = {}
        self._unknown_types: dict[int, list[int]] = {}

    # ------------------------------------------------------------ framing
    def feeder(self, link_type: int) -> Callable[[Record], list[Pdu]]:
        """The fastest ``feed`` for records of one link type (btsnoop H4 has its own)."""
        if link_type == LinkType.BTSNOOP_H4:
            return self._feed_h4
        return self.feed

    def _feed_h4(self, rec: Record) -> list[Pdu]:
        """``feed`` for btsnoop H4 records, with the complete-ACL fast path inlined."""
        p = rec.payload
        if len(p) >= 10 and p[0] == 2 and not self._reasm._partial:
            hf, length, l2len, cid = _ACL_L2.unpack_from(p, 1)
            if length == len(p) - 5 and l2len == length - 4 and (hf >> 12) & 3 != 1:
                if cid == CID_ATT:
                    op = p[9]
                    if op != 0x01:
                        if op in _ATT_REQUESTS:
                            self._last_request[(0, hf & 0x0FFF, rec.direction)] = (op, rec.index)
                        return _NONE
                elif cid != CID_SMP and cid != CID_BREDR_SMP:
                    return _NONE
        return self.feed(rec)

    def feed(self, rec: Record) -> list[Pdu]:
        p = rec.payload
        lt = rec.link_type
        adapter = 0
        direction = rec.direction
        if lt == LinkType.BTSNOOP_H4 or lt == LinkType.BLUETOOTH_HCI_H4:
            if not p:
                return self._problem(rec, "empty H4 packet (no packet type byte)", "h4")
            ptype = p[0]
            off = 1
            if lt == LinkType.BLUETOOTH_HCI_H4 and direction is Direction.UNKNOWN:
                if ptype == 1:
                    direction = Direction.SENT
                elif ptype == 4:
                    direction = Direction.RECEIVED
        elif lt == LinkType.BTSNOOP_MONITOR:
            opcode = rec.flags & 0xFFFF
            adapter = rec.flags >> 16
            if opcode not in HCI_OPCODES:
                return self._monitor(rec, opcode, adapter, p)
            ptype = _MON_TYPE[opcode]
            direction = _MON_DIR[opcode]
            off = 0
        elif lt == LinkType.BLUETOOTH_HCI_H4_WITH_PHDR:
            if len(p) < 5:
                return self._problem(
                    rec, f"H4 with pseudo-header needs 5 bytes, got {len(p)}", "h4"
                )
            direction = Direction.RECEIVED if _BE_U32.unpack_from(p)[0] & 1 else Direction.SENT
            ptype = p[4]
            off = 5
        elif lt == LinkType.BLUETOOTH_LINUX_MONITOR:
            if len(p) < 4:
                return self._problem(
                    rec, f"Linux monitor pseudo-header needs 4 bytes, got {len(p)}", "monitor"
                )
            adapter, opcode = _BE_U16U16.unpack_from(p)
            if opcode not in HCI_OPCODES:
                return self._monitor(rec, opcode, adapter, p[4:])
            ptype = _MON_TYPE[opcode]
            direction = _MON_DIR[opcode]
            off = 4
        elif lt == LinkType.BTSNOOP_H1:
            ptype = (4 if rec.flags & 1 else 1) if rec.flags & 2 else 2
            off = 0
        else:
            return _NONE
        if ptype == 2:
            return self._acl(rec, p, off, adapter, direction)
        if ptype == 4:
            if len(p) > off and p[off] in _EVENTS:
                return self._event(rec, p[off:], adapter, direction)
            return _NONE
        if ptype == 1:
            if len(p) >= off + 2 and _U16.unpack_from(p, off)[0] in _COMMANDS:
                return self._command(rec, p[off:], adapter, direction)
            return _NONE
        if ptype in (3, 5):
            return _NONE
        return self._unknown_type(rec, ptype)

    def _unknown_type(self, rec: Record, ptype: int) -> list[Pdu]:
        """Report the first record of each unknown H4 type; count the rest (see finish)."""
        seen = self._unknown_types.get(ptype)
        if seen is None:
            self._unknown_types[ptype] = [rec.index, 1]
            return self._problem(
                rec,
                f"unknown H4 packet type 0x{ptype:02x}; the record is skipped "
                "(later records of this type are counted, not listed)",
                "h4",
            )
        seen[1] += 1
        return _NONE

    def _problem(self, rec: Record, message: str, layer: str) -> list[Pdu]:
        self.problems.append(Problem(rec.index, rec.file_offset, message, layer))
        return _NONE

    # ------------------------------------------------------------ ACL / L2CAP
    def _acl(
        self, rec: Record, p: bytes, off: int, adapter: int, direction: Direction
    ) -> list[Pdu]:
        if len(p) < off + 4:
            return self._problem(rec, f"HCI ACL header needs 4 bytes, got {len(p) - off}", "hci")
        hf, length = _U16U16.unpack_from(p, off)
        handle = hf & 0x0FFF
        pb = (hf >> 12) & 3
        data = p[off + 4 :]
        if len(data) != length:
            msg = f"HCI ACL data length says {length}, got {len(data)}"
            if len(data) < length:
                return self._problem(rec, msg, "hci")
            self.problems.append(Problem(rec.index, rec.file_offset, msg, "hci"))
            data = data[:length]
        reasm = self._reasm
        if pb != 1 and not reasm._partial and len(data) >= 5:
            # Fast path: a complete L2CAP frame with no reassembly pending anywhere.
            l2len, cid = _U16U16.unpack_from(data)
            if l2len == len(data) - 4:
                if cid == CID_ATT:
                    op = data[4]
                    if op != 0x01:
                        if op in _ATT_REQUESTS:
                            self._last_request[(adapter, handle, direction)] = (op, rec.index)
                        return _NONE
                elif cid != CID_SMP and cid != CID_BREDR_SMP:
                    return _NONE
                return self._l2cap(rec, adapter, handle, direction, cid, data[4:], rec.index)
        key = (adapter, handle, direction)
        if pb == 1:
            frame = reasm.continuation(key, data, rec.index)
        else:
            frame = reasm.start(key, data, rec.index)
        if reasm.problems:
            for idx, msg in reasm.problems:
                self.problems.append(Problem(idx, rec.file_offset, msg, "l2cap"))
            reasm.problems.clear()
        if frame is None:
            return _NONE
        return self._l2cap(
            rec, adapter, handle, direction, frame.cid, frame.payload, frame.first_frame
        )

    def _l2cap(
        self,
        rec: Record,
        adapter: int,
        handle: int,
        direction: Direction,
        cid: int,
        payload: bytes,
        first: int,
    ) -> list[Pdu]:
        link = ("hci", adapter, handle)
        try:
            if cid == CID_ATT:
                msg = att.parse_att(payload)
                if isinstance(msg, att.AttErrorResponse):
                    other = (
                        Direction.SENT if direction is Direction.RECEIVED else Direction.RECEIVED
                    )
                    req = self._last_request.get((adapter, handle, other))
                    answers = req[1] if req is not None and req[0] == msg.request_opcode else 0
                    return [
                        Pdu(
                            rec.index,
                            rec.timestamp,
                            direction,
                            link,
                            "att",
                            0x01,
                            msg,
                            first,
                            answers,
                        )
                    ]
                if isinstance(msg, att.AttRequest):
                    self._last_request[(adapter, handle, direction)] = (msg.opcode, rec.index)
                return _NONE
            cmd = smp.parse_smp(payload)
        except DecodeError as exc:
            return self._problem(rec, str(exc), exc.layer)
        return [Pdu(rec.index, rec.timestamp, direction, link, "smp", cmd.code, cmd, first)]

    # ------------------------------------------------------------ events / commands
    def _event(self, rec: Record, data: bytes, adapter: int, direction: Direction) -> list[Pdu]:
        code = data[0]
        if code == 0x3E and (len(data) < 3 or data[2] not in _LE_SUBEVENTS):
            return _NONE
        if code == 0x0E and (len(data) < 5 or _U16.unpack_from(data, 3)[0] not in _COMPLETE_FOR):
            return _NONE
        if code == 0x0F and (len(data) < 6 or _U16.unpack_from(data, 4)[0] not in _STATUS_FOR):
            return _NONE
        try:
            msg = hci.parse_event(data)
        except DecodeError as exc:
            return self._problem(rec, str(exc), exc.layer)
        handle = getattr(msg, "handle", None)
        if isinstance(msg, hci.CommandStatus) and msg.opcode == 0x2019:
            handle = self._start_enc_handle.get(adapter)
        link = None if handle is None else ("hci", adapter, handle)
        if isinstance(msg, hci.DisconnectionComplete) and msg.status == 0:
            for d in (Direction.SENT, Direction.RECEIVED):
                self._reasm.drop((adapter, msg.handle, d))
                self._last_request.pop((adapter, msg.handle, d), None)
        return [Pdu(rec.index, rec.timestamp, direction, link, "hci", code, msg, rec.index)]

    def _command(self, rec: Record, data: bytes, adapter: int, direction: Direction) -> list[Pdu]:
        try:
            msg = hci.parse_command(data)
        except DecodeError as exc:
            return self._problem(rec, str(exc), exc.layer)
        handle = getattr(msg, "handle", None)
        if isinstance(msg, hci.LeEnableEncryption):
            self._start_enc_handle[adapter] = msg.handle
        link = None if handle is None else ("hci", adapter, handle)
        opcode = _U16.unpack_from(data)[0]
        return [Pdu(rec.index, rec.timestamp, direction, link, "hci", opcode, msg, rec.index)]

    # ------------------------------------------------------------ monitor
    def _monitor(self, rec: Record, opcode: int, adapter: int, data: bytes) -> list[Pdu]:
        if opcode == 11:  # vendor diagnostic: binary, controller-specific
            return _NONE
        try:
            msg = parse_monitor(opcode, adapter, data)
        except DecodeError as exc:
            return self._problem(rec, str(exc), exc.layer)
        return [
            Pdu(
                rec.index, rec.timestamp, Direction.UNKNOWN, None, "monitor", opcode, msg, rec.index
            )
        ]

    def finish(self) -> list[Pdu]:
        for ptype, (first, count) in self._unknown_types.items():
            if count > 1:
                self.problems.append(
                    Problem(
                        None,
                        None,
                        f"{count} records in all had unknown H4 packet type 0x{ptype:02x} "
                        f"(first at record {first})",
                        "h4",
                    )
                )
        for key, cid, have, expected in self._reasm.pending():
            if cid in _WANTED_CIDS:
                self.problems.append(
                    Problem(
                        None,
                        None,
                        f"capture ends inside an L2CAP PDU on handle 0x{key[1]:04x} CID "
                        f"0x{cid:04x}: {have} of {expected} bytes",
                        "l2cap",
                    )
                )
        return _NONE
