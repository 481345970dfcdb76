"""Every HCI transport and air pseudo-header bpdiag reads, with a byte literal each: btsnoop H1
(1001), pcap H4 (187), H4 with phdr (201), Linux monitor in pcap (254), nRF Sniffer headers
(272, legacy 0xBEEF and versions 1–3), LE LL with PHDR (256), PPI (192)."""

from __future__ import annotations

import struct

import pytest

from bpdiag.capture.record import Direction, LinkType, Record
from bpdiag.decode.hci_stream import HciStream
from bpdiag.decode.ll_stream import LlStream
from bpdiag.decode.nordic import parse_nordic

ENC_CHANGE = bytes([0x08, 0x04, 0x00, 0x40, 0x00, 0x01])  # Encryption Change, success, 0x0040
SMP_FAILED_ACL = (
    struct.pack("<HH", 0x0040 | 0x2000, 6)  # handle 0x40, PB first flushable, 6 bytes
    + struct.pack("<HH", 2, 6)  # L2CAP length 2, CID 6 (SMP)
    + b"\x05\x08"  # Pairing Failed, Unspecified Reason
)


def _one(stream: HciStream | LlStream, rec: Record) -> tuple[str, int, Direction]:
    pdus = stream.feed(rec)
    assert stream.problems == []
    assert len(pdus) == 1
    return pdus[0].layer, pdus[0].opcode, pdus[0].direction


def test_btsnoop_h1_type_from_flags() -> None:
    ev = Record(1, 0.0, LinkType.BTSNOOP_H1, ENC_CHANGE, 0, Direction.RECEIVED, 0b11)
    assert _one(HciStream(), ev) == ("hci", 0x08, Direction.RECEIVED)
    acl = Record(2, 0.0, LinkType.BTSNOOP_H1, SMP_FAILED_ACL, 0, Direction.RECEIVED, 0b01)
    assert _one(HciStream(), acl) == ("smp", 0x05, Direction.RECEIVED)


def test_pcap_h4_direction_from_packet_type() -> None:
    rec = Record(1, 0.0, LinkType.BLUETOOTH_HCI_H4, b"\x04" + ENC_CHANGE, 0)
    assert _one(HciStream(), rec) == ("hci", 0x08, Direction.RECEIVED)


def test_h4_with_phdr() -> None:
    payload = b"\x00\x00\x00\x01" + b"\x02" + SMP_FAILED_ACL  # received, ACL
    rec = Record(1, 0.0, LinkType.BLUETOOTH_HCI_H4_WITH_PHDR, payload, 0)
    assert _one(HciStream(), rec) == ("smp", 0x05, Direction.RECEIVED)


def test_linux_monitor_in_pcap() -> None:
    payload = struct.pack(">HH", 1, 5) + SMP_FAILED_ACL  # adapter 1, opcode 5 = ACL RX
    pdus = HciStream().feed(Record(1, 0.0, LinkType.BLUETOOTH_LINUX_MONITOR, payload, 0))
    assert [(p.layer, p.link) for p in pdus] == [("smp", ("hci", 1, 0x40))]
    note = struct.pack(">HH", 0, 12) + b"hello\x00"  # System Note
    pdus = HciStream().feed(Record(2, 0.0, LinkType.BLUETOOTH_LINUX_MONITOR, note, 0))
    assert pdus[0].layer == "monitor" and pdus[0].msg.fields()["text"] == "hello"


# An LL data packet: access address, header (LLID 2 start, SN 0), payload, CRC.
AIR = struct.pack("<I", 0x50654321) + bytes([0x02, 6]) + struct.pack("<HH", 2, 6) + b"\x05\x08"
AIR += b"\xaa\xbb\xcc"


def _nordic(version: int, flags: int) -> bytes:
    if version == 0:  # 0.9.7 legacy: 0xBEEF sync, packet id, counter (2), 2 unused bytes
        head = b"\xbe\xef" + bytes([6, 1, 0, 0, 0])
    elif version == 1:  # board, header length, payload length, protocol version, counter, id
        head = bytes([0x00, 0x06, 10 + len(AIR), 1, 0x01, 0x00, 0x06])
    else:  # board, payload length (2), protocol version, counter (2), packet id
        head = bytes([0x00]) + struct.pack("<H", 10 + len(AIR)) + bytes([version, 1, 0, 6])
    event = bytes([10, flags, 12, 60]) + struct.pack("<HI", 7, 1234)
    return head + event + AIR


@pytest.mark.parametrize("version", [0, 1, 2, 3])
def test_nordic_header_versions(version: int) -> None:
    n = parse_nordic(_nordic(version, 0x03))  # CRC OK, central → peripheral
    assert n.air == AIR and n.crc_ok and n.c_to_p and n.channel == 12
    rec = Record(1, 0.0, LinkType.NORDIC_BLE, _nordic(version, 0x01), 0)  # P → C
    assert _one(LlStream(), rec) == ("smp", 0x05, Direction.P_TO_C)


def test_nordic_crc_error_is_ignored() -> None:
    stream = LlStream()
    assert stream.feed(Record(1, 0.0, LinkType.NORDIC_BLE, _nordic(2, 0x00), 0)) == []
    assert stream.crc_errors == 1


def test_le_ll_with_phdr_and_ppi() -> None:
    phdr = bytes([12, 0xC4, 0x80, 0]) + struct.pack("<IH", 0x50654321, 0x0C13)
    rec = Record(1, 0.0, LinkType.BLUETOOTH_LE_LL_WITH_PHDR, phdr + AIR, 0)
    assert _one(LlStream(), rec)[:2] == ("smp", 0x05)
    ppi = struct.pack("<BBHI", 0, 0, 8, 147)  # version, flags, header length 8, DLT 147
    assert _one(LlStream(), Record(1, 0.0, LinkType.PPI, ppi + AIR, 0))[:2] == ("smp", 0x05)
