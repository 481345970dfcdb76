"""btmon's printed output as a capture: what people paste into forum posts and bug reports.

btmon (BlueZ ``monitor/``: ``packet.c`` prints the headers and HCI, ``l2cap.c`` SMP and ATT,
``packet.c`` the management channel) prints one header line per record —

    < ACL Data TX: Handle 64 flags 0x00 dlen 11            #18 [hci0] 26.323661
    > HCI Event: Encryption Change (0x08) plen 4           #25 [hci0] 26.51
    @ MGMT Command: Pair Device (0x0019) plen 8     {0x0001} [hci0] 26.1
    = bluetoothd: No agent available for request type 2        26.7

— followed by indented decode lines (``Status: PIN or Key Missing (0x06)``).  This reader
rebuilds, from those lines, the bytes of the records that matter to pairing (SMP, the HCI
connection and encryption commands and events, BR/EDR pairing's events and the host's answers,
ATT Error Responses, management commands and events, log lines) as Linux monitor records
(``src/shared/btsnoop.h`` opcodes, management parameters as ``doc/mgmt-api.txt`` lays them
out), so the rest of bpdiag analyses them exactly as a btsnoop file.

Text as people paste it is read too: records are found anywhere (prose, ``[...]`` /
``<snip>`` elisions and excerpts that start inside a record are skipped), ``> `` / ``>> ``
quoting and space or tab indentation are removed, lines that a mail client or forum wrapped
(a field's tail, or the ``#N [hci0] 12.345`` trailer, on the next line) are joined, ANSI
colour and CRLF are dropped, a header that lost its ``<`` / ``>`` (``ACL Data TX: Handle …``
one column in) is read when its words say the direction, with a Problem, and older
spellings are accepted (``Confim value``, ``Master
Identification``, no frame numbers, no trailer at all).  Values an excerpt leaves out are zero;
a value out of its field's range makes the record a Problem, never an exception.  BR/EDR
pairing's messages are stricter (a field the text lacks skips the record with a Problem), but
key material btmon printed — a link key, a PIN, a passkey — that the paste hid or cut
(``Link key: <redacted>``) keeps its record, the value zeros and a Problem saying it is not
known; no Problem quotes it, and every output redacts what was read (hci.py declares it
secret).  Frame numbers come from btmon's ``#N`` when present (a record btmon does not
number — management, notes, log lines — shares the number of the HCI record before it).
"""

from __future__ import annotations

import calendar
import datetime
import math
import re
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TextIO

from bpdiag.capture._textlines import clean_lines, first_header, indent_of, is_elision, unquote
from bpdiag.capture.record import Direction, LinkType, Problem, ProblemKind, Record
from bpdiag.errors import Stage

LAYER = Stage.BTMON_TEXT

MONITOR_COMMAND, MONITOR_EVENT, ACL_TX, ACL_RX = 2, 3, 4, 5
USER_LOGGING, CTRL_OPEN, CTRL_CLOSE, CTRL_COMMAND, CTRL_EVENT, SYSTEM_NOTE = 13, 14, 15, 16, 17, 12

# What follows the direction mark of each kind of record header (monitor/packet.c).
_KINDS = {
    "<": re.compile(r"(?:HCI Command|ACL Data TX|SCO Data TX|ISO Data TX)\b"),
    ">": re.compile(r"(?:HCI Event|ACL Data RX|SCO Data RX|ISO Data RX)\b"),
    "@": re.compile(
        r"(?:MGMT|RAW|USER|CTRL|Control) (?:Command|Event|Open|Close)\b|\S+ (?:Open|Close):"
    ),
    "=": re.compile(
        r"(?:Note|New Index|Delete Index|Open Index|Close Index|Index Info|Vendor Diagnostic"
        r"|System Note)\b|[\w.@/-]{1,64}(?:\[\d{1,10}\])?:(?:\s|$)"
    ),
}
# monitor/packet.c print_packet(): "comm[pid]: " (or "[pid]: " when /proc has no comm) before
# the mark, when the record came with the sender's credentials (a live capture)
_PROCESS = re.compile(r"(?:([\w.+-]{1,16})\[|\[)\d{1,10}\]: (?=[<>@=] )")
_TIME = re.compile(r"\d+\.\d+|\d{1,2}:\d\d:\d\d\.\d{1,9}")  # offset, or -t / -T wall clock
_DATE = re.compile(r"\d{4}-\d\d-\d\d")
_FRAME = re.compile(r"#\d+")
_INDEX = re.compile(r"\[hci\d+\]")
_COOKIE = re.compile(r"\{0x[0-9a-fA-F]+\}")
# A line that is only a header's trailer (a mail client wrapped it onto the next line): the
# tokens above in their order, each optional but the time
_TAIL_ONLY = re.compile(
    "".join(rf"(?:{token.pattern}\s+)?" for token in (_COOKIE, _FRAME, _INDEX, _DATE))
    + rf"(?:{_TIME.pattern})"
)
_PAREN = re.compile(r"\(0x[0-9a-fA-F]+(?:\|0x[0-9a-fA-F]+)?\)")
PAREN_HEX = re.compile(r"\(0x([0-9a-fA-F]+)\)\s*$")
ADDR = re.compile(r"([0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5})")
_NUM = re.compile(r"(0x[0-9a-fA-F]+|\d+)")
_SUB_OP = re.compile(r"\(0x([0-9a-fA-F]{1,4})\|0x([0-9a-fA-F]{1,6})\)")
_MAX_DIGITS = 24
_HCI_OPCODES = frozenset({MONITOR_COMMAND, MONITOR_EVENT, ACL_TX, ACL_RX})  # what btmon numbers
_MAX_WAITING = 10000  # unnumbered records held before the first HCI record says how to number
# A decode line as btmon words one (``SMP: Pairing Failed (0x05) len 1``, ``Reason: Unspecified
# reason (0x08)``, ``Handle: 64``, ``Max encryption key size: 16``, ``Address: …``): read as
# the record's own when a paste lost all of its indentation (a forum that strips leading
# spaces), never after indented ones.
_FLAT = re.compile(
    r"[A-Z][\w ./:,|&'()+-]{0,80}?"
    r"(?:\(0x[0-9a-fA-F]+(?:\|0x[0-9a-fA-F]+)?\)(?: (?:len|ncmd|plen|dlen) \d+)?"
    r"|: (?:-?\d+(?:\.\d+)?(?: [a-z]+)?|0x[0-9a-fA-F]+|[0-9a-fA-F]{8,}"
    r"|[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5}(?: \(.*\))?))"
    r"|PIN code: .{0,64}"  # a PIN is printed as its characters (print_pin_code)
)
_MAX_DETAIL = 512  # decode lines kept per record (a Read Local Supported Commands has ~70)


