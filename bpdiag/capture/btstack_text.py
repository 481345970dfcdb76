"""BTstack's HCI dump printed on a console, as a capture.

BTstack (the stack of the Raspberry Pi Pico W's SDK, of many ESP32, STM32 and nRF ports)
prints every HCI packet on its console when ``hci_dump`` writes to stdout or to a Segger RTT
terminal (``platform/posix/hci_dump_posix_stdout.c``, ``platform/embedded/
hci_dump_embedded_stdout.c``, ``hci_dump_segger_rtt_stdout.c``): a time stamp, the packet's
kind with its direction, and its bytes as ``printf_hexdump`` (``src/btstack_util.c``) writes
them, two upper-case hex digits and a space each, on one line::

    [2026-11-24 18:04:22.197] CMD => 01 0C 00           (POSIX ports: local date and time)
    [00:01:28.014] EVT <= 3E 13 01 00 40 00 01 00 62 …   (embedded: time since boot)
    [00:01:28.015] LOG -- hci.c.3387: LE Connection_complete (status=0) …
    ACL <= 40 20 0B 00 07 00 06 00 01 04 00 2D 10 0F 0F  (a port that prints no time)

``CMD =>`` is an HCI command (Vol 4, Part E, 5.4.1: opcode, length, parameters), ``EVT <=``
an event (5.4.4: code, length, parameters), ``ACL =>`` / ``ACL <=`` ACL data sent / received
(5.4.2: handle and flags, length, data), ``SCO`` (5.4.3) and ``ISO`` (5.4.5) likewise; the
H4 packet-type octet is not printed, the word says it.  ``LOG --`` is one of BTstack's own
log lines.  Each packet becomes a Linux monitor record (link type 2001: command, event, ACL,
SCO or ISO in the opcode, as btsnoop 2001 and PacketLogger files are read), each log line a
System Note in the timeline, numbered in order: for a text of BTstack's lines alone, the
frame numbers BTstack's ``tool/create_packet_log.py`` gives it converted to PacketLogger
(and Wireshark then shows).  What else a console holds — the application's ``printf``s, a
forum post's prose — is skipped (that tool makes each such line a note, so the numbers part
there).

What terminals and pastes do to it is undone: Segger's RTT Viewer ``00> `` prefix, mail
quoting, CRLF, colour, a hex line wrapped onto the next lines (appended while the packet's
own length field asks for more bytes), the packet's length printed before its bytes by some
ports (``EVT <= (6)0f 04 …``: one that disagrees with the bytes is a Problem) and a ``:``
left after them.  An elision line (``[...]``, ``...``) is a Problem of
kind ``missing`` before the next record: the rules claim nothing it could contradict.  A
packet shorter than its length field says is kept cut short (``Record.orig_length``), with
a Problem, as is one that BTstack's
``HCI_DUMP_STDOUT_MAX_SIZE_ACL`` cut (it prints ``LOG -- ACL in, size N`` and then the first
bytes on a line of their own); bytes past the length are a Problem and left out; a line whose
bytes are not hex is a Problem and no record.  A time that goes backwards (a reboot, a clock
set) is taken as printed.
"""

from __future__ import annotations

import calendar
import datetime
import functools
import re
from collections.abc import Iterator

from bpdiag.capture._textlines import LineReader, clean_lines, elision, is_elision
from bpdiag.capture.btmon_text import ACL_RX, ACL_TX, MONITOR_COMMAND, MONITOR_EVENT
from bpdiag.capture.record import Direction, LinkType, Problem, ProblemKind, Record
from bpdiag.errors import Stage

LAYER = Stage.BTSTACK_TEXT

SCO_TX, SCO_RX, ISO_TX, ISO_RX = 6, 7, 18, 19  # Linux monitor opcodes (BlueZ btsnoop.h)
NOTE = 0xFFFF << 16 | 12  # a System Note of no adapter, as PacketLogger notes are read

# the kind and direction words → (monitor opcode, direction, H4 type name)
_KINDS: dict[str, tuple[int, Direction]] = {
    "CMD =>": (MONITOR_COMMAND, Direction.SENT),
    "EVT <=": (MONITOR_EVENT, Direction.RECEIVED),
    "ACL =>": (ACL_TX, Direction.SENT),
    "ACL <=": (ACL_RX, Direction.RECEIVED),
    "SCO =>": (SCO_TX, Direction.SENT),
    "SCO <=": (SCO_RX, Direction.RECEIVED),
    "ISO =>": (ISO_TX, Direction.SENT),
    "ISO <=": (ISO_RX, Direction.RECEIVED),
}
_STAMP = (
    r"\[(?:(?P<date>\d{4}-\d\d-\d\d) )?(?P<h>\d{1,7}):(?P<m>\d\d):(?P<s>\d\d)\.(?P<f>\d{1,6})\] ?"
)
# mail quoting and Segger RTT Viewer's terminal prefix; a BTstack line never begins with ">"
_PREFIX = re.compile(r"^(?:[ \t]{0,8}>[ \t]?){0,8}(?:00> ?)?")
_LINE = re.compile(
    rf"^(?:{_STAMP})?(?:(?P<kind>(?:CMD|EVT|ACL|SCO|ISO) (?:=>|<=))(?: (?P<hex>.*))?$"
    r"|LOG -- (?P<log>.*))"
)
_HEX = re.compile(r"(?:[0-9A-Fa-f]{2} ?)+")
# Some ports print the packet's length before its bytes, ``EVT <= (6)0f 04 01 01 35 0c``, and
# a console may leave a ``:`` after them.
_COUNTED = re.compile(r"\((\d{1,5})\) ?(.*?)[ \t]*:?[ \t]*$")
_CUT_NOTE = re.compile(r"(ACL|SCO|ISO) (in|out), size (\d{1,6})$")  # HCI_DUMP_STDOUT_MAX_SIZE_*
_MAX_NOTE = 1024


