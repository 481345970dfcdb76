"""Hostile and malformed text logs (issue 16): the btmon and hcidump text readers never raise;
a value that no record can carry is a Problem naming the line, and reading goes on.  The
fuzz tests mutate real btmon / hcidump printings of bpdiag's own captures."""

from __future__ import annotations

import io
import json
import re
import tempfile
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bpdiag.capture import open_capture
from bpdiag.capture.btmon_text import BtmonTextReader
from bpdiag.capture.record import Problem, Record
from bpdiag.cli import main
from tests.capture.paste_shapes import SHAPES
from tests.capture.test_fuzz_readers import check as check_reader

TEXTS = Path(__file__).resolve().parents[2] / "tests" / "data" / "text"

PAIRING_REQUEST = """\
< ACL Data TX: Handle {handle} flags 0x00 dlen 11                  #33 [hci0] {time}
      SMP: Pairing Request (0x01) len 6
        IO capability: KeyboardDisplay ({io})
        OOB data: Authentication data not present (0x00)
        Authentication requirement: Bonding, No MITM, SC, No Keypresses (0x09)
        Max encryption key size: 16
        Initiator key distribution: EncKey (0x01)
        Responder key distribution: EncKey (0x01)
> ACL Data RX: Handle 1 flags 0x02 dlen 6                          #34 [hci0] 12.2
      SMP: Pairing Failed (0x05) len 1
        Reason: Unspecified reason (0x08)
"""


def _read(text: str) -> tuple[list[Record], list[str]]:
    problems: list[Problem] = []
    recs = list(BtmonTextReader(io.StringIO(text), problems).records())
    return recs, [p.message for p in problems]


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"handle": "70000"}, "Handle 70000 is out of range (at most 4095)"),
        ({"io": "0x1ff"}, "IO capability 511 is out of range (at most 255)"),
        ({"handle": "9" * 3000}, "Handle: a number of 3000 digits"),
        ({"time": "9" * 3000 + ".0"}, "is out of range"),
    ],
)
def test_out_of_range_is_a_problem_and_reading_goes_on(
    fields: dict[str, str], problem: str
) -> None:
    values = {"handle": "1", "time": "12.1", "io": "0x04"} | fields
    recs, problems = _read(PAIRING_REQUEST.format(**values))
    assert any(problem in p for p in problems), problems
    assert len(recs) >= 1  # the Pairing Failed after it is still read


def test_leading_zeros_are_decimal() -> None:
    recs, problems = _read(PAIRING_REQUEST.format(handle="0064", time="12.1", io="0x04"))
    assert problems == []
    assert recs[0].payload[:2] == bytes([64, 0x20])  # handle 64, PB flag 2


# One field out of range per case, named by the field.
_OUT_OF_RANGE = {
    "status": (
        "> HCI Event: Encryption Change (0x08) plen 4     #9 [hci0] 1.0\n"
        "        Status: Success (0x1ff)\n        Handle: 1\n        Encryption: Enabled (0x01)\n"
    ),
    "reason": (
        "> HCI Event: Disconnect Complete (0x05) plen 4   #9 [hci0] 1.0\n"
        "        Status: Success (0x00)\n        Handle: 1\n        Reason: x (0x100)\n"
    ),
    "ediv": (
        "< ACL Data TX: Handle 1 flags 0x00 dlen 15       #9 [hci0] 1.0\n"
        "      SMP: Central Identification (0x07) len 10\n        EDIV: 0x10000\n"
        "        Rand: 0x0\n"
    ),
    "role": (
        "> HCI Event: LE Meta Event (0x3e) plen 19        #9 [hci0] 1.0\n"
        "      LE Connection Complete (0x01)\n        Status: Success (0x00)\n"
        "        Handle: 1\n        Role: Central (0x100)\n"
    ),
    "cookie": (
        "@ MGMT Command: Pair Device (0x0019) plen 8    {0x1ffffffff} [hci0] 1.0\n"
        "        LE Address: F0:0D:00:00:00:02 (Static)\n        Capability: x (0x04)\n"
    ),
    "io-capability": (
        "@ MGMT Command: Pair Device (0x0019) plen 8    {0x0001} [hci0] 1.0\n"
        "        LE Address: F0:0D:00:00:00:02 (Static)\n        Capability: x (0x400)\n"
    ),
    "short-confirm": (
        "< ACL Data TX: Handle 1 flags 0x00 dlen 21       #9 [hci0] 1.0\n"
        "      SMP: Pairing Confirm (0x03) len 16\n        Confirm value: 00112233\n"
    ),
    "frame-digits": (
        "> HCI Event: Encryption Change (0x08) plen 4     #" + "9" * 3000 + " [hci0] 1.0\n"
        "        Status: Success (0x00)\n        Handle: 1\n        Encryption: Enabled (0x01)\n"
    ),
    "index-digits": (
        "> HCI Event: Encryption Change (0x08) plen 4     #9 [hci" + "9" * 3000 + "] 1.0\n"
        "        Status: Success (0x00)\n        Handle: 1\n        Encryption: Enabled (0x01)\n"
    ),
}


@pytest.mark.parametrize("line", _OUT_OF_RANGE.values(), ids=_OUT_OF_RANGE.keys())
def test_each_field_out_of_range_is_a_problem(line: str) -> None:
    recs, problems = _read(line)
    assert problems, recs
    assert re.match(r"line 1\b", problems[0]), problems


