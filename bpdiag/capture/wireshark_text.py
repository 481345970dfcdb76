"""Wireshark's packet dissections printed as text, with the packet bytes: what ``tshark -V -x``
prints and what Wireshark's File → Export Packet Dissections → As Plain Text writes with
"Packet Bytes" ticked — the form a capture takes when it is pasted into a forum post.

Each frame is printed (epan/print.c, ``proto_tree_print`` then ``print_hex_data``) as

    Frame 35: 11 bytes on wire (88 bits), 11 bytes captured (88 bits) on interface x, id 0
        Encapsulation type: Bluetooth H4 with linux header (99)
        Epoch Time: 1795543462.712242000 seconds            (4.2 on: "Epoch Arrival Time")
        Point-to-Point Direction: Received (1)
    Bluetooth
    Bluetooth HCI H4
    …
    0000  02 01 20 06 00 02 00 06 00 05 08                  .. ........

— the protocol tree, then the frame's bytes in rows of 16 (more panes follow, titled
``Frame (N bytes):``, ``Reassembled L2CAP (N bytes):``, when a dissector made data of its
own: only the first, the frame, is read).  The bytes are the record's data as the capture
file held it after wiretap took off its pseudo-header, so each frame becomes the ``Record``
of the matching link type: the encapsulation's name says which (its number in parentheses
differs between Wireshark releases, so it is not used); with the Frame subtree collapsed,
the first top-level protocol line does.  "Bluetooth H4 with linux header" (btsnoop H4,
pcap 201) lost its direction word to wiretap: it comes back from "Point-to-Point
Direction", as a 201 record; without it the record is plain H4 (187), direction unknown.
The Linux monitor's adapter and opcode come from its subtree (``[Adapter ID: 0]``,
``[Opcode: Command Packet (2)]``), as btsnoop 2001 keeps them in the flags.

Frame numbers are Wireshark's, so a finding's evidence names the frames the poster sees.
The paste's damage is undone as for btmon text (``_textlines``: ANSI colour, CRLF, tabs,
web-page spaces, ``> `` quoting).  A frame whose bytes are missing (the details exported
without "Packet Bytes"), cut short, or of a link type that is not Bluetooth is a Problem,
and the other frames are read.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TextIO

from bpdiag.capture._textlines import clean_lines, first_header, unquote
from bpdiag.capture.btsnoop import MONITOR_DIRECTIONS
from bpdiag.capture.record import Direction, LinkType, Problem, ProblemKind, Record
from bpdiag.errors import Stage

LAYER = Stage.WIRESHARK_TEXT

# the rest of the line ("…, 11 bytes captured (88 bits) on interface x, id 0") is often
# wrapped onto the next by a mail client: the Frame subtree says it again
FRAME = re.compile(r"Frame (\d{1,10}): (\d{1,10}) bytes on wire\b")
_CAPTURED = re.compile(r", (\d{1,10}) bytes captured\b")
_ID = re.compile(r", id (\d{1,5})$")
# epan/print.c print_hex_data_buffer: offset, two spaces, up to 16 "xx " groups, the ASCII
# (one more space after the eighth group is taken too, as hex viewers print it)
_HEX = re.compile(r"([0-9a-fA-F]{4,8})  ((?:[0-9a-fA-F]{2}  ?){0,15}[0-9a-fA-F]{2})(?: |$)")
_PANE = re.compile(r"\S.* \((\d+) bytes\):$")  # "Frame (34 bytes):", "Decrypted … (7 bytes):"
_ENCAP = re.compile(r"\s+Encapsulation type: (.*?)(?: \(\d+\))?$")
_NUMBER = r"(-?\d{1,12}(?:\.\d{1,9})?)"
# The lines of the Frame subtree (and of the H4 and monitor ones) a record is rebuilt from:
# the _Frame attribute each sets, its pattern, and how its value is read
_DETAILS: tuple[tuple[str, re.Pattern[str], Callable[[str], object]], ...] = (
    ("time", re.compile(rf"\s+Epoch (?:Arrival )?Time: {_NUMBER} seconds"), float),
    ("relative", re.compile(rf"\s+\[Time since reference or first frame: {_NUMBER} s"), float),
    ("captured", re.compile(r"\s+Capture Length: (\d{1,10}) bytes"), int),
    ("interface", re.compile(r"\s+Interface id: (\d{1,5})\b"), int),
    (
        "received",
        re.compile(r"\s+(?:Point-to-Point Direction|\[Direction): (Sent|Rcvd|Received)\b"),
        lambda word: word != "Sent",
    ),
)
_MONITOR_DETAILS: tuple[tuple[str, re.Pattern[str], Callable[[str], object]], ...] = (
    ("adapter", re.compile(r"\s+\[?Adapter ID: (\d{1,5})\]?$"), int),
    ("opcode", re.compile(r"\s+\[?Opcode: .*\((\d{1,5})\)\]?$"), int),
)

_H4 = "h4"  # "Bluetooth H4 with linux header": a 201 record once its direction is known
_MONITOR = "monitor"
# Encapsulation names (wiretap/wtap.c encap_table_base), lower case → link type
_ENCAPSULATIONS: dict[str, int | str] = {
    "bluetooth h4 with linux header": _H4,
    "bluetooth h4": LinkType.BLUETOOTH_HCI_H4,
    "bluetooth linux monitor": _MONITOR,
    "bluetooth low energy link layer": LinkType.BLUETOOTH_LE_LL,
    "bluetooth low energy link layer rf": LinkType.BLUETOOTH_LE_LL_WITH_PHDR,
    "nrf sniffer for bluetooth le": LinkType.NORDIC_BLE,
    "nordic ble sniffer": LinkType.NORDIC_BLE,  # its name before Wireshark 3.6
    "per-packet information header": LinkType.PPI,
}
# With the Frame subtree collapsed: the first of these top-level protocol lines
_TOP_LEVEL: tuple[tuple[str, int | str], ...] = (
    ("Bluetooth HCI H4", _H4),
    ("Bluetooth Linux Monitor", _MONITOR),
    ("nRF Sniffer for Bluetooth LE", LinkType.NORDIC_BLE),
    ("Nordic BLE Sniffer", LinkType.NORDIC_BLE),
    ("Bluetooth Low Energy RF Info", LinkType.BLUETOOTH_LE_LL_WITH_PHDR),
    ("PPI version", LinkType.PPI),
    ("Bluetooth Low Energy Link Layer", LinkType.BLUETOOTH_LE_LL),
)


@dataclass(slots=True)
class _Frame:
    number: int
    on_wire: int
    captured: int | None
    interface: int | None
    lineno: int
    offset: int
    depth: int
    indent: int  # a Markdown code block's or a quote's indentation of every line
    encapsulation: str | None = None
    link: int | str | None = None
    time: float | None = None
    relative: float | None = None
    received: bool | None = None
    adapter: int | None = None
    opcode: int | None = None
    data: bytearray = field(default_factory=bytearray)
    pane: int = 0  # 0 before the bytes, 1 in the frame's, 2 past them


def parse_frame_line(line: str) -> re.Match[str] | None:
    """The ``Frame N: … bytes on wire …`` line that begins a frame (indented or not), or
    None."""
    return FRAME.match(line, len(line) - len(line.lstrip(" ")))


class WiresharkTextReader:
    """Turns Wireshark's dissection text into ``Record``s of each frame's link type."""

    def __init__(self, f: TextIO, problems: list[Problem]) -> None:
        self.f = f
        self.problems = problems
        self.frames = 0
        # frames not read, counted (a long text must not grow a list): how many, the first
        self._no_bytes = (0, 0)
        self._not_bluetooth: dict[str, tuple[int, int]] = {}

    def _frames(self) -> Iterator[_Frame]:
        frame: _Frame | None = None
        for lineno, offset, line in clean_lines(self.f, self.problems, LAYER):
            found = first_header(line, parse_frame_line) if "Frame " in line else None
            if found is not None:
                if frame is not None:
                    yield frame
                depth, head, m = found
                self.frames += 1
                captured = _CAPTURED.search(head, m.end())
                interface = _ID.search(head, m.end())
                frame = _Frame(
                    int(m.group(1)),
                    int(m.group(2)),
                    None if captured is None else int(captured.group(1)),
                    None if interface is None else int(interface.group(1)),
                    lineno,
                    offset,
                    depth,
                    m.start(),
                )
                continue
            if frame is None:
                continue
            rest = unquote(line, frame.depth)
            if frame.indent:
                pad = frame.indent
                rest = rest[pad:] if rest[:pad].isspace() else rest.lstrip(" ")
            if frame.pane < 2:
                h = _HEX.match(rest)
                if h is not None:
                    at = int(h.group(1), 16)
                    if at == len(frame.data) and (frame.pane == 1 or at == 0):
                        frame.pane = 1
                        frame.data += bytes.fromhex(h.group(2).replace(" ", ""))
                    elif frame.pane == 1:
                        frame.pane = 2  # the next pane (or rows out of order): done
                    continue
                if frame.pane == 1:
                    if not rest.strip() or _PANE.match(rest):
                        frame.pane = 2
                    continue  # else the ASCII column of a row a mail client wrapped
                if _PANE.match(rest):
                    continue  # "Frame (34 bytes):" before the first pane
            if frame.pane:
                continue
            self._detail(frame, rest)
        if frame is not None:
            yield frame

    @staticmethod
    def _detail(frame: _Frame, rest: str) -> None:
        """What a line of the protocol tree says about how to rebuild the record."""
        if not rest[:1].isspace():  # a top-level protocol line
            if frame.link is None:
                for name, link in _TOP_LEVEL:
                    if rest.startswith(name):
                        frame.link = link
                        break
            return
        if frame.encapsulation is None and (m := _ENCAP.match(rest)) is not None:
            frame.encapsulation = m.group(1)
            frame.link = _ENCAPSULATIONS.get(m.group(1).strip().lower(), "")
            return
        details = _DETAILS
        if frame.link == _MONITOR or frame.link is None:
            details = _DETAILS + _MONITOR_DETAILS
        for attr, pattern, read in details:
            if getattr(frame, attr) is None and (m := pattern.match(rest)) is not None:
                setattr(frame, attr, read(m.group(1)))
                return

    def records(self) -> Iterator[Record]:
        last_number = 0
        last_time = 0.0
        for frame in self._frames():
            number = frame.number
            if number <= last_number:
                self._problem(
                    last_number + 1,
                    frame,
                    f"frame {number} at line {frame.lineno} comes after frame {last_number}: "
                    f"numbered {last_number + 1} (two pastes joined?)",
                    ProblemKind.INVALID,
                )
                number = last_number + 1
            last_number = number
            time = frame.time if frame.time is not None else frame.relative
            if time is None:
                time = last_time
            last_time = time
            rec = self._record(frame, number, time)
            if rec is not None:
                yield rec
        self._summary()

    def _record(self, frame: _Frame, number: int, time: float) -> Record | None:
        captured = frame.on_wire if frame.captured is None else frame.captured
        if not frame.data and captured:  # (a frame of no bytes prints no dump)
            self._no_bytes = _counted(self._no_bytes, number)
            return None
        link = frame.link
        if link is None or link == "":
            name = frame.encapsulation or "not given"
            self._not_bluetooth[name] = _counted(self._not_bluetooth.get(name, (0, 0)), number)
            return None
        data = bytes(frame.data)
        if len(data) < captured:
            self._problem(
                number,
                frame,
                f"frame {number} at line {frame.lineno}: the text holds {len(data)} of its "
                f"{captured} captured bytes (the paste cut its hex dump)",
                ProblemKind.TRUNCATED,
            )
        orig = max(frame.on_wire, captured)
        orig = orig if orig > len(data) else 0
        flags = (frame.interface or 0) << 16
        direction = Direction.UNKNOWN
        if link == _H4:
            if frame.received is None:
                link = LinkType.BLUETOOTH_HCI_H4  # no direction word to give it
            else:
                link = LinkType.BLUETOOTH_HCI_H4_WITH_PHDR
                data = (b"\x00\x00\x00\x01" if frame.received else b"\x00\x00\x00\x00") + data
                orig = orig + 4 if orig else 0
                direction = Direction.RECEIVED if frame.received else Direction.SENT
        elif link == _MONITOR:
            if frame.opcode is None:
                self._problem(
                    number,
                    frame,
                    f"frame {number} at line {frame.lineno}: a Linux monitor frame whose "
                    "opcode the text does not show (its subtree was collapsed): skipped",
                    ProblemKind.TRUNCATED,
                )
                return None
            link = LinkType.BTSNOOP_MONITOR
            adapter = frame.adapter if frame.adapter is not None else 0
            flags = (adapter & 0xFFFF) << 16 | frame.opcode
            direction = MONITOR_DIRECTIONS.get(frame.opcode, Direction.UNKNOWN)
        assert isinstance(link, int)
        return Record(number, time, link, data, frame.offset, direction, flags, orig)

    def _problem(self, number: int, frame: _Frame, message: str, kind: ProblemKind) -> None:
        """A problem of the record numbered ``number`` (``frame``'s, or the one it got)."""
        self.problems.append(Problem(number, frame.offset, message, LAYER, kind))

    def _summary(self) -> None:
        """One problem for the frames without bytes, one per link type not read."""
        count, first = self._no_bytes
        if count:
            self.problems.append(
                Problem(
                    None,
                    None,
                    f"{count} of {self.frames} frame(s) have no packet bytes in the text "
                    f"(first: frame {first}), so they were not analysed: export them again "
                    "with the bytes (Wireshark: File → Export Packet Dissections → As Plain "
                    'Text, "Packet Bytes" ticked; tshark: -V -x), or attach the capture file',
                    LAYER,
                    ProblemKind.TRUNCATED,
                )
            )
        for name, (count, first) in self._not_bluetooth.items():
            self.problems.append(
                Problem(
                    None,
                    None,
                    f"{count} frame(s) (first: frame {first}) have the encapsulation "
                    f"{name!r}, which bpdiag does not read as Bluetooth: skipped",
                    LAYER,
                    ProblemKind.UNSUPPORTED,
                )
            )


def _counted(seen: tuple[int, int], number: int) -> tuple[int, int]:
    """(how many, the first) once frame ``number`` is counted too."""
    count, first = seen
    return count + 1, first or number
