"""Every capture of the shared corpus (../shared/captures) read against tshark: the same
number of frames, the same timestamps to 1 µs, and no problems.

tshark runs once per file per test session, all files in parallel, in the background while
the first tests wait for theirs.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest

from bpdiag.capture import open_capture

SHARED = Path(__file__).parents[2].parent / "shared" / "captures"
# PPI captures from ubertooth wrap DLT 147 (USER0), which tshark decodes only when told.
UAT = ["-o", 'uat:user_dlts:"User 0 (DLT=147)","btle","0","","0",""']
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


def _is_ppi(path: Path) -> bool:
    """A classic pcap file whose link type (pcap header, bytes 20–23) is 192 PPI."""
    head = path.read_bytes()[:24]
    if len(head) < 24:
        return False
    if head[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        return int.from_bytes(head[20:22], "little") == 192
    if head[:4] in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        return int.from_bytes(head[22:24], "big") == 192
    return False


def _tshark_times(exe: str, path: Path) -> list[str]:
    """tshark's frame.time_epoch of every frame, in order."""
    cmd = [exe, "-r", str(path), *(UAT if _is_ppi(path) else []), "-T", "fields"]
    cmd += ["-e", "frame.number", "-e", "frame.time_epoch"]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"tshark failed on {path.name}: {done.stderr.strip()}")
    rows = [line.split("\t") for line in done.stdout.splitlines()]
    if [int(number) for number, _ in rows] != list(range(1, len(rows) + 1)):
        raise RuntimeError(f"tshark numbered the frames of {path.name} unexpectedly")
    return [time for _, time in rows]


@pytest.fixture(scope="session")
def tshark_times() -> Iterator[dict[Path, Future[list[str]]]]:
    """tshark's timestamps for every shared capture, computed once per session."""
    exe = shutil.which("tshark")
    if exe is None:
        pytest.skip("tshark is not installed (Debian package tshark)")
    files = _files()
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        yield {path: pool.submit(_tshark_times, exe, path) for path in files}


def _seconds(text: str) -> float | None:
    m = TIME.fullmatch(text)
    if m is None:
        return None
    return int(m.group(1)) + int(m.group(2)) / 1e9  # the digits count nanoseconds


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name if p else "none")
def test_same_frames_and_times_as_tshark(
    path: Path, tshark_times: dict[Path, Future[list[str]]]
) -> None:
    expected = tshark_times[path].result()
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