def test_huge_time_gives_valid_json(tmp_path: Path) -> None:
    p = tmp_path / "t.txt"
    p.write_text(PAIRING_REQUEST.format(handle="1", time="9" * 400 + ".0", io="0x04"))
    for command in (["dump", "--json", str(p)], ["analyze", "--json", str(p)]):
        result = CliRunner().invoke(main, command)
        assert result.exception is None or isinstance(result.exception, SystemExit)
        lines = result.stdout.strip().split("\n") if command[0] == "dump" else [result.stdout]
        for line in lines:
            if line.startswith("problem:"):
                continue  # dump writes its problems as text lines (stderr under a terminal)
            json.loads(line, parse_constant=lambda c: pytest.fail(f"{c} in JSON"))


@pytest.mark.parametrize(
    "text",
    [
        " " * 65536,
        "< " + " " * 65534,
        "> HCI Event:" + " " * 65000 + "1.",
        "= bluetoothd:" + "\t" * 30000 + "x",
        ("> " * 30000) + "HCI Event: x",
        "< A" + " " * 100000 + "x\n" + PAIRING_REQUEST.format(handle="1", time="1.0", io="0x04"),
    ],
    ids=["spaces", "mark-spaces", "header-spaces", "tabs", "quotes", "long-line-then-record"],
)
def test_whitespace_runs_read_in_linear_time(text: str, tmp_path: Path) -> None:
    """The header is parsed token by token from the right and lines are cut at 4096
    characters: a 64 KB run of whitespace takes milliseconds (about a minute before)."""
    p = tmp_path / "ws.txt"
    p.write_text(text)
    start = time.perf_counter()
    try:
        with open_capture(p) as cap:
            recs = list(cap)
    except Exception as exc:  # only "unknown format" may stop it
        assert type(exc).__name__ == "UnreadableCapture"
        recs = []
    assert time.perf_counter() - start < 2.0
    if "Pairing Request" in text:
        assert len(recs) == 2


def _seeds() -> list[str]:
    """Stretches of real btmon and hcidump output around the SMP records."""
    out = []
    for path in sorted(TEXTS.glob("*.txt")):
        lines = path.read_text().split("\n")
        smp = [i for i, line in enumerate(lines) if "SMP:" in line]
        if smp:
            out.append("\n".join(lines[max(smp[0] - 30, 0) : smp[0] + 40]))
            out.append("\n".join(lines[smp[-1] - 20 : smp[-1] + 30]))
    return out


SEEDS = _seeds()
NUMBER = st.one_of(
    st.integers(0, 2**80).map(str),
    st.integers(0, 2**70).map(hex),
    st.integers(1, 6000).map(lambda n: "9" * n),
    st.integers(0, 99999).map(lambda n: f"{n:08d}"),
    st.sampled_from(["-1", "0x", "1e308", "nan", "inf", "1.5", "٣"]),
)
HOSTILE_LINES = st.sampled_from(
    [
        "[...]",
        "<snip>",
        "> ",
        ">> > HCI Event: Encryption Change (0x08) plen 4",
        "\x1b]52;c;aGk=\x07\x1b[2J",
        "#12 [hci0] 99999999999999999999.0",
        "        Handle: " + "0" * 50 + "1",
        "< ACL Data TX: Handle 1 flags 0x00 dlen 6",
        "      SMP: Unknown (0xff) len 0",
        "\t\t\t",
        "= bluetoothd[123]: ",
        "@ MGMT Event: Command Complete (0x0001) plen 3 {0x0001}",
        "    0000: zz 00 01",
        "2026-13-45 25:61:61.000000 > HCI Event: Encrypt Change (0x08) plen 4",
    ]
)
_DIR = tempfile.TemporaryDirectory(prefix="bpdiag-textfuzz-")
_HCI_OPCODES = frozenset({2, 3, 4, 5, 6, 7, 18, 19})  # monitor opcodes of HCI packets


def check(data: bytes) -> None:
    """Read ``data`` as a pasted log with every invariant of the readers
    (tests/capture/test_fuzz_readers.py), and the decoders and the analysis take what the
    reader gives without raising."""
    path = Path(_DIR.name) / "pasted.txt"
    path.write_bytes(data)
    check_reader(data, pipeline=True, path=path)


FUZZ = settings(
    max_examples=120, deadline=None, database=None, suppress_health_check=list(HealthCheck)
)


@pytest.mark.slow
@FUZZ
@given(
    st.sampled_from(range(len(SEEDS))),
    st.lists(st.tuples(st.integers(0, 10**6), NUMBER), max_size=6),
    st.lists(st.tuples(st.integers(0, 200), HOSTILE_LINES), max_size=3),
    st.sampled_from(["", *sorted(SHAPES)]),
    st.lists(st.tuples(st.integers(0, 10**6), st.characters()), max_size=3),
)
def test_fuzzed_real_text_never_raises(
    seed: int,
    numbers: list[tuple[int, str]],
    inserts: list[tuple[int, str]],
    shape: str,
    chars: list[tuple[int, str]],
) -> None:
    text = SEEDS[seed]
    spans = [m.span() for m in re.finditer(r"0x[0-9a-fA-F]+|\d+", text)]
    for pick, number in numbers:  # replace numbers, keeping the rest of the line
        if spans:
            a, b = spans[pick % len(spans)]
            text = text[:a] + number + text[b:]
            spans = [m.span() for m in re.finditer(r"0x[0-9a-fA-F]+|\d+", text)]
    lines = text.split("\n")
    for at, line in inserts:
        lines.insert(at % (len(lines) + 1), line)
    text = "\n".join(lines)
    for at, ch in chars:
        pos = at % (len(text) + 1)
        text = text[:pos] + ch + text[pos:]
    if shape:
        text = SHAPES[shape](text)
    check(text.encode("utf-8", "surrogatepass"))
