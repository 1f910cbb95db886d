"""The portal's SVG charts: round axis values, points inside the box, labelled times, several
lines over one axis."""

from __future__ import annotations

import datetime as dt

import pytest

from ixcenter.portal.charts import HEIGHT, LEFT, WIDTH, Line, chart, lines_chart, rate_text

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


def _ys(points: str) -> list[float]:
    return [float(p.split(",")[1]) for p in points.split()]


def test_several_lines_share_one_axis_and_keep_their_legend() -> None:
    times = _times(4)
    drawn = lines_chart(
        times,
        [
            Line("in", [0.0, 4e8, 8e8, 4e8], "#2563eb"),
            Line("out", [1e8, 1e8, 1e8, 3e8], "#d97706", "6 4"),
        ],
    )
    assert [t.label for t in drawn.rate_ticks] == ["0 bit/s", "500 Mbit/s", "1 Gbit/s"]
    assert drawn.peak_bps == 8e8
    into, out = drawn.lines
    assert (into.label, into.color, into.dash) == ("in", "#2563eb", "")
    assert (out.label, out.dash) == ("out", "6 4")
    assert (into.peak_bps, into.mean_bps, into.last_bps) == (8e8, 4e8, 4e8)
    assert (out.peak_bps, out.mean_bps, out.last_bps) == (3e8, 1.5e8, 3e8)
    # one axis: the same rate is at the same height on both lines, a larger one higher up
    assert _ys(into.points)[1] == _ys(into.points)[3] < _ys(out.points)[3] < _ys(out.points)[0]
    bottom, top = drawn.rate_ticks[0].at, drawn.rate_ticks[2].at
    assert _ys(into.points)[0] == pytest.approx(bottom)
    assert _ys(into.points)[2] == pytest.approx(top + (bottom - top) * 0.2)  # 800 of 1,000
    assert [t.label for t in drawn.time_ticks] == ["00:00", "00:05", "00:10", "00:15"]


def test_lines_edge_cases() -> None:
    quiet = lines_chart(_times(3), [Line("a", [0.0] * 3, "#000")])
    assert quiet.peak_bps == 0 and len(quiet.lines[0].points.split()) == 3
    assert lines_chart(_times(2), []).lines == ()
    with pytest.raises(ValueError, match="differ"):
        lines_chart(_times(3), [Line("a", [1.0, 2.0], "#000")])
