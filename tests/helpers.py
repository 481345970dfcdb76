"""Helpers the test modules share."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterable
from enum import IntEnum
from pathlib import Path
from typing import Any

import pytest

from bpdiag.errors import DecodeError

ROOT = Path(__file__).resolve().parents[1]

#: ``BPDIAG_FUZZ=deep`` (scripts/test.sh's header): the Hypothesis tests that ``examples``
#: sizes run the examples they ran before the suite was made faster, or more.
FUZZ_DEEP = os.environ.get("BPDIAG_FUZZ", "") == "deep"


def examples(default: int, deep: int) -> int:
    """A Hypothesis test's ``max_examples``: ``default`` in a normal run, chosen as the count
    past which more examples reached no line or branch of bpdiag that fewer had not (with
    coverage, in the commit that chose it); ``deep`` under ``BPDIAG_FUZZ=deep``."""
    return deep if FUZZ_DEEP else default


def bpdiag(*args: str, **kw: Any) -> subprocess.CompletedProcess[Any]:
    """``python -m bpdiag ARGS`` from the checkout's root (so this checkout's bpdiag runs),
    output captured as text; ``kw`` overrides subprocess.run's arguments (``input=bytes``
    with ``text=False``)."""
    options: dict[str, Any] = {"capture_output": True, "text": True, "cwd": ROOT, "timeout": 120}
    return subprocess.run([sys.executable, "-m", "bpdiag", *args], **{**options, **kw})


def bpdiag_in_process(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    """What ``bpdiag(*args)`` returns — status, standard output and error as text — from the
    command run in this process (click's CliRunner, from the checkout's root), for the tests
    of what a command prints and its status, where a fresh interpreter proves nothing more
    (``bpdiag`` above keeps that for the entry point and the process's own exit code).  The
    CLI's guard (bpdiag/exits.py) turns every end into an exit status, so any other
    exception escaping the command is raised here, never read as a status."""
    from click.testing import CliRunner

    from bpdiag.cli import main

    with contextlib.chdir(ROOT):
        result = CliRunner().invoke(main, list(args), input=stdin, catch_exceptions=False)
    argv = [sys.executable, "-m", "bpdiag", *args]
    return subprocess.CompletedProcess(argv, result.exit_code, result.stdout, result.stderr)


def identifier(name: str) -> str:
    """A spec name spelled as an enum identifier: "BR/EDR pairing in progress" →
    "BR_EDR_PAIRING_IN_PROGRESS", the way Bumble names its codes."""
    return re.sub(r"[^A-Z0-9]+", "_", name.upper()).strip("_")


def assert_names_agree(
    name_of: Callable[[int], str],
    theirs: Iterable[IntEnum],
    *,
    spelled: dict[int, str],
    codes: Iterable[int] = range(0x100),
    named: Callable[[str], bool] = lambda n: not n.startswith("reserved"),
) -> dict[int, str]:
    """Our name of every code an independent enum (Bumble's) defines spells its identifier,
    but for ``spelled``: the codes where their identifier is not the spec's name, each ours
    as the spec writes it.  Returns our named codes that the enum lacks, for the caller to
    check against the spec."""
    ours = {c: name_of(c) for c in codes if named(name_of(c))}
    for code in theirs:
        assert int(code) in ours, f"{code!r}: Bumble names it, we do not"
        if int(code) in spelled:
            assert ours[code] == spelled[code], hex(code)
        else:
            assert identifier(ours[code]) == code.name, hex(code)
    assert set(spelled) <= {int(c) for c in theirs}, "a spelling for a code Bumble lacks"
    return {c: n for c, n in ours.items() if c not in {int(t) for t in theirs}}


def decode_error(
    parse: Callable[[bytes], object], data: bytes, error: type[DecodeError]
) -> DecodeError:
    """What ``parse(data)`` raises, which must be ``error`` itself (a subclass of it fails the
    test), for the caller to compare by message and layer."""
    with pytest.raises(error) as exc:
        parse(data)
    assert type(exc.value) is error
    return exc.value


def fields_of(msg: Any, cls: type, name: str) -> dict[str, Any]:
    """The fields of a decoded ``msg``, once it is the ``cls`` its parser must give and bears
    the ``name`` the spec gives it."""
    assert isinstance(msg, cls), type(msg)
    assert msg.name == name
    fields: dict[str, Any] = msg.fields()
    return fields


def bench_capture(factory: pytest.TempPathFactory, generator: str, records: int) -> Path:
    """A capture the benchmark's ``bench/<generator>.py`` writes, of ``records`` records, in a
    fresh temporary directory (the generators take only a path and ``--records``)."""
    path = factory.mktemp(generator) / f"{generator}_{records}.btsnoop"
    script = ROOT / "bench" / f"{generator}.py"
    subprocess.run([sys.executable, str(script), "--records", str(records), str(path)], check=True)
    return path


def assert_bumble_parses(packet: object, cls: type, expected: dict[str, object]) -> None:
    """The HCI command or event Bumble serialised as ``packet`` (H4 type byte first) parses
    as ``cls``, with the ``expected`` fields among its ``fields()``."""
    from bpdiag.decode import hci

    wire = bytes(packet)  # type: ignore[call-overload]
    body = wire[1:]
    msg = hci.parse_command(body) if wire[0] == 0x01 else hci.parse_event(body)
    assert type(msg) is cls
    fields = msg.fields()
    assert {k: fields[k] for k in expected} == expected


def key_forms_in(text: str, key: bytes) -> list[str]:
    """The ways ``key`` (or its bytes reversed) appears in ``text``, empty when it does not:
    hex in any case with or without separators (``07c5``, ``07:C5``, ``07 c5``), hex split
    over the lines of a hex dump (offsets and ASCII column around it), a Python bytes repr
    (scapy's ``load = b'...'``) or an integer (scapy shows a link key as one)."""
    found = []
    low = text.lower()
    for order, k in (("wire order", key), ("reversed", key[::-1])):
        want = k.hex()
        if want in re.sub(r"[\s:\-_.,|]", "", low):
            found.append(f"hex ({order})")
        # a hex dump: "0010  07 c5 08 …  ..g.." — the byte columns of every line, joined
        dumped = "".join(
            m.group(1).replace(" ", "")
            for m in re.finditer(r"^\s*[0-9a-f]{4,8}:?\s+((?:[0-9a-f]{2} ?)+)", low, re.M)
        )
        if want in dumped:
            found.append(f"hex dump ({order})")
        if repr(k)[2:-1] in text:
            found.append(f"bytes repr ({order})")
        number = str(int.from_bytes(k, "big"))
        if len(number) >= 20 and number in text:  # a short number is found anywhere
            found.append(f"integer ({order})")
    return found
