"""``explain`` entries for the messages of the stacks around Bluetooth LE pairing, one stack at a
time, each code under its own name (so ``ESP_GATT_INSUF_ENCRYPTION`` is ESP-IDF's, never
Android's ``GATT_INSUF_ENCRYPTION``, and ``NRF_ERROR_SD_RPC_NO_RESPONSE`` is a dongle problem,
never SMP reason 0x05).  Each entry cites where its numbers come from:

- Nordic SoftDevice ``ble_gap.h`` (BLE_GAP_SEC_STATUS_*: 0x80 + the SMP reason; 0x01 timeout,
  0x02 invalid PDU) and ``nrf_error.h`` (NRF_ERROR_*, base 0x0000);
- Nordic nRF5 SDK Peer Manager ``components/ble/peer_manager/peer_manager_types.h``
  (PM_CONN_SEC_ERROR_*: PM_CONN_SEC_ERROR_BASE 0x1000 + an HCI status — "the first 256 numbers
  in this range correspond to the status codes in BLE_HCI_STATUS_CODES" — or 0x1100 and up;
  pm_sec_error_code_t also carries the BLE_GAP_SEC_STATUS_* values) and
  ``peer_manager_handler.c`` (``Connection security failed: … error: %d``);
- pc-ble-driver ``sd_rpc_types.h`` (NRF_ERROR_SD_RPC_*, base 0x8000) — nRF Connect for Desktop
  and pc-ble-driver-py print these;
- NimBLE ``nimble/host/include/host/ble_hs.h`` (BLE_HS_ERR_HCI_BASE 0x200,
  BLE_HS_ERR_SM_US_BASE 0x400, BLE_HS_ERR_SM_PEER_BASE 0x500, plus the HCI status or SMP reason);
- Zephyr ``include/zephyr/bluetooth/conn.h`` (enum bt_security_err) and
  ``subsys/bluetooth/host/smp.c`` (security_err_get: which SMP reasons fold into which);
- Android ``android/bluetooth/BluetoothDevice.java`` (UNBOND_REASON_*), the native stack's
  ``stack/include/gatt_api.h`` (GATT_INSUF_*);
- ESP-IDF ``components/bt/host/bluedroid/api/include/api/esp_gatt_defs.h`` (esp_gatt_status_t)
  and ``esp_gap_ble_api.h`` (esp_ble_auth_fail_rsn_t, ``esp_ble_auth_cmpl_t.fail_reason``:
  ESP_AUTH_SMP_PASSKEY_FAIL = 78 = Bluedroid's BTA_DM_AUTH_FAIL_BASE (HCI_ERR_MAX_ERR + 10,
  ``bta_api.h``) + SMP reason 0x01, on to 91; then Bluedroid's own reasons 92–102);
- Apple CoreBluetooth ``CBError.h`` (CBErrorDomain codes, CBATTErrorDomain = ATT error codes);
- bleak ``bleak/backends/winrt/client.py`` (``Could not pair with device: {status}: …``) and
  Windows.Devices.Enumeration.DevicePairingResultStatus;
- BlueZ ``doc/org.bluez.Device.rst`` (Pair(): org.bluez.Error.*).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import replace

from bpdiag.decode.smp import ErrorCode as SmpError
from bpdiag.decode.smp import error_name
from bpdiag.rules.explain import Cause, Explanation

NO_FINDING = "none"
_SRC_NORDIC_GAP = "Nordic SoftDevice ble_gap.h (BLE_GAP_SEC_STATUS_*), e.g. nRF5 SDK s140 API"
_SRC_NRF_ERROR = "Nordic nrf_error.h (NRF_ERROR_*, global base 0x0000)"
_SRC_NORDIC_PM = (
    "Nordic nRF5 SDK components/ble/peer_manager/peer_manager_types.h (PM_CONN_SEC_ERROR_BASE "
    "0x1000, PM_SEC_ERRORS) and peer_manager_handler.c (Connection security failed … error)"
)
_SRC_RPC = "pc-ble-driver include/common/sd_rpc_types.h (NRF_ERROR_SD_RPC_BASE_NUM 0x8000)"
_SRC_NIMBLE = "Apache NimBLE nimble/host/include/host/ble_hs.h (BLE_HS_ERR_*_BASE)"
_SRC_ZEPHYR = (
    "Zephyr include/zephyr/bluetooth/conn.h (enum bt_security_err) and "
    "subsys/bluetooth/host/smp.c (security_err_get)"
)
_SRC_ANDROID_BOND = "AOSP framework android/bluetooth/BluetoothDevice.java (UNBOND_REASON_*)"
_SRC_ANDROID_GATT = "AOSP packages/modules/Bluetooth system/stack/include/gatt_api.h (GATT_INSUF_*)"
_SRC_ESP = "ESP-IDF components/bt/host/bluedroid/api/include/api/esp_gatt_defs.h"
_SRC_ESP_AUTH = (
    "ESP-IDF components/bt/host/bluedroid/api/include/api/esp_gap_ble_api.h "
    "(esp_ble_auth_fail_rsn_t) and bluedroid/bta/include/bta/bta_api.h (BTA_DM_AUTH_FAIL_BASE)"
)
_SRC_APPLE = (
    "Apple CoreBluetooth CBError.h / developer.apple.com/documentation/corebluetooth/cberror "
    "and cbatterror"
)
_SRC_BLEAK = (
    "bleak bleak/backends/winrt/client.py (pair) and Microsoft "
    "Windows.Devices.Enumeration.DevicePairingResultStatus"
)
_SRC_BLUEZ = "BlueZ doc/org.bluez.Device.rst (Pair) and src/error.c"

_STACK_CAPTURE: dict[str, tuple[str, ...]] = {
    "nordic": ("air",),
    "nimble": ("air",),
    "zephyr": ("air",),
    "android": ("android", "air"),
    "esp": ("air",),
    "apple": ("air",),
    "windows": ("air",),
    "bluez": ("bluez", "air"),
}


def _smp_causes() -> dict[int, tuple[Cause, ...]]:
    from bpdiag.rules.explain import _SMP_REASONS  # the causes each SMP reason stands for

    return dict(_SMP_REASONS)


def _reason_causes(smp: dict[int, tuple[Cause, ...]], reason: int) -> tuple[Cause, ...]:
    """The causes SMP ``reason`` stands for, or a Pairing Failed with it for one not listed."""
    return smp.get(reason, (Cause(f"SMP Pairing Failed 0x{reason:02x}", "pairing-failed"),))


# The SMP timeout (30 s with no answer, Vol 3, Part H, 3.4), as a capture shows it
_SMP_TIMEOUT = (
    Cause("The pairing stops and nothing comes for 30 s", "pairing-incomplete"),
    Cause("The same timeout on every attempt", "repeated-smp-timeouts"),
)


def _camel_to_snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).upper()


# ------------------------------------------------------------------ Nordic SoftDevice
_SEC_STATUS_NAMES = {
    0x81: "PASSKEY_ENTRY_FAILED",
    0x82: "OOB_NOT_AVAILABLE",
    0x83: "AUTH_REQ",
    0x84: "CONFIRM_VALUE",
    0x85: "PAIRING_NOT_SUPP",
    0x86: "ENC_KEY_SIZE",
    0x87: "SMP_CMD_UNSUPPORTED",
    0x88: "UNSPECIFIED",
    0x89: "REPEATED_ATTEMPTS",
    0x8A: "INVALID_PARAMS",
    0x8B: "DHKEY_FAILURE",
    0x8C: "NUM_COMP_FAILURE",
    0x8D: "BR_EDR_IN_PROG",
    0x8E: "X_TRANS_KEY_DISALLOWED",
}


def _nordic_sec_status(smp: dict[int, tuple[Cause, ...]]) -> Iterable[Explanation]:
    for status, name in _SEC_STATUS_NAMES.items():
        reason = status - 0x80
        yield Explanation(
            f"nordic-sec-status-0x{status:02x}",
            (
                rf"\bBLE_GAP_SEC_STATUS_{name}\b",
                rf"\bauth_status\b[\s:=]*(?:0x{status:02x}|{status})\b",
                _pm_failed(status),
            ),
            f"Nordic SoftDevice BLE_GAP_EVT_AUTH_STATUS auth_status 0x{status:02x} "
            f"(BLE_GAP_SEC_STATUS_{name})",
            f"The SMP reason 0x{reason:02x} {error_name(reason)} (0x80 + reason); error_src "
            "says who sent it (BLE_GAP_SEC_STATUS_SOURCE_LOCAL 0 = this device, REMOTE 1 = "
            "the peer).",
            _reason_causes(smp, reason),
            _STACK_CAPTURE["nordic"],
            _SRC_NORDIC_GAP,
        )
    yield Explanation(
        "nordic-sec-status-timeout",
        (r"\bBLE_GAP_SEC_STATUS_TIMEOUT\b", r"\bauth_status\b[\s:=]*(?:0x01|1)\b"),
        "Nordic SoftDevice auth_status 0x01 (BLE_GAP_SEC_STATUS_TIMEOUT)",
        "The SMP procedure timed out (30 s with no answer, Vol 3, Part H, 3.4): no Pairing "
        "Failed was sent; further SMP on this link is not allowed.",
        _SMP_TIMEOUT,
        _STACK_CAPTURE["nordic"],
        _SRC_NORDIC_GAP,
    )
    yield Explanation(
        "nordic-sec-status-pdu-invalid",
        (r"\bBLE_GAP_SEC_STATUS_PDU_INVALID\b", r"\bauth_status\b[\s:=]*(?:0x02|2)\b"),
        "Nordic SoftDevice auth_status 0x02 (BLE_GAP_SEC_STATUS_PDU_INVALID)",
        "The SoftDevice received an SMP PDU it could not accept (bad length or out of order).",
        (Cause("An SMP PDU with a wrong length or in the wrong phase", "invalid-parameters"),),
        _STACK_CAPTURE["nordic"],
        _SRC_NORDIC_GAP,
    )


# ------------------------------------------------------------------ Nordic Peer Manager
def _pm_failed(code: int) -> str:
    """peer_manager_handler.c's ``Connection security failed: … error: %d`` with ``code``."""
    return rf"\bConnection security failed\b[^\n]*?\berror:\s*(?:{code}|0x0*{code:x})\b"


