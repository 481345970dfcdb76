"""Findings that read several security procedures with one peer as one story.

One attempt alone can mislead: a refusal looks like a parameter problem until the same request
is accepted later; a timeout looks like bad luck until it repeats.  These rules index the
pairings by peer once (``peers_of``) and look each peer's attempts up by key — no rule scans
all pairings for each pairing — and a Security Request nobody answered is its own finding
(Vol 3, Part H, 3.6.7), not an incomplete pairing.  A peer is its identity address where
an IRK in the capture resolved its private address (``peer_key``), so a device that changed
its resolvable private address between connections is still one peer; unresolved private
addresses are not matched.

Spec: Vol 3, Part H, 2.3.6 (Repeated Attempts), 3.4 (SMP timeout 30 s), 3.5.5 (Pairing
Failed reasons), 3.6.7 (Security Request), 2.4.6 (encryption with a stored key).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import pairwise
from operator import itemgetter
from typing import cast
from weakref import WeakKeyDictionary

from bpdiag.analysis.index import AnalysisIndex, PerConnection, index_of
from bpdiag.analysis.model import (
    Analysis,
    Connection,
    Endpoint,
    Failure,
    Features,
    Outcome,
    Pairing,
    RequestOutcome,
    Role,
    SecurityProcedure,
    Side,
)
from bpdiag.decode.hci import ErrorCode as HciError
from bpdiag.decode.pdu import Layer
from bpdiag.decode.smp import ErrorCode
from bpdiag.rules.base import Finding, check, finding, rule

SMP_TIMEOUT_S = 30.0
_TIMEOUT_SLACK_S = 1.0  # timers and timestamps are not exact


# ------------------------------------------------------------------ the index


def _pairings(entry: Pairing | tuple[Pairing, ...]) -> Sequence[Pairing]:
    """A peer's pairings in order, from its entry in ``Peers.pairings``."""
    return (entry,) if isinstance(entry, Pairing) else entry


def remote(c: Connection) -> Endpoint:
    """The remote device: the side that is not local (HCI), the peripheral (air)."""
    if c.local_role == Role.CENTRAL:
        return c.peripheral
    if c.local_role == Role.PERIPHERAL:
        return c.central
    return c.peripheral if c.peripheral.address is not None else c.central


def peer_key(c: Connection) -> str | None:
    """Who the remote device is, across its private addresses: the identity address an IRK
    in the capture (or a key file) resolved its resolvable private address to (Vol 3, Part H,
    2.4.2.1; Vol 6, Part B, 1.3.2.2), else the address it used.  Two connections from one
    device under two unresolved private addresses are not matched: nothing in the capture
    says they are the same device."""
    ep = remote(c)
    return ep.identity or ep.address


def is_unresolved_rpa(c: Connection) -> bool:
    """The remote side used a resolvable private address that no IRK resolved."""
    ep = remote(c)
    if ep.address is None or ep.identity is not None:
        return False
    if ep.address_type is not None and "random" not in ep.address_type:
        return False
    try:
        top = int(ep.address[:2], 16)
    except ValueError:
        return False
    return top >> 6 == 0b01


def _label(addr: str, aliases: list[str] | None) -> str:
    """The peer as a finding names it: its identity and the private addresses it used
    (``aliases``: the addresses other than ``addr`` its connections showed, in order)."""
    others = list(dict.fromkeys(aliases)) if aliases else None
    if not others:
        return addr
    return f"{addr} (identity address; it connected as {', '.join(others)})"


@dataclass(slots=True)
class Peers:
    """The pairings grouped by peer (``peer_key``), built once per analysis index."""

    # The peers that paired, in the order each one's first connection came: its key and its
    # pairings in order, a lone one as itself (most peers of a long log paired once, and the
    # table lives as long as its analysis's index).  Two lists, not a map: they are only
    # walked (``items``), and a map's table costs some 60 bytes a peer.
    keys: list[str]
    pairings: list[Pairing | tuple[Pairing, ...]]
    # the addresses other than its key that a peer's connections showed (private addresses
    # an IRK resolved to the key), in order; only the peers that have some
    aliases: dict[str, list[str]]
    of_connection: PerConnection[str]  # connection id → its peer's key (``get``)

    def items(self) -> Iterator[tuple[str, Sequence[Pairing]]]:
        """Each peer that paired, with its pairings, in order."""
        for addr, entry in zip(self.keys, self.pairings, strict=True):
            yield addr, _pairings(entry)


