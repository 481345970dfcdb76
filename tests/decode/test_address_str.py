"""``address_str``: a device address most significant byte first, as tshark prints it."""

from __future__ import annotations

from bpdiag.decode import declare
from bpdiag.decode.declare import address_str


def test_most_significant_byte_first_in_any_buffer() -> None:
    wire = bytes.fromhex("020000000dc0")  # on the wire: least significant byte first
    for buf in (wire, bytearray(wire), memoryview(wire)):
        assert address_str(buf) == "C0:0D:00:00:00:02"
    assert address_str(b"") == ""
    assert address_str(b"\xab") == "AB"


def test_one_string_per_address_and_bounded() -> None:
    a = address_str(bytes.fromhex("665544332211"))
    assert address_str(bytearray.fromhex("665544332211")) is a
    for i in range(declare._MAX_ADDRESSES + 10):
        address_str(i.to_bytes(6, "little"))
    assert len(declare._ADDRESSES) <= declare._MAX_ADDRESSES
    assert address_str(bytes.fromhex("665544332211")) == "11:22:33:44:55:66"