_PM_ERRORS = {
    0x1006: (
        "PIN_OR_KEY_MISSING",
        "encryption with the bond's key failed: the peer has lost the LTK (HCI 0x06 PIN or Key "
        "Missing)",
        (Cause("Encryption refused with 0x06 (stale bond)", "bond-lost"),),
    ),
    0x103D: (
        "MIC_FAILURE",
        "the link was closed with a MIC failure (HCI 0x3D): the two sides encrypted with "
        "different keys, or a stray packet came during the procedure",
        (Cause("MIC failure (0x3D) on the link", "mic-failure"),),
    ),
    0x1100: (
        "DISCONNECT",
        "pairing or encryption did not finish before the link was closed for another reason",
        (Cause("The link was closed during pairing", "pairing-incomplete"),),
    ),
    0x1101: (
        "SMP_TIMEOUT",
        "an SMP timeout has already happened on this link (30 s without an answer, Vol 3, "
        "Part H, 3.4), so no more pairing can run on it: disconnect and reconnect",
        _SMP_TIMEOUT,
    ),
}


def _nordic_pm() -> Iterable[Explanation]:
    for code, (name, meaning, causes) in _PM_ERRORS.items():
        yield Explanation(
            f"nordic-pm-conn-sec-error-0x{code:04x}",
            (rf"\bPM_CONN_SEC_ERROR_{name}\b", _pm_failed(code)),
            f"Nordic nRF5 SDK Peer Manager PM_EVT_CONN_SEC_FAILED error 0x{code:04x} = {code} "
            f"(PM_CONN_SEC_ERROR_{name})",
            f"The Peer Manager says: {meaning}. Its error codes are PM_CONN_SEC_ERROR_BASE "
            "0x1000 plus an HCI status, or the SoftDevice's BLE_GAP_SEC_STATUS_* (0x80 + SMP "
            "reason) for a Pairing Failed.",
            causes,
            _STACK_CAPTURE["nordic"],
            _SRC_NORDIC_PM,
        )


