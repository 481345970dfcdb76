"""HciStream: records of every HCI link type → PDUs.

Byte literals per transport; links for commands, Command Status / Complete; ATT Error
Responses and the request they answer; L2CAP reassembly fed random chunk sizes (hypothesis)
with unrelated traffic interleaved; the fast path checked against a reference built on
``l2cap.Reassembler`` alone; problems as data; fuzzing (feed never raises); and a
differential test of the HCI security events against tshark on the shared HCI captures.
"""

from __future__ import annotations

import random
import struct
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bpdiag.capture import open_capture
from bpdiag.capture._io import Frames
from bpdiag.capture.record import Direction, LinkType, Problem, ProblemKind, Record
from bpdiag.decode import att, hci, hci_stream, monitor, smp
from bpdiag.decode.hci_stream import HciStream
from bpdiag.decode.l2cap import Reassembler
from bpdiag.decode.pdu import Pdu
from bpdiag.errors import DecodeError
from tests.conftest import SHARED, require_shared
from tests.tshark import EVENT_FIELDS, Tshark, any_of, columns, event, subevent

H4 = LinkType.BTSNOOP_H4
MON = LinkType.BTSNOOP_MONITOR
SENT, RECEIVED = Direction.SENT, Direction.RECEIVED

ENC_CHANGE = bytes([0x08, 0x04, 0x00, 0x40, 0x00, 0x01])  # Encryption Change, ok, 0x0040, on
PAIRING_FAILED = b"\x05\x08"  # SMP Pairing Failed, Unspecified Reason
PAIRING_REQUEST = bytes([0x01, 0x03, 0x00, 0x01, 0x10, 0x07, 0x07])  # NoIO, bonding, 16


def l2(cid: int, payload: bytes) -> bytes:
    return struct.pack("<HH", len(payload), cid) + payload


def acl(handle: int, pb: int, data: bytes) -> bytes:
    """ACL data packet without a transport byte: handle | PB << 12, length, data."""
    return struct.pack("<HH", handle | pb << 12, len(data)) + data


def h4rec(i: int, payload: bytes, received: bool = True) -> Record:
    """A btsnoop H4 record; flags bit 0 = received."""
    d = RECEIVED if received else SENT
    return Record(i, i * 0.5, H4, payload, 16 + i * 100, d, int(received))


def h4acl(i: int, handle: int, pb: int, data: bytes, received: bool = True) -> Record:
    return h4rec(i, b"\x02" + acl(handle, pb, data), received)


def monrec(i: int, opcode: int, data: bytes, adapter: int = 0) -> Record:
    return Record(i, i * 0.5, MON, data, 16 + i * 100, Direction.UNKNOWN, adapter << 16 | opcode)


def feed_all(stream: HciStream, recs: list[Record]) -> list[Pdu]:
    out: list[Pdu] = []
    for r in recs:
        out += stream.feed(r)
    return out


def summary(pdus: list[Pdu]) -> list[tuple[str, int, Direction, object]]:
    return [(p.layer, p.opcode, p.direction, p.link) for p in pdus]


# ---------------------------------------------------------------- transports
SMP_ACL = acl(0x40, 0b10, l2(0x0006, PAIRING_FAILED))


@pytest.mark.parametrize(
    ("rec", "direction", "adapter"),
    [
        (Record(1, 0.0, H4, b"\x02" + SMP_ACL, 0, RECEIVED, 0b01), RECEIVED, 0),
        (Record(1, 0.0, LinkType.BTSNOOP_H1, SMP_ACL, 0, SENT, 0b00), SENT, 0),
        (Record(1, 0.0, MON, SMP_ACL, 0, RECEIVED, 2 << 16 | 5), RECEIVED, 2),
        (Record(1, 0.0, LinkType.BLUETOOTH_HCI_H4, b"\x02" + SMP_ACL, 0), Direction.UNKNOWN, 0),
        (
            Record(1, 0.0, LinkType.BLUETOOTH_HCI_H4_WITH_PHDR, b"\0\0\0\0\x02" + SMP_ACL, 0),
            SENT,
            0,
        ),
        (
            Record(1, 0.0, LinkType.BLUETOOTH_LINUX_MONITOR, b"\0\x01\0\x04" + SMP_ACL, 0),
            SENT,
            1,
        ),
    ],
    ids=["btsnoop-h4", "btsnoop-h1", "btsnoop-monitor", "pcap-h4", "pcap-h4-phdr", "pcap-mon"],
)
def test_smp_over_every_transport(rec: Record, direction: Direction, adapter: int) -> None:
    stream = HciStream()
    pdus = stream.feed(rec)
    assert stream.problems == []
    assert summary(pdus) == [("smp", 0x05, direction, ("hci", adapter, 0x40))]
    assert (pdus[0].frame, pdus[0].first_frame, pdus[0].answers) == (1, 1, 0)
    assert isinstance(pdus[0].msg, smp.SmpCommand) and pdus[0].msg.code == 0x05


