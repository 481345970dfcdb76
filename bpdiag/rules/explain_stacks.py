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
  ``stack/include/gatt_api.h`` (GATT_INSUF_*) and ``btif/src/btif_dm.cc``
  (``btif_dm_ble_auth_cmpl_evt()``: ``LE authentication for … failed with reason %d``, the
  same BTA_DM_AUTH_FAIL_BASE + tSMP_STATUS as ESP-IDF's fail_reason below, from the same rows;
  ``btif_dm_auth_cmpl_evt()``: the bonding's HCI status by ``stack/include/hci_error_code.h``'s
  names), the Security Manager's ``stack/smp`` lines by ``stack/include/smp_status.h``
  (tSMP_STATUS: which side sent a Pairing Failed, the stack's own statuses above 0x0E),
  ``bta/dm/bta_dm_sec.cc`` by ``stack/include/btm_status.h`` (tBTM_STATUS), and
  ``btservice/BondStateMachine.java`` (bt_status_t → UNBOND_REASON_*);
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
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace

from bpdiag.decode.smp import command_name, error_name
from bpdiag.rules.explain import Cause, Explanation
from bpdiag.rules.tables import Table, TableError, load

NO_FINDING = "none"

# Each stack's tables: the codes, names, meanings and causes, the source that defines them,
# how a capture shows them, and the templates an entry of each row is worded and matched by
_TABLES = load("explain_stacks.toml")

Smp = dict[int, tuple[Cause, ...]]


@dataclass(frozen=True, slots=True)
class _Values:
    """What fills a table's templates for one entry beyond the row's own fields, and the
    causes when they come from the SMP reasons rather than from the row or the table."""

    values: Mapping[str, object]
    causes: tuple[Cause, ...] | None = None


def _smp_causes() -> Smp:
    from bpdiag.rules.explain import _SMP_REASONS  # the causes each SMP reason stands for

    return dict(_SMP_REASONS)


def _reason_causes(smp: Smp, reason: int) -> tuple[Cause, ...]:
    """The causes SMP ``reason`` stands for, or a Pairing Failed with it for one not listed."""
    return smp.get(reason, (Cause(f"SMP Pairing Failed 0x{reason:02x}", "pairing-failed"),))


def _reasons_causes(smp: Smp, reasons: Iterable[int]) -> tuple[Cause, ...]:
    """The causes of each of the SMP ``reasons`` that has any, in order."""
    return tuple(c for r in reasons for c in smp.get(r, ()))


def _causes(row: Table, values: Mapping[str, object] | None = None) -> tuple[Cause, ...]:
    """``row``'s causes: [wire, finding] pairs (templates filled from ``values``), or the name
    of a group in [causes]."""
    if isinstance(row.data.get("causes"), str):
        return tuple(Cause(w, f) for w, f in _TABLES.sub("causes").pairs(row.text("causes")))
    fill = values or {}
    return tuple(Cause(w.format_map(fill), f.format_map(fill)) for w, f in row.pairs("causes"))


def _camel_to_snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).upper()


def _dashed(name: str) -> str:
    """``INVALID_STATE`` → ``invalid-state``: a name as part of an entry's key."""
    return name.lower().replace("_", "-")


_NEVER = r"(?!x)x"  # a pattern slot an entry leaves empty


def _pm_failed(code: int) -> str:
    """peer_manager_handler.c's ``Connection security failed: … error: %d`` with ``code``."""
    return rf"\bConnection security failed\b[^\n]*?\berror:\s*(?:{code}|0x0*{code:x})\b"


# ------------------------------------------------------------------ what each table adds
# The values a row's own fields do not give: derived numbers and names, optional pattern
# slots, and causes taken from the SMP reasons.  A table without one fills its templates from
# its rows alone.
def _nordic_sec_status(row: Table, smp: Smp) -> Iterator[_Values]:
    code = row.integer("code")
    reason = code - 0x80  # BLE_GAP_SEC_STATUS_*: 0x80 + the SMP reason
    values = {"reason": reason, "reason_name": error_name(reason), "pm_failed": _pm_failed(code)}
    yield _Values(values, _reason_causes(smp, reason))


