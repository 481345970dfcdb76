"""LTKs from a host-side capture of the same link (``--keys-from host.btsnoop``).

A host hands its controller the key of every encryption it starts or accepts, and a Linux
monitor capture also records what the kernel told bluetoothd to store:

- HCI LE Enable Encryption ("LE Start Encryption", Vol 4, Part E, 7.8.24): Rand, EDIV and the
  LTK, as the central's host started encryption;
- HCI LE Long Term Key Request event (7.7.65.5: Rand, EDIV) answered by LE Long Term Key
  Request Reply (7.8.25: the LTK), as the peripheral's host accepted it;
- MGMT New Long Term Key (BlueZ doc/mgmt-api.txt: store hint, address, address type, key
  type, central, encryption size, EDIV, Rand, value): the key bluetoothd stores.

Each becomes a ``KnownKey`` tied to its EDIV/Rand and the peer's address, so the air capture's
LL_ENC_REQ with that EDIV/Rand tries it first.  HCI and MGMT carry keys least significant
octet first; the keyring holds them in spec order.
"""

from __future__ import annotations

from bpdiag.analysis.model import Role
from bpdiag.analysis.run import Reading
from bpdiag.crypto.keyring import Keyring, KnownKey
from bpdiag.errors import BpdiagError

_MGMT_NEW_LTK = 0x000A


def load_host_keys(path: str, keys: Keyring) -> int:
    """Add the LTKs a host capture shows to ``keys``; returns how many.  An unreadable file is
    a problem in ``keys.problems``."""
    n = 0
    pending: dict[tuple[object, int], tuple[int, bytes]] = {}  # (link, handle) → EDIV/Rand
    try:
        for pdu, conn in Reading(path):
            m = pdu.msg
            name = type(m).__name__
            peer = None
            if conn is not None:
                side = conn.peripheral if conn.local_role == Role.CENTRAL else conn.central
                peer = side.address
            if name == "LeEnableEncryption":
                keys.learn_ltk(
                    KnownKey(
                        bytes(m.ltk)[::-1],  # type: ignore[attr-defined]
                        f"{path}: LE Start Encryption #{pdu.frame}",
                        m.ediv,  # type: ignore[attr-defined]
                        bytes(m.rand),  # type: ignore[attr-defined]
                        peer,
                        pdu.frame,
                    )
                )
                n += 1
            elif name == "LeLtkRequest":
                pending[(pdu.link, m.handle)] = (m.ediv, bytes(m.rand))  # type: ignore[attr-defined]
            elif name == "LeLtkReply":
                ediv_rand = pending.pop((pdu.link, m.handle), None)  # type: ignore[attr-defined]
                keys.learn_ltk(
                    KnownKey(
                        bytes(m.ltk)[::-1],  # type: ignore[attr-defined]
                        f"{path}: LE Long Term Key Request Reply #{pdu.frame}",
                        None if ediv_rand is None else ediv_rand[0],
                        None if ediv_rand is None else ediv_rand[1],
                        peer,
                        pdu.frame,
                    )
                )
                n += 1
            elif name == "ControlEvent" and getattr(m, "event", None) == _MGMT_NEW_LTK:
                p = bytes(m.params)  # type: ignore[attr-defined]
                if len(p) < 37:
                    keys.problems.append(
                        f"{path}: MGMT New Long Term Key #{pdu.frame} is {len(p)} octets, not 37"
                    )
                    continue
                address = ":".join(f"{b:02X}" for b in p[1:7][::-1])
                keys.learn_ltk(
                    KnownKey(
                        p[21:37][::-1],
                        f"{path}: MGMT New Long Term Key #{pdu.frame}",
                        int.from_bytes(p[11:13], "little"),
                        p[13:21],
                        address,
                        pdu.frame,
                    )
                )
                n += 1
    except (OSError, BpdiagError) as exc:
        keys.problems.append(f"{path}: cannot read the host capture ({exc})")
    if n == 0:
        keys.problems.append(f"{path}: the host capture shows no LTK")
    return n
