"""Interface counters -> octets per port per 5 minutes, from deltas between counter samples.

For each interface (exporter, ifIndex) the previous sample is kept (and persisted with the store,
so a restart does not lose a delta). Between two samples t0 < t1 of one interface:

- a counter that went up gives the difference;
- a counter that went down wrapped or was reset. If both values fit in 32 bits and the 32-bit
  wrap gives a rate the port can carry, it was a 32-bit wrap (an exporter filling a 64-bit field
  from a 32-bit counter); otherwise the 64-bit wrap is taken if it is plausible; otherwise it was
  a reset (reboot, counters cleared) and the interval is dropped, as is any interval whose rate
  exceeds the port's speed by more than 10 % (speed unknown: ``UNKNOWN_SPEED_LIMIT_BPS``);
- an sFlow sequence number going down is an agent restart: the interval is dropped;
- intervals longer than ``max_gap_s`` are dropped rather than smeared over the gap.

Each kept delta is spread over the 5-minute buckets [t0, t1) overlaps, in proportion to the
overlap (the rate is taken as constant between samples), with integer octets that sum exactly to
the delta. ``covered_ms`` records how much of each bucket the deltas cover, so the rate of a
bucket is octets * 8000 / covered_ms even when a sample is missing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from ixcenter.telemetry.decode.batch import CounterBatch
from ixcenter.telemetry.store.schema import COUNTERS_5M, COUNTERS_SCHEMA

logger = logging.getLogger(__name__)

UNKNOWN_SPEED_LIMIT_BPS = 1.6e12  # a 16 x 100G LAG
SPEED_TOLERANCE = 1.1
_U32 = np.uint64(0xFFFFFFFF)
_STATE_FIELDS = ("time_ms", "sequence", "in_octets", "out_octets", "in_packets", "out_packets")


@dataclass(frozen=True, slots=True)
class PortSide:
    """The registry port an interface belongs to (all 0 when unknown)."""

    port: int = 0
    org: int = 0
    node: int = 0
    center: int = 0


Resolver = Callable[[str, int], PortSide]


def _delta(
    prev: NDArray[np.uint64], cur: NDArray[np.uint64], limit: NDArray[np.float64]
) -> tuple[NDArray[np.uint64], NDArray[np.bool_]]:
    """Deltas of a counter and whether each is plausible (up, 32-bit wrap, 64-bit wrap)."""
    with np.errstate(over="ignore"):
        d64 = cur - prev  # modulo 2**64: a 64-bit wrap when cur < prev
    d32 = d64 & _U32
    small = (prev <= _U32) & (cur <= _U32)
    down = cur < prev
    delta = np.where(down & small, d32, d64)
    ok = delta.astype(np.float64) <= limit
    return delta, ok


class CounterRates:
    """Turns counter samples into ``counters_5m`` rows; keeps the last sample per interface."""

    def __init__(self, max_gap_s: int = 900) -> None:
        self.max_gap_ms = max_gap_s * 1000
        self._last: dict[tuple[str, int], tuple[int, ...]] = {}
        self.resets = 0

    def state(self) -> list[list[Any]]:
        return [[e, i, *values] for (e, i), values in sorted(self._last.items())]

    def load_state(self, rows: list[list[Any]]) -> None:
        self._last = {(str(r[0]), int(r[1])): tuple(int(v) for v in r[2:]) for r in rows}

    def rows(self, batch: CounterBatch, resolve: Resolver) -> pa.Table:
        """The 5-minute rows the samples of ``batch`` complete."""
        if not len(batch):
            return COUNTERS_SCHEMA.empty_table()
        ids = {name: n for n, name in enumerate(batch.exporters)}
        names = list(batch.exporters)
        prior = [(k, v) for k, v in self._last.items() if k[0] in ids]
        rows = batch.rows
        exp = np.concatenate(
            [np.array([ids[k[0]] for k, _ in prior], np.int64), rows["exporter"].astype(np.int64)]
        )
        ifx = np.concatenate(
            [np.array([k[1] for k, _ in prior], np.int64), rows["if_index"].astype(np.int64)]
        )
        cols: dict[str, NDArray[Any]] = {}
        for n, name in enumerate(_STATE_FIELDS):
            old = np.array([v[n] for _, v in prior], np.uint64)
            cols[name] = np.concatenate([old, rows[name].astype(np.uint64)])
        speed = np.concatenate([np.zeros(len(prior), np.uint64), rows["speed"]])
        key = (exp << 32) | ifx
        order = np.lexsort((cols["time_ms"], key))
        key, exp, ifx, speed = key[order], exp[order], ifx[order], speed[order]
        cols = {k: v[order] for k, v in cols.items()}
        time_ms = cols["time_ms"].astype(np.int64)
        # remember the newest sample of every interface
        last = np.flatnonzero(np.append(key[1:] != key[:-1], True))
        for i in last:
            self._last[(names[exp[i]], int(ifx[i]))] = tuple(int(cols[f][i]) for f in _STATE_FIELDS)
        same = key[1:] == key[:-1]
        t0, t1 = time_ms[:-1], time_ms[1:]
        dt = t1 - t0
        link_bps = speed[1:].astype(np.float64) * SPEED_TOLERANCE
        limit = np.where(link_bps > 0, link_bps, UNKNOWN_SPEED_LIMIT_BPS) * dt / 8000.0
        d_in, ok_in = _delta(cols["in_octets"][:-1], cols["in_octets"][1:], limit)
        d_out, ok_out = _delta(cols["out_octets"][:-1], cols["out_octets"][1:], limit)
        restarted = cols["sequence"][1:] < cols["sequence"][:-1]
        valid = same & (dt > 0) & (dt <= self.max_gap_ms) & ok_in & ok_out & ~restarted
        self.resets += int((same & (dt > 0) & ~valid).sum())
        no_limit = np.full(len(dt), np.inf)
        d_pin, _ = _delta(cols["in_packets"][:-1], cols["in_packets"][1:], no_limit)
        d_pout, _ = _delta(cols["out_packets"][:-1], cols["out_packets"][1:], no_limit)
        pick = np.flatnonzero(valid)
        if not len(pick):
            return COUNTERS_SCHEMA.empty_table()
        return self._spread(
            t0[pick],
            t1[pick],
            [d_in[pick], d_out[pick], d_pin[pick], d_pout[pick]],
            exp[1:][pick],
            ifx[1:][pick],
            speed[1:][pick],
            names,
            resolve,
        )

    def _spread(
        self,
        t0: NDArray[np.int64],
        t1: NDArray[np.int64],
        deltas: list[NDArray[np.uint64]],
        exp: NDArray[np.int64],
        ifx: NDArray[np.int64],
        speed: NDArray[np.uint64],
        names: list[str],
        resolve: Resolver,
    ) -> pa.Table:
        grain = COUNTERS_5M.grain * 1000
        span = t1 - t0
        first = t0 // grain * grain
        buckets = int(((t1 - 1) // grain * grain - first).max() // grain) + 1
        parts: list[dict[str, NDArray[Any]]] = []
        done = np.zeros(len(t0), np.float64)
        shares_before = [np.zeros(len(t0), np.int64) for _ in deltas]
        for k in range(buckets):
            start = first + k * grain
            overlap = np.clip(np.minimum(t1, start + grain) - np.maximum(t0, start), 0, None)
            done = done + overlap
            live = overlap > 0
            fraction = done / span
            part: dict[str, NDArray[Any]] = {"ts": start // 1000, "covered_ms": overlap}
            for n, (name, delta) in enumerate(
                zip(("in_octets", "out_octets", "in_packets", "out_packets"), deltas, strict=True)
            ):
                upto = np.rint(delta.astype(np.float64) * fraction).astype(np.int64)
                part[name] = upto - shares_before[n]
                shares_before[n] = upto
            parts.append({k2: v[live] for k2, v in part.items()} | {"row": np.flatnonzero(live)})
        merged = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
        row = merged.pop("row")
        sides = {}
        for e, i in {(int(a), int(b)) for a, b in zip(exp, ifx, strict=True)}:
            sides[(e, i)] = resolve(names[e], i)
        looked = [sides[(int(exp[r]), int(ifx[r]))] for r in row]
        return pa.table(
            {
                "ts": merged["ts"],
                "exporter": pa.array([names[int(exp[r])] for r in row], pa.string()),
                "if_index": ifx[row].astype(np.uint32),
                "port": np.array([s.port for s in looked], np.int32),
                "org": np.array([s.org for s in looked], np.int32),
                "node": np.array([s.node for s in looked], np.int32),
                "center": np.array([s.center for s in looked], np.int32),
                "speed_bps": speed[row].astype(np.int64),
                "in_octets": merged["in_octets"],
                "out_octets": merged["out_octets"],
                "in_packets": merged["in_packets"],
                "out_packets": merged["out_packets"],
                "covered_ms": merged["covered_ms"],
            },
            schema=COUNTERS_SCHEMA,
        )
