"""``Layout.build`` (compiled once per layout from the declaration) against ``Layout.interpret``
(the same declaration read parameter by parameter): the same message, or the same error, for
every code of every registry, on any bytes of at least the declared length."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bpdiag.decode import hci, ll
from bpdiag.decode.declare import Layout, Param, declare, wire
from bpdiag.errors import DecodeError

REGISTRIES = {
    "hci-command": hci.COMMANDS,
    "hci-event": hci.EVENTS,
    "hci-le-subevent": hci.LE_SUBEVENTS,
    "ll-control": ll.CONTROLS,
}
LAYOUTS = [
    pytest.param(layout, id=f"{name}-0x{code:04x}")
    for name, registry in REGISTRIES.items()
    for code, layout in registry.items()
]


def _outcome(read: object, data: bytes) -> object:
    try:
        msg = read(data)  # type: ignore[operator]
    except DecodeError as exc:
        return (type(exc), exc.message)
    return (type(msg), msg, msg.fields())


@pytest.mark.parametrize("layout", LAYOUTS)
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_build_is_interpret(layout: Layout, data: st.DataObject) -> None:
    raw = data.draw(st.binary(min_size=layout.length, max_size=layout.length + 40))
    assert _outcome(layout.build, raw) == _outcome(layout.interpret, raw)


@dataclasses.dataclass(frozen=True, slots=True)
class _Odd:
    """Every kind ``Param`` reads, sizes the one struct call cannot, defaults of both sorts
    and a parameter read past."""

    code: int
    small: int = wire(3)
    signed: int = wire(2, "sint")
    runs: tuple[int, ...] = wire(4, "u16s")
    handle: int = wire(2, "handle")
    addr: str = wire(6, "addr")
    raw: bytes = wire(3, "octets")
    wide: int = wire(8)
    absent: int | None = wire(1, optional=True)
    made: list[int] = dataclasses.field(default_factory=list)


def test_build_reads_every_kind_like_interpret() -> None:
    registry: dict[int, Layout] = {}
    order = ("small", "signed", Param("", 2), "runs", "handle", "addr", "raw", "wide")
    declare(registry, "code", 7, order=order)(_Odd)
    layout = registry[7]
    raw = bytes(range(0xF0, 0x100)) + bytes(range(14))
    built = layout.build(raw)
    assert built == layout.interpret(raw)
    assert built == _Odd(
        code=7,
        small=0xF2F1F0,  # octets 0-2
        signed=0xF4F3 - 0x10000,  # 3-4; 5-6 read past
        runs=(0xF8F7, 0xFAF9),  # 7-10
        handle=0xCFB,  # 11-12: 0xFCFB, the top bits dropped
        addr="02:01:00:FF:FE:FD",  # 13-18, most significant first
        raw=bytes([3, 4, 5]),  # 19-21
        wide=0x0D0C0B0A09080706,  # 22-29
        absent=None,
        made=[],
    )
    assert built.made is not layout.build(raw).made  # a factory default is made per message
