"""The P-256 point check of verify._public_keys against cryptography's (OpenSSL's)."""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import given, settings
from hypothesis import strategies as st

from bpdiag.analysis.verify import _P256_P, on_p256


def _openssl(x: int, y: int) -> bool:
    try:
        ec.EllipticCurvePublicNumbers(x, y, ec.SECP256R1()).public_key()
    except ValueError:
        return False
    return True


@settings(max_examples=60, deadline=None)
@given(flip=st.integers(0, 255), which=st.sampled_from(["x", "y", "neg"]))
def test_real_keys_and_their_neighbours(flip: int, which: str) -> None:
    k = ec.generate_private_key(ec.SECP256R1()).public_key().public_numbers()
    assert on_p256(k.x, k.y)
    x, y = k.x, k.y
    if which == "x":
        x ^= 1 << flip
    elif which == "y":
        y ^= 1 << flip
    else:
        y = _P256_P - y  # the point's negative: on the curve too
    if x < _P256_P and y < _P256_P:
        assert on_p256(x, y) == _openssl(x, y)


def test_coordinates_must_be_field_elements() -> None:
    """SEC 1, 3.2.2.1: a coordinate of p or more is not a field element (OpenSSL reduces
    it; bpdiag reports such a key as not on the curve)."""
    k = ec.generate_private_key(ec.SECP256R1()).public_key().public_numbers()
    assert not on_p256(k.x + _P256_P, k.y) and not on_p256(k.x, -k.y)
    assert not on_p256(0, 0)
