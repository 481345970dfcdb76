"""HCI, monitor and LL decoders: byte-literal edge cases, L2CAP reassembly with random
fragment sizes through the streams, and fuzzing (decoders raise only DecodeError; streams
never raise)."""

from __future__ import annotations

import contextlib
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bpdiag.capture.record import Direction, LinkType, Record
from bpdiag.decode import hci, ll
from bpdiag.decode.hci_stream import HciStream
from bpdiag.decode.ll_stream import LlStream
from bpdiag.decode.monitor import parse_monitor
from bpdiag.errors import DecodeError, Truncated

ENCRYPTION_CHANGE_0x06 = bytes(
    [
        0x08,  # event code: Encryption Change
        0x04,  # parameter length
        0x06,  # status: PIN or Key Missing
        0x40,
        0x00,  # connection handle 0x0040
        0x00,  # encryption disabled
    ]
)


def test_encryption_change() -> None:
    ev = hci.parse_event(ENCRYPTION_CHANGE_0x06)
    assert isinstance(ev, hci.EncryptionChange)
    assert (ev.status, ev.handle, ev.encryption_enabled) == (6, 0x40, 0)
    assert hci.status_name(ev.status) == "PIN or Key Missing"


def test_event_length_mismatch() -> None:
    with pytest.raises(Truncated) as exc:
        hci.parse_event(ENCRYPTION_CHANGE_0x06[:-1])
    assert str(exc.value) == "HCI Encryption Change event: parameter length says 4, got 3"


def test_le_connection_complete_and_ltk_request() -> None:
    params = bytes([0x01, 0x00]) + struct.pack("<H", 0x41) + bytes([0x01, 0x01])
    params += bytes.fromhex("665544332211") + struct.pack("<HHHB", 24, 0, 400, 0)
    ev = hci.parse_event(bytes([0x3E, len(params)]) + params)
    assert isinstance(ev, hci.LeConnectionComplete)
    assert (ev.handle, ev.role_name, ev.peer_address) == (0x41, "peripheral", "11:22:33:44:55:66")
    ltk_req = bytes([0x05]) + struct.pack("<H", 0x41) + bytes(8) + b"\x00\x00"
    ev2 = hci.parse_event(bytes([0x3E, len(ltk_req)]) + ltk_req)
    assert isinstance(ev2, hci.LeLtkRequest) and ev2.ediv == 0


def test_unknown_event_and_command_are_kept() -> None:
    ev = hci.parse_event(b"\xfe\x01\x00")  # 0xFE: reserved for Bluetooth Logo Testing
    assert isinstance(ev, hci.HciEvent) and ev.name == "Bluetooth Logo Testing"
    assert hci.parse_event(b"\xfa\x00").name == "reserved (0xfa)"
    cmd = hci.parse_command(b"\x01\xfc\x00")
    assert cmd.name == "Vendor Command (0xfc01)"
    assert hci.status_name(0x99) == "reserved (0x99)"


def test_monitor_records() -> None:
    log = bytes([6, 11]) + b"bluetoothd\x00" + b"No agent available for request type 2\x00"
    rec = parse_monitor(13, 0, log)
    assert rec.fields() == {
        "adapter": 0,
        "priority": 6,
        "ident": "bluetoothd",
        "message": "No agent available for request type 2",
    }
    opened = struct.pack("<IHBHIB", 7, 2, 1, 22, 1, 16) + b"bluetoothd".ljust(16, b"\x00")
    o = parse_monitor(14, 0, opened)
    assert o.get("process") == "bluetoothd" and o.get("format") == "MGMT"
    ev = struct.pack("<IH", 7, 0x0001) + struct.pack("<HB", 0x0019, 0x05)
    e = parse_monitor(17, 0, ev)
    assert e.get("command_name") == "Pair Device"
    assert e.get("status_name") == "Authentication Failed"


