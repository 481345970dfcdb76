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

from bpdiag.decode.smp import error_name
from bpdiag.rules.explain import Cause, Explanation
from bpdiag.rules.tables import Table, load

NO_FINDING = "none"

# Each stack's codes, names, meanings and causes, with the source that defines them
_TABLES = load("explain_stacks.toml")

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

Smp = dict[int, tuple[Cause, ...]]


def _smp_causes() -> Smp:
    from bpdiag.rules.explain import _SMP_REASONS  # the causes each SMP reason stands for

    return dict(_SMP_REASONS)


def _reason_causes(smp: Smp, reason: int) -> tuple[Cause, ...]:
    """The causes SMP ``reason`` stands for, or a Pairing Failed with it for one not listed."""
    return smp.get(reason, (Cause(f"SMP Pairing Failed 0x{reason:02x}", "pairing-failed"),))


def _reasons_causes(smp: Smp, reasons: Iterable[int]) -> tuple[Cause, ...]:
    """The causes of each of the SMP ``reasons`` that has any, in order."""
    return tuple(c for r in reasons for c in smp.get(r, ()))


def _causes(row: Table, key: str = "causes") -> tuple[Cause, ...]:
    """A row's causes: listed as [wire, finding] pairs, or the name of a group in [causes]."""
    if isinstance(row.data.get(key), str):
        return _causes(_TABLES.sub("causes"), row.text(key))
    return tuple(Cause(wire, finding) for wire, finding in row.pairs(key))


# The SMP timeout (30 s with no answer, Vol 3, Part H, 3.4), as a capture shows it
_SMP_TIMEOUT = _causes(_TABLES.sub("causes"), "smp_timeout")


def _camel_to_snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).upper()


def _dashed(name: str) -> str:
    """``INVALID_STATE`` → ``invalid-state``: a name as part of an entry's key."""
    return name.lower().replace("_", "-")


# ------------------------------------------------------------------ Nordic SoftDevice
def _nordic_sec_status(smp: Smp) -> Iterable[Explanation]:
    table = _TABLES.sub("nordic_sec_status")
    source = table.text("source")
    for row in table.rows():
        status, name = row.integer("code"), row.text("name")
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
            source,
        )
    yield Explanation(
        "nordic-sec-status-timeout",
        (r"\bBLE_GAP_SEC_STATUS_TIMEOUT\b", r"\bauth_status\b[\s:=]*(?:0x01|1)\b"),
        "Nordic SoftDevice auth_status 0x01 (BLE_GAP_SEC_STATUS_TIMEOUT)",
        "The SMP procedure timed out (30 s with no answer, Vol 3, Part H, 3.4): no Pairing "
        "Failed was sent; further SMP on this link is not allowed.",
        _SMP_TIMEOUT,
        _STACK_CAPTURE["nordic"],
        source,
    )
    yield Explanation(
        "nordic-sec-status-pdu-invalid",
        (r"\bBLE_GAP_SEC_STATUS_PDU_INVALID\b", r"\bauth_status\b[\s:=]*(?:0x02|2)\b"),
        "Nordic SoftDevice auth_status 0x02 (BLE_GAP_SEC_STATUS_PDU_INVALID)",
        "The SoftDevice received an SMP PDU it could not accept (bad length or out of order).",
        (Cause("An SMP PDU with a wrong length or in the wrong phase", "invalid-parameters"),),
        _STACK_CAPTURE["nordic"],
        source,
    )


# ------------------------------------------------------------------ Nordic Peer Manager
def _pm_failed(code: int) -> str:
    """peer_manager_handler.c's ``Connection security failed: … error: %d`` with ``code``."""
    return rf"\bConnection security failed\b[^\n]*?\berror:\s*(?:{code}|0x0*{code:x})\b"


