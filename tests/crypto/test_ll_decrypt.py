"""Link-layer decryption: spec sample data (Core v5.4, Vol 6, Part C, 1), round trips, wrong
keys, damaged and missing packets."""

from __future__ import annotations

import os

import numpy as np
from cryptography.hazmat.primitives.ciphers.aead import AESCCM
from hypothesis import given, settings
from hypothesis import strategies as st

from bpdiag.capture.record import Direction
from bpdiag.crypto import aes_batch
from bpdiag.crypto.decryptor import LinkDecryptor, _Link, _Session
from bpdiag.crypto.keyring import Keyring, KnownKey
from bpdiag.crypto.ll_crypto import COUNTER_MAX, LinkCipher, iv, nonce, session_key
from bpdiag.crypto.smp_crypto import e, s1
from tests.helpers import examples

H = bytes.fromhex
# Vol 6, Part C, 1: LTK, and LL_ENC_REQ / LL_ENC_RSP fields as on air (LSO first)
LTK = H("4C68384139F574D836BCF34E9DFB01BF")
SKD_M = H("1302f1e0dfcebdac")  # SKDm = 0xACBDCEDFE0F10213
SKD_S = H("7968574635241302")  # SKDs = 0x0213243546576879
IV_M, IV_S = H("24abdcba"), H("bebaafde")  # IVm = 0xBADCAB24, IVs = 0xDEAFBABE
SK = H("99AD1B5226A37E3E058E3B8E27C2C666")


def test_session_key_spec_sample() -> None:
    assert session_key(LTK, SKD_M, SKD_S) == SK


def test_nonce_layout_direction_bit_is_one_for_the_central() -> None:
    n = nonce(0x7F_1234_5678, True, iv(IV_M, IV_S))
    assert n == H("78563412") + bytes([0x7F | 0x80]) + H("24abdcbabebaafde")
    assert nonce(1, False, bytes(8))[4] == 0x00


def test_ccm_spec_sample_ll_start_enc_rsp() -> None:
    """The central's LL_START_ENC_RSP, packet counter 0: header 0x0F, payload 0x06 →
    ciphertext 9F and MIC CDA7F448."""
    c = LinkCipher(SK, iv(IV_M, IV_S))
    assert c.encrypt(0, True, 0x0F, b"\x06") == H("9fcda7f448")
    assert c.decrypt(0, True, 0x0F, H("9fcda7f448")) == b"\x06"
    assert c.decrypt(0, False, 0x0F, H("9fcda7f448")) is None  # direction bit inverted
    assert c.decrypt(1, True, 0x0F, H("9fcda7f448")) is None
    assert c.decrypt(0, True, 0x0F, H("9fcda7f449")) is None


def test_s1_spec_sample() -> None:
    # Vol 3, Part H, 2.2.4: s1(0, r1, r2)
    r1, r2 = H("000F0E0D0C0B0A091122334455667788"), H("010203040506070899AABBCCDDEEFF00")
    assert s1(bytes(16), r1, r2) == H("9a1fe1f0e8b0f49b5b4216ae796da062")


def test_batch_aes_equals_aes() -> None:
    n = 64
    kb, pb = os.urandom(16 * n), os.urandom(16 * n)
    keys = np.frombuffer(kb, "<u4").reshape(n, 4).T.astype(np.uint32)
    pts = np.frombuffer(pb, "<u4").reshape(n, 4).T.astype(np.uint32)
    out = aes_batch.encrypt(aes_batch.expand_keys(keys), pts)
    for i in range(n):
        assert aes_batch.to_bytes(out, i) == e(kb[16 * i : 16 * i + 16], pb[16 * i : 16 * i + 16])
    # FIPS-197, Appendix C.1
    k = aes_batch.columns(H("000102030405060708090a0b0c0d0e0f"))
    block = aes_batch.encrypt(
        aes_batch.expand_keys(k), aes_batch.columns(H("00112233445566778899aabbccddeeff"))
    )
    assert aes_batch.to_bytes(block, 0) == H("69c4e0d86a7b0430d8cdb78070b4c55a")


def _decryptor(ltk: bytes) -> LinkDecryptor:
    keys = Keyring()
    keys.ltks.append(KnownKey(ltk, "test"))
    dec = LinkDecryptor(keys)
    link = _Link()
    link.session = _Session(1, bytes(8), SKD_M, IV_M, SKD_S, IV_S)
    dec._links[0x1234] = link
    return dec


