"""BR/EDR (classic) pairing from btmon's and hcidump's text: ``bpdiag analyze`` on the text a
tool printed of a capture must tell the same BR/EDR pairing story as on the capture itself.

The captures are real Secure Simple Pairing between two Bumble devices (tests/bredr_sim.py):
a success, and a numeric comparison the responder's user rejects (Authentication Failure on
both sides), each from the initiator's and the responder's HCI; and the shared corpus's
BR/EDR capture of a phone and earbuds (bluffs' sc-pixelbuds-aseries.pcapng), written as
btsnoop.  Then hand-written excerpts: what a paste cuts or changes is a problem, never a crash.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from bpdiag.analysis.model import Analysis
from bpdiag.analysis.run import Reading
from bpdiag.capture import open_capture
from bpdiag.decode import hci
from bpdiag.diagnose import diagnose_file
from bpdiag.report.text import render_text
from tests.bredr_sim import classic_logs, classic_pairing
from tests.capture.writers import H4, btsnoop_h4_bytes
from tests.conftest import SHARED, require_shared
from tests.helpers import bpdiag_in_process, key_forms_in

BLUFFS = SHARED / "h4phdr_bredr_ssp_no_le_smp_bluffs.pcapng"
PEER = "F0:F1:F2:F3:F4:F6"


def _story(a: Analysis) -> dict[str, Any]:
    """What the analysis says of BR/EDR pairing and the links, and the report's text after
    its first line (which names the file and its format)."""
    return {
        "bredr": [dataclasses.asdict(p) for p in a.bredr_pairings],
        "connections": [
            (
                c.id,
                c.transport,
                c.handle,
                c.peripheral.address,
                c.first_frame,
                c.last_frame,
                c.established_frame,
                c.disconnect_frame,
                c.disconnect_reason,
            )
            for c in a.connections
        ],
        "encryptions": [(e.connection, e.frame, e.status, e.how) for e in a.encryptions],
        "findings": [
            (f.code, f.severity, str(f.detail), list(f.frames), f.connection) for f in a.findings
        ],
        "problems": [p.message for p in a.problems],
        "failed": a.failed,
        "report": render_text(a).split("\n", 1)[1],
    }


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} (Debian package bluez / bluez-hcidump) is not installed")
    return path


def _printed(tool: list[str], capture: Path, out: Path) -> Path:
    done = subprocess.run([*tool, str(capture)], capture_output=True, text=True, check=True)
    out.write_text(done.stdout)
    return out


@pytest.fixture(scope="module")
def sims(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return classic_logs(tmp_path_factory.mktemp("bredr_text"))


SIDES = ["ok_initiator", "ok_responder", "rejected_initiator", "rejected_responder"]
TOOLS = {
    "btmon": ["btmon", "-r"],
    "hcidump": ["hcidump", "-t", "-r"],
    "hcidump-X": ["hcidump", "-X", "-t", "-r"],
}


@pytest.mark.parametrize("tool", list(TOOLS))
@pytest.mark.parametrize("side", SIDES)
def test_the_text_tells_the_captures_bredr_story(
    sims: dict[str, Path], side: str, tool: str, tmp_path: Path
) -> None:
    command = TOOLS[tool]
    text = _printed([_tool(command[0]), *command[1:]], sims[side], tmp_path / "printed.txt")
    binary, printed = _story(diagnose_file(sims[side])), _story(diagnose_file(text))
    assert printed == binary
    # what the story holds (the comparison above is not of two empty ones)
    (p,) = printed["bredr"]
    assert p["simple_pairing"][1] == (0 if side.startswith("ok") else 0x05)
    assert p["local_io"] == p["peer_io"] == (1, 0, 5)  # DisplayYesNo, MITM, general bonding
    assert (p["link_key_type"] == 8) is side.startswith("ok")
    codes = [f[0] for f in printed["findings"]]
    assert ("bredr-pairing-failed" in codes) is side.startswith("rejected")


# ---------------------------------------------------------------- the host's keyed answers
PIN = "wQ9\u00e9"  # 5 octets of UTF-8: btmon and hcidump print the octets as they are


@pytest.fixture(scope="module")
def keyed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Passkey Entry (User Passkey Notification and Keypress Notifications on the
    responder, User Passkey Request Reply on the initiator), then the bond reused (Link Key
    Request Reply) and a PIN asked for (PIN Code Request Reply)."""
    folder = tmp_path_factory.mktemp("bredr_keyed")
    initiator, responder, paired = classic_pairing(
        folder, True, reuse_key=True, passkey=True, pin=PIN
    )
    assert paired
    return {"initiator": initiator, "responder": responder}


