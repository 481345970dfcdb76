"""Findings from keys: an encryption with a key the capture's pairing with that peer did not
give (evidence for a lost bond), and encrypted packets the capture tool could not decrypt
(capture quality, not a MIC failure on the link).

Spec: Vol 3, Part H, 2.4.4 (encryption with a stored LTK) and 3.6 (key distribution);
Vol 6, Part E, 2 (MIC); Vol 4, Part E, 7.8.24–7.8.25 (the LTK the host hands its controller).
"""

from __future__ import annotations

from collections.abc import Iterator

from bpdiag.analysis.model import Analysis
from bpdiag.rules.base import Finding, check, finding, rule

STALE_KEY = rule("ltk-from-other-pairing")
SNIFFER_KEY = rule("sniffer-lacked-key")


@check
def key_findings(analysis: Analysis) -> Iterator[Finding]:
    for k in analysis.key_checks:
        if k.verdict != "other-pairing":
            continue
        yield finding(
            STALE_KEY,
            f"The encryption at #{k.frame} used an LTK other than the one the pairing with "
            f"{k.peer} gave (keys at #{k.source_frame}): evidence that the bond is lost on one "
            "side (bond-lost).",
            [k.source_frame, k.frame] if k.source_frame else [k.frame],
            connection=k.connection,
        )
    n = analysis.sniffer_bad_mic
    if n:
        d = analysis.decryption
        opened = d.decrypted if d is not None else 0
        tail = (
            f" bpdiag decrypted {opened} encrypted packet(s) with a key it knew or recovered."
            if opened
            else " bpdiag had no key that verified their MIC either."
        )
        yield finding(
            SNIFFER_KEY,
            f"{n} packet(s) are flagged encrypted with a bad MIC by the capture tool: the "
            f"sniffer lacked the key — the capture, not a MIC failure on the link.{tail}",
            [],
        )
