"""Link Layer decoders (Vol 6, Part B, 2.1–2.4): byte literals for the framing edge cases,
scapy-built advertising, data and control PDUs as round trips, the CRC against scapy's, and
fuzzing (every parser raises only DecodeError subclasses)."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scapy.layers.bluetooth4LE import (
    BTLE,
    BTLE_ADV,
    BTLE_ADV_DIRECT_IND,
    BTLE_ADV_NONCONN_IND,
    BTLE_ADV_SCAN_IND,
    BTLE_CONNECT_REQ,
    BTLE_CTRL,
    BTLE_DATA,
    BTLE_SCAN_REQ,
    LL_CHANNEL_MAP_IND,
    LL_CONNECTION_PARAM_REQ,
    LL_CONNECTION_UPDATE_IND,
    LL_ENC_REQ,
    LL_ENC_RSP,
    LL_FEATURE_REQ,
    LL_LENGTH_RSP,
    LL_PAUSE_ENC_RSP,
    LL_PHY_REQ,
    LL_PHY_UPDATE_IND,
    LL_PING_REQ,
    LL_REJECT_EXT_IND,
    LL_REJECT_IND,
    LL_START_ENC_REQ,
    LL_TERMINATE_IND,
    LL_UNKNOWN_RSP,
    LL_VERSION_IND,
)
from scapy.packet import Packet

from bpdiag.decode import ll
from bpdiag.decode.secret_fields import SECRET_KEYS, secret_keys
from bpdiag.errors import BadLength, DecodeError, Truncated
from tests.helpers import decode_error, fields_of

AA = 0x50654321


# ------------------------------------------------------------------ the air packet
def test_split_data_packet() -> None:
    data = bytes(
        [
            0x21,
            0x43,
            0x65,
            0x50,  # access address 0x50654321
            0x0B,  # LLID 0b11, NESN 0, SN 1
            0x02,  # length 2
            0x02,
            0x13,  # LL_TERMINATE_IND, Remote User Terminated Connection
            0x01,
            0x02,
            0x03,  # CRC
        ]
    )
    pkt = ll.split_air_packet(data)
    assert (pkt.access_address, pkt.pdu, pkt.crc) == (AA, data[4:8], b"\x01\x02\x03")
    assert pkt.coding_indicator is None and not pkt.is_advertising_aa


def test_split_cte_info_and_coded_indicator() -> None:
    data = bytes(
        [
            0x21,
            0x43,
            0x65,
            0x50,  # access address
            0x01,  # coding indicator (LE Coded, S=2)
            0x22,  # LLID 0b10, CP set
            0x01,  # length 1
            0x14,  # CTEInfo: CTETime 20
            0xEE,  # payload
            0x00,
            0x00,
            0x00,  # CRC
        ]
    )
    pkt = ll.split_air_packet(data, coded=True)
    assert pkt.coding_indicator == 1 and pkt.pdu == data[5:9]
    d = ll.parse_data_pdu(pkt.pdu)
    assert (d.llid, d.cp, d.cte_info, d.payload) == (2, 1, 0x14, b"\xee")


def test_cp_bit_means_nothing_on_advertising() -> None:
    # ADV_IND with ChSel (bit 5) set: no CTEInfo on the advertising channels.
    data = bytes.fromhex("d6be898e 2006 ffeeddccbbaa 000000")
    assert ll.split_air_packet(data).pdu == data[4:12]


@pytest.mark.parametrize(
    ("data", "error", "message"),
    [
        (
            b"\x21\x43\x65\x50\x03",
            Truncated,
            "LL packet needs 6 bytes for its access address and PDU header, got 5",
        ),
        (
            bytes.fromhex("21436550 0305 0213"),
            Truncated,
            "LL PDU header says 5 payload bytes, the packet has 2",
        ),
        (
            bytes.fromhex("21436550 2305"),
            Truncated,
            "LL PDU header says 5 payload bytes after a CTEInfo octet, the packet has 0",
        ),
        (
            bytes.fromhex("21436550 0302 0213 0102"),
            Truncated,
            "LL packet ends 1 byte(s) short of its 3-byte CRC",
        ),
        (
            bytes.fromhex("21436550 0302 0213 010203 ff"),
            BadLength,
            "LL packet has 1 byte(s) after its CRC (PDU header says 2 payload bytes)",
        ),
    ],
)
def test_split_errors(data: bytes, error: type[DecodeError], message: str) -> None:
    err = decode_error(ll.split_air_packet, data, error)
    assert (str(err), err.layer) == (message, "ll")


def test_crc_matches_scapy() -> None:
    pkt = BTLE(access_addr=AA) / BTLE_DATA() / BTLE_CTRL() / LL_TERMINATE_IND(code=0x13)
    # scapy takes CRCInit with its octets reversed; bpdiag takes it as CONNECT_IND carries it.
    raw = bytes(pkt)
    init = 0x123456
    scapy_init = int.from_bytes(init.to_bytes(3, "little"), "big")
    assert ll.crc24(raw[4:-3], init) == BTLE.compute_crc(raw[4:-3], scapy_init)
    adv = bytes(BTLE() / BTLE_ADV() / BTLE_ADV_NONCONN_IND(AdvA="01:02:03:04:05:06"))
    assert ll.crc24(adv[4:-3]) == adv[-3:]  # scapy filled in the advertising CRC


@settings(max_examples=200, deadline=None)
@given(st.binary(min_size=2, max_size=40), st.integers(0, 0xFFFFFF))
def test_crc_matches_scapy_everywhere(pdu: bytes, init: int) -> None:
    scapy_init = int.from_bytes(init.to_bytes(3, "little"), "big")
    assert ll.crc24(pdu, init) == BTLE.compute_crc(pdu, scapy_init)


# ------------------------------------------------------------------ advertising
def _adv_pdu(pkt: Packet, *, secondary: bool = False) -> ll.AdvertisingPdu:
    return ll.parse_adv(ll.split_air_packet(bytes(BTLE() / pkt)).pdu, secondary=secondary)


CONNECT = BTLE_ADV(TxAdd=1, RxAdd=0, ChSel=1) / BTLE_CONNECT_REQ(
    InitA="11:22:33:44:55:66",
    AdvA="aa:bb:cc:dd:ee:ff",
    AA=AA,
    crc_init=0x123456,
    win_size=2,
    win_offset=3,
    interval=24,
    latency=4,
    timeout=400,
    chM=0x1FFFFFFFFF,
    SCA=5,
    hop=9,
)


def test_connect_ind_fields() -> None:
    msg = _adv_pdu(CONNECT)
    assert isinstance(msg, ll.ConnectInd)
    assert msg.name == "CONNECT_IND" and msg.pdu_type == 5
    assert msg.access_address == AA and msg.crc_init == 0x123456
    assert msg.init_address_type == 1 and msg.adv_address_type == 0
    assert msg.fields() == {
        "init_address": "11:22:33:44:55:66",
        "init_address_type": "random",
        "adv_address": "AA:BB:CC:DD:EE:FF",
        "adv_address_type": "public",
        "access_address": "0x50654321",
        "crc_init": "0x123456",
        "win_size": 2,
        "win_offset": 3,
        "interval": 24,
        "latency": 4,
        "timeout": 400,
        "channel_map": "ffffffff1f",
        "hop": 9,
        "sca": 5,
        "ch_sel": 1,
    }


def test_aux_connect_req_on_a_secondary_channel() -> None:
    msg = _adv_pdu(CONNECT, secondary=True)
    assert isinstance(msg, ll.ConnectInd) and msg.name == "AUX_CONNECT_REQ" and msg.aux


def test_connect_ind_lengths() -> None:
    pdu = ll.split_air_packet(bytes(BTLE() / CONNECT)).pdu
    short = bytes([pdu[0], 33]) + pdu[2:35]
    with pytest.raises(Truncated) as exc:
        ll.parse_adv(short)
    assert str(exc.value) == "CONNECT_IND needs 34 payload bytes, got 33"
    long = bytes([pdu[0], 35]) + pdu[2:] + b"\x00"
    with pytest.raises(BadLength) as exc2:
        ll.parse_adv(long, secondary=True)
    assert str(exc2.value) == "AUX_CONNECT_REQ must be 34 payload bytes, got 35"


@pytest.mark.parametrize(
    ("layer", "name"),
    [
        (BTLE_ADV_NONCONN_IND(AdvA="01:02:03:04:05:06"), "ADV_NONCONN_IND"),
        (BTLE_ADV_SCAN_IND(AdvA="01:02:03:04:05:06"), "ADV_SCAN_IND"),
    ],
)
def test_undirected_advertising(layer: Packet, name: str) -> None:
    msg = _adv_pdu(BTLE_ADV(TxAdd=1) / layer)
    assert isinstance(msg, ll.AdvPdu) and msg.name == name
    assert msg.adv_address == "01:02:03:04:05:06" and msg.flags is None


def test_adv_direct_ind_and_scan_req() -> None:
    d = _adv_pdu(
        BTLE_ADV(TxAdd=0, RxAdd=1)
        / BTLE_ADV_DIRECT_IND(AdvA="01:02:03:04:05:06", InitA="0a:0b:0c:0d:0e:0f")
    )
    assert isinstance(d, ll.AdvDirectInd)
    assert d.fields() == {
        "adv_address": "01:02:03:04:05:06",
        "adv_address_type": "public",
        "target_address": "0A:0B:0C:0D:0E:0F",
        "target_address_type": "random",
    }
    s = _adv_pdu(
        BTLE_ADV(TxAdd=1) / BTLE_SCAN_REQ(ScanA="0a:0b:0c:0d:0e:0f", AdvA="01:02:03:04:05:06"),
        secondary=True,
    )
    assert isinstance(s, ll.ScanReq) and s.name == "AUX_SCAN_REQ"
    assert s.scan_address == "0A:0B:0C:0D:0E:0F" and s.scan_address_type == 1


def test_adv_ind_without_adva() -> None:
    with pytest.raises(Truncated) as exc:
        ll.parse_adv(bytes([0x00, 0x05]) + bytes(5))
    assert str(exc.value) == "ADV_IND needs 6 payload bytes, got 5"


def test_adv_header_length_disagrees() -> None:
    with pytest.raises(Truncated) as exc:
        ll.parse_adv(bytes([0x00, 0x08]) + bytes(6))
    assert str(exc.value) == "advertising PDU header says 8 payload bytes, got 6"
    with pytest.raises(BadLength):
        ll.parse_adv(bytes([0x00, 0x06]) + bytes(7))


def test_adv_ext_ind_header_only() -> None:
    pdu = bytes(
        [
            0x47,  # PDU type 7 (ADV_EXT_IND), TxAdd 1
            0x0A,  # length 10
            0x09,  # AdvMode 0 (non-connectable, non-scannable), extended header length 9
            0x01,  # extended header flags: AdvA present
            0x06,
            0x05,
            0x04,
            0x03,
            0x02,
            0x01,  # AdvA 01:02:03:04:05:06
            0xAA,
            0xBB,  # ADI
        ]
    )
    msg = ll.parse_adv(pdu)
    assert fields_of(msg, ll.AdvExtPdu, "ADV_EXT_IND") == {
        "adv_mode": 0,
        "ext_header_length": 9,
        "ext_header_flags": 1,
        "adv_address": "01:02:03:04:05:06",
        "adv_address_type": "random",
    }
    assert ll.parse_adv(pdu, secondary=True).name == "AUX_ADV_IND"
    with pytest.raises(Truncated):
        ll.parse_adv(bytes([0x07, 0x03, 0x09, 0x01, 0x00]))  # header says 9, 2 follow


def test_reserved_advertising_type_is_kept() -> None:
    msg = ll.parse_adv(bytes([0x0F, 0x02, 0xAB, 0xCD]))
    assert fields_of(msg, ll.AdvReserved, "reserved (0xf)") == {"payload": "abcd"}


# ------------------------------------------------------------------ data PDUs
def test_data_pdu_header_bits() -> None:
    d = ll.parse_data_pdu(bytes([0b11011110, 0x00]))  # RFU 0b11, MD, SN, NESN, LLID 0b10
    assert (d.llid, d.nesn, d.sn, d.md, d.cp, d.rfu, d.length) == (2, 1, 1, 1, 0, 3, 0)
    assert ll.parse_data_pdu(bytes([0x01, 0x00])).name == "Empty PDU"


def test_data_pdu_errors() -> None:
    with pytest.raises(Truncated) as exc:
        ll.parse_data_pdu(b"\x02")
    assert str(exc.value) == "data PDU header needs 2 bytes, got 1"
    with pytest.raises(Truncated) as exc:
        ll.parse_data_pdu(b"\x02\x04\x00")
    assert str(exc.value) == "data PDU header says 4 payload bytes, got 1"
    with pytest.raises(BadLength):
        ll.parse_data_pdu(b"\x02\x01\x00\x00")


# ------------------------------------------------------------------ LL control
def _ctl(layer: Packet) -> ll.LlControl:
    pkt = BTLE(access_addr=AA) / BTLE_DATA() / BTLE_CTRL() / layer
    air = ll.split_air_packet(bytes(pkt))
    d = ll.parse_data_pdu(air.pdu)
    assert d.llid == 3
    return ll.parse_control(d.payload)


def test_enc_req_and_rsp_in_wire_order() -> None:
    req = _ctl(
        LL_ENC_REQ(rand=0x0102030405060708, ediv=0x1234, skdm=0x1112131415161718, ivm=0x21222324)
    )
    assert fields_of(req, ll.EncReq, "LL_ENC_REQ") == {
        "rand": "0807060504030201",
        "ediv": 0x1234,
        "skd_c": "1817161514131211",
        "iv_c": "24232221",
    }
    rsp = _ctl(LL_ENC_RSP(skds=0x3132333435363738, ivs=0x41424344))
    assert rsp.fields() == {"skd_p": "3837363534333231", "iv_p": "44434241"}


def test_nothing_is_key_material() -> None:
    assert not any(secret_keys(layout.cls) for layout in ll.CONTROLS.values())
    req = _ctl(LL_ENC_REQ())
    assert not SECRET_KEYS.intersection(req.fields())


def test_error_codes() -> None:
    t = _ctl(LL_TERMINATE_IND(code=0x13))
    assert t.error_code == 0x13 and t.reject_opcode is None
    assert t.fields() == {"error_code": 0x13, "error_name": "Remote User Terminated Connection"}
    r = _ctl(LL_REJECT_IND(code=0x06))
    assert r.name == "LL_REJECT_IND" and r.error_code == 6
    e = _ctl(LL_REJECT_EXT_IND(reject_opcode=0x03, error_code=0x1A))
    assert (e.reject_opcode, e.error_code) == (3, 0x1A)
    assert e.fields() == {
        "reject_opcode": 3,
        "reject_name": "LL_ENC_REQ",
        "error_code": 0x1A,
        "error_name": "Unsupported Remote Feature",
    }


def test_version_features_length_phy() -> None:
    v = _ctl(LL_VERSION_IND(version=9, company=0x59, subversion=0x1234))
    assert v.fields() == {
        "version": 9,
        "version_name": "5.0",
        "company": 0x59,
        "subversion": 0x1234,
    }
    f = _ctl(LL_FEATURE_REQ(feature_set=["le_encryption", "le_ping", "le_2m_phy"]))
    assert f.fields() == {
        "features": "1101000000000000",
        "feature_names": ["LE Encryption", "LE Ping", "LE 2M PHY"],
    }
    ln = _ctl(LL_LENGTH_RSP(max_rx_bytes=251, max_rx_time=2120, max_tx_bytes=27, max_tx_time=328))
    assert ln.fields() == {
        "max_rx_octets": 251,
        "max_rx_time": 2120,
        "max_tx_octets": 27,
        "max_tx_time": 328,
    }
    p = _ctl(LL_PHY_REQ(tx_phys=["phy_1m", "phy_2m"], rx_phys=["phy_coded"]))
    assert p.fields() == {
        "tx_phys": 3,
        "tx_phy_names": ["LE 1M", "LE 2M"],
        "rx_phys": 4,
        "rx_phy_names": ["LE Coded"],
    }
    u = _ctl(LL_PHY_UPDATE_IND(tx_phy=["phy_2m"], rx_phy=[], instant=0x0102))
    assert u.fields() == {
        "phy_c_to_p": 2,
        "phy_c_to_p_names": ["LE 2M"],
        "phy_p_to_c": 0,
        "phy_p_to_c_names": [],
        "instant": 0x0102,
    }


def test_connection_update_channel_map_param_req_unknown_rsp() -> None:
    c = _ctl(
        LL_CONNECTION_UPDATE_IND(
            win_size=1, win_offset=2, interval=40, latency=3, timeout=500, instant=77
        )
    )
    assert c.fields() == {
        "win_size": 1,
        "win_offset": 2,
        "interval": 40,
        "latency": 3,
        "timeout": 500,
        "instant": 77,
    }
    m = _ctl(LL_CHANNEL_MAP_IND(chM=0x1FFFFFFFFE, instant=9))
    assert m.fields() == {"channel_map": "feffffff1f", "instant": 9}
    q = _ctl(LL_CONNECTION_PARAM_REQ(interval_min=6, interval_max=12, latency=0, timeout=300))
    assert isinstance(q, ll.ConnectionParamExchange)
    assert (q.interval_min, q.interval_max, q.timeout) == (6, 12, 300)
    u = _ctl(LL_UNKNOWN_RSP(code=0x1F))
    assert u.fields() == {"unknown_type": 0x1F, "unknown_name": "LL_CIS_REQ"}


@pytest.mark.parametrize("layer", [LL_START_ENC_REQ(), LL_PAUSE_ENC_RSP(), LL_PING_REQ()])
def test_no_ctrdata(layer: Packet) -> None:
    c = _ctl(layer)
    assert c.data == b"" and c.fields() == {}


def test_every_opcode_has_a_name() -> None:
    for op in range(0x3B):
        assert not ll.control_name(op).startswith("reserved"), hex(op)
    assert ll.control_name(0x0E) == "LL_PERIPHERAL_FEATURE_REQ"
    assert ll.control_name(0x29) == "LL_CHANNEL_STATUS_IND"
    assert ll.control_name(0x3B) == "reserved (0x3b)"
    generic = ll.parse_control(bytes([0x1D, 0x05]))  # LL_CLOCK_ACCURACY_REQ: generic
    assert type(generic) is ll.LlControl and generic.fields() == {"data": "05"}
    assert ll.parse_control(bytes([0x30, 1, 2, 3])).name == "LL_CS_CONFIG_REQ"


@pytest.mark.parametrize(("opcode", "need"), sorted(ll.CONTROL_LENGTHS.items()))
def test_ctrdata_length_is_exact(opcode: int, need: int) -> None:
    ll.parse_control(bytes([opcode]) + bytes(need))
    if need:
        with pytest.raises(Truncated) as exc:
            ll.parse_control(bytes([opcode]) + bytes(need - 1))
        assert str(exc.value) == (
            f"{ll.control_name(opcode)} needs {need} bytes of CtrData, got {need - 1}"
        )
    with pytest.raises(BadLength):
        ll.parse_control(bytes([opcode]) + bytes(need + 1))


def test_control_without_opcode() -> None:
    with pytest.raises(Truncated) as exc:
        ll.parse_control(b"")
    assert str(exc.value) == "LL control PDU without an opcode"


# ------------------------------------------------------------------ fuzzing
@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=48), st.booleans(), st.booleans())
def test_parsers_raise_only_decode_errors(data: bytes, secondary: bool, coded: bool) -> None:
    with contextlib.suppress(DecodeError):
        ll.parse_data_pdu(data).fields()
    with contextlib.suppress(DecodeError):
        ll.parse_control(data).fields()
    with contextlib.suppress(DecodeError):
        ll.parse_adv_header(data)
    with contextlib.suppress(DecodeError):
        ll.parse_adv(data, secondary=secondary).fields()
    with contextlib.suppress(DecodeError):
        ll.split_air_packet(data, coded=coded)


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 0x3F), st.binary(max_size=40))
def test_every_opcode_with_random_ctrdata(opcode: int, data: bytes) -> None:
    with contextlib.suppress(DecodeError):
        ctl = ll.parse_control(bytes([opcode]) + data)
        ctl.fields()
        assert ctl.name and ctl.opcode == opcode


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 15), st.integers(0, 3), st.binary(max_size=40))
def test_every_adv_type_with_random_payload(ptype: int, bits: int, payload: bytes) -> None:
    pdu = bytes([ptype | bits << 6, len(payload)]) + payload
    with contextlib.suppress(DecodeError):
        msg = ll.parse_adv(pdu)
        msg.fields()
        assert msg.pdu_type == ptype
