"""Apple PacketLogger: byte order detection, record mapping, notes, bounds, and the same
pairings as the btsnoop it was written from — checked against tshark too."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from bpdiag.capture import open_capture
from bpdiag.capture.packetlogger import byte_order
from bpdiag.diagnose import diagnose_file
from tests.capture.writers import pklg_bytes, pklg_note, read_btsnoop_h4
from tests.tshark import Tshark, smp_opcodes

ROOT = Path(__file__).resolve().parents[2]
OWN = sorted((ROOT / "captures").glob("*.btsnoop"))
PAIRING_CAPTURES = [
    p
    for p in OWN
    if p.stem
    in {
        "sc_justworks_success",
        "legacy_passkey_wrong",
        "dhkey_check_failed",
        "sc_passkey_wrong",
        "pairing_cut_by_disconnect",
        "sc_justworks_fragmented",
        "legacy_justworks_success",
    }
]

# One HCI Reset command, little-endian: length 12 (9 + 3), 1 s, 2 µs, type 0x00, 03 0c 00.
RESET_LE = b"\x0c\x00\x00\x00\x01\x00\x00\x00\x02\x00\x00\x00\x00\x03\x0c\x00"
RESET_BE = b"\x00\x00\x00\x0c\x00\x00\x00\x01\x00\x00\x00\x02\x00\x03\x0c\x00"


def _pairings(analysis) -> list[tuple]:  # type: ignore[no-untyped-def]
    return [
        (
            p.outcome,
            p.method,
            p.secure_connections,
            p.failure.reason if p.failure else None,
            [s.name for s in p.steps],
            [c.result for c in p.checks],
        )
        for p in analysis.pairings
    ]


def test_byte_order_both_ways() -> None:
    assert byte_order(RESET_LE) == "<"
    assert byte_order(RESET_BE) == ">"
    assert byte_order(b"hello world, not a pklg") is None
    assert byte_order(b"\x0c\x00\x00\x00\x01\x00\x00\x00\x40\x42\x0f\x00\x00") is None  # µs 1e6


@pytest.mark.parametrize("order", ["<", ">"])
def test_records_map_to_monitor_records(tmp_path: Path, order: str) -> None:
    path = tmp_path / "x.pklg"
    path.write_bytes(
        (RESET_LE if order == "<" else RESET_BE) + pklg_note(3_000_004, b"hello note", order)
    )
    with open_capture(path) as cap:
        recs = list(cap)
        assert cap.format == "packetlogger"
        assert not cap.problems
    assert [(r.flags, r.payload, r.timestamp) for r in recs] == [
        (2, b"\x03\x0c\x00", 1.000002),
        (0xFFFF000C, b"hello note", 3.000004),
    ]


def test_note_is_a_timeline_annotation(tmp_path: Path) -> None:
    path = tmp_path / "x.pklg"
    path.write_bytes(RESET_LE + pklg_note(2_000_000, b"bluetoothd: pairing", "<", 0xF7))
    a = diagnose_file(path)
    assert [m.values.get("text") for m in a.monitor if m.opcode == 12] == ["bluetoothd: pairing"]


def test_length_of_4_gib_is_a_problem_and_keeps_what_came_before(tmp_path: Path) -> None:
    path = tmp_path / "x.pklg"
    path.write_bytes(RESET_LE + b"\xff\xff\xff\xff" + b"\x00" * 20)
    with open_capture(path) as cap:
        recs = list(cap)
        problems = [p.message for p in cap.problems]
    assert len(recs) == 1
    assert problems == [
        "record 2 at offset 0x10: PacketLogger length 4294967295 is outside 9–65548 bytes; "
        "the rest of the file cannot be framed"
    ]


def test_half_record_at_end(tmp_path: Path) -> None:
    path = tmp_path / "x.pklg"
    path.write_bytes(RESET_LE + RESET_LE[:14])
    with open_capture(path) as cap:
        assert len(list(cap)) == 1
        assert [p.message for p in cap.problems] == [
            "record 2 at offset 0x10: header says 3 packet bytes, file ends after 1"
        ]


@pytest.mark.parametrize("order", ["<", ">"])
@pytest.mark.parametrize("src", PAIRING_CAPTURES, ids=lambda p: p.stem)
def test_same_pairings_as_the_btsnoop(tmp_path: Path, src: Path, order: str) -> None:
    path = tmp_path / "x.pklg"
    path.write_bytes(pklg_bytes(read_btsnoop_h4(src), order))
    assert _pairings(diagnose_file(path)) == _pairings(diagnose_file(src))
    assert [f.code for f in diagnose_file(path).findings] == [
        f.code for f in diagnose_file(src).findings
    ]


@pytest.mark.parametrize("order", ["<", ">"])
def test_tshark_reads_the_same_smp(tmp_path: Path, order: str, dissect: Tshark) -> None:
    src = ROOT / "captures" / "sc_justworks_success.btsnoop"
    path = tmp_path / "x.pklg"
    path.write_bytes(pklg_bytes(read_btsnoop_h4(src), order))
    theirs = list(smp_opcodes(dissect.fresh(path)).items())
    a = diagnose_file(path)
    ours = [(s.frame, s.code) for p in a.pairings for s in p.steps]
    assert theirs and ours == theirs


def test_struct_sizes() -> None:
    assert struct.calcsize("<IIIB") == 13


def test_packetlogger_exported_as_text_says_what_to_send(tmp_path: Path) -> None:
    """PacketLogger's packet list exported as text (what iOS and macOS users post): summary
    lines, no bytes — refused, naming the .pklg to send and explain for the errors it names."""
    from bpdiag.errors import UnreadableCapture

    text = (
        "Here is the PacketLogger log from the phone:\n\n"
        "Nov 02 10:11:12.345  Note             0x0000                     Software: iOS 17\n"
        "Nov 02 10:11:13.001  HCI Event        0x0040  F0:0D:00:00:00:02  LE Connection "
        "Complete - Handle: 0x0040\n"
        "Nov 02 10:11:14.250  HCI Command      0x0040  F0:0D:00:00:00:02  Disconnect - "
        "Connection Handle: 0x0040 - Reason: Remote User Terminated Connection\n"
    )
    path = tmp_path / "pklg.txt"
    path.write_text(text)
    with pytest.raises(UnreadableCapture, match=r"PacketLogger's packet list as text.*\.pklg"):
        open_capture(path)
