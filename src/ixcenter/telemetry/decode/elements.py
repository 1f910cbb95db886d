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
from ixcenter.telemetry.decode.templates import VARIABLE, Template

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

Extracted = dict[str, NDArray[np.uint64]]


def _usable(how: str, length: int) -> bool:
    if how == INT:
        return 1 <= length <= 8
    return length == {MAC: 6, V4: 4, V6: 16}[how]


@dataclass(frozen=True, slots=True)
class Compiled:
    """A template ready for data sets: its numpy dtype (None if variable-length) and plan."""

    template: Template
    dtype: np.dtype[Any] | None
    plan: tuple[tuple[int, str, str, int], ...]  # (field index, name, how, length)
    min_length: int


def compile_template(template: Template) -> Compiled:
    plan: list[tuple[int, str, str, int]] = []
    names: list[str] = []
    formats: list[Any] = []
    offsets: list[int] = []
    offset = 0
    for i, spec in enumerate(template.fields):
        known = None if spec.enterprise else ELEMENTS.get(spec.element)
        if known and spec.length != VARIABLE and _usable(known[1], spec.length):
            name, how = known
            plan.append((i, name, how, spec.length))
            names.append(f"f{i}")
            offsets.append(offset)
            if how == V6:
                formats.append((">u8", (2,)))
            elif spec.length in (1, 2, 4, 8):
                formats.append(f">u{spec.length}")
            else:
                formats.append(("u1", (spec.length,)))
        offset += spec.length
    size = template.record_length
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

    Trailing bytes too few for one more record are padding (RFC 7011 3.3.1).
    """
    if compiled.dtype is not None:
        size = compiled.dtype.itemsize
        count = (end - start) // size if size else 0
        records = np.frombuffer(data, compiled.dtype, count=count, offset=start)
        out: Extracted = {}
        for i, name, how, _length in compiled.plan:
            values = records[f"f{i}"]
            if how == V6:
                out[name + "_hi"] = values[:, 0].astype(np.uint64)
                out[name + "_lo"] = values[:, 1].astype(np.uint64)
            elif values.ndim == 2:
                out[name] = _bytes_to_int(values)
            else:
                out[name] = values.astype(np.uint64)
        return out, count
    return _read_variable(data, start, end, compiled)


def _read_variable(data: bytes, start: int, end: int, compiled: Compiled) -> tuple[Extracted, int]:
    wanted = {i: (name, how, length) for i, name, how, length in compiled.plan}
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
    return {k: np.array(v, np.uint64) for k, v in columns.items()}, count


@dataclass(frozen=True, slots=True)
class SetContext:
    """Per-record context of data records: where and when they were exported.

    Each is one value per record (the decoders repeat a message's values over its records).
    ``uptime_ms`` is the NetFlow v9 header's sysUpTime (-1 for IPFIX); ``init_ms`` is IPFIX's
    systemInitTimeMilliseconds from options data (0 if unknown); ``sampling`` 0 means unknown.
    """

    exporter: NDArray[Any]
    export_ms: NDArray[np.int64]
    uptime_ms: NDArray[np.int64]
    init_ms: NDArray[np.int64]
    sampling: NDArray[np.int64]


def assemble(ex: Extracted, count: int, ctx: SetContext) -> NDArray[Any]:
    """FLOW_DTYPE rows from the extracted element columns of ``count`` records."""
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
    if "vlan" in ex:
        out["vlan"] = ex["vlan"] & 0xFFF
    if "dot1q_vlan" in ex:
        out["vlan"] = np.where(ex["dot1q_vlan"] != 0, ex["dot1q_vlan"] & 0xFFF, out["vlan"])
    version = ex.get("ip_version")
    if version is None:
        version = np.full(count, 6 if "src_ip6_hi" in ex else 4 if "src_ip4" in ex else 0)
    out["ip_version"] = version
    is6 = out["ip_version"] == 6
    for side in ("src", "dst"):
        if f"{side}_ip4" in ex:
            out[f"{side}_ip_lo"] = ex[f"{side}_ip4"]
        if f"{side}_ip6_hi" in ex:
            out[f"{side}_ip_hi"] = np.where(is6, ex[f"{side}_ip6_hi"], 0)
            out[f"{side}_ip_lo"] = np.where(is6, ex[f"{side}_ip6_lo"], out[f"{side}_ip_lo"])
    out["time_ms"] = ctx.export_ms
    if "end_ms" in ex:
        out["time_ms"] = ex["end_ms"].astype(np.int64)
    elif "end_uptime" in ex:
        end = ex["end_uptime"].astype(np.int64)
        behind = (ctx.uptime_ms - end) & 0xFFFFFFFF
        out["time_ms"] = np.where(
            ctx.uptime_ms >= 0,
            ctx.export_ms - behind,
            np.where(ctx.init_ms > 0, ctx.init_ms + end, ctx.export_ms),
        )
    default = np.where(ctx.sampling > 0, ctx.sampling, 1)
    rate = ex.get("sampling")
    if rate is not None:
        out["sampling_rate"] = np.where(rate > 0, np.minimum(rate, 0xFFFFFFFF), default)
    else:
        out["sampling_rate"] = default
    return out


class PendingSets:
    """Data sets of fixed-length templates, gathered over a batch and read once per template.

    Reading a set costs a few numpy calls whatever its size; exporters send sets of 10-30
    records, so the records of all sets of one template in a batch are joined and read together.
    Rows come out grouped by template, not in arrival order.
    """

    def __init__(self) -> None:
        self._sets: dict[int, tuple[Compiled, list[bytes], list[tuple[int, ...]]]] = {}

    def add(self, compiled: Compiled, records: bytes, context: tuple[int, ...]) -> None:
        """Whole records of one set and its (count, exporter, export ms, uptime ms, init ms,
        sampling)."""
        entry = self._sets.get(id(compiled))  # the entry keeps ``compiled`` alive: ids stay unique
        if entry is None:
            entry = self._sets[id(compiled)] = (compiled, [], [])
        entry[1].append(records)
        entry[2].append(context)

    def finish(self) -> list[NDArray[Any]]:
        chunks: list[NDArray[Any]] = []
        for compiled, parts, contexts in self._sets.values():
            data = b"".join(parts)
            ex, count = read_data_set(data, 0, len(data), compiled)
            ctx = np.array(contexts, np.int64)
            repeat = ctx[:, 0]
            ctx = np.repeat(ctx[:, 1:], repeat, axis=0)
            context = SetContext(ctx[:, 0], ctx[:, 1], ctx[:, 2], ctx[:, 3], ctx[:, 4])
            chunks.append(assemble(ex, count, context))
        self._sets.clear()
        return chunks


def broadcast(context: tuple[int, ...]) -> SetContext:
    """The ``SetContext`` of one set, from the tuple ``PendingSets.add`` takes."""
    count, *values = context
    exporter, export_ms, uptime, init, sampling = (np.full(count, v, np.int64) for v in values)
    return SetContext(exporter, export_ms, uptime, init, sampling)


def last_nonzero(ex: Extracted, name: str) -> int:
    """The last non-zero value of one element in options data (0 if none)."""
    values = ex.get(name)
    if values is None:
        return 0
    nonzero = values[values != 0]
    return int(nonzero[-1]) if len(nonzero) else 0
