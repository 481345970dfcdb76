"""How HCI and LL messages are declared: parameters with their wire layout, read and shown.

``hci.py`` and ``ll.py`` declare each message once, as Bumble declares HCI commands: a
dataclass registered by its code (``declare``), each parameter an attribute declared with its
wire layout (``wire``: size, how it is read, how ``fields()`` shows it), in wire order unless
the registration gives another.  Reading (``Layout.build``, after the caller has checked the
length against ``Layout.length``) and ``fields()`` (``Declared``) are derived from that one
declaration, so a message cannot be parsed one way and dumped another, and the registries
are what the hot paths filter on.  ``smp.py`` keeps its own layout (it also encodes).
"""

from __future__ import annotations

import dataclasses
import struct
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar


def reserved_name(value: int, width: int = 2) -> str:
    """How bpdiag names a value the spec leaves unassigned: ``reserved (0x1f)``."""
    return f"reserved (0x{value:0{width}x})"


def address_str(wire: bytes) -> str:
    """A BD_ADDR / device address as tshark prints it: most significant byte first
    (``AA:BB:CC:DD:EE:FF``; the wire order is reversed).  One string per address: a long
    log names the same few addresses in every connection's commands and events."""
    key = wire if type(wire) is bytes else bytes(wire)
    text = _ADDRESSES.get(key)
    if text is None:
        if len(_ADDRESSES) >= _MAX_ADDRESSES:
            _ADDRESSES.clear()  # bounded: a log of ever-new (private) addresses
        text = _ADDRESSES[key] = key[::-1].hex(":").upper()
    return text


_ADDRESSES: dict[bytes, str] = {}
_MAX_ADDRESSES = 4096


@dataclass(frozen=True, slots=True)
class Param:
    """One parameter on the wire: the attribute it fills (``""``: read past), its size in
    octets and how it is read — ``int`` unsigned little-endian, ``sint`` signed
    (two's complement) little-endian, ``handle`` a
    Connection_Handle (the low 12 bits of a u16; the top bits are RFU), ``addr`` a device
    address (shown most significant byte first), ``octets`` bytes in wire order (shown as
    hex), ``u16s`` a run of little-endian u16 (a tuple, shown as a list).

    In ``fields()`` the value goes under ``key`` (``""``: not shown; ``render`` turns it
    into what is shown) and, when ``names`` is given, its name under ``name_key``; an
    ``optional`` value is left out when it is ``None``."""

    attr: str
    size: int
    kind: str = "int"
    key: str = ""
    names: Callable[[int], object] | None = None
    name_key: str = ""
    optional: bool = False
    render: Callable[[Any], object] | None = None

    def read(self, data: bytes, offset: int) -> object:
        chunk = data[offset : offset + self.size]
        if self.kind == "addr":
            return address_str(chunk)
        if self.kind == "octets":
            return bytes(chunk)
        if self.kind == "u16s":
            return tuple(int.from_bytes(chunk[i : i + 2], "little") for i in range(0, self.size, 2))
        if self.kind == "sint":
            return int.from_bytes(chunk, "little", signed=True)
        value = int.from_bytes(chunk, "little")
        return value & 0x0FFF if self.kind == "handle" else value

    def show(self, out: dict[str, object], value: object) -> None:
        if value is None and self.optional:
            return
        if self.key:
            if self.render is not None:
                out[self.key] = self.render(value)
            elif isinstance(value, bytes):
                out[self.key] = value.hex()
            elif isinstance(value, tuple):
                out[self.key] = list(value)
            else:
                out[self.key] = value
        if self.names is not None and isinstance(value, int):
            out[self.name_key] = self.names(value)


Names = tuple[str | tuple[str, str], ...]
"""Attributes shown as they are: a name, or (the key it is shown under, the attribute)."""


def attrs(o: object, names: Names) -> dict[str, object]:
    """``{key: o.attribute}`` for ``names``, in their order (a ``fields()`` or a JSON object
    that is some of an object's attributes)."""
    out: dict[str, object] = {}
    for name in names:
        key, attr = (name, name) if isinstance(name, str) else name
        out[key] = getattr(o, attr)
    return out


def size_of(params: Iterable[Param]) -> int:
    """Octets the parameters take on the wire."""
    return sum(p.size for p in params)


def read_params(params: Iterable[Param], data: bytes, values: dict[str, object]) -> None:
    """Read ``params`` from the start of ``data`` (whose length the caller has checked)
    into ``values``, by attribute."""
    offset = 0
    for p in params:
        if p.attr:
            values[p.attr] = p.read(data, offset)
        offset += p.size


def show_params(params: Iterable[Param], message: object) -> dict[str, object]:
    """The ``fields()`` of ``message``: each parameter shown by its declaration."""
    out: dict[str, object] = {}
    for p in params:
        p.show(out, getattr(message, p.attr))
    return out


AUTO = "\x00"  # Param.key / name_key placeholder: derived from the attribute's name


