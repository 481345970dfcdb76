"""Connections and pairing sessions, rebuilt from the stream of decoded PDUs.

The analyser is incremental: ``feed`` takes PDUs in capture order and keeps only what the
report needs (connections, pairings, encryptions, ATT errors), so memory does not grow with
the number of records.  The rules for grouping SMP PDUs into pairing attempts follow the
Security Manager's phases (Bluetooth Core Spec v5.4, Vol 3, Part H, 2.1):

- a Security Request (3.6.7) is held until the central answers it: a Pairing Request (or
  any other pairing PDU) opens an attempt that the Security Request joins; encryption with a
  stored key (2.4.6: a bonded device reconnecting), a disconnection or the end of the capture
  make it a ``SecurityProcedure`` instead, which is not a pairing;
- a Pairing Request (3.5.1) opens a new attempt;
- a Pairing Response (3.5.2) joins the open attempt unless it already has one;
- phase-2 PDUs join the open attempt (or open one when the capture missed its start);
- a Pairing Failed (3.5.5) ends the attempt; encryption that follows phase 2 closes phase 2,
  and the key distribution PDUs of phase 3 (3.6) join the attempt that was encrypted.

The initiator of LE pairing is always the central (2.1), so ``sent_by`` is derived from which
side of the connection sent the PDU.
"""

from __future__ import annotations

from typing import Any, cast

from bpdiag.analysis.bredr import MESSAGES as _BREDR_MESSAGES
from bpdiag.analysis.bredr import BredrTracker
from bpdiag.analysis.keys import note_decryption
from bpdiag.analysis.model import (
    Advertiser,
    Analysis,
    AttError,
    CaptureInfo,
    Connection,
    Encryption,
    Endpoint,
    Failure,
    Features,
    FrameAddresses,
    KeyDistributed,
    MonitorEvent,
    Pairing,
    RequestOutcome,
    Role,
    SecurityProcedure,
    SecurityRequest,
    Side,
    Step,
    Transport,
)
from bpdiag.analysis.pairing_method import method_for
from bpdiag.analysis.partial import infer_partial_method
from bpdiag.analysis.sender_order import infer_senders
from bpdiag.analysis.verify import verify
from bpdiag.capture.record import Direction, Problem, ProblemKind
from bpdiag.crypto.decryptor import LinkDecryptor
from bpdiag.crypto.keyring import Keyring
from bpdiag.decode import hci, ll, smp
from bpdiag.decode.hci import ErrorCode as Err
from bpdiag.decode.hci import status_name
from bpdiag.decode.monitor import MonitorOpcode, MonitorRecord
from bpdiag.decode.pdu import Layer, Pdu
from bpdiag.errors import Stage

MAX_PROBLEMS = 1000
_SHARED_ENDPOINTS = 4096  # the equal endpoints ``Analyzer._share`` looks for among
MAX_MONITOR = 20000  # monitor notes/logs/control records kept for the rules
MAX_ATT_ERRORS = 1000  # distinct ATT refusals kept (repeats of one are counted in it)
ATT_ERROR_FRAMES = 5  # frames kept per distinct ATT refusal

_KEY_NAMES: dict[int, str] = {
    smp.CommandCode.ENCRYPTION_INFORMATION: "LTK",
    smp.CommandCode.CENTRAL_IDENTIFICATION: "EDIV/Rand",
    smp.CommandCode.IDENTITY_INFORMATION: "IRK",
    smp.CommandCode.IDENTITY_ADDRESS_INFORMATION: "Identity Address",
    smp.CommandCode.SIGNING_INFORMATION: "CSRK",
}


# The hot path compares codes and directions with module constants: reading a member off an
# enum class costs about a microsecond, a global a few tens of nanoseconds.
_CC = smp.CommandCode
_PAIRING_REQUEST = int(_CC.PAIRING_REQUEST)
_PAIRING_RESPONSE = int(_CC.PAIRING_RESPONSE)
_PAIRING_CONFIRM = int(_CC.PAIRING_CONFIRM)
_PAIRING_RANDOM = int(_CC.PAIRING_RANDOM)
_PAIRING_FAILED = int(_CC.PAIRING_FAILED)
_PAIRING_PUBLIC_KEY = int(_CC.PAIRING_PUBLIC_KEY)
_PAIRING_DHKEY_CHECK = int(_CC.PAIRING_DHKEY_CHECK)
_PAIRING_KEYPRESS = int(_CC.PAIRING_KEYPRESS_NOTIFICATION)
_SECURITY_REQUEST = int(_CC.SECURITY_REQUEST)
_IDENTITY_ADDRESS = int(_CC.IDENTITY_ADDRESS_INFORMATION)
_PERIPHERAL_CODES = frozenset({_PAIRING_RESPONSE, _SECURITY_REQUEST})  # sent by a peripheral
_C_TO_P, _P_TO_C = Direction.C_TO_P, Direction.P_TO_C
_SENT, _RECEIVED = Direction.SENT, Direction.RECEIVED
_CENTRAL, _PERIPHERAL, _NOBODY = Role.CENTRAL, Role.PERIPHERAL, Role.UNKNOWN
_SIDES = {Role.CENTRAL: Side.INITIATOR, Role.PERIPHERAL: Side.RESPONDER}  # who sent → side
_SMP, _HCI, _LL, _ATT, _ADV, _MONITOR = (
    Layer.SMP,
    Layer.HCI,
    Layer.LL,
    Layer.ATT,
    Layer.ADV,
    Layer.MONITOR,
)
_SUCCESS = Err.SUCCESS


