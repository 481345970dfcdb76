"""btmon's printed output as a capture: what people paste into forum posts and bug reports.

btmon (BlueZ ``monitor/``) prints one header line per record —

    < ACL Data TX: Handle 64 flags 0x00 dlen 11            #18 [hci0] 26.323661
    > HCI Event: Encryption Change (0x08) plen 4           #25 [hci0] 26.51
    @ MGMT Command: Pair Device (0x0019) plen 8     {0x0001} [hci0] 26.1
    = bluetoothd: No agent available for request type 2        26.7

— followed by indented decode lines (``Status: PIN or Key Missing (0x06)``).  This reader
rebuilds, from those lines, the bytes of the records that matter to pairing (SMP, the HCI
connection and encryption commands and events, ATT Error Responses, management commands and
events, log lines) as Linux monitor records, so the rest of bpdiag analyses them exactly as
a btsnoop file.  Lines it does not understand are skipped; values an excerpt leaves out are
zero.  Frame numbers come from btmon's ``#N`` when present.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterator
from typing import TextIO

from bpdiag.capture.record import Direction, LinkType, Problem, Record

HEADER = re.compile(
    r"^(?P<mark>[<>@=])\s+(?P<what>.*?)(?:\s+\{0x(?P<cookie>[0-9a-fA-F]+)\})?"
    r"(?:\s+#(?P<frame>\d+))?(?:\s+\[(?P<index>hci\d+)\])?\s+(?P<time>\d+\.\d+)\s*$"
)
HEADER_NO_TIME = re.compile(r"^(?P<mark>[<>@=])\s+(?P<what>\S.*)$")
PAREN_HEX = re.compile(r"\(0x([0-9a-fA-F]+)\)\s*$")
ADDR = re.compile(r"([0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5})")

MONITOR_COMMAND, MONITOR_EVENT, ACL_TX, ACL_RX = 2, 3, 4, 5
USER_LOGGING, CTRL_OPEN, CTRL_COMMAND, CTRL_EVENT, SYSTEM_NOTE = 13, 14, 16, 17, 12


def looks_like_btmon_text(head: bytes) -> bool:
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        text = head.decode("utf-8", "ignore")
        if "\x00" in text:
            return False
    if text.lstrip().startswith("Bluetooth monitor ver"):
        return True
    return any(HEADER.match(line.rstrip()) for line in text.splitlines()[:50])


def _hexval(line: str) -> int | None:
    m = PAREN_HEX.search(line)
    return int(m.group(1), 16) if m else None


def _field(lines: list[str], name: str) -> str | None:
    pre = name.lower() + ":"
    for line in lines:
        s = line.strip()
        if s.lower().startswith(pre):
            return s[len(pre) :].strip()
    return None


def _num(lines: list[str], name: str, default: int = 0) -> int:
    v = _field(lines, name)
    if v is None:
        return default
    h = PAREN_HEX.search(v)
    if h:
        return int(h.group(1), 16)
    m = re.match(r"(0x[0-9a-fA-F]+|\d+)", v)
    return int(m.group(1), 0) if m else default


def _bytes(lines: list[str], name: str, size: int) -> bytes:
    v = _field(lines, name)
    if v is None:
        return bytes(size)
    digits = re.sub(r"[^0-9a-fA-F]", "", v.split(" ")[0].removeprefix("0x"))
    try:
        b = bytes.fromhex(digits)
    except ValueError:
        return bytes(size)
    return (b + bytes(size))[:size]


def _addr(lines: list[str], name: str) -> bytes:
    v = _field(lines, name) or ""
    m = ADDR.search(v)
    if not m:
        return bytes(6)
    return bytes.fromhex(m.group(1).replace(":", ""))[::-1]


def _le64(lines: list[str], name: str) -> bytes:
    """btmon prints Rand / random numbers as a 64-bit number (0x…); the wire is LE."""
    v = _field(lines, name)
    if v is None:
        return bytes(8)
    m = re.match(r"0x([0-9a-fA-F]+)", v)
    return struct.pack("<Q", int(m.group(1), 16) & (2**64 - 1)) if m else bytes(8)


# ---------------------------------------------------------------- SMP
def _smp(code: int, d: list[str]) -> bytes:
    if code in (0x01, 0x02):
        return bytes(
            [
                code,
                _num(d, "IO capability"),
                _num(d, "OOB data"),
                _num(d, "Authentication requirement"),
                _num(d, "Max encryption key size", 16),
                _num(d, "Initiator key distribution"),
                _num(d, "Responder key distribution"),
            ]
        )
    if code == 0x03:
        return b"\x03" + (
            _bytes(d, "Confim value", 16)
            if _field(d, "Confim value")
            else _bytes(d, "Confirm value", 16)
        )
    if code == 0x04:
        return b"\x04" + _bytes(d, "Random value", 16)
    if code == 0x05:
        return bytes([5, _num(d, "Reason")])
    if code == 0x06:
        return b"\x06" + _bytes(d, "Long term key", 16)
    if code == 0x07:
        return b"\x07" + struct.pack("<H", _num(d, "EDIV")) + _le64(d, "Rand")
    if code == 0x08:
        return b"\x08" + _bytes(d, "Identity resolving key", 16)
    if code == 0x09:
        return b"\x09" + bytes([_num(d, "Address type")]) + _addr(d, "Address")
    if code == 0x0A:
        return b"\x0a" + _bytes(d, "Signature key", 16)
    if code == 0x0B:
        return bytes([0x0B, _num(d, "Authentication requirement")])
    if code == 0x0C:
        return b"\x0c" + _bytes(d, "X", 32) + _bytes(d, "Y", 32)
    if code == 0x0D:
        return b"\x0d" + _bytes(d, "E", 16)
    if code == 0x0E:
        return bytes([0x0E, _num(d, "Type")])
    return bytes([code])


def _acl(handle: int, cid: int, payload: bytes) -> bytes:
    l2 = struct.pack("<HH", len(payload), cid) + payload
    return struct.pack("<HH", handle | 0x2000, len(l2)) + l2


# ---------------------------------------------------------------- HCI
def _event(name: str, code: int, d: list[str]) -> bytes | None:
    handle = _num(d, "Handle")
    status = _num(d, "Status")
    if code == 0x08:
        params = struct.pack("<BHB", status, handle, _num(d, "Encryption"))
    elif code == 0x05:
        params = struct.pack("<BHB", status, handle, _num(d, "Reason"))
    elif code == 0x30:
        params = struct.pack("<BH", status, handle)
    elif code == 0x0F:
        op = _sub_opcode(d)
        if op is None:
            return None
        params = struct.pack("<BBH", status, 1, op)
    elif code == 0x0E:
        op = _sub_opcode(d)
        if op is None:
            return None
        params = struct.pack("<BHB", 1, op, status)
        if op == 0x1009:
            params += _addr(d, "Address")
        elif op in (0x201A, 0x201B):
            params += struct.pack("<H", handle)
    elif code == 0x3E:
        sub = _hexval(d[0]) if d else None
        if sub in (0x01, 0x0A, 0x29):
            body = struct.pack(
                "<BHBB", status, handle, _num(d, "Role"), _num(d, "Peer address type")
            ) + _addr(d, "Peer address")
            if sub != 0x01:
                body += bytes(12)
            body += struct.pack("<HHHB", 24, 0, 400, 0)
            params = bytes([sub]) + body
        elif sub == 0x05:
            params = bytes([5]) + struct.pack("<H", handle) + _le64(d, "Random number")
            params += struct.pack("<H", _num(d, "Encrypted diversifier"))
        else:
            return None
    else:
        return None
    return bytes([code, len(params)]) + params


def _sub_opcode(d: list[str]) -> int | None:
    """The command a Command Status/Complete answers: ``LE Start Encryption (0x08|0x0019)``."""
    for line in d:
        m = re.search(r"\(0x([0-9a-fA-F]{2})\|0x([0-9a-fA-F]{4})\)", line)
        if m:
            return int(m.group(1), 16) << 10 | int(m.group(2), 16)
    return None


def _command(opcode: int, d: list[str]) -> bytes | None:
    handle = _num(d, "Handle")
    if opcode == 0x2019:
        params = struct.pack("<H", handle) + _le64(d, "Random number")
        params += struct.pack("<H", _num(d, "Encrypted diversifier")) + _bytes(
            d, "Long term key", 16
        )
    elif opcode == 0x201A:
        params = struct.pack("<H", handle) + _bytes(d, "Long term key", 16)
    elif opcode == 0x201B:
        params = struct.pack("<H", handle)
    elif opcode == 0x0406:
        params = struct.pack("<HB", handle, _num(d, "Reason"))
    elif opcode == 0x200D:
        params = bytes(5) + bytes([_num(d, "Peer address type")]) + _addr(d, "Peer address")
        params += bytes(13)
    else:
        return None
    return struct.pack("<HB", opcode, len(params)) + params


# ---------------------------------------------------------------- reader
class BtmonTextReader:
    """Turns btmon text into Linux monitor ``Record``s (link type 2001)."""

    def __init__(self, f: TextIO, problems: list[Problem]) -> None:
        self.f = f
        self.problems = problems
        self.index = 0
        self.cookies: dict[str, int] = {}

    def blocks(self) -> Iterator[tuple[int, re.Match[str], list[str]]]:
        header: re.Match[str] | None = None
        lineno = 0
        detail: list[str] = []
        for lineno, raw in enumerate(self.f, start=1):
            line = raw.rstrip("\r\n")
            if not line.strip():
                continue
            m = HEADER.match(line) or (
                HEADER_NO_TIME.match(line) if not line[0].isspace() else None
            )
            if m:
                if header is not None:
                    yield lineno, header, detail
                header, detail = m, []
            elif header is not None and line[0].isspace():
                detail.append(line)
        if header is not None:
            yield lineno, header, detail

    def records(self) -> Iterator[Record]:
        last_frame = 0
        for lineno, h, d in self.blocks():
            rec = self._record(h, d)
            if rec is None:
                continue
            opcode, payload, direction = rec
            frame_s = h.groupdict().get("frame")
            frame = int(frame_s) if frame_s else last_frame + 1
            if frame <= last_frame:
                frame = last_frame + 1
            last_frame = frame
            self.index = frame
            t = float(h.groupdict().get("time") or 0.0)
            adapter = int((h.groupdict().get("index") or "hci0")[3:])
            yield Record(
                frame,
                t,
                LinkType.BTSNOOP_MONITOR,
                payload,
                lineno,
                direction,
                adapter << 16 | opcode,
            )

    def _record(self, h: re.Match[str], d: list[str]) -> tuple[int, bytes, Direction] | None:
        mark, what = h.group("mark"), h.group("what").strip()
        if mark in "<>" and what.startswith("ACL Data"):
            m = re.search(r"Handle (\d+)", what)
            if not m or not d:
                return None
            handle = int(m.group(1))
            first = d[0].strip()
            sm = re.match(r"SMP: .*\(0x([0-9a-fA-F]{2})\)", first)
            if sm:
                payload = _acl(handle, 6, _smp(int(sm.group(1), 16), d[1:]))
            else:
                am = re.match(r"ATT: Error Response \(0x01\)", first)
                if not am:
                    return None
                req = _sub_att_opcode(d[1:])
                payload = _acl(
                    handle,
                    4,
                    bytes([1, req])
                    + struct.pack("<H", _num(d[1:], "Handle"))
                    + bytes([_num(d[1:], "Error")]),
                )
            tx = what.startswith("ACL Data TX")
            return (ACL_TX if tx else ACL_RX), payload, Direction.SENT if tx else Direction.RECEIVED
        if mark == ">" and what.startswith("HCI Event:"):
            code = _hexval(re.sub(r"\s+plen \d+$", "", what))
            if code is None:
                return None
            ev = _event(what, code, d)
            return None if ev is None else (MONITOR_EVENT, ev, Direction.RECEIVED)
        if mark == "<" and what.startswith("HCI Command:"):
            m = re.search(r"\(0x([0-9a-fA-F]{2})\|0x([0-9a-fA-F]{4})\)", what)
            if not m:
                return None
            cmd = _command(int(m.group(1), 16) << 10 | int(m.group(2), 16), d)
            return None if cmd is None else (MONITOR_COMMAND, cmd, Direction.SENT)
        if mark == "@":
            return self._control(what, h.groupdict().get("cookie"), d)
        if mark == "=":
            if ":" not in what:
                return None
            ident, _, message = what.partition(":")
            ident = ident.strip()
            if ident in (
                "Note",
                "New Index",
                "Open Index",
                "Index Info",
                "Close Index",
                "Delete Index",
            ):
                return SYSTEM_NOTE, message.strip().encode() + b"\0", Direction.UNKNOWN
            ident_b = ident.encode() + b"\0"
            body = bytes([6, len(ident_b)]) + ident_b + message.strip().encode() + b"\0"
            return USER_LOGGING, body, Direction.UNKNOWN
        return None

    def _control(
        self, what: str, cookie_s: str | None, d: list[str]
    ) -> tuple[int, bytes, Direction] | None:
        cookie = int(cookie_s, 16) if cookie_s else 0
        m = re.match(r"(MGMT|RAW|USER) Open: (\S+)", what)
        if m:
            fmt = {"RAW": 0, "USER": 1, "MGMT": 2}[m.group(1)]
            name = m.group(2).encode()[:15]
            body = struct.pack("<IHBHIB", cookie, fmt, 1, 0, 1, 16) + name.ljust(16, b"\0")
            return CTRL_OPEN, body, Direction.UNKNOWN
        m = re.match(r"(MGMT|RAW|USER) Close: ", what)
        if m:
            return 15, struct.pack("<I", cookie), Direction.UNKNOWN
        m = re.match(r"MGMT Command: .*\(0x([0-9a-fA-F]{4})\)", what)
        if m:
            op = int(m.group(1), 16)
            params = _addr(d, "Address") + bytes([_addr_type(d)])
            if op == 0x0019:
                params += bytes([_num(d, "Capability")])
            return CTRL_COMMAND, struct.pack("<IH", cookie, op) + params, Direction.UNKNOWN
        m = re.match(r"MGMT Event: .*\(0x([0-9a-fA-F]{4})\)", what)
        if m:
            ev = int(m.group(1), 16)
            if ev in (0x0001, 0x0002):
                sub = None
                for line in d:
                    sm = re.search(r"\(0x([0-9a-fA-F]{4})\)", line)
                    if sm:
                        sub = int(sm.group(1), 16)
                        break
                params = struct.pack("<HB", sub or 0, _num(d, "Status"))
            else:
                params = _addr(d, "Address") + bytes([_addr_type(d), _num(d, "Status")])
            return CTRL_EVENT, struct.pack("<IH", cookie, ev) + params, Direction.UNKNOWN
        return None


def _addr_type(d: list[str]) -> int:
    v = _field(d, "Address") or ""
    if "LE Random" in v:
        return 2
    if "LE Public" in v:
        return 1
    return 0


def _sub_att_opcode(d: list[str]) -> int:
    for line in d:
        m = re.search(r"Request \(0x([0-9a-fA-F]{2})\)", line)
        if m:
            return int(m.group(1), 16)
    return 0
