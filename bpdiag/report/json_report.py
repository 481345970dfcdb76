"""The JSON outputs: ``analyze --json`` (schema ``bpdiag.analysis/1``) and ``dump --json``.

The contract is documented in docs/json.md; tests/report/test_json_schema.py keeps the two
in step.  Key material — the fields a message's declaration calls secret (LTK, IRK, CSRK,
link key, PIN, a passkey, which is the TK; ``bpdiag.decode.secret_fields``) — is the
string ``"redacted"`` unless ``show_keys``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable, Iterable, Iterator
from json.encoder import encode_basestring_ascii as _str
from typing import Any, TextIO

from bpdiag.analysis.gc_pause import gc_paused
from bpdiag.analysis.model import Connection, Features
from bpdiag.decode.pdu import Pdu
from bpdiag.decode.secret_fields import secret_keys
from bpdiag.report import json_objects as jo
from bpdiag.rules.diagnosis import Diagnosed

SCHEMA = "bpdiag.analysis/1"
DUMP_SCHEMA = "bpdiag.dump/1"

REDACTED = "redacted"


def analysis_to_json(analysis: Diagnosed) -> dict[str, Any]:
    """The ``analyze --json`` document (no key material appears in it at all); its keys
    are declared once, in ``_sections``, which ``write_analysis`` streams."""
    return {
        key: value if items is None else list(items) for key, value, items in _sections(analysis)
    }


def dumps_analysis(analysis: Diagnosed) -> str:
    return json.dumps(analysis_to_json(analysis), indent=2)


def _sections(
    analysis: Diagnosed, features: Callable[[Features], Any] = jo.features_json
) -> Iterator[tuple[str, Any, Iterable[Any] | None]]:
    """The document's keys in order: (key, value, None) or (key, None, items to convert);
    ``features`` as ``jo.pairing_json`` takes it."""
    yield "schema", SCHEMA, None
    yield "capture", jo.capture_json(analysis.capture), None
    problems = (
        {"record": p.record, "offset": p.offset, "message": p.message, "layer": p.layer}
        for p in analysis.problems
    )
    yield "problems", None, problems
    yield "problems_dropped", analysis.problems_dropped, None
    yield "connections", None, map(jo.connection_json, analysis.connections)
    yield "pairings", None, (jo.pairing_json(p, features) for p in analysis.pairings)
    yield "encryptions", None, map(jo.encryption_json, analysis.encryptions)
    yield "att_errors", None, map(jo.att_error_json, analysis.att_errors)
    yield "security_requests", None, map(jo.security_procedure_json, analysis.security_requests)
    yield "advertisers", None, map(jo.advertiser_json, analysis.advertisers)
    yield "findings", None, map(jo.finding_json, analysis.findings)
    yield "suggestions", None, map(jo.suggestion_json, analysis.suggestions)
    if analysis.decryption:
        yield "decryption", jo.decryption_json(analysis.decryption), None
    if analysis.key_checks:
        yield "key_checks", None, map(jo.key_check_json, analysis.key_checks)


def _float(o: float) -> str:
    if o != o:
        return "NaN"
    if o in (_INF, -_INF):
        return "Infinity" if o > 0 else "-Infinity"
    return float.__repr__(o)


_INF = float("inf")


def _bool(o: bool) -> str:
    return "true" if o else "false"


def _null(_o: None) -> str:
    return "null"


class _Encoded(str):
    """Text already encoded as JSON, written as it is (``write_analysis`` only)."""


def _features_text(nl: str) -> Callable[[Features], _Encoded]:
    """``encode(jo.features_json(f), nl)`` for a pairing's request or response: a long log
    offers the same few things thousands of times, so all but the frame (the first key) is
    encoded once per offer."""
    inner = nl + "  "
    tails: dict[Hashable, str] = {}

    def text(f: Features) -> _Encoded:
        head = "{" + inner + '"frame": ' + encode(f.frame, inner) + "," + inner
        try:
            tail = tails.get(f.offer)
        except TypeError:  # an offer that is not hashable (made by hand)
            return _Encoded(encode(jo.features_json(f), nl))
        if tail is None:
            whole = encode(jo.features_json(f), nl)
            if not whole.startswith(head):  # the frame is not the first key: no sharing
                return _Encoded(whole)
            tail = tails[f.offer] = whole[len(head) :]
        return _Encoded(head + tail)

    return text


# The writer of each scalar type met so far: the plain ones, then each str or int subclass
# (the model's enums) as ``_scalar`` learns it.  A value of one of these is written without
# a call of ``encode`` (a report holds hundreds of thousands of booleans, enums and nulls).
_SCALARS: dict[type, Callable[[Any], str]] = {
    str: _str,
    int: int.__repr__,
    bool: _bool,
    type(None): _null,
    float: _float,
    _Encoded: str.__str__,
}
_scalar_of = _SCALARS.get


def _scalar(t: type) -> Callable[[Any], str] | None:
    """The writer of a scalar type as ``json.dumps`` writes it (a str subclass as its
    string, an int subclass as its number, a float subclass as its float), learned."""
    w = _scalar_of(t)
    if w is None:
        if issubclass(t, str):
            w = _str
        elif issubclass(t, int):
            w = int.__repr__
        elif issubclass(t, float):
            w = _float
        else:
            return None
        _SCALARS[t] = w
    return w


def encode(o: Any, nl: str = "\n") -> str:
    """``json.dumps(o, indent=2)`` for the values ``json_objects`` produces (dicts with string
    keys, lists, strings, numbers, booleans, None, enums), several times faster than the
    standard library's pure-Python indenting encoder; ``nl`` is the newline plus the
    indentation the value starts at.  Anything else is left to ``json`` itself."""
    t = type(o)
    if t is dict:
        if not o:
            return "{}"
        inner = nl + "  "
        get = _scalar_of
        try:  # _str refuses a key that is not a string: json.dumps then converts it
            body = [
                _str(k) + ": " + (w(v) if (w := get(type(v))) is not None else encode(v, inner))
                for k, v in o.items()
            ]
        except TypeError:
            return json.dumps(o, indent=2).replace("\n", nl)
        return "{" + inner + ("," + inner).join(body) + nl + "}"
    if t is list or t is tuple:
        if not o:
            return "[]"
        inner = nl + "  "
        get = _scalar_of
        items = [w(v) if (w := get(type(v))) is not None else encode(v, inner) for v in o]
        return "[" + inner + ("," + inner).join(items) + nl + "]"
    w = _scalar(t)
    if w is not None:
        return w(o)
    return json.dumps(o, indent=2).replace("\n", nl)


@gc_paused()
def write_analysis(analysis: Diagnosed, out: TextIO, chunk: int = 1 << 16) -> None:
    """Write ``dumps_analysis(analysis)`` to ``out`` as it is produced, item by item, so
    that no list of the document and no single giant string is ever held (the text is the
    same, byte for byte: ``json.dumps(…, indent=2)``)."""
    buf: list[str] = []
    size = 0

    def put(text: str) -> None:
        nonlocal size
        buf.append(text)
        size += len(text)
        if size >= chunk:
            out.write("".join(buf))
            buf.clear()
            size = 0

    put("{")
    first_key = True
    # the items of a section are at depth 2, their fields (a pairing's request) at depth 3
    for key, value, items in _sections(analysis, _features_text("\n      ")):
        put(("\n" if first_key else ",\n") + "  " + _str(key) + ": ")
        first_key = False
        if items is None:
            put(encode(value, "\n  "))
            continue
        first_item = True
        for item in items:
            put(("[\n    " if first_item else ",\n    ") + encode(item, "\n    "))
            first_item = False
        put("[]" if first_item else "\n  ]")
    put("\n}")
    out.write("".join(buf))


def pdu_fields(pdu: Pdu, show_keys: bool) -> dict[str, Any]:
    """The fields of a PDU as every output shows them: its declared secrets ``"redacted"``
    unless ``show_keys`` (the one place a decoded field is redacted)."""
    fields = pdu.msg.fields()
    if not show_keys:
        for k in secret_keys(pdu.msg).intersection(fields):
            if fields[k] is not None:
                fields[k] = REDACTED
    return fields


def direction_word(pdu: Pdu) -> str:
    return pdu.direction.name.lower()


def pdu_to_json(pdu: Pdu, conn: Connection | None, show_keys: bool) -> dict[str, Any]:
    """One ``dump --json`` line."""
    return {
        "frame": pdu.frame,
        "first_frame": pdu.first_frame or pdu.frame,
        "time": round(pdu.time, 6),
        "direction": direction_word(pdu),
        "connection": None if conn is None else conn.id,
        "layer": pdu.layer,
        "opcode": pdu.opcode,
        "name": pdu.name,
        "fields": pdu_fields(pdu, show_keys),
        **({"decrypted": True} if pdu.decrypted else {}),
    }


def pdu_json_line(pdu: Pdu, conn: Connection | None, show_keys: bool) -> str:
    """One ``dump --json`` line (JSON Lines)."""
    return json.dumps(pdu_to_json(pdu, conn, show_keys)) + "\n"


def pair_to_json(
    analysis: Diagnosed, attempt: dict[str, Any], comparison: dict[str, Any] | None
) -> dict[str, Any]:
    """``bpdiag pair --json``: the analysis of the attempt's recording, what was attempted,
    and the comparison with a recorded capture when one was given."""
    doc = analysis_to_json(analysis)
    doc["attempt"] = attempt
    if comparison is not None:
        doc["comparison"] = comparison
    return doc
