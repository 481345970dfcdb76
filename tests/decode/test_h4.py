"""HCI transports: every link type's framing from a byte literal, its direction and adapter
rules, and the edge cases (empty, short pseudo-headers, unknown types, other link types)."""

from __future__ import annotations

import contextlib
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bpdiag.capture.record import Direction, LinkType, Record
from bpdiag.decode import h4
from bpdiag.errors import DecodeError, Truncated, Unsupported

RESET = bytes([0x03, 0x0C, 0x00])  # HCI_Reset: opcode 0x0C03, no parameters
ENC_CHANGE = bytes([0x08, 0x04, 0x00, 0x40, 0x00, 0x01])  # Encryption Change, 0x0040, on
ACL = bytes([0x40, 0x20, 0x05, 0x00]) + bytes([0x01, 0x00, 0x04, 0x00, 0x1B])  # ATT, 1 byte

H4 = LinkType.BTSNOOP_H4


def test_btsnoop_h4_type_from_byte_direction_from_flags_bit0() -> None:
    assert h4.split(H4, b"\x01" + RESET, 0b00) == (h4.COMMAND, 1, Direction.SENT, 0, -1)
    assert h4.split(H4, b"\x04" + ENC_CHANGE, 0b11) == (h4.EVENT, 1, Direction.RECEIVED, 0, -1)
    # Flags bit 1 says "command/event" but the byte says ACL: the byte wins (Android writes
    # bit 1 unreliably).
    assert h4.split(H4, b"\x02" + ACL, 0b10) == (h4.ACL, 1, Direction.SENT, 0, -1)
    assert h4.split(H4, b"\x02" + ACL, 0b01).direction is Direction.RECEIVED


def test_btsnoop_h1_type_and_direction_from_flags() -> None:
    h1 = LinkType.BTSNOOP_H1
    assert h4.split(h1, RESET, 0b10) == (h4.COMMAND, 0, Direction.SENT, 0, -1)
    assert h4.split(h1, ENC_CHANGE, 0b11) == (h4.EVENT, 0, Direction.RECEIVED, 0, -1)
    assert h4.split(h1, ACL, 0b00) == (h4.ACL, 0, Direction.SENT, 0, -1)
    assert h4.split(h1, ACL, 0b01) == (h4.ACL, 0, Direction.RECEIVED, 0, -1)


@pytest.mark.parametrize(
    ("opcode", "ptype", "direction"),
    [
        (2, h4.COMMAND, Direction.SENT),
        (3, h4.EVENT, Direction.RECEIVED),
        (4, h4.ACL, Direction.SENT),
        (5, h4.ACL, Direction.RECEIVED),
        (6, h4.SCO, Direction.SENT),
        (7, h4.SCO, Direction.RECEIVED),
        (18, h4.ISO, Direction.SENT),
        (19, h4.ISO, Direction.RECEIVED),
    ],
)
def test_btsnoop_monitor_hci_opcodes(opcode: int, ptype: int, direction: Direction) -> None:
    flags = 3 << 16 | opcode  # adapter (hci3) << 16 | monitor opcode
    assert h4.split(LinkType.BTSNOOP_MONITOR, b"", flags) == (ptype, 0, direction, 3, opcode)


@pytest.mark.parametrize("opcode", [0, 1, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 20, 0xFFFF])
def test_btsnoop_monitor_records(opcode: int) -> None:
    f = h4.split(LinkType.BTSNOOP_MONITOR, b"x", 1 << 16 | opcode)
    assert f == (h4.MONITOR, 0, Direction.UNKNOWN, 1, opcode)


def test_pcap_h4_direction_from_packet_type() -> None:
    lt = LinkType.BLUETOOTH_HCI_H4
    assert h4.split(lt, b"\x01" + RESET).direction is Direction.SENT
    assert h4.split(lt, b"\x04" + ENC_CHANGE).direction is Direction.RECEIVED
    assert h4.split(lt, b"\x02" + ACL).direction is Direction.UNKNOWN
    assert h4.split(lt, b"\x05").direction is Direction.UNKNOWN  # ISO
    # pcap has no flags: whatever the record carries there is ignored
    assert h4.split(lt, b"\x02" + ACL, 1).direction is Direction.UNKNOWN


