"""``bpdiag decrypt CAPTURE -o OUT.pcapng``: the capture with every packet bpdiag could
decrypt in clear (bpdiag.analysis.decrypt_file)."""

from __future__ import annotations

import sys
from typing import Unpack

import click

from bpdiag.cli_keys import KeyArgs, build_keyring, key_options
from bpdiag.errors import BpdiagError


@click.command()
@click.argument("capture", type=click.Path(dir_okay=False))
@click.option(
    "-o", "--output", "out", required=True, type=click.Path(dir_okay=False), help="pcapng to write."
)
@click.option("--show-keys", is_flag=True, help="Name the keys used instead of redacting them.")
@key_options
def decrypt(capture: str, out: str, show_keys: bool, **key_args: Unpack[KeyArgs]) -> None:
    """Write CAPTURE with every packet bpdiag could decrypt in clear (pcapng, link type 256,
    owner-only), for Wireshark / tshark."""
    from bpdiag.analysis.decrypt_file import decrypt_file

    keys = build_keyring(**key_args, show_keys=show_keys)
    for message in keys.problems:
        click.echo(f"keys: {message}", err=True)
    try:
        res = decrypt_file(capture, out, keys)
    except (BpdiagError, OSError) as exc:
        click.echo(f"bpdiag: {capture}: {exc}", err=True)
        sys.exit(2)
    click.echo(
        f"{out}: {res.written} packets written, {res.decrypted} decrypted, "
        f"{res.not_decrypted} encrypted packets not decrypted (no key verified their MIC), "
        f"{res.counters_skipped} packet counter value(s) skipped (packets the sniffer missed)"
    )
    if res.unsupported or res.damaged:
        click.echo(
            f"  {res.unsupported} record(s) not air packets (left out), {res.damaged} damaged "
            "(copied unchanged)"
        )
    if res.records and res.unsupported == res.records:
        click.echo(
            "  decrypt is for air (sniffer) captures: an HCI capture holds the link's data in "
            "clear already (the controller decrypts it)"
        )
    for used in res.keys_used or []:
        click.echo(f"  key: {used}")
    sys.exit(0 if res.decrypted else 1)
