"""The TUI's rerun dialog and compare view: prefilled from the selected pairing, run exactly as
``bpdiag pair`` runs (Bumble's SMP stack against a simulated peer), compared side by side."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

pytest.importorskip("textual")
pytest.importorskip("bumble")

from textual.widgets import Button, Checkbox, DataTable, Input, Select, Static

from bpdiag.diagnose import diagnose_file
from bpdiag.live.attempt import AttemptSpec, make_backend, run
from bpdiag.live.base import PairParams
from bpdiag.tui.app import BpdiagApp, make_app
from bpdiag.tui.model import peer_profile, rerun_defaults
from bpdiag.tui.rerun import CompareScreen, RerunScreen
from tests.conftest import ROOT
from tests.tui.pilot import loaded, running

FAILED = "captures/not_in_pairing_mode.btsnoop"
PASSKEY = "captures/legacy_passkey_success.btsnoop"
SIZE = (150, 44)


async def _until(pilot: object, app: BpdiagApp, screen: type, tries: int = 400) -> None:
    for _ in range(tries):
        await pilot.pause(0.05)  # type: ignore[attr-defined]
        if isinstance(app.screen, screen):
            await pilot.pause()  # type: ignore[attr-defined]  # let it mount
            return
    raise AssertionError(f"{screen.__name__} did not open")


async def _run_into(pilot: object, app: BpdiagApp, capture: Path) -> CompareScreen:
    """Run the rerun dialog's attempt, recorded to ``capture``; the comparison it opens."""
    app.screen.query_one("#capture", Input).value = str(capture)
    app.screen.query_one("#run", Button).press()
    await _until(pilot, app, CompareScreen)
    screen = app.screen
    assert isinstance(screen, CompareScreen)
    return screen


async def _compare_with(pilot: object, app: BpdiagApp, other: str) -> None:
    """Open the compare view (v) on ``other`` and wait for the comparison to show."""
    await pilot.press("v")  # type: ignore[attr-defined]
    await pilot.pause()  # type: ignore[attr-defined]
    app.screen.query_one("#other", Input).value = other
    await pilot.press("enter")  # type: ignore[attr-defined]
    await _until(pilot, app, CompareScreen)


def _form(screen: object) -> dict[str, object]:
    values: dict[str, object] = {i.id: i.value for i in screen.query(Input)}  # type: ignore[attr-defined]
    values |= {s.id: s.value for s in screen.query(Select)}  # type: ignore[attr-defined]
    values |= {c.id: c.value for c in screen.query(Checkbox)}  # type: ignore[attr-defined]
    return values


def _rows(screen: CompareScreen) -> dict[str, tuple[str, str, str]]:
    table = screen.query_one("#compare-table", DataTable)
    rows = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
    return {r[1]: (r[0], r[2], r[3]) for r in rows}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (
            FAILED,
            {
                "io": "KeyboardDisplay",
                "mitm": False,
                "sc": True,
                "bond": True,
                "key_size": "16",
                "sim": "generic:sc=off,refuse=0x08",
                "init_keys": "EncKey,IdKey",
                "resp_keys": "EncKey,IdKey",
            },
        ),
        (
            PASSKEY,
            {
                "io": "KeyboardOnly",
                "mitm": True,
                "sc": False,
                "bond": True,
                "key_size": "16",
                "sim": "generic:io=DisplayOnly,mitm=on,sc=off",
            },
        ),
    ],
)
async def test_dialog_is_prefilled_from_the_selected_pairing(
    path: str, expected: dict[str, object]
) -> None:
    async with running(make_app(path), size=SIZE) as (app, pilot):
        await pilot.press("p")
        await _until(pilot, app, RerunScreen)
        form = _form(app.screen)
        assert {k: form[k] for k in expected} == expected
        assert form["target"] == "F0:0D:00:00:00:02"  # the recorded peripheral
        assert form["forget_bond"] is False and form["backend"] == "bumble"
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, RerunScreen)


async def test_rerun_runs_and_the_compare_view_explains(tmp_path: Path) -> None:
    async with running(make_app(FAILED), size=SIZE) as (app, pilot):
        await pilot.press("p")
        await _until(pilot, app, RerunScreen)
        app.screen.query_one("#sim", Input).value = "omron-bpm:pairing-mode=on"
        app.screen.query_one("#capture", Input).value = str(tmp_path / "rerun.btsnoop")
        app.screen.query_one("#sim", Input).focus()
        await pilot.press("enter")  # Enter in a field runs, like the Run button
        await _until(pilot, app, CompareScreen)
        rows = _rows(app.screen)  # type: ignore[arg-type]
        assert rows["outcome"] == ("≠", "failed", "success")
        assert rows["initiator io"] == ("", "KeyboardDisplay", "KeyboardDisplay")
        summary = str(app.screen.query_one("#compare-summary", Static).render())
        assert "the peer's state" in summary and "Findings A: pairing-mode-inactive" in summary
        assert (tmp_path / "rerun.btsnoop").stat().st_size > 100  # a real recorded attempt
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("v")  # the last rerun again
        await _until(pilot, app, CompareScreen)
        assert _rows(app.screen)["outcome"][2] == "success"  # type: ignore[arg-type]


