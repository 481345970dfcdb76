"""Android bug reports: btsnooz sections in the text, HCI logs in the zip, and bad input
(zip bombs, many entries, base64 garbage, truncated zlib)."""

from __future__ import annotations

import base64
import random
import struct
import tracemalloc
import zipfile
import zlib
from pathlib import Path

import pytest

from bpdiag.capture import open_capture
from bpdiag.capture.bugreport import open_inputs
from bpdiag.diagnose import diagnose_file, diagnose_inputs
from bpdiag.errors import UnreadableCapture
from bpdiag.report.text import explain_pairing
from tests.capture.writers import (
    bugreport_zip,
    dumpstate_text,
    read_btsnoop_h4,
    snooz_blob,
    snooz_keeps,
)

ROOT = Path(__file__).resolve().parents[2]
CAPS = ROOT / "captures"
NAMES = [
    "sc_justworks_success",
    "legacy_passkey_wrong",
    "dhkey_check_failed",
    "pairing_cut_by_disconnect",
    "numeric_comparison_rejected",
    "peer_requires_mitm",
]


def _smp_steps(analysis) -> list[tuple[int, str]]:  # type: ignore[no-untyped-def]
    return [(s.frame, s.name) for p in analysis.pairings for s in p.steps]


@pytest.mark.parametrize("version", [1, 2])
@pytest.mark.parametrize("name", NAMES)
def test_dumpstate_gives_the_btsnoop_pairings_minus_what_was_cut(
    tmp_path: Path, name: str, version: int
) -> None:
    src = CAPS / f"{name}.btsnoop"
    recs = read_btsnoop_h4(src)
    path = tmp_path / "bugreport-x.txt"
    path.write_bytes(dumpstate_text(snooz_blob(recs, version)))
    full = diagnose_file(src)
    cut = diagnose_file(path)
    assert cut.capture.format == "btsnooz"
    assert cut.capture.records == len(recs)
    # Kept whole: exactly the SMP PDUs short enough to survive the 14-byte cut.
    whole = {i + 1 for i, r in enumerate(recs) if snooz_keeps(r.packet) == len(r.packet) - 1}
    # A packet cut short: a Pairing Request / Response cut to 6 octets keeps its fields, a
    # phase-2 PDU that it was sent (its values unread); key distribution PDUs are lost.
    features = {"Pairing Request", "Pairing Response"}
    phase2 = {"Pairing Confirm", "Pairing Random", "Pairing Public Key", "Pairing DHKey Check"}
    kept = features | phase2
    assert _smp_steps(cut) == [(f, n) for f, n in _smp_steps(full) if f in whole or n in kept]
    for p_cut in cut.pairings:
        for feat in (p_cut.request, p_cut.response):
            if feat is not None and feat.frame not in whole:
                assert feat.responder_keys is None  # the cut octet: unknown, not "none"
                twin = next(
                    f
                    for q in full.pairings
                    for f in (q.request, q.response)
                    if f is not None and f.frame == feat.frame
                )
                assert (
                    feat.io_capability,
                    feat.oob,
                    feat.auth_req,
                    feat.max_key_size,
                    feat.initiator_keys,
                ) == (
                    twin.io_capability,
                    twin.oob,
                    twin.auth_req,
                    twin.max_key_size,
                    twin.initiator_keys,
                )
    assert [(p.method, p.secure_connections) for p in cut.pairings] == [
        (p.method, p.secure_connections) for p in full.pairings
    ]
    # HCI events are whole: the same encryptions.
    assert [(e.frame, e.status) for e in cut.encryptions] == [
        (e.frame, e.status) for e in full.encryptions
    ]
    # No verify check and no distributed key from cut bytes.
    assert all(not p.checks and not p.keys for p in cut.pairings)
    # No claim about how a cut pairing ended, and no stage finding from its missing PDUs.
    codes = {f.code for f in cut.findings}
    assert not codes & {"pairing-protocol-violation", "pairing-incomplete"}
    for p in cut.pairings:
        if p.cut_frames and p.failure is None:
            assert "is not in the capture" in explain_pairing(p, None)
    lost = [(f, n) for f, n in _smp_steps(full) if f not in whole]
    msgs = {p.record: p.message for p in cut.problems if p.layer == "truncated"}
    for frame, step in lost:
        assert msgs[frame].startswith("truncated to 15 of ")
        assert f"the SMP {step} " in msgs[frame]
        if step in features:
            assert msgs[frame].endswith("(not the responder key distribution)")
    if lost:
        f = next(x for x in cut.findings if x.code == "truncated-snoop")
        assert "persist.bluetooth.btsnooplogmode=full" in f.fix
        assert cut.capture.cut_smp_frames == [f for f, _ in lost]
        assert "cannot" in f.detail


