"""``bpdiag explain ERROR``: the messages operating systems show, and the wire causes behind them.

Stacks lose the cause on the way up: Linux reports every SMP Pairing Failed as
"Authentication Failed" (kernel ``smp_failure`` → MGMT status 0x05 → bluetoothd
``org.bluez.Error.AuthenticationFailed`` → bleak), Android folds many causes into GATT
status 133 or bond reason 1.  Each entry lists the possible wire causes with the finding code
that shows each in a capture, and how to record a capture that tells them apart.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

try:  # the parser ``re`` compiles with (CPython 3.11+), for ``_required``
    import re._constants as _sre  # type: ignore[import-not-found]
    from re._parser import parse as _sre_parse  # type: ignore[import-not-found]
except ImportError:  # another Python's internals: every pattern is tried on every line
    _sre = None

from bpdiag.decode.hci_names import ErrorCode as HciError
from bpdiag.decode.monitor import MgmtStatus
from bpdiag.decode.smp import ErrorCode, error_meaning, error_name

if TYPE_CHECKING:
    from bpdiag.rules.packet_list import PacketListStory

HOW_TO_CAPTURE = {
    "bluez": (
        "Linux/BlueZ: run `sudo btmon -w pairing.btsnoop` in a second terminal, reproduce, "
        "stop btmon with Ctrl-C, then `bpdiag analyze pairing.btsnoop`."
    ),
    "android": (
        "Android: Developer options → Enable Bluetooth HCI snoop log (Full), toggle Bluetooth "
        "off/on, reproduce, then `adb bugreport bug.zip` and analyse "
        "FS/data/misc/bluetooth/logs/btsnoop_hci.log from it (a 'filtered' log cuts ACL data: "
        "choose Full)."
    ),
    "air": (
        "Any stack: an nRF52 dongle with nRF Sniffer for Bluetooth LE in Wireshark, following "
        "the device from its advertising; save as pcapng (works for peripherals you cannot "
        "instrument, and for Zephyr/Windows/iOS centrals)."
    ),
}


@dataclass(frozen=True, slots=True)
class Cause:
    wire: str  # what is on the wire
    finding: str  # the bpdiag finding code that shows it


@dataclass(frozen=True, slots=True)
class Explanation:
    key: str
    patterns: tuple[str, ...]  # case-insensitive regular expressions
    source: str
    meaning: str
    causes: tuple[Cause, ...]
    capture: tuple[str, ...] = ("bluez", "air")
    cite: str = ""  # where the stack defines the message or number (docs/rules.md shows it)
    # patterns from this index on are bare words ("authentication failed", "pairing
    # failed"): a match by one of them is left out when another entry matched the text
    weak: int = 1_000


def _android_gatt(
    status: int, name: str, meaning: str, causes: tuple[Cause, ...], *, named: bool = False
) -> Explanation:
    """Android's BluetoothGatt ``status`` (gatt_api.h ``name``) as apps log it; a ``named``
    status (a catch-all) is also shown by its name and matched in hex."""
    # the number only where the line says it is a GATT status: "status" on a line that names
    # GATT or a BluetoothGatt callback (a bare "status 5" is any stack's, "0x85" anything)
    gatt_said = r"\b(?:(?!esp_)\w*gatt\w*|on\w*connection\w*state\w*)\b[^\n]*?"
    number = rf"(?:{status}|0x0*{status:x})" if named else str(status)
    return Explanation(
        f"android-gatt-{status}",
        (rf"\b{name}\b", rf"{gatt_said}\bstatus\b\s*[=:]?\s*{number}\b(?![\w.])"),
        f"Android BluetoothGatt status {status}" + (f" ({name})" if named else ""),
        meaning,
        causes,
        ("android", "air"),
    )


_SMP_FAILURES = (
    Cause(
        "SMP Pairing Failed 0x08 Unspecified Reason right after the Pairing Request",
        "pairing-mode-inactive",
    ),
    Cause(
        "SMP Pairing Failed 0x03 Authentication Requirements (MITM impossible with the "
        "IO capabilities)",
        "mitm-unsatisfiable",
    ),
    Cause(
        "SMP Pairing Failed 0x03 from the peer (it needs MITM we did not offer)",
        "peer-requires-mitm",
    ),
    Cause(
        "SMP Pairing Failed 0x03 (Secure Connections only vs legacy)", "secure-connections-mismatch"
    ),
    Cause("SMP Pairing Failed 0x04 Confirm Value Failed (wrong passkey)", "confirm-value-failed"),
    Cause("SMP Pairing Failed 0x05 Pairing Not Supported", "pairing-not-supported"),
    Cause("SMP Pairing Failed 0x09 Repeated Attempts", "repeated-attempts"),
    Cause("SMP Pairing Failed 0x0B DHKey Check Failed", "dhkey-check-failed"),
    Cause("SMP Pairing Failed 0x0C Numeric Comparison Failed", "numeric-comparison-failed"),
    Cause("HCI Encryption Change 0x06 PIN or Key Missing (stale bond)", "bond-lost"),
)


def _meanings(table: str) -> dict[int, tuple[str, tuple[Cause, ...]]]:
    """``{code: (meaning, causes)}`` of a table of rules/explain_codes.toml; the causes
    ``"smp_failures"`` stand for the SMP failures above."""
    from bpdiag.rules.tables import TableError, load

    out: dict[int, tuple[str, tuple[Cause, ...]]] = {}
    for row in load("explain_codes.toml").sub(table).rows():
        if "causes" not in row:
            causes: tuple[Cause, ...] = ()
        elif isinstance(row.data["causes"], str):
            if row.text("causes") != "smp_failures":
                raise TableError(f"explain_codes.toml: {table} row: unknown causes group")
            causes = _SMP_FAILURES
        else:
            causes = tuple(Cause(w, f) for w, f in row.pairs("causes"))
        out[row.integer("code")] = (row.text("meaning"), causes)
    return out


# HCI 0x06 PIN or Key Missing: its own entry below, and what the stacks' entries that name
# the code say of it
_KEY_MISSING = _meanings("hci")[0x06]

CATALOGUE: tuple[Explanation, ...] = (
    Explanation(
        "bluez-authentication-failed",
        (
            r"org\.bluez\.Error\.AuthenticationFailed",
            r"\bAuthenticationFailed\b",
        ),
        "BlueZ D-Bus / bleak / bluetoothctl "
        "('Failed to pair: org.bluez.Error.AuthenticationFailed')",
        "bluetoothd answers Pair() so for the MGMT status Authentication Failed (0x05) — the "
        "kernel's status for every SMP Pairing Failed, in either direction, for a refused "
        "encryption and, on BR/EDR, for a failed HCI authentication — and for every status "
        "it has no other error for (Failed 0x03, Not Supported 0x0C, Invalid Parameters "
        "0x0D …; src/device.c new_authentication_return()). bluetoothd's debug log "
        "(`bluetoothd -d`: pair_device_complete(), bonding_attempt_complete()) shows which.",
        _SMP_FAILURES,
        weak=2,
    ),
    Explanation(
        "bluez-authentication-canceled",
        (r"AuthenticationCanceled", r"authentication ?cancel"),
        # the bare words are any stack's: the title says so (BlueZ's is the D-Bus name)
        "BlueZ D-Bus / bleak ('org.bluez.Error.AuthenticationCanceled'), or a stack's own "
        "words 'authentication cancelled'",
        "The pairing was cancelled: with BlueZ, the agent declined or did not answer; with any "
        "stack, the user or the app cancelled, or the link dropped during pairing.",
        (
            Cause(
                "No agent registered, or the agent said no (bluetoothd 'No agent available')",
                "no-agent",
            ),
            Cause(
                "The link was closed during pairing (disconnect reason in the capture)",
                "pairing-incomplete",
            ),
            Cause("SMP Pairing Failed 0x01 Passkey Entry Failed", "passkey-entry-failed"),
        ),
    ),
    Explanation(
        "bluez-authentication-rejected",
        (r"AuthenticationRejected", r"authentication ?rejected"),
        "BlueZ D-Bus / bleak ('org.bluez.Error.AuthenticationRejected'), or a stack's own "
        "words 'authentication rejected'",
        "The peer (or the local policy) refused pairing; with BlueZ, the MGMT status was "
        "Rejected or Not Supported.",
        (
            Cause("SMP Pairing Failed 0x05 Pairing Not Supported", "pairing-not-supported"),
            Cause(
                "SMP Pairing Failed 0x08 from a device outside its pairing window",
                "pairing-mode-inactive",
            ),
            Cause("Agent rejected the request", "no-agent"),
        ),
    ),
    Explanation(
        "bluez-authentication-timeout",
        (r"AuthenticationTimeout", r"authentication ?timeout"),
        "BlueZ D-Bus / bleak ('org.bluez.Error.AuthenticationTimeout'), or a stack's own "
        "words 'authentication timeout'",
        "No answer within the SMP timeout (30 s): the passkey was not entered, or the peer "
        "stopped answering.",
        (
            Cause(
                "The pairing stops with no Pairing Failed and no disconnect for 30 s",
                "pairing-incomplete",
            ),
            Cause("A sniffer missed PDUs (check before concluding)", "capture-gap"),
        ),
    ),
    Explanation(
        "bluez-in-progress",
        (
            r"org\.bluez\.Error\.InProgress",
            r"operation already in progress",
            r"\bInProgress\b",
            r"\bBusy\b",
        ),
        "BlueZ D-Bus / bleak / MGMT status Busy (0x0A)",
        "Another connection or pairing to the device is already running — often a second "
        "tool (bluetoothctl and gatttool, or two bleak clients) driving the same link.",
        (
            Cause(
                "Overlapping connection/pairing commands from two processes (btmon shows them)",
                "mixed-tools",
            ),
        ),
        ("bluez",),
    ),
    Explanation(
        "pin-or-key-missing",
        (
            r"PIN or Key Missing",
            r"key missing",
            # the number where the line says it is the status of an encryption (Zephyr
            # smp.c bt_smp_encrypt_change() "hci status 0x06", "Encryption Change status
            # 0x06"), in hex: NimBLE prints its own statuses in decimal ("encryption change
            # event; status=6" is BLE_HS_ENOMEM); not a 0x06 in prose ("expecting 0x06
            # Encryption Information" is SMP's command code)
            r"\bhci status 0x0*6\b",
            r"\bencrypt\w*\b[^\n]*?\b(?:status|reason|err(?:or)?)\b\s*[:=]?\s*0x0*6\b(?![\w.(])",
            # BTstack's examples on SM_EVENT_REENCRYPTION_COMPLETE with
            # ERROR_CODE_PIN_OR_KEY_MISSING (sm_pairing_peripheral.c and the others)
            r"\bRe-encryption failed, bonding information missing\b",
        ),
        "HCI status 0x06 (btmon, Wireshark, Android logs)",
        f"{_KEY_MISSING[0][0].upper()}{_KEY_MISSING[0][1:]}.",
        _KEY_MISSING[1],
    ),
    Explanation(
        "bluez-connection-abort",
        (
            r"le-connection-abort-by-local",
            r"Software caused connection abort",
            r"ConnectionAttemptFailed",
            r"connection ?attempt ?failed",
        ),
        "BlueZ D-Bus / bleak",
        "The connection was closed by the local side before or during service discovery or "
        "pairing — often a refused pairing or an encryption failure that bluetoothd reacts "
        "to by disconnecting.",
        (
            Cause("A pairing failure right before the disconnect", "pairing-mode-inactive"),
            Cause("Encryption refused with a stale key", "bond-lost"),
            Cause("MIC failure (0x3D) on the link", "mic-failure"),
            Cause("The pairing was cut by the disconnect", "pairing-incomplete"),
        ),
    ),
    Explanation(
        "mgmt-status",
        (
            r"\bmgmt\b.*status",
            r"Authentication Failed \(0x05\)",
            r"Not Paired \(0x06\)",
            r"Rejected \(0x0b\)",
            r"Busy \(0x0a\)",
        ),
        "Linux management interface status (btmgmt, btmon '@ MGMT Event: Command Complete')",
        "MGMT statuses are summaries: Authentication Failed (0x05) for any SMP failure, "
        "Busy (0x0A) for overlapping operations, Rejected (0x0B) for refused pairing, "
        "Not Paired (0x06) when encryption needs a bond that is not there.",
        _SMP_FAILURES,
        ("bluez",),
    ),
    Explanation(
        "att-insufficient-authentication",
        (
            r"requires authentication before read/write",
            r"insufficient authentication",
        ),
        "gatttool / btmon / Wireshark ATT Error Response ('Attribute requires authentication "
        "before read/write', 'Insufficient Authentication (0x05)')",
        "The attribute needs an authenticated (paired, maybe MITM) link; the link was not. "
        "With gatttool: raise --sec-level (medium: paired; high: MITM, which a device without "
        "display or keyboard cannot give).",
        (
            Cause("ATT Error Response 0x05", "insufficient-authentication"),
            Cause(
                "the pairing that should have followed failed (MITM impossible)",
                "mitm-unsatisfiable",
            ),
        ),
    ),
    Explanation(
        "att-insufficient-encryption",
        (
            r"requires encryption before read/write",
            r"insufficient encryption\b(?! key)",
        ),
        "gatttool / btmon / Wireshark ATT Error Response ('Attribute requires encryption "
        "before read/write', 'Insufficient Encryption (0x0f)')",
        "The attribute needs an encrypted link; the link was not encrypted (no bond yet, or "
        "encryption with the stored key failed).",
        (
            Cause("ATT Error Response 0x0F", "insufficient-encryption"),
            Cause("encryption with the stored key refused (0x06)", "bond-lost"),
        ),
    ),
    Explanation(
        "att-insufficient-key-size",
        (r"insufficient encryption key size",),
        "btmon / Wireshark ATT Error Response 'Insufficient Encryption Key Size (0x0c)'",
        "The attribute needs a longer encryption key than the pairing produced.",
        (Cause("ATT Error Response 0x0C", "insufficient-key-size"),),
    ),
    _android_gatt(
        5,
        "GATT_INSUFFICIENT_AUTHENTICATION",
        "ATT Insufficient Authentication (0x05): the attribute needs a paired (or MITM) link.",
        (Cause("ATT Error Response 0x05", "insufficient-authentication"),),
    ),
    _android_gatt(
        15,
        "GATT_INSUFFICIENT_ENCRYPTION",
        "ATT Insufficient Encryption (0x0F): the link must be encrypted first.",
        (Cause("ATT Error Response 0x0F", "insufficient-encryption"),),
    ),
    _android_gatt(
        133,
        "GATT_ERROR",
        "A catch-all: the connection failed or dropped (often while bonding), too many "
        "connections, or a stale bond.",
        (
            Cause("Connection closed during pairing", "pairing-incomplete"),
            Cause("Encryption with a stored key refused (0x06)", "bond-lost"),
            Cause("MIC failure 0x3D", "mic-failure"),
            Cause("Peer refused pairing at once", "pairing-mode-inactive"),
        ),
        named=True,
    ),
    _android_gatt(
        137,
        "GATT_AUTH_FAIL",
        "Pairing/authentication failed while a GATT operation waited for it.",
        _SMP_FAILURES,
        named=True,
    ),
    Explanation(
        "android-unbond-reason",
        # the number only on a line about bonding: a bare "reason 1" is anyone's
        (r"bond(ing)? failed", r"\bbond\w*\b[^\n]*?\breason[ =:]*(1|2|3|6|7)\b"),
        "Android ACTION_BOND_STATE_CHANGED reason (1 AUTH_FAILED, 2 AUTH_REJECTED, "
        "3 AUTH_CANCELED, 6 AUTH_TIMEOUT, 7 REPEATED_ATTEMPTS)",
        "The bond failed; the number only says which family of SMP failure.",
        _SMP_FAILURES,
        ("android", "air"),
    ),
    Explanation(
        "windows-pairing-result",
        (
            r"DevicePairingResultStatus",
            r"AuthenticationFailure",
            r"ProtectionLevelCouldNotBeMet",
            r"AuthenticationNotAllowed",
            r"RejectedByHandler",
        ),
        "Windows DevicePairingResultStatus",
        "AuthenticationFailure / ProtectionLevelCouldNotBeMet / AuthenticationNotAllowed "
        "summarise SMP failures; ProtectionLevelCouldNotBeMet is typically MITM requested "
        "against a device without display or keyboard.",
        _SMP_FAILURES,
        ("air",),
    ),
)


# The causes each SMP Pairing Failed reason stands for (Vol 3, Part H, 3.5.5); stacks print
# the reason as btmon "Reason: Unspecified reason (0x08)", Wireshark "Reason: Unspecified
# Reason (0x08)", logs "reason=8", or by its name (decode/smp.py's table).
_SMP_REASONS: tuple[tuple[ErrorCode, tuple[Cause, ...]], ...] = (
    (ErrorCode.PASSKEY_ENTRY_FAILED, (Cause("SMP Pairing Failed 0x01", "passkey-entry-failed"),)),
    (ErrorCode.OOB_NOT_AVAILABLE, (Cause("SMP Pairing Failed 0x02", "oob-not-available"),)),
    (ErrorCode.AUTHENTICATION_REQUIREMENTS, _SMP_FAILURES[1:4]),
    (ErrorCode.CONFIRM_VALUE_FAILED, (_SMP_FAILURES[4],)),
    (
        ErrorCode.PAIRING_NOT_SUPPORTED,
        (
            _SMP_FAILURES[5],
            Cause(
                "SMP Pairing Failed 0x05 at once after the peer's own Security Request "
                "(outside its pairing window)",
                "pairing-mode-inactive",
            ),
        ),
    ),
    (ErrorCode.ENCRYPTION_KEY_SIZE, (Cause("SMP Pairing Failed 0x06", "encryption-key-size"),)),
    (
        ErrorCode.COMMAND_NOT_SUPPORTED,
        (Cause("SMP Pairing Failed 0x07", "command-not-supported"),),
    ),
    (
        ErrorCode.UNSPECIFIED_REASON,
        (
            _SMP_FAILURES[0],
            Cause(
                "SMP Pairing Failed 0x08 later in the pairing (a reason of the device's own)",
                "pairing-failed",
            ),
        ),
    ),
    (ErrorCode.REPEATED_ATTEMPTS, (_SMP_FAILURES[6],)),
    (ErrorCode.INVALID_PARAMETERS, (Cause("SMP Pairing Failed 0x0A", "invalid-parameters"),)),
    (ErrorCode.DHKEY_CHECK_FAILED, (_SMP_FAILURES[7],)),
    (ErrorCode.NUMERIC_COMPARISON_FAILED, (_SMP_FAILURES[8],)),
    (
        ErrorCode.BREDR_PAIRING_IN_PROGRESS,
        (Cause("SMP Pairing Failed 0x0D", "pairing-failed"),),
    ),
    (
        ErrorCode.CROSS_TRANSPORT_KEY_NOT_ALLOWED,
        (Cause("SMP Pairing Failed 0x0E", "pairing-failed"),),
    ),
    (ErrorCode.KEY_REJECTED, (Cause("SMP Pairing Failed 0x0F", "pairing-failed"),)),
)


_SHORT_NAMES = {ErrorCode.CROSS_TRANSPORT_KEY_NOT_ALLOWED: "Cross-transport Key Derivation"}
# Reason names that are also everyday words of a log ("Max encryption key size: 16" in every
# btmon Pairing Request, "Command not supported", "Invalid parameters"): one of these is an
# SMP reason only next to "reason"/"pairing failed" or with its own code after it
_COMMON_WORDS = frozenset(
    {
        ErrorCode.AUTHENTICATION_REQUIREMENTS,
        ErrorCode.ENCRYPTION_KEY_SIZE,
        ErrorCode.COMMAND_NOT_SUPPORTED,
        ErrorCode.REPEATED_ATTEMPTS,
        ErrorCode.INVALID_PARAMETERS,
        ErrorCode.KEY_REJECTED,
    }
)
# Stacks' symbols for a reason beyond its spelled-out name (Bumble bumble/smp.py
# SMP_*_ERROR, e.g. SMP_INVALID_PARAMETERS_ERROR, which spells 0x0D "BD_EDR")
_SYMBOLS = {
    ErrorCode.BREDR_PAIRING_IN_PROGRESS: (
        "BR_EDR_PAIRING_IN_PROGRESS",
        "BD_EDR_PAIRING_IN_PROGRESS",
    ),
    ErrorCode.CROSS_TRANSPORT_KEY_NOT_ALLOWED: ("CROSS_TRANSPORT_KEY_DERIVATION_NOT_ALLOWED",),
}
# The line says the number is SMP's: "smp" as a word of its own (btmon "SMP:", Zephyr
# "bt_smp:", "SMP_"), before the reason
_SMP_SAID = r"(?<![a-z])smp(?![a-z])[^\n]*?"
# What the meaning of a reason adds where the stacks' behaviour makes the spec's words mislead
_MORE_MEANING = {
    ErrorCode.NUMERIC_COMPARISON_FAILED: (
        " On Linux it is often no one's answer: with no BlueZ agent registered, bluetoothd "
        "cannot ask anyone and rejects the confirmation itself (src/device.c new_auth() "
        "'No agent available for request type 2', then src/adapter.c "
        "'device_confirm_passkey: Operation not permitted'), and the kernel sends 0x0C for a "
        "Secure Connections pairing (net/bluetooth/smp.c sc_user_reply()) — even for Just "
        "Works, which BlueZ confirms through the agent. The journal's agent lines tell which: "
        "with them, register an agent; without them, a user or the peer said no"
    ),
}
_MORE_CAUSES = {
    ErrorCode.NUMERIC_COMPARISON_FAILED: (
        Cause(
            "BlueZ with no agent: bluetoothd rejected the confirmation itself (journal: 'No "
            "agent available for request type 2')",
            "no-agent",
        ),
    ),
}


def _smp_reason_entries() -> tuple[Explanation, ...]:
    """One entry per SMP Pairing Failed reason, matched only where the text says the number
    or name is an SMP reason: btmon/Wireshark's ``Reason: Unspecified reason (0x08)``, a
    number after "reason" on a line that names SMP, a stack's SMP symbol, or the reason's
    name (an everyday one only next to "reason"/"pairing failed" or its own code)."""
    entries = []
    for code, causes in _SMP_REASONS:
        # the name as stacks spell it; they shorten 0x0E's to its first words
        words = _SHORT_NAMES.get(code, error_name(code)).lower()
        name = _spelled(words)
        hexes = f"0x0?{code:x}"
        number = rf"(?:{hexes}|{code})\b(?!\s*\()"
        # not the same words with another code after them: HCI "Repeated Attempts (0x17)"
        not_other = rf"(?!\s*\(0x(?!0?{code:x}\)))"
        symbols = _SYMBOLS.get(code, (re.sub(r"\W+", "_", words).upper(),))
        patterns = [
            # "Reason: Unspecified reason (0x08)" (btmon), "Reason: 0x0c (Numeric ...)"
            rf"\breason\b\s*[:=]?\s*{name}\s*\({hexes}\)",
            rf"\breason\b\s*[:=]?\s*{hexes}\s*\(\s*{name}\s*\)",
            # "bt_smp: reason 0x8", "smp: pairing failed reason=3"
            rf"{_SMP_SAID}\breason\b\s*[:=]?\s*{number}",
            # Zephyr subsys/bluetooth/host/smp.c smp_pairing_complete(): the SMP status
            rf"\bsmp_pairing_complete: got status {hexes}\b",
            # BTstack's SM_EVENT_PAIRING_COMPLETE reason (btstack_defines.h: the SMP reason
            # when the status is Authentication Failure), as its examples print it
            rf"\bauthentication failure with reason\s*=?\s*{number}",
            rf"(?<![A-Za-z])SMP_(?:{'|'.join(symbols)})(?:_ERROR)?\b",
            rf"\b(?:reason|pairing failed)\b[^\n]{{0,24}}?\b{name}\b{not_other}",
            rf"\b{name}\s*\({hexes}\)",
        ]
        if code not in _COMMON_WORDS:
            patterns.append(rf"\b{name}\b{not_other}")
        entries.append(
            Explanation(
                f"smp-reason-0x{code:02x}",
                tuple(patterns),
                f"SMP Pairing Failed, reason {error_name(code)} (0x{code:02x}) — btmon, "
                "Wireshark, stack logs",
                f"The side that sent it says: {error_meaning(code)}.{_MORE_MEANING.get(code, '')}",
                causes + _MORE_CAUSES.get(code, ()),
            )
        )
    return tuple(entries)


def _spelled(words: str) -> str:
    """A pattern of ``words`` as stacks write them: any case, spaces or underscores."""
    return re.escape(words).replace("\\ ", r"[ _]")


# BTstack's examples (sm_pairing_peripheral.c, sm_pairing_central.c …) print these on
# SM_EVENT_REENCRYPTION_COMPLETE for ERROR_CODE_CONNECTION_TIMEOUT and
# ERROR_CODE_REMOTE_USER_TERMINATED_CONNECTION (0x06 is pin-or-key-missing's)
_BTSTACK_REENCRYPTION = {
    0x08: r"\bRe-encryption failed, timeout\b",
    0x13: r"\bRe-encryption failed, disconnected\b",
}
_NEVER = r"(?!x)x"  # a pattern slot an entry leaves empty


def _hci_status_entries() -> tuple[Explanation, ...]:
    """One entry per HCI error code, matched by its name with the code after it as btmon
    and Wireshark print it ("Connection Timeout (0x08)"): the code keeps an HCI name that is
    also an SMP reason's ("Repeated Attempts") from being taken for it."""
    entries = []
    hci = _meanings("hci")
    for member in HciError:
        code, name = int(member), member.label
        if code in (0x00, 0x06):  # success; 0x06 has its own entry (pin-or-key-missing)
            continue
        # "LMP Response Timeout / LL Response Timeout": either half too
        names = [name, *name.split(" / ")] if " / " in name else [name]
        spelled = "|".join(_spelled(n) for n in names)
        meaning, causes = hci.get(
            code, ("an error the controller (or the peer's) reported; it is no SMP reason", ())
        )
        number = rf"(?:0x0*{code:x}|{code})\b(?![\w(])"
        entries.append(
            Explanation(
                f"hci-status-0x{code:02x}",
                (
                    rf"\b(?:{spelled})\s*\(0x0?{code:x}\)",
                    # a disconnection's reason is an HCI error code (Vol 4, Part E, 7.7.5;
                    # Zephyr's disconnected(conn, reason), ESP-IDF's disconnect reason):
                    # "Disconnected from X (reason 0x08)", "(reason 8)"; not NimBLE's
                    # decimal "reason=534" (0x200 + the code, its own table)
                    rf"\bdisconnect\w*\b[^\n]*?\breason\b(?:\s*:?\s*|\s*=\s*(?=0x)){number}",
                    # Zephyr smp.c bt_smp_encrypt_change(): "… encrypt 0x00 hci status 0x1f"
                    rf"\bhci status 0x0*{code:x}\b",
                    # BTstack SM_EVENT_REENCRYPTION_COMPLETE / SM_EVENT_PAIRING_COMPLETE
                    # status (btstack_defines.h: an HCI error code), "status: 61" in decimal
                    rf"\b(?:Re-encryption|Pairing) failed, status:?\s*{number}",
                    # and the words BTstack's examples print for two of them
                    _BTSTACK_REENCRYPTION.get(code, _NEVER),
                    # hcidump (parser/hci.c) prints a failed event's status by name on a
                    # line of its own below it: "Error: Page Timeout"
                    rf"^\s*Error: (?:{spelled})\s*$",
                ),
                f"HCI error 0x{code:02x} {name} (Vol 1, Part F) — btmon, Wireshark, stack logs",
                f"The controller reports: {meaning}.",
                causes,
            )
        )
    return tuple(entries)


