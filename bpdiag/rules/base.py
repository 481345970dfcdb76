"""Findings and the rule catalogue.

A rule (one family per module, like bandit's plugins) reads an ``Analysis`` and yields
``Finding``s.  Each rule code is declared once in the catalogue (``catalogue.toml``) with its
severity, title, spec reference, explanation and the fix for the stacks people use, and
claimed by its module with ``rule(code)``; the finding adds the facts of this capture
(detail, evidence frames, connection, pairing).  Rules never format output and never match
rendered text.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterable
from dataclasses import InitVar, dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, TypedDict, TypeVar

from bpdiag.analysis.model import Analysis
from bpdiag.rules.tables import TableError, load


class Severity(StrEnum):
    """How bad a finding is, worst first (``--fail-on`` and the report order use it)."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


SEVERITIES = tuple(Severity)


@dataclass(frozen=True, slots=True)
class RuleInfo:
    """A catalogue entry: what a finding code means, independent of any capture."""

    code: str
    severity: Severity
    title: str
    spec: str
    explanation: str
    fix: str


_T = TypeVar("_T")

# A detail worded when it is read: a function and the facts it words, ``(fn, *args)``.  A
# long log has tens of thousands of findings whose details are a few hundred characters
# each, made once and read once (the JSON) or never; the facts they are worded from (the
# pairing) are kept anyway.  The function must word the same text every time it is asked.
Words = tuple[Any, ...]


@dataclass(slots=True, eq=False)
class Finding:
    code: str
    severity: Severity
    title: str
    # ``detail`` reads as a str (the property set below the class); given as a str or as
    # ``Words``, worded each time it is read
    if TYPE_CHECKING:
        detail: str | Words
    else:
        detail: InitVar[str | Words]
    fix: str
    # ``frames`` reads as a list of ints (the property set below the class), kept packed
    if TYPE_CHECKING:
        frames: list[int] = field(default_factory=list)
    else:
        frames: InitVar[list[int] | None] = None
    connection: int | None = None
    pairing: int | None = None
    spec: str = ""
    _detail: str | Words = field(default="", init=False, repr=False)
    _frames: bytes | list[int] = field(default=b"", init=False, repr=False)

    # ``detail`` and ``frames`` are InitVars at run time; to mypy fields (RUF033 as in
    # ``Pairing``)
    def __post_init__(
        self,
        detail: str | Words = "",  # noqa: RUF033
        frames: list[int] | None = None,  # noqa: RUF033
    ) -> None:
        self._detail = detail
        self._frames = _packed_frames(frames) if frames else b""


# A finding's evidence frames, packed as native unsigned ints: a long log has tens of
# thousands of findings, and a list of a few frame numbers, each its own int object, is
# some 150 bytes where the numbers are 8.  Frames that do not fit are kept as the list.
_FRAME_MAX = 1 << (8 * array("I").itemsize)


def _packed_frames(frames: Iterable[int]) -> bytes | list[int]:
    kept = list(frames)
    if all(type(n) is int and 0 <= n < _FRAME_MAX for n in kept):
        return array("I", kept).tobytes()
    return kept


def _finding_frames(f: Finding) -> list[int]:
    packed = f._frames
    if type(packed) is bytes:
        return memoryview(packed).cast("I").tolist()
    return list(packed)


def _set_finding_frames(f: Finding, frames: list[int]) -> None:
    f._frames = _packed_frames(frames)


setattr(Finding, "frames", property(_finding_frames, _set_finding_frames))  # noqa: B010


def worded(words: str | Words) -> str:
    """The text of ``words``: itself, or its function's words for its facts."""
    return words if type(words) is str else words[0](*words[1:])  # type: ignore[operator]


def read_worded(cls: type[_T], name: str) -> type[_T]:
    """Make the dataclass ``cls``'s ``name`` (kept in ``_name`` as a str or ``Words``, an
    InitVar at run time) read as its text, and ``cls`` compare and print by its declared
    fields (InitVars among them; not the private ones that keep them) with that text, as the
    dataclass's own ``__eq__`` and ``__repr__`` would."""
    private = "_" + name
    by_name: dict[str, Any] = cls.__dataclass_fields__  # type: ignore[attr-defined]
    names = tuple(n for n in by_name if not n.startswith("_"))

    def get(obj: Any) -> str:
        return worded(getattr(obj, private))

    def put(obj: Any, value: str | Words) -> None:
        setattr(obj, private, value)

    def key(obj: Any) -> tuple[Any, ...]:
        return tuple(getattr(obj, n) for n in names)

    def eq(self: Any, other: object) -> object:  # a bool, or NotImplemented
        if type(other) is not cls:
            return NotImplemented
        return key(self) == key(other)

    def text(self: Any) -> str:
        shown = ", ".join(f"{n}={v!r}" for n, v in zip(names, key(self), strict=True))
        return f"{cls.__name__}({shown})"

    setattr(cls, name, property(get, put))
    setattr(cls, "__eq__", eq)  # noqa: B010
    setattr(cls, "__hash__", None)  # noqa: B010  (mutable, as a dataclass with eq)
    setattr(cls, "__repr__", text)  # noqa: B010
    return cls


read_worded(Finding, "detail")


Check = Callable[[Analysis], Iterable[Finding]]

CATALOGUE: dict[str, RuleInfo] = {}
CHECKS: list[Check] = []


def declared(code: str) -> RuleInfo:
    """The entry for ``code`` as catalogue.toml declares it."""
    entries = load("catalogue.toml")
    if code not in entries:
        raise TableError(f"catalogue.toml: no rule {code!r}")
    entry = entries.sub(code)
    severity = entry.text("severity")
    if severity not in SEVERITIES:
        raise TableError(f"{entry.where}: bad severity {severity!r}")
    return RuleInfo(
        code=code,
        severity=Severity(severity),
        title=entry.text("title"),
        spec=entry.text("spec"),
        explanation=entry.text("explanation"),
        fix=entry.text("fix"),
    )


def rule(code: str) -> RuleInfo:
    """Claim catalogue.toml's entry for ``code`` for the calling rule module and register it
    (each code is claimed once)."""
    if code in CATALOGUE:
        raise ValueError(f"duplicate rule code {code}")
    CATALOGUE[code] = info = declared(code)
    return info


def check(fn: Check) -> Check:
    """Register a check function."""
    CHECKS.append(fn)
    return fn


class Where(TypedDict):
    """Which connection and pairing a finding is about (``finding``'s keywords)."""

    connection: int | None
    pairing: int | None


def finding(
    info: RuleInfo,
    detail: str | Words,
    frames: Iterable[int],
    *,
    connection: int | None = None,
    pairing: int | None = None,
    fix: str | None = None,
) -> Finding:
    return Finding(
        code=info.code,
        severity=info.severity,
        title=info.title,
        detail=detail,
        fix=fix if fix is not None else info.fix,
        frames=sorted(set(frames)),
        connection=connection,
        pairing=pairing,
        spec=info.spec,
    )
