"""Findings for BR/EDR (classic) pairing: the status of Simple Pairing Complete (Vol 4,
Part E, 7.7.45) and Authentication Complete (7.7.6), and the host's negative replies (7.1.11,
7.1.13, 7.1.31, 7.1.36), as ``analysis.bredr`` gathers them from a host's HCI log.

BR/EDR pairing runs in the controllers (LMP); the log holds only the requests, the answers
and the status, so a finding says what those say and no more.  Error codes: Vol 1, Part F,
1.3.
"""

from __future__ import annotations

from collections.abc import Iterator

from bpdiag.analysis.model import Analysis, BredrPairing
from bpdiag.decode import hci
from bpdiag.decode.hci import ErrorCode as E
from bpdiag.rules.base import Finding, check, finding, rule

BREDR_FAILED = rule("bredr-pairing-failed")

# What each status means when a BR/EDR pairing ends with it (Vol 1, Part F, 2.x per code)
_MEANING: dict[int, str] = {
    E.AUTHENTICATION_FAILURE: (
        "the pairing's authentication failed: the user rejected or mistyped the number or "
        "passkey, or the numeric comparison or passkey check failed"
    ),
    E.PIN_OR_KEY_MISSING: (
        "one side has no link key (or PIN) for the other: a stale bond, where one device "
        "forgot the pairing the other still holds; remove the bond on both sides and pair "
        "again"
    ),
    E.PAIRING_NOT_ALLOWED: (
        "pairing is not allowed now: the peer (or the local side) does not accept pairing, "
        "e.g. it is not in pairing mode or not pairable"
    ),
    E.PAIRING_WITH_UNIT_KEY_NOT_SUPPORTED: (
        "the peer asked for unit-key pairing (a deprecated legacy scheme), which is not supported"
    ),
    E.SECURE_SIMPLE_PAIRING_NOT_SUPPORTED_BY_HOST: (
        "a host does not support Secure Simple Pairing (it is not enabled on that host)"
    ),
    E.CONNECTION_TIMEOUT: (
        "the link timed out during the pairing: the peer went out of range or stopped answering"
    ),
    E.REMOTE_USER_TERMINATED_CONNECTION: "the link was closed by the peer during the pairing",
    E.CONNECTION_TERMINATED_BY_LOCAL_HOST: (
        "the link was closed by the local host during the pairing"
    ),
}

# What each negative reply the local host sent says (Vol 4, Part E, 7.1.x), and why a host
# sends it; a Link Key Request Negative Reply is no refusal: it asks for a new pairing
_REFUSALS: dict[int, tuple[str, str]] = {
    0x040C: (
        "the local host had no stored link key for the peer (Link Key Request Negative Reply)",
        "",
    ),
    0x040E: (
        "the local host gave no PIN (PIN Code Request Negative Reply)",
        "no agent was there to ask for one (BlueZ with no agent refuses on its own), or the "
        "user cancelled",
    ),
    0x0434: (
        "the local host refused to pair (IO Capability Request Negative Reply)",
        "no agent is registered to handle pairing, or the adapter is not pairable",
    ),
    0x042D: (
        "the local host rejected the numeric comparison (User Confirmation Request Negative Reply)",
        "the user said no, or no agent was there to ask (BlueZ with no agent rejects on its own)",
    ),
}
_LE_ONLY = (
    "bpdiag's deeper analysis (method, checks, keys) covers LE pairing (SMP), not BR/EDR: "
    "the BR/EDR pairing ran in the controllers, and this log shows only its HCI events."
)


def _io(values: tuple[int, int, int]) -> str:
    cap, oob, auth = values
    return (
        f"{hci.io_capability_name(cap)}, "
        f"{'OOB data' if oob else 'no OOB data'}, {hci.auth_requirements_name(auth)}"
    )


def _status(frame: int, status: int, what: str) -> str:
    return f"{what} at #{frame} says {hci.status_name(status)} (0x{status:02x})"


