"""Which pairing method two Pairing Request/Response PDUs select.

Bluetooth Core Spec v5.4, Vol 3, Part H, 2.3.5.1 "Selecting key generation method":

- LE legacy pairing (Table 2.6): OOB when *both* sides set the OOB data flag; otherwise Just
  Works when *neither* side sets MITM; otherwise the IO-capability table.
- LE Secure Connections (Table 2.7): OOB when *at least one* side sets the OOB data flag;
  otherwise Just Works when neither sets MITM; otherwise the IO-capability table.
- Table 2.8 maps (initiator IO capability, responder IO capability) to the method, with one
  entry for legacy and one for Secure Connections where they differ, and for Passkey Entry
  which side displays and which side types.

The table is data; ``choose_method`` is the one pure function that reads it with both
sides' features (``select_method`` takes them field by field).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from bpdiag.analysis.model import Method, Side
from bpdiag.decode.smp import IoCapability

if TYPE_CHECKING:
    from bpdiag.analysis.model import Features


# The IO capabilities (Vol 3, Part H, 3.5.1, Table 3.4) as decode/smp.py declares them, by
# short names that keep Table 2.8 below readable (ints: a Features field holds the wire value,
# reserved ones too).
DISPLAY_ONLY: int = IoCapability.DISPLAY_ONLY
DISPLAY_YES_NO: int = IoCapability.DISPLAY_YES_NO
KEYBOARD_ONLY: int = IoCapability.KEYBOARD_ONLY
NO_INPUT_NO_OUTPUT: int = IoCapability.NO_INPUT_NO_OUTPUT
KEYBOARD_DISPLAY: int = IoCapability.KEYBOARD_DISPLAY

# One cell of Table 2.8: (method, the side that displays the passkey), None when both type
# the same passkey or the method is not Passkey Entry.
Cell = tuple[Method, Side | None]
_JW: Cell = (Method.JUST_WORKS, None)
_NC: Cell = (Method.NUMERIC_COMPARISON, None)
_PE_INIT_DISPLAYS: Cell = (Method.PASSKEY_ENTRY, Side.INITIATOR)
_PE_RESP_DISPLAYS: Cell = (Method.PASSKEY_ENTRY, Side.RESPONDER)
_PE_BOTH_INPUT: Cell = (Method.PASSKEY_ENTRY, None)

# IO_CAPABILITY_TABLE[(initiator, responder)] = (legacy cell, secure connections cell)
IO_CAPABILITY_TABLE: dict[tuple[int, int], tuple[Cell, Cell]] = {
    # initiator DisplayOnly
    (DISPLAY_ONLY, DISPLAY_ONLY): (_JW, _JW),
    (DISPLAY_ONLY, DISPLAY_YES_NO): (_JW, _JW),
    (DISPLAY_ONLY, KEYBOARD_ONLY): (_PE_INIT_DISPLAYS, _PE_INIT_DISPLAYS),
    (DISPLAY_ONLY, NO_INPUT_NO_OUTPUT): (_JW, _JW),
    (DISPLAY_ONLY, KEYBOARD_DISPLAY): (_PE_INIT_DISPLAYS, _PE_INIT_DISPLAYS),
    # initiator DisplayYesNo
    (DISPLAY_YES_NO, DISPLAY_ONLY): (_JW, _JW),
    (DISPLAY_YES_NO, DISPLAY_YES_NO): (_JW, _NC),
    (DISPLAY_YES_NO, KEYBOARD_ONLY): (_PE_INIT_DISPLAYS, _PE_INIT_DISPLAYS),
    (DISPLAY_YES_NO, NO_INPUT_NO_OUTPUT): (_JW, _JW),
    (DISPLAY_YES_NO, KEYBOARD_DISPLAY): (_PE_INIT_DISPLAYS, _NC),
    # initiator KeyboardOnly
    (KEYBOARD_ONLY, DISPLAY_ONLY): (_PE_RESP_DISPLAYS, _PE_RESP_DISPLAYS),
    (KEYBOARD_ONLY, DISPLAY_YES_NO): (_PE_RESP_DISPLAYS, _PE_RESP_DISPLAYS),
    (KEYBOARD_ONLY, KEYBOARD_ONLY): (_PE_BOTH_INPUT, _PE_BOTH_INPUT),
    (KEYBOARD_ONLY, NO_INPUT_NO_OUTPUT): (_JW, _JW),
    (KEYBOARD_ONLY, KEYBOARD_DISPLAY): (_PE_RESP_DISPLAYS, _PE_RESP_DISPLAYS),
    # initiator NoInputNoOutput
    (NO_INPUT_NO_OUTPUT, DISPLAY_ONLY): (_JW, _JW),
    (NO_INPUT_NO_OUTPUT, DISPLAY_YES_NO): (_JW, _JW),
    (NO_INPUT_NO_OUTPUT, KEYBOARD_ONLY): (_JW, _JW),
    (NO_INPUT_NO_OUTPUT, NO_INPUT_NO_OUTPUT): (_JW, _JW),
    (NO_INPUT_NO_OUTPUT, KEYBOARD_DISPLAY): (_JW, _JW),
    # initiator KeyboardDisplay
    (KEYBOARD_DISPLAY, DISPLAY_ONLY): (_PE_RESP_DISPLAYS, _PE_RESP_DISPLAYS),
    (KEYBOARD_DISPLAY, DISPLAY_YES_NO): (_PE_RESP_DISPLAYS, _NC),
    (KEYBOARD_DISPLAY, KEYBOARD_ONLY): (_PE_INIT_DISPLAYS, _PE_INIT_DISPLAYS),
    (KEYBOARD_DISPLAY, NO_INPUT_NO_OUTPUT): (_JW, _JW),
    (KEYBOARD_DISPLAY, KEYBOARD_DISPLAY): (_PE_RESP_DISPLAYS, _NC),
}


@dataclass(frozen=True, slots=True)
class MethodChoice:
    """The outcome of method selection and why it came out that way."""

    method: Method
    because: str  # "oob", "no_mitm" or "io_capabilities"
    passkey_displayed_by: Side | None = None  # see Cell

    @property
    def authenticated(self) -> bool:
        """Whether the method gives MITM protection (everything but Just Works)."""
        return self.method is not Method.JUST_WORKS


class Offer(Protocol):
    """What method selection reads of one side's Pairing Request or Response: a ``Features``
    from a capture, or a side some advice considers."""

    @property
    def io_capability(self) -> int: ...

    @property
    def oob(self) -> bool: ...

    @property
    def mitm(self) -> bool: ...


@dataclass(frozen=True, slots=True)
class _Offer:
    io_capability: int
    oob: bool
    mitm: bool


def choose_method(
    initiator: Offer, responder: Offer, secure_connections: bool
) -> MethodChoice | None:
    """Apply Vol 3, Part H, 2.3.5.1 to the features of both sides.

    Returns ``None`` when the IO-capability table has no cell for the pair (a reserved IO
    capability value), because then the spec selects no method.
    """
    if secure_connections:
        if initiator.oob or responder.oob:
            return MethodChoice(Method.OOB, "oob")
    elif initiator.oob and responder.oob:
        return MethodChoice(Method.OOB, "oob")
    if not (initiator.mitm or responder.mitm):
        return MethodChoice(Method.JUST_WORKS, "no_mitm")
    cells = IO_CAPABILITY_TABLE.get((initiator.io_capability, responder.io_capability))
    if cells is None:
        return None
    method, displays = cells[1 if secure_connections else 0]
    return MethodChoice(method, "io_capabilities", displays)


def select_method(
    *,
    initiator_io: int,
    responder_io: int,
    initiator_oob: bool,
    responder_oob: bool,
    initiator_mitm: bool,
    responder_mitm: bool,
    secure_connections: bool,
) -> MethodChoice | None:
    """``choose_method`` for sides given field by field."""
    return choose_method(
        _Offer(initiator_io, initiator_oob, initiator_mitm),
        _Offer(responder_io, responder_oob, responder_mitm),
        secure_connections,
    )


def table_method(initiator_io: int, responder_io: int, secure_connections: bool) -> Method | None:
    """The method Table 2.8 alone gives (what MITM would get), ``None`` for reserved values."""
    cells = IO_CAPABILITY_TABLE.get((initiator_io, responder_io))
    if cells is None:
        return None
    return cells[1 if secure_connections else 0][0]


def method_for(req: Features, rsp: Features) -> MethodChoice | None:
    """``choose_method`` for a Pairing Request and Response as the capture shows them (SC when
    both set it, Vol 3, Part H, 2.3.5.1)."""
    return choose_method(req, rsp, req.sc and rsp.sc)
