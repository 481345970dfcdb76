"""``explain --file`` reads a log in the shapes users attach it: gzip, bzip2 or xz
compressed (by content, whatever the name), an ``adb bugreport`` zip (its main text), or on
standard input; a capture, a zstd file or a zip without a bug report text is refused with
what to do; a cut or damaged one tells what it read before the damage."""

from __future__ import annotations

import bz2
import contextlib
import gzip
import io
import lzma
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helpers import ROOT, bpdiag_in_process

LOG = (
    b"03-04 05:06:07.100  1200  1250 E bt_btif_dm: LE authentication for xx:xx:xx:xx:aa:bb "
    b"failed with reason 80\n"
    b"03-04 05:06:07.200  1200  1250 I bluetoothd[812]: src/device.c:device_bonding_failed() "
    b"status 5\n"
)


def _told(out: str) -> bool:
    return "line 1:" in out and "line 2:" in out and "2 message(s)" in out


COMPRESSORS: dict[str, Callable[[bytes], bytes]] = {
    "gzip": gzip.compress,
    "bzip2": bz2.compress,
    "xz": lzma.compress,
}


@pytest.mark.parametrize("kind", list(COMPRESSORS))
def test_a_compressed_log_is_read_as_it_decompresses(kind: str, tmp_path: Path) -> None:
    path = tmp_path / "syslog.1"  # no suffix: the content says what it is
    path.write_bytes(COMPRESSORS[kind](LOG))
    r = bpdiag_in_process("explain", "--file", str(path))
    assert r.returncode == 0 and _told(r.stdout), r.stdout
    # and on standard input
    r = bpdiag_in_process("explain", "--file", "-", stdin=COMPRESSORS[kind](LOG))
    assert r.returncode == 0 and _told(r.stdout)


def _bugreport(path: Path, main_entry: bool = True) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("bugreport-panther-UQ1A.240205.004-2026-12-03.txt", LOG)
        z.writestr("FS/data/misc/bluetooth/logs/btsnoop_hci.log", b"btsnoop\0")
        if main_entry:
            z.writestr("main_entry.txt", "bugreport-panther-UQ1A.240205.004-2026-12-03.txt")
    return path


@pytest.mark.parametrize("main_entry", [True, False])
def test_a_bug_report_zip_is_read_for_its_main_text(main_entry: bool, tmp_path: Path) -> None:
    path = _bugreport(tmp_path / "bugreport.zip", main_entry)
    r = bpdiag_in_process("explain", "--file", str(path))
    assert r.returncode == 0 and _told(r.stdout)
    assert r.stdout.startswith(f"{path}:bugreport-panther-")  # which text it read


def test_what_is_no_log_is_refused_with_what_to_do(tmp_path: Path) -> None:
    capture = ROOT / "captures" / "not_in_pairing_mode.btsnoop"
    r = bpdiag_in_process("explain", "--file", str(capture))
    assert r.returncode == 2 and "is a capture (btsnoop)" in r.stderr
    assert f"bpdiag analyze {capture}" in r.stderr
    zst = tmp_path / "log.zst"
    zst.write_bytes(b"\x28\xb5\x2f\xfd" + bytes(20))
    r = bpdiag_in_process("explain", "--file", str(zst))
    assert r.returncode == 2 and "zstd -d FILE" in r.stderr
    other = tmp_path / "photos.zip"
    with zipfile.ZipFile(other, "w") as z:
        z.writestr("a.jpg", b"\xff\xd8")
    r = bpdiag_in_process("explain", "--file", str(other))
    assert r.returncode == 2 and "no bug report text" in r.stderr
    # a zip on standard input cannot be read as a zip (it needs seeking)
    r = bpdiag_in_process("explain", "--file", "-", stdin=other.read_bytes())
    assert r.returncode == 2 and "save it as a file" in r.stderr


def test_a_cut_download_tells_what_came_before_the_cut(tmp_path: Path) -> None:
    lines = b"".join(b"%d " % i + LOG.splitlines(keepends=True)[i % 2] for i in range(5000))
    whole = gzip.compress(lines)
    path = tmp_path / "logcat.txt.gz"
    path.write_bytes(whole[: len(whole) // 2])
    r = bpdiag_in_process("explain", "--file", str(path))
    assert r.returncode == 0 and "2 message(s)" in r.stdout
    assert "the text ends at line" in r.stderr and "ends early" in r.stderr
    read = int(r.stdout.split(": ", 1)[1].split(" line(s)")[0])
    assert 100 < read < 5000  # the lines before the cut, not none and not all


def test_a_damaged_bug_report_entry_is_no_crash(tmp_path: Path) -> None:
    path = _bugreport(tmp_path / "bugreport.zip")
    data = bytearray(path.read_bytes())
    at = data.find(b"bugreport-panther") + 60  # inside the first entry's deflated data
    data[at : at + 8] = b"\xff" * 8
    path.write_bytes(bytes(data))
    r = bpdiag_in_process("explain", "--file", str(path))
    assert r.returncode in (0, 1) and "Traceback" not in r.stderr
    assert "ends at line" in r.stderr or "message(s)" in r.stdout


_MAGICS = [b"", b"\x1f\x8b\x08", b"BZh91AY&SY", b"\xfd7zXZ\x00", b"PK\x03\x04", b"btsnoop\x00"]


def test_open_log_never_raises_but_a_refusal(tmp_path: Path) -> None:
    """Any bytes, behind any magic: a refusal (UnreadableCapture) or lines, never another
    exception, and damage met while reading is an OSError the command tells."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from bpdiag.capture.bugreport import open_log
    from bpdiag.errors import UnreadableCapture
    from bpdiag.rules.explain import explain_lines

    path = tmp_path / "log"

    @settings(max_examples=150, deadline=None)
    @given(st.sampled_from(_MAGICS), st.binary(max_size=600))
    def check(magic: bytes, rest: bytes) -> None:
        path.write_bytes(magic + rest)
        try:
            _name, raw = open_log(str(path))
        except UnreadableCapture:
            return
        # damage is an OSError, which the command notes after what was read
        with (
            io.TextIOWrapper(raw, encoding="utf-8", errors="replace") as text,
            contextlib.suppress(OSError),
        ):
            explain_lines(text)

    check()
