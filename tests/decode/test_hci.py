"""HCI commands, events and ACL headers (Vol 4, Part E): byte literals with a comment per
field for each message and each edge case (truncated, bad length, reserved values named),
round trips against Bumble's HCI packet builders, name tables against Bumble's constants,
and fuzzing (only DecodeError subclasses escape the parsers)."""

from __future__ import annotations

import contextlib
import struct

import pytest
from bumble import hci as bhci
from bumble.hci import Address
from hypothesis import given, settings
from hypothesis import strategies as st

from bpdiag.decode import hci
from bpdiag.errors import BadLength, DecodeError, Truncated
from tests.helpers import assert_bumble_parses, fields_of

RAND = bytes(range(0xA0, 0xA8))  # Random_Number, wire order
LTK = bytes(range(0x10, 0x20))  # Long_Term_Key, wire order


def _cmd(opcode: int, params: bytes) -> bytes:
    return struct.pack("<HB", opcode, len(params)) + params


def _evt(code: int, params: bytes) -> bytes:
    return bytes([code, len(params)]) + params


# ---------------------------------------------------------------- commands
def test_disconnect() -> None:
    cmd = hci.parse_command(
        bytes(
            [
                0x06, 0x04,  # opcode 0x0406 Disconnect
                0x03,  # parameter length
                0x40, 0x00,  # Connection_Handle 0x0040
                0x13,  # Reason: Remote User Terminated Connection
            ]
        )
    )  # fmt: skip
    assert isinstance(cmd, hci.Disconnect)
    assert cmd.name == "Disconnect" and cmd.opcode == 0x0406
    assert cmd.fields() == {
        "handle": 0x40,
        "reason": 0x13,
        "reason_name": "Remote User Terminated Connection",
    }


def test_le_start_encryption() -> None:
    data = _cmd(
        0x2019,
        b"\x41\x10"  # Connection_Handle 0x0041 (top 4 bits RFU, set here: masked)
        + RAND  # Random_Number
        + b"\x34\x12"  # Encrypted_Diversifier 0x1234
        + LTK,  # Long_Term_Key
    )
    cmd = hci.parse_command(data)
    assert isinstance(cmd, hci.LeEnableEncryption)
    assert cmd.name == "LE Start Encryption"
    assert cmd.fields() == {"handle": 0x041, "rand": RAND.hex(), "ediv": 0x1234, "ltk": LTK.hex()}
    assert hci.LeStartEncryption is hci.LeEnableEncryption


def test_ltk_replies() -> None:
    reply = hci.parse_command(_cmd(0x201A, b"\x40\x00" + LTK))  # handle, Long_Term_Key
    assert isinstance(reply, hci.LeLtkReply)
    assert reply.fields() == {"handle": 0x40, "ltk": LTK.hex()}
    neg = hci.parse_command(_cmd(0x201B, b"\x40\x00"))  # handle
    assert isinstance(neg, hci.LeLtkNegativeReply)
    assert neg.name == "LE Long Term Key Request Negative Reply"
    assert neg.fields() == {"handle": 0x40}


def test_secrets_cover_every_key_in_fields() -> None:
    reply = hci.parse_command(_cmd(0x201A, b"\x40\x00" + LTK))
    assert frozenset({"ltk"}) == reply.SECRETS
    assert {k for k, v in reply.fields().items() if v == LTK.hex()} <= reply.SECRETS
    assert LTK.hex() not in repr(reply)


def test_le_create_connection() -> None:
    params = (
        b"\x60\x00"  # LE_Scan_Interval 0x0060
        + b"\x30\x00"  # LE_Scan_Window 0x0030
        + b"\x00"  # Initiator_Filter_Policy: use the peer address
        + b"\x01"  # Peer_Address_Type: random
        + bytes.fromhex("554433221 1c0".replace(" ", ""))  # Peer_Address C0:11:22:33:44:55
        + b"\x00"  # Own_Address_Type: public
        + b"\x18\x00\x28\x00"  # Connection_Interval_Min 24, _Max 40
        + b"\x00\x00"  # Max_Latency 0
        + b"\x90\x01"  # Supervision_Timeout 400
        + b"\x00\x00\x00\x00"  # Min_CE_Length, Max_CE_Length
    )
    cmd = hci.parse_command(_cmd(0x200D, params))
    assert isinstance(cmd, hci.LeCreateConnection)
    assert cmd.name == "LE Create Connection"
    assert cmd.fields() == {
        "peer_address_type": 1,
        "peer_address": "C0:11:22:33:44:55",
        "own_address_type": 0,
        "initiator_filter_policy": 0,
        "scan_interval": 0x60,
        "scan_window": 0x30,
        "conn_interval_min": 24,
        "conn_interval_max": 40,
        "max_latency": 0,
        "supervision_timeout": 400,
    }
    with pytest.raises(Truncated) as exc:
        hci.parse_command(_cmd(0x200D, params[:24]))
    assert str(exc.value) == "HCI LE Create Connection needs 25 parameter bytes, got 24"


