"""LlStream: air-capture records → PDUs.  Synthetic captures for each behaviour (direction
inference, retransmissions, CRC, encryption states, several connections, mid-connection
starts, ATT answers, advertising de-duplication), reassembly fed random fragment sizes,
fuzzing (``feed`` never raises), and a differential test against tshark on every shared air
capture: the (frame, SMP opcode) and (frame, LL control opcode) pairs agree, and every frame
tshark decodes that LlStream drops is shown, from the raw records, to be a retransmission (same
access address, SN, LLID and payload as an earlier frame), an encrypted PDU (after
LL_START_ENC_REQ on its link) or a packet with a bad CRC."""

from __future__ import annotations

import struct
from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scapy.layers.bluetooth4LE import BTLE, BTLE_ADV, BTLE_CONNECT_REQ

from bpdiag.capture import open_capture
from bpdiag.capture.record import Direction, LinkType, Record
from bpdiag.decode import ll
from bpdiag.decode import smp as smp_mod
from bpdiag.decode.ll_stream import LlStream
from bpdiag.decode.nordic import parse_nordic
from bpdiag.decode.pdu import Pdu
from bpdiag.decode.phdr import parse_phdr
from bpdiag.decode.ppi import parse_ppi
from bpdiag.errors import DecodeError
from tests.conftest import SHARED
from tests.tshark import Tshark, any_of, present, protocol

C, P, U = Direction.C_TO_P, Direction.P_TO_C, Direction.UNKNOWN
AA = 0x50654321
AA2 = 0x71764129
CRC_INIT = 0x2A5B6C
PAIRING_REQUEST = bytes([0x01, 0x03, 0x00, 0x01, 0x10, 0x07, 0x07])
PUBLIC_KEY = bytes([0x0C]) + bytes(range(64))
ENCRYPTION_INFO = bytes([0x06]) + bytes(range(16))
LL_ENC_REQ = bytes([0x03]) + bytes(range(22))
LL_ENC_RSP = bytes([0x04]) + bytes(range(12))
LL_START_ENC_REQ = b"\x05"
LL_START_ENC_RSP = b"\x06"
LL_PAUSE_ENC_REQ = b"\x0a"
LL_PAUSE_ENC_RSP = b"\x0b"
LL_VERSION_IND = bytes([0x0C, 0x09, 0x59, 0x00, 0x01, 0x00])


def version_ind(subversion: int) -> bytes:
    """LL_VERSION_IND with a chosen SubVersNr, so that no two look like retransmissions."""
    return bytes([0x0C, 0x09, 0x59, 0x00, subversion, 0x00])


# ================================================================ builders
def l2cap(cid: int, payload: bytes) -> bytes:
    return struct.pack("<HH", len(payload), cid) + payload


def smp(payload: bytes) -> bytes:
    return l2cap(6, payload)


def air(
    aa: int, llid: int, payload: bytes, *, sn: int = 0, nesn: int = 0, crc_init: int = CRC_INIT
) -> bytes:
    """An air packet with a correct CRC for ``crc_init``."""
    pdu = bytes([llid | nesn << 2 | sn << 3, len(payload)]) + payload
    return struct.pack("<I", aa) + pdu + ll.crc24(pdu, crc_init)


def connect_ind(aa: int = AA, interval: int = 24, crc_init: int = CRC_INIT) -> bytes:
    return bytes(
        BTLE()
        / BTLE_ADV(TxAdd=1)
        / BTLE_CONNECT_REQ(
            InitA="11:22:33:44:55:66",
            AdvA="aa:bb:cc:dd:ee:ff",
            AA=aa,
            crc_init=crc_init,
            interval=interval,
            timeout=400,
            chM=0x1FFFFFFFFF,
            hop=7,
        )
    )


def adv_ind(address: bytes, ad: bytes, ptype: int = 0) -> bytes:
    pdu = bytes([ptype, 6 + len(ad)]) + address + ad
    return bytes.fromhex("d6be898e") + pdu + ll.crc24(pdu)


def nordic(air_packet: bytes, *, c_to_p: bool, flags: int = 0x01, channel: int = 5) -> bytes:
    """Version 2 header; ``flags`` bit 1 is replaced by ``c_to_p``."""
    flags = flags & ~0x02 | (0x02 if c_to_p else 0)
    plen = 10 + len(air_packet)
    head = bytes([0x00]) + struct.pack("<H", plen) + bytes([2, 0, 0, 6])
    return head + bytes([10, flags, channel, 50]) + bytes(6) + air_packet


def phdr(air_packet: bytes, *, channel: int = 5, pdu_type: int = 0, flags: int = 0x0C00) -> bytes:
    """PHDR with CRC checked + valid by default."""
    f = flags | pdu_type << 7
    return bytes([channel, 0xC4, 0x80, 0]) + struct.pack("<IH", 0, f) + air_packet


def ppi(air_packet: bytes, *, clock: int, mhz: int = 2404) -> bytes:
    field = struct.pack("<HH", 30006, 12) + struct.pack("<BHBIbbbB", 0, mhz, 0, clock, 0, 0, 0, 0)
    return struct.pack("<BBHI", 0, 0, 8 + len(field), 147) + field + air_packet


class Feed:
    """Numbers records, feeds them, keeps the PDUs."""

    def __init__(self) -> None:
        self.stream = LlStream()
        self.n = 0
        self.pdus: list[Pdu] = []
        self.skips: dict[int, tuple[str, int]] = {}
        self.stream.on_skip = lambda f, reason, ref: self.skips.__setitem__(f, (reason, ref))

    def __call__(self, link_type: int, payload: bytes, t: float = 0.0) -> list[Pdu]:
        self.n += 1
        out = self.stream.feed(Record(self.n, t, link_type, payload, self.n * 100))
        self.pdus += out
        return out

    def ll(self, payload: bytes, t: float) -> list[Pdu]:
        return self(LinkType.BLUETOOTH_LE_LL, payload, t)

    def layer(self, layer: str) -> list[Pdu]:
        return [p for p in self.pdus if p.layer == layer]


