"""``bpdiag tui CAPTURE``: connections and pairings, the ladder, findings and packets.

The capture loads in a worker thread (the cancellable loader, bpdiag.tui.loader) that posts
typed messages (bpdiag.tui.messages: progress, done) back to the UI, so the screen is usable
at once.  The model and the loader never import Textual; the styles are in app.tcss and the
small widgets in bpdiag.tui.widgets.
"""

from __future__ import annotations

import gc
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import (
    DataTable,
    Footer,
    Header,
    Input,
    ProgressBar,
    Static,
    Tree,
)
from textual.widgets.tree import TreeNode

from bpdiag.analysis.gc_pause import gc_paused
from bpdiag.analysis.job import Cancelled
from bpdiag.errors import BpdiagError
from bpdiag.tui.loader import LoadJob, load_capture
from bpdiag.tui.messages import Compared, Finished, LoadFailed, Progressed, RerunDone
from bpdiag.tui.model import (
    Loaded,
    PacketRow,
    RawFrame,
    dissect,
    field_spans,
    filter_rows,
    frames_around,
    hexdump_marked,
    ladder_lines,
    opening_pairing,
    raw_frame_detail,
    raw_frame_summary,
    rerun_defaults,
    rerun_defaults_without_pairing,
    undecoded_holds_keys,
)
from bpdiag.tui.safety import SafeCrash, hides_key_bytes, literal, redact_dissection
from bpdiag.tui.widgets import (
    CaptureTree,
    FilterInput,
    HelpScreen,
    ScrollPane,
    TextTable,
    wrap_marked,
)

if TYPE_CHECKING:  # the analysis, the reports and the live stack load when first needed
    from bpdiag.analysis.index import AnalysisIndex
    from bpdiag.analysis.model import Analysis, Pairing
    from bpdiag.crypto.keyring import Keyring
    from bpdiag.rules.diagnosis import Diagnosed
    from bpdiag.tui.rerun import RerunRequest

ALL_FRAMES_LIMIT = 20_000
# The packet table holds at most this many rows: a window of the matching packets (all of
# them on most captures), moved to the evidence when a finding is selected.
PACKET_WINDOW = 2_000
# Above this many connections and pairings the tree adds a connection's pairings when it is
# expanded; the findings table shows the first FINDINGS_WINDOW findings.
EAGER_TREE_NODES = 2_000
FINDINGS_WINDOW = 2_000
PROGRESS_EVERY_S = 0.25  # the loader reports at most this often

# the limits as the help says them
_PACKETS, _FRAMES = f"{PACKET_WINDOW:,}", f"{ALL_FRAMES_LIMIT:,}"
_NODES, _FINDINGS = f"{EAGER_TREE_NODES:,}", f"{FINDINGS_WINDOW:,}"

HELP = f"""\
bpdiag TUI — keys
  ↑/↓, Enter   move / select in the focused pane
  Tab          next pane
  a  s  e      packets: all / security only / errors only
  c            packets: only the selected connection (again: all connections)
  /            text filter for packets (Esc clears it and leaves the box)
               (over {_PACKETS} matching packets, the list holds {_PACKETS} of them, from the
               first or around a selected finding's evidence; its title says which)
  f            every frame (around the selected packet on captures over {_FRAMES} records),
               dissected by scapy; f again returns to the decoded PDUs
  r            write a shareable HTML report beside the capture (the path is shown)
  p            rerun the selected pairing live with other settings (prefilled from it;
               a simulated peer modelled on the recorded one, or a real transport/BlueZ;
               without a recorded pairing: pair afresh with the peripheral); the attempt
               is recorded under bpdiag's state directory unless you give another path
  v            compare view: the last rerun against this capture (or ask for a capture)
  ?            this help
  q            quit
Selecting a finding highlights its evidence frames in the ladder and the packet list
and shows its detail and fix in the pane under the packets (Tab to it; ↑/↓ PgUp/PgDn
scroll). The tree marks every connection and pairing ✓ (succeeded) or ✗ (failed); a
failed pairing's ladder ends with what would work. Ladder times are +seconds since the
pairing began, as in `bpdiag analyze` and the HTML report. On a capture of over {_NODES}
connections and pairings a connection's pairings appear when it is expanded (Enter), and
the findings table lists the first {_FINDINGS} findings (a connection's own are on its page).
Key values are redacted unless started with --show-keys."""