def _nordic_pm(row: Table, smp: Smp) -> Iterator[_Values]:
    yield _Values({"pm_failed": _pm_failed(row.integer("code"))})


def _named(row: Table, smp: Smp) -> Iterator[_Values]:
    yield _Values({"dashed": _dashed(row.text("name"))})


def _nimble_sm(row: Table, smp: Smp) -> Iterator[_Values]:
    base, side = row.integer("base"), row.text("side")
    for reason in range(0x01, 0x10):
        values = {
            "code": base + reason,
            "reason": reason,
            "reason_name": error_name(reason),
            "SIDE": side.upper(),
        }
        yield _Values(values, _reason_causes(smp, reason))


def _nimble_hci(row: Table, smp: Smp) -> Iterator[_Values]:
    yield _Values({"code": 0x200 + row.integer("hci")})  # BLE_HS_ERR_HCI_BASE + HCI status


def _zephyr(row: Table, smp: Smp) -> Iterator[_Values]:
    reasons = row.integers("smp")  # the SMP reasons security_err_get folds into this one
    causes = _reasons_causes(smp, reasons) + (_causes(row) if "causes" in row else ())
    folded = ", ".join(f"0x{r:02x} {error_name(r)}" for r in reasons)
    note = f" It folds the SMP reasons {folded} into this one number." if folded else ""
    yield _Values({"folded": note}, tuple(dict.fromkeys(causes)))


def _smp_unexpected(row: Table, smp: Smp) -> Iterator[_Values]:
    """One entry per SMP command code (Vol 3, Part H, 3.3) for the stack of ``row``; a late
    Pairing Response is what the pairing-out-of-order finding shows in a capture."""
    for code in range(0x01, 0x0F):
        causes: tuple[Cause, ...] = ()
        if code == 0x02:
            causes = (Cause("A Pairing Response after phase 2 had begun", "pairing-out-of-order"),)
        yield _Values({"code": code, "command": command_name(code)}, causes)


def _esp_gatt(row: Table, smp: Smp) -> Iterator[_Values]:
    causes = _reasons_causes(smp, row.integers("smp")) if "smp" in row else None
    yield _Values({"dashed": _dashed(row.text("name"))}, causes)


def _esp_auth(row: Table, smp: Smp) -> Iterator[_Values]:
    base = _TABLES.sub("esp_auth").integer("base")
    if "meaning" not in row:  # one of the spec's reasons, numbered from base
        reason = row.integer("smp")
        if row.integer("code") != base + reason:
            raise TableError(f"{row.where}: code is not base {base} + smp {reason}")
        reports = (
            f"a Pairing Failed with SMP reason {error_name(reason)} (0x{reason:02x}), sent by "
            "either side (ESP-IDF does not say which)"
        )
        yield _Values({"reports": reports, "base": base}, _reason_causes(smp, reason))
    elif "smp" in row:  # Bluedroid's own, standing for an SMP reason
        how = row.integer("smp")
        reports = f"{row.text('meaning')} (as SMP 0x{how:02x})"
        yield _Values({"reports": reports, "base": base}, smp.get(how, ()))
    else:
        # what an ESP-IDF application can check for it (not Android's)
        hint = f" ({row.text('esp_hint')})" if "esp_hint" in row else ""
        reports = f"Bluedroid's own reason: {row.text('meaning')}{hint}"
        yield _Values({"reports": reports, "base": base})


_SPEC_REASONS = 0x0E  # smp_status.h SMP_MAX_FAIL_RSN_PER_SPEC: the last of the spec's


@dataclass(frozen=True, slots=True)
class _SmpStatus:
    """One of AOSP's tSMP_STATUS values (smp_status.h): its number, its name without
    ``SMP_``, what it reports (worded from its row), and the causes a capture can show."""

    status: int
    name: str
    reports: str
    causes: tuple[Cause, ...]
    row: Table


