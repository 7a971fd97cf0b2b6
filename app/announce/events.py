"""Who hears of what happens to a match or a period: the GP, the trust's staff, the
coordinators. The words are notifications'; the links are chosen here."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from app.extensions import db
from app.links import absolute_url, path_for
from app.models import GP, Match, Period, User, UserMunicipality
from app.models.statuses import MatchStatus
from notifications import wording

from .core import match_facts, period_facts, tell


def trust_staff(period: Period) -> list[User]:
    return [u for u in period.department.trust.staff if u.active]


def municipality_users(gp: GP) -> list[User]:
    """The active municipality users who speak for ``gp``'s municipality."""
    return list(
        db.session.scalars(
            sa.select(User)
            .join(UserMunicipality, UserMunicipality.user_id == User.id)
            .where(
                User.role == "municipality",
                User.active.is_(True),
                UserMunicipality.municipality_id == gp.municipality_id,
            )
            .order_by(User.id)
        )
    )


# A match's status -> what the municipality hears (notifications.wording.MUNICIPALITY_EVENTS).
_MUNICIPALITY_EVENT = {
    MatchStatus.PROPOSED: "proposed",
    MatchStatus.OFFERED: "offered",
    MatchStatus.ACCEPTED: "placed",
    MatchStatus.DECLINED: "ended",
    MatchStatus.EXPIRED: "ended",
    MatchStatus.CANCELLED: "ended",
}


def match_to_municipality(match: Match) -> None:
    """One of a municipality's GPs was proposed, offered or placed, or the match ended: its
    municipality users hear of it (they hire a locum for the practice, or no longer)."""
    event = _MUNICIPALITY_EVENT[MatchStatus(match.status)]
    facts, link = match_facts(match), path_for("main.gp_detail", gp_id=match.gp_id)
    for user in municipality_users(match.gp):
        tell(user, wording.match_to_municipality(user.locale, facts, event, link=link))


def _period_page(match: Match) -> str:
    return path_for("periods.detail", period_id=match.period_id)


def proposal_to_gp(match: Match) -> None:
    """The GP is proposed; or, while the proposal waits for the department's choice from a
    shortlist (``awaiting_choice``), is on the shortlist."""
    user = match.gp.user
    message = wording.proposal_to_gp(
        user.locale,
        match_facts(match),
        link=path_for("gp.matches"),
        shortlist=match.awaiting_choice,
    )
    tell(user, message)


def proposal_to_trust(match: Match) -> None:
    """A confirmed proposal: the trust should send an offer."""
    facts, link = match_facts(match), _period_page(match)
    for user in trust_staff(match.period):
        tell(user, wording.proposal_to_trust(user.locale, facts, link=link))


def shortlist_to_trust(match: Match, candidates: int) -> None:
    """A shortlist waits for the department's choice: the trust should choose."""
    facts, link = match_facts(match), _period_page(match)
    for user in trust_staff(match.period):
        tell(user, wording.shortlist_to_trust(user.locale, facts, candidates, link=link))


def offer_to_gp(match: Match) -> None:
    user = match.gp.user
    tell(user, wording.offer_to_gp(user.locale, match_facts(match), link=path_for("gp.matches")))


def offer_answered(match: Match) -> None:
    """The GP accepted or declined, or the deadline passed: tell the trust (and the GP)."""
    facts, link = match_facts(match), _period_page(match)
    for user in trust_staff(match.period):
        tell(user, wording.offer_answered_to_trust(user.locale, facts, link=link))
    if match.status == MatchStatus.EXPIRED:
        user = match.gp.user
        tell(user, wording.offer_expired_to_gp(user.locale, facts, link=path_for("gp.matches")))


def override_to_people(match: Match, action: str, reason: str) -> None:
    """A coordinator's decision about a match: tell the GP and the trust."""
    facts = match_facts(match)
    for user in [match.gp.user, *trust_staff(match.period)]:
        link = path_for("gp.matches") if user.role == "gp" else _period_page(match)
        tell(user, wording.override(user.locale, facts, action, reason, link=link))


def gp_withdrew(match: Match) -> None:
    """The GP paused or withdrew their availability while proposed: tell the trust."""
    facts, link = match_facts(match), _period_page(match)
    for user in trust_staff(match.period):
        tell(user, wording.gp_withdrew(user.locale, facts, link=link))


def _advert(period: Period) -> str:
    """The advert text, its link on the site's public address (BASE_URL), as in every email."""
    # Imported here: importing app.periods loads its routes, which import the services.
    from app.periods.advert import advert_text, vacancy_url

    public = absolute_url(path_for("public.vacancy", period_id=period.id))
    return advert_text(period).replace(vacancy_url(period), public)


def advertised_to_trust(period: Period) -> None:
    """No match in time: the trust advertises the ordinary way, with the advert text."""
    facts, advert = period_facts(period), _advert(period)
    link = path_for("periods.advert", period_id=period.id)
    for user in trust_staff(period):
        tell(user, wording.advertised(user.locale, facts, advert, link=link))


def run_finished(coordinators: Iterable[User], summary: dict) -> None:
    for user in coordinators:
        link = path_for("coordination.run_detail", run_id=summary["run_id"])
        tell(user, wording.run_finished(user.locale, summary, link=link))


def progress_changed(gp: GP, verifier: User, changes: list[dict]) -> None:
    """``gp`` changed progress measures ``verifier`` verified: the verification lapsed."""
    if not verifier.active:
        return
    link = path_for("main.gp_detail", gp_id=gp.id)
    tell(verifier, wording.progress_changed(verifier.locale, gp.id, gp.name, changes, link=link))
