"""Text logs as people paste them: each shape of tests/capture/paste_shapes.py, applied to
the btmon (and hcidump) printing of one of bpdiag's own captures, must give the same
pairings, encryptions and findings as the capture itself."""

from __future__ import annotations

import re
from pathlib import Path
from typing import cast

import pytest

from bpdiag.capture import open_capture
from bpdiag.diagnose import diagnose_file
from bpdiag.report.smp_text import smp_summary
from tests.capture import read, write
from tests.capture.paste_shapes import (
    SHAPES,
    codes_through_elisions,
    colour,
    flattened,
    quote,
    wrap72,
)

ROOT = Path(__file__).resolve().parents[2]
TEXTS = ROOT / "tests" / "data" / "text"
CAPTURES = ROOT / "captures"
BASES = sorted(p.name.split(".")[0] for p in TEXTS.glob("*.btmon.txt"))


def _summary(path: Path) -> tuple[object, ...]:
    a = diagnose_file(path)
    return (
        [(p.outcome, p.method, p.failure.reason if p.failure else None) for p in a.pairings],
        [(e.status, e.after_pairing) for e in a.encryptions],
        sorted(f.code for f in a.findings),
    )


_expected: dict[str, tuple[object, ...]] = {}


def _expect(base: str) -> tuple[object, ...]:
    if base not in _expected:
        _expected[base] = _summary(CAPTURES / f"{base}.btsnoop")
    return _expected[base]


def test_the_corpus_is_there() -> None:
    assert len(BASES) >= 4
    for base in BASES:
        assert (CAPTURES / f"{base}.btsnoop").exists()


@pytest.mark.parametrize("shape", sorted(SHAPES))
@pytest.mark.parametrize("base", BASES)
def test_pasted_btmon_text_gives_the_capture_analysis(
    base: str, shape: str, tmp_path: Path
) -> None:
    text = (TEXTS / f"{base}.btmon.txt").read_text()
    p = tmp_path / "pasted.txt"
    p.write_bytes(SHAPES[shape](text).encode())
    with open_capture(p) as cap:
        assert cap.format == "btmon-text"
    pairings, encryptions, codes = _summary(p)
    want_pairings, want_encryptions, _codes = _expect(base)
    assert (pairings, encryptions) == (want_pairings, want_encryptions)
    # an elision between a request and its refusal: "at once" is not claimed (paste_shapes)
    assert codes == codes_through_elisions(
        diagnose_file(CAPTURES / f"{base}.btsnoop"), diagnose_file(p)
    )


def test_the_shapes_change_the_text() -> None:
    text = (TEXTS / f"{BASES[0]}.btmon.txt").read_text()
    for name, shape in SHAPES.items():
        assert shape(text) != text, name


def test_wrapped_field_tail_and_trailer_are_joined(tmp_path: Path) -> None:
    """The issue's example: a field's tail and the trailer on lines of their own."""
    text = (
        "> ACL Data RX: Handle 64 flags 0x02 dlen 11\n"
        "#33 [hci0] 12.160000\n"
        "      SMP: Pairing Response (0x02) len 6\n"
        "        IO capability: DisplayYesNo (0x01)\n"
        "        OOB data: Authentication data not present (0x00)\n"
        "        Authentication requirement: Bonding, No MITM, SC, No Keypresses,\n"
        "CT2 (0x29)\n"
        "        Max encryption key size: 16\n"
        "        Initiator key distribution: EncKey (0x01)\n"
        "        Responder key distribution: EncKey (0x01)\n"
    )
    from bpdiag.analysis.run import Reading

    p = tmp_path / "w.txt"
    p.write_text(quote(1)(text))
    [(pdu, _)] = list(Reading(p))
    assert pdu.frame == 33
    assert pdu.msg.fields()["auth_req"] == 0x29  # "… No Keypresses, CT2 (0x29)" joined


def test_prose_only_is_not_btmon(tmp_path: Path) -> None:
    p = tmp_path / "notes.txt"
    p.write_text("I tried to pair <my phone> with the Pi = no luck.\n> it just fails\n")
    from bpdiag.errors import UnreadableCapture

    with pytest.raises(UnreadableCapture):
        open_capture(p)