def test_times_follow_btsnooz_py(tmp_path: Path) -> None:
    recs = read_btsnoop_h4(CAPS / "sc_justworks_success.btsnoop")
    path = tmp_path / "d.txt"
    path.write_bytes(dumpstate_text(snooz_blob(recs, 2)))
    with open_capture(path) as cap:
        got = [r.timestamp for r in cap]
    assert got == pytest.approx([r.ts_us / 1e6 for r in recs], abs=1e-6)


def test_zip_analyses_each_log_and_names_it(tmp_path: Path) -> None:
    a = (CAPS / "sc_justworks_success.btsnoop").read_bytes()
    b = (CAPS / "legacy_passkey_wrong.btsnoop").read_bytes()
    text = dumpstate_text(snooz_blob(read_btsnoop_h4(CAPS / "dhkey_check_failed.btsnoop"), 2))
    path = tmp_path / "bugreport-x.zip"
    path.write_bytes(
        bugreport_zip(
            {
                "bugreport-x.txt": text,
                "FS/data/misc/bluetooth/logs/btsnoop_hci.log": a,
                "FS/data/misc/bluetooth/logs/btsnoop_hci.log.last": b,
                "FS/data/log/bt/btsnooz_hci.log": b"not a log at all",
                "version.txt": b"2.0",
            },
            main="bugreport-x.txt",
        )
    )
    got = list(diagnose_inputs(path))
    assert [x.capture.path for x in got] == [
        f"{path}:FS/data/misc/bluetooth/logs/btsnoop_hci.log",
        f"{path}:FS/data/misc/bluetooth/logs/btsnoop_hci.log.last",
    ]
    assert _smp_steps(got[0]) == _smp_steps(diagnose_file(CAPS / "sc_justworks_success.btsnoop"))
    assert _smp_steps(got[1]) == _smp_steps(diagnose_file(CAPS / "legacy_passkey_wrong.btsnoop"))
    assert any("btsnooz_hci.log" in p.message for p in got[1].problems) or any(
        "btsnooz_hci.log" in p.message for p in got[0].problems
    )


def test_zip_without_log_reads_the_main_text(tmp_path: Path) -> None:
    recs = read_btsnoop_h4(CAPS / "dhkey_check_failed.btsnoop")
    path = tmp_path / "bugreport-x.zip"
    path.write_bytes(
        bugreport_zip(
            {"bugreport-x.txt": dumpstate_text(snooz_blob(recs, 2))}, main="bugreport-x.txt"
        )
    )
    (got,) = list(diagnose_inputs(path))
    assert got.capture.path == f"{path}:bugreport-x.txt"
    assert got.capture.format == "btsnooz"
    assert got.capture.records == len(recs)


def test_zip_with_hundreds_of_entries(tmp_path: Path) -> None:
    """Junk named like logs is skipped with a note each; other files are looked at quietly;
    at most 32 captures are analysed, and the first analysis says so."""
    log = (CAPS / "sc_justworks_success.btsnoop").read_bytes()
    entries = {f"FS/proc/{i}/status": b"x" for i in range(500)}
    entries.update({f"FS/data/misc/bluetooth/logs/btsnoop_hci.log.{i}": b"junk" for i in range(60)})
    entries.update({f"FS/data/log/bt/hci_snoop{i}.cfa": log for i in range(40)})
    path = tmp_path / "b.zip"
    path.write_bytes(bugreport_zip(entries))
    got = list(diagnose_inputs(path))
    assert len(got) == 32
    assert [a.capture.path for a in got] == [
        f"{path}:FS/data/log/bt/hci_snoop{i}.cfa" for i in range(32)
    ]
    notes = [p.message for p in got[0].problems]
    assert any("more than 32 captures; the first 32 are analysed" in m for m in notes)
    assert sum("is no capture format" in m for m in notes) == 60  # the junk named like logs
    assert not any("FS/proc" in m for m in notes)


