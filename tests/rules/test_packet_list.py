"""``bpdiag explain --file`` on a packet list (Wireshark's or PacketLogger's, as text): the
SMP / ATT / HCI summary lines read in order tell the pairing story, per connection, citing
the lines, and say what a packet list cannot tell.

The lines are written in Wireshark's Info format, as its dissectors put it (checked against
tshark 4.0's output on the project's captures):
- packet-btsmp.c: ``col_set_str`` "Sent " / "Rcvd "; the opcode name from ``opcode_vals``
  ("Pairing Request", "Pairing DHKey Check", "Central Identification" — "Master
  Identification" before 3.6); ``dissect_btsmp_auth_req()`` appends "AuthReq: " then
  "Bonding"/"No Bonding", ", MITM", ", SecureConnection", ", Keypress";
  ``dissect_btsmp_key_dist()`` " | Initiator Key(s): " / " | Responder Key(s): " and "LTK",
  ", IRK", ", CSRK" or "<none>"; Pairing Failed ": %s" from ``reason_vals``
  ("Unspecified Reason", "Confirm Value Failed", "DHKey Check Failed").
- packet-btatt.c: "Error Response - %s, Handle: 0x%04x" from ``error_vals``.
- packet-bthci_evt.c: "Rcvd Encryption Change", "Rcvd Disconnect Complete" (no status).
"""

from __future__ import annotations

import time
from pathlib import Path

from click.testing import CliRunner

from bpdiag.cli import main
from bpdiag.report.explain_text import render_log
from bpdiag.rules.explain import explain_lines
from bpdiag.rules.packet_list import PacketListReader, PacketListStory

HEADING = "No.     Time           Source                Destination           Protocol Length Info"
PI, OMRON = "RaspberryPi_ab:cd:ef", "Omron_12:34:56"


def ws(no: int, t: str, src: str, dst: str, proto: str, length: int, info: str) -> str:
    """A line of Wireshark's exported packet list (column gaps, as File → Export Packet
    Dissections → As Plain Text writes it)."""
    return f"{no:7d} {t:<14} {src:<21} {dst:<21} {proto:<8} {length:<6} {info}"


def story_of(lines: list[str]) -> PacketListStory:
    result = explain_lines(lines)
    assert result.packet_list is not None
    return result.packet_list


def codes(story: PacketListStory) -> list[list[str]]:
    return [[v.code for v in c.verdicts] for c in story.conversations]


REQ = (
    "Sent Pairing Request: AuthReq: Bonding, MITM | Initiator Key(s): LTK, IRK"
    " | Responder Key(s): LTK, IRK"
)
RSP = "Rcvd Pairing Response: AuthReq: Bonding | Initiator Key(s): LTK | Responder Key(s): LTK"

REFUSED = [
    HEADING,
    ws(14, "0.030100", OMRON, PI, "SMP", 11, "Rcvd Security Request: AuthReq: Bonding"),
    ws(15, "0.060120", PI, OMRON, "SMP", 16, REQ),
    ws(17, "0.090000", OMRON, PI, "SMP", 11, "Rcvd Pairing Failed: Unspecified Reason"),
]


def test_refused_at_once_is_pairing_mode_inactive_with_its_lines() -> None:
    story = story_of(REFUSED)
    assert codes(story) == [["pairing-mode-inactive"]]
    (conv,) = story.conversations
    v = conv.verdicts[0]
    assert v.lines == (2, 3, 4)
    assert v.text.startswith(
        f"line 4 (No. 17): {OMRON} answered the Pairing Request (line 3, No. 15) at once"
    )
    assert "Unspecified Reason (0x08)" in v.text
    assert "it had asked for security itself (line 2, No. 14)" in v.text
    assert v.title == "The device refused pairing at once: it is probably not in pairing mode"
    assert conv.steps[0] == f"line 2 (No. 14): Security Request from {OMRON} (AuthReq: Bonding)"
    assert "Pairing Request from RaspberryPi_ab:cd:ef (AuthReq: Bonding, MITM)" in conv.steps[1]
    text = render_log("ws.txt", explain_lines(REFUSED))
    assert "finding pairing-mode-inactive" in text
    assert "attach the capture file itself" in text
    # what the Info column does not say is said to be unknown, not guessed
    assert "IO capabilities" in text and "cannot be known from a packet list" in text
    assert "NoInputNoOutput" not in text and "KeyboardDisplay" not in text


