"""Writers of IPFIX messages and NetFlow v9 packets, for tests, the lab and benchmarks.

Records are written positionally: one value per template field, an ``int`` (big-endian in the
field's length) or ``bytes`` (exactly the field's length, or any length for a variable-length
field). ``ipaddress`` objects and MAC text are turned into bytes by ``value``.
"""

from __future__ import annotations

import ipaddress
import re
import struct
from collections.abc import Sequence

from ixcenter.telemetry.decode.templates import VARIABLE, FieldSpec, Template

Value = int | bytes
_MAC = re.compile(r"^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$")


def value(item: object) -> Value:
    """An ``int``/``bytes`` from an address, a MAC written ``aa:bb:..`` or an int/bytes."""
    if isinstance(item, int | bytes):
        return item
    if isinstance(item, ipaddress.IPv4Address | ipaddress.IPv6Address):
        return item.packed
    if isinstance(item, str) and _MAC.match(item):
        return bytes.fromhex(item.replace(":", ""))
    if isinstance(item, str):
        return ipaddress.ip_address(item).packed
    raise TypeError(f"cannot write {item!r} as a field value")


def _pad(body: bytes) -> bytes:
    return body + bytes(-len(body) % 4)


def _field(spec: FieldSpec, item: Value) -> bytes:
    if spec.length == VARIABLE:
        raw = (
            item if isinstance(item, bytes) else item.to_bytes(max(1, (item.bit_length() + 7) // 8))
        )
        if len(raw) < 255:
            return bytes([len(raw)]) + raw
        return b"\xff" + struct.pack(">H", len(raw)) + raw
    if isinstance(item, int):
        return item.to_bytes(spec.length)
    if len(item) != spec.length:
        raise ValueError(
            f"element {spec.element}: {len(item)} bytes for a {spec.length}-byte field"
        )
    return item


def data_records(template: Template, records: Sequence[Sequence[Value]]) -> bytes:
    """The records of one data set, without the set header."""
    out = bytearray()
    for record in records:
        if len(record) != len(template.fields):
            raise ValueError(f"{len(record)} values for {len(template.fields)} fields")
        for spec, item in zip(template.fields, record, strict=True):
            out += _field(spec, item)
    return bytes(out)


def _set(set_id: int, body: bytes, pad: bool) -> bytes:
    body = _pad(body) if pad else body
    return struct.pack(">HH", set_id, 4 + len(body)) + body


def ipfix_template_set(templates: Sequence[Template]) -> bytes:
    """One set 2 (data templates) or set 3 (options templates: all must be options templates)."""
    options = bool(templates) and templates[0].is_options
    return _set(3 if options else 2, b"".join(t.ipfix_record() for t in templates), pad=False)


def ipfix_data_set(template: Template, records: Sequence[Sequence[Value]]) -> bytes:
    return _set(template.template_id, data_records(template, records), pad=False)


def ipfix_message(
    sets: Sequence[bytes], *, sequence: int = 0, domain: int = 0, export_time: int = 0
) -> bytes:
    """An IPFIX message (RFC 7011 3.1) around already-written sets."""
    body = b"".join(sets)
    return struct.pack(">HHIII", 10, 16 + len(body), export_time, sequence, domain) + body


def netflow9_template_flowset(templates: Sequence[Template]) -> bytes:
    """One flowset 0 (data templates) or 1 (options templates), padded to 4 bytes."""
    options = bool(templates) and templates[0].is_options
    return _set(1 if options else 0, b"".join(t.netflow9_record() for t in templates), pad=True)


def netflow9_data_flowset(template: Template, records: Sequence[Sequence[Value]]) -> bytes:
    return _set(template.template_id, data_records(template, records), pad=True)


def netflow9_packet(
    flowsets: Sequence[bytes],
    *,
    count: int,
    sequence: int = 0,
    source_id: int = 0,
    uptime_ms: int = 0,
    unix_secs: int = 0,
) -> bytes:
    """A NetFlow v9 export packet (RFC 3954 5.1); ``count`` is records, templates included."""
    head = struct.pack(">HHIIII", 9, count, uptime_ms, unix_secs, sequence, source_id)
    return head + b"".join(flowsets)


#: A template with the elements the decoders read, in the lengths softflowd uses.
FLOW_V4 = Template(
    256,
    tuple(
        FieldSpec(e, n)
        for e, n in (
            (8, 4),
            (12, 4),
            (7, 2),
            (11, 2),
            (4, 1),
            (1, 8),
            (2, 8),
            (10, 4),
            (14, 4),
            (56, 6),
            (80, 6),
            (58, 2),
            (60, 1),
            (152, 8),
            (153, 8),
        )
    ),
)
FLOW_V6 = Template(
    257,
    tuple(
        FieldSpec(e, n)
        for e, n in (
            (27, 16),
            (28, 16),
            (7, 2),
            (11, 2),
            (4, 1),
            (1, 8),
            (2, 8),
            (10, 4),
            (14, 4),
            (56, 6),
            (80, 6),
            (58, 2),
            (60, 1),
            (152, 8),
            (153, 8),
        )
    ),
)
#: An options template carrying samplingInterval, scoped by the exporting process.
SAMPLING_OPTIONS = Template(258, (FieldSpec(144, 4), FieldSpec(34, 4)), scope_count=1)
