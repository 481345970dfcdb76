"""The hostile-input generators of bench/hostile.py at small sizes: each bound holds, and the
capping is reported as a problem (the memory and time figures are the benchmark's job)."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from bpdiag.analysis.builder import MAX_ATT_ERRORS
from bpdiag.capture import open_capture
from bpdiag.decode.hci_stream import HciStream
from bpdiag.decode.l2cap import MAX_PARTIAL, Reassembler
from bpdiag.decode.ll_stream import MAX_UNCONFIRMED_LINKS, LlStream
from bpdiag.diagnose import diagnose_file
from bpdiag.errors import UnreadableCapture

ROOT = Path(__file__).resolve().parent.parent


def _load_hostile() -> ModuleType:
    spec = importlib.util.spec_from_file_location("hostile", ROOT / "bench" / "hostile.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


hostile = _load_hostile()


def _messages(problems: list) -> str:  # type: ignore[type-arg]
    return "\n".join(p.message for p in problems)


def _hci(path: Path) -> HciStream:
    stream = HciStream()
    with open_capture(path) as cap:
        for rec in cap:
            stream.feed(rec)
    return stream


def test_repeated_att_errors_are_one_finding_with_a_count(tmp_path: Path) -> None:
    path = tmp_path / "att.btsnoop"
    hostile.att_errors(path, 3000)
    a = diagnose_file(str(path))
    assert [e.count for e in a.att_errors] == [750, 750, 750, 750]
    assert all(len(e.frames) == 5 for e in a.att_errors)
    found = [f for f in a.findings if f.code == "insufficient-authentication"]
    assert len(found) == 4
    assert "and 749 more times after it" in found[0].detail
    assert not a.problems


def test_distinct_att_errors_are_capped_and_the_cap_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "att-kinds.btsnoop"
    hostile.att_errors(path, MAX_ATT_ERRORS + 200, kinds=MAX_ATT_ERRORS + 200)
    a = diagnose_file(str(path))
    assert len(a.att_errors) == MAX_ATT_ERRORS
    assert a.att_errors_dropped == 200
    assert "200 ATT Error Responses were counted but not kept" in _messages(a.problems)


def test_an_smp_pdu_claiming_64_kib_is_not_buffered(tmp_path: Path) -> None:
    path = tmp_path / "giants.btsnoop"
    hostile.smp_giants(path, 40, body=2000)
    stream = _hci(path)
    partial = stream._reasm._partial
    assert len(partial) == 40
    assert all(not p.chunks for p in partial.values())  # counted, never copied
    assert "claims 65535 bytes, more than the 65" in _messages(stream.problems)


def test_partial_pdus_are_bounded(tmp_path: Path) -> None:
    path = tmp_path / "keys.btsnoop"
    hostile.partial_keys(path, MAX_PARTIAL * 2 + 10)
    stream = _hci(path)
    assert len(stream._reasm._partial) <= MAX_PARTIAL
    assert stream._reasm_keys == {
        (a << 12 | h) << 2 | d for (a, h, d), *_ in stream._reasm.pending()
    }
    assert "L2CAP PDUs were unfinished at once" in _messages(stream.problems)


def test_reassembler_drops_the_oldest_half_in_one_batch() -> None:
    r = Reassembler()
    for i in range(MAX_PARTIAL + 1):
        r.start(i, b"\x10\x00\x06\x00\x01", i)
    assert len(r._partial) == MAX_PARTIAL // 2 + 1
    assert not r.is_pending(0) and r.is_pending(MAX_PARTIAL)
    assert r.evicted == MAX_PARTIAL // 2


def test_close_index_forgets_only_its_adapter_and_stale_requests(tmp_path: Path) -> None:
    path = tmp_path / "close.btsnoop"
    hostile.close_index(path, 5000)
    stream = _hci(path)
    assert 0xFFF0 not in stream._by_adapter
    assert stream._closed_at[0xFFF0] == 10000
    assert len(stream._req) == 5000  # requests of other adapters stay


def test_air_links_without_connect_ind_are_bounded(tmp_path: Path) -> None:
    path = tmp_path / "air.pcap"
    hostile.air_addresses(path, MAX_UNCONFIRMED_LINKS * 3)
    stream = LlStream()
    with open_capture(path) as cap:
        for rec in cap:
            stream.feed(rec)
    assert len(stream.links) <= MAX_UNCONFIRMED_LINKS
    assert len(stream._reasm._partial) <= MAX_UNCONFIRMED_LINKS * 3
    assert len(stream._frag_start) <= MAX_UNCONFIRMED_LINKS * 3
    assert stream.links_expired >= MAX_UNCONFIRMED_LINKS
    assert "access addresses without a CONNECT_IND" in _messages(stream.problems)


def test_pcapng_options_are_counted_not_kept(tmp_path: Path) -> None:
    path = tmp_path / "options.pcapng"
    hostile.pcapng_options(path, 200_000)
    with open_capture(path) as cap:
        records = list(cap)
        reader = cap._reader
    assert len(records) == 1 and records[0].payload == b"\x00\x00\x00\x01\x01\x03\x0c\x00"
    assert getattr(reader, "options_skipped", 0) == 200_000


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_is_refused_not_waited_on(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(UnreadableCapture, match="FIFO"):
        open_capture(fifo)  # would block forever in open() before
    proc = subprocess.run(
        [sys.executable, "-m", "bpdiag", "analyze", str(fifo)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert proc.returncode == 2
    assert "FIFO" in proc.stderr and "Traceback" not in proc.stderr