@pytest.mark.parametrize(
    ("rec", "direction"),
    [
        (Record(1, 0.0, H4, b"\x04" + ENC_CHANGE, 0, RECEIVED, 0b11), RECEIVED),
        (Record(1, 0.0, LinkType.BTSNOOP_H1, ENC_CHANGE, 0, RECEIVED, 0b11), RECEIVED),
        (Record(1, 0.0, MON, ENC_CHANGE, 0, RECEIVED, 3), RECEIVED),
        (Record(1, 0.0, LinkType.BLUETOOTH_HCI_H4, b"\x04" + ENC_CHANGE, 0), RECEIVED),
        (
            Record(1, 0.0, LinkType.BLUETOOTH_HCI_H4_WITH_PHDR, b"\0\0\0\x01\x04" + ENC_CHANGE, 0),
            RECEIVED,
        ),
        (Record(1, 0.0, LinkType.BLUETOOTH_LINUX_MONITOR, b"\0\0\0\x03" + ENC_CHANGE, 0), RECEIVED),
    ],
    ids=["btsnoop-h4", "btsnoop-h1", "btsnoop-monitor", "pcap-h4", "pcap-h4-phdr", "pcap-mon"],
)
def test_event_over_every_transport(rec: Record, direction: Direction) -> None:
    stream = HciStream()
    pdus = stream.feed(rec)
    assert summary(pdus) == [("hci", 0x08, direction, ("hci", 0, 0x40))]
    assert isinstance(pdus[0].msg, hci.EncryptionChange) and stream.problems == []


def test_btsnoop_h4_type_comes_from_the_byte_not_flags_bit1() -> None:
    stream = HciStream()
    # flags 0b11 claim "event, received", the byte says ACL
    rec = Record(1, 0.0, H4, b"\x02" + SMP_ACL, 0, RECEIVED, 0b11)
    assert summary(stream.feed(rec)) == [("smp", 0x05, RECEIVED, ("hci", 0, 0x40))]


def test_feeder_is_feed() -> None:
    recs = [h4rec(1, b"\x04" + ENC_CHANGE), h4acl(2, 0x40, 0b10, l2(6, PAIRING_FAILED))]
    a, b = HciStream(), HciStream()
    fa = feed_all(a, recs)
    fb = [p for r in recs for p in b.feeder(H4)(r)]
    assert summary(fa) == summary(fb)
    assert HciStream().feeder(LinkType.BLUETOOTH_HCI_H4) is not None


# ---------------------------------------------------------------- hci messages and links
def cmd(opcode: int, params: bytes) -> bytes:
    return b"\x01" + struct.pack("<HB", opcode, len(params)) + params


def evt(code: int, params: bytes) -> bytes:
    return b"\x04" + bytes([code, len(params)]) + params


def test_command_status_and_complete_links() -> None:
    start_enc = cmd(0x2019, b"\x41\x00" + bytes(8) + b"\x00\x00" + bytes(16))
    recs = [
        h4rec(1, start_enc, received=False),  # LE Start Encryption, handle 0x41
        h4rec(2, evt(0x0F, b"\x00\x01\x19\x20")),  # Command Status (LE Start Encryption)
        h4rec(3, evt(0x0E, b"\x01\x1a\x20\x00\x42\x00")),  # Complete (LTK Reply), handle 0x42
        h4rec(4, evt(0x0E, b"\x01\x09\x10\x00" + bytes.fromhex("1371da7d1a00"))),  # BD_ADDR
        h4rec(5, cmd(0x200D, bytes(25)), received=False),  # LE Create Connection
        h4rec(6, evt(0x0F, b"\x00\x01\x0d\x20")),  # Command Status (LE Create Connection)
        h4rec(7, cmd(0x0406, b"\x41\x00\x13"), received=False),  # Disconnect 0x41
        h4rec(8, evt(0x0F, b"\x02\x01\x06\x04")),  # Command Status (Disconnect): Unknown Conn
        h4rec(9, cmd(0x1009, b""), received=False),  # Read BD_ADDR
    ]
    stream = HciStream()
    pdus = feed_all(stream, recs)
    assert stream.problems == []
    assert [(p.frame, p.opcode, p.direction, p.link) for p in pdus] == [
        (1, 0x2019, SENT, ("hci", 0, 0x41)),
        (2, 0x0F, RECEIVED, ("hci", 0, 0x41)),
        (3, 0x0E, RECEIVED, ("hci", 0, 0x42)),
        (4, 0x0E, RECEIVED, None),
        (5, 0x200D, SENT, None),
        (6, 0x0F, RECEIVED, None),
        (7, 0x0406, SENT, ("hci", 0, 0x41)),
        (8, 0x0F, RECEIVED, ("hci", 0, 0x41)),
        (9, 0x1009, SENT, None),
    ]
    assert pdus[3].msg.fields()["bd_addr"] == "00:1A:7D:DA:71:13"
    assert all(p.layer == "hci" and p.first_frame == p.frame for p in pdus)


