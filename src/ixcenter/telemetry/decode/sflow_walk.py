"""sFlow v5 walked one datagram at a time: the reference walk, and the fallback of the bulk walk.

One tight loop per datagram with precompiled ``Struct``s appends one fixed-layout row per flow
sample (``ROW``: where its sampled header sits in the batch's buffer, not yet parsed) and one
``COUNTER_DTYPE`` row per generic interface counter record. Reads flow samples (format 1,
expanded 3) with raw packet header (record 1) and extended switch (1001) records, and counter
samples (2, expanded 4) with generic interface counters (record 1); every other sample or record
format is skipped by its length. ``sflow_vector`` walks whole batches with numpy and leaves to
this walk what it does not take on, so the two must agree on every datagram (tested).
"""

from __future__ import annotations

import struct

import numpy as np

from ixcenter.core.errors import DecodeError
from ixcenter.telemetry.decode.batch import COUNTER_DTYPE

_II = struct.Struct(">II").unpack_from
_HEAD = struct.Struct(">IIII").unpack_from
_FLOW = struct.Struct(">IIIIIIII").unpack_from
_III = struct.Struct(">III").unpack_from
_FLOW_RAW = struct.Struct(">IIIIIIIIIIIIII").unpack_from
_FLOW_X = struct.Struct(">IIIIIIIIIII").unpack_from
_COUNTER = struct.Struct(">III").unpack_from
_COUNTER_X = struct.Struct(">IIII").unpack_from
_RAW = struct.Struct(">IIII").unpack_from
_IFC = struct.Struct(">IIQIIQIIIIIIQIIIIII").unpack_from

# One row per flow sample, before the headers are parsed: exporter, sampling rate, input,
# output, frame length, header offset in the joined buffer, header length, header protocol,
# VLAN from the extended switch record.
ROW = struct.Struct("<HIIIIqIII")
ROW_DTYPE = np.dtype(
    [("exporter", "<u2"), ("rate", "<u4"), ("input", "<u4"), ("output", "<u4"),
     ("frame", "<u4"), ("hdr_off", "<i8"), ("hdr_len", "<u4"), ("hdr_proto", "<u4"),
     ("sw_vlan", "<u4")]
)  # fmt: skip
COUNTER_ROW = struct.Struct("<qHIIIIQBBQQIIQQII")
_IFINDEX = 0x3FFFFFFF
assert ROW.size == ROW_DTYPE.itemsize  # noqa: S101
assert COUNTER_ROW.size == COUNTER_DTYPE.itemsize  # noqa: S101


