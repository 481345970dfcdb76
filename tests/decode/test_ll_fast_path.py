"""The air fast path (empty PDUs, retransmissions, repeated advertising skipped from a few
octets) gives exactly what the full path gives: the same PDUs, skips, problems, counters and
per-link state (direction and timing, last SN/LLID/payload per side), on every shared air
capture and on real records with random damage."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bpdiag.capture import open_capture
from bpdiag.capture.record import LinkType, Record
from bpdiag.decode.ll_stream import LlStream
from tests.conftest import SHARED, capture_id, require_shared, shared_captures

AIR = (LinkType.NORDIC_BLE, LinkType.BLUETOOTH_LE_LL_WITH_PHDR)


def _air_captures() -> list[Path]:
    out = []
    for p in shared_captures():
        with open_capture(p) as cap:
            if cap.link_type in AIR:
                out.append(p)
    return out


def _records(path: Path) -> list[Record]:
    with open_capture(path) as cap:
        return list(cap)


def _run(recs: list[Record], fast: bool) -> Any:
    s = LlStream(fast=fast)
    skips: list[tuple[int, str, int]] = []
    s.on_skip = lambda f, r, ref: skips.append((f, r, ref))
    pdus = []
    for rec in recs:
        for p in s.feed(rec):
            pdus.append(
                (p.frame, p.first_frame, p.direction, p.layer, p.opcode, p.link, p.msg, p.answers)
            )
    s.finish()
    links = {
        aa: (
            link.last_time,
            link.last_channel,
            link.last_length,
            link.last_dir,
            link.enc,
            dict(link.sent),
        )
        for aa, link in s.links.items()
    }
    counters = (
        s.crc_errors,
        s.retransmissions,
        s.encrypted_skipped,
        s.unknown_state_skipped,
        s.isochronous_skipped,
    )
    return pdus, skips, s.problems, counters, links


@pytest.mark.parametrize("path", _air_captures(), ids=capture_id)
def test_fast_path_agrees_with_the_full_path(path: Path) -> None:
    recs = _records(path)
    fast = _run(recs, True)
    assert fast == _run(recs, False)
    assert fast[3][1] or fast[0]  # the capture was decoded at all


def test_fast_path_is_taken() -> None:
    """Most packets of a sniffer session never reach the full decoder."""
    require_shared()
    recs = _records(SHARED / "lephdr_lesc_justworks_dumpcap_bsniffhub.pcapng")
    s = LlStream()
    full = s._feed_slow
    calls = []
    s._feed_slow = lambda rec: calls.append(rec.index) or full(rec)  # type: ignore[method-assign]
    for rec in recs:
        s.feed(rec)
    assert len(calls) < len(recs) // 4


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32), st.sampled_from([0, 1]))
def test_damaged_records_agree(seed: int, which: int) -> None:
    require_shared()
    rnd = random.Random(seed)
    name = (
        "nordic_lesc_justworks_bsniffhub.pcap",
        "lephdr_legacy_justworks_latency10_bsniffhub.pcap",
    )[which]
    recs = _records(SHARED / name)
    start = rnd.randrange(max(1, len(recs) - 300))
    out = []
    for rec in recs[start : start + 300]:
        data = bytearray(rec.payload)
        if data and rnd.random() < 0.2:
            # Damage the octets the fast path reads: headers, flags, PDU header, length.
            at = rnd.choice([1, 3, 6, 7, 8, 9, 14, 15, 18, 19, len(data) - 1]) % len(data)
            data[at] = rnd.randrange(256)
        if data and rnd.random() < 0.05:
            del data[rnd.randrange(len(data)) :]
        if rnd.random() < 0.1 and out:
            out.append(out[-1])  # a repeated record: a retransmission
        out.append(Record(rec.index, rec.timestamp, rec.link_type, bytes(data), rec.file_offset))
    for i, r in enumerate(out, start=1):
        r.index = i
    assert _run(out, True) == _run(out, False)
