"""Bumble transport specs (``usb:0``, ``hci-socket:0``, ``tcp-client:host:port`` …), checked
before anything is opened: an unknown scheme is a usage error (exit 2 with the list), not an
environment error found after "opening …"."""

from __future__ import annotations

from bpdiag.live.base import LiveError, Reason

# The schemes bumble.transport.open_transport understands (Bumble 0.0.2xx).
SCHEMES = (
    "android-emulator",
    "android-netsim",
    "file",
    "hci-socket",
    "pty",
    "pyusb",
    "serial",
    "tcp-client",
    "tcp-server",
    "udp",
    "unix",
    "unix-client",
    "unix-server",
    "usb",
    "vhci",
    "ws-client",
    "ws-server",
)


def check_transport_spec(spec: str) -> str:
    """``spec`` if its scheme is one Bumble opens; LiveError(USAGE) naming them otherwise."""
    scheme = spec.split(":", 1)[0].strip().lower()
    if scheme not in SCHEMES:
        raise LiveError(
            f"unknown transport {spec!r}: the scheme before ':' is one of {', '.join(SCHEMES)} "
            "(e.g. usb:0, hci-socket:0)",
            Reason.USAGE,
        )
    return spec
