"""When the legacy Passkey Entry passkeys are searched (``--passkey-search``, docs/cli.md):
only where the answer matters — a pairing that failed, a link to decrypt, the user asking —
and at most a budget of searches per analysis; a pairing not searched says so."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bpdiag.analysis.model import Pairing
from bpdiag.analysis.run import analyze_file
from bpdiag.crypto import link_keys
from bpdiag.crypto.keyring import Keyring
from bpdiag.rules.evidence import check_detail
from tests.conftest import OWN, SHARED

SUCCESS = OWN / "legacy_passkey_success.btsnoop"  # HCI, passkey 123456, pairing succeeds
WRONG = OWN / "legacy_passkey_wrong.btsnoop"  # HCI, the initiator entered 654321: fails
CRACKLE = SHARED / "ubertooth_ppi_legacy_passkey_crackle.pcap"  # air, 461140, LL_ENC follows


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    """Each test starts with no search done in this process (the cache would hide one)."""
    saved = link_keys._SEARCHED.copy()
    link_keys._SEARCHED.clear()
    yield
    link_keys._SEARCHED.clear()
    link_keys._SEARCHED.update(saved)


def _pairing(path: Path, keys: Keyring) -> Pairing:
    [p] = analyze_file(path, keys=keys).pairings
    return p


def _checks(p: Pairing) -> dict[str, str]:
    return {c.check: c.result for c in p.checks}


def test_successful_hci_pairing_is_not_searched_and_says_why() -> None:
    keys = Keyring()
    p = _pairing(SUCCESS, keys)
    assert p.outcome == "success"
    [check] = p.checks
    assert (check.check, check.result) == ("passkey_search", "not_checked")
    assert "not searched" in check_detail(check) and "succeeded" in check_detail(check)
    assert keys.passkey_search.spent == 0 and not link_keys._SEARCHED


@pytest.mark.parametrize("how", ["show_keys", "always"])
def test_successful_pairing_is_searched_when_asked(how: str) -> None:
    keys = Keyring(show_keys=how == "show_keys")
    if how == "always":
        keys.passkey_search.mode = "always"
    p = _pairing(SUCCESS, keys)
    assert _checks(p) == {
        "initiator_passkey": "match",
        "responder_passkey": "match",
        "passkey_agreement": "match",
    }
    assert {c.secret for c in p.checks if c.check.endswith("_passkey")} == {"123456"}
    assert keys.passkey_search.spent == 1  # both sides in one pass


def test_failed_pairing_is_searched_and_names_the_passkey_entered() -> None:
    keys = Keyring()
    p = _pairing(WRONG, keys)
    assert p.outcome == "failed" and _checks(p) == {"initiator_passkey": "match"}
    assert "the initiator used passkey 654321" in check_detail(p.checks[0])
    assert keys.passkey_search.spent == 1


@pytest.mark.parametrize("mode", ["never", "budget"])
def test_failed_pairing_beyond_the_budget_is_not_searched(mode: str) -> None:
    keys = Keyring()
    if mode == "never":
        keys.passkey_search.mode = "never"
    else:
        keys.passkey_search.budget = 0
    p = _pairing(WRONG, keys)
    [check] = p.checks
    assert (check.check, check.result) == ("passkey_search", "not_checked")
    assert ("never" if mode == "never" else "budget of 0 passkey searches") in check_detail(check)
    assert not link_keys._SEARCHED


def test_the_budget_is_per_analysis_and_a_repeat_is_free() -> None:
    keys = Keyring()
    keys.passkey_search.budget = 1
    assert _checks(_pairing(WRONG, keys)) == {"initiator_passkey": "match"}
    # A second analysis with the same keyring: its own budget (and the search is cached).
    assert _checks(_pairing(WRONG, keys)) == {"initiator_passkey": "match"}
    assert keys.passkey_search.spent == 0


@pytest.mark.skipif(not CRACKLE.exists(), reason="../shared/captures is not beside the project")
def test_air_capture_searches_to_decrypt_and_the_check_uses_it() -> None:
    """crackle's capture: a successful pairing whose encrypted link needs the STK, so the
    passkey is searched (once) for decryption, and the checks report what it found."""
    keys = Keyring()
    a = analyze_file(CRACKLE, keys=keys)
    [p] = a.pairings
    assert p.outcome == "success"
    assert _checks(p)["initiator_passkey"] == _checks(p)["responder_passkey"] == "match"
    assert {c.secret for c in p.checks if c.secret} == {"461140"}
    assert keys.passkey_search.spent == 1
    assert a.decryption is not None and a.decryption.decrypted > 0


@pytest.mark.skipif(not CRACKLE.exists(), reason="../shared/captures is not beside the project")
def test_never_leaves_the_air_link_encrypted() -> None:
    keys = Keyring()
    keys.passkey_search.mode = "never"
    a = analyze_file(CRACKLE, keys=keys)
    [p] = a.pairings
    assert _checks(p) == {"passkey_search": "not_checked"}
    assert a.decryption is None or a.decryption.decrypted == 0


def test_a_search_done_before_in_the_process_does_not_change_the_output() -> None:
    """--show-keys searched this capture earlier in the process (the cache holds it): an
    analysis that would not search still says so, as it would in a fresh process."""
    _pairing(SUCCESS, Keyring(show_keys=True))
    assert link_keys._SEARCHED
    assert _checks(_pairing(SUCCESS, Keyring())) == {"passkey_search": "not_checked"}