async def test_rerun_with_mitm_names_the_parameter(tmp_path: Path) -> None:
    """Changing a parameter that decides the outcome is marked as the explanation."""
    app = make_app("captures/legacy_justworks_success.btsnoop")
    async with running(app, size=SIZE) as (app, pilot):
        await pilot.press("p")
        await _until(pilot, app, RerunScreen)
        app.screen.query_one("#io", Select).value = "KeyboardDisplay"
        app.screen.query_one("#mitm", Checkbox).value = True
        screen = await _run_into(pilot, app, tmp_path / "mitm.btsnoop")
        [pairing] = screen.result["pairings"]
        assert pairing["outcome_differs"]
        assert "initiator mitm" in pairing["explained_by"]
        assert screen.result["findings"]["b"] == ["mitm-unsatisfiable"]


async def test_form_errors_keep_the_dialog_open() -> None:
    async with running(make_app(FAILED), size=SIZE) as (app, pilot):
        await pilot.press("p")
        await _until(pilot, app, RerunScreen)
        app.screen.query_one("#sim", Input).value = ""
        app.screen.query_one("#run", Button).press()
        await pilot.pause(0.1)
        assert isinstance(app.screen, RerunScreen)
        error = str(app.screen.query_one("#rerun-error", Static).render())
        assert "simulated peer or a transport" in error
        app.screen.query_one("#sim", Input).value = "generic"
        app.screen.query_one("#key_size", Input).value = "40"
        app.screen.query_one("#run", Button).press()
        await pilot.pause(0.1)
        assert "--key-size must be between 7 and 16" in str(
            app.screen.query_one("#rerun-error", Static).render()
        )


async def test_compare_view_with_another_capture() -> None:
    async with running(make_app(FAILED), size=SIZE) as (app, pilot):
        await _compare_with(pilot, app, "captures/legacy_justworks_success.btsnoop")
        screen = app.screen
        assert isinstance(screen, CompareScreen)
        assert screen.result["b"].endswith("legacy_justworks_success.btsnoop")
        assert _rows(screen)["outcome"] == ("≠", "failed", "success")


@pytest.mark.parametrize(
    "name",
    [
        "not_in_pairing_mode",
        "pairing_not_supported",
        "legacy_justworks_success",
        "sc_justworks_success",
        "mitm_unsatisfiable",
        "invalid_parameters",
    ],
)
def test_the_modelled_peer_answers_like_the_recorded_one(name: str, tmp_path: Path) -> None:
    """Rerunning with the prefilled values against the modelled peer reproduces the
    recorded outcome (and failure reason): the dialog starts from what happened."""
    recorded = diagnose_file(ROOT / "captures" / f"{name}.btsnoop")
    p = recorded.pairings[0]
    d = rerun_defaults(recorded, p.id)
    assert d.sim == peer_profile(p)
    spec = AttemptSpec(
        target=d.target,
        params=PairParams(io=d.io, mitm=d.mitm, sc=d.sc, bond=d.bond, key_size=d.key_size),
        sim=d.sim,
    )
    cap = tmp_path / "rerun.btsnoop"
    run(make_backend(spec), spec, cap)
    [again] = diagnose_file(cap).pairings
    assert again.outcome == p.outcome
    assert (again.failure and again.failure.reason) == (p.failure and p.failure.reason)


@pytest.mark.skipif(os.environ.get("BPDIAG_NO_SNAPSHOTS") == "1", reason="disabled")
def test_compare_view_snapshot(snap_compare) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await loaded(pilot, pilot.app)
        await _compare_with(pilot, pilot.app, "captures/legacy_justworks_success.btsnoop")

    assert snap_compare(make_app(FAILED), terminal_size=SIZE, run_before=run_before)


def _first_records(src: Path, dst: Path, n: int) -> None:
    """A btsnoop with only the first ``n`` records of ``src`` (file header, then records of
    a 24-byte header and the included bytes)."""
    data = src.read_bytes()
    offset = 16
    for _ in range(n):
        included = int.from_bytes(data[offset + 4 : offset + 8], "big")
        offset += 24 + included
    dst.write_bytes(data[:offset])


async def test_rerun_without_a_recorded_pairing(tmp_path: Path) -> None:
    """A capture that only connects (no SMP at all) can still be rerun: pair afresh."""
    cap = tmp_path / "connect_only.btsnoop"
    _first_records(ROOT / FAILED, cap, 31)  # up to the LE Connection Complete
    async with running(make_app(str(cap)), size=SIZE) as (app, pilot):
        assert app.loaded is not None and not app.loaded.analysis.pairings
        await pilot.press("p")
        await _until(pilot, app, RerunScreen)
        form = _form(app.screen)
        assert form["target"] == "F0:0D:00:00:00:02" and form["sim"] == "generic"
        assert "no pairing recorded" in str(app.screen.query_one("#source", Static).render())
        screen = await _run_into(pilot, app, tmp_path / "fresh.btsnoop")
        [pairing] = screen.result["pairings"]
        assert {r["parameter"]: r["b"] for r in pairing["rows"]}["outcome"] == "success"
        assert pairing["explained_by"] == ["A holds no pairing 1: nothing to compare"]
