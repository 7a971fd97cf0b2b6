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

from app.data_version import VersionedCache
from app.dates import add_months
from app.extensions import db
from app.models import Availability, Department, Match, Period, Region, Trust
from app.models.statuses import MATCHABLE_PERIOD_STATUSES, PeriodStatus
from app.runs.problem import window_loads

from . import counts
from . import overview as ov
from .fit import region_fit
from .overview import WaitingEntry, fallback_day, live_matches_in_region

# Periods the timeline shows (withdrawn ones are gone for good).
SHOWN_STATUSES = (
    PeriodStatus.OPEN,
    PeriodStatus.MATCHED,
    PeriodStatus.FILLED,
    PeriodStatus.ADVERTISED,
)
# GPs drawn under a department besides those it has matches with.
FIT_ROWS = 3
# GPs the table names per period (the rest are counted, with a link to the assign page).
FIT_NAMES = 5
# Who fits which period, per region and day, until the data changes (app/data_version.py):
# computing it takes a problem of the region's whole waiting list.
_FITS = VersionedCache(size=16)
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
    fits: list[WaitingEntry]  # the first GPs who fit (FIT_NAMES), in waiting-list order
    fit_count: int = 0  # how many GPs fit in all

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
    # The region's trusts with periods to show, and how many each has; the figure shows one
    # trust at a time (``trust``), chosen from these.
    trusts: list[tuple[Trust, int]] = field(default_factory=list)
    trust: Trust | None = None

    def x(self, day: date) -> float:
        """Where ``day`` lies, in percent of the width (clamped to the figure)."""
        span = (self.end - self.start).days or 1
        return round(min(max((day - self.start).days / span, 0.0), 1.0) * 100, 2)

    def width(self, start: date, end: date) -> float:
        return max(round(self.x(end) - self.x(start), 2), 0.4)


def _shown(today: date) -> sa.ColumnElement[bool]:
    return sa.and_(Period.status.in_(SHOWN_STATUSES), Period.end_date >= today)


def _trusts(region: Region, today: date) -> list[tuple[Trust, int]]:
    """The region's trusts with periods to show, by name, with how many."""
    rows = db.session.execute(
        sa.select(Trust, sa.func.count(Period.id))
        .join(Department, Department.trust_id == Trust.id)
        .join(Period, Period.department_id == Department.id)
        .where(Trust.region_id == region.id, _shown(today))
        .group_by(Trust.id)
        .order_by(Trust.name, Trust.id)
    ).all()
    return [(trust, count) for trust, count in rows]


