"""The words of each notification, in the reader's language.

A message is stored as a key and its parameters (plain JSON: names, ISO dates, the
specialty's name in every language), so it can be worded again in whatever language its
reader uses when they read it (``render``): the inbox in the viewer's current language, an
email in the recipient's at the moment it is sent. Each public function below builds one
message for one recipient from plain facts and the link the app chose, worded in the
recipient's language as well (the stored text, kept for the API and as the fallback).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from flask_babel import force_locale, format_date, get_locale, ngettext
from flask_babel import gettext as _

from .data import AvailabilityFacts, MatchFacts, Message, PeriodFacts

Params = Mapping[str, Any]
Words = tuple[str, str]  # (subject, body)

# key -> the function that words a message of that key from its parameters (in the
# current locale); filled by @_words below.
_WORDERS: dict[str, Callable[[Params], Words]] = {}


def _words(key: str) -> Callable[[Callable[[Params], Words]], Callable[[Params], Words]]:
    def register(function: Callable[[Params], Words]) -> Callable[[Params], Words]:
        _WORDERS[key] = function
        return function

    return register


def render(key: str | None, params: Params | None, locale: str) -> Words | None:
    """A stored message's (subject, body) in ``locale``, or None when it cannot be worded
    again: no key (stored before messages had one, or worded by its caller), or a key or
    parameters this version does not know. The caller then shows the stored text."""
    worder = _WORDERS.get(key) if key else None
    if worder is None or not isinstance(params, Mapping):
        return None
    try:
        with force_locale(locale):
            return worder(params)
    except (KeyError, TypeError, ValueError, AttributeError):
        return None


def _message(
    locale: str, kind: str, key: str, params: dict[str, Any], *, link: str | None, data: dict
) -> Message:
    with force_locale(locale):
        subject, body = _WORDERS[key](params)
    return Message(kind, subject=subject, body=body, link=link, data=data, key=key, params=params)


def _long(day: str) -> str:
    return format_date(date.fromisoformat(day), "long")


def _period_params(period: PeriodFacts) -> dict[str, Any]:
    return {
        "department": period.department,
        "trust": period.trust,
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        "specialty": dict(period.specialty),
        "on_call": period.on_call,
    }


def _match_params(match: MatchFacts) -> dict[str, Any]:
    return _period_params(match.period) | {
        "gp": match.gp_name,
        "status": match.status,
        "deadline": match.accept_by.isoformat() if match.accept_by else None,
        "reason": match.decline_reason,
    }


def _period_words(p: Params) -> dict[str, Any]:
    return {
        "department": p["department"],
        "trust": p["trust"],
        "start": _long(p["start"]),
        "end": _long(p["end"]),
    }


def _deadline_words(p: Params) -> dict[str, Any]:
    return _period_words(p) | {"deadline": _long(p["deadline"])}


def _match_data(match: MatchFacts) -> dict:
    return {"match_id": match.id, "period_id": match.period.id}


@_words("proposal_to_gp")
def _proposal_to_gp(p: Params) -> Words:
    words = _period_words(p)
    return (
        _("You are proposed for a period at %(trust)s", **words),
        _(
            "You are proposed for %(department)s, %(trust)s, from %(start)s to %(end)s. "
            "The trust will contact you with an offer.",
            **words,
        ),
    )


@_words("shortlisted_gp")
def _shortlisted_gp(p: Params) -> Words:
    words = _period_words(p)
    return (
        _("You are on the shortlist for a period at %(trust)s", **words),
        _(
            "You are on the shortlist for %(department)s, %(trust)s, from %(start)s to "
            "%(end)s. The department chooses among the candidates on the shortlist; you "
            "need not do anything now. If the department chooses you, you will be told, "
            "and the trust will contact you with an offer.",
            **words,
        ),
    )


def proposal_to_gp(
    locale: str, match: MatchFacts, *, link: str | None, shortlist: bool = False
) -> Message:
    """The matching proposes the GP for a period; the trust makes the offer. Under a
    shortlist (``shortlist``: the department chooses among the candidates first) the GP is
    told they are on it and that the department chooses; the chosen GP then hears the
    proposal's usual words."""
    return _message(
        locale,
        "shortlisted" if shortlist else "proposal",
        "shortlisted_gp" if shortlist else "proposal_to_gp",
        _match_params(match),
        link=link,
        data=_match_data(match),
    )