@settings(max_examples=40, deadline=None)
@given(
    key=st.binary(min_size=16, max_size=16),
    payloads=st.lists(st.binary(min_size=1, max_size=40), min_size=1, max_size=12),
    missing=st.sets(st.integers(0, 11), max_size=4),
)
def test_round_trip_with_missed_packets(
    key: bytes, payloads: list[bytes], missing: set[int]
) -> None:
    """Random keys and payloads: what the link encrypted decrypts, across packets the
    sniffer missed (counted as skipped counter values)."""
    cipher = LinkCipher(session_key(key, SKD_M, SKD_S), iv(IV_M, IV_S))
    dec = _decryptor(key)
    skipped = 0
    for counter, plain in enumerate(payloads):
        wire = cipher.encrypt(counter, True, 0x02, plain)
        if counter in missing:
            skipped += 1
            continue
        assert dec.decrypt(0x1234, Direction.C_TO_P, 0x0E, wire) == plain  # SN/NESN/MD ignored
    delivered = len(payloads) - len([m for m in missing if m < len(payloads)])
    assert dec.decrypted == delivered
    trailing = sum(
        1
        for k in range(len(payloads))
        if k in missing and all(j in missing for j in range(k, len(payloads)))
    )
    assert dec.skipped_counters == skipped - trailing