def _bonding_entries() -> tuple[Explanation, ...]:
    """bluetoothd's debug log (``bluetoothd -d``) at the end of a bonding, BlueZ src/adapter.c
    ``bonding_attempt_complete() hci0 bdaddr … type 1 status 0x5``, ``pair_device_complete()
    Failed (0x03)`` and src/device.c ``device_bonding_complete() bonding 0x… status 0x05``:
    the status is MGMT's."""
    entries = []
    bonding = _meanings("bonding")
    for member in MgmtStatus:
        code = int(member)
        if code == 0:
            continue
        meaning, causes = bonding.get(
            code, (f"the bonding ended with the management status {member.label}", ())
        )
        entries.append(
            Explanation(
                f"bluez-bonding-status-0x{code:02x}",
                (
                    r"\b(?:bonding_attempt_complete|device_bonding_complete)\(\)"
                    rf".*?\bstatus 0x0*{code:x}\b",
                    # src/adapter.c pair_device_complete(): "%s (0x%02x)", mgmt_errstr()
                    rf"\bpair_device_complete\(\)[^\n]*?\(0x0*{code:x}\)",
                    # src/device.c device_bonding_failed(): "status %u", in decimal
                    rf"\bdevice_bonding_failed\(\)\s*status {code}\b",
                ),
                f"bluetoothd debug log: bonding ended with MGMT status {member.label} "
                f"(0x{code:02x})",
                f"bluetoothd says: {meaning}.",
                causes,
                ("bluez",),
                "BlueZ src/adapter.c bonding_attempt_complete(), pair_device_complete(), "
                "src/device.c device_bonding_complete(), device_bonding_failed(); statuses "
                "lib/bluetooth/mgmt.h",
            )
        )
    return tuple(entries)


