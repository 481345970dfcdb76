"""What the analysis builds: connections, pairing sessions, encryptions, ATT errors.

These are plain data: nothing here formats text for people or JSON (``report/`` does:
``report/json_objects.py`` gives each its documented JSON, docs/json.md).
"""

from __future__ import annotations

import struct
from array import array
from collections.abc import Container, Hashable, Iterable, Iterator, Sequence
from dataclasses import InitVar, dataclass, field, fields, replace
from enum import StrEnum
from operator import attrgetter
from typing import TYPE_CHECKING, Any, TypeVar, overload

from bpdiag.capture.record import Problem
from bpdiag.decode import smp
from bpdiag.decode.pdu import Layer


# The analysis's vocabulary, declared once.  Each is a StrEnum: a member is equal to its
# value, which is what the JSON (docs/json.md) writes, so the output does not change.
class Outcome(StrEnum):
    """How a pairing ended (``Pairing.outcome``)."""

    SUCCESS = "success"
    FAILED = "failed"
    INCOMPLETE = "incomplete"


class Method(StrEnum):
    """An association model of pairing (Vol 3, Part H, 2.3.5.1; analysis/pairing_method.py)."""

    JUST_WORKS = "just_works"
    NUMERIC_COMPARISON = "numeric_comparison"
    PASSKEY_ENTRY = "passkey_entry"
    OOB = "oob"


class Side(StrEnum):
    """A side of a pairing (Vol 3, Part H, 2.1): who sent a Pairing Failed or a key."""

    INITIATOR = "initiator"
    RESPONDER = "responder"
    UNKNOWN = "unknown"  # the capture does not show it


class Role(StrEnum):
    """A link-layer role (Vol 6, Part B, 4.5): who sent a PDU, the local controller's role."""

    CENTRAL = "central"
    PERIPHERAL = "peripheral"
    UNKNOWN = "unknown"  # the capture does not show it


class Transport(StrEnum):
    LE = "le"
    BR_EDR = "br/edr"


class CheckResult(StrEnum):
    """What a spec check redone from the public values found (``Check.result``)."""

    MATCH = "match"
    MISMATCH = "mismatch"
    NOT_CHECKED = "not_checked"  # the check was not made (the detail says why)


class CheckKind(StrEnum):
    """Which spec check ``Check.check`` redid (analysis/verify.py, analysis/legacy_tk.py)."""

    INITIATOR_CONFIRM = "initiator_confirm"  # c1 / f4 of the initiator's confirm
    RESPONDER_CONFIRM = "responder_confirm"
    INITIATOR_PUBLIC_KEY = "initiator_public_key"  # the key is on P-256
    RESPONDER_PUBLIC_KEY = "responder_public_key"
    INITIATOR_DEBUG_KEY = "initiator_debug_key"  # the key is the SMP debug key
    RESPONDER_DEBUG_KEY = "responder_debug_key"
    INITIATOR_PASSKEY_COMMITMENT = "initiator_passkey_commitment"  # SC Passkey Entry rounds
    RESPONDER_PASSKEY_COMMITMENT = "responder_passkey_commitment"
    PASSKEY_AGREEMENT = "passkey_agreement"  # both sides used the same passkey
    INITIATOR_PASSKEY = "initiator_passkey"  # legacy: the passkey that explains a confirm
    RESPONDER_PASSKEY = "responder_passkey"
    PASSKEY_SEARCH = "passkey_search"  # legacy: the search was not run (the detail says why)


# The checks of one kind, one per side: rules ask which kind a check is, never its spelling
DEBUG_KEY_CHECKS = frozenset({CheckKind.INITIATOR_DEBUG_KEY, CheckKind.RESPONDER_DEBUG_KEY})
PUBLIC_KEY_CHECKS = frozenset({CheckKind.INITIATOR_PUBLIC_KEY, CheckKind.RESPONDER_PUBLIC_KEY})
PASSKEY_CHECKS = {
    Side.INITIATOR: CheckKind.INITIATOR_PASSKEY,
    Side.RESPONDER: CheckKind.RESPONDER_PASSKEY,
}


class RequestOutcome(StrEnum):
    """How a Security Request no pairing followed ended (``SecurityProcedure.outcome``)."""

    ENCRYPTED = "encrypted"  # a stored key was used
    ENCRYPTION_REFUSED = "encryption-refused"  # the stored key was refused, nothing followed
    DISCONNECTED = "disconnected"  # the link closed first
    UNANSWERED = "unanswered"  # the capture ends with no answer


@dataclass(slots=True)
class Endpoint:
    """One side of a connection: address as printed (``AA:BB:…``) and its type."""

    address: str | None = None
    address_type: str | None = None  # "public" | "random" | "public-identity" | …
    identity: str | None = None  # the identity address an IRK resolved this RPA to


@dataclass(slots=True)
class Connection:
    """One connection: an HCI connection handle's life, or one access address on air."""

    id: int
    link: tuple[Any, ...]
    transport: Transport
    first_frame: int
    last_frame: int
    central: Endpoint = field(default_factory=Endpoint)
    peripheral: Endpoint = field(default_factory=Endpoint)
    local_role: Role | None = None  # HCI captures: central or peripheral; air: None
    handle: int | None = None
    access_address: int | None = None
    established_frame: int | None = None  # connection complete / CONNECT_IND
    disconnect_reason: int | None = None
    disconnect_reason_name: str | None = None
    disconnect_frame: int | None = None
    disconnected_by: Role | None = None  # air captures: who sent LL_TERMINATE_IND
    encrypted: bool = False
    disconnect_time: float | None = None

    @property
    def host_log(self) -> bool:
        """Seen from a host's HCI (``link`` ``("hci", …)``), not on air: the log holds every
        PDU the host sent or got on it, unless the log itself left some out."""
        return bool(self.link[0] == "hci")


