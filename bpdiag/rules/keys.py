"""Findings from keys: an encryption with a key the capture's pairing with that peer did not
give (evidence for a lost bond), and encrypted packets the capture tool could not decrypt
(capture quality, not a MIC failure on the link).

An Identity Address Information that names a random address which is no static address is
no identity a peer can accept.

Spec: Vol 3, Part H, 2.4.4 (encryption with a stored LTK) and 3.6 (key distribution, 3.6.5
Identity Address Information); Vol 6, Part B, 1.3.2.1 (static address);
Vol 6, Part E, 2 (MIC); Vol 4, Part E, 7.8.24–7.8.25 (the LTK the host hands its controller).
"""

from __future__ import annotations

from collections.abc import Iterator

from bpdiag.analysis.model import Analysis, Role
from bpdiag.decode import smp
from bpdiag.rules.base import Finding, check, finding, rule

STALE_KEY = rule("ltk-from-other-pairing")
SNIFFER_KEY = rule("sniffer-lacked-key")
NOT_STATIC = rule("identity-address-not-static")

_IDENTITY_ADDRESS = int(smp.CommandCode.IDENTITY_ADDRESS_INFORMATION)
_STATIC_RANDOM = 0x01  # AddrType of Identity Address Information (3.6.5)


def _who(sender: Role) -> str:
    return f"The {sender}" if sender in (Role.CENTRAL, Role.PERIPHERAL) else "One side"


@check
def identity_addresses(analysis: Analysis) -> Iterator[Finding]:
    """A random identity address must be static: its two most significant bits 1 (Vol 6,
    Part B, 1.3.2.1), the rest neither all 0s nor all 1s."""
    for p in analysis.pairings:
        if not any(k.key == "Identity Address" for k in p.keys):
            continue  # (most pairings: their steps are not read)
        for step in p.steps:
            if step.code != _IDENTITY_ADDRESS:
                continue
            m = step.msg
            if not isinstance(m, smp.IdentityAddressInformation) or len(m.address) != 6:
                continue
            if m.address_type != _STATIC_RANDOM or not any(m.address):
                continue  # public, or all zero: a log that did not give the address
            top = m.address[5] >> 6  # wire order: the most significant octet last
            rest = int.from_bytes(m.address, "little") & ((1 << 46) - 1)
            if top == 0b11 and rest not in (0, (1 << 46) - 1):
                continue
            why = (
                f"its two most significant bits are {top:02b}, not 11"
                if top != 0b11
                else "its other 46 bits are all " + ("0" if rest == 0 else "1")
            )
            yield finding(
                NOT_STATIC,
                f"{_who(step.sender)} sent Identity Address Information at #{step.frame} with "
                f"the random address {smp.format_bd_addr(m.address)}, which is no static "
                f"address ({why}; Vol 6, Part B, 1.3.2.1): a peer that checks it refuses the "
                "key, with Pairing Failed Invalid Parameters (0x0A).",
                [step.frame],
                connection=p.connection,
                pairing=p.id,
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