_NRF_ERRORS = {
    1: ("SVC_HANDLER_MISSING", "the SoftDevice call has no handler (SoftDevice/API mismatch)"),
    2: ("SOFTDEVICE_NOT_ENABLED", "the SoftDevice is not enabled"),
    3: ("INTERNAL", "an internal SoftDevice error"),
    4: ("NO_MEM", "no memory for the operation (too many keys/queued operations)"),
    5: ("NOT_FOUND", "not found"),
    6: ("NOT_SUPPORTED", "not supported (e.g. LESC or OOB not enabled in this build)"),
    7: ("INVALID_PARAM", "a parameter of the call was invalid (e.g. security params, IO caps)"),
    8: (
        "INVALID_STATE",
        "not allowed in this state: a security procedure is already running, the link is not "
        "connected, or a reply (sd_ble_gap_sec_params_reply) was not expected now",
    ),
    9: ("INVALID_LENGTH", "invalid length"),
    10: ("INVALID_FLAGS", "invalid flags"),
    11: ("INVALID_DATA", "invalid data"),
    12: ("DATA_SIZE", "data size exceeds the limit"),
    13: (
        "TIMEOUT",
        "the operation timed out; for security calls: an SMP timeout happened and no further "
        "SMP is allowed on this link",
    ),
    14: ("NULL", "a null pointer was passed"),
    15: ("FORBIDDEN", "forbidden operation"),
    16: ("INVALID_ADDR", "bad memory address"),
    17: ("BUSY", "busy: another procedure (e.g. pairing or encryption) is in progress"),
    18: ("CONN_COUNT", "the maximum connection count was reached"),
    19: ("RESOURCES", "not enough resources for the operation"),
}

_RPC_ERRORS = {
    0x8001: ("ENCODE", "the host library could not encode the command for the dongle"),
    0x8002: ("DECODE", "the host library could not decode the dongle's answer"),
    0x8003: ("SEND", "the command could not be sent to the dongle (serial port)"),
    0x8004: ("INVALID_ARGUMENT", "an invalid argument was given to the host library"),
    0x8005: (
        "NO_RESPONSE",
        "the connectivity dongle did not answer the command (serial/USB link lost, wrong or "
        "old connectivity firmware, dongle reset or in use by another program)",
    ),
    0x8006: ("INVALID_STATE", "the host library is in the wrong state (adapter not open)"),
    0x8014: ("SERIALIZATION_TRANSPORT", "serialization transport error"),
    0x8015: ("SERIALIZATION_TRANSPORT_INVALID_STATE", "serialization transport invalid state"),
    0x8016: ("SERIALIZATION_TRANSPORT_NO_RESPONSE", "the dongle did not answer (transport)"),
    0x8017: ("SERIALIZATION_TRANSPORT_ALREADY_OPEN", "the serial port is already open"),
    0x8018: ("SERIALIZATION_TRANSPORT_ALREADY_CLOSED", "the serial port is already closed"),
}


