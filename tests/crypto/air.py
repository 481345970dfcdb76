"""Air captures of encrypted links built for tests, with the link layer's encryption redone
here from the spec (Core v5.4, Vol 6, Part E, 1–2) on `cryptography`'s AES and AES-CCM —
independently of bpdiag.crypto — and checked against the spec's sample data (Vol 6, Part C,
1) in tests/crypto/test_air_builder.py.

``EncryptedLink`` is one connection: its CONNECT_IND (scapy builds it), the LL_ENC_REQ /
LL_ENC_RSP / LL_START_ENC_REQ exchange in clear, then data PDUs encrypted with the session
key, each direction with its own packet counter.  Records are LE LL with PHDR (LINKTYPE 256)
or LE LL (251), written as a classic pcap."""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESCCM
from scapy.layers.bluetooth4LE import BTLE, BTLE_ADV, BTLE_CONNECT_REQ

from bpdiag.decode.ll import crc24

LINKTYPE_LE_LL = 251
LINKTYPE_LE_LL_WITH_PHDR = 256


def aes(key: bytes, block: bytes) -> bytes:
    """Vol 3, Part H, 2.2.1: e(key, plaintext), both most significant octet first."""
    enc = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    return enc.update(block) + enc.finalize()


def spec_session_key(ltk: bytes, skd_m: bytes, skd_s: bytes) -> bytes:
    """SK = e(LTK, SKDm || SKDs) (Vol 6, Part E, 1): SKDm the least significant half; both
    arrive least significant octet first in LL_ENC_REQ / LL_ENC_RSP."""
    return aes(ltk, (skd_m + skd_s)[::-1])


def spec_nonce(counter: int, from_central: bool, iv_m: bytes, iv_s: bytes) -> bytes:
    """Vol 6, Part E, 2.1, table 2.1: the 39-bit counter least significant octet first, the
    direction bit as bit 7 of octet 4 (1: sent by the central), then IVm then IVs."""
    octets = counter.to_bytes(5, "little")
    return octets[:4] + bytes([octets[4] & 0x7F | (0x80 if from_central else 0)]) + iv_m + iv_s


def spec_ccm(sk: bytes, nonce: bytes, header0: int, payload: bytes) -> bytes:
    """Payload encrypted and its 4-octet MIC appended; the authenticated octet is the header's
    first with NESN (0x04), SN (0x08) and MD (0x10) cleared (Vol 6, Part E, 2.3)."""
    aad = bytes([header0 & ~(0x04 | 0x08 | 0x10) & 0xFF])
    return AESCCM(sk, tag_length=4).encrypt(nonce, payload, aad)


def l2cap(cid: int, payload: bytes) -> bytes:
    return struct.pack("<HH", len(payload), cid) + payload


def data_pdu(header0: int, payload: bytes, cte_info: int | None = None) -> bytes:
    """Header (with the CTEInfo octet when CP, 0x20, is set; Length does not count it,
    Vol 6, Part B, 2.4) and payload."""
    cte = b"" if cte_info is None else bytes([cte_info])
    return bytes([header0, len(payload)]) + cte + payload


def phdr(packet: bytes, sender: str | None, rf: int = 5) -> bytes:
    """LINKTYPE 256 pseudo-header: CRC checked and valid, reference AA valid, and the PDU type
    2 (central → peripheral) / 3 (peripheral → central) / 0 (not said)."""
    pdu_type = {"central": 2, "peripheral": 3}.get(sender or "", 0)
    flags = 0x0400 | 0x0800 | 0x0010 | pdu_type << 7
    aa = packet[:4]
    return bytes([rf, 0xC4, 0x80, 0]) + aa + struct.pack("<H", flags) + packet


@dataclass
class EncryptedLink:
    """One connection between ``central`` and ``peripheral`` (random addresses), encrypted
    with ``ltk`` (spec order) under ``ediv``/``rand`` (``rand`` as on air)."""

    ltk: bytes
    ediv: int = 0
    rand: bytes = bytes(8)
    central: str = "11:22:33:44:55:66"
    peripheral: str = "AA:BB:CC:DD:EE:FF"
    aa: int = 0x50654321
    crc_init: int = 0x2A5B6C
    skd_m: bytes = field(default_factory=lambda: os.urandom(8))
    skd_s: bytes = field(default_factory=lambda: os.urandom(8))
    iv_m: bytes = field(default_factory=lambda: os.urandom(4))
    iv_s: bytes = field(default_factory=lambda: os.urandom(4))
    counter: dict[str, int] = field(default_factory=lambda: {"central": 0, "peripheral": 0})
    sn: dict[str, int] = field(default_factory=lambda: {"central": 0, "peripheral": 0})

    @property
    def sk(self) -> bytes:
        return spec_session_key(self.ltk, self.skd_m, self.skd_s)

    def packet(self, pdu: bytes) -> bytes:
        return struct.pack("<I", self.aa) + pdu + crc24(pdu, self.crc_init)

    def connect_ind(self) -> bytes:
        return bytes(
            BTLE()
            / BTLE_ADV(TxAdd=1, RxAdd=1)
            / BTLE_CONNECT_REQ(
                InitA=self.central.lower(),
                AdvA=self.peripheral.lower(),
                AA=self.aa,
                crc_init=self.crc_init,
                interval=24,
                timeout=400,
                chM=0x1FFFFFFFFF,
                hop=7,
            )
        )

    def clear(self, sender: str, llid: int, payload: bytes) -> bytes:
        """A data PDU in clear, SN alternating per side."""
        h = llid | self.sn[sender] << 3
        self.sn[sender] ^= 1
        return self.packet(data_pdu(h, payload))

    def start(self) -> list[tuple[str, bytes]]:
        """LL_ENC_REQ (central), LL_ENC_RSP and LL_START_ENC_REQ (peripheral), in clear."""
        req = bytes([0x03]) + self.rand + struct.pack("<H", self.ediv) + self.skd_m + self.iv_m
        rsp = bytes([0x04]) + self.skd_s + self.iv_s
        return [
            ("central", self.clear("central", 3, req)),
            ("peripheral", self.clear("peripheral", 3, rsp)),
            ("peripheral", self.clear("peripheral", 3, b"\x05")),
        ]

    def encrypted(
        self, sender: str, llid: int, payload: bytes, cte_info: int | None = None
    ) -> bytes:
        """A data PDU encrypted with the next packet counter of ``sender``; CP set with
        ``cte_info`` as the CTEInfo octet, which stays in clear."""
        h = llid | self.sn[sender] << 3 | (0x20 if cte_info is not None else 0)
        self.sn[sender] ^= 1
        n = spec_nonce(self.counter[sender], sender == "central", self.iv_m, self.iv_s)
        self.counter[sender] += 1
        return self.packet(data_pdu(h, spec_ccm(self.sk, n, h, payload), cte_info))


def write_pcap(path: Path, link_type: int, records: list[tuple[float, bytes]]) -> Path:
    """A classic pcap (microsecond timestamps) of ``records``."""
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, link_type)]
    for t, data in records:
        sec, usec = int(t), round((t - int(t)) * 1e6)
        out.append(struct.pack("<IIII", sec, usec, len(data), len(data)) + data)
    path.write_bytes(b"".join(out))
    return path
