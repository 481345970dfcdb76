"""``bpdiag explain -`` reads the messages from standard input, as ``--file -`` does."""

from __future__ import annotations

from click.testing import CliRunner

from bpdiag.cli import main

LOG = (
    "12-01 10:00:01.500  1234  5678 D BluetoothGatt: onClientConnectionState() - status=133\n"
    "all is well\n"
)


def test_a_lone_dash_reads_standard_input() -> None:
    dash = CliRunner().invoke(main, ["explain", "-"], input=LOG)
    file = CliRunner().invoke(main, ["explain", "--file", "-"], input=LOG)
    assert dash.exit_code == 0, dash.output
    assert "Android BluetoothGatt status 133" in dash.output
    assert "'-'" not in dash.output  # not the message "-"
    assert dash.output == file.output


def test_a_lone_dash_with_nothing_known_on_standard_input() -> None:
    r = CliRunner().invoke(main, ["explain", "-"], input="all is well\n")
    assert r.exit_code == 1
    assert "does not know the message '-'" not in r.output


def test_a_dash_among_words_is_part_of_the_message() -> None:
    r = CliRunner().invoke(main, ["explain", "Insufficient", "-", "Authentication"], input=LOG)
    assert r.exit_code == 1  # the message "Insufficient - Authentication", unknown
    assert "Insufficient - Authentication" in r.output
    assert "133" not in r.output  # standard input was not read
