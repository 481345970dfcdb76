"""Findings from the Linux monitor channel (btmon captures): two programs driving one
adapter or device at once, and pairing requests nobody could answer.

Evidence comes from the monitor records (BlueZ ``src/shared/btsnoop.h``): Control Open with
the process name, management commands/events with their opcodes and addresses
(``doc/mgmt-api.txt``), bluetoothd's log lines (User Logging), and HCI LE Create Connection.
"""

from __future__ import annotations

from collections.abc import Iterator

from bpdiag.analysis.index import index_of
from bpdiag.analysis.model import Analysis, Connection
from bpdiag.rules.base import Finding, RuleInfo, Severity, check, finding, rule

MIXED_TOOLS = rule(
    RuleInfo(
        code="mixed-tools",
        severity=Severity.WARNING,
        title="Two programs drive the same adapter or device at once",
        spec="BlueZ management interface (doc/mgmt-api.txt); Vol 3, Part H, 2.4",
        explanation=(
            "More than one program issued connection or pairing operations for the same "
            "device (for example bluetoothctl pairing through bluetoothd while gatttool opens "
            "its own ATT connection), or a connection was requested to a device that already "
            "had one. The programs do not know about each other's link and keys: typical "
            "results are Busy (0x0A), PIN or Key Missing (0x06) and dropped pairings."
        ),
        fix=(
            "Use one tool for the whole session: pair and read with bluetoothctl (menu gatt) "
            "or with bleak alone; if you must use gatttool, stop bluetoothctl's connection "
            "first (`disconnect <addr>`) and let gatttool connect with --sec-level=medium."
        ),
    )
)

NO_AGENT = rule(
    RuleInfo(
        code="no-agent",
        severity=Severity.ERROR,
        title="BlueZ had no agent to answer the pairing",
        spec="BlueZ doc/agent-api.txt; mgmt User Confirmation / Passkey requests",
        explanation=(
            "The pairing needed a user answer (confirm a number, type or show a passkey) and "
            "no agent was registered to give it, or the agent said no; bluetoothd then "
            "rejects the pairing."
        ),
        fix=(
            "Register an agent before pairing: `bluetoothctl` → `agent KeyboardDisplay` → "
            "`default-agent`; in code, register an org.bluez.Agent1 (bleak does it for you "
            "when pairing through BlueZ)."
        ),
    )
)

_PAIRING_OPS = frozenset({0x0014, 0x0019, 0x001A, 0x001B, 0x0033, 0x0034})
_NEGATIVE_REPLIES = frozenset({0x0017, 0x001D, 0x001F})


def _handle_reused_after(analysis: Analysis, c: Connection, frame: int) -> bool:
    """A later connection on the same handle proves ``c`` had ended, even though its
    Disconnection Complete is not in the capture."""
    return index_of(analysis).handle_reused_after(c, frame)


@check
def monitor_findings(analysis: Analysis) -> Iterator[Finding]:
    processes: dict[int, str] = {}  # cookie → process name
    by_device: dict[str, dict[str, list[int]]] = {}
    idx = index_of(analysis)
    for ev in idx.monitor_events(14, 16):
        v = ev.values
        if ev.opcode == 14:  # Control Open
            processes[int(v.get("cookie", 0))] = str(v.get("process") or "?")
        elif ev.opcode == 16 and v.get("opcode") in _PAIRING_OPS and v.get("address"):
            proc = processes.get(int(v.get("cookie", 0)), f"cookie {v.get('cookie')}")
            by_device.setdefault(str(v["address"]), {}).setdefault(proc, []).append(ev.frame)
    for address, procs in by_device.items():
        if len(procs) > 1:
            frames = sorted(f for fs in procs.values() for f in fs)
            names = ", ".join(f"{p} (#{fs[0]})" for p, fs in procs.items())
            yield finding(
                MIXED_TOOLS,
                f"Connection/pairing commands for {address} came from {len(procs)} programs: "
                f"{names}.",
                frames[:6],
            )
    # A connection requested to a device that already has one.
    up = idx.up_at(analysis.connect_attempts)  # the first c as below, found in one sweep
    for (frame, address), c in zip(analysis.connect_attempts, up, strict=True):
        if c is not None and c.established_frame is not None:
            # peer is address, established before frame, not disconnected by then, and
            # not _handle_reused_after(analysis, c, frame)
            yield finding(
                MIXED_TOOLS,
                f"LE Create Connection to {address} at #{frame} while connection {c.id} "
                f"to it (since #{c.established_frame}) was still up: a second program is "
                "connecting on its own.",
                [c.established_frame, frame],
                connection=c.id,
            )
    # Nobody answered the pairing.
    for ev in idx.monitor_events(13, 16):
        v = ev.values
        msg = str(v.get("message") or "")
        said = _says_no_agent(msg) if ev.opcode == 13 else None
        if said is not None:
            cut = ' (btmon cut the line inside the words "no agent")' if said else ""
            yield finding(
                NO_AGENT,
                f'bluetoothd logged at #{ev.frame}: "{msg}"{cut}.',
                [ev.frame],
            )
        elif ev.opcode == 16 and v.get("opcode") in _NEGATIVE_REPLIES:
            yield finding(
                NO_AGENT,
                f"The pairing request was answered with {v.get('opcode_name')} at #{ev.frame} "
                f"(for {v.get('address', 'the device')}): the agent declined or was missing.",
                [ev.frame],
            )


_PHRASE = "no agent"
# btmon cuts a line that does not fit its width (80 columns when not writing to a terminal)
# and ends it with "..": "= bluetoothd: ... No agen..". A cut shorter than "no ag" ("No a..",
# "No ..") could be any message ("No address ...", "No such ..."), so it is not taken.
_MIN_CUT = len("no ag")


def _says_no_agent(msg: str) -> bool | None:
    """None: the message does not say "no agent"; False: it says so in full; True: btmon's
    cut ends it with a prefix of the phrase (at least "no ag", starting a word) and "..".
    """
    low = msg.lower()
    if _PHRASE in low:
        return False
    if not low.endswith("..") or low.endswith("..."):
        return None  # "..." is a person's elision, not btmon's cut
    head = low[:-2]
    for n in range(len(_PHRASE) - 1, _MIN_CUT - 1, -1):
        start = len(head) - n
        if head.endswith(_PHRASE[:n]) and (start == 0 or not head[start - 1].isalnum()):
            return True
    return None