def test_connection_events_and_failed_connections() -> None:
    conn = b"\x01" + b"\x00\x40\x00\x00\x00" + bytes(6) + struct.pack("<HHHB", 24, 0, 400, 0)
    failed = b"\x01" + b"\x3e\x40\x00\x00\x00" + bytes(6) + struct.pack("<HHHB", 24, 0, 400, 0)
    recs = [
        h4rec(1, evt(0x3E, failed)),  # LE Connection Complete: 0x3E, no connection
        h4rec(2, evt(0x3E, conn)),  # LE Connection Complete, handle 0x40
        h4rec(3, evt(0x3E, b"\x05\x40\x00" + bytes(10))),  # LTK Request
        h4rec(4, evt(0x30, b"\x00\x40\x00")),  # Encryption Key Refresh Complete
        h4rec(5, evt(0x59, b"\x00\x40\x00\x01\x07")),  # Encryption Change v2, key size 7
        h4rec(6, evt(0x05, b"\x00\x40\x00\x13")),  # Disconnection Complete
        h4rec(7, evt(0x03, b"\x04\x0b\x00" + bytes(8))),  # Connection Complete: Page Timeout
    ]
    stream = HciStream()
    pdus = feed_all(stream, recs)
    assert stream.problems == []
    link = ("hci", 0, 0x40)
    assert [(p.opcode, p.link, p.name) for p in pdus] == [
        (0x3E, None, "LE Connection Complete"),
        (0x3E, link, "LE Connection Complete"),
        (0x3E, link, "LE Long Term Key Request"),
        (0x30, link, "Encryption Key Refresh Complete"),
        (0x59, link, "Encryption Change v2"),
        (0x05, link, "Disconnection Complete"),
        (0x03, None, "Connection Complete"),
    ]


def test_uninteresting_packets_return_the_shared_empty_list() -> None:
    stream = HciStream()
    notify = l2(0x0004, b"\x1b\x2a\x00\x01\x02")  # ATT Handle Value Notification
    boring = [
        h4rec(1, evt(0x13, b"\x01\x40\x00\x01\x00")),  # Number Of Completed Packets
        h4rec(2, evt(0x0E, b"\x01\x03\x0c\x00")),  # Command Complete (Reset)
        h4rec(3, evt(0x0F, b"\x00\x01\x0b\x20")),  # Command Status (LE Set Scan Parameters)
        h4rec(4, evt(0x3E, b"\x02\x01\x00")),  # LE Advertising Report
        h4rec(5, cmd(0x0C03, b""), received=False),  # Reset
        h4acl(6, 0x40, 0b10, notify),  # ATT notification
        h4acl(7, 0x40, 0b10, l2(0x0005, b"\x12\x01\x00\x00")),  # LE signalling
        h4acl(8, 0x40, 0b10, l2(0x0040, bytes(30))[:20]),  # first fragment, dynamic CID
        h4acl(9, 0x40, 0b01, bytes(14)),  # its end
        h4rec(10, b"\x03\x40\x00\x01\x00"),  # SCO
        h4rec(11, b"\x05\x40\x00\x00\x00"),  # ISO
        monrec(12, 7, b"\x40\x00\x00"),  # SCO RX in a monitor capture
    ]
    results = [stream.feed(r) for r in boring]
    assert all(r is results[0] and r == [] for r in results)
    assert stream.problems == []


# ---------------------------------------------------------------- ATT error responses
def att_pdu(handle: int, pb: int, payload: bytes) -> bytes:
    return acl(handle, pb, l2(0x0004, payload))


def test_att_error_answers_the_last_matching_request() -> None:
    read = b"\x0a\x03\x00"  # Read Request, handle 0x0003
    write = b"\x12\x05\x00" + b"\x01\x00"  # Write Request, handle 0x0005
    err_read = b"\x01\x0a\x03\x00\x05"  # Error Response: Read Request, 0x0003, Insuff. Auth.
    err_write = b"\x01\x12\x05\x00\x0f"  # Error Response: Write Request, Insuff. Encryption
    recs = [
        h4rec(1, b"\x02" + att_pdu(0x40, 0b00, read), received=False),
        h4rec(2, b"\x02" + att_pdu(0x40, 0b10, err_read)),  # answers 1
        h4rec(3, b"\x02" + att_pdu(0x41, 0b00, write), received=False),  # other link
        h4rec(4, b"\x02" + att_pdu(0x40, 0b10, err_write)),  # nothing matching on 0x40
        h4rec(5, b"\x02" + att_pdu(0x40, 0b10, write)),  # a request from the peer
        h4rec(6, b"\x02" + att_pdu(0x40, 0b10, err_write)),  # same direction: not an answer
        h4rec(7, b"\x02" + att_pdu(0x41, 0b10, err_write)),  # answers 3
    ]
    stream = HciStream()
    pdus = feed_all(stream, recs)
    assert stream.problems == []
    assert [(p.frame, p.layer, p.opcode, p.answers, p.link) for p in pdus] == [
        (2, "att", 0x01, 1, ("hci", 0, 0x40)),
        (4, "att", 0x01, 0, ("hci", 0, 0x40)),
        (6, "att", 0x01, 0, ("hci", 0, 0x40)),
        (7, "att", 0x01, 3, ("hci", 0, 0x41)),
    ]
    err = pdus[0].msg
    assert isinstance(err, att.AttErrorResponse)
    assert (err.request_opcode, err.handle, err.error_code) == (0x0A, 3, 5)