@settings(max_examples=40, deadline=None)
@given(
    key=st.binary(min_size=16, max_size=16),
    wrong=st.binary(min_size=16, max_size=16),
    plain=st.binary(min_size=1, max_size=40),
    flip=st.integers(0, 7),
)
def test_wrong_key_or_damage_never_decrypts(
    key: bytes, wrong: bytes, plain: bytes, flip: int
) -> None:
    cipher = LinkCipher(session_key(key, SKD_M, SKD_S), iv(IV_M, IV_S))
    wire = cipher.encrypt(0, False, 0x02, plain)
    if wrong != key:
        dec = _decryptor(wrong)
        assert dec.decrypt(0x1234, Direction.P_TO_C, 0x02, wire) is None
        assert dec.failed == 1 and dec.decrypted == 0
    damaged = bytearray(wire)
    damaged[len(damaged) // 2] ^= 1 << flip
    dec = _decryptor(key)
    assert dec.decrypt(0x1234, Direction.P_TO_C, 0x02, bytes(damaged)) is None
    assert dec.decrypt(0x1234, Direction.P_TO_C, 0x02, wire[:3]) is None  # shorter than a MIC
    assert dec.decrypt(0x9999, Direction.P_TO_C, 0x02, wire) is None  # a link never set up
    assert dec.failed == 3


def test_ltk_distributed_in_a_decrypted_pairing_opens_a_later_reconnection() -> None:
    """Key distribution seen (decrypted) on one link: a later LL_ENC_REQ on another link with
    that EDIV/Rand is decrypted with it (Vol 3, Part H, 3.6.2–3.6.3; 2.4.4)."""
    from bpdiag.decode import ll, smp
    from bpdiag.decode.pdu import Pdu

    ltk = H("00112233445566778899aabbccddeeff")
    ediv, rand = 0x2345, H("0102030405060708")
    dec = LinkDecryptor(Keyring())

    def pdu(aa: int, d: Direction, layer: str, op: int, msg: object) -> Pdu:
        return Pdu(1, 0.0, d, ("ll", aa), layer, op, msg)  # type: ignore[arg-type]

    P = Direction.P_TO_C
    dec.observe(pdu(1, P, "smp", 6, smp.parse_smp(b"\x06" + ltk[::-1])))
    dec.observe(pdu(1, P, "smp", 7, smp.parse_smp(b"\x07" + ediv.to_bytes(2, "little") + rand)))
    req = ll.EncReq(0x03, b"", rand, ediv, SKD_M, IV_M)
    rsp = ll.EncRsp(0x04, b"", SKD_S, IV_S)
    dec.observe(pdu(2, Direction.C_TO_P, "ll", 0x03, req))
    dec.observe(pdu(2, P, "ll", 0x04, rsp))
    wire = LinkCipher(session_key(ltk, SKD_M, SKD_S), iv(IV_M, IV_S)).encrypt(0, True, 3, b"\x06")
    dec.at_frame(7)
    assert dec.decrypt(2, Direction.C_TO_P, 3, wire) == b"\x06"
    assert dec.uses[0].source.startswith("distributed in the capture")


@settings(max_examples=40, deadline=None)
@given(
    counter=st.one_of(st.integers(0, 1 << 16), st.integers(COUNTER_MAX - 4, COUNTER_MAX)),
    central=st.booleans(),
    plain=st.binary(min_size=1, max_size=40),
)
def test_decrypt_nonce_matches_the_spec_nonce(counter: int, central: bool, plain: bytes) -> None:
    """decrypt builds its nonce inline: it opens exactly what was sealed under ``nonce()``
    (the direction bit at bit 7 of octet 4, up to the largest 39-bit counter), and nothing
    under the other direction or a counter beyond 39 bits."""
    cipher = LinkCipher(SK, iv(IV_M, IV_S))
    n = nonce(counter, central, iv(IV_M, IV_S))
    wire = AESCCM(SK, tag_length=4).encrypt(n, plain, bytes([0x02]))
    assert cipher.decrypt(counter, central, 0x02, wire) == plain
    assert cipher.decrypt(counter, not central, 0x02, wire) is None
    assert cipher.decrypt(COUNTER_MAX + 1, central, 0x02, wire) is None


def test_wrong_direction_costs_one_try_not_a_window() -> None:
    """Packets the stream gives the wrong direction (an inferred direction on a sniffer that
    missed packets): the expected counter of the other direction is tried second, before any
    counter search, and the skipped count stays 0."""
    cipher = LinkCipher(session_key(LTK, SKD_M, SKD_S), iv(IV_M, IV_S))
    dec = _decryptor(LTK)
    tried: list[tuple[int, bool]] = []
    lock = dec._links[0x1234].session

    class Counting(LinkCipher):
        def decrypt(self, counter: int, central: bool, h0: int, payload: bytes) -> bytes | None:
            tried.append((counter, central))
            return super().decrypt(counter, central, h0, payload)

    for counter in range(3):
        wire = cipher.encrypt(counter, False, 0x02, b"peripheral says %d" % counter)
        if counter == 1:  # locked by now: count the tries of this packet
            assert lock is not None and lock.locked is not None
            label, c = lock.locked
            lock.locked = (label, Counting(session_key(LTK, SKD_M, SKD_S), c.iv))
        assert dec.decrypt(0x1234, Direction.C_TO_P, 0x02, wire) is not None
        assert dec.last_from_central is False
    # the central sent nothing yet: its expected counter stays 0
    assert tried == [(0, True), (1, False), (0, True), (2, False)]
    assert dec.skipped_counters == 0


@settings(max_examples=examples(100, deep=200), deadline=None)
@given(
    key=st.binary(min_size=16, max_size=16),
    counter=st.one_of(st.integers(0, 300), st.integers(COUNTER_MAX - 70, COUNTER_MAX)),
    central=st.booleans(),
    header0=st.integers(0, 255),
    plain=st.binary(min_size=1, max_size=251),
    damage=st.one_of(st.none(), st.tuples(st.integers(0, 1 << 16), st.integers(0, 7))),
    runs=st.lists(
        st.tuples(
            st.one_of(
                st.integers(0, 300),
                st.integers(COUNTER_MAX - 70, COUNTER_MAX + 2),
                st.integers(-3, -1),
            ),
            st.booleans(),
        ),
        min_size=1,
        max_size=3,
    ),
    length=st.sampled_from([1, 2, 17, 64]),
)
def test_first_opening_finds_what_trying_each_counter_finds(
    key: bytes,
    counter: int,
    central: bool,
    header0: int,
    plain: bytes,
    damage: tuple[int, int] | None,
    runs: list[tuple[int, bool]],
    length: int,
) -> None:
    """The batched CCM check answers as ``decrypt`` tried on every candidate in turn: the
    first (run, counter) that opens the packet, none for a damaged one or counters past 39
    bits, whatever the payload's length (one octet to a full 251-octet PDU)."""
    cipher = LinkCipher(key, iv(IV_M, IV_S))
    wire = cipher.encrypt(counter, central, header0, plain)
    if damage is not None:
        at, bit = damage
        damaged = bytearray(wire)
        damaged[at % len(damaged)] ^= 1 << bit
        wire = bytes(damaged)
    # a run that contains the packet's counter, so that there is something to find
    runs = [*runs, (max(0, counter - length // 2), central)]
    expected = next(
        (
            r * length + k
            for r, (first, d) in enumerate(runs)
            for k in range(length)
            if 0 <= first + k <= COUNTER_MAX and cipher.decrypt(first + k, d, header0, wire)
        ),
        -1,
    )
    assert cipher.first_opening(runs, length, header0, wire) == expected
    assert cipher.first_opening(runs, length, header0, wire[:4]) == -1  # no room for a MIC


def test_a_long_counter_search_finds_the_packet_after_missed_ones() -> None:
    """Sixty packets the sniffer missed in the other direction than the stream said: found
    by the batched search, with the skipped counters counted."""
    cipher = LinkCipher(session_key(LTK, SKD_M, SKD_S), iv(IV_M, IV_S))
    dec = _decryptor(LTK)
    assert dec.decrypt(0x1234, Direction.C_TO_P, 0x02, cipher.encrypt(0, True, 0x02, b"a")) == b"a"
    wire = cipher.encrypt(61, False, 0x02, b"after sixty missed")
    assert dec.decrypt(0x1234, Direction.C_TO_P, 0x02, wire) == b"after sixty missed"
    assert dec.last_from_central is False
    assert dec.skipped_counters == 61
    assert dec.decrypt(0x1234, Direction.C_TO_P, 0x02, wire) is None  # counter moved past it
