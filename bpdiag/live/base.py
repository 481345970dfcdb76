"""Live pairing: the parameters of an attempt, the backends, and the errors they raise.

A live attempt joins the same pipeline as a file: the backend records the attempt as a
btsnoop capture, and bpdiag analyses that capture exactly as ``bpdiag analyze`` does.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from bpdiag.errors import BpdiagError

if TYPE_CHECKING:
    from bpdiag.live.bonds import BondBackup

IO_CAPABILITIES = (
    "DisplayOnly",
    "DisplayYesNo",
    "KeyboardOnly",
    "NoInputNoOutput",
    "KeyboardDisplay",
)


class BackendKind(StrEnum):
    BUMBLE = "bumble"
    BLUEZ = "bluez"


class Reason(StrEnum):
    USAGE = "usage"  # the parameters cannot be used as given
    ENVIRONMENT = "environment"  # no transport, no permission, a library missing
    UNSUPPORTED = "unsupported"  # the backend cannot express a parameter


class LiveError(BpdiagError):
    """A live attempt that could not be made; ``reason`` says whose problem it is."""

    def __init__(self, message: str, reason: Reason) -> None:
        super().__init__(message)
        self.reason = reason


KEY_BITS = {"enckey": 0x01, "idkey": 0x02, "signkey": 0x04, "linkkey": 0x08}


def parse_key_distribution(text: str) -> int:
    """``EncKey,IdKey`` → 0x03 (Vol 3, Part H, 3.6.1, Figure 3.11); ``none`` → 0.  The
    short names ``enc``, ``id``, ``sign``, ``link`` are accepted too."""
    value = 0
    for item in filter(None, (t.strip().lower() for t in text.split(","))):
        if item == "none":
            continue
        bit = KEY_BITS.get(item) or KEY_BITS.get(item + "key")
        if bit is None:
            raise LiveError(
                f"unknown key {item!r} in {text!r}: use EncKey, IdKey, SignKey, LinkKey or none",
                Reason.USAGE,
            )
        value |= bit
    return value


@dataclass(frozen=True, slots=True)
class PairParams:
    """What the local side offers (Vol 3, Part H, 3.5.1)."""

    io: str = "KeyboardDisplay"
    mitm: bool = False
    sc: bool = True
    bond: bool = True
    key_size: int = 16
    passkey: int | None = None  # what the local user types when asked
    # Key distribution bits asked for (3.6.1); None: the stack's default
    init_keys: int | None = None
    resp_keys: int | None = None

    def check(self) -> None:
        if self.io not in IO_CAPABILITIES:
            raise LiveError(
                f"unknown IO capability {self.io!r}; use one of {', '.join(IO_CAPABILITIES)}",
                Reason.USAGE,
            )
        if not 7 <= self.key_size <= 16:
            raise LiveError(
                "--key-size must be between 7 and 16 (Vol 3, Part H, 2.3.4)", Reason.USAGE
            )
        if self.passkey is not None and not 0 <= self.passkey <= 999_999:
            raise LiveError("--passkey must be six digits (0 to 999999)", Reason.USAGE)


def not_advertising(target: str, seconds: float, where: str = "") -> LiveError:
    """The error for a target no scan saw: most often a device outside its pairing mode."""
    on = f" on {where}" if where else ""
    return LiveError(
        f"{target} was not seen advertising within {seconds:g} s{on}: is it in range and "
        "advertising? (many devices advertise only in pairing mode: hold their Bluetooth "
        "button)",
        Reason.ENVIRONMENT,
    )


class PairingBackend(ABC):
    """Connects to a target, pairs with exactly the given parameters, records a btsnoop.

    An existing bond with the target is never removed unless ``forget_bond``; then it is saved
    first (``bpdiag.live.bonds``) and ``bond_backup`` says where.  ``notes`` are lines for the
    user about what the backend did besides pairing (a fallback, a bond saved)."""

    forget_bond: bool = False
    bond_backup: BondBackup | None = None
    # Told what the attempt is doing (scanning, connecting, pairing); the CLI prints it on a
    # terminal.  None: silent.
    progress: Callable[[str], None] | None = None
    describe: str = ""  # the parameters in one line, for progress messages

    def must_forget(self, bonded: bool, nothing_stored: str, kept: str) -> bool:
        """Whether a stored bond with the target is to be saved and removed now.  No bond: False
        (noting ``nothing_stored`` when asked to forget one); a bond without ``forget_bond``:
        ``LiveError(kept, Reason.USAGE)``, for pairing again would replace it."""
        if not bonded:
            if self.forget_bond:
                self.notes.append(nothing_stored)
            return False
        if not self.forget_bond:
            raise LiveError(kept, Reason.USAGE)
        return True

    def note_bond_saved(self, target: str, where: str) -> None:
        """Tell the user where the bond went before it was removed, and how to restore it."""
        assert self.bond_backup is not None
        self.notes.append(
            f"bond with {target} saved to {self.bond_backup.path}, then removed from {where}; "
            f"to put it back: {self.bond_backup.restore}"
        )

    def say(self, what: str) -> None:
        if self.progress is not None:
            self.progress(what)

    @property
    def notes(self) -> list[str]:
        if not hasattr(self, "_notes"):
            self._notes: list[str] = []
        return self._notes

    @abstractmethod
    async def attempt(self, target: str, params: PairParams, capture: Path) -> str:
        """Run one attempt; returns the stack's own result (e.g. "success",
        "AUTHENTICATION_REQUIREMENTS").  The capture is the truth; this is a hint."""
