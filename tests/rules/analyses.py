"""Hand-built analyses for rule unit tests: connections, pairings and the analysis holding
them, with only the fields a rule reads set (bpdiag.analysis.model)."""

from __future__ import annotations

from bpdiag.analysis.model import (
    Analysis,
    AttError,
    CaptureInfo,
    Connection,
    Endpoint,
    Failure,
    Features,
    Pairing,
    Step,
)
from bpdiag.decode import smp
from bpdiag.rules import run_rules

PEER = "F0:0D:00:00:00:02"


def _conn(cid: int, peer: str = PEER, **kw: object) -> Connection:
    c = Connection(
        id=cid,
        link=("hci", 0, cid),
        transport="le",
        first_frame=cid * 100,
        last_frame=cid * 100 + 99,
        central=Endpoint("C0:FF:EE:00:00:01", "public"),
        peripheral=Endpoint(peer, "random"),
        local_role="central",
    )
    for k, v in kw.items():
        setattr(c, k, v)
    return c


def _features(frame: int, io: int = 0x04, auth: int = 0x09) -> Features:
    return Features(
        frame, io, smp.io_capability_name(io), False, auth, bool(auth & 1), bool(auth & 4),
        bool(auth & 8), False, False, 16, ["EncKey"], ["EncKey"],
    )  # fmt: skip


def _step(frame: int, t: float, name: str = "Pairing Request", sender: str = "central") -> Step:
    return Step(frame, t, sender, 1, name, None)


def _pairing(
    pid: int,
    cid: int,
    *,
    request: bool = True,
    response: bool = False,
    failure: tuple[int, str] | None = None,
    success: bool = False,
    t: float | None = None,
    auth: int = 0x09,
) -> Pairing:
    base = cid * 100 + pid
    p = Pairing(id=pid, connection=cid, first_frame=base)
    time = float(base) if t is None else t
    if request:
        p.request = _features(base, auth=auth)
        p.steps.append(_step(base, time))
        p.frames.append(base)
    if response:
        p.response = _features(base + 1, io=0x03, auth=auth)
        p.steps.append(_step(base + 1, time + 0.01, "Pairing Response", "peripheral"))
        p.frames.append(base + 1)
    if success:
        p.confirms = p.randoms = 2
        p.encrypted_frame = base + 5
    if failure is not None:
        reason, by = failure
        p.failure = Failure(reason, f"reason {reason}", by, base + 2)
        p.steps.append(_step(base + 2, time + 0.02, "Pairing Failed", "peripheral"))
        p.frames.append(base + 2)
    return p


def _analysis(conns: list[Connection], pairings: list[Pairing], **kw: object) -> Analysis:
    a = Analysis(capture=CaptureInfo("t", "btsnoop", 1002, "H4"))
    a.connections, a.pairings = conns, pairings
    for k, v in kw.items():
        setattr(a, k, v)
    return a


def _codes(a: Analysis) -> list[str]:
    return [f.code for f in run_rules(a)]


def _att_error(
    frame: int,
    *,
    encrypted: bool = False,
    count: int = 1,
    handle: int = 0x002A,
    request_frame: int | None = None,
) -> AttError:
    """Insufficient Authentication (0x05) refusing a Read Request, ``count`` times two frames
    apart from ``frame``."""
    return AttError(
        connection=1,
        frame=frame,
        request_frame=request_frame,
        request_opcode=0x0A,
        request_name="Read Request",
        handle=handle,
        error=0x05,
        error_name="Insufficient Authentication",
        encrypted=encrypted,
        after_pairing=None,
        count=count,
        frames=[frame + 2 * i for i in range(count)],
    )