def _connect_failed_entries() -> tuple[Explanation, ...]:
    """bluetoothd's debug log of the MGMT Connect Failed event, src/adapter.c
    ``connect_failed_callback() hci0 ADDR status 4``: the status is MGMT's, in decimal."""
    entries = []
    for member in MgmtStatus:
        code = int(member)
        if code == 0:
            continue
        entries.append(
            Explanation(
                f"bluez-connect-failed-status-0x{code:02x}",
                (rf"\bconnect_failed_callback\(\)\s*hci\d+ \S+ status {code}\b",),
                f"bluetoothd debug log: a connection failed with MGMT status {member.label} "
                f"(0x{code:02x})",
                "The kernel says (MGMT Connect Failed event): the connection did not come "
                "up, so no pairing could run on it; the kernel turned the "
                f"controller's HCI status into {member.label}. A capture shows the HCI "
                "status of the connection's Command Status or Connection Complete.",
                (),
                ("bluez",),
                "BlueZ src/adapter.c connect_failed_callback(); doc/mgmt-protocol.rst "
                "(Connect Failed event); statuses lib/bluetooth/mgmt.h",
            )
        )
    return tuple(entries)


_SMP_ANY = Explanation(
    "smp-pairing-failed",
    (r"\bSMP: Pairing Failed \(0x05\)",),
    "SMP Pairing Failed without its reason (btmon / hcidump 'SMP: Pairing Failed (0x05)' — "
    "0x05 is the command code, the reason is on the next line)",
    "One side ended the pairing; the reason octet says why.",
    _SMP_FAILURES,
)
# "Pairing failed" in a stack's or an app's own words, with no reason the line names
_PAIRING_FAILED = Explanation(
    "pairing-failed-no-reason",
    # the bare words are any stack's ("authentication failed, status:9" is ESP-IDF's, not
    # BlueZ's org.bluez.Error.AuthenticationFailed, which its own entry matches by name)
    (r"\bpairing (?:has )?failed\b", r"\bauthentication ?(?:has )?failed\b"),
    "A pairing failure in a stack's or an app's own words, without a reason this line gives",
    "Some side ended the pairing; this line does not say why or which side. The lines "
    "around it may carry the stack's reason or error code; a capture shows the SMP "
    "Pairing Failed and its reason.",
    _SMP_FAILURES,
    weak=0,
)


