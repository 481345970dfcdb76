"""Every way out of the CLI is a documented status; none but "a pairing failed" is 1."""

from __future__ import annotations

import json
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


@pytest.mark.parametrize("as_json", [False, True])
def test_an_input_of_which_nothing_could_be_read_is_not_ok(tmp_path: Path, as_json: bool) -> None:
    """A text log whose only record bpdiag cannot take, and a btsnoop holding no record:
    nothing was analysed, so not 0 ("no failure found") — 2, the report printed all the
    same, saying so (a CI job must not pass on a log it could not read)."""
    from tests.helpers import bpdiag_in_process

    text = tmp_path / "forum.txt"
    text.write_text(
        "> HCI Event: Vendor (0xff) plen 4  #7 [hci0] 1.000\n"
        "        Data: 01020304\n"
        "Pairing failed, see above.\n"
    )
    empty = tmp_path / "empty.btsnoop"
    empty.write_bytes(CAPTURE.read_bytes()[:16])  # the file header, no record
    for path, hint in ((text, True), (empty, False)):
        args = ["analyze", *(["--json"] if as_json else []), str(path)]
        r = bpdiag_in_process(*args)
        assert r.returncode == 2, (path, r.stdout, r.stderr)
        assert r.stderr.startswith(f"bpdiag: {path}: no record could be read; nothing was")
        assert ("bpdiag explain --file" in r.stderr) == hint
        if as_json:
            assert json.loads(r.stdout)["capture"]["records"] == 0
        else:
            assert "nothing was analysed: this says nothing about whether pairing" in r.stdout
    # one record read, none of it about pairing: that is an answer (0)
    assert bpdiag_in_process("analyze", str(CAPTURE)).returncode == 0
