"""The ACL data of a Bumble DEBUG log, as a capture.

Bumble (google/bumble, the Python stack) logs every HCI packet its host sends or receives at
DEBUG level (``bumble/host.py``: ``### HOST -> CONTROLLER: {packet}`` and ``### CONTROLLER ->
HOST: {packet}``).  An ACL data packet prints as ``HCI_AclDataPacket.__str__``
(``bumble/hci.py``) writes it, with the bytes in hex::

    DEBUG:bumble.host:### HOST -> CONTROLLER: ACL: handle=0x0048, pb=0, bc=0,
        data_total_length=12, data=0800060009...   (one line)
    DEBUG:bumble.host:### CONTROLLER -> HOST: ACL: handle=0x0048, pb=2, bc=0,
        data_total_length=9, data=0500040012...

Older versions put ``(CID=6) `` before ``ACL:`` and some printed no ``, `` between the handle
and ``pb``.  The handle, the packet boundary and broadcast flags, the length and the data are
an HCI ACL data packet (Vol 4, Part E, 5.4.2): each becomes a Linux monitor record (link type
2001, ACL TX for HOST -> CONTROLLER, RX for CONTROLLER -> HOST), so the SMP and ATT PDUs in
them are read as in any HCI log.  Commands and events Bumble prints as its own field lists,
not bytes, and are not read; nor are its other log lines.

Each record's frame number is the number of the line it was read from, so ``#N`` in a finding
is line N of the text.  A ``data_total_length`` that the data does not fill is a record kept
cut short with a Problem; data past it is a Problem and left out.  The Python logging format
Bumble's applications use by default prints no time, so the records carry none (a time
``HH:MM:SS`` with a fraction before ``###``, as a format with ``%(asctime)s`` prints it, is
read); colour, quoting and CRLF are undone as for the other text logs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from bpdiag.capture._textlines import LineReader, clean_lines, elision, is_elision
from bpdiag.capture.btmon_text import ACL_RX, ACL_TX
from bpdiag.capture.record import Direction, LinkType, Problem, ProblemKind, Record
from bpdiag.errors import Stage

LAYER = Stage.BUMBLE_TEXT

_ACL = re.compile(
    r"### (?P<dir>HOST -> CONTROLLER|CONTROLLER -> HOST): (?:\(CID=\d{1,5}\) )?ACL: "
    r"handle=0x(?P<handle>[0-9a-fA-F]{1,4}),? ?pb=(?P<pb>[0-3]), bc=(?P<bc>[0-3]), "
    r"data_total_length=(?P<length>\d{1,5}), data=(?P<data>[0-9a-fA-F]*)\s*$"
)
_TIME = re.compile(r"\b(?P<h>\d{1,2}):(?P<m>[0-5]\d):(?P<s>[0-5]\d)[.,](?P<f>\d{1,6})\b")


def is_packet_line(s: str) -> bool:
    """Whether ``s`` is one of Bumble's ACL data lines (what tells the format apart)."""
    return "### " in s and "ACL: handle=0x" in s and _ACL.search(s) is not None


def _time(prefix: str) -> float | None:
    m = _TIME.search(prefix)
    if m is None:
        return None
    digits = str(m.group("f"))
    seconds = int(m.group("h")) * 3600 + int(m.group("m")) * 60 + int(m.group("s"))
    return seconds + int(digits) / 10.0 ** len(digits)


class BumbleTextReader(LineReader):
    """Turns the ACL lines of a Bumble DEBUG log into Linux monitor ``Record``s."""

    def records(self) -> Iterator[Record]:
        last_time = 0.0
        elided_at = 0
        packets = 0
        for lineno, offset, line in clean_lines(self.f, self.problems, LAYER):
            if is_elision(line.strip()):
                if packets:
                    elided_at = lineno
                continue
            m = _ACL.search(line) if "ACL: handle=0x" in line else None
            if m is None:
                continue  # Bumble's other log lines, the application's, prose
            t = _time(line[: m.start()])
            if t is not None:
                last_time = t
            packets += 1
            if elided_at:
                self.problems.append(elision(lineno, offset, elided_at, LAYER))
                elided_at = 0
            handle = int(m.group("handle"), 16)
            if handle > 0x0EFF:
                self.problems.append(
                    Problem(
                        lineno,
                        offset,
                        f"line {lineno}: handle 0x{handle:04x} is out of range (0x0000–0x0EFF, "
                        "Vol 4, Part E, 5.4.2); record skipped",
                        LAYER,
                        ProblemKind.INVALID,
                    )
                )
                continue
            hexdata = m.group("data")
            if len(hexdata) % 2:
                self.problems.append(
                    Problem(
                        lineno,
                        offset,
                        f"line {lineno}: the data is not whole octets ({len(hexdata)} hex "
                        "digits); record skipped",
                        LAYER,
                        ProblemKind.INVALID,
                    )
                )
                continue
            data = bytes.fromhex(hexdata)
            length = int(m.group("length"))
            orig = 0
            if len(data) < length:
                orig = 4 + length
                self.problems.append(
                    Problem(
                        lineno,
                        offset,
                        f"line {lineno}: {len(data)} data bytes, data_total_length says "
                        f"{length}; kept cut short",
                        LAYER,
                        ProblemKind.TRUNCATED,
                    )
                )
            elif len(data) > length:
                self.problems.append(
                    Problem(
                        lineno,
                        offset,
                        f"line {lineno}: {len(data) - length} data bytes past data_total_length "
                        f"({length}); left out",
                        LAYER,
                        ProblemKind.BAD_LENGTH,
                    )
                )
                data = data[:length]
            flags = handle | int(m.group("pb")) << 12 | int(m.group("bc")) << 14
            payload = flags.to_bytes(2, "little") + length.to_bytes(2, "little") + data
            sent = m.group("dir") == "HOST -> CONTROLLER"
            self.index = lineno
            yield Record(
                lineno,
                last_time,
                LinkType.BTSNOOP_MONITOR,
                payload,
                offset,
                Direction.SENT if sent else Direction.RECEIVED,
                ACL_TX if sent else ACL_RX,
                orig,
            )
