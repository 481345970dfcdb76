"""AES-128 encryption of one block under many keys at once, with numpy.

Security function ``e`` (Vol 3, Part H, 2.2.1) is AES-128 (FIPS-197).  Searching the legacy
Passkey Entry TK space (Vol 3, Part H, 2.3.5.3: TK is the passkey, 0–999,999) needs c1 under
10^6 different keys; a cipher object per key costs about 14 µs, so the search is done here as
array arithmetic over all candidate keys at once.

Layout.  The state of each candidate is 16 octets in FIPS-197 order (octet ``4c + r`` is row
``r`` of column ``c``); a column is a ``uint32`` whose little-endian octet ``r`` is row ``r``.
Each round (SubBytes, ShiftRows, MixColumns, AddRoundKey) is done with two lookups per output
column: ShiftRows is a permutation of the 16 octets, after which the four octets feeding output
column ``c`` are contiguous, and two 65,536-entry tables map (row 0, row 1) and (row 2, row 3)
octet pairs to their MixColumns contribution ("T-tables" over 16-bit indices).  Candidates are
processed in chunks so the arrays stay in the CPU caches.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

U32 = npt.NDArray[np.uint32]
U8 = npt.NDArray[np.uint8]


def _sbox() -> list[int]:
    """The AES S-box (FIPS-197, 5.1.1), computed: multiplicative inverse in GF(2^8), then the
    affine transformation."""
    box = [0] * 256
    p = q = 1
    while True:
        # p runs through the multiplicative group (times 3), q through its inverses (÷ 3).
        p = p ^ ((p << 1) & 0xFF) ^ (0x1B if p & 0x80 else 0)
        q ^= q << 1
        q ^= q << 2
        q ^= q << 4
        q &= 0xFF
        if q & 0x80:
            q ^= 0x09
        x = q ^ _rotl8(q, 1) ^ _rotl8(q, 2) ^ _rotl8(q, 3) ^ _rotl8(q, 4)
        box[p] = (x ^ 0x63) & 0xFF
        if p == 1:
            break
    box[0] = 0x63
    return box


def _rotl8(x: int, s: int) -> int:
    return ((x << s) | (x >> (8 - s))) & 0xFF


def _xtime(x: int) -> int:
    return ((x << 1) ^ (0x1B if x & 0x80 else 0)) & 0xFF


SBOX = _sbox()
_MIX = ((2, 3, 1, 1), (1, 2, 3, 1), (1, 1, 2, 3), (3, 1, 1, 2))  # FIPS-197, 5.1.3


def _mul(a: int, b: int) -> int:
    return {1: a, 2: _xtime(a), 3: _xtime(a) ^ a}[b]


def _t_table(row: int) -> list[int]:
    """Contribution of an input octet in ``row`` (after ShiftRows) to its output column."""
    out = []
    for x in range(256):
        s = SBOX[x]
        out.append(sum(_mul(s, _MIX[i][row]) << (8 * i) for i in range(4)))
    return out


def _pair_table(lo: list[int], hi: list[int]) -> U32:
    idx = np.arange(65536, dtype=np.uint32)
    a = np.array(lo, dtype=np.uint32)
    b = np.array(hi, dtype=np.uint32)
    return np.asarray(a[idx & 0xFF] ^ b[idx >> 8], dtype=np.uint32)


_T = [_t_table(r) for r in range(4)]
_S = SBOX


class Tables:
    """The lookup tables of the rounds, 1.25 MiB of arrays: made for a search (a few ms) and
    dropped with it, not kept by the module for the rest of the process (``expand_keys`` and
    ``encrypt`` make them when not given)."""

    __slots__ = ("fa", "fb", "sub16", "ta", "tb")

    def __init__(self) -> None:
        self.ta = _pair_table(_T[0], _T[1])  # rows 0, 1 → MixColumns output column
        self.tb = _pair_table(_T[2], _T[3])  # rows 2, 3
        self.fa = _pair_table(_S, [s << 8 for s in _S])  # last round (no MixColumns): rows 0, 1
        self.fb = _pair_table([s << 16 for s in _S], [s << 24 for s in _S])  # rows 2, 3
        self.sub16 = _pair_table(_S, [s << 8 for s in _S])  # SubWord on an octet pair


# ShiftRows (FIPS-197, 5.1.2) as an octet permutation: output column c, row r comes from
# input column c + r.
_SHIFT = np.array([4 * ((c + r) % 4) + r for c in range(4) for r in range(4)], dtype=np.intp)
_RCON = (0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0x1B, 0x36)


def expand_keys(keys: U32, tables: Tables | None = None) -> U32:
    """The 44 round-key words (FIPS-197, 5.2) of each key: ``(4, n)`` uint32 key columns →
    ``(44, n)`` uint32 round-key columns (column convention of this module)."""
    sub16 = (tables or Tables()).sub16
    n = keys.shape[1]
    w = np.empty((44, n), dtype=np.uint32)
    w[:4] = keys
    for i in range(4, 44, 4):
        t = w[i - 1]
        rot = (t >> 8) | (t << 24)  # RotWord
        sub = sub16[rot & 0xFFFF] | (sub16[rot >> 16] << 16)  # SubWord
        np.bitwise_xor(w[i - 4], sub, out=w[i])
        w[i] ^= np.uint32(_RCON[i // 4 - 1])
        np.bitwise_xor(w[i - 3], w[i], out=w[i + 1])
        np.bitwise_xor(w[i - 2], w[i + 1], out=w[i + 2])
        np.bitwise_xor(w[i - 1], w[i + 2], out=w[i + 3])
    return w


def columns(block: bytes) -> U32:
    """One 16-octet block as its four column words, ``(4, 1)`` uint32 (broadcasts)."""
    if len(block) != 16:
        raise ValueError(f"a block is 16 octets, got {len(block)}")
    return np.frombuffer(bytes(block), dtype="<u4").astype(np.uint32).reshape(4, 1)


def to_bytes(cols: U32, i: int) -> bytes:
    """Candidate ``i``'s block from ``(4, n)`` column words."""
    return cols[:, i].astype("<u4").tobytes()


