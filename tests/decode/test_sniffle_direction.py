"""Sniffle's pcap (LINKTYPE_BLUETOOTH_LE_LL_WITH_PHDR, 256): the direction comes from the
pseudo-header flags' PDU-type bits (7–9: 2 central → peripheral, 3 peripheral → central)
when the writer sets them, not from timing."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from bpdiag.analysis.run import Reading
from bpdiag.capture.record import Direction
from tests.conftest import SHARED

SRC = SHARED / "lephdr_legacy_justworks_bsniffhub.pcap"


@pytest.mark.skipif(not SRC.exists(), reason=f"the shared capture {SRC.name} is not here")
def test_pdu_type_bits_give_the_direction_without_timing(tmp_path: Path) -> None:
    data = SRC.read_bytes()
    assert data[:4] == b"\xd4\xc3\xb2\xa1" and struct.unpack_from("<I", data, 20)[0] == 256
    truth = {
        pdu.frame: pdu.direction
        for pdu, _ in Reading(SRC)
        if pdu.layer in ("ll", "smp") and pdu.direction in (Direction.C_TO_P, Direction.P_TO_C)
    }
    assert truth
    out = bytearray(data[:24])
    pos, frame = 24, 0
    first_ts = struct.unpack_from("<II", data, 24)
    while pos + 16 <= len(data):
        _s, _us, incl, orig = struct.unpack_from("<IIII", data, pos)
        body = bytearray(data[pos + 16 : pos + 16 + incl])
        frame += 1
        flags = struct.unpack_from("<H", body, 8)[0]
        d = truth.get(frame)
        if d is not None:
            flags = (flags & ~0x0380) | ((2 if d is Direction.C_TO_P else 3) << 7)
            struct.pack_into("<H", body, 8, flags)
        # Every packet at one instant: timing can tell nothing.
        out += struct.pack("<IIII", *first_ts, incl, orig) + body
        pos += 16 + incl
    path = tmp_path / "sniffle.pcap"
    path.write_bytes(bytes(out))
    got = {pdu.frame: pdu.direction for pdu, _ in Reading(path) if pdu.frame in truth}
    assert got == truth
