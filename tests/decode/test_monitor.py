"""Linux monitor records that are not HCI packets.  Every input is written here from the
format's definition — BlueZ src/shared/btsnoop.h (opcodes, New Index / Index Info / User
Logging structs), monitor/packet.c (how btmon reads Control Open/Close/Command/Event), the
kernel's Control Open layout (net/bluetooth/hci_sock.c) and doc/mgmt-protocol.rst for the
management messages — never copied from another tool's output."""

from __future__ import annotations

import contextlib
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bpdiag.decode import monitor
from bpdiag.decode.monitor import parse_monitor
from bpdiag.errors import DecodeError, Truncated, Unsupported
from tests.helpers import fields_of

ADDR = bytes.fromhex("0c1688376000")  # 00:60:37:88:16:0C in wire order


def _ctrl_open(cookie: int, fmt: int, process: bytes, flags: int = 1) -> bytes:
    return (
        struct.pack("<I", cookie)  # cookie
        + struct.pack("<H", fmt)  # format: 0 RAW, 1 USER, 2 MGMT
        + bytes([1])  # version
        + struct.pack("<H", 22)  # revision
        + struct.pack("<I", flags)  # flags: bit 0 trusted
        + bytes([16])  # ident length: TASK_COMM_LEN
        + process.ljust(16, b"\x00")  # comm, NUL-padded
    )


def test_new_index_and_index_info() -> None:
    ni = parse_monitor(
        0,
        1,
        bytes([0x00])  # type: primary
        + bytes([0x01])  # bus: USB
        + ADDR  # bdaddr
        + b"hci1\x00\x00\x00\x00",  # name[8]
    )
    assert isinstance(ni, monitor.NewIndex) and ni.name == "New Index" and ni.opcode == 0
    assert ni.fields() == {
        "adapter": 1,
        "type": 0,
        "bus": 1,
        "bus_name": "USB",
        "address": "00:60:37:88:16:0C",
        "name": "hci1",
    }
    ii = parse_monitor(10, 0, ADDR + struct.pack("<H", 2))  # bdaddr, manufacturer 2 (Intel)
    assert isinstance(ii, monitor.IndexInfo)
    assert ii.fields() == {"adapter": 0, "address": "00:60:37:88:16:0C", "manufacturer": 2}
    assert ii.get("address") == "00:60:37:88:16:0C" and ii.get("nothing") is None
    with pytest.raises(Truncated) as exc:
        parse_monitor(0, 0, bytes(15))
    assert str(exc.value) == "monitor New Index needs 16 bytes, got 15"
    assert exc.value.layer == "monitor"
    with pytest.raises(Truncated) as exc:
        parse_monitor(10, 0, ADDR)
    assert str(exc.value) == "monitor Index Info needs 8 bytes, got 6"
    assert parse_monitor(0, 0, b"\x00\x0c" + bytes(14)).fields()["bus_name"] == "reserved (12)"


@pytest.mark.parametrize(
    ("opcode", "cls", "name"),
    [
        (1, monitor.DeleteIndex, "Delete Index"),
        (8, monitor.OpenIndex, "Open Index"),
        (9, monitor.CloseIndex, "Close Index"),
    ],
)
def test_index_events_without_data(opcode: int, cls: type, name: str) -> None:
    rec = parse_monitor(opcode, 3, b"")
    assert type(rec) is cls and rec.name == name and rec.fields() == {"adapter": 3}


def test_system_note_and_vendor_diagnostic() -> None:
    note = parse_monitor(12, 0, b"Bluetooth monitor ver 5.66\x00")
    assert isinstance(note, monitor.SystemNote)
    assert note.fields() == {"adapter": 0, "text": "Bluetooth monitor ver 5.66"}
    assert parse_monitor(12, 0, b"no terminator").get("text") == "no terminator"
    assert parse_monitor(12, 0, b"bad \xff utf-8\x00").get("text") == "bad \ufffd utf-8"
    diag = parse_monitor(11, 0, b"\x07\x01\x02")
    assert fields_of(diag, monitor.VendorDiagnostic, "Vendor Diagnostic") == {
        "adapter": 0,
        "data": "070102",
    }


