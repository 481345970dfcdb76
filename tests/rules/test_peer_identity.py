"""One peer across its private addresses (issue 10, classes 6 and 8): the story rules and the
advice match attempts by the identity address an IRK resolved the peer's resolvable private
address to — only where the capture (or a key file) gives the IRK; unresolved private
addresses are never taken for one device, and the advice says it could not match them."""

from __future__ import annotations

from bpdiag.analysis.key_evidence import KeyTracker
from bpdiag.analysis.model import Connection
from bpdiag.crypto.keyring import Keyring
from bpdiag.crypto.smp_crypto import ah
from bpdiag.rules import run_rules
from bpdiag.rules.advice import suggestions
from bpdiag.rules.stories import is_unresolved_rpa, peer_key
from tests.rules.test_stories import _analysis, _conn, _pairing

IDENTITY = "F0:0D:00:00:00:02"
IRK = bytes(range(16))


def _rpa(prand: bytes, irk: bytes = IRK) -> str:
    """A resolvable private address (Vol 6, Part B, 1.3.2.2): prand with its two most
    significant bits 0b01, then ah(IRK, prand) (Vol 3, Part H, 2.2.2)."""
    assert prand[0] >> 6 == 0b01
    return ":".join(f"{b:02X}" for b in prand + ah(irk, prand))


RPA1, RPA2 = _rpa(bytes.fromhex("4a1b2c")), _rpa(bytes.fromhex("71e0d3"))


def _resolved(conns: list[Connection], irks: list[tuple[bytes, str | None]]) -> None:
    """What analysis.run does at the end: resolve every endpoint with the IRKs known."""
    keys = Keyring()
    keys.irks.extend(irks)
    KeyTracker(keys).finish(conns)


def test_the_irk_resolves_both_private_addresses_to_one_peer() -> None:
    c1, c2 = _conn(1, peer=RPA1), _conn(2, peer=RPA2)
    assert is_unresolved_rpa(c1) and peer_key(c1) != peer_key(c2)
    _resolved([c1, c2], [(IRK, IDENTITY)])
    assert peer_key(c1) == peer_key(c2) == IDENTITY
    assert not is_unresolved_rpa(c1)
    # another device's IRK resolves nothing
    d1 = _conn(1, peer=RPA1)
    _resolved([d1], [(bytes(16), "AA:AA:AA:AA:AA:AA")])
    assert peer_key(d1) == RPA1 and is_unresolved_rpa(d1)


def test_peer_state_changed_across_a_new_private_address() -> None:
    refused = _pairing(1, 1, failure=(0x08, "responder"))
    accepted = _pairing(2, 2, response=True, success=True)
    c1, c2 = _conn(1, peer=RPA1), _conn(2, peer=RPA2)
    _resolved([c1, c2], [(IRK, IDENTITY)])
    [f] = [
        f
        for f in run_rules(_analysis([c1, c2], [refused, accepted]))
        if f.code == "peer-state-changed"
    ]
    assert f.detail.startswith(f"{IDENTITY} (identity address; it connected as {RPA1}, {RPA2})")
    # the same two private addresses without the IRK: not matched, no story
    u1, u2 = _conn(1, peer=RPA1), _conn(2, peer=RPA2)
    codes = [f.code for f in run_rules(_analysis([u1, u2], [refused, accepted]))]
    assert "peer-state-changed" not in codes


def test_identity_address_and_a_resolved_private_address_are_one_peer() -> None:
    # first connection under its identity (static random), the next under an RPA
    ps = [_pairing(i, i, response=True, failure=(0x03, "responder")) for i in (1, 2, 3)]
    conns = [_conn(1, peer=IDENTITY), _conn(2, peer=RPA1), _conn(3, peer=RPA2)]
    _resolved(conns, [(IRK, IDENTITY)])
    codes = [f.code for f in run_rules(_analysis(conns, ps))]
    assert codes.count("same-failure-every-connection") == 1
    unresolved = [_conn(1, peer=IDENTITY), _conn(2, peer=RPA1), _conn(3, peer=RPA2)]
    codes = [f.code for f in run_rules(_analysis(unresolved, ps))]
    assert "same-failure-every-connection" not in codes


def test_advice_uses_the_response_of_the_same_identity() -> None:
    earlier = _pairing(1, 1, response=True, failure=(0x04, "responder"))
    later = _pairing(2, 2, failure=(0x03, "responder"))
    c1, c2 = _conn(1, peer=RPA1), _conn(2, peer=RPA2)
    _resolved([c1, c2], [(IRK, IDENTITY)])
    s = {x.pairing: x for x in suggestions(_analysis([c1, c2], [earlier, later]))}[2]
    assert earlier.response is not None
    assert f"earlier Pairing Response #{earlier.response.frame}" in s.why
    assert "could not be matched" not in s.why


def test_advice_says_unresolved_private_addresses_could_not_be_matched() -> None:
    earlier = _pairing(1, 1, response=True, failure=(0x04, "responder"))
    later = _pairing(2, 2, failure=(0x03, "responder"))
    s = {
        x.pairing: x
        for x in suggestions(
            _analysis([_conn(1, peer=RPA1), _conn(2, peer=RPA2)], [earlier, later])
        )
    }[2]
    assert "earlier Pairing Response" not in s.why and "not known" in s.why
    assert "could not be matched" in s.why and RPA1 in s.why
    # two public devices are simply two peers: nothing to match, nothing said
    other = {
        x.pairing: x
        for x in suggestions(
            _analysis([_conn(1), _conn(2, peer="AA:AA:AA:AA:AA:AA")], [earlier, later])
        )
    }[2]
    assert "could not be matched" not in other.why
