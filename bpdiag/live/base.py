"""Live pairing: the parameters of an attempt, the backends, and the errors they raise.

A live attempt joins the same pipeline as a file: the backend records the attempt as a
btsnoop capture, and bpdiag analyses that capture exactly as ``bpdiag analyze`` does.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
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


@dataclass(frozen=True, slots=True)
class PairParams:
    """What the local side offers (Vol 3, Part H, 3.5.1)."""

    io: str = "KeyboardDisplay"
    mitm: bool = False
    sc: bool = True
    bond: bool = True
    key_size: int = 16
    passkey: int | None = None  # what the local user types when asked

    def to_json(self) -> dict[str, object]:
        return {
            "io": self.io,
            "mitm": self.mitm,
            "sc": self.sc,
            "bond": self.bond,
            "key_size": self.key_size,
            "passkey_given": self.passkey is not None,
        }

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


class PairingBackend(ABC):
    """Connects to a target, pairs with exactly the given parameters, records a btsnoop.

    An existing bond with the target is never removed unless ``forget_bond``; then it is saved
    first (``bpdiag.live.bonds``) and ``bond_backup`` says where.  ``notes`` are lines for the
    user about what the backend did besides pairing (a fallback, a bond saved)."""

    forget_bond: bool = False
    bond_backup: BondBackup | None = None

    @property
    def notes(self) -> list[str]:
        if not hasattr(self, "_notes"):
            self._notes: list[str] = []
        return self._notes

    @abstractmethod
    async def attempt(self, target: str, params: PairParams, capture: Path) -> str:
        """Run one attempt; returns the stack's own result (e.g. "success",
        "AUTHENTICATION_REQUIREMENTS").  The capture is the truth; this is a hint."""
