"""Encrypted air links built with the spec's algorithm (tests/crypto/air.py, on
`cryptography` alone) and opened by bpdiag: the builder against the spec's sample data, the
Constant Tone Extension's CTEInfo octet (Core v5.1+, Vol 6, Part B, 2.4; Part E), the
direction the MIC proves feeding L2CAP reassembly, and keys matched by address."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

from bpdiag.analysis.decrypt_file import decrypt_file
from bpdiag.analysis.run import Reading
from bpdiag.capture import open_capture
from bpdiag.capture.record import Direction
from bpdiag.crypto.keyring import Keyring, KnownKey
from bpdiag.crypto.ll_crypto import LinkCipher, iv
from bpdiag.decode.ll import crc24
from bpdiag.decode.phdr import PHDR_LENGTH
from tests.crypto.air import (
    LINKTYPE_LE_LL,
    LINKTYPE_LE_LL_WITH_PHDR,
    EncryptedLink,
    l2cap,
    phdr,
    spec_ccm,
    spec_nonce,
    spec_session_key,
    write_pcap,
)

H = bytes.fromhex
C, P = Direction.C_TO_P, Direction.P_TO_C
# Vol 6, Part C, 1: LTK, SKDm, SKDs, IVm, IVs as on air, and the session key
LTK = H("4C68384139F574D836BCF34E9DFB01BF")
SKD_M, SKD_S = H("1302f1e0dfcebdac"), H("7968574635241302")
IV_M, IV_S = H("24abdcba"), H("bebaafde")
SK = H("99AD1B5226A37E3E058E3B8E27C2C666")
LL_CTE_REQ = bytes([0x1A, 0x14])  # MinCTELenReq 20 (160 µs), CTETypeReq AoA
LL_CTE_RSP = bytes([0x1B])
CTE_INFO = 0x14  # CTETime 20, CTEType 0 (AoA)


def test_builder_reproduces_the_spec_sample() -> None:
    """The test's own encryption is the spec's: session key and the central's encrypted
    LL_START_ENC_RSP of Vol 6, Part C, 1 (header 0x0F, counter 0 → 9F, MIC CDA7F448)."""
    assert spec_session_key(LTK, SKD_M, SKD_S) == SK
    assert spec_ccm(SK, spec_nonce(0, True, IV_M, IV_S), 0x0F, b"\x06") == H("9fcda7f448")


def test_cp_bit_is_authenticated_and_cteinfo_is_not_in_ccm() -> None:
    """A CP = 1 PDU (LL_CTE_RSP, sent with its CTE): the authenticated octet keeps CP, so
    bpdiag decrypts it with the header as sent and rejects it with CP cleared."""
    header0 = 0x03 | 0x04 | 0x20  # LLID control, NESN 1, CP
    wire = spec_ccm(SK, spec_nonce(0, False, IV_M, IV_S), header0, LL_CTE_RSP)
    c = LinkCipher(SK, iv(IV_M, IV_S))
    assert c.encrypt(0, False, header0, LL_CTE_RSP) == wire
    assert c.decrypt(0, False, header0 | 0x08 | 0x10, wire) == LL_CTE_RSP  # SN/MD not in AAD
    assert c.decrypt(0, False, header0 & ~0x20, wire) is None


def _cte_capture(tmp_path: Path) -> tuple[EncryptedLink, Path]:
    link = EncryptedLink(LTK, ediv=0x2474, rand=H("9078563412efcdab"))
    recs: list[tuple[float, bytes]] = [(0.0, phdr(link.connect_ind(), None, rf=0))]
    t = 0.03
    for sender, pkt in link.start():
        recs.append((t, phdr(pkt, sender)))
        t += 0.03
    for sender, llid, payload, cte in (
        ("central", 3, b"\x06", None),  # LL_START_ENC_RSP
        ("peripheral", 3, b"\x06", None),
        ("central", 3, LL_CTE_REQ, None),
        ("peripheral", 3, LL_CTE_RSP, CTE_INFO),  # CP set, CTEInfo in clear
        ("central", 2, l2cap(4, b"\x0a\x03\x00"), None),  # ATT Read Request
        ("peripheral", 2, l2cap(4, b"\x01\x0a\x03\x00\x02"), 0x54),  # Error Response + CTE
    ):
        recs.append((t, phdr(link.encrypted(sender, llid, payload, cte), sender)))
        t += 0.03
    return link, write_pcap(tmp_path / "cte.pcap", LINKTYPE_LE_LL_WITH_PHDR, recs)


def test_cte_packets_decrypt_through_the_stream(tmp_path: Path) -> None:
    _link, path = _cte_capture(tmp_path)
    keys = Keyring()
    keys.add_ltk_text(LTK.hex())
    pdus = [p for p, _c in Reading(path, keys=keys) if p.decrypted]
    got = [(p.layer, p.opcode, p.direction) for p in pdus]
    assert got == [("ll", 6, C), ("ll", 6, P), ("ll", 0x1A, C), ("ll", 0x1B, P), ("att", 1, P)]
    assert pdus[-1].msg.error_code == 0x02  # Read Not Permitted, read from the decrypted PDU


def test_decrypt_output_keeps_the_cteinfo_octet(tmp_path: Path, tshark: str) -> None:
    link, path = _cte_capture(tmp_path)
    keys = Keyring()
    keys.add_ltk_text(LTK.hex())
    out = tmp_path / "out.pcapng"
    res = decrypt_file(str(path), str(out), keys)
    assert res.decrypted == 6 and res.not_decrypted == 0
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    with open_capture(out) as cap:
        cte_rsp = [bytes(r.payload) for r in cap][7]
    pdu = cte_rsp[PHDR_LENGTH + 4 : -3]
    assert pdu == bytes([0x03 | 0x08 | 0x20, 1, CTE_INFO]) + LL_CTE_RSP  # header, Length, CTEInfo
    assert cte_rsp[-3:] == crc24(pdu, link.crc_init)
    fields = ["frame.number", "btle.data_header.cte_info", "btatt.error_code"]
    r = subprocess.run(
        [tshark, "-r", str(out), "-Y", "btle.data_header.cte_info_present == 1", "-T", "fields"]
        + [a for f in fields for a in ("-e", f)],
        capture_output=True,
        text=True,
        check=True,
    )
    rows = [line.split("\t") for line in r.stdout.splitlines()]
    assert [(f, int(info, 0)) for f, info, _e in rows] == [("8", CTE_INFO), ("10", 0x54)]
    assert int(rows[1][2], 0) == 0x02  # tshark decodes the decrypted ATT Error Response


def test_mic_direction_keeps_reassembly_apart(tmp_path: Path) -> None:
    """An LE LL capture (no direction field) where the sniffer missed the central's empty
    PDU of an event: by timing the peripheral's first fragment looks like the central's. The
    MIC proves its sender, so the central's own L2CAP PDU in the next event does not end it
    and the peripheral's continuation completes it (Vol 6, Part B, 2.4.1; Part E, 2.1)."""
    link = EncryptedLink(H("00112233445566778899aabbccddeeff"))
    enc_info = l2cap(6, b"\x06" + bytes(range(16)))
    recs: list[tuple[float, bytes]] = [(0.0, link.connect_ind())]

    def event(t: float, central: bytes | None, peripheral: bytes | None) -> None:
        if central is not None:
            recs.append((t, central))
        if peripheral is not None:
            recs.append((t + 0.0003, peripheral))

    (_c, enc_req), (_p, enc_rsp), (_p2, start_req) = link.start()
    event(0.030, enc_req, enc_rsp)
    event(0.060, link.clear("central", 1, b""), start_req)
    event(0.090, link.encrypted("central", 3, b"\x06"), link.encrypted("peripheral", 3, b"\x06"))
    # the central's empty PDU is not in the capture:
    event(0.120, None, link.encrypted("peripheral", 2, enc_info[:10]))
    event(
        0.150,
        link.encrypted("central", 2, l2cap(4, b"\x0a\x03\x00")),
        link.encrypted("peripheral", 1, enc_info[10:]),
    )
    path = write_pcap(tmp_path / "ll.pcap", LINKTYPE_LE_LL, recs)
    keys = Keyring()
    keys.ltks.append(KnownKey(link.ltk, "test", 0, bytes(8)))
    pdus = [p for p, _c in Reading(path, keys=keys)]
    [smp] = [p for p in pdus if p.layer == "smp"]
    assert (smp.msg.name, smp.direction, smp.decrypted) == ("Encryption Information", P, True)
    assert (smp.first_frame, smp.frame) == (8, 10)
    assert bytes(smp.msg.ltk) == bytes(range(16))


def test_keys_filed_under_the_link_address_are_tried_first() -> None:
    """LE Secure Connections keys all carry EDIV 0 / Rand 0: the address tells them apart;
    a key filed under another address is still tried (a private address on air), last."""
    keys = Keyring()
    other = KnownKey(b"\x01" * 16, "other bond", 0, bytes(8), "11:11:11:11:11:11")
    unknown = KnownKey(b"\x02" * 16, "no address", 0, bytes(8))
    mine = KnownKey(b"\x03" * 16, "this bond", 0, bytes(8), "aa:bb:cc:dd:ee:ff")
    typed = KnownKey(b"\x04" * 16, "--ltk")
    legacy = KnownKey(b"\x05" * 16, "legacy", 0x1234, bytes(range(8)), "AA:BB:CC:DD:EE:FF")
    keys.ltks += [other, unknown, mine, typed, legacy]
    link = ("AA:BB:CC:DD:EE:FF", "22:22:22:22:22:22")
    assert keys.candidates(0, bytes(8), link) == [mine, unknown, other, typed]
    assert keys.candidates(0, bytes(8)) == [other, unknown, mine, typed]
    assert keys.candidates(0x1234, bytes(range(8)), link) == [legacy, typed]
