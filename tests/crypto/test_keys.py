"""Keys from files and host captures, keys as diagnosis evidence, IRK resolution."""

from __future__ import annotations

from pathlib import Path

from bpdiag.analysis.host_keys import load_host_keys
from bpdiag.analysis.key_evidence import KeyTracker
from bpdiag.analysis.model import Analysis, CaptureInfo, Connection, Endpoint
from bpdiag.analysis.run import Reading
from bpdiag.capture.record import Direction
from bpdiag.crypto.keyring import Keyring, redact
from bpdiag.decode import hci, smp
from bpdiag.decode.pdu import Pdu
from bpdiag.rules import run_rules
from tests.conftest import SHARED, require_shared

H = bytes.fromhex
LTK = "063F1154BC631D186D48A05B7F5DCD8F"  # bsniffhub's file name (spec order)


def test_bluez_info_file_decrypts(tmp_path: Path) -> None:
    """BlueZ stores Key= least significant octet first (src/adapter.c store_longtermkey)."""
    require_shared()
    d = tmp_path / "00:11:22:33:44:55" / "C0:01:02:03:04:05"
    d.mkdir(parents=True)
    (d / "info").write_text(
        "[General]\nName=x\n\n[LongTermKey]\n"
        f"Key={H(LTK)[::-1].hex().upper()}\nAuthenticated=0\nEncSize=16\nEDiv=0\nRand=0\n\n"
        "[IdentityResolvingKey]\nKey=9B7D390AA6101034 05ADC857A33402EC\n".replace(" ", "")
    )
    keys = Keyring()
    assert keys.load_file(str(d / "info")) == 2
    assert keys.ltks[0].address == "C0:01:02:03:04:05" and keys.ltks[0].ltk == H(LTK)
    a = Reading(SHARED / "lephdr_encrypted_no_pairing_bsniffhub.pcap", keys).analyse()
    assert a.decryption is not None and a.decryption.decrypted > 0


def test_android_bt_config(tmp_path: Path) -> None:
    f = tmp_path / "bt_config.conf"
    penc = H(LTK)[::-1] + H("0102030405060708") + (0x1234).to_bytes(2, "little") + b"\x01\x10"
    f.write_text(f"[Info]\nFileSource = Empty\n\n[aa:bb:cc:dd:ee:ff]\nLE_KEY_PENC = {penc.hex()}\n")
    keys = Keyring()
    assert keys.load_file(str(f)) == 1
    k = keys.ltks[0]
    assert (k.ltk, k.ediv, k.rand, k.address) == (
        H(LTK),
        0x1234,
        H("0102030405060708"),
        "AA:BB:CC:DD:EE:FF",
    )


def test_bad_key_files_are_problems_not_crashes(tmp_path: Path) -> None:
    keys = Keyring()
    (tmp_path / "x").write_bytes(b"\x00\xff garbage [[[")
    (tmp_path / "y").write_text("[LongTermKey]\nKey=zz\n")
    assert keys.load_file(str(tmp_path / "x")) == 0
    assert keys.load_file(str(tmp_path / "y")) == 0
    assert keys.load_file(str(tmp_path / "missing")) == 0
    assert len(keys.problems) >= 3


def test_host_capture_keys_are_tied_to_ediv_rand() -> None:
    require_shared()
    keys = Keyring()
    n = load_host_keys(
        str(SHARED / "h4phdr_legacy_justworks_reencrypt_mouse_blproject.pcapng"), keys
    )
    assert n >= 1 and all(k.ediv is not None for k in keys.ltks if "Start Encryption" in k.source)


def test_redact() -> None:
    assert redact(H(LTK), False) == "redacted" and redact(H(LTK), True) == LTK.lower()


def _conn() -> Connection:
    c = Connection(1, ("hci", 0, 64), "le", 1, 1)
    c.local_role = "central"
    c.peripheral = Endpoint("C4:7C:84:35:89:0E", "public")
    return c


def _pdu(frame: int, layer: str, msg: object, d: Direction = Direction.P_TO_C) -> Pdu:
    return Pdu(frame, 0.0, d, ("hci", 0, 64), layer, 0, msg)  # type: ignore[arg-type]


def test_reconnection_with_another_pairings_key_is_evidence_for_bond_lost() -> None:
    """Hand-built: keys distributed at #10/#11, then LE Start Encryption with another LTK."""
    t = KeyTracker(Keyring())
    c = _conn()
    t.feed(_pdu(5, "smp", smp.parse_smp(H("01030005100707"))), c)  # legacy: no public keys
    t.feed(_pdu(8, "hci", hci.LeEnableEncryption(64, bytes(8), 0, bytes(16))), c)  # the STK
    t.feed(_pdu(10, "smp", smp.parse_smp(b"\x06" + H(LTK)[::-1])), c)
    t.feed(_pdu(11, "smp", smp.parse_smp(b"\x07" + H("3412") + H("0102030405060708"))), c)
    t.feed(
        _pdu(50, "hci", hci.LeEnableEncryption(64, H("0102030405060708"), 0x1234, H(LTK)[::-1])), c
    )
    t.feed(_pdu(90, "hci", hci.LeEnableEncryption(64, H("0102030405060708"), 0x1234, bytes(16))), c)
    assert [(k.frame, k.verdict, k.source_frame) for k in t.checks] == [
        (50, "distributed", 10),
        (90, "other-pairing", 10),
    ]
    a = Analysis(CaptureInfo("x", "btsnoop", 1002, "x"), connections=[c], key_checks=t.checks)
    codes = [f.code for f in run_rules(a)]
    assert codes.count("ltk-from-other-pairing") == 1


