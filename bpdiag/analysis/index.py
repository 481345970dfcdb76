"""Look-ups over a finished ``Analysis``, built once: what rules and reports need by key.

A rule asks for "the connection with this id", "the pairings of this connection before
frame N", "the connection to this address that was up at frame N" — never by scanning every
connection or pairing for each item, so the cost per pairing stays flat however long the
capture is.  ``index_of(analysis)`` builds the index on first use and keeps it on the
analysis; it is rebuilt when a list it covers has changed length (rule tests build
analyses by hand and append to them).

Everything here answers exactly what the linear scan it replaces answered, including which
item wins a tie (the first in capture order).
"""

from __future__ import annotations

import heapq
from bisect import bisect_left, bisect_right
from collections.abc import Container, Iterable, Iterator
from itertools import pairwise
from typing import Any, Generic, TypeVar, cast

from bpdiag.analysis.model import (
    Advertiser,
    Analysis,
    AttError,
    Connection,
    Encryption,
    MonitorEvent,
    Outcome,
    Pairing,
    Role,
)
from bpdiag.capture.record import ProblemKind

_K = TypeVar("_K")
_V = TypeVar("_V")


def _add(lists: dict[_K, _V | list[_V]], key: _K, item: _V) -> None:
    """Add ``item`` under ``key``: a key's first item is kept alone, the second makes the
    list (most connections of a long log have one pairing, one encryption, one peer
    address: a list for each would be most of the index).  The items are never lists."""
    items = lists.get(key)
    if items is None:
        lists[key] = item
    elif type(items) is list:
        items.append(item)
    else:
        lists[key] = [items, item]  # type: ignore[list-item]


def _items(lists: dict[_K, _V | list[_V]], key: _K) -> list[_V]:
    """The items ``_add`` put under ``key``, in order."""
    items = lists.get(key)
    if items is None:
        return []
    return items if type(items) is list else [items]  # type: ignore[list-item]


class PerConnection(Generic[_V]):
    """Items by connection id, as ``_add`` keeps them: ids 1…n (a capture's connections,
    numbered densely) in a list of n + 1 slots, any other key in a dict.  A long log's
    tens of thousands of connections cost a pointer each here, not a dict entry."""

    __slots__ = ("_other", "_slots")

    def __init__(self, n: int) -> None:
        self._slots: list[Any] = [None] * (n + 1)
        self._other: dict[Any, Any] = {}

    def add(self, key: int | None, item: _V) -> None:
        slots = self._slots
        if type(key) is int and 0 < key < len(slots):
            items = slots[key]
            if items is None:
                slots[key] = item
            elif type(items) is list:
                items.append(item)
            else:
                slots[key] = [items, item]
        else:
            _add(self._other, key, item)

    def set(self, key: int | None, item: _V) -> None:
        """Keep ``item`` alone under ``key`` (the last one set wins, as in a dict)."""
        slots = self._slots
        if type(key) is int and 0 < key < len(slots):
            slots[key] = item
        else:
            self._other[key] = item

    def get(self, key: int | None) -> _V | None:
        """The item ``set`` under ``key``, or None."""
        slots = self._slots
        if type(key) is int and 0 < key < len(slots):
            return cast(_V | None, slots[key])
        return cast(_V | None, self._other.get(key))

    def items(self, key: int | None) -> list[_V]:
        """The items ``add`` put under ``key``, in order."""
        slots = self._slots
        if type(key) is int and 0 < key < len(slots):
            items = slots[key]
            if items is None:
                return []
            return items if type(items) is list else [items]
        return _items(self._other, key)

    def grouped(self) -> Iterator[tuple[int | None, list[_V]]]:
        """Each key that holds more than one item, with its items."""
        for key, items in enumerate(self._slots):
            if type(items) is list:
                yield key, items
        for key, items in self._other.items():
            if type(items) is list:
                yield key, items


def _peer(c: Connection) -> str | None:
    return (c.peripheral if c.local_role == Role.CENTRAL else c.central).address