def summary(pdus: Iterable[Pdu]) -> list[tuple[int, str, int, Direction]]:
    return [(p.frame, p.layer, p.opcode, p.direction) for p in pdus]


# ================================================================ CONNECT_IND and direction
def test_connect_ind_opens_the_link_and_the_central_speaks_first() -> None:
    f = Feed()
    out = f.ll(connect_ind(), 1.0)
    assert len(out) == 1 and out[0].layer == "adv" and out[0].opcode == 5
    assert out[0].link == ("ll", AA) and out[0].direction is C
    assert isinstance(out[0].msg, ll.ConnectInd) and out[0].msg.crc_init == CRC_INIT
    f.ll(air(AA, 3, LL_VERSION_IND), 1.002)
    f.ll(air(AA, 3, LL_VERSION_IND, sn=0, nesn=1), 1.0023)
    assert summary(f.layer("ll")) == [(2, "ll", 0x0C, C), (3, "ll", 0x0C, P)]
    assert f.stream.problems == []


def test_events_alternate_and_a_gap_starts_a_new_one() -> None:
    f = Feed()
    f.ll(connect_ind(), 0.0)
    t = 0.010
    times = [t, t + 0.0003, t + 0.0006, t + 0.0009, t + 0.030, t + 0.0303, t + 0.060]
    for i, ti in enumerate(times):
        f.ll(air(AA, 3, version_ind(i), sn=i >> 1 & 1), ti)
    assert [p.direction for p in f.layer("ll")] == [C, P, C, P, C, P, C]


def test_long_packets_keep_the_event_together() -> None:
    # 251-byte PDUs at LE 1M: 2.1 ms on air each, so 2.25 ms apart within one event.
    f = Feed()
    f.ll(connect_ind(), 0.0)
    big = l2cap(0x40, bytes(247))
    f.ll(air(AA, 2, big), 0.010)
    f.ll(air(AA, 3, LL_VERSION_IND, sn=0, nesn=1), 0.010 + 0.00225)
    assert [p.direction for p in f.layer("ll")] == [P]


def test_channel_change_marks_events_when_time_is_unusable() -> None:
    f = Feed()
    f(LinkType.BLUETOOTH_LE_LL_WITH_PHDR, phdr(connect_ind(), channel=0), 5.0)
    for i, channel in enumerate([3, 3, 3, 20, 20, 9]):
        payload = phdr(air(AA, 3, version_ind(i), sn=i >> 1 & 1), channel=channel)
        f(LinkType.BLUETOOTH_LE_LL_WITH_PHDR, payload, 5.0)  # all the same timestamp
    assert [p.direction for p in f.layer("ll")] == [C, P, C, C, P, C]


def test_unknown_without_timing_or_channel() -> None:
    f = Feed()
    for i in range(3):
        f.ll(air(AA, 3, version_ind(i), sn=i & 1), 0.0)
    assert [p.direction for p in f.layer("ll")] == [U, U, U]


def test_direction_from_the_capture_wins() -> None:
    f = Feed()
    f(LinkType.BLUETOOTH_LE_LL_WITH_PHDR, phdr(connect_ind(), channel=0), 0.0)
    pkt = phdr(air(AA, 3, LL_VERSION_IND), pdu_type=3)  # data, peripheral → central
    f(LinkType.BLUETOOTH_LE_LL_WITH_PHDR, pkt, 0.010)
    f(LinkType.NORDIC_BLE, nordic(air(AA, 3, LL_VERSION_IND, sn=1), c_to_p=False), 0.5)
    assert [p.direction for p in f.layer("ll")] == [P, P]


def test_ppi_uses_the_ubertooth_clock_not_the_record_time() -> None:
    f = Feed()
    f(LinkType.PPI, ppi(connect_ind(), clock=1000, mhz=2402), 99.0)
    # Record times jump around as in crackle's files; the clock (100 ns units) is exact.
    f(LinkType.PPI, ppi(air(AA, 3, LL_VERSION_IND), clock=100_000), 50.0)
    f(LinkType.PPI, ppi(air(AA, 3, LL_VERSION_IND, nesn=1), clock=103_000), 98.0)
    f(LinkType.PPI, ppi(air(AA, 3, LL_VERSION_IND, sn=1), clock=400_000), 10.0)
    assert [p.direction for p in f.layer("ll")] == [C, P, C]


def test_a_packet_with_a_bad_crc_still_takes_its_turn() -> None:
    f = Feed()
    lt = LinkType.BLUETOOTH_LE_LL_WITH_PHDR
    f(lt, phdr(connect_ind(), channel=0), 0.0)
    f(lt, phdr(air(AA, 1, b""), channel=3), 0.010)  # central
    corrupt = phdr(air(AA, 3, version_ind(1)), channel=3, flags=0x0400)  # CRC checked, bad
    f(lt, corrupt, 0.0103)  # the peripheral's turn, lost
    f(lt, phdr(air(AA, 3, version_ind(2), sn=1), channel=3), 0.0106)
    f(lt, phdr(air(AA, 3, version_ind(3), sn=1), channel=3), 0.0109)
    assert [p.direction for p in f.layer("ll")] == [C, P] and f.stream.crc_errors == 1


