"""The shareable HTML report: verdict first, then ladders, then details; self-contained, no key
values, fix texts rendered from Markdown, ATT errors listed, the capture named by its file
name; and, in headless Chromium at two widths, ladder labels that stay between the lifelines
(screenshots kept for a person to look at)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from bpdiag.diagnose import diagnose_file
from bpdiag.report.html import markdown, render_html
from tests.conftest import OWN, ROOT, SHARED, require_shared
from tests.rules.analyses import _att_error


def test_html_report_content() -> None:
    html = render_html(diagnose_file(OWN / "legacy_passkey_wrong.btsnoop"))
    assert html.count("class='ladder'") == 1
    assert "confirm-value-failed" in html and "What would work" in html
    assert "<script" not in html and "http://" not in html.replace("http://www.w3.org", "")
    assert not re.search(r"[0-9a-f]{32}", html)  # no keys, no confirm/random values


def test_verdict_then_ladders_then_details() -> None:
    html = render_html(diagnose_file(OWN / "mitm_unsatisfiable.btsnoop"))
    verdict = html.index("class='verdict'")
    ladders = html.index("<h2>Ladders</h2>")
    details = html.index("<h2>Details</h2>")
    assert verdict < ladders < details
    top = html[verdict:ladders]
    assert "Pairing 1 (connection 1) failed" in top
    assert "mitm-unsatisfiable" in top and "Fix:" in top and "What would work" in top


def test_fix_markdown_is_rendered_and_capture_is_named_by_file_name() -> None:
    a = diagnose_file(OWN / "mitm_unsatisfiable.btsnoop")
    html = render_html(a)
    assert str(OWN) not in html  # no local path
    assert "<title>bpdiag — mitm_unsatisfiable.btsnoop</title>" in html
    fixes = re.findall(r"<div class='fix'>(.*?)</div>", html, re.S)
    assert fixes and all("`" not in f for f in fixes)
    assert "<code>agent NoInputNoOutput</code>" in fixes[0]
    # raw HTML in a fix text is not markup
    assert "&lt;b&gt;" in markdown("<b>x</b> and `y`") and "<code>y</code>" in markdown("`y`")


def test_att_errors_section() -> None:
    a = diagnose_file(OWN / "sc_justworks_success.btsnoop")
    assert "<h2>ATT errors</h2>" in render_html(a)
    a.att_errors = [_att_error(40 + i, handle=0x0003) for i in range(205)]
    html = render_html(a)
    section = html[html.index("<h2>ATT errors</h2>") :]
    assert "Insufficient Authentication (0x05)" in section and "0x0003" in section
    assert section.count("<tr>") == 201  # header + 200 rows
    assert "… and 5 more ATT errors" in section


def test_analyze_html_says_where_and_prints_no_text_report(tmp_path: Path) -> None:
    import sys

    out = tmp_path / "r.html"
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "bpdiag",
            "analyze",
            str(OWN / "mitm_unsatisfiable.btsnoop"),
            "--html",
            str(out),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert r.returncode == 1  # a pairing failed, as without --html
    assert r.stdout.strip() == f"wrote HTML report to {out}"
    assert out.read_text().startswith("<!doctype html>")


# A script the test adds to a copy of the page (the report itself has none): it measures every
# ladder label against its lane and puts the result in the document title for --dump-dom.
_MEASURE = """<script>
addEventListener('load', () => {
  const bad = [];
  for (const lbl of document.querySelectorAll('.ladder .lbl')) {
    const lane = lbl.parentElement.getBoundingClientRect();
    const r = lbl.getBoundingClientRect();
    if (lbl.scrollWidth > lbl.clientWidth + 1 || r.left < lane.left || r.right > lane.right + 1)
      bad.push(lbl.textContent);
  }
  const ladder = document.querySelector('.ladder').getBoundingClientRect().width;
  document.title = 'MEASURED ' + JSON.stringify({bad, ladder, page: innerWidth});
});
</script>"""

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.mark.parametrize("width", [1280, 600])
def test_html_in_chromium_at_two_widths(tmp_path: Path, width: int) -> None:
    exe = shutil.which("chromium")
    if exe is None:
        pytest.skip("Debian's chromium is not installed (scripts/test.sh installs it)")
    import json

    html = render_html(diagnose_file(OWN / "mitm_unsatisfiable.btsnoop"))
    shot = tmp_path / f"report-{width}.png"
    # One browser run takes the screenshot and prints the DOM the measuring script left: the
    # script sets only the page's title, nothing that is drawn.
    measured = tmp_path / "m.html"
    measured.write_text(html.replace("</body>", _MEASURE + "</body>"))
    dom = subprocess.run(
        [
            exe,
            *CHROMIUM_FLAGS,
            f"--window-size={width},1400",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--virtual-time-budget=3000",
            f"--screenshot={shot}",
            "--dump-dom",
            measured.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    ).stdout
    assert shot.exists() and shot.stat().st_size > 10_000
    keep = os.environ.get("BPDIAG_SCREENSHOTS")  # a folder to keep the PNGs in, to look at
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(keep) / shot.name)
    m = re.search(r"<title>MEASURED (.*?)</title>", dom)
    assert m is not None, dom[:500]
    result = json.loads(m.group(1).replace("&quot;", '"'))
    assert result["bad"] == []  # no label runs past the lifelines or is cut
    # the ladder uses the page's width (less the body's margins), not a fixed drawing size
    assert result["ladder"] > 0.8 * min(result["page"], 1440) - 60


def test_decryption_summary_says_what_the_text_report_says() -> None:
    from bpdiag.analysis.keys import Decryption
    from bpdiag.analysis.model import CaptureInfo
    from bpdiag.rules.diagnosis import Diagnosed

    a = Diagnosed(capture=CaptureInfo("air.pcap", "pcap", 251, "LE LL", 10))
    assert "<h3>Decryption</h3>" not in render_html(a)  # nothing was encrypted
    a.decryption = Decryption(3, 2, 1, [{"access_address": "0x50654d3a", "frame": 7, "key": "<x>"}])
    html = render_html(a)
    assert "3 encrypted packet(s) decrypted, 2 not" in html
    assert "1 packet counter value(s) skipped" in html
    assert "link 0x50654d3a from #7: &lt;x&gt;" in html  # the key's source, escaped


def test_decryption_summary_of_a_decrypted_air_capture() -> None:
    require_shared()
    html = render_html(diagnose_file(SHARED / "lephdr_legacy_justworks_bsniffhub.pcap"))
    assert "<h3>Decryption</h3>" in html
    assert "13 encrypted packet(s) decrypted, 0 not" in html
    assert "STK (legacy, TK 0: Just Works or passkey 000000)" in html
    assert not re.search(r"[0-9a-f]{32}", html)  # the STK is named, never shown
