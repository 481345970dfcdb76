"""BR/EDR (classic) pairing and authentication, from the HCI events a host's log shows.

Bluetooth Core Spec v5.4, Vol 4, Part E: a BR/EDR pairing happens below HCI (LMP), so a host
log sees only the controller's requests and the host's answers (7.7.22-7.7.24, 7.7.40-7.7.43;
7.1.10-7.1.13, 7.1.29, 7.1.31, 7.1.32, 7.1.36) and how it ended: Simple Pairing Complete (7.7.45)
and, on the side that asked for it (Authentication Requested, 7.1.15), Authentication
Complete (7.7.6).  Those messages are grouped here into attempts, one per peer address at a
time (the requests name the peer by BD_ADDR, and a Link Key Request may come before the
Connection Complete it belongs to):

- Authentication Requested, Link Key Request, PIN Code Request and IO Capability Request
  open an attempt unless one is open for the peer and has not ended yet;
- Authentication Complete ends it, as do the connection's Disconnection Complete and, on the
  responding side (no Authentication Complete comes), the next request after a Simple
  Pairing Complete.

Facts only: frames, codes and statuses (``BredrPairing``); ``rules.bredr`` words them.
"""

from __future__ import annotations

from bpdiag.analysis.model import BredrPairing, Connection
from bpdiag.decode import hci
from bpdiag.decode.pdu import Pdu

MAX_BREDR = 1000  # attempts kept whatever their end; failed ones beyond it up to twice that

# messages that open an attempt (or join the open one)
_OPENING = (
    hci.AuthenticationRequested,
    hci.LinkKeyRequest,
    hci.PinCodeRequest,
    hci.IoCapabilityRequest,
)
_REFUSALS = (
    hci.LinkKeyRequestNegativeReply,
    hci.PinCodeRequestNegativeReply,
    hci.IoCapabilityRequestNegativeReply,
    hci.UserConfirmationRequestNegativeReply,
)
MESSAGES = frozenset(
    {
        *_OPENING,
        *_REFUSALS,
        hci.AuthenticationComplete,
        hci.LinkKeyNotification,
        hci.LinkKeyRequestReply,
        hci.PinCodeRequestReply,
        hci.UserPasskeyRequestReply,
        hci.IoCapabilityRequestReply,
        hci.IoCapabilityResponse,
        hci.UserConfirmationRequest,
        hci.UserPasskeyRequest,
        hci.SimplePairingComplete,
    }
)
"""The message classes ``BredrTracker.feed`` takes (the builder tests ``type(msg) in``)."""


class BredrTracker:
    """Groups the BR/EDR pairing messages of one capture into ``BredrPairing`` attempts."""

    __slots__ = ("_late", "_open", "attempts")

    def __init__(self) -> None:
        self.attempts: list[BredrPairing] = []
        self._open: dict[object, BredrPairing] = {}  # peer address (or connection id) → attempt
        self._late: set[int] = set()  # id() of open attempts not kept when opened (the cap)

    @staticmethod
    def _key(msg: object, conn: Connection | None) -> object:
        addr = getattr(msg, "bd_addr", None)
        if addr is None and conn is not None:
            addr = conn.peripheral.address  # a BR/EDR Connection Complete's peer
        if addr is not None:
            return addr
        return ("connection", conn.id) if conn is not None else None

    def feed(self, pdu: Pdu, conn: Connection | None) -> None:
        m = pdu.msg
        key = self._key(m, conn)
        if key is None:
            return
        p = self._open.get(key)
        if isinstance(m, _OPENING) and p is not None and p.simple_pairing is not None:
            self._close(key)  # the responder's attempt ended at its Simple Pairing Complete
            p = None
        if p is None:
            p = BredrPairing(
                first_frame=pdu.frame,
                connection=None if conn is None else conn.id,
                peer_address=key if isinstance(key, str) else None,
            )
            self._open[key] = p
            if len(self.attempts) < MAX_BREDR:
                self.attempts.append(p)
            else:
                self._late.add(id(p))
        if p.connection is None and conn is not None:
            p.connection = conn.id  # the Link Key Request came before Connection Complete
        frame = pdu.frame
        if isinstance(m, hci.AuthenticationRequested):
            p.requested_frame = frame
        elif isinstance(m, _REFUSALS):
            p.refusals.append((frame, m.opcode, getattr(m, "reason", None)))
        elif isinstance(m, (hci.IoCapabilityRequest, hci.IoCapabilityRequestReply)):
            p.io_frames.append(frame)
            if isinstance(m, hci.IoCapabilityRequestReply):
                p.local_io = (m.io_capability, m.oob_data_present, m.auth_requirements)
        elif isinstance(m, hci.IoCapabilityResponse):
            p.io_frames.append(frame)
            p.peer_io = (m.io_capability, m.oob_data_present, m.auth_requirements)
        elif isinstance(m, hci.LinkKeyNotification):
            p.link_key_type = m.key_type
        elif isinstance(m, hci.LinkKeyRequestReply):
            p.key_given_frame = frame
        elif isinstance(m, hci.PinCodeRequestReply):
            p.pin_given_frame = frame
        elif isinstance(m, hci.UserPasskeyRequestReply):
            p.passkey_given_frame = frame
        elif isinstance(m, hci.SimplePairingComplete):
            p.simple_pairing = (frame, m.status)
        elif isinstance(m, hci.AuthenticationComplete):
            p.authentication = (frame, m.status)
            self._close(key)
            return
        else:  # the controller's requests: Link Key, PIN Code, User Confirmation / Passkey
            p.requests.append((frame, m.code))  # type: ignore[attr-defined]

    def connected(self, conn: Connection) -> None:
        """A BR/EDR connection began: an attempt open for its peer (a Link Key Request the
        controller sends before Connection Complete) is on it."""
        p = self._open.get(conn.peripheral.address) if self._open else None
        if p is not None and p.connection is None:
            p.connection = conn.id

    def disconnected(self, conn: Connection) -> None:
        """The connection ended: its attempt (if any) ends with it."""
        if not self._open:
            return
        for key in (conn.peripheral.address, ("connection", conn.id)):
            p = self._open.get(key)
            if p is not None and p.connection in (None, conn.id):
                p.disconnect_frame = conn.disconnect_frame
                self._close(key)

    def _close(self, key: object) -> None:
        p = self._open.pop(key)
        if id(p) in self._late:
            self._late.discard(id(p))
            if p.failed and len(self.attempts) < 2 * MAX_BREDR:
                self.attempts.append(p)

    def finish(self) -> list[BredrPairing]:
        for key in list(self._open):
            self._close(key)
        self.attempts.sort(key=lambda p: p.first_frame)
        return self.attempts