@dataclass(frozen=True, slots=True)
class _Offer:
    """What a Pairing Request or Response offers (``Features`` but its frame): a long log
    repeats the same few, each kept once (``_OFFERS``)."""

    io_capability: int
    io_capability_name: str
    oob: bool
    auth_req: int
    bonding: bool
    mitm: bool
    sc: bool
    keypress: bool
    ct2: bool
    max_key_size: int
    initiator_keys: tuple[str, ...] | None
    responder_keys: tuple[str, ...] | None


_OFFER_FIELDS = _Offer.__slots__
_OFFERS: dict[_Offer, _Offer] = {}  # each offer seen once (a cache, bounded below)
_MAX_OFFERS = 4096


def _shared_offer(offer: _Offer) -> _Offer:
    """The equal offer kept before, else ``offer`` (kept while there is room)."""
    try:
        shared = _OFFERS.get(offer)
    except TypeError:  # a hand-made one with a list of keys: not hashable, not shared
        return offer
    if shared is None:
        if len(_OFFERS) >= _MAX_OFFERS:
            return offer
        shared = _OFFERS[offer] = offer
    return shared


class Features:
    """The fields of a Pairing Request or Response that decide the pairing: its ``frame``
    and what it offers, read as attributes (``io_capability`` … ``responder_keys``, set
    below the class).  The offer is one object shared by the features that offer the same
    (setting a field gives this one its own).  ``initiator_keys``/``responder_keys``: one
    tuple per key-distribution octet value; None: the log cut that octet (Android's
    filtered log cuts the initiator's, btsnooz the responder's)."""

    __slots__ = ("_offer", "frame")

    if TYPE_CHECKING:  # what the properties set below the class read as
        io_capability: int
        io_capability_name: str
        oob: bool
        auth_req: int
        bonding: bool
        mitm: bool
        sc: bool
        keypress: bool
        ct2: bool
        max_key_size: int
        initiator_keys: tuple[str, ...] | None
        responder_keys: tuple[str, ...] | None

    def __init__(
        self,
        frame: int,
        io_capability: int,
        io_capability_name: str,
        oob: bool,
        auth_req: int,
        bonding: bool,
        mitm: bool,
        sc: bool,
        keypress: bool,
        ct2: bool,
        max_key_size: int,
        initiator_keys: tuple[str, ...] | None,
        responder_keys: tuple[str, ...] | None,
    ) -> None:
        self.frame = frame
        offer = _Offer(
            *(io_capability, io_capability_name, oob, auth_req, bonding, mitm, sc, keypress),
            *(ct2, max_key_size, initiator_keys, responder_keys),
        )
        self._offer = _shared_offer(offer)

    @property
    def offer(self) -> Hashable:
        """What these features offer, all but the frame: one object shared by the features
        that offer the same (an equal one, hashable unless made by hand with lists)."""
        return self._offer

    def at(self, frame: int) -> Features:
        """The features of another PDU (``frame``) that offers the same as this one."""
        out = Features.__new__(Features)
        out.frame, out._offer = frame, self._offer
        return out

    def replaced(self, **changes: Any) -> Features:
        """A copy with ``changes`` (field name → value), as ``dataclasses.replace`` gives."""
        out = Features.__new__(Features)
        out.frame = changes.pop("frame", self.frame)
        out._offer = _shared_offer(replace(self._offer, **changes)) if changes else self._offer
        return out

    def __eq__(self, other: object) -> bool:
        if type(other) is not Features:
            return NotImplemented
        return self.frame == other.frame and self._offer == other._offer

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        offer = self._offer
        shown = ", ".join(f"{n}={getattr(offer, n)!r}" for n in _OFFER_FIELDS)
        return f"Features(frame={self.frame!r}, {shown})"


def _offer_field(name: str) -> property:
    def write(f: Features, value: Any) -> None:
        f._offer = replace(f._offer, **{name: value})

    return property(attrgetter(f"_offer.{name}"), write)  # read at C speed: rules read many


for _name in _OFFER_FIELDS:
    setattr(Features, _name, _offer_field(_name))


@dataclass(slots=True)
class SecurityRequest:
    frame: int
    auth_req: int
    bonding: bool
    mitm: bool
    sc: bool


@dataclass(slots=True)
class SecurityProcedure:
    """A Security Request that no pairing followed (Vol 3, Part H, 2.4.6 and 3.6.7).

    The central may answer a Security Request by encrypting with the key it stored when it
    bonded, by pairing, by Pairing Failed, or not at all; the first and the last are not
    pairings and are kept here.  ``outcome``: "encrypted" (a stored key was used),
    "encryption-refused" (the stored key was refused and nothing followed), "disconnected"
    (the link closed first), "unanswered" (the capture ends with no answer).
    """

    connection: int
    request: SecurityRequest
    time: float
    outcome: RequestOutcome = RequestOutcome.UNANSWERED
    answer_frame: int | None = None  # the encryption or the disconnection
    answer_time: float | None = None
    encryption_status: int | None = None
    repeats: int = 0  # further Security Requests before any answer


@dataclass(slots=True)
class Failure:
    """Why a pairing ended: an SMP Pairing Failed, or encryption refused after pairing."""

    reason: int
    name: str
    sent_by: Side  # initiator or responder (unknown: ``sender_unknown`` says why)
    frame: int
    layer: Layer = Layer.SMP  # SMP, HCI or LL: the layer that refused
    # why ``sent_by`` is "unknown", None when it is known: "local-role-unknown" (the log
    # shows directions, nothing tells the local role), "no-direction" (a host log without
    # directions; SMP's order leaves either side), "no-direction-air" (a sniffer without
    # directions; a missed PDU could sit before it)
    sender_unknown: str | None = None
    # with "local-role-unknown": the host the log was recorded on sent it (True) or
    # received it (False), which the log's direction shows though the role is not known
    local: bool | None = None