def _nordic_pm() -> Iterable[Explanation]:
    table = _TABLES.sub("nordic_pm")
    for row in table.rows():
        code, name = row.integer("code"), row.text("name")
        yield Explanation(
            f"nordic-pm-conn-sec-error-0x{code:04x}",
            (rf"\bPM_CONN_SEC_ERROR_{name}\b", _pm_failed(code)),
            f"Nordic nRF5 SDK Peer Manager PM_EVT_CONN_SEC_FAILED error 0x{code:04x} = {code} "
            f"(PM_CONN_SEC_ERROR_{name})",
            f"The Peer Manager says: {row.text('meaning')}. Its error codes are "
            "PM_CONN_SEC_ERROR_BASE 0x1000 plus an HCI status, or the SoftDevice's "
            "BLE_GAP_SEC_STATUS_* (0x80 + SMP reason) for a Pairing Failed.",
            _causes(row),
            _STACK_CAPTURE["nordic"],
            table.text("source"),
        )


def _nrf_errors() -> Iterable[Explanation]:
    table = _TABLES.sub("nrf_error")
    for row in table.rows():
        code, name = row.integer("code"), row.text("name")
        yield Explanation(
            f"nrf-error-{_dashed(name)}",
            (rf"\bNRF_ERROR_{name}\b",),
            f"Nordic NRF_ERROR_{name} ({code}, 0x{code:04x}) — a SoftDevice API call's return",
            f"The call was refused locally: {row.text('meaning')}. It is not a message from the "
            "peer: the call that returned it did not reach the air.",
            (Cause("No PDU for the refused call — the local API refused it", NO_FINDING),),
            _STACK_CAPTURE["nordic"],
            table.text("source"),
        )
    rpc = _TABLES.sub("nrf_sd_rpc")
    for row in rpc.rows():
        code, name, meaning = row.integer("code"), row.text("name"), row.text("meaning")
        yield Explanation(
            f"nrf-error-sd-rpc-{_dashed(name)}",
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
            rpc.text("source"),
        )
    yield Explanation(
        "nrf-error-sd-rpc-h5-transport",
        (r"\bNRF_ERROR_SD_RPC_H5_TRANSPORT_\w+",),
        "pc-ble-driver NRF_ERROR_SD_RPC_H5_TRANSPORT_* (the UART/H5 link to the dongle)",
        "The serial link between the computer and the connectivity dongle failed — not a "
        "pairing failure.",
        (Cause("Nothing on the air: a host-to-dongle transport problem", NO_FINDING),),
        (),
        rpc.text("source"),
    )


# ------------------------------------------------------------------ NimBLE
def _nimble(smp: Smp) -> Iterable[Explanation]:
    table = _TABLES.sub("nimble_hci")
    source = table.text("source")
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
                source,
            )
    for row in table.rows():
        hci = row.integer("hci")
        code = 0x200 + hci
        yield Explanation(
            f"nimble-hci-0x{code:03x}",
            (rf"\b(?:status|rc|reason|err)\b\s*[=:]?\s*(?:{code}|0x0?{code:x})\b",),
            f"NimBLE host status {code} (0x{code:03x} = BLE_HS_ERR_HCI_BASE 0x200 + HCI "
            f"0x{hci:02x})",
            f"The controller reported HCI 0x{hci:02x} {row.text('meaning')}.",
            _causes(row),
            _STACK_CAPTURE["nimble"],
            source,
        )


