"""The key-bearing HCI messages declared for redaction (tests/keyed_hci.py builds one of
each, with Bumble where Bumble can) read as tshark reads them: each declared parameter at
the offset and of the size tshark's dissection gives it, with the value of those octets.
tshark's PDML is used (not ``-T fields``): it gives every field's position and size, and
tshark 4.0 shows a Broadcast_Code with no value (an FT_NONE field) but still places it."""

from __future__ import annotations

import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from bpdiag.analysis.run import Reading
from bpdiag.decode import hci
from bpdiag.decode.declare import Param
from tests.keyed_hci import keyed_capture, packets

_BIG = {
    "big_handle": "bthci_cmd.big_handle",
    "advertising_handle": "bthci_cmd.advertising_handle",
    "num_bis": "bthci_cmd.num_bis",
    "encryption": "bthci_cmd.encryption",
    "broadcast_code": "bthci_cmd.broadcast_code",
}
# bpdiag's attribute → tshark's field, per message
COMMANDS: dict[type, dict[str, str]] = {
    hci.LeAddDeviceToResolvingList: {
        "peer_identity_address_type": "bthci_cmd.le_peer_identity_address_type",
        "peer_identity_address": "bthci_cmd.bd_addr",
        "peer_irk": "bthci_cmd.le_peer_irk",
        "local_irk": "bthci_cmd.le_local_irk",
    },
    hci.RemoteOobDataRequestReply: {
        "bd_addr": "bthci_cmd.bd_addr",
        "c": "bthci_cmd.hash_c",
        "r": "bthci_cmd.randomizer_r",
    },
    hci.RemoteOobExtendedDataRequestReply: {
        "bd_addr": "bthci_cmd.bd_addr",
        "c_192": "bthci_cmd.c192",
        "r_192": "bthci_cmd.r192",
        "c_256": "bthci_cmd.c256",
        "r_256": "bthci_cmd.r256",
    },
    hci.LeEncrypt: {"key": "bthci_cmd.le_key", "plaintext_data": "bthci_cmd.le_plaintext"},
    hci.LeCreateBig: _BIG,
    hci.LeCreateBigTest: _BIG,
    hci.LeBigCreateSync: {
        "big_handle": "bthci_cmd.big_handle",
        "sync_handle": "bthci_cmd.sync_handle",
        "encryption": "bthci_cmd.encryption",
        "broadcast_code": "bthci_cmd.broadcast_code",
        "num_bis": "bthci_cmd.num_bis",
    },
    hci.ReadLocalOobData: {},
    hci.ReadLocalOobExtendedData: {},
    hci.LeRand: {},
}
RETURNS = {
    "c": "bthci_evt.hash_c",
    "r": "bthci_evt.randomizer_r",
    "c_192": "bthci_evt.c192",
    "r_192": "bthci_evt.r192",
    "c_256": "bthci_evt.c256",
    "r_256": "bthci_evt.r256",
    "encrypted_data": "bthci_evt.le_encrypted_data",
    "random_number": "bthci_evt.le_random_number",
}
_COMMAND_PARAMS = 4  # H4 type, opcode, parameter length
_RETURN_PARAMS = 7  # H4 type, code, length, Num_HCI_Command_Packets, opcode, Status


def _places(pdml: str) -> list[dict[str, tuple[int, int]]]:
    """Per frame, each field's first (position, size) in tshark's PDML."""
    out = []
    for packet in ET.fromstring(pdml).iter("packet"):
        seen: dict[str, tuple[int, int]] = {}
        for f in packet.iter("field"):
            name, pos, size = f.get("name"), f.get("pos"), f.get("size")
            if name and pos is not None and size is not None:
                seen.setdefault(name, (int(pos), int(size)))
        out.append(seen)
    return out


def _wire(p: Param, value: object) -> bytes:
    if p.kind == "addr":
        return bytes.fromhex(str(value).replace(":", ""))[::-1]
    if isinstance(value, bytes):
        return value
    assert isinstance(value, int)
    return value.to_bytes(p.size, "little")


@pytest.fixture(scope="module")
def keyed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("keyed_tshark") / "keyed.btsnoop"
    keyed_capture(path)
    return path


def test_the_key_bearing_messages_agree_with_tshark(keyed: Path, tshark: str) -> None:
    pdml = subprocess.run(
        [tshark, "-n", "-r", str(keyed), "-T", "pdml"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    places = _places(pdml)
    wire = [p for _rx, p, _name, _keys in packets()]
    seen: set[type] = set()
    returned: set[int] = set()
    for pdu, _conn in Reading(str(keyed)):
        msg, frame = pdu.msg, wire[pdu.frame - 1]
        theirs = places[pdu.frame - 1]
        if isinstance(msg, hci.CommandComplete):
            params, start, names = hci.RETURNS[msg.opcode], _RETURN_PARAMS, RETURNS
            assert theirs["bthci_evt.status"] == (_RETURN_PARAMS - 1, 1)
            returned.add(msg.opcode)
        else:
            layout = hci.COMMANDS[msg.opcode]
            params, start, names = layout.params, _COMMAND_PARAMS, COMMANDS[type(msg)]
            seen.add(type(msg))
        offset = start
        for p in params:
            if p.attr:
                value = _wire(p, getattr(msg, p.attr))
                assert theirs[names[p.attr]] == (offset, p.size), (pdu.name, p.attr)
                assert frame[offset : offset + p.size] == value, (pdu.name, p.attr)
            offset += p.size
        if not isinstance(msg, hci.CommandComplete):  # every parameter compared
            assert {p.attr for p in params if p.attr} == set(names), pdu.name
    assert seen == set(COMMANDS)
    assert returned == {0x0C57, 0x0C7D, 0x2017, 0x2018}
    every_declared = {p.attr for op in returned for p in hci.RETURNS[op]}
    assert every_declared == set(RETURNS)
