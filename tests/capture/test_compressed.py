"""Compressed captures and archives, read by their content: ``btsnoop_hci.log.gz`` (gzip,
bzip2, xz), a tar (plain or compressed) or a user's own zip holding captures under any name,
and the damage such files come with (a cut download, a flipped bit, trailing bytes, a bomb)."""

from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
import subprocess
import tarfile
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bpdiag.capture import compressed as comp
from bpdiag.capture import open_capture
from bpdiag.capture.bugreport import open_inputs
from bpdiag.capture.record import ProblemKind
from bpdiag.diagnose import diagnose_file, diagnose_inputs
from bpdiag.errors import UnreadableCapture
from bpdiag.report.json_report import analysis_to_json
from tests.helpers import bpdiag, bpdiag_in_process

ROOT = Path(__file__).resolve().parents[2]
CAPS = sorted((ROOT / "captures").glob("*.btsnoop"))
STORY = ROOT / "captures" / "not_in_pairing_mode.btsnoop"
PACKERS = {
    "gzip": gzip.compress,
    "bzip2": bz2.compress,
    "xz": lambda b: lzma.compress(b, lzma.FORMAT_XZ),
}


def _doc(a: object) -> dict[str, object]:
    doc = analysis_to_json(a)  # type: ignore[arg-type]
    doc["capture"] = {k: v for k, v in doc["capture"].items() if k != "path"}  # type: ignore[union-attr]
    return doc


def _btmon_text(path: Path) -> bytes:
    return subprocess.run(
        ["btmon", "-r", str(path)], capture_output=True, check=False, timeout=60
    ).stdout


@pytest.mark.parametrize("kind", sorted(PACKERS))
@pytest.mark.parametrize("path", CAPS[:6], ids=lambda p: p.name)
def test_a_compressed_capture_is_the_capture(tmp_path: Path, path: Path, kind: str) -> None:
    packed = tmp_path / (path.name + ".x")  # the name says nothing: the content does
    packed.write_bytes(PACKERS[kind](path.read_bytes()))
    got, want = diagnose_file(packed), diagnose_file(path)
    assert got.capture.compression == kind and want.capture.compression is None
    assert _doc(got) == _doc(want)


def test_every_bundled_capture_gzipped_gives_its_findings(tmp_path: Path) -> None:
    for path in CAPS:
        packed = tmp_path / (path.name + ".gz")
        packed.write_bytes(gzip.compress(path.read_bytes()))
        assert [f.code for f in diagnose_file(packed).findings] == [
            f.code for f in diagnose_file(path).findings
        ], path.name


def test_the_header_says_it_was_compressed(tmp_path: Path) -> None:
    packed = tmp_path / "btsnoop_hci.log.gz"
    packed.write_bytes(gzip.compress(STORY.read_bytes()))
    r = bpdiag_in_process("analyze", str(packed))
    assert r.returncode == 1  # the pairing-mode finding, as on the plain file
    assert "btsnoop (gzip-compressed), btsnoop H4" in r.stdout.splitlines()[0]
    assert "pairing-mode-inactive" in r.stdout


def test_gzip_members_one_after_another_are_one_stream(tmp_path: Path) -> None:
    data = STORY.read_bytes()
    packed = tmp_path / "joined.gz"
    packed.write_bytes(gzip.compress(data) + gzip.compress(data))
    with open_capture(packed) as cap:
        n = sum(1 for _ in cap)
        # the second member is a second btsnoop file joined end to end (cat a b | gzip)
        assert any("second file header" in p.message for p in cap.problems)
    with open_capture(STORY) as cap:
        assert n == 2 * sum(1 for _ in cap)


