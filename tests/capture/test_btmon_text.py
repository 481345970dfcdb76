"""btmon's printed output as input: it must give the same pairings and findings as the
btsnoop file it was printed from, and read excerpts as people paste them into bug reports."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from bpdiag.analysis.run import Reading
from bpdiag.diagnose import diagnose_file
from tests.conftest import capture_id, own_captures


def _summary(path: Path) -> tuple[object, ...]:
    a = diagnose_file(path)
    return (
        [(p.outcome, p.method, p.failure.reason if p.failure else None) for p in a.pairings],
        [(e.status, e.after_pairing) for e in a.encryptions],
        [f.code for f in a.findings],
    )


@pytest.mark.parametrize("path", own_captures(), ids=capture_id)
def test_btmon_text_gives_the_same_analysis(path: Path, tmp_path: Path) -> None:
    btmon = shutil.which("btmon")
    if btmon is None:
        pytest.skip("btmon (Debian package bluez) is not installed")
    text = subprocess.run([btmon, "-r", str(path)], capture_output=True, text=True).stdout
    printed = tmp_path / "pasted.txt"
    printed.write_text(text)
    assert _summary(printed) == _summary(path)


# Excerpt from a public bug report: bluez/bluez issue #1125 ("Intel AX211 fails to Pair on
# first attempt …", 2025), first message — btmon 5.79 output with its wide padding.
EXCERPT_1125 = """\
> ACL Data RX: Handle 2048 flags 0x02 dlen 69                                                                                                                                                  #25 [hci0] 2.070151
      SMP: Pairing Public Key (0x0c) len 64
        X: af0e76665a02c591938822e9fbeb10ff83dda6c81fcc0a78447ef605f34267fc
        Y: 83af8342ede392ec2a2d6356d3e4cb411daf82bdbe3130f7f20dee849ceea426
"""


def test_excerpt_from_bluez_issue_1125(tmp_path: Path) -> None:
    p = tmp_path / "excerpt.txt"
    p.write_text(EXCERPT_1125)
    pdus = [pdu for pdu, _ in Reading(p)]
    assert [(x.frame, x.layer, x.name) for x in pdus] == [(25, "smp", "Pairing Public Key")]
    f = pdus[0].msg.fields()
    assert f["public_key_x"] == "af0e76665a02c591938822e9fbeb10ff83dda6c81fcc0a78447ef605f34267fc"
    assert pdus[0].link == ("hci", 0, 2048)


# The seed story as a forum post would show it (hand-typed in btmon 5.50's format, the
# version on the Raspberry Pi of the story): Security Request, Pairing Request, Pairing Failed.
STORY = """\
> ACL Data RX: Handle 64 flags 0x02 dlen 6                                  #31 [hci0] 12.101000
      SMP: Security Request (0x0b) len 1
        Authentication requirement: Bonding, No MITM, Legacy, No Keypresses (0x01)
< ACL Data TX: Handle 64 flags 0x00 dlen 11                                 #32 [hci0] 12.102000
      SMP: Pairing Request (0x01) len 6
        IO capability: NoInputNoOutput (0x03)
        OOB data: Authentication data not present (0x00)
        Authentication requirement: Bonding, No MITM, SC, No Keypresses (0x09)
        Max encryption key size: 16
        Initiator key distribution: EncKey Sign (0x05)
        Responder key distribution: EncKey IdKey Sign (0x07)
> ACL Data RX: Handle 64 flags 0x02 dlen 6                                  #33 [hci0] 12.160000
      SMP: Pairing Failed (0x05) len 1
        Reason: Unspecified reason (0x08)
"""


def test_story_excerpt(tmp_path: Path) -> None:
    p = tmp_path / "post.txt"
    p.write_text(STORY)
    a = diagnose_file(p)
    assert a.capture.format == "btmon-text"
    [pairing] = a.pairings
    assert pairing.request is not None and pairing.request.io_capability_name == "NoInputNoOutput"
    assert pairing.failure is not None and pairing.failure.reason == 8
    assert pairing.failure.sent_by == "responder"
    assert [f.code for f in a.findings] == ["pairing-mode-inactive"]
    assert a.findings[0].frames == [31, 32, 33]
