"""Benchmark: ``bpdiag batch`` throughput with one and with two worker processes.

Builds a folder of N captures (default 2,000) by cycling the bundled scenario captures and
the smaller shared ones (under bench/out/batch-corpus, never committed), then runs the batch
on a fresh ``LocalCluster`` of 1 and of 2 workers, alternating, and reports files/s and the
speed-up. Cluster start-up is excluded: the clock runs from the first submit to the tables.

    python bench/batch.py [--files 2000] [--repeat 2]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from bpdiag.batch.runner import connect, run_batch  # noqa: E402


def corpus(n: int) -> Path:
    out = HERE / "out" / "batch-corpus"
    sources = sorted((ROOT / "captures").glob("*.btsnoop"))
    shared = ROOT.parent / "shared" / "captures"
    if shared.is_dir():
        sources += sorted(
            p for p in shared.iterdir() if p.suffix != ".md" and p.stat().st_size < 256 * 1024
        )
    if out.is_dir() and len(list(out.iterdir())) == n:
        return out
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    for i in range(n):
        src = sources[i % len(sources)]
        shutil.copyfile(src, out / f"{i:05}-{src.name}")
    return out


def timed(folder: Path, workers: int) -> tuple[float, int]:
    # the same LocalCluster ``bpdiag batch --workers N`` starts
    client, cluster = connect(None, workers, timeout=60)
    try:
        client.wait_for_workers(workers)  # type: ignore[attr-defined]
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            summary = run_batch([str(folder)], tmp, client=client)
            return time.perf_counter() - t0, summary.files
    finally:
        client.close()  # type: ignore[attr-defined]
        cluster.close()  # type: ignore[attr-defined]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    folder = corpus(args.files)
    size = sum(p.stat().st_size for p in folder.iterdir()) / 2**20
    print(f"{args.files} captures, {size:.1f} MiB, in {folder}")
    best: dict[int, float] = {}
    for _ in range(args.repeat):
        for w in (1, 2):
            secs, files = timed(folder, w)
            assert files == args.files, (files, args.files)
            best[w] = min(best.get(w, secs), secs)
            print(f"  {w} worker(s): {secs:6.2f} s  {files / secs:7.1f} files/s")
    print(f"speed-up with 2 workers: {best[1] / best[2]:.2f}x (best of {args.repeat})")


if __name__ == "__main__":
    main()
