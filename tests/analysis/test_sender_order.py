"""Who sent what when the capture shows no direction (issue 10, class 4): bpdiag's own
captures (Bumble's SMP on a virtual link) with every SMP PDU's direction erased, as a
sniffer or log without direction flags stores them.  SMP's order (Vol 3, Part H, 2.3.5,
3.6.1, C.1) then gives the sender — only where a single answer is left."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from bpdiag.analysis.builder import Analyzer
from bpdiag.analysis.model import Analysis, CaptureInfo, Failure, Features, Pairing, Step
from bpdiag.analysis.run import Reading
from bpdiag.analysis.sender_order import infer_senders
from bpdiag.capture.record import Direction
from bpdiag.crypto.keyring import Keyring
from bpdiag.decode import smp
from bpdiag.report.json_objects import failure_json, pairing_json

CAPS = Path(__file__).resolve().parents[2] / "captures"


def _senders(a: Analysis) -> list[list[tuple[int, str]]]:
    return [[(s.frame, s.sender) for s in p.steps] for p in a.pairings]


def _without_directions(name: str, drop: set[int] = frozenset()) -> tuple[Analysis, Analysis]:  # type: ignore[assignment]
    path = CAPS / name
    # --show-keys: the passkeys of a successful legacy pairing are searched (and compared)
    full = Reading(path, keys=Keyring(show_keys=True))
    pdus = [pdu for pdu, _ in full]
    blind = Analyzer(CaptureInfo(str(path), "btsnoop", 1002, "test"), Keyring(show_keys=True))
    for pdu in pdus:
        if pdu.frame in drop:
            continue
        if pdu.layer == "smp":
            pdu = replace(pdu, direction=Direction.UNKNOWN)
        blind.feed(pdu)
    return full.analysis, blind.finish()


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

    [dh] = [x for x in run_rules(blind) if x.code == "dhkey-check-failed"]
    assert "told from SMP's order" in dh.detail and dh.detail.startswith("The central")


@pytest.mark.parametrize(
    "name", ["not_in_pairing_mode.btsnoop", "numeric_comparison_rejected.btsnoop"]
)
def test_pairing_failed_without_such_a_check_stays_unknown_and_says_why(name: str) -> None:
    # Unspecified Reason, Numeric Comparison Failed: either side may send them there (3.5.5,
    # 2.3.5.6.2 — both users compare), so the order does not tell; the failure says why
    full, blind = _without_directions(name)
    for b in blind.pairings:
        for s in b.steps:
            if s.code == 0x05:
                assert s.sender == "unknown" and s.frame not in b.senders_from_order
        assert b.failure is not None
        assert b.failure.sent_by == "unknown"
        assert b.failure.sender_unknown == "no-direction"
        assert failure_json(b.failure)["sender_unknown"] == "no-direction"
    for q in full.pairings:  # the capture with directions: known, no reason given
        assert q.failure is not None and q.failure.sender_unknown is None
        assert "sender_unknown" not in failure_json(q.failure)


@pytest.mark.parametrize(
    ("name", "sent_by"),
    [
        # Pairing Not Supported right after the Pairing Request: the responder's refusal
        # of it (3.5.1) — the initiator has received nothing to refuse
        ("pairing_not_supported.btsnoop", "responder"),
        # Authentication Requirements right after the Pairing Response: the initiator's
        # check of the response (3.5.2)
        ("mitm_unsatisfiable.btsnoop", "initiator"),
        # LE legacy, Confirm Value Failed after Mrand: the host log misses no PDU, so the
        # one Random is the first of the sequence (Mrand) and its receiver checked Mconfirm
        ("legacy_passkey_wrong.btsnoop", "responder"),
    ],
)
def test_a_host_log_without_directions_tells_who_refused(name: str, sent_by: str) -> None:
    full, blind = _without_directions(name)
    assert _senders(blind) == _senders(full)
    [b], [f] = blind.pairings, full.pairings
    assert b.failure is not None and f.failure is not None
    assert b.failure.sent_by == f.failure.sent_by == sent_by
    assert b.failure.frame in b.senders_from_order
    assert b.failure.sender_unknown is None


def _hand_pairing(codes: list[tuple[int, str]], reason: int) -> Pairing:
    """A hand-built LE legacy pairing: ``codes`` (code, sender) then a Pairing Failed."""
    p = Pairing(id=1, connection=1, first_frame=1)
    p.request = Features(
        1, 4, "KeyboardDisplay", False, 5, True, True, False, False, False, 16, [], []
    )
    p.response = Features(
        2, 4, "KeyboardDisplay", False, 5, True, True, False, False, False, 16, [], []
    )
    p.secure_connections, p.method = False, "passkey_entry"
    for frame, (code, sender) in enumerate(codes, 1):
        p.steps.append(Step(frame, 0.0, sender, code, "x", None))
    failed = smp.PairingFailed(reason=reason)
    frame = len(codes) + 1
    p.steps.append(Step(frame, 0.0, "unknown", 0x05, "Pairing Failed", failed))
    p.failure = Failure(reason, "x", "unknown", frame)
    return p


def test_a_sniffer_capture_gets_no_prefix_and_no_reason_check() -> None:
    """On air a missed PDU shifts the sequence: one Random of two is not assigned, and the
    Pairing Failed after it is not told (the PDU before it may not be the one it answered)."""
    steps = [(1, "central"), (2, "peripheral"), (3, "unknown"), (3, "unknown"), (4, "unknown")]
    for lossless, told in ((False, False), (True, True)):
        p = _hand_pairing(steps, smp.ErrorCode.CONFIRM_VALUE_FAILED)
        infer_senders(p, lossless)
        assert (p.failure is not None and p.failure.sent_by == "responder") is told
        assert (p.steps[4].sender == "central") is told
    p = _hand_pairing(steps[:2], smp.ErrorCode.AUTHENTICATION_REQUIREMENTS)
    infer_senders(p, False)
    assert p.failure is not None and p.failure.sent_by == "unknown"
    infer_senders(p, True)
    assert p.failure.sent_by == "initiator"


def test_a_prefix_is_not_taken_for_a_pairing_that_began_before_the_capture() -> None:
    # no Pairing Request: the first Random seen may be Srand
    p = _hand_pairing([(3, "unknown"), (3, "unknown"), (4, "unknown")], 0x04)
    p.request = None
    infer_senders(p, True)
    # both Confirms are the whole sequence (assigned); the lone Random is not
    assert [s.sender for s in p.steps] == ["central", "peripheral", "unknown", "unknown"]
    assert p.failure is not None and p.failure.sent_by == "unknown"


def test_an_excerpt_that_shows_no_role_says_so() -> None:
    """btmon text cut after the Pairing Request (made from not_in_pairing_mode.btsnoop with
    ``btmon -r``): the Pairing Failed shows its direction (RX), but nothing in the text says
    whether the local side was central or peripheral — so not who sent it."""
    from bpdiag.diagnose import diagnose_file

    path = CAPS.parent / "tests/data/text/not_in_pairing_mode.after-request.btmon-excerpt.txt"
    [p] = diagnose_file(path).pairings
    assert p.failure is not None and p.failure.sent_by == "unknown"
    assert p.failure.sender_unknown == "local-role-unknown"
    # but the direction says the log's host received it: the other device sent it
    assert p.failure.local is False


@pytest.mark.skipif(shutil.which("btmon") is None, reason="needs btmon (BlueZ) to print logs")
@pytest.mark.parametrize(
    ("capture", "local"),
    [
        # the local central sent Numeric Comparison Failed (it rejected the comparison)
        ("comparison_rejected_by_central.btsnoop", True),
        # the peripheral refused: the local central received it
        ("peer_requires_mitm.btsnoop", False),
    ],
)
def test_an_excerpt_without_the_role_still_tells_which_host_sent_the_failure(
    capture: str, local: bool, tmp_path: Path
) -> None:
    """``btmon -r`` of a scenario capture, pasted from its Pairing Failed on: no record tells
    the local role, but the direction (TX/RX) tells whether the log's host sent it."""
    import json
    import subprocess

    from bpdiag.diagnose import diagnose_file
    from bpdiag.report.json_report import analysis_to_json
    from bpdiag.report.text import render_text

    text = subprocess.run(
        ["btmon", "-r", str(CAPS / capture)], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    start = next(i for i, line in enumerate(text) if "SMP: Pairing Failed" in line) - 1
    path = tmp_path / "excerpt.txt"
    path.write_text("\n".join(text[start:]) + "\n")
    d = diagnose_file(path)
    [p] = d.pairings
    assert p.failure is not None and p.failure.sent_by == "unknown"
    assert (p.failure.sender_unknown, p.failure.local) == ("local-role-unknown", local)
    [failure] = [q["failure"] for q in json.loads(json.dumps(analysis_to_json(d)))["pairings"]]
    assert failure["sent_by_local_host"] is local
    said = "This host (the one the log was recorded on)" if local else "The remote device"
    text_report = render_text(d)
    assert said in text_report and "One side" not in text_report
    if capture == "peer_requires_mitm.btsnoop":
        # the other device refused with Authentication Requirements: it needs more (MITM)
        [s] = d.suggestions
        assert s.mitm and "says it needs more than was offered" in s.why


def _h4_pcap(name: str, path: Path) -> None:
    """Our btsnoop capture as a pcap of link type 187 (LINKTYPE_BLUETOOTH_HCI_H4): the same
    H4 packets with no direction at all, as hcidump -w or a UART tap stores them."""
    import struct

    from tests.capture.writers import read_btsnoop_h4

    out = bytearray(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 187))
    for r in read_btsnoop_h4(CAPS / name):
        sec, usec = divmod(r.ts_us, 1_000_000)
        out += struct.pack("<IIII", sec, usec, len(r.packet), len(r.packet)) + r.packet
    path.write_bytes(bytes(out))


@pytest.mark.parametrize(
    ("name", "sent_by", "why"),
    [
        ("mitm_unsatisfiable.btsnoop", "initiator", None),
        ("legacy_passkey_wrong.btsnoop", "responder", None),
        ("pairing_not_supported.btsnoop", "responder", None),
        ("dhkey_check_failed.btsnoop", "initiator", None),
        ("not_in_pairing_mode.btsnoop", "unknown", "no-direction"),
    ],
)
def test_an_h4_pcap_without_directions(
    name: str, sent_by: str, why: str | None, tmp_path: Path
) -> None:
    from bpdiag.diagnose import diagnose_file

    path = tmp_path / "capture.pcap"
    _h4_pcap(name, path)
    a = diagnose_file(path)
    [p] = a.pairings
    assert p.failure is not None
    assert (p.failure.sent_by, p.failure.sender_unknown) == (sent_by, why)
    [q] = diagnose_file(CAPS / name).pairings  # the capture with directions agrees
    assert q.failure is not None and sent_by in (q.failure.sent_by, "unknown")
