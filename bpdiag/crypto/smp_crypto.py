"""The SMP cryptographic toolbox — Bluetooth Core Spec v5.4, Vol 3, Part H, 2.2.

Byte order, once for the whole module
-------------------------------------
Every argument and every result here is in the **spec's notation: most significant octet
first**, exactly as the spec writes its values and its sample data (Appendix D).  So
``f4(u, v, x, z)`` takes ``u`` as the 32 octets of PKax with its most significant octet at
``u[0]``, and ``bytes.fromhex("d5cb8454 d177733e ffffb2ec 712baeab")`` is the spec's
``X = d5cb8454 d177733e ffffb2ec 712baeab``.  Fixed-width values are passed as ``bytes``
of exactly their width (a wrong width is a ``ValueError``); 1-bit address types as ``int``.

On the air (SMP PDUs, HCI, BD_ADDRs) multi-octet values travel **least significant octet
first** — the ``bytes`` held by ``bpdiag.decode.smp`` commands are in that wire order.
Convert at the boundary with the helpers below, never inside the functions:

- ``from_wire`` / ``to_wire``: reverse a wire-order value into the spec's order and back
  (Pairing Confirm/Random values, public key coordinates, DHKey checks, LTK/IRK, addresses);
- ``pairing_pdu_value``: a 7-octet Pairing Request/Response PDU as the 56-bit ``preq`` /
  ``pres`` of ``c1`` (the command code is the least significant octet);
- ``bd_addr``: ``"AA:BB:CC:DD:EE:FF"`` (as printed, MSB first) to the 48-bit value;
- ``sc_address``: the 56-bit ``A1``/``A2`` of ``f5``/``f6`` (address type octet, address);
- ``iocap``: the 24-bit ``IOcap`` of ``f6`` (AuthReq, OOB flag, IO capability).

AES-128 comes from ``cryptography``; AES-CMAC (RFC 4493, 2.2.5) from its ``cmac`` module.
"""

from __future__ import annotations

from functools import lru_cache

from cryptography.hazmat.primitives.ciphers import Cipher, CipherContext, algorithms, modes
from cryptography.hazmat.primitives.cmac import CMAC

# 2.2.7: SALT of f5, and the keyID "btle"
F5_SALT = bytes.fromhex("6C888391AAF5A53860370BDB5A6083BE")
F5_KEY_ID = b"btle"
# 2.4.2.4–2.4.2.5 (cross-transport key derivation): keyIDs of h6 and SALTs of h7
KEY_ID_TMP1 = b"tmp1"
KEY_ID_TMP2 = b"tmp2"
KEY_ID_LEBR = b"lebr"
KEY_ID_BRLE = b"brle"
H7_SALT_TMP1 = bytes(12) + KEY_ID_TMP1
H7_SALT_TMP2 = bytes(12) + KEY_ID_TMP2


# --------------------------------------------------------------------------- helpers
def _width(name: str, value: bytes, octets: int) -> bytes:
    if type(value) is bytes and len(value) == octets:
        return value
    if not isinstance(value, bytes | bytearray | memoryview):
        raise TypeError(f"{name} must be bytes, got {type(value).__name__}")
    if len(value) != octets:
        raise ValueError(f"{name} must be {octets} octets, got {len(value)}")
    return bytes(value)


def _bit(name: str, value: int) -> int:
    if value not in (0, 1):
        raise ValueError(f"{name} must be 0 (public) or 1 (random), got {value!r}")
    return value


def from_wire(wire: bytes) -> bytes:
    """A value in wire order (least significant octet first) in the spec's notation (most
    significant octet first)."""
    return bytes(wire)[::-1]


def to_wire(value: bytes) -> bytes:
    """A value in the spec's notation (most significant octet first) in wire order."""
    return bytes(value)[::-1]


def pairing_pdu_value(pdu: bytes) -> bytes:
    """A Pairing Request/Response PDU as sent (7 octets, code first) as the 56-bit ``preq``
    or ``pres`` of ``c1`` (2.2.3: the command code is the least significant octet)."""
    return from_wire(_width("pairing PDU", pdu, 7))


@lru_cache(maxsize=4096)  # verify asks for each pairing's two addresses: a few peers, many pairings
def bd_addr(text: str) -> bytes:
    """``"AA:BB:CC:DD:EE:FF"`` (most significant octet first, as printed) as the 48-bit
    value the spec writes (``ia``, ``ra``, the address part of ``A1``/``A2``)."""
    parts = text.split(":")
    if len(parts) != 6 or not all(len(p) == 2 for p in parts):
        raise ValueError(f"not a BD_ADDR: {text!r}")
    return bytes.fromhex("".join(parts))