def test_att_request_in_fragments_is_known_at_its_last_fragment() -> None:
    write = b"\x12\x05\x00" + bytes(40)  # Write Request with a 40-byte value
    frame = l2(0x0004, write)
    recs = [
        h4rec(1, b"\x02" + acl(0x40, 0b00, frame[:27]), received=False),
        h4rec(2, b"\x02" + acl(0x40, 0b01, frame[27:]), received=False),
        h4rec(3, b"\x02" + att_pdu(0x40, 0b10, b"\x01\x12\x05\x00\x0d")),  # Invalid Length
    ]
    stream = HciStream()
    pdus = feed_all(stream, recs)
    assert [(p.frame, p.answers) for p in pdus] == [(3, 2)] and stream.problems == []


def test_att_error_while_a_reassembly_is_pending() -> None:
    smp_start = l2(0x0006, b"\x0c" + bytes(64))[:20]  # first fragment of a Public Key
    recs = [
        h4acl(1, 0x40, 0b00, smp_start, received=False),  # SMP pending (sent direction)
        h4rec(2, b"\x02" + att_pdu(0x41, 0b00, b"\x0a\x03\x00"), received=False),  # slow path
        h4rec(3, b"\x02" + att_pdu(0x41, 0b10, b"\x01\x0a\x03\x00\x02")),  # Read Not Permitted
    ]
    stream = HciStream()
    pdus = feed_all(stream, recs)
    assert [(p.frame, p.answers) for p in pdus] == [(3, 2)]


# ---------------------------------------------------------------- reassembly
def chunks(data: bytes, sizes: list[int]) -> list[bytes]:
    out, pos, i = [], 0, 0
    while pos < len(data):
        n = sizes[i % len(sizes)]
        out.append(data[pos : pos + n])
        pos += n
        i += 1
    return out


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(1, 30), min_size=1, max_size=8),
    st.lists(st.integers(1, 30), min_size=1, max_size=8),
    st.sampled_from([H4, MON]),
)
def test_smp_reassembly_random_fragments(
    sizes: list[int], other_sizes: list[int], lt: LinkType
) -> None:
    """A Public Key split at random, with an unwanted fragmented PDU in the other direction
    of the same handle and notifications on another handle interleaved."""
    pubkey = l2(0x0006, b"\x0c" + bytes(range(64)))
    other = l2(0x0040, bytes(range(100)))  # a dynamic channel, fragmented too
    mine, theirs = chunks(pubkey, sizes), chunks(other, other_sizes)
    notify = acl(0x41, 0b10, l2(0x0004, b"\x1b\x2a\x00\xff"))
    recs: list[Record] = []

    def add(data: bytes, received: bool) -> None:
        i = len(recs) + 1
        if lt == H4:
            recs.append(h4rec(i, b"\x02" + data, received))
        else:
            recs.append(monrec(i, 5 if received else 4, data, adapter=1))

    first = last = 0
    for k in range(max(len(mine), len(theirs))):
        if k < len(theirs):
            add(acl(0x40, 0b10 if k == 0 else 0b01, theirs[k]), received=False)
        if k < len(mine):
            add(acl(0x40, 0b10 if k == 0 else 0b01, mine[k]), received=True)
            first = first or len(recs)
            last = len(recs)
        add(notify, received=True)
    stream = HciStream()
    pdus = feed_all(stream, recs)
    stream.finish()
    assert stream.problems == []
    adapter = 0 if lt == H4 else 1
    assert summary(pdus) == [("smp", 0x0C, RECEIVED, ("hci", adapter, 0x40))]
    assert (pdus[0].first_frame, pdus[0].frame) == (first, last)


def test_unwanted_pdu_longer_than_its_header_is_a_problem() -> None:
    recs = [
        h4acl(1, 0x40, 0b10, l2(0x0040, bytes(10))[:8]),  # 4 of 10 payload bytes
        h4acl(2, 0x40, 0b01, bytes(9)),  # 9 more: 3 too many
        h4acl(3, 0x40, 0b10, l2(0x0006, PAIRING_FAILED)),
    ]
    stream = HciStream()
    pdus = feed_all(stream, recs)
    assert summary(pdus) == [("smp", 0x05, RECEIVED, ("hci", 0, 0x40))]
    assert stream.problems == [
        Problem(
            2,
            216,
            "L2CAP PDU on handle 0x040 ran 3 bytes past the length in its header; "
            "the extra bytes are ignored",
            "l2cap",
            ProblemKind.BAD_LENGTH,
        )
    ]


