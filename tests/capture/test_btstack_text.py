"""BTstack's console HCI dump (bpdiag.capture.btstack_text): the same analysis as the btsnoop
it was printed from, in each style BTstack prints (POSIX date and time, embedded time since
boot, none), with its log lines, Segger RTT's prefix and a paste's damage; and each edge of
the format a Problem with its record, offset and kind."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bpdiag.capture import open_capture, sniff_format
from bpdiag.capture.record import ProblemKind
from bpdiag.diagnose import diagnose_file
from tests.capture.writers import btstack_text, read_btsnoop_h4
from tests.conftest import OWN

CAPTURES = sorted(OWN.glob("*.btsnoop"))


def _story(path: Path, frames: bool = True, times: bool = True) -> dict[str, Any]:
    a = diagnose_file(path)
    return {
        "connections": [(c.handle, c.local_role, c.disconnect_reason) for c in a.connections],
        "pairings": [
            (
                p.outcome,
                p.method,
                p.secure_connections,
                p.failure.reason if p.failure else None,
                [s.name for s in p.steps],
                [(c.check, c.result) for c in p.checks],
                p.frames if frames else None,
            )
            for p in a.pairings
        ],
        "encryptions": [(e.status, e.frame if frames else None) for e in a.encryptions],
        "findings": sorted(
            (f.code, tuple(f.frames) if frames else (), f.detail if frames and times else "")
            for f in a.findings
        ),
    }


@pytest.mark.parametrize("style", ["posix", "embedded", "none"])
@pytest.mark.parametrize("capture", CAPTURES, ids=lambda p: p.stem)
def test_the_same_story_as_the_btsnoop(tmp_path: Path, capture: Path, style: str) -> None:
    text = tmp_path / "console.txt"
    text.write_text(btstack_text(read_btsnoop_h4(capture), style))
    assert sniff_format(text) == "btstack-text"
    # frames are the btsnoop's, one per packet; without time stamps, durations are not
    # known, and no finding states one
    timed = style != "none"
    assert _story(text, times=timed) == _story(capture, times=timed)
    if not timed:
        assert not any(" s later" in f.detail for f in diagnose_file(text).findings)
    assert not [p for p in diagnose_file(text).problems if p.layer == "btstack-text"]


@pytest.mark.parametrize(
    "capture",
    [OWN / "legacy_passkey_wrong.btsnoop", OWN / "sc_justworks_success.btsnoop"],
    ids=lambda p: p.stem,
)
def test_log_lines_rtt_prefix_wrapping_and_prose(tmp_path: Path, capture: Path) -> None:
    """LOG lines are System Notes (and take frame numbers, as BTstack's create_packet_log.py
    gives them); the RTT Viewer's ``00> ``, a forum's quoting, CRLF, prose lines and hex lines
    wrapped at 48 columns change nothing else."""
    records = read_btsnoop_h4(capture)
    lines = []
    for line in btstack_text(records, "embedded", log_every=3).splitlines():
        if ("=> " in line or "<= " in line) and len(line) > 60 and "LOG --" not in line:
            cut = line.rfind(" ", 0, 60)
            lines += [line[:cut], line[cut + 1 :]]  # a terminal's wrap, at a space
        else:
            lines.append(line)
    pasted = "Here is my log:\r\n" + "".join(f"> 00> {x}\r\n" for x in lines) + "thanks\r\n"
    text = tmp_path / "pasted.txt"
    text.write_text(pasted, newline="")
    got = diagnose_file(text)
    assert _story(text, frames=False) == _story(capture, frames=False)
    notes = [m for m in got.monitor if m.opcode == 12]
    assert len(notes) == len(records) // 3
    assert notes[0].values["text"].startswith("hci.c.1003: state 3")
    assert not got.problems


def _read(tmp_path: Path, text: str) -> tuple[list[Any], list[Any]]:
    path = tmp_path / "x.txt"
    path.write_text(text)
    with open_capture(path) as cap:
        assert cap.format == "btstack-text"
        return list(cap), list(cap.problems)


def test_records_are_monitor_records(tmp_path: Path) -> None:
    recs, problems = _read(
        tmp_path,
        "[2026-11-24 18:04:22.197] CMD => 03 0C 00 \n"  # HCI_Reset, printf_hexdump's trailing space
        "[2026-11-24 18:04:22.199] EVT <= 0E 04 01 03 0C 00\n"
        "[2026-11-24 18:04:23.500] LOG -- sm.c.1234: pairing started\n"
        "ACL => 40 00 06 00 02 00 06 00 05 08\n",  # no time: the last one stands
    )
    assert problems == []
    assert [(r.index, r.flags, r.direction.name, r.payload.hex()) for r in recs] == [
        (1, 2, "SENT", "030c00"),
        (2, 3, "RECEIVED", "0e0401030c00"),
        (3, 0xFFFF000C, "UNKNOWN", b"sm.c.1234: pairing started".hex()),
        (4, 4, "SENT", "4000060002000600" + "0508"),
    ]
    assert recs[0].timestamp == pytest.approx(1795543462.197)  # 2026-11-24 18:04:22.197 UTC
    assert recs[3].timestamp == recs[2].timestamp == pytest.approx(1795543463.5)


def test_boot_time_stamps(tmp_path: Path) -> None:
    recs, _ = _read(tmp_path, "[01:02:03.004] EVT <= 0E 04 01 03 0C 00\n")
    assert recs[0].timestamp == pytest.approx(3723.004)


def test_a_cut_packet_is_kept_cut_with_a_problem(tmp_path: Path) -> None:
    recs, problems = _read(tmp_path, "xx\n[00:00:01.000] ACL <= 40 20 0B 00 07 00 06 00 01\n")
    assert recs[0].payload == bytes.fromhex("4020 0b00 0700 0600 01")
    assert recs[0].orig_length == 15 and recs[0].cut
    assert [(p.record, p.offset, p.kind) for p in problems] == [(1, 3, ProblemKind.TRUNCATED)]
    assert "line 2: 9 bytes, the packet's header says 15" in problems[0].message


def test_bytes_past_the_length_are_left_out(tmp_path: Path) -> None:
    recs, problems = _read(tmp_path, "EVT <= 0E 04 01 03 0C 00 FF FF\n")
    assert recs[0].payload == bytes.fromhex("0e0401030c00")
    assert [p.kind for p in problems] == [ProblemKind.BAD_LENGTH]
    assert "2 bytes past the length" in problems[0].message


def test_bytes_that_are_not_hex_are_no_record(tmp_path: Path) -> None:
    recs, problems = _read(
        tmp_path, "EVT <= 0E 04 01 03 0C 00\nEVT <= 0E 04 0G 03\nEVT <= 0E 04 01 03 0C 00\n"
    )
    assert [r.index for r in recs] == [1, 2]  # the skipped line takes no frame number
    assert [(p.record, p.kind) for p in problems] == [(2, ProblemKind.INVALID)]


def test_the_max_size_cut_of_btstack_is_a_truncated_packet(tmp_path: Path) -> None:
    """HCI_DUMP_STDOUT_MAX_SIZE_ACL: BTstack says the size, then prints the first bytes on a
    line of their own."""
    recs, problems = _read(
        tmp_path,
        "EVT <= 0E 04 01 03 0C 00\n"
        "[00:00:02.000] LOG -- ACL in, size 300\n"
        "40 20 28 01 24 01 04 00 1B 01 00\n",
    )
    assert [(r.index, r.flags, r.orig_length) for r in recs] == [
        (1, 3, 0),
        (2, 0xFFFF000C, 0),
        (3, 5, 300),
    ]
    assert [(p.record, p.kind) for p in problems] == [(3, ProblemKind.TRUNCATED)]


def test_only_log_lines_say_there_is_nothing_to_analyse(tmp_path: Path) -> None:
    path = tmp_path / "x.txt"
    path.write_text("EVT <= 0E 04 01 03 0C 00\n")
    assert sniff_format(path) == "btstack-text"
    a = diagnose_file(path)
    assert a.capture.records == 1 and not a.pairings
    path.write_text("[00:00:01.000] LOG -- hci.c.100: only a log line\nCMD =>\n")
    assert sniff_format(path) is None  # no packet line with bytes: not told apart as BTstack


def test_an_hci_log_that_starts_mid_pairing_blames_the_log_not_a_sniffer(
    tmp_path: Path,
) -> None:
    """capture-gap on an HCI log (which sees every PDU of its host) says the log does not hold
    the PDUs and asks for the whole log; "the sniffer missed them" is for air captures."""
    records = read_btsnoop_h4(OWN / "sc_justworks_success.btsnoop")
    # drop the Pairing Request and Response (ACL, SMP codes 0x01/0x02 on CID 6)
    kept = [r for r in records if not (r.packet[0] == 2 and r.packet[9:10] in (b"\x01", b"\x02"))]
    assert len(records) - len(kept) == 2
    text = tmp_path / "excerpt.txt"
    text.write_text(btstack_text(kept, "embedded"))
    [gap] = [f for f in diagnose_file(text).findings if f.code == "capture-gap"]
    assert "the log does not hold them (it starts after them, or they were left out)" in (
        gap.detail
    )
    assert "sniffer" not in gap.detail and "sniffer" not in gap.fix
    assert gap.fix.startswith("Attach the whole log")


def test_an_elision_is_a_gap_the_rules_respect(tmp_path: Path) -> None:
    records = read_btsnoop_h4(OWN / "not_in_pairing_mode.btsnoop")
    lines = btstack_text(records, "embedded").splitlines()
    request = next(i for i, x in enumerate(lines) if x.endswith("06 00 01 04 00 09 10 03 03 "))
    lines.insert(request + 1, "[...]")  # between the Pairing Request and the refusal
    path = tmp_path / "elided.txt"
    path.write_text("\n".join(lines) + "\n")
    a = diagnose_file(path)
    [gap] = [p for p in a.problems if p.kind == ProblemKind.MISSING]
    assert gap.record == request + 2 and "an elision" in gap.message
    codes = {f.code for f in a.findings}
    assert "pairing-mode-inactive" not in codes and "pairing-failed" in codes


@pytest.mark.parametrize("mark", ["", "[...]"])
def test_a_dhkey_check_skip_is_not_claimed_across_an_elision(tmp_path: Path, mark: str) -> None:
    """An HCI log sees every SMP PDU of its host: encryption after SC phase 2 without DHKey
    Checks is the DHKey-check-skip bug — unless the paste marks that it left records out."""
    records = read_btsnoop_h4(OWN / "sc_justworks_success.btsnoop")
    lines = []
    for r, line in zip(records, btstack_text(records, "embedded").splitlines(), strict=True):
        if r.packet[0] == 2 and r.packet[9:10] == b"\x0d":  # Pairing DHKey Check
            if mark and lines[-1] != mark:
                lines.append(mark)
            continue
        lines.append(line)
    path = tmp_path / "cut.txt"
    path.write_text("\n".join(lines) + "\n")
    codes = {f.code for f in diagnose_file(path).findings}
    assert ("pairing-protocol-violation" in codes) == (not mark)


def test_a_log_that_ends_in_key_distribution_does_not_say_the_pairing_completed(
    tmp_path: Path,
) -> None:
    from bpdiag.report.text import explain_pairing

    records = read_btsnoop_h4(OWN / "legacy_justworks_success.btsnoop")
    smp = [r.packet[9] if r.packet[0] == 2 and len(r.packet) > 9 else None for r in records]
    first_key = smp.index(0x06)  # Encryption Information
    kept = [r for r, c in zip(records[: first_key + 1], smp, strict=False) if c not in (1, 2)]
    path = tmp_path / "excerpt.txt"
    path.write_text(btstack_text(kept, "embedded"))
    a = diagnose_file(path)
    [p] = a.pairings
    story = explain_pairing(p, a.connections[p.connection - 1])
    assert "Keys distributed: LTK" in story
    assert "whether all arrived and the pairing completed is not in the log" in story


@pytest.mark.parametrize("mark", ["", "[...]"])
def test_a_pairing_response_after_phase_2_is_out_of_order(tmp_path: Path, mark: str) -> None:
    """An HCI log sees every SMP PDU of its host: a Pairing Response after the Confirms is
    out of SMP's order — unless the paste marks that it left records out there."""
    records = read_btsnoop_h4(OWN / "legacy_justworks_success.btsnoop")
    code = [r.packet[9] if r.packet[0] == 2 and len(r.packet) > 9 else None for r in records]
    rsp, second_confirm = code.index(0x02), [i for i, c in enumerate(code) if c == 0x03][1]
    order = [*range(rsp), *range(rsp + 1, second_confirm + 1), rsp]
    order += range(second_confirm + 1, len(records))
    lines = btstack_text([records[i] for i in order], "embedded").splitlines()
    if mark:
        lines.insert(order.index(rsp), mark)
    path = tmp_path / "late.txt"
    path.write_text("\n".join(lines) + "\n")
    found = [f for f in diagnose_file(path).findings if f.code == "pairing-out-of-order"]
    assert len(found) == (0 if mark else 1)
    if not mark:
        assert "came after phase 2 had begun (Pairing Confirm #" in found[0].detail


