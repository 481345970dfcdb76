"""Which text log a file is — btmon's or hcidump's printing, BTstack's console HCI dump, a
Bumble DEBUG log's ACL data, or Wireshark's packet dissections — told by its records wherever
they are in the file, not by its first bytes: a pasted log often begins with prose, a mail
header or a quote."""

from __future__ import annotations

import io
import re
from typing import BinaryIO, TextIO

from bpdiag.capture import btmon_text, btstack_text, bumble_text, hcidump_text, wireshark_text
from bpdiag.capture._textlines import clean_lines, quote_prefixes, unquote
from bpdiag.capture.record import Problem
from bpdiag.errors import Stage

SCAN_LIMIT = 16 << 20  # bytes of a text file searched for records before giving up
_CHUNK = 1 << 20
_BTMON_DETAIL = re.compile(r"^\s+(?:Status|Handle|Reason|Encryption): ")
_HCIDUMP_DETAIL = re.compile(
    r"^\s+(?:status 0x[0-9a-fA-F]{2}\b|handle \d+ |SMP: [^()]*\(0x[0-9a-fA-F]{2}\)$)"
    r"|\) status 0x[0-9a-fA-F]{2} ncmd \d+$"
)


def text_encoding(head: bytes) -> str:
    """The encoding of a text log from its first bytes: UTF-16 with a byte-order mark (what
    Windows' PowerShell ``>`` and Notepad write), UTF-8 with or without one."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    return "utf-8"


def _decode(data: bytes, encoding: str) -> str | None:
    if encoding == "utf-16":
        text = data[: len(data) & ~1].decode("utf-16", "replace")
    elif b"\x00" in data:
        return None
    else:
        text = data.decode(encoding, "replace")
    if not text or "\x00" in text or text.count("\ufffd") * 20 > len(text):
        return None
    return text


def is_text(data: bytes, encoding: str = "utf-8") -> bool:
    return _decode(data, encoding) is not None


def text_format(data: bytes, encoding: str | None = None) -> str | None:
    """``"btmon-text"``, ``"hcidump-text"``, ``"btstack-text"``, ``"bumble-text"``,
    ``"wireshark-text"`` or ``None`` for a piece of a text file.  Wireshark's ``Frame N: …
    bytes on wire`` line is no line of the others: one decides.  BTstack's packet lines
    (``EVT <= 3E 13 …``) and Bumble's ACL lines (``### HOST -> CONTROLLER: ACL: handle=…``)
    are no lines of btmon's or hcidump's: the format with more lines wins."""
    text = _decode(data, encoding or text_encoding(data))
    if text is None:
        return None
    btmon = hcidump = btstack = bumble = 0
    btmon_detail = hcidump_detail = ambiguous = 0
    for _lineno, _off, line in clean_lines(io.StringIO(text), [], Stage.UNSPECIFIED):
        if "Bluetooth monitor ver" in line:
            btmon += 1
            continue
        if "HCI sniffer - Bluetooth packet analyzer" in line:
            hcidump += 1
            continue
        if "bytes on wire" in line and wireshark_text.parse_frame_line(unquote(line, 8)):
            return "wireshark-text"
        if ("=> " in line or "<= " in line) and btstack_text.is_packet_line(line):
            btstack += 1
            continue
        if "### " in line and bumble_text.is_packet_line(line):
            bumble += 1
            continue
        if _BTMON_DETAIL.search(line):
            btmon_detail += 1
        elif _HCIDUMP_DETAIL.search(line):
            hcidump_detail += 1
        for _depth, rest in quote_prefixes(line):
            hd = hcidump_text.parse_header(rest)
            if hd is not None:
                if hd.what == "ACL data:" or hd.time is not None:
                    hcidump += 1
                else:
                    ambiguous += 1
                break
            h = btmon_text.parse_header(rest)
            if h is not None:
                if h.time is not None or not h.what.startswith("HCI "):
                    btmon += 1
                else:
                    ambiguous += 1
                break
    if bumble and bumble >= btmon + hcidump + btstack:
        return "bumble-text"
    if btstack and btstack >= btmon + hcidump:
        return "btstack-text"
    if btmon == hcidump == 0:
        if not ambiguous:
            return None
        return "hcidump-text" if hcidump_detail > btmon_detail else "btmon-text"
    return "hcidump-text" if hcidump > btmon else "btmon-text"


# The packet list's column heading (Wireshark's default columns; a profile may add more)
_SUMMARY_HEADING = re.compile(r"^\s*No\.\s+Time\s+Source\s+Destination\s+Protocol\b", re.M)


# tshark's one line per packet: number, time, source → destination, protocol, length, info
_SUMMARY_LINE = re.compile(
    r"^\s*\d+\s+-?\d+\.\d+\s+.*\s(?:→|->)\s.*\s(?:SMP|HCI_EVT|HCI_CMD|HCI_MON|ATT|LE LL|L2CAP"
    r"|Bluetooth HCI \w+)\s+\d+\s",
    re.M,
)


def _unquoted(head: bytes) -> str | None:
    """The text of a file's first bytes with mail quoting removed, or None if no text."""
    text = _decode(head, text_encoding(head))
    if text is None:
        return None
    return "\n".join(unquote(line, 8) for line in text.splitlines())


