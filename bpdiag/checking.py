"""Captures as regression tests: the one path behind ``bpdiag check`` and the pytest plugin.

``run_check`` compares every capture in a folder with ``expectations.toml`` (the format is in
``report/expectations.py``) and returns one result per capture; ``update`` records what the
current analysis says, editing the file in place with tomlkit so that its comments, the order
of its entries, keys bpdiag does not compute and values that did not change (hex reasons,
hand-written descriptions) survive.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bpdiag.errors import BpdiagError
from bpdiag.report import expectations as ex

HEADER = "# bpdiag expectations: `bpdiag check DIR` compares, `--update` rewrites.\n"


class CheckSetupError(Exception):
    """The check cannot start or its result cannot be written (one line for the user)."""


@dataclass(slots=True)
class CaptureResult:
    """One capture (or one listed capture that is missing): its mismatches, empty if it passed."""

    name: str
    file: str
    mismatches: list[ex.Mismatch] = field(default_factory=list)
    analysed: bool = False

    @property
    def passed(self) -> bool:
        return not self.mismatches

    def text(self) -> str:
        """The lines ``bpdiag check`` prints for this capture (empty when it passed)."""
        return "\n".join(f"MISMATCH {m}" for m in self.mismatches)


def expectations_path(folder: Path, exp_file: str | os.PathLike[str] | None = None) -> Path:
    return Path(exp_file) if exp_file else folder / ex.FILE_NAME


def run_check(folder: Path, path: Path | None = None) -> list[CaptureResult]:
    """Analyse every capture in ``folder`` and compare it with ``path`` (default
    ``folder/expectations.toml``). Raises CheckSetupError when there is no such file or it is
    not TOML — checking against nothing would report every capture as a mismatch."""

    path = path or folder / ex.FILE_NAME
    if not path.is_file():
        raise CheckSetupError(
            f"{path} does not exist: there is nothing to check against; record the current "
            f"results with `bpdiag check {folder} --update` and review them"
        )
    try:
        expected = ex.load(path)
    except (OSError, ValueError) as exc:
        raise CheckSetupError(f"{path}: {exc}") from exc
    by_file = {e.get("file"): name for name, e in expected.items()}
    results: list[CaptureResult] = []
    captures = ex.captures_in(folder)
    for cap in captures:
        name = by_file.get(cap.name)
        if name is None:
            results.append(unlisted(cap))
        else:
            results.append(check_entry(folder, name, expected[name]))
    on_disk = {c.name for c in captures}
    for file in sorted(f for f in by_file if isinstance(f, str) and f not in on_disk):
        results.append(check_entry(folder, by_file[file], expected[by_file[file]]))
    return results


def unlisted(capture: Path) -> CaptureResult:
    """A capture in the folder that the expectations file does not list."""
    return CaptureResult(
        capture.stem,
        capture.name,
        [ex.Mismatch(capture.name, "capture has no expectations", "an entry", None)],
    )


def check_entry(folder: Path, name: str, entry: dict[str, Any]) -> CaptureResult:
    """Analyse the capture of one expectations entry and compare."""
    from bpdiag.capture import sniff_format
    from bpdiag.diagnose import diagnose_file

    file = str(entry.get("file", name))
    result = CaptureResult(name, file)
    cap = folder / file
    if not cap.is_file():
        result.mismatches.append(ex.Mismatch(file, "listed capture is missing", "a file", None))
        return result
    try:
        if sniff_format(cap) is None:
            raise BpdiagError("not a capture format bpdiag reads")
        analysis = diagnose_file(cap)
    except (BpdiagError, OSError) as exc:
        result.mismatches.append(ex.Mismatch(file, "unreadable", "readable", str(exc)))
        return result
    result.analysed = True
    result.mismatches += ex.compare(name, entry, ex.observed(analysis, file))
    return result


@dataclass(slots=True)
class UpdateResult:
    path: Path
    written: int = 0
    kept_unreadable: list[tuple[str, str]] = field(default_factory=list)  # (file, why)
    dropped_missing: list[str] = field(default_factory=list)


def update(folder: Path, path: Path | None = None) -> UpdateResult:
    """Record the current analysis of every capture in ``folder`` in ``path``.

    A capture that cannot be read keeps its old entry (and is reported); an entry whose capture
    is gone is dropped (and reported). The file is replaced atomically: a failure leaves the old
    one as it was."""
    import tomlkit

    from bpdiag.diagnose import diagnose_file

    path = path or folder / ex.FILE_NAME
    if not path.parent.is_dir():
        raise CheckSetupError(f"cannot write {path}: the directory {path.parent} does not exist")
    try:
        doc = tomlkit.parse(path.read_text(encoding="utf-8")) if path.exists() else None
    except (OSError, ValueError) as exc:
        raise CheckSetupError(f"{path}: {exc}") from exc
    if doc is None:
        doc = tomlkit.parse(HEADER)
    result = UpdateResult(path)
    by_file = {e.get("file"): name for name, e in doc.items() if isinstance(e, dict)}
    seen: set[str] = set()
    for cap in ex.captures_in(folder):
        name = by_file.get(cap.name, cap.stem)
        seen.add(name)
        old = doc.get(name)
        try:
            analysis = diagnose_file(cap)
        except (BpdiagError, OSError) as exc:
            result.kept_unreadable.append((cap.name, str(exc)))
            continue
        description = old.get("description", "") if isinstance(old, dict) else ""
        entry = ex.observed(analysis, cap.name, description)
        if not isinstance(old, dict):
            table = tomlkit.table()
            doc[name] = table
            old = table
        _merge(old, entry)
        result.written += 1
    for name in [n for n, e in doc.items() if isinstance(e, dict) and n not in seen]:
        file = str(doc[name].get("file", name))
        if (folder / file).exists():
            # there, but not a format bpdiag reads: keep what was written about it
            result.kept_unreadable.append((file, "not a capture format bpdiag reads"))
            continue
        result.dropped_missing.append(file)
        del doc[name]
    _write_atomically(path, tomlkit.dumps(doc))
    return result


def _merge(table: Any, entry: dict[str, Any]) -> None:
    """Set the keys bpdiag computes; a value that did not change is left as written (its
    formatting and comments too); keys bpdiag does not compute stay."""
    import tomlkit

    for key, value in entry.items():
        if key in ("pairings", "encryptions"):
            if _plain(table.get(key)) == value:
                continue
            if not value:
                if key in table:
                    del table[key]
                continue
            aot = tomlkit.aot()
            for item in value:
                t = tomlkit.table()
                for k, v in item.items():
                    t[k] = v
                aot.append(t)
            table[key] = aot
        elif _plain(table.get(key)) != value:
            table[key] = value


def _plain(value: Any) -> Any:
    unwrap = getattr(value, "unwrap", None)
    return unwrap() if unwrap is not None else value


def _write_atomically(path: Path, text: str) -> None:
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    except OSError as exc:
        raise CheckSetupError(f"cannot write {path}: {exc.strerror or exc}") from exc
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o777)
        else:
            os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise CheckSetupError(f"cannot write {path}: {exc.strerror or exc}") from exc


def summary(results: list[CaptureResult]) -> str:
    """``N captures checked, M mismatch(es)``."""
    checked = sum(1 for r in results if r.analysed)
    n = sum(len(r.mismatches) for r in results)
    return (
        f"{checked} capture{'' if checked == 1 else 's'} checked, "
        f"{n} mismatch{'' if n == 1 else 'es'}"
    )
