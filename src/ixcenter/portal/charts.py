"""Traffic charts for the portal, drawn on the server as SVG (no script, nothing fetched).

``chart(times, rates)`` lays a series of bit rates out in a fixed box with a rate axis (three
grid lines at round values) and a few time labels, so templates only place what it computed.
``lines_chart(times, lines)`` does the same for several series over one axis (in and out,
IPv4 and IPv6), each with its colour, dash and legend label.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
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


class _Axes:
    """Where values and bucket numbers of one chart fall in the box."""

    def __init__(self, count: int, peak: float) -> None:
        self.top = _round_top(peak)
        self.plot_h = HEIGHT - BOTTOM - TOP
        self.step = (WIDTH - LEFT - 4) / max(count - 1, 1)

    def y(self, value: float) -> float:
        return TOP + self.plot_h - value / self.top * self.plot_h

    def x(self, n: int) -> float:
        return LEFT + n * self.step

    def points(self, rates: Sequence[float]) -> str:
        return " ".join(f"{self.x(n):.1f},{self.y(v):.1f}" for n, v in enumerate(rates))

    def rate_ticks(self) -> tuple[Tick, ...]:
        return tuple(Tick(self.y(self.top * k / 2), rate_text(self.top * k / 2)) for k in (0, 1, 2))

    def time_ticks(self, times: Sequence[dt.datetime], time_format: str) -> tuple[Tick, ...]:
        labels = min(len(times), 5)
        if labels <= 1:
            return ()
        picks = sorted({round(k * (len(times) - 1) / (labels - 1)) for k in range(labels)})
        return tuple(Tick(self.x(n), times[n].strftime(time_format)) for n in picks)


def chart(times: list[dt.datetime], rates: list[float], time_format: str = "%H:%M") -> Chart:
    """``rates`` (bit/s) at ``times`` (equally spaced, oldest first) as a chart."""
    if len(times) != len(rates):
        raise ValueError("times and rates differ in length")
    axes = _Axes(len(rates), max(rates, default=0.0))
    points = axes.points(rates)
    area = ""
    if rates:
        base = TOP + axes.plot_h
        area = f"{axes.x(0):.1f},{base:.1f} {points} {axes.x(len(rates) - 1):.1f},{base:.1f}"
    return Chart(
        points,
        area,
        axes.rate_ticks(),
        axes.time_ticks(times, time_format),
        max(rates, default=0.0),
        rates[-1] if rates else 0.0,
    )


@dataclass(frozen=True, slots=True)
class Line:
    """One series to draw: its legend label, bit rates, colour and dash pattern ("" solid)."""

    label: str
    rates: Sequence[float]
    color: str
    dash: str = ""


@dataclass(frozen=True, slots=True)
class DrawnLine:
    """One series laid out: its polyline and the figures its legend shows."""

    label: str
    points: str
    color: str
    dash: str
    peak_bps: float
    mean_bps: float
    last_bps: float


@dataclass(frozen=True, slots=True)
class LinesChart:
    """Several series over one rate axis and one time axis."""

    lines: tuple[DrawnLine, ...]
    rate_ticks: tuple[Tick, ...]
    time_ticks: tuple[Tick, ...]
    peak_bps: float  # of all lines
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    bottom: int = HEIGHT - BOTTOM


def lines_chart(
    times: Sequence[dt.datetime], lines: Sequence[Line], time_format: str = "%H:%M"
) -> LinesChart:
    """``lines`` (bit/s at ``times``, equally spaced, oldest first) over one shared axis whose
    top is the round value above the highest rate of any line."""
    if any(len(line.rates) != len(times) for line in lines):
        raise ValueError("times and rates differ in length")
    peak = max((max(line.rates, default=0.0) for line in lines), default=0.0)
    axes = _Axes(len(times), peak)
    drawn = tuple(
        DrawnLine(
            line.label,
            axes.points(line.rates),
            line.color,
            line.dash,
            max(line.rates, default=0.0),
            sum(line.rates) / len(line.rates) if line.rates else 0.0,
            line.rates[-1] if line.rates else 0.0,
        )
        for line in lines
    )
    return LinesChart(drawn, axes.rate_ticks(), axes.time_ticks(times, time_format), peak)
