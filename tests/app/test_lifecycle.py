"""The lifecycle owns every status: the allowed transitions, the transitions the rules make,
and the guard that refuses a status written anywhere else."""

from __future__ import annotations

import ast
import pathlib
from datetime import timedelta

import pytest

from app import lifecycle
from app.dates import local_today
from app.errors import MatchConflict
from app.extensions import db
from app.lifecycle.transitions import (
    ENUMS,
    TRANSITIONS,
    IllegalTransition,
    StatusWriteOutsideLifecycle,
    set_status,
)
from app.models import Availability, Match, Period
from app.models.statuses import AvailabilityStatus, MatchStatus, PeriodStatus

from . import factories

ROOT = pathlib.Path(__file__).resolve().parents[2]
TODAY = local_today()


# ---- the table


@pytest.mark.parametrize("model", list(TRANSITIONS), ids=lambda m: m.__name__)
def test_the_table_names_every_status_and_nothing_else(model):
    statuses = set(ENUMS[model])
    table = TRANSITIONS[model]
    assert set(table) - {None} == statuses
    assert all(targets <= statuses for targets in table.values())


@pytest.mark.parametrize(
    ("model", "old", "new"),
    [
        (model, old, new)
        for model, enum in ENUMS.items()
        for old in enum
        for new in enum
        if old != new
    ],
    ids=str,
)
def test_set_status_allows_exactly_the_table(ctx, model, old, new):
    obj = model.__new__(model)  # a plain instance: only its status matters here
    model.__init__(obj)
    with lifecycle.transitions.fixture_writes():
        obj.status = old
    if new in TRANSITIONS[model][old]:
        set_status(obj, new)
        assert obj.status == new
    else:
        with pytest.raises(IllegalTransition):
            set_status(obj, new)
        assert obj.status == old


# ---- the guard


def test_a_status_written_outside_the_lifecycle_is_refused(ctx):
    period = factories.make_period()
    gp = factories.make_gp()
    window = factories.make_window(gp)
    match = factories.make_proposal(period, gp)
    for obj, status in (
        (period, PeriodStatus.ADVERTISED),
        (match, MatchStatus.CANCELLED),
        (window, AvailabilityStatus.PAUSED),
    ):
        with pytest.raises(StatusWriteOutsideLifecycle):
            obj.status = status
    with pytest.raises(StatusWriteOutsideLifecycle):
        Match(period=period, gp=gp, status=MatchStatus.ACCEPTED)


# ---- the transitions the rules make, table-driven


def _offered(ctx_objects):
    period, gp, match, staff = ctx_objects
    lifecycle.offer(match, accept_by=TODAY + timedelta(days=5), actor=staff)
    return match


@pytest.fixture
def proposal(ctx):
    period = factories.make_period()
    gp = factories.make_gp()
    factories.make_window(gp)
    match = factories.make_proposal(period, gp)
    staff = factories.make_user("admin")
    return period, gp, match, staff


# (name, setup: offered first?, action, expected match status or a conflict code, period)
CASES = [
    (
        "offer",
        False,
        lambda m, s: lifecycle.offer(m, accept_by=TODAY, actor=s),
        "offered",
        "matched",
    ),
    ("decline a proposal", False, lambda m, s: lifecycle.decline(m, actor=s), "declined", "open"),
    (
        "cancel a proposal",
        False,
        lambda m, s: lifecycle.cancel(m, reason="x", actor=s),
        "cancelled",
        "open",
    ),
    (
        "accept a proposal",
        False,
        lambda m, s: lifecycle.accept(m, actor=s),
        "not_offered",
        "matched",
    ),
    (
        "hire a proposal",
        False,
        lambda m, s: lifecycle.record_hired(m, actor=s),
        "not_accepted",
        "matched",
    ),
    ("accept an offer", True, lambda m, s: lifecycle.accept(m, actor=s), "accepted", "filled"),
    ("decline an offer", True, lambda m, s: lifecycle.decline(m, actor=s), "declined", "open"),
    (
        "cancel an offer",
        True,
        lambda m, s: lifecycle.cancel(m, reason="x", actor=s),
        "cancelled",
        "open",
    ),
    (
        "offer again",
        True,
        lambda m, s: lifecycle.offer(m, accept_by=TODAY, actor=s),
        "not_proposed",
        "matched",
    ),
    (
        "confirm an offer",
        True,
        lambda m, s: lifecycle.confirm(m, actor=s),
        "not_proposed",
        "matched",
    ),
]


