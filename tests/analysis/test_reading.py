"""The one path from a file to its analysis (analysis.run.Reading): read once however it is
consumed, progress reported through its Job, and a cancelled Job stops it."""

from __future__ import annotations

import pytest

from bpdiag.analysis.job import Cancelled, Job
from bpdiag.analysis.run import Reading
from bpdiag.tui.loader import LoadJob, load_capture
from tests.conftest import OWN

CAPTURE = OWN / "legacy_passkey_wrong.btsnoop"


def _outcomes(reading: Reading) -> list[str]:
    return [p.outcome for p in reading.analyse().pairings]


def test_analyse_after_a_loop_goes_on_instead_of_reading_again() -> None:
    reports: list[tuple[int, int]] = []
    reading = Reading(CAPTURE, job=Job(lambda d, t: reports.append((d, t)), every=1))
    seen = sum(1 for _ in reading)
    told = len(reports)
    assert seen > 0 and told > 1 and reports[-1][0] == reports[-1][1]  # ends at the size
    assert _outcomes(reading) == _outcomes(Reading(CAPTURE))
    assert len(reports) == told  # the file was not read a second time


def test_half_a_loop_then_analyse_is_the_whole_analysis() -> None:
    reading = Reading(CAPTURE)
    for i, _ in enumerate(reading):
        if i == 3:
            break
    assert _outcomes(reading) == _outcomes(Reading(CAPTURE)) == ["failed"]


def test_a_cancelled_job_stops_the_reading() -> None:
    job = Job(every=1)
    job.progress = lambda done, total: job.cancel()
    with pytest.raises(Cancelled):
        Reading(CAPTURE, job=job).analyse()


def test_the_tui_loader_counts_rows_and_cancels() -> None:
    heard: list[tuple[int, int, int]] = []
    loaded = load_capture(str(CAPTURE), job=LoadJob(lambda *t: heard.append(t)))
    assert loaded.packets and heard[-1][0] == heard[-1][1]  # the last report: all read
    counts = [n for *_, n in heard]
    assert counts == sorted(counts) and counts[-1] <= len(loaded.packets)
    job = LoadJob()
    job.cancel()
    with pytest.raises(Cancelled):
        load_capture(str(CAPTURE), job=job)


@pytest.mark.parametrize("name", ["legacy_passkey_wrong.btsnoop", "sc_passkey_wrong.btsnoop"])
def test_a_reading_without_checks_skips_them_and_nothing_else(name: str) -> None:
    """``dump`` reads with ``checks=False``: no confirm is recomputed and no passkey searched
    (a pass over 10^6 passkeys per failed legacy pairing), and every fact it prints or exits
    on is that of a full reading."""
    from bpdiag.crypto.keyring import Keyring

    full_keys, bare_keys = Keyring(), Keyring()
    full = Reading(OWN / name, full_keys).analyse()
    bare = Reading(OWN / name, bare_keys, checks=False).analyse()
    assert any(p.checks for p in full.pairings)  # the capture has something to check
    assert not any(p.checks for p in bare.pairings)
    assert bare_keys.passkey_search.spent == 0
    assert bare.failed == full.failed
    for b, f in zip(bare.pairings, full.pairings, strict=True):
        assert (b.outcome, b.method, b.frames, b.failure) == (
            f.outcome,
            f.method,
            f.frames,
            f.failure,
        )
    assert bare.encryptions == full.encryptions and bare.problems == full.problems
