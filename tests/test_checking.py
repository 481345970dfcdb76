"""`bpdiag check` for machines: JUnit XML, a folder without expectations, `--update` with
tomlkit (comments, hex values and hand-written descriptions survive; the result is TOML that
tomllib reads), and the failures it must report instead of raising."""

from __future__ import annotations

import shutil
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from bpdiag import checking
from tests.conftest import OWN
from tests.helpers import bpdiag_in_process

run = bpdiag_in_process  # what check prints and its status; nothing a fresh process adds


def folder_with(tmp_path: Path, *names: str, toml: str | None = None) -> Path:
    for n in names:
        shutil.copy(OWN / n, tmp_path / n)
    if toml is not None:
        (tmp_path / "expectations.toml").write_text(toml, encoding="utf-8")
    return tmp_path


def test_junit_one_testcase_per_capture_with_the_mismatch_text(tmp_path: Path) -> None:
    d = folder_with(
        tmp_path,
        "not_in_pairing_mode.btsnoop",
        "sc_justworks_success.btsnoop",
        toml='[a]\nfile = "not_in_pairing_mode.btsnoop"\nfindings = ["mitm-unsatisfiable"]\n'
        '[b]\nfile = "sc_justworks_success.btsnoop"\nfindings = []\n'
        '[c]\nfile = "gone.btsnoop"\n',
    )
    out = tmp_path / "out" / "junit.xml"
    out.parent.mkdir()
    r = run("check", str(d), "--junit", str(out))
    assert r.returncode == 1
    assert f"wrote JUnit XML to {out}" in r.stdout
    suite = ET.parse(out).getroot().find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures")) == ("3", "2")
    cases = {c.get("name"): c for c in suite.iter("testcase")}
    assert set(cases) == {"a", "b", "c"}
    assert cases["b"].find("failure") is None
    fa = cases["a"].find("failure")
    assert fa is not None and fa.text is not None
    line = (
        "MISMATCH a: finding codes: expected ['mitm-unsatisfiable'], got ['pairing-mode-inactive']"
    )
    assert fa.text == line and line in r.stdout
    fc = cases["c"].find("failure")
    assert fc is not None and "listed capture is missing" in (fc.text or "")


def test_one_mismatch_is_singular(tmp_path: Path) -> None:
    d = folder_with(
        tmp_path,
        "not_in_pairing_mode.btsnoop",
        toml='[a]\nfile = "not_in_pairing_mode.btsnoop"\nfindings = []\n',
    )
    r = run("check", str(d))
    assert r.stdout.splitlines()[-1] == "1 capture checked, 1 mismatch"


def test_folder_without_expectations_says_so_and_suggests_update(tmp_path: Path) -> None:
    d = folder_with(tmp_path, "not_in_pairing_mode.btsnoop")
    r = run("check", str(d))
    assert r.returncode == 2
    assert "MISMATCH" not in r.stdout
    assert "expectations.toml does not exist" in r.stderr
    assert f"bpdiag check {d} --update" in r.stderr


HAND_WRITTEN = """\
# Our firmware's pairing captures. Keep this comment.

[a]  # the Omron story
file = "not_in_pairing_mode.btsnoop"
description = "written by hand"
findings = ["pairing-mode-inactive"]
ticket = "FW-123"  # a key bpdiag does not compute

[[a.pairings]]
outcome = "failed"
failure_reason = 0x08
failure_sent_by = "responder"

[broken]
file = "broken.btsnoop"
description = "kept although it cannot be read"
findings = ["bond-lost"]
"""


def test_update_keeps_comments_unchanged_values_and_unreadable_entries(tmp_path: Path) -> None:
    d = folder_with(
        tmp_path,
        "not_in_pairing_mode.btsnoop",
        "sc_justworks_success.btsnoop",
        toml=HAND_WRITTEN,
    )
    (d / "broken.btsnoop").write_bytes(b"not a capture at all")
    r = run("check", str(d), "--update")
    assert r.returncode == 1, r.stderr  # a capture could not be read
    assert "kept the old entry of broken.btsnoop" in r.stderr
    text = (d / "expectations.toml").read_text()
    # nothing of the hand-written entry changed: comments, hex, extra keys
    assert text.startswith(HAND_WRITTEN)
    data = tomllib.loads(text)
    assert data["broken"]["description"] == "kept although it cannot be read"
    assert data["sc_justworks_success"]["findings"] == []
    assert data["sc_justworks_success"]["pairings"][0]["outcome"] == "success"
    # and the result checks clean apart from the unreadable capture
    c = run("check", str(d))
    assert c.stdout.splitlines() == [
        "MISMATCH broken.btsnoop: unreadable: expected 'readable', "
        "got 'not a capture format bpdiag reads'",
        "2 captures checked, 1 mismatch",
    ]


def test_update_writes_a_description_with_newlines_as_valid_toml(tmp_path: Path) -> None:
    d = folder_with(
        tmp_path,
        "not_in_pairing_mode.btsnoop",
        toml='[a]\nfile = "not_in_pairing_mode.btsnoop"\ndescription = "one\\ntwo \\"q\\""\n',
    )
    checking.update(d)
    data = tomllib.loads((d / "expectations.toml").read_text())
    assert data["a"]["description"] == 'one\ntwo "q"'
    assert data["a"]["findings"] == ["pairing-mode-inactive"]


def test_update_into_a_missing_directory_is_one_line(tmp_path: Path) -> None:
    d = folder_with(tmp_path, "not_in_pairing_mode.btsnoop")
    r = run("check", str(d), "--update", "--file", str(tmp_path / "nope" / "e.toml"))
    assert r.returncode == 2
    assert r.stderr.strip() == (
        f"bpdiag: cannot write {tmp_path / 'nope' / 'e.toml'}: "
        f"the directory {tmp_path / 'nope'} does not exist"
    )


def test_update_in_a_read_only_directory_loses_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    d = folder_with(tmp_path, "not_in_pairing_mode.btsnoop", toml=HAND_WRITTEN)
    before = (d / "expectations.toml").read_text()

    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    # as root a chmod 0555 directory is still writable; refuse the way the kernel would
    monkeypatch.setattr(checking.tempfile, "mkstemp", refuse)
    with pytest.raises(checking.CheckSetupError, match=r"cannot write .*Permission denied"):
        checking.update(d)
    assert (d / "expectations.toml").read_text() == before


def test_update_then_check_round_trips_the_bundled_captures(tmp_path: Path) -> None:
    d = tmp_path / "caps"
    shutil.copytree(OWN, d)
    before = (d / "expectations.toml").read_text()
    r = run("check", str(d), "--update")
    assert r.returncode == 0, r.stderr
    # the analysis agrees with the file: --update changes nothing, not even formatting
    assert (d / "expectations.toml").read_text() == before