class _Bad(ValueError):
    """A printed value that no record can carry (out of its field's range, malformed)."""


@dataclass(slots=True)
class Header:
    mark: str
    what: str
    time: str | None = None
    date: str | None = None
    frame: str | None = None
    index: str | None = None
    cookie: str | None = None
    process: str | None = None  # "bluetoothd" of a live btmon's "bluetoothd[612]: " prefix
    unmarked: bool = False  # the paste lost the direction mark; ``mark`` is from the words


# Records btmon always prints decode lines for: data, events, a command with parameters, a
# management command or event with parameters (monitor/packet.c decodes every one it knows
# and prints the others' bytes)
_DECODED = re.compile(
    r"(?:ACL|SCO|ISO) Data [TR]X:.* dlen [1-9]|HCI Event:|HCI Command:.* plen [1-9]"
    r"|MGMT (?:Command|Event):.* plen [1-9]"
)
_MGMT_PLEN = re.compile(r"\) plen ([1-9]\d*)")
# btmon names the peer of a handle it knows beside the handle (monitor/packet.c
# print_handle_native: "Handle: 3585 Address: D7:2A:DE:1E:73:A2 (Static)")
_HANDLE_PEER = re.compile(r"Handle: (\d{1,4}) Address: ([0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5})\b")
_HEADER_HANDLE = re.compile(r"Handle (\d{1,4})\b")
_DETAIL_HANDLE = re.compile(r"Handle: (\d{1,4})\b")
# A header whose ``<`` / ``>`` the paste lost (a copy that began one column late): taken only
# when the rest is all btmon's (monitor/packet.c), and its own words say the direction
_UNMARKED = re.compile(
    r"(?:(?P<tx>ACL Data TX|SCO Data TX|ISO Data TX|HCI Command)|ACL Data RX|SCO Data RX"
    r"|ISO Data RX|HCI Event): (?:Handle \d{1,5} flags 0x[0-9a-fA-F]{2} dlen \d{1,5}"
    r"|.{1,80} \(0x[0-9a-fA-F]{2}(?:\|0x[0-9a-fA-F]{4})?\) plen \d{1,3})"
    r"(?=$| {2}| #\d| \[hci| \{0x| \d+\.\d)"  # then btmon's padding, trailer or nothing
)


def parse_header(s: str) -> Header | None:
    """The record header in ``s`` (indentation allowed), or ``None``.

    The trailer — ``{0xCOOKIE}``, ``#FRAME``, ``[hciN]``, ``TIME``, each optional, in that
    order — is taken token by token from the right, so the cost is linear in the line."""
    t = s.lstrip(" ")
    process = None
    unmarked = False
    if t[:1] not in "<>@=":
        # a live btmon names the process that sent a record: "bluetoothd[612]: @ MGMT …"
        m = _PROCESS.match(t)
        if m is not None:
            process, t = m.group(1) or "", t[m.end() :]
        else:
            u = _UNMARKED.match(t)
            if u is None:
                return None
            t = ("< " if u.group("tx") else "> ") + t
            unmarked = True
    if len(t) < 3 or t[0] not in "<>@=" or t[1] != " ":
        return None
    if t[2] == " " and t[0] in "<>":
        # btmon prints one space after the mark: "> " and more is a quote mark before a
        # header that lost its own (the quote is no direction)
        return None
    body = t[2:].strip()
    h = Header(t[0], body, process=process, unmarked=unmarked)
    rest = body
    for attr, pat in (("time", _TIME), ("index", _INDEX), ("frame", _FRAME), ("cookie", _COOKIE)):
        head, _, tok = rest.rpartition(" ")
        if head and pat.fullmatch(tok):
            setattr(h, attr, tok)
            rest = head.rstrip()
            if attr == "time" and ":" in tok:
                head, _, tok = rest.rpartition(" ")
                if head and _DATE.fullmatch(tok):
                    h.date = tok
                    rest = head.rstrip()
    h.what = rest
    if process is not None and h.mark == "=":
        return h  # a log line of that process: btmon prints no ident before the message
    if not _KINDS[h.mark].match(h.what):
        return None
    return h


# ---------------------------------------------------------------- values
def _int(s: str, name: str) -> int:
    if len(s) > _MAX_DIGITS:
        raise _Bad(f"{name}: a number of {len(s)} digits")
    return int(s, 16) if s[:2].lower() == "0x" else int(s, 10)


def _check(v: int, bits: int, name: str) -> int:
    if v >= 1 << bits:
        raise _Bad(f"{name} {v} is out of range (at most {(1 << bits) - 1})")
    return v


def _hexval(line: str) -> int | None:
    m = PAREN_HEX.search(line)
    return _int("0x" + m.group(1), "value") if m else None


def _field(lines: list[str], *names: str) -> str | None:
    for name in names:
        pre = name.lower() + ":"
        for line in lines:
            if line.lower().startswith(pre):
                return line[len(pre) :].strip()
    return None


def _num(lines: list[str], name: str, bits: int = 8, default: int = 0, *alt: str) -> int:
    v = _field(lines, name, *alt)
    if v is None:
        return default
    h = PAREN_HEX.search(v)
    if h:
        return _check(_int("0x" + h.group(1), name), bits, name)
    m = _NUM.match(v)
    return _check(_int(m.group(1), name), bits, name) if m else default


def _bytes(lines: list[str], name: str, size: int, *alt: str) -> bytes:
    v = _field(lines, name, *alt)
    if v is None or not v:
        return bytes(size)
    word = v.split()[0].removeprefix("0x")
    if not re.fullmatch(r"[0-9a-fA-F]*", word) or len(word) % 2:
        raise _Bad(f"{name}: {word[:40]!r} is not hex bytes")
    b = bytes.fromhex(word)
    if len(b) != size:
        raise _Bad(f"{name}: {len(b)} bytes, expected {size}")
    return b


def _addr(lines: list[str], *names: str) -> bytes:
    v = _field(lines, *names) or ""
    m = ADDR.search(v)
    if not m:
        return bytes(6)
    return bytes.fromhex(m.group(1).replace(":", ""))[::-1]


def _le64(lines: list[str], name: str) -> bytes:
    """btmon prints Rand / random numbers as a 64-bit number (0x…); the wire is LE."""
    v = _field(lines, name)
    if v is None:
        return bytes(8)
    m = re.match(r"(?:0x)?([0-9a-fA-F]+)", v)
    if not m:
        return bytes(8)
    return struct.pack("<Q", _check(_int("0x" + m.group(1), name), 64, name))


