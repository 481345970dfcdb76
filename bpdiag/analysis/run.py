"""The one path from a capture to its analysis: file → records → PDUs → analysis.

``Reading`` streams the capture once, in constant memory.  Iterating it yields each decoded
PDU with the connection the analysis put it in (``bpdiag dump``, the TUI's packet rows,
``--follow``); ``analyse()`` runs it to the end and returns the ``Analysis``.  A ``Job``
carries the progress callback and the cancellation of one reading, for whoever waits on it
(the TUI's loader, ``bpdiag.analyze(progress=…)``).  ``bpdiag.diagnose`` runs the rules on
the result; every caller goes through here.
"""

from __future__ import annotations

import bisect
import os
from collections import deque
from collections.abc import Callable, Iterator
from itertools import chain

from bpdiag.analysis.builder import Analyzer
from bpdiag.analysis.gc_pause import gc_paused
from bpdiag.analysis.job import Cancelled, Job, Progress
from bpdiag.analysis.key_evidence import KeyTracker
from bpdiag.analysis.model import Analysis, CaptureInfo, Connection, Pairing
from bpdiag.capture import TEXT_FORMATS, Capture, open_capture
from bpdiag.capture._io import Frames
from bpdiag.capture.record import Direction, LinkType, Problem, Record
from bpdiag.crypto.decryptor import LinkDecryptor
from bpdiag.crypto.keyring import Keyring
from bpdiag.decode.pdu import Pdu
from bpdiag.decode.stream import AIR_LINK_TYPES, PduStream, link_type_name
from bpdiag.errors import Stage

C_TO_P, P_TO_C = Direction.C_TO_P, Direction.P_TO_C
__all__ = ["Cancelled", "Job", "Progress", "Reading"]


_MIXED = frozenset({"pcapng", "wireshark-text"})  # formats whose records differ in link type