def _nrf_errors() -> Iterable[Explanation]:
    for code, (name, meaning) in _NRF_ERRORS.items():
        yield Explanation(
            f"nrf-error-{name.lower().replace('_', '-')}",
            (rf"\bNRF_ERROR_{name}\b",),
            f"Nordic NRF_ERROR_{name} ({code}, 0x{code:04x}) — a SoftDevice API call's return",
            f"The call was refused locally: {meaning}. It is not a message from the peer: the "
            "call that returned it did not reach the air.",
            (Cause("No PDU for the refused call — the local API refused it", NO_FINDING),),
            _STACK_CAPTURE["nordic"],
            _SRC_NRF_ERROR,
        )
    for code, (name, meaning) in _RPC_ERRORS.items():
        yield Explanation(
            f"nrf-error-sd-rpc-{name.lower().replace('_', '-')}",
            (
                rf"\bNRF_ERROR_SD_RPC_{name}\b",
                rf"\b(?:error|err|code|status)\b[^\n\d]{{0,24}}(?:0x0*{code:x}|{code})\b",
            ),
            f"pc-ble-driver / nRF Connect NRF_ERROR_SD_RPC_{name} (0x{code:04x} = {code})",
            f"{meaning[0].upper() + meaning[1:]}. This is between the computer and the "
            "connectivity dongle — not a pairing failure, and nothing about the peer.",
            (
                Cause(
                    "Nothing on the air: the command never reached the dongle's radio "
                    "(reconnect the dongle, flash the connectivity firmware nRF Connect "
                    "offers, close other programs using the port)",
                    NO_FINDING,
                ),
            ),
            (),
            _SRC_RPC,
        )
    yield Explanation(
        "nrf-error-sd-rpc-h5-transport",
        (r"\bNRF_ERROR_SD_RPC_H5_TRANSPORT_\w+",),
        "pc-ble-driver NRF_ERROR_SD_RPC_H5_TRANSPORT_* (the UART/H5 link to the dongle)",
        "The serial link between the computer and the connectivity dongle failed — not a "
        "pairing failure.",
        (Cause("Nothing on the air: a host-to-dongle transport problem", NO_FINDING),),
        (),
        _SRC_RPC,
    )


# ------------------------------------------------------------------ NimBLE
def _nimble(smp: dict[int, tuple[Cause, ...]]) -> Iterable[Explanation]:
    for base, who, key in ((0x400, "this device", "us"), (0x500, "the peer", "peer")):
        for reason in range(0x01, 0x10):
            code = base + reason
            yield Explanation(
                f"nimble-sm-{key}-0x{code:03x}",
                (
                    rf"\b(?:status|rc|reason|err)\b\s*[=:]?\s*(?:{code}|0x0?{code:x})\b",
                    rf"\bBLE_HS_SM_{key.upper()}_ERR\(\s*(?:0x0?{reason:x}|{reason})\s*\)",
                ),
                f"NimBLE host status {code} (0x{code:03x} = BLE_HS_ERR_SM_{key.upper()}_BASE "
                f"0x{base:03x} + SMP reason 0x{reason:02x})",
                f"SMP {error_name(reason)} (0x{reason:02x}), decided by {who} "
                f"({'the local Security Manager sent Pairing Failed' if base == 0x400 else 'the peer sent Pairing Failed'}).",  # noqa: E501
                _reason_causes(smp, reason),
                _STACK_CAPTURE["nimble"],
                _SRC_NIMBLE,
            )
    for hci, what, causes in (
        (0x05, "Authentication Failure", (Cause("HCI 0x05 on the link", "pairing-failed"),)),
        (
            0x06,
            "PIN or Key Missing: encryption with the stored key was refused",
            (Cause("Encryption refused with 0x06 (stale bond)", "bond-lost"),),
        ),
        (
            0x3D,
            "Connection Terminated due to MIC Failure: the two sides used different keys",
            (Cause("Link dropped with 0x3D", "mic-failure"),),
        ),
        (
            0x13,
            "Remote User Terminated Connection: the peer closed the link",
            (Cause("The link was closed during pairing", "pairing-incomplete"),),
        ),
    ):
        code = 0x200 + hci
        yield Explanation(
            f"nimble-hci-0x{code:03x}",
            (rf"\b(?:status|rc|reason|err)\b\s*[=:]?\s*(?:{code}|0x0?{code:x})\b",),
            f"NimBLE host status {code} (0x{code:03x} = BLE_HS_ERR_HCI_BASE 0x200 + HCI "
            f"0x{hci:02x})",
            f"The controller reported HCI 0x{hci:02x} {what}.",
            causes,
            _STACK_CAPTURE["nimble"],
            _SRC_NIMBLE,
        )


# ------------------------------------------------------------------ Zephyr
_ZEPHYR = {
    1: ("AUTH_FAIL", (0x01, 0x04, 0x0B, 0x0C), "authentication failed"),
    2: ("PIN_OR_KEY_MISSING", (), "the peer has no key for the bond (HCI 0x06)"),
    3: ("OOB_NOT_AVAILABLE", (0x02,), "OOB data not available"),
    4: ("AUTH_REQUIREMENT", (0x03, 0x06), "the requested security level could not be reached"),
    5: ("PAIR_NOT_SUPPORTED", (0x05, 0x07), "pairing is not supported"),
    6: ("PAIR_NOT_ALLOWED", (0x09, 0x0D, 0x0E), "pairing is not allowed"),
    7: ("INVALID_PARAM", (0x0A,), "invalid parameters"),
    8: ("KEY_REJECTED", (0x0F,), "a distributed key was rejected"),
    9: ("UNSPECIFIED", (0x08,), "pairing failed for a reason not specified"),
}


