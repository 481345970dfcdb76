"""The command line: ``bpdiag analyze``, ``bpdiag dump`` … (no decoding logic here).

Exit codes (docs/cli.md, bpdiag/exits.py):
  0  analysed; no pairing and no encryption failed
  1  analysed; a pairing or an encryption failed (analyze: or a finding at --fail-on's
     severity — error by default)
  2  unreadable input or usage error (one line on stderr)
  3  an unexpected error inside bpdiag (one line on stderr)
  4  the output could not be written (disk full …)
  130 interrupted
"""

from __future__ import annotations

import io
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, NoReturn, Unpack

import click

from bpdiag import __version__
from bpdiag.analysis.gc_pause import gc_paused
from bpdiag.cli_keys import F, KeyArgs, build_keyring, key_options
from bpdiag.errors import BpdiagError
from bpdiag.exits import GuardedGroup, is_output_error
from bpdiag.live.base import IO_CAPABILITIES, BackendKind

if TYPE_CHECKING:
    from bpdiag.crypto.keyring import Keyring
    from bpdiag.rules.diagnosis import Diagnosed

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_UNREADABLE = 2


def _fail(message: str) -> NoReturn:
    from bpdiag.report.terminal import escape_line

    click.echo(f"bpdiag: {escape_line(message)}", err=True)
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
        if is_output_error(exc):
            raise  # the guard reports it as an output error
        _fail(f"{capture}: {exc.strerror or exc}")


def _file_option(*names: str, help: str) -> Callable[[F], F]:
    """An option that names one file (never a directory); not given: None."""
    return click.option(*names, default=None, type=click.Path(dir_okay=False), help=help)


@click.group(cls=GuardedGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="bpdiag")
def main() -> None:
    """Tells you why Bluetooth LE pairing failed, from a capture."""


