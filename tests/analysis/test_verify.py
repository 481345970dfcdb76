"""The spec checks bpdiag redoes from public values, against Bumble's real SMP stack: the
number Bumble asks its users to compare, the passkey bits each side commits to, and confirm
values a faulty stack gets wrong (a test-only Session subclass corrupts what it sends)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path

import pytest

pytest.importorskip("bumble")

from bumble import smp as bsmp
from hypothesis import given, settings
from hypothesis import strategies as st

from bpdiag.analysis.model import CheckResult, Connection, Endpoint, NotSearched, Pairing, Step
from bpdiag.analysis.verify import verify
from bpdiag.crypto.keyring import Keyring, PasskeySearch, SearchMode
from bpdiag.decode.smp import parse_smp
from bpdiag.diagnose import diagnose_file
from bpdiag.errors import BpdiagError
from bpdiag.live.sim import FixedDelegate, Side, SimLink, pair
from bpdiag.report.json_objects import check_json
from bpdiag.rules.evidence import check_detail

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


class CorruptConfirmSession(bsmp.Session):
    """A responder whose Pairing Confirm is not what the spec's function gives."""

    def send_command(self, command: bsmp.SMP_Command) -> None:
        if isinstance(command, bsmp.SMP_Pairing_Confirm_Command) and not self.is_initiator:
            command = bsmp.SMP_Pairing_Confirm_Command(
                confirm_value=bytes([command.confirm_value[0] ^ 0x01]) + command.confirm_value[1:]
            )
        super().send_command(command)


async def _record(
    path: Path, central: Side, peripheral: Side, setup: Callable[[SimLink], None] = lambda s: None
) -> str:
    """One pairing between Bumble's central and peripheral, recorded to ``path``; its
    outcome."""
    sim = await SimLink.create(path, central, peripheral)
    setup(sim)
    try:
        c, _ = await sim.connect()
        result = await pair(c)
        await sim.disconnect()
        return result
    finally:
        sim.close()


def _pairing(
    path: Path, central: Side, peripheral: Side, keys: Keyring | None = None
) -> tuple[str, Pairing]:
    result = asyncio.run(_record(path, central, peripheral))
    [p] = diagnose_file(path, keys=keys).pairings
    return result, p


def _checks(p: Pairing) -> dict[str, str]:
    return {c.check: c.result for c in p.checks}


def test_numeric_comparison_value_is_the_one_bumble_shows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown: list[int] = []

    async def compare(self: FixedDelegate, number: int, digits: int) -> bool:
        shown.append(number)
        return True

    monkeypatch.setattr(FixedDelegate, "compare_numbers", compare)
    yes_no = Side(io="DisplayYesNo", mitm=True)
    result, p = _pairing(tmp_path / "nc.btsnoop", yes_no, yes_no)
    assert result == "success" and p.method == "numeric_comparison"
    assert shown and set(shown) == {p.numeric_value}
    assert _checks(p) == {"responder_confirm": "match"}


def test_sc_passkey_right_and_wrong(tmp_path: Path) -> None:
    display = Side(io="DisplayOnly", mitm=True, shown=123456)
    result, p = _pairing(
        tmp_path / "ok.btsnoop", Side(io="KeyboardOnly", mitm=True, passkey=123456), display
    )
    assert result == "success" and p.secure_connections and p.method == "passkey_entry"
    assert _checks(p) == {"passkey_agreement": "match"}
    assert "all 20" in check_detail(p.checks[0])
    assert (p.checks[0].fact, p.checks[0].rounds, p.checks[0].unchecked) == (
        "sc_passkey_bits",
        20,
        0,
    )

    # 123456 ^ 123457 == 1: the responder refuses the very first round.
    result, p = _pairing(
        tmp_path / "first.btsnoop", Side(io="KeyboardOnly", mitm=True, passkey=123457), display
    )
    assert _checks(p) == {"passkey_agreement": "mismatch"}
    assert "round 1 of 20" in check_detail(p.checks[0])
    assert "differ in bit 0" in check_detail(p.checks[0])
    assert p.checks[0].round == 1 and p.checks[0].spec == "2.3.5.6.3"

    # 123456 ^ 123464 == 8: the passkeys agree on bits 0-2 and differ in bit 3.
    result, p = _pairing(
        tmp_path / "wrong.btsnoop", Side(io="KeyboardOnly", mitm=True, passkey=123464), display
    )
    assert result != "success" and p.failure is not None and p.failure.reason == 0x04
    assert _checks(p) == {"passkey_agreement": "mismatch"}
    assert "round 4 of 20" in check_detail(p.checks[0])
    assert "differ in bit 3" in check_detail(p.checks[0])
    assert p.checks[0].round == 4


