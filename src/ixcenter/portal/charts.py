"""Traffic charts for the portal, drawn on the server as SVG (no script, nothing fetched).

``chart(times, rates)`` lays a series of bit rates out in a fixed box with a rate axis (three
grid lines at round values) and a few time labels, so templates only place what it computed.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

WIDTH, HEIGHT = 720, 200
LEFT, BOTTOM, TOP = 64, 22, 8  # room for the rate labels, the time labels, the top line


@dataclass(frozen=True, slots=True)
class Tick:
    at: float  # x or y in the box
    label: str


@dataclass(frozen=True, slots=True)
class Chart:
    points: str  # SVG polyline "x,y x,y ..."
    area: str  # the same line closed along the bottom, for a filled area
    rate_ticks: tuple[Tick, ...]
    time_ticks: tuple[Tick, ...]
    peak_bps: float
    last_bps: float
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    bottom: int = HEIGHT - BOTTOM


def rate_text(bps: float) -> str:
    """``1.5e9`` -> ``1.5 Gbit/s`` (decimal units)."""
    for size, prefix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if bps >= size:
            return f"{bps / size:.3g} {prefix}bit/s"
    return f"{bps:.0f} bit/s"


def _round_top(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 x 10^k at or above ``value`` (the axis' top)."""
    if value <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    for step in (1.0, 2.0, 2.5, 5.0):
        if step * power >= value:
            return step * power
    return 10.0 * power


def chart(times: list[dt.datetime], rates: list[float], time_format: str = "%H:%M") -> Chart:
    """``rates`` (bit/s) at ``times`` (equally spaced, oldest first) as a chart."""
    if len(times) != len(rates):
        raise ValueError("times and rates differ in length")
    top = _round_top(max(rates, default=0.0))
    plot_w, plot_h = WIDTH - LEFT - 4, HEIGHT - BOTTOM - TOP
    step = plot_w / max(len(rates) - 1, 1)

    def y(value: float) -> float:
        return TOP + plot_h - value / top * plot_h

    coords = [(LEFT + n * step, y(value)) for n, value in enumerate(rates)]
    points = " ".join(f"{x:.1f},{yy:.1f}" for x, yy in coords)
    area = ""
    if coords:
        base = TOP + plot_h
        area = f"{coords[0][0]:.1f},{base:.1f} {points} {coords[-1][0]:.1f},{base:.1f}"
    rate_ticks = tuple(Tick(y(top * k / 2), rate_text(top * k / 2)) for k in (0, 1, 2))
    labels = min(len(times), 5)
    time_ticks: tuple[Tick, ...] = ()
    if labels > 1:
        picks = sorted({round(k * (len(times) - 1) / (labels - 1)) for k in range(labels)})
        time_ticks = tuple(Tick(LEFT + n * step, times[n].strftime(time_format)) for n in picks)
    return Chart(points, area, rate_ticks, time_ticks, max(rates, default=0.0),
                 rates[-1] if rates else 0.0)  # fmt: skip