def _zephyr(smp: dict[int, tuple[Cause, ...]]) -> Iterable[Explanation]:
    for err, (name, reasons, meaning) in _ZEPHYR.items():
        causes: list[Cause] = []
        for r in reasons:
            causes.extend(smp.get(r, ()))
        if err == 2:
            causes.append(Cause("Encryption refused with 0x06 (stale bond)", "bond-lost"))
        folded = ", ".join(f"0x{r:02x} {error_name(r)}" for r in reasons)
        yield Explanation(
            f"zephyr-security-err-{err}",
            (
                rf"\bBT_SECURITY_ERR_{name}\b",
                rf"\bsecurity (?:failed|changed)\b[^\n]*?\berr(?:or)?\b\s*[=:]?\s*{err}\b",
                rf"\bpairing failed\b[^\n]*?\breason\b\s*[=:]?\s*{err}\b(?=[^\n]*bt_security)",
            ),
            f"Zephyr security_changed / pairing_failed err {err} (BT_SECURITY_ERR_{name})",
            f"Zephyr says: {meaning}."
            + (f" It folds the SMP reasons {folded} into this one number." if folded else ""),
            tuple(dict.fromkeys(causes)),
            _STACK_CAPTURE["zephyr"],
            _SRC_ZEPHYR,
        )


# ------------------------------------------------------------------ Android
_UNBOND = {
    1: ("AUTH_FAILED", "the pairing failed (any SMP failure, or a key missing)"),
    2: ("AUTH_REJECTED", "the peer (or the user) rejected pairing"),
    3: ("AUTH_CANCELED", "pairing was cancelled on this phone (dialog dismissed)"),
    4: ("REMOTE_DEVICE_DOWN", "the device could not be reached (connection failed/dropped)"),
    5: ("DISCOVERY_IN_PROGRESS", "a discovery (scan) was running"),
    6: ("AUTH_TIMEOUT", "the pairing timed out (nobody answered in time)"),
    7: ("REPEATED_ATTEMPTS", "too many attempts: the peer is in its back-off"),
    8: ("REMOTE_AUTH_CANCELED", "the peer cancelled the pairing"),
    9: ("REMOVED", "an existing bond was removed"),
}
_UNBOND_CAUSES: dict[int, tuple[tuple[str, str], ...]] = {
    1: (
        ("SMP Pairing Failed 0x04/0x0B (passkey, key agreement)", "confirm-value-failed"),
        ("SMP Pairing Failed 0x03 (authentication requirements)", "peer-requires-mitm"),
        ("Encryption with the stored key refused (0x06)", "bond-lost"),
    ),
    2: (
        ("SMP Pairing Failed 0x05/0x08 at once (not in pairing mode)", "pairing-mode-inactive"),
        ("SMP Pairing Failed 0x05", "pairing-not-supported"),
    ),
    3: (("The user dismissed the pairing dialog", "pairing-incomplete"),),
    4: (("The link closed before or during pairing", "pairing-incomplete"),),
    5: (("No SMP at all: the bond never started", NO_FINDING),),
    6: (
        ("Nothing for 30 s (SMP timeout)", "pairing-incomplete"),
        ("The same timeout on every attempt", "repeated-smp-timeouts"),
    ),
    7: (("SMP Pairing Failed 0x09 Repeated Attempts", "repeated-attempts"),),
    8: (("The peer sent Pairing Failed (passkey entry cancelled 0x01)", "passkey-entry-failed"),),
    9: (("No SMP: the bond was deleted on the phone", NO_FINDING),),
}
_GATT_INSUF = {
    "AUTHENTICATION": (0x05, "insufficient-authentication"),
    "AUTHORIZATION": (0x08, "insufficient-authorization"),
    "KEY_SIZE": (0x0C, "insufficient-key-size"),
    "ENCRYPTION": (0x0F, "insufficient-encryption"),
}


def _android() -> Iterable[Explanation]:
    for n, (name, meaning) in _UNBOND.items():
        yield Explanation(
            f"android-unbond-reason-{n}",
            (
                rf"\bUNBOND_REASON_{name}\b",
                rf"android\.bluetooth\.device\.extra\.REASON\b\W*{n}\b",
            ),
            f"Android BluetoothDevice.UNBOND_REASON_{name} ({n}) in ACTION_BOND_STATE_CHANGED",
            f"The bond failed: {meaning}. The number is a summary; the HCI snoop log holds the "
            "SMP exchange that says which cause.",
            tuple(Cause(w, f) for w, f in _UNBOND_CAUSES[n]),
            _STACK_CAPTURE["android"],
            _SRC_ANDROID_BOND,
        )
    for name, (code, finding) in _GATT_INSUF.items():
        yield Explanation(
            f"android-gatt-insuf-{name.lower().replace('_', '-')}",
            (rf"(?<![A-Za-z_])GATT_INSUF_{name}\b",),
            f"Android native stack GATT_INSUF_{name} (0x{code:02x}) — the ATT error from the "
            "peer (logcat bt_stack / btif_gatt)",
            f"The peer answered an ATT request with error 0x{code:02x}: the link lacks the "
            "security the attribute needs.",
            (Cause(f"ATT Error Response 0x{code:02x}", finding),),
            _STACK_CAPTURE["android"],
            _SRC_ANDROID_GATT,
        )


# ------------------------------------------------------------------ ESP-IDF
_ESP = {
    "INSUF_AUTHENTICATION": (
        0x05,
        "ATT Insufficient Authentication",
        "insufficient-authentication",
    ),
    "INSUF_AUTHORIZATION": (0x08, "ATT Insufficient Authorization", "insufficient-authorization"),
    "INSUF_KEY_SIZE": (0x0C, "ATT Insufficient Encryption Key Size", "insufficient-key-size"),
    "INSUF_ENCRYPTION": (0x0F, "ATT Insufficient Encryption", "insufficient-encryption"),
    "ERROR": (0x85, "a generic GATT failure (connection lost, often while bonding)", ""),
    "AUTH_FAIL": (0x89, "authentication (pairing) failed during a GATT operation", ""),
}


