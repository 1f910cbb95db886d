"""Information elements (RFC 7012; NetFlow v9 field types share the numbers) into flow columns.

A template whose fields all have a fixed length compiles to a numpy dtype, so a whole data set is
read with one ``np.frombuffer``; a template with variable-length fields (RFC 7011 7) is walked
record by record (rare: exporters of flows seldom use them). Elements not listed here, enterprise
elements and fields with a length an element cannot have are skipped by their length.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ixcenter.core.errors import DecodeError
from ixcenter.telemetry.decode.batch import FLOW_DTYPE, Kind
from ixcenter.telemetry.decode.templates import VARIABLE, Template, TemplateCache, TemplateKey

INT, MAC, V4, V6 = "int", "mac", "v4", "v6"

#: element id -> (extracted name, how to read it)
ELEMENTS: dict[int, tuple[str, str]] = {
    1: ("bytes", INT),  # octetDeltaCount / IN_BYTES
    2: ("packets", INT),  # packetDeltaCount / IN_PKTS
    4: ("protocol", INT),  # protocolIdentifier
    7: ("src_port", INT),  # sourceTransportPort
    8: ("src_ip4", V4),  # sourceIPv4Address
    10: ("in_if", INT),  # ingressInterface
    11: ("dst_port", INT),  # destinationTransportPort
    12: ("dst_ip4", V4),  # destinationIPv4Address
    14: ("out_if", INT),  # egressInterface
    21: ("end_uptime", INT),  # flowEndSysUpTime / LAST_SWITCHED
    22: ("start_uptime", INT),  # flowStartSysUpTime / FIRST_SWITCHED
    27: ("src_ip6", V6),  # sourceIPv6Address
    28: ("dst_ip6", V6),  # destinationIPv6Address
    34: ("sampling", INT),  # samplingInterval
    50: ("sampling", INT),  # samplerRandomInterval
    56: ("src_mac", MAC),  # sourceMacAddress
    57: ("post_dst_mac", MAC),  # postDestinationMacAddress
    58: ("vlan", INT),  # vlanId
    60: ("ip_version", INT),  # ipVersion
    80: ("dst_mac", MAC),  # destinationMacAddress
    152: ("start_ms", INT),  # flowStartMilliseconds
    153: ("end_ms", INT),  # flowEndMilliseconds
    160: ("init_ms", INT),  # systemInitTimeMilliseconds
    243: ("dot1q_vlan", INT),  # dot1qVlanId
}

Extracted = dict[str, NDArray[Any]]  # integer columns (any width) by extracted name


def _usable(how: str, length: int) -> bool:
    if how == INT:
        return 1 <= length <= 8
    return length == {MAC: 6, V4: 4, V6: 16}[how]


@dataclass(frozen=True, slots=True)
class Compiled:
    """A template ready for data sets: its numpy dtype (None if variable-length) and plan.

    A plan step is (field index, name, how, length, widen): a field of 3, 5, 6 or 7 bytes is read
    as 8 bytes that end (``widen`` = 0: mask) or start (``widen`` = right shift in bits) with it,
    where the record has room; ``widen`` is -1 for fields read as they are.
    """

    template: Template
    dtype: np.dtype[Any] | None
    plan: tuple[tuple[int, str, str, int, int], ...]
    min_length: int


def compiled_for(cache: TemplateCache, key: TemplateKey) -> Compiled:
    """The compiled form of a cached template, compiled once and kept in the cache."""
    found = cache.compiled.get(key)
    if found is None:
        found = cache.compiled[key] = compile_template(cache.templates[key])
    return found  # type: ignore[return-value]


def compile_template(template: Template) -> Compiled:
    plan: list[tuple[int, str, str, int, int]] = []
    names: list[str] = []
    formats: list[Any] = []
    offsets: list[int] = []
    size = template.record_length
    offset = 0
    for i, spec in enumerate(template.fields):
        known = None if spec.enterprise else ELEMENTS.get(spec.element)
        if known and spec.length != VARIABLE and _usable(known[1], spec.length):
            name, how = known
            widen, at = -1, offset
            names.append(f"f{i}")
            if how == V6:
                formats.append((">u8", (2,)))
            elif spec.length in (1, 2, 4, 8):
                formats.append(f">u{spec.length}")
            elif size is not None and offset + spec.length >= 8:
                widen, at = 0, offset + spec.length - 8
                formats.append(">u8")
            elif size is not None and offset + 8 <= size:
                widen = 8 * (8 - spec.length)
                formats.append(">u8")
            else:
                formats.append(("u1", (spec.length,)))
            plan.append((i, name, how, spec.length, widen))
            offsets.append(at)
        offset += spec.length
    dtype = None
    if size is not None:
        dtype = np.dtype({"names": names, "formats": formats, "offsets": offsets, "itemsize": size})
    return Compiled(template, dtype, tuple(plan), template.min_record_length)


def _bytes_to_int(values: NDArray[Any]) -> NDArray[np.uint64]:
    out = np.zeros(len(values), np.uint64)
    for k in range(values.shape[1]):
        out = (out << np.uint64(8)) | values[:, k].astype(np.uint64)
    return out


def read_data_set(data: bytes, start: int, end: int, compiled: Compiled) -> tuple[Extracted, int]:
    """The element columns of the records in ``data[start:end]`` and how many records there are.

    Columns of fixed-length templates are views of ``data`` where they can be (big-endian, the
    field's width). Trailing bytes too few for one more record are padding (RFC 7011 3.3.1).
    """
    if compiled.dtype is not None:
        size = compiled.dtype.itemsize
        count = (end - start) // size if size else 0
        records = np.frombuffer(data, compiled.dtype, count=count, offset=start)
        out: Extracted = {}
        for i, name, how, length, widen in compiled.plan:
            values = records[f"f{i}"]
            if how == V6:
                out[name + "_hi"] = values[:, 0]
                out[name + "_lo"] = values[:, 1]
            elif widen > 0:
                out[name] = values >> np.uint64(widen)
            elif widen == 0:
                out[name] = values & np.uint64((1 << 8 * length) - 1)
            elif values.ndim == 2:
                out[name] = _bytes_to_int(values)
            else:
                out[name] = values
        return out, count
    return _read_variable(data, start, end, compiled)


def _read_variable(data: bytes, start: int, end: int, compiled: Compiled) -> tuple[Extracted, int]:
    columns, count = walk(data, start, end, compiled)
    return {k: np.array(v, np.uint64) for k, v in columns.items()}, count


def walk(data: bytes, start: int, end: int, compiled: Compiled) -> tuple[dict[str, list[int]], int]:
    """The element values of the records in ``data[start:end]``, read record by record (for
    variable-length templates and for options data, which is one record or a few)."""
    if compiled.dtype is not None and not compiled.dtype.itemsize:
        return {}, 0
    wanted = {i: (name, how, length) for i, name, how, length, _ in compiled.plan}
    columns: dict[str, list[int]] = {}
    fields = compiled.template.fields
    count = 0
    off = start
    while end - off >= max(compiled.min_length, 1):
        for i, spec in enumerate(fields):
            length = spec.length
            if length == VARIABLE:
                if off >= end:
                    raise DecodeError("IPFIX variable-length field truncated", off)
                length = data[off]
                off += 1
                if length == 255:
                    if off + 2 > end:
                        raise DecodeError("IPFIX variable-length field truncated", off)
                    length = int.from_bytes(data[off : off + 2])
                    off += 2
            if off + length > end:
                raise DecodeError("IPFIX field longer than its set", off)
            item = wanted.get(i)
            if item is not None:
                value = int.from_bytes(data[off : off + length])
                if item[1] == V6:
                    columns.setdefault(item[0] + "_hi", []).append(value >> 64)
                    columns.setdefault(item[0] + "_lo", []).append(value & (2**64 - 1))
                else:
                    columns.setdefault(item[0], []).append(value)
            off += length
        count += 1
    return columns, count


@dataclass(frozen=True, slots=True)
class SetContext:
    """Context of data records: where and when they were exported.

    Each is one number for all records, or one value per record (the decoders repeat a
    message's values over its records). ``uptime_ms`` is the NetFlow v9 header's sysUpTime (-1
    for IPFIX); ``init_ms`` is IPFIX's systemInitTimeMilliseconds from options data (0 if
    unknown); ``sampling`` 0 means unknown.
    """

    exporter: NDArray[np.int64] | int
    export_ms: NDArray[np.int64] | int
    uptime_ms: NDArray[np.int64] | int
    init_ms: NDArray[np.int64] | int
    sampling: NDArray[np.int64] | int

    @classmethod
    def of_sets(cls, rows: NDArray[np.int64]) -> SetContext:
        """From one row per set: (count, exporter, export ms, uptime ms, init ms, sampling)."""
        counts = rows[:, 0]
        return cls(*(_spread(rows[:, k], counts) for k in range(1, 6)))


def _spread(values: NDArray[np.int64], counts: NDArray[np.int64]) -> NDArray[np.int64] | int:
    """Per-set values as per-record values: one number if every set has the same."""
    first = int(values[0])
    if (values == first).all():
        return first
    return np.repeat(values, counts)


def _ip6(ex: Extracted, out: NDArray[Any]) -> None:
    """IPv6 addresses into the rows whose IP version is 6."""
    is6 = out["ip_version"] == 6
    every = bool(is6.all())  # an IPv6 template: nothing to choose per record
    for side in ("src", "dst"):
        if f"{side}_ip6_hi" in ex:
            hi, lo = ex[f"{side}_ip6_hi"], ex[f"{side}_ip6_lo"]
            out[f"{side}_ip_hi"] = hi if every else np.where(is6, hi, 0)
            out[f"{side}_ip_lo"] = lo if every else np.where(is6, lo, out[f"{side}_ip_lo"])


def assemble(
    ex: Extracted, count: int, ctx: SetContext, out: NDArray[Any] | None = None
) -> NDArray[Any]:
    """FLOW_DTYPE rows from the extracted element columns of ``count`` records (written into
    ``out``, zeroed ``count`` rows, if given)."""
    if out is None:
        out = np.zeros(count, FLOW_DTYPE)
    out["kind"] = Kind.FLOW
    out["exporter"] = ctx.exporter
    for name in ("bytes", "packets", "protocol", "src_port", "dst_port", "in_if", "out_if"):
        if name in ex:
            out[name] = ex[name]
    if "src_mac" in ex:
        out["src_mac"] = ex["src_mac"]
    dst_mac = ex.get("dst_mac", ex.get("post_dst_mac"))
    if dst_mac is not None:
        out["dst_mac"] = dst_mac
    vlan = out["vlan"]
    if "vlan" in ex:
        vlan[:] = ex["vlan"]  # truncating to 16 bits keeps the low 12
        vlan &= 0xFFF
    if "dot1q_vlan" in ex:
        dot1q = ex["dot1q_vlan"].astype(np.uint64)
        vlan[:] = np.where(dot1q != 0, dot1q & 0xFFF, vlan)
    version = ex.get("ip_version")
    if version is None:
        out["ip_version"] = 6 if "src_ip6_hi" in ex else 4 if "src_ip4" in ex else 0
    else:
        out["ip_version"] = version
    for side in ("src", "dst"):
        if f"{side}_ip4" in ex:
            out[f"{side}_ip_lo"] = ex[f"{side}_ip4"]
    if "src_ip6_hi" in ex or "dst_ip6_hi" in ex:
        _ip6(ex, out)
    if "end_ms" in ex:
        out["time_ms"] = ex["end_ms"]
    elif "end_uptime" in ex:
        end = ex["end_uptime"].astype(np.int64)
        behind = (ctx.uptime_ms - end) & 0xFFFFFFFF
        out["time_ms"] = np.where(
            np.asarray(ctx.uptime_ms) >= 0,
            ctx.export_ms - behind,
            np.where(np.asarray(ctx.init_ms) > 0, ctx.init_ms + end, ctx.export_ms),
        )
    else:
        out["time_ms"] = ctx.export_ms
    default = np.where(np.asarray(ctx.sampling) > 0, ctx.sampling, 1)
    rate = ex.get("sampling")
    if rate is not None:
        rate = rate.astype(np.uint64)
        out["sampling_rate"] = np.where(rate > 0, np.minimum(rate, 0xFFFFFFFF), default)
    else:
        out["sampling_rate"] = default
    return out


def broadcast(context: tuple[int, ...]) -> SetContext:
    """The ``SetContext`` of one set, from the tuple ``PendingSets.add`` takes."""
    _, exporter, export_ms, uptime, init, sampling = context
    return SetContext(exporter, export_ms, uptime, init, sampling)


def last_nonzero(values: list[int] | None) -> int:
    """The last non-zero value of one element in options data (0 if none)."""
    return next((v for v in reversed(values or []) if v), 0)
