"""Recorded captures as regression tests: an expectations file beside a folder of captures.

``bpdiag check DIR`` reads ``DIR/expectations.toml``, analyses every capture it lists and
compares; ``--update`` writes what the current analysis says.  The file format (one table
per capture, keyed by a name):

```toml
[not_in_pairing_mode]
file = "not_in_pairing_mode.btsnoop"
description = "free text"
findings = ["pairing-mode-inactive"]     # finding codes, in report order (optional)

[[not_in_pairing_mode.pairings]]          # one per pairing, in order
outcome = "failed"                        # success | failed | incomplete
method = "just_works"                     # optional
secure_connections = false                # optional
failure_reason = 8                        # optional
failure_sent_by = "responder"             # optional

[[not_in_pairing_mode.encryptions]]       # optional: every encryption, in order
status = 0
after_pairing = true
```

Keys that are absent are not checked, so a hand-written file can say only what matters.
``bpdiag/checking.py`` runs the check and writes updates (with tomlkit, keeping comments).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # an annotation only: pytest_plugin imports this module at plugin load
    from bpdiag.rules.diagnosis import Diagnosed

FILE_NAME = "expectations.toml"
_PAIRING_KEYS = ("outcome", "method", "secure_connections", "failure_reason", "failure_sent_by")


@dataclass(slots=True)
class Mismatch:
    capture: str
    what: str
    expected: Any
    got: Any

    def __str__(self) -> str:
        return f"{self.capture}: {self.what}: expected {self.expected!r}, got {self.got!r}"


@dataclass(slots=True)
class CheckResult:
    checked: int = 0
    mismatches: list[Mismatch] = field(default_factory=list)


def load(path: Path) -> dict[str, dict[str, Any]]:
    return tomllib.loads(path.read_text(encoding="utf-8"))


def observed(analysis: Diagnosed, file: str, description: str = "") -> dict[str, Any]:
    """The expectation entry that the current analysis would write."""
    pairings = []
    for p in analysis.pairings:
        # plain strings, as expectations.toml holds them (not the enum members)
        entry: dict[str, Any] = {"outcome": str(p.outcome)}
        if p.method is not None:
            entry["method"] = str(p.method)
        if p.secure_connections is not None:
            entry["secure_connections"] = p.secure_connections
        if p.failure is not None:
            entry["failure_reason"] = p.failure.reason
            entry["failure_sent_by"] = str(p.failure.sent_by)
        pairings.append(entry)
    return {
        "file": file,
        "description": description,
        "findings": [f.code for f in analysis.findings],
        "pairings": pairings,
        "encryptions": [
            {"status": e.status, "after_pairing": e.after_pairing} for e in analysis.encryptions
        ],
    }


def compare(name: str, expected: dict[str, Any], got: dict[str, Any]) -> list[Mismatch]:
    out: list[Mismatch] = []
    if "findings" in expected and expected["findings"] != got["findings"]:
        out.append(Mismatch(name, "finding codes", expected["findings"], got["findings"]))
    if "pairings" in expected:
        want, have = expected["pairings"], got["pairings"]
        if len(want) != len(have):
            out.append(
                Mismatch(
                    name,
                    "number of pairings",
                    [w.get("outcome") for w in want],
                    [h.get("outcome") for h in have],
                )
            )
        for i, (w, h) in enumerate(zip(want, have, strict=False), start=1):
            for key in _PAIRING_KEYS:
                if key in w and w[key] != h.get(key):
                    out.append(Mismatch(name, f"pairing {i} {key}", w[key], h.get(key)))
    if "encryptions" in expected:
        want_e = [(e["status"], e["after_pairing"]) for e in expected["encryptions"]]
        have_e = [(e["status"], e["after_pairing"]) for e in got["encryptions"]]
        if want_e != have_e:
            out.append(Mismatch(name, "encryptions (status, after_pairing)", want_e, have_e))
    return out


def captures_in(directory: Path) -> list[Path]:
    from bpdiag.capture import sniff_format

    out = []
    for p in sorted(directory.iterdir()):
        if p.is_file() and p.name != FILE_NAME and sniff_format(p) is not None:
            out.append(p)
    return out