def _numbered_failure_entries() -> tuple[Explanation, ...]:
    from bpdiag.rules.explain_stacks import numbered_failure_entries

    return numbered_failure_entries()


def _domainless_code_entries() -> tuple[Explanation, ...]:
    from bpdiag.rules.explain_stacks import domainless_code_entries

    return domainless_code_entries()


# "SMP timeout" in a stack's own words, no stack named: what the specification says of it
# (a stack's own entry, Zephyr's bt_smp "SMP Timeout", says more and leaves this one out)
_SMP_TIMEOUT = Explanation(
    "smp-timeout",
    (r"\bSMP[ _-]?time[ _-]?out\b", r"\bsmp_timeout\b"),
    "An SMP timeout in a stack's own words (Vol 3, Part H, 3.4)",
    "A Security Manager procedure waited 30 s for an SMP PDU that did not come (the peer "
    "stopped answering, a passkey was not entered or confirmed in time, or a PDU was lost). "
    "By the specification the pairing has failed and no more SMP PDUs may be sent on this "
    "connection: pairing again needs a new connection. The line does not say which side "
    "timed out.",
    (
        Cause("The pairing stops and nothing comes for 30 s", "pairing-incomplete"),
        Cause("The same timeout on every attempt", "repeated-smp-timeouts"),
    ),
)


