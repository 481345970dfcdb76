"""hcidump's printed output (BlueZ ``hcidump``, package bluez-hcidump: ``parser/hci.c``,
``parser/l2cap.c``, ``parser/smp.c``, ``parser/att.c``) as a capture.

hcidump prints one header line per packet, with ``-t`` after a wall-clock time::

    2026-11-24 18:04:22.197278 < ACL data: handle 1 flags 0x00 dlen 11
        SMP: Pairing Request (0x01)
          capability 0x02 oob 0x00 auth req 0x05
          max key size 0x10 init key dist 0x03 resp key dist 0x03
    > HCI Event: Encrypt Change (0x08) plen 4
        status 0x00 handle 1 encrypt 0x01

and, with ``-X`` / ``-x``, a hex dump (``0000: 01 00 …``) of what it does not decode: SMP
opcodes it calls ``Unknown (0x0c)`` (the Secure Connections PDUs, Keypress Notification),
LE Start Encryption, LTK Request Reply, the LE Long Term Key Request event.  This reader
rebuilds the same Linux monitor records as ``btmon_text`` from both (BR/EDR pairing's events
and the host's answers too: ``bdaddr … capability 0x01 oob 0x00 auth 0x05``), so the analysis
is the one of the capture hcidump printed.  Where hcidump printed no parameters (no ``-X``), or
printed wrong ones, the record says so with a Problem and nothing is guessed:

- without ``-X``, packets hcidump does not decode carry no parameters: HCI ones are skipped,
  SMP phase-2 PDUs are kept as PDUs stored cut short (sent, values unknown),
  and one Problem names them;
- ``Identity Address Information`` prints memory that is not the address (``parser/smp.c``
  hands the frame structure, not its data pointer, to ``p_ba2str``): the PDU is kept with
  the address type and an all-zero address — BlueZ's BDADDR_ANY, no device's address, which
  the analysis never takes as an identity and the ladder shows as unknown — and a Problem
  says the address cannot be known;
- ``LE Enhanced Connection Complete`` is named from past the end of hcidump's sub-event
  table (e.g. ``Inquiry Result``); it is recognised by its 30-byte dump;
- a header joined to its first decode line, and decode lines whose indentation a web page
  dropped, are read as hcidump printed them when they are hcidump's words (``status 0x..``,
  ``bdaddr …``, ``SMP: …``, a hex dump row);
- a value the text does not print is not made up: an SMP PDU whose lines stop early (an
  excerpt's last record, ``SMP: Pairing Request (0x01)`` alone) is the octets printed, stored
  cut short, with a Problem naming the fields missing; ``LE Connection Complete``, for which
  hcidump prints no interval, latency or timeout, is stored cut before them (unknown, not
  zero); an HCI record that lacks a field bpdiag rebuilds (a status, a handle, one of
  ``LE Create Connection``'s values) is skipped with a Problem;
- key material (a link key, a PIN, a passkey) printed masked (``-Y``: ``key ****…``,
  ``pin '****'``) or not as hcidump prints it keeps its record for what the record says
  without it, the value zeros, with a Problem that says it is not known and never quotes
  it (what was read, every output redacts: hci.py declares it secret).

Frame numbers count the packets in print order, as the capture numbered them.
"""

from __future__ import annotations

import calendar
import datetime
import re
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TextIO

from bpdiag.capture._textlines import clean_lines, first_header, indent_of, is_elision, unquote
from bpdiag.capture.btmon_text import (
    ACL_RX,
    ACL_TX,
    MONITOR_COMMAND,
    MONITOR_EVENT,
    _acl,
    _Bad,
    _check,
    _int,
)
from bpdiag.capture.record import Direction, LinkType, Problem, ProblemKind, Record
from bpdiag.errors import Stage

LAYER = Stage.HCIDUMP_TEXT

