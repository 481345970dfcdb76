"""The diagnosis: what the rules conclude from an ``Analysis``, kept apart from its facts.

``Analysis`` holds what the capture shows (connections, pairings, encryptions, problems);
``diagnosis_of`` reads it and returns a ``Diagnosis`` (the findings in report order and the
"what would work" suggestions) without changing it.  ``Diagnosed`` is the two together: the
analysis with the diagnosis drawn from it, which ``bpdiag.analyze`` returns and the reports
read (``findings`` and ``suggestions`` are the diagnosis's, as docs/api.md promises).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from bpdiag.analysis.model import Analysis
from bpdiag.rules import run_rules
from bpdiag.rules.advice import Suggestion, suggestions
from bpdiag.rules.base import Finding
from bpdiag.rules.tools import with_tools


@dataclass(slots=True)
class Diagnosis:
    """The findings (report order: connection, first evidence frame, severity) and the
    suggestions for failed pairings that the rules drew from one analysis."""

    findings: list[Finding] = field(default_factory=list)
    suggestions: list[Suggestion] = field(default_factory=list)


def diagnosis_of(analysis: Analysis) -> Diagnosis:
    """Run the rule catalogue and the advice over ``analysis``, which stays as it was."""
    return Diagnosis(with_tools(analysis, run_rules(analysis)), suggestions(analysis))


@dataclass(slots=True)
class Diagnosed(Analysis):
    """An analysis together with its diagnosis: every fact of ``Analysis`` and the
    diagnosis's ``findings`` and ``suggestions``."""

    diagnosis: Diagnosis = field(default_factory=Diagnosis)

    @classmethod
    def of(cls, analysis: Analysis, diagnosis: Diagnosis) -> Diagnosed:
        """``analysis`` (its fields, not copies of them) with ``diagnosis``."""
        facts = {f.name: getattr(analysis, f.name) for f in dataclasses.fields(Analysis)}
        return cls(**facts, diagnosis=diagnosis)

    @property
    def findings(self) -> list[Finding]:
        return self.diagnosis.findings

    @property
    def suggestions(self) -> list[Suggestion]:
        return self.diagnosis.suggestions
