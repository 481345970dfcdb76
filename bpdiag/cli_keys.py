"""The key options shared by analyze, dump, tui and decrypt (no decoding logic here).

``--ltk HEX`` (repeatable), ``--tk HEX`` (legacy OOB, repeatable), ``--keys FILE`` (BlueZ
``info`` / Android ``bt_config.conf``, repeatable), ``--keys-from CAPTURE`` (a host capture of
the same link, repeatable) build the run's ``Keyring``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from bpdiag.crypto.keyring import Keyring

F = TypeVar("F", bound=Callable[..., Any])


def key_options(f: F) -> F:
    """Add the key options to a click command (its function takes ``ltk``, ``tk``,
    ``keys_file`` and ``keys_from`` tuples)."""
    for opt in reversed(
        [
            click.option(
                "--ltk", multiple=True, metavar="HEX", help="An LTK to decrypt with (repeatable)."
            ),
            click.option(
                "--tk",
                multiple=True,
                metavar="HEX",
                help="The TK of a legacy OOB pairing (repeatable).",
            ),
            click.option(
                "--keys",
                "keys_file",
                multiple=True,
                type=click.Path(dir_okay=False),
                help="A BlueZ info file or Android bt_config.conf with LE keys (repeatable).",
            ),
            click.option(
                "--keys-from",
                multiple=True,
                type=click.Path(dir_okay=False),
                help="A host (HCI) capture of the same link whose LTKs to use (repeatable).",
            ),
        ]
    ):
        f = opt(f)
    return f


def build_keyring(
    ltk: tuple[str, ...],
    tk: tuple[str, ...],
    keys_file: tuple[str, ...],
    keys_from: tuple[str, ...],
    show_keys: bool = False,
) -> Keyring:
    """The run's keyring; a malformed ``--ltk``/``--tk`` is a usage error."""
    keys = Keyring(show_keys=show_keys)
    for name, values, add in (("--ltk", ltk, keys.add_ltk_text), ("--tk", tk, keys.add_tk_text)):
        for v in values:
            try:
                add(v)
            except ValueError as exc:
                raise click.BadParameter(str(exc), param_hint=name) from None
    for path in keys_file:
        keys.load_file(path)
    if keys_from:
        from bpdiag.analysis.host_keys import load_host_keys

        for path in keys_from:
            load_host_keys(path, keys)
    return keys