def test_failure_after_pairing_random_is_not_a_refusal_at_once() -> None:
    confirm = [
        HEADING,
        ws(15, "0.06", PI, OMRON, "SMP", 16, REQ),
        ws(16, "0.08", OMRON, PI, "SMP", 16, RSP),
        ws(18, "0.10", PI, OMRON, "SMP", 26, "Sent Pairing Confirm"),
        ws(19, "0.12", OMRON, PI, "SMP", 26, "Rcvd Pairing Confirm"),
        ws(20, "0.14", PI, OMRON, "SMP", 26, "Sent Pairing Random"),
        ws(21, "0.16", OMRON, PI, "SMP", 11, "Rcvd Pairing Failed: Confirm Value Failed"),
    ]
    story = story_of(confirm)
    assert codes(story) == [["confirm-value-failed"]]
    v = story.conversations[0].verdicts[0]
    assert "after Pairing Confirm, Pairing Random (line 6, No. 20 last)" in v.text
    assert "Confirm Value Failed (0x04)" in v.text
    # the same place with Unspecified Reason: a failure of its own, not pairing mode
    unspecified = [*confirm[:-1], confirm[-1].replace("Confirm Value Failed", "Unspecified Reason")]
    story = story_of(unspecified)
    assert codes(story) == [["pairing-failed"]]
    assert "not the refusal at once" in story.conversations[0].verdicts[0].text


def test_secure_connections_dhkey_check_failed() -> None:
    lines = [
        HEADING,
        ws(1, "0.0", PI, OMRON, "SMP", 16, REQ.replace("MITM", "MITM, SecureConnection")),
        ws(2, "0.1", OMRON, PI, "SMP", 16, RSP.replace("Bonding", "Bonding, SecureConnection")),
        ws(3, "0.2", PI, OMRON, "SMP", 74, "Sent Pairing Public Key"),
        ws(4, "0.3", OMRON, PI, "SMP", 74, "Rcvd Pairing Public Key"),
        ws(5, "0.4", OMRON, PI, "SMP", 26, "Rcvd Pairing Confirm"),
        ws(6, "0.5", PI, OMRON, "SMP", 26, "Sent Pairing Random"),
        ws(7, "0.6", OMRON, PI, "SMP", 26, "Rcvd Pairing Random"),
        ws(8, "0.7", PI, OMRON, "SMP", 26, "Sent Pairing DHKey Check"),
        ws(9, "0.8", OMRON, PI, "SMP", 11, "Rcvd Pairing Failed: DHKey Check Failed"),
    ]
    story = story_of(lines)
    assert codes(story) == [["dhkey-check-failed"]]
    v = story.conversations[0].verdicts[0]
    assert "Pairing DHKey Check" in v.text and "Pairing Public Key" in v.text
    assert v.title.startswith("DHKey check failed")


SUCCESS = [
    HEADING,
    ws(10, "0.0", PI, OMRON, "SMP", 16, REQ),
    ws(11, "0.1", OMRON, PI, "SMP", 16, RSP),
    ws(12, "0.2", PI, OMRON, "SMP", 26, "Sent Pairing Confirm"),
    ws(13, "0.3", OMRON, PI, "SMP", 26, "Rcvd Pairing Confirm"),
    ws(14, "0.4", PI, OMRON, "SMP", 26, "Sent Pairing Random"),
    ws(15, "0.5", OMRON, PI, "SMP", 26, "Rcvd Pairing Random"),
    ws(16, "0.6", "controller", "host", "HCI_EVT", 7, "Rcvd Encryption Change"),
    ws(17, "0.7", OMRON, PI, "SMP", 26, "Rcvd Encryption Information"),
    ws(18, "0.8", OMRON, PI, "SMP", 20, "Rcvd Central Identification"),
    ws(19, "0.9", PI, OMRON, "SMP", 26, "Sent Encryption Information"),
]


def test_success_tells_no_failure_story() -> None:
    story = story_of(SUCCESS)
    assert codes(story) == [[""]]
    assert (
        story.conversations[0]
        .verdicts[0]
        .text.startswith(
            "no Pairing Failed: the pairing reached key distribution (line 9, No. 17; line 10"
        )
    )
    assert not story.failed
    # the HCI event is listed apart: the list does not say which connection it is on, nor
    # its status
    assert story.controller == ["line 8 (No. 16): Encryption Change"]
    assert any("show no Encryption Change or Disconnect Complete" in u for u in story.unknown)
    text = render_log("ok.txt", explain_lines(SUCCESS))
    assert "finding" not in text and "attach the capture" not in text
    assert "does not know any message" not in text


