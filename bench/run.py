"""Benchmark: ``bpdiag analyze --json`` against ``btmon -r`` and ``tshark -Y btsmp``.

Generates a large btsnoop (bench/make_big_btsnoop.py) unless one is given, runs the three
tools on the same file in one run, and reports wall time, peak RSS (from wait4) and the
ratios.  Memory growth is checked by also running bpdiag on a quarter-size file.

    python bench/run.py [--records 1000000] [--file F] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from make_big_btsnoop import build  # noqa: E402


def run(cmd: list[str]) -> tuple[float, float, int]:
    """Wall seconds, peak RSS in MiB, exit status of one command (output discarded)."""
    t0 = time.perf_counter()
    with open(os.devnull, "wb") as null:
        proc = subprocess.Popen(cmd, stdout=null, stderr=null)
        _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    return wall, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)


def best(cmd: list[str], repeat: int) -> tuple[float, float, int]:
    runs = [run(cmd) for _ in range(repeat)]
    return min(r[0] for r in runs), max(r[1] for r in runs), runs[-1][2]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--file", type=Path)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", type=Path, default=HERE / "out")
    args = ap.parse_args()
    args.out.mkdir(exist_ok=True)
    big = args.file or args.out / f"big_{args.records}.btsnoop"
    if not big.exists():
        build(big, args.records)
    small = args.out / f"big_{args.records // 4}.btsnoop"
    if args.file is None and not small.exists():
        build(small, args.records // 4)

    bpdiag = [sys.executable, "-m", "bpdiag", "analyze", "--json"]
    rows: list[tuple[str, float, float, int]] = []
    rows.append(("bpdiag analyze --json", *best([*bpdiag, str(big)], args.repeat)))
    if args.file is None:
        rows.append(("bpdiag (1/4 size file)", *best([*bpdiag, str(small)], args.repeat)))
    if shutil.which("btmon"):
        rows.append(("btmon -r", *best(["btmon", "-r", str(big)], args.repeat)))
    if shutil.which("tshark"):
        rows.append(("tshark -Y btsmp", *best(["tshark", "-r", str(big), "-Y", "btsmp"], 1)))
    small_capture = HERE.parent / "captures" / "not_in_pairing_mode.btsnoop"
    startup = min(
        run([sys.executable, "-m", "bpdiag", "analyze", str(small_capture)])[0] for _ in range(5)
    )

    print(f"file: {big} ({big.stat().st_size / 2**20:.1f} MiB)")
    print(f"{'tool':<26}{'wall s':>9}{'peak MiB':>10}{'exit':>6}")
    for name, wall, rss, code in rows:
        print(f"{name:<26}{wall:>9.2f}{rss:>10.1f}{code:>6}")
    ours = rows[0][1]
    for name, wall, _, _ in rows[1:]:
        if not name.startswith("bpdiag"):
            print(f"bpdiag / {name}: {ours / wall:.2f}")
    print(f"bpdiag analyze on a small bundled capture (start-up): {startup:.3f} s")


if __name__ == "__main__":
    main()
