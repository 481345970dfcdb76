"""How long the legacy passkey search takes over the whole space (10^6 candidates).

    python bench/bench_tk_search.py [--repeat N]

The worst case is measured: a confirm that no passkey gives, so every candidate is tried.
Also shown: the same search done the plain way (one ``cryptography`` cipher per candidate)
over a sample, scaled to 10^6, for comparison.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bpdiag.crypto.smp_crypto import c1
from bpdiag.crypto.tk_search import C1Inputs, passkey_tk, search_passkeys

H = bytes.fromhex
INPUTS = C1Inputs(
    H("07071000000101"), H("05000800000302"), 1, 0, H("A1A2A3A4A5A6"), H("B1B2B3B4B5B6")
)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    times = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        assert search_passkeys([(os.urandom(16), os.urandom(16))], INPUTS) == [None]
        times.append(time.perf_counter() - t0)
    print(
        f"whole space, one side (numpy batch AES): median {statistics.median(times):.3f} s, "
        f"min {min(times):.3f} s over {args.repeat} runs"
    )
    r = os.urandom(16)
    t0 = time.perf_counter()
    n = 20_000
    for p in range(n):
        c1(passkey_tk(p), r, INPUTS.preq, INPUTS.pres, INPUTS.iat, INPUTS.rat, INPUTS.ia, INPUTS.ra)
    plain = (time.perf_counter() - t0) / n * 1_000_000
    print(f"plain loop with cryptography, scaled to 10^6: {plain:.1f} s")


if __name__ == "__main__":
    main()