def test_interleaved_connections_are_told_apart() -> None:
    other, pi2 = "Polar_aa:bb:cc", "RaspberryPi_ab:cd:ef"
    lines = [
        HEADING,
        ws(1, "0.00", PI, OMRON, "SMP", 16, REQ),
        ws(2, "0.01", pi2, other, "SMP", 16, REQ),
        ws(3, "0.02", other, pi2, "SMP", 16, RSP),
        ws(4, "0.03", OMRON, PI, "SMP", 11, "Rcvd Pairing Failed: Unspecified Reason"),
        ws(5, "0.04", pi2, other, "SMP", 26, "Sent Pairing Confirm"),
        ws(6, "0.05", other, pi2, "SMP", 26, "Rcvd Pairing Confirm"),
        ws(7, "0.06", pi2, other, "SMP", 26, "Sent Pairing Random"),
        ws(8, "0.07", other, pi2, "SMP", 11, "Rcvd Pairing Failed: Confirm Value Failed"),
        ws(
            9,
            "0.08",
            other,
            pi2,
            "ATT",
            9,
            "Rcvd Error Response - Insufficient Authentication, Handle: 0x0015 (Unknown: Unknown)",
        ),
    ]
    story = story_of(lines)
    by_name = {c.name: [v.code for v in c.verdicts] for c in story.conversations}
    assert by_name == {
        f"{OMRON} ↔ {PI}": ["pairing-mode-inactive"],
        f"{other} ↔ {pi2}": ["confirm-value-failed", "insufficient-authentication"],
    }
    att = story.conversations[1].verdicts[1]
    assert att.lines == (9, 10)  # the failed pairing's line, then the Error Response's
    assert "after the pairing that failed (line 9)" in att.text


def test_tshark_arrow_lines_and_names_with_spaces() -> None:
    """tshark's own lines (``A → B``), whose ends may hold spaces."""
    phone, band = "localhost (Galaxy S7 edge)", "ce:5d:95:7b:30:53 (MI Band 2)"
    lines = [
        f"14138 223.410891 {phone} → {band} SMP 16 Sent Pairing Request: AuthReq: Bonding, MITM",
        f"14150 223.545713 {band} → {phone} SMP 11 Rcvd Pairing Failed: Pairing Not Supported",
    ]
    story = story_of(lines)
    (conv,) = story.conversations
    assert conv.name == f"{band} ↔ {phone}"
    assert [v.code for v in conv.verdicts] == ["pairing-mode-inactive"]
    assert f"line 2 (No. 14150): {band} answered" in conv.verdicts[0].text


def test_authentication_requirements_asks_for_what_the_list_lacks() -> None:
    lines = [
        ws(1, "0.0", PI, OMRON, "SMP", 16, REQ),
        ws(2, "0.1", OMRON, PI, "SMP", 16, RSP),
        ws(3, "0.2", OMRON, PI, "SMP", 11, "Rcvd Pairing Failed: Authentication Requirements"),
    ]
    v = story_of(lines).conversations[0].verdicts[0]
    assert v.code == "pairing-failed"  # no one of the three 0x03 findings: it cannot tell
    assert "mitm-unsatisfiable" in v.text and "peer-requires-mitm" in v.text
    assert "needs the IO capabilities, which the Info column does not show" in v.text
    shown = f"line 1, No. 1: Pairing Request from {PI}, AuthReq Bonding, MITM"
    assert shown in v.text  # what the Info column does show


def test_packetlogger_text_list() -> None:
    """PacketLogger's packet list as text, in the layout capture/text_formats.py detects
    (time, type, handle, address, summary).  The summary's wording is Apple's and no source
    of it is public: only the SMP command and reason names it contains are read."""
    addr = "F0:0D:00:00:00:02"
    lines = [
        "Here is the PacketLogger log from the phone:",
        "Nov 02 10:11:12.345  Note             0x0000                     Software: iOS 17",
        f"Nov 02 10:11:13.100  SMP Receive      0x0040  {addr}  Security Request - Bonding",
        f"Nov 02 10:11:13.150  SMP Send         0x0040  {addr}  Pairing Request - IO Capability:"
        " KeyboardDisplay",
        f"Nov 02 10:11:13.190  SMP Receive      0x0040  {addr}  Pairing Failed - Reason: "
        "Unspecified Reason",
        f"Nov 02 10:11:14.250  HCI Command      0x0040  {addr}  Disconnect - Connection Handle:"
        " 0x0040 - Reason: Remote User Terminated Connection",
    ]
    story = story_of(lines)
    assert str(story.fmt) == "PacketLogger"
    (conv,) = story.conversations
    assert conv.name == "handle 0x0040"
    assert [v.code for v in conv.verdicts] == ["pairing-mode-inactive"]
    assert f"line 5: {addr} answered the Pairing Request (line 4)" in conv.verdicts[0].text
    assert conv.steps[1].startswith("line 4: Pairing Request from this device")


