"""Following a capture while it is written (``analyze --follow``) or the kernel's HCI monitor
channel (``analyze --live``): each pairing's story and findings as soon as it ends.

- ``FollowFile`` reads a growing file: at its end it waits for more (a record half written
  is completed by the next write), until ``stop`` is set.  The readers are the usual ones.
- ``Tracker`` watches the analysis as PDUs arrive.  A pairing is reported when it fails; when
  it succeeded and ``SETTLE_S`` passed without another SMP PDU (phase 3 keys come after the
  encryption); when its link closes or another pairing starts on it; and when it has stood
  still for the SMP timeout (Vol 3, Part H, 3.4: 30 s) — measured on the capture's clock,
  which runs on with the wall clock while nothing arrives.  An unanswered Security Request
  is such a stalled pairing too.
- Ctrl-C (SIGINT) ends the reading cleanly; what was not reported yet and a summary follow,
  and the exit status is the usual one (docs/cli.md).
"""

from __future__ import annotations

import io
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bpdiag.analysis.builder import Analyzer
from bpdiag.analysis.index import connection_with
from bpdiag.analysis.model import Analysis, Outcome, Pairing, RequestOutcome, SecurityProcedure
from bpdiag.analysis.run import Reading
from bpdiag.analysis.verify import verify

if TYPE_CHECKING:
    from bpdiag.rules.diagnosis import Diagnosed

SMP_TIMEOUT_S = 30.0
SETTLE_S = 2.0
POLL_S = 0.2
SNIFF = 4096  # what Capture sniffs the format from


class FollowFile(io.RawIOBase):
    """A file read as it grows: at its end, ``read`` waits (calling ``idle`` every ``poll``
    seconds) until more is written or ``stop`` is set; then it ends the stream the way a file
    closed under the reader does (``ValueError``: the readers stop without a problem)."""

    def __init__(
        self,
        path: str,
        stop: threading.Event,
        idle: Callable[[], None] | None = None,
        poll: float = POLL_S,
    ) -> None:
        super().__init__()
        self._fd = os.open(path, os.O_RDONLY)
        self._stop = stop
        self._idle = idle
        self._poll = poll
        self._given = 0
        self._sniffing = True

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        view = memoryview(b).cast("B")
        while True:
            data = os.read(self._fd, len(view))
            if data:
                view[: len(data)] = data
                self._given += len(data)
                if self._given >= SNIFF:
                    self._sniffing = False
                return len(data)
            if self._sniffing and self._given:
                # The format is sniffed from up to 4 KiB; a smaller file so far ends the
                # sniff here (once), and every later read waits for the writer.
                self._sniffing = False
                return 0
            if self._stop.is_set():
                raise ValueError("following stopped")
            if self._idle is not None:
                self._idle()
            self._stop.wait(self._poll)

    def close(self) -> None:
        if not self.closed:
            os.close(self._fd)
        super().close()


