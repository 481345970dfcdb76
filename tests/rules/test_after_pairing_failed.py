"""smp-after-pairing-failed: Pairing Failed ends the pairing (Vol 3, Part H, 3.5.5); a side
that knew of it and sent more SMP of it is faulty. Made-up btmon text of one link where this
host is the central."""

from __future__ import annotations

from pathlib import Path

from bpdiag.diagnose import diagnose_file

REQUEST = (
    "< ACL Data TX: Handle 64 flags 0x00 dlen 11                #10 [hci0] 1.000000\n"
    "      SMP: Pairing Request (0x01) len 6\n"
    "        IO capability: NoInputNoOutput (0x03)\n"
    "        OOB data: Authentication data not present (0x00)\n"
    "        Authentication requirement: Bonding, No MITM, SC, No Keypresses (0x09)\n"
    "        Max encryption key size: 16\n"
    "        Initiator key distribution: EncKey IdKey (0x03)\n"
    "        Responder key distribution: EncKey IdKey (0x03)\n"
)


def _failed(mark: str, n: int, t: str, reason: str = "Unspecified reason (0x08)") -> str:
    words = "TX" if mark == "<" else "RX"
    flags = "0x00" if mark == "<" else "0x02"
    return (
        f"{mark} ACL Data {words}: Handle 64 flags {flags} dlen 6              #{n} [hci0] {t}\n"
        "      SMP: Pairing Failed (0x05) len 1\n"
        f"        Reason: {reason}\n"
    )


def _findings(tmp_path: Path, text: str):  # type: ignore[no-untyped-def]
    p = tmp_path / "paste.txt"
    p.write_text(text)
    return [f for f in diagnose_file(p).findings if f.code == "smp-after-pairing-failed"]


def test_a_pairing_failed_answered_with_a_pairing_failed(tmp_path: Path) -> None:
    text = REQUEST + _failed(">", 11, "1.400000") + _failed("<", 12, "1.402000")
    [f] = _findings(tmp_path, text)
    assert f.frames == [11, 12]
    assert f.detail.startswith(
        "The central sent Pairing Failed at #12 after the Pairing Failed (Unspecified Reason, "
        "0x08) it had received from the peripheral at #11: a Pairing Failed answering a "
        "Pairing Failed."
    )


def test_what_the_peer_sent_after_this_hosts_failure_may_have_crossed_it(
    tmp_path: Path,
) -> None:
    # this host (the central) refused; the peripheral's Pairing Failed may have been on its
    # way already: no claim
    text = REQUEST + _failed("<", 11, "1.400000") + _failed(">", 12, "1.401000")
    assert _findings(tmp_path, text) == []


def test_a_new_attempt_after_a_failure_is_fine(tmp_path: Path) -> None:
    again = REQUEST.replace("#10 [hci0] 1.000000", "#12 [hci0] 3.000000")
    assert _findings(tmp_path, REQUEST + _failed(">", 11, "1.400000") + again) == []
