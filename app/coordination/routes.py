"""Routes: the region's overview, matching runs, overrides, policies and the audit log.

Runs are national objects: every coordinator sees every run and may start or commit one
(it covers all regions, as the nightly run does); a run's page shows the changes in the
regions the user coordinates. Periods, matches, GPs and policies outside them are 404.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import access
from app.auth.decorators import role_required
from app.dates import local_today
from app.extensions import db
from app.forms import choices
from app.matches import services as match_services
from app.matches.services import MatchConflict
from app.models import MatchingRun, Policy, Trust
from app.runs.services import RunRefused, RunRequest, execute

from . import bp, scope, services, words
from . import overview as ov
from .forms import (
    AuditFilterForm,
    ConfirmForm,
    OverrideForm,
    PairForm,
    PolicyForm,
    ReasonForm,
    RunForm,
)
from .policies import FIELDS, policy_region_id
from .run_view import changes_since, run_changes
from .views import (
    apply_policy_errors,
    audit_action_choices,
    gp_choices,
    period_choices,
    policy_changes,
    preselect,
)

coordinator = role_required("coordinator", "admin")
RUNS_PER_PAGE = 50


def _user():
    return current_user._get_current_object()


@bp.context_processor
def _words():
    return {"words": words, "coordinates_gp": lambda gp: access.coordinates_gp(_user(), gp)}


@bp.route("/")
@coordinator
def overview():
    """The region's overview: periods, the waiting list, live matches."""
    user = _user()
    region = scope.choose_region(user, request.args.get("region"))
    today = local_today()
    rows = ov.open_periods(region, today)
    matches = scope.live_matches_in_region(region)
    return render_template(
        "coordination/overview.html",
        region=region,
        regions=scope.regions_in_scope(user),
        policy=region.policy,
        periods=rows,
        near=ov.near_fallback(rows),
        waiting=ov.waiting_list(region, today),
        order=ov.waiting_order(region.policy),
        matches=matches,
        pending=ov.awaiting_confirmation(matches),
        today=today,
    )