def test_user_logging() -> None:
    data = (
        bytes([3])  # priority: BTSNOOP_PRIORITY_ERR
        + bytes([11])  # ident_len, NUL included
        + b"bluetoothd\x00"  # ident
        + b"No agent available for request type 2\x00"  # message
    )
    rec = parse_monitor(13, 0, data)
    assert isinstance(rec, monitor.UserLogging)
    assert rec.fields() == {
        "adapter": 0,
        "priority": 3,
        "ident": "bluetoothd",
        "message": "No agent available for request type 2",
    }
    user_data = bytes([6, 4]) + b"> x\x00" + b"\x04\x00\x01\x00\x0a"  # "User Data" frame
    assert parse_monitor(13, 0, user_data).get("message") == "040001000a"
    with pytest.raises(Truncated) as exc:
        parse_monitor(13, 0, b"\x06")
    assert str(exc.value) == "monitor User Logging needs 2 bytes, got 1"
    with pytest.raises(Truncated) as exc:
        parse_monitor(13, 0, bytes([6, 11]) + b"bluez")  # ident runs past the record
    assert str(exc.value) == "monitor User Logging with a 11-byte ident needs 13 bytes, got 7"


def test_control_open() -> None:
    rec = parse_monitor(14, 0, _ctrl_open(7, 2, b"bluetoothd"))
    assert fields_of(rec, monitor.ControlOpen, "Control Open") == {
        "adapter": 0,
        "cookie": 7,
        "format": "MGMT",
        "version": 1,
        "revision": 22,
        "flags": 1,
        "process": "bluetoothd",
    }
    assert rec.trusted and rec.format == 2
    raw = parse_monitor(14, 0, _ctrl_open(8, 0, b"hcidump", flags=0))
    assert raw.get("format") == "RAW" and not raw.trusted  # type: ignore[attr-defined]
    # Short form (btmon reads cookie and format only when fewer than 8 bytes follow).
    short = parse_monitor(14, 0, struct.pack("<IH", 9, 1) + b"\x01\x02")
    assert short.fields() == {
        "adapter": 0,
        "cookie": 9,
        "format": "USER",
        "version": None,
        "revision": None,
        "flags": None,
        "process": None,
    }
    other = parse_monitor(14, 0, struct.pack("<IH", 9, 5) + bytes(30))  # unknown format
    assert other.get("format") == "reserved (0x0005)" and other.get("process") is None
    with pytest.raises(Truncated) as exc:
        parse_monitor(14, 0, struct.pack("<IH", 7, 2)[:5])
    assert str(exc.value) == "monitor Control Open needs 6 bytes, got 5"
    with pytest.raises(Truncated) as exc:
        parse_monitor(14, 0, _ctrl_open(7, 2, b"bluetoothd")[:25])  # name cut at 11 bytes
    assert str(exc.value) == "monitor Control Open: process name length says 16, 11 bytes follow"


def test_control_close() -> None:
    rec = parse_monitor(15, 0, struct.pack("<I", 7))
    assert isinstance(rec, monitor.ControlClose) and rec.fields() == {"adapter": 0, "cookie": 7}
    with pytest.raises(Truncated):
        parse_monitor(15, 0, b"\x07\x00")


