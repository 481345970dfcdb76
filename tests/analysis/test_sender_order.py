"""Who sent what when the capture shows no direction (issue 10, class 4): bpdiag's own
captures (Bumble's SMP on a virtual link) with every SMP PDU's direction erased, as a
sniffer or log without direction flags stores them.  SMP's order (Vol 3, Part H, 2.3.5,
3.6.1, C.1) then gives the sender — only where a single answer is left."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from bpdiag.analysis.builder import Analyzer
from bpdiag.analysis.model import Analysis, CaptureInfo
from bpdiag.analysis.run import walk_file
from bpdiag.capture.record import Direction
from bpdiag.crypto.keyring import Keyring
from bpdiag.report.json_objects import pairing_json

CAPS = Path(__file__).resolve().parents[2] / "captures"


def _senders(a: Analysis) -> list[list[tuple[int, str]]]:
    return [[(s.frame, s.sender) for s in p.steps] for p in a.pairings]


def _without_directions(name: str, drop: set[int] = frozenset()) -> tuple[Analysis, Analysis]:  # type: ignore[assignment]
    path = CAPS / name
    full: list[Analyzer] = []
    pdus = [pdu for pdu, _ in walk_file(path, full)]
    blind = Analyzer(CaptureInfo(str(path), "btsnoop", 1002, "test"), Keyring())
    for pdu in pdus:
        if pdu.frame in drop:
            continue
        if pdu.layer == "smp":
            pdu = replace(pdu, direction=Direction.UNKNOWN)
        blind.feed(pdu)
    return full[0].analysis, blind.finish()


@pytest.mark.parametrize(
    "name",
    [
        "sc_justworks_success.btsnoop",
        "legacy_passkey_success.btsnoop",
        "sc_numeric_comparison_success.btsnoop",
        "legacy_justworks_success.btsnoop",
    ],
)
def test_smp_order_gives_the_senders_the_capture_showed(name: str) -> None:
    full, blind = _without_directions(name)
    assert _senders(blind) == _senders(full)
    for p, q in zip(blind.pairings, full.pairings, strict=True):
        assert [k.sent_by for k in p.keys] == [k.sent_by for k in q.keys]
        # said in the JSON; the Request/Response are told by their code, not by order
        told = pairing_json(p)["senders_from_smp_order"]
        assert told == [s.frame for s in p.steps if s.code not in (1, 2)]
        assert "senders_from_smp_order" not in pairing_json(q)  # never when the capture shows it
        assert p.checks == q.checks  # verify now knows whose values are whose


def test_a_missed_pdu_leaves_its_type_unknown() -> None:
    """The responder's Public Key was not captured: the one left could be either (a later
    one shifts), so it stays unknown; the other PDU types are still complete and told."""
    full, _ = _without_directions("sc_justworks_success.btsnoop")
    [p] = full.pairings
    pk = [s.frame for s in p.steps if s.code == 0x0C]
    _, blind = _without_directions("sc_justworks_success.btsnoop", {pk[1]})
    [b] = blind.pairings
    assert [s.sender for s in b.steps if s.code == 0x0C] == ["unknown"]
    assert [s.sender for s in b.steps if s.code == 0x0D] == ["central", "peripheral"]
    assert pk[0] not in b.senders_from_order


def test_pairing_failed_told_only_by_a_check_only_one_side_made() -> None:
    """DHKey Check Failed right after the responder's Eb: only the initiator checks Eb
    (2.3.5.6.5) — in a host log, which misses no PDU in between."""
    full, blind = _without_directions("dhkey_check_failed.btsnoop")
    [b], [f] = blind.pairings, full.pairings
    failed = [s for s in b.steps if s.code == 0x05]
    assert [s.sender for s in failed] == [s.sender for s in f.steps if s.code == 0x05]
    assert b.failure is not None and f.failure is not None
    assert b.failure.sent_by == f.failure.sent_by == "initiator"
    assert failed[0].frame in b.senders_from_order
    from bpdiag.rules import run_rules

    blind.findings = run_rules(blind)
    [dh] = [x for x in blind.findings if x.code == "dhkey-check-failed"]
    assert "told from SMP's order" in dh.detail and dh.detail.startswith("The central")


@pytest.mark.parametrize("name", ["pairing_not_supported.btsnoop", "not_in_pairing_mode.btsnoop"])
def test_pairing_failed_without_such_a_check_stays_unknown(name: str) -> None:
    # either side may refuse or abort at any time (3.5.5): the order does not tell
    _, blind = _without_directions(name)
    for b in blind.pairings:
        for s in b.steps:
            if s.code == 0x05:
                assert s.sender == "unknown" and s.frame not in b.senders_from_order
        if b.failure is not None:
            assert b.failure.sent_by == "unknown"
