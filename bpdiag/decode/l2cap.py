"""L2CAP basic frames and their reassembly from ACL / LL fragments.

Bluetooth Core Spec v5.4:
- Vol 3, Part A, 3.1 — the basic L2CAP header: ``Length`` (2 octets, little-endian, payload
  length) and ``Channel ID`` (2 octets); LE fixed channels 0x0004 ATT, 0x0005 LE signalling,
  0x0006 SMP (0x0007 BR/EDR SMP).
- Vol 4, Part E, 5.4.2 — HCI ACL data packets: Packet_Boundary_Flag 0b00/0b10 first fragment,
  0b01 continuing fragment (0b11 complete L2CAP PDU, for AMP / automatically flushable).
- Vol 6, Part B, 2.4 — LL data PDUs: LLID 0b10 start of an L2CAP message (or complete),
  0b01 continuation fragment (or an empty PDU).

The reassembler is the only stateful piece here: one partial PDU per (link, direction) key.
It never raises on bad input; it records what went wrong in ``problems`` (a list of
``(frame, message)`` the caller drains) and goes on.

Its memory is bounded whatever the input claims.  A channel bounds its PDUs: an SMP PDU is
at most 65 octets (the Pairing Public Key, Vol 3, Part H, 3.3 / 3.5.6), and an ATT PDU at
most ATT_MTU (Vol 3, Part F, 3.2.8), which stacks cap at 517 (a 512-octet attribute value,
3.2.9, behind a Prepare Write header).  A header claiming more is a problem, and the PDU's
bytes are counted (so its continuations still line up) but not kept.  At most
``MAX_PARTIAL`` PDUs are open at once; past that the oldest half are dropped unfinished and
one problem says how many.
"""

from __future__ import annotations

import struct
from collections.abc import Hashable
from dataclasses import dataclass

from bpdiag.capture.record import ProblemKind

CID_ATT = 0x0004
CID_LE_SIGNALING = 0x0005
CID_SMP = 0x0006
CID_BREDR_SMP = 0x0007

_HDR = struct.Struct("<HH")

SMP_MAX_PDU = 65  # Pairing Public Key: code + 64 octets (Vol 3, Part H, 3.5.6)
ATT_MAX_PDU = 517  # the largest ATT_MTU stacks negotiate (512-octet value + 5)
CHANNEL_LIMITS = {CID_SMP: SMP_MAX_PDU, CID_BREDR_SMP: SMP_MAX_PDU, CID_ATT: ATT_MAX_PDU}
MAX_PARTIAL = 4096
"""PDUs open at once; a real capture has a few (one per link and direction in flight)."""


@dataclass(slots=True)
class L2capFrame:
    """A complete L2CAP basic frame (Vol 3, Part A, 3.1)."""

    cid: int
    payload: bytes
    first_frame: int
    last_frame: int


@dataclass(slots=True)
class _Partial:
    cid: int
    expected: int  # payload bytes expected in total
    chunks: list[bytes]
    have: int
    first_frame: int
    wanted: bool