def wire(
    size: int = 1,
    kind: str = "int",
    *,
    key: str = AUTO,
    names: Callable[[int], object] | None = None,
    name_key: str = AUTO,
    optional: bool = False,
    render: Callable[[Any], object] | None = None,
    default: Any = dataclasses.MISSING,
) -> Any:
    """A dataclass field declared with its wire layout (see ``Param``): ``key`` defaults to
    the attribute's name, ``name_key`` to ``<key>_name``; ``optional`` fields default to
    ``None``."""
    if optional and default is dataclasses.MISSING:
        default = None
    param = Param("", size, kind, key, names, name_key, optional, render)
    return dataclasses.field(default=default, metadata={"wire": param})


def declared_params(cls: type) -> dict[str, Param]:
    """The ``wire`` fields of a dataclass, by attribute, in attribute order."""
    out: dict[str, Param] = {}
    for f in dataclasses.fields(cls):
        p = f.metadata.get("wire")
        if isinstance(p, Param):
            key = f.name if p.key == AUTO else p.key
            name_key = f"{key}_name" if p.name_key == AUTO else p.name_key
            out[f.name] = dataclasses.replace(p, attr=f.name, key=key, name_key=name_key)
    return out


Hook = Callable[[bytes, dict[str, object]], None]
"""Reads what a message's fixed parameters do not describe (a variable-length rest)."""


@dataclass(frozen=True, slots=True)
class Layout:
    """How one code is read: its class, its fixed parameters (``length`` octets, which the
    caller checks are there before ``build``), the attributes the code itself sets, and a
    ``hook`` for a variable-length rest."""

    cls: Callable[..., Any]
    params: tuple[Param, ...]
    fixed: tuple[tuple[str, int], ...]
    hook: Hook | None
    length: int
    # The one-struct read: the struct, the attributes in wire order, and the positions of
    # the values it must still convert (handles masked, addresses as text).
    _plan: tuple[struct.Struct, tuple[str, ...], tuple[tuple[int, str], ...]] | None = (
        dataclasses.field(init=False, default=None)
    )

    def __post_init__(self) -> None:
        # The common case read in one struct call: integers of 1, 2, 4 or 8 octets,
        # handles, addresses and octet strings ("u16s" runs take the general path).
        codes = {1: "B", 2: "H", 4: "I", 8: "Q"}
        fmt = "<"
        for p in self.params:
            if p.kind in ("addr", "octets") or not p.attr:
                fmt += f"{p.size}s" if p.attr else f"{p.size}x"
            elif p.kind in ("int", "handle") and p.size in codes:
                fmt += codes[p.size]
            else:
                return
        read = [p for p in self.params if p.attr]
        attrs = tuple(p.attr for p in read)
        convert = tuple((i, p.kind) for i, p in enumerate(read) if p.kind in ("handle", "addr"))
        object.__setattr__(self, "_plan", (struct.Struct(fmt), attrs, convert))

    def build(self, data: bytes) -> Any:
        values: dict[str, object] = dict(self.fixed)
        if self._plan is None:
            read_params(self.params, data, values)
        else:
            unpacker, attrs, convert = self._plan
            read: Any = unpacker.unpack_from(data)
            if convert:
                read = list(read)
                for i, kind in convert:
                    read[i] = read[i] & 0x0FFF if kind == "handle" else address_str(read[i])
            values.update(zip(attrs, read, strict=True))
        if self.hook is not None:
            self.hook(data, values)
        return self.cls(**values)


class Declared:
    """Base of the declared messages: ``fields()`` shows every declared parameter, in the
    order of the dataclass's attributes (which need not be the wire order)."""

    __slots__ = ()
    SHOWN: ClassVar[tuple[Param, ...]] = ()

    def fields(self) -> dict[str, object]:
        return show_params(self.SHOWN, self)


D = TypeVar("D", bound=type[Declared])


def undeclared(cls: D) -> D:
    """Class decorator for the message of a code no class is declared for: its ``wire``
    fields (the raw parameters, and a code worth showing) are what ``fields()`` shows; it
    is in no registry (the parser builds it with the code and the bytes)."""
    cls.SHOWN = tuple(declared_params(cls).values())
    return cls


def declare(
    registry: dict[int, Layout],
    code_attr: str,
    code: int,
    order: tuple[str | Param, ...] | None = None,
    hook: Hook | None = None,
) -> Callable[[D], D]:
    """Class decorator: register a dataclass in ``registry`` as the message of ``code``.

    Its ``wire`` fields are its parameters, read in attribute order unless ``order`` gives
    the wire order (attribute names, and ``Param("", n)`` for octets read past); ``fields()``
    shows them in attribute order.  The code goes into the attribute ``code_attr``: a field
    the decoder fills when the class has one (a class declared for several codes), else a
    class attribute.  A ``hook`` reads a variable-length rest."""

    def register(cls: D) -> D:
        params = declared_params(cls)
        cls.SHOWN = tuple(params.values())
        attrs = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
        fixed = ((code_attr, code),) if code_attr in attrs else ()
        if not fixed:
            setattr(cls, code_attr, code)
        if order is None:
            layout = tuple(p for a, p in params.items() if a != code_attr)
        else:
            layout = tuple(params[a] if isinstance(a, str) else a for a in order)
        registry[code] = Layout(cls, layout, fixed, hook, size_of(layout))
        return cls

    return register