def _features(
    frame: int, cmd: smp.PairingRequest | smp.PairingResponse, seen: dict[tuple[Any, ...], Features]
) -> Features:
    """The features of a Pairing Request or Response; ``seen``: the features of an earlier
    PDU with the same fields, by those fields (a long log repeats a dozen offers)."""
    key = (
        *(cmd.io_capability, cmd.oob, cmd.auth_req, cmd.max_key_size),
        *(cmd.initiator_key_distribution, cmd.responder_key_distribution),
    )
    earlier = seen.get(key)
    if earlier is not None:
        return earlier.at(frame)
    if len(seen) < 4096:  # (bounded: a fuzzed log's offers could all differ)
        seen[key] = features = _offered(frame, cmd)
        return features
    return _offered(frame, cmd)


def _offered(frame: int, cmd: smp.PairingRequest | smp.PairingResponse) -> Features:
    return Features(
        frame=frame,
        io_capability=cmd.io_capability,
        io_capability_name=smp.io_capability_name(cmd.io_capability),
        oob=cmd.oob == 0x01,
        auth_req=cmd.auth_req,
        bonding=cmd.bonding,
        mitm=cmd.mitm,
        sc=cmd.sc,
        keypress=cmd.keypress,
        ct2=cmd.ct2,
        max_key_size=cmd.max_key_size,
        initiator_keys=(
            None  # cut by the log (Android's filtered snoop log): not in the capture
            if cmd.initiator_key_distribution is None
            else smp.key_distribution_names(cmd.initiator_key_distribution)
        ),
        responder_keys=(
            None  # cut by the log (btsnooz): not in the capture
            if cmd.responder_key_distribution is None
            else smp.key_distribution_names(cmd.responder_key_distribution)
        ),
    )


def _learn_identity(conn: Connection, sender: Role, cmd: smp.IdentityAddressInformation) -> None:
    """A side whose address the capture never gave (an Android snoop log has no Read BD_ADDR)
    names its identity address in Identity Address Information (Vol 3, Part H, 3.6.5)."""
    side = {_CENTRAL: conn.central, _PERIPHERAL: conn.peripheral}.get(sender)
    if side is None or side.address is not None or not any(cmd.address):
        return  # all zero: the log did not give the address (hcidump's text), not an identity
    side.address = smp.format_bd_addr(cmd.address)
    side.address_type = f"{smp.address_type_name(cmd.address_type)}-identity"