def test_the_answers_the_host_gave_are_kept_with_their_attempts(
    keyed: dict[str, Path], tmp_path: Path
) -> None:
    """Bumble's host answering with the passkey its user typed (User Passkey Request Reply),
    the key it kept (Link Key Request Reply) and a PIN (PIN Code Request Reply): each is the
    frame of its attempt's answer, from the btsnoop as from btmon's text of it."""
    binary = diagnose_file(keyed["initiator"]).bredr_pairings
    answers = [(p.passkey_given_frame, p.key_given_frame, p.pin_given_frame) for p in binary]
    for kind in range(3):
        assert sum(a[kind] is not None for a in answers) == 1, answers
    typed = next(p for p in binary if p.passkey_given_frame is not None)
    assert not typed.failed and typed.key_given_frame is None  # a pairing: no key to give
    text = _printed([_tool("btmon"), "-r"], keyed["initiator"], tmp_path / "printed.txt")
    printed = diagnose_file(text).bredr_pairings
    assert [(p.passkey_given_frame, p.key_given_frame, p.pin_given_frame) for p in printed] == (
        answers
    )


def _bredr_messages(path: Path) -> list[tuple[int, str, dict[str, object]]]:
    """Every BR/EDR pairing request and answer bpdiag decodes (the messages that name the
    peer by BD_ADDR), with its frame and every field, key material included."""
    out = []
    for pdu, _conn in Reading(str(path)):
        m = pdu.msg
        answer = isinstance(m, (hci.CommandComplete, hci.CommandStatus))
        if (not answer and hci.command_of(m) in hci.ADDRESSED_COMMANDS) or (
            hci.event_of(m) in hci.ADDRESSED_EVENTS
        ):
            out.append((pdu.frame, type(m).__name__, m.fields()))
    return out


@pytest.mark.parametrize("tool", list(TOOLS))
@pytest.mark.parametrize("side", ["initiator", "responder"])
def test_the_text_has_the_hosts_keyed_answers(
    keyed: dict[str, Path], side: str, tool: str, tmp_path: Path
) -> None:
    command = TOOLS[tool]
    text = _printed([_tool(command[0]), *command[1:]], keyed[side], tmp_path / "printed.txt")
    binary, printed = _bredr_messages(keyed[side]), _bredr_messages(text)
    assert printed == binary
    assert _story(diagnose_file(text)) == _story(diagnose_file(keyed[side]))
    names = {name for _frame, name, _fields in printed}
    if side == "initiator":  # what the comparison holds
        assert {
            "LinkKeyRequestReply",
            "PinCodeRequestReply",
            "UserPasskeyRequestReply",
            "SendKeypressNotification",
        } <= names
        (pin,) = [f for _n, name, f in printed if name == "PinCodeRequestReply"]
        assert pin["pin_code_length"] == 5
        assert pin["pin_code"] == PIN.encode().ljust(16, b"\0").hex()
    else:  # the displaying side: the passkey it showed, the peer's keypresses
        assert {"UserPasskeyNotification", "KeypressNotification"} <= names
        assert "UserPasskeyRequest" not in names


def _secrets(path: Path) -> tuple[set[bytes], set[int]]:
    """The key material of a log's BR/EDR messages: octet strings (link keys, PINs with
    their padding) and passkeys."""
    octets, passkeys = set(), set()
    for _frame, _name, f in _bredr_messages(path):
        for key in ("link_key", "pin_code"):
            if key in f:
                octets.add(bytes.fromhex(str(f[key])))
        for key in ("numeric_value", "passkey"):
            value = f.get(key)
            if isinstance(value, int):
                passkeys.add(value)
    return octets, passkeys


