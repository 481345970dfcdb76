"""Exit statuses, and the guard that makes every way out of the CLI one of them.

``1`` means "a pairing (or an encryption) failed", so nothing else may end with 1: not a
crash (Python's default for an uncaught exception), not Ctrl-C (Click's default for
``Abort``), not an output error at interpreter shutdown (120).  ``GuardedGroup`` runs the
command, flushes standard output while errors can still be reported, and maps each
unexpected end to its own status with one line on stderr and no traceback (a traceback can
print the bytes being parsed, keys among them; set ``BPDIAG_TRACEBACK=1`` for a plain one,
never with local variables).  docs/cli.md lists the statuses.
"""

from __future__ import annotations

import errno
import os
import sys
import traceback
from collections.abc import Sequence
from typing import Any, NoReturn

import click

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_UNREADABLE = 2
EXIT_INTERNAL = 3
"""An unexpected error inside bpdiag (a bug; MemoryError included): please report it."""
EXIT_OUTPUT = 4
"""The output could not be written (disk full, I/O error, output closed with an error)."""
EXIT_INTERRUPTED = 130
"""Interrupted (Ctrl-C), as shells report SIGINT."""

_OUTPUT_ERRNOS = frozenset(
    {errno.ENOSPC, errno.EIO, errno.EFBIG, errno.EROFS, getattr(errno, "EDQUOT", errno.ENOSPC)}
)


def _say(message: str) -> None:
    try:
        sys.stderr.write(f"bpdiag: {message}\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass


def _silence_stdout() -> None:
    """After a failed write, point fd 1 at /dev/null so the interpreter's own flush at exit
    does not fail again (and print its own message)."""
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)
    except (OSError, ValueError, AttributeError):
        pass


def _flush_stdout() -> None:
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        _silence_stdout()
    except OSError as exc:
        _silence_stdout()
        _say(f"cannot write the output: {exc.strerror or exc}")
        sys.exit(EXIT_OUTPUT)


def is_output_error(exc: OSError) -> bool:
    """An error writing (disk full, I/O error) rather than one opening a named file."""
    return exc.errno in _OUTPUT_ERRNOS and exc.filename is None


def one_line(exc: BaseException) -> str:
    """``Type: message`` on one line, control characters escaped."""
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    text = " ".join(text.split())
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text)[:300]


def internal_error(exc: BaseException) -> NoReturn:
    """Report an unexpected exception in one line and exit ``EXIT_INTERNAL``."""
    if isinstance(exc, MemoryError):
        _silence_stdout()  # a half-written report must not be mistaken for a whole one
    if os.environ.get("BPDIAG_TRACEBACK"):
        # Frames and lines only: traceback.format_exception never prints local variables.
        sys.stderr.write("".join(traceback.format_exception(exc)))
    _say(f"internal error ({one_line(exc)}); please report it with the command line used")
    sys.exit(EXIT_INTERNAL)


class GuardedGroup(click.Group):
    """A Click group whose every exit is a documented status (see the module docstring)."""

    def main(  # type: ignore[override]
        self, args: Sequence[str] | None = None, *a: Any, **kw: Any
    ) -> Any:
        if kw.get("standalone_mode", True) is False:
            return super().main(args, *a, **kw)
        kw["standalone_mode"] = False
        try:
            rv = super().main(args, *a, **kw)
        except SystemExit as exc:
            _flush_stdout()
            raise exc
        except click.exceptions.Exit as exc:
            _flush_stdout()
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            exc.show()
            sys.exit(exc.exit_code)  # 2 for usage errors
        except (click.Abort, KeyboardInterrupt, EOFError):
            _say("interrupted")
            sys.exit(EXIT_INTERRUPTED)
        except BrokenPipeError:
            _silence_stdout()
            sys.exit(EXIT_OK)
        except OSError as exc:
            if not is_output_error(exc):
                internal_error(exc)
            _silence_stdout()
            _say(f"cannot write the output: {exc.strerror or exc}")
            sys.exit(EXIT_OUTPUT)
        except Exception as exc:  # anything else is a bug: one line, its own status
            internal_error(exc)
        _flush_stdout()
        sys.exit(rv if isinstance(rv, int) else EXIT_OK)