def wireshark_summary_only(head: bytes) -> bool:
    """Whether a text that is no capture is Wireshark's packet list (its column heading, or
    tshark's summary lines), which people export or copy thinking it is the capture."""
    text = _unquoted(head)
    return text is not None and (
        _SUMMARY_HEADING.search(text) is not None or len(_SUMMARY_LINE.findall(text)) >= 2
    )


# Apple PacketLogger's packet list exported as text: time, type, handle, address, summary
# ("May 21 08:09:43.690  HCI Command  0x0041  00:00:00:00:00:00  Disconnect - …")
_PKLG_SUMMARY_LINE = re.compile(
    r"^\s*(?:[A-Z][a-z]{2} +\d{1,2} +)?\d\d:\d\d:\d\d\.\d{3} {2,}"
    r"(?:Note|Config|Power|Error|Vendor|HCI Command|HCI Event|(?:ACL|SCO|ISO|L2CAP|ATT|SMP|LMP)"
    r" (?:Send|Sent|Receive|Received)) +0x[0-9A-Fa-f]{4}\b",
    re.M,
)


def packetlogger_summary_only(head: bytes) -> bool:
    """Whether a text that is no capture is Apple PacketLogger's packet list exported as text
    (summary lines, no packet bytes), which iOS and macOS users post in place of the .pklg."""
    text = _unquoted(head)
    return text is not None and len(_PKLG_SUMMARY_LINE.findall(text)) >= 2


def scan_text_format(f: BinaryIO, limit: int = SCAN_LIMIT) -> str | None:
    """Search a text file, a megabyte at a time, for btmon or hcidump records."""
    f.seek(0)
    encoding = text_encoding(f.read(4))
    f.seek(0)
    if encoding == "utf-16":  # not split into lines as bytes: decode a bounded head
        return text_format(f.read(limit), encoding)
    read = 0
    carry = b""
    while read < limit:
        chunk = f.read(_CHUNK)
        if not chunk:
            break
        read += len(chunk)
        data = carry + chunk
        cut = data.rfind(b"\n") + 1 or len(data)
        data, carry = data[:cut], data[cut:][-4096:]
        if not is_text(data, encoding):
            return None
        fmt = text_format(data, encoding)
        if fmt is not None:
            return fmt
    if carry:
        return text_format(carry, encoding)
    return None


TextReader = (
    btmon_text.BtmonTextReader
    | hcidump_text.HcidumpTextReader
    | wireshark_text.WiresharkTextReader
    | btstack_text.BtstackTextReader
    | bumble_text.BumbleTextReader
)


def text_reader(fmt: str, f: TextIO, problems: list[Problem]) -> TextReader:
    if fmt == "hcidump-text":
        return hcidump_text.HcidumpTextReader(f, problems)
    if fmt == "wireshark-text":
        return wireshark_text.WiresharkTextReader(f, problems)
    if fmt == "btstack-text":
        return btstack_text.BtstackTextReader(f, problems)
    if fmt == "bumble-text":
        return bumble_text.BumbleTextReader(f, problems)
    return btmon_text.BtmonTextReader(f, problems)
