"""Records → PDUs: picks the decoder stream for each record's link type.

HCI link types (btsnoop H1/H4/monitor, pcap H4, H4 with phdr, Linux monitor) go to
``HciStream``; air link types (Nordic BLE, LE LL with and without phdr, PPI) go to
``LlStream``.  A pcapng file may mix interfaces of several link types; each gets the stream
of its kind, created on first use.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from bpdiag.capture.record import LinkType, Problem, ProblemKind, Record
from bpdiag.decode.h4 import HCI_LINK_TYPES
from bpdiag.decode.pdu import Pdu
from bpdiag.errors import Stage

if TYPE_CHECKING:  # imported on first use (a capture needs one of the two)
    from bpdiag.capture._io import Frames
    from bpdiag.decode.hci_stream import HciStream
    from bpdiag.decode.ll_stream import Decryptor, LlStream

AIR_LINK_TYPES = frozenset(
    {
        LinkType.NORDIC_BLE,
        LinkType.BLUETOOTH_LE_LL_WITH_PHDR,
        LinkType.BLUETOOTH_LE_LL,
        LinkType.PPI,
    }
)
SUPPORTED_LINK_TYPES = HCI_LINK_TYPES | AIR_LINK_TYPES

LINK_TYPE_NAMES = {
    LinkType.BLUETOOTH_HCI_H4: "BLUETOOTH_HCI_H4",
    LinkType.PPI: "PPI",
    LinkType.BLUETOOTH_LE_LL: "BLUETOOTH_LE_LL",
    LinkType.BLUETOOTH_LINUX_MONITOR: "BLUETOOTH_LINUX_MONITOR",
    LinkType.BLUETOOTH_LE_LL_WITH_PHDR: "BLUETOOTH_LE_LL_WITH_PHDR",
    LinkType.NORDIC_BLE: "NORDIC_BLE",
    LinkType.BLUETOOTH_HCI_H4_WITH_PHDR: "BLUETOOTH_HCI_H4_WITH_PHDR",
    LinkType.BTSNOOP_H1: "btsnoop H1 (HCI UART without type byte)",
    LinkType.BTSNOOP_H4: "btsnoop H4 (HCI UART)",
    LinkType.BTSNOOP_MONITOR: "btsnoop Linux monitor (btmon)",
}


def link_type_name(link_type: int) -> str:
    try:
        return LINK_TYPE_NAMES[LinkType(link_type)]
    except ValueError:
        return f"unknown ({link_type})"


_NONE: list[Pdu] = []


class PduStream:
    """Feed records in order; get the PDUs each completes.  Never raises on bad input."""

    def __init__(self, decryptor: Decryptor | None = None) -> None:
        self.problems: list[Problem] = []
        self.decryptor = decryptor  # handed to the LL stream (bpdiag.crypto.decryptor)
        self._hci: HciStream | None = None
        self._ll: LlStream | None = None
        self._unsupported: set[int] = set()
        # link type → its decoder's own feed and problem list (``direct``), once met
        self._feeds: dict[int, tuple[Callable[[Record], list[Pdu]], list[Problem]]] = {}

    def _stream_for(self, link_type: int) -> HciStream | LlStream | None:
        if link_type in HCI_LINK_TYPES:
            if self._hci is None:
                from bpdiag.decode.hci_stream import HciStream

                self._hci = HciStream()
            return self._hci
        if link_type in AIR_LINK_TYPES:
            if self._ll is None:
                from bpdiag.decode.ll_stream import LlStream

                self._ll = LlStream()
                self._ll.decryptor = self.decryptor
            return self._ll
        return None

    def direct(self, link_type: int) -> tuple[Callable[[Record], list[Pdu]], list[Problem]] | None:
        """For a capture of one link type: the decoder's own feed and problem list, which
        skip this dispatcher on the hot path.  ``None`` for link types bpdiag does not decode."""
        stream = self._stream_for(link_type)
        if stream is None:
            return None
        feeder = getattr(stream, "feeder", None)
        return (feeder(link_type) if feeder else stream.feed), stream.problems

    def skimmer(self, link_type: int) -> Callable[[Frames, int, int], int] | None:
        """For a capture of one link type read as ``Frames``: the decoder's ``skim(frames,
        i, stop)``, which passes over the records that yield nothing (keeping the state they
        carry) and returns the first that may yield something; ``None`` when the decoder has
        none for the link type.  Use it with ``direct``'s feed."""
        stream = self._stream_for(link_type)
        skimmer = getattr(stream, "skimmer", None)
        return skimmer(link_type) if skimmer is not None else None

    def feed(self, rec: Record) -> list[Pdu]:
        """The PDUs ``rec`` completes, from the decoder of its link type (its ``direct``
        feed, looked up once per link type); the decoder's problems move to ``problems``."""
        found = self._feeds.get(rec.link_type)
        if found is None:
            return self._feed_first(rec)
        feed, problems = found
        pdus = feed(rec)
        if problems:
            self.problems.extend(problems)
            problems.clear()
        return pdus

    def _feed_first(self, rec: Record) -> list[Pdu]:
        """``feed`` for a link type not met before, or one bpdiag does not decode."""
        direct = self.direct(rec.link_type)
        if direct is None:
            if rec.link_type not in self._unsupported:
                self._unsupported.add(rec.link_type)
                self.problems.append(
                    Problem(
                        rec.index,
                        rec.file_offset,
                        f"link type {rec.link_type} is not a Bluetooth link type bpdiag "
                        "decodes; records of this link type are skipped",
                        Stage.CAPTURE,
                        ProblemKind.UNSUPPORTED,
                    )
                )
            return _NONE
        self._feeds[rec.link_type] = direct
        return self.feed(rec)

    def finish(self) -> list[Pdu]:
        out: list[Pdu] = []
        for stream in (self._hci, self._ll):
            if stream is not None:
                out.extend(stream.finish())
                self.problems.extend(stream.problems)
                stream.problems.clear()
        return out
