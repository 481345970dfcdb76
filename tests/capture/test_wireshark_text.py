"""Wireshark's packet dissections as text (``tshark -V -x``, Export Packet Dissections with
the packet bytes): made by tshark itself from bpdiag's captures and the shared real ones,
each must give the analysis of the capture it was printed from; and the edge cases of the
printing, spelled out."""

from __future__ import annotations

import functools
import shutil
import subprocess
from pathlib import Path

import pytest

from bpdiag.capture import open_capture
from bpdiag.capture.record import Direction, LinkType, ProblemKind
from bpdiag.crypto.keyring import Keyring, PasskeySearch, SearchMode
from bpdiag.diagnose import diagnose_file
from tests.capture import read, write

ROOT = Path(__file__).resolve().parents[2]
CAPS = ROOT / "captures"
SHARED = ROOT.parent / "shared" / "captures"
needs_tshark = pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark not installed")

BUNDLED = ["not_in_pairing_mode", "legacy_passkey_wrong", "sc_justworks_fragmented"]
# one of each link type the shared corpus has
REAL = [
    "lephdr_lesc_justworks_fragmented_bsniffhub.pcap",  # 256, an L2CAP reassembly pane
    "nordic_secreq_pairfail_unspecified_sweyntooth.pcap",  # 272
    "ubertooth_ppi_legacy_passkey_crackle.pcap",  # 192
    "lell_no_smp_blediff.pcap",  # 251
    "h4phdr_legacy_justworks_miband_blproject.pcapng",  # 201 in pcapng
    "btmon_att_no_smp_projetrp.snoop",  # 2001
    "android_no_smp_btsnoop-extcap_btsnoop_hci.log",  # 1002 from Android
]


def _summary(path: Path) -> tuple[object, ...]:
    # no passkey search: it would be the same on both sides, and a second of CPU each
    a = diagnose_file(path, keys=Keyring(passkey_search=PasskeySearch(SearchMode.NEVER)))
    return (
        [(p.outcome, p.method, p.failure.reason if p.failure else None) for p in a.pairings],
        [(e.status, e.after_pairing) for e in a.encryptions],
        sorted(f.code for f in a.findings),
        sorted((pr.record, pr.message) for pr in a.problems if pr.layer != "wireshark-text"),
    )


# The captures these tests print are the project's and the shared corpus's, which no test
# changes: each is printed by tshark, and summarised, once a session (the six paste shapes
# start from one print of one capture).
_original_summary = functools.cache(_summary)


@functools.cache
def _tshark_text(capture: Path, *args: str) -> bytes:
    return subprocess.run(
        ["tshark", "-r", str(capture), "-V", "-x", *args], capture_output=True, check=True
    ).stdout


def _printed(capture: Path, tmp_path: Path, *args: str) -> Path:
    return write(tmp_path, _tshark_text(capture, *args), "pasted.txt")


@needs_tshark
@pytest.mark.parametrize("name", BUNDLED)
def test_tshark_text_of_a_bundled_capture(name: str, tmp_path: Path) -> None:
    capture = CAPS / f"{name}.btsnoop"
    text = _printed(capture, tmp_path)
    with open_capture(text) as cap:
        assert cap.format == "wireshark-text"
        records = list(cap)
    with open_capture(capture) as cap:
        original = list(cap)
    assert [r.index for r in records] == [r.index for r in original]
    assert [r.payload[4:] for r in records] == [r.payload for r in original]  # 201: + phdr
    assert [r.direction for r in records] == [r.direction for r in original]
    assert [round(r.timestamp, 6) for r in records] == [round(r.timestamp, 6) for r in original]
    assert _summary(text) == _original_summary(capture)


@needs_tshark
@pytest.mark.parametrize("name", REAL)
def test_tshark_text_of_a_real_capture(name: str, tmp_path: Path) -> None:
    capture = SHARED / name
    if not capture.exists():
        pytest.skip("the shared captures are not beside the project")
    text = _printed(capture, tmp_path)
    records, _problems = read(text)
    original, _ = read(capture)
    assert len(records) == len(original)
    if original[0].link_type == LinkType.BTSNOOP_H4:  # Wireshark's "H4 with linux header"
        assert {r.link_type for r in records} == {LinkType.BLUETOOTH_HCI_H4_WITH_PHDR}
        assert [r.payload[4:] for r in records] == [r.payload for r in original]
    elif original[0].link_type == LinkType.BLUETOOTH_HCI_H4_WITH_PHDR:
        assert [r.payload for r in records] == [r.payload for r in original]
    else:
        assert [(r.link_type, r.payload, r.flags & 0xFFFF) for r in records] == [
            (r.link_type, r.payload, r.flags & 0xFFFF) for r in original
        ]
    assert _summary(text) == _original_summary(capture)


