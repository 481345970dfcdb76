"""One file → rows of the three batch tables (docs/json.md, "Batch tables").

Pure and Dask-free: a worker calls ``file_rows`` on each path of its chunk. The rows are
read off the ``analyze --json`` document (``report.json_report.analysis_to_json``), which
carries no key material, so neither do the tables.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from typing import Any

from bpdiag.errors import BpdiagError

Row = dict[str, Any]

CAPTURE_COLUMNS = (
    "path",
    "sha256",
    "size",
    "format",
    "link_type",
    "records",
    "problems",
    "pairings",
    "error",
)
PAIRING_COLUMNS = (
    "capture",
    "sha256",
    "connection",
    "pairing",
    "central",
    "peripheral",
    "secure_connections",
    "method",
    "outcome",
    "failure_reason",
    "failure_reason_name",
    "failure_sent_by",
    "io_initiator",
    "io_responder",
    "findings",
)
FINDING_COLUMNS = ("capture", "sha256", "connection", "pairing", "code", "severity")


@dataclass
class FileRows:
    """What one file contributes to each table."""

    capture: Row
    pairings: list[Row] = field(default_factory=list)
    findings: list[Row] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        """The file could not be read as a capture."""
        return self.capture["error"] is not None


def sha256_of(path: str, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return " ".join(text.split())[:500]


def rows_from_document(path: str, sha: str, size: int, doc: dict[str, Any]) -> FileRows:
    """The rows of one ``analyze --json`` document."""
    cap = doc["capture"]
    pairings = doc["pairings"]
    capture = {
        "path": path,
        "sha256": sha,
        "size": size,
        "format": cap.get("format"),
        "link_type": cap.get("link_type"),
        "records": cap.get("records"),
        "problems": len(doc["problems"]) + int(doc.get("problems_dropped") or 0),
        "pairings": len(pairings),
        "error": None,
    }
    connections = {c["id"]: c for c in doc["connections"]}
    codes_by_pairing: dict[tuple[Any, Any], list[str]] = {}
    findings: list[Row] = []
    for f in doc["findings"]:
        findings.append(
            {
                "capture": path,
                "sha256": sha,
                "connection": f.get("connection"),
                "pairing": f.get("pairing"),
                "code": f["code"],
                "severity": f["severity"],
            }
        )
        if f.get("pairing") is not None:
            key = (f.get("connection"), f["pairing"])
            codes_by_pairing.setdefault(key, []).append(f["code"])
    rows: list[Row] = []
    for p in pairings:
        conn = connections.get(p["connection"], {})
        failure = p.get("failure") or {}
        request = p.get("request") or {}
        response = p.get("response") or {}
        rows.append(
            {
                "capture": path,
                "sha256": sha,
                "connection": p["connection"],
                "pairing": p["id"],
                "central": _address(conn.get("central")),
                "peripheral": _address(conn.get("peripheral")),
                "secure_connections": p.get("secure_connections"),
                "method": p.get("method"),
                "outcome": p.get("outcome"),
                "failure_reason": failure.get("reason"),
                "failure_reason_name": failure.get("name"),
                "failure_sent_by": failure.get("sent_by"),
                "io_initiator": request.get("io_capability"),
                "io_responder": response.get("io_capability"),
                "findings": codes_by_pairing.get((p["connection"], p["id"]), []),
            }
        )
    return FileRows(capture, rows, findings)


def _address(endpoint: dict[str, Any] | None) -> str | None:
    if not endpoint:
        return None
    addr = endpoint.get("address")
    return str(addr) if addr is not None else None


def error_rows(path: str, sha: str | None, size: int | None, error: str) -> FileRows:
    capture: Row = dict.fromkeys(CAPTURE_COLUMNS)
    capture.update(path=path, sha256=sha, size=size, error=error)
    return FileRows(capture)


def file_rows(path: str, sha: str | None = None, shown: str | None = None) -> list[FileRows]:
    """Analyse one file and return its rows: one ``FileRows`` per capture in it (an Android
    bug report zip holds several HCI logs: each is its own ``captures`` row, its path
    ``FILE:ENTRY``). A file that is not a capture, or cannot be read, is one ``captures``
    row with ``error`` set, never an exception. ``shown`` is the path the tables show."""
    from bpdiag.diagnose import diagnose_inputs
    from bpdiag.report.json_report import analysis_to_json

    label = shown or path
    try:
        size = os.path.getsize(path)
        sha = sha or sha256_of(path)
    except OSError as exc:
        return [relabel(error_rows(path, sha, None, exc.strerror or _one_line(exc)), label)]
    out: list[FileRows] = []
    try:
        for analysis in diagnose_inputs(path):
            doc = analysis_to_json(analysis)
            name = str(doc["capture"].get("path") or path)
            inner = label + name[len(path) :] if name.startswith(path + ":") else label
            out.append(relabel(rows_from_document(path, sha, size, doc), inner))
    except (BpdiagError, OSError) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else _one_line(exc)
        out.append(relabel(error_rows(path, sha, size, why), label))
    except Exception as exc:  # a bug in bpdiag must not lose the rest of the batch
        why = f"internal error: {type(exc).__name__}: {_one_line(exc)}"
        out.append(relabel(error_rows(path, sha, size, why), label))
    return out


def schemas() -> dict[str, Any]:
    """The Arrow schema of each table (docs/json.md, "Batch tables")."""
    import pyarrow as pa

    st, i64, i32, b = pa.string(), pa.int64(), pa.int32(), pa.bool_()
    types = {
        "captures": {
            "size": i64,
            "link_type": i32,
            "records": i64,
            "problems": i64,
            "pairings": i32,
        },
        "pairings": {
            "connection": i32,
            "pairing": i32,
            "secure_connections": b,
            "failure_reason": i32,
            "findings": pa.list_(st),
        },
        "findings": {"connection": i32, "pairing": i32},
    }
    return {
        table: pa.schema([(c, types[table].get(c, st)) for c in cols])
        for table, cols in COLUMNS.items()
    }


COLUMNS = {"captures": CAPTURE_COLUMNS, "pairings": PAIRING_COLUMNS, "findings": FINDING_COLUMNS}


@dataclass
class ChunkResult:
    """One chunk's rows as Arrow tables (cheap to send back from a worker and to write)."""

    tables: dict[str, Any]
    files: int
    failures: int


def to_tables(results: list[FileRows], files: int | None = None) -> ChunkResult:
    import pyarrow as pa

    rows: dict[str, list[Row]] = {"captures": [], "pairings": [], "findings": []}
    for r in results:
        rows["captures"].append(r.capture)
        rows["pairings"].extend(r.pairings)
        rows["findings"].extend(r.findings)
    tables = {}
    for table, schema in schemas().items():
        cols = COLUMNS[table]
        data = {c: [r.get(c) for r in rows[table]] for c in cols}
        tables[table] = pa.Table.from_pydict(data, schema)
    n = len(results) if files is None else files
    return ChunkResult(tables, n, sum(r.failed for r in results))


def relabel(rows: FileRows, path: str) -> FileRows:
    """Show the path as the user gave it, not the absolute one the worker opened."""
    rows.capture["path"] = path
    for r in rows.pairings:
        r["capture"] = path
    for r in rows.findings:
        r["capture"] = path
    return rows


def chunk_rows(items: list[tuple[str, str, str | None]]) -> ChunkResult:
    """The task a worker runs: every ``(path to open, path to show, sha256 or None)`` of one
    chunk, in order, as Arrow tables."""
    rows = [r for abspath, shown, sha in items for r in file_rows(abspath, sha, shown)]
    return to_tables(rows, files=len(items))