def test_ppi_clock_wraps() -> None:
    f = Feed()
    f(LinkType.PPI, ppi(connect_ind(), clock=2**32 - 200_000, mhz=2402), 0.0)
    f(LinkType.PPI, ppi(air(AA, 3, version_ind(1)), clock=2**32 - 1_000), 0.0)
    f(LinkType.PPI, ppi(air(AA, 3, version_ind(2)), clock=2_000), 0.0)  # 0.3 ms later
    assert [p.direction for p in f.layer("ll")] == [C, P]


def test_isochronous_pdus_are_skipped() -> None:
    f = Feed()
    f(LinkType.BLUETOOTH_LE_LL_WITH_PHDR, phdr(air(AA, 2, b"\x00\x01"), pdu_type=4), 0.0)
    assert f.pdus == [] and f.stream.isochronous_skipped == 1 and f.skips[1][0] == "isochronous"


# ================================================================ retransmissions
def test_latency_retransmissions_become_one_pdu() -> None:
    f = Feed()
    f.ll(connect_ind(interval=80), 0.0)  # 100 ms
    for i in range(11):  # the peripheral sleeps (latency): LL_ENC_REQ sent 11 times
        f.ll(air(AA, 3, LL_ENC_REQ, sn=1, nesn=1), 0.1 * (i + 1))
    f.ll(air(AA, 3, LL_ENC_RSP, sn=1, nesn=0), 1.1003)
    for i in range(12):  # then the Public Key, 12 times
        f.ll(air(AA, 2, smp(PUBLIC_KEY), sn=0, nesn=0), 1.2 + 0.1 * i)
    assert summary(f.pdus[1:]) == [(2, "ll", 3, C), (13, "ll", 4, P), (14, "smp", 0x0C, C)]
    assert f.stream.retransmissions == 21
    assert f.skips[12] == ("retransmission", 2) and f.skips[25] == ("retransmission", 14)


def test_new_sn_or_new_payload_is_a_new_pdu() -> None:
    f = Feed()
    f.ll(connect_ind(), 0.0)
    f.ll(air(AA, 2, smp(PAIRING_REQUEST), sn=0), 0.01)
    f.ll(air(AA, 2, smp(PAIRING_REQUEST), sn=1), 0.04)  # SN toggled: sent again on purpose
    f.ll(air(AA, 2, smp(PUBLIC_KEY), sn=1), 0.07)  # same SN, new payload
    assert len(f.layer("smp")) == 3 and f.stream.retransmissions == 0


# ================================================================ CRC
def test_bad_crc_is_counted_not_decoded() -> None:
    f = Feed()
    f(LinkType.NORDIC_BLE, nordic(connect_ind(), c_to_p=True, channel=37), 0.0)
    f(LinkType.NORDIC_BLE, nordic(air(AA, 2, smp(PAIRING_REQUEST)), c_to_p=True, flags=0), 0.1)
    bad = phdr(air(AA, 2, smp(PAIRING_REQUEST)), flags=0x0400)  # CRC checked, not valid
    f(LinkType.BLUETOOTH_LE_LL_WITH_PHDR, bad, 0.2)
    assert f.layer("smp") == [] and f.stream.crc_errors == 2
    assert f.skips == {2: ("crc", 0), 3: ("crc", 0)}


def test_unchecked_crc_is_checked_against_crcinit() -> None:
    f = Feed()
    f(LinkType.PPI, ppi(connect_ind(), clock=0, mhz=2402), 0.0)
    corrupt = bytearray(air(AA, 2, smp(PAIRING_REQUEST)))
    corrupt[8] ^= 0x40  # a bit flipped in the payload
    f(LinkType.PPI, ppi(bytes(corrupt), clock=100_000), 0.0)
    f(LinkType.PPI, ppi(air(AA, 2, smp(PAIRING_REQUEST)), clock=200_000), 0.0)
    assert [p.frame for p in f.layer("smp")] == [3] and f.stream.crc_errors == 1
    # A zero CRC means the writer did not store it: not checked.
    zero = air(AA, 3, LL_VERSION_IND)[:-3] + b"\x00\x00\x00"
    f.ll(zero, 1.0)
    assert len(f.layer("ll")) == 1


# ================================================================ encryption
def _encrypted_link(f: Feed, feed_type: int = LinkType.BLUETOOTH_LE_LL) -> None:
    f(feed_type, connect_ind(), 0.0)
    f(feed_type, air(AA, 3, LL_ENC_REQ), 0.010)
    f(feed_type, air(AA, 3, LL_ENC_RSP, nesn=1), 0.0103)
    f(feed_type, air(AA, 1, b"", sn=1, nesn=1), 0.0403)  # the central opens the next event
    f(feed_type, air(AA, 3, LL_START_ENC_REQ, sn=1, nesn=0), 0.0406)
    assert [p.opcode for p in f.layer("ll")][-1] == 5


def test_ciphertext_after_start_enc_is_skipped() -> None:
    f = Feed()
    _encrypted_link(f)
    f.ll(air(AA, 3, bytes(5), sn=1, nesn=1), 0.070)  # LL_START_ENC_RSP + MIC, encrypted
    f.ll(air(AA, 3, bytes(5), sn=0, nesn=0), 0.0703)
    f.ll(air(AA, 2, smp(ENCRYPTION_INFO)[:-4] + bytes(8), sn=0, nesn=1), 0.100)
    assert [p.opcode for p in f.layer("ll")] == [3, 4, 5] and f.layer("smp") == []
    assert f.stream.encrypted_skipped == 3


def test_decrypted_capture_without_flags_is_decoded() -> None:
    f = Feed()  # WHAD writes the plaintext with adjusted lengths and no flag
    _encrypted_link(f)
    f.ll(air(AA, 3, LL_START_ENC_RSP, sn=1, nesn=1), 0.070)  # 1 byte: cannot be ciphertext
    f.ll(air(AA, 3, LL_START_ENC_RSP, sn=0, nesn=0), 0.0703)
    f.ll(air(AA, 2, smp(ENCRYPTION_INFO), sn=1, nesn=0), 0.0706)
    assert [p.opcode for p in f.layer("ll")] == [3, 4, 5, 6, 6]
    assert [p.opcode for p in f.layer("smp")] == [0x06] and f.stream.encrypted_skipped == 0


