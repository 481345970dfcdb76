"""The words of each kind of spec check (bpdiag.rules.evidence.check_detail), from the facts
the analysis gives; the texts are the ones the reports have always printed (the goldens
cover the kinds real captures show; these cover the rest)."""

from __future__ import annotations

import pytest

from bpdiag.analysis.model import Check, CheckKind
from bpdiag.rules.evidence import check_detail

K = CheckKind
CASES = [
    (
        Check("responder_public_key", 9, "mismatch", kind=K.OFF_CURVE, spec="2.3.5.6.1",
              side="responder"),
        "the responder's Pairing Public Key #9 is not a point on the P-256 curve: the peer must "
        "refuse it (the invalid-curve attack, CVE-2018-5383), and no DHKey both sides agree on "
        "can come from it",
    ),
    (
        Check("initiator_debug_key", 7, "mismatch", kind=K.DEBUG_KEY, spec="2.3.5.6.1",
              side="initiator"),
        "the initiator's Pairing Public Key #7 is the SMP debug key of the spec (Vol 3, Part H, "
        "2.3.5.6.1): its private key is public, so anyone who recorded this pairing can compute "
        "the DHKey and the LTK",
    ),
    (
        Check("responder_confirm", 12, "mismatch", kind=K.SC_CONFIRM, spec="2.3.5.6.2",
              side="responder", inputs=(14,)),
        "the responder's Pairing Confirm #12 does not equal f4(PKb, PKa, Nb, 0) computed from its "
        "public key and its nonce #14",
    ),
    (
        Check("initiator_passkey_commitment", 30, "mismatch", kind=K.SC_PASSKEY_COMMITMENT,
              spec="2.3.5.6.3", side="initiator", round=3),
        "the initiator's confirm in round 3 matches neither passkey bit: it did not compute "
        "f4(PKx, PKy, N, 0x80|bit) as the spec defines (a stack bug, not a typing error)",
    ),
    (
        Check("passkey_agreement", 40, "mismatch", kind=K.SC_PASSKEY_REFUSED, spec="2.3.5.6.3",
              side="responder", round=5),
        "in round 5 of 20 the responder refused the initiator's commitment after 4 round(s): "
        "the two passkeys differ in bit 4 (bit 0 is the lowest) — the passkey typed was not the "
        "one displayed",
    ),
    (
        Check("passkey_agreement", 90, "match", kind=K.SC_PASSKEY_BITS, spec="2.3.5.6.3",
              rounds=17, unchecked=3),
        "the 17 round(s) that can be checked reveal the same bits on both sides: both used the "
        "same passkey (3 round(s) the capture missed could not be checked)",
    ),
    (
        Check("initiator_confirm", 20, "mismatch", kind=K.LEGACY_JW_CONFIRM, spec="2.3.5.5",
              side="initiator"),
        "the initiator's Mconfirm #20 does not equal c1 with TK = 0, while the other side's "
        "confirm does with the same addresses and Pairing Request/Response: the initiator "
        "computed it from other inputs (a stack bug, e.g. a wrong address or address type, or a "
        "TK that is not zero)",
    ),
    (
        Check("responder_passkey", 21, "match", kind=K.LEGACY_PASSKEY, spec="2.3.5.3",
              side="responder", secret="000042"),
        "the responder's Sconfirm #21 equals c1 with the TK of a passkey found by trying all "
        "10^6 (legacy Passkey Entry: the TK is the passkey, Vol 3, Part H, 2.3.5.3): the passkey "
        "is this bond's secret (--show-keys shows it)",
    ),
    (
        Check("passkey_agreement", 22, "mismatch", kind=K.LEGACY_PASSKEYS, spec="2.3.5.3",
              expected=123456, got=123999),
        "the initiator used passkey 123456, the responder 123999: they differ in the 4th and "
        "5th and 6th digits",
    ),
    (
        Check("initiator_confirm", 23, "match", kind=K.LEGACY_OOB_CONFIRM, spec="2.3.5.4",
              side="initiator"),
        "the initiator's Mconfirm #23 equals c1 with the TK given with --tk (legacy OOB, Vol 3, "
        "Part H, 2.3.5.4)",
    ),
    (
        Check("responder_confirm", 24, "mismatch", kind=K.LEGACY_OOB_CONFIRM, spec="2.3.5.4",
              side="responder"),
        "the responder's Sconfirm #24 does not equal c1 with any TK given with --tk (legacy OOB, "
        "Vol 3, Part H, 2.3.5.4)",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("check", "words"), CASES, ids=[c.check for c, _ in CASES])
def test_words_of_each_kind(check: Check, words: str) -> None:
    assert check_detail(check) == words


def test_every_kind_has_words() -> None:
    assert {c.kind for c, _ in CASES} | {K.LEGACY_PASSKEY, K.SC_PASSKEY_BITS} == set(K)


def test_a_secret_is_never_worded() -> None:
    found = Check("initiator_passkey", 5, "match", kind=K.LEGACY_PASSKEY, spec="2.3.5.3",
                  side="initiator", secret="654321", peer_hidden=True)  # fmt: skip
    assert "654321" not in check_detail(found)
    assert check_detail(found).endswith(
        "the passkey is this bond's secret (--show-keys shows it); the responder's passkey "
        "cannot be known: it never revealed its Srand"
    )
