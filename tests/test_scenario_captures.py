"""The scenario captures in captures/ show, decoded by tshark, what captures/expectations.toml
says their scenario did: the SMP PDUs in order with their sender, which of them crossed the
HCI in several ACL packets, how each pairing ended (reason, and who sent Pairing Failed) and
how each encryption attempt ended.

This checks the corpus itself, independently of bpdiag: tests/analysis/test_scenarios.py
checks bpdiag's analysis of the same files.  Every capture is the central's HCI, so "sent" is
the central and "received" the peripheral.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.tshark import Tshark, any_of, event, protocol, subevent

CAPTURES = Path(__file__).resolve().parents[1] / "captures"
EXPECTATIONS = CAPTURES / "expectations.toml"

SMP_NAMES = {
    0x01: "pairing_request",
    0x02: "pairing_response",
    0x03: "pairing_confirm",
    0x04: "pairing_random",
    0x05: "pairing_failed",
    0x06: "encryption_information",
    0x07: "central_identification",
    0x08: "identity_information",
    0x09: "identity_address_information",
    0x0A: "signing_information",
    0x0B: "security_request",
    0x0C: "pairing_public_key",
    0x0D: "pairing_dhkey_check",
    0x0E: "keypress_notification",
}
AUTHREQ_SC = 0x08
EVT_DISCONNECTION_COMPLETE = 0x05
EVT_ENCRYPTION_CHANGE = 0x08
EVT_LE_META = 0x3E
LE_CONNECTION_COMPLETE = (0x01, 0x0A)  # subevents: LE (Enhanced) Connection Complete
CMD_LE_START_ENCRYPTION = 0x2019

FIELDS = (
    "hci_h4.direction",
    "btsmp.opcode",
    "btsmp.reason",
    "btsmp.authreq",
    "bthci_acl.continuation_to",
    "bthci_cmd.opcode",
    "bthci_evt.code",
    "bthci_evt.status",
    "bthci_evt.reason",
    "bthci_evt.le_meta_subevent",
)
# btsmp || bthci_cmd.opcode == 0x2019 || bthci_evt.code == 0x05 || bthci_evt.code == 0x08
#   || bthci_evt.le_meta_subevent == 0x01 || bthci_evt.le_meta_subevent == 0x0a
DISPLAY_FILTER = any_of(
    protocol("btsmp"),
    lambda f: f.equals("bthci_cmd.opcode", CMD_LE_START_ENCRYPTION),
    event(EVT_DISCONNECTION_COMPLETE),
    event(EVT_ENCRYPTION_CHANGE),
    *(subevent(s) for s in LE_CONNECTION_COMPLETE),
)


@dataclass(frozen=True, slots=True)
class Row:
    """One frame of interest, as tshark decodes it."""

    frame: int
    sender: str  # "central" (sent) or "peripheral" (received)
    smp: int | None
    smp_reason: int | None
    authreq: int | None
    fragmented: bool
    command: int | None
    event: int | None
    status: int | None
    reason: int | None
    subevent: int | None

    @property
    def smp_entry(self) -> str:
        return f"{self.sender}: {SMP_NAMES.get(self.smp or 0, f'opcode_{self.smp:#04x}')}"


def _int(values: tuple[str, ...]) -> int | None:
    return int(values[0], 0) if values else None


def decode(dissect: Tshark, file: str) -> tuple[Row, ...]:
    rows = []
    for frame in dissect.select(CAPTURES / file, DISPLAY_FILTER):
        v = [_int(frame.all(field)) for field in FIELDS]
        rows.append(
            Row(
                frame=frame.number,
                sender="peripheral" if v[0] else "central",
                smp=v[1],
                smp_reason=v[2],
                authreq=v[3],
                fragmented=v[4] is not None,
                command=v[5],
                event=v[6],
                status=v[7],
                reason=v[8],
                subevent=v[9],
            )
        )
    return tuple(rows)


def _load() -> list[tuple[str, dict[str, Any]]]:
    if not EXPECTATIONS.exists():
        return []
    return sorted(tomllib.loads(EXPECTATIONS.read_text(encoding="utf-8")).items())


SCENARIOS = _load()
IDS = [name for name, _ in SCENARIOS]


def test_every_capture_has_expectations() -> None:
    listed = {e["file"] for _, e in SCENARIOS}
    on_disk = {p.name for p in CAPTURES.glob("*.btsnoop")}
    assert on_disk - listed == set(), "captures without an entry in expectations.toml"
    assert listed - on_disk == set(), "expectations for missing captures"


@pytest.mark.parametrize(("name", "expect"), SCENARIOS, ids=IDS)
def test_smp_sequence(name: str, expect: dict[str, Any], dissect: Tshark) -> None:
    assert "smp" in expect, f"[{name}] has no smp = [...] list"
    got = [r.smp_entry for r in decode(dissect, expect["file"]) if r.smp is not None]
    assert got == expect["smp"]


@pytest.mark.parametrize(("name", "expect"), SCENARIOS, ids=IDS)
def test_fragmented_smp(name: str, expect: dict[str, Any], dissect: Tshark) -> None:
    got = [
        r.smp_entry for r in decode(dissect, expect["file"]) if r.smp is not None and r.fragmented
    ]
    assert got == expect.get("smp_fragmented", [])


def _pairings(rows: tuple[Row, ...]) -> list[list[Row]]:
    """The rows from each Pairing Request up to the next one or the end of its link."""
    out: list[list[Row]] = []
    current: list[Row] | None = None
    for r in rows:
        if r.smp == 0x01:
            current = [r]
            out.append(current)
        elif r.event == EVT_DISCONNECTION_COMPLETE:
            current = None
        elif current is not None:
            current.append(r)
    return out


@pytest.mark.parametrize(("name", "expect"), SCENARIOS, ids=IDS)
def test_pairing_outcomes(name: str, expect: dict[str, Any], dissect: Tshark) -> None:
    pairings = _pairings(decode(dissect, expect["file"]))
    want = expect.get("pairings", [])
    assert len(pairings) == len(want), "number of Pairing Requests"
    for i, (rows, w) in enumerate(zip(pairings, want, strict=True), start=1):
        initiator = rows[0].sender
        failed = [r for r in rows if r.smp == 0x05]
        encrypted = any(r.event == EVT_ENCRYPTION_CHANGE and r.status == 0 for r in rows)
        if w["outcome"] == "failed":
            assert len(failed) == 1, f"pairing {i}: one Pairing Failed"
            assert failed[0].smp_reason == w["failure_reason"], f"pairing {i}: reason"
            sent_by = "initiator" if failed[0].sender == initiator else "responder"
            assert sent_by == w["failure_sent_by"], f"pairing {i}: Pairing Failed sender"
        else:
            assert failed == [], f"pairing {i}: no Pairing Failed"
            assert encrypted == (w["outcome"] == "success"), f"pairing {i}: encryption"
        if "secure_connections" in w:
            rsp = next((r for r in rows if r.smp == 0x02), None)
            assert rsp is not None, f"pairing {i}: secure_connections needs a Pairing Response"
            sc = bool((rows[0].authreq or 0) & (rsp.authreq or 0) & AUTHREQ_SC)
            assert sc == w["secure_connections"], f"pairing {i}: SC flag in both AuthReq"


def _encryption_attempts(rows: tuple[Row, ...]) -> list[tuple[int | None, bool]]:
    """(status, after_pairing) of every LE Start Encryption: the status of the Encryption
    Change that answers it, or the reason of the Disconnection Complete that ends the link
    first (a MIC failure, 0x3D, is reported that way, Vol 6, Part B, 5.1.3.1)."""
    out: list[tuple[int | None, bool]] = []
    paired_on_link = False
    pending = False
    for r in rows:
        if r.event == EVT_LE_META and r.subevent in LE_CONNECTION_COMPLETE:
            paired_on_link = False
        elif r.smp == 0x01:
            paired_on_link = True
        elif r.command == CMD_LE_START_ENCRYPTION:
            pending = True
        elif r.event == EVT_ENCRYPTION_CHANGE:
            out.append((r.status, paired_on_link))
            pending = False
        elif r.event == EVT_DISCONNECTION_COMPLETE and pending:
            out.append((r.reason, paired_on_link))
            pending = False
    return out


@pytest.mark.parametrize(("name", "expect"), SCENARIOS, ids=IDS)
def test_encryptions(name: str, expect: dict[str, Any], dissect: Tshark) -> None:
    want = [(e["status"], e["after_pairing"]) for e in expect.get("encryptions", [])]
    assert _encryption_attempts(decode(dissect, expect["file"])) == want