@main.command()
@click.argument("capture", type=click.Path(dir_okay=False, allow_dash=True), required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the analysis as JSON (docs/json.md).")
@click.option("--show-keys", is_flag=True, help="Show LTK/IRK/CSRK values instead of redacting.")
@_file_option(
    "--html",
    "html_out",
    help="Write a self-contained HTML report to this file (instead of the text report; "
    "add --text or --json to print one too).",
)
@click.option(
    "--follow",
    is_flag=True,
    help="Keep reading CAPTURE as it grows (btsnoop, pcap, pcapng); report each pairing as "
    "it ends; Ctrl-C prints the summary.",
)
@click.option(
    "--live",
    "live_dev",
    default=None,
    metavar="hciN",
    help="Read the kernel's HCI monitor channel (Linux, needs CAP_NET_RAW) instead of a file; "
    "hciN selects the adapter, 'all' every adapter.",
)
@_file_option(
    "--write",
    "write_out",
    help="With --live: also write what was seen to this btsnoop file.",
)
@click.option(
    "--fail-on",
    type=click.Choice(["error", "warning", "never"]),
    default="error",
    show_default=True,
    help="Exit 1 when a pairing or encryption failed or a finding of this severity (or worse) "
    "is reported; never: always 0 once analysed.",
)
@click.option("--text", "as_text", is_flag=True, help="With --html: print the text report too.")
@key_options
def analyze(
    capture: str | None,
    as_json: bool,
    show_keys: bool,
    html_out: str | None,
    follow: bool,
    live_dev: str | None,
    write_out: str | None,
    as_text: bool,
    fail_on: str,
    **key_args: Unpack[KeyArgs],
) -> None:
    """Rebuild every connection's pairing story and say what went wrong.

    CAPTURE "-" reads standard input.  An Android bug report zip gives one analysis per HCI
    log inside it, each headed by the entry it came from."""
    if follow or live_dev is not None:
        from bpdiag.follow import run_follow

        if (capture is None) == (live_dev is None) or (follow and live_dev is not None):
            _fail("give either --follow CAPTURE or --live hciN")
        if write_out is not None and live_dev is None:
            _fail("--write goes with --live")
        sys.exit(run_follow(capture, live_dev, write_out, as_json, show_keys))
    if capture is None:
        _fail("missing argument CAPTURE (a file, or - for standard input)")
    if html_out:
        from bpdiag.capture._open import same_file

        if same_file(html_out, capture):
            _fail(f"{html_out}: is the capture itself; refusing to write the report over it")
    keys = build_keyring(**key_args, show_keys=show_keys)
    _analyze_and_report(capture, keys, html_out, as_json, as_text, show_keys, fail_on)


# One analysis, then the output: no cyclic collection in between either (between the phases
# that pause it, bpdiag.analysis.gc_pause, a collection walked every object kept so far: some
# 0.2 s on 250k records of many short connections); re-enabled however the command ends (the
# CLI runs in-process too)
@gc_paused()
def _analyze_and_report(
    capture: str,
    keys: Keyring,
    html_out: str | None,
    as_json: bool,
    as_text: bool,
    show_keys: bool,
    fail_on: str,
) -> NoReturn:
    from bpdiag.diagnose import diagnose_inputs

    with _reading(capture):
        analyses = list(diagnose_inputs(capture, keys=keys))
    if html_out:
        from bpdiag.report.html import render_html

        if len(analyses) > 1:
            first = analyses[0].capture.path
            click.echo(f"bpdiag: --html holds the first log's report ({first})", err=True)
        try:
            with open(html_out, "w", encoding="utf-8") as out:
                out.write(render_html(analyses[0]))
        except OSError as exc:
            _fail(f"{html_out}: {exc.strerror or exc}")
        from pathlib import Path

        # on stdout unless stdout carries a report (JSON must stay parseable)
        click.echo(f"wrote HTML report to {Path(html_out).resolve()}", err=as_json or as_text)
    if as_json:
        from bpdiag.report.json_report import write_analysis

        stdout = sys.stdout  # click 8.5 deprecates get_text_stream; click.echo writes here too
        if len(analyses) == 1:
            write_analysis(analyses[0], stdout)  # written as it is produced (no giant string)
            stdout.write("\n")
        else:
            stdout.write("[\n")
            for i, a in enumerate(analyses):
                if i:
                    stdout.write(",\n")
                write_analysis(a, stdout)
            stdout.write("\n]\n")
        stdout.flush()
    elif as_text or not html_out:
        from bpdiag.report.terminal import escape_controls
        from bpdiag.report.text import write_text

        for analysis in analyses:
            if len(analyses) > 1:
                click.echo(f"=== {escape_controls(analysis.capture.path)} ===")
            write_text(analysis, sys.stdout, show_keys=show_keys)  # streamed, as --json is
        sys.stdout.flush()
    if all(a.capture.records == 0 for a in analyses):
        # a log of which no record could be read says nothing about the pairing: not "ok"
        from bpdiag.capture import TEXT_FORMATS

        for a in analyses:
            hint = (
                f"; for the errors its text names: bpdiag explain --file {a.capture.path}"
                if a.capture.format in TEXT_FORMATS
                else ""
            )
            click.echo(
                f"bpdiag: {a.capture.path}: no record could be read; nothing was analysed{hint}",
                err=True,
            )
        sys.exit(EXIT_UNREADABLE)
    sys.exit(EXIT_FAILED if any(_fails(a, fail_on) for a in analyses) else EXIT_OK)


def _fails(analysis: Diagnosed, fail_on: str) -> bool:
    """``--fail-on``: error (default) — a failed pairing or encryption, or an error finding;
    warning — also a warning finding; never — no."""
    if fail_on == "never":
        return False
    from bpdiag.rules.base import Severity

    worst = {Severity.ERROR} if fail_on == "error" else {Severity.ERROR, Severity.WARNING}
    return analysis.failed or any(f.severity in worst for f in analysis.findings)


@main.command()
@click.argument("capture", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line (JSON Lines).")
@click.option("--show-keys", is_flag=True, help="Show LTK/IRK/CSRK values instead of redacting.")
@key_options
def dump(capture: str, as_json: bool, show_keys: bool, **key_args: Unpack[KeyArgs]) -> None:
    """List every decoded security-relevant PDU."""
    from bpdiag.analysis.run import Reading
    from bpdiag.capture.bugreport import open_inputs
    from bpdiag.report.dump_text import input_header, pdu_line
    from bpdiag.report.json_report import pdu_json_line
    from bpdiag.report.problems import problem_line

    readings: list[Reading] = []
    write = sys.stdout.write
    with _reading(capture):
        keys = build_keyring(**key_args, show_keys=show_keys)
        for inp in open_inputs(capture):
            if inp.name != capture and not as_json:
                write(input_header(inp.name))
            # what dump prints does not need the pairings' checks (a passkey search each)
            reading = Reading(inp.name, keys, inp.capture, checks=False)
            readings.append(reading)
            for pdu, conn in reading:
                if as_json:
                    write(pdu_json_line(pdu, conn, show_keys))
                else:
                    write(pdu_line(pdu, conn, reading.analysis.capture.first_time, show_keys))
    analyses = [r.analysis for r in readings if r.analyzer is not None]
    for analysis in analyses:
        for p in analysis.problems[:20]:
            click.echo(problem_line(p), err=True)
    sys.exit(EXIT_FAILED if any(a.failed for a in analyses) else EXIT_OK)


@main.command()
@click.argument("capture", type=click.Path(dir_okay=False, allow_dash=True), required=False)
@click.option("--show-keys", is_flag=True, help="Show LTK/IRK/CSRK values instead of redacting.")
@click.option("--follow", is_flag=True, help="Read CAPTURE again as it grows.")
@click.option(
    "--live",
    "live_dev",
    default=None,
    metavar="hciN",
    help="Show the kernel's HCI monitor channel (Linux, CAP_NET_RAW) as it is captured.",
)
@_file_option(
    "--write",
    "write_out",
    help="With --live: the btsnoop file to record into (default: a temporary file).",
)
@key_options
def tui(
    capture: str | None,
    show_keys: bool,
    follow: bool,
    live_dev: str | None,
    write_out: str | None,
    **key_args: Unpack[KeyArgs],
) -> None:
    """Interactive troubleshooting: pairings, ladder, findings and packets in one screen.

    CAPTURE "-" reads standard input (shown as it arrives)."""
    from bpdiag.tui.app import make_app
    from bpdiag.tui.sources import live_to_file, stdin_to_file

    if (capture is None) == (live_dev is None):
        _fail("give CAPTURE (a file, or - for standard input) or --live hciN")
    if write_out is not None and live_dev is None:
        _fail("--write goes with --live")
    if capture is not None and capture != "-" and not os.path.isfile(capture):
        _fail(f"{capture}: no such file")
    stop = None
    try:
        if live_dev is not None:
            with _reading(live_dev):
                capture, stop = live_to_file(live_dev, write_out)
            follow = True
        elif capture == "-":
            capture, stop = stdin_to_file()
            follow = True
        if capture is not None:
            keys = build_keyring(**key_args, show_keys=show_keys)
            app = make_app(capture, show_keys, keys, follow=follow)
            app.run()
            if app.return_code:  # the app ended on an internal error (said in one line)
                sys.exit(app.return_code)
    finally:
        if stop is not None:
            stop()


@main.command()
@click.argument("directory", type=click.Path(file_okay=False, exists=True))
@click.option("--update", is_flag=True, help="Record the current results as the expectations.")
@click.option(
    "--file", "exp_file", default=None, help="Expectations file (default DIR/expectations.toml)."
)
@_file_option(
    "--junit",
    "junit_out",
    help="Also write the results as JUnit XML (one testcase per capture) to this file.",
)
def check(directory: str, update: bool, exp_file: str | None, junit_out: str | None) -> None:
    """Compare every capture in DIRECTORY with its recorded expectations (regression test)."""
    import time
    from pathlib import Path

    from bpdiag import checking

    folder = Path(directory)
    path = checking.expectations_path(folder, exp_file)
    if update:
        try:
            done = checking.update(folder, path)
        except checking.CheckSetupError as exc:
            _fail(str(exc))
        for file, why in done.kept_unreadable:
            click.echo(f"kept the old entry of {file}: it cannot be read ({why})", err=True)
        for file in done.dropped_missing:
            click.echo(f"dropped the entry of {file}: no such capture in {folder}", err=True)
        click.echo(f"wrote {path} ({done.written} captures)")
        sys.exit(EXIT_FAILED if done.kept_unreadable else EXIT_OK)
    started = time.monotonic()
    try:
        results = checking.run_check(folder, path)
    except checking.CheckSetupError as exc:
        _fail(str(exc))
    for r in results:
        if r.mismatches:
            click.echo(r.text())
    click.echo(checking.summary(results))
    if junit_out:
        from bpdiag.report.junit import render_junit

        try:
            with open(junit_out, "w", encoding="utf-8") as out:
                out.write(render_junit(folder.resolve().name, results, time.monotonic() - started))
        except OSError as exc:
            _fail(f"{junit_out}: {exc.strerror or exc}")
        click.echo(f"wrote JUnit XML to {junit_out}")
    sys.exit(EXIT_FAILED if any(r.mismatches for r in results) else EXIT_OK)


@main.command()
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False),
    help="Folder for captures.parquet, pairings.parquet and findings.parquet.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes of the local Dask cluster (default: one per core).",
)
@click.option(
    "--scheduler",
    default=None,
    metavar="ADDRESS",
    help="Use an existing Dask cluster, e.g. tcp://host:8786, instead of a local one.",
)
@click.option(
    "--resume", is_flag=True, help="Skip files whose sha256 is already in --out (continue a batch)."
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.1),
    default=30.0,
    show_default=True,
    help="Seconds to wait for --scheduler to answer.",
)
def batch(
    paths: tuple[str, ...],
    out_dir: str,
    workers: int | None,
    scheduler: str | None,
    resume: bool,
    timeout: float,
) -> None:
    """Analyse many captures (files, folders, globs) into Parquet tables, on Dask."""
    if workers is not None and scheduler is not None:
        _fail("--workers and --scheduler exclude each other (the cluster has its workers)")
    try:
        from bpdiag.batch.runner import BatchError, run_batch
    except ImportError:
        _fail("bpdiag batch needs Dask and pyarrow: pip install 'bpdiag[batch]'")
    from bpdiag.report.batch import render_batch_summary

    bar = _batch_progress() if sys.stderr.isatty() else None
    try:
        if bar is not None:
            with bar as (_bar, update):
                summary = run_batch(
                    paths,
                    out_dir,
                    workers=workers,
                    scheduler=scheduler,
                    resume=resume,
                    timeout=timeout,
                    progress=update,
                )
        else:
            summary = run_batch(
                paths, out_dir, workers=workers, scheduler=scheduler, resume=resume, timeout=timeout
            )
    except BatchError as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(f"{out_dir}: {exc.strerror or exc}")
    click.echo(render_batch_summary(summary), nl=False)
    sys.exit(EXIT_OK)


