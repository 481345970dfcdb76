"""SMP crypto toolbox (Vol 3, Part H, 2.2): the spec's sample data, and agreement with
Bumble's implementation (``bumble.crypto``, little-endian arguments) on random inputs.

Sample values are written as the spec writes them — most significant octet first, in groups
of 32 bits — which is also the toolbox's argument order, so ``H(...)`` is all a test needs.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bpdiag.crypto import smp_crypto as sc
from bpdiag.decode import smp


def H(text: str) -> bytes:  # reads like the spec's hex values
    return bytes.fromhex(text)


# Appendix D sample data (the debug key pair's public X coordinates, nonces, addresses)
PKAX = H("20b003d2 f297be2c 5e2c83a7 e9f9a5b9 eff49111 acf4fddb cc030148 0e359de6")
PKBX = H("55188b3d 32f6bb9a 900afcfb eed4e72a 59cb9ac2 f19d7cfb 6b4fdd49 f47fc5fd")
DHKEY = H("ec0234a3 57c8ad05 341010a6 0a397d9b 99796b13 b4f866f1 868d34f3 73bfa698")
N1 = H("d5cb8454 d177733e ffffb2ec 712baeab")
N2 = H("a6e8e7cc 25a75f6e 216583f7 ff3dc4cf")
A1 = H("00561237 37bfce")
A2 = H("00a71370 2dcfc1")
MAC_KEY = H("2965f176 a1084a02 fd3f6a20 ce636e20")
LTK = H("69867911 69d7cd23 980522b5 94750a38")
KEY = H("ec0234a3 57c8ad05 341010a6 0a397d9b")


# --------------------------------------------------------------------------- spec samples
def test_e_is_aes_128() -> None:
    # FIPS-197 Appendix C.1: AES-128 of 00112233…ff under 00010203…0f
    assert sc.e(H("000102030405060708090a0b0c0d0e0f"), H("00112233445566778899aabbccddeeff")) == (
        H("69c4e0d86a7b0430d8cdb78070b4c55a")
    )


def test_aes_cmac_rfc4493() -> None:
    k = H("2b7e1516 28aed2a6 abf71588 09cf4f3c")
    m = H(
        "6bc1bee2 2e409f96 e93d7e11 7393172a ae2d8a57 1e03ac9c 9eb76fac 45af8e51"
        "30c81c46 a35ce411 e5fbc119 1a0a52ef f69f2445 df4f9b17 ad2b417b e66c3710"
    )
    assert sc.aes_cmac(k, b"") == H("bb1d6929 e9593728 7fa37d12 9b756746")
    assert sc.aes_cmac(k, m[:16]) == H("070a16b4 6b4d4144 f79bdd9d d04a287c")
    assert sc.aes_cmac(k, m[:40]) == H("dfa66747 de9ae630 30ca3261 1497c827")
    assert sc.aes_cmac(k, m) == H("51f0bebf 7e3b9d92 fc497417 79363cfe")


def test_c1_spec_example() -> None:
    """2.2.3: k = 0, iat' = 0x01, rat' = 0x00, preq 0x07071000000101, pres
    0x05000800000302, ia 0xA1A2A3A4A5A6, ra 0xB1B2B3B4B5B6."""
    confirm = sc.c1(
        k=bytes(16),
        r=H("5783D52156AD6F0E6388274EC6702EE0"),
        preq=H("07071000000101"),
        pres=H("05000800000302"),
        iat=1,
        rat=0,
        ia=H("A1A2A3A4A5A6"),
        ra=H("B1B2B3B4B5B6"),
    )
    assert confirm == H("1e1e3fef878988ead2a74dc5bef13b86")


def test_c1_from_decoded_pdus() -> None:
    """The same example fed from the wire: the Pairing Request/Response PDUs as sent, the
    addresses as printed, and the confirm value as a Pairing Confirm would carry it."""
    preq = smp.PairingRequest(
        io_capability=0x01, oob=0x00, auth_req=0x00, max_key_size=16,
        initiator_key_distribution=0x07, responder_key_distribution=0x07,
    )  # fmt: skip
    pres = smp.PairingResponse(
        io_capability=0x03, oob=0x00, auth_req=0x00, max_key_size=8,
        initiator_key_distribution=0x00, responder_key_distribution=0x05,
    )  # fmt: skip
    assert bytes(preq) == H("01010000100707")  # wire order: code first
    confirm = sc.c1(
        bytes(16),
        H("5783D52156AD6F0E6388274EC6702EE0"),
        sc.pairing_pdu_value(bytes(preq)),
        sc.pairing_pdu_value(bytes(pres)),
        1,
        0,
        sc.bd_addr("A1:A2:A3:A4:A5:A6"),
        sc.bd_addr("B1:B2:B3:B4:B5:B6"),
    )
    on_air = smp.PairingConfirm(sc.to_wire(confirm))
    assert on_air.fields() == {"confirm": "863bf1bec54da7d2ea888987ef3f1e1e"}
    assert sc.from_wire(on_air.confirm) == H("1e1e3fef878988ead2a74dc5bef13b86")


def test_s1_spec_example() -> None:
    """2.2.4: k = 0, r1 = 0x000F0E0D0C0B0A091122334455667788,
    r2 = 0x010203040506070899AABBCCDDEEFF00, r' = 0x112233445566778899AABBCCDDEEFF00."""
    stk = sc.s1(
        bytes(16),
        H("000F0E0D0C0B0A091122334455667788"),
        H("010203040506070899AABBCCDDEEFF00"),
    )
    assert stk == H("9a1fe1f0e8b0f49b5b4216ae796da062")