def walk_datagram(
    data: bytes,
    base: int,
    exporter: int,
    rows: bytearray,
    counters: bytearray,
    time_ms: int,
) -> tuple[bytes, int, int, int, int]:
    """Append one datagram's rows; returns (agent, sub-agent, sequence, samples, drops).

    Raises ``DecodeError`` with the offset where the datagram stops making sense.
    """
    end = len(data)
    off = 0
    pack_row = ROW.pack
    samples = drops = 0
    try:
        version, kind = _II(data, 0)
        if version != 5:
            raise DecodeError(f"sFlow version {version}, not 5", 0)
        if kind == 1:
            agent, off = data[8:12], 12
        elif kind == 2:
            agent, off = data[8:24], 24
        else:
            raise DecodeError(f"sFlow agent address type {kind}", 4)
        sub, seq, _uptime, count = _HEAD(data, off)
        off += 16
        for _ in range(count):
            fmt, length = _II(data, off)
            off += 8
            sample_end = off + length
            if sample_end > end:
                raise DecodeError("sFlow sample longer than its datagram", off - 4)
            if fmt == 1 and length >= 56:
                # Fast path, the common layout: a compact sample whose first record is a raw
                # packet header, read with one call.
                (_s, _src, rate, _pool, dropped, inp, outp, nrec, rfmt, rlen, hdr_proto, frame,
                 _stripped, hdr_len) = _FLOW_RAW(data, off)  # fmt: skip
                if nrec and rfmt == 1 and 16 <= rlen <= length - 40 and hdr_len <= rlen - 16:
                    hdr_off = base + off + 56
                    off += 40 + rlen
                    nrec -= 1
                else:
                    hdr_off = -1
                    off += 32
                    frame = hdr_len = hdr_proto = 0
                sw_vlan = 0
            elif fmt == 1 or fmt == 3:
                if fmt == 1:
                    if length < 32:
                        raise DecodeError("sFlow flow sample too short", off - 4)
                    _s, _src, rate, _pool, dropped, inp, outp, nrec = _FLOW(data, off)
                    off += 32
                else:
                    if length < 44:
                        raise DecodeError("sFlow expanded flow sample too short", off - 4)
                    _s, _t, _i, rate, _pool, dropped, _f, inp, _g, outp, nrec = _FLOW_X(data, off)
                    off += 44
                frame = hdr_len = hdr_proto = sw_vlan = 0
                hdr_off = -1
            else:
                nrec = -1
            if nrec >= 0:
                for _ in range(nrec):
                    if off + 12 > sample_end:
                        if off + 8 > sample_end:
                            raise DecodeError("sFlow flow record header truncated", off)
                        rfmt, rlen = _II(data, off)
                        first = 0
                    else:
                        rfmt, rlen, first = _III(data, off)
                    off += 8
                    rec_end = off + rlen
                    if rec_end > sample_end:
                        raise DecodeError("sFlow flow record longer than its sample", off - 4)
                    if rfmt == 1001:
                        if rlen < 16:
                            raise DecodeError("sFlow extended switch record too short", off - 4)
                        sw_vlan = first & 0xFFF
                    elif rfmt == 1:
                        if rlen < 16:
                            raise DecodeError("sFlow raw packet header too short", off - 4)
                        proto, flen, _stripped, size = _RAW(data, off)
                        if size > rlen - 16:
                            raise DecodeError("sFlow raw header longer than its record", off + 12)
                        if hdr_off < 0:  # the first raw header counts
                            hdr_proto, frame, hdr_len, hdr_off = proto, flen, size, base + off + 16
                    off = rec_end
                rows += pack_row(
                    exporter, rate, inp & _IFINDEX, outp & _IFINDEX, frame,
                    hdr_off if hdr_off >= 0 else 0, hdr_len, hdr_proto, sw_vlan,
                )  # fmt: skip
                samples += 1
                drops += dropped
            if fmt == 2 or fmt == 4:
                counter_sample(data, off, sample_end, fmt == 4, exporter, counters, time_ms)
            off = sample_end
    except struct.error as exc:
        raise DecodeError("sFlow datagram truncated", off) from exc
    return agent, sub, seq, samples, drops


def counter_sample(
    data: bytes,
    off: int,
    end: int,
    expanded: bool,
    exporter: int,
    counters: bytearray,
    time_ms: int,
) -> None:
    if expanded:
        if off + 16 > end:
            raise DecodeError("sFlow expanded counter sample too short", off)
        seq, stype, sidx, nrec = _COUNTER_X(data, off)
        source = (stype & 0xFF) << 24 | (sidx & 0xFFFFFF)
        off += 16
    else:
        if off + 12 > end:
            raise DecodeError("sFlow counter sample too short", off)
        seq, source, nrec = _COUNTER(data, off)
        off += 12
    for _ in range(nrec):
        if off + 8 > end:
            raise DecodeError("sFlow counter record header truncated", off)
        rfmt, rlen = _II(data, off)
        off += 8
        if off + rlen > end:
            raise DecodeError("sFlow counter record longer than its sample", off - 4)
        if rfmt == 1:
            if rlen < 88:
                raise DecodeError("sFlow generic interface counters too short", off - 4)
            c = _IFC(data, off)
            (index, iftype, speed, direction, status, in_oct, in_u, in_m, in_b, in_disc) = c[:10]
            (in_err, _unk, out_oct, out_u, out_m, out_b, out_disc, out_err) = c[10:18]
            counters += COUNTER_ROW.pack(
                time_ms, exporter, source, seq, index, iftype, speed, direction & 0xFF,
                status & 0xFF, in_oct, in_u + in_m + in_b, in_err, in_disc, out_oct,
                out_u + out_m + out_b, out_err, out_disc,
            )  # fmt: skip
        off += rlen
