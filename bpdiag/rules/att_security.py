"""Findings for ATT errors that ask for more security (Vol 3, Part F, 3.4.1.1, Table 3.4;
Vol 3, Part C, 10.3 — security requirements of attributes).

The same error means different things depending on what the link had: before any pairing,
Insufficient Authentication (0x05) is the server asking the client to pair; after a Just
Works pairing it means the attribute needs an authenticated (MITM) key.
"""

from __future__ import annotations

from collections.abc import Iterator

from bpdiag.analysis.index import index_of
from bpdiag.analysis.model import Analysis, AttError, Encryption, Method, Outcome, Pairing
from bpdiag.decode.att import ErrorCode
from bpdiag.decode.hci import ErrorCode as HciError
from bpdiag.rules.base import Finding, RuleInfo, check, finding, rule

INSUF_AUTHN = rule("insufficient-authentication")
INSUF_ENC = rule("insufficient-encryption")
INSUF_AUTHZ = rule("insufficient-authorization")
INSUF_KEYSIZE = rule("insufficient-key-size")

_BY_CODE: dict[int, RuleInfo] = {
    ErrorCode.INSUFFICIENT_AUTHENTICATION: INSUF_AUTHN,
    ErrorCode.INSUFFICIENT_ENCRYPTION: INSUF_ENC,
    ErrorCode.INSUFFICIENT_AUTHORIZATION: INSUF_AUTHZ,
    ErrorCode.INSUFFICIENT_ENCRYPTION_KEY_SIZE: INSUF_KEYSIZE,
}


def _pairing_before(analysis: Analysis, err: AttError) -> Pairing | None:
    return index_of(analysis).pairing_before(err.connection, err.frame)


def _pairing_after(analysis: Analysis, err: AttError) -> Pairing | None:
    return index_of(analysis).pairing_after(err.connection, err.frame)


def _stored_key_encryption(analysis: Analysis, err: AttError) -> Encryption | None:
    """The encryption before ``err`` on its link that the capture shows used a stored key:
    started without a pairing before it, and not after SMP PDUs the log cut to their header
    (then whether a pairing gave the key is not in the capture)."""
    last = None
    for enc in index_of(analysis).encryptions_of(err.connection):
        if enc.frame < err.frame and enc.status == HciError.SUCCESS:
            last = enc
    if last is None or last.after_pairing or last.smp_cut_before:
        return None
    return last


@check
def att_security(analysis: Analysis) -> Iterator[Finding]:
    for err in analysis.att_errors:
        info = _BY_CODE.get(err.error)
        if info is None:
            continue
        frames = [err.frame] + ([err.request_frame] if err.request_frame else [])
        frames += [f for f in err.frames if f not in frames]
        what = (
            f"{err.request_name} on handle 0x{err.handle:04x} was refused with "
            f"{err.error_name} (0x{err.error:02x}) at #{err.frame}"
        )
        if err.count > 1:
            what += f" and {err.count - 1} more time{'s' if err.count > 2 else ''} after it"
        before = _pairing_before(analysis, err)
        after = _pairing_after(analysis, err)
        if before is not None and before.outcome == Outcome.SUCCESS:
            how = (before.method or "unknown method").replace("_", " ")
            detail = f"{what}, after pairing {before.id} succeeded with {how}."
            if (
                err.error == ErrorCode.INSUFFICIENT_AUTHENTICATION
                and before.method == Method.JUST_WORKS
            ):
                detail += (
                    " Just Works gives an unauthenticated key, so the attribute needs MITM "
                    "protection (Passkey Entry or Numeric Comparison)."
                )
            frames.append(before.frames[-1] if before.frames else before.first_frame)
        elif err.encrypted:
            enc = _stored_key_encryption(analysis, err)
            if enc is not None:
                detail = (
                    f"{what} on a link encrypted with a stored key at #{enc.frame} (no pairing "
                    "on it in the capture)."
                )
                frames.append(enc.frame)
            else:
                detail = f"{what} on an encrypted link (no pairing on it in the capture)."
        else:
            detail = f"{what} on an unencrypted link."
            if after is not None:
                detail += f" Pairing {after.id} followed at #{after.first_frame} ({after.outcome})."
                frames.append(after.first_frame)
        yield finding(info, detail, frames, connection=err.connection)
