"""Branches of the rules that no capture in the corpus reaches, on hand-built analyses:
Authentication Requirements (0x03) refused before any Pairing Response (smp_failures), ATT
refusals on encrypted and unencrypted links (att_security), phase-2 PDUs a text log shows
without their parameters and a response without its request (capture_quality), a stored key
refused and a MIC failure (links) — each with the case where the rule must not fire."""

from __future__ import annotations

from bpdiag.analysis.model import Analysis, Encryption, Pairing, Step
from bpdiag.decode import smp
from bpdiag.rules import run_rules
from bpdiag.rules.base import Finding
from tests.rules.analyses import _analysis, _att_error, _codes, _conn, _pairing

NO_MITM_BONDING = 0x01  # AuthReq: bonding, no MITM, no SC
MITM_LEGACY = 0x05  # bonding | MITM
MITM_SC = 0x0D  # bonding | MITM | SC


def _findings(a: Analysis, code: str) -> list[Finding]:
    return [f for f in run_rules(a) if f.code == code]


def _refused_request(auth: int, io: int = smp.IoCapability.KEYBOARD_DISPLAY) -> Pairing:
    """The peripheral answered the Pairing Request (frame 101) at once with 0x03 (frame 103)."""
    p = _pairing(1, 1, failure=(0x03, "responder"), auth=auth)
    assert p.request is not None
    p.request.io_capability = io
    p.request.io_capability_name = smp.io_capability_name(io)
    return p


def test_auth_requirements_before_a_response_without_mitm_is_the_peer_requiring_it() -> None:
    p = _refused_request(NO_MITM_BONDING)
    [f] = _findings(_analysis([_conn(1)], [p]), "peer-requires-mitm")
    assert (f.connection, f.pairing) == (1, 1) and f.frames == [101, 103]
    assert "#101" in f.detail and "#103" in f.detail and "MITM no" in f.detail
    assert "Secure Connections" in f.detail  # the request did not offer SC either
    # NoInputNoOutput cannot give MITM even when it asks for it: the same finding.
    nino = _refused_request(MITM_SC, io=smp.IoCapability.NO_INPUT_NO_OUTPUT)
    [g] = _findings(_analysis([_conn(1)], [nino]), "peer-requires-mitm")
    assert "NoInputNoOutput" in g.detail and "Secure Connections either" not in g.detail


def test_auth_requirements_before_a_response_to_a_legacy_request_is_sc_mismatch() -> None:
    p = _refused_request(MITM_LEGACY)
    [f] = _findings(_analysis([_conn(1)], [p]), "secure-connections-mismatch")
    assert f.frames == [101, 103] and "#101" in f.detail and "SC flag not set" in f.detail
    assert "peer-requires-mitm" not in _codes(_analysis([_conn(1)], [p]))


def test_auth_requirements_the_request_explains_not_is_only_pairing_failed() -> None:
    # MITM and SC offered with a keyboard and display: nothing in the fields explains 0x03.
    p = _refused_request(MITM_SC)
    codes = _codes(_analysis([_conn(1)], [p]))
    assert "pairing-failed" in codes
    assert not {"peer-requires-mitm", "secure-connections-mismatch", "mitm-unsatisfiable"} & set(
        codes
    )
    [f] = _findings(_analysis([_conn(1)], [p]), "pairing-failed")
    assert "0x03" in f.detail and "#103" in f.detail


def test_att_refusal_on_an_unencrypted_link_names_the_pairing_that_followed() -> None:
    err = _att_error(110, count=3, request_frame=109)
    later = _pairing(2, 1, response=True, success=True)  # moved after the refusal:
    later.first_frame, later.frames = 130, [130, 131]
    a = _analysis([_conn(1)], [later], att_errors=[err])
    [f] = _findings(a, "insufficient-authentication")
    assert f.frames == [109, 110, 112, 114, 130]  # request, refusals, the pairing after
    assert "0x002a" in f.detail and "#110 and 2 more times" in f.detail
    assert "unencrypted link" in f.detail and "Pairing 2 followed at #130" in f.detail