def _handle(lines: list[str]) -> int:
    return _num(lines, "Handle", 12)


# ---------------------------------------------------------------- SMP
def features_pdu(
    code: int, value: Callable[[str, int], int], names: tuple[str, str, str, str, str, str]
) -> bytes:
    """A Pairing Request or Response (``code`` 0x01 / 0x02, Vol 3, Part H, 3.5.1–3.5.2) from
    its six fields as a tool prints them, ``names`` in wire order: IO Capability, OOB data
    flag, AuthReq, Maximum Encryption Key Size, Initiator and Responder Key Distribution.
    ``value(name, default)`` reads one; a text that leaves one out stands for 0, and for 16
    octets of key size."""
    defaults = (0, 0, 0, 16, 0, 0)
    return bytes([code, *(value(name, d) for name, d in zip(names, defaults, strict=True))])


# the Pairing Request / Response fields as monitor/l2cap.c prints them
_FEATURES = (
    "IO capability",
    "OOB data",
    "Authentication requirement",
    "Max encryption key size",
    "Initiator key distribution",
    "Responder key distribution",
)


def _smp(code: int, d: list[str]) -> bytes:
    """SMP PDUs (Vol 3, Part H, 3.5–3.6) from btmon's ``monitor/l2cap.c`` decode lines."""
    if code in (0x01, 0x02):
        return features_pdu(code, lambda name, default: _num(d, name, 8, default), _FEATURES)
    if code == 0x03:
        return b"\x03" + _bytes(d, "Confirm value", 16, "Confim value")
    if code == 0x04:
        return b"\x04" + _bytes(d, "Random value", 16)
    if code == 0x05:
        return bytes([5, _num(d, "Reason")])
    if code == 0x06:
        return b"\x06" + _bytes(d, "Long term key", 16)
    if code == 0x07:
        return b"\x07" + struct.pack("<H", _num(d, "EDIV", 16)) + _le64(d, "Rand")
    if code == 0x08:
        return b"\x08" + _bytes(d, "Identity resolving key", 16)
    if code == 0x09:
        return b"\x09" + bytes([_addr_type(d, 0)]) + _addr(d, "Address", "LE Address")
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
def _event(code: int, d: list[str], unknown: list[str] | None = None) -> bytes | None:
    """HCI events (Vol 4, Part E, 7.7) bpdiag reads, from btmon's decode lines (``unknown``:
    see ``_bredr_params``)."""
    if code == 0x08:
        params = struct.pack("<BHB", _num(d, "Status"), _handle(d), _num(d, "Encryption"))
    elif code == 0x05:
        params = struct.pack("<BHB", _num(d, "Status"), _handle(d), _num(d, "Reason"))
    elif code == 0x30:
        params = struct.pack("<BH", _num(d, "Status"), _handle(d))
    elif code == 0x0F:
        op = _sub_opcode(d)
        if op is None:
            return None
        params = struct.pack("<BBH", _num(d, "Status"), 1, op)
    elif code == 0x0E:
        op = _sub_opcode(d)
        if op is None:
            return None
        params = struct.pack("<BHB", 1, op, _num(d, "Status"))
        if op == 0x1009:
            params += _addr(d, "Address")
        elif op in (0x201A, 0x201B):
            params += struct.pack("<H", _handle(d))
    elif code == 0x3E:
        sub = _hexval(d[0]) if d else None
        if sub in (0x01, 0x0A, 0x29):
            body = struct.pack(
                "<BHBB",
                _num(d, "Status"),
                _handle(d),
                _num(d, "Role"),
                _num(d, "Peer address type"),
            ) + _addr(d, "Peer address")
            if sub != 0x01:
                body += _addr(d, "Local resolvable private address")
                body += _addr(d, "Peer resolvable private address")
            # as le_conn_complete_evt() prints them; an excerpt without them: the defaults
            body += struct.pack(
                "<HHHB",
                _num(d, "Connection interval", 16, 24),
                _num(d, "Connection latency", 16),
                _num(d, "Supervision timeout", 16, 400),
                _num(d, "Central clock accuracy", 8, 0, "Master clock accuracy"),
            )
            params = bytes([sub]) + body
        elif sub == 0x05:
            params = bytes([5]) + struct.pack("<H", _handle(d)) + _le64(d, "Random number")
            params += struct.pack("<H", _num(d, "Encrypted diversifier", 16))
        else:
            return None
    elif code in _BREDR_EVENTS:
        params = _bredr_params(_BREDR_EVENTS[code], d, unknown)
    else:
        return None
    return bytes([code, len(params)]) + params


# ---------------------------------------------------------------- BR/EDR pairing
# BR/EDR (classic) pairing's HCI events and commands (Vol 4, Part E, 7.7.3, 7.7.6, 7.7.22-24,
# 7.7.40-45, 7.7.48-49; 7.1.10-13, 7.1.15-16, 7.1.29-32, 7.1.36-37), each as its parameters
# in wire order: the line btmon prints for each (monitor/packet.c) and what it is.  Every one
# must be in the text: a block that lacks one (an excerpt cut mid-record) is skipped with a
# problem, as a zero would name a peer (00:00:00:00:00:00) or a capability (DisplayOnly) it
# did not.  Key
# material ("key", "pin", "passkey": what hci.py declares secret) is the exception: a value
# the text hides or garbles is not known, the record is kept (what it says without it is
# still so) and a problem says so — and no problem quotes it.
_ADDRESS = ("Address", "addr")
_IO = (
    ("IO capability", "io"),
    ("OOB data", "u8"),
    ("Authentication", "u8"),
)
_BREDR_EVENTS: dict[int, tuple[tuple[str, str], ...]] = {
    0x03: (  # Connection Complete
        ("Status", "u8"),
        ("Handle", "handle"),
        _ADDRESS,
        ("Link type", "u8"),
        ("Encryption", "u8"),
    ),
    0x06: (("Status", "u8"), ("Handle", "handle")),  # Authentication Complete
    0x16: (_ADDRESS,),  # PIN Code Request
    0x17: (_ADDRESS,),  # Link Key Request
    # Link Key Notification: the key btmon printed (a secret the report redacts)
    0x18: (_ADDRESS, ("Link key", "key"), ("Key type", "u8")),
    0x31: (_ADDRESS,),  # IO Capability Request
    0x32: (_ADDRESS, *_IO),  # IO Capability Response
    0x33: (_ADDRESS, ("Passkey", "passkey")),  # User Confirmation Request (its Numeric_Value)
    0x34: (_ADDRESS,),  # User Passkey Request
    0x36: (("Status", "u8"), _ADDRESS),  # Simple Pairing Complete
    0x3B: (_ADDRESS, ("Passkey", "passkey")),  # User Passkey Notification: the passkey shown
    0x3C: (_ADDRESS, ("Notification type", "u8")),  # Keypress Notification
}
_BREDR_COMMANDS: dict[int, tuple[tuple[str, str], ...]] = {
    0x040B: (_ADDRESS, ("Link key", "key")),  # Link Key Request Reply: a stored key given back
    0x040C: (_ADDRESS,),  # Link Key Request Negative Reply
    # PIN Code Request Reply: PIN_Code_Length, then the PIN btmon prints as its characters
    0x040D: (_ADDRESS, ("PIN length", "u8"), ("PIN code", "pin")),
    0x040E: (_ADDRESS,),  # PIN Code Request Negative Reply
    0x0411: (("Handle", "handle"),),  # Authentication Requested
    0x0413: (("Handle", "handle"), ("Encryption", "u8")),  # Set Connection Encryption
    0x042B: (_ADDRESS, *_IO),  # IO Capability Request Reply
    0x042C: (_ADDRESS,),  # User Confirmation Request Reply
    0x042D: (_ADDRESS,),  # User Confirmation Request Negative Reply
    0x042E: (_ADDRESS, ("Passkey", "passkey")),  # User Passkey Request Reply (Numeric_Value)
    0x0434: (_ADDRESS, ("Reason", "u8")),  # IO Capability Request Negative Reply
    0x0C60: (_ADDRESS, ("Type", "u8")),  # Send Keypress Notification
}
# monitor/packet.c print_io_capability(): the names, for a text that lost the "(0x01)"
_IO_NAMES = {"displayonly": 0, "displayyesno": 1, "keyboardonly": 2, "noinputnooutput": 3}


