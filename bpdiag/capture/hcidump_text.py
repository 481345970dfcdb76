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
rebuilds the same Linux monitor records as ``btmon_text`` from both, so the analysis is
the one of the capture hcidump printed.  Where hcidump printed no parameters (no ``-X``), or
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
  table (e.g. ``Inquiry Result``); it is recognised by its 30-byte dump.

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
    features_pdu,
)
from bpdiag.capture.record import Direction, LinkType, Problem, Record
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
        self._cut = 0  # bytes of the current SMP PDU the text did not print

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
                    "none of them is an SMP, HCI connection/encryption or ATT error packet "
                    "that bpdiag reads; nothing about pairing can be said",
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
            ev = bytes([int(m.group(1), 16), len(params)]) + params
            return MONITOR_EVENT, ev, Direction.RECEIVED
        return None

    # ------------------------------------------------------------ HCI
    def _command(self, op: int, b: _Block) -> bytes | None:
        """HCI commands (Vol 4, Part E, 7.1.6, 7.8.12, 7.8.24–26) from hcidump's lines."""
        wanted = {0x0406, 0x200D, 0x2043, 0x2019, 0x201A, 0x201B}
        if op not in wanted:
            return None
        if b.dump:
            return bytes(b.dump)
        kv = _kv(b.detail)
        if op == 0x0406 and "handle" in kv:
            return struct.pack(
                "<HB", _check(kv["handle"], 12, "handle"), _check(kv.get("reason", 0), 8, "reason")
            )
        if op == 0x200D and b.detail:
            addr = _address(b.detail)
            ptype = _check(kv.get("type", 0), 8, "type")
            return bytes(5) + bytes([ptype]) + addr + bytes(13)
        self._unknown(_name(b.header.rest))
        return None

    def _event(self, code: int, plen: int, b: _Block) -> bytes | None:
        """HCI events (Vol 4, Part E, 7.7.5, 7.7.8, 7.7.14–15, 7.7.39, 7.7.65) from hcidump."""
        kv = _kv(b.detail)
        if code in _STATUS_HANDLE_EVENTS:
            last = _STATUS_HANDLE_EVENTS[code]
            return _status_handle(kv) + (bytes([_u8(kv, last)]) if last else b"")
        if code in (0x0E, 0x0F):
            m = (
                re.search(r"\(0x([0-9a-fA-F]{1,2})\|0x([0-9a-fA-F]{1,4})\)", b.detail[0])
                if b.detail
                else None
            )
            if not m:
                return None
            op = _check(int(m.group(1), 16), 6, "OGF") << 10 | _check(
                int(m.group(2), 16), 10, "OCF"
            )
            if code == 0x0F:
                return struct.pack("<BBH", _u8(kv, "status"), _u8(kv, "ncmd", 1), op)
            ret = bytes(b.dump) if b.dump else bytes([_u8(kv, "status")])
            if op == 0x1009 and not b.dump:
                ret += _address(b.detail)
            return struct.pack("<BH", _u8(kv, "ncmd", 1), op) + ret
        if code == 0x3E:
            name = b.detail[0] if b.detail else ""
            if name.startswith("LE Connection Complete"):
                role = 1 if re.search(r"role (?:peripheral|slave)", " ".join(b.detail)) else 0
                atype = 1 if "(Random)" in " ".join(b.detail) else 0
                body = _status_handle(kv) + bytes([role, atype]) + _address(b.detail[1:])
                return bytes([0x01]) + body + struct.pack("<HHHB", 24, 0, 400, 0)
            if name.startswith("LE Long Term Key Request"):
                if len(b.dump) == 12:
                    return bytes([0x05]) + bytes(b.dump)
                self._unknown("LE Long Term Key Request")
                return None
            if len(b.dump) == 30 and plen == 31 and b.dump[3] <= 3 and b.dump[4] <= 1:
                return bytes([0x0A]) + bytes(b.dump)  # LE Enhanced Connection Complete
            return None
        return None

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
            if len(pdu) == 1 and not b.dump and dl and 5 < int(dl.group(1)) <= 0xFFFF:
                # Printed without its parameters: the record is the PDU stored cut short
                # (the lengths as sent, the code octet only), as a log that cuts packets
                # stores it, so the analysis knows it was sent and that its values are not.
                sent = int(dl.group(1)) - 4
                self._cut = sent - 1
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
        """SMP PDUs (Vol 3, Part H, 3.5–3.6) from hcidump's ``parser/smp.c`` lines."""
        kv = _kv(d)
        if code in (0x01, 0x02):
            return features_pdu(code, lambda name, default: _u8(kv, name, default), _FEATURES)
        words = {0x03: "key", 0x04: "random", 0x06: "LTK", 0x08: "IRK", 0x0A: "CSRK"}
        if code in words:
            v = _hex_after(d, words[code], 16)
            return bytes([code]) + (v if v is not None else bytes(16))
        if code == 0x05:
            return bytes([5, _u8(kv, "reason")])
        if code == 0x07:
            rand = _hex_after(d, "Rand", 8)  # printed byte by byte, in wire order
            ediv = _check(kv.get("ediv", 0), 16, "EDIV")
            return b"\x07" + struct.pack("<H", ediv) + (rand if rand is not None else bytes(8))
        if code == 0x09:
            self._garbled_identity += 1
            atype = 1 if "(Random)" in " ".join(d) else 0
            return bytes([9, atype]) + bytes(6)
        if code == 0x0B:
            return bytes([0x0B, _u8(kv, "auth req")])
        if b.dump:
            return bytes([code]) + bytes(b.dump)
        self._unknown(f"SMP opcode 0x{code:02x}")
        return bytes([code])


def _u8(kv: dict[str, int], name: str, default: int = 0) -> int:
    return _check(kv.get(name, default), 8, name)


def _status_handle(kv: dict[str, int]) -> bytes:
    """The Status and 12-bit Connection_Handle that begin most connection events."""
    return struct.pack("<BH", _u8(kv, "status"), _check(kv.get("handle", 0), 12, "handle"))


# Events that are a status, a handle and at most one octet more (its hcidump name; "": none):
# Encryption Change (7.7.8), Disconnection Complete (7.7.5), Encryption Key Refresh Complete
# (7.7.39).
_STATUS_HANDLE_EVENTS: dict[int, str] = {0x08: "encrypt", 0x05: "reason", 0x30: ""}


def _name(rest: str) -> str:
    return re.sub(r"\s*\(0x.*$", "", rest) or rest[:40]


def _address(lines: list[str]) -> bytes:
    for line in lines:
        m = re.search(r"bdaddr ([0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5})", line)
        if m:
            return bytes.fromhex(m.group(1).replace(":", ""))[::-1]
    return bytes(6)
