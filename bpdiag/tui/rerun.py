"""The TUI's rerun dialog (key ``p``) and compare view (key ``v``).

The dialog starts from the selected pairing (``bpdiag.tui.model.rerun_defaults``): the local
parameters of the recorded Pairing Request, the recorded peripheral as the target and a
simulated peer modelled on the recorded responder.  It returns an ``AttemptSpec``; the app
runs it exactly as ``bpdiag pair`` does, in a worker thread, and shows the comparison.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, DataTable, Input, Label, Select, Static

from bpdiag.live.attempt import AttemptSpec
from bpdiag.live.base import (
    IO_CAPABILITIES,
    BackendKind,
    LiveError,
    PairParams,
    Reason,
    parse_key_distribution,
)
from bpdiag.report.compare import fmt_value
from bpdiag.tui.model import RerunDefaults
from bpdiag.tui.safety import literal
from bpdiag.tui.widgets import MarkedCheckbox


def rerun_capture_path(stamp: str) -> Path:
    """Where a rerun is recorded by default: ``$BPDIAG_STATE_DIR`` or the user's state
    directory (``~/.local/state/bpdiag/reruns`` on Linux), never the working directory."""
    import os

    base = os.environ.get("BPDIAG_STATE_DIR")
    if base:
        root = Path(base)
    else:
        from platformdirs import user_state_path

        root = user_state_path("bpdiag")
    return root / "reruns" / f"bpdiag-rerun-{stamp}.btsnoop"


@dataclass(slots=True)
class RerunRequest:
    spec: AttemptSpec
    capture: Path


class RerunScreen(ModalScreen[RerunRequest | None]):
    """Parameters of a new attempt, prefilled from the selected pairing."""

    DEFAULT_CSS = """
    RerunScreen { align: center middle; }
    #rerun { width: 96; height: 95%; border: thick $primary;
             background: $surface; padding: 0 1; }
    #rerun-form { height: 1fr; }
    #rerun Grid { grid-size: 2; grid-columns: 18 1fr; grid-rows: auto; height: auto; }
    #rerun Label { padding: 1 0 0 0; }
    #rerun Input, #rerun Select { width: 1fr; }
    #flags { height: auto; }
    #source { color: $text-muted; padding: 0 0 1 0; }
    #rerun-error { color: $error; height: auto; }
    #buttons { height: auto; align: right middle; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, defaults: RerunDefaults, capture: Path) -> None:
        super().__init__()
        self.defaults = defaults
        self.capture = capture

    def compose(self) -> ComposeResult:
        d = self.defaults
        with Vertical(id="rerun"):
            yield Static(
                Text(
                    "Rerun this pairing with other settings (Enter runs, Esc cancels)", style="bold"
                )
            )
            yield Static(
                d.source + ".\nThe simulated peer answers like the recorded one; edit it "
                "(e.g. omron-bpm:pairing-mode=on), or clear it and give a transport or choose "
                "bluez to try the real device.",
                id="source",
            )
            with VerticalScroll(id="rerun-form"), Grid():
                yield Label("Backend")
                yield Select(
                    [(k.value, k.value) for k in BackendKind],
                    value=BackendKind.BUMBLE.value,
                    allow_blank=False,
                    id="backend",
                )
                yield Label("Simulated peer")
                yield Input(d.sim, id="sim", placeholder="omron-bpm:pairing-mode=on, generic:…")
                yield Label("Transport")
                yield Input("", id="transport", placeholder="usb:0, hci-socket:0 (instead of sim)")
                yield Label("Adapter (bluez)")
                yield Input("hci0", id="adapter")
                yield Label("Target")
                yield Input(d.target, id="target")
                yield Label("IO capability")
                yield Select(
                    [(io, io) for io in IO_CAPABILITIES], value=d.io, allow_blank=False, id="io"
                )
                yield Label("Key size")
                yield Input(str(d.key_size), id="key_size", type="integer")
                yield Label("Initiator keys")
                yield Input(d.init_keys, id="init_keys", placeholder="EncKey,IdKey,SignKey or none")
                yield Label("Responder keys")
                yield Input(d.resp_keys, id="resp_keys", placeholder="EncKey,IdKey,SignKey or none")
                yield Label("Passkey")
                yield Input("", id="passkey", placeholder="six digits, typed when asked")
                yield Label("Capture")
                yield Input(str(self.capture), id="capture")
            with Horizontal(id="flags"):
                yield MarkedCheckbox("MITM", d.mitm, id="mitm")
                yield MarkedCheckbox("Secure Connections", d.sc, id="sc")
                yield MarkedCheckbox("Bonding", d.bond, id="bond")
                yield MarkedCheckbox("Forget bond (saved first)", False, id="forget_bond")
            yield Static("", id="rerun-error")
            with Horizontal(id="buttons"):
                yield Button("Run", variant="primary", id="run")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        # a field has the focus at once, so the first Enter runs (Tab moves on)
        self.query_one("#sim", Input).focus()

    def _value(self, ident: str) -> str:
        return self.query_one(f"#{ident}", Input).value.strip()

    def _keys(self, ident: str, backend: BackendKind) -> int | None:
        """A key distribution field; on bluez only the kernel's choice can be used, so an
        unchanged field means "the stack's default" there."""
        text = self._value(ident)
        if backend is BackendKind.BLUEZ and text == getattr(self.defaults, ident):
            return None
        return parse_key_distribution(text) if text else None

    def build(self) -> RerunRequest:
        """The request the form describes; ``LiveError`` says what is wrong with it."""
        try:
            key_size = int(self._value("key_size") or "16")
            passkey = int(self._value("passkey")) if self._value("passkey") else None
        except ValueError:
            raise LiveError("key size and passkey take numbers", Reason.USAGE) from None
        backend = BackendKind(str(self.query_one("#backend", Select).value))
        sim = self._value("sim") or None
        transport = self._value("transport") or None
        if backend is BackendKind.BUMBLE and (sim is None) == (transport is None):
            raise LiveError(
                "the bumble backend needs a simulated peer or a transport (one of them)",
                Reason.USAGE,
            )
        if backend is BackendKind.BLUEZ:
            sim = transport = None
        params = PairParams(
            io=str(self.query_one("#io", Select).value),
            mitm=self.query_one("#mitm", Checkbox).value,
            sc=self.query_one("#sc", Checkbox).value,
            bond=self.query_one("#bond", Checkbox).value,
            key_size=key_size,
            passkey=passkey,
            init_keys=self._keys("init_keys", backend),
            resp_keys=self._keys("resp_keys", backend),
        )
        params.check()
        spec = AttemptSpec(
            target=self._value("target") or "sim",
            params=params,
            backend=backend,
            sim=sim,
            transport=transport,
            adapter=self._value("adapter") or "hci0",
            forget_bond=self.query_one("#forget_bond", Checkbox).value,
        )
        return RerunRequest(spec, Path(self._value("capture") or str(self.capture)))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "cancel":
            self.dismiss(None)
            return
        self._run()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter in any field runs, as in a form (the Run button may be scrolled away)."""
        event.stop()
        self._run()

    def _run(self) -> None:
        try:
            request = self.build()
        except LiveError as exc:
            self.query_one("#rerun-error", Static).update(literal(exc))
            return
        self.dismiss(request)

    def action_cancel(self) -> None:
        self.dismiss(None)


class CompareWithScreen(ModalScreen[Path | None]):
    """Asks for a capture to compare the loaded one with."""

    DEFAULT_CSS = """
    CompareWithScreen { align: center middle; }
    #compare-with { width: 80; height: auto; border: thick $primary; background: $surface;
                    padding: 0 1; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def compose(self) -> ComposeResult:
        with Vertical(id="compare-with"):
            yield Static("Compare with which capture? (Enter to compare, Esc to cancel)")
            yield Input(placeholder="path to a capture", id="other")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        value = event.value.strip()
        self.dismiss(Path(value) if value else None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class CompareScreen(ModalScreen[None]):
    """Two captures' pairings side by side (``bpdiag compare``), differences marked, what
    explains a different outcome said, and each side's findings."""

    DEFAULT_CSS = """
    CompareScreen { align: center middle; }
    #compare { width: 96%; height: 92%; border: thick $primary; background: $surface; }
    #compare-table { height: 1fr; }
    #compare-summary { height: auto; max-height: 14; overflow-y: auto; padding: 0 1; }
    """
    BINDINGS = [Binding("escape", "close", "Close"), Binding("q", "close", "Close")]

    def __init__(
        self,
        result: dict[str, Any],
        findings_b: list[str],
        notes: list[str],
        labels: tuple[str, str] = ("this capture", "other capture"),
    ) -> None:
        super().__init__()
        self.result = result
        self.labels = labels
        self.findings_b = findings_b
        self.notes = notes

    def compose(self) -> ComposeResult:
        with Vertical(id="compare"):
            yield Static(
                Text(
                    f"A ({self.labels[0]}): {self.result['a']}\n"
                    f"B ({self.labels[1]}): {self.result['b']}",
                    style="bold",
                ),
                id="compare-head",
            )
            yield DataTable(id="compare-table", cursor_type="row")
            yield Static(self.summary(), id="compare-summary")

    def summary(self) -> Text:
        out = Text()
        for pair in self.result["pairings"]:
            if pair["outcome_differs"]:
                out.append(f"Pairing {pair['index']}: the outcomes differ; explained by: ", "bold")
                out.append(", ".join(pair["explained_by"]) + "\n", "yellow")
                if pair.get("other_differences"):
                    out.append(
                        "  also different (the peer's state explains it without them): "
                        + ", ".join(pair["other_differences"])
                        + "\n"
                    )
            else:
                out.append(f"Pairing {pair['index']}: same outcome.\n")
        fa, fb = self.result["findings"]["a"], self.result["findings"]["b"]
        out.append(f"Findings A: {', '.join(fa) or 'none'}\n")
        out.append(f"Findings B: {', '.join(fb) or 'none'}\n")
        for line in self.findings_b:
            out.append(f"  {line}\n")
        for note in self.notes:
            out.append(f"note: {note}\n", "italic")
        out.append("Esc closes.")
        return out

    def on_mount(self) -> None:
        table = self.query_one("#compare-table", DataTable)
        table.add_columns(" ", "parameter", "A", "B")
        if not self.result["pairings"]:
            table.add_row("", "no pairing in either capture", "", "")
        for pair in self.result["pairings"]:
            table.add_row("", Text(f"Pairing {pair['index']}", style="bold"), "", "")
            explaining = set(pair["explained_by"])
            for r in pair["rows"]:
                style = "bold yellow" if r["parameter"] in explaining else ""
                table.add_row(
                    "≠" if r["differs"] else "",
                    Text(r["parameter"], style=style),
                    fmt_value(r["a"]),
                    fmt_value(r["b"]),
                )

    def action_close(self) -> None:
        self.dismiss(None)