@contextmanager
def _batch_progress() -> Iterator[tuple[object, Callable[[int, int, int], None]]]:
    """A progress bar on stderr: files done, rate, failures."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    progress = Progress(
        TextColumn("analysing"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]:.1f} files/s"),
        TextColumn("{task.fields[failures]} unreadable"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    task = progress.add_task("batch", total=None, rate=0.0, failures=0)
    import time

    start = time.monotonic()

    def update(done: int, total: int, failures: int) -> None:
        elapsed = max(time.monotonic() - start, 1e-9)
        progress.update(task, completed=done, total=total, rate=done / elapsed, failures=failures)

    with progress:
        yield progress, update


@main.command()
@click.argument("a", type=click.Path(dir_okay=False))
@click.argument("b", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the comparison as JSON.")
def compare(a: str, b: str, as_json: bool) -> None:
    """Compare the pairings of two captures side by side and say what explains the difference."""
    from bpdiag.diagnose import diagnose_file
    from bpdiag.report.compare import compare as do_compare
    from bpdiag.report.compare import render_compare

    analyses = []
    for path in (a, b):
        with _reading(path):  # an unreadable side is named: "bpdiag: nope: no such file"
            analyses.append(diagnose_file(path))
    result = do_compare(analyses[0], analyses[1])
    from bpdiag.report.terminal import escape_controls

    click.echo(
        json.dumps(result, indent=2) if as_json else escape_controls(render_compare(result)),
        nl=False,
    )
    if as_json:
        click.echo("")
    sys.exit(EXIT_FAILED if any(p["outcome_differs"] for p in result["pairings"]) else EXIT_OK)


@main.command()
@click.argument("target")
@click.option(
    "--backend",
    type=click.Choice([k.value for k in BackendKind]),
    default=BackendKind.BUMBLE.value,
    show_default=True,
)
@click.option("--adapter", default="hci0", show_default=True, help="BlueZ adapter (bluez).")
@click.option("--transport", default=None, help="Bumble transport, e.g. usb:0, hci-socket:0.")
@click.option(
    "--sim",
    "sim_spec",
    default=None,
    help="Simulated peripheral PROFILE[:key=value,…]. omron-bpm knobs: pairing-mode=on|off, "
    "forget-bond=on|off. generic knobs: io=CAP, mitm=on|off, sc=on|off, sc-only=on|off, "
    "bonding=on|off, max-key-size=N, refuse=REASON (e.g. 0x08), passkey=N, forget-bond=on|off. "
    "E.g. omron-bpm:pairing-mode=on or generic:io=DisplayOnly,mitm=on.",
)
@click.option(
    "--io",
    type=click.Choice(IO_CAPABILITIES, case_sensitive=False),
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
@_file_option(
    "--capture",
    "capture_out",
    help="Where to write the btsnoop of the attempt (default: a new file here).",
)
@_file_option(
    "--compare",
    "recorded",
    help="Compare the attempt with this recorded capture.",
)
@click.option(
    "--forget-bond",
    is_flag=True,
    help="Save the stored bond with TARGET (and say where), then remove it and pair afresh.",
)
@_file_option(
    "--keystore",
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
    import dataclasses
    import time
    from pathlib import Path

    from bpdiag.diagnose import diagnose_file
    from bpdiag.live.attempt import AttemptSpec, analyse_recording, make_backend
    from bpdiag.live.attempt import run as run_attempt
    from bpdiag.live.base import LiveError, PairParams, parse_key_distribution
    from bpdiag.report.attempt import attempt_json

    try:
        if transport is not None:
            from bpdiag.live.transports import check_transport_spec

            check_transport_spec(transport)
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
        backend=BackendKind(backend),
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
        backup = runner.bond_backup
        attempt = attempt_json(
            backend=spec.backend,
            via=getattr(runner, "via", ""),
            target=spec.target,
            params=dataclasses.asdict(spec.params),
            stack_result=stack_result,
            capture=str(capture),
            bond=None if backup is None else (str(backup.path), backup.restore),
            notes=runner.notes,
        )
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
        from bpdiag.report.json_report import pair_to_json

        click.echo(json.dumps(pair_to_json(analysis, attempt, comparison), indent=2))
    else:
        from bpdiag.report.compare import render_compare
        from bpdiag.report.text import render_text

        click.echo(f"attempt recorded in {capture}")
        from bpdiag.report.terminal import escape_controls

        click.echo(escape_controls(render_text(analysis)), nl=False)
        if comparison is not None:
            click.echo("")
            click.echo(escape_controls(render_compare(comparison)), nl=False)
    from bpdiag.analysis.model import Outcome

    paired = any(p.outcome == Outcome.SUCCESS for p in analysis.pairings) and not analysis.failed
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
        if doc["backend"] == BackendKind.BLUEZ:
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
    from bpdiag.live.transports import check_transport_spec

    def ready() -> None:
        click.echo(f"advertising {profile} as {address} on {transport}; Ctrl-C to stop", err=True)

    try:
        check_transport_spec(transport)
        spec = parse_profile(profile)
        # said once the controller is open and advertising, not before it may fail
        asyncio.run(serve(spec, transport, address, on_ready=ready))
    except LiveError as exc:
        _fail(f"{exc} ({exc.reason})")
    except KeyboardInterrupt:
        sys.exit(EXIT_OK)


def _explain_stack_result(result: str, as_json: bool, attempt: dict[str, object]) -> None:
    """Report a live attempt that left no pairing to analyse: the stack's result and the
    wire causes it can stand for."""
    from pathlib import Path

    from bpdiag.report.explain_text import render_stack_result, stack_result_json
    from bpdiag.rules.explain import explain as lookup

    hits = [] if result == "success" else lookup(result)
    if as_json:
        click.echo(json.dumps(stack_result_json(result, hits, attempt), indent=2))
    else:
        click.echo(render_stack_result(result, hits, Path(str(attempt["capture"]))), nl=False)


@main.command()
@click.argument("error", nargs=-1)
@click.option(
    "--file",
    "log",
    type=click.Path(dir_okay=False, allow_dash=True),
    help="A stack's log (logcat, bluetoothd, nRF Connect, a Zephyr or ESP-IDF console) whose "
    "known messages to explain, with their line numbers; - reads standard input.",
)
def explain(error: tuple[str, ...], log: str | None) -> None:
    """Explain an OS/library error message: its possible wire causes and how to capture them.

    A lone - as ERROR reads the messages from standard input, line by line, as --file - does."""
    from bpdiag.report.explain_text import render_explanations, render_unknown
    from bpdiag.rules.explain import explain as lookup

    if log is not None:
        if error:
            _fail("give either ERROR or --file LOG")
        _explain_log(log)
    if error == ("-",):  # a lone "-" is standard input, as `--file -` reads it
        _explain_log("-")
    if not error:
        _fail("missing argument ERROR (the message, or --file LOG)")
    text = " ".join(error)
    hits = lookup(text)
    if not hits:
        click.echo(render_unknown(text), nl=False)
        sys.exit(EXIT_FAILED)
    click.echo(render_explanations(hits), nl=False)
    sys.exit(EXIT_OK)


def _explain_log(log: str) -> NoReturn:
    from bpdiag.capture.bugreport import open_log
    from bpdiag.errors import UnreadableCapture
    from bpdiag.report.explain_text import render_log
    from bpdiag.report.terminal import escape_controls
    from bpdiag.rules.explain import explain_lines

    try:
        name, raw = open_log(log)  # decompressed, or a bug report zip's text
    except UnreadableCapture as exc:
        _fail(f"{log}: {exc}")
    except OSError as exc:
        _fail(f"{log}: {exc.strerror or exc}")
    stream = io.TextIOWrapper(raw, encoding="utf-8", errors="replace")
    damage: list[str] = []

    def lines() -> Iterator[str]:
        try:
            yield from stream
        except OSError as exc:  # a damaged compressed stream: what came before is told
            damage.append(str(exc.strerror or exc))

    with stream:
        result = explain_lines(lines())
    click.echo(escape_controls(render_log(name, result)), nl=False)
    if damage:
        click.echo(
            escape_controls(
                f"{name}: the text ends at line {result.lines + 1}: {damage[0]} (the lines "
                "before it are explained above)"
            ),
            err=True,
        )
    sys.exit(EXIT_OK if result.found else EXIT_FAILED)


if __name__ == "__main__":  # pragma: no cover
    main()


from bpdiag.cli_decrypt import decrypt  # noqa: E402  (registered last: a command of its own)

main.add_command(decrypt)
