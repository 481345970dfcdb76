"""BR/EDR pairing messages (Vol 4, Part E, 7.7.6, 7.7.22-7.7.24, 7.7.40-7.7.43, 7.7.45;
7.1.11, 7.1.13, 7.1.29, 7.1.31, 7.1.36): byte literals with a comment per field and the
exact error for a short one, Bumble's encoder as an independent builder, the hot path's
BD_ADDR → connection mapping, and every field against tshark on a hand-built capture and on
real Secure Simple Pairing traffic between two Bumble devices (tests/bredr_sim.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from bumble import hci as bhci
from bumble.hci import Address

from bpdiag.analysis.run import Reading
from bpdiag.decode import hci
from bpdiag.decode.hci_stream import HciStream
from bpdiag.errors import Truncated
from tests.bredr_sim import classic_pairing
from tests.capture.writers import H4, btsnoop_h4_bytes
from tests.decode.test_hci_stream import cmd, evt, h4rec
from tests.helpers import assert_bumble_parses
from tests.tshark import Tshark

ADDR = bytes([0x95, 0x67, 0xF7, 0x13, 0xC4, 0x0C])  # 0C:C4:13:F7:67:95, least significant first
PEER = "0C:C4:13:F7:67:95"
KEY = bytes(range(0xA0, 0xB0))  # a link key: never shown


def test_simple_pairing_complete() -> None:
    msg = hci.parse_event(
        bytes([0x36, 0x07, 0x05]) + ADDR
    )  # code, length 7, Authentication Failure
    assert isinstance(msg, hci.SimplePairingComplete)
    assert msg.fields() == {"status": 5, "status_name": "Authentication Failure", "bd_addr": PEER}
    assert msg.name == "Simple Pairing Complete"


def test_authentication_complete_masks_the_handle() -> None:
    msg = hci.parse_event(bytes([0x06, 0x03, 0x06, 0x0B, 0x30]))  # PIN or Key Missing, 0x300B
    assert isinstance(msg, hci.AuthenticationComplete)
    assert msg.fields() == {"status": 6, "status_name": "PIN or Key Missing", "handle": 0x0B}


def test_io_capability_response_names_and_reserved() -> None:
    msg = hci.parse_event(bytes([0x32, 0x09]) + ADDR + bytes([0x03, 0x01, 0x05]))
    assert msg.fields() == {
        "bd_addr": PEER,
        "io_capability": 3,
        "io_capability_name": "NoInputNoOutput",
        "oob_data_present": 1,
        "auth_requirements": 5,
        "auth_requirements_name": "MITM required, general bonding",
    }
    # KeyboardDisplay (0x04) is LE's: reserved on BR/EDR; so are requirements above 0x05
    odd = hci.parse_event(bytes([0x32, 0x09]) + ADDR + bytes([0x04, 0x00, 0x06]))
    assert odd.fields()["io_capability_name"] == "reserved (0x04)"
    assert odd.fields()["auth_requirements_name"] == "reserved (0x06)"


def test_link_key_notification_declares_the_key_secret() -> None:
    msg = hci.parse_event(bytes([0x18, 0x17]) + ADDR + KEY + b"\x08")  # P-256 authenticated
    assert isinstance(msg, hci.LinkKeyNotification)
    assert msg.link_key == KEY
    assert msg.fields() == {
        "bd_addr": PEER,
        "link_key": KEY.hex(),  # what --show-keys shows; redacted by every output otherwise
        "key_type": 8,
        "key_type_name": "Authenticated Combination Key generated from P-256",
    }
    assert {"link_key"} == msg.SECRETS
    assert KEY.hex() not in repr(msg) and "link_key" not in repr(msg)


def test_link_key_request_reply_declares_the_key_secret() -> None:
    msg = hci.parse_command(bytes([0x0B, 0x04, 0x16]) + ADDR + KEY)  # 7.1.10
    assert isinstance(msg, hci.LinkKeyRequestReply)
    assert msg.name == "Link Key Request Reply"
    assert msg.fields() == {"bd_addr": PEER, "link_key": KEY.hex()}
    assert {"link_key"} == msg.SECRETS
    assert KEY.hex() not in repr(msg)


def test_user_confirmation_request_declares_the_number_secret() -> None:
    msg = hci.parse_event(bytes([0x33, 0x0A]) + ADDR + (999999).to_bytes(4, "little"))
    assert isinstance(msg, hci.UserConfirmationRequest)
    assert msg.numeric_value == 999999
    assert msg.fields() == {"bd_addr": PEER, "numeric_value": 999999}
    assert {"numeric_value"} == msg.SECRETS
    assert "999999" not in repr(msg)


@pytest.mark.parametrize(
    ("code", "cls"),
    [
        (0x16, hci.PinCodeRequest),
        (0x17, hci.LinkKeyRequest),
        (0x31, hci.IoCapabilityRequest),
        (0x34, hci.UserPasskeyRequest),
    ],
)
def test_address_only_requests(code: int, cls: type) -> None:
    msg = hci.parse_event(bytes([code, 0x06]) + ADDR)
    assert type(msg) is cls and msg.fields() == {"bd_addr": PEER}


@pytest.mark.parametrize(
    ("opcode", "cls"),
    [
        (0x040C, hci.LinkKeyRequestNegativeReply),
        (0x040E, hci.PinCodeRequestNegativeReply),
        (0x042D, hci.UserConfirmationRequestNegativeReply),
    ],
)
def test_negative_replies(opcode: int, cls: type) -> None:
    msg = hci.parse_command(opcode.to_bytes(2, "little") + b"\x06" + ADDR)
    assert type(msg) is cls and msg.fields() == {"bd_addr": PEER}


def test_io_capability_negative_reply_and_reply() -> None:
    neg = hci.parse_command(b"\x34\x04\x07" + ADDR + b"\x18")  # 0x0434, 7 octets, reason 0x18
    assert neg.fields() == {"bd_addr": PEER, "reason": 0x18, "reason_name": "Pairing Not Allowed"}
    rep = hci.parse_command(b"\x2b\x04\x09" + ADDR + bytes([0x01, 0x00, 0x03]))
    assert isinstance(rep, hci.IoCapabilityRequestReply)
    assert (rep.io_capability, rep.oob_data_present, rep.auth_requirements) == (1, 0, 3)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            bytes([0x36, 0x06, 0x05]) + ADDR[:5],
            "HCI Simple Pairing Complete needs 7 parameter bytes, got 6",
        ),
        (
            bytes([0x06, 0x02, 0x00, 0x0B]),
            "HCI Authentication Complete needs 3 parameter bytes, got 2",
        ),
        (
            bytes([0x18, 0x16]) + ADDR + KEY,
            "HCI Link Key Notification needs 23 parameter bytes, got 22",
        ),
        (
            bytes([0x32, 0x08]) + ADDR + b"\x01\x00",
            "HCI IO Capability Response needs 9 parameter bytes, got 8",
        ),
    ],
)
def test_short_events_raise_truncated(data: bytes, message: str) -> None:
    with pytest.raises(Truncated) as exc:
        hci.parse_event(data)
    assert str(exc.value) == message


def test_short_io_capability_negative_reply() -> None:
    with pytest.raises(Truncated) as exc:
        hci.parse_command(b"\x34\x04\x06" + ADDR)  # the Reason is missing
    assert str(exc.value) == (
        "HCI IO Capability Request Negative Reply needs 7 parameter bytes, got 6"
    )


BUMBLE_ADDR = Address("0C:C4:13:F7:67:95")


@pytest.mark.parametrize(
    ("packet", "cls", "expected"),
    [
        (
            bhci.HCI_Simple_Pairing_Complete_Event(status=0x18, bd_addr=BUMBLE_ADDR),
            hci.SimplePairingComplete,
            {"status": 0x18, "bd_addr": PEER},
        ),
        (
            bhci.HCI_Authentication_Complete_Event(status=0x05, connection_handle=0x0042),
            hci.AuthenticationComplete,
            {"status": 5, "handle": 0x42},
        ),
        (
            bhci.HCI_IO_Capability_Response_Event(
                bd_addr=BUMBLE_ADDR,
                io_capability=2,
                oob_data_present=0,
                authentication_requirements=3,
            ),
            hci.IoCapabilityResponse,
            {"io_capability": 2, "auth_requirements": 3, "bd_addr": PEER},
        ),
        (
            bhci.HCI_Link_Key_Notification_Event(bd_addr=BUMBLE_ADDR, link_key=KEY, key_type=4),
            hci.LinkKeyNotification,
            {"key_type": 4, "bd_addr": PEER},
        ),
        (
            bhci.HCI_IO_Capability_Request_Negative_Reply_Command(bd_addr=BUMBLE_ADDR, reason=0x37),
            hci.IoCapabilityRequestNegativeReply,
            {"reason": 0x37, "bd_addr": PEER},
        ),
        (
            bhci.HCI_PIN_Code_Request_Negative_Reply_Command(bd_addr=BUMBLE_ADDR),
            hci.PinCodeRequestNegativeReply,
            {"bd_addr": PEER},
        ),
        (
            bhci.HCI_Link_Key_Request_Negative_Reply_Command(bd_addr=BUMBLE_ADDR),
            hci.LinkKeyRequestNegativeReply,
            {"bd_addr": PEER},
        ),
    ],
    ids=lambda v: type(v).__name__ if not isinstance(v, dict) else "",
)
def test_bumble_built(packet: object, cls: type, expected: dict[str, object]) -> None:
    assert_bumble_parses(packet, cls, expected)


def test_the_registry_gives_the_hot_path_its_filters() -> None:
    """Declared once: the new codes are in the filters and the BD_ADDR sets."""
    bredr_events = {0x16, 0x17, 0x18, 0x31, 0x32, 0x33, 0x34, 0x36, 0x3B, 0x3C}
    assert {0x06, *bredr_events} <= hci.TYPED_EVENTS
    bredr_commands = {0x040B, 0x040C, 0x040D, 0x040E, 0x042B, 0x042D, 0x042E, 0x0434, 0x0C60}
    bredr_commands |= {0x0430, 0x0445}  # the OOB data replies
    assert bredr_commands <= hci.TYPED_COMMANDS
    assert bredr_events == hci.ADDRESSED_EVENTS
    assert bredr_commands == hci.ADDRESSED_COMMANDS


# ---------------------------------------------------------------- the hot path
def _links(records: list[bytes], received: list[bool]) -> list[tuple[str, object]]:
    stream = HciStream()
    out = []
    for i, (packet, rx) in enumerate(zip(records, received, strict=True), 1):
        for pdu in stream.feed(h4rec(i, packet, received=rx)):
            out.append((pdu.msg.name, pdu.link))
    assert not stream.problems
    return out


CONNECTED = evt(0x03, b"\x00\x0b\x00" + ADDR + b"\x01\x00")  # BR/EDR ACL, handle 0x000B
DISCONNECTED = evt(0x05, b"\x00\x0b\x00\x13")


def test_addressed_messages_join_the_connection_of_their_peer() -> None:
    other = bytes(6)
    got = _links(
        [
            evt(0x17, ADDR),  # Link Key Request before Connection Complete: no connection yet
            CONNECTED,
            evt(0x31, ADDR),  # IO Capability Request
            cmd(0x0434, ADDR + b"\x18"),  # IO Capability Request Negative Reply
            evt(0x31, other),  # another peer: not this connection
            evt(0x36, b"\x18" + ADDR),  # Simple Pairing Complete
            DISCONNECTED,
            evt(0x36, b"\x05" + ADDR),  # after the disconnection: no connection
        ],
        [True, True, True, False, True, True, True, True],
    )
    link = ("hci", 0, 0x0B)
    assert got == [
        ("Link Key Request", None),
        ("Connection Complete", link),
        ("IO Capability Request", link),
        ("IO Capability Request Negative Reply", link),
        ("IO Capability Request", None),
        ("Simple Pairing Complete", link),
        ("Disconnection Complete", link),
        ("Simple Pairing Complete", None),
    ]


def test_a_reused_handle_forgets_the_old_peer() -> None:
    other = bytes([1, 2, 3, 4, 5, 6])
    got = _links(
        [CONNECTED, evt(0x03, b"\x00\x0b\x00" + other + b"\x01\x00"), evt(0x31, ADDR)],
        [True, True, True],
    )
    assert got[-1] == ("IO Capability Request", None)


# ---------------------------------------------------------------- tshark
EVENT_MAP = {
    "status": "bthci_evt.status",
    "handle": "bthci_evt.connection_handle",
    "bd_addr": "bthci_evt.bd_addr",
    "io_capability": "bthci_evt.io_capability",
    "oob_data_present": "bthci_evt.oob_data_present",
    "auth_requirements": "bthci_evt.auth_requirements",
    "key_type": "bthci_evt.key_type",
    "link_key": "bthci_evt.link_key",  # secrets: compared as read
    "numeric_value": "bthci_evt.numeric_value",
    "passkey": "bthci_evt.passkey",  # User Passkey Notification's Passkey
    "notification_type": "bthci_evt.notification_type",
}
COMMAND_MAP = {
    "handle": "bthci_cmd.connection_handle",
    "bd_addr": "bthci_cmd.bd_addr",
    "io_capability": "bthci_cmd.io_capability",
    "oob_data_present": "bthci_cmd.oob_data_present",
    "auth_requirements": "bthci_cmd.auth_requirements",
    "reason": "bthci_cmd.reason",
    "link_key": "bthci_cmd.link_key",
    "pin_code_length": "bthci_cmd.pin_code_length",  # tshark shows the PIN as text
    "numeric_value": "bthci_cmd.passkey",  # User Passkey Request Reply's Numeric_Value
    "notification_type": "bthci_cmd.notification_type",
}
BREDR_CLASSES = (
    hci.AuthenticationComplete,
    hci.PinCodeRequest,
    hci.LinkKeyRequest,
    hci.LinkKeyNotification,
    hci.IoCapabilityRequest,
    hci.IoCapabilityResponse,
    hci.UserConfirmationRequest,
    hci.UserPasskeyRequest,
    hci.SimplePairingComplete,
    hci.AuthenticationRequested,
    hci.LinkKeyRequestReply,
    hci.LinkKeyRequestNegativeReply,
    hci.PinCodeRequestReply,
    hci.PinCodeRequestNegativeReply,
    hci.UserPasskeyRequestReply,
    hci.IoCapabilityRequestReply,
    hci.UserConfirmationRequestNegativeReply,
    hci.IoCapabilityRequestNegativeReply,
    hci.UserPasskeyNotification,
    hci.KeypressNotification,
    hci.SendKeypressNotification,
)


def _hand_built(path: Path) -> Path:
    """Every BR/EDR pairing message, with edge values (a reserved IO capability, a handle
    with its flag bits set, the largest numeric value)."""
    packets = [
        (CONNECTED, True),
        (cmd(0x0411, b"\x0b\x30"), False),  # Authentication Requested, 0x300B
        (evt(0x17, ADDR), True),
        (cmd(0x040C, ADDR), False),
        (cmd(0x040B, ADDR + KEY), False),  # Link Key Request Reply
        (evt(0x16, ADDR), True),
        (cmd(0x040E, ADDR), False),
        (cmd(0x040D, ADDR + b"\x04" + b"1234" + bytes(12)), False),  # PIN Code Request Reply
        (cmd(0x042E, ADDR + (999999).to_bytes(4, "little")), False),  # User Passkey Req. Reply
        (evt(0x31, ADDR), True),
        (cmd(0x042B, ADDR + bytes([0x03, 0x01, 0x04])), False),
        (evt(0x32, ADDR + bytes([0x04, 0x00, 0x05])), True),  # reserved IO capability 0x04
        (evt(0x33, ADDR + (999999).to_bytes(4, "little")), True),
        (cmd(0x042D, ADDR), False),
        (evt(0x34, ADDR), True),
        (evt(0x3B, ADDR + (999999).to_bytes(4, "little")), True),  # User Passkey Notification
        (evt(0x3C, ADDR + b"\x05"), True),  # Keypress Notification, reserved type 0x05
        (cmd(0x0C60, ADDR + b"\x04"), False),  # Send Keypress Notification: entry completed
        (cmd(0x0434, ADDR + b"\x18"), False),
        (evt(0x18, ADDR + KEY + b"\x08"), True),
        (evt(0x36, b"\x05" + ADDR), True),
        (evt(0x06, b"\x06\x0b\x30"), True),  # Authentication Complete, handle flag bits set
    ]
    recs = [H4(1_700_000_000_000_000 + i * 1000, rx, p) for i, (p, rx) in enumerate(packets)]
    path.write_bytes(btsnoop_h4_bytes(recs))
    return path


def _norm(value: str) -> object:
    if ":" in value:
        return value.upper()
    return int(value, 0) if value[:2] == "0x" or value.isdigit() else value


def _ours(value: object) -> object:
    return value.hex() if isinstance(value, bytes) else value


@pytest.fixture(scope="module")
def bredr_captures(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("bredr")
    out = [_hand_built(folder / "hand_built.btsnoop")]
    for accept in (True, False):
        i_log, r_log, _paired = classic_pairing(folder, accept)
        out += [i_log, r_log]
    i_log, r_log, _paired = classic_pairing(folder, True, passkey=True)  # Passkey Entry
    return [*out, i_log, r_log]


def test_bredr_fields_agree_with_tshark(bredr_captures: list[Path], dissect: Tshark) -> None:
    seen: set[type] = set()
    for path in bredr_captures:
        theirs = {f.number: f for f in dissect.fresh(path)}
        for pdu, _conn in Reading(str(path)):
            msg = pdu.msg
            if not isinstance(msg, BREDR_CLASSES):
                continue
            seen.add(type(msg))
            frame = theirs[pdu.frame]
            mapping = EVENT_MAP if isinstance(msg, hci._Event) else COMMAND_MAP
            assert frame.equals(
                "bthci_evt.code" if mapping is EVENT_MAP else "bthci_cmd.opcode", pdu.opcode
            ), (path.name, pdu.frame)
            for attr, field in mapping.items():
                if hasattr(msg, attr):
                    got = _ours(getattr(msg, attr))
                    text = frame.first(field)
                    want = _norm(text.replace(":", "") if attr == "link_key" else text)
                    if attr == "handle":
                        # tshark shows a handle with its 4 RFU bits; only 12 are meaningful
                        # (Vol 4, Part E, 5.4.1 and 7.7.6), which is what bpdiag reads
                        want = int(want) & 0x0FFF  # type: ignore[call-overload]
                    assert got == want, (path.name, pdu.frame, attr)
    assert seen == set(BREDR_CLASSES)


def test_the_bumble_pairing_is_real(bredr_captures: list[Path]) -> None:
    """The virtual link ran Secure Simple Pairing: the accepted one made a link key, the
    rejected one ended with Authentication Failure on both sides."""
    names = {p.name: [pdu.msg for pdu, _c in Reading(str(p))] for p in bredr_captures[1:]}
    ok = names["bredr_ok_initiator.btsnoop"]
    assert any(isinstance(m, hci.LinkKeyNotification) for m in ok)
    for side in ("initiator", "responder"):
        msgs = names[f"bredr_rejected_{side}.btsnoop"]
        spc = [m for m in msgs if isinstance(m, hci.SimplePairingComplete)]
        assert [m.status for m in spc] == [hci.ErrorCode.AUTHENTICATION_FAILURE]
    rejected = names["bredr_rejected_responder.btsnoop"]
    assert any(isinstance(m, hci.UserConfirmationRequestNegativeReply) for m in rejected)


def test_stored_link_keys_agree_with_tshark(tmp_path: Path, dissect: Tshark) -> None:
    """Write Stored Link Key (7.3.8) and Return Link Keys (7.7.21): a count, then a BD_ADDR
    and Link_Key pair per key, read as tshark reads them; the keys are secret."""
    other, key2 = bytes([1, 2, 3, 4, 5, 6]), bytes(range(0xB0, 0xC0))
    pairs = bytes([2]) + ADDR + KEY + other + key2
    path = tmp_path / "stored_keys.btsnoop"
    recs = [
        H4(1_700_000_000_000_000, True, evt(0x15, pairs)),
        H4(1_700_000_000_001_000, False, cmd(0x0C11, pairs)),
    ]
    path.write_bytes(btsnoop_h4_bytes(recs))
    theirs = {f.number: f for f in dissect.fresh(path)}
    got = [(pdu.frame, pdu.msg) for pdu, _c in Reading(str(path))]
    assert [type(m) for _f, m in got] == [hci.ReturnLinkKeys, hci.WriteStoredLinkKey]
    for frame, msg in got:
        side = "bthci_evt" if isinstance(msg, hci.ReturnLinkKeys) else "bthci_cmd"
        assert {"link_keys"} == msg.SECRETS
        assert msg.num_keys == 2
        assert list(msg.bd_addrs) == [a.upper() for a in theirs[frame].all(f"{side}.bd_addr")]
        assert [k.hex() for k in msg.link_keys] == list(theirs[frame].all(f"{side}.link_key"))
        assert KEY.hex() not in repr(msg)
    with pytest.raises(Truncated):
        hci.parse_event(bytes([0x15, 23, 2]) + ADDR + KEY)  # two keys said, one there