def test_mgmt_commands() -> None:
    pair = parse_monitor(
        16,
        0,
        struct.pack("<I", 7)  # cookie
        + struct.pack("<H", 0x0019)  # Pair Device
        + ADDR  # Address
        + b"\x01"  # Address_Type: LE public
        + b"\x03",  # IO_Capability: NoInputNoOutput
    )
    assert isinstance(pair, monitor.ControlCommand)
    assert pair.name == "MGMT Command (Pair Device)" and pair.opcode == 16
    assert pair.fields() == {
        "adapter": 0,
        "cookie": 7,
        "opcode": 0x0019,
        "opcode_name": "Pair Device",
        "address": "00:60:37:88:16:0C",
        "address_type": 1,
        "io_capability": 3,
        "params": "0c1688376000" + "01" + "03",
    }
    io = parse_monitor(16, 0, struct.pack("<IHB", 7, 0x0018, 4))  # Set IO Capability: KbdDisp
    assert io.get("opcode_name") == "Set IO Capability" and io.get("io_capability") == 4
    pk = parse_monitor(16, 0, struct.pack("<IH", 7, 0x001E) + ADDR + b"\x01" + b"\x40\xe2\x01\x00")
    assert pk.get("passkey") == 123456  # User Passkey Reply
    sc = parse_monitor(16, 0, struct.pack("<IHB", 7, 0x002D, 2))  # Set Secure Connections: only
    assert sc.get("opcode_name") == "Set Secure Connections" and sc.get("mode") == 2
    unknown = parse_monitor(16, 0, struct.pack("<IH", 7, 0x0FFF) + b"\x01")
    assert unknown.get("opcode_name") == "Unknown (0x0fff)" and unknown.get("params") == "01"
    with pytest.raises(Truncated) as exc:  # Pair Device without its IO capability
        parse_monitor(16, 0, struct.pack("<IH", 7, 0x0019) + ADDR + b"\x01")
    assert str(exc.value) == "monitor MGMT Pair Device needs 8 bytes, got 7"
    with pytest.raises(Truncated) as exc:
        parse_monitor(16, 0, struct.pack("<I", 7) + b"\x19")
    assert str(exc.value) == "monitor MGMT Command needs 6 bytes, got 5"


def test_key_material_is_withheld() -> None:
    ltk = bytes(range(16))
    key = ADDR + b"\x01" + b"\x00\x01\x10" + b"\x00\x00" + bytes(8) + ltk  # one LTK entry
    load = parse_monitor(16, 0, struct.pack("<IHH", 7, 0x0013, 1) + key)  # Load Long Term Keys
    assert load.get("key_count") == 1
    assert load.get("params") == "withheld: 38 bytes of key material"
    assert ltk.hex() not in str(load.fields())
    new_ltk = parse_monitor(
        17,
        0,
        struct.pack("<IH", 7, 0x000A)  # cookie, New Long Term Key
        + b"\x01"  # Store_Hint
        + ADDR
        + b"\x01"  # Address, Address_Type
        + b"\x00\x01\x10"  # Key_Type, Central, Encryption_Size 16
        + b"\x00\x00"
        + bytes(8)
        + ltk,  # EDiv, Rand, Value
    )
    assert new_ltk.get("encryption_size") == 16 and new_ltk.get("address") == "00:60:37:88:16:0C"
    assert ltk.hex() not in str(new_ltk.fields())
    oob = parse_monitor(17, 0, struct.pack("<IHHB", 7, 1, 0x0020, 0) + bytes(32))
    assert str(oob.get("params")).startswith("withheld")  # Read Local OOB Data reply