@_words("proposal_to_trust")
def _proposal_to_trust(p: Params) -> Words:
    words = _period_words(p)
    return (
        _("A candidate for %(department)s: make an offer", **words),
        _(
            "The matching has a confirmed candidate for %(department)s from %(start)s "
            "to %(end)s. Send the candidate an offer with an acceptance deadline.",
            **words,
        ),
    )


def proposal_to_trust(locale: str, match: MatchFacts, *, link: str | None) -> Message:
    """A confirmed proposal: the trust should send an offer."""
    return _message(
        locale,
        "proposal_confirmed",
        "proposal_to_trust",
        _match_params(match),
        link=link,
        data=_match_data(match),
    )


@_words("shortlist_to_trust")
def _shortlist_to_trust(p: Params) -> Words:
    words = _period_words(p) | {"num": p["candidates"]}
    return (
        _("Choose a candidate for %(department)s", **words),
        _(
            "%(num)d candidates are on the shortlist for %(department)s from %(start)s "
            "to %(end)s. The engine's proposal is marked; choose the candidate you want "
            "on the period's page, then send an offer.",
            **words,
        ),
    )


def shortlist_to_trust(
    locale: str, match: MatchFacts, candidates: int, *, link: str | None
) -> Message:
    """A shortlist waits for the department's choice (the trust)."""
    return _message(
        locale,
        "shortlist_ready",
        "shortlist_to_trust",
        _match_params(match) | {"candidates": candidates},
        link=link,
        data=_match_data(match),
    )


@_words("offer_to_gp")
def _offer_to_gp(p: Params) -> Words:
    words = _deadline_words(p)
    return (
        _("Offer: %(department)s, %(trust)s", **words),
        _(
            "%(trust)s offers you %(department)s from %(start)s to %(end)s. "
            "Answer by %(deadline)s.",
            **words,
        ),
    )


def offer_to_gp(locale: str, match: MatchFacts, *, link: str | None) -> Message:
    return _message(
        locale, "offer", "offer_to_gp", _match_params(match), link=link, data=_match_data(match)
    )


@_words("offer_answered_to_trust")
def _offer_answered_to_trust(p: Params) -> Words:
    words = _period_words(p) | {"gp": p["gp"]}
    status = p["status"]
    if status == "accepted":
        return (
            _("%(gp)s accepted %(department)s", **words),
            _("%(gp)s accepted the period %(start)s–%(end)s. The period is filled.", **words),
        )
    if status == "declined":
        body = _(
            "%(gp)s declined the period %(start)s–%(end)s. It is open again and the "
            "next matching run proposes another candidate.",
            **words,
        )
        if p.get("reason"):
            body += "\n\n" + _("The reason %(gp)s gave: %(reason)s", gp=p["gp"], reason=p["reason"])
        return _("%(gp)s declined %(department)s", **words), body
    if status == "expired":
        return (
            _("The offer for %(department)s expired", **words),
            _(
                "%(gp)s did not answer in time. The period %(start)s–%(end)s is open again.",
                **words,
            ),
        )
    raise ValueError(status)


def offer_answered_to_trust(locale: str, match: MatchFacts, *, link: str | None) -> Message:
    """The GP accepted or declined, or the deadline passed (``match.status``)."""
    return _message(
        locale,
        f"offer_{match.status}",
        "offer_answered_to_trust",
        _match_params(match),
        link=link,
        data=_match_data(match),
    )


