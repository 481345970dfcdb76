"""What decrypting the capture achieved, as facts for the report (no key values).

``note_decryption`` fills ``Analysis.decryption`` from the ``LinkDecryptor`` of an air
capture: packets decrypted, encrypted packets no known key opened, packet counter values
skipped (packets the sniffer missed, Vol 6, Part E, 2.1), and which kind of key opened each
encryption.  Key files that could not be read become problems.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bpdiag.analysis.model import Analysis
from bpdiag.capture.record import Problem
from bpdiag.crypto.decryptor import LinkDecryptor
from bpdiag.crypto.keyring import Keyring
from bpdiag.errors import Stage


@dataclass(slots=True)
class Decryption:
    decrypted: int
    not_decrypted: int
    counters_skipped: int
    keys: list[dict[str, Any]] = field(default_factory=list)  # {access_address, frame, key}


def note_decryption(analysis: Analysis, dec: LinkDecryptor | None, keys: Keyring) -> None:
    for message in keys.problems:
        analysis.problems.append(Problem(None, None, message, Stage.KEYS))
    keys.problems.clear()
    if dec is None or not (dec.decrypted or dec.failed):
        return
    analysis.decryption = Decryption(
        dec.decrypted,
        dec.failed,
        dec.skipped_counters,
        [
            {"access_address": f"0x{u.access_address:08x}", "frame": u.frame, "key": u.source}
            for u in dec.uses
        ],
    )