def test_btmon_text_without_pairing_records_is_a_problem(tmp_path: Path) -> None:
    p = tmp_path / "adv.txt"
    p.write_text(
        "> HCI Event: LE Meta Event (0x3e) plen 43                  #12 [hci0] 3.1\n"
        "      LE Advertising Report (0x02)\n"
        "        Num reports: 1\n"
        "< HCI Command: LE Set Scan Enable (0x08|0x000c) plen 2    #13 [hci0] 3.2\n"
        "        Scanning: Disabled (0x00)\n"
    )
    with open_capture(p) as cap:
        assert list(cap) == []
        assert any("looks like btmon output" in pr.message for pr in cap.problems)


def test_headers_found_far_into_the_file(tmp_path: Path) -> None:
    """A post with a long preamble: the records start after the first 4 KiB."""
    text = (TEXTS / f"{BASES[0]}.btmon.txt").read_text()
    preamble = "Hello list,\n\n" + ("I have been trying to pair this device for a week. " * 200)
    p = tmp_path / "post.txt"
    p.write_text(preamble + "\n\n" + wrap72(colour(text)))
    assert _summary(p) == _expect(BASES[0])


HCIDUMP = sorted(p.name for p in TEXTS.glob("*.hcidump*.txt"))
HCIDUMP_SHAPES = [
    "wrapped72",
    "quoted",
    "quoted2",
    "indented4",
    "indented_tab",
    "crlf",
    "prose",
    "indented_wrapped_crlf",
    "quoted_wrapped",
    "inline_code",
    "inline_code_quoted_wrapped",
    "flattened",
    "flattened_quoted",
]
# hcidump's shapes only: btmon's records are told apart by indentation alone
HCIDUMP_ONLY = {"flattened": flattened, "flattened_quoted": lambda t: quote(1)(flattened(t))}


@pytest.mark.parametrize("shape", ["as_printed", *HCIDUMP_SHAPES])
@pytest.mark.parametrize("name", HCIDUMP)
def test_pasted_hcidump_text_gives_the_capture_analysis(
    name: str, shape: str, tmp_path: Path
) -> None:
    """hcidump -X -t (decoded lines, hex dumps of what it does not decode, wall-clock
    times) and plain hcidump, as printed and as pasted."""
    text = (TEXTS / name).read_text()
    p = tmp_path / "pasted.txt"
    shaped = text if shape == "as_printed" else {**SHAPES, **HCIDUMP_ONLY}[shape](text)
    p.write_bytes(shaped.encode())
    with open_capture(p) as cap:
        assert cap.format == "hcidump-text"
    pairings, encryptions, codes = _expect(name.split(".")[0])
    if ".hcidump-plain." in name:
        # plain hcidump prints the Secure Connections PDUs without parameters: the same
        # pairings and findings, and one capture-gap saying what cannot be checked
        codes = sorted([*cast(list[str], codes), "capture-gap"])
    assert _summary(p) == (pairings, encryptions, codes)


def test_plain_hcidump_sc_pdus_are_sent_not_missing() -> None:
    """Pairing Public Key / DHKey Check printed without parameters are in the ladder (values
    unknown), so encryption after them is no protocol violation, and nothing is checked."""
    a = diagnose_file(TEXTS / "sc_justworks_success.hcidump-plain.txt")
    [p] = a.pairings
    assert (p.outcome, p.public_keys, p.dhkey_checks, p.phase2_complete) == ("success", 2, 2, True)
    unread = [s for s in p.steps if smp_summary(s.msg).endswith("(parameters not in the capture)")]
    assert [s.frame for s in unread] == [35, 37, 42, 44]
    assert p.checks == []  # the btsnoop's f4 check needs the public keys: not made, not failed
    [gap] = [f for f in a.findings if f.code == "capture-gap"]
    assert "debug key" in gap.detail and "hcidump prints them only with -X" in gap.detail
    assert gap.frames == [35, 37, 42, 44]
    assert "pairing-protocol-violation" not in {f.code for f in a.findings}
    # the -X printing of the same kind of pairing carries the values: no gap
    full = diagnose_file(TEXTS / "sc_numeric_comparison_success.hcidump.txt")
    assert "capture-gap" not in {f.code for f in full.findings}
    assert full.pairings[0].checks


