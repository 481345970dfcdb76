"""One exception tree for everything bpdiag reports about bad input.

Every error carries the layer that found it, the 1-based record index (or ``None`` when the
problem is in a file header) and the byte offset in the file, so a problem can always be
located with a hex editor.  Readers and decoders raise these and nothing else: no
``IndexError`` or ``struct.error`` may escape them.
"""

from __future__ import annotations

from enum import StrEnum


class Stage(StrEnum):
    """The step of reading that found a problem: a file format or container, or the protocol
    layer being decoded.  Its value is the word the JSON report prints (``problems[].layer``)."""

    UNSPECIFIED = ""
    # formats and containers
    BTSNOOP = "btsnoop"
    BTSNOOZ = "btsnooz"
    PACKETLOGGER = "packetlogger"
    PCAP = "pcap"
    PCAPNG = "pcapng"
    ZIP = "zip"
    BTMON_TEXT = "btmon-text"
    HCIDUMP_TEXT = "hcidump-text"
    WIRESHARK_TEXT = "wireshark-text"
    BTSTACK_TEXT = "btstack-text"
    BUMBLE_TEXT = "bumble-text"
    KEYS = "keys"
    CAPTURE = "capture"
    """The capture as a whole (it ends before what it began)."""
    TRUNCATED = "truncated"
    """A PDU the capture stored shorter than it was sent (a snapshot length)."""
    H4 = "h4"
    # pseudo-headers and protocol layers
    NORDIC = "nordic"
    PHDR = "phdr"
    PPI = "ppi"
    MONITOR = "monitor"
    HCI = "hci"
    L2CAP = "l2cap"
    LL = "ll"
    SMP = "smp"
    ATT = "att"
    ADV = "adv"


class BpdiagError(Exception):
    """Base of every error bpdiag raises on purpose."""


class DecodeError(BpdiagError):
    """Input that could not be decoded.

    ``layer`` names the step that failed (``Stage.BTSNOOP``, ``Stage.PCAPNG``, ``Stage.SMP`` …),
    ``record_index`` is the 1-based record number and ``offset`` the byte offset in the file.
    """

    def __init__(
        self,
        message: str,
        *,
        layer: Stage = Stage.UNSPECIFIED,
        record_index: int | None = None,
        offset: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.layer = layer
        self.record_index = record_index
        self.offset = offset

    def __str__(self) -> str:
        return self.message


class Truncated(DecodeError):
    """Fewer bytes than the format says must follow."""


class BadLength(DecodeError):
    """A length field disagrees with the bytes around it."""


class Unsupported(DecodeError):
    """A well-formed value bpdiag does not handle (e.g. an unknown link type)."""


class UnreadableCapture(BpdiagError):
    """The file cannot be analysed at all (missing, unreadable, unknown format)."""
