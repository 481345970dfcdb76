"""What would work: the local pairing parameters predicted to succeed against this peer.

From what the peer showed — its Security Request (what it asks for) and its Pairing Response
(its IO capability, MITM, SC, bonding, key size) — search the local choices (IO capability ×
MITM × SC) with the spec's method selection (Vol 3, Part H, 2.3.5.1) for the one that meets
both sides' requirements while asking for as little as possible, and say how to get it.

Claims follow the capture: a pairing refused before any Pairing Response shows nothing of the
peer's IO capability, MITM or SC support, so the advice says so — or uses the Pairing Response
the same peer sent in an earlier attempt — the same address, or the same identity where an
IRK in the capture resolved its private addresses — and says which.  When the peer's state
explains the failure (refused at once with 0x05/0x08 before any parameter exchange: not in
pairing mode; 0x09: its back-off), the request was not the cause: the advice keeps the
request's own parameters and puts the state first.
"""

from __future__ import annotations

import bisect
from dataclasses import InitVar, dataclass, field
from functools import cache, partial
from typing import TYPE_CHECKING, cast

from bpdiag.analysis.gc_pause import gc_paused
from bpdiag.analysis.index import index_of
from bpdiag.analysis.model import (
    Analysis,
    Connection,
    Features,
    MonitorEvent,
    Outcome,
    Pairing,
    Role,
    Side,
)
from bpdiag.analysis.pairing_method import (
    DISPLAY_ONLY,
    DISPLAY_YES_NO,
    KEYBOARD_DISPLAY,
    KEYBOARD_ONLY,
    NO_INPUT_NO_OUTPUT,
    method_for,
    select_method,
)
from bpdiag.decode.monitor import MGMT_NEGATIVE_REPLIES, MonitorOpcode
from bpdiag.decode.pdu import Layer
from bpdiag.decode.smp import ErrorCode, io_capability_name
from bpdiag.rules.base import Words, read_worded, worded
from bpdiag.rules.stories import is_unresolved_rpa, peers_of

# Local IO capabilities in order of preference (least user interaction first).
_LOCAL_IO = [NO_INPUT_NO_OUTPUT, DISPLAY_YES_NO, KEYBOARD_DISPLAY, KEYBOARD_ONLY, DISPLAY_ONLY]

_BLUEZ_AGENT = {
    NO_INPUT_NO_OUTPUT: "NoInputNoOutput",
    DISPLAY_ONLY: "DisplayOnly",
    DISPLAY_YES_NO: "DisplayYesNo",
    KEYBOARD_ONLY: "KeyboardOnly",
    KEYBOARD_DISPLAY: "KeyboardDisplay",
}


@dataclass(slots=True, eq=False)
class Suggestion:
    pairing: int
    io_capability: str
    mitm: bool
    sc: bool
    bonding: bool
    max_key_size: int
    method: str
    # ``why`` reads as a str (the property set below the class); given as a str or as
    # ``Words`` (rules.base), worded each time it is read, as a finding's detail is
    if TYPE_CHECKING:
        why: str | Words
    else:
        why: InitVar[str | Words]
    also: list[str] = field(default_factory=list)  # things to do besides the parameters
    commands: list[str] = field(default_factory=list)
    _why: str | Words = field(default="", init=False, repr=False)

    # ``why`` is an InitVar at run time; to mypy a field (RUF033 as in ``Pairing``)
    def __post_init__(self, why: str | Words = "") -> None:  # noqa: RUF033
        self._why = why


read_worded(Suggestion, "why")


def _peer_needs(p: Pairing, rsp: Features | None) -> tuple[bool, bool | None, bool]:
    """(peer requires MITM, peer SC (None = unknown), peer wants bonding)."""
    sr = p.security_request
    f = p.failure
    mitm = bool((rsp and rsp.mitm) or (sr and sr.mitm))
    if (
        f is not None
        and f.layer == Layer.SMP
        and f.reason == ErrorCode.AUTHENTICATION_REQUIREMENTS
        and (f.sent_by == Side.RESPONDER or (f.sent_by == Side.UNKNOWN and f.local is False))
    ):
        # The peer refused our offer for its authentication requirements: it needs MITM
        # (or SC — handled by offering SC too).  A log that shows no role still shows that
        # the other device sent it.
        mitm = True
    sc: bool | None = None
    if rsp is not None:
        sc = rsp.sc
    elif sr is not None:
        sc = sr.sc
    bonding = bool((rsp and rsp.bonding) or (sr and sr.bonding) or rsp is None)
    return mitm, sc, bonding