class Analyzer:
    """Feed PDUs in order, then ``finish()`` for the ``Analysis``."""

    def __init__(self, capture: CaptureInfo, keys: Keyring | None = None) -> None:
        self.analysis = Analysis(capture=capture)
        self.keys = keys if keys is not None else Keyring()
        self.keys.passkey_search.start_analysis()  # its budget is per analysis
        self.decryptor: LinkDecryptor | None = None  # set by analysis.run for air captures
        self._by_link: dict[Any, Connection] = {}
        # records the reader says are on a new link of their handle (ProblemKind.NEW_LINK)
        self._new_link_at: set[int] = set()
        self._links: dict[Any, Any] = {}  # each link tuple once (the connections share it)
        self._offers: dict[tuple[Any, ...], Features] = {}  # (_features)
        self._adapter_address: dict[int, str] = {}
        self._local_sides: dict[str, Endpoint] = {}  # the adapter's side by its address
        self._open: dict[int, Pairing] = {}  # connection id → pairing open for new PDUs
        self._last: dict[int, Pairing] = {}  # connection id → last pairing (for phase 3)
        self._enc_pending: dict[int, int] = {}  # connection id → frame of LL_ENC_REQ
        self._att_kinds: dict[tuple[Any, ...], AttError] = {}  # repeats of one ATT refusal
        # connection id → a Security Request not answered yet, with its ladder step
        self._now = 0.0  # time of the PDU being fed
        self._pending_sr: dict[int, tuple[SecurityProcedure, list[Step]]] = {}
        # PDUs whose sender was unknown when they came (local role learnt later)
        self._unresolved: list[tuple[Connection, Step, Failure | KeyDistributed | None, bool]] = []
        self._bredr = BredrTracker()  # BR/EDR pairing messages → attempts

    # ------------------------------------------------------------------ helpers
    def heed(self, problems: list[Problem]) -> None:
        """What a reader said of the record about to be fed, before its PDUs (they are
        added, in their order, after them): a record on a new link of its handle
        (ProblemKind.NEW_LINK) opens a connection with its first PDU on that handle."""
        for p in problems:
            if p.kind is ProblemKind.NEW_LINK and p.record is not None:
                self._new_link_at.add(p.record)

    def add_problems(self, problems: list[Problem]) -> None:
        room = MAX_PROBLEMS - len(self.analysis.problems)
        if room > 0:
            self.analysis.problems.extend(problems[:room])
        self.analysis.problems_dropped += max(0, len(problems) - max(room, 0))

    def connection_for(
        self, pdu: Pdu, *, create: bool = True, transport: Transport = Transport.LE
    ) -> Connection | None:
        """The connection of ``pdu``'s link (None: it names none), made with ``transport``
        if ``create`` and the log has none open on that link, or has just said the record is
        on a new link of its handle (``heed``)."""
        link = pdu.link
        if link is None:
            return None
        conn = self._by_link.get(link)
        if (
            conn is not None
            and self._new_link_at
            and pdu.frame in self._new_link_at
            and pdu.frame > conn.first_frame
        ):  # the log says this record is on another link than the one its handle had
            self._new_link_at.discard(pdu.frame)
            del self._by_link[link]
            self._open.pop(conn.id, None)
            conn = self._new_connection(link, pdu.frame, transport) if create else None
        if conn is None and create:
            conn = self._new_connection(link, pdu.frame, transport)
        if conn is not None and pdu.frame > conn.last_frame:
            conn.last_frame = pdu.frame
        return conn

    def _new_connection(
        self, link: Any, frame: int, transport: Transport = Transport.LE
    ) -> Connection:
        link = self._links.setdefault(link, link)  # one tuple per link: handles are reused
        conn = Connection(
            id=len(self.analysis.connections) + 1,
            link=link,
            transport=transport,
            first_frame=frame,
            last_frame=frame,
        )
        if link[0] == "hci":
            conn.handle = link[2]
            local = self._adapter_address.get(link[1])
            if local is not None:
                conn.central = Endpoint()  # filled once the role is known
        elif link[0] == "ll":
            conn.access_address = link[1]
        self.analysis.connections.append(conn)
        self._by_link[link] = conn
        return conn

    def _set_local_role(self, conn: Connection, role: Role) -> None:
        if conn.local_role is not None or not conn.host_log:
            return
        conn.local_role = role
        local = self._adapter_address.get(conn.link[1])
        if local is not None:
            side = conn.central if role == _CENTRAL else conn.peripheral
            if side.address is None and side.address_type is None and side.identity is None:
                # The adapter's side, as every connection of the adapter has it: one shared
                # Endpoint (nothing changes a public address's side later, and ``_share``
                # would make it one at the end; the fresh one dropped now leaves no hole
                # among the objects kept)
                shared = self._local_sides.get(local)
                if shared is None:
                    shared = self._local_sides[local] = Endpoint(local, "public")
                if role == _CENTRAL:
                    conn.central = shared
                else:
                    conn.peripheral = shared
            elif side.address is None:
                side.address = local
                side.address_type = "public"

    def _sender(self, conn: Connection, direction: Direction, code: int | None = None) -> Role:
        """Which side sent a PDU: "central", "peripheral" or "unknown"."""
        if direction is _C_TO_P:
            return _CENTRAL
        if direction is _P_TO_C:
            return _PERIPHERAL
        if direction is _SENT or direction is _RECEIVED:
            local_sent = direction is _SENT
            if conn.local_role is None and code is not None:
                # The SMP opcode tells the role of its sender (Vol 3, Part H, 3.5/3.6.7).
                if code == _PAIRING_REQUEST:
                    sender_central = True
                elif code in _PERIPHERAL_CODES:
                    sender_central = False
                else:
                    return _NOBODY
                self._set_local_role(
                    conn, _CENTRAL if sender_central == local_sent else _PERIPHERAL
                )
            if conn.local_role is None:
                return _NOBODY
            if conn.local_role == _CENTRAL:
                return _CENTRAL if local_sent else _PERIPHERAL
            return _PERIPHERAL if local_sent else _CENTRAL
        if code == _PAIRING_REQUEST:
            return _CENTRAL
        if code in _PERIPHERAL_CODES:
            return _PERIPHERAL
        return _NOBODY

    @staticmethod
    def _role_word(sender: Role) -> Side:
        return _SIDES.get(sender, Side.UNKNOWN)

    # ------------------------------------------------------------------ feeding
    def feed(self, pdu: Pdu) -> Connection | None:
        """Take one PDU; returns the connection it belongs to (if any)."""
        layer = pdu.layer
        self._now = pdu.time
        if layer == _SMP:
            return self._smp(pdu)
        if layer == _HCI:
            return self._hci(pdu)
        if layer == _LL:
            return self._ll(pdu)
        if layer == _ATT:
            return self._att(pdu)
        if layer == _ADV:
            return self._adv(pdu)
        if layer == _MONITOR:
            self._monitor(pdu)
        return None

    # SMP ---------------------------------------------------------------------
    def _new_pairing(self, conn: Connection, frame: int) -> Pairing:
        n = len(self.analysis.pairings) + 1
        conns = self.analysis.connections
        # the int object of connection n's id, where there is one: a long log numbers tens
        # of thousands of each, and an int kept apart is 32 bytes
        pid = conns[n - 1].id if n <= len(conns) and conns[n - 1].id == n else n
        p = Pairing(id=pid, connection=conn.id, first_frame=frame)
        self.analysis.pairings.append(p)
        self._open[conn.id] = p
        self._last[conn.id] = p
        return p

    def _smp(self, pdu: Pdu) -> Connection | None:
        conn = self.connection_for(pdu)
        if conn is None:
            return None
        cmd = pdu.msg
        code = pdu.opcode
        sender = self._sender(conn, pdu.direction, code)
        if code == _SECURITY_REQUEST:
            # Held as a ``Step`` until the central answers (a pairing then takes it)
            sr_step = Step(pdu.frame, pdu.time, sender, code, cmd.name, cmd, pdu.decrypted)
            p = self._open.get(conn.id)
            sr = cast(smp.SecurityRequest, cmd)
            if (
                p is not None
                and p.failure is None
                and p.encrypted_frame is None
                and (p.request is not None or p.response is not None)
            ):
                # It crossed the central's Pairing Request: part of the pairing under way.
                if p.security_request is None:
                    p.security_request = SecurityRequest(
                        pdu.frame, sr.auth_req, sr.bonding, sr.mitm, sr.sc
                    )
                self._note_unresolved(conn, p.steps.take(sr_step), None, pdu.direction)
                return conn
            held = self._pending_sr.get(conn.id)
            if held is None:
                proc = SecurityProcedure(
                    conn.id,
                    SecurityRequest(pdu.frame, sr.auth_req, sr.bonding, sr.mitm, sr.sc),
                    pdu.time,
                )
                self._pending_sr[conn.id] = (proc, [sr_step])
            else:
                held[0].repeats += 1
                held[1].append(sr_step)
            self._note_unresolved(conn, sr_step, None, pdu.direction)
            return conn
        p = self._open.get(conn.id)
        held = self._pending_sr.pop(conn.id, None) if code not in _KEY_NAMES else None
        if held is not None:
            # The central answered the Security Request by pairing (or refusing to).
            proc, sr_steps = held
            p = self._new_pairing(conn, proc.request.frame)
            p.security_request = proc.request
            for s in sr_steps:
                p.steps.take(s)
        failure_or_key: Failure | KeyDistributed | None = None
        if code == _PAIRING_REQUEST:
            if held is None and (
                p is None
                or p.request is not None
                or p.response is not None
                or p.phase2_started
                or p.encrypted_frame is not None
            ):
                p = self._new_pairing(conn, pdu.frame)
            p = cast(Pairing, p)
            p.request = _features(pdu.frame, cast(smp.PairingRequest, cmd), self._offers)
        elif code == _PAIRING_RESPONSE:
            if p is None or p.response is not None or p.phase2_started:
                before = p
                p = self._new_pairing(conn, pdu.frame)
                if (
                    before is not None
                    and before.response is None
                    and before.phase2_started
                    and before.failure is None
                ):  # out of SMP's order: phase 2 ran before this response
                    self.analysis.late_responses.append((p.id, before.id))
            p.response = _features(pdu.frame, cast(smp.PairingResponse, cmd), self._offers)
        elif code in _KEY_NAMES:
            p = self._last.get(conn.id)
            if p is None:
                p = self._new_pairing(conn, pdu.frame)
            failure_or_key = KeyDistributed(pdu.frame, self._role_word(sender), _KEY_NAMES[code])
            p.add_key(failure_or_key)
            if code == _IDENTITY_ADDRESS:
                _learn_identity(conn, sender, cast(smp.IdentityAddressInformation, cmd))
        else:
            if p is None:
                p = self._new_pairing(conn, pdu.frame)
            if code == _PAIRING_CONFIRM:
                p.confirms += 1
            elif code == _PAIRING_RANDOM:
                p.randoms += 1
            elif code == _PAIRING_PUBLIC_KEY:
                p.public_keys += 1
            elif code == _PAIRING_DHKEY_CHECK:
                p.dhkey_checks += 1
            elif code == _PAIRING_KEYPRESS:
                p.keypresses += 1
            elif code == _PAIRING_FAILED:
                reason = cast(smp.PairingFailed, cmd).reason
                if p.failure is None:
                    p.failure = Failure(
                        reason,
                        smp.error_name(reason),
                        self._role_word(sender),
                        pdu.frame,
                    )
                    p.ended_frame = pdu.frame
                    failure_or_key = p.failure
                self._open.pop(conn.id, None)
        step = p.steps.record(pdu.frame, pdu.time, sender, code, cmd, pdu.decrypted)
        self._note_unresolved(conn, step, failure_or_key, pdu.direction)
        if p.request is not None and p.response is not None and p.method is None:
            self._choose_method(p)
        return conn

    def _note_unresolved(
        self,
        conn: Connection,
        step: Step | None,
        also: Failure | KeyDistributed | None,
        direction: Direction,
    ) -> None:
        """Keep a PDU whose sender waits for the local role (HCI logs that start mid-link);
        ``step`` is None for one packed with its sender known."""
        if step is None:
            return
        if step.sender == _NOBODY and (direction is _SENT or direction is _RECEIVED):
            self._unresolved.append((conn, step, also, direction is _SENT))

    def _resolve_senders(self) -> None:
        """Who sent what, once the local role is known: the side that sent the Pairing
        Request is the central, the side that received a Security Request too (Vol 3,
        Part H, 2.1 and 3.6.7)."""
        for conn, step, also, local_sent in self._unresolved:
            if conn.local_role is None:
                if isinstance(also, Failure):
                    also.sender_unknown = "local-role-unknown"
                    also.local = local_sent
                continue
            local_is_central = conn.local_role == _CENTRAL
            step.sender = _CENTRAL if local_sent == local_is_central else _PERIPHERAL
            if also is not None:
                also.sent_by = self._role_word(step.sender)
        self._unresolved.clear()

    def _close_security_request(
        self,
        conn: Connection,
        outcome: RequestOutcome,
        frame: int,
        time: float,
        status: int | None = None,
    ) -> None:
        """The central answered a held Security Request without pairing (or the link ended)."""
        held = self._pending_sr.get(conn.id)
        if held is None:
            return
        proc = held[0]
        if outcome == RequestOutcome.ENCRYPTION_REFUSED:
            # The stored key was refused; a pairing may still follow and adopt the request.
            proc.outcome, proc.answer_frame, proc.answer_time = outcome, frame, time
            proc.encryption_status = status
            return
        self._pending_sr.pop(conn.id, None)
        if not (
            outcome == RequestOutcome.DISCONNECTED
            and proc.outcome == RequestOutcome.ENCRYPTION_REFUSED
        ):
            proc.outcome, proc.answer_frame, proc.answer_time = outcome, frame, time
            proc.encryption_status = (
                status if outcome == RequestOutcome.ENCRYPTED else proc.encryption_status
            )
        self.analysis.security_requests.append(proc)

    @staticmethod
    def _choose_method(p: Pairing) -> None:
        req, rsp = p.request, p.response
        if req is None or rsp is None:
            return
        p.secure_connections = req.sc and rsp.sc
        choice = method_for(req, rsp)
        if choice is not None:
            p.method = choice.method
            p.method_because = choice.because
            p.passkey_displayed_by = choice.passkey_displayed_by

    # Encryption --------------------------------------------------------------
    def _encryption(
        self,
        conn: Connection,
        frame: int,
        status: int,
        how: str,
        key_size: int | None = None,
    ) -> None:
        """Record an encryption start (status 0) or refusal; ``how`` starts with its layer."""
        p = self._open.get(conn.id)
        after = (
            p is not None
            and p.encrypted_frame is None
            and p.failure is None
            and (p.request is not None or p.response is not None or p.phase2_started)
        )
        enc = Encryption(
            connection=conn.id,
            frame=frame,
            status=status,
            status_name=status_name(status),
            after_pairing=after,
            pairing=p.id if after and p is not None else None,
            how=how,
            key_size=key_size,
        )
        self.analysis.encryptions.append(enc)
        if status == _SUCCESS:
            conn.encrypted = True
        if not after and conn.id in self._pending_sr:
            t = self._now
            if status == _SUCCESS:
                self._close_security_request(conn, RequestOutcome.ENCRYPTED, frame, t, 0)
            else:
                self._close_security_request(
                    conn, RequestOutcome.ENCRYPTION_REFUSED, frame, t, status
                )
        if after and p is not None:
            if status == _SUCCESS:
                p.encrypted_frame = frame
                p.encryption_status = _SUCCESS
            else:
                p.encryption_status = status
                p.failure = Failure(
                    status,
                    status_name(status),
                    Side.RESPONDER,
                    frame,
                    layer=Layer(how.split("-", 1)[0]),
                )
                self._open.pop(conn.id, None)
            p.ended_frame = frame

    def _note_early_encryption(self, conn: Connection, frame: int) -> None:
        """Encryption requested while a pairing on the link has not run phase 2."""
        p = self._open.get(conn.id)
        if (
            p is not None
            and p.failure is None
            and p.encrypted_frame is None
            and (p.request is not None or p.response is not None)
            and not p.phase2_started
            and p.early_encryption_request is None
        ):
            p.early_encryption_request = frame

    # ATT ---------------------------------------------------------------------
    def _att(self, pdu: Pdu) -> Connection | None:
        conn = self.connection_for(pdu)
        m = pdu.msg
        last = self._last.get(conn.id) if conn is not None else None
        cid = None if conn is None else conn.id
        encrypted = bool(conn and conn.encrypted)
        after = None if last is None else last.id
        kind = (cid, m.request_opcode, m.handle, m.error_code, encrypted, after)  # type: ignore[attr-defined]
        seen = self._att_kinds.get(kind)
        if seen is not None:  # the same refusal again: count it, keep its first frames
            seen.count += 1
            if len(seen.frames) < ATT_ERROR_FRAMES:
                seen.frames.append(pdu.frame)
            return conn
        if len(self._att_kinds) >= MAX_ATT_ERRORS:
            self.analysis.att_errors_dropped += 1
            return conn
        err = AttError(
            connection=cid,
            frame=pdu.frame,
            request_frame=pdu.answers or None,
            request_opcode=m.request_opcode,  # type: ignore[attr-defined]
            request_name=m.fields().get("request_name", ""),  # type: ignore[arg-type]
            handle=m.handle,  # type: ignore[attr-defined]
            error=m.error_code,  # type: ignore[attr-defined]
            error_name=m.fields().get("error_name", ""),  # type: ignore[arg-type]
            encrypted=encrypted,
            after_pairing=after,
            frames=[pdu.frame],
        )
        self._att_kinds[kind] = err
        self.analysis.att_errors.append(err)
        return conn

    # Advertising / air -------------------------------------------------------
    def _adv(self, pdu: Pdu) -> Connection | None:
        m = pdu.msg
        if isinstance(m, ll.ConnectInd):
            link = pdu.link
            old = self._by_link.pop(link, None)
            if old is not None:
                old.last_frame = max(old.last_frame, pdu.frame - 1)
            conn = self._new_connection(link, pdu.frame)
            conn.established_frame = pdu.frame
            conn.central = Endpoint(m.init_address, "random" if m.init_address_type else "public")
            conn.peripheral = Endpoint(m.adv_address, "random" if m.adv_address_type else "public")
            return conn
        if isinstance(m, ll.AdvPdu):
            self.analysis.advertisers.append(
                Advertiser(m.adv_address, pdu.frame, m.flags, m.local_name)
            )
        return None

    def _ll(self, pdu: Pdu) -> Connection | None:
        conn = self.connection_for(pdu)
        m = pdu.msg
        if conn is None or not isinstance(m, ll.LlControl):
            return conn
        op, Op = m.opcode, ll.ControlOpcode
        if op == Op.LL_ENC_REQ:
            self._enc_pending[conn.id] = pdu.frame
            self._note_early_encryption(conn, pdu.frame)
        elif op == Op.LL_START_ENC_REQ:  # the peripheral has the key; encryption starts
            self._enc_pending.pop(conn.id, None)
            self._encryption(conn, pdu.frame, _SUCCESS, "ll-start-enc")
        elif op in (Op.LL_REJECT_IND, Op.LL_REJECT_EXT_IND) and conn.id in self._enc_pending:
            rejected = m.reject_opcode
            if rejected is None or rejected == Op.LL_ENC_REQ:
                self._enc_pending.pop(conn.id, None)
                code = m.error_code if m.error_code is not None else Err.UNSPECIFIED_ERROR
                self._encryption(conn, pdu.frame, code, "ll-reject")
        elif op == Op.LL_TERMINATE_IND:
            code = m.error_code if m.error_code is not None else _SUCCESS
            if code == Err.CONNECTION_TERMINATED_DUE_TO_MIC_FAILURE:
                self._encryption(conn, pdu.frame, code, "ll-terminate-mic-failure")
            conn.disconnect_reason = code
            conn.disconnect_reason_name = hci.status_name(code)
            conn.disconnect_frame = pdu.frame
            conn.disconnect_time = pdu.time
            self._close_security_request(conn, RequestOutcome.DISCONNECTED, pdu.frame, pdu.time)
            conn.disconnected_by = (
                _CENTRAL
                if pdu.direction is Direction.C_TO_P
                else _PERIPHERAL
                if pdu.direction is Direction.P_TO_C
                else None
            )
            self._open.pop(conn.id, None)
        return conn

    def _hci(self, pdu: Pdu) -> Connection | None:
        m = pdu.msg
        conn: Connection | None  # a new connection, or the one the message is about
        if isinstance(m, (hci.LeConnectionComplete, hci.ConnectionComplete)):
            if m.status != _SUCCESS or pdu.link is None:
                return None
            old = self._by_link.pop(pdu.link, None)
            if old is not None and old.disconnect_frame is None:
                old.last_frame = max(old.last_frame, pdu.frame - 1)
            transport = (
                Transport.LE if isinstance(m, hci.LeConnectionComplete) else Transport.BR_EDR
            )
            conn = self._new_connection(pdu.link, pdu.frame, transport)
            conn.established_frame = pdu.frame
            if isinstance(m, hci.LeConnectionComplete):
                role = _CENTRAL if m.role == 0 else _PERIPHERAL
                peer = conn.peripheral if role == _CENTRAL else conn.central
                peer.address = m.peer_address
                peer.address_type = hci.address_type_name(m.peer_address_type)
                self._set_local_role(conn, role)
            else:
                conn.peripheral.address = m.peer_address
                self._bredr.connected(conn)
            return conn
        if type(m) in _BREDR_MESSAGES:
            return self._bredr_message(pdu)
        if isinstance(m, hci.LeCreateConnection):
            cast(FrameAddresses, self.analysis.connect_attempts).append((pdu.frame, m.peer_address))
            return None
        if isinstance(m, hci.CommandComplete):
            if m.bd_addr is not None and m.status == _SUCCESS:
                self._adapter_address[pdu.link[1] if pdu.link else 0] = m.bd_addr
            return None
        conn = self.connection_for(pdu)
        if conn is None:
            return None
        if isinstance(m, hci.DisconnectionComplete):
            mic = Err.CONNECTION_TERMINATED_DUE_TO_MIC_FAILURE
            if m.status == _SUCCESS and m.reason == mic:
                # The link died on a MIC failure: encryption did not work.
                self._encryption(conn, pdu.frame, mic, "hci-disconnect-mic-failure")
            if m.status == _SUCCESS:
                conn.disconnect_reason = m.reason
                conn.disconnect_reason_name = hci.status_name(m.reason)
                conn.disconnect_frame = pdu.frame
                conn.disconnect_time = pdu.time
                self._close_security_request(conn, RequestOutcome.DISCONNECTED, pdu.frame, pdu.time)
                self._by_link.pop(pdu.link, None)
                self._open.pop(conn.id, None)
                self._bredr.disconnected(conn)
        elif isinstance(m, hci.EncryptionChange):
            if m.status != _SUCCESS or m.encryption_enabled:
                self._encryption(conn, pdu.frame, m.status, "hci-encryption-change", m.key_size)
            else:
                conn.encrypted = False
        elif isinstance(m, hci.EncryptionKeyRefreshComplete):
            self._encryption(conn, pdu.frame, m.status, "hci-key-refresh")
        elif isinstance(m, hci.CommandStatus):
            layout = hci.COMMANDS.get(m.opcode)  # the command it answers, by its declaration
            if m.status != _SUCCESS and layout is not None and layout.cls is hci.LeEnableEncryption:
                self._encryption(conn, pdu.frame, m.status, "hci-start-encryption-status")
        elif isinstance(m, hci.LeLtkNegativeReply):
            # The local host (a peripheral) has no key for the central's LTK request.
            self._set_local_role(conn, _PERIPHERAL)
            self._encryption(conn, pdu.frame, Err.PIN_OR_KEY_MISSING, "hci-ltk-negative-reply")
        elif isinstance(m, hci.LeLtkRequest):
            self._set_local_role(conn, _PERIPHERAL)
        elif isinstance(m, hci.LeEnableEncryption):
            self._set_local_role(conn, _CENTRAL)
            self._note_early_encryption(conn, pdu.frame)
        return conn

    def _bredr_message(self, pdu: Pdu) -> Connection | None:
        """A BR/EDR pairing message (``analysis.bredr``).  One that names a handle
        (Authentication Requested / Complete) makes the connection if the log missed its
        Connection Complete — a BR/EDR one; one that names the peer by address joins the
        connection the stream found for it, else none."""
        conn = self.connection_for(pdu, transport=Transport.BR_EDR)
        self._bredr.feed(pdu, conn)
        return conn

    def _monitor(self, pdu: Pdu) -> None:
        m = pdu.msg
        if not isinstance(m, MonitorRecord):
            return
        if m.opcode in (MonitorOpcode.NEW_INDEX, MonitorOpcode.INDEX_INFO):  # the adapter's address
            addr = m.get("address")
            if isinstance(addr, str) and addr != "00:00:00:00:00:00":
                self._adapter_address[m.adapter] = addr
        if len(self.analysis.monitor) < MAX_MONITOR:
            self.analysis.monitor.append(
                MonitorEvent(pdu.frame, pdu.time, m.adapter, m.opcode, m.name, m.fields())
            )

    # ------------------------------------------------------------------ finish
    def pending_security_requests(self) -> list[SecurityProcedure]:
        """Security Requests not answered yet (``bpdiag analyze --follow`` reports one that
        stays unanswered for the SMP timeout)."""
        return [proc for proc, _steps in self._pending_sr.values()]

    def finish(self, *, checks: bool = True) -> Analysis:
        """The analysis, complete.  ``checks=False`` leaves out what only findings read: each
        pairing's recomputed confirms, DHKey checks and recovered TKs (``verify``, with its
        passkey search); ``dump`` prints PDUs and an exit status, neither of which they move."""
        if self.analysis.att_errors_dropped:
            self.add_problems(
                [
                    Problem(
                        None,
                        None,
                        f"{self.analysis.att_errors_dropped} ATT Error Responses were counted "
                        f"but not kept: only {MAX_ATT_ERRORS} distinct refusals (request, "
                        "handle, error, connection) are analysed",
                        Stage.ATT,
                    )
                ]
            )
        self.analysis.bredr_pairings = self._bredr.finish()
        self._drop_feeding_state()
        conns = self.analysis.connections
        n = len(conns)

        def connection(cid: int) -> Connection | None:
            """The connection with id ``cid``: the ``cid``-th, as ``_new_connection`` numbers
            them (no map of them all, made and dropped here on a long log)."""
            c = conns[cid - 1] if 0 < cid <= n else None
            return c if c is not None and c.id == cid else None

        self._resolve_senders()
        for p in self.analysis.pairings:
            c = connection(p.connection)  # what the capture's directions did not tell:
            lossless = c is not None and c.host_log
            infer_senders(p, lossless)
            f = p.failure
            if f is not None and f.sent_by == Side.UNKNOWN and f.sender_unknown is None:
                f.sender_unknown = "no-direction" if lossless else "no-direction-air"
        for proc, _steps in self._pending_sr.values():
            self.analysis.security_requests.append(proc)
        self._pending_sr.clear()
        self.analysis.security_requests.sort(key=lambda s: s.request.frame)
        for p in self.analysis.pairings:
            if p.secure_connections is None and p.public_keys:
                p.secure_connections = True
            if checks:
                verify(p, connection(p.connection), self.keys)
            if p.method is None:
                infer_partial_method(p)
        note_decryption(self.analysis, self.decryptor, self.keys)
        self._share()
        return self.analysis

    def _drop_feeding_state(self) -> None:
        """Free what only feeding reads (the links open, the pairing open and the last one
        per connection, the offers and refusals seen): on a long log these maps hold an
        entry per connection, and ``finish`` goes on to the checks and the passkey search
        with them otherwise still held."""
        for state in (
            self._by_link,
            self._new_link_at,
            self._links,
            self._offers,
            self._local_sides,
            self._open,
            self._last,
            self._enc_pending,
            self._att_kinds,
        ):
            state.clear()

    def _share(self) -> None:
        """Once nothing more is added, equal endpoints become one shared ``Endpoint`` (not
        changed in place from here on): a long log keeps tens of thousands of connections,
        most with one empty side.  (Packing the steps tight here, bytes for bytearrays, was
        tried: on 1M records the copies left the peak 4 MiB higher, not lower.)"""
        analysis = self.analysis
        # the endpoints seen last (bounded: a map of every endpoint of a long log, most of
        # them its peers' own, was the largest block this made, left free once it was done)
        endpoints: dict[tuple[str | None, str | None, str | None], Endpoint] = {}
        for c in analysis.connections:
            if len(endpoints) >= _SHARED_ENDPOINTS:
                endpoints.clear()
            central, peripheral = c.central, c.peripheral
            c.central = endpoints.setdefault(
                (central.address, central.address_type, central.identity), central
            )
            c.peripheral = endpoints.setdefault(
                (peripheral.address, peripheral.address_type, peripheral.identity), peripheral
            )


__all__ = ["Advertiser", "Analyzer"]
