"""Tables the rules read from TOML files packaged beside them (``bpdiag/rules/*.toml``).

Prose and vendor tables are data: they are declared once, in one shape, in a data file, and
the modules that use them keep only the logic.  ``load`` reads a file once; a ``Table`` gives
typed access to its values, and anything missing or of the wrong type raises ``TableError``
naming the file and the place in it, so a malformed table fails at import, never later.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources


class TableError(ValueError):
    """A value of a packaged table is missing or not of the type its reader expects."""


@dataclass(frozen=True, slots=True)
class Table:
    """One TOML table (or array-of-tables row): ``where`` names it in error messages."""

    where: str
    data: Mapping[str, object]

    def __contains__(self, key: str) -> bool:
        return key in self.data

    def __iter__(self) -> Iterator[str]:
        return iter(self.data)

    def _get(self, key: str) -> object:
        try:
            return self.data[key]
        except KeyError:
            raise TableError(f"{self.where}: no {key!r}") from None

    def _wrong(self, key: str, wanted: str) -> TableError:
        return TableError(f"{self.where}: {key!r} is not {wanted}")

    def sub(self, key: str) -> Table:
        """The table under ``key``."""
        v = self._get(key)
        if not isinstance(v, dict):
            raise self._wrong(key, "a table")
        return Table(f"{self.where}.{key}", v)

    def rows(self, key: str = "rows") -> tuple[Table, ...]:
        """The array of tables under ``key``, in file order."""
        v = self._get(key)
        if not isinstance(v, list) or not all(isinstance(r, dict) for r in v):
            raise self._wrong(key, "an array of tables")
        return tuple(Table(f"{self.where}.{key}[{i}]", r) for i, r in enumerate(v))

    def integer(self, key: str) -> int:
        v = self._get(key)
        if not isinstance(v, int) or isinstance(v, bool):
            raise self._wrong(key, "an integer")
        return v

    def text(self, key: str, default: str | None = None) -> str:
        if default is not None and key not in self.data:
            return default
        v = self._get(key)
        if not isinstance(v, str):
            raise self._wrong(key, "a string")
        return v

    def flag(self, key: str) -> bool:
        """A boolean that is false where the table leaves it out."""
        v = self.data.get(key, False)
        if not isinstance(v, bool):
            raise self._wrong(key, "true or false")
        return v

    def integers(self, key: str) -> tuple[int, ...]:
        v = self._get(key)
        if not isinstance(v, list) or not all(
            isinstance(x, int) and not isinstance(x, bool) for x in v
        ):
            raise self._wrong(key, "an array of integers")
        return tuple(v)

    def texts(self, key: str) -> tuple[str, ...]:
        v = self._get(key)
        if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
            raise self._wrong(key, "an array of strings")
        return tuple(v)

    def pairs(self, key: str) -> tuple[tuple[str, str], ...]:
        """An array of two-string arrays (``[["a", "b"], …]``)."""
        v = self._get(key)
        if not isinstance(v, list) or not all(
            isinstance(p, list) and len(p) == 2 and all(isinstance(x, str) for x in p) for p in v
        ):
            raise self._wrong(key, "an array of [string, string] pairs")
        return tuple((p[0], p[1]) for p in v)


@cache
def load(name: str) -> Table:
    """The packaged ``bpdiag/rules/<name>`` TOML file as a ``Table`` (read once)."""
    text = resources.files("bpdiag.rules").joinpath(name).read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise TableError(f"{name}: {exc}") from None
    return Table(name, data)