def test_le_extended_create_connection() -> None:
    head = (
        b"\x00"  # Initiator_Filter_Policy
        + b"\x01"  # Own_Address_Type: random
        + b"\x00"  # Peer_Address_Type: public
        + bytes.fromhex("665544332211")  # Peer_Address 11:22:33:44:55:66
        + b"\x05"  # Initiating_PHYs: LE 1M and LE Coded → two blocks
    )
    block_1m = struct.pack("<HHHHHHHH", 16, 16, 24, 40, 0, 400, 0, 0)
    block_coded = struct.pack("<HHHHHHHH", 48, 48, 60, 80, 1, 500, 0, 0)
    cmd = hci.parse_command(_cmd(0x2043, head + block_1m + block_coded))
    assert isinstance(cmd, hci.LeExtendedCreateConnection)
    assert isinstance(cmd, hci.LeCreateConnection)  # the same request with a PHY choice
    assert cmd.name == "LE Extended Create Connection" and cmd.opcode == 0x2043
    f = cmd.fields()
    assert f["peer_address"] == "11:22:33:44:55:66" and f["initiating_phys"] == 5
    assert (f["scan_interval"], f["conn_interval_max"], f["supervision_timeout"]) == (16, 40, 400)
    with pytest.raises(Truncated) as exc:  # the second PHY block is missing
        hci.parse_command(_cmd(0x2043, head + block_1m))
    assert str(exc.value) == (
        "HCI LE Extended Create Connection with 2 PHY(s) needs 42 parameter bytes, got 26"
    )
    # No PHY bit set (invalid, but well-framed): the per-PHY values are absent.
    nophy = hci.parse_command(_cmd(0x2043, head[:9] + b"\x00"))
    assert isinstance(nophy, hci.LeExtendedCreateConnection)
    assert nophy.scan_interval is None and nophy.peer_address == "11:22:33:44:55:66"


def test_handle_commands() -> None:
    auth = hci.parse_command(_cmd(0x0411, b"\x0b\x00"))  # Connection_Handle 0x000b
    assert isinstance(auth, hci.AuthenticationRequested) and auth.fields() == {"handle": 0x0B}
    enc = hci.parse_command(_cmd(0x0413, b"\x0b\x00\x01"))  # handle, Encryption_Enable on
    assert isinstance(enc, hci.SetConnectionEncryption)
    assert enc.fields() == {"handle": 0x0B, "encryption_enable": 1}
    bd = hci.parse_command(_cmd(0x1009, b""))  # Read BD_ADDR: no parameters
    assert isinstance(bd, hci.ReadBdAddr) and bd.name == "Read BD_ADDR" and bd.fields() == {}


def test_command_length_errors() -> None:
    with pytest.raises(Truncated) as exc:
        hci.parse_command(b"\x06\x04")  # opcode only, no length byte
    assert str(exc.value) == "HCI command header needs 3 bytes, got 2"
    assert exc.value.layer == "hci"
    with pytest.raises(Truncated) as exc:
        hci.parse_command(b"\x06\x04\x03\x40\x00")  # length 3, two bytes follow
    assert str(exc.value) == "HCI Disconnect: parameter length says 3, got 2"
    with pytest.raises(BadLength) as bad:
        hci.parse_command(b"\x06\x04\x02\x40\x00\x13")  # length 2, three bytes follow
    assert str(bad.value) == "HCI Disconnect: parameter length says 2, got 3"
    with pytest.raises(Truncated) as exc:
        hci.parse_command(_cmd(0x0406, b"\x40\x00"))  # consistent length, Reason missing
    assert str(exc.value) == "HCI Disconnect needs 3 parameter bytes, got 2"
    with pytest.raises(Truncated) as exc:
        hci.parse_command(_cmd(0x2019, b"\x40\x00" + RAND))
    assert str(exc.value) == "HCI LE Start Encryption needs 28 parameter bytes, got 10"


