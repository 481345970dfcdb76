"""The typed reader of the rules' packaged TOML tables: a value missing or of the wrong type
fails with the file and the place in it named, never as a KeyError or a wrong value later."""

from __future__ import annotations

import pytest

from bpdiag.rules.tables import Table, TableError, load

_ROWS = Table(
    "t.toml",
    {
        "source": "a header",
        "rows": [
            {"code": 0x1006, "name": "X", "smp": [1, 4], "causes": [["wire", "finding"]]},
            {"code": True, "name": 7, "smp": [1, "4"], "causes": [["wire"]], "flag": "yes"},
        ],
    },
)


def test_typed_values_of_a_good_row() -> None:
    row = _ROWS.rows()[0]
    assert (row.integer("code"), row.text("name"), row.integers("smp")) == (0x1006, "X", (1, 4))
    assert row.pairs("causes") == (("wire", "finding"),)
    assert row.flag("flag") is False  # left out
    assert row.text("meaning", "default") == "default"
    assert "smp" in row and "meaning" not in row


@pytest.mark.parametrize(
    ("read", "message"),
    [
        (lambda r: r.integer("code"), "t.toml.rows[1]: 'code' is not an integer"),  # a bool
        (lambda r: r.text("name"), "t.toml.rows[1]: 'name' is not a string"),
        (lambda r: r.integers("smp"), "t.toml.rows[1]: 'smp' is not an array of integers"),
        (lambda r: r.pairs("causes"), "'causes' is not an array of [string, string] pairs"),
        (lambda r: r.flag("flag"), "t.toml.rows[1]: 'flag' is not true or false"),
        (lambda r: r.text("meaning"), "t.toml.rows[1]: no 'meaning'"),
        (lambda r: r.sub("name"), "t.toml.rows[1]: 'name' is not a table"),
    ],
)
def test_a_bad_value_names_its_place(read: object, message: str) -> None:
    with pytest.raises(TableError, match=message.replace("[", r"\[").replace("]", r"\]")):
        read(_ROWS.rows()[1])  # type: ignore[operator]


def test_rows_must_be_tables() -> None:
    with pytest.raises(TableError, match="'source' is not an array of tables"):
        _ROWS.rows("source")


def test_the_packaged_stack_tables_load() -> None:
    tables = load("explain_stacks.toml")
    assert tables is load("explain_stacks.toml")  # read once
    nordic = tables.sub("nordic_sec_status")
    assert nordic.rows()[0].integer("code") == 0x81
    assert "ble_gap.h" in nordic.text("source")