def _aosp_smp_statuses(smp: Smp) -> tuple[_SmpStatus, ...]:
    """AOSP's tSMP_STATUS values, from the rows that number them already: the spec's reasons
    as [bluedroid_smp_status] names them, the stack's own as [esp_auth] numbers them (the same
    Bluedroid smp_api.h: BTA_DM_AUTH_FAIL_BASE + the status; less those AOSP removed), then
    those only AOSP has ([android_smp_status])."""
    out = []
    for row in _TABLES.sub("bluedroid_smp_status").rows():
        reason = row.integer("smp")
        reports = (
            f"a Pairing Failed with SMP reason {error_name(reason)} (0x{reason:02x}), sent by "
            "either side (the line does not say which)"
        )
        out.append(_SmpStatus(reason, row.text("name"), reports, _reason_causes(smp, reason), row))
    base = _TABLES.sub("esp_auth").integer("base")
    own = [
        (r.integer("code") - base, r)
        for r in _TABLES.sub("esp_auth").rows()
        if "status_name" in r and not r.flag("aosp_unused")
    ]
    own += [(r.integer("status"), r) for r in _TABLES.sub("android_smp_status").rows("own")]
    for status, row in own:
        reports = f"its own status: {row.text('meaning')}"
        if "smp" in row:  # standing for an SMP reason
            reports += f" (as SMP 0x{row.integer('smp'):02x})"
            causes = smp.get(row.integer("smp"), ())
        else:
            causes = _causes(row)
        out.append(_SmpStatus(status, row.text("status_name"), reports, causes, row))
    return tuple(out)


def _android_smp_status(row: Table, smp: Smp) -> Iterator[_Values]:
    """The stack's own statuses (above the spec's reasons) by their smp_status.h names."""
    for st in _aosp_smp_statuses(smp):
        if st.status > _SPEC_REASONS:
            values = {"status": st.status, "status_name": st.name, "reports": st.reports}
            yield _Values({**values, "dashed": _dashed(st.name)}, st.causes)


def _sent_here(causes: tuple[Cause, ...]) -> tuple[Cause, ...]:
    """``causes`` less the findings of a Pairing Failed the peer sends: a line that says this
    device sent it ([android_smp_sent] ``peer_sent``)."""
    peer_sent = set(_TABLES.sub("android_smp_sent").texts("peer_sent"))
    return tuple(c for c in causes if c.finding not in peer_sent)


def _android_smp_sent(row: Table, smp: Smp) -> Iterator[_Values]:
    """The spec's reasons as smp_send_pair_fail() logs the Pairing Failed it sends."""
    from bpdiag.decode.smp import error_meaning

    for st in _aosp_smp_statuses(smp):
        if st.status <= _SPEC_REASONS:
            values = {
                "status": st.status,
                "status_name": st.name,
                "reason_name": error_name(st.status),
                "reason_meaning": error_meaning(st.status),
            }
            yield _Values(values, _sent_here(st.causes))


def _android_smp_cmpl(row: Table, smp: Smp) -> Iterator[_Values]:
    """Every status a pairing can end with, as smp_proc_pairing_cmpl() logs it."""
    table = _TABLES.sub("android_smp_cmpl")
    for st in _aosp_smp_statuses(smp):
        if st.row.flag("metrics_only"):  # no pairing ends with it
            continue
        who = table.text("who_spec" if st.status <= _SPEC_REASONS else "who_own")
        values = {"status": st.status, "status_name": st.name, "reports": st.reports}
        yield _Values({**values, "who": who.format(status_name=st.name)}, st.causes)


def _android_smp_check(row: Table, smp: Smp) -> Iterator[_Values]:
    """A check of AOSP's Security Manager that fails the pairing with the row's status."""
    table = _TABLES.sub("android_smp_check")
    st = {s.name: s for s in _aosp_smp_statuses(smp)}[row.text("status")]
    values = {"status": st.status, "status_name": st.name}
    if st.status <= _SPEC_REASONS:
        sent = table.text("sent_spec").format(**values, reason_name=error_name(st.status))
        causes = _sent_here(st.causes)
    else:
        sent, causes = table.text("sent_own").format(**values), st.causes
    yield _Values({**values, "sent": sent}, causes)


