"""Analysis plus diagnosis: the one call behind ``bpdiag analyze``, ``check`` and the TUI.

Reads the capture (``analysis.run``), then runs the rule catalogue (``rules``) and the
"what would work" advice over the result.
"""

from __future__ import annotations

import os

from bpdiag.analysis.model import Analysis
from bpdiag.analysis.run import Progress, analyze_file
from bpdiag.rules import run_rules
from bpdiag.rules.advice import suggestions
from bpdiag.rules.tools import with_tools


def diagnose(analysis: Analysis) -> Analysis:
    analysis.findings = with_tools(analysis, run_rules(analysis))
    analysis.suggestions = suggestions(analysis)
    return analysis


def diagnose_file(path: str | os.PathLike[str], progress: Progress | None = None) -> Analysis:
    return diagnose(analyze_file(path, progress))