def sc_address(address_type: int, address: bytes) -> bytes:
    """The 56-bit ``A1``/``A2`` of f5 and f6 (2.2.7): the address type (0 public, 1
    random) as the most significant octet, then the 48-bit address (spec order)."""
    return bytes([_bit("address_type", address_type)]) + _width("address", address, 6)


def iocap(auth_req: int, oob: int, io_capability: int) -> bytes:
    """The 24-bit ``IOcap`` of f6 (2.2.8): AuthReq is the most significant octet, then the
    OOB data flag, then the IO capability (as in the Pairing Request/Response)."""
    for name, v in (("auth_req", auth_req), ("oob", oob), ("io_capability", io_capability)):
        if not 0 <= v <= 0xFF:
            raise ValueError(f"{name} must be one octet, got {v!r}")
    return bytes([auth_req, oob, io_capability])


def _xor(a: bytes, b: bytes) -> bytes:
    return bytes(x ^ y for x, y in zip(a, b, strict=True))


# --------------------------------------------------------------------------- functions
def e(key: bytes, plaintext: bytes) -> bytes:
    """Security function e (2.2.1): AES-128 of one block, ``encryptedData = e(key,
    plaintextData)``.  The spec's most significant octet is AES's first byte, so in this
    module's notation e is plain AES-128-ECB."""
    return _ecb(_width("key", key, 16)).update(_width("plaintext", plaintext, 16))


@lru_cache(maxsize=256)
def _ecb(key: bytes) -> CipherContext:
    """An AES-128-ECB encryptor under ``key``, kept for the key's next block: ECB holds no
    state between blocks, so one context encrypts any number of them, and building one (the
    key schedule, an OpenSSL context) costs several times the block itself.  The keys a run
    uses again are few (a session's LTK, an IRK per address, a TK); a search over many keys
    goes through ``aes_batch`` instead."""
    return Cipher(algorithms.AES(key), modes.ECB()).encryptor()


def aes_cmac(key: bytes, message: bytes) -> bytes:
    """AES-CMAC_k(m) (2.2.5, RFC 4493): the 128-bit MAC of a message of any length."""
    mac = CMAC(algorithms.AES(_width("key", key, 16)))
    mac.update(bytes(message))
    return mac.finalize()


def ah(k: bytes, r: bytes) -> bytes:
    """Random address hash function ah (2.2.2): ``ah(k, r) = e(k, r') mod 2^24`` with
    ``r' = padding || r`` (104 zero bits, then the 24-bit ``r``).  ``k`` is the IRK; the
    result is the 24-bit ``hash`` of a resolvable private address whose ``prand`` is ``r``."""
    r_prime = bytes(13) + _width("r", r, 3)
    return e(k, r_prime)[-3:]


def c1(
    k: bytes,
    r: bytes,
    preq: bytes,
    pres: bytes,
    iat: int,
    rat: int,
    ia: bytes,
    ra: bytes,
) -> bytes:
    """Confirm value generation function c1 for LE legacy pairing (2.2.3).

    ``c1 = e(k, e(k, r XOR p1) XOR p2)`` with ``p1 = pres || preq || rat' || iat'`` and
    ``p2 = padding || ia || ra`` (32 zero bits).  ``k`` is the TK, ``r`` Mrand/Srand,
    ``preq``/``pres`` the 56-bit Pairing Request/Response (``pairing_pdu_value``), ``iat``/
    ``rat`` the initiator/responder address types (0 public, 1 random), ``ia``/``ra`` the
    48-bit addresses.  Returns Mconfirm/Sconfirm (128 bits).
    """
    p1 = (
        _width("pres", pres, 7)
        + _width("preq", preq, 7)
        + bytes([_bit("rat", rat), _bit("iat", iat)])
    )
    p2 = bytes(4) + _width("ia", ia, 6) + _width("ra", ra, 6)
    return e(k, _xor(e(k, _xor(_width("r", r, 16), p1)), p2))


def s1(k: bytes, r1: bytes, r2: bytes) -> bytes:
    """Key generation function s1 for LE legacy pairing (2.2.4): ``s1(k, r1, r2) = e(k, r')``
    with ``r'`` the least significant 64 bits of ``r1`` then those of ``r2``.  With ``k`` =
    TK, ``r1`` = Srand and ``r2`` = Mrand it gives the STK."""
    r_prime = _width("r1", r1, 16)[8:] + _width("r2", r2, 16)[8:]
    return e(k, r_prime)