def _android_encrypt_link(row: Table, smp: Smp) -> Iterator[_Values]:
    told = f": {row.text('encrypt')}" if "encrypt" in row else ""
    yield _Values({"dashed": _dashed(row.text("name")), "told": told})


def _android_bond_callback(row: Table, smp: Smp) -> Iterator[_Values]:
    """A bt_status_t as the app sees it: the [android_unbond] row it becomes, and its causes."""
    unbond = {r.integer("code"): r for r in _TABLES.sub("android_unbond").rows()}
    reason = unbond[row.integer("unbond")]
    values = {
        "unbond_name": reason.text("name"),
        "unbond_meaning": reason.text("meaning"),
        "how": row.text("how", ""),
        # btif's dumpsys history words the status ("bt_status:failure bond_state:0")
        "history": (
            rf"\bbt_status:\s*{row.text('text')}\s+bond_state:\s*0\b" if "text" in row else _NEVER
        ),
    }
    yield _Values(values, _causes(reason))


def _android_le_auth(row: Table, smp: Smp) -> Iterator[_Values]:
    """Each of AOSP's SMP statuses as btif_dm_ble_auth_cmpl_evt() prints it:
    BTA_DM_AUTH_FAIL_BASE + the tSMP_STATUS, the numbering of ESP-IDF's fail_reason."""
    table, base = _TABLES.sub("android_le_auth"), _TABLES.sub("esp_auth").integer("base")
    for st in _aosp_smp_statuses(smp):
        if st.row.flag("metrics_only"):  # no pairing ends with it
            continue
        values = {
            "code": base + st.status,
            "status": st.status,
            "status_name": st.name,
            "base": base,
            "reports": st.reports,
            "outcome": _outcome(table, st.name),
        }
        yield _Values(values, st.causes)


def _apple_cberror(row: Table, smp: Smp) -> Iterator[_Values]:
    name = row.text("name")
    words = re.escape(re.sub(r"(?<!^)(?=[A-Z])", " ", name).lower()).replace("\\ ", r"\s*")
    values = {
        # the bare name only where it is no everyday word ("peerRemovedPairingInformation",
        # not "unknown")
        "bare_name": rf"\b{name}\b" if name != name.lower() else _NEVER,
        "words": rf"\b{words}\b" if row.flag("match_words") else _NEVER,
        "summary": row.text("meaning").split(":")[0],
    }
    yield _Values(values)


def _apple_cbatterror(row: Table, smp: Smp) -> Iterator[_Values]:
    yield _Values({"text_pattern": re.escape(row.text("text"))})


def _bluez_att(row: Table, smp: Smp) -> Iterator[_Values]:
    # "Atribute" and "occured": the spellings of older releases
    text = re.escape(row.text("text")).replace("Attribute", "At?tribute")
    yield _Values({"text_pattern": rf"\b{text}\b", "dashed": _dashed(row.text("name"))})


def _windows(row: Table, smp: Smp) -> Iterator[_Values]:
    n, name = row.integer("code"), row.text("name")
    snake = _camel_to_snake(name)
    values = {
        "spelled": rf"(?:{n}|{name}|{snake})",
        "snake_pattern": rf"(?<![A-Za-z_]){snake}\b" if "_" in snake else _NEVER,
        "name_pattern": rf"\b{name}\b" if len(name) > 12 else _NEVER,
    }
    yield _Values(values)


def _bluez(row: Table, smp: Smp) -> Iterator[_Values]:
    yield _Values({"dashed": _dashed(_camel_to_snake(row.text("name")))})


def _hci_values(code: int) -> _Values:
    """An HCI error code's name, and the meaning and causes bpdiag gives it elsewhere
    (rules/explain_codes.toml [hci])."""
    from bpdiag.decode.hci_names import ErrorCode as HciError
    from bpdiag.rules.explain import _meanings

    meaning, causes = _meanings("hci").get(
        code, ("an error the controller (or the peer's) reported; it is no SMP reason", ())
    )
    return _Values({"name": HciError(code).label, "hci_meaning": meaning}, causes)