def test_decrypted_payload_that_kept_its_mic_loses_it() -> None:
    f = Feed()
    _encrypted_link(f)
    f.ll(air(AA, 3, LL_START_ENC_RSP, sn=1, nesn=1), 0.070)
    f.ll(air(AA, 2, smp(ENCRYPTION_INFO) + b"\xde\xad\xbe\xef", nesn=1), 0.0703)
    f.ll(air(AA, 3, LL_START_ENC_RSP + b"\xde\xad\xbe\xef", sn=1), 0.0706)
    assert [p.opcode for p in f.layer("smp")] == [0x06]
    assert f.layer("ll")[-1].msg.data == b"" and f.stream.problems == []


def test_nordic_flags_decide_per_packet() -> None:
    f = Feed()
    nb = LinkType.NORDIC_BLE
    f(nb, nordic(connect_ind(), c_to_p=True, channel=37), 0.0)
    f(nb, nordic(air(AA, 3, LL_START_ENC_REQ), c_to_p=False), 0.01)
    mic_ok = 0x01 | 0x04 | 0x08
    mic_bad = 0x01 | 0x04
    f(nb, nordic(air(AA, 2, smp(ENCRYPTION_INFO), sn=1), c_to_p=False, flags=mic_ok), 0.02)
    f(nb, nordic(air(AA, 2, smp(ENCRYPTION_INFO)), c_to_p=True, flags=mic_bad), 0.03)
    # SweynTooth's own logs: the central's sends after START_ENC are flagged not encrypted.
    f(nb, nordic(air(AA, 2, smp(PAIRING_REQUEST), sn=1), c_to_p=True, flags=0x01), 0.04)
    assert summary(f.layer("smp")) == [(3, "smp", 6, P), (5, "smp", 1, C)]
    assert f.skips[4] == ("encrypted", 0)


def test_phdr_mic_flags_decide_per_packet() -> None:
    f = Feed()
    lt = LinkType.BLUETOOTH_LE_LL_WITH_PHDR
    f(lt, phdr(connect_ind(), channel=0), 0.0)
    f(lt, phdr(air(AA, 3, LL_START_ENC_REQ), pdu_type=3), 0.01)
    ok = 0x0C00 | 0x1000 | 0x2000
    f(lt, phdr(air(AA, 2, smp(ENCRYPTION_INFO), sn=1), pdu_type=3, flags=ok), 0.02)
    f(lt, phdr(air(AA, 2, smp(ENCRYPTION_INFO)), pdu_type=2, flags=0x0C00 | 0x1000), 0.03)
    f(lt, phdr(air(AA, 2, smp(PAIRING_REQUEST), sn=1), pdu_type=2, flags=0x0C08), 0.04)
    assert summary(f.layer("smp")) == [(3, "smp", 6, P), (5, "smp", 1, C)]


def test_pause_enc_clears_until_the_next_start() -> None:
    f = Feed()
    _encrypted_link(f)
    f.ll(air(AA, 3, bytes(5), sn=1, nesn=1), 0.070)  # ciphertext: the link holds ciphertext
    f.ll(air(AA, 3, bytes(5), sn=0, nesn=0), 0.100)  # LL_PAUSE_ENC_REQ, encrypted
    f.ll(air(AA, 3, bytes(5), sn=0, nesn=1), 0.1003)  # P's LL_PAUSE_ENC_RSP, encrypted
    f.ll(air(AA, 3, LL_PAUSE_ENC_RSP, sn=1, nesn=1), 0.130)  # central's, in clear
    f.ll(air(AA, 3, LL_ENC_REQ, sn=0, nesn=1), 0.160)
    f.ll(air(AA, 3, LL_ENC_RSP, sn=1, nesn=1), 0.1603)
    f.ll(air(AA, 3, LL_START_ENC_REQ, sn=0, nesn=0), 0.1903)
    f.ll(air(AA, 3, bytes(5), sn=1, nesn=1), 0.220)
    assert [p.opcode for p in f.layer("ll")] == [3, 4, 5, 0x0B, 3, 4, 5]
    assert f.stream.encrypted_skipped == 4


# ================================================================ links
def test_two_connections_are_kept_apart() -> None:
    f = Feed()
    f.ll(connect_ind(AA), 0.0)
    f.ll(connect_ind(AA2), 0.001)
    f.ll(air(AA, 2, smp(PAIRING_REQUEST)), 0.010)
    f.ll(air(AA2, 2, smp(PUBLIC_KEY)[:20]), 0.011)  # a fragment on the other link
    f.ll(air(AA, 2, smp(bytes([0x02, 0x03, 0, 1, 16, 7, 7])), nesn=1), 0.0103)
    f.ll(air(AA2, 1, smp(PUBLIC_KEY)[20:], sn=1), 0.041)  # the central's next event
    assert [(p.link, p.opcode, p.direction) for p in f.layer("smp")] == [
        (("ll", AA), 1, C),
        (("ll", AA), 2, P),
        (("ll", AA2), 0x0C, C),
    ]
    assert f.stream.problems == []


def test_a_new_connect_ind_on_the_same_aa_starts_fresh() -> None:
    f = Feed()
    _encrypted_link(f)
    f.ll(air(AA, 2, smp(PUBLIC_KEY)[:20], sn=1), 0.2)  # ciphertext, skipped
    f.ll(connect_ind(), 1.0)
    f.ll(air(AA, 2, smp(PAIRING_REQUEST)), 1.01)
    assert [p.opcode for p in f.layer("smp")] == [1] and f.layer("smp")[0].direction is C


