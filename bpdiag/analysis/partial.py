"""The pairing method as far as the PDUs seen allow, when the capture lacks one side's features.

A sniffer misses packets; an HCI log may start after phase 1.  Without both the Pairing
Request and the Pairing Response the IO-capability table (Vol 3, Part H, 2.3.5.1) cannot be
read, but some facts still decide the method:

- Secure Connections is in use when Pairing Public Key PDUs were exchanged (2.3.5.6.1); legacy
  pairing when a captured Pairing Request or Response does not set the SC flag (SC needs both).
- SC Passkey Entry runs 20 rounds of Confirm/Random (2.3.5.6.3): more than two Confirms, or a
  Keypress Notification (3.5.8, sent only during Passkey Entry), mean Passkey Entry.
- SC Just Works / Numeric Comparison send one Confirm (the responder's, 2.3.5.6.2); SC OOB
  none (2.3.5.6.4).
- An initiator or responder with IO capability NoInputNoOutput leaves only Just Works
  (Table 2.8's row and column for it), unless OOB is in use: legacy OOB needs both OOB flags
  (2.3.5.1), so a legacy request without the flag rules it out; with SC one flag suffices, so
  one side's clear flag does not.

``infer_partial_method`` sets ``Pairing.method`` only when these facts leave one method, and
``method_because`` says which facts did; otherwise it leaves the method unknown and says what
remains possible (``Pairing.method_because``).
"""

from __future__ import annotations

from bpdiag.analysis.model import Method, Pairing
from bpdiag.decode.smp import IoCapability


def infer_partial_method(p: Pairing) -> None:
    """Fill ``p.method`` (when one method is left) and ``p.method_because`` from the PDUs seen."""
    if p.method is not None or not p.phase2_started:
        return
    seen = [f for f in (p.request, p.response) if f is not None]
    if p.secure_connections is None and any(not f.sc for f in seen):
        p.secure_connections = False
    sc = p.secure_connections
    if sc and (p.confirms > 2 or p.keypresses):
        p.method = Method.PASSKEY_ENTRY
        p.method_because = (
            f"{p.confirms} Pairing Confirm PDUs"
            + (f" and {p.keypresses} Keypress Notifications" if p.keypresses else "")
            + " are only sent in Secure Connections Passkey Entry"
        )
        return
    no_io = [f for f in seen if f.io_capability == IoCapability.NO_INPUT_NO_OUTPUT]
    if no_io:
        side = "the Pairing Request" if no_io[0] is p.request else "the Pairing Response"
        # What rules out OOB, the one method NoInputNoOutput leaves beside Just Works
        if sc is False and any(not f.oob for f in seen):
            no_oob = " and legacy OOB needs both OOB flags"
        elif sc and p.confirms == 1:
            no_oob = ", and the one Pairing Confirm rules out OOB"
        else:
            no_oob = ""
        if no_oob:
            p.method = Method.JUST_WORKS
            p.method_because = f"{side} #{no_io[0].frame} offers NoInputNoOutput{no_oob}"
            return
    if sc and p.confirms == 1:
        p.method_because = (
            "one Pairing Confirm: Secure Connections Just Works or Numeric Comparison (the "
            "missing features decide which)"
        )
    elif sc is None:
        p.method_because = "the features that decide the method were not captured"
    else:
        kind = "Secure Connections" if sc else "legacy"
        p.method_because = (
            f"{kind} pairing; the missing features decide between the methods the other side's "
            "IO capability allows"
        )