def _aosp_hci_names() -> dict[int, str]:
    """AOSP's names for the HCI error codes (hci_error_code.h, without ``HCI_ERR_``)."""
    return {r.integer("hci"): r.text("aosp") for r in _TABLES.sub("android_hci_error").rows()}


def _outcome(table: Table, status: str | None) -> str:
    """What the stack does next for ``status`` (a name): the words of the first of the table's
    ``outcomes`` that lists it, or of the one that lists none (the default)."""
    groups = table.rows("outcomes")
    return next(
        g.text("says") for g in groups if status in g.texts("statuses") or not g.texts("statuses")
    )


def _with(extra: _Values, **values: object) -> _Values:
    return replace(extra, values={**extra.values, **values})


def _android_btif_auth(row: Table, smp: Smp) -> Iterator[_Values]:
    hci = row.integer("hci")
    yield _with(_hci_values(hci), aosp=_aosp_hci_names()[hci])


def _android_hci_error(row: Table, smp: Smp) -> Iterator[_Values]:
    yield _hci_values(row.integer("hci"))


def _android_btif_bonding(row: Table, smp: Smp) -> Iterator[_Values]:
    """One entry per HCI error code, named as hci_reason_code_text() prints it."""
    from bpdiag.decode.hci_names import ErrorCode as HciError

    names, table = _aosp_hci_names(), _TABLES.sub("android_btif_bonding")
    for member in HciError:
        code = int(member)
        if not code:  # 0x00 is success: no failure
            continue
        aosp = names.get(code)
        shown = f"HCI_ERR_{aosp}" if aosp else f"UNKNOWN[0x{code:02x}]"
        outcome = _outcome(table, aosp)
        notes = [n.text("says") for n in table.rows("notes") if n.text("status") == aosp]
        yield _with(
            _hci_values(code),
            hci=code,
            printed=rf"{re.escape(shown)}(?!\w)",
            shown=shown,
            outcome=outcome,
            note="".join(f" {n}" for n in notes),
        )


def _bluedroid_hcif_disc(row: Table, smp: Smp) -> Iterator[_Values]:
    from bpdiag.decode.hci_names import ErrorCode as HciError

    for member in HciError:
        if int(member):  # 0x00 is success: no disconnection reason
            yield _with(_hci_values(int(member)), hci=int(member))


def _bluedroid_smp_status(row: Table, smp: Smp) -> Iterator[_Values]:
    reason = row.integer("smp")
    values = {"dashed": _dashed(row.text("name")), "reason_name": error_name(reason)}
    yield _Values(values, _reason_causes(smp, reason))


def _ti_gapbond(row: Table, smp: Smp) -> Iterator[_Values]:
    reason = row.integer("smp")
    values = {"reason_name": error_name(reason), "note": row.text("note", "")}
    yield _Values(values, _reason_causes(smp, reason))


def _cypress_auth_failed(row: Table, smp: Smp) -> Iterator[_Values]:
    if "smp" in row:  # one of the spec's reasons, numbered as SMP numbers it
        reason = row.integer("smp")
        if row.integer("code") != reason:
            raise TableError(f"{row.where}: code is not smp {reason}")
        meaning = (
            f"a Pairing Failed with SMP reason {error_name(reason)} (0x{reason:02x}), sent by "
            "either side (the event does not say which)"
        )
        yield _Values({"meaning": meaning}, _reason_causes(smp, reason))
    else:
        yield _Values({})


def _windows_hresult(row: Table, smp: Smp) -> Iterator[_Values]:
    hresult = row.integer("hresult")
    yield _Values({"signed": hresult - (1 << 32) if hresult >= 1 << 31 else hresult})


def _row_only(row: Table, smp: Smp) -> Iterator[_Values]:
    yield _Values({})


