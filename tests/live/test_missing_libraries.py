"""Without the live extra (Bumble, bleak, dbus-fast), pair and sim say what to install (exit 2)
instead of a traceback; analyze never needs them."""

from __future__ import annotations

import subprocess
import sys

import pytest

WITHOUT_BUMBLE = """
import builtins, sys
real = builtins.__import__
def fake(name, *args, **kwargs):
    if name.split(".")[0] in ("bumble", "bleak", "dbus_fast"):
        raise ImportError(f"No module named {name!r}", name=name.split(".")[0])
    return real(name, *args, **kwargs)
builtins.__import__ = fake
from bpdiag.cli import main
sys.argv = ["bpdiag", *sys.argv[1:]]
main()
"""


@pytest.mark.parametrize(
    "args",
    [
        ["pair", "sim", "--sim", "generic"],
        ["pair", "AA:BB:CC:DD:EE:FF", "--backend", "bluez"],
        ["sim", "generic", "--transport", "tcp-client:127.0.0.1:1"],
    ],
)
def test_live_commands_name_the_extra(args: list[str]) -> None:
    r = subprocess.run(
        [sys.executable, "-c", WITHOUT_BUMBLE, *args], capture_output=True, text=True, timeout=60
    )
    assert r.returncode == 2, r.stderr
    assert "pip install 'bpdiag[live]'" in r.stderr and "Traceback" not in r.stderr


def test_analyze_does_not_need_them() -> None:
    from tests.conftest import OWN

    r = subprocess.run(
        [
            sys.executable,
            "-c",
            WITHOUT_BUMBLE,
            "analyze",
            str(OWN / "sc_justworks_success.btsnoop"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 0, r.stderr
