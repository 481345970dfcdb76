"""The packet list's security filter and error mark decide by the decoded PDU's layer, opcode
and the protocol's enums; checked against the spec names those PDUs carry."""

from __future__ import annotations

import pytest

from bpdiag.analysis.run import Reading
from bpdiag.decode.pdu import Layer
from bpdiag.tui.model import PacketRow, filter_rows
from tests.conftest import ROOT

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