def test_mid_connection_start() -> None:
    f = Feed()  # no CONNECT_IND: a link is created on the first data PDU
    f.ll(air(AA, 2, smp(PUBLIC_KEY)[:27], sn=0), 0.010)  # U: cannot tell yet
    f.ll(air(AA, 1, smp(PUBLIC_KEY)[27:54], sn=1), 0.040)  # a new event: central
    f.ll(air(AA, 1, smp(PUBLIC_KEY)[54:], sn=0), 0.070)
    assert summary(f.layer("smp")) == [(3, "smp", 0x0C, C)]
    assert f.layer("smp")[0].first_frame == 1 and f.stream.problems == []


def test_mid_connection_ciphertext_is_skipped_silently() -> None:
    f = Feed()
    f.ll(air(AA2, 2, bytes(range(30)), sn=0), 0.01)  # no consistent L2CAP header
    f.ll(air(AA2, 3, bytes([0x0C]) + bytes(9), sn=1), 0.04)  # not LL_VERSION_IND's length
    assert f.pdus == [] and f.stream.unknown_state_skipped == 2 and f.stream.problems == []
    f.ll(air(AA2, 3, LL_VERSION_IND, sn=0), 0.07)  # exactly its length: decoded
    assert [p.opcode for p in f.layer("ll")] == [0x0C]


def test_att_error_answers_the_request() -> None:
    f = Feed()
    f.ll(connect_ind(), 0.0)
    read = l2cap(4, bytes([0x0A, 0x20, 0x00]))  # Read Request, handle 0x0020
    find = l2cap(4, bytes([0x04, 0x01, 0x00, 0xFF, 0xFF]))  # Find Information Request
    err = l2cap(4, bytes([0x01, 0x0A, 0x20, 0x00, 0x05]))  # Error: Insufficient Authentication
    f.ll(air(AA, 2, read), 0.010)
    f.ll(air(AA, 2, find, sn=1), 0.040)
    f.ll(air(AA, 2, err, nesn=1), 0.0403)
    att = f.layer("att")
    assert summary(att) == [(4, "att", 1, P)] and att[0].answers == 2
    assert att[0].msg.error_code == 5  # type: ignore[attr-defined]


def test_advertising_is_deduplicated() -> None:
    f = Feed()
    addr = bytes.fromhex("665544332211")
    flags_name = bytes([2, 1, 6, 4, 9]) + b"abc"
    for i in range(50):
        f.ll(adv_ind(addr, flags_name), i * 0.1)
    f.ll(adv_ind(addr, bytes([2, 1, 6, 4, 9]) + b"abd"), 6.0)  # the name changed
    f.ll(adv_ind(addr, bytes([4, 9]) + b"abc", ptype=4), 6.1)  # SCAN_RSP: name only
    f.ll(adv_ind(addr, b""), 6.2)  # nothing to tell
    out = f.layer("adv")
    assert [(p.frame, p.msg.name, p.opcode) for p in out] == [
        (1, "ADV_IND", 0),
        (51, "ADV_IND", 0),
        (52, "SCAN_RSP", 4),
    ]
    assert out[0].link is None and out[0].msg.fields()["local_name"] == "abc"


# ================================================================ problems
def test_capture_ends_inside_an_smp_pdu() -> None:
    f = Feed()
    f.ll(connect_ind(), 0.0)
    f.ll(air(AA, 2, smp(PUBLIC_KEY)[:27]), 0.010)
    f.stream.finish()
    assert [(p.record, p.offset, p.layer) for p in f.stream.problems] == [(2, 200, "l2cap")]
    assert f.stream.problems[0].message == (
        "capture ends inside an L2CAP PDU on access address 0x50654321 "
        "(central→peripheral), CID 0x0006: 23 of 65 bytes"
    )


def test_bad_input_becomes_a_problem() -> None:
    f = Feed()
    f.ll(connect_ind(), 0.0)
    f.ll(air(AA, 0, b"\x01\x02"), 0.01)  # reserved LLID 0b00
    f.ll(air(AA, 3, bytes([0x0C, 0x09])), 0.04)  # LL_VERSION_IND cut short
    f(LinkType.NORDIC_BLE, b"\x00\x01", 0.05)
    assert [(p.record, p.offset, p.layer, p.message) for p in f.stream.problems] == [
        (2, 200, "ll", "data PDU with reserved LLID 0b00"),
        (3, 300, "ll", "LL_VERSION_IND needs 5 bytes of CtrData, got 1"),
        (4, 400, "nordic", "nRF Sniffer header needs 8 bytes, got 2"),
    ]


# ================================================================ reassembly, fuzzing
def _chunks(data: bytes, sizes: list[int]) -> Iterator[bytes]:
    pos, i = 0, 0
    while pos < len(data):
        n = sizes[i % len(sizes)]
        yield data[pos : pos + n]
        pos += n
        i += 1


