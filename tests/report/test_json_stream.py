"""``analyze --json`` is written as it is produced: the same text, byte for byte, as the
document built whole (``json.dumps(…, indent=2)``), on every capture and with any chunk size."""

from __future__ import annotations

import io
import json
from enum import IntEnum, StrEnum
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bpdiag.analysis.model import Outcome
from bpdiag.diagnose import diagnose_file
from bpdiag.report.json_report import dumps_analysis, encode, write_analysis
from bpdiag.rules.base import Severity
from tests.conftest import all_captures, capture_id


@pytest.mark.parametrize("path", all_captures(), ids=capture_id)
def test_streamed_json_is_the_whole_document(path: Path) -> None:
    analysis = diagnose_file(path)
    want = dumps_analysis(analysis)
    for chunk in (1, 4096):
        out = io.StringIO()
        write_analysis(analysis, out, chunk=chunk)
        assert out.getvalue() == want


class _Word(StrEnum):
    A = "a"
    QUOTE = 'q"\u00e9'


class _Code(IntEnum):
    ONE = 1
    BIG = 1 << 40


class _Ratio(float):
    pass


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text()
    # the model's enums, and a float subclass: written as json.dumps writes them
    | st.sampled_from([*_Word, *_Code, Outcome.FAILED, Severity.ERROR])
    | st.floats(allow_nan=True).map(_Ratio),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text(max_size=5), inner, max_size=4)
        | st.dictionaries(st.integers(), inner, max_size=2)
    ),
    max_leaves=20,
)


@settings(max_examples=400, deadline=None)
@given(JSON)
def test_encoder_is_json_dumps_indent_2(value: object) -> None:
    assert encode(value) == json.dumps(value, indent=2)