def test_plain_hcidump_without_dlen_or_with_dump_is_not_cut(tmp_path: Path) -> None:
    p = tmp_path / "hd.txt"
    p.write_text(
        "< ACL data: handle 1 flags 0x00 dlen 69\n"
        "    SMP: Unknown (0x0c)\n"  # no -X: stored cut short, 69 bytes sent
        "> ACL data: handle 1 flags 0x02 dlen 6\n"
        "    SMP: Unknown (0x0e)\n"  # a 2-byte Keypress Notification without its type
        "> ACL data: handle 1 flags 0x02 dlen 5\n"
        "    SMP: Unknown (0x0c)\n"  # dlen says the PDU was 1 byte: not cut, malformed
    )
    with open_capture(p) as cap:
        recs = list(cap)
    assert [(len(r.payload), r.orig_length) for r in recs] == [(9, 73), (9, 10), (9, 0)]


T = "2026-03-02 11:20:33.000001 "  # hcidump -t's time: no btmon header has it


def _hci_messages(path: Path) -> list[object]:
    from bpdiag.analysis.run import Reading
    from bpdiag.decode import hci

    kinds = (hci.LeCreateConnection, hci.LeConnectionComplete, hci.DisconnectionComplete)
    return [pdu.msg for pdu, _ in Reading(path) if isinstance(pdu.msg, kinds)]


SHARED = ROOT.parent / "shared" / "captures"
_EXTENDED = [  # Android logs with LE Extended Create Connection / Enhanced Connection Complete
    "android_legacy_justworks_keydist_ec521_btsnoop_hci.log",
    "android_no_smp_horizon74_btsnoop_hci.log",
]


@pytest.mark.parametrize("source", [*(f"{b}.btmon.txt" for b in BASES), *_EXTENDED])
def test_btmon_connection_values_are_the_printed_ones(source: str, tmp_path: Path) -> None:
    """LE (Extended) Create Connection and LE (Enhanced) Connection Complete from btmon's
    text carry the values it printed (scan interval, filter policy, own address type, the
    timing, the resolvable private addresses: they were zeros, or 24 / 0 / 400)."""
    import shutil
    import subprocess

    from bpdiag.decode import hci

    if source.endswith(".btmon.txt"):
        text, capture = TEXTS / source, CAPTURES / f"{source.split('.')[0]}.btsnoop"
    else:
        capture = SHARED / source
        if not capture.exists() or shutil.which("btmon") is None:
            pytest.skip("needs btmon and the shared capture corpus")
        printed = subprocess.run(
            ["btmon", "-r", str(capture)], capture_output=True, text=True, timeout=60
        ).stdout
        text = write(tmp_path, printed.encode(), "btmon.txt")
    kinds = (hci.LeCreateConnection, hci.LeConnectionComplete)
    got, want = (
        [m for m in _hci_messages(path) if isinstance(m, kinds)] for path in (text, capture)
    )
    assert got == want
    assert got


@pytest.mark.parametrize("name", HCIDUMP)
def test_hcidump_connection_values_are_the_printed_ones(name: str) -> None:
    """LE Create Connection's values are the ones hcidump printed (they were read as zeros);
    LE Connection Complete's timing, which hcidump does not print (parser/hci.c), is unknown,
    not a made-up 24 / 0 / 400; everything else is the capture's."""
    import dataclasses

    text = _hci_messages(TEXTS / name)
    capture = _hci_messages(CAPTURES / f"{name.split('.')[0]}.btsnoop")
    assert len(text) == len(capture) >= 2
    unknown = {"interval": None, "latency": None, "timeout": None, "central_clock_accuracy": None}
    for got, want in zip(text, capture, strict=True):
        if type(want).__name__ == "LeConnectionComplete":
            want = dataclasses.replace(want, **unknown)  # type: ignore[type-var]
        assert got == want


