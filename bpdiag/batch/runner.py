"""``bpdiag batch``: find the files, analyse them on a Dask ``distributed`` cluster, write
the three Parquet tables (docs/json.md, "Batch tables").

- Files are sent in chunks (at most ``CHUNK_FILES`` files or ``CHUNK_BYTES`` bytes), so the
  scheduler's per-task cost is spread over many small captures.
- Results are written as they arrive, to part files under ``OUT/.parts/``; at the end the
  parts (and, with ``--resume``, the tables already in ``OUT``) are joined into
  ``captures.parquet``, ``pairings.parquet`` and ``findings.parquet``. An interrupted batch
  leaves its parts behind, and ``--resume`` counts them as done.
- A worker that dies mid-chunk is Dask's to handle: the scheduler runs the chunk again on
  another worker, and only a finished chunk's rows are ever written, so nothing is lost or
  written twice. A chunk that kills every worker it runs on (``KilledWorker``) becomes one
  error row per file.
"""

from __future__ import annotations

import glob
import logging
import os
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from bpdiag.batch.rows import (
    ChunkResult,
    chunk_rows,
    error_rows,
    relabel,
    schemas,
    sha256_of,
    to_tables,
)

CHUNK_FILES = 64
CHUNK_BYTES = 64 << 20
FLUSH_FILES = 256
TABLES = ("captures", "pairings", "findings")
PARTS = ".parts"


class BatchError(Exception):
    """A usage error or a cluster that cannot be reached (exit 2)."""


@dataclass(frozen=True)
class Item:
    path: str  # as the table shows it
    abspath: str  # what a worker opens
    sha256: str | None = None  # known already (with --resume)


@dataclass
class Summary:
    """What ``bpdiag batch`` prints at the end, over every row in OUT."""

    files: int = 0
    unreadable: int = 0
    analysed_now: int = 0
    skipped: int = 0
    pairings: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    finding_codes: Counter[str] = field(default_factory=Counter)
    failure_reasons: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    out: str = ""


Progress = Callable[[int, int, int], None]  # (files done, files in all, failures)


# -- finding the files -------------------------------------------------------------------


def discover(paths: Iterable[str], exclude: str | None = None) -> list[Item]:
    """Files named, found below directories (recursively, symlinked directories not
    followed), or matched by globs; in a stable order, each once."""
    seen: set[str] = set()
    items: list[Item] = []
    skip = os.path.realpath(exclude) if exclude else None

    def add(p: str) -> None:
        real = os.path.realpath(p)
        if real in seen or not os.path.isfile(real):
            return
        if skip and (real == skip or real.startswith(skip + os.sep)):
            return
        seen.add(real)
        items.append(Item(os.path.normpath(p), os.path.abspath(p)))

    for arg in paths:
        if os.path.isdir(arg):
            for p in _walk(arg, skip):
                add(p)
        elif os.path.exists(arg):
            add(arg)
        elif glob.has_magic(arg):
            matches = sorted(glob.glob(arg, recursive=True))
            if not matches:
                raise BatchError(f"{arg}: no file matches")
            for m in matches:
                if os.path.isdir(m):
                    for p in _walk(m, skip):
                        add(p)
                else:
                    add(m)
        else:
            raise BatchError(f"{arg}: no such file or directory")
    return items


def _walk(top: str, skip: str | None) -> Iterator[str]:
    for root, dirs, files in os.walk(top):
        if skip:
            dirs[:] = [d for d in dirs if os.path.realpath(os.path.join(root, d)) != skip]
        dirs.sort()
        for name in sorted(files):
            yield os.path.join(root, name)


def chunks(items: list[Item], max_files: int = CHUNK_FILES) -> list[list[Item]]:
    out: list[list[Item]] = []
    cur: list[Item] = []
    size = 0
    for it in items:
        try:
            n = os.path.getsize(it.abspath)
        except OSError:
            n = 0
        if cur and (len(cur) >= max_files or size + n > CHUNK_BYTES):
            out.append(cur)
            cur, size = [], 0
        cur.append(it)
        size += n
    if cur:
        out.append(cur)
    return out


