"""The overview's timeline: per trust and department, the periods (status, fallback date)
against the windows of the GPs who fit them, and the live matches as links between the two.

The geometry is computed here and drawn as SVG by templates/coordination/_timeline.html:
horizontal positions are percentages of the width, so the figure fits any screen without
scrolling sideways and its text keeps its size. Every fact in the figure is also in the table
that goes with it (for the keyboard and screen readers)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.dates import add_months
from app.extensions import db
from app.models import Department, Match, Period, Region, Trust
from app.models.statuses import MATCHABLE_PERIOD_STATUSES, PeriodStatus

from .fit import region_fit
from .overview import WaitingEntry, fallback_day, live_matches_in_region

# Periods the timeline shows (withdrawn ones are gone for good).
SHOWN_STATUSES = (
    PeriodStatus.OPEN,
    PeriodStatus.MATCHED,
    PeriodStatus.FILLED,
    PeriodStatus.ADVERTISED,
)
# GPs drawn under a department besides those it has matches with; the table lists them all.
FIT_ROWS = 3
MIN_MONTHS, MAX_MONTHS = 12, 24
LABEL_CHARS = 40
# Row heights in pixels: a label line above the bars.
AXIS_HEIGHT = 28
LABEL_ROW, LANE_ROW, GP_ROW = 36, 20, 32
BAR, GP_BAR = 14, 10


@dataclass
class PeriodItem:
    """One period with what the figure and the table say about it."""

    period: Period
    fallback_on: date | None  # open periods only: a match stops the fallback
    match: Match | None
    fits: list[WaitingEntry]  # GPs who fit, in waiting-list order

    @property
    def status(self) -> str:
        return self.period.status


@dataclass
class Bar:
    x: float  # percent of the width
    width: float
    y: int
    height: int
    css: str
    item: PeriodItem | None = None


@dataclass
class Mark:
    x: float
    y1: int
    y2: int
    css: str


@dataclass
class Label:
    x: float
    y: int
    text: str
    css: str = ""


@dataclass
class Chart:
    trust: Trust
    items: list[PeriodItem]
    height: int = AXIS_HEIGHT
    bars: list[Bar] = field(default_factory=list)
    marks: list[Mark] = field(default_factory=list)
    labels: list[Label] = field(default_factory=list)
    more: dict[int, int] = field(default_factory=dict)  # department id -> GPs not drawn


@dataclass
class Timeline:
    start: date
    end: date
    today_x: float | None
    ticks: list[tuple[float, date]]
    charts: list[Chart]

    def x(self, day: date) -> float:
        """Where ``day`` lies, in percent of the width (clamped to the figure)."""
        span = (self.end - self.start).days or 1
        return round(min(max((day - self.start).days / span, 0.0), 1.0) * 100, 2)

    def width(self, start: date, end: date) -> float:
        return max(round(self.x(end) - self.x(start), 2), 0.4)


def _periods(region: Region, today: date) -> list[Period]:
    return list(
        db.session.scalars(
            sa.select(Period)
            .join(Period.department)
            .join(Department.trust)
            .options(
                selectinload(Period.department).selectinload(Department.trust),
                selectinload(Period.department).selectinload(Department.specialty),
            )
            .where(
                Trust.region_id == region.id,
                Period.status.in_(SHOWN_STATUSES),
                Period.end_date >= today,
            )
            .order_by(Period.start_date, Period.id)
        )
    )


def _short(name: str, size: int = LABEL_CHARS) -> str:
    """A label that fits a phone's width (the table beside the figure has it in full)."""
    return name if len(name) <= size else name[: size - 1].rstrip() + "…"


def _lanes(periods: list[Period]) -> list[list[Period]]:
    """Overlapping periods of one department on separate lanes (first fit)."""
    lanes: list[list[Period]] = []
    for period in sorted(periods, key=lambda p: (p.start_date, p.id)):
        lane = next((lane for lane in lanes if lane[-1].end_date < period.start_date), None)
        if lane is None:
            lanes.append([period])
        else:
            lane.append(period)
    return lanes


def _ticks(start: date, end: date) -> list[tuple[float, date]]:
    months = (end.year - start.year) * 12 + end.month - start.month
    step = 3 if months <= 18 else 6  # at most about six labels: they fit on a phone
    span = (end - start).days or 1
    out, day = [], start
    while day <= end:
        out.append((round((day - start).days / span * 100, 2), day))
        day = add_months(day, step)
    return out


