"""Landing page, dashboards, GP profile, reference pages and user administration."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm import selectinload

from app import access, lottery, rounds
from app.auth.decorators import role_required
from app.auth.recovery import send_verification
from app.auth.routes import municipality_choices
from app.auth.services import AccountError, create_user, set_active, set_user_municipalities
from app.coordination import audit_words, counts
from app.coordination.overview import gp_waiting_place
from app.dates import local_today
from app.errors import BrokenRule, NotFound
from app.extensions import db
from app.forms import choices
from app.gps import verification
from app.models import (
    GP,
    AuditEvent,
    Department,
    Match,
    Period,
    Region,
    Site,
    Trust,
    User,
)
from app.models.users import ROLES
from app.municipalities.services import municipalities_by_number
from app.paging import count, page_number, page_of
from app.policy import region_policy
from app.public.services import (
    PERIODS_PER_PAGE,
    open_period_counts,
    open_periods_query,
)
from app.text import ID_MAX
from app.unit_of_work import attempt

from . import bp
from .dashboards import dashboard_context
from .forms import (
    CreateUserForm,
    DepartmentCapacityForm,
    GPProfileForm,
    MunicipalitiesForm,
    VerifyProgressForm,
    municipality_numbers,
)
from .services import ProfileError, save_gp_profile, set_department_capacity

GPS_PER_PAGE = 100
USERS_PER_PAGE = 100


@bp.app_context_processor
def _audit_words():
    # the audit tables of the admin's start page and the department page say it in words
    return {"describe_audit_events": audit_words.describe_events}


@bp.route("/")
def index():
    """The public landing page with live figures."""
    regions = list(db.session.scalars(sa.select(Region.id)))
    figures = {
        # the national summary's figures (app.coordination.counts), for everyone
        "open_periods": counts.period_counts(counts.trusts_of(regions))["open"],
        "trusts": db.session.scalar(sa.select(sa.func.count()).select_from(Trust)),
        "waiting_gps": count(counts.waiting_windows(regions)),
    }
    return render_template("main/index.html", figures=figures)


@bp.route("/dashboard")
@login_required
def dashboard():
    """The start page for each role."""
    user = current_user._get_current_object()
    return render_template(f"main/dashboard_{user.role}.html", **dashboard_context(user))


@bp.route("/profile", methods=["GET", "POST"])
@role_required("gp")
def profile():
    """A GP's own profile and progress measures."""
    gp = current_user.gp
    form = GPProfileForm(obj=gp)
    form.municipality_id.choices = municipality_choices()
    if form.validate_on_submit():
        try:
            with attempt():
                changes = save_gp_profile(
                    gp,
                    user=current_user._get_current_object(),
                    name=form.name.data,
                    hpr_number=form.hpr_number.data,
                    municipality_id=form.municipality_id.data,
                    specialisation_started=form.specialisation_started.data,
                    months_general_practice=form.months_general_practice.data,
                    courses_completed=form.courses_completed.data,
                    supervision_group_months=form.supervision_group_months.data,
                    scheme=form.scheme.data,
                    actor=current_user._get_current_object(),
                )
        except ProfileError as error:
            getattr(form, error.field).errors.append(error.message)
        else:
            flash(_("Your profile is saved.") if changes else _("Nothing was changed."), "success")
            return redirect(url_for("main.profile"))
    status = 422 if form.is_submitted() else 200
    return render_template("main/profile.html", form=form, gp=gp), status


@bp.route("/gps")
@role_required("coordinator", "admin", "municipality")
def gp_list():
    """The GPs in the coordinator's region (a municipality user: their municipality's), a
    page at a time."""
    gps = page_of(
        access.gps_in_scope(current_user),
        page_number(),
        GPS_PER_PAGE,
        options=[selectinload(GP.municipality)],
    )
    return render_template("main/gp_list.html", gps=gps)


