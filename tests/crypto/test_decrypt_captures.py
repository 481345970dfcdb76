"""Decryption against the shared captures whose secrets are known (MANIFEST.md: bsniffhub
file names carry the passkey / TK / LTK, crackle's README gives passkey 461140, WHAD's
decrypted twin of the same connection) and tshark reading what ``bpdiag decrypt`` writes."""

from __future__ import annotations

import json
import os
import stat

import pytest

from bpdiag.analysis.decrypt_file import decrypt_file
from bpdiag.analysis.run import Reading
from bpdiag.crypto.keyring import Keyring
from bpdiag.diagnose import diagnose
from bpdiag.report.json_objects import pairing_json
from bpdiag.report.text import render_text
from tests.conftest import SHARED, require_shared
from tests.helpers import bpdiag_in_process
from tests.tshark import Tshark, any_of, present, protocol, smp_opcodes


def _keys(ltk: str | None = None, tk: str | None = None) -> Keyring:
    k = Keyring()
    if ltk:
        k.add_ltk_text(ltk)
    if tk:
        k.add_tk_text(tk)
    return k


@pytest.mark.parametrize(
    ("name", "passkey"),
    [
        ("lephdr_legacy_passkey_initiator_inputs_bsniffhub.pcap", "123456"),
        ("ubertooth_ppi_legacy_passkey_crackle.pcap", "461140"),
    ],
)
def test_passkey_recovered_and_redacted(name: str, passkey: str) -> None:
    require_shared()
    a = Reading(SHARED / name).analyse()
    [p] = a.pairings
    assert p.outcome == "success"
    secrets = {c.check: c.secret for c in p.checks}
    assert secrets["initiator_passkey"] == secrets["responder_passkey"] == passkey
    assert passkey not in render_text(diagnose(a))
    assert f"[passkey {passkey}]" in render_text(diagnose(a), show_keys=True)
    assert passkey not in json.dumps(pairing_json(a.pairings[0]))
    assert a.decryption is not None and a.decryption.decrypted > 0
    assert "LTK" in {k.key for k in p.keys}  # key distribution, read after decryption


@pytest.mark.parametrize(
    ("name", "ltk", "tk"),
    [
        ("lephdr_encrypted_no_pairing_bsniffhub.pcap", "063F1154BC631D186D48A05B7F5DCD8F", None),
        (
            "lephdr_lesc_justworks_fragmented_bsniffhub.pcap",
            "BD27012E93C195F13B8F176FE84A2DED",
            None,
        ),
        (
            "lephdr_lesc_justworks_dumpcap_bsniffhub.pcapng",
            "064188355D35D1B9C29F31B5F3FD9480",
            None,
        ),
        ("lephdr_legacy_oob_bsniffhub.pcap", None, "5E882417A987222423A1A9EC719AED27"),
    ],
)
def test_given_keys_decrypt_and_other_keys_do_not(
    name: str, ltk: str | None, tk: str | None
) -> None:
    require_shared()
    a = Reading(SHARED / name, _keys(ltk, tk)).analyse()
    assert a.decryption is not None and a.decryption.decrypted > 0
    assert a.decryption.not_decrypted == 0
    wrong = Reading(SHARED / name, _keys(ltk and "00" * 16, tk and "11" * 16)).analyse()
    assert wrong.decryption is not None and wrong.decryption.decrypted == 0


def test_sc_debug_key_and_legacy_just_works_need_no_key() -> None:
    require_shared()
    for name, how in (
        ("lephdr_lesc_justworks_bsniffhub.pcap", "debug key"),
        ("lephdr_legacy_justworks_bsniffhub.pcap", "TK 0"),
    ):
        a = Reading(SHARED / name).analyse()
        assert a.decryption is not None and a.decryption.decrypted > 0, name
        assert how in a.decryption.keys[0]["key"]


def _pdus(path: os.PathLike[str] | str) -> set[tuple[object, ...]]:
    return {
        (p.frame, p.layer, p.opcode, json.dumps(p.msg.fields(), sort_keys=True, default=str))
        for p, _c in Reading(path)
    }


def test_whad_pair_pdu_for_pdu() -> None:
    """bpdiag decrypting WHAD's capture gives the PDUs of WHAD's own decrypted file."""
    require_shared()
    mine = _pdus(SHARED / "lephdr_legacy_passkey_whad.pcap")
    theirs = _pdus(SHARED / "lephdr_legacy_passkey_decrypted_keydist_whad.pcap")
    assert mine == theirs
    decrypted = [p for p, _c in Reading(SHARED / "lephdr_legacy_passkey_whad.pcap") if p.decrypted]
    assert {p.msg.name for p in decrypted} >= {"Encryption Information", "Identity Information"}


# the display filter btsmp || btatt || btle.control_opcode
DECODED = any_of(protocol("btsmp"), protocol("btatt"), present("btle.control_opcode"))


@pytest.mark.parametrize(
    ("name", "ltk"),
    [
        ("lephdr_legacy_passkey_whad.pcap", None),
        ("ubertooth_ppi_legacy_passkey_crackle.pcap", None),
        ("lephdr_lesc_justworks_bsniffhub.pcap", None),
        ("nordic_lesc_justworks_bsniffhub.pcap", None),
        ("lephdr_encrypted_no_pairing_bsniffhub.pcap", "063F1154BC631D186D48A05B7F5DCD8F"),
    ],
)
def test_tshark_reads_decrypt_output_and_decodes_more(
    dissect: Tshark, tmp_path, name: str, ltk: str | None
) -> None:  # type: ignore[no-untyped-def]
    require_shared()
    out = tmp_path / "out.pcapng"
    res = decrypt_file(str(SHARED / name), str(out), _keys(ltk))
    assert res.decrypted > 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    plain = dissect.select(SHARED / name, DECODED)
    written = dissect.fresh(out)
    assert len([f for f in written if DECODED(f)]) > len(plain)
    # every record was written and tshark reads them all
    assert len(written) == res.written


