"""The shareable HTML report: self-contained, ladders as SVG, no key values, and it renders
in headless Chromium (when Debian's chromium is installed)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from bpdiag.diagnose import diagnose_file
from bpdiag.report.html import render_html
from tests.conftest import OWN


def test_html_report_content() -> None:
    html = render_html(diagnose_file(OWN / "legacy_passkey_wrong.btsnoop"))
    assert html.count("<svg") == 1
    assert "confirm-value-failed" in html and "What would work" in html
    assert "<script" not in html and "http://" not in html.replace("http://www.w3.org", "")
    assert not re.search(r"[0-9a-f]{32}", html)  # no keys, no confirm/random values


def test_html_renders_in_chromium(tmp_path: Path) -> None:
    exe = shutil.which("chromium")
    if exe is None:
        pytest.skip("Debian's chromium is not installed")
    page = tmp_path / "r.html"
    page.write_text(render_html(diagnose_file(OWN / "not_in_pairing_mode.btsnoop")))
    shot = tmp_path / "r.png"
    subprocess.run(
        [
            exe,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--window-size=1000,900",
            f"--screenshot={shot}",
            page.as_uri(),
        ],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert shot.exists() and shot.stat().st_size > 10_000