_STAMP = (
    r"(?:(?P<date>\d{4,6}-\d\d-\d\d) (?P<tod>\d\d:\d\d:\d\d\.\d{1,9})|(?P<epoch>\d{1,12}\.\d{1,9}))"
)
_HEADER = re.compile(
    rf"^(?:{_STAMP} +)?(?P<mark>[<>]) (?P<what>HCI Command: |HCI Event: |ACL data: |SCO data: )"
    r"(?P<rest>.{0,300})$"
)
_LEN_END = re.compile(r"[pd]len \d{1,6}$")
_LEN_THEN = re.compile(r"[pd]len \d{1,6}(?= +\S)")  # a header with more after its length
# hcidump's decode lines (parser/hci.c, smp.c, att.c, l2cap.c), told from prose when a paste
# lost their indentation
_FLAT_DETAIL = re.compile(
    r"(?:status 0x[0-9a-fA-F]{2}\b|handle \d{1,5}\b|bdaddr [0-9A-Fa-f:]{17}\b|reason 0x"
    r"|Error: |Reason: |SMP: |ATT: |L2CAP\(|capability 0x|max key size 0x|auth req 0x"
    r"|(?:key|random|LTK|IRK|CSRK) [0-9a-f]{32}$|EDIV 0x|LE [A-Z][A-Za-z ]{2,40}$"
    r"|[A-Z][\w ]{0,60} \(0x[0-9a-fA-F]{2}\|0x[0-9a-fA-F]{4}\) (?:status|ncmd) )"
)
_HEX_LINE = re.compile(r"^([0-9a-fA-F]{4}): ")
_HEX_ROW = re.compile(r"(?:[0-9A-F]{2} ){0,19}[0-9A-F]{2} ?")
_PAIR = re.compile(r"([0-9a-fA-F]{2})(?: |$)")
_KV = re.compile(r"([A-Za-z][A-Za-z _]{0,24}?) (0x[0-9a-fA-F]{1,64}|\d{1,24})\b")
_MAX_DETAIL = 256
# the Pairing Request / Response fields as parser/smp.c prints them
_FEATURES = ("capability", "oob", "auth req", "max key size", "init key dist", "resp key dist")


@dataclass(slots=True)
class _Header:
    mark: str
    what: str
    rest: str
    time: float | None


@dataclass(slots=True)
class _Block:
    lineno: int
    offset: int
    header: _Header
    depth: int
    indent: int
    detail: list[str] = field(default_factory=list)
    dump: bytearray = field(default_factory=bytearray)
    flat: bool = False  # the paste lost the decode lines' indentation (or joined them)


def parse_header(s: str) -> _Header | None:
    m = _HEADER.match(s.lstrip(" "))
    if not m:
        return None
    t: float | None = None
    if m.group("epoch"):
        whole = m.group("epoch").partition(".")[0]
        t = float(m.group("epoch")) if len(whole) <= 12 else None
    elif m.group("date"):
        t = _wall(m.group("date"), m.group("tod"))
    return _Header(m.group("mark"), m.group("what").strip(), m.group("rest").strip(), t)


def _wall(date: str, tod: str) -> float | None:
    try:
        y, mo, d = (int(x) for x in date.split("-"))
        hh, mm, ss = (int(x) for x in tod.partition(".")[0].split(":"))
        frac = float("0." + tod.partition(".")[2])
        if not 1970 <= y <= 9999:
            return None
        day = calendar.timegm(datetime.datetime(y, mo, d, hh, mm, ss).timetuple())
    except ValueError:
        return None
    return day + frac


def _kv(lines: list[str]) -> dict[str, int]:
    """hcidump's ``name value`` pairs (``status 0x00 handle 1 encrypt 0x01``)."""
    out: dict[str, int] = {}
    for line in lines:
        for name, value in _KV.findall(line):
            if len(value) <= 24:  # longer: a dump, not a field (and no int of 1000s of digits)
                out.setdefault(name.strip().lower(), _int(value, name))
    return out


def _hex_after(lines: list[str], word: str, size: int) -> bytes | None:
    for line in lines:
        m = re.search(rf"\b{word} (?:0x)?([0-9a-fA-F]+)", line)
        if m:
            digits = m.group(1)
            if len(digits) != 2 * size:
                raise _Bad(f"{word}: {len(digits) // 2} bytes, expected {size}")
            return bytes.fromhex(digits)
    return None


