"""Protocol codes that carry their printed names: one declaration per code.

A code table is an ``IntEnum`` (analysis and rules compare with its members, never with
numbers) and bpdiag also prints a name for each code; declaring both in one line
(``AUTHENTICATION_FAILED = 0x05, "Authentication Failed"``) keeps the two from drifting
apart and keeps a second table from restating the first.
"""

from __future__ import annotations

from enum import IntEnum


class Labelled(IntEnum):
    """An ``IntEnum`` whose members also carry ``label``, the words bpdiag prints for them.
    Members compare, hash and serialise as their integer."""

    label: str

    def __new__(cls, value: int, label: str = "") -> Labelled:
        member = int.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member

    @classmethod
    def labels(cls) -> dict[int, str]:
        """``{code: label}`` of every member, in declaration order."""
        return {int(m): m.label for m in cls}