class AnalysisIndex:
    """Keys over one analysis's lists (see the module docstring)."""

    def __init__(self, analysis: Analysis) -> None:
        self.analysis = analysis
        self.stamp = _stamp(analysis)
        conns = analysis.connections
        # Connection ids are dense (1, 2, …, in creation order); a hand-built analysis may
        # not keep that, so fall back to a dict when they are not.
        self._dense = all(c.id == i for i, c in enumerate(conns, start=1))
        self._by_id: dict[int, Connection] = {}
        if not self._dense:
            for c in conns:
                self._by_id.setdefault(c.id, c)
        self._pairings: PerConnection[Pairing] = PerConnection(len(conns))
        for p in analysis.pairings:
            self._pairings.add(p.connection, p)
        self._pairing_firsts: dict[int | None, list[int]] = {}
        # the connections whose pairings did not begin in id order (none, in a real capture)
        self._pairings_unsorted = {
            cid
            for cid, ps in self._pairings.grouped()
            if any(a.first_frame > b.first_frame for a, b in pairwise(ps))
        }
        self._failed_ids = [p.id for p in analysis.pairings if p.outcome == Outcome.FAILED]
        self._failed_sorted = all(a < b for a, b in pairwise(self._failed_ids))
        self._failed: list[Pairing] = [p for p in analysis.pairings if p.outcome == Outcome.FAILED]
        self._encryptions: PerConnection[Encryption] = PerConnection(len(conns))
        for e in analysis.encryptions:
            self._encryptions.add(e.connection, e)
        self._att_errors: dict[int | None, AttError | list[AttError]] = {}
        for a in analysis.att_errors:
            _add(self._att_errors, a.connection, a)
        self._link_last_established: dict[Any, int] = {}
        for c in conns:
            est = c.established_frame or 0
            if est > self._link_last_established.get(c.link, -1):
                self._link_last_established[c.link] = est
        self._adv_flags: dict[str, Advertiser] = {}
        for adv in analysis.advertisers:
            if adv.flags is not None and adv.flags & 0x03:
                self._adv_flags.setdefault(adv.address, adv)
        self._monitor: dict[int, list[tuple[int, MonitorEvent]]] = {}
        for pos, ev in enumerate(analysis.monitor):
            self._monitor.setdefault(ev.opcode, []).append((pos, ev))
        # the records before which the input leaves some out (a pasted log's elisions and
        # jumps in its numbering), in frame order
        self._missing_before = sorted(
            p.record
            for p in analysis.problems
            if p.kind in (ProblemKind.MISSING, ProblemKind.NEW_LINK) and p.record is not None
        )

    # ------------------------------------------------------------ the input's gaps
    def missing_between(self, after: int, upto: int | None = None) -> int | None:
        """The first record after frame ``after`` and up to ``upto`` (``None``: to the end)
        before which the input leaves records out (so what happened between them is not
        known), or ``None``."""
        gaps = self._missing_before
        i = bisect_right(gaps, after)
        return gaps[i] if i < len(gaps) and (upto is None or gaps[i] <= upto) else None

    def missing_before_failure(self, p: Pairing) -> int | None:
        """``missing_between`` a failed pairing's start (its Pairing Request, else its first
        PDU) and its Pairing Failed: a refusal across such a gap cannot be called "at once"
        (the records left out may hold a key exchange).  ``None`` without a failure."""
        if p.failure is None:
            return None
        return self.missing_between(p.start_frame, p.failure.frame)

    # ------------------------------------------------------------ connections
    def connection(self, cid: int | None) -> Connection | None:
        """The connection with id ``cid`` (the first one, should ids repeat)."""
        if cid is None:
            return None
        if self._dense:
            conns = self.analysis.connections
            return conns[cid - 1] if 1 <= cid <= len(conns) else None
        return self._by_id.get(cid)

    def handle_reused_after(self, c: Connection, frame: int) -> bool:
        """Another connection on ``c``'s link was established after ``frame`` (which proves
        ``c`` had ended even without its Disconnection Complete)."""
        if (c.established_frame or 0) > frame:
            # c itself counts only if another connection on the link is later still;
            # scan that link's connections (rare: c established after the frame asked).
            return any(
                d.link == c.link and d.id != c.id and (d.established_frame or 0) > frame
                for d in self._link_members(c.link)
            )
        return self._link_last_established.get(c.link, 0) > frame

    def _link_members(self, link: Any) -> Iterator[Connection]:
        return (d for d in self.analysis.connections if d.link == link)

    def connections_to(self, address: str) -> list[Connection]:
        """Connections whose peer (the remote side; the central when the local role is not
        central) has ``address``, in id order."""
        return self._by_peer({address}).get(address, [])

    def _by_peer(self, addresses: Container[str]) -> dict[str, list[Connection]]:
        """The connections to each of ``addresses`` (as ``connections_to``), in id order:
        made for the question asked, not kept (a long log's map of every peer to its
        connections is an entry per connection, and one rule asks it once)."""
        out: dict[str, list[Connection]] = {}
        for c in self.analysis.connections:
            peer = _peer(c)
            if peer is not None and peer in addresses:
                conns = out.get(peer)
                if conns is None:
                    out[peer] = [c]
                else:
                    conns.append(c)
        return out

    def up_at(self, attempts: Iterable[tuple[int, str]]) -> list[Connection | None]:
        """For each ``(frame, address)``: the first connection (by id) to that peer that
        was established before the frame and not disconnected by it, and whose link was not
        established again after the frame; ``None`` when there is none.

        Each connection is live over one interval of frames, so the queries are answered in
        one sweep per address: O((connections + queries) · log) instead of their product.
        """
        queries = list(attempts)
        out: list[Connection | None] = [None] * len(queries)
        by_addr: dict[str, list[int]] = {}
        for qi, (_frame, address) in enumerate(queries):
            by_addr.setdefault(address, []).append(qi)
        by_peer = self._by_peer(by_addr)
        for address, qis in by_addr.items():
            conns = by_peer.get(address)
            if not conns:
                continue
            # Live interval of c for a query frame f (integers):
            #   established < f, (disconnect is None or disconnect > f), last on link <= f
            spans: list[tuple[int, int, int, Connection]] = []
            for j, c in enumerate(conns):
                est = c.established_frame
                if est is None:
                    continue
                last = self._link_last_established.get(c.link, 0)
                lo = max(est + 1, last)
                hi = c.disconnect_frame - 1 if c.disconnect_frame is not None else 1 << 62
                if lo <= hi:
                    spans.append((lo, hi, j, c))
            spans.sort(key=lambda s: s[0])
            qis.sort(key=lambda q: queries[q][0])
            heap: list[tuple[int, int, int, Connection]] = []
            k = 0
            for qi in qis:
                f = queries[qi][0]
                while k < len(spans) and spans[k][0] <= f:
                    _lo, hi, j, c = spans[k]
                    heapq.heappush(heap, (j, hi, 0, c))
                    k += 1
                while heap and heap[0][1] < f:
                    heapq.heappop(heap)
                if heap:
                    out[qi] = heap[0][3]
        return out

    # ------------------------------------------------------------ pairings
    def pairings_of(self, cid: int | None) -> list[Pairing]:
        """The pairings on connection ``cid``, in id order."""
        return self._pairings.items(cid)

    def _split(self, cid: int | None, frame: int, after: bool) -> tuple[list[Pairing], int]:
        """The pairings on ``cid`` and how many of them began before ``frame`` (``after``:
        at or before it), when they began in id order; -1 when they did not."""
        ps = self.pairings_of(cid)
        if len(ps) < 2:  # nothing to keep: most connections have one pairing or none
            firsts = [p.first_frame for p in ps]
        elif cid in self._pairings_unsorted:
            return ps, -1
        else:
            firsts = self._pairing_firsts.get(cid) or []
            if not firsts:
                firsts = self._pairing_firsts[cid] = [p.first_frame for p in ps]
        return ps, (bisect_right if after else bisect_left)(firsts, frame)

    def pairing_before(self, cid: int | None, frame: int) -> Pairing | None:
        """The last pairing on ``cid`` that began before ``frame``."""
        ps, i = self._split(cid, frame, after=False)
        if i < 0:
            before = [p for p in ps if p.first_frame < frame]
            return before[-1] if before else None
        return ps[i - 1] if i else None

    def pairing_after(self, cid: int | None, frame: int) -> Pairing | None:
        """The first pairing (by id) on ``cid`` that began after ``frame``."""
        ps, i = self._split(cid, frame, after=True)
        if i < 0:
            return next((p for p in ps if p.first_frame > frame), None)
        return ps[i] if i < len(ps) else None

    def failed_before(self, pairing_id: int) -> tuple[int, Pairing | None]:
        """How many failed pairings have an id below ``pairing_id``, and the first of them."""
        if self._failed_sorted:
            n = bisect_left(self._failed_ids, pairing_id)
        else:
            n = sum(1 for i in self._failed_ids if i < pairing_id)
        first = next((p for p in self._failed if p.id < pairing_id), None) if n else None
        return n, first

    # ------------------------------------------------------------ the rest
    def encryptions_of(self, cid: int | None) -> list[Encryption]:
        return self._encryptions.items(cid)

    def att_errors_of(self, cid: int | None) -> list[AttError]:
        return _items(self._att_errors, cid)

    def discoverable_advertising(self, address: str) -> list[Advertiser]:
        """The first advertising of ``address`` whose Flags have LE Limited or General
        Discoverable set, as a list of zero or one."""
        adv = self._adv_flags.get(address)
        return [] if adv is None else [adv]

    def monitor_events(self, *opcodes: int) -> Iterator[MonitorEvent]:
        """The monitor events of these kinds (monitor opcodes), in capture order."""
        lists = [self._monitor.get(op, []) for op in opcodes]
        if len(lists) == 1:
            return (ev for _, ev in lists[0])
        return (ev for _, ev in heapq.merge(*lists, key=lambda t: t[0]))


