"""identity-address-not-static: a random identity address must be a static address (Vol 3,
Part H, 3.6.5; Vol 6, Part B, 1.3.2.1: the two most significant bits 1, the other 46 bits
neither all 0 nor all 1), on hand-built pairings."""

from __future__ import annotations

from bpdiag.analysis.model import KeyDistributed, Side, Step
from bpdiag.decode import smp
from bpdiag.rules import run_rules
from tests.rules.analyses import _analysis, _conn, _pairing


def _with_identity(addr_type: int, printed: str, sender: str = "peripheral"):  # type: ignore[no-untyped-def]
    wire = bytes(reversed(bytes.fromhex(printed.replace(":", ""))))  # least significant first
    msg = smp.parse_smp(bytes([0x09, addr_type]) + wire)
    assert isinstance(msg, smp.IdentityAddressInformation)
    p = _pairing(1, 1, response=True, success=True)
    p.steps.append(Step(108, 1.08, sender, 0x09, "Identity Address Information", msg))
    p.add_key(KeyDistributed(108, Side.RESPONDER, "Identity Address"))
    return _analysis([_conn(1)], [p])


def _found(a):  # type: ignore[no-untyped-def]
    return [f for f in run_rules(a) if f.code == "identity-address-not-static"]


def test_a_random_identity_whose_top_bits_are_not_11_is_no_static_address() -> None:
    [f] = _found(_with_identity(0x01, "6F:6D:6E:79:6B:01"))
    assert f.frames == [108] and f.pairing == 1
    assert f.detail.startswith(
        "The peripheral sent Identity Address Information at #108 with the random address "
        "6F:6D:6E:79:6B:01, which is no static address (its two most significant bits are 01"
    )
    assert "Invalid Parameters (0x0A)" in f.detail


def test_static_public_and_unprinted_identities_are_fine() -> None:
    assert _found(_with_identity(0x01, "F6:6D:6E:79:6B:01")) == []  # static: top bits 11
    assert _found(_with_identity(0x00, "6F:6D:6E:79:6B:01")) == []  # public: any bits
    assert _found(_with_identity(0x01, "00:00:00:00:00:00")) == []  # a log that gave none


def test_a_static_address_of_all_ones_is_none_either() -> None:
    [f] = _found(_with_identity(0x01, "FF:FF:FF:FF:FF:FF", sender="unknown"))
    assert f.detail.startswith("One side sent") and "other 46 bits are all 1" in f.detail