# ------------------------------------------------------------------ Zephyr
def _zephyr(smp: Smp) -> Iterable[Explanation]:
    table = _TABLES.sub("zephyr")
    for row in table.rows():
        err, name, reasons = row.integer("err"), row.text("name"), row.integers("smp")
        causes = _reasons_causes(smp, reasons) + (_causes(row) if "causes" in row else ())
        folded = ", ".join(f"0x{r:02x} {error_name(r)}" for r in reasons)
        yield Explanation(
            f"zephyr-security-err-{err}",
            (
                rf"\bBT_SECURITY_ERR_{name}\b",
                rf"\bsecurity (?:failed|changed)\b[^\n]*?\berr(?:or)?\b\s*[=:]?\s*{err}\b",
                rf"\bpairing failed\b[^\n]*?\breason\b\s*[=:]?\s*{err}\b(?=[^\n]*bt_security)",
            ),
            f"Zephyr security_changed / pairing_failed err {err} (BT_SECURITY_ERR_{name})",
            f"Zephyr says: {row.text('meaning')}."
            + (f" It folds the SMP reasons {folded} into this one number." if folded else ""),
            tuple(dict.fromkeys(causes)),
            _STACK_CAPTURE["zephyr"],
            table.text("source"),
        )


# ------------------------------------------------------------------ Android
def _android() -> Iterable[Explanation]:
    unbond = _TABLES.sub("android_unbond")
    for row in unbond.rows():
        n, name = row.integer("code"), row.text("name")
        yield Explanation(
            f"android-unbond-reason-{n}",
            (
                rf"\bUNBOND_REASON_{name}\b",
                rf"android\.bluetooth\.device\.extra\.REASON\b\W*{n}\b",
            ),
            f"Android BluetoothDevice.UNBOND_REASON_{name} ({n}) in ACTION_BOND_STATE_CHANGED",
            f"The bond failed: {row.text('meaning')}. The number is a summary; the HCI snoop log "
            "holds the SMP exchange that says which cause.",
            _causes(row),
            _STACK_CAPTURE["android"],
            unbond.text("source"),
        )
    gatt = _TABLES.sub("android_gatt_insuf")
    for row in gatt.rows():
        name, code = row.text("name"), row.integer("att")
        yield Explanation(
            f"android-gatt-insuf-{_dashed(name)}",
            (rf"(?<![A-Za-z_])GATT_INSUF_{name}\b",),
            f"Android native stack GATT_INSUF_{name} (0x{code:02x}) — the ATT error from the "
            "peer (logcat bt_stack / btif_gatt)",
            f"The peer answered an ATT request with error 0x{code:02x}: the link lacks the "
            "security the attribute needs.",
            (Cause(f"ATT Error Response 0x{code:02x}", row.text("finding")),),
            _STACK_CAPTURE["android"],
            gatt.text("source"),
        )


# ------------------------------------------------------------------ ESP-IDF
def _esp(smp: Smp) -> Iterable[Explanation]:
    table = _TABLES.sub("esp_gatt")
    for row in table.rows():
        code, name = row.integer("code"), row.text("name")
        if "finding" in row:
            causes: tuple[Cause, ...] = (
                Cause(f"ATT Error Response 0x{code:02x}", row.text("finding")),
            )
        elif "smp" in row:
            causes = _reasons_causes(smp, row.integers("smp"))
        else:
            causes = _causes(row)
        yield Explanation(
            f"esp-gatt-{_dashed(name)}",
            (rf"\bESP_GATT_{name}\b",),
            f"ESP-IDF esp_gatt_status_t ESP_GATT_{name} (0x{code:02x})",
            f"ESP-IDF (Bluedroid) reports {row.text('meaning')}.",
            causes,
            _STACK_CAPTURE["esp"],
            table.text("source"),
        )


