"""bpdiag: tells you why Bluetooth LE pairing failed, from a capture.

The Python API (docs/api.md; kept stable like the JSON of docs/json.md)::

    import bpdiag

    result = bpdiag.analyze("capture.btsnoop")
    for pairing in result.pairings:
        print(pairing.id, pairing.outcome, pairing.method)
    for finding in result.findings:
        print(finding.code, finding.severity, finding.title)
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from bpdiag.analysis.job import Progress
    from bpdiag.analysis.model import Analysis as Analysis
    from bpdiag.errors import BpdiagError as BpdiagError
    from bpdiag.rules.advice import Suggestion as Suggestion
    from bpdiag.rules.base import Finding as Finding
    from bpdiag.rules.diagnosis import Diagnosed as Diagnosed
    from bpdiag.rules.diagnosis import Diagnosis as Diagnosis

__all__ = [
    "Analysis",
    "BpdiagError",
    "Diagnosed",
    "Diagnosis",
    "Finding",
    "Suggestion",
    "__version__",
    "analyze",
]

# The names above, imported on first use: `import bpdiag` stays light.
_LAZY = {
    "Analysis": ("bpdiag.analysis.model", "Analysis"),
    "BpdiagError": ("bpdiag.errors", "BpdiagError"),
    "Diagnosed": ("bpdiag.rules.diagnosis", "Diagnosed"),
    "Diagnosis": ("bpdiag.rules.diagnosis", "Diagnosis"),
    "Finding": ("bpdiag.rules.base", "Finding"),
    "Suggestion": ("bpdiag.rules.advice", "Suggestion"),
}


def analyze(path: str | os.PathLike[str], progress: Progress | None = None) -> Diagnosed:
    """Read the capture at ``path`` (any format bpdiag reads, chosen by its magic bytes),
    rebuild its connections and pairings and run the rule catalogue: the same result as
    ``bpdiag analyze --json``, as objects: an ``Analysis`` (the facts) with the ``Diagnosis``
    the rules drew from it (``diagnosis``; its findings and "what would work" are also
    ``findings`` and ``suggestions``).

    Damage in the file does not raise: it is in ``Analysis.problems``, and what was read is
    analysed. Raises ``bpdiag.BpdiagError`` when the file is not a capture bpdiag can read at
    all (no such file, unknown magic, empty file) and ``OSError`` for other failures to open it
    (permissions).
    ``progress(done_bytes, total_bytes)`` is called now and then on large files."""
    from bpdiag.diagnose import diagnose_file

    return diagnose_file(path, progress)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(f"module 'bpdiag' has no attribute {name!r}")