@_words("offer_expired_to_gp")
def _offer_expired_to_gp(p: Params) -> Words:
    words = _period_words(p)
    return (
        _("Your offer for %(department)s expired", **words),
        _(
            "You did not answer the offer for %(department)s, %(trust)s in time. "
            "You keep your place in the queue for other periods.",
            **words,
        ),
    )


def offer_expired_to_gp(locale: str, match: MatchFacts, *, link: str | None) -> Message:
    return _message(
        locale,
        "offer_expired",
        "offer_expired_to_gp",
        _match_params(match),
        link=link,
        data=_match_data(match),
    )


@_words("override")
def _override(p: Params) -> Words:
    words = _period_words(p) | {"reason": p["reason"]}
    action = p["action"]
    if action == "assigned":
        subject = _("A coordinator assigned %(department)s", **words)
    elif action == "cancelled":
        subject = _("A coordinator cancelled a match for %(department)s", **words)
    else:
        raise ValueError(action)
    return (
        subject,
        _("%(department)s, %(trust)s, %(start)s–%(end)s. Reason: %(reason)s", **words),
    )


def override(
    locale: str, match: MatchFacts, action: str, reason: str, *, link: str | None
) -> Message:
    """A coordinator's decision about a match (``action``: assigned or cancelled)."""
    params = _match_params(match) | {"action": action, "reason": reason}
    return _message(
        locale, f"override_{action}", "override", params, link=link, data=_match_data(match)
    )


@_words("gp_withdrew")
def _gp_withdrew(p: Params) -> Words:
    words = _period_words(p)
    return (
        _("The candidate for %(department)s is no longer available", **words),
        _(
            "The proposed GP for %(department)s, %(start)s–%(end)s, is no longer "
            "available. The period is open again and the next matching run proposes "
            "another candidate.",
            **words,
        ),
    )


def gp_withdrew(locale: str, match: MatchFacts, *, link: str | None) -> Message:
    """The GP paused or withdrew their availability while proposed (to the trust)."""
    return _message(
        locale,
        "proposal_withdrawn",
        "gp_withdrew",
        _match_params(match),
        link=link,
        data=_match_data(match),
    )


# What happened to a municipality's GP, as the municipality hears it (issue 19).
MUNICIPALITY_EVENTS = ("proposed", "offered", "placed", "ended")


@_words("match_to_municipality")
def _match_to_municipality(p: Params) -> Words:
    words = _period_words(p) | {"gp": p["gp"]}
    event = p["event"]
    if event == "proposed":
        return (
            _("%(gp)s is proposed for %(department)s, %(trust)s", **words),
            _(
                "%(gp)s, a GP in your municipality, is proposed for hospital service at "
                "%(department)s, %(trust)s, from %(start)s to %(end)s. If the GP accepts an "
                "offer, you must hire a locum for the practice for those dates.",
                **words,
            ),
        )
    if event == "offered":
        return (
            _("%(gp)s has an offer from %(trust)s", **words),
            _(
                "%(trust)s offers %(gp)s %(department)s from %(start)s to %(end)s; the GP "
                "answers by %(deadline)s. If the GP accepts, you must hire a locum for the "
                "practice from %(start)s to %(end)s.",
                **words,
                deadline=_long(p["deadline"]) if p.get("deadline") else "–",
            ),
        )
    if event == "placed":
        return (
            _("%(gp)s is placed: hire a locum from %(start)s to %(end)s", **words),
            _(
                "%(gp)s accepted hospital service at %(department)s, %(trust)s. You must hire "
                "a locum for the practice from %(start)s to %(end)s.",
                **words,
            ),
        )
    if event == "ended":
        status = p["status"]
        if status == "declined":
            what = _("%(gp)s declined %(department)s, %(trust)s (%(start)s–%(end)s).", **words)
        elif status == "expired":
            what = _(
                "%(gp)s did not answer the offer for %(department)s, %(trust)s "
                "(%(start)s–%(end)s) in time.",
                **words,
            )
        else:
            what = _(
                "The match of %(gp)s for %(department)s, %(trust)s (%(start)s–%(end)s) was "
                "cancelled.",
                **words,
            )
        return (
            _("The match of %(gp)s for %(department)s has ended", **words),
            what + " " + _("No locum is needed for these dates unless a new match follows."),
        )
    raise ValueError(event)