@pytest.mark.parametrize("tool", ["btmon", "hcidump"])
@pytest.mark.parametrize("side", ["initiator", "responder"])
def test_keys_read_from_text_are_redacted_unless_asked(
    keyed: dict[str, Path], side: str, tool: str, tmp_path: Path
) -> None:
    command = TOOLS[tool]
    text = _printed([_tool(command[0]), *command[1:]], keyed[side], tmp_path / "t.txt")
    octets, passkeys = _secrets(text)
    # what the text holds: the link key (and on the initiator a PIN), the passkey
    assert len(octets) == (2 if side == "initiator" else 1) and len(passkeys) == 1
    html = tmp_path / "report.html"
    hidden = {
        "analyze": bpdiag_in_process("analyze", str(text)).stdout,
        "analyze --json": bpdiag_in_process("analyze", "--json", str(text)).stdout,
        "analyze --html": bpdiag_in_process("analyze", "--html", str(html), str(text)).stdout
        + html.read_text(encoding="utf-8"),
        "dump": bpdiag_in_process("dump", str(text)).stdout,
        "dump --json": bpdiag_in_process("dump", "--json", str(text)).stdout,
    }
    for args, out in hidden.items():
        assert out, args
        for key in octets:
            assert key_forms_in(out, key) == [], args
        assert PIN[:3] not in out, args
        for passkey in passkeys:
            assert re.search(rf"(?<!\d){passkey:06d}(?!\d)", out) is None, args
    assert "redacted" in hidden["dump"]
    shown = bpdiag_in_process("dump", "--show-keys", str(text)).stdout
    assert all(key.hex() in shown for key in octets)
    assert all(str(passkey) in shown for passkey in passkeys)


PASTES = {
    "indentation lost": lambda line: line.lstrip(" "),  # a forum that strips leading spaces
    "quoted": lambda line: "> " + line,  # a mail reply
}


@pytest.mark.parametrize("paste", list(PASTES))
@pytest.mark.parametrize("side", ["ok_initiator", "rejected_responder"])
def test_a_pasted_btmon_text_tells_the_same_story(
    sims: dict[str, Path], side: str, paste: str, tmp_path: Path
) -> None:
    text = _printed([_tool("btmon"), "-r"], sims[side], tmp_path / "printed.txt")
    text.write_text("\n".join(map(PASTES[paste], text.read_text().splitlines())) + "\n")
    binary, printed = _story(diagnose_file(sims[side])), _story(diagnose_file(text))
    assert printed == binary and printed["bredr"][0]["peer_io"] == (1, 0, 5)


@pytest.mark.parametrize("tool", list(TOOLS))
@pytest.mark.parametrize("paste", list(PASTES))
def test_a_pasted_text_keeps_the_hosts_keyed_answers(
    keyed: dict[str, Path], paste: str, tool: str, tmp_path: Path
) -> None:
    # a PIN is printed as its characters, no number: a btmon line that lost its indentation
    # is still btmon's when it is "PIN code: …"
    command = TOOLS[tool]
    printer = [_tool(command[0]), *command[1:]]
    text = _printed(printer, keyed["initiator"], tmp_path / "printed.txt")
    text.write_text("\n".join(map(PASTES[paste], text.read_text().splitlines())) + "\n")
    assert _bredr_messages(text) == _bredr_messages(keyed["initiator"])
    assert _story(diagnose_file(text)) == _story(diagnose_file(keyed["initiator"]))


@pytest.mark.parametrize("tool", list(TOOLS))
def test_the_shared_bredr_capture_as_text(tool: str, tmp_path: Path) -> None:
    require_shared()
    command = TOOLS[tool]
    printer = [_tool(command[0]), *command[1:]]
    # btsnoop of the pcapng's H4 packets (its 4-byte direction header off); btmon prints
    # no record of the packets of H4 type 0x07 the capture also holds, so they are left out
    # of both for the frame numbers to agree
    packets = [
        H4(round(r.timestamp * 1e6), r.payload[:4] != bytes(4), r.payload[4:])
        for r in open_capture(BLUFFS)
    ]
    snoop = tmp_path / "bluffs.btsnoop"
    snoop.write_bytes(btsnoop_h4_bytes([h for h in packets if h.packet[:1] in b"\x01\x02\x04"]))
    text = _printed(printer, snoop, tmp_path / "bluffs.txt")
    binary, printed = _story(diagnose_file(snoop)), _story(diagnose_file(text))
    assert printed == binary
    attempts = printed["bredr"]
    assert len(attempts) == 5
    first = attempts[0]
    # the first: no stored key (Link Key Request Negative Reply), then SSP and a new key
    assert first["refusals"][0][1] == 0x040C and first["link_key_type"] == 4
    assert first["authentication"][1] == 0 and len(printed["encryptions"]) == 6


