"""Records → PDUs for air captures: nRF Sniffer (272), LE LL with PHDR (256), LE LL (251)
and PPI-wrapped BTLE (192).

Per access address the stream keeps a small link state (Vol 6, Part B):

- **Direction.**  nRF Sniffer records carry it.  Otherwise it is inferred from the
  connection event structure (4.5.1): the central transmits first in every event and the
  two sides alternate; an event starts on an RF channel change (when the header has the
  channel) or after a silence longer than half the connection interval (from CONNECT_IND;
  5 ms when unknown).  The first data PDU after CONNECT_IND is the central's.
- **Retransmissions** (4.5.9): a PDU with the same SN and the same payload as the previous
  PDU from the same side is a retransmission of an unacknowledged PDU and is emitted once.
- **Encryption** (5.1.3): after LL_START_ENC_REQ the link is encrypted; payloads are not
  decoded unless the capture marks them decrypted (nRF Sniffer: encrypted with MIC OK;
  PHDR: the decrypted flag), in which case the 4-byte MIC is dropped.  Two plaintext PDUs
  can still appear on an encrypted link and are recognised by their exact lengths: the
  central's LL_PAUSE_ENC_RSP (1 octet, 5.1.3.2) and the LL_ENC_REQ that follows it
  (23 octets); an encrypted PDU would be 4 octets longer.
- **L2CAP**: LLID 0b10 starts, 0b01 continues (2.4); reassembled per (link, direction).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from bpdiag.capture.record import Direction, LinkType, Problem, Record
from bpdiag.decode import att, smp
from bpdiag.decode.l2cap import CID_ATT, CID_SMP, Reassembler
from bpdiag.decode.ll import (
    ADV_ACCESS_ADDRESS,
    CONTROL_LENGTHS,
    AdvPdu,
    ConnectInd,
    parse_adv,
    parse_control,
    parse_data_header,
    split_air_packet,
)
from bpdiag.decode.nordic import parse_nordic
from bpdiag.decode.pdu import Pdu
from bpdiag.decode.phdr import parse_phdr
from bpdiag.decode.ppi import parse_ppi
from bpdiag.errors import DecodeError

_NONE: list[Pdu] = []
_L2HDR = struct.Struct("<HH")
C, P, U = Direction.C_TO_P, Direction.P_TO_C, Direction.UNKNOWN
DEFAULT_EVENT_GAP = 0.005


@dataclass(slots=True)
class _Link:
    aa: int
    event_gap: float = DEFAULT_EVENT_GAP
    last_time: float | None = None
    last_channel: int | None = None
    next_dir: Direction = C
    last: dict[Direction, tuple[int, bytes]] = field(default_factory=dict)
    encrypted: bool = False
    last_request: dict[Direction, tuple[int, int]] = field(default_factory=dict)


@dataclass(slots=True)
class _Air:
    air: bytes
    direction: Direction
    channel: int | None
    crc_bad: bool
    encrypted_flag: bool | None  # Nordic: packet was encrypted on air
    plaintext: bool  # the capture tool decrypted it (MIC verified)


class LlStream:
    """Feed air-capture records in order; get the PDUs each completes."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.links: dict[int, _Link] = {}
        self._reasm = Reassembler(frozenset({CID_ATT, CID_SMP}))
        self._adv_seen: set[tuple[str, int | None, str | None]] = set()
        self.crc_errors = 0
        self.encrypted_skipped = 0
        self.retransmissions = 0

    def _problem(self, rec: Record, message: str, layer: str) -> list[Pdu]:
        self.problems.append(Problem(rec.index, rec.file_offset, message, layer))
        return _NONE

    def _unwrap(self, rec: Record) -> _Air:
        lt = rec.link_type
        if lt == LinkType.NORDIC_BLE:
            n = parse_nordic(rec.payload)
            return _Air(
                n.air,
                C if n.c_to_p else P,
                n.channel,
                not n.crc_ok,
                n.encrypted,
                n.encrypted and n.mic_ok,
            )
        if lt == LinkType.BLUETOOTH_LE_LL_WITH_PHDR:
            h = parse_phdr(rec.payload)
            return _Air(h.air, U, h.channel, h.crc_bad, None, h.decrypted)
        if lt == LinkType.PPI:
            return _Air(parse_ppi(rec.payload).air, U, None, False, None, False)
        return _Air(bytes(rec.payload), U, None, False, None, False)

    def feed(self, rec: Record) -> list[Pdu]:
        try:
            a = self._unwrap(rec)
            if a.crc_bad:
                self.crc_errors += 1
                return _NONE
            pkt = split_air_packet(a.air)
            if pkt.access_address == ADV_ACCESS_ADDRESS:
                return self._advertising(rec, pkt.pdu)
            return self._data(rec, a, pkt.access_address, pkt.pdu)
        except DecodeError as exc:
            return self._problem(rec, str(exc), exc.layer)

    # ------------------------------------------------------------ advertising
    def _advertising(self, rec: Record, pdu: bytes) -> list[Pdu]:
        msg = parse_adv(pdu)
        if isinstance(msg, ConnectInd):
            old = self.links.pop(msg.access_address, None)
            if old is not None:
                for d in (C, P):
                    self._reasm.drop((old.aa, d))
            link = _Link(msg.access_address)
            link.event_gap = max(msg.interval * 1.25e-3 / 2, 0.0008)
            self.links[msg.access_address] = link
            return [
                Pdu(
                    rec.index,
                    rec.timestamp,
                    C,
                    ("ll", msg.access_address),
                    "adv",
                    msg.pdu_type,
                    msg,
                    rec.index,
                )
            ]
        if isinstance(msg, AdvPdu):
            flags, name = msg.flags, msg.local_name
            if flags is None and name is None:
                return _NONE
            key = (msg.adv_address, flags, name)
            if key in self._adv_seen:
                return _NONE
            self._adv_seen.add(key)
            return [Pdu(rec.index, rec.timestamp, U, None, "adv", msg.pdu_type, msg, rec.index)]
        return _NONE

    # ------------------------------------------------------------ data channel
    def _direction(self, link: _Link, a: _Air, t: float) -> Direction:
        if a.direction is not U:
            link.last_time, link.last_channel = t, a.channel
            return a.direction
        new_event = (
            link.last_time is None
            or (a.channel is not None and a.channel != link.last_channel)
            or t - link.last_time > link.event_gap
        )
        d = C if new_event else link.next_dir
        link.next_dir = P if d is C else C
        link.last_time, link.last_channel = t, a.channel
        return d

    def _data(self, rec: Record, a: _Air, aa: int, pdu: bytes) -> list[Pdu]:
        link = self.links.get(aa)
        if link is None:
            link = self.links[aa] = _Link(aa)
        d = self._direction(link, a, rec.timestamp)
        hdr = parse_data_header(pdu)
        payload = hdr.payload
        # Retransmission: same SN and payload as this side's previous PDU.
        prev = link.last.get(d)
        link.last[d] = (hdr.sn, payload)
        if prev is not None and prev[0] == hdr.sn and prev[1] == payload and payload:
            self.retransmissions += 1
            return _NONE
        if not payload:
            return _NONE
        encrypted = a.encrypted_flag if a.encrypted_flag is not None else link.encrypted
        if encrypted and not a.plaintext:
            plain = self._plausible_plaintext(hdr.llid, payload, (aa, d))
            if plain is None:
                self.encrypted_skipped += 1
                return _NONE
            payload = plain
        key_link = ("ll", aa)
        if hdr.llid == 3:
            ctl = parse_control(payload)
            if ctl.opcode == 0x05:  # LL_START_ENC_REQ: everything after is encrypted
                link.encrypted = True
            elif ctl.opcode == 0x0B and d is C:  # central's LL_PAUSE_ENC_RSP
                link.encrypted = False
            elif ctl.opcode == 0x03 and link.encrypted and encrypted and not a.plaintext:
                link.encrypted = False  # plaintext ENC_REQ after a pause
            return [Pdu(rec.index, rec.timestamp, d, key_link, "ll", ctl.opcode, ctl, rec.index)]
        reasm = self._reasm
        if hdr.llid == 2:
            frame = reasm.start((aa, d), payload, rec.index)
        elif hdr.llid == 1:
            frame = reasm.continuation((aa, d), payload, rec.index)
        else:
            return self._problem(rec, "data PDU with reserved LLID 0b00", "ll")
        if reasm.problems:
            for idx, msg in reasm.problems:
                self.problems.append(Problem(idx, rec.file_offset, msg, "l2cap"))
            reasm.problems.clear()
        if frame is None:
            return _NONE
        if frame.cid == CID_SMP:
            cmd = smp.parse_smp(frame.payload)
            return [
                Pdu(rec.index, rec.timestamp, d, key_link, "smp", cmd.code, cmd, frame.first_frame)
            ]
        msg = att.parse_att(frame.payload)
        if isinstance(msg, att.AttErrorResponse):
            req = link.last_request.get(P if d is C else C)
            answers = req[1] if req is not None and req[0] == msg.request_opcode else 0
            return [
                Pdu(
                    rec.index,
                    rec.timestamp,
                    d,
                    key_link,
                    "att",
                    0x01,
                    msg,
                    frame.first_frame,
                    answers,
                )
            ]
        if isinstance(msg, att.AttRequest):
            link.last_request[d] = (msg.opcode, frame.first_frame)
        return _NONE

    def _plausible_plaintext(
        self, llid: int, payload: bytes, key: tuple[int, Direction]
    ) -> bytes | None:
        """On an encrypted link, a payload that parses exactly as plaintext (with or without a
        4-byte MIC) was written decrypted by the capture tool, or sent in the clear (the
        pause/restart PDUs of 5.1.3.2).  Ciphertext passes these length checks with a
        probability of about 2^-16."""
        candidates = (payload, payload[:-4]) if len(payload) > 4 else (payload,)
        for c in candidates:
            if llid == 3:
                need = CONTROL_LENGTHS.get(c[0]) if c else None
                if need is not None and len(c) == 1 + need:
                    return c
            elif llid == 2 and len(c) >= 4:
                l2len, cid = _L2HDR.unpack_from(c)
                if cid in (CID_ATT, 0x0005, CID_SMP) and l2len + 4 == len(c):
                    return c
            elif llid == 1 and self._reasm.is_pending(key):
                return c
        return None

    def finish(self) -> list[Pdu]:
        for key, cid, have, expected in self._reasm.pending():
            if cid not in (CID_ATT, CID_SMP):
                continue
            self.problems.append(
                Problem(
                    None,
                    None,
                    f"capture ends inside an L2CAP PDU on access address 0x{key[0]:08x} "
                    f"CID 0x{cid:04x}: {have} of {expected} bytes",
                    "l2cap",
                )
            )
        return _NONE