def test_disconnection_drops_partial_pdus() -> None:
    pubkey = l2(0x0006, b"\x0c" + bytes(64))
    recs = [
        h4acl(1, 0x40, 0b10, pubkey[:30]),
        h4rec(2, evt(0x05, b"\x00\x40\x00\x08")),  # Disconnection Complete: Connection Timeout
        h4acl(3, 0x40, 0b01, pubkey[30:]),  # the rest arrives on a handle that is gone
    ]
    stream = HciStream()
    pdus = feed_all(stream, recs)
    assert [p.layer for p in pdus] == ["hci"]
    assert stream.problems == [
        Problem(
            3,
            316,
            "L2CAP continuation fragment of 39 bytes with no start",
            "l2cap",
            ProblemKind.INVALID,
        )
    ]
    stream.problems.clear()
    stream.finish()
    assert stream.problems == []


def test_finish_reports_open_pdus() -> None:
    stream = HciStream()
    feed_all(
        stream,
        [
            h4acl(1, 0x40, 0b10, l2(0x0006, b"\x0c" + bytes(64))[:30]),
            h4acl(2, 0x41, 0b10, b"\x07\x00"),  # half an L2CAP header
            h4acl(3, 0x42, 0b10, l2(0x0040, bytes(50))[:10]),  # unwanted: not reported
        ],
    )
    assert stream.finish() == []
    assert stream.problems == [
        Problem(
            None,
            None,
            "capture ends inside an L2CAP PDU on handle 0x040, CID 0x0006: 26 of 65 bytes",
            "l2cap",
            ProblemKind.TRUNCATED,
        ),
        Problem(
            None,
            None,
            "capture ends inside an L2CAP basic header on handle 0x041 (2 of 4 bytes)",
            "l2cap",
            ProblemKind.TRUNCATED,
        ),
    ]


# ---------------------------------------------------------------- problems
def test_bad_input_becomes_problems() -> None:
    recs = [
        h4rec(1, b""),  # empty
        h4rec(2, b"\x04\x08\x04\x00\x40\x00"),  # Encryption Change one byte short
        h4rec(3, b"\x02\x40\x20\x09\x00\x05\x00\x06\x00\x05"),  # ACL says 9 bytes, 5 follow
        h4acl(4, 0x40, 0b10, l2(0x0006, b"\x05")),  # Pairing Failed without its reason
        h4rec(5, b"\x02" + acl(0x40, 0b10, l2(0x0006, PAIRING_FAILED)) + b"\xee"),  # 1 extra
        h4rec(6, b"\x09\x00"),  # unknown H4 type
        h4rec(7, b"\x09\x01"),  # again: counted, not listed
        h4rec(8, b"\x04"),  # an event with no code
        h4acl(9, 0x40, 0b10, l2(0x0004, b"")),  # empty ATT PDU
    ]
    stream = HciStream()
    pdus = feed_all(stream, recs)
    assert [(p.frame, p.layer, p.opcode) for p in pdus] == [(5, "smp", 0x05)]
    stream.finish()
    got = [(p.record, p.offset, p.layer, p.message) for p in stream.problems]
    assert got == [
        (1, 116, "h4", "empty H4 packet: no packet type byte"),
        (2, 216, "hci", "HCI Encryption Change event: parameter length says 4, got 3"),
        (3, 316, "hci", "HCI ACL data length says 9, got 5"),
        (4, 416, "smp", "SMP Pairing Failed must be 2 bytes, got 1"),
        (5, 516, "hci", "HCI ACL data length says 6, got 7; the extra bytes are ignored"),
        (
            6,
            616,
            "h4",
            "unknown H4 packet type 0x09; the record is skipped "
            "(later records of this type are counted, not listed)",
        ),
        (8, 816, "hci", "empty HCI event packet (no event code)"),
        (9, 916, "att", "empty ATT PDU (no opcode)"),
        (None, None, "h4", "2 records in all had unknown H4 packet type 0x09 (first at record 6)"),
    ]


