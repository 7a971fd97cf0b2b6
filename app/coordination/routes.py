"""Routes: the region's overview and the matching runs (overrides, policies and the audit
log are in routes_overrides.py and routes_policies.py).

A regional coordinator's run covers their region; a national coordinator's run covers every
region (as the nightly run does) or the one they choose. A coordinator sees the runs that
cover their region, and a run's page shows the changes in the regions they coordinate.
Periods, matches, GPs, runs and policies outside them are 404 (app.access).
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload

from app import access, paging
from app.auth.decorators import role_required
from app.dates import local_today
from app.errors import InvalidInput
from app.extensions import db
from app.forms import choices
from app.models import MatchingRun, Specialty
from app.policy import region_policy
from app.runs.services import RunRefused, RunRequest, check_run_date, execute
from app.text import bounded_int

from . import bp, counts, words
from . import overview as ov
from .forms import ConfirmForm, RunForm, WaitingFilterForm
from .run_view import GroupChoice, changes_since, run_changes
from .timeline import region_timeline

coordinator = role_required("coordinator", "admin")
RUNS_PER_PAGE = 50


def current():
    """The logged-in user (the object, not the proxy)."""
    return current_user._get_current_object()


@bp.context_processor
def _words():
    # one question for the page's GPs, not one per row
    return {"words": words, "coordinates_gp": access.coordinated_gps(current())}


@bp.route("/")
@coordinator
def overview():
    """A national coordinator's summary of every region, or one region's to-do list and
    timeline."""
    user = current()
    code = request.args.get("region")
    today = local_today()
    regions = access.regions_in_scope(user)
    if access.is_national(user) and not code:
        summary = ov.national_summary(regions, today)
        parked = counts.parked_email_count([r.id for r in regions])
        return render_template(
            "coordination/national.html",
            summary=summary,
            total=counts.added_up((row.figures for row in summary), parked),
            regions=regions,
        )
    region = access.choose_region(user, code)
    return render_template(
        "coordination/overview.html",
        region=region,
        regions=regions,
        national=access.is_national(user),
        policy=region_policy(region),
        figures=counts.figures([region.id], today),
        todo=ov.todo(region, today),
        timeline=region_timeline(region, today, request.args.get("trust")),
        fallback_day=ov.fallback_day,
        near_days=counts.NEAR_FALLBACK_DAYS,
        deadline_days=counts.NEAR_DEADLINE_DAYS,
        today=today,
    )


@bp.route("/waiting")
@coordinator
def waiting():
    """The region's waiting list in the policy's order, with filters and pages."""
    user = current()
    regions = access.regions_in_scope(user)
    code = request.args.get("region")
    if access.is_national(user) and not code:
        return render_template("coordination/waiting.html", region=None, regions=regions)
    region = access.choose_region(user, code)
    today = local_today()
    form = WaitingFilterForm(formdata=request.args)
    form.specialty.choices = choices(
        [("", _("Any specialty")), *((s.id, s.name) for s in _specialties())]
    )
    form.validate()
    valid = {name: not f.errors for name, f in form._fields.items()}
    page = ov.waiting_page(
        region,
        today,
        name=(form.name.data or "") if valid["name"] else "",
        specialty_id=form.specialty.data if valid["specialty"] else None,
        state=form.state.data if valid["state"] and form.state.data else "all",
        sort=form.sort.data if valid["sort"] and form.sort.data else "priority",
        page=paging.page_number(),
    )
    policy = region_policy(region)
    filters = {k: v for k, v in request.args.items() if k != "page" and v}
    return (
        render_template(
            "coordination/waiting.html",
            region=region,
            regions=regions,
            national=access.is_national(user),
            form=form,
            waiting=page,
            policy=policy,
            order=ov.waiting_order(policy),
            filters=filters,
        ),
        422 if form.errors else 200,
    )


def _specialties() -> list[Specialty]:
    found = db.session.scalars(sa.select(Specialty)).all()
    return sorted(found, key=lambda s: s.name.casefold())


@bp.route("/runs", methods=["GET", "POST"])
@coordinator
def runs():
    """The matching runs, and a dry run on demand."""
    user = current()
    form = RunForm(as_of=local_today())
    form.region.choices = _region_choices(user)
    status = 200
    if form.validate_on_submit():
        request_ = RunRequest(
            form.as_of.data,
            dry_run=True,
            trigger="manual",
            actor=user,
            region=access.run_region(user, form.region.data or None),
        )
        try:
            run = execute(request_)
        except RunRefused:
            form.as_of.errors.append(_("Another matching run is in progress. Try again soon."))
            status = 409
        except Exception:  # execute has logged it and recorded the failed run
            flash(_("The dry run failed. The error is in the list of runs."), "error")
            return redirect(url_for(".runs"))
        else:
            flash(_("The dry run is done. Nothing has changed yet."), "success")
            return redirect(url_for(".run_detail", run_id=run.id))
    elif form.is_submitted():
        status = 422
    runs = paging.page_of(
        access.runs_in_scope(user).order_by(MatchingRun.started_at.desc(), MatchingRun.id.desc()),
        paging.page_number(),
        RUNS_PER_PAGE,
        options=[selectinload(MatchingRun.created_by), selectinload(MatchingRun.region)],
    )
    return (
        render_template("coordination/runs.html", form=form, runs=runs),
        status,
    )


def _region_choices(user) -> list[tuple[str, str]]:
    """Where a run may go: a regional coordinator's region; for a national one, every
    region (the default) or one of them."""
    regions = access.regions_in_scope(user)
    if access.is_national(user):
        return [("", _("All regions")), *((r.code, r.name) for r in regions)]
    return [("", r.name) for r in regions]


def _group_choice() -> GroupChoice:
    """The group of blocking pairs asked for: ``?cause=&department=&page=`` (anything
    else: none)."""
    return GroupChoice(
        cause=request.args.get("cause") or None,
        department_id=bounded_int(request.args.get("department"), 0) or None,
        page=paging.page_number(),
    )


def _run_page(run: MatchingRun, status: int = 200, error: str | None = None):
    user = current()
    shown = run_changes(run, access.regions_in_scope(user), _group_choice())
    later = db.session.scalar(
        sa.select(MatchingRun.id)
        .where(
            MatchingRun.dry_run.is_(False),
            MatchingRun.status == "succeeded",
            MatchingRun.started_at > run.started_at,
        )
        .limit(1)
    )
    return (
        render_template(
            "coordination/run_detail.html",
            run=run,
            changes=shown.changes,
            linked=access.coordinated_among(user, shown.gp_ids),
            national=access.is_national(user),
            changed_since=changes_since(run) if run.dry_run else 0,
            committed_later=later is not None,
            commit_form=ConfirmForm(),
            error=error,
        ),
        status,
    )


@bp.route("/runs/<int:run_id>")
@coordinator
def run_detail(run_id: int):
    """What a run changed, or would change, in the user's regions."""
    return _run_page(access.get_run_or_404(run_id, current()))


@bp.route("/runs/<int:run_id>/commit", methods=["POST"])
@coordinator
def run_commit(run_id: int):
    """Commit a dry run: run again for the same date, for real."""
    user = current()
    run = access.get_run_or_404(run_id, user)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    if not run.dry_run or run.status != "succeeded":
        return _run_page(run, 409, _("Only a successful dry run can be committed."))
    try:
        check_run_date(run.as_of, dry_run=False)
    except InvalidInput as error:
        return _run_page(run, 422, error.message)
    try:
        committed = execute(
            RunRequest(
                as_of=run.as_of, dry_run=False, trigger="manual", actor=user, region=run.region
            )
        )
    except RunRefused:
        return _run_page(
            run,
            409,
            _("Another matching run is in progress, or this date has already run. Try again soon."),
        )
    except Exception:  # execute has logged it and recorded the failed run
        return _run_page(run, 500, _("The run failed and nothing was changed."))
    flash(_("The run is committed."), "success")
    return redirect(url_for(".run_detail", run_id=committed.id))
