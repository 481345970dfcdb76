"""tshark, the reference decoder of the differential tests, run once per capture.

Every test that holds bpdiag against tshark reads the same dissection: one ``tshark -T fields``
run per capture with the union of the fields those tests compare, every frame, every
occurrence.  Each test then picks its frames the way its display filter did (a protocol in
``frame.protocols``, a field present or equal to a value).  The table is cached on disk by
the capture's path, size and mtime, the tshark binary's and the arguments, so a session
dissects each file once whichever xdist worker asks first (a file lock keeps the others
waiting for it instead of dissecting it again), and the next session not at all while
neither the file nor tshark changed.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import subprocess
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

# PPI captures from ubertooth wrap DLT 147 (USER0), which tshark decodes as LE only when told;
# no other capture uses DLT 147, so the option changes nothing for them.
UAT = ("-o", 'uat:user_dlts:"User 0 (DLT=147)","btle","0","","0",""')

# the HCI event fields of tests/decode/test_hci_stream.py's rows, in its order
EVENT_FIELDS = (
    "bthci_evt.code",
    "bthci_evt.le_meta_subevent",
    "bthci_evt.status",
    "bthci_evt.connection_handle",
    "bthci_evt.reason",
    "bthci_evt.encryption_enable",
)
FIELDS = (
    "frame.number",
    "frame.time_epoch",
    "frame.protocols",
    "hci_h4.direction",
    "bthci_acl.continuation_to",
    "bthci_cmd.opcode",
    *EVENT_FIELDS,
    "btle.access_address",
    "btle.control_opcode",
    "btsmp.opcode",
    "btsmp.io_capability",
    "btsmp.oob_data_flags",
    "btsmp.authreq",
    "btsmp.max_enc_key_size",
    "btsmp.initiator_key_distribution",
    "btsmp.responder_key_distribution",
    "btsmp.reason",
    "btsmp.cfm_value",
    "btsmp.random_value",
    "btsmp.long_term_key",
    "btsmp.ediv",
    "btsmp.id_resolving_key",
    "btsmp.address_type",
    "btsmp.bd_addr",
    "btsmp.signature_key",
    "btsmp.public_key_x",
    "btsmp.public_key_y",
    "btsmp.dhkey_check",
    "btsmp.notification_type",
    # BR/EDR pairing (tests/decode/test_hci_bredr.py)
    "bthci_evt.bd_addr",
    "bthci_evt.io_capability",
    "bthci_evt.oob_data_present",
    "bthci_evt.auth_requirements",
    "bthci_evt.key_type",
    "bthci_evt.link_key",
    "bthci_evt.numeric_value",
    "bthci_cmd.bd_addr",
    "bthci_cmd.connection_handle",
    "bthci_cmd.io_capability",
    "bthci_cmd.oob_data_present",
    "bthci_cmd.auth_requirements",
    "bthci_cmd.reason",
    "bthci_cmd.link_key",
    "bthci_cmd.pin_code_length",
    "bthci_cmd.passkey",
    "bthci_evt.passkey",
    "bthci_evt.notification_type",
    "bthci_cmd.notification_type",
)
# -n: no name resolution (an address stays bytes); occurrence=a with "," between occurrences
ARGS = (
    "-n",
    *UAT,
    "-T",
    "fields",
    "-E",
    "separator=\t",
    "-E",
    "occurrence=a",
    "-E",
    "aggregator=,",
)


@dataclass(frozen=True, slots=True)
class Frame:
    """One frame as tshark dissected it: each field's occurrences, in order."""

    number: int
    values: dict[str, tuple[str, ...]]

    def all(self, field: str) -> tuple[str, ...]:
        return self.values.get(field, ())

    def first(self, field: str) -> str:
        """The first occurrence, "" when the frame has none (``-E occurrence=f``)."""
        got = self.values.get(field, ())
        return got[0] if got else ""

    def has(self, protocol: str) -> bool:
        """The protocol is in the frame's tree (the display filter ``protocol``)."""
        return protocol in self.first("frame.protocols").split(":")

    def equals(self, field: str, value: int) -> bool:
        """Some occurrence of the field has the value (the display filter ``field == value``)."""
        return any(int(v, 0) == value for v in self.all(field))


def _parse(text: str) -> tuple[Frame, ...]:
    frames = []
    for line in text.splitlines():
        cols = line.split("\t")
        values = {f: tuple(c.split(",")) for f, c in zip(FIELDS, cols, strict=False) if c}
        frames.append(Frame(int(cols[0]), values))
    return tuple(frames)


def _run(exe: str, path: Path) -> str:
    cmd = [exe, "-r", str(path), *ARGS]
    for field in FIELDS:
        cmd += ["-e", field]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"tshark failed on {path.name}: {done.stderr.strip()}")
    return done.stdout


def _key(exe: str, path: Path) -> str:
    parts: list[object] = []
    for p in (Path(exe).resolve(), path.resolve()):
        st = p.stat()
        parts += [str(p), st.st_size, st.st_mtime_ns]
    parts += [*ARGS, *FIELDS]
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:32]


class Tshark:
    """The dissections of one session, memoised in memory over a cache directory."""

    def __init__(self, exe: str, cache_dir: Path) -> None:
        self.exe = exe
        self.cache_dir = cache_dir
        self._memo: dict[Path, tuple[Frame, ...]] = {}

    def __call__(self, path: Path) -> tuple[Frame, ...]:
        if path not in self._memo:
            self._memo[path] = _parse(self._text(path))
        return self._memo[path]

    def fresh(self, path: Path) -> tuple[Frame, ...]:
        """A file the test has just written: dissected, neither cached nor memoised."""
        return _parse(_run(self.exe, path))

    def _text(self, path: Path) -> str:
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        key = _key(self.exe, path)
        table = self.cache_dir / f"{key}.tsv"
        with open(self.cache_dir / f"{key}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # another worker dissecting it: wait for its table
            if table.is_file():
                return table.read_text(encoding="utf-8")
            text = _run(self.exe, path)
            part = table.with_suffix(f".{os.getpid()}.part")
            part.write_text(text, encoding="utf-8")
            part.replace(table)
            return text

    def select(self, path: Path, keep: Callable[[Frame], bool] = lambda f: True) -> list[Frame]:
        return [f for f in self(path) if keep(f)]


def ints(values: Iterable[str]) -> tuple[int, ...]:
    return tuple(int(v, 0) for v in values)


def any_of(*tests: Callable[[Frame], bool]) -> Callable[[Frame], bool]:
    """A display filter ``a || b || …`` from its terms."""
    return lambda f: any(t(f) for t in tests)


def event(code: int) -> Callable[[Frame], bool]:
    return lambda f: f.equals("bthci_evt.code", code)


def subevent(code: int) -> Callable[[Frame], bool]:
    return lambda f: f.equals("bthci_evt.le_meta_subevent", code)


def protocol(name: str) -> Callable[[Frame], bool]:
    return lambda f: f.has(name)


def present(field: str) -> Callable[[Frame], bool]:
    return lambda f: bool(f.all(field))


def columns(frame: Frame, fields: Sequence[str]) -> list[str]:
    """The fields as ``-T fields`` prints them by default: occurrences joined by ","."""
    return [",".join(frame.all(f)) for f in fields]


def smp_opcodes(frames: Iterable[Frame]) -> dict[int, int]:
    """frame → SMP command code of every ``btsmp`` frame."""
    return {f.number: int(f.first("btsmp.opcode"), 0) for f in frames if f.has("btsmp")}