@bp.route("/gps/<int:gp_id>")
@login_required
def gp_detail(gp_id: int):
    """One GP's profile, window and wishes (the GP, coordinators of the GP's region, admins)."""
    gp = access.get_gp_or_404(gp_id, current_user)
    matches = db.session.scalars(
        sa.select(Match)
        .options(selectinload(Match.period).selectinload(Period.department))
        .where(Match.gp_id == gp.id)
        .order_by(Match.created_at.desc())
    ).all()
    window = access.current_window(gp)
    place = None
    if window is not None and current_user.role in ("coordinator", "admin"):
        place = gp_waiting_place(gp, window)
    may_verify = access.speaks_for_gp(current_user, gp) or access.coordinates_gp(current_user, gp)
    return render_template(
        "main/gp_detail.html",
        gp=gp,
        matches=matches,
        window=window,
        place=place,
        progress=verification.states(gp),
        verify_form=VerifyProgressForm() if may_verify else None,
    )


@bp.route("/gps/<int:gp_id>/progress/verify", methods=["POST"])
@login_required
def verify_progress(gp_id: int):
    """Verify one of the GP's progress measures, or all three (municipality users of the
    GP's municipality, coordinators of the GP's region; 404 for anyone else)."""
    user = current_user._get_current_object()
    gp = access.get_gp_to_verify_or_404(gp_id, user)
    form = VerifyProgressForm()
    if form.validate_on_submit():
        try:
            with attempt():
                chosen = [form.measure.data] if form.measure.data else None
                verification.verify(gp, actor=user, measures=chosen)
        except BrokenRule as error:
            flash(error.message, "error")
        else:
            flash(_("The progress measures of %(name)s are verified.", name=gp.name), "success")
    else:
        flash(_("Nothing was verified: choose a measure and try again."), "error")
    return redirect(url_for(".gp_detail", gp_id=gp.id) + "#progress-title")


@bp.route("/trusts")
def trust_list():
    """Regions and their trusts (public reference data)."""
    regions = db.session.scalars(sa.select(Region).order_by(Region.name)).all()
    return render_template("main/trust_list.html", regions=regions)


@bp.route("/regions/<code>")
def region_detail(code: str):
    """A region's rules and how matching works there, its trusts, its periods open now, and
    its lottery: each season's seed hash, and the seed itself once the season has ended
    (public, so that anyone can check every number)."""
    region = db.session.scalar(
        sa.select(Region)
        .where(Region.code == code)
        .options(selectinload(Region.trusts).selectinload(Trust.own_policy))
    )
    if region is None:
        abort(404)
    today = local_today()
    periods = page_of(
        open_periods_query(region_id=region.id, today=today), page_number(), PERIODS_PER_PAGE
    )
    return render_template(
        "main/region_detail.html",
        region=region,
        policy=region_policy(region),
        periods=periods,
        counts=open_period_counts(region.id, today),
        seeds=lottery.published_seeds(region, today),
        season=lottery.season_of(today),
        schedules=rounds.schedules(region),
        today=today,
    )


@bp.route("/trusts/<code>")
def trust_detail(code: str):
    """A trust's rules in force, its periods open now, its sites and departments."""
    trust = db.session.scalar(
        sa.select(Trust)
        .where(Trust.code == code)
        .options(
            selectinload(Trust.sites).selectinload(Site.municipality),
            selectinload(Trust.departments).selectinload(Department.site),
            selectinload(Trust.departments).selectinload(Department.specialty),
        )
    )
    if trust is None:
        abort(404)
    periods = page_of(open_periods_query(trust_id=trust.id), page_number(), PERIODS_PER_PAGE)
    can_manage = current_user.is_authenticated and access.manages_trust(current_user, trust)
    return render_template(
        "main/trust_detail.html",
        trust=trust,
        can_manage=can_manage,
        periods=periods,
    )


@bp.route("/departments/<int:department_id>", methods=["GET", "POST"])
@role_required("trust", "coordinator", "admin")
def department_detail(department_id: int):
    """A department's ALIS capacity, editable by its trust and region."""
    department = access.get_department_or_404(department_id, current_user)
    form = DepartmentCapacityForm(alis_capacity=department.alis_capacity)
    if form.validate_on_submit():
        set_department_capacity(
            department,
            form.alis_capacity.data,
            form.reason.data.strip(),
            current_user._get_current_object(),
        )
        flash(_("The capacity is saved."), "success")
        return redirect(url_for("main.department_detail", department_id=department.id))
    history = db.session.scalars(
        sa.select(AuditEvent)
        .where(AuditEvent.object_type == "department", AuditEvent.object_id == department.id)
        .order_by(AuditEvent.at.desc())
        .limit(20)
    ).all()
    status = 422 if form.is_submitted() else 200
    return (
        render_template(
            "main/department_detail.html", department=department, form=form, history=history
        ),
        status,
    )