@dataclass(slots=True)
class Step:
    """One SMP PDU of a pairing, as the ladder shows it."""

    frame: int
    time: float
    sender: Role
    code: int
    name: str
    msg: Any  # the decoded SMP command (``report.smp_text.smp_summary`` renders it)
    decrypted: bool = False  # bpdiag decrypted the packet that carried it (air captures)


class _StoredStep(Step):
    """A step read back from ``Steps``' packed form: ``msg`` is decoded from the PDU's
    bytes each time it is asked for (``parse_smp`` gives what the decoder gave: the same
    shared object for the short commands it shares, an equal one for the others)."""

    __slots__ = ("_raw",)

    def __init__(self, frame: int, time: float, sender: Role, raw: bytes, decrypted: bool) -> None:
        self.frame, self.time, self.sender, self.decrypted = frame, time, sender, decrypted
        code = raw[0]
        self.code, self.name, self._raw = code, smp.command_name(code), raw

    @property
    def msg(self) -> smp.SmpCommand:
        return smp.parse_smp(self._raw)


_STEP = struct.Struct("<IdBB")  # frame, time, sender and flags, PDU length; then the PDU
_FRAME = struct.Struct("<I")  # a header's first field (its flags are 2 octets before the PDU)
_PACKED_FRAMES = range(1 << 32)  # a step of a frame beyond (a hand-made one) is kept whole
_ROLES = (Role.CENTRAL, Role.PERIPHERAL)
_ROLE_BITS = {Role.CENTRAL: 0, Role.PERIPHERAL: 1}
_DECRYPTED, _WHOLE = 0x02, 0x80


class Steps(Sequence[Step]):
    """The steps of one pairing, packed: a long log holds hundreds of thousands of SMP PDUs,
    and a ``Step`` with its decoded command is some 250 bytes where its frame, time, sender
    and wire bytes are about 40.  ``record`` packs a PDU the decoder gave whole with a
    known sender; a step whose sender is still to be learnt (it is set on the ``Step``
    later), whose command the log cut, or that is appended as a ``Step`` is kept as that
    object.  Reading gives ``Step``s, in order, as a list of them would."""

    __slots__ = ("_count", "_kept", "_packed")

    def __init__(self, steps: Iterable[Step] = ()) -> None:
        # bytes, made anew for each step: a pairing's few steps are copied a few times
        # while it is built, and then kept without a bytearray's object and spare room
        self._packed = b""
        self._kept: list[Step] | None = None  # the steps kept as objects
        self._count = 0
        self.extend(steps)

    def record(
        self, frame: int, time: float, sender: Role, code: int, msg: Any, decrypted: bool = False
    ) -> Step | None:
        """Add the step of a PDU: packed when its sender is known and the decoder gave its
        command whole (None), else as a ``Step`` (returned: its sender may be set later)."""
        bits = _ROLE_BITS.get(sender)
        if (
            bits is not None
            and isinstance(msg, smp.SmpCommand)
            and msg.code == code
            and frame in _PACKED_FRAMES
        ):
            raw = msg.to_bytes()  # the decoder's bytes, kept: nothing is encoded again
            if len(raw) <= 0xFF:  # (an SMP PDU is 65 octets at most: Vol 3, Part H, 3.3)
                flags = bits | _DECRYPTED if decrypted else bits
                packed = self._packed
                self._packed = b"".join((packed, _STEP.pack(frame, time, flags, len(raw)), raw))
                self._count += 1
                return None
        step = Step(frame, time, sender, code, msg.name, msg, decrypted)
        self.append(step)
        return step

    def take(self, step: Step) -> Step | None:
        """``record`` for a step made earlier: packed, or ``step`` itself kept (returned)."""
        if _ROLE_BITS.get(step.sender) is not None and isinstance(step.msg, smp.SmpCommand):
            return self.record(
                step.frame, step.time, step.sender, step.code, step.msg, step.decrypted
            )
        self.append(step)
        return step

    def append(self, step: Step) -> None:
        """Add ``step`` itself (it is the object read back)."""
        kept = self._kept
        if kept is None:
            kept = self._kept = []
        self._packed = self._packed + _STEP.pack(len(kept), 0.0, _WHOLE, 0)
        kept.append(step)
        self._count += 1

    def extend(self, steps: Iterable[Step]) -> None:
        for step in steps:
            self.append(step)

    def __iadd__(self, steps: Iterable[Step]) -> Steps:
        self.extend(steps)
        return self

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[Step]:
        packed, kept, unpack, size = self._packed, self._kept, _STEP.unpack_from, _STEP.size
        pos, end = 0, len(packed)
        while pos < end:
            frame, time, bits, n = unpack(packed, pos)
            pos += size
            if bits & _WHOLE:
                yield kept[frame]  # type: ignore[index]
            else:
                yield _StoredStep(
                    frame,
                    time,
                    _ROLES[bits & 1],
                    bytes(packed[pos : pos + n]),
                    bool(bits & _DECRYPTED),
                )
                pos += n

    def _step_at(self, pos: int) -> Step:
        """The step whose header starts at ``pos`` of ``_packed``."""
        packed = self._packed
        head: tuple[int, float, int, int] = _STEP.unpack_from(packed, pos)
        frame, time, bits, n = head
        if bits & _WHOLE:
            return self._kept[frame]  # type: ignore[index]
        pos += _STEP.size
        return _StoredStep(
            frame, time, _ROLES[bits & 1], bytes(packed[pos : pos + n]), bool(bits & _DECRYPTED)
        )

    def kept(self) -> Sequence[Step]:
        """The steps kept as ``Step`` objects, in order, without reading the packed ones.
        Every step whose sender is (or was) unknown and every one whose command is not a
        whole SMP PDU (an ``UnreadCommand``, a cut Pairing Request, a hand-made step) is
        among them: a packed step always has a known sender and a whole command."""
        return tuple(self._kept) if self._kept else ()

    def wire(self, codes: Container[int]) -> Iterator[tuple[int, Role, bytes]]:
        """The frame, sender and PDU bytes (code octet first) of each step, in order, that
        carries a whole SMP command whose code is in ``codes``: a packed step's bytes as
        stored, with nothing decoded; a kept step's encoded from its command, with its sender
        as it is now (it may be unknown).  A step the log cut, or whose command is no SMP
        command, is left out."""
        # Only the flags and the length are read from a header until a step is wanted
        packed, kept, size, frame_at = self._packed, self._kept, _STEP.size, _FRAME.unpack_from
        start, end = size, len(packed) + size  # where the step's PDU starts
        while start < end:
            bits = packed[start - 2]
            if bits & _WHOLE:
                step = kept[frame_at(packed, start - size)[0]]  # type: ignore[index]
                msg = step.msg
                if isinstance(msg, smp.SmpCommand) and msg.code in codes:
                    yield step.frame, step.sender, msg.to_bytes()
                start += size
                continue
            stop = start + packed[start - 1]
            if packed[start] in codes:
                pdu = bytes(packed[start:stop])
                yield frame_at(packed, start - size)[0], _ROLES[bits & 1], pdu
            start = stop + size

    @overload
    def __getitem__(self, i: int) -> Step: ...
    @overload
    def __getitem__(self, i: slice) -> list[Step]: ...
    def __getitem__(self, i: int | slice) -> Step | list[Step]:
        if isinstance(i, slice):
            return list(self)[i]
        n = self._count
        if not -n <= i < n:
            raise IndexError("step index out of range")
        i %= n
        # a walk over the headers to it, reading each one's PDU length (its last octet): no
        # position of the last step is kept (an int object each, on a long log's pairings)
        packed, size, pos = self._packed, _STEP.size, 0
        for _ in range(i):
            pos += size + packed[pos + size - 1]
        return self._step_at(pos)

    def frames(self) -> list[int]:
        """The steps' frame numbers, in order."""
        packed, kept, unpack, size = self._packed, self._kept, _STEP.unpack_from, _STEP.size
        out: list[int] = []
        pos, end = 0, len(packed)
        while pos < end:
            frame, _time, bits, n = unpack(packed, pos)
            out.append(kept[frame].frame if bits & _WHOLE else frame)  # type: ignore[index]
            pos += size + n
        return out

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Steps | list):
            return len(self) == len(other) and all(
                _step_tuple(a) == _step_tuple(b) for a, b in zip(self, other, strict=True)
            )
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Steps({list(self)!r})"