def test_prose_and_quoting_around_the_list() -> None:
    lines = [
        "Hi, pairing with my Omron fails. Here is what Wireshark shows:",
        "",
        *("> " + line for line in REFUSED),
        "",
        "The SMP packets above are all there is. Any idea? ATT works before pairing.",
        "1 2 3 SMP 4 5",  # prose that happens to hold the words
    ]
    story = story_of(lines)
    assert codes(story) == [["pairing-mode-inactive"]]
    assert story.rows == 3
    assert story.conversations[0].verdicts[0].lines == (4, 5, 6)


def test_a_log_that_is_no_packet_list_has_no_story() -> None:
    result = explain_lines(
        [
            "Nov 02 10:11:12 host bluetoothd[812]: Authentication failed",
            "SMP: Pairing Failed (0x05) len 1",
            "  Reason: Unspecified reason (0x08)",
        ]
    )
    assert result.packet_list is None
    assert result.found


def test_hostile_input_does_not_crash_and_stays_fast(tmp_path: Path) -> None:
    huge = "   1 0.0 " + "A " * 300_000 + " SMP 16 Sent Pairing Request" + " x" * 200_000
    lines = [
        huge,
        "\x00\xff\xfe SMP ATT HCI_EVT \x1b[31m" * 1000,
        "SMP " * 100_000,
        ws(99999999, "0.0", "\x00", "\x1b]", "SMP", 999999, "Rcvd Pairing Failed: <unknown>"),
        *REFUSED,
    ]
    reader = PacketListReader()
    start = time.perf_counter()
    for n, line in enumerate(lines, 1):
        reader.feed(n, line)
    story = reader.story()
    assert time.perf_counter() - start < 0.2  # a line is read no further than MAX_LINE
    assert story is not None
    assert codes(story)[-1] == ["pairing-mode-inactive"]
    # a Pairing Failed whose reason Wireshark could not name: said so, no reason invented
    junk = [v for c in story.conversations for v in c.verdicts if v.lines == (4,)]
    assert junk and "with a reason the line does not name" in junk[0].text
    path = tmp_path / "hostile.txt"
    path.write_bytes(b"\xff\xfe\x00garbage\n" + "\n".join(lines).encode("utf-8", "replace"))
    run = CliRunner().invoke(main, ["explain", "--file", str(path)])
    assert run.exception is None or isinstance(run.exception, SystemExit), run.output
    assert "\x1b" not in run.output  # terminal controls escaped


def test_cli_explain_file_tells_the_story(tmp_path: Path) -> None:
    path = tmp_path / "ws.txt"
    path.write_text("\n".join(REFUSED) + "\n")
    run = CliRunner().invoke(main, ["explain", "--file", str(path)])
    assert run.exit_code == 0, run.output
    assert f"Connection {OMRON} ↔ {PI}:" in run.output
    assert "finding pairing-mode-inactive" in run.output


def test_a_central_retrying_unanswered_requests_is_one_verdict() -> None:
    lines = [ws(n, f"{n}.0", PI, OMRON, "SMP", 16, REQ) for n in (325, 374, 422)]
    story = story_of(lines)
    (v,) = story.conversations[0].verdicts
    assert v.code == "pairing-incomplete"
    assert v.lines == (1, 2, 3)
    assert v.text.startswith(
        "no SMP answer to 3 Pairing Requests (line 1, No. 325; line 2, No. 374; line 3"
    )


def test_rows_copied_from_the_window_are_tab_separated() -> None:
    """Edit → Copy of selected rows: the columns are tab-separated, no Sent/Rcvd needed."""
    lines = [
        "No.\tTime\tSource\tDestination\tProtocol\tLength\tInfo",
        f"15\t0.060120\t{PI}\t{OMRON}\tSMP\t16\tPairing Request: AuthReq: Bonding",
        f"17\t0.090\t{OMRON}\t{PI}\tSMP\t11\tPairing Failed: Pairing Not Supported\r",
    ]
    story = story_of(lines)
    assert [(c.name, [v.code for v in c.verdicts]) for c in story.conversations] == [
        (f"{OMRON} ↔ {PI}", ["pairing-mode-inactive"])
    ]


def test_a_security_request_nobody_answered_says_what_the_list_cannot_show() -> None:
    lines = [
        ws(14, "0.03", OMRON, PI, "SMP", 11, "Rcvd Security Request: AuthReq: Bonding, MITM"),
        ws(20, "0.50", "controller", "host", "HCI_EVT", 7, "Rcvd Disconnect Complete"),
    ]
    story = story_of(lines)
    (v,) = story.conversations[0].verdicts
    assert v.code == "security-request-ignored"
    assert "may have encrypted with a stored key instead" in v.text
    assert story.controller == ["line 2 (No. 20): Disconnect Complete"]
    assert not story.failed  # no failure on the wire to ask a capture for
