"""The words ``bpdiag batch`` prints at the end: counts over every row in the output folder.

Takes plain counts (``files``, ``outcomes`` …), so it imports nothing from the batch layer.
"""

from __future__ import annotations

from collections import Counter
from typing import Protocol


class BatchCounts(Protocol):
    files: int
    unreadable: int
    analysed_now: int
    skipped: int
    pairings: int
    outcomes: Counter[str]
    finding_codes: Counter[str]
    failure_reasons: Counter[str]
    seconds: float
    out: str


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def render_batch_summary(s: BatchCounts, top: int = 5) -> str:
    lines = [
        f"{_plural(s.files, 'file')} in {s.out} ({s.analysed_now} analysed now, "
        f"{s.skipped} already done), {s.unreadable} not readable as a capture",
    ]
    rate = s.analysed_now / s.seconds if s.seconds > 0 else 0.0
    lines.append(f"{s.seconds:.1f} s, {rate:.1f} files/s")
    outcomes = ", ".join(f"{n} {o}" for o, n in s.outcomes.most_common())
    lines.append(f"{_plural(s.pairings, 'pairing')}" + (f": {outcomes}" if outcomes else ""))
    if s.failure_reasons:
        lines.append("most frequent failure reasons:")
        lines += [f"  {n:>6}  {r}" for r, n in s.failure_reasons.most_common(top)]
    if s.finding_codes:
        lines.append("most frequent findings:")
        lines += [f"  {n:>6}  {c}" for c, n in s.finding_codes.most_common(top)]
    return "\n".join(lines) + "\n"
