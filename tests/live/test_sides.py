"""A simulated side offers a ``PairParams`` and nothing else decides what its Pairing
Request carries: the Bumble configuration and delegate read it (bpdiag.live.sim.Side)."""

from __future__ import annotations

import asyncio
from dataclasses import asdict

import pytest

pytest.importorskip("bumble")

from bumble import smp as bsmp
from bumble.pairing import PairingDelegate

from bpdiag.live.base import PairParams
from bpdiag.live.bumble_backend import central_side
from bpdiag.live.sim import IO_BY_NAME, HighSecurityInitiator, Side
from bpdiag.report.attempt import params_json

# io, mitm, sc, bond, key size, passkey typed, initiator keys, responder keys: none a default
PARAMS = PairParams("DisplayYesNo", True, False, False, 9, 4321, 0x01, 0x06)


def test_central_side_offers_exactly_the_params() -> None:
    side = central_side(PARAMS)
    assert params_json(asdict(side)) == params_json(asdict(PARAMS))
    assert (side.passkey, side.init_keys, side.resp_keys) == (4321, 0x01, 0x06)
    assert side.session is HighSecurityInitiator
    assert central_side(PairParams(mitm=False)).session is bsmp.Session


def test_config_and_delegate_carry_every_parameter() -> None:
    config = central_side(PARAMS).config()
    assert (config.sc, config.mitm, config.bonding) == (False, True, False)
    d = config.delegate
    assert d.io_capability == IO_BY_NAME["DisplayYesNo"]
    assert d.maximum_encryption_key_size == 9
    assert d.local_initiator_key_distribution == PairingDelegate.KeyDistribution(0x01)
    assert d.local_responder_key_distribution == PairingDelegate.KeyDistribution(0x06)
    assert asyncio.run(d.get_number()) == 4321


def test_delegate_defaults_and_answers() -> None:
    side = Side(shown=654321, accept=False, reject_numbers=True)
    d = side.config().delegate
    assert d.io_capability == IO_BY_NAME["NoInputNoOutput"]
    assert d.local_initiator_key_distribution == PairingDelegate.DEFAULT_KEY_DISTRIBUTION
    assert d.local_responder_key_distribution == PairingDelegate.DEFAULT_KEY_DISTRIBUTION
    # No passkey to type: its user types the one it displays.
    assert asyncio.run(d.get_number()) == asyncio.run(d.generate_passkey()) == 654321
    assert asyncio.run(d.accept()) is False
    assert asyncio.run(d.compare_numbers(123456, 6)) is False
