"""``analyze --json`` is written as it is produced: the same text, byte for byte, as the
document built whole (``json.dumps(…, indent=2)``), on every capture and with any chunk size."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from bpdiag.diagnose import diagnose_file
from bpdiag.report.json_report import dumps_analysis, write_analysis
from tests.conftest import all_captures, capture_id


@pytest.mark.parametrize("path", all_captures(), ids=capture_id)
def test_streamed_json_is_the_whole_document(path: Path) -> None:
    analysis = diagnose_file(path)
    want = dumps_analysis(analysis)
    for chunk in (1, 4096):
        out = io.StringIO()
        write_analysis(analysis, out, chunk=chunk)
        assert out.getvalue() == want
