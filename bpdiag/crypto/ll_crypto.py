"""Link-layer encryption: session key, nonce and AES-CCM (Core v5.4, Vol 6, Part E, 1–2).

- Session key (Vol 6, Part E, 1; Vol 3, Part H, 2.4.4): ``SK = e(LTK, SKD)`` with
  ``SKD = SKDm || SKDs`` (SKDm the least significant 64 bits; LL_ENC_REQ / LL_ENC_RSP carry
  them least significant octet first).  For legacy pairing's first encryption the key is the
  STK instead of the LTK.
- IV (2.1): ``IV = IVm || IVs``, IVm the least significant 32 bits; as nonce octets on air the
  IVm octets come first.
- Nonce (2.1, table 2.1): the 39-bit ``packetCounter`` least significant octet first, its
  top 7 bits in octet 4 with the ``directionBit`` as bit 7 of octet 4 — **1 for PDUs sent
  by the central, 0 for those sent by the peripheral** — then the 8 IV octets.  (crackle
  sets it the other way round and recovers by trying both; bpdiag follows the spec.)
- AES-CCM (2.2–2.4, RFC 3610): M = 4 (a 4-octet MIC), L = 2, the additional authenticated
  data is the data channel PDU header's first octet with NESN, SN and MD masked to 0
  (``& 0xE3``); the payload is encrypted and the MIC appended, so the Length field grows
  by 4.
- Constant Tone Extension (Core v5.1+; Vol 6, Part B, 2.4): a header whose CP bit (0x20) is
  set is 24 bits long, its third octet the CTEInfo.  CP stays in the authenticated octet
  (the mask keeps it, so a packet whose CP was flipped fails its MIC), while the CTEInfo
  octet is neither encrypted nor authenticated: CCM covers only the first header octet and
  the Payload, and the CTEInfo is not part of the Payload (nor counted by Length).  The
  callers hand over the Payload without it (``decode.ll.parse_data_pdu`` keeps it apart).
  Nordic's CCM peripheral documents the same split ("the value of the CP bit is included
  in the calculation of the MIC, while the S1 field [CTEInfo] is ignored").

Keys, SKD and the session key are in the spec's notation (most significant octet first) as
in ``smp_crypto``; ``skd_m``, ``skd_s``, ``iv_m``, ``iv_s`` are as on air (as the decoded
LL_ENC_REQ / LL_ENC_RSP hold them).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, CipherContext, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESCCM

from bpdiag.crypto.smp_crypto import e

MIC_LENGTH = 4
COUNTER_MAX = (1 << 39) - 1
AAD_MASK = 0xE3  # keep LLID, CP and RFU; clear NESN, SN, MD (Vol 6, Part E, 2.3)
_DIRECTION_BIT = 1 << 39  # bit 7 of the nonce's octet 4
_AAD = [bytes([b]) for b in range(256)]


def session_key(ltk: bytes, skd_m: bytes, skd_s: bytes) -> bytes:
    """``SK = e(LTK, SKDm || SKDs)``; ``ltk`` spec order, the SKDs as on air (8 octets each).
    Returns SK in spec order (which is also the AES key octet order for CCM)."""
    if len(skd_m) != 8 or len(skd_s) != 8:
        raise ValueError("SKDm and SKDs are 8 octets each")
    skd = (bytes(skd_m) + bytes(skd_s))[::-1]  # as on air → spec order (SKDs most significant)
    return e(ltk, skd)


def iv(iv_m: bytes, iv_s: bytes) -> bytes:
    """The 8 IV octets of the nonce (IVm's octets first), from IVm and IVs as on air."""
    if len(iv_m) != 4 or len(iv_s) != 4:
        raise ValueError("IVm and IVs are 4 octets each")
    return bytes(iv_m) + bytes(iv_s)


def nonce(counter: int, from_central: bool, iv_octets: bytes) -> bytes:
    """The 13-octet CCM nonce (Vol 6, Part E, 2.1)."""
    if not 0 <= counter <= COUNTER_MAX:
        raise ValueError(f"packetCounter is 39 bits, got {counter!r}")
    if len(iv_octets) != 8:
        raise ValueError("the IV is 8 octets")
    head = counter.to_bytes(5, "little")
    return head[:4] + bytes([head[4] | (0x80 if from_central else 0)]) + bytes(iv_octets)


class LinkCipher:
    """AES-CCM of one encrypted link under one session key."""

    __slots__ = ("_ccm", "_ecb", "_sk", "iv")

    def __init__(self, sk: bytes, iv_octets: bytes) -> None:
        self._sk = bytes(sk)
        self._ccm = AESCCM(self._sk, tag_length=MIC_LENGTH)
        self._ecb: CipherContext | None = None  # for ``first_opening``, made when first used
        self.iv = bytes(iv_octets)

    def encrypt(self, counter: int, from_central: bool, header0: int, payload: bytes) -> bytes:
        """The encrypted payload followed by its MIC (Length + 4).  ``header0`` is the data
        PDU header's first octet (CP included); ``payload`` excludes any CTEInfo octet."""
        n = nonce(counter, from_central, self.iv)
        return self._ccm.encrypt(n, bytes(payload), bytes([header0 & AAD_MASK]))

    def decrypt(
        self, counter: int, from_central: bool, header0: int, payload: bytes
    ) -> bytes | None:
        """The plaintext of an encrypted payload (its last 4 octets the MIC), ``None`` when
        the MIC does not verify (wrong key, counter or direction, or damaged bytes)."""
        if len(payload) <= MIC_LENGTH or not 0 <= counter <= COUNTER_MAX:
            return None
        # nonce(), inlined for the counter search: the direction bit is bit 39 of the 40-bit
        # little-endian counter field.
        head = (counter | _DIRECTION_BIT if from_central else counter).to_bytes(5, "little")
        try:
            return self._ccm.decrypt(head + self.iv, bytes(payload), _AAD[header0 & AAD_MASK])
        except InvalidTag:
            return None

    def first_opening(
        self, runs: Sequence[tuple[int, bool]], length: int, header0: int, payload: bytes
    ) -> int:
        """Where ``decrypt`` would first open ``payload``, trying in turn, for each run
        ``(first counter, from_central)`` of ``runs``, the ``length`` counters from its
        first on (those outside 0 … ``COUNTER_MAX`` are not tried): the position ``r * length + k``
        of counter ``first + k`` of run ``r``, or -1.  The same answer as that loop at a
        fraction of its cost: the counter search over packets a sniffer missed, and a key
        that opens none, try a hundred counters and more.

        CCM (RFC 3610, 2.2–2.5) is computed for every candidate at once: AES-ECB over the
        candidates' blocks side by side (the counter blocks A_0 … A_k, then each CBC-MAC
        step), the XORs as integer arithmetic over the concatenated blocks, read little
        endian so that a run of counters is an arithmetic series; the MIC each candidate
        expects is then compared with the one received."""
        m = len(payload) - MIC_LENGTH
        if m <= 0:
            return -1
        # Each run's A_0 blocks: flags, the nonce (counter with its direction bit, IV), 0.
        a0 = 0
        blocks = 0
        where: list[tuple[int, int]] = []  # (first block, first position) of each run
        head = 0x01 | int.from_bytes(self.iv, "little") << 48
        for r, (first, central) in enumerate(runs):
            low = max(first, 0)
            count = min(first + length - 1, COUNTER_MAX) - low + 1
            if count <= 0:
                continue
            ones, ramp = _series(count)
            word = head | (low | _DIRECTION_BIT if central else low) << 8
            a0 |= (word * ones + (ramp << 8)) << (128 * blocks)
            where.append((blocks, r * length + low - first))
            blocks += count
        if not blocks:
            return -1
        if self._ecb is None:
            self._ecb = Cipher(algorithms.AES(self._sk), modes.ECB()).encryptor()
        ecb = self._ecb.update
        size = 16 * blocks
        ones = _series(blocks)[0]
        k = (m + 15) // 16
        keystream = ecb(
            b"".join([(a0 + (i * ones << 120)).to_bytes(size, "little") for i in range(k + 1)])
        )
        # B_0: flags 0x49 (Adata, M' = 1, L' = 1), the nonce, the message length (big
        # endian); B_1: the AAD's length (1, big endian) and the AAD octet.
        b0 = a0 + (0x48 | ((m >> 8) << 112) | ((m & 0xFF) << 120)) * ones
        x = ecb(b0.to_bytes(size, "little"))
        b1 = (0x0100 | (header0 & AAD_MASK) << 16) * ones
        x = ecb((int.from_bytes(x, "little") ^ b1).to_bytes(size, "little"))
        for i in range(1, k + 1):
            s_i = int.from_bytes(keystream[size * i : size * (i + 1)], "little")
            chunk = payload[16 * (i - 1) : min(16 * i, m)]
            if len(chunk) < 16:  # the last block is padded with zeros, its keystream cut
                s_i &= ((1 << (8 * len(chunk))) - 1) * ones
            plain = s_i ^ int.from_bytes(chunk, "little") * ones
            x = ecb((int.from_bytes(x, "little") ^ plain).to_bytes(size, "little"))
        # The received MIC is T XOR S_0's first octets: the expected T XOR S_0, per block.
        tags = (int.from_bytes(x, "little") ^ int.from_bytes(keystream[:size], "little")).to_bytes(
            size, "little"
        )
        mic = payload[m:]
        at = tags.find(mic)
        while at >= 0:
            if at % 16 == 0:
                block = at // 16
                start, position = next(w for w in reversed(where) if w[0] <= block)
                return position + block - start
            at = tags.find(mic, at + 1)
        return -1


@lru_cache(maxsize=8)
def _series(n: int) -> tuple[int, int]:
    """For ``n`` 16-octet blocks read as one little-endian integer: 1 in every block, and
    ``j`` in block ``j``."""
    ones = ((1 << (128 * n)) - 1) // ((1 << 128) - 1)
    ramp = sum(j << (128 * j) for j in range(n))
    return ones, ramp
