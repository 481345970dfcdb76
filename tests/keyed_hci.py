"""A capture of the HCI messages whose parameters are key material beyond pairing's own
(the OOB data, IRKs, LE Encrypt's and LE Rand's results, a BIG's Broadcast_Code), each
with distinct key bytes, built with Bumble's HCI classes where Bumble has them (its
Command Complete for every return), by hand where it does not (LE Encrypt, LE Create BIG
Test, and Read Local OOB Extended Data's return: Bumble's puts an octet before C_192 that
Vol 4, Part E, 7.3.95 does not have).

``keyed_capture`` writes it and returns, per frame, the message's name and its key
material as bytes on the wire — known from the construction, not from bpdiag's decoding,
so a test of an output that bpdiag never decoded (scapy's frames view) still knows what
must not be there.
"""

from __future__ import annotations

from pathlib import Path

from tests.capture.writers import H4, btsnoop_h4_bytes

PEER = "11:22:33:44:55:66"  # as Bumble and tshark print it; on the wire 66 55 … 11


def _k(n: int, size: int = 16) -> bytes:
    """A key of ``size`` distinct octets, different for each ``n``, with no zero and no
    quote or backslash (which would make its Python repr differ from its repr inside a
    longer byte string's: key_forms_in looks for that repr in scapy's ``load``)."""
    octets = ((n * 29 + i * 11) % 251 + 1 for i in range(size))
    return bytes(b ^ 0x80 if b in b"\"'\\" else b for b in octets)


def _cc(opcode: int, returned: bytes) -> bytes:
    """Bumble's Command Complete for ``opcode``: Status 0 then ``returned``."""
    from bumble import hci as bhci

    rp = bhci.HCI_GenericReturnParameters(data=b"\x00" + returned)
    event = bhci.HCI_Command_Complete_Event(
        num_hci_command_packets=1, command_opcode=opcode, return_parameters=rp
    )
    return bytes(event)


def packets() -> list[tuple[bool, bytes, str, list[bytes]]]:
    """(received, H4 packet, the message's name, its key material) in capture order."""
    from bumble import hci as bhci

    addr = bhci.Address(PEER)
    keys = {n: _k(n) for n in range(1, 20)}
    rand = _k(20, 8)
    out: list[tuple[bool, bytes, str, list[bytes]]] = []

    def cmd(packet: object, name: str, secret: list[bytes]) -> None:
        out.append((False, bytes(packet), name, secret))  # type: ignore[call-overload]

    def evt(packet: bytes, name: str, secret: list[bytes]) -> None:
        out.append((True, packet, name, secret))

    cmd(
        bhci.HCI_LE_Add_Device_To_Resolving_List_Command(
            peer_identity_address_type=0,
            peer_identity_address=addr,
            peer_irk=keys[1],
            local_irk=keys[2],
        ),
        "LE Add Device To Resolving List",
        [keys[1], keys[2]],
    )
    cmd(
        bhci.HCI_Remote_OOB_Data_Request_Reply_Command(bd_addr=addr, c=keys[3], r=keys[4]),
        "Remote OOB Data Request Reply",
        [keys[3], keys[4]],
    )
    cmd(
        bhci.HCI_Remote_OOB_Extended_Data_Request_Reply_Command(
            bd_addr=addr, c_192=keys[5], r_192=keys[6], c_256=keys[7], r_256=keys[8]
        ),
        "Remote OOB Extended Data Request Reply",
        [keys[5], keys[6], keys[7], keys[8]],
    )
    cmd(bhci.HCI_Read_Local_OOB_Data_Command(), "Read Local OOB Data", [])
    evt(
        _cc(0x0C57, keys[9] + keys[10]),
        "Command Complete (Read Local OOB Data)",
        [keys[9], keys[10]],
    )
    cmd(bhci.HCI_Read_Local_OOB_Extended_Data_Command(), "Read Local OOB Extended Data", [])
    evt(
        _cc(0x0C7D, keys[11] + keys[12] + keys[13] + keys[14]),
        "Command Complete (Read Local OOB Extended Data)",
        [keys[11], keys[12], keys[13], keys[14]],
    )
    # LE Encrypt (7.8.22; Bumble has no class): Key, Plaintext_Data
    plaintext = bytes(range(0xE0, 0xF0))
    cmd(bytes([0x01, 0x17, 0x20, 32]) + keys[15] + plaintext, "LE Encrypt", [keys[15]])
    evt(_cc(0x2017, keys[16]), "Command Complete (LE Encrypt)", [keys[16]])
    cmd(bhci.HCI_LE_Rand_Command(), "LE Rand", [])
    evt(_cc(0x2018, rand), "Command Complete (LE Rand)", [rand])
    cmd(
        bhci.HCI_LE_Create_BIG_Command(
            big_handle=1,
            advertising_handle=2,
            num_bis=2,
            sdu_interval=10000,
            max_sdu=100,
            max_transport_latency=20,
            rtn=2,
            phy=2,
            packing=0,
            framing=0,
            encryption=1,
            broadcast_code=keys[17],
        ),
        "LE Create BIG",
        [keys[17]],
    )
    # LE Create BIG Test (7.8.104; Bumble has no class): BIG_Handle, Advertising_Handle,
    # Num_BIS, SDU_Interval (3), ISO_Interval (2), NSE, Max_SDU (2), Max_PDU (2), PHY,
    # Packing, Framing, BN, IRC, PTO, Encryption, Broadcast_Code
    test_params = (
        bytes([3, 4, 1])
        + (10000).to_bytes(3, "little")
        + (8).to_bytes(2, "little")
        + b"\x02"
        + (100).to_bytes(2, "little")
        + (100).to_bytes(2, "little")
        + bytes([2, 0, 0, 1, 1, 0, 1])
        + keys[18]
    )
    cmd(bytes([0x01, 0x69, 0x20, len(test_params)]) + test_params, "LE Create BIG Test", [keys[18]])
    cmd(
        bhci.HCI_LE_BIG_Create_Sync_Command(
            big_handle=5,
            sync_handle=0x0102,
            encryption=1,
            broadcast_code=keys[19],
            mse=0,
            big_sync_timeout=100,
            bis=[1, 2],
        ),
        "LE BIG Create Sync",
        [keys[19]],
    )
    return out


def keyed_capture(path: Path) -> dict[int, tuple[str, list[bytes]]]:
    """Write the capture to ``path``: frame (from 1) → its name and key material."""
    built = packets()
    recs = [H4(1_700_000_000_000_000 + i * 1000, rx, p) for i, (rx, p, _n, _k) in enumerate(built)]
    path.write_bytes(btsnoop_h4_bytes(recs))
    return {i: (name, keys) for i, (_rx, _p, name, keys) in enumerate(built, 1)}
