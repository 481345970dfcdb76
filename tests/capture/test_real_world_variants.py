"""Binary shapes real users' logs come in, made from our own captures the way the tools that
write them do, must give the same pairings, encryptions and findings as the original — or,
where the shape really lost bytes, say what cannot be known instead of misreading it.

- Wireshark: ``editcap -F pcapng`` / ``-F pcap`` (H4 with pseudo-header, 201), ``-T
  bluetooth-h4`` (187), nanosecond files (``if_tsresol`` 9), per-packet comments (``-a``),
  time shifts (``-t``), ``-d`` deduplication, ``-s 40`` snapshot length, ``mergecap`` of
  several logs (one interface, or one per log with ``-I none``), HCI and sniffer interfaces in
  one file, and big-endian sections (written by swapping editcap's output block by block).
- Linux: ``btmon -w`` monitor logs (2001; as pcap / pcapng 254 via editcap) with notes, user
  logging and two controllers; ``hcidump -w`` (BlueZ 5 ``tools/hcidump.c`` writes btsnoop 1002,
  flags bit 1 for commands and events, the year-2000 epoch).
- Android: the filtered snoop log of Android 13+ (AOSP ``system/gd/hal/snoop_logger.cc``,
  ``CalculateAclPacketLength``: a received ACL start fragment outside L2CAP signalling is cut to
  14 bytes with the H4 type; the host's own LE packets, PB 0b00, are kept) and of Android 11
  (``system/bt/hci/src/btsnoop.cc``, ``should_filter_log``: every ACL packet outside CID 1 cut to
  its L2CAP header, 9 bytes); a controller restart mid-file (HCI Reset, handles reused); a last
  record cut off; ``btsnoop_hci.log.last`` beside ``btsnoop_hci.log`` in a bug report zip.
- Sniffers: nRF Sniffer (272, header v2 and v3), LE LL with pseudo-header (256) and Ubertooth
  PPI (192) through editcap, and several sniffer captures appended into one file.

The shared real captures are read from ``../shared/captures`` and skipped when absent.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from bpdiag.capture.bugreport import open_inputs
from bpdiag.diagnose import diagnose_file, diagnose_inputs
from tests.capture.writers import EPOCH_DELTA_US, H4, bugreport_zip, read_btsnoop_h4

ROOT = Path(__file__).resolve().parents[2]
CAPS = ROOT / "captures"
SHARED = ROOT.parent / "shared" / "captures"
TOOLS = all(shutil.which(t) for t in ("editcap", "mergecap"))
needs_tools = pytest.mark.skipif(not TOOLS, reason="editcap / mergecap not installed")

HCI_BASES = [
    "sc_justworks_success",
    "legacy_passkey_wrong",
    "dhkey_check_failed",
    "sc_justworks_fragmented",
    "bond_lost_reconnect",
    "security_request_ignored",
]
SNIFFER_BASES = [
    "nordic_lesc_justworks_bsniffhub.pcap",  # nRF Sniffer header v2
    "nrfsniffer4_attinsufauth_lesc_justworks_tesi.pcapng",  # v3, written by editcap
    "nordic_secreq_pairfail_confirm_value_sweyntooth.pcapng",  # classic pcap, misnamed
    "lephdr_legacy_justworks_bsniffhub.pcap",  # 256
    "ubertooth_ppi_legacy_passkey_crackle.pcap",  # PPI
]


Summary = tuple[list[tuple[object, ...]], list[tuple[int, bool]], list[str]]


def _summary(path: Path, frames: bool = True) -> Summary:
    a = diagnose_file(path)
    return (
        [
            (p.outcome, p.method, p.secure_connections, p.failure.reason if p.failure else None)
            + ((tuple(s.frame for s in p.steps),) if frames else ())
            for p in a.pairings
        ],
        [(e.status, e.after_pairing) for e in a.encryptions],
        sorted(f.code for f in a.findings),
    )


def _tool(*args: object) -> None:
    subprocess.run([str(a) for a in args], check=True, capture_output=True, timeout=60)


# ------------------------------------------------------------------ writers
def btsnoop(path: Path, items: list[tuple[H4, int | None]]) -> Path:
    """A btsnoop 1002 file; each record cut to ``keep`` bytes when given.  Flags as Android
    and BlueZ 5 hcidump write them: bit 0 received, bit 1 command or event."""
    out = [b"btsnoop\0" + struct.pack(">II", 1, 1002)]
    for r, keep in items:
        p = r.packet if keep is None else r.packet[:keep]
        flags = (1 if r.received else 0) | (2 if r.packet[0] in (1, 4) else 0)
        ts = r.ts_us + EPOCH_DELTA_US
        out.append(struct.pack(">IIIIq", len(r.packet), len(p), flags, 0, ts) + p)
    path.write_bytes(b"".join(out))
    return path


def _hcidump_w(path: Path, recs: list[H4]) -> Path:
    """BlueZ 5 hcidump -w: the timestamp written with the year-2000 delta (the same instant)."""
    out = [b"btsnoop\0" + struct.pack(">II", 1, 1002)]
    for r in recs:
        flags = (1 if r.received else 0) | (2 if r.packet[0] in (1, 4) else 0)
        ts = (r.ts_us - 946_684_800_000_000) + 0x00E03AB44A676000
        out.append(struct.pack(">IIIIq", len(r.packet), len(r.packet), flags, 0, ts) + r.packet)
    path.write_bytes(b"".join(out))
    return path


def _acl_cid(p: bytes) -> tuple[int, int | None]:
    hf = struct.unpack_from("<H", p, 1)[0]
    cid = struct.unpack_from("<H", p, 7)[0] if len(p) >= 9 else None
    return (hf >> 12) & 3, cid


def gd_filtered(r: H4) -> int | None:
    """Android 13+ headers filter: a received start fragment (PB 0b10) off CID 1 → 14 bytes."""
    if r.packet[0] != 2 or len(r.packet) < 9:
        return None
    pb, cid = _acl_cid(r.packet)
    return min(len(r.packet), 14) if pb == 2 and cid != 1 else None


def android11_filtered(r: H4) -> int | None:
    """Android 11: every ACL packet outside the whitelisted CID 1 → its 9-byte L2CAP header."""
    if r.packet[0] != 2:
        return None
    return None if _acl_cid(r.packet)[1] == 1 else 9


_MON = {(1, False): 2, (4, True): 3, (2, False): 4, (2, True): 5}


def monitor(path: Path, logs: list[list[H4]]) -> Path:
    """A btmon -w file: notes and a user-logging line, then each log on its own controller
    (index 0, 1, …: New Index, Open Index, Index Info), records interleaved by time."""
    t0 = min(r.ts_us for log in logs for r in log)
    rows: list[tuple[int, int, int, bytes]] = [
        (t0, 0xFFFF, 12, b"Linux version 6.1.0-28-amd64 (x86_64)\0"),
        (t0, 0xFFFF, 12, b"Bluetooth subsystem version 2.22\0"),
        (t0, 0xFFFF, 13, b"\x06\x0bbluetoothd\0Bluetooth daemon 5.66\0"),
    ]
    for idx, log in enumerate(logs):
        addr = bytes([idx + 1, 0, 0, 0xEE, 0xFF, 0xC0])
        rows.append((t0, idx, 0, b"\x00\x01" + addr + b"hci%d".ljust(8, b"\0") % idx))
        rows.append((t0, idx, 8, b""))
        rows.append((t0, idx, 10, addr + struct.pack("<H", 2)))
        rows.extend((r.ts_us, idx, _MON[(r.packet[0], r.received)], r.packet[1:]) for r in log)
    rows.sort(key=lambda x: x[0])  # stable: the headers stay first
    out = [b"btsnoop\0" + struct.pack(">II", 1, 2001)]
    for ts, idx, op, data in rows:
        flags = idx << 16 | op
        out.append(struct.pack(">IIIIq", len(data), len(data), flags, 0, ts + EPOCH_DELTA_US))
        out.append(data)
    path.write_bytes(b"".join(out))
    return path


_SWAP_OPTIONS = {  # (block type, option code) → numeric width to byte-swap
    (6, 2): 4,  # epb_flags
    (6, 4): 8,  # epb_dropcount
    (1, 8): 8,  # if_speed
    (1, 14): 8,  # if_tsoffset
}


def big_endian(src: Path, dst: Path) -> Path:
    """The same pcapng section written big-endian (as a SPARC or PowerPC dumpcap would)."""
    data = src.read_bytes()
    out = bytearray()
    pos = 0
    fixed = {0x0A0D0D0A: "IHHq", 1: "HHI", 6: "IIIII"}
    while pos + 12 <= len(data):
        btype, total = struct.unpack_from("<II", data, pos)
        body = bytearray(data[pos + 8 : pos + total - 4])
        fmt = fixed.get(btype)
        if fmt is not None:
            n = struct.calcsize("<" + fmt)
            body[:n] = struct.pack(">" + fmt, *struct.unpack_from("<" + fmt, body))
            start = n
            if btype == 6:
                start += (struct.unpack_from(">I", body, 12)[0] + 3) & ~3  # packet data
            while start + 4 <= len(body):
                code, length = struct.unpack_from("<HH", body, start)
                body[start : start + 4] = struct.pack(">HH", code, length)
                width = _SWAP_OPTIONS.get((btype, code))
                if width is not None and width == length:
                    v = start + 4
                    body[v : v + width] = body[v : v + width][::-1]
                if code == 0:
                    break
                start += 4 + ((length + 3) & ~3)
        out += struct.pack(">II", btype, total) + body + struct.pack(">I", total)
        pos += total
    dst.write_bytes(bytes(out))
    return dst


# ------------------------------------------------------------------ HCI logs
Variant = Callable[[Path, Path], Path]


def _editcap(*opts: str) -> Variant:
    def make(src: Path, tmp: Path) -> Path:
        out = tmp / "out.pcapng"
        _tool("editcap", *opts, src, out)
        return out

    return make


def _nsec_pcapng(src: Path, tmp: Path) -> Path:
    _tool("editcap", "-F", "nsecpcap", src, tmp / "ns.pcap")
    _tool("editcap", "-F", "pcapng", tmp / "ns.pcap", tmp / "ns.pcapng")  # if_tsresol 9
    return tmp / "ns.pcapng"


def _big_endian(src: Path, tmp: Path) -> Path:
    _tool("editcap", "-F", "pcapng", "-a", "2:a comment", src, tmp / "le.pcapng")
    return big_endian(tmp / "le.pcapng", tmp / "be.pcapng")


def _monitor_pcap(kind: str) -> Variant:
    def make(src: Path, tmp: Path) -> Path:
        mon = monitor(tmp / "mon.btsnoop", [read_btsnoop_h4(src)])
        _tool("editcap", "-F", kind, mon, tmp / f"mon.{kind}")
        return tmp / f"mon.{kind}"

    return make


def _last_record_cut(src: Path, tmp: Path) -> Path:
    (tmp / "cut.log").write_bytes(src.read_bytes()[:-5])
    return tmp / "cut.log"


SAME: dict[str, Variant] = {
    "editcap-pcapng-201": _editcap("-F", "pcapng"),
    "editcap-pcap-201": _editcap("-F", "pcap"),
    "editcap-pcap-187": _editcap("-T", "bluetooth-h4", "-F", "pcap"),
    "editcap-pcapng-187": _editcap("-T", "bluetooth-h4", "-F", "pcapng"),
    "pcapng-tsresol-9": _nsec_pcapng,
    "pcapng-comments": _editcap("-F", "pcapng", "-a", "1:first", "-a", "33:pairing here"),
    "time-shifted": _editcap("-F", "pcapng", "-t", "-86400.25"),
    "pcapng-big-endian": _big_endian,
    "btmon-w-monitor": lambda src, tmp: monitor(tmp / "m.btsnoop", [read_btsnoop_h4(src)]),
    "monitor-pcap-254": _monitor_pcap("pcap"),
    "monitor-pcapng-254": _monitor_pcap("pcapng"),
    "hcidump-w": lambda src, tmp: _hcidump_w(tmp / "hcidump.log", read_btsnoop_h4(src)),
    "last-record-cut": _last_record_cut,
}
NEEDS_TOOLS = {k for k in SAME if k not in ("btmon-w-monitor", "hcidump-w", "last-record-cut")}


@pytest.mark.parametrize("variant", sorted(SAME))
@pytest.mark.parametrize("base", HCI_BASES)
def test_hci_log_variant_gives_the_same_analysis(base: str, variant: str, tmp_path: Path) -> None:
    if variant in NEEDS_TOOLS and not TOOLS:
        pytest.skip("editcap not installed")
    src = CAPS / f"{base}.btsnoop"
    out = SAME[variant](src, tmp_path)
    # frame numbers are the same, except where monitor headers come first
    frames = not variant.startswith(("btmon", "monitor"))
    assert _summary(out, frames) == _summary(src, frames)


@needs_tools
@pytest.mark.parametrize("base", HCI_BASES)
def test_dedup_keeps_every_smp_pdu(base: str, tmp_path: Path) -> None:
    src = CAPS / f"{base}.btsnoop"
    out = _editcap("-d", "-F", "pcapng")(src, tmp_path)
    assert _summary(out, frames=False) == _summary(src, frames=False)


@pytest.mark.parametrize("base", HCI_BASES)
def test_controller_restart_mid_file_is_two_stories(base: str, tmp_path: Path) -> None:
    """The stack restarted: the second HCI Reset, the same handle 0x0001 used again."""
    recs = read_btsnoop_h4(CAPS / f"{base}.btsnoop")
    later = [H4(r.ts_us + 60_000_000, r.received, r.packet) for r in recs]
    out = btsnoop(tmp_path / "restart.log", [(r, None) for r in recs + later])
    one = _summary(CAPS / f"{base}.btsnoop", frames=False)
    two = _summary(out, frames=False)
    assert two[0] == one[0] * 2 and two[1] == one[1] * 2
    assert set(two[2]) - set(one[2]) <= {"same-failure-every-connection"}
    assert sorted(c for c in two[2] if c != "same-failure-every-connection") == sorted(one[2] * 2)


@pytest.mark.parametrize("base", HCI_BASES)
def test_two_controllers_in_one_monitor_log(base: str, tmp_path: Path) -> None:
    """btmon -w sees every controller: the same handle on hci0 and hci1 is two connections."""
    other = CAPS / "legacy_passkey_wrong.btsnoop"
    a, b = read_btsnoop_h4(CAPS / f"{base}.btsnoop"), read_btsnoop_h4(other)
    shift = a[0].ts_us - b[0].ts_us + 700  # b overlaps a in time, 0.7 ms behind
    b = [H4(r.ts_us + shift, r.received, r.packet) for r in b]
    both = _summary(monitor(tmp_path / "two.btsnoop", [a, b]), frames=False)
    ones = [_summary(CAPS / f"{base}.btsnoop", False), _summary(other, False)]
    assert sorted(map(repr, both[0])) == sorted(repr(p) for s in ones for p in s[0])
    assert sorted(both[1]) == sorted(e for s in ones for e in s[1])


@needs_tools
@pytest.mark.parametrize("base", HCI_BASES)
def test_mergecap_of_two_logs_keeps_their_connections_apart(base: str, tmp_path: Path) -> None:
    """mergecap -I none: one interface per log; overlapping in time, both on handle 0x0001."""
    other = CAPS / "legacy_passkey_wrong.btsnoop"
    a, b = read_btsnoop_h4(CAPS / f"{base}.btsnoop"), read_btsnoop_h4(other)
    _tool("editcap", "-F", "pcapng", CAPS / f"{base}.btsnoop", tmp_path / "a.pcapng")
    shift = (a[0].ts_us - b[0].ts_us + 500) / 1e6
    _tool("editcap", "-F", "pcapng", "-t", f"{shift:.6f}", other, tmp_path / "b.pcapng")
    _tool(
        "mergecap",
        "-I",
        "none",
        "-w",
        tmp_path / "m.pcapng",
        tmp_path / "a.pcapng",
        tmp_path / "b.pcapng",
    )
    both = _summary(tmp_path / "m.pcapng", frames=False)
    ones = [_summary(CAPS / f"{base}.btsnoop", False), _summary(other, False)]
    assert sorted(map(repr, both[0])) == sorted(repr(p) for s in ones for p in s[0])
    assert sorted(both[1]) == sorted(e for s in ones for e in s[1])


# ------------------------------------------------------------------ bytes really missing
def _outcomes(s: Summary) -> tuple[object, ...]:
    pairings, encs, _codes = s
    return [p[:4] for p in pairings], encs


@pytest.mark.parametrize("base", HCI_BASES)
def test_android_filtered_log_keeps_the_story(base: str, tmp_path: Path) -> None:
    """Android 13+: received SMP PDUs keep 5 octets; the method, outcome and encryptions are
    those of the full log, and truncated-snoop says what the log cannot show."""
    src = CAPS / f"{base}.btsnoop"
    recs = read_btsnoop_h4(src)
    out = btsnoop(tmp_path / "btsnoop_hci.log.filtered", [(r, gd_filtered(r)) for r in recs])
    cut, full = _summary(out, frames=False), _summary(src, frames=False)
    assert _outcomes(cut) == _outcomes(full)
    codes = set(cut[2])
    assert "capture-gap" not in codes and "pairing-protocol-violation" not in codes
    if any(gd_filtered(r) is not None and len(r.packet) > 14 for r in recs):
        assert codes - set(full[2]) == {"truncated-snoop"}


@pytest.mark.parametrize("base", HCI_BASES)
def test_android11_filtered_log_says_the_pairing_cannot_be_known(base: str, tmp_path: Path) -> None:
    src = CAPS / f"{base}.btsnoop"
    out = btsnoop(tmp_path / "f.log", [(r, android11_filtered(r)) for r in read_btsnoop_h4(src)])
    a, full = diagnose_file(out), diagnose_file(src)
    assert a.pairings == []  # no SMP command survives: none is made up
    cut = [p for p in a.problems if p.layer == "truncated"]
    assert cut and all("cut to its L2CAP header" in p.message for p in cut)
    assert [(e.frame, e.status) for e in a.encryptions] == [
        (e.frame, e.status) for e in full.encryptions
    ]
    for e, f in zip(a.encryptions, full.encryptions, strict=True):
        # an encryption that closed a pairing in the full log is not called "a stored key"
        assert e.smp_cut_before or not f.after_pairing
    finding = next(f for f in a.findings if f.code == "truncated-snoop")
    assert "whether a pairing ran is not in the capture" in finding.detail


@needs_tools
@pytest.mark.parametrize("base", HCI_BASES)
def test_snaplen_40_cuts_are_said_not_read_as_missing(base: str, tmp_path: Path) -> None:
    src = CAPS / f"{base}.btsnoop"
    out = _editcap("-s", "40", "-F", "pcapng")(src, tmp_path)
    cut, full = _summary(out, frames=False), _summary(src, frames=False)
    assert _outcomes(cut) == _outcomes(full)
    assert set(cut[2]) - set(full[2]) == {"truncated-snoop"}


def test_bugreport_zip_with_the_log_and_its_last(tmp_path: Path) -> None:
    """Android rotates btsnoop_hci.log to .last: the zip holds both, each analysed alone."""
    now, before = CAPS / "sc_justworks_success.btsnoop", CAPS / "legacy_passkey_wrong.btsnoop"
    logs = "FS/data/misc/bluetooth/logs/"
    z = tmp_path / "bugreport-x.zip"
    z.write_bytes(
        bugreport_zip(
            {
                logs + "btsnoop_hci.log": now.read_bytes(),
                logs + "btsnoop_hci.log.last": before.read_bytes(),
            }
        )
    )
    names = [i.name for i in open_inputs(z)]
    assert any(n.endswith("btsnoop_hci.log") for n in names)
    assert any(n.endswith("btsnoop_hci.log.last") for n in names)
    got = {a.capture.path.rsplit("/", 1)[-1]: a for a in diagnose_inputs(z)}
    for name, src in (("btsnoop_hci.log", now), ("btsnoop_hci.log.last", before)):
        want = diagnose_file(src)
        assert [p.outcome for p in got[name].pairings] == [p.outcome for p in want.pairings]
        assert sorted(f.code for f in got[name].findings) == sorted(f.code for f in want.findings)


# ------------------------------------------------------------------ sniffers
SNIFFER_VARIANTS: dict[str, Variant] = {
    "editcap-pcapng": _editcap("-F", "pcapng"),
    "editcap-pcap": _editcap("-F", "pcap"),
    "nsecpcap": _editcap("-F", "nsecpcap"),
    "comments": _editcap("-F", "pcapng", "-a", "3:connect here"),
    "time-shifted": _editcap("-F", "pcapng", "-t", "3600"),
    "big-endian": _big_endian,
}


@needs_tools
@pytest.mark.parametrize("variant", sorted(SNIFFER_VARIANTS))
@pytest.mark.parametrize("name", SNIFFER_BASES)
def test_sniffer_capture_variant(name: str, variant: str, tmp_path: Path) -> None:
    src = SHARED / name
    if not src.exists():
        pytest.skip("shared captures not present")
    out = SNIFFER_VARIANTS[variant](src, tmp_path)
    assert _summary(out) == _summary(src)


SNAPLEN_BASES = [n for n in SNIFFER_BASES if "lephdr" not in n]  # nRF Sniffer and PPI


@needs_tools
@pytest.mark.parametrize("snaplen", ["40", "60"])
@pytest.mark.parametrize("name", SNAPLEN_BASES)
def test_sniffer_snaplen_cuts_are_said_not_read_as_missing(
    name: str, snaplen: str, tmp_path: Path
) -> None:
    """``editcap -s N`` of an air capture: the cut SMP PDUs are steps whose values the
    capture does not hold, the pairings end as in the whole capture, and the finding says the
    records were stored short, not that the sniffer missed packets."""
    src = SHARED / name
    if not src.exists():
        pytest.skip("shared captures not present")
    out = _editcap("-s", snaplen, "-F", "pcapng")(src, tmp_path)
    a, full = diagnose_file(out), diagnose_file(src)
    cut, whole = _summary(out, frames=False), _summary(src, frames=False)
    assert _outcomes(cut) == _outcomes(whole)
    codes = set(cut[2])
    assert "pairing-protocol-violation" not in codes and "capture-gap" not in codes
    assert not [p for p in a.problems if p.layer != "truncated"]  # nothing read as malformed
    assert [p.id for p in a.pairings] == [p.id for p in full.pairings]
    if a.capture.cut_smp_frames:
        finding = next(f for f in a.findings if f.code == "truncated-snoop")
        assert "stored shorter than their original length" in finding.detail
        assert "by the capture's snapshot length" in finding.detail
        assert "missed" not in " ".join(f.detail for f in a.findings)
        assert any(p.cut_frames for p in a.pairings)
    elif snaplen == "40":
        pytest.fail("a 40-byte snapshot length cut no SMP PDU")


@needs_tools
def test_sniffer_captures_appended_and_an_hci_interface_beside(tmp_path: Path) -> None:
    """mergecap -a of two nRF Sniffer captures, then an HCI log merged in: three interfaces,
    two link types, every connection's story kept."""
    a = SHARED / "nordic_lesc_justworks_bsniffhub.pcap"
    b = SHARED / "nordic_secreq_pairfail_confirm_value_sweyntooth.pcapng"
    if not (a.exists() and b.exists()):
        pytest.skip("shared captures not present")
    hci = CAPS / "dhkey_check_failed.btsnoop"
    _tool("editcap", "-F", "pcapng", hci, tmp_path / "hci.pcapng")
    _tool("mergecap", "-a", "-w", tmp_path / "air.pcapng", a, b)
    _tool(
        "mergecap", "-w", tmp_path / "all.pcapng", tmp_path / "air.pcapng", tmp_path / "hci.pcapng"
    )
    parts = [_summary(p, frames=False) for p in (a, b, hci)]
    for out in (tmp_path / "air.pcapng", tmp_path / "all.pcapng"):
        got = _summary(out, frames=False)
        used = parts if out.name == "all.pcapng" else parts[:2]
        assert sorted(map(repr, got[0])) == sorted(repr(p) for s in used for p in s[0])
        assert set(got[2]) == {c for s in used for c in s[2]}
