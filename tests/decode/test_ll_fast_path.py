"""The air fast path (``LlStream._feed_nordic`` / ``_feed_phdr``: data PDUs read from their
header octets, empty PDUs and bad CRCs handled in place, repeated advertising dropped) gives
exactly what the full path gives (``LlStream(fast=False)``): the same PDUs, skips, problems,
counters, per-link state (direction and timing, last SN/LLID/payload per side) and the same
decryptor state (packets decrypted and failed, counter values skipped, keys used, each
session's packet counters) — on every air capture there is (nRF Sniffer, LE LL with and
without PHDR, PPI; pcap and pcapng), on hand-made edge cases, and on real records with
random damage.  The CLI's ``analyze --json`` and ``dump --json`` of every air capture are the
same both ways too."""

from __future__ import annotations

import functools
import random
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bpdiag.capture import open_capture
from bpdiag.capture.record import LinkType, Record
from bpdiag.crypto.decryptor import LinkDecryptor
from bpdiag.crypto.keyring import Keyring
from bpdiag.decode import ll_stream
from bpdiag.decode.ll import crc24
from bpdiag.decode.ll_stream import LlStream
from tests.conftest import SHARED, all_captures, capture_id, require_shared
from tests.decode.test_ll_stream import (
    AA,
    AA2,
    CRC_INIT,
    LL_START_ENC_REQ,
    PAIRING_REQUEST,
    adv_ind,
    air,
    connect_ind,
    phdr,
    smp,
    version_ind,
)
from tests.golden_outputs import outputs

AIR = frozenset(
    {
        LinkType.NORDIC_BLE,
        LinkType.BLUETOOTH_LE_LL_WITH_PHDR,
        LinkType.BLUETOOTH_LE_LL,
        LinkType.PPI,
    }
)


def _records(path: Path) -> list[Record]:
    with open_capture(path) as cap:
        return [r for r in cap if r.link_type in AIR]


def _has_air(path: Path) -> bool:
    with open_capture(path) as cap:
        return any(r.link_type in AIR for r in cap)


@functools.cache
def _air_captures() -> tuple[Path, ...]:
    """The pcap and pcapng captures with air records, looked for once per process (collection
    asks twice, a test once more) and each only up to its first air record."""
    return tuple(p for p in all_captures() if p.suffix in (".pcap", ".pcapng") and _has_air(p))


def _run(recs: list[Record], fast: bool) -> Any:
    """Everything the stream and its decryptor end up with, fed as ``walk_file`` feeds them."""
    s = LlStream(fast=fast)
    dec = LinkDecryptor(Keyring())
    s.decryptor = dec
    skips: list[tuple[int, str, int]] = []
    s.on_skip = lambda f, r, ref: skips.append((f, r, ref))
    pdus = []
    for rec in recs:
        for p in s.feed(rec):
            dec.observe(p)
            pdus.append(
                (p.frame, p.first_frame, p.direction, p.layer, p.opcode, p.link, p.msg, p.answers)
            )
    s.finish()
    links = {
        aa: (
            link.last_time,
            link.last_channel,
            link.last_length,
            link.last_dir,
            link.enc,
            link.interval,
            dict(link.sent),
        )
        for aa, link in s.links.items()
    }
    counters = (
        s.crc_errors,
        s.retransmissions,
        s.encrypted_skipped,
        s.unknown_state_skipped,
        s.isochronous_skipped,
        s.flagged_bad_mic,
        s.links_expired,
        s.cut_skipped,
    )
    sessions = {
        aa: None if st.session is None else (dict(st.session.counter), st.session.failures)
        for aa, st in dec._links.items()
    }
    decryption = (
        dec.decrypted,
        dec.failed,
        dec.skipped_counters,
        [(u.access_address, u.frame, u.source) for u in dec.uses],
        sessions,
    )
    return pdus, skips, s.problems, counters, links, decryption


@pytest.mark.parametrize("path", _air_captures(), ids=capture_id)
def test_fast_path_agrees_with_the_full_path(path: Path) -> None:
    recs = _records(path)
    fast = _run(recs, True)
    assert fast == _run(recs, False)
    assert fast[3][1] or fast[0]  # the capture was decoded at all


