"""Every error code in words, once, in bokmål, nynorsk and English (through the message
catalogues). Pages, the API and emails word a code with ``describe``; a field's own code with
``describe_field``. ``FIELD_OF`` says which form field a conflict belongs to on a page. A test
checks that every code the services raise has words here."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

NOT_FOUND = {
    "object": _l("There is no such object, or you may not see it."),
    "period": _l("There is no such period, or you may not see it."),
    "gp": _l("There is no such GP, or you may not see them."),
    "match": _l("There is no such match, or you may not see it."),
    "department": _l("There is no such department, or you may not see it."),
    "region": _l("There is no such region, or you may not see it."),
    "run": _l("There is no such matching run, or you may not see it."),
    "vacancy": _l("There is no such vacancy."),
    "availability": _l("There is no such availability window of yours."),
    "window": _l("There is no such availability window, or you may not see it."),
    "subscription": _l("There is no such subscription of yours."),
    "notification": _l("There is no such notification of yours."),
    "user": _l("There is no such account."),
    "token": _l("There is no such API token of yours, or it no longer works."),
}

# Conflicts: the action does not fit the state (409), and refusals of input (422).
MESSAGES = {
    # runs
    "run_in_future": _l(
        "A run that changes anything cannot be dated after today. Make a dry run to look ahead."
    ),
    "run_in_past": _l("Choose today or a later day."),
    "run_too_far": _l("Choose a day within five years."),
    "run_refused": _l(
        "Another matching run is in progress, or this date has already run. Try again soon."
    ),
    # periods
    "period_not_open": _l("The period is no longer open, so this is not possible."),
    "not_withdrawable": _l("A filled or withdrawn period cannot be withdrawn."),
    "period_started": _l("The period has already started."),
    "period_taken": _l("The period already has an offer or a placement."),
    "no_candidate": _l("The period has no candidate to make an offer to."),
    # matches
    "not_proposed": _l("Only a proposal that has not been offered yet allows this."),
    "not_confirmed": _l("The ALIS coordinator must confirm the proposal before you make an offer."),
    "already_confirmed": _l("The proposal is already confirmed."),
    "awaits_department_choice": _l(
        "The department chooses this period's candidate from the shortlist: the proposal is "
        "not confirmed by a coordinator. Assign a GP if the choice must be overridden."
    ),
    "deadline_in_past": _l("The deadline cannot be in the past."),
    "deadline_after_start": _l("The deadline must be before the period starts."),
    "not_offered": _l("There is no open offer to accept."),
    "offer_expired": _l("The acceptance deadline has passed. The offer can no longer be answered."),
    "not_declinable": _l("There is nothing to decline."),
    "not_accepted": _l("Only a period the GP has accepted can be recorded as hired."),
    "already_hired": _l("The hiring is already recorded."),
    "not_cancellable": _l("Only proposals and open offers can be cancelled."),
    "not_pinned": _l("The match is not pinned."),
    "gp_not_available": _l("The GP has no active availability window."),
    "outside_window": _l("The period does not fit the GP's availability window."),
    "not_eligible": _l(
        "The GP has fewer months of general practice than the trust's rules require."
    ),
    "gp_already_placed": _l(
        "The GP already has an offer or a placement, and their window does not allow two "
        "blocks (3 + 3 months)."
    ),
    "split_too_many_blocks": _l("The GP already holds two blocks."),
    "split_blocks_overlap": _l("The period overlaps a block the GP already holds."),
    "split_blocks_too_long": _l(
        "Together with the block the GP already holds, this would be more months than the GP "
        "asked for."
    ),
    "forbidden": _l("A coordinator has forbidden this pair."),
    "already_forbidden": _l("This pair is already forbidden."),
    "already_accepted": _l("The GP has accepted this period; it cannot be forbidden."),
    "not_on_shortlist": _l("That GP is not on the shortlist any more."),
    "conflict": _l("Another request changed this period or GP first. Try again."),
    # webhooks
    "no_webhook": _l("The trust has no webhook. Save its address first."),
    "not_resendable": _l("This event is waiting to be sent already."),
    # input, on any field
    "invalid_input": _l("The input is not valid."),
    "body_required": _l("Send the input as a JSON object in the request body."),
    "json_required": _l("Send the request body as JSON (Content-Type: application/json)."),
    "not_text": _l("Use ordinary text: this contains characters that are not letters or signs."),
    "line_breaks_or_control": _l("Write it on one line, without control characters."),
    "control_characters": _l("Remove control characters: only line breaks and tabs are allowed."),
    "date_out_of_range": _l("Choose a date between 2000 and 2100."),
    "bad_email": _l("Enter an email address such as name@example.no."),
    "bad_object_ref": _l("Write the object as type:number, e.g. period:12, match:3 or gp:5."),
    "required": _l("This field is required."),
    "too_long": _l("The text is too long."),
    "out_of_range": _l("Enter a number from %(low)d to %(high)d."),
    "unknown": _l("Not a valid value."),
    "not_allowed": _l("This choice is not available for your role."),
    # accounts and profiles
    "email_taken": _l("An account with this email already exists. Log in instead."),
    "hpr_taken": _l("This HPR number is already registered."),
    "unknown_municipality": _l("Choose your municipality."),
    "unknown_role": _l("Choose a role from the list."),
    "trust_needed": _l("Choose the trust this person works for."),
    "trust_for_staff_only": _l("Only trust staff belong to a trust."),
    "region_for_coordinators_only": _l("Only coordinators have a region."),
    "municipality_needed": _l("Give at least one municipality this person speaks for."),
    "municipalities_for_municipality_users_only": _l(
        "Only municipality users have municipalities."
    ),
    # the municipality: endorsement and priority
    "already_endorsed": _l("The window is already endorsed."),
    "not_endorsed": _l("The window is not endorsed."),
    "unknown_measure": _l("There is no such progress measure."),
    "endorsement_in_use": _l(
        "The GP has a proposal, offer or placement for this window, so the endorsement "
        "cannot be withdrawn now."
    ),
    # the API's access and throttling
    "token_required": _l("A valid bearer token is required."),
    "role_not_allowed": _l("Your role may not do this."),
    "invalid_credentials": _l("Wrong email or password."),
    "wrong_password": _l("The password is wrong."),
    "erase_for_gps_only": _l(
        "Only GPs erase their own account here. Staff accounts are disabled by an administrator."
    ),
    "already_erased": _l("The account is already erased."),
    "login_throttled": _l("Too many failed attempts. Try again in %(minutes)d minutes."),
    "two_factor_required": _l(
        "Two-factor authentication is on for this account: give the code from your "
        "authenticator app, or a recovery code, too."
    ),
    "two_factor_not_set_up": _l(
        "Your role must use two-factor authentication. Set it up on your account page first."
    ),
    "two_factor_required_for_role": _l(
        "Your role must use two-factor authentication, so you cannot turn it off."
    ),
    "staff_only": _l("Two-factor authentication is for staff accounts."),
    "wrong_code": _l("The code is wrong or has already been used."),
    "registration_throttled": _l(
        "Too many registrations from this address. Try again in %(minutes)d minutes."
    ),
    "password_reset_throttled": _l(
        "Too many requests for a new password from this address. Try again in %(minutes)d minutes."
    ),
    "cannot_disable_self": _l("You cannot disable your own account. Ask another administrator."),
    "profile_required": _l(
        "Complete your profile first (PATCH /api/v1/me with every profile field)."
    ),
    "profile_for_gps_only": _l("Only GPs have a profile."),
    "manage_only": _l("Only the trust's staff or its region's coordinators may do this."),
    "department_not_managed": _l(
        "You may publish periods only in departments of the trusts you manage."
    ),
    "subscribers_only": _l("Only GPs and trust staff subscribe to alerts."),
    # the shortlist
    "shortlist_solver_policy": _l("The matching proposes one candidate for this trust."),
    "shortlist_chosen": _l("The period has its candidate, so no shortlist is shown."),
    "shortlist_not_in_problem": _l(
        "The period is not open for matching (it has started, is advertised the ordinary way, "
        "or is closed), so there is no shortlist."
    ),
    "shortlist_forbidden": _l("The period belongs to another trust."),
    # availability windows
    "availability_exists": _l(
        "You already have a current availability window. Edit it instead of creating a new one."
    ),
    "has_offer": _l(
        "You have an open offer. Accept or decline it before you change your availability."
    ),
    "has_placement": _l(
        "You have accepted a placement, so your availability can no longer change."
    ),
    "not_current": _l("This window is no longer current and cannot be changed."),
    "bad_transition": _l("That change does not fit the window's status."),
    # learning goals and the evaluation survey after a placement
    "unknown_learning_goal": _l("Choose learning goals from the list (codes such as ALM-055)."),
    "goal_not_offered": _l("Choose among the learning goals the period offered."),
    "placement_not_ended": _l(
        "The placement has not ended yet: the learning goals and the evaluation open after "
        "its last day."
    ),
    "survey_answered": _l("The evaluation of this placement is already answered for your role."),
    "invalid_survey": _l("Answer every question of the evaluation with a score from 1 to 5."),
    "score_range": _l("Choose a score from 1 to 5."),
}

# Input errors that read differently on each field: (field, code) -> words.
FIELD_MESSAGES = {
    ("start_date", "in_the_past"): _l("The first day cannot be in the past."),
    ("end_date", "end_before_start"): _l("The last day must be after the first day."),
    ("end_date", "too_short"): _l("A period must last at least 3 months."),
    ("source", "unknown"): _l("Choose from the list."),
    ("department_id", "unknown"): _l("Choose a department."),
    ("department_id", "cannot_change"): _l(
        "The department cannot change. Withdraw the period and publish a new one."
    ),
    ("second_department_id", "same_department"): _l(
        "Choose another department than the first for the second part."
    ),
    ("second_department_id", "other_trust"): _l(
        "The second department must belong to the same trust."
    ),
    ("switch_date", "bad_switch"): _l(
        "The day of the move must leave at least 3 months in each department."
    ),
    ("split_months", "too_short"): _l("Each part must last at least 3 months."),
    ("split_months", "combined"): _l(
        "A period over two departments is published as one period: leave this field empty."
    ),
    ("split_months", "no_split"): _l(
        "The period is too short to split into parts of this length. Leave the field empty "
        "to publish it as one period."
    ),
    ("reason", "required"): _l("Give a reason."),
    ("priority", "empty"): _l("Choose at least one priority key."),
    ("priority", "duplicate"): _l("Each key can be used once only."),
    ("priority", "lottery_not_last"): _l(
        "The lottery decides last: put it in the last used position."
    ),
    ("shortlist_size", "shortlist_too_small"): _l(
        "A shortlist needs at least 2 candidates, so that the department has a choice."
    ),
    ("mode", "shortlist_max_placements"): _l(
        "When the department chooses from a shortlist, the matching cannot fill as many "
        "periods as possible: choose strict priority, or let the matching propose."
    ),
    ("trust_id", "exists"): _l("This trust already has its own rules."),
    ("intake", "no_rounds"): _l(
        "Add a round ahead first: under an intake in rounds, periods and windows wait for "
        "the next round."
    ),
    ("apply_by", "required"): _l("Enter the application deadline."),
    ("apply_by", "in_the_past"): _l("The application deadline cannot be in the past."),
    ("apply_by", "overlaps"): _l(
        "The round overlaps another round of these rules: from one round's application "
        "deadline to its matching date, no other round may begin or end."
    ),
    ("match_on", "required"): _l("Enter the matching date."),
    ("match_on", "before_deadline"): _l(
        "The matching date cannot be before the application deadline."
    ),
    ("answer_by", "required"): _l("Enter the answer date."),
    ("answer_by", "not_after_matching"): _l("The answer date must be after the matching date."),
    ("round", "matched"): _l("The round has been matched and stays on record."),
    ("round", "last_round"): _l(
        "This is the last round ahead while the intake is in rounds: add another round, or "
        "change the intake to continuous, first."
    ),
    ("policy", "region_policy"): _l("A region's rules cannot be removed."),
    ("endorsement_required", "region_rule"): _l(
        "Whether windows need the municipality's endorsement is a rule of the region: change "
        "it in the region's rules."
    ),
    ("verified_progress_only", "region_rule"): _l(
        "Whether only verified progress measures rank is a rule of the region: change it in "
        "the region's rules."
    ),
    ("measures", "unknown_measure"): _l(
        "Choose among months_general_practice, courses_completed and supervision_group_months."
    ),
    ("municipalities", "unknown"): _l("There is no municipality with the number %(number)s."),
    ("department_id", "department_not_managed"): _l(
        "This department belongs to a trust you do not manage."
    ),
    ("department_id", "department_inactive"): _l(
        "The department does not take GPs in training now."
    ),
    # availability windows (list entries are worded by their list: trusts[1] as trusts)
    ("earliest_start", "required"): _l("Enter the earliest start."),
    ("earliest_start", "in_the_past"): _l("The earliest start cannot be in the past."),
    ("months", "required"): _l("Enter the number of months."),
    ("months", "out_of_range"): _l("Choose between %(min)d and %(max)d months."),
    ("latest_end", "required"): _l("Enter the latest end."),
    ("latest_end", "end_before_start"): _l("The latest end must be after the earliest start."),
    ("latest_end", "too_short"): _l(
        "The window must cover at least %(n)d months: end on %(date)s or later."
    ),
    ("split_allowed", "split_needs_six_months"): _l(
        "Two blocks of at least 3 months need a window of at least 6 months."
    ),
    ("specialties", "required"): _l(
        "Choose at least one specialty, or say that you accept another specialty."
    ),
    ("specialties", "too_many"): _l("Choose at most %(n)d."),
    ("trusts", "too_many"): _l("Choose at most %(n)d."),
    ("specialties", "unknown"): _l("Choose a specialty from the list."),
    ("trusts", "unknown"): _l("Choose a trust from the list."),
    ("specialties", "duplicate"): _l("You have already chosen this above."),
    ("trusts", "duplicate"): _l("You have already chosen this above."),
    # webhooks
    ("url", "bad_url"): _l("Enter a full web address such as https://hr.example.no/alis."),
    ("url", "https_required"): _l("Use an address that starts with https://."),
    ("url", "private_address"): _l(
        "Use an address on the internet: local and private network addresses are not allowed."
    ),
    # subscriptions
    ("topic", "too_many"): _l("You have too many subscriptions. Delete one first."),
    ("_schema", "too_many"): _l("You have too many subscriptions. Delete one first."),
    ("horizon_months", "out_of_range"): _l("Choose between 1 and 60 months."),
    ("region", "unknown"): _l("Choose from the list."),
    ("channel", "unknown"): _l("Choose from the list."),
    ("frequency", "unknown"): _l("Choose from the list."),
    ("trusts", "other_region"): _l(
        "Choose trusts in one region: the matching places GPs one region at a time. Your "
        "first choice is in %(region)s."
    ),
}

# The form field a conflict belongs to on the coordinators' assign and forbid pages.
FIELD_OF = {
    "period_not_open": "period_id",
    "period_started": "period_id",
    "period_taken": "period_id",
    "gp_not_available": "gp_id",
    "outside_window": "gp_id",
    "not_eligible": "gp_id",
    "gp_already_placed": "gp_id",
    "split_too_many_blocks": "gp_id",
    "split_blocks_overlap": "gp_id",
    "split_blocks_too_long": "gp_id",
    "forbidden": "gp_id",
    "already_forbidden": "gp_id",
    "already_accepted": "gp_id",
    "deadline_in_past": "accept_by",
    "deadline_after_start": "accept_by",
}


def _fill(text: Any, params: dict[str, Any]) -> str:
    return str(text) % params if params else str(text)


def describe(code: str, **params: Any) -> str:
    """The words for ``code`` in the current language."""
    if code.startswith("not_found."):
        text = NOT_FOUND.get(code.partition(".")[2], NOT_FOUND["object"])
    else:
        text = MESSAGES.get(code)
    if text is None:
        return gettext("This is not possible right now.")
    return _fill(text, params)


def describe_field(field: str, code: str, **params: Any) -> str:
    """The words for ``code`` on input ``field``: the field's own words, else the code's."""
    text = FIELD_MESSAGES.get((field.partition("[")[0], code))
    if text is not None:
        return _fill(text, params)
    if code in MESSAGES:
        return describe(code, **params)
    return gettext("Check this field.")