def test_generic_and_reserved_commands() -> None:
    reset = hci.parse_command(_cmd(0x0C03, b""))
    assert fields_of(reset, hci.HciCommand, "Reset") == {"params": ""}
    vendor = hci.parse_command(_cmd(0xFC01, b"\xaa"))  # OGF 0x3F
    assert vendor.name == "Vendor Command (0xfc01)"
    assert hci.parse_command(_cmd(0x0C02, b"")).name == "reserved (0x0c02)"
    assert hci.command_name(0x2019) == "LE Start Encryption"


# ---------------------------------------------------------------- events
def test_encryption_change_v1_and_v2() -> None:
    v1 = hci.parse_event(
        bytes(
            [
                0x08,  # event code: Encryption Change
                0x04,  # parameter length
                0x06,  # Status: PIN or Key Missing
                0x40, 0x00,  # Connection_Handle 0x0040
                0x00,  # Encryption_Enabled: off
            ]
        )
    )  # fmt: skip
    assert fields_of(v1, hci.EncryptionChange, "Encryption Change") == {
        "status": 6,
        "status_name": "PIN or Key Missing",
        "handle": 0x40,
        "encryption_enabled": 0,
    }
    v2 = hci.parse_event(_evt(0x59, b"\x00\x40\x00\x01\x07"))  # ..., Encryption_Key_Size 7
    assert isinstance(v2, hci.EncryptionChange) and v2.name == "Encryption Change v2"
    assert v2.key_size == 7 and v2.fields()["key_size"] == 7
    with pytest.raises(Truncated) as exc:
        hci.parse_event(_evt(0x59, b"\x00\x40\x00\x01"))  # key size missing
    assert str(exc.value) == "HCI Encryption Change v2 needs 5 parameter bytes, got 4"


def test_disconnection_complete_and_key_refresh() -> None:
    d = hci.parse_event(
        bytes(
            [
                0x05,  # Disconnection Complete
                0x04,  # parameter length
                0x00,  # Status: Success
                0x0C, 0x00,  # Connection_Handle 0x000c
                0x3D,  # Reason: Connection Terminated due to MIC Failure
            ]
        )
    )  # fmt: skip
    assert isinstance(d, hci.DisconnectionComplete)
    assert d.fields() == {
        "status": 0,
        "status_name": "Success",
        "handle": 0x0C,
        "reason": 0x3D,
        "reason_name": "Connection Terminated due to MIC Failure",
    }
    r = hci.parse_event(_evt(0x30, b"\x00\x40\x00"))  # Status, Connection_Handle
    assert isinstance(r, hci.EncryptionKeyRefreshComplete)
    assert r.fields() == {"status": 0, "status_name": "Success", "handle": 0x40}


def test_connection_complete_bredr() -> None:
    ev = hci.parse_event(
        _evt(
            0x03,
            b"\x00"  # Status
            + b"\x0b\x00"  # Connection_Handle 0x000b
            + bytes.fromhex("665544332211")  # BD_ADDR 11:22:33:44:55:66
            + b"\x01"  # Link_Type: ACL
            + b"\x00",  # Encryption_Enabled: off
        )
    )
    assert isinstance(ev, hci.ConnectionComplete)
    assert ev.fields() == {
        "status": 0,
        "status_name": "Success",
        "handle": 0x0B,
        "peer_address": "11:22:33:44:55:66",
        "link_type": 1,
        "encryption_enabled": 0,
    }


LE_CONN = (
    b"\x00"  # Status
    + b"\x41\x00"  # Connection_Handle 0x0041
    + b"\x01"  # Role: peripheral
    + b"\x01"  # Peer_Address_Type: random
    + bytes.fromhex("665544332211")  # Peer_Address 11:22:33:44:55:66
)
LE_TIMING = struct.pack("<HHHB", 24, 0, 400, 0)  # interval, latency, timeout, clock accuracy


