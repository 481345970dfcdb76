"""``bpdiag explain`` on messages whose numbers are a stack's own numbering, not the HCI or
SMP codes they look like: each line is written here in the format the stack's source prints,
and each is read the way that source defines the number."""

from __future__ import annotations

import pytest

from bpdiag.rules.explain import explain


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        # bluetoothd -d, src/adapter.c dev_disconnected(): "Device %s disconnected, reason %u"
        (
            "bluetoothd[901]: src/adapter.c:dev_disconnected() Device 0A:0B:0C:0D:0E:0F "
            "disconnected, reason 2",
            2,
        ),
        ("src/adapter.c:dev_disconnected() Device 0A:0B:0C:0D:0E:0F disconnected, reason 3", 3),
        # plugins/policy.c disconnect_cb(): DBG("reason %u", reason), the same MGMT reason
        ("bluetoothd[901]: plugins/policy.c:disconnect_cb() reason 1", 1),
        # btmgmt / bluetoothctl's mgmt menu, client/mgmt.c disconnected()
        ("hci0 0A:0B:0C:0D:0E:0F type LE Random disconnected with reason 4", 4),
    ],
)
def test_bluez_disconnect_reason_is_mgmt_numbering_not_hci(text: str, reason: int) -> None:
    keys = [e.key for e in explain(text)]
    assert keys == [f"bluez-mgmt-disconnect-reason-{reason}"]  # and no hci-status-0x0N


def test_bluetoothd_local_host_disconnect_says_so() -> None:
    [e] = explain(
        "src/adapter.c:dev_disconnected() Device 0A:0B:0C:0D:0E:0F disconnected, reason 2"
    )
    assert "Connection terminated by local host" in e.source
    assert "not an HCI error code" in e.meaning
    assert "src/adapter.c dev_disconnected()" in e.cite


def test_a_controller_disconnect_reason_is_still_hci() -> None:
    # a stack that prints the HCI Disconnection Complete reason keeps the HCI reading
    keys = [e.key for e in explain("Disconnected from 0A:0B:0C:0D:0E:0F (public) (reason 19)")]
    assert keys == ["hci-status-0x13"]