def _disconnect_entries() -> tuple[Explanation, ...]:
    """btmgmt's (and bluetoothctl's mgmt menu's) ``hci0 ADDR type LE Public disconnected
    with reason 1``, bluetoothd's debug log ``dev_disconnected() Device ADDR disconnected,
    reason 2`` and btmon's ``Reason: Connection timeout (0x01)`` line of the event: the MGMT
    Device Disconnected event's reason, BlueZ's own numbering
    (doc/mgmt-protocol.rst, lib/bluetooth/mgmt.h MGMT_DEV_DISCONN_*), not an HCI error."""
    from bpdiag.rules.tables import load

    table = load("explain_codes.toml").sub("mgmt_disconnect")
    entries = []
    for row in table.rows():
        code = row.integer("code")
        causes = tuple(Cause(w, f) for w, f in row.pairs("causes")) if "causes" in row else ()
        entries.append(
            Explanation(
                f"bluez-mgmt-disconnect-reason-{code}",
                (
                    r"\btype (?:BR/EDR|LE Public|LE Random|\S+) disconnected with reason "
                    rf"{code}\b",
                    # bluetoothd -d: src/adapter.c dev_disconnected() logs the same event's
                    # reason ("Device %s disconnected, reason %u"), and plugins/policy.c
                    # disconnect_cb() gets it next ("reason %u")
                    rf"\bdev_disconnected\(\)\s*Device \S+ disconnected, reason {code}\b",
                    rf"\bpolicy\.c:disconnect_cb\(\)\s*reason {code}\b",
                    # btmon's '@ MGMT Event: Device Disconnected' prints it on its own line
                    # (monitor/packet.c mgmt_device_disconnected_evt(): "Reason: %s (0x%2.2x)"),
                    # in words no HCI error has with this number
                    rf"^\s*Reason: {re.escape(row.text('name'))} \(0x{code:02x}\)\s*$",
                ),
                f"BlueZ (btmgmt, bluetoothctl's mgmt menu, bluetoothd -d, btmon): MGMT Device "
                f"Disconnected, reason {code} "
                f"({row.text('name')})",
                f"The kernel says: {row.text('meaning')}. The number is the management "
                "interface's disconnect reason, not an HCI error code or an SMP reason.",
                causes,
                ("bluez",),
                table.text("source"),
            )
        )
    return tuple(entries)