# ---------------------------------------------------------------- hand-written excerpts
def _excerpt(tmp_path: Path, text: str) -> Analysis:
    p = tmp_path / "excerpt.txt"
    p.write_text(text)
    return diagnose_file(p)


FAILED_SSP = """\
> HCI Event: IO Capability Response (0x32) plen 9                  #51 0.140270
        Address: F0:F1:F2:F3:F4:F6 (OUI F0-F1-F2)
        IO capability: {io}
        OOB data: Authentication data not present (0x00)
        Authentication: General Bonding - MITM required (0x05)
> HCI Event: Simple Pairing Complete (0x36) plen 7                 #52 0.149889
        Status: Authentication Failure (0x05)
        Address: F0:F1:F2:F3:F4:F6 (OUI F0-F1-F2)
"""


def test_an_excerpt_of_a_failed_pairing_is_a_failed_pairing(tmp_path: Path) -> None:
    a = _excerpt(tmp_path, FAILED_SSP.format(io="NoInputNoOutput (0x03)"))
    (p,) = a.bredr_pairings
    assert p.peer_address == PEER and p.peer_io == (3, 0, 5) and p.simple_pairing == (52, 5)
    assert p.io_frames == [51] and a.failed and not a.problems
    assert [f.code for f in a.findings] == ["bredr-pairing-failed"]


def test_a_reserved_io_capability_is_read_as_printed(tmp_path: Path) -> None:
    a = _excerpt(tmp_path, FAILED_SSP.format(io="Reserved (0x07)"))
    (p,) = a.bredr_pairings
    assert p.peer_io == (7, 0, 5)
    assert "reserved (0x07)" in render_text(a)


@pytest.mark.parametrize(
    ("io", "says"),
    [
        ("Telepathic", "IO capability: 'Telepathic' is no IO capability btmon names"),
        ("Reserved (0x1ff)", "IO capability 511 is out of range (at most 255)"),
        ("", "IO capability: the text has no value"),
    ],
)
def test_an_unknown_io_capability_is_a_problem(tmp_path: Path, io: str, says: str) -> None:
    a = _excerpt(tmp_path, FAILED_SSP.format(io=io))
    (problem,) = a.problems
    assert problem.message == (
        f"line 1 (> HCI Event: IO Capability Response (0x32) plen 9): {says}; record skipped"
    )
    # the Simple Pairing Complete after it is still read: the pairing failed
    (p,) = a.bredr_pairings
    assert p.peer_io is None and p.simple_pairing == (52, 5) and a.failed


def test_a_truncated_event_block_is_a_problem(tmp_path: Path) -> None:
    # the excerpt lost the IO Capability Response's last two lines
    lines = FAILED_SSP.format(io="DisplayYesNo (0x01)").splitlines()
    a = _excerpt(tmp_path, "\n".join(lines[:3] + lines[5:]) + "\n")
    (problem,) = a.problems
    assert problem.message.endswith(
        "the text has no OOB data (the record's lines stop before it); record skipped"
    )
    assert problem.record == 1 and problem.message.startswith("line 1 ")
    (p,) = a.bredr_pairings
    assert p.peer_io is None and p.simple_pairing == (52, 5)


def test_a_text_that_ends_after_a_bredr_header_says_so(tmp_path: Path) -> None:
    text = FAILED_SSP.format(io="DisplayYesNo (0x01)").splitlines()
    a = _excerpt(tmp_path, "\n".join(text[:6]) + "\n")  # Simple Pairing Complete's header only
    assert [p.kind.value for p in a.problems] == ["truncated"]
    assert "the text ends inside a record (> HCI Event: Simple Pairing Complete" in (
        a.problems[0].message
    )
    (p,) = a.bredr_pairings
    assert p.peer_io == (1, 0, 5) and p.simple_pairing is None


def test_a_bredr_event_with_no_address_names_no_peer(tmp_path: Path) -> None:
    a = _excerpt(
        tmp_path,
        "> HCI Event: Simple Pairing Complete (0x36) plen 7   #55 0.149889\n"
        "        Status: Authentication Failure (0x05)\n"
        "        Address: (gone)\n",
    )
    assert not a.bredr_pairings
    assert a.problems[0].message.endswith("Address: '(gone)' is not a BD_ADDR; record skipped")


