"""The command line: ``bpdiag analyze``, ``bpdiag dump`` … (no decoding logic here).

Exit codes (docs/cli.md):
  0  analysed; no pairing and no encryption failed
  1  analysed; a pairing or an encryption failed
  2  unreadable input or usage error (one line on stderr)
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import click

from bpdiag import __version__
from bpdiag.errors import BpdiagError
from bpdiag.live.base import IO_CAPABILITIES

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_UNREADABLE = 2


def _fail(message: str) -> NoReturn:
    click.echo(f"bpdiag: {message}", err=True)
    sys.exit(EXIT_UNREADABLE)


@contextmanager
def _reading(capture: str) -> Iterator[None]:
    """Turn what makes a capture unreadable into one line on stderr and exit 2; a closed
    output pipe (``bpdiag dump … | head``) is a normal end."""
    try:
        yield
    except BrokenPipeError:
        sys.exit(EXIT_OK)
    except BpdiagError as exc:
        _fail(f"{capture}: {exc}")
    except OSError as exc:
        _fail(f"{capture}: {exc.strerror or exc}")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="bpdiag")
def main() -> None:
    """Tells you why Bluetooth LE pairing failed, from a capture."""


@main.command()
@click.argument("capture", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the analysis as JSON (docs/json.md).")
@click.option("--show-keys", is_flag=True, help="Show LTK/IRK/CSRK values instead of redacting.")
@click.option(
    "--html",
    "html_out",
    type=click.Path(dir_okay=False),
    default=None,
    help="Also write a self-contained HTML report (ladders as SVG) to this file.",
)
def analyze(capture: str, as_json: bool, show_keys: bool, html_out: str | None) -> None:
    """Rebuild every connection's pairing story and say what went wrong."""
    from bpdiag.diagnose import diagnose_file

    with _reading(capture):
        analysis = diagnose_file(capture)
    if html_out:
        from bpdiag.report.html import render_html

        try:
            with open(html_out, "w", encoding="utf-8") as out:
                out.write(render_html(analysis))
        except OSError as exc:
            _fail(f"{html_out}: {exc.strerror or exc}")
    if as_json:
        from bpdiag.report.json_report import write_analysis

        out = click.get_text_stream("stdout")
        write_analysis(analysis, out)
        out.write("\n")
        out.flush()
    else:
        from bpdiag.report.text import render_text

        click.echo(render_text(analysis, show_keys=show_keys), nl=False)
    sys.exit(EXIT_FAILED if analysis.failed else EXIT_OK)