def test_f4_sample() -> None:
    assert sc.f4(PKAX, PKBX, N1, b"\x00") == H("f2c916f1 07a9bd1c f1eda1be a974872d")


def test_f5_sample() -> None:
    mac_key, ltk = sc.f5(DHKEY, N1, N2, A1, A2)
    assert mac_key == MAC_KEY
    assert ltk == LTK


def test_f6_sample() -> None:
    r = H("12a3343b b453bb54 08da42d2 0c2d0fc8")
    io_cap = H("010102")
    assert sc.f6(MAC_KEY, N1, N2, r, io_cap, A1, A2) == H("e3c47398 9cd0e8c5 d26c0b09 da958f61")


def test_g2_sample() -> None:
    value = sc.g2(PKAX, PKBX, N1, N2)
    assert value == 0x2F9ED5BA
    assert sc.numeric_comparison_digits(value) == 0x2F9ED5BA % 1_000_000 == 938554


def test_h6_sample() -> None:
    assert sc.h6(KEY, H("6c656272")) == H("2d9ae102 e76dc91c e8d3a9e2 80b16399")
    assert sc.KEY_ID_LEBR.hex() == "6c656272"


def test_h7_sample() -> None:
    salt = H("00000000 00000000 00000000 746D7031")
    assert salt == sc.H7_SALT_TMP1
    assert sc.h7(salt, KEY) == H("fb173597 c6a3c0ec d2998c2a 75a57011")


def test_ah_sample() -> None:
    assert sc.ah(KEY, H("708194")) == H("0dfbaa")


CTKD_LTK = "368df9bc e3264b58 bd066c33 334fbf64"  # the samples of 2.4.2.4 and 2.4.2.5
CTKD_LINK_KEY = "05040302 01000908 07060504 03020100"


@pytest.mark.parametrize(
    ("key", "salt", "key_id", "result_id", "ct2", "expected"),
    [
        # LTK to LinkKey (2.4.2.4)
        (CTKD_LTK, sc.H7_SALT_TMP1, sc.KEY_ID_TMP1, sc.KEY_ID_LEBR, False,
         "bc1ca4ef 633fc1bd 0d8230af ee388fb0"),
        (CTKD_LTK, sc.H7_SALT_TMP1, sc.KEY_ID_TMP1, sc.KEY_ID_LEBR, True,
         "287ad379 dca40253 0a39f1f4 3047b835"),
        # LinkKey to LTK (2.4.2.5)
        (CTKD_LINK_KEY, sc.H7_SALT_TMP2, sc.KEY_ID_TMP2, sc.KEY_ID_BRLE, False,
         "a813fb72 f1a3dfa1 8a2c9a43 f10d0a30"),
        (CTKD_LINK_KEY, sc.H7_SALT_TMP2, sc.KEY_ID_TMP2, sc.KEY_ID_BRLE, True,
         "e85e09eb 5eccb3e2 69418a13 3211bc79"),
    ],
)  # fmt: skip
def test_cross_transport_key_samples(
    key: str, salt: bytes, key_id: bytes, result_id: bytes, ct2: bool, expected: str
) -> None:
    """Appendix D, LTK to LinkKey and LinkKey to LTK: ILK = h7(SALT, key) with CT2, else
    h6(key, keyID tmp1/tmp2); the result = h6(ILK, keyID lebr/brle)."""
    ilk = sc.h7(salt, H(key)) if ct2 else sc.h6(H(key), key_id)
    assert sc.h6(ilk, result_id) == H(expected)


