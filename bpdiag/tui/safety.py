"""What the TUI may put on screen: no key bytes, no markup or control codes from a capture,
no traceback with local variables.

- ``literal``: capture text (log lines, device names, finding details that quote them) as a
  ``Text`` — never parsed as Textual markup (``[link=…`` crashed the app, ``[hci0]``
  vanished), control characters shown as escapes.
- ``hides_key_bytes``: whether a packet's bytes hold key material that must not be dumped
  (a field redacted, or MGMT key records whose parameters are withheld).
- ``redact_dissection``: scapy's dissection of a raw frame with key fields redacted (the
  names bpdiag's declarations call secret: LTK, IRK, CSRK, link key, PIN, passkey, numeric
  value — scapy names them as the spec and bpdiag do); for a frame bpdiag knows carries
  keys, raw payload bytes and hex dumps are withheld too.
- ``SafeCrash``: a mixin for the App: an unexpected exception ends the app with one line
  (exit status 3), not Textual's traceback that prints local variables (the bytes of the
  record being parsed, keys among them).
"""

from __future__ import annotations

import re
from typing import Any

from rich.text import Text

from bpdiag.decode.secret_fields import SECRET_KEYS
from bpdiag.exits import EXIT_INTERNAL, one_line
from bpdiag.report.terminal import escape_controls

REDACTED = "redacted"

# scapy's field names (scapy.layers.bluetooth / bluetooth4LE) for key material are the keys
# bpdiag's declarations call secret, in any case (scapy's Remote OOB Data Request Reply names
# its C and R in capitals; tests/tui/test_tui_safety.py dissects each with scapy).
_KEY_LINE = re.compile(
    r"^(\s*(?:" + "|".join(sorted(SECRET_KEYS)) + r")\s*=).*$", re.MULTILINE | re.IGNORECASE
)
_LOAD_LINE = re.compile(r"^(\s*load\s*=).*$", re.MULTILINE)


def literal(value: object, style: str = "") -> Text:
    """``value`` as plain text: no markup, control characters escaped."""
    return Text(escape_controls(str(value)), style=style)


def hides_key_bytes(fields: dict[str, object], show_keys: bool) -> bool:
    """Whether a packet with these decoded ``fields`` must not have its bytes shown."""
    if show_keys:
        return False
    for value in fields.values():
        if value == REDACTED:
            return True
        if isinstance(value, str) and value.startswith("withheld"):
            return True
    return False


def redact_dissection(text: str, show_keys: bool, carries_keys: bool) -> str:
    """scapy's ``show(dump=True)`` text (or a hex dump) made safe to show.

    Key fields always read ``redacted`` unless ``show_keys``.  When bpdiag's own decoding of
    the frame found key material (``carries_keys``), any raw ``load`` bytes are withheld as
    well, and a hex dump (scapy could not dissect the frame) is replaced whole."""
    if show_keys:
        return text
    text = _KEY_LINE.sub(r"\1 " + REDACTED, text)
    if carries_keys:
        if "###[" not in text:  # a bare hex dump
            return "(bytes withheld: this frame holds key material; start with --show-keys)"
        text = _LOAD_LINE.sub(r"\1 withheld (key material; start with --show-keys)", text)
    return text


class SafeCrash:
    """Mix into a Textual ``App`` (before ``App`` in the bases)."""

    def _handle_exception(self, error: Exception) -> None:
        app: Any = self
        app._return_code = EXIT_INTERNAL
        if app._exception is None:  # kept for test frameworks, as Textual does
            app._exception = error
            app._exception_event.set()
        app.panic(
            Text(
                f"bpdiag: internal error in the TUI ({one_line(error)}); please report it "
                "with the capture's format and what you did"
            )
        )
