"""The page's chart laid out: grouped bars per partner feed, journal against file records, each feed's break count
above its group. Geometry only; the template draws it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from function_app.adapters.reconciliation.report import counted
from function_app.domain.reconciliation.model import FeedReconciliation

HEIGHT, LEFT, RIGHT, TOP, BOTTOM, SLOT = 390, 100, 24, 84, 60, 112
BASE = HEIGHT - BOTTOM  # where bars stand


@dataclass(frozen=True)
class Gridline:
    records: int
    y: float


@dataclass(frozen=True)
class Bar:
    side: str  # "journal" or "files", its class
    records: int
    x: float
    y: float  # its top; a bar of no records is a 1px line on the axis
    width: float
    height: float
    label_y: float
    label: str  # the value's class: "value", or "value off" for file records that differ from the journal
    label_x: float
    anchor: str  # a value wider than its bar leans away from its neighbour instead of over it


@dataclass(frozen=True)
class FeedBars:
    feed: FeedReconciliation
    centre: float
    bars: tuple[Bar, Bar]
    state: str  # "agrees" or its break count, on the pill above the group
    pill_width: float
    partner: str  # the names as they fit under the group
    feed_name: str

    @property
    def name(self) -> str:
        return f"{self.feed.partner}/{self.feed.feed}"


@dataclass(frozen=True)
class Chart:
    width: int
    gridlines: tuple[Gridline, ...]
    groups: tuple[FeedBars, ...]
    description: str
    any_differ: bool  # whether the legend explains the values that differ

    height: ClassVar[int] = HEIGHT
    left: ClassVar[int] = LEFT
    top: ClassVar[int] = TOP
    base: ClassVar[int] = BASE

    @property
    def right(self) -> int:
        return self.width - RIGHT

    @property
    def middle(self) -> int:
        """The height the axis label is centred at."""
        return round((BASE + TOP) / 2)


def chart(feeds: Sequence[FeedReconciliation]) -> Chart:
    width = max(1100, LEFT + RIGHT + SLOT * len(feeds))
    slot = (width - LEFT - RIGHT) / len(feeds)
    tallest = max(max(f.journal.records, f.files.records) for f in feeds)
    top = _nice_ceiling(tallest + tallest // 10)  # headroom, so the tallest bar's label stays clear of the break row
    description = " ".join(f"{f.partner}/{f.feed}: journal {f.journal.records:,} records, files {f.files.records:,} "
                           f"records, {counted(len(f.breaks), 'break')}." for f in feeds)
    return Chart(
        width=width,
        gridlines=tuple(Gridline(top * step // 5, _y(top * step // 5, top)) for step in range(6)),
        groups=tuple(_group(f, LEFT + slot * i, slot, top) for i, f in enumerate(feeds)),
        description=description,
        any_differ=any(f.files.records != f.journal.records for f in feeds),
    )


def _nice_ceiling(value: int) -> int:
    """The smallest round number at or above `value` that five gridlines divide evenly."""
    if value <= 10:
        return 5 if value <= 5 else 10
    magnitude = 1
    while magnitude * 10 <= value:
        magnitude *= 10
    return next(m * magnitude // 10 for m in (10, 15, 20, 25, 30, 40, 50, 60, 80, 100) if m * magnitude // 10 >= value)


def _y(value: int, top: int) -> float:
    return BASE - (HEIGHT - TOP - BOTTOM) * value / top


def _clip(text: str, room: float) -> str:
    limit = max(6, int(room // 9))  # characters of 14px text that fit the room
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _group(feed: FeedReconciliation, x: float, slot: float, top: int) -> FeedBars:
    centre, bar = x + slot / 2, min(44.0, slot * 0.28)
    off = feed.files.records != feed.journal.records
    bars = (_bar("journal", feed.journal.records, centre - 3 - bar, bar, top, "value", "end"),
            _bar("files", feed.files.records, centre + 3, bar, top, "value off" if off else "value", "start"))
    state = "agrees" if not feed.breaks else counted(len(feed.breaks), "break")
    return FeedBars(feed, centre, bars, state, 12 + 7.5 * len(state), _clip(feed.partner, slot), _clip(feed.feed, slot))


def _bar(side: str, records: int, x: float, width: float, top: int, label: str, outward: str) -> Bar:
    y = _y(records, top)
    fits = 7.6 * len(f"{records:,}") <= width + 4  # 13px bold digits
    return Bar(
        side=side, records=records, x=x, y=y - (0 if records else 1), width=width, height=max(BASE - y, 1.0),
        label_y=y - 6, label=label,
        label_x=x + width / 2 if fits else x + (width if outward == "end" else 0),
        anchor="middle" if fits else outward,
    )