# One table per analysis index: the stories and the advice ask for the same peers, and an
# index (rebuilt when the analysis's lists change) is dropped with its analysis.
_PEERS: WeakKeyDictionary[AnalysisIndex, Peers] = WeakKeyDictionary()


def peers_of(analysis: Analysis) -> Peers:
    """The analysis's peers and each connection's peer, built on first use."""
    idx = index_of(analysis)
    table = _PEERS.get(idx)
    if table is None:
        table = _PEERS[idx] = _peers(analysis)
    return table


def _peers(analysis: Analysis) -> Peers:
    aliases: dict[str, list[str]] = {}
    of_connection: PerConnection[str] = PerConnection(len(analysis.connections))
    keyed: list[tuple[str, int, int]] = []  # (peer, position, id) of its connections
    for pos, c in enumerate(analysis.connections):
        ep = remote(c)
        addr = ep.identity or ep.address  # peer_key(c), with remote(c) asked once
        if addr is not None:
            shown = ep.address
            if shown is not None and shown != addr:
                aliases.setdefault(addr, []).append(shown)
            of_connection.set(c.id, addr)
            keyed.append((addr, pos, c.id))
    # Where each peer's first connection came, told by sorting its connections by peer
    # (stable), not by a map of every peer: on a long log that map was the largest block
    # the rules made.  The peers come in that order, each one's pairings in theirs.
    keyed.sort(key=itemgetter(0))
    lead_of: PerConnection[int] = PerConnection(len(analysis.connections))
    lead: tuple[str | None, int] = (None, 0)
    for addr, pos, cid in keyed:
        if addr != lead[0]:
            lead = (addr, pos)
        if of_connection.get(cid) == addr:  # (ids repeated by hand: the peer kept for it)
            lead_of.set(cid, lead[1])
    del keyed
    paired = [(lead_of.get(p.connection), p) for p in analysis.pairings]
    grouped = sorted(((at, p) for at, p in paired if at is not None), key=itemgetter(0))
    del paired
    keys: list[str] = []
    pairings: list[Pairing | tuple[Pairing, ...]] = []
    i, n = 0, len(grouped)
    while i < n:
        at, p = grouped[i]
        j = i + 1
        while j < n and grouped[j][0] == at:
            j += 1
        keys.append(cast(str, of_connection.get(p.connection)))
        pairings.append(p if j == i + 1 else tuple(q for _at, q in grouped[i:j]))
        i = j
    return Peers(keys, pairings, aliases, of_connection)


def _next_on_connection(p: Pairing, idx: AnalysisIndex) -> Pairing | None:
    """The pairing after ``p`` on its connection (by id order), if any."""
    found = None
    for a, b in pairwise(idx.pairings_of(p.connection)):
        if a.id == p.id:
            found = b
    return found


def _request_key(f: Features) -> tuple[object, ...]:
    """What makes two Pairing Requests the same request."""
    return (
        f.io_capability,
        f.oob,
        f.auth_req,
        f.max_key_size,
        tuple(f.initiator_keys) if f.initiator_keys is not None else None,
        tuple(f.responder_keys) if f.responder_keys is not None else None,
    )


def _refused_at_once(p: Pairing) -> bool:
    f = p.failure
    return (
        f is not None
        and f.layer == Layer.SMP
        and f.reason in (ErrorCode.PAIRING_NOT_SUPPORTED, ErrorCode.UNSPECIFIED_REASON)
        and f.sent_by == Side.RESPONDER
        and p.response is None
        and not p.phase2_started
    )


def _timed_out_after(p: Pairing, idx: AnalysisIndex, analysis: Analysis) -> float | None:
    """Seconds of silence after the pairing's last PDU, when that silence reached the SMP
    timeout (a disconnection, the next pairing on the link, or the capture's end)."""
    if p.outcome != Outcome.INCOMPLETE or not p.steps:
        return None
    last = p.steps[-1].time
    c = idx.connection(p.connection)
    nxt: float | None = None
    if c is not None and c.disconnect_time is not None and c.disconnect_time >= last:
        nxt = c.disconnect_time
    q = _next_on_connection(p, idx)
    if q is not None and q.steps:
        t = q.steps[0].time
        nxt = t if nxt is None else min(nxt, t)
    if nxt is None:
        nxt = analysis.capture.last_time
    if nxt is None or nxt - last < SMP_TIMEOUT_S - _TIMEOUT_SLACK_S:
        return None
    return nxt - last


