"""`bpdiag dump` text: SMP codes carry their spec names, times count from the first record."""

from __future__ import annotations

import re

from bpdiag.report.dump_text import field_text
from tests.conftest import OWN
from tests.helpers import bpdiag_in_process


def test_smp_fields_are_named() -> None:
    text = field_text(
        "smp",
        {
            "io_capability": 4,
            "oob": 0,
            "auth_req": 0x0D,
            "max_key_size": 16,
            "initiator_key_distribution": 0,
            "responder_key_distribution": 0x13,
        },
    )
    assert text == (
        "io_capability=4 (KeyboardDisplay) oob=0 (not present) auth_req=13 (Bonding|MITM|SC) "
        "max_key_size=16 initiator_key_distribution=0 (none) "
        "responder_key_distribution=19 (EncKey|IdKey|reserved (0x10))"
    )
    assert field_text("smp", {"reason": 0x09}) == "reason=9 (Repeated Attempts)"
    assert field_text("smp", {"io_capability": 9}) == "io_capability=9 (reserved (0x09))"
    assert field_text("hci", {"reason": 19}) == "reason=19"  # HCI has its own *_name fields


def test_dump_lines_and_times() -> None:
    r = bpdiag_in_process("dump", str(OWN / "mitm_unsatisfiable.btsnoop"))
    lines = r.stdout.splitlines()
    times = [float(m.group(1)) for m in (re.match(r"#\d+\s+\+(\d+\.\d+)s ", x) for x in lines) if m]
    assert len(times) == len(lines) and 0 <= times[0] < 1 and times == sorted(times)
    req = next(x for x in lines if "Pairing Request" in x)
    assert "io_capability=4 (KeyboardDisplay)" in req and "auth_req=5 (Bonding|MITM)" in req
    failed = next(x for x in lines if "Pairing Failed" in x)
    assert failed.endswith("reason=3 (Authentication Requirements)")