def test_le_connection_complete_family() -> None:
    v0 = hci.parse_event(_evt(0x3E, b"\x01" + LE_CONN + LE_TIMING))
    assert fields_of(v0, hci.LeConnectionComplete, "LE Connection Complete") == {
        "subevent": 1,
        "status": 0,
        "status_name": "Success",
        "handle": 0x41,
        "role": "peripheral",
        "peer_address_type": 1,
        "peer_address": "11:22:33:44:55:66",
        "interval": 24,
        "latency": 0,
        "timeout": 400,
    }
    rpas = bytes.fromhex("0102030405c6") + bytes.fromhex("0a0b0c0d0e4f")  # local, peer RPA
    v1 = hci.parse_event(_evt(0x3E, b"\x0a" + LE_CONN + rpas + LE_TIMING))
    assert isinstance(v1, hci.LeConnectionComplete)
    assert v1.name == "LE Enhanced Connection Complete"
    assert (v1.local_rpa, v1.peer_rpa) == ("C6:05:04:03:02:01", "4F:0E:0D:0C:0B:0A")
    adv = b"\x02" + b"\xff\xff"  # Advertising_Handle 2, Sync_Handle 0xffff
    v2 = hci.parse_event(_evt(0x3E, b"\x29" + LE_CONN + rpas + LE_TIMING + adv))
    assert isinstance(v2, hci.LeConnectionComplete)
    assert v2.name == "LE Enhanced Connection Complete v2"
    assert (v2.adv_handle, v2.sync_handle, v2.role) == (2, 0xFFFF, 1)
    with pytest.raises(Truncated) as exc:  # a v1 body under the v2 subevent code
        hci.parse_event(_evt(0x3E, b"\x29" + LE_CONN + rpas + LE_TIMING))
    assert (
        str(exc.value) == "HCI LE Enhanced Connection Complete v2 needs 33 parameter bytes, got 30"
    )
    central = hci.parse_event(_evt(0x3E, b"\x01" + LE_CONN[:3] + b"\x00" + LE_CONN[4:] + LE_TIMING))
    assert central.fields()["role"] == "central"
    odd = hci.parse_event(_evt(0x3E, b"\x01" + LE_CONN[:3] + b"\x07" + LE_CONN[4:] + LE_TIMING))
    assert odd.fields()["role"] == "reserved (0x07)"


def test_ltk_request() -> None:
    ev = hci.parse_event(
        _evt(
            0x3E,
            b"\x05"  # subevent: LE Long Term Key Request
            + b"\x40\x00"  # Connection_Handle
            + RAND  # Random_Number
            + b"\x00\x00",  # Encrypted_Diversifier 0
        )
    )
    assert isinstance(ev, hci.LeLtkRequest)
    assert ev.fields() == {"subevent": 5, "handle": 0x40, "rand": RAND.hex(), "ediv": 0}
    with pytest.raises(Truncated) as exc:
        hci.parse_event(_evt(0x3E, b"\x05\x40\x00" + RAND))
    assert str(exc.value) == "HCI LE Long Term Key Request needs 12 parameter bytes, got 10"


def test_le_meta_edge_cases() -> None:
    with pytest.raises(Truncated) as exc:
        hci.parse_event(b"\x3e\x00")  # LE Meta with no subevent code
    assert str(exc.value) == "HCI LE Meta event needs 1 parameter byte, got 0"
    upd = hci.parse_event(_evt(0x3E, b"\x03\x00\x40\x00"))  # LE Connection Update Complete
    assert fields_of(upd, hci.LeMetaEvent, "LE Connection Update Complete") == {
        "subevent": 3,
        "params": "004000",
    }
    assert hci.parse_event(_evt(0x3E, b"\x7f")).name == "LE Meta reserved (0x7f)"