def _periods(trust: Trust, today: date) -> list[Period]:
    return list(
        db.session.scalars(
            sa.select(Period)
            .join(Period.department)
            .options(
                selectinload(Period.department).selectinload(Department.trust),
                selectinload(Period.department).selectinload(Department.specialty),
            )
            .where(Department.trust_id == trust.id, _shown(today))
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


def fitting_gps(region: Region, today: date) -> dict[int, list[int]]:
    """For each period of ``region`` that the matching may still fill, the ids of the GPs
    on the region's waiting list who fit it (the engine's eligibility; ``region_fit``).
    Computed once per region, day and version of the data."""

    def compute() -> dict[int, list[int]]:
        matchable = list(
            db.session.scalars(
                sa.select(Period)
                .join(Period.department)
                .join(Department.trust)
                .options(selectinload(Period.department).selectinload(Department.trust))
                .where(
                    Trust.region_id == region.id,
                    Period.status.in_(MATCHABLE_PERIOD_STATUSES),
                    Period.start_date > today,
                )
            )
        )
        windows = list(
            db.session.scalars(
                sa.select(Availability).options(*window_loads()).where(counts.waiting([region.id]))
            )
        )
        if not matchable or not windows:
            return {}
        fits: dict[int, list[int]] = {}
        for gp_id, period_ids in region_fit(region, today, matchable, windows).periods_of().items():
            for period_id in period_ids:
                fits.setdefault(period_id, []).append(gp_id)
        return fits

    return _FITS.get((region.id, today), compute)


def region_timeline(region: Region, today: date, trust_code: str | None = None) -> Timeline:
    """The timeline of one of the region's trusts (``trust_code``, else the first by name
    with periods to show): its periods, their live matches, and the GPs who fit them, drawn
    in their order on the region's waiting list. Loads only the rows it shows."""
    trusts = _trusts(region, today)
    trust = next((t for t, _ in trusts if t.code == trust_code), trusts[0][0] if trusts else None)
    periods = _periods(trust, today) if trust is not None else []
    shown = {p.id for p in periods}
    live = {
        m.period_id: m
        for m in live_matches_in_region(region, [trust.id] if trust is not None else [])
    }
    places = ov.waiting_places(region, today)
    position_of = {place.gp_id: position for position, _, place in places}
    fits = {
        period_id: sorted((g for g in gp_ids if g in position_of), key=lambda g: position_of[g])
        for period_id, gp_ids in fitting_gps(region, today).items()
        if period_id in shown
    }
    by_department = _department_fits(periods, fits, position_of)
    named = _named(periods, live, fits, by_department)
    entry_of = {
        e.gp.id: e for e in ov.waiting_entries(region, [c for c in places if c[2].gp_id in named])
    }
    start = today.replace(day=1)
    last = max((p.end_date for p in periods), default=today)
    end = min(max(last, add_months(start, MIN_MONTHS)), add_months(start, MAX_MONTHS))
    timeline = Timeline(start, end, None, _ticks(start, end), [], trusts, trust)
    timeline.today_x = timeline.x(today)
    if trust is not None and periods:
        items = [
            PeriodItem(
                period=p,
                fallback_on=fallback_day(p) if p.status == PeriodStatus.OPEN else None,
                match=live.get(p.id),
                fits=[entry_of[g] for g in fits.get(p.id, [])[:FIT_NAMES] if g in entry_of],
                fit_count=len(fits.get(p.id, [])),
            )
            for p in periods
        ]
        timeline.charts.append(_chart(timeline, trust, items, entry_of, by_department))
    return timeline


def _department_fits(
    periods: list[Period], fits: dict[int, list[int]], position_of: dict[int, int]
) -> dict[int, list[int]]:
    """Per department, the GPs who fit any of its periods, in waiting-list order."""
    found: dict[int, set[int]] = {}
    for period in periods:
        found.setdefault(period.department_id, set()).update(fits.get(period.id, []))
    return {d: sorted(ids, key=lambda g: position_of[g]) for d, ids in found.items()}


def _named(
    periods: list[Period],
    live: dict[int, Match],
    fits: dict[int, list[int]],
    by_department: dict[int, list[int]],
) -> set[int]:
    """The GPs the figure or the table names: those matched, the first who fit each period
    (the table) and each department (the figure, after its matched GPs)."""
    named = {m.gp_id for m in live.values()}
    for period in periods:
        named.update(fits.get(period.id, [])[:FIT_NAMES])
    matched_in: dict[int, set[int]] = {}
    for period in periods:
        if period.id in live:
            matched_in.setdefault(period.department_id, set()).add(live[period.id].gp_id)
    for department_id, ids in by_department.items():
        drawn = matched_in.get(department_id, set())
        named.update([g for g in ids if g not in drawn][:FIT_ROWS])
    return named


def _chart(
    timeline: Timeline,
    trust: Trust,
    items: list[PeriodItem],
    windows: dict[int, WaitingEntry],
    department_fits: dict[int, list[int]],
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
        others = [g for g in department_fits.get(department.id, []) if g not in drawn]
        for gp_id in others[:FIT_ROWS]:
            if gp_id in windows:
                y = _window_row(chart, timeline, y, windows[gp_id])
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
