"""Vol 3, Part H, 2.3.5.1: every cell of the method table, legacy and SC, with and without MITM.

The expected values come from two independent places: cells spelled out from the spec's
Table 2.8 below, and Bumble's own table (a real SMP stack) for all 5×5×2×2×OOB cases.
"""

from __future__ import annotations

import itertools

import pytest

from bpdiag.analysis.model import Features
from bpdiag.analysis.pairing_method import (
    DISPLAY_ONLY,
    DISPLAY_YES_NO,
    KEYBOARD_DISPLAY,
    KEYBOARD_ONLY,
    NO_INPUT_NO_OUTPUT,
    Method,
    MethodChoice,
    method_for,
    select_method,
    table_method,
)
from bpdiag.decode import smp

IO = [DISPLAY_ONLY, DISPLAY_YES_NO, KEYBOARD_ONLY, NO_INPUT_NO_OUTPUT, KEYBOARD_DISPLAY]

JW, NC, PE = Method.JUST_WORKS, Method.NUMERIC_COMPARISON, Method.PASSKEY_ENTRY

# Table 2.8, rows = initiator, columns = responder (DO, DYN, KO, NINO, KD): (legacy, SC).
SPEC = {
    DISPLAY_ONLY: [(JW, JW), (JW, JW), (PE, PE), (JW, JW), (PE, PE)],
    DISPLAY_YES_NO: [(JW, JW), (JW, NC), (PE, PE), (JW, JW), (PE, NC)],
    KEYBOARD_ONLY: [(PE, PE), (PE, PE), (PE, PE), (JW, JW), (PE, PE)],
    NO_INPUT_NO_OUTPUT: [(JW, JW)] * 5,
    KEYBOARD_DISPLAY: [(PE, PE), (PE, NC), (PE, PE), (JW, JW), (PE, NC)],
}


def _select(
    init: int,
    resp: int,
    *,
    sc: bool,
    mitm: tuple[bool, bool] = (False, False),
    oob: tuple[bool, bool] = (False, False),
) -> MethodChoice | None:
    """select_method with (initiator, responder) pairs for the MITM and OOB flags."""
    return select_method(
        initiator_io=init,
        responder_io=resp,
        initiator_oob=oob[0],
        responder_oob=oob[1],
        initiator_mitm=mitm[0],
        responder_mitm=mitm[1],
        secure_connections=sc,
    )


@pytest.mark.parametrize(
    ("init", "resp", "sc", "init_mitm", "resp_mitm"),
    list(itertools.product(IO, IO, [False, True], [False, True], [False, True])),
)
def test_every_cell_against_spec_table(
    init: int, resp: int, sc: bool, init_mitm: bool, resp_mitm: bool
) -> None:
    choice = _select(init, resp, sc=sc, mitm=(init_mitm, resp_mitm))
    assert choice is not None
    if not (init_mitm or resp_mitm):
        assert choice.method is JW
        assert choice.because == "no_mitm"
    else:
        assert choice.method is SPEC[init][IO.index(resp)][1 if sc else 0]
        assert choice.because == "io_capabilities"


def test_passkey_display_roles() -> None:
    # Initiator KeyboardOnly, responder DisplayOnly: the responder displays, the initiator types.
    c = _select(KEYBOARD_ONLY, DISPLAY_ONLY, sc=False, mitm=(True, False))
    assert c is not None and c.method is PE and c.passkey_displayed_by == "responder"
    c = _select(DISPLAY_ONLY, KEYBOARD_ONLY, sc=True, mitm=(True, True))
    assert c is not None and c.passkey_displayed_by == "initiator"


@pytest.mark.parametrize(
    ("init_oob", "resp_oob", "sc", "expect_oob"),
    [
        (True, True, False, True),
        (True, False, False, False),  # legacy needs both OOB flags
        (False, True, False, False),
        (True, False, True, True),  # SC needs one
        (False, True, True, True),
        (False, False, True, False),
    ],
)
def test_oob_rules(init_oob: bool, resp_oob: bool, sc: bool, expect_oob: bool) -> None:
    c = _select(NO_INPUT_NO_OUTPUT, NO_INPUT_NO_OUTPUT, sc=sc, oob=(init_oob, resp_oob))
    assert c is not None
    assert (c.method is Method.OOB) is expect_oob


def test_reserved_io_capability_selects_nothing() -> None:
    assert _select(0x05, DISPLAY_ONLY, sc=False, mitm=(True, False)) is None
    assert table_method(0x07, DISPLAY_ONLY, True) is None


def _features(frame: int, io: int, auth_req: int, oob: bool = False) -> Features:
    """The features of a decoded Pairing Request or Response (the fields method_for reads)."""
    cmd = smp.PairingRequest(io, int(oob), auth_req, 16, 0x01, 0x01)
    return Features(
        frame, io, smp.io_capability_name(io), oob, auth_req, cmd.bonding, cmd.mitm, cmd.sc,
        cmd.keypress, cmd.ct2, 16, ("EncKey",), ("EncKey",),
    )  # fmt: skip


@pytest.mark.parametrize(
    ("req_auth", "rsp_auth", "expect"),
    [
        (0x0D, 0x0D, NC),  # both set SC: Secure Connections, Numeric Comparison
        (0x0D, 0x05, JW),  # the responder lacks SC: legacy, where DisplayYesNo gives Just Works
        (0x05, 0x0D, JW),
        (0x01, 0x09, JW),  # neither sets MITM
    ],
)
def test_method_for_reads_both_features(req_auth: int, rsp_auth: int, expect: Method) -> None:
    req = _features(1, DISPLAY_YES_NO, req_auth)
    rsp = _features(2, DISPLAY_YES_NO, rsp_auth)
    choice = method_for(req, rsp)
    assert choice is not None and choice.method is expect


def test_method_for_oob_needs_both_in_legacy_one_in_sc() -> None:
    legacy = method_for(_features(1, NO_INPUT_NO_OUTPUT, 0x01, oob=True),
                        _features(2, NO_INPUT_NO_OUTPUT, 0x01))  # fmt: skip
    sc = method_for(_features(1, NO_INPUT_NO_OUTPUT, 0x09, oob=True),
                    _features(2, NO_INPUT_NO_OUTPUT, 0x09))  # fmt: skip
    assert legacy is not None and legacy.method is JW
    assert sc is not None and sc.method is Method.OOB


@pytest.mark.parametrize(("init", "resp", "sc"), list(itertools.product(IO, IO, [False, True])))
def test_matches_bumble_table(init: int, resp: int, sc: bool) -> None:
    smp = pytest.importorskip("bumble.smp")
    details = smp.Session.PAIRING_METHODS[init][resp]
    if isinstance(details, tuple) and len(details) == 2:
        details = details[1 if sc else 0]
    bumble_method = details if isinstance(details, smp.PairingMethod) else details[0]
    names = {
        smp.PairingMethod.JUST_WORKS: JW,
        smp.PairingMethod.NUMERIC_COMPARISON: NC,
        smp.PairingMethod.PASSKEY: PE,
    }
    assert table_method(init, resp, sc) is names[bumble_method]
