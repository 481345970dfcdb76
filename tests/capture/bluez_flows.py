"""What the Linux monitor channel records of a BlueZ host during two real failure flows, built
around our own Bumble captures (the central's HCI, which plays the kernel's controller
traffic) as btsnoop monitor files (datalink 2001).  ``btmon -r`` of these files is the text
in tests/data/text/*.btmon-mgmt.txt.

The records bluetoothd and the kernel add, and where, follow BlueZ:

- ``pair_without_agent`` (peer_requires_mitm.btsnoop): ``bluetoothctl pair`` with no agent
  registered.  src/device.c pair_device() pairs with NoInputNoOutput when ``agent_get()``
  finds none, so MGMT Pair Device (doc/mgmt-api.txt 0x0019) carries IO capability 0x03; the
  peer refuses with Authentication Requirements and the kernel completes Pair Device with
  Authentication Failed (0x05).
- ``confirm_without_agent`` (comparison_rejected_by_central.btsnoop): the agent has gone, so
  bluetoothd turned bonding off (src/adapter.c adapter_set_io_capability: Set Bondable 0x00
  when no default agent is left and AlwaysPairable is off); the kernel pairs on its own
  (SC Numeric Comparison, no bonding), asks User Confirmation Request (event 0x000F, the
  six digits); src/device.c new_auth() logs "No agent available for request type 2"
  (AUTH_TYPE_CONFIRM), src/adapter.c user_confirm_request_callback() logs
  "device_confirm_passkey: Operation not permitted" and answers User Confirmation Negative
  Reply (0x001D); the kernel (net/bluetooth/smp.c sc_user_reply) sends Pairing Failed
  Numeric Comparison Failed and reports Authentication Failed (event 0x0011).

Monitor record layouts: BlueZ src/shared/btsnoop.h (opcodes, New Index, User Logging),
monitor/control.c (Control Open/Command/Event: cookie first).
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from pathlib import Path

from tests.capture.writers import EPOCH_DELTA_US, H4, read_btsnoop_h4

CAPTURES = Path(__file__).resolve().parents[2] / "captures"
NONE = 0xFFFF  # HCI_DEV_NONE: a record of no controller (btmon prints no [hciN])
COOKIE = 1
LOCAL = bytes.fromhex("010000eeffc0")  # C0:FF:EE:00:00:01, little-endian
PEER = bytes.fromhex("020000000df0") + b"\x02"  # F0:0D:00:00:00:02, LE random (static)
LOG_ERR = 3

Rec = tuple[int, int, bytes]  # (adapter index, monitor opcode, body)


def _cmd(op: int, params: bytes) -> Rec:
    return (0, 16, struct.pack("<IH", COOKIE, op) + params)


def _ev(code: int, params: bytes) -> Rec:
    return (0, 17, struct.pack("<IH", COOKIE, code) + params)


def _log(message: str, index: int = 0) -> Rec:
    ident = b"bluetoothd\0"
    return (index, 13, bytes([LOG_ERR, len(ident)]) + ident + message.encode() + b"\0")


def _complete(op: int, status: int, params: bytes = b"") -> Rec:
    return _ev(0x0001, struct.pack("<HB", op, status) + params)


def _prelude() -> list[Rec]:
    return [
        # New Index: type primary, bus virtual, address, name (btsnoop.h)
        (0, 0, b"\x00\x00" + LOCAL + b"hci0".ljust(8, b"\0")),
        (0, 8, b""),  # Open Index
        # Control Open: cookie, format 2 (MGMT), version 1.22, flags 1 (privileged), name
        (
            NONE,
            14,
            struct.pack("<IHBHIB", COOKIE, 2, 1, 22, 1, 16) + b"bluetoothd".ljust(16, b"\0"),
        ),
    ]


def _is_cmd(h: H4, opcode: int) -> bool:
    return h.packet[0] == 1 and struct.unpack_from("<H", h.packet, 1)[0] == opcode


def _le_conn_complete(h: H4) -> bool:
    return h.packet[0] == 4 and h.packet[1] == 0x3E and h.packet[3] in (0x01, 0x0A)


def _disconn_complete(h: H4) -> bool:
    return h.packet[0] == 4 and h.packet[1] == 0x05


def _smp(h: H4, code: int, received: bool | None = None) -> bool:
    p = h.packet
    return (
        p[0] == 2
        and len(p) > 9
        and struct.unpack_from("<H", p, 7)[0] == 6
        and p[9] == code
        and (received is None or h.received is received)
    )


def _connected() -> Rec:
    return _ev(0x000B, PEER + struct.pack("<IH", 0, 0))  # Device Connected, no EIR


def _disconnected() -> Rec:
    return _ev(0x000C, PEER + b"\x02")  # Device Disconnected: by local host


def pair_without_agent() -> tuple[list[H4], dict[int, list[Rec]], list[Rec]]:
    h4 = read_btsnoop_h4(CAPTURES / "peer_requires_mitm.btsnoop")
    before: dict[int, list[Rec]] = {}
    after: dict[int, list[Rec]] = {}
    for i, h in enumerate(h4):
        if _is_cmd(h, 0x200D):  # LE Create Connection: the kernel connects for Pair Device
            before[i] = [_cmd(0x0019, PEER + b"\x03")]
        elif _le_conn_complete(h):
            after[i] = [_connected()]
        elif _smp(h, 0x05, received=True):
            after[i] = [_complete(0x0019, 0x05, PEER)]
        elif _disconn_complete(h):
            after[i] = [_disconnected()]
    return h4, _merge(before, after), _prelude()


def confirm_without_agent() -> tuple[list[H4], dict[int, list[Rec]], list[Rec]]:
    h4 = read_btsnoop_h4(CAPTURES / "comparison_rejected_by_central.btsnoop")
    before: dict[int, list[Rec]] = {}
    after: dict[int, list[Rec]] = {}
    randoms = 0
    for i, h in enumerate(h4):
        if _is_cmd(h, 0x200D):
            before[i] = [
                _cmd(0x0009, b"\x00"),  # Set Bondable: Disabled (no default agent left)
                _complete(0x0009, 0x00, struct.pack("<I", 0x00000A03)),
            ]
        elif _le_conn_complete(h):
            after[i] = [_connected()]
        elif _smp(h, 0x04):
            randoms += 1
            if randoms == 2:  # Nb: the kernel can compute the number and asks user space
                after[i] = [
                    _ev(0x000F, PEER + b"\x00" + struct.pack("<I", NUMBER)),
                    _log("No agent available for request type 2", NONE),
                    _log("device_confirm_passkey: Operation not permitted"),
                    _cmd(0x001D, PEER),
                ]
        elif _smp(h, 0x05, received=False):
            after[i] = [_complete(0x001D, 0x00, PEER), _ev(0x0011, PEER + b"\x05")]
        elif _disconn_complete(h):
            after[i] = [_disconnected()]
    return h4, _merge(before, after), _prelude()


# g2 of comparison_rejected_by_central.btsnoop (bpdiag analyze prints it): what the kernel
# asks the user to confirm.
NUMBER = 254621


def _merge(before: dict[int, list[Rec]], after: dict[int, list[Rec]]) -> dict[int, list[Rec]]:
    """Records to write before record index i (key i) — after i-1 is before i."""
    out: dict[int, list[Rec]] = {}
    for i, recs in before.items():
        out.setdefault(i, []).extend(recs)
    for i, recs in after.items():
        out.setdefault(i + 1, [])[0:0] = recs
    return out


_H4_TO_MONITOR = {(1, False): 2, (4, True): 3, (2, False): 4, (2, True): 5}


def monitor_btsnoop(flow: Callable[[], tuple[list[H4], dict[int, list[Rec]], list[Rec]]]) -> bytes:
    """The flow as a btsnoop monitor file: its H4 records as monitor HCI records, the host's
    records in between; added records take the time of the HCI record they follow."""
    h4, inserts, prelude = flow()
    out = bytearray(b"btsnoop\0" + struct.pack(">II", 1, 2001))

    def put(index: int, op: int, body: bytes, ts_us: int) -> None:
        flags = index << 16 | op
        out.extend(struct.pack(">IIIIq", len(body), len(body), flags, 0, ts_us + EPOCH_DELTA_US))
        out.extend(body)

    t = h4[0].ts_us if h4 else 0
    for index, op, body in prelude:
        put(index, op, body, t)
    for i, h in enumerate(h4):
        for index, op, body in inserts.get(i, []):
            put(index, op, body, t)
        t = h.ts_us
        put(0, _H4_TO_MONITOR[(h.packet[0], h.received)], h.packet[1:], t)
    for index, op, body in inserts.get(len(h4), []):
        put(index, op, body, t)
    return bytes(out)


FLOWS = {
    "peer_requires_mitm.pair-without-agent": pair_without_agent,
    "comparison_rejected_by_central.confirm-without-agent": confirm_without_agent,
}
