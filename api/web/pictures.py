"""A picture for a map page, drawn on the server as SVG (no script): the subject's history as bars on
a time line, each from the day a fact starts to hold to the day it ends (or the picture's edge).
The page's timeline table says the same in text; the picture points to it as its text alternative."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from api.web.labels import dutch_date
from projections.views import HistoryEntry

WIDTH = 960
LABEL_WIDTH = 330
LABEL_CHARACTERS = 48  # what the label column holds at the picture's font size
ROW_HEIGHT = 22
AXIS_HEIGHT = 28
MOST_BARS = 40  # the newest facts; the table holds them all


@dataclass(frozen=True)
class Bar:
    label: str
    x: float
    width: float
    y: float
    open_ended: bool
    span: str  # the period in words, for the bar's tooltip


@dataclass(frozen=True)
class Tick:
    x: float
    year: int


@dataclass(frozen=True)
class Timeline:
    width: int
    height: int
    label_width: int
    bars: list[Bar]
    ticks: list[Tick]
    today_x: float | None


def _label(entry: HistoryEntry) -> str:
    """The entry's Dutch sentence, shortened to the label column (the table gives it in full)."""
    sentence = entry.summary or entry.description.split(": ", 1)[0]
    return sentence if len(sentence) <= LABEL_CHARACTERS else sentence[: LABEL_CHARACTERS - 1] + "…"


def timeline(entries: list[HistoryEntry], today: date) -> Timeline | None:
    """The bars of the facts in ``entries`` that have a start day; None when none has one."""
    dated = [e for e in entries if e.valid_from.value is not None][-MOST_BARS:]
    if not dated:
        return None
    starts = [e.valid_from.value for e in dated if e.valid_from.value]
    ends = [e.valid_until.value for e in dated if e.valid_until.value]
    first = date(min(starts).year, 1, 1)
    # The right edge is the 1st of the year after the last date, or the last day dates hold.
    latest = max([today, *starts, *ends])
    last = date(latest.year + 1, 1, 1) if latest.year < date.max.year else date.max
    span_days = (last - first).days
    plot = WIDTH - LABEL_WIDTH - 10

    def x(day: date) -> float:
        return LABEL_WIDTH + plot * (day - first).days / span_days

    bars = []
    for row, entry in enumerate(dated):
        start = entry.valid_from.value
        assert start is not None
        end = entry.valid_until.value
        right = x(end) if end else x(last)
        bars.append(
            Bar(
                label=_label(entry),
                x=x(start),
                width=max(right - x(start), 3.0),
                y=AXIS_HEIGHT + row * ROW_HEIGHT,
                open_ended=end is None,
                span=f"vanaf {dutch_date(start)}" + (f" tot {dutch_date(end)}" if end else ""),
            )
        )
    ticks = [Tick(x(date(year, 1, 1)), year) for year in range(first.year, last.year + 1)]
    return Timeline(
        width=WIDTH,
        height=AXIS_HEIGHT + len(bars) * ROW_HEIGHT + 10,
        label_width=LABEL_WIDTH,
        bars=bars,
        ticks=ticks,
        today_x=x(today) if first <= today <= last else None,
    )