@pytest.mark.parametrize("kind", sorted(PACKERS))
def test_a_cut_download_keeps_what_came_before(tmp_path: Path, kind: str) -> None:
    data = STORY.read_bytes()
    whole = PACKERS[kind](data)
    cut = tmp_path / "cut"
    cut.write_bytes(whole[: len(whole) * 3 // 4])
    if kind == "bzip2":  # bzip2 inflates a whole block at once: nothing of a cut one is read
        with pytest.raises(UnreadableCapture, match="the bzip2 stream ends early"):
            open_capture(cut)
        return
    with open_capture(cut) as cap:
        got = sum(1 for _ in cap)
        [p] = [p for p in cap.problems if p.kind == ProblemKind.READ_ERROR]
        assert f"the {kind} stream ends early" in p.message
    with open_capture(STORY) as cap:
        full = sum(1 for _ in cap)
    assert 0 < got < full


def test_a_cut_within_the_sniffed_bytes_is_still_a_problem(tmp_path: Path) -> None:
    """A gzip cut before 4 KiB of it inflated: the damage met while the input was sniffed is
    the reader's problem, after the records before it (it was lost: the decompressor reports
    damage once, and the sniffing swallowed it)."""
    whole = gzip.compress(STORY.read_bytes())  # 1,352 bytes inflated: all within the sniff
    cut = tmp_path / "cut.gz"
    cut.write_bytes(whole[: len(whole) * 3 // 4])
    [a] = diagnose_inputs(cut)
    assert a.capture.records > 0
    assert any("gzip stream ends early" in p.message for p in a.problems), a.problems


def test_a_cut_gzipped_text_log_keeps_its_records(tmp_path: Path) -> None:
    text = _btmon_text(STORY)
    if not text:
        pytest.skip("btmon is not installed")
    whole = gzip.compress(text)
    cut = tmp_path / "btmon.txt.gz"
    cut.write_bytes(whole[: len(whole) * 2 // 3])
    a = diagnose_file(cut)
    assert a.capture.format == "btmon-text" and a.capture.records > 0
    assert any("gzip stream ends early" in p.message for p in a.problems)


def test_damaged_gzip_data_keeps_what_inflated_before_it(tmp_path: Path) -> None:
    data = STORY.read_bytes() * 40  # several steps of compressed input
    whole = bytearray(gzip.compress(data, compresslevel=1))
    mid = len(whole) * 2 // 3
    whole[mid : mid + 4] = b"\xff\x00\xff\x00"
    bad = tmp_path / "bad.gz"
    bad.write_bytes(bytes(whole))
    with open_capture(bad) as cap:
        n = sum(1 for _ in cap)
        errors = [p for p in cap.problems if p.kind == ProblemKind.READ_ERROR]
    assert errors and "gzip data is damaged" in errors[0].message
    assert 0 < n < 40 * 38


def test_bytes_after_the_gzip_stream_are_a_problem(tmp_path: Path) -> None:
    path = tmp_path / "trail.gz"
    path.write_bytes(gzip.compress(STORY.read_bytes()) + b"garbage!")
    with open_capture(path) as cap:
        assert sum(1 for _ in cap) == 38
        assert any("are not gzip data" in p.message for p in cap.problems)
    padded = tmp_path / "padded.gz"  # zeros after the stream (a block device's padding)
    padded.write_bytes(gzip.compress(STORY.read_bytes()) + bytes(512))
    with open_capture(padded) as cap:
        assert sum(1 for _ in cap) == 38
        assert not [p for p in cap.problems if p.kind == ProblemKind.READ_ERROR]


@pytest.mark.parametrize(
    ("magic", "command"), [(b"\x28\xb5\x2f\xfd", "zstd -d"), (b"\x04\x22\x4d\x18", "lz4 -d")]
)
def test_zstd_and_lz4_are_refused_with_the_command(
    tmp_path: Path, magic: bytes, command: str
) -> None:
    path = tmp_path / "btsnoop_hci.log.zst"
    path.write_bytes(magic + bytes(64))
    with pytest.raises(UnreadableCapture, match=f"`{command} btsnoop_hci.log.zst`"):
        open_capture(path)


def test_a_decompression_bomb_is_ended(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # (zeros end a binary reader at once: this bomb is of records, at a lower limit)
    monkeypatch.setattr(comp, "MAX_OUT", 1 << 20)
    monkeypatch.setattr(comp, "MAX_RATIO", 50)
    bomb = tmp_path / "bomb.gz"
    data = STORY.read_bytes()
    records = data[16:]
    packed = gzip.compress(data[:16] + records * 4000, compresslevel=9)
    assert len(records) * 4000 > comp.MAX_RATIO * len(packed)  # it inflates like a bomb
    bomb.write_bytes(packed)
    with open_capture(bomb) as cap:
        n = sum(1 for _ in cap)
        assert any("decompression bomb" in p.message for p in cap.problems)
    assert 38 < n < 38 * 4000  # what inflated before the limit is read


# ---------------------------------------------------------------- archives
def _tar(members: dict[str, bytes], mode: str = "w") -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode=mode) as tf:  # type: ignore[call-overload]
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return out.getvalue()


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return out.getvalue()


MEMBERS = {
    "logs/README.md": b"# how I captured this\nbtmon -w trace.snoop\n",
    "logs/trace.snoop": STORY.read_bytes(),  # btmon -w names it anything
    "logs/capture.dat.gz": gzip.compress(STORY.read_bytes()),
    "photo.jpg": b"\xff\xd8\xff\xe0" + bytes(100),
}
WANT = ["trace.snoop", "capture.dat.gz"]


@pytest.mark.parametrize("mode", ["w", "w:gz", "w:bz2", "w:xz"])
def test_a_tar_is_read_for_every_capture_inside(tmp_path: Path, mode: str) -> None:
    path = tmp_path / "logs.tar.whatever"
    path.write_bytes(_tar(MEMBERS, mode))
    got = [(a.capture.path, [f.code for f in a.findings]) for a in diagnose_inputs(path)]
    assert [p.rsplit("/", 1)[1] for p, _ in got] == WANT
    assert all(p.startswith(f"{path}:logs/") for p, _ in got)
    assert all("pairing-mode-inactive" in codes for _, codes in got)


def test_a_users_zip_is_read_by_content(tmp_path: Path) -> None:
    path = tmp_path / "attachment.zip"
    path.write_bytes(_zip(MEMBERS))
    got = [a.capture.path.rsplit("/", 1)[1] for a in diagnose_inputs(path)]
    assert got == WANT


def test_a_gzipped_zip_and_a_tar_on_standard_input(tmp_path: Path) -> None:
    packed = tmp_path / "a.zip.gz"
    packed.write_bytes(gzip.compress(_zip({"x/btsnoop_hci.log": STORY.read_bytes()})))
    [a] = diagnose_inputs(packed)
    assert a.capture.path.endswith(":x/btsnoop_hci.log")
    r = bpdiag("analyze", "--json", "-", input=_tar(MEMBERS, "w:gz"), text=False)
    docs = json.loads(r.stdout)
    assert [d["capture"]["path"] for d in docs] == ["-:logs/trace.snoop", "-:logs/capture.dat.gz"]


def test_an_archive_without_a_capture_says_so(tmp_path: Path) -> None:
    path = tmp_path / "notes.tgz"
    path.write_bytes(_tar({"a.txt": b"hello\n", "btsnoop_hci.log": b"not a log"}, "w:gz"))
    with pytest.raises(UnreadableCapture, match=r"tar archive with no capture.*btsnoop_hci.log"):
        list(open_inputs(path))
    z = tmp_path / "notes.zip"
    z.write_bytes(_zip({"a.txt": b"hello\n"}))
    with pytest.raises(UnreadableCapture, match="zip with no capture"):
        list(open_inputs(z))


def test_a_damaged_tar_keeps_the_captures_before_the_damage(tmp_path: Path) -> None:
    one, two = CAPS[0].read_bytes(), CAPS[1].read_bytes()
    data = _tar({"one.log": one, "two.log": two}, "w:gz")
    path = tmp_path / "cut.tgz"
    path.write_bytes(data[: len(data) * 3 // 4])
    [a] = diagnose_inputs(path)  # one.log whole; the cut falls in two.log's header
    assert a.capture.path.endswith(":one.log")
    with open_capture(CAPS[0]) as cap:
        assert a.capture.records == sum(1 for _ in cap)
    assert any(
        "tar archive is damaged after" in p.message and "not read" in p.message for p in a.problems
    )


FUZZ = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)
SEEDS = [
    gzip.compress(STORY.read_bytes()),
    bz2.compress(STORY.read_bytes()),
    lzma.compress(STORY.read_bytes()),
    _tar({"a.log": STORY.read_bytes(), "b.txt": b"x"}, "w:gz"),
    gzip.compress(_zip({"a.log": STORY.read_bytes()})),
]


@FUZZ
@given(
    st.sampled_from(SEEDS),
    st.lists(st.tuples(st.integers(0, 3000), st.integers(0, 255)), max_size=6),
    st.integers(0, 3000),
)
def test_damaged_compressed_inputs_never_raise(
    seed: bytes, flips: list[tuple[int, int]], cut: int
) -> None:
    """A flipped or cut compressed file or archive is an ``UnreadableCapture`` or inputs
    whose reading ends without raising, each problem naming its layer."""
    import tempfile

    data = bytearray(seed)
    for pos, value in flips:
        if pos < len(data):
            data[pos] = value
    del data[max(cut, 4) :]
    with tempfile.NamedTemporaryFile(suffix=".bin") as f:
        f.write(bytes(data))
        f.flush()
        try:
            for inp in open_inputs(f.name):
                with inp.capture as cap:
                    for _ in cap:
                        pass
                    assert all(p.message and p.layer for p in cap.problems)
        except UnreadableCapture as exc:
            assert str(exc) and "\n" not in str(exc)


@pytest.mark.parametrize("mode", ["zip", "w", "w:gz"])
def test_a_command_that_reads_one_capture_says_what_an_archive_is(
    tmp_path: Path, mode: str
) -> None:
    path = tmp_path / "logs"
    path.write_bytes(_zip(MEMBERS) if mode == "zip" else _tar(MEMBERS, mode))
    what = "zip archive" if mode == "zip" else "tar archive"
    with pytest.raises(UnreadableCapture, match=f"is a {what}.*`bpdiag analyze`.*extract one"):
        open_capture(path)