@pytest.mark.parametrize("path", _air_captures(), ids=capture_id)
def test_outputs_agree_with_the_full_path(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``analyze --json`` and ``dump --json`` (the goldens' outputs) are the same when every
    record takes the full path."""
    fast = outputs(path)
    monkeypatch.setattr(ll_stream.LlStream.__init__, "__defaults__", (False,))
    assert LlStream().fast is False
    assert outputs(path) == fast


def test_air_captures_of_every_link_type_are_compared() -> None:
    require_shared()
    kinds = {(r.link_type, p.suffix) for p in _air_captures() for r in _records(p)[:1]}
    assert {LinkType.NORDIC_BLE, LinkType.BLUETOOTH_LE_LL_WITH_PHDR} <= {k for k, _ in kinds}
    assert {LinkType.BLUETOOTH_LE_LL, LinkType.PPI} <= {k for k, _ in kinds}
    assert {".pcap", ".pcapng"} <= {s for _, s in kinds}


def _full_path_calls(recs: list[Record]) -> list[int]:
    """The records a fast stream sends down the full path."""
    s = LlStream()
    full = s._feed_slow
    calls: list[int] = []

    def counted(rec: Record) -> list[Any]:
        calls.append(rec.index)
        return full(rec)

    s._feed_slow = counted  # type: ignore[method-assign]
    for rec in recs:
        s.feed(rec)
    return calls


def test_fast_path_is_taken() -> None:
    """Most packets of a sniffer session never reach the full decoder."""
    require_shared()
    for name in (
        "lephdr_lesc_justworks_dumpcap_bsniffhub.pcapng",
        "nordic_lesc_justworks_bsniffhub.pcap",
    ):
        recs = _records(SHARED / name)
        assert len(_full_path_calls(recs)) < len(recs) // 10, name


# ================================================================ hand-made edge cases
def nordic3(ble: bytes, *, c_to_p: bool = True, flags: int = 0x01, channel: int = 5) -> bytes:
    """nRF Sniffer header version 3 (packet id 0x06 data, 0x02 advertising by access
    address), event header of 10 octets; ``flags`` bit 1 is set by ``c_to_p``."""
    adv = ble[:4] == bytes.fromhex("d6be898e")
    flags = flags & ~0x02 | (0x02 if c_to_p and not adv else 0)
    head = bytes([0x00]) + struct.pack("<H", 10 + len(ble)) + bytes([3, 0, 0, 2 if adv else 6])
    return head + bytes([10, flags, channel, 50]) + bytes(6) + ble


def nordic2(ble: bytes, *, c_to_p: bool = True, flags: int = 0x01, channel: int = 5) -> bytes:
    """Header version 2: the advertising packets told by their access address."""
    rec = bytearray(nordic3(ble, c_to_p=c_to_p, flags=flags, channel=channel))
    rec[3], rec[6] = 2, 0x06
    return bytes(rec)


def data(llid: int, payload: bytes, *, sn: int = 0, nesn: int = 0, md: int = 0) -> bytes:
    """A data packet on ``AA`` with a correct CRC (``md``: the More Data bit)."""
    pkt = bytearray(air(AA, llid, payload, sn=sn, nesn=nesn))
    if md:
        pkt[4] |= 0x10
        pkt[-3:] = crc24(bytes(pkt[4:-3]), CRC_INIT)
    return bytes(pkt)


def bad_crc(pkt: bytes) -> bytes:
    return pkt[:-1] + bytes([pkt[-1] ^ 0xFF])


EMPTY = 1, b""
VERSION = 3, version_ind(1)
PAIRING = 2, smp(PAIRING_REQUEST)
TERMINATE = 3, b"\x02\x13"  # LL_TERMINATE_IND


def _scenario(wrap: Callable[..., bytes], link_type: int) -> list[Record]:
    """A connection with every kind of packet the fast path must tell apart; ``wrap(ble,
    c_to_p=…, flags=…)`` makes a record of ``link_type``."""
    c, p = True, False
    steps: list[tuple[bytes, bool, dict[str, int]]] = [
        (adv_ind(bytes(6), b"\x02\x01\x06"), c, {}),
        (adv_ind(bytes(6), b"\x02\x01\x06"), c, {}),  # repeated advertising
        (connect_ind(), c, {}),
        (data(*EMPTY), c, {}),
        (data(*EMPTY, nesn=1, md=1), p, {}),  # empty PDU with MD set
        (data(*VERSION, sn=1, nesn=1), c, {}),
        (data(*VERSION, sn=1, nesn=1), c, {}),  # retransmission: same SN and payload
        (data(*EMPTY, sn=1, nesn=0, md=1), p, {}),  # NESN not moved: asks again
        (data(*VERSION, sn=1, nesn=1), c, {}),  # again
        (data(3, version_ind(2), sn=1, nesn=1), c, {}),  # same SN, new payload: new PDU
        (data(*EMPTY, sn=1, nesn=0), p, {}),
        (data(*EMPTY, sn=0, nesn=1), c, {}),
        (data(*EMPTY, sn=0, nesn=1), c, {}),  # an empty PDU again: never a retransmission
        (bad_crc(data(*PAIRING, sn=1, nesn=1)), p, {"crc": 1}),
        (bad_crc(adv_ind(bytes(6), b"\x02\x01\x06")), c, {"crc": 1}),
        (data(*EMPTY, sn=0, nesn=1), c, {}),
        (data(*PAIRING, sn=1, nesn=1), p, {}),
        (data(*EMPTY, sn=0, nesn=1), c, {}),
        (data(*PAIRING, sn=1, nesn=1), p, {}),  # retransmission of an SMP PDU
        (data(*PAIRING, sn=1, nesn=1) + b"\x00", p, {}),  # one octet after the CRC
        (data(*PAIRING, sn=0, nesn=1)[:-5], p, {}),  # cut short
        (data(*TERMINATE, sn=1, nesn=0), c, {"coded": 1}),  # LE Coded
        (struct.pack("<I", AA) + b"\x23\x02\x00\x02\x13\0\0\0", c, {}),  # CTEInfo
        (air(AA2, 3, version_ind(3)), c, {}),  # an access address with no CONNECT_IND
        (air(AA2, 1, b""), p, {}),  # now a known link
        (data(3, LL_START_ENC_REQ, sn=0, nesn=0), c, {}),
        (data(*EMPTY, sn=0, nesn=1), p, {}),
        (data(3, b"\x06" + bytes(4), sn=1, nesn=1), c, {"enc": 1}),  # encrypted, no MIC OK
        (data(3, b"\x06" + bytes(4), sn=1, nesn=1), c, {"enc": 1}),  # its retransmission
        (data(2, smp(b"\x0a" + bytes(16)) + bytes(4), sn=1, nesn=0), p, {"enc": 2}),  # MIC OK
        (data(*EMPTY, sn=0, nesn=0), c, {"enc": 2}),
        (data(0, b"\x01\x02", sn=0, nesn=1), p, {}),  # reserved LLID
        (data(3, b"\x05\x00", sn=1, nesn=0), c, {}),  # LL_START_ENC_REQ, 1 octet too long
        (data(2, smp(b"\x01\x03"), sn=1, nesn=1), p, {}),  # a Pairing Request cut short
    ]
    recs = []
    t = 1.0
    for i, (ble, to_p, opts) in enumerate(steps, start=1):
        # The central opens each connection event; the peripheral answers 300 µs later.
        t += 0.003 if to_p else 0.0003
        recs.append(Record(i, t, link_type, wrap(ble, c_to_p=to_p, **opts), i * 64))
    return recs


def _nordic_flags(c_to_p: bool, crc: int = 0, coded: int = 0, enc: int = 0) -> int:
    f = 0x00 if crc else 0x01
    if coded:
        f |= 0x20
    if enc:
        f |= 0x04 | (0x08 if enc == 2 else 0)
    return f


def _wrap_nordic(make: Callable[..., bytes]) -> Callable[..., bytes]:
    def wrap(ble: bytes, *, c_to_p: bool, **opts: int) -> bytes:
        flags = _nordic_flags(c_to_p, **opts)
        if opts.get("coded"):
            ble = ble[:4] + b"\x00" + ble[4:]  # coding indicator
        return make(ble, c_to_p=c_to_p, flags=flags)

    return wrap


def _wrap_phdr(pdu_type_of: Callable[[bool], int], crc_checked: bool) -> Callable[..., bytes]:
    def wrap(ble: bytes, *, c_to_p: bool, **opts: int) -> bytes:
        flags = 0x0C00 if crc_checked else 0
        if opts.get("crc") and crc_checked:
            flags = 0x0400
        if opts.get("coded"):
            flags |= 0x8000
            ble = ble[:4] + b"\x00" + ble[4:]
        if opts.get("enc") == 1:
            flags |= 0x1000  # MIC checked, not valid
        elif opts.get("enc") == 2:
            flags |= 0x3000 if c_to_p else 0x0008  # MIC valid; decrypted
        adv = ble[:4] == bytes.fromhex("d6be898e")
        return phdr(ble, pdu_type=0 if adv else pdu_type_of(c_to_p), flags=flags)

    return wrap


EDGE_CASES: dict[str, tuple[Callable[..., bytes], int]] = {
    "nordic-v3": (_wrap_nordic(nordic3), LinkType.NORDIC_BLE),
    "nordic-v2": (_wrap_nordic(nordic2), LinkType.NORDIC_BLE),
    "phdr-direction": (
        _wrap_phdr(lambda c: 2 if c else 3, True),
        LinkType.BLUETOOTH_LE_LL_WITH_PHDR,
    ),
    "phdr-inferred": (_wrap_phdr(lambda c: 0, True), LinkType.BLUETOOTH_LE_LL_WITH_PHDR),
    "phdr-crc-unchecked": (_wrap_phdr(lambda c: 0, False), LinkType.BLUETOOTH_LE_LL_WITH_PHDR),
}


@pytest.mark.parametrize("case", EDGE_CASES)
def test_edge_cases_agree(case: str) -> None:
    wrap, link_type = EDGE_CASES[case]
    recs = _scenario(wrap, link_type)
    fast = _run(recs, True)
    assert fast == _run(recs, False)
    pdus, skips, problems, counters, links, _ = fast
    # What the scenario holds, so that agreeing on nothing cannot pass: the version
    # indication (6) repeated twice, the two bad CRCs (which the CRC-unchecked capture has
    # bpdiag check), the pairing request (17) repeated once, the packet flagged as
    # ciphertext (28) repeated once; the rest decoded or reported.
    assert skips == [
        (7, "retransmission", 6),
        (9, "retransmission", 6),
        (14, "crc", 0),
        (15, "crc", 0),
        (19, "retransmission", 17),
        (28, "encrypted", 0),
        (29, "retransmission", 28),
    ]
    assert [(p[0], p[3], p[4]) for p in pdus] == [
        (1, "adv", 0),
        (3, "adv", 5),
        (6, "ll", 0x0C),
        (10, "ll", 0x0C),  # same SN, new payload: a new PDU
        (17, "smp", 0x01),
        (22, "ll", 0x02),  # LE Coded
        (23, "ll", 0x02),  # CTEInfo
        (24, "ll", 0x0C),
        (26, "ll", 0x05),
        (30, "smp", 0x0A),  # decrypted by the tool, MIC dropped
    ]
    # An extra octet, a cut packet, LLID 0b00, and two PDUs that do not parse.
    assert [p.record for p in problems] == [20, 21, 32, 33, 34]
    assert counters[5] == 1  # flagged_bad_mic
    assert AA in links and AA2 in links


def test_edge_cases_use_the_fast_path() -> None:
    wrap, link_type = EDGE_CASES["nordic-v3"]
    recs = _scenario(wrap, link_type)
    calls = _full_path_calls(recs)
    # Only the advertising PDU and its first repetition, the CONNECT_IND, the damaged, LE
    # Coded and CTEInfo packets and the first packet of the unannounced link take the full
    # path.
    assert calls == [1, 2, 3, 20, 21, 22, 23, 24]


# ================================================================ damaged real records
@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32), st.sampled_from([0, 1, 2]))
def test_damaged_records_agree(seed: int, which: int) -> None:
    require_shared()
    rnd = random.Random(seed)
    name = (
        "nordic_lesc_justworks_bsniffhub.pcap",
        "lephdr_legacy_justworks_latency10_bsniffhub.pcap",
        "lephdr_legacy_passkey_whad.pcap",
    )[which]
    recs = _records(SHARED / name)
    start = rnd.randrange(max(1, len(recs) - 300))
    out: list[Record] = []
    for rec in recs[start : start + 300]:
        data = bytearray(rec.payload)
        if data and rnd.random() < 0.2:
            # Damage the octets the fast path reads: headers, flags, PDU header, length.
            at = rnd.choice([1, 3, 6, 7, 8, 9, 14, 15, 18, 19, len(data) - 1]) % len(data)
            data[at] = rnd.randrange(256)
        if data and rnd.random() < 0.05:
            del data[rnd.randrange(len(data)) :]
        if rnd.random() < 0.1 and out:
            out.append(out[-1])  # a repeated record: a retransmission
        out.append(Record(rec.index, rec.timestamp, rec.link_type, bytes(data), rec.file_offset))
    for i, r in enumerate(out, start=1):
        r.index = i
    assert _run(out, True) == _run(out, False)


# ================================================================ snapshot length cuts
@pytest.mark.parametrize("snaplen", [30, 40, 50])
@pytest.mark.parametrize(
    "name",
    [
        "nordic_lesc_justworks_bsniffhub.pcap",
        "lephdr_legacy_justworks_latency10_bsniffhub.pcap",
        "ubertooth_ppi_legacy_passkey_crackle.pcap",
    ],
)
def test_snaplen_cut_records_take_the_full_path(name: str, snaplen: int) -> None:
    """Records a snapshot length cut (``orig_length`` longer than the payload) fail the fast
    paths' length checks, and both paths give the same."""
    require_shared()
    recs = [
        Record(r.index, r.timestamp, r.link_type, r.payload[:snaplen], r.file_offset)
        for r in _records(SHARED / name)
    ]
    cut = set()
    for r, full in zip(recs, _records(SHARED / name), strict=True):
        if len(full.payload) > snaplen:
            r.orig_length = len(full.payload)
            cut.add(r.index)
    assert cut
    assert cut <= set(_full_path_calls(recs))
    fast = _run(recs, True)
    assert fast == _run(recs, False)
    assert not [p for p in fast[2] if p.layer != "truncated"]  # no cut packet is "malformed"
