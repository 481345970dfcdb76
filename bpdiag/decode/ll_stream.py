"""Records → PDUs for air captures: nRF Sniffer (272), LE LL with PHDR (256), LE LL (251) and
PPI-wrapped BTLE (192).

What comes out (``Pdu.layer``):

- ``"adv"``: CONNECT_IND / AUX_CONNECT_REQ (``opcode`` 5, ``link`` ``("ll", new access
  address)``, direction central → peripheral), and advertising PDUs that carry AD Flags or a
  local name — one per advertiser address and distinct (flags, name), never one per packet.
- ``"ll"``: every LL control PDU (``opcode`` = control opcode), ``link`` ``("ll", AA)``.
- ``"smp"``: SMP commands on L2CAP CID 6, reassembled from LLID 0b10 start / 0b01
  continuation fragments per (access address, direction); ``frame`` is the last fragment's
  record, ``first_frame`` the first's.
- ``"att"``: ATT Error Responses only; ``answers`` is the frame of the last request with the
  error's request opcode on that link in the other direction (0 if none was seen).

Per access address the stream keeps a small link state (Core Spec v5.4, Vol 6, Part B):

**Direction.**  From the capture when it says: nRF Sniffer flags, PHDR PDU type 2 / 3.
Otherwise inferred from the connection event structure (4.5.1): the central transmits first
in every event and the two sides alternate, T_IFS (150 µs) apart.  A packet starts a new event
when the time since the previous packet on the link exceeds what one exchange can take —
T_IFS + both packets' airtime + 0.4 ms slack, at least 1.25 ms, at most 0.9 × the connection
interval — so a new event is the central's, and within an event the direction flips with
every packet.  Time comes from the Ubertooth clock of a PPI BTLE field when there is one
(crackle's PPI files carry broken record timestamps), else from the record.  When time is not
usable (missing, going backwards, two packets under 100 µs apart) a change of RF channel marks
a new event instead; with neither, or for the first packet of a link whose CONNECT_IND was not
captured, the direction is ``UNKNOWN``.  Timing wins over the channel because some writers put
garbage in the channel octet of the records they cannot place (bsniffhub writes 62 or a
channel from another event), while their timestamps are exact.  The first data PDU after
CONNECT_IND is the central's.  A packet bpdiag decrypts names its sender (the MIC verifies
under one direction bit only, Vol 6, Part E, 2.1): that direction replaces the given or
inferred one, for its PDUs, its L2CAP reassembly and the inference of the next packet.

**Retransmissions** (4.5.9).  A PDU with the same SN, LLID and payload as the previous PDU
from the same side is a retransmission and is emitted once, the first time it was seen.  The
payload must match too, so that a missed packet or a wrongly inferred direction cannot make a
new PDU disappear.  (An attacker that repeats a PDU with a stale SN — SweynTooth does — is
repeating what the receiver discards as a duplicate, since its SN is not the receiver's
NESN, so dropping it matches what the peer's host saw.)  A PDU sent while the direction was
unknown counts as the previous PDU of whichever side sends next.

**CRC.**  Packets whose CRC the capture tool found bad (nRF Sniffer CRC OK = 0; PHDR CRC
checked and not valid) are counted, not decoded.  When the tool did not check (PPI, LE LL,
PHDR without the CRC-checked flag) and the packet carries a CRC (not 000000), bpdiag checks
it: advertising PDUs against CRCInit 0x555555, data PDUs against the CRCInit of their
CONNECT_IND when it was captured (Vol 6, Part B, 3.1.1).  Ubertooth captures hold corrupted
packets that would otherwise decode as nonsense.

**Encryption** (5.1.3).  After LL_START_ENC_REQ every data PDU of the link is encrypted, with
a 4-byte MIC.  Per packet, the capture may say what it holds: nRF Sniffer — not encrypted, or
encrypted with MIC OK (the sniffer decrypted it and wrote the plaintext), or encrypted with a
bad MIC (ciphertext); PHDR — decrypted, or MIC checked and valid (plaintext), or MIC checked and
invalid (ciphertext).  When the capture says nothing the link state decides: the first
non-empty PDU after LL_START_ENC_REQ is the central's LL_START_ENC_RSP, 1 byte as plaintext
and 5 with its MIC, which tells whether the tool wrote decrypted payloads (WHAD does, with no
flag) or ciphertext (then the link's PDUs are counted and skipped).  A non-empty PDU of 1–4
bytes can never be ciphertext, so on an encrypted link it is decoded: that is how the central's
unencrypted LL_PAUSE_ENC_RSP (5.1.3.2) is seen, which pauses encryption until the next
LL_START_ENC_REQ.  A decrypted payload that still ends in its MIC (its L2CAP or CtrData length
is exactly 4 short) has the MIC dropped.  A link first seen mid-connection has an unknown
state: only PDUs that parse exactly as plaintext are decoded (a complete or starting L2CAP
frame on CID 4, 5 or 6 with a consistent length, a control PDU of its opcode's exact length,
a continuation of a pending L2CAP frame); others are counted and skipped silently.  The link
counts as in clear from the first PDU that ciphertext cannot imitate: 1–4 bytes long, or an
L2CAP header that fits (about 1 in 10^9 for random bytes; a control PDU of the right length
is decoded but proves nothing, as 1 in ~100 ciphertexts has one).

**Fast path.**  nRF Sniffer (v2/v3) and LE-PHDR records go through ``_feed_nordic`` /
``_feed_phdr``, which read the header octets in place instead of building the full path's
objects: an empty PDU on a known link only updates the link's direction/timing state and the
side's last SN/LLID; a packet with a bad CRC is counted and noted for direction
inference (``_fast_bad_crc``); any other data PDU on a known link enters ``_data`` — the
code the full path runs from there on (retransmissions, ciphertext and decryption,
control PDUs, L2CAP) — with the fields read from the header; a repeated advertising PDU
that yielded nothing before is dropped (``_quiet``).  Every other record (new advertising,
LE Coded, CTEInfo, isochronous, lengths that do not add up, a link not yet known) takes the
full path, ``_feed_slow``.  ``LlStream(fast=False)`` sends every record down the full path
(tests compare the two).  Read from a pcap file, or a pcapng file's runs of plain Enhanced
Packet Blocks, the records need not even become ``Record``s: ``skimmer`` gives
``bpdiag.analysis.run.Reading`` the skims that pass over runs of empty PDUs and repeated
advertising straight from the file's buffer (``Frames``), leaving the
same link state, and stop at the first packet to feed.

**Snapshot length.**  A record shorter than its original length (``Record.orig_length``:
``editcap -s``, dumpcap's snaplen) fails the fast paths' exact-length checks and the full
path reads it in ``_cut``: the access address and PDU header and what is left of the payload,
no CRC check, no decryption; a cut SMP PDU is kept as ``hci_stream`` keeps one (the fields
present or the command without its values) with a problem of layer ``truncated``.

Several connections may share a capture; a CONNECT_IND starts fresh state for its access
address.  Bad input is data: a ``DecodeError`` becomes a ``Problem`` and ``feed`` goes on; it
never raises.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Protocol, cast

from bpdiag.capture._io import leading
from bpdiag.capture.record import Direction, LinkType, Problem, ProblemKind, Record
from bpdiag.decode import att, smp
from bpdiag.decode.l2cap import CID_ATT, CID_LE_SIGNALING, CID_SMP, Reassembler
from bpdiag.decode.ll import (
    ADV_ACCESS_ADDRESS,
    ADV_CRC_INIT,
    CONTROL_LENGTHS,
    AdvPdu,
    AirPacket,
    ConnectInd,
    ConnectionUpdateInd,
    crc24,
    parse_adv,
    parse_control,
    parse_data_pdu,
    split_air_packet,
)
from bpdiag.decode.nordic import parse_nordic
from bpdiag.decode.pdu import Layer, Pdu
from bpdiag.decode.phdr import parse_phdr
from bpdiag.decode.ppi import parse_ppi
from bpdiag.errors import DecodeError, Stage

if TYPE_CHECKING:
    from bpdiag.capture._io import Frames

C, P, U = Direction.C_TO_P, Direction.P_TO_C, Direction.UNKNOWN
_OTHER = {C: P, P: C, U: U}

T_IFS = 150e-6
MIN_EVENT_GAP = 1.25e-3
EVENT_SLACK = 0.4e-3
MIN_USABLE_GAP = 100e-6
ATT_ERROR_RESPONSE = 0x01
LL_START_ENC_REQ = 0x05
LL_PAUSE_ENC_RSP = 0x0B
_PPI_CLOCK_WRAP = 1 << 32
_L2HDR = struct.Struct("<HH")
_NONE: list[Pdu] = []
_ADV_AA_BYTES = ADV_ACCESS_ADDRESS.to_bytes(4, "little")
_ADV_QUIET_MAX = 4096
_PHDR_EMPTY = struct.Struct("<B7xHIBB")  # LE-PHDR channel, flags; access address, PDU header
# nRF Sniffer board, payload length, version, packet id, event header length, flags, channel;
# access address, PDU header (after a 10-octet event header)
_NORDIC_EMPTY = struct.Struct("<BHB2xBBBB7xIBB")


def _table(ok: Callable[[int], bool]) -> bytes:
    """A ``bytes.translate`` table: 0 for the octets ``ok`` accepts, 1 for the others."""
    return bytes(0 if ok(b) else 1 for b in range(256))


# Stretches of empty PDUs as a skim passes over them at once (``_uniform``): the octets of
# the records' payloads that equal the first's, the octets each must pass (a table), and
# the octet that says which side sent it (1: the central).  nRF Sniffer: board, payload
# length, version, packet id, event header length, access address, PDU length; flags (CRC
# good, not LE Coded, no reserved bit), PDU header (no CTEInfo); flags' direction bit.
_NORDIC_SAME = (0, 1, 2, 3, 6, 7, 17, 18, 19, 20, 22)
_NORDIC_CHECKS = ((8, _table(lambda f: f & 0x61 == 0x01)), (21, _table(lambda h: not h & 0x20)))
_NORDIC_STRETCH = (_NORDIC_SAME, _NORDIC_CHECKS, (8, bytes(b >> 1 & 1 for b in range(256))))
# LE-PHDR: access address, PDU length; the flags' high octet (CRC checked and good, not LE
# Coded, PDU type 2 or 3), PDU header (no CTEInfo); the flags' low octet (bit 7 clear: PDU
# type 2, the central).
_PHDR_SAME = (10, 11, 12, 13, 15)
_PHDR_CHECKS = (
    (9, _table(lambda f: f & 0x0C == 0x0C and f & 0xC0 != 0x80 and f & 0x03 == 0x01)),
    (14, _table(lambda h: not h & 0x20)),
)
_PHDR_STRETCH = (_PHDR_SAME, _PHDR_CHECKS, (8, bytes(1 - (b >> 7) for b in range(256))))
_Layout = tuple[tuple[int, ...], tuple[tuple[int, bytes], ...], tuple[int, bytes]]
_BULK = 3  # a stretch of records of one length this long is looked at as a whole


def _uniform(
    buf: bytes,
    at: int,
    stride: int,
    count: int,
    same: tuple[int, ...],
    checks: tuple[tuple[int, bytes], ...],
    side: tuple[int, bytes],
) -> tuple[int, int, int]:
    """Of ``count`` records whose payloads start at ``buf[at]``, ``stride`` octets apart,
    how many from the first on have the octets at the offsets ``same`` equal to the
    first's and pass the ``checks``, and the last of them sent by the central and by the
    peripheral (-1: none).  Each octet is read for all records at once as a strided
    slice (a later one only for as many as the earlier ones left)."""
    for off in same:
        count = leading(buf[at + off : at + off + count * stride : stride])
    end = at + count * stride
    for off, table in checks:
        odd = buf[at + off : end : stride].translate(table).find(1)
        if 0 <= odd < count:
            count = odd
    off, table = side
    sides = buf[at + off : at + count * stride : stride].translate(table)
    return count, sides.rfind(1), sides.rfind(0)


class Decryptor(Protocol):
    """What the stream asks of a link decryptor (bpdiag.crypto.decryptor.LinkDecryptor)."""

    # The sender of the packet ``decrypt`` last opened, as its MIC proved it (the nonce's
    # direction bit, Vol 6, Part E, 2.1): True for the central.
    last_from_central: bool | None

    def at_frame(self, frame: int) -> None: ...

    def decrypt(
        self, aa: int, direction: Direction, header0: int, payload: bytes
    ) -> bytes | None: ...


SkipHook = Callable[[int, str, int], None]
"""``(frame, reason, reference frame)``; reasons ``crc``, ``retransmission`` (reference: the
frame it repeats), ``encrypted``, ``unknown-encryption``, ``isochronous``, ``cut`` (a
packet a snapshot length cut that could not be read: see ``LlStream._cut``)."""


def airtime(length: int, phy: int = 0) -> float:
    """Seconds on air of a packet with ``length`` payload octets (Vol 6, Part B, 2.1):
    preamble, access address, header, payload, CRC; LE Coded counted at S=8."""
    if phy == 1:
        return (2 + 4 + 2 + length + 3) * 4e-6
    if phy == 2:
        return (80 + 256 + 16 + 24 + (2 + length + 3) * 64 + 24) * 1e-6
    return (1 + 4 + 2 + length + 3) * 8e-6


def _stretch(
    frames: Frames, i: int, stop: int, c: int, p: int, layout: _Layout
) -> tuple[int, int, int]:
    """Record ``i`` of ``frames`` is an empty PDU on the run's link (noted in ``c`` or
    ``p``, the run's last records from each side): pass over the stretch of records like
    it that follows (``_uniform`` with the ``layout``'s octets), if there is one.  Returns
    the record to look at next and the new ``c`` and ``p``.  The skims call it only when
    the ``_BULK`` records from ``i`` on lie at one stride (the first test here), so that a
    lone empty PDU costs no call."""
    heads = frames.heads
    start = heads[i]
    stride = heads[i + 1] - start
    if i + _BULK > stop or heads[i + _BULK] - start != _BULK * stride:
        return i + 1, c, p
    k = frames.same_size(i, stop)
    if k < _BULK:
        return i + 1, c, p
    k, last_c, last_p = _uniform(frames.buf, start + frames.hdr, stride, k, *layout)
    return i + k, i + last_c if last_c >= 0 else c, i + last_p if last_p >= 0 else p


class _Enc(Enum):
    CLEAR = "clear"
    STARTING = "starting"  # LL_START_ENC_REQ seen, not yet known what the capture holds
    CIPHER = "cipher"  # encrypted on air, the capture holds ciphertext
    DECRYPTED = "decrypted"  # encrypted on air, the capture tool wrote plaintext
    UNKNOWN = "unknown"  # link seen mid-connection


_Sent = tuple[int, bytes, int]
"""The last PDU seen from one side of a link: its header's SN and LLID bits (the first
header octet ``& 0x0B``), its payload and its frame."""


@dataclass(slots=True)
class _Link:
    aa: int
    from_connect: bool
    interval: float | None = None
    crc_init: int | None = None
    enc: _Enc = _Enc.CLEAR
    last_time: float | None = None
    last_channel: int | None = None
    last_length: int = 0
    last_dir: Direction | None = None  # None: no data PDU yet
    sent: dict[Direction, _Sent] = field(default_factory=dict)
    requests: dict[Direction, dict[int, int]] = field(default_factory=dict)


@dataclass(slots=True)
class _Air:
    """What one record holds, whatever its link type."""

    ble: bytes
    direction: Direction = U
    channel: int | None = None
    time: float | None = None
    crc_bad: bool = False  # the capture tool checked the CRC and it failed
    crc_checked: bool = False  # the capture tool checked the CRC (good or bad)
    advertising: bool | None = None  # None: decide by the access address
    secondary: bool = False
    phy: int = 0
    plaintext: bool | None = None  # the capture's word: True plaintext, False ciphertext
    decrypted: bool = False  # plaintext because the tool decrypted it (MIC may remain)
    isochronous: bool = False


def _settle(
    frames: Frames, link: _Link | None, c: int, p: int, channel_at: int, header_at: int
) -> None:
    """Write the state a run of empty PDUs on ``link`` leaves, as a skim passes over them:
    what its last packet and each side's last packet left (``c`` and ``p``: the run's last
    record from the central and from the peripheral, -1 for none).  A skim settles a run
    when it ends: another link, a packet whose direction is inferred from the link's
    state, a packet to feed, the end of the skim.  ``channel_at`` and ``header_at`` are the
    offsets of the RF channel and the PDU header in the records' payloads.  No ``link``: no
    run to settle."""
    if link is None:
        return
    buf, heads, hdr = frames.buf, frames.heads, frames.hdr
    last = c if c > p else p
    link.last_time = frames.time(last)
    link.last_channel = buf[heads[last] + hdr + channel_at]
    link.last_length = 0
    link.last_dir = C if last == c else P
    first = frames.first + 1
    for i, d in ((p, P), (c, C)) if -1 < p < c or c < 0 else ((c, C), (p, P)):
        if i >= 0:
            link.sent[d] = (buf[heads[i] + hdr + header_at] & 0x0B, b"", first + i)


class LlStream:
    """Feed air-capture records in order; get the PDUs each completes.  Never raises.

    ``problems`` collects what was wrong in the input (the caller drains it).  Counters:
    ``crc_errors``, ``retransmissions``, ``encrypted_skipped`` (ciphertext),
    ``unknown_state_skipped`` (mid-connection links), ``isochronous_skipped``, ``cut_skipped``
    (packets a snapshot length cut, not decoded: ``_cut``).  ``on_skip``,
    when set, is called for every packet dropped for one of those reasons (``SkipHook``).
    """

    def __init__(self, fast: bool = True) -> None:
        self.fast = fast  # False: every record takes the full path (tests compare the two)
        self.problems: list[Problem] = []
        self.links: dict[int, _Link] = {}
        self.crc_errors = 0
        self.retransmissions = 0
        self.encrypted_skipped = 0
        self.unknown_state_skipped = 0
        self.isochronous_skipped = 0
        self.on_skip: SkipHook | None = None
        # bpdiag.crypto.decryptor.LinkDecryptor (or None): asked for the plaintext of every
        # payload that would be skipped as ciphertext (``_cipher``), its one call site.
        self.decryptor: Decryptor | None = None
        self._proven: Direction | None = None  # the sender the last decryption proved
        self.flagged_bad_mic = 0  # packets the capture tool says are ciphertext (bad MIC)
        self._reasm = Reassembler(frozenset({CID_ATT, CID_SMP}))
        self._frag_start: dict[Hashable, tuple[int, int]] = {}
        self._unknown_frags: dict[int, list[tuple[bytes, int]]] = {}
        self._adv_seen: set[tuple[str, int | None, str | None]] = set()
        self._ppi_clock: tuple[int, int] | None = None  # (last raw clock, wraps)
        self._unconfirmed: dict[int, None] = {}  # links no CONNECT_IND announced
        self.links_expired = 0
        self.cut_skipped = 0  # cut packets not decoded (ciphertext, LL control, fragments)
        # an L2CAP PDU whose start a snapshot length cut: its continuations' octets to drop
        self._cut_l2cap: dict[Hashable, int] = {}
        self._adv_quiet: set[tuple[bytes, bool]] = set()  # see _quiet

    # ================================================================ public API
    def feeder(self, link_type: int) -> Callable[[Record], list[Pdu]]:
        """The fastest ``feed`` for records of one link type."""
        if self.fast and link_type == LinkType.NORDIC_BLE:
            return self._feed_nordic
        if self.fast and link_type == LinkType.BLUETOOTH_LE_LL_WITH_PHDR:
            return self._feed_phdr
        return self._feed_slow

    def feed(self, rec: Record) -> list[Pdu]:
        if self.fast:
            lt = rec.link_type
            if lt == LinkType.NORDIC_BLE:
                return self._feed_nordic(rec)
            if lt == LinkType.BLUETOOTH_LE_LL_WITH_PHDR:
                return self._feed_phdr(rec)
        return self._feed_slow(rec)

    # ================================================================ fast path
    # nRF Sniffer (v2/v3) and LE-PHDR records are read from their header octets, without
    # building the objects of the full path (``_unwrap``'s NordicPacket / PhdrPacket and
    # ``_Air``, ``split_air_packet``'s AirPacket, ``parse_data_pdu``'s DataPdu).  An empty PDU
    # on a known link costs a few comparisons and leaves the link state ``_data`` would
    # leave (direction and timing, the side's SN/LLID); a packet with a bad CRC is counted
    # and noted for direction inference (``_fast_bad_crc``); any other data PDU on a known
    # link goes to ``_data``, the code the full path runs too, with the fields read here; a
    # repeated advertising PDU that yielded nothing before is dropped (``_quiet``).  Every
    # other record — other advertising, LE Coded, CTEInfo, isochronous, a length that does
    # not add up, an access address with no link yet — goes to ``_feed_slow`` untouched.

    def _feed_nordic(self, rec: Record) -> list[Pdu]:
        """nRF Sniffer header versions 2 and 3 (see ``nordic``): board, payload length (2),
        version, counter (2), packet id, event header length, flags, channel, …"""
        p = rec.payload
        n = len(p)
        v = p[3] if n >= 17 else 0
        if (
            (v == 2 or v == 3)
            and 7 + (p[1] | p[2] << 8) == n
            and p[7] >= 10
            and (p[0] != 0xBE or p[1] != 0xEF)  # not version 0's marker
        ):
            b = 7 + p[7]
            if n >= b + 9:
                flags = p[8]
                adv = p[6] == 2 if v == 3 else p[b : b + 4] == _ADV_AA_BYTES
                if not flags & 0x01:  # CRC bad
                    d = None if adv else C if flags & 0x02 else P
                    return self._fast_bad_crc(rec, p, b, d, p[9], (flags >> 4) & 0x07)
                if flags & 0x60:
                    pass  # LE Coded (a coding indicator before the PDU), or reserved
                elif not adv:
                    h = p[b + 4]
                    length = p[b + 5]
                    if not h & 0x20 and n == b + 9 + length:
                        link = self.links.get(int.from_bytes(p[b : b + 4], "little"))
                        if link is not None:
                            d = C if flags & 0x02 else P
                            if not length:  # an empty PDU: what _data does with one
                                self._empty(link, d, rec.timestamp, p[9], h, rec.index)
                                return _NONE
                            mic_ok = flags & 0x0C == 0x0C  # encrypted and decrypted
                            return self._data(
                                rec,
                                link,
                                d,
                                rec.timestamp,
                                p[9],
                                (flags >> 4) & 0x07,
                                h,
                                p[b + 6 : n - 3],
                                mic_ok or not flags & 0x04,
                                mic_ok,
                            )
                elif n == b + 9 + p[b + 5] and (p[b + 4 : n - 3], p[9] < 37) in self._adv_quiet:
                    return _NONE
        return self._feed_slow(rec)

    def _feed_phdr(self, rec: Record) -> list[Pdu]:
        """LE LL with PHDR (see ``phdr``): RF channel, powers, offenses, reference AA,
        flags (2), then the air packet."""
        p = rec.payload
        n = len(p)
        if n >= 19:
            flags = p[8] | p[9] << 8
            pdu_type = (flags >> 7) & 0x07
            phy = flags >> 14
            if pdu_type == 2 or pdu_type == 4:
                d = C
            elif pdu_type == 3 or pdu_type == 5:
                d = P
            else:
                d = U
            if flags & 0x0C00 == 0x0400:  # the tool checked the CRC and it failed
                return self._fast_bad_crc(rec, p, 10, None if pdu_type == 1 else d, p[0], phy)
            if phy == 2 or not (pdu_type == 2 or pdu_type == 3 or pdu_type == 0):
                pass  # LE Coded; auxiliary advertising, isochronous, reserved
            elif pdu_type or p[10:14] != _ADV_AA_BYTES:
                h = p[14]
                length = p[15]
                if not h & 0x20 and n == 19 + length:
                    link = self.links.get(int.from_bytes(p[10:14], "little"))
                    if link is not None:
                        if (
                            not flags & 0x0400
                            and link.crc_init is not None
                            and p[-3:] != b"\x00\x00\x00"
                            and crc24(p[14:-3], link.crc_init) != p[-3:]
                        ):
                            return self._fast_bad_crc(rec, p, 10, d, p[0], phy)
                        if not length:  # an empty PDU: what _data does with one
                            t = rec.timestamp
                            if d is U:
                                d = self._infer(link, t, p[0], phy, 0)
                            self._empty(link, d, t, p[0], h, rec.index)
                            return _NONE
                        plaintext: bool | None = None
                        if flags & 0x0008 or flags & 0x3000 == 0x3000:  # decrypted, MIC OK
                            plaintext = True
                        elif flags & 0x1000:  # MIC checked and bad: ciphertext
                            plaintext = False
                        return self._data(
                            rec,
                            link,
                            d,
                            rec.timestamp,
                            p[0],
                            phy,
                            h,
                            p[16 : n - 3],
                            plaintext,
                            plaintext is True,
                        )
            elif (
                pdu_type == 0
                and flags & 0x0400
                and n == 19 + p[15]
                and (p[14:-3], False) in self._adv_quiet
            ):
                return _NONE
        return self._feed_slow(rec)

    @staticmethod
    def _empty(link: _Link, d: Direction, t: float, channel: int, h: int, frame: int) -> None:
        """An empty PDU (header octet ``h``) from ``d``: what ``_data`` leaves of one, the
        link's last packet and the side's last SN/LLID."""
        link.last_time = t
        link.last_channel = channel
        link.last_length = 0
        link.last_dir = d
        link.sent[d] = (h & 0x0B, b"", frame)

    # Runs of framed records (``Frames``, see ``skimmer``): the empty PDUs of known links
    # are passed over as ``_feed_nordic`` / ``_feed_phdr`` take them, straight from the
    # buffer; the first record that is anything else stops the skim and is fed.

    def skimmer(self, link_type: int) -> Callable[[Frames, int, int], int] | None:
        """``skim(frames, i, stop)`` for records of one link type: passes over the records
        ``i`` … ``stop - 1`` of a run that are empty PDUs on known links (keeping the state
        they carry: direction and timing, the side's SN) and returns where it stopped.
        ``None`` without the fast path or for link types that have none."""
        if self.fast and link_type == LinkType.NORDIC_BLE:
            return self._skim_nordic
        if self.fast and link_type == LinkType.BLUETOOTH_LE_LL_WITH_PHDR:
            return self._skim_phdr
        return None

    def _skim_nordic(self, frames: Frames, i: int, stop: int) -> int:
        """The empty-PDU and repeated-advertising cases of ``_feed_nordic``, on a run, for
        the usual 10-octet event header (others are left to it).

        The hot loop: one unpack per record, and a run of empty PDUs on one link (``aa``,
        ``link``) is told by its access address alone; ``c`` and ``p`` are the run's last
        records from the central and the peripheral (see ``_settle``)."""
        buf, heads, ends, hdr = frames.buf, frames.heads, frames.ends, frames.hdr
        links = self.links
        quiet = self._adv_quiet
        unpack = _NORDIC_EMPTY.unpack_from
        link: _Link | None = None
        aa_run = -1  # the access address of ``link``
        c = p = -1
        at = heads[i] + hdr
        while i < stop:
            after = heads[i + 1] + hdr  # the next record's payload
            end = ends[i + 1]
            n = end - at
            if n < 26:  # 17 octets of headers, access address, PDU header, CRC
                break
            board, size, v, pid, hl, flags, channel, aa, h, length = unpack(buf, at)
            if (
                hl != 10
                or size + 7 != n
                or (v != 2 and v != 3)
                or (board == 0xBE and size & 0xFF == 0xEF)  # version 0's marker
                or flags & 0x61 != 0x01  # CRC bad, LE Coded or reserved
            ):
                break
            if pid == 2 if v == 3 else aa == ADV_ACCESS_ADDRESS:
                if n == 26 + length and (buf[at + 21 : end - 3], channel < 37) in quiet:
                    i += 1
                    at = after
                    continue
                break
            if n != 26 or length or h & 0x20:
                break  # not an empty PDU (or one with CTEInfo)
            if aa != aa_run:
                if (other := links.get(aa)) is None:
                    break
                _settle(frames, link, c, p, 9, 21)
                link, aa_run, c, p = other, aa, -1, -1
            if flags & 0x02:
                c = i
            else:
                p = i
            if i + _BULK <= stop and heads[i + _BULK] + hdr - at == _BULK * (after - at):
                i, c, p = _stretch(frames, i, stop, c, p, _NORDIC_STRETCH)
                at = heads[i] + hdr
            else:  # no stretch follows: the next record
                i += 1
                at = after
        _settle(frames, link, c, p, 9, 21)
        return i

    def _skim_phdr(self, frames: Frames, i: int, stop: int) -> int:
        """The empty-PDU case of ``_feed_phdr``, on a run: a CRC the tool did not check is
        left to it.  A run of empty PDUs on one link as in ``_skim_nordic``."""
        buf, heads, ends, hdr = frames.buf, frames.heads, frames.ends, frames.hdr
        links = self.links
        unpack = _PHDR_EMPTY.unpack_from
        link: _Link | None = None
        aa_run = -1  # the access address of ``link``
        c = p = -1
        at = heads[i] + hdr
        while i < stop:
            if ends[i + 1] - at != 19:
                break  # not an empty PDU
            after = heads[i + 1] + hdr  # the next record's payload
            channel, flags, aa, h, length = unpack(buf, at)
            # CRC checked and good, not LE Coded, an empty PDU without CTEInfo
            if flags & 0xCC00 == 0x8C00 or flags & 0x0C00 != 0x0C00 or length or h & 0x20:
                break
            pdu_type = (flags >> 7) & 0x07
            if pdu_type == 2 or pdu_type == 3:
                if aa != aa_run:
                    if (other := links.get(aa)) is None:
                        break
                    _settle(frames, link, c, p, 0, 14)
                    link, aa_run, c, p = other, aa, -1, -1
                if pdu_type == 2:
                    c = i
                else:
                    p = i
                if i + _BULK <= stop and heads[i + _BULK] + hdr - at == _BULK * (after - at):
                    i, c, p = _stretch(frames, i, stop, c, p, _PHDR_STRETCH)
                    at = heads[i] + hdr
                else:  # no stretch follows: the next record
                    i += 1
                    at = after
                continue
            if pdu_type or aa == ADV_ACCESS_ADDRESS:
                break
            # PDU type 0: the direction is inferred from the link's state, settled first
            other = links.get(aa)
            if other is None:
                break
            _settle(frames, link, c, p, 0, 14)
            link, aa_run, c, p = None, -1, -1, -1
            t = frames.time(i)
            d = self._infer(other, t, channel, flags >> 14, 0)
            self._empty(other, d, t, channel, h, frames.first + 1 + i)
            i += 1
            at = after
        _settle(frames, link, c, p, 0, 14)
        return i

    def _fast_bad_crc(
        self, rec: Record, p: bytes, b: int, d: Direction | None, channel: int, phy: int
    ) -> list[Pdu]:
        """``_bad_crc`` for the air packet at ``p[b:]`` (at least 9 octets); ``d`` ``None``
        for an advertising packet."""
        self.crc_errors += 1
        self._skip(rec.index, "crc", 0)
        if d is not None:
            link = self.links.get(int.from_bytes(p[b : b + 4], "little"))
            if link is not None:
                self._step(link, d, rec.timestamp, channel, phy, p[b + 5])
        return _NONE

    def _quiet(self, pdu: bytes, secondary: bool) -> list[Pdu]:
        """An advertising PDU that yields nothing now yields nothing when it comes again
        (same octets, same channel kind): ``_advertising`` emits an advertiser once per
        address, flags and name, and ``_adv_seen`` only grows.  Remembered (at most
        ``_ADV_QUIET_MAX`` of them) so that the fast path skips its repetitions."""
        quiet = self._adv_quiet
        if len(quiet) >= _ADV_QUIET_MAX:
            quiet.clear()
        quiet.add((pdu, secondary))
        return _NONE

    # ================================================================ full path
    def _feed_slow(self, rec: Record) -> list[Pdu]:
        try:
            a = self._unwrap(rec)
            if a.crc_bad:  # a tool that checked it did so before any snapshot length cut
                return self._bad_crc(rec, a)
            if a.isochronous:
                self.isochronous_skipped += 1
                self._skip(rec.index, "isochronous", 0)
                return _NONE
            if rec.orig_length > len(rec.payload):
                return self._cut(rec, a)
            pkt = split_air_packet(a.ble, advertising=a.advertising, coded=a.phy == 2)
            adv = pkt.is_advertising_aa if a.advertising is None else a.advertising
            if not a.crc_checked and pkt.crc != b"\x00\x00\x00" and self._crc_bad(pkt, adv):
                return self._bad_crc(rec, a)
            if adv:
                return self._advertising(rec, a, pkt.pdu)
            return self._data_slow(rec, a, pkt.access_address, pkt.pdu)
        except DecodeError as exc:
            return self._decode_error(rec, exc)

    def _decode_error(self, rec: Record, exc: DecodeError) -> list[Pdu]:
        """A record that did not decode: a problem, no PDU."""
        self.problems.append(
            Problem(
                rec.index, rec.file_offset, str(exc), exc.layer or Stage.LL, ProblemKind.of(exc)
            )
        )
        return _NONE

    def finish(self) -> list[Pdu]:
        """Report L2CAP PDUs the capture ended inside of (wanted channels, or not yet known)."""
        for key, cid, have, expected in self._reasm.pending():
            if cid not in (CID_ATT, CID_SMP, -1):
                continue
            aa, d = cast(tuple[int, Direction], key)
            start = self._frag_start.get(key)
            what = "its 4-byte header" if cid < 0 else f"CID 0x{cid:04x}"
            need = "4" if cid < 0 else str(expected)
            self.problems.append(
                Problem(
                    None if start is None else start[0],
                    None if start is None else start[1],
                    f"capture ends inside an L2CAP PDU on access address 0x{aa:08x} "
                    f"({_dir_word(d)}), {what}: {have} of {need} bytes",
                    Stage.L2CAP,
                    ProblemKind.TRUNCATED,
                )
            )
            self._reasm.drop(key)
        return _NONE

    # ================================================================ unwrapping
    def _unwrap(self, rec: Record) -> _Air:
        lt = rec.link_type
        if lt == LinkType.NORDIC_BLE:
            n = parse_nordic(rec.payload, rec.orig_length)
            if n.is_advertising:
                return _Air(
                    n.ble,
                    channel=n.channel,
                    time=rec.timestamp,
                    crc_bad=not n.crc_ok,
                    crc_checked=True,
                    advertising=True,
                    secondary=n.channel < 37,
                    phy=n.phy,
                )
            return _Air(
                n.ble,
                C if n.c_to_p else P,
                n.channel,
                rec.timestamp,
                not n.crc_ok,
                True,
                False,
                phy=n.phy,
                plaintext=not n.encrypted or n.mic_ok,
                decrypted=n.mic_ok,
            )
        if lt == LinkType.BLUETOOTH_LE_LL_WITH_PHDR:
            h = parse_phdr(rec.payload)
            c_to_p = h.c_to_p
            plaintext: bool | None = None
            if h.decrypted or h.mic_ok:
                plaintext = True
            elif h.mic_checked:
                plaintext = False
            return _Air(
                h.ble,
                U if c_to_p is None else C if c_to_p else P,
                h.rf_channel,
                rec.timestamp,
                h.crc_bad,
                h.crc_checked,
                h.is_advertising,
                h.pdu_type == 1,
                h.phy,
                plaintext,
                bool(plaintext),
                isochronous=h.pdu_type in (4, 5, 6),
            )
        if lt == LinkType.PPI:
            p = parse_ppi(rec.payload, rec.orig_length > len(rec.payload))
            if p.btle is None:
                return _Air(p.ble, time=rec.timestamp)
            rf = p.btle.rf_channel
            return _Air(
                p.ble,
                channel=p.btle.channel_mhz,
                time=self._ppi_time(p.btle.clk_100ns),
                secondary=rf is not None and rf not in (0, 12, 39),
            )
        return _Air(bytes(rec.payload), time=rec.timestamp)

    def _ppi_time(self, clk: int) -> float:
        """Ubertooth clock (100 ns units, 32 bits) unwrapped into seconds."""
        wraps = 0
        if self._ppi_clock is not None:
            last, wraps = self._ppi_clock
            if clk < last - (_PPI_CLOCK_WRAP >> 1):
                wraps += 1
        self._ppi_clock = (clk, wraps)
        return (wraps * _PPI_CLOCK_WRAP + clk) * 1e-7

    def _bad_crc(self, rec: Record, a: _Air) -> list[Pdu]:
        """Count a packet with a bad CRC.  It is not decoded, but it still took its turn in
        its connection event, so a known link's direction inference notes it."""
        self.crc_errors += 1
        self._skip(rec.index, "crc", 0)
        if a.advertising is not True and len(a.ble) >= 6:
            link = self.links.get(int.from_bytes(a.ble[0:4], "little"))
            if link is not None:
                self._step(link, a.direction, a.time, a.channel, a.phy, a.ble[5])
        return _NONE

    def _crc_bad(self, pkt: AirPacket, adv: bool) -> bool:
        """Check a CRC the capture tool did not: advertising channel PDUs against 0x555555,
        data PDUs against the CRCInit of their CONNECT_IND (when it was captured)."""
        if adv:
            if pkt.access_address != ADV_ACCESS_ADDRESS:
                return False  # periodic advertising: CRCInit from SyncInfo, not followed
            init = ADV_CRC_INIT
        else:
            link = self.links.get(pkt.access_address)
            if link is None or link.crc_init is None:
                return False
            init = link.crc_init
        return crc24(pkt.pdu, init) != pkt.crc

    def _skip(self, frame: int, reason: str, ref: int) -> None:
        if self.on_skip is not None:
            self.on_skip(frame, reason, ref)

    # ================================================================ advertising
    def _advertising(self, rec: Record, a: _Air, pdu: bytes) -> list[Pdu]:
        msg = parse_adv(pdu, secondary=a.secondary)
        if isinstance(msg, ConnectInd):
            aa = msg.access_address
            self._start_link(aa, msg.interval * 1.25e-3 or None, msg.crc_init)
            return [
                Pdu(
                    rec.index, rec.timestamp, C, ("ll", aa), Layer.ADV, msg.pdu_type, msg, rec.index
                )
            ]
        if isinstance(msg, AdvPdu):
            flags, name = msg.flags, msg.local_name
            if flags is None and name is None:
                return self._quiet(pdu, a.secondary)
            key = (msg.adv_address, flags, name)
            if key in self._adv_seen:
                return self._quiet(pdu, a.secondary)
            self._adv_seen.add(key)
            if msg.ad.problem is not None:
                self.problems.append(
                    Problem(
                        rec.index,
                        rec.file_offset,
                        msg.ad.problem,
                        Stage.ADV,
                        ProblemKind.BAD_LENGTH,
                    ),
                )
            return [Pdu(rec.index, rec.timestamp, U, None, Layer.ADV, msg.pdu_type, msg, rec.index)]
        return self._quiet(pdu, a.secondary)

    # ================================================================ snapshot length
    def _cut(self, rec: Record, a: _Air) -> list[Pdu]:
        """A packet a snapshot length cut (``rec.orig_length``): its access address and PDU
        header (Vol 6, Part B, 2.1 and 2.4) are read and as much of the payload as remains.
        Its CRC is not there, so it is not checked; a cut ciphertext is not decrypted
        (``cut_skipped``).  A CONNECT_IND (2.3.3.1) cut after its access address starts the
        link; an L2CAP PDU (LLID 0b10) on the SMP channel cut inside its values is kept as
        ``hci_stream`` keeps one (the fields present, or the command without its values) and
        named by a problem (layer ``truncated``); other cut payloads are counted."""
        ble = a.ble
        if len(ble) < 6:
            self.cut_skipped += 1
            return _NONE
        aa = int.from_bytes(ble[0:4], "little")
        h, length = ble[4], ble[5]
        adv = aa == ADV_ACCESS_ADDRESS if a.advertising is None else a.advertising
        if adv:
            if h & 0x0F == 0x05 and len(ble) >= 22 and aa == ADV_ACCESS_ADDRESS:
                new = int.from_bytes(ble[18:22], "little")  # CONNECT_IND: InitA, AdvA, AA
                if new not in self.links or new in self._unconfirmed:
                    self._start_link(new, None, None)  # its LLData is cut: a link announced
            self.cut_skipped += 1
            return _NONE
        at = 7 if h & 0x20 else 6  # CTEInfo
        payload = ble[at : at + length]
        link = self.links.get(aa)
        if link is None:
            link = self._unconfirmed_link(rec, aa)
        if len(payload) >= length:  # only the CRC was cut: the PDU is whole
            return self._data(
                rec, link, a.direction, a.time, a.channel, a.phy, h, payload, a.plaintext,
                a.decrypted,
            )  # fmt: skip
        d = self._step(link, a.direction, a.time, a.channel, a.phy, length)
        if self._repeated(rec, link, d, h, payload):
            return _NONE
        llid = h & 0x03
        encrypted = a.plaintext is False or (
            a.plaintext is None and link.enc not in (_Enc.CLEAR, _Enc.UNKNOWN)
        )
        if link.enc is _Enc.STARTING and a.plaintext is None:
            link.enc = _Enc.CIPHER  # longer than a MIC (5.1.3.1)
        if llid == 1 and not encrypted:
            if self._cut_continues((aa, d), length):  # counted there
                return _NONE
            if self._reasm.is_pending((aa, d)):  # an uncut start, a cut continuation
                self._reasm.drop((aa, d))
                self.problems.append(
                    Problem(
                        rec.index,
                        rec.file_offset,
                        f"truncated to {len(rec.payload)} of {rec.orig_length} bytes by the "
                        "capture's snapshot length: the L2CAP PDU this fragment continues "
                        f"on access address 0x{aa:08x} is not decoded",
                        Stage.L2CAP,
                        ProblemKind.TRUNCATED,
                    )
                )
            self.cut_skipped += 1
            return _NONE
        if encrypted or llid != 2 or len(payload) < 5:
            self.cut_skipped += 1
            self._skip(rec.index, "encrypted" if encrypted else "cut", 0)
            return _NONE
        l2len, cid = _L2HDR.unpack_from(payload)
        if cid != CID_SMP or l2len + 4 < length:  # (a shorter L2CAP length: not plaintext)
            if cid == CID_ATT and payload[4] in _ATT_REQUESTS:
                link.requests.setdefault(d, {})[payload[4]] = rec.index
            self.cut_skipped += 1
            return _NONE
        if l2len + 4 > length:  # the rest comes in continuations (LLID 0b01)
            self._cut_l2cap[(aa, d)] = l2len + 4 - length
        data = payload[4:]
        code = data[0]
        msg: smp.CutPairingFeatures | smp.UnreadCommand | None = smp.parse_cut_features(
            data, l2len
        ) or smp.parse_unread(data, l2len)
        kept = "is kept without its values" if msg is not None else "is not decoded"
        if isinstance(msg, smp.CutPairingFeatures):
            kept = "is kept: only the fields present are decoded"
        self.problems.append(
            Problem(
                rec.index,
                rec.file_offset,
                f"truncated to {len(rec.payload)} of {rec.orig_length} bytes by the capture's "
                f"snapshot length: the SMP {smp.command_name(code)} on access address "
                f"0x{aa:08x} {kept} (its fields are cut)",
                Stage.TRUNCATED,
                ProblemKind.TRUNCATED,
            )
        )
        if msg is None:
            return _NONE
        return [Pdu(rec.index, rec.timestamp, d, ("ll", aa), Layer.SMP, code, msg, rec.index)]

    def _cut_continues(self, key: Hashable, n: int) -> bool:
        """Is this continuation part of an L2CAP PDU whose start was cut (``_cut``)?"""
        left = self._cut_l2cap.get(key)
        if left is None:
            return False
        if left > n:
            self._cut_l2cap[key] = left - n
        else:
            del self._cut_l2cap[key]
        self.cut_skipped += 1
        return True

    # ================================================================ direction
    def _step(
        self,
        link: _Link,
        d: Direction,
        t: float | None,
        channel: int | None,
        phy: int,
        length: int,
    ) -> Direction:
        """The direction of a packet of ``length`` payload octets on ``link`` (``_infer``),
        noted as the link's last packet."""
        if d is U:
            d = self._infer(link, t, channel, phy, length)
        link.last_time = t
        link.last_channel = channel
        link.last_length = length
        link.last_dir = d
        return d

    def _infer(
        self, link: _Link, t: float | None, channel: int | None, phy: int, length: int
    ) -> Direction:
        """The direction of a packet the capture does not place; changes no state."""
        if link.last_dir is None:
            return C if link.from_connect else U
        new_event = self._new_event(link, t, channel, phy, length)
        if new_event is None:
            return U
        return C if new_event else _OTHER[link.last_dir]

    def _new_event(
        self, link: _Link, t: float | None, channel: int | None, phy: int, length: int
    ) -> bool | None:
        last = link.last_time
        if t is not None and last is not None and t - last >= MIN_USABLE_GAP:
            limit = T_IFS + airtime(link.last_length, phy) + airtime(length, phy)
            limit = max(MIN_EVENT_GAP, limit + EVENT_SLACK)
            if link.interval:
                limit = min(limit, 0.9 * link.interval)
            return t - last > limit
        if channel is not None and link.last_channel is not None:
            return channel != link.last_channel
        return None

    # ================================================================ data channel
    def _data_slow(self, rec: Record, a: _Air, aa: int, pdu: bytes) -> list[Pdu]:
        link = self.links.get(aa)
        if link is None:
            link = self._unconfirmed_link(rec, aa)
        hdr = parse_data_pdu(pdu)
        return self._data(
            rec,
            link,
            a.direction,
            a.time,
            a.channel,
            a.phy,
            pdu[0],
            hdr.payload,
            a.plaintext,
            a.decrypted,
        )

    def _data(
        self,
        rec: Record,
        link: _Link,
        d: Direction,
        t: float | None,
        channel: int | None,
        phy: int,
        h: int,
        payload: bytes,
        plaintext: bool | None,
        decrypted: bool,
    ) -> list[Pdu]:
        """A data PDU on ``link``: its header's first octet ``h`` and its payload (after
        any CTEInfo); the capture's word on direction (``d``), time, channel, PHY and
        whether the payload is plaintext (``None``: it does not say) or was ``decrypted``."""
        d = self._step(link, d, t, channel, phy, len(payload))
        if not payload:
            link.sent[d] = (h & 0x0B, b"", rec.index)
            return _NONE
        if self._repeated(rec, link, d, h, payload):
            return _NONE
        llid = h & 0x03
        plain = self._plaintext(rec, link, plaintext, decrypted, h, payload, (link.aa, d))
        if plain is None:
            return _NONE
        if self._proven is not None:
            d = self._prove(link, d, self._proven)
        try:  # the fast path calls this outside ``_feed_slow``'s guard
            if llid == 3:
                return self._control(rec, link, d, plain)
            if llid == 2 or llid == 1:
                return self._l2cap(rec, link, d, llid, plain)
        except DecodeError as exc:
            return self._decode_error(rec, exc)
        self.problems.append(
            Problem(
                rec.index,
                rec.file_offset,
                "data PDU with reserved LLID 0b00",
                Stage.LL,
                ProblemKind.INVALID,
            )
        )
        return _NONE

    def _repeated(self, rec: Record, link: _Link, d: Direction, h: int, payload: bytes) -> bool:
        """Is this PDU (header octet ``h``) a retransmission (4.5.9): the same SN, LLID and
        payload as the last PDU from ``d`` (or, for a side not heard from yet, as one sent
        while the direction could not be told)?  Counted if so; else it becomes the side's
        last PDU."""
        key = h & 0x0B  # SN and LLID
        sent = link.sent
        prev = sent.get(d)
        if prev is None and d is not U:
            prev = sent.get(U)  # sent before the direction could be told
        if prev is not None and prev[0] == key and prev[1] == payload:
            self.retransmissions += 1
            self._skip(rec.index, "retransmission", prev[2])
            return True
        sent[d] = (key, payload, rec.index)
        return False

    def _start_link(self, aa: int, interval: float | None, crc_init: int | None) -> None:
        """A CONNECT_IND (Vol 6, Part B, 2.3.3.1) starts fresh state for its access
        address: no partial L2CAP PDU of a link that had it carries over."""
        self.links.pop(aa, None)
        self._unconfirmed.pop(aa, None)
        for d in (C, P, U):
            self._reasm.drop((aa, d))
        self.links[aa] = _Link(aa, True, interval, crc_init)

    def _prove(self, link: _Link, d: Direction, proven: Direction) -> Direction:
        """A decrypted packet's MIC named its sender: the direction the capture gave or the
        timing suggested yields to it, for the link's state (the side's last PDU, the next
        packet's inference) and for L2CAP reassembly, which is kept per direction."""
        self._proven = None
        if proven is not d:
            link.sent[proven] = link.sent.pop(d)
            link.last_dir = proven
        return proven

    def _plaintext(
        self,
        rec: Record,
        link: _Link,
        plaintext: bool | None,
        decrypted: bool,
        header0: int,
        payload: bytes,
        key: Hashable,
    ) -> bytes | None:
        """The payload to decode, or ``None`` when it is ciphertext (counted).
        ``plaintext``/``decrypted``: the capture's word (``_Air``); ``header0``: the data PDU
        header's first octet (its CP bit is authenticated by the MIC)."""
        llid = header0 & 3
        if plaintext is not None:
            if plaintext:
                return _strip_mic(llid, payload) if decrypted else payload
            self.flagged_bad_mic += 1  # the tool could not decrypt it (lacked the key)
            return self._cipher(rec, "encrypted", key, payload, header0)
        state = link.enc
        if state is _Enc.CLEAR:
            return payload
        if state is _Enc.DECRYPTED:
            return _strip_mic(llid, payload)
        small = len(payload) <= 4  # shorter than a MIC: cannot be ciphertext
        if state is _Enc.STARTING:
            if small:
                link.enc = _Enc.DECRYPTED
                return payload
            link.enc = _Enc.CIPHER
            return self._cipher(rec, "encrypted", key, payload, header0)
        if state is _Enc.CIPHER:
            return payload if small else self._cipher(rec, "encrypted", key, payload, header0)
        # UNKNOWN: a link first seen mid-connection.
        if small:
            link.enc = _Enc.CLEAR
            return payload
        if self._plausible(llid, payload, key):
            if llid == 2:
                link.enc = _Enc.CLEAR  # a consistent L2CAP header: ~1e-9 for ciphertext
            return payload
        self.unknown_state_skipped += 1
        self._skip(rec.index, "unknown-encryption", 0)
        return None

    def _cipher(
        self, rec: Record, reason: str, key: Hashable, payload: bytes, header0: int
    ) -> bytes | None:
        """Decrypt a PDU that is ciphertext when a key opens it; else count it and return
        ``None``, the payload ``_plaintext`` cannot give."""
        if self.decryptor is not None:
            aa, d = cast(tuple[int, Direction], key)
            self.decryptor.at_frame(rec.index)
            plain = self.decryptor.decrypt(aa, d, header0, payload)
            if plain is not None:
                central = self.decryptor.last_from_central
                self._proven = None if central is None else C if central else P
                return plain
        self.encrypted_skipped += 1
        self._skip(rec.index, reason, 0)
        return None

    def _plausible(self, llid: int, payload: bytes, key: Hashable) -> bool:
        """Does the payload parse exactly as plaintext?"""
        if llid == 3:
            need = CONTROL_LENGTHS.get(payload[0])
            return need is not None and len(payload) == 1 + need
        if llid == 2:
            if len(payload) < 4:
                return False
            l2len, cid = _L2HDR.unpack_from(payload)
            return cid in (CID_ATT, CID_LE_SIGNALING, CID_SMP) and l2len + 4 >= len(payload)
        if llid == 1:
            return self._reasm.is_pending(key)
        return False

    # ================================================================ LL control
    def _control(self, rec: Record, link: _Link, d: Direction, payload: bytes) -> list[Pdu]:
        ctl = parse_control(payload)
        op = ctl.opcode
        if isinstance(ctl, ConnectionUpdateInd) and ctl.interval:
            # Applies at its instant; until then the shorter interval bounds an event.
            new = ctl.interval * 1.25e-3
            link.interval = min(link.interval, new) if link.interval else new
        elif op == LL_START_ENC_REQ:
            link.enc = _Enc.STARTING
        elif op == LL_PAUSE_ENC_RSP and d is not P and link.enc is not _Enc.UNKNOWN:
            link.enc = _Enc.CLEAR  # the central's, sent in clear (5.1.3.2)
        return [Pdu(rec.index, rec.timestamp, d, ("ll", link.aa), Layer.LL, op, ctl, rec.index)]

    # ================================================================ L2CAP → SMP / ATT
    def _l2cap(
        self, rec: Record, link: _Link, d: Direction, llid: int, payload: bytes
    ) -> list[Pdu]:
        key = (link.aa, d)
        reasm = self._reasm
        if llid == 2:
            if self._cut_l2cap:
                self._cut_l2cap.pop(key, None)  # a new PDU: the cut one's tail is not coming
            frame = reasm.start(key, payload, rec.index)
            if frame is None and reasm.is_pending(key):
                self._frag_start[key] = (rec.index, rec.file_offset)
            if d is U:
                self._unknown_frags[link.aa] = [(payload, rec.index)]
        else:
            if self._cut_l2cap and self._cut_continues(key, len(payload)):
                return _NONE
            if d is not U and not reasm.is_pending(key):
                self._adopt_unknown(link.aa, key)
            elif d is U and link.aa in self._unknown_frags:
                self._unknown_frags[link.aa].append((payload, rec.index))
            frame = reasm.continuation(key, payload, rec.index)
        if reasm.problems:
            for idx, message, kind in reasm.problems:
                offset = rec.file_offset if idx == rec.index else None
                self.problems.append(Problem(idx, offset, message, Stage.L2CAP, kind))
            reasm.problems.clear()
        if frame is None:
            return _NONE
        link_key = ("ll", link.aa)
        data = frame.payload
        if frame.cid == CID_SMP:
            if not data:
                self.problems.append(
                    Problem(
                        rec.index,
                        rec.file_offset,
                        "empty SMP PDU (no command code)",
                        Stage.SMP,
                        ProblemKind.TRUNCATED,
                    )
                )
                return _NONE
            cmd = smp.parse_smp(data)
            return [
                Pdu(
                    rec.index,
                    rec.timestamp,
                    d,
                    link_key,
                    Layer.SMP,
                    data[0],
                    cmd,
                    frame.first_frame,
                )
            ]
        # ATT: Error Responses are emitted, requests remembered for ``answers``.
        if not data:
            return _NONE
        op = data[0]
        if op != ATT_ERROR_RESPONSE and op not in _ATT_REQUESTS:
            return _NONE
        msg = att.parse_att(data)
        if isinstance(msg, att.AttErrorResponse):
            answers = self._request_frame(link, d, msg.request_opcode)
            return [
                Pdu(
                    rec.index,
                    rec.timestamp,
                    d,
                    link_key,
                    Layer.ATT,
                    ATT_ERROR_RESPONSE,
                    msg,
                    frame.first_frame,
                    answers,
                )
            ]
        if isinstance(msg, att.AttRequest):
            link.requests.setdefault(d, {})[msg.opcode] = frame.last_frame
        return _NONE

    def _unconfirmed_link(self, rec: Record, aa: int) -> _Link:
        """A link for an access address no CONNECT_IND announced (a connection captured
        mid-way, or noise).  At most ``MAX_UNCONFIRMED_LINKS`` are kept: past that, the half
        seen least recently are forgotten in one batch (constant cost per link), with their
        partial L2CAP PDUs, and one problem says so."""
        if len(self._unconfirmed) >= MAX_UNCONFIRMED_LINKS:

            def last_seen(a: int) -> int:
                link = self.links.get(a)
                return max((s[2] for s in link.sent.values()), default=0) if link else 0

            stale = sorted(self._unconfirmed, key=last_seen)[: len(self._unconfirmed) // 2]
            for a in stale:
                del self._unconfirmed[a]
                self.links.pop(a, None)
                self._unknown_frags.pop(a, None)
                for d in (C, P, U):
                    self._reasm.drop((a, d))
                    self._frag_start.pop((a, d), None)
            self.links_expired += len(stale)
            self.problems.append(
                Problem(
                    rec.index,
                    rec.file_offset,
                    f"more than {MAX_UNCONFIRMED_LINKS} access addresses without a CONNECT_IND "
                    f"were open at once; the {len(stale)} seen least recently were forgotten "
                    "(a later packet on one starts it over)",
                    Stage.LL,
                )
            )
        self._unconfirmed[aa] = None
        link = self.links[aa] = _Link(aa, False, enc=_Enc.UNKNOWN)
        return link

    def _adopt_unknown(self, aa: int, key: tuple[int, Direction]) -> None:
        """A continuation whose direction is known, with nothing pending in that direction,
        continues the L2CAP PDU started while the link's direction could not be told yet (the
        first packets of a connection captured without its CONNECT_IND): move it over."""
        frags = self._unknown_frags.pop(aa, None)
        ukey = (aa, U)
        if frags is None or not self._reasm.is_pending(ukey):
            return
        self._reasm.drop(ukey)
        start = self._frag_start.pop(ukey, None)
        (first, first_frame), *rest = frags
        self._reasm.start(key, first, first_frame)
        for data, frame in rest:
            self._reasm.continuation(key, data, frame)
        if start is not None:
            self._frag_start[key] = start

    @staticmethod
    def _request_frame(link: _Link, d: Direction, opcode: int) -> int:
        """The last request with ``opcode`` the other side sent (either side when the
        direction is unknown)."""
        sides = (_OTHER[d],) if d is not U else (C, P, U)
        frames = [link.requests.get(s, {}).get(opcode, 0) for s in sides]
        return max(frames)


MAX_UNCONFIRMED_LINKS = 1024
"""Links without a CONNECT_IND kept at once (a sniffer follows a handful of connections)."""

_ATT_REQUESTS: frozenset[int] = getattr(
    att,
    "REQUESTS",
    frozenset({0x02, 0x04, 0x06, 0x08, 0x0A, 0x0C, 0x0E, 0x10, 0x12, 0x16, 0x18, 0x20}),
)


def _strip_mic(llid: int, payload: bytes) -> bytes:
    """Drop a MIC a decrypting tool left in place: when the L2CAP length (LLID 0b10) or the
    opcode's CtrData length (LLID 0b11) says the payload is exactly 4 bytes too long."""
    n = len(payload)
    if n < 5:
        return payload
    if llid == 3:
        need = CONTROL_LENGTHS.get(payload[0])
        if need is not None and n == 1 + need + 4:
            return payload[:-4]
    elif llid == 2 and n >= 8:
        l2len = payload[0] | payload[1] << 8
        if l2len + 8 == n:
            return payload[:-4]
    return payload


def _dir_word(d: Direction) -> str:
    return {C: "central→peripheral", P: "peripheral→central"}.get(d, "direction unknown")