def test_h4_with_phdr() -> None:
    lt = LinkType.BLUETOOTH_HCI_H4_WITH_PHDR
    sent = b"\x00\x00\x00\x00" + b"\x01" + RESET  # direction 0 (sent), command
    received = b"\x00\x00\x00\x01" + b"\x04" + ENC_CHANGE  # direction 1 (received), event
    assert h4.split(lt, sent) == (h4.COMMAND, 5, Direction.SENT, 0, -1)
    assert h4.split(lt, received) == (h4.EVENT, 5, Direction.RECEIVED, 0, -1)
    with pytest.raises(Truncated) as exc:
        h4.split(lt, b"\x00\x00\x00\x01")  # direction only, no packet type
    assert str(exc.value) == (
        "H4 with pseudo-header needs 5 bytes (4-byte direction, packet type), got 4"
    )
    assert exc.value.layer == "h4"


def test_linux_monitor_in_pcap() -> None:
    lt = LinkType.BLUETOOTH_LINUX_MONITOR
    acl_rx = struct.pack(">HH", 2, 5) + ACL  # adapter 2 (big-endian), opcode 5 ACL RX
    assert h4.split(lt, acl_rx) == (h4.ACL, 4, Direction.RECEIVED, 2, 5)
    note = struct.pack(">HH", 0, 12) + b"hi\x00"  # System Note
    assert h4.split(lt, note) == (h4.MONITOR, 4, Direction.UNKNOWN, 0, 12)
    with pytest.raises(Truncated) as exc:
        h4.split(lt, b"\x00\x00\x05")
    assert str(exc.value) == ("Linux monitor pseudo-header needs 4 bytes (adapter, opcode), got 3")
    assert exc.value.layer == "monitor"


def test_empty_h4_packet() -> None:
    for lt in (LinkType.BTSNOOP_H4, LinkType.BLUETOOTH_HCI_H4):
        with pytest.raises(Truncated) as exc:
            h4.split(lt, b"")
        assert str(exc.value) == "empty H4 packet: no packet type byte"


def test_unknown_h4_type_is_returned_not_raised() -> None:
    f = h4.split(H4, b"\x07\x01\x02", 0)
    assert f.ptype == 7 and f.ptype not in h4.KNOWN_TYPES
    assert h4.packet_type_name(7) == "reserved (0x07)"
    assert h4.packet_type_name(h4.ISO) == "ISO Data"
    # 0x00 is not MONITOR: an H4 byte can never look like a monitor record
    assert h4.split(H4, b"\x00", 0).ptype != h4.MONITOR


def test_other_link_types_are_unsupported() -> None:
    with pytest.raises(Unsupported) as exc:
        h4.split(LinkType.NORDIC_BLE, b"\x00" * 20)
    assert str(exc.value) == "link type 272 is not an HCI transport"


def test_unwrap_slices_the_body() -> None:
    rec = Record(
        1, 0.0, LinkType.BLUETOOTH_HCI_H4_WITH_PHDR, b"\x00\x00\x00\x01\x04" + ENC_CHANGE, 0
    )
    pkt = h4.unwrap(rec)
    assert pkt == h4.HciPacket(h4.EVENT, ENC_CHANGE, Direction.RECEIVED, 0, -1)
    mon = Record(2, 0.0, LinkType.BTSNOOP_MONITOR, b"note\x00", 0, Direction.UNKNOWN, 12)
    assert h4.unwrap(mon) == h4.HciPacket(h4.MONITOR, b"note\x00", Direction.UNKNOWN, 0, 12)


@settings(max_examples=400, deadline=None)
@given(
    st.sampled_from([*sorted(h4.HCI_LINK_TYPES), 251, 256, 272, 192, 0]),
    st.binary(max_size=12),
    st.integers(0, 0xFFFFFFFF),
)
def test_split_raises_only_decode_errors(lt: int, payload: bytes, flags: int) -> None:
    with contextlib.suppress(DecodeError):
        f = h4.split(lt, payload, flags)
        assert f.offset <= len(payload)  # the body never starts past the record
