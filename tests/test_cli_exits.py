"""Every way out of the CLI is a documented status; none but "a pairing failed" is 1."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from bpdiag.cli import main
from bpdiag.exits import EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_OUTPUT

ROOT = Path(__file__).resolve().parent.parent
CAPTURE = ROOT / "captures" / "legacy_justworks_success.btsnoop"


def test_an_unexpected_error_exits_3_with_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    import bpdiag.diagnose

    def boom(path: str, **_: object) -> None:
        raise ValueError("bad \x1b]52;c;QUJD\x07 value")

    monkeypatch.setattr(bpdiag.diagnose, "diagnose_inputs", boom)
    result = CliRunner().invoke(main, ["analyze", str(CAPTURE)])
    assert result.exit_code == EXIT_INTERNAL
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("bpdiag: internal error (ValueError")
    assert "\x1b" not in result.output and "Traceback" not in result.output


def test_ctrl_c_is_not_a_failed_pairing(monkeypatch: pytest.MonkeyPatch) -> None:
    import bpdiag.diagnose

    def interrupted(path: str, **_: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(bpdiag.diagnose, "diagnose_inputs", interrupted)
    result = CliRunner().invoke(main, ["analyze", str(CAPTURE)])
    assert result.exit_code == EXIT_INTERRUPTED


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full")
@pytest.mark.parametrize("command", [["analyze"], ["dump"], ["dump", "--json"]])
def test_a_full_disk_is_an_output_error(command: list[str]) -> None:
    with open("/dev/full", "w") as full:
        proc = subprocess.run(
            [sys.executable, "-m", "bpdiag", *command, str(CAPTURE)],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            timeout=120,
        )
    assert proc.returncode == EXIT_OUTPUT
    assert proc.stderr.strip() == "bpdiag: cannot write the output: No space left on device"
