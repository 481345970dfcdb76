"""``bpdiag pair --transport`` end to end: the bumble backend's real-transport path (open the
transport, scan for the target, connect, pair, record, keep bonds in a JSON key store) against
``bpdiag sim``'s peripheral, each host on its own virtual controller reached over Bumble's TCP
transport — the same code a USB dongle (``usb:0``) or ``hci-socket:0`` runs."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner

pytest.importorskip("bumble")

from bumble.link import LocalLink

from bpdiag.cli import main
from bpdiag.live.profiles import parse_profile
from bpdiag.live.sim_server import serve
from tests.live.virtual import tcp_controller

PERIPHERAL = "F0:0D:00:00:00:02"


@contextmanager
def radio(profile: str) -> Iterator[str]:
    """Two virtual controllers on one link, in a thread of their own: the simulated
    peripheral's host on one, and a TCP server for bpdiag's host on the other.  Yields the
    transport spec for bpdiag."""
    ready = threading.Event()
    state: dict[str, object] = {}

    async def run() -> None:
        link = LocalLink()
        server_p, spec_p = await tcp_controller("peripheral", link, PERIPHERAL)
        server_c, spec_c = await tcp_controller("central", link, "C0:FF:EE:00:00:01")
        state["spec"] = spec_c
        stop = asyncio.Event()
        state["stop"] = (asyncio.get_running_loop(), stop)
        task = asyncio.create_task(serve(parse_profile(profile), spec_p, PERIPHERAL, stop))
        ready.set()
        await stop.wait()
        await asyncio.wait_for(task, 5)
        await server_p.close()
        await server_c.close()

    thread = threading.Thread(target=lambda: asyncio.run(run()), daemon=True)
    thread.start()
    assert ready.wait(10)
    try:
        yield str(state["spec"])
    finally:
        loop, stop = state["stop"]  # type: ignore[misc]
        loop.call_soon_threadsafe(stop.set)  # type: ignore[attr-defined]
        thread.join(10)


def _pair(transport: str, tmp_path: Path, *args: str, target: str = PERIPHERAL) -> object:
    return CliRunner().invoke(
        main,
        [
            *("pair", target, "--transport", transport, "--scan-timeout", "5"),
            *("--keystore", str(tmp_path / "keys.json"), "--json"),
            *("--capture", str(tmp_path / "attempt.btsnoop"), *args),
        ],
    )


def test_pairs_over_a_transport_and_keeps_the_bond(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BPDIAG_STATE_DIR", str(tmp_path / "state"))
    with radio("generic:io=NoInputNoOutput") as transport:
        r = _pair(transport, tmp_path, "--io", "NoInputNoOutput")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    [p] = doc["pairings"]
    assert (p["outcome"], p["method"], p["secure_connections"]) == ("success", "just_works", True)
    assert doc["connections"][0]["local_role"] == "central"
    stored = json.loads((tmp_path / "keys.json").read_text())
    assert any(PERIPHERAL in name for ns in stored.values() for name in ns)

    with radio("generic:io=NoInputNoOutput") as transport:  # the bond is not replaced...
        r = _pair(transport, tmp_path)
    assert r.exit_code == 2 and "pairing again would replace it" in r.stderr

    with radio("generic:io=NoInputNoOutput") as transport:  # ...unless saved first
        r = _pair(transport, tmp_path, "--forget-bond")
    assert r.exit_code == 0, r.output
    assert Path(json.loads(r.stdout)["attempt"]["bond"]["backup"]).is_dir()


@pytest.mark.slow
def test_every_parameter_reaches_the_pairing_request(tmp_path: Path) -> None:
    with radio("generic:io=DisplayOnly,passkey=654321") as transport:
        r = _pair(
            transport,
            tmp_path,
            *("--io", "KeyboardOnly", "--mitm", "--legacy", "--no-bond"),
            *("--key-size", "12", "--passkey", "654321"),
            *("--init-keys", "IdKey", "--resp-keys", "EncKey,IdKey,SignKey"),
        )
    assert r.exit_code == 0, r.output
    [p] = json.loads(r.stdout)["pairings"]
    q = p["request"]
    assert (q["io_capability"], q["mitm"], q["sc"], q["bonding"], q["max_key_size"]) == (
        "KeyboardOnly",
        True,
        False,
        False,
        12,
    )
    assert (q["initiator_keys"], q["responder_keys"]) == (["IdKey"], ["EncKey", "IdKey", "SignKey"])
    assert p["method"] == "passkey_entry" and p["outcome"] == "success"


def test_a_refusing_peer_over_a_transport(tmp_path: Path) -> None:
    with radio("omron-bpm:pairing-mode=off") as transport:
        r = _pair(transport, tmp_path)
    assert r.exit_code == 1, r.output
    doc = json.loads(r.stdout)
    assert doc["pairings"][0]["failure"]["reason"] == 0x08
    assert "pairing-mode-inactive" in [f["code"] for f in doc["findings"]]


def test_a_target_that_does_not_advertise(tmp_path: Path) -> None:
    with radio("generic") as transport:
        r = CliRunner().invoke(
            main,
            [
                *("pair", "AA:BB:CC:DD:EE:FF", "--transport", transport),
                *("--scan-timeout", "1", "--keystore", str(tmp_path / "k.json")),
                *("--capture", str(tmp_path / "a.btsnoop")),
            ],
        )
    assert r.exit_code == 2
    assert "not seen advertising" in r.stderr


def test_progress_is_told(tmp_path: Path) -> None:
    """What a terminal user sees while the attempt runs (the CLI prints it on a TTY)."""
    from bpdiag.live.attempt import AttemptSpec, make_backend, run
    from bpdiag.live.base import PairParams

    told: list[str] = []
    with radio("generic") as transport:
        spec = AttemptSpec(
            target=PERIPHERAL,
            params=PairParams(io="NoInputNoOutput"),
            transport=transport,
            keystore=tmp_path / "k.json",
            scan_timeout=5,
        )
        backend = make_backend(spec)
        backend.progress = told.append
        assert run(backend, spec, tmp_path / "a.btsnoop") == "success"
    assert [t.split()[0] for t in told] == ["opening", "scanning", "connecting", "pairing"]
    assert "io=NoInputNoOutput mitm=off sc bond=on key size 16" in told[-1]
