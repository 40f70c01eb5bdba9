"""A bar chart as SVG geometry, drawn by the template (no script: the pages' CSP allows none)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

WIDTH, HEIGHT, AXIS = 720, 160, 18


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    day: dt.date
    calls: int


@dataclass(frozen=True)
class BarChart:
    bars: list[Bar]
    peak: int
    total: int
    width: int = WIDTH
    height: int = HEIGHT + AXIS
    plot_height: int = HEIGHT

    @property
    def first(self) -> dt.date | None:
        return self.bars[0].day if self.bars else None

    @property
    def last(self) -> dt.date | None:
        return self.bars[-1].day if self.bars else None


def bar_chart(series: list[tuple[dt.date, int]]) -> BarChart:
    """One bar per day, scaled to the busiest day; a day without calls has no bar, only its slot."""
    peak = max((calls for _, calls in series), default=0)
    slot = WIDTH / max(len(series), 1)
    bars = []
    for index, (day, calls) in enumerate(series):
        height = round(HEIGHT * calls / peak, 1) if peak else 0.0
        bars.append(
            Bar(
                x=round(index * slot + 1, 1),
                y=round(HEIGHT - height, 1),
                width=round(slot - 2, 1),
                height=height,
                day=day,
                calls=calls,
            )
        )
    return BarChart(bars=bars, peak=peak, total=sum(calls for _, calls in series))
