"""Records → PDUs for HCI captures (btsnoop 1001 / 1002 / 2001, pcap 187 / 201 / 254).

What comes out (``Pdu.layer``):

- ``"hci"``: the commands and events of ``bpdiag.decode.hci`` that matter to connections and
  security (``COMMANDS`` / ``EVENTS`` / ``LE_SUBEVENTS`` below), Command Complete / Status
  only when they answer one of those commands.  ``opcode`` is the command opcode or the
  event code (0x3E for every LE Meta subevent).  ``link`` is ``("hci", adapter, handle)``
  when the message names a connection: the LTK replies' Command Complete by the handle in
  its return parameters, a Command Status by the handle of the last such command sent on
  the adapter (e.g. LE Start Encryption), a connection complete event only when it
  succeeded (a failed one has no handle).
- ``"smp"``: SMP PDUs (L2CAP CID 0x0006, and 0x0007 over BR/EDR), reassembled from ACL
  fragments per (adapter, handle, direction); ``frame`` is the last fragment's record,
  ``first_frame`` the first's.
- ``"att"``: ATT Error Responses only (CID 0x0004), ``answers`` = the record of the last
  request with the errored opcode seen on the same link in the other direction (0 if none).
- ``"monitor"``: every Linux monitor record that is not an HCI packet (notes, logging,
  index and control-socket records), ``opcode`` = the monitor opcode.

This is the hot path: a large capture is mostly ACL data nobody here needs.  A complete
L2CAP frame on a channel we do not want, the fragments of such a frame, ATT PDUs that are
not Error Responses and events / commands outside the sets above return the shared empty
list after a few integer comparisons, allocating nothing (ATT requests store one int).
Fragmented PDUs on unwanted channels are skipped by counting bytes (``_skip``); only SMP
and ATT Error Responses go through ``l2cap.Reassembler``.  Read from a btsnoop H4 file, the
records that would return the empty list untouched are not even made: ``skimmer`` gives
``bpdiag.analysis.run.Reading`` a skim that tells them from their first 10 bytes (``_inert``)
in the file's buffer (``Frames``).

Bad input never raises: it becomes a ``Problem`` in ``problems`` (drained by the caller) and
the stream goes on.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import TYPE_CHECKING, Final, cast

from bpdiag.capture.record import Direction, LinkType, Problem, ProblemKind, Record
from bpdiag.decode import att, h4, hci, smp
from bpdiag.decode.l2cap import (
    CID_ATT,
    CID_BREDR_SMP,
    CID_SMP,
    MAX_PARTIAL,
    SMP_MAX_PDU,
    Reassembler,
)
from bpdiag.decode.monitor import ControlClose, ControlOpen, MonitorOpcode, parse_monitor
from bpdiag.decode.pdu import Layer, Message, Pdu
from bpdiag.errors import DecodeError, Stage

if TYPE_CHECKING:
    from bpdiag.capture._io import Frames

_NONE: Final[list[Pdu]] = []  # shared: callers must not append to what feed returns

# What the hot path lets through: the codes hci.py declares a message for, never a copy.
COMMANDS = hci.TYPED_COMMANDS
EVENTS = hci.TYPED_EVENTS
LE_SUBEVENTS = hci.TYPED_SUBEVENTS
WANTED_CIDS = frozenset({CID_ATT, CID_SMP, CID_BREDR_SMP})
_HANDLE_COMMANDS = hci.HANDLE_STATUS_COMMANDS  # remembered for Command Status
_ADDRESSED_EVENTS = hci.ADDRESSED_EVENTS  # BR/EDR pairing: the connection by its BD_ADDR
_ADDRESSED_COMMANDS = hci.ADDRESSED_COMMANDS
_ATT_REQUESTS = att.REQUESTS
_SMP_CIDS = frozenset({CID_SMP, CID_BREDR_SMP})
_ATT_ERROR = att.ERROR_RESPONSE
_TRUNCATED = ProblemKind.TRUNCATED
# Enum members as module constants: ``Layer.SMP`` is a class attribute look-up per PDU
_SMP, _ATT, _HCI, _MONITOR = Layer.SMP, Layer.ATT, Layer.HCI, Layer.MONITOR
_parse_smp = smp.parse_smp
_parse_event = hci.parse_event
_parse_command = hci.parse_command
# the event classes _event tells apart, bound once (not two look-ups and a tuple per event)
_CONNECTED = (hci.LeConnectionComplete, hci.ConnectionComplete)
_BREDR_CONNECTED = hci.ConnectionComplete
# events that name no connection: the untyped ones, and the typed ones with no handle
_UNTYPED_EVENTS = (hci.HciEvent, hci.LeMetaEvent, hci.ReturnLinkKeys, hci.LeGenerateDhkeyComplete)
_COMMAND_STATUS = hci.CommandStatus
_COMMAND_COMPLETE = hci.CommandComplete
_DISCONNECTED = hci.DisconnectionComplete

_U16 = struct.Struct("<H").unpack_from
_U16U16 = struct.Struct("<HH").unpack_from
_ACL_L2 = struct.Struct("<HHHH").unpack_from  # ACL handle+flags, ACL length, L2CAP len, CID

_SENT = Direction.SENT
_RECEIVED = Direction.RECEIVED
_UNKNOWN = Direction.UNKNOWN
_DIRS = (_UNKNOWN, _SENT, _RECEIVED)
_OTHER = (0, 2, 1)  # opposite direction value; unknown stays unknown (pcap 187 ACL)


def _key(adapter: int, handle: int, d: int) -> int:
    """One int per (adapter, connection handle, direction value)."""
    return (adapter << 12 | handle) << 2 | d


def _inert(p: bytes, n: int) -> bool | None:
    """Whether ``_feed_btsnoop_h4`` returns nothing for a record of ``n`` bytes that starts
    with ``p`` (its first 10 bytes, or all of them) and changes no state: ``False`` when
    that holds whatever the stream holds, ``True`` when only while no L2CAP PDU is in
    fragments (``HciStream._skip`` and ``_reasm_keys`` empty: the inlined case), ``None``
    when the record may matter.  Mirrors ``_feed_btsnoop_h4`` (tests compare them)."""
    return _inert_packet(p[0], p, 1, n - 1) if n else None


def _inert_packet(t: int, p: bytes, off: int, n: int) -> bool | None:
    """``_inert`` for an HCI packet of H4 type ``t`` whose ``n`` bytes start at ``p[off]``
    (after the H4 type byte, or a monitor record's payload, whose type is its opcode's)."""
    if t == 2:
        if n > 8:
            hf, length, l2len, cid = _ACL_L2(p, off)
            if length == n - 4 and l2len == length - 4 and hf & 0x3000 != 0x1000:
                if cid == CID_ATT:
                    op = p[off + 8]
                    if op != _ATT_ERROR and op not in _ATT_REQUESTS:
                        return True
                elif cid not in _SMP_CIDS:
                    return True
        return None
    if t == 4:
        return False if n > 0 and p[off] not in EVENTS else None
    if t == 1:
        return False if n > 1 and _U16(p, off)[0] not in COMMANDS else None
    if t == 3 or t == 5:
        return False
    return None


# monitor opcode of an HCI packet → its H4 packet type
_MONITOR_TYPES: Final[dict[int, int]] = {op: t for op, (t, _) in h4.MONITOR_HCI.items()}


class HciStream:
    """Feed records of HCI link types in order; get the PDUs each completes."""

    __slots__ = (
        "_bredr",
        "_bredr_handles",
        "_by_adapter",
        "_closed_at",
        "_cmd_handle",
        "_evicted",
        "_formats",
        "_inert_h4",
        "_noted",
        "_reasm",
        "_reasm_keys",
        "_req",
        "_req_pending",
        "_skip",
        "_unknown_types",
        "problems",
    )

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self._reasm = Reassembler(WANTED_CIDS)
        self._reasm_keys: set[int] = set()  # keys with a partial PDU in the reassembler
        self._skip: dict[int, int] = {}  # key → bytes left of an unwanted fragmented PDU
        self._req: dict[int, int] = {}  # key → last ATT request: record << 8 | opcode
        self._req_pending: dict[int, int] = {}  # key → opcode of a request still in fragments
        self._cmd_handle: dict[int, int] = {}  # adapter << 16 | opcode → handle
        # BR/EDR connections by (adapter, peer BD_ADDR) → handle, and back: the pairing
        # events and replies name the peer, not the handle (empty in an LE-only log)
        self._bredr: dict[tuple[int, str], int] = {}
        self._bredr_handles: dict[tuple[int, int], str] = {}
        self._formats: dict[tuple[int, int], int] = {}  # (adapter, cookie) → control format
        self._unknown_types: dict[int, list[int]] = {}  # H4 type → [first record, count]
        # Fragment state by adapter, so a Close Index costs what that adapter had open (a
        # scan of every key made a capture of many keys and closes quadratic); may hold
        # keys whose PDU has since finished, compacted every few thousand insertions.
        self._by_adapter: dict[int, set[int]] = {}
        self._noted = 0
        self._evicted = 0  # reassembler evictions already reflected in _reasm_keys
        self._closed_at: dict[int, int] = {}  # adapter → record of its last Close Index
        # first 10 bytes of an H4 record → the length at which _skim_h4 may pass over it,
        # or ~length: the length at which it may matter (_inert is None)
        self._inert_h4: dict[bytes, int] = {}

    # ------------------------------------------------------------ entry points
    def skimmer(self, link_type: int) -> Callable[[Frames, int, int], int] | None:
        """For a capture of one link type: ``skim(frames, i, stop)``, which passes over the
        records ``i`` … ``stop - 1`` of a run that ``feed`` would return nothing for without
        changing any state, and returns where it stopped (the first record that may
        matter).  ``None`` when there is no such test for the link type."""
        if link_type == LinkType.BTSNOOP_H4:
            return self._skim_h4
        if link_type == LinkType.BTSNOOP_MONITOR:
            return self._skim_monitor
        return None

    def _skim_monitor(self, frames: Frames, i: int, stop: int) -> int:
        """``skim`` for monitor records (btsnoop 2001, what ``btmon -w`` writes): the opcode
        is in the record header's flags (the low 16 bits, bytes 10-11 of the header, big
        endian), the HCI packet has no H4 type byte.  Passes over what
        ``_feed_btsnoop_monitor`` returns nothing for without changing state: ATT
        notifications and other traffic on complete L2CAP frames (not SMP, not ATT requests
        or Error Responses) while no L2CAP PDU is in fragments, events and commands nobody
        decodes, SCO and ISO — the test ``_skim_h4`` makes (``_inert_packet``), on the
        packet type the opcode carries; anything else (monitor records above all) is fed."""
        quiet = not (self._skip or self._reasm_keys)
        buf = frames.buf
        heads = frames.heads
        ends = frames.ends
        hdr = frames.hdr
        types = _MONITOR_TYPES
        while i < stop:
            h = heads[i]
            p = h + hdr
            t = types.get(buf[h + 10] << 8 | buf[h + 11])
            if t is None:
                return i  # a monitor record
            inert = _inert_packet(t, buf, p, ends[i + 1] - p)
            if inert is None or (inert and not quiet):
                return i
            i += 1
        return i

    def _skim_h4(self, frames: Frames, i: int, stop: int) -> int:
        """``skim`` for H4 records (btsnoop 1002), by the first 10 payload bytes (H4 type,
        ACL header, L2CAP header, ATT opcode) and the length, which decide what
        ``_feed_btsnoop_h4`` does with the record (``_inert``), events and commands by their
        code alone.  The verdict (passed over, or may matter) is remembered per prefix, so
        that a long capture's ATT traffic and SMP PDUs cost one slice and one look-up per
        record.  While an L2CAP PDU is in fragments the ACL data (whose fragments would
        continue it) is not passed over."""
        quiet = not (self._skip or self._reasm_keys)
        buf = frames.buf
        heads = frames.heads
        ends = frames.ends
        hdr = frames.hdr
        seen = self._inert_h4
        events = EVENTS
        commands = COMMANDS
        while i < stop:
            p = heads[i] + hdr
            n = ends[i + 1] - p
            if n > 2:
                # Events and commands (_inert_packet's verdict by their code, whatever the
                # stream holds) without a slice: their prefixes, which hold handles and
                # addresses, would only crowd the ACL prefixes out of ``_inert_h4``.
                t = buf[p]
                if t == 4:
                    if buf[p + 1] in events:
                        return i
                    i += 1
                    continue
                if t == 1:
                    if buf[p + 1] | buf[p + 2] << 8 in commands:
                        return i
                    i += 1
                    continue
            key = buf[p : p + 10]
            known = seen.get(key)
            if known != n:
                if known == ~n:  # remembered as one that may matter (an SMP PDU …)
                    return i
                inert = _inert(key, n)
                if len(seen) >= 4096:
                    seen.clear()
                if inert is None:
                    seen[key] = ~n
                    return i
                seen[key] = n
            if not quiet and key[0] == 2:
                return i
            i += 1
        return i

    def feeder(self, link_type: int) -> Callable[[Record], list[Pdu]]:
        """The fastest ``feed`` for records of one link type."""
        if link_type == LinkType.BTSNOOP_H4:
            return self._feed_btsnoop_h4
        if link_type == LinkType.BTSNOOP_MONITOR:
            return self._feed_btsnoop_monitor
        return self.feed

    def feed(self, rec: Record) -> list[Pdu]:
        """The PDUs ``rec`` completes (usually none).  Never raises on bad input."""
        lt = rec.link_type
        if lt == LinkType.BTSNOOP_H4:
            return self._feed_btsnoop_h4(rec)
        if lt == LinkType.BTSNOOP_MONITOR:
            return self._feed_btsnoop_monitor(rec)
        try:
            ptype, off, direction, adapter, mon = h4.split(lt, rec.payload, rec.flags)
        except DecodeError as exc:
            return self._error(rec, exc)
        return self._dispatch(rec, rec.payload, ptype, off, direction, adapter, mon)

    def _feed_btsnoop_h4(self, rec: Record) -> list[Pdu]:
        p = rec.payload
        if not p:
            return self._problem(rec, "empty H4 packet: no packet type byte", Stage.H4, _TRUNCATED)
        t = p[0]
        if t == 2:
            # Inlined commonest case: one complete L2CAP frame, no fragment pending anywhere.
            if len(p) > 9 and not (self._skip or self._reasm_keys):
                hf, n, l2len, cid = _ACL_L2(p, 1)
                if n == len(p) - 5 and l2len == n - 4 and hf & 0x3000 != 0x1000:
                    if cid == CID_ATT:
                        op = p[9]
                        if op != _ATT_ERROR:
                            if op in _ATT_REQUESTS:
                                key = _key(0, hf & 0x0FFF, 2 if rec.flags & 1 else 1)
                                self._req[key] = rec.index << 8 | op
                            return _NONE
                    elif cid not in _SMP_CIDS:
                        return _NONE
                    elif l2len <= SMP_MAX_PDU:
                        # A whole SMP PDU with nothing pending: what _acl and _l2cap do
                        # with it, without the two calls.
                        try:
                            cmd = _parse_smp(p[9:])
                        except DecodeError as exc:
                            return self._error(rec, exc)
                        link = ("hci", 0, hf & 0x0FFF)
                        d = _RECEIVED if rec.flags & 1 else _SENT
                        i = rec.index
                        return [Pdu(i, rec.timestamp, d, link, _SMP, cmd.code, cmd, i)]
            return self._acl(rec, p, 1, 0, 2 if rec.flags & 1 else 1)
        if t == 4:
            if len(p) > 1 and p[1] not in EVENTS:
                return _NONE
            return self._event(rec, p, 1, 0, _RECEIVED if rec.flags & 1 else _SENT)
        if t == 1:
            if len(p) > 2 and _U16(p, 1)[0] not in COMMANDS:
                return _NONE
            return self._command(rec, p, 1, 0, _RECEIVED if rec.flags & 1 else _SENT)
        if t == 3 or t == 5:
            return _NONE
        return self._unknown_type(rec, t)

    def _feed_btsnoop_monitor(self, rec: Record) -> list[Pdu]:
        flags = rec.flags
        op = flags & 0xFFFF
        if op == 5 or op == 4:
            return self._acl(rec, rec.payload, 0, flags >> 16, 2 if op == 5 else 1)
        if op == 3:
            p = rec.payload
            if p and p[0] not in EVENTS:
                return _NONE
            return self._event(rec, p, 0, flags >> 16, _RECEIVED)
        if op == 2:
            p = rec.payload
            if len(p) > 1 and _U16(p)[0] not in COMMANDS:
                return _NONE
            return self._command(rec, p, 0, flags >> 16, _SENT)
        if op in h4.MONITOR_HCI:
            return _NONE  # SCO, ISO
        return self._monitor(rec, op, flags >> 16, rec.payload)

    def _dispatch(
        self,
        rec: Record,
        p: bytes,
        ptype: int,
        off: int,
        direction: Direction,
        adapter: int,
        mon: int,
    ) -> list[Pdu]:
        if ptype == 2:
            return self._acl(rec, p, off, adapter, direction.value)
        if ptype == 4:
            if len(p) > off and p[off] not in EVENTS:
                return _NONE
            return self._event(rec, p, off, adapter, direction)
        if ptype == 1:
            if len(p) > off + 1 and _U16(p, off)[0] not in COMMANDS:
                return _NONE
            return self._command(rec, p, off, adapter, direction)
        if ptype == h4.MONITOR:
            return self._monitor(rec, mon, adapter, p[off:] if off else p)
        if ptype == 3 or ptype == 5:
            return _NONE
        return self._unknown_type(rec, ptype)

    # ------------------------------------------------------------ problems
    def _problem(self, rec: Record, message: str, layer: Stage, kind: ProblemKind) -> list[Pdu]:
        self.problems.append(Problem(rec.index, rec.file_offset, message, layer, kind))
        return _NONE

    def _error(self, rec: Record, exc: DecodeError) -> list[Pdu]:
        return self._problem(rec, exc.message, exc.layer, ProblemKind.of(exc))

    def _unknown_type(self, rec: Record, ptype: int) -> list[Pdu]:
        """Report the first record of each unknown H4 type; count the rest (see finish)."""
        seen = self._unknown_types.get(ptype)
        if seen is not None:
            seen[1] += 1
            return _NONE
        self._unknown_types[ptype] = [rec.index, 1]
        return self._problem(
            rec,
            f"unknown H4 packet type 0x{ptype:02x}; the record is skipped "
            "(later records of this type are counted, not listed)",
            Stage.H4,
            ProblemKind.UNKNOWN,
        )

    def _drain_reassembler(self, rec: Record) -> None:
        for idx, msg, kind in self._reasm.problems:
            offset = rec.file_offset if idx == rec.index else None
            self.problems.append(Problem(idx, offset, msg, Stage.L2CAP, kind))
        self._reasm.problems.clear()

    # ------------------------------------------------------------ ACL / L2CAP
    def _acl(self, rec: Record, p: bytes, off: int, adapter: int, d: int) -> list[Pdu]:
        """ACL data (Vol 4, Part E, 5.4.2) at ``p[off:]``; ``d`` is the Direction value."""
        n = len(p) - off - 4  # ACL payload bytes present
        if n < 0:
            return self._problem(
                rec, f"HCI ACL header needs 4 bytes, got {n + 4}", Stage.HCI, _TRUNCATED
            )
        hf, length = _U16U16(p, off)
        if length != n:
            if length > n:
                if rec.orig_length > len(rec.payload):
                    return self._cut_acl(rec, p, off, n, adapter, d)
                message = f"HCI ACL data length says {length}, got {n}"
                return self._problem(rec, message, Stage.HCI, _TRUNCATED)
            self._problem(
                rec,
                f"HCI ACL data length says {length}, got {n}; the extra bytes are ignored",
                Stage.HCI,
                ProblemKind.BAD_LENGTH,
            )
            p = p[: off + 4 + length]
            n = length
        handle = hf & 0x0FFF
        if hf & 0x3000 == 0x1000:  # continuing fragment
            if self._skip:
                key = _key(adapter, handle, d)
                left = self._skip.get(key)
                if left is not None:
                    left -= n
                    if left > 0:
                        self._skip[key] = left
                        return _NONE
                    del self._skip[key]
                    if self._req_pending:
                        op = self._req_pending.pop(key, None)
                        if op is not None:
                            self._req[key] = rec.index << 8 | op
                    if left < 0:
                        return self._problem(
                            rec,
                            f"L2CAP PDU on handle 0x{handle:03x} ran {-left} bytes past the "
                            "length in its header; the extra bytes are ignored",
                            Stage.L2CAP,
                            ProblemKind.BAD_LENGTH,
                        )
                    return _NONE
            return self._reassemble(rec, p, off, adapter, handle, d, False)
        # First fragment (PB 0b00 / 0b10) or a complete PDU (0b11).
        key = -1
        if self._skip or self._reasm_keys:
            key = _key(adapter, handle, d)
            if self._skip.pop(key, None) is not None:  # an unwanted PDU cut short
                self._req_pending.pop(key, None)
            if key in self._reasm_keys:
                return self._reassemble(rec, p, off, adapter, handle, d, True)
        if n < 5:  # no room for an L2CAP header and one payload byte
            return self._reassemble(rec, p, off, adapter, handle, d, True)
        l2len, cid = _U16U16(p, off + 4)
        have = n - 4
        if cid in _SMP_CIDS and l2len == have and l2len <= SMP_MAX_PDU:
            # A whole SMP PDU in one fragment with nothing pending on its link: what the
            # reassembler would give, without going through it.
            return self._l2cap(rec, adapter, handle, d, cid, bytes(p[off + 8 :]), rec.index)
        if l2len < have or cid in _SMP_CIDS:
            return self._reassemble(rec, p, off, adapter, handle, d, True)
        if cid == CID_ATT:
            op = p[off + 8]
            if op == _ATT_ERROR:
                return self._reassemble(rec, p, off, adapter, handle, d, True)
            if l2len == have:
                if op in _ATT_REQUESTS:
                    self._req[_key(adapter, handle, d) if key < 0 else key] = rec.index << 8 | op
                return _NONE
            if key < 0:
                key = _key(adapter, handle, d)
            self._skip[key] = l2len - have
            if op in _ATT_REQUESTS:  # known once its last fragment is in
                self._req_pending[key] = op
            self._note(key)
            return _NONE
        if l2len == have:
            return _NONE
        if key < 0:
            key = _key(adapter, handle, d)
        self._skip[key] = l2len - have
        self._note(key)
        return _NONE

    def _note(self, key: int) -> None:
        """Index a key that now has fragment state; bound ``_skip`` (unwanted PDUs being
        skipped) like the reassembler bounds its partial PDUs."""
        self._by_adapter.setdefault(key >> 14, set()).add(key)
        self._noted += 1
        if self._noted > 4 * MAX_PARTIAL:
            self._reindex()
        if len(self._skip) > MAX_PARTIAL:
            items = list(self._skip.items())
            half = len(items) // 2
            self._skip = dict(items[half:])
            for old, _left in items[:half]:
                self._req_pending.pop(old, None)
            self.problems.append(
                Problem(
                    None,
                    None,
                    f"more than {MAX_PARTIAL} fragmented L2CAP PDUs were unfinished at once; "
                    f"the {half} oldest were dropped (their continuations show as orphans)",
                    Stage.L2CAP,
                )
            )

    def _reindex(self) -> None:
        """Rebuild ``_by_adapter`` from the keys that still have fragment state."""
        self._noted = 0
        self._by_adapter = {}
        for key in (*self._skip, *self._req_pending, *self._reasm_keys):
            self._by_adapter.setdefault(key >> 14, set()).add(key)

    def _cut_acl(self, rec: Record, p: bytes, off: int, n: int, adapter: int, d: int) -> list[Pdu]:
        """An ACL packet the log stored cut short (btsnooz, Android's filtered snoop log, a
        snapshot length).  An SMP PDU's loss is a problem that names it (layer ``truncated``);
        of a Pairing Request / Response cut to 6 or 5 octets the fields present are decoded
        (``CutPairingFeatures``), of a phase-2 PDU cut inside its values that it was sent
        (``UnreadCommand``), nothing else.  A PDU cut to its L2CAP header (Android 11's
        filtered log keeps 8 bytes of ACL) is a problem that says its command is not known.
        Other channels are only counted (``CaptureInfo.truncated_records``)."""
        hf = _U16(p, off)[0]
        if hf & 0x3000 == 0x1000 or n < 4:
            return _NONE
        cid = _U16(p, off + 6)[0]
        if cid not in _SMP_CIDS:
            return _NONE
        handle = hf & 0x0FFF
        l2len = _U16(p, off + 4)[0]
        if n == 4:
            return self._problem(
                rec,
                f"truncated to {len(rec.payload)} of {rec.orig_length} bytes by the log: an SMP "
                f"PDU of {l2len} bytes on handle 0x{handle:03x} is cut to its L2CAP header "
                "(which command it was is not in the capture)",
                Stage.TRUNCATED,
                _TRUNCATED,
            )
        code = p[off + 8]
        name = smp.command_name(code)
        cut: Message | None = smp.parse_cut_features(p[off + 8 :], l2len)
        what = "is kept: only the fields present are decoded (not the responder key distribution)"
        if isinstance(cut, smp.CutPairingFeatures) and cut.initiator_key_distribution is None:
            what = "is kept: only the fields present are decoded (not the key distributions)"
        if cut is None:
            # A phase-2 PDU is known to have been sent; only its values are not
            cut = smp.parse_unread(p[off + 8 :], l2len)
            what = "is kept without its values" if cut is not None else "is not decoded"
            what += " (its fields are cut)"
        self._problem(
            rec,
            f"truncated to {len(rec.payload)} of {rec.orig_length} bytes by the log: the SMP "
            f"{name} on handle 0x{handle:03x} {what}",
            Stage.TRUNCATED,
            _TRUNCATED,
        )
        if cut is None:
            return _NONE
        link = ("hci", adapter, handle)
        return [Pdu(rec.index, rec.timestamp, _DIRS[d], link, _SMP, code, cut, rec.index)]

    def _reassemble(
        self, rec: Record, p: bytes, off: int, adapter: int, handle: int, d: int, first: bool
    ) -> list[Pdu]:
        """The slow path: hand the fragment to the L2CAP reassembler."""
        rkey = (adapter, handle, d)
        reasm = self._reasm
        data = p[off + 4 :]
        if first:
            frame = reasm.start(rkey, data, rec.index)
        else:
            frame = reasm.continuation(rkey, data, rec.index)
        key = _key(adapter, handle, d)
        if reasm.is_pending(rkey):
            if key not in self._reasm_keys:
                self._reasm_keys.add(key)
                self._note(key)
        else:
            self._reasm_keys.discard(key)
        if reasm.evicted != self._evicted:  # it dropped its oldest partial PDUs
            self._evicted = reasm.evicted
            self._reasm_keys = {_key(*cast(tuple[int, int, int], k)) for k, *_ in reasm.pending()}
        if reasm.problems:
            self._drain_reassembler(rec)
        if frame is None:
            return _NONE
        return self._l2cap(rec, adapter, handle, d, frame.cid, frame.payload, frame.first_frame)

    def _l2cap(
        self, rec: Record, adapter: int, handle: int, d: int, cid: int, payload: bytes, first: int
    ) -> list[Pdu]:
        link = ("hci", adapter, handle)
        if cid == CID_ATT:
            if not payload:
                return self._problem(rec, "empty ATT PDU (no opcode)", Stage.ATT, _TRUNCATED)
            op = payload[0]
            if op != _ATT_ERROR:
                if op in _ATT_REQUESTS:
                    self._req[_key(adapter, handle, d)] = rec.index << 8 | op
                return _NONE
            try:
                err = att.parse_att(payload)
            except DecodeError as exc:
                return self._error(rec, exc)
            if not isinstance(err, att.AttErrorResponse):
                return _NONE
            req = self._req.get(_key(adapter, handle, _OTHER[d]))
            if req is not None and req >> 8 < self._closed_at.get(adapter, -1):
                req = None  # made before the controller went away
            answers = req >> 8 if req is not None and req & 0xFF == err.request_opcode else 0
            return [
                Pdu(
                    rec.index,
                    rec.timestamp,
                    _DIRS[d],
                    link,
                    _ATT,
                    _ATT_ERROR,
                    err,
                    first,
                    answers,
                )
            ]
        try:
            cmd = smp.parse_smp(payload)
        except DecodeError as exc:
            return self._error(rec, exc)
        return [Pdu(rec.index, rec.timestamp, _DIRS[d], link, _SMP, cmd.code, cmd, first)]

    # ------------------------------------------------------------ events / commands
    def _event(
        self, rec: Record, p: bytes, off: int, adapter: int, direction: Direction
    ) -> list[Pdu]:
        """An HCI event at ``p[off:]`` whose code is in EVENTS (or that is too short to
        have one)."""
        n = len(p) - off
        if n < 1:
            return self._problem(
                rec, "empty HCI event packet (no event code)", Stage.HCI, _TRUNCATED
            )
        code = p[off]
        if code == 0x3E:
            if n > 2 and p[off + 2] not in LE_SUBEVENTS:
                return _NONE
        elif code == 0x0E:
            if n > 4 and _U16(p, off + 3)[0] not in COMMANDS:
                return _NONE
        elif code == 0x0F and n > 5 and _U16(p, off + 4)[0] not in COMMANDS:
            return _NONE
        try:
            msg = _parse_event(p, off)
        except DecodeError as exc:
            # an LE Connection Complete kept without its timing (hcidump's text) still says
            # which connection began
            cut = hci.parse_cut_le_connection(p, off) if rec.cut else None
            if cut is None:
                return self._error(rec, exc)
            self._problem(
                rec,
                f"truncated to {len(rec.payload)} of {rec.orig_length} bytes by the log: the "
                "LE Connection Complete is kept without its interval, latency and timeout",
                Stage.TRUNCATED,
                _TRUNCATED,
            )
            msg = cut
        handle: int | None = None
        if isinstance(msg, _CONNECTED):
            if msg.status == 0:
                handle = msg.handle
                self._forget_link(adapter, handle)  # a new connection on a reused handle
                if type(msg) is _BREDR_CONNECTED:
                    self._bredr[adapter, msg.peer_address] = handle
                    self._bredr_handles[adapter, handle] = msg.peer_address
        elif code in _ADDRESSED_EVENTS:  # a BR/EDR pairing event: the peer's BD_ADDR
            handle = self._bredr.get((adapter, msg.bd_addr))  # type: ignore[union-attr,arg-type]
        elif isinstance(msg, _COMMAND_STATUS):
            handle = self._cmd_handle.get(adapter << 16 | msg.opcode)
        elif isinstance(msg, _COMMAND_COMPLETE):
            handle = msg.handle
        elif not isinstance(msg, _UNTYPED_EVENTS):
            handle = msg.handle  # type: ignore[union-attr]  # (the addressed ones are above)
            if isinstance(msg, _DISCONNECTED) and msg.status == 0:
                self._forget_link(adapter, handle)
        link = None if handle is None else ("hci", adapter, handle)
        return [Pdu(rec.index, rec.timestamp, direction, link, _HCI, code, msg, rec.index)]

    def _command(
        self, rec: Record, p: bytes, off: int, adapter: int, direction: Direction
    ) -> list[Pdu]:
        try:
            msg = _parse_command(p, off)
        except DecodeError as exc:
            return self._error(rec, exc)
        opcode = msg.opcode
        handle: int | None = getattr(msg, "handle", None)
        if opcode in _ADDRESSED_COMMANDS:
            handle = self._bredr.get((adapter, msg.bd_addr))  # type: ignore[union-attr]
        elif handle is not None and opcode in _HANDLE_COMMANDS:
            self._cmd_handle[adapter << 16 | opcode] = handle
        link = None if handle is None else ("hci", adapter, handle)
        return [Pdu(rec.index, rec.timestamp, direction, link, _HCI, opcode, msg, rec.index)]

    def _forget_link(self, adapter: int, handle: int) -> None:
        """Drop partial PDUs and remembered requests of a connection handle."""
        # (a connection event of every connection calls it; most find nothing to drop)
        if self._bredr_handles:
            addr = self._bredr_handles.pop((adapter, handle), None)
            if addr is not None and self._bredr.get((adapter, addr)) == handle:
                del self._bredr[adapter, addr]
        base = _key(adapter, handle, 0)
        if self._req:
            for key in (base, base + 1, base + 2):
                self._req.pop(key, None)
        if self._skip or self._req_pending or self._reasm_keys:
            for d in (0, 1, 2):
                key = base | d
                self._skip.pop(key, None)
                self._req_pending.pop(key, None)
                if key in self._reasm_keys:
                    self._reasm_keys.discard(key)
                    self._reasm.drop((adapter, handle, d))

    def _forget_adapter(self, adapter: int, record: int) -> None:
        """The controller went away: every connection on it is gone.  Remembered requests
        older than ``record`` stop counting (``_closed_at``); fragment state is dropped
        through the per-adapter index, so the cost is what this adapter had open."""
        self._closed_at[adapter] = record
        for a, h in [k for k in self._bredr_handles if k[0] == adapter]:
            self._forget_link(a, h)
        for key in self._by_adapter.pop(adapter, ()):
            self._forget_link(adapter, key >> 2 & 0x0FFF)

    # ------------------------------------------------------------ monitor
    def _monitor(self, rec: Record, opcode: int, adapter: int, data: bytes) -> list[Pdu]:
        fmt = None
        if opcode == MonitorOpcode.CONTROL_COMMAND or opcode == MonitorOpcode.CONTROL_EVENT:
            if len(data) >= 4:
                fmt = self._formats.get((adapter, int.from_bytes(data[:4], "little")))
        try:
            msg = parse_monitor(opcode, adapter, data, fmt)
        except DecodeError as exc:
            return self._error(rec, exc)
        if isinstance(msg, ControlOpen):
            self._formats[(adapter, msg.cookie)] = msg.format
        elif isinstance(msg, ControlClose):
            self._formats.pop((adapter, msg.cookie), None)
        elif opcode == MonitorOpcode.DELETE_INDEX or opcode == MonitorOpcode.CLOSE_INDEX:
            self._forget_adapter(adapter, rec.index)
        return [Pdu(rec.index, rec.timestamp, _UNKNOWN, None, _MONITOR, opcode, msg, rec.index)]

    # ------------------------------------------------------------ end
    def finish(self) -> list[Pdu]:
        """End of capture: report what was left open.  Returns no PDUs."""
        for ptype, (first, count) in self._unknown_types.items():
            if count > 1:
                self.problems.append(
                    Problem(
                        None,
                        None,
                        f"{count} records in all had unknown H4 packet type 0x{ptype:02x} "
                        f"(first at record {first})",
                        Stage.H4,
                        ProblemKind.UNKNOWN,
                    )
                )
        for key, cid, have, expected in self._reasm.pending():
            adapter, handle, _d = cast(tuple[int, int, int], key)
            where = f"handle 0x{handle:03x}" + (f" of adapter {adapter}" if adapter else "")
            if cid < 0:
                what = f"an L2CAP basic header on {where} ({have} of 4 bytes)"
            else:
                what = f"an L2CAP PDU on {where}, CID 0x{cid:04x}: {have} of {expected} bytes"
            self.problems.append(
                Problem(None, None, f"capture ends inside {what}", Stage.L2CAP, _TRUNCATED)
            )
        self._reasm = Reassembler(WANTED_CIDS)
        self._evicted = 0
        self._reasm_keys.clear()
        self._by_adapter.clear()
        self._skip.clear()
        self._req_pending.clear()
        return _NONE
