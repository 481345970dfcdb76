"""Skimming pcapng (its plain Enhanced Packet Blocks of nRF Sniffer and LE-PHDR interfaces
read as ``Frames``, the empty PDUs passed over) gives exactly what feeding every record
gives — PDUs, connections, analysis, progress, ``analyze --json`` and ``dump --json`` — on
every air capture there is, as pcapng converted by ``editcap`` and as pcapng laid out at
random by the test writer (options, padding, other blocks, several interfaces and clocks,
H4 packets, cut and simple packets, two sections); and a pcap and its ``editcap -F pcapng``
copy read the same but for where the records are in the file."""

from __future__ import annotations

import random
import re
import shutil
import struct
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from bpdiag.analysis.run import Reading
from bpdiag.capture import open_capture
from bpdiag.capture.record import LinkType, Record
from bpdiag.cli import main
from bpdiag.decode import ll_stream
from bpdiag.decode.ll_stream import LlStream
from bpdiag.errors import UnreadableCapture
from tests.analysis.test_skim import _read
from tests.capture.writers import (
    pcapng_epb,
    pcapng_from_records,
    pcapng_idb,
    pcapng_option,
    pcapng_shb,
)
from tests.conftest import ROOT, SHARED, all_captures, capture_id

SKIMMED = (LinkType.NORDIC_BLE, LinkType.BLUETOOTH_LE_LL_WITH_PHDR)
# The air captures (and bench/make_air.py's shape c, cycled from them) are the shared corpus's
needs_shared = pytest.mark.skipif(
    not SHARED.is_dir(), reason="the shared captures are not beside the project"
)


def _air() -> list[Path]:
    out = []
    for p in all_captures():
        try:
            with open_capture(p) as cap:
                if cap.link_type in SKIMMED and cap.format in ("pcap", "pcapng"):
                    out.append(p)
        except UnreadableCapture:
            continue
    return out


def _editcap(src: Path, dst: Path) -> Path:
    exe = shutil.which("editcap")
    if exe is None:
        pytest.skip("editcap is not installed (it comes with tshark)")
    subprocess.run([exe, "-F", "pcapng", str(src), str(dst)], check=True, capture_output=True)
    return dst


def _outputs(path: Path) -> dict[str, str]:
    """``analyze --json`` and ``dump --json`` of ``path``, through the CLI."""
    runner = CliRunner()
    out = {}
    for kind in ("analyze", "dump"):
        result = runner.invoke(main, [kind, "--json", str(path)], catch_exceptions=False)
        out[kind] = f"exit {result.exit_code}\n{result.stdout}"
    return out


def _forms(path: Path, tmp: Path) -> list[Path]:
    """``path`` as pcapng: converted by editcap (when it is not pcapng already), and laid
    out at random from its records."""
    with open_capture(path) as cap:
        records = list(cap)
        pcapng = cap.format == "pcapng"
    forms = [path] if pcapng else [_editcap(path, tmp / "editcap.pcapng")]
    random = tmp / "random.pcapng"
    random.write_bytes(pcapng_from_records(records, 3))
    return [*forms, random]


