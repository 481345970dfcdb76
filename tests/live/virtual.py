"""Virtual controllers reached over Bumble's TCP transport, shared by the tests of
``bpdiag sim --transport`` and ``bpdiag pair --transport``."""

from __future__ import annotations

import socket
from typing import Any

from bumble.controller import Controller
from bumble.link import LocalLink
from bumble.transport import open_transport


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def tcp_controller(name: str, link: LocalLink, address: str) -> tuple[Any, str]:
    """A controller on ``link`` whose host side is a TCP server; returns the server transport
    (close it when done) and the spec a host connects with."""
    port = free_port()
    server = await open_transport(f"tcp-server:127.0.0.1:{port}")
    Controller(
        name,
        host_source=server.source,
        host_sink=server.sink,
        link=link,
        public_address=address,
    )
    return server, f"tcp-client:127.0.0.1:{port}"