_KEY_HEX = re.compile(r"[0-9a-fA-F]{32}")
# monitor/packet.c print_passkey(): "%06d" of the u32, so one above 2^31 - 1 prints negative
_PASSKEY = re.compile(r"-?\d{1,10}")
_PIN_SIZE = 16  # PIN_Code (7.1.12): 16 octets, the first PIN_Code_Length of them the PIN


def _secret(kind: str, v: str, out: bytearray) -> bytes | None:
    """Key material as btmon prints it (``kind`` "key", "passkey" or "pin"), in wire order,
    or ``None`` when the text does not hold it as btmon prints it (hidden, cut or garbled
    before it was pasted).  A PIN is its characters as btmon prints them (``%c`` each, so a
    NUL ends it early), UTF-8 as the text is read, as many as the PIN_Code_Length before it
    (the last octet of ``out``) says, the rest of the 16 octets zeros (the spec leaves them
    unused)."""
    if kind == "key":
        word = v.partition(" ")[0]
        return bytes.fromhex(word) if _KEY_HEX.fullmatch(word) else None
    if kind == "passkey":
        n = int(v) if _PASSKEY.fullmatch(v) else None
        if n is None or not -(1 << 31) <= n < 1 << 32:
            return None
        return struct.pack("<I", n & 0xFFFFFFFF)
    try:
        pin = v.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: no octets a PIN had
        return None
    if len(pin) != out[-1] or len(pin) > _PIN_SIZE or "\ufffd" in v or set(v) == {"*"}:
        return None  # (U+FFFD: octets the text's encoding could not hold; "*": masked)
    return pin.ljust(_PIN_SIZE, b"\0")


_SECRET_SIZES = {"key": 16, "passkey": 4, "pin": _PIN_SIZE}


def _bredr_params(
    spec: tuple[tuple[str, str], ...], d: list[str], unknown: list[str] | None = None
) -> bytes:
    """The parameters of a BR/EDR pairing event or command from btmon's lines, each field
    of ``spec`` in turn; one the text lacks, or cannot be one (a value past its field's
    width, an IO capability named and not numbered that btmon has no name for), is ``_Bad``.
    Key material the text has a line for but not as btmon prints it is zeros, its name
    added to ``unknown`` (no message quotes it)."""
    out = bytearray()
    for name, kind in spec:
        v = _field(d, name)
        if v is None:
            raise _Bad(f"the text has no {name} (the record's lines stop before it)")
        if kind in _SECRET_SIZES:
            value = _secret(kind, v, out)
            if value is None:
                if unknown is not None:
                    unknown.append(name)
                value = bytes(_SECRET_SIZES[kind])
            out += value
            continue
        if not v:
            raise _Bad(f"{name}: the text has no value")
        if kind == "addr":
            m = ADDR.match(v)
            if m is None:
                raise _Bad(f"{name}: {v[:40]!r} is not a BD_ADDR")
            out += bytes.fromhex(m.group(1).replace(":", ""))[::-1]
        elif kind == "handle":
            out += struct.pack("<H", _num(d, name, 12))
        elif kind == "io" and PAREN_HEX.search(v) is None and _NUM.fullmatch(v) is None:
            io = _IO_NAMES.get(v.lower())
            if io is None:
                raise _Bad(f"{name}: {v[:40]!r} is no IO capability btmon names")
            out.append(io)
        else:
            if PAREN_HEX.search(v) is None and _NUM.match(v) is None:
                raise _Bad(f"{name}: {v[:40]!r} has no value")
            out.append(_num(d, name))
    return bytes(out)


def _timing_block(d: list[str]) -> bytes:
    """Connection_Interval_Min/Max, Max_Latency, Supervision_Timeout, Min/Max_CE_Length as
    btmon prints them for LE (Extended) Create Connection."""
    names = (
        "Min connection interval",
        "Max connection interval",
        "Connection latency",
        "Supervision timeout",
        "Min connection length",
        "Max connection length",
    )
    return struct.pack("<6H", *(_num(d, name, 16) for name in names))


def _sub_opcode(d: list[str]) -> int | None:
    """The command a Command Status/Complete answers: ``LE Start Encryption (0x08|0x0019)``."""
    for line in d[:3]:
        m = _SUB_OP.search(line)
        if m:
            ogf, ocf = _int("0x" + m.group(1), "OGF"), _int("0x" + m.group(2), "OCF")
            return _check(ogf, 6, "OGF") << 10 | _check(ocf, 10, "OCF")
    return None