_VALUES: dict[str, Callable[[Table, Smp], Iterator[_Values]]] = {
    "nordic_sec_status": _nordic_sec_status,
    "nordic_pm": _nordic_pm,
    "nrf_error": _named,
    "nrf_sd_rpc": _named,
    "nimble_sm": _nimble_sm,
    "nimble_hci": _nimble_hci,
    "zephyr": _zephyr,
    "smp_unexpected": _smp_unexpected,
    "android_gatt_insuf": _named,
    "esp_gatt": _esp_gatt,
    "esp_auth": _esp_auth,
    "apple_cberror": _apple_cberror,
    "apple_cbatterror": _apple_cbatterror,
    "windows_pairing_result": _windows,
    "bluez": _bluez,
    "bluez_att": _bluez_att,
    "android_btif_auth": _android_btif_auth,
    "android_hci_error": _android_hci_error,
    "android_btif_bonding": _android_btif_bonding,
    "android_smp_status": _android_smp_status,
    "android_smp_sent": _android_smp_sent,
    "android_smp_cmpl": _android_smp_cmpl,
    "android_smp_check": _android_smp_check,
    "android_encrypt_link": _android_encrypt_link,
    "android_bond_callback": _android_bond_callback,
    "android_le_auth": _android_le_auth,
    "bluedroid_hcif_disc": _bluedroid_hcif_disc,
    "bluedroid_smp_status": _bluedroid_smp_status,
    "ti_gapbond": _ti_gapbond,
    "cypress_auth_failed": _cypress_auth_failed,
    "windows_hresult": _windows_hresult,
}


def _table_entries(
    table: Table, fill: Callable[[Table, Smp], Iterator[_Values]], smp: Smp
) -> Iterator[Explanation]:
    """A table's entries: one (or more) per row, its templates filled from the row and the
    values ``fill`` adds; then the entries the table writes out whole (``fixed``)."""
    capture, cite = table.texts("capture"), table.text("source")
    for row in table.rows():
        for extra in fill(row, smp):
            values = {**row.data, **extra.values}
            if extra.causes is not None:
                causes = extra.causes
            else:
                causes = _causes(row if "causes" in row else table, values)
            yield Explanation(
                table.text("key").format_map(values),
                tuple(p.format_map(values) for p in table.texts("patterns")),
                table.text("message").format_map(values),
                table.text("meaning").format_map(values),
                causes,
                capture,
                cite,
            )
    for row in table.rows("fixed") if "fixed" in table else ():
        yield Explanation(
            row.text("key"),
            row.texts("patterns"),
            row.text("message"),
            row.text("meaning"),
            _causes(row),
            capture,
            cite,
        )


def stack_entries() -> tuple[Explanation, ...]:
    """Every stack entry, in the order of the tables."""
    smp = _smp_causes()
    out = []
    for name in _TABLES:
        if name == "causes":
            continue
        for e in _table_entries(_TABLES.sub(name), _VALUES.get(name, _row_only), smp):
            # A cause no capture can show (the call never reached the radio) says so in the
            # meaning; the causes list holds only what a finding can show.
            wire_only = tuple(c for c in e.causes if c.finding != NO_FINDING)
            if len(wire_only) != len(e.causes):
                missing = "; ".join(c.wire for c in e.causes if c.finding == NO_FINDING)
                e = replace(e, causes=wire_only, meaning=f"{e.meaning} ({missing}.)")
            out.append(e)
    return tuple(out)