# ---------------------------------------------------------------- monitor records
def test_monitor_records_are_pdus() -> None:
    raw_open = struct.pack("<IHBHIB", 8, 0, 1, 0, 0, 16) + b"hcitool".ljust(16, b"\0")
    recs = [
        monrec(1, 12, b"Bluetooth monitor ver 5.66\x00", adapter=0xFFFF),  # System Note
        monrec(2, 13, bytes([6, 11]) + b"bluetoothd\x00" + b"hello\x00"),  # User Logging
        monrec(3, 11, b"\x01\x02"),  # Vendor Diagnostic
        monrec(4, 14, raw_open),  # Control Open of a RAW socket, cookie 8
        monrec(5, 16, struct.pack("<I", 8) + b"\x03\x0c\x00"),  # its Control Command
        monrec(6, 42, b"\x00"),  # an opcode BlueZ does not define
        monrec(7, 15, struct.pack("<I", 8)),  # Control Close
        monrec(8, 16, struct.pack("<I", 8) + b"\x19\x00" + bytes(8)),  # cookie now unknown
    ]
    stream = HciStream()
    pdus = feed_all(stream, recs)
    assert stream.problems == []
    assert [(p.layer, p.opcode, p.link, p.direction, p.name) for p in pdus] == [
        ("monitor", 12, None, Direction.UNKNOWN, "System Note"),
        ("monitor", 13, None, Direction.UNKNOWN, "User Logging"),
        ("monitor", 11, None, Direction.UNKNOWN, "Vendor Diagnostic"),
        ("monitor", 14, None, Direction.UNKNOWN, "Control Open"),
        ("monitor", 16, None, Direction.UNKNOWN, "Control Command"),
        ("monitor", 42, None, Direction.UNKNOWN, "Unknown monitor record (opcode 42)"),
        ("monitor", 15, None, Direction.UNKNOWN, "Control Close"),
        ("monitor", 16, None, Direction.UNKNOWN, "MGMT Command (Pair Device)"),
    ]
    assert pdus[0].msg.fields()["adapter"] == 0xFFFF
    assert isinstance(pdus[1].msg, monitor.UserLogging) and pdus[1].msg.message == "hello"


def test_monitor_record_problems() -> None:
    stream = HciStream()
    assert stream.feed(monrec(1, 0, b"\x00\x01")) == []  # New Index, 2 of 16 bytes
    assert stream.problems == [
        Problem(1, 116, "monitor New Index needs 16 bytes, got 2", "monitor", ProblemKind.TRUNCATED)
    ]


def test_delete_index_drops_the_adapters_partial_pdus() -> None:
    pubkey = l2(0x0006, b"\x0c" + bytes(64))
    recs = [
        monrec(1, 5, acl(0x40, 0b10, pubkey[:30]), adapter=1),
        monrec(2, 5, acl(0x40, 0b10, pubkey[:30]), adapter=2),
        monrec(3, 1, b"", adapter=1),  # Delete Index hci1
    ]
    stream = HciStream()
    feed_all(stream, recs)
    stream.finish()
    assert [p.message for p in stream.problems] == [
        "capture ends inside an L2CAP PDU on handle 0x040 of adapter 2, CID 0x0006: 26 of 65 bytes"
    ]


# ---------------------------------------------------------------- reference model
def reference(recs: list[Record]) -> list[tuple[str, int, int, bytes]]:
    """The SMP PDUs and ATT Error Responses of btsnoop-H4 ACL records, from
    ``l2cap.Reassembler`` alone (no fast path): (layer, first_frame, frame, payload)."""
    reasm = Reassembler(frozenset({4, 6, 7}))
    out: list[tuple[str, int, int, bytes]] = []
    for r in recs:
        p = r.payload
        if p[:1] == b"\x04" and len(p) >= 7 and p[1] == 0x05 and p[3] == 0:
            handle = struct.unpack_from("<H", p, 4)[0] & 0x0FFF
            for d in (0, 1, 2):
                reasm.drop((0, handle, d))
            continue
        if p[:1] != b"\x02":
            continue
        try:
            handle, pb, _bc, data = hci.parse_acl(p[1:], allow_extra=True)
        except DecodeError:
            continue
        key = (0, handle, 2 if r.flags & 1 else 1)
        frame = (
            reasm.continuation(key, data, r.index) if pb == 1 else reasm.start(key, data, r.index)
        )
        if frame is None:
            continue
        if frame.cid == 4 and frame.payload[:1] == b"\x01":
            out.append(("att", frame.first_frame, frame.last_frame, frame.payload))
        elif frame.cid in (6, 7):
            out.append(("smp", frame.first_frame, frame.last_frame, frame.payload))
    return out


# (CID, payload) pairs that make real PDUs; random pairs are drawn too.
PDUS = [
    (6, PAIRING_FAILED),
    (6, PAIRING_REQUEST),
    (6, b"\x0c" + bytes(range(64))),  # Pairing Public Key
    (7, PAIRING_FAILED),  # over BR/EDR
    (4, b"\x01\x0a\x03\x00\x05"),  # ATT Error Response (Read Request)
    (4, b"\x01\x12\x05\x00"),  # ATT Error Response one byte short
    (4, b"\x0a\x03\x00"),  # ATT Read Request
    (4, b"\x12\x05\x00" + bytes(30)),  # ATT Write Request
    (4, b"\x1b\x2a\x00" + bytes(25)),  # ATT notification
    (0x40, bytes(range(40))),  # a dynamic channel
]


