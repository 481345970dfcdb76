"""Findings from the Linux monitor channel (btmon captures): two programs driving one
adapter or device at once, and pairing requests nobody could answer.

Evidence comes from the monitor records (BlueZ ``src/shared/btsnoop.h``): Control Open with
the process name, management commands/events with their opcodes and addresses
(``doc/mgmt-api.txt``), bluetoothd's log lines (User Logging), and HCI LE Create Connection.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator

from bpdiag.analysis.index import index_of
from bpdiag.analysis.model import Analysis, Connection, MonitorEvent, Role, Side
from bpdiag.decode.monitor import MGMT_DEVICE_COMMANDS, MGMT_NEGATIVE_REPLIES, MonitorOpcode
from bpdiag.decode.pdu import Layer
from bpdiag.rules.base import Finding, check, finding, rule

MIXED_TOOLS = rule("mixed-tools")
NO_AGENT = rule("no-agent")


def _handle_reused_after(analysis: Analysis, c: Connection, frame: int) -> bool:
    """A later connection on the same handle proves ``c`` had ended, even though its
    Disconnection Complete is not in the capture."""
    return index_of(analysis).handle_reused_after(c, frame)


@check
def monitor_findings(analysis: Analysis) -> Iterator[Finding]:
    processes: dict[int, str] = {}  # cookie → process name
    by_device: dict[str, dict[str, list[int]]] = {}
    idx = index_of(analysis)
    for ev in idx.monitor_events(MonitorOpcode.CONTROL_OPEN, MonitorOpcode.CONTROL_COMMAND):
        v = ev.values
        if ev.opcode == MonitorOpcode.CONTROL_OPEN:
            processes[int(v.get("cookie", 0))] = str(v.get("process") or "?")
        elif (
            ev.opcode == MonitorOpcode.CONTROL_COMMAND
            and v.get("opcode") in MGMT_DEVICE_COMMANDS
            and v.get("address")
        ):
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
    # Nobody answered the pairing: bluetoothd's "no agent" line, and the negative reply it
    # then sends for the same device (src/adapter.c user_confirm_request_callback), are one
    # finding with both as evidence.
    said_at: MonitorEvent | None = None  # the last "no agent" line not yet reported
    local_failures: list[tuple[int, str]] | None = None  # read at the first negative reply
    for ev in idx.monitor_events(MonitorOpcode.USER_LOGGING, MonitorOpcode.CONTROL_COMMAND):
        v = ev.values
        if ev.opcode == MonitorOpcode.USER_LOGGING:
            said = _says_no_agent(str(v.get("message") or ""))
            if said is None:
                continue
            if said_at is not None:
                yield _no_agent(said_at, None)
            said_at = ev
        elif v.get("opcode") in MGMT_NEGATIVE_REPLIES:
            if local_failures is None:
                local_failures = _local_failures(analysis)
            yield _no_agent(said_at, ev, local_failures)
            said_at = None
    if said_at is not None:
        yield _no_agent(said_at, None)


# bluetoothd's auth_type_t (src/device.c), the N of "No agent available for request type N"
_REQUEST_TYPES = {
    0: "a PIN code",
    1: "a passkey to type",
    2: "a yes/no confirmation",
    3: "a passkey to show",
    4: "a PIN code to show",
}


def _local_failures(analysis: Analysis) -> list[tuple[int, str]]:
    """(frame, name) of each Pairing Failed the logged host sent, in frame order."""
    idx = index_of(analysis)
    out = []
    for p in analysis.pairings:
        f, c = p.failure, idx.connection(p.connection)
        if f is None or f.layer != Layer.SMP or c is None or c.local_role is None:
            continue
        if f.sent_by == (Side.INITIATOR if c.local_role == Role.CENTRAL else Side.RESPONDER):
            out.append((f.frame, f"{f.name} (0x{f.reason:02x})"))
    return sorted(out)


def _no_agent(
    said: MonitorEvent | None,
    reply: MonitorEvent | None,
    local_failures: list[tuple[int, str]] | None = None,
) -> Finding:
    parts: list[str] = []
    frames: list[int] = []
    if said is not None:
        msg = str(said.values.get("message") or "")
        cut = ' (btmon cut the line inside the words "no agent")' if _says_no_agent(msg) else ""
        asked = ""
        m = re.search(r"request type (\d+)\b", msg)
        if m and int(m.group(1)) in _REQUEST_TYPES:
            asked = f" (the kernel had asked for {_REQUEST_TYPES[int(m.group(1))]})"
        parts.append(f'bluetoothd logged at #{said.frame}: "{msg}"{cut}{asked},')
        frames.append(said.frame)
    if reply is not None:
        v = reply.values
        who = v.get("address", "the device")
        if said is not None:
            parts.append(
                f"and so answered {v.get('opcode_name')} for {who} (#{reply.frame}): the "
                "refusal came from this host, not from the peer"
            )
        else:
            parts.append(
                f"The pairing request was answered with {v.get('opcode_name')} at "
                f"#{reply.frame} (for {who}): the agent declined or was missing"
            )
        frames.append(reply.frame)
        # the kernel's Pairing Failed for that reply (net/bluetooth/smp.c: Passkey Entry
        # Failed, or Numeric Comparison Failed in LE Secure Connections) is the next one
        # this host sent
        local_failures = local_failures or []
        i = bisect.bisect_left(local_failures, (reply.frame, ""))
        if i < len(local_failures):
            frame, name = local_failures[i]
            parts[-1] += (
                f". The Pairing Failed: {name} this host sent at #{frame} is that "
                "refusal, not a user's answer"
            )
            frames.append(frame)
    return finding(NO_AGENT, " ".join(parts) + ".", frames)


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