def numbered_failure_entries() -> tuple[Explanation, ...]:
    """A pairing failure with a bare number whose numbering the line does not name
    ("Pairing failed: reason 1", "failed because of 1", "Pairing failed (9)"): SMP's
    Pairing Failed reasons and Zephyr's enum bt_security_err both run from 1, so the number
    alone cannot say which; each entry gives both readings and says so.  A line that names
    its stack (``bt_smp:``, Zephyr's sample callbacks) is matched by that stack's entry, which
    leaves this one out."""
    from bpdiag.decode.smp import error_meaning

    smp = _smp_causes()
    zephyr = {
        row.integer("err"): (row, next(iter(_zephyr(row, smp))))
        for row in _TABLES.sub("zephyr").rows()
    }
    out = []
    for n in range(0x01, 0x10):
        number = rf"(?:0x0*{n:x}|{n})(?![\w(.])"
        smp_reading = (
            f"as an SMP Pairing Failed reason (Vol 3, Part H, 3.5.5 — the numbering of btmon, "
            f"Wireshark and BTstack's SM_EVENT_PAIRING_COMPLETE) it is {error_name(n)} "
            f"(0x{n:02x}): {error_meaning(n)}"
        )
        causes = _reason_causes(smp, n)
        if n in zephyr:
            row, values = zephyr[n]
            zephyr_reading = (
                f"as Zephyr's enum bt_security_err (include/zephyr/bluetooth/conn.h — what a "
                f"Zephyr application's pairing_failed() and security_changed() callbacks get) "
                f"it is BT_SECURITY_ERR_{row.text('name')}: {row.text('meaning')}"
            )
            causes = tuple(dict.fromkeys(causes + (values.causes or ())))
        else:
            zephyr_reading = f"Zephyr's enum bt_security_err has no {n}"
        out.append(
            Explanation(
                f"pairing-failed-number-{n}",
                (
                    r"\bpairing (?:of [^\n]*?)?failed\b[^\n]*?"
                    rf"\b(?:reason|because of|err(?:or)?)\b\s*[:=]?\s*\(?{number}",
                    rf"(?<!SMP: )\bpairing failed\s*\(\s*{n}\s*\)",
                ),
                f"A pairing failure with the number {n}, in a numbering this line does not name",
                "Stacks number pairing failures differently and this line does not say whose "
                f"number it is: {smp_reading}; {zephyr_reading}. Find the statement that "
                "printed the line (or a line of the same log that names the stack) before "
                "reading a cause into the number.",
                causes,
                weak=0,  # a line that names its numbering is explained by that entry
            )
        )
    return tuple(out)


def domainless_code_entries() -> tuple[Explanation, ...]:
    """An error code with no domain on its line (``Code=14``, an NSError printed in part):
    CoreBluetooth numbers its errors in two domains (CBError.h: CBErrorDomain 0–16,
    CBATTErrorDomain the ATT error codes 0x01–0x11), and other frameworks number theirs
    again, so the number alone says which of them only when the line names the domain
    (``Error Domain=CBErrorDomain Code=14``, matched by the CoreBluetooth entries).  Each
    entry gives both CoreBluetooth readings and says the number alone cannot tell."""
    from bpdiag.decode.att import ErrorCode as AttError

    cb = {row.integer("code"): row for row in _TABLES.sub("apple_cberror").rows()}
    att = {row.integer("code"): row for row in _TABLES.sub("apple_cbatterror").rows()}
    out = []
    for n in range(0, 0x12):
        readings, causes = [], []
        if n in cb:
            row = cb[n]
            readings.append(
                f"in CBErrorDomain it is CBError.{row.text('name')}: {row.text('meaning')}"
            )
            if row.text("finding") != NO_FINDING:
                causes.append(Cause(row.text("meaning").split(":")[0], row.text("finding")))
        if 1 <= n <= 0x11:
            readings.append(
                f"in CBATTErrorDomain it is the ATT error 0x{n:02x} {AttError(n).label}, "
                "the peer's answer to an ATT request"
            )
            if n in att:
                causes.append(Cause(f"ATT Error Response 0x{n:02x}", att[n].text("finding")))
        out.append(
            Explanation(
                f"error-code-{n}-without-domain",
                (rf"^(?![^\n]*domain)[^\n]*?(?<![\w.])Code\s*=\s*{n}(?![\w.])",),
                f"An error Code={n} whose domain the line does not give",
                "The line gives the number without the domain that numbers it (an NSError "
                f"prints 'Error Domain=… Code={n}'). If it is CoreBluetooth's, "
                + "; ".join(readings)
                + ". Other frameworks number their errors again: find the whole error "
                "line (its Domain) before reading a cause into the number.",
                tuple(causes),
                ("air",),
                _TABLES.sub("apple_cberror").text("source"),
                weak=0,  # a line that names the domain is explained by that entry
            )
        )
    return tuple(out)