def test_mgmt_command_complete_and_status() -> None:
    done = parse_monitor(
        17,
        0,
        struct.pack("<I", 7)  # cookie
        + struct.pack("<H", 0x0001)  # Command Complete
        + struct.pack("<H", 0x0019)  # Command_Opcode: Pair Device
        + b"\x05"  # Status: Authentication Failed
        + ADDR
        + b"\x01",  # return: Address, Address_Type
    )
    assert isinstance(done, monitor.ControlEvent)
    assert done.name == "MGMT Event (Command Complete)"
    assert done.fields() == {
        "adapter": 0,
        "cookie": 7,
        "event": 1,
        "event_name": "Command Complete",
        "command_opcode": 0x0019,
        "command_name": "Pair Device",
        "status": 5,
        "status_name": "Authentication Failed",
        "address": "00:60:37:88:16:0C",
        "address_type": 1,
        "params": "0c168837600001",
    }
    status = parse_monitor(17, 0, struct.pack("<IHHB", 7, 0x0002, 0x0023, 0x0A))
    assert status.get("command_name") == "Start Discovery" and status.get("status_name") == "Busy"
    info = parse_monitor(
        17,
        0,
        struct.pack("<IHHB", 7, 1, 0x0004, 0)  # Complete: Read Controller Information
        + ADDR  # Address
        + b"\x09"  # Bluetooth_Version
        + struct.pack("<H", 2)  # Manufacturer
        + struct.pack("<I", 0xFFFF)  # Supported_Settings
        + struct.pack("<I", 0x0AD1),  # Current_Settings
    )
    assert info.get("address") == "00:60:37:88:16:0C" and info.get("current_settings") == 0x0AD1
    with pytest.raises(Truncated) as exc:
        parse_monitor(17, 0, struct.pack("<IHH", 7, 0x0001, 0x0019))  # no status
    assert str(exc.value) == "monitor MGMT Command Complete event needs 3 bytes, got 2"


def test_mgmt_events() -> None:
    def ev(code: int, params: bytes) -> monitor.MonitorRecord:
        return parse_monitor(17, 0, struct.pack("<IH", 7, code) + params)

    connected = ev(0x000B, ADDR + b"\x01" + struct.pack("<IH", 0, 0))  # flags, EIR length
    assert connected.get("event_name") == "Device Connected" and connected.get("eir_length") == 0
    gone = ev(0x000C, ADDR + b"\x01" + b"\x04")  # Reason 4
    assert gone.get("reason_name") == "Connection terminated due to authentication failure"
    failed = ev(0x0011, ADDR + b"\x01" + b"\x05")  # Authentication Failed, status 5
    assert failed.get("event_name") == "Authentication Failed"
    assert failed.get("status_name") == "Authentication Failed"
    confirm = ev(0x000F, ADDR + b"\x02" + b"\x00" + struct.pack("<I", 654321))
    assert confirm.get("event_name") == "User Confirmation Request"
    assert confirm.get("value") == 654321 and confirm.get("address_type") == 2
    unpaired = ev(0x0016, ADDR + b"\x01")
    assert unpaired.get("event_name") == "Device Unpaired"
    notify = ev(0x0017, ADDR + b"\x01" + struct.pack("<IB", 123456, 2))
    assert (notify.get("passkey"), notify.get("entered")) == (123456, 2)
    irk = ev(0x0018, b"\x01" + bytes.fromhex("aabbccddee4f") + ADDR + b"\x02" + bytes(16))
    assert irk.get("event_name") == "New Identity Resolving Key"
    assert irk.get("random_address") == "4F:EE:DD:CC:BB:AA"
    found = ev(0x0012, ADDR + b"\x01" + b"\xc4" + struct.pack("<IH", 0, 0))
    assert found.get("rssi") == -60
    assert ev(0x0999, b"\x01").get("event_name") == "Unknown (0x0999)"
    with pytest.raises(Truncated) as exc:
        ev(0x000C, ADDR + b"\x01")  # Device Disconnected without Reason
    assert str(exc.value) == "monitor MGMT Device Disconnected event needs 8 bytes, got 7"


def test_control_messages_of_other_formats_are_not_mgmt() -> None:
    cmd = parse_monitor(16, 0, struct.pack("<I", 8) + b"\x03\x0c\x00", monitor.CTRL_RAW)
    assert isinstance(cmd, monitor.ControlCommand)
    assert cmd.name == "Control Command" and cmd.command is None
    assert cmd.fields() == {"adapter": 0, "cookie": 8, "params": "030c00"}
    ev = parse_monitor(17, 0, struct.pack("<I", 8) + b"\x01", monitor.CTRL_USER)
    assert ev.fields() == {"adapter": 0, "cookie": 8, "params": "01"}


