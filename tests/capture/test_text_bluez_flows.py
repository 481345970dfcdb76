"""Two BlueZ pairing failures as btmon prints them (issue 10, class 7): MGMT Pair Device
with the IO capability bluetoothd chose and its status, a User Confirmation Request nobody
answered but bluetoothd's "no agent" path, a host that turned bonding off.  The texts in
tests/data/text/*.btmon-mgmt.txt are ``btmon -r`` of the monitor files that
tests/capture/bluez_flows.py builds around our own Bumble captures; the host rules must fire
on the text as on the file, and on the text as people paste it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from bpdiag.analysis.model import Analysis
from bpdiag.diagnose import diagnose_file
from tests.capture.bluez_flows import FLOWS, NUMBER, monitor_btsnoop
from tests.capture.paste_shapes import SHAPES, codes_through_elisions, live_btmon

TEXTS = Path(__file__).resolve().parents[2] / "tests" / "data" / "text"


def _text(name: str) -> Path:
    return TEXTS / f"{name}.btmon-mgmt.txt"


def _summary(a: Analysis) -> tuple[object, ...]:
    return (
        [
            (p.outcome, p.method, p.failure and (p.failure.reason, p.failure.sent_by))
            for p in a.pairings
        ],
        [f.code for f in a.findings],
        # the host's records (the text reader keeps index records only as notes)
        [
            (e.name, e.values.get("opcode"), e.values.get("event"))
            for e in a.monitor
            if e.opcode >= 13
        ],
    )


@pytest.mark.parametrize("name", sorted(FLOWS))
def test_committed_text_is_btmons_printing(name: str, tmp_path: Path) -> None:
    btmon = shutil.which("btmon")
    if btmon is None:
        pytest.skip("btmon (Debian package bluez) is not installed")
    snoop = tmp_path / "flow.btsnoop"
    snoop.write_bytes(monitor_btsnoop(FLOWS[name]))
    out = subprocess.run([btmon, "-r", str(snoop)], capture_output=True, text=True).stdout
    assert out.splitlines()[1:] == _text(name).read_text().splitlines()[1:]


@pytest.mark.parametrize("name", sorted(FLOWS))
def test_the_text_gives_the_monitor_files_analysis(name: str, tmp_path: Path) -> None:
    snoop = tmp_path / "flow.btsnoop"
    snoop.write_bytes(monitor_btsnoop(FLOWS[name]))
    assert _summary(diagnose_file(_text(name))) == _summary(diagnose_file(snoop))


def test_confirmation_without_agent() -> None:
    a = diagnose_file(_text("comparison_rejected_by_central.confirm-without-agent"))
    codes = [f.code for f in a.findings]
    assert codes.count("no-agent") == 1  # the log line and its negative reply: one story
    assert {"no-bonding", "numeric-comparison-failed"} <= set(codes)
    [p] = a.pairings
    assert p.failure is not None and p.failure.sent_by == "initiator"
    assert p.numeric_value == NUMBER  # what the kernel asked to confirm is g2 of the capture
    [agent] = [f for f in a.findings if f.code == "no-agent"]
    assert "a yes/no confirmation" in agent.detail
    assert "User Confirmation Negative Reply" in agent.detail
    assert p.failure.frame in agent.frames and "not a user's answer" in agent.detail
    [bond] = [f for f in a.findings if f.code == "no-bonding"]
    assert "Set Bondable off" in bond.detail
    # frames are btmon's own #N: the Pairing Request is "#32" in the text
    assert p.request is not None and p.request.frame == 32
    assert "#32 " in _text("comparison_rejected_by_central.confirm-without-agent").read_text()


def test_pair_without_agent() -> None:
    a = diagnose_file(_text("peer_requires_mitm.pair-without-agent"))
    codes = [f.code for f in a.findings]
    assert "host-pairing-failed" in codes and "peer-requires-mitm" in codes
    # no "no agent" line and no prompt: an agent with NoInputNoOutput would look the same,
    # so no-agent must not be claimed
    assert "no-agent" not in codes
    [host] = [f for f in a.findings if f.code == "host-pairing-failed"]
    assert "NoInputNoOutput" in host.detail and "no agent is registered" in host.detail
    assert "Authentication Failed (0x05)" in host.detail


@pytest.mark.parametrize("shape", sorted(SHAPES))
@pytest.mark.parametrize("name", sorted(FLOWS))
def test_pasted_flows_keep_their_findings(name: str, shape: str, tmp_path: Path) -> None:
    text = _text(name).read_text()
    p = tmp_path / "pasted.txt"
    p.write_bytes(SHAPES[shape](text).encode())
    got = diagnose_file(p)
    # an elision between a request and its refusal: "at once" is not claimed (paste_shapes)
    want = codes_through_elisions(diagnose_file(_text(name)), got)
    assert sorted(f.code for f in got.findings) == want


@pytest.mark.parametrize("name", sorted(FLOWS))
def test_live_btmon_process_prefixes(name: str, tmp_path: Path) -> None:
    text = _text(name).read_text()
    live = live_btmon(text)
    assert live != text and "bluetoothd[612]: @ MGMT Command" in live
    p = tmp_path / "live.txt"
    p.write_text(live)
    assert _summary(diagnose_file(p)) == _summary(diagnose_file(_text(name)))


@pytest.mark.parametrize("name", sorted(FLOWS))
def test_frames_are_btmons_numbers(name: str) -> None:
    """btmon numbers HCI records only; the notes, MGMT Open and management records between
    them must not shift the numbers bpdiag reports away from the text's #N."""
    import re

    from bpdiag.capture import open_capture

    text = _text(name).read_text()
    numbers = [int(n) for n in re.findall(r"^[<>] .*#(\d+) \[hci0\]", text, re.M)]
    with open_capture(_text(name)) as cap:
        recs = list(cap)
    hci = [r.index for r in recs if r.flags & 0xFFFF in (2, 3, 4, 5)]
    assert set(hci) <= set(numbers) and len(hci) == len(set(hci))
    assert [r.index for r in recs] == sorted(r.index for r in recs)
    assert recs[0].index == 1  # New Index, MGMT Open: before #1


def test_advice_names_the_hosts_refusal_not_a_users() -> None:
    from bpdiag.rules.advice import suggestions

    a = diagnose_file(_text("comparison_rejected_by_central.confirm-without-agent"))
    [s] = suggestions(a)
    assert "User Confirmation Negative Reply" in s.also[0] and "agent" in s.also[0]
    assert not any(x.startswith("enter or confirm") for x in s.also)
    # the peer's user rejecting it (no host records): the usual advice stays
    [peer] = suggestions(
        diagnose_file(TEXTS.parents[2] / "captures/numeric_comparison_rejected.btsnoop")
    )
    assert any(x.startswith("enter or confirm") for x in peer.also)
    assert not any("Negative Reply" in x for x in peer.also)
