"""The key options shared by analyze, dump, tui and decrypt (no decoding logic here).

``--ltk HEX`` (repeatable), ``--tk HEX`` (legacy OOB, repeatable), ``--keys FILE`` (BlueZ
``info`` / Android ``bt_config.conf``, repeatable), ``--keys-from CAPTURE`` (a host capture of
the same link, repeatable) and ``--passkey-search failed|always|never`` build the run's
``Keyring``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypedDict, TypeVar

import click

from bpdiag.crypto.keyring import PASSKEY_SEARCH_BUDGET, PASSKEY_SEARCH_MODES, Keyring, SearchMode

F = TypeVar("F", bound=Callable[..., Any])


class KeyArgs(TypedDict):
    """What ``key_options`` gives a command (``**key_args: Unpack[KeyArgs]``)."""

    ltk: tuple[str, ...]
    tk: tuple[str, ...]
    keys_file: tuple[str, ...]
    keys_from: tuple[str, ...]
    passkey_search: str


def key_options(f: F) -> F:
    """Add the key options to a click command (its function takes ``ltk``, ``tk``,
    ``keys_file`` and ``keys_from`` tuples and the ``passkey_search`` mode)."""
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
                "--passkey-search",
                type=click.Choice(PASSKEY_SEARCH_MODES),
                default="failed",
                show_default=True,
                help="When to search the 10^6 passkeys of legacy Passkey Entry: for pairings "
                f"that failed, --show-keys or decryption (at most {PASSKEY_SEARCH_BUDGET} "
                "searches per analysis); always; never.",
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
    passkey_search: str = "failed",
) -> Keyring:
    """The run's keyring; a malformed ``--ltk``/``--tk`` is a usage error."""
    keys = Keyring(show_keys=show_keys)
    keys.passkey_search.mode = SearchMode(passkey_search)
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