def parse_line(s: str) -> re.Match[str] | None:
    """The packet or log line ``s`` is, as BTstack prints it, or ``None``."""
    if "=> " not in s and "<= " not in s and "LOG -- " not in s:
        if not s.endswith(("=>", "<=")):
            return None
    m = _LINE.match(s)
    if m is None or (m.group("kind") is not None and m.group("kind") not in _KINDS):
        return None
    return m


def is_packet_line(s: str) -> bool:
    """Whether ``s`` is a packet line with bytes (what tells the format apart), behind any
    quoting or RTT prefix."""
    m = parse_line(s[_PREFIX.match(s).end() :].strip())  # type: ignore[union-attr]
    return m is not None and m.group("kind") is not None and bool(m.group("hex"))


def _expected(opcode: int, data: bytes) -> int | None:
    """The length the packet's own header gives, or ``None`` when its header is cut."""
    if opcode == MONITOR_COMMAND or opcode in (SCO_TX, SCO_RX):
        return 3 + data[2] if len(data) >= 3 else None
    if opcode == MONITOR_EVENT:
        return 2 + data[1] if len(data) >= 2 else None
    if opcode in (ACL_TX, ACL_RX):
        return 4 + (data[2] | data[3] << 8) if len(data) >= 4 else None
    return 4 + ((data[2] | data[3] << 8) & 0x3FFF) if len(data) >= 4 else None  # ISO


def _time(m: re.Match[str]) -> float | None:
    """The line's time stamp in seconds (since the Unix epoch when it has a date, which the
    POSIX ports print in local time and is read as UTC; since boot otherwise), or ``None``."""
    if m.group("h") is None:
        return None
    h, mi, s = int(m.group("h")), int(m.group("m")), int(m.group("s"))
    digits = str(m.group("f"))
    if mi > 59 or s > 60:
        return None
    clock: float = h * 3600 + mi * 60 + s + int(digits) / 10 ** len(digits)
    date = m.group("date")
    if date is None:  # since boot: hours count on past 24
        return clock
    day = _day(str(date))
    return day + clock if day is not None and h <= 23 else None


@functools.lru_cache(maxsize=64)
def _day(date: str) -> int | None:
    """Seconds from the Unix epoch to the start of ``date`` (YYYY-MM-DD), or ``None``."""
    try:
        y, mo, d = (int(x) for x in date.split("-"))
        return calendar.timegm(datetime.date(y, mo, d).timetuple())
    except ValueError:
        return None


class _Packet:
    __slots__ = ("cut_to", "data", "direction", "frame", "lineno", "offset", "opcode", "time")

    def __init__(
        self, frame: int, time: float, opcode: int, direction: Direction, lineno: int, offset: int
    ) -> None:
        self.frame = frame
        self.time = time
        self.opcode = opcode
        self.direction = direction
        self.lineno = lineno
        self.offset = offset
        self.data = bytearray()
        self.cut_to = 0  # the length BTstack said it cut the packet from (0: not cut)


