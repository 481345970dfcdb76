"""Findings from what the BlueZ host did about pairing, as the monitor channel records it
(btmon's binary btsnoop and, through the text reader, btmon's text): MGMT Pair Device with
the IO capability bluetoothd used and its status, user prompts (User Confirmation, User
Passkey, PIN Code requests) that nobody answered, and a host that turned bonding off.

Sources: BlueZ doc/mgmt-api.txt (Pair Device 0x0019 with IO_Capability; Command Complete
status; User Confirmation Request event 0x000F, User Passkey Request 0x0010, PIN Code Request
0x000E and their Reply / Negative Reply commands 0x001C/0x001D, 0x001E/0x001F, 0x0016/0x0017;
Set Bondable 0x0009; New Settings 0x0006 with bit 4 "Bondable"); lib/mgmt.h status codes.
bluetoothd's src/device.c pairs with the IO capability of the agent that asked, and with
NoInputNoOutput when no agent is registered.
"""

from __future__ import annotations

from collections.abc import Iterator

from bpdiag.analysis.model import Analysis, MonitorEvent
from bpdiag.decode.monitor import MgmtEvent, MgmtOpcode, MgmtStatus, MonitorOpcode
from bpdiag.decode.smp import IoCapability, io_capability_name
from bpdiag.rules.base import Finding, check, finding, rule
from bpdiag.rules.bluez_host import NO_AGENT
from bpdiag.rules.links import NO_BONDING

_PROMPT_TIMEOUT_S = 30.0  # Vol 3, Part H, 3.4: SMP gives up after 30 s

# user prompt event → (what it asks, the reply commands that answer it)
_PROMPTS: dict[int, tuple[str, frozenset[int]]] = {
    MgmtEvent.PIN_CODE_REQUEST: (
        "PIN Code Request",
        frozenset({MgmtOpcode.PIN_CODE_REPLY, MgmtOpcode.PIN_CODE_NEGATIVE_REPLY}),
    ),
    MgmtEvent.USER_CONFIRMATION_REQUEST: (
        "User Confirmation Request",
        frozenset(
            {MgmtOpcode.USER_CONFIRMATION_REPLY, MgmtOpcode.USER_CONFIRMATION_NEGATIVE_REPLY}
        ),
    ),
    MgmtEvent.USER_PASSKEY_REQUEST: (
        "User Passkey Request",
        frozenset({MgmtOpcode.USER_PASSKEY_REPLY, MgmtOpcode.USER_PASSKEY_NEGATIVE_REPLY}),
    ),
}
_REPLIES = frozenset(op for _, ops in _PROMPTS.values() for op in ops)

ALREADY_PAIRED = rule("already-paired")
PAIR_DEVICE_FAILED = rule("host-pairing-failed")


@check
def bluez_pairing(analysis: Analysis) -> Iterator[Finding]:
    if not analysis.monitor:
        return
    smp_failed_frames = [p.failure.frame for p in analysis.pairings if p.failure is not None]
    pair_cmds: dict[str, MonitorEvent] = {}  # address → latest Pair Device
    open_prompts: dict[str, tuple[MonitorEvent, str]] = {}  # address → unanswered prompt
    for ev in analysis.monitor:
        v = ev.values
        if ev.opcode == MonitorOpcode.CONTROL_COMMAND:
            op = v.get("opcode")
            addr = str(v.get("address") or "")
            if op == MgmtOpcode.PAIR_DEVICE and addr:
                pair_cmds[addr] = ev
            elif op in _REPLIES and addr:
                open_prompts.pop(addr, None)
            elif op == MgmtOpcode.SET_BONDABLE and v.get("mode") == 0:
                yield finding(
                    NO_BONDING,
                    f"The host turned bonding off (MGMT Set Bondable off at #{ev.frame}): "
                    "pairings from here on keep no keys.",
                    [ev.frame],
                )
        elif ev.opcode == MonitorOpcode.CONTROL_EVENT:
            event = v.get("event")
            addr = str(v.get("address") or "")
            if event in _PROMPTS and addr:
                prior = open_prompts.get(addr)
                if prior is not None:
                    yield _unanswered(*prior)
                open_prompts[addr] = (ev, _PROMPTS[int(str(event))][0])
            elif (
                event == MgmtEvent.COMMAND_COMPLETE
                and v.get("command_opcode") == MgmtOpcode.PAIR_DEVICE
            ):
                yield from _pair_result(ev, addr, pair_cmds, smp_failed_frames)
                prompt = open_prompts.pop(addr, None) if addr else None
                if prompt is not None and v.get("status") != MgmtStatus.SUCCESS:
                    yield _unanswered(*prompt, ended=ev)
    end = analysis.capture.last_time
    for ev, what in open_prompts.values():
        # At the end of the capture only a prompt left for the SMP timeout (30 s) is
        # unanswered; a shorter tail may just have been cut before the answer.
        if end is not None and end - ev.time >= _PROMPT_TIMEOUT_S:
            yield _unanswered(ev, what)


def _unanswered(ev: MonitorEvent, what: str, ended: MonitorEvent | None = None) -> Finding:
    addr = ev.values.get("address", "the device")
    tail = (
        f" before the pairing ended at #{ended.frame} ({ended.values.get('status_name')})"
        if ended is not None
        else " in the rest of the capture"
    )
    frames = [ev.frame] + ([ended.frame] if ended is not None else [])
    return finding(
        NO_AGENT,
        f"The kernel asked bluetoothd for a {what} for {addr} at #{ev.frame} and no reply "
        f"(nor negative reply) came{tail}: no agent answered it.",
        frames,
    )


def _pair_result(
    ev: MonitorEvent, addr: str, pair_cmds: dict[str, MonitorEvent], smp_failed: list[int]
) -> Iterator[Finding]:
    v = ev.values
    status = v.get("status")
    if status in (MgmtStatus.SUCCESS, None, MgmtStatus.CANCELLED):
        return
    cmd = pair_cmds.get(addr) if addr else None
    io = ""
    frames = [ev.frame]
    if cmd is not None:
        frames.insert(0, cmd.frame)
        cap = cmd.values.get("io_capability")
        if isinstance(cap, int):
            io = f" with IO capability {io_capability_name(cap)} (Pair Device #{cmd.frame})"
            if cap == IoCapability.NO_INPUT_NO_OUTPUT:
                io += ", which is what bluetoothd uses when no agent is registered"
    who = addr or "the device"
    if status == MgmtStatus.ALREADY_PAIRED:
        yield finding(
            ALREADY_PAIRED,
            f"bluetoothd's Pair Device for {who}{io} ended at #{ev.frame} with Already Paired "
            "(0x13): no pairing was run.",
            frames,
        )
        return
    start = cmd.frame if cmd is not None else 0
    smp = [f for f in smp_failed if start <= f <= ev.frame]
    if smp:
        why = f" The SMP Pairing Failed at #{smp[-1]} is the cause on the wire."
        frames.append(smp[-1])
    elif status == MgmtStatus.AUTHENTICATION_FAILED:
        why = " No SMP Pairing Failed is in the capture between the two: the host decided it."
    else:
        why = ""
    yield finding(
        PAIR_DEVICE_FAILED,
        f"bluetoothd paired {who}{io}; the kernel answered at #{ev.frame} with "
        f"{v.get('status_name')} (0x{int(str(status)):02x}).{why}",
        frames,
    )
