"""Tests of the capture readers (bytes → records), and helpers they share."""

from __future__ import annotations

from pathlib import Path

import pytest

from bpdiag.capture import open_capture
from bpdiag.capture.record import Problem, Record
from bpdiag.errors import UnreadableCapture


def write(tmp_path: Path, data: bytes, name: str = "capture.bin") -> Path:
    """``data`` as a file; the name is arbitrary because formats go by magic."""
    path = tmp_path / name
    path.write_bytes(data)
    return path


def read(path: Path) -> tuple[list[Record], list[Problem]]:
    """Every record of a capture and the problems met reading it."""
    with open_capture(path) as cap:
        records = list(cap)
        assert cap.records == len(records)
        return records, cap.problems


def messages(problems: list[Problem]) -> list[str]:
    return [p.message for p in problems]


def outcome(
    path: Path,
) -> tuple[list[tuple[int, bytes]], list[tuple[int | None, int | None, str, str]]]:
    """What reading ``path`` gives: (number, payload) for each record, and (record, offset,
    layer, message) for each problem."""
    records, problems = read(path)
    return [(r.index, r.payload) for r in records], [
        (p.record, p.offset, p.layer, p.message) for p in problems
    ]


def refusal(path: Path) -> str:
    """The message ``open_capture`` refuses ``path`` with (the test fails if it opens it)."""
    with pytest.raises(UnreadableCapture) as exc:
        open_capture(path)
    return str(exc.value)


def assert_cut_anywhere(
    tmp_path: Path, before: bytes, last: bytes, *, header: int, layer: str
) -> None:
    """``before`` (a file header and whole records), then ``last`` cut after each of its bytes
    in turn: the records of ``before`` are read, whole, and one problem at ``last``'s offset
    says where the file ended — inside the ``header``-byte record header, or inside the data
    it announces (the framing messages every ``FramedReader`` format gives)."""
    whole, _ = read(write(tmp_path, before))
    n, at = len(whole) + 1, len(before)
    for cut in range(1, len(last)):
        records, problems = read(write(tmp_path, before + last[:cut]))
        assert [(r.index, r.file_offset, r.payload) for r in records] == [
            (r.index, r.file_offset, r.payload) for r in whole
        ], cut
        if cut < header:
            why = f"a record header is {header} bytes, file ends after {cut}"
        else:
            why = f"header says {len(last) - header} bytes, file ends after {cut - header}"
        assert [(p.record, p.offset, p.layer, p.message) for p in problems] == [
            (n, at, layer, f"record {n} at offset 0x{at:x}: {why}")
        ], cut


def assert_framing_stops(
    tmp_path: Path, before: bytes, bad: bytes, after: bytes, *, layer: str, why: str
) -> None:
    """``before`` (a file header and whole records), a record header ``bad`` whose length no
    packet can have, then a good record ``after``: the records of ``before`` are read,
    ``after`` is not (nothing says where it starts), and one problem at ``bad`` says ``why``."""
    whole, _ = read(write(tmp_path, before))
    n, at = len(whole) + 1, len(before)
    assert outcome(write(tmp_path, before + bad + after)) == (
        [(r.index, r.payload) for r in whole],
        [(n, at, layer, f"record {n} at offset 0x{at:x}: {why}")],
    )
