"""Small things a newcomer met on the command line (issue 12): compare names the file it
cannot read and keeps its columns apart, transports are checked before anything opens, --io
takes any case, and pair --help lists the simulated peer's knobs."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import OWN
from tests.helpers import bpdiag_in_process

run = bpdiag_in_process  # each a status and a message: nothing a fresh interpreter adds


def test_compare_names_the_missing_file() -> None:
    r = run("compare", str(OWN / "mitm_unsatisfiable.btsnoop"), "nope")
    assert r.returncode == 2
    assert r.stderr.strip() == "bpdiag: nope: no such file"


def test_unknown_transport_is_a_usage_error_before_anything_opens() -> None:
    for cmd in (["sim", "omron-bpm"], ["pair", "AA:BB:CC:DD:EE:FF"]):
        r = run(*cmd, "--transport", "bogus:1")
        assert r.returncode == 2
        assert "unknown transport 'bogus:1'" in r.stderr and "(usage)" in r.stderr
        assert "advertising" not in r.stderr and "opening" not in r.stderr


def test_sim_says_advertising_only_once_it_is() -> None:
    # no controller here: usb:0 cannot be opened, and nothing claims it is advertising
    r = run("sim", "omron-bpm", "--transport", "usb:0")
    assert r.returncode == 2
    assert "advertising" not in r.stderr and "cannot open transport usb:0" in r.stderr


def test_io_takes_any_case_and_help_lists_the_knobs(tmp_path: object) -> None:
    from bpdiag.live.profiles import _KNOBS

    help_text = " ".join(run("pair", "--help").stdout.split())
    for profile, knobs in _KNOBS.items():
        assert f"{profile} knobs:" in help_text
        for knob in knobs:
            assert f"{knob}=" in help_text, knob
    r = run("pair", "x", "--io", "noinputnooutput", "--transport", "bogus:1")
    assert "Invalid value for '--io'" not in r.stderr  # the case was accepted


def test_analyze_in_process_leaves_the_collector_on() -> None:
    # analyze pauses cyclic collection for the command; a caller's process gets it back
    import gc

    from click.testing import CliRunner

    from bpdiag.cli import main

    assert gc.isenabled()
    result = CliRunner().invoke(main, ["analyze", "--json", "captures/not_in_pairing_mode.btsnoop"])
    assert result.exit_code == 1, result.output
    assert gc.isenabled()


def test_a_text_log_is_not_called_a_btsnoop_file(tmp_path: Path) -> None:
    # A text log has no link type: the header says its lines were read as monitor records,
    # not that the file was a btsnoop one; a text with no record read names no link type.
    log = tmp_path / "paste.txt"
    log.write_text(
        "< HCI Command: LE Set Scan Enable (0x08|0x000c) plen 2\n"
        "        Scanning: Enabled (0x01)\n"
        "        Filter duplicates: Enabled (0x01)\n"
    )
    r = run("analyze", "--json", str(log))
    cap = json.loads(r.stdout)["capture"]
    assert cap["format"] == "btmon-text"
    assert cap["link_type_name"] == "text (read as Linux monitor records)"
    assert "btsnoop" not in run("analyze", str(log)).stdout.splitlines()[0]
