"""Captures as pytest tests: each ``expectations.toml`` pytest meets becomes one test item per
capture it lists (and one per capture in its folder that it does not list), so a team runs
plain ``pytest`` in a folder of captures. An item fails with the ``MISMATCH …`` lines that
``bpdiag check`` prints.

Registered through the ``pytest11`` entry point: installed with bpdiag, on by default;
``-p no:bpdiag`` turns it off, and ``bpdiag_collect_expectations = false`` in the ini file too.
pytest's own rules decide which folders it enters (``testpaths``, ``norecursedirs``); an
expectations file given on the command line is collected once, however it is reached.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bpdiag.report import expectations as ex


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        "bpdiag_collect_expectations",
        "collect expectations.toml files as bpdiag capture checks",
        type="bool",
        default=True,
    )


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.name != ex.FILE_NAME:
        return None
    if not parent.config.getini("bpdiag_collect_expectations"):
        return None
    return ExpectationsFile.from_parent(parent, path=file_path)


class CheckFailed(Exception):
    """A capture disagrees with its expectations (the message is ``bpdiag check``'s text)."""


class ExpectationsFile(pytest.File):
    def collect(self) -> Iterator[pytest.Item]:
        from bpdiag.checking import CheckSetupError

        try:
            expected = ex.load(self.path)
        except (OSError, ValueError) as exc:
            raise CheckSetupError(f"{self.path}: {exc}") from exc
        folder = self.path.parent
        listed = set()
        for name, entry in expected.items():
            if not isinstance(entry, dict):
                continue
            listed.add(str(entry.get("file", name)))
            yield CaptureItem.from_parent(self, name=name, entry=entry)
        for cap in ex.captures_in(folder):
            if cap.name not in listed:
                yield CaptureItem.from_parent(self, name=cap.stem, entry=None, capture=cap)


class CaptureItem(pytest.Item):
    def __init__(
        self,
        *,
        entry: dict[str, Any] | None,
        capture: Path | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.entry = entry
        self.capture = capture

    def runtest(self) -> None:
        from bpdiag import checking

        folder = self.path.parent
        if self.entry is None:
            assert self.capture is not None
            result = checking.unlisted(self.capture)
        else:
            result = checking.check_entry(folder, self.name, self.entry)
        if result.mismatches:
            raise CheckFailed(result.text())

    def repr_failure(  # type: ignore[override]
        self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None
    ) -> str:
        if isinstance(excinfo.value, CheckFailed):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        file = self.entry.get("file", self.name) if self.entry else self.name
        return self.path, None, f"bpdiag check: {file}"