def f4(u: bytes, v: bytes, x: bytes, z: bytes) -> bytes:
    """LE Secure Connections confirm value generation function f4 (2.2.6):
    ``f4(U, V, X, Z) = AES-CMAC_X(U || V || Z)``; ``U``, ``V`` 256-bit public key X
    coordinates, ``X`` a 128-bit nonce, ``Z`` 8 bits (0x00, or 0x80|bit for passkey entry)."""
    message = _width("u", u, 32) + _width("v", v, 32) + _width("z", z, 1)
    return aes_cmac(_width("x", x, 16), message)


def f5(w: bytes, n1: bytes, n2: bytes, a1: bytes, a2: bytes) -> tuple[bytes, bytes]:
    """LE Secure Connections key generation function f5 (2.2.7).

    ``T = AES-CMAC_SALT(W)``, then ``AES-CMAC_T(Counter || keyID "btle" || N1 || N2 || A1 ||
    A2 || Length=256)`` for Counter 0 (MacKey, the most significant 128 bits of f5) and
    Counter 1 (LTK).  ``W`` is the 256-bit DHKey, ``N1``/``N2`` 128-bit nonces, ``A1``/``A2``
    56-bit addresses (``sc_address``).  Returns ``(mac_key, ltk)``.
    """
    t = aes_cmac(F5_SALT, _width("w", w, 32))
    tail = (
        F5_KEY_ID
        + _width("n1", n1, 16)
        + _width("n2", n2, 16)
        + _width("a1", a1, 7)
        + _width("a2", a2, 7)
        + (256).to_bytes(2, "big")
    )
    return aes_cmac(t, b"\x00" + tail), aes_cmac(t, b"\x01" + tail)


def f6(w: bytes, n1: bytes, n2: bytes, r: bytes, io_cap: bytes, a1: bytes, a2: bytes) -> bytes:
    """LE Secure Connections check value generation function f6 (2.2.8):
    ``f6(W, N1, N2, R, IOcap, A1, A2) = AES-CMAC_W(N1 || N2 || R || IOcap || A1 || A2)``;
    ``W`` the 128-bit MacKey, ``R`` 128 bits, ``IOcap`` 24 bits (``iocap``), ``A1``/``A2``
    56 bits (``sc_address``).  Gives the DHKey checks Ea/Eb."""
    message = (
        _width("n1", n1, 16)
        + _width("n2", n2, 16)
        + _width("r", r, 16)
        + _width("io_cap", io_cap, 3)
        + _width("a1", a1, 7)
        + _width("a2", a2, 7)
    )
    return aes_cmac(_width("w", w, 16), message)


def g2(u: bytes, v: bytes, x: bytes, y: bytes) -> int:
    """LE Secure Connections numeric comparison value generation function g2 (2.2.9):
    ``g2(U, V, X, Y) = AES-CMAC_X(U || V || Y) mod 2^32``, returned as an integer; the six
    digits shown to the user are ``numeric_comparison_digits`` of it."""
    message = _width("u", u, 32) + _width("v", v, 32) + _width("y", y, 16)
    return int.from_bytes(aes_cmac(_width("x", x, 16), message)[-4:], "big")


def numeric_comparison_digits(g2_value: int) -> int:
    """The number displayed for numeric comparison: the six least significant decimal
    digits of g2's output (2.3.5.6.2), ``g2 mod 10^6``."""
    return g2_value % 1_000_000


def h6(w: bytes, key_id: bytes) -> bytes:
    """Link key conversion function h6 (2.2.10): ``h6(W, keyID) = AES-CMAC_W(keyID)``;
    ``W`` 128 bits, ``keyID`` 32 bits (e.g. ``KEY_ID_TMP1`` = ``b"tmp1"`` = 0x746d7031)."""
    return aes_cmac(_width("w", w, 16), _width("key_id", key_id, 4))


def h7(salt: bytes, w: bytes) -> bytes:
    """Link key conversion function h7 (2.2.11): ``h7(SALT, W) = AES-CMAC_SALT(W)``; both
    128 bits (e.g. ``H7_SALT_TMP1``)."""
    return aes_cmac(_width("salt", salt, 16), _width("w", w, 16))
