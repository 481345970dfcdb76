"""Following a growing capture and the HCI monitor channel: a writer appends records (half a
record at a time) while bpdiag follows; the finding appears before the writer stops; Ctrl-C
(SIGINT) ends cleanly with the usual status; a stalled pairing is the SMP timeout."""

from __future__ import annotations

import os
import select
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from bpdiag.analysis.run import Reading
from bpdiag.capture import Capture
from bpdiag.capture.monitor_socket import BtsnoopWriter, MonitorCapture, open_monitor_socket
from bpdiag.errors import UnreadableCapture
from bpdiag.follow import FollowFile, Tracker

ROOT = Path(__file__).resolve().parents[1]
CAPS = ROOT / "captures"
EPOCH = 0x00DCDDB30F2F8000


def _records(data: bytes) -> list[bytes]:
    pos, out = 16, []
    while pos < len(data):
        incl = struct.unpack_from(">I", data, pos + 4)[0]
        out.append(data[pos : pos + 24 + incl])
        pos += 24 + incl
    return out


def _read_until(proc: subprocess.Popen[bytes], needle: bytes, timeout: float) -> bytes:
    assert proc.stdout is not None
    got = b""
    end = time.monotonic() + timeout
    fd = proc.stdout.fileno()
    while needle not in got and time.monotonic() < end:
        r, _, _ = select.select([fd], [], [], 0.2)
        if r:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            got += chunk
    return got