@bp.route("/runs", methods=["GET", "POST"])
@coordinator
def runs():
    """The matching runs, and a dry run on demand."""
    form = RunForm(as_of=local_today())
    status = 200
    if form.validate_on_submit():
        request_ = RunRequest(form.as_of.data, dry_run=True, trigger="manual", actor=_user())
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
    page = max(1, request.args.get("page", 1, type=int))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(MatchingRun))
    items = db.session.scalars(
        sa.select(MatchingRun)
        .order_by(MatchingRun.started_at.desc(), MatchingRun.id.desc())
        .limit(RUNS_PER_PAGE)
        .offset((page - 1) * RUNS_PER_PAGE)
    ).all()
    pages = max(1, -(-total // RUNS_PER_PAGE))
    return (
        render_template(
            "coordination/runs.html", form=form, runs=items, page=page, pages=pages, total=total
        ),
        status,
    )


def _run_page(run: MatchingRun, status: int = 200, error: str | None = None):
    user = _user()
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
            changes=run_changes(run, scope.regions_in_scope(user)),
            national=scope.is_national(user),
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
    run = db.session.get(MatchingRun, run_id) or abort(404)
    return _run_page(run)


@bp.route("/runs/<int:run_id>/commit", methods=["POST"])
@coordinator
def run_commit(run_id: int):
    """Commit a dry run: run again for the same date, for real."""
    run = db.session.get(MatchingRun, run_id) or abort(404)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    if not run.dry_run or run.status != "succeeded":
        return _run_page(run, 409, _("Only a successful dry run can be committed."))
    try:
        committed = execute(
            RunRequest(as_of=run.as_of, dry_run=False, trigger="manual", actor=_user())
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


def _back_to_overview(period):
    return redirect(url_for(".overview", region=period.department.trust.region.code))


@bp.route("/matches/<int:match_id>/<any(confirm,cancel,unpin):action>", methods=["GET", "POST"])
@coordinator
def match_action(match_id: int, action: str):
    """Confirm a proposal, or cancel or unpin a match with a reason."""
    user = _user()
    match = access.get_match_or_404(match_id, user)
    form = ConfirmForm() if action == "confirm" else ReasonForm()
    status, error = 200, None
    if form.validate_on_submit():
        try:
            if action == "confirm":
                match_services.confirm(match, actor=user)
            elif action == "cancel":
                match_services.cancel(match, reason=form.reason.data.strip(), actor=user)
            else:
                match_services.unpin(match, reason=form.reason.data.strip(), actor=user)
        except MatchConflict as conflict:
            db.session.rollback()
            error = words.conflict(conflict.code, conflict.message)[1]
            status = 409
        else:
            db.session.commit()
            flash(
                {
                    "confirm": _("The proposal is confirmed; the trust is asked to make an offer."),
                    "cancel": _("The match is cancelled."),
                    "unpin": _("The assignment is unpinned; the next run may change it."),
                }[action],
                "success",
            )
            return _back_to_overview(match.period)
    elif form.is_submitted():
        status = 422
    return (
        render_template(
            "coordination/match_action.html", match=match, action=action, form=form, error=error
        ),
        status,
    )


def _pair_page(kind: str):
    """The assign and forbid pages: a period, a GP and a reason."""
    user = _user()
    regions = scope.regions_in_scope(user)
    form = PairForm()
    if kind == "assign":
        periods = services.assignable_periods(regions, local_today())
        gps = services.assignable_gps(regions)
    else:
        periods = services.forbiddable_periods(regions)
        gps = services.gps_of(regions)
    form.period_id.choices = period_choices(periods)
    form.gp_id.choices = gp_choices(gps)
    if request.method == "GET":
        preselect(form, user)
    status = 200
    if form.validate_on_submit():
        period = access.get_period_or_404(form.period_id.data, user)
        gp = scope.get_gp_or_404(form.gp_id.data, user)
        reason = form.reason.data.strip()
        try:
            if kind == "assign":
                match_services.assign(period, gp, reason=reason, actor=user)
            else:
                match_services.forbid(period, gp, reason=reason, actor=user)
        except MatchConflict as conflict:
            db.session.rollback()
            field, message = words.conflict(conflict.code, conflict.message)
            form[field].errors.append(message)
            status = 409
        else:
            db.session.commit()
            flash(
                _("%(gp)s is assigned to the period. Later runs keep it.", gp=gp.name)
                if kind == "assign"
                else _("%(gp)s will never be proposed for this period.", gp=gp.name),
                "success",
            )
            return _back_to_overview(period)
    elif form.is_submitted():
        status = 422
    forbids = services.forbids_in_regions(regions) if kind == "forbid" else []
    return (
        render_template(
            f"coordination/{kind}.html", form=form, forbids=forbids, periods=periods, gps=gps
        ),
        status,
    )


@bp.route("/assign", methods=["GET", "POST"])
@coordinator
def assign():
    """Assign a GP to a period by hand (pinned: later runs keep it)."""
    return _pair_page("assign")


@bp.route("/forbids", methods=["GET", "POST"])
@coordinator
def forbid():
    """Forbid a pair: the matching never proposes that GP for that period."""
    return _pair_page("forbid")


def _policies_page(override_form=None, remove_errors=None, removed_reasons=None, status=200):
    user = _user()
    regions = scope.regions_in_scope(user)
    override_form = override_form or OverrideForm()
    override_form.trust_id.choices = _override_choices(regions)
    return (
        render_template(
            "coordination/policies.html",
            items=services.policies_in_scope(regions),
            override_form=override_form,
            remove_errors=remove_errors or {},
            removed_reasons=removed_reasons or {},
            remove_form=ConfirmForm(),
        ),
        status,
    )


def _override_choices(regions):
    trusts = db.session.scalars(
        sa.select(Trust)
        .where(Trust.region_id.in_([r.id for r in regions]))
        .where(~Trust.id.in_(sa.select(Policy.trust_id).where(Policy.trust_id.is_not(None))))
        .order_by(Trust.name)
    ).all()
    return choices([("", _("Choose a trust")), *((t.id, t.name) for t in trusts)])


@bp.route("/policies")
@coordinator
def policies():
    """The matching rules of the user's regions and their trusts' overrides."""
    return _policies_page()


@bp.route("/policies/overrides", methods=["POST"])
@coordinator
def policy_override_create():
    """Give a trust its own rules, starting as a copy of its region's."""
    user = _user()
    regions = scope.regions_in_scope(user)
    form = OverrideForm()
    form.trust_id.choices = _override_choices(regions)
    if not form.validate_on_submit():
        return _policies_page(form, status=422)
    trust = db.session.get(Trust, form.trust_id.data)
    try:
        policy = services.create_override(trust, reason=form.reason.data, actor=user)
    except services.PolicyError as error:
        db.session.rollback()
        for name, code in error.fields.items():
            form[name if name in form else "reason"].errors.append(words.policy_error(name, code))
        return _policies_page(form, status=409)
    db.session.commit()
    flash(_("%(trust)s now has its own rules. Change them below.", trust=trust.name), "success")
    return redirect(url_for(".policy_edit", policy_id=policy.id))


def _policy_in_scope(policy_id: int) -> Policy:
    policy = db.session.get(Policy, policy_id)
    if policy is None:
        abort(404)
    region_ids = {r.id for r in scope.regions_in_scope(_user())}
    if policy_region_id(policy) not in region_ids:
        abort(404)
    return policy


@bp.route("/policies/<int:policy_id>/remove", methods=["POST"])
@coordinator
def policy_override_remove(policy_id: int):
    """Remove a trust's own rules: its region's apply again."""
    policy = _policy_in_scope(policy_id)
    form = ReasonForm()
    if policy.trust_id is None:
        abort(404)
    if not form.validate_on_submit():
        return _policies_page(
            remove_errors={policy.id: _("Give a reason.")},
            removed_reasons={policy.id: form.reason.data or ""},
            status=422,
        )
    trust = services.remove_override(policy, reason=form.reason.data, actor=_user())
    db.session.commit()
    flash(_("%(trust)s follows its region's rules again.", trust=trust.name), "success")
    return redirect(url_for(".policies"))


@bp.route("/policies/<int:policy_id>", methods=["GET", "POST"])
@coordinator
def policy_edit(policy_id: int):
    """Edit a region's or a trust's matching rules, with a reason."""
    policy = _policy_in_scope(policy_id)
    form = PolicyForm(obj=policy)
    if request.method == "GET":
        form.fill_priority(list(policy.priority))
    status = 200
    if form.is_submitted():
        valid = form.validate()
        changes = policy_changes(form, FIELDS)
        try:
            if valid:
                diff = services.update_policy(
                    policy, changes, reason=form.reason.data, actor=_user()
                )
            else:
                services.validate_changes(changes)  # the service's messages too
        except services.PolicyError as error:
            db.session.rollback()
            apply_policy_errors(form, error)
            valid = False
        if valid:
            db.session.commit()
            flash(
                _("The rules are saved.") if diff else _("Nothing was changed."),
                "success",
            )
            return redirect(url_for(".policies"))
        status = 422
    return render_template("coordination/policy_edit.html", policy=policy, form=form), status


@bp.route("/audit")
@coordinator
def audit():
    """The audit log, newest first, filterable by object, person and action."""
    user = _user()
    form = AuditFilterForm(formdata=request.args)
    visible = services.audit_query(user)
    form.action.choices = audit_action_choices(visible)
    form.validate()
    status = 422 if form.errors else 200
    object_type = object_id = None
    if form.object.data and not form.object.errors:
        try:
            object_type, object_id = services.parse_object_ref(form.object.data)
        except services.ObjectRefError:
            form.object.errors.append(
                _("Write the object as type:number, e.g. period:12, match:3 or gp:5.")
            )
            status = 422
    query = services.audit_query(
        user,
        object_type=object_type,
        object_id=object_id,
        person=form.person.data if not form.person.errors else None,
        action=form.action.data if form.action.data and not form.action.errors else None,
    )
    page = services.audit_page(query, request.args.get("page", 1, type=int))
    filters = {k: v for k, v in request.args.items() if k != "page" and v}
    return (
        render_template(
            "coordination/audit.html",
            form=form,
            page=page,
            filters=filters,
            object_ref=services.object_ref,
        ),
        status,
    )
