"""hcidump prints another memory area in place of Identity Address Information's address
(parser/smp.c): bpdiag must say the address is unknown, never show or learn one (issue 10,
class 2).  Texts: ``hcidump -X -V -r`` of our own sc_numeric_comparison_success.btsnoop."""

from __future__ import annotations

from pathlib import Path

from bpdiag.analysis.model import Analysis
from bpdiag.diagnose import diagnose_file
from bpdiag.report.smp_text import smp_summary
from bpdiag.report.text import render_text

TEXT = (
    Path(__file__).resolve().parents[2]
    / "tests/data/text/sc_numeric_comparison_success.hcidump.txt"
)


def _identity_steps(a: Analysis) -> list[str]:
    return [smp_summary(s.msg) for p in a.pairings for s in p.steps if s.code == 0x09]


def test_the_ladder_says_the_address_is_unknown() -> None:
    a = diagnose_file(TEXT)
    steps = _identity_steps(a)
    assert len(steps) == 2
    for summary in steps:
        assert "unknown" in summary and "00:00:00:00:00:00" not in summary
    assert any("identity address cannot be known" in p.message for p in a.problems)
    assert "00:00:00:00:00:00" not in render_text(a)


def test_an_excerpt_without_the_connection_learns_no_address(tmp_path: Path) -> None:
    # from the first SMP PDU on: no LE Connection Complete, so only the Identity Address
    # Information could name the peer — and hcidump's text does not carry it
    lines = TEXT.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if "SMP: Pairing Request" in line) - 1
    cut = tmp_path / "excerpt.txt"
    cut.write_text("\n".join(lines[start:]) + "\n")
    a = diagnose_file(cut)
    [c] = a.connections
    assert c.peripheral.address is None and c.central.address is None
    assert len(_identity_steps(a)) == 2


def test_a_real_address_is_shown() -> None:
    # only the all-zero placeholder is hidden
    from bpdiag.decode import smp

    real = smp.IdentityAddressInformation(0, bytes.fromhex("f072468d8955"))
    assert "55:89:8D:46:72:F0" in smp_summary(real)
    zero = smp.IdentityAddressInformation(0, bytes(6))
    assert "unknown" in smp_summary(zero)