@pytest.mark.parametrize(
    ("text", "kept", "problems"),
    [
        pytest.param(
            "> ACL data: handle 7 flags 0x02 dlen 11\n    SMP: Pairing Request (0x01)\n",
            [(9, 15)],  # the code octet of 7 sent: no field is guessed
            [
                "truncated to 9 of 15 bytes by the log: the SMP Pairing Request on handle 0x007 "
                "is not decoded (its fields are cut)",
                "line 1 (Pairing Request (0x01)): the text has no capability, oob, auth req, "
                "max key size, init key dist, resp key dist; the PDU is kept as cut short, "
                "those values unknown",
            ],
            id="request-without-fields",
        ),
        pytest.param(
            "< ACL data: handle 7 flags 0x00 dlen 11\n    SMP: Pairing Response (0x02)\n"
            "      capability 0x04 oob 0x00 auth req 0x2d\n",
            [(12, 15)],
            [
                "truncated to 12 of 15 bytes by the log: the SMP Pairing Response on handle "
                "0x007 is not decoded (its fields are cut)",
                "line 1 (Pairing Response (0x02)): the text has no max key size, init key dist, "
                "resp key dist; the PDU is kept as cut short, those values unknown",
            ],
            id="response-first-line-only",
        ),
        pytest.param(
            "< ACL data: handle 7 flags 0x00 dlen 6\n    SMP: Pairing Failed (0x05)\n"
            "> ACL data: handle 7 flags 0x02 dlen 15\n    SMP: Central Identification (0x07)\n"
            "      EDIV 0x3a5c\n",
            [(9, 10), (11, 19)],
            [
                "truncated to 9 of 10 bytes by the log: the SMP Pairing Failed on handle 0x007 "
                "is not decoded (its fields are cut)",
                "line 1 (Pairing Failed (0x05)): the text has no reason; the PDU is kept as cut "
                "short, those values unknown",
                "truncated to 11 of 19 bytes by the log: the SMP Central Identification on "
                "handle 0x007 is not decoded (its fields are cut)",
                "line 3 (Central Identification (0x07)): the text has no Rand; the PDU is kept "
                "as cut short, those values unknown",
            ],
            id="reason-and-rand-missing",
        ),
        pytest.param(
            "> ACL data: handle 7 flags 0x02\n    SMP: Pairing Random (0x04)\n",
            [(9, 25)],  # no dlen: the length of a Pairing Random (Vol 3, Part H, 3.5.4)
            [
                "truncated to 9 of 25 bytes by the log: the SMP Pairing Random on handle 0x007 "
                "is kept without its values (its fields are cut)",
                "line 1 (Pairing Random (0x04)): the text has no random; the PDU is kept as cut "
                "short, those values unknown",
            ],
            id="random-without-dlen",
        ),
    ],
)
def test_hcidump_fields_not_printed_are_unknown(
    tmp_path: Path, text: str, kept: list[tuple[int, int]], problems: list[str]
) -> None:
    """An excerpt that stops before an SMP PDU's parameter lines: the PDU is the printed
    octets stored cut short, never the printed ones padded with defaults (a Pairing Request
    with no lines was read as DisplayOnly, no bonding, key size 16)."""
    p = write(tmp_path, text.encode(), "hd.txt")
    records, _ = read(p)
    assert [(len(r.payload), r.orig_length) for r in records] == kept
    assert [pr.message for pr in diagnose_file(p).problems] == problems


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        pytest.param(
            T + "> HCI Event: Encrypt Change (0x08) plen 4\n    status 0x00 handle 3\n",
            "the text has no encrypt",
            id="encrypt-change",
        ),
        pytest.param(
            T + "> HCI Event: Disconn Complete (0x05) plen 4\n    reason 0x13\n",
            "the text has no status",
            id="disconnect-complete",
        ),
        pytest.param(
            T + "< HCI Command: LE Create Connection (0x08|0x000d) plen 25\n"
            "    bdaddr 12:34:56:78:9A:BC type 0\n    interval 16 window 16 initiator_filter 0\n",
            "the text has no own_bdaddr_type",
            id="create-connection",
        ),
        pytest.param(
            T + "> HCI Event: LE Meta Event (0x3e) plen 19\n    LE Connection Complete\n"
            "      status 0x00 handle 3\n      bdaddr 12:34:56:78:9A:BC (Public)\n",
            "the text has no role",
            id="connection-complete",
        ),
        pytest.param(
            T + "< HCI Command: Disconnect (0x01|0x0006) plen 3\n    handle 3\n",
            "the text has no reason",
            id="disconnect",
        ),
    ],
)
def test_hcidump_hci_records_short_of_a_field_are_skipped(
    tmp_path: Path, text: str, problem: str
) -> None:
    """A record whose text lacks a field bpdiag rebuilds is skipped with a Problem (the
    fields were read as 0: status Success, handle 0, encryption off)."""
    records, problems = read(write(tmp_path, text.encode(), "hd.txt"))
    assert records == []
    assert [p.message.rpartition("): ")[2] for p in problems][:1] == [f"{problem}; record skipped"]