def test_follow_reports_the_failure_before_the_writer_stops(tmp_path: Path) -> None:
    data = (CAPS / "dhkey_check_failed.btsnoop").read_bytes()
    recs = _records(data)
    path = tmp_path / "growing.btsnoop"
    path.write_bytes(data[:16])
    proc = subprocess.Popen(
        [sys.executable, "-m", "bpdiag", "analyze", "--follow", str(path)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    stop_writing = threading.Event()
    written = []

    def writer() -> None:
        with open(path, "ab") as f:
            for r in recs:
                half = len(r) // 2
                f.write(r[:half])  # half a record, then the rest
                f.flush()
                time.sleep(0.01)
                f.write(r[half:])
                f.flush()
                written.append(1)
            # Keep "writing" (nothing more to say) until told to stop.
            stop_writing.wait(30)

    t = threading.Thread(target=writer)
    t.start()
    try:
        seen = _read_until(proc, b"dhkey-check-failed", 30)
        assert b"dhkey-check-failed" in seen
        assert not stop_writing.is_set()  # the writer has not stopped
    finally:
        stop_writing.set()
        t.join()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 1, err  # a pairing failed: the usual status
    assert b"Summary: 49 records, 1 failed." in seen + out
    assert err == b""


def _wait_until_open(proc: subprocess.Popen[bytes], path: Path, timeout: float = 60) -> None:
    """Until the process holds ``path`` open: run_follow sets its SIGINT handler before it
    opens the capture, so a SIGINT from then on is the follow loop's to handle (a fixed sleep
    raced the interpreter's start on a loaded machine)."""
    fds = Path(f"/proc/{proc.pid}/fd")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if any(os.readlink(fds / fd) == str(path) for fd in os.listdir(fds)):
                return
        except OSError:
            pass  # an fd closed while we looked
        time.sleep(0.05)
    raise AssertionError(f"bpdiag did not open {path} within {timeout} s")


def test_follow_sigint_with_nothing_written_exits_cleanly(tmp_path: Path) -> None:
    path = tmp_path / "empty.btsnoop"
    path.write_bytes(b"btsnoop\x00" + struct.pack(">II", 1, 1002))
    proc = subprocess.Popen(
        [sys.executable, "-m", "bpdiag", "analyze", "--follow", str(path)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    _wait_until_open(proc, path)
    time.sleep(0.5)  # a few polls of the empty file
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert b"Summary: 0 records, no pairing." in out


def _stalled_capture(path: Path, gap_s: float) -> int:
    """The pairing of sc_justworks_success cut after its Pairing Request, then one HCI event
    ``gap_s`` later (capture time).  Returns the Pairing Request's frame."""
    data = (CAPS / "sc_justworks_success.btsnoop").read_bytes()
    recs = _records(data)
    cap = Capture(CAPS / "sc_justworks_success.btsnoop")
    with cap:
        frames = list(cap)
    from bpdiag.analysis.run import Reading

    a = Reading(CAPS / "sc_justworks_success.btsnoop").analyse()
    req = a.pairings[0].request
    assert req is not None
    keep = recs[: req.frame]
    last_ts = struct.unpack_from(">q", keep[-1], 16)[0]
    # An HCI event (Number Of Completed Packets, no handles) gap_s later.
    event = b"\x04\x13\x01\x00"
    rec = struct.pack(">IIIIq", len(event), len(event), 1, 0, last_ts + int(gap_s * 1e6)) + event
    path.write_bytes(data[:16] + b"".join(keep) + rec)
    assert frames
    return req.frame


def _tracked(path: Path, emit: Any, **kw: Any) -> Tracker:
    """Feed every PDU of ``path`` to a Tracker of its Analyzer, made at the first PDU as
    run_follow makes it."""
    tracker: list[Tracker] = []
    reading = Reading(path)
    for pdu, _ in reading:
        if not tracker:
            assert reading.analyzer is not None
            tracker.append(Tracker(reading.analyzer, emit, **kw))
        tracker[0].pdu(pdu.time)
    return tracker[0]


def test_tracker_reports_the_smp_timeout_on_the_capture_clock(tmp_path: Path) -> None:
    path = tmp_path / "stalled.btsnoop"
    _stalled_capture(path, 31.0)
    events: list[tuple[int, str, list[str]]] = []
    tracker = _tracked(
        path, lambda a, p, why: events.append((p.id, why, [f.code for f in a.findings]))
    )
    # The Number Of Completed Packets event is not a PDU bpdiag decodes: time moves on the
    # wall clock instead — give the tracker a clock 31 s later.
    t0 = time.monotonic()
    tracker.clock = lambda: t0 + 31.0
    tracker.idle()
    assert events == [(1, "timeout", ["pairing-incomplete"])]


def test_tracker_waits_less_than_the_timeout(tmp_path: Path) -> None:
    path = tmp_path / "stalled.btsnoop"
    _stalled_capture(path, 1.0)
    events: list[str] = []
    tracker = _tracked(path, lambda a, p, why: events.append(why))
    t0 = time.monotonic()
    tracker.clock = lambda: t0 + 29.0
    tracker.idle()
    assert events == []


def test_follow_file_completes_a_half_record(tmp_path: Path) -> None:
    data = (CAPS / "sc_justworks_success.btsnoop").read_bytes()
    path = tmp_path / "g.btsnoop"
    cut = 16 + 24 + 3
    path.write_bytes(data[:cut])
    stop = threading.Event()

    def later() -> None:
        time.sleep(0.3)
        with open(path, "ab") as f:
            f.write(data[cut:])
        time.sleep(0.5)
        stop.set()

    threading.Thread(target=later).start()
    with Capture(path, FollowFile(str(path), stop, poll=0.05)) as cap:  # type: ignore[arg-type]
        n = len(list(cap))
        assert not cap.problems
    assert n == len(_records(data))


# ------------------------------------------------------------------ the monitor channel
def _mon(opcode: int, index: int, data: bytes) -> bytes:
    return struct.pack("<HHH", opcode, index, len(data)) + data


def test_monitor_reader_frames_filters_and_writes_btsnoop(tmp_path: Path) -> None:
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    stop = threading.Event()
    out = tmp_path / "live.btsnoop"
    writer = BtsnoopWriter(out.open("wb"))  # closed by the capture
    cap = MonitorCapture(a, stop, adapter=0, writer=writer, poll=0.05)
    b.send(_mon(2, 0, b"\x03\x0c\x00"))  # HCI Reset on hci0
    b.send(_mon(2, 1, b"\x03\x0c\x00"))  # on hci1: filtered out
    b.send(_mon(12, 0xFFFF, b"a note\x00"))  # a system note (no adapter)
    b.send(b"\x01\x00")  # shorter than a header
    threading.Timer(0.5, stop.set).start()
    with cap:
        recs = list(cap)
    assert [(r.flags, r.payload) for r in recs] == [
        (2, b"\x03\x0c\x00"),
        (0xFFFF000C, b"a note\x00"),
    ]
    assert [p.message for p in cap.problems] == [
        "a monitor frame of 2 bytes is shorter than its 6-byte header"
    ]
    with Capture(out) as back:
        assert back.link_type == 2001
        assert [(r.flags, r.payload) for r in back] == [(r.flags, r.payload) for r in recs]
    b.close()


def test_real_monitor_channel_or_its_reason() -> None:
    try:
        sock = open_monitor_socket()
    except UnreadableCapture as exc:
        pytest.skip(f"the HCI monitor channel is not available here: {exc}")
    sock.close()


def test_live_cli_gives_a_clear_message_without_the_socket() -> None:
    try:
        open_monitor_socket().close()
    except UnreadableCapture as exc:
        r = subprocess.run(
            [sys.executable, "-m", "bpdiag", "analyze", "--live", "hci0"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert r.returncode == 2
        assert r.stderr.strip() == f"bpdiag: hci0: {exc}"
    else:
        pytest.skip("the monitor channel is available: the message is not shown")


def test_unanswered_security_request_is_reported_at_the_timeout(tmp_path: Path) -> None:
    """A Security Request nobody answers is no pairing (issue 10); followed, it is told as
    its own event once it has stood for the SMP timeout, not before."""
    from bpdiag.analysis.run import Reading

    src = CAPS / "not_in_pairing_mode.btsnoop"
    full = Reading(src).analyse()
    sr = next(p for p in full.pairings if p.security_request is not None)
    assert sr.steps[0].name == "Security Request"
    data = src.read_bytes()
    path = tmp_path / "sr.btsnoop"
    path.write_bytes(data[:16] + b"".join(_records(data)[: sr.steps[0].frame]))
    events: list[tuple[str, list[str]]] = []
    requests: list[tuple[int, list[str]]] = []
    tracker = _tracked(
        path,
        lambda a, p, why: events.append((why, [f.code for f in a.findings])),
        emit_request=lambda a, s: requests.append((s.request.frame, [f.code for f in a.findings])),
    )
    t0 = time.monotonic()
    tracker.clock = lambda: t0 + 10.0
    tracker.idle()
    assert events == [] and requests == []
    tracker.clock = lambda: t0 + 30.5
    tracker.idle()
    assert events == []
    assert requests == [(sr.steps[0].frame, ["security-request-ignored"])]
    tracker.clock = lambda: t0 + 60.0
    tracker.idle()
    assert len(requests) == 1  # told once