def _group(
    handle: int,
    pdu: tuple[int, bytes],
    delta: int,
    cuts: list[int],
    pb0: int,
    received: bool,
) -> list[tuple[bytes, bool]]:
    """One L2CAP PDU (its length field off by ``delta``) cut into ACL fragments."""
    cid, payload = pdu
    frame = struct.pack("<HH", max(0, len(payload) + delta), cid) + payload
    points = sorted({c % len(frame) for c in cuts} - {0})
    pieces = [frame[a:b] for a, b in zip([0, *points], [*points, len(frame)], strict=True)]
    return [
        (b"\x02" + acl(handle, pb0 if k == 0 else 0b01, piece), received)
        for k, piece in enumerate(pieces)
    ]


GROUP = st.builds(
    _group,
    st.sampled_from([0x40, 0x41]),
    st.one_of(
        st.sampled_from(PDUS),
        st.tuples(st.sampled_from([4, 6, 7, 0x40]), st.binary(max_size=12)),
    ),
    st.sampled_from([0, 0, 0, 0, -1, 1, 5, -40]),
    st.lists(st.integers(0, 80), max_size=3),
    st.sampled_from([0b00, 0b10, 0b11, 0b10, 0b01]),
    st.booleans(),
)
DISCONNECT = st.just([(evt(0x05, b"\x00\x40\x00\x13"), True)])  # handle 0x40 gone


@pytest.mark.slow
@settings(max_examples=500, deadline=None)
@given(st.lists(st.one_of(GROUP, GROUP, GROUP, DISCONNECT), max_size=10), st.randoms())
def test_fast_path_agrees_with_the_reassembler(
    groups: list[list[tuple[bytes, bool]]], rnd: random.Random
) -> None:
    # Interleave the groups' fragments at random, each group keeping its own order.
    queues = [list(g) for g in groups]
    items: list[tuple[bytes, bool]] = []
    while any(queues):
        q = rnd.choice([q for q in queues if q])
        items.append(q.pop(0))
    recs = [h4rec(i, data, received) for i, (data, received) in enumerate(items, start=1)]
    stream = HciStream()
    pdus = feed_all(stream, recs)
    stream.finish()
    got = [(p.layer, p.first_frame, p.frame, p.msg) for p in pdus if p.layer in ("smp", "att")]
    want = []
    for layer, first, last, payload in reference(recs):
        try:
            msg = smp.parse_smp(payload) if layer == "smp" else att.parse_att(payload)
        except DecodeError:
            continue  # a problem, not a PDU, in both
        want.append((layer, first, last, msg))
    assert got == want


# Events and commands of the typed codes (and a few others), well framed or not.
HCI_PACKET = st.builds(
    lambda kind, code, sub, params, skew: (
        (
            evt(code & 0xFF, (bytes([sub]) if code & 0xFF == 0x3E else b"") + params)
            if kind == 4
            else cmd(code, params)
        )[: None if skew >= 0 else skew],
        kind == 4,
    ),
    st.sampled_from([1, 4]),
    st.sampled_from(sorted(hci.TYPED_EVENTS | hci.TYPED_COMMANDS | {0x13, 0x0C03})),
    st.sampled_from(sorted(hci.TYPED_SUBEVENTS | {0x02})),
    st.binary(max_size=36),
    st.sampled_from([0, 0, 0, -1, -3]),
)


def _as_phdr(rec: Record) -> Record:
    """The same H4 packet as LINKTYPE 201 (a 4-byte big-endian direction word before it),
    which ``feed`` reads through ``h4.split`` and ``_dispatch``: the generic path."""
    word = struct.pack(">I", rec.flags & 1)
    return Record(rec.index, rec.timestamp, 201, word + rec.payload, rec.file_offset)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(GROUP, GROUP, DISCONNECT, st.lists(HCI_PACKET, max_size=3)), max_size=10))
def test_btsnoop_h4_feeder_agrees_with_the_generic_path(
    groups: list[list[tuple[bytes, bool]]],
) -> None:
    """``_feed_btsnoop_h4`` (the inlined cases: whole SMP PDUs, ATT, events and commands
    filtered by code) gives the PDUs and problems of the generic path, field for field."""
    items = [item for g in groups for item in g if item[0]]  # (an empty one: framing problems)
    recs = [h4rec(i, data, received) for i, (data, received) in enumerate(items, start=1)]
    fast, slow = HciStream(), HciStream()
    feed = fast.feeder(H4)
    got = [p for r in recs for p in feed(r)] + fast.finish()
    want = [p for r in recs for p in slow.feed(_as_phdr(r))] + slow.finish()
    assert got == want
    assert [(p.record, p.message, p.layer, p.kind) for p in fast.problems] == [
        (p.record, p.message, p.layer, p.kind) for p in slow.problems
    ]


