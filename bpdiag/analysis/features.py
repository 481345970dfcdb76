"""A pairing's feature exchange (Vol 3, Part H, 2.3.1, 3.5.1–3.5.2): the Pairing Request and
Pairing Response the capture holds, request first, each with which one it is."""

from __future__ import annotations

from collections.abc import Iterator
from enum import StrEnum

from bpdiag.analysis.model import Features, Pairing


class Exchange(StrEnum):
    """Which half of the feature exchange a ``Features`` is."""

    REQUEST = "request"
    RESPONSE = "response"


def exchanged(p: Pairing) -> Iterator[tuple[Exchange, Features]]:
    """The Pairing Request's and the Pairing Response's features that ``p`` holds, in that
    order (a capture may lack either)."""
    for which, features in ((Exchange.REQUEST, p.request), (Exchange.RESPONSE, p.response)):
        if features is not None:
            yield which, features
