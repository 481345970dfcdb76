"""The record: one packet as a capture file stores it, before any protocol decoding."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, StrEnum

from bpdiag.errors import BadLength, DecodeError, Stage, Truncated, Unsupported


class Direction(IntEnum):
    """Which way a packet went.

    HCI captures see the host side: ``SENT`` is host → controller (commands, outgoing ACL),
    ``RECEIVED`` controller → host (events, incoming ACL).  Air captures see the link:
    ``C_TO_P`` central → peripheral, ``P_TO_C`` the reverse.
    """

    UNKNOWN = 0
    SENT = 1
    RECEIVED = 2
    C_TO_P = 3
    P_TO_C = 4


class LinkType(IntEnum):
    """Link types of the records a reader yields.

    Values below 1000 are the pcap LINKTYPE numbers; btsnoop's own datalinks keep their
    btsnoop numbers (1001 H1, 1002 H4, 2001 Linux monitor).
    """

    BLUETOOTH_HCI_H4 = 187
    PPI = 192
    BLUETOOTH_LE_LL = 251
    BLUETOOTH_LINUX_MONITOR = 254
    BLUETOOTH_LE_LL_WITH_PHDR = 256
    NORDIC_BLE = 272
    BLUETOOTH_HCI_H4_WITH_PHDR = 201
    BTSNOOP_H1 = 1001
    BTSNOOP_H4 = 1002
    BTSNOOP_MONITOR = 2001


@dataclass(slots=True)
class Record:
    """One record of a capture file.

    ``index`` is 1-based, as Wireshark numbers frames.  ``timestamp`` is seconds since the
    Unix epoch (float).  ``payload`` is the record's bytes after the file format's own
    record header, i.e. starting with the link-layer header of ``link_type``.
    ``file_offset`` is the offset of the record header in the file.

    ``flags`` carries the per-record information the container holds outside the payload:
    btsnoop's 32-bit flags word (for datalink 2001 that word is
    ``adapter_index << 16 | monitor_opcode``); for pcapng, the packet's interface id
    ``<< 16`` (two controllers captured by one dumpcap, or logs merged by ``mergecap``, are
    two interfaces whose connection handles must not meet); 0 elsewhere.

    ``orig_length`` is the packet's length when it was sent, if the container says it was
    stored cut short (btsnoop's original length, btsnooz v2's packet length); 0 when the
    record is whole or the container does not say.  A record is "truncated to
    ``len(payload)`` of ``orig_length`` bytes" when it is non-zero.
    """

    index: int
    timestamp: float
    link_type: int
    payload: bytes
    file_offset: int
    direction: Direction = Direction.UNKNOWN
    flags: int = 0
    orig_length: int = 0

    @property
    def cut(self) -> bool:
        """Whether the record was stored shorter than it was sent."""
        return self.orig_length > len(self.payload)


class ProblemKind(StrEnum):
    """What kind of damage a ``Problem`` is, beside the sentence that says it."""

    TRUNCATED = "truncated"
    """Fewer bytes than the format says follow (a cut record, PDU or file)."""
    BAD_LENGTH = "bad_length"
    """A length field disagrees with the bytes around it, or cannot be right."""
    BAD_MAGIC = "bad_magic"
    """An identification pattern (a byte-order magic) is not the format's."""
    UNKNOWN = "unknown"
    """A type or code the format does not define, or that bpdiag does not decode."""
    UNSUPPORTED = "unsupported"
    """A well-formed value bpdiag does not handle (a version, a link type)."""
    INVALID = "invalid"
    """A value or sequence the format does not allow (a reserved field, a fragment without
    its start, an interface that was never described)."""
    MISSING = "missing"
    """Records the input leaves out before this one: a person's elision (``[...]``) in a
    pasted log, or a jump in the log's own numbering.  What they held is not known."""
    NEW_LINK = "new_link"
    """This record is on another link than the records before it on the same handle (a text
    log names each handle's peer, and it changed with no disconnection between): the input
    leaves out the first link's end and this one's start, and what they held is not known."""
    READ_ERROR = "read_error"
    """The operating system failed to read the file."""
    LIMIT = "limit"
    """Too many problems: the rest are counted, not listed."""
    OTHER = "other"
    """Not classified by the code that reported it."""

    @classmethod
    def of(cls, exc: DecodeError) -> ProblemKind:
        """The kind of a decoder's error."""
        if isinstance(exc, Truncated):
            return cls.TRUNCATED
        if isinstance(exc, BadLength):
            return cls.BAD_LENGTH
        if isinstance(exc, Unsupported):
            return cls.UNSUPPORTED
        return cls.INVALID


@dataclass(slots=True, frozen=True)
class Problem:
    """Something wrong in the input that did not stop the analysis.

    ``record`` is the 1-based record index (``None`` for file-level problems), ``offset``
    the byte offset in the file (``None`` when unknown), ``message`` what was expected,
    ``layer`` the step that found it and ``kind`` what kind of damage it is (not part of
    the JSON report, whose ``message`` says it in words).
    """

    record: int | None
    offset: int | None
    message: str
    layer: Stage = Stage.UNSPECIFIED
    kind: ProblemKind = ProblemKind.OTHER
