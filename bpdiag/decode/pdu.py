"""The decoded PDU: what every decoder stream hands to the analysis.

A ``Pdu`` wraps one decoded message (an SMP command, an HCI event, an LL control PDU …) with
where it came from: the frame numbers, time, direction and the link it belongs to.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from bpdiag.capture.record import Direction

# A link key names the link a PDU travelled on, before the analysis turns links into
# numbered connections.  HCI: ("hci", adapter_index, connection_handle).  Air captures:
# ("ll", access_address).  ``None``: not tied to a link (advertising, monitor notes …).
LinkKey = tuple[str, int, int] | tuple[str, int] | None


class Layer(StrEnum):
    """The protocol layer a decoded PDU (or a pairing failure) belongs to; its value is the
    word the dump and JSON print."""

    SMP = "smp"
    HCI = "hci"
    LL = "ll"
    ATT = "att"
    MONITOR = "monitor"
    ADV = "adv"
    L2CAP = "l2cap"


class Message(Protocol):
    """What every decoded message offers: a name and its fields for ``dump``."""

    @property
    def name(self) -> str: ...

    def fields(self) -> dict[str, object]: ...


@dataclass(slots=True)
class Pdu:
    """One decoded PDU.

    ``frame`` is the 1-based number of the record that completed the PDU (a PDU reassembled
    from several records carries the number of its last record, as Wireshark does);
    ``first_frame`` the record where it started.  ``layer`` is a ``Layer``; ``opcode``
    the layer's code for the message (SMP command code, HCI opcode / event code, LL control
    opcode, ATT opcode, monitor opcode).
    """

    frame: int
    time: float
    direction: Direction
    link: LinkKey
    layer: Layer
    opcode: int
    msg: Message
    first_frame: int = 0
    answers: int = 0  # frame of the PDU this one answers (ATT request for an Error Response)
    raw: bytes = b""  # the bytes of the record that completed it (set by analysis.run)
    decrypted: bool = False  # bpdiag decrypted the packet that completed it (analysis.run)

    @property
    def name(self) -> str:
        return self.msg.name