def _command(opcode: int, d: list[str], unknown: list[str] | None = None) -> bytes | None:
    """HCI commands (Vol 4, Part E, 7.1 and 7.8) bpdiag reads, from btmon's decode lines
    (``unknown``: see ``_bredr_params``)."""
    if opcode == 0x2019:
        params = struct.pack("<H", _handle(d)) + _le64(d, "Random number")
        params += struct.pack("<H", _num(d, "Encrypted diversifier", 16))
        params += _bytes(d, "Long term key", 16)
    elif opcode == 0x201A:
        params = struct.pack("<H", _handle(d)) + _bytes(d, "Long term key", 16)
    elif opcode == 0x201B:
        params = struct.pack("<H", _handle(d))
    elif opcode == 0x0406:
        params = struct.pack("<HB", _handle(d), _num(d, "Reason"))
    elif opcode == 0x200D:
        # 7.8.12, as monitor/packet.c le_create_conn_cmd() prints it
        params = struct.pack("<HH", _num(d, "Scan interval", 16), _num(d, "Scan window", 16))
        params += bytes([_num(d, "Filter policy"), _num(d, "Peer address type")])
        params += _addr(d, "Peer address") + bytes([_num(d, "Own address type")])
        params += _timing_block(d)
    elif opcode == 0x2043:
        # 7.8.66, le_ext_create_conn_cmd(): an "Entry N: LE 1M" block per initiating PHY
        params = bytes(
            [_num(d, "Filter policy"), _num(d, "Own address type"), _num(d, "Peer address type")]
        )
        params += _addr(d, "Peer address") + bytes([_num(d, "Initiating PHYs")])
        starts = [i for i, line in enumerate(d) if re.match(r"Entry \d+: ", line)]
        for i, start in enumerate(starts):
            entry = d[start + 1 : starts[i + 1] if i + 1 < len(starts) else len(d)]
            params += struct.pack(
                "<HH", _num(entry, "Scan interval", 16), _num(entry, "Scan window", 16)
            )
            params += _timing_block(entry)
    elif opcode in _BREDR_COMMANDS:
        params = _bredr_params(_BREDR_COMMANDS[opcode], d, unknown)
    else:
        return None
    return struct.pack("<HB", opcode, len(params)) + params


# ---------------------------------------------------------------- management
_ADDR_NAMES = ("LE Address", "BR/EDR Address", "Address")


def _addr_type(d: list[str], bredr: int = 0) -> int:
    """Address_Type of mgmt (0 BR/EDR, 1 LE public, 2 LE random) from btmon's spelling:
    ``LE Address: … (Static)`` / ``(Resolvable)`` / ``(Non-Resolvable)`` is random, other
    ``LE Address`` lines public; older btmon printed ``Address: … (LE Random)``."""
    for line in d:
        low = line.lower()
        if low.startswith("le address:") or low.startswith("address:"):
            if "random" in low or "static" in low or "resolvable" in low:
                return 2
            if low.startswith("le address:") or "le public" in low or "public" in low:
                return 1
            return bredr
        if low.startswith("br/edr address:"):
            return 0
    return bredr


def _mgmt_addr(d: list[str]) -> bytes:
    return _addr(d, *_ADDR_NAMES) + bytes([_addr_type(d)])


def _u32(d: list[str], name: str) -> bytes:
    return struct.pack("<I", _num(d, name, 32))


# Management commands and events (doc/mgmt-api.txt) the monitor decoder lays out: how to
# rebuild their parameters from btmon's lines.  Address+type come first in most.
def _mgmt_command(op: int, d: list[str]) -> bytes:
    if op in (0x0005, 0x0007, 0x0008, 0x0009, 0x000A, 0x000B, 0x000C, 0x000D, 0x0029, 0x002A):
        return bytes([_check(_hexval(d[0]) or 0, 8, "mode") if d else 0])
    if op in (0x002D, 0x002E):
        return bytes([_check(_hexval(d[0]) or 0, 8, "mode") if d else 0])
    if op == 0x0018:
        return bytes([_num(d, "Capability")])
    if op == 0x0019:
        return _mgmt_addr(d) + bytes([_num(d, "Capability")])
    if op == 0x001B:
        return _mgmt_addr(d) + bytes([_num(d, "Disconnect")])
    if op == 0x001E:
        return _mgmt_addr(d) + _u32(d, "Passkey")
    if op == 0x0033:
        return _mgmt_addr(d) + bytes([_num(d, "Action")])
    if op in (0x0014, 0x0016, 0x0017, 0x001A, 0x001C, 0x001D, 0x001F, 0x0021, 0x0022):
        return _mgmt_addr(d)
    if op in (0x0026, 0x0027, 0x0031, 0x0032, 0x0034):
        return _mgmt_addr(d)
    return b""


def _mgmt_event(ev: int, d: list[str]) -> bytes:
    if ev in (0x0001, 0x0002):
        sub = 0
        if d:
            m = re.search(r"\(0x([0-9a-fA-F]{1,6})\)", d[0])
            if m:
                sub = _check(_int("0x" + m.group(1), "opcode"), 16, "opcode")
        params = struct.pack("<HB", sub, _num(d, "Status"))
        if ev == 0x0001 and _field(d, *_ADDR_NAMES) is not None:
            params += _mgmt_addr(d)
        return params
    if ev == 0x000A:
        return (
            bytes([_num(d, "Store hint")])
            + _mgmt_addr(d)
            + bytes([_num(d, "Key type"), _num(d, "Central", 8, 0, "Master")])
            + bytes([_num(d, "Encryption size")])
            + bytes(26)  # EDIV, Rand and the key itself: withheld
        )
    if ev == 0x000B:
        return _mgmt_addr(d) + _u32(d, "Flags") + struct.pack("<H", 0)
    if ev == 0x000C:
        return _mgmt_addr(d) + bytes([_num(d, "Reason")])
    if ev in (0x000D, 0x0011):
        return _mgmt_addr(d) + bytes([_num(d, "Status")])
    if ev == 0x000E:
        return _mgmt_addr(d) + bytes([_num(d, "Secure PIN")])
    if ev == 0x000F:
        return _mgmt_addr(d) + bytes([_num(d, "Confirm hint")]) + _u32(d, "Value")
    if ev == 0x0017:
        return _mgmt_addr(d) + _u32(d, "Passkey") + bytes([_num(d, "Entered")])
    if ev == 0x0018:
        return bytes([_num(d, "Store hint")]) + bytes(6) + _mgmt_addr(d) + bytes(16)
    if ev in (0x0010, 0x0014, 0x0015, 0x0016, 0x001B):
        return _mgmt_addr(d)
    if ev == 0x0006:
        return _u32(d, "Current settings")
    return b""


# ---------------------------------------------------------------- reader
@dataclass(slots=True)
class _Block:
    lineno: int
    offset: int
    header: Header
    depth: int
    indent: int
    detail: list[str] = field(default_factory=list)
    elided_at: int = 0  # the line of an elision ("[...]") between this record and the last
    flat: bool = False  # its decode lines lost their indentation (``_FLAT``)
    cut: bool = False  # the text ends after its header (a problem says so: ``_cut_last``)


