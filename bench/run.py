"""Benchmark: ``bpdiag analyze --json`` against the tool people would use instead.

Four shapes, one million records each by default, generated at bench time into bench/out
(never committed):

  a     HCI btsnoop, one long connection (make_big_btsnoop.py)          vs ``btmon -r``
  b     HCI btsnoop, many short connections with pairings, failures and
        reconnections, cycled from captures/*.btsnoop (make_many_btsnoop.py) vs ``btmon -r``
  c272  nRF Sniffer (272) air capture cycled from the shared corpus (make_air.py)
                                                                          vs ``tshark -Y btsmp``
  c256  LE LL with PHDR (256) air capture, likewise                      vs ``tshark -Y btsmp``

and, when asked for (``--shapes c272ng,c256ng``), the c shapes as pcapng, the format Wireshark
saves in by default (``editcap -F pcapng`` of the pcap: an Enhanced Packet Block per packet).

bpdiag and its peer run alternately (``--repeat`` rounds); wall time is the best round,
peak RSS (from wait4) the largest.  Then the TUI's time to its first screen and to the full
analysis on b and the c shapes (Textual's headless pilot, bench/tui_time.py), and a scaling
check: each shape at 1/4, 1/2 and all of the records, where doubling the records may at most
double the time and peak memory must not grow beyond what the kept results need.

The machine may be shared: figures are only as quiet as it is.

bpdiag is timed as an installed tool runs: with its modules' bytecode cached (``pip install``
writes it; a user's second run reads it).  The bench keeps that cache in bench/out/pycache and
fills it with one untimed run first, whatever PYTHONDONTWRITEBYTECODE says, so that no
timing includes compiling bpdiag's sources (about 0.1 s a run).

    python bench/run.py [--records 1000000] [--repeat 2] [--shapes a,b,c272,c256[,c272ng,c256ng]]
                        [--no-tui] [--no-scaling]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import make_air  # noqa: E402
import make_big_btsnoop  # noqa: E402
import make_many_btsnoop  # noqa: E402

TARGETS = {"a": 0.25, "b": 0.50, "c272": 0.60, "c256": 0.60, "c272ng": 0.60, "c256ng": 0.60}
PEAK_TARGET_MIB = 150


def installed_env(out: Path) -> dict[str, str]:
    """The environment of an installed bpdiag: bytecode cached (in ``out``/pycache)."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(out / "pycache")
    return env


ENV: dict[str, str] | None = None  # set by main: the environment of every timed command


def run(cmd: list[str]) -> tuple[float, float, int, float]:
    """Wall seconds, peak RSS in MiB, exit status and CPU seconds (user + system) of one
    command (output discarded).  On a shared machine CPU time is the steadier measure."""
    t0 = time.perf_counter()
    with open(os.devnull, "wb") as null:
        proc = subprocess.Popen(cmd, stdout=null, stderr=null, env=ENV)
        _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    cpu = usage.ru_utime + usage.ru_stime
    return wall, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status), cpu


def shape_file(out: Path, shape: str, records: int) -> Path:
    makers: dict[str, tuple[str, Callable[[Path, int], None]]] = {
        "a": ("big_{}.btsnoop", make_big_btsnoop.build),
        "b": ("many_{}.btsnoop", make_many_btsnoop.build),
        "c272": ("nordic_{}.pcap", lambda p, n: make_air.build(p, n, 272)),
        "c256": ("phdr_{}.pcap", lambda p, n: make_air.build(p, n, 256)),
        "c272ng": ("nordic_{}.pcapng", lambda p, n: pcapng_copy(shape_file(out, "c272", n), p)),
        "c256ng": ("phdr_{}.pcapng", lambda p, n: pcapng_copy(shape_file(out, "c256", n), p)),
    }
    name, make = makers[shape]
    path = out / name.format(records)
    if not path.exists():
        make(path, records)
    return path


def pcapng_copy(pcap: Path, path: Path) -> None:
    """``pcap`` rewritten as pcapng by editcap (Wireshark's tools)."""
    exe = shutil.which("editcap")
    if exe is None:
        raise SystemExit("the pcapng shapes need editcap (it comes with tshark)")
    subprocess.run([exe, "-F", "pcapng", str(pcap), str(path)], check=True)