def _esp_auth(smp: Smp) -> Iterable[Explanation]:
    """esp_ble_auth_fail_rsn_t: ``base`` + (SMP reason - 1) for the spec's reasons, then
    Bluedroid's own, numbered on."""
    table = _TABLES.sub("esp_auth")
    base = table.integer("base")
    reasons: list[tuple[str, str, tuple[Cause, ...]]] = [
        (
            name,
            f"a Pairing Failed with SMP reason {error_name(reason)} (0x{reason:02x}), sent by "
            "either side (ESP-IDF does not say which)",
            _reason_causes(smp, reason),
        )
        for reason, name in enumerate(table.texts("spec"), 1)
    ]
    for row in table.rows("host"):
        name, meaning = row.text("name"), row.text("meaning")
        if "smp" in row:
            how = row.integer("smp")
            reasons.append((name, f"{meaning} (as SMP 0x{how:02x})", smp.get(how, ())))
        else:
            reasons.append((name, f"Bluedroid's own reason: {meaning}", _causes(row)))
    for code, (name, meaning, causes) in enumerate(reasons, base + 1):
        yield Explanation(
            f"esp-auth-smp-{code}",
            (
                rf"\b(?:ESP|BTA_DM)_AUTH_SMP_{name}\b",
                rf"\bfail[_ ]reason\b\s*[=:]?\s*(?:0x0*{code:x}|{code})\b",
            ),
            f"ESP-IDF ESP_GAP_BLE_AUTH_CMPL_EVT fail_reason {code} = 0x{code:02x} "
            f"(ESP_AUTH_SMP_{name}; Bluedroid BTA_DM_AUTH_SMP_{name})",
            f"ESP-IDF (Bluedroid) reports {meaning}. The number is not the SMP reason: "
            f"ESP-IDF adds {base} (BTA_DM_AUTH_FAIL_BASE) to it.",
            causes,
            _STACK_CAPTURE["esp"],
            table.text("source"),
        )


# ------------------------------------------------------------------ Apple CoreBluetooth
def _apple() -> Iterable[Explanation]:
    errors = _TABLES.sub("apple_cberror")
    for row in errors.rows():
        code, name, meaning = row.integer("code"), row.text("name"), row.text("meaning")
        words = re.escape(re.sub(r"(?<!^)(?=[A-Z])", " ", name).lower()).replace("\\ ", r"\s*")
        yield Explanation(
            f"corebluetooth-cberror-{code}",
            (
                rf"\bCBErrorDomain\b\W+Code\s*=\s*{code}\b",
                rf"\bCBError(?:Code)?\.?{name}\b",
                rf"\b{name}\b",
                rf"\b{words}\b" if row.flag("match_words") else r"(?!x)x",
            ),
            f"iOS/macOS CoreBluetooth CBErrorDomain Code={code} (CBError.{name})",
            f"CoreBluetooth says: {meaning}.",
            (Cause(meaning.split(":")[0], row.text("finding")),),
            _STACK_CAPTURE["apple"],
            errors.text("source"),
        )
    att = _TABLES.sub("apple_cbatterror")
    for row in att.rows():
        code, name, text = row.integer("code"), row.text("name"), row.text("text")
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
            (Cause(f"ATT Error Response 0x{code:02x}", row.text("finding")),),
            _STACK_CAPTURE["apple"],
            att.text("source"),
        )


# ------------------------------------------------------------------ bleak on Windows
def _windows() -> Iterable[Explanation]:
    table = _TABLES.sub("windows_pairing_result")
    for row in table.rows():
        n, name, meaning = row.integer("code"), row.text("name"), row.text("meaning")
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
            _causes(row) if "causes" in row else (Cause(meaning, NO_FINDING),),
            _STACK_CAPTURE["windows"],
            table.text("source"),
        )


# ------------------------------------------------------------------ BlueZ D-Bus
def _bluez() -> Iterable[Explanation]:
    table = _TABLES.sub("bluez")
    for row in table.rows():
        name = row.text("name")
        yield Explanation(
            f"bluez-error-{_dashed(_camel_to_snake(name))}",
            (rf"\borg\.bluez\.Error\.{name}\b",),
            f"BlueZ D-Bus org.bluez.Error.{name} (bluetoothctl / bleak / any D-Bus client)",
            f"bluetoothd says: {row.text('meaning')}.",
            _causes(row),
            _STACK_CAPTURE["bluez"],
            table.text("source"),
        )


_BUILDERS: tuple[Callable[[Smp], Iterable[Explanation]], ...] = (
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