def test_irk_resolves_rpa_spec_sample() -> None:
    """ah sample (Vol 3, Part H, Appendix D.7): IRK ec0234a3…7d9b, prand 708194 → 0dfbaa."""
    t = KeyTracker(Keyring())
    c = _conn()
    t.feed(_pdu(3, "smp", smp.parse_smp(b"\x08" + H("ec0234a357c8ad05341010a60a397d9b")[::-1])), c)
    t.feed(_pdu(4, "smp", smp.parse_smp(b"\x09\x00" + H("112233445566")[::-1])), c)
    ep = Endpoint("70:81:94:0D:FB:AA", "random")
    t.resolve(ep)
    assert ep.identity == "11:22:33:44:55:66"
    other = Endpoint("70:81:94:0D:FB:AB", "random")
    t.resolve(other)
    assert other.identity is None


def test_sniffer_bad_mic_is_capture_quality_never_mic_failure() -> None:
    require_shared()
    from bpdiag.diagnose import diagnose_file

    a = diagnose_file(SHARED / "nrfsniffer4_attinsufauth_lesc_justworks_tesi.pcapng")
    codes = {f.code for f in a.findings}
    assert "sniffer-lacked-key" in codes and "mic-failure" not in codes


def test_android_local_ltk_has_no_ediv_rand(tmp_path: Path) -> None:
    f = tmp_path / "bt_config.conf"
    lenc = H(LTK)[::-1] + (0x0101).to_bytes(2, "little") + b"\x10\x01"
    f.write_text(f"[aa:bb:cc:dd:ee:ff]\nLE_KEY_LENC = {lenc.hex()}\n")
    keys = Keyring()
    assert keys.load_file(str(f)) == 1
    assert (keys.ltks[0].ltk, keys.ltks[0].ediv, keys.ltks[0].rand) == (H(LTK), None, None)


def test_a_malformed_key_is_reported_without_its_digits(tmp_path: Path) -> None:
    """One mistyped digit leaves nearly the whole key: neither --ltk's usage error nor a key
    file's problem quotes it."""
    import pytest
    from click.testing import CliRunner

    from bpdiag.cli import main

    typo = LTK[:20] + "g" + LTK[21:]
    keys = Keyring()
    with pytest.raises(ValueError, match="character 21") as err:
        keys.add_ltk_text(typo)
    assert LTK[:8].lower() not in str(err.value).lower()
    d = tmp_path / "00:11:22:33:44:55" / "C0:01:02:03:04:05"
    d.mkdir(parents=True)
    (d / "info").write_text(f"[LongTermKey]\nKey={typo}\nEDiv=0\nRand=0\n")
    keys.load_file(str(d / "info"))
    assert keys.problems and not any(LTK[:8].lower() in p.lower() for p in keys.problems)
    r = CliRunner().invoke(main, ["analyze", str(d / "info"), "--ltk", typo])
    assert r.exit_code == 2 and LTK[:8].lower() not in r.output.lower()


def test_irk_learned_after_an_address_was_tried_still_resolves_it(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """resolve remembers what it tried per address: an IRK distributed later is tried on it
    (once), an IRK distributed again at every pairing is hashed once per address, and the
    first IRK that resolves an address keeps naming it."""
    from bpdiag.analysis import key_evidence

    calls: list[bytes] = []
    real_ah = key_evidence.ah

    def counting_ah(k: bytes, r: bytes) -> bytes:
        calls.append(k)
        return real_ah(k, r)

    monkeypatch.setattr(key_evidence, "ah", counting_ah)
    irk = H("ec0234a357c8ad05341010a60a397d9b")  # Vol 3, Part H, Appendix D.7
    other = bytes(range(16))
    t = KeyTracker(Keyring(irks=[(other, "AA:AA:AA:AA:AA:AA")]))
    c = _conn()

    def distribute(frame: int, key: bytes, identity: str) -> None:
        t.feed(_pdu(frame, "smp", smp.parse_smp(b"\x08" + key[::-1])), c)
        t.feed(_pdu(frame + 1, "smp", smp.parse_smp(b"\x09\x00" + H(identity)[::-1])), c)

    rpa = "70:81:94:0D:FB:AA"  # ah(irk, 708194) = 0dfbaa
    ep = Endpoint(rpa, "random")
    t.resolve(ep)
    assert ep.identity is None and calls == [other]
    for frame in (10, 20, 30):  # the bond's IRK, distributed at three pairings
        distribute(frame, irk, "112233445566")
    distribute(40, other, "BBBBBBBBBBBB")  # a second IRK that does not resolve it
    for _ in range(3):
        again = Endpoint(rpa, "random")
        t.resolve(again)
        assert again.identity == "11:22:33:44:55:66"
    assert calls == [other, irk]  # each IRK hashed once on this address