class Reading:
    """One pass over one capture.  ``capture`` is an already open capture (a pipe, a zip
    entry, a followed file) to read instead of opening ``path``; it is closed at the end.
    Iterating raises ``UnreadableCapture`` when the file cannot be opened at all, and
    ``Cancelled`` when ``job`` is cancelled.  Encrypted air links are decrypted where a key
    is known or can be recovered (``keys``: the user's; bpdiag.crypto.decryptor); PDUs from
    decrypted packets have ``decrypted`` set.  It is read once: iterating it again (or
    ``analyse()`` after a loop over it) goes on where the last iteration stopped.
    ``checks=False``: the analysis leaves out the pairings' cryptographic checks
    (``Analyzer.finish``), for a caller that reads only PDUs and outcomes."""

    skim = True
    """False: every record is made and fed, none passed over by the decoder's ``skim``
    (tests compare the two)."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        keys: Keyring | None = None,
        capture: Capture | None = None,
        job: Job | None = None,
        *,
        checks: bool = True,
    ) -> None:
        self.path = path
        self.checks = checks
        self.keys = keys
        self.capture = capture
        self.job = job
        self.analyzer: Analyzer | None = None  # set when the capture is open
        self._pdus: Iterator[tuple[Pdu, Connection | None]] | None = None

    @property
    def analysis(self) -> Analysis:
        """The analysis being built: complete once the iteration ended (``analyse``)."""
        if self.analyzer is None:
            raise RuntimeError("the capture has not been opened yet: iterate the reading")
        return self.analyzer.analysis

    def analyse(self) -> Analysis:
        """Read to the end (what is left of it); the analysis, its problems in record order."""
        with gc_paused():
            deque(self, maxlen=0)  # drained at C speed: nothing is kept
        analysis = self.analysis
        analysis.problems.sort(key=lambda p: (p.record is None, p.record or 0))
        return analysis

    def _skimmed(
        self,
        runs: Iterator[Frames | list[Record]],
        skims: Callable[[int], Skim],
        cap_problems: list[Problem],
        tail: list[Record],
        size: int,
    ) -> Iterator[Record]:
        """The records to feed of runs of framed records: the decoder passes over those that
        cannot yield anything (the skim ``skims`` gives for the run's link type), the others
        become ``Record``s.  A record that ends
        a skim on a multiple of ``Job.every`` reports progress as if it had been fed.  The
        first record, and the first of a run the reader met problems before (drained after
        the record, as when every record is fed), are never passed over.  ``tail`` gets
        the capture's last record if it was passed over; ``size`` is the file's, for the
        progress reports."""
        job = self.job
        every = job.every if job is not None else 0
        last: Frames | None = None
        index = 0  # of the last record yielded
        for run in runs:
            if isinstance(run, list):  # odd records, kept with a problem
                yield from run
                index = run[-1].index
                last = None
                continue
            last = run
            skim = skims(run.link_type)
            m = len(run)
            i = 0
            while i < m:
                if index and not cap_problems:
                    stop = m
                    if job is not None:  # up to the next record with progress to report
                        stop = min(m, ((run.first + i) // every + 1) * every - run.first)
                    j = skim(run, i, stop)
                    if j > i and job is not None and (run.first + j) % every == 0:
                        if job.cancelled:
                            raise Cancelled(os.fspath(self.path))
                        job.report(run.offset(j - 1), size)
                    i = j
                    if i == stop:
                        continue
                rec = run.record(i)
                index = rec.index
                yield rec
                i += 1
        if last is not None and index < last.first + len(last):
            tail.append(last.record(len(last) - 1))

    def __iter__(self) -> Iterator[tuple[Pdu, Connection | None]]:
        """``(pdu, connection)`` for every decoded PDU of the capture, in order."""
        if self._pdus is None:
            self._pdus = self._read()
        return self._pdus

    def _read(self) -> Iterator[tuple[Pdu, Connection | None]]:
        path, job = self.path, self.job
        with self.capture if self.capture is not None else open_capture(path) as cap:
            info = CaptureInfo(
                path=os.fspath(path),
                format=cap.format,
                link_type=cap.link_type,
                link_type_name=link_type_name(cap.link_type),
                compression=cap.compression,
            )
            if cap.format == "packetlogger":
                info.link_type_name = "Apple PacketLogger (read as Linux monitor records)"
            elif cap.format in TEXT_FORMATS and cap.link_type == LinkType.BTSNOOP_MONITOR:
                # a text log has no link type: its lines are read as monitor records
                info.link_type_name = "text (read as Linux monitor records)"
            elif cap.link_type == -1:  # no record told one (Wireshark text with no frame)
                info.link_type_name = "none (no record read)"
            keyring = self.keys if self.keys is not None else Keyring()
            analyzer = Analyzer(info, keyring)
            self.analyzer = analyzer
            decryptor = LinkDecryptor(keyring) if cap.link_type in AIR_LINK_TYPES else None
            analyzer.decryptor = decryptor
            stream = PduStream(decryptor)
            tracker = KeyTracker(keyring)
            # one link type per file, but pcapng's interfaces and Wireshark text's frames
            direct = stream.direct(cap.link_type) if cap.format not in _MIXED else None
            if direct is not None:
                feed_stream, stream_problems = direct
            else:
                feed_stream, stream_problems = stream.feed, stream.problems
            cap_problems = cap.problems
            feed = analyzer.feed
            # progress is told by file offsets: none of a compressed file's match its size
            size = _size(path) if job is not None and cap.compression is None else 0
            every = job.every if job is not None else 0
            skims: Callable[[int], Skim] | None = None
            framed: Callable[[int], bool] | None = None
            if self.skim and direct is not None:
                skim = stream.skimmer(cap.link_type)
                if skim is not None:
                    skims = _one(skim)
            elif self.skim and cap.format == "pcapng":
                skims, framed = _skims_by_link_type(stream, cap.link_type)
            runs = cap.frames(framed) if skims else None
            # Every record's PDUs, then what it made wrong, then the progress.
            tail: list[Record] = []  # the last record when the skim passed over it
            if runs is None or skims is None:
                records: Iterator[Record] = iter(cap)
            else:
                records = self._skimmed(runs, skims, cap_problems, tail, size)
            first = next(records, None)
            rec = first
            if first is not None:
                info.first_time = first.timestamp  # dump prints times relative to it
            for rec in chain((first,), records) if first is not None else ():
                if cap_problems:  # what the reader said of this record, before its PDUs
                    analyzer.heed(cap_problems)
                pdus = feed_stream(rec)
                if pdus:
                    decrypted = decryptor is not None and decryptor.last_frame == rec.index
                    for pdu in pdus:
                        pdu.raw = rec.payload
                        if decryptor is not None:
                            pdu.decrypted = decrypted
                            if decrypted and decryptor.last_from_central is not None:
                                # The MIC proved the sender (the nonce's direction bit, Vol 6,
                                # Part E, 2.1), over a direction the capture gave or inferred.
                                pdu.direction = C_TO_P if decryptor.last_from_central else P_TO_C
                            decryptor.observe(pdu)
                        conn = feed(pdu)
                        tracker.feed(pdu, conn)
                        yield pdu, conn
                if stream_problems:
                    analyzer.add_problems(stream_problems)
                    stream_problems.clear()
                if cap_problems:
                    analyzer.add_problems(cap_problems)
                    cap_problems.clear()
                if job is not None and rec.index % every == 0:
                    if job.cancelled:
                        raise Cancelled(os.fspath(path))
                    job.report(rec.file_offset, size)
            if tail:
                rec = tail[0]
            first_time = first.timestamp if first is not None else None
            last_time = rec.timestamp if rec is not None else None
            for pdu in stream.finish():
                yield pdu, feed(pdu)
            analyzer.add_problems(stream.problems)
            stream.problems.clear()
            analyzer.add_problems(stream_problems)
            stream_problems.clear()
            analyzer.add_problems(cap.problems)
            info.records = cap.records
            info.truncated_records = cap.stats.get("truncated", 0)
            info.first_truncated = cap.stats.get("first_truncated")
            if info.truncated_records:
                info.cut_smp_frames = [
                    p.record
                    for p in analyzer.analysis.problems
                    if p.layer == Stage.TRUNCATED and p.record is not None
                ]
                _assign_cut_frames(analyzer.analysis.pairings, info.cut_smp_frames)
                _mark_cut_encryptions(analyzer.analysis, info.cut_smp_frames)
            info.first_time = first_time
            info.last_time = last_time
            tracker.finish(analyzer.analysis.connections)
            analyzer.analysis.key_checks = tracker.checks
            ll = getattr(stream, "_ll", None)
            analyzer.analysis.sniffer_bad_mic = getattr(ll, "flagged_bad_mic", 0)
            if job is not None and job.cancelled:
                raise Cancelled(os.fspath(path))
            analyzer.finish(checks=self.checks)
            if job is not None:
                job.report(size, size)


Skim = Callable[[Frames, int, int], int]
"""A decoder's ``skim(frames, i, stop)`` (``PduStream.skimmer``)."""


def _one(skim: Skim) -> Callable[[int], Skim]:
    """``Reading._skimmed``'s ``skims`` for a capture of one link type."""

    def skims(link_type: int) -> Skim:
        return skim

    return skims


def _none(frames: Frames, i: int, stop: int) -> int:
    """A skim that passes over nothing."""
    return i


def _skims_by_link_type(
    stream: PduStream, first: int
) -> tuple[Callable[[int], Skim] | None, Callable[[int], bool]]:
    """For a capture of several link types (pcapng), fed through ``stream.feed``: the skim
    of each run's link type (the decoder's), and which link types have one (the others are
    not framed).  Only air link types are skimmed, and only when the first interface's
    (``first``) is one that is: no skims (``None``) otherwise."""
    found: dict[int, Skim | None] = {}

    def skim_for(link_type: int) -> Skim | None:
        if link_type not in found:
            found[link_type] = stream.skimmer(link_type) if link_type in AIR_LINK_TYPES else None
        return found[link_type]

    def skims(link_type: int) -> Skim:
        return skim_for(link_type) or _none  # framed, so it has one

    def framed(link_type: int) -> bool:
        return skim_for(link_type) is not None

    return (skims if framed(first) else None), framed


def _assign_cut_frames(pairings: list[Pairing], cut: list[int]) -> None:
    """Each cut SMP frame belongs to the latest pairing begun at or before it (cut PDUs carry
    no connection; on interleaved connections this marks more pairings cut, never fewer)."""
    if not cut or not pairings:
        return
    ordered = sorted(pairings, key=lambda p: p.first_frame)
    starts = [p.first_frame for p in ordered]
    for f in cut:
        i = bisect.bisect_right(starts, f) - 1
        if i >= 0:
            ordered[i].add_cut_frame(f)


def _mark_cut_encryptions(analysis: Analysis, cut: list[int]) -> None:
    """An encryption with no pairing before it on a connection whose SMP PDUs the log cut
    before it (cut PDUs carry no connection: by the connection's frames) may have used a key
    those PDUs made: ``smp_cut_before``, not "a stored key"."""
    if not cut:
        return
    cut = sorted(cut)
    spans = {c.id: c.first_frame for c in analysis.connections}
    for e in analysis.encryptions:
        start = spans.get(e.connection)
        if not e.after_pairing and start is not None:
            i = bisect.bisect_left(cut, start)  # the first cut frame at or after start
            e.smp_cut_before = i < len(cut) and cut[i] < e.frame


def _size(path: str | os.PathLike[str]) -> int:
    """The file's size for progress (0 for a pipe or a zip entry)."""
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def analyze_file(
    path: str | os.PathLike[str],
    progress: Progress | None = None,
    keys: Keyring | None = None,
    capture: Capture | None = None,
) -> Analysis:
    """``Reading(path, keys, capture, Job(progress)).analyse()``: the analysis of one capture
    (connections, pairings, encryptions, problems), undiagnosed."""
    return Reading(path, keys, capture, Job(progress) if progress is not None else None).analyse()
