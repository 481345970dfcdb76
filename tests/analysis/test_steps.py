"""A pairing's steps packed (``analysis.model.Steps``): reading them back gives what a list of
``Step``s would, with the decoded command each carried, and the steps whose sender is still to
be learnt stay the objects the analysis sets it on."""

from __future__ import annotations

from pathlib import Path

import pytest

from bpdiag.analysis.model import Pairing, Role, Step, Steps
from bpdiag.analysis.run import Reading
from bpdiag.decode import smp

CAPS = Path(__file__).resolve().parents[2] / "captures"

_CONFIRM = smp.PairingConfirm(bytes(range(16)))
_REQUEST = smp.parse_smp(bytes([0x01, 0x03, 0x00, 0x0D, 0x10, 0x07, 0x07]))
_PUBLIC_KEY = smp.PairingPublicKey(bytes(range(32)), bytes(range(32, 64)))
_UNREAD = smp.UnreadCommand(0x03, 17)  # the log kept the code only


def _steps() -> tuple[Steps, list[tuple[object, ...]]]:
    steps = Steps()
    given = [
        (100, 1.5, Role.CENTRAL, 0x01, _REQUEST, False),
        (101, 1.25, Role.PERIPHERAL, 0x03, _CONFIRM, True),
        (2**40, 2.0, Role.UNKNOWN, 0x0C, _PUBLIC_KEY, False),  # sender to be learnt
        (103, 3.0, Role.CENTRAL, 0x03, _UNREAD, False),  # no wire bytes to pack
    ]
    for frame, time, sender, code, msg, decrypted in given:
        steps.record(frame, time, sender, code, msg, decrypted)
    want = [(f, t, s, c, m.name, m, d) for f, t, s, c, m, d in given]
    return steps, want


def _facts(s: Step) -> tuple[object, ...]:
    return (s.frame, s.time, s.sender, s.code, s.name, s.msg, s.decrypted)


def test_reading_back_gives_every_fact_in_order() -> None:
    steps, want = _steps()
    assert [_facts(s) for s in steps] == want
    assert len(steps) == 4 and steps.frames() == [100, 101, 2**40, 103]
    assert _facts(steps[1]) == want[1] and _facts(steps[-1]) == want[3]
    assert [_facts(s) for s in steps[1:3]] == want[1:3]
    with pytest.raises(IndexError):
        steps[4]
    # the short commands the decoder shares come back as that same object
    assert steps[0].msg is _REQUEST


def test_a_step_with_its_sender_unknown_is_the_object_returned() -> None:
    steps = Steps()
    kept = steps.record(5, 0.0, Role.UNKNOWN, 0x03, _CONFIRM)
    assert kept is not None and steps[0] is kept
    kept.sender = Role.PERIPHERAL  # as the analysis does once the local role is known
    assert steps[0].sender == Role.PERIPHERAL
    assert steps.record(6, 0.0, Role.CENTRAL, 0x03, _CONFIRM) is None  # packed
    appended = Step(7, 0.0, Role.CENTRAL, 0x04, "Pairing Random", None)
    steps.append(appended)
    assert steps[-1] is appended and steps.frames() == [5, 6, 7]


def test_pairing_frames_are_its_steps_unless_given() -> None:
    steps, _ = _steps()
    p = Pairing(1, 1, 100, steps=steps)
    assert p.frames == [100, 101, 2**40, 103]
    assert Pairing(1, 1, 10, frames=[10, 12]).frames == [10, 12]
    p.frames = [100]
    assert p.frames == [100]


def test_packed_steps_equal_the_steps_unpacked_on_a_capture() -> None:
    a = Reading(CAPS / "sc_passkey_wrong.btsnoop").analyse()
    p = a.pairings[0]
    assert isinstance(p.steps, Steps) and len(p.steps) >= 20
    unpacked = [Step(*_facts(s)) for s in p.steps]
    assert p.steps == unpacked and p.frames == [s.frame for s in unpacked]
    assert all(smp.parse_smp(s.msg.to_bytes()) == s.msg for s in unpacked)


def test_empty_lists_are_shared_until_their_first_item() -> None:
    p, q = Pairing(1, 1, 10), Pairing(2, 1, 20)
    assert p.checks == [] and p.checks is q.checks
    with pytest.raises(TypeError):
        p.checks.append(object())  # type: ignore[attr-defined]
    p.add_cut_frame(12)
    assert p.cut_frames == [12] and q.cut_frames == []