@settings(max_examples=120, deadline=None)
@given(
    st.lists(st.integers(1, 27), min_size=1, max_size=6),
    st.lists(st.integers(1, 27), min_size=1, max_size=6),
)
def test_reassembly_with_random_fragment_sizes(c_sizes: list[int], p_sizes: list[int]) -> None:
    """Both sides send a fragmented Public Key at once, one fragment per turn."""
    f = Feed()
    f.ll(connect_ind(), 0.0)
    c = list(_chunks(smp(PUBLIC_KEY), c_sizes))
    p = list(_chunks(smp(bytes([0x0C]) + bytes(range(64, 128))), p_sizes))
    t, sn_c, sn_p = 0.010, 0, 0
    for i in range(max(len(c), len(p))):
        c_pdu = air(AA, 2 if i == 0 else 1, c[i], sn=sn_c) if i < len(c) else air(AA, 1, b"")
        p_pdu = air(AA, 2 if i == 0 else 1, p[i], sn=sn_p) if i < len(p) else air(AA, 1, b"")
        f.ll(c_pdu, t)
        f.ll(p_pdu, t + 0.0005)
        sn_c ^= 1
        sn_p ^= 1
        t += 0.030
    got = [(p.direction, p.first_frame, p.frame, p.msg.fields()) for p in f.layer("smp")]
    assert f.stream.problems == []
    assert sorted((d, first) for d, first, _, _ in got) == [(C, 2), (P, 3)]
    assert {d: frame for d, _, frame, _ in got} == {C: 2 * len(c), P: 2 * len(p) + 1}


@settings(max_examples=80, deadline=None)
@given(st.lists(st.integers(1, 30), min_size=1, max_size=8))
def test_reassembly_through_nordic_records(sizes: list[int]) -> None:
    f = Feed()
    f(LinkType.NORDIC_BLE, nordic(connect_ind(), c_to_p=True, channel=37), 0.0)
    for i, chunk in enumerate(_chunks(smp(PUBLIC_KEY), sizes)):
        pkt = air(AA, 2 if i == 0 else 1, chunk, sn=i & 1)
        f(LinkType.NORDIC_BLE, nordic(pkt, c_to_p=False), 0.01 * (i + 1))
    assert summary(f.layer("smp")) == [(f.n, "smp", 0x0C, P)]


LINK_TYPES = [251, 256, 272, 192]


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=90), st.sampled_from(LINK_TYPES))
def test_feed_never_raises_on_random_bytes(data: bytes, lt: int) -> None:
    s = LlStream()
    s.feed(Record(1, 0.0, lt, data, 0))
    s.finish()


# The strategies ``_records`` draws from, made once: made inside the loop, each of a run's
# thousands of draws first built its strategy and had Hypothesis validate it (most of the
# test's time).  The same strategies in the same order: the same examples.
_COUNT = st.integers(1, 25)
_GAP = st.sampled_from([0.0, 0.0002, 0.001, 0.03, -0.5])
_ACCESS_ADDRESS = st.sampled_from([AA, AA2, ll.ADV_ACCESS_ADDRESS])
_OCTET = st.integers(0, 255)
_PAYLOAD = st.binary(max_size=40)
_FLAG = st.booleans()
_LINK_TYPE = st.sampled_from(LINK_TYPES)
_PDU_TYPE = st.integers(0, 7)
_PHDR_FLAGS = st.integers(0, 0xFC7F)
_CLOCK = st.integers(0, 2**32 - 1)


# Built once, outside the strategy: scapy's packet building touches the random module, which
# Hypothesis asks strategies not to use (HypothesisDeprecationWarning)
_CONNECT_IND = connect_ind()


@st.composite
def _records(draw: st.DrawFn) -> list[tuple[int, bytes, float]]:
    """Sequences of well-framed records with random headers and payloads."""
    out: list[tuple[int, bytes, float]] = [(251, _CONNECT_IND, 0.0)]
    t = 0.0
    for _ in range(draw(_COUNT)):
        t += draw(_GAP)
        aa = draw(_ACCESS_ADDRESS)
        header = draw(_OCTET)
        payload = draw(_PAYLOAD)
        pdu = bytes([header, len(payload)]) + payload
        crc_init = CRC_INIT if draw(_FLAG) else 0x555555
        pkt = struct.pack("<I", aa) + pdu + ll.crc24(pdu, crc_init)
        kind = draw(_LINK_TYPE)
        if kind == 256:
            pkt = phdr(pkt, pdu_type=draw(_PDU_TYPE), flags=draw(_PHDR_FLAGS))
        elif kind == 272:
            pkt = nordic(pkt, c_to_p=draw(_FLAG), flags=draw(_OCTET))
        elif kind == 192:
            pkt = ppi(pkt, clock=draw(_CLOCK))
        out.append((kind, pkt, t))
    return out


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(_records())
def test_feed_never_raises_on_structured_records(records: list[tuple[int, bytes, float]]) -> None:
    s = LlStream()
    for i, (lt, payload, t) in enumerate(records, start=1):
        for pdu in s.feed(Record(i, t, lt, payload, i)):
            pdu.msg.fields()
            assert pdu.frame == i and pdu.first_frame <= i
    s.finish()


# ================================================================ shared captures
AIR_PREFIXES = ("lephdr_", "nordic_", "nrfsniffer4_", "ubertooth_", "lell_")
TSHARK_COLUMNS = ("btle.access_address", "btle.control_opcode", "btsmp.opcode")


def _air_captures() -> list[Path]:
    if not SHARED.is_dir():
        return []
    return sorted(p for p in SHARED.iterdir() if p.name.startswith(AIR_PREFIXES))


AIR_CAPTURES = _air_captures()
needs_shared = pytest.mark.skipif(
    not AIR_CAPTURES, reason=f"the shared capture corpus is not at {SHARED}"
)


def tshark_rows(dissect: Tshark, path: Path) -> dict[int, tuple[int, int | None, int | None]]:
    """frame → (access address, LL control opcode, SMP opcode) as tshark decodes them."""
    rows: dict[int, tuple[int, int | None, int | None]] = {}
    for f in dissect.select(path, any_of(protocol("btsmp"), present("btle.control_opcode"))):
        aa, ctl, smp_op = (f.first(c) for c in TSHARK_COLUMNS)
        rows[f.number] = (
            int(aa, 16),
            int(ctl, 16) if ctl else None,
            int(smp_op, 16) if smp_op else None,
        )
    return rows