def _esp(smp: dict[int, tuple[Cause, ...]]) -> Iterable[Explanation]:
    for name, (code, meaning, finding) in _ESP.items():
        if finding:
            causes: tuple[Cause, ...] = (Cause(f"ATT Error Response 0x{code:02x}", finding),)
        elif name == "AUTH_FAIL":
            auth_fail = (
                SmpError.AUTHENTICATION_REQUIREMENTS,
                SmpError.CONFIRM_VALUE_FAILED,
                SmpError.PAIRING_NOT_SUPPORTED,
                SmpError.UNSPECIFIED_REASON,
            )
            causes = tuple(c for r in auth_fail for c in smp.get(r, ()))
        else:
            causes = (
                Cause("The link closed during pairing", "pairing-incomplete"),
                Cause("Encryption with the stored key refused (0x06)", "bond-lost"),
            )
        yield Explanation(
            f"esp-gatt-{name.lower().replace('_', '-')}",
            (rf"\bESP_GATT_{name}\b",),
            f"ESP-IDF esp_gatt_status_t ESP_GATT_{name} (0x{code:02x})",
            f"ESP-IDF (Bluedroid) reports {meaning}.",
            causes,
            _STACK_CAPTURE["esp"],
            _SRC_ESP,
        )


# ESP-IDF esp_ble_auth_fail_rsn_t (esp_ble_auth_cmpl_t.fail_reason): 78 + (SMP reason - 1) for
# the spec's reasons, then Bluedroid's own; (name, meaning, SMP reason or causes)
_ESP_AUTH_BASE = 77  # BTA_DM_AUTH_FAIL_BASE = HCI_ERR_MAX_ERR (0x43) + 10
_ESP_AUTH_SPEC = (
    "PASSKEY_FAIL",
    "OOB_FAIL",
    "PAIR_AUTH_FAIL",
    "CONFIRM_VALUE_FAIL",
    "PAIR_NOT_SUPPORT",
    "ENC_KEY_SIZE",
    "INVALID_CMD",
    "UNKNOWN_ERR",
    "REPEATED_ATTEMPT",
    "INVALID_PARAMETERS",
    "DHKEY_CHK_FAIL",
    "NUM_COMP_FAIL",
    "BR_PARING_IN_PROGR",
    "XTRANS_DERIVE_NOT_ALLOW",
)
_LOCAL = "No PDU shows it: the local stack decided"
_ESP_AUTH_HOST: dict[str, tuple[str, tuple[tuple[str, str], ...] | int]] = {
    "INTERNAL_ERR": ("an internal error in the pairing procedure", ((_LOCAL, NO_FINDING),)),
    "UNKNOWN_IO": (
        "an unknown IO capability: the association model could not be chosen (check "
        "ESP_BLE_SM_IOCAP_MODE)",
        ((_LOCAL, NO_FINDING),),
    ),
    "INIT_FAIL": ("the pairing could not be started", ((_LOCAL, NO_FINDING),)),
    "CONFIRM_FAIL": ("the confirm value does not match", 0x04),
    "BUSY": (
        "a security procedure is already under way on this link",
        ((_LOCAL, NO_FINDING),),
    ),
    "ENC_FAIL": (
        "the controller failed to start encryption",
        (("Encryption refused with 0x06 (stale bond)", "bond-lost"),),
    ),
    "STARTED": ("the pairing has started (not a failure)", ((_LOCAL, NO_FINDING),)),
    "RSP_TIMEOUT": (
        "the Security Manager timed out: no SMP command came (30 s, Vol 3, Part H, 3.4)",
        (
            ("The pairing stops and nothing comes for 30 s", "pairing-incomplete"),
            ("The same timeout on every attempt", "repeated-smp-timeouts"),
        ),
    ),
    "DIV_NOT_AVAIL": (
        "the Encrypted Diversifier (EDIV) of the peer's LTK request is not in the key store",
        ((_LOCAL, NO_FINDING),),
    ),
    "UNSPEC_ERR": ("an unspecified failure", 0x08),
    "CONN_TOUT": (
        "the link was lost (connection timeout) during pairing",
        (("The link was closed during pairing", "pairing-incomplete"),),
    ),
}


def _esp_auth(smp: dict[int, tuple[Cause, ...]]) -> Iterable[Explanation]:
    table: list[tuple[str, str, tuple[Cause, ...]]] = []
    for reason, name in enumerate(_ESP_AUTH_SPEC, 1):
        causes = _reason_causes(smp, reason)
        table.append(
            (
                name,
                f"a Pairing Failed with SMP reason {error_name(reason)} (0x{reason:02x}), sent by "
                "either side (ESP-IDF does not say which)",
                causes,
            )
        )
    for name, (meaning, how) in _ESP_AUTH_HOST.items():
        if isinstance(how, int):
            table.append((name, f"{meaning} (as SMP 0x{how:02x})", smp.get(how, ())))
        else:
            table.append(
                (name, f"Bluedroid's own reason: {meaning}", tuple(Cause(*c) for c in how))
            )
    for code, (name, meaning, causes) in enumerate(table, _ESP_AUTH_BASE + 1):
        yield Explanation(
            f"esp-auth-smp-{code}",
            (
                rf"\b(?:ESP|BTA_DM)_AUTH_SMP_{name}\b",
                rf"\bfail[_ ]reason\b\s*[=:]?\s*(?:0x0*{code:x}|{code})\b",
            ),
            f"ESP-IDF ESP_GAP_BLE_AUTH_CMPL_EVT fail_reason {code} = 0x{code:02x} "
            f"(ESP_AUTH_SMP_{name}; Bluedroid BTA_DM_AUTH_SMP_{name})",
            f"ESP-IDF (Bluedroid) reports {meaning}. The number is not the SMP reason: "
            f"ESP-IDF adds {_ESP_AUTH_BASE} (BTA_DM_AUTH_FAIL_BASE) to it.",
            causes,
            _STACK_CAPTURE["esp"],
            _SRC_ESP_AUTH,
        )