def _step_tuple(s: Step) -> tuple[Any, ...]:
    return (s.frame, s.time, s.sender, s.code, s.name, s.msg, s.decrypted)


class CheckFact(StrEnum):
    """What a ``Check`` redid, as the facts it carries are read (``rules.evidence`` words
    each kind; its ``spec`` is the section of Vol 3, Part H).  ``CheckKind`` is the check's
    name (``Check.check``); this is the shape of its facts: one name, say
    ``initiator_confirm``, is an SC or a legacy confirm check."""

    DEBUG_KEY = "debug_key"  # a Pairing Public Key is the spec's debug key
    OFF_CURVE = "off_curve"  # a Pairing Public Key is not a point on P-256
    SC_CONFIRM = "sc_confirm"  # Cb = f4(PKb, PKa, Nb, 0), Just Works / Numeric Comparison
    SC_PASSKEY_COMMITMENT = "sc_passkey_commitment"  # a round's confirm matches neither bit
    SC_PASSKEY_BITS = "sc_passkey_bits"  # the bits both sides revealed, round by round
    SC_PASSKEY_REFUSED = "sc_passkey_refused"  # the responder refused a round's commitment
    LEGACY_JW_CONFIRM = "legacy_jw_confirm"  # c1 with TK = 0
    LEGACY_PASSKEY = "legacy_passkey"  # the passkey a side's confirm was computed with
    LEGACY_PASSKEYS = "legacy_passkeys"  # the two sides' passkeys compared
    LEGACY_PASSKEY_NOT_SEARCHED = "legacy_passkey_not_searched"  # ``reason`` says why
    LEGACY_OOB_CONFIRM = "legacy_oob_confirm"  # c1 with a TK given with --tk


class NotSearched(StrEnum):
    """Why the passkeys of a legacy Passkey Entry pairing were not searched
    (``CheckFact.LEGACY_PASSKEY_NOT_SEARCHED``; ``--passkey-search``)."""

    NEVER = "never"  # --passkey-search never
    NOT_NEEDED = "not_needed"  # it succeeded and nothing needs its TK (mode "failed")
    BUDGET = "budget"  # this analysis spent its budget of searches (``Check.budget``)