@cache
def ours(path: Path) -> tuple[list[Pdu], dict[int, tuple[str, int]], LlStream]:
    s = LlStream()
    skips: dict[int, tuple[str, int]] = {}
    s.on_skip = lambda f, reason, ref: skips.__setitem__(f, (reason, ref))
    pdus: list[Pdu] = []
    with open_capture(path) as cap:
        for rec in cap:
            pdus += s.feed(rec)
    pdus += s.finish()
    return pdus, skips, s


@cache
def raw_packets(path: Path) -> dict[int, tuple[bytes, bool | None, bool, bool]]:
    """frame → (air packet, direction flag, CRC bad by the capture, encrypted by flags)."""
    out: dict[int, tuple[bytes, bool | None, bool, bool]] = {}
    with open_capture(path) as cap:
        for rec in cap:
            try:
                if rec.link_type == LinkType.NORDIC_BLE:
                    n = parse_nordic(rec.payload)
                    out[rec.index] = (n.ble, n.c_to_p, not n.crc_ok, n.encrypted)
                elif rec.link_type == LinkType.BLUETOOTH_LE_LL_WITH_PHDR:
                    h = parse_phdr(rec.payload)
                    out[rec.index] = (h.ble, h.c_to_p, h.crc_bad, h.mic_checked)
                elif rec.link_type == LinkType.PPI:
                    out[rec.index] = (parse_ppi(rec.payload).ble, None, False, False)
                else:
                    out[rec.index] = (bytes(rec.payload), None, False, False)
            except DecodeError:
                continue
    return out


def _data(packet: bytes) -> tuple[int, ll.DataPdu]:
    a = ll.split_air_packet(packet, advertising=False)
    return a.access_address, ll.parse_data_pdu(a.pdu)


def _crc_inits(path: Path) -> dict[int, list[tuple[int, int]]]:
    """access address → [(frame of its CONNECT_IND, CRCInit)] read from the raw records."""
    inits: dict[int, list[tuple[int, int]]] = {}
    for frame, (packet, _, crc_bad, _) in raw_packets(path).items():
        if crc_bad or packet[:4] != bytes.fromhex("d6be898e") or packet[4] & 0x0F != 5:
            continue
        m = ll.parse_adv(ll.split_air_packet(packet).pdu)
        assert isinstance(m, ll.ConnectInd)
        inits.setdefault(m.access_address, []).append((frame, m.crc_init))
    return inits


def _explain(path: Path, frame: int, tshark: dict[int, tuple[int, int | None, int | None]]) -> str:
    """Why LlStream may drop a frame tshark decodes, proven from the raw records."""
    _, skips, _ = ours(path)
    assert frame in skips, f"frame {frame}: tshark decodes it, LlStream neither emits nor skips it"
    reason, ref = skips[frame]
    packets = raw_packets(path)
    packet, c_to_p, crc_bad, _ = packets[frame]
    aa = int.from_bytes(packet[:4], "little")
    if reason == "retransmission":
        assert 0 < ref < frame
        ref_packet, ref_c_to_p, _, _ = packets[ref]
        (aa1, d1), (aa2, d2) = _data(packet), _data(ref_packet)
        assert (aa1, d1.sn, d1.llid, d1.payload) == (aa2, d2.sn, d2.llid, d2.payload), frame
        assert c_to_p == ref_c_to_p  # same side whenever the capture says
    elif reason == "encrypted":
        starts = [f for f, (a, op, _) in tshark.items() if a == aa and op == 5 and f < frame]
        assert starts, f"frame {frame}: skipped as encrypted before any LL_START_ENC_REQ"
    elif reason == "crc":
        if not crc_bad:
            init = max((f, i) for f, i in _crc_inits(path).get(aa, []) if f < frame)[1]
            a = ll.split_air_packet(packet, advertising=False)
            assert ll.crc24(a.pdu, init) != a.crc
    else:
        raise AssertionError(f"frame {frame}: dropped as {reason}")
    return reason


@needs_shared
@pytest.mark.parametrize("path", AIR_CAPTURES, ids=lambda p: p.name)
def test_smp_and_control_frames_agree_with_tshark(path: Path, dissect: Tshark) -> None:
    theirs = tshark_rows(dissect, path)
    pdus, _, _ = ours(path)
    for layer, column in (("smp", 2), ("ll", 1)):
        mine = {(p.frame, p.opcode) for p in pdus if p.layer == layer}
        expected = {(f, row[column]) for f, row in theirs.items() if row[column] is not None}
        assert mine <= expected, f"{layer}: LlStream decodes what tshark does not"
        for frame, _ in sorted(expected - mine):
            _explain(path, frame, theirs)


@needs_shared
def test_retransmissions_named_in_the_manifest_become_one_pdu() -> None:
    for name, op, layer in (
        ("lephdr_legacy_justworks_latency10_bsniffhub.pcap", 0x03, "ll"),
        ("lephdr_lesc_justworks_latency10_bsniffhub.pcap", 0x03, "ll"),
        ("lephdr_lesc_justworks_latency10_bsniffhub.pcap", 0x0C, "smp"),
    ):
        pdus, skips, _ = ours(SHARED / name)
        sent = [p for p in pdus if p.layer == layer and p.opcode == op]
        assert len({p.direction for p in sent}) == len(sent), (name, op)
        assert sum(1 for r, _ in skips.values() if r == "retransmission") >= 10