def _failure_key(p: Pairing) -> tuple[str, int, str] | None:
    f = p.failure
    return None if f is None else (f.layer, f.reason, f.sent_by)


# ------------------------------------------------------------------ the checks


def _ignored_detail(
    sr: SecurityProcedure,
    c: Connection | None,
    gap: int | None,
    timed: bool = True,
    last_time: float | None = None,
) -> str:
    req = sr.request
    asked = ", ".join(
        w for w, on in (("bonding", req.bonding), ("MITM", req.mitm), ("SC", req.sc)) if on
    )
    asked = f" ({asked})" if asked else ""
    again = f", repeated {sr.repeats} time(s)," if sr.repeats else ""
    text = f"The peripheral sent a Security Request at #{req.frame}{asked}{again} and the central "
    if sr.outcome == RequestOutcome.DISCONNECTED and sr.answer_frame is not None:
        reason = ""
        if c is not None and c.disconnect_reason is not None:
            reason = f": {c.disconnect_reason_name} (0x{c.disconnect_reason:02x})"
            if c.disconnected_by:
                reason += f", by the {c.disconnected_by}"
        after = ""
        if sr.answer_time is not None and timed:  # (a log without time stamps: not known)
            after = f", {sr.answer_time - sr.time:.1f} s later"
        text += (
            f"neither paired nor encrypted before the link closed at #{sr.answer_frame}"
            f"{after}{reason}."
        )
    elif not timed:
        # a log without time stamps: how long the central had is not known
        text += (
            "neither paired nor encrypted before the log ends, and the log carries no time "
            "stamps to tell whether the central had the 30 s the peripheral waits "
            "(Vol 3, Part H, 3.4): whether it answered later is not known."
        )
    elif last_time is not None and last_time - sr.time < SMP_TIMEOUT_S:
        # the stacks start the 30 s SMP timer when they send a Security Request (Linux
        # smp_send_cmd, Zephyr smp_send): a capture that ends sooner cannot show the answer
        left = max(last_time - sr.time, 0.0)
        text += (
            f"neither paired nor encrypted before the capture ends {left:.1f} s later, before "
            f"the {SMP_TIMEOUT_S:.0f} s SMP timeout could show whether it answered."
        )
    else:
        text += "neither paired nor encrypted before the capture ends."
    if gap is not None:  # a pasted log left records out after the request
        text += (
            f" The log leaves records out before #{gap}, so whether the central answered "
            "there is not known."
        )
    return text


SECURITY_REQUEST_IGNORED = rule("security-request-ignored")


@check
def security_requests(analysis: Analysis) -> Iterator[Finding]:
    if not analysis.security_requests:
        return
    idx = index_of(analysis)
    for sr in analysis.security_requests:
        if sr.outcome not in (RequestOutcome.UNANSWERED, RequestOutcome.DISCONNECTED):
            continue  # encrypted: a bonded reconnection; refused: bond-lost says it
        frames = [sr.request.frame]
        if sr.answer_frame is not None:
            frames.append(sr.answer_frame)
        gap = idx.missing_between(sr.request.frame, sr.answer_frame)
        yield finding(
            SECURITY_REQUEST_IGNORED,
            _ignored_detail(
                sr,
                idx.connection(sr.connection),
                gap,
                analysis.capture.timed,
                analysis.capture.last_time,
            ),
            frames,
            connection=sr.connection,
        )


@check
def peer_stories(analysis: Analysis) -> Iterator[Finding]:
    if not analysis.pairings:
        return
    idx = index_of(analysis)
    table = peers_of(analysis)
    bonded_at = _bond_evidence(analysis, table)
    aliases = table.aliases
    for addr, ps in table.items():
        bonded = bonded_at.get(addr)
        if len(ps) == 1:
            # the other stories need two attempts at least (most peers of a long log
            # paired once): only DHKey Check Failed over a bond can be told from one
            if bonded is not None and _dhkey_failed(ps[0]):
                yield from _dhkey_over_bond(_label(addr, aliases.get(addr)), ps, bonded)
            continue
        name = _label(addr, aliases.get(addr))
        yield from _state_changed(name, ps)
        yield from _timeouts(name, ps, idx, analysis)
        yield from _same_failure(name, ps)
        yield from _dhkey_over_bond(name, ps, bonded)
        yield from _nc_then_refused(name, ps)