class Reassembler:
    """Rebuilds L2CAP frames from fragments, per key (typically ``(link, direction)``).

    ``wanted`` limits which channels are assembled; fragments of other channels are only
    counted (so their continuations are not mistaken for orphans) and never copied.
    """

    __slots__ = ("_partial", "evicted", "limits", "problems", "wanted")

    def __init__(
        self, wanted: frozenset[int] | None = None, limits: dict[int, int] | None = None
    ) -> None:
        self.wanted = wanted
        self.limits = CHANNEL_LIMITS if limits is None else limits
        self._partial: dict[Hashable, _Partial] = {}
        self.problems: list[tuple[int, str, ProblemKind]] = []
        self.evicted = 0  # partial PDUs dropped because too many were open

    def _open(self, key: Hashable, part: _Partial) -> None:
        """Keep a partial PDU, dropping the oldest half when ``MAX_PARTIAL`` are open (in one
        batch, so the cost per PDU stays constant)."""
        partial = self._partial
        if len(partial) >= MAX_PARTIAL and key not in partial:
            items = list(partial.items())
            half = len(items) // 2
            partial.clear()
            partial.update(items[half:])
            self.evicted += half
            self.problems.append(
                (
                    part.first_frame,
                    f"more than {MAX_PARTIAL} L2CAP PDUs were unfinished at once; the "
                    f"{half} oldest were dropped (their continuations will show as orphans)",
                    ProblemKind.LIMIT,
                )
            )
        partial[key] = part

    def start(self, key: Hashable, data: bytes, frame: int) -> L2capFrame | None:
        """Feed a first fragment (HCI PB 0b00/0b10/0b11, LL LLID 0b10)."""
        old = self._partial.pop(key, None)
        if old is not None and old.expected < 0:
            self.problems.append(
                (
                    frame,
                    f"L2CAP fragment started at frame {old.first_frame} ended before its "
                    f"4-byte header was complete ({old.have} bytes)",
                    ProblemKind.TRUNCATED,
                )
            )
        elif old is not None and old.wanted:
            self.problems.append(
                (
                    frame,
                    f"L2CAP PDU on CID 0x{old.cid:04x} started at frame {old.first_frame} "
                    f"was cut short: {old.have} of {old.expected} bytes before a new one began",
                    ProblemKind.TRUNCATED,
                )
            )
        if len(data) < 4:
            # Fragments may split the basic header itself; wait for the rest of it.
            self._open(key, _Partial(-1, -1, [bytes(data)], len(data), frame, True))
            return None
        length, cid = _HDR.unpack_from(data, 0)
        body = data[4:]
        wanted = self.wanted is None or cid in self.wanted
        limit = self.limits.get(cid)
        if wanted and limit is not None and length > limit:
            self.problems.append(
                (
                    frame,
                    f"L2CAP PDU on CID 0x{cid:04x} claims {length} bytes, more than the "
                    f"{limit} a PDU of that channel can have; its bytes are skipped, not kept",
                    ProblemKind.LIMIT,
                )
            )
            wanted = False
        if len(body) >= length:
            if len(body) > length:
                self.problems.append(
                    (
                        frame,
                        f"L2CAP PDU on CID 0x{cid:04x} carries {len(body)} bytes, "
                        f"its header says {length}; the extra bytes are ignored",
                        ProblemKind.BAD_LENGTH,
                    )
                )
                body = body[:length]
            if not wanted:
                return None
            return L2capFrame(cid, bytes(body), frame, frame)
        self._open(
            key, _Partial(cid, length, [bytes(body)] if wanted else [], len(body), frame, wanted)
        )
        return None

    def continuation(self, key: Hashable, data: bytes, frame: int) -> L2capFrame | None:
        """Feed a continuation fragment (HCI PB 0b01, LL LLID 0b01 with payload)."""
        part = self._partial.get(key)
        if part is None:
            if data:
                self.problems.append(
                    (
                        frame,
                        f"L2CAP continuation fragment of {len(data)} bytes with no start",
                        ProblemKind.INVALID,
                    )
                )
            return None
        if part.expected < 0:
            # The header was split: rebuild the start once 4 bytes are in.
            del self._partial[key]
            head = b"".join(part.chunks) + bytes(data)
            if len(head) < 4:
                self._open(key, _Partial(-1, -1, [head], len(head), part.first_frame, True))
                return None
            frame_out = self.start(key, head, part.first_frame)
            if frame_out is not None:
                frame_out.last_frame = frame
            return frame_out
        part.have += len(data)
        if part.wanted:
            part.chunks.append(bytes(data))
        if part.have < part.expected:
            return None
        del self._partial[key]
        if part.have > part.expected:
            self.problems.append(
                (
                    frame,
                    f"L2CAP PDU on CID 0x{part.cid:04x} started at frame {part.first_frame} "
                    f"grew to {part.have} bytes, its header says {part.expected}; "
                    "the extra bytes are ignored",
                    ProblemKind.BAD_LENGTH,
                )
            )
        if not part.wanted:
            return None
        payload = b"".join(part.chunks)[: part.expected]
        return L2capFrame(part.cid, payload, part.first_frame, frame)

    def is_pending(self, key: Hashable) -> bool:
        """Whether a PDU is being reassembled for ``key``."""
        return key in self._partial

    def drop(self, key: Hashable) -> None:
        """Forget a partial PDU (the link went away)."""
        self._partial.pop(key, None)

    def pending(self) -> list[tuple[Hashable, int, int, int]]:
        """Partial PDUs still open: (key, cid, bytes had, bytes expected); cid and expected
        are -1 while the basic header itself is still incomplete."""
        return [(k, p.cid, p.have, p.expected) for k, p in self._partial.items()]