@needs_shared
def test_decrypted_captures_show_key_distribution() -> None:
    mouse = SHARED / "nrfsniffer4_attinsufauth_legacy_justworks_decrypted_mouse_tesi.pcapng"
    whad = SHARED / "lephdr_legacy_passkey_decrypted_keydist_whad.pcap"
    lesc = SHARED / "nrfsniffer4_attinsufauth_lesc_justworks_tesi.pcapng"
    for path, wanted in ((mouse, {6, 7, 8, 9}), (whad, {6, 7, 8, 9, 10})):
        ops = {p.opcode for p in ours(path)[0] if p.layer == "smp"}
        assert wanted <= ops, path.name
    start = min(p.frame for p in ours(lesc)[0] if p.layer == "ll" and p.opcode == 5)
    assert not [p for p in ours(lesc)[0] if p.layer == "smp" and p.frame > start]


@needs_shared
@pytest.mark.parametrize("name", [p.name for p in AIR_CAPTURES if p.name.startswith("lephdr_")])
def test_direction_inference_agrees_with_the_capture(name: str) -> None:
    """Hide the PHDR PDU type (the direction) and infer it: it must agree with what the
    capture said on at least 99.5% of the data PDUs."""
    path = SHARED / name
    truth: dict[int, Direction] = {}
    stream = LlStream()
    inferred: dict[int, Direction] = {}
    with open_capture(path) as cap:
        for rec in cap:
            h = parse_phdr(rec.payload)
            if h.c_to_p is not None and not h.crc_bad:
                truth[rec.index] = C if h.c_to_p else P
            flags = h.flags & ~0x0380
            hidden = rec.payload[:8] + flags.to_bytes(2, "little") + rec.payload[10:]
            stream.feed(Record(rec.index, rec.timestamp, rec.link_type, hidden, 0))
            link = stream.links.get(int.from_bytes(h.ble[:4], "little"))
            if rec.index in truth and link is not None and link.last_dir is not None:
                inferred[rec.index] = link.last_dir
    if not truth:
        pytest.skip("the capture does not say the direction")
    agree = sum(1 for f, d in truth.items() if inferred.get(f) == d)
    assert agree / len(truth) >= 0.995, (agree, len(truth))


# ================================================================ snapshot length cuts
def _cut(f: Feed, link_type: int, payload: bytes, keep: int, t: float) -> list[Pdu]:
    """Feed ``payload`` stored as a snapshot length of ``keep`` bytes stores it."""
    f.n += 1
    rec = Record(f.n, t, link_type, payload[:keep], f.n * 100)
    rec.orig_length = len(payload)
    out = f.stream.feed(rec)
    f.pdus += out
    return out


def test_snaplen_cut_packets_are_read_as_far_as_they_go() -> None:
    f = Feed()
    nrf = LinkType.NORDIC_BLE
    # A CONNECT_IND kept up to its access address starts the link (no CRCInit, no interval).
    _cut(f, nrf, nordic(connect_ind(), c_to_p=False), 17 + 22, 0.0)
    assert AA in f.stream.links and f.stream.links[AA].crc_init is None
    # A Pairing Request cut after its initiator key distribution: the fields present.
    req = nordic(air(AA, 2, smp(PAIRING_REQUEST)), c_to_p=True)
    (pdu,) = _cut(f, nrf, req, 17 + 6 + 4 + 6, 0.010)
    assert isinstance(pdu.msg, smp_mod.CutPairingFeatures) and pdu.direction is C
    # A Public Key in three fragments, the first two cut: one step without its values, the
    # uncut last fragment belongs to it (no reassembly problem).
    key = smp(PUBLIC_KEY)
    frags = [(2, key[:27]), (1, key[27:54]), (1, key[54:])]
    for i, (llid, part) in enumerate(frags):
        rec = nordic(air(AA, llid, part, sn=i & 1), c_to_p=False)
        got = _cut(f, nrf, rec, 40 if i < 2 else len(rec), 0.040 + i * 0.0003)
        if i == 0:
            assert [type(p.msg) for p in got] == [smp_mod.UnreadCommand]
            assert got[0].msg.original_length == 65
        else:
            assert got == []
    assert [p.layer for p in f.stream.problems] == ["truncated", "truncated"]
    assert f.stream.cut_skipped == 3  # the CONNECT_IND and both continuations
    assert not f.stream._cut_l2cap  # the Public Key's octets all came


def test_snaplen_cut_ciphertext_is_counted_not_decrypted() -> None:
    f = Feed()
    _encrypted_link(f)
    cipher = air(AA, 2, bytes(30), sn=1, nesn=1)
    _cut(f, LinkType.BLUETOOTH_LE_LL, cipher, 20, 0.070)
    assert f.stream.cut_skipped == 1 and f.stream.encrypted_skipped == 0
    assert f.skips[f.n] == ("encrypted", 0) and f.layer("smp") == []


def test_cut_retransmission_of_a_pdu_sent_before_the_direction_was_known() -> None:
    """A packet a snapshot length cut is a retransmission by the same rule as a whole one
    (``LlStream._repeated``): here the first copy came while the direction could not be told
    (a link with no CONNECT_IND), the cut copy opens a later connection event, so it is the
    central's, and it repeats what the central sent."""
    s = LlStream()
    skips: list[tuple[int, str, int]] = []
    s.on_skip = lambda f, r, ref: skips.append((f, r, ref))
    whole = phdr(air(AA, 2, smp(PAIRING_REQUEST), sn=1))
    first, again = (
        Record(i, t, LinkType.BLUETOOTH_LE_LL_WITH_PHDR, whole[:26], i * 64, orig_length=30)
        for i, t in ((1, 1.0), (2, 1.5))
    )
    assert [p.opcode for p in s.feed(first)] == [0x01]  # the cut Pairing Request, kept
    assert s.links[AA].sent.keys() == {Direction.UNKNOWN}
    assert s.feed(again) == []
    assert skips == [(2, "retransmission", 1)]
    assert s.retransmissions == 1