PEER_STATE_CHANGED = rule("peer-state-changed")


def _state_changed(addr: str, ps: Sequence[Pairing]) -> Iterator[Finding]:
    refused: dict[tuple[object, ...], list[Pairing]] = {}  # request → refusals of it
    for p in ps:
        if _refused_at_once(p) and p.request is not None:
            refused.setdefault(_request_key(p.request), []).append(p)
            continue
        if p.request is None or (p.response is None and p.outcome != Outcome.SUCCESS):
            continue
        before = refused.get(_request_key(p.request))
        if not before:
            continue
        r = before[0]
        if r.failure is None or r.request is None:
            continue
        answered = [p.request.frame] + ([p.response.frame] if p.response is not None else [])
        yield finding(
            PEER_STATE_CHANGED,
            (_state_changed_words, addr, r, p, len(before)),
            [r.request.frame, r.failure.frame, *answered],
            connection=p.connection,
            pairing=p.id,
        )
        return  # one story per peer


def _state_changed_words(addr: str, r: Pairing, p: Pairing, refusals: int) -> str:
    """``_state_changed``'s detail: ``r`` refused at once (its request and failure are
    there), ``p`` answered the same request (there too) after ``refusals`` refusals."""
    rf, rq, pq = cast(Failure, r.failure), cast(Features, r.request), cast(Features, p.request)
    accepted = "and the pairing succeeded" if p.outcome == Outcome.SUCCESS else "with a response"
    where = (
        "on the same connection"
        if p.connection == r.connection
        else f"on connection {p.connection}"
    )
    return (
        f"{addr} refused Pairing Request #{rq.frame} at once with {rf.name} "
        f"(0x{rf.reason:02x}, #{rf.frame}); later, {where}, it answered the "
        f"same request (#{pq.frame}: same IO capability, "
        f"AuthReq 0x{pq.auth_req:02x}, key size and key distribution) {accepted}"
        + (
            f" (Pairing Response #{p.response.frame})."
            if p.response is not None
            else " (its Pairing Response was not captured)."
        )
        + f" The request was fine: the peer's state changed between #{rf.frame} and "
        f"#{pq.frame}" + (f" ({refusals} refusal(s) before)." if refusals > 1 else ".")
    )


REPEATED_TIMEOUTS = rule("repeated-smp-timeouts")


def _timeouts(
    addr: str, ps: Sequence[Pairing], idx: AnalysisIndex, analysis: Analysis
) -> Iterator[Finding]:
    hits: list[tuple[Pairing, float]] = []
    for p in ps:
        gap = _timed_out_after(p, idx, analysis)
        if gap is not None:
            hits.append((p, gap))
    if len(hits) < 2:
        return
    steps = []
    for p, gap in hits:
        last = p.steps[-1]
        steps.append(
            f"pairing {p.id} after {last.name} #{last.frame} from the {last.sender} ({gap:.0f} s)"
        )
    last_names = {p.steps[-1].name for p, _ in hits}
    same = (
        f" Each time it stopped after {next(iter(last_names))}: the other side never sent the "
        "next PDU."
        if len(last_names) == 1
        else ""
    )
    yield finding(
        REPEATED_TIMEOUTS,
        f"{len(hits)} pairings with {addr} stopped for the SMP timeout: "
        + "; ".join(steps)
        + "."
        + same,
        [p.steps[-1].frame for p, _ in hits],
        connection=hits[-1][0].connection,
        pairing=hits[-1][0].id,
    )


SAME_FAILURE = rule("same-failure-every-connection")


def _same_failure(addr: str, ps: Sequence[Pairing]) -> Iterator[Finding]:
    by_conn: dict[int, list[Pairing]] = {}
    for p in ps:
        by_conn.setdefault(p.connection, []).append(p)
    if len(by_conn) < 2:
        return
    keys: set[tuple[str, int, str] | None] = set()
    for cps in by_conn.values():
        ended = [p for p in cps if p.outcome != Outcome.INCOMPLETE]
        if not ended or any(p.outcome != Outcome.FAILED for p in ended):
            return
        keys.update(_failure_key(p) for p in ended)
    if len(keys) != 1:
        return
    first = next(p for p in ps if p.failure is not None)
    f = first.failure
    if f is None:
        return
    yield finding(
        SAME_FAILURE,
        (_same_failure_words, addr, len(by_conn), first, ps[-1]),
        [p.failure.frame for p in ps if p.failure is not None][:8],
        connection=ps[-1].connection,
        pairing=ps[-1].id,
    )


