"""``analyze`` (text) is written as it is produced: the same text as the report built whole,
escaped for the terminal, on every capture and with any number of lines per write; and the
fast paths it takes (wrapping plain text, escaping text with no control character) say what
``textwrap.wrap`` and ``str.translate`` say."""

from __future__ import annotations

import io
import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bpdiag.diagnose import diagnose_file
from bpdiag.report import terminal
from bpdiag.report.terminal import escape_controls
from bpdiag.report.text import WIDTH, _wrap, render_text, write_text
from tests.conftest import all_captures, capture_id


@pytest.mark.parametrize("path", all_captures(), ids=capture_id)
def test_streamed_text_is_the_whole_report(path: Path) -> None:
    analysis = diagnose_file(path)
    want = escape_controls(render_text(analysis))
    for lines in (1, 3, 4096):
        out = io.StringIO()
        write_text(analysis, out, lines_per_write=lines)
        assert out.getvalue() == want


# Words as reports have them, with the characters textwrap treats apart: hyphens (where it
# may break), whitespace it rewrites or drops, and words longer than a line.
WORD = st.text(alphabet=st.sampled_from(list("abcxyz0#.,→—")), min_size=1, max_size=12) | (
    st.text(alphabet=st.sampled_from(list("ab-c \t\n\u00a0")), max_size=12)
)


@settings(max_examples=400)
@given(
    words=st.lists(WORD | st.text(min_size=90, max_size=100), max_size=40),
    sep=st.sampled_from([" ", " ", " ", "  ", "\t"]),
    initial=st.sampled_from(["", "  ", "    ", "      "]),
    subsequent=st.sampled_from(["", "    ", "         "]),
)
def test_wrap_is_textwrap(words: list[str], sep: str, initial: str, subsequent: str) -> None:
    text = sep.join(words)
    _wrap.cache_clear()
    want = textwrap.wrap(text, WIDTH, initial_indent=initial, subsequent_indent=subsequent)
    assert list(_wrap(text, initial, subsequent)) == want
    assert list(_wrap(text, initial, subsequent)) == want  # remembered, the same


def test_wrap_takes_its_fast_path_on_long_plain_text(monkeypatch: pytest.MonkeyPatch) -> None:
    """The greedy wrapper, not textwrap, wraps a long plain paragraph (and agrees)."""
    text = " ".join(["encryption with the stored key was refused at #62"] * 6)
    want = textwrap.wrap(text, WIDTH, initial_indent="    ", subsequent_indent="    ")

    def refuse(*_args: object, **_kwargs: object) -> list[str]:
        raise AssertionError("textwrap was called")

    monkeypatch.setattr(textwrap, "wrap", refuse)
    _wrap.cache_clear()
    got = _wrap(text, "    ", "    ")
    assert len(got) > 1 and list(got) == want


@settings(max_examples=400)
@given(st.text())
def test_escape_controls_is_the_table(text: str) -> None:
    assert escape_controls(text) == text.translate(terminal._TABLE)


def test_escape_controls_escapes_each_character_of_the_table() -> None:
    for c in terminal._TABLE:
        assert escape_controls(f"a{chr(c)}b") == f"a{terminal._TABLE[c]}b"
