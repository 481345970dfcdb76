"""The secret fields come from the declarations alone, and are the ones the specification
says hold key material; every output redacts exactly those (``report.json_report.pdu_fields``,
which the dump, its JSON and the TUI use)."""

from __future__ import annotations

import json

from bpdiag.decode import hci, monitor, smp
from bpdiag.decode.pdu import Direction, Layer, Pdu
from bpdiag.decode.secret_fields import SECRET_KEYS, declared, secret_keys
from bpdiag.report.json_report import REDACTED, pdu_fields

# Written from the specification, not from the code: (what, code) → the parameters that are
# key material.
SPEC = {
    # Vol 4, Part E, 7.1.10 HCI_Link_Key_Request_Reply: Link_Key
    ("hci command", 0x040B): {"link_key"},
    # 7.1.12 HCI_PIN_Code_Request_Reply: PIN_Code (legacy pairing's secret)
    ("hci command", 0x040D): {"pin_code"},
    # 7.1.32 HCI_User_Passkey_Request_Reply: Numeric_Value, the passkey entered
    ("hci command", 0x042E): {"numeric_value"},
    # 7.3.8 HCI_Write_Stored_Link_Key: Link_Key[i]
    ("hci command", 0x0C11): {"link_keys"},
    # 7.8.22 HCI_LE_Encrypt: Key (an IRK, or a key a host derives with it)
    ("hci command", 0x2017): {"key"},
    # 7.8.24 HCI_LE_Enable_Encryption ("LE Start Encryption"): Long_Term_Key
    ("hci command", 0x2019): {"ltk"},
    # 7.8.25 HCI_LE_Long_Term_Key_Request_Reply: Long_Term_Key
    ("hci command", 0x201A): {"ltk"},
    # 7.1.34 HCI_Remote_OOB_Data_Request_Reply: C, R (the peer's P-192 OOB data)
    ("hci command", 0x0430): {"c", "r"},
    # 7.1.53 HCI_Remote_OOB_Extended_Data_Request_Reply: C_192, R_192, C_256, R_256
    ("hci command", 0x0445): {"c_192", "r_192", "c_256", "r_256"},
    # 7.8.38 HCI_LE_Add_Device_To_Resolving_List: Peer_IRK, Local_IRK
    ("hci command", 0x2027): {"peer_irk", "local_irk"},
    # 7.8.103 HCI_LE_Create_BIG, 7.8.104 HCI_LE_Create_BIG_Test, 7.8.106
    # HCI_LE_BIG_Create_Sync: Broadcast_Code (an encrypted BIG's session key comes from it)
    ("hci command", 0x2068): {"broadcast_code"},
    ("hci command", 0x2069): {"broadcast_code"},
    ("hci command", 0x206B): {"broadcast_code"},
    # Command Complete return parameters, by the command's opcode: 7.3.60
    # HCI_Read_Local_OOB_Data (C, R), 7.3.95 HCI_Read_Local_OOB_Extended_Data (C_192, R_192,
    # C_256, R_256), 7.8.22 HCI_LE_Encrypt (Encrypted_Data: s1's STK when a host runs e in
    # the controller), 7.8.23 HCI_LE_Rand (Random_Number: hosts make keys from it)
    ("hci return", 0x0C57): {"c", "r"},
    ("hci return", 0x0C7D): {"c_192", "r_192", "c_256", "r_256"},
    ("hci return", 0x2017): {"encrypted_data"},
    ("hci return", 0x2018): {"random_number"},
    # 7.7.24 HCI_Link_Key_Notification: Link_Key
    ("hci event", 0x18): {"link_key"},
    # 7.7.21 HCI_Return_Link_Keys: Link_Key[i]
    ("hci event", 0x15): {"link_keys"},
    # 7.7.65.9 HCI_LE_Generate_DHKey_Complete: DH_Key
    ("le subevent", 0x09): {"dh_key"},
    # 7.7.42 HCI_User_Confirmation_Request: Numeric_Value (bpdiag keeps it as a passkey)
    ("hci event", 0x33): {"numeric_value"},
    # 7.7.48 HCI_User_Passkey_Notification: Passkey (the one the peer's user must type)
    ("hci event", 0x3B): {"passkey"},
    # Vol 3, Part H, 3.6.2 Encryption Information (LTK), 3.6.4 Identity Information (IRK),
    # 3.6.6 Signing Information (CSRK)
    ("smp", 0x06): {"ltk"},
    ("smp", 0x08): {"irk"},
    ("smp", 0x0A): {"csrk"},
    # BlueZ doc/mgmt-api.txt: User Passkey Reply (0x001E), Passkey Notify event (0x0017) —
    # the passkey is the TK (Vol 3, Part H, 2.3.5.3)
    ("mgmt command", 0x001E): {"passkey"},
    ("mgmt event", 0x0017): {"passkey"},
}


