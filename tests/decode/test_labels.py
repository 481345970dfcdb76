"""``decode/labels.Labelled``: a code's label given beside it or derived from its name."""

from __future__ import annotations

import pytest

from bpdiag.decode import labels
from bpdiag.decode.labels import Labelled


class _Words(Labelled):
    SET_PHY_CONFIGURATION = 0x0044
    PIN_OR_KEY_MISSING = 0x06, "PIN or Key Missing"


class _Joined(Labelled, spelling=labels.joined):
    NO_INPUT_NO_OUTPUT = 3


class _Sentence(Labelled, spelling=labels.sentence):
    PASSKEY_ENTRY_STARTED = 0


@pytest.mark.parametrize(
    ("member", "label"),
    [
        (_Words.SET_PHY_CONFIGURATION, "Set PHY Configuration"),  # an acronym stays in capitals
        (_Words.PIN_OR_KEY_MISSING, "PIN or Key Missing"),  # given: not derived
        (_Joined.NO_INPUT_NO_OUTPUT, "NoInputNoOutput"),
        (_Sentence.PASSKEY_ENTRY_STARTED, "Passkey entry started"),
    ],
)
def test_label(member: Labelled, label: str) -> None:
    assert member.label == label
    assert type(member).label_of(int(member)) == label
    assert type(member).name_of(int(member)) == label


def test_members_are_their_integers() -> None:
    assert _Words.PIN_OR_KEY_MISSING == 6
    assert hash(_Words.PIN_OR_KEY_MISSING) == hash(6)
    assert _Words(0x44) is _Words.SET_PHY_CONFIGURATION
    assert _Words.labels() == {0x44: "Set PHY Configuration", 6: "PIN or Key Missing"}


def test_unknown_code() -> None:
    assert _Words.label_of(0x1F) is None
    assert _Words.name_of(0x1F) == "reserved (0x1f)"
    assert _Words.name_of(0x1F, "Unknown (0x{:04x})") == "Unknown (0x001f)"