@bp.route("/admin/users", methods=["GET", "POST"])
@role_required("admin")
def users():
    """All accounts, and a form to create staff accounts."""
    form = CreateUserForm()
    trusts = db.session.scalars(sa.select(Trust).order_by(Trust.name)).all()
    regions = db.session.scalars(sa.select(Region).order_by(Region.name)).all()
    form.trust_id.choices = choices([(0, "—")] + [(t.id, t.name) for t in trusts])
    form.region_id.choices = choices([(0, _("National"))] + [(r.id, r.name) for r in regions])
    if form.validate_on_submit():
        role = form.role.data
        trust = db.session.get(Trust, form.trust_id.data) if role == "trust" else None
        region = db.session.get(Region, form.region_id.data) if role == "coordinator" else None
        numbers = municipality_numbers(form.municipalities.data) if role == "municipality" else []
        municipalities, unknown = municipalities_by_number(numbers)
        if role == "trust" and trust is None:
            form.trust_id.errors.append(_("Choose the trust this person works for."))
        elif unknown:
            form.municipalities.errors = [
                _("There is no municipality with the number %(number)s.", number=unknown[0])
            ]
        else:
            try:
                with attempt():
                    user = create_user(
                        form.email.data,
                        form.password.data,
                        role,
                        trust=trust,
                        region=region,
                        municipalities=municipalities,
                        actor=current_user._get_current_object(),
                    )
                    send_verification(user)
            except AccountError as error:
                form[error.field if error.field in form else "email"].errors.append(error.message)
            else:
                flash(_("The account %(email)s is created.", email=user.email), "success")
                return redirect(url_for("main.users"))
    role_filter = request.args.get("role")
    query = sa.select(User).order_by(User.role, User.email, User.id)
    if role_filter in ROLES:
        query = query.where(User.role == role_filter)
    else:
        role_filter = None
    accounts = page_of(
        query,
        page_number(),
        USERS_PER_PAGE,
        options=[selectinload(User.trust), selectinload(User.region)],
    )
    status = 422 if form.is_submitted() else 200
    return (
        render_template("main/users.html", form=form, accounts=accounts, role_filter=role_filter),
        status,
    )


@bp.route("/admin/users/<int:user_id>/municipalities", methods=["GET", "POST"])
@role_required("admin")
def user_municipalities(user_id: int):
    """Change the municipalities a municipality user speaks for."""
    user = db.session.get(User, user_id) if 1 <= user_id <= ID_MAX else None
    if user is None or user.role != "municipality":
        raise NotFound("user")
    form = MunicipalitiesForm()
    if request.method == "GET":
        form.municipalities.data = ", ".join(m.number for m in user.municipalities)
    if form.validate_on_submit():
        municipalities, unknown = municipalities_by_number(
            municipality_numbers(form.municipalities.data)
        )
        if unknown:
            form.municipalities.errors = [
                _("There is no municipality with the number %(number)s.", number=unknown[0])
            ]
        else:
            try:
                with attempt():
                    changed = set_user_municipalities(
                        user, municipalities, actor=current_user._get_current_object()
                    )
            except AccountError as error:
                form.municipalities.errors = [error.message]
            else:
                flash(
                    _("The municipalities of %(email)s are saved.", email=user.email)
                    if changed
                    else _("Nothing was changed."),
                    "success",
                )
                return redirect(url_for("main.users", role="municipality") + "#accounts-title")
    status = 422 if form.is_submitted() else 200
    return render_template("main/user_municipalities.html", form=form, account=user), status


@bp.route("/admin/users/<int:user_id>/<any(disable, enable):action>", methods=["POST"])
@role_required("admin")
def set_user_active(user_id: int, action: str):
    """Disable an account (it is logged out everywhere, its API tokens and emailed links
    end) or enable it again."""
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("user")
    set_active(user, action == "enable", actor=current_user._get_current_object())
    if action == "enable":
        flash(_("The account %(email)s is enabled.", email=user.email), "success")
    else:
        flash(
            _(
                "The account %(email)s is disabled: it is logged out everywhere and its API "
                "tokens no longer work.",
                email=user.email,
            ),
            "success",
        )
    return redirect(url_for("main.users", role=user.role) + "#accounts-title")