_STATE_FIX = "; the fix is the peer's state: "
_NOT_IN_PAIRING_MODE = (
    "put it in pairing mode (e.g. hold its Bluetooth button) and pair within its window"
)
_BACK_OFF = "wait for its back-off to expire (or power-cycle it) before retrying"


def _peer_state(p: Pairing, gap: int | None = None) -> tuple[str, str] | None:
    """Why the peer's state, not the request, explains the failure, and the fix for that
    state (the fix is the same words for every pairing: it names no frame), or None.
    ``gap``: a record before which the log leaves some out, between the pairing's start and
    its failure (then "at once" cannot be known)."""
    f = p.failure
    if f is None or f.layer != Layer.SMP or f.sent_by != Side.RESPONDER:
        return None
    if (
        f.reason in (ErrorCode.PAIRING_NOT_SUPPORTED, ErrorCode.UNSPECIFIED_REASON)
        and p.response is None
        and not p.phase2_started
        and gap is None
    ):
        return (
            f"the peer refused at once ({f.name}, #{f.frame}) before any parameter exchange — "
            "the request was not the cause",
            _NOT_IN_PAIRING_MODE,
        )
    if f.reason == ErrorCode.REPEATED_ATTEMPTS:
        return (
            f"the peer refused with Repeated Attempts (#{f.frame}) — the request was not the cause",
            _BACK_OFF,
        )
    return None


def _state_is_the_cause(p: Pairing, gap: int | None = None) -> str | None:
    """Why the peer's state, not the request, explains the failure (or None)."""
    state = _peer_state(p, gap)
    return None if state is None else state[0] + _STATE_FIX + state[1]


def _keep_why(p: Pairing) -> str:
    """``_keep_request``'s why: the peer's state (``_peer_state``, not None for ``p``) and
    the request to keep (``p.request``)."""
    why, fix = cast(tuple[str, str], _peer_state(p))
    frame = cast(Features, p.request).frame
    return (
        f"{why[0].upper()}{why[1:]}{_STATE_FIX}{fix}. Keep the parameters of Pairing Request "
        f"#{frame}."
    )


def _keep_request(
    p: Pairing, req: Features, state: tuple[str, str], rsp: Features | None
) -> Suggestion:
    """The request was fine: advise the same parameters and the state change."""
    method = "unknown (no Pairing Response from this peer in the capture)"
    if rsp is not None:
        sel = method_for(req, rsp)
        if sel is not None:
            method = sel.method.value
    fix = state[1]
    return Suggestion(
        pairing=p.id,
        io_capability=io_capability_name(req.io_capability),
        mitm=req.mitm,
        sc=req.sc,
        bonding=req.bonding,
        max_key_size=req.max_key_size,
        method=method,
        why=(_keep_why, p),  # worded when read: each names its own frames
        also=[fix],
        commands=list(_keep_commands(req.io_capability)),
    )


@cache
def _keep_commands(io: int) -> tuple[str, ...]:
    agent = _BLUEZ_AGENT.get(io, "KeyboardDisplay")
    return (
        f"bluetoothctl: agent {agent} ; default-agent ; pair <address>   (once the device "
        "is in pairing mode)",
    )


@cache
def _choice(
    peer_io: int | None, peer_oob: bool, need_mitm: bool, peer_mitm: bool, sc: bool
) -> tuple[int, bool, str] | None:
    """The first local IO capability (in ``_LOCAL_IO``'s order) whose method meets the
    peer's needs: (io, mitm, method), or None; the same few inputs recur for every
    failure of a long log, so each is worked out once."""
    if peer_io is None:
        # Peer IO unknown (no Pairing Response): offer what a typical central can.
        if need_mitm:
            return (KEYBOARD_DISPLAY, need_mitm, "passkey_entry or numeric_comparison")
        return (NO_INPUT_NO_OUTPUT, need_mitm, "just_works")
    peer = partial(
        select_method, responder_io=peer_io, responder_oob=peer_oob, responder_mitm=peer_mitm
    )
    for io in _LOCAL_IO:
        sel = peer(
            initiator_io=io, initiator_oob=False, initiator_mitm=need_mitm, secure_connections=sc
        )
        if sel is None:
            continue
        if need_mitm and not sel.authenticated:
            continue
        return (io, need_mitm, sel.method.value)
    return None