def peer(shape: str, path: Path) -> tuple[str, list[str]] | None:
    if shape in ("a", "b"):
        exe = shutil.which("btmon")
        return None if exe is None else ("btmon -r", [exe, "-r", str(path)])
    exe = shutil.which("tshark")
    return None if exe is None else ("tshark -Y btsmp", [exe, "-r", str(path), "-Y", "btsmp"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--shapes", default="a,b,c272,c256")
    ap.add_argument("--out", type=Path, default=HERE / "out")
    ap.add_argument("--no-tui", action="store_true")
    ap.add_argument("--no-scaling", action="store_true")
    args = ap.parse_args()
    args.out.mkdir(exist_ok=True)
    shapes = [s for s in args.shapes.split(",") if s]
    bpdiag = [sys.executable, "-m", "bpdiag", "analyze", "--json"]
    global ENV
    ENV = installed_env(args.out)
    # Untimed: compiles and caches bpdiag's modules (and the TUI's) as a first run would.
    run([*bpdiag, str(HERE.parent / "captures" / "not_in_pairing_mode.btsnoop")])
    run([sys.executable, "-c", "import bpdiag.tui.app, bpdiag.batch"])
    ours: dict[str, float] = {}

    print(f"{'shape':<7}{'tool':<24}{'wall s':>9}{'cpu s':>9}{'peak MiB':>10}{'exit':>6}")
    for shape in shapes:
        path = shape_file(args.out, shape, args.records)
        other = peer(shape, path)
        mine: list[tuple[float, float, int, float]] = []
        theirs: list[tuple[float, float, int, float]] = []
        for _ in range(args.repeat):  # alternate, so that load affects both alike
            mine.append(run([*bpdiag, str(path)]))
            if other is not None:
                theirs.append(run(other[1]))
        rows = [("bpdiag analyze --json", mine)]
        if other is not None:
            rows.append((other[0], theirs))
        for name, rs in rows:
            wall, rss, cpu = min(r[0] for r in rs), max(r[1] for r in rs), min(r[3] for r in rs)
            print(f"{shape:<7}{name:<24}{wall:>9.2f}{cpu:>9.2f}{rss:>10.1f}{rs[-1][2]:>6}")
        ours[shape] = min(r[0] for r in mine)
        if theirs:
            ratio = ours[shape] / min(r[0] for r in theirs)
            cpu_ratio = min(r[3] for r in mine) / max(1e-9, min(r[3] for r in theirs))
            peak = max(r[1] for r in mine)
            ok = ratio <= TARGETS[shape] and peak < PEAK_TARGET_MIB
            print(
                f"{shape:<7}ratio {ratio:.2f} wall, {cpu_ratio:.2f} cpu (target ≤ "
                f"{TARGETS[shape]:.2f}), peak {peak:.0f} MiB (target < {PEAK_TARGET_MIB}) — "
                f"{'met' if ok else 'NOT met'} on wall time"
            )

    if not args.no_tui:
        for shape in [s for s in shapes if s != "a"]:
            path = shape_file(args.out, shape, args.records)
            proc = subprocess.run(
                [sys.executable, str(HERE / "tui_time.py"), str(path)],
                capture_output=True,
                text=True,
                check=False,
                env=ENV,
            )
            try:
                t = json.loads(proc.stdout.strip().splitlines()[-1])
            except (IndexError, json.JSONDecodeError):
                print(f"{shape:<7}TUI: failed: {proc.stderr.strip()[-300:]}")
                continue
            full = t["full_analysis_s"]
            vs = f", {full / ours[shape]:.2f}× analyze --json" if full and shape in ours else ""
            print(
                f"{shape:<7}TUI first screen {t['first_frame_s']:.2f} s (target < 1; the pilot's "
                f"first pause returned at {t['first_screen_s']:.2f} s), full analysis "
                f"{full if full is None else round(full, 2)} s{vs} (target ≤ 1.5×)"
            )

    if not args.no_scaling:
        for shape in shapes:
            sizes = [args.records // 4, args.records // 2, args.records]
            res = [run([*bpdiag, str(shape_file(args.out, shape, n))]) for n in sizes]
            cells = ", ".join(
                f"{n // 1000}k {w:.2f} s ({c:.2f} cpu) {m:.0f} MiB"
                for n, (w, m, _, c) in zip(sizes, res, strict=True)
            )
            steps = [res[i + 1][3] / res[i][3] for i in range(2)]
            grow = ", ".join(f"{s:.2f}×" for s in steps)
            print(f"{shape:<7}scaling: {cells}; cpu time per doubling {grow} (at most 2×)")


if __name__ == "__main__":
    main()