def test_plain_hcidump_with_an_impossible_dlen_reads_on(tmp_path: Path) -> None:
    # Found by the pasted-text fuzzer: a dlen beyond an ACL length's 16 bits (Vol 4,
    # Part E, 5.4.2) made the reader raise struct.error storing the PDU cut short
    p = tmp_path / "hd.txt"
    p.write_text(
        "< ACL data: handle 1 flags 0x00 dlen 65540000\n"
        "    SMP: Unknown (0x0c)\n"
        "< ACL data: handle 1 flags 0x00 dlen 65540\n"
        "    SMP: Unknown (0x0c)\n"
        "> ACL data: handle 1 flags 0x02 dlen 69\n"
        "    SMP: Unknown (0x0c)\n"
    )
    with open_capture(p) as cap:
        recs = list(cap)
    assert [(len(r.payload), r.orig_length) for r in recs] == [(9, 0), (9, 0), (9, 73)]


@pytest.mark.parametrize(
    ("text", "payloads", "problem"),
    [
        pytest.param(
            "> ACL data: handle 1 flags 0x02 dlen 12\n"
            "    SMP: Identity Address Information (0x09)\n"
            "      bdaddr 55:70:E1:8B:E2:E0 (Public)\n",
            [
                "0120 0c00"  # H4 ACL, handle 1, PB 2, length 12
                "0800 0600"  # L2CAP length 8, CID 6 (SMP)
                "09 00"  # Identity Address Information, address type public
                "000000000000"  # the address, zeroed: hcidump printed other memory
            ],
            "1 Identity Address Information PDU(s): hcidump prints another memory area in place "
            "of the address (parser/smp.c), so the identity address cannot be known from this text",
            id="identity-address",
        ),
        pytest.param(
            "< HCI Command: LE Start Encryption (0x08|0x0019) plen 28\n"
            "> HCI Event: Command Status (0x0f) plen 4\n"
            "    LE Start Encryption (0x08|0x0019) status 0x00 ncmd 1\n",
            ["0f04 00 01 1920"],  # the Command Status only: the command has no parameters
            "hcidump printed no parameters for LE Start Encryption (1×): they cannot be analysed "
            "(hcidump -X prints them as a hex dump)",
            id="no-parameters",
        ),
    ],
)
def test_hcidump_says_what_its_text_cannot_tell(
    tmp_path: Path, text: str, payloads: list[str], problem: str
) -> None:
    """hcidump prints memory that is not the address for Identity Address Information, and
    no parameters for a command without -X: the reader keeps what it can, zeroes what it
    cannot trust, and says what cannot be known."""
    records, problems = read(write(tmp_path, text.encode(), "hd.txt"))
    assert [r.payload for r in records] == [bytes.fromhex(p) for p in payloads]
    assert [(p.record, p.layer, p.message) for p in problems] == [(None, "hcidump-text", problem)]


def test_header_wrapped_before_its_end(tmp_path: Path) -> None:
    """A narrow wrap cuts the header itself: "… flags 0x00" / "dlen 11  #33 [hci0] 0.71"."""
    p = tmp_path / "w.txt"
    p.write_text(
        "< ACL Data TX: Handle 1 flags 0x00\n"
        "dlen 11          #33 [hci0] 0.711889\n"
        "      SMP: Pairing Request (0x01) len 6\n"
        "        IO capability: KeyboardDisplay (0x04)\n"
        "> ACL Data RX: Handle 1 flags 0x02 dlen 6                          #34\n"
        "0.8\n"
        "      SMP: Pairing Failed (0x05) len 1\n"
        "        Reason: Unspecified reason (0x08)\n"
    )
    with open_capture(p) as cap:
        assert [(r.index, r.timestamp) for r in cap] == [(33, 0.711889), (34, 0.8)]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8-sig"])
def test_windows_encodings(encoding: str, tmp_path: Path) -> None:
    """PowerShell's ``btmon … > log.txt`` writes UTF-16 with a BOM; Notepad may add a UTF-8
    BOM; both with CRLF."""
    text = (TEXTS / f"{BASES[0]}.btmon.txt").read_text()
    p = tmp_path / "log.txt"
    p.write_bytes(text.replace("\n", "\r\n").encode(encoding))
    with open_capture(p) as cap:
        assert cap.format == "btmon-text"
    assert _summary(p) == _expect(BASES[0])


