"""``bpdiag explain`` on the failure lines of AOSP's Bluetooth stack (packages/modules/Bluetooth),
each written as the current source prints it and read the way that source numbers or names it."""

from __future__ import annotations

import pytest

from bpdiag.rules.explain import explain


def _keys(text: str) -> list[str]:
    return [e.key for e in explain(text)]


# system/btif/src/btif_dm.cc btif_dm_ble_auth_cmpl_evt(): LOG_ERROR("LE authentication for %s
# failed with reason %d", ADDRESS_TO_LOGGABLE_CSTR(bd_addr), p_auth_cmpl->fail_reason), the
# fail_reason BTA_DM_AUTH_FAIL_BASE (0x43 + 10) + the tSMP_STATUS (bta_dm_sec.cc)
_LE_AUTH = "bt_btif_dm: LE authentication for xx:xx:xx:xx:5e:ff failed with reason {}"


@pytest.mark.parametrize(
    ("code", "status"),
    [
        (78, "SMP_PASSKEY_ENTRY_FAIL"),  # 77 + 0x01
        (80, "SMP_PAIR_AUTH_FAIL"),  # 77 + 0x03: BTA_DM_AUTH_SMP_PAIR_AUTH_FAIL
        (81, "SMP_CONFIRM_VALUE_ERR"),
        (82, "SMP_PAIR_NOT_SUPPORT"),
        (91, "SMP_XTRANS_DERIVE_NOT_ALLOW"),  # 77 + 0x0E, the last of the spec's
        (92, "SMP_PAIR_INTERNAL_ERR"),  # 77 + 0x0F, the stack's own
        (99, "SMP_RSP_TIMEOUT"),  # 77 + 0x16
        (101, "SMP_FAIL"),  # 77 + 0x18
        (102, "SMP_CONN_TOUT"),  # 77 + 0x19: BTA_DM_AUTH_SMP_CONN_TOUT
        (103, "SMP_SIRK_DEVICE_INVALID"),  # 77 + 0x1A, AOSP's alone
    ],
)
def test_le_authentication_failed_reason_is_base_plus_smp_status(code: int, status: str) -> None:
    [e] = explain(_LE_AUTH.format(code))
    assert e.key == f"android-le-auth-fail-{code}"
    assert status in e.source and f"0x{code - 77:02x}" in e.source
    assert "ESP" not in e.source + e.meaning  # Android's btif, never ESP-IDF's
    assert "btif_dm_ble_auth_cmpl_evt()" in e.cite


@pytest.mark.parametrize(
    "code",
    [
        94,  # SMP_INIT_FAIL, 95 SMP_CONFIRM_FAIL, 100 SMP_DIV_NOT_AVAIL: removed from AOSP
        95,
        100,
        5,  # a number below the base is no BTA_DM_AUTH code
        77,
    ],
)
def test_le_authentication_codes_aosp_does_not_have_are_not_read(code: int) -> None:
    assert _keys(_LE_AUTH.format(code)) == []


def test_le_authentication_failed_says_what_the_app_sees() -> None:
    [e] = explain(_LE_AUTH.format(80))
    assert "SMP reason Authentication Requirements (0x03)" in e.meaning
    assert "UNBOND_REASON_AUTH_FAILED" in e.meaning
    assert "peer-requires-mitm" in {c.finding for c in e.causes}
    [e] = explain(_LE_AUTH.format(82))
    assert "UNBOND_REASON_AUTH_REJECTED" in e.meaning
    [e] = explain(_LE_AUTH.format(99))  # default: BT_STATUS_FAIL
    assert "UNBOND_REASON_REMOVED" in e.meaning
    assert "repeated-smp-timeouts" in {c.finding for c in e.causes}
    [e] = explain(_LE_AUTH.format(102))
    assert "keeps its keys" in e.meaning
