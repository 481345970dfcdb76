"""Analysis plus diagnosis: the one path behind ``bpdiag analyze``, ``check``, ``compare``,
``batch``, ``pair``, the TUI and ``bpdiag.analyze``.

Reads the capture (``analysis.run.Reading``, with a ``Job`` for progress and cancellation),
then runs the rule catalogue (``rules``) and the "what would work" advice over the result.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from bpdiag.analysis.model import Analysis
from bpdiag.analysis.run import Job, Progress, Reading, analyze_file
from bpdiag.crypto.keyring import Keyring
from bpdiag.rules.diagnosis import Diagnosed, diagnosis_of


def diagnose(analysis: Analysis) -> Diagnosed:
    """``analysis`` with the diagnosis the rules draw from it (``analysis`` is not changed)."""
    return Diagnosed.of(analysis, diagnosis_of(analysis))


def diagnose_file(
    path: str | os.PathLike[str], progress: Progress | None = None, keys: Keyring | None = None
) -> Diagnosed:
    """The diagnosed analysis of one capture file: ``analyze_file`` and the rules over it."""
    return diagnose(analyze_file(path, progress, keys))


def diagnose_inputs(
    path: str | os.PathLike[str], keys: Keyring | None = None, job: Job | None = None
) -> Iterator[Diagnosed]:
    """One diagnosed analysis per capture in ``path``: one for a capture file or standard
    input (``"-"``), one per HCI log inside an Android bug report zip (its ``capture.path``
    names the entry, ``zip:entry``).  Raises ``UnreadableCapture`` like ``diagnose_file``."""
    from bpdiag.capture.bugreport import open_inputs

    last = None
    for inp in open_inputs(path):
        analysis = Reading(inp.name, keys, inp.capture, job).analyse()
        analysis.problems[:0] = inp.problems
        last = inp, analysis
        yield diagnose(analysis)
    if last is not None:  # damage the archive showed after its last capture: told with it
        last[1].problems.extend(last[0].after)