class BtmonTextReader:
    """Turns btmon text into Linux monitor ``Record``s (link type 2001)."""

    def __init__(self, f: TextIO, problems: list[Problem]) -> None:
        self.f = f
        self.problems = problems
        self.index = 0
        self.headers = 0  # record headers seen (of any kind)
        self.orphans = 0  # decode lines met before any header
        self._note: str | None = None  # what the record being read lacks (a problem)

    def blocks(self) -> Iterator[_Block]:
        """Each record header with its decode lines, the paste's damage undone."""
        block: _Block | None = None
        pending: str | None = None  # last line of the block, perhaps to be continued
        pending_len = 0  # its length as printed (wrapping happens on long lines)
        orphan_at: int | None = None
        elided_at = 0  # an elision line since the last header

        def flush() -> None:
            nonlocal pending
            if block is not None and pending is not None and len(block.detail) < _MAX_DETAIL:
                block.detail.append(pending)
            pending = None

        for lineno, offset, line in clean_lines(self.f, self.problems, LAYER):
            if not line.strip():
                flush()
                continue
            found: tuple[int, str, Header] | None = None
            head = line[:40]
            if (
                "<" in head
                or ">" in head
                or "@" in head
                or "=" in head
                or "HCI " in head  # a header that lost its mark (_UNMARKED)
                or "Data " in head
            ):
                found = first_header(line, parse_header)
            if found is not None:
                flush()
                if block is not None:
                    yield block
                depth, rest, h = found
                self.headers += 1
                block = _Block(lineno, offset, h, depth, indent_of(rest))
                if elided_at and self.headers > 1:
                    block.elided_at = elided_at
                elided_at = 0
                pending_len = len(rest.strip())
                continue
            rest = unquote(line, block.depth if block else 8)
            text = rest.strip()
            if not text:
                flush()
                continue
            if is_elision(text):
                flush()
                if block is not None:
                    yield block
                block = None
                elided_at = lineno
                continue
            indent = indent_of(rest)
            if block is None:
                if self.headers == 0 and indent > 0 and re.match(r"[A-Z][\w /()-]{0,40}: ", text):
                    self.orphans += 1
                    if orphan_at is None:
                        orphan_at = lineno
                continue
            if (
                indent <= block.indent
                and pending is None
                and not block.detail
                and block.header.time is None
            ):
                # a header wrapped before its end: "… flags 0x00" / "dlen 11  #33 0.71"
                joined = parse_header(_header_text(block.header) + " " + text)
                if joined is not None and joined.time is not None:
                    block.header = joined
                    continue
            # a record whose decode lines lost their indentation: each such line its own
            flat = (
                indent <= block.indent
                and (block.flat or (not block.detail and pending is None))
                and _FLAT.fullmatch(text) is not None
            )
            if (
                not flat
                and indent <= block.indent
                and pending is not None
                and self._continues(text, pending_len, block, pending)
            ):
                pending = pending + " " + text
                pending_len = 0
                continue
            if indent > block.indent or flat:
                block.flat = block.flat or flat
                flush()
                pending = text
                pending_len = len(rest)
                continue
            # prose: the record has ended
            flush()
            yield block
            block = None
        flush()
        if block is not None:
            if not block.detail and _DECODED.match(block.header.what):
                self._cut_last(block)
            yield block
        if orphan_at is not None:
            self.problems.append(
                Problem(
                    None,
                    None,
                    f"the text starts inside a record: {self.orphans} decode line(s) from line "
                    f"{orphan_at} on belong to a record whose header is not in the text "
                    "and were skipped",
                    LAYER,
                )
            )

    def _cut_last(self, block: _Block) -> None:
        """The text ends right after a header that btmon always follows with decode lines
        (an excerpt cut mid-record, the trailer often cut too): the record is not read, and
        this says so rather than dropping it unseen."""
        block.cut = True
        h = block.header
        what = " ".join(h.what.split())[:60]
        self.problems.append(
            Problem(
                None,
                block.offset,
                f"line {block.lineno}: the text ends inside a record ({h.mark} {what}): "
                "its decode lines are not in the text, so what it was is not known",
                LAYER,
                ProblemKind.TRUNCATED,
            )
        )

    @staticmethod
    def _continues(text: str, prev_len: int, block: _Block, pending: str | None) -> bool:
        """Is ``text`` the tail of the line before it, wrapped by a mail client or forum?

        A trailer alone (``#25 [hci0] 26.51``) continues a header that has none; a short tail
        without a ``Name: `` of its own that ends in btmon's ``(0x..)`` continues a long line."""
        if block.header.time is None and not block.detail and _TAIL_ONLY.fullmatch(text):
            return True
        if pending is not None and pending.endswith(":") and re.fullmatch(r"[0-9a-fA-F]+", text):
            return True  # "X:" and, wrapped onto the next line, its 64 hex digits
        if prev_len < 40 or (len(text) > 60 and not re.fullmatch(r"[0-9a-fA-F]+", text)):
            return False
        if re.match(r"[A-Za-z][\w /-]{0,40}: ", text):
            return False
        return bool(_PAREN.search(text)) or _TAIL_ONLY.fullmatch(text) is not None

    def records(self) -> Iterator[Record]:
        """The records, numbered as btmon numbers them: an HCI record by its ``#N`` (or
        one after the last when btmon printed none); a record btmon does not number
        (management, notes, log lines) by the HCI record before it, once the text has
        shown that it numbers them, else one after the last.  Those that come before the
        first HCI record wait until it says which (a few notes and MGMT Open, in a log that
        has HCI records at all)."""
        numbered: bool | None = None  # does the text carry btmon's #N?
        waiting: list[Record] = []  # unnumbered records before the first HCI record
        for rec, hci_n in self._numbered_records():
            if numbered is None:
                if rec.flags & 0xFFFF not in _HCI_OPCODES and len(waiting) < _MAX_WAITING:
                    waiting.append(rec)
                    continue
                numbered = hci_n is not None
                for w in waiting if numbered else ():
                    w.index = 1  # before #1 (or whatever the first number is)
                yield from waiting
                waiting.clear()
            yield rec
        yield from waiting

    def _numbered_records(self) -> Iterator[tuple[Record, int | None]]:
        last_frame = 0
        last_hci = 0  # the last number an HCI record got
        numbered: bool | None = None
        before_first = 0  # records before the first HCI record
        last_time = 0.0
        produced = skipped = 0
        seen_n = 0  # the last #N of any header (read or not)
        gap: str | None = None  # records left out before the next record produced
        # (adapter, handle) → the peer btmon named for it last, and the line it did so;
        # a handle whose peer changed with no disconnection read between: the sentence
        # the first record on it that bpdiag reads carries (a problem, kind new_link)
        peers: dict[tuple[str | None, int], tuple[str, int]] = {}
        changed: dict[tuple[str | None, int], str] = {}
        for block in self.blocks():
            h = block.header
            self._peers(block, peers, changed)
            # btmon's #N (one of more than 19 digits is out of range: a problem below)
            n = int(h.frame[1:]) if h.frame is not None and len(h.frame) <= 19 else None
            if block.elided_at:
                gap = f"line {block.elided_at}: the text leaves records out here (an elision)"
            elif n is not None and seen_n and n > seen_n + 1:
                gap = (
                    f"line {block.lineno}: btmon's numbering jumps from #{seen_n} to #{n}: "
                    f"{n - seen_n - 1} record(s) it printed are not in the text"
                )
            if n is not None:
                seen_n = n
            self._note = None
            try:
                rec = self._record(h, block.detail)
            except _Bad as exc:  # a value no record can carry
                skipped += 1
                if block.cut:
                    continue  # its lines are not in the text: _cut_last said so
                self.problems.append(
                    Problem(
                        last_frame + 1,
                        block.offset,
                        f"line {block.lineno} ({h.mark} {h.what[:60]}): {exc}; record skipped",
                        LAYER,
                    )
                )
                continue
            if rec is None:
                continue
            opcode, payload, direction = rec
            # btmon numbers HCI records only (#N); a management record or note takes the
            # number of the HCI record before it (records() settles those before the
            # first), so that every #N bpdiag reports is the one in the text
            hci_n = n  # (parsed above, for the gaps)
            if h.frame is not None and n is None:
                self._problem(
                    last_frame + 1, block, f"frame number {h.frame[:24]}… is out of range"
                )
            if opcode in _HCI_OPCODES:
                if numbered is None:
                    numbered = hci_n is not None
                # the numbers before are final unless records() sets them to 1
                final = numbered is False or before_first > _MAX_WAITING
                if hci_n is not None:
                    frame = max(hci_n, last_hci + 1, last_frame + 1 if final else 1)
                else:
                    frame = max(last_frame, last_hci) + 1
                last_hci = frame
            elif numbered:
                frame = max(last_hci, 1)
            else:  # before the first HCI record records() renumbers it if need be
                frame = last_frame + 1
                before_first += numbered is None
            last_frame = frame
            self.index = frame
            if self._note is not None:
                self._problem(frame, block, self._note)
                self._note = None
            if gap is not None:
                self.problems.append(
                    Problem(
                        frame,
                        block.offset,
                        f"{gap}; what they held is not known",
                        LAYER,
                        ProblemKind.MISSING,
                    )
                )
                gap = None
            handle = _block_handle(block) if changed else None
            if handle is not None:
                moved = changed.pop((h.index, handle), None)
                if moved is not None:
                    self.problems.append(
                        Problem(frame, block.offset, moved, LAYER, ProblemKind.NEW_LINK)
                    )
            if hci_n is not None and frame != hci_n and opcode in _HCI_OPCODES:
                self._problem(
                    frame,
                    block,
                    f"#{hci_n} comes after #{frame - 1} (the text's excerpts are not in "
                    f"btmon's order); bpdiag numbers it #{frame}",
                )
            t = last_time
            if h.time is not None:
                value = _seconds(h)
                if value is not None and ":" in h.time and h.date is None:
                    while value + 43200 < last_time:  # time of day past midnight
                        value += 86400
                if value is not None and math.isfinite(value):
                    t = last_time = value
                else:
                    self._problem(frame, block, f"time {h.time[:24]} is out of range")
            adapter = 0
            if h.index is not None:
                digits = h.index[4:-1]
                if len(digits) <= 5 and int(digits) <= 0xFFFF:
                    adapter = int(digits)
                else:
                    self._problem(frame, block, f"controller index {h.index[:24]} is out of range")
            if h.unmarked:
                words = re.match(r"\w+ \w+(?: \w\w)?", h.what)
                self._problem(
                    frame,
                    block,
                    f"the header has no direction mark ('<' or '>'); read as "
                    f"{'sent' if h.mark == '<' else 'received'} ('{h.mark}'), as its words "
                    f"'{words.group(0) if words else h.what[:20]}' say",
                )
            produced += 1
            yield (
                Record(
                    frame,
                    t,
                    LinkType.BTSNOOP_MONITOR,
                    payload,
                    block.offset,
                    direction,
                    adapter << 16 | opcode,
                ),
                hci_n,
            )
        if produced == skipped == 0:
            self.problems.append(
                Problem(
                    None,
                    None,
                    f"the text looks like btmon output ({self.headers} record header(s)) but "
                    "none of them is an SMP, HCI connection/encryption, BR/EDR pairing, ATT "
                    "error, management or log record that bpdiag reads; nothing about pairing "
                    "can be said",
                    LAYER,
                )
            )

    @staticmethod
    def _peers(
        block: _Block,
        peers: dict[tuple[str | None, int], tuple[str, int]],
        changed: dict[tuple[str | None, int], str],
    ) -> None:
        """Follow the peer btmon names for each handle: another address on a handle whose
        link the text did not close is another link (the handle was freed and given again in
        what the text leaves out)."""
        what = block.header.what
        for i, line in enumerate(block.detail):
            if " Address: " not in line:  # (most lines: no regex for them)
                continue
            m = _HANDLE_PEER.search(line)
            if m is None:
                continue
            key = (block.header.index, int(m.group(1)))
            addr = m.group(2).upper()
            lineno = block.lineno + 1 + i
            before = peers.get(key)
            if before is not None and before[0] != addr:
                changed[key] = (
                    f"line {lineno}: btmon names {addr} as the peer of handle {key[1]}, "
                    f"{before[0]} at line {before[1]}, with no disconnection between in the "
                    "text: this is another link on the same handle; the text leaves out the "
                    "first one's end and this one's start, and what they held is not known"
                )
            peers[key] = (addr, lineno)
        if what.startswith(
            ("HCI Event: Disconnect Complete", "HCI Event: Connect Complete")
        ) or any(
            "Connection Complete" in line for line in block.detail[:1]
        ):  # the link on the handle ends, or a new one begins: its peer is named anew
            handle = _block_handle(block)
            if handle is not None:
                peers.pop((block.header.index, handle), None)

    def _problem(self, frame: int, block: _Block, msg: str) -> None:
        self.problems.append(Problem(frame, block.offset, f"line {block.lineno}: {msg}", LAYER))

    def _record(self, h: Header, d: list[str]) -> tuple[int, bytes, Direction] | None:
        mark, what = h.mark, h.what
        if mark in "<>" and what.startswith("ACL Data"):
            m = re.search(r"Handle (\d+)", what)
            if not m or not d:
                return None
            handle = _check(_int(m.group(1), "Handle"), 12, "Handle")
            first = d[0]
            sm = re.match(r"SMP: .*\(0x([0-9a-fA-F]{2})\)", first)
            if sm:
                payload = _acl(handle, 6, _smp(int(sm.group(1), 16), d[1:]))
            else:
                if not re.match(r"ATT: Error Response \(0x01\)", first):
                    return None
                req = _sub_att_opcode(d[1:])
                payload = _acl(
                    handle,
                    4,
                    bytes([1, req])
                    + struct.pack("<H", _num(d[1:], "Handle", 16))
                    + bytes([_num(d[1:], "Error")]),
                )
            tx = what.startswith("ACL Data TX")
            return (ACL_TX if tx else ACL_RX), payload, Direction.SENT if tx else Direction.RECEIVED
        if mark == ">" and what.startswith("HCI Event:"):
            code = _hexval(re.sub(r"\s+plen \d+$", "", what))
            if code is None or code > 0xFF:
                return None
            unknown: list[str] = []
            ev = _event(code, d, unknown)
            self._unprinted(unknown)
            return None if ev is None else (MONITOR_EVENT, ev, Direction.RECEIVED)
        if mark == "<" and what.startswith("HCI Command:"):
            op = _sub_opcode([what])
            if op is None:
                return None
            unknown = []
            cmd = _command(op, d, unknown)
            self._unprinted(unknown)
            return None if cmd is None else (MONITOR_COMMAND, cmd, Direction.SENT)
        if mark == "@":
            return self._control(what, h.cookie, d)
        if mark == "=":
            if h.process is not None:
                ident, message = h.process or "?", what
            elif ":" not in what:
                return None
            else:
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
            ident = re.sub(r"\[\d+\]$", "", ident)
            ident_b = ident.encode()[:255] + b"\0"
            body = bytes([6, len(ident_b)]) + ident_b + message.strip().encode() + b"\0"
            return USER_LOGGING, body, Direction.UNKNOWN
        return None

    def _unprinted(self, unknown: list[str]) -> None:
        """A BR/EDR pairing message whose key material a paste hid (``Link key:
        <redacted>``, ``Passkey: XXXXXX``, ``PIN code: ****``) is kept for what it says (a
        pairing made a key of this type, the host gave a stored key, a passkey or a PIN)
        with zeros in its place, and a problem says the value is not known.  (btmon prints
        them: the record carries them, and every output redacts them.)"""
        if unknown:
            names = " and ".join(name.lower() for name in unknown)
            self._note = f"the {names} is not in the text as btmon prints it (hidden or cut "
            self._note += "before it was pasted?); it is not known (the rest of the record is read)"

    def _control(
        self, what: str, cookie_s: str | None, d: list[str]
    ) -> tuple[int, bytes, Direction] | None:
        cookie = _check(_int(cookie_s[1:-1], "cookie"), 32, "cookie") if cookie_s else 0
        if not d and what.startswith("MGMT ") and _MGMT_PLEN.search(what):
            # parameters btmon printed but the text does not hold (an excerpt cut after the
            # header): what they were is not known, so no record is made of zeros
            return None
        m = re.match(r"(MGMT|RAW|USER) Open: (\S+)", what)
        if m:
            fmt = {"RAW": 0, "USER": 1, "MGMT": 2}[m.group(1)]
            name = m.group(2).encode()[:15]
            body = struct.pack("<IHBHIB", cookie, fmt, 1, 0, 1, 16) + name.ljust(16, b"\0")
            return CTRL_OPEN, body, Direction.UNKNOWN
        if re.match(r"(MGMT|RAW|USER) Close: ", what):
            return CTRL_CLOSE, struct.pack("<I", cookie), Direction.UNKNOWN
        m = re.match(r"MGMT Command: .*\(0x([0-9a-fA-F]{1,6})\)", what)
        if m:
            op = _check(_int("0x" + m.group(1), "opcode"), 16, "MGMT opcode")
            body = struct.pack("<IH", cookie, op) + _mgmt_command(op, d)
            return CTRL_COMMAND, body, Direction.UNKNOWN
        m = re.match(r"MGMT Event: .*\(0x([0-9a-fA-F]{1,6})\)", what)
        if m:
            ev = _check(_int("0x" + m.group(1), "event"), 16, "MGMT event")
            body = struct.pack("<IH", cookie, ev) + _mgmt_event(ev, d)
            return CTRL_EVENT, body, Direction.UNKNOWN
        return None