@pytest.mark.parametrize(
    ("name", "offered", "action", "expected", "period_status"), CASES, ids=[c[0] for c in CASES]
)
def test_every_match_transition_goes_through_the_lifecycle(
    proposal, name, offered, action, expected, period_status
):
    period, gp, match, staff = proposal
    if offered:
        _offered(proposal)
    if expected in set(MatchStatus):
        action(match, staff)
        assert match.status == expected
    else:
        with pytest.raises(MatchConflict) as refused:
            action(match, staff)
        assert refused.value.code == expected
    db.session.flush()
    assert db.session.get(Period, period.id).status == period_status


def test_accepting_fulfils_the_window_and_fills_the_period(proposal):
    period, gp, match, staff = proposal
    _offered(proposal)
    lifecycle.accept(match, actor=gp.user)
    window = db.session.query(Availability).filter_by(gp_id=gp.id).one()
    assert window.status == AvailabilityStatus.FULFILLED and period.status == PeriodStatus.FILLED


def test_withdrawing_a_matched_period_ends_its_match_first(proposal):
    period, gp, match, staff = proposal
    lifecycle.withdraw_period(period, reason="planen endra seg", actor=staff)
    assert match.status == MatchStatus.CANCELLED and period.status == PeriodStatus.WITHDRAWN
    with pytest.raises(MatchConflict):
        lifecycle.withdraw_period(period, reason="igjen", actor=staff)


# ---- nothing else writes a status


STATUS_MODELS = {"Period", "Match", "Availability"}


def _status_writes(tree: ast.AST) -> list[int]:
    """Lines that assign ``<x>.status``, construct a period, match or window with a status,
    or update a status in bulk (``.values(status=...)``)."""
    lines = []
    for node in ast.walk(tree):
        targets = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AugAssign | ast.AnnAssign):
            targets = [node.target]
        for target in targets:
            for sub in ast.walk(target):
                if isinstance(sub, ast.Attribute) and sub.attr == "status":
                    lines.append(node.lineno)
        if isinstance(node, ast.Call):
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            keywords = {k.arg for k in node.keywords}
            if name in STATUS_MODELS and "status" in keywords:
                lines.append(node.lineno)
            if name == "values" and "status" in keywords:
                lines.append(node.lineno)
            if name == "setattr" and len(node.args) > 1:
                arg = node.args[1]
                if isinstance(arg, ast.Constant) and arg.value == "status":
                    lines.append(node.lineno)
    return lines


def test_no_code_outside_the_lifecycle_writes_a_status():
    offenders = []
    for path in sorted((ROOT / "app").rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if relative.startswith("app/lifecycle/"):
            continue
        text = path.read_text()
        for line in _status_writes(ast.parse(text)):
            source = text.splitlines()[line - 1]
            # runs, outbox rows and API errors have statuses of their own
            if any(word in source for word in ("run.status", "email_status", "self.status")):
                continue
            if (
                "MatchingRun" in source  # runs have statuses of their own
                or 'status="running"' in source
                or 'status="failed"' in source
            ):
                continue
            offenders.append(f"{relative}:{line}: {source.strip()}")
        if "fixture_writes" in text:
            offenders.append(f"{relative}: uses fixture_writes (tests only)")
    assert offenders == []


def test_the_scan_finds_a_status_write():
    """The scan above is not blind: it sees each kind of write."""
    sample = (
        "period.status = 'open'\n"
        "Match(period=p, gp=g, status='accepted')\n"
        "sa.update(Period).values(status='filled')\n"
        "setattr(window, 'status', 'paused')\n"
    )
    assert _status_writes(ast.parse(sample)) == [1, 2, 3, 4]


def test_assigning_a_gp_elsewhere_opens_the_period_of_their_old_proposal(ctx):
    """The superseded proposal ends like any other: its period is open again (it stayed
    'matched' with no live match before the lifecycle owned the transition)."""
    gp = factories.make_gp()
    factories.make_window(gp)
    first = factories.make_period()
    second = factories.make_period(start=first.start_date + timedelta(days=7))
    old = factories.make_proposal(first, gp, confirmed=False)
    assert first.status == PeriodStatus.MATCHED
    new = lifecycle.assign(second, gp, reason="bedre passform", actor=factories.make_user("admin"))
    assert old.status == MatchStatus.CANCELLED and new.status == MatchStatus.PROPOSED
    assert first.status == PeriodStatus.OPEN and second.status == PeriodStatus.MATCHED