@cache
def _commands(io: int, mitm: bool, sc: bool, bonding: bool, enable_sc: bool) -> tuple[str, ...]:
    """The commands that set up the suggested parameters (``enable_sc``: the adapter did
    not offer SC, so it must be turned on first)."""
    agent = _BLUEZ_AGENT[io]
    commands = (
        f"bluetoothctl: agent {agent} ; default-agent ; pair <address>",
        "bpdiag pair <address> --io "
        f"{agent} {'--mitm' if mitm else '--no-mitm'} {'--sc' if sc else '--legacy'} "
        f"{'--bond' if bonding else '--no-bond'} --key-size 16",
    )
    if enable_sc:
        return ("btmgmt sc on   (enable LE Secure Connections on the adapter)", *commands)
    return commands


@cache
def _peer_is(peer_io: int) -> str:
    return f"the peer is {io_capability_name(peer_io)}"


@cache
def _why_rest(
    need_mitm: bool, shown_mitm: bool, known_rsp: bool, sc: bool, peer_sc: bool, method: str
) -> str:
    """The clauses of a suggestion's ``why`` after the first (what the peer is), each with
    its "; ", and the method the spec selects: the same few for every failure of a log."""
    why = []
    if need_mitm and not shown_mitm:
        why.append(
            "its refusal with Authentication Requirements (0x03) says it needs more than was "
            "offered: MITM (or Secure Connections)"
        )
    elif need_mitm:
        why.append("it requires MITM")
    elif known_rsp:
        why.append("it does not require MITM")
    if sc and peer_sc:
        why.append("it supports LE Secure Connections")
    elif sc:
        why.append("offering Secure Connections costs nothing (it falls back to legacy)")
    return "".join(f"; {w}" for w in why) + (
        f" — with these settings the spec selects {method.replace('_', ' ')}."
    )


def suggest(
    p: Pairing, earlier: Features | None = None, gap: int | None = None
) -> Suggestion | None:
    """The least demanding local parameters that satisfy the peer, for a failed pairing.
    ``earlier``: the peer's Pairing Response from an earlier attempt, used when this attempt
    has none (and said so); ``gap``: as for ``_peer_state``."""
    if p.outcome == Outcome.SUCCESS:
        return None
    state = _peer_state(p, gap)
    rsp = p.response if p.response is not None else earlier
    if state is not None and p.request is not None:
        return _keep_request(p, p.request, state, rsp)
    peer_io = rsp.io_capability if rsp is not None else None
    peer_oob = bool(rsp and rsp.oob)
    need_mitm, peer_sc, bonding = _peer_needs(p, rsp)
    sc_only_peer = bool(
        p.failure
        and p.failure.reason == ErrorCode.AUTHENTICATION_REQUIREMENTS
        and p.failure.sent_by == Side.RESPONDER
        and p.request is not None
        and not p.request.sc
        and peer_sc
    )
    # Offering SC costs nothing when the peer's support is unknown: it falls back to legacy.
    sc = peer_sc is None or bool(peer_sc) or sc_only_peer
    choice = _choice(peer_io, peer_oob, need_mitm, bool(rsp and rsp.mitm), sc)
    also: list[str] = []
    f = p.failure
    if state is not None:
        also.append(state[1])
    elif (
        f is not None
        and f.layer == Layer.SMP
        and f.reason in (ErrorCode.PAIRING_NOT_SUPPORTED, ErrorCode.UNSPECIFIED_REASON)
        and not p.phase2_started
    ):
        also.append("put the device in pairing mode first (e.g. hold its Bluetooth button)")
    if (
        f is not None
        and f.layer == Layer.SMP
        and f.reason
        in (
            ErrorCode.CONFIRM_VALUE_FAILED,
            ErrorCode.DHKEY_CHECK_FAILED,
            ErrorCode.NUMERIC_COMPARISON_FAILED,
        )
    ):
        also.append("enter or confirm the passkey exactly as the other device shows it")
    if choice is None:
        return Suggestion(
            pairing=p.id,
            io_capability="none",
            mitm=need_mitm,
            sc=sc,
            bonding=bonding,
            max_key_size=16,
            method="none",
            why=(
                (
                    f"No Pairing Response in this attempt; the peer's earlier Pairing Response "
                    f"#{rsp.frame} shows it is {io_capability_name(rsp.io_capability)}. "
                    if rsp is not None and rsp is not p.response
                    else ""
                )
                + f"The peer is {io_capability_name(peer_io or 0)} and requires MITM: no local "
                "IO capability gives an authenticated method with it (use OOB, or change the "
                "peer's requirements)."
            ),
            also=also,
        )
    io, mitm, method = choice
    if rsp is not None and rsp is not p.response:
        first = (
            f"no Pairing Response in this attempt; the peer's earlier Pairing Response "
            f"#{rsp.frame} shows it is {io_capability_name(rsp.io_capability)}"
        )
    elif peer_io is not None:
        first = _peer_is(peer_io)
    else:
        first = (
            "no Pairing Response from this peer is in the capture, so its IO capability, MITM "
            "and SC support are not known"
        )
    shown_mitm = bool((rsp and rsp.mitm) or (p.security_request and p.security_request.mitm))
    why = first + _why_rest(need_mitm, shown_mitm, rsp is not None, sc, bool(peer_sc), method)
    commands = list(
        _commands(io, mitm, sc, bonding, sc and p.request is not None and not p.request.sc)
    )
    return Suggestion(
        pairing=p.id,
        io_capability=io_capability_name(io),
        mitm=mitm,
        sc=sc,
        bonding=bonding,
        max_key_size=16,
        method=method,
        why=why,
        also=also,
        commands=commands,
    )


