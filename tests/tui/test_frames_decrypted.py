"""The TUI frames view says plainly that a frame bpdiag decrypted is ciphertext in the capture
and shows bpdiag's decoded fields (keys still redacted), on a real decrypted air capture."""

from __future__ import annotations

import pytest

from bpdiag.tui.model import (
    RawFrame,
    dissect,
    frames_around,
    load,
    raw_frame_detail,
    raw_frame_summary,
)
from bpdiag.tui.safety import hides_key_bytes
from tests.conftest import SHARED, require_shared

CAPTURE = "lephdr_legacy_justworks_bsniffhub.pcap"  # legacy Just Works, decrypted with STK


def test_decrypted_frames_are_told_apart_and_keys_stay_redacted() -> None:
    pytest.importorskip("scapy")
    require_shared()
    path = str(SHARED / CAPTURE)
    loaded = load(path)
    enc = next(r for r in loaded.packets if r.name == "Encryption Information [decrypted]")
    raw = next(f for f in frames_around(path, enc.frame, 0) if f.index == enc.frame)
    summary = raw_frame_summary(raw, loaded.packets, dissect(raw)[0])
    assert summary == "decrypted: smp Encryption Information"
    keyed = hides_key_bytes(enc.fields, False)
    detail = raw_frame_detail(raw, loaded.packets, dissect(raw)[1], keyed, False)
    assert f"Frame #{enc.frame} is encrypted in the capture" in detail
    assert "ltk = redacted" in detail and "scapy (the encrypted frame as captured)" in detail
    assert "###[" in detail  # scapy's dissection still follows
    # The real LTK never appears (decoded unredacted only with show_keys).
    shown = load(path, show_keys=True)
    real = next(r for r in shown.packets if r.frame == enc.frame).fields["ltk"]
    assert isinstance(real, str) and real != "redacted"
    assert real not in detail.replace(" ", "")
    assert real in raw_frame_detail(raw, shown.packets, dissect(raw)[1], False, True)


def test_a_frame_bpdiag_did_not_decrypt_keeps_scapys_view() -> None:
    frame = RawFrame(3, 251, bytes(8))
    assert raw_frame_summary(frame, [], "BTLE / raw") == "BTLE / raw"
    assert raw_frame_detail(frame, [], "###[ BTLE ]###\n  ltk = 00", False, False) == (
        "###[ BTLE ]###\n  ltk = redacted"
    )


async def test_the_packet_list_says_decrypted() -> None:
    """A decrypted PDU's name keeps its " [decrypted]" in the packet table (a str cell was
    read as Rich markup, which took the brackets for a style and dropped them)."""
    pytest.importorskip("textual")
    require_shared()
    from textual.widgets import DataTable

    from bpdiag.tui.app import make_app
    from tests.tui.pilot import loaded

    app = make_app(str(SHARED / CAPTURE))
    async with app.run_test(size=(160, 48)) as pilot:
        await loaded(pilot, app)
        table = app.query_one("#packets", DataTable)
        names = [table.get_row_at(i)[4].plain for i in range(table.row_count)]
        assert "Encryption Information [decrypted]" in names
