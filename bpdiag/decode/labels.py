"""Protocol codes that carry their printed names: one declaration per code.

A code table is an ``IntEnum`` (analysis and rules compare with its members, never with
numbers) and bpdiag also prints a name for each code; declaring both in one place keeps the
two from drifting apart and keeps a second table from restating the first.

Most spec names are the member's name in words (``NEW_LINK_KEY`` is "New Link Key",
``SET_LE`` "Set LE"), so a member declares its code only (``NEW_LINK_KEY = 0x0009``) and its
label is derived: each word capitalised, the acronyms in ``ACRONYMS`` kept in capitals
(``words``).  A table the spec spells in another style names that spelling once
(``class IoCapability(Labelled, spelling=joined)``: "DisplayYesNo"), and a member whose spec
name reads otherwise declares it beside the code
(``PIN_OR_KEY_MISSING = 0x06, "PIN or Key Missing"``).  ``name_of`` names a code, one no member has
as ``reserved (0x1f)`` or in the words its caller gives.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import IntEnum
from typing import Any

ACRONYMS: frozenset[str] = frozenset(
    {
        "ACL",
        "HCI",
        "ID",
        "IO",
        "ISO",
        "LE",
        "MTU",
        "PDU",
        "PHY",
        "PIN",
        "RSSI",
        "RX",
        "SCO",
        "TX",
        "UUID",
    }
)
"""Words a derived label keeps in capitals (``SET_PHY_CONFIGURATION`` → "Set PHY Configuration")."""


def words(name: str) -> str:
    """A member name in words: ``GET_PHY_CONFIGURATION`` → ``Get PHY Configuration``."""
    return " ".join(w if w in ACRONYMS else w.capitalize() for w in name.split("_"))


def joined(name: str) -> str:
    """A member name in joined words: ``DISPLAY_YES_NO`` → ``DisplayYesNo``."""
    return words(name).replace(" ", "")


def sentence(name: str) -> str:
    """A member name as a sentence: ``PASSKEY_ENTRY_STARTED`` → ``Passkey entry started``."""
    return name.replace("_", " ").capitalize()


class Labelled(IntEnum):
    """An ``IntEnum`` whose members also carry ``label``, the words bpdiag prints for them:
    given beside the code, or else derived from the member's name by the class's
    ``spelling`` (``words`` unless it says otherwise).  Members compare, hash and serialise
    as their integer."""

    label: str

    def __new__(cls, value: int, label: str = "") -> Labelled:
        member = int.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member

    def __init_subclass__(cls, spelling: Callable[[str], str] = words, **kwargs: Any) -> None:
        # The members exist by now (made as the class body's names were set); those that
        # declared no label get theirs from their name.
        super().__init_subclass__(**kwargs)
        for member in cls._member_map_.values():
            if isinstance(member, Labelled) and not member.label:
                member.label = spelling(member._name_)

    @classmethod
    def labels(cls) -> dict[int, str]:
        """``{code: label}`` of every member, in declaration order."""
        return {int(m): m.label for m in cls}

    @classmethod
    def label_of(cls, code: int) -> str | None:
        """The label of the member with this code; ``None`` for a code the enum lacks."""
        member = cls._value2member_map_.get(code)
        return member.label if isinstance(member, Labelled) else None

    @classmethod
    def name_of(cls, code: int, unknown: str = "reserved (0x{:02x})") -> str:
        """The label of the member with this code; a code no member has is named by the
        ``unknown`` format filled with it (``reserved (0x1f)``)."""
        member = cls._value2member_map_.get(code)
        return member.label if isinstance(member, Labelled) else unknown.format(code)