def _level(s: Suggestion) -> str:
    return "high" if s.mitm else "medium"


def _host_refusals(analysis: Analysis) -> list[MonitorEvent]:
    """bluetoothd's negative replies to the kernel's prompts (MGMT Control Command records,
    doc/mgmt-api.txt 0x0017, 0x001D, 0x001F), in frame order."""
    return [
        ev
        for ev in index_of(analysis).monitor_events(MonitorOpcode.CONTROL_COMMAND)
        if ev.values.get("opcode") in MGMT_NEGATIVE_REPLIES
    ]


def _host_refused(
    p: Pairing, c: Connection | None, refusals: list[MonitorEvent]
) -> MonitorEvent | None:
    """The negative reply behind ``p``'s Pairing Failed, when this host sent that failure
    after answering a prompt with one during the pairing."""
    f = p.failure
    if f is None or f.layer != Layer.SMP or c is None or c.local_role is None or not refusals:
        return None
    if f.sent_by != (Side.INITIATOR if c.local_role == Role.CENTRAL else Side.RESPONDER):
        return None
    frames = [ev.frame for ev in refusals]
    i = bisect.bisect_right(frames, f.frame) - 1
    return refusals[i] if i >= 0 and frames[i] >= p.first_frame else None


def _request_key(f: Features) -> tuple[object, ...]:
    keys = tuple(f.initiator_keys) if f.initiator_keys is not None else None
    return (f.io_capability, f.oob, f.auth_req, f.max_key_size, keys)


def _shared(
    s: Suggestion, texts: dict[str, str], lists: dict[tuple[str, ...], list[str]]
) -> Suggestion:
    """``s`` with its texts, and its lists of them, replaced by the equal ones an earlier
    suggestion kept: the failures of a long log repeat the same few pieces of advice
    thousands of times.  A list is then one of many suggestions': it is not changed in
    place once made (``suggestions`` makes its changes before this)."""
    why = s._why
    if type(why) is str:  # (one worded when read stays so)
        s.why = texts.setdefault(why, why)
    also, commands = tuple(s.also), tuple(s.commands)
    s.also = lists.get(also) or lists.setdefault(also, [texts.setdefault(a, a) for a in also])
    s.commands = lists.get(commands) or lists.setdefault(
        commands, [texts.setdefault(c, c) for c in commands]
    )
    return s