def _frames(payloads: list[bytes], hdr: int = 24) -> Frames:
    """Records laid out as a btsnoop reader frames them: a header of ``hdr`` bytes (zeros
    here) before each payload."""
    buf = bytearray()
    heads = []
    for payload in payloads:
        heads.append(len(buf))
        buf += bytes(hdr) + payload
    heads.append(len(buf))
    return Frames(bytes(buf), 16, 0, heads, [], hdr, H4)


H4_PACKET = st.one_of(
    HCI_PACKET,
    GROUP.map(lambda g: g[0]),
    st.tuples(st.binary(max_size=12), st.booleans()),
    st.tuples(st.sampled_from([b"\x03\x00", b"\x05", b"\x04\x13\x05"]), st.booleans()),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(H4_PACKET, max_size=30), st.booleans())
def test_skim_h4_stops_where_inert_says(items: list[tuple[bytes, bool]], pending: bool) -> None:
    """``_skim_h4`` (events and commands told by their code inline, ACL by a remembered
    prefix) passes over exactly the records ``_inert`` says it may, from every start."""
    stream = HciStream()
    if pending:  # an L2CAP PDU in fragments: ACL data is no longer passed over
        stream.feed(h4acl(1, 0x41, 0b10, struct.pack("<HH", 30, 6) + b"\x0c"))
        assert stream._reasm_keys
    payloads = [data for data, _received in items]
    frames = _frames(payloads)
    for start in range(len(payloads) + 1):
        want = start
        while want < len(payloads):
            inert = hci_stream._inert(payloads[want][:10], len(payloads[want]))
            if inert is None or (inert and pending):
                break
            want += 1
        assert stream._skim_h4(frames, start, len(payloads)) == want


# ---------------------------------------------------------------- fuzz
RECORD = st.builds(
    lambda lt, data, flags: Record(1, 0.0, lt, data, 0, Direction.UNKNOWN, flags),
    st.sampled_from([1001, 1002, 2001, 187, 201, 254, 272]),
    st.binary(max_size=60),
    st.integers(0, 0x3FFFF),
)


@settings(max_examples=400, deadline=None)
@given(st.lists(RECORD, max_size=20))
def test_feed_never_raises(recs: list[Record]) -> None:
    stream = HciStream()
    for i, r in enumerate(recs, start=1):
        r.index = i
        for pdu in stream.feed(r):
            assert pdu.layer in ("hci", "smp", "att", "monitor")
            pdu.msg.fields()
    stream.finish()
    assert all(isinstance(p, Problem) for p in stream.problems)


# ---------------------------------------------------------------- tshark
HCI_SHARED = ("android_", "btmon_", "h4phdr_")
# the frames tshark is asked about: the events bpdiag_events reads
TSHARK_FILTER = any_of(
    event(0x05), event(0x08), event(0x59), subevent(0x01), subevent(0x0A), subevent(0x29),
    subevent(0x05),
)  # fmt: skip


def _int(v: str) -> int | None:
    return int(v, 0) if v else None  # two occurrences ("1,2") are not one event: ValueError


def tshark_events(dissect: Tshark, path: Path) -> list[tuple[int | None, ...]]:
    return [
        (frame.number, *(_int(v) for v in columns(frame, EVENT_FIELDS)))
        for frame in dissect.select(path, TSHARK_FILTER)
    ]


def bpdiag_events(path: Path) -> list[tuple[int | None, ...]]:
    stream = HciStream()
    rows = []
    with open_capture(path) as cap:
        for rec in cap:
            for p in stream.feed(rec):
                m = p.msg
                if isinstance(m, hci.LeConnectionComplete):
                    rows.append((p.frame, 0x3E, m.subevent, m.status, m.handle, None, None))
                elif isinstance(m, hci.LeLtkRequest):
                    rows.append((p.frame, 0x3E, 0x05, None, m.handle, None, None))
                elif isinstance(m, hci.DisconnectionComplete):
                    rows.append((p.frame, 0x05, None, m.status, m.handle, m.reason, None))
                elif isinstance(m, hci.EncryptionChange):
                    rows.append(
                        (p.frame, m.code, None, m.status, m.handle, None, m.encryption_enabled)
                    )
    return rows


def hci_shared_captures() -> list[Path]:
    if not SHARED.is_dir():
        return []
    return sorted(p for p in SHARED.iterdir() if p.name.startswith(HCI_SHARED))


@pytest.mark.parametrize(
    "path",
    [pytest.param(p, id=p.name) for p in hci_shared_captures()]
    or [pytest.param(None, id="no-shared-captures")],
)
def test_security_events_agree_with_tshark(path: Path | None, dissect: Tshark) -> None:
    require_shared()
    if path is None:
        pytest.skip(f"no android_/btmon_/h4phdr_ capture in {SHARED}")
    want = tshark_events(dissect, path)
    assert bpdiag_events(path) == want
