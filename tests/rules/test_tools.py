"""gatttool (deprecated) is suggested only where the capture shows it in use; a side whose
address the capture lacks is named by the Identity Address Information it sent."""

from __future__ import annotations

import pytest

from bpdiag.analysis.model import MonitorEvent
from bpdiag.analysis.run import Reading
from bpdiag.diagnose import diagnose
from tests.conftest import OWN, SHARED


def _with_gatttool(path: str) -> object:
    a = Reading(OWN / path).analyse()
    a.monitor.append(
        MonitorEvent(
            frame=1,
            time=0.0,
            adapter=0,
            opcode=14,
            name="Control Open",
            values={"process": "gatttool"},
        )
    )
    return diagnose(a)


def test_no_gatttool_without_it_in_the_capture() -> None:
    a = diagnose(Reading(OWN / "mitm_unsatisfiable.btsnoop").analyse())
    assert all("gatttool" not in f.fix and "gatttool" not in f.detail for f in a.findings)
    assert all("gatttool" not in c for s in a.suggestions for c in s.commands)


def test_gatttool_option_where_the_capture_shows_it() -> None:
    a = _with_gatttool("mitm_unsatisfiable.btsnoop")
    [f] = a.findings
    assert f.fix.endswith("gatttool (seen in this capture): `--sec-level=medium`, not high.")
    [s] = a.suggestions
    assert "gatttool -b <address> --sec-level=medium …" in s.commands


def test_central_named_by_its_identity_address() -> None:
    path = SHARED / "android_legacy_justworks_keydist_ec521_btsnoop_hci.log"
    if not path.exists():
        pytest.skip(f"the shared capture corpus is not at {SHARED}")
    a = Reading(path).analyse()
    conn = next(c for c in a.connections if c.id == 2)
    # the phone's Read BD_ADDR is not in the log; it sent Identity Address Information #14175
    assert (conn.central.address, conn.central.address_type) == (
        "8C:1A:BF:39:FB:FD",
        "public-identity",
    )
    assert conn.peripheral.address == "CE:5D:95:7B:30:53"  # learnt from the HCI, unchanged