@needs_tshark
def test_only_the_smp_frames_filtered_out(tmp_path: Path) -> None:
    capture = CAPS / "legacy_passkey_wrong.btsnoop"
    text = _printed(capture, tmp_path, "-Y", "btsmp")
    never = Keyring(passkey_search=PasskeySearch(SearchMode.NEVER))
    a, b = diagnose_file(text, keys=never), diagnose_file(capture, keys=never)
    assert [p.frames for p in a.pairings] == [p.frames for p in b.pairings]  # Wireshark's
    assert "confirm-value-failed" in [f.code for f in a.findings]


FRAME_1 = """\
Frame 7: 11 bytes on wire (88 bits), 11 bytes captured (88 bits)
    Encapsulation type: Bluetooth H4 with linux header (99)
    Epoch Time: 1700000000.250000000 seconds
    Point-to-Point Direction: Received (1)
Bluetooth
Bluetooth HCI H4
Bluetooth HCI ACL Packet
Bluetooth L2CAP Protocol
Bluetooth Security Manager Protocol
    Opcode: Pairing Failed (0x05)
    Reason: Unspecified Reason (0x08)

0000  02 01 20 06 00 02 00 06 00 05 08                  .. ........
"""


def test_a_frame_becomes_an_h4_record_with_its_direction(tmp_path: Path) -> None:
    [rec], problems = read(write(tmp_path, FRAME_1.encode()))
    assert problems == []
    assert (rec.index, rec.timestamp, rec.link_type) == (7, 1700000000.25, 201)
    assert rec.payload == bytes.fromhex("000000010201200600020006000508")
    assert rec.direction == Direction.RECEIVED


def test_without_a_direction_the_record_is_plain_h4(tmp_path: Path) -> None:
    text = FRAME_1.replace("    Point-to-Point Direction: Received (1)\n", "")
    [rec], _ = read(write(tmp_path, text.encode()))
    assert rec.link_type == LinkType.BLUETOOTH_HCI_H4
    assert rec.payload == bytes.fromhex("0201200600020006000508")


def test_newer_wireshark_and_a_collapsed_frame_subtree(tmp_path: Path) -> None:
    # 4.2 on: "Epoch Arrival Time"; no Encapsulation line: the protocol lines say H4
    text = FRAME_1.replace("    Encapsulation type: Bluetooth H4 with linux header (99)\n", "")
    text = text.replace("Epoch Time:", "Epoch Arrival Time:")
    [rec], _ = read(write(tmp_path, text.encode()))
    assert (rec.link_type, rec.timestamp) == (201, 1700000000.25)


def test_missing_and_cut_bytes_are_problems(tmp_path: Path) -> None:
    no_bytes = FRAME_1.split("\n0000")[0].replace("Frame 7:", "Frame 8:") + "\n"
    cut = FRAME_1.replace("Frame 7:", "Frame 9:").replace(
        "0000  02 01 20 06 00 02 00 06 00 05 08                  .. ........",
        "0000  02 01 20 06 00 02 00",
    )
    records, problems = read(write(tmp_path, (FRAME_1 + "\n" + no_bytes + cut).encode()))
    assert [r.index for r in records] == [7, 9]
    assert records[1].orig_length == 11 + 4 and records[1].cut
    kinds = {p.kind for p in problems}
    assert kinds == {ProblemKind.TRUNCATED}
    assert any("7 of its 11 captured bytes" in p.message for p in problems)
    assert any("1 of 3 frame(s) have no packet bytes" in p.message for p in problems)


def test_other_encapsulations_and_numbering_are_problems(tmp_path: Path) -> None:
    ethernet = (
        "Frame 8: 60 bytes on wire (480 bits), 60 bytes captured (480 bits)\n"
        "    Encapsulation type: Ethernet (1)\n"
        "Ethernet II, Src: 00:00:00:00:00:01, Dst: ff:ff:ff:ff:ff:ff\n\n"
        "0000  ff ff ff ff ff ff 00 00 00 00 00 01 08 06 00 01   ................\n"
    )
    again = FRAME_1  # frame 7 a second time: two pastes joined
    records, problems = read(write(tmp_path, (FRAME_1 + ethernet + again).encode()))
    assert [r.index for r in records] == [7, 9]
    messages = [p.message for p in problems]
    assert any("comes after frame 8: numbered 9" in m for m in messages)
    assert any("'Ethernet'" in m and "skipped" in m for m in messages)