def match_to_municipality(
    locale: str, match: MatchFacts, event: str, *, link: str | None
) -> Message:
    """One of the municipality's GPs was proposed, offered, placed, or the match ended
    (``event``, one of MUNICIPALITY_EVENTS): the practice needs a locum, or no longer."""
    if event not in MUNICIPALITY_EVENTS:
        raise ValueError(event)
    params = _match_params(match) | {"event": event}
    return _message(
        locale,
        f"municipality_{event}",
        "match_to_municipality",
        params,
        link=link,
        data=_match_data(match) | {"gp_id": match.gp_id},
    )


@_words("advertised")
def _advertised(p: Params) -> Words:
    words = _period_words(p)
    return (
        _("%(department)s goes to ordinary advertising", **words),
        _(
            "No GP in specialist training matched the period %(start)s–%(end)s in time. "
            "Advertise it the ordinary way: the advert text is ready on the period's page.",
            **words,
        )
        + "\n\n"
        + _("The advert text (in Norwegian bokmål, ready to paste):")
        + "\n\n"
        + p["advert"],
    )


def advertised(locale: str, period: PeriodFacts, advert: str, *, link: str | None) -> Message:
    """The period goes to ordinary advertising; ``advert`` is the text to paste."""
    params = _period_params(period) | {"advert": advert}
    return _message(
        locale, "period_advertised", "advertised", params, link=link, data={"period_id": period.id}
    )


@_words("run_finished")
def _run_finished(p: Params) -> Words:
    return (
        _(
            "Matching run: %(proposals)d new proposals, %(advertised)d advertised",
            proposals=p["new_proposals"],
            advertised=p["advertised"],
        ),
        _(
            "The matching run for %(as_of)s finished: %(proposals)d new proposals, "
            "%(dropped)d dropped, %(expired)d offers expired, %(advertised)d periods "
            "advertised the ordinary way.",
            as_of=_long(p["as_of"]),
            proposals=p["new_proposals"],
            dropped=p["dropped_proposals"],
            expired=p["expired"],
            advertised=p["advertised"],
        ),
    )


def run_finished(locale: str, summary: Mapping[str, Any], *, link: str | None) -> Message:
    """A matching run's summary (new_proposals, dropped_proposals, expired, advertised,
    as_of as an ISO date, run_id) for a coordinator."""
    params = {
        "as_of": summary["as_of"],
        "new_proposals": summary.get("new_proposals", 0),
        "dropped_proposals": summary.get("dropped_proposals", 0),
        "expired": summary.get("expired", 0),
        "advertised": summary.get("advertised", 0),
    }
    return _message(
        locale,
        "run_finished",
        "run_finished",
        params,
        link=link,
        data={"run_id": summary["run_id"]},
    )


def _current_locale_name(names: Mapping[str, str]) -> str:
    """A name given in every language, in the one being rendered (else bokmål's)."""
    locale = get_locale()
    language = locale.language if locale is not None else "nb"
    return names.get(language) or names["nb"]


@_words("period_alert")
def _period_alert(p: Params) -> Words:
    words = _period_words(p) | {"specialty": _current_locale_name(p["specialty"])}
    body = _(
        "%(trust)s has published a period in %(specialty)s at %(department)s, from "
        "%(start)s to %(end)s.",
        **words,
    )
    if p["on_call"]:
        body += " " + _("The period includes on-call duty.")
    body += "\n\n" + _(
        "The matching runs every night and proposes periods to the GPs whose availability "
        "fits. Make sure your availability window and wishes cover this period."
    )
    return _("New period: %(specialty)s, %(trust)s, from %(start)s", **words), body


