"""Every capture of the shared corpus (../shared/captures) read against tshark: the same
number of frames, the same timestamps to 1 µs, and no problems.

tshark runs once per file (tests/tshark.py).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bpdiag.capture import open_capture
from tests.tshark import Tshark

SHARED = Path(__file__).parents[2].parent / "shared" / "captures"
# tshark prints "%d.%09d" of (seconds, nanoseconds); a nanosecond count of a second or more
# (ts_usec above 10**6 in a pcap record) comes out with more digits, which still add up.
# Fractions it cannot even print (negative values) are not compared.
TIME = re.compile(r"(\d+)\.(\d{9,})")


def _files() -> list[Path]:
    if not SHARED.is_dir():
        return []
    return sorted(p for p in SHARED.iterdir() if p.is_file() and p.name != "MANIFEST.md")


NO_CORPUS = pytest.param(
    None, marks=pytest.mark.skip(reason=f"the shared capture corpus is not at {SHARED}")
)
FILES: list[object] = [*_files()] or [NO_CORPUS]


def _tshark_times(dissect: Tshark, path: Path) -> list[str]:
    """tshark's frame.time_epoch of every frame, in order."""
    frames = dissect(path)
    assert [f.number for f in frames] == list(range(1, len(frames) + 1)), "tshark's numbering"
    return [f.first("frame.time_epoch") for f in frames]


def _seconds(text: str) -> float | None:
    m = TIME.fullmatch(text)
    if m is None:
        return None
    return int(m.group(1)) + int(m.group(2)) / 1e9  # the digits count nanoseconds


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name if p else "none")
def test_same_frames_and_times_as_tshark(path: Path, dissect: Tshark) -> None:
    expected = _tshark_times(dissect, path)
    with open_capture(path) as cap:
        recs = list(cap)
        assert cap.problems == []
        assert cap.records == len(recs)
    assert len(recs) == len(expected), f"{path.name}: {len(recs)} records, tshark {len(expected)}"
    assert [r.index for r in recs] == list(range(1, len(recs) + 1))
    compared = 0
    for rec, text in zip(recs, expected, strict=True):
        seconds = _seconds(text)
        if seconds is None:
            continue
        assert abs(rec.timestamp - seconds) <= 1e-6, f"frame {rec.index}: {rec.timestamp} vs {text}"
        compared += 1
    assert compared >= min(len(recs), 20)


def test_ubertooth_negative_fractions_stay_near_their_neighbours() -> None:
    """crackle's ubertooth capture stores ts_usec values just below 2**32 (frame 9:
    4292882157): read as signed they are -2.085139 s, a time near frames 8 and 12, where
    adding them as unsigned would jump 71 minutes ahead."""
    path = SHARED / "ubertooth_ppi_legacy_passkey_crackle.pcap"
    if not path.is_file():
        pytest.skip(f"the shared capture corpus is not at {SHARED}")
    with open_capture(path) as cap:
        recs = list(cap)
    assert recs[8].timestamp == pytest.approx(452515.914861, abs=1e-6)
    times = [r.timestamp for r in recs]
    assert max(times) - min(times) < 60