def test_only_the_frame_pane_is_read(tmp_path: Path) -> None:
    text = FRAME_1.replace(
        "0000  02 01 20 06 00 02 00 06 00 05 08                  .. ........\n",
        "Frame (11 bytes):\n"
        "0000  02 01 20 06 00 02 00 06 00 05 08                  .. ........\n"
        "Reassembled L2CAP (6 bytes):\n"
        "0000  02 00 06 00 05 08                                 ......\n",
    )
    [rec], problems = read(write(tmp_path, text.encode()))
    assert rec.payload[4:] == bytes.fromhex("0201200600020006000508") and problems == []


def test_a_monitor_frame_takes_its_opcode_from_the_tree(tmp_path: Path) -> None:
    text = (
        "Frame 1: 4 bytes on wire (32 bits), 4 bytes captured (32 bits)\n"
        "    Encapsulation type: Bluetooth Linux Monitor (159)\n"
        "    Epoch Time: 1719603154.369587000 seconds\n"
        "Bluetooth\n"
        "Bluetooth Linux Monitor Transport\n"
        "    [Adapter ID: 1]\n"
        "    [Opcode: Command Packet (2)]\n\n"
        "0000  03 0c 00 00                                       ....\n"
    )
    [rec], _ = read(write(tmp_path, text.encode()))
    assert (rec.link_type, rec.flags, rec.direction) == (2001, 1 << 16 | 2, Direction.SENT)
    collapsed = text.replace("    [Adapter ID: 1]\n    [Opcode: Command Packet (2)]\n", "")
    records, problems = read(write(tmp_path, collapsed.encode(), "b.txt"))
    assert records == [] and "opcode the text does not show" in problems[0].message


@needs_tshark
@pytest.mark.parametrize(
    "shape", ["wrapped72", "quoted2", "indented_tab", "crlf", "web_page", "colour_wrapped_quoted"]
)
def test_the_paste_shapes(shape: str, tmp_path: Path) -> None:
    from tests.capture.paste_shapes import SHAPES

    capture = CAPS / "sc_justworks_success.btsnoop"
    text = _printed(capture, tmp_path).read_text()
    pasted = write(tmp_path, SHAPES[shape](text).encode(), "shaped.txt")
    assert _summary(pasted) == _original_summary(capture)


def test_a_frame_line_wrapped_by_a_mail_client(tmp_path: Path) -> None:
    # The rest of a long Frame line on the next; the Frame subtree gives the lengths again
    text = FRAME_1.replace(
        "Frame 7: 11 bytes on wire (88 bits), 11 bytes captured (88 bits)\n",
        "Frame 7: 11 bytes on wire (88 bits), 11 bytes captured (88 bits) on\n"
        "interface \\Device\\NPF_{6A1D}, id 2\n"
        "    Interface id: 2 (\\Device\\NPF_{6A1D})\n"
        "    Capture Length: 11 bytes (88 bits)\n",
    )
    [rec], problems = read(write(tmp_path, text.encode()))
    assert problems == [] and rec.flags >> 16 == 2 and len(rec.payload) == 4 + 11


@pytest.mark.parametrize(
    "text",
    [
        # Wireshark's packet list exported as text: the column heading, summary lines
        "No.     Time           Source                Destination           Protocol Length "
        "Info\n     35 0.026981       f0:0d:00:00:00:02 ()  c0:ff:ee:00:00:01 ()  SMP      11"
        "     Rcvd Pairing Failed: Unspecified Reason\n",
        # tshark without -V: one line a packet, quoted in a reply
        "> 32   0.026366 f0:0d:00:00:00:02 () → c0:ff:ee:00:00:01 () SMP 11 Rcvd Security "
        "Request: AuthReq: Bonding\n> 35   0.026981 f0:0d:00:00:00:02 () → c0:ff:ee:00:00:01 "
        "() SMP 11 Rcvd Pairing Failed: Unspecified Reason\n",
    ],
    ids=["export", "tshark"],
)
def test_a_packet_list_without_bytes_says_what_to_send(text: str, tmp_path: Path) -> None:
    from bpdiag.errors import UnreadableCapture

    with pytest.raises(UnreadableCapture, match=r"packet list as text.*tshark -V -x"):
        open_capture(write(tmp_path, text.encode()))