def test_command_complete() -> None:
    bd = hci.parse_event(
        _evt(
            0x0E,
            b"\x01"  # Num_HCI_Command_Packets
            + b"\x09\x10"  # Command_Opcode 0x1009 Read BD_ADDR
            + b"\x00"  # Status
            + bytes.fromhex("1371da7d1a00"),  # BD_ADDR 00:1A:7D:DA:71:13
        )
    )
    assert fields_of(bd, hci.CommandComplete, "Command Complete (Read BD_ADDR)") == {
        "command_opcode": 0x1009,
        "command_name": "Read BD_ADDR",
        "status": 0,
        "status_name": "Success",
        "bd_addr": "00:1A:7D:DA:71:13",
    }
    ltk = hci.parse_event(_evt(0x0E, b"\x01\x1a\x20" + b"\x00" + b"\x40\x00"))  # status, handle
    assert isinstance(ltk, hci.CommandComplete) and ltk.handle == 0x40
    # A failed command may come back with its status alone.
    failed = hci.parse_event(_evt(0x0E, b"\x01\x1b\x20" + b"\x02"))
    assert isinstance(failed, hci.CommandComplete)
    assert (failed.status, failed.handle) == (2, None)
    with pytest.raises(Truncated) as exc:  # success needs the whole return
        hci.parse_event(_evt(0x0E, b"\x01\x09\x10\x00\x13\x71"))
    assert str(exc.value) == (
        "HCI Command Complete (Read BD_ADDR) return needs 7 parameter bytes, got 3"
    )
    nop = hci.parse_event(_evt(0x0E, b"\x01\x00\x00"))  # no return parameters at all
    assert isinstance(nop, hci.CommandComplete) and nop.status is None
    assert nop.name == "Command Complete (No Operation)"


def test_command_status() -> None:
    ev = hci.parse_event(
        bytes(
            [
                0x0F,  # Command Status
                0x04,  # parameter length
                0x0C,  # Status: Command Disallowed
                0x01,  # Num_HCI_Command_Packets
                0x19, 0x20,  # Command_Opcode 0x2019 LE Start Encryption
            ]
        )
    )  # fmt: skip
    assert ev.opcode == 0x2019
    assert fields_of(ev, hci.CommandStatus, "Command Status (LE Start Encryption)") == {
        "command_opcode": 0x2019,
        "command_name": "LE Start Encryption",
        "status": 0x0C,
        "status_name": "Command Disallowed",
    }


def test_event_length_errors() -> None:
    with pytest.raises(Truncated) as exc:
        hci.parse_event(b"\x08")
    assert str(exc.value) == "HCI event header needs 2 bytes, got 1"
    with pytest.raises(Truncated) as exc:
        hci.parse_event(b"\x08\x04\x00\x40\x00")  # length 4, three bytes follow
    assert str(exc.value) == "HCI Encryption Change event: parameter length says 4, got 3"
    with pytest.raises(BadLength) as bad:
        hci.parse_event(b"\x05\x03\x00\x40\x00\x13")  # length 3, four bytes follow
    assert str(bad.value) == "HCI Disconnection Complete event: parameter length says 3, got 4"
    with pytest.raises(Truncated) as exc:
        hci.parse_event(_evt(0x05, b"\x00\x40\x00"))  # Reason missing
    assert str(exc.value) == "HCI Disconnection Complete needs 4 parameter bytes, got 3"


def test_generic_and_reserved_events() -> None:
    ncp = hci.parse_event(_evt(0x13, b"\x01\x40\x00\x01\x00"))
    assert isinstance(ncp, hci.HciEvent) and ncp.name == "Number Of Completed Packets"
    assert hci.parse_event(_evt(0x25, b"")).name == "reserved (0x25)"
    assert hci.parse_event(_evt(0xFF, b"\x01")).name == "Vendor Specific"


# Vol 1, Part F, Table 1.1, as the spec words it: the codes pairing failures end in.
_SPEC_WORDING = {
    0x05: "Authentication Failure",
    0x06: "PIN or Key Missing",
    0x08: "Connection Timeout",
    0x13: "Remote User Terminated Connection",
    0x16: "Connection Terminated By Local Host",
    0x3D: "Connection Terminated due to MIC Failure",
    0x3E: "Connection Failed to be Established",
}


def test_status_names() -> None:
    assert {code: hci.status_name(code) for code in _SPEC_WORDING} == _SPEC_WORDING
    unassigned = (0x2B, 0x31, 0x33, 0x3F, 0x49, 0x99)
    assert [hci.status_name(c) for c in unassigned] == [f"reserved (0x{c:02x})" for c in unassigned]


# Where the spec's wording of Table 1.1 gives a different identifier than Bumble's constant.
_BUMBLE_SPELLING = {
    hci.ErrorCode.CONNECTION_ACCEPT_TIMEOUT_EXCEEDED: "CONNECTION_ACCEPT_TIMEOUT_ERROR",
    hci.ErrorCode.INVALID_HCI_COMMAND_PARAMETERS: "INVALID_COMMAND_PARAMETERS_ERROR",
    hci.ErrorCode.UNSPECIFIED_ERROR: "UNSPECIFIED_ERROR_ERROR",
    hci.ErrorCode.SUCCESS: "SUCCESS",
}