def period_alert(locale: str, period: PeriodFacts, *, link: str | None) -> Message:
    """A new period fits one of the recipient's subscriptions."""
    return _message(
        locale,
        "period_published",
        "period_alert",
        _period_params(period),
        link=link,
        data={"period_id": period.id},
    )


@_words("availability_alert")
def _availability_alert(p: Params) -> Words:
    specialties = ", ".join(_current_locale_name(names) for names in p["specialties"])
    words = {
        "start": _long(p["earliest_start"]),
        "end": _long(p["latest_end"]),
        "months": p["months"],
        "specialties": specialties or _("any specialty"),
        "municipality": p["municipality"],
    }
    body = _(
        "A GP in specialist training from %(municipality)s can serve in hospital between "
        "%(start)s and %(end)s.",
        **words,
    )
    body += " " + ngettext("They need %(num)d month.", "They need %(num)d months.", p["months"])
    body += " " + _("Wished specialties: %(specialties)s.", **words)
    if p["accept_other_specialty"]:
        body += " " + _("They also accept another specialty.")
    body += "\n\n" + _(
        "Publish the periods you have: the matching proposes a candidate every night."
    )
    return _("A GP is available from %(start)s (%(specialties)s)", **words), body


def availability_alert(locale: str, window: AvailabilityFacts, *, link: str | None) -> Message:
    """A GP registered availability that fits the recipient's subscription. The GP is not
    named: the matching, not the trust, decides who is proposed."""
    params = {
        "earliest_start": window.earliest_start.isoformat(),
        "latest_end": window.latest_end.isoformat(),
        "months": window.months,
        "specialties": [dict(names) for names in window.specialties],
        "accept_other_specialty": window.accept_other_specialty,
        "municipality": window.municipality,
    }
    return _message(
        locale,
        "availability_registered",
        "availability_alert",
        params,
        link=link,
        data={"availability_id": window.id},
    )


@_words("offer_reminder")
def _offer_reminder(p: Params) -> Words:
    words = _deadline_words(p)
    return (
        _("Reminder: answer the offer for %(department)s by %(deadline)s", **words),
        _(
            "%(trust)s is waiting for your answer to the offer for %(department)s from "
            "%(start)s to %(end)s. Accept or decline by %(deadline)s; after that the offer "
            "expires.",
            **words,
        ),
    )


def offer_reminder(locale: str, match: MatchFacts, *, link: str | None) -> Message:
    """The offer's deadline is near and the GP has not answered."""
    return _message(
        locale,
        "offer_reminder",
        "offer_reminder",
        _match_params(match),
        link=link,
        data=_match_data(match),
    )


@_words("round_reminder")
def _round_reminder(p: Params) -> Words:
    words = {
        "scope": p["scope"],
        "apply_by": _long(p["apply_by"]),
        "match_on": _long(p["match_on"]),
        "answer_by": _long(p["answer_by"]),
    }
    return (
        _("Application deadline %(apply_by)s: %(scope)s", **words),
        _(
            "%(scope)s matches in application rounds. Windows registered by %(apply_by)s "
            "enter the next round, which is matched on %(match_on)s; its offers must be "
            "answered by %(answer_by)s. A window registered later waits for the round after. "
            "Check that your availability and wishes are up to date.",
            **words,
        ),
    )


def round_reminder(
    locale: str, *, scope: str, apply_by: date, match_on: date, answer_by: date, link: str | None
) -> Message:
    """An application round's deadline is near (once per round and person)."""
    return _message(
        locale,
        "round_reminder",
        "round_reminder",
        {
            "scope": scope,
            "apply_by": apply_by.isoformat(),
            "match_on": match_on.isoformat(),
            "answer_by": answer_by.isoformat(),
        },
        link=link,
        data={},
    )