def _mgmt_auth_entries() -> tuple[Explanation, ...]:
    """btmgmt's ``hci0 ADDR auth failed with status 0x05 (Authentication Failed)`` (MGMT
    Authentication Failed event) and ``Pairing with ADDR (BR/EDR) failed. status 0x05``
    (its Pair Device reply): the kernel's MGMT status (client/mgmt.c auth_failed(),
    pair_rsp())."""
    from bpdiag.rules.tables import load

    table = load("explain_codes.toml").sub("mgmt_auth")
    entries = []
    for row in table.rows():
        code = row.integer("code")
        label = MgmtStatus(code).label
        causes = tuple(Cause(w, f) for w, f in row.pairs("causes")) if "causes" in row else ()
        entries.append(
            Explanation(
                f"bluez-mgmt-auth-failed-0x{code:02x}",
                (rf"\bauth failed with status 0x0*{code:x}\b",),
                f"btmgmt / bluetoothctl (mgmt): MGMT Authentication Failed event, status "
                f"{label} (0x{code:02x})",
                f"The kernel says: {row.text('meaning')}.",
                causes,
                ("bluez",),
                table.text("source"),
            )
        )
        if "bredr" in row:
            entries.append(
                Explanation(
                    f"bluez-mgmt-pair-bredr-0x{code:02x}",
                    # no \b: a pasted terminal line may glue a colour code to it
                    (rf"Pairing with \S+ \(BR/EDR\) failed\. status 0x0*{code:x}\b",),
                    f"btmgmt pair: a BR/EDR pairing ended with MGMT status {label} (0x{code:02x})",
                    f"The kernel says: {row.text('bredr')}.",
                    (),
                    ("bluez",),
                    table.text("source"),
                )
            )
    return tuple(entries)


def _stack_entries() -> tuple[Explanation, ...]:
    from bpdiag.rules.explain_stacks import stack_entries

    return stack_entries()


