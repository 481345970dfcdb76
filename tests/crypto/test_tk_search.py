"""The legacy passkey search (Vol 3, Part H, 2.3.5.3) against c1 (2.2.3)."""

from __future__ import annotations

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bpdiag.crypto.smp_crypto import c1
from bpdiag.crypto.tk_search import C1Inputs, differing_digits, passkey_tk, search_passkeys

H = bytes.fromhex
# The c1 sample of Vol 3, Part H, 2.2.3: preq 0x07071000000101, pres 0x05000800000302,
# iat 1, rat 0, ia A1A2A3A4A5A6, ra B1B2B3B4B5B6
INPUTS = C1Inputs(
    H("07071000000101"), H("05000800000302"), 1, 0, H("A1A2A3A4A5A6"), H("B1B2B3B4B5B6")
)


def _confirm(passkey: int, rand: bytes) -> bytes:
    i = INPUTS
    return c1(passkey_tk(passkey), rand, i.preq, i.pres, i.iat, i.rat, i.ia, i.ra)


def test_c1_sample_is_found_as_passkey_zero() -> None:
    r = H("5783D52156AD6F0E6388274EC6702EE0")
    assert _confirm(0, r) == H("1e1e3fef878988ead2a74dc5bef13b86")  # the spec's value
    assert search_passkeys([(H("1e1e3fef878988ead2a74dc5bef13b86"), r)], INPUTS, 0, 1000) == [0]


@settings(max_examples=15, deadline=None)
@given(passkey=st.integers(0, 999_999), rand=st.binary(min_size=16, max_size=16))
def test_each_side_found_on_its_own(passkey: int, rand: bytes) -> None:
    """Two sides with different passkeys: each is found from its own confirm (a window
    around each keeps the test fast; the chunk boundaries are crossed)."""
    other = (passkey + 54_321) % 1_000_000
    r2 = os.urandom(16)
    lo = max(0, min(passkey, other) - 20_000)
    hi = min(1_000_000, max(passkey, other) + 20_000)
    if hi - lo > 120_000:
        lo, hi = 0, 1_000_000
    targets = [(_confirm(passkey, rand), rand), (_confirm(other, r2), r2)]
    assert search_passkeys(targets, INPUTS, lo, hi) == [passkey, other]


def test_not_found_is_none() -> None:
    assert search_passkeys([(os.urandom(16), os.urandom(16))], INPUTS, 0, 50_000) == [None]


@pytest.mark.parametrize(
    ("a", "b", "digits"), [(123456, 123546, [4, 5]), (1, 100001, [1]), (42, 42, [])]
)
def test_differing_digits(a: int, b: int, digits: list[int]) -> None:
    assert differing_digits(a, b) == digits


def test_passkey_tk_is_the_passkey_as_128_bits() -> None:
    assert passkey_tk(123456) == bytes(13) + H("01e240")
    with pytest.raises(ValueError):
        passkey_tk(1_000_000)


def test_a_passkey_found_is_tried_on_the_other_side() -> None:
    """Both sides used one passkey: the second side is done by one c1 at the first hit, so
    a window that ends at the first side's passkey still finds both."""
    r1, r2 = os.urandom(16), os.urandom(16)
    targets = [(_confirm(40_000, r1), r1), (_confirm(40_000, r2), r2)]
    assert search_passkeys(targets, INPUTS, 30_000, 40_001) == [40_000, 40_000]


def test_a_passkey_found_in_the_analysis_answers_later_pairings_without_a_search() -> None:
    """A device with a fixed passkey pairs again and again in a long log: once a pass has
    found it, a later pairing's confirm that it gives is answered by one c1, with no search
    counted; a confirm it does not give still needs a pass, refused once the budget is
    spent, and a new analysis forgets what the last one found."""
    from bpdiag.crypto import link_keys
    from bpdiag.crypto.keyring import PasskeySearch

    saved = link_keys._SEARCHED.copy()
    link_keys._SEARCHED.clear()
    try:
        policy = PasskeySearch(budget=1)
        policy.start_analysis()
        r1, r2, r3 = os.urandom(16), os.urandom(16), os.urandom(16)
        assert link_keys.find_passkeys([(_confirm(2, r1), r1)], INPUTS, policy) == [2]
        assert policy.spent == 1 and list(policy.found) == [2]
        second = [(_confirm(2, r2), r2), (_confirm(2, r3), r3)]
        assert link_keys.find_passkeys(second, INPUTS, policy) == [2, 2]
        assert policy.spent == 1  # no pass: the budget of one is spent and not needed
        assert link_keys.find_passkeys([(_confirm(7, r3), r3)], INPUTS, policy) is None
        policy.start_analysis()
        assert not policy.found
        r4 = os.urandom(16)
        assert link_keys.find_passkeys([(_confirm(2, r4), r4)], INPUTS, policy) == [2]
        assert policy.spent == 1  # a pass again: the new analysis knew no passkey
    finally:
        link_keys._SEARCHED.clear()
        link_keys._SEARCHED.update(saved)


def test_the_passkeys_remembered_are_the_most_recent_few() -> None:
    from bpdiag.crypto.keyring import PASSKEYS_REMEMBERED, PasskeySearch

    policy = PasskeySearch()
    for k in range(PASSKEYS_REMEMBERED + 3):
        policy.remember(k)
    policy.remember(5)  # found again: most recent
    assert len(policy.found) == PASSKEYS_REMEMBERED
    assert list(policy.found)[-1] == 5 and 0 not in policy.found