def region_timeline(region: Region, today: date, waiting: list[WaitingEntry]) -> Timeline:
    """The region's timeline; ``waiting`` is the region's waiting list (its order is the
    order in which GPs who fit are drawn)."""
    periods = _periods(region, today)
    live = {m.period_id: m for m in live_matches_in_region(region)}
    matchable = [
        p for p in periods if p.status in MATCHABLE_PERIOD_STATUSES and p.start_date > today
    ]
    entry_of = {e.gp.id: e for e in waiting}
    fits: dict[int, list[WaitingEntry]] = {}
    if matchable and waiting:
        fit = region_fit(region, today, matchable, [e.window for e in waiting])
        for gp_id, period_ids in fit.periods_of().items():
            for period_id in period_ids:
                fits.setdefault(period_id, []).append(entry_of[gp_id])
    start = today.replace(day=1)
    last = max((p.end_date for p in periods), default=today)
    end = min(max(last, add_months(start, MIN_MONTHS)), add_months(start, MAX_MONTHS))
    timeline = Timeline(start, end, None, _ticks(start, end), [])
    timeline.today_x = timeline.x(today)
    by_trust: dict[int, list[Period]] = {}
    for period in periods:
        by_trust.setdefault(period.department.trust_id, []).append(period)
    for trust_periods in sorted(by_trust.values(), key=lambda ps: ps[0].department.trust.name):
        items = [
            PeriodItem(
                period=p,
                fallback_on=fallback_day(p) if p.status == PeriodStatus.OPEN else None,
                match=live.get(p.id),
                fits=sorted(fits.get(p.id, []), key=lambda e: e.position),
            )
            for p in trust_periods
        ]
        timeline.charts.append(_chart(timeline, trust_periods[0].department.trust, items, entry_of))
    return timeline


def _chart(
    timeline: Timeline, trust: Trust, items: list[PeriodItem], windows: dict[int, WaitingEntry]
) -> Chart:
    chart = Chart(trust=trust, items=items)
    y = AXIS_HEIGHT
    by_department: dict[int, list[PeriodItem]] = {}
    for item in items:
        by_department.setdefault(item.period.department_id, []).append(item)
    departments = sorted(
        by_department.values(), key=lambda its: its[0].period.department.name.lower()
    )
    for department_items in departments:
        department = department_items[0].period.department
        item_of = {i.period.id: i for i in department_items}
        chart.labels.append(Label(0, y + 13, _short(department.name), "tl-department"))
        bottoms: dict[int, int] = {}
        for n, lane in enumerate(_lanes([i.period for i in department_items])):
            top = y + (18 if n == 0 else 2)
            for period in lane:
                item = item_of[period.id]
                chart.bars.append(
                    Bar(
                        timeline.x(period.start_date),
                        timeline.width(period.start_date, period.end_date),
                        top,
                        BAR,
                        f"tl-period tl-{period.status}",
                        item,
                    )
                )
                bottoms[period.id] = top + BAR
                if (
                    item.fallback_on is not None
                    and timeline.start <= item.fallback_on <= timeline.end
                ):
                    x = timeline.x(item.fallback_on)
                    chart.marks.append(Mark(x, top - 3, top + BAR + 3, "tl-fallback"))
            y += LABEL_ROW if n == 0 else LANE_ROW
        # GPs: those matched here first (with the link), then the first who fit.
        drawn: list[int] = []
        for item in department_items:
            if item.match is not None and item.match.gp_id not in drawn:
                y = _gp_row(chart, timeline, y, item, bottoms[item.period.id], windows)
                drawn.append(item.match.gp_id)
        fitting: dict[int, WaitingEntry] = {}
        for item in department_items:
            for entry in item.fits:
                fitting.setdefault(entry.gp.id, entry)
        others = sorted(
            (e for gp_id, e in fitting.items() if gp_id not in drawn), key=lambda e: e.position
        )
        for entry in others[:FIT_ROWS]:
            y = _window_row(chart, timeline, y, entry)
        if len(others) > FIT_ROWS:
            chart.more[department.id] = len(others) - FIT_ROWS
        y += 8
    chart.height = y
    return chart


def _window_row(chart: Chart, timeline: Timeline, y: int, entry: WaitingEntry) -> int:
    window = entry.window
    chart.labels.append(Label(0, y + 11, f"{entry.position}. {entry.gp.name}", "tl-gp"))
    chart.bars.append(
        Bar(
            timeline.x(window.earliest_start),
            timeline.width(window.earliest_start, window.latest_end),
            y + 16,
            GP_BAR,
            "tl-window",
        )
    )
    return y + GP_ROW


def _gp_row(
    chart: Chart,
    timeline: Timeline,
    y: int,
    item: PeriodItem,
    from_y: int,
    windows: dict[int, WaitingEntry],
) -> int:
    match = item.match
    assert match is not None
    period = item.period
    entry = windows.get(match.gp_id)
    start, end = period.start_date, period.end_date
    if entry is not None:
        start, end = entry.window.earliest_start, entry.window.latest_end
    name = f"{entry.position}. {match.gp.name}" if entry else match.gp.name
    chart.labels.append(Label(0, y + 11, name, "tl-gp"))
    chart.bars.append(
        Bar(timeline.x(start), timeline.width(start, end), y + 16, GP_BAR, "tl-window")
    )
    chart.bars.append(
        Bar(
            timeline.x(period.start_date),
            timeline.width(period.start_date, period.end_date),
            y + 16,
            GP_BAR,
            f"tl-match tl-match-{match.status}",
        )
    )
    chart.marks.append(Mark(timeline.x(period.start_date), from_y, y + 16, "tl-link"))
    return y + GP_ROW
