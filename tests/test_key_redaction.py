"""Key material never reaches an output without --show-keys, and reaches the ones that show
fields with it: a BR/EDR bond made and reused by a real Bumble stack (tests/bredr_sim.py:
Link Key Notification, then Link Key Request Reply with the same key) and an LE pairing
(the STK in LE Start Encryption, the LTK in SMP Encryption Information).  Each output is
searched whole for the key's bytes in every form they could take (tests.helpers.key_forms_in).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from bpdiag.analysis.run import Reading
from bpdiag.decode.secret_fields import secret_keys
from tests.bredr_sim import classic_pairing
from tests.capture.writers import H4, btsnoop_h4_bytes
from tests.helpers import ROOT, bpdiag_in_process, key_forms_in
from tests.keyed_hci import keyed_capture

LE = ROOT / "captures" / "legacy_justworks_success.btsnoop"
ADDR = bytes([0x95, 0x67, 0xF7, 0x13, 0xC4, 0x0C])


def _hand_built(path: Path) -> Path:
    """The other messages declared secret, with distinct keys: Return Link Keys (7.7.21)
    and Write Stored Link Key (7.3.8) with two keys, LE Encrypt (7.8.22), LE Generate
    DHKey Complete (7.7.65.9), PIN Code Request Reply (7.1.12)."""
    k = [bytes(range(s, s + 16)) for s in (0x20, 0x40, 0x60, 0x80)]
    stored = bytes([2]) + ADDR + k[0] + bytes(range(1, 7)) + k[1]
    packets = [
        (True, bytes([0x04, 0x15, len(stored)]) + stored),
        (False, bytes([0x01, 0x11, 0x0C, len(stored)]) + stored),
        (False, bytes([0x01, 0x17, 0x20, 32]) + k[2] + bytes(16)),
        (True, bytes([0x04, 0x3E, 34, 0x09, 0x00]) + k[3] + bytes(range(0xA0, 0xB0))),
        (False, bytes([0x01, 0x0D, 0x04, 23]) + ADDR + b"\x10" + bytes(range(0xC0, 0xD0))),
    ]
    recs = [H4(1_700_000_000_000_000 + i * 1000, rx, p) for i, (rx, p) in enumerate(packets)]
    path.write_bytes(btsnoop_h4_bytes(recs))
    return path


@pytest.fixture(scope="module")
def bredr(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("bredr_keys")
    initiator, _responder, paired = classic_pairing(folder, True, reuse_key=True)
    assert paired
    return initiator


@pytest.fixture(scope="module")
def hand(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _hand_built(tmp_path_factory.mktemp("hand_keys") / "keys.btsnoop")


@pytest.fixture(scope="module")
def keyed_known(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[int, list[bytes]]]:
    """The OOB data, IRKs, LE Encrypt / LE Rand results and Broadcast_Codes of
    tests/keyed_hci.py (Bumble-built where Bumble can): the capture, and each frame's key
    material as its construction knows it (not as bpdiag decodes it)."""
    path = tmp_path_factory.mktemp("keyed_hci") / "keyed.btsnoop"
    known = keyed_capture(path)
    return path, {frame: keys for frame, (_name, keys) in known.items() if keys}


@pytest.fixture(scope="module")
def keyed(keyed_known: tuple[Path, dict[int, list[bytes]]]) -> Path:
    return keyed_known[0]


def _keys(path: Path) -> dict[int, tuple[str, list[bytes]]]:
    """Frame → its message's name and the secret octet strings bpdiag decoded from it (a
    key of zeros, which no search can tell from other zeros, left out)."""
    out: dict[int, tuple[str, list[bytes]]] = {}
    for pdu, _conn in Reading(str(path)):
        fields = pdu.msg.fields()
        for k in secret_keys(pdu.msg):
            value = fields.get(k)
            for v in value if isinstance(value, list) else [value]:
                if isinstance(v, str) and v.strip("0"):
                    out.setdefault(pdu.frame, (pdu.name, []))[1].append(bytes.fromhex(v))
    return out


def _named(path: Path) -> dict[str, set[bytes]]:
    out: dict[str, set[bytes]] = {}
    for name, keys in _keys(path).values():
        out.setdefault(name, set()).update(keys)
    return out


def _capture(which: str, bredr: Path, hand: Path, keyed: Path | None = None) -> Path:
    return {"bredr": bredr, "le": LE, "hand": hand, "keyed": keyed}[which] or LE


def test_the_bumble_capture_has_the_link_key_twice(bredr: Path) -> None:
    keys = _named(bredr)
    assert keys["Link Key Notification"] == keys["Link Key Request Reply"]
    (key,) = keys["Link Key Notification"]
    assert len(key) == 16


def test_the_le_capture_has_its_keys() -> None:
    keys = _named(LE)
    assert {"LE Start Encryption", "Encryption Information"} <= set(keys)


def test_the_hand_built_capture_has_its_keys(hand: Path) -> None:
    keys = _named(hand)
    assert len(keys["Return Link Keys"]) == len(keys["Write Stored Link Key"]) == 2
    assert {"LE Encrypt", "LE Generate DHKey Complete", "PIN Code Request Reply"} <= set(keys)


def test_the_keyed_capture_decodes_every_key(
    keyed_known: tuple[Path, dict[int, list[bytes]]],
) -> None:
    """Every key the capture was built with is one bpdiag declares secret, in the frame it
    was put in (on a bpdiag that does not declare these messages, none is)."""
    path, known = keyed_known
    decoded = {frame: sorted(keys) for frame, (_name, keys) in _keys(path).items()}
    assert decoded == {frame: sorted(keys) for frame, keys in known.items()}


def _all(path: Path) -> set[bytes]:
    return {key for _name, keys in _keys(path).values() for key in keys}


@pytest.mark.parametrize("which", ["bredr", "le", "hand", "keyed"])
@pytest.mark.parametrize("args", [["dump"], ["dump", "--json"]])
def test_dump_redacts_keys_unless_asked(
    bredr: Path, hand: Path, keyed: Path, which: str, args: list[str]
) -> None:
    path = _capture(which, bredr, hand, keyed)
    keys = _all(path)
    hidden = bpdiag_in_process(*args, str(path)).stdout
    assert "redacted" in hidden
    shown = bpdiag_in_process(*args, "--show-keys", str(path)).stdout
    for key in keys:
        assert key_forms_in(hidden, key) == [], key.hex()
        assert key.hex() in shown


@pytest.mark.parametrize("which", ["bredr", "le", "hand", "keyed"])
def test_analyze_never_leaks_keys(
    bredr: Path, hand: Path, keyed: Path, which: str, tmp_path: Path
) -> None:
    path = _capture(which, bredr, hand, keyed)
    html = tmp_path / "report.html"
    outputs = [
        bpdiag_in_process("analyze", str(path)).stdout,
        bpdiag_in_process("analyze", "--json", str(path)).stdout,
        bpdiag_in_process("analyze", "--html", str(html), str(path)).stdout,
        html.read_text(encoding="utf-8"),
    ]
    for key in _all(path):
        for out in outputs:
            assert key_forms_in(out, key) == [], key.hex()


def test_analyze_text_shows_the_ltk_with_show_keys() -> None:
    shown = bpdiag_in_process("analyze", "--show-keys", str(LE)).stdout
    hidden = bpdiag_in_process("analyze", str(LE)).stdout
    for ltk in _named(LE)["Encryption Information"]:
        assert ltk.hex() in shown and ltk.hex() not in hidden


# ---------------------------------------------------------------- the TUI
def _screen(app: object, widget: str) -> str:
    return str(app.query_one(widget).render())  # type: ignore[attr-defined]


def _unwrapped(text: str) -> str:
    """``text`` and, after it, its lines joined: a long ``load = b'…'`` the pane wrapped
    is one string again, for key_forms_in to find a key split over two lines."""
    return text + "\n" + text.replace("\n", "")


async def _frames_view(app: Any, pilot: Any) -> Any:
    """The packets table switched to the frames view (``f``): every record, decoded or not."""
    table = app.query_one("#packets")
    table.focus()
    await pilot.press("f")
    await pilot.pause()
    assert app.raw_frames is not None
    return table


async def _frame_detail(app: Any, pilot: Any, table: Any, frame: int) -> str:
    """The detail pane of record ``frame`` in the frames view."""
    table.move_cursor(row=list(app.raw_frames).index(frame))
    await pilot.press("enter")
    await pilot.pause()
    return _screen(app, "#detail")


def _fields_table(app: object) -> str:
    table = app.query_one("#fields")  # type: ignore[attr-defined]
    return "\n".join(" ".join(map(str, table.get_row_at(i))) for i in range(table.row_count))


@pytest.mark.parametrize("which", ["bredr", "le", "hand", "keyed"])
@pytest.mark.parametrize("show_keys", [False, True])
async def test_tui_packet_details_and_frames_view(
    bredr: Path, hand: Path, keyed: Path, which: str, show_keys: bool
) -> None:
    pytest.importorskip("textual")
    pytest.importorskip("scapy")
    from bpdiag.tui.app import make_app
    from tests.tui.pilot import running

    path = _capture(which, bredr, hand, keyed)
    keys = _keys(path)
    async with running(make_app(str(path), show_keys), size=(150, 44)) as (app, pilot):
        assert app.loaded is not None
        rows = [r for r in app.loaded.packets if r.frame in keys]
        assert len(rows) == len(keys)
        for row in rows:
            app.show_detail(row)
            await pilot.pause()
            seen = _fields_table(app) + "\n" + _screen(app, "#detail")
            for key in keys[row.frame][1]:
                if show_keys:
                    assert key.hex() in seen  # the field, and the bytes in the hex dump
                    assert "hex dump (wire order)" in key_forms_in(seen, key)
                else:
                    assert key_forms_in(seen, key) == [], (row.name, key.hex())
        table = app.query_one("#packets")
        table.focus()
        await pilot.press("f")
        await pilot.pause()
        assert app.raw_frames is not None
        for row in rows:
            table.move_cursor(row=list(app.raw_frames).index(row.frame))  # type: ignore[attr-defined]
            await pilot.press("enter")
            await pilot.pause()
            detail = _unwrapped(_screen(app, "#detail"))
            listing = "\n".join(
                " ".join(map(str, table.get_row_at(i)))  # type: ignore[attr-defined]
                for i in range(table.row_count)  # type: ignore[attr-defined]
            )
            for key in keys[row.frame][1]:
                if show_keys:
                    assert key_forms_in(detail, key), (row.name, detail)
                else:
                    assert key_forms_in(detail + listing, key) == [], (row.name, detail)


# ---------------------------------------------------------------- a passkey shown to the user
@pytest.fixture(scope="module")
def passkey_entry(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int, int]:
    """The displaying side of a Bumble Passkey Entry (tests/bredr_sim.py): its controller's
    User Passkey Notification (7.7.48) carries the passkey the peer's user typed.  Returns
    the log, that record's frame and the passkey, read from the record's own bytes."""
    from bpdiag.capture import open_capture

    _initiator, responder, paired = classic_pairing(
        tmp_path_factory.mktemp("passkey"), True, passkey=True
    )
    assert paired
    with open_capture(responder) as cap:
        (note,) = [r for r in cap if bytes(r.payload[:3]) == b"\x04\x3b\x0a"]  # H4 event
    return responder, note.index, int.from_bytes(note.payload[9:13], "little")


def test_a_passkey_notification_is_redacted_unless_asked(
    passkey_entry: tuple[Path, int, int],
) -> None:
    path, frame, passkey = passkey_entry
    number = re.compile(rf"(?<!\d){passkey}(?!\d)")
    for args in (["dump"], ["dump", "--json"], ["analyze", "--json"]):
        hidden = bpdiag_in_process(*args, str(path)).stdout
        assert number.search(hidden) is None, args
        assert key_forms_in(hidden, passkey.to_bytes(4, "little")) == [], args
    shown = bpdiag_in_process("dump", "--show-keys", str(path)).stdout
    (line,) = [x for x in shown.splitlines() if x.startswith(f"#{frame} ")]
    assert "User Passkey Notification" in line and number.search(line)


@pytest.mark.parametrize("show_keys", [False, True])
async def test_tui_frames_view_hides_a_notified_passkey(
    passkey_entry: tuple[Path, int, int], show_keys: bool
) -> None:
    pytest.importorskip("textual")
    pytest.importorskip("scapy")
    from bpdiag.tui.app import make_app
    from tests.tui.pilot import running

    path, frame, passkey = passkey_entry
    async with running(make_app(str(path), show_keys), size=(150, 44)) as (app, pilot):
        table = app.query_one("#packets")
        table.focus()
        await pilot.press("f")
        await pilot.pause()
        assert app.raw_frames is not None
        table.move_cursor(row=list(app.raw_frames).index(frame))  # type: ignore[attr-defined]
        await pilot.press("enter")
        await pilot.pause()
        detail = _screen(app, "#detail")
        assert "0x3b" in detail  # the User Passkey Notification's dissection
        assert bool(key_forms_in(detail, passkey.to_bytes(4, "little"))) is show_keys, detail


@pytest.mark.parametrize("show_keys", [False, True])
async def test_tui_frames_view_hides_the_keys_of_every_keyed_message(
    keyed_known: tuple[Path, dict[int, list[bytes]]], show_keys: bool
) -> None:
    """scapy's dissection of each record of the keyed capture (its layers for Remote OOB
    Data Request Reply, raw ``load`` bytes for the rest) shows none of the keys the record
    was built with, unless --show-keys — checked against the construction, so a message
    bpdiag does not declare fails here too."""
    pytest.importorskip("textual")
    pytest.importorskip("scapy")
    from bpdiag.tui.app import make_app
    from tests.tui.pilot import running

    path, known = keyed_known
    async with running(make_app(str(path), show_keys), size=(150, 44)) as (app, pilot):
        await pilot.pause()
        table = await _frames_view(app, pilot)
        listing = "\n".join(" ".join(map(str, table.get_row_at(i))) for i in range(table.row_count))
        for frame, keys in known.items():
            detail = _unwrapped(await _frame_detail(app, pilot, table, frame))
            for key in keys:
                if show_keys:
                    assert key_forms_in(detail, key), (frame, detail)
                else:
                    assert key_forms_in(detail + listing, key) == [], (frame, detail)


@pytest.fixture(scope="module")
def cut_keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[int, bytes]]:
    """Key-bearing messages a log cut short (each length byte says more than is there), so
    bpdiag decodes none of them: a Link Key Notification, an LE Add Device To Resolving
    List, Read Local OOB Data's Command Complete, an LE Generate DHKey Complete.  Returns
    the capture and, per frame, the key octets it still holds."""
    k = [bytes(range(s, s + 12)) for s in (0x31, 0x51, 0x71, 0x91)]
    packets = [
        (False, bytes([0x01, 0x06, 0x04, 3, 0x40, 0x00, 0x13])),  # Disconnect: decoded
        (True, bytes([0x04, 0x18, 23]) + ADDR + k[0]),  # Link_Key cut after 12 octets
        (False, bytes([0x01, 0x27, 0x20, 39, 0x00]) + ADDR + k[1]),  # Peer_IRK cut
        (True, bytes([0x04, 0x0E, 36, 0x01, 0x57, 0x0C, 0x00]) + k[2]),  # C cut
        (True, bytes([0x04, 0x3E, 34, 0x09, 0x00]) + k[3]),  # DH_Key cut
    ]
    recs = [H4(1_700_000_000_000_000 + i * 1000, rx, p) for i, (rx, p) in enumerate(packets)]
    path = tmp_path_factory.mktemp("cut_keys") / "cut.btsnoop"
    path.write_bytes(btsnoop_h4_bytes(recs))
    return path, {i: key for i, key in enumerate(k, 2)}


@pytest.mark.parametrize("show_keys", [False, True])
async def test_tui_frames_view_hides_what_is_left_of_a_cut_key(
    cut_keys: tuple[Path, dict[int, bytes]], show_keys: bool
) -> None:
    """A record bpdiag could not decode has no decoded fields to say it holds a key; its
    code's declaration does, and its bytes are withheld as a decoded one's are."""
    pytest.importorskip("textual")
    pytest.importorskip("scapy")
    from bpdiag.tui.app import make_app
    from tests.tui.pilot import running

    path, known = cut_keys
    assert {pdu.frame for pdu, _c in Reading(str(path))} == {1}  # the Disconnect alone
    async with running(make_app(str(path), show_keys), size=(150, 44)) as (app, pilot):
        await pilot.pause()
        table = await _frames_view(app, pilot)
        for frame, key in known.items():
            detail = _unwrapped(await _frame_detail(app, pilot, table, frame))
            assert bool(key_forms_in(detail, key)) is show_keys, (frame, detail)
