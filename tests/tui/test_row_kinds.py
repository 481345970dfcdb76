"""The packet list's security filter and error mark decide by the decoded PDU's layer, opcode
and the protocol's enums; checked against the spec names those PDUs carry."""

from __future__ import annotations

import pytest

from bpdiag.analysis.run import Reading
from bpdiag.decode.pdu import Layer
from bpdiag.tui.model import PacketRow, filter_rows
from tests.conftest import ROOT, SHARED, require_shared

CAPTURES = ["bond_lost_reconnect.btsnoop"]


@pytest.mark.parametrize("name", CAPTURES)
def test_security_and_error_rows_follow_the_decoded_pdu(name: str) -> None:
    rows = [PacketRow(p, None) for p, _ in Reading(str(ROOT / "captures" / name), None)]
    security = {r.frame for r in filter_rows(rows, mode="security")}
    errors = {r.frame for r in filter_rows(rows, mode="errors")}
    for r in rows:
        about_encryption = "Encryption" in r.name or "_ENC_" in r.name
        assert (r.frame in security) == (r.layer in (Layer.SMP, Layer.ATT) or about_encryption)
        if r.name == "LL_TERMINATE_IND" or r.fields.get("reason") == 0x3D:
            assert r.frame in errors
    assert security and security != {r.frame for r in rows}


def test_ll_rejections_are_errors() -> None:
    """LL_REJECT_IND and LL_REJECT_EXT_IND refuse a procedure with an error code (Vol 6,
    Part B, 2.4.2.14 and 2.4.2.18): the errors filter shows them, and no other LL control PDU
    of that air capture but the terminations."""
    require_shared()
    rows = [PacketRow(p, None) for p, _ in Reading(str(SHARED / "lell_no_smp_blediff.pcap"), None)]
    errors = {r.frame for r in filter_rows(rows, mode="errors")}
    rejects = [r for r in rows if r.name in ("LL_REJECT_IND", "LL_REJECT_EXT_IND")]
    assert rejects
    assert all(r.frame in errors for r in rejects)
    ll_errors = {r.name for r in rows if r.layer == Layer.LL and r.frame in errors}
    assert ll_errors <= {"LL_REJECT_IND", "LL_REJECT_EXT_IND", "LL_TERMINATE_IND"}
