"""A failed BR/EDR pairing changes what ``bpdiag analyze`` says and its exit status: real
Secure Simple Pairing traffic from two Bumble devices (tests/bredr_sim.py), and a log that
holds only the failing event (as BTstack's console dump of a Simple Pairing Complete with
Authentication Failure, ``EVT <= 36 07 05 <bdaddr>``, with no Connection Complete)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bpdiag.exits import EXIT_FAILED, EXIT_OK
from tests.bredr_sim import classic_logs
from tests.capture.writers import H4, btsnoop_h4_bytes
from tests.helpers import bpdiag_in_process

NOTHING = "No pairing, encryption or ATT error was found in this capture."


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("bredr_cli")
    out = classic_logs(folder)
    # the failing event alone: Simple Pairing Complete, Authentication Failure
    lone = H4(1_700_000_000_000_000, True, bytes.fromhex("04360705") + bytes(range(1, 7)))
    out["lone"] = folder / "lone.btsnoop"
    out["lone"].write_bytes(btsnoop_h4_bytes([lone]))
    return out


@pytest.mark.parametrize("side", ["initiator", "responder"])
def test_a_rejected_pairing_is_reported_and_fails(logs: dict[str, Path], side: str) -> None:
    done = bpdiag_in_process("analyze", str(logs[f"rejected_{side}"]))
    assert done.returncode == EXIT_FAILED
    assert NOTHING not in done.stdout
    assert "[ERROR] bredr-pairing-failed" in done.stdout
    assert "Authentication Failure (0x05)" in done.stdout
    assert ("rejected the numeric comparison" in done.stdout) is (side == "responder")


@pytest.mark.parametrize("side", ["initiator", "responder"])
def test_a_successful_pairing_stays_quiet(logs: dict[str, Path], side: str) -> None:
    done = bpdiag_in_process("analyze", str(logs[f"ok_{side}"]))
    assert done.returncode == EXIT_OK
    assert "bredr-pairing-failed" not in done.stdout
    assert NOTHING in done.stdout


def test_the_failing_event_alone_is_enough(logs: dict[str, Path]) -> None:
    done = bpdiag_in_process("analyze", str(logs["lone"]))
    assert done.returncode == EXIT_FAILED
    assert NOTHING not in done.stdout
    assert "BR/EDR pairing with 06:05:04:03:02:01 failed" in done.stdout


def test_json_puts_the_finding_in_findings(logs: dict[str, Path]) -> None:
    done = bpdiag_in_process("analyze", "--json", str(logs["rejected_responder"]))
    assert done.returncode == EXIT_FAILED
    report = json.loads(done.stdout)
    (f,) = [f for f in report["findings"] if f["code"] == "bredr-pairing-failed"]
    assert f["severity"] == "error" and f["connection"] == 1
    ok = json.loads(bpdiag_in_process("analyze", "--json", str(logs["ok_responder"])).stdout)
    assert set(ok) == set(report)  # no key of its own


def test_dump_never_shows_the_link_key(logs: dict[str, Path]) -> None:
    from bpdiag.analysis.run import Reading
    from bpdiag.decode import hci

    keys = [
        pdu.msg.link_key.hex()
        for pdu, _c in Reading(str(logs["ok_initiator"]))
        if isinstance(pdu.msg, hci.LinkKeyNotification)
    ]
    assert keys
    for args in (["dump"], ["dump", "--json"], ["analyze", "--json"], ["analyze"]):
        out = bpdiag_in_process(*args, str(logs["ok_initiator"])).stdout
        assert "Link Key Notification" in out or args[0] == "analyze"
        assert keys[0] not in out