@dataclass(slots=True)
class Check:
    """A spec check redone from the public values of a pairing (bpdiag.analysis.verify,
    bpdiag.analysis.legacy_tk), as facts: ``bpdiag.rules.evidence.check_detail`` words it.

    The facts a kind carries: ``side`` whose value was checked (None: both sides');
    ``round`` the Passkey Entry round (1–20) the result is about; ``expected``/``got`` the
    two values compared where the result names them (SC_PASSKEY_BITS: the initiator's and
    the responder's bit; LEGACY_PASSKEYS: the passkey displayed and the one ``side``
    entered, with no side the initiator's and the responder's; LEGACY_PASSKEY: ``got`` the
    passkey found when it is no secret); ``rounds``/``unchecked`` how many Passkey Entry
    rounds could be checked and how many the capture missed; ``inputs`` the other PDUs the
    check read (the nonce); ``peer_hidden`` the other side never revealed its random;
    ``reason`` why a check was not made (LEGACY_PASSKEY_NOT_SEARCHED, with ``budget`` the
    searches the analysis was allowed when that is why).
    """

    check: CheckKind
    frame: int  # the PDU the check is about
    result: CheckResult  # match, mismatch, not_checked (``reason`` says why)
    fact: CheckFact
    spec: str  # the section of Vol 3, Part H it follows ("2.3.5.6.3")
    side: Side | None = None  # whose value was checked; None: both sides'
    round: int | None = None
    expected: int | None = None
    got: int | None = None
    rounds: int | None = None
    unchecked: int = 0
    inputs: tuple[int, ...] = ()
    peer_hidden: bool = False
    reason: NotSearched | None = None  # why a check was not made (result not_checked)
    budget: int | None = None  # NotSearched.BUDGET: the searches an analysis may run
    # A secret the check recovered (the passkey of a successful pairing): never in the
    # words, never in JSON; the text report shows it with --show-keys only.
    secret: str | None = None


@dataclass(slots=True)
class KeyDistributed:
    """A key a side sent in phase 3 (value kept only for ``--show-keys``)."""

    frame: int
    sent_by: Side
    key: str  # "LTK" | "EDIV/Rand" | "IRK" | "Identity Address" | "CSRK"


# A packed key: its frame and one octet, the side (bit 3) and which key (bits 0-2); or,
# with the octet _KEPT_KEY, the index of a key kept as its object (``Keys``)
_KEY = struct.Struct("<qB")
_KEY_WORDS = ("LTK", "EDIV/Rand", "IRK", "Identity Address", "CSRK")
_KEY_CODES = {word: i for i, word in enumerate(_KEY_WORDS)}
_KEY_SIDES = {Side.INITIATOR: 0, Side.RESPONDER: 8}
_SIDE_OF_BIT = (Side.INITIATOR, Side.RESPONDER)
_KEPT_KEY = 0xFF
_FRAMES = range(-(1 << 63), 1 << 63)


class Keys(Sequence[KeyDistributed]):
    """The keys a pairing's sides sent (``Pairing.keys`` once it has one), packed: a long
    log's pairings each distribute a handful, and a ``KeyDistributed`` with its frame is
    some 90 bytes where the facts are 9.  A key whose side is still to be learnt (it is set
    on the object later) or that is not one of the five keys is kept as that object.
    Reading gives ``KeyDistributed``s, in order, as a list of them would."""

    __slots__ = ("_kept", "_packed")

    def __init__(self, keys: Iterable[KeyDistributed] = ()) -> None:
        self._packed = b""
        self._kept: list[KeyDistributed] | None = None
        for key in keys:
            self.append(key)

    def append(self, key: KeyDistributed) -> None:
        side, which, frame = _KEY_SIDES.get(key.sent_by), _KEY_CODES.get(key.key), key.frame
        if side is not None and which is not None and type(frame) is int and frame in _FRAMES:
            self._packed = self._packed + _KEY.pack(frame, side | which)
            return
        kept = self._kept
        if kept is None:
            kept = self._kept = []
        self._packed = self._packed + _KEY.pack(len(kept), _KEPT_KEY)
        kept.append(key)

    def _key(self, frame: int, code: int) -> KeyDistributed:
        if code == _KEPT_KEY:
            return self._kept[frame]  # type: ignore[index]
        return KeyDistributed(frame, _SIDE_OF_BIT[code >> 3], _KEY_WORDS[code & 7])

    def __len__(self) -> int:
        return len(self._packed) // _KEY.size

    def __iter__(self) -> Iterator[KeyDistributed]:
        key = self._key
        for frame, code in _KEY.iter_unpack(self._packed):
            yield key(frame, code)

    @overload
    def __getitem__(self, i: int) -> KeyDistributed: ...
    @overload
    def __getitem__(self, i: slice) -> list[KeyDistributed]: ...
    def __getitem__(self, i: int | slice) -> KeyDistributed | list[KeyDistributed]:
        if isinstance(i, slice):
            return list(self)[i]
        n = len(self)
        if not -n <= i < n:
            raise IndexError("key index out of range")
        return self._key(*_KEY.unpack_from(self._packed, (i % n) * _KEY.size))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Keys | list | tuple):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Keys({list(self)!r})"


_T = TypeVar("_T")


class _NoItems(list[Any]):
    """The one empty list that a pairing's keys, checks, cut frames and senders from order
    are until their first item (``Pairing.add_*``): equal to ``[]``, and never changed in
    place (that would change every pairing's)."""

    def _refuse(self, *_args: object, **_kwargs: object) -> Any:
        raise TypeError("the shared empty list is not changed in place: use Pairing.add_*")

    append = extend = insert = remove = pop = clear = sort = reverse = _refuse
    __setitem__ = __delitem__ = __iadd__ = __imul__ = _refuse


_NO_ITEMS = _NoItems()


def _no_items() -> Any:
    return _NO_ITEMS


def _grown(items: Sequence[_T], item: _T) -> list[_T]:
    """``items`` with ``item`` appended: the list itself, or a new one for the shared empty
    list (or a tuple)."""
    if type(items) is list:
        items.append(item)
        return items
    return [*items, item]


_FAILED, _SUCCESS, _INCOMPLETE = Outcome.FAILED, Outcome.SUCCESS, Outcome.INCOMPLETE