@pytest.mark.parametrize("capture", CAPTURES[:8], ids=lambda p: p.stem)
def test_lines_that_print_the_packet_length_first(tmp_path: Path, capture: Path) -> None:
    """A port that prints each packet's length before its bytes, ``EVT <= (6)0f 04 …``,
    and a console that leaves a ``:`` after them: the same story."""
    import re

    plain = btstack_text(read_btsnoop_h4(capture), "none")
    counted = re.sub(
        r"^((?:CMD|EVT|ACL) (?:=>|<=)) (.*?) ?$",
        lambda m: f"{m.group(1)} ({len(m.group(2).split())}){m.group(2).lower()} : \t",
        plain,
        flags=re.M,
    )
    assert counted != plain
    text = tmp_path / "console.txt"
    text.write_text(counted)
    assert _story(text, times=False) == _story(capture, times=False)
    assert not [p for p in diagnose_file(text).problems if p.layer == "btstack-text"]


def test_a_length_that_disagrees_with_the_bytes_is_a_problem(tmp_path: Path) -> None:
    text = tmp_path / "console.txt"
    text.write_text("EVT <= (9)0e 04 01 03 0c 00\n")
    with open_capture(text) as cap:
        [rec] = list(cap)
        [p] = cap.problems
    assert p.kind == ProblemKind.BAD_LENGTH and "says 9 bytes and shows 6" in p.message
    assert rec.payload == bytes.fromhex("0e0401030c00")
