"""The pairing story a packet list tells: Wireshark's packet list as text (File → Export
Packet Dissections → As Plain Text with the summary line only, tshark's one line a packet,
or the list copied from the window) and Apple PacketLogger's packet list exported as text.

Such a list holds no packet bytes (``bpdiag analyze`` refuses it), but its SMP, ATT and HCI
summary lines, read in order, still show how a pairing went: who asked, who answered, where it
failed and with which reason.  This module reads those lines (the words Wireshark's
dissectors put in the Info column, packet-btsmp.c, packet-btatt.c, packet-bthci_evt.c) into
rows, groups them by connection (the Source/Destination pair) and words what they show, each
sentence citing the lines it rests on.  What the Info column does not carry (IO capabilities,
OOB flags, key sizes, an HCI event's status in Wireshark's list, which connection an HCI
event belongs to) is said to be unknown, never guessed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from bpdiag.capture._textlines import unquote
from bpdiag.decode.att import ErrorCode as AttError
from bpdiag.decode.hci_names import ErrorCode as HciError
from bpdiag.decode.smp import CommandCode, ErrorCode, error_meaning, error_name
from bpdiag.rules.base import declared
from bpdiag.rules.smp_failures import RULE_BY_REASON

MAX_LINE = 4096  # characters of a line read
MAX_ROWS = 20_000  # summary rows kept (a story of more is cut, and says so)


class ListFormat(StrEnum):
    WIRESHARK = "Wireshark"
    PACKETLOGGER = "PacketLogger"


@dataclass(frozen=True, slots=True)
class Row:
    """One summary line: where it is (``line`` of the file, Wireshark's ``number``), the
    two ends, the protocol and the Info text without its ``Sent``/``Rcvd`` prefix."""

    line: int
    number: int | None
    source: str
    destination: str
    protocol: str
    info: str
    fmt: ListFormat
    conversation: str  # the connection the row belongs to ("" for a controller ↔ host event)

    def cite(self) -> str:
        """``line 4 (No. 17)``: the line of the file, and Wireshark's packet number."""
        return f"line {self.line}" + (f" (No. {self.number})" if self.number is not None else "")

    def ref(self) -> str:
        """The same inside parentheses: ``line 4, No. 17``."""
        return f"line {self.line}" + (f", No. {self.number}" if self.number is not None else "")


# Wireshark's list: No., Time, Source, Destination, Protocol, Length, Info.  The time is
# relative (0.060120) or a date and time of day; Source and Destination may hold spaces
# ("localhost (Galaxy S7 edge)"), so the protocol column is what splits the line.
_WIRESHARK = re.compile(
    r"^\s*(?P<no>\d{1,9})\s+(?P<time>-?\d+\.\d+|\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:[.,]\d+)?"
    r"|\d\d:\d\d:\d\d(?:[.,]\d+)?)\s+"
    r"(?P<ends>\S.*?)\s+(?P<proto>SMP|ATT|HCI_EVT|HCI_CMD)\s+\d{1,6}\s+(?P<info>\S.*?)\s*$"
)
# The Info column's direction (packet-btsmp.c / packet-btatt.c: "Sent ", "Rcvd ",
# "UnknownDirection "; older releases "Unknown direction %d ")
_DIRECTION = re.compile(r"^(?:Sent|Rcvd|UnknownDirection|Unknown direction -?\d+) ")
# Apple PacketLogger's list as text (capture/text_formats.py): time, type, handle, address,
# summary
_PACKETLOGGER = re.compile(
    r"^\s*(?:[A-Z][a-z]{2} +\d{1,2} +)?\d\d:\d\d:\d\d\.\d{3} {2,}"
    r"(?P<type>HCI Command|HCI Event|(?:ATT|SMP|L2CAP|ACL) (?:Send|Sent|Receive|Received))"
    r" +0x(?P<handle>[0-9A-Fa-f]{4})\b +(?:(?P<addr>[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5}) +)?"
    r"(?P<summary>\S.*?)\s*$"
)


def _ends(text: str) -> tuple[str, str]:
    """Source and Destination from the text between Time and Protocol: tshark's arrow, a
    copy's tab, an export's column gap, or two words."""
    for sep in (" → ", " -> ", "\t"):
        if sep in text:
            a, _, b = text.partition(sep)
            return a.strip(), b.strip()
    parts = [p for p in re.split(r" {2,}", text) if p]
    if len(parts) == 2:
        return parts[0], parts[1]
    words = text.split()
    if len(words) == 2:
        return words[0], words[1]
    return text.strip(), ""


def parse_row(line: str, lineno: int) -> Row | None:
    """The summary row a line is, or None (prose, other protocols, junk)."""
    text = unquote(line[:MAX_LINE], 8)
    m = _WIRESHARK.match(text)
    if m:
        src, dst = _ends(m["ends"])
        proto = m["proto"]
        hci = proto.startswith("HCI")
        return Row(
            lineno,
            int(m["no"]),
            src,
            dst,
            proto,
            _DIRECTION.sub("", m["info"], count=1),
            ListFormat.WIRESHARK,
            "" if hci else " ↔ ".join(sorted((src, dst))),
        )
    m = _PACKETLOGGER.match(text)
    if m:
        kind = m["type"]
        proto = "HCI" if kind.startswith("HCI") else kind.split()[0]
        addr = m["addr"] or ""
        sent = kind.endswith(("Send", "Sent"))
        here = "this device"  # the iPhone or Mac that recorded
        src, dst = (here, addr) if sent else (addr, here)
        return Row(
            lineno,
            None,
            src,
            dst,
            proto,
            m["summary"],
            ListFormat.PACKETLOGGER,
            f"handle 0x{m['handle'].lower()}",
        )
    return None


# --- what a row says -------------------------------------------------------------------


def _any_of(names: Iterable[str]) -> str:
    """An alternation of ``names``, the longest first (so that a name is not matched by a
    shorter one it begins with)."""
    return "|".join(sorted((re.escape(n) for n in names), key=len, reverse=True))


_SMP_NAMES: dict[str, CommandCode] = {m.label.lower(): m for m in CommandCode}
_SMP_NAMES["master identification"] = CommandCode.CENTRAL_IDENTIFICATION  # before 3.6
_SMP_NAME = re.compile(_any_of(_SMP_NAMES), re.IGNORECASE)
_REASONS: dict[str, ErrorCode] = {error_name(int(c)).lower(): c for c in ErrorCode}
_REASON = re.compile(_any_of(_REASONS), re.IGNORECASE)
_ATT_ERRORS: dict[str, AttError] = {m.label.lower(): m for m in AttError}
_ATT_ERROR = re.compile(rf"\bError Response\b.*?\b({_any_of(_ATT_ERRORS)})\b", re.IGNORECASE)
_HCI_ERRORS = {m.label.lower(): m for m in HciError}
_HCI_STATUS = re.compile(
    rf"\b(?:Status|Reason)\s*[:=]?\s*({_any_of(_HCI_ERRORS)})\b", re.IGNORECASE
)
# HCI events and commands a pairing story mentions (packet-bthci_evt.c / _cmd.c names;
# PacketLogger's "Disconnection Complete")
_HCI_EVENTS = re.compile(
    r"^(Encryption Change|Disconnect(?:ion)? Complete|Disconnect|Encryption Key Refresh Complete"
    r"|LE Start Encryption|LE Meta \(LE Long Term Key Request\)|LE Long Term Key Request)\b",
    re.IGNORECASE,
)
# AuthReq as packet-btsmp.c dissect_btsmp_auth_req() appends it: "AuthReq: Bonding, MITM,
# SecureConnection, Keypress"; the key distributions: " | Initiator Key(s): LTK, IRK"
_AUTHREQ = re.compile(r"AuthReq: ([^|]*)")
_KEYS = re.compile(r"(Initiator|Responder) Key\(s\): ([^|]*)")
_PHASE2 = frozenset(
    {
        CommandCode.PAIRING_CONFIRM,
        CommandCode.PAIRING_RANDOM,
        CommandCode.PAIRING_PUBLIC_KEY,
        CommandCode.PAIRING_DHKEY_CHECK,
        CommandCode.PAIRING_KEYPRESS_NOTIFICATION,
    }
)
_KEY_PDUS = frozenset(
    {
        CommandCode.ENCRYPTION_INFORMATION,
        CommandCode.CENTRAL_IDENTIFICATION,
        CommandCode.IDENTITY_INFORMATION,
        CommandCode.IDENTITY_ADDRESS_INFORMATION,
        CommandCode.SIGNING_INFORMATION,
    }
)


@dataclass(frozen=True, slots=True)
class Smp:
    row: Row
    code: CommandCode
    reason: ErrorCode | None = None  # a Pairing Failed whose reason the line names
    authreq: str = ""  # as the line prints it ("Bonding, MITM")
    keys: tuple[tuple[str, str], ...] = ()  # (Initiator|Responder, "LTK, IRK")


def smp_of(row: Row) -> Smp | None:
    """The SMP PDU a row names: its command and what its Info text says of it."""
    if row.protocol != "SMP":
        return None
    m = _SMP_NAME.match(row.info)
    if not m:
        return None
    code = _SMP_NAMES[m[0].lower()]
    rest = row.info[m.end() :]
    reason = None
    if code == CommandCode.PAIRING_FAILED:
        r = _REASON.search(rest)
        reason = _REASONS[r[0].lower()] if r else None
    a = _AUTHREQ.search(rest)
    keys = tuple((k, v.strip()) for k, v in _KEYS.findall(rest))
    return Smp(row, code, reason, a[1].strip() if a else "", keys)


# --- the story -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Verdict:
    """What a run of lines shows: the catalogue's finding (``code``, ``title``) where the
    same situation is meant, else none; the words, and the lines they rest on."""

    text: str
    lines: tuple[int, ...]
    code: str = ""
    title: str = ""


@dataclass(slots=True)
class Conversation:
    name: str  # "A ↔ B" or "handle 0x0040"
    steps: list[str] = field(default_factory=list)
    verdicts: list[Verdict] = field(default_factory=list)


@dataclass(slots=True)
class PacketListStory:
    fmt: ListFormat
    rows: int
    conversations: list[Conversation]
    controller: list[str]  # HCI lines the list does not tie to a connection
    unknown: list[str]  # what a packet list cannot tell
    stopped: bool  # more than MAX_ROWS summary rows: the story covers the first ones

    @property
    def failed(self) -> bool:
        return any(
            v.code and v.code != "security-request-ignored"
            for c in self.conversations
            for v in c.verdicts
        )


def _verdict(code: str, text: str, lines: list[int]) -> Verdict:
    return Verdict(text, tuple(lines), code, declared(code).title)


def _reason_words(reason: ErrorCode, meaning: bool = False) -> str:
    words = f"{error_name(reason)} (0x{int(reason):02x})"
    return f"{words}: {error_meaning(reason)}" if meaning else words


@dataclass(slots=True)
class _Attempt:
    """One pairing on a connection, from its Security Request or Pairing Request on."""

    pdus: list[Smp] = field(default_factory=list)

    def first(self, code: CommandCode) -> Smp | None:
        return next((p for p in self.pdus if p.code == code), None)


def _judge(att: _Attempt) -> Verdict | None:
    """What one attempt shows."""
    failed = att.first(CommandCode.PAIRING_FAILED)
    request = att.first(CommandCode.PAIRING_REQUEST)
    security = att.first(CommandCode.SECURITY_REQUEST)
    response = att.first(CommandCode.PAIRING_RESPONSE)
    phase2 = [p for p in att.pdus if p.code in _PHASE2]
    keys = [p for p in att.pdus if p.code in _KEY_PDUS]
    if failed is not None:
        sender = failed.row.source
        lines = [p.row.line for p in att.pdus if p.row.line <= failed.row.line]
        before = [p for p in att.pdus if p.row.line < failed.row.line]
        if failed.reason is None:
            return _verdict(
                "pairing-failed",
                f"{failed.row.cite()}: Pairing Failed from {sender} with a reason the line "
                "does not name (Wireshark's table lacks it and prints <unknown>); the number "
                "is only in the capture",
                lines,
            )
        if (
            request is not None
            and response is None
            and not phase2
            and before
            and before[-1] is request
            and request.row.source != sender
            and failed.reason in (ErrorCode.UNSPECIFIED_REASON, ErrorCode.PAIRING_NOT_SUPPORTED)
        ):
            asked = (
                f", though it had asked for security itself ({security.row.ref()})"
                if security is not None and security.row.source == sender
                else ""
            )
            return _verdict(
                "pairing-mode-inactive",
                f"{failed.row.cite()}: {sender} answered the Pairing Request "
                f"({request.row.ref()}) at once with {_reason_words(failed.reason)}, before "
                f"any key exchange{asked}: the device refused at once — it is probably not "
                "in pairing mode",
                lines,
            )
        if phase2:
            where = (
                f"after {', '.join(sorted({_label(p.code) for p in phase2}))} "
                f"({phase2[-1].row.ref()} last)"
            )
        else:
            answered = response or request
            where = (
                f"after the {_label(answered.code)} ({answered.row.ref()}), "
                if answered is not None
                else ""
            ) + "before any key exchange"
        if failed.reason == ErrorCode.AUTHENTICATION_REQUIREMENTS:
            offered = "; ".join(
                f"{p.row.ref()}: {_label(p.code)} from {p.row.source}, AuthReq "
                f"{p.authreq or '(not shown)'}"
                for p in (request, response)
                if p is not None
            )
            return _verdict(
                "pairing-failed",
                f"{failed.row.cite()}: {sender} ended the pairing {where} with "
                f"{_reason_words(failed.reason)}. Which requirement it was — MITM the two IO "
                "capabilities cannot give (mitm-unsatisfiable), a peer that requires MITM "
                "(peer-requires-mitm), Secure Connections on one side only "
                "(secure-connections-mismatch) — needs the IO capabilities, which the Info "
                "column does not show" + (f" (it shows {offered})" if offered else ""),
                lines,
            )
        info = RULE_BY_REASON.get(failed.reason)
        not_at_once = (
            " — not the refusal at once of a device outside its pairing window"
            if failed.reason == ErrorCode.UNSPECIFIED_REASON and phase2
            else ""
        )
        return _verdict(
            info.code if info is not None else "pairing-failed",
            f"{failed.row.cite()}: Pairing Failed from {sender} {where}: "
            f"{_reason_words(failed.reason)}{not_at_once}",
            lines,
        )
    if request is None:
        if security is not None:
            return _verdict(
                "security-request-ignored",
                f"{security.row.cite()}: {security.row.source} asked for security and no "
                "Pairing Request follows on this connection in the list; the central may "
                "have encrypted with a stored key instead (HCI LE Start Encryption), which a "
                "packet list does not tie to a connection",
                [security.row.line],
            )
        return None
    lines = [p.row.line for p in att.pdus]
    if keys:
        return Verdict(
            f"no Pairing Failed: the pairing reached key distribution "
            f"({'; '.join(p.row.ref() for p in keys[:3])}{' …' if len(keys) > 3 else ''})",
            tuple(lines),
        )
    randoms = [p for p in phase2 if p.code == CommandCode.PAIRING_RANDOM]
    checks = [p for p in phase2 if p.code == CommandCode.PAIRING_DHKEY_CHECK]
    sc = any(p.code == CommandCode.PAIRING_PUBLIC_KEY for p in phase2) or bool(checks)
    done = checks if sc else randoms
    if len(done) >= 2:
        return Verdict(
            f"no Pairing Failed: phase 2 finished (both {_label(done[-1].code)}s, "
            f"{done[-1].row.ref()} last); the keys, if any were to be given, go encrypted "
            "after it and are not in the list",
            tuple(lines),
        )
    last = att.pdus[-1]
    if last is request:
        return unanswered([request.row])
    return _verdict(
        "pairing-incomplete",
        f"the SMP lines stop at {last.row.cite()} ({_label(last.code)}) with no "
        "Pairing Failed and before phase 2 finished: the pairing may have stopped there, or "
        "the list may be filtered or cut — a packet list cannot tell which",
        lines,
    )


def unanswered(requests: list[Row]) -> Verdict:
    """Pairing Requests that got no SMP answer in the list (a central retrying)."""
    cites = "; ".join(r.ref() for r in requests[:5]) + (" …" if len(requests) > 5 else "")
    what = "the Pairing Request" if len(requests) == 1 else f"{len(requests)} Pairing Requests"
    return _verdict(
        "pairing-incomplete",
        f"no SMP answer to {what} ({cites}) in the list: the peer did not answer, or the "
        "list is filtered or cut (a sniffer may have missed the answer) — a packet list "
        "cannot tell which",
        [r.line for r in requests],
    )


def _label(code: CommandCode) -> str:
    return code.label  # the spec's name (decode/smp.py), which Wireshark's Info also uses


def _step(p: Smp) -> str:
    words = f"{p.row.cite()}: {_label(p.code)} from {p.row.source or '?'}"
    if p.code == CommandCode.PAIRING_FAILED:
        words += (
            f": {_reason_words(p.reason, True)}" if p.reason is not None else " (reason not named)"
        )
    elif p.authreq:
        words += f" (AuthReq: {p.authreq})"
    if p.code == CommandCode.PAIRING_REQUEST:
        words += " — on LE only the central sends it (Vol 3, Part H, 3.5.1)"
    return words


_ATT_CODES = {
    AttError.INSUFFICIENT_AUTHENTICATION: "insufficient-authentication",
    AttError.INSUFFICIENT_ENCRYPTION: "insufficient-encryption",
    AttError.INSUFFICIENT_AUTHORIZATION: "insufficient-authorization",
    AttError.INSUFFICIENT_ENCRYPTION_KEY_SIZE: "insufficient-key-size",
}


class PacketListReader:
    """Fed a log's lines in order; ``story()`` tells what its summary rows show."""

    def __init__(self) -> None:
        self._rows: list[Row] = []
        self.stopped = False
        self.fmts: dict[ListFormat, int] = {}

    def feed(self, lineno: int, line: str) -> None:
        if self.stopped:
            return
        head = line[:MAX_LINE]
        if "SMP" not in head and "ATT" not in head and "HCI" not in head:
            return
        row = parse_row(line, lineno)
        if row is None:
            return
        if len(self._rows) >= MAX_ROWS:
            self.stopped = True
            return
        self._rows.append(row)
        self.fmts[row.fmt] = self.fmts.get(row.fmt, 0) + 1

    def story(self) -> PacketListStory | None:
        """None unless the lines are a packet list with at least one SMP, security ATT error
        or HCI encryption line."""
        if len(self._rows) < 2:
            return None
        fmt = max(self.fmts, key=lambda f: self.fmts[f])
        convs: dict[str, Conversation] = {}
        attempts: dict[str, _Attempt] = {}
        failed_at: dict[str, int] = {}
        retried: dict[str, Verdict] = {}  # the last unanswered-request verdict per connection
        retrying: dict[str, list[Row]] = {}
        controller: list[str] = []
        told = False
        controller_status = False  # a controller line named its status or reason

        def close(key: str) -> None:
            att = attempts.pop(key, None)
            if att is None or not att.pdus:
                return
            v = _judge(att)
            conv = convs[key]
            lone = len(att.pdus) == 1 and att.pdus[0].code == CommandCode.PAIRING_REQUEST
            if lone and conv.verdicts and conv.verdicts[-1] is retried.get(key):
                # the same unanswered request again: one verdict for the run of them
                rows = [*retrying[key], att.pdus[0].row]
                v = conv.verdicts[-1] = unanswered(rows)
            elif v is not None:
                conv.verdicts.append(v)
                rows = [att.pdus[0].row]
            if lone and v is not None:
                retried[key], retrying[key] = v, rows
            f = att.first(CommandCode.PAIRING_FAILED)
            if f is not None:
                failed_at[key] = f.row.line

        for row in self._rows:
            if row.protocol in ("HCI", "HCI_EVT", "HCI_CMD"):
                m = _HCI_EVENTS.match(row.info)
                if not m:
                    continue
                told = True
                s = _HCI_STATUS.search(row.info)
                status = f", {s[0]}" if s else ""
                words = f"{row.cite()}: {m[1]}{status}"
                if row.fmt is ListFormat.PACKETLOGGER:
                    convs.setdefault(row.conversation, Conversation(row.conversation)).steps.append(
                        words
                    )
                else:
                    controller.append(words)
                    controller_status = controller_status or s is not None
                continue
            key = row.conversation
            if row.protocol == "ATT":
                a = _ATT_ERROR.search(row.info)
                if not a:
                    continue
                err = _ATT_ERRORS[a[1].lower()]
                code = _ATT_CODES.get(err)
                if code is None:
                    continue
                told = True
                conv = convs.setdefault(key, Conversation(key))
                conv.steps.append(f"{row.cite()}: Error Response - {err.label} from {row.source}")
                after = failed_at.get(key)
                if after is not None:
                    text = (
                        f"{row.cite()}: {row.source} answers Error Response - {err.label} "
                        f"after the pairing that failed (line {after}): the attribute needs "
                        "the security that pairing was to give"
                    )
                    lines = [after, row.line]
                else:
                    text = (
                        f"{row.cite()}: {row.source} answers Error Response - {err.label}: "
                        "the attribute needs more security than the link had"
                    )
                    lines = [row.line]
                conv.verdicts.append(_verdict(code, text, lines))
                continue
            pdu = smp_of(row)
            if pdu is None:
                continue
            told = True
            conv = convs.setdefault(key, Conversation(key))
            conv.steps.append(_step(pdu))
            att = attempts.get(key)
            new = (
                pdu.code == CommandCode.PAIRING_REQUEST
                and att is not None
                and (
                    att.first(CommandCode.PAIRING_REQUEST) is not None
                    or att.first(CommandCode.PAIRING_FAILED) is not None
                )
            )
            new = new or (
                pdu.code == CommandCode.SECURITY_REQUEST
                and att is not None
                and att.first(CommandCode.PAIRING_FAILED) is not None
            )
            if new:
                close(key)
            attempts.setdefault(key, _Attempt()).pdus.append(pdu)
            if pdu.code == CommandCode.PAIRING_FAILED:
                close(key)  # it ends the pairing (Vol 3, Part H, 3.5.5)
        for key in list(attempts):
            close(key)
        if not told:
            return None
        unknown = [
            "IO capabilities, OOB flags, key sizes and the values exchanged are not in the "
            "Info column: which pairing method was used, and why a side could not meet "
            "another's requirements, cannot be known from a packet list",
        ]
        if fmt is ListFormat.WIRESHARK:
            unknown.append(
                "which side is central is known only from who sent the Pairing Request (or "
                "the Security Request); the addresses alone do not say it"
            )
            if controller:
                unknown.append(
                    "the HCI lines do not say which connection they belong to"
                    + (
                        ""
                        if controller_status
                        else ", and these lines show no Encryption Change or Disconnect "
                        "Complete status or reason (Wireshark's Info column leaves it out)"
                    )
                )
        return PacketListStory(
            fmt, len(self._rows), list(convs.values()), controller, unknown, self.stopped
        )
