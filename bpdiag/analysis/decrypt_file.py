"""``bpdiag decrypt``: the capture rewritten with every packet bpdiag could decrypt in clear.

Every air record becomes a LINKTYPE_BLUETOOTH_LE_LL_WITH_PHDR (256) packet in a pcapng file:
a 256 record keeps its pseudo-header, a Nordic BLE (272), LE LL (251) or PPI record gets one
built from what it says (RF channel, direction as the PDU type, CRC and MIC flags).  A
decrypted packet has the pseudo-header's "decrypted" flag and MIC checked + valid set
(Wireshark's btle dissector then decodes its payload as plaintext), its MIC removed, the
Length field set to the plaintext's length and the CRC recomputed with the connection's
CRCInit (Vol 6, Part B, 3.1.1) when the CONNECT_IND was captured — else the CRC is left
as it was and the pseudo-header says "CRC not checked".  A CTEInfo octet (header CP bit)
is kept as sent: the link never encrypts it (Vol 6, Part E; ``crypto.ll_crypto``).  The
pseudo-header's PDU type is the direction the MIC proved.  Nothing else changes.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass

from bpdiag.capture import open_capture
from bpdiag.capture.record import LinkType, Record
from bpdiag.crypto.decryptor import LinkDecryptor
from bpdiag.crypto.keyring import Keyring, redact
from bpdiag.crypto.pcapng_out import PcapngWriter
from bpdiag.decode import phdr as ph
from bpdiag.decode.ll import ADV_ACCESS_ADDRESS, crc24
from bpdiag.decode.ll_stream import LlStream
from bpdiag.decode.nordic import parse_nordic
from bpdiag.decode.ppi import parse_ppi
from bpdiag.decode.stream import AIR_LINK_TYPES
from bpdiag.errors import BpdiagError, DecodeError, Stage, UnreadableCapture


@dataclass(slots=True)
class DecryptResult:
    records: int = 0
    written: int = 0
    decrypted: int = 0
    not_decrypted: int = 0  # encrypted packets no known key opened
    counters_skipped: int = 0
    unsupported: int = 0  # records that are not air packets (skipped)
    damaged: int = 0  # records whose pseudo-header or packet could not be read (copied)
    keys_used: list[str] | None = None


def _phdr(rf: int, rssi: int, flags: int, aa: int) -> bytes:
    return struct.pack("<BbbBIH", rf & 0xFF, max(-128, min(127, rssi)), 0, 0, aa, flags)


def _split(rec: Record) -> tuple[bytes, bytes] | None:
    """(pseudo-header for 256, air packet) of an air record; ``DecodeError`` if damaged."""
    lt, data = rec.link_type, bytes(rec.payload)
    if lt == LinkType.BLUETOOTH_LE_LL_WITH_PHDR:
        if len(data) < ph.PHDR_LENGTH:
            raise DecodeError("pseudo-header truncated", layer=Stage.PHDR)
        return data[: ph.PHDR_LENGTH], data[ph.PHDR_LENGTH :]
    if lt == LinkType.NORDIC_BLE:
        n = parse_nordic(data)
        aa = n.access_address
        flags = ph.CRC_CHECKED | (ph.CRC_VALID if n.crc_ok else 0) | ph.REF_AA_VALID
        flags |= ph.SIGNAL_POWER_VALID | ((n.phy & 3) << 14)
        if aa != ADV_ACCESS_ADDRESS:
            flags |= (2 if n.c_to_p else 3) << 7
            if n.encrypted:
                flags |= ph.MIC_CHECKED | (ph.MIC_VALID | ph.DECRYPTED if n.mic_ok else 0)
        return _phdr(ph.rf_channel(n.channel), n.rssi, flags, aa), n.ble
    if lt == LinkType.PPI:
        p = parse_ppi(data)
        ble = p.ble
        rf = 0
        if p.btle is not None and p.btle.rf_channel is not None:
            rf = p.btle.rf_channel
        aa = int.from_bytes(ble[0:4], "little") if len(ble) >= 4 else 0
        return _phdr(rf, 0, ph.REF_AA_VALID, aa), ble
    if lt == LinkType.BLUETOOTH_LE_LL:
        aa = int.from_bytes(data[0:4], "little") if len(data) >= 4 else 0
        return _phdr(0, 0, ph.REF_AA_VALID, aa), data
    return None


def decrypt_file(path: str, out_path: str, keys: Keyring | None = None) -> DecryptResult:
    """Write ``out_path`` (pcapng, link type 256, mode 0600) from the air capture ``path``.
    Raises ``UnreadableCapture`` when the input cannot be opened, or when ``out_path`` is
    the input itself (writing would truncate it before it is read)."""
    if os.path.exists(out_path) and os.path.samefile(path, out_path):
        raise UnreadableCapture(f"{out_path} is the capture being read; write elsewhere")
    keyring = keys if keys is not None else Keyring()
    dec = LinkDecryptor(keyring)
    stream = LlStream()
    stream.decryptor = dec
    res = DecryptResult()
    with open_capture(path) as cap, PcapngWriter(os.fspath(out_path)) as w:
        for rec in cap:
            res.records += 1
            if rec.link_type not in AIR_LINK_TYPES:
                res.unsupported += 1
                continue
            for pdu in stream.feed(rec):
                dec.observe(pdu)
            stream.problems.clear()
            try:
                parts = _split(rec)
            except (DecodeError, BpdiagError, IndexError, struct.error):
                res.damaged += 1
                w.packet(rec.timestamp, _phdr(0, 0, 0, 0) + bytes(rec.payload))
                res.written += 1
                continue
            if parts is None:
                res.unsupported += 1
                continue
            head, ble = parts
            if dec.last_frame == rec.index and len(ble) >= 6:
                head, ble = _clear(stream, dec, head, ble)
            w.packet(rec.timestamp, head + ble)
            res.written += 1
    res.decrypted, res.not_decrypted = dec.decrypted, dec.failed
    res.counters_skipped = dec.skipped_counters
    res.keys_used = [
        f"0x{u.access_address:08x} from #{u.frame}: {u.source}, key "
        + redact(u.key, keyring.show_keys)
        for u in dec.uses
    ]
    return res


def _clear(stream: LlStream, dec: LinkDecryptor, head: bytes, ble: bytes) -> tuple[bytes, bytes]:
    aa = int.from_bytes(ble[0:4], "little")
    plain = dec.last_plain
    # A CTEInfo octet (CP set, Vol 6, Part B, 2.4) stays as it was: it was never encrypted.
    cte = ble[6:7] if ble[4] & 0x20 else b""
    pdu = bytes([ble[4], len(plain)]) + cte + plain
    link = stream.links.get(aa)
    flags = int.from_bytes(head[8:10], "little")
    flags |= ph.DECRYPTED | ph.MIC_CHECKED | ph.MIC_VALID
    if dec.last_from_central is not None:
        flags = (flags & ~ph.PDU_TYPE_MASK) | ((2 if dec.last_from_central else 3) << 7)
    if link is not None and link.crc_init is not None:
        crc = crc24(pdu, link.crc_init)
        flags |= ph.CRC_CHECKED | ph.CRC_VALID
    else:
        crc = ble[-3:]
        flags &= ~(ph.CRC_CHECKED | ph.CRC_VALID)
    return head[:8] + flags.to_bytes(2, "little"), ble[0:4] + pdu + crc
