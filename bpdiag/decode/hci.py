"""HCI commands and events that matter to connections and security.

Bluetooth Core Spec v5.4, Vol 4, Part E: packet formats in 5.4 (command 5.4.1, ACL 5.4.2,
event 5.4.4), commands in 7.1 / 7.4 / 7.8, events in 7.7; error codes in Vol 1, Part F, 1.3.

``parse_command`` and ``parse_event`` check the parameter length byte against the data, then
each typed message's fixed parameters against what is there; anything short raises
``Truncated`` and a length byte that disagrees with the data raises ``Truncated`` (the data is
shorter) or ``BadLength`` (longer), all with ``layer=Stage.HCI``.  Parameters beyond what a typed
message reads are ignored (later spec versions append parameters).  Messages bpdiag has no
class for come back as ``HciCommand`` / ``HciEvent`` / ``LeMetaEvent`` with their raw
parameters and a name from ``bpdiag.decode.hci_names`` (a value in none of its tables is
``reserved (0x..)``).

Each typed message is declared once, Bumble-style: a dataclass registered by its code
(``_command``, ``_event``, ``_le_event``) whose attributes are its parameters with their wire
layout (``bpdiag.decode.declare.wire``); parsing, the length check and ``fields()`` are
derived from it.  ``COMMANDS``, ``EVENTS``, ``LE_SUBEVENTS`` are those registries and
``TYPED_*`` their codes, which the hot path (``hci_stream``) filters on.

Field conventions of ``fields()``: addresses as tshark prints them (most significant byte
first, ``AA:BB:CC:DD:EE:FF``), ``rand`` / ``ltk`` as hex in wire order, codes as ints with a
``*_name`` beside status and reason codes.  Key material (an LTK, a link key, an IRK, a
PIN, a passkey, a numeric comparison's value, OOB data, a Broadcast_Code, a DHKey) is
declared ``secret``: each class's ``SECRETS`` names those keys, and every output redacts
them unless --show-keys.  A Command Complete's return parameters are ``CommandComplete``
fields, each declared there once (secret ones too: LE Encrypt's and LE Rand's results, the
local OOB data) and named per command by ``_command(returns=…)`` (``RETURNS``).
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import MISSING, dataclass
from typing import Any, ClassVar

from bpdiag.decode.declare import (
    AUTO,
    D,
    Declared,
    Hook,
    Layout,
    Param,
    declare,
    read_params,
    reserved_name,
    size_of,
    undeclared,
    wire,
)
from bpdiag.decode.declare import address_str as address_str
from bpdiag.decode.hci_names import BREDR_AUTH_REQUIREMENTS, BREDR_IO_CAPABILITIES, LINK_KEY_TYPES
from bpdiag.decode.hci_names import COMMAND_NAMES as COMMAND_NAMES
from bpdiag.decode.hci_names import EVENT_NAMES as EVENT_NAMES
from bpdiag.decode.hci_names import LE_SUBEVENT_NAMES as LE_SUBEVENT_NAMES
from bpdiag.decode.hci_names import STATUS_NAMES as STATUS_NAMES
from bpdiag.decode.hci_names import ErrorCode as ErrorCode
from bpdiag.decode.smp import keypress_name
from bpdiag.errors import BadLength, Stage, Truncated

# Vol 4, Part E, 7.8.12 / 7.7.65.1: Peer_Address_Type.
ADDRESS_TYPES = {0: "public", 1: "random", 2: "public-identity", 3: "random-identity"}
ROLES = {0: "central", 1: "peripheral"}


# Commands about link encryption (Vol 4, Part E): Set Connection Encryption (7.1.16), Refresh
# Encryption Key (7.3.48), Set Min Encryption Key Size (7.3.102), Read Encryption Key Size
# (7.5.7), LE Encrypt (7.8.22), LE Enable Encryption (7.8.24).
ENCRYPTION_COMMANDS = frozenset({0x0413, 0x0C53, 0x0C84, 0x1408, 0x2017, 0x2019})
# Events about it (7.7): Encryption Change (7.7.8, v2 7.7.8.2), Key Refresh Complete (7.7.39).
ENCRYPTION_EVENTS = frozenset({0x08, 0x30, 0x59})
# Commands that refuse a peer (7.1.8, 7.1.28, 7.8.101): Reject Connection Request, Reject
# Synchronous Connection Request, LE Reject CIS Request.
REJECT_COMMANDS = frozenset({0x040A, 0x042A, 0x2067})


def command_of(msg: object) -> int | None:
    """The command opcode a message is or answers (Command Complete / Status), else None."""
    answers = isinstance(msg, (_Command, CommandComplete, CommandStatus))
    return getattr(msg, "opcode", None) if answers else None


def event_of(msg: object) -> int | None:
    """The event code of an HCI event (not an LE Meta subevent), else None."""
    return getattr(msg, "code", None) if isinstance(msg, _Event) else None


def io_capability_name(value: int) -> str:
    """BR/EDR IO_Capability (Vol 4, Part E, 7.1.29, 7.7.41); ``reserved (0x..)`` above 0x03."""
    return BREDR_IO_CAPABILITIES.get(value) or reserved_name(value)


def auth_requirements_name(value: int) -> str:
    """BR/EDR Authentication_Requirements (Vol 4, Part E, 7.1.29, 7.7.41)."""
    return BREDR_AUTH_REQUIREMENTS.get(value) or reserved_name(value)


def link_key_type_name(value: int) -> str:
    """Key_Type of a Link Key Notification (Vol 4, Part E, 7.7.24)."""
    return LINK_KEY_TYPES.get(value) or reserved_name(value)


def status_name(code: int) -> str:
    """Name of an HCI error code (Vol 1, Part F, 1.3); ``reserved (0x..)`` if unassigned."""
    return STATUS_NAMES.get(code) or reserved_name(code)


def command_name(opcode: int) -> str:
    """Name of an HCI command opcode; vendor commands (OGF 0x3F) by their opcode."""
    if opcode >> 10 == 0x3F:
        return f"Vendor Command (0x{opcode:04x})"
    return COMMAND_NAMES.get(opcode) or reserved_name(opcode, 4)


def event_name(code: int) -> str:
    return EVENT_NAMES.get(code) or reserved_name(code)


def le_subevent_name(code: int) -> str:
    return LE_SUBEVENT_NAMES.get(code) or f"LE Meta {reserved_name(code)}"


def role_name(role: int) -> str:
    return ROLES.get(role) or reserved_name(role)


def address_type_name(t: int) -> str:
    return ADDRESS_TYPES.get(t) or reserved_name(t)


def _need(params: bytes, n: int, what: str) -> None:
    if len(params) < n:
        raise Truncated(f"HCI {what} needs {n} parameter bytes, got {len(params)}", layer=Stage.HCI)


# ================================================================ declarations
def _u(size: int = 1, *, shown: bool = True, optional: bool = False, default: Any = MISSING) -> Any:
    """An unsigned little-endian integer field."""
    return wire(size, key=AUTO if shown else "", optional=optional, default=default)


def _status() -> Any:
    """A status or reason: an HCI error code, shown with its name (Vol 1, Part F, 1.3)."""
    return wire(1, names=status_name)


def _handle(optional: bool = False) -> Any:
    return wire(2, "handle", optional=optional)


def _addr(optional: bool = False) -> Any:
    return wire(6, "addr", optional=optional)


def _octets(size: int) -> Any:
    return wire(size, "octets")


def _key(size: int = 16) -> Any:
    """Key material in wire order: shown as hex with --show-keys, else redacted."""
    return wire(size, "octets", secret=True)


COMMANDS: dict[int, Layout] = {}
"""Command opcode → how ``parse_command`` reads it."""
EVENTS: dict[int, Layout] = {}
"""Event code → how ``parse_event`` reads it (LE Meta subevents: ``LE_SUBEVENTS``)."""
LE_SUBEVENTS: dict[int, Layout] = {}
RETURNS: dict[int, tuple[Param, ...]] = {}
"""Opcode → the return parameters its Command Complete carries after Status: fields of
``CommandComplete``, declared there once (their size, how they are read, whether they are
secret), named per command by ``_command(returns=…)``."""
_RETURN_NAMES: dict[int, tuple[str, ...]] = {}
STATUS_ANSWERED: set[int] = set()
"""Opcodes the controller answers with Command Status (the command's section says so)."""


def _command(
    opcode: int,
    *,
    returns: tuple[str, ...] = (),
    status: bool = False,
    order: tuple[str | Param, ...] | None = None,
    hook: Hook | None = None,
) -> Callable[[D], D]:
    """Declare a command: the return parameters of its Command Complete after Status (the
    ``CommandComplete`` attributes they fill, in wire order), and whether the controller
    answers it with Command Status instead."""
    if returns:
        _RETURN_NAMES[opcode] = returns
    if status:
        STATUS_ANSWERED.add(opcode)
    return declare(COMMANDS, "opcode", opcode, order, hook)


def _event(
    code: int, order: tuple[str | Param, ...] | None = None, hook: Hook | None = None
) -> Callable[[D], D]:
    return declare(EVENTS, "code", code, order, hook)


def _le_event(subevent: int, order: tuple[str | Param, ...] | None = None) -> Callable[[D], D]:
    return declare(LE_SUBEVENTS, "subevent", subevent, order)


def _raw() -> Any:
    """The parameters of a message bpdiag has no class for, kept as they are."""
    return wire(0, "octets", key="params", default=b"")


# ================================================================ commands
class _Command(Declared):
    __slots__ = ()
    opcode: ClassVar[int]

    @property
    def name(self) -> str:
        return command_name(self.opcode)


@undeclared
@dataclass(frozen=True, slots=True)
class HciCommand(_Command):
    """Any HCI command bpdiag has no class for (Vol 4, Part E, 5.4.1): opcode and raw
    parameters."""

    opcode: int  # type: ignore[misc]  # a field here, a class attribute of typed commands
    params: bytes = _raw()


@_command(0x0406, status=True)
@dataclass(frozen=True, slots=True)
class Disconnect(_Command):
    """Vol 4, Part E, 7.1.6 HCI_Disconnect: Connection_Handle, Reason."""

    handle: int = _handle()
    reason: int = _status()


@_command(0x0411, status=True)
@dataclass(frozen=True, slots=True)
class AuthenticationRequested(_Command):
    """Vol 4, Part E, 7.1.15 HCI_Authentication_Requested: Connection_Handle."""

    handle: int = _handle()


@_command(0x0413, status=True)
@dataclass(frozen=True, slots=True)
class SetConnectionEncryption(_Command):
    """Vol 4, Part E, 7.1.16 HCI_Set_Connection_Encryption: Connection_Handle,
    Encryption_Enable (0x00 off, 0x01 on)."""

    handle: int = _handle()
    encryption_enable: int = _u()


# BR/EDR pairing (Vol 4, Part E, 7.1): the host's answers to the controller's requests.  Each
# is answered by Command Complete (Status, BD_ADDR), whose BD_ADDR bpdiag does not read.
@_command(0x040B)
@dataclass(frozen=True, slots=True)
class LinkKeyRequestReply(_Command):
    """Vol 4, Part E, 7.1.10 HCI_Link_Key_Request_Reply (22 octets): BD_ADDR, Link_Key (16)
    — the host gives the controller the stored link key of the peer (a bond is reused)."""

    bd_addr: str = _addr()
    link_key: bytes = _key()


@_command(0x040C)
@dataclass(frozen=True, slots=True)
class LinkKeyRequestNegativeReply(_Command):
    """Vol 4, Part E, 7.1.11 HCI_Link_Key_Request_Negative_Reply: BD_ADDR (the host has no
    link key for the peer)."""

    bd_addr: str = _addr()


@_command(0x040D)
@dataclass(frozen=True, slots=True)
class PinCodeRequestReply(_Command):
    """Vol 4, Part E, 7.1.12 HCI_PIN_Code_Request_Reply (23 octets): BD_ADDR,
    PIN_Code_Length, PIN_Code (16, the first PIN_Code_Length octets used) — legacy pairing's
    secret, from which the link key is made."""

    bd_addr: str = _addr()
    pin_code_length: int = _u()
    pin_code: bytes = _key()


@_command(0x040E)
@dataclass(frozen=True, slots=True)
class PinCodeRequestNegativeReply(_Command):
    """Vol 4, Part E, 7.1.13 HCI_PIN_Code_Request_Negative_Reply: BD_ADDR (the host cannot
    give a PIN)."""

    bd_addr: str = _addr()


def _io_capability() -> Any:
    return wire(1, names=io_capability_name)


def _auth_requirements() -> Any:
    return wire(1, names=auth_requirements_name)


@_command(0x042B)
@dataclass(frozen=True, slots=True)
class IoCapabilityRequestReply(_Command):
    """Vol 4, Part E, 7.1.29 HCI_IO_Capability_Request_Reply (9 octets): BD_ADDR,
    IO_Capability, OOB_Data_Present, Authentication_Requirements — the local host's side of
    the IO capability exchange."""

    bd_addr: str = _addr()
    io_capability: int = _io_capability()
    oob_data_present: int = _u()
    auth_requirements: int = _auth_requirements()


@_command(0x042D)
@dataclass(frozen=True, slots=True)
class UserConfirmationRequestNegativeReply(_Command):
    """Vol 4, Part E, 7.1.31 HCI_User_Confirmation_Request_Negative_Reply: BD_ADDR (the
    numeric comparison was rejected, by the user or the host)."""

    bd_addr: str = _addr()


@_command(0x042E)
@dataclass(frozen=True, slots=True)
class UserPasskeyRequestReply(_Command):
    """Vol 4, Part E, 7.1.32 HCI_User_Passkey_Request_Reply (10 octets): BD_ADDR,
    Numeric_Value (u32, the passkey the user entered) — the passkey is the pairing's secret."""

    bd_addr: str = _addr()
    numeric_value: int = wire(4, secret=True)


@_command(0x0434)
@dataclass(frozen=True, slots=True)
class IoCapabilityRequestNegativeReply(_Command):
    """Vol 4, Part E, 7.1.36 HCI_IO_Capability_Request_Negative_Reply (7 octets): BD_ADDR,
    Reason (an HCI error code: why the host refused to pair)."""

    bd_addr: str = _addr()
    reason: int = _status()


def _keypress() -> Any:
    """Notification_Type of a BR/EDR keypress (Vol 4, Part E, 7.1.37, 7.7.49): the values
    and names of SMP's Keypress Notification (Vol 3, Part H, Table 3.8)."""
    return wire(1, names=keypress_name)


@_command(0x0C60)
@dataclass(frozen=True, slots=True)
class SendKeypressNotification(_Command):
    """Vol 4, Part E, 7.1.37 HCI_Send_Keypress_Notification (7 octets): BD_ADDR,
    Notification_Type — the local user's keypresses during Passkey Entry, sent to the peer
    (whose controller reports them as Keypress Notification, 7.7.49)."""

    bd_addr: str = _addr()
    notification_type: int = _keypress()


# Out of band data (Secure Simple Pairing's out of band protocol, Vol 2, Part H, 7.2): C,
# the Simple Pairing Hash, commits to the device's public key with R, the Simple Pairing
# Randomizer, a secret the pairing's check values take in (f3's r).  Both are as secret as
# a passkey: whoever has them can pose as the device over the air.  16 octets each, in
# wire order.
@_command(0x0430)
@dataclass(frozen=True, slots=True)
class RemoteOobDataRequestReply(_Command):
    """Vol 4, Part E, 7.1.34 HCI_Remote_OOB_Data_Request_Reply (38 octets): BD_ADDR, C (16),
    R (16) — the host gives the controller the P-192 OOB data it received from the peer."""

    bd_addr: str = _addr()
    c: bytes = _key()
    r: bytes = _key()


@_command(0x0445)
@dataclass(frozen=True, slots=True)
class RemoteOobExtendedDataRequestReply(_Command):
    """Vol 4, Part E, 7.1.53 HCI_Remote_OOB_Extended_Data_Request_Reply (70 octets):
    BD_ADDR, C_192, R_192, C_256, R_256 (16 each) — the peer's OOB data for P-192 and
    P-256 (Secure Connections)."""

    bd_addr: str = _addr()
    c_192: bytes = _key()
    r_192: bytes = _key()
    c_256: bytes = _key()
    r_256: bytes = _key()


_STORED_KEY = 22  # BD_ADDR (6) and Link_Key (16)


def _stored_keys(params: bytes, values: dict[str, object]) -> None:
    """After the count, one BD_ADDR and Link_Key pair per key (in that order, as tshark
    reads Write Stored Link Key and Return Link Keys)."""
    n = params[0]
    _need(params, 1 + _STORED_KEY * n, f"stored link keys ({n})")
    starts = range(1, 1 + _STORED_KEY * n, _STORED_KEY)
    values["bd_addrs"] = tuple(address_str(params[i : i + 6]) for i in starts)
    values["link_keys"] = tuple(bytes(params[i + 6 : i + _STORED_KEY]) for i in starts)


def _stored_addresses() -> Any:
    return wire(0, key="bd_addrs", default=())


def _stored_link_keys() -> Any:
    """The link keys of a stored-key message: secret (one ``redacted`` for all of them)."""
    return wire(0, render=lambda keys: [k.hex() for k in keys], secret=True, default=())


@_command(0x0C11, order=("num_keys",), hook=_stored_keys)
@dataclass(frozen=True, slots=True)
class WriteStoredLinkKey(_Command):
    """Vol 4, Part E, 7.3.8 HCI_Write_Stored_Link_Key: Num_Keys_To_Write, then BD_ADDR and
    Link_Key (16) for each — the host stores bonds' link keys in the controller."""

    num_keys: int = _u()
    bd_addrs: tuple[str, ...] = _stored_addresses()
    link_keys: tuple[bytes, ...] = _stored_link_keys()


@_command(0x0C57, returns=("c", "r"))
@dataclass(frozen=True, slots=True)
class ReadLocalOobData(_Command):
    """Vol 4, Part E, 7.3.60 HCI_Read_Local_OOB_Data: no parameters; its Command Complete
    returns Status, C (16), R (16) — the local P-192 OOB data the host sends the peer out
    of band (secret, as the peer's is)."""


@_command(0x0C7D, returns=("c_192", "r_192", "c_256", "r_256"))
@dataclass(frozen=True, slots=True)
class ReadLocalOobExtendedData(_Command):
    """Vol 4, Part E, 7.3.95 HCI_Read_Local_OOB_Extended_Data: no parameters; its Command
    Complete returns Status, C_192, R_192, C_256, R_256 (16 each), all secret."""


@_command(0x1009, returns=("bd_addr",))
@dataclass(frozen=True, slots=True)
class ReadBdAddr(_Command):
    """Vol 4, Part E, 7.4.6 HCI_Read_BD_ADDR: no parameters; its Command Complete returns
    Status, BD_ADDR."""


@_command(
    0x200D,
    status=True,
    order=(
        "scan_interval",
        "scan_window",
        "initiator_filter_policy",
        "peer_address_type",
        "peer_address",
        "own_address_type",
        "conn_interval_min",
        "conn_interval_max",
        "max_latency",
        "supervision_timeout",
        Param("", 4),  # Min_CE_Length, Max_CE_Length
    ),
)
@dataclass(frozen=True, slots=True)
class LeCreateConnection(_Command):
    """Vol 4, Part E, 7.8.12 HCI_LE_Create_Connection (25 parameter octets): LE_Scan_Interval,
    LE_Scan_Window, Initiator_Filter_Policy, Peer_Address_Type, Peer_Address,
    Own_Address_Type, Connection_Interval_Min/Max, Max_Latency, Supervision_Timeout,
    Min/Max_CE_Length.  (``fields()`` shows the peer first, in attribute order.)"""

    peer_address_type: int = _u()
    peer_address: str = _addr()
    own_address_type: int = _u()
    initiator_filter_policy: int = _u()
    scan_interval: int | None = _u(2)
    scan_window: int | None = _u(2)
    conn_interval_min: int | None = _u(2)
    conn_interval_max: int | None = _u(2)
    max_latency: int | None = _u(2)
    supervision_timeout: int | None = _u(2)


_PHY_BLOCK = struct.Struct("<HHHHHHHH")  # scan interval/window, interval min/max, latency …


def _phy_blocks(params: bytes, values: dict[str, object]) -> None:
    """One 16-octet block per Initiating_PHYs bit set; the first block's values are kept."""
    blocks = bin(params[9] & 0x07).count("1")
    _need(params, 10 + 16 * blocks, f"LE Extended Create Connection with {blocks} PHY(s)")
    first = _PHY_BLOCK.unpack_from(params, 10) if blocks else (None,) * 8
    names = ("scan_interval", "scan_window", "conn_interval_min", "conn_interval_max")
    values.update(zip((*names, "max_latency", "supervision_timeout"), first, strict=False))


@_command(
    0x2043,
    status=True,
    order=(
        "initiator_filter_policy",
        "own_address_type",
        "peer_address_type",
        "peer_address",
        "initiating_phys",
    ),
    hook=_phy_blocks,
)
@dataclass(frozen=True, slots=True)
class LeExtendedCreateConnection(LeCreateConnection):
    """Vol 4, Part E, 7.8.66 HCI_LE_Extended_Create_Connection (v1): Initiator_Filter_Policy,
    Own_Address_Type, Peer_Address_Type, Peer_Address, Initiating_PHYs, then one 16-octet
    block of scan and connection parameters per PHY bit set (bit 0 LE 1M, bit 1 LE 2M,
    bit 2 LE Coded).  The first block's values are kept (``None`` when no PHY bit is set,
    which the spec does not allow).  A subclass of ``LeCreateConnection``: the same request
    with a PHY choice."""

    initiating_phys: int = _u()


@_command(0x2019, status=True)
@dataclass(frozen=True, slots=True)
class LeEnableEncryption(_Command):
    """Vol 4, Part E, 7.8.24 HCI_LE_Enable_Encryption ("LE Start Encryption" before v5.3):
    Connection_Handle, Random_Number (8), Encrypted_Diversifier (2), Long_Term_Key (16)."""

    handle: int = _handle()
    rand: bytes = _octets(8)
    ediv: int = _u(2)
    ltk: bytes = _key()


LeStartEncryption = LeEnableEncryption


@_command(0x2017, returns=("encrypted_data",))
@dataclass(frozen=True, slots=True)
class LeEncrypt(_Command):
    """Vol 4, Part E, 7.8.22 HCI_LE_Encrypt: Key (16), Plaintext_Data (16), both most
    significant octet first — the host has the controller run AES-128 (to resolve an RPA
    with an IRK, or in its key derivations): the key is secret.  Its Command Complete
    returns Status, Encrypted_Data (16), secret too: a host that runs the security
    function e in the controller (Vol 3, Part H, 2.2.1) gets there what s1 makes, the STK
    (2.2.4), and what AES-CMAC's last block makes, f5's MacKey and LTK (2.2.7) — the
    controller cannot tell those from the confirm values and hashes that are not secret."""

    key: bytes = _key()
    plaintext_data: bytes = _octets(16)


@_command(0x2018, returns=("random_number",))
@dataclass(frozen=True, slots=True)
class LeRand(_Command):
    """Vol 4, Part E, 7.8.23 HCI_LE_Rand: no parameters; its Command Complete returns
    Status, Random_Number (8 octets, made as Vol 2, Part H, 2 requires of the random numbers
    of security).  Secret: hosts make key material from it (the legacy LTK, EDIV and Rand
    a peripheral distributes, Vol 3, Part H, 2.4.2; Zephyr's host, without its own crypto,
    makes its keys from LE Rand), and the log cannot say which number became a key."""


@_command(0x2027)
@dataclass(frozen=True, slots=True)
class LeAddDeviceToResolvingList(_Command):
    """Vol 4, Part E, 7.8.38 HCI_LE_Add_Device_To_Resolving_List (39 octets):
    Peer_Identity_Address_Type, Peer_Identity_Address, Peer_IRK (16), Local_IRK (16) — the
    host gives the controller a bonded device's IRK (and its own) to resolve private
    addresses; Android and BlueZ send one per bond at start-up.  Both IRKs are secret."""

    peer_identity_address_type: int = wire(1, names=address_type_name)
    peer_identity_address: str = _addr()
    peer_irk: bytes = _key()
    local_irk: bytes = _key()


# LE Audio broadcast (Vol 4, Part E, 7.8.103-7.8.106): an encrypted BIG's Broadcast_Code is
# the key its session key is made from (Vol 6, Part B, 4.4.6.10): secret.
@_command(
    0x2068,
    status=True,
    order=(
        "big_handle",
        "advertising_handle",
        "num_bis",
        Param("", 11),  # SDU_Interval (3), Max_SDU, Max_Transport_Latency, RTN, PHY,
        # Packing, Framing
        "encryption",
        "broadcast_code",
    ),
)
@dataclass(frozen=True, slots=True)
class LeCreateBig(_Command):
    """Vol 4, Part E, 7.8.103 HCI_LE_Create_BIG (31 octets): BIG_Handle,
    Advertising_Handle, Num_BIS, SDU_Interval (3), Max_SDU (2), Max_Transport_Latency (2),
    RTN, PHY, Packing, Framing, Encryption, Broadcast_Code (16)."""

    big_handle: int = _u()
    advertising_handle: int = _u()
    num_bis: int = _u()
    encryption: int = _u()
    broadcast_code: bytes = _key()


@_command(
    0x2069,
    status=True,
    order=(
        "big_handle",
        "advertising_handle",
        "num_bis",
        Param("", 16),  # SDU_Interval (3), ISO_Interval, NSE, Max_SDU, Max_PDU, PHY, Packing,
        # Framing, BN, IRC, PTO
        "encryption",
        "broadcast_code",
    ),
)
@dataclass(frozen=True, slots=True)
class LeCreateBigTest(LeCreateBig):
    """Vol 4, Part E, 7.8.104 HCI_LE_Create_BIG_Test (36 octets): BIG_Handle,
    Advertising_Handle, Num_BIS, SDU_Interval (3), ISO_Interval (2), NSE, Max_SDU (2),
    Max_PDU (2), PHY, Packing, Framing, BN, IRC, PTO, Encryption, Broadcast_Code (16)."""


@_command(
    0x206B,
    status=True,
    order=("big_handle", "sync_handle", "encryption", "broadcast_code", Param("", 3), "num_bis"),
)
@dataclass(frozen=True, slots=True)
class LeBigCreateSync(_Command):
    """Vol 4, Part E, 7.8.106 HCI_LE_BIG_Create_Sync (24 octets and one per BIS):
    BIG_Handle, Sync_Handle (2), Encryption, Broadcast_Code (16), MSE, BIG_Sync_Timeout (2),
    Num_BIS, BIS[i] (the indices, not read)."""

    big_handle: int = _u()
    sync_handle: int = _u(2)
    encryption: int = _u()
    broadcast_code: bytes = _key()
    num_bis: int = _u()


_RETURNS_HANDLE = ("handle",)


@_command(0x201A, returns=_RETURNS_HANDLE)
@dataclass(frozen=True, slots=True)
class LeLtkReply(_Command):
    """Vol 4, Part E, 7.8.25 HCI_LE_Long_Term_Key_Request_Reply: Connection_Handle,
    Long_Term_Key (16); its Command Complete returns Status, Connection_Handle."""

    handle: int = _handle()
    ltk: bytes = _key()


@_command(0x201B, returns=_RETURNS_HANDLE)
@dataclass(frozen=True, slots=True)
class LeLtkNegativeReply(_Command):
    """Vol 4, Part E, 7.8.26 HCI_LE_Long_Term_Key_Request_Negative_Reply: Connection_Handle;
    its Command Complete returns Status, Connection_Handle."""

    handle: int = _handle()


HciCommandMessage = (
    HciCommand
    | Disconnect
    | AuthenticationRequested
    | SetConnectionEncryption
    | LinkKeyRequestReply
    | LinkKeyRequestNegativeReply
    | PinCodeRequestReply
    | PinCodeRequestNegativeReply
    | IoCapabilityRequestReply
    | UserConfirmationRequestNegativeReply
    | UserPasskeyRequestReply
    | WriteStoredLinkKey
    | IoCapabilityRequestNegativeReply
    | SendKeypressNotification
    | ReadBdAddr
    | LeCreateConnection
    | RemoteOobDataRequestReply
    | RemoteOobExtendedDataRequestReply
    | ReadLocalOobData
    | ReadLocalOobExtendedData
    | LeEncrypt
    | LeRand
    | LeAddDeviceToResolvingList
    | LeCreateBig
    | LeBigCreateSync
    | LeEnableEncryption
    | LeLtkReply
    | LeLtkNegativeReply
)

TYPED_COMMANDS = frozenset(COMMANDS)
"""Opcodes ``parse_command`` decodes into their own class."""
HANDLE_STATUS_COMMANDS = frozenset(
    op for op in STATUS_ANSWERED if any(p.attr == "handle" for p in COMMANDS[op].params)
)
"""Typed commands that name a connection and are answered by Command Status: that event
names no handle, so the command's is the one it is about."""


def _length_error(plen: int, got: int, name: str) -> Truncated | BadLength:
    """A parameter total length ``plen`` that is not the ``got`` octets that follow it:
    ``Truncated`` when fewer do, ``BadLength`` when more."""
    error = Truncated if got < plen else BadLength
    return error(f"HCI {name}: parameter length says {plen}, got {got}", layer=Stage.HCI)


def _rest(data: bytes, start: int) -> bytes:
    """``data[start:]`` as bytes (a copy only when ``data`` is not bytes)."""
    rest = data[start:]
    return rest if type(rest) is bytes else bytes(rest)


def parse_command(data: bytes, start: int = 0) -> HciCommandMessage:
    """Decode the HCI command packet (Vol 4, Part E, 5.4.1) at ``data[start:]``: opcode (u16
    LE), parameter total length (u8), parameters."""
    n = len(data) - start
    if n < 3:
        raise Truncated(f"HCI command header needs 3 bytes, got {max(n, 0)}", layer=Stage.HCI)
    opcode = data[start] | data[start + 1] << 8
    if data[start + 2] != n - 3:
        raise _length_error(data[start + 2], n - 3, command_name(opcode))
    params = _rest(data, start + 3)
    layout = COMMANDS.get(opcode)
    if layout is None:
        return HciCommand(opcode, params)
    if n - 3 < layout.length:
        _need(params, layout.length, command_name(opcode))
    msg: HciCommandMessage = layout.build(params)
    return msg


# ================================================================ events
LE_META = 0x3E


class _Event(Declared):
    __slots__ = ()

    @property
    def name(self) -> str:
        return event_name(self.code)  # type: ignore[attr-defined]


class _LeEvent(Declared):
    __slots__ = ()
    code: ClassVar[int] = LE_META

    @property
    def name(self) -> str:
        return le_subevent_name(self.subevent)  # type: ignore[attr-defined]


def _subevent() -> Any:
    """The LE Meta subevent code a class is declared for: shown, not read (``_le_event``)."""
    return wire(0)


@undeclared
@dataclass(frozen=True, slots=True)
class HciEvent(_Event):
    """Any HCI event bpdiag has no class for (Vol 4, Part E, 5.4.4): event code and raw
    parameters."""

    code: int
    params: bytes = _raw()


@undeclared
@dataclass(frozen=True, slots=True)
class LeMetaEvent(_LeEvent):
    """An LE Meta subevent bpdiag has no class for (Vol 4, Part E, 7.7.65): subevent code
    and the parameters after it."""

    subevent: int = _subevent()
    params: bytes = _raw()


@_event(0x03)
@dataclass(frozen=True, slots=True)
class ConnectionComplete(_Event):
    """Vol 4, Part E, 7.7.3 HCI_Connection_Complete (BR/EDR, 11 octets): Status,
    Connection_Handle, BD_ADDR, Link_Type, Encryption_Enabled."""

    status: int = _status()
    handle: int = _handle()
    peer_address: str = _addr()
    link_type: int = _u()
    encryption_enabled: int = _u()


@_event(0x05)
@dataclass(frozen=True, slots=True)
class DisconnectionComplete(_Event):
    """Vol 4, Part E, 7.7.5 HCI_Disconnection_Complete (4 octets): Status,
    Connection_Handle, Reason."""

    status: int = _status()
    handle: int = _handle()
    reason: int = _status()


@_event(0x59)
@_event(0x08, order=("status", "handle", "encryption_enabled"))
@dataclass(frozen=True, slots=True)
class EncryptionChange(_Event):
    """Vol 4, Part E, 7.7.8 HCI_Encryption_Change v1 (0x08, 4 octets: Status,
    Connection_Handle, Encryption_Enabled) and 7.7.8.2 v2 (0x59, 5 octets: the same plus
    Encryption_Key_Size; ``key_size`` is ``None`` for v1)."""

    code: int
    status: int = _status()
    handle: int = _handle()
    encryption_enabled: int = _u()
    key_size: int | None = _u(optional=True)


@_event(0x30)
@dataclass(frozen=True, slots=True)
class EncryptionKeyRefreshComplete(_Event):
    """Vol 4, Part E, 7.7.39 HCI_Encryption_Key_Refresh_Complete (3 octets): Status,
    Connection_Handle."""

    status: int = _status()
    handle: int = _handle()


# BR/EDR pairing (Vol 4, Part E, 7.7): what the controller asks the host and how the pairing
# ended.  All but Authentication Complete name the peer by BD_ADDR, not by a handle.
@_event(0x06)
@dataclass(frozen=True, slots=True)
class AuthenticationComplete(_Event):
    """Vol 4, Part E, 7.7.6 HCI_Authentication_Complete (3 octets): Status,
    Connection_Handle — how the authentication the host asked for (7.1.15) ended."""

    status: int = _status()
    handle: int = _handle()


@_event(0x16)
@dataclass(frozen=True, slots=True)
class PinCodeRequest(_Event):
    """Vol 4, Part E, 7.7.22 HCI_PIN_Code_Request (6 octets): BD_ADDR — legacy pairing
    needs a PIN."""

    bd_addr: str = _addr()


@_event(0x17)
@dataclass(frozen=True, slots=True)
class LinkKeyRequest(_Event):
    """Vol 4, Part E, 7.7.23 HCI_Link_Key_Request (6 octets): BD_ADDR — the controller asks
    the host for the stored link key of the peer."""

    bd_addr: str = _addr()


@_event(0x18)
@dataclass(frozen=True, slots=True)
class LinkKeyNotification(_Event):
    """Vol 4, Part E, 7.7.24 HCI_Link_Key_Notification (23 octets): BD_ADDR, Link_Key (16),
    Key_Type — a pairing made a new link key (secret: redacted unless --show-keys)."""

    bd_addr: str = _addr()
    link_key: bytes = _key()
    key_type: int = wire(1, names=link_key_type_name)


@_event(0x15, order=("num_keys",), hook=_stored_keys)
@dataclass(frozen=True, slots=True)
class ReturnLinkKeys(_Event):
    """Vol 4, Part E, 7.7.21 HCI_Return_Link_Keys: Num_Keys, then BD_ADDR and Link_Key (16)
    for each — the controller returns the link keys it stores (Read Stored Link Key)."""

    num_keys: int = _u()
    bd_addrs: tuple[str, ...] = _stored_addresses()
    link_keys: tuple[bytes, ...] = _stored_link_keys()


@_event(0x31)
@dataclass(frozen=True, slots=True)
class IoCapabilityRequest(_Event):
    """Vol 4, Part E, 7.7.40 HCI_IO_Capability_Request (6 octets): BD_ADDR — Secure Simple
    Pairing starts and the controller asks for the local IO capability."""

    bd_addr: str = _addr()


@_event(0x32)
@dataclass(frozen=True, slots=True)
class IoCapabilityResponse(_Event):
    """Vol 4, Part E, 7.7.41 HCI_IO_Capability_Response (9 octets): BD_ADDR, IO_Capability,
    OOB_Data_Present, Authentication_Requirements — the peer's side of the exchange."""

    bd_addr: str = _addr()
    io_capability: int = _io_capability()
    oob_data_present: int = _u()
    auth_requirements: int = _auth_requirements()


@_event(0x33)
@dataclass(frozen=True, slots=True)
class UserConfirmationRequest(_Event):
    """Vol 4, Part E, 7.7.42 HCI_User_Confirmation_Request (10 octets): BD_ADDR,
    Numeric_Value (u32) — numeric comparison (or Just Works' confirmation).  The number is
    secret, as passkeys are: redacted unless --show-keys."""

    bd_addr: str = _addr()
    numeric_value: int = wire(4, secret=True)


@_event(0x34)
@dataclass(frozen=True, slots=True)
class UserPasskeyRequest(_Event):
    """Vol 4, Part E, 7.7.43 HCI_User_Passkey_Request (6 octets): BD_ADDR — the host must
    enter the passkey the peer shows."""

    bd_addr: str = _addr()


@_event(0x3B)
@dataclass(frozen=True, slots=True)
class UserPasskeyNotification(_Event):
    """Vol 4, Part E, 7.7.48 HCI_User_Passkey_Notification (10 octets): BD_ADDR, Passkey
    (u32) — Passkey Entry with the local side displaying: the host shows the passkey the
    peer's user must type.  The passkey is the pairing's secret: redacted unless
    --show-keys."""

    bd_addr: str = _addr()
    passkey: int = wire(4, secret=True)


@_event(0x3C)
@dataclass(frozen=True, slots=True)
class KeypressNotification(_Event):
    """Vol 4, Part E, 7.7.49 HCI_Keypress_Notification (7 octets): BD_ADDR,
    Notification_Type — the peer's user pressed a key while typing the passkey."""

    bd_addr: str = _addr()
    notification_type: int = _keypress()


@_event(0x36)
@dataclass(frozen=True, slots=True)
class SimplePairingComplete(_Event):
    """Vol 4, Part E, 7.7.45 HCI_Simple_Pairing_Complete (7 octets): Status, BD_ADDR — how
    Secure Simple Pairing ended."""

    status: int = _status()
    bd_addr: str = _addr()


def _opcode() -> Any:
    """The opcode of the command a Command Complete / Status answers."""
    return wire(2, key="command_opcode", names=command_name, name_key="command_name")


def _return_parameters(params: bytes, values: dict[str, object]) -> None:
    """Status, then the return parameters the command declares; when the command failed
    the controller may send the status alone (or, with no return parameters, nothing)."""
    ret = params[3:]
    values["status"] = ret[0] if ret else None
    opcode = int.from_bytes(params[1:3], "little")
    returns = RETURNS.get(opcode, ())
    need = 1 + size_of(returns)
    if not returns or len(ret) < need:
        if returns and ret and ret[0] == 0:
            _need(ret, need, f"Command Complete ({command_name(opcode)}) return")
        return
    read_params(returns, ret[1:], values)


def _returned_key(size: int = 16) -> Any:
    """A return parameter that is key material (in wire order): ``None`` unless the command
    answered returns it; redacted unless --show-keys."""
    return wire(size, "octets", optional=True, secret=True)


@_event(0x0E, order=("num_packets", "opcode"), hook=_return_parameters)
@dataclass(frozen=True, slots=True)
class CommandComplete(_Event):
    """Vol 4, Part E, 7.7.14 HCI_Command_Complete: Num_HCI_Command_Packets, Command_Opcode,
    Return_Parameters.  ``opcode`` is the command's; ``status`` the first return parameter
    (``None`` when there are none), the rest as the command declares them (``RETURNS``) or
    ``None`` when the controller sent the status alone."""

    opcode: int = _opcode()
    status: int | None = _status()
    handle: int | None = _handle(optional=True)
    bd_addr: str | None = _addr(optional=True)
    c: bytes | None = _returned_key()  # 7.3.60 Read Local OOB Data
    r: bytes | None = _returned_key()
    c_192: bytes | None = _returned_key()  # 7.3.95 Read Local OOB Extended Data
    r_192: bytes | None = _returned_key()
    c_256: bytes | None = _returned_key()
    r_256: bytes | None = _returned_key()
    encrypted_data: bytes | None = _returned_key()  # 7.8.22 LE Encrypt
    random_number: bytes | None = _returned_key(8)  # 7.8.23 LE Rand
    num_packets: int = _u(shown=False, default=1)

    @property
    def name(self) -> str:
        return f"Command Complete ({command_name(self.opcode)})"


_RETURNABLE = {p.attr: p for p in CommandComplete.SHOWN}
RETURNS.update(
    (opcode, tuple(_RETURNABLE[a] for a in names)) for opcode, names in _RETURN_NAMES.items()
)


@_event(0x0F, order=("status", "num_packets", "opcode"))
@dataclass(frozen=True, slots=True)
class CommandStatus(_Event):
    """Vol 4, Part E, 7.7.15 HCI_Command_Status (4 octets): Status, Num_HCI_Command_Packets,
    Command_Opcode.  ``opcode`` is the command's."""

    opcode: int = _opcode()
    status: int = _status()
    num_packets: int = _u(shown=False, default=1)

    @property
    def name(self) -> str:
        return f"Command Status ({command_name(self.opcode)})"


_LE_CONNECTION = ("status", "handle", "role", "peer_address_type", "peer_address")
_LE_TIMING = ("interval", "latency", "timeout", "central_clock_accuracy")
_LE_RPAS = ("local_rpa", "peer_rpa")


@_le_event(0x29, order=(*_LE_CONNECTION, *_LE_RPAS, *_LE_TIMING, "adv_handle", "sync_handle"))
@_le_event(0x0A, order=(*_LE_CONNECTION, *_LE_RPAS, *_LE_TIMING))
@_le_event(0x01, order=(*_LE_CONNECTION, *_LE_TIMING))
@dataclass(frozen=True, slots=True)
class LeConnectionComplete(_LeEvent):
    """Vol 4, Part E, 7.7.65.1 HCI_LE_Connection_Complete (0x01, 18 octets after the
    subevent code), 7.7.65.10 HCI_LE_Enhanced_Connection_Complete v1 (0x0A, 30 octets: adds
    Local_ and Peer_Resolvable_Private_Address after Peer_Address) and v2 (0x29, 33 octets:
    adds Advertising_Handle and Sync_Handle).  ``role`` is the local controller's: 0 central,
    1 peripheral.  The timing is ``None`` only in an event a log stored cut before it
    (``parse_cut_le_connection``)."""

    subevent: int = _subevent()
    status: int = _status()
    handle: int = _handle()
    role: int = wire(1, key="", names=role_name, name_key="role")
    peer_address_type: int = _u()
    peer_address: str = _addr()
    interval: int | None = _u(2)  # None: a log that kept the event cut before it
    latency: int | None = _u(2)
    timeout: int | None = _u(2)
    central_clock_accuracy: int | None = _u(shown=False, default=0)
    local_rpa: str | None = _addr(optional=True)
    peer_rpa: str | None = _addr(optional=True)
    adv_handle: int | None = _u(optional=True)
    sync_handle: int | None = _u(2, optional=True)

    @property
    def role_name(self) -> str:
        return role_name(self.role)


@_le_event(0x05)
@dataclass(frozen=True, slots=True)
class LeLtkRequest(_LeEvent):
    """Vol 4, Part E, 7.7.65.5 HCI_LE_Long_Term_Key_Request (12 octets after the subevent
    code): Connection_Handle, Random_Number (8), Encrypted_Diversifier (2)."""

    subevent: int = _subevent()
    handle: int = _handle()
    rand: bytes = _octets(8)
    ediv: int = _u(2)


@_le_event(0x09)
@dataclass(frozen=True, slots=True)
class LeGenerateDhkeyComplete(_LeEvent):
    """Vol 4, Part E, 7.7.65.9 HCI_LE_Generate_DHKey_Complete (33 octets after the subevent
    code): Status, DH_Key (32) — the controller's ECDH result for LE Secure Connections,
    the pairing's secret."""

    subevent: int = _subevent()
    status: int = _status()
    dh_key: bytes = _key(32)


_CONNECTION_PART = struct.Struct("<BHBB6s")  # Status … Peer_Address: 11 octets


def parse_cut_le_connection(data: bytes, start: int = 0) -> LeConnectionComplete | None:
    """An LE Connection Complete (7.7.65.1) that the log stored cut short after
    Peer_Address (hcidump prints no timing), at ``data[start:]``: the connection's status,
    handle, role and peer from the octets kept, the interval, latency, timeout and clock
    accuracy ``None`` — not known, never guessed.  ``None`` for any other event, or one cut
    before the peer's address ends."""
    if len(data) - start < 3 + _CONNECTION_PART.size or data[start] != LE_META:
        return None
    if data[start + 2] != 0x01:
        return None
    status, handle, role, atype, addr = _CONNECTION_PART.unpack_from(data, start + 3)
    return LeConnectionComplete(
        0x01, status, handle & 0x0FFF, role, atype, address_str(addr), None, None, None, None
    )


HciEventMessage = (
    HciEvent
    | LeMetaEvent
    | ConnectionComplete
    | DisconnectionComplete
    | EncryptionChange
    | EncryptionKeyRefreshComplete
    | AuthenticationComplete
    | PinCodeRequest
    | LinkKeyRequest
    | LinkKeyNotification
    | ReturnLinkKeys
    | IoCapabilityRequest
    | IoCapabilityResponse
    | UserConfirmationRequest
    | UserPasskeyRequest
    | UserPasskeyNotification
    | KeypressNotification
    | SimplePairingComplete
    | CommandComplete
    | CommandStatus
    | LeConnectionComplete
    | LeLtkRequest
    | LeGenerateDhkeyComplete
)

TYPED_EVENTS = frozenset({*EVENTS, LE_META})
"""Event codes ``parse_event`` decodes into their own class (0x3E: see ``TYPED_SUBEVENTS``)."""
TYPED_SUBEVENTS = frozenset(LE_SUBEVENTS)


def _by_address(registry: dict[int, Layout]) -> frozenset[int]:
    """The codes whose message names its connection by the peer's BD_ADDR alone (no
    Connection_Handle): the BR/EDR pairing requests and replies."""
    return frozenset(
        code
        for code, layout in registry.items()
        if {p.attr for p in layout.params} >= {"bd_addr"}
        and not any(p.attr == "handle" for p in layout.params)
    )


ADDRESSED_EVENTS = _by_address(EVENTS)
"""Event codes whose message has a ``bd_addr`` and no ``handle``: the hot path finds the
connection by the address a BR/EDR Connection Complete gave its handle."""
ADDRESSED_COMMANDS = _by_address(COMMANDS)


def parse_event(data: bytes, start: int = 0) -> HciEventMessage:
    """Decode the HCI event packet (Vol 4, Part E, 5.4.4) at ``data[start:]``: event code
    (u8), parameter total length (u8), parameters; an LE Meta event (7.7.65) by its subevent
    code."""
    n = len(data) - start
    if n < 2:
        raise Truncated(f"HCI event header needs 2 bytes, got {max(n, 0)}", layer=Stage.HCI)
    code = data[start]
    if data[start + 1] != n - 2:
        raise _length_error(data[start + 1], n - 2, f"{event_name(code)} event")
    msg: HciEventMessage
    if code == LE_META:
        if n == 2:
            raise Truncated("HCI LE Meta event needs 1 parameter byte, got 0", layer=Stage.HCI)
        subevent = data[start + 2]
        params = _rest(data, start + 3)
        layout = LE_SUBEVENTS.get(subevent)
        if layout is None:
            return LeMetaEvent(subevent, params)
        if n - 3 < layout.length:
            _need(params, layout.length, le_subevent_name(subevent))
        msg = layout.build(params)
        return msg
    params = _rest(data, start + 2)
    layout = EVENTS.get(code)
    if layout is None:
        return HciEvent(code, params)
    if n - 2 < layout.length:
        _need(params, layout.length, event_name(code))
    msg = layout.build(params)
    return msg


# ================================================================ ACL data
_ACL = struct.Struct("<HH")


def parse_acl(data: bytes, *, allow_extra: bool = False) -> tuple[int, int, int, bytes]:
    """Decode an HCI ACL data packet (Vol 4, Part E, 5.4.2): Handle (12 bits),
    Packet_Boundary_Flag (2 bits), Broadcast_Flag (2 bits), Data_Total_Length (u16), data.

    Returns ``(handle, pb_flag, bc_flag, payload)``.  A length field larger than the data
    raises ``Truncated``, smaller raises ``BadLength`` — unless ``allow_extra``, which cuts
    the payload to the length field (trailing bytes are transport padding or junk).
    """
    if len(data) < 4:
        raise Truncated(f"HCI ACL header needs 4 bytes, got {len(data)}", layer=Stage.HCI)
    hf, length = _ACL.unpack_from(data)
    payload = bytes(data[4:])
    if len(payload) != length:
        if len(payload) < length:
            raise Truncated(
                f"HCI ACL data length says {length}, got {len(payload)}", layer=Stage.HCI
            )
        if not allow_extra:
            raise BadLength(
                f"HCI ACL data length says {length}, got {len(payload)}", layer=Stage.HCI
            )
        payload = payload[:length]
    return hf & 0x0FFF, (hf >> 12) & 3, (hf >> 14) & 3, payload
