from __future__ import annotations

import datetime as dt
from typing import Any

import pyarrow as pa
import pytest

from ixcenter.telemetry.store.counters import CounterRates, PortSide
from tests.telemetry.store.world import START, CounterSample, counter_batch

G10 = 10_000_000_000
T1 = 10**12
PORT = PortSide(port=5, org=2, node=3, center=1)


def _at(seconds: float) -> dt.datetime:
    return START + dt.timedelta(seconds=seconds)


def _rows(rates: CounterRates, samples: list[CounterSample]) -> list[dict[str, Any]]:
    table: pa.Table = rates.rows(counter_batch(samples), lambda e, i: PORT)
    return table.to_pylist()


def _octets(rows: list[dict[str, Any]]) -> dict[int, tuple[int, int, int]]:
    """Per bucket (seconds after START): in octets, out octets and covered ms, summed."""
    out: dict[int, tuple[int, int, int]] = {}
    for r in rows:
        key = int(r["ts"]) - int(START.timestamp())
        a, b, c = out.get(key, (0, 0, 0))
        out[key] = (a + r["in_octets"], b + r["out_octets"], c + r["covered_ms"])
    return out


def test_deltas_land_in_their_five_minute_buckets() -> None:
    rates = CounterRates()
    samples = [CounterSample(_at(60 * k), 1, 1000 * k * k, 10 * k) for k in range(11)]
    rows = _rows(rates, samples)
    assert _octets(rows) == {0: (1000 * 25, 50, 300_000), 300: (1000 * (100 - 25), 50, 300_000)}
    assert rows[0]["port"] == 5 and rows[0]["org"] == 2 and rows[0]["exporter"] == "192.0.2.10"


def test_an_interval_across_a_boundary_is_split_by_time_and_sums_exactly() -> None:
    rates = CounterRates()
    rows = _rows(rates, [CounterSample(_at(240), 1, 0, 0), CounterSample(_at(390), 1, 1001, 7)])
    assert _octets(rows) == {0: (400, 3, 60_000), 300: (601, 4, 90_000)}


def test_32_bit_and_64_bit_wraps_are_counted() -> None:
    rates = CounterRates()
    rows = _rows(
        rates,
        [
            CounterSample(_at(0), 1, 2**32 - 1000, 2**64 - 10),
            CounterSample(_at(60), 1, 500, 90),
        ],
    )
    assert _octets(rows) == {0: (1500, 100, 60_000)}
    assert rates.resets == 0


def test_resets_restarts_gaps_and_impossible_rates_are_dropped() -> None:
    rates = CounterRates(max_gap_s=900)
    rows = _rows(
        rates,
        [
            CounterSample(_at(0), 1, 5 * 2**32, 0, sequence=10),
            CounterSample(_at(60), 1, 100, 0, sequence=11),  # counter went down: reset
            CounterSample(_at(120), 1, 200, 0, sequence=12),  # +100: kept
            CounterSample(_at(180), 1, 300, 0, sequence=2),  # agent restarted
            CounterSample(_at(1200), 1, 400, 0, sequence=3),  # 17 minutes later: a gap
            CounterSample(_at(1260), 1, 400 + T1, 0, sequence=4),  # 133 Gbit/s on 10G: no
            CounterSample(_at(1320), 1, 500 + T1, 0, sequence=5),  # +100: kept
        ],
    )
    assert _octets(rows) == {0: (100, 0, 60_000), 1200: (100, 0, 60_000)}
    assert rates.resets == 4


def test_the_last_sample_survives_a_restart() -> None:
    first = CounterRates()
    assert _rows(first, [CounterSample(_at(0), 1, 1000, 0)]) == []
    second = CounterRates()
    second.load_state(first.state())
    assert _octets(_rows(second, [CounterSample(_at(60), 1, 4000, 0)])) == {0: (3000, 0, 60_000)}


def test_interfaces_are_kept_apart() -> None:
    rates = CounterRates()
    rows = _rows(
        rates,
        [
            CounterSample(_at(0), 1, 0, 0),
            CounterSample(_at(0), 2, 0, 0),
            CounterSample(_at(60), 2, 70, 0),
            CounterSample(_at(60), 1, 10, 0),
        ],
    )
    assert sorted((r["if_index"], r["in_octets"]) for r in rows) == [(1, 10), (2, 70)]


@pytest.mark.parametrize("speed", [0, G10])
def test_unknown_speed_uses_a_generous_limit(speed: int) -> None:
    rates = CounterRates()
    rows = _rows(
        rates,
        [CounterSample(_at(0), 1, 0, 0, speed), CounterSample(_at(60), 1, 80 * T1, 0, speed)],
    )
    # 80 TB in 60 s is 10.7 Tbit/s: too much for any port
    assert rows == []
    rows = _rows(rates, [CounterSample(_at(120), 1, 80 * T1 + 10**9, 0, speed)])
    assert _octets(rows) == {0: (10**9, 0, 60_000)}
