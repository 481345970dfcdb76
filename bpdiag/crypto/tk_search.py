"""The TK of an LE legacy pairing, from the capture (Vol 3, Part H, 2.3.5.2–2.3.5.4).

In legacy Passkey Entry the TK is the six-digit passkey as a 128-bit value (2.3.5.3), so one
of 10^6 values; each side's confirm ``c1(TK, rand, preq, pres, iat, rat, ia, ra)`` (2.2.3) is
in the capture, and once that side's random is revealed the passkey it used can be found by
trying them all.  The search is done separately for each side: when the two sides used
different passkeys (one mistyped), each side's passkey is found on its own.

Cost: c1 is two AES-128 encryptions under the candidate TK, and the TK is the AES key, so
each candidate needs its own key schedule.  ``bpdiag.crypto.aes_batch`` computes the key
schedules and encryptions of a chunk of candidates as numpy array operations (see
bench/bench_tk_search.py for the figures).  Every hit is re-checked with the scalar ``c1``.

Values are in the spec's notation (most significant octet first), as in ``smp_crypto``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bpdiag.crypto.smp_crypto import c1

if TYPE_CHECKING:
    import numpy as np

# numpy and the batch AES are imported by the search itself: an analysis that searches
# nothing (most do) does not pay for loading them.

PASSKEY_SPACE = 1_000_000
# Candidates per batch: 32,768 take 0.53 s of CPU a pass over the 10^6 passkeys where 16,384
# took 0.60 (fewer numpy calls per candidate); the batch's arrays (round keys, state) are
# some 6 MB, freed when the search ends (65,536 saved 6 % more for twice that).
CHUNK = 32768


def passkey_tk(passkey: int) -> bytes:
    """The TK of legacy Passkey Entry for ``passkey`` (2.3.5.3): the passkey as a 128-bit
    value, most significant octet first."""
    if not 0 <= passkey < PASSKEY_SPACE:
        raise ValueError(f"a passkey is 0–999999, got {passkey!r}")
    return passkey.to_bytes(16, "big")


@dataclass(frozen=True, slots=True)
class C1Inputs:
    """The public inputs of c1 that both sides share (2.2.3), spec order."""

    preq: bytes
    pres: bytes
    iat: int
    rat: int
    ia: bytes
    ra: bytes

    def p1(self) -> bytes:
        return self.pres + self.preq + bytes([self.rat, self.iat])

    def p2(self) -> bytes:
        return bytes(4) + self.ia + self.ra

    def confirm(self, tk: bytes, rand: bytes) -> bytes:
        """c1(TK, rand, preq, pres, iat, rat, ia, ra) with these inputs (2.2.3): the confirm
        value a side with ``tk`` sends for ``rand``."""
        return c1(tk, rand, self.preq, self.pres, self.iat, self.rat, self.ia, self.ra)


def _candidate_keys(start: int, stop: int) -> np.ndarray:
    """Key columns ``(4, n)`` of the TKs of passkeys ``start``..``stop - 1``: octets 0–12
    are zero, octets 13–15 the passkey (big-endian), so only column 3 varies."""
    import numpy as np

    p = np.arange(start, stop, dtype=np.uint32)
    keys = np.zeros((4, stop - start), dtype=np.uint32)
    # Column 3 holds octets 12..15 with octet 12 as its least significant octet.
    keys[3] = ((p >> 16) & 0xFF) << 8 | ((p >> 8) & 0xFF) << 16 | (p & 0xFF) << 24
    return keys


def search_passkeys(
    targets: Sequence[tuple[bytes, bytes]],
    inputs: C1Inputs,
    start: int = 0,
    stop: int = PASSKEY_SPACE,
) -> list[int | None]:
    """For each ``(confirm, rand)`` of ``targets`` (one per side), the passkey in
    ``start``..``stop - 1`` whose TK gives ``c1(TK, rand, …) == confirm``, or ``None``.

    The targets share the candidates' key schedules; the search ends when every target is
    found.  A hit is confirmed with the scalar ``c1`` before it is returned, and tried on
    the targets not found yet (both sides of a pairing usually used the same passkey, so the
    other side is then done without searching on).
    """
    import numpy as np

    from bpdiag.crypto import aes_batch

    found: list[int | None] = [None] * len(targets)
    if not targets:
        return found
    p1, p2 = inputs.p1(), inputs.p2()
    firsts = [
        aes_batch.columns(bytes(a ^ b for a, b in zip(r, p1, strict=True))) for _, r in targets
    ]
    want = [aes_batch.columns(c) for c, _ in targets]
    p2c = aes_batch.columns(p2)
    tables = aes_batch.Tables()  # dropped when the search ends
    for lo in range(start, stop, CHUNK):
        hi = min(lo + CHUNK, stop)
        rk = aes_batch.expand_keys(_candidate_keys(lo, hi), tables)
        for t, (x1, w) in enumerate(zip(firsts, want, strict=True)):
            if found[t] is not None:
                continue
            y = aes_batch.encrypt(rk, x1, tables)
            y ^= p2c
            out = aes_batch.encrypt(rk, y, tables)
            # Column 0 only (a false hit is 1 in 2^32 and is caught by the scalar check).
            hits = np.flatnonzero(out[0] == w[0, 0])
            for h in hits:
                passkey = lo + int(h)
                confirm, rand = targets[t]
                if inputs.confirm(passkey_tk(passkey), rand) == confirm:
                    found[t] = passkey
                    for u, (cu, ru) in enumerate(targets):
                        if found[u] is None and inputs.confirm(passkey_tk(passkey), ru) == cu:
                            found[u] = passkey
                    break
        if all(f is not None for f in found):
            break
    return found


def differing_digits(a: int, b: int) -> list[int]:
    """The positions (1 = the leftmost of the six digits as displayed) where two passkeys
    differ."""
    sa, sb = f"{a:06d}", f"{b:06d}"
    return [k + 1 for k in range(6) if sa[k] != sb[k]]
