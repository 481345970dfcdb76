"""The BR/EDR pairing messages' parameter layouts are written three times: declared in
``decode/hci.py`` and again, as the words each tool prints, in the btmon and hcidump text
readers (``_BREDR_EVENTS`` / ``_BREDR_COMMANDS``).  The readers cannot read the declarations
(``capture`` sits below ``decode`` in the import layers), so this test holds their tables to
them: every declared BR/EDR pairing message is in both, each field in wire order has the
declared size, and the fields a reader treats as key material (a hidden value is a problem,
never quoted) are exactly the ones the declaration makes secret (which every output
redacts)."""

from __future__ import annotations

import pytest

from bpdiag.capture import btmon_text, hcidump_text
from bpdiag.decode import hci
from bpdiag.decode.declare import Layout

# btmon's kinds of value (btmon_text._bredr_params): octets on the wire, key material or not
_BTMON = {"addr": 6, "u8": 1, "io": 1, "handle": 2, "key": 16, "pin": 16, "passkey": 4}
_SECRET = {"key", "pin", "passkey"}


def _declared(layout: Layout) -> list[tuple[int, bool]]:
    return [(p.size, p.secret) for p in layout.params if p.size]


def _btmon(spec: tuple[tuple[str, str], ...]) -> list[tuple[int, bool]]:
    return [(_BTMON[kind], kind in _SECRET) for _name, kind in spec]


def _hcidump(spec: tuple[tuple[str, int | str], ...]) -> list[tuple[int, bool]]:
    out = []
    for word, kind in spec:
        if isinstance(kind, str):
            out.append((hcidump_text._SECRET_SIZES[kind], True))
        elif word == "bdaddr":
            out.append((6, False))
        else:
            out.append(((kind + 7) // 8, False))
    return out


TABLES = {
    ("btmon", "event"): (btmon_text._BREDR_EVENTS, hci.EVENTS, _btmon),
    ("btmon", "command"): (btmon_text._BREDR_COMMANDS, hci.COMMANDS, _btmon),
    ("hcidump", "event"): (hcidump_text._BREDR_EVENTS, hci.EVENTS, _hcidump),
    ("hcidump", "command"): (hcidump_text._BREDR_COMMANDS, hci.COMMANDS, _hcidump),
}
# BR/EDR pairing's messages that name no peer by BD_ADDR (the rest: ADDRESSED_*)
_BY_HANDLE = {"event": {0x06}, "command": {0x0411, 0x0413}}
# hcidump reads Connection Complete (7.7.3) apart: its link type is a word (ACL/SCO/eSCO)
_APART = {("hcidump", "event"): {0x03}}
# Rebuilt by both readers but declared nowhere in hci.py: User Confirmation Request Reply
# (7.1.30, BD_ADDR alone).  It decodes as an untyped HciCommand, from a text as from a
# btsnoop, so the two agree; this says so, and fails once hci.py declares it.
_UNDECLARED = {"command": {0x042C}}
# Declared in hci.py (their OOB data is secret, so every output redacts it) but rebuilt by
# neither reader yet: Remote OOB Data Request Reply (7.1.34) and Remote OOB Extended Data
# Request Reply (7.1.53).  A text log of an OOB pairing lacks them (a key it cannot show);
# this says so, and fails once a reader rebuilds them.
_NOT_REBUILT = {"command": {0x0430, 0x0445}}


@pytest.mark.parametrize(("tool", "what"), list(TABLES))
def test_the_readers_tables_are_the_declarations(tool: str, what: str) -> None:
    table, registry, sizes = TABLES[tool, what]
    undeclared = _UNDECLARED.get(what, set())
    assert {code for code in table if code not in registry} == undeclared
    for code, spec in table.items():
        if code in undeclared:
            continue
        layout = registry[code]
        assert sizes(spec) == _declared(layout), (tool, hex(code), layout.cls.__name__)


@pytest.mark.parametrize(("tool", "what"), list(TABLES))
def test_every_declared_bredr_pairing_message_is_read(tool: str, what: str) -> None:
    table = TABLES[tool, what][0]
    addressed = hci.ADDRESSED_EVENTS if what == "event" else hci.ADDRESSED_COMMANDS
    wanted = set(addressed) | _BY_HANDLE[what]
    assert wanted - set(table) - _APART.get((tool, what), set()) == _NOT_REBUILT.get(what, set())
