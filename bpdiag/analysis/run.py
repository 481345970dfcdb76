"""The pipeline in one place: file → records → PDUs → analysis.

``analyze_file`` streams the capture once, in constant memory, and returns the
``Analysis``.  ``walk_file`` yields each decoded PDU with the connection the analysis put it
in, for ``bpdiag dump``; both share one loop so they cannot disagree.
"""

from __future__ import annotations

import bisect
import os
from collections.abc import Callable, Iterator
from itertools import chain

from bpdiag.analysis.builder import Analyzer
from bpdiag.analysis.gc_pause import gc_paused
from bpdiag.analysis.key_evidence import KeyTracker
from bpdiag.analysis.model import Analysis, CaptureInfo, Connection, Pairing
from bpdiag.capture import Capture, open_capture
from bpdiag.capture.record import Direction
from bpdiag.crypto.decryptor import LinkDecryptor
from bpdiag.crypto.keyring import Keyring
from bpdiag.decode.pdu import Pdu
from bpdiag.decode.stream import AIR_LINK_TYPES, PduStream, link_type_name

Progress = Callable[[int, int], None]  # (bytes read, file size)
C_TO_P, P_TO_C = Direction.C_TO_P, Direction.P_TO_C


def walk_file(
    path: str | os.PathLike[str],
    analyzer_out: list[Analyzer] | None = None,
    progress: Progress | None = None,
    progress_every: int = 65536,
    keys: Keyring | None = None,
    capture: Capture | None = None,
) -> Iterator[tuple[Pdu, Connection | None]]:
    """Yield ``(pdu, connection)`` for every decoded PDU of the capture, in order.

    ``capture`` is an already open capture (a pipe, a zip entry, a followed file) to read
    instead of opening ``path``; it is closed at the end.
    When the iteration ends, ``analyzer_out`` (if given) holds the finished analyser.
    Raises ``UnreadableCapture`` when the file cannot be opened at all.  Encrypted air
    links are decrypted where a key is known or can be recovered (``keys``: the user's;
    bpdiag.crypto.decryptor); PDUs from decrypted packets have ``decrypted`` set.
    """
    with capture if capture is not None else open_capture(path) as cap:
        info = CaptureInfo(
            path=os.fspath(path),
            format=cap.format,
            link_type=cap.link_type,
            link_type_name=link_type_name(cap.link_type),
        )
        if cap.format == "packetlogger":
            info.link_type_name = "Apple PacketLogger (read as Linux monitor records)"
        keyring = keys if keys is not None else Keyring()
        analyzer = Analyzer(info, keyring)
        if analyzer_out is not None:
            analyzer_out.append(analyzer)
        decryptor = LinkDecryptor(keyring) if cap.link_type in AIR_LINK_TYPES else None
        analyzer.decryptor = decryptor
        stream = PduStream(decryptor)
        tracker = KeyTracker(keyring)
        direct = stream.direct(cap.link_type) if cap.format != "pcapng" else None
        if direct is not None:
            feed_stream, stream_problems = direct
        else:
            feed_stream, stream_problems = stream.feed, stream.problems
        cap_problems = cap.problems
        feed = analyzer.feed
        size = _size(path) if progress is not None else 0
        records = iter(cap)
        first = next(records, None)
        rec = first
        if first is not None:
            info.first_time = first.timestamp  # known now: dump prints times relative to it
        for rec in chain((first,), records) if first is not None else ():
            pdus = feed_stream(rec)
            if pdus:
                decrypted = decryptor is not None and decryptor.last_frame == rec.index
                for pdu in pdus:
                    pdu.raw = rec.payload
                    if decryptor is not None:
                        pdu.decrypted = decrypted
                        if decrypted and decryptor.last_from_central is not None:
                            # The MIC proved the sender (the nonce's direction bit, Vol 6,
                            # Part E, 2.1), over a direction the capture gave or bpdiag inferred.
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
            if progress is not None and rec.index % progress_every == 0:
                progress(rec.file_offset, size)
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
                if p.layer == "truncated" and p.record is not None
            ]
            _assign_cut_frames(analyzer.analysis.pairings, info.cut_smp_frames)
            _mark_cut_encryptions(analyzer.analysis, info.cut_smp_frames)
        info.first_time = first_time
        info.last_time = last_time
        tracker.finish(analyzer.analysis.connections)
        analyzer.analysis.key_checks = tracker.checks
        ll = getattr(stream, "_ll", None)
        analyzer.analysis.sniffer_bad_mic = getattr(ll, "flagged_bad_mic", 0)
        analyzer.finish()
        if progress is not None:
            progress(size, size)


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
            ordered[i].cut_frames.append(f)


def _mark_cut_encryptions(analysis: Analysis, cut: list[int]) -> None:
    """An encryption with no pairing before it on a connection whose SMP PDUs the log cut
    before it (cut PDUs carry no connection: by the connection's frames) may have used a key
    those PDUs made: ``smp_cut_before``, not "a stored key"."""
    if not cut:
        return
    spans = {c.id: c.first_frame for c in analysis.connections}
    for e in analysis.encryptions:
        start = spans.get(e.connection)
        if not e.after_pairing and start is not None:
            e.smp_cut_before = any(start <= f < e.frame for f in cut)


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
    """Analyse a capture file: connections, pairings, encryptions, problems, findings."""
    out: list[Analyzer] = []
    with gc_paused():
        for _ in walk_file(path, out, progress, keys=keys, capture=capture):
            pass
    analysis = out[0].analysis
    analysis.problems.sort(key=lambda p: (p.record is None, p.record or 0))
    return analysis
