"""Differential tests: every SMP PDU and the HCI security events bpdiag decodes agree with
tshark (the reference decoder) on every capture available — the shared corpus
(../shared/captures) and the project's own scenario captures (captures/).

A PDU that tshark shows and bpdiag does not must be a link-layer retransmission: the same
PDU (opcode and every field) as one bpdiag emitted earlier on the same link.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from bpdiag.analysis.run import Reading
from tests.conftest import all_captures, capture_id
from tests.tshark import Tshark, event, protocol

# Our dump field → tshark field (Vol 3, Part H, 3.5–3.6).
SMP_FIELDS = {
    "io_capability": "btsmp.io_capability",
    "oob": "btsmp.oob_data_flags",
    "auth_req": "btsmp.authreq",
    "max_key_size": "btsmp.max_enc_key_size",
    "initiator_key_distribution": "btsmp.initiator_key_distribution",
    "responder_key_distribution": "btsmp.responder_key_distribution",
    "reason": "btsmp.reason",
    "confirm": "btsmp.cfm_value",
    "random": "btsmp.random_value",
    "ltk": "btsmp.long_term_key",
    "ediv": "btsmp.ediv",
    "rand": "btsmp.random_value",
    "irk": "btsmp.id_resolving_key",
    "address_type": "btsmp.address_type",
    "address": "btsmp.bd_addr",
    "csrk": "btsmp.signature_key",
    "public_key_x": "btsmp.public_key_x",
    "public_key_y": "btsmp.public_key_y",
    "dhkey_check": "btsmp.dhkey_check",
    "notification_type": "btsmp.notification_type",
}
TSHARK_FIELDS = sorted(set(SMP_FIELDS.values()))


BYTE_FIELDS = frozenset(
    {
        "btsmp.cfm_value",
        "btsmp.random_value",
        "btsmp.long_term_key",
        "btsmp.id_resolving_key",
        "btsmp.signature_key",
        "btsmp.public_key_x",
        "btsmp.public_key_y",
        "btsmp.dhkey_check",
        "btsmp.bd_addr",
    }
)


def _norm(v: str, field: str = "") -> object:
    if v == "":
        return None
    if field in BYTE_FIELDS:
        return v.lower()
    if v.startswith("0x"):
        return int(v, 16)
    if v.isdigit():
        return int(v)
    return v.lower()


def tshark_smp(dissect: Tshark, path: Path) -> dict[int, dict[str, object]]:
    """frame → SMP opcode and fields (their first occurrence) of every ``btsmp`` frame."""
    rows: dict[int, dict[str, object]] = {}
    for frame in dissect.select(path, protocol("btsmp")):
        row: dict[str, object] = {"opcode": _norm(frame.first("btsmp.opcode"))}
        row.update({f: _norm(frame.first(f), f) for f in TSHARK_FIELDS})
        rows[frame.number] = row
    return rows


@cache
def ours(path: Path) -> tuple[tuple[int, object, str, dict[str, object]], ...]:
    """(frame, link, layer, fields incl. opcode) for every PDU bpdiag decodes from the
    capture as it is (tshark cannot decrypt LE: PDUs bpdiag decrypted are compared with tshark
    on ``bpdiag decrypt``'s output in tests/crypto/test_decrypt_captures.py)."""
    out = []
    for pdu, _conn in Reading(path):
        if pdu.decrypted:
            continue
        fields = pdu.msg.fields()
        fields["opcode"] = pdu.opcode
        out.append((pdu.frame, pdu.link, pdu.layer, fields))
    return tuple(out)


def _as_tshark(fields: dict[str, object]) -> dict[str, object]:
    t: dict[str, object] = {"opcode": fields["opcode"]}
    for k, v in fields.items():
        if k in SMP_FIELDS:
            t[SMP_FIELDS[k]] = v.lower() if isinstance(v, str) else v
    return t


CAPTURES = all_captures()


@pytest.mark.parametrize("path", CAPTURES, ids=capture_id)
def test_smp_fields_agree_with_tshark(path: Path, dissect: Tshark) -> None:
    theirs = tshark_smp(dissect, path)
    mine = {f: _as_tshark(fields) for f, _l, layer, fields in ours(path) if layer == "smp"}
    # Every SMP PDU bpdiag decodes is one tshark decodes, with the same fields.
    for frame, fields in mine.items():
        assert frame in theirs, f"frame {frame}: bpdiag decodes SMP, tshark does not"
        for key, value in fields.items():
            assert theirs[frame].get(key) == value, (
                f"frame {frame} {key}: bpdiag {value!r}, tshark {theirs[frame].get(key)!r}"
            )
    # Every SMP PDU tshark decodes and bpdiag skipped repeats an earlier one (retransmission).
    emitted = list(mine.items())
    for frame, row in theirs.items():
        if frame in mine:
            continue
        earlier = [
            f
            for f, fields in emitted
            if f < frame and fields == {k: v for k, v in row.items() if k in fields}
        ]
        assert earlier, f"frame {frame}: tshark decodes SMP {row['opcode']}, bpdiag has nothing"


HCI_EVENT_FIELDS = {
    0x08: ("bthci_evt.status", "bthci_evt.connection_handle", "bthci_evt.encryption_enable"),
    0x05: ("bthci_evt.status", "bthci_evt.connection_handle", "bthci_evt.reason"),
}


def tshark_events(dissect: Tshark, path: Path, code: int) -> dict[int, tuple[object, ...]]:
    """frame → the event's fields (first occurrence) of every ``bthci_evt.code == code``."""
    return {
        frame.number: tuple(_norm(frame.first(f)) for f in HCI_EVENT_FIELDS[code])
        for frame in dissect.select(path, event(code))
    }


HCI_CAPTURES = [
    p
    for p in CAPTURES
    if p.name.startswith(("android_", "btmon_", "h4phdr_")) or p.suffix == ".btsnoop"
]


@pytest.mark.parametrize("path", HCI_CAPTURES, ids=capture_id)
@pytest.mark.parametrize("code", sorted(HCI_EVENT_FIELDS))
def test_hci_security_events_agree_with_tshark(path: Path, code: int, dissect: Tshark) -> None:
    theirs = tshark_events(dissect, path, code)
    mine = {}
    for frame, _link, layer, fields in ours(path):
        if layer == "hci" and fields["opcode"] == code:
            if code == 0x08:
                mine[frame] = (fields["status"], fields["handle"], fields["encryption_enabled"])
            else:
                mine[frame] = (fields["status"], fields["handle"], fields["reason"])
    assert mine == theirs