# ------------------------------------------------------------------ Apple CoreBluetooth
_CB_ERRORS = {
    6: ("connectionTimeout", "the connection timed out", "pairing-incomplete"),
    7: ("peripheralDisconnected", "the peripheral disconnected", "pairing-incomplete"),
    10: ("connectionFailed", "the connection failed", NO_FINDING),
    14: (
        "peerRemovedPairingInformation",
        "the peer removed its pairing information: it lost the bond (reset, or bonded with "
        "another phone) while iOS still holds it — iOS will not re-pair by itself; "
        "Settings → Bluetooth → (i) → Forget This Device, then pair again",
        "bond-lost",
    ),
    15: (
        "encryptionTimedOut",
        "encrypting the link timed out (no answer to the encryption or pairing)",
        "pairing-incomplete",
    ),
    16: (
        "tooManyLEPairedDevices",
        "iOS has too many LE devices paired; remove some in Settings",
        NO_FINDING,
    ),
}
_CB_ATT = {
    5: (
        "insufficientAuthentication",
        "Authentication is insufficient",
        "insufficient-authentication",
    ),
    8: ("insufficientAuthorization", "Authorization is insufficient", "insufficient-authorization"),
    12: (
        "insufficientEncryptionKeySize",
        "Encryption key size is insufficient",
        "insufficient-key-size",
    ),
    15: ("insufficientEncryption", "Encryption is insufficient", "insufficient-encryption"),
}


def _apple() -> Iterable[Explanation]:
    for code, (name, meaning, finding) in _CB_ERRORS.items():
        words = re.escape(re.sub(r"(?<!^)(?=[A-Z])", " ", name).lower()).replace("\\ ", r"\s*")
        yield Explanation(
            f"corebluetooth-cberror-{code}",
            (
                rf"\bCBErrorDomain\b\W+Code\s*=\s*{code}\b",
                rf"\bCBError(?:Code)?\.?{name}\b",
                rf"\b{name}\b",
                rf"\b{words}\b" if code == 14 else r"(?!x)x",
            ),
            f"iOS/macOS CoreBluetooth CBErrorDomain Code={code} (CBError.{name})",
            f"CoreBluetooth says: {meaning}.",
            (Cause(meaning.split(":")[0], finding),),
            _STACK_CAPTURE["apple"],
            _SRC_APPLE,
        )
    for code, (name, text, finding) in _CB_ATT.items():
        yield Explanation(
            f"corebluetooth-cbatterror-{code}",
            (
                rf"\bCBATTErrorDomain\b\W+Code\s*=\s*{code}\b",
                rf"\bCBATTError(?:Code)?\.?{name}\b",
                rf"\b{re.escape(text)}\b",
            ),
            f'iOS/macOS CoreBluetooth CBATTErrorDomain Code={code} (CBATTError.{name}, "{text}.")',
            f"The peer answered an ATT request with error 0x{code:02x}; iOS pairs on its own "
            "when it gets Insufficient Authentication/Encryption, so this error reaching the "
            "app means pairing was refused or failed.",
            (Cause(f"ATT Error Response 0x{code:02x}", finding),),
            _STACK_CAPTURE["apple"],
            _SRC_APPLE,
        )


# ------------------------------------------------------------------ bleak on Windows
_WINRT = {
    1: ("NotReadyToPair", "the device is not ready to pair (not advertising, or out of range)"),
    2: ("NotPaired", "the device is not paired"),
    3: ("AlreadyPaired", "the device is already paired"),
    4: ("ConnectionRejected", "the device rejected the connection"),
    5: ("TooManyConnections", "too many connections"),
    6: ("HardwareFailure", "a hardware failure"),
    7: ("AuthenticationTimeout", "the authentication timed out (nobody answered in time)"),
    8: ("AuthenticationNotAllowed", "authentication is not allowed (the peer refused pairing)"),
    9: ("AuthenticationFailure", "the authentication failed (an SMP failure)"),
    10: ("NoSupportedProfiles", "no supported profiles"),
    11: (
        "ProtectionLevelCouldNotBeMet",
        "the requested protection level could not be met (typically MITM/encryption and "
        "authentication asked of a device without display or keyboard)",
    ),
    12: ("AccessDenied", "access denied (the app lacks permission, or the pairing was refused)"),
    13: ("InvalidCeremonyData", "invalid ceremony data (wrong PIN/passkey)"),
    14: ("PairingCanceled", "the pairing was cancelled"),
    15: ("OperationAlreadyInProgress", "another pairing operation is in progress"),
    16: ("RequiredHandlerNotRegistered", "no handler for the pairing ceremony was registered"),
    17: ("RejectedByHandler", "the pairing handler rejected it"),
    18: ("RemoteDeviceHasAssociation", "the remote device already has an association"),
    19: ("Failed", "the pairing failed"),
}
_WINRT_CAUSES: dict[int, tuple[tuple[str, str], ...]] = {
    1: (("No connection or no SMP at all", NO_FINDING),),
    3: (("No SMP: Windows holds a bond already", NO_FINDING),),
    4: (("The link was refused or closed", "pairing-incomplete"),),
    7: (
        ("Nothing for 30 s (SMP timeout)", "pairing-incomplete"),
        ("The same timeout on every attempt", "repeated-smp-timeouts"),
    ),
    8: (
        ("SMP Pairing Failed 0x05/0x08 at once (not in pairing mode)", "pairing-mode-inactive"),
        ("SMP Pairing Failed 0x05", "pairing-not-supported"),
    ),
    9: (
        ("SMP Pairing Failed 0x04 (wrong passkey)", "confirm-value-failed"),
        ("SMP Pairing Failed 0x03 (authentication requirements)", "peer-requires-mitm"),
        ("SMP Pairing Failed 0x0B", "dhkey-check-failed"),
    ),
    11: (
        (
            "SMP Pairing Failed 0x03 with MITM that the IO capabilities cannot give",
            "mitm-unsatisfiable",
        ),
        ("The peer requires MITM", "peer-requires-mitm"),
    ),
    13: (("SMP Pairing Failed 0x04 (wrong passkey)", "confirm-value-failed"),),
    19: (("Any SMP Pairing Failed", "pairing-failed"),),
}


