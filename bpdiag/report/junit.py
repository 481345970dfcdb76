"""``bpdiag check --junit FILE``: the check's results as JUnit XML for CI dashboards.

One ``<testcase>`` per capture (classname ``bpdiag.check.<folder>``, name the entry's name);
a capture with mismatches gets one ``<failure>`` whose message is its first mismatch and whose
text is every ``MISMATCH`` line ``bpdiag check`` prints for it.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bpdiag.checking import CaptureResult


def render_junit(folder_name: str, results: Sequence[CaptureResult], seconds: float) -> str:
    failures = sum(1 for r in results if not r.passed)
    suite = ET.Element(
        "testsuite",
        {
            "name": f"bpdiag check {folder_name}",
            "tests": str(len(results)),
            "failures": str(failures),
            "errors": "0",
            "skipped": "0",
            "time": f"{seconds:.3f}",
        },
    )
    for r in results:
        case = ET.SubElement(
            suite,
            "testcase",
            {"classname": f"bpdiag.check.{folder_name}", "name": r.name, "file": r.file},
        )
        if r.mismatches:
            failure = ET.SubElement(
                case, "failure", {"type": "mismatch", "message": str(r.mismatches[0])}
            )
            failure.text = r.text()
    root = ET.Element("testsuites")
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