class BtstackTextReader(LineReader):
    """Turns BTstack console text into Linux monitor ``Record``s (link type 2001)."""

    def records(self) -> Iterator[Record]:
        frame = 0
        last_time = 0.0
        pending: _Packet | None = None  # a packet whose line may go on on the next lines
        cut_note: tuple[int, Direction, int] | None = None  # "LOG -- ACL in, size N" seen
        packets = 0
        elided_at = 0  # an elision line ("[...]") since the last record
        for lineno, offset, line in clean_lines(self.f, self.problems, LAYER):
            text = line[_PREFIX.match(line).end() :].strip()  # type: ignore[union-attr]
            if not text:
                continue
            if is_elision(text):
                if frame:
                    elided_at = lineno
                continue
            if pending is not None and _HEX.fullmatch(text) and self._wants_more(pending):
                pending.data += bytes.fromhex(text.replace(" ", ""))  # a wrapped hex line
                continue
            if cut_note is not None and _HEX.fullmatch(text):  # the cut packet's bytes
                opcode, direction, size = cut_note
                cut_note = None
                if pending is not None:
                    yield from self._finish(pending)
                frame += 1
                pending = _Packet(frame, last_time, opcode, direction, lineno, offset)
                pending.data += bytes.fromhex(text.replace(" ", ""))
                pending.cut_to = size
                packets += 1
                continue
            cut_note = None
            m = parse_line(text)
            if m is None:
                continue  # the application's own output, or prose
            t = _time(m)
            if t is not None:
                last_time = t
            if pending is not None:
                yield from self._finish(pending)
                pending = None
            log = m.group("log")
            hexpart = (m.group("hex") or "").strip()
            counted = _COUNTED.fullmatch(hexpart) if hexpart.startswith("(") else None
            if counted is not None:
                hexpart = counted.group(2)
            if log is None and (not hexpart or not _HEX.fullmatch(hexpart)):
                # no record, so no frame number (create_packet_log.py dumps none either)
                self.problems.append(
                    Problem(
                        frame + 1,
                        offset,
                        f"line {lineno} ({m.group('kind')}): "
                        + ("no bytes" if not hexpart else "the bytes are not hex pairs")
                        + "; record skipped",
                        LAYER,
                        ProblemKind.TRUNCATED if not hexpart else ProblemKind.INVALID,
                    )
                )
                continue
            frame += 1
            if elided_at:
                self.problems.append(elision(frame, offset, elided_at, LAYER))
                elided_at = 0
            if log is not None:
                cm = _CUT_NOTE.search(log)
                if cm is not None:
                    word = cm.group(1) + (" <=" if cm.group(2) == "in" else " =>")
                    opcode, direction = _KINDS[word]
                    cut_note = (opcode, direction, int(cm.group(3)))
                note = log[:_MAX_NOTE].encode("utf-8", "replace")
                self.index = frame
                yield Record(frame, last_time, LinkType.BTSNOOP_MONITOR, note, offset, flags=NOTE)
                continue
            opcode, direction = _KINDS[m.group("kind")]
            pending = _Packet(frame, last_time, opcode, direction, lineno, offset)
            pending.data += bytes.fromhex(hexpart.replace(" ", ""))
            if counted is not None and int(counted.group(1)) != len(pending.data):
                self.problems.append(
                    Problem(
                        frame,
                        offset,
                        f"line {lineno} ({m.group('kind')}): the line says {counted.group(1)} "
                        f"bytes and shows {len(pending.data)}; the bytes shown are read",
                        LAYER,
                        ProblemKind.BAD_LENGTH,
                    )
                )
            packets += 1
        if pending is not None:
            yield from self._finish(pending)
        if packets == 0:
            self.problems.append(
                Problem(
                    None,
                    None,
                    "the text looks like BTstack console output but holds no HCI packet line "
                    "(CMD => / EVT <= / ACL => / ACL <= with its bytes); nothing about pairing "
                    "can be said (BTstack prints packets when hci_dump is opened on stdout: "
                    "hci_dump_init(hci_dump_embedded_stdout_get_instance()) or the POSIX one)",
                    LAYER,
                )
            )

    @staticmethod
    def _wants_more(p: _Packet) -> bool:
        want = _expected(p.opcode, bytes(p.data[:4]))
        return want is None or len(p.data) < want

    def _finish(self, p: _Packet) -> Iterator[Record]:
        data = bytes(p.data)
        want = _expected(p.opcode, data)
        orig = 0
        where = f"line {p.lineno}"
        if p.cut_to:
            orig = p.cut_to
            self.problems.append(
                Problem(
                    p.frame,
                    p.offset,
                    f"{where}: BTstack printed {len(data)} of the packet's {p.cut_to} bytes "
                    "(HCI_DUMP_STDOUT_MAX_SIZE_*); the rest cannot be known",
                    LAYER,
                    ProblemKind.TRUNCATED,
                )
            )
        elif want is None or len(data) < want:
            orig = want if want is not None else 0
            expected = f"{want}" if want is not None else "a whole header"
            self.problems.append(
                Problem(
                    p.frame,
                    p.offset,
                    f"{where}: {len(data)} bytes, the packet's header says {expected}; "
                    "kept cut short",
                    LAYER,
                    ProblemKind.TRUNCATED,
                )
            )
        elif len(data) > want:
            self.problems.append(
                Problem(
                    p.frame,
                    p.offset,
                    f"{where}: {len(data) - want} bytes past the length the packet's header "
                    f"gives ({want}); left out",
                    LAYER,
                    ProblemKind.BAD_LENGTH,
                )
            )
            data = data[:want]
        self.index = p.frame
        yield Record(
            p.frame,
            p.time,
            LinkType.BTSNOOP_MONITOR,
            data,
            p.offset,
            p.direction,
            p.opcode,
            orig if orig > len(data) else 0,
        )