def _meaning(p: BredrPairing, status: int) -> str:
    no_pairing = p.simple_pairing is None and not p.io_frames
    given = p.key_given_frame
    stored_key = no_pairing and (
        given is not None
        or (
            not p.refusals
            and any(code == 0x17 for _f, code in p.requests)
            and not any(code == 0x16 for _f, code in p.requests)
        )
    )
    if status == E.PIN_OR_KEY_MISSING and no_pairing and given is not None:
        # the local host had a key and gave it (7.1.10): the missing key is the peer's
        return (
            f"the local host gave the controller its stored link key for the peer (Link Key "
            f"Request Reply, #{given}) and the authentication ended with PIN or Key Missing: "
            "the peer has no key for this host — it forgot the bond (reset, or paired again "
            "with another host), so the stored key is stale; remove the bond on this side and "
            "pair again with the peer in pairing mode"
        )
    if status == E.AUTHENTICATION_FAILURE and p.pin_given_frame is not None and no_pairing:
        # legacy PIN pairing (no IO capability exchange): the PINs differed, or the peer's
        # user gave none
        return (
            f"the PIN pairing failed after the local host gave a PIN (PIN Code Request Reply, "
            f"#{p.pin_given_frame}): the PIN entered here did not match the peer's (a device "
            "without a keyboard has a fixed PIN, often 0000 or 1234, given in its manual), or "
            "the peer's user entered none"
        )
    if status == E.AUTHENTICATION_FAILURE and p.passkey_given_frame is not None:
        return (
            f"the Passkey Entry failed after the local user typed a passkey (User Passkey "
            f"Request Reply, #{p.passkey_given_frame}): it did not match the one the peer "
            "showed, or the peer's user rejected the pairing"
        )
    if status == E.AUTHENTICATION_FAILURE and stored_key:
        # the stored key was used (a Link Key Request Reply, or a Link Key Request the host
        # did not refuse), and no pairing ran
        by = "" if given is None else f" (given at #{given}, Link Key Request Reply)"
        return (
            f"authentication with the stored link key{by} failed (no pairing ran): the two "
            "sides do not hold the same key, a stale bond; remove it on both sides and pair "
            "again"
        )
    meaning = _MEANING.get(status)
    if meaning is None:
        return f"the controller ended the pairing with {hci.status_name(status)}"
    return meaning


def _words(p: BredrPairing, frame: int, status: int) -> str:
    """The detail of a failed attempt whose first failing event is ``frame`` with
    ``status``."""
    peer = f" with {p.peer_address}" if p.peer_address else ""
    ends = []
    if p.simple_pairing is not None:
        ends.append(_status(*p.simple_pairing, "Simple Pairing Complete"))
    if p.authentication is not None:
        ends.append(_status(*p.authentication, "Authentication Complete"))
    out = [f"BR/EDR pairing{peer} failed: {'; '.join(ends)}."]
    out.append(f"For BR/EDR pairing this means {_meaning(p, status)}.")
    if p.local_io is not None or p.peer_io is not None:
        sides = []
        if p.local_io is not None:
            sides.append(f"local {_io(p.local_io)}")
        if p.peer_io is not None:
            sides.append(f"peer {_io(p.peer_io)}")
        out.append(f"IO capabilities (frames {', '.join(f'#{f}' for f in p.io_frames)}): ")
        out[-1] += "; ".join(sides) + "."
    for frame_r, opcode, reason in p.refusals:
        what, why = _REFUSALS[opcode]
        code = "" if reason is None else f", reason {hci.status_name(reason)} (0x{reason:02x})"
        out.append(f"At #{frame_r} {what}{code}.")
        if why:
            out.append(f"The local host itself refused: {why}.")
    if p.disconnect_frame is not None and p.disconnect_frame < frame:
        out.append(f"The connection ended at #{p.disconnect_frame}.")
    out.append(_LE_ONLY)
    return " ".join(out)


def _frames(p: BredrPairing) -> list[int]:
    given = [
        f for f in (p.key_given_frame, p.pin_given_frame, p.passkey_given_frame) if f is not None
    ]
    frames = [*given, *p.io_frames, *(r[0] for r in p.refusals)]
    frames += [e[0] for e in (p.simple_pairing, p.authentication) if e is not None]
    return frames


@check
def bredr_pairing_failed(analysis: Analysis) -> Iterator[Finding]:
    for p in analysis.bredr_pairings:
        result = p.result
        if result is not None and result[1] != 0:
            words = (_words, p, *result)
            yield finding(BREDR_FAILED, words, _frames(p), connection=p.connection)