# --------------------------------------------------------------------------- helpers
def test_byte_order_helpers() -> None:
    assert sc.from_wire(b"\x01\x02\x03") == b"\x03\x02\x01"
    assert sc.to_wire(b"\x01\x02\x03") == b"\x03\x02\x01"
    assert sc.pairing_pdu_value(H("01010000100707")) == H("07071000000101")
    assert sc.bd_addr("a1:A2:a3:a4:a5:a6") == H("a1a2a3a4a5a6")
    assert sc.sc_address(0, H("561237 37bfce")) == A1
    assert sc.sc_address(1, H("a1a2a3a4a5a6")) == H("01a1a2a3a4a5a6")
    assert sc.iocap(auth_req=0x01, oob=0x01, io_capability=0x02) == H("010102")
    assert sc.F5_KEY_ID.hex() == "62746c65"


def test_identity_address_from_the_wire() -> None:
    """An Identity Address Information value turns into f5's A1 via the helpers."""
    cmd = smp.parse_smp(H("09 00 ce bf 37 37 12 56"))
    assert isinstance(cmd, smp.IdentityAddressInformation)
    assert sc.sc_address(cmd.address_type, sc.from_wire(cmd.address)) == A1
    assert sc.bd_addr(str(cmd.fields()["address"])) == sc.from_wire(cmd.address)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: sc.e(bytes(15), bytes(16)), "key must be 16 octets, got 15"),
        (lambda: sc.e(bytes(16), bytes(17)), "plaintext must be 16 octets, got 17"),
        (lambda: sc.ah(bytes(16), bytes(6)), "r must be 3 octets, got 6"),
        (
            lambda: sc.c1(bytes(16), bytes(16), bytes(6), bytes(7), 0, 0, bytes(6), bytes(6)),
            "preq must be 7 octets, got 6",
        ),
        (
            lambda: sc.c1(bytes(16), bytes(16), bytes(7), bytes(7), 2, 0, bytes(6), bytes(6)),
            "iat must be 0 \\(public\\) or 1 \\(random\\), got 2",
        ),
        (lambda: sc.s1(bytes(16), bytes(8), bytes(16)), "r1 must be 16 octets, got 8"),
        (lambda: sc.f4(bytes(32), bytes(32), bytes(16), b""), "z must be 1 octets, got 0"),
        (lambda: sc.f5(bytes(16), N1, N2, A1, A2), "w must be 32 octets, got 16"),
        (lambda: sc.f6(MAC_KEY, N1, N2, N1, bytes(2), A1, A2), "io_cap must be 3 octets"),
        (lambda: sc.g2(PKAX, PKBX, N1, bytes(32)), "y must be 16 octets, got 32"),
        (lambda: sc.h6(KEY, b"lebr0"), "key_id must be 4 octets, got 5"),
        (lambda: sc.h7(bytes(4), KEY), "salt must be 16 octets, got 4"),
        (lambda: sc.pairing_pdu_value(bytes(8)), "pairing PDU must be 7 octets, got 8"),
        (lambda: sc.bd_addr("A1A2A3A4A5A6"), "not a BD_ADDR"),
        (lambda: sc.sc_address(2, bytes(6)), "address_type must be 0"),
        (lambda: sc.iocap(0x100, 0, 0), "auth_req must be one octet"),
    ],
)
def test_wrong_widths_are_value_errors(call: Callable[[], object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()


def test_text_is_not_bytes() -> None:
    with pytest.raises(TypeError, match="key must be bytes, got str"):
        sc.e("00" * 16, bytes(16))  # type: ignore[arg-type]


# --------------------------------------------------------------------------- vs Bumble
def octets(n: int) -> st.SearchStrategy[bytes]:
    return st.binary(min_size=n, max_size=n)


LE = sc.to_wire  # Bumble's crypto takes and returns little-endian (wire order) values


def bumble_crypto() -> ModuleType:
    return pytest.importorskip("bumble.crypto")


@settings(max_examples=200, deadline=None)
@given(octets(16), octets(16))
def test_e_agrees_with_bumble(key: bytes, data: bytes) -> None:
    bcrypto = bumble_crypto()
    assert sc.e(key, data) == sc.from_wire(bcrypto.e(LE(key), LE(data)))


@settings(max_examples=200, deadline=None)
@given(octets(16), octets(3))
def test_ah_agrees_with_bumble(k: bytes, r: bytes) -> None:
    bcrypto = bumble_crypto()
    assert sc.ah(k, r) == sc.from_wire(bcrypto.ah(LE(k), LE(r)))


@settings(max_examples=200, deadline=None)
@given(
    octets(16), octets(16), octets(7), octets(7), st.integers(0, 1), st.integers(0, 1),
    octets(6), octets(6),
)  # fmt: skip
def test_c1_agrees_with_bumble(
    k: bytes, r: bytes, preq: bytes, pres: bytes, iat: int, rat: int, ia: bytes, ra: bytes
) -> None:
    bcrypto = bumble_crypto()
    theirs = bcrypto.c1(LE(k), LE(r), LE(preq), LE(pres), iat, rat, LE(ia), LE(ra))
    assert sc.c1(k, r, preq, pres, iat, rat, ia, ra) == sc.from_wire(theirs)


@settings(max_examples=200, deadline=None)
@given(octets(16), octets(16), octets(16))
def test_s1_agrees_with_bumble(k: bytes, r1: bytes, r2: bytes) -> None:
    bcrypto = bumble_crypto()
    assert sc.s1(k, r1, r2) == sc.from_wire(bcrypto.s1(LE(k), LE(r1), LE(r2)))


@settings(max_examples=200, deadline=None)
@given(octets(32), octets(32), octets(16), octets(1))
def test_f4_agrees_with_bumble(u: bytes, v: bytes, x: bytes, z: bytes) -> None:
    bcrypto = bumble_crypto()
    assert sc.f4(u, v, x, z) == sc.from_wire(bcrypto.f4(LE(u), LE(v), LE(x), z))


@settings(max_examples=200, deadline=None)
@given(octets(32), octets(16), octets(16), octets(7), octets(7))
def test_f5_agrees_with_bumble(w: bytes, n1: bytes, n2: bytes, a1: bytes, a2: bytes) -> None:
    bcrypto = bumble_crypto()
    mac_key, ltk = bcrypto.f5(LE(w), LE(n1), LE(n2), LE(a1), LE(a2))
    assert sc.f5(w, n1, n2, a1, a2) == (sc.from_wire(mac_key), sc.from_wire(ltk))


@settings(max_examples=200, deadline=None)
@given(octets(16), octets(16), octets(16), octets(16), octets(3), octets(7), octets(7))
def test_f6_agrees_with_bumble(
    w: bytes, n1: bytes, n2: bytes, r: bytes, io_cap: bytes, a1: bytes, a2: bytes
) -> None:
    bcrypto = bumble_crypto()
    theirs = bcrypto.f6(LE(w), LE(n1), LE(n2), LE(r), LE(io_cap), LE(a1), LE(a2))
    assert sc.f6(w, n1, n2, r, io_cap, a1, a2) == sc.from_wire(theirs)


@settings(max_examples=200, deadline=None)
@given(octets(32), octets(32), octets(16), octets(16))
def test_g2_agrees_with_bumble(u: bytes, v: bytes, x: bytes, y: bytes) -> None:
    bcrypto = bumble_crypto()
    assert sc.g2(u, v, x, y) == bcrypto.g2(LE(u), LE(v), LE(x), LE(y))


@settings(max_examples=200, deadline=None)
@given(octets(16), octets(4))
def test_h6_agrees_with_bumble(w: bytes, key_id: bytes) -> None:
    bcrypto = bumble_crypto()
    # Bumble passes keyID as written (MSB first) and W little-endian
    assert sc.h6(w, key_id) == sc.from_wire(bcrypto.h6(LE(w), key_id))


@settings(max_examples=200, deadline=None)
@given(octets(16), octets(16))
def test_h7_agrees_with_bumble(salt: bytes, w: bytes) -> None:
    bcrypto = bumble_crypto()
    # Bumble passes SALT as written (MSB first) and W little-endian
    assert sc.h7(salt, w) == sc.from_wire(bcrypto.h7(salt, LE(w)))
