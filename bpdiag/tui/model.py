"""What the TUI shows, computed without Textual: packet rows, filters, the ladder, hex dumps.

The app (bpdiag.tui.app) only renders these; tests can use them directly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING

from rich.text import Text

if TYPE_CHECKING:  # the decoders and rules load in ``load`` (the loader thread), not at import
    from bpdiag.analysis.job import Job
    from bpdiag.analysis.model import Analysis, Pairing
    from bpdiag.crypto.keyring import Keyring
    from bpdiag.decode.pdu import Pdu
    from bpdiag.rules.diagnosis import Diagnosed


class PacketRow:
    """One decoded PDU as the packet list shows it.  Its fields (redacted unless
    ``show_keys``), their one-line summary and the error mark are worked out when first
    asked for: a large capture has hundreds of thousands of rows and the screen shows a few."""

    __slots__ = (
        "_error",
        "_fields",
        "_name",
        "_summary",
        "connection",
        "frame",
        "layer",
        "pdu",
        "show_keys",
        "time",
    )

    def __init__(self, pdu: Pdu, connection: int | None, show_keys: bool = False) -> None:
        self.pdu = pdu
        self.frame = pdu.frame
        self.time = pdu.time
        self.connection = connection
        self.layer = pdu.layer
        self.show_keys = show_keys
        self._name: str | None = None
        self._fields: dict[str, object] | None = None
        self._summary: str | None = None
        self._error: bool | None = None

    @property
    def name(self) -> str:
        if self._name is None:
            pdu = self.pdu
            self._name = (pdu.name + " [decrypted]") if pdu.decrypted else pdu.name
        return self._name

    @property
    def direction(self) -> str:
        return self.pdu.direction.name.lower()

    @property
    def fields(self) -> dict[str, object]:
        if self._fields is None:
            from bpdiag.report.json_report import pdu_fields

            self._fields = pdu_fields(self.pdu, self.show_keys)
        return self._fields

    @property
    def summary(self) -> str:
        if self._summary is None:
            self._summary = " ".join(f"{k}={v}" for k, v in self.fields.items())
        return self._summary

    @property
    def error(self) -> bool:
        if self._error is None:
            self._error = _is_error(self.pdu, self.fields)
        return self._error

    @property
    def raw(self) -> bytes:
        return self.pdu.raw

    @property
    def msg(self) -> object:
        return self.pdu.msg


@dataclass(slots=True)
class Loaded:
    analysis: Diagnosed
    packets: list[PacketRow] = field(default_factory=list)


def _is_error(pdu: Pdu, fields: dict[str, object]) -> bool:
    from bpdiag.decode import hci, smp
    from bpdiag.decode.pdu import Layer

    if pdu.layer == Layer.ATT:
        return True
    if pdu.layer == Layer.SMP and pdu.opcode == smp.CommandCode.PAIRING_FAILED:
        return True
    status = fields.get("status")
    if isinstance(status, int) and status != hci.ErrorCode.SUCCESS:
        return True
    if pdu.layer == Layer.HCI and hci.command_of(pdu.msg) in hci.REJECT_COMMANDS:
        return True
    if pdu.layer == Layer.LL and pdu.opcode in _ll_opcodes("error"):
        return True
    return fields.get("reason") == hci.ErrorCode.CONNECTION_TERMINATED_DUE_TO_MIC_FAILURE


@cache
def _ll_opcodes(kind: str) -> frozenset[int]:
    """LL control opcodes that end a link or procedure, or refuse one ("error": the
    terminations and LL_REJECT_IND / LL_REJECT_EXT_IND, 2.4.2.14 and 2.4.2.18, which carry an
    error code), or belong to the encryption procedures ("encryption"), Vol 6, Part B, 2.4.2
    and 5.1.3."""
    from bpdiag.decode.ll import ControlOpcode as Op

    if kind == "error":
        ops = (Op.LL_TERMINATE_IND, Op.LL_CIS_TERMINATE_IND, Op.LL_CS_TERMINATE_REQ)
        rejects = (Op.LL_REJECT_IND, Op.LL_REJECT_EXT_IND)
        return frozenset((*ops, Op.LL_CS_TERMINATE_RSP, *rejects))
    enc = (Op.LL_ENC_REQ, Op.LL_ENC_RSP, Op.LL_START_ENC_REQ, Op.LL_START_ENC_RSP)
    return frozenset((*enc, Op.LL_PAUSE_ENC_REQ, Op.LL_PAUSE_ENC_RSP))


def _is_security(pdu: Pdu) -> bool:
    """SMP, ATT errors, and the HCI commands/events and LL PDUs about link encryption."""
    from bpdiag.decode import hci
    from bpdiag.decode.pdu import Layer

    if pdu.layer in (Layer.SMP, Layer.ATT):
        return True
    if pdu.layer == Layer.HCI:
        m = pdu.msg
        return (
            hci.command_of(m) in hci.ENCRYPTION_COMMANDS or hci.event_of(m) in hci.ENCRYPTION_EVENTS
        )
    return pdu.layer == Layer.LL and pdu.opcode in _ll_opcodes("encryption")


def load(
    path: str,
    show_keys: bool = False,
    keys: Keyring | None = None,
    job: Job | None = None,
    on_rows: Callable[[list[PacketRow]], None] | None = None,
    batch: int = 200,
) -> Loaded:
    """Read and diagnose a capture on the one path (bpdiag.diagnose), keeping every decoded
    PDU as a packet row.  ``job`` reports progress and cancels (``Cancelled``); ``on_rows``
    receives the rows in batches of ``batch`` while the file is read."""
    from bpdiag.analysis.gc_pause import gc_paused
    from bpdiag.analysis.run import Reading
    from bpdiag.diagnose import diagnose

    rows: list[PacketRow] = []
    sent = 0
    reading = Reading(path, keys, job=job)
    with gc_paused():  # as in analyse(): the rows and the analysis make no garbage cycles
        for pdu, conn in reading:
            rows.append(PacketRow(pdu, None if conn is None else conn.id, show_keys))
            if on_rows is not None and len(rows) - sent >= batch:
                on_rows(rows[sent:])
                sent = len(rows)
        analysis = diagnose(reading.analyse())
    if on_rows is not None and len(rows) > sent:
        on_rows(rows[sent:])
    return Loaded(analysis, rows)


def filter_rows(
    rows: Iterable[PacketRow], *, mode: str = "all", text: str = "", connection: int | None = None
) -> list[PacketRow]:
    """mode: "all", "security" (SMP, encryption, ATT errors) or "errors"."""
    out = []
    needle = text.lower()
    for r in rows:
        if mode == "security" and not _is_security(r.pdu):
            continue
        if mode == "errors" and not r.error:
            continue
        if connection is not None and r.connection != connection:
            continue
        if needle and needle not in f"{r.name} {r.summary} {r.layer}".lower():
            continue
        out.append(r)
    return out


def ladder_lines(p: Pairing, show_keys: bool = False, width: int = 62) -> list[tuple[int, str]]:
    """The pairing as a sequence diagram in ``width`` columns: (frame, line) pairs, frame 0 for
    headings. Times are ``+s.mmm`` since the pairing began, as in ``analyze`` and the HTML
    report; the label lines may be longer than ``width`` (the app wraps them, indented)."""
    from bpdiag.analysis.model import Role
    from bpdiag.report.smp_text import smp_summary

    t0 = p.steps[0].time if p.steps else 0.0
    last = p.steps[-1] if p.steps else None
    # the widest "  #frame +t.ttts" suffix, so every arrow has the same length
    suffix_w = 0
    if last is not None:
        suffix_w = len(f"  #{max(s.frame for s in p.steps)} {last.time - t0:+.3f}s")
    if p.encrypted_frame is not None:
        suffix_w = max(suffix_w, len(f"  #{p.encrypted_frame} encrypted"))
    span = max(12, width - suffix_w)
    half = span // 2
    lines: list[tuple[int, str]] = [(0, f"{'Central':<{half}}{'Peripheral':>{span - half}}")]
    shown_enc = False

    def enc_line() -> tuple[int, str]:
        assert p.encrypted_frame is not None
        return (p.encrypted_frame, f"{'═' * span}  #{p.encrypted_frame} encrypted")

    for s in p.steps:
        if p.encrypted_frame is not None and s.frame > p.encrypted_frame and not shown_enc:
            shown_enc = True
            lines.append(enc_line())
        label = smp_summary(s.msg, show_keys) + (" [decrypted]" if s.decrypted else "")
        if s.sender == Role.CENTRAL:
            arrow = "─" * (span - 1) + "▶"
        elif s.sender == Role.PERIPHERAL:
            arrow = "◀" + "─" * (span - 1)
        else:
            arrow = "?" * span
        lines.append((s.frame, f"{arrow}  #{s.frame} {s.time - t0:+.3f}s"))
        lines.append((s.frame, f"    {label}"))
    if p.encrypted_frame is not None and not shown_enc:
        lines.append(enc_line())
    return lines


def field_spans(row: PacketRow) -> dict[str, tuple[int, int]]:
    """Where each decoded field's bytes lie in the record (offset, length), for the SMP
    commands whose wire layout is declared (bpdiag.decode.smp); {} when the PDU is not
    wholly inside this record (reassembled from several) or has no declared layout."""
    from bpdiag.decode.pdu import Layer

    msg = row.msg
    params = getattr(msg, "PARAMS", None)
    if params is None or row.layer != Layer.SMP:
        return {}
    try:
        wire = bytes(msg)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return {}
    start = row.raw.rfind(wire)
    if start < 0:
        return {}
    spans = {"code": (start, 1)}
    offset = start + 1
    for p in params:
        spans[p.key] = (offset, p.size)
        offset += p.size
    return spans


def hexdump_marked(data: bytes, span: tuple[int, int] | None, width: int = 16) -> Text:
    """The hex dump as Rich text with the bytes of ``span`` highlighted."""
    lo, hi = (span[0], span[0] + span[1]) if span else (-1, -1)
    out = Text()
    for i in range(0, len(data), width):
        out.append(f"{i:04x}  ")
        for j, b in enumerate(data[i : i + width]):
            out.append(f"{b:02x}", style="reverse bold" if lo <= i + j < hi else "")
            out.append(" ")
        out.append("\n")
    return out


def hexdump(data: bytes, width: int = 16) -> str:
    out = []
    for i in range(0, len(data), width):
        chunk = data[i : i + width]
        hexpart = " ".join(f"{b:02x}" for b in chunk)
        text = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
        out.append(f"{i:04x}  {hexpart:<{width * 3}} {text}")
    return "\n".join(out)


@dataclass(slots=True)
class RawFrame:
    index: int
    link_type: int
    payload: bytes
    flags: int = 0  # the record's flags (btsnoop: direction, command or event; a monitor opcode)


def frames_around(path: str, frame: int, radius: int = 100) -> list[RawFrame]:
    """Every record within ``radius`` of ``frame``, decoded or not (read by streaming the
    file up to there, so memory stays bounded on large captures)."""
    from bpdiag.capture import open_capture

    out = []
    with open_capture(path) as cap:
        for rec in cap:
            if rec.index < frame - radius:
                continue
            if rec.index > frame + radius:
                break
            out.append(RawFrame(rec.index, rec.link_type, bytes(rec.payload), rec.flags))
    return out


@cache
def _secret_codes() -> dict[str, frozenset[int]]:
    """The HCI codes whose declared message holds key material, by what they are
    (``hci command``, ``hci event``, ``le subevent``, ``hci return``)."""
    from bpdiag.decode.secret_fields import declared

    out: dict[str, set[int]] = {}
    for kind, code in declared():
        out.setdefault(kind, set()).add(code)
    return {kind: frozenset(codes) for kind, codes in out.items()}


def undecoded_holds_keys(frame: RawFrame) -> bool:
    """Whether a record bpdiag could not decode (cut short by the log, its length byte
    wrong) is an HCI packet of a code whose declaration holds key material — a Link Key
    Notification, an LE Add Device To Resolving List, a Command Complete of LE Rand: what
    bytes of the key it has are withheld as a decoded one's are.  The packet is found in
    the record as the decoders find it (``h4.split``: H4, H1, Linux monitor framings)."""
    from bpdiag.decode import h4
    from bpdiag.errors import DecodeError

    try:
        framing = h4.split(frame.link_type, frame.payload, frame.flags)
    except DecodeError:
        return False
    p = frame.payload[framing.offset :]
    codes = _secret_codes()
    if framing.ptype == h4.COMMAND and len(p) >= 2:
        return p[0] | p[1] << 8 in codes.get("hci command", ())
    if framing.ptype == h4.EVENT and p:
        if p[0] == 0x3E:
            return len(p) >= 3 and p[2] in codes.get("le subevent", ())
        if p[0] == 0x0E:
            return len(p) >= 5 and p[3] | p[4] << 8 in codes.get("hci return", ())
        return p[0] in codes.get("hci event", ())
    return False


def dissect(frame: RawFrame) -> tuple[str, str]:
    """scapy's one-line summary and full dissection of a record bpdiag does not decode
    itself (scapy is imported only here, on demand)."""
    try:
        from scapy.layers import bluetooth as bt
        from scapy.layers import bluetooth4LE as le
        from scapy.packet import Packet
    except ImportError:
        return "scapy is not installed", hexdump(frame.payload)
    lt, data = frame.link_type, frame.payload
    pkt: Packet
    try:
        if lt in (1002, 187):
            pkt = bt.HCI_Hdr(data)
        elif lt == 201:
            pkt = bt.HCI_PHDR_Hdr(data)
        elif lt == 254:
            pkt = bt.HCI_Mon_Pcap_Hdr(data)
        elif lt == 256:
            pkt = le.BTLE_RF(data)
        elif lt in (251, 147):
            pkt = le.BTLE(data)
        else:
            return f"link type {lt}: raw bytes", hexdump(data)
        return pkt.summary(), pkt.show(dump=True) or ""  # show(dump=True) returns the text
    except Exception as exc:
        return f"scapy could not dissect it: {exc}", hexdump(data)


def decrypted_rows(frame: int, packets: list[PacketRow]) -> list[PacketRow]:
    """The PDUs bpdiag decoded from ``frame`` after decrypting it (empty if it did not)."""
    return [r for r in packets if r.frame == frame and r.name.endswith(" [decrypted]")]


def raw_frame_summary(frame: RawFrame, packets: list[PacketRow], scapy_summary: str) -> str:
    """The frames list's line for a record: scapy's summary, or — for a frame bpdiag
    decrypted — the PDU it holds, since scapy sees only the ciphertext."""
    rows = decrypted_rows(frame.index, packets)
    if not rows:
        return scapy_summary
    return "decrypted: " + ", ".join(f"{r.layer} {r.name[: -len(' [decrypted]')]}" for r in rows)


def raw_frame_detail(
    frame: RawFrame, packets: list[PacketRow], dissection: str, carries_keys: bool, show_keys: bool
) -> str:
    """The detail pane of the frames view: scapy's ``dissection`` (redacted by
    ``safety.redact_dissection``), preceded — for a frame bpdiag decrypted — by a plain
    statement that the record holds ciphertext and by bpdiag's own decoded fields (already
    redacted by ``pdu_fields`` unless ``show_keys``): scapy cannot decrypt it."""
    from bpdiag.tui.safety import redact_dissection

    safe = redact_dissection(dissection, show_keys, carries_keys)
    rows = decrypted_rows(frame.index, packets)
    if not rows:
        return safe
    out = [
        f"Frame #{frame.index} is encrypted in the capture: bpdiag decrypted it "
        "(docs/decryption.md). The scapy dissection below is of the ciphertext; "
        "bpdiag decoded:",
    ]
    for r in rows:
        out.append(f"  {r.layer} {r.name}")
        out.extend(f"    {k} = {v}" for k, v in r.fields.items())
    out += ["", "scapy (the encrypted frame as captured):", safe]
    return "\n".join(out)


# ---------------------------------------------------------------- the rerun dialog
@dataclass(slots=True)
class RerunDefaults:
    """What the rerun dialog starts with for one recorded pairing, and why.

    bpdiag pair always runs as the central (the initiator), so the local parameters come from
    the recorded Pairing Request; the target is the recorded peripheral; and ``sim`` models
    the recorded responder as a ``generic`` simulated peer (from its Pairing Response, or its
    refusal), so a rerun can be tried at once without the device — clear it and give a
    transport or the bluez backend to try the real one."""

    target: str
    io: str
    mitm: bool
    sc: bool
    bond: bool
    key_size: int
    sim: str
    source: str  # one line: where the values came from
    init_keys: str = "EncKey,IdKey"  # key distribution asked for, as --init-keys takes it
    resp_keys: str = "EncKey,IdKey"


def peer_profile(p: Pairing) -> str:
    """A ``generic`` profile that answers like the recorded responder did."""
    from bpdiag.analysis.model import Side
    from bpdiag.live.base import IO_CAPABILITIES

    knobs: list[str] = []
    r = p.response
    if r is not None:
        if r.io_capability_name in IO_CAPABILITIES:
            knobs.append(f"io={r.io_capability_name}")
        if r.mitm:
            knobs.append("mitm=on")
        if not r.sc:
            knobs.append("sc=off")
        if not r.bonding:
            knobs.append("bonding=off")
        if r.max_key_size != 16:
            knobs.append(f"max-key-size={r.max_key_size}")
    elif p.security_request is not None and not p.security_request.sc:
        knobs.append("sc=off")
    if p.failure is not None and p.failure.sent_by == Side.RESPONDER and r is None:
        knobs.append(f"refuse=0x{p.failure.reason:02x}")
    return "generic" + (":" + ",".join(knobs) if knobs else "")


def _keys_text(names: tuple[str, ...] | None) -> str:
    if names is None:  # not in the capture (cut by the log): the stack's default
        return ""
    return ",".join(n for n in names if not n.startswith("reserved")) or "none"


def rerun_defaults_without_pairing(analysis: Analysis, connection: int | None) -> RerunDefaults:
    """For a capture (or connection) with no pairing: pair afresh with the peripheral."""
    conns = [c for c in analysis.connections if connection in (None, c.id)]
    from bpdiag.live.base import PairParams

    target = next((c.peripheral.address for c in conns if c.peripheral.address), None)
    pair = PairParams()
    return RerunDefaults(
        target=target or "sim",
        io=pair.io,
        mitm=pair.mitm,
        sc=pair.sc,
        bond=pair.bond,
        key_size=pair.key_size,
        sim="generic",
        source="no pairing recorded here: bpdiag pair's defaults",
    )


def rerun_defaults(analysis: Analysis, pairing_id: int) -> RerunDefaults:
    from bpdiag.analysis.index import connection_with, pairing_with

    p = pairing_with(analysis, pairing_id)
    if p is None:
        raise KeyError(f"no pairing {pairing_id}")
    conn = connection_with(analysis, p.connection)
    target = (conn.peripheral.address if conn is not None else None) or "sim"
    q = p.request
    if q is not None:
        source = f"local side from the Pairing Request (frame {q.frame}); peer modelled on "
        source += (
            f"its Pairing Response (frame {p.response.frame})"
            if p.response is not None
            else "its refusal"
            if p.failure is not None
            else "defaults (no response recorded)"
        )
        io = q.io_capability_name
        from bpdiag.live.base import IO_CAPABILITIES

        if io not in IO_CAPABILITIES:
            source += f"; its IO capability {io} is not one a host can offer: KeyboardDisplay"
            io = "KeyboardDisplay"
        return RerunDefaults(
            target=target,
            io=io,
            mitm=q.mitm,
            sc=q.sc,
            bond=q.bonding,
            key_size=q.max_key_size,
            sim=peer_profile(p),
            source=source,
            init_keys=_keys_text(q.initiator_keys),
            resp_keys=_keys_text(q.responder_keys),
        )
    return RerunDefaults(
        target=target,
        io="KeyboardDisplay",
        mitm=False,
        sc=True,
        bond=True,
        key_size=16,
        sim=peer_profile(p),
        source="no Pairing Request recorded: bpdiag pair's defaults",
    )


def opening_pairing(analysis: Analysis) -> Pairing | None:
    """The pairing the TUI opens on: the first failed one (what the user came for), else the
    first one, else None."""
    from bpdiag.analysis.model import Outcome

    failed = next((p for p in analysis.pairings if p.outcome == Outcome.FAILED), None)
    return failed or next(iter(analysis.pairings), None)
