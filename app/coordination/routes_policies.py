"""Routes: the matching rules of regions and trusts, and the audit log."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app import access
from app.dates import local_today
from app.extensions import db
from app.forms import choices
from app.models import ApplicationRound, Policy, Trust
from app.paging import page_number
from app.unit_of_work import attempt

from . import audit_words, bp, services, words
from .forms import (
    AuditFilterForm,
    ConfirmForm,
    OverrideForm,
    PolicyForm,
    ReasonForm,
    RoundForm,
)
from .policies import FIELDS, add_round, policy_region_id, remove_round
from .routes import coordinator, current
from .views import apply_policy_errors, audit_action_choices, policy_changes


def _policies_page(override_form=None, remove_errors=None, removed_reasons=None, status=200):
    user = current()
    regions = access.regions_in_scope(user)
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
    user = current()
    regions = access.regions_in_scope(user)
    form = OverrideForm()
    form.trust_id.choices = _override_choices(regions)
    if not form.validate_on_submit():
        return _policies_page(form, status=422)
    trust = db.session.get(Trust, form.trust_id.data)
    try:
        with attempt():
            policy = services.create_override(trust, reason=form.reason.data, actor=user)
    except services.PolicyError as error:
        for name, code in error.fields.items():
            form[name if name in form else "reason"].errors.append(words.policy_error(name, code))
        return _policies_page(form, status=409)
    flash(_("%(trust)s now has its own rules. Change them below.", trust=trust.name), "success")
    return redirect(url_for(".policy_edit", policy_id=policy.id))


def _policy_in_scope(policy_id: int) -> Policy:
    policy = db.session.get(Policy, policy_id)
    if policy is None:
        abort(404)
    region_ids = {r.id for r in access.regions_in_scope(current())}
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
    trust = services.remove_override(policy, reason=form.reason.data, actor=current())
    flash(_("%(trust)s follows its region's rules again.", trust=trust.name), "success")
    return redirect(url_for(".policies"))


def _edit_page(policy, form, *, round_form=None, remove_errors=None, status=200):
    return (
        render_template(
            "coordination/policy_edit.html",
            policy=policy,
            form=form,
            round_form=round_form or RoundForm(formdata=None),
            remove_errors=remove_errors or {},
            today=local_today(),
        ),
        status,
    )


def _policy_form(policy: Policy, *, fresh: bool = False) -> PolicyForm:
    """The rules' form: the request's input, or (``fresh``, beside a rounds form) the rules
    as they are."""
    form = PolicyForm(formdata=None, obj=policy) if fresh else PolicyForm(obj=policy)
    if policy.trust_id is not None:  # a region's rule: its trusts keep the region's value
        del form.endorsement_required
        del form.verified_progress_only
    if fresh or request.method == "GET":
        form.fill_priority(list(policy.priority))
    return form


@bp.route("/policies/<int:policy_id>", methods=["GET", "POST"])
@coordinator
def policy_edit(policy_id: int):
    """Edit a region's or a trust's matching rules, with a reason."""
    policy = _policy_in_scope(policy_id)
    form = _policy_form(policy)
    status = 200
    if form.is_submitted():
        valid = form.validate()
        changes = policy_changes(form, FIELDS)
        try:
            with attempt():
                if valid:
                    diff = services.update_policy(
                        policy, changes, reason=form.reason.data, actor=current()
                    )
                else:
                    services.validate_changes(changes)  # the service's messages too
        except services.PolicyError as error:
            apply_policy_errors(form, error)
            valid = False
        if valid:
            flash(
                _("The rules are saved.") if diff else _("Nothing was changed."),
                "success",
            )
            return redirect(url_for(".policies"))
        status = 422
    return _edit_page(policy, form, status=status)


@bp.route("/policies/<int:policy_id>/rounds", methods=["POST"])
@coordinator
def policy_round_add(policy_id: int):
    """Add an application round to a region's or a trust's rules, with a reason."""
    policy = _policy_in_scope(policy_id)
    round_form = RoundForm()
    if round_form.validate_on_submit():
        try:
            with attempt():
                add_round(
                    policy,
                    apply_by=round_form.apply_by.data,
                    match_on=round_form.match_on.data,
                    answer_by=round_form.answer_by.data,
                    reason=round_form.round_reason.data,
                    actor=current(),
                )
        except services.PolicyError as error:
            for name, code in error.fields.items():
                target = round_form._fields.get(name, round_form.round_reason)
                target.errors = [*target.errors, words.policy_error(name, code)]
        else:
            flash(_("The round is added."), "success")
            return redirect(url_for(".policy_edit", policy_id=policy.id))
    return _edit_page(policy, _policy_form(policy, fresh=True), round_form=round_form, status=422)


@bp.route("/policies/<int:policy_id>/rounds/<int:round_id>/remove", methods=["POST"])
@coordinator
def policy_round_remove(policy_id: int, round_id: int):
    """Remove an application round nobody matched yet, with a reason."""
    policy = _policy_in_scope(policy_id)
    found = db.session.get(ApplicationRound, round_id)
    if found is None or found.policy_id != policy.id:
        abort(404)
    form = ReasonForm()
    error_text = None
    if not form.validate_on_submit():
        error_text = _("Give a reason.")
    else:
        try:
            with attempt():
                remove_round(found, reason=form.reason.data, actor=current())
        except services.PolicyError as error:
            error_text = " ".join(words.policy_error(n, c) for n, c in error.fields.items())
    if error_text:
        return _edit_page(
            policy,
            _policy_form(policy, fresh=True),
            remove_errors={round_id: error_text},
            status=422,
        )
    flash(_("The round is removed."), "success")
    return redirect(url_for(".policy_edit", policy_id=policy.id))


@bp.route("/audit")
@coordinator
def audit():
    """The audit log, newest first, filterable by object, person and action."""
    user = current()
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
        related=True,
    )
    page = services.audit_page(query, page_number())
    filters = {k: v for k, v in request.args.items() if k != "page" and v}
    return (
        render_template(
            "coordination/audit.html",
            form=form,
            page=page,
            filters=filters,
            entries=audit_words.describe_events(page.items),
            object_ref=services.object_ref,
        ),
        status,
    )
