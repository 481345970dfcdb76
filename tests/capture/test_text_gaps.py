"""What a pasted log leaves out is a problem of kind ``missing`` before the next record (an
elision line, or btmon's own numbering jumping over records that are not in the text), and
the rules make no claim that needs those records: a refusal is not "at once" across a gap."""

from __future__ import annotations

from pathlib import Path

from bpdiag.analysis.index import index_of
from bpdiag.capture.record import ProblemKind
from bpdiag.diagnose import diagnose_file

ROOT = Path(__file__).resolve().parents[2]
TEXT = (ROOT / "tests" / "data" / "text" / "not_in_pairing_mode.btmon.txt").read_text()
NOCP = (
    "> HCI Event: Number of Completed Packets (0x13) plen 5             #34 0.711974\n"
    "        Num handles: 1\n"
    "        Handle: 1\n"
    "        Count: 1\n"
)


def _diagnosed(tmp_path: Path, text: str):  # type: ignore[no-untyped-def]
    path = tmp_path / "paste.txt"
    path.write_text(text)
    return diagnose_file(path)


def _missing(a) -> list[tuple[int | None, str]]:  # type: ignore[no-untyped-def]
    return [(p.record, p.message) for p in a.problems if p.kind == ProblemKind.MISSING]


def test_the_whole_text_has_no_gap_and_says_not_in_pairing_mode(tmp_path: Path) -> None:
    a = _diagnosed(tmp_path, TEXT)
    assert _missing(a) == []
    assert "pairing-mode-inactive" in {f.code for f in a.findings}


def test_an_elision_between_request_and_refusal(tmp_path: Path) -> None:
    assert NOCP in TEXT
    a = _diagnosed(tmp_path, TEXT.replace(NOCP, "[...]\n"))
    [(record, message)] = _missing(a)
    assert record == 35 and "the text leaves records out here (an elision)" in message
    codes = {f.code for f in a.findings}
    assert "pairing-mode-inactive" not in codes  # "at once" cannot be known
    [failed] = [f for f in a.findings if f.code == "pairing-failed"]
    assert "leaves records out before #35" in failed.detail
    assert "what passed between #33 and this failure is not known" in failed.detail
    [s] = a.suggestions
    assert "refused at once" not in s.why
    assert index_of(a).missing_between(33, 35) == 35 and index_of(a).missing_between(35, 99) is None


def test_a_jump_in_btmons_numbering_is_a_gap(tmp_path: Path) -> None:
    a = _diagnosed(tmp_path, TEXT.replace(NOCP, ""))  # cut without a mark: #33, then #35
    [(record, message)] = _missing(a)
    assert record == 35
    assert "btmon's numbering jumps from #33 to #35: 1 record(s)" in message
    assert "pairing-mode-inactive" not in {f.code for f in a.findings}


def test_excerpts_out_of_order_say_how_they_were_numbered(tmp_path: Path) -> None:
    """Two excerpts pasted in the wrong order: the later-numbered records come first, so
    bpdiag renumbers the rest (frames must grow) and says which number each got."""
    head, sep, tail = TEXT.partition(NOCP)
    assert sep
    a = _diagnosed(tmp_path, tail + "\n" + head)
    said = [p.message for p in a.problems if "comes after" in p.message]
    assert said and "(the text's excerpts are not in btmon's order); bpdiag numbers it" in said[0]


def test_no_claim_about_what_a_gap_may_hold(tmp_path: Path) -> None:
    """After the Security Request the paste skips to the Disconnect: the central may have
    answered in what was left out, and the findings say so."""
    start = TEXT.index("< ACL Data TX: Handle 1 flags 0x00 dlen 11                         #33")
    end = TEXT.index("< HCI Command: Disconnect (0x01|0x0006) plen 3")
    a = _diagnosed(tmp_path, TEXT[:start] + "[...]\n" + TEXT[end:])
    [ignored] = [f for f in a.findings if f.code == "security-request-ignored"]
    assert "leaves records out before #36, so whether the central answered there" in (
        ignored.detail
    )


