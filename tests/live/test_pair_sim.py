"""End-to-end live pairing against simulated peripherals (Bumble's SMP stack on a virtual
link): the attempt is recorded, analysed, and the findings name the cause.  No hardware."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from bpdiag.cli import main

pytest.importorskip("bumble")


def pair(tmp_path: Path, *args: str) -> tuple[int, dict]:
    cap = tmp_path / "attempt.btsnoop"
    r = CliRunner().invoke(main, ["pair", "sim", "--capture", str(cap), "--json", *args])
    assert r.exit_code in (0, 1), r.output
    return r.exit_code, json.loads(r.output)


def codes(doc: dict) -> list[str]:
    return [f["code"] for f in doc["findings"]]


def test_omron_not_in_pairing_mode(tmp_path: Path) -> None:
    rc, doc = pair(tmp_path, "--sim", "omron-bpm:pairing-mode=off")
    assert rc == 1
    assert codes(doc) == ["pairing-mode-inactive"]
    [p] = doc["pairings"]
    assert p["security_request"]["bonding"] and not p["security_request"]["mitm"]
    assert p["failure"]["reason"] == 0x08 and p["failure"]["sent_by"] == "responder"


def test_omron_in_pairing_mode_pairs(tmp_path: Path) -> None:
    rc, doc = pair(tmp_path, "--sim", "omron-bpm:pairing-mode=on")
    assert rc == 0
    [p] = doc["pairings"]
    assert (p["outcome"], p["method"], p["secure_connections"]) == ("success", "just_works", False)
    assert not [f for f in doc["findings"] if f["severity"] == "error"]


def test_mitm_against_a_no_input_no_output_peer(tmp_path: Path) -> None:
    rc, doc = pair(tmp_path, "--sim", "omron-bpm", "--mitm", "--io", "KeyboardDisplay")
    assert rc == 1 and codes(doc) == ["mitm-unsatisfiable"]
    assert doc["suggestions"][0]["mitm"] is False


@pytest.mark.parametrize(
    ("reason", "code"),
    [
        ("0x05", "pairing-not-supported"),
        ("0x08", "pairing-mode-inactive"),
        ("0x0a", "invalid-parameters"),
        ("0x09", "repeated-attempts"),
    ],
)
def test_refusals(tmp_path: Path, reason: str, code: str) -> None:
    rc, doc = pair(tmp_path, "--sim", f"generic:refuse={reason}")
    assert rc == 1 and codes(doc) == [code]


def test_peer_requires_mitm(tmp_path: Path) -> None:
    rc, doc = pair(tmp_path, "--sim", "generic:mitm=on,io=DisplayOnly", "--io", "NoInputNoOutput")
    assert rc == 1 and codes(doc) == ["peer-requires-mitm"]
    assert doc["suggestions"][0]["io_capability"] != "NoInputNoOutput"


def test_passkey_right_and_wrong(tmp_path: Path) -> None:
    sim = "generic:io=DisplayOnly,mitm=on,passkey=123456"
    rc, doc = pair(tmp_path, "--sim", sim, "--io", "KeyboardOnly", "--mitm", "--passkey", "123456")
    assert rc == 0 and doc["pairings"][0]["method"] == "passkey_entry"
    rc, doc = pair(tmp_path, "--sim", sim, "--io", "KeyboardOnly", "--mitm", "--passkey", "999999")
    assert rc == 1 and codes(doc) == ["confirm-value-failed"]


def test_lost_bond(tmp_path: Path) -> None:
    rc, doc = pair(tmp_path, "--sim", "generic:forget-bond=on")
    assert rc == 1 and codes(doc) == ["bond-lost"]
    assert [(e["status"], e["after_pairing"]) for e in doc["encryptions"]] == [
        (0, True),
        (6, False),
    ]


def test_compare_explains_the_difference(tmp_path: Path) -> None:
    off = tmp_path / "off.btsnoop"
    on = tmp_path / "on.btsnoop"
    runner = CliRunner()
    runner.invoke(main, ["pair", "x", "--sim", "omron-bpm:pairing-mode=off", "--capture", str(off)])
    runner.invoke(main, ["pair", "x", "--sim", "omron-bpm:pairing-mode=on", "--capture", str(on)])
    r = runner.invoke(main, ["compare", str(off), str(on), "--json"])
    result = json.loads(r.output)
    [p] = result["pairings"]
    assert p["outcome_differs"] and "peer's state" in p["explained_by"][0]
    mitm = tmp_path / "mitm.btsnoop"
    runner.invoke(main, ["pair", "x", "--sim", "omron-bpm", "--mitm", "--capture", str(mitm)])
    result = json.loads(runner.invoke(main, ["compare", str(mitm), str(on), "--json"]).output)
    assert result["pairings"][0]["explained_by"] == ["initiator mitm"]


@pytest.mark.parametrize(
    "args",
    [
        ["--sim", "nope"],
        ["--sim", "generic:bogus=1"],
        ["--sim", "omron-bpm", "--io", "Telepathy"],
        ["--sim", "omron-bpm", "--key-size", "3"],
        [],
    ],
)
def test_usage_errors_exit_2(tmp_path: Path, args: list[str]) -> None:
    r = CliRunner().invoke(main, ["pair", "x", "--capture", str(tmp_path / "c"), *args])
    assert r.exit_code == 2


def _entry(keystore: Path) -> dict:
    """The central's stored key set for the simulated peripheral (Bumble's JSON key store)."""
    [namespace] = json.loads(keystore.read_text()).values()
    [(_name, keys)] = [(n, k) for n, k in namespace.items() if n.startswith("F0:0D:00:00:00:02")]
    return keys


def test_a_stored_bond_is_kept_saved_and_restorable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BPDIAG_STATE_DIR", str(tmp_path / "state"))
    store = tmp_path / "keys.json"
    base = ["pair", "sim", "--sim", "omron-bpm:pairing-mode=on", "--keystore", str(store)]
    runner = CliRunner()
    cap = ["--capture", str(tmp_path / "a.btsnoop")]

    r = runner.invoke(main, [*base, *cap])
    assert r.exit_code == 0, r.output
    first = _entry(store)
    assert first["ltk_peripheral"]["value"]

    # Pairing again would replace the bond: refused, and the store is untouched.
    r = runner.invoke(main, [*base, *cap])
    assert r.exit_code == 2
    assert "pairing again would replace it" in r.stderr and "--forget-bond" in r.stderr
    assert _entry(store) == first
    assert not (tmp_path / "state").exists()

    # --forget-bond: saved first (owner-only), then removed, then a new pairing.
    r = runner.invoke(main, [*base, *cap, "--forget-bond", "--json"])
    assert r.exit_code == 0, r.output
    bond = json.loads(r.stdout)["attempt"]["bond"]
    backup = Path(bond["backup"])
    saved = json.loads((backup / "bond.json").read_text())
    assert list(saved["entries"].values()) == [first] and saved["keystore"] == str(store)
    assert (backup / "bond.json").stat().st_mode & 0o077 == 0
    assert f"saved to {backup}" in r.stderr
    second = _entry(store)
    assert second["ltk_peripheral"]["value"] != first["ltk_peripheral"]["value"]

    # ... and the old bond can be put back.
    r = runner.invoke(main, ["restore-bond", str(backup)])
    assert r.exit_code == 0, r.output
    assert _entry(store) == first


def test_forget_bond_without_a_bond_says_so(tmp_path: Path) -> None:
    r = CliRunner().invoke(
        main,
        [
            "pair",
            "sim",
            "--sim",
            "omron-bpm:pairing-mode=on",
            "--forget-bond",
            "--capture",
            str(tmp_path / "a.btsnoop"),
        ],
    )
    assert r.exit_code == 0, r.output
    assert "nothing to forget" in r.stderr


def test_json_with_compare_is_one_document(tmp_path: Path) -> None:
    off = tmp_path / "off.btsnoop"
    CliRunner().invoke(
        main, ["pair", "sim", "--sim", "omron-bpm:pairing-mode=off", "--capture", str(off)]
    )
    rc, doc = pair(tmp_path, "--sim", "omron-bpm:pairing-mode=on", "--compare", str(off))
    assert rc == 0
    assert doc["schema"] == "bpdiag.analysis/1"
    assert doc["comparison"]["schema"] == "bpdiag.compare/1"
    assert doc["comparison"]["pairings"][0]["outcome_differs"]
    assert doc["attempt"]["via"] == "bumble" and doc["attempt"]["params"]["sc"] is True


def test_key_distribution_is_asked_as_given(tmp_path: Path) -> None:
    rc, doc = pair(tmp_path, "--sim", "generic", "--init-keys", "none", "--resp-keys", "enc,sign")
    assert rc == 0
    [p] = doc["pairings"]
    assert (p["request"]["initiator_keys"], p["request"]["responder_keys"]) == (
        [],
        ["EncKey", "SignKey"],
    )
    assert p["response"]["responder_keys"] == ["EncKey"]  # what the peer agrees to give
    assert doc["attempt"]["params"]["responder_keys"] == "EncKey,SignKey"


def test_unknown_key_name_is_a_usage_error(tmp_path: Path) -> None:
    r = CliRunner().invoke(main, ["pair", "sim", "--sim", "generic", "--init-keys", "EncKey,Foo"])
    assert r.exit_code == 2 and "unknown key 'foo'" in r.stderr


def test_a_backend_outside_backend_kind_is_a_usage_error() -> None:
    from bpdiag.live.attempt import AttemptSpec, make_backend
    from bpdiag.live.base import BackendKind, LiveError, Reason

    assert AttemptSpec(target="sim").backend is BackendKind.BUMBLE
    with pytest.raises(LiveError, match=r"^unknown backend 'nrf': bumble or bluez$") as info:
        make_backend(AttemptSpec(target="sim", backend="nrf"))  # type: ignore[arg-type]
    assert info.value.reason is Reason.USAGE