class Tracker:
    """Reports each pairing of a growing analysis once, when it ends (see the module doc)."""

    def __init__(
        self,
        analyzer: Analyzer,
        emit: Callable[[Diagnosed, Pairing, str], None],
        clock: Callable[[], float] = time.monotonic,
        smp_timeout: float = SMP_TIMEOUT_S,
        emit_request: Callable[[Diagnosed, SecurityProcedure], None] | None = None,
    ) -> None:
        self.analyzer = analyzer
        self.emit = emit
        self.emit_request = emit_request
        self.requests_reported: set[int] = set()  # frames of Security Requests told
        self.clock = clock
        self.smp_timeout = smp_timeout
        self.reported: set[int] = set()
        self._open: list[Pairing] = []
        self._seen = 0
        self._newest: dict[int, int] = {}  # connection → its latest pairing
        self._last_time: float | None = None
        self._last_wall = 0.0
        self.lock = threading.Lock()

    def pdu(self, time_: float) -> None:
        """A PDU of capture time ``time_`` arrived."""
        self._last_time = time_
        self._last_wall = self.clock()
        self.check(time_)

    def idle(self) -> None:
        """Nothing arrived: the capture's clock runs on with the wall clock."""
        if self._last_time is not None:
            self.check(self._last_time + (self.clock() - self._last_wall))

    def check(self, now: float) -> None:
        analysis = self.analyzer.analysis
        self._check_requests(analysis, now)
        pairings = analysis.pairings
        if self._seen < len(pairings):
            for p in pairings[self._seen :]:
                self._open.append(p)
                self._newest[p.connection] = p.id
            self._seen = len(pairings)
        if not self._open:
            return
        conns = analysis.connections  # ids are 1, 2, … in order (the builder numbers them)
        still: list[Pairing] = []
        for p in self._open:
            i = p.connection - 1
            conn = conns[i] if 0 <= i < len(conns) and conns[i].id == p.connection else None
            why = self._ended(p, now, conn, self._newest.get(p.connection))
            if why is None:
                still.append(p)
            else:
                self._report(analysis, p, now, why)
        self._open = still

    def _check_requests(self, analysis: Analysis, now: float) -> None:
        """A Security Request nobody answered for the SMP timeout is told at that moment
        (Vol 3, Part H, 3.4): it is not a pairing, so it has its own report."""
        if self.emit_request is None:
            return
        pending = self.analyzer.pending_security_requests()
        told = [s for s in analysis.security_requests if s.outcome == RequestOutcome.UNANSWERED]
        for proc in pending + told:
            frame = proc.request.frame
            if frame in self.requests_reported or now - proc.time <= self.smp_timeout:
                continue
            self.requests_reported.add(frame)
            added = proc not in analysis.security_requests
            if added:
                analysis.security_requests.append(proc)
            try:
                from bpdiag.rules import run_rules
                from bpdiag.rules.diagnosis import Diagnosed, Diagnosis

                told_findings = [
                    f
                    for f in run_rules(analysis)
                    if f.connection == proc.connection
                    and f.pairing is None
                    and f.code == "security-request-ignored"
                ]
                self.emit_request(Diagnosed.of(analysis, Diagnosis(told_findings)), proc)
            finally:
                if added:
                    analysis.security_requests.remove(proc)

    def _ended(self, p: Pairing, now: float, conn: Any, newest: int | None) -> str | None:
        last = p.steps[-1].time if p.steps else None  # a Security Request is a step too
        if p.outcome == Outcome.FAILED:
            return "failed"
        if newest is not None and newest != p.id:
            return "superseded"
        if conn is not None and conn.disconnect_frame is not None:
            last_frame = p.frames[-1] if p.frames else p.first_frame
            if conn.disconnect_frame >= last_frame:
                return "disconnected"
        if last is None:
            return None
        if p.outcome == Outcome.SUCCESS:
            return "success" if now - last >= SETTLE_S else None
        if now - last > self.smp_timeout:
            return "timeout"
        return None

    def _report(self, analysis: Analysis, p: Pairing, now: float, why: str) -> None:
        conn = connection_with(analysis, p.connection)
        saved_last = analysis.capture.last_time
        analysis.capture.last_time = now
        verify(p, conn)
        from bpdiag.rules import run_rules
        from bpdiag.rules.diagnosis import Diagnosed, Diagnosis

        told = Diagnosis([f for f in run_rules(analysis) if f.pairing == p.id])
        try:
            self.emit(Diagnosed.of(analysis, told), p, why)
        finally:
            analysis.capture.last_time = saved_last
            p.checks = []  # finish() verifies every pairing once more
            p.numeric_value = None
        self.reported.add(p.id)


def run_follow(
    capture: str | None,
    live_dev: str | None,
    write_out: str | None,
    as_json: bool,
    show_keys: bool,
    smp_timeout: float = SMP_TIMEOUT_S,
) -> int:
    """The ``analyze --follow`` / ``--live`` loop; returns the exit status."""
    from bpdiag.diagnose import diagnose
    from bpdiag.errors import BpdiagError
    from bpdiag.report.follow_text import follow_summary, pairing_event, security_request_event

    stop = threading.Event()
    previous = signal.signal(signal.SIGINT, lambda *_: stop.set())
    reading: Reading | None = None
    tracker: list[Tracker] = []

    def emit(analysis: Diagnosed, p: Pairing, why: str) -> None:
        sys.stdout.write(pairing_event(analysis, p, why, as_json, show_keys))
        sys.stdout.flush()

    def emit_request(analysis: Diagnosed, proc: SecurityProcedure) -> None:
        sys.stdout.write(security_request_event(analysis, proc, as_json))
        sys.stdout.flush()

    def idle() -> None:
        if tracker:
            tracker[0].idle()

    try:
        if live_dev is not None:
            from bpdiag.capture.monitor_socket import (
                BtsnoopWriter,
                MonitorCapture,
                adapter_index,
                open_monitor_socket,
            )

            index = adapter_index(live_dev)
            sock = open_monitor_socket()
            writer = BtsnoopWriter(open(write_out, "wb")) if write_out else None  # noqa: SIM115
            cap: Any = MonitorCapture(sock, stop, index, writer, name=f"live {live_dev}")
            name = f"live {live_dev}"
        else:
            from bpdiag.capture import Capture

            assert capture is not None
            name = capture
            cap = Capture(capture, FollowFile(capture, stop, idle))  # type: ignore[arg-type]
        reading = Reading(name, capture=cap)
        for pdu, _conn in reading:
            if not tracker:
                assert reading.analyzer is not None  # open once it yields
                tracker.append(
                    Tracker(
                        reading.analyzer, emit, smp_timeout=smp_timeout, emit_request=emit_request
                    )
                )
            tracker[0].pdu(pdu.time)
            if live_dev is not None:
                tracker[0].idle()
    except BpdiagError as exc:
        sys.stderr.write(f"bpdiag: {capture or live_dev}: {exc}\n")
        return 2
    except OSError as exc:
        sys.stderr.write(f"bpdiag: {capture or live_dev}: {exc.strerror or exc}\n")
        return 2
    finally:
        signal.signal(signal.SIGINT, previous)
    if reading is None or reading.analyzer is None:
        return 2
    analysis = diagnose(reading.analysis)
    reported = tracker[0].reported if tracker else set()
    sys.stdout.write(follow_summary(analysis, reported, as_json, show_keys))
    sys.stdout.flush()
    return 1 if analysis.failed else 0
