"""What would work: the local pairing parameters predicted to succeed against this peer.

From what the peer showed — its Security Request (what it asks for) and its Pairing Response
(its IO capability, MITM, SC, bonding, key size) — search the local choices (IO capability ×
MITM × SC) with the spec's method selection (Vol 3, Part H, 2.3.5.1) for the one that meets
both sides' requirements while asking for as little as possible, and say how to get it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bpdiag.analysis.model import Analysis, Pairing
from bpdiag.analysis.pairing_method import (
    DISPLAY_ONLY,
    DISPLAY_YES_NO,
    KEYBOARD_DISPLAY,
    KEYBOARD_ONLY,
    NO_INPUT_NO_OUTPUT,
    select_method,
)
from bpdiag.decode.smp import io_capability_name

# Local IO capabilities in order of preference (least user interaction first).
_LOCAL_IO = [NO_INPUT_NO_OUTPUT, DISPLAY_YES_NO, KEYBOARD_DISPLAY, KEYBOARD_ONLY, DISPLAY_ONLY]

_BLUEZ_AGENT = {
    NO_INPUT_NO_OUTPUT: "NoInputNoOutput",
    DISPLAY_ONLY: "DisplayOnly",
    DISPLAY_YES_NO: "DisplayYesNo",
    KEYBOARD_ONLY: "KeyboardOnly",
    KEYBOARD_DISPLAY: "KeyboardDisplay",
}


@dataclass(slots=True)
class Suggestion:
    pairing: int
    io_capability: str
    mitm: bool
    sc: bool
    bonding: bool
    max_key_size: int
    method: str
    why: str
    also: list[str] = field(default_factory=list)  # things to do besides the parameters
    commands: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "pairing": self.pairing,
            "io_capability": self.io_capability,
            "mitm": self.mitm,
            "sc": self.sc,
            "bonding": self.bonding,
            "max_key_size": self.max_key_size,
            "method": self.method,
            "why": self.why,
            "also": self.also,
            "commands": self.commands,
        }


def _peer_needs(p: Pairing) -> tuple[bool, bool | None, bool]:
    """(peer requires MITM, peer SC (None = unknown), peer wants bonding)."""
    rsp, sr = p.response, p.security_request
    f = p.failure
    mitm = bool((rsp and rsp.mitm) or (sr and sr.mitm))
    if f is not None and f.layer == "smp" and f.reason == 0x03 and f.sent_by == "responder":
        # The peer refused our offer for its authentication requirements: it needs MITM
        # (or SC — handled by offering SC too).
        mitm = True
    sc: bool | None = None
    if rsp is not None:
        sc = rsp.sc
    elif sr is not None:
        sc = sr.sc
    bonding = bool((rsp and rsp.bonding) or (sr and sr.bonding) or rsp is None)
    return mitm, sc, bonding


def suggest(p: Pairing) -> Suggestion | None:
    """The least demanding local parameters that satisfy the peer, for a failed pairing."""
    if p.outcome == "success":
        return None
    peer_io = p.response.io_capability if p.response is not None else None
    peer_oob = bool(p.response and p.response.oob)
    need_mitm, peer_sc, bonding = _peer_needs(p)
    sc_only_peer = bool(
        p.failure
        and p.failure.reason == 0x03
        and p.failure.sent_by == "responder"
        and p.request is not None
        and not p.request.sc
        and peer_sc
    )
    # Offering SC costs nothing when the peer's support is unknown: it falls back to legacy.
    sc = peer_sc is None or bool(peer_sc) or sc_only_peer
    choice = None
    for io in _LOCAL_IO:
        mitm = need_mitm
        if peer_io is None:
            # Peer IO unknown (no Pairing Response): offer what a typical central can.
            io = KEYBOARD_DISPLAY if need_mitm else NO_INPUT_NO_OUTPUT
            method = "passkey_entry or numeric_comparison" if need_mitm else "just_works"
            choice = (io, mitm, method)
            break
        sel = select_method(
            initiator_io=io,
            responder_io=peer_io,
            initiator_oob=False,
            responder_oob=peer_oob,
            initiator_mitm=mitm,
            responder_mitm=bool(p.response and p.response.mitm),
            secure_connections=sc,
        )
        if sel is None:
            continue
        if need_mitm and not sel.authenticated:
            continue
        choice = (io, mitm, sel.method.value)
        break
    also: list[str] = []
    f = p.failure
    if f is not None and f.layer == "smp" and f.reason in (0x05, 0x08) and not p.phase2_started:
        also.append("put the device in pairing mode first (e.g. hold its Bluetooth button)")
    if f is not None and f.layer == "smp" and f.reason == 0x09:
        also.append("wait for the peer's back-off to expire (or power-cycle it) before retrying")
    if f is not None and f.layer == "smp" and f.reason in (0x04, 0x0B, 0x0C):
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
                f"The peer is {io_capability_name(peer_io or 0)} and requires MITM: no local "
                "IO capability gives an authenticated method with it (use OOB, or change the "
                "peer's requirements)."
            ),
            also=also,
        )
    io, mitm, method = choice
    why = []
    if peer_io is not None:
        why.append(f"the peer is {io_capability_name(peer_io)}")
    known = p.response is not None or p.security_request is not None
    if known or need_mitm:
        why.append("it requires MITM" if need_mitm else "it does not require MITM")
    if peer_sc:
        why.append("it supports LE Secure Connections")
    if not known:
        # Claim nothing the capture does not show (a missed or cut Pairing Response).
        other = "other " if need_mitm else ""
        why.append(
            f"its Pairing Response is not in the capture, so its {other}requirements are unknown"
        )
    agent = _BLUEZ_AGENT[io]
    commands = [
        f"bluetoothctl: agent {agent} ; default-agent ; pair <address>",
        "bpdiag pair <address> --io "
        f"{agent} {'--mitm' if mitm else '--no-mitm'} {'--sc' if sc else '--legacy'} "
        f"{'--bond' if bonding else '--no-bond'} --key-size 16",
    ]
    if sc and p.request is not None and not p.request.sc:
        commands.insert(0, "btmgmt sc on   (enable LE Secure Connections on the adapter)")
    return Suggestion(
        pairing=p.id,
        io_capability=io_capability_name(io),
        mitm=mitm,
        sc=sc,
        bonding=bonding,
        max_key_size=16,
        method=method,
        why="; ".join(why) + f" — with these settings the spec selects {method.replace('_', ' ')}.",
        also=also,
        commands=commands,
    )


def _level(s: Suggestion) -> str:
    return "high" if s.mitm else "medium"


def suggestions(analysis: Analysis) -> list[Suggestion]:
    from bpdiag.rules.tools import gatttool_seen

    gatttool = gatttool_seen(analysis)
    out = []
    for p in analysis.pairings:
        if p.outcome == "failed":
            s = suggest(p)
            if s is not None:
                if gatttool:  # only where the capture shows gatttool in use (deprecated)
                    s.commands.insert(1, f"gatttool -b <address> --sec-level={_level(s)} …")
                out.append(s)
    return out