def test_an_incomplete_pairing_across_a_gap_does_not_say_it_stopped_there(
    tmp_path: Path,
) -> None:
    start = TEXT.index(NOCP)
    end = TEXT.index("< HCI Command: Disconnect (0x01|0x0006) plen 3")
    a = _diagnosed(tmp_path, TEXT[:start] + "...\n" + TEXT[end:])
    [p] = a.pairings
    assert p.outcome == "incomplete"
    [inc] = [f for f in a.findings if f.code == "pairing-incomplete"]
    assert "the last SMP PDU in the log is Pairing Request (#33), but the log leaves records" in (
        inc.detail
    )
    assert "whether the pairing went on there is not known" in inc.detail


def _two_peers_text(second: str) -> str:
    """A made-up btmon excerpt: a Pairing Request on handle 64, whose peer btmon names in the
    Number of Completed Packets after it, then (a later excerpt) the same handle with the
    peer ``second`` and its Disconnect Complete."""
    return (
        "< ACL Data TX: Handle 64 flags 0x00 dlen 11                #20 [hci0] 10.000000\n"
        "      SMP: Pairing Request (0x01) len 6\n"
        "        IO capability: KeyboardDisplay (0x04)\n"
        "        OOB data: Authentication data not present (0x00)\n"
        "        Authentication requirement: Bonding, MITM, SC, No Keypresses (0x0d)\n"
        "        Max encryption key size: 16\n"
        "        Initiator key distribution: EncKey IdKey (0x03)\n"
        "        Responder key distribution: EncKey IdKey (0x03)\n"
        "> HCI Event: Number of Completed Packets (0x13) plen 5     #21 [hci0] 10.010000\n"
        "        Num handles: 1\n"
        "        Handle: 64 Address: C0:00:00:00:00:0A (Static)\n"
        "        Count: 1\n"
        "> HCI Event: Number of Completed Packets (0x13) plen 5     #22 [hci0] 12.000000\n"
        "        Num handles: 1\n"
        f"        Handle: 64 Address: {second} (Static)\n"
        "        Count: 1\n"
        "> HCI Event: Disconnect Complete (0x05) plen 4             #23 [hci0] 12.100000\n"
        "        Status: Success (0x00)\n"
        f"        Handle: 64 Address: {second} (Static)\n"
        "        Reason: Remote User Terminated Connection (0x13)\n"
    )


def test_another_peer_on_the_same_handle_is_another_link(tmp_path: Path) -> None:
    """btmon names each handle's peer; a handle whose peer changes with no disconnection
    in the text was freed and given again in what the text leaves out: the disconnection
    that follows belongs to the second link, not to the first one's pairing."""
    a = _diagnosed(tmp_path, _two_peers_text("C0:00:00:00:00:0B"))
    [moved] = [p for p in a.problems if p.kind == ProblemKind.NEW_LINK]
    assert moved.record == 23
    assert moved.message.startswith(
        "line 15: btmon names C0:00:00:00:00:0B as the peer of handle 64, C0:00:00:00:00:0A "
        "at line 11, with no disconnection between in the text"
    )
    first, second = a.connections
    assert (first.first_frame, first.last_frame, first.disconnect_frame) == (20, 20, None)
    assert (second.first_frame, second.disconnect_frame) == (23, 23)
    [p] = a.pairings
    assert p.connection == first.id
    [inc] = [f for f in a.findings if f.code == "pairing-incomplete"]
    assert "closed at #23" not in inc.detail
    assert "leaves records out before #23" in inc.detail


def test_the_same_peer_on_a_handle_is_the_same_link(tmp_path: Path) -> None:
    a = _diagnosed(tmp_path, _two_peers_text("C0:00:00:00:00:0A"))
    assert [p for p in a.problems if p.kind == ProblemKind.NEW_LINK] == []
    [c] = a.connections
    assert c.disconnect_frame == 23