def test_sc_just_works_corrupt_responder_confirm(tmp_path: Path) -> None:
    _result, p = _pairing(tmp_path / "cb.btsnoop", Side(), Side(session=CorruptConfirmSession))
    assert p.failure is not None and p.failure.reason == 0x04 and p.failure.sent_by == "initiator"
    assert _checks(p) == {"responder_confirm": "mismatch"}
    codes = [f.code for f in diagnose_file(tmp_path / "cb.btsnoop").findings]
    assert "confirm-value-failed" in codes


def test_legacy_just_works_confirms(tmp_path: Path) -> None:
    legacy = Side(sc=False)
    result, p = _pairing(tmp_path / "ok.btsnoop", legacy, legacy)
    assert result == "success" and p.secure_connections is False
    assert _checks(p) == {"initiator_confirm": "match", "responder_confirm": "match"}

    result, p = _pairing(
        tmp_path / "bad.btsnoop", legacy, Side(sc=False, session=CorruptConfirmSession)
    )
    assert p.failure is not None and p.failure.reason == 0x04
    assert _checks(p) == {"initiator_confirm": "match", "responder_confirm": "mismatch"}


def test_legacy_passkey_found_and_kept_secret(tmp_path: Path) -> None:
    """The legacy TK is the passkey (Vol 3, Part H, 2.3.5.3): bpdiag finds it from each
    side's confirm (a successful pairing's with --show-keys: tests/analysis/
    test_passkey_search.py); for a successful pairing it is a secret (Check.secret), never
    in the detail or the JSON."""
    _result, p = _pairing(
        tmp_path / "pk.btsnoop",
        Side(io="KeyboardOnly", mitm=True, sc=False, passkey=111111),
        Side(io="DisplayOnly", mitm=True, sc=False, shown=111111),
        Keyring(show_keys=True),
    )
    assert p.method == "passkey_entry" and p.outcome == "success"
    assert _checks(p) == {
        "initiator_passkey": "match",
        "responder_passkey": "match",
        "passkey_agreement": "match",
    }
    secrets = {c.check: c.secret for c in p.checks}
    assert secrets["initiator_passkey"] == secrets["responder_passkey"] == "111111"
    assert not any("111111" in check_detail(c) for c in p.checks)
    assert "111111" not in json.dumps([check_json(c) for c in p.checks])


def test_legacy_passkey_mistyped_names_the_entered_passkey(tmp_path: Path) -> None:
    """A failed legacy Passkey Entry: the initiator's passkey comes from its confirm and is
    stated (it protects nothing); the responder's cannot be known (no Srand was sent)."""
    _result, p = _pairing(
        tmp_path / "pkbad.btsnoop",
        Side(io="KeyboardOnly", mitm=True, sc=False, passkey=123465),
        Side(io="DisplayOnly", mitm=True, sc=False, shown=123456),
    )
    assert p.failure is not None and p.failure.reason == 0x04
    [check] = [c for c in p.checks if c.check == "initiator_passkey"]
    assert check.result == "match" and check.secret is None
    assert "passkey 123465" in check_detail(check) and "cannot be known" in check_detail(check)


class TrustingSession(bsmp.Session):
    """An initiator that does not check the confirm values it receives (a security bug)."""

    def check_expected_value(self, expected: bytes, received: bytes, error: bsmp.ErrorCode) -> bool:
        if error == bsmp.ErrorCode.CONFIRM_VALUE_FAILED:
            return True
        return super().check_expected_value(expected, received, error)


@pytest.mark.parametrize("sc", [True, False], ids=["sc", "legacy"])
def test_a_peer_that_does_not_check_confirms_is_reported(tmp_path: Path, sc: bool) -> None:
    path = tmp_path / "trusting.btsnoop"
    result, p = _pairing(
        path, Side(sc=sc, session=TrustingSession), Side(sc=sc, session=CorruptConfirmSession)
    )
    assert result == "success" and p.outcome == "success"
    assert _checks(p)["responder_confirm"] == "mismatch"
    [f] = [f for f in diagnose_file(path).findings if f.code == "commitment-not-checked"]
    assert "the pairing succeeded" in f.detail and p.checks[-1].frame in f.frames


def test_real_captures_verify() -> None:
    """Every pairing in the public captures (other stacks: Nordic, Zephyr, Android, Linux …)
    whose values can be checked does check out — confirms, passkey bits — even with a round
    a sniffer missed."""
    from tests.conftest import shared_captures

    checked = debugged = 0
    for path in shared_captures():
        try:
            analysis = diagnose_file(path)
        except BpdiagError:  # unreadable files are the readers' tests' business
            continue
        for p in analysis.pairings:
            commitments = [c for c in p.checks if not c.check.endswith("_debug_key")]
            assert all(c.result == "match" for c in commitments), (path.name, p.checks)
            checked += len(commitments)
            # Some of bsniffhub's samples were made with the spec's debug key (LESC
            # decryption by a sniffer needs one side in debug mode); nothing else uses it.
            debug = [c.check for c in p.checks if c.check.endswith("_debug_key")]
            assert not debug or "bsniffhub" in path.name, (path.name, debug)
            debugged += bool(debug)
    if not shared_captures():
        pytest.skip("../shared/captures is not beside the project")
    assert checked >= 15 and debugged >= 1