@dataclass(slots=True)
class Pairing:
    """One pairing attempt on a connection (Vol 3, Part H, 2.1: phases 1–3)."""

    id: int
    connection: int
    first_frame: int
    # The frames of its SMP PDUs are its steps' (``frames``); a hand-built pairing may give
    # them without steps.
    if TYPE_CHECKING:  # what it reads as: a list (the property set below the class)
        frames: list[int] = field(default_factory=list)
    else:
        frames: InitVar[list[int] | None] = None
    steps: Steps = field(default_factory=Steps)
    # The facts most pairings of a long log never have read as attributes (the properties
    # set below the class) and are kept together in ``_rare``, None until one is set: a
    # slot each would be 64 bytes more on every pairing.  InitVars at run time; to mypy
    # fields.
    if TYPE_CHECKING:
        security_request: SecurityRequest | None = None
    else:
        security_request: InitVar[SecurityRequest | None] = None
    request: Features | None = None
    response: Features | None = None
    secure_connections: bool | None = None
    method: Method | None = None
    method_because: str | None = None
    if TYPE_CHECKING:
        passkey_displayed_by: Side | None = None
    else:
        passkey_displayed_by: InitVar[Side | None] = None
    confirms: int = 0
    randoms: int = 0
    public_keys: int = 0
    dhkey_checks: int = 0
    if TYPE_CHECKING:
        keypresses: int = 0
    else:
        keypresses: InitVar[int] = 0
    # The lists below are one shared empty list until their first item (``add_*``): most
    # pairings of a long log have no cut frames, many no keys or checks.
    keys: Sequence[KeyDistributed] = field(default_factory=_no_items)
    failure: Failure | None = None
    encrypted_frame: int | None = None
    encryption_status: int | None = None
    ended_frame: int | None = None  # Pairing Failed, or the encryption that closed phase 2
    if TYPE_CHECKING:  # LL_ENC_REQ / LE Start Encryption mid-pairing
        early_encryption_request: int | None = None
    else:
        early_encryption_request: InitVar[int | None] = None
    checks: Sequence[Check] = field(default_factory=_no_items)  # spec checks (verify.py)
    if TYPE_CHECKING:
        numeric_value: int | None = None  # SC Numeric Comparison: the six digits both showed
        cut_frames: Sequence[int] = field(default_factory=_no_items)  # SMP PDUs the log cut
        # SMP PDUs whose sender the capture did not show, told from SMP's order (sender_order)
        senders_from_order: Sequence[int] = field(default_factory=_no_items)
    else:
        numeric_value: InitVar[int | None] = None
        cut_frames: InitVar[Sequence[int]] = _NO_ITEMS
        senders_from_order: InitVar[Sequence[int]] = _NO_ITEMS
    _rare: _Rare | None = field(default=None, init=False, repr=False)

    # The InitVars are given to ``__post_init__`` in their order (their defaults: RUF033)
    def __post_init__(
        self,
        frames: list[int] | None = None,  # noqa: RUF033
        *rare: Any,
    ) -> None:
        if frames is not None:
            self._rare = _Rare()
            self._rare.frames = frames
        for name, value in zip(_RARE_PAIRING, rare, strict=True):
            if value is not _RARE_DEFAULTS[name]:
                setattr(self, name, value)

    def add_key(self, key: KeyDistributed) -> None:
        keys = self.keys
        if type(keys) is not Keys:  # the shared empty list, or keys given by hand
            keys = self.keys = Keys(keys)
        keys.append(key)

    def add_check(self, check: Check) -> None:
        self.checks = _grown(self.checks, check)

    def add_cut_frame(self, frame: int) -> None:
        self.cut_frames = _grown(self.cut_frames, frame)

    @property
    def phase2_complete(self) -> bool:
        """Whether every phase-2 PDU the selected protocol needs was seen at least once."""
        if self.secure_connections:
            needed_confirms = 1
            if self.method == Method.PASSKEY_ENTRY:
                needed_confirms = 20
            elif self.method == Method.OOB:
                needed_confirms = 0
            return (
                self.public_keys >= 2
                and self.confirms >= needed_confirms
                and self.randoms >= 2
                and self.dhkey_checks >= 2
            )
        return self.confirms >= 2 and self.randoms >= 2

    @property
    def start_frame(self) -> int:
        """Where the pairing starts: its Pairing Request, else its first PDU."""
        return self.request.frame if self.request is not None else self.first_frame

    @property
    def phase2_started(self) -> bool:
        return bool(self.confirms or self.randoms or self.public_keys or self.dhkey_checks)

    @property
    def outcome(self) -> Outcome:
        if self.failure is not None:
            return _FAILED
        if (self.encrypted_frame is not None or self.keys) and (
            self.confirms or self.randoms or self.public_keys or self.dhkey_checks
        ):  # phase2_started, inline: the rules ask every pairing's outcome many times
            return _SUCCESS
        return _INCOMPLETE


def _pairing_frames(p: Pairing) -> list[int]:
    """The frames of the pairing's SMP PDUs, in order: its steps' unless they were given."""
    rare = p._rare
    if rare is not None and rare.frames is not None:
        return rare.frames
    steps = p.steps
    return steps.frames() if isinstance(steps, Steps) else [s.frame for s in steps]


def _set_pairing_frames(p: Pairing, frames: list[int]) -> None:
    _set_rare(p, "frames", frames, None)


setattr(Pairing, "frames", property(_pairing_frames, _set_pairing_frames))  # noqa: B010

