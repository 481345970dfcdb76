"""open_capture: the format by magic bytes only, one-sentence errors for unreadable files,
and the Capture object's life cycle (iterate once, count, close)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bpdiag.capture import Capture, format_of, open_capture, sniff_format
from tests.capture import read, refusal, write
from tests.capture.test_btsnoop import HEADER_H4, REC1, REC2, REC3
from tests.capture.test_pcap import HEADER_BE_NS, REC1_BE_NS
from tests.capture.test_pcapng import EPB_1, EPB_2, IDB_251, SHB_LE

BTSNOOP = HEADER_H4 + REC1 + REC2 + REC3
PCAP = HEADER_BE_NS + REC1_BE_NS
PCAPNG = SHB_LE + IDB_251 + EPB_1 + EPB_2


@pytest.mark.parametrize(
    ("data", "name", "fmt", "link_type", "count"),
    [
        (BTSNOOP, "btsnoop_hci.pcap", "btsnoop", 1002, 3),
        (PCAP, "capture.pcapng", "pcap", 272, 1),
        (PCAPNG, "capture.pcap", "pcapng", 251, 2),
        (PCAPNG, "capture.btsnoop", "pcapng", 251, 2),
        (BTSNOOP, "no_extension", "btsnoop", 1002, 3),
    ],
)
def test_format_comes_from_the_magic_not_the_name(
    tmp_path: Path, data: bytes, name: str, fmt: str, link_type: int, count: int
) -> None:
    path = write(tmp_path, data, name)
    assert sniff_format(path) == fmt and format_of(data) == fmt
    with open_capture(path) as cap:
        assert isinstance(cap, Capture)
        assert (cap.format, cap.link_type, cap.path) == (fmt, link_type, str(path))
        assert len(list(cap)) == count and cap.records == count and cap.problems == []


def test_str_and_pathlike_paths(tmp_path: Path) -> None:
    path = write(tmp_path, BTSNOOP)
    for p in (path, str(path)):
        with open_capture(p) as cap:
            assert cap.path == str(path)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "the file is empty"),
        (
            b"hello world!",
            "unknown format (first bytes 68 65 6c 6c 6f 20 77 6f); bpdiag reads btsnoop (62 74 "
            "73 6e 6f 6f 70 00), pcap (a1 b2 c3 d4 or a1 b2 3c 4d, either byte order), pcapng "
            "(0a 0d 0d 0a), btmon's or hcidump's text output, BTstack's console HCI dump (CMD => "
            "/ EVT <= lines), a Bumble DEBUG log's ACL lines, Wireshark's packet dissection text "
            "with the bytes (tshark -V -x), "
            "Apple PacketLogger files (.pklg, not its text export) and Android bug reports (zip "
            "or text), also gzip/bzip2/xz-compressed or in a zip or tar; a stack's log "
            "(logcat, bluetoothd, nRF Connect …) is no capture, but "
            "`bpdiag explain --file FILE` explains the errors it names",
        ),
        (
            b"\x00\x01\x02",
            "unknown format (first bytes 00 01 02); bpdiag reads btsnoop (62 74 73 6e 6f 6f 70 "
            "00), pcap (a1 b2 c3 d4 or a1 b2 3c 4d, either byte order), pcapng (0a 0d 0d 0a), "
            "btmon's or hcidump's text output, BTstack's console HCI dump (CMD => / EVT <= "
            "lines), a Bumble DEBUG log's ACL lines, Wireshark's packet dissection text with the "
            "bytes (tshark -V -x), Apple "
            "PacketLogger files (.pklg, not its text export) and Android bug reports (zip or "
            "text), also gzip/bzip2/xz-compressed or in a zip or tar",
        ),
        (b"btsnoop\x00", "the btsnoop file header is 16 bytes, the file has only 8"),
        (b"\xa1\xb2\xc3\xd4", "the pcap file header is 24 bytes, the file has only 4"),
        (
            b"\x0a\x0d\x0d\x0a",
            "the pcapng section header block is at least 28 bytes, the file has only 4",
        ),
    ],
    ids=["empty", "text", "binary", "btsnoop-magic-only", "pcap-magic-only", "pcapng-type-only"],
)
def test_unreadable_files(tmp_path: Path, data: bytes, message: str) -> None:
    assert refusal(write(tmp_path, data)) == message


def test_missing_file(tmp_path: Path) -> None:
    assert refusal(tmp_path / "nope.btsnoop") == "no such file"


def test_directory(tmp_path: Path) -> None:
    assert refusal(tmp_path) == "is a directory, not a capture file"


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads any file")
def test_unreadable_permissions(tmp_path: Path) -> None:
    path = write(tmp_path, BTSNOOP)
    path.chmod(0)
    assert refusal(path) == "cannot be opened: Permission denied"


def test_btmon_text_is_recognised(tmp_path: Path) -> None:
    text = b"Bluetooth monitor ver 5.66\n= Note: Linux version 6.1.0 (x86_64)      0.500000\n"
    with open_capture(write(tmp_path, text, "paste.txt")) as cap:
        assert (cap.format, cap.link_type) == ("btmon-text", 2001)
        recs = list(cap)
        assert cap.records == len(recs)


def test_iterable_once_and_counting_as_it_goes(tmp_path: Path) -> None:
    with open_capture(write(tmp_path, BTSNOOP)) as cap:
        assert cap.records == 0
        it = iter(cap)
        first = next(it)
        assert (first.index, cap.records) == (1, 1)
        assert [r.index for r in cap] == [2, 3]  # a second loop goes on where it was
        assert cap.records == 3
        assert list(cap) == []


def test_close_mid_iteration_ends_it_quietly(tmp_path: Path) -> None:
    cap = open_capture(write(tmp_path, BTSNOOP))
    it = iter(cap)
    next(it)
    cap.close()
    assert list(it) == [] and list(cap) == []
    assert cap.problems == [] and cap.records == 1
    cap.close()  # twice is harmless


def test_closed_by_the_context_manager(tmp_path: Path) -> None:
    with open_capture(write(tmp_path, PCAPNG)) as cap:
        pass
    assert list(cap) == [] and cap.problems == []


def test_problems_can_be_drained_while_reading(tmp_path: Path) -> None:
    # The analyser empties Capture.problems as it goes; the reader must not depend on it.
    path = write(tmp_path, BTSNOOP[:-1])
    with open_capture(path) as cap:
        seen = []
        for _ in cap:
            seen += cap.problems
            cap.problems.clear()
        seen += cap.problems
    assert [p.record for p in seen] == [3]


def test_error_sentences_are_one_line(tmp_path: Path) -> None:
    for data in (b"", b"garbage!", b"btsnoop\x00\x00\x00\x00\x05\x00\x00\x03\xea"):
        assert "\n" not in refusal(write(tmp_path, data))


def test_read_returns_what_iteration_gives(tmp_path: Path) -> None:
    recs, problems = read(write(tmp_path, PCAP))
    assert [r.payload for r in recs] == [b"abc"] and problems == []