def test_error_code_members_match_bumble() -> None:
    """Each HCI error code member has Bumble's value for the same name (``HCI_<name>_ERROR``),
    every code Bumble assigns is a member, and the name table has a wording for each member."""
    bumble = {n: int(c) for c, n in bhci.HCI_ERROR_NAMES.items() if n != "RESERVED_FOR_FUTURE_USE"}
    for member in hci.ErrorCode:
        name = _BUMBLE_SPELLING.get(member, f"{member.name}_ERROR")
        if member > max(bumble.values()):
            assert name not in bumble  # newer than Bumble's table (v5.4 0x46-0x48)
            continue
        assert bumble[name] == member, member
    assert set(bumble.values()) <= set(hci.ErrorCode)
    assert set(hci.STATUS_NAMES) == set(hci.ErrorCode)
    assert hci.ErrorCode.CONNECTION_TERMINATED_DUE_TO_MIC_FAILURE == 0x3D


def test_name_tables_cover_bumble() -> None:
    """Every code Bumble defines has a name here (Bumble as an independent list)."""
    named = {int(c) for c, n in bhci.HCI_ERROR_NAMES.items() if "RESERVED" not in n}
    assert named <= set(hci.STATUS_NAMES)
    assert set(bhci.HCI_Event.event_names) <= set(hci.EVENT_NAMES)
    subevents = {
        v
        for k, v in vars(bhci).items()
        if k.startswith("HCI_LE_") and k.endswith("_EVENT") and isinstance(v, int) and v < 0x34
    }
    assert subevents <= set(hci.LE_SUBEVENT_NAMES)
    opcodes = {
        v
        for k, v in vars(bhci).items()
        if k.startswith("HCI_") and k.endswith("_COMMAND") and isinstance(v, int) and v <= 0x2097
    }
    assert sorted(op for op in opcodes if op not in hci.COMMAND_NAMES) == []


# ---------------------------------------------------------------- Bumble round trips
ADDR = Address("C0:11:22:33:44:55")