def test_markdown_code_marks_at_line_edges_are_undone(tmp_path: Path) -> None:
    """A record in an inline-code span (a backtick before its header, one after its last
    line), quoted or after a fence on the header's line, is read as the record; a backtick
    inside a line is the text's own."""
    import io

    from bpdiag.capture._textlines import clean_lines
    from bpdiag.errors import Stage

    text = (
        "I see this:  `> ACL Data RX: Handle 9 flags 0x02 dlen 6`\n"  # prose before: kept
        "`> ACL Data RX: Handle 9 flags 0x02 dlen 6                   [hci0] 41.500001\n"
        "      SMP: Pairing Failed (0x05) len 1\n"
        "        Reason: Pairing not supported (0x05)`\n"
        "> ```< ACL Data TX: Handle 9 flags 0x00 dlen 6             [hci0] 41.6\n"
        ">       SMP: Pairing Failed (0x05) len 1\n"
        ">         Reason: Unspecified reason (0x08)``` \n"
        "        Name (complete): it`s\n"
    )
    lines = [line for _, _, line in clean_lines(io.StringIO(text), [], Stage.UNSPECIFIED)]
    assert lines == [
        "I see this:  `> ACL Data RX: Handle 9 flags 0x02 dlen 6",
        "> ACL Data RX: Handle 9 flags 0x02 dlen 6                   [hci0] 41.500001",
        "      SMP: Pairing Failed (0x05) len 1",
        "        Reason: Pairing not supported (0x05)",
        "> < ACL Data TX: Handle 9 flags 0x00 dlen 6             [hci0] 41.6",
        ">       SMP: Pairing Failed (0x05) len 1",
        ">         Reason: Unspecified reason (0x08)",
        "        Name (complete): it`s",
    ]
    p = write(tmp_path, text.encode(), "post.md")
    records, _ = read(p)
    assert [(r.index, r.timestamp, r.payload[-1]) for r in records] == [
        (1, 41.500001, 0x05),
        (2, 41.6, 0x08),
    ]


def test_header_without_its_direction_mark(tmp_path: Path) -> None:
    """A header that lost its ``<`` / ``>`` is read when the rest is btmon's and its words
    say the direction (TX / RX, Command / Event), with a problem; a quote mark before it is
    no direction, and words that say none (or prose) are no header."""
    text = (
        " ACL Data TX: Handle 5 flags 0x00 dlen 6                  #21 [hci1] 8.250001\n"
        "      SMP: Security Request (0x0b) len 1\n"
        "        Authentication requirement: Bonding, MITM, SC, No Keypresses (0x0d)\n"
        ">  HCI Event: Disconnect Complete (0x05) plen 4           #22 [hci1] 8.5\n"
        ">         Status: Success (0x00)\n"
        ">         Handle: 5\n"
        ">         Reason: Remote User Terminated Connection (0x13)\n"
        " ACL Data: Handle 5 flags 0x00 dlen 6                     #23 [hci1] 8.6\n"
        "      SMP: Pairing Failed (0x05) len 1\n"
        "        Reason: Unspecified reason (0x08)\n"
        "HCI Event: that is where it fails (0x05) plen 4 I think\n"
    )
    import io

    from bpdiag.capture.btmon_text import BtmonTextReader

    reader = BtmonTextReader(io.StringIO(text), [])
    list(reader.records())
    assert reader.headers == 2
    records, problems = read(write(tmp_path, text.encode(), "post.txt"))
    assert [(r.index, r.direction.name, r.payload[-1]) for r in records] == [
        (21, "SENT", 0x0D),
        (22, "RECEIVED", 0x13),
    ]
    assert [(p.record, p.message) for p in problems] == [
        (
            21,
            "line 1: the header has no direction mark ('<' or '>'); read as sent ('<'), as "
            "its words 'ACL Data TX' say",
        ),
        (
            22,
            "line 4: the header has no direction mark ('<' or '>'); read as received ('>'), as "
            "its words 'HCI Event' say",
        ),
    ]