def test_kept_gives_only_the_steps_kept_as_objects_in_order() -> None:
    assert Steps().kept() == ()
    steps = Steps()
    unknown = steps.record(1, 0.0, Role.UNKNOWN, 0x0C, _PUBLIC_KEY)
    assert steps.record(2, 0.0, Role.CENTRAL, 0x03, _CONFIRM) is None  # packed: not kept
    unread = steps.record(3, 0.0, Role.CENTRAL, 0x03, _UNREAD)
    appended = Step(4, 0.0, Role.PERIPHERAL, 0x04, "Pairing Random", None)
    steps.append(appended)
    kept = steps.kept()
    assert len(kept) == 3
    assert kept[0] is unknown and kept[1] is unread and kept[2] is appended
    # every UnreadCommand and every unknown sender is among them (what the rules rely on)
    assert [s.frame for s in steps if isinstance(s.msg, smp.UnreadCommand)] == [3]
    assert [s.frame for s in steps if s.sender == Role.UNKNOWN] == [1]


def test_wire_gives_the_pdu_bytes_of_the_steps_asked_for_in_order() -> None:
    steps, _ = _steps()
    request = bytes([0x01, 0x03, 0x00, 0x0D, 0x10, 0x07, 0x07])
    assert list(steps.wire({0x01, 0x03, 0x0C})) == [
        (100, Role.CENTRAL, request),
        (101, Role.PERIPHERAL, bytes([0x03, *range(16)])),
        (2**40, Role.UNKNOWN, bytes([0x0C, *range(64)])),  # kept: encoded from its command
        # frame 103: the log kept the Confirm's code only, there are no bytes to give
    ]
    assert list(steps.wire({0x04})) == []
    pk = steps[2]
    pk.sender = Role.PERIPHERAL  # learnt later: the sender read now is the one given
    assert list(steps.wire({0x0C})) == [(2**40, Role.PERIPHERAL, bytes([0x0C, *range(64)]))]
    # an appended step without an SMP command is left out, the ones after it are not
    steps.append(Step(104, 0.0, Role.CENTRAL, 0x0C, "Pairing Public Key", None))
    steps.record(105, 0.0, Role.CENTRAL, 0x0C, _PUBLIC_KEY)
    assert [f for f, _, _ in steps.wire({0x0C})] == [2**40, 105]


def test_a_decoded_command_is_packed_with_the_bytes_it_came_from() -> None:
    data = bytes([0x04, *range(100, 116)])
    random = smp.parse_smp(data)
    assert random.to_bytes() is data  # kept by the decoder, not encoded again
    built = smp.PairingRandom(data[1:])
    assert built.to_bytes() == data and built.to_bytes() is built.to_bytes()  # encoded once
    steps = Steps()
    steps.record(1, 0.0, Role.CENTRAL, 0x04, random)
    steps.record(2, 0.0, Role.PERIPHERAL, 0x04, built)
    assert [pdu for _, _, pdu in steps.wire({0x04})] == [data, data]
    assert steps[0].msg == random == steps[1].msg


def test_every_index_reads_the_step_iterating_reads() -> None:
    steps, _ = _steps()
    steps.append(Step(104, 4.0, Role.CENTRAL, 0x04, "Pairing Random", None))
    steps.record(105, 5.0, Role.PERIPHERAL, 0x04, smp.PairingRandom(bytes(16)), True)
    listed = [_facts(s) for s in steps]
    n = len(listed)
    assert n == 6
    for i in range(-n, n):
        assert _facts(steps[i]) == listed[i], i
    steps.append(Step(106, 6.0, Role.CENTRAL, 0x05, "Pairing Failed", None))
    assert steps[-1].frame == 106 and steps[5].frame == 105
    with pytest.raises(IndexError):
        steps[-8]


def test_a_frame_beyond_four_octets_is_kept_whole_and_read_back() -> None:
    steps = Steps()
    for frame in (7, 2**32, -1, 2**32 - 1):
        assert (steps.record(frame, 0.5, Role.CENTRAL, 0x03, _CONFIRM) is None) == (
            0 <= frame < 2**32
        )  # packed (None) only where the header's four octets hold the frame
    assert [s.frame for s in steps] == steps.frames() == [7, 2**32, -1, 2**32 - 1]
    assert [s.frame for s in steps.kept()] == [2**32, -1]
    assert [(f, pdu) for f, _, pdu in steps.wire({0x03})] == [
        (f, _CONFIRM.to_bytes()) for f in (7, 2**32, -1, 2**32 - 1)
    ]
    assert steps[0].frame == 7 and steps[-1].frame == 2**32 - 1 and steps[1].frame == 2**32