@pytest.mark.parametrize(
    ("packet", "cls", "expected"),
    [
        (
            bhci.HCI_Encryption_Change_Event(
                status=0x06, connection_handle=0x40, encryption_enabled=0
            ),
            hci.EncryptionChange,
            {"status": 6, "handle": 0x40, "encryption_enabled": 0},
        ),
        (
            bhci.HCI_Encryption_Change_V2_Event(
                status=0, connection_handle=0x41, encryption_enabled=1, encryption_key_size=16
            ),
            hci.EncryptionChange,
            {"status": 0, "handle": 0x41, "encryption_enabled": 1, "key_size": 16},
        ),
        (
            bhci.HCI_Disconnection_Complete_Event(status=0, connection_handle=0x0C, reason=0x16),
            hci.DisconnectionComplete,
            {"status": 0, "handle": 0x0C, "reason": 0x16},
        ),
        (
            bhci.HCI_Encryption_Key_Refresh_Complete_Event(status=0, connection_handle=0x40),
            hci.EncryptionKeyRefreshComplete,
            {"status": 0, "handle": 0x40},
        ),
        (
            bhci.HCI_LE_Connection_Complete_Event(
                status=0,
                connection_handle=0x41,
                role=1,
                peer_address_type=1,
                peer_address=ADDR,
                connection_interval=24,
                peripheral_latency=2,
                supervision_timeout=400,
                central_clock_accuracy=0,
            ),
            hci.LeConnectionComplete,
            {
                "handle": 0x41,
                "role": "peripheral",
                "peer_address": "C0:11:22:33:44:55",
                "latency": 2,
            },
        ),
        (
            bhci.HCI_LE_Enhanced_Connection_Complete_V2_Event(
                status=0,
                connection_handle=0x42,
                role=0,
                peer_address_type=0,
                peer_address=Address("00:1A:7D:DA:71:13"),
                local_resolvable_private_address=Address("4F:0E:0D:0C:0B:0A"),
                peer_resolvable_private_address=Address("00:00:00:00:00:00"),
                connection_interval=40,
                peripheral_latency=0,
                supervision_timeout=500,
                central_clock_accuracy=0,
                advertising_handle=1,
                sync_handle=0xFFFF,
            ),
            hci.LeConnectionComplete,
            {
                "handle": 0x42,
                "role": "central",
                "peer_address": "00:1A:7D:DA:71:13",
                "local_rpa": "4F:0E:0D:0C:0B:0A",
                "adv_handle": 1,
            },
        ),
        (
            bhci.HCI_LE_Long_Term_Key_Request_Event(
                connection_handle=0x40, random_number=RAND, encryption_diversifier=0x1234
            ),
            hci.LeLtkRequest,
            {"handle": 0x40, "rand": RAND.hex(), "ediv": 0x1234},
        ),
        (
            bhci.HCI_Command_Status_Event(
                status=0x0C, num_hci_command_packets=1, command_opcode=0x2019
            ),
            hci.CommandStatus,
            {"command_opcode": 0x2019, "status": 0x0C},
        ),
        (
            bhci.HCI_Command_Complete_Event(
                num_hci_command_packets=1,
                command_opcode=0x1009,
                return_parameters=bhci.HCI_Read_BD_ADDR_ReturnParameters(
                    status=bhci.HCI_ErrorCode(0), bd_addr=Address("00:1A:7D:DA:71:13")
                ),
            ),
            hci.CommandComplete,
            {"command_opcode": 0x1009, "status": 0, "bd_addr": "00:1A:7D:DA:71:13"},
        ),
        (
            bhci.HCI_Disconnect_Command(connection_handle=0x40, reason=0x13),
            hci.Disconnect,
            {"handle": 0x40, "reason": 0x13},
        ),
        (
            bhci.HCI_LE_Enable_Encryption_Command(
                connection_handle=0x40,
                random_number=RAND,
                encrypted_diversifier=0xBEEF,
                long_term_key=LTK,
            ),
            hci.LeEnableEncryption,
            {"handle": 0x40, "rand": RAND.hex(), "ediv": 0xBEEF, "ltk": LTK.hex()},
        ),
        (
            bhci.HCI_LE_Long_Term_Key_Request_Reply_Command(
                connection_handle=0x40, long_term_key=LTK
            ),
            hci.LeLtkReply,
            {"handle": 0x40, "ltk": LTK.hex()},
        ),
        (
            bhci.HCI_LE_Long_Term_Key_Request_Negative_Reply_Command(connection_handle=0x40),
            hci.LeLtkNegativeReply,
            {"handle": 0x40},
        ),
        (
            bhci.HCI_LE_Create_Connection_Command(
                le_scan_interval=96,
                le_scan_window=48,
                initiator_filter_policy=0,
                peer_address_type=1,
                peer_address=ADDR,
                own_address_type=0,
                connection_interval_min=24,
                connection_interval_max=40,
                max_latency=0,
                supervision_timeout=400,
                min_ce_length=0,
                max_ce_length=0,
            ),
            hci.LeCreateConnection,
            {"peer_address": "C0:11:22:33:44:55", "scan_window": 48, "conn_interval_max": 40},
        ),
        (
            bhci.HCI_LE_Extended_Create_Connection_Command(
                initiator_filter_policy=0,
                own_address_type=1,
                peer_address_type=1,
                peer_address=ADDR,
                initiating_phys=5,
                scan_intervals=[16, 32],
                scan_windows=[16, 32],
                connection_interval_mins=[24, 40],
                connection_interval_maxs=[40, 56],
                max_latencies=[0, 1],
                supervision_timeouts=[400, 500],
                min_ce_lengths=[0, 0],
                max_ce_lengths=[0, 0],
            ),
            hci.LeExtendedCreateConnection,
            {"peer_address": "C0:11:22:33:44:55", "initiating_phys": 5, "supervision_timeout": 400},
        ),
        (
            bhci.HCI_Set_Connection_Encryption_Command(connection_handle=0x0B, encryption_enable=1),
            hci.SetConnectionEncryption,
            {"handle": 0x0B, "encryption_enable": 1},
        ),
        (
            bhci.HCI_Authentication_Requested_Command(connection_handle=0x0B),
            hci.AuthenticationRequested,
            {"handle": 0x0B},
        ),
    ],
    ids=lambda v: type(v).__name__ if not isinstance(v, dict) else "",
)
def test_bumble_round_trip(packet: object, cls: type, expected: dict[str, object]) -> None:
    assert_bumble_parses(packet, cls, expected)