def encrypt(round_keys: U32, block: U32, tables: Tables | None = None) -> U32:
    """AES-128 (FIPS-197, 5.1) under each of ``round_keys`` (``(44, n)``, ``expand_keys``) of
    ``block`` (``(4, n)`` column words, or ``(4, 1)`` for the same block under every key):
    ``(4, n)`` ciphertext column words."""
    t = tables or Tables()
    n = round_keys.shape[1]
    state = np.empty((4, n), dtype=np.uint32)
    np.bitwise_xor(np.broadcast_to(block, (4, n)), round_keys[0:4], out=state)
    out = np.empty((4, n), dtype=np.uint32)
    lo = np.empty(n, dtype=np.uint32)
    hi = np.empty(n, dtype=np.uint32)
    tmp = np.empty(n, dtype=np.uint32)
    m0, m1 = np.uint32(0x000000FF), np.uint32(0x0000FF00)
    m2, m3 = np.uint32(0x00FF0000), np.uint32(0xFF000000)
    for rnd in range(1, 11):
        ta, tb = (t.ta, t.tb) if rnd < 10 else (t.fa, t.fb)
        for c in range(4):
            # ShiftRows: output column c takes row r from input column c + r.
            np.bitwise_and(state[c], m0, out=lo)
            np.bitwise_and(state[(c + 1) % 4], m1, out=tmp)
            lo |= tmp
            np.bitwise_and(state[(c + 2) % 4], m2, out=hi)
            np.bitwise_and(state[(c + 3) % 4], m3, out=tmp)
            hi |= tmp
            hi >>= 16
            o = out[c]
            np.take(ta, lo, out=o, mode="clip")
            np.take(tb, hi, out=tmp, mode="clip")
            o ^= tmp
            o ^= round_keys[4 * rnd + c]
        state, out = out, state
    return state