def _came_earlier(why: str | Words, frame: int, other: str) -> str:
    """``why``, and that a Pairing Response (``frame``) came from another unresolved
    private address (``other``) and is not used."""
    return worded(why) + (
        f" A Pairing Response (#{frame}) came earlier from {other}, another resolvable "
        "private address: it may be this device under a new address, but the capture has no "
        "IRK to resolve either, so the peer could not be matched and that response is not used."
    )


def _succeeded_later(why: str | Words, pairing: int, frame: int) -> str:
    """``why``, and that the same request succeeded later (``pairing``, its Pairing Request
    ``frame``): each names its own frames, so it is worded when read."""
    return worded(why) + (
        f" The same request succeeded later (pairing {pairing}, Pairing Request #{frame})."
    )


@gc_paused()
def suggestions(analysis: Analysis) -> list[Suggestion]:
    from bpdiag.rules.tools import gatttool_seen

    gatttool = gatttool_seen(analysis)
    idx = index_of(analysis)
    # the same peer across its private addresses where an IRK resolved them (peer_key)
    peer_of = peers_of(analysis).of_connection
    # request → peer → the next pairing that succeeded with it, filled walking backwards (a
    # map per request, of which a log has a few: no (peer, request) key made per pairing)
    later_success: dict[tuple[object, ...], dict[str, Pairing]] = {}
    proven: dict[int, Pairing] = {}  # failed pairing id → a later success with its request
    for p in reversed(analysis.pairings):
        if p.request is None:
            continue
        peer = peer_of.get(p.connection)
        if peer is None:
            continue
        outcome = p.outcome
        if outcome == Outcome.FAILED:
            if later_success:  # (no key to build before the first success is met)
                by_peer = later_success.get(_request_key(p.request))
                ok = by_peer.get(peer) if by_peer is not None else None
                if ok is not None:
                    proven[p.id] = ok
        elif outcome == Outcome.SUCCESS:
            later_success.setdefault(_request_key(p.request), {})[peer] = p
    del later_success
    refusals = _host_refusals(analysis)
    last_response: dict[str, Features] = {}  # peer → its latest Pairing Response
    # the latest Pairing Response from a resolvable private address no IRK resolved
    last_rpa_response: tuple[str, Features] | None = None
    out = []
    texts: dict[str, str] = {}  # each text once (_shared)
    lists: dict[tuple[str, ...], list[str]] = {}  # each list of them once
    for p in analysis.pairings:
        peer = peer_of.get(p.connection)
        c = idx.connection(p.connection)
        if p.outcome == Outcome.FAILED:
            earlier = last_response.get(peer) if peer is not None else None
            gap = idx.missing_before_failure(p)
            s = suggest(p, earlier, gap)
            if s is not None:
                said = _host_refused(p, c, refusals)
                if said is not None:
                    # not a user's typo: the logged host had nobody to ask (bluez_host)
                    s.also = [a for a in s.also if not a.startswith("enter or confirm")]
                    s.also.insert(
                        0,
                        f"this host answered the kernel's prompt with "
                        f"{said.values.get('opcode_name')} (#{said.frame}): its agent said "
                        "no, or it had none — register one that answers (bluetoothctl: "
                        "agent on ; default-agent) and confirm when asked",
                    )
                if (
                    p.response is None
                    and earlier is None
                    and c is not None
                    and is_unresolved_rpa(c)
                    and last_rpa_response is not None
                    and last_rpa_response[0] != peer
                ):
                    other, rsp = last_rpa_response
                    s.why = (_came_earlier, s._why, rsp.frame, other)  # worded when read
                if gatttool:  # only where the capture shows gatttool in use (deprecated)
                    s.commands.insert(1, f"gatttool -b <address> --sec-level={_level(s)} …")
                ok = proven.get(p.id)
                if ok is not None and ok.request is not None and _state_is_the_cause(p, gap):
                    s.why = (_succeeded_later, s._why, ok.id, ok.request.frame)  # (as above)
                out.append(_shared(s, texts, lists))
        if p.response is not None and peer is not None:
            last_response[peer] = p.response
            if c is not None and is_unresolved_rpa(c):
                last_rpa_response = (peer, p.response)
    return out