@main.command()
@click.argument("capture", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line (JSON Lines).")
@click.option("--show-keys", is_flag=True, help="Show LTK/IRK/CSRK values instead of redacting.")
def dump(capture: str, as_json: bool, show_keys: bool) -> None:
    """List every decoded security-relevant PDU."""
    from bpdiag.analysis.builder import Analyzer
    from bpdiag.analysis.run import walk_file
    from bpdiag.report.json_report import pdu_fields, pdu_to_json

    out: list[Analyzer] = []
    write = sys.stdout.write
    with _reading(capture):
        for pdu, conn in walk_file(capture, out):
            if as_json:
                write(json.dumps(pdu_to_json(pdu, conn, show_keys)) + "\n")
            else:
                fields = pdu_fields(pdu, show_keys)
                text = " ".join(f"{k}={v}" for k, v in fields.items())
                cid = f"c{conn.id}" if conn is not None else "-"
                write(
                    f"#{pdu.frame:<7} {pdu.time:17.6f} {pdu.direction.name:<8} {cid:<4} "
                    f"{pdu.layer:<7} {pdu.name}  {text}\n"
                )
    analysis = out[0].analysis if out else None
    if analysis is not None and analysis.problems:
        for p in analysis.problems[:20]:
            where = f"record {p.record}" if p.record is not None else "file"
            off = f" offset 0x{p.offset:x}" if p.offset is not None else ""
            click.echo(f"problem: {where}{off}: {p.message}", err=True)
    sys.exit(EXIT_FAILED if analysis is not None and analysis.failed else EXIT_OK)


@main.command()
@click.argument("capture", type=click.Path(dir_okay=False, exists=True))
@click.option("--show-keys", is_flag=True, help="Show LTK/IRK/CSRK values instead of redacting.")
def tui(capture: str, show_keys: bool) -> None:
    """Interactive troubleshooting: pairings, ladder, findings and packets in one screen."""
    from bpdiag.tui.app import make_app

    make_app(capture, show_keys).run()


@main.command()
@click.argument("directory", type=click.Path(file_okay=False, exists=True))
@click.option("--update", is_flag=True, help="Record the current results as the expectations.")
@click.option(
    "--file", "exp_file", default=None, help="Expectations file (default DIR/expectations.toml)."
)
def check(directory: str, update: bool, exp_file: str | None) -> None:
    """Compare every capture in DIRECTORY with its recorded expectations (regression test)."""
    from pathlib import Path

    from bpdiag.diagnose import diagnose_file
    from bpdiag.report import expectations as ex

    folder = Path(directory)
    path = Path(exp_file) if exp_file else folder / ex.FILE_NAME
    try:
        expected = ex.load(path) if path.exists() else {}
    except (OSError, ValueError) as exc:
        _fail(f"{path}: {exc}")
    by_file = {e.get("file"): name for name, e in expected.items()}
    captures = ex.captures_in(folder)
    if update:
        entries = {}
        for cap in captures:
            name = by_file.get(cap.name, cap.stem)
            old = expected.get(name, {})
            try:
                analysis = diagnose_file(cap)
            except BpdiagError as exc:
                _fail(f"{cap}: {exc}")
            entry = ex.observed(analysis, cap.name, old.get("description", ""))
            # Keys bpdiag does not compute (e.g. the generator's SMP sequence) are kept.
            entries[name] = {**{k: v for k, v in old.items() if k not in entry}, **entry}
        path.write_text(ex.dumps(entries), encoding="utf-8")
        click.echo(f"wrote {path} ({len(entries)} captures)")
        sys.exit(EXIT_OK)
    mismatches: list[ex.Mismatch] = []
    checked = 0
    listed = set(by_file)
    for cap in captures:
        name = by_file.get(cap.name)
        if name is None:
            mismatches.append(
                ex.Mismatch(cap.name, "capture has no expectations", "an entry", None)
            )
            continue
        try:
            analysis = diagnose_file(cap)
        except BpdiagError as exc:
            mismatches.append(ex.Mismatch(cap.name, "unreadable", "readable", str(exc)))
            continue
        checked += 1
        mismatches += ex.compare(name, expected[name], ex.observed(analysis, cap.name))
    for missing in sorted(listed - {c.name for c in captures}):
        mismatches.append(ex.Mismatch(str(missing), "listed capture is missing", "a file", None))
    for m in mismatches:
        click.echo(f"MISMATCH {m}")
    click.echo(f"{checked} captures checked, {len(mismatches)} mismatches")
    sys.exit(EXIT_FAILED if mismatches else EXIT_OK)


@main.command()
@click.argument("a", type=click.Path(dir_okay=False))
@click.argument("b", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the comparison as JSON.")
def compare(a: str, b: str, as_json: bool) -> None:
    """Compare the pairings of two captures side by side and say what explains the difference."""
    from bpdiag.diagnose import diagnose_file
    from bpdiag.report.compare import compare as do_compare
    from bpdiag.report.compare import render_compare

    try:
        result = do_compare(diagnose_file(a), diagnose_file(b))
    except BpdiagError as exc:
        _fail(str(exc))
    click.echo(json.dumps(result, indent=2) if as_json else render_compare(result), nl=False)
    if as_json:
        click.echo("")
    sys.exit(EXIT_FAILED if any(p["outcome_differs"] for p in result["pairings"]) else EXIT_OK)


@main.command()
@click.argument("target")
@click.option(
    "--backend", type=click.Choice(["bumble", "bluez"]), default="bumble", show_default=True
)
@click.option("--adapter", default="hci0", show_default=True, help="BlueZ adapter (bluez).")
@click.option("--transport", default=None, help="Bumble transport, e.g. usb:0, hci-socket:0.")
@click.option(
    "--sim",
    "sim_spec",
    default=None,
    help="Simulated peripheral PROFILE[:key=value,…] (omron-bpm, generic).",
)
@click.option(
    "--io",
    type=click.Choice(IO_CAPABILITIES),
    default="KeyboardDisplay",
    show_default=True,
    help="Local IO capability.",
)
@click.option("--mitm/--no-mitm", default=False, show_default=True)
@click.option("--sc/--legacy", default=True, show_default=True)
@click.option("--bond/--no-bond", default=True, show_default=True)
@click.option("--key-size", default=16, show_default=True, type=int)
@click.option("--passkey", default=None, type=int, help="Passkey to type when asked.")
@click.option(
    "--init-keys",
    default=None,
    metavar="KEYS",
    help="Keys the initiator (we) will distribute: EncKey,IdKey,SignKey,LinkKey or none "
    "(default: the stack's, EncKey,IdKey on Bumble).",
)
@click.option(
    "--resp-keys",
    default=None,
    metavar="KEYS",
    help="Keys asked of the responder (same names).",
)
@click.option(
    "--capture",
    "capture_out",
    default=None,
    type=click.Path(dir_okay=False),
    help="Where to write the btsnoop of the attempt (default: a new file here).",
)
@click.option(
    "--compare",
    "recorded",
    default=None,
    type=click.Path(dir_okay=False),
    help="Compare the attempt with this recorded capture.",
)
@click.option(
    "--forget-bond",
    is_flag=True,
    help="Save the stored bond with TARGET (and say where), then remove it and pair afresh.",
)
@click.option(
    "--keystore",
    default=None,
    type=click.Path(dir_okay=False),
    help="Bumble key store (JSON) of the local side; default over a real transport: "
    "~/.local/share/bpdiag/bumble-keys.json, on --sim: none kept.",
)
@click.option(
    "--scan-timeout",
    default=10.0,
    show_default=True,
    type=float,
    help="Seconds to look for TARGET's advertisements (bluez; bumble over a transport).",
)
@click.option("--json", "as_json", is_flag=True, help="The analysis as JSON (docs/json.md).")
def pair(
    target: str,
    backend: str,
    adapter: str,
    transport: str | None,
    sim_spec: str | None,
    io: str,
    mitm: bool,
    sc: bool,
    bond: bool,
    key_size: int,
    passkey: int | None,
    init_keys: str | None,
    resp_keys: str | None,
    capture_out: str | None,
    recorded: str | None,
    forget_bond: bool,
    keystore: str | None,
    scan_timeout: float,
    as_json: bool,
) -> None:
    """Pair with TARGET using exactly these parameters, record it, and analyse it.

    An existing bond with TARGET is never removed unless --forget-bond is given; then it is
    saved first and the command says where (and how to put it back: bpdiag restore-bond)."""
    import time
    from pathlib import Path

    from bpdiag.diagnose import diagnose_file
    from bpdiag.live.attempt import AttemptSpec, analyse_recording, attempt_json, make_backend
    from bpdiag.live.attempt import run as run_attempt
    from bpdiag.live.base import LiveError, PairParams, parse_key_distribution

    try:
        params = PairParams(
            io=io,
            mitm=mitm,
            sc=sc,
            bond=bond,
            key_size=key_size,
            passkey=passkey,
            init_keys=None if init_keys is None else parse_key_distribution(init_keys),
            resp_keys=None if resp_keys is None else parse_key_distribution(resp_keys),
        )
    except LiveError as exc:
        _fail(f"{exc} ({exc.reason})")
    spec = AttemptSpec(
        target=target,
        params=params,
        backend=backend,
        sim=sim_spec,
        transport=transport,
        adapter=adapter,
        keystore=Path(keystore) if keystore else None,
        forget_bond=forget_bond,
        scan_timeout=scan_timeout,
    )
    capture = Path(capture_out or f"bpdiag-pair-{time.strftime('%Y%m%d-%H%M%S')}.btsnoop")
    try:
        runner = make_backend(spec)
        if sys.stderr.isatty():
            runner.progress = lambda what: click.echo(f"bpdiag: {what} …", err=True)
        try:
            stack_result = run_attempt(runner, spec, capture)
        finally:
            for line in runner.notes:
                click.echo(f"bpdiag: {line}", err=True)
        attempt = attempt_json(spec, runner, stack_result, capture)
        analysis = analyse_recording(capture)
        if analysis is None:
            # Nothing could be recorded (btmon missing or not permitted): the stack's answer
            # is all there is; say what it can mean on the wire.
            _explain_stack_result(stack_result, as_json, attempt)
            sys.exit(EXIT_OK if stack_result == "success" else EXIT_FAILED)
    except LiveError as exc:
        _fail(f"{exc} ({exc.reason})")
    except BpdiagError as exc:
        _fail(str(exc))
    comparison = None
    if recorded:
        from bpdiag.report.compare import compare as do_compare

        try:
            comparison = do_compare(diagnose_file(recorded), analysis)
        except BpdiagError as exc:
            _fail(f"{recorded}: {exc}")
    if as_json:
        from bpdiag.report.json_report import analysis_to_json

        doc = analysis_to_json(analysis)
        doc["attempt"] = attempt
        if comparison is not None:
            doc["comparison"] = comparison
        click.echo(json.dumps(doc, indent=2))
    else:
        from bpdiag.report.compare import render_compare
        from bpdiag.report.text import render_text

        click.echo(f"attempt recorded in {capture}")
        click.echo(render_text(analysis), nl=False)
        if comparison is not None:
            click.echo("")
            click.echo(render_compare(comparison), nl=False)
    paired = any(p.outcome == "success" for p in analysis.pairings) and not analysis.failed
    sys.exit(EXIT_OK if paired else EXIT_FAILED)


@main.command("restore-bond")
@click.argument("backup", type=click.Path(exists=True))
def restore_bond(backup: str) -> None:
    """Put back a bond that `bpdiag pair --forget-bond` saved (the directory it named)."""
    import asyncio
    from pathlib import Path

    from bpdiag.live.base import LiveError
    from bpdiag.live.bonds import read_backup, restore_bluez_bond, restore_bumble_bond

    path = Path(backup)
    try:
        doc = read_backup(path)
        if doc["backend"] == "bluez":
            message = restore_bluez_bond(doc, path if path.is_dir() else path.parent)
        else:
            message = asyncio.run(restore_bumble_bond(doc))
    except ImportError as exc:
        _fail(f"restoring a Bumble bond needs {exc.name}: pip install 'bpdiag[live]'")
    except LiveError as exc:
        _fail(f"{exc} ({exc.reason})")
    click.echo(message)


@main.command()
@click.argument("profile")
@click.option("--transport", required=True, help="Bumble transport of the second controller.")
@click.option(
    "--address",
    default="F0:0D:00:00:00:02",
    show_default=True,
    help="The simulated peripheral's address.",
)
def sim(profile: str, transport: str, address: str) -> None:
    """Run a simulated peripheral (omron-bpm, generic) on a real controller until Ctrl-C."""
    import asyncio

    from bpdiag.live.base import LiveError

    try:
        from bpdiag.live.profiles import parse_profile
        from bpdiag.live.sim_server import serve
    except ImportError as exc:
        _fail(f"bpdiag sim needs {exc.name}: pip install 'bpdiag[live]'")
    try:
        spec = parse_profile(profile)
        click.echo(f"advertising {profile} as {address} on {transport}; Ctrl-C to stop", err=True)
        asyncio.run(serve(spec, transport, address))
    except LiveError as exc:
        _fail(f"{exc} ({exc.reason})")
    except KeyboardInterrupt:
        sys.exit(EXIT_OK)


def _explain_stack_result(result: str, as_json: bool, attempt: dict[str, object]) -> None:
    """Report a live attempt that left no pairing to analyse: the stack's result and the
    wire causes it can stand for."""
    from pathlib import Path

    from bpdiag.rules.explain import explain as lookup

    hits = [] if result == "success" else lookup(result)
    causes = [{"wire": c.wire, "finding": c.finding} for e in hits for c in e.causes]
    if as_json:
        click.echo(
            json.dumps(
                {
                    "schema": "bpdiag.pair/1",
                    "result": result,
                    "capture": None,
                    "possible_causes": causes,
                    "attempt": attempt,
                },
                indent=2,
            )
        )
        return
    capture = Path(str(attempt["capture"]))
    if capture.exists() and capture.stat().st_size > 16:
        why = f"the recording {capture} holds no pairing: the attempt ended before SMP"
    else:
        why = "no capture could be recorded: run as root with btmon installed to see why"
    click.echo(f"result: {result} ({why})")
    for c in causes:
        click.echo(f"  possible cause: {c['wire']} → {c['finding']}")


@main.command()
@click.argument("error", nargs=-1, required=True)
def explain(error: tuple[str, ...]) -> None:
    """Explain an OS/library error message: its possible wire causes and how to capture them."""
    from bpdiag.rules import CATALOGUE
    from bpdiag.rules.explain import HOW_TO_CAPTURE
    from bpdiag.rules.explain import explain as lookup

    text = " ".join(error)
    hits = lookup(text)
    if not hits:
        click.echo(
            f"bpdiag does not know the message {text!r}. Record a capture and run "
            "`bpdiag analyze` on it:"
        )
        for how in HOW_TO_CAPTURE.values():
            click.echo(f"  - {how}")
        sys.exit(EXIT_FAILED)
    for e in hits:
        click.echo(f"{e.source}")
        click.echo(f"  {e.meaning}")
        click.echo("  Possible causes on the wire (and the bpdiag finding that shows each):")
        for c in e.causes:
            title = CATALOGUE[c.finding].title if c.finding in CATALOGUE else ""
            click.echo(f"    - {c.wire}  →  {c.finding}" + (f" ({title})" if title else ""))
        click.echo("  To tell them apart, record a capture:")
        for k in e.capture:
            click.echo(f"    - {HOW_TO_CAPTURE[k]}")
        click.echo("")
    sys.exit(EXIT_OK)


if __name__ == "__main__":  # pragma: no cover
    main()
