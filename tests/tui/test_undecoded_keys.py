"""Which records bpdiag could not decode the frames view treats as holding keys
(``model.undecoded_holds_keys``): the HCI codes whose declaration holds key material, in
every framing the decoders read."""

from __future__ import annotations

import pytest

from bpdiag.tui.model import RawFrame, undecoded_holds_keys

ADDR = bytes(range(1, 7))
# HCI packets (no H4 type byte), each cut short: the length byte says more than is there
CUT_LINK_KEY = (0x04, bytes([0x18, 23]) + ADDR + bytes(range(0x30, 0x3C)))
CUT_RESOLVING_LIST = (0x01, bytes([0x27, 0x20, 39, 0x00]) + ADDR + bytes(8))
CUT_LOCAL_OOB = (0x04, bytes([0x0E, 36, 0x01, 0x57, 0x0C, 0x00]) + bytes(8))
CUT_LE_RAND = (0x04, bytes([0x0E, 12, 0x01, 0x18, 0x20, 0x00, 0x01]))
CUT_DHKEY = (0x04, bytes([0x3E, 34, 0x09, 0x00]) + bytes(8))
CUT_DISCONNECT = (0x01, bytes([0x06, 0x04, 3, 0x40]))
CUT_READ_BD_ADDR = (0x04, bytes([0x0E, 10, 0x01, 0x09, 0x10, 0x00, 0x01]))  # no key
CUT_CONNECTION = (0x04, bytes([0x3E, 19, 0x01, 0x00]))  # LE Connection Complete: none


def _framed(link_type: int, ptype: int, body: bytes) -> RawFrame:
    """``body`` as a record of ``link_type`` would carry it."""
    monitor = {0x01: 2, 0x04: 3}[ptype]  # Linux monitor opcodes: command 2, event 3
    if link_type == 1002:
        return RawFrame(1, 1002, bytes([ptype]) + body)
    if link_type == 201:
        return RawFrame(1, 201, (1).to_bytes(4, "big") + bytes([ptype]) + body)
    if link_type == 2001:
        return RawFrame(1, 2001, body, flags=monitor)
    return RawFrame(1, 254, (0).to_bytes(2, "big") + monitor.to_bytes(2, "big") + body)


@pytest.mark.parametrize("link_type", [1002, 201, 2001, 254])
@pytest.mark.parametrize(
    ("packet", "keyed"),
    [
        (CUT_LINK_KEY, True),
        (CUT_RESOLVING_LIST, True),
        (CUT_LOCAL_OOB, True),
        (CUT_LE_RAND, True),
        (CUT_DHKEY, True),
        (CUT_DISCONNECT, False),
        (CUT_READ_BD_ADDR, False),
        (CUT_CONNECTION, False),
    ],
)
def test_the_codes_declared_secret_in_every_framing(
    link_type: int, packet: tuple[int, bytes], keyed: bool
) -> None:
    assert undecoded_holds_keys(_framed(link_type, *packet)) is keyed


@pytest.mark.parametrize(
    "frame",
    [
        RawFrame(1, 1002, b""),  # no packet type
        RawFrame(1, 1002, b"\x04"),  # an event with no code
        RawFrame(1, 1002, b"\x01\x27"),  # half an opcode
        RawFrame(1, 1002, b"\x04\x0e\x04\x01\x57"),  # Command Complete cut in its opcode
        RawFrame(1, 254, b"\x00"),  # a monitor header cut short
        RawFrame(1, 251, bytes(8)),  # LE link layer: no HCI
    ],
)
def test_too_short_or_not_hci_is_not_keyed(frame: RawFrame) -> None:
    assert undecoded_holds_keys(frame) is False
