"""The portal's SVG charts: round axis values, points inside the box, labelled times."""

from __future__ import annotations

import datetime as dt

import pytest

from ixcenter.portal.charts import HEIGHT, LEFT, WIDTH, chart, rate_text

T0 = dt.datetime(2026, 5, 1, tzinfo=dt.UTC)


def _times(n: int) -> list[dt.datetime]:
    return [T0 + dt.timedelta(minutes=5 * k) for k in range(n)]


def test_rates_are_drawn_in_the_box_under_a_round_top() -> None:
    drawn = chart(_times(3), [0.0, 3.1e9, 1e9])
    xs, ys = zip(*(map(float, p.split(",")) for p in drawn.points.split()), strict=True)
    assert xs[0] == LEFT and xs[-1] == pytest.approx(WIDTH - 4)
    assert all(0 <= y <= HEIGHT for y in ys)
    assert ys[1] < ys[2] < ys[0]  # larger rates higher up
    assert [t.label for t in drawn.rate_ticks] == ["0 bit/s", "2.5 Gbit/s", "5 Gbit/s"]
    assert (drawn.peak_bps, drawn.last_bps) == (3.1e9, 1e9)
    assert [t.label for t in drawn.time_ticks] == ["00:00", "00:05", "00:10"]


def test_edge_cases() -> None:
    flat = chart(_times(4), [0.0] * 4)  # nothing sent: a flat line on the bottom, no error
    assert len(flat.points.split()) == 4
    assert chart([], []).points == ""
    with pytest.raises(ValueError, match="differ"):
        chart(_times(2), [1.0])
    assert [rate_text(v) for v in (0, 999, 1500, 2.5e7, 1.23e12)] == [
        "0 bit/s", "999 bit/s", "1.5 kbit/s", "25 Mbit/s", "1.23 Tbit/s"]  # fmt: skip