def _stamp(a: Analysis) -> tuple[int, ...]:
    return (
        len(a.connections),
        len(a.pairings),
        len(a.encryptions),
        len(a.att_errors),
        len(a.advertisers),
        len(a.monitor),
    )


def _by_position(items: list[_V], wanted: int | None) -> _V | None:
    """The item whose ``id`` is ``wanted``: ids are positions from 1 in an analysis the
    builder made, so one look; else (a hand-built analysis) the first with that id."""
    if wanted is None:
        return None
    if 1 <= wanted <= len(items) and getattr(items[wanted - 1], "id", None) == wanted:
        return items[wanted - 1]
    return next((x for x in items if getattr(x, "id", None) == wanted), None)


def connection_with(analysis: Analysis, cid: int | None) -> Connection | None:
    """The connection with id ``cid``, without an index: for an analysis still growing (a
    followed capture reports each pairing as it ends), where ``index_of`` would be rebuilt
    for every look."""
    return _by_position(analysis.connections, cid)


def pairing_with(analysis: Analysis, pairing_id: int | None) -> Pairing | None:
    """The pairing with id ``pairing_id`` (see ``connection_with``)."""
    return _by_position(analysis.pairings, pairing_id)


def index_of(analysis: Analysis) -> AnalysisIndex:
    """The analysis's index, built on first use (and again when its lists have grown)."""
    idx = analysis.index
    if not isinstance(idx, AnalysisIndex) or idx.stamp != _stamp(analysis):
        idx = AnalysisIndex(analysis)
        analysis.index = idx
    return idx


__all__ = ["AnalysisIndex", "PerConnection", "connection_with", "index_of", "pairing_with"]
