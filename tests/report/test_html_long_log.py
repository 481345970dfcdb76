"""The HTML report of a long log (thousands of connections and pairings, the benchmark's shape
b) stays a page a bug tracker takes: each long list is capped, what is left out is counted,
and the page says where all of it is; a capture under the caps shows everything, no such
line."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from bpdiag.analysis.model import Outcome
from bpdiag.diagnose import diagnose_file
from bpdiag.report import html as html_report
from bpdiag.report.html import render_html
from bpdiag.rules.diagnosis import Diagnosed
from tests.helpers import bench_capture

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def long_log(tmp_path_factory: pytest.TempPathFactory) -> Diagnosed:
    """20,000 records of the SMP scenarios cycled: about a thousand connections."""
    return diagnose_file(bench_capture(tmp_path_factory, "make_many_btsnoop", 20_000))


def _more(page: str) -> dict[str, tuple[int, int]]:
    """What each "N … in all; … M …" line says: {what: (in all, shown)}."""
    out = {}
    for total, what, rest in re.findall(
        r"<p class='more'>(\d+) ([a-zA-Z ]+) in all; ([^.]*)\.", page
    ):
        out[what] = (int(total), int(re.search(r"\d+", rest).group()))  # type: ignore[union-attr]
    return out


def test_long_log_lists_are_capped_and_counted(long_log: Diagnosed) -> None:
    a = long_log
    failed = [p for p in a.pairings if p.outcome == Outcome.FAILED]
    assert len(a.pairings) > html_report.LADDERS and len(a.findings) > html_report.FINDINGS
    page = render_html(a)
    more = _more(page)
    assert more["pairings"] == (len(a.pairings), html_report.LADDERS)
    assert more["failed pairings"] == (len(failed), html_report.VERDICT_ITEMS)
    assert more["findings"] == (len(a.findings), html_report.FINDINGS)
    assert page.count("class='ladder'") == html_report.LADDERS
    details = page[page.index("<h3>Findings</h3>") :]
    assert details.count("<div class='finding") == html_report.FINDINGS
    verdict = page[: page.index("<h2>Ladders</h2>")]
    assert verdict.count("<h2 class='error'>Pairing ") == html_report.VERDICT_ITEMS
    # Every kind of finding is counted, and the counts add up to all of them.
    counts = re.findall(r"<tr><td>(\d+)</td><td><b class='\w+'>\w+ ([\w-]+)</b>", page)
    assert sum(int(n) for n, _ in counts) == len(a.findings)
    assert {c for _, c in counts} == {f.code for f in a.findings}
    assert len(page) < 3_000_000


def test_ladders_drawn_are_the_failed_ones_first_in_capture_order() -> None:
    def pairing(i: int, failed: bool) -> Any:
        return SimpleNamespace(id=i, outcome=Outcome.FAILED if failed else Outcome.SUCCESS)

    n = html_report.LADDERS
    few_failed = [pairing(i, i % 100 == 7) for i in range(3 * n)]
    drawn = html_report._drawn(few_failed)
    ids = [p.id for p in drawn]
    assert ids == sorted(ids) and len(ids) == n
    assert {p.id for p in few_failed if p.outcome == Outcome.FAILED} <= set(ids)
    many_failed = [pairing(i, i % 2 == 1) for i in range(3 * n)]
    assert [p.id for p in html_report._drawn(many_failed)] == list(range(1, 2 * n, 2))
    under = few_failed[: n - 1]
    assert html_report._drawn(under) == under


def test_a_capture_under_the_caps_shows_everything() -> None:
    page = render_html(diagnose_file(ROOT / "captures" / "repeated_attempts.btsnoop"))
    assert "class='more'" not in page and "class='counts'" not in page