@pytest.mark.parametrize("base", BASES)
def test_text_cut_inside_its_last_record_says_so(base: str, tmp_path: Path) -> None:
    """An excerpt that stops after the last ACL header (its decode lines, and the tail of
    its trailer, not copied): a problem names that record; it was dropped unseen."""
    lines = (TEXTS / f"{base}.btmon.txt").read_text().split("\n")
    last = max(i for i, line in enumerate(lines) if line.startswith(("< ACL", "> ACL")))
    head = re.sub(r"(dlen \d+).*", r"\1", lines[last])  # "< ACL … dlen 12"
    header = head + "                    #"  # the copy stopped at the trailer's first char
    p = tmp_path / "cut.txt"
    p.write_text("\n".join([*lines[:last], header]) + "\n")
    _, problems = read(p)
    what = f"{head[2:]} #"
    assert [(pr.message, pr.kind) for pr in problems] == [
        (
            f"line {last + 1}: the text ends inside a record ({header[0]} {what}): its decode "
            "lines are not in the text, so what it was is not known",
            "truncated",
        )
    ]
    # a record btmon prints no decode lines for ends a text whole
    p.write_text("\n".join([*lines[:last], "< HCI Command: Reset (0x03|0x0003) plen 0"]) + "\n")
    assert read(p)[1] == []


def test_hcidump_lines_joined_and_unindented_by_a_page(tmp_path: Path) -> None:
    """A forum post that joined a header and its decode line, and dropped the indentation
    of the others: the records are read as hcidump printed them (parser/hci.c
    conn_complete_dump: Connection Complete, 7.7.3), and the prose after them is not."""
    text = (
        "hcidump said:\n"
        "2019-04-07 21:15:02.114020 > HCI Event: Command Status (0x0f) plen 4 Create "
        "Connection (0x01|0x0005) status 0x00 ncmd 1\n"
        "2019-04-07 21:15:07.240733 > HCI Event: Connect Complete (0x03) plen 11\n"
        "status 0x04 handle 0 bdaddr 5A:01:77:3C:B2:E8 type ACL encrypt 0x00\n"
        "Error: Page Timeout\n"
        "The keyboard is LE only, I think.\n"
    )
    records, problems = read(write(tmp_path, text.encode(), "post.txt"))
    assert problems == []
    assert [r.payload.hex(" ") for r in records] == [
        "0f 04 00 01 05 04",  # Command Status: Success, 1 command, Create Connection
        # Connection Complete: Page Timeout, handle 0, the address, ACL, not encrypted
        "03 0b 04 00 00 e8 b2 3c 77 01 5a 01 00",
    ]


@pytest.mark.parametrize("name", HCIDUMP)
def test_hcidump_text_cut_inside_its_last_record_says_so(name: str, tmp_path: Path) -> None:
    """hcidump's text that stops right after an ACL header: a problem names that record."""
    lines = (TEXTS / name).read_text().split("\n")
    last = max(i for i, line in enumerate(lines) if " ACL data: " in line)
    p = tmp_path / "cut.txt"
    p.write_text("\n".join(lines[: last + 1]) + "\n")
    _, problems = read(p)
    header = lines[last].partition(" ACL data: ")
    cut = [(pr.message, pr.kind) for pr in problems if pr.kind == "truncated"]
    assert cut == [
        (
            f"line {last + 1}: the text ends inside a record ({header[0][-1]} ACL data: "
            f"{header[2]}): its decode lines are not in the text, so what it was is not known",
            "truncated",
        )
    ]


def test_a_record_pasted_without_indentation_among_prose(tmp_path: Path) -> None:
    """A forum that strips leading spaces: btmon's decode lines start where the header does,
    between the poster's sentences.  They are the record's (btmon's words); the prose after
    them is not."""
    p = write(
        tmp_path,
        b"Pairing from the Pi always ends like this:\n"
        b"> ACL Data RX: Handle 64 flags 0x02 dlen 6 #20 [hci0] 26.420475\n"
        b"SMP: Pairing Failed (0x05) len 1\n"
        b"Reason: Unspecified reason (0x08)\n"
        b"Status: it works from the phone, see the other log\n"
        b"Any idea what is wrong?\n",
        "paste.txt",
    )
    a = diagnose_file(p)
    [pairing] = a.pairings
    assert pairing.failure is not None and pairing.failure.reason == 0x08
    assert pairing.failure.frame == 20
    assert a.capture.records == 1