NOTIFICATION = """\
> HCI Event: Connect Complete (0x03) plen 11                       #55 0.138385
        Status: Success (0x00)
        Handle: 1
        Address: F0:F1:F2:F3:F4:F6 (OUI F0-F1-F2)
        Link type: ACL (0x01)
        Encryption: Disabled (0x00)
> HCI Event: Link Key Notification (0x18) plen 23                  #56 0.896524
        Address: F0:F1:F2:F3:F4:F6 (OUI F0-F1-F2)
        Link key: {key}
        Key type: Authenticated Combination key from P-256 (0x08)
> HCI Event: Auth Complete (0x06) plen 3                           #57 0.896609
        Status: Success (0x00)
        Handle: 1
"""


@pytest.mark.parametrize("key", ["<redacted>", "XX" * 16])
def test_a_hidden_link_key_keeps_its_type(tmp_path: Path, key: str) -> None:
    a = _excerpt(tmp_path, NOTIFICATION.format(key=key))
    (p,) = a.bredr_pairings
    assert p.link_key_type == 8
    (problem,) = a.problems
    assert problem.record == 56 and "the link key is not in the text" in problem.message


def test_a_printed_link_key_is_read_and_not_shown(tmp_path: Path) -> None:
    from bpdiag.analysis.run import Reading
    from bpdiag.decode import hci

    key = bytes(range(0xA0, 0xB0)).hex()
    p = tmp_path / "excerpt.txt"
    p.write_text(NOTIFICATION.format(key=key))
    (note,) = [pdu.msg for pdu, _ in Reading(p) if isinstance(pdu.msg, hci.LinkKeyNotification)]
    assert note.link_key.hex() == key and note.bd_addr == PEER
    a = diagnose_file(p)
    assert not a.problems and key not in render_text(a)
    for args in (("analyze", "--json"), ("dump",), ("dump", "--json")):
        done = bpdiag_in_process(*args, str(p))
        assert done.stdout and key not in done.stdout.lower(), args


# ---------------------------------------------------------------- hcidump
HCIDUMP_FAILED = """\
> HCI Event: IO Capability Response (0x32) plen 9
    bdaddr F0:F1:F2:F3:F4:F6 capability {cap}
    Capability: DisplayYesNo (OOB data not present)
> HCI Event: Simple Pairing Complete (0x36) plen 7
    status 0x05 bdaddr F0:F1:F2:F3:F4:F6
    Error: Authentication Failure
"""


def test_hcidump_excerpt_of_a_failed_pairing(tmp_path: Path) -> None:
    a = _excerpt(tmp_path, HCIDUMP_FAILED.format(cap="0x01 oob 0x00 auth 0x05"))
    (p,) = a.bredr_pairings
    assert p.peer_io == (1, 0, 5) and p.simple_pairing == (2, 5) and not a.problems


def test_hcidump_cut_line_is_a_problem(tmp_path: Path) -> None:
    a = _excerpt(tmp_path, HCIDUMP_FAILED.format(cap="0x01"))
    (problem,) = a.problems
    assert problem.message.endswith("the text has no oob; record skipped")
    (p,) = a.bredr_pairings
    assert p.peer_io is None and p.simple_pairing == (2, 5)


@pytest.mark.parametrize(
    ("bdaddr", "problem"),
    [
        # hcidump -Y prints "bdaddr F0:F1:F2:*:*:*" and the link key as "**"
        (
            "F0:F1:F2:*:*:*",
            "hcidump masked the bdaddr (-Y, --novendor): the peer is not known; record skipped",
        ),
        ("F0:F1:F2:F3:F4:F6", "printed the link key masked"),
    ],
)
def test_hcidump_masked_fields_are_a_problem(tmp_path: Path, bdaddr: str, problem: str) -> None:
    a = _excerpt(
        tmp_path,
        "2026-12-03 12:25:15.896524 > HCI Event: Link Key Notification (0x18) plen 23\n"
        f"    bdaddr {bdaddr} key " + "*" * 32 + " type 8\n"
        "    Type: Reserved\n",
    )
    if "*" in bdaddr:  # the address masked: the record is skipped
        assert not a.bredr_pairings
        (p,) = a.problems
        assert p.message.endswith(problem)
    else:  # the key masked: the record keeps its type
        (pairing,) = a.bredr_pairings
        assert pairing.link_key_type == 8
        assert any(problem in x.message for x in a.problems)