class BpdiagApp(SafeCrash, App[None]):
    CSS_PATH = "app.tcss"  # package data (pyproject)
    BINDINGS = [
        Binding("q", "quit", "Quit"),
        Binding("a", "mode('all')", "All"),
        Binding("s", "mode('security')", "Security"),
        Binding("e", "mode('errors')", "Errors"),
        Binding("c", "by_connection", "Connection"),
        Binding("slash", "filter", "Filter"),
        Binding("f", "frames", "Frames around"),
        Binding("r", "report", "HTML report"),
        Binding("p", "rerun", "Rerun"),
        Binding("v", "compare", "Compare"),
        Binding("question_mark", "help", "Help"),
    ]

    def __init__(
        self,
        path: str,
        show_keys: bool = False,
        keys: Keyring | None = None,
        follow: bool = False,
    ) -> None:
        super().__init__()
        self.path = path
        self.show_keys = show_keys
        self.keys = keys  # --ltk / --tk / --keys / --keys-from (bpdiag.crypto.keyring)
        self.follow = follow  # reload while the file grows (tui --follow / --live / -)
        self.followed_size = -1
        self.loaded: Loaded | None = None
        self.job: LoadJob | None = None  # the load under way
        self.mode = "all"
        self.text = ""
        self.connection: int | None = None
        self.selected_connection: int | None = None
        self.highlight: set[int] = set()
        self.matching: list[PacketRow] = []  # every packet the filters let through
        self.shown_rows: list[PacketRow] = []  # the window of them in the table
        self.window_start = 0
        self.detail_row: PacketRow | None = None
        self.detail_span: tuple[int, int] | None = None
        self.raw_frames: dict[int, RawFrame] | None = None
        self.ladder_text = Text()
        self.ladder_width = 0  # the width the ladder pane's text was wrapped to
        self.ladder_pairing: int | None = None
        self._first_failed: TreeNode[Any] | None = None
        self._unfilled: set[int] = set()  # connections whose pairing leaves are not added yet
        self.last_attempt: tuple[Diagnosed, list[str]] | None = None
        self.title = f"bpdiag — {path}"

    def compose(self) -> ComposeResult:
        yield Header()
        yield ProgressBar(id="progress", show_eta=False)
        yield Static("", id="problems")
        with Horizontal():
            with Vertical(id="left"):
                yield CaptureTree("capture", id="tree")
            with Vertical():
                with ScrollPane(id="ladder-pane"):
                    yield Static("Loading…", id="ladder")
                yield TextTable(id="findings", cursor_type="row")
            with Vertical():
                yield FilterInput(placeholder="filter packets… (Esc clears)", id="filter")
                yield TextTable(id="packets", cursor_type="row")
                yield DataTable(id="fields", cursor_type="row")
                with ScrollPane(id="detail-pane"):
                    yield Static("", id="detail")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#findings", DataTable).add_columns("sev", "code", "frames")
        self.query_one("#packets", DataTable).add_columns("#", "dir", "conn", "layer", "PDU")
        self.query_one("#fields", DataTable).add_columns("field", "value")
        # the first screen is drawn before the loader takes the CPU
        self.call_after_refresh(self.load_capture)
        if self.follow:
            self.set_interval(2.0, self.reload_if_grown)

    def reload_if_grown(self) -> None:
        """--follow: read the capture again when it has grown since the last load."""
        try:
            size = os.path.getsize(self.path)
        except OSError:
            return
        if size != self.followed_size and self.loaded is not None:
            self.followed_size = size
            self.load_capture()

    @work(thread=True, exclusive=True)
    def load_capture(self) -> None:
        """Read the capture (again, under --follow) off the UI thread; a load still running
        is cancelled first (exclusive workers are only marked cancelled: the job stops it)."""
        last = 0.0

        def progress(done: int, total: int, decoded: int) -> None:
            nonlocal last
            now = time.monotonic()
            if now - last >= PROGRESS_EVERY_S:
                last = now
                self.post_message(Progressed(done, total, decoded))

        job = LoadJob(progress)
        if self.job is not None:
            self.job.cancel()
        self.job = job
        try:
            loaded = load_capture(self.path, self.show_keys, self.keys, job)
        except Cancelled:
            return
        except (BpdiagError, OSError) as exc:
            self.post_message(LoadFailed(str(exc)))
            return
        finally:
            if self.job is job:
                self.job = None
        self.post_message(Finished(loaded))

    def on_unmount(self) -> None:
        if self.job is not None:
            self.job.cancel()  # a child process reading a large capture ends with the app

    # ---------------------------------------------------------------- messages
    def on_progressed(self, msg: Progressed) -> None:
        bar = self.query_one("#progress", ProgressBar)
        bar.update(total=max(msg.total, 1), progress=msg.done)
        if self.loaded is None:
            self.query_one("#ladder", Static).update(f"Reading… {msg.decoded} PDUs decoded so far")

    def on_load_failed(self, msg: LoadFailed) -> None:
        self.query_one("#ladder", Static).update(literal(f"Cannot read {self.path}: {msg.error}"))

    def on_finished(self, msg: Finished) -> None:
        # The tree, the tables and the ladder live as long as the analysis they show: made
        # with the collector paused and frozen with it, as the loader froze the analysis
        # (on a log of thousands of connections the collections that walked the new tree
        # nodes again and again were over a second); the next load thaws them all.
        with gc_paused():
            self.show_loaded(msg.loaded)
            gc.freeze()

    def show_loaded(self, loaded: Loaded) -> None:
        """Fill the screen with a finished load (a reload under --follow replaces it)."""
        from bpdiag.analysis.model import Outcome
        from bpdiag.report.problems import describe as describe_problem

        self.loaded = loaded
        a = loaded.analysis
        self.query_one("#progress", ProgressBar).display = False
        if a.problems:
            first = a.problems[0]
            self.query_one("#problems", Static).update(
                literal(
                    f"{len(a.problems) + a.problems_dropped} problem(s) reading the capture; "
                    f"first: {describe_problem(first)}"
                )
            )
        tree = self.query_one("#tree", Tree)
        tree.root.remove_children()  # a reload (--follow) replaces what was shown
        self.query_one("#findings", DataTable).clear()
        tree.root.set_label(f"{a.capture.format} · {a.capture.records} records")
        index = _index(a)  # pairings by connection: no scan of them all per connection
        # A capture of thousands of connections (a day-long log) gets its pairing leaves
        # when a connection is expanded, except where the app opens; the others at once.
        lazy = len(a.connections) + len(a.pairings) > EAGER_TREE_NODES
        self._unfilled = set()
        for conn in a.connections:
            pairings = index.pairings_of(conn.id)
            node = tree.root.add(
                Text(f"{self._connection_mark(conn.id)} Connection {conn.id}"),
                data=("conn", conn.id),
                expand=not lazy,
                allow_expand=not lazy or bool(pairings),
            )
            if not lazy or (
                self._first_failed is None and any(p.outcome == Outcome.FAILED for p in pairings)
            ):
                self._fill(node, pairings)
                if lazy:
                    node.expand()
            else:
                self._unfilled.add(conn.id)
        tree.root.expand()
        findings = self.query_one("#findings", DataTable)
        findings.border_title = (
            f"findings 1–{FINDINGS_WINDOW} of {len(a.findings)} (a connection's own are on "
            "its page; `bpdiag analyze` lists all)"
            if len(a.findings) > FINDINGS_WINDOW
            else None
        )
        for i, f in enumerate(a.findings[:FINDINGS_WINDOW]):
            # Text, as in the packet list: measured by TextTable, never parsed as markup
            findings.add_row(
                Text(f.severity), Text(f.code), Text(", ".join(map(str, f.frames))), key=str(i)
            )
        # open on the first failed pairing (that is what the user came for), else the first
        opening = opening_pairing(a)
        if opening is not None:
            self.show_pairing(opening.id)
            if self._first_failed is not None:
                # once the tree is laid out: a node has no line before, and a region
                # scrolled to before the pane has its width scrolls the tree sideways
                self.call_after_refresh(self._cursor_to, tree, self._first_failed)
        else:
            self.query_one("#ladder", Static).update("No pairing in this capture.")
        self.refresh_packets()

    # ---------------------------------------------------------------- views
    def show_pairing(self, pairing_id: int) -> None:
        from bpdiag.analysis.index import pairing_with
        from bpdiag.analysis.model import CheckResult, Outcome
        from bpdiag.report.text import _suggestion, check_rows, pairing_headline

        if self.loaded is None:
            return
        p = pairing_with(self.loaded.analysis, pairing_id)
        if p is None:
            return
        self.selected_connection = p.connection
        failed = p.failure.frame if p.failure is not None else None
        ladder = Text()
        ladder.append(pairing_headline(p) + "\n\n", style="bold")
        width = self._ladder_width()
        for frame, text in ladder_lines(p, self.show_keys, width - 2):
            mark = "▶ " if frame in self.highlight else "  "
            if frame == failed:
                style = "bold red"  # Pairing Failed, with its reason
            elif frame in self.highlight:
                style = "bold yellow"  # evidence of the selected finding
            elif frame == p.encrypted_frame:  # the line saying link encryption started
                style = "green"
            else:
                style = ""
            for part in wrap_marked(mark, text, width):
                ladder.append(part + "\n", style=style)
        for line, result in check_rows(p):
            style = "green" if result in (None, CheckResult.MATCH) else "red"
            for part in wrap_marked("", line, width):
                ladder.append(part + "\n", style=style)
        if p.outcome == Outcome.FAILED:
            for line in _suggestion(self.loaded.analysis, p.id):
                for part in wrap_marked("", line, width):
                    ladder.append(part + "\n", style="bold cyan" if "What would" in part else "")
        self.ladder_text, self.ladder_width = ladder, width
        self.query_one("#ladder", Static).update(ladder)
        self.ladder_pairing = pairing_id

    def _ladder_width(self) -> int:
        """Columns inside the ladder pane (border and scrollbar taken off)."""
        w = self.query_one("#ladder-pane").scrollable_content_region.width
        return max(24, w - 1) if w else 60

    def _connection_mark(self, conn_id: int) -> str:
        from bpdiag.analysis.model import Outcome

        assert self.loaded is not None
        index = _index(self.loaded.analysis)
        pairings = [p.outcome for p in index.pairings_of(conn_id)]
        statuses = [e.status for e in index.encryptions_of(conn_id)]
        if Outcome.FAILED in pairings or any(st != 0 for st in statuses):
            return "✗"
        if Outcome.SUCCESS in pairings or statuses:
            return "✓"
        return "·"

    def show_connection(self, conn_id: int) -> None:
        """A connection's own story: its pairings' outcomes, encryptions and findings (a
        reconnection that only encrypts, e.g. with a lost bond, has no pairing ladder)."""
        from bpdiag.report.text import explain_encryption
        from bpdiag.rules.base import Severity

        if self.loaded is None:
            return
        a = self.loaded.analysis
        self.selected_connection = conn_id
        self.ladder_pairing = None
        conn = _index(a).connection(conn_id)
        if conn is None:
            return
        width = self._ladder_width()
        out = Text()
        out.append(f"{self._connection_mark(conn_id)} Connection {conn_id}\n\n", style="bold")
        for role, ep in (("central", conn.central), ("peripheral", conn.peripheral)):
            out.append(f"  {role:<10} {ep.address or 'unknown'} ({ep.address_type or '?'})\n")
        pairings = _index(a).pairings_of(conn_id)
        if pairings:
            out.append("\n")
            for p in pairings:
                out.append(f"  Pairing {p.id}: {p.outcome}\n")
        else:
            out.append("\n  No pairing on this connection.\n")
        for e in _index(a).encryptions_of(conn_id):
            for part in wrap_marked("  ", explain_encryption(e), width):
                out.append(part + "\n", style="red" if e.status else "green")
        for f in (f for f in a.findings if f.connection == conn_id and f.pairing is None):
            out.append("\n")
            for part in wrap_marked("  ", f"[{f.severity}] {f.code}: {f.title}", width):
                out.append(
                    part + "\n", style="bold red" if f.severity == Severity.ERROR else "yellow"
                )
        if conn.disconnect_reason_name:
            out.append(f"\n  disconnected: {conn.disconnect_reason_name}\n")
        self.ladder_text, self.ladder_width = out, width
        self.query_one("#ladder", Static).update(out)

    def on_scroll_pane_resized(self, event: ScrollPane.Resized) -> None:
        if event.pane.id != "ladder-pane" or self.loaded is None:
            return
        if self._ladder_width() == self.ladder_width:
            # only the height changed (the progress bar went away when the load ended):
            # the text is wrapped to this width already, and drawing it again would lay
            # the whole screen out once more
            return
        if self.ladder_pairing is not None:
            self.show_pairing(self.ladder_pairing)
        elif self.selected_connection is not None:
            self.show_connection(self.selected_connection)

    def refresh_packets(self, around: int | None = None) -> None:
        """Fill the packet table once with the matching packets — at most PACKET_WINDOW of
        them, from the first, or centred on index ``around`` of the matching list."""
        if self.loaded is None:
            return
        self.raw_frames = None
        table = self.query_one("#packets", DataTable)
        table.clear()
        self.matching = filter_rows(
            self.loaded.packets, mode=self.mode, text=self.text, connection=self.connection
        )
        n = len(self.matching)
        start = 0 if around is None else max(0, min(around - PACKET_WINDOW // 2, n - PACKET_WINDOW))
        self.window_start = start
        self.shown_rows = self.matching[start : start + PACKET_WINDOW]
        table.border_title = (
            f"packets {start + 1}–{start + len(self.shown_rows)} of {n} (filter to narrow)"
            if n > PACKET_WINDOW
            else None
        )
        for r in self.shown_rows:
            mark = "▶" if r.frame in self.highlight else ""
            # Text, not str: a str cell is read as markup, which parsed " [decrypted]" as a
            # style and dropped it (and costs a parse per cell on a 2,000-row window)
            table.add_row(
                Text(f"{mark}{r.frame}"),
                Text(r.direction),
                Text(str(r.connection or "")),
                Text(r.layer),
                literal(r.name),
                key=str(r.frame),
            )

    def show_detail(self, row: PacketRow, field: str | None = None) -> None:
        """Fields of the packet, and its bytes with the selected field's bytes highlighted
        (hidden when they hold key material and keys are redacted)."""
        self.detail_row = row
        self.query_one("#detail-pane").remove_class("finding")
        table = self.query_one("#fields", DataTable)
        if field is None:
            table.clear()
            for k, v in row.fields.items():
                table.add_row(k, literal(v), key=k)
        header = Text(f"#{row.frame} {row.layer} {row.name}\n")
        if hides_key_bytes(row.fields, self.show_keys):
            header.append("(bytes hidden: they hold key material; start with --show-keys)")
            self.query_one("#detail", Static).update(header)
            return
        span = field_spans(row).get(field) if field else None
        self.detail_span = span
        self.query_one("#detail", Static).update(header + hexdump_marked(row.raw, span))

    def _fill(self, node: TreeNode[Any], pairings: list[Pairing]) -> None:
        """Add a connection's pairing leaves under its node."""
        from bpdiag.analysis.model import Outcome

        for p in pairings:
            mark = {Outcome.SUCCESS: "✓", Outcome.FAILED: "✗", Outcome.INCOMPLETE: "…"}[p.outcome]
            leaf = node.add_leaf(Text(f"{mark} Pairing {p.id}"), data=("pairing", p.id))
            if p.outcome == Outcome.FAILED and self._first_failed is None:
                self._first_failed = leaf

    # ---------------------------------------------------------------- events
    def on_tree_node_expanded(self, event: Tree.NodeExpanded[Any]) -> None:
        data = event.node.data
        if self.loaded is None or not data or data[0] != "conn" or data[1] not in self._unfilled:
            return
        self._unfilled.discard(data[1])
        self._fill(event.node, _index(self.loaded.analysis).pairings_of(data[1]))

    def on_tree_node_selected(self, event: Tree.NodeSelected) -> None:
        data = event.node.data
        if not data:
            return
        kind, ident = data
        if kind == "pairing":
            self.show_pairing(ident)
        else:
            self.show_connection(ident)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id == "fields" and self.detail_row is not None:
            self.show_detail(self.detail_row, str(event.row_key.value))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if self.loaded is None:
            return
        if event.data_table.id == "findings":
            self.select_finding(int(event.row_key.value or 0))
        elif event.data_table.id == "fields" and self.detail_row is not None:
            self.show_detail(self.detail_row, str(event.row_key.value))
        elif event.data_table.id == "packets" and str(event.row_key.value).startswith("raw"):
            raw = (self.raw_frames or {}).get(int(str(event.row_key.value)[3:]))
            if raw is not None:
                packets = self.loaded.packets
                detail = raw_frame_detail(
                    raw, packets, dissect(raw)[1], self._keyed(raw), self.show_keys
                )
                self.query_one("#detail", Static).update(literal(detail))
        elif event.data_table.id == "packets":
            frame = int(event.row_key.value or 0)
            row = next((r for r in self.shown_rows if r.frame == frame), None)
            if row is not None:
                self.show_detail(row)

    def select_finding(self, index: int) -> None:
        if self.loaded is None:
            return
        f = self.loaded.analysis.findings[index]
        self.highlight = set(f.frames)
        if f.pairing is not None:
            self.show_pairing(f.pairing)
        self.refresh_packets()
        evidence = set(f.frames)
        first = next((i for i, r in enumerate(self.matching) if r.frame in evidence), None)
        if first is not None and len(self.matching) > PACKET_WINDOW:
            self.refresh_packets(around=first)  # the window moves to the evidence
        table = self.query_one("#packets", DataTable)
        frames = [r.frame for r in self.shown_rows]
        target = next((n for n in f.frames if n in frames), None)
        if target is not None:
            table.move_cursor(row=frames.index(target))
        self.query_one("#detail-pane").add_class("finding")
        self.query_one("#detail-pane").scroll_home(animate=False)
        self.query_one("#detail", Static).update(
            literal(
                f"[{f.severity}] {f.code}: {f.title}\n\n{f.detail}\n\n"
                f"fix: {f.fix}\n\nspec: {f.spec}"
            )
        )

    def on_input_changed(self, event: Input.Changed) -> None:
        # only the filter box: the rerun and compare dialogs' fields bubble up here too
        if event.input.id != "filter":
            return
        self.text = event.value
        self.refresh_packets()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "filter":
            self.query_one("#packets", DataTable).focus()

    # ---------------------------------------------------------------- actions
    def action_mode(self, mode: str) -> None:
        self.mode = mode
        self.refresh_packets()

    def action_by_connection(self) -> None:
        self.connection = None if self.connection is not None else self.selected_connection
        self.refresh_packets()

    def action_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.add_class("visible")
        box.focus()

    def action_frames(self) -> None:
        """Toggle the packet list between decoded PDUs and all raw frames around one."""
        table = self.query_one("#packets", DataTable)
        if self.raw_frames is not None:
            self.raw_frames = None
            self.refresh_packets()
            return
        if not self.shown_rows:
            return
        centre = self.shown_rows[min(table.cursor_row, len(self.shown_rows) - 1)].frame
        # Every frame of a capture up to 20,000 records; a window of 400 around the
        # selected packet on larger ones (a million rows would not be usable anyway).
        if self.loaded is None:
            return
        small = self.loaded.analysis.capture.records <= ALL_FRAMES_LIMIT
        radius = ALL_FRAMES_LIMIT if small else 200
        self.raw_frames = {f.index: f for f in frames_around(self.path, centre, radius)}
        table.clear()
        for f in self.raw_frames.values():
            summary, _ = dissect(f)
            summary = redact_dissection(summary, self.show_keys, False)
            summary = raw_frame_summary(f, self.loaded.packets, summary)
            table.add_row(str(f.index), "", "", "raw", literal(summary[:60]), key=f"raw{f.index}")
        # the cursor on the packet the window was opened around
        order = list(self.raw_frames)
        if centre in self.raw_frames:
            table.move_cursor(row=order.index(centre), scroll=True)

    def _keyed(self, raw: RawFrame) -> bool:
        """Whether bpdiag's decoding of this frame found key material, or — a frame it
        could not decode — whether its code's declaration holds some."""
        if self.loaded is None:
            return True  # not known yet: assume it does
        row = next((r for r in self.loaded.packets if r.frame == raw.index), None)
        if row is None:
            return undecoded_holds_keys(raw)
        return hides_key_bytes(row.fields, False)

    def action_report(self) -> None:
        """Write the shareable HTML report beside the capture."""
        if self.loaded is None:
            return
        from bpdiag.report.html import render_html

        target = str(Path(f"{self.path}.bpdiag.html").resolve())
        try:
            with open(target, "w", encoding="utf-8") as out:
                out.write(render_html(self.loaded.analysis))
        except OSError as exc:
            self.notify(f"cannot write {target}: {exc.strerror or exc}", severity="error")
            return
        self.notify(f"report written to {target}")

    def action_rerun(self) -> None:
        """Open the rerun dialog for the selected pairing."""
        from bpdiag.tui.rerun import RerunScreen, rerun_capture_path

        if self.loaded is None:
            return
        capture = rerun_capture_path(time.strftime("%Y%m%d-%H%M%S"))
        if self.ladder_pairing is None:
            defaults = rerun_defaults_without_pairing(
                self.loaded.analysis, self.selected_connection
            )
        else:
            defaults = rerun_defaults(self.loaded.analysis, self.ladder_pairing)
        self.push_screen(RerunScreen(defaults, capture), self._rerun_chosen)

    def _rerun_chosen(self, request: RerunRequest | None) -> None:
        if request is None:
            return
        self.notify(f"pairing with {request.spec.target} … (recording {request.capture})")
        self.run_rerun(request)

    @work(thread=True, exclusive=True, group="rerun")
    def run_rerun(self, request: RerunRequest) -> None:
        """The attempt, exactly as ``bpdiag pair`` runs it, off the UI thread."""
        from bpdiag.live.attempt import analyse_recording, make_backend, run
        from bpdiag.live.base import LiveError

        notes: list[str] = []
        try:
            request.capture.parent.mkdir(parents=True, exist_ok=True)
            backend = make_backend(request.spec)
            try:
                result = run(backend, request.spec, request.capture)
            finally:
                notes = list(backend.notes)
            analysis = analyse_recording(request.capture)
        except LiveError as exc:
            self.post_message(RerunDone(request, None, "", notes, f"{exc} ({exc.reason})"))
            return
        except (BpdiagError, OSError) as exc:
            self.post_message(RerunDone(request, None, "", notes, str(exc)))
            return
        self.post_message(RerunDone(request, analysis, result, notes))

    def on_rerun_done(self, msg: RerunDone) -> None:
        if msg.error is not None:
            self.notify(msg.error, severity="error", timeout=10)
            return
        if msg.analysis is None:
            self.notify(
                f"result: {msg.result} — {msg.request.capture} holds no pairing to compare "
                "(see bpdiag explain)",
                severity="warning",
                timeout=10,
            )
            return
        self.last_attempt = (msg.analysis, msg.notes)
        self.notify(f"attempt recorded in {msg.request.capture.resolve()}", timeout=10)
        self.show_compare(msg.analysis, msg.notes)

    def show_compare(self, other: Diagnosed, notes: list[str], label: str = "rerun") -> None:
        if self.loaded is None:
            return
        from bpdiag.report.compare import compare
        from bpdiag.tui.rerun import CompareScreen

        result = compare(self.loaded.analysis, other)
        lines = [f"[{f.severity}] {f.code}: {f.title}" for f in other.findings]
        self.push_screen(CompareScreen(result, lines, notes, ("this capture", label)))

    def action_compare(self) -> None:
        if self.loaded is None:
            return
        if self.last_attempt is not None:
            self.show_compare(*self.last_attempt)
            return
        from bpdiag.tui.rerun import CompareWithScreen

        self.push_screen(CompareWithScreen(), self._compare_chosen)

    def _compare_chosen(self, path: Path | None) -> None:
        if path is not None:
            self.load_other(path)

    @work(thread=True, exclusive=True, group="compare")
    def load_other(self, path: Path) -> None:
        from bpdiag.diagnose import diagnose_file

        try:
            self.post_message(Compared(diagnose_file(path)))
        except (BpdiagError, OSError) as exc:
            self.post_message(Compared(None, f"cannot read {path}: {exc}"))

    def on_compared(self, msg: Compared) -> None:
        if msg.other is None:
            self.notify(msg.error or "cannot compare", severity="error")
            return
        self.show_compare(msg.other, [], "other capture")

    def action_help(self) -> None:
        self.push_screen(HelpScreen(HELP))

    def _cursor_to(self, tree: Tree[Any], node: TreeNode[Any]) -> None:
        """Put the tree's cursor on ``node`` (the pairing the app opens on), unscrolled.

        The tree numbers its lines lazily, when it is next idle or drawn: a node added since
        is on line -1 until then, and moving the cursor to it put the cursor on the root
        (when this refresh came before the tree's idle — on a busy machine, now and then).
        Asking for the last line numbers the lines first."""
        if node.line < 0 and tree.last_line < 0:
            return  # no lines at all: the node is not in the tree
        tree.move_cursor(node)
        tree.scroll_to(x=0, animate=False)


def _index(analysis: Analysis) -> AnalysisIndex:
    """The analysis's look-ups by key (imported on first use, with the analysis)."""
    from bpdiag.analysis.index import index_of

    return index_of(analysis)


def make_app(
    path: str, show_keys: bool = False, keys: Keyring | None = None, follow: bool = False
) -> BpdiagApp:
    """The one factory the CLI and the tests share."""
    return BpdiagApp(path, show_keys, keys, follow)
