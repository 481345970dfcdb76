"""One live attempt as the CLI (``bpdiag pair``) and the TUI's rerun dialog both run it:
choose the backend from the options, run it, and analyse the capture it recorded."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from bpdiag.live.base import BackendKind, LiveError, PairingBackend, PairParams, Reason

if TYPE_CHECKING:
    from bpdiag.rules.diagnosis import Diagnosed


@dataclass(slots=True)
class AttemptSpec:
    """Everything ``bpdiag pair`` takes besides the output options."""

    target: str
    params: PairParams = field(default_factory=PairParams)
    backend: BackendKind = BackendKind.BUMBLE
    sim: str | None = None  # PROFILE[:key=value,…]
    transport: str | None = None
    adapter: str = "hci0"
    keystore: Path | None = None
    forget_bond: bool = False
    scan_timeout: float = 10.0


def describe(params: PairParams) -> str:
    """The parameters in one line, as the progress messages show them."""
    return (
        f"io={params.io} mitm={'on' if params.mitm else 'off'} "
        f"{'sc' if params.sc else 'legacy'} bond={'on' if params.bond else 'off'} "
        f"key size {params.key_size}"
    )


def make_backend(spec: AttemptSpec) -> PairingBackend:
    """The backend for a spec; ``LiveError`` (usage) when the options do not fit together,
    (environment) when the libraries of the live extra are not installed."""
    try:
        return _make_backend(spec)
    except ImportError as exc:
        raise LiveError(
            f"bpdiag pair needs {exc.name or 'its live libraries'}: "
            "pip install 'bpdiag[live]' (Bumble, bleak, dbus-fast)",
            Reason.ENVIRONMENT,
        ) from exc


def _make_backend(spec: AttemptSpec) -> PairingBackend:
    spec.params.check()
    try:
        kind = BackendKind(spec.backend)
    except ValueError:
        raise LiveError(
            f"unknown backend {spec.backend!r}: bumble or bluez", Reason.USAGE
        ) from None
    if kind is BackendKind.BLUEZ:
        if spec.transport or spec.sim or spec.keystore:
            raise LiveError(
                "--transport, --sim and --keystore belong to the bumble backend", Reason.USAGE
            )
        from bpdiag.live.bluez_backend import BluezBackend

        return BluezBackend(
            spec.adapter, forget_bond=spec.forget_bond, scan_timeout=spec.scan_timeout
        )
    from bpdiag.live.bumble_backend import BumbleBackend
    from bpdiag.live.profiles import parse_profile

    return BumbleBackend(
        transport=spec.transport or None,
        sim=parse_profile(spec.sim) if spec.sim else None,
        keystore=spec.keystore,
        forget_bond=spec.forget_bond,
        scan_timeout=spec.scan_timeout,
    )


def run(backend: PairingBackend, spec: AttemptSpec, capture: Path) -> str:
    """Run the attempt to the end (its own event loop); returns the stack's result."""
    backend.describe = describe(spec.params)
    return asyncio.run(backend.attempt(spec.target, spec.params, capture))


def analyse_recording(capture: Path) -> Diagnosed | None:
    """The analysis of what the attempt recorded; None when nothing usable was recorded (no
    file, an empty one, or no SMP at all — btmon missing or not permitted)."""
    from bpdiag.diagnose import diagnose_file
    from bpdiag.errors import BpdiagError

    if not capture.exists() or capture.stat().st_size <= 16:
        return None
    try:
        analysis = diagnose_file(capture)
    except BpdiagError:
        return None
    return analysis if analysis.pairings else None