# ---------------------------------------------------------------- key material a paste hid
KEYED = {
    "btmon": """\
< HCI Command: Link Key Request Reply (0x01|0x000b) plen 22        #59 0.375490
        Address: F0:F1:F2:F3:F4:F6 (OUI F0-F1-F2)
        Link key: {key}
< HCI Command: User Passkey Request Reply (0x01|0x002e) plen 10    #60 0.525928
        Address: F0:F1:F2:F3:F4:F6 (OUI F0-F1-F2)
        Passkey: {passkey}
< HCI Command: PIN Code Request Reply (0x01|0x000d) plen 23        #61 0.945212
        Address: F0:F1:F2:F3:F4:F6 (OUI F0-F1-F2)
        PIN length: 4
        PIN code: {pin}
""",
    "hcidump": """\
2026-12-03 14:11:00.375490 < HCI Command: Link Key Request Reply (0x01|0x000b) plen 22
    bdaddr F0:F1:F2:F3:F4:F6 key {key}
2026-12-03 14:11:00.525928 < HCI Command: User Passkey Request Reply (0x01|0x002e) plen 10
    bdaddr F0:F1:F2:F3:F4:F6 passkey {passkey}
2026-12-03 14:11:00.945212 < HCI Command: PIN Code Request Reply (0x01|0x000d) plen 23
    bdaddr F0:F1:F2:F3:F4:F6 len 4 pin '{pin}'
""",
}
KEY = "93f11829ef23696f56130ff26f1e4d7b"


def _keyed_messages(path: Path) -> list[dict[str, object]]:
    return [f for _frame, _name, f in _bredr_messages(path)]


@pytest.mark.parametrize("tool", list(KEYED))
def test_printed_keys_are_read(tool: str, tmp_path: Path) -> None:
    # btmon prints the passkey with %06d of the u32 (hcidump with %d): one above 2^31 - 1
    # comes out negative and is the u32 it was
    p = tmp_path / "keys.txt"
    p.write_text(KEYED[tool].format(key=KEY.upper(), passkey="-000001", pin="0 9Z"))
    lkrr, uprr, pin = _keyed_messages(p)
    assert lkrr == {"bd_addr": PEER, "link_key": KEY}
    assert uprr == {"bd_addr": PEER, "numeric_value": 0xFFFFFFFF}
    assert pin["pin_code_length"] == 4 and pin["pin_code"] == b"0 9Z".ljust(16, b"\0").hex()
    assert not diagnose_file(p).problems


BTMON_HIDES = "is not in the text as btmon prints it (hidden or cut before it was pasted?)"
HCIDUMP_HIDES = "is not in the text as hcidump prints it (hidden or cut before it was pasted?)"


@pytest.mark.parametrize(
    ("tool", "key", "passkey", "pin", "says"),
    [
        ("btmon", "<redacted>", "XXXXXX", "****", [BTMON_HIDES] * 3),
        # cut short: a digit lost, a PIN shorter than its length; a passkey past 32 bits
        ("btmon", KEY[:-1], "98765432109", "12", [BTMON_HIDES] * 3),
        ("hcidump", KEY[:-1], "98765432109", "12", [HCIDUMP_HIDES] * 3),
        ("hcidump", "*" * 32, "<hidden>", "****", ["masked (hcidump -Y)", HCIDUMP_HIDES] * 2),
    ],
)
def test_hidden_keys_are_problems_and_the_records_are_kept(
    tool: str, key: str, passkey: str, pin: str, says: list[str], tmp_path: Path
) -> None:
    p = tmp_path / "keys.txt"
    p.write_text(KEYED[tool].format(key=key, passkey=passkey, pin=pin))
    lkrr, uprr, pin_reply = _keyed_messages(p)
    # kept for what they say (the host gave a stored key, a passkey, a PIN of 4), the
    # values zeros, never what the text holds in their place
    assert lkrr == {"bd_addr": PEER, "link_key": "00" * 16}
    assert uprr == {"bd_addr": PEER, "numeric_value": 0}
    assert pin_reply == {"bd_addr": PEER, "pin_code_length": 4, "pin_code": "00" * 16}
    a = diagnose_file(p)
    assert [x.record for x in a.problems] == ([1, 2, 3] if tool == "hcidump" else [59, 60, 61])
    for problem, words, what in zip(a.problems, says, ["link key", "passkey", "pin"], strict=False):
        assert words in problem.message and "is not known" in problem.message
        assert what in problem.message.lower()
        # no problem quotes what stood in the key's place
        assert key not in problem.message and passkey not in problem.message
        assert f"{pin}'" not in problem.message and f"code: {pin}" not in problem.message