CATALOGUE = (
    *_stack_entries(),
    *_smp_reason_entries(),
    *_hci_status_entries(),
    *_bonding_entries(),
    *_connect_failed_entries(),
    *_disconnect_entries(),
    *_mgmt_auth_entries(),
    *_numbered_failure_entries(),
    *_domainless_code_entries(),
    _SMP_TIMEOUT,
    _SMP_ANY,
    _PAIRING_FAILED,
    *CATALOGUE,
)


def _shadowed(span: tuple[int, int], cited: bool, others: list[tuple[int, int, bool]]) -> bool:
    """A match lies inside another entry's longer match (or the same text matched by a cited
    stack entry): ``ESP_GATT_INSUF_ENCRYPTION`` is ESP-IDF's, not Android's."""
    a, b = span
    for c, d, other_cited in others:
        if c <= a and b <= d and ((d - c) > (b - a) or (other_cited and not cited)):
            return True
    return False


# A gap between the words of a pattern ("smp … reason 0x08") spans at most MAX_GAP characters
# of the line: an unbounded one (``[^\n]*?``, ``.*``) costs a search time quadratic in the
# line's length (1.4 s on a hostile 4,096-character line of "smp smp …", hours on a file of
# them), a bounded one linear.  One message's words stand far closer than that.
MAX_GAP = 200
_GAPS = re.compile(r"\[\^\\n\]\*(\??)|(?<!\\)\.\*(\??)")


def _bounded(pattern: str) -> str:
    """``pattern`` with its unbounded gaps bounded to ``MAX_GAP`` characters (lazy ones stay
    lazy)."""
    return _GAPS.sub(
        lambda m: (
            ("[^\\n]" if m.group(0).startswith("[") else ".")
            + f"{{0,{MAX_GAP}}}"
            + (m.group(1) or m.group(2) or "")
        ),
        pattern,
    )


@cache
def _compiled() -> list[tuple[Explanation, tuple[re.Pattern[str], ...]]]:
    """Every entry with its patterns compiled once (the catalogue has more patterns than
    ``re``'s cache holds: searching by text compiled them again on every call, 120 ms), their
    gaps bounded (``_bounded``)."""
    return [
        (e, tuple(re.compile(_bounded(p), re.IGNORECASE) for p in e.patterns)) for e in CATALOGUE
    ]


def _literal_runs(items: Iterable[tuple[Any, Any]], runs: list[str], run: list[str]) -> None:
    """The runs of literal characters of a parsed pattern's sequence ``items`` that every
    match contains, in order: a literal joins the run, a group's sequence is walked in
    place, anything else (a class, a repeat, an alternation, an anchor) ends the run."""
    for op, arg in items:
        if op is _sre.LITERAL:
            run.append(chr(arg))
        elif op is _sre.SUBPATTERN:
            _literal_runs(arg[3].data, runs, run)
        elif run:
            runs.append("".join(run))
            run.clear()


def _required(pattern: re.Pattern[str]) -> str | None:
    """The longest run of characters every match of ``pattern`` contains, lower-cased (the
    patterns ignore case), or None when it has none of ASCII."""
    if _sre is None:
        return None
    runs: list[str] = []
    run: list[str] = []
    try:
        _literal_runs(_sre_parse(pattern.pattern, pattern.flags).data, runs, run)
    except (re.error, AttributeError, IndexError, TypeError, ValueError):  # another shape
        return None
    if run:
        runs.append("".join(run))
    ascii_runs = [r.lower() for r in runs if r.isascii()]
    return max(ascii_runs, key=len) if ascii_runs else None


@dataclass(frozen=True, slots=True)
class _Index:
    """The catalogue's patterns by the words each needs (``_required``): a line searched
    by only the entries whose words it holds, the rest cannot match it.  ``words`` →
    the entries (by position in ``_compiled()``) with a pattern that needs it; ``always``:
    those with a pattern that needs no word; ``needs``: each entry's patterns' word (None:
    none), which a line must hold for the pattern to be tried."""

    words: dict[str, tuple[int, ...]]
    always: frozenset[int]
    needs: tuple[tuple[str | None, ...], ...]


@cache
def _index() -> _Index:
    words: dict[str, list[int]] = {}
    always: set[int] = set()
    needs = []
    for k, (_e, patterns) in enumerate(_compiled()):
        need = tuple(_required(p) for p in patterns)
        needs.append(need)
        for w in need:
            if w is None:
                always.add(k)
            else:
                words.setdefault(w, []).append(k)
    return _Index({w: tuple(ks) for w, ks in words.items()}, frozenset(always), tuple(needs))


def _entries_for(low: str | None) -> list[int]:
    """The positions in ``_compiled()`` of the entries that can match a line, in order: those
    whose words its lower-cased text ``low`` holds (None for a line that is not ASCII, whose
    characters a pattern ignoring case may match in another form, 'ſ' for 's': it is
    searched by them all)."""
    index = _index()
    if low is None:
        return list(range(len(index.needs)))
    found = set(index.always)
    for w, ks in index.words.items():
        if w in low:
            found.update(ks)
    return sorted(found)


# A message the line says did not happen: a negation or a count of none right before it
# ("no Insufficient Authentication", "zero … errors seen", "0 GATT_ERROR") or a count of
# zero right after it ("Insufficient Authentication errors: 0", "GATT_ERROR count 0")
_DENIED_BEFORE = re.compile(
    r"(?<![\w-])(?:no|zero|never|without|none of|0)(?:\s+(?:more|further|new|such|any))?\s+$",
    re.IGNORECASE,
)
_DENIED_AFTER = re.compile(
    r"\s*(?:(?:errors?|failures?|events?|responses?|times)\s*(?:seen|received|reported|total)?"
    r"\s*[:=]?|count\s*[:=]?)\s*(?:0|none)(?![\w.])",
    re.IGNORECASE,
)  # a number right after the message alone ("Pairing failed: 0") is no count


def _denied(text: str, span: tuple[int, int]) -> bool:
    """The line says the message at ``span`` did not happen (it counts none of it)."""
    return bool(_DENIED_BEFORE.search(text, 0, span[0]) or _DENIED_AFTER.match(text, span[1]))