# Read off the dataclass, so that a field added to ``Pairing`` cannot be left out here: its
# declared names in order (the InitVars among them), then the InitVars but ``frames`` — the
# facts kept in ``_rare`` — with their defaults, and what a pairing compares and prints by
_PAIRING_FIELDS = Pairing.__dataclass_fields__  # every declared name, InitVars too
_INITVARS = [n for n in _PAIRING_FIELDS if n not in {f.name for f in fields(Pairing)}]
_RARE_PAIRING = tuple(n for n in _INITVARS if n != "frames")
_RARE_DEFAULTS: dict[str, Any] = {n: _PAIRING_FIELDS[n].default for n in _RARE_PAIRING}
_PAIRING_NAMES = tuple(n for n in _PAIRING_FIELDS if n not in ("frames", "_rare"))


class _Rare:
    """A pairing's rare facts (``Pairing._rare``), each at its default until set, and the
    frames a hand-built pairing was given."""

    __slots__ = (*_RARE_PAIRING, "frames")

    def __init__(self) -> None:
        for name in _RARE_PAIRING:
            setattr(self, name, _RARE_DEFAULTS[name])
        self.frames: list[int] | None = None


def _set_rare(p: Pairing, name: str, value: Any, default: Any) -> None:
    rare = p._rare
    if rare is None:
        if value is default:
            return
        rare = p._rare = _Rare()
    setattr(rare, name, value)


def _rare_property(name: str) -> property:
    default = _RARE_DEFAULTS[name]

    def get(p: Pairing) -> Any:
        rare = p._rare
        return default if rare is None else getattr(rare, name)

    def put(p: Pairing, value: Any) -> None:
        _set_rare(p, name, value, default)

    return property(get, put)


def _pairing_key(p: Pairing) -> tuple[Any, ...]:
    return tuple(getattr(p, n) for n in _PAIRING_NAMES)


def _pairing_eq(p: Pairing, other: object) -> object:  # a bool, or NotImplemented
    if type(other) is not Pairing:
        return NotImplemented
    given = [None if r is None else r.frames for r in (p._rare, other._rare)]
    return given[0] == given[1] and _pairing_key(p) == _pairing_key(other)


def _pairing_repr(p: Pairing) -> str:
    shown = ", ".join(f"{n}={v!r}" for n, v in zip(_PAIRING_NAMES, _pairing_key(p), strict=True))
    return f"Pairing({shown})"


for _name in _RARE_PAIRING:
    setattr(Pairing, _name, _rare_property(_name))
setattr(Pairing, "__eq__", _pairing_eq)  # noqa: B010
setattr(Pairing, "__repr__", _pairing_repr)  # noqa: B010


@dataclass(slots=True)
class Encryption:
    """Link encryption started (or refused), with a fresh key or a stored one."""

    connection: int
    frame: int
    status: int
    status_name: str
    after_pairing: bool
    pairing: int | None = None
    how: str = ""  # "hci-encryption-change", "ll-start-enc", "ll-reject", "ltk-negative-reply", …
    key_size: int | None = None
    smp_cut_before: bool = False
    """The log cut SMP PDUs of this connection before it to their L2CAP header (Android 11's
    filtered snoop log): whether a pairing gave the key is not in the capture."""


@dataclass(slots=True)
class BredrPairing:
    """A BR/EDR (classic) pairing or authentication as a host's HCI log shows it (Vol 4,
    Part E, 7.1 and 7.7; ``analysis.bredr`` groups the messages): frames and codes only.
    The pairing itself runs in the controllers (LMP), so the log has no more than this."""

    first_frame: int
    connection: int | None = None  # None: no Connection Complete for the peer in the log
    peer_address: str | None = None
    requested_frame: int | None = None  # the host's Authentication Requested (7.1.15)
    # (frame, event code): Link Key (7.7.23), PIN Code (7.7.22), User Confirmation (7.7.42)
    # and User Passkey (7.7.43) Requests
    requests: list[tuple[int, int]] = field(default_factory=list)
    io_frames: list[int] = field(default_factory=list)  # IO Capability Request/Reply/Response
    local_io: tuple[int, int, int] | None = None  # IO capability, OOB, auth requirements
    peer_io: tuple[int, int, int] | None = None
    # (frame, opcode, reason or None) of each negative reply the local host sent
    refusals: list[tuple[int, int, int | None]] = field(default_factory=list)
    link_key_type: int | None = None  # Link Key Notification (7.7.24): a new key was made
    # the host's Link Key Request Reply (7.1.10): it gave the controller a stored key for the
    # peer, so the link was to be authenticated with the bond, not paired anew
    key_given_frame: int | None = None
    # the host's PIN Code Request Reply (7.1.12) and User Passkey Request Reply (7.1.32):
    # the PIN or passkey the local user gave
    pin_given_frame: int | None = None
    passkey_given_frame: int | None = None
    simple_pairing: tuple[int, int] | None = None  # (frame, status) of 7.7.45
    authentication: tuple[int, int] | None = None  # (frame, status) of 7.7.6
    disconnect_frame: int | None = None  # the connection ended before the attempt did

    @property
    def result(self) -> tuple[int, int] | None:
        """(frame, status) of the first event that says the attempt failed, else of the
        last that says how it ended; ``None`` when the log shows no end."""
        ends = [e for e in (self.simple_pairing, self.authentication) if e is not None]
        failed = [e for e in ends if e[1] != 0]
        return failed[0] if failed else ends[-1] if ends else None

    @property
    def failed(self) -> bool:
        result = self.result
        return result is not None and result[1] != 0


@dataclass(slots=True)
class AttError:
    """An ATT Error Response and the request it answers."""

    connection: int | None
    frame: int
    request_frame: int | None
    request_opcode: int
    request_name: str
    handle: int
    error: int
    error_name: str
    encrypted: bool  # link encrypted when the error came
    after_pairing: int | None  # id of the last pairing on this connection, if any
    # Repeats of the same refusal (connection, request, handle, error, link state) are one
    # AttError: ``frame`` is the first, ``count`` how many, ``frames`` the first few.
    count: int = 1
    frames: list[int] = field(default_factory=list)


