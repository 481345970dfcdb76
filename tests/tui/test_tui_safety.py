"""Nothing on the TUI's screen that should not be there: key bytes in the detail pane, the
frames view or a crash screen; capture text acting as markup."""

from __future__ import annotations

import dataclasses
import struct
from pathlib import Path

import pytest

pytest.importorskip("textual")

from bpdiag.tui.app import BpdiagApp, make_app
from tests.tui.pilot import loaded, running

SC_OK = "captures/sc_justworks_success.btsnoop"
FAILED = "captures/not_in_pairing_mode.btsnoop"
SIZE = (150, 44)
LTK = bytes.fromhex("a1b2c3d4e5f60718293a4b5c6d7e8f90")
EPOCH_DELTA_US = 0x00E03AB44A676000


def _monitor_capture(path: Path) -> None:
    """A btsnoop monitor capture (datalink 2001) as ``btmon -w`` writes on a BlueZ host that
    pairs: MGMT New Long Term Key (event 0x000A) and Passkey Notify (0x0017), sent on a
    control socket (opcode 17: cookie, event code, parameters; BlueZ monitor/bt.h,
    doc/mgmt-api.txt)."""
    peer = bytes.fromhex("665544332211") + b"\x01"
    new_ltk = b"\x01" + peer + b"\x01\x00\x10" + struct.pack("<H", 0x1234) + bytes(range(8)) + LTK
    passkey = peer + struct.pack("<I", 654321) + b"\x00"
    records = [
        struct.pack("<I", 7) + struct.pack("<H", 0x000A) + new_ltk,
        struct.pack("<I", 7) + struct.pack("<H", 0x0017) + passkey,
    ]
    out = bytearray(b"btsnoop\x00" + struct.pack(">II", 1, 2001))
    t = 1_700_000_000_000_000 + EPOCH_DELTA_US
    for i, data in enumerate(records):
        out += struct.pack(">IIIIQ", len(data), len(data), 17, 0, t + i) + data
    path.write_bytes(bytes(out))


def _text(app: BpdiagApp, widget: str) -> str:
    return str(app.query_one(widget).render())


def _no_key(text: str, key: bytes) -> None:
    assert key.hex() not in text.replace(" ", "").lower()
    assert repr(key)[2:-1] not in text


async def test_mgmt_key_records_keep_their_bytes_hidden(tmp_path: Path) -> None:
    path = tmp_path / "mgmt.btsnoop"
    _monitor_capture(path)
    async with running(make_app(str(path)), size=SIZE) as (app, pilot):
        assert app.loaded is not None
        rows = {r.name: r for r in app.loaded.packets}
        ltk_row = rows["MGMT Event (New Long Term Key)"]
        app.show_detail(ltk_row)
        await pilot.pause()
        assert "bytes hidden" in _text(app, "#detail")
        _no_key(_text(app, "#detail"), LTK)
        pk_row = rows["MGMT Event (Passkey Notify)"]
        assert pk_row.fields["passkey"] == "redacted"
        app.show_detail(pk_row)
        await pilot.pause()
        detail = _text(app, "#detail")
        assert "bytes hidden" in detail and "654321" not in detail
        assert "f1fb09" not in detail.replace(" ", "")  # 654321 little-endian


async def test_frames_view_redacts_key_fields() -> None:
    pytest.importorskip("scapy")
    async with running(make_app(SC_OK), size=SIZE) as (app, pilot):
        assert app.loaded is not None
        row = next(r for r in app.loaded.packets if r.name == "Identity Information")
        irk = row.raw[-16:]
        table = app.query_one("#packets")
        table.focus()
        await pilot.press("f")
        await pilot.pause()
        assert app.raw_frames is not None
        table.move_cursor(row=list(app.raw_frames).index(row.frame))  # type: ignore[attr-defined]
        await pilot.press("enter")
        await pilot.pause()
        detail = _text(app, "#detail")
        assert "Identity Information" in detail and "irk" in detail
        assert "redacted" in detail
        _no_key(detail, irk)


async def test_a_finding_with_markup_renders_literally() -> None:
    async with running(make_app(FAILED), size=SIZE) as (app, pilot):
        assert app.loaded is not None and app.loaded.analysis.findings
        f = app.loaded.analysis.findings[0]
        evil = "bluetoothd[42]: [hci0] [error] [link=https://x.example]click[/link] \x1b]0;t\x07"
        app.loaded.analysis.findings[0] = dataclasses.replace(f, detail=evil)
        app.select_finding(0)  # raised MarkupError before
        await pilot.pause()
        detail = _text(app, "#detail")
        assert "[hci0] [error] [link=https://x.example]click[/link]" in detail
        assert "\x1b" not in detail and "\\x1b]0;t\\x07" in detail


async def test_a_crash_shows_one_line_and_no_locals(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    app = make_app(SC_OK)

    def crash(row: object, field: str | None = None) -> None:
        secret = LTK  # a local that Textual's traceback would have printed
        raise RuntimeError(f"forced failure with {len(secret)} bytes at hand")

    with pytest.raises(RuntimeError, match="forced failure"):
        async with app.run_test(size=SIZE) as pilot:
            await loaded(pilot, app)
            monkeypatch.setattr(app, "show_detail", crash)
            app.query_one("#packets").focus()
            await pilot.press("enter")
            await pilot.pause()
    shown = " ".join(capsys.readouterr().err.split())  # what the app printed as it ended
    assert "internal error in the TUI (RuntimeError: forced failure" in shown
    assert "secret" not in shown and "locals" not in shown.lower()
    _no_key(shown, LTK)
    assert app.return_code == 3


def test_scapy_names_of_every_declared_secret_are_redacted() -> None:
    """scapy's dissection of each message bpdiag declares secret, built by scapy itself:
    its key field reads ``redacted`` (the filter's names are the declarations')."""
    pytest.importorskip("scapy")
    from scapy.layers import bluetooth as bt

    from bpdiag.tui.safety import redact_dissection
    from tests.helpers import key_forms_in

    key = bytes(range(0xC0, 0xD0))
    addr = "0c:c4:13:f7:67:95"
    packets = [
        bt.HCI_Cmd_Link_Key_Request_Reply(bd_addr=addr, link_key=int.from_bytes(key, "big")),
        bt.HCI_Cmd_PIN_Code_Request_Reply(bd_addr=addr, pin_code_length=16, pin_code=key),
        bt.HCI_Cmd_LE_Long_Term_Key_Request_Reply(connection_handle=1, ltk=key),
        bt.HCI_Cmd_LE_Enable_Encryption(connection_handle=1, ltk=key),
        bt.SM_Encryption_Information(ltk=key),
        bt.SM_Identity_Information(irk=key),
        bt.SM_Signing_Information(csrk=key),
    ]
    for pkt in packets:
        text = pkt.show(dump=True)
        assert key_forms_in(text, key), type(pkt).__name__  # scapy shows it
        safe = redact_dissection(text, False, False)
        assert "redacted" in safe and key_forms_in(safe, key) == [], type(pkt).__name__
    passkey = bt.HCI_Cmd_User_Passkey_Request_Reply(bd_addr=addr, numeric_value=918273)
    safe = redact_dissection(passkey.show(dump=True), False, False)
    assert "918273" not in safe and "redacted" in safe
