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
import types
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
    ``optional`` value is left out when it is ``None``.  A ``secret`` holds key material:
    ``fields()`` shows it like any other, and its key is among the message's ``SECRETS``,
    which every output redacts unless --show-keys."""

    attr: str
    size: int
    kind: str = "int"
    key: str = ""
    names: Callable[[int], object] | None = None
    name_key: str = ""
    optional: bool = False
    render: Callable[[Any], object] | None = None
    secret: bool = False

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


def secret_keys(params: Iterable[Param]) -> frozenset[str]:
    """The ``fields()`` keys of the ``secret`` parameters among ``params``."""
    return frozenset(p.key for p in params if p.secret and p.key)


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
    secret: bool = False,
) -> Any:
    """A dataclass field declared with its wire layout (see ``Param``): ``key`` defaults to
    the attribute's name, ``name_key`` to ``<key>_name``; ``optional`` fields default to
    ``None``.  A ``secret`` (key material) is left out of the message's ``repr`` and its
    ``fields()`` key is in the class's ``SECRETS`` (``secret_keys``): the one declaration
    every output's redaction comes from."""
    if optional and default is dataclasses.MISSING:
        default = None
    param = Param("", size, kind, key, names, name_key, optional, render, secret)
    return dataclasses.field(default=default, metadata={"wire": param}, repr=not secret)


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
    ``hook`` for a variable-length rest.

    ``build`` is a function made once per layout from the declaration (``_compile``): one
    struct call reads every parameter it can (integers of 1, 2, 4 or 8 octets, handles,
    addresses, octet strings), ``Param.read`` the others, and the message is filled field
    by field as its dataclass ``__init__`` would, through each slot's descriptor (or, with a
    ``hook``, made from the values
    the hook completed).  ``interpret`` is the same reading done parameter by parameter,
    which the tests hold ``build`` to."""

    cls: Callable[..., Any]
    params: tuple[Param, ...]
    fixed: tuple[tuple[str, int], ...]
    hook: Hook | None
    length: int
    build: Callable[[bytes], Any] = dataclasses.field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "build", _compile(self))

    def interpret(self, data: bytes) -> Any:
        """What ``build`` gives, read parameter by parameter (the reference for tests)."""
        values: dict[str, object] = dict(self.fixed)
        read_params(self.params, data, values)
        if self.hook is not None:
            self.hook(data, values)
        return self.cls(**values)


_STRUCT_CODES = {1: "B", 2: "H", 4: "I", 8: "Q"}


def slot_setter(cls: Any, name: str) -> Callable[[object, object], None]:
    """What sets attribute ``name`` of a ``cls`` instance past a frozen dataclass's
    ``__setattr__``: the slot's own descriptor when it is a slot (a call of a few tens of
    nanoseconds, where ``object.__setattr__`` looks the attribute up each time), else
    ``object.__setattr__`` bound to the name."""
    for klass in cls.__mro__:
        found = klass.__dict__.get(name)
        if found is not None:
            if isinstance(found, types.MemberDescriptorType):
                setter: Callable[[object, object], None] = found.__set__
                return setter
            break
    return lambda obj, value: object.__setattr__(obj, name, value)


def _compile(layout: Layout) -> Callable[[bytes], Any]:
    """The ``build`` of a layout, as Python source made from its declaration and compiled
    once: no per-message loop over parameters, dict of values or keyword call."""
    env: dict[str, Any] = {"_cls": layout.cls, "_addr": address_str, "_hook": layout.hook}
    fmt = "<"
    reads: list[tuple[str, str]] = []  # (attribute, expression), in wire order
    struct_vars: list[str] = []
    offset = 0
    for i, p in enumerate(layout.params):
        var = f"v{i}"
        if not p.attr:
            fmt += f"{p.size}x"
        elif p.kind in ("addr", "octets"):
            fmt += f"{p.size}s"
            struct_vars.append(var)
            reads.append((p.attr, f"_addr({var})" if p.kind == "addr" else var))
        elif p.kind in ("int", "handle") and p.size in _STRUCT_CODES:
            fmt += _STRUCT_CODES[p.size]
            struct_vars.append(var)
            reads.append((p.attr, f"{var} & 0x0FFF" if p.kind == "handle" else var))
        else:  # read as the declaration says, from its offset
            fmt += f"{p.size}x"
            env[f"_p{i}"] = p
            reads.append((p.attr, f"_p{i}.read(data, {offset})"))
        offset += p.size
    lines = ["def build(data):"]
    if struct_vars:
        env["_unpack"] = struct.Struct(fmt).unpack_from
        lines.append(f"    {', '.join(struct_vars)}, = _unpack(data)")
    values = [(attr, repr(code)) for attr, code in layout.fixed] + reads
    fields = dataclasses.fields(layout.cls) if dataclasses.is_dataclass(layout.cls) else ()
    direct = (
        layout.hook is None
        and bool(fields)
        and not hasattr(layout.cls, "__post_init__")
        and all(f.init for f in fields)
        and {a for a, _ in values} <= {f.name for f in fields}
    )
    if direct:
        # What the dataclass __init__ does, without the call: each field set in attribute
        # order, to the value read or its default.
        given = dict(values)
        env["_new"] = object.__new__
        lines.append("    o = _new(_cls)")
        for f in fields:
            if f.name in given:
                expr = given[f.name]
            elif f.default is not dataclasses.MISSING:
                env[f"_d_{f.name}"] = f.default
                expr = f"_d_{f.name}"
            elif f.default_factory is not dataclasses.MISSING:
                env[f"_f_{f.name}"] = f.default_factory
                expr = f"_f_{f.name}()"
            else:
                direct = False
                break
            env[f"_s_{f.name}"] = slot_setter(layout.cls, f.name)
            lines.append(f"    _s_{f.name}(o, {expr})")
        lines.append("    return o")
    if not direct:
        del lines[2 if struct_vars else 1 :]
        items = ", ".join(f"{a!r}: {e}" for a, e in values)
        lines.append(f"    values = {{{items}}}")
        if layout.hook is not None:
            lines.append("    _hook(data, values)")
        lines.append("    return _cls(**values)")
    exec("\n".join(lines), env)  # the source is made above from the declaration alone
    build: Callable[[bytes], Any] = env["build"]
    return build


class Declared:
    """Base of the declared messages: ``fields()`` shows every declared parameter, in the
    order of the dataclass's attributes (which need not be the wire order); ``SECRETS``
    names the ``fields()`` keys that hold key material (derived from ``wire(secret=True)``)."""

    __slots__ = ()
    SHOWN: ClassVar[tuple[Param, ...]] = ()
    SECRETS: ClassVar[frozenset[str]] = frozenset()

    def fields(self) -> dict[str, object]:
        return show_params(self.SHOWN, self)


D = TypeVar("D", bound=type[Declared])


def undeclared(cls: D) -> D:
    """Class decorator for the message of a code no class is declared for: its ``wire``
    fields (the raw parameters, and a code worth showing) are what ``fields()`` shows; it
    is in no registry (the parser builds it with the code and the bytes)."""
    cls.SHOWN = tuple(declared_params(cls).values())
    cls.SECRETS = secret_keys(cls.SHOWN)
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
        cls.SECRETS = secret_keys(cls.SHOWN)
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