def test_zip_bomb_is_refused_in_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "bomb.zip"
    name = "FS/data/misc/bluetooth/logs/btsnoop_hci.log"
    with (
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z,
        z.open(name, "w", force_zip64=True) as f,
    ):
        zero = bytes(1 << 20)
        for _ in range(300):
            f.write(zero)
    assert path.stat().st_size < 2 << 20
    tracemalloc.start()
    with pytest.raises(UnreadableCapture, match="zip bomb"):
        list(open_inputs(path))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 16 << 20


def test_base64_garbage_keeps_what_came_before(tmp_path: Path) -> None:
    recs = read_btsnoop_h4(CAPS / "sc_justworks_success.btsnoop")
    blob = snooz_blob(recs, 2)
    raw = zlib.decompress(blob[9:])
    # Stop the stream cleanly halfway: a second section is garbage from there on.
    b64 = base64.b64encode(blob).decode()
    half = len(b64) // 2 // 4 * 4
    text = dumpstate_text(blob).replace(b64[half : half + 8].encode(), b"!!garbage", 1)
    path = tmp_path / "d.txt"
    path.write_bytes(text)
    with open_capture(path) as cap:
        n = len(list(cap))
        msgs = [p.message for p in cap.problems]
    assert 0 < n < len(recs)
    assert any("which is not base64" in m for m in msgs)
    assert any("zlib stream ends early" in m for m in msgs)
    assert raw  # the blob really had records


def test_truncated_zlib_stream(tmp_path: Path) -> None:
    recs = read_btsnoop_h4(CAPS / "sc_justworks_success.btsnoop")
    blob = snooz_blob(recs, 1)
    path = tmp_path / "d.txt"
    path.write_bytes(dumpstate_text(blob[: len(blob) * 2 // 3]))
    with open_capture(path) as cap:
        n = len(list(cap))
        msgs = [p.message for p in cap.problems]
    assert 0 < n < len(recs)
    assert msgs[-1].startswith("the btsnooz zlib stream ends early")


def test_zlib_bomb_in_the_section(tmp_path: Path) -> None:
    body = zlib.compress(bytes(300 << 20), 9)
    blob = struct.pack("<BQ", 2, 0) + body
    path = tmp_path / "d.txt"
    path.write_bytes(dumpstate_text(blob))
    tracemalloc.start()
    with open_capture(path) as cap:
        list(cap)
        msgs = [p.message for p in cap.problems]
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert any("zlib bomb" in m or "cannot be framed" in m for m in msgs)
    assert peak < 64 << 20


def test_bad_version_and_no_section(tmp_path: Path) -> None:
    path = tmp_path / "d.txt"
    path.write_bytes(dumpstate_text(struct.pack("<BQ", 3, 0) + zlib.compress(b"")))
    with open_capture(path) as cap:
        assert list(cap) == []
        assert [p.message for p in cap.problems] == [
            "btsnooz version 3 is not supported (1 and 2 are defined)"
        ]
    path.write_bytes(b"== dumpstate: 2026\nnothing here\n")
    with open_capture(path) as cap:
        assert list(cap) == []
        assert "no BTSNOOP_LOG_SUMMARY section" in cap.problems[0].message


def test_a_section_longer_than_a_read_chunk(tmp_path: Path) -> None:
    """The END line is found wherever the chunks of the text fall (the section spans many)."""
    one = read_btsnoop_h4(CAPS / "sc_justworks_success.btsnoop")
    rng = random.Random(13)
    recs = []
    t = one[0].ts_us
    for _ in range(200):
        for r in one:
            t += rng.randrange(1 << 24)  # deltas that do not compress away
            recs.append(type(r)(t, r.received, r.packet))
    blob = snooz_blob(recs, 2)
    text = dumpstate_text(blob)
    assert len(text) > 4 * (1 << 14)
    path = tmp_path / "big.txt"
    path.write_bytes(text)
    with open_capture(path) as cap:
        n = sum(1 for _ in cap)
        assert [p.message for p in cap.problems] == []
    assert n == len(recs)
