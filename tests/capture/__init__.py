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


def refusal(path: Path) -> str:
    """The message ``open_capture`` refuses ``path`` with (the test fails if it opens it)."""
    with pytest.raises(UnreadableCapture) as exc:
        open_capture(path)
    return str(exc.value)