# ---------------------------------------------------------------- ACL
def test_parse_acl() -> None:
    data = bytes(
        [
            0x40, 0x20,  # handle 0x040, PB 0b10 (first, flushable), BC 0b00
            0x06, 0x00,  # Data_Total_Length 6
            0x02, 0x00, 0x06, 0x00,  # L2CAP length 2, CID 0x0006 (SMP)
            0x05, 0x08,  # Pairing Failed, Unspecified Reason
        ]
    )  # fmt: skip
    assert hci.parse_acl(data) == (0x40, 0b10, 0b00, data[4:])
    cont = b"\x40\x50\x01\x00\xaa"  # PB 0b01 continuing, BC 0b01
    assert hci.parse_acl(cont)[1:3] == (0b01, 0b01)
    with pytest.raises(Truncated) as exc:
        hci.parse_acl(b"\x40\x20\x06")
    assert str(exc.value) == "HCI ACL header needs 4 bytes, got 3"
    with pytest.raises(Truncated) as exc:
        hci.parse_acl(data[:-1])
    assert str(exc.value) == "HCI ACL data length says 6, got 5"
    with pytest.raises(BadLength) as bad:
        hci.parse_acl(data + b"\x00")
    assert str(bad.value) == "HCI ACL data length says 6, got 7"
    assert hci.parse_acl(data + b"\x00", allow_extra=True)[3] == data[4:]


# ---------------------------------------------------------------- fuzz
@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=48))
def test_parsers_raise_only_decode_errors(data: bytes) -> None:
    for fn in (hci.parse_event, hci.parse_command, hci.parse_acl):
        with contextlib.suppress(DecodeError):
            msg = fn(data)
            if not isinstance(msg, tuple):
                assert isinstance(msg.name, str) and isinstance(msg.fields(), dict)


@settings(max_examples=500, deadline=None)
@given(
    st.sampled_from(sorted(hci.TYPED_EVENTS)),
    st.sampled_from(sorted(hci.TYPED_SUBEVENTS | {0x02, 0xFF})),
    st.binary(max_size=40),
)
def test_typed_events_with_any_length(code: int, sub: int, params: bytes) -> None:
    """Well-framed events of the typed codes with parameters of every length."""
    if code == 0x3E:
        params = bytes([sub]) + params
    with contextlib.suppress(Truncated):
        msg = hci.parse_event(_evt(code, params))
        assert msg.fields()


@settings(max_examples=500, deadline=None)
@given(st.sampled_from(sorted(hci.TYPED_COMMANDS)), st.binary(max_size=60))
def test_typed_commands_with_any_length(opcode: int, params: bytes) -> None:
    with contextlib.suppress(Truncated):
        msg = hci.parse_command(_cmd(opcode, params))
        assert msg.opcode == opcode


def _parsed(parse: object, *args: object) -> object:
    try:
        msg = parse(*args)  # type: ignore[operator]
    except DecodeError as exc:
        return (type(exc), str(exc))
    return (type(msg), msg)


@settings(max_examples=500, deadline=None)
@given(
    st.binary(max_size=8),
    st.sampled_from(sorted(hci.TYPED_EVENTS | hci.TYPED_COMMANDS | {0x13, 0xFFFF})),
    st.sampled_from(sorted(hci.TYPED_SUBEVENTS | {0x02})),
    st.binary(max_size=40),
    st.integers(-2, 2),
)
def test_parse_at_offset_is_parse_of_slice(
    head: bytes, code: int, sub: int, params: bytes, skew: int
) -> None:
    """What the stream calls (``parse_*(packet, offset)``, no copy of the packet) decodes
    what the slice decodes, errors and their messages included (``skew`` puts the length
    byte off by a little either way)."""
    body = bytes([sub]) + params if code == 0x3E else params  # an LE Meta subevent
    for packet in (
        bytes([code & 0xFF, max(0, len(body) + skew) & 0xFF]) + body,
        struct.pack("<HB", code, max(0, len(params) + skew) & 0xFF) + params,
    ):
        data = head + packet
        for n in range(len(packet) + 1):  # cut anywhere, the header too
            for parse in (hci.parse_event, hci.parse_command):
                got = _parsed(parse, data[: len(head) + n], len(head))
                assert got == _parsed(parse, packet[:n])
                assert _parsed(parse, memoryview(data[: len(head) + n]), len(head)) == got
