"""The pipeline in one place: file → records → PDUs → analysis.

``analyze_file`` streams the capture once, in constant memory, and returns the
``Analysis``.  ``walk_file`` yields each decoded PDU with the connection the analysis put it
in, for ``bpdiag dump``; both share one loop so they cannot disagree.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from itertools import chain

from bpdiag.analysis.builder import Analyzer
from bpdiag.analysis.model import Analysis, CaptureInfo, Connection
from bpdiag.capture import open_capture
from bpdiag.decode.pdu import Pdu
from bpdiag.decode.stream import PduStream, link_type_name

Progress = Callable[[int, int], None]  # (bytes read, file size)


def walk_file(
    path: str | os.PathLike[str],
    analyzer_out: list[Analyzer] | None = None,
    progress: Progress | None = None,
    progress_every: int = 65536,
) -> Iterator[tuple[Pdu, Connection | None]]:
    """Yield ``(pdu, connection)`` for every decoded PDU of the capture, in order.

    When the iteration ends, ``analyzer_out`` (if given) holds the finished analyser.
    Raises ``UnreadableCapture`` when the file cannot be opened at all.
    """
    with open_capture(path) as cap:
        info = CaptureInfo(
            path=os.fspath(path),
            format=cap.format,
            link_type=cap.link_type,
            link_type_name=link_type_name(cap.link_type),
        )
        analyzer = Analyzer(info)
        if analyzer_out is not None:
            analyzer_out.append(analyzer)
        stream = PduStream()
        direct = stream.direct(cap.link_type) if cap.format != "pcapng" else None
        if direct is not None:
            feed_stream, stream_problems = direct
        else:
            feed_stream, stream_problems = stream.feed, stream.problems
        cap_problems = cap.problems
        feed = analyzer.feed
        size = os.path.getsize(path) if progress is not None else 0
        records = iter(cap)
        first = next(records, None)
        rec = first
        if first is not None:
            info.first_time = first.timestamp  # known now: dump prints times relative to it
        for rec in chain((first,), records) if first is not None else ():
            pdus = feed_stream(rec)
            if pdus:
                for pdu in pdus:
                    pdu.raw = rec.payload
                    yield pdu, feed(pdu)
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
        info.first_time = first_time
        info.last_time = last_time
        analyzer.finish()
        if progress is not None:
            progress(size, size)


def analyze_file(path: str | os.PathLike[str], progress: Progress | None = None) -> Analysis:
    """Analyse a capture file: connections, pairings, encryptions, problems, findings."""
    out: list[Analyzer] = []
    for _ in walk_file(path, out, progress):
        pass
    analysis = out[0].analysis
    analysis.problems.sort(key=lambda p: (p.record is None, p.record or 0))
    return analysis