def _same_failure_words(addr: str, connections: int, first: Pairing, last: Pairing) -> str:
    """``_same_failure``'s detail: ``first`` is the peer's first failed pairing."""
    f = cast(Failure, first.failure)
    who = "the peripheral" if f.sent_by == Side.RESPONDER else "the central"
    return (
        f"All {connections} connections to {addr} ended their pairing the same way: "
        f"{f.name} (0x{f.reason:02x}) from {who} — first at #{f.frame} (pairing {first.id}), "
        f"last at #{last.failure.frame if last.failure else last.first_frame} "
        f"(pairing {last.id})."
    )


def _bond_evidence(analysis: Analysis, table: Peers) -> dict[str, tuple[int, str]]:
    """Per peer, the first frame that shows a bond existed: encryption with a stored key
    (or its refusal for a missing key), or a successful pairing that both sides bonded."""
    out: dict[str, tuple[int, str]] = {}
    for e in analysis.encryptions:
        if e.after_pairing or e.status not in (0, 0x06):
            continue
        addr = table.of_connection.get(e.connection)  # peer_key of its connection
        if addr is not None and addr not in out:
            what = (
                "encryption with a stored key"
                if e.status == HciError.SUCCESS
                else ("encryption with a stored key (refused: the peer had lost it)")
            )
            out[addr] = (e.frame, what)
    for addr, ps in table.items():
        for p in ps:
            if (
                p.outcome == Outcome.SUCCESS
                and p.request is not None
                and p.response is not None
                and p.request.bonding
                and p.response.bonding
            ):
                end = p.encrypted_frame or p.first_frame
                if addr not in out or out[addr][0] > end:
                    out[addr] = (end, f"pairing {p.id}, which bonded")
                break
    return out


DHKEY_OVER_BOND = rule("dhkey-failed-over-bond")


def _dhkey_failed(p: Pairing) -> bool:
    f = p.failure
    return f is not None and f.layer == Layer.SMP and f.reason == ErrorCode.DHKEY_CHECK_FAILED


def _dhkey_over_bond(
    addr: str, ps: Sequence[Pairing], bonded: tuple[int, str] | None
) -> Iterator[Finding]:
    if bonded is None:
        return
    frame = bonded[0]
    for p in ps:
        f = p.failure
        if f is None or not _dhkey_failed(p) or p.first_frame < frame:
            continue
        yield finding(
            DHKEY_OVER_BOND,
            (_dhkey_over_bond_words, p, addr, bonded),
            [frame, f.frame],
            connection=p.connection,
            pairing=p.id,
        )


def _dhkey_over_bond_words(p: Pairing, addr: str, bonded: tuple[int, str]) -> str:
    f = cast(Failure, p.failure)
    frame, what = bonded
    return (
        f"Pairing {p.id} failed with DHKey Check Failed at #{f.frame}, sent by the "
        f"{'peripheral' if f.sent_by == Side.RESPONDER else 'central'}; {addr} was bonded "
        f"before it ({what}, #{frame}). One side likely kept the old bond while the other "
        "paired afresh."
    )


NC_THEN_REFUSED = rule("refused-after-rejection")


def _nc_then_refused(addr: str, ps: Sequence[Pairing]) -> Iterator[Finding]:
    for i, p in enumerate(ps):
        f = p.failure
        if f is None or f.layer != Layer.SMP or f.reason != ErrorCode.NUMERIC_COMPARISON_FAILED:
            continue
        later = [q for q in ps[i + 1 :] if q.outcome != Outcome.INCOMPLETE]
        if len(later) < 2 or not all(
            q.failure is not None
            and q.failure.reason == ErrorCode.PAIRING_NOT_SUPPORTED
            and q.failure.sent_by == Side.RESPONDER
            for q in later
        ):
            return
        yield finding(
            NC_THEN_REFUSED,
            f"Numeric Comparison failed in pairing {p.id} (#{f.frame}); all {len(later)} later "
            f"attempts with {addr} were refused with Pairing Not Supported (0x05), from "
            f"#{later[0].failure.frame if later[0].failure else later[0].first_frame} on.",
            [f.frame, *(q.failure.frame for q in later if q.failure is not None)][:8],
            connection=later[-1].connection,
            pairing=later[-1].id,
        )
        return
