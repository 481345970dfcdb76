"""Findings from keys: an encryption with a key the capture's pairing with that peer did not
give (evidence for a lost bond), and encrypted packets the capture tool could not decrypt
(capture quality, not a MIC failure on the link).

Spec: Vol 3, Part H, 2.4.4 (encryption with a stored LTK) and 3.6 (key distribution);
Vol 6, Part E, 2 (MIC); Vol 4, Part E, 7.8.24–7.8.25 (the LTK the host hands its controller).
"""

from __future__ import annotations

from collections.abc import Iterator

from bpdiag.analysis.model import Analysis
from bpdiag.rules.base import Finding, RuleInfo, Severity, check, finding, rule

STALE_KEY = rule(
    RuleInfo(
        code="ltk-from-other-pairing",
        severity=Severity.WARNING,
        title="Encryption used an LTK that this peer's pairing in the capture did not give",
        spec="Vol 3, Part H, 2.4.4 and 3.6.2–3.6.3; Vol 4, Part E, 7.8.24–7.8.25",
        explanation=(
            "The capture shows a pairing with this peer and the keys it gave; a later "
            "encryption used another LTK. One side kept a key from an older pairing (or one "
            "with another device) — the bond is lost on one side, and the encryption fails "
            "with PIN or Key Missing (0x06) or a MIC failure (0x3D)."
        ),
        fix=(
            "Remove the bond on both sides and pair again: BlueZ `bluetoothctl remove <addr>`; "
            "Android: Settings → Bluetooth → Forget; Zephyr: `bt_unpair()`."
        ),
    )
)

SNIFFER_KEY = rule(
    RuleInfo(
        code="sniffer-lacked-key",
        severity=Severity.INFO,
        title="The sniffer could not decrypt encrypted packets (it lacked the key)",
        spec="Vol 6, Part E, 2 (MIC); nRF Sniffer / PHDR MIC flags",
        explanation=(
            "The capture tool flagged packets as encrypted with a MIC it could not verify: it "
            "did not have the link's key (it follows only a pairing it saw whole, or a key it "
            "was given). This is about the capture, not a MIC failure between the devices."
        ),
        fix=(
            "Give bpdiag the key (`--ltk`, `--keys`, `--keys-from host.btsnoop`), or capture "
            "the pairing itself; nRF Sniffer: enter the LTK or passkey in its toolbar."
        ),
    )
)


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