# The progress measures a GP declares and a municipality or coordinator verifies.
PROGRESS_MEASURES = ("months_general_practice", "courses_completed", "supervision_group_months")


def _measure_name(measure: str) -> str:
    if measure == "months_general_practice":
        return _("months in general practice")
    if measure == "courses_completed":
        return _("courses completed")
    if measure == "supervision_group_months":
        return _("months in a supervision group")
    raise ValueError(measure)


@_words("progress_changed")
def _progress_changed(p: Params) -> Words:
    lines = [
        _(
            "%(measure)s: you verified %(verified)d, the GP now declares %(declared)d",
            measure=_measure_name(change["measure"]).capitalize(),
            verified=int(change["verified"]),
            declared=int(change["declared"]),
        )
        for change in p["changes"]
    ]
    return (
        _("%(gp)s changed a progress measure you verified", gp=p["gp"]),
        _(
            "%(gp)s changed a progress measure you verified, so your verification no longer "
            "holds. Check the new value and verify it again if it is right.",
            gp=p["gp"],
        )
        + "\n\n"
        + "\n".join(lines),
    )


def progress_changed(
    locale: str, gp_id: int, gp_name: str, changes: list[dict[str, Any]], *, link: str | None
) -> Message:
    """A GP changed measures the reader verified. ``changes``: one {"measure", "verified",
    "declared"} per measure (PROGRESS_MEASURES)."""
    for change in changes:
        if change["measure"] not in PROGRESS_MEASURES:
            raise ValueError(change["measure"])
    params = {"gp": gp_name, "changes": [dict(c) for c in changes]}
    return _message(
        locale, "progress_changed", "progress_changed", params, link=link, data={"gp_id": gp_id}
    )


# The evaluation survey after a placement: who is asked (the GP, the department, the
# municipality) changes the words a little.
SURVEY_ROLES = ("gp", "department", "municipality")


def _survey_params(match: MatchFacts, role: str) -> dict[str, Any]:
    if role not in SURVEY_ROLES:
        raise ValueError(role)
    return _match_params(match) | {"role": role}


def _survey_about(p: Params) -> str:
    words = _period_words(p) | {"gp": p["gp"]}
    if p["role"] == "gp":
        return _("your placement at %(department)s, %(trust)s, from %(start)s to %(end)s", **words)
    return _(
        "the placement of %(gp)s at %(department)s, %(trust)s, from %(start)s to %(end)s", **words
    )


def _survey_goals(p: Params) -> str:
    if p["role"] == "municipality":
        return ""
    return " " + _("Confirm on the same page which learning goals were reached.")


@_words("survey_invitation")
def _survey_invitation(p: Params) -> Words:
    return (
        _("The placement has ended: a short evaluation"),
        _(
            "The placement has ended. Tell us how it went: %(about)s. The survey has three "
            "questions and room for a comment; it takes two minutes.",
            about=_survey_about(p),
        )
        + _survey_goals(p),
    )


def survey_invitation(locale: str, match: MatchFacts, role: str, *, link: str | None) -> Message:
    """A placement ended: the GP, the department or the municipality answers the survey."""
    return _message(
        locale,
        "survey_invitation",
        "survey_invitation",
        _survey_params(match, role),
        link=link,
        data=_match_data(match),
    )


@_words("survey_reminder")
def _survey_reminder(p: Params) -> Words:
    return (
        _("Reminder: the evaluation of the placement"),
        _(
            "We have not yet had your answer to the short evaluation of %(about)s. It takes "
            "two minutes, and the answers help the ALIS coordinators improve the scheme.",
            about=_survey_about(p),
        ),
    )


def survey_reminder(locale: str, match: MatchFacts, role: str, *, link: str | None) -> Message:
    """The one reminder to a role that has not answered the survey."""
    return _message(
        locale,
        "survey_reminder",
        "survey_reminder",
        _survey_params(match, role),
        link=link,
        data=_match_data(match),
    )
