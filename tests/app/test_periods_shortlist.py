"""Under a shortlist policy (Ahus) the department chooses among the ranked candidates."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app import lifecycle
from app.dates import add_months, local_today
from app.extensions import db
from app.lifecycle import publish_period
from app.matches.queries import live_match_for_period
from app.models import Availability, Department, Match, Specialty, Trust
from app.periods.services import PeriodInput
from app.periods.shortlist import ShortlistUnavailable, shortlist

from . import factories
from .a11y import problems
from .conftest import Browser

LILLESTROM, BAERUM = "3205", "3201"  # Ahus's catchment; Vestre Viken's


def _window(gp, specialties):
    start = local_today() + timedelta(days=10)
    window = Availability(gp=gp, earliest_start=start, latest_end=add_months(start, 24), months=6)
    db.session.add(window)
    window.set_wishes(
        [db.session.scalar(sa.select(Specialty).where(Specialty.code == c)) for c in specialties],
        [],
    )
    db.session.commit()


def _department(trust_code, specialty):
    return db.session.scalar(
        sa.select(Department)
        .join(Trust)
        .join(Specialty)
        .where(Trust.code == trust_code, Specialty.code == specialty)
        .order_by(Department.id)
    )


def _period(trust_code="ahus", specialty="internal-medicine"):
    start = local_today() + timedelta(days=90)
    period = publish_period(
        PeriodInput(
            _department(trust_code, specialty).id,
            start,
            add_months(start, 6) - timedelta(days=1),
            "parental_leave",
        ),
        actor=None,
    )
    db.session.commit()
    return period


def _gp(name, municipality, months, wishes, courses=2):
    gp = factories.make_gp(
        name=name,
        municipality_number=municipality,
        months_general_practice=months,
        courses_completed=courses,
        supervision_group_months=10,
    )
    _window(gp, wishes)
    return gp


@pytest.fixture
def candidates(ctx):
    period = _period()
    gps = {
        "outsider": _gp("Utenfor Opptak", BAERUM, 150, ["internal-medicine"]),
        "second_choice": _gp("Andre Valg", LILLESTROM, 120, ["psychiatry", "internal-medicine"]),
        "junior": _gp("Ung Lege", LILLESTROM, 40, ["internal-medicine"]),
        "senior": _gp("Erfaren Lege", LILLESTROM, 60, ["internal-medicine"]),
        "more_courses": _gp("Flere Kurs", LILLESTROM, 40, ["internal-medicine"], courses=5),
    }
    # One who already holds another period is left out.
    held = _gp("Har Plass", LILLESTROM, 200, ["internal-medicine"])
    other = _period()
    coordinator = factories.make_user("coordinator", region_code="helse-sor-ost")
    lifecycle.assign(other, held, reason="Test", actor=coordinator)
    db.session.commit()
    return period, gps, held


def test_shortlist_follows_the_ahus_priority(candidates):
    period, gps, held = candidates
    user = factories.make_user("trust", trust_code="ahus")
    entries = shortlist(period, user)
    assert [e.gp.id for e in entries] == [
        gps[k].id for k in ("senior", "more_courses", "junior", "second_choice", "outsider")
    ]
    assert held.id not in {e.gp.id for e in entries}
    first = entries[0]
    assert (first.position, first.catchment, first.first_choice) == (1, True, True)
    assert first.months_general_practice == 60
    assert (entries[-1].catchment, entries[3].first_choice) == (False, False)


def test_shortlist_is_cut_at_the_policy_size(candidates):
    period, _, _ = candidates
    period.department.trust.own_policy.shortlist_size = 2
    db.session.commit()
    assert len(shortlist(period, factories.make_user("admin"))) == 2


def test_choose_creates_a_confirmed_pinned_match(candidates, client):
    period, gps, _ = candidates
    user = factories.make_user("trust", trust_code="ahus")
    browser = Browser(client)
    browser.login(user.email)
    browser.submit("/language", {"lang-locale": "en"}, page="/")
    page = client.get(f"/periods/{period.id}").get_data(as_text=True)
    assert problems(page) == []
    assert page.index("Erfaren Lege") < page.index("Flere Kurs") < page.index("Utenfor Opptak")
    assert "Har Plass" not in page
    response = browser.submit(
        f"/periods/{period.id}/choose",
        {"gp_id": str(gps["junior"].id)},
        page=f"/periods/{period.id}",
    )
    assert response.status_code == 302
    match = db.session.scalar(
        sa.select(Match).where(Match.period_id == period.id, Match.status == "proposed")
    )
    assert match.gp_id == gps["junior"].id
    assert match.pinned and match.confirmed_at is not None and match.source == "coordinator"
    assert (
        # stored reasons are written in bokmål, whatever the chooser's language
        match.explanation["text"] == "Valgt fra kortlisten av Akershus universitetssykehus HF"
    )
    page = client.get(f"/periods/{period.id}").get_data(as_text=True)
    assert 'name="accept_by"' in page  # ready for an offer
    assert "The period has its candidate" in page
    assert problems(page) == []


def test_choose_refuses_a_gp_outside_the_shortlist(candidates, client):
    period, _, held = candidates
    user = factories.make_user("trust", trust_code="ahus")
    browser = Browser(client)
    browser.login(user.email)
    response = browser.submit(
        f"/periods/{period.id}/choose", {"gp_id": str(held.id)}, page=f"/periods/{period.id}"
    )
    assert response.status_code == 302
    assert live_match_for_period(period) is None


def test_solver_policy_shows_the_proposal_only(ctx, client):
    period = _period("helse-bergen", "psychiatry")
    user = factories.make_user("trust", trust_code="helse-bergen")
    with pytest.raises(ShortlistUnavailable) as caught:
        shortlist(period, user)
    assert caught.value.code == "solver_policy"
    Browser(client).login(user.email)
    page = client.get(f"/periods/{period.id}").get_data(as_text=True)
    assert "/choose" not in page


def test_an_advertised_period_has_no_shortlist(candidates):
    period, _, _ = candidates
    factories.force_status(period, "advertised")
    db.session.commit()
    with pytest.raises(ShortlistUnavailable) as caught:
        shortlist(period, factories.make_user("admin"))
    assert caught.value.code == "not_in_problem"


def test_the_shortlist_ranks_from_a_narrowed_problem_as_from_the_full_one(candidates):
    """The shortlist builds only what ranking its period needs (build_problems' period_ids);
    the ranking is the full region problem's, and a region's problem is the same whether it
    is built alone or with the whole country."""
    import matching
    from app.matches.queries import held_matches
    from app.runs.problem import build_problems

    period, gps, held = candidates
    today = local_today()
    region_id = period.department.trust.region_id
    # Others the full problem has and the narrowed one must judge the same way.
    early = _gp("Tidlig Slutt", LILLESTROM, 90, ["internal-medicine"])
    early.availabilities[0].latest_end = period.start_date + timedelta(days=30)
    refused = _gp("Sa Nei", LILLESTROM, 95, ["internal-medicine"])
    factories.make_proposal(period, refused, status="declined")
    free = _gp("Fri Forslag", LILLESTROM, 70, ["internal-medicine"])
    factories.make_proposal(_period(), free, confirmed=False)
    factories.make_window(factories.make_gp(name="I Vest"), specialties=["internal-medicine"])
    db.session.commit()

    (full,) = build_problems(today, [region_id])
    (narrow,) = build_problems(today, [region_id], period_ids=[period.id])
    holding = set(db.session.scalars(sa.select(Match.gp_id).where(held_matches())))

    def ranked(problem):
        found = matching.rank_candidates(matching.problem_from_json(problem), str(period.id))
        return [(c.gp, c.keys, c.lottery) for c in found if int(c.gp) not in holding]

    assert ranked(narrow.problem) == ranked(full.problem)
    assert len(ranked(full.problem)) == 6  # the five and the free proposal's GP
    assert [p["id"] for p in narrow.problem["periods"]] == [str(period.id)]
    assert len(narrow.problem["gps"]) < len(full.problem["gps"])
    national = {rp.region.id: rp.problem for rp in build_problems(today)}
    assert national[region_id] == full.problem
