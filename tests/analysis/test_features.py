"""A pairing's feature exchange as the capture holds it: request first, either half missing."""

from __future__ import annotations

from bpdiag.analysis.features import Exchange, exchanged
from tests.rules.analyses import _pairing


def test_request_then_response() -> None:
    p = _pairing(1, 1, request=True, response=True)
    assert [(which, f.frame) for which, f in exchanged(p)] == [
        (Exchange.REQUEST, 101),
        (Exchange.RESPONSE, 102),
    ]


def test_a_missing_half_is_left_out() -> None:
    assert [w for w, _ in exchanged(_pairing(1, 1, request=True, response=False))] == ["request"]
    assert [w for w, _ in exchanged(_pairing(1, 1, request=False, response=True))] == ["response"]
    assert list(exchanged(_pairing(1, 1, request=False, response=False))) == []
