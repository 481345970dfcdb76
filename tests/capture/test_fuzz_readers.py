"""Fuzzing the readers: random bytes and mutated/truncated valid files.  Only
``UnreadableCapture`` may escape ``open_capture``; iterating never raises and ends."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bpdiag.analysis.run import walk_file
from bpdiag.capture import open_capture
from bpdiag.errors import UnreadableCapture
from tests.capture.test_btmon_text import STORY
from tests.capture.test_readers import BTSNOOP_HDR, REC1, REC2, _epb, _idb, _pcap, _shb

SEEDS = [
    BTSNOOP_HDR + REC1 + REC2,
    _pcap("<", 0xA1B2C3D4, 272, [(1, 2, bytes(40)), (3, 4, bytes(30))]),
    _shb("<") + _idb("<", 256) + _epb("<", 0, 5, bytes(30)) + _epb("<", 0, 6, bytes(12)),
    b"btsnoop\x00\x00\x00\x00\x01\x00\x00\x07\xd1" + REC1,  # monitor datalink
    STORY.encode(),  # btmon text
]


def _check(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "f"
        p.write_bytes(data)
        try:
            cap = open_capture(p)
        except UnreadableCapture:
            return
        with cap:
            last = 0
            for rec in cap:
                # Frame numbers only grow; a skipped damaged packet keeps its number, so the
                # frames after it still match Wireshark's.
                assert rec.index > last
                last = rec.index
        # The whole pipeline (decoders and analysis) also takes it without raising.
        for _ in walk_file(p):
            pass


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400))
def test_random_bytes(data: bytes) -> None:
    _check(data)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(SEEDS),
    st.lists(st.tuples(st.integers(0, 400), st.integers(0, 255)), max_size=8),
    st.integers(0, 400),
)
def test_mutated_files(seed: bytes, flips: list[tuple[int, int]], cut: int) -> None:
    data = bytearray(seed)
    for pos, val in flips:
        if pos < len(data):
            data[pos] = val
    _check(bytes(data[: max(cut, 1)]) if cut < len(data) else bytes(data))