@pytest.mark.parametrize("path", _air(), ids=capture_id)
def test_skimming_pcapng_agrees_with_feeding_every_record(
    path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    forms = _forms(path, tmp_path)
    for form in forms:
        for every in (7, 1 << 20):  # progress every 7 records cuts the skims short
            skimmed = _read(form, True, every)
            assert skimmed[2]  # progress was reported (at the end, at least)
            assert skimmed == _read(form, False, every)
    outputs = [_outputs(form) for form in forms]
    monkeypatch.setattr(Reading, "skim", False)
    assert [_outputs(form) for form in forms] == outputs


_WHERE = re.compile(r'"(path|format)": "[^"]*"|"(offset|file_offset)": \d+|offset 0x[0-9a-f]+')


def _placeless(text: str) -> str:
    """An output without the file's name and format and where its records are."""
    return _WHERE.sub("", text)


@pytest.mark.parametrize("path", [p for p in _air() if p.suffix == ".pcap"], ids=capture_id)
def test_pcap_and_its_pcapng_copy_read_the_same(path: Path, tmp_path: Path) -> None:
    with open_capture(path) as cap:
        if cap.format != "pcap":
            pytest.skip("not a pcap file, whatever its name")
    copy = _editcap(path, tmp_path / "copy.pcapng")
    pcap, pcapng = _outputs(path), _outputs(copy)
    assert '"format": "pcapng"' in pcapng["analyze"]
    assert {k: _placeless(v) for k, v in pcap.items()} == {
        k: _placeless(v) for k, v in pcapng.items()
    }


@needs_shared
def test_every_skimmed_link_type_is_compared() -> None:
    kinds = set()
    for p in _air():
        with open_capture(p) as cap:
            kinds.add(cap.link_type)
    assert kinds == set(SKIMMED)


@pytest.fixture(scope="module", params=[272, 256])
def long_air(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The benchmark's shape c, 20,000 records, as pcapng (editcap)."""
    tmp = tmp_path_factory.mktemp("air")
    pcap = tmp / "air.pcap"
    subprocess.run(
        [sys.executable, str(ROOT / "bench" / "make_air.py"), "--records", "20000",
         "--link-type", str(request.param), str(pcap)],
        check=True,
    )  # fmt: skip
    return _editcap(pcap, tmp / "air.pcapng")


@needs_shared
def test_long_pcapng_air_capture_is_mostly_passed_over(
    long_air: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fed: list[int] = []
    nordic = LlStream._feed_nordic
    phdr = LlStream._feed_phdr

    def counted(feed: Any) -> Any:
        def wrapped(self: LlStream, rec: Record) -> Any:
            fed.append(rec.index)
            return feed(self, rec)

        return wrapped

    monkeypatch.setattr(LlStream, "_feed_nordic", counted(nordic))
    monkeypatch.setattr(LlStream, "_feed_phdr", counted(phdr))
    analysis = Reading(long_air).analyse()
    assert analysis.capture.records == 20000
    assert 0 < len(fed) < 20000 // 2
    monkeypatch.undo()
    assert _read(long_air, True, every=1000) == _read(long_air, False, every=1000)


_EMPTY_LENGTH = {LinkType.NORDIC_BLE: 26, LinkType.BLUETOOTH_LE_LL_WITH_PHDR: 19}


def _odd_among_empty(records: list[Record], seed: int) -> bytes:
    """``records`` as plain Enhanced Packet Blocks, and after an empty PDU now and then a
    block that lies in a stretch of empty PDUs' blocks but is not one of them: the same
    PDU one octet longer (the same block length, padded), with ``epb_flags`` (another
    block length), cut short of a longer original length, or on interface 1 (the same
    clock).  Each must end a stretch the skims pass over at once."""
    rnd = random.Random(seed)
    link_type = records[0].link_type
    empty = _EMPTY_LENGTH[link_type]
    flags = pcapng_option(2, struct.pack("<I", 1))
    out = [pcapng_shb(), pcapng_idb(link_type), pcapng_idb(link_type)]
    for rec in records:
        ticks = round(rec.timestamp * 1e6)
        out.append(pcapng_epb(0, ticks, rec.payload))
        if len(rec.payload) == empty and rnd.random() < 0.02:
            odd = rnd.randrange(4)
            if odd == 0:
                out.append(pcapng_epb(0, ticks + 1, rec.payload + b"\x00"))
            elif odd == 1:
                out.append(pcapng_epb(0, ticks + 1, rec.payload, options=flags))
            elif odd == 2:
                out.append(pcapng_epb(0, ticks + 1, rec.payload, orig=empty + 1))
            else:
                out.append(pcapng_epb(1, ticks + 1, rec.payload))
    return b"".join(out)


@needs_shared
def test_stretches_broken_by_blocks_alike_but_for_one_field_skim_as_fed(
    long_air: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The skims pass over stretches of empty PDUs at once, in the file's buffer: a record
    of the same block length but another data length, one with options, one cut, one of
    another interface inside such a stretch reads as when every record is fed."""
    records = list(open_capture(long_air))
    path = tmp_path / "odd.pcapng"
    path.write_bytes(_odd_among_empty(records, 5))
    stretched: list[int] = []
    stretch = ll_stream._stretch

    def counted(frames: Any, i: int, *rest: Any) -> Any:
        found = stretch(frames, i, *rest)
        stretched.append(found[0] - i)
        return found

    monkeypatch.setattr(ll_stream, "_stretch", counted)
    for every in (7, 1 << 20):
        assert _read(path, True, every) == _read(path, False, every)
    assert sum(k for k in stretched if k > 1) > len(records) // 4  # passed over at once