def test_decrypt_cli_log_redacts_keys(tmp_path) -> None:  # type: ignore[no-untyped-def]
    require_shared()
    out = tmp_path / "o.pcapng"
    ltk = "063F1154BC631D186D48A05B7F5DCD8F"
    capture = str(SHARED / "lephdr_encrypted_no_pairing_bsniffhub.pcap")
    r = bpdiag_in_process("decrypt", capture, "-o", str(out), "--ltk", ltk)
    assert r.returncode == 0, r.stderr
    assert "decrypted" in r.stdout
    assert ltk.lower() not in (r.stdout + r.stderr).lower()


def test_corrupt_captures_never_crash(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Damaged bytes in an encrypted capture: counted, never a crash."""
    require_shared()
    data = bytearray((SHARED / "lephdr_legacy_justworks_bsniffhub.pcap").read_bytes())
    import random

    rnd = random.Random(14)
    for _ in range(300):
        data[rnd.randrange(24, len(data))] ^= 1 << rnd.randrange(8)
    bad = tmp_path / "bad.pcap"
    bad.write_bytes(bytes(data))
    a = Reading(bad).analyse()
    res = decrypt_file(str(bad), str(tmp_path / "bad.pcapng"))
    assert res.written + res.unsupported <= res.records
    assert a.capture.records > 0


@pytest.mark.parametrize(
    "name", ["lephdr_legacy_passkey_whad.pcap", "lephdr_legacy_justworks_bsniffhub.pcap"]
)
def test_decrypted_smp_agrees_with_tshark_on_decrypt_output(
    dissect: Tshark, tmp_path, name: str
) -> None:  # type: ignore[no-untyped-def]
    """Differential: every SMP PDU bpdiag decrypted is one tshark decodes, with the same
    command code, from the file ``bpdiag decrypt`` wrote."""
    require_shared()
    out = tmp_path / "d.pcapng"
    decrypt_file(str(SHARED / name), str(out))
    theirs = smp_opcodes(dissect.fresh(out))
    mine = {
        p.frame: p.opcode for p, _c in Reading(SHARED / name) if p.decrypted and p.layer == "smp"
    }
    assert mine
    for frame, op in mine.items():
        assert theirs.get(frame) == op, frame


def test_tui_model_marks_decrypted_rows_with_given_key() -> None:
    """The TUI's loader takes the key options (``bpdiag tui --ltk``) and marks decrypted rows."""
    require_shared()
    from bpdiag.tui.model import load

    name = "lephdr_encrypted_no_pairing_bsniffhub.pcap"
    without = load(str(SHARED / name))
    given = load(str(SHARED / name), keys=_keys("063F1154BC631D186D48A05B7F5DCD8F"))
    assert not any(r.name.endswith("[decrypted]") for r in without.packets)
    assert any(r.name.endswith("[decrypted]") for r in given.packets)


def test_ladders_mark_the_steps_bpdiag_decrypted() -> None:
    """Text, HTML and TUI ladders mark exactly the SMP PDUs whose packets bpdiag decrypted
    (WHAD's capture: key distribution after LL_START_ENC); WHAD's own decrypted twin, whose
    packets are plaintext in the file, has no mark."""
    require_shared()
    from bpdiag.report.html import render_html
    from bpdiag.tui.model import ladder_lines

    name = "lephdr_legacy_passkey_whad.pcap"
    frames = {p.frame for p, _c in Reading(SHARED / name) if p.decrypted and p.layer == "smp"}
    assert len(frames) >= 5
    a = diagnose(Reading(SHARED / name).analyse())
    [p] = a.pairings
    assert {s.frame for s in p.steps if s.decrypted} == frames
    marked = [
        int(line.split()[0][1:]) for line in render_text(a).splitlines() if "[decrypted]" in line
    ]
    assert set(marked) == frames and len(marked) == len(frames)
    tui = {f for f, line in ladder_lines(p) if line.endswith("[decrypted]")}
    assert tui == frames
    assert render_html(a).count("decrypted</span>") == len(frames)
    twin = diagnose(Reading(SHARED / "lephdr_legacy_passkey_decrypted_keydist_whad.pcap").analyse())
    assert "[decrypted]" not in render_text(twin)
    assert "decrypted</span>" not in render_html(twin)


def test_decrypt_refuses_to_overwrite_its_input(tmp_path) -> None:  # type: ignore[no-untyped-def]
    require_shared()
    src = tmp_path / "in.pcap"
    data = (SHARED / "lephdr_legacy_justworks_bsniffhub.pcap").read_bytes()
    src.write_bytes(data)
    os.symlink(src, tmp_path / "alias.pcap")
    for out in (src, tmp_path / "alias.pcap"):
        r = bpdiag_in_process("decrypt", str(src), "-o", str(out))
        assert r.returncode == 2 and "capture being read" in r.stderr
    assert src.read_bytes() == data


def test_decrypt_does_not_write_through_a_symbolic_link(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # The decrypted capture holds what the encryption protected: it goes where the user named
    # it, owner-only, never through a link someone placed there to another file.
    require_shared()
    other = tmp_path / "other.txt"
    other.write_text("keep")
    os.symlink(other, tmp_path / "out.pcapng")
    capture = str(SHARED / "lephdr_legacy_passkey_whad.pcap")
    r = bpdiag_in_process("decrypt", capture, "-o", str(tmp_path / "out.pcapng"))
    assert r.returncode == 2 and "is a symbolic link" in r.stderr
    assert other.read_text() == "keep"