@dataclass(slots=True)
class Advertiser:
    """What a device said about itself in advertising (air captures)."""

    address: str
    frame: int
    flags: int | None
    name: str | None


@dataclass(slots=True)
class MonitorEvent:
    """A Linux monitor record that is not an HCI packet (notes, logs, control channel)."""

    frame: int
    time: float
    adapter: int
    opcode: int
    name: str
    values: dict[str, Any]


@dataclass(slots=True)
class CaptureInfo:
    path: str
    format: str
    link_type: int
    link_type_name: str
    records: int = 0
    truncated_records: int = 0  # records stored shorter than they were (snaplen, filtering)
    first_truncated: int | None = None
    cut_smp_frames: list[int] = field(default_factory=list)  # SMP PDUs the log stored cut
    first_time: float | None = None
    last_time: float | None = None
    compression: str | None = None  # the file was gzip/bzip2/xz-compressed (read as it inflated)

    @property
    def timed(self) -> bool:
        """Whether the records carry times: a text log printed without time stamps (btmon
        without its trailer, a BTstack port that prints none) gives every record one time,
        and then no duration can be told from it."""
        return self.records <= 1 or self.first_time != self.last_time


def _address_octets(address: object) -> bytes | None:
    """The six octets of an address printed ``AA:BB:CC:DD:EE:FF`` (as the decoder prints
    them), None for anything that would not print back the same."""
    if type(address) is not str or len(address) != 17:
        return None
    try:
        octets = bytes.fromhex(address.replace(":", ""))
    except ValueError:
        return None
    return octets if len(octets) == 6 and octets.hex(":").upper() == address else None


class FrameAddresses(Sequence[tuple[int, str]]):
    """``(frame, address)`` pairs, read as a list of them: the frames in an array (no int
    object each), the addresses as their six octets (printed again when read: a string each
    was 66 bytes, and nothing but one rule reads them), any other as given.  A long log
    sends tens of thousands of LE Create Connection commands (``Analysis.connect_attempts``),
    many to addresses its connections never name."""

    __slots__ = ("_frames", "_octets", "_other")

    def __init__(self, items: Iterable[tuple[int, str]] = ()) -> None:
        self._frames = array("q")
        self._octets = bytearray()  # six per pair
        self._other: dict[int, str] | None = None  # position → an address kept as given
        for item in items:
            self.append(item)

    def append(self, item: tuple[int, str]) -> None:
        frame, address = item
        octets = _address_octets(address)
        if octets is None:
            if self._other is None:
                self._other = {}
            self._other[len(self._frames)] = address
            octets = bytes(6)
        self._frames.append(frame)
        self._octets += octets

    def _address(self, i: int) -> str:
        other = self._other
        if other is not None and i in other:
            return other[i]
        return self._octets[6 * i : 6 * i + 6].hex(":").upper()

    def __len__(self) -> int:
        return len(self._frames)

    def __iter__(self) -> Iterator[tuple[int, str]]:
        address = self._address
        return ((frame, address(i)) for i, frame in enumerate(self._frames))

    @overload
    def __getitem__(self, i: int) -> tuple[int, str]: ...
    @overload
    def __getitem__(self, i: slice) -> list[tuple[int, str]]: ...
    def __getitem__(self, i: int | slice) -> tuple[int, str] | list[tuple[int, str]]:
        if isinstance(i, slice):
            return list(self)[i]
        n = len(self._frames)
        if not -n <= i < n:
            raise IndexError("FrameAddresses index out of range")
        i %= n
        return self._frames[i], self._address(i)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, FrameAddresses | list):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"FrameAddresses({list(self)!r})"


@dataclass(slots=True)
class Analysis:
    """What a capture shows: facts only.  The findings and suggestions drawn from it are a
    ``rules.diagnosis.Diagnosis`` of their own (``Diagnosed`` holds both)."""

    capture: CaptureInfo
    problems: list[Problem] = field(default_factory=list)
    connections: list[Connection] = field(default_factory=list)
    pairings: list[Pairing] = field(default_factory=list)
    encryptions: list[Encryption] = field(default_factory=list)
    att_errors: list[AttError] = field(default_factory=list)
    security_requests: list[SecurityProcedure] = field(default_factory=list)
    advertisers: list[Advertiser] = field(default_factory=list)
    monitor: list[MonitorEvent] = field(default_factory=list)
    # (frame, address) of each LE Create Connection; a hand-built analysis may give a list
    connect_attempts: Sequence[tuple[int, str]] = field(default_factory=FrameAddresses)
    problems_dropped: int = 0  # problems beyond the cap, counted but not kept
    att_errors_dropped: int = 0  # ATT errors of kinds beyond the cap, counted but not kept
    decryption: Any = None  # bpdiag.analysis.keys.Decryption when an air link was encrypted
    key_checks: list[Any] = field(default_factory=list)  # analysis.key_evidence.KeyCheck
    sniffer_bad_mic: int = 0  # packets the capture tool flagged encrypted with a bad MIC
    # (pairing, earlier pairing): a Pairing Response that came after the phase-2 PDUs of the
    # pairing before it on its link (which had no response), so it began a pairing of its own
    late_responses: list[tuple[int, int]] = field(default_factory=list)
    bredr_pairings: list[BredrPairing] = field(default_factory=list)  # analysis.bredr
    index: Any = field(default=None, repr=False, compare=False)  # analysis.index.index_of

    @property
    def failed(self) -> bool:
        """Exit status 1: a pairing (LE or BR/EDR) or an encryption failed."""
        return (
            any(p.outcome == Outcome.FAILED for p in self.pairings)
            or any(e.status != 0 for e in self.encryptions)
            or any(b.failed for b in self.bredr_pairings)
        )
