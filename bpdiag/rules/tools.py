"""Which host tools the capture shows at work, so advice names the tools in use.

gatttool is deprecated in BlueZ: the fixes and "what would work" name bluetoothctl, bleak and
the stacks' APIs, and add the gatttool option only where the capture shows gatttool running
(a btmon capture names the process behind each socket it opens, Vol: BlueZ btsnoop monitor
Control Open records; a log line may name it too).
"""

from __future__ import annotations

from typing import Any

from bpdiag.analysis.model import Analysis

# The gatttool option that does what each finding's fix asks, added when gatttool is seen.
GATTTOOL_FIX = {
    "mitm-unsatisfiable": "gatttool (seen in this capture): `--sec-level=medium`, not high.",
    "peer-requires-mitm": "gatttool (seen in this capture): `--sec-level=high`.",
    "pairing-not-supported": "gatttool (seen in this capture): `--sec-level=low`.",
    "insufficient-authentication": "gatttool (seen in this capture): `--sec-level=medium`.",
    "insufficient-encryption": "gatttool (seen in this capture): `--sec-level=medium`.",
}


def gatttool_seen(analysis: Analysis) -> bool:
    for ev in analysis.monitor:
        for value in ev.values.values():
            if isinstance(value, str) and "gatttool" in value:
                return True
    return False


def with_tools(analysis: Analysis, findings: list[Any]) -> list[Any]:
    """Add the gatttool option to the fixes that have one, where gatttool is in use."""
    if not gatttool_seen(analysis):
        return findings
    for f in findings:
        extra = GATTTOOL_FIX.get(f.code)
        if extra and extra not in f.fix:
            f.fix = f"{f.fix} {extra}"
    return findings