def test_name_tables() -> None:
    for op, name in [
        (0x0004, "Read Controller Information"),
        (0x0005, "Set Powered"),
        (0x0009, "Set Bondable"),
        (0x0013, "Load Long Term Keys"),
        (0x0018, "Set IO Capability"),
        (0x0019, "Pair Device"),
        (0x001A, "Cancel Pair Device"),
        (0x001B, "Unpair Device"),
        (0x001C, "User Confirmation Reply"),
        (0x001D, "User Confirmation Negative Reply"),
        (0x001E, "User Passkey Reply"),
        (0x001F, "User Passkey Negative Reply"),
        (0x0023, "Start Discovery"),
        (0x0024, "Stop Discovery"),
        (0x002D, "Set Secure Connections"),
        (0x0033, "Add Device"),
        (0x0034, "Remove Device"),
    ]:
        assert monitor.mgmt_opcode_name(op) == name
    for code, name in [
        (0x000A, "New Long Term Key"),
        (0x000B, "Device Connected"),
        (0x000C, "Device Disconnected"),
        (0x000D, "Connect Failed"),
        (0x000E, "PIN Code Request"),
        (0x000F, "User Confirmation Request"),
        (0x0010, "User Passkey Request"),
        (0x0011, "Authentication Failed"),
        (0x0016, "Device Unpaired"),  # lib/bluetooth/mgmt.h MGMT_EV_DEVICE_UNPAIRED
        (0x0017, "Passkey Notify"),
        (0x0018, "New Identity Resolving Key"),
    ]:
        assert monitor.mgmt_event_name(code) == name
    assert monitor.mgmt_status_name(0x05) == "Authentication Failed"
    assert monitor.mgmt_status_name(0x0A) == "Busy"
    assert monitor.mgmt_status_name(0x0B) == "Rejected"  # lib/bluetooth/mgmt.h
    assert monitor.mgmt_status_name(0x0C) == "Not Supported"
    assert monitor.mgmt_status_name(0x15) == "reserved (0x15)"


def test_hci_opcodes_and_unknown_opcodes() -> None:
    for op in sorted(monitor.HCI_OPCODES):
        with pytest.raises(Unsupported):
            parse_monitor(op, 0, b"\x03\x0c\x00")
    rec = parse_monitor(42, 0, b"\xab")
    assert isinstance(rec, monitor.UnknownMonitorRecord)
    assert rec.opcode == 42 and rec.name == "Unknown monitor record (opcode 42)"
    assert rec.fields() == {"adapter": 0, "data": "ab"}


@settings(max_examples=500, deadline=None)
@given(
    st.sampled_from([0, 1, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 20]),
    st.binary(max_size=48),
    st.sampled_from([None, 0, 1, 2, 7]),
)
def test_parse_monitor_raises_only_decode_errors(opcode: int, data: bytes, fmt: int | None) -> None:
    with contextlib.suppress(DecodeError):
        rec = parse_monitor(opcode, 0, data, fmt)
        assert rec.opcode == opcode and isinstance(rec.fields(), dict)


@settings(max_examples=400, deadline=None)
@given(
    st.sampled_from([*sorted(monitor.MGMT_EVENT_LAYOUTS), 1, 2]),
    st.sampled_from(sorted(monitor.MGMT_COMMAND_LAYOUTS)),
    st.binary(max_size=30),
)
def test_mgmt_layouts_with_any_length(ev: int, op: int, params: bytes) -> None:
    with contextlib.suppress(Truncated):
        parse_monitor(17, 0, struct.pack("<IH", 1, ev) + params).fields()
    with contextlib.suppress(Truncated):
        parse_monitor(16, 0, struct.pack("<IH", 1, op) + params).fields()