def test_att_refusal_on_a_link_encrypted_with_a_stored_key() -> None:
    err = _att_error(110, encrypted=True, request_frame=109)
    enc = Encryption(connection=1, frame=100, status=0, status_name="Success", after_pairing=False)
    [f] = run_rules(_analysis([_conn(1)], [], att_errors=[err], encryptions=[enc]))
    assert "stored key at #100" in f.detail and "more time" not in f.detail
    assert 100 in f.frames
    # No encryption record (a sniffer that joined an encrypted link), or one after SMP PDUs
    # the log cut to their header: which key is not in the capture, so no stored key is said.
    for encs in ([], [Encryption(1, 100, 0, "Success", False, smp_cut_before=True)]):
        [f] = run_rules(_analysis([_conn(1)], [], att_errors=[err], encryptions=encs))
        assert "stored key" not in f.detail and "encrypted link" in f.detail
    # An error code that says nothing about security is no finding.
    other = _att_error(110, encrypted=True, request_frame=109)
    other.error, other.error_name = 0x0A, "Attribute Not Found"
    assert run_rules(_analysis([_conn(1)], [], att_errors=[other])) == []


def _unread(frame: int, code: int) -> Step:
    msg = smp.UnreadCommand(code, original_length=65)
    return Step(frame, float(frame), "central", code, smp.command_name(code), msg)


def test_phase_2_shown_without_parameters_is_a_capture_gap() -> None:
    p = _pairing(1, 1, response=True)
    p.steps += [
        _unread(103, smp.CommandCode.PAIRING_PUBLIC_KEY),
        _unread(104, smp.CommandCode.PAIRING_PUBLIC_KEY),
        _unread(105, smp.CommandCode.PAIRING_DHKEY_CHECK),
    ]
    a = _analysis([_conn(1)], [p])
    a.capture.format = "hcidump-text"
    [f] = _findings(a, "capture-gap")
    assert f.frames == [103, 104, 105]
    assert "2 Pairing Public Key (#103, #104)" in f.detail and "hcidump" in f.detail
    assert "debug key" in f.detail and "DHKey check values" in f.detail
    assert "keypresses" not in f.detail
    # A log that cuts packets says so in truncated-snoop instead.
    p.cut_frames = [103]
    assert "capture-gap" not in _codes(a)


def test_a_response_without_its_request_is_a_capture_gap_unless_the_pairing_succeeded() -> None:
    p = _pairing(1, 1, request=False, response=True, failure=(0x05, "responder"))
    [f] = _findings(_analysis([_conn(1)], [p]), "capture-gap")
    assert f.frames == [102] and "#102" in f.detail and "not captured" in f.detail


def test_stored_key_refused_names_the_pairing_that_followed() -> None:
    refused = Encryption(connection=1, frame=120, status=0x06, status_name="PIN or Key Missing",
                         after_pairing=False)  # fmt: skip
    later = _pairing(2, 1, response=True, success=True)
    later.first_frame = 130
    [f] = _findings(_analysis([_conn(1)], [later], encryptions=[refused]), "bond-lost")
    assert f.frames == [120] and "A new pairing followed at #130" in f.detail
    # The same status right after pairing is the pairing's failure, not a lost bond.
    fresh = Encryption(connection=1, frame=120, status=0x06, status_name="PIN or Key Missing",
                       after_pairing=True)  # fmt: skip
    assert "bond-lost" not in _codes(_analysis([_conn(1)], [], encryptions=[fresh]))


def test_mic_failure_cites_the_last_encryption_and_the_disconnection() -> None:
    enc = Encryption(connection=1, frame=150, status=0, status_name="Success", after_pairing=False)
    c = _conn(1, disconnect_frame=160, disconnect_reason=0x3D,
              disconnect_reason_name="Connection Terminated due to MIC Failure")  # fmt: skip
    [f] = _findings(_analysis([c], [], encryptions=[enc]), "mic-failure")
    assert f.frames == [150, 160] and "#160" in f.detail and "0x3D" in f.detail
    c.disconnect_reason = 0x13  # Remote User Terminated Connection
    assert "mic-failure" not in _codes(_analysis([c], [], encryptions=[enc]))


def test_att_refusal_after_just_works_says_the_key_is_unauthenticated() -> None:
    paired = _pairing(1, 1, response=True, success=True)  # frames 101, 102; before the refusal
    paired.method = "just_works"
    err = _att_error(110, request_frame=109)
    [f] = _findings(
        _analysis([_conn(1)], [paired], att_errors=[err]), "insufficient-authentication"
    )
    assert "after pairing 1 succeeded with just works" in f.detail
    assert "unauthenticated key" in f.detail and f.frames == [102, 109, 110]
    # After Passkey Entry the key is authenticated: no such explanation.
    paired.method = "passkey_entry"
    [g] = _findings(
        _analysis([_conn(1)], [paired], att_errors=[err]), "insufficient-authentication"
    )
    assert "passkey entry" in g.detail and "unauthenticated key" not in g.detail