class HcidumpTextReader:
    """Turns hcidump text into Linux monitor ``Record``s (link type 2001)."""

    def __init__(self, f: TextIO, problems: list[Problem]) -> None:
        self.f = f
        self.problems = problems
        self.index = 0
        self.headers = 0
        self._unprinted: dict[str, int] = {}
        self._garbled_identity = 0
        self._cut = 0  # bytes of the current record the text did not print
        self._frame = 0  # the frame number of the block being read

    def blocks(self) -> Iterator[_Block]:
        block: _Block | None = None
        in_dump = False
        row = 0  # bytes in the last hex dump row: its ASCII column is as long
        for lineno, offset, line in clean_lines(self.f, self.problems, LAYER):
            if not line.strip():
                continue
            found = first_header(line, parse_header)
            if found is not None:
                if block is not None:
                    yield block
                depth, rest, h = found
                self.headers += 1
                block = _Block(lineno, offset, h, depth, indent_of(rest))
                in_dump = False
                glued = _LEN_THEN.search(h.rest)
                if glued is not None:
                    # a web page joined the first decode line to the header ("… plen 4
                    # Create Connection (0x01|0x0005) status 0x00 ncmd 1")
                    block.detail.append(h.rest[glued.end() :].strip())
                    h.rest = h.rest[: glued.end()]
                    block.flat = True
                continue
            if block is None:
                continue
            rest = unquote(line, block.depth)
            text = rest.strip()
            if not text:
                continue
            if in_dump and len(text) <= row and indent_of(rest) <= block.indent:
                continue  # the ASCII column of a wrapped hex dump row ("....DI1.0=.M...{")
            if is_elision(text):
                yield block
                block = None
                continue
            ind = indent_of(rest)
            if (
                ind <= block.indent
                and (not block.detail or block.flat)
                and not (in_dump and len(text) <= row)
                and (_FLAT_DETAIL.match(text) or _HEX_LINE.match(text))
            ):
                # hcidump's decode line with its indentation lost (a forum's paste)
                block.flat = True
                ind = block.indent + 1
            if ind <= block.indent:
                h = block.header
                if not block.detail and not block.dump and not _LEN_END.search(h.rest):
                    # the header's tail, wrapped onto the next line by a mail client
                    joined = parse_header(f"{h.mark} {h.what} {h.rest} {text}")
                    if joined is not None:
                        joined.time = h.time
                        block.header = joined
                        continue
                if in_dump:
                    continue  # the ASCII column of a wrapped hex dump line
                yield block
                block = None
                continue
            hm = _HEX_LINE.match(text)
            if hm:
                in_dump = True
                s = text[hm.end() :]
                i = 0
                before = len(block.dump)
                for k in range(16):
                    pm = _PAIR.match(s, i)
                    if not pm:
                        break
                    block.dump.append(int(pm.group(1), 16))
                    i = pm.end()
                    if k == 7 and s[i : i + 1] == " ":
                        i += 1
                row = len(block.dump) - before
                continue
            if _HEX_ROW.fullmatch(text):  # -x: rows of up to 20 bytes, no offset
                block.dump.extend(bytes.fromhex(text))
                continue
            in_dump = False
            if len(block.detail) < _MAX_DETAIL:
                block.detail.append(text)
        if block is not None:
            h = block.header
            if not block.detail and not block.dump and re.search(r"dlen [1-9]", h.rest):
                # hcidump decodes every ACL packet at least to its L2CAP line: the text
                # ends inside this record (an excerpt cut mid-record)
                self.problems.append(
                    Problem(
                        None,
                        block.offset,
                        f"line {block.lineno}: the text ends inside a record ({h.mark} {h.what} "
                        f"{h.rest[:50]}): its decode lines are not in the text, so what it was "
                        "is not known",
                        LAYER,
                        ProblemKind.TRUNCATED,
                    )
                )
            yield block

    def records(self) -> Iterator[Record]:
        frame = 0
        last_time = 0.0
        produced = skipped = 0
        for block in self.blocks():
            frame += 1
            h = block.header
            if h.time is not None:
                last_time = h.time
            self._frame = frame
            try:
                rec = self._record(block)
            except _Bad as exc:
                skipped += 1
                self.problems.append(
                    Problem(
                        frame,
                        block.offset,
                        f"line {block.lineno} ({h.mark} {h.what} {h.rest[:50]}): {exc}; "
                        "record skipped",
                        LAYER,
                    )
                )
                continue
            if rec is None:
                continue
            opcode, payload, direction = rec
            produced += 1
            self.index = frame
            cut, self._cut = self._cut, 0
            yield Record(
                frame,
                last_time,
                LinkType.BTSNOOP_MONITOR,
                payload,
                block.offset,
                direction,
                opcode,
                len(payload) + cut if cut else 0,
            )
        if self._unprinted:
            names = ", ".join(f"{n} ({c}×)" for n, c in sorted(self._unprinted.items()))
            self.problems.append(
                Problem(
                    None,
                    None,
                    f"hcidump printed no parameters for {names}: they cannot be analysed "
                    "(hcidump -X prints them as a hex dump)",
                    LAYER,
                )
            )
        if self._garbled_identity:
            self.problems.append(
                Problem(
                    None,
                    None,
                    f"{self._garbled_identity} Identity Address Information PDU(s): hcidump "
                    "prints another memory area in place of the address (parser/smp.c), so "
                    "the identity address cannot be known from this text",
                    LAYER,
                )
            )
        if produced == skipped == 0:
            self.problems.append(
                Problem(
                    None,
                    None,
                    f"the text looks like hcidump output ({self.headers} packet header(s)) but "
                    "none of them is an SMP, HCI connection/encryption, BR/EDR pairing or ATT "
                    "error packet that bpdiag reads; nothing about pairing can be said",
                    LAYER,
                )
            )

    def _short_smp(self, b: _Block, code: int, kept: int, name: str) -> None:
        """A Problem for an SMP PDU hcidump decodes whose lines the text cuts short."""
        missing = [f for f, _, _ in _SMP_FIELDS[code]]
        size = 1
        for f, n, _ in _SMP_FIELDS[code]:
            if size >= kept:
                break
            size += n
            missing.remove(f)
        self.problems.append(
            Problem(
                self._frame,
                b.offset,
                f"line {b.lineno} ({name.removeprefix('SMP: ')}): the text has no "
                f"{', '.join(missing)}; the PDU is kept as cut short, those values unknown",
                LAYER,
            )
        )

    def _unknown(self, name: str) -> None:
        self._unprinted[name] = self._unprinted.get(name, 0) + 1

    def _record(self, b: _Block) -> tuple[int, bytes, Direction] | None:
        h = b.header
        if h.what == "ACL data:":
            return self._acl(b)
        if h.what == "HCI Command:":
            m = re.search(r"\(0x([0-9a-fA-F]{1,2})\|0x([0-9a-fA-F]{1,4})\)", h.rest)
            if not m:
                return None
            op = _check(int(m.group(1), 16), 6, "OGF") << 10 | int(m.group(2), 16)
            params = self._command(op, b)
            if params is None:
                return None
            return MONITOR_COMMAND, struct.pack("<HB", op, len(params)) + params, Direction.SENT
        if h.what == "HCI Event:":
            m = re.search(r"\(0x([0-9a-fA-F]{1,2})\) plen (\d{1,6})", h.rest)
            if not m:
                return None
            params = self._event(int(m.group(1), 16), int(m.group(2)), b)
            if params is None:
                return None
            # an event kept cut short says the length it was sent with
            ev = bytes([int(m.group(1), 16), len(params) + self._cut]) + params
            return MONITOR_EVENT, ev, Direction.RECEIVED
        return None

    # ------------------------------------------------------------ HCI
    def _command(self, op: int, b: _Block) -> bytes | None:
        """HCI commands (Vol 4, Part E, 7.1.6, 7.8.12, 7.8.24–26, and BR/EDR pairing's:
        ``_BREDR_COMMANDS``) from hcidump's lines: the values it printed, and none it did not
        (a record short of one is skipped, with a Problem)."""
        if op in _BREDR_COMMANDS:
            return self._bredr(_BREDR_COMMANDS[op], b)
        wanted = {0x0406, 0x200D, 0x2043, 0x2019, 0x201A, 0x201B}
        if op not in wanted:
            return None
        if b.dump:
            return bytes(b.dump)
        if op == 0x0406 and b.detail:
            return struct.pack("<H", _value(b.detail, "handle", 12)) + bytes(
                [_value(b.detail, "reason", 8)]
            )
        if op == 0x200D and b.detail:
            # parser/hci.c le_create_connection_dump(): the peer first, then the rest in
            # wire order, each value after its word
            d = b.detail
            return (
                struct.pack("<HH", _value(d, "interval", 16), _value(d, "window", 16))
                + bytes([_value(d, "initiator_filter", 8), _value(d, "type", 8)])
                + _address(d)
                + bytes([_value(d, "own_bdaddr_type", 8)])
                + struct.pack("<6H", *(_value(d, w, 16) for w in _CREATE_TIMING))
            )
        self._unknown(_name(b.header.rest))
        return None

    def _event(self, code: int, plen: int, b: _Block) -> bytes | None:
        """HCI events (Vol 4, Part E, 7.7.3, 7.7.5, 7.7.8, 7.7.14–15, 7.7.39, 7.7.65, and BR/EDR
        pairing's: ``_BREDR_EVENTS``, Link Key Notification) from hcidump."""
        d = b.detail
        if code in _STATUS_HANDLE_EVENTS:
            last = _STATUS_HANDLE_EVENTS[code]
            return _status_handle(d) + (bytes([_value(d, last, 8)]) if last else b"")
        if code == 0x03:
            # Connection Complete (7.7.3), parser/hci.c conn_complete_dump(): "status 0x04
            # handle 0 bdaddr … type ACL encrypt 0x00"
            lm = re.search(r"\btype (ACL|SCO|eSCO)\b", " ".join(d))
            if lm is None:
                raise _Bad("the text has no link type")
            link = {"SCO": 0, "ACL": 1, "eSCO": 2}[lm.group(1)]
            return _status_handle(d) + _address(d) + bytes([link, _value(d, "encrypt", 8)])
        if code in _BREDR_EVENTS:
            return self._bredr(_BREDR_EVENTS[code], b)
        if code in (0x0E, 0x0F):
            m = re.search(r"\(0x([0-9a-fA-F]{1,2})\|0x([0-9a-fA-F]{1,4})\)", d[0]) if d else None
            if not m:
                return None
            op = _check(int(m.group(1), 16), 6, "OGF") << 10 | _check(
                int(m.group(2), 16), 10, "OCF"
            )
            if code == 0x0F:
                return struct.pack("<BBH", _value(d, "status", 8), _value(d, "ncmd", 8), op)
            ncmd = _value(d, "ncmd", 8)
            if b.dump:
                ret = bytes(b.dump)
            elif _find(d, "status") is None:
                # hcidump decodes no return parameters of this command: nothing to rebuild
                if op in _RETURNS_READ:
                    self._unknown(f"Command Complete ({_name(d[0])})")
                return None
            else:
                ret = bytes([_value(d, "status", 8)])
                if op == 0x1009:
                    ret += _address(d)
            return struct.pack("<BH", ncmd, op) + ret
        if code == 0x3E:
            name = d[0] if d else ""
            if name.startswith("LE Connection Complete"):
                text = " ".join(d)
                rm = re.search(r"\brole (central|master|peripheral|slave)\b", text)
                am = re.search(r"\bbdaddr \S+ \((Public|Random)\)", text)
                if rm is None or am is None:
                    raise _Bad(f"the text has no {'role' if rm is None else 'address type'}")
                role = 1 if rm.group(1) in ("peripheral", "slave") else 0
                atype = 1 if am.group(1) == "Random" else 0
                body = _status_handle(d[1:]) + bytes([role, atype]) + _address(d[1:])
                # hcidump prints no Conn_Interval, Peripheral_Latency, Supervision_Timeout
                # or Central_Clock_Accuracy: the event is kept cut before them
                self._cut = 7
                return bytes([0x01]) + body
            if name.startswith("LE Long Term Key Request"):
                if len(b.dump) == 12:
                    return bytes([0x05]) + bytes(b.dump)
                self._unknown("LE Long Term Key Request")
                return None
            if len(b.dump) == 30 and plen == 31 and b.dump[3] <= 3 and b.dump[4] <= 1:
                return bytes([0x0A]) + bytes(b.dump)  # LE Enhanced Connection Complete
            return None
        return None

    def _bredr(self, spec: tuple[tuple[str, int | str], ...], b: _Block) -> bytes:
        """A BR/EDR pairing message's parameters from hcidump's words (``_BREDR_EVENTS``).
        Key material printed masked (``key ****…``, ``pin '****'``: hcidump -Y) or not as
        hcidump prints it (hidden or cut before a paste) is zeros, and a Problem says it is
        not known: the record is kept for what it says without it (a pairing made a key of
        this type, the host gave a stored key, a PIN, a passkey).  No Problem quotes it."""
        out = bytearray()
        for word, kind in spec:
            if word == "bdaddr":
                out += _address(b.detail)
            elif isinstance(kind, str):
                value, masked = _secret(b.detail, word, kind, out)
                if value is None:
                    what = _SECRET_NAMES[kind]
                    how = (
                        "hcidump printed the {} masked (hcidump -Y)"
                        if masked
                        else "the {} is not in the text as hcidump prints it (hidden or cut "
                        "before it was pasted?)"
                    )
                    self.problems.append(
                        Problem(
                            self._frame,
                            b.offset,
                            f"line {b.lineno} ({_name(b.header.rest)}): {how.format(what)}; "
                            f"the {what} is not known (the rest of the record is read)",
                            LAYER,
                        )
                    )
                    value = bytes(_SECRET_SIZES[kind])
                out += value
            elif word == "handle":
                out += struct.pack("<H", _value(b.detail, word, kind))
            else:
                out += _value(b.detail, word, kind).to_bytes(kind // 8, "little")
        return bytes(out)

    # ------------------------------------------------------------ SMP / ATT
    def _acl(self, b: _Block) -> tuple[int, bytes, Direction] | None:
        m = re.match(r"handle (\d{1,12}) flags 0x([0-9a-fA-F]{1,2})", b.header.rest)
        if not m or not b.detail:
            return None
        handle = _check(int(m.group(1)), 12, "handle")
        lines = [x for x in b.detail if not x.startswith("L2CAP")]
        if not lines:
            return None
        first = lines[0]
        tx = b.header.mark == "<"
        kind = (ACL_TX if tx else ACL_RX), (Direction.SENT if tx else Direction.RECEIVED)
        sm = re.match(r"SMP: .*\(0x([0-9a-fA-F]{2})\)", first)
        if sm:
            code = int(sm.group(1), 16)
            pdu = self._smp(code, lines[1:], b)
            if pdu is None:
                return None
            dl = re.search(r"dlen (\d{1,5})", b.header.rest)
            # an ACL data length is 16 bits (Vol 4, Part E, 5.4.2): a larger dlen is no
            # length a packet had, so the PDU is not taken as stored cut short
            sent: int | None = None
            if dl and 5 < int(dl.group(1)) <= 0xFFFF:
                sent = int(dl.group(1)) - 4
            elif code in _SMP_LENGTH:
                sent = _SMP_LENGTH[code]
            if not b.dump and sent is not None and len(pdu) < sent:
                # Printed without (some of) its parameters: the record is the PDU stored cut
                # short (the lengths as sent, the octets printed), as a log that cuts packets
                # stores it, so the analysis knows it was sent and that its values are not.
                if code in _SMP_FIELDS:
                    self._short_smp(b, code, len(pdu), sm.group(0))
                self._cut = sent - len(pdu)
                l2 = struct.pack("<HH", sent, 6) + pdu
                return (
                    kind[0],
                    struct.pack("<HH", handle | 0x2000, len(l2) + self._cut) + l2,
                    kind[1],
                )
            return kind[0], _acl(handle, 6, pdu), kind[1]
        if first.startswith("ATT: Error (0x01)"):
            rest = " ".join(lines[1:])
            em = re.search(r"Error: .*\((\d{1,3})\)", rest)
            rm = re.search(r"\(0x([0-9a-fA-F]{2})\) on handle 0x([0-9a-fA-F]{1,4})", rest)
            if not em or not rm:
                return None
            body = bytes([1, int(rm.group(1), 16)]) + struct.pack("<H", int(rm.group(2), 16))
            body += bytes([_check(int(em.group(1)), 8, "error")])
            return kind[0], _acl(handle, 4, body), kind[1]
        return None

    def _smp(self, code: int, d: list[str], b: _Block) -> bytes | None:
        """SMP PDUs (Vol 3, Part H, 3.5–3.6) from hcidump's ``parser/smp.c`` lines: the
        fields in wire order as far as the text printed them (``_SMP_FIELDS``); a field
        missing ends the PDU there, and ``_acl`` keeps it as stored cut short."""
        if code == 0x09:
            if not re.search(r"\bbdaddr ", " ".join(d)):
                return bytes([9])
            self._garbled_identity += 1
            atype = 1 if "(Random)" in " ".join(d) else 0
            return bytes([9, atype]) + bytes(6)
        spec = _SMP_FIELDS.get(code)
        if spec is None:
            if b.dump:
                return bytes([code]) + bytes(b.dump)
            self._unknown(f"SMP opcode 0x{code:02x}")
            return bytes([code])
        kv = _kv(d)
        out = bytearray([code])
        for name, size, kind in spec:
            if kind == "hex":  # printed as hex digits in wire order
                v = _hex_after(d, name, size)
                if v is None:
                    break
                out += v
            else:
                n = kv.get(name.lower())
                if n is None:
                    break
                out += _check(n, 8 * size, name).to_bytes(size, "little")
        return bytes(out)


# What parser/smp.c prints for each SMP PDU it decodes, in wire order (Vol 3, Part H,
# 3.5–3.6): (the word before the value, octets, "int" for a number or "hex" for digits)
_SMP_FIELDS: dict[int, tuple[tuple[str, int, str], ...]] = {
    0x01: tuple((name, 1, "int") for name in _FEATURES),
    0x02: tuple((name, 1, "int") for name in _FEATURES),
    0x03: (("key", 16, "hex"),),
    0x04: (("random", 16, "hex"),),
    0x05: (("reason", 1, "int"),),
    0x06: (("LTK", 16, "hex"),),
    0x07: (("EDIV", 2, "int"), ("Rand", 8, "hex")),
    0x08: (("IRK", 16, "hex"),),
    0x0A: (("CSRK", 16, "hex"),),
    0x0B: (("auth req", 1, "int"),),
}
# The length of each SMP PDU (Vol 3, Part H, 3.3), for a header that printed no dlen
_SMP_LENGTH = {1: 7, 2: 7, 3: 17, 4: 17, 5: 2, 6: 17, 7: 11, 8: 17, 9: 8, 0x0A: 17, 0x0B: 2}


def _find(lines: list[str], word: str) -> str | None:
    """The number hcidump printed after ``word`` (``status 0x00``, ``min_interval 12``), as
    text, or None: ``word`` must not be the tail of a longer one (``interval`` is not
    ``min_interval``)."""
    pat = _WORDS.get(word)
    if pat is None:
        pat = _WORDS[word] = re.compile(
            rf"(?<![\w]){re.escape(word)} (0x[0-9a-fA-F]{{1,24}}|\d{{1,24}})\b"
        )
    for line in lines:
        m = pat.search(line)
        if m:
            return m.group(1)
    return None


_WORDS: dict[str, re.Pattern[str]] = {}


def _value(lines: list[str], word: str, bits: int) -> int:
    """The number after ``word``, checked against its field's width; a record whose text
    lacks it cannot be rebuilt (``_Bad``: skipped, with a Problem) — no value is made up."""
    v = _find(lines, word)
    if v is None:
        raise _Bad(f"the text has no {word}")
    return _check(_int(v, word), bits, word)


def _status_handle(lines: list[str]) -> bytes:
    """The Status and 12-bit Connection_Handle that begin most connection events."""
    return struct.pack("<BH", _value(lines, "status", 8), _value(lines, "handle", 12))


# Events that are a status, a handle and at most one octet more (its hcidump name; "": none):
# Encryption Change (7.7.8), Disconnection Complete (7.7.5), Encryption Key Refresh Complete
# (7.7.39).
_STATUS_HANDLE_EVENTS: dict[int, str] = {0x08: "encrypt", 0x05: "reason", 0x30: ""}
# BR/EDR pairing (Vol 4, Part E, 7.7.6, 7.7.22-24, 7.7.40-45, 7.7.48-49; 7.1.10-13,
# 7.1.15-16, 7.1.29-32, 7.1.36-37): each message's parameters in wire order as the words
# parser/hci.c prints before them ("bdaddr" the peer; the width in bits of a number, or, for
# key material — what hci.py declares secret — how it is printed: "key" 32 hex digits,
# "pin" the PIN's characters in quotes, "passkey" a signed decimal).  A record whose text
# lacks one is skipped with a Problem.
_BREDR_EVENTS: dict[int, tuple[tuple[str, int | str], ...]] = {
    0x06: (("status", 8), ("handle", 12)),  # Authentication Complete
    0x16: (("bdaddr", 0),),  # PIN Code Request
    0x17: (("bdaddr", 0),),  # Link Key Request
    0x18: (("bdaddr", 0), ("key", "key"), ("type", 8)),  # Link Key Notification
    0x31: (("bdaddr", 0),),  # IO Capability Request
    0x32: (("bdaddr", 0), ("capability", 8), ("oob", 8), ("auth", 8)),  # IO Capability Response
    0x33: (("bdaddr", 0), ("passkey", "passkey")),  # User Confirmation Request
    0x34: (("bdaddr", 0),),  # User Passkey Request
    0x36: (("status", 8), ("bdaddr", 0)),  # Simple Pairing Complete
    0x3B: (("bdaddr", 0), ("passkey", "passkey")),  # User Passkey Notification
    0x3C: (("bdaddr", 0), ("type", 8)),  # Keypress Notification
}
_BREDR_COMMANDS: dict[int, tuple[tuple[str, int | str], ...]] = {
    0x040B: (("bdaddr", 0), ("key", "key")),  # Link Key Request Reply
    0x040C: (("bdaddr", 0),),  # Link Key Request Negative Reply
    0x040D: (("bdaddr", 0), ("len", 8), ("pin", "pin")),  # PIN Code Request Reply
    0x040E: (("bdaddr", 0),),  # PIN Code Request Negative Reply
    0x0411: (("handle", 12),),  # Authentication Requested
    0x0413: (("handle", 12), ("encrypt", 8)),  # Set Connection Encryption
    0x042B: (("bdaddr", 0), ("capability", 8), ("oob", 8), ("auth", 8)),
    0x042C: (("bdaddr", 0),),  # User Confirmation Request Reply
    0x042D: (("bdaddr", 0),),  # User Confirmation Request Negative Reply
    0x042E: (("bdaddr", 0), ("passkey", "passkey")),  # User Passkey Request Reply
    0x0434: (("bdaddr", 0), ("reason", 8)),  # IO Capability Request Negative Reply
    # Send Keypress Notification: decoded ("bdaddr … type 1") though older hcidump names it
    # "Unknown (0x03|0x0060)"
    0x0C60: (("bdaddr", 0), ("type", 8)),
}


_SECRET_SIZES = {"key": 16, "passkey": 4, "pin": 16}
_SECRET_NAMES = {"key": "link key", "passkey": "passkey", "pin": "PIN"}
# how parser/hci.c prints each: "key 0123…EF" (%2.2X per octet, "**" each with -Y), "pin
# '1234'" (the PIN_Code_Length characters, '*' each with -Y; a NUL ends it early), "passkey
# 123456" (%d of the u32: one above 2^31 - 1 prints negative)
_SECRET_WORDS = {
    "key": re.compile(r"\bkey (\S*)"),
    "pin": re.compile(r"\bpin '(.*)'$"),
    "passkey": re.compile(r"\bpasskey (\S*)"),
}


def _secret(lines: list[str], word: str, kind: str, out: bytearray) -> tuple[bytes | None, bool]:
    """Key material after ``word`` in wire order, or ``None`` when the text does not hold it
    as hcidump prints it, and whether hcidump masked it (all ``*``).  A PIN is the UTF-8 of
    its characters, as many as the PIN_Code_Length before it (the last octet of ``out``),
    the rest of its 16 octets zeros (the spec leaves them unused).  No word at all: the
    record cannot be rebuilt (``_Bad``)."""
    pat = _SECRET_WORDS[kind]
    for line in lines:
        m = pat.search(line)
        if m is not None:
            v = m.group(1)
            break
    else:
        raise _Bad(f"the text has no {word}")
    masked = bool(v) and set(v) == {"*"}
    if kind == "key":
        return (bytes.fromhex(v) if re.fullmatch(r"[0-9a-fA-F]{32}", v) else None), masked
    if kind == "passkey":
        n = int(v) if re.fullmatch(r"-?\d{1,10}", v) else None
        if n is None or not -(1 << 31) <= n < 1 << 32:
            return None, masked
        return struct.pack("<I", n & 0xFFFFFFFF), False
    try:
        pin = v.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: no octets a PIN had
        return None, False
    if masked or len(pin) != out[-1] or len(pin) > 16 or "\ufffd" in v:
        return None, masked
    return pin.ljust(16, b"\0"), False


# LE Create Connection's words after Own_Address_Type, in wire order (7.8.12)
_CREATE_TIMING = ("min_interval", "max_interval", "latency", "supervision_to", "min_ce", "max_ce")
# Commands whose Command Complete return parameters bpdiag reads (Read BD_ADDR, LTK replies)
_RETURNS_READ = frozenset({0x1009, 0x201A, 0x201B})


def _name(rest: str) -> str:
    return re.sub(r"\s*\(0x.*$", "", rest) or rest[:40]


def _address(lines: list[str]) -> bytes:
    for line in lines:
        m = re.search(r"bdaddr ([0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5})", line)
        if m:
            return bytes.fromhex(m.group(1).replace(":", ""))[::-1]
    if any(_MASKED.search(line) for line in lines):
        raise _Bad("hcidump masked the bdaddr (-Y, --novendor): the peer is not known")
    raise _Bad("the text has no bdaddr")


_MASKED = re.compile(r"\bbdaddr [0-9A-Fa-f]{2}:[0-9A-Fa-f:]{0,12}\*")  # "F0:F1:F2:*:*:*"