def explain(text: str) -> list[Explanation]:
    """Entries whose patterns match ``text`` (case-insensitive), best first; an entry whose
    match is part of a more specific entry's match is left out, and so is one matched only
    by its bare words (``weak``) when another entry matched."""
    hits: list[tuple[int, Explanation, tuple[int, int]]] = []
    denied: list[tuple[int, int]] = []  # what the line says did not happen
    compiled = _compiled()
    needs = _index().needs
    low = text.lower() if text.isascii() else None
    for k in _entries_for(low):
        e, patterns = compiled[k]
        for i, pat in enumerate(patterns):
            w = needs[k][i]
            if low is not None and w is not None and w not in low:
                continue  # a word every match holds is not in the line
            m = None
            for m in pat.finditer(text):
                if not _denied(text, m.span()):
                    break
                denied.append(m.span())
                m = None
            if m:
                hits.append((i, e, m.span()))
                break
    # a match inside a denied one is denied with it ("Key Missing" in "never PIN or Key
    # Missing")
    hits = [h for h in hits if not any(c <= h[2][0] and h[2][1] <= d for c, d in denied)]
    if any(i < e.weak for i, e, _ in hits):
        hits = [h for h in hits if h[0] < h[1].weak]
    spans = [(s[0], s[1], bool(e.cite)) for _, e, s in hits]
    hits = [
        h
        for k, h in enumerate(hits)
        if not _shadowed(h[2], bool(h[1].cite), spans[:k] + spans[k + 1 :])
    ]
    hits.sort(key=lambda t: t[0])
    found = [e for _, e, _ in hits]
    if any(e.key.startswith("smp-reason-") for e in found):
        found = [e for e in found if e is not _SMP_ANY]  # the reason says more
    return found


# Words one of which every message the catalogue knows contains (lower case): a line of a
# long log without any is not searched
_CANDIDATE = re.compile(
    r"err|fail|status|reason|0x|gatt|ble_|bluez|smp|auth|insuf|time|busy|reject|refus|abort"
    r"|cancel|missing|denied|unlikely|not |invalid|code|pair|bond|encrypt|secur|mic|key|peer"
    r"|cb[a-z]*error|unbond|nrf_|pm_|esp_|bta_|rejected|limit|attempt|unknown|support|remov"
    r"|agent|disconnect",
    re.IGNORECASE,
)
# A log line's time stamp, process and thread ids: lines that differ only there are one
_STAMP = re.compile(r"^[\d\s:.,/TZ+-]*(?:\[[\d.:,\s]*\])?[\s\d]*")
_PDU_FAILED = re.compile(r"\bSMP: Pairing Failed \(0x05\)", re.IGNORECASE)
_BARE_REASON = re.compile(r"reason\b\s*[:=]?\s*(?:0x)?[0-9a-f]+\s*$", re.IGNORECASE)
MAX_LOG_LINES = 2_000_000  # lines of a log read by ``explain_lines``
MAX_SEARCHED = 20_000  # distinct candidate lines searched
MAX_LINE = 1_024  # characters of a line searched (a message stands at its start)
MAX_SEARCH_SECONDS = 30.0  # searching a log ends after this, however many lines are left


@dataclass(slots=True)
class LogExplanations:
    """What ``explain_lines`` found: each entry with the numbers of the lines that named it
    (the first ``MAX_SHOWN``), in the order the entries first appeared."""

    found: list[tuple[Explanation, list[int]]]
    lines: int  # lines read
    searched: int  # distinct candidate lines searched
    stopped: bool  # a limit ended the reading before the log did
    # what a packet list's summary lines show in order (Wireshark's or PacketLogger's list
    # as text), None for any other log
    packet_list: PacketListStory | None = None


MAX_SHOWN = 5


def explain_lines(lines: Iterable[str]) -> LogExplanations:
    """The known messages in a stack's log (logcat, bluetoothd, nRF Connect, a Zephyr or
    ESP-IDF console): every line searched as ``explain`` searches a message, the same line
    text (but for its time stamp) once, in bounded time.  A packet list's SMP, ATT and HCI
    summary lines are also read in order, for the pairing story they tell
    (``rules/packet_list.py``)."""
    from bpdiag.rules.packet_list import PacketListReader

    packets = PacketListReader()
    found: dict[str, tuple[Explanation, list[int]]] = {}
    seen: dict[str, list[Explanation]] = {}
    n = searched = 0
    stopped = False
    deadline = time.monotonic() + MAX_SEARCH_SECONDS
    after_failed = False  # the line before was btmon's or hcidump's SMP Pairing Failed
    # The line of a reasonless "SMP: Pairing Failed (0x05)" (btmon and hcidump print the
    # reason on the next line): kept back for one line, and told as the reason's when the
    # next line names one, as within a line (``explain``)
    header: int | None = None

    def note(e: Explanation, lines: list[int]) -> None:
        entry = found.setdefault(e.key, (e, []))
        for k in lines:
            if len(entry[1]) < MAX_SHOWN and k not in entry[1]:
                entry[1].append(k)

    for n, line in enumerate(lines, 1):
        if n > MAX_LOG_LINES:
            n -= 1
            stopped = True
            break
        failed, after_failed = after_failed, bool(_PDU_FAILED.search(line))
        packets.feed(n, line)
        if header is not None and header < n - 1:
            note(_SMP_ANY, [header])
            header = None
        if not _CANDIDATE.search(line):
            continue
        text = line[:MAX_LINE].strip()
        if failed and _BARE_REASON.match(text):
            # hcidump prints the reason as a bare number on the next line ("reason 0x03"):
            # the PDU above says it is SMP's
            text = f"SMP: Pairing Failed (0x05) {text}"
        body = _STAMP.sub("", text, count=1)
        hits = seen.get(body)
        if hits is None:
            if searched >= MAX_SEARCHED or time.monotonic() > deadline:
                stopped = True
                break
            searched += 1
            hits = seen[body] = explain(text)
        if header is not None:  # the line after the header
            told = [header] if any(e.key.startswith("smp-reason-") for e in hits) else []
            if not told:
                note(_SMP_ANY, [header])
            header = None
        else:
            told = []
        for e in hits:
            if e is _SMP_ANY and len(hits) == 1:
                header = n  # the reason may come on the next line
                continue
            note(e, [*told, n] if e.key.startswith("smp-reason-") else [n])
    if header is not None:
        note(_SMP_ANY, [header])
    return LogExplanations(list(found.values()), n, searched, stopped, packets.story())