def _windows() -> Iterable[Explanation]:
    for n, (name, meaning) in _WINRT.items():
        snake = _camel_to_snake(name)
        spelled = rf"(?:{n}|{name}|{snake})"
        yield Explanation(
            f"windows-pairing-result-{n}",
            (
                rf"could not pair with device\s*:\s*(?:DevicePairingResultStatus\.)?{spelled}\b",
                rf"\bDevicePairingResultStatus\.{spelled}\b",
                rf"(?<![A-Za-z_]){snake}\b" if "_" in snake else r"(?!x)x",
                rf"\b{name}\b" if len(name) > 12 else r"(?!x)x",
            ),
            f"bleak (WinRT backend) 'Could not pair with device: {n}' / Windows "
            f"DevicePairingResultStatus.{name} ({n})",
            f"Windows says: {meaning}. It summarises what happened on the link; record it to "
            "know which cause.",
            tuple(Cause(w, f) for w, f in _WINRT_CAUSES.get(n, ((meaning, NO_FINDING),))),
            _STACK_CAPTURE["windows"],
            _SRC_BLEAK,
        )


# ------------------------------------------------------------------ BlueZ D-Bus
_BLUEZ = {
    "AlreadyExists": (
        "the device is already paired (bluetoothd got MGMT Already Paired): no pairing was run",
        (("MGMT Pair Device answered Already Paired (0x13)", "already-paired"),),
    ),
    "DoesNotExist": (
        "bluetoothd does not know the device (not discovered yet, or removed): scan first",
        (("No connection attempt at all", NO_FINDING),),
    ),
    "NotReady": ("the adapter is not powered or not ready", (("No HCI traffic", NO_FINDING),)),
    "Failed": (
        "a generic failure; the message after it says more (e.g. 'le-connection-abort-by-local')",
        (
            ("The link closed during pairing", "pairing-incomplete"),
            ("Encryption with the stored key refused (0x06)", "bond-lost"),
        ),
    ),
    "NotPermitted": ("the operation is not permitted now", (("No pairing started", NO_FINDING),)),
    "InvalidArguments": (
        "the call's arguments were invalid",
        (("No pairing started", NO_FINDING),),
    ),
}


def _bluez() -> Iterable[Explanation]:
    for name, (meaning, causes) in _BLUEZ.items():
        yield Explanation(
            f"bluez-error-{_camel_to_snake(name).lower().replace('_', '-')}",
            (rf"\borg\.bluez\.Error\.{name}\b",),
            f"BlueZ D-Bus org.bluez.Error.{name} (bluetoothctl / bleak / any D-Bus client)",
            f"bluetoothd says: {meaning}.",
            tuple(Cause(w, f) for w, f in causes),
            _STACK_CAPTURE["bluez"],
            _SRC_BLUEZ,
        )


_BUILDERS: tuple[Callable[[dict[int, tuple[Cause, ...]]], Iterable[Explanation]], ...] = (
    _nordic_sec_status,
    lambda _smp: _nordic_pm(),
    lambda _smp: _nrf_errors(),
    _nimble,
    _zephyr,
    lambda _smp: _android(),
    _esp,
    _esp_auth,
    lambda _smp: _apple(),
    lambda _smp: _windows(),
    lambda _smp: _bluez(),
)


def stack_entries() -> tuple[Explanation, ...]:
    """Every stack entry, in the order above."""
    smp = _smp_causes()
    out = []
    for build in _BUILDERS:
        for e in build(smp):
            # A cause no capture can show (the call never reached the radio) says so in the
            # meaning; the causes list holds only what a finding can show.
            wire_only = tuple(c for c in e.causes if c.finding != NO_FINDING)
            if len(wire_only) != len(e.causes):
                missing = "; ".join(c.wire for c in e.causes if c.finding == NO_FINDING)
                e = replace(e, causes=wire_only, meaning=f"{e.meaning} ({missing}.)")
            out.append(e)
    return tuple(out)