def _block_handle(block: _Block) -> int | None:
    """The connection handle a record is on: its header's (ACL data) or its first
    ``Handle:`` line's (an event or command about one link), else ``None``."""
    m = _HEADER_HANDLE.search(block.header.what)
    if m is not None:
        return int(m.group(1))
    for line in block.detail:
        d = _DETAIL_HANDLE.search(line)
        if d is not None:
            return int(d.group(1))
    return None


def _header_text(h: Header) -> str:
    """The header line again, from its parts (to parse it with a wrapped tail added)."""
    parts = [h.mark, h.what, h.cookie, h.frame, h.index, h.date, h.time]
    process = f"{h.process}[0]: " if h.process is not None else ""
    return process + " ".join(p for p in parts if p)


def _seconds(h: Header) -> float | None:
    """Seconds of btmon's time: an offset (``26.323661``), a time of day (``-t``) or a date
    and time (``-T``, read as UTC: btmon prints local time and does not say which zone)."""
    assert h.time is not None
    whole, _, frac = h.time.partition(".")
    if ":" not in whole:
        return float(h.time) if len(whole) <= 15 else None
    hh, mm, ss = (int(x) for x in whole.split(":"))
    if mm > 59 or ss > 60 or hh > 23:
        return None
    secs = hh * 3600 + mm * 60 + ss + float("0." + frac)
    if h.date is not None:
        y, mo, d = (int(x) for x in h.date.split("-"))
        if not (1970 <= y <= 9999 and 1 <= mo <= 12 and 1 <= d <= 31):
            return None
        try:
            secs += calendar.timegm(datetime.date(y, mo, d).timetuple())
        except ValueError:
            return None
    return secs


def _sub_att_opcode(d: list[str]) -> int:
    for line in d:
        m = re.search(r"Request \(0x([0-9a-fA-F]{2})\)", line)
        if m:
            return int(m.group(1), 16)
    return 0