def _chunk_size_for(n_files: int, workers: int) -> int:
    """Enough chunks to keep every worker busy to the end (about 16 per worker)."""
    return max(1, min(CHUNK_FILES, -(-n_files // max(1, workers * 16))))


# -- the tables ----------------------------------------------------------------------------


class TableWriter:
    """Collects the chunks' tables and writes them to part files every ``FLUSH_FILES`` files."""

    def __init__(self, out: str) -> None:
        self.out = out
        self.parts = os.path.join(out, PARTS)
        os.makedirs(self.parts, exist_ok=True)
        self.buf: dict[str, list[Any]] = {t: [] for t in TABLES}
        self.files = 0

    def add(self, chunk: ChunkResult) -> None:
        for t in TABLES:
            self.buf[t].append(chunk.tables[t])
        self.files += chunk.files
        if self.files >= FLUSH_FILES:
            self.flush()

    def flush(self) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        if not self.files:
            return
        tag = uuid.uuid4().hex
        # captures last: a part set counts as done (for --resume) only once it is complete
        for table in ("pairings", "findings", "captures"):
            data = pa.concat_tables(self.buf[table])
            tmp = os.path.join(self.parts, f".{table}-{tag}.tmp")
            pq.write_table(data, tmp)
            os.replace(tmp, os.path.join(self.parts, f"{table}-{tag}.parquet"))
            self.buf[table].clear()
        self.files = 0


def done_hashes(out: str) -> set[str]:
    """sha256 of every file already in OUT (joined tables and complete part sets)."""
    import pyarrow.parquet as pq

    done: set[str] = set()
    for path in _table_files(out, "captures"):
        col = pq.read_table(path, columns=["sha256"]).column("sha256").to_pylist()
        done.update(h for h in col if h)
    return done


def _table_files(out: str, table: str) -> list[str]:
    files = []
    main = os.path.join(out, f"{table}.parquet")
    if os.path.exists(main):
        files.append(main)
    parts = os.path.join(out, PARTS)
    if os.path.isdir(parts):
        complete = {
            n[len("captures-") : -len(".parquet")]
            for n in os.listdir(parts)
            if n.startswith("captures-") and n.endswith(".parquet")
        }
        for tag in sorted(complete):
            p = os.path.join(parts, f"{table}-{tag}.parquet")
            if os.path.exists(p):
                files.append(p)
    return files


def consolidate(out: str) -> None:
    """Join the tables in OUT with the complete part sets, then remove the parts."""
    import pyarrow.parquet as pq

    schema = schemas()
    for table in TABLES:
        sources = _table_files(out, table)
        target = os.path.join(out, f"{table}.parquet")
        tmp = os.path.join(out, f".{table}.tmp")
        with pq.ParquetWriter(tmp, schema[table]) as w:
            for src in sources:
                pf = pq.ParquetFile(src)
                for batch in pf.iter_batches():
                    w.write_batch(batch)
        os.replace(tmp, target)
    parts = os.path.join(out, PARTS)
    if os.path.isdir(parts):
        for n in os.listdir(parts):
            os.unlink(os.path.join(parts, n))
        os.rmdir(parts)


def clear_output(out: str) -> None:
    for table in TABLES:
        p = os.path.join(out, f"{table}.parquet")
        if os.path.exists(p):
            os.unlink(p)
    parts = os.path.join(out, PARTS)
    if os.path.isdir(parts):
        for n in os.listdir(parts):
            os.unlink(os.path.join(parts, n))


def summarise(out: str, summary: Summary) -> Summary:
    import pyarrow.parquet as pq

    caps = pq.read_table(os.path.join(out, "captures.parquet"), columns=["error"])
    errors = caps.column("error").to_pylist()
    summary.files = len(errors)
    summary.unreadable = sum(1 for e in errors if e is not None)
    pairs = pq.read_table(
        os.path.join(out, "pairings.parquet"), columns=["outcome", "failure_reason_name"]
    )
    summary.pairings = pairs.num_rows
    summary.outcomes = Counter(o or "unknown" for o in pairs.column("outcome").to_pylist())
    summary.failure_reasons = Counter(
        r for r in pairs.column("failure_reason_name").to_pylist() if r
    )
    finds = pq.read_table(os.path.join(out, "findings.parquet"), columns=["code"])
    summary.finding_codes = Counter(finds.column("code").to_pylist())
    summary.out = out
    return summary


# -- the cluster ---------------------------------------------------------------------------


def connect(scheduler: str | None, workers: int | None, timeout: float) -> tuple[object, object]:
    """A ``distributed.Client`` (and the ``LocalCluster`` it owns, or None)."""
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise BatchError("bpdiag batch needs Dask: pip install 'bpdiag[batch]'") from exc
    if scheduler:
        # distributed logs each failed attempt with a traceback; the one line below says it
        log = logging.getLogger("distributed")
        level = log.level
        log.setLevel(logging.CRITICAL)
        try:
            return Client(scheduler, timeout=timeout), None
        except (OSError, TimeoutError, ValueError) as exc:
            raise BatchError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from exc
        finally:
            log.setLevel(level)
    n = workers or os.cpu_count() or 1
    cluster = LocalCluster(
        n_workers=n,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=":0",
        silence_logs=logging.ERROR,
    )
    return Client(cluster), cluster


def run_batch(
    paths: Iterable[str],
    out: str,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    client: object | None = None,
    resume: bool = False,
    timeout: float = 30.0,
    progress: Progress | None = None,
) -> Summary:
    """Analyse every file under ``paths`` into the tables in ``out``.

    ``client`` (a ``distributed.Client``) is used as it is when given (tests, notebooks);
    otherwise one is made from ``scheduler`` or a local cluster of ``workers`` processes.
    """
    start = time.monotonic()
    os.makedirs(out, exist_ok=True)
    items = discover(paths, exclude=out)
    summary = Summary()
    if resume:
        done = done_hashes(out)
        todo: list[Item] = []
        for it in items:
            try:
                sha = sha256_of(it.abspath)
            except OSError:
                todo.append(it)
                continue
            if sha in done:
                summary.skipped += 1
            else:
                done.add(sha)  # the same content twice in one run is analysed once
                todo.append(Item(it.path, it.abspath, sha))
        items = todo
    else:
        clear_output(out)
    writer = TableWriter(out)
    owned = None
    if items:
        if client is None:
            client, owned = connect(scheduler, workers, timeout)
        try:
            summary.analysed_now = _run(client, items, writer, progress)
        finally:
            if owned is not None:
                client.close()  # type: ignore[attr-defined]
                owned.close()  # type: ignore[attr-defined]
    writer.flush()
    consolidate(out)
    summarise(out, summary)
    summary.seconds = time.monotonic() - start
    return summary


def _run(client: object, items: list[Item], writer: TableWriter, progress: Progress | None) -> int:
    from distributed import as_completed

    n_workers = max(1, len(client.scheduler_info().get("workers", {})))  # type: ignore[attr-defined]
    groups = chunks(items, _chunk_size_for(len(items), n_workers))
    futures = {}
    for group in groups:
        payload = [(it.abspath, it.path, it.sha256) for it in group]
        fut = client.submit(chunk_rows, payload, pure=False)  # type: ignore[attr-defined]
        futures[fut] = group
    done = failures = 0
    total = len(items)
    for fut in as_completed(list(futures)):
        group = futures.pop(fut)
        try:
            result: ChunkResult = fut.result()
        except Exception as exc:  # KilledWorker or a worker-side crash: rows, not a stop
            reason = f"worker failed on this chunk: {type(exc).__name__}"
            result = to_tables(
                [relabel(error_rows(it.abspath, it.sha256, None, reason), it.path) for it in group]
            )
        writer.add(result)
        done += result.files
        failures += result.failures
        if progress is not None:
            progress(done, total, failures)
    return done