# --------------------------------------------------------------------------- fuzzing

_PDU = st.one_of(
    st.binary(min_size=7, max_size=7).map(lambda b: b"\x01" + b[1:]),  # Pairing Request
    st.binary(min_size=7, max_size=7).map(lambda b: b"\x02" + b[1:]),  # Pairing Response
    st.binary(min_size=16, max_size=16).map(lambda b: b"\x03" + b),  # Confirm
    st.binary(min_size=16, max_size=16).map(lambda b: b"\x04" + b),  # Random
    st.binary(min_size=64, max_size=64).map(lambda b: b"\x0c" + b),  # Public Key
)


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(
    pdus=st.lists(st.tuples(_PDU, st.sampled_from(["central", "peripheral", "unknown"]))),
    sc=st.sampled_from([True, False, None]),
    method=st.sampled_from(["just_works", "numeric_comparison", "passkey_entry", "oob", None]),
    kinds=st.tuples(
        st.sampled_from(["public", "random", "public-identity", None]),
        st.sampled_from(["public", "random", "AA:BB", None]),
    ),
)
def test_verify_never_raises(
    pdus: list[tuple[bytes, str]], sc: bool | None, method: str | None, kinds: tuple
) -> None:
    p = Pairing(id=1, connection=1, first_frame=1)
    p.secure_connections, p.method = sc, method
    for i, (raw, sender) in enumerate(pdus, start=1):
        msg = parse_smp(raw)
        p.steps.append(Step(i, 0.0, sender, raw[0], msg.name, msg))
        p.confirms += raw[0] == 0x03
        p.randoms += raw[0] == 0x04
    conn = Connection(id=1, link=("ll", 1), transport="le", first_frame=1, last_frame=1)
    conn.central = Endpoint("11:22:33:44:55:66", kinds[0])
    conn.peripheral = Endpoint(kinds[1] if kinds[1] == "AA:BB" else "66:55:44:33:22:11", kinds[1])
    # No passkey search (a million c1s, about a second, for each legacy Passkey Entry
    # example: most of the suite's variance): the search has tests of its own; here it is
    # what verify does around it that must not raise
    verify(p, conn, Keyring(passkey_search=PasskeySearch(SearchMode.NEVER)))
    assert all(
        c.result in (CheckResult.MATCH, CheckResult.MISMATCH)
        or (c.result == CheckResult.NOT_CHECKED and c.reason == NotSearched.NEVER)
        for c in p.checks
    )


def test_debug_key_is_reported(tmp_path: Path) -> None:
    """Bumble's own SMP debug mode (the spec's debug key pair) on the central."""

    def debug_mode(sim: SimLink) -> None:
        sim.central.smp_manager.debug_mode = True

    path = tmp_path / "debug.btsnoop"
    assert asyncio.run(_record(path, Side(), Side(), debug_mode)) == "success"
    analysis = diagnose_file(path)
    [p] = analysis.pairings
    assert _checks(p) == {"initiator_debug_key": "mismatch", "responder_confirm": "match"}
    [f] = [f for f in analysis.findings if f.code == "debug-key"]
    assert f.severity == "warning" and f.frames == [p.checks[0].frame]


class OffCurveKeySession(bsmp.Session):
    """A responder whose public key is not on P-256 (a broken or attacking ECC stack)."""

    def send_command(self, command: bsmp.SMP_Command) -> None:
        if isinstance(command, bsmp.SMP_Pairing_Public_Key_Command) and not self.is_initiator:
            command = bsmp.SMP_Pairing_Public_Key_Command(
                public_key_x=command.public_key_x,
                public_key_y=bytes([command.public_key_y[0] ^ 0x01]) + command.public_key_y[1:],
            )
        super().send_command(command)


def test_off_curve_public_key_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "offcurve.btsnoop"
    result = asyncio.run(_record(path, Side(), Side(session=OffCurveKeySession)))
    assert result != "success"
    analysis = diagnose_file(path)
    p = analysis.pairings[0]  # Bumble refuses the key (0x08), then runs on a little
    assert p.failure is not None and p.failure.sent_by == "initiator"
    assert _checks(p) == {"responder_public_key": "mismatch"}
    [f] = [f for f in analysis.findings if f.code == "invalid-public-key"]
    assert f.pairing == p.id