def test_the_declared_secrets_are_the_specs() -> None:
    assert declared() == SPEC
    assert frozenset().union(*SPEC.values()) == SECRET_KEYS


def _pdu(msg: object, layer: Layer) -> Pdu:
    return Pdu(1, 0.0, Direction.SENT, None, layer, 0, msg)  # type: ignore[arg-type]


def test_every_declared_hci_secret_is_redacted_and_shown_on_request() -> None:
    """Each HCI message with secrets, read from distinct bytes: its secrets read
    ``redacted`` and their values appear nowhere in the fields; with show_keys they do."""
    registries = {
        "hci command": hci.COMMANDS,
        "hci event": hci.EVENTS,
        "le subevent": hci.LE_SUBEVENTS,
    }
    seen = set()
    for (kind, code), keys in declared().items():
        if kind not in registries:
            continue
        seen.add(kind)
        layout = registries[kind][code]
        data = bytes(range(0x41, 0x41 + layout.length))
        if layout.hook is not None:  # the stored link keys: a count, then one pair
            data = b"\x01" + bytes(range(0x41, 0x41 + 22))
        msg = layout.build(data)
        assert secret_keys(msg) == keys
        shown = pdu_fields(_pdu(msg, Layer.HCI), True)
        hidden = pdu_fields(_pdu(msg, Layer.HCI), False)
        text = json.dumps(hidden)
        for k in keys:
            assert hidden[k] == REDACTED
            values = shown[k] if isinstance(shown[k], list) else [shown[k]]
            assert values and all(str(v) not in text for v in values), (kind, code, k)
        assert {k: v for k, v in shown.items() if k not in keys} == {
            k: v for k, v in hidden.items() if k not in keys
        }
    assert seen == set(registries)


def test_smp_and_mgmt_secrets_are_redacted() -> None:
    ltk = bytes(range(0x10, 0x20))
    info = smp.parse_smp(b"\x06" + ltk)
    assert pdu_fields(_pdu(info, Layer.SMP), False) == {"ltk": REDACTED}
    assert pdu_fields(_pdu(info, Layer.SMP), True) == {"ltk": ltk.hex()}
    passkey = bytes.fromhex("665544332211") + b"\x01" + (654321).to_bytes(4, "little")
    data = (7).to_bytes(4, "little") + (0x001E).to_bytes(2, "little") + passkey
    reply = monitor.parse_monitor(monitor.MonitorOpcode.CONTROL_COMMAND, 0, data)
    assert secret_keys(reply) == {"passkey"}
    assert pdu_fields(_pdu(reply, Layer.MONITOR), False)["passkey"] == REDACTED
    assert pdu_fields(_pdu(reply, Layer.MONITOR), True)["passkey"] == 654321


def test_messages_without_secrets_have_none() -> None:
    assert secret_keys(hci.parse_event(bytes([0x17, 0x06]) + bytes(6))) == frozenset()
    assert secret_keys(smp.parse_smp(b"\x03" + bytes(16))) == frozenset()  # Pairing Confirm
    assert secret_keys(object()) == frozenset()


def test_every_declared_return_secret_is_redacted_and_shown_on_request() -> None:
    """Each command whose Command Complete returns key material, answered with distinct
    bytes: those return parameters read ``redacted`` and appear nowhere else in the
    fields; with show_keys they are the bytes; a failed command's status alone has none."""
    returns = {code: keys for (kind, code), keys in declared().items() if kind == "hci return"}
    assert returns
    for opcode, keys in returns.items():
        size = sum(p.size for p in hci.RETURNS[opcode])
        ret = bytes(range(0x41, 0x41 + size))
        event = bytes([0x0E, 4 + size, 1]) + opcode.to_bytes(2, "little") + b"\x00" + ret
        msg = hci.parse_event(event)
        assert isinstance(msg, hci.CommandComplete) and secret_keys(msg) >= keys
        shown = pdu_fields(_pdu(msg, Layer.HCI), True)
        hidden = pdu_fields(_pdu(msg, Layer.HCI), False)
        assert "".join(shown[k] for k in sorted(keys, key=list(shown).index)) == ret.hex()
        assert {k for k, v in hidden.items() if v == REDACTED} == keys, hex(opcode)
        assert all(shown[k] not in json.dumps(hidden) for k in keys)
        failed = hci.parse_event(bytes([0x0E, 4, 1]) + opcode.to_bytes(2, "little") + b"\x0c")
        assert REDACTED not in pdu_fields(_pdu(failed, Layer.HCI), False).values()