def _h4_acl(handle: int, pb: int, data: bytes) -> bytes:
    return b"\x02" + struct.pack("<HH", handle | pb << 12, len(data)) + data


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(1, 20), min_size=1, max_size=10))
def test_hci_reassembly_random_fragments(sizes: list[int]) -> None:
    pubkey = b"\x0c" + bytes(range(64))
    l2 = struct.pack("<HH", len(pubkey), 6) + pubkey
    chunks = []
    pos = 0
    i = 0
    while pos < len(l2):
        n = sizes[i % len(sizes)]
        chunks.append(l2[pos : pos + n])
        pos += n
        i += 1
    stream = HciStream()
    out = []
    for idx, c in enumerate(chunks, start=1):
        rec = Record(
            idx,
            float(idx),
            LinkType.BTSNOOP_H4,
            _h4_acl(0x40, 2 if idx == 1 else 1, c),
            idx * 10,
            Direction.RECEIVED,
            1,
        )
        out += stream.feed(rec)
    assert stream.problems == []
    assert len(out) == 1
    assert out[0].layer == "smp" and out[0].opcode == 0x0C
    assert (out[0].first_frame, out[0].frame) == (1, len(chunks))


def _air(aa: int, header: int, payload: bytes) -> bytes:
    return struct.pack("<I", aa) + bytes([header, len(payload)]) + payload + b"\x00\x00\x00"


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(1, 27), min_size=1, max_size=6))
def test_ll_reassembly_random_fragments(sizes: list[int]) -> None:
    pubkey = b"\x0c" + bytes(range(64))
    l2 = struct.pack("<HH", len(pubkey), 6) + pubkey
    stream = LlStream()
    out = []
    pos, i, sn = 0, 0, 0
    while pos < len(l2):
        n = sizes[i % len(sizes)]
        llid = 2 if pos == 0 else 1
        data = _air(0x12345678, llid | sn << 3, l2[pos : pos + n])
        i += 1
        rec = Record(i, i * 0.01, LinkType.BLUETOOTH_LE_LL, data, 0)
        out += stream.feed(rec)
        pos += n
        sn ^= 1
    assert stream.problems == []
    assert [p.opcode for p in out] == [0x0C]


def test_ll_retransmission_is_one_pdu() -> None:
    stream = LlStream()
    smp_req = struct.pack("<HH", 7, 6) + bytes([1, 3, 0, 1, 16, 7, 7])
    pkt = _air(0xAABBCCDD, 0x02, smp_req)  # LLID start, SN 0
    recs = [Record(i, i * 0.02, LinkType.BLUETOOTH_LE_LL, pkt, 0) for i in (1, 2, 3)]
    out = [p for r in recs for p in stream.feed(r)]
    assert len(out) == 1 and stream.retransmissions == 2


def test_connect_ind() -> None:
    payload = bytes.fromhex("112233445566") + bytes.fromhex("aabbccddeeff")
    payload += struct.pack("<I", 0x50654321) + b"\x01\x02\x03" + b"\x02"
    payload += struct.pack("<HHHH", 0, 24, 0, 400) + b"\xff\xff\xff\xff\x1f" + b"\x25"
    pdu = bytes([0x05 | 0x40, len(payload)]) + payload
    msg = ll.parse_adv(pdu)
    assert isinstance(msg, ll.ConnectInd)
    assert msg.init_address == "66:55:44:33:22:11" and msg.init_address_type == 1
    assert msg.access_address == 0x50654321 and msg.interval == 24
    with pytest.raises(Truncated):
        ll.parse_adv(bytes([0x05, 20]) + payload[:20])


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=80), st.sampled_from([251, 256, 272, 192]))
def test_ll_stream_never_raises(data: bytes, lt: int) -> None:
    LlStream().feed(Record(1, 0.0, lt, data, 0))


@settings(max_examples=300, deadline=None)
@given(
    st.binary(max_size=80),
    st.sampled_from([1001, 1002, 2001, 187, 201, 254]),
    st.integers(0, 0x3FFFF),
)
def test_hci_stream_never_raises(data: bytes, lt: int, flags: int) -> None:
    HciStream().feed(Record(1, 0.0, lt, data, 0, Direction.UNKNOWN, flags))


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=40))
def test_hci_parsers_raise_only_decode_errors(data: bytes) -> None:
    for fn in (hci.parse_event, hci.parse_command, hci.parse_acl):
        with contextlib.suppress(DecodeError):
            fn(data)
