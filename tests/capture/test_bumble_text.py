"""A Bumble DEBUG log's ACL data lines (bumble/host.py ``### HOST -> CONTROLLER: {packet}``,
bumble/hci.py ``HCI_AclDataPacket.__str__``) are HCI ACL data packets: each is a Linux monitor
ACL record numbered by its line, so the SMP in it is analysed. Made-up lines in Bumble's
format, never a real log."""

from __future__ import annotations

from pathlib import Path

from bpdiag.capture import open_capture
from bpdiag.capture.record import Direction
from bpdiag.diagnose import diagnose_file

# Identity Address Information (L2CAP length 8, CID 6; code 09, AddrType 01, the address
# least significant octet first: 5A:4B:3C:2D:1E:0F) and, received, Pairing Failed 0x0A
SENT = "080006000901" + "0f1e2d3c4b5a"
FAILED = "020006000" + "50a"
TEXT = (
    "INFO:bumble.device:connected\n"
    "DEBUG:bumble.smp:>>> Sending SMP Command on connection [0x0040]\n"
    "DEBUG:bumble.host:### HOST -> CONTROLLER: ACL: handle=0x0040, pb=0, bc=0, "
    f"data_total_length=12, data={SENT}\n"
    "DEBUG:bumble.host:### CONTROLLER -> HOST: HCI_NUMBER_OF_COMPLETED_PACKETS_EVENT:\n"
    "DEBUG:bumble.host:### CONTROLLER -> HOST: (CID=6) ACL: handle=0x0040pb=2, bc=0, "
    f"data_total_length=6, data={FAILED}\n"
    "WARNING:bumble.smp:pairing failure (SMP_INVALID_PARAMETERS_ERROR)\n"
)


def _read(tmp_path: Path, text: str):  # type: ignore[no-untyped-def]
    p = tmp_path / "bumble.log"
    p.write_text(text)
    with open_capture(p) as cap:
        return cap.format, list(cap), list(cap.problems)


def test_acl_lines_are_acl_records_numbered_by_their_line(tmp_path: Path) -> None:
    fmt, records, problems = _read(tmp_path, TEXT)
    assert fmt == "bumble-text" and problems == []
    assert [(r.index, r.direction) for r in records] == [
        (3, Direction.SENT),
        (5, Direction.RECEIVED),
    ]
    # handle 0x0040 with the packet boundary flags, the length, the data
    assert records[0].payload == bytes.fromhex("4000" + "0c00" + SENT)
    assert records[1].payload == bytes.fromhex("4020" + "0600" + FAILED)


def test_the_smp_in_them_is_analysed(tmp_path: Path) -> None:
    p = tmp_path / "bumble.log"
    p.write_text(TEXT)
    a = diagnose_file(p)
    [pairing] = a.pairings
    assert pairing.failure is not None and pairing.failure.reason == 0x0A
    assert pairing.failure.frame == 5  # line 5 of the text
    [f] = [f for f in a.findings if f.code == "identity-address-not-static"]
    assert f.frames == [3] and "5A:4B:3C:2D:1E:0F" in f.detail


def test_data_shorter_or_longer_than_its_length_is_said(tmp_path: Path) -> None:
    cut = TEXT.replace(f"data_total_length=6, data={FAILED}", "data_total_length=6, data=0200")
    _, records, problems = _read(tmp_path, cut)
    assert records[1].orig_length == 10 and len(records[1].payload) == 6
    assert [p.message for p in problems] == [
        "line 5: 2 data bytes, data_total_length says 6; kept cut short"
    ]
    long = TEXT.replace(f"data={FAILED}", f"data={FAILED}ff")
    _, records, problems = _read(tmp_path, long)
    assert records[1].payload == bytes.fromhex("4020" + "0600" + FAILED)
    assert [p.message for p in problems] == [
        "line 5: 1 data bytes past data_total_length (6); left out"
    ]
