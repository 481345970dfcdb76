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

from cryptography.exceptions import InvalidTag
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

    __slots__ = ("_ccm", "iv")

    def __init__(self, sk: bytes, iv_octets: bytes) -> None:
        self._ccm = AESCCM(bytes(sk), tag_length=MIC_LENGTH)
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
