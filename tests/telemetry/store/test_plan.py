from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from ixcenter.telemetry.store.plan import Coverage, pieces
from ixcenter.telemetry.store.schema import (
    FLOWS_1D,
    FLOWS_1M,
    FLOWS_5M,
    Family,
    family_tiers,
)

TIERS = family_tiers(Family.FLOWS)
DAY = 86_400
T0 = 1_780_000_000 // DAY * DAY


def _everything(until: int) -> dict[str, Coverage]:
    return {
        "flows_1m": Coverage(T0, None),
        "flows_5m": Coverage(T0, until // 300 * 300),
        "flows_1h": Coverage(T0, until // 3600 * 3600),
        "flows_1d": Coverage(T0, until // DAY * DAY),
    }


def test_a_month_is_days_in_the_middle_and_finer_tiers_at_the_edges() -> None:
    start, end = T0 + 7 * 60, T0 + 30 * DAY - 13 * 60
    got = [
        (p.tier.name, p.start - T0, p.end - T0) for p in pieces(start, end, TIERS, _everything(end))
    ]
    assert got == [
        ("flows_1m", 420, 600),
        ("flows_5m", 600, 3600),
        ("flows_1h", 3600, DAY),
        ("flows_1d", DAY, 29 * DAY),
        ("flows_1h", 29 * DAY, 30 * DAY - 3600),
        ("flows_5m", 30 * DAY - 3600, 30 * DAY - 900),
        ("flows_1m", 30 * DAY - 900, 30 * DAY - 780),
    ]


def test_a_series_step_only_uses_tiers_whose_grain_divides_it() -> None:
    start, end = T0, T0 + 3 * DAY
    used = {p.tier for p in pieces(start, end, TIERS, _everything(end), step=300)}
    assert used <= {FLOWS_1M, FLOWS_5M}


def test_a_tier_not_rolled_up_yet_is_not_used_past_its_watermark() -> None:
    coverage = _everything(T0 + 2 * DAY)
    got = pieces(T0, T0 + 3 * DAY, TIERS, coverage)
    assert [p.tier for p in got] == [FLOWS_1D, FLOWS_1M]
    assert got[1].start == T0 + 2 * DAY


def test_when_finer_tiers_expired_the_coarse_bucket_holding_the_edge_is_used() -> None:
    coverage = _everything(T0 + 10 * DAY)
    coverage["flows_1m"] = Coverage(T0 + 5 * DAY, None)
    coverage["flows_5m"] = Coverage(T0 + 5 * DAY, T0 + 10 * DAY)
    coverage["flows_1h"] = Coverage(T0 + 5 * DAY, T0 + 10 * DAY)
    got = pieces(T0 + 3600, T0 + 10 * DAY, TIERS, coverage)
    assert (got[0].tier, got[0].start) == (FLOWS_1D, T0)  # widened to the whole first day


@given(
    st.integers(0, 40 * DAY // 60).map(lambda m: T0 + m * 60),
    st.integers(1, 40 * DAY // 60),
    st.integers(0, 40 * DAY),
)
def test_pieces_cover_the_window_once(start: int, minutes: int, rolled: int) -> None:
    end = start + minutes * 60
    got = pieces(start, end, TIERS, _everything(T0 + rolled))
    assert got[0].start == start and got[-1].end == end
    for a, b in itertools.pairwise(got):
        assert a.end == b.start
    for p in got:
        assert p.start % p.tier.grain == 0 and p.end % p.tier.grain == 0
        assert p.start < p.end
